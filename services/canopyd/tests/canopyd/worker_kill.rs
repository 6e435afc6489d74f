//! A provisioner worker *process* killed mid-deployment: its lease expires, another
//! worker re-claims the run and finishes it, and the run's attempts record what
//! happened. (Fencing of a late result from a worker that lost its lease is shown in
//! the provisioner's own tests; a SIGKILLed process cannot send one.)

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy_deployments::queue::{self, DeploymentStatus};
use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::testing::TestEnv;
use canopy_provisioner::runs;
use canopy_provisioner::worker::{WorkerPool, executors_from_config};
use canopy_provisioner::{ProvisionerConfig, executor::AllowEveryPlan};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use uuid::Uuid;

use crate::support::canopyd;

async fn deployment(database: &Database, tenant: Uuid, id: Uuid) -> queue::DeploymentRow {
    let mut tx = database.begin(Scope::Tenant(TenantId(tenant))).await.unwrap();
    queue::deployment(&mut tx, tenant, id).await.unwrap().expect("deployment exists")
}

#[tokio::test]
async fn a_worker_process_killed_mid_deployment_is_replaced_and_the_run_finishes() {
    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await.unwrap();
    migrate_schema(&database.owner, &database.roles, "provisioner", canopy_provisioner::migrator()).await.unwrap();

    let (tenant, id) = crate::support::enqueue_sandbox_deployment(&database, "killed-worker").await;

    // A worker in its own process, slow enough to be caught mid-deployment.
    let mut worker = canopyd()
        .args(["run", "--services", "provisioner"])
        .env("DATABASE_URL", &env.config.database.url)
        .env("REDIS_URL", &env.config.redis.url)
        .env("CANOPY_MESH__PKI_DIR", env.pki.dir())
        // The worker calls no peer in this test; its kit still needs their addresses.
        .env("CANOPY_MESH__PEERS__IDENTITY", "https://127.0.0.1:9")
        .env("CANOPY_MESH__PEERS__TENANCY", "https://127.0.0.1:9")
        .env("CANOPY_MESH__PEERS__AUDIT", "https://127.0.0.1:9")
        .env("CANOPY_MESH__PEERS__POLICY", "https://127.0.0.1:9")
        .env("CANOPY_MESH__PEERS__COST", "https://127.0.0.1:9")
        // Alone, without the policy and cost services: plans are applied unchecked here.
        .env("CANOPY_SERVICES__PROVISIONER__POLICY_CHECKS", "false")
        .env("CANOPY_TELEMETRY__OPS_LISTEN", "")
        .env("CANOPY_SERVICES__PROVISIONER__SANDBOX_STEP_MILLIS", "400")
        .env("CANOPY_SERVICES__PROVISIONER__LEASE_SECS", "2")
        .env("CANOPY_SERVICES__PROVISIONER__HEARTBEAT_SECS", "0.5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn a canopyd provisioner worker");

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let current = deployment(&database, tenant, id).await;
        let mut tx = database.begin(Scope::Tenant(TenantId(tenant))).await.unwrap();
        let events = queue::events_after(&mut tx, tenant, id, 0, 1000).await.unwrap();
        drop(tx);
        if current.status == DeploymentStatus::Running && events.len() >= 4 {
            break;
        }
        assert!(worker.try_wait().unwrap().is_none(), "the worker process exited early");
        assert!(Instant::now() < deadline, "the worker never got going: {current:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    kill(Pid::from_raw(worker.id() as i32), Signal::SIGKILL).unwrap();
    worker.wait().unwrap();
    let interrupted = deployment(&database, tenant, id).await;
    assert_eq!(interrupted.status, DeploymentStatus::Running, "killed mid-deployment");

    // Another worker takes over once the dead one's lease has expired.
    let config = ProvisionerConfig {
        workers: 1,
        lease_secs: 2.0,
        heartbeat_secs: 0.5,
        poll_secs: 0.5,
        sandbox_step_millis: 5,
        ..Default::default()
    };
    let executors = executors_from_config(&config, &env.config.database.url);
    let pool = WorkerPool::start(database.clone(), config, executors, Arc::new(AllowEveryPlan)).await.unwrap();
    let finished = loop {
        let current = deployment(&database, tenant, id).await;
        if current.status.is_terminal() {
            break current;
        }
        assert!(Instant::now() < deadline, "the run was never finished: {current:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    pool.shutdown().await;
    assert_eq!(finished.status, DeploymentStatus::Succeeded, "{finished:?}");

    let mut tx = database.begin(Scope::Tenant(TenantId(tenant))).await.unwrap();
    let attempts = runs::run_attempts(&mut tx, tenant, id).await.unwrap();
    let outcomes: Vec<(i32, &str)> = attempts.iter().map(|a| (a.attempt, a.outcome.as_str())).collect();
    assert_eq!(outcomes, [(1, "lease expired"), (2, "succeeded")]);
    assert_ne!(attempts[0].worker, attempts[1].worker);
    assert!(attempts[1].lease_version > attempts[0].lease_version, "the new claim fenced the old one");
}
