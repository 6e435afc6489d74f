//! `PlanService`: plans, and a customer's usage against its effective limits.

use std::sync::Arc;

use canopy_kit::db::Scope;
use canopy_kit::request::human_text_field;
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::tenancy::v1 as pb;
use canopy_sdk::proto::canopy::tenancy::v1::plan_service_server::PlanService;
use tonic::{Request, Response, Status};

use super::{customer_scope, db, limits_from_proto, limits_to_proto, principal, required_id};
use crate::Tenancy;
use crate::domain::plan::{EffectiveLimits, valid_plan_id};
use crate::store::{self, PlanRow};

pub struct PlansApi(pub Arc<Tenancy>);

fn plan_to_proto(row: &PlanRow) -> pb::Plan {
    pb::Plan {
        plan_id: row.plan_id.clone(),
        display_name: row.display_name.clone(),
        limits: Some(limits_to_proto(&row.limits)),
    }
}

/// Usage of `tenant_id` against its effective limits, inside `tx`.
pub async fn usage(
    tx: &mut sqlx::PgConnection,
    tenant_id: uuid::Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<pb::GetUsageResponse, ApiError> {
    let customer =
        store::customer(tx, tenant_id, false).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "customer" })?;
    let limits = store::effective_limits(tx, &customer).await.map_err(db)?;
    let (sites, deployments) = store::usage(tx, tenant_id, store::month_of(now)).await.map_err(db)?;
    Ok(pb::GetUsageResponse {
        effective_limits: Some(limits_to_proto(&limits)),
        sites_used: sites,
        deployments_this_month: deployments,
    })
}

#[tonic::async_trait]
impl PlanService for PlansApi {
    async fn list_plans(
        &self,
        _request: Request<pb::ListPlansRequest>,
    ) -> Result<Response<pb::ListPlansResponse>, Status> {
        // Plans are platform-wide reference data, not tenant-owned rows.
        let mut tx = self.0.database.begin(Scope::Unscoped).await.map_err(db)?;
        let plans = store::plans(&mut tx).await.map_err(db)?;
        Ok(Response::new(pb::ListPlansResponse { plans: plans.iter().map(plan_to_proto).collect() }))
    }

    async fn upsert_plan(
        &self,
        request: Request<pb::UpsertPlanRequest>,
    ) -> Result<Response<pb::UpsertPlanResponse>, Status> {
        let plan = request.into_inner().plan.ok_or_else(|| ApiError::invalid("plan", "is required"))?;
        let mut violations = Vec::new();
        if !valid_plan_id(&plan.plan_id) {
            violations.push(FieldViolation::new(
                "plan.plan_id",
                "must be lowercase letters, digits and hyphens, starting with a letter (at most 40)",
            ));
        }
        let display_name = human_text_field("plan.display_name", &plan.display_name, 60, &mut violations);
        let limits = plan.limits.unwrap_or_default();
        let (providers, tier) = limits_from_proto("plan.limits", &limits, &mut violations);
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let row = PlanRow {
            plan_id: plan.plan_id,
            display_name,
            limits: EffectiveLimits {
                max_sites: limits.max_sites,
                max_deployments_per_month: limits.max_deployments_per_month,
                allowed_providers: providers,
                allowed_regions: limits.allowed_regions,
                rate_tier: tier.unwrap_or("standard").to_string(),
            },
        };
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        store::upsert_plan(&mut tx, &row).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::UpsertPlanResponse { plan: Some(plan_to_proto(&row)) }))
    }

    async fn get_usage(&self, request: Request<pb::GetUsageRequest>) -> Result<Response<pb::GetUsageResponse>, Status> {
        let principal = principal(&request)?;
        let tenant_id = required_id("customer_id", &request.get_ref().customer_id)?;
        let mut tx = self.0.database.begin(customer_scope(&principal, tenant_id)?).await.map_err(db)?;
        let usage = usage(&mut tx, tenant_id, self.0.clock.now()).await?;
        Ok(Response::new(usage))
    }
}
