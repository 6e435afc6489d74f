//! The mail outbox, `tenancy.outbound_email`: queued in the transaction that decides
//! to send, claimed and marked by the sender loop. Customers' mail carries their
//! tenant id (so it goes out under their white-label sender name); platform mail from
//! other services has none.

use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A queued email.
#[derive(Debug, Clone, FromRow)]
pub struct EmailRow {
    pub tenant_id: Option<Uuid>,
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
}

pub async fn enqueue_email(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    recipient: &str,
    subject: &str,
    body: &str,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into tenancy.outbound_email (tenant_id, id, recipient, subject, body) values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(recipient)
    .bind(subject)
    .bind(body)
    .execute(&mut *tx)
    .await?;
    Ok(id)
}

/// Queues a notification from another service for each recipient, unless that
/// recipient already has `dedup_key` (a retried request). Returns how many it queued.
pub async fn enqueue_notification(
    tx: &mut PgConnection,
    tenant_id: Option<Uuid>,
    dedup_key: &str,
    recipients: &[String],
    subject: &str,
    body: &str,
) -> Result<u64, sqlx::Error> {
    let mut queued = 0;
    for recipient in recipients {
        queued += sqlx::query(
            "insert into tenancy.outbound_email (tenant_id, id, recipient, subject, body, dedup_key)
             values ($1, $2, $3, $4, $5, $6)
             on conflict (dedup_key, recipient) where dedup_key is not null do nothing",
        )
        .bind(tenant_id)
        .bind(Uuid::now_v7())
        .bind(recipient)
        .bind(subject)
        .bind(body)
        .bind(dedup_key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    Ok(queued)
}

/// Emails due for a (re)try, claimed so concurrent senders never send one twice.
pub async fn claim_due_emails(tx: &mut PgConnection, limit: i64) -> Result<Vec<EmailRow>, sqlx::Error> {
    sqlx::query_as(
        "select tenant_id, id, recipient, subject, body, attempts from tenancy.outbound_email
          where sent_time is null and next_attempt_time <= now() and attempts < 10
          order by next_attempt_time limit $1 for update skip locked",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

pub async fn mark_email(tx: &mut PgConnection, email: &EmailRow, error: Option<&str>) -> Result<(), sqlx::Error> {
    match error {
        None => {
            sqlx::query("update tenancy.outbound_email set sent_time = now(), attempts = attempts + 1 where id = $1")
                .bind(email.id)
                .execute(&mut *tx)
                .await?;
        }
        Some(error) => {
            // Exponential back-off: 10 s, 20 s, 40 s … capped at an hour.
            let delay = (10i64 << email.attempts.clamp(0, 9)).min(3600);
            sqlx::query(
                "update tenancy.outbound_email set attempts = attempts + 1, last_error = $2,
                    next_attempt_time = now() + make_interval(secs => $3) where id = $1",
            )
            .bind(email.id)
            .bind(error)
            .bind(delay as f64)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}
