//! Slack and webhook receivers as real local HTTP servers: Slack's payload and its
//! 429 Retry-After, a webhook receiver that is down getting the notification later
//! with the same webhook-id, and customers' own receivers, which no other customer
//! can see or touch.

use canopy_sdk::proto::canopy::alerts::v1 as alerts;
use chrono::Duration;
use tonic::Code;

use crate::support::{FirstAttempt, HttpReceiver, World, notified, webhook_spec};

#[tokio::test]
async fn slack_gets_text_and_blocks_after_its_retry_after_and_a_down_webhook_gets_the_same_id_later() {
    let world = World::start().await;
    let slack = HttpReceiver::start(FirstAttempt::RateLimited).await;
    let hook = HttpReceiver::start(FirstAttempt::Down).await;
    world
        .receivers(&world.admin)
        .await
        .create_receiver(alerts::CreateReceiverRequest {
            receiver: Some(alerts::ReceiverSpec {
                name: "slack-ops".into(),
                kind: Some(alerts::receiver_spec::Kind::Slack(alerts::SlackConfig { webhook_url: slack.url() })),
                send_resolved: true,
            }),
        })
        .await
        .unwrap();
    world.webhook_receiver("hook", &hook).await;
    world
        .route(alerts::RoutingConfig {
            route: Some(alerts::Route {
                receiver: "slack-ops".into(),
                group_by: vec!["alertname".into()],
                routes: vec![
                    alerts::Route { receiver: "hook".into(), r#continue: true, ..Default::default() },
                    alerts::Route { receiver: "slack-ops".into(), ..Default::default() },
                ],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
    world.publish("site_failed", &world.a.id, "critical", &[("site_id", "shop")]).await;
    world.advance(Duration::seconds(31)).await;

    // Both refused the first attempt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while slack.all().is_empty() || hook.all().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no first attempts");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let refused = hook.all()[0].clone();
    assert_eq!(refused.answered, 503);
    assert!(refused.signature_valid && refused.webhook_id.starts_with("msg_"), "{refused:?}");
    // The webhook retry is due 5 s on; Slack asked for 120 s.
    world.advance(Duration::seconds(6)).await;
    let retried = hook.wait_delivered(1).await;
    assert_eq!(retried[0].webhook_id, refused.webhook_id, "the same webhook-id on the retry");
    assert!(retried[0].signature_valid);
    assert_eq!(notified(&retried[0]), [("site_failed".into(), "firing".into())]);
    assert!(slack.delivered().is_empty(), "Slack was retried before its Retry-After");
    world.advance(Duration::seconds(115)).await;
    let posted = slack.wait_delivered(1).await;
    let message = &posted[0].body;
    assert_eq!(message["text"], "[FIRING:1] alertname=site_failed", "{message:#}");
    let blocks = message["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["text"]["text"], "[FIRING:1] alertname=site_failed");
    assert!(blocks[1]["text"]["text"].as_str().unwrap().contains("*site_failed* (critical)"), "{message:#}");
    assert_eq!(slack.all().len(), 2, "one refused attempt, one delivery");
}

#[tokio::test]
async fn an_owner_s_receiver_gets_their_customer_s_alerts_and_no_other_customer_can_see_or_touch_it() {
    let world = World::start().await;
    let hook = HttpReceiver::start(FirstAttempt::Accept).await;
    let created = world
        .customer_receivers(&world.a.token)
        .await
        .create_customer_receiver(alerts::CreateCustomerReceiverRequest {
            customer_id: String::new(),
            receiver: Some(webhook_spec("my-hook", &hook.url())),
        })
        .await
        .unwrap()
        .into_inner();
    *hook.state.secret.lock().unwrap() = created.signing_secret.clone();
    let receiver = created.receiver.unwrap();
    assert_eq!(receiver.customer_id, world.a.id);

    // B sees none of it, and deleting it answers exactly what a random id gets.
    let b_list = world
        .customer_receivers(&world.b.token)
        .await
        .list_customer_receivers(alerts::ListCustomerReceiversRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(b_list.receivers.is_empty());
    let delete = |id: String, token: String| {
        let world = &world;
        async move {
            world
                .customer_receivers(&token)
                .await
                .delete_customer_receiver(alerts::DeleteCustomerReceiverRequest {
                    customer_id: String::new(),
                    receiver_id: id,
                })
                .await
                .unwrap_err()
        }
    };
    let with_a_s = delete(receiver.id.clone(), world.b.token.clone()).await;
    let with_random = delete(uuid::Uuid::new_v4().to_string(), world.b.token.clone()).await;
    assert_eq!((with_a_s.code(), with_a_s.message()), (with_random.code(), with_random.message()));
    assert_eq!(with_a_s.code(), Code::NotFound);
    let naming_a = world
        .customer_receivers(&world.b.token)
        .await
        .list_customer_receivers(alerts::ListCustomerReceiversRequest { customer_id: world.a.id.clone(), page: None })
        .await
        .unwrap_err();
    assert_eq!(naming_a.code(), Code::NotFound);
    // Owners do not reach platform alerting.
    let refused = world.receivers(&world.a.token).await.list_receivers(alerts::ListReceiversRequest::default()).await;
    assert_eq!(refused.unwrap_err().code(), Code::PermissionDenied);

    // A's alerts reach A's receiver (no platform routing needed), B's do not.
    world.publish("deployment_failed", &world.a.id, "warning", &[("site_id", "a-shop")]).await;
    world.publish("deployment_failed", &world.b.id, "warning", &[("site_id", "b-shop")]).await;
    world.advance(Duration::seconds(31)).await;
    let delivered = hook.wait_delivered(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(hook.delivered().len(), 1, "{:#?}", hook.delivered());
    assert!(delivered[0].signature_valid);
    let text = delivered[0].body.to_string();
    assert!(text.contains("a-shop") && !text.contains("b-shop") && !text.contains(&world.b.id), "{text}");

    // Each owner lists only their own alerts; B naming A gets what a random customer gets.
    let listed = |token: String, customer_id: String| {
        let world = &world;
        async move {
            world
                .alerts(&token)
                .await
                .list_alerts(alerts::ListAlertsRequest { customer_id, ..Default::default() })
                .await
        }
    };
    let own = listed(world.a.token.clone(), String::new()).await.unwrap().into_inner().alerts;
    assert_eq!(own.len(), 1);
    assert_eq!(own[0].labels["site_id"], "a-shop");
    let b_naming_a = listed(world.b.token.clone(), world.a.id.clone()).await.unwrap_err();
    let b_naming_random = listed(world.b.token.clone(), uuid::Uuid::new_v4().to_string()).await.unwrap_err();
    assert_eq!((b_naming_a.code(), b_naming_a.message()), (b_naming_random.code(), b_naming_random.message()));
    let everyone = listed(world.admin.clone(), String::new()).await.unwrap().into_inner().alerts;
    assert_eq!(everyone.len(), 2, "the platform sees both");
}
