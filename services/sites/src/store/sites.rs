//! `sites.site`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use crate::domain::lifecycle::SiteStatus;

/// A site row.
#[derive(Debug, Clone, FromRow)]
pub struct SiteRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub provider: String,
    pub region: String,
    pub size: String,
    pub database_enabled: bool,
    pub storage_enabled: bool,
    pub runtime: serde_json::Value,
    pub labels: serde_json::Value,
    pub status: SiteStatus,
    pub sandbox: bool,
    pub outputs: serde_json::Value,
    pub active_deployment_id: Option<Uuid>,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub delete_time: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "tenant_id, id, name, provider, region, size, database_enabled, storage_enabled, runtime, labels,
    status, sandbox, outputs, active_deployment_id, create_time, update_time, delete_time";

pub async fn insert_site(tx: &mut PgConnection, site: &SiteRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sites.site (tenant_id, id, name, provider, region, size, database_enabled, storage_enabled,
            runtime, labels, status, sandbox, active_deployment_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(site.tenant_id)
    .bind(site.id)
    .bind(&site.name)
    .bind(&site.provider)
    .bind(&site.region)
    .bind(&site.size)
    .bind(site.database_enabled)
    .bind(site.storage_enabled)
    .bind(&site.runtime)
    .bind(&site.labels)
    .bind(site.status)
    .bind(site.sandbox)
    .bind(site.active_deployment_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The site; `lock` takes a row lock so concurrent changes to one site serialise.
pub async fn site(tx: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<SiteRow>, sqlx::Error> {
    let suffix = if lock { " for update" } else { "" };
    sqlx::query_as(&format!("select {COLUMNS} from sites.site where id = $1{suffix}"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Filters of `ListSites`.
#[derive(Debug, Default)]
pub struct SiteFilter {
    pub provider: Option<String>,
    pub status: Option<SiteStatus>,
    pub search: Option<String>,
    pub labels: serde_json::Value,
    pub include_deleted: bool,
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

pub async fn list_sites(tx: &mut PgConnection, filter: &SiteFilter) -> Result<Vec<SiteRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from sites.site
          where ($1::text is null or provider = $1)
            and ($2::text is null or status = $2)
            and ($3::text is null or name like '%' || $3 || '%')
            and labels @> $4
            and ($5 or status <> 'deleted')
            and ($6::timestamptz is null or (create_time, id) < ($6, $7))
          order by create_time desc, id desc
          limit $8"
    ))
    .bind(filter.provider.as_deref())
    .bind(filter.status)
    .bind(filter.search.as_deref())
    .bind(&filter.labels)
    .bind(filter.include_deleted)
    .bind(filter.after.map(|(t, _)| t))
    .bind(filter.after.map(|(_, id)| id))
    .bind(filter.limit)
    .fetch_all(&mut *tx)
    .await
}

/// How many sites that are not deleted are in each status (statuses with none are
/// absent), in the caller's scope: one tenant's, or every tenant's under
/// `Scope::Platform`. Served by the `site_live_status` index without reading the table.
pub async fn count_live_sites(tx: &mut PgConnection) -> Result<Vec<(SiteStatus, i64)>, sqlx::Error> {
    sqlx::query_as(
        "select status, count(*) as sites from sites.site
          where status <> 'deleted'
          group by status",
    )
    .fetch_all(&mut *tx)
    .await
}

/// The names of sites given as `(tenant_id, id)`, by id; sites the caller's scope
/// does not see are absent. The tenant ids let the primary key find each row.
pub async fn site_names(tx: &mut PgConnection, sites: &[(Uuid, Uuid)]) -> Result<HashMap<Uuid, String>, sqlx::Error> {
    let (tenants, ids): (Vec<Uuid>, Vec<Uuid>) = sites.iter().copied().unzip();
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "select s.id, s.name from sites.site s
           join unnest($1::uuid[], $2::uuid[]) as wanted (tenant_id, id)
             on s.tenant_id = wanted.tenant_id and s.id = wanted.id",
    )
    .bind(&tenants)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Sets a site's status and the deployment in progress.
pub async fn set_status(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    status: SiteStatus,
    active_deployment_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update sites.site set status = $3, active_deployment_id = $4, update_time = now(),
            delete_time = case when $3 = 'deleted' then now() else delete_time end
          where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(status)
    .bind(active_deployment_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Applies a finished deployment: status, outputs (when it produced any), no
/// deployment in progress — unless a newer deployment has started meanwhile.
pub async fn apply_outcome(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    id: Uuid,
    deployment_id: Uuid,
    status: SiteStatus,
    outputs: Option<&serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update sites.site set status = $4, outputs = coalesce($5, outputs), active_deployment_id = null,
            update_time = $6, delete_time = case when $4 = 'deleted' then $6 else delete_time end
          where tenant_id = $1 and id = $2 and active_deployment_id = $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(deployment_id)
    .bind(status)
    .bind(outputs)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn update_config(tx: &mut PgConnection, site: &SiteRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update sites.site set size = $3, database_enabled = $4, storage_enabled = $5, runtime = $6, labels = $7,
            update_time = now() where tenant_id = $1 and id = $2",
    )
    .bind(site.tenant_id)
    .bind(site.id)
    .bind(&site.size)
    .bind(site.database_enabled)
    .bind(site.storage_enabled)
    .bind(&site.runtime)
    .bind(&site.labels)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Deletes sites deleted before `cutoff` (the retention window); returns their ids.
pub async fn purge_deleted(tx: &mut PgConnection, cutoff: DateTime<Utc>) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar("delete from sites.site where status = 'deleted' and delete_time < $1 returning id")
        .bind(cutoff)
        .fetch_all(&mut *tx)
        .await
}
