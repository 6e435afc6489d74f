//! `NotificationMailService` as alerts calls it, through the mesh: a customer's
//! notification arrives under the customer's white-label sender name and platform
//! mail under the default product name, bad input is refused naming the field (a
//! CR/LF in the subject included), a retried call sends once, and a call through the
//! gateway is refused.

use std::time::Duration;

use canopy_sdk::proto::canopy::tenancy::v1::branding_service_client::BrandingServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::notification_mail_service_client::NotificationMailServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::{SendNotificationMailRequest, UpdateBrandingRequest};
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::support::World;

/// The client alerts has: its own workload identity, no user credentials.
async fn as_alerts(world: &World) -> NotificationMailServiceClient<tonic::transport::Channel> {
    NotificationMailServiceClient::new(world.services.client("tenancy", "alerts").await.channel())
}

fn notification(dedup_id: &str, to: &str, customer_id: &str) -> SendNotificationMailRequest {
    SendNotificationMailRequest {
        dedup_id: dedup_id.into(),
        recipients: vec![to.into()],
        subject: "[FIRING:1] alertname=site_failed".into(),
        body: "firing site_failed (critical)\n  customer_id=x site_id=shop\n".into(),
        customer_id: customer_id.into(),
    }
}

#[tokio::test]
async fn a_customer_s_notification_comes_from_its_sender_name_and_platform_mail_from_the_default() {
    let mut world = World::start_configured(|env| {
        env.config.set_section_value("tenancy", "default_product_name", serde_json::json!("Canopy Cloud"));
    })
    .await;
    let customer = world.create_customer("Acme Hosting", "owner@acme.test").await;
    world.next_invitation_link().await;
    let admin = world.client("tenancy", &world.admin_token).await;
    BrandingServiceClient::with_interceptor(admin.channel(), admin.interceptor())
        .update_branding(UpdateBrandingRequest {
            customer_id: customer.id.clone(),
            product_name: "AcmeCloud".into(),
            mail_sender_name: "Acme, Inc. Alerts".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut mail = as_alerts(&world).await;

    let queued = mail.send_notification_mail(notification("customer-0001", "ops@acme.test", &customer.id)).await;
    assert_eq!(queued.unwrap().into_inner().queued_count, 1);
    let sent = world.next_mail().await;
    assert_eq!(sent.recipients, ["ops@acme.test"]);
    assert_eq!(sent.sender(), (Some("Acme, Inc. Alerts".to_string()), "no-reply@canopy.test".to_string()));
    assert_eq!(sent.subject(), "[FIRING:1] alertname=site_failed");
    assert!(sent.body.contains("customer_id=x site_id=shop"), "{sent:?}");

    mail.send_notification_mail(notification("platform-0001", "oncall@platform.test", "")).await.unwrap();
    let sent = world.next_mail().await;
    assert_eq!(sent.recipients, ["oncall@platform.test"]);
    assert_eq!(sent.sender().0.as_deref(), Some("Canopy Cloud"));
}

#[tokio::test]
async fn a_retried_call_with_the_same_id_sends_once() {
    let mut world = World::start().await;
    let mut mail = as_alerts(&world).await;
    let request = SendNotificationMailRequest {
        recipients: vec!["a@ops.test".into(), "b@ops.test".into()],
        ..notification("retried-0001", "", "")
    };
    assert_eq!(mail.send_notification_mail(request.clone()).await.unwrap().into_inner().queued_count, 2);
    assert_eq!(mail.send_notification_mail(request.clone()).await.unwrap().into_inner().queued_count, 0);
    let mut recipients: Vec<String> = Vec::new();
    for _ in 0..2 {
        recipients.extend(world.next_mail().await.recipients);
    }
    recipients.sort();
    assert_eq!(recipients, ["a@ops.test", "b@ops.test"]);
    // Retried again after it was sent: still nothing new.
    assert_eq!(mail.send_notification_mail(request).await.unwrap().into_inner().queued_count, 0);
    let extra = tokio::time::timeout(Duration::from_secs(4), world.mail.recv()).await;
    assert!(extra.is_err(), "a retry sent a second message: {extra:?}");
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_field_and_the_gateway_cannot_call() {
    let world = World::start().await;
    let mut mail = as_alerts(&world).await;
    let refused_fields = |status: tonic::Status| {
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        let details = status.get_error_details();
        details
            .bad_request()
            .expect("field violations")
            .field_violations
            .iter()
            .map(|v| v.field.clone())
            .collect::<Vec<_>>()
    };
    let injected = SendNotificationMailRequest {
        subject: "Alert\r\nBcc: everyone@example.com".into(),
        ..notification("injected-0001", "ops@example.com", "")
    };
    assert_eq!(refused_fields(mail.send_notification_mail(injected).await.unwrap_err()), ["subject"]);
    let bad_address = notification("address-0001", "ops@example.com>\r\nRCPT TO:<x@y.test", "");
    assert_eq!(refused_fields(mail.send_notification_mail(bad_address).await.unwrap_err()), ["recipients[0]"]);
    let long = SendNotificationMailRequest { body: "x".repeat(70_000), ..notification("long-0001", "a@b.test", "") };
    assert_eq!(refused_fields(mail.send_notification_mail(long).await.unwrap_err()), ["body"]);
    let short_id = notification("short", "a@b.test", "not-a-uuid");
    assert_eq!(refused_fields(mail.send_notification_mail(short_id).await.unwrap_err()), ["dedup_id", "customer_id"]);
    let unknown = notification("unknown-0001", "a@b.test", &uuid::Uuid::new_v4().to_string());
    assert_eq!(mail.send_notification_mail(unknown).await.unwrap_err().code(), Code::NotFound);

    // INTERNAL: the edge may not reach it, even with a platform admin's token.
    let gateway = world.client("tenancy", &world.admin_token).await;
    let refused = NotificationMailServiceClient::with_interceptor(gateway.channel(), gateway.interceptor())
        .send_notification_mail(notification("gateway-0001", "a@b.test", ""))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
}
