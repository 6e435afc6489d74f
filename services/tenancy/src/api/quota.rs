//! `QuotaService`, for other services: reservations that cannot oversell, and a
//! customer's access state.

use std::sync::Arc;
use std::time::Duration;

use canopy_kit::ApiError;
use canopy_kit::db::{Scope, TenantId};
use canopy_sdk::proto::canopy::tenancy::v1 as pb;
use canopy_sdk::proto::canopy::tenancy::v1::quota_service_server::QuotaService;
use canopy_terraform::CloudProvider;
use chrono::{Datelike, TimeZone, Utc};
use tonic::{Request, Response, Status};

use super::{db, required_id, status_to_proto, tier_to_proto};
use crate::Tenancy;
use crate::domain::customer::Status as CustomerStatus;
use crate::store::{self, Reserved};

pub struct QuotaApi(pub Arc<Tenancy>);

fn resource(raw: i32) -> Result<&'static str, ApiError> {
    match pb::QuotaResource::try_from(raw) {
        Ok(pb::QuotaResource::Site) => Ok("site"),
        Ok(pb::QuotaResource::Deployment) => Ok("deployment"),
        _ => Err(ApiError::invalid("resource", "must be QUOTA_RESOURCE_SITE or QUOTA_RESOURCE_DEPLOYMENT")),
    }
}

fn reservation_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > 200 || key.chars().any(char::is_control) {
        return Err(ApiError::invalid("reservation_key", "must be 1 to 200 printable characters"));
    }
    Ok(())
}

#[tonic::async_trait]
impl QuotaService for QuotaApi {
    async fn reserve_quota(
        &self,
        request: Request<pb::ReserveQuotaRequest>,
    ) -> Result<Response<pb::ReserveQuotaResponse>, Status> {
        let input = request.into_inner();
        let tenant_id = required_id("customer_id", &input.customer_id)?;
        let resource = resource(input.resource)?;
        reservation_key(&input.reservation_key)?;
        let now = self.0.clock.now();
        let mut tx = self.0.database.begin(Scope::Tenant(TenantId(tenant_id))).await.map_err(db)?;
        let customer = store::customer(&mut tx, tenant_id, false)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        if customer.status != CustomerStatus::Active {
            return Err(ApiError::FailedPrecondition {
                reason: "CUSTOMER_NOT_ACTIVE",
                message: format!("customer is {}: {}", customer.status.as_str(), customer.status_reason),
            }
            .into());
        }
        let limits = store::effective_limits(&mut tx, &customer).await.map_err(db)?;
        let outcome = if resource == "site" {
            let provider = CloudProvider::from_proto_number(input.provider).map(CloudProvider::as_str);
            if let Some(provider) = provider
                && let Err(message) = limits.allows_placement(provider, &input.region)
            {
                return Err(ApiError::FailedPrecondition { reason: "PLAN_RESTRICTION", message }.into());
            }
            store::reserve_site(&mut tx, tenant_id, &input.reservation_key, limits.max_sites).await.map_err(db)?
        } else {
            let month = store::month_of(now);
            store::reserve_deployment(
                &mut tx,
                tenant_id,
                &input.reservation_key,
                month,
                limits.max_deployments_per_month,
            )
            .await
            .map_err(db)?
        };
        if outcome == Reserved::Exhausted {
            // Rolled back by dropping the transaction; nothing was taken.
            drop(tx);
            let (limit, retry_after) = if resource == "site" {
                (format!("{} sites", limits.max_sites), Duration::ZERO)
            } else {
                let next_month = if now.month() == 12 {
                    Utc.with_ymd_and_hms(now.year() + 1, 1, 1, 0, 0, 0)
                } else {
                    Utc.with_ymd_and_hms(now.year(), now.month() + 1, 1, 0, 0, 0)
                };
                let wait = next_month.single().map(|t| (t - now).to_std().unwrap_or_default()).unwrap_or_default();
                (format!("{} deployments this month", limits.max_deployments_per_month), wait)
            };
            return Err(ApiError::ResourceExhausted {
                reason: "QUOTA_EXCEEDED",
                message: format!("quota exceeded: the plan allows {limit}"),
                retry_after,
            }
            .into());
        }
        let usage = super::plans::usage(&mut tx, tenant_id, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::ReserveQuotaResponse { usage: Some(usage) }))
    }

    async fn release_quota(
        &self,
        request: Request<pb::ReleaseQuotaRequest>,
    ) -> Result<Response<pb::ReleaseQuotaResponse>, Status> {
        let input = request.into_inner();
        let tenant_id = required_id("customer_id", &input.customer_id)?;
        let resource = resource(input.resource)?;
        reservation_key(&input.reservation_key)?;
        let mut tx = self.0.database.begin(Scope::Tenant(TenantId(tenant_id))).await.map_err(db)?;
        store::release(&mut tx, tenant_id, resource, &input.reservation_key).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::ReleaseQuotaResponse {}))
    }

    async fn get_tenant_access(
        &self,
        request: Request<pb::GetTenantAccessRequest>,
    ) -> Result<Response<pb::GetTenantAccessResponse>, Status> {
        let tenant_id = required_id("customer_id", &request.get_ref().customer_id)?;
        let mut tx = self.0.database.begin(Scope::Tenant(TenantId(tenant_id))).await.map_err(db)?;
        let customer = store::customer(&mut tx, tenant_id, false)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        let limits = store::effective_limits(&mut tx, &customer).await.map_err(db)?;
        Ok(Response::new(pb::GetTenantAccessResponse {
            status: status_to_proto(customer.status) as i32,
            reason: customer.status_reason,
            read_only_when_suspended: self.0.config.read_only_when_suspended,
            rate_tier: tier_to_proto(&limits.rate_tier) as i32,
        }))
    }
}
