//! Hosting a service: bind, mTLS, mesh authorisation, telemetry, health, reflection,
//! the system service, the service's own routes, and graceful shutdown.
//!
//! Start-up order is chosen so that a bad certificate or a taken port fails before
//! anything touches the database, and nothing half-started keeps running: every
//! step either completes or returns an error that names the setting at fault.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use canopy_sdk::proto::canopy::system::v1::system_service_server::SystemServiceServer;
use canopy_sdk::{Canopy, FILE_DESCRIPTOR_SET};
use futures_util::future::BoxFuture;
use sqlx::migrate::Migrator;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::service::Routes;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::access::{AccessError, MethodPolicies};
use crate::auth::{
    ApiKeyResolver, AuthLayer, Authenticator, IdentityKeySource, SessionStore, TenantAccessGuard, TokenVerifier,
    identity_api_key_lookup, tenancy_access_lookup,
};
use crate::cache::{Cache, CacheError};
use crate::clock::{SharedClock, SystemClock};
use crate::config::{KitConfig, MeshMode};
use crate::db::{Database, DbError, migrate_schema};
use crate::mesh::{self, MeshAuthzLayer, MeshClientIdentity, MeshPolicy, PolicyError, TlsError, WorkloadIdentity};
use crate::system::System;
use crate::telemetry::RpcTelemetryLayer;

/// Builds a service's own gRPC routes once its context is ready.
pub type BuildRoutes = fn(ServiceContext) -> BoxFuture<'static, anyhow::Result<Routes>>;

/// Everything the host needs to know about one service.
#[derive(Clone, Copy)]
pub struct ServiceSpec {
    /// Service (and workload) name, e.g. `identity`.
    pub name: &'static str,
    /// Its PostgreSQL schema, when it keeps data.
    pub schema: Option<&'static str>,
    /// Its migrations (`migrations/<name>/`), applied inside `schema` at start-up.
    pub migrator: Option<&'static Migrator>,
    /// Full names of the domain gRPC services it hosts, for health reporting.
    pub grpc_services: &'static [&'static str],
    /// Its routes.
    pub routes: BuildRoutes,
}

/// What a service's routes are built from.
#[derive(Clone)]
pub struct ServiceContext {
    pub name: &'static str,
    pub identity: WorkloadIdentity,
    pub database: Option<Database>,
    pub cache: Cache,
    pub policies: Arc<MethodPolicies>,
    pub mesh: MeshClients,
    pub config: Arc<KitConfig>,
    /// Verifies callers (the same instance the service's AuthLayer uses).
    pub auth: Arc<Authenticator>,
    /// Sessions in Redis (identity writes them; everyone checks them).
    pub sessions: SessionStore,
    pub clock: SharedClock,
}

/// Why a service could not start. Each message is one line naming the setting or file.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("mesh certificate for {service}: {source}")]
    Tls {
        service: &'static str,
        #[source]
        source: TlsError,
    },
    #[error("service {service}: cannot listen on {addr}: {reason}")]
    Bind { service: &'static str, addr: SocketAddr, reason: String },
    #[error("service {service}: {source}")]
    Database {
        service: &'static str,
        #[source]
        source: DbError,
    },
    #[error("{0}")]
    Cache(#[from] CacheError),
    #[error("{0}")]
    Policy(#[from] PolicyError),
    #[error("method policies: {0}")]
    Access(#[from] AccessError),
    #[error("service {service}: {reason}")]
    Routes { service: &'static str, reason: String },
}

/// What the services of one process share: configuration, Redis, the mesh policy,
/// method policies, and where every service listens.
#[derive(Clone)]
pub struct SharedRuntime {
    pub config: Arc<KitConfig>,
    pub cache: Cache,
    pub mesh_policy: Arc<MeshPolicy>,
    pub policies: Arc<MethodPolicies>,
    pub endpoints: Endpoints,
    /// Time for token expiry, sessions and lockouts; tests swap in a manual clock.
    pub clock: SharedClock,
}

/// Service name → listening address, filled in as services start.
pub type Endpoints = Arc<RwLock<BTreeMap<String, SocketAddr>>>;

impl SharedRuntime {
    pub async fn connect(config: KitConfig) -> Result<Self, StartError> {
        let mesh_policy = Arc::new(MeshPolicy::load(&config.mesh.policy_file)?);
        let policies = Arc::new(MethodPolicies::from_descriptor_set(FILE_DESCRIPTOR_SET)?);
        let cache = Cache::connect(&config.redis).await?;
        Ok(Self {
            config: Arc::new(config),
            cache,
            mesh_policy,
            policies,
            endpoints: Endpoints::default(),
            clock: Arc::new(SystemClock),
        })
    }

    fn identity(&self, name: &str) -> WorkloadIdentity {
        WorkloadIdentity::new(name, &self.config.mesh.namespace, &self.config.mesh.trust_domain)
    }

    /// Mesh clients calling as `workload`, for a component that is not a hosted
    /// service (the gateway): its certificate is checked as a service's would be.
    pub fn mesh_clients(&self, workload: &'static str) -> Result<MeshClients, StartError> {
        let mesh = &self.config.mesh;
        let identity = match mesh.mode {
            MeshMode::Mtls => Some(
                mesh::client_identity(&mesh.pki_dir, &self.identity(workload))
                    .map_err(|source| StartError::Tls { service: workload, source })?,
            ),
            MeshMode::Plaintext => None,
        };
        Ok(MeshClients {
            identity,
            endpoints: self.endpoints.clone(),
            namespace: mesh.namespace.clone(),
            trust_domain: mesh.trust_domain.clone(),
        })
    }

    /// Starts `spec` on `listen`. On error nothing of it keeps running.
    pub async fn start(&self, spec: &ServiceSpec, listen: SocketAddr) -> Result<RunningService, StartError> {
        let service = spec.name;
        let identity = self.identity(service);
        let mesh = &self.config.mesh;
        let tls = match mesh.mode {
            MeshMode::Mtls => Some(
                mesh::server_config(&mesh.pki_dir, &identity).map_err(|source| StartError::Tls { service, source })?,
            ),
            MeshMode::Plaintext => None,
        };
        let client_identity = match mesh.mode {
            MeshMode::Mtls => Some(
                mesh::client_identity(&mesh.pki_dir, &identity)
                    .map_err(|source| StartError::Tls { service, source })?,
            ),
            MeshMode::Plaintext => None,
        };
        let listener = TcpListener::bind(listen).await.map_err(|e| StartError::Bind {
            service,
            addr: listen,
            reason: e.to_string(),
        })?;
        let addr =
            listener.local_addr().map_err(|e| StartError::Bind { service, addr: listen, reason: e.to_string() })?;

        let database = match spec.schema {
            None => None,
            Some(schema) => {
                let database = Database::connect(&self.config.database)
                    .await
                    .map_err(|source| StartError::Database { service, source })?;
                if let Some(migrator) = spec.migrator {
                    migrate_schema(&database.owner, &database.roles, schema, migrator)
                        .await
                        .map_err(|source| StartError::Database { service, source })?;
                }
                Some(database)
            }
        };

        let mesh_clients = MeshClients {
            identity: client_identity,
            endpoints: self.endpoints.clone(),
            namespace: mesh.namespace.clone(),
            trust_domain: mesh.trust_domain.clone(),
        };
        let sessions = SessionStore::new(self.cache.clone());
        let authenticator = Arc::new(Authenticator {
            tokens: TokenVerifier::new(
                Arc::new(IdentityKeySource { mesh: mesh_clients.clone() }),
                self.clock.clone(),
                sessions.clone(),
            ),
            api_keys: ApiKeyResolver::new(
                identity_api_key_lookup(mesh_clients.clone()),
                Duration::from_secs(5),
                self.clock.clone(),
            ),
            tenant_access: TenantAccessGuard::new(tenancy_access_lookup(mesh_clients.clone()), Duration::from_secs(2)),
        });
        let context = ServiceContext {
            name: service,
            identity: identity.clone(),
            database: database.clone(),
            cache: self.cache.clone(),
            policies: self.policies.clone(),
            mesh: mesh_clients,
            config: self.config.clone(),
            auth: authenticator.clone(),
            sessions,
            clock: self.clock.clone(),
        };
        let routes =
            (spec.routes)(context).await.map_err(|e| StartError::Routes { service, reason: format!("{e:#}") })?;

        let (health, health_service) = tonic_health::server::health_reporter();
        let reflection_v1 = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| StartError::Routes { service, reason: format!("reflection: {e}") })?;
        let reflection_v1alpha = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1alpha()
            .map_err(|e| StartError::Routes { service, reason: format!("reflection: {e}") })?;
        let system = SystemServiceServer::new(System {
            service,
            workload_identity: identity.dns_name(),
            database,
            cache: self.cache.clone(),
            started: SystemTime::now(),
            started_instant: Instant::now(),
        });
        let routes = routes
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(system);

        let mut grpc_services: Vec<&'static str> = spec.grpc_services.to_vec();
        grpc_services.push("canopy.system.v1.SystemService");
        grpc_services.push("");
        for name in &grpc_services {
            health.set_service_status(*name, ServingStatus::Serving).await;
        }

        let (stop_tx, stop_rx) = watch::channel(false);
        let incoming = mesh::accept(listener, tls, mesh.trust_domain.clone(), stop_rx.clone());
        let authz = MeshAuthzLayer::new(self.mesh_policy.clone(), mesh.mode, &mesh.namespace, &mesh.trust_domain);
        let server = tonic::transport::Server::builder()
            .layer(RpcTelemetryLayer::new(service))
            .layer(authz)
            .layer(AuthLayer::new(self.policies.clone(), authenticator))
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .add_routes(routes);
        let mut stop = stop_rx;
        let task = tokio::spawn(async move {
            let signal = async move {
                let _ = stop.wait_for(|stopped| *stopped).await;
            };
            server.serve_with_incoming_shutdown(incoming, signal).await
        });
        self.endpoints.write().expect("endpoints lock poisoned").insert(service.to_string(), addr);
        tracing::info!(service, %addr, identity = %identity, "service started");
        Ok(RunningService {
            name: service,
            addr,
            health,
            grpc_services,
            stop: stop_tx,
            task,
            drain: Duration::from_secs_f64(self.config.shutdown_drain_secs.max(0.0)),
            endpoints: self.endpoints.clone(),
        })
    }
}

/// A service that is serving.
pub struct RunningService {
    pub name: &'static str,
    pub addr: SocketAddr,
    health: HealthReporter,
    grpc_services: Vec<&'static str>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
    drain: Duration,
    endpoints: Endpoints,
}

impl RunningService {
    /// Reports NOT_SERVING, keeps answering for the drain period so balancers move
    /// away, then stops accepting and waits for in-flight calls to finish.
    pub async fn shutdown(self) {
        self.start_draining().await;
        tokio::time::sleep(self.drain).await;
        self.stop().await;
    }

    /// Reports NOT_SERVING on every health name while still answering calls.
    pub async fn start_draining(&self) {
        for name in &self.grpc_services {
            self.health.set_service_status(*name, ServingStatus::NotServing).await;
        }
    }

    /// The configured drain period.
    pub fn drain_period(&self) -> Duration {
        self.drain
    }

    /// Stops accepting and waits for in-flight calls (no drain period).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(Ok(())) => tracing::info!(service = self.name, "service stopped"),
            Ok(Err(error)) => {
                tracing::warn!(service = self.name, %error, "service stopped with an error")
            }
            Err(error) => tracing::warn!(service = self.name, %error, "service task failed"),
        }
        self.endpoints.write().expect("endpoints lock poisoned").remove(self.name);
    }
}

/// Opens mTLS connections to other services as this workload.
#[derive(Clone)]
pub struct MeshClients {
    identity: Option<MeshClientIdentity>,
    endpoints: Endpoints,
    namespace: String,
    trust_domain: String,
}

/// Why a mesh client could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum MeshClientError {
    #[error("no endpoint known for service {0}")]
    UnknownService(String),
    #[error(transparent)]
    Connect(#[from] canopy_sdk::ConnectError),
}

impl MeshClients {
    /// A client for `service`, verifying that the peer proves `service`'s identity.
    pub async fn connect(&self, service: &str) -> Result<Canopy, MeshClientError> {
        let addr = self
            .endpoints
            .read()
            .expect("endpoints lock poisoned")
            .get(service)
            .copied()
            .ok_or_else(|| MeshClientError::UnknownService(service.to_string()))?;
        let builder = match &self.identity {
            Some(identity) => Canopy::builder(format!("https://{addr}"))
                .ca_certificate_pem(identity.trust_anchor_pem.clone())
                .client_identity_pem(identity.cert_pem.clone(), identity.key_pem.clone())
                .server_name(WorkloadIdentity::new(service, &self.namespace, &self.trust_domain).dns_name()),
            None => Canopy::builder(format!("http://{addr}")),
        };
        Ok(builder.lazy().connect().await?)
    }
}
