//! `identity.password_token`: invitation and reset tokens, stored as digests.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Tx;

/// Why a token was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    Reset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::Reset => "reset",
        }
    }
}

/// Stores a new token and withdraws the user's earlier unused ones (only the newest
/// link works).
pub async fn issue(
    tx: &mut Tx,
    tenant_id: Option<Uuid>,
    user_id: Uuid,
    purpose: Purpose,
    token_hash: &[u8; 32],
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from identity.password_token where user_id = $1 and used_at is null")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "insert into identity.password_token (id, tenant_id, user_id, purpose, token_hash, expires_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(token_hash.as_slice())
    .bind(expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Spends the token if it is unused and unexpired at `now`; returns its user.
pub async fn consume(tx: &mut Tx, token_hash: &[u8; 32], now: DateTime<Utc>) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "update identity.password_token set used_at = $2
          where token_hash = $1 and used_at is null and expires_at > $2
          returning user_id",
    )
    .bind(token_hash.as_slice())
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}

/// Withdraws every unused token of the user (after a password change).
pub async fn withdraw_unused(tx: &mut Tx, user_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("delete from identity.password_token where user_id = $1 and used_at is null")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The user of a token that is unused and unexpired at `now`, without spending it.
pub async fn peek(tx: &mut Tx, token_hash: &[u8; 32], now: DateTime<Utc>) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select user_id from identity.password_token
          where token_hash = $1 and used_at is null and expires_at > $2",
    )
    .bind(token_hash.as_slice())
    .bind(now)
    .fetch_optional(&mut **tx)
    .await
}
