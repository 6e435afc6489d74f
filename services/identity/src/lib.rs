//! The identity service: users and their roles, sign-in with passwords and TOTP,
//! sessions and refresh-token families, lockout, API keys, and the signing keys and
//! API-key checks every other service relies on (`canopy.identity.v1`).
//!
//! Reading order: this file wires the service; [`api`] holds the gRPC handlers;
//! [`domain`] the rules (no I/O); [`store`] the SQL; [`keys`], [`sessions`],
//! [`passwords`] and [`address_lockout`] the stateful pieces behind the handlers.

mod address_lockout;
mod api;
pub mod config;
pub mod domain;
mod events;
mod keys;
pub mod passwords;
pub mod reseal;
mod seed;
mod sessions;
mod store;

use std::collections::BTreeSet;
use std::sync::Arc;

use anyhow::Context as _;
use canopy_kit::clock::SharedClock;
use canopy_kit::db::Database;
use canopy_kit::manifest::{Built, Scaling, Schema, ServiceManifest};
use canopy_kit::redis_store::RedisStore;
use canopy_kit::server::ServiceContext;
use canopy_sdk::proto::canopy::identity::v1::api_key_service_server::ApiKeyServiceServer;
use canopy_sdk::proto::canopy::identity::v1::auth_service_server::AuthServiceServer;
use canopy_sdk::proto::canopy::identity::v1::credential_service_server::CredentialServiceServer;
use canopy_sdk::proto::canopy::identity::v1::user_contact_service_server::UserContactServiceServer;
use canopy_sdk::proto::canopy::identity::v1::user_service_server::UserServiceServer;
use chrono::Duration;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

pub use config::IdentityConfig;
pub use seed::{SeedError, ensure_platform_admin};

use crate::address_lockout::AddressLockout;
use crate::domain::lockout::LockoutPolicy;
use crate::domain::password::PasswordPolicy;
use crate::domain::sealing::KeyEncryptionKey;
use crate::events::SecurityEvent;
use crate::keys::{KeyChanges, SigningKeys};
use crate::passwords::PasswordHasher;
use crate::sessions::Sessions;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/identity");

/// How canopyd, the generators and tests know the service.
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "identity",
    schema: Some(Schema { name: "identity", migrator: &MIGRATIONS }),
    // Lockouts and reused refresh tokens are published as events for alerting.
    calls: &[canopy_kit::events::EVENT_SINK],
    after: &[],
    jobs: &[canopy_kit::secrets::ROTATION_JOB],
    build,
    dev_seed: Some(seed_dev_admin),
    scaling: Scaling::API,
    seals_secrets: true,
};

/// The email of the platform admin `canopyd dev` creates on first start.
pub const DEV_ADMIN_EMAIL: &str = "admin@canopy.localhost";

/// Creates the first platform admin if there is none; its login is printed once.
fn seed_dev_admin(database: Database) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
    async move {
        let password = ensure_platform_admin(&database, DEV_ADMIN_EMAIL).await?;
        Ok(password.map(|password| {
            format!(
                "First platform admin (shown once, stored only hashed): {DEV_ADMIN_EMAIL} / {password}\n\
                 Sign in through the gateway with identity's Login and change the password."
            )
        }))
    }
    .boxed()
}

/// Everything the handlers share.
pub(crate) struct Identity {
    pub config: IdentityConfig,
    pub database: Database,
    pub clock: SharedClock,
    /// TOTP secrets' envelope encryption ([`reseal`]).
    pub secrets: Arc<canopy_kit::secrets::Secrets>,
    pub keys: SigningKeys,
    pub sessions: Sessions,
    pub hasher: PasswordHasher,
    pub password_policy: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub address_lockout: AddressLockout,
    /// Full names of every Canopy gRPC service (API-key scopes must name these).
    pub known_services: BTreeSet<String>,
    /// The kit's authenticator; sign-in asks its tenant-access guard whether a
    /// customer's users may sign in at all.
    pub auth: Arc<canopy_kit::auth::Authenticator>,
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let database = context.database.clone().context("identity needs its database schema")?;
        let secrets = Arc::new(context.secrets("identity", &[reseal::ACTIVE, reseal::PENDING]).await?);
        let rotation = secrets.clone().rotation_job(database, Some(context.redis.clone()));
        Ok(Built { routes: routes(context, secrets).await?, jobs: vec![rotation] })
    }
    .boxed()
}

async fn routes(context: ServiceContext, secrets: Arc<canopy_kit::secrets::Secrets>) -> anyhow::Result<Routes> {
    let config: IdentityConfig = context.config.section("identity")?;
    let kek = KeyEncryptionKey::new(&config.validate()?);
    let database = context.database.clone().context("identity needs its database schema")?;
    reseal::reseal_legacy(&database, &kek, &secrets).await?;
    let (keys, changes) = SigningKeys::start(database.clone(), kek.clone(), context.clock.clone()).await?;
    record_key_changes(&database, &context.clock, &changes, "system").await?;
    let lockout = LockoutPolicy {
        threshold: config.lockout_threshold,
        base: Duration::seconds(config.lockout_base_secs as i64),
        max: Duration::seconds(config.lockout_max_secs as i64),
        max_failures_per_hour: config.max_failures_per_hour,
    };
    let known_services = context
        .policies
        .iter()
        .filter_map(|(path, _)| path.trim_start_matches('/').split('/').next().map(str::to_string))
        .collect();
    let identity = Arc::new(Identity {
        sessions: Sessions::new(context.sessions.clone(), context.redis.clone(), context.clock.clone(), &config),
        address_lockout: address_lockout(&context.redis, &config, lockout),
        hasher: PasswordHasher::new().await?,
        password_policy: PasswordPolicy::new(),
        config,
        database,
        clock: context.clock.clone(),
        secrets,
        keys,
        lockout,
        known_services,
        auth: context.auth.clone(),
    });
    Ok(Routes::new(AuthServiceServer::new(api::auth::AuthApi::new(identity.clone())))
        .add_service(UserServiceServer::new(api::users::UserApi::new(identity.clone())))
        .add_service(ApiKeyServiceServer::new(api::api_keys::ApiKeyApi::new(identity.clone())))
        .add_service(UserContactServiceServer::new(api::contacts::UserContactApi::new(identity.clone())))
        .add_service(CredentialServiceServer::new(api::credentials::CredentialApi::new(identity))))
}

fn address_lockout(redis: &RedisStore, config: &IdentityConfig, lockout: LockoutPolicy) -> AddressLockout {
    AddressLockout::new(redis.clone(), config.address_lockout_threshold, lockout)
}

/// Security events for keys created, activated or retired.
pub(crate) async fn record_key_changes(
    database: &Database,
    clock: &SharedClock,
    changes: &KeyChanges,
    actor: &str,
) -> Result<(), sqlx::Error> {
    let now = clock.now();
    for kid in &changes.created {
        let event = SecurityEvent::new("signing_key_created").actor(actor).detail("kid", kid.as_str());
        events::record_alone(database, &event, now).await?;
    }
    if changes.retired.is_some() || changes.activated.is_some() {
        let event = SecurityEvent::new("signing_key_rotated")
            .actor(actor)
            .detail("activated_kid", changes.activated.clone())
            .detail("retired_kid", changes.retired.clone());
        events::record_alone(database, &event, now).await?;
    }
    Ok(())
}
