//! Redis: one multiplexed, self-reconnecting connection per process, and a key
//! prefix so deployments and test runs can share a server without seeing each other.
//! It is an authoritative store, not a cache: sessions, refresh tokens, lockouts and
//! rate-limit counters live only here.

use redis::aio::ConnectionManager;

use crate::config::RedisConfig;

/// Why Redis could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum RedisConnectError {
    #[error("redis.url is not set")]
    MissingUrl,
    #[error("redis.url is not a valid redis url: {0}")]
    InvalidUrl(String),
    #[error("cannot connect to Redis at {target} (redis.url): {reason}")]
    Unreachable { target: String, reason: String },
}

/// A Redis connection with the deployment's key prefix.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects, failing fast when the server is unreachable.
    pub async fn connect(config: &RedisConfig) -> Result<Self, RedisConnectError> {
        if config.url.is_empty() {
            return Err(RedisConnectError::MissingUrl);
        }
        let client =
            redis::Client::open(config.url.as_str()).map_err(|e| RedisConnectError::InvalidUrl(e.to_string()))?;
        let target = client.get_connection_info().addr.to_string();
        let connection = tokio::time::timeout(std::time::Duration::from_secs(5), client.get_connection_manager())
            .await
            .map_err(|_| RedisConnectError::Unreachable { target: target.clone(), reason: "timed out".into() })?
            .map_err(|e| RedisConnectError::Unreachable { target, reason: e.to_string() })?;
        Ok(Self { connection, prefix: config.key_prefix.clone() })
    }

    /// The full key for `suffix`, e.g. `key("session:abc")` → `canopy:session:abc`.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}{}", self.prefix, suffix)
    }

    /// A connection handle; cheap to clone, commands are pipelined over one socket.
    pub fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// Round trip to the server (for health reports).
    pub async fn ping(&self) -> Result<(), redis::RedisError> {
        let mut connection = self.connection.clone();
        redis::cmd("PING").query_async::<String>(&mut connection).await.map(|_| ())
    }
}
