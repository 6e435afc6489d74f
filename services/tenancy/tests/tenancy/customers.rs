//! Customers: creation with the owner invitation, idempotency, the saga's
//! compensation, suspension, listing, and isolation between customers.

use canopy_sdk::proto::canopy::common::v1::PageRequest;
use canopy_sdk::proto::canopy::identity::v1::GetCurrentUserRequest;
use canopy_sdk::proto::canopy::identity::v1::SetPasswordWithTokenRequest;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::branding_service_client::BrandingServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::plan_service_client::PlanServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::*;
use tonic::Code;
use tonic_types::StatusExt;

use crate::support::World;

#[tokio::test]
async fn a_new_customer_s_owner_gets_a_single_use_link_and_signs_in_to_that_tenant() {
    let mut world = World::start().await;
    let customer = world.create_customer("Acme Hosting", "owner@acme.test").await;
    assert_eq!(customer.status(), CustomerStatus::Active);
    assert!(!customer.owner_user_id.is_empty());

    let link = world.next_invitation_link().await;
    let token = link.split("#token=").nth(1).unwrap().to_string();
    let identity = world.services.client("identity", "gateway").await;
    let mut auth = AuthServiceClient::new(identity.channel());
    let password = "correct horse battery staple 42";
    auth.set_password_with_token(SetPasswordWithTokenRequest { token: token.clone(), new_password: password.into() })
        .await
        .expect("the link sets a password");
    let reused = auth
        .set_password_with_token(SetPasswordWithTokenRequest {
            token,
            new_password: "another long passphrase 77".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            reused.code(),
            Code::InvalidArgument | Code::NotFound | Code::FailedPrecondition | Code::Unauthenticated
        ),
        "{reused:?}"
    );

    let owner_token = world.login("owner@acme.test", password).await;
    let me = world.client("identity", &owner_token).await;
    let user = AuthServiceClient::with_interceptor(me.channel(), me.interceptor())
        .get_current_user(GetCurrentUserRequest {})
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    assert_eq!(user.tenant_id, customer.id);
    assert_eq!(user.id, customer.owner_user_id);
}

#[tokio::test]
async fn retrying_with_the_same_idempotency_key_returns_the_same_customer() {
    let mut world = World::start().await;
    let canopy = world.client("tenancy", &world.admin_token).await;
    let mut customers = CustomerServiceClient::with_interceptor(canopy.channel(), canopy.interceptor());
    let request = CreateCustomerRequest {
        idempotency_key: "retry-key-0001".into(),
        name: "Retry Ltd".into(),
        owner_email: "owner@retry.test".into(),
        owner_display_name: "Owner".into(),
        ..Default::default()
    };
    let first = customers.create_customer(request.clone()).await.unwrap().into_inner().customer.unwrap();
    let second = customers.create_customer(request).await.unwrap().into_inner().customer.unwrap();
    assert_eq!(first.id, second.id);
    world.next_invitation_link().await;
    let extra = tokio::time::timeout(std::time::Duration::from_secs(3), world.mail.recv()).await;
    assert!(extra.is_err(), "a retry must not send a second invitation");
}

#[tokio::test]
async fn a_failed_owner_invitation_leaves_no_customer_behind() {
    let mut world = World::start().await;
    world.create_customer("First", "taken@owner.test").await;
    world.next_invitation_link().await;
    let canopy = world.client("tenancy", &world.admin_token).await;
    let mut customers = CustomerServiceClient::with_interceptor(canopy.channel(), canopy.interceptor());
    let before = customers.list_customers(ListCustomersRequest::default()).await.unwrap().into_inner();
    let error = customers
        .create_customer(CreateCustomerRequest {
            idempotency_key: "second-customer".into(),
            name: "Second".into(),
            owner_email: "TAKEN@owner.test".into(),
            owner_display_name: "Owner".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::AlreadyExists, "{error:?}");
    let after = customers.list_customers(ListCustomersRequest::default()).await.unwrap().into_inner();
    assert_eq!(after.customers.len(), before.customers.len());
    assert!(after.customers.iter().all(|c| c.name != "Second"));
}

#[tokio::test]
async fn bad_customer_input_is_refused_field_by_field_and_nothing_is_stored() {
    let world = World::start().await;
    let canopy = world.client("tenancy", &world.admin_token).await;
    let mut customers = CustomerServiceClient::with_interceptor(canopy.channel(), canopy.interceptor());
    let error = customers
        .create_customer(CreateCustomerRequest {
            idempotency_key: "short".into(),
            name: "".into(),
            owner_email: "not an email".into(),
            owner_display_name: "x".repeat(101),
            plan_id: "Gold Plan".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::InvalidArgument);
    let mut fields: Vec<String> =
        error.get_error_details().bad_request().unwrap().field_violations.iter().map(|v| v.field.clone()).collect();
    fields.sort();
    assert_eq!(fields, ["idempotency_key", "name", "owner_display_name", "owner_email", "plan_id"]);
    let list = customers.list_customers(ListCustomersRequest::default()).await.unwrap().into_inner();
    assert!(list.customers.is_empty());
}

#[tokio::test]
async fn suspension_refuses_mutating_calls_and_reactivation_restores_them() {
    let mut world = World::start().await;
    let (customer, owner) = world.customer_with_owner("Suspend Me", "owner@suspend.test").await;
    let owner_channel = world.client("tenancy", &owner).await;
    let mut branding = BrandingServiceClient::with_interceptor(owner_channel.channel(), owner_channel.interceptor());
    let update = UpdateBrandingRequest {
        customer_id: customer.id.clone(),
        product_name: "Suspended Cloud".into(),
        primary_color: "#1a73e8".into(),
        ..Default::default()
    };
    branding.update_branding(update.clone()).await.expect("active customers may change branding");

    let admin = world.client("tenancy", &world.admin_token).await;
    let mut customers = CustomerServiceClient::with_interceptor(admin.channel(), admin.interceptor());
    customers
        .suspend_customer(SuspendCustomerRequest { customer_id: customer.id.clone(), reason: "invoice overdue".into() })
        .await
        .unwrap();
    // The access cache lives up to two seconds.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let refused = branding.update_branding(update.clone()).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("invoice overdue"), "{refused:?}");
    assert_eq!(refused.get_error_details().error_info().unwrap().reason, "CUSTOMER_SUSPENDED");
    branding
        .get_customer_branding(GetCustomerBrandingRequest { customer_id: customer.id.clone() })
        .await
        .expect("reads stay allowed while suspended");

    customers.reactivate_customer(ReactivateCustomerRequest { customer_id: customer.id.clone() }).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    branding.update_branding(update).await.expect("reactivation restores writes");

    let history = customers
        .list_customer_status_changes(ListCustomerStatusChangesRequest { customer_id: customer.id.clone(), page: None })
        .await
        .unwrap()
        .into_inner()
        .changes;
    let to: Vec<CustomerStatus> = history.iter().map(|c| c.to_status()).collect();
    assert_eq!(
        to,
        [CustomerStatus::Active, CustomerStatus::Suspended, CustomerStatus::Active, CustomerStatus::Creating]
    );
    assert_eq!(history[1].reason, "invoice overdue");
}

#[tokio::test]
async fn another_customer_s_ids_look_exactly_like_ids_that_do_not_exist() {
    let mut world = World::start().await;
    let (_a, owner_a) = world.customer_with_owner("Tenant A", "owner@a.test").await;
    let (b, _owner_b) = world.customer_with_owner("Tenant B", "owner@b.test").await;
    let channel = world.client("tenancy", &owner_a).await;
    let mut customers = CustomerServiceClient::with_interceptor(channel.channel(), channel.interceptor());
    let mut branding = BrandingServiceClient::with_interceptor(channel.channel(), channel.interceptor());
    let mut plans = PlanServiceClient::with_interceptor(channel.channel(), channel.interceptor());
    let random = uuid::Uuid::new_v4().to_string();
    for id in [b.id.clone(), random] {
        let errors = [
            customers.get_customer(GetCustomerRequest { customer_id: id.clone() }).await.unwrap_err(),
            branding.get_customer_branding(GetCustomerBrandingRequest { customer_id: id.clone() }).await.unwrap_err(),
            branding
                .update_branding(UpdateBrandingRequest { customer_id: id.clone(), ..Default::default() })
                .await
                .unwrap_err(),
            plans.get_usage(GetUsageRequest { customer_id: id.clone() }).await.unwrap_err(),
        ];
        for error in errors {
            assert_eq!((error.code(), error.message()), (Code::NotFound, "customer not found"), "{id}");
        }
    }
    // Listing customers is for platform roles only.
    let error = customers.list_customers(ListCustomersRequest::default()).await.unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn customers_list_with_search_filters_and_pages() {
    let world = World::start().await;
    for (i, name) in ["Alpha Web", "Beta Shop", "Alpha Apps", "Gamma"].iter().enumerate() {
        world.create_customer(name, &format!("owner{i}@list.test")).await;
    }
    let canopy = world.client("tenancy", &world.admin_token).await;
    let mut customers = CustomerServiceClient::with_interceptor(canopy.channel(), canopy.interceptor());
    let found = customers
        .list_customers(ListCustomersRequest { search: "alpha".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<String> = found.customers.iter().map(|c| c.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["Alpha Apps", "Alpha Web"]);
    assert_eq!(found.page.unwrap().total_size, 2, "the total counts what the filter matches, not every customer");

    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = customers
            .list_customers(ListCustomersRequest {
                page: Some(PageRequest { page_size: 3, page_token: token.clone() }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.customers.into_iter().map(|c| c.name));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen.len(), 4);
    let first = customers
        .list_customers(ListCustomersRequest {
            page: Some(PageRequest { page_size: 3, ..Default::default() }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.page.unwrap().total_size, 4, "the total is every page's, not this page's");
    assert_eq!(seen.iter().collect::<std::collections::BTreeSet<_>>().len(), 4, "pages overlap: {seen:?}");
    let error = customers
        .list_customers(ListCustomersRequest {
            page: Some(PageRequest { page_size: 3, page_token: "garbage".into() }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(error.get_error_details().bad_request().unwrap().field_violations[0].field, "page.page_token");
}

#[tokio::test]
async fn every_tenancy_table_passes_the_catalog_audit() {
    let world = World::start().await;
    let pool = world.env.superuser_pool().await;
    let violations = canopy_kit::db::audit_catalog(&pool, "canopy_app", &[]).await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[tokio::test]
async fn when_configured_so_a_suspended_customer_s_users_cannot_sign_in_at_all() {
    let mut world = World::start_configured(|env| {
        env.config.set_section_value("tenancy", "read_only_when_suspended", serde_json::json!(false));
    })
    .await;
    let (customer, _owner) = world.customer_with_owner("Locked Out", "owner@lockedout.test").await;
    let password = "correct horse battery staple 42";
    let admin = world.client("tenancy", &world.admin_token).await;
    let mut customers = CustomerServiceClient::with_interceptor(admin.channel(), admin.interceptor());
    customers
        .suspend_customer(SuspendCustomerRequest { customer_id: customer.id.clone(), reason: "chargeback".into() })
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let refused = world.try_login("owner@lockedout.test", password).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("chargeback"), "{refused:?}");

    customers.reactivate_customer(ReactivateCustomerRequest { customer_id: customer.id.clone() }).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    world.login("owner@lockedout.test", password).await;
}
