//! The health of every integration: a scheduled check per integration (claimed with a
//! lease, so replicas never check one store twice at once), each outcome stored with
//! its history, and an alert when an integration turns unhealthy — reported again by
//! every check that still finds it so, and resolved by the check that finds it healthy.
//!
//! A rate-limited answer says nothing about the credentials: health is kept, the
//! history notes it, and the next check waits for as long as the platform asked.

use std::sync::Arc;
use std::time::Duration;

use canopy_kit::audit::{ActorKind, AuditRecord, EventKind};
use canopy_kit::db::{Scope, TenantId};
use canopy_kit::events::{self, CanopyEvent, Severity};
use uuid::Uuid;

use crate::Commerce;
use crate::connect::{Cause, Outcome};
use crate::store::{self, CheckRecord, IntegrationRow};

/// What made a check run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Scheduled,
    OnDemand,
    Created,
    Rotated,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::OnDemand => "on_demand",
            Trigger::Created => "created",
            Trigger::Rotated => "rotated",
        }
    }
}

/// Checks claimed per pass.
const BATCH: i64 = 20;

/// The event an unhealthy integration raises (and its recovery resolves).
pub const UNHEALTHY_EVENT: &str = "store_integration_unhealthy";

/// Runs passes until cancelled.
pub async fn run_forever(commerce: Arc<Commerce>) {
    let every = Duration::from_millis(commerce.config.worker_poll_ms.max(10));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = pass(&commerce).await {
            tracing::warn!(error = format!("{error:#}"), "store health pass failed");
        }
    }
}

/// Claims the due checks and runs them; how many ran.
pub async fn pass(commerce: &Commerce) -> anyhow::Result<usize> {
    let now = commerce.clock.now();
    let lease = chrono::Duration::from_std(Duration::from_secs_f64(commerce.config.check_timeout_secs * 2.0 + 5.0))?;
    // A system pass across customers.
    let mut tx = commerce.database.begin(Scope::Platform).await?;
    let due = store::claim_due_checks(&mut tx, now, now + lease, BATCH).await?;
    let cutoff = now - chrono::Duration::days(commerce.config.history_keep_days);
    store::purge_history(&mut tx, cutoff).await?;
    tx.commit().await?;
    let ran = due.len();
    for check in due {
        if let Err(error) = check_stored(commerce, check.tenant_id, check.id, Trigger::Scheduled).await {
            tracing::warn!(integration_id = %check.id, error = format!("{error:#}"), "store check failed to record");
        }
    }
    Ok(ran)
}

/// Checks a stored integration now and records the outcome; `None` if it is gone.
pub async fn check_stored(
    commerce: &Commerce,
    tenant: Uuid,
    id: Uuid,
    trigger: Trigger,
) -> anyhow::Result<Option<Outcome>> {
    // No transaction is held across the call to the store.
    let mut tx = commerce.database.begin_read_only(Scope::Tenant(TenantId(tenant))).await?;
    let row = store::integration(&mut tx, tenant, id, false).await?;
    let Some(row) = row else { return Ok(None) };
    let outcome = match commerce.stores.open(&commerce.secrets, &mut tx, &row).await {
        Ok(connection) => {
            tx.commit().await?;
            commerce.stores.check(&connection).await
        }
        Err(error) => {
            tx.commit().await?;
            tracing::error!(integration_id = %id, error = format!("{error:#}"), "stored credentials do not open");
            Outcome::failed(Cause::Unexpected, "the stored credentials could not be read; enter them again".into())
        }
    };
    record(commerce, &row, &outcome, trigger).await?;
    Ok(Some(outcome))
}

/// Stores a check's outcome; publishes the alert (or its resolution) when the health
/// changes.
pub async fn record(
    commerce: &Commerce,
    row: &IntegrationRow,
    outcome: &Outcome,
    trigger: Trigger,
) -> anyhow::Result<()> {
    let now = commerce.clock.now();
    let rate_limited = outcome.cause == Cause::RateLimited;
    let wait = match (rate_limited, outcome.healthy) {
        (true, _) => outcome.retry_after.unwrap_or(commerce.config.unhealthy_check_every()).max(Duration::from_secs(1)),
        (false, true) => commerce.config.check_every(),
        (false, false) => commerce.config.unhealthy_check_every(),
    };
    let health = if outcome.healthy { "healthy" } else { "unhealthy" };
    let check = CheckRecord {
        health,
        cause: outcome.cause.code(),
        message: &outcome.message,
        store_name: outcome.store_name.as_deref(),
        trigger: trigger.as_str(),
        at: now,
        next_check_at: now + chrono::Duration::from_std(wait)?,
        keep_health: rate_limited,
    };
    let mut tx = commerce.database.begin(Scope::Tenant(TenantId(row.tenant_id))).await?;
    let Some(before) = store::record_check(&mut tx, row.tenant_id, row.id, &check).await? else {
        return Ok(());
    };
    let was_unhealthy = before.health == "unhealthy";
    let turned_unhealthy = !rate_limited && !outcome.healthy && !was_unhealthy;
    let recovered = !rate_limited && outcome.healthy && was_unhealthy;
    // Still unhealthy (or throttled while unhealthy): the alert is reported again, as
    // Alertmanager's clients re-send what still fires, so it does not time out.
    let still_unhealthy = was_unhealthy && !outcome.healthy;
    if still_unhealthy {
        let name = if before.display_name.is_empty() { &before.store } else { &before.display_name };
        let message = if rate_limited { &before.message } else { &outcome.message };
        let summary = format!("store {name:?} ({}) is unhealthy: {message}", before.platform);
        let event = CanopyEvent::new(UNHEALTHY_EVENT, Severity::Warning, &summary, now)
            .tenant(row.tenant_id)
            .label("integration_id", row.id)
            .label("site_id", row.site_id)
            .label("platform", &before.platform);
        events::publish(&mut tx, crate::MANIFEST.name, &event).await?;
    }
    if turned_unhealthy || recovered {
        let name = if before.display_name.is_empty() { &before.store } else { &before.display_name };
        let summary = if recovered {
            format!("store {name:?} ({}) is healthy again", before.platform)
        } else {
            format!("store {name:?} ({}) is unhealthy: {}", before.platform, outcome.message)
        };
        let mut event =
            // The resolution carries the alert's own labels (severity included), or it
            // would be another alert.
            CanopyEvent::new(UNHEALTHY_EVENT, Severity::Warning, &summary, now)
                .tenant(row.tenant_id)
                .label("integration_id", row.id)
                .label("site_id", row.site_id)
                .label("platform", &before.platform);
        if recovered {
            event = event.resolved();
        }
        events::publish(&mut tx, crate::MANIFEST.name, &event).await?;
        canopy_kit::audit::outbox::record_event(
            &mut tx,
            crate::MANIFEST.name,
            &AuditRecord {
                id: Uuid::now_v7(),
                tenant_id: Some(row.tenant_id),
                kind: EventKind::Decision,
                action: if recovered { "commerce.integration_recovered" } else { "commerce.integration_unhealthy" }
                    .into(),
                actor_kind: ActorKind::Workload,
                actor_id: crate::MANIFEST.name.to_owned(),
                actor_role: String::new(),
                resource_ids: vec![row.id.to_string(), row.site_id.to_string()],
                origin_address: String::new(),
                user_agent: String::new(),
                trace_id: String::new(),
                occurred_at: now,
                summary: serde_json::json!({
                    "platform": before.platform,
                    "store": before.store,
                    "health": health,
                    "cause": outcome.cause.code(),
                    "message": outcome.message,
                }),
            },
        )
        .await?;
        tracing::info!(integration_id = %row.id, health, cause = outcome.cause.code(), "store integration health changed");
    }
    tx.commit().await?;
    Ok(())
}
