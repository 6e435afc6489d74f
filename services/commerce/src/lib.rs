//! The commerce service: a site's connections to its stores on Shopify, WooCommerce
//! and BigCommerce (`canopy.commerce.v1`).
//!
//! Reading order: this file (configuration, wiring, the jobs) → [`connect`] (a
//! connection form's values checked and turned into a store client call, through
//! `canopy-commerce-platforms`) → [`health`] (the scheduled checks, their history, and
//! the alert on a change) → [`api`] (handlers) → [`store`] (SQL).
//!
//! Credentials are sealed with the kit's envelope encryption ([`canopy_kit::secrets`])
//! before they touch the database, bound to their row, and are opened only to call the
//! store. Nothing returns them: responses carry hints.

pub mod api;
pub mod connect;
pub mod health;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use canopy_kit::clock::SharedClock;
use canopy_kit::db::Database;
use canopy_kit::manifest::{Built, Job, Scaling, Schema, ServiceManifest};
use canopy_kit::redis_store::RedisStore;
use canopy_kit::secrets::{EncryptedColumn, Secrets};
use canopy_kit::server::ServiceContext;
use canopy_sdk::proto::canopy::commerce::v1::integration_service_server::IntegrationServiceServer;
use canopy_sdk::proto::canopy::commerce::v1::key_rotation_service_server::KeyRotationServiceServer;
use canopy_sdk::proto::canopy::commerce::v1::platform_service_server::PlatformServiceServer;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

/// The commerce schema's migrations.
pub static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/commerce");

/// The gRPC service commerce asks whether a site is the customer's.
pub const SITE_DIRECTORY: &str = "canopy.sites.v1.SiteDirectoryService";

/// How canopyd, the generators and tests know the service.
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "commerce",
    schema: Some(Schema { name: "commerce", migrator: &MIGRATIONS }),
    // A store turning unhealthy is an alert; a site must be the customer's.
    calls: &[canopy_kit::events::EVENT_SINK, SITE_DIRECTORY],
    after: &[],
    jobs: &["health", canopy_kit::secrets::ROTATION_JOB],
    build,
    dev_seed: None,
    scaling: Scaling::API,
    seals_secrets: true,
};

/// The column holding sealed credentials, for the key-rotation pass.
pub const CREDENTIALS: EncryptedColumn =
    EncryptedColumn { table: "integration", id_column: "id", tenant_column: "tenant_id", column: "credentials" };

/// `[services.commerce]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommerceConfig {
    /// Seconds between scheduled checks of a healthy integration.
    pub check_every_secs: f64,
    /// Seconds between checks of an unhealthy one, so a fix is noticed sooner.
    pub unhealthy_check_every_secs: f64,
    /// How often the health worker looks for due checks, in milliseconds.
    pub worker_poll_ms: u64,
    /// The longest a store may take to answer one check, in seconds.
    pub check_timeout_secs: f64,
    /// Days of check history kept per integration.
    pub history_keep_days: i64,
    /// Store URLs may be plain `http://` (development only: credentials would cross the
    /// network in the clear).
    pub allow_http: bool,
    /// Store addresses may be loopback, private, link-local or metadata addresses
    /// (development and tests only: otherwise a store URL could reach inside the
    /// platform's network).
    pub allow_private_addresses: bool,
    /// The domain every Shopify shop domain ends with.
    pub shopify_domain_suffix: String,
    /// Shopify's Admin API for every shop, instead of `https://<shop domain>` (tests: a
    /// local stand-in).
    pub shopify_base_url: String,
    /// BigCommerce's API.
    pub bigcommerce_api_url: String,
    /// Access scopes a Shopify app must hold; a check reports any missing.
    pub shopify_required_scopes: Vec<String>,
}

impl Default for CommerceConfig {
    fn default() -> Self {
        Self {
            check_every_secs: 900.0,
            unhealthy_check_every_secs: 300.0,
            worker_poll_ms: 1000,
            check_timeout_secs: 15.0,
            history_keep_days: 90,
            allow_http: false,
            allow_private_addresses: false,
            shopify_domain_suffix: "myshopify.com".into(),
            shopify_base_url: String::new(),
            bigcommerce_api_url: "https://api.bigcommerce.com".into(),
            shopify_required_scopes: vec!["read_products".into(), "read_orders".into()],
        }
    }
}

impl CommerceConfig {
    fn validate(&self) -> anyhow::Result<()> {
        for (name, value) in [
            ("check_every_secs", self.check_every_secs),
            ("unhealthy_check_every_secs", self.unhealthy_check_every_secs),
            ("check_timeout_secs", self.check_timeout_secs),
        ] {
            anyhow::ensure!(value.is_finite() && value > 0.0, "services.commerce.{name}: must be more than 0");
        }
        anyhow::ensure!(self.history_keep_days > 0, "services.commerce.history_keep_days: must be more than 0");
        anyhow::ensure!(
            !self.shopify_domain_suffix.is_empty() && !self.shopify_domain_suffix.starts_with('.'),
            "services.commerce.shopify_domain_suffix: a domain such as myshopify.com"
        );
        Ok(())
    }

    pub fn check_every(&self) -> Duration {
        Duration::from_secs_f64(self.check_every_secs)
    }

    pub fn unhealthy_check_every(&self) -> Duration {
        Duration::from_secs_f64(self.unhealthy_check_every_secs)
    }
}

/// State the handlers and the jobs share.
pub struct Commerce {
    pub database: Database,
    pub redis: RedisStore,
    pub peers: canopy_kit::peers::Peers,
    pub config: CommerceConfig,
    pub clock: SharedClock,
    pub secrets: Arc<Secrets>,
    pub stores: connect::Stores,
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let config: CommerceConfig = context.config.section("commerce")?;
        config.validate()?;
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("commerce needs its database"))?;
        let secrets = Arc::new(context.secrets(MANIFEST.name, &[CREDENTIALS]).await?);
        let stores = connect::Stores::new(&config, context.clock.clone())?;
        let commerce = Arc::new(Commerce {
            database,
            redis: context.redis.clone(),
            peers: context.peers.clone(),
            config,
            clock: context.clock.clone(),
            secrets: secrets.clone(),
            stores,
        });
        let health = Job::new("health", {
            let commerce = commerce.clone();
            move |stop| async move {
                stop.run_until_cancelled(health::run_forever(commerce)).await;
            }
        });
        let rotation = secrets.clone().rotation_job(commerce.database.clone(), Some(commerce.redis.clone()));
        let routes = Routes::builder()
            .routes()
            .add_service(PlatformServiceServer::from_arc(Arc::new(api::PlatformApi(commerce.clone()))))
            .add_service(IntegrationServiceServer::from_arc(Arc::new(api::IntegrationApi(commerce.clone()))))
            .add_service(KeyRotationServiceServer::from_arc(Arc::new(api::KeyRotationApi(commerce))));
        Ok(Built { routes, jobs: vec![health, rotation] })
    }
    .boxed()
}
