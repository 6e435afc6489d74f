//! Email, end to end through tenancy's outbox and a real SMTP exchange: a customer's
//! email receiver gets its notification under the customer's white-label sender
//! name and a platform receiver under the platform's; an escalation to whoever is on
//! call mails that person (their address from identity) a link that acknowledges the
//! incident when followed.

use canopy_sdk::proto::canopy::alerts::v1 as alerts;
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::identity::v1::user_service_client::UserServiceClient;
use canopy_sdk::proto::canopy::options::v1::Role;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::branding_service_client::BrandingServiceClient;
use chrono::Duration;

use crate::support::{World, seconds, violations};

fn email_spec(name: &str, addresses: &[&str]) -> alerts::ReceiverSpec {
    alerts::ReceiverSpec {
        name: name.into(),
        kind: Some(alerts::receiver_spec::Kind::Email(alerts::EmailConfig {
            addresses: addresses.iter().map(|a| a.to_string()).collect(),
        })),
        send_resolved: true,
    }
}

#[tokio::test]
async fn email_receivers_get_notifications_under_the_customer_s_sender_name_or_the_platform_s() {
    let world = World::start().await;
    // Alpha's white-label sender name; bravo has none.
    let tenancy_client = world.services.client("tenancy", "gateway").await.with_token(&world.admin);
    BrandingServiceClient::with_interceptor(tenancy_client.channel(), tenancy_client.interceptor())
        .update_branding(tenancy::UpdateBrandingRequest {
            customer_id: world.a.id.clone(),
            product_name: "AlphaCloud".into(),
            mail_sender_name: "Alpha, Inc. Alerts".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    world
        .customer_receivers(&world.a.token)
        .await
        .create_customer_receiver(alerts::CreateCustomerReceiverRequest {
            customer_id: world.a.id.clone(),
            receiver: Some(email_spec("ops-mail", &["ops@alpha.test"])),
        })
        .await
        .unwrap();
    world
        .receivers(&world.admin)
        .await
        .create_receiver(alerts::CreateReceiverRequest {
            receiver: Some(email_spec("noc-mail", &["noc@platform.test"])),
        })
        .await
        .unwrap();
    world
        .route(alerts::RoutingConfig {
            route: Some(alerts::Route {
                receiver: "noc-mail".into(),
                group_by: vec!["alertname".into()],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;

    // A bad address is refused at creation, naming it.
    let refused = world
        .receivers(&world.admin)
        .await
        .create_receiver(alerts::CreateReceiverRequest {
            receiver: Some(email_spec("bad-mail", &["noc@platform.test", "noc@platform.test\r\nBcc: x@y.test"])),
        })
        .await
        .unwrap_err();
    assert_eq!(violations(&refused)[0].0, "receiver.email.addresses[1]");

    world.publish("site_failed", &world.a.id, "critical", &[("site_id", "shop")]).await;
    world.advance(Duration::seconds(31)).await;

    let customer_mail = world.next_mail_to("ops@alpha.test").await;
    assert_eq!(customer_mail.sender_name().as_deref(), Some("Alpha, Inc. Alerts"));
    assert!(customer_mail.subject().starts_with("[FIRING:1] "), "{customer_mail:?}");
    assert!(customer_mail.subject().contains("alertname=site_failed"), "{customer_mail:?}");
    assert!(customer_mail.body.contains("firing site_failed (critical): site_failed observed"), "{customer_mail:?}");
    assert!(customer_mail.body.contains("site_id=shop"), "{customer_mail:?}");

    let platform_mail = world.next_mail_to("noc@platform.test").await;
    assert_eq!(platform_mail.sender_name().as_deref(), Some("Canopy"));
    assert_eq!(platform_mail.subject(), "[FIRING:1] alertname=site_failed");

    // Delivered once each: the receivers count it, and nothing follows.
    let listed = world
        .customer_receivers(&world.a.token)
        .await
        .list_customer_receivers(alerts::ListCustomerReceiversRequest {
            customer_id: world.a.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .receivers;
    assert_eq!((listed[0].delivered_count, listed[0].pending_count), (1, 0), "{listed:#?}");
    match &listed[0].kind {
        Some(alerts::receiver::Kind::Email(email)) => assert_eq!(email.addresses, ["ops@alpha.test"]),
        other => panic!("{other:?}"),
    }
    assert!(world.mail_to_within("ops@alpha.test", std::time::Duration::from_secs(3)).await.is_none());
}

#[tokio::test]
async fn an_escalation_to_the_on_call_user_mails_them_a_link_that_acknowledges_the_incident() {
    let world = World::start().await;
    // The on-call person is a real identity user; alerts only knows their id.
    let identity_client = world.services.client("identity", "gateway").await.with_token(&world.admin);
    let on_call_user = UserServiceClient::with_interceptor(identity_client.channel(), identity_client.interceptor())
        .create_user(identity::CreateUserRequest {
            tenant_id: String::new(),
            email: "oncall@platform.test".into(),
            display_name: "On Call".into(),
            role: Role::PlatformOperator as i32,
        })
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap()
        .id;
    world
        .on_call(&world.admin)
        .await
        .create_schedule(alerts::CreateScheduleRequest {
            schedule: Some(alerts::Schedule {
                name: "primary".into(),
                layers: vec![alerts::ScheduleLayer {
                    name: "everyone".into(),
                    user_ids: vec![on_call_user.clone()],
                    rotation: alerts::RotationLength::Weekly.into(),
                    rotation_start_time: Some(canopy_kit::request::timestamp(world.now() - Duration::days(3))),
                    time_zone: "UTC".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let policy = world
        .policies(&world.admin)
        .await
        .create_escalation_policy(alerts::CreateEscalationPolicyRequest {
            escalation_policy: Some(alerts::EscalationPolicy {
                name: "platform".into(),
                steps: vec![alerts::EscalationStep {
                    targets: vec![alerts::EscalationTarget {
                        target: Some(alerts::escalation_target::Target::Schedule("primary".into())),
                    }],
                    wait: seconds(300),
                }],
                repeat: 1,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .escalation_policy
        .unwrap();
    world
        .receivers(&world.admin)
        .await
        .create_receiver(alerts::CreateReceiverRequest {
            receiver: Some(alerts::ReceiverSpec {
                name: "pager".into(),
                kind: Some(alerts::receiver_spec::Kind::Escalation(alerts::EscalationConfig {
                    escalation_policy_id: policy.id,
                })),
                send_resolved: true,
            }),
        })
        .await
        .unwrap();
    world
        .route(alerts::RoutingConfig {
            route: Some(alerts::Route { receiver: "pager".into(), ..Default::default() }),
            ..Default::default()
        })
        .await;

    world.publish("security_sign_in_burst", "", "critical", &[]).await;
    world.advance(Duration::seconds(31)).await;

    // The page reaches the on-call person by mail, from the platform's sender name.
    let page = world.next_mail_to("oncall@platform.test").await;
    assert_eq!(page.sender_name().as_deref(), Some("Canopy"));
    assert!(page.subject().starts_with("Incident paging (step 1): "), "{page:?}");
    let link = page
        .body
        .lines()
        .find(|line| line.starts_with("https://console.canopy.localhost/alerts/acknowledge?token="))
        .unwrap_or_else(|| panic!("no acknowledge link in {page:?}"));
    let token = link.split_once("?token=").unwrap().1.trim().to_string();

    // Following the link (the console posts its token, signed in or not) acknowledges.
    let public = world.services.client("alerts", "gateway").await;
    let acknowledged = alerts::incident_service_client::IncidentServiceClient::new(public.channel())
        .acknowledge_incident_by_link(alerts::AcknowledgeIncidentByLinkRequest { token })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(acknowledged.state(), alerts::IncidentState::Acknowledged);
    let listed = world
        .incidents(&world.admin)
        .await
        .list_incidents(alerts::ListIncidentsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .incidents;
    assert_eq!(listed[0].acknowledged_by, format!("link:user:{on_call_user}"));
    assert_eq!(listed[0].pages.len(), 1);
    assert_eq!(listed[0].pages[0].user_id, on_call_user);

    // The policy would page again after its wait; acknowledged, it does not.
    world.advance(Duration::minutes(10)).await;
    assert!(world.mail_to_within("oncall@platform.test", std::time::Duration::from_secs(3)).await.is_none());
}
