//! The per-service audit outbox: `<schema>.audit_outbox`, created by the kit in every
//! service schema it migrates, written in the transactions of the changes it
//! records, and drained to the audit service by [`ship_outbox`].
//!
//! Row-level security lets any transaction *add* a record (a tenant's included) but
//! only the platform scope read, finish or delete one, so a customer's request can
//! never see another's records, nor its own.

use canopy_sdk::proto::canopy::audit::v1::AppendAuditRecordsRequest;
use canopy_sdk::proto::canopy::audit::v1::audit_ingest_service_client::AuditIngestServiceClient;
use sqlx::{PgConnection, Postgres, Transaction};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub(crate) use super::layer::AuditedCall;
use super::record::{AuditRecord, Outcome};
use crate::db::{Database, Scope};
use crate::peers::Peers;

/// Records shipped per call to the audit service.
const BATCH: i64 = 200;
/// A committed record still without an outcome after this long belongs to a call
/// whose process stopped before answering; it is shipped with outcome UNKNOWN.
const OUTCOME_GRACE_SECS: f64 = 60.0;

/// The outbox's DDL, run by the owner in `schema` at every start (idempotent).
pub(crate) fn ddl(schema: &str, app_role: &str) -> Vec<String> {
    let mut statements = crate::outbox::table_ddl(
        schema,
        "audit_outbox",
        "record jsonb not null, outcome_code text, outcome_reason text",
        app_role,
    );
    // The app role sees the current call's own record alone, which `insert … on
    // conflict` needs to find it again in the call's later transactions.
    statements.push(format!(
        "do $$ begin
             if not exists (select 1 from pg_policy where polrelid = '{schema}.audit_outbox'::regclass
                            and polname = 'own_call') then
                 create policy own_call on {schema}.audit_outbox for select to {app_role}
                     using (id = nullif(current_setting('canopy.audit_call', true), '')::uuid);
             end if;
         end $$"
    ));
    statements
}

/// Writes `call`'s record in `tx` (begun in `scope`, with `canopy.audit_call` set
/// to its id), once per call: a handler's later transactions find it there. Called
/// by `Database::begin`.
pub(crate) async fn write_call(
    tx: &mut PgConnection,
    schema: &str,
    call: &AuditedCall,
    scope: Scope,
) -> Result<(), sqlx::Error> {
    let record = call.record_in(scope);
    sqlx::query(&format!(
        "insert into {schema}.audit_outbox (id, tenant_id, record) values ($1, $2, $3) on conflict (id) do nothing"
    ))
    .bind(record.id)
    .bind(record.tenant_id)
    .bind(sqlx::types::Json(&record))
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Stores a call's outcome on its record, or writes the record with its outcome when
/// the call committed nothing. A named system operation: platform scope.
pub(crate) async fn finish(database: &Database, record: &AuditRecord, outcome: &Outcome) -> Result<(), sqlx::Error> {
    let Some(schema) = database.audit_outbox() else { return Ok(()) };
    let mut tx = database.begin_unaudited(Scope::Platform).await?;
    sqlx::query(&format!(
        "insert into {schema}.audit_outbox (id, tenant_id, record, outcome_code, outcome_reason)
              values ($1, $2, $3, $4, $5)
         on conflict (id) do update set outcome_code = excluded.outcome_code, outcome_reason = excluded.outcome_reason"
    ))
    .bind(record.id)
    .bind(record.tenant_id)
    .bind(sqlx::types::Json(record))
    .bind(&outcome.code)
    .bind(&outcome.reason)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Writes an event that is not a call (a security event) in `tx`, so it commits or
/// rolls back with the change it describes. `schema` is the service's own.
pub async fn record_event(
    tx: &mut Transaction<'_, Postgres>,
    schema: &str,
    record: &AuditRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into {schema}.audit_outbox (id, tenant_id, record, outcome_code, outcome_reason)
              values ($1, $2, $3, 'OK', '')"
    ))
    .bind(record.id)
    .bind(record.tenant_id)
    .bind(sqlx::types::Json(record))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: Uuid,
    tenant_id: Option<Uuid>,
    record: sqlx::types::Json<AuditRecord>,
    outcome_code: Option<String>,
    outcome_reason: Option<String>,
}

/// Ships finished records to the audit service, oldest first, until `stop`. One
/// shipper per schema at a time (an advisory lock), so replicas never reorder a
/// service's records; rows are deleted in the transaction that held them only once
/// the audit service has appended them, and a batch it already has is skipped there.
pub async fn ship_outbox(database: Database, peers: Peers, stop: CancellationToken) {
    let Some(schema) = database.audit_outbox() else { return };
    crate::outbox::ship_until_stopped("audit records", &schema, BATCH as usize, stop, || {
        ship_batch(&database, &schema, &peers)
    })
    .await;
}

/// Ships one batch; returns how many records it shipped.
async fn ship_batch(database: &Database, schema: &str, peers: &Peers) -> anyhow::Result<usize> {
    // A named system operation: the outbox is read and emptied in platform scope.
    let mut tx = database.begin_unaudited(Scope::Platform).await?;
    let locked: bool = sqlx::query_scalar("select pg_try_advisory_xact_lock(hashtext($1))")
        .bind(format!("canopy.audit-outbox.{schema}"))
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(0);
    }
    let rows: Vec<OutboxRow> = sqlx::query_as(&format!(
        "select id, tenant_id, record, outcome_code, outcome_reason from {schema}.audit_outbox
          where outcome_code is not null or created_at < now() - make_interval(secs => $1)
          order by position limit $2"
    ))
    .bind(OUTCOME_GRACE_SECS)
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let records = rows
        .iter()
        .map(|row| {
            let outcome = match (&row.outcome_code, &row.outcome_reason) {
                (Some(code), reason) => Outcome { code: code.clone(), reason: reason.clone().unwrap_or_default() },
                (None, _) => Outcome::unknown(),
            };
            let mut record = row.record.0.clone();
            record.tenant_id = row.tenant_id;
            record.to_proto(&outcome)
        })
        .collect();
    let channel = peers.channel("audit").await?;
    AuditIngestServiceClient::new(channel).append_audit_records(AppendAuditRecordsRequest { records }).await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    sqlx::query(&format!("delete from {schema}.audit_outbox where id = any($1)")).bind(&ids).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::layer::CURRENT_CALL;
    use crate::audit::record::{ActorKind, EventKind};
    use crate::db::{TenantId, migrate_schema};
    use std::sync::Arc;

    fn record(tenant: Option<Uuid>) -> AuditRecord {
        AuditRecord {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            kind: EventKind::Call,
            action: "/canopy.probe.v1.ProbeService/Change".into(),
            actor_kind: ActorKind::System,
            actor_id: String::new(),
            actor_role: String::new(),
            resource_ids: Vec::new(),
            origin_address: String::new(),
            user_agent: String::new(),
            trace_id: String::new(),
            occurred_at: chrono::Utc::now(),
            summary: serde_json::json!({}),
        }
    }

    #[tokio::test]
    async fn a_calls_record_commits_and_rolls_back_with_the_handlers_own_transaction() {
        let env = crate::testing::TestEnv::new().await;
        let database = Database::connect(&env.config.database).await.unwrap();
        migrate_schema(&database.owner, &database.roles, "probe", &sqlx::migrate::Migrator::DEFAULT).await.unwrap();
        let database = database.with_audit_outbox("probe");
        let superuser = env.superuser_pool().await;
        let stored = |id: Uuid| {
            let superuser = superuser.clone();
            async move {
                sqlx::query_as::<_, (Option<Uuid>, Option<String>)>(
                    "select tenant_id, outcome_code from probe.audit_outbox where id = $1",
                )
                .bind(id)
                .fetch_all(&superuser)
                .await
                .unwrap()
            }
        };
        let tenant = Uuid::now_v7();

        // Committed: the record is there, in the tenant the handler scoped to, once,
        // although the handler began two transactions.
        let committed = Arc::new(AuditedCall::for_tests(record(None)));
        CURRENT_CALL
            .scope(committed.clone(), async {
                let tx = database.begin(Scope::Tenant(TenantId(tenant))).await.unwrap();
                tx.commit().await.unwrap();
                let tx = database.begin(Scope::Platform).await.unwrap();
                tx.commit().await.unwrap();
            })
            .await;
        assert_eq!(stored(committed.id()).await, [(Some(tenant), None)]);

        // Rolled back: nothing, until the layer writes the refusal's record.
        let rolled_back = Arc::new(AuditedCall::for_tests(record(None)));
        CURRENT_CALL
            .scope(rolled_back.clone(), async {
                let tx = database.begin(Scope::Tenant(TenantId(tenant))).await.unwrap();
                tx.rollback().await.unwrap();
            })
            .await;
        assert!(stored(rolled_back.id()).await.is_empty());
        let refused = Outcome { code: "INVALID_ARGUMENT".into(), reason: String::new() };
        finish(&database, &rolled_back.record_in(Scope::Unscoped), &refused).await.unwrap();
        assert_eq!(stored(rolled_back.id()).await, [(Some(tenant), Some("INVALID_ARGUMENT".into()))]);

        // Outside a call, transactions write nothing; a tenant transaction cannot read
        // the outbox.
        let before: i64 =
            sqlx::query_scalar("select count(*) from probe.audit_outbox").fetch_one(&superuser).await.unwrap();
        let mut tx = database.begin(Scope::Tenant(TenantId(tenant))).await.unwrap();
        let seen: i64 =
            sqlx::query_scalar("select count(*) from probe.audit_outbox").fetch_one(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(seen, 0, "a tenant's transaction sees no audit record");
        let after: i64 =
            sqlx::query_scalar("select count(*) from probe.audit_outbox").fetch_one(&superuser).await.unwrap();
        assert_eq!(before, after);
    }
}
