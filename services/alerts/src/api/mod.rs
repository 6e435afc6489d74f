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

use canopy_kit::paging::page_size;
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::common::v1::{PageRequest, PageResponse};

fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "alerts object")
}

/// Refuses with every violation found, or carries on.
fn refuse_if_any(violations: Vec<FieldViolation>) -> Result<(), ApiError> {
    if violations.is_empty() { Ok(()) } else { Err(ApiError::InvalidArgument(violations)) }
}

/// (limit, offset) of a page of a short, name-ordered configuration list.
fn offset_page(page: Option<PageRequest>) -> Result<(i64, i64), ApiError> {
    let page = page.unwrap_or_default();
    let limit = page_size(page.page_size)?;
    let offset = if page.page_token.is_empty() {
        0
    } else {
        page.page_token
            .parse()
            .ok()
            .filter(|offset: &i64| *offset >= 0)
            .ok_or_else(|| ApiError::invalid("page.page_token", "is not a token this list returned"))?
    };
    Ok((limit, offset))
}

/// Trims rows fetched with `limit + 1` and answers the next page.
fn finish_offset_page<T>(rows: &mut Vec<T>, limit: i64, offset: i64) -> Option<PageResponse> {
    let next_page_token = if rows.len() as i64 > limit {
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        (offset + limit).to_string()
    } else {
        String::new()
    };
    Some(PageResponse { next_page_token, total_size: -1 })
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
