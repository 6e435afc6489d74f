//! The tenancy service.

use canopy_kit::server::{ServiceContext, ServiceSpec};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/tenancy");

/// How canopyd and tests host the service.
pub const SPEC: ServiceSpec =
    ServiceSpec { name: "tenancy", schema: Some("tenancy"), migrator: Some(&MIGRATIONS), grpc_services: &[], routes };

fn routes(_context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Routes>> {
    async { Ok(Routes::builder().routes()) }.boxed()
}
