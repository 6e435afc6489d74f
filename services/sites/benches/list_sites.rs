//! ListSites and GetFleetSummary under row-level security at scale: 1M sites across
//! 10k customers, one deployment each.
//!
//! Measures, in the same run and on the same data:
//! * the query `ListSites` runs (first page, newest first) for random customers, as
//!   the app role inside a tenant-scoped transaction (RLS filters the rows), and as a
//!   superuser (RLS does not apply) with the same query plus an explicit
//!   `where tenant_id = $1` — the baseline RLS should match;
//! * `GetFleetSummary`'s reads (`api::fleet_summary`, the handler's own code: site
//!   counts, deployment counts over the last 24 hours, the 5 latest failures and
//!   their sites' names, in one read-only transaction) for random customers, and in
//!   the platform scope over every customer — once for the last 24 hours and once for
//!   the longest window a request may ask for.
//!
//! Sites are 94 % active, 2 % failed, 2 % updating, 2 % deleted; deployments are
//! created 3 s apart (so ≈ 29k fall in the last 24 hours), 5 % of them failed.
//!
//! Prints a markdown table and writes it to `bench-sites.md` in the target directory
//! (`$CARGO_TARGET_DIR`, else `target/`). Not a test: no duration is asserted, only
//! that each path returns what it should. Sizes: `CANOPY_BENCH_SITES` (default 1,000,000),
//! `CANOPY_BENCH_CUSTOMERS` (10,000), `CANOPY_BENCH_QUERIES` (2,000 per tenant-scoped
//! path), `CANOPY_BENCH_PLATFORM_QUERIES` (100 per platform-scoped path).

use std::time::{Duration, Instant};

use canopy_kit::clock::{Clock, SystemClock};
use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::testing::TestEnv;
use canopy_sites::api::fleet_summary;
use canopy_sites::domain::fleet::{DEFAULT_FAILURES, DEFAULT_WINDOW, MAX_WINDOW_DAYS};
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
    let platform_queries = env_number("CANOPY_BENCH_PLATFORM_QUERIES", 100);

    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await?;
    static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sites");
    migrate_schema(&database.owner, &database.roles, "sites", &MIGRATIONS).await?;
    migrate_schema(&database.owner, &database.roles, "provisioner", canopy_deployments::migrator()).await?;
    let superuser: PgPool = env.superuser_pool().await;

    eprintln!("loading {sites} sites and as many deployments across {customers} customers…");
    let started = Instant::now();
    superuser
        .execute(
            sqlx::query(
                "insert into sites.site (tenant_id, id, name, provider, region, size, runtime, status, sandbox, create_time)
                 select ('00000000-0000-4000-8000-' || lpad(to_hex(i % $2), 12, '0'))::uuid,
                        gen_random_uuid(),
                        's' || i,
                        (array['aws','azure','gcp','digitalocean','akamai'])[1 + i % 5],
                        'eu-west-1', 'small', '{\"image\":\"nginx\",\"port\":80,\"env\":{}}',
                        case i % 50 when 1 then 'deleted' when 2 then 'failed' when 3 then 'updating' else 'active' end,
                        true, now() - make_interval(secs => i)
                   from generate_series(1, $1) as i",
            )
            .bind(sites as i64)
            .bind(customers as i64),
        )
        .await?;
    superuser
        .execute(
            "insert into provisioner.deployment
                 (tenant_id, id, site_id, kind, status, provider, sandbox, variables, outcome_applied, create_time)
             select tenant_id, gen_random_uuid(), id, 'create',
                    case when n % 20 = 0 then 'failed' when n % 97 = 1 then 'cancelled' else 'succeeded' end,
                    provider, true, '{}', true, now() - make_interval(secs => n * 3)
               from (select tenant_id, id, provider, row_number() over (order by create_time desc) as n
                       from sites.site) as s",
        )
        .await?;
    // Vacuum too: index-only scans need the visibility map a busy table's autovacuum keeps.
    superuser.execute("vacuum analyze sites.site").await?;
    superuser.execute("vacuum analyze provisioner.deployment").await?;
    eprintln!("loaded in {:.1}s", started.elapsed().as_secs_f64());

    let tenant =
        |i: usize| Uuid::parse_str(&format!("00000000-0000-4000-8000-{:012x}", (i * 7919) % customers)).unwrap();

    // Warm both paths so the first measured query doesn't pay for cold caches.
    for i in 0..50 {
        let mut tx = database.begin(Scope::Tenant(TenantId(tenant(i)))).await?;
        sqlx::query(LIST_QUERY).bind(None::<String>).fetch_all(&mut *tx).await?;
        sqlx::query(LIST_QUERY_EXPLICIT).bind(None::<String>).bind(tenant(i)).fetch_all(&superuser).await?;
    }

    let mut rls =
        Figures { label: "ListSites, app role, RLS (tenant-scoped transaction)", samples: Vec::with_capacity(queries) };
    let mut explicit = Figures {
        label: "ListSites, superuser, RLS off, explicit `where tenant_id`",
        samples: Vec::with_capacity(queries),
    };
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

    // GetFleetSummary: the handler's reads for random customers, then for everyone.
    let now = SystemClock.now();
    let day = now - DEFAULT_WINDOW;
    let year = now - chrono::Duration::days(MAX_WINDOW_DAYS) + chrono::Duration::minutes(1);
    for i in 0..50 {
        fleet_summary(&database, Scope::Tenant(TenantId(tenant(i))), day, DEFAULT_FAILURES).await?;
    }
    fleet_summary(&database, Scope::Platform, day, DEFAULT_FAILURES).await?;
    let mut fleet_tenant =
        Figures { label: "GetFleetSummary, tenant scope, last 24 h", samples: Vec::with_capacity(queries) };
    let mut counted = 0;
    for i in 0..queries {
        let started = Instant::now();
        let summary = fleet_summary(&database, Scope::Tenant(TenantId(tenant(i))), day, DEFAULT_FAILURES).await?;
        fleet_tenant.samples.push(started.elapsed());
        counted += summary.total_sites;
    }
    assert!(counted > 0, "tenant summaries counted no sites");
    let mut platform = Vec::new();
    for (label, since) in [
        ("GetFleetSummary, platform scope, last 24 h", day),
        ("GetFleetSummary, platform scope, last 366 days (the longest window)", year),
    ] {
        let mut figures = Figures { label, samples: Vec::with_capacity(platform_queries) };
        for _ in 0..platform_queries {
            let started = Instant::now();
            let summary = fleet_summary(&database, Scope::Platform, since, DEFAULT_FAILURES).await?;
            figures.samples.push(started.elapsed());
            assert_eq!(summary.total_sites as usize, sites - sites.div_ceil(50), "every live site counted");
        }
        platform.push(figures);
    }

    let table = format!(
        "{sites} sites and {sites} deployments / {customers} customers; ListSites first page and tenant-scoped \
         GetFleetSummary {queries} queries each, platform-scoped GetFleetSummary {platform_queries} each \
         (transaction included)\n\n\
         | path | p50 ms | p99 ms | queries/s |\n| --- | ---: | ---: | ---: |\n{}\n{}\n{}\n{}\n{}\n",
        rls.row(),
        explicit.row(),
        fleet_tenant.row(),
        platform[0].row(),
        platform[1].row(),
    );
    println!("{table}");
    canopy_kit::testing::write_bench_report("bench-sites.md", &table);
    Ok(())
}
