//! AWS Cost Explorer.

use canopy_cost_collectors::stand_in::aws::{AwsCost, AwsStandIn};
use canopy_cost_collectors::{CollectError, ResourceType, SiteRef};

use crate::support::{BLOG, SHOP, accrued, build, day, days, find, keys, sorted};

const KEY_ID: &str = "AKIDCANOPYTEST";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYCANOPYKEY";

async fn stand_in() -> AwsStandIn {
    let aws = AwsStandIn::start(KEY_ID, SECRET).await;
    aws.set_costs(vec![
        AwsCost::new(day("2026-12-01"), &SHOP.to_string(), "Amazon Elastic Container Service", "12.345678"),
        AwsCost::new(day("2026-12-01"), &SHOP.to_string(), "Amazon Relational Database Service", "3.1"),
        AwsCost::new(day("2026-12-01"), "", "AWS Data Transfer", "0.000001"),
        AwsCost::new(day("2026-12-02"), &BLOG.to_string(), "Amazon Elastic Load Balancing", "0.5"),
        AwsCost::new(day("2026-12-03"), &SHOP.to_string(), "Amazon Simple Storage Service", "-0.25"),
        AwsCost::new(day("2026-12-04"), &SHOP.to_string(), "Amazon Simple Storage Service", "9"),
    ]);
    aws
}

fn shop(service: &str) -> String {
    format!("{service} (canopy_site_id={SHOP})")
}

#[tokio::test]
async fn collects_daily_costs_by_site_tag_and_service_following_every_page() {
    let aws = stand_in().await;
    let records = build(&aws.config()).collect(days("2026-12-01", "2026-12-03")).await.unwrap();

    let ecs = "Amazon Elastic Container Service";
    let rds = "Amazon Relational Database Service";
    let s3 = "Amazon Simple Storage Service";
    let elb = "Amazon Elastic Load Balancing";
    let expected = vec![
        accrued(&shop(ecs), SiteRef::Id(SHOP), ecs, ResourceType::Compute, "", "2026-12-01", 12_345_678, "USD"),
        accrued(&shop(rds), SiteRef::Id(SHOP), rds, ResourceType::Database, "", "2026-12-01", 3_100_000, "USD"),
        accrued(
            "AWS Data Transfer (untagged)",
            SiteRef::Unknown,
            "AWS Data Transfer",
            ResourceType::Network,
            "",
            "2026-12-01",
            1,
            "USD",
        ),
        accrued(
            &format!("{elb} (canopy_site_id={BLOG})"),
            SiteRef::Id(BLOG),
            elb,
            ResourceType::LoadBalancer,
            "",
            "2026-12-02",
            500_000,
            "USD",
        ),
        accrued(&shop(s3), SiteRef::Id(SHOP), s3, ResourceType::Storage, "", "2026-12-03", -250_000, "USD"),
    ];
    assert_eq!(sorted(records), sorted(expected));

    // Five groups two a page: three signed requests, the later ones with the page token.
    let received = aws.received();
    assert_eq!(received.len(), 3);
    for (index, request) in received.iter().enumerate() {
        let body = request.json();
        assert_eq!(body["TimePeriod"]["Start"], "2026-12-01");
        assert_eq!(body["TimePeriod"]["End"], "2026-12-04", "Cost Explorer's end is exclusive");
        assert_eq!(request.header("x-amz-target"), Some("AWSInsightsIndexService.GetCostAndUsage"));
        assert!(request.header("authorization").unwrap().starts_with("AWS4-HMAC-SHA256 Credential=AKIDCANOPYTEST/"));
        assert_eq!(body.get("NextPageToken").is_some(), index > 0);
    }
}

#[tokio::test]
async fn waits_out_throttling_and_gives_up_when_it_persists() {
    let aws = stand_in().await;
    let collector = build(&aws.config());

    aws.throttle(1);
    let records = collector.collect(days("2026-12-01", "2026-12-01")).await.unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(aws.received().len(), 1 + 2, "one throttled request, then two pages");

    aws.throttle(4);
    let error = collector.collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    assert!(matches!(error, CollectError::Throttled { retry_after: None, .. }), "{error:?}");
    assert_eq!(aws.received().len(), 3 + 4, "the first try and three retries");
}

#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let aws = stand_in().await;
    let error =
        build(&aws.config_with_secret("not-the-secret")).collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    match error {
        CollectError::Refused { status, message } => {
            assert_eq!(status, 403);
            assert!(message.contains("signature"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_answer_not_in_the_documented_shape_is_malformed() {
    let aws = stand_in().await;
    aws.malformed(1);
    let error = build(&aws.config()).collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    assert!(matches!(error, CollectError::Malformed(_)), "{error:?}");
}

#[tokio::test]
async fn a_restated_day_comes_back_with_the_new_amount_and_no_extra_records() {
    let aws = stand_in().await;
    let collector = build(&aws.config());
    let range = days("2026-12-01", "2026-12-04");
    let first = collector.collect(range).await.unwrap();

    aws.restate(day("2026-12-03"), &SHOP.to_string(), "Amazon Simple Storage Service", "-0.75");
    let second = collector.collect(range).await.unwrap();

    assert_eq!(keys(&first), keys(&second));
    let s3 = shop("Amazon Simple Storage Service");
    assert_eq!(find(&first, &s3, "2026-12-03").amount_micros, -250_000);
    assert_eq!(find(&second, &s3, "2026-12-03").amount_micros, -750_000);
    assert_eq!(find(&second, &s3, "2026-12-04").amount_micros, 9_000_000);
}
