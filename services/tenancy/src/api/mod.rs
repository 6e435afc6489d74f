//! tonic handlers: decode and validate, scope by the caller's principal, call the
//! store inside one transaction, map to protobuf.

mod branding;
mod customers;
mod notification_mail;
mod plans;
mod quota;

use canopy_kit::ApiError;
use canopy_kit::auth::Principal;
use canopy_kit::db::{Scope, TenantId};
use canopy_kit::request::{principal, required_id, timestamp};
use canopy_sdk::proto::canopy::tenancy::v1 as pb;
use canopy_terraform::CloudProvider;
use uuid::Uuid;

use crate::domain::customer::Status;
use crate::domain::plan::EffectiveLimits;
use crate::store::{BrandingRow, CustomerRow, Overrides};

pub use branding::BrandingApi;
pub use customers::CustomersApi;
pub use notification_mail::NotificationMailApi;
pub use plans::PlansApi;
pub use quota::QuotaApi;

/// The scope for acting on customer `id`: customers may only name themselves
/// (anything else is NOT_FOUND, exactly like an id that does not exist).
fn customer_scope(principal: &Principal, id: Uuid) -> Result<Scope, ApiError> {
    principal.scope_for(Some(TenantId(id)))
}

fn status_to_proto(status: Status) -> pb::CustomerStatus {
    match status {
        Status::Creating => pb::CustomerStatus::Creating,
        Status::Active => pb::CustomerStatus::Active,
        Status::Suspended => pb::CustomerStatus::Suspended,
        Status::Deactivated => pb::CustomerStatus::Deactivated,
    }
}

fn status_from_proto(status: pb::CustomerStatus) -> Option<Status> {
    Some(match status {
        pb::CustomerStatus::Unspecified => return None,
        pb::CustomerStatus::Creating => Status::Creating,
        pb::CustomerStatus::Active => Status::Active,
        pb::CustomerStatus::Suspended => Status::Suspended,
        pb::CustomerStatus::Deactivated => Status::Deactivated,
    })
}

fn tier_to_proto(tier: &str) -> pb::RateTier {
    if tier == "premium" { pb::RateTier::Premium } else { pb::RateTier::Standard }
}

fn tier_from_proto(tier: pb::RateTier) -> Option<&'static str> {
    match tier {
        pb::RateTier::Unspecified => None,
        pb::RateTier::Standard => Some("standard"),
        pb::RateTier::Premium => Some("premium"),
    }
}

fn limits_to_proto(limits: &EffectiveLimits) -> pb::Limits {
    pb::Limits {
        max_sites: limits.max_sites,
        max_deployments_per_month: limits.max_deployments_per_month,
        allowed_providers: limits
            .allowed_providers
            .iter()
            .filter_map(|p| p.parse::<CloudProvider>().ok())
            .map(CloudProvider::to_proto)
            .map(|p| p as i32)
            .collect(),
        allowed_regions: limits.allowed_regions.clone(),
        rate_tier: tier_to_proto(&limits.rate_tier) as i32,
    }
}

fn overrides_to_proto(o: &Overrides) -> pb::Limits {
    pb::Limits {
        max_sites: o.max_sites.unwrap_or(0),
        max_deployments_per_month: o.max_deployments_per_month.unwrap_or(0),
        allowed_providers: o
            .allowed_providers
            .iter()
            .flatten()
            .filter_map(|p| p.parse::<CloudProvider>().ok())
            .map(CloudProvider::to_proto)
            .map(|p| p as i32)
            .collect(),
        allowed_regions: o.allowed_regions.clone().unwrap_or_default(),
        rate_tier: o.rate_tier.as_deref().map(tier_to_proto).unwrap_or(pb::RateTier::Unspecified) as i32,
    }
}

/// Validates limits from a request; `field` prefixes violation paths.
fn limits_from_proto(
    field: &str,
    limits: &pb::Limits,
    violations: &mut Vec<canopy_kit::FieldViolation>,
) -> (Vec<String>, Option<&'static str>) {
    if limits.max_sites < 0 {
        violations.push(canopy_kit::FieldViolation::new(format!("{field}.max_sites"), "must not be negative"));
    }
    if limits.max_deployments_per_month < 0 {
        violations.push(canopy_kit::FieldViolation::new(
            format!("{field}.max_deployments_per_month"),
            "must not be negative",
        ));
    }
    let mut providers = Vec::new();
    for (i, raw) in limits.allowed_providers.iter().enumerate() {
        match CloudProvider::from_proto_number(*raw) {
            Some(provider) => providers.push(provider.as_str().to_string()),
            None => violations.push(canopy_kit::FieldViolation::new(
                format!("{field}.allowed_providers[{i}]"),
                format!("must be one of {}", CloudProvider::names()),
            )),
        }
    }
    for (i, region) in limits.allowed_regions.iter().enumerate() {
        let ok = !region.is_empty()
            && region.len() <= 40
            && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            violations.push(canopy_kit::FieldViolation::new(
                format!("{field}.allowed_regions[{i}]"),
                "must be a region code such as eu-west-1",
            ));
        }
    }
    let tier = match pb::RateTier::try_from(limits.rate_tier) {
        Ok(tier) => tier_from_proto(tier),
        Err(_) => {
            violations.push(canopy_kit::FieldViolation::new(format!("{field}.rate_tier"), "is not a known tier"));
            None
        }
    };
    (providers, tier)
}

fn customer_to_proto(row: &CustomerRow) -> pb::Customer {
    pb::Customer {
        id: row.tenant_id.to_string(),
        name: row.name.clone(),
        status: status_to_proto(row.status) as i32,
        status_reason: row.status_reason.clone(),
        plan_id: row.plan_id.clone(),
        quota_overrides: Some(overrides_to_proto(&row.overrides)),
        owner_user_id: row.owner_user_id.map(|id| id.to_string()).unwrap_or_default(),
        create_time: Some(timestamp(row.create_time)),
        update_time: Some(timestamp(row.update_time)),
    }
}

fn branding_to_proto(row: &BrandingRow) -> pb::Branding {
    let theme_variables = row
        .theme_variables
        .as_object()
        .map(|map| map.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    pb::Branding {
        customer_id: row.tenant_id.to_string(),
        product_name: row.product_name.clone(),
        primary_color: row.primary_color.clone(),
        secondary_color: row.secondary_color.clone(),
        accent_color: row.accent_color.clone(),
        custom_domain: row.custom_domain.clone().unwrap_or_default(),
        custom_domain_verified: row.custom_domain_verified,
        support_email: row.support_email.clone(),
        mail_sender_name: row.mail_sender_name.clone(),
        theme_variables,
        has_logo: row.has_logo,
        has_favicon: row.has_favicon,
        update_time: Some(timestamp(row.update_time)),
    }
}

fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "customer")
}
