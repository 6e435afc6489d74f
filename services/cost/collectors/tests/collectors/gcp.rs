//! GCP BigQuery billing export.

use canopy_cost_collectors::stand_in::gcp::{GcpCost, GcpStandIn};
use canopy_cost_collectors::{CollectError, ResourceType, SiteRef};

use crate::support::{BLOG, SHOP, accrued, build, day, days, find, keys, sorted};

/// A key pair generated for these tests only (never used anywhere else).
const TEST_ONLY_PRIVATE_KEY: &str = include_str!("../fixtures/gcp-test-only-service-account-key.pem");
const TEST_ONLY_PUBLIC_KEY: &str = include_str!("../fixtures/gcp-test-only-service-account-key.pub.pem");
/// The public half of another test-only key, whose private half was thrown away.
const TEST_ONLY_OTHER_PUBLIC_KEY: &str = include_str!("../fixtures/gcp-test-only-other-key.pub.pem");
const PROJECT: &str = "canopy-billing";
const TABLE: &str = "canopy-billing.billing_export.gcp_billing_export_resource_v1_01A2B3_C4D5E6_F7A8B9";
const EMAIL: &str = "cost-collector@canopy-billing.iam.gserviceaccount.com";

const RUN: &str = "//run.googleapis.com/projects/canopy-prod/locations/europe-west1/services/shop-a1b2c3d4";
const SQL: &str = "//cloudsql.googleapis.com/projects/canopy-prod/instances/blog-1a2b3c4d-db";

async fn stand_in() -> GcpStandIn {
    let gcp = GcpStandIn::start(PROJECT, TABLE, EMAIL, TEST_ONLY_PUBLIC_KEY).await;
    gcp.set_costs(vec![
        // Two export lines of one resource on one day (two SKUs) are one record.
        GcpCost::new(day("2026-12-01"), RUN, "Cloud Run", &SHOP.to_string(), "1.000001", "-0.5"),
        GcpCost::new(day("2026-12-01"), RUN, "Cloud Run", &SHOP.to_string(), "0.25", "0"),
        // Unlabelled, named after the blog site.
        GcpCost::new(day("2026-12-01"), SQL, "Cloud SQL", "", "2.2", "0"),
        GcpCost::new(day("2026-12-02"), RUN, "Cloud Run", &SHOP.to_string(), "1.5", "-0.1"),
        GcpCost::new(day("2026-12-02"), "", "Cloud Logging", "", "0.03", "0"),
        GcpCost::new(day("2026-12-05"), RUN, "Cloud Run", &SHOP.to_string(), "7", "0"),
    ]);
    gcp
}

#[tokio::test]
async fn collects_cost_plus_credits_per_day_and_resource_across_pages() {
    let gcp = stand_in().await;
    let records = build(&gcp.config(TEST_ONLY_PRIVATE_KEY)).collect(days("2026-12-01", "2026-12-02")).await.unwrap();

    let expected = vec![
        accrued(
            RUN,
            SiteRef::Id(SHOP),
            "Cloud Run",
            ResourceType::Compute,
            "europe-west1",
            "2026-12-01",
            750_001,
            "EUR",
        ),
        accrued(
            SQL,
            SiteRef::Name("blog-1a2b3c4d-db".into()),
            "Cloud SQL",
            ResourceType::Database,
            "europe-west1",
            "2026-12-01",
            2_200_000,
            "EUR",
        ),
        accrued(
            RUN,
            SiteRef::Id(SHOP),
            "Cloud Run",
            ResourceType::Compute,
            "europe-west1",
            "2026-12-02",
            1_400_000,
            "EUR",
        ),
        accrued(
            "Cloud Logging (no resource)",
            SiteRef::Unknown,
            "Cloud Logging",
            ResourceType::Other,
            "europe-west1",
            "2026-12-02",
            30_000,
            "EUR",
        ),
    ];
    assert_eq!(sorted(records), sorted(expected));

    let received = gcp.received();
    let query = received.iter().find(|r| r.method == "POST" && r.path.ends_with("/queries")).unwrap();
    let body = query.json();
    assert_eq!(body["useLegacySql"], false);
    assert_eq!(body["parameterMode"], "NAMED");
    assert_eq!(body["location"], "EU");
    let sql = body["query"].as_str().unwrap();
    assert!(!sql.contains("2026-12-01"), "dates are parameters, never text: {sql}");
    // Four rows two a page: the query's page and one getQueryResults page.
    let pages: Vec<_> = received.iter().filter(|r| r.method == "GET").collect();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].query_param("pageToken").as_deref(), Some("offset-2"));
    assert_eq!(pages[0].query_param("location").as_deref(), Some("EU"));
    assert_eq!(gcp.tokens_issued(), 1);
}

#[tokio::test]
async fn names_resolve_to_known_sites() {
    let gcp = stand_in().await;
    let collector = build(&gcp.config(TEST_ONLY_PRIVATE_KEY));
    collector.set_sites(&[SHOP, BLOG]);
    let records = collector.collect(days("2026-12-01", "2026-12-01")).await.unwrap();
    assert_eq!(find(&records, SQL, "2026-12-01").site, SiteRef::Id(BLOG));
}

#[tokio::test]
async fn polls_an_incomplete_job_until_it_completes() {
    let gcp = stand_in().await;
    gcp.incomplete_for(2);
    let records = build(&gcp.config(TEST_ONLY_PRIVATE_KEY)).collect(days("2026-12-05", "2026-12-05")).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].amount_micros, 7_000_000);
    let reads = gcp.received().iter().filter(|r| r.method == "GET").count();
    assert_eq!(reads, 2, "two getQueryResults until the job completed");
}

#[tokio::test]
async fn waits_out_throttling_and_gives_up_when_it_persists() {
    let gcp = stand_in().await;
    let collector = build(&gcp.config(TEST_ONLY_PRIVATE_KEY));

    gcp.throttle(1, Some(0));
    assert_eq!(collector.collect(days("2026-12-05", "2026-12-05")).await.unwrap().len(), 1);

    gcp.throttle(4, Some(0));
    let error = collector.collect(days("2026-12-05", "2026-12-05")).await.unwrap_err();
    assert!(matches!(error, CollectError::Throttled { .. }), "{error:?}");
}

#[tokio::test]
async fn an_assertion_signed_by_another_key_is_refused() {
    let gcp = GcpStandIn::start(PROJECT, TABLE, EMAIL, TEST_ONLY_OTHER_PUBLIC_KEY).await;
    let error = build(&gcp.config(TEST_ONLY_PRIVATE_KEY)).collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    match error {
        CollectError::Refused { status, message } => {
            assert_eq!(status, 400);
            assert!(message.contains("Invalid JWT"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_answer_not_in_the_documented_shape_is_malformed() {
    let gcp = stand_in().await;
    gcp.malformed(1);
    let error = build(&gcp.config(TEST_ONLY_PRIVATE_KEY)).collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    assert!(matches!(error, CollectError::Malformed(_)), "{error:?}");
}

#[tokio::test]
async fn a_restated_day_comes_back_with_the_new_amount_and_no_extra_records() {
    let gcp = stand_in().await;
    let collector = build(&gcp.config(TEST_ONLY_PRIVATE_KEY));
    let range = days("2026-12-01", "2026-12-05");
    let first = collector.collect(range).await.unwrap();
    gcp.restate(day("2026-12-02"), RUN, "2.5");
    let second = collector.collect(range).await.unwrap();

    assert_eq!(keys(&first), keys(&second));
    assert_eq!(find(&first, RUN, "2026-12-02").amount_micros, 1_400_000);
    assert_eq!(find(&second, RUN, "2026-12-02").amount_micros, 2_400_000);
}
