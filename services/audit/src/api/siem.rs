//! `SiemService`: the operator's SIEM endpoints.

use std::sync::Arc;

use canopy_kit::db::Scope;
use canopy_kit::paging::page_size;
use canopy_kit::request::{idempotency_key, principal, required_id, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::audit::v1 as proto;
use canopy_sdk::proto::canopy::audit::v1::siem_service_server::SiemService;
use canopy_sdk::proto::canopy::common::v1::PageResponse;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::db;
use crate::Audit;
use crate::siem::{self, EndpointRow};

pub struct SiemApi(pub Arc<Audit>);

fn endpoint(row: &EndpointRow) -> proto::SiemEndpoint {
    proto::SiemEndpoint {
        id: row.id.to_string(),
        url: row.url.clone(),
        description: row.description.clone(),
        create_time: Some(timestamp(row.created_at)),
        delivered_count: row.delivered_count,
        pending_count: row.pending_count,
        last_error: row.last_error.clone().unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl SiemService for SiemApi {
    async fn create_siem_endpoint(
        &self,
        request: Request<proto::CreateSiemEndpointRequest>,
    ) -> Result<Response<proto::CreateSiemEndpointResponse>, Status> {
        principal(&request)?;
        let request = request.into_inner();
        let mut violations: Vec<FieldViolation> = Vec::new();
        idempotency_key(&request.idempotency_key, &mut violations);
        if let Err(description) = siem::check_url(&request.url, self.0.config.allow_insecure_endpoints) {
            violations.push(FieldViolation::new("url", description));
        }
        let description = canopy_kit::request::optional_human_text(&request.description, 200).unwrap_or_else(|error| {
            violations.push(error.violation("description"));
            String::new()
        });
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let secret = canopy_kit::webhook::new_secret();
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let (row, created) = siem::create_endpoint(
            &mut tx,
            Uuid::now_v7(),
            &request.idempotency_key,
            request.url.trim(),
            &description,
            &secret,
            self.0.clock.now(),
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::CreateSiemEndpointResponse {
            endpoint: Some(endpoint(&row)),
            // A retry gets the endpoint, not the secret again.
            signing_secret: if created { secret } else { String::new() },
        }))
    }

    async fn list_siem_endpoints(
        &self,
        request: Request<proto::ListSiemEndpointsRequest>,
    ) -> Result<Response<proto::ListSiemEndpointsResponse>, Status> {
        principal(&request)?;
        let page = request.into_inner().page.unwrap_or_default();
        let limit = page_size(page.page_size)?;
        let offset: i64 = if page.page_token.is_empty() {
            0
        } else {
            page.page_token
                .parse()
                .ok()
                .filter(|o: &i64| *o >= 0)
                .ok_or_else(|| ApiError::invalid("page.page_token", "is not a token this list returned"))?
        };
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let mut rows = siem::list_endpoints(&mut tx, limit + 1, offset).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let next_page_token = if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            (offset + limit).to_string()
        } else {
            String::new()
        };
        Ok(Response::new(proto::ListSiemEndpointsResponse {
            endpoints: rows.iter().map(endpoint).collect(),
            page: Some(PageResponse { next_page_token, total_size: -1 }),
        }))
    }

    async fn delete_siem_endpoint(
        &self,
        request: Request<proto::DeleteSiemEndpointRequest>,
    ) -> Result<Response<proto::DeleteSiemEndpointResponse>, Status> {
        principal(&request)?;
        let id = required_id("endpoint_id", &request.get_ref().endpoint_id)?;
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let deleted = siem::delete_endpoint(&mut tx, id).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        if !deleted {
            return Err(ApiError::NotFound { resource: "SIEM endpoint" }.into());
        }
        Ok(Response::new(proto::DeleteSiemEndpointResponse {}))
    }
}
