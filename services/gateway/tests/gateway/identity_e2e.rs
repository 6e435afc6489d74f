//! End to end with the real identity service behind the gateway: the gateway reads
//! identity's verification keys and resolves API keys over the mesh (no test
//! doubles), a user signs in through the gateway and calls with the token it got.

use canopy_gateway::{Gateway, RunningGateway};
use canopy_identity::ensure_platform_admin;
use canopy_kit::db::Database;
use canopy_kit::mesh::LeafValidity;
use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::credential_service_client::CredentialServiceClient;
use canopy_sdk::proto::canopy::identity::v1::{
    GetCurrentUserRequest, ListVerificationKeysRequest, LoginRequest, LogoutRequest, SessionTokens, login_response,
};
use tonic::Code;
use tonic::transport::Channel;

use crate::support::{bearer, test_config};

const ADMIN_EMAIL: &str = "admin@canopy.test";

struct IdentityWorld {
    env: TestEnv,
    _services: TestServices,
    gateway: RunningGateway,
    admin_password: String,
}

impl IdentityWorld {
    async fn start() -> Self {
        let env = TestEnv::new().await;
        env.pki
            .issue_server_leaf("edge", &["localhost"], &["127.0.0.1".parse().unwrap()], LeafValidity::days(1))
            .expect("issue edge leaf");
        let services = env.spawn(&[&canopy_identity::MANIFEST]).await;
        let database = Database::connect(&env.config.database).await.expect("connect to the test database");
        let admin_password =
            ensure_platform_admin(&database, ADMIN_EMAIL).await.expect("seed platform admin").expect("a new admin");
        // The production wiring: keys, API keys and policies from identity and the SDK.
        let gateway = Gateway::new(&services.runtime).config(test_config(&env)).start().await.expect("gateway starts");
        Self { env, _services: services, gateway, admin_password }
    }

    async fn channel(&self) -> Channel {
        let anchor = std::fs::read(self.env.pki.dir().join("trust-anchor.crt")).unwrap();
        Canopy::builder(format!("https://{}", self.gateway.addr))
            .ca_certificate_pem(anchor)
            .server_name("localhost")
            .connect()
            .await
            .expect("connect to the gateway")
            .channel()
    }

    async fn login(&self) -> SessionTokens {
        let response = AuthServiceClient::new(self.channel().await)
            .login(LoginRequest { email: ADMIN_EMAIL.into(), password: self.admin_password.clone() })
            .await
            .expect("login through the gateway")
            .into_inner();
        match response.result {
            Some(login_response::Result::Session(tokens)) => tokens,
            other => panic!("expected a session, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn sign_in_through_the_gateway_then_call_and_log_out() {
    let world = IdentityWorld::start().await;
    let tokens = world.login().await;
    let mut auth = AuthServiceClient::new(world.channel().await);

    let user = auth
        .get_current_user(bearer(GetCurrentUserRequest {}, &tokens.access_token))
        .await
        .expect("the access token works through the gateway")
        .into_inner()
        .user
        .expect("a user");
    assert_eq!(user.email, ADMIN_EMAIL);

    let status = auth
        .get_current_user(bearer(GetCurrentUserRequest {}, &tokens.refresh_token))
        .await
        .expect_err("a refresh token is not an access token");
    assert_eq!(status.code(), Code::Unauthenticated);

    let status = CredentialServiceClient::new(world.channel().await)
        .list_verification_keys(bearer(ListVerificationKeysRequest {}, &tokens.access_token))
        .await
        .expect_err("internal method");
    assert_eq!(status.code(), Code::Unimplemented);

    auth.logout(bearer(LogoutRequest {}, &tokens.access_token)).await.expect("logout through the gateway");
    let status =
        auth.get_current_user(bearer(GetCurrentUserRequest {}, &tokens.access_token)).await.expect_err("logged out");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn a_wrong_password_through_the_gateway_is_refused_and_sign_in_is_rate_limited() {
    let world = IdentityWorld::start().await;
    let mut auth = AuthServiceClient::new(world.channel().await);
    let status = auth
        .login(LoginRequest { email: ADMIN_EMAIL.into(), password: "not the password at all".into() })
        .await
        .expect_err("wrong password");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    // Sign-in class: 20 a minute per client address (the first call counted too).
    let mut refused = None;
    for _ in 0..25 {
        if let Err(status) =
            auth.login(LoginRequest { email: "nobody@canopy.test".into(), password: "wrong password 1".into() }).await
            && status.code() == Code::ResourceExhausted
        {
            refused = Some(status);
            break;
        }
    }
    assert!(refused.is_some(), "sign-in calls were never rate limited");
}
