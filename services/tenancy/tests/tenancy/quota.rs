//! Quotas: reservations are race-free and respect plans, suspension and idempotency.

use canopy_sdk::proto::canopy::common::v1::CloudProvider;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::quota_service_client::QuotaServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::*;
use tonic::Code;

use crate::support::World;

fn reserve(customer_id: &str, key: &str) -> ReserveQuotaRequest {
    ReserveQuotaRequest {
        customer_id: customer_id.into(),
        resource: QuotaResource::Site as i32,
        reservation_key: key.into(),
        provider: CloudProvider::Aws as i32,
        region: "eu-west-1".into(),
    }
}

#[tokio::test]
async fn parallel_reservations_for_the_last_site_slot_let_exactly_one_through() {
    let world = World::start().await;
    let customer = world.create_customer("Racy", "owner@racy.test").await;
    let admin = world.client("tenancy", &world.admin_token).await;
    CustomerServiceClient::with_interceptor(admin.channel(), admin.interceptor())
        .update_customer(UpdateCustomerRequest {
            customer_id: customer.id.clone(),
            quota_overrides: Some(Limits { max_sites: 3, ..Default::default() }),
            ..Default::default()
        })
        .await
        .unwrap();
    // QuotaService is internal: the sites service calls it.
    let sites = world.services.client("tenancy", "sites").await;
    let mut quota = QuotaServiceClient::new(sites.channel());
    for key in ["site-1", "site-2"] {
        quota.reserve_quota(reserve(&customer.id, key)).await.unwrap();
    }
    let attempts = (0..12).map(|i| {
        let mut quota = quota.clone();
        let request = reserve(&customer.id, &format!("racer-{i}"));
        tokio::spawn(async move { quota.reserve_quota(request).await })
    });
    let results = futures_util::future::join_all(attempts).await;
    let won = results.iter().filter(|r| r.as_ref().unwrap().is_ok()).count();
    assert_eq!(won, 1, "exactly one reservation may take the last slot");
    for result in results {
        if let Err(error) = result.unwrap() {
            assert_eq!(error.code(), Code::ResourceExhausted, "{error:?}");
        }
    }
    let usage = quota.reserve_quota(reserve(&customer.id, "site-1")).await.unwrap().into_inner().usage.unwrap();
    assert_eq!(usage.sites_used, 3, "re-reserving a held key takes nothing more");

    quota
        .release_quota(ReleaseQuotaRequest {
            customer_id: customer.id.clone(),
            resource: QuotaResource::Site as i32,
            reservation_key: "site-1".into(),
        })
        .await
        .unwrap();
    quota.reserve_quota(reserve(&customer.id, "site-4")).await.expect("a released slot can be taken again");
}

#[tokio::test]
async fn plan_restrictions_and_suspension_stop_reservations() {
    let world = World::start().await;
    let customer = world.create_customer("Restricted", "owner@restricted.test").await;
    let admin = world.client("tenancy", &world.admin_token).await;
    let mut customers = CustomerServiceClient::with_interceptor(admin.channel(), admin.interceptor());
    customers
        .update_customer(UpdateCustomerRequest {
            customer_id: customer.id.clone(),
            quota_overrides: Some(Limits { allowed_providers: vec![CloudProvider::Gcp as i32], ..Default::default() }),
            ..Default::default()
        })
        .await
        .unwrap();
    let sites = world.services.client("tenancy", "sites").await;
    let mut quota = QuotaServiceClient::new(sites.channel());
    let error = quota.reserve_quota(reserve(&customer.id, "aws-site")).await.unwrap_err();
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(error.message().contains("provider aws"), "{error:?}");

    customers
        .suspend_customer(SuspendCustomerRequest { customer_id: customer.id.clone(), reason: "abuse report".into() })
        .await
        .unwrap();
    let mut request = reserve(&customer.id, "gcp-site");
    request.provider = CloudProvider::Gcp as i32;
    let error = quota.reserve_quota(request).await.unwrap_err();
    assert_eq!(error.code(), Code::FailedPrecondition);
    assert!(error.message().contains("abuse report"), "{error:?}");

    let gateway = world.services.client("tenancy", "gateway").await;
    let error = QuotaServiceClient::new(gateway.channel())
        .reserve_quota(reserve(&customer.id, "via-gateway"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied, "internal methods refuse the gateway: {error:?}");
}
