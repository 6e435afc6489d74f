//! `identity.recovery_code`: MFA recovery codes, stored as digests, each usable once.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Tx;

/// Replaces the user's codes with these digests.
pub async fn replace(
    tx: &mut Tx,
    tenant_id: Option<Uuid>,
    user_id: Uuid,
    digests: &[[u8; 32]],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    delete_all(tx, user_id).await?;
    for digest in digests {
        sqlx::query(
            "insert into identity.recovery_code (id, tenant_id, user_id, code_hash, created_at)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(Uuid::now_v7())
        .bind(tenant_id)
        .bind(user_id)
        .bind(digest.as_slice())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Spends the code with this digest; false when unknown or already used.
pub async fn consume(tx: &mut Tx, user_id: Uuid, digest: &[u8; 32], now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "update identity.recovery_code set used_at = $3
          where user_id = $1 and code_hash = $2 and used_at is null",
    )
    .bind(user_id)
    .bind(digest.as_slice())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// How many unused codes the user has left.
pub async fn remaining(tx: &mut Tx, user_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from identity.recovery_code where user_id = $1 and used_at is null")
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await
}

pub async fn delete_all(tx: &mut Tx, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("delete from identity.recovery_code where user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}
