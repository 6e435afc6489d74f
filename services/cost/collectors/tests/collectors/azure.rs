//! Azure Cost Management.

use canopy_cost_collectors::stand_in::azure::{AzureCost, AzureStandIn};
use canopy_cost_collectors::{CollectError, ResourceType, SiteRef};

use crate::support::{BLOG, SHOP, accrued, build, day, days, find, keys, sorted};

const TENANT: &str = "3f1c2b7e-0d4a-4c55-9a1e-6b2f8c9d0e11";
const CLIENT: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
const SECRET: &str = "canopy~test~secret";
const SUBSCRIPTION: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

fn resource(provider: &str, name: &str) -> String {
    format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/canopy/providers/{provider}/{name}")
}

async fn stand_in() -> AzureStandIn {
    let azure = AzureStandIn::start(TENANT, CLIENT, SECRET, SUBSCRIPTION).await;
    azure.set_costs(vec![
        AzureCost::new(
            day("2026-12-01"),
            &resource("Microsoft.Web/sites", "shop-a1b2c3d4"),
            Some(&SHOP.to_string()),
            "4.321",
        ),
        AzureCost::new(
            day("2026-12-01"),
            &resource("Microsoft.DBforPostgreSQL/flexibleServers", "shop-a1b2c3d4-db"),
            Some(&SHOP.to_string()),
            "1.25",
        ),
        // Untagged, but named after the blog site.
        AzureCost::new(
            day("2026-12-02"),
            &resource("Microsoft.Network/loadBalancers", "blog-1a2b3c4d-lb"),
            None,
            "0.75",
        ),
        AzureCost::new(
            day("2026-12-02"),
            &resource("Microsoft.Storage/storageAccounts", "canopyshared"),
            None,
            "0.000123",
        ),
        AzureCost::new(
            day("2026-12-03"),
            &resource("Microsoft.Web/sites", "shop-a1b2c3d4"),
            Some(&SHOP.to_string()),
            "4.5",
        ),
    ]);
    azure
}

#[tokio::test]
async fn collects_daily_actual_costs_by_resource_following_next_links() {
    let azure = stand_in().await;
    let collector = build(&azure.config());
    collector.set_sites(&[SHOP, BLOG]);
    let records = collector.collect(days("2026-12-01", "2026-12-02")).await.unwrap();

    let web = resource("Microsoft.Web/sites", "shop-a1b2c3d4");
    let db = resource("Microsoft.DBforPostgreSQL/flexibleServers", "shop-a1b2c3d4-db");
    let lb = resource("Microsoft.Network/loadBalancers", "blog-1a2b3c4d-lb");
    let storage = resource("Microsoft.Storage/storageAccounts", "canopyshared");
    let expected = vec![
        accrued(
            &web,
            SiteRef::Id(SHOP),
            "Microsoft.Web/sites",
            ResourceType::Compute,
            "",
            "2026-12-01",
            4_321_000,
            "USD",
        ),
        accrued(
            &db,
            SiteRef::Id(SHOP),
            "Microsoft.DBforPostgreSQL/flexibleServers",
            ResourceType::Database,
            "",
            "2026-12-01",
            1_250_000,
            "USD",
        ),
        accrued(
            &lb,
            SiteRef::Id(BLOG),
            "Microsoft.Network/loadBalancers",
            ResourceType::LoadBalancer,
            "",
            "2026-12-02",
            750_000,
            "USD",
        ),
        accrued(
            &storage,
            SiteRef::Unknown,
            "Microsoft.Storage/storageAccounts",
            ResourceType::Storage,
            "",
            "2026-12-02",
            123,
            "USD",
        ),
    ];
    assert_eq!(sorted(records), sorted(expected));

    // One token for both pages; the second page is the next link, POSTed with the same body.
    let received = azure.received();
    let queries: Vec<_> = received.iter().filter(|r| r.path.ends_with("/query")).collect();
    assert_eq!(azure.tokens_issued(), 1);
    assert_eq!(queries.len(), 2);
    assert_eq!(queries[1].query_param("$skiptoken").as_deref(), Some("2"));
    assert_eq!(queries[0].body, queries[1].body);
    let body = queries[0].json();
    assert_eq!(body["timePeriod"]["from"], "2026-12-01T00:00:00Z");
    assert_eq!(body["timePeriod"]["to"], "2026-12-02T23:59:59Z");
    let token = received.iter().find(|r| r.path.ends_with("/oauth2/v2.0/token")).unwrap();
    assert_eq!(token.path, format!("/{TENANT}/oauth2/v2.0/token"));
}

#[tokio::test]
async fn the_token_is_reused_across_runs() {
    let azure = stand_in().await;
    let collector = build(&azure.config());
    collector.collect(days("2026-12-01", "2026-12-01")).await.unwrap();
    collector.collect(days("2026-12-03", "2026-12-03")).await.unwrap();
    assert_eq!(azure.tokens_issued(), 1);
}

#[tokio::test]
async fn waits_out_throttling_and_gives_up_when_asked_to_wait_too_long() {
    let azure = stand_in().await;
    let collector = build(&azure.config());

    azure.throttle(2, Some(0));
    let records = collector.collect(days("2026-12-03", "2026-12-03")).await.unwrap();
    assert_eq!(records.len(), 1);

    azure.throttle(1, Some(120));
    let error = collector.collect(days("2026-12-03", "2026-12-03")).await.unwrap_err();
    match error {
        CollectError::Throttled { retry_after, .. } => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(120)))
        }
        other => panic!("expected throttling, got {other:?}"),
    }

    azure.throttle(4, Some(0));
    let error = collector.collect(days("2026-12-03", "2026-12-03")).await.unwrap_err();
    assert!(matches!(error, CollectError::Throttled { .. }), "{error:?}");
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused() {
    let azure = stand_in().await;
    let error = build(&azure.config_with_secret("wrong")).collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    match error {
        CollectError::Refused { status, message } => {
            assert_eq!(status, 401);
            assert!(message.contains("AADSTS7000215"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_revoked_token_is_refused_and_a_new_one_fetched_next_run() {
    let azure = stand_in().await;
    let collector = build(&azure.config());
    collector.collect(days("2026-12-01", "2026-12-01")).await.unwrap();
    azure.revoke_tokens();
    let error = collector.collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    assert!(matches!(error, CollectError::Refused { status: 401, .. }), "{error:?}");
    collector.collect(days("2026-12-01", "2026-12-01")).await.unwrap();
    assert_eq!(azure.tokens_issued(), 2);
}

#[tokio::test]
async fn an_answer_not_in_the_documented_shape_is_malformed() {
    let azure = stand_in().await;
    azure.malformed(1);
    let error = build(&azure.config()).collect(days("2026-12-01", "2026-12-01")).await.unwrap_err();
    assert!(matches!(error, CollectError::Malformed(_)), "{error:?}");
}

#[tokio::test]
async fn a_restated_day_comes_back_with_the_new_amount_and_no_extra_records() {
    let azure = stand_in().await;
    let collector = build(&azure.config());
    let range = days("2026-12-01", "2026-12-03");
    let first = collector.collect(range).await.unwrap();
    let web = resource("Microsoft.Web/sites", "shop-a1b2c3d4");
    azure.restate(day("2026-12-01"), &web, "5.000001");
    let second = collector.collect(range).await.unwrap();

    assert_eq!(keys(&first), keys(&second));
    assert_eq!(find(&first, &web, "2026-12-01").amount_micros, 4_321_000);
    assert_eq!(find(&second, &web, "2026-12-01").amount_micros, 5_000_001);
}
