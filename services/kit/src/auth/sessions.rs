//! The session protocol, in Redis. Identity creates, refreshes and revokes sessions;
//! every service checks them when verifying an access token, so logout and disabling
//! an account take effect at once rather than when the token expires.
//!
//! Keys (under the deployment's prefix):
//! * `session:<sid>` — JSON [`SessionRecord`], expiring with the absolute timeout;
//! * `user-sessions:<user id>` — set of the user's session ids;
//! * channel `session-revocations` — every revocation publishes the session id, so
//!   processes that cache sessions ([`super::SessionCache`]) drop them at once.
//!
//! Redis unreachable (down, stalled, or the store's circuit open): checking a session
//! fails with [`AuthError::SessionStoreUnavailable`], which callers see as UNAVAILABLE
//! within `redis.command_timeout_ms` (milliseconds once the breaker is open). A call
//! is never let through unchecked: a session may have been revoked.
//!
//! Timeouts are checked against the injected clock, not Redis TTLs, so tests control
//! time. Idle time is measured from sign-in or the last refresh (an access token lives
//! at most 15 minutes, so an active client refreshes well inside the idle timeout).

use chrono::{DateTime, Duration, Utc};
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::AuthError;
use crate::redis_store::{RedisStore, RedisUnavailable};

/// The channel (under the key prefix) on which each revoked session id is published.
pub const REVOCATIONS_CHANNEL: &str = "session-revocations";

/// One session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session_id: String,
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub role: String,
    pub created_at: DateTime<Utc>,
    /// Ends unless refreshed before.
    pub idle_expire_at: DateTime<Utc>,
    /// Ends regardless.
    pub absolute_expire_at: DateTime<Utc>,
}

impl SessionRecord {
    /// Whether the session is still usable at `now`.
    pub fn alive_at(&self, now: DateTime<Utc>) -> bool {
        now < self.idle_expire_at && now < self.absolute_expire_at
    }
}

/// Reads and writes sessions.
#[derive(Debug, Clone)]
pub struct SessionStore {
    redis: RedisStore,
}

impl SessionStore {
    pub fn new(redis: RedisStore) -> Self {
        Self { redis }
    }

    fn key(&self, session_id: &str) -> String {
        self.redis.key(&format!("session:{session_id}"))
    }

    fn user_key(&self, user_id: Uuid) -> String {
        self.redis.key(&format!("user-sessions:{user_id}"))
    }

    /// The Redis this store uses.
    pub fn redis(&self) -> &RedisStore {
        &self.redis
    }

    /// Stores a session (new or refreshed).
    pub async fn put(&self, record: &SessionRecord, now: DateTime<Utc>) -> Result<(), RedisUnavailable> {
        let json = serde_json::to_string(record).expect("session record serialises");
        // Keep the key a little past its absolute end so late checks see "ended",
        // then let Redis collect it.
        let ttl = (record.absolute_expire_at - now + Duration::minutes(5)).num_seconds().max(1) as u64;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .set_ex(self.key(&record.session_id), json, ttl)
            .sadd(self.user_key(record.user_id), &record.session_id)
            .expire(self.user_key(record.user_id), ttl as i64);
        self.redis.run(|mut connection| async move { pipe.query_async::<()>(&mut connection).await }).await
    }

    /// The session, if it exists (alive or not).
    pub async fn get(&self, session_id: &str) -> Result<Option<SessionRecord>, RedisUnavailable> {
        let key = self.key(session_id);
        let json: Option<String> = self.redis.run(|mut connection| async move { connection.get(key).await }).await?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// The session if it is alive at `now`; an ended session is removed.
    pub async fn check(&self, session_id: &str, now: DateTime<Utc>) -> Result<SessionRecord, AuthError> {
        let record = self
            .get(session_id)
            .await
            .map_err(|e| AuthError::SessionStoreUnavailable(e.to_string()))?
            .ok_or(AuthError::SessionEnded)?;
        if !record.alive_at(now) {
            let _ = self.revoke(&record).await;
            return Err(AuthError::SessionEnded);
        }
        Ok(record)
    }

    /// Ends one session.
    pub async fn revoke(&self, record: &SessionRecord) -> Result<(), RedisUnavailable> {
        let mut pipe = redis::pipe();
        pipe.del(self.key(&record.session_id))
            .srem(self.user_key(record.user_id), &record.session_id)
            .publish(self.redis.key(REVOCATIONS_CHANNEL), &record.session_id);
        self.redis.run(|mut connection| async move { pipe.query_async::<()>(&mut connection).await }).await
    }

    /// Ends every session of `user_id` except `keep`. Returns how many ended.
    pub async fn revoke_user(&self, user_id: Uuid, keep: Option<&str>) -> Result<usize, RedisUnavailable> {
        let user_key = self.user_key(user_id);
        let sessions: Vec<String> =
            self.redis.run(|mut connection| async move { connection.smembers(user_key).await }).await?;
        let ending: Vec<&String> = sessions.iter().filter(|s| Some(s.as_str()) != keep).collect();
        if ending.is_empty() {
            return Ok(0);
        }
        let mut pipe = redis::pipe();
        for session_id in &ending {
            pipe.del(self.key(session_id))
                .srem(self.user_key(user_id), session_id.as_str())
                .publish(self.redis.key(REVOCATIONS_CHANNEL), session_id.as_str());
        }
        self.redis.run(|mut connection| async move { pipe.query_async::<()>(&mut connection).await }).await?;
        Ok(ending.len())
    }
}
