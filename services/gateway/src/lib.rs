//! The edge gateway: Canopy's only public entry point.
//!
//! One port serves gRPC over TLS (HTTP/2) and grpc-web (HTTP/1.1 or HTTP/2). Each
//! call passes one readable stack:
//!
//! ```text
//! SecurityHeaders → CORS → grpc-web → RpcTelemetry (trace, access log, RED metrics)
//!   → gRPC health of the gateway itself, or:
//!   → Route (owning service from the path; unknown and INTERNAL methods end here)
//!   → EdgeAuth (token or API key, then the method policy; sessions and verified
//!     tokens cached in memory, revocations announced over Redis pub/sub)
//!   → RateLimit (Redis, per tenant / address and rate class, counts leased in batches)
//!   → Forward (mTLS to the service as workload `gateway`, frames untouched)
//! ```
//!
//! Every rule comes from the method options in the descriptor set, so a new RPC
//! never changes the gateway. See the crate README for the configuration keys.

pub mod authn;
pub mod config;
pub mod forward;
pub mod headers;
pub mod ratelimit;
pub mod route;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use canopy_kit::access::MethodPolicies;
use canopy_kit::auth::{
    ApiKeyLookup, ApiKeyResolver, Authenticator, IdentityKeySource, KeySource, SessionCache, SessionStore,
    TenantAccessGuard, TokenVerifier, identity_api_key_lookup,
};
use canopy_kit::redis_store::RedisStore;
use canopy_kit::server::{SharedRuntime, StartError};
use canopy_kit::telemetry::RpcTelemetryLayer;
use futures_util::FutureExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tower::{ServiceBuilder, ServiceExt};

use crate::authn::EdgeAuthLayer;
pub use crate::config::GatewayConfig;
use crate::forward::Forward;
use crate::headers::{SecurityHeadersLayer, cors_layer};
use crate::ratelimit::{ConfiguredTiers, RateLimitLayer, RateLimiter, RateTierSource, TenancyTiers};
use crate::route::RouteLayer;

/// The gateway's workload name in the mesh (its client certificate names it).
pub const WORKLOAD: &str = "gateway";

/// Why the gateway could not start. Each message is one line naming the setting or file.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("{0}")]
    Config(String),
    #[error("services.gateway TLS: {path}: {reason}")]
    Tls { path: PathBuf, reason: String },
    #[error("listen.gateway: cannot listen on {addr}: {reason}")]
    Bind { addr: String, reason: String },
    #[error("gateway: {0}")]
    Mesh(#[from] StartError),
}

/// Builds and starts the gateway over a [`SharedRuntime`] (its Redis, clock, method
/// policies, mesh PKI and in-process service endpoints). Tests replace the
/// credential sources and policies; production uses identity over the mesh.
pub struct Gateway<'a> {
    runtime: &'a SharedRuntime,
    config: Option<GatewayConfig>,
    key_source: Option<Arc<dyn KeySource>>,
    api_key_lookup: Option<ApiKeyLookup>,
    policies: Option<Arc<MethodPolicies>>,
    rate_limit_redis: Option<RedisStore>,
    tier_source: Option<Arc<dyn RateTierSource>>,
}

impl<'a> Gateway<'a> {
    /// A gateway configured by `[services.gateway]` of the runtime's configuration.
    pub fn new(runtime: &'a SharedRuntime) -> Self {
        Self {
            runtime,
            config: None,
            key_source: None,
            api_key_lookup: None,
            policies: None,
            rate_limit_redis: None,
            tier_source: None,
        }
    }

    /// Uses `config` instead of the runtime's `[services.gateway]`.
    pub fn config(mut self, config: GatewayConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Where access-token verification keys come from (default: identity's
    /// `ListVerificationKeys` over the mesh).
    pub fn key_source(mut self, source: Arc<dyn KeySource>) -> Self {
        self.key_source = Some(source);
        self
    }

    /// How API keys are resolved (default: identity's `VerifyApiKey` over the mesh).
    pub fn api_key_lookup(mut self, lookup: ApiKeyLookup) -> Self {
        self.api_key_lookup = Some(lookup);
        self
    }

    /// Method policies (default: the runtime's, read from the SDK's descriptor set).
    pub fn policies(mut self, policies: Arc<MethodPolicies>) -> Self {
        self.policies = Some(policies);
        self
    }

    /// The Redis used for rate limits (default: the runtime's).
    pub fn rate_limit_redis(mut self, redis: RedisStore) -> Self {
        self.rate_limit_redis = Some(redis);
        self
    }

    /// Where tenants' rate tiers come from (default: tenancy's plans, with
    /// `rate_limits.tenant_tiers` taking precedence).
    pub fn tier_source(mut self, source: Arc<dyn RateTierSource>) -> Self {
        self.tier_source = Some(source);
        self
    }

    /// Binds, and serves until [`RunningGateway::shutdown`]. On error nothing keeps running.
    pub async fn start(self) -> Result<RunningGateway, GatewayError> {
        let runtime = self.runtime;
        let config = match self.config {
            Some(config) => config,
            None => {
                runtime.config.section::<GatewayConfig>(WORKLOAD).map_err(|e| GatewayError::Config(e.to_string()))?
            }
        };
        config.validate().map_err(GatewayError::Config)?;
        let tls =
            if config.tls { Some(tls::edge_server_config(&config.tls_cert_file, &config.tls_key_file)?) } else { None };
        let peers = runtime.peers(WORKLOAD)?;

        let sessions = SessionStore::new(runtime.redis.clone());
        let key_source = self.key_source.unwrap_or_else(|| Arc::new(IdentityKeySource { peers: peers.clone() }));
        let api_key_lookup = self.api_key_lookup.unwrap_or_else(|| identity_api_key_lookup(peers.clone()));
        let mut tokens = TokenVerifier::new(key_source, runtime.clock.clone(), sessions.clone());
        // The hot path without a Redis round trip: sessions from memory (dropped when
        // identity announces a revocation, kept at most session_cache_ms) and each
        // token's signature verified once. Its listener starts once nothing can fail.
        let session_cache = (config.session_cache_ms > 0)
            .then(|| SessionCache::new(sessions, Duration::from_millis(config.session_cache_ms)));
        if let Some(cache) = &session_cache {
            tokens = tokens.with_caches(cache.clone());
        }
        let authenticator = Arc::new(Authenticator {
            tokens,
            api_keys: ApiKeyResolver::new(
                api_key_lookup,
                Duration::from_secs_f64(config.api_key_cache_secs),
                runtime.clock.clone(),
            ),
            // Customer status is enforced by each service (it knows whether a call
            // only reads); the gateway only authenticates.
            tenant_access: TenantAccessGuard::new(Arc::new(|_| async { Ok(None) }.boxed()), Duration::ZERO),
        });
        let tiers = self.tier_source.unwrap_or_else(|| {
            Arc::new(TenancyTiers::new(
                peers.clone(),
                ConfiguredTiers::from_config(&config.rate_limits),
                std::time::Duration::from_secs(30),
            ))
        });
        let limiter = Arc::new(RateLimiter::new(
            self.rate_limit_redis.unwrap_or_else(|| runtime.redis.clone()),
            config.rate_limits.clone(),
            tiers,
            runtime.clock.clone(),
        ));
        let policies = self.policies.unwrap_or_else(|| runtime.policies.clone());

        let listen = runtime.config.listen.get(WORKLOAD).cloned().unwrap_or_else(|| "127.0.0.1:0".into());
        let listener = TcpListener::bind(&listen)
            .await
            .map_err(|e| GatewayError::Bind { addr: listen.clone(), reason: e.to_string() })?;
        let addr =
            listener.local_addr().map_err(|e| GatewayError::Bind { addr: listen.clone(), reason: e.to_string() })?;

        let max_metadata_bytes = config.max_metadata_bytes as usize;
        let proxy = ServiceBuilder::new()
            .layer(RouteLayer::new(policies, max_metadata_bytes, config.trust_forwarded_for))
            .layer(EdgeAuthLayer::new(authenticator))
            .layer(RateLimitLayer::new(limiter))
            .service(Forward::new(peers, config.max_message_bytes));
        let (health, health_service) = tonic_health::server::health_reporter();
        health.set_service_status("", ServingStatus::Serving).await;
        // Only the gateway's own health methods are served here; any other path,
        // including other health paths, takes the proxy's uniform answers.
        let health_service =
            health_service.map_request(|request: http::Request<axum::body::Body>| request.map(tonic::body::Body::new));
        let routes = axum::Router::new()
            .route_service("/grpc.health.v1.Health/Check", health_service.clone())
            .route_service("/grpc.health.v1.Health/Watch", health_service)
            .fallback_service(proxy);

        let background: Vec<JoinHandle<()>> =
            session_cache.iter().map(|cache| tokio::spawn(SessionCache::listen(Arc::downgrade(cache)))).collect();
        let (stop_tx, stop_rx) = watch::channel(false);
        let incoming =
            canopy_kit::mesh::accept(listener, tls, runtime.config.mesh.trust_domain.clone(), stop_rx.clone());
        let server = tonic::transport::Server::builder()
            .accept_http1(true)
            // Metadata a little over the limit gets a clear gRPC error from
            // RouteLayer; far over it, HTTP/2 refuses the stream unread.
            .http2_max_header_list_size(config.max_metadata_bytes.saturating_mul(2))
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .layer(SecurityHeadersLayer::new(config.tls))
            .layer(cors_layer(&config.cors_allowed_origins))
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(RpcTelemetryLayer::new(WORKLOAD))
            .add_routes(Routes::from(routes));
        let mut stop = stop_rx;
        let task = tokio::spawn(async move {
            let signal = async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            };
            server.serve_with_incoming_shutdown(incoming, signal).await
        });
        tracing::info!(%addr, tls = config.tls, "gateway started");
        Ok(RunningGateway {
            addr,
            health,
            stop: stop_tx,
            task,
            background,
            drain: Duration::from_secs_f64(runtime.config.shutdown_drain_secs.max(0.0)),
        })
    }
}

/// A gateway that is serving.
pub struct RunningGateway {
    pub addr: SocketAddr,
    health: HealthReporter,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
    /// Tasks that live as long as the gateway (the session revocation listener).
    background: Vec<JoinHandle<()>>,
    drain: Duration,
}

impl RunningGateway {
    /// Reports NOT_SERVING, keeps answering for the drain period so load balancers
    /// move away, then stops accepting and waits for in-flight calls to finish.
    pub async fn shutdown(self) {
        self.start_draining().await;
        tokio::time::sleep(self.drain).await;
        self.stop().await;
    }

    /// Reports NOT_SERVING while still answering calls.
    pub async fn start_draining(&self) {
        self.health.set_service_status("", ServingStatus::NotServing).await;
    }

    /// The configured drain period.
    pub fn drain_period(&self) -> Duration {
        self.drain
    }

    /// Stops accepting and waits for in-flight calls (no drain period).
    pub async fn stop(self) {
        for task in &self.background {
            task.abort();
        }
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(Ok(())) => tracing::info!("gateway stopped"),
            Ok(Err(error)) => tracing::warn!(%error, "gateway stopped with an error"),
            Err(error) => tracing::warn!(%error, "gateway task failed"),
        }
    }
}
