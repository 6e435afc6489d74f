//! Writing a deployment's log and its final status. [`crate::queue`] uses these for the
//! first event of an enqueue and for cancelling a queued run; the provisioner's workers
//! call them behind their lease check (`canopy_provisioner::runs`), which is what makes
//! their writes fenced. Nothing here checks a lease: a caller that is a worker must have
//! checked its own in the same transaction first.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::EVENTS_CHANNEL;
use crate::model::{DeploymentStatus, EventKind, LogLevel, NewEvent};

/// How a deployment ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Succeeded { outputs: Value },
    Failed { error: String },
    Cancelled { reason: String },
}

/// Records a deployment's final status, error and outputs, and appends the status event.
pub async fn finish_deployment(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    ending: &Ending,
) -> Result<(), sqlx::Error> {
    let (status, error, outputs, message) = match ending {
        Ending::Succeeded { outputs } => {
            (DeploymentStatus::Succeeded, String::new(), outputs.clone(), "succeeded".to_owned())
        }
        Ending::Failed { error } => {
            (DeploymentStatus::Failed, error.clone(), Value::Object(Default::default()), format!("failed: {error}"))
        }
        Ending::Cancelled { reason } => (
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
    .bind(status)
    .bind(&error)
    .bind(&outputs)
    .execute(&mut *tx)
    .await?;
    append_events_unfenced(tx, tenant_id, deployment_id, &[NewEvent::status(status, message)]).await
}

/// Appends `events` with the next sequence numbers. The `update … returning` takes the
/// deployment's row lock, so concurrent appenders are serialised and numbers stay dense.
pub async fn append_events_unfenced(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    events: &[NewEvent],
) -> Result<(), sqlx::Error> {
    if events.is_empty() {
        return Ok(());
    }
    let count = events.len() as i64;
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    let levels: Vec<LogLevel> = events.iter().map(|e| e.level).collect();
    // PostgreSQL text cannot hold NUL; executors' output is arbitrary bytes.
    let messages: Vec<String> = events.iter().map(|e| e.message.replace('\0', "\u{fffd}")).collect();
    let statuses: Vec<Option<DeploymentStatus>> = events.iter().map(|e| e.status).collect();
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
