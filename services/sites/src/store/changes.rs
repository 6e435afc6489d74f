//! `sites.site_change`: the idempotency record of each site change, so a retried
//! request answers with the change it already made.

use sqlx::PgConnection;
use uuid::Uuid;

/// A recorded idempotent change: (operation, site, deployment).
pub async fn change_by_key(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    key: &str,
) -> Result<Option<(String, Uuid, Option<Uuid>)>, sqlx::Error> {
    sqlx::query_as(
        "select operation, site_id, deployment_id from sites.site_change where tenant_id = $1 and idempotency_key = $2",
    )
    .bind(tenant_id)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await
}

pub async fn record_change(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    key: &str,
    operation: &str,
    site_id: Uuid,
    deployment_id: Option<Uuid>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into sites.site_change (tenant_id, idempotency_key, operation, site_id, deployment_id)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(key)
    .bind(operation)
    .bind(site_id)
    .bind(deployment_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
