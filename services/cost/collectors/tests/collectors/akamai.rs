//! Akamai (Linode) invoices.

use canopy_cost_collectors::stand_in::akamai::{AkamaiStandIn, LinodeInvoice, LinodeItem};
use canopy_cost_collectors::{CollectError, ResourceType, SiteRef};

use crate::support::{BLOG, SHOP, build, day, days, find, invoiced, keys, sorted};

const TOKEN: &str = "linode-canopy-test-token";
const LINODE: &str = "Linode 4GB - shop-a1b2c3d4 (61234567)";
const BALANCER: &str = "NodeBalancer - blog-1a2b3c4d-lb (1234)";
const VOLUME: &str = "Volume - shop-a1b2c3d4-data (20 GB)";
const BACKUPS: &str = "Backup Service - shared-backups";

async fn stand_in() -> AkamaiStandIn {
    let linode = AkamaiStandIn::start(TOKEN).await;
    let november = |label: &str, amount: &str| LinodeItem::new(label, amount, day("2026-11-01"), day("2026-11-30"));
    linode.set_invoices(vec![
        LinodeInvoice {
            id: 9001,
            date: day("2026-12-01"),
            items: vec![
                november(LINODE, "24.0"),
                november(BALANCER, "10.5"),
                november(VOLUME, "2.000001"),
                november(BACKUPS, "5"),
                // A line of an earlier period on the same invoice (a late charge).
                LinodeItem::new(LINODE, "1.25", day("2026-10-01"), day("2026-10-31")),
            ],
        },
        LinodeInvoice {
            id: 8001,
            date: day("2026-11-01"),
            items: vec![LinodeItem::new(LINODE, "23.5", day("2026-10-01"), day("2026-10-31"))],
        },
        LinodeInvoice {
            id: 7001,
            date: day("2026-10-01"),
            items: vec![LinodeItem::new(LINODE, "20", day("2026-09-01"), day("2026-09-30"))],
        },
    ]);
    linode
}

#[tokio::test]
async fn collects_invoice_items_matching_labels_to_sites_across_pages() {
    let linode = stand_in().await;
    let collector = build(&linode.config());
    collector.set_sites(&[SHOP, BLOG]);
    let records = collector.collect(days("2026-11-01", "2026-11-30")).await.unwrap();

    let expected = vec![
        invoiced(LINODE, SiteRef::Id(SHOP), "Linode 4GB", ResourceType::Compute, "de-fra-2", "2026-11-01", 24_000_000),
        invoiced(
            BALANCER,
            SiteRef::Id(BLOG),
            "NodeBalancer",
            ResourceType::LoadBalancer,
            "de-fra-2",
            "2026-11-01",
            10_500_000,
        ),
        invoiced(VOLUME, SiteRef::Id(SHOP), "Volume", ResourceType::Storage, "de-fra-2", "2026-11-01", 2_000_001),
        invoiced(
            BACKUPS,
            SiteRef::Unknown,
            "Backup Service",
            ResourceType::Storage,
            "de-fra-2",
            "2026-11-01",
            5_000_000,
        ),
    ];
    assert_eq!(sorted(records), sorted(expected));

    // Invoices dated on or after the first day (two: 9001 and 8001), five items of 9001
    // two a page, one of 8001.
    let received = linode.received();
    let list = &received[0];
    assert_eq!(list.path, "/v4/account/invoices");
    assert_eq!(list.header("x-filter"), Some(r#"{"date":{"+gte":"2026-11-01T00:00:00"}}"#));
    let item_pages: Vec<String> = received[1..].iter().map(|r| format!("{}?{}", r.path, r.query)).collect();
    assert_eq!(
        item_pages,
        vec![
            "/v4/account/invoices/9001/items?page=1&page_size=500",
            "/v4/account/invoices/9001/items?page=2&page_size=500",
            "/v4/account/invoices/9001/items?page=3&page_size=500",
            "/v4/account/invoices/8001/items?page=1&page_size=500",
        ]
    );
}

#[tokio::test]
async fn without_known_sites_labels_stay_names() {
    let linode = stand_in().await;
    let records = build(&linode.config()).collect(days("2026-11-01", "2026-11-30")).await.unwrap();
    assert_eq!(find(&records, LINODE, "2026-11-01").site, SiteRef::Name(LINODE.into()));
}

#[tokio::test]
async fn waits_out_throttling_and_gives_up_when_it_persists() {
    let linode = stand_in().await;
    let collector = build(&linode.config());

    linode.throttle(2, Some(0));
    assert_eq!(collector.collect(days("2026-11-01", "2026-11-30")).await.unwrap().len(), 4);

    linode.throttle(4, Some(0));
    let error = collector.collect(days("2026-11-01", "2026-11-30")).await.unwrap_err();
    assert!(matches!(error, CollectError::Throttled { .. }), "{error:?}");
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let linode = stand_in().await;
    let error = build(&linode.config_with_token("wrong")).collect(days("2026-11-01", "2026-11-30")).await.unwrap_err();
    match error {
        CollectError::Refused { status, message } => {
            assert_eq!(status, 401);
            assert!(message.contains("Invalid Token"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_answer_not_in_the_documented_shape_is_malformed() {
    let linode = stand_in().await;
    linode.malformed(1);
    let error = build(&linode.config()).collect(days("2026-11-01", "2026-11-30")).await.unwrap_err();
    assert!(matches!(error, CollectError::Malformed(_)), "{error:?}");
}

#[tokio::test]
async fn a_restated_line_comes_back_with_the_new_amount_and_no_extra_records() {
    let linode = stand_in().await;
    let collector = build(&linode.config());
    let range = days("2026-10-01", "2026-11-30");
    let first = collector.collect(range).await.unwrap();
    linode.restate(9001, BALANCER, "9.75");
    let second = collector.collect(range).await.unwrap();

    assert_eq!(keys(&first), keys(&second));
    assert_eq!(find(&first, BALANCER, "2026-11-01").amount_micros, 10_500_000);
    assert_eq!(find(&second, BALANCER, "2026-11-01").amount_micros, 9_750_000);
    // October's two lines of the same Linode (on two invoices) are one record.
    assert_eq!(find(&second, LINODE, "2026-10-01").amount_micros, 24_750_000);
}
