//! The workers' side of the queue: claiming a run ([`claim_next_run`]), renewing its
//! lease ([`renew_lease`]), appending log lines ([`append_log`]), recording the state
//! lock ([`record_state_lock`]) and the result ([`record_outcome`]).
//!
//! Each of those writes names the lease version the worker holds; once another worker
//! has re-claimed the run the version no longer matches, the write changes nothing and
//! the caller gets [`FenceError::LeaseLost`]. The deployments themselves, what the sites
//! service enqueues and reads, are `canopy_deployments`; these functions check the lease
//! and then write through its [`events`](canopy_deployments::events).
//!
//! Every function takes a connection that is already inside a `Scope::Platform`
//! transaction (`Database::begin`); the caller commits.

use std::time::Duration;

use canopy_deployments::RUNS_CHANNEL;
use canopy_deployments::events::{Ending, append_events_unfenced, finish_deployment};
use canopy_deployments::model::{DeploymentKind, DeploymentStatus, LogLevel, NewEvent};
use canopy_terraform::CloudProvider;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// Proof that a worker holds a run: every fenced write names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLease {
    pub tenant_id: Uuid,
    pub deployment_id: Uuid,
    pub lease_version: i64,
    pub worker: String,
}

/// A run a worker has just claimed, with what it needs to execute it.
#[derive(Debug, Clone)]
pub struct ClaimedRun {
    pub lease: RunLease,
    pub site_id: Uuid,
    pub kind: DeploymentKind,
    pub provider: CloudProvider,
    pub sandbox: bool,
    pub variables: Value,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// The run was taken over from a worker whose lease expired.
    pub reclaimed: bool,
    pub cancel_requested: bool,
    /// The W3C trace context of the request that enqueued the deployment (empty for
    /// deployments enqueued outside a request).
    pub traceparent: String,
    /// The state lock recorded for this run by an earlier attempt, if any.
    pub state_lock_id: String,
    /// Start of the latest earlier attempt whose worker vanished (lease expired): a
    /// state lock created after it can only be that attempt's, since a site has one
    /// active run and its own state.
    pub lapsed_attempt_start: Option<DateTime<Utc>>,
    /// The site's labels when the deployment was enqueued.
    pub labels: Value,
    /// Who started the deployment (`{"kind", "id", "role"}`, `{}` when unknown).
    pub started_by: Value,
}

/// The run as a claim leaves it.
#[derive(FromRow)]
struct ClaimedRunRow {
    tenant_id: Uuid,
    id: Uuid,
    site_id: Uuid,
    attempt: i32,
    lease_version: i64,
    state_lock_id: String,
}

/// The claimed run's deployment, as its start leaves it.
#[derive(FromRow)]
struct StartedDeploymentRow {
    kind: DeploymentKind,
    provider: String,
    sandbox: bool,
    variables: Value,
    cancel_requested: bool,
    status: DeploymentStatus,
    traceparent: String,
    labels: Value,
    started_by: Value,
}

/// Why a fenced write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum FenceError {
    /// Another worker has claimed the run since; this worker must stop and write nothing.
    #[error("the run's lease was lost to another worker")]
    LeaseLost,
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

/// Claims the next due run: first one whose worker's lease expired (so a crashed
/// worker's run resumes promptly), else the oldest queued one. `SKIP LOCKED` lets any
/// number of workers in any number of processes claim concurrently without waiting on
/// each other. Run it in `Scope::Platform`.
///
/// `force_sandbox` marks the deployment as run by the sandbox when this process has no
/// real executor, so the row says truthfully what ran it.
pub async fn claim_next_run(
    tx: &mut PgConnection,
    worker: &str,
    lease: Duration,
    force_sandbox: bool,
) -> Result<Option<ClaimedRun>, sqlx::Error> {
    let lease_secs = lease.as_secs_f64();
    let mut claimed = None;
    for (reclaimed, candidates) in [
        (true, "state = 'running' and lease_expires_time < now() order by lease_expires_time"),
        (false, "state = 'queued' and next_attempt_time <= now() order by next_attempt_time"),
    ] {
        let row: Option<ClaimedRunRow> = sqlx::query_as(&format!(
            "with candidate as (
                 select tenant_id, id from provisioner.run where {candidates} limit 1 for update skip locked
             )
             update provisioner.run r
                set state = 'running', attempt = r.attempt + 1, lease_owner = $1,
                    lease_version = r.lease_version + 1,
                    lease_expires_time = now() + make_interval(secs => $2)
               from candidate c
              where r.tenant_id = c.tenant_id and r.id = c.id
             returning r.tenant_id, r.id, r.site_id, r.attempt, r.lease_version, r.state_lock_id"
        ))
        .bind(worker)
        .bind(lease_secs)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = row {
            claimed = Some((reclaimed, row));
            break;
        }
    }
    let Some((reclaimed, row)) = claimed else {
        return Ok(None);
    };
    let ClaimedRunRow { tenant_id, id: deployment_id, site_id, attempt, lease_version, state_lock_id } = row;

    if reclaimed {
        // The previous attempt's worker vanished without recording anything.
        sqlx::query(
            "update provisioner.run_attempt set finish_time = now(), outcome = 'lease expired'
              where tenant_id = $1 and run_id = $2 and finish_time is null",
        )
        .bind(tenant_id)
        .bind(deployment_id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "insert into provisioner.run_attempt (tenant_id, run_id, attempt, lease_version, worker) values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(attempt)
    .bind(lease_version)
    .bind(worker)
    .execute(&mut *tx)
    .await?;
    let lapsed_attempt_start: Option<DateTime<Utc>> = sqlx::query_scalar(
        "select max(start_time) from provisioner.run_attempt
          where tenant_id = $1 and run_id = $2 and outcome = 'lease expired'",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .fetch_one(&mut *tx)
    .await?;
    let deployment: StartedDeploymentRow = sqlx::query_as(
        "update provisioner.deployment set sandbox = sandbox or $3, start_time = coalesce(start_time, now())
          where tenant_id = $1 and id = $2
         returning kind, provider, sandbox, variables, cancel_requested, status, traceparent, labels, started_by",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(force_sandbox)
    .fetch_one(&mut *tx)
    .await?;
    let provider: CloudProvider = deployment.provider.parse().map_err(|error: canopy_terraform::Error| {
        sqlx::Error::ColumnDecode { index: "provider".into(), source: Box::new(error) }
    })?;
    let sandbox = deployment.sandbox;

    let message = if reclaimed {
        format!("attempt {attempt} started on worker {worker}: the previous worker's lease expired")
    } else {
        format!("attempt {attempt} started on worker {worker}")
    };
    let mut events = Vec::new();
    if deployment.status == DeploymentStatus::Queued {
        sqlx::query("update provisioner.deployment set status = 'running' where tenant_id = $1 and id = $2")
            .bind(tenant_id)
            .bind(deployment_id)
            .execute(&mut *tx)
            .await?;
        events.push(NewEvent::status(
            DeploymentStatus::Running,
            if sandbox { "running in the sandbox (no cloud resources)" } else { "running" },
        ));
    }
    events.push(NewEvent::log(if reclaimed { LogLevel::Warn } else { LogLevel::Info }, message));
    append_events_unfenced(tx, tenant_id, deployment_id, &events).await?;

    Ok(Some(ClaimedRun {
        lease: RunLease { tenant_id, deployment_id, lease_version, worker: worker.to_owned() },
        site_id,
        kind: deployment.kind,
        provider,
        sandbox,
        variables: deployment.variables,
        attempt,
        reclaimed,
        cancel_requested: deployment.cancel_requested,
        traceparent: deployment.traceparent,
        state_lock_id,
        lapsed_attempt_start,
        labels: deployment.labels,
        started_by: deployment.started_by,
    }))
}

/// What a lease renewal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseRenewal {
    /// Someone asked for the deployment to stop.
    pub cancel_requested: bool,
}

/// Extends the lease by `lease` from now. Run it in `Scope::Platform`.
pub async fn renew_lease(
    tx: &mut PgConnection,
    lease: &RunLease,
    extend_by: Duration,
) -> Result<LeaseRenewal, FenceError> {
    let cancel_requested: Option<bool> = sqlx::query_scalar(
        "update provisioner.run r set lease_expires_time = now() + make_interval(secs => $4)
           from provisioner.deployment d
          where r.tenant_id = $1 and r.id = $2 and r.lease_version = $3 and r.state = 'running'
            and d.tenant_id = r.tenant_id and d.id = r.id
         returning d.cancel_requested",
    )
    .bind(lease.tenant_id)
    .bind(lease.deployment_id)
    .bind(lease.lease_version)
    .bind(extend_by.as_secs_f64())
    .fetch_optional(&mut *tx)
    .await?;
    cancel_requested.map(|cancel_requested| LeaseRenewal { cancel_requested }).ok_or(FenceError::LeaseLost)
}

/// Appends log lines while holding the lease. `FOR SHARE` on the run makes a concurrent
/// re-claim wait for this append (or this append see the new version and write nothing).
pub async fn append_log(tx: &mut PgConnection, lease: &RunLease, events: &[NewEvent]) -> Result<(), FenceError> {
    if events.is_empty() {
        return Ok(());
    }
    let held: Option<i32> = sqlx::query_scalar(
        "select 1 from provisioner.run where tenant_id = $1 and id = $2 and lease_version = $3 and state = 'running' for share",
    )
    .bind(lease.tenant_id)
    .bind(lease.deployment_id)
    .bind(lease.lease_version)
    .fetch_optional(&mut *tx)
    .await?;
    if held.is_none() {
        return Err(FenceError::LeaseLost);
    }
    append_events_unfenced(tx, lease.tenant_id, lease.deployment_id, events).await?;
    Ok(())
}

/// Moves the deployment between `running` and `awaiting_override` while holding the
/// lease, with a status event saying why (fenced like [`append_log`]).
pub async fn set_waiting_status(
    tx: &mut PgConnection,
    lease: &RunLease,
    status: DeploymentStatus,
    message: &str,
) -> Result<(), FenceError> {
    debug_assert!(matches!(status, DeploymentStatus::Running | DeploymentStatus::AwaitingOverride));
    append_log(tx, lease, &[NewEvent::status(status, message)]).await?;
    sqlx::query("update provisioner.deployment set status = $3 where tenant_id = $1 and id = $2")
        .bind(lease.tenant_id)
        .bind(lease.deployment_id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Records the lock id of the Terraform state lock this run holds (fenced).
pub async fn record_state_lock(tx: &mut PgConnection, lease: &RunLease, lock_id: &str) -> Result<(), FenceError> {
    let updated = sqlx::query(
        "update provisioner.run set state_lock_id = $4 where tenant_id = $1 and id = $2 and lease_version = $3 and state = 'running'",
    )
    .bind(lease.tenant_id)
    .bind(lease.deployment_id)
    .bind(lease.lease_version)
    .bind(lock_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 { Err(FenceError::LeaseLost) } else { Ok(()) }
}

/// How a run ends, or that it will be tried again.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Succeeded {
        outputs: Value,
    },
    Failed {
        error: String,
    },
    Cancelled {
        reason: String,
    },
    /// A transient failure: back to the queue, due again after `delay`.
    RetryLater {
        error: String,
        delay: Duration,
    },
}

impl Outcome {
    fn attempt_outcome(&self) -> &'static str {
        match self {
            Outcome::Succeeded { .. } => "succeeded",
            Outcome::Failed { .. } => "failed",
            Outcome::Cancelled { .. } => "cancelled",
            Outcome::RetryLater { .. } => "retry",
        }
    }
}

/// Records the result of an attempt under `lease`: the run's final state, or its return
/// to the queue. Writes nothing and returns [`FenceError::LeaseLost`] when the run has
/// been re-claimed since (or already ended). Run it in `Scope::Platform`.
pub async fn record_outcome(tx: &mut PgConnection, lease: &RunLease, outcome: &Outcome) -> Result<(), FenceError> {
    let (state, next_due) = match outcome {
        Outcome::Succeeded { .. } => ("succeeded", None),
        Outcome::Failed { .. } => ("failed", None),
        Outcome::Cancelled { .. } => ("cancelled", None),
        Outcome::RetryLater { delay, .. } => ("queued", Some(delay.as_secs_f64())),
    };
    let attempt: Option<i32> = sqlx::query_scalar(
        "update provisioner.run set state = $4, lease_owner = '', lease_expires_time = null,
                next_attempt_time = case when $5::float8 is null then next_attempt_time
                                         else now() + make_interval(secs => $5) end
          where tenant_id = $1 and id = $2 and lease_version = $3 and state = 'running'
         returning attempt",
    )
    .bind(lease.tenant_id)
    .bind(lease.deployment_id)
    .bind(lease.lease_version)
    .bind(state)
    .bind(next_due)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(attempt) = attempt else {
        return Err(FenceError::LeaseLost);
    };
    sqlx::query(
        "update provisioner.run_attempt set finish_time = now(), outcome = $4 where tenant_id = $1 and run_id = $2 and attempt = $3",
    )
    .bind(lease.tenant_id)
    .bind(lease.deployment_id)
    .bind(attempt)
    .bind(outcome.attempt_outcome())
    .execute(&mut *tx)
    .await?;
    let ending = match outcome {
        Outcome::RetryLater { error, delay } => {
            append_events_unfenced(
                tx,
                lease.tenant_id,
                lease.deployment_id,
                &[NewEvent::log(
                    LogLevel::Warn,
                    format!("attempt {attempt} failed: {error}; retrying in {}", describe_delay(*delay)),
                )],
            )
            .await?;
            sqlx::query("select pg_notify($1, '')").bind(RUNS_CHANNEL).execute(&mut *tx).await?;
            return Ok(());
        }
        Outcome::Succeeded { outputs } => Ending::Succeeded { outputs: outputs.clone() },
        Outcome::Failed { error } => Ending::Failed { error: error.clone() },
        Outcome::Cancelled { reason } => Ending::Cancelled { reason: reason.clone() },
    };
    finish_deployment(tx, lease.tenant_id, lease.deployment_id, &ending).await?;
    Ok(())
}

fn describe_delay(delay: Duration) -> String {
    if delay.as_secs() >= 1 { format!("{}s", delay.as_secs()) } else { format!("{}ms", delay.as_millis()) }
}

/// The start of each attempt of a run, oldest first: `(attempt, lease_version, worker,
/// start_time, finish_time, outcome)`. For operators and tests.
pub async fn run_attempts(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
) -> Result<Vec<RunAttempt>, sqlx::Error> {
    sqlx::query_as(
        "select attempt, lease_version, worker, start_time, finish_time, outcome from provisioner.run_attempt
          where tenant_id = $1 and run_id = $2 order by attempt",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .fetch_all(&mut *tx)
    .await
}

/// One attempt at a run.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RunAttempt {
    pub attempt: i32,
    pub lease_version: i64,
    pub worker: String,
    pub start_time: DateTime<Utc>,
    pub finish_time: Option<DateTime<Utc>>,
    /// `''` while running; `succeeded`, `failed`, `cancelled`, `retry` or `lease expired`.
    pub outcome: String,
}
