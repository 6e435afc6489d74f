//! The dispatch job: alerts reported since the last pass go into the engine's
//! dispatchers, due groups are flushed on the service clock, and every notification
//! becomes deliveries (or, for an escalation receiver, an incident). The
//! dispatchers' state is stored in PostgreSQL after each pass, under a row lock, so
//! a restarted or different replica carries on where the last pass stopped.
//!
//! Two dispatchers run: `platform`, over the operator's routing tree, and
//! `customer`, which groups every alert labelled `customer_id` by customer and
//! alert name (Alertmanager's default timings) for that customer's own receivers.
//! Silences and inhibit rules apply to both.

use std::collections::{BTreeMap, BTreeSet};

use canopy_kit::db::Scope;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Alerts;
use crate::engine::dispatch::{Alert, DispatchConfig, DispatchState, Dispatcher, Notification};
use crate::engine::route::{Route, RouteConfig};
use crate::engine::silence::Silence;
use crate::store::{self, ReceiverRow};
use crate::{api, paging};

pub const PLATFORM: &str = "platform";
pub const CUSTOMER: &str = "customer";
/// The customer dispatcher's one receiver: "this group's customer's receivers".
const CUSTOMER_RECEIVERS: &str = "customer-receivers";

/// One pass (see the module). Returns the notifications produced.
pub async fn dispatch_pass(alerts: &Alerts) -> anyhow::Result<usize> {
    let now = alerts.clock.now();
    // The dispatcher works across every customer's alerts: platform scope.
    let mut tx = alerts.database.begin(Scope::Platform).await?;
    let platform_state = store::lock_dispatch_state(&mut tx, PLATFORM, now).await?;
    let customer_state = store::lock_dispatch_state(&mut tx, CUSTOMER, now).await?;
    let reports: Vec<Alert> = store::take_inbox(&mut tx)
        .await?
        .into_iter()
        .filter_map(|value| {
            serde_json::from_value(value).map_err(|e| tracing::warn!(%e, "unreadable alert report")).ok()
        })
        .collect();
    let silences = silences(&mut tx, now).await?;
    let routing = api::convert::stored_routing(&mut tx).await?;
    let inhibit_rules = routing.as_ref().map(|config| config.inhibit_rules.clone()).unwrap_or_default();

    let mut produced = 0;
    if let Some(config) = routing {
        let mut dispatcher = Dispatcher::restore(config, state(platform_state)?);
        for alert in &reports {
            dispatcher.receive(alert.clone(), now);
        }
        let notifications = dispatcher.tick(now, &silences);
        store::save_dispatch_state(&mut tx, PLATFORM, &serde_json::to_value(dispatcher.state())?, now).await?;
        produced += notifications.len();
        let receivers: BTreeMap<String, ReceiverRow> =
            store::platform_receivers(&mut tx).await?.into_iter().map(|r| (r.name.clone(), r)).collect();
        for notification in notifications {
            match receivers.get(&notification.receiver) {
                Some(receiver) if receiver.kind == "escalation" => {
                    paging::on_notification(&mut tx, receiver, &notification, now).await?;
                }
                Some(receiver) => queue(&mut tx, receiver, &notification, now).await?,
                None => tracing::warn!(receiver = notification.receiver, "notification for a receiver that is gone"),
            }
        }
    }

    let customer_route = RouteConfig {
        receiver: Some(CUSTOMER_RECEIVERS.into()),
        group_by: Some(vec!["customer_id".into(), "alertname".into()]),
        ..RouteConfig::default()
    };
    let route = Route::compile(&customer_route, &BTreeSet::from([CUSTOMER_RECEIVERS.to_string()]), &BTreeSet::new())
        .map_err(|violations| anyhow::anyhow!("the customer route does not compile: {violations:?}"))?;
    let config = DispatchConfig { route, inhibit_rules, time_intervals: Vec::new() };
    let mut dispatcher = Dispatcher::restore(config, state(customer_state)?);
    for alert in reports.iter().filter(|alert| !alert.labels.value("customer_id").is_empty()) {
        dispatcher.receive(alert.clone(), now);
    }
    let notifications = dispatcher.tick(now, &silences);
    store::save_dispatch_state(&mut tx, CUSTOMER, &serde_json::to_value(dispatcher.state())?, now).await?;
    produced += notifications.len();
    for notification in notifications {
        let Ok(tenant) = notification.group_labels.value("customer_id").parse::<Uuid>() else { continue };
        for receiver in store::customer_receivers(&mut tx, tenant).await? {
            queue(&mut tx, &receiver, &notification, now).await?;
        }
    }
    tx.commit().await?;
    Ok(produced)
}

/// The stored state; an empty object is a dispatcher that has not run yet.
fn state(value: serde_json::Value) -> anyhow::Result<DispatchState> {
    if value.as_object().is_some_and(|object| object.is_empty()) {
        return Ok(DispatchState::default());
    }
    Ok(serde_json::from_value(value)?)
}

/// Every silence that can still mute, as the engine's. A stored silence was
/// validated on the way in, so one that no longer parses is logged and skipped.
pub async fn silences(tx: &mut PgConnection, now: DateTime<Utc>) -> anyhow::Result<Vec<Silence>> {
    Ok(store::current_silences(tx, now)
        .await?
        .into_iter()
        .filter_map(|row| match api::convert::silence(&row) {
            Ok(silence) => Some(silence),
            Err(error) => {
                tracing::warn!(silence_id = %row.id, %error, "stored silence does not parse; ignored");
                None
            }
        })
        .collect())
}

/// Queues `notification` for `receiver`, leaving resolved alerts out where the
/// receiver does not want them (and the whole notification when nothing is left).
async fn queue(
    tx: &mut PgConnection,
    receiver: &ReceiverRow,
    notification: &Notification,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut notification = notification.clone();
    if !receiver.send_resolved {
        notification.alerts.retain(|alert| alert.status == crate::engine::dispatch::AlertStatus::Firing);
        if notification.alerts.is_empty() {
            return Ok(());
        }
    }
    let body = serde_json::json!({
        "kind": "notification",
        "receiver": receiver.name,
        "notification": notification,
    });
    let webhook_id = format!("msg_{}", notification.id);
    store::queue_delivery(tx, receiver.tenant_id, receiver.id, &webhook_id, &body, now).await?;
    Ok(())
}
