//! The provisioner: deployments on a durable queue in PostgreSQL, carried out by a pool
//! of workers with leases and fencing, through the Terraform or sandbox executor.
//!
//! Reading order: [`runs`] (claiming a run and the fenced writes workers make) →
//! [`worker`] (the pool: heartbeats, retries, NOTIFY) → [`executor`] (the trait,
//! [`executor::sandbox`], [`executor::terraform`]) → [`workspace`] (the generated root
//! module and variables file). [`config`] documents `[services.provisioner]`.
//!
//! The deployments themselves — their types, the enqueue and reads the sites service
//! calls in its own transactions, and the schema's migrations — are the
//! `canopy-deployments` crate, so sites builds without the executors. The provisioner
//! hosts no domain gRPC service: the sites service owns the API.

#![forbid(unsafe_code)]

pub mod config;
pub mod cost_estimate;
pub mod executor;
pub mod policy_check;
pub mod runs;
pub mod worker;
pub mod workspace;

use std::sync::Arc;

use canopy_kit::manifest::{Built, Job, Scaling, Schema, ServiceManifest};
use canopy_kit::server::ServiceContext;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

pub use config::ProvisionerConfig;

/// How canopyd, the generators and tests know the service: its schema, and its
/// worker pool as a job (the kit adds system, health and reflection).
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "provisioner",
    schema: Some(Schema { name: "provisioner", migrator: canopy_deployments::migrator() }),
    calls: &["canopy.policy.v1.PlanCheckService", "canopy.cost.v1.PlanEstimateService"],
    after: &[],
    jobs: &["workers"],
    build,
    dev_seed: None,
    // Workers scale out as replicas; each runs Terraform, so give them room.
    scaling: Scaling {
        min_replicas: 2,
        max_replicas: 10,
        cpu_request: "250m",
        memory_request: "256Mi",
        cpu_limit: "2",
        memory_limit: "2Gi",
    },
    seals_secrets: false,
};

/// The provisioner's migrations (owned by `canopy-deployments`), for tests and tools
/// that migrate without hosting it.
pub fn migrator() -> &'static Migrator {
    canopy_deployments::migrator()
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let config: ProvisionerConfig = context.config.section("provisioner")?;
        config.validate()?;
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("the provisioner needs its database"))?;
        let executors = worker::executors_from_config(&config, &context.config.database.url);
        let checkpoint: Arc<dyn executor::PreApplyCheck> = if config.policy_checks {
            Arc::new(policy_check::PolicyCheckpoint::new(
                context.peers.clone(),
                std::time::Duration::from_secs_f64(config.policy_poll_secs),
            ))
        } else {
            tracing::warn!("services.provisioner.policy_checks is off: plans are applied without any policy check");
            Arc::new(executor::AllowEveryPlan)
        };
        let workers = Job::new("workers", move |stop| async move {
            // The pool starts once the service serves, and is started again if its
            // LISTEN connection cannot be opened (PostgreSQL restarting).
            let pool = loop {
                let started =
                    worker::WorkerPool::start(database.clone(), config.clone(), executors.clone(), checkpoint.clone());
                match stop.run_until_cancelled(started).await {
                    None => return,
                    Some(Ok(pool)) => break pool,
                    Some(Err(error)) => {
                        tracing::warn!(error = format!("{error:#}"), "provisioner workers could not start; retrying")
                    }
                }
                if stop.run_until_cancelled(tokio::time::sleep(std::time::Duration::from_secs(1))).await.is_none() {
                    return;
                }
            };
            tracing::info!(pool = %pool.id, "provisioner workers started");
            stop.cancelled().await;
            // Runs in progress are stopped and left to another worker once their
            // lease expires.
            pool.shutdown().await;
            tracing::info!("provisioner workers stopped");
        });
        Ok(Built { routes: Routes::builder().routes(), jobs: vec![workers] })
    }
    .boxed()
}
