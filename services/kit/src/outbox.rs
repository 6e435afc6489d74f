//! What the kit's outboxes share. A kit outbox is a table the kit creates in every
//! service schema, written inside the transactions of the changes it describes, and
//! shipped in order to a peer by a kit job: the audit outbox (records for the audit
//! trail, `crate::audit`) and the event outbox (Canopy events for alerting,
//! `crate::events`).

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// How often an idle outbox is looked at.
pub(crate) const IDLE_POLL: Duration = Duration::from_millis(500);
/// The longest wait between attempts while the peer cannot take rows.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// An outbox table's DDL, run by the owner in `schema` at every start (idempotent):
/// `id`, an identity `position` (shipping order) and `tenant_id`, then `columns`.
/// Row-level security lets any transaction of the app role *add* a row; reading and
/// deleting are the platform role's (its policy is added by the migration step).
pub(crate) fn table_ddl(schema: &str, table: &str, columns: &str, app_role: &str) -> Vec<String> {
    vec![
        format!(
            "create table if not exists {schema}.{table} (
                 id uuid primary key,
                 position bigint generated always as identity,
                 tenant_id uuid,
                 {columns},
                 created_at timestamptz not null default now()
             )"
        ),
        format!("create index if not exists {table}_position on {schema}.{table} (position)"),
        format!("alter table {schema}.{table} enable row level security"),
        format!("alter table {schema}.{table} force row level security"),
        format!(
            "do $$ begin
                 if not exists (select 1 from pg_policy where polrelid = '{schema}.{table}'::regclass
                                and polname = 'tenant_isolation') then
                     create policy tenant_isolation on {schema}.{table} for insert to {app_role} with check (true);
                 end if;
             end $$"
        ),
    ]
}

/// Runs `ship_batch` (which ships up to `batch` rows and says how many) until `stop`:
/// again at once after a full batch, after [`IDLE_POLL`] otherwise, backing off to
/// 5 s while it fails. A failure streak is logged once, and its end once.
pub(crate) async fn ship_until_stopped<F, Fut>(
    what: &'static str,
    schema: &str,
    batch: usize,
    stop: CancellationToken,
    mut ship_batch: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let mut backoff = IDLE_POLL;
    let mut failing = false;
    loop {
        let wait = match ship_batch().await {
            Ok(shipped) => {
                if failing {
                    tracing::info!(schema = %schema, "{what} are shipped again");
                    failing = false;
                }
                backoff = IDLE_POLL;
                if shipped == batch { Duration::ZERO } else { IDLE_POLL }
            }
            Err(error) => {
                if !failing {
                    tracing::warn!(schema = %schema, error = format!("{error:#}"), "{what} wait: their receiver cannot take them");
                    failing = true;
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                backoff
            }
        };
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}
