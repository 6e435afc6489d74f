//! Canopy events reach alerting through the services' event outboxes: a failed
//! deployment (sites), a failed site and a suspension (tenancy) become alerts for
//! their customer, and a reactivation resolves the suspension's alert.

use std::time::{Duration, Instant};

use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::proto::canopy::alerts::v1 as alerts;
use canopy_sdk::proto::canopy::alerts::v1::alert_service_client::AlertServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;

use crate::isolation::{login, tenant};

async fn alerts_named(services: &TestServices, admin: &str, customer: &str, name: &str) -> Vec<alerts::Alert> {
    let canopy = services.client("alerts", "gateway").await.with_token(admin);
    AlertServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
        .list_alerts(alerts::ListAlertsRequest {
            customer_id: customer.into(),
            alertname: name.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .alerts
}

/// Waits until `customer` has an alert `name` for which `check` holds.
pub(crate) async fn wait_for_alert(
    services: &TestServices,
    admin: &str,
    customer: &str,
    name: &str,
    check: impl Fn(&alerts::Alert) -> bool,
) -> alerts::Alert {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = alerts_named(services, admin, customer, name).await;
        if let Some(alert) = found.iter().find(|a| check(a)) {
            return alert.clone();
        }
        assert!(Instant::now() < deadline, "no {name} alert for {customer} as expected: {found:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn failed_deployments_and_suspensions_become_alerts_and_a_reactivation_resolves_one() {
    let mut env = TestEnv::new().await;
    // Every deployment fails here (the provisioner's Terraform root has no templates).
    let no_templates = tempfile::tempdir().unwrap();
    env.config.set_section_value("provisioner", "terraform_root", serde_json::json!(no_templates.path()));
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@alert-events.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@alert-events.test", &password).await;
    let customer = tenant(&services, &admin, "alerted").await;
    let site_id = customer.ids["site_id"].clone();

    let failed = wait_for_alert(&services, &admin, &customer.id, "deployment_failed", |_| true).await;
    assert_eq!(failed.labels.get("site_id"), Some(&site_id));
    assert_eq!(failed.labels.get("deployment_id"), Some(&customer.ids["deployment_id"]));
    assert_eq!(failed.labels.get("severity").map(String::as_str), Some("warning"));
    assert_eq!(failed.customer_id, customer.id);
    let site = wait_for_alert(&services, &admin, &customer.id, "site_failed", |_| true).await;
    assert_eq!(site.labels.get("severity").map(String::as_str), Some("critical"));

    let canopy = services.client("tenancy", "gateway").await.with_token(&admin);
    let mut customers = CustomerServiceClient::with_interceptor(canopy.channel(), canopy.interceptor());
    customers
        .suspend_customer(tenancy::SuspendCustomerRequest { customer_id: customer.id.clone(), reason: "unpaid".into() })
        .await
        .unwrap();
    let firing = |alert: &alerts::Alert| alert.end_time.is_none_or(|end| end.seconds > chrono::Utc::now().timestamp());
    wait_for_alert(&services, &admin, &customer.id, "customer_suspended", firing).await;
    customers
        .reactivate_customer(tenancy::ReactivateCustomerRequest { customer_id: customer.id.clone() })
        .await
        .unwrap();
    wait_for_alert(&services, &admin, &customer.id, "customer_suspended", |alert| !firing(alert)).await;

    // The owner sees their own alerts, nobody else's (the isolation test covers ids).
    let own = services.client("alerts", "gateway").await.with_token(&customer.token);
    let listed = AlertServiceClient::with_interceptor(own.channel(), own.interceptor())
        .list_alerts(alerts::ListAlertsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .alerts;
    assert!(listed.iter().all(|a| a.customer_id == customer.id) && !listed.is_empty(), "{listed:#?}");
}
