//! Lockout per source address, in Redis: after `address_lockout_threshold` failed
//! sign-ins within an hour from one address, the address is locked with the same
//! growth as accounts (15 minutes, doubling per further lock, capped). This stops one
//! address from spraying guesses across many accounts, which per-account lockout
//! alone cannot see. Successes do not reset it (an attacker could otherwise
//! interleave sign-ins to an account of their own).
//!
//! The state is one hash per address, updated by a Lua script so concurrent failures
//! from one address count exactly; times come from the injected clock.
//!
//! Redis unreachable (bounded by the kit's [`RedisStore::run`]): both operations fail
//! and sign-in answers UNAVAILABLE — it fails closed, like the gateway's sign-in
//! rate limit, so an outage never lifts the protection against guessing.

use canopy_kit::redis_store::{RedisStore, RedisUnavailable};
use chrono::{DateTime, Utc};

use crate::domain::lockout::LockoutPolicy;

const RECORD_FAILURE_SCRIPT: &str = r"
local now = tonumber(ARGV[1])
local threshold = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
redis.call('EXPIRE', KEYS[1], max + 86400)
if locked_until > now then return 0 end
local window_start = tonumber(redis.call('HGET', KEYS[1], 'window_start') or '0')
local failures = tonumber(redis.call('HGET', KEYS[1], 'failures') or '0')
if now - window_start >= 3600 then
  window_start = now
  failures = 0
end
failures = failures + 1
if failures < threshold then
  redis.call('HSET', KEYS[1], 'window_start', window_start, 'failures', failures)
  return 0
end
local locks = tonumber(redis.call('HINCRBY', KEYS[1], 'locks', 1))
local duration = base * (2 ^ math.min(locks - 1, 30))
if duration > max then duration = max end
locked_until = now + math.floor(duration)
redis.call('HSET', KEYS[1], 'window_start', now, 'failures', 0, 'locked_until', locked_until)
return locked_until
";

/// Per-address sign-in lockout.
#[derive(Clone)]
pub struct AddressLockout {
    redis: RedisStore,
    threshold: u32,
    policy: LockoutPolicy,
}

impl AddressLockout {
    pub fn new(redis: RedisStore, threshold: u32, policy: LockoutPolicy) -> Self {
        Self { redis, threshold, policy }
    }

    fn key(&self, address: &str) -> String {
        self.redis.key(&format!("identity:signin-address:{address}"))
    }

    /// When the address's lock ends, if it is locked at `now`.
    pub async fn locked_until(
        &self,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, RedisUnavailable> {
        let key = self.key(address);
        let until: Option<i64> = self
            .redis
            .run(|mut connection| async move {
                redis::cmd("HGET").arg(key).arg("locked_until").query_async(&mut connection).await
            })
            .await?;
        Ok(until.filter(|until| *until > now.timestamp()).and_then(|until| DateTime::from_timestamp(until, 0)))
    }

    /// Counts a failure; returns the lock's end when this failure locked the address.
    pub async fn record_failure(
        &self,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, RedisUnavailable> {
        let key = self.key(address);
        let (threshold, base, max) = (self.threshold, self.policy.base.num_seconds(), self.policy.max.num_seconds());
        let locked_until: i64 = self
            .redis
            .run(|mut connection| async move {
                redis::Script::new(RECORD_FAILURE_SCRIPT)
                    .key(key)
                    .arg(now.timestamp())
                    .arg(threshold)
                    .arg(base)
                    .arg(max)
                    .invoke_async(&mut connection)
                    .await
            })
            .await?;
        Ok((locked_until > 0).then(|| DateTime::from_timestamp(locked_until, 0)).flatten())
    }
}
