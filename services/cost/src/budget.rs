//! Budgets: monthly amounts per customer or site, with thresholds on the actual cost
//! and on the month's forecast. The evaluation pass runs as a job; each threshold
//! fires once per month (`cost.budget_fire`'s key), as an alert event through the
//! alerts service and a record in the audit trail, both written in the transaction
//! that records the firing.

use canopy_kit::audit::{ActorKind, AuditRecord, EventKind};
use canopy_kit::db::{Scope, TenantId};
use canopy_kit::events::{self, CanopyEvent, Severity};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Costs;
use crate::forecast::forecast;
use crate::store::{self, BudgetRow, Filter};

/// What a threshold compares with the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Actual,
    Forecast,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Actual => "actual",
            Basis::Forecast => "forecast",
        }
    }

    pub fn parse(text: &str) -> Option<Basis> {
        match text {
            "actual" => Some(Basis::Actual),
            "forecast" => Some(Basis::Forecast),
            _ => None,
        }
    }
}

/// A percentage of the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub percent: i32,
    pub basis: Basis,
}

/// 50 %, 80 %, 100 % of the actual cost and 100 % of the forecast.
pub const DEFAULT_THRESHOLDS: [Threshold; 4] = [
    Threshold { percent: 50, basis: Basis::Actual },
    Threshold { percent: 80, basis: Basis::Actual },
    Threshold { percent: 100, basis: Basis::Actual },
    Threshold { percent: 100, basis: Basis::Forecast },
];

/// The thresholds `actual` and `forecast` (micros) have reached for a budget of
/// `amount` micros, with the figure that reached each.
pub fn reached(thresholds: &[Threshold], amount: i64, actual: i64, forecast: Option<i64>) -> Vec<(Threshold, i64)> {
    thresholds
        .iter()
        .filter_map(|threshold| {
            let observed = match threshold.basis {
                Basis::Actual => actual,
                Basis::Forecast => forecast?,
            };
            // observed ≥ amount × percent / 100, in integers.
            (i128::from(observed) * 100 >= i128::from(amount) * i128::from(threshold.percent))
                .then_some((*threshold, observed))
        })
        .collect()
}

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("day 1 exists")
}

/// Evaluates every budget for the current month: stores actual and forecast, fires
/// what was reached and has not fired this month. Returns the firings.
pub async fn evaluate_all(costs: &Costs) -> anyhow::Result<usize> {
    let now = costs.clock.now();
    let today = now.date_naive();
    // A system pass across customers.
    let mut tx = costs.database.begin(Scope::Platform).await?;
    let budgets = store::all_budgets(&mut tx).await?;
    tx.commit().await?;
    let mut fired = 0;
    for budget in budgets {
        fired += evaluate(costs, &budget, today, now).await?;
    }
    Ok(fired)
}

async fn evaluate(costs: &Costs, budget: &BudgetRow, today: NaiveDate, now: DateTime<Utc>) -> anyhow::Result<usize> {
    let month = month_of(today);
    let mut tx = costs.database.begin(Scope::Tenant(TenantId(budget.tenant_id))).await?;
    // Four weeks of history feed the forecast; the month's own days the actual.
    let history_start = (today - Days::new(27)).min(month);
    let filter = Filter {
        tenant: Some(budget.tenant_id),
        site: budget.site_id,
        provider: None,
        region: None,
        resource_type: None,
        start: history_start,
        end: month + Months::new(1) - Days::new(1),
        exclude_sandbox: false,
        source: "accrued",
    };
    let daily: std::collections::BTreeMap<NaiveDate, i64> = store::daily(&mut tx, &filter).await?.into_iter().collect();
    let actual: i64 = daily.range(month..).map(|(_, micros)| micros).sum();
    let forecast = forecast(&daily, today).end_of_month();
    store::set_budget_status(&mut tx, budget, month, actual, forecast, now).await?;
    let amount = budget.amount_minor * crate::minor_unit_micros(&budget.currency);
    let mut fired = 0;
    for (threshold, observed) in reached(&budget.thresholds, amount, actual, forecast) {
        let basis = threshold.basis.as_str();
        if !store::fire(&mut tx, budget.tenant_id, budget.id, month, basis, threshold.percent, observed, now).await? {
            continue;
        }
        fired += 1;
        let summary = format!(
            "budget {:?}: the {} cost of {} reached {}% of {}",
            budget.name,
            basis,
            crate::format_micros(observed, &budget.currency),
            threshold.percent,
            crate::format_micros(amount, &budget.currency),
        );
        let severity = if threshold.percent >= 100 { Severity::Warning } else { Severity::Info };
        let mut event = CanopyEvent::new("budget_threshold", severity, summary.clone(), now)
            .tenant(budget.tenant_id)
            .label("budget_id", budget.id)
            .label("budget", &budget.name)
            .label("basis", basis)
            .label("percent", threshold.percent)
            .label("month", month.format("%Y-%m"));
        if let Some(site) = budget.site_id {
            event = event.label("site_id", site);
        }
        events::publish(&mut tx, crate::MANIFEST.name, &event).await?;
        canopy_kit::audit::outbox::record_event(
            &mut tx,
            crate::MANIFEST.name,
            &AuditRecord {
                id: Uuid::now_v7(),
                tenant_id: Some(budget.tenant_id),
                kind: EventKind::Decision,
                action: "cost.budget_threshold_reached".into(),
                actor_kind: ActorKind::Workload,
                actor_id: crate::MANIFEST.name.to_owned(),
                actor_role: String::new(),
                resource_ids: vec![budget.id.to_string()],
                origin_address: String::new(),
                user_agent: String::new(),
                trace_id: String::new(),
                occurred_at: now,
                summary: serde_json::json!({
                    "budget": budget.name,
                    "month": month.format("%Y-%m").to_string(),
                    "basis": basis,
                    "percent": threshold.percent,
                    "observed_micros": observed,
                    "amount_micros": amount,
                    "currency": budget.currency,
                }),
            },
        )
        .await?;
        tracing::info!(budget_id = %budget.id, basis, percent = threshold.percent, "budget threshold reached");
    }
    tx.commit().await?;
    Ok(fired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_reached_at_their_percentage_exactly() {
        let amount = 100_000_000;
        let hit = reached(&DEFAULT_THRESHOLDS, amount, 50_000_000, None);
        assert_eq!(hit, vec![(DEFAULT_THRESHOLDS[0], 50_000_000)]);
        let hit = reached(&DEFAULT_THRESHOLDS, amount, 49_999_999, Some(100_000_000));
        assert_eq!(hit, vec![(DEFAULT_THRESHOLDS[3], 100_000_000)]);
        assert!(reached(&DEFAULT_THRESHOLDS, amount, 0, None).is_empty());
        let over = reached(&[Threshold { percent: 1000, basis: Basis::Actual }], 1, 10, None);
        assert_eq!(over.len(), 1);
    }
}
