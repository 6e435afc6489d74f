//! Collection runs against a stand-in for each of the five clouds, into a real
//! database: every cloud's records are stored once, attributed to the customer's site,
//! and a second run over restated days changes the amounts without adding records. An
//! account whose credentials the cloud refuses gets a clear status and one failed run,
//! not a retry loop.

use std::collections::BTreeMap;
use std::sync::Arc;

use canopy_cost::store;
use canopy_cost::{CostConfig, Costs, collect};
use canopy_cost_collectors::stand_in::akamai::{AkamaiStandIn, LinodeInvoice, LinodeItem};
use canopy_cost_collectors::stand_in::aws::{AwsCost, AwsStandIn};
use canopy_cost_collectors::stand_in::azure::{AzureCost, AzureStandIn};
use canopy_cost_collectors::stand_in::digitalocean::{DigitalOceanStandIn, DoInsight, DoInvoice, DoInvoiceItem};
use canopy_cost_collectors::stand_in::gcp::{GcpCost, GcpStandIn};
use canopy_kit::clock::{Clock as _, ManualClock};
use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::testing::TestEnv;
use chrono::{Datelike, Days, Months, NaiveDate};
use uuid::Uuid;

const GCP_KEY: &str = include_str!("../../collectors/tests/fixtures/gcp-test-only-service-account-key.pem");
const GCP_PUBLIC_KEY: &str = include_str!("../../collectors/tests/fixtures/gcp-test-only-service-account-key.pub.pem");
/// The customer's site: resources named `shop-a1b2c3d4…` carry its id's last 8 hex digits.
const SHOP: Uuid = Uuid::from_u128(0x7f3e2a10_5b4c_4d8e_9f01_0000a1b2c3d4);
const SUBSCRIPTION: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const DROPLET: &str = "4a3b2c1d-0000-4000-8000-000000000001";

async fn run_all(costs: &Costs, accounts: &[&str], start: NaiveDate, end: NaiveDate) {
    let mut tx = costs.database.begin(Scope::Platform).await.unwrap();
    for account in accounts {
        store::queue_run(&mut tx, account, start, end, costs.clock.now()).await.unwrap();
    }
    tx.commit().await.unwrap();
    while collect::run_next(costs).await.unwrap() {}
}

/// (records, total micros, records attributed to the customer) per account.
async fn stored(pool: &sqlx::PgPool) -> BTreeMap<String, (i64, i64, i64)> {
    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
        "select account, count(*), sum(amount_micros)::bigint, count(*) filter (where tenant_id is not null)
           from cost.record group by account",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    rows.into_iter().map(|(account, count, total, attributed)| (account, (count, total, attributed))).collect()
}

#[tokio::test]
async fn each_cloud_s_costs_are_stored_once_and_restated_days_replace_them() {
    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await.unwrap();
    migrate_schema(&database.owner, &database.roles, "cost", &canopy_cost::MIGRATIONS).await.unwrap();
    let pool = env.superuser_pool().await;
    let clock = ManualClock::new();
    let today = clock.now().date_naive();
    let (d1, d2) = (today - Days::new(3), today - Days::new(2));
    let last_month = today.with_day(1).unwrap() - Months::new(1);
    let customer = Uuid::new_v4();
    {
        let mut tx = database.begin(Scope::Tenant(TenantId(customer))).await.unwrap();
        store::upsert_site(&mut tx, customer, SHOP, "shop", "aws", "eu-west-1", last_month, false).await.unwrap();
        tx.commit().await.unwrap();
    }

    let aws = AwsStandIn::start("AKIDCANOPYTEST", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYCANOPYKEY").await;
    aws.set_costs(vec![
        AwsCost::new(d1, &SHOP.to_string(), "Amazon Elastic Container Service", "12.5"),
        AwsCost::new(d2, &SHOP.to_string(), "Amazon Elastic Container Service", "12.75"),
        AwsCost::new(d2, &SHOP.to_string(), "Amazon Relational Database Service", "3.1"),
    ]);
    let azure =
        AzureStandIn::start("3f1c2b7e-0d4a-4c55-9a1e-6b2f8c9d0e11", "client", "canopy~secret", SUBSCRIPTION).await;
    let web =
        format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/canopy/providers/Microsoft.Web/sites/shop-a1b2c3d4");
    azure.set_costs(vec![
        AzureCost::new(d1, &web, Some(&SHOP.to_string()), "4.25"),
        AzureCost::new(d2, &web, Some(&SHOP.to_string()), "4.5"),
    ]);
    let gcp = GcpStandIn::start(
        "canopy-billing",
        "canopy-billing.billing_export.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9",
        "cost-collector@canopy-billing.iam.gserviceaccount.com",
        GCP_PUBLIC_KEY,
    )
    .await;
    let run = "//run.googleapis.com/projects/canopy-prod/locations/europe-west1/services/shop-a1b2c3d4";
    gcp.set_costs(vec![
        GcpCost::new(d1, run, "Cloud Run", &SHOP.to_string(), "1.5", "0"),
        GcpCost::new(d2, run, "Cloud Run", &SHOP.to_string(), "2", "-0.5"),
    ]);
    let ocean =
        DigitalOceanStandIn::start("dop_v1_canopytesttoken", "do:team:12345678-1234-1234-1234-123456789012").await;
    ocean.set_insights(vec![
        DoInsight::new(d1, "1-DO-DROP-0109", "shop-a1b2c3d4 (s-1vcpu-2gb)", "0.6"),
        DoInsight::new(d2, "1-DO-DROP-0109", "shop-a1b2c3d4 (s-1vcpu-2gb)", "0.6"),
    ]);
    ocean.set_invoices(vec![DoInvoice {
        uuid: "inv-last-month".into(),
        period: last_month.format("%Y-%m").to_string(),
        items: vec![DoInvoiceItem::new("Droplets", DROPLET, "shop-a1b2c3d4 (s-1vcpu-2gb)", "18.00")],
    }]);
    let linode = AkamaiStandIn::start("linode-canopy-test-token").await;
    let month_end = today.with_day(1).unwrap() - Days::new(1);
    linode.set_invoices(vec![LinodeInvoice {
        id: 9001,
        date: today.with_day(1).unwrap(),
        items: vec![
            LinodeItem::new("Linode 4GB - shop-a1b2c3d4 (61234567)", "24", last_month, month_end),
            LinodeItem::new("NodeBalancer - shop-a1b2c3d4-lb (1234)", "10", last_month, month_end),
        ],
    }]);

    let mut config = CostConfig::default();
    config.accounts = BTreeMap::from([
        ("aws".to_owned(), aws.config()),
        ("aws-refused".to_owned(), aws.config_with_secret("not the secret")),
        ("azure".to_owned(), azure.config()),
        ("gcp".to_owned(), gcp.config(GCP_KEY)),
        ("digitalocean".to_owned(), ocean.config()),
        ("akamai".to_owned(), linode.config()),
    ]);
    let costs = Costs::new(database.clone(), config, Arc::new(clock.clone())).unwrap();
    let accounts = ["aws", "aws-refused", "azure", "gcp", "digitalocean", "akamai"];
    let (start, end) = (last_month, today - Days::new(1));
    run_all(&costs, &accounts, start, end).await;

    let first = stored(&pool).await;
    let expected = BTreeMap::from([
        // (records, total, attributed)
        ("aws".to_owned(), (3, 28_350_000, 3)),
        ("azure".to_owned(), (2, 8_750_000, 2)),
        ("gcp".to_owned(), (2, 3_000_000, 2)),
        // two daily insights and one invoice line
        ("digitalocean".to_owned(), (3, 19_200_000, 3)),
        ("akamai".to_owned(), (2, 34_000_000, 2)),
    ]);
    assert_eq!(first, expected, "each cloud's records, attributed to the site");

    // The refused account: a clear status, one failed run, nothing stored.
    let mut tx = database.begin(Scope::Platform).await.unwrap();
    let statuses: BTreeMap<String, (String, String)> = store::account_statuses(&mut tx)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.account, (row.status, row.message)))
        .collect();
    let runs = store::list_runs(&mut tx, Some("aws-refused"), 0, 10).await.unwrap();
    tx.commit().await.unwrap();
    for account in ["aws", "azure", "gcp", "digitalocean", "akamai"] {
        assert_eq!(statuses[account].0, "ok", "{account}: {:?}", statuses[account]);
    }
    assert_eq!(statuses["gcp"].1, "2 records are in another currency than USD and are left out of reports");
    assert_eq!(statuses["aws-refused"].0, "refused");
    assert!(statuses["aws-refused"].1.contains("403"), "{:?}", statuses["aws-refused"]);
    assert_eq!(runs.len(), 1);
    assert_eq!((runs[0].state.as_str(), runs[0].attempts), ("failed", 1), "no retry loop");

    // The clouds restate: the second run changes amounts, never the number of records.
    aws.restate(d2, &SHOP.to_string(), "Amazon Elastic Container Service", "13");
    azure.restate(d2, &web, "5");
    gcp.restate(d2, run, "2.5");
    ocean.restate_insight(d2, "shop-a1b2c3d4 (s-1vcpu-2gb)", "0.75");
    linode.restate(9001, "NodeBalancer - shop-a1b2c3d4-lb (1234)", "12");
    run_all(&costs, &["aws", "azure", "gcp", "digitalocean", "akamai"], start, end).await;
    let second = stored(&pool).await;
    let restated = BTreeMap::from([
        ("aws".to_owned(), (3, 28_600_000, 3)),
        ("azure".to_owned(), (2, 9_250_000, 2)),
        ("gcp".to_owned(), (2, 3_500_000, 2)),
        ("digitalocean".to_owned(), (3, 19_350_000, 3)),
        ("akamai".to_owned(), (2, 36_000_000, 2)),
    ]);
    assert_eq!(second, restated);

    // The customer's rollups follow: everything above, in the site's days and months.
    let mut tx = database.begin(Scope::Tenant(TenantId(customer))).await.unwrap();
    let filter = store::Filter {
        tenant: Some(customer),
        site: Some(SHOP),
        provider: None,
        region: None,
        resource_type: None,
        start,
        end,
        exclude_sandbox: false,
        source: "accrued",
    };
    let accrued = store::total(&mut tx, store::Table::SiteDay, &filter).await.unwrap();
    let invoiced =
        store::total(&mut tx, store::Table::SiteDay, &store::Filter { source: "invoiced", ..filter.clone() })
            .await
            .unwrap();
    tx.commit().await.unwrap();
    // GCP's export is in EUR: stored, but left out of the USD reports, and said so.
    assert_eq!(accrued, 28_600_000 + 9_250_000 + 1_350_000);
    assert_eq!(invoiced, 18_000_000 + 36_000_000);
}

#[tokio::test]
async fn a_sandbox_site_gets_simulated_history_from_its_estimate_and_real_sites_never_do() {
    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await.unwrap();
    migrate_schema(&database.owner, &database.roles, "cost", &canopy_cost::MIGRATIONS).await.unwrap();
    let clock = ManualClock::new();
    let today = clock.now().date_naive();
    let customer = Uuid::new_v4();
    let (sandboxed, real) = (Uuid::new_v4(), Uuid::new_v4());
    let estimate = canopy_cost::estimate::Estimate {
        currency: "USD".into(),
        monthly_micros: 30_400_000,
        hourly_micros: 41_644,
        lines: vec![canopy_cost::estimate::Line {
            address: "digitalocean_droplet.this[0]".into(),
            resource_type: "digitalocean_droplet".into(),
            description: "Droplet".into(),
            monthly_micros: 30_400_000,
            hourly_micros: 41_644,
            assumption: None,
        }],
        snapshot_date: today,
        free_resources: 0,
        unpriced_resource_types: vec![],
    };
    let mut tx = database.begin(Scope::Tenant(TenantId(customer))).await.unwrap();
    for (site, sandbox) in [(sandboxed, true), (real, false)] {
        store::upsert_site(&mut tx, customer, site, "shop", "digitalocean", "fra1", today, false).await.unwrap();
        store::save_estimate(&mut tx, customer, Uuid::new_v4(), site, &estimate, false, 0, sandbox, clock.now())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let config = CostConfig { sandbox_history_days: 20, ..CostConfig::default() };
    let costs = Costs::new(database.clone(), config, Arc::new(clock.clone())).unwrap();
    collect::schedule(&costs).await.unwrap();
    while collect::run_next(&costs).await.unwrap() {}

    let mut tx = database.begin(Scope::Tenant(TenantId(customer))).await.unwrap();
    let filter = |site| store::Filter {
        tenant: Some(customer),
        site: Some(site),
        provider: None,
        region: None,
        resource_type: None,
        start: today - Days::new(60),
        end: today,
        exclude_sandbox: false,
        source: "accrued",
    };
    let simulated = store::daily(&mut tx, &filter(sandboxed)).await.unwrap();
    let none = store::daily(&mut tx, &filter(real)).await.unwrap();
    assert!(store::any_sandbox(&mut tx, &filter(sandboxed)).await.unwrap());
    tx.commit().await.unwrap();
    // Twenty days of history up to yesterday, each within ±15 % of $1 a day (10 % less on
    // weekends).
    assert_eq!(simulated.len(), 20, "{simulated:?}");
    assert_eq!(simulated.first().unwrap().0, today - Days::new(20));
    assert!(simulated.iter().all(|(_, micros)| (750_000..=1_150_000).contains(micros)), "{simulated:?}");
    assert!(none.is_empty(), "a site deployed to a cloud is never simulated");
}
