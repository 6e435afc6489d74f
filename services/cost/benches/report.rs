//! Cost reports at scale: 10,000 sites × 365 days of daily records (3.65M rows) across
//! 1,000 customers.
//!
//! Measures, in the same run and on the same data:
//! * a customer's month by day and provider — `api::costs::report`, the handler's own
//!   code, as the app role in the customer's scope (it reads the `site_day` rollup);
//! * the platform's year by month and provider — the same function in the platform
//!   scope (it reads the `tenant_month` rollup);
//! * beside each, the same answer from a plain `GROUP BY` over the raw records
//!   (`cost.record`), as a superuser with the customer named explicitly.
//!
//! Also reports how long building the rollups of the whole year took (the collection
//! job rebuilds only the days a run touched). Prints a markdown table and writes it to
//! `bench-cost.md` in the target directory. Not a test: no duration is asserted, only
//! that both paths give the same totals. Sizes: `CANOPY_BENCH_SITES` (10,000),
//! `CANOPY_BENCH_CUSTOMERS` (1,000), `CANOPY_BENCH_DAYS` (365),
//! `CANOPY_BENCH_QUERIES` (200 customer months), `CANOPY_BENCH_PLATFORM_QUERIES` (30).

use std::time::{Duration, Instant};

use canopy_cost::api::costs::report;
use canopy_cost::store::{Filter, Group};
use canopy_cost::{CostConfig, Costs};
use canopy_kit::clock::SystemClock;
use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::testing::TestEnv;
use chrono::{Datelike, Days, Months, NaiveDate};
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
        format!(
            "| {} | {:.2} | {:.2} |",
            self.label,
            self.percentile(0.50).as_secs_f64() * 1000.0,
            self.percentile(0.99).as_secs_f64() * 1000.0,
        )
    }
}

const RAW_MONTH: &str = "select provider, day, sum(amount_micros)::bigint from cost.record
  where tenant_id = $1 and source = 'accrued' and day between $2 and $3 group by 1, 2";
const RAW_YEAR: &str = "select provider, date_trunc('month', day)::date, sum(amount_micros)::bigint from cost.record
  where source = 'accrued' and day between $1 and $2 group by 1, 2";

fn tenant(i: usize, customers: usize) -> Uuid {
    Uuid::parse_str(&format!("00000000-0000-4000-8000-{:012x}", i % customers)).unwrap()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let sites = env_number("CANOPY_BENCH_SITES", 10_000);
    let customers = env_number("CANOPY_BENCH_CUSTOMERS", 1_000).max(1);
    let days = env_number("CANOPY_BENCH_DAYS", 365).max(31);
    let queries = env_number("CANOPY_BENCH_QUERIES", 200);
    let platform_queries = env_number("CANOPY_BENCH_PLATFORM_QUERIES", 30);

    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await?;
    migrate_schema(&database.owner, &database.roles, "cost", &canopy_cost::MIGRATIONS).await?;
    let superuser: PgPool = env.superuser_pool().await;

    // The last `days` whole days before this month, so the year is whole months.
    let this_month = chrono::Utc::now().date_naive().with_day(1).unwrap();
    let last = this_month - Days::new(1);
    let first = last - Days::new(days as u64 - 1);
    eprintln!("loading {sites} sites × {days} days across {customers} customers…");
    let started = Instant::now();
    superuser
        .execute(
            sqlx::query(
                "insert into cost.record (tenant_id, site_id, account, provider, resource_id, service, resource_type,
                                          region, day, granularity, source, amount_micros, currency, sandbox, collected_at)
                 select ('00000000-0000-4000-8000-' || lpad(to_hex(s % $2), 12, '0'))::uuid,
                        ('00000000-0000-4000-9000-' || lpad(to_hex(s), 12, '0'))::uuid,
                        'bench', (array['aws','azure','gcp','digitalocean','akamai'])[1 + s % 5],
                        'site-' || s, 'compute', (array['compute','database','load_balancer'])[1 + s % 3],
                        'eu-west-1', $3::date + d, 'daily', 'accrued',
                        1000000 + (s * 7919 + d * 104729) % 9000000, 'USD', false, now()
                   from generate_series(1, $1) as s, generate_series(0, $4 - 1) as d",
            )
            .bind(sites as i64)
            .bind(customers as i64)
            .bind(first)
            .bind(days as i32),
        )
        .await?;
    let loaded = started.elapsed();
    let started = Instant::now();
    {
        // What the collection job does for the days it touched, here for the whole range.
        let mut tx = database.begin(Scope::Platform).await?;
        canopy_cost::store::rebuild_rollups(&mut tx, first, last, "USD").await?;
        tx.commit().await?;
    }
    let rollups = started.elapsed();
    superuser.execute("vacuum analyze cost.record").await?;
    superuser.execute("vacuum analyze cost.site_day").await?;
    superuser.execute("vacuum analyze cost.tenant_month").await?;
    eprintln!("loaded in {:.1}s, rollups in {:.1}s", loaded.as_secs_f64(), rollups.as_secs_f64());

    let costs = Costs::new(database.clone(), CostConfig::default(), std::sync::Arc::new(SystemClock))?;
    let month_start = last.with_day(1).unwrap();
    let month = |t: Uuid| Filter {
        tenant: Some(t),
        site: None,
        provider: None,
        region: None,
        resource_type: None,
        start: month_start,
        end: last,
        exclude_sandbox: false,
        source: "accrued",
    };
    let year_start = this_month - Months::new(12);
    let year = Filter { tenant: None, start: year_start.max(first), end: last, ..month(Uuid::nil()) };
    // The year starts on a month boundary only when there is a whole year of data.
    assert!(year.start.day() == 1, "CANOPY_BENCH_DAYS must cover whole months");

    // Warm both paths.
    for i in 0..20 {
        let t = tenant(i, customers);
        report(&costs, Scope::Tenant(TenantId(t)), &month(t), Group::Provider, false, 10).await?;
        sqlx::query(RAW_MONTH).bind(t).bind(month_start).bind(last).fetch_all(&superuser).await?;
    }

    let mut rollup_month =
        Figures { label: "customer's month by day and provider — report (site_day rollup, RLS)", samples: vec![] };
    let mut raw_month =
        Figures { label: "customer's month — plain GROUP BY over raw records (superuser)", samples: vec![] };
    for i in 0..queries {
        let t = tenant(i * 7919, customers);
        let started = Instant::now();
        let answer = report(&costs, Scope::Tenant(TenantId(t)), &month(t), Group::Provider, false, 10).await?;
        rollup_month.samples.push(started.elapsed());
        let started = Instant::now();
        let rows: Vec<(String, NaiveDate, i64)> =
            sqlx::query_as(RAW_MONTH).bind(t).bind(month_start).bind(last).fetch_all(&superuser).await?;
        raw_month.samples.push(started.elapsed());
        let raw_total: i64 = rows.iter().map(|(_, _, micros)| micros).sum();
        assert_eq!(answer.total_micros, raw_total, "both paths agree on {t}'s month");
    }

    let mut rollup_year =
        Figures { label: "platform's year by month and provider — report (tenant_month rollup)", samples: vec![] };
    let mut raw_year = Figures { label: "platform's year — plain GROUP BY over raw records", samples: vec![] };
    for _ in 0..platform_queries {
        let started = Instant::now();
        let answer = report(&costs, Scope::Platform, &year, Group::Provider, true, 10).await?;
        rollup_year.samples.push(started.elapsed());
        let started = Instant::now();
        let rows: Vec<(String, NaiveDate, i64)> =
            sqlx::query_as(RAW_YEAR).bind(year.start).bind(last).fetch_all(&superuser).await?;
        raw_year.samples.push(started.elapsed());
        let raw_total: i64 = rows.iter().map(|(_, _, micros)| micros).sum();
        assert_eq!(answer.total_micros, raw_total, "both paths agree on the platform's year");
    }

    let table = format!(
        "{sites} sites × {days} days = {} daily records across {customers} customers; rollups of the whole range \
         built in {:.1} s; {queries} customer months, {platform_queries} platform years (transaction included)\n\n\
         | path | p50 ms | p99 ms |\n| --- | ---: | ---: |\n{}\n{}\n{}\n{}\n",
        sites * days,
        rollups.as_secs_f64(),
        rollup_month.row(),
        raw_month.row(),
        rollup_year.row(),
        raw_year.row(),
    );
    println!("{table}");
    canopy_kit::testing::write_bench_report("bench-cost.md", &table);
    Ok(())
}
