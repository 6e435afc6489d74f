//! The policy service: policies as code, checked on every deployment's Terraform plan
//! before it is applied, in two tiers — the operator's guardrails and each customer's
//! own policies — with enforcement levels, overrides and compliance.
//!
//! Reading order: this file (configuration, wiring, the compliance job) → [`api`]
//! (handlers) → [`domain`] (turning a `PolicySpec` into a checked policy, the
//! decisions' rules) → [`engine`] (Rego: compiling, the built-in kinds, the policy
//! input, and the evaluator child process that runs untrusted Rego under time and
//! memory limits) → [`store`] (SQL).

pub mod api;
pub mod domain;
pub mod engine;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use canopy_kit::clock::SharedClock;
use canopy_kit::db::Database;
use canopy_kit::manifest::{Built, Job, Scaling, Schema, ServiceManifest};
use canopy_kit::peers::Peers;
use canopy_kit::server::ServiceContext;
use canopy_sdk::proto::canopy::policy::v1::compliance_service_server::ComplianceServiceServer;
use canopy_sdk::proto::canopy::policy::v1::plan_check_service_server::PlanCheckServiceServer;
use canopy_sdk::proto::canopy::policy::v1::policy_service_server::PolicyServiceServer;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use tonic::service::Routes;

use crate::engine::evaluator::{Evaluator, Limits};

/// The policy schema's migrations.
pub static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/policy");

/// How canopyd, the generators and tests know the service.
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "policy",
    schema: Some(Schema { name: "policy", migrator: &MIGRATIONS }),
    calls: &[],
    // Scopes naming a site are checked against the deployments the provisioner's
    // schema holds (every site has its create deployment): read through
    // `canopy_deployments::queue`, the schema's one API, as the sites service does.
    after: &["provisioner"],
    jobs: &["compliance"],
    build,
    dev_seed: None,
    scaling: Scaling::API,
    seals_secrets: false,
};

/// `[services.policy]` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PolicyConfig {
    /// The evaluator binary (`canopy-policy-evaluator`). Empty: `$CANOPY_POLICY_EVALUATOR`,
    /// else beside canopyd's own executable.
    pub evaluator: String,
    /// Time one policy may take to evaluate, in milliseconds.
    pub evaluation_time_ms: u64,
    /// Memory the evaluator process may use, in MiB.
    pub evaluation_memory_mib: u64,
    /// How long a run waits for an override of a soft-mandatory failure before it
    /// fails, in seconds.
    pub override_wait_secs: f64,
    /// How often stale compliance results are looked for, in milliseconds.
    pub compliance_interval_ms: u64,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            evaluator: String::new(),
            evaluation_time_ms: 1000,
            evaluation_memory_mib: 256,
            override_wait_secs: 86_400.0,
            compliance_interval_ms: 2000,
        }
    }
}

/// State the handlers and the job share.
pub struct Policies {
    pub database: Database,
    pub config: PolicyConfig,
    pub clock: SharedClock,
    pub evaluator: Evaluator,
    pub peers: Peers,
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let config: PolicyConfig = context.config.section("policy")?;
        anyhow::ensure!(config.evaluation_time_ms > 0, "services.policy.evaluation_time_ms: must be more than 0");
        anyhow::ensure!(
            config.evaluation_memory_mib >= 32,
            "services.policy.evaluation_memory_mib: must be at least 32"
        );
        anyhow::ensure!(
            config.override_wait_secs.is_finite() && config.override_wait_secs > 0.0,
            "services.policy.override_wait_secs: must be more than 0"
        );
        let command = if config.evaluator.is_empty() {
            engine::evaluator::locate_evaluator()
                .map_err(|error| anyhow::anyhow!("services.policy.evaluator: {error}"))?
        } else {
            config.evaluator.clone().into()
        };
        anyhow::ensure!(
            command.exists(),
            "services.policy.evaluator: {} does not exist (build it with `cargo build -p canopy-policy`)",
            command.display()
        );
        let limits = Limits { time_ms: config.evaluation_time_ms, memory_mib: config.evaluation_memory_mib };
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("policy needs its database"))?;
        let policies = Arc::new(Policies {
            database,
            evaluator: Evaluator { command: vec![command.into_os_string()], limits },
            config,
            clock: context.clock.clone(),
            peers: context.peers.clone(),
        });
        let compliance = Job::new("compliance", {
            let policies = policies.clone();
            move |stop| async move {
                let every = Duration::from_millis(policies.config.compliance_interval_ms.max(10));
                let mut ticks = tokio::time::interval(every);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                stop.run_until_cancelled(async {
                    loop {
                        ticks.tick().await;
                        if let Err(error) = domain::reevaluate_stale(&policies, 50).await {
                            tracing::warn!(error = format!("{error:#}"), "compliance pass failed");
                        }
                    }
                })
                .await;
            }
        });
        let routes = Routes::builder()
            .routes()
            .add_service(PolicyServiceServer::from_arc(Arc::new(api::PolicyApi(policies.clone()))))
            .add_service(ComplianceServiceServer::from_arc(Arc::new(api::ComplianceApi(policies.clone()))))
            .add_service(PlanCheckServiceServer::from_arc(Arc::new(api::PlanCheckApi(policies))));
        Ok(Built { routes, jobs: vec![compliance] })
    }
    .boxed()
}
