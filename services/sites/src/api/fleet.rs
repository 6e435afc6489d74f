//! `GetFleetSummary`: the request's bounds (checked against the clock, so not a plain
//! `TryFrom`) and the summary itself — every figure read in one read-only snapshot
//! and mapped to the response with every status present, zeros included.

use canopy_deployments::queue::{self, DeploymentStatus};
use canopy_kit::db::{Database, Scope, TenantId};
use canopy_kit::request::{time_from_proto, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::sites::v1 as pb;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::convert::{deployment_status_to_proto, deployment_to_proto, optional_customer, status_to_proto};
use super::db;
use crate::domain::fleet;
use crate::domain::lifecycle::SiteStatus;
use crate::store;

/// A valid `GetFleetSummaryRequest`.
#[derive(Debug)]
pub struct FleetQuery {
    /// The customer a platform role asks about; `None` for the caller's own fleet
    /// (a customer) or everyone's (a platform role).
    pub customer: Option<TenantId>,
    /// The start of the deployment window.
    pub since: DateTime<Utc>,
    pub failures_limit: i64,
}

impl FleetQuery {
    /// Validates `input` at `now`, collecting every violation.
    pub fn parse(input: &pb::GetFleetSummaryRequest, now: DateTime<Utc>) -> Result<Self, ApiError> {
        let mut violations = Vec::new();
        let customer = optional_customer(&input.customer_id, &mut violations);
        let since = input.since.as_ref().and_then(|since| {
            let parsed = time_from_proto(since);
            if parsed.is_none() {
                violations.push(FieldViolation::new("since", "must be a valid timestamp"));
            }
            parsed
        });
        let since = fleet::window_start(since, now, &mut violations);
        let failures_limit = fleet::failures_limit(input.recent_failures_limit, &mut violations);
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        Ok(FleetQuery { customer, since, failures_limit })
    }
}

/// What `GetFleetSummary` answers for a validated request: sites per status, the
/// window's deployments per status and its latest failures with their sites' names,
/// all read in one read-only snapshot of `scope`, so the figures agree with each
/// other. Public so the bench measures this very code.
pub async fn fleet_summary(
    database: &Database,
    scope: Scope,
    since: DateTime<Utc>,
    failures_limit: i64,
) -> Result<pb::GetFleetSummaryResponse, ApiError> {
    let mut tx = database.begin_read_only(scope).await.map_err(db)?;
    let sites = store::count_live_sites(&mut tx).await.map_err(db)?;
    let deployments = queue::count_deployments_since(&mut tx, since).await.map_err(db)?;
    let failures = queue::recent_failures(&mut tx, since, failures_limit).await.map_err(db)?;
    let failed_sites: Vec<(Uuid, Uuid)> = failures.iter().map(|d| (d.tenant_id, d.site_id)).collect();
    let names = store::site_names(&mut tx, &failed_sites).await.map_err(db)?;

    // Every status gets an entry, zeros included, so a dashboard never has to fill gaps.
    fn count<S: PartialEq>(counts: &[(S, i64)], status: &S) -> i64 {
        counts.iter().find(|(counted, _)| counted == status).map_or(0, |(_, n)| *n)
    }
    let site_counts: Vec<pb::SiteStatusCount> = SiteStatus::ALL
        .into_iter()
        .filter(|status| *status != SiteStatus::Deleted)
        .map(|status| pb::SiteStatusCount { status: status_to_proto(status) as i32, count: count(&sites, &status) })
        .collect();
    Ok(pb::GetFleetSummaryResponse {
        total_sites: site_counts.iter().map(|c| c.count).sum(),
        site_counts,
        since: Some(timestamp(since)),
        deployment_counts: DeploymentStatus::ALL
            .into_iter()
            .map(|status| pb::DeploymentStatusCount {
                status: deployment_status_to_proto(status) as i32,
                count: count(&deployments, &status),
            })
            .collect(),
        recent_failures: failures
            .iter()
            .map(|d| pb::FailedDeployment {
                deployment: Some(deployment_to_proto(d)),
                site_name: names.get(&d.site_id).cloned().unwrap_or_default(),
            })
            .collect(),
    })
}
