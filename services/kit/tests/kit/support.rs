//! Specs for a test service hosting only the kit's surfaces.

use canopy_kit::manifest::{Built, Scaling, Schema, ServiceManifest};
use canopy_kit::server::ServiceContext;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

pub static FIXTURE_MIGRATIONS: Migrator = sqlx::migrate!("tests/kit/fixtures/migrations");

fn no_routes(_: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async { Ok(Built::routes(Routes::builder().routes())) }.boxed()
}

/// The `identity` workload hosting the kit surfaces over the fixture schema.
pub fn spec(name: &'static str) -> ServiceManifest {
    ServiceManifest {
        name,
        schema: Some(Schema { name: "fixture", migrator: &FIXTURE_MIGRATIONS }),
        calls: &[],
        after: &[],
        jobs: &[],
        build: no_routes,
        dev_seed: None,
        scaling: Scaling::API,
        seals_secrets: false,
    }
}
