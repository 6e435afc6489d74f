//! The audit trail's write and verification costs.
//!
//! Measures, in the same run, on the same PostgreSQL:
//! * **append with the hash chain**: the ingest's own code (`store::lock_heads` and
//!   `store::append` in one platform-scope transaction per batch of 200 records), over
//!   100 customer chains;
//! * **plain inserts of the same rows** into a copy of `audit.entry` (same indexes), no
//!   chain, no head lock, no duplicate check — the floor a chain adds to — one
//!   statement per row, and one statement per batch (the shape the append uses);
//! * **verifying 1M entries**: `api::verify_chain`, the handler's code (reads in pages,
//!   recomputes every SHA-256, checks every link, the body against its columns, and
//!   the checkpoints), over one chain of `CANOPY_BENCH_VERIFY_ENTRIES` (default
//!   1,000,000) entries written directly with their real hashes.
//!
//! Prints a markdown table and writes it to `bench-audit.md` in the target directory.
//! Not a test: nothing about time is asserted, only that the chain verifies. Sizes:
//! `CANOPY_BENCH_APPEND_RECORDS` (default 20,000), `CANOPY_BENCH_VERIFY_ENTRIES`.

use std::time::{Duration, Instant};

use canopy_audit::chain::{self, Body, BodyActor, BodyOutcome, Checkpoint, GENESIS_HASH};
use canopy_audit::domain::NewEntry;
use canopy_audit::{Audit, AuditConfig, api, store};
use canopy_kit::clock::SystemClock;
use canopy_kit::db::{Database, Scope, migrate_schema};
use canopy_kit::testing::TestEnv;
use chrono::Utc;
use ed25519_dalek::SigningKey;
use uuid::Uuid;

const BATCH: usize = 200;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn entry(tenant: Uuid, n: usize) -> NewEntry {
    let id = Uuid::now_v7();
    let chain = tenant.to_string();
    let occurred_at = Utc::now();
    NewEntry {
        id,
        chain: chain.clone(),
        tenant_id: Some(tenant),
        occurred_at,
        body: Body {
            id: id.to_string(),
            chain,
            customer_id: tenant.to_string(),
            kind: "call".into(),
            action: "/canopy.sites.v1.SiteService/CreateSite".into(),
            service: "sites".into(),
            actor: BodyActor { kind: "user".into(), id: Uuid::now_v7().to_string(), role: "owner".into() },
            resource_ids: vec![tenant.to_string()],
            outcome: BodyOutcome { code: "OK".into(), reason: String::new() },
            origin_address: "203.0.113.7".into(),
            user_agent: "canopy-bench/1".into(),
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            occurred_at: occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            summary: serde_json::json!({ "name": format!("shop-{n}"), "region": "eu-west-1", "size": "SITE_SIZE_SMALL" }),
        },
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let records = env_number("CANOPY_BENCH_APPEND_RECORDS", 20_000);
    let verify_entries = env_number("CANOPY_BENCH_VERIFY_ENTRIES", 1_000_000);
    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await?;
    migrate_schema(&database.owner, &database.roles, "audit", &canopy_audit::MIGRATIONS).await?;
    sqlx::query("create table audit.entry_plain (like audit.entry including all)").execute(&database.owner).await?;
    sqlx::query("create table audit.entry_plain_batched (like audit.entry including all)")
        .execute(&database.owner)
        .await?;
    sqlx::query("grant insert on audit.entry_plain, audit.entry_plain_batched to canopy_platform")
        .execute(&database.owner)
        .await?;
    let tenants: Vec<Uuid> = (0..100).map(|_| Uuid::now_v7()).collect();
    let rows: Vec<NewEntry> = (0..records).map(|n| entry(tenants[n % tenants.len()], n)).collect();

    // Append with the chain: the ingest's path.
    let started = Instant::now();
    for batch in rows.chunks(BATCH) {
        let mut chains: Vec<(String, Option<Uuid>)> = batch.iter().map(|e| (e.chain.clone(), e.tenant_id)).collect();
        chains.sort();
        chains.dedup();
        let mut tx = database.begin(Scope::Platform).await?;
        store::lock_heads(&mut tx, &chains).await?;
        store::append(&mut tx, batch, Utc::now()).await?;
        tx.commit().await?;
    }
    let chained = started.elapsed();

    // The same rows, plain (the same indexes, no chain).
    let started = Instant::now();
    for (number, batch) in rows.chunks(BATCH).enumerate() {
        let mut tx = database.begin(Scope::Platform).await?;
        for (n, entry) in batch.iter().enumerate() {
            let n = number * BATCH + n;
            sqlx::query(
                "insert into audit.entry_plain (id, chain, sequence, tenant_id, service, kind, action, actor_id, outcome_code,
                        resource_ids, occurred_at, appended_at, previous_hash, hash, body)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(entry.id)
            .bind(&entry.chain)
            .bind(n as i64)
            .bind(entry.tenant_id)
            .bind(&entry.body.service)
            .bind(&entry.body.kind)
            .bind(&entry.body.action)
            .bind(&entry.body.actor.id)
            .bind(&entry.body.outcome.code)
            .bind(&entry.body.resource_ids)
            .bind(entry.occurred_at)
            .bind(Utc::now())
            .bind(GENESIS_HASH)
            .bind(GENESIS_HASH)
            .bind(entry.body.canonical())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
    }
    let plain = started.elapsed();

    // The same rows, plain, one statement per batch (as the chained append does).
    let started = Instant::now();
    for (number, batch) in rows.chunks(BATCH).enumerate() {
        let mut tx = database.begin(Scope::Platform).await?;
        let ids: Vec<Uuid> = batch.iter().map(|e| e.id).collect();
        let chains: Vec<String> = batch.iter().map(|e| e.chain.clone()).collect();
        let sequences: Vec<i64> = (0..batch.len()).map(|n| (number * BATCH + n) as i64).collect();
        let bodies: Vec<String> = batch.iter().map(|e| e.body.canonical()).collect();
        let times: Vec<chrono::DateTime<Utc>> = batch.iter().map(|e| e.occurred_at).collect();
        let tenants: Vec<Option<Uuid>> = batch.iter().map(|e| e.tenant_id).collect();
        sqlx::query(
            "insert into audit.entry_plain_batched (id, chain, sequence, tenant_id, service, kind, action, actor_id,
                    outcome_code, resource_ids, occurred_at, appended_at, previous_hash, hash, body)
             select id, chain, sequence, tenant_id, 'sites', 'call', '/canopy.sites.v1.SiteService/CreateSite',
                    (body::jsonb->'actor'->>'id'), 'OK', array[chain], occurred_at, now(), $6, $6, body
               from unnest($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $7::timestamptz[])
                    as t(id, chain, sequence, tenant_id, body, occurred_at)",
        )
        .bind(&ids)
        .bind(&chains)
        .bind(&sequences)
        .bind(&tenants)
        .bind(&bodies)
        .bind(GENESIS_HASH)
        .bind(&times)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    let plain_batched = started.elapsed();

    // One chain of `verify_entries`, written directly with real hashes, checkpointed
    // every 10,000 entries.
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let tenant = Uuid::now_v7();
    let chain_name = tenant.to_string();
    let started = Instant::now();
    let mut previous = GENESIS_HASH.to_string();
    let mut written = 0;
    while written < verify_entries {
        let count = (verify_entries - written).min(10_000);
        let mut ids = Vec::with_capacity(count);
        let mut sequences = Vec::with_capacity(count);
        let mut previous_hashes = Vec::with_capacity(count);
        let mut hashes = Vec::with_capacity(count);
        let mut bodies = Vec::with_capacity(count);
        let mut times = Vec::with_capacity(count);
        for n in 0..count {
            let sequence = (written + n + 1) as i64;
            let entry = entry(tenant, written + n);
            let body = entry.body.canonical();
            let hash = chain::entry_hash(&chain_name, sequence, &previous, &body);
            ids.push(entry.id);
            sequences.push(sequence);
            previous_hashes.push(std::mem::replace(&mut previous, hash.clone()));
            hashes.push(hash);
            bodies.push(body);
            times.push(entry.occurred_at);
        }
        sqlx::query(
            "insert into audit.entry (id, chain, sequence, tenant_id, service, kind, action, actor_id, outcome_code,
                    resource_ids, occurred_at, appended_at, previous_hash, hash, body)
             select id, $2, sequence, $3, 'sites', 'call', '/canopy.sites.v1.SiteService/CreateSite',
                    (body::jsonb->'actor'->>'id'), 'OK', array[$2], occurred_at, now(), previous_hash, hash, body
               from unnest($1::uuid[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
                    as t(id, sequence, previous_hash, hash, body, occurred_at)",
        )
        .bind(&ids)
        .bind(&chain_name)
        .bind(tenant)
        .bind(&sequences)
        .bind(&previous_hashes)
        .bind(&hashes)
        .bind(&bodies)
        .bind(&times)
        .execute(&database.owner)
        .await?;
        written += count;
        let checkpoint = Checkpoint::sign(&key, &chain_name, written as i64, &previous, Utc::now());
        sqlx::query(
            "insert into audit.checkpoint (chain, tree_size, tenant_id, head_hash, signed_at, signature) values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&checkpoint.chain)
        .bind(checkpoint.tree_size)
        .bind(tenant)
        .bind(&checkpoint.head_hash)
        .bind(&checkpoint.signed_at)
        .bind(&checkpoint.signature)
        .execute(&database.owner)
        .await?;
    }
    sqlx::query("insert into audit.chain_head (chain, tenant_id, sequence, hash) values ($1, $2, $3, $4)")
        .bind(&chain_name)
        .bind(tenant)
        .bind(verify_entries as i64)
        .bind(&previous)
        .execute(&database.owner)
        .await?;
    sqlx::query("analyze audit.entry").execute(&database.owner).await?;
    let prepared = started.elapsed();

    let audit = Audit {
        database: database.clone(),
        config: AuditConfig::default(),
        clock: std::sync::Arc::new(SystemClock),
        signing_key: key,
        http: canopy_kit::http::HttpClient::new(Duration::from_secs(1)),
    };
    let started = Instant::now();
    let mut tx = database.begin_read_only(Scope::Platform).await?;
    let report = api::verify_chain(&mut tx, &audit, &chain_name, 0, 0).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    let verified = started.elapsed();
    anyhow::ensure!(report.verified && report.entries_checked == verify_entries as i64, "did not verify: {report:?}");

    let per_second = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    let table = format!(
        "| audit trail ({records} records in batches of {BATCH}, 100 chains) | time | records/s |\n\
         | --- | ---: | ---: |\n\
         | append with the hash chain (ingest's code) | {:.2} s | {:.0} |\n\
         | plain inserts of the same rows, one statement per row | {:.2} s | {:.0} |\n\
         | plain inserts of the same rows, one statement per batch | {:.2} s | {:.0} |\n\
         | verify one chain of {verify_entries} entries ({} checkpoints) | {:.2} s | {:.0} |\n\
         \n(writing the {verify_entries}-entry chain directly took {:.1} s)\n",
        chained.as_secs_f64(),
        per_second(records, chained),
        plain.as_secs_f64(),
        per_second(records, plain),
        plain_batched.as_secs_f64(),
        per_second(records, plain_batched),
        report.checkpoints_checked,
        verified.as_secs_f64(),
        per_second(verify_entries, verified),
        prepared.as_secs_f64(),
    );
    println!("{table}");
    canopy_kit::testing::write_bench_report("bench-audit.md", &table);
    Ok(())
}
