//! The harness: a fresh database, Redis prefix and PKI per test, identity started
//! in-process, a seeded platform admin, and helpers that create signed-in users.

use canopy_identity::ensure_platform_admin;
use canopy_kit::db::Database;
use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::proto::canopy::identity::v1::api_key_service_client::ApiKeyServiceClient;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::credential_service_client::CredentialServiceClient;
use canopy_sdk::proto::canopy::identity::v1::user_service_client::UserServiceClient;
use canopy_sdk::proto::canopy::identity::v1::{
    CreateUserRequest, LoginRequest, SessionTokens, SetPasswordWithTokenRequest, login_response,
};
use canopy_sdk::proto::canopy::options::v1::Role;
use canopy_sdk::{BearerToken, Canopy};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

pub type Auth = AuthServiceClient<InterceptedService<Channel, BearerToken>>;
pub type Users = UserServiceClient<InterceptedService<Channel, BearerToken>>;
pub type ApiKeys = ApiKeyServiceClient<InterceptedService<Channel, BearerToken>>;
pub type Credentials = CredentialServiceClient<InterceptedService<Channel, BearerToken>>;

pub const ADMIN_EMAIL: &str = "admin@canopy.test";

pub use canopy_kit::testing::captured_logs;
use canopy_kit::testing::install_log_capture;

/// A running identity service with a platform admin.
pub struct Harness {
    pub env: TestEnv,
    pub services: TestServices,
    pub database: Database,
    pub admin_password: String,
}

/// A password the policy accepts, different every time.
pub fn strong_password() -> String {
    format!("lantern-{}-Otter", &Uuid::new_v4().simple().to_string()[..12])
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts identity after `configure` adjusts the environment (config sections).
    pub async fn start_with(configure: impl FnOnce(&mut TestEnv)) -> Self {
        install_log_capture();
        let mut env = TestEnv::new().await;
        configure(&mut env);
        // Tenancy answers whether a customer's users may act: without it every
        // customer call fails closed.
        let services = env.spawn(&[&canopy_identity::MANIFEST, &canopy_tenancy::MANIFEST]).await;
        let database = Database::connect(&env.config.database).await.expect("connect to the test database");
        let admin_password = ensure_platform_admin(&database, ADMIN_EMAIL)
            .await
            .expect("seed platform admin")
            .expect("no admin existed before");
        Self { env, services, database, admin_password }
    }

    /// Starts identity (and tenancy) again on the same database, as a new release would;
    /// the running ones stop.
    pub async fn restart(&mut self) {
        let fresh = self.env.spawn(&[&canopy_identity::MANIFEST, &canopy_tenancy::MANIFEST]).await;
        std::mem::replace(&mut self.services, fresh).shutdown().await;
    }

    /// A client as the gateway workload, optionally with a bearer token.
    pub async fn canopy(&self, token: Option<&str>) -> Canopy {
        let canopy = self.services.client("identity", "gateway").await;
        match token {
            Some(token) => canopy.with_token(token),
            None => canopy,
        }
    }

    pub async fn auth(&self, token: Option<&str>) -> Auth {
        let canopy = self.canopy(token).await;
        AuthServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
    }

    pub async fn users(&self, token: &str) -> Users {
        let canopy = self.canopy(Some(token)).await;
        UserServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
    }

    pub async fn api_keys(&self, token: &str) -> ApiKeys {
        let canopy = self.canopy(Some(token)).await;
        ApiKeyServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
    }

    /// CredentialService as another service of the mesh (`sites`).
    pub async fn credentials_internal(&self) -> Credentials {
        let canopy = self.services.client("identity", "sites").await;
        CredentialServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
    }

    /// CredentialService through the gateway identity (public RotateSigningKey).
    pub async fn credentials(&self, token: &str) -> Credentials {
        let canopy = self.canopy(Some(token)).await;
        CredentialServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
    }

    /// Signs in without MFA; panics unless a session comes back.
    pub async fn login(&self, email: &str, password: &str) -> SessionTokens {
        let response = self
            .auth(None)
            .await
            .login(LoginRequest { email: email.into(), password: password.into() })
            .await
            .unwrap_or_else(|status| panic!("login {email}: {status:?}"))
            .into_inner();
        match response.result {
            Some(login_response::Result::Session(tokens)) => tokens,
            other => panic!("expected a session for {email}, got {other:?}"),
        }
    }

    pub async fn admin_tokens(&self) -> SessionTokens {
        self.login(ADMIN_EMAIL, &self.admin_password).await
    }

    /// Invites a user as `creator`, sets its password with the invitation, and
    /// returns its id and password.
    pub async fn create_active_user(
        &self,
        creator_token: &str,
        tenant_id: Option<Uuid>,
        email: &str,
        role: Role,
    ) -> (Uuid, String) {
        let created = self
            .users(creator_token)
            .await
            .create_user(CreateUserRequest {
                tenant_id: tenant_id.map(|t| t.to_string()).unwrap_or_default(),
                email: email.into(),
                display_name: "Test User".into(),
                role: role as i32,
            })
            .await
            .unwrap_or_else(|status| panic!("create {email}: {status:?}"))
            .into_inner();
        let password = strong_password();
        self.auth(None)
            .await
            .set_password_with_token(SetPasswordWithTokenRequest {
                token: created.invitation_token,
                new_password: password.clone(),
            })
            .await
            .unwrap_or_else(|status| panic!("activate {email}: {status:?}"));
        (created.user.expect("user").id.parse().expect("uuid"), password)
    }

    /// A customer tenancy knows (written as the superuser), so its users may act:
    /// services refuse every call of a customer tenancy does not know.
    pub async fn new_tenant(&self) -> Uuid {
        let tenant = Uuid::new_v4();
        let pool = self.env.superuser_pool().await;
        sqlx::query(
            "insert into tenancy.customer (tenant_id, name, status, plan_id, idempotency_key)
             values ($1, 'Identity test customer', 'active', 'standard', $1::text)",
        )
        .bind(tenant)
        .execute(&pool)
        .await
        .expect("insert a customer");
        tenant
    }

    /// An owner of a new tenant, signed in: (tenant, user id, password, tokens).
    pub async fn owner_of_new_tenant(&self, email: &str) -> (Uuid, Uuid, String, SessionTokens) {
        let admin = self.admin_tokens().await;
        let tenant = self.new_tenant().await;
        let (user_id, password) = self.create_active_user(&admin.access_token, Some(tenant), email, Role::Owner).await;
        let tokens = self.login(email, &password).await;
        (tenant, user_id, password, tokens)
    }

    /// Rows in an identity table, counted as the superuser (fixtures only).
    pub async fn count_rows(&self, table: &str) -> i64 {
        let pool = self.env.superuser_pool().await;
        sqlx::query_scalar(&format!("select count(*) from identity.{table}")).fetch_one(&pool).await.expect("count")
    }

    /// Security event kinds recorded so far, oldest first.
    pub async fn event_kinds(&self) -> Vec<String> {
        let pool = self.env.superuser_pool().await;
        sqlx::query_scalar("select kind from identity.security_event order by occurred_at, id")
            .fetch_all(&pool)
            .await
            .expect("events")
    }
}

/// Asserts a gRPC error's code and, when given, its message.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(
    result: Result<T, tonic::Status>,
    code: tonic::Code,
    message: Option<&str>,
) -> tonic::Status {
    let status = result.expect_err("the call should fail");
    assert_eq!(status.code(), code, "{status:?}");
    if let Some(message) = message {
        assert_eq!(status.message(), message, "{status:?}");
    }
    status
}

/// The field names of a status's `BadRequest` violations.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}
