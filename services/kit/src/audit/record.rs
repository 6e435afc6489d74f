//! One audit record as a service writes it to its outbox (JSON) and ships it (proto).

use canopy_sdk::proto::canopy::audit::v1 as proto;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How the actor authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    User,
    ApiKey,
    Workload,
    Anonymous,
    System,
}

/// What a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A state-changing call; the action is its method path.
    Call,
    /// A security event; the action is `security.<kind>`.
    Security,
    /// A decision a service made on its own; the action is `<service>.<decision>`.
    Decision,
}

/// The content of one audit event, without its outcome (stored beside it in the
/// outbox, since it is known only once the handler has answered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: Uuid,
    /// The customer whose chain it joins; `None` for the platform's.
    pub tenant_id: Option<Uuid>,
    pub kind: EventKind,
    pub action: String,
    pub actor_kind: ActorKind,
    /// User or API key id, or workload name; empty for anonymous and system.
    pub actor_id: String,
    /// The actor's role name (`owner`, `platform_admin`, …); empty when none.
    pub actor_role: String,
    pub resource_ids: Vec<String>,
    pub origin_address: String,
    pub user_agent: String,
    pub trace_id: String,
    pub occurred_at: DateTime<Utc>,
    /// The request (sensitive fields left out), or a security event's details.
    pub summary: serde_json::Value,
}

/// How a call ended: a gRPC code name and an `ErrorInfo` reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub code: String,
    pub reason: String,
}

impl Outcome {
    pub fn ok() -> Self {
        Self { code: "OK".into(), reason: String::new() }
    }

    /// The outcome of a committed change whose answer was never recorded (the
    /// process stopped in between).
    pub fn unknown() -> Self {
        Self { code: "UNKNOWN".into(), reason: "OUTCOME_NOT_RECORDED".into() }
    }
}

impl AuditRecord {
    /// The record as shipped to the audit service.
    pub fn to_proto(&self, outcome: &Outcome) -> proto::AuditRecord {
        let kind = match self.kind {
            EventKind::Call => proto::EventKind::Call,
            EventKind::Security => proto::EventKind::Security,
            EventKind::Decision => proto::EventKind::Decision,
        };
        let actor_kind = match self.actor_kind {
            ActorKind::User => proto::ActorKind::User,
            ActorKind::ApiKey => proto::ActorKind::ApiKey,
            ActorKind::Workload => proto::ActorKind::Workload,
            ActorKind::Anonymous => proto::ActorKind::Anonymous,
            ActorKind::System => proto::ActorKind::System,
        };
        proto::AuditRecord {
            id: self.id.to_string(),
            customer_id: self.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
            kind: kind.into(),
            action: self.action.clone(),
            actor: Some(proto::Actor {
                kind: actor_kind.into(),
                id: self.actor_id.clone(),
                role: self.actor_role.clone(),
            }),
            resource_ids: self.resource_ids.clone(),
            outcome: Some(proto::Outcome { code: outcome.code.clone(), reason: outcome.reason.clone() }),
            origin_address: self.origin_address.clone(),
            user_agent: self.user_agent.clone(),
            trace_id: self.trace_id.clone(),
            occur_time: Some(prost_types::Timestamp {
                seconds: self.occurred_at.timestamp(),
                nanos: self.occurred_at.timestamp_subsec_nanos() as i32,
            }),
            summary_json: self.summary.to_string(),
            service: String::new(),
        }
    }
}
