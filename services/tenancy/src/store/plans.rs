//! `tenancy.plan`, and a customer's limits: its plan's with its overrides applied.

use sqlx::{FromRow, PgConnection};

use super::customers::CustomerRow;
use crate::domain::plan::EffectiveLimits;

/// A plan row.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PlanRow {
    pub plan_id: String,
    pub display_name: String,
    #[sqlx(flatten)]
    pub limits: EffectiveLimits,
}

const COLUMNS: &str =
    "plan_id, display_name, max_sites, max_deployments_per_month, allowed_providers, allowed_regions, rate_tier";

pub async fn plans(tx: &mut PgConnection) -> Result<Vec<PlanRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from tenancy.plan order by plan_id")).fetch_all(&mut *tx).await
}

pub async fn plan(tx: &mut PgConnection, plan_id: &str) -> Result<Option<PlanRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from tenancy.plan where plan_id = $1"))
        .bind(plan_id)
        .fetch_optional(&mut *tx)
        .await
}

pub async fn upsert_plan(tx: &mut PgConnection, plan: &PlanRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into tenancy.plan ({COLUMNS}) values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (plan_id) do update set display_name = excluded.display_name, max_sites = excluded.max_sites,
            max_deployments_per_month = excluded.max_deployments_per_month,
            allowed_providers = excluded.allowed_providers, allowed_regions = excluded.allowed_regions,
            rate_tier = excluded.rate_tier"
    ))
    .bind(&plan.plan_id)
    .bind(&plan.display_name)
    .bind(plan.limits.max_sites)
    .bind(plan.limits.max_deployments_per_month)
    .bind(&plan.limits.allowed_providers)
    .bind(&plan.limits.allowed_regions)
    .bind(&plan.limits.rate_tier)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The plan's limits with the customer's overrides applied.
pub async fn effective_limits(tx: &mut PgConnection, customer: &CustomerRow) -> Result<EffectiveLimits, sqlx::Error> {
    let plan = plan(tx, &customer.plan_id).await?.ok_or(sqlx::Error::RowNotFound)?.limits;
    let o = &customer.overrides;
    Ok(EffectiveLimits {
        max_sites: o.max_sites.unwrap_or(plan.max_sites),
        max_deployments_per_month: o.max_deployments_per_month.unwrap_or(plan.max_deployments_per_month),
        allowed_providers: o.allowed_providers.clone().unwrap_or(plan.allowed_providers),
        allowed_regions: o.allowed_regions.clone().unwrap_or(plan.allowed_regions),
        rate_tier: o.rate_tier.clone().unwrap_or(plan.rate_tier),
    })
}
