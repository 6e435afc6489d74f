//! Redis: one multiplexed, self-reconnecting connection per process, and a key
//! prefix so deployments and test runs can share a server without seeing each other.
//! It is an authoritative store, not a cache: sessions, refresh tokens, lockouts and
//! rate-limit counters live only here.
//!
//! Every use goes through [`RedisStore::run`], the one bounded way to Redis:
//! * each command is bounded by `redis.command_timeout_ms` (the connection's own
//!   response timeout and an outer timer that also covers waiting for a reconnection);
//! * a lost connection is replaced on demand, one attempt at a time, each bounded by
//!   the same timeout: no background retry schedule that calls would queue behind;
//! * a circuit breaker: after `redis.breaker_failures` (3) consecutive failures to
//!   reach Redis, every use fails at once for `redis.breaker_open_ms` (1 s), then one
//!   probe goes through; its success closes the breaker, its failure opens it again.
//!
//! So a stalled or dead Redis costs a call at most a few timeouts while the breaker
//! counts, then microseconds; Redis back costs at most one open period to notice.
//! What a failure means is each caller's policy ([`RedisUnavailable`] says only that
//! the store could not do it).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::breaker::Breaker;
use crate::config::RedisConfig;

/// Why Redis could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum RedisConnectError {
    #[error("redis.url is not set")]
    MissingUrl,
    #[error("redis.url is not a valid redis url: {0}")]
    InvalidUrl(String),
    #[error("redis.{setting}: must be at least 1")]
    BelowOne { setting: &'static str },
    #[error("cannot connect to Redis at {target} (redis.url): {reason}")]
    Unreachable { target: String, reason: String },
}

/// Why a Redis use failed. Callers decide what that means for their call.
#[derive(Debug, thiserror::Error)]
pub enum RedisUnavailable {
    /// No answer within the timeout (stalled server, or no connection yet).
    #[error("Redis did not answer within {0:?}")]
    TimedOut(Duration),
    /// Recent uses failed; this one was not tried.
    #[error("Redis is unreachable (recent commands failed; retrying shortly)")]
    CircuitOpen,
    /// The connection failed or Redis answered with an error.
    #[error("Redis: {0}")]
    Failed(#[from] redis::RedisError),
}

/// A Redis connection with the deployment's key prefix.
#[derive(Clone)]
pub struct RedisStore {
    /// For dedicated connections (a pub/sub subscription cannot share `connection`).
    client: redis::Client,
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
    breaker: Arc<Breaker>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects, failing fast when the server is unreachable.
    pub async fn connect(config: &RedisConfig) -> Result<Self, RedisConnectError> {
        if config.url.is_empty() {
            return Err(RedisConnectError::MissingUrl);
        }
        for (setting, value) in [
            ("command_timeout_ms", config.command_timeout_ms),
            ("breaker_failures", u64::from(config.breaker_failures)),
            ("breaker_open_ms", config.breaker_open_ms),
        ] {
            if value == 0 {
                return Err(RedisConnectError::BelowOne { setting });
            }
        }
        let client =
            redis::Client::open(config.url.as_str()).map_err(|e| RedisConnectError::InvalidUrl(e.to_string()))?;
        let target = client.get_connection_info().addr.to_string();
        let timeout = Duration::from_millis(config.command_timeout_ms);
        // No retry schedule of the manager's own: its back-off starts at one second
        // and grows to a minute, and every command waits for the whole schedule. A
        // failed attempt instead fails the commands waiting for it, and the next
        // command (or breaker probe) starts a fresh attempt.
        let manager_config = ConnectionManagerConfig::new()
            .set_number_of_retries(0)
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout);
        let connection = tokio::time::timeout(
            Duration::from_secs(5),
            ConnectionManager::new_with_config(client.clone(), manager_config),
        )
        .await
        .map_err(|_| RedisConnectError::Unreachable { target: target.clone(), reason: "timed out".into() })?
        .map_err(|e| RedisConnectError::Unreachable { target, reason: e.to_string() })?;
        let breaker = Breaker::new("redis", config.breaker_failures, Duration::from_millis(config.breaker_open_ms));
        Ok(Self { client, connection, prefix: config.key_prefix.clone(), timeout, breaker: Arc::new(breaker) })
    }

    /// The full key for `suffix`, e.g. `key("session:abc")` → `canopy:session:abc`.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}{}", self.prefix, suffix)
    }

    /// The per-command timeout (`redis.command_timeout_ms`).
    pub fn command_timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs `commands` on the shared connection, bounded by the command timeout and
    /// the circuit breaker. `commands` should make one round trip (a command, a
    /// pipeline or a script); several are fine, but share one timeout.
    pub async fn run<T, F, Fut>(&self, commands: F) -> Result<T, RedisUnavailable>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        self.run_within(self.timeout, commands).await
    }

    /// [`run`](Self::run) with a tighter (or looser) bound than the configured one.
    pub async fn run_within<T, F, Fut>(&self, timeout: Duration, commands: F) -> Result<T, RedisUnavailable>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let probe = self.breaker.admit().map_err(|_| RedisUnavailable::CircuitOpen)?;
        let result = tokio::time::timeout(timeout, commands(self.connection.clone())).await;
        let outcome = match result {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(RedisUnavailable::Failed(error)),
            Err(_) => Err(RedisUnavailable::TimedOut(timeout)),
        };
        let reached = match &outcome {
            Ok(_) => true,
            Err(RedisUnavailable::Failed(error)) => !unreachable(error),
            Err(_) => false,
        };
        self.breaker.record(reached, probe);
        outcome
    }

    /// A dedicated connection subscribed to the channel `key(channel_suffix)`, each
    /// step bounded by the command timeout. Messages published while it is not
    /// subscribed are lost (Redis pub/sub delivers at most once), so a subscriber must
    /// treat the end of the stream as "I may have missed some".
    pub async fn subscribe(&self, channel_suffix: &str) -> Result<redis::aio::PubSubStream, RedisUnavailable> {
        let channel = self.key(channel_suffix);
        let subscribed = tokio::time::timeout(self.timeout, async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(&channel).await?;
            Ok::<_, redis::RedisError>(pubsub.into_on_message())
        })
        .await;
        match subscribed {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(error)) => Err(RedisUnavailable::Failed(error)),
            Err(_) => Err(RedisUnavailable::TimedOut(self.timeout)),
        }
    }

    /// Round trip to the server (for health reports).
    pub async fn ping(&self) -> Result<(), RedisUnavailable> {
        self.run(|mut connection| async move { redis::cmd("PING").query_async::<String>(&mut connection).await })
            .await
            .map(|_| ())
    }
}

/// Whether `error` says Redis could not be reached (rather than that it answered
/// with an error, e.g. a wrong type: that is a bug, not an outage).
fn unreachable(error: &redis::RedisError) -> bool {
    error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || matches!(error.kind(), redis::ErrorKind::BusyLoadingError | redis::ErrorKind::TryAgain)
}
