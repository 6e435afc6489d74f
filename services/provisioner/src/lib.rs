//! The provisioner: deployments on a durable queue in PostgreSQL, carried out by a pool
//! of workers with leases and fencing, through the Terraform or sandbox executor.
//!
//! Reading order: [`queue`] (the schema's API: what the sites service calls, and the
//! fenced writes workers make) → [`worker`] (claiming, heartbeats, retries, NOTIFY) →
//! [`executor`] (the trait, [`executor::sandbox`], [`executor::terraform`]) →
//! [`workspace`] (the generated root module and variables file). [`config`] documents
//! `[services.provisioner]`. The provisioner hosts no domain gRPC service: the sites
//! service owns the API and calls [`queue`] in its own transactions.

#![forbid(unsafe_code)]

pub mod config;
pub mod executor;
pub mod queue;
pub mod worker;
pub mod workspace;

use std::sync::Arc;

use canopy_kit::server::{ServiceContext, ServiceSpec};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

pub use config::ProvisionerConfig;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/provisioner");

/// How canopyd and tests host the service: its schema, and a worker pool started with
/// its routes (the kit adds system, health and reflection).
pub const SPEC: ServiceSpec = ServiceSpec {
    name: "provisioner",
    schema: Some("provisioner"),
    migrator: Some(&MIGRATIONS),
    grpc_services: &[],
    routes,
};

/// The provisioner's migrations, for tests and tools that migrate without hosting it.
pub fn migrator() -> &'static Migrator {
    &MIGRATIONS
}

fn routes(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Routes>> {
    async move {
        let config: ProvisionerConfig = context.config.section("provisioner")?;
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("the provisioner needs its database"))?;
        let executors = worker::executors_from_config(&config, &context.config.database.url);
        let pool = worker::WorkerPool::start(database, config, executors, Arc::new(executor::AllowEveryPlan)).await?;
        tracing::info!(pool = %pool.id, "provisioner workers started");
        // The kit has no stop hook for background work yet; like tenancy's mail sender,
        // the pool lives as long as the process. Runs in progress at exit are resumed by
        // another worker once their lease expires.
        std::mem::forget(pool);
        Ok(Routes::builder().routes())
    }
    .boxed()
}
