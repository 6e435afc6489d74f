//! The world every gateway test runs in: a fresh `TestEnv` (PostgreSQL database,
//! Redis prefix, dev PKI, manual clock), a test upstream service hosted over mesh
//! mTLS as workload `gatewaytest`, and the gateway in front of it over real TLS with
//! an edge certificate for `localhost`. Credentials are under the test's control: an
//! Ed25519 signing key whose public half the gateway gets through a `KeySource`,
//! sessions written with `SessionStore::put`, and an in-memory API-key table.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use canopy_gateway::{Gateway, GatewayConfig, RunningGateway};
use canopy_kit::access::MethodPolicies;
use canopy_kit::auth::{
    ACCESS_TOKEN_TYPE, ApiKeyLookup, ApiKeySecret, AuthError, KeySet, KeySource, ResolvedApiKey, SessionRecord,
    SessionStore,
};
use canopy_kit::clock::Clock;
use canopy_kit::config::MeshMode;
use canopy_kit::db::TenantId;
use canopy_kit::mesh::{self, LeafValidity, MeshAuthzLayer, WorkloadIdentity};
use canopy_kit::testing::{TestEnv, TestServices};
use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/gatewaytest_include.rs"));
}

pub use proto::canopy::gatewaytest::v1::test_service_client::TestServiceClient;
use proto::canopy::gatewaytest::v1::test_service_server::{TestService, TestServiceServer};
pub use proto::canopy::gatewaytest::v1::*;

/// The real contracts plus the test contract, with their policies.
pub const DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gatewaytest_descriptor.bin"));

pub const ISSUER: &str = "https://identity.canopy.test";
pub const AUDIENCE: &str = "canopy-api";
pub const KID: &str = "test-key-1";

/// PKCS#8 v1 prefix of an Ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// An Ed25519 signing key and its public half.
#[derive(Clone)]
pub struct SigningKey {
    pub encoding: Arc<EncodingKey>,
    pub public_key: [u8; 32],
}

impl SigningKey {
    pub fn generate() -> Self {
        let seed: [u8; 32] = rand::random();
        let public_key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        Self { encoding: Arc::new(EncodingKey::from_ed_der(&der)), public_key }
    }
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS over any header and claims, signed with `key` as `algorithm`.
pub fn sign_raw(header: &Value, claims: &Value, key: &EncodingKey, algorithm: Algorithm) -> String {
    let message = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, algorithm).expect("sign test token");
    format!("{message}.{signature}")
}

/// The keys the gateway verifies with; counts how often it asked.
pub struct StaticKeys {
    pub public_key: [u8; 32],
    pub fetches: AtomicUsize,
}

impl KeySource for StaticKeys {
    fn fetch(&self) -> BoxFuture<'_, Result<KeySet, AuthError>> {
        async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let mut set = KeySet { issuer: ISSUER.into(), audience: AUDIENCE.into(), ..KeySet::default() };
            set.insert_ed25519(KID, &self.public_key, Utc::now() + chrono::Duration::days(365))?;
            Ok(set)
        }
        .boxed()
    }
}

/// A signed-in user the test made up.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user_id: Uuid,
    pub tenant: Option<TenantId>,
    pub role: &'static str,
    pub session_id: String,
}

/// API keys the gateway's lookup resolves; remove one to revoke it.
pub type ApiKeyTable = Arc<Mutex<HashMap<String, ResolvedApiKey>>>;

/// What the test upstream observed.
#[derive(Default)]
pub struct UpstreamEvents {
    /// Signalled when a `Count` stream found its client gone.
    pub stream_cancelled: Notify,
    pub calls: AtomicUsize,
}

/// The test upstream's handlers.
struct Upstream {
    events: Arc<UpstreamEvents>,
}

fn header(request_metadata: &tonic::metadata::MetadataMap, name: &str) -> Option<String> {
    request_metadata.get(name).and_then(|v| v.to_str().ok()).map(String::from)
}

#[tonic::async_trait]
impl TestService for Upstream {
    async fn echo(&self, request: Request<EchoRequest>) -> Result<Response<EchoResponse>, Status> {
        self.events.calls.fetch_add(1, Ordering::SeqCst);
        let mut headers = HashMap::new();
        for name in [
            "authorization",
            "x-forwarded-for",
            "traceparent",
            "grpc-timeout",
            "l5d-client-id",
            "x-custom",
            "canopy-credential-lookup",
        ] {
            if let Some(value) = header(request.metadata(), name) {
                headers.insert(name.to_string(), value);
            }
        }
        Ok(Response::new(EchoResponse { text: request.into_inner().text, headers }))
    }

    async fn deploy(&self, _request: Request<DeployRequest>) -> Result<Response<DeployResponse>, Status> {
        self.events.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(DeployResponse {}))
    }

    type CountStream = tokio_stream::wrappers::ReceiverStream<Result<CountResponse, Status>>;

    async fn count(&self, request: Request<CountRequest>) -> Result<Response<Self::CountStream>, Status> {
        let CountRequest { count, interval_ms } = request.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let events = self.events.clone();
        tokio::spawn(async move {
            for number in 1..=count {
                if number > 1 {
                    tokio::time::sleep(Duration::from_millis(interval_ms as u64)).await;
                }
                if tx.send(Ok(CountResponse { number })).await.is_err() {
                    events.stream_cancelled.notify_one();
                    return;
                }
            }
        });
        Ok(Response::new(tokio_stream::wrappers::ReceiverStream::new(rx)))
    }

    async fn sum(&self, request: Request<Streaming<SumRequest>>) -> Result<Response<SumResponse>, Status> {
        let mut stream = request.into_inner();
        let (mut total, mut messages) = (0, 0);
        while let Some(item) = stream.message().await? {
            total += item.value;
            messages += 1;
        }
        Ok(Response::new(SumResponse { total, messages }))
    }

    async fn sign_in(&self, _request: Request<SignInRequest>) -> Result<Response<SignInResponse>, Status> {
        Ok(Response::new(SignInResponse {}))
    }

    async fn administer(&self, _request: Request<AdministerRequest>) -> Result<Response<AdministerResponse>, Status> {
        Ok(Response::new(AdministerResponse {}))
    }

    async fn internal(&self, _request: Request<InternalRequest>) -> Result<Response<InternalResponse>, Status> {
        self.events.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(InternalResponse {}))
    }
}

/// The test upstream's workload and service name (`canopy.gatewaytest.v1` → `gatewaytest`).
pub const UPSTREAM: &str = "gatewaytest";

/// Hosts the test upstream over mesh mTLS (with the mesh policy enforced, so the
/// gateway must present its workload identity) and registers it in the runtime's
/// endpoints.
async fn start_upstream(
    env: &TestEnv,
    services: &TestServices,
    events: Arc<UpstreamEvents>,
) -> (SocketAddr, watch::Sender<bool>) {
    env.pki.issue_leaf(UPSTREAM, LeafValidity::days(1)).expect("issue upstream leaf");
    let mesh_config = &env.config.mesh;
    let identity = WorkloadIdentity::new(UPSTREAM, &mesh_config.namespace, &mesh_config.trust_domain);
    let tls = mesh::server_config(&mesh_config.pki_dir, &identity).expect("upstream TLS");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind upstream");
    let addr = listener.local_addr().expect("upstream address");
    let (stop_tx, stop_rx) = watch::channel(false);
    let incoming = mesh::accept(listener, Some(tls), mesh_config.trust_domain.clone(), stop_rx.clone());
    let authz = MeshAuthzLayer::new(
        services.runtime.mesh_policy.clone(),
        MeshMode::Mtls,
        &mesh_config.namespace,
        &mesh_config.trust_domain,
    );
    let server =
        tonic::transport::Server::builder().layer(authz).add_service(TestServiceServer::new(Upstream { events }));
    let mut stop = stop_rx;
    tokio::spawn(async move {
        let _ = server
            .serve_with_incoming_shutdown(incoming, async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
    });
    services.runtime.endpoints.write().unwrap().insert(UPSTREAM.to_string(), addr);
    (addr, stop_tx)
}

/// A gateway configuration for tests: TLS with the edge leaf, CORS for one origin.
pub fn test_config(env: &TestEnv) -> GatewayConfig {
    let pki = env.pki.dir();
    let mut config = GatewayConfig {
        tls_cert_file: pki.join("edge.crt"),
        tls_key_file: pki.join("edge.key"),
        cors_allowed_origins: vec![ALLOWED_ORIGIN.to_string()],
        ..GatewayConfig::default()
    };
    config.rate_limits.tiers.get_mut("premium").expect("premium tier").standard.calls = 150;
    config
}

pub const ALLOWED_ORIGIN: &str = "https://portal.canopy.test";

/// One test's world.
pub struct World {
    pub env: TestEnv,
    pub services: TestServices,
    pub gateway: RunningGateway,
    pub upstream_addr: SocketAddr,
    pub events: Arc<UpstreamEvents>,
    pub key: SigningKey,
    pub keys: Arc<StaticKeys>,
    pub api_keys: ApiKeyTable,
    pub sessions: SessionStore,
    _upstream_stop: watch::Sender<bool>,
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with the test configuration adjusted by `adjust`.
    pub async fn start_with(adjust: impl FnOnce(&mut GatewayConfig)) -> Self {
        Self::start_custom(adjust, |gateway| gateway).await
    }

    /// Full control: adjust the configuration and the gateway builder.
    pub async fn start_custom(
        adjust: impl FnOnce(&mut GatewayConfig),
        build: impl for<'a> FnOnce(Gateway<'a>) -> Gateway<'a>,
    ) -> Self {
        Self::start_in(TestEnv::new().await, adjust, build).await
    }

    /// As [`World::start_custom`], in `env` (e.g. with a Redis of the test's own).
    pub async fn start_in(
        env: TestEnv,
        adjust: impl FnOnce(&mut GatewayConfig),
        build: impl for<'a> FnOnce(Gateway<'a>) -> Gateway<'a>,
    ) -> Self {
        env.pki
            .issue_server_leaf("edge", &["localhost"], &["127.0.0.1".parse().unwrap()], LeafValidity::days(1))
            .expect("issue edge leaf");
        let services = env.spawn(&[]).await;
        let events = Arc::new(UpstreamEvents::default());
        let (upstream_addr, upstream_stop) = start_upstream(&env, &services, events.clone()).await;

        let key = SigningKey::generate();
        let keys = Arc::new(StaticKeys { public_key: key.public_key, fetches: AtomicUsize::new(0) });
        let api_keys: ApiKeyTable = Arc::default();
        let table = api_keys.clone();
        let lookup: ApiKeyLookup = Arc::new(move |secret: String| {
            let found = table.lock().unwrap().get(&secret).cloned();
            async move { Ok(found) }.boxed()
        });
        let mut config = test_config(&env);
        adjust(&mut config);
        let policies = Arc::new(MethodPolicies::from_descriptor_set(DESCRIPTOR_SET).expect("test policies"));
        let gateway = Gateway::new(&services.runtime)
            .config(config)
            .key_source(keys.clone())
            .api_key_lookup(lookup)
            .policies(policies);
        let gateway = build(gateway).start().await.expect("gateway starts");
        let sessions = SessionStore::new(services.runtime.redis.clone());
        Self {
            env,
            services,
            gateway,
            upstream_addr,
            events,
            key,
            keys,
            api_keys,
            sessions,
            _upstream_stop: upstream_stop,
        }
    }

    /// A channel to the gateway over TLS, verifying the edge certificate as `localhost`.
    pub async fn channel(&self) -> Channel {
        let anchor = std::fs::read(self.env.pki.dir().join("trust-anchor.crt")).unwrap();
        Canopy::builder(format!("https://{}", self.gateway.addr))
            .ca_certificate_pem(anchor)
            .server_name("localhost")
            .connect()
            .await
            .expect("connect to the gateway")
            .channel()
    }

    pub async fn client(&self) -> TestServiceClient<Channel> {
        TestServiceClient::new(self.channel().await)
    }

    /// A direct mTLS channel to the upstream as `as_workload` (bypassing the gateway).
    pub async fn upstream_channel(&self, as_workload: &str) -> Channel {
        let pki = self.env.pki.dir();
        let read = |name: String| std::fs::read(pki.join(name)).unwrap();
        let identity =
            WorkloadIdentity::new(UPSTREAM, &self.env.config.mesh.namespace, &self.env.config.mesh.trust_domain);
        Canopy::builder(format!("https://{}", self.upstream_addr))
            .ca_certificate_pem(read("trust-anchor.crt".into()))
            .client_identity_pem(read(format!("{as_workload}.crt")), read(format!("{as_workload}.key")))
            .server_name(identity.dns_name())
            .connect()
            .await
            .expect("connect to the upstream")
            .channel()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.env.clock.now()
    }

    /// A user with a live session in `tenant` (or a platform user when `None`).
    pub async fn user(&self, tenant: Option<TenantId>, role: &'static str) -> TestUser {
        let user = TestUser { user_id: Uuid::new_v4(), tenant, role, session_id: Uuid::new_v4().simple().to_string() };
        let now = self.now();
        let record = SessionRecord {
            session_id: user.session_id.clone(),
            user_id: user.user_id,
            tenant_id: tenant.map(|t| t.0),
            role: role.to_string(),
            created_at: now,
            idle_expire_at: now + chrono::Duration::hours(1),
            absolute_expire_at: now + chrono::Duration::hours(12),
        };
        self.sessions.put(&record, now).await.expect("store session");
        user
    }

    /// A customer user in a new tenant.
    pub async fn customer(&self, role: &'static str) -> TestUser {
        self.user(Some(TenantId(Uuid::new_v4())), role).await
    }

    /// The claims a valid access token of `user` carries now.
    pub fn claims(&self, user: &TestUser) -> Value {
        let now = self.now().timestamp();
        let mut claims = json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": user.user_id.to_string(),
            "role": user.role,
            "sid": user.session_id,
            "jti": Uuid::new_v4().to_string(),
            "iat": now,
            "nbf": now,
            "exp": now + 15 * 60,
        });
        if let Some(tenant) = user.tenant {
            claims["tid"] = json!(tenant.0.to_string());
        }
        claims
    }

    pub fn header(&self) -> Value {
        json!({ "alg": "EdDSA", "typ": ACCESS_TOKEN_TYPE, "kid": KID })
    }

    /// A valid access token for `user`.
    pub fn token(&self, user: &TestUser) -> String {
        sign_raw(&self.header(), &self.claims(user), &self.key.encoding, Algorithm::EdDSA)
    }

    /// A token over `claims` with the real key and header.
    pub fn token_with(&self, claims: &Value) -> String {
        sign_raw(&self.header(), claims, &self.key.encoding, Algorithm::EdDSA)
    }

    /// A new API key for `tenant` (platform key when `None`) with `role`.
    pub fn api_key(&self, tenant: Option<TenantId>, role: Role) -> String {
        let (secret, _prefix) = ApiKeySecret::generate();
        let key = ResolvedApiKey { key_id: Uuid::new_v4(), tenant, role, scopes: Vec::new(), expire_at: None };
        self.api_keys.lock().unwrap().insert(secret.clone(), key);
        secret
    }
}

/// `request` with `authorization: Bearer <credential>`.
pub fn bearer<T>(message: T, credential: &str) -> Request<T> {
    with_authorization(message, &format!("Bearer {credential}"))
}

/// `request` with a raw `authorization` value.
pub fn with_authorization<T>(message: T, value: &str) -> Request<T> {
    let mut request = Request::new(message);
    let value: MetadataValue<_> = value.parse().expect("ascii authorization");
    request.metadata_mut().insert("authorization", value);
    request
}

/// The `ErrorInfo.reason` of a status, if any.
pub fn reason(status: &Status) -> Option<String> {
    use tonic_types::StatusExt;
    status.get_details_error_info().map(|info| info.reason)
}

/// The `RetryInfo` delay of a status, if any.
pub fn retry_delay(status: &Status) -> Option<Duration> {
    use tonic_types::StatusExt;
    status.get_details_retry_info().and_then(|info| info.retry_delay)
}
