//! A customer's rate tier comes from its plan in tenancy: through the gateway, a
//! premium-plan customer gets the premium limit and a standard-plan customer the
//! standard one (production wiring: identity and tenancy over the mesh).

use canopy_gateway::Gateway;
use canopy_identity::ensure_platform_admin;
use canopy_kit::db::Database;
use canopy_kit::mesh::LeafValidity;
use canopy_kit::testing::TestEnv;
use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::user_service_client::UserServiceClient;
use canopy_sdk::proto::canopy::identity::v1::{
    GetCurrentUserRequest, IssuePasswordResetRequest, LoginRequest, SetPasswordWithTokenRequest, login_response,
};
use canopy_sdk::proto::canopy::tenancy::v1::CreateCustomerRequest;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::support::{bearer, test_config};

async fn login(channel: &Channel, email: &str, password: &str) -> String {
    let response = AuthServiceClient::new(channel.clone())
        .login(LoginRequest { email: email.into(), password: password.into() })
        .await
        .expect("login through the gateway")
        .into_inner();
    match response.result {
        Some(login_response::Result::Session(session)) => session.access_token,
        other => panic!("{other:?}"),
    }
}

/// A customer on `plan` and its owner's token, all through the gateway.
async fn customer_owner(channel: &Channel, admin: &str, plan: &str) -> String {
    let email = format!("owner@{plan}.test");
    let customer = CustomerServiceClient::new(channel.clone())
        .create_customer(bearer(
            CreateCustomerRequest {
                idempotency_key: format!("plan-tier-{plan}"),
                name: format!("{plan} customer"),
                plan_id: plan.into(),
                owner_email: email.clone(),
                owner_display_name: "Owner".into(),
            },
            admin,
        ))
        .await
        .expect("create customer")
        .into_inner()
        .customer
        .unwrap();
    let reset = UserServiceClient::new(channel.clone())
        .issue_password_reset(bearer(IssuePasswordResetRequest { user_id: customer.owner_user_id }, admin))
        .await
        .unwrap()
        .into_inner();
    let password = "tiers come from plans 2026";
    AuthServiceClient::new(channel.clone())
        .set_password_with_token(SetPasswordWithTokenRequest {
            token: reset.reset_token,
            new_password: password.into(),
        })
        .await
        .unwrap();
    login(channel, &email, password).await
}

/// Standard-class calls until the first refusal; how many were allowed.
async fn allowed_calls(channel: &Channel, token: &str, up_to: usize) -> usize {
    let mut auth = AuthServiceClient::new(channel.clone());
    for made in 0..up_to {
        match auth.get_current_user(bearer(GetCurrentUserRequest {}, token)).await {
            Ok(_) => {}
            Err(status) if status.code() == Code::ResourceExhausted => return made,
            Err(status) => panic!("call {made}: {status:?}"),
        }
    }
    up_to
}

#[tokio::test]
async fn a_premium_plan_customer_gets_the_premium_limit_and_a_standard_one_the_standard() {
    let env = TestEnv::new().await;
    env.pki.issue_server_leaf("edge", &["localhost"], &["127.0.0.1".parse().unwrap()], LeafValidity::days(1)).unwrap();
    let services = env.spawn(&[&canopy_identity::MANIFEST, &canopy_tenancy::MANIFEST]).await;
    let database = Database::connect(&env.config.database).await.unwrap();
    let password = ensure_platform_admin(&database, "admin@tiers.test").await.unwrap().unwrap();
    let mut config = test_config(&env);
    config.rate_limits.tiers.get_mut("standard").unwrap().standard.calls = 5;
    config.rate_limits.tiers.get_mut("premium").unwrap().standard.calls = 12;
    let gateway = Gateway::new(&services.runtime).config(config).start().await.expect("gateway starts");
    let anchor = std::fs::read(env.pki.dir().join("trust-anchor.crt")).unwrap();
    let channel = Canopy::builder(format!("https://{}", gateway.addr))
        .ca_certificate_pem(anchor)
        .server_name("localhost")
        .connect()
        .await
        .unwrap()
        .channel();

    let admin = login(&channel, "admin@tiers.test", &password).await;
    let premium = customer_owner(&channel, &admin, "premium").await;
    let standard = customer_owner(&channel, &admin, "standard").await;
    assert_eq!(allowed_calls(&channel, &premium, 30).await, 12, "premium plan → premium tier");
    assert_eq!(allowed_calls(&channel, &standard, 30).await, 5, "standard plan → standard tier");
}
