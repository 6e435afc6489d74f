//! ListSites under row-level security at scale: 1M sites across 10k customers.
//!
//! Measures the query `ListSites` runs (first page, newest first) for random
//! customers, in the same run and on the same data:
//! * as the app role inside a tenant-scoped transaction (RLS filters the rows);
//! * as a superuser (RLS does not apply) with the same query plus an explicit
//!   `where tenant_id = $1` — the baseline RLS should match.
//!
//! Prints a markdown table and writes it to `target/bench-sites.md`. Not a test:
//! nothing is asserted. Sizes: `CANOPY_BENCH_SITES` (default 1,000,000),
//! `CANOPY_BENCH_CUSTOMERS` (10,000), `CANOPY_BENCH_QUERIES` (2,000).

use std::time::{Duration, Instant};

use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::testing::TestEnv;
use sqlx::{Executor, PgPool};
use uuid::Uuid;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

struct Figures {
    label: &'static str,
    samples: Vec<Duration>,
}

impl Figures {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
    }

    fn row(&self) -> String {
        let total: Duration = self.samples.iter().sum();
        format!(
            "| {} | {:.3} | {:.3} | {:.0} |",
            self.label,
            self.percentile(0.50).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
            self.samples.len() as f64 / total.as_secs_f64()
        )
    }
}

const LIST_QUERY: &str = "select * from sites.site
  where ($1::text is null or provider = $1) and status <> 'deleted'
  order by create_time desc, id desc limit 51";

const LIST_QUERY_EXPLICIT: &str = "select * from sites.site
  where tenant_id = $2 and ($1::text is null or provider = $1) and status <> 'deleted'
  order by create_time desc, id desc limit 51";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sites = env_number("CANOPY_BENCH_SITES", 1_000_000);
    let customers = env_number("CANOPY_BENCH_CUSTOMERS", 10_000).max(1);
    let queries = env_number("CANOPY_BENCH_QUERIES", 2_000);

    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await?;
    static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sites");
    migrate_schema(&database.owner, &database.roles, "sites", &MIGRATIONS).await?;
    let superuser: PgPool = env.superuser_pool().await;

    eprintln!("loading {sites} sites across {customers} customers…");
    let started = Instant::now();
    superuser
        .execute(
            sqlx::query(
                "insert into sites.site (tenant_id, id, name, provider, region, size, runtime, status, sandbox, create_time)
                 select ('00000000-0000-4000-8000-' || lpad(to_hex(i % $2), 12, '0'))::uuid,
                        gen_random_uuid(),
                        's' || i,
                        (array['aws','azure','gcp','digitalocean','akamai'])[1 + i % 5],
                        'eu-west-1', 'small', '{\"image\":\"nginx\",\"port\":80,\"env\":{}}', 'active', true,
                        now() - make_interval(secs => i)
                   from generate_series(1, $1) as i",
            )
            .bind(sites as i64)
            .bind(customers as i64),
        )
        .await?;
    superuser.execute("analyze sites.site").await?;
    eprintln!("loaded in {:.1}s", started.elapsed().as_secs_f64());

    let tenant =
        |i: usize| Uuid::parse_str(&format!("00000000-0000-4000-8000-{:012x}", (i * 7919) % customers)).unwrap();

    // Warm both paths so the first measured query doesn't pay for cold caches.
    for i in 0..50 {
        let mut tx = database.begin(Scope::Tenant(TenantId(tenant(i)))).await?;
        sqlx::query(LIST_QUERY).bind(None::<String>).fetch_all(&mut *tx).await?;
        sqlx::query(LIST_QUERY_EXPLICIT).bind(None::<String>).bind(tenant(i)).fetch_all(&superuser).await?;
    }

    let mut rls = Figures { label: "app role, RLS (tenant-scoped transaction)", samples: Vec::with_capacity(queries) };
    let mut explicit =
        Figures { label: "superuser, RLS off, explicit `where tenant_id`", samples: Vec::with_capacity(queries) };
    let mut returned = (0usize, 0usize);
    for i in 0..queries {
        let customer = tenant(i);
        let started = Instant::now();
        let mut tx = database.begin(Scope::Tenant(TenantId(customer))).await?;
        let rows = sqlx::query(LIST_QUERY).bind(None::<String>).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        rls.samples.push(started.elapsed());
        returned.0 += rows.len();

        let started = Instant::now();
        let mut tx = superuser.begin().await?;
        let rows = sqlx::query(LIST_QUERY_EXPLICIT).bind(None::<String>).bind(customer).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        explicit.samples.push(started.elapsed());
        returned.1 += rows.len();
    }
    assert_eq!(returned.0, returned.1, "both paths must return the same rows");

    let table = format!(
        "ListSites first page, {sites} sites / {customers} customers, {queries} queries each (transaction included)\n\n\
         | path | p50 ms | p99 ms | queries/s |\n| --- | ---: | ---: | ---: |\n{}\n{}\n",
        rls.row(),
        explicit.row()
    );
    println!("{table}");
    let out = canopy_kit::testing::repo_root().join("target/bench-sites.md");
    std::fs::write(&out, &table)?;
    eprintln!("written to {}", out.display());
    Ok(())
}
