//! DigitalOcean invoices and billing insights.

use canopy_cost_collectors::stand_in::digitalocean::{DigitalOceanStandIn, DoInsight, DoInvoice, DoInvoiceItem};
use canopy_cost_collectors::{CollectError, Granularity, ResourceType, SiteRef, Source};

use crate::support::{BLOG, SHOP, accrued, build, day, days, find, invoiced, keys, sorted};

const TOKEN: &str = "dop_v1_canopytesttoken";
const URN: &str = "do:team:12345678-1234-1234-1234-123456789012";
const DROPLET: &str = "4a3b2c1d-0000-4000-8000-000000000001";
const DATABASE: &str = "4a3b2c1d-0000-4000-8000-000000000002";

async fn stand_in() -> DigitalOceanStandIn {
    let ocean = DigitalOceanStandIn::start(TOKEN, URN).await;
    ocean.set_insights(vec![
        DoInsight::new(day("2026-11-30"), "1-DO-DROP-0109", "shop-a1b2c3d4 (s-1vcpu-2gb)", "0.4"),
        DoInsight::new(day("2026-12-01"), "1-DO-DROP-0109", "shop-a1b2c3d4 (s-1vcpu-2gb)", "0.4"),
        DoInsight::new(day("2026-12-01"), "1-DO-DBAAS-0001", "blog-1a2b3c4d-db (db-s-1vcpu-1gb)", "0.5"),
        DoInsight::new(day("2026-12-02"), "1-DO-DROP-0109", "shop-a1b2c3d4 (s-1vcpu-2gb)", "0.4"),
    ]);
    ocean.set_invoices(vec![
        DoInvoice {
            uuid: "inv-2026-11".into(),
            period: "2026-11".into(),
            items: vec![
                DoInvoiceItem::new("Droplets", DROPLET, "shop-a1b2c3d4 (s-1vcpu-2gb)", "12.00"),
                DoInvoiceItem::new("Managed Databases", DATABASE, "blog-1a2b3c4d-db", "15.00"),
                DoInvoiceItem::new("Spaces Subscription", "", "Spaces ($5/mo 250GB storage & 1TB bandwidth)", "5.00"),
            ],
        },
        DoInvoice {
            uuid: "inv-2026-10".into(),
            period: "2026-10".into(),
            items: vec![DoInvoiceItem::new("Droplets", DROPLET, "shop-a1b2c3d4 (s-1vcpu-2gb)", "11.00")],
        },
        DoInvoice { uuid: "inv-2026-09".into(), period: "2026-09".into(), items: Vec::new() },
    ]);
    ocean
}

#[tokio::test]
async fn collects_insights_daily_and_invoice_lines_monthly_following_every_page() {
    let ocean = stand_in().await;
    let collector = build(&ocean.config());
    collector.set_sites(&[SHOP, BLOG]);
    let records = collector.collect(days("2026-11-30", "2026-12-01")).await.unwrap();

    let droplet = "1-DO-DROP-0109: shop-a1b2c3d4 (s-1vcpu-2gb)";
    let database = "1-DO-DBAAS-0001: blog-1a2b3c4d-db (db-s-1vcpu-1gb)";
    let spaces = "Spaces Subscription: Spaces ($5/mo 250GB storage & 1TB bandwidth)";
    let expected = vec![
        accrued(
            droplet,
            SiteRef::Id(SHOP),
            "1-DO-DROP-0109",
            ResourceType::Compute,
            "fra1",
            "2026-11-30",
            400_000,
            "USD",
        ),
        accrued(
            droplet,
            SiteRef::Id(SHOP),
            "1-DO-DROP-0109",
            ResourceType::Compute,
            "fra1",
            "2026-12-01",
            400_000,
            "USD",
        ),
        accrued(
            database,
            SiteRef::Id(BLOG),
            "1-DO-DBAAS-0001",
            ResourceType::Database,
            "fra1",
            "2026-12-01",
            500_000,
            "USD",
        ),
        invoiced(DROPLET, SiteRef::Id(SHOP), "Droplets", ResourceType::Compute, "", "2026-11-01", 12_000_000),
        invoiced(
            DATABASE,
            SiteRef::Id(BLOG),
            "Managed Databases",
            ResourceType::Database,
            "",
            "2026-11-01",
            15_000_000,
        ),
        invoiced(spaces, SiteRef::Unknown, "Spaces Subscription", ResourceType::Storage, "", "2026-11-01", 5_000_000),
    ];
    assert_eq!(sorted(records), sorted(expected));

    let paths: Vec<String> = ocean.received().iter().map(|r| format!("{}?{}", r.path, r.query)).collect();
    let insights = format!("/v2/billing/{URN}/insights/2026-11-30/2026-12-01");
    assert_eq!(
        paths,
        vec![
            format!("{insights}?page=1&per_page=200"),
            format!("{insights}?page=2&per_page=200"),
            "/v2/customers/my/invoices?page=1&per_page=200".to_string(),
            "/v2/customers/my/invoices?page=2&per_page=2".to_string(),
            "/v2/customers/my/invoices/inv-2026-11?page=1&per_page=200".to_string(),
            "/v2/customers/my/invoices/inv-2026-11?page=2&per_page=2".to_string(),
        ],
        "three data points two a page, three invoices two a page, and only November's items (two pages)"
    );
    assert!(ocean.received().iter().all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))));
}

#[tokio::test]
async fn insights_are_asked_for_31_days_at_most() {
    let ocean = stand_in().await;
    build(&ocean.config()).collect(days("2026-10-01", "2026-12-02")).await.unwrap();
    let ranges: Vec<String> = ocean
        .received()
        .iter()
        .filter(|r| r.path.contains("/insights/") && r.query_param("page").as_deref() == Some("1"))
        .map(|r| r.path.rsplit("/insights/").next().unwrap().to_string())
        .collect();
    assert_eq!(ranges, vec!["2026-10-01/2026-10-31", "2026-11-01/2026-12-01", "2026-12-02/2026-12-02"]);
}

#[tokio::test]
async fn waits_out_throttling_and_gives_up_when_it_persists() {
    let ocean = stand_in().await;
    let collector = build(&ocean.config());

    ocean.throttle(1, Some(0));
    let records = collector.collect(days("2026-12-02", "2026-12-02")).await.unwrap();
    assert_eq!(records.len(), 1);

    ocean.throttle(1, Some(3600));
    let error = collector.collect(days("2026-12-02", "2026-12-02")).await.unwrap_err();
    assert!(
        matches!(error, CollectError::Throttled { retry_after: Some(wait), .. } if wait.as_secs() == 3600),
        "{error:?}"
    );

    ocean.throttle(4, Some(0));
    let error = collector.collect(days("2026-12-02", "2026-12-02")).await.unwrap_err();
    assert!(matches!(error, CollectError::Throttled { .. }), "{error:?}");
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let ocean = stand_in().await;
    let error =
        build(&ocean.config_with_token("dop_v1_wrong")).collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    match error {
        CollectError::Refused { status, message } => {
            assert_eq!(status, 401);
            assert!(message.contains("Unable to authenticate you"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_answer_not_in_the_documented_shape_is_malformed() {
    let ocean = stand_in().await;
    ocean.malformed(1);
    let error = build(&ocean.config()).collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    assert!(matches!(error, CollectError::Malformed(_)), "{error:?}");
}

#[tokio::test]
async fn restated_amounts_come_back_with_no_extra_records() {
    let ocean = stand_in().await;
    let collector = build(&ocean.config());
    let range = days("2026-11-30", "2026-12-02");
    let first = collector.collect(range).await.unwrap();
    ocean.restate_insight(day("2026-12-01"), "shop-a1b2c3d4 (s-1vcpu-2gb)", "0.45");
    ocean.restate_invoice_item("inv-2026-11", DROPLET, "12.5");
    let second = collector.collect(range).await.unwrap();

    assert_eq!(keys(&first), keys(&second));
    let droplet = "1-DO-DROP-0109: shop-a1b2c3d4 (s-1vcpu-2gb)";
    assert_eq!(find(&second, droplet, "2026-12-01").amount_micros, 450_000);
    let line = find(&second, DROPLET, "2026-11-01");
    assert_eq!(
        (line.source, line.granularity, line.amount_micros),
        (Source::Invoiced, Granularity::Monthly, 12_500_000)
    );
}
