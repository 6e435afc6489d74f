//! Canopy events for alerting: a service records what it observed (a deployment
//! failed, a customer was suspended) with [`publish`] inside the transaction of the
//! change, into its `event_outbox`; the kit ships the outbox, oldest first, to the
//! alerts service's `AlertEventService.PublishEvents`, so an event is sent exactly
//! when its change commits, and never lost while alerts is down.
//!
//! A service that publishes declares [`EVENT_SINK`] in its manifest's `calls` (its
//! mesh rule, its peer address and the kit's shipping job follow from that).

use std::collections::BTreeMap;

use canopy_sdk::proto::canopy::alerts::v1::alert_event_service_client::AlertEventServiceClient;
use canopy_sdk::proto::canopy::alerts::v1::{Event, PublishEventsRequest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::{Database, Scope};
use crate::peers::Peers;

/// The gRPC service events are shipped to.
pub const EVENT_SINK: &str = "canopy.alerts.v1.AlertEventService";

/// Events shipped per call.
const BATCH: i64 = 200;

/// How urgent an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

/// Something a service observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanopyEvent {
    pub id: Uuid,
    /// The customer it concerns; `None` for the platform.
    pub tenant_id: Option<Uuid>,
    /// Snake case: `deployment_failed`, `site_failed`, `customer_suspended`, `security_<kind>`.
    pub kind: String,
    pub labels: BTreeMap<String, String>,
    pub severity: Severity,
    /// One line for people.
    pub summary: String,
    pub occurred_at: DateTime<Utc>,
    /// Ends the condition an earlier event of the same kind and labels started.
    pub resolved: bool,
}

impl CanopyEvent {
    pub fn new(kind: impl Into<String>, severity: Severity, summary: impl Into<String>, now: DateTime<Utc>) -> Self {
        Self {
            id: Uuid::now_v7(),
            tenant_id: None,
            kind: kind.into(),
            labels: BTreeMap::new(),
            severity,
            summary: summary.into(),
            occurred_at: now,
            resolved: false,
        }
    }

    pub fn tenant(mut self, tenant: Uuid) -> Self {
        self.tenant_id = Some(tenant);
        self
    }

    pub fn label(mut self, name: &str, value: impl ToString) -> Self {
        self.labels.insert(name.to_string(), value.to_string());
        self
    }

    /// Marks the event as the end of the condition it names.
    pub fn resolved(mut self) -> Self {
        self.resolved = true;
        self
    }

    fn to_proto(&self) -> Event {
        Event {
            id: self.id.to_string(),
            kind: self.kind.clone(),
            customer_id: self.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
            labels: self.labels.clone().into_iter().collect(),
            severity: match self.severity {
                Severity::Critical => "critical",
                Severity::Warning => "warning",
                Severity::Info => "info",
            }
            .into(),
            occur_time: Some(crate::request::timestamp(self.occurred_at)),
            summary: self.summary.clone(),
            resolved: self.resolved,
        }
    }
}

/// The outbox's DDL, run by the owner in `schema` at every start (idempotent).
pub(crate) fn ddl(schema: &str, app_role: &str) -> Vec<String> {
    crate::outbox::table_ddl(schema, "event_outbox", "event jsonb not null", app_role)
}

/// Records `event` in `tx`, the transaction of the change it describes; `schema` is
/// the service's own.
pub async fn publish(tx: &mut PgConnection, schema: &str, event: &CanopyEvent) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("insert into {schema}.event_outbox (id, tenant_id, event) values ($1, $2, $3)"))
        .bind(event.id)
        .bind(event.tenant_id)
        .bind(sqlx::types::Json(event))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: Uuid,
    event: sqlx::types::Json<CanopyEvent>,
}

/// Ships the outbox of `schema` to alerts until `stop`, one shipper per schema at a
/// time (an advisory lock), deleting rows once alerts has recorded them (a batch
/// sent twice is recorded once: events are keyed by id).
pub async fn ship_events(database: Database, schema: &'static str, peers: Peers, stop: CancellationToken) {
    crate::outbox::ship_until_stopped("events", schema, BATCH as usize, stop, || ship_batch(&database, schema, &peers))
        .await;
}

async fn ship_batch(database: &Database, schema: &str, peers: &Peers) -> anyhow::Result<usize> {
    // A named system operation: the outbox is read and emptied in platform scope.
    let mut tx = database.begin_unaudited(Scope::Platform).await?;
    let locked: bool = sqlx::query_scalar("select pg_try_advisory_xact_lock(hashtext($1))")
        .bind(format!("canopy.event-outbox.{schema}"))
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(0);
    }
    let rows: Vec<OutboxRow> =
        sqlx::query_as(&format!("select id, event from {schema}.event_outbox order by position limit $1"))
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let events = rows.iter().map(|row| row.event.0.to_proto()).collect();
    let channel = peers.channel("alerts").await?;
    AlertEventServiceClient::new(channel).publish_events(PublishEventsRequest { events }).await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    sqlx::query(&format!("delete from {schema}.event_outbox where id = any($1)")).bind(&ids).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows.len())
}
