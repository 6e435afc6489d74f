//! The cost service's handlers. Every tenant read is scoped with
//! `Principal::scope_for`, so a customer only ever reaches its own rows; platform
//! principals naming no customer read across customers in the platform scope.

mod accounts;
mod budgets;
pub mod costs;
mod plan;

pub use accounts::AccountApi;
pub use budgets::BudgetApi;
pub use costs::CostApi;
pub use plan::PlanEstimateApi;

use canopy_kit::auth::Principal;
use canopy_kit::db::Scope;
use canopy_kit::request::{customer_scope, optional_id_field, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::cost::v1 as proto;
use canopy_terraform::CloudProvider;
use chrono::{Days, NaiveDate};
use uuid::Uuid;

use crate::store::{EstimateRow, Filter};

/// The longest range a report or export covers, in days.
pub const MAX_RANGE_DAYS: i64 = 731;
/// Resource types records are grouped into.
pub const RESOURCE_TYPES: &[&str] = &["compute", "database", "load_balancer", "storage", "network", "other"];

fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "cost")
}

fn refuse_if_any(violations: Vec<FieldViolation>) -> Result<(), ApiError> {
    ApiError::refuse_if_any(violations)
}

/// A customer-scoped request that must name one customer (platform principals too).
fn one_customer(principal: &Principal, customer_id: &str) -> Result<(Scope, Uuid), ApiError> {
    canopy_kit::request::one_customer_scope(principal, customer_id)
}

/// A `YYYY-MM-DD` field; empty gives `None`.
fn optional_date(field: &str, value: &str, violations: &mut Vec<FieldViolation>) -> Option<NaiveDate> {
    if value.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            violations.push(FieldViolation::new(field, "must be a date written YYYY-MM-DD"));
            None
        }
    }
}

/// A `YYYY-MM` field as its first day.
fn month_field(field: &str, value: &str, violations: &mut Vec<FieldViolation>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            violations.push(FieldViolation::new(field, "must be a month written YYYY-MM"));
            None
        }
    }
}

/// A date range from two optional fields: by default the 30 days ending `today`.
fn date_range(
    prefix: &str,
    start: &str,
    end: &str,
    today: NaiveDate,
    max_days: i64,
    violations: &mut Vec<FieldViolation>,
) -> (NaiveDate, NaiveDate) {
    let start_field = format!("{prefix}start_date");
    let end_field = format!("{prefix}end_date");
    let end = optional_date(&end_field, end, violations).unwrap_or(today);
    let start = optional_date(&start_field, start, violations).unwrap_or_else(|| end - Days::new(29));
    if end < start {
        violations.push(FieldViolation::new(end_field, "must not be before start_date"));
    } else if (end - start).num_days() + 1 > max_days {
        violations.push(FieldViolation::new(end_field, format!("the range may cover at most {max_days} days")));
    }
    (start, end)
}

/// A report filter from the request, scoped to what the principal may read.
fn report_filter(
    principal: &Principal,
    filter: Option<proto::CostFilter>,
    today: NaiveDate,
    max_days: i64,
    violations: &mut Vec<FieldViolation>,
) -> Result<(Scope, Filter), ApiError> {
    let filter = filter.unwrap_or_default();
    let (scope, tenant) = customer_scope(principal, &filter.customer_id).map_err(|error| match error {
        ApiError::InvalidArgument(mut found) => {
            for violation in &mut found {
                violation.field = format!("filter.{}", violation.field);
            }
            ApiError::InvalidArgument(found)
        }
        other => other,
    })?;
    let site = optional_id_field("filter.site_id", &filter.site_id, violations);
    let (start, end) = date_range("filter.", &filter.start_date, &filter.end_date, today, max_days, violations);
    let resource_type = (!filter.resource_type.is_empty()).then(|| filter.resource_type.clone());
    if let Some(kind) = &resource_type
        && !RESOURCE_TYPES.contains(&kind.as_str())
    {
        violations
            .push(FieldViolation::new("filter.resource_type", format!("must be one of {}", RESOURCE_TYPES.join(", "))));
    }
    if filter.region.chars().count() > 64 {
        violations.push(FieldViolation::new("filter.region", "must be at most 64 characters"));
    }
    Ok((
        scope,
        Filter {
            tenant,
            site,
            provider: CloudProvider::from_proto_number(filter.provider).map(|provider| provider.as_str().to_owned()),
            region: (!filter.region.is_empty()).then(|| filter.region.clone()),
            resource_type,
            start,
            end,
            exclude_sandbox: filter.exclude_sandbox,
            source: "accrued",
        },
    ))
}

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn estimate_to_proto(row: &EstimateRow) -> proto::Estimate {
    proto::Estimate {
        currency_code: row.currency.clone(),
        monthly_micros: row.monthly_micros,
        hourly_micros: row.hourly_micros,
        lines: row.lines.0.iter().map(line_to_proto).collect(),
        price_snapshot_date: date_text(row.snapshot_date),
        price_snapshot_stale: row.snapshot_stale,
        free_resources: row.free_resources,
        unpriced_resource_types: row.unpriced_resource_types.clone(),
        customer_monthly_micros: row.customer_monthly_micros,
        create_time: Some(timestamp(row.created_at)),
    }
}

fn line_to_proto(line: &crate::estimate::Line) -> proto::EstimateLine {
    proto::EstimateLine {
        address: line.address.clone(),
        resource_type: line.resource_type.clone(),
        description: line.description.clone(),
        monthly_micros: line.monthly_micros,
        hourly_micros: line.hourly_micros,
        usage_assumption: line.assumption.is_some(),
        assumption: line.assumption.clone().unwrap_or_default(),
    }
}
