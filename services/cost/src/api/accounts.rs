//! `CostAccountService`: the configured accounts, their collection status, and runs.

use std::collections::HashMap;
use std::sync::Arc;

use canopy_kit::db::Scope;
use canopy_kit::paging::{finish_offset_page, offset_page};
use canopy_kit::request::timestamp;
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::cost::v1 as proto;
use canopy_sdk::proto::canopy::cost::v1::cost_account_service_server::CostAccountService;
use tonic::{Request, Response, Status};

use super::{date_range, date_text, db, refuse_if_any};
use crate::Costs;
use crate::store::{self, RunRow};

pub struct AccountApi(pub Arc<Costs>);

/// The most days one CollectCosts call covers.
const MAX_COLLECT_DAYS: i64 = 92;

fn run_to_proto(row: &RunRow) -> proto::CollectionRun {
    proto::CollectionRun {
        id: row.id.to_string(),
        account: row.account.clone(),
        start_date: date_text(row.start_date),
        end_date: date_text(row.end_date),
        state: match row.state.as_str() {
            "queued" => proto::RunState::Queued,
            "running" => proto::RunState::Running,
            "succeeded" => proto::RunState::Succeeded,
            "failed" => proto::RunState::Failed,
            _ => proto::RunState::Unspecified,
        } as i32,
        attempts: row.attempts,
        records_written: row.records_written,
        error: row.error.clone(),
        create_time: Some(timestamp(row.created_at)),
        finish_time: row.finished_at.map(timestamp),
        next_attempt_time: (row.state == "queued").then(|| timestamp(row.next_attempt_at)),
    }
}

#[tonic::async_trait]
impl CostAccountService for AccountApi {
    async fn list_cost_accounts(
        &self,
        _request: Request<proto::ListCostAccountsRequest>,
    ) -> Result<Response<proto::ListCostAccountsResponse>, Status> {
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let statuses: HashMap<String, store::AccountStatusRow> = store::account_statuses(&mut tx)
            .await
            .map_err(db)?
            .into_iter()
            .map(|row| (row.account.clone(), row))
            .collect();
        let counts: HashMap<String, i64> =
            store::account_record_counts(&mut tx).await.map_err(db)?.into_iter().collect();
        tx.commit().await.map_err(db)?;
        let accounts = self
            .0
            .accounts
            .iter()
            .map(|account| {
                let status = statuses.get(&account.name);
                proto::CostAccount {
                    name: account.name.clone(),
                    provider: account.provider().map_or(0, |provider| provider.to_proto() as i32),
                    kind: account.kind().to_owned(),
                    account: account.account_label(),
                    base_url: account.base_url(),
                    status: match status.map(|status| status.status.as_str()) {
                        Some("ok") => proto::AccountStatus::Ok,
                        Some("refused") => proto::AccountStatus::Refused,
                        Some("throttled") => proto::AccountStatus::Throttled,
                        Some("failing") => proto::AccountStatus::Failing,
                        _ => proto::AccountStatus::Unspecified,
                    } as i32,
                    status_message: status.map(|status| status.message.clone()).unwrap_or_default(),
                    last_success_time: status.and_then(|status| status.last_success_at).map(timestamp),
                    records: counts.get(&account.name).copied().unwrap_or(0),
                }
            })
            .collect();
        Ok(Response::new(proto::ListCostAccountsResponse { accounts }))
    }

    async fn collect_costs(
        &self,
        request: Request<proto::CollectCostsRequest>,
    ) -> Result<Response<proto::CollectCostsResponse>, Status> {
        let request = request.into_inner();
        let mut violations = Vec::new();
        if self.0.accounts.get(&request.account).is_none() {
            violations.push(FieldViolation::new(
                "account",
                format!("no account is configured with this name (configured: {})", self.0.accounts.names().join(", ")),
            ));
        }
        if request.start_date.is_empty() {
            violations.push(FieldViolation::new("start_date", "is required"));
        }
        let today = self.0.clock.now().date_naive();
        let (start, end) =
            date_range("", &request.start_date, &request.end_date, today, MAX_COLLECT_DAYS, &mut violations);
        if end > today {
            violations.push(FieldViolation::new("end_date", "must not be in the future"));
        }
        refuse_if_any(violations)?;
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let run = store::queue_run(&mut tx, &request.account, start, end, self.0.clock.now()).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::CollectCostsResponse { run: Some(run_to_proto(&run)) }))
    }

    async fn list_collection_runs(
        &self,
        request: Request<proto::ListCollectionRunsRequest>,
    ) -> Result<Response<proto::ListCollectionRunsResponse>, Status> {
        let request = request.into_inner();
        let (limit, offset) = offset_page(request.page)?;
        if request.account.chars().count() > 100 {
            return Err(ApiError::invalid("account", "must be at most 100 characters").into());
        }
        let account = (!request.account.is_empty()).then_some(request.account.as_str());
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let mut rows = store::list_runs(&mut tx, account, offset, limit + 1).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        Ok(Response::new(proto::ListCollectionRunsResponse { runs: rows.iter().map(run_to_proto).collect(), page }))
    }
}
