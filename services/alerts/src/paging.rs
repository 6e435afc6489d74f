//! Incidents and paging: a notification to an escalation receiver opens an
//! incident for its alert group (one open incident per receiver and group), and
//! resolves it when everything in the group resolved. The escalation job ticks due
//! incidents through the engine: pages to receivers are delivered like
//! notifications, and pages to people (named, or on call) are mailed to them, each
//! with a signed, expiring acknowledgement link; every page is kept on the incident.

use std::collections::BTreeMap;

use canopy_kit::db::Scope;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Alerts;
use crate::engine::dispatch::{AlertStatus, Notification};
use crate::engine::escalation::{Incident, IncidentStatus, Recipient};
use crate::engine::oncall::Schedule;
use crate::link::LinkClaim;
use crate::store::{self, IncidentRow, PageRow, ReceiverRow, SpecTable};

/// The status column for an engine status.
pub fn status_name(status: &IncidentStatus) -> &'static str {
    match status {
        IncidentStatus::Triggered => "triggered",
        IncidentStatus::Acknowledged { .. } => "acknowledged",
        IncidentStatus::Resolved { .. } => "resolved",
    }
}

/// Opens or resolves the incident of an escalation receiver's group.
pub async fn on_notification(
    tx: &mut PgConnection,
    receiver: &ReceiverRow,
    notification: &Notification,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let firing = notification.alerts.iter().any(|alert| alert.status == AlertStatus::Firing);
    let open = store::open_incident(tx, receiver.id, &notification.group_key).await?;
    match (open, firing) {
        (None, true) => {
            let Some(policy_id) = receiver.escalation_policy_id else { return Ok(()) };
            let Some(row) = store::get_spec(tx, SpecTable::EscalationPolicy, policy_id).await? else {
                tracing::warn!(receiver = receiver.name, "escalation receiver's policy is gone; no incident opened");
                return Ok(());
            };
            let policy = crate::api::convert::stored_policy(&row)?;
            let id = Uuid::now_v7();
            let incident = Incident::trigger(id.to_string(), policy, now);
            let summary = format!(
                "{} ({} firing)",
                notification.group_labels.to_matcher_text(),
                notification.alerts.iter().filter(|a| a.status == AlertStatus::Firing).count()
            );
            let row = IncidentRow {
                id,
                receiver_id: receiver.id,
                group_key: notification.group_key.clone(),
                summary,
                status: status_name(&incident.status).into(),
                state: serde_json::to_value(&incident)?,
                created_at: now,
            };
            store::insert_incident(tx, &row, incident.next_page_at).await?;
        }
        (Some(row), false) => {
            let mut incident: Incident = serde_json::from_value(row.state)?;
            incident.resolve(now);
            save(tx, row.id, &incident).await?;
        }
        // Still firing with an incident open, or resolved with none: nothing to do.
        (Some(_), true) | (None, false) => {}
    }
    Ok(())
}

pub async fn save(tx: &mut PgConnection, id: Uuid, incident: &Incident) -> anyhow::Result<()> {
    store::update_incident(
        tx,
        id,
        status_name(&incident.status),
        &serde_json::to_value(incident)?,
        incident.next_page_at,
    )
    .await?;
    Ok(())
}

/// One escalation pass: every incident with a step due pages it. Returns pages sent.
pub async fn escalate_due(alerts: &Alerts) -> anyhow::Result<usize> {
    let now = alerts.clock.now();
    // Incidents are the platform's: platform scope.
    let mut tx = alerts.database.begin(Scope::Platform).await?;
    let due = store::due_incidents(&mut tx, now).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let schedules: BTreeMap<String, Schedule> = store::all_specs(&mut tx, SpecTable::Schedule)
        .await?
        .iter()
        .filter_map(|row| crate::api::convert::stored_schedule(row).ok())
        .map(|schedule| (schedule.name.clone(), schedule))
        .collect();
    let receivers: BTreeMap<String, ReceiverRow> =
        store::platform_receivers(&mut tx).await?.into_iter().map(|r| (r.name.clone(), r)).collect();
    let mut sent = 0;
    for row in due {
        let mut incident: Incident = serde_json::from_value(row.state.clone())?;
        for page in incident.tick(now, &schedules) {
            sent += 1;
            let (receiver, user_id, nobody) = match &page.recipient {
                Recipient::Receiver(name) => (name.clone(), String::new(), String::new()),
                Recipient::User(user) => (String::new(), user.0.clone(), String::new()),
                Recipient::NobodyOnCall { schedule } => {
                    tracing::error!(incident_id = %row.id, schedule, "page reached nobody: the schedule has nobody on call");
                    (String::new(), String::new(), schedule.clone())
                }
            };
            store::insert_page(
                &mut tx,
                &PageRow {
                    id: page.id.clone(),
                    incident_id: row.id,
                    step: i32::try_from(page.step).unwrap_or(i32::MAX),
                    pass: i32::try_from(page.pass).unwrap_or(i32::MAX),
                    receiver: receiver.clone(),
                    user_id,
                    nobody_on_call_schedule: nobody,
                    paged_at: page.at,
                },
            )
            .await?;
            let webhook_id = format!("msg_page_{}", page.id);
            let page_body = |recipient: String| {
                let claim = LinkClaim {
                    incident_id: row.id,
                    recipient,
                    expires_at: now + chrono::Duration::seconds(alerts.config.acknowledge_link_lifetime_secs as i64),
                };
                let token = alerts.link_key.sign(&claim);
                serde_json::json!({
                    "kind": "page",
                    "incident_id": row.id,
                    "summary": row.summary,
                    "step": page.step,
                    "pass": page.pass,
                    "acknowledge_token": token,
                    "acknowledge_url": format!("{}?token={token}", alerts.config.acknowledge_link_base_url),
                })
            };
            if let Recipient::User(user) = &page.recipient {
                // A person is mailed at the address identity has for them. Schedules
                // and policies are not checked against identity, so a user id that is
                // not an identity user's can only be recorded.
                match user.0.parse::<Uuid>() {
                    Ok(user_id) => {
                        let body = page_body(format!("user:{user_id}"));
                        store::queue_user_delivery(&mut tx, user_id, &webhook_id, &body, now).await?;
                    }
                    Err(_) => tracing::warn!(incident_id = %row.id, user = user.0,
                        "page to a user id that is not an identity user's id; recorded on the incident only"),
                }
                continue;
            }
            let Some(target) = receivers.get(&receiver) else { continue };
            if target.kind == "escalation" {
                continue;
            }
            let body = page_body(format!("receiver:{receiver}"));
            store::queue_delivery(&mut tx, None, target.id, &webhook_id, &body, now).await?;
        }
        save(&mut tx, row.id, &incident).await?;
    }
    tx.commit().await?;
    Ok(sent)
}
