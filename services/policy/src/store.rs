//! SQL of the policy schema. Every function runs in the caller's transaction and
//! scope; the row level security of `migrations/policy` does the tenant filtering, and
//! `tenant` arguments only say which tier (platform: `None`) a statement means.

use std::collections::BTreeMap;

use canopy_kit::paging::PageCursor;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::{Decision, Draft, check_state};

const POLICY_COLUMNS: &str = "id, tenant_id, name, description, kind, enforcement, scope_customer_id, scope_site_id, \
     scope_labels, enabled, spec, rego, package, revision, created_at, updated_at";

/// A stored policy.
#[derive(Debug, Clone, FromRow)]
pub struct PolicyRow {
    pub id: Uuid,
    /// `None` for a platform policy.
    pub tenant_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    pub kind: String,
    pub enforcement: String,
    pub scope_customer_id: Option<Uuid>,
    pub scope_site_id: Option<Uuid>,
    #[sqlx(json)]
    pub scope_labels: BTreeMap<String, String>,
    pub enabled: bool,
    pub spec: Vec<u8>,
    pub rego: String,
    pub package: String,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A statement over a whole policy row, bound in one order: `$1` id, `$2` tenant,
/// `$3`…`$13` the draft's columns, `$14` the time.
fn with_draft<'q>(
    sql: &'q str,
    id: Uuid,
    tenant: Option<Uuid>,
    draft: &'q Draft,
    now: DateTime<Utc>,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, PolicyRow, sqlx::postgres::PgArguments> {
    sqlx::query_as(sql)
        .bind(id)
        .bind(tenant)
        .bind(&draft.name)
        .bind(&draft.description)
        .bind(draft.kind)
        .bind(draft.enforcement)
        .bind(draft.scope_customer_id)
        .bind(draft.scope_site_id)
        .bind(Json(&draft.scope_labels))
        .bind(draft.enabled)
        .bind(&draft.spec)
        .bind(&draft.rego)
        .bind(&draft.package)
        .bind(now)
}

pub async fn insert_policy(
    tx: &mut PgConnection,
    id: Uuid,
    tenant: Option<Uuid>,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<PolicyRow, sqlx::Error> {
    let sql = format!(
        "insert into policy.policy (id, tenant_id, name, description, kind, enforcement, scope_customer_id, scope_site_id,
                             scope_labels, enabled, spec, rego, package, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
         returning {POLICY_COLUMNS}"
    );
    with_draft(&sql, id, tenant, draft, now).fetch_one(tx).await
}

/// What an update found.
pub enum Updated {
    Done(Box<PolicyRow>),
    NotFound,
    /// The stored revision, when it is not the one the change was made from.
    Conflict(i64),
}

pub async fn update_policy(
    tx: &mut PgConnection,
    id: Uuid,
    tenant: Option<Uuid>,
    draft: &Draft,
    revision: i64,
    now: DateTime<Utc>,
) -> Result<Updated, sqlx::Error> {
    let Some(current) = get_policy_for_update(&mut *tx, id, tenant).await? else {
        return Ok(Updated::NotFound);
    };
    if current.revision != revision {
        return Ok(Updated::Conflict(current.revision));
    }
    let sql = format!(
        "update policy.policy set name = $3, description = $4, kind = $5, enforcement = $6, scope_customer_id = $7,
                scope_site_id = $8, scope_labels = $9, enabled = $10, spec = $11, rego = $12, package = $13,
                revision = revision + 1, updated_at = $14
          where id = $1 and tenant_id is not distinct from $2
         returning {POLICY_COLUMNS}"
    );
    let row = with_draft(&sql, id, tenant, draft, now).fetch_one(tx).await?;
    Ok(Updated::Done(Box::new(row)))
}

async fn get_policy_for_update(
    tx: &mut PgConnection,
    id: Uuid,
    tenant: Option<Uuid>,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POLICY_COLUMNS} from policy.policy where id = $1 and tenant_id is not distinct from $2 for update"
    ))
    .bind(id)
    .bind(tenant)
    .fetch_optional(tx)
    .await
}

/// A policy of the given tier (`None`: the platform's).
pub async fn get_policy(
    tx: &mut PgConnection,
    id: Uuid,
    tenant: Option<Uuid>,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POLICY_COLUMNS} from policy.policy where id = $1 and tenant_id is not distinct from $2"
    ))
    .bind(id)
    .bind(tenant)
    .fetch_optional(tx)
    .await
}

/// Deletes a policy and its open violations. Whether it existed.
pub async fn delete_policy(tx: &mut PgConnection, id: Uuid, tenant: Option<Uuid>) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("delete from policy.policy where id = $1 and tenant_id is not distinct from $2")
        .bind(id)
        .bind(tenant)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("delete from policy.violation where policy_id = $1").bind(id).execute(&mut *tx).await?;
    Ok(deleted > 0)
}

/// Filters of [`list_policies`].
#[derive(Debug, Default)]
pub struct PolicyFilter {
    /// `Some(None)`: the platform's; `Some(Some(t))`: customer t's; `None`: every row visible.
    pub owner: Option<Option<Uuid>>,
    pub kind: Option<&'static str>,
    pub enforcement: Option<&'static str>,
}

/// Policies by tier (platform first) and name.
pub async fn list_policies(
    tx: &mut PgConnection,
    filter: &PolicyFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POLICY_COLUMNS} from policy.policy
          where ($1 = false or tenant_id is not distinct from $2)
            and ($3::text is null or kind = $3)
            and ($4::text is null or enforcement = $4)
          order by tenant_id nulls first, name, id
          limit $5 offset $6"
    ))
    .bind(filter.owner.is_some())
    .bind(filter.owner.flatten())
    .bind(filter.kind)
    .bind(filter.enforcement)
    .bind(limit)
    .bind(offset)
    .fetch_all(tx)
    .await
}

/// The platform's policies and `tenant`'s own (run in the platform scope).
pub async fn policies_for_tenant(tx: &mut PgConnection, tenant: Uuid) -> Result<Vec<PolicyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {POLICY_COLUMNS} from policy.policy where tenant_id is null or tenant_id = $1 order by tenant_id nulls first, name"
    ))
    .bind(tenant)
    .fetch_all(tx)
    .await
}

/// Marks compliance stale after a policy changed: every site for a platform policy
/// (platform scope), the customer's sites for its own.
pub async fn mark_stale(tx: &mut PgConnection, tenant: Option<Uuid>) -> Result<(), sqlx::Error> {
    sqlx::query("update policy.site_compliance set stale = true where $1::uuid is null or tenant_id = $1")
        .bind(tenant)
        .execute(tx)
        .await?;
    Ok(())
}

const CHECK_COLUMNS: &str = "tenant_id, id, site_id, deployment_id, state, decisions, input, created_at, expires_at, \
     resolved_by, resolution_reason, resolved_at";

/// A stored policy check.
#[derive(Debug, Clone, FromRow)]
pub struct CheckRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub site_id: Uuid,
    pub deployment_id: Uuid,
    pub state: String,
    #[sqlx(json)]
    pub decisions: Vec<Decision>,
    pub input: Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub resolved_by: String,
    pub resolution_reason: String,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Records a deployment's check, or returns the one already recorded (a retried
/// attempt, a repeated call); `true` when this call recorded it.
#[allow(clippy::too_many_arguments)]
pub async fn insert_check(
    tx: &mut PgConnection,
    tenant: Uuid,
    site: Uuid,
    deployment: Uuid,
    decisions: &[Decision],
    input: &Value,
    now: DateTime<Utc>,
    override_wait: chrono::Duration,
) -> Result<(CheckRow, bool), sqlx::Error> {
    let state = check_state(decisions);
    let expires_at = (state == "awaiting_override").then(|| now + override_wait);
    let inserted: Option<CheckRow> = sqlx::query_as(&format!(
        "insert into policy.policy_check (tenant_id, id, site_id, deployment_id, state, decisions, input, created_at, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (tenant_id, deployment_id) do nothing
         returning {CHECK_COLUMNS}"
    ))
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(site)
    .bind(deployment)
    .bind(state)
    .bind(Json(decisions))
    .bind(input)
    .bind(now)
    .bind(expires_at)
    .fetch_optional(&mut *tx)
    .await?;
    match inserted {
        Some(row) => Ok((row, true)),
        None => Ok((check_for_deployment(tx, tenant, deployment).await?.ok_or(sqlx::Error::RowNotFound)?, false)),
    }
}

pub async fn check_for_deployment(
    tx: &mut PgConnection,
    tenant: Uuid,
    deployment: Uuid,
) -> Result<Option<CheckRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CHECK_COLUMNS} from policy.policy_check where tenant_id = $1 and deployment_id = $2"
    ))
    .bind(tenant)
    .bind(deployment)
    .fetch_optional(tx)
    .await
}

/// A check by id, locked; `tenant` None finds it in any customer's (platform scope).
pub async fn get_check(tx: &mut PgConnection, tenant: Option<Uuid>, id: Uuid) -> Result<Option<CheckRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CHECK_COLUMNS} from policy.policy_check where ($1::uuid is null or tenant_id = $1) and id = $2 for update"
    ))
    .bind(tenant)
    .bind(id)
    .fetch_optional(tx)
    .await
}

/// Moves a waiting check to `state` (overridden, discarded, expired).
pub async fn resolve_check(
    tx: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    state: &str,
    by: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<CheckRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "update policy.policy_check set state = $3, resolved_by = $4, resolution_reason = $5, resolved_at = $6
          where tenant_id = $1 and id = $2
         returning {CHECK_COLUMNS}"
    ))
    .bind(tenant)
    .bind(id)
    .bind(state)
    .bind(by)
    .bind(reason)
    .bind(now)
    .fetch_one(tx)
    .await
}

/// A deployment's check; `tenant` None looks in every customer's (platform scope).
pub async fn list_checks_for_deployment(
    tx: &mut PgConnection,
    tenant: Option<Uuid>,
    deployment: Uuid,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CHECK_COLUMNS} from policy.policy_check where ($1::uuid is null or tenant_id = $1) and deployment_id = $2"
    ))
    .bind(tenant)
    .bind(deployment)
    .fetch_all(tx)
    .await
}

/// Checks newest first; `tenant` None lists every customer's (platform scope).
pub async fn list_checks(
    tx: &mut PgConnection,
    tenant: Option<Uuid>,
    state: Option<&str>,
    site: Option<Uuid>,
    after: Option<PageCursor>,
    limit: i64,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {CHECK_COLUMNS} from policy.policy_check
          where ($1::uuid is null or tenant_id = $1)
            and ($2::text is null or state = $2)
            and ($3::uuid is null or site_id = $3)
            and ($4::timestamptz is null or (created_at, id) < ($4, $5))
          order by created_at desc, id desc
          limit $6"
    ))
    .bind(tenant)
    .bind(state)
    .bind(site)
    .bind(after.map(|cursor| cursor.time))
    .bind(after.map(|cursor| cursor.id))
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// Stores a site's compliance with the policies in scope, and its violations.
pub async fn record_compliance(
    tx: &mut PgConnection,
    tenant: Uuid,
    site: Uuid,
    deployment: Uuid,
    input: &Value,
    decisions: &[Decision],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let compliant = decisions.iter().all(|decision| !decision.failed());
    sqlx::query(
        "insert into policy.site_compliance (tenant_id, site_id, deployment_id, input, decisions, compliant, evaluated_at, stale)
         values ($1, $2, $3, $4, $5, $6, $7, false)
         on conflict (tenant_id, site_id) do update
            set deployment_id = excluded.deployment_id, input = excluded.input, decisions = excluded.decisions,
                compliant = excluded.compliant, evaluated_at = excluded.evaluated_at, stale = false",
    )
    .bind(tenant)
    .bind(site)
    .bind(deployment)
    .bind(input)
    .bind(Json(decisions))
    .bind(compliant)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("delete from policy.violation where tenant_id = $1 and site_id = $2")
        .bind(tenant)
        .bind(site)
        .execute(&mut *tx)
        .await?;
    for decision in decisions.iter().filter(|decision| decision.failed()) {
        sqlx::query(
            "insert into policy.violation (tenant_id, site_id, policy_id, enforcement, decision, evaluated_at)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant)
        .bind(site)
        .bind(decision.policy_id)
        .bind(&decision.enforcement)
        .bind(Json(decision))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Forgets a deleted site's compliance.
pub async fn remove_compliance(tx: &mut PgConnection, tenant: Uuid, site: Uuid) -> Result<(), sqlx::Error> {
    for table in ["violation", "site_compliance"] {
        sqlx::query(&format!("delete from policy.{table} where tenant_id = $1 and site_id = $2"))
            .bind(tenant)
            .bind(site)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// A site whose compliance needs evaluating again.
#[derive(Debug, FromRow)]
pub struct StaleSite {
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub deployment_id: Uuid,
    pub input: Value,
}

/// Up to `limit` stale sites, locked so concurrent replicas take different ones.
pub async fn claim_stale_sites(tx: &mut PgConnection, limit: i64) -> Result<Vec<StaleSite>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, site_id, deployment_id, input from policy.site_compliance
          where stale order by tenant_id, site_id limit $1 for update skip locked",
    )
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// A site's stored compliance.
#[derive(Debug, FromRow)]
pub struct SiteComplianceRow {
    pub site_id: Uuid,
    pub deployment_id: Uuid,
    #[sqlx(json)]
    pub decisions: Vec<Decision>,
    pub compliant: bool,
    pub evaluated_at: DateTime<Utc>,
    pub input: Value,
}

pub async fn compliance(
    tx: &mut PgConnection,
    tenant: Uuid,
    site: Option<Uuid>,
) -> Result<Vec<SiteComplianceRow>, sqlx::Error> {
    sqlx::query_as(
        "select site_id, deployment_id, decisions, compliant, evaluated_at, input from policy.site_compliance
          where tenant_id = $1 and ($2::uuid is null or site_id = $2) order by site_id",
    )
    .bind(tenant)
    .bind(site)
    .fetch_all(tx)
    .await
}

/// The input of a site's latest check, for trying a policy on it.
pub async fn latest_input(tx: &mut PgConnection, tenant: Uuid, site: Uuid) -> Result<Option<Value>, sqlx::Error> {
    sqlx::query_scalar(
        "select input from policy.policy_check where tenant_id = $1 and site_id = $2 order by created_at desc, id desc limit 1",
    )
    .bind(tenant)
    .bind(site)
    .fetch_optional(tx)
    .await
}

/// A stored violation.
#[derive(Debug, FromRow)]
pub struct ViolationRow {
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    #[sqlx(json)]
    pub decision: Decision,
    pub evaluated_at: DateTime<Utc>,
}

pub async fn list_violations(
    tx: &mut PgConnection,
    tenant: Option<Uuid>,
    site: Option<Uuid>,
    policy: Option<Uuid>,
    enforcement: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ViolationRow>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, site_id, decision, evaluated_at from policy.violation
          where ($1::uuid is null or tenant_id = $1)
            and ($2::uuid is null or site_id = $2)
            and ($3::uuid is null or policy_id = $3)
            and ($4::text is null or enforcement = $4)
          order by evaluated_at desc, tenant_id, site_id, policy_id
          limit $5 offset $6",
    )
    .bind(tenant)
    .bind(site)
    .bind(policy)
    .bind(enforcement)
    .bind(limit)
    .bind(offset)
    .fetch_all(tx)
    .await
}
