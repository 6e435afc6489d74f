//! Typed configuration: defaults, then a TOML file, then `CANOPY_…` environment
//! variables (`CANOPY_DATABASE__URL` sets `database.url`). Every field is documented
//! because operators read these docs, not the code.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// Why the configuration could not be loaded. The message names the file or key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} does not exist")]
    MissingFile { path: PathBuf },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Settings shared by every service in a process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KitConfig {
    /// PostgreSQL connection settings.
    pub database: DatabaseConfig,
    /// Redis connection settings.
    pub redis: RedisConfig,
    /// Service-to-service transport and authorisation.
    pub mesh: MeshConfig,
    /// Logs, traces and metrics.
    pub telemetry: TelemetryConfig,
    /// How long a stopping service keeps answering (reporting NOT_SERVING) before it
    /// stops accepting connections, so load balancers can drain it. In seconds.
    pub shutdown_drain_secs: f64,
    /// How long a stopping service waits for in-flight calls and for its background
    /// jobs to stop, after the drain period, before it abandons them. In seconds; keep
    /// it below Kubernetes' `terminationGracePeriodSeconds` minus the drain period.
    pub shutdown_grace_secs: f64,
    /// Listening address per service name (`[listen] identity = "0.0.0.0:7101"`);
    /// a service not listed listens on `127.0.0.1:0` (a free loopback port).
    pub listen: std::collections::BTreeMap<String, String>,
    /// Where the key-encryption key is and how keys rotate, for every service that
    /// seals secrets ([`crate::secrets`]). Not written back out: it may hold a token.
    #[serde(skip_serializing)]
    pub secrets: crate::secrets::SecretsConfig,
    /// Development conveniences (set by `canopyd dev`, never in production): a keyring
    /// file others can read is a warning instead of a refusal.
    pub development: bool,
    /// Settings of one service, by service name (`[services.identity]`,
    /// `CANOPY_SERVICES__IDENTITY__…`); each service reads its own section with
    /// [`KitConfig::section`] into its own typed struct.
    pub services: std::collections::BTreeMap<String, serde_json::Value>,
}

impl KitConfig {
    /// Service `name`'s typed section; missing keys take `T`'s defaults, unknown or
    /// mistyped keys are errors naming `services.<name>`.
    pub fn section<T>(&self, name: &str) -> Result<T, ConfigError>
    where
        T: for<'de> Deserialize<'de> + Default,
    {
        match self.services.get(name) {
            None => Ok(T::default()),
            Some(value) => {
                serde_json::from_value(value.clone()).map_err(|e| ConfigError::Invalid(format!("services.{name}: {e}")))
            }
        }
    }

    /// Sets one key of service `name`'s section (dev and test set-up).
    pub fn set_section_value(&mut self, name: &str, key: &str, value: serde_json::Value) {
        let section = self.services.entry(name.to_string()).or_insert_with(|| serde_json::json!({}));
        if let Some(map) = section.as_object_mut() {
            map.insert(key.to_string(), value);
        }
    }
}

impl Default for KitConfig {
    fn default() -> Self {
        Self {
            database: DatabaseConfig::default(),
            redis: RedisConfig::default(),
            mesh: MeshConfig::default(),
            telemetry: TelemetryConfig::default(),
            shutdown_drain_secs: 1.0,
            shutdown_grace_secs: 20.0,
            listen: Default::default(),
            secrets: Default::default(),
            development: false,
            services: Default::default(),
        }
    }
}

/// PostgreSQL settings. One database holds every service's schema.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Connection used to create roles and run migrations (as `owner_role`).
    /// Needs CREATEROLE when `manage_roles` is on.
    pub url: String,
    /// Connection the services use at run time. Empty: `url` with the user replaced
    /// by `app_role` and no password (trust or peer authentication, as in dev and CI).
    pub app_url: String,
    /// Role that owns every schema and table and runs migrations.
    pub owner_role: String,
    /// Role the services run as: NOSUPERUSER, NOBYPASSRLS, NOINHERIT, owns nothing.
    pub app_role: String,
    /// Role a platform-scoped transaction switches to (`SET LOCAL ROLE`): NOLOGIN,
    /// NOBYPASSRLS, owns nothing; the only role whose policy sees every tenant's rows.
    pub platform_role: String,
    /// Create the two roles when they are missing (off when a DBA provisions them).
    pub manage_roles: bool,
    /// Connections per service pool.
    pub max_connections: u32,
    /// Seconds to wait for a connection before failing the request.
    pub acquire_timeout_secs: f64,
    /// Consecutive failures to get a connection (PostgreSQL unreachable, or the pool
    /// exhausted for `acquire_timeout_secs`) that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker fails every transaction at once before one probe
    /// goes through, in milliseconds.
    pub breaker_open_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            app_url: String::new(),
            owner_role: "canopy_owner".into(),
            app_role: "canopy_app".into(),
            platform_role: "canopy_platform".into(),
            manage_roles: true,
            max_connections: 10,
            acquire_timeout_secs: 5.0,
            breaker_failures: 3,
            breaker_open_ms: 1000,
        }
    }
}

/// Redis settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// `redis://host:port/db` (or `rediss://` for TLS).
    pub url: String,
    /// Prefix of every key Canopy writes, so several deployments (or test runs) can
    /// share one Redis.
    pub key_prefix: String,
    /// Longest wait for one Redis command (or for a reconnection attempt), in
    /// milliseconds. Past it the command fails as "Redis unavailable" and callers
    /// apply their outage policy (sessions: UNAVAILABLE; rate limits: per class).
    /// After a few such failures in a row every Redis use fails at once for a short
    /// while (a circuit breaker), so a stalled or dead Redis costs each call
    /// milliseconds, not this timeout. Keep it well below callers' deadlines.
    pub command_timeout_ms: u64,
    /// Consecutive failures to reach Redis that open the circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker fails every Redis use at once before one probe goes
    /// through, in milliseconds: the longest Redis can be back before Canopy notices.
    pub breaker_open_ms: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            key_prefix: "canopy:".into(),
            command_timeout_ms: 500,
            breaker_failures: 3,
            breaker_open_ms: 1000,
        }
    }
}

/// How services authenticate each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeshMode {
    /// Canopy terminates mTLS itself with the certificates in `pki_dir`.
    Mtls,
    /// A Linkerd proxy beside each service terminates mTLS; services listen in
    /// plaintext on loopback and read the caller's identity from the proxy's
    /// `l5d-client-id` header. Never expose a plaintext port beyond the pod.
    Plaintext,
}

/// Mesh settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MeshConfig {
    /// `mtls` (default) or `plaintext` behind a Linkerd proxy.
    pub mode: MeshMode,
    /// Kubernetes namespace of the workload identities.
    pub namespace: String,
    /// Cluster trust domain of the workload identities.
    pub trust_domain: String,
    /// Folder with `trust-anchor.crt` and, per service, `<service>.crt` (leaf then
    /// issuer) and `<service>.key`, as written by `canopyd pki`.
    pub pki_dir: PathBuf,
    /// Which workload may call which gRPC service (see `mesh/policy.toml`).
    pub policy_file: PathBuf,
    /// Where each peer service not running in this process is reached, by service
    /// name: `https://tenancy.canopy.svc.cluster.local:8443` (mTLS, the callee's
    /// workload identity verified), or `http://…` in plaintext mode behind Linkerd.
    /// A service refuses to start when a peer its manifest calls has none.
    pub peers: std::collections::BTreeMap<String, String>,
    /// How long a peer call may wait for its answer when the caller gave no shorter
    /// deadline, in seconds: a peer that hangs fails the call, never the caller.
    pub peer_timeout_secs: f64,
}

impl Default for MeshConfig {
    fn default() -> Self {
        Self {
            mode: MeshMode::Mtls,
            namespace: "canopy".into(),
            trust_domain: "cluster.local".into(),
            pki_dir: PathBuf::from(".canopy/pki"),
            policy_file: PathBuf::from("mesh/policy.toml"),
            peers: Default::default(),
            peer_timeout_secs: 10.0,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One JSON object per line, with the request's `trace_id`.
    Json,
    /// Human-readable, for a terminal.
    Pretty,
}

/// Logs, traces and metrics.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// `json` (default) or `pretty`.
    pub log_format: LogFormat,
    /// `tracing` filter directive, e.g. `info,canopy_kit=debug`.
    pub log_filter: String,
    /// OTLP/gRPC collector endpoint, e.g. `http://otel-collector:4317`; empty turns
    /// trace export off.
    pub otlp_endpoint: String,
    /// Address of the plaintext operations endpoint serving `/metrics` and `/healthz`;
    /// empty turns it off.
    pub ops_listen: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Json,
            log_filter: "info,sqlx=warn".into(),
            otlp_endpoint: String::new(),
            ops_listen: "127.0.0.1:9464".into(),
        }
    }
}

impl TelemetryConfig {
    /// The operations endpoint address, if enabled and valid.
    pub fn ops_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        if self.ops_listen.is_empty() {
            return Ok(None);
        }
        self.ops_listen
            .parse()
            .map(Some)
            .map_err(|_| ConfigError::Invalid(format!("telemetry.ops_listen: {:?} is not host:port", self.ops_listen)))
    }
}

/// Loads `T` from its defaults, then `file` (when given), then `CANOPY_…` variables.
/// Nested keys use `__`: `CANOPY_MESH__MODE=plaintext`.
pub fn load<T>(file: Option<&Path>) -> Result<T, ConfigError>
where
    T: Serialize + for<'de> Deserialize<'de> + Default,
{
    load_from(file, Env::prefixed("CANOPY_").split("__"))
}

/// As [`load`], with the environment provider given (tests pass a fixed one).
pub fn load_from<T>(file: Option<&Path>, env: Env) -> Result<T, ConfigError>
where
    T: Serialize + for<'de> Deserialize<'de> + Default,
{
    let mut figment = Figment::from(Serialized::defaults(T::default()));
    if let Some(path) = file {
        if !path.is_file() {
            return Err(ConfigError::MissingFile { path: path.to_path_buf() });
        }
        figment = figment.merge(Toml::file_exact(path));
    }
    figment.merge(env).extract().map_err(|e| ConfigError::Invalid(one_line(&e)))
}

/// figment's errors can span lines; operators get one line naming the key and source.
fn one_line(error: &figment::Error) -> String {
    error.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}
