//! Grouping, intervals, repeats, inhibition and silences, on the services' clock,
//! observed at a real webhook receiver that checks every signature.

use canopy_sdk::proto::canopy::alerts::v1 as alerts;
use chrono::Duration;

use crate::support::{FirstAttempt, HttpReceiver, World, notified};

fn root(receiver: &str, group_by: &[&str]) -> alerts::Route {
    alerts::Route {
        receiver: receiver.into(),
        group_by: group_by.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_group_waits_30_s_then_notifies_changes_at_its_interval_and_repeats_after_4_h() {
    let world = World::start().await;
    let hook = HttpReceiver::start(FirstAttempt::Accept).await;
    world.webhook_receiver("ops", &hook).await;
    // Alertmanager's defaults: group_wait 30 s, group_interval 5 m, repeat_interval 4 h.
    world.route(alerts::RoutingConfig { route: Some(root("ops", &["alertname"])), ..Default::default() }).await;

    world.publish("deployment_failed", &world.a.id, "warning", &[("site_id", "s1")]).await;
    world.advance(Duration::seconds(29)).await;
    assert!(hook.all().is_empty(), "notified before group_wait: {:#?}", hook.all());
    world.advance(Duration::seconds(2)).await;
    let first = hook.wait_delivered(1).await;
    assert!(first[0].signature_valid, "{first:#?}");
    assert_eq!(notified(&first[0]), [("deployment_failed".into(), "firing".into())]);
    assert_eq!(first[0].body["data"]["notification"]["group_labels"]["alertname"], "deployment_failed");

    // A second alert joins the group: told at the next group interval, not before.
    world.publish("deployment_failed", &world.b.id, "warning", &[("site_id", "s2")]).await;
    world.advance(Duration::minutes(4)).await;
    assert_eq!(hook.delivered().len(), 1, "notified before group_interval");
    world.advance(Duration::minutes(1)).await;
    let second = hook.wait_delivered(2).await;
    assert_eq!(second[1].body["data"]["notification"]["alerts"].as_array().unwrap().len(), 2);
    assert_ne!(second[1].webhook_id, second[0].webhook_id, "each flush is its own message");

    // Unchanged: nothing at the following intervals, then a repeat once 4 h have passed.
    world.advance(Duration::minutes(10)).await;
    assert_eq!(hook.delivered().len(), 2, "an unchanged group was notified again early");
    world.advance(Duration::hours(4)).await;
    let repeated = hook.wait_delivered(3).await;
    assert_eq!(repeated[2].body["data"]["notification"]["alerts"].as_array().unwrap().len(), 2);
    assert!(repeated.iter().all(|r| r.signature_valid));
}

#[tokio::test]
async fn a_critical_alert_inhibits_warnings_of_the_same_customer_only() {
    let world = World::start().await;
    let hook = HttpReceiver::start(FirstAttempt::Accept).await;
    world.webhook_receiver("ops", &hook).await;
    world
        .route(alerts::RoutingConfig {
            route: Some(root("ops", &["customer_id"])),
            inhibit_rules: vec![alerts::InhibitRule {
                source_matchers: vec!["severity=\"critical\"".into()],
                target_matchers: vec!["severity=\"warning\"".into()],
                equal: vec!["customer_id".into()],
            }],
            ..Default::default()
        })
        .await;
    world.publish("site_failed", &world.a.id, "critical", &[]).await;
    world.publish("deployment_failed", &world.a.id, "warning", &[]).await;
    world.publish("deployment_failed", &world.b.id, "warning", &[]).await;
    world.advance(Duration::seconds(31)).await;
    let delivered = hook.wait_delivered(2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let by_customer = |id: &str| {
        hook.delivered()
            .into_iter()
            .find(|r| r.body["data"]["notification"]["group_labels"]["customer_id"] == id)
            .unwrap_or_else(|| panic!("no notification for {id}: {delivered:#?}"))
    };
    assert_eq!(
        notified(&by_customer(&world.a.id)),
        [("site_failed".into(), "firing".into())],
        "A's warning is inhibited"
    );
    assert_eq!(notified(&by_customer(&world.b.id)), [("deployment_failed".into(), "firing".into())], "B's is not");
}

#[tokio::test]
async fn a_silence_mutes_until_it_expires_and_the_receiver_then_hears() {
    let mut world = World::start().await;
    let hook = HttpReceiver::start(FirstAttempt::Accept).await;
    world.webhook_receiver("ops", &hook).await;
    world.route(alerts::RoutingConfig { route: Some(root("ops", &["alertname"])), ..Default::default() }).await;
    let silence = world
        .silences(&world.admin)
        .await
        .create_silence(alerts::CreateSilenceRequest {
            matchers: vec!["alertname=\"deployment_failed\"".into()],
            start_time: None,
            end_time: Some(canopy_kit::request::timestamp(world.now() + Duration::minutes(10))),
            comment: "maintenance window".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .silence
        .unwrap();
    assert_eq!(silence.state(), alerts::SilenceState::Active);

    world.publish("deployment_failed", &world.a.id, "warning", &[]).await;
    world.advance(Duration::seconds(31)).await;
    world.advance(Duration::minutes(5)).await;
    assert!(hook.all().is_empty(), "a silenced alert was notified: {:#?}", hook.all());
    // The silence ends at 10 min; the group's next interval after that notifies.
    world.advance(Duration::minutes(6)).await;
    let delivered = hook.wait_delivered(1).await;
    assert_eq!(notified(&delivered[0]), [("deployment_failed".into(), "firing".into())]);
    world.sign_in_again().await;
    let listed = world.silences(&world.admin).await.list_silences(alerts::ListSilencesRequest::default()).await;
    assert_eq!(listed.unwrap().into_inner().silences[0].state(), alerts::SilenceState::Expired);
}

#[tokio::test]
async fn a_restarted_alerts_service_resumes_its_groups_and_notifies_each_flush_once() {
    let mut world = World::start().await;
    let hook = HttpReceiver::start(FirstAttempt::Accept).await;
    world.webhook_receiver("ops", &hook).await;
    world.route(alerts::RoutingConfig { route: Some(root("ops", &["alertname"])), ..Default::default() }).await;
    world.publish("deployment_failed", &world.a.id, "warning", &[("site_id", "s1")]).await;
    world.advance(Duration::seconds(20)).await;
    assert!(hook.all().is_empty());

    // Stopped mid group_wait, started again on its address: the stored dispatcher
    // state carries the group and its timer over.
    let stopped = world.services.services.remove("alerts").unwrap();
    let addr = stopped.addr;
    stopped.stop().await;
    let restarted = world.services.runtime.start(&canopy_alerts::MANIFEST, &[], addr).await.unwrap();
    world.services.services.insert("alerts", restarted);
    world.advance(Duration::seconds(5)).await;
    assert!(hook.all().is_empty(), "the restart reset nothing forward: {:#?}", hook.all());
    world.advance(Duration::seconds(6)).await;
    let first = hook.wait_delivered(1).await;
    assert_eq!(notified(&first[0]), [("deployment_failed".into(), "firing".into())]);

    // Nothing twice: the flush the old process may have been about to send is the one sent.
    world.advance(Duration::minutes(10)).await;
    assert_eq!(hook.delivered().len(), 1, "{:#?}", hook.delivered());
}
