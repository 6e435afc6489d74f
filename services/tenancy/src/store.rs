//! Tenancy's SQL. Every function takes a transaction the caller opened with the
//! right scope; row-level security does the tenant filtering, the `where` clauses
//! only say what is asked for.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::domain::customer::Status;
use crate::domain::plan::EffectiveLimits;

/// A customer row with its plan's limits resolved.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    pub tenant_id: Uuid,
    pub name: String,
    pub status: Status,
    pub status_reason: String,
    pub plan_id: String,
    pub overrides: Overrides,
    pub owner_user_id: Option<Uuid>,
    pub idempotency_key: String,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
}

/// A customer's overrides; `None` inherits the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub max_sites: Option<i32>,
    pub max_deployments_per_month: Option<i32>,
    pub allowed_providers: Option<Vec<String>>,
    pub allowed_regions: Option<Vec<String>>,
    pub rate_tier: Option<String>,
}

const CUSTOMER_COLUMNS: &str = "tenant_id, name, status, status_reason, plan_id, override_max_sites,
    override_max_deployments_per_month, override_allowed_providers, override_allowed_regions, override_rate_tier,
    owner_user_id, idempotency_key, create_time, update_time";

fn customer_from(row: &sqlx::postgres::PgRow) -> Result<CustomerRow, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(CustomerRow {
        tenant_id: row.try_get("tenant_id")?,
        name: row.try_get("name")?,
        status: Status::parse(&status).ok_or_else(|| sqlx::Error::Decode(format!("unknown status {status}").into()))?,
        status_reason: row.try_get("status_reason")?,
        plan_id: row.try_get("plan_id")?,
        overrides: Overrides {
            max_sites: row.try_get("override_max_sites")?,
            max_deployments_per_month: row.try_get("override_max_deployments_per_month")?,
            allowed_providers: row.try_get("override_allowed_providers")?,
            allowed_regions: row.try_get("override_allowed_regions")?,
            rate_tier: row.try_get("override_rate_tier")?,
        },
        owner_user_id: row.try_get("owner_user_id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        create_time: row.try_get("create_time")?,
        update_time: row.try_get("update_time")?,
    })
}

/// Inserts a customer in `creating`, with its branding, usage and first history entry.
pub async fn insert_customer(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    name: &str,
    plan_id: &str,
    idempotency_key: &str,
    changed_by: &str,
) -> Result<CustomerRow, sqlx::Error> {
    let row = sqlx::query(&format!(
        "insert into tenancy.customer (tenant_id, name, status, plan_id, idempotency_key)
         values ($1, $2, 'creating', $3, $4) returning {CUSTOMER_COLUMNS}"
    ))
    .bind(tenant_id)
    .bind(name)
    .bind(plan_id)
    .bind(idempotency_key)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("insert into tenancy.branding (tenant_id) values ($1)").bind(tenant_id).execute(&mut *tx).await?;
    sqlx::query("insert into tenancy.site_usage (tenant_id) values ($1)").bind(tenant_id).execute(&mut *tx).await?;
    record_status_change(tx, tenant_id, "none", Status::Creating, "", changed_by).await?;
    customer_from(&row)
}

pub async fn record_status_change(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    from: &str,
    to: Status,
    reason: &str,
    changed_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into tenancy.customer_status_change (tenant_id, id, from_status, to_status, reason, changed_by)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(Uuid::now_v7())
    .bind(from)
    .bind(to.as_str())
    .bind(reason)
    .bind(changed_by)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn customer_by_idempotency_key(tx: &mut PgConnection, key: &str) -> Result<Option<CustomerRow>, sqlx::Error> {
    let row = sqlx::query(&format!("select {CUSTOMER_COLUMNS} from tenancy.customer where idempotency_key = $1"))
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(customer_from).transpose()
}

/// The customer, locked for update when `lock`.
pub async fn customer(tx: &mut PgConnection, tenant_id: Uuid, lock: bool) -> Result<Option<CustomerRow>, sqlx::Error> {
    let suffix = if lock { " for update" } else { "" };
    let row = sqlx::query(&format!("select {CUSTOMER_COLUMNS} from tenancy.customer where tenant_id = $1{suffix}"))
        .bind(tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(customer_from).transpose()
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
    let rows = sqlx::query(&format!(
        "select {CUSTOMER_COLUMNS} from tenancy.customer
          where {CUSTOMER_FILTER}
            and ($4::timestamptz is null or (create_time, tenant_id) < ($4, $5))
          order by create_time desc, tenant_id desc
          limit $6"
    ))
    .bind(filter.search.as_deref().map(escape_like))
    .bind(filter.status.map(Status::as_str))
    .bind(filter.plan_id.as_deref())
    .bind(filter.after.map(|(t, _)| t))
    .bind(filter.after.map(|(_, id)| id))
    .bind(filter.limit)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(customer_from).collect()
}

/// `%` and `_` in a search are literal text, not wildcards.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// How many customers match `filter`'s search, status and plan (its cursor and limit
/// are ignored): the total of every page.
pub async fn count_customers(tx: &mut PgConnection, filter: &CustomerFilter) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("select count(*) from tenancy.customer where {CUSTOMER_FILTER}"))
        .bind(filter.search.as_deref().map(escape_like))
        .bind(filter.status.map(Status::as_str))
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
    .bind(status.as_str())
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

/// One status change.
#[derive(Debug, Clone)]
pub struct StatusChangeRow {
    pub id: Uuid,
    pub from_status: String,
    pub to_status: String,
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
    let rows = sqlx::query(
        "select id, from_status, to_status, reason, changed_by, change_time from tenancy.customer_status_change
          where tenant_id = $1 and ($2::timestamptz is null or (change_time, id) < ($2, $3))
          order by change_time desc, id desc limit $4",
    )
    .bind(tenant_id)
    .bind(after.map(|(t, _)| t))
    .bind(after.map(|(_, id)| id))
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StatusChangeRow {
                id: r.try_get("id")?,
                from_status: r.try_get("from_status")?,
                to_status: r.try_get("to_status")?,
                reason: r.try_get("reason")?,
                changed_by: r.try_get("changed_by")?,
                change_time: r.try_get("change_time")?,
            })
        })
        .collect()
}

/// A plan row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub plan_id: String,
    pub display_name: String,
    pub limits: EffectiveLimits,
}

fn plan_from(row: &sqlx::postgres::PgRow) -> Result<PlanRow, sqlx::Error> {
    Ok(PlanRow {
        plan_id: row.try_get("plan_id")?,
        display_name: row.try_get("display_name")?,
        limits: EffectiveLimits {
            max_sites: row.try_get("max_sites")?,
            max_deployments_per_month: row.try_get("max_deployments_per_month")?,
            allowed_providers: row.try_get("allowed_providers")?,
            allowed_regions: row.try_get("allowed_regions")?,
            rate_tier: row.try_get("rate_tier")?,
        },
    })
}

pub async fn plans(tx: &mut PgConnection) -> Result<Vec<PlanRow>, sqlx::Error> {
    let rows = sqlx::query("select * from tenancy.plan order by plan_id").fetch_all(&mut *tx).await?;
    rows.iter().map(plan_from).collect()
}

pub async fn plan(tx: &mut PgConnection, plan_id: &str) -> Result<Option<PlanRow>, sqlx::Error> {
    let row =
        sqlx::query("select * from tenancy.plan where plan_id = $1").bind(plan_id).fetch_optional(&mut *tx).await?;
    row.as_ref().map(plan_from).transpose()
}

pub async fn upsert_plan(tx: &mut PgConnection, plan: &PlanRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into tenancy.plan values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (plan_id) do update set display_name = excluded.display_name, max_sites = excluded.max_sites,
            max_deployments_per_month = excluded.max_deployments_per_month,
            allowed_providers = excluded.allowed_providers, allowed_regions = excluded.allowed_regions,
            rate_tier = excluded.rate_tier",
    )
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

/// The first day of `now`'s month (UTC), the key of monthly usage.
pub fn month_of(now: DateTime<Utc>) -> NaiveDate {
    NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("first of month exists")
}

/// (sites held, deployments this month).
pub async fn usage(tx: &mut PgConnection, tenant_id: Uuid, month: NaiveDate) -> Result<(i32, i32), sqlx::Error> {
    let sites: Option<i32> = sqlx::query_scalar("select sites_used from tenancy.site_usage where tenant_id = $1")
        .bind(tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
    let deployments: Option<i32> =
        sqlx::query_scalar("select deployments from tenancy.deployment_usage where tenant_id = $1 and month = $2")
            .bind(tenant_id)
            .bind(month)
            .fetch_optional(&mut *tx)
            .await?;
    Ok((sites.unwrap_or(0), deployments.unwrap_or(0)))
}

/// Outcome of a reservation attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Reserved {
    /// Quota taken now.
    Taken,
    /// This key already held a reservation; nothing taken twice.
    AlreadyHeld,
    /// No quota left; the transaction must roll back.
    Exhausted,
}

/// Takes one site slot. The conditional `update` holds the usage row's lock, so
/// concurrent reservations serialise on it and re-check the limit: exactly as many
/// succeed as there are free slots.
pub async fn reserve_site(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    key: &str,
    limit: i32,
) -> Result<Reserved, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into tenancy.quota_reservation (tenant_id, resource, reservation_key) values ($1, 'site', $2)
         on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(key)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Reserved::AlreadyHeld);
    }
    let taken = sqlx::query(
        "update tenancy.site_usage set sites_used = sites_used + 1 where tenant_id = $1 and sites_used < $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(if taken == 1 { Reserved::Taken } else { Reserved::Exhausted })
}

/// Takes one deployment of `month`, the same way.
pub async fn reserve_deployment(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    key: &str,
    month: NaiveDate,
    limit: i32,
) -> Result<Reserved, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into tenancy.quota_reservation (tenant_id, resource, reservation_key, month)
         values ($1, 'deployment', $2, $3) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(key)
    .bind(month)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Reserved::AlreadyHeld);
    }
    sqlx::query("insert into tenancy.deployment_usage (tenant_id, month) values ($1, $2) on conflict do nothing")
        .bind(tenant_id)
        .bind(month)
        .execute(&mut *tx)
        .await?;
    let taken = sqlx::query(
        "update tenancy.deployment_usage set deployments = deployments + 1
          where tenant_id = $1 and month = $2 and deployments < $3",
    )
    .bind(tenant_id)
    .bind(month)
    .bind(limit)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(if taken == 1 { Reserved::Taken } else { Reserved::Exhausted })
}

/// Gives a reservation back; releasing an unknown key does nothing.
pub async fn release(tx: &mut PgConnection, tenant_id: Uuid, resource: &str, key: &str) -> Result<(), sqlx::Error> {
    let released: Option<Option<NaiveDate>> = sqlx::query_scalar(
        "delete from tenancy.quota_reservation where tenant_id = $1 and resource = $2 and reservation_key = $3
         returning month",
    )
    .bind(tenant_id)
    .bind(resource)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    match (resource, released) {
        (_, None) => {}
        ("site", Some(_)) => {
            sqlx::query("update tenancy.site_usage set sites_used = greatest(sites_used - 1, 0) where tenant_id = $1")
                .bind(tenant_id)
                .execute(&mut *tx)
                .await?;
        }
        (_, Some(month)) => {
            sqlx::query(
                "update tenancy.deployment_usage set deployments = greatest(deployments - 1, 0)
                  where tenant_id = $1 and month = $2",
            )
            .bind(tenant_id)
            .bind(month)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// A branding row.
#[derive(Debug, Clone, Default)]
pub struct BrandingRow {
    pub tenant_id: Uuid,
    pub product_name: String,
    pub primary_color: String,
    pub secondary_color: String,
    pub accent_color: String,
    pub custom_domain: Option<String>,
    pub custom_domain_verified: bool,
    pub domain_verification_token: String,
    pub support_email: String,
    pub mail_sender_name: String,
    pub theme_variables: serde_json::Value,
    pub has_logo: bool,
    pub has_favicon: bool,
    pub update_time: DateTime<Utc>,
}

const BRANDING_SELECT: &str = "select b.*,
    exists (select 1 from tenancy.branding_asset a where a.tenant_id = b.tenant_id and a.kind = 'logo') as has_logo,
    exists (select 1 from tenancy.branding_asset a where a.tenant_id = b.tenant_id and a.kind = 'favicon') as has_favicon
    from tenancy.branding b";

fn branding_from(row: &sqlx::postgres::PgRow) -> Result<BrandingRow, sqlx::Error> {
    Ok(BrandingRow {
        tenant_id: row.try_get("tenant_id")?,
        product_name: row.try_get("product_name")?,
        primary_color: row.try_get("primary_color")?,
        secondary_color: row.try_get("secondary_color")?,
        accent_color: row.try_get("accent_color")?,
        custom_domain: row.try_get("custom_domain")?,
        custom_domain_verified: row.try_get("custom_domain_verified")?,
        domain_verification_token: row.try_get("domain_verification_token")?,
        support_email: row.try_get("support_email")?,
        mail_sender_name: row.try_get("mail_sender_name")?,
        theme_variables: row.try_get("theme_variables")?,
        has_logo: row.try_get("has_logo")?,
        has_favicon: row.try_get("has_favicon")?,
        update_time: row.try_get("update_time")?,
    })
}

pub async fn branding(tx: &mut PgConnection, tenant_id: Uuid) -> Result<Option<BrandingRow>, sqlx::Error> {
    let row = sqlx::query(&format!("{BRANDING_SELECT} where b.tenant_id = $1"))
        .bind(tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
    row.as_ref().map(branding_from).transpose()
}

/// The branding of the customer whose *verified* domain is `domain`.
pub async fn branding_by_verified_domain(
    tx: &mut PgConnection,
    domain: &str,
) -> Result<Option<BrandingRow>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "{BRANDING_SELECT} join tenancy.customer c on c.tenant_id = b.tenant_id
          where lower(b.custom_domain) = lower($1) and b.custom_domain_verified and c.status in ('active', 'suspended')"
    ))
    .bind(domain)
    .fetch_optional(&mut *tx)
    .await?;
    row.as_ref().map(branding_from).transpose()
}

/// Replaces the editable branding fields.
pub async fn update_branding(tx: &mut PgConnection, row: &BrandingRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update tenancy.branding set product_name = $2, primary_color = $3, secondary_color = $4, accent_color = $5,
            support_email = $6, mail_sender_name = $7, theme_variables = $8, update_time = now()
          where tenant_id = $1",
    )
    .bind(row.tenant_id)
    .bind(&row.product_name)
    .bind(&row.primary_color)
    .bind(&row.secondary_color)
    .bind(&row.accent_color)
    .bind(&row.support_email)
    .bind(&row.mail_sender_name)
    .bind(&row.theme_variables)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sets (or clears) the domain, unverified, with a fresh verification token.
pub async fn set_domain(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    domain: Option<&str>,
    token: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update tenancy.branding set custom_domain = $2, custom_domain_verified = false,
            domain_verification_token = $3, update_time = now() where tenant_id = $1",
    )
    .bind(tenant_id)
    .bind(domain)
    .bind(token)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn mark_domain_verified(tx: &mut PgConnection, tenant_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update tenancy.branding set custom_domain_verified = true, update_time = now() where tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn put_asset(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    kind: &str,
    content_type: &str,
    data: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into tenancy.branding_asset (tenant_id, kind, content_type, data) values ($1, $2, $3, $4)
         on conflict (tenant_id, kind) do update set content_type = excluded.content_type, data = excluded.data,
            update_time = now()",
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(content_type)
    .bind(data)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update tenancy.branding set update_time = now() where tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn asset(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    kind: &str,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    let row = sqlx::query("select content_type, data from tenancy.branding_asset where tenant_id = $1 and kind = $2")
        .bind(tenant_id)
        .bind(kind)
        .fetch_optional(&mut *tx)
        .await?;
    row.map(|r| Ok((r.try_get("content_type")?, r.try_get("data")?))).transpose()
}

/// A queued email.
#[derive(Debug, Clone)]
pub struct EmailRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

pub async fn enqueue_email(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    recipient: &str,
    subject: &str,
    body: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into tenancy.outbound_email (tenant_id, id, recipient, subject, body) values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Emails due for a (re)try, claimed so concurrent senders never send one twice.
pub async fn claim_due_emails(tx: &mut PgConnection, limit: i64) -> Result<Vec<EmailRow>, sqlx::Error> {
    let rows = sqlx::query(
        "select tenant_id, id, recipient, subject, body, attempts from tenancy.outbound_email
          where sent_time is null and next_attempt_time <= now() and attempts < 10
          order by next_attempt_time limit $1 for update skip locked",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(EmailRow {
                tenant_id: r.try_get("tenant_id")?,
                id: r.try_get("id")?,
                recipient: r.try_get("recipient")?,
                subject: r.try_get("subject")?,
                body: r.try_get("body")?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect()
}

pub async fn mark_email(tx: &mut PgConnection, email: &EmailRow, error: Option<&str>) -> Result<(), sqlx::Error> {
    match error {
        None => {
            sqlx::query("update tenancy.outbound_email set sent_time = now(), attempts = attempts + 1 where tenant_id = $1 and id = $2")
                .bind(email.tenant_id)
                .bind(email.id)
                .execute(&mut *tx)
                .await?;
        }
        Some(error) => {
            // Exponential back-off: 10 s, 20 s, 40 s … capped at an hour.
            let delay = (10i64 << email.attempts.clamp(0, 9)).min(3600);
            sqlx::query(
                "update tenancy.outbound_email set attempts = attempts + 1, last_error = $3,
                    next_attempt_time = now() + make_interval(secs => $4) where tenant_id = $1 and id = $2",
            )
            .bind(email.tenant_id)
            .bind(email.id)
            .bind(error)
            .bind(delay as f64)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}
