//! The worker pool: tasks that claim runs, keep their lease alive, run the executor and
//! record the outcome.
//!
//! Workers are a system, not a user: they claim across every tenant, so their
//! transactions run in `Scope::Platform` (the RLS policy's explicit system scope, never
//! a superuser connection). Each write they make is fenced by the lease version they
//! hold, which is what keeps two workers from both recording a result for one run.
//!
//! Waking: one listener connection per pool LISTENs on the runs and cancel channels.
//! A notification bumps a `watch` counter that idle workers wait on (a counter, unlike
//! `Notify::notify_waiters`, cannot be missed by a worker that was busy claiming when
//! it arrived). Every `poll_secs` they look anyway, for retries coming due, expired
//! leases, and notifications lost while the listener reconnected.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use canopy_deployments::{CANCEL_CHANNEL, RUNS_CHANNEL};
use canopy_kit::db::{Database, Scope};
use canopy_kit::telemetry::{CallContext, TraceContext};
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;
use uuid::Uuid;

use crate::config::{ExecutorKind, ProvisionerConfig};
use crate::executor::{ExecError, Executor, Job, LogWriter, PreApplyCheck, RunContext, StopReason};
use crate::runs::{self, ClaimedRun, FenceError, Outcome};

/// The executors a pool uses: `sandbox` for sandbox deployments, `real` for the rest.
#[derive(Clone)]
pub struct Executors {
    pub sandbox: Arc<dyn Executor>,
    /// `None` when this process runs everything in the sandbox (`executor = "sandbox"`).
    pub real: Option<Arc<dyn Executor>>,
}

/// A set of worker tasks sharing one listener.
pub struct WorkerPool {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    /// Identifies this pool's workers in leases and logs: `<host>/<pool uuid>/<n>`.
    pub id: String,
}

struct Shared {
    database: Database,
    config: ProvisionerConfig,
    executors: Executors,
    checkpoint: Arc<dyn PreApplyCheck>,
    wake: watch::Receiver<u64>,
    /// Stop signals of the runs in progress, by deployment id, for cancel notifications.
    active: Mutex<HashMap<Uuid, watch::Sender<Option<StopReason>>>>,
    stopping: watch::Receiver<bool>,
}

impl WorkerPool {
    /// Starts `config.workers` workers and their listener.
    pub async fn start(
        database: Database,
        config: ProvisionerConfig,
        executors: Executors,
        checkpoint: Arc<dyn PreApplyCheck>,
    ) -> anyhow::Result<WorkerPool> {
        config.validate()?;
        let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "canopy".into());
        let id = format!("{host}/{}", Uuid::new_v4().simple());
        let (stop, stopping) = watch::channel(false);
        let (wake_tx, wake) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            database: database.clone(),
            config: config.clone(),
            executors,
            checkpoint,
            wake,
            active: Mutex::new(HashMap::new()),
            stopping: stopping.clone(),
        });
        let mut tasks = Vec::new();
        if config.workers > 0 {
            // LISTEN holds its connection for good, so it gets a pool of its own rather
            // than a slot of the request pool.
            let listener_pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(database.app_options.clone())
                .await
                .map_err(|error| anyhow::anyhow!("provisioner: cannot open the LISTEN connection: {error}"))?;
            let mut listener = PgListener::connect_with(&listener_pool)
                .await
                .map_err(|error| anyhow::anyhow!("provisioner: cannot open the LISTEN connection: {error}"))?;
            listener.listen_all([RUNS_CHANNEL, CANCEL_CHANNEL]).await?;
            tasks.push(tokio::spawn(listen(listener, wake_tx, shared.clone(), stopping.clone())));
        }
        for index in 0..config.workers {
            let worker = format!("{id}/{index}");
            tasks.push(tokio::spawn(work(worker, shared.clone())));
        }
        Ok(WorkerPool { stop, tasks, id })
    }

    /// Stops claiming, stops the runs in progress (they are left to another worker once
    /// their lease expires) and waits for every task.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn listen(
    mut listener: PgListener,
    wake: watch::Sender<u64>,
    shared: Arc<Shared>,
    mut stopping: watch::Receiver<bool>,
) {
    loop {
        let notification = tokio::select! {
            _ = stopping.wait_for(|stop| *stop) => return,
            notification = listener.try_recv() => notification,
        };
        match notification {
            Ok(Some(notification)) if notification.channel() == CANCEL_CHANNEL => {
                if let Ok(deployment_id) = notification.payload().parse::<Uuid>()
                    && let Ok(active) = shared.active.lock()
                    && let Some(stop) = active.get(&deployment_id)
                {
                    let _ = stop.send(Some(StopReason::Cancel));
                }
            }
            Ok(Some(_)) => {
                wake.send_modify(|count| *count = count.wrapping_add(1));
            }
            // The connection dropped and was re-established: anything sent meanwhile is
            // lost, so have every worker look.
            Ok(None) => wake.send_modify(|count| *count = count.wrapping_add(1)),
            Err(error) => {
                tracing::warn!(%error, "provisioner listener failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn work(worker: String, shared: Arc<Shared>) {
    let mut wake = shared.wake.clone();
    let mut stopping = shared.stopping.clone();
    let mut failures = 0u32;
    loop {
        if *stopping.borrow() {
            return;
        }
        // Mark notifications seen *before* looking, so one arriving while we look wakes
        // the wait below instead of being lost.
        wake.borrow_and_update();
        match claim(&shared, &worker).await {
            Ok(Some(claimed)) => {
                failures = 0;
                // The run logs under the trace of the request that enqueued it.
                let trace = TraceContext::parse(&claimed.traceparent).unwrap_or_else(TraceContext::new_trace);
                let span = tracing::info_span!(
                    "run",
                    trace_id = %trace.trace_id,
                    deployment_id = %claimed.lease.deployment_id,
                );
                let call = CallContext { trace, deadline: None };
                call.scope(run_claimed(&shared, claimed)).instrument(span).await;
                continue;
            }
            Ok(None) => failures = 0,
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::warn!(worker, %error, "claiming a run failed");
            }
        }
        let pause = if failures == 0 {
            shared.config.poll()
        } else {
            Duration::from_millis(200u64.saturating_mul(1 << failures.min(5))).min(shared.config.poll())
        };
        tokio::select! {
            _ = stopping.wait_for(|stop| *stop) => return,
            _ = wake.changed() => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

async fn claim(shared: &Shared, worker: &str) -> Result<Option<ClaimedRun>, sqlx::Error> {
    let mut tx = shared.database.begin(Scope::Platform).await?;
    let claimed = runs::claim_next_run(&mut tx, worker, shared.config.lease(), shared.executors.real.is_none()).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Executes one claimed run and records how it went.
async fn run_claimed(shared: &Shared, claimed: ClaimedRun) {
    let lease = claimed.lease.clone();
    let deployment_id = lease.deployment_id;
    let max_attempts = shared.config.max_attempts;

    // Decided at claim time without running anything.
    let early = if claimed.cancel_requested {
        Some(Outcome::Cancelled { reason: "cancel requested".into() })
    } else if claimed.attempt > max_attempts {
        Some(Outcome::Failed {
            error: format!("gave up after {max_attempts} attempts; the last worker stopped without reporting"),
        })
    } else {
        None
    };
    if let Some(outcome) = early {
        record(shared, &lease, &outcome).await;
        return;
    }

    let (stop_tx, stop_rx) = watch::channel(None);
    if let Ok(mut active) = shared.active.lock() {
        active.insert(deployment_id, stop_tx.clone());
    }
    let heartbeat = tokio::spawn(keep_lease(
        shared.database.clone(),
        lease.clone(),
        shared.config.lease(),
        shared.config.heartbeat(),
        stop_tx.clone(),
    ));
    let mut stopping = shared.stopping.clone();
    let shutdown_forwarder = {
        let stop_tx = stop_tx.clone();
        tokio::spawn(async move {
            let _ = stopping.wait_for(|stop| *stop).await;
            stop_tx.send_if_modified(|reason| {
                if reason.is_none() {
                    *reason = Some(StopReason::Shutdown);
                    true
                } else {
                    false
                }
            });
        })
    };

    let sandbox = claimed.sandbox || shared.executors.real.is_none();
    let executor =
        if sandbox { shared.executors.sandbox.clone() } else { shared.executors.real.clone().expect("checked") };
    let job = Job {
        tenant_id: lease.tenant_id,
        deployment_id,
        site_id: claimed.site_id,
        kind: claimed.kind,
        provider: claimed.provider,
        variables: claimed.variables,
        attempt: claimed.attempt,
        state_lock_id: claimed.state_lock_id,
        lapsed_attempt_start: claimed.lapsed_attempt_start,
        labels: claimed.labels,
        started_by: claimed.started_by,
        sandbox,
    };
    let context = RunContext::new(
        LogWriter::Database(Box::new((shared.database.clone(), lease.clone()))),
        stop_rx,
        shared.checkpoint.clone(),
    );
    tracing::info!(deployment_id = %deployment_id, attempt = job.attempt, executor = executor.name(), "run started");
    let result = executor.execute(&job, &context).await;

    heartbeat.abort();
    shutdown_forwarder.abort();
    if let Ok(mut active) = shared.active.lock() {
        active.remove(&deployment_id);
    }
    let outcome = match result {
        Ok(outputs) => Outcome::Succeeded { outputs: serde_json::Value::Object(outputs) },
        Err(ExecError::Cancelled) => Outcome::Cancelled { reason: "cancel requested".into() },
        Err(ExecError::Refused(reason)) => Outcome::Failed { error: format!("refused before apply: {reason}") },
        Err(ExecError::Failed(error)) => Outcome::Failed { error },
        Err(ExecError::Transient(error)) if job.attempt < max_attempts => {
            Outcome::RetryLater { error, delay: shared.config.retry_delay(job.attempt) }
        }
        Err(ExecError::Transient(error)) => {
            Outcome::Failed { error: format!("{error} (after {max_attempts} attempts)") }
        }
        Err(ExecError::LeaseLost) => {
            tracing::warn!(deployment_id = %deployment_id, "run stopped: lease lost or shutting down; nothing recorded");
            return;
        }
    };
    record(shared, &lease, &outcome).await;
}

async fn record(shared: &Shared, lease: &runs::RunLease, outcome: &Outcome) {
    let result = async {
        let mut tx = shared.database.begin(Scope::Platform).await?;
        runs::record_outcome(&mut tx, lease, outcome).await?;
        tx.commit().await?;
        Ok::<_, FenceError>(())
    }
    .await;
    match result {
        Ok(()) => tracing::info!(deployment_id = %lease.deployment_id, ?outcome, "run recorded"),
        Err(FenceError::LeaseLost) => {
            tracing::warn!(deployment_id = %lease.deployment_id, "result not recorded: another worker holds the run now")
        }
        // The lease lapses and another worker re-runs the attempt: apply is idempotent
        // against the same state, so this costs time, not correctness.
        Err(FenceError::Sql(error)) => {
            tracing::error!(deployment_id = %lease.deployment_id, %error, "cannot record the run's result")
        }
    }
}

/// Renews the lease every `heartbeat`; stops the executor when the lease is lost or a
/// cancel is requested.
async fn keep_lease(
    database: Database,
    lease: runs::RunLease,
    extend_by: Duration,
    heartbeat: Duration,
    stop: watch::Sender<Option<StopReason>>,
) {
    loop {
        tokio::time::sleep(heartbeat).await;
        let renewed = async {
            let mut tx = database.begin(Scope::Platform).await?;
            let renewal = runs::renew_lease(&mut tx, &lease, extend_by).await?;
            tx.commit().await?;
            Ok::<_, FenceError>(renewal)
        }
        .await;
        match renewed {
            Ok(renewal) if renewal.cancel_requested => {
                stop.send_if_modified(|reason| {
                    if reason.is_none() {
                        *reason = Some(StopReason::Cancel);
                        true
                    } else {
                        false
                    }
                });
            }
            Ok(_) => {}
            Err(FenceError::LeaseLost) => {
                let _ = stop.send(Some(StopReason::LeaseLost));
                return;
            }
            // A failed renewal is retried at the next beat; the lease outlives several.
            Err(FenceError::Sql(error)) => {
                tracing::warn!(deployment_id = %lease.deployment_id, %error, "lease renewal failed")
            }
        }
    }
}

/// Builds the executors a configuration asks for.
pub fn executors_from_config(config: &ProvisionerConfig, database_url: &str) -> Executors {
    let terraform_root = config.terraform_root();
    let sandbox: Arc<dyn Executor> = Arc::new(crate::executor::sandbox::SandboxExecutor {
        terraform_root: terraform_root.clone(),
        step: Duration::from_millis(config.sandbox_step_millis),
    });
    let real: Option<Arc<dyn Executor>> = match config.executor {
        ExecutorKind::Sandbox => None,
        ExecutorKind::Terraform => {
            let mut backend = config.backend.clone();
            if backend.kind == crate::config::BackendKind::Pg && backend.conn_str.is_empty() {
                backend.conn_str = crate::config::Secret::new(database_url);
            }
            Some(Arc::new(crate::executor::terraform::TerraformExecutor {
                bin: config.terraform_bin(),
                terraform_root,
                workspace_root: (!config.workspace_root.is_empty()).then(|| config.workspace_root.clone().into()),
                backend,
                environment: config.environment.clone(),
                passthrough: config.environment_passthrough.clone(),
                grace: config.cancel_grace(),
                transient_errors: config.transient_errors.clone(),
            }))
        }
    };
    Executors { sandbox, real }
}
