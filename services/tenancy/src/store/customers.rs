//! `tenancy.customer` and its status history, `tenancy.customer_status_change`.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::customer::Status;
use canopy_kit::db::like_escape;

/// A customer row.
#[derive(Debug, Clone, FromRow)]
pub struct CustomerRow {
    pub tenant_id: Uuid,
    pub name: String,
    pub status: Status,
    pub status_reason: String,
    pub plan_id: String,
    #[sqlx(flatten)]
    pub overrides: Overrides,
    pub owner_user_id: Option<Uuid>,
    pub idempotency_key: String,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

/// A customer's overrides; `None` inherits the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, FromRow)]
pub struct Overrides {
    #[sqlx(rename = "override_max_sites")]
    pub max_sites: Option<i32>,
    #[sqlx(rename = "override_max_deployments_per_month")]
    pub max_deployments_per_month: Option<i32>,
    #[sqlx(rename = "override_allowed_providers")]
    pub allowed_providers: Option<Vec<String>>,
    #[sqlx(rename = "override_allowed_regions")]
    pub allowed_regions: Option<Vec<String>>,
    #[sqlx(rename = "override_rate_tier")]
    pub rate_tier: Option<String>,
}

const COLUMNS: &str = "tenant_id, name, status, status_reason, plan_id, override_max_sites,
    override_max_deployments_per_month, override_allowed_providers, override_allowed_regions, override_rate_tier,
    owner_user_id, idempotency_key, create_time, update_time";

/// Inserts a customer in `creating`, with its branding, usage and first history entry.
pub async fn insert_customer(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    name: &str,
    plan_id: &str,
    idempotency_key: &str,
    changed_by: &str,
) -> Result<CustomerRow, sqlx::Error> {
    let row = sqlx::query_as(&format!(
        "insert into tenancy.customer (tenant_id, name, status, plan_id, idempotency_key)
         values ($1, $2, $3, $4, $5) returning {COLUMNS}"
    ))
    .bind(tenant_id)
    .bind(name)
    .bind(Status::Creating)
    .bind(plan_id)
    .bind(idempotency_key)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("insert into tenancy.branding (tenant_id) values ($1)").bind(tenant_id).execute(&mut *tx).await?;
    sqlx::query("insert into tenancy.site_usage (tenant_id) values ($1)").bind(tenant_id).execute(&mut *tx).await?;
    record_status_change(tx, tenant_id, None, Status::Creating, "", changed_by).await?;
    Ok(row)
}

/// Adds a history entry; `from` is `None` for the customer's first status (stored as
/// `none`).
pub async fn record_status_change(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    from: Option<Status>,
    to: Status,
    reason: &str,
    changed_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into tenancy.customer_status_change (tenant_id, id, from_status, to_status, reason, changed_by)
         values ($1, $2, coalesce($3, 'none'), $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(Uuid::now_v7())
    .bind(from)
    .bind(to)
    .bind(reason)
    .bind(changed_by)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn customer_by_idempotency_key(tx: &mut PgConnection, key: &str) -> Result<Option<CustomerRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from tenancy.customer where idempotency_key = $1"))
        .bind(key)
        .fetch_optional(&mut *tx)
        .await
}

/// The customer, locked for update when `lock`.
pub async fn customer(tx: &mut PgConnection, tenant_id: Uuid, lock: bool) -> Result<Option<CustomerRow>, sqlx::Error> {
    let suffix = if lock { " for update" } else { "" };
    sqlx::query_as(&format!("select {COLUMNS} from tenancy.customer where tenant_id = $1{suffix}"))
        .bind(tenant_id)
        .fetch_optional(&mut *tx)
        .await
}

/// Filters of `ListCustomers`.
#[derive(Debug, Default)]
pub struct CustomerFilter {
    pub search: Option<String>,
    pub status: Option<Status>,
    pub plan_id: Option<String>,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// The search, status and plan filters of [`list_customers`] and [`count_customers`]
/// (binds `$1` to `$3`), so a page and its total always agree.
const CUSTOMER_FILTER: &str = "($1::text is null or lower(name) like '%' || lower($1) || '%')
            and ($2::text is null or status = $2)
            and ($3::text is null or plan_id = $3)";

pub async fn list_customers(tx: &mut PgConnection, filter: &CustomerFilter) -> Result<Vec<CustomerRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from tenancy.customer
          where {CUSTOMER_FILTER}
            and ($4::timestamptz is null or (create_time, tenant_id) < ($4, $5))
          order by create_time desc, tenant_id desc
          limit $6"
    ))
    .bind(filter.search.as_deref().map(like_escape))
    .bind(filter.status)
    .bind(filter.plan_id.as_deref())
    .bind(filter.after.map(|(t, _)| t))
    .bind(filter.after.map(|(_, id)| id))
    .bind(filter.limit)
    .fetch_all(&mut *tx)
    .await
}

/// How many customers match `filter`'s search, status and plan (its cursor and limit
/// are ignored): the total of every page.
pub async fn count_customers(tx: &mut PgConnection, filter: &CustomerFilter) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("select count(*) from tenancy.customer where {CUSTOMER_FILTER}"))
        .bind(filter.search.as_deref().map(like_escape))
        .bind(filter.status)
        .bind(filter.plan_id.as_deref())
        .fetch_one(&mut *tx)
        .await
}

pub async fn set_status(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    status: Status,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update tenancy.customer set status = $2, status_reason = $3, update_time = now() where tenant_id = $1",
    )
    .bind(tenant_id)
    .bind(status)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn set_owner(tx: &mut PgConnection, tenant_id: Uuid, owner: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update tenancy.customer set owner_user_id = $2, update_time = now() where tenant_id = $1")
        .bind(tenant_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Removes a customer that never finished creating (the saga's compensation).
pub async fn delete_customer(tx: &mut PgConnection, tenant_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("delete from tenancy.customer where tenant_id = $1").bind(tenant_id).execute(&mut *tx).await?;
    Ok(())
}

pub async fn update_customer(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    name: Option<&str>,
    plan_id: Option<&str>,
    overrides: Option<&Overrides>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update tenancy.customer set
            name = coalesce($2, name),
            plan_id = coalesce($3, plan_id),
            override_max_sites = case when $4 then $5 else override_max_sites end,
            override_max_deployments_per_month = case when $4 then $6 else override_max_deployments_per_month end,
            override_allowed_providers = case when $4 then $7 else override_allowed_providers end,
            override_allowed_regions = case when $4 then $8 else override_allowed_regions end,
            override_rate_tier = case when $4 then $9 else override_rate_tier end,
            update_time = now()
          where tenant_id = $1",
    )
    .bind(tenant_id)
    .bind(name)
    .bind(plan_id)
    .bind(overrides.is_some())
    .bind(overrides.and_then(|o| o.max_sites))
    .bind(overrides.and_then(|o| o.max_deployments_per_month))
    .bind(overrides.and_then(|o| o.allowed_providers.clone()))
    .bind(overrides.and_then(|o| o.allowed_regions.clone()))
    .bind(overrides.and_then(|o| o.rate_tier.clone()))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// One status change; `from_status` is `None` for the first.
#[derive(Debug, Clone, FromRow)]
pub struct StatusChangeRow {
    pub id: Uuid,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub reason: String,
    pub changed_by: String,
    pub change_time: DateTime<Utc>,
}

pub async fn status_changes(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<StatusChangeRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, nullif(from_status, 'none') as from_status, to_status, reason, changed_by, change_time
           from tenancy.customer_status_change
          where tenant_id = $1 and ($2::timestamptz is null or (change_time, id) < ($2, $3))
          order by change_time desc, id desc limit $4",
    )
    .bind(tenant_id)
    .bind(after.map(|(t, _)| t))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}
