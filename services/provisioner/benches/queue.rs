//! Queue benchmark (not a test): runs claimed and completed per second with N workers
//! and a no-op executor, and enqueue→claim latency of an idle worker woken by NOTIFY,
//! each beside a bare `SELECT … FOR UPDATE SKIP LOCKED` loop on the same table in the
//! same run. Prints a markdown table and writes `bench-provisioner.md` to the target directory.
//!
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p canopy-provisioner --bench queue`

use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy_deployments::queue::{self, DeploymentKind, NewDeployment};
use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::testing::TestEnv;
use canopy_provisioner::config::{ExecutorKind, ProvisionerConfig};
use canopy_provisioner::executor::{AllowEveryPlan, ExecError, Executor, Job, Outputs, RunContext};
use canopy_provisioner::worker::{Executors, WorkerPool};
use canopy_terraform::CloudProvider;
use futures_util::future::BoxFuture;
use uuid::Uuid;

const RUNS_PER_CASE: usize = 1000;
const LATENCY_SAMPLES: usize = 200;

struct NoopExecutor;

impl Executor for NoopExecutor {
    fn name(&self) -> &'static str {
        "noop"
    }

    fn execute<'a>(&'a self, _job: &'a Job, _context: &'a RunContext) -> BoxFuture<'a, Result<Outputs, ExecError>> {
        Box::pin(async { Ok(Outputs::new()) })
    }
}

fn deployment(tenant_id: Uuid) -> NewDeployment {
    NewDeployment {
        tenant_id,
        site_id: Uuid::new_v4(),
        deployment_id: Uuid::now_v7(),
        kind: DeploymentKind::Create,
        provider: CloudProvider::Aws,
        sandbox: false,
        variables: serde_json::json!({}),
        labels: Default::default(),
    }
}

async fn enqueue_many(db: &Database, count: usize) {
    let tenant_id = Uuid::new_v4();
    for chunk in 0..count.div_ceil(100) {
        let mut tx = db.begin(Scope::Tenant(TenantId(tenant_id))).await.expect("begin");
        for _ in 0..100.min(count - chunk * 100) {
            queue::enqueue(&mut tx, &deployment(tenant_id)).await.expect("enqueue");
        }
        tx.commit().await.expect("commit");
    }
}

async fn active_runs(db: &Database) -> i64 {
    sqlx::query_scalar("select count(*) from provisioner.run where state in ('queued', 'running')")
        .fetch_one(&db.owner)
        .await
        .expect("count")
}

async fn clear(db: &Database) {
    sqlx::query("truncate provisioner.deployment cascade").execute(&db.owner).await.expect("truncate");
}

fn config(workers: usize, poll_secs: f64) -> ProvisionerConfig {
    ProvisionerConfig {
        executor: ExecutorKind::Terraform,
        workers,
        lease_secs: 60.0,
        heartbeat_secs: 20.0,
        poll_secs,
        ..ProvisionerConfig::default()
    }
}

async fn pool(db: &Database, workers: usize, poll_secs: f64) -> WorkerPool {
    let noop: Arc<dyn Executor> = Arc::new(NoopExecutor);
    WorkerPool::start(
        db.clone(),
        config(workers, poll_secs),
        Executors { sandbox: noop.clone(), real: Some(noop) },
        Arc::new(AllowEveryPlan),
    )
    .await
    .expect("pool")
}

/// Runs per second through the real queue (claim, events, lease, record).
async fn queue_throughput(db: &Database, workers: usize) -> f64 {
    clear(db).await;
    enqueue_many(db, RUNS_PER_CASE).await;
    let started = Instant::now();
    let pool = pool(db, workers, 1.0).await;
    while active_runs(db).await > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    pool.shutdown().await;
    RUNS_PER_CASE as f64 / elapsed.as_secs_f64()
}

/// The floor: N loops of claim-one-row-and-mark-it-done with SKIP LOCKED, nothing else.
async fn bare_throughput(db: &Database, workers: usize) -> f64 {
    clear(db).await;
    enqueue_many(db, RUNS_PER_CASE).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let mut tx = db.begin(Scope::Platform).await.expect("begin");
                let claimed: Option<(Uuid, Uuid)> = sqlx::query_as(
                    "select tenant_id, id from provisioner.run where state = 'queued'
                      order by next_attempt_time limit 1 for update skip locked",
                )
                .fetch_optional(&mut *tx)
                .await
                .expect("claim");
                let Some((tenant_id, id)) = claimed else { break };
                sqlx::query("update provisioner.run set state = 'succeeded' where tenant_id = $1 and id = $2")
                    .bind(tenant_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .expect("finish");
                tx.commit().await.expect("commit");
            }
        }));
    }
    for task in tasks {
        task.await.expect("bare worker");
    }
    RUNS_PER_CASE as f64 / started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or(f64::NAN)
}

/// Enqueue commit → claim by an idle worker that only NOTIFY can wake (poll 60 s), in ms.
async fn queue_latency(db: &Database) -> Vec<f64> {
    clear(db).await;
    let pool = pool(db, 1, 60.0).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let tenant_id = Uuid::new_v4();
    let mut samples = Vec::new();
    for _ in 0..LATENCY_SAMPLES {
        let d = deployment(tenant_id);
        let mut tx = db.begin(Scope::Tenant(TenantId(tenant_id))).await.expect("begin");
        queue::enqueue(&mut tx, &d).await.expect("enqueue");
        tx.commit().await.expect("commit");
        let committed = Instant::now();
        loop {
            let claimed: Option<bool> = sqlx::query_scalar("select attempt > 0 from provisioner.run where id = $1")
                .bind(d.deployment_id)
                .fetch_optional(&db.owner)
                .await
                .expect("poll");
            if claimed == Some(true) {
                break;
            }
            tokio::task::yield_now().await;
        }
        samples.push(committed.elapsed().as_secs_f64() * 1000.0);
        while active_runs(db).await > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    pool.shutdown().await;
    samples
}

/// The same measurement with a bare loop that claims with SKIP LOCKED as fast as it can
/// (no LISTEN, no sleep): the lowest latency polling can buy, at a core's cost.
async fn bare_latency(db: &Database) -> Vec<f64> {
    clear(db).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spinner = {
        let db = db.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let mut tx = db.begin(Scope::Platform).await.expect("begin");
                let claimed: Option<(Uuid, Uuid)> = sqlx::query_as(
                    "select tenant_id, id from provisioner.run where state = 'queued'
                      order by next_attempt_time limit 1 for update skip locked",
                )
                .fetch_optional(&mut *tx)
                .await
                .expect("claim");
                if let Some((tenant_id, id)) = claimed {
                    sqlx::query(
                        "update provisioner.run set state = 'succeeded', attempt = 1 where tenant_id = $1 and id = $2",
                    )
                    .bind(tenant_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .expect("finish");
                }
                tx.commit().await.expect("commit");
            }
        })
    };
    let tenant_id = Uuid::new_v4();
    let mut samples = Vec::new();
    for _ in 0..LATENCY_SAMPLES {
        let d = deployment(tenant_id);
        let mut tx = db.begin(Scope::Tenant(TenantId(tenant_id))).await.expect("begin");
        queue::enqueue(&mut tx, &d).await.expect("enqueue");
        tx.commit().await.expect("commit");
        let committed = Instant::now();
        loop {
            let claimed: Option<bool> = sqlx::query_scalar("select attempt > 0 from provisioner.run where id = $1")
                .bind(d.deployment_id)
                .fetch_optional(&db.owner)
                .await
                .expect("poll");
            if claimed == Some(true) {
                break;
            }
            tokio::task::yield_now().await;
        }
        samples.push(committed.elapsed().as_secs_f64() * 1000.0);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = spinner.await;
    samples
}

fn summary(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

#[tokio::main]
async fn main() {
    let env = TestEnv::new().await;
    let mut database = env.config.database.clone();
    database.max_connections = 20;
    let db = Database::connect(&database).await.expect("connect");
    migrate_schema(&db.owner, &db.roles, "provisioner", canopy_provisioner::migrator()).await.expect("migrate");

    let mut table = String::from(
        "| measurement | workers | provisioner queue | bare SKIP LOCKED loop |\n| --- | ---: | ---: | ---: |\n",
    );
    for workers in [1, 2, 4, 8] {
        let ours = queue_throughput(&db, workers).await;
        let bare = bare_throughput(&db, workers).await;
        let row = format!("| throughput (runs/s, {RUNS_PER_CASE} runs) | {workers} | {ours:.0} | {bare:.0} |\n");
        print!("{row}");
        table.push_str(&row);
    }
    let (ours_p50, ours_p99) = summary(queue_latency(&db).await);
    let (bare_p50, bare_p99) = summary(bare_latency(&db).await);
    for (label, ours, bare) in [("p50", ours_p50, bare_p50), ("p99", ours_p99, bare_p99)] {
        let row = format!(
            "| enqueue→claim latency {label} (ms, {LATENCY_SAMPLES} samples; ours: idle worker woken by NOTIFY, bare: busy-polling loop) | 1 | {ours:.2} | {bare:.2} |\n"
        );
        print!("{row}");
        table.push_str(&row);
    }
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let report = format!(
        "# Provisioner queue benchmark\n\nPostgreSQL at DATABASE_URL, {cores} logical CPUs shared by client and server.\n\n{table}"
    );
    canopy_kit::testing::write_bench_report("bench-provisioner.md", &report);
}
