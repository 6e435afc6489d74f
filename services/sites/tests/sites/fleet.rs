//! GetFleetSummary: counts per status for a customer and across customers, the
//! latest failures with their sites' names, isolation, and request validation.
//! Deployments on GCP fail in these worlds (see `World::start_failing`).

use canopy_kit::clock::Clock;
use canopy_sdk::proto::canopy::common::v1::CloudProvider;
use canopy_sdk::proto::canopy::sites::v1::*;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::{Sites, World, new_site, site_reaches, violated_fields};

fn failing_site(name: &str) -> CreateSiteRequest {
    CreateSiteRequest { provider: CloudProvider::Gcp as i32, region: "europe-west1".into(), ..new_site(name) }
}

/// Creates a site and waits for its first deployment's outcome; returns its id.
async fn settled_site(sites: &mut Sites, request: CreateSiteRequest) -> String {
    let failing = request.provider == CloudProvider::Gcp as i32;
    let site = sites.create_site(request).await.unwrap().into_inner().site.unwrap();
    site_reaches(sites, &site.id, if failing { SiteStatus::Failed } else { SiteStatus::Active }).await;
    site.id
}

async fn summary(sites: &mut Sites, request: GetFleetSummaryRequest) -> GetFleetSummaryResponse {
    sites.get_fleet_summary(request).await.unwrap().into_inner()
}

/// The site counts as (status, count), every status but DELETED in enum order.
fn site_counts(summary: &GetFleetSummaryResponse) -> Vec<(SiteStatus, i64)> {
    summary.site_counts.iter().map(|c| (c.status(), c.count)).collect()
}

fn deployment_counts(summary: &GetFleetSummaryResponse) -> Vec<(DeploymentStatus, i64)> {
    summary.deployment_counts.iter().map(|c| (c.status(), c.count)).collect()
}

fn expected_sites(active: i64, failed: i64) -> Vec<(SiteStatus, i64)> {
    vec![
        (SiteStatus::Pending, 0),
        (SiteStatus::Provisioning, 0),
        (SiteStatus::Active, active),
        (SiteStatus::Updating, 0),
        (SiteStatus::Failed, failed),
        (SiteStatus::Deleting, 0),
    ]
}

fn expected_deployments(succeeded: i64, failed: i64) -> Vec<(DeploymentStatus, i64)> {
    vec![
        (DeploymentStatus::Queued, 0),
        (DeploymentStatus::Running, 0),
        (DeploymentStatus::AwaitingOverride, 0),
        (DeploymentStatus::Succeeded, succeeded),
        (DeploymentStatus::Failed, failed),
        (DeploymentStatus::Cancelled, 0),
    ]
}

fn failed_site_names(summary: &GetFleetSummaryResponse) -> Vec<&str> {
    summary.recent_failures.iter().map(|f| f.site_name.as_str()).collect()
}

fn proto_time(time: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: time.timestamp(), nanos: time.timestamp_subsec_nanos() as i32 }
}

#[tokio::test]
async fn the_summary_counts_a_customer_s_own_fleet_and_an_admin_counts_every_customer_s() {
    let world = World::start_failing(canopy_terraform::CloudProvider::Gcp).await;
    let a = world.customer("fleet-a").await;
    let b = world.customer("fleet-b").await;
    let mut sites_a = world.sites(&a.owner_token).await;
    let mut sites_b = world.sites(&b.owner_token).await;
    settled_site(&mut sites_a, new_site("a-one")).await;
    let doomed = settled_site(&mut sites_a, new_site("a-two")).await;
    settled_site(&mut sites_a, failing_site("a-broken")).await;
    settled_site(&mut sites_b, new_site("b-one")).await;
    settled_site(&mut sites_b, failing_site("b-broken")).await;
    settled_site(&mut sites_b, failing_site("b-cracked")).await;
    // A deleted site leaves the fleet; its destroy deployment still counts.
    sites_a
        .delete_site(DeleteSiteRequest { site_id: doomed.clone(), idempotency_key: "delete-a-two".into() })
        .await
        .unwrap();
    site_reaches(&mut sites_a, &doomed, SiteStatus::Deleted).await;

    let own_a = summary(&mut sites_a, GetFleetSummaryRequest::default()).await;
    assert_eq!(site_counts(&own_a), expected_sites(1, 1));
    assert_eq!(own_a.total_sites, 2);
    assert_eq!(deployment_counts(&own_a), expected_deployments(3, 1));
    assert_eq!(failed_site_names(&own_a), ["a-broken"]);
    let failure = own_a.recent_failures[0].deployment.as_ref().unwrap();
    assert_eq!((failure.status(), failure.kind()), (DeploymentStatus::Failed, DeploymentKind::Create));
    assert_eq!(failure.customer_id, a.id);
    assert!(failure.error.contains("cannot plan the gcp site template"), "{}", failure.error);
    // Unset since is the last 24 hours on the service's clock.
    let since = own_a.since.unwrap();
    assert_eq!(since.seconds, (world.env.clock.now() - chrono::Duration::hours(24)).timestamp());

    let own_b = summary(&mut sites_b, GetFleetSummaryRequest::default()).await;
    assert_eq!(site_counts(&own_b), expected_sites(1, 2));
    assert_eq!(own_b.total_sites, 3);
    assert_eq!(deployment_counts(&own_b), expected_deployments(1, 2));
    assert_eq!(failed_site_names(&own_b), ["b-cracked", "b-broken"]);

    // Naming themselves is the same as naming no one.
    let named = summary(&mut sites_a, GetFleetSummaryRequest { customer_id: a.id.clone(), ..Default::default() }).await;
    assert_eq!(named, own_a);

    let mut admin = world.sites(&world.admin_token).await;
    let everyone = summary(&mut admin, GetFleetSummaryRequest::default()).await;
    assert_eq!(site_counts(&everyone), expected_sites(2, 3));
    assert_eq!(everyone.total_sites, 5);
    assert_eq!(deployment_counts(&everyone), expected_deployments(4, 3));
    assert_eq!(failed_site_names(&everyone), ["b-cracked", "b-broken", "a-broken"]);

    // A platform role narrows to one customer and gets exactly that customer's view.
    for (customer, own) in [(&a, &own_a), (&b, &own_b)] {
        let narrowed =
            summary(&mut admin, GetFleetSummaryRequest { customer_id: customer.id.clone(), ..Default::default() })
                .await;
        assert_eq!(&narrowed, own);
    }
    // As ListSites does for an unknown customer: an empty fleet, not an error.
    let nobody = summary(
        &mut admin,
        GetFleetSummaryRequest { customer_id: uuid::Uuid::new_v4().to_string(), ..Default::default() },
    )
    .await;
    assert_eq!((site_counts(&nobody), nobody.total_sites), (expected_sites(0, 0), 0));
    assert!(nobody.recent_failures.is_empty());
}

#[tokio::test]
async fn a_customer_never_sees_another_customer_s_fleet_and_naming_it_is_not_found() {
    let world = World::start_failing(canopy_terraform::CloudProvider::Gcp).await;
    let a = world.customer("own-fleet").await;
    let b = world.customer("other-fleet").await;
    let mut sites_a = world.sites(&a.owner_token).await;
    let mut sites_b = world.sites(&b.owner_token).await;
    settled_site(&mut sites_b, new_site("b-fine")).await;
    settled_site(&mut sites_b, failing_site("b-broken")).await;

    let empty = summary(&mut sites_a, GetFleetSummaryRequest::default()).await;
    assert_eq!((site_counts(&empty), empty.total_sites), (expected_sites(0, 0), 0));
    assert_eq!(deployment_counts(&empty), expected_deployments(0, 0));
    assert!(empty.recent_failures.is_empty(), "{:?}", empty.recent_failures);

    // B's id answers exactly what an id of no customer answers.
    for id in [b.id.clone(), uuid::Uuid::new_v4().to_string()] {
        let error = sites_a
            .get_fleet_summary(GetFleetSummaryRequest { customer_id: id, ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!((error.code(), error.message()), (Code::NotFound, "customer not found"));
    }

    // A's own failure shows up for A alone.
    settled_site(&mut sites_a, failing_site("a-broken")).await;
    let own = summary(&mut sites_a, GetFleetSummaryRequest::default()).await;
    assert_eq!(failed_site_names(&own), ["a-broken"]);
    assert_eq!(own.total_sites, 1);
    let theirs = summary(&mut sites_b, GetFleetSummaryRequest::default()).await;
    assert_eq!(failed_site_names(&theirs), ["b-broken"]);
    assert_eq!(theirs.total_sites, 2);
}

#[tokio::test]
async fn recent_failures_are_newest_first_limited_and_within_the_window() {
    let world = World::start_failing(canopy_terraform::CloudProvider::Gcp).await;
    let customer = world.customer("flaky").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let first = settled_site(&mut sites, failing_site("first")).await;
    settled_site(&mut sites, failing_site("second")).await;
    settled_site(&mut sites, failing_site("third")).await;
    // A redeploy of the first site fails again and is the newest failure.
    sites
        .redeploy_site(RedeploySiteRequest { site_id: first.clone(), idempotency_key: "redeploy-first".into() })
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let all = loop {
        let all = summary(&mut sites, GetFleetSummaryRequest::default()).await;
        if deployment_counts(&all) == expected_deployments(0, 4) {
            break all;
        }
        assert!(std::time::Instant::now() < deadline, "the redeploy never failed: {all:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(failed_site_names(&all), ["first", "third", "second", "first"], "newest first, default limit 5");
    assert_eq!(all.recent_failures[0].deployment.as_ref().unwrap().kind(), DeploymentKind::Redeploy);
    let times: Vec<_> = all.recent_failures.iter().map(|f| f.deployment.as_ref().unwrap().create_time).collect();
    assert!(
        times
            .windows(2)
            .all(|w| (w[0].unwrap().seconds, w[0].unwrap().nanos) >= (w[1].unwrap().seconds, w[1].unwrap().nanos))
    );

    let two = summary(&mut sites, GetFleetSummaryRequest { recent_failures_limit: 2, ..Default::default() }).await;
    assert_eq!(failed_site_names(&two), ["first", "third"]);
    assert_eq!(deployment_counts(&two), expected_deployments(0, 4), "the limit bounds the list, not the counts");

    // The window starts at `since`, inclusive: from the third site's deployment on.
    // (Deployments carry the database's time; bring the service's clock up to it.)
    world.env.clock.advance(chrono::Utc::now() - world.env.clock.now() + chrono::Duration::seconds(1));
    let since = all.recent_failures[1].deployment.as_ref().unwrap().create_time;
    let window = summary(&mut sites, GetFleetSummaryRequest { since, ..Default::default() }).await;
    assert_eq!(failed_site_names(&window), ["first", "third"]);
    assert_eq!(deployment_counts(&window), expected_deployments(0, 2));
    assert_eq!(window.since, since);
    assert_eq!(window.total_sites, 3, "site counts do not depend on the window");
}

#[tokio::test]
async fn bad_fleet_summary_requests_name_every_bad_field() {
    let world = World::start().await;
    let customer = world.customer("asks-badly").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let mut admin = world.sites(&world.admin_token).await;
    let now = world.env.clock.now();
    let future = Some(proto_time(now + chrono::Duration::minutes(5)));
    let ancient = Some(proto_time(now - chrono::Duration::days(367)));
    let cases: [(GetFleetSummaryRequest, &[&str]); 7] = [
        (GetFleetSummaryRequest { since: future, ..Default::default() }, &["since"]),
        (GetFleetSummaryRequest { since: ancient, ..Default::default() }, &["since"]),
        (
            GetFleetSummaryRequest {
                since: Some(prost_types::Timestamp { seconds: now.timestamp(), nanos: -1 }),
                ..Default::default()
            },
            &["since"],
        ),
        (GetFleetSummaryRequest { recent_failures_limit: -1, ..Default::default() }, &["recent_failures_limit"]),
        (GetFleetSummaryRequest { recent_failures_limit: 51, ..Default::default() }, &["recent_failures_limit"]),
        (GetFleetSummaryRequest { customer_id: "customer-a".into(), ..Default::default() }, &["customer_id"]),
        (
            GetFleetSummaryRequest { customer_id: "not-a-uuid".into(), since: future, recent_failures_limit: 1000 },
            &["customer_id", "recent_failures_limit", "since"],
        ),
    ];
    for (request, fields) in cases {
        for client in [&mut sites, &mut admin] {
            let error = client.get_fleet_summary(request.clone()).await.unwrap_err();
            assert_eq!(error.code(), Code::InvalidArgument, "{request:?}");
            assert_eq!(violated_fields(&error), fields, "{request:?}");
        }
    }
    let error =
        sites.get_fleet_summary(GetFleetSummaryRequest { since: future, ..Default::default() }).await.unwrap_err();
    assert_eq!(
        error.get_error_details().bad_request().unwrap().field_violations[0].description,
        "must not be in the future"
    );

    // The edges are accepted: a year and a day back, now, and limits 1 and 50.
    for request in [
        GetFleetSummaryRequest {
            since: Some(proto_time(now - chrono::Duration::days(366) + chrono::Duration::minutes(1))),
            ..Default::default()
        },
        GetFleetSummaryRequest { since: Some(proto_time(now)), recent_failures_limit: 1, ..Default::default() },
        GetFleetSummaryRequest { recent_failures_limit: 50, ..Default::default() },
    ] {
        sites.get_fleet_summary(request.clone()).await.unwrap_or_else(|e| panic!("{request:?}: {e:?}"));
    }
}
