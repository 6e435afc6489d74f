//! `PlatformService`: the platforms and their connection forms.

use std::sync::Arc;

use canopy_sdk::proto::canopy::commerce::v1 as proto;
use canopy_sdk::proto::canopy::commerce::v1::platform_service_server::PlatformService;
use tonic::{Request, Response, Status};

use crate::Commerce;

pub struct PlatformApi(pub Arc<Commerce>);

#[tonic::async_trait]
impl PlatformService for PlatformApi {
    async fn list_platforms(
        &self,
        _request: Request<proto::ListPlatformsRequest>,
    ) -> Result<Response<proto::ListPlatformsResponse>, Status> {
        Ok(Response::new(proto::ListPlatformsResponse { platforms: crate::connect::platforms_to_proto() }))
    }
}
