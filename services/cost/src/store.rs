//! SQL of the cost service. Every statement names the `cost` schema; tenant rows are
//! reached through the caller's scoped transaction (RLS decides what it sees).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::estimate::Estimate;

// ---------------------------------------------------------------------------------
// Sites and estimates

/// What the cost service knows of a site.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteRow {
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    pub provider: String,
    pub region: String,
    pub first_seen: NaiveDate,
    pub deleted: bool,
}

/// Records (or refreshes) a site from its latest plan.
#[allow(clippy::too_many_arguments)]
pub async fn upsert_site(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    site_id: Uuid,
    name: &str,
    provider: &str,
    region: &str,
    today: NaiveDate,
    deleted: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into cost.site (tenant_id, site_id, name, provider, region, first_seen, deleted)
              values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (tenant_id, site_id) do update
               set name = case when excluded.name = '' then cost.site.name else excluded.name end,
                   provider = excluded.provider, region = excluded.region, deleted = excluded.deleted",
    )
    .bind(tenant_id)
    .bind(site_id)
    .bind(name)
    .bind(provider)
    .bind(region)
    .bind(today)
    .bind(deleted)
    .execute(tx)
    .await?;
    Ok(())
}

/// Site names by id, for report labels.
pub async fn site_names(tx: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as("select site_id, name from cost.site where site_id = any($1)").bind(ids).fetch_all(tx).await
}

/// A stored estimate.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EstimateRow {
    pub tenant_id: Uuid,
    pub deployment_id: Uuid,
    pub site_id: Uuid,
    pub currency: String,
    pub monthly_micros: i64,
    pub hourly_micros: i64,
    pub lines: sqlx::types::Json<Vec<crate::estimate::Line>>,
    pub snapshot_date: NaiveDate,
    pub snapshot_stale: bool,
    pub free_resources: i32,
    pub unpriced_resource_types: Vec<String>,
    pub customer_monthly_micros: i64,
    pub sandbox: bool,
    pub created_at: DateTime<Utc>,
}

/// Stores a deployment's estimate, replacing the one of an earlier attempt.
#[allow(clippy::too_many_arguments)]
pub async fn save_estimate(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
    site_id: Uuid,
    estimate: &Estimate,
    stale: bool,
    customer_monthly_micros: i64,
    sandbox: bool,
    now: DateTime<Utc>,
) -> Result<EstimateRow, sqlx::Error> {
    sqlx::query_as(
        "insert into cost.estimate (tenant_id, deployment_id, site_id, currency, monthly_micros, hourly_micros,
                                    lines, snapshot_date, snapshot_stale, free_resources, unpriced_resource_types,
                                    customer_monthly_micros, sandbox, created_at)
              values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         on conflict (tenant_id, deployment_id) do update
               set currency = excluded.currency, monthly_micros = excluded.monthly_micros,
                   hourly_micros = excluded.hourly_micros, lines = excluded.lines,
                   snapshot_date = excluded.snapshot_date, snapshot_stale = excluded.snapshot_stale,
                   free_resources = excluded.free_resources,
                   unpriced_resource_types = excluded.unpriced_resource_types,
                   customer_monthly_micros = excluded.customer_monthly_micros, sandbox = excluded.sandbox,
                   created_at = excluded.created_at
         returning *",
    )
    .bind(tenant_id)
    .bind(deployment_id)
    .bind(site_id)
    .bind(&estimate.currency)
    .bind(estimate.monthly_micros)
    .bind(estimate.hourly_micros)
    .bind(sqlx::types::Json(&estimate.lines))
    .bind(estimate.snapshot_date)
    .bind(stale)
    .bind(estimate.free_resources)
    .bind(&estimate.unpriced_resource_types)
    .bind(customer_monthly_micros)
    .bind(sandbox)
    .bind(now)
    .fetch_one(tx)
    .await
}

/// The customer's other live sites' latest monthly estimates, summed.
pub async fn other_sites_monthly(tx: &mut PgConnection, tenant_id: Uuid, site_id: Uuid) -> Result<i64, sqlx::Error> {
    let total: Option<i64> = sqlx::query_scalar(
        "select sum(latest.monthly_micros)::bigint
           from cost.site s
           cross join lateral (select e.monthly_micros from cost.estimate e
                                where e.tenant_id = s.tenant_id and e.site_id = s.site_id
                                order by e.created_at desc limit 1) latest
          where s.tenant_id = $1 and s.site_id <> $2 and not s.deleted",
    )
    .bind(tenant_id)
    .bind(site_id)
    .fetch_one(tx)
    .await?;
    Ok(total.unwrap_or(0))
}

pub async fn deployment_estimate(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Uuid,
) -> Result<Option<EstimateRow>, sqlx::Error> {
    sqlx::query_as("select * from cost.estimate where tenant_id = $1 and deployment_id = $2")
        .bind(tenant_id)
        .bind(deployment_id)
        .fetch_optional(tx)
        .await
}

pub async fn latest_site_estimate(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    site_id: Uuid,
) -> Result<Option<EstimateRow>, sqlx::Error> {
    sqlx::query_as("select * from cost.estimate where tenant_id = $1 and site_id = $2 order by created_at desc limit 1")
        .bind(tenant_id)
        .bind(site_id)
        .fetch_optional(tx)
        .await
}

pub async fn site(tx: &mut PgConnection, tenant_id: Uuid, site_id: Uuid) -> Result<Option<SiteRow>, sqlx::Error> {
    sqlx::query_as("select * from cost.site where tenant_id = $1 and site_id = $2")
        .bind(tenant_id)
        .bind(site_id)
        .fetch_optional(tx)
        .await
}

// ---------------------------------------------------------------------------------
// Reports

/// Which rows a report reads. `tenant` and `site` narrow within what RLS already
/// allows.
#[derive(Debug, Clone)]
pub struct Filter {
    pub tenant: Option<Uuid>,
    pub site: Option<Uuid>,
    pub provider: Option<String>,
    pub region: Option<String>,
    pub resource_type: Option<String>,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub exclude_sandbox: bool,
    pub source: &'static str,
}

/// What a report groups by, as a column expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Total,
    Customer,
    Site,
    Provider,
    Region,
    ResourceType,
}

impl Group {
    fn column(self) -> &'static str {
        match self {
            Group::Total => "'total'",
            Group::Customer => "coalesce(tenant_id::text, 'unattributed')",
            Group::Site => "coalesce(site_id::text, 'unattributed')",
            Group::Provider => "provider",
            Group::Region => "region",
            Group::ResourceType => "resource_type",
        }
    }
}

/// The rollup a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `cost.site_day`: any filter, days.
    SiteDay,
    /// `cost.tenant_month`: whole months, no site.
    TenantMonth,
}

impl Table {
    /// The cheapest table that answers: months read `tenant_month` when the range is
    /// whole months and nothing asks for sites.
    pub fn for_query(filter: &Filter, months: bool, group: Group) -> Table {
        use chrono::Datelike as _;
        let whole_months = filter.start.day() == 1 && filter.end.succ_opt().is_some_and(|next| next.day() == 1);
        if months && whole_months && filter.site.is_none() && group != Group::Site {
            Table::TenantMonth
        } else {
            Table::SiteDay
        }
    }

    fn name(self) -> &'static str {
        match self {
            Table::SiteDay => "cost.site_day",
            Table::TenantMonth => "cost.tenant_month",
        }
    }

    fn day(self) -> &'static str {
        match self {
            Table::SiteDay => "day",
            Table::TenantMonth => "month",
        }
    }

    fn period(self, months: bool) -> &'static str {
        match (self, months) {
            (Table::SiteDay, false) => "day",
            (Table::SiteDay, true) => "date_trunc('month', day)::date",
            (Table::TenantMonth, _) => "month",
        }
    }
}

fn push_filter(query: &mut QueryBuilder<'_, Postgres>, table: Table, filter: &Filter) {
    push_conditions(query, table.day(), filter);
    query.push(" and source = ").push_bind(filter.source);
}

/// `where <day> between … and …` and the filter's other conditions, all sources.
fn push_conditions(query: &mut QueryBuilder<'_, Postgres>, day: &str, filter: &Filter) {
    query.push(" where ").push(day).push(" between ").push_bind(filter.start);
    query.push(" and ").push_bind(filter.end);
    if let Some(tenant) = filter.tenant {
        query.push(" and tenant_id = ").push_bind(tenant);
    }
    if let Some(site) = filter.site {
        query.push(" and site_id = ").push_bind(site);
    }
    if let Some(provider) = &filter.provider {
        query.push(" and provider = ").push_bind(provider.clone());
    }
    if let Some(region) = &filter.region {
        query.push(" and region = ").push_bind(region.clone());
    }
    if let Some(kind) = &filter.resource_type {
        query.push(" and resource_type = ").push_bind(kind.clone());
    }
    if filter.exclude_sandbox {
        query.push(" and not sandbox");
    }
}

/// Totals per group over the range.
pub async fn group_totals(
    tx: &mut PgConnection,
    table: Table,
    filter: &Filter,
    group: Group,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let mut query = QueryBuilder::new("select ");
    query.push(group.column()).push(" as key, sum(micros)::bigint as micros from ").push(table.name());
    push_filter(&mut query, table, filter);
    query.push(" group by 1 order by 2 desc, 1");
    query.build_query_as().fetch_all(tx).await
}

/// Amounts per group (only `keys`, or every group when `None`) and period.
pub async fn group_periods(
    tx: &mut PgConnection,
    table: Table,
    filter: &Filter,
    group: Group,
    months: bool,
    keys: Option<&[String]>,
) -> Result<Vec<(String, NaiveDate, i64)>, sqlx::Error> {
    let mut query = QueryBuilder::new("select ");
    query.push(group.column()).push(" as key, ").push(table.period(months));
    query.push(" as period, sum(micros)::bigint as micros from ").push(table.name());
    push_filter(&mut query, table, filter);
    if let Some(keys) = keys {
        query.push(" and ").push(group.column()).push(" = any(").push_bind(keys.to_vec()).push(")");
    }
    query.push(" group by 1, 2 order by 2, 1");
    query.build_query_as().fetch_all(tx).await
}

/// Amounts per period over everything the filter matches.
pub async fn period_totals(
    tx: &mut PgConnection,
    table: Table,
    filter: &Filter,
    months: bool,
) -> Result<Vec<(NaiveDate, i64)>, sqlx::Error> {
    let mut query = QueryBuilder::new("select ");
    query.push(table.period(months)).push(" as period, sum(micros)::bigint from ").push(table.name());
    push_filter(&mut query, table, filter);
    query.push(" group by 1 order by 1");
    query.build_query_as().fetch_all(tx).await
}

/// Everything the filter matches.
pub async fn total(tx: &mut PgConnection, table: Table, filter: &Filter) -> Result<i64, sqlx::Error> {
    let mut query = QueryBuilder::new("select coalesce(sum(micros), 0)::bigint from ");
    query.push(table.name());
    push_filter(&mut query, table, filter);
    query.build_query_scalar().fetch_one(tx).await
}

/// The site's accrued cost by resource type over the range.
pub async fn by_resource_type(tx: &mut PgConnection, filter: &Filter) -> Result<Vec<(String, i64)>, sqlx::Error> {
    group_totals(tx, Table::SiteDay, filter, Group::ResourceType).await
}

/// Whether any of the filter's accrued rows are simulated.
pub async fn any_sandbox(tx: &mut PgConnection, filter: &Filter) -> Result<bool, sqlx::Error> {
    let mut query = QueryBuilder::new("select exists (select 1 from cost.site_day");
    push_filter(&mut query, Table::SiteDay, filter);
    query.push(" and sandbox)");
    query.build_query_scalar().fetch_one(tx).await
}

/// The last day with data in a source.
pub async fn last_day(tx: &mut PgConnection, filter: &Filter) -> Result<Option<NaiveDate>, sqlx::Error> {
    let mut query = QueryBuilder::new("select max(day) from cost.site_day");
    push_filter(&mut query, Table::SiteDay, filter);
    query.build_query_scalar().fetch_one(tx).await
}

/// One export row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub day: NaiveDate,
    pub tenant_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub provider: String,
    pub region: String,
    pub resource_type: String,
    pub service: String,
    pub resource_id: String,
    pub source: String,
    pub granularity: String,
    pub amount_micros: i64,
    pub currency: String,
    pub sandbox: bool,
}

/// The raw records a filter matches (every source), oldest first, as a query to stream.
pub fn export_query(filter: &Filter) -> QueryBuilder<'static, Postgres> {
    let mut query = QueryBuilder::new(
        "select day, tenant_id, site_id, provider, region, resource_type, service, resource_id, source, granularity,
                amount_micros, currency, sandbox
           from cost.record",
    );
    push_conditions(&mut query, "day", filter);
    query.push(" order by day, account, resource_id, source");
    query
}

/// One customer's cost in one month.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MonthlyRow {
    pub tenant_id: Uuid,
    pub month: NaiveDate,
    pub accrued: i64,
    pub invoiced: i64,
}

/// Customers' monthly costs, by month then customer, offset-paged.
pub async fn customer_months(
    tx: &mut PgConnection,
    tenant: Option<Uuid>,
    start: NaiveDate,
    end: NaiveDate,
    offset: i64,
    limit: i64,
) -> Result<Vec<MonthlyRow>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, month,
                coalesce(sum(micros) filter (where source = 'accrued'), 0)::bigint as accrued,
                coalesce(sum(micros) filter (where source = 'invoiced'), 0)::bigint as invoiced
           from cost.tenant_month
          where tenant_id is not null and month between $1 and $2 and ($3::uuid is null or tenant_id = $3)
          group by tenant_id, month
          order by month, tenant_id
         offset $4 limit $5",
    )
    .bind(start)
    .bind(end)
    .bind(tenant)
    .bind(offset)
    .bind(limit)
    .fetch_all(tx)
    .await
}

// ---------------------------------------------------------------------------------
// Collection: records and rollups

/// A record as the collection job stores it.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub tenant_id: Option<Uuid>,
    pub site_id: Option<Uuid>,
    pub account: String,
    pub provider: String,
    pub resource_id: String,
    pub service: String,
    pub resource_type: String,
    pub region: String,
    pub day: NaiveDate,
    pub granularity: String,
    pub source: String,
    pub amount_micros: i64,
    pub currency: String,
    pub sandbox: bool,
}

/// Upserts records by (account, resource, day, source); returns how many were
/// inserted or changed (an unchanged restatement writes nothing).
pub async fn upsert_records(
    tx: &mut PgConnection,
    records: &[NewRecord],
    now: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    let mut written = 0;
    for chunk in records.chunks(1000) {
        let mut query = QueryBuilder::new(
            "insert into cost.record (tenant_id, site_id, account, provider, resource_id, service, resource_type,
                                      region, day, granularity, source, amount_micros, currency, sandbox, collected_at) ",
        );
        query.push_values(chunk, |mut row, record| {
            row.push_bind(record.tenant_id)
                .push_bind(record.site_id)
                .push_bind(record.account.clone())
                .push_bind(record.provider.clone())
                .push_bind(record.resource_id.clone())
                .push_bind(record.service.clone())
                .push_bind(record.resource_type.clone())
                .push_bind(record.region.clone())
                .push_bind(record.day)
                .push_bind(record.granularity.clone())
                .push_bind(record.source.clone())
                .push_bind(record.amount_micros)
                .push_bind(record.currency.clone())
                .push_bind(record.sandbox)
                .push_bind(now);
        });
        query.push(
            " on conflict (account, resource_id, day, source) do update
                 set tenant_id = excluded.tenant_id, site_id = excluded.site_id, service = excluded.service,
                     resource_type = excluded.resource_type, region = excluded.region,
                     granularity = excluded.granularity, amount_micros = excluded.amount_micros,
                     currency = excluded.currency, sandbox = excluded.sandbox, collected_at = excluded.collected_at
               where (cost.record.amount_micros, cost.record.currency, cost.record.tenant_id, cost.record.site_id)
                     is distinct from (excluded.amount_micros, excluded.currency, excluded.tenant_id, excluded.site_id)",
        );
        written += query.build().execute(&mut *tx).await?.rows_affected();
    }
    Ok(written)
}

/// Rebuilds the rollups of the days `start..=end` (and their months) from the
/// records, in the reporting `currency`.
pub async fn rebuild_rollups(
    tx: &mut PgConnection,
    start: NaiveDate,
    end: NaiveDate,
    currency: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from cost.site_day where day between $1 and $2")
        .bind(start)
        .bind(end)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into cost.site_day (tenant_id, site_id, day, provider, region, resource_type, source, sandbox, micros)
         select tenant_id, site_id, day, provider, region, resource_type, source, sandbox, sum(amount_micros)
           from cost.record
          where day between $1 and $2 and currency = $3
          group by tenant_id, site_id, day, provider, region, resource_type, source, sandbox",
    )
    .bind(start)
    .bind(end)
    .bind(currency)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "delete from cost.tenant_month
          where month between date_trunc('month', $1::date)::date and date_trunc('month', $2::date)::date",
    )
    .bind(start)
    .bind(end)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into cost.tenant_month (tenant_id, month, provider, region, resource_type, source, sandbox, micros)
         select tenant_id, date_trunc('month', day)::date, provider, region, resource_type, source, sandbox, sum(micros)
           from cost.site_day
          where day between date_trunc('month', $1::date)::date
                        and (date_trunc('month', $2::date) + interval '1 month - 1 day')::date
          group by tenant_id, date_trunc('month', day)::date, provider, region, resource_type, source, sandbox",
    )
    .bind(start)
    .bind(end)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sites by id, across customers (the collection job attributes records).
pub async fn all_sites(tx: &mut PgConnection) -> Result<Vec<SiteRow>, sqlx::Error> {
    sqlx::query_as("select * from cost.site order by tenant_id, site_id").fetch_all(tx).await
}

/// A sandbox site and its latest estimate's lines.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SandboxSiteRow {
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub region: String,
    pub provider: String,
    pub first_seen: NaiveDate,
    pub lines: sqlx::types::Json<Vec<crate::estimate::Line>>,
}

/// Live sandbox sites with their latest estimate.
pub async fn sandbox_sites(tx: &mut PgConnection) -> Result<Vec<SandboxSiteRow>, sqlx::Error> {
    sqlx::query_as(
        "select s.tenant_id, s.site_id, s.region, s.provider, s.first_seen, latest.lines
           from cost.site s
           join lateral (select e.lines, e.sandbox from cost.estimate e
                          where e.tenant_id = s.tenant_id and e.site_id = s.site_id
                          order by e.created_at desc limit 1) latest on latest.sandbox
          where not s.deleted",
    )
    .fetch_all(tx)
    .await
}

/// Whether a live sandbox site has no record from `account` yet (it needs its backfill).
pub async fn sandbox_sites_without_costs(tx: &mut PgConnection, account: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (
            select 1 from cost.site s
             where not s.deleted
               and (select e.sandbox from cost.estimate e where e.tenant_id = s.tenant_id and e.site_id = s.site_id
                     order by e.created_at desc limit 1)
               and not exists (select 1 from cost.record r
                                where r.account = $1 and r.tenant_id = s.tenant_id and r.site_id = s.site_id))",
    )
    .bind(account)
    .fetch_one(tx)
    .await
}

// ---------------------------------------------------------------------------------
// Collection runs and account status

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RunRow {
    pub id: Uuid,
    pub account: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub state: String,
    pub attempts: i32,
    pub records_written: i64,
    pub error: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
}

/// Queues a run, or returns the one already queued or running for the same days.
pub async fn queue_run(
    tx: &mut PgConnection,
    account: &str,
    start: NaiveDate,
    end: NaiveDate,
    now: DateTime<Utc>,
) -> Result<RunRow, sqlx::Error> {
    let inserted: Option<RunRow> = sqlx::query_as(
        "insert into cost.collection_run (id, account, start_date, end_date, state, created_at, next_attempt_at)
              values ($1, $2, $3, $4, 'queued', $5, $5)
         on conflict (account, start_date, end_date) where state in ('queued', 'running') do nothing
         returning id, account, start_date, end_date, state, attempts, records_written, error, created_at,
                   finished_at, next_attempt_at",
    )
    .bind(Uuid::now_v7())
    .bind(account)
    .bind(start)
    .bind(end)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    match inserted {
        Some(run) => Ok(run),
        None => {
            sqlx::query_as(
                "select id, account, start_date, end_date, state, attempts, records_written, error, created_at,
                        finished_at, next_attempt_at
                   from cost.collection_run
                  where account = $1 and start_date = $2 and end_date = $3 and state in ('queued', 'running')",
            )
            .bind(account)
            .bind(start)
            .bind(end)
            .fetch_one(tx)
            .await
        }
    }
}

/// Forgets finished runs that ended before `before` (the sandbox alone queues one every
/// few seconds).
pub async fn purge_runs(tx: &mut PgConnection, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let purged =
        sqlx::query("delete from cost.collection_run where state in ('succeeded', 'failed') and finished_at < $1")
            .bind(before)
            .execute(tx)
            .await?;
    Ok(purged.rows_affected())
}

/// When the account's latest run was queued.
pub async fn last_queued(tx: &mut PgConnection, account: &str) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar("select max(created_at) from cost.collection_run where account = $1")
        .bind(account)
        .fetch_one(tx)
        .await
}

/// Claims the next due run under a lease (SKIP LOCKED: replicas take different runs).
pub async fn claim_run(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> Result<Option<RunRow>, sqlx::Error> {
    sqlx::query_as(
        "update cost.collection_run set state = 'running', attempts = attempts + 1, lease_until = $2
          where id = (select id from cost.collection_run
                       where (state = 'queued' and next_attempt_at <= $1)
                          or (state = 'running' and lease_until < $1)
                       order by next_attempt_at
                       for update skip locked limit 1)
         returning id, account, start_date, end_date, state, attempts, records_written, error, created_at,
                   finished_at, next_attempt_at",
    )
    .bind(now)
    .bind(lease_until)
    .fetch_optional(tx)
    .await
}

/// Ends a run: succeeded, failed, or queued again for `retry_at`.
pub async fn finish_run(
    tx: &mut PgConnection,
    id: Uuid,
    state: &str,
    records_written: i64,
    error: &str,
    now: DateTime<Utc>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update cost.collection_run
            set state = $2, records_written = $3, error = $4, lease_until = null,
                finished_at = case when $2 in ('succeeded', 'failed') then $5 end,
                next_attempt_at = coalesce($6, next_attempt_at)
          where id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(records_written)
    .bind(error)
    .bind(now)
    .bind(retry_at)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn list_runs(
    tx: &mut PgConnection,
    account: Option<&str>,
    offset: i64,
    limit: i64,
) -> Result<Vec<RunRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, account, start_date, end_date, state, attempts, records_written, error, created_at,
                finished_at, next_attempt_at
           from cost.collection_run
          where ($1::text is null or account = $1)
          order by created_at desc, id desc
         offset $2 limit $3",
    )
    .bind(account)
    .bind(offset)
    .bind(limit)
    .fetch_all(tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountStatusRow {
    pub account: String,
    pub status: String,
    pub message: String,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_attempt_at: DateTime<Utc>,
}

pub async fn set_account_status(
    tx: &mut PgConnection,
    account: &str,
    status: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into cost.account_status (account, status, message, last_success_at, last_attempt_at)
              values ($1, $2, $3, case when $2 = 'ok' then $4 end, $4)
         on conflict (account) do update
               set status = excluded.status, message = excluded.message, last_attempt_at = excluded.last_attempt_at,
                   last_success_at = coalesce(excluded.last_success_at, cost.account_status.last_success_at)",
    )
    .bind(account)
    .bind(status)
    .bind(message)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn account_statuses(tx: &mut PgConnection) -> Result<Vec<AccountStatusRow>, sqlx::Error> {
    sqlx::query_as("select * from cost.account_status").fetch_all(tx).await
}

pub async fn account_record_counts(tx: &mut PgConnection) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as("select account, count(*) from cost.record group by account").fetch_all(tx).await
}

// ---------------------------------------------------------------------------------
// Budgets

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BudgetRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub site_id: Option<Uuid>,
    pub currency: String,
    pub amount_minor: i64,
    pub thresholds: sqlx::types::Json<Vec<crate::budget::Threshold>>,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status_month: Option<NaiveDate>,
    pub actual_micros: i64,
    pub forecast_micros: Option<i64>,
    pub evaluated_at: Option<DateTime<Utc>>,
}

/// A budget's definition as written.
#[derive(Debug, Clone)]
pub struct BudgetDefinition {
    pub name: String,
    pub site_id: Option<Uuid>,
    pub currency: String,
    pub amount_minor: i64,
    pub thresholds: Vec<crate::budget::Threshold>,
}

pub async fn insert_budget(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    definition: &BudgetDefinition,
    now: DateTime<Utc>,
) -> Result<BudgetRow, sqlx::Error> {
    sqlx::query_as(
        "insert into cost.budget (tenant_id, id, name, site_id, currency, amount_minor, thresholds, created_at, updated_at)
              values ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         returning *",
    )
    .bind(tenant_id)
    .bind(Uuid::now_v7())
    .bind(&definition.name)
    .bind(definition.site_id)
    .bind(&definition.currency)
    .bind(definition.amount_minor)
    .bind(sqlx::types::Json(&definition.thresholds))
    .bind(now)
    .fetch_one(tx)
    .await
}

/// Replaces a definition when `revision` is current; `None` when it is not (or the
/// budget is gone).
pub async fn update_budget(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    revision: i64,
    definition: &BudgetDefinition,
    now: DateTime<Utc>,
) -> Result<Option<BudgetRow>, sqlx::Error> {
    sqlx::query_as(
        "update cost.budget
            set name = $4, site_id = $5, currency = $6, amount_minor = $7, thresholds = $8, updated_at = $9,
                revision = revision + 1
          where tenant_id = $1 and id = $2 and revision = $3
         returning *",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(revision)
    .bind(&definition.name)
    .bind(definition.site_id)
    .bind(&definition.currency)
    .bind(definition.amount_minor)
    .bind(sqlx::types::Json(&definition.thresholds))
    .bind(now)
    .fetch_optional(tx)
    .await
}

pub async fn budget(tx: &mut PgConnection, tenant_id: Uuid, id: Uuid) -> Result<Option<BudgetRow>, sqlx::Error> {
    sqlx::query_as("select * from cost.budget where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(tx)
        .await
}

pub async fn delete_budget(tx: &mut PgConnection, tenant_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("delete from cost.budget where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(tx)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

pub async fn list_budgets(
    tx: &mut PgConnection,
    tenant: Option<Uuid>,
    site: Option<Uuid>,
    offset: i64,
    limit: i64,
) -> Result<Vec<BudgetRow>, sqlx::Error> {
    sqlx::query_as(
        "select * from cost.budget
          where ($1::uuid is null or tenant_id = $1) and ($2::uuid is null or site_id = $2)
          order by name, tenant_id, id
         offset $3 limit $4",
    )
    .bind(tenant)
    .bind(site)
    .bind(offset)
    .bind(limit)
    .fetch_all(tx)
    .await
}

/// Every budget, for the evaluation pass.
pub async fn all_budgets(tx: &mut PgConnection) -> Result<Vec<BudgetRow>, sqlx::Error> {
    sqlx::query_as("select * from cost.budget order by tenant_id, id").fetch_all(tx).await
}

pub async fn set_budget_status(
    tx: &mut PgConnection,
    budget: &BudgetRow,
    month: NaiveDate,
    actual: i64,
    forecast: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update cost.budget set status_month = $3, actual_micros = $4, forecast_micros = $5, evaluated_at = $6
          where tenant_id = $1 and id = $2",
    )
    .bind(budget.tenant_id)
    .bind(budget.id)
    .bind(month)
    .bind(actual)
    .bind(forecast)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a threshold firing; false when it already fired this month.
#[allow(clippy::too_many_arguments)]
pub async fn fire(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    budget_id: Uuid,
    month: NaiveDate,
    basis: &str,
    percent: i32,
    observed: i64,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into cost.budget_fire (tenant_id, budget_id, month, basis, percent, fired_at, observed_micros)
              values ($1, $2, $3, $4, $5, $6, $7)
         on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(budget_id)
    .bind(month)
    .bind(basis)
    .bind(percent)
    .bind(now)
    .bind(observed)
    .execute(tx)
    .await?;
    Ok(inserted.rows_affected() > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FireRow {
    pub budget_id: Uuid,
    pub basis: String,
    pub percent: i32,
    pub fired_at: DateTime<Utc>,
    pub observed_micros: i64,
}

/// Thresholds fired in `month` for the budgets given.
pub async fn fires(tx: &mut PgConnection, budgets: &[Uuid], month: NaiveDate) -> Result<Vec<FireRow>, sqlx::Error> {
    sqlx::query_as(
        "select budget_id, basis, percent, fired_at, observed_micros from cost.budget_fire
          where budget_id = any($1) and month = $2 order by fired_at, basis, percent",
    )
    .bind(budgets)
    .bind(month)
    .fetch_all(tx)
    .await
}

/// Daily accrued micros of a tenant (or one site) over a range, for budgets and forecasts.
pub async fn daily(tx: &mut PgConnection, filter: &Filter) -> Result<Vec<(NaiveDate, i64)>, sqlx::Error> {
    period_totals(tx, Table::SiteDay, filter, false).await
}

/// A JSON value's text for the site name in a plan's variables.
pub fn plan_site_name(plan: &Value) -> String {
    plan.pointer("/variables/name/value").and_then(Value::as_str).unwrap_or_default().to_owned()
}
