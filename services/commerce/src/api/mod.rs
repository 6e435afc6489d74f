//! The commerce service's handlers. Every tenant read is scoped with
//! `Principal::scope_for`, so a customer only ever reaches its own integrations;
//! platform principals naming no customer list across customers.

mod integrations;
mod keys;
mod platforms;

pub use integrations::IntegrationApi;
pub use keys::KeyRotationApi;
pub use platforms::PlatformApi;

use canopy_kit::ApiError;
use canopy_kit::request::timestamp;
use canopy_sdk::proto::canopy::commerce::v1 as proto;

use crate::connect::Cause;
use crate::store::{CheckRow, IntegrationRow};

fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "integration")
}

fn health_to_proto(health: &str) -> proto::IntegrationHealth {
    match health {
        "healthy" => proto::IntegrationHealth::Healthy,
        "unhealthy" => proto::IntegrationHealth::Unhealthy,
        _ => proto::IntegrationHealth::Unspecified,
    }
}

fn cause_to_proto(cause: &str) -> proto::HealthCause {
    match Cause::from_code(cause) {
        None | Some(Cause::None) => proto::HealthCause::Unspecified,
        Some(Cause::Unauthorized) => proto::HealthCause::Unauthorized,
        Some(Cause::MissingScope) => proto::HealthCause::MissingScope,
        Some(Cause::Frozen) => proto::HealthCause::Frozen,
        Some(Cause::Locked) => proto::HealthCause::Locked,
        Some(Cause::RateLimited) => proto::HealthCause::RateLimited,
        Some(Cause::Unreachable) => proto::HealthCause::Unreachable,
        Some(Cause::NotFound) => proto::HealthCause::NotFound,
        Some(Cause::Unexpected) => proto::HealthCause::Unexpected,
    }
}

fn integration_to_proto(row: &IntegrationRow) -> proto::Integration {
    let hints = row
        .credential_hints
        .as_object()
        .map(|hints| hints.iter().filter_map(|(name, hint)| Some((name.clone(), hint.as_str()?.to_owned()))).collect())
        .unwrap_or_default();
    proto::Integration {
        id: row.id.to_string(),
        customer_id: row.tenant_id.to_string(),
        site_id: row.site_id.to_string(),
        platform: crate::connect::platform_from_code(&row.platform).map(|p| p as i32).unwrap_or_default(),
        display_name: row.display_name.clone(),
        store: row.store.clone(),
        store_name: row.store_name.clone(),
        hints,
        health: health_to_proto(&row.health) as i32,
        cause: cause_to_proto(&row.cause) as i32,
        message: row.message.clone(),
        last_check_time: row.last_check_at.map(timestamp),
        revision: row.revision,
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

fn check_to_proto(row: &CheckRow) -> proto::HealthCheck {
    proto::HealthCheck {
        check_time: Some(timestamp(row.checked_at)),
        health: health_to_proto(&row.health) as i32,
        cause: cause_to_proto(&row.cause) as i32,
        message: row.message.clone(),
        trigger: row.trigger.clone(),
    }
}
