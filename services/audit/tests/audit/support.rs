//! A world with identity, tenancy and audit running, a platform admin and two
//! customers (each with a signed-in owner), and helpers to read the trail.

use std::time::{Duration, Instant};

use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::audit::v1 as audit;
use canopy_sdk::proto::canopy::audit::v1::audit_service_client::AuditServiceClient;
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::user_service_client::UserServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;

/// A channel carrying a bearer token.
pub type Authed = tonic::service::interceptor::InterceptedService<tonic::transport::Channel, canopy_sdk::BearerToken>;

pub const ADMIN_EMAIL: &str = "admin@audit.test";
pub const PASSWORD: &str = "audit trails are proven not assumed 7";

pub struct Customer {
    pub id: String,
    pub owner_id: String,
    pub token: String,
}

pub struct World {
    pub env: TestEnv,
    pub services: TestServices,
    pub admin: String,
    admin_password: String,
    pub a: Customer,
    pub b: Customer,
}

impl World {
    pub async fn start() -> Self {
        Self::start_configured(|_| {}).await
    }

    pub async fn start_configured(configure: impl FnOnce(&mut TestEnv)) -> Self {
        let mut env = TestEnv::new().await;
        env.config.set_section_value("audit", "checkpoint_interval_secs", serde_json::json!(0.2));
        env.config.set_section_value("audit", "delivery_interval_ms", serde_json::json!(100));
        env.config.set_section_value("audit", "allow_insecure_endpoints", serde_json::json!(true));
        configure(&mut env);
        let services =
            env.spawn(&[&canopy_identity::MANIFEST, &canopy_tenancy::MANIFEST, &canopy_audit::MANIFEST]).await;
        let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
        let password = canopy_identity::ensure_platform_admin(&database, ADMIN_EMAIL).await.unwrap().unwrap();
        let admin = login(&services, ADMIN_EMAIL, &password).await;
        let a = customer(&services, &admin, "alpha").await;
        let b = customer(&services, &admin, "bravo").await;
        World { env, services, admin, admin_password: password, a, b }
    }

    /// Signs everyone in again (after the clock jumped past their tokens' lifetime).
    pub async fn sign_in_again(&mut self) {
        self.admin = login(&self.services, ADMIN_EMAIL, &self.admin_password).await;
        self.a.token = login(&self.services, "owner@alpha.test", PASSWORD).await;
        self.b.token = login(&self.services, "owner@bravo.test", PASSWORD).await;
    }

    pub async fn client(&self, service: &str, token: &str) -> Canopy {
        self.services.client(service, "gateway").await.with_token(token)
    }

    pub async fn audit(&self, token: &str) -> AuditServiceClient<Authed> {
        let canopy = self.client("audit", token).await;
        AuditServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
    }

    pub async fn users(&self, token: &str) -> UserServiceClient<Authed> {
        let canopy = self.client("identity", token).await;
        UserServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
    }

    /// Every event `token` may list with `filter`, newest first (all pages).
    pub async fn events(&self, token: &str, filter: audit::AuditFilter) -> Vec<audit::AuditEvent> {
        let mut client = self.audit(token).await;
        let mut events = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_audit_events(audit::ListAuditEventsRequest {
                    filter: Some(filter.clone()),
                    page: Some(canopy_sdk::proto::canopy::common::v1::PageRequest { page_size: 100, page_token }),
                })
                .await
                .unwrap()
                .into_inner();
            events.extend(page.events);
            page_token = page.page.unwrap_or_default().next_page_token;
            if page_token.is_empty() {
                return events;
            }
        }
    }

    /// Waits until `filter` lists at least `count` events (as the platform admin).
    pub async fn wait_for(&self, filter: audit::AuditFilter, count: usize) -> Vec<audit::AuditEvent> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let events = self.events(&self.admin, filter.clone()).await;
            if events.len() >= count {
                return events;
            }
            assert!(Instant::now() < deadline, "waited for {count} events, have {}: {events:#?}", events.len());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for a checkpoint covering the chain's head.
    pub async fn verify(&self, token: &str, customer_id: &str) -> audit::VerifyAuditLogResponse {
        self.audit(token)
            .await
            .verify_audit_log(audit::VerifyAuditLogRequest { customer_id: customer_id.into(), ..Default::default() })
            .await
            .unwrap()
            .into_inner()
    }

    /// The whole export as text.
    pub async fn export(&self, token: &str, filter: audit::AuditFilter, format: audit::ExportFormat) -> String {
        let mut stream = self
            .audit(token)
            .await
            .export_audit_events(audit::ExportAuditEventsRequest { filter: Some(filter), format: format.into() })
            .await
            .unwrap()
            .into_inner();
        let mut text = String::new();
        while let Some(piece) = stream.message().await.unwrap() {
            text.push_str(&piece.data);
        }
        text
    }

    /// Creates an API key as `token`'s user: one audited call.
    pub async fn make_change(&self, token: &str, name: &str) -> String {
        let canopy = self.client("identity", token).await;
        canopy_sdk::proto::canopy::identity::v1::api_key_service_client::ApiKeyServiceClient::with_interceptor(
            canopy.channel(),
            canopy.interceptor(),
        )
        .create_api_key(identity::CreateApiKeyRequest {
            name: name.into(),
            role: canopy_sdk::proto::canopy::options::v1::Role::Viewer as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .api_key
        .unwrap()
        .id
    }
}

pub fn filter_customer(id: &str) -> audit::AuditFilter {
    audit::AuditFilter { customer_id: id.into(), ..Default::default() }
}

pub async fn login(services: &TestServices, email: &str, password: &str) -> String {
    let canopy = services.client("identity", "gateway").await;
    match AuthServiceClient::new(canopy.channel())
        .login(identity::LoginRequest { email: email.into(), password: password.into() })
        .await
        .unwrap()
        .into_inner()
        .result
    {
        Some(identity::login_response::Result::Session(s)) => s.access_token,
        other => panic!("{other:?}"),
    }
}

async fn customer(services: &TestServices, admin: &str, name: &str) -> Customer {
    let tenancy_client = services.client("tenancy", "gateway").await.with_token(admin);
    let customer = CustomerServiceClient::with_interceptor(tenancy_client.channel(), tenancy_client.interceptor())
        .create_customer(tenancy::CreateCustomerRequest {
            idempotency_key: format!("audit-{name}"),
            name: name.into(),
            owner_email: format!("owner@{name}.test"),
            owner_display_name: "Owner".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let identity_client = services.client("identity", "gateway").await.with_token(admin);
    let reset = UserServiceClient::with_interceptor(identity_client.channel(), identity_client.interceptor())
        .issue_password_reset(identity::IssuePasswordResetRequest { user_id: customer.owner_user_id.clone() })
        .await
        .unwrap()
        .into_inner();
    AuthServiceClient::new(services.client("identity", "gateway").await.channel())
        .set_password_with_token(identity::SetPasswordWithTokenRequest {
            token: reset.reset_token,
            new_password: PASSWORD.into(),
        })
        .await
        .unwrap();
    let token = login(services, &format!("owner@{name}.test"), PASSWORD).await;
    Customer { id: customer.id, owner_id: customer.owner_user_id, token }
}
