//! Specs for a test service hosting only the kit's surfaces.

use canopy_kit::server::{ServiceContext, ServiceSpec};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

pub static FIXTURE_MIGRATIONS: Migrator = sqlx::migrate!("tests/kit/fixtures/migrations");

fn no_routes(_: ServiceContext) -> BoxFuture<'static, anyhow::Result<Routes>> {
    async { Ok(Routes::builder().routes()) }.boxed()
}

/// The `identity` workload hosting the kit surfaces over the fixture schema.
pub fn spec(name: &'static str) -> ServiceSpec {
    ServiceSpec {
        name,
        schema: Some("fixture"),
        migrator: Some(&FIXTURE_MIGRATIONS),
        grpc_services: &[],
        routes: no_routes,
    }
}
