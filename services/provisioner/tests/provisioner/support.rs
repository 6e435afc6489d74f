//! The harness: a fresh database with the provisioner schema, deployments enqueued in
//! transactions the test opens itself, and worker pools configured per test.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy_deployments::queue::{self, DeploymentEvent, DeploymentKind, DeploymentRow, NewDeployment};
use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::testing::TestEnv;
use canopy_provisioner::config::{ExecutorKind, ProvisionerConfig, Secret};
use canopy_provisioner::executor::{AllowEveryPlan, PreApplyCheck};
use canopy_provisioner::worker::{WorkerPool, executors_from_config};
use canopy_terraform::{CloudProvider, SiteRuntime, SiteVariables};
use uuid::Uuid;

pub struct Harness {
    pub env: TestEnv,
    pub db: Database,
    /// The stand-in's counters, lock, call log and signal file.
    pub standin: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Harness {
        let env = TestEnv::new().await;
        let db = Database::connect(&env.config.database).await.expect("connect to the test database");
        migrate_schema(&db.owner, &db.roles, "provisioner", canopy_provisioner::migrator())
            .await
            .expect("migrate the provisioner schema");
        Harness { env, db, standin: tempfile::tempdir().expect("stand-in state dir") }
    }

    /// Fast timings for tests: a 2 s lease, 200 ms heartbeats, 100 ms retry base.
    pub fn config(&self, executor: ExecutorKind) -> ProvisionerConfig {
        ProvisionerConfig {
            executor,
            workers: 2,
            lease_secs: 2.0,
            heartbeat_secs: 0.2,
            poll_secs: 0.5,
            max_attempts: 3,
            retry_base_secs: 0.1,
            retry_max_secs: 1.0,
            cancel_grace_secs: 1.0,
            sandbox_step_millis: 5,
            ..ProvisionerConfig::default()
        }
    }

    /// A config running the stand-in as Terraform, with `settings` as its environment.
    pub fn standin_config(&self, settings: &[(&str, &str)]) -> ProvisionerConfig {
        let mut config = self.config(ExecutorKind::Terraform);
        config.terraform_bin = env!("CARGO_BIN_EXE_terraform-standin").to_owned();
        config.environment.insert("STANDIN_STATE_DIR".into(), Secret::new(self.standin.path().to_string_lossy()));
        config.environment.insert("STANDIN_SIGNAL_FILE".into(), Secret::new(self.signal_file().to_string_lossy()));
        for (name, value) in settings {
            config.environment.insert((*name).into(), Secret::new(*value));
        }
        config
    }

    pub fn signal_file(&self) -> PathBuf {
        self.standin.path().join("signals")
    }

    pub fn standin_calls(&self) -> String {
        std::fs::read_to_string(self.standin.path().join("calls.log")).unwrap_or_default()
    }

    pub async fn pool(&self, config: ProvisionerConfig) -> WorkerPool {
        self.pool_with_check(config, Arc::new(AllowEveryPlan)).await
    }

    pub async fn pool_with_check(&self, config: ProvisionerConfig, check: Arc<dyn PreApplyCheck>) -> WorkerPool {
        let executors = executors_from_config(&config, &self.env.config.database.url);
        WorkerPool::start(self.db.clone(), config, executors, check).await.expect("start the worker pool")
    }

    /// Enqueues in a transaction of the tenant's own scope, as the sites service would.
    pub async fn enqueue(&self, deployment: &NewDeployment) -> Result<(), queue::EnqueueError> {
        let mut tx = self.db.begin(Scope::Tenant(TenantId(deployment.tenant_id))).await?;
        queue::enqueue(&mut tx, deployment).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn deployment(&self, tenant_id: Uuid, id: Uuid) -> DeploymentRow {
        let mut tx = self.db.begin(Scope::Tenant(TenantId(tenant_id))).await.expect("begin");
        let row = queue::deployment(&mut tx, tenant_id, id).await.expect("read deployment");
        tx.commit().await.expect("commit");
        row.expect("deployment exists")
    }

    pub async fn events(&self, tenant_id: Uuid, id: Uuid) -> Vec<DeploymentEvent> {
        let mut tx = self.db.begin(Scope::Tenant(TenantId(tenant_id))).await.expect("begin");
        let events = queue::events_after(&mut tx, tenant_id, id, 0, 10_000).await.expect("read events");
        tx.commit().await.expect("commit");
        events
    }

    /// Waits until the deployment ends; panics with its log if it does not within 30 s.
    pub async fn until_finished(&self, tenant_id: Uuid, id: Uuid) -> DeploymentRow {
        self.until(tenant_id, id, |row| row.status.is_terminal()).await
    }

    pub async fn until(&self, tenant_id: Uuid, id: Uuid, done: impl Fn(&DeploymentRow) -> bool) -> DeploymentRow {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let row = self.deployment(tenant_id, id).await;
            if done(&row) {
                return row;
            }
            if Instant::now() > deadline {
                let log: Vec<String> = self.events(tenant_id, id).await.into_iter().map(|e| e.message).collect();
                panic!("deployment {id} did not get there; now {row:?}\nlog:\n{}", log.join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Valid variables of an AWS site for `tenant_id`/`site_id`.
pub fn site_variables(tenant_id: Uuid, site_id: Uuid, name: &str) -> SiteVariables {
    SiteVariables {
        site_id: site_id.to_string(),
        customer_id: tenant_id.to_string(),
        name: name.to_owned(),
        region: "us-east-1".into(),
        size: "small".into(),
        database_enabled: true,
        storage_enabled: false,
        runtime: SiteRuntime { image: "ghcr.io/canopy/hello:1".into(), port: 8080, env: Default::default() },
        tags: Default::default(),
    }
}

/// A deployment of a new site with fresh ids.
pub fn new_deployment(kind: DeploymentKind, sandbox: bool) -> NewDeployment {
    let tenant_id = Uuid::new_v4();
    let site_id = Uuid::new_v4();
    NewDeployment {
        tenant_id,
        site_id,
        deployment_id: Uuid::now_v7(),
        kind,
        provider: CloudProvider::Aws,
        sandbox,
        variables: site_variables(tenant_id, site_id, "shop").to_tfvars_json(),
        labels: Default::default(),
    }
}

/// Another deployment of the same site.
pub fn next_deployment(previous: &NewDeployment, kind: DeploymentKind) -> NewDeployment {
    NewDeployment { deployment_id: Uuid::now_v7(), kind, ..previous.clone() }
}

/// Messages of the log events only.
pub fn log_messages(events: &[DeploymentEvent]) -> Vec<String> {
    events.iter().map(|event| event.message.clone()).collect()
}
