//! `identity.security_event`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Tx;

/// A row to append.
pub struct NewEvent<'a> {
    pub tenant_id: Option<Uuid>,
    pub occurred_at: DateTime<Utc>,
    pub kind: &'a str,
    pub subject_user_id: Option<Uuid>,
    pub actor: &'a str,
    pub source_address: Option<&'a str>,
    pub details: &'a serde_json::Value,
}

pub async fn insert(tx: &mut Tx, event: &NewEvent<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into identity.security_event
           (id, tenant_id, occurred_at, kind, subject_user_id, actor, source_address, details)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::now_v7())
    .bind(event.tenant_id)
    .bind(event.occurred_at)
    .bind(event.kind)
    .bind(event.subject_user_id)
    .bind(event.actor)
    .bind(event.source_address)
    .bind(event.details)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}
