//! `SiteDirectoryService`: other services' questions about a customer's sites, asked
//! over the mesh (the commerce service checks a site is the customer's before it
//! connects a store to it).

use canopy_kit::db::{Scope, TenantId};
use canopy_kit::request::required_id_field;
use canopy_sdk::proto::canopy::sites::v1 as pb;
use canopy_sdk::proto::canopy::sites::v1::site_directory_service_server::SiteDirectoryService;
use tonic::{Request, Response, Status};

use super::{convert, db};
use crate::SiteStatus;
use crate::store;

pub struct SiteDirectoryApi(pub std::sync::Arc<crate::Sites>);

#[tonic::async_trait]
impl SiteDirectoryService for SiteDirectoryApi {
    async fn lookup_site(
        &self,
        request: Request<pb::LookupSiteRequest>,
    ) -> Result<Response<pb::LookupSiteResponse>, Status> {
        let request = request.into_inner();
        let mut violations = Vec::new();
        let customer = required_id_field("customer_id", &request.customer_id, &mut violations);
        let site = required_id_field("site_id", &request.site_id, &mut violations);
        canopy_kit::ApiError::refuse_if_any(violations)?;
        // The customer's own scope: row-level security answers "not found" for a site of
        // another customer, exactly as for one that does not exist.
        let mut tx = self.0.database.begin(Scope::Tenant(TenantId(customer))).await.map_err(db)?;
        let row = store::site(&mut tx, site, false).await.map_err(db)?;
        let response = match row {
            Some(row) if row.status != SiteStatus::Deleted => pb::LookupSiteResponse {
                found: true,
                name: row.name.clone(),
                status: convert::status_to_proto(row.status) as i32,
            },
            _ => pb::LookupSiteResponse::default(),
        };
        Ok(Response::new(response))
    }
}
