//! `KeyRotationService`: how every service's envelope-encryption keys stand, as each
//! service's rotation pass last published it.

use std::sync::Arc;

use canopy_kit::ApiError;
use canopy_kit::request::timestamp;
use canopy_sdk::proto::canopy::commerce::v1 as proto;
use canopy_sdk::proto::canopy::commerce::v1::key_rotation_service_server::KeyRotationService;
use tonic::{Request, Response, Status};

use crate::Commerce;

pub struct KeyRotationApi(pub Arc<Commerce>);

#[tonic::async_trait]
impl KeyRotationService for KeyRotationApi {
    async fn get_key_rotation_status(
        &self,
        _request: Request<proto::GetKeyRotationStatusRequest>,
    ) -> Result<Response<proto::GetKeyRotationStatusResponse>, Status> {
        let reports = canopy_kit::secrets::published_statuses(&self.0.redis).await.map_err(ApiError::internal)?;
        let services = reports
            .into_iter()
            .map(|status| proto::ServiceKeyStatus {
                service: status.schema.clone(),
                kek_kind: status.kek_kind.clone(),
                kek_current_version: status.kek_current_version as i32,
                kek_min_decryption_version: status.kek_min_decryption_version as i32,
                data_keys_by_kek_version: status
                    .data_keys_by_kek_version
                    .iter()
                    .map(|(version, count)| proto::KeyVersionCount { version: *version as i32, count: *count as i64 })
                    .collect(),
                active_data_keys_by_version: status
                    .data_keys_by_version
                    .iter()
                    .filter(|keys| !keys.retired)
                    .map(|keys| proto::KeyVersionCount { version: keys.version as i32, count: keys.count as i64 })
                    .collect(),
                retired_data_keys: status
                    .data_keys_by_version
                    .iter()
                    .filter(|keys| keys.retired)
                    .map(|keys| keys.count as i64)
                    .sum(),
                pending_reencryption: status.rows_pending.values().map(|rows| *rows as i64).sum(),
                last_pass_time: status.last_pass_at.map(timestamp),
                last_error: status.last_error.clone().unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(proto::GetKeyRotationStatusResponse { services }))
    }
}
