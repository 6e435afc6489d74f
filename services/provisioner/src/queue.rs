//! The durable deployment queue in PostgreSQL, and the deployment log.
//!
//! Two audiences use this module:
//! * **The sites service** writes a deployment in the same transaction as its site change
//!   ([`enqueue`]), reads deployments and their events in its caller's tenant scope, asks
//!   for cancellation, and applies finished outcomes to its sites ([`unapplied_outcomes`],
//!   [`mark_outcome_applied`]) — so site status follows deployments without the
//!   provisioner ever touching the sites schema.
//! * **Workers** claim runs ([`claim_next_run`]), renew their lease ([`renew_lease`]),
//!   append log lines ([`append_log`]) and record a result ([`record_outcome`]). Each of
//!   those writes names the lease version it holds; once another worker has re-claimed
//!   the run the version no longer matches, the write changes nothing and the caller gets
//!   [`FenceError::LeaseLost`].
//!
//! Every function takes a connection that is already inside a scoped transaction
//! (`Database::begin`); the caller commits.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use canopy_kit::telemetry::CallContext;
use canopy_terraform::CloudProvider;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// NOTIFY channel of the deployment log: the payload is the deployment id, sent in the
/// same transaction as each append, so a watcher wakes as soon as the events are visible.
pub const EVENTS_CHANNEL: &str = "canopy_provisioner_events";

/// NOTIFY channel workers listen on: a run became claimable (payload empty).
pub const RUNS_CHANNEL: &str = "canopy_provisioner_runs";

/// NOTIFY channel for cancellation requests of running deployments (payload: deployment id).
pub const CANCEL_CHANNEL: &str = "canopy_provisioner_cancel";

/// What a deployment does to its site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentKind {
    /// First apply of a new site.
    Create,
    /// Apply after the site's settings changed.
    Update,
    /// Apply again with unchanged settings.
    Redeploy,
    /// `terraform destroy` of everything the site has.
    Delete,
}

impl DeploymentKind {
    /// The stored (and logged) name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentKind::Create => "create",
            DeploymentKind::Update => "update",
            DeploymentKind::Redeploy => "redeploy",
            DeploymentKind::Delete => "delete",
        }
    }
}

/// Where a deployment stands. Queued and running are active; the rest are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeploymentStatus {
    /// Waiting for its first worker.
    Queued,
    /// A worker has claimed it; it stays running while it waits between retry attempts.
    Running,
    /// Applied (or destroyed); outputs are stored.
    Succeeded,
    /// Ended with an error, which is on the deployment and in its log.
    Failed,
    /// Stopped on request.
    Cancelled,
}

impl DeploymentStatus {
    /// Every status, in the order of the API's enum.
    pub const ALL: [DeploymentStatus; 5] = [
        DeploymentStatus::Queued,
        DeploymentStatus::Running,
        DeploymentStatus::Succeeded,
        DeploymentStatus::Failed,
        DeploymentStatus::Cancelled,
    ];

    /// The stored name, lowercase.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Queued => "queued",
            DeploymentStatus::Running => "running",
            DeploymentStatus::Succeeded => "succeeded",
            DeploymentStatus::Failed => "failed",
            DeploymentStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the deployment has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Cancelled)
    }
}

/// A stored value this code does not know: the schema's check constraints make it
/// impossible unless the schema and the code disagree.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown {what} {value:?} in the provisioner schema")]
pub struct UnknownValue {
    what: &'static str,
    value: String,
}

macro_rules! parse_by_name {
    ($type:ty, $what:literal, $variants:expr) => {
        impl FromStr for $type {
            type Err = UnknownValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                $variants
                    .into_iter()
                    .find(|candidate| candidate.as_str() == value)
                    .ok_or_else(|| UnknownValue { what: $what, value: value.to_owned() })
            }
        }
        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

parse_by_name!(
    DeploymentKind,
    "deployment kind",
    [DeploymentKind::Create, DeploymentKind::Update, DeploymentKind::Redeploy, DeploymentKind::Delete]
);
parse_by_name!(DeploymentStatus, "deployment status", DeploymentStatus::ALL);
parse_by_name!(EventKind, "event kind", [EventKind::Status, EventKind::Log]);
parse_by_name!(LogLevel, "log level", [LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error]);

/// A deployment to enqueue.
#[derive(Debug, Clone)]
pub struct NewDeployment {
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub deployment_id: Uuid,
    pub kind: DeploymentKind,
    pub provider: CloudProvider,
    /// Run it with the sandbox executor whatever the configured executor is.
    pub sandbox: bool,
    /// `SiteVariables::to_tfvars_json()` of the site as it should be after this deployment.
    pub variables: Value,
}

/// Why [`enqueue`] refused.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// The site already has a queued or running deployment.
    #[error("site has an active deployment {active_deployment_id}")]
    SiteBusy { active_deployment_id: Uuid },
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

/// Inserts the deployment, its queued run and its first event in the caller's
/// transaction, and wakes idle workers when it commits.
///
/// One active run per site is enforced by the partial unique index
/// `run_one_active_per_site`: a concurrent enqueue for the same site waits for this
/// transaction and then finds the conflict, so there is no check-then-insert race. A
/// conflict leaves the caller's transaction usable (no error is raised inside it).
pub async fn enqueue(tx: &mut PgConnection, d: &NewDeployment) -> Result<(), EnqueueError> {
    // The run continues the trace of the request that enqueued it.
    let traceparent = CallContext::current().map(|call| call.trace.child_traceparent()).unwrap_or_default();
    // A conflict can race with the active run finishing; the loop then finds the site
    // free on the next pass. Three passes are plenty: each needs a run to end in between.
    for _ in 0..3 {
        sqlx::query(
            "insert into provisioner.deployment
                    (tenant_id, id, site_id, kind, status, provider, sandbox, variables, traceparent)
             values ($1, $2, $3, $4, 'queued', $5, $6, $7, $8)",
        )
        .bind(d.tenant_id)
        .bind(d.deployment_id)
        .bind(d.site_id)
        .bind(d.kind.as_str())
        .bind(d.provider.as_str())
        .bind(d.sandbox)
        .bind(&d.variables)
        .bind(&traceparent)
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "insert into provisioner.run (tenant_id, id, site_id, state) values ($1, $2, $3, 'queued')
             on conflict (tenant_id, site_id) where state in ('queued', 'running') do nothing",
        )
        .bind(d.tenant_id)
        .bind(d.deployment_id)
        .bind(d.site_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            append_events_unfenced(
                tx,
                d.tenant_id,
                d.deployment_id,
                &[NewEvent::status(DeploymentStatus::Queued, format!("{} deployment queued", d.kind))],
            )
            .await?;
            sqlx::query("select pg_notify($1, '')").bind(RUNS_CHANNEL).execute(&mut *tx).await?;
            return Ok(());
        }
        sqlx::query("delete from provisioner.deployment where tenant_id = $1 and id = $2")
            .bind(d.tenant_id)
            .bind(d.deployment_id)
            .execute(&mut *tx)
            .await?;
        let active: Option<Uuid> = sqlx::query_scalar(
            "select id from provisioner.run where tenant_id = $1 and site_id = $2 and state in ('queued', 'running')",
        )
        .bind(d.tenant_id)
        .bind(d.site_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(active_deployment_id) = active {
            return Err(EnqueueError::SiteBusy { active_deployment_id });
        }
    }
    Err(EnqueueError::Sql(sqlx::Error::Protocol("site stayed busy while its active run kept changing".into())))
}

/// Asks for a deployment to stop. A queued one is cancelled at once; a running one is
/// flagged and its worker stops the executor (SIGINT, then a kill after the grace
/// period); a finished one is left alone. Returns the status after the request, or
/// `None` when the caller's scope has no such deployment.
pub async fn request_cancel(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
) -> Result<Option<DeploymentStatus>, sqlx::Error> {
    let Some(row) = deployment(tx, tenant_id, deployment_id).await? else {
        return Ok(None);
    };
    if row.status.is_terminal() {
        return Ok(Some(row.status));
    }
    // Lock the run so a claim cannot slip in between reading its state and cancelling.
    let state: Option<String> =
        sqlx::query_scalar("select state from provisioner.run where tenant_id = $1 and id = $2 for update")
            .bind(tenant_id)
            .bind(deployment_id)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query("update provisioner.deployment set cancel_requested = true where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(deployment_id)
        .execute(&mut *tx)
        .await?;
    // A queued run (never started, or waiting to retry) has no worker to tell: end it here.
    if state.as_deref() == Some("queued") {
        finish_unfenced(
            tx,
            tenant_id,
            deployment_id,
            &Outcome::Cancelled { reason: "cancelled before it started".into() },
        )
        .await?;
        return Ok(Some(DeploymentStatus::Cancelled));
    }
    sqlx::query("select pg_notify($1, $2)")
        .bind(CANCEL_CHANNEL)
        .bind(deployment_id.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(Some(row.status))
}

/// A deployment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub site_id: Uuid,
    pub kind: DeploymentKind,
    pub status: DeploymentStatus,
    pub provider: String,
    /// Whether the sandbox executor runs (or ran) it.
    pub sandbox: bool,
    /// Attempts started so far.
    pub attempt: i32,
    /// Why it failed or was cancelled; empty otherwise.
    pub error: String,
    /// Non-sensitive outputs by name (`url`, `public_addresses`, …); `{}` until it
    /// succeeds. Sandbox outputs also carry `"sandbox": true`.
    pub outputs: Value,
    pub create_time: DateTime<Utc>,
    pub start_time: Option<DateTime<Utc>>,
    pub finish_time: Option<DateTime<Utc>>,
    pub cancel_requested: bool,
}

const DEPLOYMENT_COLUMNS: &str = "d.tenant_id, d.id, d.site_id, d.kind, d.status, d.provider, d.sandbox,
     coalesce(r.attempt, 0) as attempt, d.error, d.outputs, d.create_time, d.start_time, d.finish_time,
     d.cancel_requested";

fn deployment_from_row(row: &sqlx::postgres::PgRow) -> Result<DeploymentRow, sqlx::Error> {
    Ok(DeploymentRow {
        tenant_id: row.try_get("tenant_id")?,
        id: row.try_get("id")?,
        site_id: row.try_get("site_id")?,
        kind: parse_column(row, "kind")?,
        status: parse_column(row, "status")?,
        provider: row.try_get("provider")?,
        sandbox: row.try_get("sandbox")?,
        attempt: row.try_get("attempt")?,
        error: row.try_get("error")?,
        outputs: row.try_get("outputs")?,
        create_time: row.try_get("create_time")?,
        start_time: row.try_get("start_time")?,
        finish_time: row.try_get("finish_time")?,
        cancel_requested: row.try_get("cancel_requested")?,
    })
}

fn parse_column<T>(row: &sqlx::postgres::PgRow, column: &'static str) -> Result<T, sqlx::Error>
where
    T: FromStr<Err = UnknownValue>,
{
    let text: String = row.try_get(column)?;
    text.parse()
        .map_err(|error: UnknownValue| sqlx::Error::ColumnDecode { index: column.into(), source: Box::new(error) })
}

/// One deployment, or `None` when the caller's scope has no such deployment.
pub async fn deployment(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<DeploymentRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where d.tenant_id = $1 and d.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(deployment_from_row).transpose()
}

/// A deployment by id alone, for platform-scoped callers that do not know its
/// tenant yet (under a tenant scope, row-level security still limits the answer).
pub async fn deployment_any_tenant(tx: &mut PgConnection, id: Uuid) -> Result<Option<DeploymentRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where d.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(deployment_from_row).transpose()
}

/// A site's deployments, newest first, starting after the `(create_time, id)` of the
/// last row of the previous page.
pub async fn list_deployments(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    site_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    let (after_time, after_id) = after.unzip();
    let rows = sqlx::query(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where d.tenant_id = $1 and d.site_id = $2
            and ($3::timestamptz is null or (d.create_time, d.id) < ($3, $4))
          order by d.create_time desc, d.id desc
          limit $5"
    ))
    .bind(tenant_id)
    .bind(site_id)
    .bind(after_time)
    .bind(after_id)
    .bind(limit.max(0))
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(deployment_from_row).collect()
}

/// How many deployments were created at or after `since`, per status (statuses with
/// none are absent). Whose deployments is the caller's scope: one tenant's under a
/// tenant scope, every tenant's under `Scope::Platform`. Served by the
/// `deployment_window` indexes without reading the table (unless the window covers so
/// much of it that the planner prefers a scan).
pub async fn count_deployments_since(
    tx: &mut PgConnection,
    since: DateTime<Utc>,
) -> Result<Vec<(DeploymentStatus, i64)>, sqlx::Error> {
    let rows = sqlx::query(
        "select status, count(*) as deployments from provisioner.deployment
          where create_time >= $1
          group by status",
    )
    .bind(since)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(|row| Ok((parse_column(row, "status")?, row.try_get("deployments")?))).collect()
}

/// The latest failed deployments created at or after `since`, newest first, at most
/// `limit`, in the caller's scope (as for [`count_deployments_since`]).
pub async fn recent_failures(
    tx: &mut PgConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where d.status = 'failed' and d.create_time >= $1
          order by d.create_time desc, d.id desc
          limit $2"
    ))
    .bind(since)
    .bind(limit.max(0))
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(deployment_from_row).collect()
}

/// Whether an event is a status change or a line of the executor's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Status,
    Log,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Status => "status",
            EventKind::Log => "log",
        }
    }
}

/// Severity of a log line (Terraform's `@level`, with `trace` folded into `debug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }

    /// Terraform's `@level` values; anything unknown is `info`.
    pub fn from_terraform(level: &str) -> LogLevel {
        match level {
            "trace" | "debug" => LogLevel::Debug,
            "warn" | "warning" => LogLevel::Warn,
            "error" => LogLevel::Error,
            _ => LogLevel::Info,
        }
    }
}

/// One entry of a deployment's log.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentEvent {
    /// Dense per deployment, from 1, in commit order: resume a watch with the last seen.
    pub seq: i64,
    pub time: DateTime<Utc>,
    pub kind: EventKind,
    /// `debug`, `info`, `warn` or `error`.
    pub level: String,
    pub message: String,
    /// The new status, on status events.
    pub status: Option<DeploymentStatus>,
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub level: LogLevel,
    pub message: String,
    pub status: Option<DeploymentStatus>,
}

impl NewEvent {
    /// A line of the executor's log.
    pub fn log(level: LogLevel, message: impl Into<String>) -> NewEvent {
        NewEvent { kind: EventKind::Log, level, message: message.into(), status: None }
    }

    /// A status change; failures are logged at error level.
    pub fn status(status: DeploymentStatus, message: impl Into<String>) -> NewEvent {
        let level = if status == DeploymentStatus::Failed { LogLevel::Error } else { LogLevel::Info };
        NewEvent { kind: EventKind::Status, level, message: message.into(), status: Some(status) }
    }
}

/// Events of a deployment with `seq > after_seq`, in order.
pub async fn events_after(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<DeploymentEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "select seq, time, kind, level, message, status from provisioner.deployment_event
          where tenant_id = $1 and deployment_id = $2 and seq > $3
          order by seq limit $4",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(after_seq)
    .bind(limit.max(0))
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|row| {
            let status: Option<String> = row.try_get("status")?;
            Ok(DeploymentEvent {
                seq: row.try_get("seq")?,
                time: row.try_get("time")?,
                kind: parse_column(row, "kind")?,
                level: row.try_get("level")?,
                message: row.try_get("message")?,
                status: status.map(|s| s.parse()).transpose().map_err(|e: UnknownValue| sqlx::Error::ColumnDecode {
                    index: "status".into(),
                    source: Box::new(e),
                })?,
            })
        })
        .collect()
}

/// Finished deployments whose outcome the sites service has not yet applied, oldest
/// first. Run it in `Scope::Platform`: applying outcomes is a system task for every tenant.
pub async fn unapplied_outcomes(tx: &mut PgConnection, limit: i64) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where not d.outcome_applied and d.status in ('succeeded', 'failed', 'cancelled')
          order by d.finish_time, d.tenant_id, d.id
          limit $1
          for update of d skip locked"
    ))
    .bind(limit.max(0))
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(deployment_from_row).collect()
}

/// Records that the sites service has applied a finished deployment's outcome.
pub async fn mark_outcome_applied(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query("update provisioner.deployment set outcome_applied = true where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(deployment_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Deletes every deployment, run and event of purged sites (the sites retention job
/// calls it in `Scope::Platform`). Returns the number of deployments deleted.
pub async fn purge_deleted_site_history(tx: &mut PgConnection, site_ids: &[Uuid]) -> Result<u64, sqlx::Error> {
    let deleted = sqlx::query("delete from provisioner.deployment where site_id = any($1)")
        .bind(site_ids)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    Ok(deleted)
}

// ---------------------------------------------------------------------------------------
// The worker side.
// ---------------------------------------------------------------------------------------

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
        let row = sqlx::query(&format!(
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
    let tenant_id: Uuid = row.try_get("tenant_id")?;
    let deployment_id: Uuid = row.try_get("id")?;
    let attempt: i32 = row.try_get("attempt")?;
    let lease_version: i64 = row.try_get("lease_version")?;

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
    let deployment = sqlx::query(
        "update provisioner.deployment set sandbox = sandbox or $3, start_time = coalesce(start_time, now())
          where tenant_id = $1 and id = $2
         returning kind, provider, sandbox, variables, cancel_requested, status, traceparent",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(force_sandbox)
    .fetch_one(&mut *tx)
    .await?;
    let kind: DeploymentKind = parse_column(&deployment, "kind")?;
    let provider_name: String = deployment.try_get("provider")?;
    let provider: CloudProvider = provider_name.parse().map_err(|error: canopy_terraform::Error| {
        sqlx::Error::ColumnDecode { index: "provider".into(), source: Box::new(error) }
    })?;
    let status: DeploymentStatus = parse_column(&deployment, "status")?;
    let sandbox: bool = deployment.try_get("sandbox")?;

    let message = if reclaimed {
        format!("attempt {attempt} started on worker {worker}: the previous worker's lease expired")
    } else {
        format!("attempt {attempt} started on worker {worker}")
    };
    let mut events = Vec::new();
    if status == DeploymentStatus::Queued {
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
        site_id: row.try_get("site_id")?,
        kind,
        provider,
        sandbox,
        variables: deployment.try_get("variables")?,
        attempt,
        reclaimed,
        cancel_requested: deployment.try_get("cancel_requested")?,
        traceparent: deployment.try_get("traceparent")?,
        state_lock_id: row.try_get("state_lock_id")?,
        lapsed_attempt_start,
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
    match outcome {
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
        }
        terminal => finish_deployment(tx, lease.tenant_id, lease.deployment_id, terminal).await?,
    }
    Ok(())
}

fn describe_delay(delay: Duration) -> String {
    if delay.as_secs() >= 1 { format!("{}s", delay.as_secs()) } else { format!("{}ms", delay.as_millis()) }
}

/// Ends a run that no worker holds (a queued run being cancelled).
async fn finish_unfenced(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    outcome: &Outcome,
) -> Result<(), sqlx::Error> {
    let state = match outcome {
        Outcome::Succeeded { .. } => "succeeded",
        Outcome::Failed { .. } => "failed",
        Outcome::Cancelled { .. } | Outcome::RetryLater { .. } => "cancelled",
    };
    sqlx::query(
        "update provisioner.run set state = $3, lease_owner = '', lease_expires_time = null where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(state)
    .execute(&mut *tx)
    .await?;
    finish_deployment(tx, tenant_id, deployment_id, outcome).await
}

async fn finish_deployment(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    outcome: &Outcome,
) -> Result<(), sqlx::Error> {
    let (status, error, outputs, message) = match outcome {
        Outcome::Succeeded { outputs } => {
            (DeploymentStatus::Succeeded, String::new(), outputs.clone(), "succeeded".to_owned())
        }
        Outcome::Failed { error } => {
            (DeploymentStatus::Failed, error.clone(), Value::Object(Default::default()), format!("failed: {error}"))
        }
        Outcome::Cancelled { reason } | Outcome::RetryLater { error: reason, .. } => (
            DeploymentStatus::Cancelled,
            reason.clone(),
            Value::Object(Default::default()),
            format!("cancelled: {reason}"),
        ),
    };
    sqlx::query(
        "update provisioner.deployment set status = $3, error = $4, outputs = $5, finish_time = now()
          where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(status.as_str())
    .bind(&error)
    .bind(&outputs)
    .execute(&mut *tx)
    .await?;
    append_events_unfenced(tx, tenant_id, deployment_id, &[NewEvent::status(status, message)]).await
}

/// Appends `events` with the next sequence numbers. The `update … returning` takes the
/// deployment's row lock, so concurrent appenders are serialised and numbers stay dense.
async fn append_events_unfenced(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    events: &[NewEvent],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let count = events.len() as i64;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let levels: Vec<&str> = events.iter().map(|e| e.level.as_str()).collect();
    // PostgreSQL text cannot hold NUL; executors' output is arbitrary bytes.
    let messages: Vec<String> = events.iter().map(|e| e.message.replace('\0', "\u{fffd}")).collect();
    let statuses: Vec<Option<&str>> = events.iter().map(|e| e.status.map(|s| s.as_str())).collect();
    sqlx::query(
        "with bump as (
             update provisioner.deployment set last_event_seq = last_event_seq + $3
              where tenant_id = $1 and id = $2
             returning last_event_seq
         )
         insert into provisioner.deployment_event (tenant_id, deployment_id, seq, kind, level, message, status)
         select $1, $2, bump.last_event_seq - $3 + e.ord, e.kind, e.level, e.message, e.status
           from bump, unnest($4::text[], $5::text[], $6::text[], $7::text[])
                      with ordinality as e(kind, level, message, status, ord)",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(count)
    .bind(&kinds)
    .bind(&levels)
    .bind(&messages)
    .bind(&statuses)
    .execute(&mut *tx)
    .await?;
    sqlx::query("select pg_notify($1, $2)")
        .bind(EVENTS_CHANNEL)
        .bind(deployment_id.to_string())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The start of each attempt of a run, oldest first: `(attempt, lease_version, worker,
/// start_time, finish_time, outcome)`. For operators and tests.
pub async fn run_attempts(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
) -> Result<Vec<RunAttempt>, sqlx::Error> {
    let rows = sqlx::query(
        "select attempt, lease_version, worker, start_time, finish_time, outcome from provisioner.run_attempt
          where tenant_id = $1 and run_id = $2 order by attempt",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RunAttempt {
                attempt: row.try_get("attempt")?,
                lease_version: row.try_get("lease_version")?,
                worker: row.try_get("worker")?,
                start_time: row.try_get("start_time")?,
                finish_time: row.try_get("finish_time")?,
                outcome: row.try_get("outcome")?,
            })
        })
        .collect()
}

/// One attempt at a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunAttempt {
    pub attempt: i32,
    pub lease_version: i64,
    pub worker: String,
    pub start_time: DateTime<Utc>,
    pub finish_time: Option<DateTime<Utc>>,
    /// `''` while running; `succeeded`, `failed`, `cancelled`, `retry` or `lease expired`.
    pub outcome: String,
}
