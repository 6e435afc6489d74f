//! The audit trail's rules without I/O: what a shipped record must hold to be
//! appended, how a record becomes a chain entry's body, and the filters of a listing.

use canopy_kit::FieldViolation;
use canopy_sdk::proto::canopy::audit::v1 as proto;
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::chain::{Body, BodyActor, BodyOutcome, PLATFORM_CHAIN};

/// A record ready to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub id: Uuid,
    pub chain: String,
    pub tenant_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub body: Body,
}

/// The chain of a customer (or the platform's, for `None`).
pub fn chain_of(tenant: Option<Uuid>) -> String {
    tenant.map_or_else(|| PLATFORM_CHAIN.to_string(), |t| t.to_string())
}

fn kind_name(kind: proto::EventKind) -> &'static str {
    match kind {
        proto::EventKind::Security => "security",
        proto::EventKind::Decision => "decision",
        _ => "call",
    }
}

fn actor_kind_name(kind: proto::ActorKind) -> &'static str {
    match kind {
        proto::ActorKind::User => "user",
        proto::ActorKind::ApiKey => "api_key",
        proto::ActorKind::Workload => "workload",
        proto::ActorKind::System => "system",
        _ => "anonymous",
    }
}

/// A shipped record as an entry, recorded by `service`; `records[index]` names the
/// fields at fault.
pub fn new_entry(record: &proto::AuditRecord, service: &str, index: usize) -> Result<NewEntry, Vec<FieldViolation>> {
    let field = |name: &str| format!("records[{index}].{name}");
    let mut violations = Vec::new();
    let id = record.id.parse::<Uuid>().unwrap_or_else(|_| {
        violations.push(FieldViolation::new(field("id"), "must be a UUID"));
        Uuid::nil()
    });
    let tenant_id = if record.customer_id.is_empty() {
        None
    } else {
        record.customer_id.parse::<Uuid>().map(Some).unwrap_or_else(|_| {
            violations.push(FieldViolation::new(field("customer_id"), "must be a UUID or empty"));
            None
        })
    };
    if record.action.is_empty() {
        violations.push(FieldViolation::new(field("action"), "is required"));
    }
    let occurred_at = record
        .occur_time
        .as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(u32::MAX)))
        .unwrap_or_else(|| {
            violations.push(FieldViolation::new(field("occur_time"), "is required"));
            DateTime::UNIX_EPOCH
        });
    let summary = if record.summary_json.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_str(&record.summary_json).unwrap_or_else(|_| {
            violations.push(FieldViolation::new(field("summary_json"), "must be JSON"));
            serde_json::Value::Null
        })
    };
    if !violations.is_empty() {
        return Err(violations);
    }
    let actor = record.actor.clone().unwrap_or_default();
    let outcome = record.outcome.clone().unwrap_or_default();
    let chain = chain_of(tenant_id);
    let body = Body {
        id: id.to_string(),
        chain: chain.clone(),
        customer_id: record.customer_id.clone(),
        kind: kind_name(record.kind()).into(),
        action: record.action.clone(),
        service: service.to_string(),
        actor: BodyActor { kind: actor_kind_name(actor.kind()).into(), id: actor.id, role: actor.role },
        resource_ids: record.resource_ids.clone(),
        outcome: BodyOutcome {
            code: if outcome.code.is_empty() { "OK".into() } else { outcome.code },
            reason: outcome.reason,
        },
        origin_address: record.origin_address.clone(),
        user_agent: record.user_agent.clone(),
        trace_id: record.trace_id.clone(),
        occurred_at: occurred_at.to_rfc3339_opts(SecondsFormat::Nanos, true),
        summary,
    };
    Ok(NewEntry { id, chain, tenant_id, occurred_at, body })
}

/// What a listing or export selects (the scope of the transaction narrows it further).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub tenant_id: Option<Uuid>,
    pub platform_only: bool,
    pub actor_id: Option<String>,
    pub action_prefix: Option<String>,
    pub resource_id: Option<String>,
    pub outcome_code: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// The gRPC code names an outcome filter may name.
pub const OUTCOME_CODES: &[&str] = &[
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Whether the indexed columns of an entry still say what its body says (a direct
/// edit of a column would otherwise change what filters find without touching the
/// hashed body).
pub fn columns_match_body(entry: &crate::store::StoredEntry) -> bool {
    let Ok(body) = serde_json::from_str::<Body>(&entry.body) else { return false };
    let occurred = DateTime::parse_from_rfc3339(&body.occurred_at).map(|t| t.with_timezone(&Utc)).ok();
    body.id == entry.id.to_string()
        && body.chain == entry.chain
        && body.customer_id == entry.tenant_id.map(|t| t.to_string()).unwrap_or_default()
        && body.service == entry.service
        && body.kind == entry.kind
        && body.action == entry.action
        && body.actor.id == entry.actor_id
        && body.outcome.code == entry.outcome_code
        && body.resource_ids == entry.resource_ids
        // PostgreSQL keeps microseconds.
        && occurred.map(|t| t.timestamp_micros()) == Some(entry.occurred_at.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> proto::AuditRecord {
        proto::AuditRecord {
            id: Uuid::now_v7().to_string(),
            action: "/canopy.sites.v1.SiteService/CreateSite".into(),
            occur_time: Some(prost_types::Timestamp { seconds: 1_800_000_000, nanos: 5 }),
            summary_json: r#"{"name":"shop"}"#.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_record_becomes_a_body_in_its_chain() {
        let entry = new_entry(&record(), "sites", 0).unwrap();
        assert_eq!(entry.chain, "platform");
        assert_eq!(entry.body.service, "sites");
        assert_eq!(entry.body.outcome.code, "OK");
        assert_eq!(entry.body.occurred_at, "2027-01-15T08:00:00.000000005Z");
        let tenant = Uuid::now_v7();
        let entry = new_entry(&proto::AuditRecord { customer_id: tenant.to_string(), ..record() }, "sites", 0).unwrap();
        assert_eq!(entry.chain, tenant.to_string());
    }

    #[test]
    fn a_bad_record_names_each_field() {
        let bad = proto::AuditRecord {
            id: "x".into(),
            customer_id: "y".into(),
            action: String::new(),
            occur_time: None,
            summary_json: "{".into(),
            ..Default::default()
        };
        let fields: Vec<String> = new_entry(&bad, "sites", 3).unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(
            fields,
            [
                "records[3].id",
                "records[3].customer_id",
                "records[3].action",
                "records[3].occur_time",
                "records[3].summary_json"
            ]
        );
    }
}
