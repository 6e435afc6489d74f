//! The cost service: what each site will cost before it is deployed, and what it
//! actually costs on all five clouds, side by side.
//!
//! Reading order: this file (configuration, wiring, the jobs) → [`estimate`] (a
//! Terraform plan priced from the shipped price snapshot) → [`collect`] (the
//! collection runs: the clouds' billing APIs through `canopy-cost-collectors`, the
//! records and their rollups) → [`forecast`] and [`budget`] (pure rules, and the
//! budget pass) → [`api`] (handlers) → [`store`] (SQL).

pub mod api;
pub mod budget;
pub mod collect;
pub mod estimate;
pub mod forecast;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use canopy_cost_collectors::AccountConfig;
use canopy_kit::clock::SharedClock;
use canopy_kit::db::Database;
use canopy_kit::manifest::{Built, Job, Scaling, Schema, ServiceManifest};
use canopy_kit::server::ServiceContext;
use canopy_sdk::proto::canopy::cost::v1::budget_service_server::BudgetServiceServer;
use canopy_sdk::proto::canopy::cost::v1::cost_account_service_server::CostAccountServiceServer;
use canopy_sdk::proto::canopy::cost::v1::cost_service_server::CostServiceServer;
use canopy_sdk::proto::canopy::cost::v1::plan_estimate_service_server::PlanEstimateServiceServer;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

use crate::estimate::Snapshot;

/// The cost schema's migrations.
pub static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/cost");

/// How canopyd, the generators and tests know the service.
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "cost",
    schema: Some(Schema { name: "cost", migrator: &MIGRATIONS }),
    // Budget thresholds are alerts.
    calls: &[canopy_kit::events::EVENT_SINK],
    after: &[],
    jobs: &["collect", "budgets"],
    build,
    dev_seed: None,
    scaling: Scaling::API,
    seals_secrets: false,
};

/// `[services.cost]` settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostConfig {
    /// The reporting currency (ISO 4217): budgets are in it, reports sum it. Records in
    /// other currencies are kept but left out of reports.
    pub currency: String,
    /// An estimate made from a price snapshot older than this is flagged stale.
    pub snapshot_max_age_days: i64,
    /// The `terraform/` directory (EstimateSite plans the site template). Empty: the
    /// checkout canopyd was built from, else `./terraform`.
    pub terraform_root: String,
    /// The accounts costs are collected from, by name. The default is the sandbox
    /// collector alone, which only ever simulates sandbox sites.
    pub accounts: BTreeMap<String, AccountConfig>,
    /// How often each cloud account is collected, in seconds.
    pub collect_every_secs: f64,
    /// How often the sandbox account is collected, in seconds.
    pub sandbox_every_secs: f64,
    /// Days before yesterday re-collected by every scheduled run (clouds restate them).
    pub restate_days: u32,
    /// Days of simulated history a sandbox site gets before it first appeared.
    pub sandbox_history_days: u32,
    /// How often the collection worker looks for due runs, in milliseconds.
    pub worker_poll_ms: u64,
    /// Attempts before a failing run is given up.
    pub max_attempts: i32,
    /// Backoff after a failed attempt: `retry_base_secs × 2^(attempt-1)`, at most `retry_max_secs`.
    pub retry_base_secs: f64,
    pub retry_max_secs: f64,
    /// How often budgets are evaluated, in milliseconds.
    pub budget_interval_ms: u64,
}

impl Default for CostConfig {
    fn default() -> Self {
        Self {
            currency: "USD".into(),
            snapshot_max_age_days: 90,
            terraform_root: String::new(),
            accounts: BTreeMap::from([("sandbox".to_owned(), AccountConfig::Sandbox { currency: "USD".into() })]),
            collect_every_secs: 6.0 * 3600.0,
            sandbox_every_secs: 10.0,
            restate_days: 3,
            sandbox_history_days: 60,
            worker_poll_ms: 1000,
            max_attempts: 6,
            retry_base_secs: 30.0,
            retry_max_secs: 3600.0,
            budget_interval_ms: 60_000,
        }
    }
}

impl CostConfig {
    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            canopy_kit::money::minor_digits(&self.currency).is_some(),
            "services.cost.currency: {:?} is not an ISO 4217 code",
            self.currency
        );
        anyhow::ensure!(self.snapshot_max_age_days > 0, "services.cost.snapshot_max_age_days: must be more than 0");
        for (name, value) in [
            ("collect_every_secs", self.collect_every_secs),
            ("sandbox_every_secs", self.sandbox_every_secs),
            ("retry_base_secs", self.retry_base_secs),
            ("retry_max_secs", self.retry_max_secs),
        ] {
            anyhow::ensure!(value.is_finite() && value > 0.0, "services.cost.{name}: must be more than 0");
        }
        anyhow::ensure!(self.max_attempts > 0, "services.cost.max_attempts: must be more than 0");
        Ok(())
    }

    /// The `terraform/` directory, absolute.
    pub fn terraform_root(&self) -> std::path::PathBuf {
        if self.terraform_root.is_empty() {
            return canopy_terraform::default_root();
        }
        let root = std::path::PathBuf::from(&self.terraform_root);
        std::path::absolute(&root).unwrap_or(root)
    }
}

/// State the handlers and the jobs share.
pub struct Costs {
    pub database: Database,
    pub config: CostConfig,
    pub clock: SharedClock,
    pub snapshot: Snapshot,
    /// The site templates' catalogue: providers, regions, sizes.
    pub contract: canopy_terraform::SiteContract,
    pub accounts: collect::Accounts,
}

impl Costs {
    /// The service's state from its configuration (checked).
    pub fn new(database: Database, config: CostConfig, clock: SharedClock) -> anyhow::Result<Self> {
        config.validate()?;
        let contract = canopy_terraform::SiteContract::load(&config.terraform_root())
            .map_err(|error| anyhow::anyhow!("services.cost.terraform_root: {error}"))?;
        let accounts = collect::Accounts::from_config(&config)?;
        Ok(Self { database, config, clock, snapshot: Snapshot::shipped(), contract, accounts })
    }
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let config: CostConfig = context.config.section("cost")?;
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("cost needs its database"))?;
        let costs = Arc::new(Costs::new(database, config, context.clock.clone())?);
        let collect = Job::new("collect", {
            let costs = costs.clone();
            move |stop| async move {
                stop.run_until_cancelled(collect::run_forever(costs)).await;
            }
        });
        let budgets = Job::new("budgets", {
            let costs = costs.clone();
            move |stop| async move {
                let every = Duration::from_millis(costs.config.budget_interval_ms.max(10));
                let mut ticks = tokio::time::interval(every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                stop.run_until_cancelled(async {
                    loop {
                        ticks.tick().await;
                        if let Err(error) = budget::evaluate_all(&costs).await {
                            tracing::warn!(error = format!("{error:#}"), "budget pass failed");
                        }
                    }
                })
                .await;
            }
        });
        let routes = Routes::builder()
            .routes()
            .add_service(CostServiceServer::from_arc(Arc::new(api::CostApi(costs.clone()))))
            .add_service(BudgetServiceServer::from_arc(Arc::new(api::BudgetApi(costs.clone()))))
            .add_service(CostAccountServiceServer::from_arc(Arc::new(api::AccountApi(costs.clone()))))
            .add_service(PlanEstimateServiceServer::from_arc(Arc::new(api::PlanEstimateApi(costs))));
        Ok(Built { routes, jobs: vec![collect, budgets] })
    }
    .boxed()
}

/// Micros in one minor unit of `currency` (10,000 for cents); 1 for an unknown code,
/// which validation refuses before it gets here.
pub fn minor_unit_micros(currency: &str) -> i64 {
    canopy_kit::money::micros_per_minor_unit(currency).unwrap_or(1)
}

/// An amount for people: "USD 12.34".
pub fn format_micros(micros: i64, currency: &str) -> String {
    let digits = canopy_kit::money::minor_digits(currency).unwrap_or(2) as usize;
    format!("{currency} {:.digits$}", micros as f64 / estimate::MICROS)
}
