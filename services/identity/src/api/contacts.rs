//! `UserContactService`: how other services reach a user (alerts emails pages to the
//! people an escalation names). Only workloads whose manifest declares the service
//! may call it; each lookup is audited by the kit, since it hands personal data to
//! another service.

use std::sync::Arc;

use canopy_kit::ApiError;
use canopy_kit::db::Scope;
use canopy_kit::mesh::CallerWorkload;
use canopy_sdk::proto::canopy::identity::v1::user_contact_service_server::UserContactService;
use canopy_sdk::proto::canopy::identity::v1::{GetUserContactRequest, GetUserContactResponse};
use tonic::{Request, Response, Status};

use super::{db, required_id, status_to_proto};
use crate::Identity;
use crate::store::users;

/// The handlers.
pub struct UserContactApi {
    identity: Arc<Identity>,
}

impl UserContactApi {
    pub(crate) fn new(identity: Arc<Identity>) -> Self {
        Self { identity }
    }
}

#[tonic::async_trait]
impl UserContactService for UserContactApi {
    async fn get_user_contact(
        &self,
        request: Request<GetUserContactRequest>,
    ) -> Result<Response<GetUserContactResponse>, Status> {
        // Only services inside the mesh ask (the policy says INTERNAL; the kit puts the
        // caller's workload identity on the request).
        request
            .extensions()
            .get::<CallerWorkload>()
            .ok_or(ApiError::PermissionDenied("only services inside the mesh look up contacts".into()))?;
        let user_id = required_id("user_id", &request.get_ref().user_id)?;
        // A system caller asking about any tenant's user: platform scope.
        let mut tx = self.identity.database.begin(Scope::Platform).await.map_err(db("user"))?;
        let user =
            users::find(&mut tx, user_id).await.map_err(db("user"))?.ok_or(ApiError::NotFound { resource: "user" })?;
        tx.commit().await.map_err(db("user"))?;
        Ok(Response::new(GetUserContactResponse {
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            tenant_id: user.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
            status: status_to_proto(user.status) as i32,
        }))
    }
}
