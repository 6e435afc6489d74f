//! PostgreSQL: the role model, per-service schema migrations, tenant-scoped
//! transactions and the catalog audit that proves isolation holds.
//!
//! Two pools, two roles. The *owner* connection creates roles and runs migrations as
//! `owner_role`, which owns every schema and table. Services run as `app_role`:
//! NOSUPERUSER, NOBYPASSRLS, owning nothing, so row-level security always applies.

mod catalog;
mod migrate;
mod roles;
mod scope;

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

pub use catalog::{CatalogViolation, audit_catalog};
pub use migrate::migrate_schema;
pub(crate) use roles::is_plain_identifier;
pub use roles::{RoleNames, ensure_roles};
pub use scope::{Scope, TenantId, begin_scoped};

use crate::breaker::Breaker;
use crate::config::DatabaseConfig;

/// Why the database could not be prepared. Messages name the setting at fault and
/// never contain a password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database.url is not set")]
    MissingUrl,
    #[error("{setting} is not a valid PostgreSQL url: {reason}")]
    InvalidUrl { setting: &'static str, reason: String },
    #[error("cannot connect to PostgreSQL at {target} ({setting}): {reason}")]
    Unreachable { setting: &'static str, target: String, reason: String },
    #[error("{0}")]
    InvalidName(String),
    #[error("database.{setting}: must be at least 1")]
    BelowOne { setting: &'static str },
    #[error("migrating schema {schema}: {source}")]
    Migrate {
        schema: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

/// Connections of one service: `app` for requests, `owner` for migrations and admin.
#[derive(Clone, Debug)]
pub struct Database {
    /// Runs as `app_role`; every request goes through [`Database::begin`].
    pub app: PgPool,
    /// Runs as the configured bootstrap user; migrations switch to `owner_role`.
    pub owner: PgPool,
    /// The roles in force.
    pub roles: RoleNames,
    /// How `app` connects, for callers that need a dedicated pool as the app role.
    pub app_options: PgConnectOptions,
    /// Fails transactions at once while PostgreSQL cannot be reached (see
    /// [`Database::begin`]).
    breaker: Arc<Breaker>,
    /// The schema whose `audit_outbox` audited calls write to (the service's own).
    audit_outbox: Option<Arc<str>>,
}

impl Database {
    /// Connects both pools, creating the roles first when `manage_roles` is on.
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, DbError> {
        if config.url.is_empty() {
            return Err(DbError::MissingUrl);
        }
        for (setting, value) in
            [("breaker_failures", u64::from(config.breaker_failures)), ("breaker_open_ms", config.breaker_open_ms)]
        {
            if value == 0 {
                return Err(DbError::BelowOne { setting });
            }
        }
        let roles = RoleNames::new(&config.owner_role, &config.app_role, &config.platform_role)?;
        let owner_options = parse_url("database.url", &config.url)?;
        let acquire = Duration::from_secs_f64(config.acquire_timeout_secs.max(0.1));
        // The owner pool serves migrations at start-up (and tools); its connections
        // close once idle, so a process hosting many services does not sit on them.
        let owner = PgPoolOptions::new()
            .max_connections(2)
            .idle_timeout(Duration::from_secs(5))
            .acquire_timeout(acquire)
            .connect_with(owner_options.clone())
            .await
            .map_err(|e| unreachable("database.url", &owner_options, e))?;
        if config.manage_roles {
            ensure_roles(&owner, &roles).await?;
        }
        let app_options = if config.app_url.is_empty() {
            owner_options.clone().username(roles.app()).password("")
        } else {
            parse_url("database.app_url", &config.app_url)?
        };
        let app = PgPoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .acquire_timeout(acquire)
            .connect_with(app_options.clone())
            .await
            .map_err(|e| unreachable("database.app_url", &app_options, e))?;
        let breaker = Breaker::new("postgres", config.breaker_failures, Duration::from_millis(config.breaker_open_ms));
        Ok(Self { app, owner, roles, app_options, breaker: Arc::new(breaker), audit_outbox: None })
    }

    /// This database with audited calls' records written to `schema`'s outbox.
    pub fn with_audit_outbox(mut self, schema: &str) -> Self {
        self.audit_outbox = Some(schema.into());
        self
    }

    /// The schema audited calls' records are written to, if any.
    pub fn audit_outbox(&self) -> Option<Arc<str>> {
        self.audit_outbox.clone()
    }

    /// Measures a round trip on the app pool (for health reports).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1").execute(&self.app).await.map(|_| ())
    }
}

fn parse_url(setting: &'static str, url: &str) -> Result<PgConnectOptions, DbError> {
    url.parse::<PgConnectOptions>()
        .map(|o| o.log_statements(tracing::log::LevelFilter::Debug))
        .map_err(|e| DbError::InvalidUrl { setting, reason: e.to_string() })
}

fn unreachable(setting: &'static str, options: &PgConnectOptions, error: sqlx::Error) -> DbError {
    DbError::Unreachable {
        setting,
        target: format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or("")),
        reason: error.to_string(),
    }
}

/// `text` with `%`, `_` and `\` escaped, so a search term is matched literally inside a
/// `like` pattern (PostgreSQL's default escape character is `\`).
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::like_escape;

    #[test]
    fn wildcards_and_the_escape_character_are_taken_literally() {
        assert_eq!(like_escape(r"50%_off\now"), r"50\%\_off\\now");
        assert_eq!(like_escape("acme"), "acme");
    }
}
