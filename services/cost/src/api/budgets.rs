//! `BudgetService`: monthly budgets per customer and per site.

use std::collections::HashMap;
use std::sync::Arc;

use canopy_kit::paging::{finish_offset_page, offset_page};
use canopy_kit::request::{human_text_field, optional_id_field, principal, required_id, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::common::v1::Money;
use canopy_sdk::proto::canopy::cost::v1 as proto;
use canopy_sdk::proto::canopy::cost::v1::budget_service_server::BudgetService;
use sqlx::PgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{customer_scope, db, one_customer, refuse_if_any};
use crate::Costs;
use crate::budget::{Basis, DEFAULT_THRESHOLDS, Threshold};
use crate::store::{self, BudgetDefinition, BudgetRow, FireRow};

pub struct BudgetApi(pub Arc<Costs>);

/// The most thresholds a budget has.
const MAX_THRESHOLDS: usize = 10;

impl BudgetApi {
    /// A definition from the request, every problem named by its field.
    async fn definition(
        &self,
        tx: &mut PgConnection,
        tenant: Uuid,
        spec: Option<proto::BudgetSpec>,
    ) -> Result<BudgetDefinition, ApiError> {
        let mut violations = Vec::new();
        let spec = spec.unwrap_or_default();
        let name = human_text_field("spec.name", &spec.name, 100, &mut violations);
        let site_id = optional_id_field("spec.site_id", &spec.site_id, &mut violations);
        let reporting = &self.0.config.currency;
        let amount = spec.amount.unwrap_or_default();
        if canopy_kit::money::minor_digits(&amount.currency_code).is_none() {
            violations.push(FieldViolation::new("spec.amount.currency_code", "must be an ISO 4217 code such as USD"));
        } else if &amount.currency_code != reporting {
            violations.push(FieldViolation::new(
                "spec.amount.currency_code",
                format!("budgets are in {reporting}, the platform's reporting currency"),
            ));
        }
        if amount.minor_units <= 0 {
            violations.push(FieldViolation::new("spec.amount.minor_units", "must be more than zero"));
        } else if amount.minor_units > i64::MAX / 1_000_000 {
            violations.push(FieldViolation::new("spec.amount.minor_units", "is too large"));
        }
        let mut thresholds = Vec::new();
        if spec.thresholds.len() > MAX_THRESHOLDS {
            violations.push(FieldViolation::new("spec.thresholds", format!("at most {MAX_THRESHOLDS}")));
        }
        for (index, threshold) in spec.thresholds.iter().enumerate() {
            let field = format!("spec.thresholds[{index}]");
            if !(1..=1000).contains(&threshold.percent) {
                violations.push(FieldViolation::new(format!("{field}.percent"), "must be between 1 and 1000"));
            }
            let basis = match threshold.basis() {
                proto::ThresholdBasis::Actual => Some(Basis::Actual),
                proto::ThresholdBasis::Forecast => Some(Basis::Forecast),
                proto::ThresholdBasis::Unspecified => {
                    violations.push(FieldViolation::new(format!("{field}.basis"), "must be actual or forecast"));
                    None
                }
            };
            if let Some(basis) = basis {
                let threshold = Threshold { percent: threshold.percent, basis };
                if thresholds.contains(&threshold) {
                    violations.push(FieldViolation::new(field, "is listed twice"));
                }
                thresholds.push(threshold);
            }
        }
        if thresholds.is_empty() && spec.thresholds.is_empty() {
            thresholds = DEFAULT_THRESHOLDS.to_vec();
        }
        if let Some(site) = site_id
            && store::site(tx, tenant, site).await.map_err(db)?.is_none()
        {
            violations.push(FieldViolation::new("spec.site_id", "is not a site of this customer"));
        }
        refuse_if_any(violations)?;
        Ok(BudgetDefinition {
            name,
            site_id,
            currency: amount.currency_code,
            amount_minor: amount.minor_units,
            thresholds,
        })
    }
}

fn budget_to_proto(row: &BudgetRow, fires: &[&FireRow]) -> proto::Budget {
    let micros = row.amount_minor * crate::minor_unit_micros(&row.currency);
    proto::Budget {
        id: row.id.to_string(),
        customer_id: row.tenant_id.to_string(),
        spec: Some(proto::BudgetSpec {
            name: row.name.clone(),
            site_id: row.site_id.map(|id| id.to_string()).unwrap_or_default(),
            amount: Some(Money { currency_code: row.currency.clone(), minor_units: row.amount_minor }),
            thresholds: row.thresholds.0.iter().map(threshold_to_proto).collect(),
        }),
        status: row.status_month.map(|month| proto::BudgetStatus {
            month: month.format("%Y-%m").to_string(),
            actual_micros: row.actual_micros,
            forecast_micros: row.forecast_micros,
            percent_used: if micros > 0 { row.actual_micros as f64 / micros as f64 * 100.0 } else { 0.0 },
            fired: fires
                .iter()
                .map(|fire| proto::FiredThreshold {
                    threshold: Some(threshold_to_proto(&Threshold {
                        percent: fire.percent,
                        basis: Basis::parse(&fire.basis).unwrap_or(Basis::Actual),
                    })),
                    fire_time: Some(timestamp(fire.fired_at)),
                    observed_micros: fire.observed_micros,
                })
                .collect(),
            evaluate_time: row.evaluated_at.map(timestamp),
        }),
        revision: row.revision,
        create_time: Some(timestamp(row.created_at)),
        update_time: Some(timestamp(row.updated_at)),
    }
}

fn threshold_to_proto(threshold: &Threshold) -> proto::Threshold {
    proto::Threshold {
        percent: threshold.percent,
        basis: match threshold.basis {
            Basis::Actual => proto::ThresholdBasis::Actual,
            Basis::Forecast => proto::ThresholdBasis::Forecast,
        } as i32,
    }
}

/// Budgets with their current month's firings.
async fn with_fires(tx: &mut PgConnection, rows: &[BudgetRow]) -> Result<Vec<proto::Budget>, ApiError> {
    let mut by_month: HashMap<chrono::NaiveDate, Vec<Uuid>> = HashMap::new();
    for row in rows {
        if let Some(month) = row.status_month {
            by_month.entry(month).or_default().push(row.id);
        }
    }
    let mut fires = Vec::new();
    for (month, ids) in by_month {
        fires.extend(store::fires(tx, &ids, month).await.map_err(db)?);
    }
    Ok(rows
        .iter()
        .map(|row| {
            let own: Vec<&FireRow> = fires.iter().filter(|fire| fire.budget_id == row.id).collect();
            budget_to_proto(row, &own)
        })
        .collect())
}

#[tonic::async_trait]
impl BudgetService for BudgetApi {
    async fn create_budget(
        &self,
        request: Request<proto::CreateBudgetRequest>,
    ) -> Result<Response<proto::CreateBudgetResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer(&principal, &request.customer_id)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let definition = self.definition(&mut tx, tenant, request.spec).await?;
        let row = store::insert_budget(&mut tx, tenant, &definition, self.0.clock.now())
            .await
            .map_err(|error| canopy_kit::error::from_sqlx(error, "budget"))?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::CreateBudgetResponse { budget: Some(budget_to_proto(&row, &[])) }))
    }

    async fn get_budget(
        &self,
        request: Request<proto::GetBudgetRequest>,
    ) -> Result<Response<proto::GetBudgetResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer(&principal, &request.customer_id)?;
        let id = required_id("budget_id", &request.budget_id)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let row =
            store::budget(&mut tx, tenant, id).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "budget" })?;
        let budget = with_fires(&mut tx, std::slice::from_ref(&row)).await?.pop();
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::GetBudgetResponse { budget }))
    }

    async fn list_budgets(
        &self,
        request: Request<proto::ListBudgetsRequest>,
    ) -> Result<Response<proto::ListBudgetsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let mut violations = Vec::new();
        let site = optional_id_field("site_id", &request.site_id, &mut violations);
        refuse_if_any(violations)?;
        let (limit, offset) = offset_page(request.page)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut rows = store::list_budgets(&mut tx, tenant, site, offset, limit + 1).await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        let budgets = with_fires(&mut tx, &rows).await?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::ListBudgetsResponse { budgets, page }))
    }

    async fn update_budget(
        &self,
        request: Request<proto::UpdateBudgetRequest>,
    ) -> Result<Response<proto::UpdateBudgetResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer(&principal, &request.customer_id)?;
        let id = required_id("budget_id", &request.budget_id)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let definition = self.definition(&mut tx, tenant, request.spec).await?;
        let Some(row) = store::update_budget(&mut tx, tenant, id, request.revision, &definition, self.0.clock.now())
            .await
            .map_err(|error| canopy_kit::error::from_sqlx(error, "budget"))?
        else {
            return Err(match store::budget(&mut tx, tenant, id).await.map_err(db)? {
                None => ApiError::NotFound { resource: "budget" },
                Some(current) => ApiError::FailedPrecondition {
                    reason: "REVISION_CONFLICT",
                    message: format!(
                        "the budget changed since it was read (revision {} now, {} given); read it again",
                        current.revision, request.revision
                    ),
                },
            }
            .into());
        };
        let budget = with_fires(&mut tx, std::slice::from_ref(&row)).await?.pop();
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::UpdateBudgetResponse { budget }))
    }

    async fn delete_budget(
        &self,
        request: Request<proto::DeleteBudgetRequest>,
    ) -> Result<Response<proto::DeleteBudgetResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer(&principal, &request.customer_id)?;
        let id = required_id("budget_id", &request.budget_id)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        if !store::delete_budget(&mut tx, tenant, id).await.map_err(db)? {
            return Err(ApiError::NotFound { resource: "budget" }.into());
        }
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::DeleteBudgetResponse {}))
    }
}
