//! Hosting a service from its [`ServiceManifest`]: bind, mTLS, peers, mesh
//! authorisation, telemetry, health, reflection, the system service, the service's
//! own routes, its background jobs once it serves, and graceful shutdown.
//!
//! Start-up order is chosen so that a bad certificate or a taken port fails before
//! anything touches the database, and nothing half-started keeps running: every
//! step either completes or returns an error that names the setting at fault.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use canopy_sdk::FILE_DESCRIPTOR_SET;
use canopy_sdk::proto::canopy::system::v1::system_service_server::SystemServiceServer;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;
use tracing::Instrument;

use crate::access::{AccessError, MethodPolicies};
use crate::audit::AuditTrail;
use crate::audit::outbox::ship_outbox;
use crate::auth::{
    ApiKeyResolver, AuthLayer, Authenticator, IdentityKeySource, SessionStore, TenantAccessGuard, TokenVerifier,
    identity_api_key_lookup, tenancy_access_lookup,
};
use crate::clock::{SharedClock, SystemClock};
use crate::config::{KitConfig, MeshMode};
use crate::db::{Database, DbError, migrate_schema};
use crate::events::{EVENT_SINK, ship_events};
use crate::manifest::{Built, Registry, Schema, ServiceManifest};
use crate::mesh::{self, MeshAuthzLayer, MeshPolicy, PolicyError, TlsError, WorkloadIdentity};
use crate::middleware::MiddlewareLayer;
pub use crate::peers::Endpoints;
use crate::peers::{PeerConfigError, Peers, check_peer_addresses};
use crate::redis_store::{RedisConnectError, RedisStore};
use crate::request::RequestBoundary;
use crate::system::System;
use crate::telemetry::RpcTelemetryLayer;

/// What a service's routes are built from.
#[derive(Clone)]
pub struct ServiceContext {
    pub name: &'static str,
    pub identity: WorkloadIdentity,
    pub database: Option<Database>,
    pub redis: RedisStore,
    pub policies: Arc<MethodPolicies>,
    /// Channels to the peer services, calling as this workload.
    pub peers: Peers,
    pub config: Arc<KitConfig>,
    /// Verifies callers (the same instance the service's AuthLayer uses).
    pub auth: Arc<Authenticator>,
    /// Sessions in Redis (identity writes them; everyone checks them).
    pub sessions: SessionStore,
    pub clock: SharedClock,
}

impl ServiceContext {
    /// Envelope encryption for this service's schema, with the key-encryption key of
    /// `[secrets]` and the columns the key-rotation job re-encrypts. The service runs
    /// [`crate::secrets::Secrets::rotation_job`] (declared in its manifest as
    /// [`crate::secrets::ROTATION_JOB`]).
    pub async fn secrets(
        &self,
        schema: &'static str,
        columns: &[crate::secrets::EncryptedColumn],
    ) -> anyhow::Result<crate::secrets::Secrets> {
        let kek = self
            .config
            .secrets
            .key_encryption_keys(!self.config.development)
            .await
            .map_err(|error| anyhow::anyhow!("{}: the key-encryption key: {error}", self.name))?;
        let mut secrets = crate::secrets::Secrets::new(kek, schema, self.config.secrets.clone())?;
        for column in columns {
            secrets = secrets.with_column(*column)?;
        }
        Ok(secrets)
    }
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
    Redis(#[from] RedisConnectError),
    #[error("{0}")]
    Policy(#[from] PolicyError),
    #[error("method policies: {0}")]
    Access(#[from] AccessError),
    #[error("service {service}: {reason}")]
    Routes { service: &'static str, reason: String },
    #[error("{0}")]
    Peers(#[from] PeerConfigError),
}

/// What the services of one process share: configuration, Redis, the mesh policy,
/// method policies, and where every service listens.
#[derive(Clone)]
pub struct SharedRuntime {
    pub config: Arc<KitConfig>,
    pub redis: RedisStore,
    pub mesh_policy: Arc<MeshPolicy>,
    pub policies: Arc<MethodPolicies>,
    pub endpoints: Endpoints,
    /// Time for token expiry, sessions and lockouts; tests swap in a manual clock.
    pub clock: SharedClock,
}

impl SharedRuntime {
    pub async fn connect(config: KitConfig) -> Result<Self, StartError> {
        let mesh_policy = Arc::new(MeshPolicy::load(&config.mesh.policy_file)?);
        let policies = Arc::new(MethodPolicies::from_descriptor_set(FILE_DESCRIPTOR_SET)?);
        let redis = RedisStore::connect(&config.redis).await?;
        Ok(Self {
            config: Arc::new(config),
            redis,
            mesh_policy,
            policies,
            endpoints: Endpoints::default(),
            clock: Arc::new(SystemClock),
        })
    }

    fn identity(&self, name: &str) -> WorkloadIdentity {
        WorkloadIdentity::new(name, &self.config.mesh.namespace, &self.config.mesh.trust_domain)
    }

    /// Peers calling as `workload`; in mTLS mode its certificate is checked as a
    /// service's would be. Also for components that are not hosted services (the gateway).
    pub fn peers(&self, workload: &'static str) -> Result<Peers, StartError> {
        let mesh = &self.config.mesh;
        let identity = match mesh.mode {
            MeshMode::Mtls => Some(
                mesh::client_identity(&mesh.pki_dir, &self.identity(workload))
                    .map_err(|source| StartError::Tls { service: workload, source })?,
            ),
            MeshMode::Plaintext => None,
        };
        Ok(Peers::new(
            identity,
            self.endpoints.clone(),
            mesh.peers.clone(),
            &mesh.namespace,
            &mesh.trust_domain,
            Duration::from_secs_f64(mesh.peer_timeout_secs.max(0.001)),
        ))
    }

    /// Fails closed before anything starts: every peer that a service of `hosted`
    /// calls runs in this process or has an address in `mesh.peers`, and every
    /// configured address is a URL naming a service of `registry`.
    pub fn check_peers(&self, registry: &Registry, hosted: &[&ServiceManifest]) -> Result<(), StartError> {
        let known: Vec<&str> = registry.all().iter().map(|m| m.name).collect();
        check_peer_addresses(&self.config.mesh.peers, &known)?;
        for manifest in hosted {
            for peer in manifest.peers() {
                let local = hosted.iter().any(|h| h.name == peer);
                if !local && !self.config.mesh.peers.contains_key(peer) {
                    return Err(PeerConfigError::Missing { service: manifest.name.into(), peer: peer.into() }.into());
                }
            }
        }
        Ok(())
    }

    /// Starts `manifest` on `listen`, after migrating the schemas of the services it
    /// must start after (`prerequisites`, from the registry). On error nothing of it
    /// keeps running.
    pub async fn start(
        &self,
        manifest: &ServiceManifest,
        prerequisites: &[&ServiceManifest],
        listen: SocketAddr,
    ) -> Result<RunningService, StartError> {
        let service = manifest.name;
        let identity = self.identity(service);
        let mesh = &self.config.mesh;
        let tls = match mesh.mode {
            MeshMode::Mtls => Some(
                mesh::server_config(&mesh.pki_dir, &identity).map_err(|source| StartError::Tls { service, source })?,
            ),
            MeshMode::Plaintext => None,
        };
        let peers = self.peers(service)?;
        let listener = TcpListener::bind(listen).await.map_err(|e| StartError::Bind {
            service,
            addr: listen,
            reason: e.to_string(),
        })?;
        let addr =
            listener.local_addr().map_err(|e| StartError::Bind { service, addr: listen, reason: e.to_string() })?;

        let schemas: Vec<Schema> = prerequisites.iter().copied().chain([manifest]).filter_map(|m| m.schema).collect();
        let database = match manifest.schema {
            None => None,
            Some(own) => {
                let database = Database::connect(&self.config.database)
                    .await
                    .map_err(|source| StartError::Database { service, source })?;
                for schema in schemas {
                    migrate_schema(&database.owner, &database.roles, schema.name, schema.migrator)
                        .await
                        .map_err(|source| StartError::Database { service, source })?;
                }
                Some(database.with_audit_outbox(own.name))
            }
        };

        let sessions = SessionStore::new(self.redis.clone());
        let authenticator = Arc::new(Authenticator {
            tokens: TokenVerifier::new(
                Arc::new(IdentityKeySource { peers: peers.clone() }),
                self.clock.clone(),
                sessions.clone(),
            ),
            api_keys: ApiKeyResolver::new(
                identity_api_key_lookup(peers.clone()),
                Duration::from_secs(5),
                self.clock.clone(),
            ),
            tenant_access: TenantAccessGuard::new(tenancy_access_lookup(peers.clone()), Duration::from_secs(2)),
        });
        let outbox_database = database.clone();
        let outbox_peers = peers.clone();
        let context = ServiceContext {
            name: service,
            identity: identity.clone(),
            database: database.clone(),
            redis: self.redis.clone(),
            policies: self.policies.clone(),
            peers,
            config: self.config.clone(),
            auth: authenticator.clone(),
            sessions,
            clock: self.clock.clone(),
        };
        let Built { routes, jobs } =
            (manifest.build)(context).await.map_err(|e| StartError::Routes { service, reason: format!("{e:#}") })?;
        let mut built_jobs: Vec<&str> = jobs.iter().map(|j| j.name).collect();
        let mut declared_jobs: Vec<&str> = manifest.jobs.to_vec();
        built_jobs.sort_unstable();
        declared_jobs.sort_unstable();
        if built_jobs != declared_jobs {
            return Err(StartError::Routes {
                service,
                reason: format!("built jobs {built_jobs:?} differ from the manifest's {declared_jobs:?}"),
            });
        }

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
            redis: self.redis.clone(),
            started: SystemTime::now(),
            started_instant: Instant::now(),
        });
        let routes = routes
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(system);

        let mut grpc_services = manifest.grpc_services();
        grpc_services.push("canopy.system.v1.SystemService".into());
        grpc_services.push(String::new());
        for name in &grpc_services {
            health.set_service_status(name, ServingStatus::Serving).await;
        }

        let (stop_tx, stop_rx) = watch::channel(false);
        let incoming = mesh::accept(listener, tls, mesh.trust_domain.clone(), stop_rx.clone());
        let authz = MeshAuthzLayer::new(self.mesh_policy.clone(), mesh.mode, &mesh.namespace, &mesh.trust_domain);
        let boundary = RequestBoundary::new(FILE_DESCRIPTOR_SET, &self.policies)
            .map_err(|e| StartError::Routes { service, reason: format!("request boundary: {e}") })?;
        let audit_trail = AuditTrail::new(FILE_DESCRIPTOR_SET, outbox_database.clone(), self.clock.clone())
            .map_err(|reason| StartError::Routes { service, reason: format!("audit trail: {reason}") })?;
        let server = tonic::transport::Server::builder()
            .layer(RpcTelemetryLayer::new(service))
            .layer(authz)
            .layer(AuthLayer::new(self.policies.clone(), authenticator, Some(audit_trail.clone())))
            .layer(MiddlewareLayer::new(boundary))
            .layer(MiddlewareLayer::new(audit_trail))
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

        // Jobs start once the service serves, each in its own span, and stop when
        // the token is cancelled on shutdown.
        let stop_jobs = CancellationToken::new();
        let mut running_jobs = JoinSet::new();
        for job in jobs {
            let span = tracing::info_span!("job", service, job = job.name);
            running_jobs.spawn(job.start(stop_jobs.child_token()).instrument(span));
        }
        // The kit's own jobs: the service's audit outbox, shipped to the audit service,
        // and, for a service that publishes events, its event outbox, to alerts.
        if let (Some(database), Some(schema)) = (outbox_database, manifest.schema) {
            if manifest.calls.contains(&EVENT_SINK) {
                let span = tracing::info_span!("job", service, job = "event-outbox");
                let events = ship_events(database.clone(), schema.name, outbox_peers.clone(), stop_jobs.child_token());
                running_jobs.spawn(events.instrument(span));
            }
            let span = tracing::info_span!("job", service, job = "audit-outbox");
            running_jobs.spawn(ship_outbox(database, outbox_peers, stop_jobs.child_token()).instrument(span));
        }
        Ok(RunningService {
            name: service,
            addr,
            health,
            grpc_services,
            stop: stop_tx,
            task,
            stop_jobs,
            jobs: running_jobs,
            drain: Duration::from_secs_f64(self.config.shutdown_drain_secs.max(0.0)),
            grace: Duration::from_secs_f64(self.config.shutdown_grace_secs.max(0.0)),
            endpoints: self.endpoints.clone(),
        })
    }
}

/// A service that is serving.
pub struct RunningService {
    pub name: &'static str,
    pub addr: SocketAddr,
    health: HealthReporter,
    grpc_services: Vec<String>,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), tonic::transport::Error>>,
    stop_jobs: CancellationToken,
    jobs: JoinSet<()>,
    drain: Duration,
    grace: Duration,
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
            self.health.set_service_status(name, ServingStatus::NotServing).await;
        }
    }

    /// The configured drain period.
    pub fn drain_period(&self) -> Duration {
        self.drain
    }

    /// Stops accepting, waits for in-flight calls, then stops the jobs; each wait is
    /// bounded by the grace period, after which what is left is abandoned (a call's
    /// stream is cut, a job's future dropped), so a stopped service writes nothing.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        let service = self.name;
        match tokio::time::timeout(self.grace, &mut self.task).await {
            Ok(Ok(Ok(()))) => tracing::info!(service, "service stopped accepting calls"),
            Ok(Ok(Err(error))) => tracing::warn!(service, %error, "service stopped with an error"),
            Ok(Err(error)) => tracing::warn!(service, %error, "service task failed"),
            Err(_) => {
                tracing::warn!(service, grace = ?self.grace, "calls still in flight after the grace period; cutting them");
                self.task.abort();
            }
        }
        self.stop_jobs.cancel();
        let jobs = &mut self.jobs;
        let finished = tokio::time::timeout(self.grace, async { while jobs.join_next().await.is_some() {} }).await;
        if finished.is_err() {
            tracing::warn!(service, grace = ?self.grace, "jobs still running after the grace period; abandoning them");
            self.jobs.abort_all();
            while self.jobs.join_next().await.is_some() {}
        }
        tracing::info!(service, "service stopped");
        self.endpoints.write().expect("endpoints lock poisoned").remove(self.name);
    }
}
