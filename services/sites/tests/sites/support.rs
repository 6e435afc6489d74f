//! A world with identity, tenancy, sites and the provisioner running, a customer
//! and its owner signed in.

use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::common::v1::CloudProvider;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::user_service_client::UserServiceClient;
use canopy_sdk::proto::canopy::identity::v1::{
    IssuePasswordResetRequest, LoginRequest, SetPasswordWithTokenRequest, login_response,
};
use canopy_sdk::proto::canopy::sites::v1::site_service_client::SiteServiceClient;
use canopy_sdk::proto::canopy::sites::v1::*;
use canopy_sdk::proto::canopy::tenancy::v1::CreateCustomerRequest;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt;

pub type Sites = SiteServiceClient<InterceptedService<Channel, canopy_sdk::BearerToken>>;

pub struct World {
    pub env: TestEnv,
    pub services: TestServices,
    pub admin_token: String,
    /// The provisioner's Terraform root, when a test gave it one.
    _terraform: Option<tempfile::TempDir>,
}

pub struct Customer {
    pub id: String,
    pub owner_token: String,
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(TestEnv::new().await, None).await
    }

    /// A world in which every deployment on `provider` fails, as with a broken
    /// template: the provisioner's Terraform root has every site template but that
    /// provider's, so the sandbox cannot plan it and the worker records FAILED.
    pub async fn start_failing(provider: canopy_terraform::CloudProvider) -> Self {
        let mut env = TestEnv::new().await;
        let root = tempfile::tempdir().unwrap();
        let real = canopy_kit::testing::repo_root().join("terraform");
        std::os::unix::fs::symlink(real.join("modules"), root.path().join("modules")).unwrap();
        std::fs::create_dir(root.path().join("sites")).unwrap();
        for other in canopy_terraform::CloudProvider::ALL.into_iter().filter(|p| *p != provider) {
            std::os::unix::fs::symlink(other.site_template_dir(&real), other.site_template_dir(root.path())).unwrap();
        }
        env.config.set_section_value("provisioner", "terraform_root", serde_json::json!(root.path()));
        Self::start_with(env, Some(root)).await
    }

    async fn start_with(mut env: TestEnv, terraform: Option<tempfile::TempDir>) -> Self {
        // Fast sandbox steps keep the suite quick; realism is for `canopyd dev`.
        env.config.set_section_value("provisioner", "sandbox_step_millis", serde_json::json!(20));
        // The sites suite runs without the policy service; policies on plans are
        // tested end to end in tests/integration/policy_checks.rs.
        env.config.set_section_value("provisioner", "policy_checks", serde_json::json!(false));
        let services = env
            .spawn(&[
                &canopy_identity::MANIFEST,
                &canopy_tenancy::MANIFEST,
                &canopy_provisioner::MANIFEST,
                &canopy_sites::MANIFEST,
            ])
            .await;
        let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
        let password = canopy_identity::ensure_platform_admin(&database, "admin@sites.test").await.unwrap().unwrap();
        let mut world = World { env, services, admin_token: String::new(), _terraform: terraform };
        world.admin_token = world.login("admin@sites.test", &password).await;
        world
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let canopy = self.services.client("identity", "gateway").await;
        match AuthServiceClient::new(canopy.channel())
            .login(LoginRequest { email: email.into(), password: password.into() })
            .await
            .unwrap()
            .into_inner()
            .result
        {
            Some(login_response::Result::Session(session)) => session.access_token,
            other => panic!("expected a session: {other:?}"),
        }
    }

    pub async fn client(&self, service: &str, token: &str) -> Canopy {
        self.services.client(service, "gateway").await.with_token(token)
    }

    pub async fn sites(&self, token: &str) -> Sites {
        let canopy = self.client("sites", token).await;
        SiteServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
    }

    /// A customer with a signed-in owner (the invitation is replaced by an admin
    /// reset, which yields the same kind of single-use token without a mail round trip).
    pub async fn customer(&self, name: &str) -> Customer {
        let admin = self.client("tenancy", &self.admin_token).await;
        let email = format!("owner@{name}.test");
        let customer = CustomerServiceClient::with_interceptor(admin.channel(), admin.interceptor())
            .create_customer(CreateCustomerRequest {
                idempotency_key: format!("customer-{name}"),
                name: name.into(),
                owner_email: email.clone(),
                owner_display_name: "Owner".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .customer
            .unwrap();
        let identity = self.client("identity", &self.admin_token).await;
        let reset = UserServiceClient::with_interceptor(identity.channel(), identity.interceptor())
            .issue_password_reset(IssuePasswordResetRequest { user_id: customer.owner_user_id.clone() })
            .await
            .unwrap()
            .into_inner();
        let password = "plenty of entropy in this phrase 9";
        AuthServiceClient::new(self.services.client("identity", "gateway").await.channel())
            .set_password_with_token(SetPasswordWithTokenRequest {
                token: reset.reset_token,
                new_password: password.into(),
            })
            .await
            .unwrap();
        Customer { id: customer.id, owner_token: self.login(&email, password).await }
    }
}

pub fn new_site(name: &str) -> CreateSiteRequest {
    CreateSiteRequest {
        idempotency_key: format!("create-{}", uuid::Uuid::new_v4()),
        customer_id: String::new(),
        name: name.into(),
        provider: CloudProvider::Aws as i32,
        region: "eu-west-1".into(),
        size: SiteSize::Small as i32,
        database_enabled: true,
        storage_enabled: false,
        runtime: Some(Runtime { image: "ghcr.io/acme/shop:1.4.2".into(), port: 8080, env: Default::default() }),
        labels: [("env".to_string(), "prod".to_string())].into(),
    }
}

/// Streams a deployment from `after_seq` until it ends; returns its events.
pub async fn watch(sites: &mut Sites, deployment_id: &str, after_seq: i64) -> Vec<DeploymentEvent> {
    let request = WatchDeploymentRequest { deployment_id: deployment_id.into(), after_seq, ..Default::default() };
    watch_messages(sites, request).await.into_iter().map(|m| m.event.expect("an event")).collect()
}

/// Every message of a `WatchDeployment` stream, until it ends.
pub async fn watch_messages(sites: &mut Sites, request: WatchDeploymentRequest) -> Vec<WatchDeploymentResponse> {
    let mut stream = sites.watch_deployment(request).await.unwrap().into_inner();
    let mut messages = Vec::new();
    while let Some(message) = tokio::time::timeout(std::time::Duration::from_secs(60), stream.message())
        .await
        .expect("deployment events keep coming")
        .unwrap()
    {
        messages.push(message);
    }
    messages
}

/// Waits until the site reaches `status` (the outcome follower runs asynchronously).
pub async fn site_reaches(sites: &mut Sites, site_id: &str, status: SiteStatus) -> Site {
    for _ in 0..200 {
        let site = sites.get_site(GetSiteRequest { site_id: site_id.into() }).await.unwrap().into_inner().site.unwrap();
        if site.status() == status {
            return site;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("site {site_id} never reached {status:?}");
}

/// The fields an INVALID_ARGUMENT names, sorted.
pub fn violated_fields(error: &tonic::Status) -> Vec<String> {
    let mut fields: Vec<String> =
        error.get_error_details().bad_request().unwrap().field_violations.iter().map(|v| v.field.clone()).collect();
    fields.sort();
    fields
}
