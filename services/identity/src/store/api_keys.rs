//! `identity.api_key`.

use chrono::{DateTime, Duration, Utc};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::Tx;
use canopy_kit::paging::PageCursor;

#[derive(Debug, Clone, FromRow)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub name: String,
    pub prefix: String,
    pub role: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expire_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, tenant_id, name, prefix, role, scopes, created_at, expire_at, revoked_at, last_used_at";

pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a [u8; 32],
    pub role: &'a str,
    pub scopes: &'a [String],
    pub created_by: Option<Uuid>,
    pub expire_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, key: &NewApiKey<'_>) -> Result<ApiKeyRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "insert into identity.api_key (id, tenant_id, name, prefix, secret_hash, role, scopes, created_by, created_at, expire_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning {COLUMNS}"
    ))
    .bind(key.id)
    .bind(key.tenant_id)
    .bind(key.name)
    .bind(key.prefix)
    .bind(key.secret_hash.as_slice())
    .bind(key.role)
    .bind(key.scopes)
    .bind(key.created_by)
    .bind(key.now)
    .bind(key.expire_at)
    .fetch_one(&mut **tx)
    .await
}

/// The key with this secret digest (platform scope: a system lookup).
pub async fn find_by_secret_hash(tx: &mut Tx, secret_hash: &[u8; 32]) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from identity.api_key where secret_hash = $1"))
        .bind(secret_hash.as_slice())
        .fetch_optional(&mut **tx)
        .await
}

/// Notes a use, at most once a minute per key so hot keys do not write on every
/// call; true when it wrote.
pub async fn touch(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "update identity.api_key set last_used_at = $2
          where id = $1 and (last_used_at is null or last_used_at <= $3)",
    )
    .bind(id)
    .bind(now)
    .bind(now - Duration::minutes(1))
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Revokes the key (keeping the first revocation time); `None` when not visible.
pub async fn revoke(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<Option<ApiKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "update identity.api_key set revoked_at = coalesce(revoked_at, $2) where id = $1 returning {COLUMNS}"
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}

/// One page of keys visible in the scope, newest first, and the total.
pub async fn list(
    tx: &mut Tx,
    include_inactive: bool,
    now: DateTime<Utc>,
    size: i64,
    after: Option<PageCursor>,
) -> Result<(Vec<ApiKeyRow>, i64), sqlx::Error> {
    let push_filter = |query: &mut QueryBuilder<'_, sqlx::Postgres>| {
        query.push(" where true");
        if !include_inactive {
            query.push(" and revoked_at is null and (expire_at is null or expire_at > ").push_bind(now).push(")");
        }
    };
    let mut count = QueryBuilder::new("select count(*) from identity.api_key");
    push_filter(&mut count);
    let total: i64 = count.build_query_scalar().fetch_one(&mut **tx).await?;

    let mut query = QueryBuilder::new(format!("select {COLUMNS} from identity.api_key"));
    push_filter(&mut query);
    if let Some(PageCursor { time, id }) = after {
        query.push(" and (created_at, id) < (").push_bind(time).push(", ").push_bind(id).push(")");
    }
    query.push(" order by created_at desc, id desc limit ").push_bind(size);
    let rows = query.build_query_as().fetch_all(&mut **tx).await?;
    Ok((rows, total))
}
