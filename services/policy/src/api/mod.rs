//! The policy service's handlers. Policies and checks are scoped with
//! `Principal::scope_for`, so a customer only ever reaches its own rows; the platform's
//! policies are read in the platform scope and shown to customers without their Rego.

mod checks;
mod policies;

pub use checks::{ComplianceApi, PlanCheckApi};
pub use policies::PolicyApi;

use canopy_kit::auth::Principal;
use canopy_kit::paging::{finish_offset_page, offset_page};
use canopy_kit::request::{customer_scope, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::policy::v1 as proto;
use prost::Message as _;

use crate::domain::{Decision, enforcement_level, policy_kind};
use crate::store::{CheckRow, PolicyRow};

fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "policy")
}

fn internal(error: anyhow::Error) -> ApiError {
    ApiError::internal(error)
}

fn refuse_if_any(violations: Vec<FieldViolation>) -> Result<(), ApiError> {
    ApiError::refuse_if_any(violations)
}

/// A stored policy as `reader` may see it: a customer reading the platform's policy
/// gets its name, description, level and state, never its Rego, form or scope.
fn policy_to_proto(row: &PolicyRow, reader: &Principal) -> proto::Policy {
    let hidden = row.tenant_id.is_none() && !reader.is_platform();
    let stored = proto::PolicySpec::decode(row.spec.as_slice()).unwrap_or_default();
    let spec = if hidden {
        proto::PolicySpec {
            name: row.name.clone(),
            description: row.description.clone(),
            enforcement: enforcement_level(&row.enforcement) as i32,
            enabled: row.enabled,
            scope: None,
            definition: None,
        }
    } else {
        stored
    };
    proto::Policy {
        id: row.id.to_string(),
        tier: if row.tenant_id.is_some() { proto::PolicyTier::Customer } else { proto::PolicyTier::Platform } as i32,
        customer_id: row.tenant_id.map(|id| id.to_string()).unwrap_or_default(),
        kind: policy_kind(&row.kind) as i32,
        spec: Some(spec),
        rego: if hidden { String::new() } else { row.rego.clone() },
        revision: row.revision,
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

fn check_state_to_proto(state: &str) -> proto::PolicyCheckState {
    match state {
        "passed" => proto::PolicyCheckState::Passed,
        "advisory_failed" => proto::PolicyCheckState::AdvisoryFailed,
        "awaiting_override" => proto::PolicyCheckState::AwaitingOverride,
        "overridden" => proto::PolicyCheckState::Overridden,
        "discarded" => proto::PolicyCheckState::Discarded,
        "expired" => proto::PolicyCheckState::Expired,
        "refused" => proto::PolicyCheckState::Refused,
        _ => proto::PolicyCheckState::Unspecified,
    }
}

fn check_state_name(state: proto::PolicyCheckState) -> Option<&'static str> {
    match state {
        proto::PolicyCheckState::Passed => Some("passed"),
        proto::PolicyCheckState::AdvisoryFailed => Some("advisory_failed"),
        proto::PolicyCheckState::AwaitingOverride => Some("awaiting_override"),
        proto::PolicyCheckState::Overridden => Some("overridden"),
        proto::PolicyCheckState::Discarded => Some("discarded"),
        proto::PolicyCheckState::Expired => Some("expired"),
        proto::PolicyCheckState::Refused => Some("refused"),
        proto::PolicyCheckState::Unspecified => None,
    }
}

fn decisions_to_proto(decisions: &[Decision]) -> Vec<proto::Decision> {
    decisions.iter().map(Decision::to_proto).collect()
}

fn check_to_proto(row: &CheckRow, reader: Option<&Principal>) -> proto::PolicyCheck {
    proto::PolicyCheck {
        id: row.id.to_string(),
        customer_id: row.tenant_id.to_string(),
        site_id: row.site_id.to_string(),
        deployment_id: row.deployment_id.to_string(),
        state: check_state_to_proto(&row.state) as i32,
        decisions: decisions_to_proto(&row.decisions),
        create_time: Some(timestamp(row.created_at)),
        expire_time: row.expires_at.filter(|_| row.state == "awaiting_override").map(timestamp),
        resolved_by: row.resolved_by.clone(),
        resolution_reason: row.resolution_reason.clone(),
        resolve_time: row.resolved_at.map(timestamp),
        can_override: row.state == "awaiting_override"
            && reader.is_some_and(|reader| crate::domain::may_override(reader, &row.decisions)),
    }
}
