//! The request boundary every service shares: the caller of a request, the parsing
//! of ids, timestamps and idempotency keys into field violations with one wording,
//! the rule for human-readable text ([`text`]), and the layer that refuses strings
//! PostgreSQL cannot store before any handler runs ([`boundary`]).

pub mod boundary;
pub mod text;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::auth::Principal;
use crate::db::{Scope, TenantId};
use crate::{ApiError, FieldViolation};

pub use boundary::{DecodedRequest, RequestBoundary};
pub use text::{TextError, human_text, human_text_field, optional_human_text};

/// The principal the kit's `AuthLayer` put on the request. Every method that asks for
/// it has an audience requiring one, so its absence means no credentials were given.
pub fn principal<T>(request: &tonic::Request<T>) -> Result<Principal, ApiError> {
    request.extensions().get::<Principal>().cloned().ok_or(ApiError::Unauthenticated("credentials required"))
}

/// A UUID field's value, or why it was refused.
fn id_violation(value: &str) -> Result<Uuid, &'static str> {
    let value = value.trim();
    if value.is_empty() {
        return Err("is required");
    }
    value.parse().map_err(|_| "must be a UUID")
}

/// A required UUID field.
pub fn required_id(field: &str, value: &str) -> Result<Uuid, ApiError> {
    id_violation(value).map_err(|description| ApiError::invalid(field, description))
}

/// A required UUID field, collecting its violation (`Uuid::nil()` stands in for a
/// refused one, so validation can go on; the violation stops the request).
pub fn required_id_field(field: &str, value: &str, violations: &mut Vec<FieldViolation>) -> Uuid {
    id_violation(value).unwrap_or_else(|description| {
        violations.push(FieldViolation::new(field, description));
        Uuid::nil()
    })
}

/// An optional UUID field: `None` when empty.
pub fn optional_id(field: &str, value: &str) -> Result<Option<Uuid>, ApiError> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    required_id(field, value).map(Some)
}

/// An optional UUID field, collecting its violation: `None` when empty or refused.
pub fn optional_id_field(field: &str, value: &str, violations: &mut Vec<FieldViolation>) -> Option<Uuid> {
    if value.trim().is_empty() {
        return None;
    }
    Some(required_id_field(field, value, violations)).filter(|id| !id.is_nil())
}

/// An optional tenant (customer) id field: `None` when empty.
pub fn optional_tenant(field: &str, value: &str) -> Result<Option<TenantId>, ApiError> {
    optional_id(field, value).map(|id| id.map(TenantId))
}

/// The scope a request naming `customer_id` runs in, and the customer it is about:
/// `None` for a platform principal naming no customer (every customer's rows).
pub fn customer_scope(principal: &Principal, customer_id: &str) -> Result<(Scope, Option<Uuid>), ApiError> {
    let scope = principal.scope_for(optional_tenant("customer_id", customer_id)?)?;
    let tenant = match scope {
        Scope::Tenant(tenant) => Some(tenant.0),
        _ => None,
    };
    Ok((scope, tenant))
}

/// The scope and customer of a request that must name one customer (platform
/// principals too: a change is always about one customer).
pub fn one_customer_scope(principal: &Principal, customer_id: &str) -> Result<(Scope, Uuid), ApiError> {
    match customer_scope(principal, customer_id)? {
        (scope, Some(tenant)) => Ok((scope, tenant)),
        (_, None) => Err(ApiError::invalid("customer_id", "name the customer")),
    }
}

/// A time as protobuf.
pub fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: time.timestamp(), nanos: time.timestamp_subsec_nanos() as i32 }
}

/// A request's timestamp, or `None` when it names no representable instant (nanos
/// outside `0..1e9`, or seconds out of range).
pub fn time_from_proto(time: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    let nanos = u32::try_from(time.nanos).ok().filter(|nanos| *nanos < 1_000_000_000)?;
    DateTime::from_timestamp(time.seconds, nanos)
}

/// Idempotency keys: 8 to 128 printable ASCII characters.
pub fn idempotency_key(value: &str, violations: &mut Vec<FieldViolation>) {
    if !(8..=128).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_graphic()) {
        violations.push(FieldViolation::new("idempotency_key", "must be 8 to 128 printable ASCII characters"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_required_and_worded_once() {
        let id = Uuid::new_v4();
        assert_eq!(required_id("site_id", &format!(" {id} ")).unwrap(), id);
        let refused = |result: Result<Uuid, ApiError>| match result {
            Err(ApiError::InvalidArgument(v)) => (v[0].field.clone(), v[0].description.clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(refused(required_id("site_id", "")), ("site_id".into(), "is required".into()));
        assert_eq!(refused(required_id("site_id", "nope")), ("site_id".into(), "must be a UUID".into()));
        assert_eq!(optional_tenant("customer_id", "").unwrap(), None);
        assert_eq!(optional_tenant("customer_id", &id.to_string()).unwrap(), Some(TenantId(id)));
        let mut violations = Vec::new();
        assert_eq!(required_id_field("user_id", "x", &mut violations), Uuid::nil());
        assert_eq!(violations, [FieldViolation::new("user_id", "must be a UUID")]);
    }

    #[test]
    fn timestamps_round_trip_and_out_of_range_nanos_are_refused() {
        let now = DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap();
        assert_eq!(time_from_proto(&timestamp(now)), Some(now));
        assert_eq!(time_from_proto(&prost_types::Timestamp { seconds: 0, nanos: -1 }), None);
        assert_eq!(time_from_proto(&prost_types::Timestamp { seconds: 0, nanos: 1_000_000_000 }), None);
        assert_eq!(time_from_proto(&prost_types::Timestamp { seconds: i64::MAX, nanos: 0 }), None);
    }

    #[test]
    fn idempotency_keys_are_printable_ascii() {
        let mut violations = Vec::new();
        idempotency_key("create-customer-1", &mut violations);
        assert!(violations.is_empty());
        for bad in ["short", "with space in it", "naïve-key-1", "nul\0-in-key"] {
            idempotency_key(bad, &mut violations);
        }
        assert_eq!(violations.len(), 4);
    }
}
