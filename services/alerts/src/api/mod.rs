//! The alerts service's handlers. Platform configuration (receivers, routing,
//! silences, incidents, escalation policies, schedules, event rules) is reached by
//! platform principals in platform scope; customer receivers and alerts are scoped
//! with `Principal::scope_for`, so an owner only ever touches their own customer's.

mod alerts;
pub mod convert;
mod incidents;
mod receivers;
mod routing;

pub use alerts::{AlertApi, AlertEventApi, EventRuleApi};
pub use incidents::{EscalationPolicyApi, IncidentApi, OnCallApi};
pub use receivers::{CustomerReceiverApi, ReceiverApi};
pub use routing::{RoutingApi, SilenceApi};

use canopy_kit::paging::{finish_offset_page, offset_page};
use canopy_kit::{ApiError, FieldViolation};

fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "alerts object")
}

/// Refuses with every violation found, or carries on.
fn refuse_if_any(violations: Vec<FieldViolation>) -> Result<(), ApiError> {
    ApiError::refuse_if_any(violations)
}

/// A configuration object's name: lowercase letters, digits and `-`, 1 to 63.
fn object_name(field: &str, name: &str, violations: &mut Vec<FieldViolation>) -> String {
    let name = name.trim();
    if name.is_empty() {
        violations.push(FieldViolation::new(field, "is required"));
    } else if name.len() > 63
        || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || name.starts_with('-')
    {
        violations.push(FieldViolation::new(
            field,
            "must be 1 to 63 lowercase letters, digits and '-', not starting with '-'",
        ));
    }
    name.to_string()
}
