//! Every service canopyd can run. A domain crate contributes its `ServiceSpec`
//! here; until then a service hosts the kit's surfaces (system, health, reflection)
//! over its own schema, so the mesh and its migrations are exercised end to end.

use canopy_kit::server::{ServiceContext, ServiceSpec};
use futures_util::FutureExt;
use sqlx::migrate::Migrator;
use tonic::service::Routes;

static SITES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sites");
static PROVISIONER_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/provisioner");

fn kit_surfaces_only(_context: ServiceContext) -> futures_util::future::BoxFuture<'static, anyhow::Result<Routes>> {
    async { Ok(Routes::builder().routes()) }.boxed()
}

/// Every service, in start-up order.
pub const SERVICES: &[ServiceSpec] = &[
    canopy_identity::SPEC,
    canopy_tenancy::SPEC,
    ServiceSpec {
        name: "sites",
        schema: Some("sites"),
        migrator: Some(&SITES_MIGRATIONS),
        grpc_services: &[],
        routes: kit_surfaces_only,
    },
    ServiceSpec {
        name: "provisioner",
        schema: Some("provisioner"),
        migrator: Some(&PROVISIONER_MIGRATIONS),
        grpc_services: &[],
        routes: kit_surfaces_only,
    },
];

/// Looks up services by name; the error names the unknown one and lists the known.
pub fn select(names: &[String]) -> Result<Vec<ServiceSpec>, String> {
    if names.is_empty() {
        return Ok(SERVICES.to_vec());
    }
    names
        .iter()
        .map(|name| {
            SERVICES.iter().find(|spec| spec.name == name).copied().ok_or_else(|| {
                let known: Vec<&str> = SERVICES.iter().map(|s| s.name).collect();
                format!("--services: unknown service {name:?} (known: {})", known.join(", "))
            })
        })
        .collect()
}
