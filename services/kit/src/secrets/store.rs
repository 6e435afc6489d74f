//! SQL on `<schema>.data_key` (see `data_key.sql`). Every function runs on the caller's
//! connection: a tenant-scoped transaction under RLS, a platform-scoped one, or the
//! owner pool.

use sqlx::PgConnection;
use uuid::Uuid;

/// A data key row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct StoredKey {
    pub version: i32,
    pub wrapped: Vec<u8>,
    pub kek_version: i32,
    pub retired: bool,
}

/// The newest live version of `tenant`'s data key, share-locked until the transaction
/// ends: retiring it (an update) waits for writers that may still seal under it.
pub(super) async fn current(
    conn: &mut PgConnection,
    schema: &str,
    tenant: Option<Uuid>,
) -> Result<Option<StoredKey>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select version, wrapped, kek_version, false as retired from {schema}.data_key
          where tenant_id is not distinct from $1 and retired_at is null
          order by version desc limit 1 for share"
    ))
    .bind(tenant)
    .fetch_optional(conn)
    .await
}

/// Version `version` of `tenant`'s data key, retired or not.
pub(super) async fn version(
    conn: &mut PgConnection,
    schema: &str,
    tenant: Option<Uuid>,
    version: u32,
) -> Result<Option<StoredKey>, sqlx::Error> {
    let Ok(version) = i32::try_from(version) else { return Ok(None) };
    sqlx::query_as(&format!(
        "select version, wrapped, kek_version, retired_at is not null as retired from {schema}.data_key
          where tenant_id is not distinct from $1 and version = $2"
    ))
    .bind(tenant)
    .bind(version)
    .fetch_optional(conn)
    .await
}

/// Inserts a version unless another writer got there first (then theirs stands).
pub(super) async fn insert(
    conn: &mut PgConnection,
    schema: &str,
    tenant: Option<Uuid>,
    version: i32,
    wrapped: &[u8],
    kek_version: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into {schema}.data_key (tenant_id, version, wrapped, kek_version) values ($1, $2, $3, $4)
         on conflict do nothing"
    ))
    .bind(tenant)
    .bind(version)
    .bind(wrapped)
    .bind(i32::try_from(kek_version).unwrap_or(i32::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

/// The highest version of `tenant`'s data key, retired or not (0 when none).
pub(super) async fn highest_version(
    conn: &mut PgConnection,
    schema: &str,
    tenant: Option<Uuid>,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select coalesce(max(version), 0) from {schema}.data_key where tenant_id is not distinct from $1"
    ))
    .bind(tenant)
    .fetch_one(conn)
    .await
}
