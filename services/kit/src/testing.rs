//! The test harness every crate's tests use (feature `testing`): a fresh database per
//! test environment on the server in `DATABASE_URL` (or a shared private cluster when
//! unset), an isolated Redis key prefix, a fresh dev PKI, and services started
//! in-process on `127.0.0.1:0` with mTLS on, reached through typed SDK clients.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use canopy_sdk::Canopy;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

use crate::config::{KitConfig, LogFormat};
use crate::local::{Lifetime, PrivatePostgres, PrivateRedis};
use crate::manifest::ServiceManifest;
use crate::mesh::{DevPki, WorkloadIdentity};
use crate::server::{RunningService, SharedRuntime, StartError};

/// The repository root (tests read `mesh/policy.toml` and `migrations/` from it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repository root exists")
}

/// Writes a benchmark's markdown `report` as `file` in the target directory in use
/// (`$CARGO_TARGET_DIR`, else `target/` in the repository) and says where; a bench
/// that cannot write its report has still printed it, so this only warns.
pub fn write_bench_report(file: &str, report: &str) {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target"));
    let path = target.join(file);
    match std::fs::create_dir_all(&target).and_then(|()| std::fs::write(&path, report)) {
        Ok(()) => eprintln!("written to {}", path.display()),
        Err(error) => eprintln!("cannot write {}: {error}", path.display()),
    }
}

/// One test's world: its own database, Redis prefix and PKI.
pub struct TestEnv {
    pub config: KitConfig,
    /// The clock every service spawned from this environment uses; advance it to
    /// expire tokens, sessions and lockouts without sleeping.
    pub clock: crate::clock::ManualClock,
    pub pki: DevPki,
    server_url: String,
    database: String,
    _pki_dir: tempfile::TempDir,
}

impl TestEnv {
    /// Creates a fresh database and PKI. Panics with a clear message when no
    /// PostgreSQL or Redis can be reached or started (a test cannot run without them).
    pub async fn new() -> Self {
        let (server_url, redis_url) = servers();
        Self::on_servers(server_url, redis_url).await
    }

    /// As [`TestEnv::new`], on the PostgreSQL server at `server_url` (a superuser
    /// URL): for tests that stop and restart a server of their own.
    pub async fn on_postgres(server_url: String) -> Self {
        Self::on_servers(server_url, servers().1).await
    }

    async fn on_servers(server_url: String, redis_url: String) -> Self {
        let database = format!("canopy_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = connect_admin(&server_url).await;
        sqlx::query(&format!("create database {database}")).execute(&mut admin).await.expect("create test database");
        let _ = admin.close().await;

        let pki_dir = tempfile::tempdir().expect("temp dir for PKI");
        let mut config = KitConfig::default();
        config.database.url = with_database(&server_url, &database);
        // Every service of a test has its own pools; kept small so two tests running
        // at once with every service stay well inside a stock server's 100 connections.
        config.database.max_connections = 3;
        config.redis.url = redis_url;
        config.redis.key_prefix = format!("canopy-test:{}:", uuid::Uuid::new_v4().simple());
        config.mesh.pki_dir = pki_dir.path().to_path_buf();
        config.mesh.policy_file = repo_root().join("mesh/policy.toml");
        config.telemetry.log_format = LogFormat::Pretty;
        config.telemetry.log_filter = std::env::var("CANOPY_TEST_LOG").unwrap_or_else(|_| "warn".into());
        config.telemetry.ops_listen = String::new();
        config.shutdown_drain_secs = 0.0;
        config.set_section_value(
            "identity",
            "key_encryption_key",
            serde_json::Value::String(crate::local::random_key_base64()),
        );
        // The key-encryption key of every service that seals secrets: a keyring of its own.
        let keyring = pki_dir.path().join("keyring.json");
        crate::secrets::kek::Keyring::create(&keyring).expect("create the test keyring");
        config.secrets.kek = crate::secrets::KekConfig::Keyring(crate::secrets::KeyringConfig { path: keyring });
        let _ = crate::telemetry::init(&config.telemetry, "test");

        let policy = crate::mesh::MeshPolicy::load(&config.mesh.policy_file).expect("mesh/policy.toml loads");
        let workloads: Vec<&str> = policy.workloads().collect();
        let pki = DevPki::generate(pki_dir.path(), &config.mesh.namespace, &config.mesh.trust_domain, &workloads)
            .expect("generate dev PKI");
        Self { config, clock: crate::clock::ManualClock::new(), pki, server_url, database, _pki_dir: pki_dir }
    }

    /// A superuser pool on this test's database (for fixtures and catalog checks —
    /// never for asserting isolation, which superusers bypass).
    pub async fn superuser_pool(&self) -> PgPool {
        PgPool::connect(&self.config.database.url).await.expect("connect to test database")
    }

    /// Starts `manifests` in-process, in the order given, each on `127.0.0.1:0`.
    /// A peer that is not among them has no address: calls to it fail UNAVAILABLE,
    /// as they would with the peer down (start-up does not refuse, so a test can
    /// run one service alone).
    pub async fn spawn(&self, manifests: &[&ServiceManifest]) -> TestServices {
        self.try_spawn(manifests).await.unwrap_or_else(|e| panic!("services failed to start: {e}"))
    }

    /// As [`TestEnv::spawn`], returning the start-up error.
    pub async fn try_spawn(&self, manifests: &[&ServiceManifest]) -> Result<TestServices, StartError> {
        let mut runtime = SharedRuntime::connect(self.config.clone()).await?;
        runtime.clock = std::sync::Arc::new(self.clock.clone());
        let mut services = BTreeMap::new();
        for manifest in manifests {
            let prerequisites: Vec<&ServiceManifest> =
                manifests.iter().copied().filter(|m| manifest.after.contains(&m.name)).collect();
            let running = runtime.start(manifest, &prerequisites, "127.0.0.1:0".parse().expect("loopback")).await?;
            services.insert(manifest.name, running);
        }
        Ok(TestServices { runtime, services, pki_dir: self.config.mesh.pki_dir.clone(), config: self.config.clone() })
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let database = self.database.clone();
        // Drop runs outside any runtime guarantee; use a short-lived one of our own.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = PgConnection::connect(&server_url).await {
                    let _ = sqlx::query(&format!("drop database if exists {database} with (force)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// Services running for a test.
pub struct TestServices {
    pub runtime: SharedRuntime,
    pub services: BTreeMap<&'static str, RunningService>,
    pki_dir: PathBuf,
    config: KitConfig,
}

impl TestServices {
    /// Where `service` listens.
    pub fn addr(&self, service: &str) -> SocketAddr {
        self.services.get(service).unwrap_or_else(|| panic!("service {service} is not running")).addr
    }

    /// An SDK client for `service`, authenticating over mTLS as `as_workload` (whose
    /// leaf must exist in the PKI: every workload of `mesh/policy.toml` does).
    pub async fn client(&self, service: &str, as_workload: &str) -> Canopy {
        let target = WorkloadIdentity::new(service, &self.config.mesh.namespace, &self.config.mesh.trust_domain);
        self.client_builder(service, as_workload)
            .server_name(target.dns_name())
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connect to {service} as {as_workload}: {e}"))
    }

    /// A builder preloaded with `as_workload`'s certificate, for tests that vary it.
    pub fn client_builder(&self, service: &str, as_workload: &str) -> canopy_sdk::CanopyBuilder {
        let read =
            |name: String| std::fs::read(self.pki_dir.join(&name)).unwrap_or_else(|e| panic!("read {name}: {e}"));
        Canopy::builder(format!("https://{}", self.addr(service)))
            .ca_certificate_pem(read("trust-anchor.crt".into()))
            .client_identity_pem(read(format!("{as_workload}.crt")), read(format!("{as_workload}.key")))
    }

    /// Stops every service gracefully.
    pub async fn shutdown(self) {
        for (_, service) in self.services {
            service.shutdown().await;
        }
    }
}

fn servers() -> (String, String) {
    let database = std::env::var("DATABASE_URL").ok().filter(|v| !v.is_empty());
    let redis = std::env::var("REDIS_URL").ok().filter(|v| !v.is_empty());
    if let (Some(database), Some(redis)) = (&database, &redis) {
        return (database.clone(), redis.clone());
    }
    let (private_database, private_redis) = shared_private_servers();
    (database.unwrap_or(private_database), redis.unwrap_or(private_redis))
}

/// Private servers shared by every test process of a run, under `target/canopy-test`;
/// started once under a file lock and left running for the run (`.ci/test` stops them).
fn shared_private_servers() -> (String, String) {
    let dir = repo_root().join("target/canopy-test");
    std::fs::create_dir_all(&dir).expect("create target/canopy-test");
    let lock = std::fs::File::create(dir.join("lock")).expect("create lock file");
    lock.lock().expect("lock target/canopy-test");
    let alive = |url_file: &Path| -> Option<String> {
        let url = std::fs::read_to_string(url_file).ok()?;
        let port: u16 = url.trim().rsplit(':').next()?.split('/').next()?.parse().ok()?;
        std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| url.trim().to_string())
    };
    let database = alive(&dir.join("postgres.url")).unwrap_or_else(|| {
        let server =
            PrivatePostgres::start(&dir.join("postgres"), Lifetime::Detached).unwrap_or_else(|e| panic!("{e}"));
        let url = server.url();
        let pid = server.detach();
        std::fs::write(dir.join("postgres.pid"), pid.to_string()).expect("write pid");
        std::fs::write(dir.join("postgres.url"), &url).expect("write url");
        url
    });
    let redis = alive(&dir.join("redis.url")).unwrap_or_else(|| {
        let server = PrivateRedis::start(&dir.join("redis"), Lifetime::Detached).unwrap_or_else(|e| panic!("{e}"));
        let url = server.url();
        let pid = server.detach();
        std::fs::write(dir.join("redis.pid"), pid.to_string()).expect("write pid");
        std::fs::write(dir.join("redis.url"), &url).expect("write url");
        url
    });
    (database, redis)
}

async fn connect_admin(url: &str) -> PgConnection {
    let options: PgConnectOptions = url.parse().unwrap_or_else(|e| panic!("DATABASE_URL is invalid: {e}"));
    options.connect().await.unwrap_or_else(|e| {
        panic!("cannot connect to PostgreSQL at DATABASE_URL ({}:{}): {e}", options.get_host(), options.get_port())
    })
}

fn with_database(url: &str, database: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    let (prefix, _) = base.rsplit_once('/').unwrap_or((base, ""));
    if prefix.ends_with('/') || !prefix.contains("://") || prefix.ends_with(':') {
        format!("{base}/{database}")
    } else {
        format!("{prefix}/{database}")
    }
}

/// Every log line of the test process (all targets at debug and above, without
/// timestamps), so tests can prove that no secret is ever logged.
static CAPTURED_LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct CaptureWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CaptureWriter {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs the capturing subscriber before anything else can install one (the
/// kit's telemetry keeps an existing subscriber).
pub fn install_log_capture() {
    CAPTURED_LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let filter = tracing_subscriber::EnvFilter::new(
            "debug,h2=info,hyper=info,hyper_util=info,tower=info,rustls=info,tokio_util=info,tonic=info",
        );
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .without_time()
            .with_ansi(false)
            .with_writer(CaptureWriter(buffer.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    });
}

/// Everything logged so far in this process.
pub fn captured_logs() -> String {
    let buffer = CAPTURED_LOGS.get().expect("log capture installed by install_log_capture");
    String::from_utf8_lossy(&buffer.lock().expect("log buffer")).into_owned()
}
