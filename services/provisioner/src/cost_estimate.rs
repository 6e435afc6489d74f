//! The plan's cost estimate, asked of the cost service
//! (`canopy.cost.v1.PlanEstimateService.EstimatePlan`) before the policy check, which
//! reads it as `input.estimate`. The estimate is logged before apply: the total, a line
//! per priced resource, and what it assumes.
//!
//! An unreachable cost service is a transient failure (retried; nothing is applied
//! without the estimate the cost policies decide on). A plan the cost service cannot
//! price (a region missing from its price snapshot) is logged as a warning and the
//! check goes on without an estimate, as cost policies then decide nothing.

use canopy_deployments::model::{LogLevel, NewEvent};
use canopy_kit::peers::Peers;
use canopy_sdk::proto::canopy::common::v1::Money;
use canopy_sdk::proto::canopy::cost::v1 as cost;
use canopy_sdk::proto::canopy::cost::v1::plan_estimate_service_client::PlanEstimateServiceClient;
use canopy_sdk::proto::canopy::policy::v1::PlanEstimate;
use tonic::Code;

use crate::executor::{ExecError, Job, PlanSummary, RunContext};

/// Estimate lines logged; the rest are summed into one line.
const LOGGED_LINES: usize = 12;

/// Prices the plan and logs the estimate; `None` when the plan could not be priced.
pub async fn estimate(
    peers: &Peers,
    job: &Job,
    plan: &PlanSummary,
    run: &RunContext,
) -> Result<Option<cost::Estimate>, ExecError> {
    let channel = peers
        .channel("cost")
        .await
        .map_err(|error| ExecError::Transient(format!("cannot reach the cost service: {error}")))?;
    let request = cost::EstimatePlanRequest {
        customer_id: job.tenant_id.to_string(),
        site_id: job.site_id.to_string(),
        deployment_id: job.deployment_id.to_string(),
        provider: job.provider.to_proto() as i32,
        region: job.variables.get("region").and_then(|region| region.as_str()).unwrap_or_default().to_owned(),
        plan_json: plan.plan_json.to_string(),
        deployment_kind: job.kind.as_str().to_owned(),
        sandbox: job.sandbox,
    };
    let estimate = match PlanEstimateServiceClient::new(channel).estimate_plan(request).await {
        Ok(response) => response.into_inner().estimate,
        Err(status) if matches!(status.code(), Code::InvalidArgument | Code::FailedPrecondition) => {
            run.log(LogLevel::Warn, format!("no cost estimate for this plan: {}", status.message())).await?;
            return Ok(None);
        }
        Err(status) => {
            return Err(ExecError::Transient(format!("the cost service did not price the plan: {}", status.message())));
        }
    };
    if let Some(estimate) = &estimate {
        run.log_lines(estimate_lines(estimate)).await?;
    }
    Ok(estimate)
}

/// The estimate as the policy input's `estimate`, in minor units of its currency.
pub fn for_policy(estimate: &cost::Estimate) -> PlanEstimate {
    let minor = |micros: i64| {
        let per_minor = canopy_kit::money::micros_per_minor_unit(&estimate.currency_code).unwrap_or(10_000);
        Money { currency_code: estimate.currency_code.clone(), minor_units: (micros + per_minor / 2) / per_minor }
    };
    PlanEstimate {
        site_monthly: Some(minor(estimate.monthly_micros)),
        customer_monthly: Some(minor(estimate.customer_monthly_micros)),
    }
}

fn money(micros: i64, currency: &str, digits: usize) -> String {
    format!("{currency} {:.digits$}", micros as f64 / 1_000_000.0)
}

fn estimate_lines(estimate: &cost::Estimate) -> Vec<NewEvent> {
    let currency = &estimate.currency_code;
    let mut lines = vec![NewEvent::log(
        LogLevel::Info,
        format!(
            "estimated cost: {} a month ({} an hour) at list prices of {}; this customer's sites: {} a month",
            money(estimate.monthly_micros, currency, 2),
            money(estimate.hourly_micros, currency, 4),
            estimate.price_snapshot_date,
            money(estimate.customer_monthly_micros, currency, 2),
        ),
    )];
    for line in estimate.lines.iter().take(LOGGED_LINES) {
        let assumption = if line.usage_assumption { format!(" (assumes {})", line.assumption) } else { String::new() };
        let address = if line.address.is_empty() { String::new() } else { format!(" [{}]", line.address) };
        lines.push(NewEvent::log(
            LogLevel::Info,
            format!("  {}: {} a month{assumption}{address}", line.description, money(line.monthly_micros, currency, 2)),
        ));
    }
    if estimate.lines.len() > LOGGED_LINES {
        let rest: i64 = estimate.lines.iter().skip(LOGGED_LINES).map(|line| line.monthly_micros).sum();
        lines.push(NewEvent::log(
            LogLevel::Info,
            format!("  {} more lines: {} a month", estimate.lines.len() - LOGGED_LINES, money(rest, currency, 2)),
        ));
    }
    if estimate.price_snapshot_stale {
        lines.push(NewEvent::log(
            LogLevel::Warn,
            format!(
                "the price snapshot of {} is older than allowed: prices may have changed",
                estimate.price_snapshot_date
            ),
        ));
    }
    if !estimate.unpriced_resource_types.is_empty() {
        lines.push(NewEvent::log(
            LogLevel::Warn,
            format!("not priced (left out of the total): {}", estimate.unpriced_resource_types.join(", ")),
        ));
    }
    lines
}
