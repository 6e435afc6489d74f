//! Executors carry out one attempt of a run: `terraform` drives the real CLI,
//! `sandbox` walks the template's resources without a cloud. Both report through a
//! [`RunContext`]: log lines (fenced by the worker's lease), the stop signal (cancel or
//! lost lease), and the pre-apply checkpoint.

pub mod sandbox;
pub mod terraform;

use std::sync::Arc;

use canopy_deployments::model::{DeploymentKind, DeploymentStatus, LogLevel, NewEvent};
use canopy_terraform::CloudProvider;
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use tokio::sync::{Mutex, watch};
use uuid::Uuid;

use crate::runs::{FenceError, RunLease};
use canopy_kit::db::{Database, Scope};

/// The deployment an executor works on.
#[derive(Debug, Clone)]
pub struct Job {
    pub tenant_id: Uuid,
    pub deployment_id: Uuid,
    pub site_id: Uuid,
    pub kind: DeploymentKind,
    pub provider: CloudProvider,
    /// `terraform.tfvars.json` content as the sites service gave it.
    pub variables: Value,
    /// From 1.
    pub attempt: i32,
    /// The state lock an earlier attempt of this run recorded, if any.
    pub state_lock_id: String,
    /// Start of the latest earlier attempt whose worker vanished, if any.
    pub lapsed_attempt_start: Option<chrono::DateTime<chrono::Utc>>,
    /// The site's labels, for the policies checked before apply.
    pub labels: Value,
    /// Who started the deployment (`{"kind", "id", "role"}`, `{}` when unknown).
    pub started_by: Value,
    /// It runs in the sandbox (no cloud).
    pub sandbox: bool,
}

/// Non-sensitive outputs by name.
pub type Outputs = Map<String, Value>;

/// Why an attempt did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// Worth another attempt (throttling, a held state lock, a network blip).
    #[error("{0}")]
    Transient(String),
    /// Will fail again the same way; the run ends FAILED.
    #[error("{0}")]
    Failed(String),
    /// The pre-apply checkpoint refused the plan; the run ends FAILED.
    #[error("refused before apply: {0}")]
    Refused(String),
    /// Stopped on request; the run ends CANCELLED.
    #[error("cancelled")]
    Cancelled,
    /// Another worker owns the run now; nothing more may be written.
    #[error("lease lost")]
    LeaseLost,
}

/// Why the worker wants the executor to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// A user cancelled the deployment.
    Cancel,
    /// The lease was lost: stop at once, record nothing.
    LeaseLost,
    /// The process is shutting down; the run is left for another worker.
    Shutdown,
}

impl StopReason {
    /// The error an executor returns when it stopped for this reason.
    pub fn as_error(self) -> ExecError {
        match self {
            StopReason::Cancel => ExecError::Cancelled,
            StopReason::LeaseLost | StopReason::Shutdown => ExecError::LeaseLost,
        }
    }
}

/// One planned change, as `terraform plan` would print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    /// `module.site.module.database[0].aws_db_instance.this`.
    pub address: String,
    /// `create`, `update`, `delete`, `replace`, `read` or `no-op`.
    pub action: String,
}

/// What an apply is about to do; given to the pre-apply checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanSummary {
    pub add: usize,
    pub change: usize,
    pub remove: usize,
    pub changes: Vec<PlannedChange>,
    /// The whole plan in Terraform's JSON plan format (`terraform show -json`), what
    /// policies evaluate: the CLI's own document from the terraform executor,
    /// `canopy_terraform::plan_json_in_module` from the sandbox.
    pub plan_json: Value,
}

/// The checkpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checkpoint {
    Allow,
    /// Stop the run before apply; the reason goes to the deployment log and error.
    Refuse {
        reason: String,
    },
}

/// Called between plan and apply (the policy service's checks, `crate::policy_check`).
/// It may log through `run`, and may wait — a soft-mandatory policy failure waits for
/// an override — as long as it returns [`StopReason::as_error`] once
/// [`RunContext::stopped`] fires.
pub trait PreApplyCheck: Send + Sync + 'static {
    fn check<'a>(
        &'a self,
        job: &'a Job,
        plan: &'a PlanSummary,
        run: &'a RunContext,
    ) -> BoxFuture<'a, Result<Checkpoint, ExecError>>;
}

/// The checkpoint of a provisioner with `policy_checks = false` (tests and tools without
/// the policy service): every plan may be applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllowEveryPlan;

impl PreApplyCheck for AllowEveryPlan {
    fn check<'a>(
        &'a self,
        _job: &'a Job,
        _plan: &'a PlanSummary,
        _run: &'a RunContext,
    ) -> BoxFuture<'a, Result<Checkpoint, ExecError>> {
        Box::pin(async { Ok(Checkpoint::Allow) })
    }
}

/// Carries out one attempt of a run.
pub trait Executor: Send + Sync + 'static {
    /// `terraform` or `sandbox`, for logs.
    fn name(&self) -> &'static str;

    /// Plans, passes the checkpoint, applies (or destroys), and returns the outputs.
    /// Must return promptly with [`StopReason::as_error`] once [`RunContext::stopped`]
    /// fires.
    fn execute<'a>(&'a self, job: &'a Job, context: &'a RunContext) -> BoxFuture<'a, Result<Outputs, ExecError>>;
}

/// What an executor reports through while it runs.
pub struct RunContext {
    log: LogWriter,
    stop: watch::Receiver<Option<StopReason>>,
    checkpoint: Arc<dyn PreApplyCheck>,
}

/// Where log lines go: the deployment log under the worker's lease, or memory (unit tests).
#[derive(Clone)]
pub(crate) enum LogWriter {
    Database(Box<(Database, RunLease)>),
    Memory(MemoryLog),
}

/// Log lines kept in memory by [`RunContext::in_memory`].
pub type MemoryLog = Arc<Mutex<Vec<NewEvent>>>;

/// Stops a context made by [`RunContext::in_memory`].
pub type StopSender = watch::Sender<Option<StopReason>>;

impl RunContext {
    pub(crate) fn new(
        log: LogWriter,
        stop: watch::Receiver<Option<StopReason>>,
        checkpoint: Arc<dyn PreApplyCheck>,
    ) -> Self {
        Self { log, stop, checkpoint }
    }

    /// A context that keeps log lines in memory and is stopped through the returned
    /// sender: for exercising an executor without a queue.
    pub fn in_memory(checkpoint: Arc<dyn PreApplyCheck>) -> (Self, MemoryLog, StopSender) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (stop_tx, stop_rx) = watch::channel(None);
        (Self::new(LogWriter::Memory(lines.clone()), stop_rx, checkpoint), lines, stop_tx)
    }

    /// Appends one line to the deployment log.
    pub async fn log(&self, level: LogLevel, message: impl Into<String>) -> Result<(), ExecError> {
        self.log_lines(vec![NewEvent::log(level, message)]).await
    }

    /// Appends lines in one transaction, in order. Fails with [`ExecError::LeaseLost`]
    /// once another worker owns the run.
    pub async fn log_lines(&self, lines: Vec<NewEvent>) -> Result<(), ExecError> {
        if lines.is_empty() {
            return Ok(());
        }
        match &self.log {
            LogWriter::Memory(memory) => {
                memory.lock().await.extend(lines);
                Ok(())
            }
            LogWriter::Database(held) => {
                let (database, lease) = &**held;
                let result = async {
                    // Workers act for every tenant: see worker.rs on the platform scope.
                    let mut tx = database.begin(Scope::Platform).await?;
                    crate::runs::append_log(&mut tx, lease, &lines).await?;
                    tx.commit().await?;
                    Ok::<_, FenceError>(())
                }
                .await;
                match result {
                    Ok(()) => Ok(()),
                    Err(FenceError::LeaseLost) => Err(ExecError::LeaseLost),
                    // The log is how users follow a deployment; losing lines silently would
                    // be worse than retrying the attempt.
                    Err(FenceError::Sql(error)) => {
                        Err(ExecError::Transient(format!("cannot write the deployment log: {error}")))
                    }
                }
            }
        }
    }

    /// Records the Terraform state lock this run holds, so a later attempt may remove
    /// exactly that lock if this worker dies.
    pub async fn record_state_lock(&self, lock_id: &str) -> Result<(), ExecError> {
        let LogWriter::Database(held) = &self.log else {
            return Ok(());
        };
        let (database, lease) = &**held;
        let result = async {
            let mut tx = database.begin(Scope::Platform).await?;
            crate::runs::record_state_lock(&mut tx, lease, lock_id).await?;
            tx.commit().await?;
            Ok::<_, FenceError>(())
        }
        .await;
        match result {
            Ok(()) => Ok(()),
            Err(FenceError::LeaseLost) => Err(ExecError::LeaseLost),
            Err(FenceError::Sql(error)) => Err(ExecError::Transient(format!("cannot record the state lock: {error}"))),
        }
    }

    /// Moves the deployment to `awaiting_override` (or back to `running`) with a status
    /// event, under the lease. Unit tests' in-memory contexts only log it.
    pub async fn set_status(&self, status: DeploymentStatus, message: &str) -> Result<(), ExecError> {
        let LogWriter::Database(held) = &self.log else {
            return self.log_lines(vec![NewEvent::status(status, message)]).await;
        };
        let (database, lease) = &**held;
        let result = async {
            let mut tx = database.begin(Scope::Platform).await?;
            crate::runs::set_waiting_status(&mut tx, lease, status, message).await?;
            tx.commit().await?;
            Ok::<_, FenceError>(())
        }
        .await;
        match result {
            Ok(()) => Ok(()),
            Err(FenceError::LeaseLost) => Err(ExecError::LeaseLost),
            Err(FenceError::Sql(error)) => {
                Err(ExecError::Transient(format!("cannot record the deployment's status: {error}")))
            }
        }
    }

    /// Why the executor should stop, if it should.
    pub fn stop_requested(&self) -> Option<StopReason> {
        *self.stop.borrow()
    }

    /// Resolves when the executor should stop.
    pub async fn stopped(&self) -> StopReason {
        let mut stop = self.stop.clone();
        loop {
            if let Some(reason) = *stop.borrow_and_update() {
                return reason;
            }
            if stop.changed().await.is_err() {
                // The worker dropped the sender: it is gone, so nobody may write for it.
                return StopReason::LeaseLost;
            }
        }
    }

    /// Runs the pre-apply checkpoint; a refusal is logged and returned as
    /// [`ExecError::Refused`].
    pub async fn check_before_apply(&self, job: &Job, plan: &PlanSummary) -> Result<(), ExecError> {
        match self.checkpoint.check(job, plan, self).await? {
            Checkpoint::Allow => Ok(()),
            Checkpoint::Refuse { reason } => {
                self.log(LogLevel::Error, format!("pre-apply check refused the plan: {reason}")).await?;
                Err(ExecError::Refused(reason))
            }
        }
    }
}
