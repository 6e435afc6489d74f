//! SQL only. Every function takes the caller's scoped transaction; which scope that
//! is (a customer's, or the platform's for operators and jobs) is the caller's
//! decision, and row-level security holds it to it.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

// ---------------------------------------------------------------- receivers

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReceiverRow {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub name: String,
    pub kind: String,
    pub url: Option<String>,
    pub escalation_policy_id: Option<Uuid>,
    pub secret: Option<String>,
    pub email_addresses: Option<Vec<String>>,
    pub send_resolved: bool,
    pub created_at: DateTime<Utc>,
    pub delivered_count: i64,
    pub pending_count: i64,
    pub last_error: Option<String>,
}

const RECEIVER_SELECT: &str = "select r.id, r.tenant_id, r.name, r.kind, r.url, r.escalation_policy_id, r.secret,
        r.email_addresses, r.send_resolved, r.created_at,
        (select count(*) from alerts.delivery d where d.receiver_id = r.id and d.delivered_at is not null) as delivered_count,
        (select count(*) from alerts.delivery d where d.receiver_id = r.id and d.delivered_at is null) as pending_count,
        (select d.last_error from alerts.delivery d where d.receiver_id = r.id and d.last_error is not null
          and d.delivered_at is null order by d.next_attempt_at desc limit 1) as last_error
   from alerts.receiver r";

pub struct NewReceiver<'a> {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub name: &'a str,
    pub kind: &'a str,
    pub url: Option<&'a str>,
    pub escalation_policy_id: Option<Uuid>,
    pub secret: Option<&'a str>,
    pub email_addresses: Option<&'a [String]>,
    pub send_resolved: bool,
    pub now: DateTime<Utc>,
}

pub async fn insert_receiver(tx: &mut PgConnection, new: &NewReceiver<'_>) -> Result<ReceiverRow, sqlx::Error> {
    sqlx::query(
        "insert into alerts.receiver (id, tenant_id, name, kind, url, escalation_policy_id, secret, send_resolved, created_at,
                email_addresses)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(new.id)
    .bind(new.tenant_id)
    .bind(new.name)
    .bind(new.kind)
    .bind(new.url)
    .bind(new.escalation_policy_id)
    .bind(new.secret)
    .bind(new.send_resolved)
    .bind(new.now)
    .bind(new.email_addresses)
    .execute(&mut *tx)
    .await?;
    sqlx::query_as(&format!("{RECEIVER_SELECT} where r.id = $1")).bind(new.id).fetch_one(&mut *tx).await
}

/// The platform's receivers (`tenant` None) or one customer's, by name.
pub async fn list_receivers(
    tx: &mut PgConnection,
    tenant: Option<Uuid>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ReceiverRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{RECEIVER_SELECT} where r.tenant_id is not distinct from $1 order by r.name, r.id limit $2 offset $3"
    ))
    .bind(tenant)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *tx)
    .await
}

pub async fn platform_receivers(tx: &mut PgConnection) -> Result<Vec<ReceiverRow>, sqlx::Error> {
    sqlx::query_as(&format!("{RECEIVER_SELECT} where r.tenant_id is null order by r.name")).fetch_all(&mut *tx).await
}

pub async fn customer_receivers(tx: &mut PgConnection, tenant: Uuid) -> Result<Vec<ReceiverRow>, sqlx::Error> {
    sqlx::query_as(&format!("{RECEIVER_SELECT} where r.tenant_id = $1 order by r.name"))
        .bind(tenant)
        .fetch_all(&mut *tx)
        .await
}

pub async fn delete_receiver(tx: &mut PgConnection, id: Uuid, tenant: Option<Uuid>) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("delete from alerts.receiver where id = $1 and tenant_id is not distinct from $2")
        .bind(id)
        .bind(tenant)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1)
}

pub async fn receivers_using_policy(tx: &mut PgConnection, policy: Uuid) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select name from alerts.receiver where escalation_policy_id = $1 order by name")
        .bind(policy)
        .fetch_all(&mut *tx)
        .await
}

// ---------------------------------------------------------------- routing

pub async fn routing_config(tx: &mut PgConnection) -> Result<Option<(Vec<u8>, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as("select config, updated_at from alerts.routing_config").fetch_optional(&mut *tx).await
}

pub async fn replace_routing_config(
    tx: &mut PgConnection,
    config: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into alerts.routing_config (singleton, config, updated_at) values (true, $1, $2)
         on conflict (singleton) do update set config = excluded.config, updated_at = excluded.updated_at",
    )
    .bind(config)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Takes the routing row's lock so a replacement and a receiver deletion cannot
/// interleave (one would check names the other is removing).
pub async fn lock_routing(tx: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('canopy.alerts.routing'))").execute(&mut *tx).await?;
    Ok(())
}

// ---------------------------------------------------------------- silences

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SilenceRow {
    pub id: Uuid,
    pub matchers: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

const SILENCE_COLUMNS: &str = "id, matchers, starts_at, ends_at, created_by, comment, created_at";

pub async fn insert_silence(tx: &mut PgConnection, row: &SilenceRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into alerts.silence (id, matchers, starts_at, ends_at, created_by, comment, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(row.id)
    .bind(&row.matchers)
    .bind(row.starts_at)
    .bind(row.ends_at)
    .bind(&row.created_by)
    .bind(&row.comment)
    .bind(row.created_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn list_silences(tx: &mut PgConnection, limit: i64, offset: i64) -> Result<Vec<SilenceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {SILENCE_COLUMNS} from alerts.silence order by created_at desc, id desc limit $1 offset $2"
    ))
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *tx)
    .await
}

/// Silences that may still mute something at or after `now`.
pub async fn current_silences(tx: &mut PgConnection, now: DateTime<Utc>) -> Result<Vec<SilenceRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {SILENCE_COLUMNS} from alerts.silence where ends_at > $1"))
        .bind(now)
        .fetch_all(&mut *tx)
        .await
}

/// Ends a silence at `now` (one already over keeps its end). None when it does not exist.
pub async fn expire_silence(
    tx: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<SilenceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "update alerts.silence set ends_at = least(ends_at, $2), starts_at = least(starts_at, $2)
          where id = $1 returning {SILENCE_COLUMNS}"
    ))
    .bind(id)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await
}

// ---------------------------------------------------------------- named specs

/// The tables holding a named configuration object as its encoded protobuf.
#[derive(Debug, Clone, Copy)]
pub enum SpecTable {
    EscalationPolicy,
    Schedule,
    EventRule,
}

impl SpecTable {
    fn name(self) -> &'static str {
        match self {
            SpecTable::EscalationPolicy => "alerts.escalation_policy",
            SpecTable::Schedule => "alerts.schedule",
            SpecTable::EventRule => "alerts.event_rule",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SpecRow {
    pub id: Uuid,
    pub name: String,
    pub spec: Vec<u8>,
}

pub async fn insert_spec(
    tx: &mut PgConnection,
    table: SpecTable,
    id: Uuid,
    name: &str,
    spec: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("insert into {} (id, name, spec, created_at) values ($1, $2, $3, $4)", table.name()))
        .bind(id)
        .bind(name)
        .bind(spec)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn insert_event_rule(
    tx: &mut PgConnection,
    id: Uuid,
    name: &str,
    event_kind: &str,
    spec: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into alerts.event_rule (id, name, event_kind, spec, created_at) values ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(name)
        .bind(event_kind)
        .bind(spec)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn list_specs(
    tx: &mut PgConnection,
    table: SpecTable,
    limit: i64,
    offset: i64,
) -> Result<Vec<SpecRow>, sqlx::Error> {
    sqlx::query_as(&format!("select id, name, spec from {} order by name, id limit $1 offset $2", table.name()))
        .bind(limit)
        .bind(offset)
        .fetch_all(&mut *tx)
        .await
}

pub async fn all_specs(tx: &mut PgConnection, table: SpecTable) -> Result<Vec<SpecRow>, sqlx::Error> {
    sqlx::query_as(&format!("select id, name, spec from {} order by name", table.name())).fetch_all(&mut *tx).await
}

pub async fn get_spec(tx: &mut PgConnection, table: SpecTable, id: Uuid) -> Result<Option<SpecRow>, sqlx::Error> {
    sqlx::query_as(&format!("select id, name, spec from {} where id = $1", table.name()))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

pub async fn delete_spec(tx: &mut PgConnection, table: SpecTable, id: Uuid) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(&format!("delete from {} where id = $1", table.name()))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1)
}

pub async fn event_rules_for_kind(tx: &mut PgConnection, kind: &str) -> Result<Vec<SpecRow>, sqlx::Error> {
    sqlx::query_as("select id, name, spec from alerts.event_rule where event_kind = $1 order by name")
        .bind(kind)
        .fetch_all(&mut *tx)
        .await
}

// ---------------------------------------------------------------- events and alerts

/// Records an event; false when its id was recorded before.
pub async fn insert_event(
    tx: &mut PgConnection,
    id: Uuid,
    tenant_id: Option<Uuid>,
    kind: &str,
    labels: &serde_json::Value,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query(
        "insert into alerts.event (id, tenant_id, kind, labels, occurred_at, received_at)
         values ($1, $2, $3, $4, $5, $6) on conflict (id) do nothing",
    )
    .bind(id)
    .bind(tenant_id)
    .bind(kind)
    .bind(labels)
    .bind(occurred_at)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1)
}

/// The labels of events of `kind` in `(since, until]` whose labels include `group`.
pub async fn events_in_window(
    tx: &mut PgConnection,
    kind: &str,
    group: &serde_json::Value,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar(
        "select labels from alerts.event
          where kind = $1 and labels @> $2 and occurred_at > $3 and occurred_at <= $4",
    )
    .bind(kind)
    .bind(group)
    .bind(since)
    .bind(until)
    .fetch_all(&mut *tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub fingerprint: String,
    pub tenant_id: Option<Uuid>,
    pub labels: serde_json::Value,
    pub annotations: serde_json::Value,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// Records the latest report of an alert for listing (an alert that had resolved
/// and fires again starts afresh) and queues it for the dispatchers.
pub async fn report_alert(
    tx: &mut PgConnection,
    row: &AlertRow,
    alertname: &str,
    engine_alert: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into alerts.alert (fingerprint, tenant_id, alertname, labels, annotations, starts_at, ends_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (fingerprint) do update set
            annotations = excluded.annotations,
            starts_at = case when alert.ends_at is not null and alert.ends_at <= $8 then excluded.starts_at
                             else least(alert.starts_at, excluded.starts_at) end,
            ends_at = excluded.ends_at,
            updated_at = excluded.updated_at",
    )
    .bind(&row.fingerprint)
    .bind(row.tenant_id)
    .bind(alertname)
    .bind(&row.labels)
    .bind(&row.annotations)
    .bind(row.starts_at)
    .bind(row.ends_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("insert into alerts.alert_inbox (alert, received_at) values ($1, $2)")
        .bind(engine_alert)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The stored alert with this fingerprint, if any.
pub async fn alert(tx: &mut PgConnection, fingerprint: &str) -> Result<Option<AlertRow>, sqlx::Error> {
    sqlx::query_as(
        "select fingerprint, tenant_id, labels, annotations, starts_at, ends_at from alerts.alert where fingerprint = $1",
    )
    .bind(fingerprint)
    .fetch_optional(&mut *tx)
    .await
}

pub struct AlertFilter {
    pub tenant_id: Option<Uuid>,
    /// Some(true) firing only, Some(false) resolved only.
    pub firing: Option<bool>,
    pub alertname: Option<String>,
    pub now: DateTime<Utc>,
}

pub async fn list_alerts(
    tx: &mut PgConnection,
    filter: &AlertFilter,
    after: Option<(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<Vec<AlertRow>, sqlx::Error> {
    let (after_time, after_fingerprint) = after.unzip();
    sqlx::query_as(
        "select fingerprint, tenant_id, labels, annotations, starts_at, ends_at from alerts.alert
          where ($1::uuid is null or tenant_id = $1)
            and ($2::boolean is null
                 or ($2 and (ends_at is null or ends_at > $3))
                 or (not $2 and ends_at is not null and ends_at <= $3))
            and ($4::text is null or alertname = $4)
            and ($5::timestamptz is null or (starts_at, fingerprint) < ($5, $6))
          order by starts_at desc, fingerprint desc
          limit $7",
    )
    .bind(filter.tenant_id)
    .bind(filter.firing)
    .bind(filter.now)
    .bind(&filter.alertname)
    .bind(after_time)
    .bind(after_fingerprint)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// Takes every queued alert report, oldest first.
pub async fn take_inbox(tx: &mut PgConnection) -> Result<Vec<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar(
        "with taken as (delete from alerts.alert_inbox returning position, alert)
         select alert from taken order by position",
    )
    .fetch_all(&mut *tx)
    .await
}

// ---------------------------------------------------------------- dispatch state

/// Locks and reads a dispatcher's state (creating it empty), so one pass at a time
/// runs across replicas.
pub async fn lock_dispatch_state(
    tx: &mut PgConnection,
    dispatcher: &str,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, sqlx::Error> {
    sqlx::query(
        "insert into alerts.dispatch_state (dispatcher, state, updated_at) values ($1, '{}'::jsonb, $2)
         on conflict (dispatcher) do nothing",
    )
    .bind(dispatcher)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query_scalar("select state from alerts.dispatch_state where dispatcher = $1 for update")
        .bind(dispatcher)
        .fetch_one(&mut *tx)
        .await
}

pub async fn save_dispatch_state(
    tx: &mut PgConnection,
    dispatcher: &str,
    state: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update alerts.dispatch_state set state = $2, updated_at = $3 where dispatcher = $1")
        .bind(dispatcher)
        .bind(state)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- deliveries

/// Queues a delivery unless this receiver already has this message.
pub async fn queue_delivery(
    tx: &mut PgConnection,
    tenant_id: Option<Uuid>,
    receiver_id: Uuid,
    webhook_id: &str,
    body: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into alerts.delivery (id, tenant_id, receiver_id, webhook_id, body, next_attempt_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $6) on conflict (receiver_id, webhook_id) do nothing",
    )
    .bind(Uuid::now_v7())
    .bind(tenant_id)
    .bind(receiver_id)
    .bind(webhook_id)
    .bind(body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Queues a page to a user unless that user already has this message.
pub async fn queue_user_delivery(
    tx: &mut PgConnection,
    user_id: Uuid,
    webhook_id: &str,
    body: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into alerts.delivery (id, user_id, webhook_id, body, next_attempt_at, created_at)
         values ($1, $2, $3, $4, $5, $5) on conflict (user_id, webhook_id) where user_id is not null do nothing",
    )
    .bind(Uuid::now_v7())
    .bind(user_id)
    .bind(webhook_id)
    .bind(body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// A delivery due for an attempt, with what its target needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueDelivery {
    pub id: Uuid,
    /// The customer of a customer receiver's delivery.
    pub tenant_id: Option<Uuid>,
    pub webhook_id: String,
    pub body: serde_json::Value,
    pub attempts: i32,
    /// The receiver's kind, or `user` for a page to a person.
    pub kind: String,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub email_addresses: Option<Vec<String>>,
    pub user_id: Option<Uuid>,
}

pub async fn due_deliveries(
    tx: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DueDelivery>, sqlx::Error> {
    sqlx::query_as(
        "select d.id, d.tenant_id, d.webhook_id, d.body, d.attempts, coalesce(r.kind, 'user') as kind, r.url, r.secret,
                r.email_addresses, d.user_id
           from alerts.delivery d left join alerts.receiver r on r.id = d.receiver_id
          where d.delivered_at is null and d.next_attempt_at <= $1
          order by d.next_attempt_at, d.id limit $2 for update of d skip locked",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

pub async fn delivery_succeeded(
    tx: &mut PgConnection,
    id: Uuid,
    attempts: i32,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update alerts.delivery set attempts = $2, delivered_at = $3, last_error = null where id = $1")
        .bind(id)
        .bind(attempts)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn delivery_failed(
    tx: &mut PgConnection,
    id: Uuid,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update alerts.delivery set attempts = $2, next_attempt_at = $3, last_error = $4 where id = $1")
        .bind(id)
        .bind(attempts)
        .bind(next_attempt_at)
        .bind(error)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- incidents

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: Uuid,
    pub receiver_id: Uuid,
    pub group_key: String,
    pub summary: String,
    pub status: String,
    pub state: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

const INCIDENT_COLUMNS: &str = "id, receiver_id, group_key, summary, status, state, created_at";

/// The open incident of a receiver's alert group, locked.
pub async fn open_incident(
    tx: &mut PgConnection,
    receiver_id: Uuid,
    group_key: &str,
) -> Result<Option<IncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {INCIDENT_COLUMNS} from alerts.incident
          where receiver_id = $1 and group_key = $2 and status <> 'resolved' for update"
    ))
    .bind(receiver_id)
    .bind(group_key)
    .fetch_optional(&mut *tx)
    .await
}

pub async fn incident_for_update(tx: &mut PgConnection, id: Uuid) -> Result<Option<IncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {INCIDENT_COLUMNS} from alerts.incident where id = $1 for update"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
}

pub async fn insert_incident(
    tx: &mut PgConnection,
    row: &IncidentRow,
    next_page_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into alerts.incident (id, receiver_id, group_key, summary, status, state, next_page_at, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(row.id)
    .bind(row.receiver_id)
    .bind(&row.group_key)
    .bind(&row.summary)
    .bind(&row.status)
    .bind(&row.state)
    .bind(next_page_at)
    .bind(row.created_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn update_incident(
    tx: &mut PgConnection,
    id: Uuid,
    status: &str,
    state: &serde_json::Value,
    next_page_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update alerts.incident set status = $2, state = $3, next_page_at = $4 where id = $1")
        .bind(id)
        .bind(status)
        .bind(state)
        .bind(next_page_at)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn due_incidents(tx: &mut PgConnection, now: DateTime<Utc>) -> Result<Vec<IncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {INCIDENT_COLUMNS} from alerts.incident where next_page_at <= $1
          order by next_page_at limit 100 for update skip locked"
    ))
    .bind(now)
    .fetch_all(&mut *tx)
    .await
}

pub async fn list_incidents(
    tx: &mut PgConnection,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<IncidentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {INCIDENT_COLUMNS} from alerts.incident where ($1::text is null or status = $1)
          order by created_at desc, id desc limit $2 offset $3"
    ))
    .bind(status)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *tx)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PageRow {
    pub id: String,
    pub incident_id: Uuid,
    pub step: i32,
    pub pass: i32,
    pub receiver: String,
    pub user_id: String,
    pub nobody_on_call_schedule: String,
    pub paged_at: DateTime<Utc>,
}

pub async fn insert_page(tx: &mut PgConnection, page: &PageRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into alerts.page (id, incident_id, step, pass, receiver, user_id, nobody_on_call_schedule, paged_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing",
    )
    .bind(&page.id)
    .bind(page.incident_id)
    .bind(page.step)
    .bind(page.pass)
    .bind(&page.receiver)
    .bind(&page.user_id)
    .bind(&page.nobody_on_call_schedule)
    .bind(page.paged_at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn pages_of(tx: &mut PgConnection, incidents: &[Uuid]) -> Result<Vec<PageRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, incident_id, step, pass, receiver, user_id, nobody_on_call_schedule, paged_at
           from alerts.page where incident_id = any($1) order by paged_at, id",
    )
    .bind(incidents)
    .fetch_all(&mut *tx)
    .await
}
