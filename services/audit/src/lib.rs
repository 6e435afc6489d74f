//! The audit service: the tamper-evident trail of every state-changing call and
//! security event in Canopy.
//!
//! Reading order: this file (configuration, wiring, the checkpoint and retention
//! jobs) → [`api`] (handlers) → [`domain`] (rules) and [`chain`] (hashes and
//! signatures, shared with the offline verifier) → [`store`] (SQL). [`siem`]
//! delivers every entry to the operator's SIEM endpoints.
//!
//! Records arrive through `AuditIngestService` from every service's outbox (the kit
//! writes and ships them, see `canopy_kit::audit`); the audit service's own calls
//! take the same path.

pub mod api;
pub mod chain;
pub mod domain;
pub mod siem;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use canopy_kit::clock::SharedClock;
use canopy_kit::db::{Database, Scope};
use canopy_kit::manifest::{Built, Job, Scaling, Schema, ServiceManifest};
use canopy_kit::server::ServiceContext;
use canopy_sdk::proto::canopy::audit::v1::audit_ingest_service_server::AuditIngestServiceServer;
use canopy_sdk::proto::canopy::audit::v1::audit_service_server::AuditServiceServer;
use canopy_sdk::proto::canopy::audit::v1::siem_service_server::SiemServiceServer;
use ed25519_dalek::SigningKey;
use futures_util::FutureExt as _;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use tonic::service::Routes;

/// The audit schema's migrations.
pub static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/audit");

/// How canopyd, the generators and tests know the service.
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "audit",
    schema: Some(Schema { name: "audit", migrator: &MIGRATIONS }),
    calls: &[],
    after: &[],
    jobs: &["checkpoints", "retention", "siem"],
    build,
    dev_seed: None,
    scaling: Scaling::API,
    seals_secrets: false,
};

/// `[services.audit]` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// How often each chain that grew gets a signed checkpoint.
    pub checkpoint_interval_secs: f64,
    /// Entries older than this are purged (down to the newest checkpoint before the
    /// cutoff, which is kept so the rest still verifies). 0 keeps everything.
    pub retention_days: u32,
    /// How often retention runs.
    pub retention_interval_secs: f64,
    /// The Ed25519 checkpoint key (base64 of its 32-byte seed); created, readable by
    /// the owner only, when missing. Empty: `<mesh.pki_dir>/audit-checkpoint.key`.
    pub signing_key_file: String,
    /// Accept `http://` SIEM endpoints (dev and tests only).
    pub allow_insecure_endpoints: bool,
    /// How long one delivery may take.
    pub delivery_timeout_secs: f64,
    /// How often due deliveries are looked for.
    pub delivery_interval_ms: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            checkpoint_interval_secs: 300.0,
            retention_days: 365,
            retention_interval_secs: 3600.0,
            signing_key_file: String::new(),
            allow_insecure_endpoints: false,
            delivery_timeout_secs: 10.0,
            delivery_interval_ms: 1000,
        }
    }
}

/// State the handlers and jobs share.
pub struct Audit {
    pub database: Database,
    pub config: AuditConfig,
    pub clock: SharedClock,
    pub signing_key: SigningKey,
    pub http: canopy_kit::http::HttpClient,
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let config: AuditConfig = context.config.section("audit")?;
        for (setting, value) in [
            ("checkpoint_interval_secs", config.checkpoint_interval_secs),
            ("retention_interval_secs", config.retention_interval_secs),
            ("delivery_timeout_secs", config.delivery_timeout_secs),
        ] {
            anyhow::ensure!(value > 0.0, "services.audit.{setting}: must be more than 0");
        }
        let key_file = if config.signing_key_file.is_empty() {
            context.config.mesh.pki_dir.join("audit-checkpoint.key")
        } else {
            PathBuf::from(&config.signing_key_file)
        };
        let signing_key = load_or_create_key(&key_file)
            .with_context(|| format!("services.audit.signing_key_file: {}", key_file.display()))?;
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("audit needs its database"))?;
        let http = canopy_kit::http::HttpClient::new(Duration::from_secs_f64(config.delivery_timeout_secs));
        let audit = Arc::new(Audit { database, config, clock: context.clock.clone(), signing_key, http });

        let checkpoints = Job::new("checkpoints", {
            let audit = audit.clone();
            move |stop| async move {
                let every = Duration::from_secs_f64(audit.config.checkpoint_interval_secs);
                stop.run_until_cancelled(every_interval(every, || checkpoint_all(&audit), "checkpoint")).await;
            }
        });
        let retention = Job::new("retention", {
            let audit = audit.clone();
            move |stop| async move {
                let every = Duration::from_secs_f64(audit.config.retention_interval_secs);
                stop.run_until_cancelled(every_interval(every, || purge_expired(&audit), "retention")).await;
            }
        });
        let siem = Job::new("siem", {
            let audit = audit.clone();
            move |stop| async move {
                let every = Duration::from_millis(audit.config.delivery_interval_ms.max(10));
                stop.run_until_cancelled(every_interval(every, || siem::deliver_due(&audit), "siem delivery")).await;
            }
        });
        let routes = Routes::builder()
            .routes()
            .add_service(AuditServiceServer::from_arc(Arc::new(api::AuditApi(audit.clone()))))
            .add_service(SiemServiceServer::from_arc(Arc::new(api::SiemApi(audit.clone()))))
            .add_service(AuditIngestServiceServer::from_arc(Arc::new(api::IngestApi(audit))));
        Ok(Built { routes, jobs: vec![checkpoints, retention, siem] })
    }
    .boxed()
}

/// Runs `pass` every `every`, logging failures.
async fn every_interval<F, Fut, T>(every: Duration, mut pass: F, what: &'static str)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = pass().await {
            tracing::warn!(error = format!("{error:#}"), "{what} pass failed");
        }
    }
}

/// Signs a checkpoint for every chain that grew since its last one. Returns how many.
pub async fn checkpoint_all(audit: &Audit) -> anyhow::Result<usize> {
    // A named system operation across every chain: platform scope.
    let mut tx = audit.database.begin(Scope::Platform).await?;
    let heads = store::heads_to_checkpoint(&mut tx).await?;
    let now = audit.clock.now();
    for (chain, tenant, size, hash) in &heads {
        let checkpoint = chain::Checkpoint::sign(&audit.signing_key, chain, *size, hash, now);
        store::insert_checkpoint(&mut tx, *tenant, &checkpoint).await?;
    }
    tx.commit().await?;
    Ok(heads.len())
}

/// Purges what retention allows. Returns entries deleted.
pub async fn purge_expired(audit: &Audit) -> anyhow::Result<u64> {
    if audit.config.retention_days == 0 {
        return Ok(0);
    }
    let cutoff = audit.clock.now() - chrono::Duration::days(i64::from(audit.config.retention_days));
    let mut tx = audit.database.begin(Scope::Platform).await?;
    let deleted = store::purge(&mut tx, cutoff).await?;
    tx.commit().await?;
    if deleted > 0 {
        tracing::info!(deleted, cutoff = %cutoff, "audit entries past retention purged");
    }
    Ok(deleted)
}

/// The checkpoint key in `path`, made (0600) when missing.
pub fn load_or_create_key(path: &Path) -> anyhow::Result<SigningKey> {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let seed = engine.decode(text.trim()).context("not base64")?;
            let seed: [u8; 32] = seed.try_into().map_err(|_| anyhow::anyhow!("not a 32-byte Ed25519 seed"))?;
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            write_private(path, &engine.encode(seed))?;
            tracing::info!(path = %path.display(), "created the audit checkpoint key");
            Ok(SigningKey::from_bytes(&seed))
        }
        Err(error) => Err(error.into()),
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")
}
