//! `AuditService`: listing, exporting and verifying the trail. Platform admins read
//! every chain; owners their own customer's (row-level security enforces it: their
//! transactions are scoped to their tenant whatever the filter names).

use std::sync::Arc;

use canopy_kit::auth::Principal;
use canopy_kit::db::{Scope, TenantId};
use canopy_kit::paging::{PageCursor, finish_page, page_size};
use canopy_kit::request::{optional_tenant, principal, time_from_proto, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::audit::v1 as proto;
use canopy_sdk::proto::canopy::audit::v1::audit_service_server::AuditService;
use canopy_sdk::proto::canopy::common::v1::PageResponse;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::db;
use crate::Audit;
use crate::chain::{self, Body, ChainVerifier, PLATFORM_CHAIN};
use crate::domain::{self, EventFilter, OUTCOME_CODES};
use crate::store::{self, StoredEntry};

/// Entries read per query by exports and verification.
const BATCH: i64 = 5000;

pub struct AuditApi(pub Arc<Audit>);

/// A filter's scope and conditions, or every violation in it.
fn read_filter(principal: &Principal, filter: Option<proto::AuditFilter>) -> Result<(Scope, EventFilter), ApiError> {
    let filter = filter.unwrap_or_default();
    let mut violations = Vec::new();
    let requested = optional_tenant("filter.customer_id", &filter.customer_id).unwrap_or_else(|error| {
        if let ApiError::InvalidArgument(mut found) = error {
            violations.append(&mut found);
        }
        None
    });
    let bounded = |field: &str, value: &str, max: usize, violations: &mut Vec<FieldViolation>| {
        let value = value.trim();
        if value.chars().count() > max {
            violations
                .push(FieldViolation::new(format!("filter.{field}"), format!("must be at most {max} characters")));
        }
        (!value.is_empty()).then(|| value.to_string())
    };
    let actor_id = bounded("actor_id", &filter.actor_id, 128, &mut violations);
    let action_prefix = bounded("action", &filter.action, 256, &mut violations);
    let resource_id = bounded("resource_id", &filter.resource_id, 256, &mut violations);
    let outcome_code =
        bounded("outcome_code", &filter.outcome_code, 32, &mut violations).map(|c| c.to_ascii_uppercase());
    if let Some(code) = &outcome_code
        && !OUTCOME_CODES.contains(&code.as_str())
    {
        violations.push(FieldViolation::new(
            "filter.outcome_code",
            "must be a gRPC status code name, e.g. OK or PERMISSION_DENIED",
        ));
    }
    let mut time = |field: &str, value: &Option<prost_types::Timestamp>| {
        value.as_ref().and_then(|t| {
            let parsed = time_from_proto(t);
            if parsed.is_none() {
                violations.push(FieldViolation::new(format!("filter.{field}"), "is not a valid time"));
            }
            parsed
        })
    };
    let start = time("start_time", &filter.start_time);
    let end = time("end_time", &filter.end_time);
    if let (Some(start), Some(end)) = (start, end)
        && start >= end
    {
        violations.push(FieldViolation::new("filter.end_time", "must be after start_time"));
    }
    if filter.platform_only && requested.is_some() {
        violations.push(FieldViolation::new("filter.platform_only", "cannot be combined with customer_id"));
    }
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    let scope = principal.scope_for(requested)?;
    let tenant_id = match scope {
        Scope::Tenant(TenantId(tenant)) => Some(tenant),
        _ => None,
    };
    let filter = EventFilter {
        tenant_id,
        platform_only: filter.platform_only,
        actor_id,
        action_prefix,
        resource_id,
        outcome_code,
        start,
        end,
    };
    Ok((scope, filter))
}

/// An entry as a SIEM receives it: the canonical body with its place in the chain.
pub fn event_json(entry: &StoredEntry) -> serde_json::Value {
    let body: serde_json::Value = serde_json::from_str(&entry.body).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "sequence": entry.sequence,
        "previous_hash": entry.previous_hash,
        "hash": entry.hash,
        "record": body,
    })
}

/// An entry as the API shows it.
pub fn event(entry: &StoredEntry) -> proto::AuditEvent {
    let body: Option<Body> = serde_json::from_str(&entry.body).ok();
    let record = body.map(|body| proto::AuditRecord {
        id: body.id,
        customer_id: body.customer_id,
        kind: match body.kind.as_str() {
            "security" => proto::EventKind::Security,
            "decision" => proto::EventKind::Decision,
            _ => proto::EventKind::Call,
        }
        .into(),
        action: body.action,
        actor: Some(proto::Actor {
            kind: match body.actor.kind.as_str() {
                "user" => proto::ActorKind::User,
                "api_key" => proto::ActorKind::ApiKey,
                "workload" => proto::ActorKind::Workload,
                "system" => proto::ActorKind::System,
                _ => proto::ActorKind::Anonymous,
            }
            .into(),
            id: body.actor.id,
            role: body.actor.role,
        }),
        resource_ids: body.resource_ids,
        outcome: Some(proto::Outcome { code: body.outcome.code, reason: body.outcome.reason }),
        origin_address: body.origin_address,
        user_agent: body.user_agent,
        trace_id: body.trace_id,
        occur_time: Some(timestamp(entry.occurred_at)),
        summary_json: body.summary.to_string(),
        service: body.service,
    });
    proto::AuditEvent {
        record,
        sequence: entry.sequence,
        previous_hash: entry.previous_hash.clone(),
        hash: entry.hash.clone(),
        append_time: Some(timestamp(entry.appended_at)),
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_events(
        &self,
        request: Request<proto::ListAuditEventsRequest>,
    ) -> Result<Response<proto::ListAuditEventsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let page = request.page.unwrap_or_default();
        let (scope, filter) = read_filter(&principal, request.filter)?;
        let limit = page_size(page.page_size)?;
        let cursor = PageCursor::decode(&page.page_token)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut rows = store::list(&mut tx, &filter, cursor, limit + 1).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let next_page_token = finish_page(&mut rows, limit, |row| PageCursor { time: row.occurred_at, id: row.id });
        Ok(Response::new(proto::ListAuditEventsResponse {
            events: rows.iter().map(event).collect(),
            page: Some(PageResponse { next_page_token, total_size: -1 }),
        }))
    }

    type ExportAuditEventsStream = ReceiverStream<Result<proto::ExportAuditEventsResponse, Status>>;

    async fn export_audit_events(
        &self,
        request: Request<proto::ExportAuditEventsRequest>,
    ) -> Result<Response<Self::ExportAuditEventsStream>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let format = request.format();
        let (scope, filter) = read_filter(&principal, request.filter)?;
        // One snapshot for the whole export, so it is consistent with itself.
        let tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let public_key = self.public_key();
        tokio::spawn(async move {
            if let Err(status) = export(tx, filter, format, public_key, &sender).await {
                let _ = sender.send(Err(status)).await;
            }
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    async fn verify_audit_log(
        &self,
        request: Request<proto::VerifyAuditLogRequest>,
    ) -> Result<Response<proto::VerifyAuditLogResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let mut violations = Vec::new();
        let requested = optional_tenant("customer_id", &request.customer_id).unwrap_or_else(|error| {
            if let ApiError::InvalidArgument(mut found) = error {
                violations.append(&mut found);
            }
            None
        });
        if request.from_sequence < 0 {
            violations.push(FieldViolation::new("from_sequence", "must not be negative"));
        }
        if request.to_sequence < 0 {
            violations.push(FieldViolation::new("to_sequence", "must not be negative"));
        }
        if request.to_sequence > 0 && request.from_sequence > request.to_sequence {
            violations.push(FieldViolation::new("to_sequence", "must not be before from_sequence"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let scope = principal.scope_for(requested)?;
        let chain = match scope {
            Scope::Tenant(TenantId(tenant)) => tenant.to_string(),
            _ => PLATFORM_CHAIN.to_string(),
        };
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let report = verify_chain(&mut tx, &self.0, &chain, request.from_sequence, request.to_sequence).await?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(report))
    }

    async fn get_checkpoint_key(
        &self,
        _request: Request<proto::GetCheckpointKeyRequest>,
    ) -> Result<Response<proto::GetCheckpointKeyResponse>, Status> {
        Ok(Response::new(proto::GetCheckpointKeyResponse { public_key: self.public_key() }))
    }
}

impl AuditApi {
    fn public_key(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(self.0.signing_key.verifying_key().to_bytes())
    }
}

/// Verifies `chain` from `from` to `to` (0: its ends) in `tx`.
pub async fn verify_chain(
    tx: &mut store::Tx,
    audit: &Audit,
    chain: &str,
    from: i64,
    to: i64,
) -> Result<proto::VerifyAuditLogResponse, ApiError> {
    let head = store::head(tx, chain).await.map_err(db)?.map_or(0, |(sequence, _)| sequence);
    let first_kept = store::first_sequence(tx, chain).await.map_err(db)?;
    let mut report = proto::VerifyAuditLogResponse { verified: true, ..Default::default() };
    let Some(first_kept) = first_kept else {
        // No entries: any checkpoint means they were all removed.
        let checkpoints = store::checkpoints(tx, chain, 1, i64::MAX).await.map_err(db)?;
        if let Some(checkpoint) = checkpoints.first() {
            report.verified = false;
            report.first_bad_sequence = 1.max(checkpoint.tree_size);
            report.problem = format!("entry {}: is missing (a checkpoint covers it)", report.first_bad_sequence);
        }
        return Ok(report);
    };
    let from = from.max(first_kept);
    let open_ended = to == 0;
    let to = if open_ended { head.max(from) } else { to };
    let checkpoints =
        store::checkpoints(tx, chain, from - 1, if open_ended { i64::MAX } else { to }).await.map_err(db)?;
    let key = audit.signing_key.verifying_key();
    let mut verifier = match ChainVerifier::new(chain, &key, checkpoints) {
        Ok(verifier) => verifier,
        Err(problem) => return failed(tx, chain, report, problem).await,
    };
    if from > first_kept {
        match store::entry_hash_at(tx, chain, from - 1).await.map_err(db)? {
            Some(hash) => verifier.start_after(from - 1, &hash),
            None => {
                let problem = chain::Problem { sequence: from - 1, description: "is missing".into() };
                return failed(tx, chain, report, problem).await;
            }
        }
    }
    let mut next = from;
    loop {
        let page = store::chain_page(tx, chain, next, to, BATCH).await.map_err(db)?;
        for entry in &page {
            let checked = verifier.feed(&entry.chain_entry()).and_then(|()| {
                if domain::columns_match_body(entry) {
                    Ok(())
                } else {
                    Err(chain::Problem {
                        sequence: entry.sequence,
                        description: "its indexed columns differ from its hashed content".into(),
                    })
                }
            });
            if let Err(problem) = checked {
                report.entries_checked = verifier.entries_checked;
                report.checkpoints_checked = verifier.checkpoints_checked;
                return failed(tx, chain, report, problem).await;
            }
            report.head_sequence = entry.sequence;
        }
        match page.last() {
            Some(last) if page.len() as i64 == BATCH => next = last.sequence + 1,
            _ => break,
        }
    }
    report.entries_checked = verifier.entries_checked;
    report.checkpoints_checked = verifier.checkpoints_checked;
    let complete_to = if open_ended { None } else { Some(to) };
    if let Err(problem) = verifier.finish(complete_to).and_then(|()| {
        if open_ended && report.head_sequence < head {
            Err(chain::Problem { sequence: report.head_sequence + 1, description: "is missing".into() })
        } else {
            Ok(())
        }
    }) {
        return failed(tx, chain, report, problem).await;
    }
    Ok(report)
}

async fn failed(
    tx: &mut store::Tx,
    chain: &str,
    mut report: proto::VerifyAuditLogResponse,
    problem: chain::Problem,
) -> Result<proto::VerifyAuditLogResponse, ApiError> {
    report.verified = false;
    report.first_bad_sequence = problem.sequence;
    report.problem = problem.to_string();
    let id: Option<uuid::Uuid> = sqlx::query_scalar("select id from audit.entry where chain = $1 and sequence = $2")
        .bind(chain)
        .bind(problem.sequence)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    report.first_bad_event_id = id.map(|id| id.to_string()).unwrap_or_default();
    Ok(report)
}

/// Streams an export in pieces of whole lines.
async fn export(
    mut tx: store::Tx,
    filter: EventFilter,
    format: proto::ExportFormat,
    public_key: String,
    sender: &tokio::sync::mpsc::Sender<Result<proto::ExportAuditEventsResponse, Status>>,
) -> Result<(), Status> {
    let csv = format == proto::ExportFormat::Csv;
    // Only an export of whole chains can show that nothing is missing.
    let complete = filter.actor_id.is_none()
        && filter.action_prefix.is_none()
        && filter.resource_id.is_none()
        && filter.outcome_code.is_none()
        && filter.start.is_none()
        && filter.end.is_none();
    let mut data = if csv {
        csv_header()
    } else {
        let header = serde_json::json!({
            "type": "export",
            "format": "canopy-audit-export-v1",
            "public_key": public_key,
            "complete": complete,
        });
        format!("{header}\n")
    };
    let mut after: Option<(String, i64)> = None;
    // The chain being written and its first sequence, for its checkpoints.
    let mut current: Option<(String, i64, i64)> = None;
    loop {
        let page = store::export_page(&mut tx, &filter, after.as_ref(), BATCH).await.map_err(db)?;
        for entry in &page {
            if !csv {
                if let Some((chain, first, last)) = &current
                    && *chain != entry.chain
                {
                    data.push_str(&checkpoint_lines(&mut tx, chain, *first, *last, complete).await?);
                    current = None;
                }
                let (_, _, last) = current.get_or_insert((entry.chain.clone(), entry.sequence, entry.sequence));
                *last = entry.sequence;
            }
            data.push_str(&if csv { csv_row(entry) } else { json_line(entry) });
            if data.len() > 256 * 1024 {
                send(sender, std::mem::take(&mut data)).await?;
            }
        }
        match page.last() {
            Some(last) if page.len() as i64 == BATCH => after = Some((last.chain.clone(), last.sequence)),
            _ => break,
        }
    }
    if let Some((chain, first, last)) = &current {
        data.push_str(&checkpoint_lines(&mut tx, chain, *first, *last, complete).await?);
    }
    send(sender, data).await?;
    let _ = tx.commit().await;
    Ok(())
}

async fn send(
    sender: &tokio::sync::mpsc::Sender<Result<proto::ExportAuditEventsResponse, Status>>,
    data: String,
) -> Result<(), Status> {
    if data.is_empty() {
        return Ok(());
    }
    sender
        .send(Ok(proto::ExportAuditEventsResponse { data }))
        .await
        .map_err(|_| Status::cancelled("the client went away"))
}

fn json_line(entry: &StoredEntry) -> String {
    let line = serde_json::json!({
        "type": "entry",
        "chain": entry.chain,
        "sequence": entry.sequence,
        "previous_hash": entry.previous_hash,
        "hash": entry.hash,
        "body": entry.body,
    });
    format!("{line}\n")
}

async fn checkpoint_lines(
    tx: &mut store::Tx,
    chain: &str,
    first: i64,
    last: i64,
    complete: bool,
) -> Result<String, Status> {
    let to = if complete { i64::MAX } else { last };
    let checkpoints = store::checkpoints(tx, chain, first - 1, to).await.map_err(db)?;
    let mut lines = String::new();
    for checkpoint in checkpoints {
        let mut value = serde_json::to_value(&checkpoint).map_err(ApiError::internal)?;
        value["type"] = "checkpoint".into();
        lines.push_str(&format!("{value}\n"));
    }
    Ok(lines)
}

const CSV_COLUMNS: &[&str] = &[
    "chain",
    "sequence",
    "id",
    "occurred_at",
    "service",
    "kind",
    "action",
    "actor_kind",
    "actor_id",
    "actor_role",
    "outcome_code",
    "outcome_reason",
    "origin_address",
    "user_agent",
    "trace_id",
    "resource_ids",
    "summary",
    "hash",
];

fn csv_header() -> String {
    format!("{}\r\n", CSV_COLUMNS.join(","))
}

fn csv_row(entry: &StoredEntry) -> String {
    let body: Option<Body> = serde_json::from_str(&entry.body).ok();
    let Some(body) = body else {
        return format!("{},{},{},,,,,,,,,,,,,,,{}\r\n", csv_cell(&entry.chain), entry.sequence, entry.id, entry.hash);
    };
    let cells = [
        body.chain,
        entry.sequence.to_string(),
        body.id,
        body.occurred_at,
        body.service,
        body.kind,
        body.action,
        body.actor.kind,
        body.actor.id,
        body.actor.role,
        body.outcome.code,
        body.outcome.reason,
        body.origin_address,
        body.user_agent,
        body.trace_id,
        body.resource_ids.join(" "),
        body.summary.to_string(),
        entry.hash.clone(),
    ];
    let row: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
    format!("{}\r\n", row.join(","))
}

/// One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula
/// (starting with `=`, `+`, `-`, `@`, tab or CR) gets a leading `'` (OWASP's advice).
fn csv_cell(value: &str) -> String {
    let value =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1"), "'-1");
    }
}
