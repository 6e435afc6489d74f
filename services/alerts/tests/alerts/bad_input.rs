//! Bad input is refused with INVALID_ARGUMENT naming the field, and nothing is saved.

use canopy_sdk::proto::canopy::alerts::v1 as alerts;
use chrono::Duration;

use crate::support::{World, violations, webhook_spec};

#[tokio::test]
async fn bad_configuration_is_refused_naming_the_field_and_nothing_is_saved() {
    let world = World::start_configured(|env| {
        env.config.set_section_value("alerts", "allow_insecure_endpoints", serde_json::json!(false));
    })
    .await;

    // A routing tree naming a receiver that does not exist.
    let status = world
        .routing(&world.admin)
        .await
        .replace_routing_config(alerts::ReplaceRoutingConfigRequest {
            config: Some(alerts::RoutingConfig {
                route: Some(alerts::Route {
                    receiver: "nobody".into(),
                    routes: vec![alerts::Route { receiver: "pager".into(), ..Default::default() }],
                    ..Default::default()
                }),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    let fields: Vec<String> = violations(&status).into_iter().map(|(field, _)| field).collect();
    assert_eq!(fields, ["config.route.receiver", "config.route.routes[0].receiver"]);
    let stored = world.routing(&world.admin).await.get_routing_config(alerts::GetRoutingConfigRequest {}).await;
    assert!(stored.unwrap().into_inner().config.is_none(), "nothing was saved");

    // Silences without matchers, or already over.
    let silences = world.silences(&world.admin).await;
    let end = |by: Duration| Some(canopy_kit::request::timestamp(world.now() + by));
    for (request, field) in [
        (
            alerts::CreateSilenceRequest {
                matchers: vec![],
                end_time: end(Duration::hours(1)),
                comment: "x".into(),
                ..Default::default()
            },
            "matchers",
        ),
        (
            alerts::CreateSilenceRequest {
                matchers: vec!["alertname=\"site_failed\"".into()],
                start_time: end(Duration::hours(-2)),
                end_time: end(Duration::hours(-1)),
                comment: "x".into(),
            },
            "end_time",
        ),
    ] {
        let status = silences.clone().create_silence(request).await.unwrap_err();
        assert_eq!(violations(&status)[0].0, field, "{status:?}");
    }
    let listed = silences.clone().list_silences(alerts::ListSilencesRequest::default()).await.unwrap().into_inner();
    assert!(listed.silences.is_empty());

    // A schedule whose layers overlap with no priority to settle who is on call.
    let layer = |name: &str| alerts::ScheduleLayer {
        name: name.into(),
        user_ids: vec!["ada".into()],
        rotation: alerts::RotationLength::Weekly.into(),
        rotation_start_time: end(Duration::days(-1)),
        time_zone: "Europe/Berlin".into(),
        ..Default::default()
    };
    let status = world
        .on_call(&world.admin)
        .await
        .create_schedule(alerts::CreateScheduleRequest {
            schedule: Some(alerts::Schedule {
                name: "primary".into(),
                layers: vec![layer("days"), layer("nights")],
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(violations(&status)[0].0, "schedule.layers[1].priority");
    let schedules = world.on_call(&world.admin).await.list_schedules(alerts::ListSchedulesRequest::default()).await;
    assert!(schedules.unwrap().into_inner().schedules.is_empty());

    // Webhook URLs that are not HTTPS, and Slack URLs on a foreign host.
    let receivers = world.receivers(&world.admin).await;
    let slack = |url: &str| alerts::ReceiverSpec {
        name: "slack".into(),
        kind: Some(alerts::receiver_spec::Kind::Slack(alerts::SlackConfig { webhook_url: url.into() })),
        send_resolved: false,
    };
    for (spec, field) in [
        (webhook_spec("hook", "http://hooks.example.com/alerts"), "receiver.webhook.url"),
        (slack("https://hooks.slack.com.attacker.test/services/T0/B0/x"), "receiver.slack.webhook_url"),
        (slack("https://attacker.test/services/T0/B0/x"), "receiver.slack.webhook_url"),
    ] {
        let status = receivers
            .clone()
            .create_receiver(alerts::CreateReceiverRequest { receiver: Some(spec) })
            .await
            .unwrap_err();
        assert_eq!(violations(&status)[0].0, field, "{status:?}");
    }
    let owner_status = world
        .customer_receivers(&world.a.token)
        .await
        .create_customer_receiver(alerts::CreateCustomerReceiverRequest {
            customer_id: String::new(),
            receiver: Some(webhook_spec("mine", "http://example.com/x")),
        })
        .await
        .unwrap_err();
    assert_eq!(violations(&owner_status)[0].0, "receiver.webhook.url");
    let listed = receivers.clone().list_receivers(alerts::ListReceiversRequest::default()).await.unwrap().into_inner();
    assert!(listed.receivers.is_empty(), "nothing was saved");
    // The real Slack host is accepted.
    receivers
        .clone()
        .create_receiver(alerts::CreateReceiverRequest {
            receiver: Some(slack("https://hooks.slack.com/services/T0/B0/x")),
        })
        .await
        .unwrap();
}
