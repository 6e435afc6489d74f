//! `RoutingService` (the operator's routing configuration, replaced as a whole) and
//! `SilenceService`.

use std::collections::BTreeSet;
use std::sync::Arc;

use canopy_kit::auth::PrincipalKind;
use canopy_kit::db::Scope;
use canopy_kit::request::{principal, required_id, time_from_proto, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::alerts::v1 as proto;
use canopy_sdk::proto::canopy::alerts::v1::routing_service_server::RoutingService;
use canopy_sdk::proto::canopy::alerts::v1::silence_service_server::SilenceService;
use chrono::{DateTime, Utc};
use prost::Message as _;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{convert, db, finish_offset_page, offset_page, refuse_if_any};
use crate::Alerts;
use crate::engine::silence::Silence;
use crate::store::{self, SilenceRow};

pub struct RoutingApi(pub Arc<Alerts>);
pub struct SilenceApi(pub Arc<Alerts>);

#[tonic::async_trait]
impl RoutingService for RoutingApi {
    async fn get_routing_config(
        &self,
        request: Request<proto::GetRoutingConfigRequest>,
    ) -> Result<Response<proto::GetRoutingConfigResponse>, Status> {
        principal(&request)?;
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let stored = store::routing_config(&mut tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let Some((bytes, updated_at)) = stored else { return Ok(Response::new(Default::default())) };
        let config = proto::RoutingConfig::decode(bytes.as_slice()).map_err(ApiError::internal)?;
        Ok(Response::new(proto::GetRoutingConfigResponse {
            config: Some(config),
            update_time: Some(timestamp(updated_at)),
        }))
    }

    async fn replace_routing_config(
        &self,
        request: Request<proto::ReplaceRoutingConfigRequest>,
    ) -> Result<Response<proto::ReplaceRoutingConfigResponse>, Status> {
        principal(&request)?;
        let Some(config) = request.into_inner().config else {
            return Err(ApiError::invalid("config", "is required").into());
        };
        let now = self.0.clock.now();
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        store::lock_routing(&mut tx).await.map_err(db)?;
        let receivers: BTreeSet<String> =
            store::platform_receivers(&mut tx).await.map_err(db)?.into_iter().map(|r| r.name).collect();
        convert::routing(&config, &receivers).map_err(ApiError::InvalidArgument)?;
        store::replace_routing_config(&mut tx, &config.encode_to_vec(), now).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::ReplaceRoutingConfigResponse { update_time: Some(timestamp(now)) }))
    }
}

fn silence(row: &SilenceRow, now: DateTime<Utc>) -> proto::Silence {
    let state = if now < row.starts_at {
        proto::SilenceState::Pending
    } else if now < row.ends_at {
        proto::SilenceState::Active
    } else {
        proto::SilenceState::Expired
    };
    proto::Silence {
        id: row.id.to_string(),
        matchers: row.matchers.clone(),
        start_time: Some(timestamp(row.starts_at)),
        end_time: Some(timestamp(row.ends_at)),
        created_by: row.created_by.clone(),
        comment: row.comment.clone(),
        state: state.into(),
    }
}

#[tonic::async_trait]
impl SilenceService for SilenceApi {
    async fn create_silence(
        &self,
        request: Request<proto::CreateSilenceRequest>,
    ) -> Result<Response<proto::CreateSilenceResponse>, Status> {
        let principal = principal(&request)?;
        let created_by = match &principal.kind {
            PrincipalKind::User { user_id, .. } => user_id.to_string(),
            PrincipalKind::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
        };
        let request = request.into_inner();
        let now = self.0.clock.now();
        let mut violations: Vec<FieldViolation> = Vec::new();
        let matchers = convert::matchers("matchers", &request.matchers, &mut violations);
        let mut time = |field: &str, value: &Option<prost_types::Timestamp>| match value {
            None => None,
            Some(value) => {
                let parsed = time_from_proto(value);
                if parsed.is_none() {
                    violations.push(FieldViolation::new(field, "is not a valid time"));
                }
                parsed
            }
        };
        let starts_at = time("start_time", &request.start_time).unwrap_or(now);
        let ends_at = time("end_time", &request.end_time);
        if ends_at.is_none() && request.end_time.is_none() {
            violations.push(FieldViolation::new("end_time", "is required"));
        }
        let comment = canopy_kit::request::human_text_field("comment", &request.comment, 500, &mut violations);
        if request.matchers.is_empty() || !matchers.is_empty() {
            let candidate = Silence {
                matchers: matchers.clone(),
                starts_at,
                ends_at: ends_at.unwrap_or(now),
                created_by: created_by.clone(),
                comment: comment.clone(),
            };
            for violation in candidate.validate(now) {
                let field = match violation.field.as_str() {
                    "silence.matchers" => "matchers",
                    "silence.ends_at" if ends_at.is_none() => continue,
                    "silence.ends_at" => "end_time",
                    "silence.comment" => continue, // human_text_field already said it
                    other => other,
                };
                violations.push(FieldViolation::new(field, violation.description));
            }
        }
        refuse_if_any(violations)?;
        let row = SilenceRow {
            id: Uuid::now_v7(),
            matchers: matchers.iter().map(ToString::to_string).collect(),
            starts_at,
            ends_at: ends_at.unwrap_or(now),
            created_by,
            comment,
            created_at: now,
        };
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        store::insert_silence(&mut tx, &row).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::CreateSilenceResponse { silence: Some(silence(&row, now)) }))
    }

    async fn list_silences(
        &self,
        request: Request<proto::ListSilencesRequest>,
    ) -> Result<Response<proto::ListSilencesResponse>, Status> {
        principal(&request)?;
        let (limit, offset) = offset_page(request.into_inner().page)?;
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let mut rows = store::list_silences(&mut tx, limit + 1, offset).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        let now = self.0.clock.now();
        Ok(Response::new(proto::ListSilencesResponse {
            silences: rows.iter().map(|r| silence(r, now)).collect(),
            page,
        }))
    }

    async fn expire_silence(
        &self,
        request: Request<proto::ExpireSilenceRequest>,
    ) -> Result<Response<proto::ExpireSilenceResponse>, Status> {
        principal(&request)?;
        let id = required_id("silence_id", &request.get_ref().silence_id)?;
        let now = self.0.clock.now();
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let row = store::expire_silence(&mut tx, id, now).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let row = row.ok_or(ApiError::NotFound { resource: "silence" })?;
        Ok(Response::new(proto::ExpireSilenceResponse { silence: Some(silence(&row, now)) }))
    }
}
