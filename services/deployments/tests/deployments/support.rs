//! The harness: a fresh database with the provisioner schema, and deployments enqueued
//! in transactions of their tenant's scope, as the sites service would.

use canopy_deployments::queue::{self, DeploymentKind, NewDeployment};
use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::testing::TestEnv;
use canopy_terraform::{CloudProvider, SiteRuntime, SiteVariables};
use uuid::Uuid;

pub struct Harness {
    // Held for its database, which lives as long as the harness.
    _env: TestEnv,
    pub db: Database,
}

impl Harness {
    pub async fn new() -> Harness {
        let env = TestEnv::new().await;
        let db = Database::connect(&env.config.database).await.expect("connect to the test database");
        migrate_schema(&db.owner, &db.roles, "provisioner", canopy_deployments::migrator())
            .await
            .expect("migrate the provisioner schema");
        Harness { _env: env, db }
    }

    /// Enqueues in a transaction of the tenant's own scope, as the sites service would.
    pub async fn enqueue(&self, deployment: &NewDeployment) -> Result<(), queue::EnqueueError> {
        let mut tx = self.db.begin(Scope::Tenant(TenantId(deployment.tenant_id))).await?;
        queue::enqueue(&mut tx, deployment).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn events(&self, tenant_id: Uuid, id: Uuid) -> Vec<queue::DeploymentEvent> {
        let mut tx = self.db.begin(Scope::Tenant(TenantId(tenant_id))).await.expect("begin");
        let events = queue::events_after(&mut tx, tenant_id, id, 0, 10_000).await.expect("read events");
        tx.commit().await.expect("commit");
        events
    }
}

/// A deployment of a new AWS site with fresh ids.
pub fn new_deployment(kind: DeploymentKind, sandbox: bool) -> NewDeployment {
    let tenant_id = Uuid::new_v4();
    let site_id = Uuid::new_v4();
    let variables = SiteVariables {
        site_id: site_id.to_string(),
        customer_id: tenant_id.to_string(),
        name: "shop".into(),
        region: "us-east-1".into(),
        size: "small".into(),
        database_enabled: true,
        storage_enabled: false,
        runtime: SiteRuntime { image: "ghcr.io/canopy/hello:1".into(), port: 8080, env: Default::default() },
        tags: Default::default(),
    };
    NewDeployment {
        tenant_id,
        site_id,
        deployment_id: Uuid::now_v7(),
        kind,
        provider: CloudProvider::Aws,
        sandbox,
        variables: variables.to_tfvars_json(),
        labels: Default::default(),
    }
}

/// Another deployment of the same site.
pub fn next_deployment(previous: &NewDeployment, kind: DeploymentKind) -> NewDeployment {
    NewDeployment { deployment_id: Uuid::now_v7(), kind, ..previous.clone() }
}
