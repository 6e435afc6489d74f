//! SQL of the commerce schema. Every function runs inside a transaction the caller
//! scoped: a tenant's for its own integrations, the platform's for the health worker.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A stored integration (the sealed credentials stay bytes here).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IntegrationRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub site_id: Uuid,
    pub platform: String,
    pub display_name: String,
    pub store: String,
    pub store_name: String,
    pub credentials: Vec<u8>,
    pub credential_hints: serde_json::Value,
    pub health: String,
    pub cause: String,
    pub message: String,
    pub last_check_at: Option<DateTime<Utc>>,
    pub next_check_at: DateTime<Utc>,
    pub revision: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "tenant_id, id, site_id, platform, display_name, store, store_name, credentials,
    credential_hints, health, cause, message, last_check_at, next_check_at, revision, created_at, updated_at";

/// What a new integration starts with.
pub struct NewIntegration<'a> {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub site_id: Uuid,
    pub platform: &'a str,
    pub display_name: &'a str,
    pub store: &'a str,
    pub credentials: &'a [u8],
    pub credential_hints: &'a serde_json::Value,
    pub now: DateTime<Utc>,
}

pub async fn insert_integration(tx: &mut PgConnection, new: &NewIntegration<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into commerce.integration (tenant_id, id, site_id, platform, display_name, store, credentials,
             credential_hints, next_check_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9)",
    )
    .bind(new.tenant_id)
    .bind(new.id)
    .bind(new.site_id)
    .bind(new.platform)
    .bind(new.display_name)
    .bind(new.store)
    .bind(new.credentials)
    .bind(new.credential_hints)
    .bind(new.now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The integration; `lock` serialises concurrent changes to it.
pub async fn integration(
    tx: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    lock: bool,
) -> Result<Option<IntegrationRow>, sqlx::Error> {
    let suffix = if lock { " for update" } else { "" };
    sqlx::query_as(&format!("select {COLUMNS} from commerce.integration where tenant_id = $1 and id = $2{suffix}"))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

/// Filters of `ListIntegrations`.
#[derive(Debug, Default)]
pub struct IntegrationFilter {
    pub tenant: Option<Uuid>,
    pub site: Option<Uuid>,
    pub platform: Option<&'static str>,
    pub health: Option<&'static str>,
}

/// One page, newest first.
pub async fn list_integrations(
    tx: &mut PgConnection,
    filter: &IntegrationFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<IntegrationRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from commerce.integration
          where ($1::uuid is null or tenant_id = $1)
            and ($2::uuid is null or site_id = $2)
            and ($3::text is null or platform = $3)
            and ($4::text is null or health = $4)
          order by created_at desc, id desc
          offset $5 limit $6"
    ))
    .bind(filter.tenant)
    .bind(filter.site)
    .bind(filter.platform)
    .bind(filter.health)
    .bind(offset)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// A name change and/or new sealed credentials; `None` when `revision` is stale.
#[allow(clippy::too_many_arguments)]
pub async fn update_integration(
    tx: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    revision: i64,
    display_name: Option<&str>,
    credentials: Option<(&[u8], &serde_json::Value)>,
    now: DateTime<Utc>,
) -> Result<Option<IntegrationRow>, sqlx::Error> {
    let (sealed, hints) = match credentials {
        Some((sealed, hints)) => (Some(sealed), Some(hints)),
        None => (None, None),
    };
    sqlx::query_as(&format!(
        "update commerce.integration
            set display_name = coalesce($4, display_name),
                credentials = coalesce($5, credentials),
                credential_hints = coalesce($6, credential_hints),
                revision = revision + 1,
                updated_at = $7
          where tenant_id = $1 and id = $2 and revision = $3
          returning {COLUMNS}"
    ))
    .bind(tenant)
    .bind(id)
    .bind(revision)
    .bind(display_name)
    .bind(sealed)
    .bind(hints)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
}

pub async fn delete_integration(tx: &mut PgConnection, tenant: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    let deleted = sqlx::query("delete from commerce.integration where tenant_id = $1 and id = $2")
        .bind(tenant)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(deleted.rows_affected() > 0)
}

/// A check's outcome, as stored.
#[derive(Debug, Clone)]
pub struct CheckRecord<'a> {
    pub health: &'a str,
    pub cause: &'a str,
    pub message: &'a str,
    pub store_name: Option<&'a str>,
    pub trigger: &'a str,
    pub at: DateTime<Utc>,
    /// The next scheduled check.
    pub next_check_at: DateTime<Utc>,
    /// Rate limited: the health stays as it was, only the history and the schedule move.
    pub keep_health: bool,
}

/// Records a check on the integration and in its history; the integration as it was
/// before (to tell a change), `None` if it no longer exists.
pub async fn record_check(
    tx: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    check: &CheckRecord<'_>,
) -> Result<Option<IntegrationRow>, sqlx::Error> {
    let Some(before) = integration(tx, tenant, id, true).await? else {
        return Ok(None);
    };
    sqlx::query(
        "update commerce.integration
            set health = case when $3 then health else $4 end,
                cause = $5, message = $6,
                store_name = coalesce($7, store_name),
                last_check_at = $8, next_check_at = $9, check_lease_until = null
          where tenant_id = $1 and id = $2",
    )
    .bind(tenant)
    .bind(id)
    .bind(check.keep_health)
    .bind(check.health)
    .bind(check.cause)
    .bind(check.message)
    .bind(check.store_name)
    .bind(check.at)
    .bind(check.next_check_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into commerce.health_check (tenant_id, integration_id, id, checked_at, health, cause, message, trigger)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant)
    .bind(id)
    .bind(Uuid::now_v7())
    .bind(check.at)
    .bind(if check.keep_health { before.health.as_str() } else { check.health })
    .bind(check.cause)
    .bind(check.message)
    .bind(check.trigger)
    .execute(&mut *tx)
    .await?;
    Ok(Some(before))
}

/// One stored check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CheckRow {
    pub checked_at: DateTime<Utc>,
    pub health: String,
    pub cause: String,
    pub message: String,
    pub trigger: String,
}

pub async fn history(
    tx: &mut PgConnection,
    tenant: Uuid,
    id: Uuid,
    offset: i64,
    limit: i64,
) -> Result<Vec<CheckRow>, sqlx::Error> {
    sqlx::query_as(
        "select checked_at, health, cause, message, trigger from commerce.health_check
          where tenant_id = $1 and integration_id = $2
          order by checked_at desc, id desc offset $3 limit $4",
    )
    .bind(tenant)
    .bind(id)
    .bind(offset)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// A due check the worker holds until `lease_until`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueCheck {
    pub tenant_id: Uuid,
    pub id: Uuid,
}

/// Claims up to `limit` due checks (platform scope). Two workers never claim one.
pub async fn claim_due_checks(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueCheck>, sqlx::Error> {
    sqlx::query_as(
        "update commerce.integration i set check_lease_until = $2
           from (select tenant_id, id from commerce.integration
                  where next_check_at <= $1 and (check_lease_until is null or check_lease_until < $1)
                  order by next_check_at limit $3 for update skip locked) due
          where i.tenant_id = due.tenant_id and i.id = due.id
          returning i.tenant_id, i.id",
    )
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// Forgets checks older than `cutoff` (platform scope).
pub async fn purge_history(tx: &mut PgConnection, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let purged =
        sqlx::query("delete from commerce.health_check where checked_at < $1").bind(cutoff).execute(&mut *tx).await?;
    Ok(purged.rows_affected())
}
