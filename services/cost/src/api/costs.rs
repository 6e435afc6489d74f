//! `CostService`: estimates for sites that do not exist yet, and the reports.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use canopy_kit::paging::{finish_offset_page, offset_page};
use canopy_kit::request::{principal, required_id};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::cost::v1 as proto;
use canopy_sdk::proto::canopy::cost::v1::cost_service_server::CostService;
use canopy_terraform::{CloudProvider, PlanAction, SiteRuntime, SiteVariables};
use chrono::{Datelike, Days, Months, NaiveDate};
use futures_util::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    MAX_RANGE_DAYS, customer_scope, date_text, db, estimate_to_proto, month_field, one_customer, refuse_if_any,
    report_filter,
};
use crate::Costs;
use crate::estimate::{self, MICROS};
use crate::forecast::{self, Forecast};
use crate::store::{self, Filter, Group, Table};

pub struct CostApi(pub Arc<Costs>);

impl CostApi {
    fn today(&self) -> NaiveDate {
        self.0.clock.now().date_naive()
    }
}

/// Rows of CSV per streamed piece.
const EXPORT_CHUNK: usize = 500;

#[tonic::async_trait]
impl CostService for CostApi {
    async fn estimate_site(
        &self,
        request: Request<proto::EstimateSiteRequest>,
    ) -> Result<Response<proto::EstimateSiteResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (_, tenant) = one_customer(&principal, &request.customer_id)?;
        let contract = &self.0.contract;
        let mut violations = Vec::new();
        let provider = CloudProvider::from_proto_number(request.provider);
        let offered = provider.and_then(|provider| contract.providers.get(&provider));
        match offered {
            None => {
                violations.push(FieldViolation::new("provider", "must be one of aws, azure, gcp, digitalocean, akamai"))
            }
            Some(offered) => {
                if !offered.regions.contains(&request.region) {
                    violations.push(FieldViolation::new(
                        "region",
                        format!("must be one of the provider's regions: {}", offered.regions.join(", ")),
                    ));
                }
                if request.database_enabled && !offered.database {
                    violations
                        .push(FieldViolation::new("database_enabled", "this provider's template has no database"));
                }
                if request.storage_enabled && !offered.storage {
                    violations.push(FieldViolation::new("storage_enabled", "this provider's template has no storage"));
                }
            }
        }
        if !contract.sizes.contains(&request.size) {
            violations.push(FieldViolation::new("size", format!("must be one of {}", contract.sizes.join(", "))));
        }
        refuse_if_any(violations)?;
        let provider = provider.expect("validated");
        let variables = SiteVariables {
            site_id: Uuid::nil().to_string(),
            customer_id: tenant.to_string(),
            name: "estimate".into(),
            region: request.region.clone(),
            size: request.size.clone(),
            database_enabled: request.database_enabled,
            storage_enabled: request.storage_enabled,
            runtime: SiteRuntime { image: "example/app:latest".into(), port: 8080, env: BTreeMap::new() },
            tags: BTreeMap::new(),
        };
        let plan =
            canopy_terraform::plan_json(&self.0.config.terraform_root(), provider, &variables, PlanAction::Create)
                .map_err(|error| ApiError::internal(anyhow::anyhow!("planning the {provider:?} template: {error}")))?;
        let estimate = estimate::estimate(&self.0.snapshot, provider.as_str(), &request.region, &plan)
            .map_err(|error| ApiError::FailedPrecondition { reason: "NOT_PRICED", message: error.to_string() })?;
        let stale = self.0.snapshot.age_days(self.today()) > self.0.config.snapshot_max_age_days;
        let row = store::EstimateRow {
            tenant_id: tenant,
            deployment_id: Uuid::nil(),
            site_id: Uuid::nil(),
            currency: estimate.currency.clone(),
            monthly_micros: estimate.monthly_micros,
            hourly_micros: estimate.hourly_micros,
            lines: sqlx::types::Json(estimate.lines.clone()),
            snapshot_date: estimate.snapshot_date,
            snapshot_stale: stale,
            free_resources: estimate.free_resources,
            unpriced_resource_types: estimate.unpriced_resource_types.clone(),
            customer_monthly_micros: 0,
            sandbox: false,
            created_at: self.0.clock.now(),
        };
        Ok(Response::new(proto::EstimateSiteResponse { estimate: Some(estimate_to_proto(&row)) }))
    }

    async fn get_deployment_estimate(
        &self,
        request: Request<proto::GetDeploymentEstimateRequest>,
    ) -> Result<Response<proto::GetDeploymentEstimateResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer(&principal, &request.customer_id)?;
        let deployment = required_id("deployment_id", &request.deployment_id)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let row = store::deployment_estimate(&mut tx, tenant, deployment)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "estimate" })?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::GetDeploymentEstimateResponse {
            estimate: Some(estimate_to_proto(&row)),
            site_id: row.site_id.to_string(),
        }))
    }

    async fn get_site_costs(
        &self,
        request: Request<proto::GetSiteCostsRequest>,
    ) -> Result<Response<proto::GetSiteCostsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer(&principal, &request.customer_id)?;
        let site = required_id("site_id", &request.site_id)?;
        let mut violations = Vec::new();
        let today = self.today();
        let (start, end) =
            super::date_range("", &request.start_date, &request.end_date, today, MAX_RANGE_DAYS, &mut violations);
        refuse_if_any(violations)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        if store::site(&mut tx, tenant, site).await.map_err(db)?.is_none() {
            return Err(ApiError::NotFound { resource: "site" }.into());
        }
        let estimate = store::latest_site_estimate(&mut tx, tenant, site).await.map_err(db)?;
        let filter = |source, start, end| Filter {
            tenant: Some(tenant),
            site: Some(site),
            provider: None,
            region: None,
            resource_type: None,
            start,
            end,
            exclude_sandbox: false,
            source,
        };
        let range = filter("accrued", start, end);
        let daily: HashMap<NaiveDate, i64> = store::daily(&mut tx, &range).await.map_err(db)?.into_iter().collect();
        let by_type = store::by_resource_type(&mut tx, &range).await.map_err(db)?;
        let sandbox = store::any_sandbox(&mut tx, &range).await.map_err(db)?;
        let month = crate::budget::month_of(today);
        let month_end = month + Months::new(1) - Days::new(1);
        let accrued_month = filter("accrued", month, month_end);
        let invoiced_month = filter("invoiced", month, month_end);
        let accrued_total = store::total(&mut tx, Table::SiteDay, &accrued_month).await.map_err(db)?;
        let invoiced_total = store::total(&mut tx, Table::SiteDay, &invoiced_month).await.map_err(db)?;
        let accrued_last =
            store::last_day(&mut tx, &filter("accrued", start.min(month), end.max(today))).await.map_err(db)?;
        let invoiced_last =
            store::last_day(&mut tx, &filter("invoiced", start.min(month), end.max(today))).await.map_err(db)?;
        tx.commit().await.map_err(db)?;

        let monthly = estimate.as_ref().map_or(0, |estimate| estimate.monthly_micros);
        // The estimate's share of one day: a month of 730 hours is 365/12 days.
        let daily_share = (monthly as f64 * 12.0 / 365.0).round() as i64;
        let mut days = Vec::new();
        let mut day = start;
        while day <= end {
            days.push(proto::DailyCost {
                date: date_text(day),
                accrued_micros: daily.get(&day).copied().unwrap_or(0),
                estimated_micros: if estimate.is_some() { daily_share } else { 0 },
            });
            day = day + Days::new(1);
        }
        let with_data: Vec<&proto::DailyCost> = days.iter().filter(|day| daily_contains(&daily, &day.date)).collect();
        let accuracy = proto::EstimateAccuracy {
            start_date: with_data.first().map(|day| day.date.clone()).unwrap_or_default(),
            end_date: with_data.last().map(|day| day.date.clone()).unwrap_or_default(),
            estimated_micros: daily_share * with_data.len() as i64,
            actual_micros: with_data.iter().map(|day| day.accrued_micros).sum(),
            error_percent: None,
        };
        let accuracy = proto::EstimateAccuracy {
            error_percent: (accuracy.actual_micros > 0 && estimate.is_some()).then(|| {
                (accuracy.estimated_micros - accuracy.actual_micros) as f64 / accuracy.actual_micros as f64 * 100.0
            }),
            ..accuracy
        };
        let layer = |layer: proto::CostLayer, micros, last: Option<NaiveDate>, lag: &str| proto::CostLayerSummary {
            layer: layer as i32,
            micros,
            last_data_date: last.map(date_text).unwrap_or_default(),
            lag: lag.to_owned(),
        };
        Ok(Response::new(proto::GetSiteCostsResponse {
            currency_code: self.0.config.currency.clone(),
            layers: vec![
                layer(
                    proto::CostLayer::Estimated,
                    monthly,
                    estimate.as_ref().map(|estimate| estimate.created_at.date_naive()),
                    "at plan time, from list prices",
                ),
                layer(
                    proto::CostLayer::Accrued,
                    accrued_total,
                    accrued_last,
                    "daily, a day or two behind; restated for a few days",
                ),
                layer(
                    proto::CostLayer::Invoiced,
                    invoiced_total,
                    invoiced_last,
                    "monthly, final once the month is invoiced",
                ),
            ],
            estimate: estimate.as_ref().map(estimate_to_proto),
            daily: days,
            by_resource_type: by_type
                .into_iter()
                .map(|(resource_type, micros)| proto::TypeCost { resource_type, micros })
                .collect(),
            accuracy: Some(accuracy),
            sandbox,
        }))
    }

    async fn get_cost_report(
        &self,
        request: Request<proto::GetCostReportRequest>,
    ) -> Result<Response<proto::GetCostReportResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let mut violations = Vec::new();
        let (scope, filter) =
            report_filter(&principal, request.filter.clone(), self.today(), MAX_RANGE_DAYS, &mut violations)?;
        let limit = match request.limit {
            0 => 10,
            n if (1..=100).contains(&n) => n as usize,
            _ => {
                violations.push(FieldViolation::new("limit", "must be between 1 and 100 (0 means 10)"));
                10
            }
        };
        let months = request.granularity() == proto::Granularity::Month;
        let group = match request.group_by() {
            proto::Dimension::Unspecified => Group::Total,
            proto::Dimension::Customer => Group::Customer,
            proto::Dimension::Site => Group::Site,
            proto::Dimension::Provider => Group::Provider,
            proto::Dimension::Region => Group::Region,
            proto::Dimension::ResourceType => Group::ResourceType,
        };
        refuse_if_any(violations)?;
        let report = report(&self.0, scope, &filter, group, months, limit).await?;
        Ok(Response::new(report))
    }

    async fn get_cost_forecast(
        &self,
        request: Request<proto::GetCostForecastRequest>,
    ) -> Result<Response<proto::GetCostForecastResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let mut violations = Vec::new();
        let today = self.today();
        let mut request_filter = request.filter.unwrap_or_default();
        request_filter.start_date = date_text(today - Days::new(27));
        request_filter.end_date = date_text(today);
        let (scope, filter) = report_filter(&principal, Some(request_filter), today, MAX_RANGE_DAYS, &mut violations)?;
        refuse_if_any(violations)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let daily: BTreeMap<NaiveDate, i64> = store::daily(&mut tx, &filter).await.map_err(db)?.into_iter().collect();
        tx.commit().await.map_err(db)?;
        let currency_code = self.0.config.currency.clone();
        let period = |period: &forecast::Period| proto::ForecastPeriod {
            period: period.month.format("%Y-%m").to_string(),
            expected_micros: period.expected,
            low_micros: period.low,
            high_micros: period.high,
        };
        let response = match forecast::forecast(&daily, today) {
            Forecast::None { reason, days_of_data } => proto::GetCostForecastResponse {
                currency_code,
                reason,
                days_of_data: days_of_data as i32,
                ..Default::default()
            },
            Forecast::Some { method, days_of_data, last_data_day, month_to_date, end_of_month, next_months } => {
                proto::GetCostForecastResponse {
                    currency_code,
                    method: match method {
                        forecast::Method::RunRate => proto::ForecastMethod::RunRate,
                        forecast::Method::Seasonal => proto::ForecastMethod::Seasonal,
                    } as i32,
                    reason: String::new(),
                    days_of_data: days_of_data as i32,
                    month_to_date_micros: month_to_date,
                    end_of_month: Some(period(&end_of_month)),
                    next_months: next_months.iter().map(period).collect(),
                    last_data_date: date_text(last_data_day),
                }
            }
        };
        Ok(Response::new(response))
    }

    type ExportCostsStream = ReceiverStream<Result<proto::ExportCostsResponse, Status>>;

    async fn export_costs(
        &self,
        request: Request<proto::ExportCostsRequest>,
    ) -> Result<Response<Self::ExportCostsStream>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let mut violations = Vec::new();
        let (scope, filter) = report_filter(&principal, request.filter, self.today(), MAX_RANGE_DAYS, &mut violations)?;
        refuse_if_any(violations)?;
        // One snapshot for the whole export, so it is consistent with itself.
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let mut data = String::from(
                "date,customer_id,site_id,provider,region,resource_type,service,resource_id,source,granularity,amount,currency,sandbox\n",
            );
            let mut rows = 0;
            let mut query = store::export_query(&filter);
            let mut stream = query.build_query_as::<store::ExportRow>().fetch(&mut *tx);
            while let Some(row) = stream.next().await {
                let row = match row {
                    Ok(row) => row,
                    Err(error) => {
                        let _ = sender.send(Err(db(error).into())).await;
                        return;
                    }
                };
                csv_row(&mut data, &row);
                rows += 1;
                if rows % EXPORT_CHUNK == 0
                    && sender.send(Ok(proto::ExportCostsResponse { data: std::mem::take(&mut data) })).await.is_err()
                {
                    return;
                }
            }
            if !data.is_empty() {
                let _ = sender.send(Ok(proto::ExportCostsResponse { data })).await;
            }
        });
        Ok(Response::new(ReceiverStream::new(receiver)))
    }

    async fn list_customer_monthly_costs(
        &self,
        request: Request<proto::ListCustomerMonthlyCostsRequest>,
    ) -> Result<Response<proto::ListCustomerMonthlyCostsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let (limit, offset) = offset_page(request.page)?;
        let mut violations = Vec::new();
        let start = month_field("start_month", &request.start_month, &mut violations);
        let end = month_field("end_month", &request.end_month, &mut violations);
        if let (Some(start), Some(end)) = (start, end) {
            if end < start {
                violations.push(FieldViolation::new("end_month", "must not be before start_month"));
            } else if (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32 > 36 {
                violations.push(FieldViolation::new("end_month", "the range may cover at most 36 months"));
            }
        }
        refuse_if_any(violations)?;
        let (start, end) = (start.expect("validated"), end.expect("validated"));
        let current = crate::budget::month_of(self.today());
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut rows = store::customer_months(&mut tx, tenant, start, end, offset, limit + 1).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        Ok(Response::new(proto::ListCustomerMonthlyCostsResponse {
            costs: rows
                .into_iter()
                .map(|row| proto::CustomerMonthlyCost {
                    customer_id: row.tenant_id.to_string(),
                    month: row.month.format("%Y-%m").to_string(),
                    accrued_micros: row.accrued,
                    invoiced_micros: row.invoiced,
                    r#final: row.month < current && row.invoiced > 0,
                    currency_code: self.0.config.currency.clone(),
                })
                .collect(),
            page,
        }))
    }
}

fn daily_contains(daily: &HashMap<NaiveDate, i64>, date: &str) -> bool {
    NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok_and(|day| daily.contains_key(&day))
}

/// One CSV line; fields that could hold a comma or quote are quoted, and a leading
/// `=`, `+`, `-` or `@` is neutralised so a spreadsheet never runs it as a formula.
fn csv_row(out: &mut String, row: &store::ExportRow) {
    let field = |text: &str| {
        let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
        if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
    };
    let amount = format!("{:.6}", row.amount_micros as f64 / MICROS);
    let line = [
        date_text(row.day),
        row.tenant_id.map(|id| id.to_string()).unwrap_or_default(),
        row.site_id.map(|id| id.to_string()).unwrap_or_default(),
        field(&row.provider),
        field(&row.region),
        field(&row.resource_type),
        field(&row.service),
        field(&row.resource_id),
        row.source.clone(),
        row.granularity.clone(),
        amount,
        field(&row.currency),
        row.sandbox.to_string(),
    ]
    .join(",");
    out.push_str(&line);
    out.push('\n');
}

/// Every day or month of `start..=end`.
fn periods(start: NaiveDate, end: NaiveDate, months: bool) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut period = if months { crate::budget::month_of(start) } else { start };
    while period <= end {
        out.push(period);
        period = if months { period + Months::new(1) } else { period + Days::new(1) };
    }
    out
}

/// A report: the top `limit` groups with their series, the rest as "other", and the
/// change against the period of the same length just before.
pub async fn report(
    costs: &Costs,
    scope: canopy_kit::db::Scope,
    filter: &Filter,
    group: Group,
    months: bool,
    limit: usize,
) -> Result<proto::GetCostReportResponse, ApiError> {
    let table = Table::for_query(filter, months, group);
    let mut tx = costs.database.begin_read_only(scope).await.map_err(db)?;
    let totals = store::group_totals(&mut tx, table, filter, group).await.map_err(db)?;
    let top: Vec<String> = totals.iter().take(limit).map(|(key, _)| key.clone()).collect();
    let top_points = store::group_periods(&mut tx, table, filter, group, months, Some(&top)).await.map_err(db)?;
    let all_points = store::period_totals(&mut tx, table, filter, months).await.map_err(db)?;
    let length = (filter.end - filter.start).num_days() + 1;
    let previous =
        Filter { start: filter.start - Days::new(length as u64), end: filter.start - Days::new(1), ..filter.clone() };
    let previous_total =
        store::total(&mut tx, Table::for_query(&previous, months, group), &previous).await.map_err(db)?;
    let site_ids: Vec<Uuid> =
        if group == Group::Site { top.iter().filter_map(|key| key.parse().ok()).collect() } else { vec![] };
    let names: HashMap<Uuid, String> = store::site_names(&mut tx, &site_ids).await.map_err(db)?.into_iter().collect();
    tx.commit().await.map_err(db)?;

    let total: i64 = totals.iter().map(|(_, micros)| micros).sum();
    let mut series: Vec<proto::CostSeries> = totals
        .iter()
        .take(limit)
        .map(|(key, micros)| proto::CostSeries {
            group: key.clone(),
            label: key.parse::<Uuid>().ok().and_then(|id| names.get(&id).cloned()).unwrap_or_else(|| key.clone()),
            points: top_points
                .iter()
                .filter(|(point_key, _, _)| point_key == key)
                .map(|(_, period, micros)| proto::CostPoint { period_start: date_text(*period), micros: *micros })
                .collect(),
            total_micros: *micros,
        })
        .collect();
    if totals.len() > limit {
        let mut shown: HashMap<NaiveDate, i64> = HashMap::new();
        for (_, period, micros) in &top_points {
            *shown.entry(*period).or_default() += micros;
        }
        let other: Vec<proto::CostPoint> = all_points
            .iter()
            .map(|(period, micros)| (period, micros - shown.get(period).copied().unwrap_or(0)))
            .filter(|(_, micros)| *micros != 0)
            .map(|(period, micros)| proto::CostPoint { period_start: date_text(*period), micros })
            .collect();
        series.push(proto::CostSeries {
            group: "other".into(),
            label: format!("{} others", totals.len() - limit),
            total_micros: totals.iter().skip(limit).map(|(_, micros)| micros).sum(),
            points: other,
        });
    }
    Ok(proto::GetCostReportResponse {
        currency_code: costs.config.currency.clone(),
        series,
        total_micros: total,
        previous_total_micros: previous_total,
        change_percent: (previous_total > 0).then(|| (total - previous_total) as f64 / previous_total as f64 * 100.0),
        periods: periods(filter.start, filter.end, months).into_iter().map(date_text).collect(),
    })
}
