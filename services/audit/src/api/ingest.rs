//! `AuditIngestService`: appends what services ship from their outboxes.

use std::sync::Arc;

use canopy_kit::db::Scope;
use canopy_kit::mesh::CallerWorkload;
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::audit::v1::audit_ingest_service_server::AuditIngestService;
use canopy_sdk::proto::canopy::audit::v1::{AppendAuditRecordsRequest, AppendAuditRecordsResponse};
use tonic::{Request, Response, Status};

use super::db;
use crate::{Audit, domain, store};

/// Most records in one batch.
const MAX_BATCH: usize = 1000;

pub struct IngestApi(pub Arc<Audit>);

#[tonic::async_trait]
impl AuditIngestService for IngestApi {
    async fn append_audit_records(
        &self,
        request: Request<AppendAuditRecordsRequest>,
    ) -> Result<Response<AppendAuditRecordsResponse>, Status> {
        // The recording service is who the mesh says is calling, not what it claims.
        let service = request
            .extensions()
            .get::<CallerWorkload>()
            .map(|CallerWorkload(identity)| identity.service_account.clone())
            .ok_or(ApiError::PermissionDenied("only services inside the mesh ship audit records".into()))?;
        let records = request.into_inner().records;
        if records.len() > MAX_BATCH {
            return Err(ApiError::invalid("records", format!("at most {MAX_BATCH} records per call")).into());
        }
        let mut violations: Vec<FieldViolation> = Vec::new();
        let mut entries = Vec::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            match domain::new_entry(record, &service, index) {
                Ok(entry) => entries.push(entry),
                Err(mut found) => violations.append(&mut found),
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let mut chains: Vec<(String, Option<uuid::Uuid>)> =
            entries.iter().map(|e| (e.chain.clone(), e.tenant_id)).collect();
        chains.sort();
        chains.dedup();

        // Appending is a named system operation across chains: platform scope.
        let audit = &self.0;
        let mut tx = audit.database.begin(Scope::Platform).await.map_err(db)?;
        store::lock_heads(&mut tx, &chains).await.map_err(db)?;
        let now = audit.clock.now();
        let appended = store::append(&mut tx, &entries, now).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(AppendAuditRecordsResponse { appended: appended as i32 }))
    }
}
