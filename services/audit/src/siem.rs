//! Streaming the trail to SIEM endpoints, per the Standard Webhooks specification.
//!
//! Each endpoint has a cursor over entry positions: a delivery pass first queues the
//! entries appended since (one `siem_delivery` row per entry), then POSTs every due
//! delivery. A failed attempt is retried on Standard Webhooks' suggested schedule
//! (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then every 10 h), always with the
//! same `webhook-id` (`msg_<entry id>`), so the receiver can drop a repeat.

use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::Audit;
use crate::api::event_json;
use crate::store::StoredEntry;
use canopy_kit::db::Scope;

/// Deliveries attempted per pass.
const PASS: i64 = 100;

/// The wait after the n-th failed attempt.
pub fn retry_delay(attempts: i32) -> chrono::Duration {
    const SCHEDULE_SECS: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
    let index = usize::try_from(attempts.max(1) - 1).unwrap_or(0).min(SCHEDULE_SECS.len() - 1);
    chrono::Duration::seconds(SCHEDULE_SECS[index])
}

/// Whether `url` may receive the trail: https (http only where allowed), a host, no
/// credentials in it.
pub fn check_url(url: &str, allow_insecure: bool) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("is required".into());
    }
    if url.len() > 2048 {
        return Err("must be at most 2048 characters".into());
    }
    let uri: http::Uri = url.parse().map_err(|_| "is not a URL".to_string())?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if allow_insecure => {}
        Some("http") => return Err("must be an https:// URL".into()),
        _ => return Err("must be an https:// URL".into()),
    }
    let authority = uri.authority().ok_or("must name a host")?;
    if authority.as_str().contains('@') {
        return Err("must not carry credentials".into());
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub delivered_count: i64,
    pub pending_count: i64,
    pub last_error: Option<String>,
}

const ENDPOINT_SELECT: &str = "select e.id, e.url, e.description, e.created_at,
        (select count(*) from audit.siem_delivery d where d.endpoint_id = e.id and d.delivered_at is not null) as delivered_count,
        (select count(*) from audit.siem_delivery d where d.endpoint_id = e.id and d.delivered_at is null) as pending_count,
        (select d.last_error from audit.siem_delivery d where d.endpoint_id = e.id and d.last_error is not null
          order by d.next_attempt_at desc limit 1) as last_error
   from audit.siem_endpoint e";

/// Creates an endpoint whose cursor starts at the newest entry, or returns the one
/// made with the same idempotency key; the flag says which.
pub async fn create_endpoint(
    tx: &mut PgConnection,
    id: Uuid,
    idempotency_key: &str,
    url: &str,
    description: &str,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(EndpointRow, bool), sqlx::Error> {
    let inserted = sqlx::query(
        "insert into audit.siem_endpoint (id, idempotency_key, url, description, secret, cursor, created_at)
         values ($1, $2, $3, $4, $5, (select coalesce(max(position), 0) from audit.entry), $6)
         on conflict (idempotency_key) do nothing",
    )
    .bind(id)
    .bind(idempotency_key)
    .bind(url)
    .bind(description)
    .bind(secret)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let row = sqlx::query_as(&format!("{ENDPOINT_SELECT} where e.idempotency_key = $1"))
        .bind(idempotency_key)
        .fetch_one(&mut *tx)
        .await?;
    Ok((row, inserted))
}

pub async fn list_endpoints(tx: &mut PgConnection, limit: i64, offset: i64) -> Result<Vec<EndpointRow>, sqlx::Error> {
    sqlx::query_as(&format!("{ENDPOINT_SELECT} order by e.created_at, e.id limit $1 offset $2"))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *tx)
        .await
}

pub async fn delete_endpoint(tx: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("delete from audit.siem_endpoint where id = $1").bind(id).execute(&mut *tx).await?.rows_affected()
        == 1)
}

#[derive(sqlx::FromRow)]
struct Due {
    endpoint_id: Uuid,
    entry_position: i64,
    attempts: i32,
    url: String,
    secret: String,
}

/// One delivery pass (see the module). Returns deliveries that succeeded.
pub async fn deliver_due(audit: &Audit) -> anyhow::Result<usize> {
    let now = audit.clock.now();
    // The delivery job works across every chain: platform scope.
    let mut tx = audit.database.begin(Scope::Platform).await?;
    queue_new_entries(&mut tx, now).await?;
    let due: Vec<Due> = sqlx::query_as(
        "select d.endpoint_id, d.entry_position, d.attempts, e.url, e.secret
           from audit.siem_delivery d join audit.siem_endpoint e on e.id = d.endpoint_id
          where d.delivered_at is null and d.next_attempt_at <= $1
          order by d.entry_position limit $2 for update of d skip locked",
    )
    .bind(now)
    .bind(PASS)
    .fetch_all(&mut *tx)
    .await?;
    let mut delivered = 0;
    for delivery in due {
        let entry: Option<StoredEntry> = sqlx::query_as(
            "select position, id, chain, sequence, tenant_id, service, kind, action, actor_id, outcome_code,
                    resource_ids, occurred_at, appended_at, previous_hash, hash, body
               from audit.entry where position = $1",
        )
        .bind(delivery.entry_position)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(entry) = entry else {
            // Purged by retention before it could be delivered.
            sqlx::query("delete from audit.siem_delivery where endpoint_id = $1 and entry_position = $2")
                .bind(delivery.endpoint_id)
                .bind(delivery.entry_position)
                .execute(&mut *tx)
                .await?;
            continue;
        };
        let outcome = send(audit, &delivery, &entry).await;
        let attempts = delivery.attempts + 1;
        match outcome {
            Ok(()) => {
                delivered += 1;
                sqlx::query(
                    "update audit.siem_delivery set attempts = $3, delivered_at = $4, last_error = null
                      where endpoint_id = $1 and entry_position = $2",
                )
                .bind(delivery.endpoint_id)
                .bind(delivery.entry_position)
                .bind(attempts)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            Err(error) => {
                tracing::warn!(endpoint_id = %delivery.endpoint_id, attempts, %error, "SIEM delivery failed; will retry");
                sqlx::query(
                    "update audit.siem_delivery set attempts = $3, next_attempt_at = $4, last_error = $5
                      where endpoint_id = $1 and entry_position = $2",
                )
                .bind(delivery.endpoint_id)
                .bind(delivery.entry_position)
                .bind(attempts)
                .bind(now + retry_delay(attempts))
                .bind(error)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(delivered)
}

/// Queues a delivery of every entry appended since each endpoint's cursor. Appends
/// are serialised (`store::lock_heads`), so positions become visible in order and
/// no entry can appear below a cursor after it moved.
async fn queue_new_entries(tx: &mut PgConnection, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let newest: i64 =
        sqlx::query_scalar("select coalesce(max(position), 0) from audit.entry").fetch_one(&mut *tx).await?;
    sqlx::query(
        "insert into audit.siem_delivery (endpoint_id, entry_position, next_attempt_at)
         select e.id, n.position, $1 from audit.siem_endpoint e
           join audit.entry n on n.position > e.cursor and n.position <= $2
         on conflict do nothing",
    )
    .bind(now)
    .bind(newest)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update audit.siem_endpoint set cursor = $1 where cursor < $1").bind(newest).execute(&mut *tx).await?;
    Ok(())
}

async fn send(audit: &Audit, delivery: &Due, entry: &StoredEntry) -> Result<(), String> {
    let id = format!("msg_{}", entry.id);
    let body = json!({
        "type": "audit.event",
        "timestamp": crate::chain::checkpoint_time(entry.appended_at),
        "data": event_json(entry),
    })
    .to_string();
    let timestamp = audit.clock.now().timestamp();
    let headers = canopy_kit::webhook::signed_headers(&delivery.secret, &id, timestamp, body.as_bytes())
        .map_err(|e| e.to_string())?;
    let response =
        audit.http.post(&delivery.url, "application/json", headers, body.into()).await.map_err(|e| e.to_string())?;
    if response.status.is_success() { Ok(()) } else { Err(format!("the endpoint answered {}", response.status)) }
}
