//! SQL of the audit trail: appending to chains, reading entries and checkpoints,
//! retention and the SIEM endpoints' deliveries. Every function runs inside a
//! transaction the caller began in the right scope.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use crate::chain::{self, Checkpoint, Entry, GENESIS_HASH};
use crate::domain::{EventFilter, NewEntry};

pub type Tx = sqlx::Transaction<'static, sqlx::Postgres>;

/// An entry as listed and exported.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEntry {
    pub position: i64,
    pub id: Uuid,
    pub chain: String,
    pub sequence: i64,
    pub tenant_id: Option<Uuid>,
    pub service: String,
    pub kind: String,
    pub action: String,
    pub actor_id: String,
    pub outcome_code: String,
    pub resource_ids: Vec<String>,
    pub occurred_at: DateTime<Utc>,
    pub appended_at: DateTime<Utc>,
    pub previous_hash: String,
    pub hash: String,
    pub body: String,
}

impl StoredEntry {
    pub fn chain_entry(&self) -> Entry {
        Entry {
            sequence: self.sequence,
            previous_hash: self.previous_hash.clone(),
            hash: self.hash.clone(),
            body: self.body.clone(),
        }
    }
}

const ENTRY_COLUMNS: &str = "position, id, chain, sequence, tenant_id, service, kind, action, actor_id, outcome_code, \
     resource_ids, occurred_at, appended_at, previous_hash, hash, body";

/// Takes the append lock and locks the heads of `chains`, creating missing ones.
/// Appends are serialised across chains, so entry positions become visible in
/// order (the SIEM cursor relies on it); the head rows are locked too, in sorted
/// order, for anything else that moves a head.
pub async fn lock_heads(tx: &mut PgConnection, chains: &[(String, Option<Uuid>)]) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('canopy.audit.append'))").execute(&mut *tx).await?;
    let names: Vec<&str> = chains.iter().map(|(chain, _)| chain.as_str()).collect();
    let tenants: Vec<Option<Uuid>> = chains.iter().map(|(_, tenant)| *tenant).collect();
    sqlx::query(
        "insert into audit.chain_head (chain, tenant_id, sequence, hash)
         select chain, tenant_id, 0, $3 from unnest($1::text[], $2::uuid[]) as t(chain, tenant_id)
         on conflict (chain) do nothing",
    )
    .bind(&names)
    .bind(&tenants)
    .bind(GENESIS_HASH)
    .execute(&mut *tx)
    .await?;
    sqlx::query("select 1 from audit.chain_head where chain = any($1) order by chain for update")
        .bind(&names)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Appends `entries`, in order, to their chains (whose heads the caller has locked),
/// skipping any whose id is already in the trail (or earlier in the batch); returns
/// how many were appended. Four statements per batch whatever its size: the ids
/// already kept, the heads, one insert of every new entry, one update of the heads.
pub async fn append(tx: &mut PgConnection, entries: &[NewEntry], now: DateTime<Utc>) -> Result<usize, sqlx::Error> {
    let ids: Vec<Uuid> = entries.iter().map(|e| e.id).collect();
    let mut seen: std::collections::HashSet<Uuid> = sqlx::query_scalar("select id from audit.entry where id = any($1)")
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let chains: Vec<&str> = entries.iter().map(|e| e.chain.as_str()).collect();
    let mut heads: std::collections::HashMap<String, (i64, String)> = sqlx::query_as::<_, (String, i64, String)>(
        "select chain, sequence, hash from audit.chain_head where chain = any($1)",
    )
    .bind(&chains)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|(chain, sequence, hash)| (chain, (sequence, hash)))
    .collect();
    let mut rows = AppendRows::default();
    for entry in entries {
        if !seen.insert(entry.id) {
            continue;
        }
        let (sequence, previous) = heads.get_mut(&entry.chain).expect("the caller locked every chain's head");
        *sequence += 1;
        let body = entry.body.canonical();
        let hash = chain::entry_hash(&entry.chain, *sequence, previous, &body);
        rows.push(entry, *sequence, std::mem::replace(previous, hash.clone()), hash, body);
    }
    if rows.ids.is_empty() {
        return Ok(0);
    }
    sqlx::query(
        "insert into audit.entry (id, chain, sequence, tenant_id, service, kind, action, actor_id, outcome_code,
                                  resource_ids, occurred_at, appended_at, previous_hash, hash, body)
         select id, chain, sequence, tenant_id, service, kind, action, actor_id, outcome_code,
                array(select jsonb_array_elements_text(resource_ids)), occurred_at, $16, previous_hash, hash, body
           from unnest($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
                       $9::text[], $10::jsonb[], $11::timestamptz[], $12::text[], $13::text[], $14::text[], $15::int[])
                as t(id, chain, sequence, tenant_id, service, kind, action, actor_id, outcome_code, resource_ids,
                     occurred_at, previous_hash, hash, body, batch_order)
          order by batch_order",
    )
    .bind(&rows.ids)
    .bind(&rows.chains)
    .bind(&rows.sequences)
    .bind(&rows.tenants)
    .bind(&rows.services)
    .bind(&rows.kinds)
    .bind(&rows.actions)
    .bind(&rows.actors)
    .bind(&rows.outcomes)
    .bind(&rows.resource_ids)
    .bind(&rows.occurred)
    .bind(&rows.previous_hashes)
    .bind(&rows.hashes)
    .bind(&rows.bodies)
    .bind((0..rows.ids.len() as i32).collect::<Vec<i32>>())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let (head_chains, head_sequences, head_hashes): (Vec<String>, Vec<i64>, Vec<String>) = heads
        .into_iter()
        .map(|(chain, (sequence, hash))| (chain, sequence, hash))
        .fold((Vec::new(), Vec::new(), Vec::new()), |(mut c, mut s, mut h), (chain, sequence, hash)| {
            c.push(chain);
            s.push(sequence);
            h.push(hash);
            (c, s, h)
        });
    sqlx::query(
        "update audit.chain_head h set sequence = v.sequence, hash = v.hash
           from unnest($1::text[], $2::bigint[], $3::text[]) as v(chain, sequence, hash)
          where h.chain = v.chain and h.sequence <> v.sequence",
    )
    .bind(&head_chains)
    .bind(&head_sequences)
    .bind(&head_hashes)
    .execute(&mut *tx)
    .await?;
    Ok(rows.ids.len())
}

/// The columns of a batch of new entries, one array per column.
#[derive(Default)]
struct AppendRows {
    ids: Vec<Uuid>,
    chains: Vec<String>,
    sequences: Vec<i64>,
    tenants: Vec<Option<Uuid>>,
    services: Vec<String>,
    kinds: Vec<String>,
    actions: Vec<String>,
    actors: Vec<String>,
    outcomes: Vec<String>,
    resource_ids: Vec<serde_json::Value>,
    occurred: Vec<DateTime<Utc>>,
    previous_hashes: Vec<String>,
    hashes: Vec<String>,
    bodies: Vec<String>,
}

impl AppendRows {
    fn push(&mut self, entry: &NewEntry, sequence: i64, previous_hash: String, hash: String, body: String) {
        self.ids.push(entry.id);
        self.chains.push(entry.chain.clone());
        self.sequences.push(sequence);
        self.tenants.push(entry.tenant_id);
        self.services.push(entry.body.service.clone());
        self.kinds.push(entry.body.kind.clone());
        self.actions.push(entry.body.action.clone());
        self.actors.push(entry.body.actor.id.clone());
        self.outcomes.push(entry.body.outcome.code.clone());
        self.resource_ids.push(serde_json::json!(entry.body.resource_ids));
        self.occurred.push(entry.occurred_at);
        self.previous_hashes.push(previous_hash);
        self.hashes.push(hash);
        self.bodies.push(body);
    }
}

fn push_filter(query: &mut QueryBuilder<'_, sqlx::Postgres>, filter: &EventFilter) {
    query.push(" where true");
    if let Some(tenant) = filter.tenant_id {
        query.push(" and tenant_id = ").push_bind(tenant);
    }
    if filter.platform_only {
        query.push(" and tenant_id is null");
    }
    if let Some(actor) = &filter.actor_id {
        query.push(" and actor_id = ").push_bind(actor.clone());
    }
    if let Some(action) = &filter.action_prefix {
        query.push(" and action like ").push_bind(format!("{}%", canopy_kit::db::like_escape(action)));
    }
    if let Some(resource) = &filter.resource_id {
        query.push(" and resource_ids @> array[").push_bind(resource.clone()).push("]::text[]");
    }
    if let Some(code) = &filter.outcome_code {
        query.push(" and outcome_code = ").push_bind(code.clone());
    }
    if let Some(start) = filter.start {
        query.push(" and occurred_at >= ").push_bind(start);
    }
    if let Some(end) = filter.end {
        query.push(" and occurred_at < ").push_bind(end);
    }
}

/// One page of entries, newest first, after `cursor`.
pub async fn list(
    tx: &mut PgConnection,
    filter: &EventFilter,
    cursor: Option<canopy_kit::paging::PageCursor>,
    limit: i64,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    let mut query = QueryBuilder::new(format!("select {ENTRY_COLUMNS} from audit.entry"));
    push_filter(&mut query, filter);
    if let Some(cursor) = cursor {
        query.push(" and (occurred_at, id) < (").push_bind(cursor.time).push(", ").push_bind(cursor.id).push(")");
    }
    query.push(" order by occurred_at desc, id desc limit ").push_bind(limit);
    query.build_query_as().fetch_all(&mut *tx).await
}

/// The next entries matching `filter` after `after` (chain, sequence), in chain
/// then sequence order: an export's pages.
pub async fn export_page(
    tx: &mut PgConnection,
    filter: &EventFilter,
    after: Option<&(String, i64)>,
    limit: i64,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    let mut query = QueryBuilder::new(format!("select {ENTRY_COLUMNS} from audit.entry"));
    push_filter(&mut query, filter);
    if let Some((chain, sequence)) = after {
        query.push(" and (chain, sequence) > (").push_bind(chain.clone()).push(", ").push_bind(*sequence).push(")");
    }
    query.push(" order by chain, sequence limit ").push_bind(limit);
    query.build_query_as().fetch_all(&mut *tx).await
}

/// Up to `limit` entries of one chain from sequence `from` to `to`, in order.
pub async fn chain_page(
    tx: &mut PgConnection,
    chain: &str,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<StoredEntry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {ENTRY_COLUMNS} from audit.entry where chain = $1 and sequence between $2 and $3 order by sequence limit $4"
    ))
    .bind(chain)
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await
}

/// The hash of one entry, if it is kept.
pub async fn entry_hash_at(tx: &mut PgConnection, chain: &str, sequence: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select hash from audit.entry where chain = $1 and sequence = $2")
        .bind(chain)
        .bind(sequence)
        .fetch_optional(&mut *tx)
        .await
}

/// A chain's head: (sequence, hash), if it has one.
pub async fn head(tx: &mut PgConnection, chain: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("select sequence, hash from audit.chain_head where chain = $1")
        .bind(chain)
        .fetch_optional(&mut *tx)
        .await
}

/// The oldest kept sequence number of a chain.
pub async fn first_sequence(tx: &mut PgConnection, chain: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select min(sequence) from audit.entry where chain = $1").bind(chain).fetch_one(&mut *tx).await
}

#[derive(sqlx::FromRow)]
struct CheckpointRow {
    chain: String,
    tree_size: i64,
    head_hash: String,
    signed_at: String,
    signature: String,
}

impl From<CheckpointRow> for Checkpoint {
    fn from(row: CheckpointRow) -> Self {
        Checkpoint {
            chain: row.chain,
            tree_size: row.tree_size,
            head_hash: row.head_hash,
            signed_at: row.signed_at,
            signature: row.signature,
        }
    }
}

/// The checkpoints of `chain` with `from <= tree_size <= to`.
pub async fn checkpoints(
    tx: &mut PgConnection,
    chain: &str,
    from: i64,
    to: i64,
) -> Result<Vec<Checkpoint>, sqlx::Error> {
    let rows: Vec<CheckpointRow> = sqlx::query_as(
        "select chain, tree_size, head_hash, signed_at, signature from audit.checkpoint
          where chain = $1 and tree_size between $2 and $3 order by tree_size",
    )
    .bind(chain)
    .bind(from)
    .bind(to)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows.into_iter().map(Checkpoint::from).collect())
}

/// Chains whose head moved past their newest checkpoint: (chain, tenant, size, hash).
pub async fn heads_to_checkpoint(
    tx: &mut PgConnection,
) -> Result<Vec<(String, Option<Uuid>, i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "select h.chain, h.tenant_id, h.sequence, h.hash from audit.chain_head h
          where h.sequence > coalesce((select max(c.tree_size) from audit.checkpoint c where c.chain = h.chain), 0)
          order by h.chain",
    )
    .fetch_all(&mut *tx)
    .await
}

pub async fn insert_checkpoint(
    tx: &mut PgConnection,
    tenant: Option<Uuid>,
    checkpoint: &Checkpoint,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into audit.checkpoint (chain, tree_size, tenant_id, head_hash, signed_at, signature)
         values ($1, $2, $3, $4, $5, $6) on conflict do nothing",
    )
    .bind(&checkpoint.chain)
    .bind(checkpoint.tree_size)
    .bind(tenant)
    .bind(&checkpoint.head_hash)
    .bind(&checkpoint.signed_at)
    .bind(&checkpoint.signature)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Retention for one pass: in every chain, deletes the entries up to the newest
/// checkpoint whose entry is older than `cutoff`, and the checkpoints before it; that
/// checkpoint stays, anchoring the entries after it. Returns entries deleted.
pub async fn purge(tx: &mut PgConnection, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let anchors: Vec<(String, i64)> = sqlx::query_as(
        "select c.chain, max(c.tree_size) from audit.checkpoint c
           join audit.entry e on e.chain = c.chain and e.sequence = c.tree_size
          where e.occurred_at < $1
          group by c.chain",
    )
    .bind(cutoff)
    .fetch_all(&mut *tx)
    .await?;
    let mut deleted = 0;
    for (chain, anchor) in anchors {
        deleted += sqlx::query("delete from audit.entry where chain = $1 and sequence <= $2")
            .bind(&chain)
            .bind(anchor)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("delete from audit.checkpoint where chain = $1 and tree_size < $2")
            .bind(&chain)
            .bind(anchor)
            .execute(&mut *tx)
            .await?;
    }
    Ok(deleted)
}
