//! The deployment queue as the sites service sees it: [`enqueue`] a deployment in the
//! same transaction as the site change, read deployments and their log in the caller's
//! tenant scope, [`request_cancel`], and take finished outcomes back onto sites
//! ([`unapplied_outcomes`], [`mark_outcome_applied`]). The types of [`crate::model`]
//! and [`EVENTS_CHANNEL`] are re-exported here, so this module is the whole contract.
//!
//! Claiming runs and the workers' fenced writes are not here: they are in
//! `canopy_provisioner::runs`.

use canopy_kit::telemetry::CallContext;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

pub use crate::EVENTS_CHANNEL;
use crate::events::{Ending, append_events_unfenced, finish_deployment};
use crate::model::DEPLOYMENT_COLUMNS;
pub use crate::model::{
    DeploymentEvent, DeploymentKind, DeploymentRow, DeploymentStatus, EventKind, LogLevel, NewDeployment, NewEvent,
};
use crate::{CANCEL_CHANNEL, RUNS_CHANNEL};

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
    // Who started it, for the policies checked before apply: the audited call's actor.
    let started_by = canopy_kit::audit::current_actor().unwrap_or_else(|| serde_json::json!({}));
    let labels = serde_json::to_value(&d.labels).unwrap_or_default();
    // A conflict can race with the active run finishing; the loop then finds the site
    // free on the next pass. Three passes are plenty: each needs a run to end in between.
    for _ in 0..3 {
        sqlx::query(
            "insert into provisioner.deployment
                    (tenant_id, id, site_id, kind, status, provider, sandbox, variables, traceparent,
                     labels, started_by)
             values ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, $9, $10)",
        )
        .bind(d.tenant_id)
        .bind(d.deployment_id)
        .bind(d.site_id)
        .bind(d.kind)
        .bind(d.provider.as_str())
        .bind(d.sandbox)
        .bind(&d.variables)
        .bind(&traceparent)
        .bind(&labels)
        .bind(&started_by)
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
            &Ending::Cancelled { reason: "cancelled before it started".into() },
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

/// One deployment, or `None` when the caller's scope has no such deployment.
pub async fn deployment(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Option<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where d.tenant_id = $1 and d.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
}

/// A deployment by id alone, for platform-scoped callers that do not know its
/// tenant yet (under a tenant scope, row-level security still limits the answer).
pub async fn deployment_any_tenant(tx: &mut PgConnection, id: Uuid) -> Result<Option<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where d.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await
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
    sqlx::query_as(&format!(
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
    .await
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
    sqlx::query_as(
        "select status, count(*) as deployments from provisioner.deployment
          where create_time >= $1
          group by status",
    )
    .bind(since)
    .fetch_all(&mut *tx)
    .await
}

/// The latest failed deployments created at or after `since`, newest first, at most
/// `limit`, in the caller's scope (as for [`count_deployments_since`]).
pub async fn recent_failures(
    tx: &mut PgConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where d.status = 'failed' and d.create_time >= $1
          order by d.create_time desc, d.id desc
          limit $2"
    ))
    .bind(since)
    .bind(limit.max(0))
    .fetch_all(&mut *tx)
    .await
}

/// Events of a deployment with `seq > after_seq`, in order.
pub async fn events_after(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<DeploymentEvent>, sqlx::Error> {
    sqlx::query_as(
        "select seq, id, time, kind, level, message, status from provisioner.deployment_event
          where tenant_id = $1 and deployment_id = $2 and seq > $3
          order by seq limit $4",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(after_seq)
    .bind(limit.max(0))
    .fetch_all(&mut *tx)
    .await
}

/// Finished deployments whose outcome the sites service has not yet applied, oldest
/// first. Run it in `Scope::Platform`: applying outcomes is a system task for every tenant.
pub async fn unapplied_outcomes(tx: &mut PgConnection, limit: i64) -> Result<Vec<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEPLOYMENT_COLUMNS} from provisioner.deployment d left join provisioner.run r on r.tenant_id = d.tenant_id and r.id = d.id
          where not d.outcome_applied and d.status in ('succeeded', 'failed', 'cancelled')
          order by d.finish_time, d.tenant_id, d.id
          limit $1
          for update of d skip locked"
    ))
    .bind(limit.max(0))
    .fetch_all(&mut *tx)
    .await
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

/// Ends a run that no worker holds (a queued run being cancelled).
async fn finish_unfenced(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    ending: &Ending,
) -> Result<(), sqlx::Error> {
    let state = match ending {
        Ending::Succeeded { .. } => "succeeded",
        Ending::Failed { .. } => "failed",
        Ending::Cancelled { .. } => "cancelled",
    };
    sqlx::query(
        "update provisioner.run set state = $3, lease_owner = '', lease_expires_time = null where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(state)
    .execute(&mut *tx)
    .await?;
    finish_deployment(tx, tenant_id, deployment_id, ending).await
}

/// The customer a site belongs to, if it has ever had a deployment (every site has its
/// create deployment from the moment it exists), as the caller's scope sees it. The
/// policy service checks the sites its policies' scopes name with it.
pub async fn site_tenant(tx: &mut PgConnection, site_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar("select tenant_id from provisioner.deployment where site_id = $1 limit 1")
        .bind(site_id)
        .fetch_optional(tx)
        .await
}
