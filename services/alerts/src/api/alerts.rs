//! `AlertService` (listing alerts), `AlertEventService` (events from Canopy's
//! services, each an alert of its own and counted by the event rules) and
//! `EventRuleService` (the operator's threshold rules over events).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use canopy_kit::db::{Scope, TenantId};
use canopy_kit::mesh::CallerWorkload;
use canopy_kit::paging::page_size;
use canopy_kit::request::{optional_tenant, principal, required_id, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::alerts::v1 as proto;
use canopy_sdk::proto::canopy::alerts::v1::alert_event_service_server::AlertEventService;
use canopy_sdk::proto::canopy::alerts::v1::alert_service_server::AlertService;
use canopy_sdk::proto::canopy::alerts::v1::event_rule_service_server::EventRuleService;
use canopy_sdk::proto::canopy::common::v1::PageResponse;
use chrono::{DateTime, TimeDelta, Utc};
use prost::Message as _;
use sqlx::PgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{convert, db, finish_offset_page, object_name, offset_page, refuse_if_any};
use crate::Alerts;
use crate::engine::dispatch::Alert;
use crate::engine::labels::{Labels, is_valid_label_name};
use crate::engine::matcher::{Matcher, all_match};
use crate::store::{self, AlertRow, SpecTable};

pub struct AlertApi(pub Arc<Alerts>);
pub struct AlertEventApi(pub Arc<Alerts>);
pub struct EventRuleApi(pub Arc<Alerts>);

/// Most events in one batch.
const MAX_BATCH: usize = 500;
/// Severities an event or rule may carry.
const SEVERITIES: [&str; 3] = ["critical", "warning", "info"];
/// Labels the service sets itself.
const RESERVED_LABELS: [&str; 3] = ["alertname", "severity", "customer_id"];

fn alert(row: &AlertRow, now: DateTime<Utc>) -> proto::Alert {
    let map = |value: &serde_json::Value| -> std::collections::HashMap<String, String> {
        value
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default()
    };
    let firing = row.ends_at.is_none_or(|ends_at| ends_at > now);
    proto::Alert {
        id: row.fingerprint.clone(),
        labels: map(&row.labels),
        annotations: map(&row.annotations),
        start_time: Some(timestamp(row.starts_at)),
        end_time: row.ends_at.map(timestamp),
        state: if firing { proto::AlertState::Firing } else { proto::AlertState::Resolved }.into(),
        customer_id: row.tenant_id.map(|id| id.to_string()).unwrap_or_default(),
    }
}

fn alert_page_token(row: &AlertRow) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        "{}|{}",
        row.starts_at.timestamp_micros(),
        row.fingerprint
    ))
}

fn read_alert_page_token(token: &str) -> Result<Option<(DateTime<Utc>, String)>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    let invalid = || ApiError::invalid("page.page_token", "is not a token this list returned");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let raw = String::from_utf8(raw).map_err(|_| invalid())?;
    let (micros, fingerprint) = raw.split_once('|').ok_or_else(invalid)?;
    let time = micros.parse().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(invalid)?;
    Ok(Some((time, fingerprint.to_string())))
}

#[tonic::async_trait]
impl AlertService for AlertApi {
    async fn list_alerts(
        &self,
        request: Request<proto::ListAlertsRequest>,
    ) -> Result<Response<proto::ListAlertsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let requested = optional_tenant("customer_id", &request.customer_id)?;
        let page = request.page.unwrap_or_default();
        let limit = page_size(page.page_size)?;
        let after = read_alert_page_token(&page.page_token)?;
        let alertname = request.alertname.trim();
        if alertname.len() > 128 {
            return Err(ApiError::invalid("alertname", "must be at most 128 characters").into());
        }
        let scope = principal.scope_for(requested)?;
        let tenant_id = match scope {
            Scope::Tenant(TenantId(tenant)) => Some(tenant),
            _ => None,
        };
        let now = self.0.clock.now();
        let filter = store::AlertFilter {
            tenant_id,
            firing: match proto::AlertState::try_from(request.state).unwrap_or_default() {
                proto::AlertState::Firing => Some(true),
                proto::AlertState::Resolved => Some(false),
                proto::AlertState::Unspecified => None,
            },
            alertname: (!alertname.is_empty()).then(|| alertname.to_string()),
            now,
        };
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut rows = store::list_alerts(&mut tx, &filter, after, limit + 1).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            rows.last().map(alert_page_token).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(proto::ListAlertsResponse {
            alerts: rows.iter().map(|row| alert(row, now)).collect(),
            page: Some(PageResponse { next_page_token, total_size: -1 }),
        }))
    }
}

/// An event after validation.
struct ValidEvent {
    id: Uuid,
    kind: String,
    tenant: Option<Uuid>,
    /// Every label, the service's own included (`customer_id`, `severity`).
    labels: Labels,
    occurred_at: DateTime<Utc>,
    summary: String,
    resolved: bool,
}

fn valid_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 64
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn event(index: usize, event: &proto::Event, violations: &mut Vec<FieldViolation>) -> Option<ValidEvent> {
    let path = format!("events[{index}]");
    let before = violations.len();
    let id = match event.id.trim().parse::<Uuid>() {
        Ok(id) => Some(id),
        Err(_) => {
            violations.push(FieldViolation::new(format!("{path}.id"), "must be a UUID"));
            None
        }
    };
    if !valid_kind(&event.kind) {
        violations.push(FieldViolation::new(
            format!("{path}.kind"),
            "must be 1 to 64 of a-z, 0-9 and _, starting with a letter",
        ));
    }
    let tenant = if event.customer_id.is_empty() {
        None
    } else {
        match event.customer_id.parse::<Uuid>() {
            Ok(id) => Some(id),
            Err(_) => {
                violations.push(FieldViolation::new(format!("{path}.customer_id"), "must be a UUID"));
                None
            }
        }
    };
    if !SEVERITIES.contains(&event.severity.as_str()) {
        violations.push(FieldViolation::new(format!("{path}.severity"), "must be critical, warning or info"));
    }
    let occurred_at = convert::instant(&format!("{path}.occur_time"), event.occur_time.as_ref(), violations);
    let mut labels: Labels = Labels::new();
    for (name, value) in &event.labels {
        if !is_valid_label_name(name) || RESERVED_LABELS.contains(&name.as_str()) {
            violations.push(FieldViolation::new(
                format!("{path}.labels"),
                format!("{name:?} is not a label name an event may set"),
            ));
        } else if value.chars().count() > 256 {
            violations.push(FieldViolation::new(
                format!("{path}.labels"),
                format!("{name:?}: values are at most 256 characters"),
            ));
        } else {
            labels.insert(name.clone(), value.clone());
        }
    }
    let summary = canopy_kit::request::optional_human_text(&event.summary, 500).unwrap_or_else(|error| {
        violations.push(error.violation(format!("{path}.summary")));
        String::new()
    });
    if violations.len() > before {
        return None;
    }
    labels.insert("alertname", event.kind.clone());
    labels.insert("severity", event.severity.clone());
    if let Some(tenant) = tenant {
        labels.insert("customer_id", tenant.to_string());
    }
    Some(ValidEvent {
        id: id?,
        kind: event.kind.clone(),
        tenant,
        labels,
        occurred_at: occurred_at?,
        summary,
        resolved: event.resolved,
    })
}

fn labels_json(labels: &Labels) -> serde_json::Value {
    serde_json::Value::Object(
        labels.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.into()))).collect(),
    )
}

/// Records an alert report for listing and for the dispatchers.
async fn report(tx: &mut PgConnection, alert: Alert, now: DateTime<Utc>) -> Result<(), ApiError> {
    let tenant_id = alert.labels.get("customer_id").and_then(|id| id.parse().ok());
    let row = AlertRow {
        fingerprint: format!("{:016x}", alert.fingerprint()),
        tenant_id,
        labels: labels_json(&alert.labels),
        annotations: serde_json::to_value(&alert.annotations).map_err(ApiError::internal)?,
        starts_at: alert.starts_at,
        ends_at: alert.ends_at,
    };
    let engine_alert = serde_json::to_value(&alert).map_err(ApiError::internal)?;
    store::report_alert(tx, &row, alert.labels.value("alertname"), &engine_alert, now).await.map_err(db)
}

/// A stored rule, decoded with its parsed matchers.
struct Rule {
    spec: proto::EventRule,
    matchers: Vec<Matcher>,
    window: TimeDelta,
}

fn rule(row: &store::SpecRow) -> Option<Rule> {
    let spec = proto::EventRule::decode(row.spec.as_slice()).ok()?;
    let mut violations = Vec::new();
    let matchers = convert::matchers("matchers", &spec.matchers, &mut violations);
    let window = convert::duration("window", spec.window.as_ref(), &mut violations)?;
    violations.is_empty().then_some(Rule { spec, matchers, window })
}

#[tonic::async_trait]
impl AlertEventService for AlertEventApi {
    async fn publish_events(
        &self,
        request: Request<proto::PublishEventsRequest>,
    ) -> Result<Response<proto::PublishEventsResponse>, Status> {
        // Only services inside the mesh publish (the policy says INTERNAL; the kit
        // puts the caller's workload identity on the request).
        request
            .extensions()
            .get::<CallerWorkload>()
            .ok_or(ApiError::PermissionDenied("only services inside the mesh publish events".into()))?;
        let events = request.into_inner().events;
        if events.len() > MAX_BATCH {
            return Err(ApiError::invalid("events", format!("at most {MAX_BATCH} events per call")).into());
        }
        let mut violations = Vec::new();
        let valid: Vec<ValidEvent> =
            events.iter().enumerate().filter_map(|(index, each)| event(index, each, &mut violations)).collect();
        refuse_if_any(violations)?;

        let alerts = &self.0;
        let now = alerts.clock.now();
        let resolve_after =
            TimeDelta::seconds(i64::try_from(alerts.config.event_alert_resolve_after_secs).unwrap_or(300));
        // Events of every customer, and rules across them: a named system operation, platform scope.
        let mut tx = alerts.database.begin(Scope::Platform).await.map_err(db)?;
        let mut recorded = 0;
        for event in valid {
            let labels = labels_json(&event.labels);
            if !store::insert_event(&mut tx, event.id, event.tenant, &event.kind, &labels, event.occurred_at, now)
                .await
                .map_err(db)?
            {
                continue;
            }
            recorded += 1;
            let annotations: BTreeMap<String, String> = (!event.summary.is_empty())
                .then(|| ("summary".to_string(), event.summary.clone()))
                .into_iter()
                .collect();
            let ends_at = if event.resolved { event.occurred_at } else { event.occurred_at.max(now) + resolve_after };
            let own = Alert {
                labels: event.labels.clone(),
                annotations,
                starts_at: event.occurred_at,
                ends_at: Some(ends_at),
            };
            report(&mut tx, own, now).await?;
            if event.resolved {
                continue;
            }
            for row in store::event_rules_for_kind(&mut tx, &event.kind).await.map_err(db)? {
                let Some(rule) = rule(&row) else { continue };
                if !all_match(&rule.matchers, &event.labels) {
                    continue;
                }
                let group: Labels = rule
                    .spec
                    .group_by
                    .iter()
                    .map(|name| (name.clone(), event.labels.value(name).to_string()))
                    .collect();
                let counted = store::events_in_window(
                    &mut tx,
                    &event.kind,
                    &labels_json(&group),
                    event.occurred_at - rule.window,
                    event.occurred_at,
                )
                .await
                .map_err(db)?
                .into_iter()
                .filter(|labels| {
                    let labels: Labels = labels
                        .as_object()
                        .map(|o| {
                            o.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect()
                        })
                        .unwrap_or_default();
                    all_match(&rule.matchers, &labels)
                })
                .count();
                if counted <= usize::try_from(rule.spec.threshold).unwrap_or(0) {
                    continue;
                }
                let mut labels = group.clone();
                for (name, value) in &rule.spec.labels {
                    labels.insert(name.clone(), value.clone());
                }
                labels.insert("alertname", rule.spec.name.clone());
                labels.insert("severity", rule.spec.severity.clone());
                let summary = format!(
                    "{counted} {} events within {} s ({})",
                    event.kind,
                    rule.window.num_seconds(),
                    group.to_matcher_text()
                );
                let fired = Alert {
                    labels,
                    annotations: BTreeMap::from([("summary".to_string(), summary)]),
                    starts_at: event.occurred_at,
                    ends_at: Some(event.occurred_at.max(now) + rule.window),
                };
                report(&mut tx, fired, now).await?;
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::PublishEventsResponse { recorded }))
    }
}

#[tonic::async_trait]
impl EventRuleService for EventRuleApi {
    async fn create_event_rule(
        &self,
        request: Request<proto::CreateEventRuleRequest>,
    ) -> Result<Response<proto::CreateEventRuleResponse>, Status> {
        principal(&request)?;
        let mut spec = request.into_inner().event_rule.unwrap_or_default();
        let mut violations = Vec::new();
        spec.name = object_name("event_rule.name", &spec.name, &mut violations);
        if !valid_kind(&spec.event_kind) {
            violations.push(FieldViolation::new(
                "event_rule.event_kind",
                "must be 1 to 64 of a-z, 0-9 and _, starting with a letter",
            ));
        }
        convert::matchers("event_rule.matchers", &spec.matchers, &mut violations);
        if spec.threshold < 0 {
            violations.push(FieldViolation::new("event_rule.threshold", "must not be negative"));
        }
        if spec.window.is_none() {
            violations.push(FieldViolation::new("event_rule.window", "is required"));
        }
        convert::duration("event_rule.window", spec.window.as_ref(), &mut violations);
        for (index, name) in spec.group_by.iter().enumerate() {
            if !is_valid_label_name(name) {
                violations.push(FieldViolation::new(
                    format!("event_rule.group_by[{index}]"),
                    format!("invalid label name {name:?}"),
                ));
            }
        }
        if !SEVERITIES.contains(&spec.severity.as_str()) {
            violations.push(FieldViolation::new("event_rule.severity", "must be critical, warning or info"));
        }
        for name in spec.labels.keys() {
            if !is_valid_label_name(name) || name == "alertname" || name == "severity" {
                violations.push(FieldViolation::new(
                    "event_rule.labels",
                    format!("{name:?} is not a label name a rule may set"),
                ));
            }
        }
        refuse_if_any(violations)?;
        let id = Uuid::now_v7();
        spec.id = id.to_string();
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        store::insert_event_rule(&mut tx, id, &spec.name, &spec.event_kind, &spec.encode_to_vec(), self.0.clock.now())
            .await
            .map_err(|e| canopy_kit::error::from_sqlx(e, "event rule"))?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::CreateEventRuleResponse { event_rule: Some(spec) }))
    }

    async fn list_event_rules(
        &self,
        request: Request<proto::ListEventRulesRequest>,
    ) -> Result<Response<proto::ListEventRulesResponse>, Status> {
        principal(&request)?;
        let (limit, offset) = offset_page(request.into_inner().page)?;
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let mut rows = store::list_specs(&mut tx, SpecTable::EventRule, limit + 1, offset).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        let event_rules = rows
            .iter()
            .map(|row| proto::EventRule::decode(row.spec.as_slice()).map_err(ApiError::internal))
            .collect::<Result<_, _>>()?;
        Ok(Response::new(proto::ListEventRulesResponse { event_rules, page }))
    }

    async fn delete_event_rule(
        &self,
        request: Request<proto::DeleteEventRuleRequest>,
    ) -> Result<Response<proto::DeleteEventRuleResponse>, Status> {
        principal(&request)?;
        let id = required_id("event_rule_id", &request.get_ref().event_rule_id)?;
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let deleted = store::delete_spec(&mut tx, SpecTable::EventRule, id).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        if !deleted {
            return Err(ApiError::NotFound { resource: "event rule" }.into());
        }
        Ok(Response::new(proto::DeleteEventRuleResponse {}))
    }
}
