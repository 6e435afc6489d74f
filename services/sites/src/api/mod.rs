//! `SiteService` handlers, each thin: decode the request into a validated value
//! ([`convert`]), scope it by the caller's principal, call the piece that does the
//! work, map the answer back to protobuf.
//!
//! Where the work lives:
//! * [`convert`] — proto → domain (`TryFrom`, every field violation at once) and
//!   stored rows → proto;
//! * [`changes`] — create, update, redeploy, delete: idempotent, one transaction each
//!   with the deployment they start;
//! * [`saga`] — quota reserved in tenancy around a change, and given back when the
//!   change fails or the site is gone;
//! * [`watch`] — the `WatchDeployment` stream;
//! * [`fleet`] — `GetFleetSummary`'s bounds and its one-snapshot report.
//!
//! Database errors become API errors through [`canopy_kit::error::from_sqlx`] alone
//! ([`db`]); no handler reads a SQLSTATE.

mod changes;
mod convert;
pub mod directory;
mod fleet;
pub mod saga;
mod watch;

use std::sync::Arc;

use canopy_deployments::queue::{self, DeploymentKind, DeploymentRow};
use canopy_kit::auth::Principal;
use canopy_kit::db::{Scope, TenantId};
use canopy_kit::paging::{PageCursor, finish_page, page_size};
use canopy_kit::request::{principal, required_id};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::common::v1::PageResponse;
use canopy_sdk::proto::canopy::sites::v1 as pb;
use canopy_sdk::proto::canopy::sites::v1::site_service_server::SiteService;
use canopy_terraform::CloudProvider;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::Sites;
use crate::domain::catalogue;
use crate::store;
use convert::{ChangeTarget, NewSite, SiteQuery, SiteUpdate, StoredConfig, deployment_to_proto, site_to_proto};
use fleet::FleetQuery;
pub use fleet::fleet_summary;
use watch::WatchStream;

pub struct SitesApi(pub Arc<Sites>);

/// A database error as the API answers it; "site" names what most statements here
/// write.
fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "site")
}

#[tonic::async_trait]
impl SiteService for SitesApi {
    async fn create_site(
        &self,
        request: Request<pb::CreateSiteRequest>,
    ) -> Result<Response<pb::CreateSiteResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        // Platform roles act for a customer, so they must name one; said after the
        // request's own violations, in the same answer.
        let unnamed = principal.is_platform() && input.customer_id.is_empty();
        let converted = NewSite::try_from(input);
        if unnamed {
            let mut violations = converted.err().unwrap_or_default();
            violations.push(FieldViolation::new("customer_id", "platform roles must name the customer"));
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let new = converted.map_err(ApiError::InvalidArgument)?;
        let scope = principal.scope_for(new.customer)?;
        let Scope::Tenant(TenantId(tenant_id)) = scope else {
            return Err(ApiError::invalid("customer_id", "platform roles must name the customer").into());
        };
        let (site, deployment) = self.create(&principal, scope, tenant_id, &new).await?;
        Ok(Response::new(pb::CreateSiteResponse { site: Some(site), deployment }))
    }

    async fn get_site(&self, request: Request<pb::GetSiteRequest>) -> Result<Response<pb::GetSiteResponse>, Status> {
        let principal = principal(&request)?;
        let site_id = required_id("site_id", &request.get_ref().site_id)?;
        let mut tx = self.0.database.begin(principal.scope_for(None)?).await.map_err(db)?;
        let site =
            store::site(&mut tx, site_id, false).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "site" })?;
        Ok(Response::new(pb::GetSiteResponse { site: Some(site_to_proto(&site)) }))
    }

    async fn list_sites(
        &self,
        request: Request<pb::ListSitesRequest>,
    ) -> Result<Response<pb::ListSitesResponse>, Status> {
        let principal = principal(&request)?;
        let query = SiteQuery::try_from(request.into_inner())?;
        let mut tx = self.0.database.begin(principal.scope_for(query.customer)?).await.map_err(db)?;
        let mut rows = store::list_sites(&mut tx, &query.filter).await.map_err(db)?;
        let next = finish_page(&mut rows, query.limit, |r| PageCursor { time: r.create_time, id: r.id });
        Ok(Response::new(pb::ListSitesResponse {
            sites: rows.iter().map(site_to_proto).collect(),
            page: Some(PageResponse { next_page_token: next, total_size: -1 }),
        }))
    }

    async fn update_site(
        &self,
        request: Request<pb::UpdateSiteRequest>,
    ) -> Result<Response<pb::UpdateSiteResponse>, Status> {
        let principal = principal(&request)?;
        let update = SiteUpdate::try_from(request.into_inner())?;
        let config = StoredConfig::try_from(&update.config)?;
        let (site, deployment) =
            self.change(&principal, &update.target, DeploymentKind::Update, |site| config.apply_to(site)).await?;
        Ok(Response::new(pb::UpdateSiteResponse { site: Some(site), deployment }))
    }

    async fn delete_site(
        &self,
        request: Request<pb::DeleteSiteRequest>,
    ) -> Result<Response<pb::DeleteSiteResponse>, Status> {
        let principal = principal(&request)?;
        let target = ChangeTarget::try_from(request.into_inner())?;
        let (site, deployment) = self.change(&principal, &target, DeploymentKind::Delete, |_| true).await?;
        Ok(Response::new(pb::DeleteSiteResponse { site: Some(site), deployment }))
    }

    async fn redeploy_site(
        &self,
        request: Request<pb::RedeploySiteRequest>,
    ) -> Result<Response<pb::RedeploySiteResponse>, Status> {
        let principal = principal(&request)?;
        let target = ChangeTarget::try_from(request.into_inner())?;
        // Always a deployment; a site with one in progress is refused by the queue.
        let (site, deployment) = self.change(&principal, &target, DeploymentKind::Redeploy, |_| true).await?;
        Ok(Response::new(pb::RedeploySiteResponse { site: Some(site), deployment }))
    }

    async fn list_deployments(
        &self,
        request: Request<pb::ListDeploymentsRequest>,
    ) -> Result<Response<pb::ListDeploymentsResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let site_id = required_id("site_id", &input.site_id)?;
        let page = input.page.unwrap_or_default();
        let limit = page_size(page.page_size)?;
        let cursor = PageCursor::decode(&page.page_token)?;
        let mut tx = self.0.database.begin(principal.scope_for(None)?).await.map_err(db)?;
        let site =
            store::site(&mut tx, site_id, false).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "site" })?;
        let mut rows =
            queue::list_deployments(&mut tx, site.tenant_id, site_id, cursor.map(|c| (c.time, c.id)), limit + 1)
                .await
                .map_err(db)?;
        let next = finish_page(&mut rows, limit, |r| PageCursor { time: r.create_time, id: r.id });
        Ok(Response::new(pb::ListDeploymentsResponse {
            deployments: rows.iter().map(deployment_to_proto).collect(),
            page: Some(PageResponse { next_page_token: next, total_size: -1 }),
        }))
    }

    async fn get_deployment(
        &self,
        request: Request<pb::GetDeploymentRequest>,
    ) -> Result<Response<pb::GetDeploymentResponse>, Status> {
        let principal = principal(&request)?;
        let id = required_id("deployment_id", &request.get_ref().deployment_id)?;
        let deployment = self.visible_deployment(&principal, id).await?;
        Ok(Response::new(pb::GetDeploymentResponse { deployment: Some(deployment_to_proto(&deployment)) }))
    }

    type WatchDeploymentStream = WatchStream;

    async fn watch_deployment(
        &self,
        request: Request<pb::WatchDeploymentRequest>,
    ) -> Result<Response<Self::WatchDeploymentStream>, Status> {
        let principal = principal(&request)?;
        let (id, from) = watch::Resume::from_request(request.get_ref())?;
        let deployment = self.visible_deployment(&principal, id).await?;
        let scope = principal.scope_for(None)?;
        Ok(Response::new(watch::watch(self.0.clone(), scope, deployment.tenant_id, id, from)))
    }

    async fn cancel_deployment(
        &self,
        request: Request<pb::CancelDeploymentRequest>,
    ) -> Result<Response<pb::CancelDeploymentResponse>, Status> {
        let principal = principal(&request)?;
        let id = required_id("deployment_id", &request.get_ref().deployment_id)?;
        let deployment = self.visible_deployment(&principal, id).await?;
        let mut tx = self.0.database.begin(principal.scope_for(None)?).await.map_err(db)?;
        queue::request_cancel(&mut tx, deployment.tenant_id, id).await.map_err(db)?;
        let updated = queue::deployment(&mut tx, deployment.tenant_id, id)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "deployment" })?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::CancelDeploymentResponse { deployment: Some(deployment_to_proto(&updated)) }))
    }

    async fn get_fleet_summary(
        &self,
        request: Request<pb::GetFleetSummaryRequest>,
    ) -> Result<Response<pb::GetFleetSummaryResponse>, Status> {
        let principal = principal(&request)?;
        let query = FleetQuery::parse(request.get_ref(), self.0.clock.now())?;
        let scope = principal.scope_for(query.customer)?;
        let summary = fleet_summary(&self.0.database, scope, query.since, query.failures_limit).await?;
        Ok(Response::new(summary))
    }

    async fn list_regions(
        &self,
        request: Request<pb::ListRegionsRequest>,
    ) -> Result<Response<pb::ListRegionsResponse>, Status> {
        let wanted = match request.get_ref().provider {
            0 => None,
            raw => Some(
                CloudProvider::from_proto_number(raw)
                    .ok_or_else(|| ApiError::invalid("provider", "is not a known provider"))?,
            ),
        };
        let mut regions = Vec::new();
        for (provider, codes) in catalogue::regions() {
            let Ok(parsed) = provider.parse::<CloudProvider>() else { continue };
            if wanted.is_some_and(|w| w != parsed) {
                continue;
            }
            for (code, display_name) in codes {
                regions.push(pb::Region {
                    provider: CloudProvider::proto_from_name(provider) as i32,
                    code: code.clone(),
                    display_name: display_name.clone(),
                });
            }
        }
        Ok(Response::new(pb::ListRegionsResponse { regions }))
    }
}

impl SitesApi {
    /// A deployment the principal may see, or NOT_FOUND (also for other tenants').
    async fn visible_deployment(&self, principal: &Principal, id: Uuid) -> Result<DeploymentRow, ApiError> {
        let scope = principal.scope_for(None)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let tenant = match scope {
            Scope::Tenant(TenantId(tenant)) => Some(tenant),
            _ => None,
        };
        let found = match tenant {
            Some(tenant) => queue::deployment(&mut tx, tenant, id).await.map_err(db)?,
            None => queue::deployment_any_tenant(&mut tx, id).await.map_err(db)?,
        };
        found.ok_or(ApiError::NotFound { resource: "deployment" })
    }
}
