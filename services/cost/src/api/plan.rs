//! `PlanEstimateService`: the provisioner's call between plan and apply.

use std::sync::Arc;

use canopy_kit::db::{Scope, TenantId};
use canopy_kit::request::required_id_field;
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::cost::v1 as proto;
use canopy_sdk::proto::canopy::cost::v1::plan_estimate_service_server::PlanEstimateService;
use canopy_terraform::CloudProvider;
use tonic::{Request, Response, Status};

use super::{db, estimate_to_proto, refuse_if_any};
use crate::Costs;
use crate::estimate;
use crate::store;

pub struct PlanEstimateApi(pub Arc<Costs>);

#[tonic::async_trait]
impl PlanEstimateService for PlanEstimateApi {
    async fn estimate_plan(
        &self,
        request: Request<proto::EstimatePlanRequest>,
    ) -> Result<Response<proto::EstimatePlanResponse>, Status> {
        let request = request.into_inner();
        let mut violations = Vec::new();
        let tenant = required_id_field("customer_id", &request.customer_id, &mut violations);
        let site = required_id_field("site_id", &request.site_id, &mut violations);
        let deployment = required_id_field("deployment_id", &request.deployment_id, &mut violations);
        let provider = CloudProvider::from_proto_number(request.provider);
        if provider.is_none() {
            violations.push(FieldViolation::new("provider", format!("must be one of {}", CloudProvider::names())));
        }
        let plan: serde_json::Value = match serde_json::from_str(&request.plan_json) {
            Ok(plan) => plan,
            Err(error) => {
                violations.push(FieldViolation::new("plan_json", format!("is not JSON: {error}")));
                serde_json::Value::Null
            }
        };
        refuse_if_any(violations)?;
        let provider = provider.expect("validated");
        let estimate = estimate::estimate(&self.0.snapshot, provider.as_str(), &request.region, &plan).map_err(
            |error| match error {
                estimate::EstimateError::Plan(message) => ApiError::invalid("plan_json", message),
                estimate::EstimateError::Price(error) => {
                    ApiError::FailedPrecondition { reason: "NOT_PRICED", message: error.to_string() }
                }
            },
        )?;
        let now = self.0.clock.now();
        let stale = self.0.snapshot.age_days(now.date_naive()) > self.0.config.snapshot_max_age_days;
        let deleting = request.deployment_kind == "delete";
        let mut tx = self.0.database.begin(Scope::Tenant(TenantId(tenant))).await.map_err(db)?;
        store::upsert_site(
            &mut tx,
            tenant,
            site,
            &store::plan_site_name(&plan),
            provider.as_str(),
            &request.region,
            now.date_naive(),
            deleting,
        )
        .await
        .map_err(db)?;
        let others = store::other_sites_monthly(&mut tx, tenant, site).await.map_err(db)?;
        let row = store::save_estimate(
            &mut tx,
            tenant,
            deployment,
            site,
            &estimate,
            stale,
            others + estimate.monthly_micros,
            request.sandbox,
            now,
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::EstimatePlanResponse { estimate: Some(estimate_to_proto(&row)) }))
    }
}
