//! `identity.signing_key`: the platform's token-signing keys (no tenant).

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::Tx;

#[derive(Debug, Clone, FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub algorithm: String,
    pub public_key: Vec<u8>,
    pub private_key_sealed: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub activated_at: Option<DateTime<Utc>>,
    pub retired_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "kid, algorithm, public_key, private_key_sealed, created_at, activated_at, retired_at";

/// Serialises key creation and rotation across replicas for the transaction.
pub async fn lock_keys(tx: &mut Tx) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('canopy.identity.signing_key'))")
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// The key that signs.
pub async fn active(tx: &mut Tx) -> Result<Option<SigningKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from identity.signing_key where activated_at is not null and retired_at is null"
    ))
    .fetch_optional(&mut **tx)
    .await
}

/// The key that will sign after the next rotation.
pub async fn next(tx: &mut Tx) -> Result<Option<SigningKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from identity.signing_key where activated_at is null"))
        .fetch_optional(&mut **tx)
        .await
}

/// The next and active keys and every key retired after `retired_after`, newest first.
pub async fn published(tx: &mut Tx, retired_after: DateTime<Utc>) -> Result<Vec<SigningKeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from identity.signing_key
          where retired_at is null or retired_at > $1
          order by created_at desc"
    ))
    .bind(retired_after)
    .fetch_all(&mut **tx)
    .await
}

pub async fn retire_active(tx: &mut Tx, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("update identity.signing_key set retired_at = $1 where activated_at is not null and retired_at is null")
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn activate(tx: &mut Tx, kid: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("update identity.signing_key set activated_at = $2 where kid = $1")
        .bind(kid)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

pub async fn insert(tx: &mut Tx, key: &SigningKeyRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into identity.signing_key
           (kid, algorithm, public_key, private_key_sealed, created_at, activated_at, retired_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&key.kid)
    .bind(&key.algorithm)
    .bind(&key.public_key)
    .bind(&key.private_key_sealed)
    .bind(key.created_at)
    .bind(key.activated_at)
    .bind(key.retired_at)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}
