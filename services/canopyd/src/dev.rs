//! `canopyd dev`: everything on one machine with nothing configured. When
//! `DATABASE_URL` / `REDIS_URL` are unset it starts a private PostgreSQL cluster and
//! redis-server under the dev folder (`./.canopy/` by default), generates the dev PKI,
//! migrates, runs every service with mTLS on loopback and the gateway in front of
//! them (TLS with a dev edge certificate for `localhost`), writes `endpoints.json`
//! and prints it. On Ctrl-C it stops everything it started, and nothing else.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use canopy_kit::config::KitConfig;
use canopy_kit::local::{Lifetime, PrivatePostgres, PrivateRedis};
use canopy_kit::manifest::{Registry, ServiceManifest};
use canopy_kit::mesh::{DevPki, LeafValidity, MeshPolicy, WorkloadIdentity};
use serde::Serialize;
use sqlx::{Connection, PgConnection};

use crate::host::{Host, shutdown_signal};

/// What `endpoints.json` holds.
#[derive(Debug, Serialize)]
pub struct DevEndpoints {
    /// Service name → `host:port` of its mTLS gRPC endpoint.
    pub services: std::collections::BTreeMap<String, String>,
    /// The gateway's public endpoint (gRPC over TLS and grpc-web), when it runs.
    pub gateway: Option<String>,
    /// The plaintext operations endpoint (`/metrics`, `/healthz`).
    pub ops: Option<String>,
    /// PostgreSQL URL (no password) and Redis URL in use.
    pub database: String,
    pub redis: String,
    /// The dev PKI: `trust-anchor.crt`, and `<workload>.crt/.key` per workload.
    pub pki_dir: PathBuf,
    /// Workload identity names, by service.
    pub identities: std::collections::BTreeMap<String, String>,
    /// Portal name (`customer`, `admin`) → URL, for the portals that are built.
    pub portals: std::collections::BTreeMap<String, String>,
}

/// Runs the dev environment until a shutdown signal.
pub async fn run(
    mut config: KitConfig,
    dir: &Path,
    registry: &Registry,
    selected: &[&'static ServiceManifest],
    with_gateway: bool,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("--dir: cannot create {}", dir.display()))?;
    let dir = dir.canonicalize().with_context(|| format!("--dir: {}", dir.display()))?;
    // One canopyd dev per folder. The lock goes with this process however it ends,
    // so a folder whose owner was killed is free again (its servers die with it, or
    // are stopped by the next start).
    let _owner = claim_folder(&dir)?;

    // Servers we start are stopped by Drop, on success and on every error path.
    let mut private_postgres = None;
    if config.database.url.is_empty() {
        eprintln!(
            "canopyd: DATABASE_URL unset, starting a private PostgreSQL under {}",
            dir.join("postgres").display()
        );
        let server = PrivatePostgres::start(&dir.join("postgres"), Lifetime::WithThisProcess)?;
        config.database.url = ensure_database(&server.url(), "canopy").await?;
        private_postgres = Some(server);
    }
    let mut private_redis = None;
    if config.redis.url.is_empty() {
        eprintln!("canopyd: REDIS_URL unset, starting a private redis-server under {}", dir.join("redis").display());
        let server = PrivateRedis::start(&dir.join("redis"), Lifetime::WithThisProcess)?;
        config.redis.url = server.url();
        private_redis = Some(server);
    }
    if config.mesh.pki_dir.is_relative() && config.mesh.pki_dir == Path::new(".canopy/pki") {
        config.mesh.pki_dir = dir.join("pki");
    }
    ensure_pki(&config)?;
    ensure_dev_secrets(&mut config, &dir)?;
    if with_gateway {
        ensure_edge_certificate(&mut config)?;
    }

    let host = Host::start(config.clone(), registry, selected, with_gateway).await?;
    let portals = match start_portals(&config, host.gateway_addr()).await {
        Ok(portals) => portals,
        Err(error) => {
            host.shutdown().await;
            return Err(error);
        }
    };
    let endpoints = DevEndpoints {
        services: host.endpoints().into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        gateway: host.gateway_addr().map(|a| a.to_string()),
        ops: host.ops_addr.map(|a| a.to_string()),
        database: config.database.url.clone(),
        redis: config.redis.url.clone(),
        pki_dir: config.mesh.pki_dir.clone(),
        identities: selected
            .iter()
            .map(|s| {
                let identity = WorkloadIdentity::new(s.name, &config.mesh.namespace, &config.mesh.trust_domain);
                (s.name.to_string(), identity.dns_name())
            })
            .collect(),
        portals: portals.iter().map(|p| (p.name.to_string(), format!("http://{}", p.addr))).collect(),
    };
    let endpoints_path = dir.join("endpoints.json");
    let written = serde_json::to_string_pretty(&endpoints).map_err(anyhow::Error::from).and_then(|json| {
        // Write then rename: readers (tests, scripts) never see half a file.
        let partial = endpoints_path.with_extension("json.partial");
        std::fs::write(&partial, json + "\n")?;
        std::fs::rename(&partial, &endpoints_path)?;
        Ok(())
    });
    if let Err(error) = written {
        host.shutdown().await;
        return Err(error.context(format!("writing {}", endpoints_path.display())));
    }
    print_banner(&endpoints, &endpoints_path);
    if let Err(error) = seed(&config, selected).await {
        host.shutdown().await;
        return Err(error);
    }

    shutdown_signal().await;
    eprintln!("canopyd: stopping");
    for portal in portals {
        portal.stop();
    }
    host.shutdown().await;
    let _ = std::fs::remove_file(&endpoints_path);
    if let Some(mut redis) = private_redis.take() {
        redis.stop();
    }
    if let Some(mut postgres) = private_postgres.take() {
        postgres.stop();
    }
    eprintln!("canopyd: stopped");
    Ok(())
}

/// Takes the folder's lock (`canopyd.lock`, holding our pid), or says who has it.
fn claim_folder(dir: &Path) -> anyhow::Result<std::fs::File> {
    use std::io::{Read, Seek, Write};
    let path = dir.join("canopyd.lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("--dir: cannot open {}", path.display()))?;
    if file.try_lock().is_err() {
        let mut owner = String::new();
        let _ = file.read_to_string(&mut owner);
        anyhow::bail!("--dir: another canopyd dev (pid {}) is using {}", owner.trim(), dir.display());
    }
    file.set_len(0)?;
    file.rewind()?;
    write!(file, "{}", std::process::id())?;
    Ok(file)
}

/// Creates `name` on the server if missing; returns its URL.
async fn ensure_database(server_url: &str, name: &str) -> anyhow::Result<String> {
    let mut connection = PgConnection::connect(server_url).await.context("connecting to the private PostgreSQL")?;
    let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(&mut connection)
        .await?;
    if !exists {
        sqlx::query(&format!("create database {name}")).execute(&mut connection).await?;
    }
    let _ = connection.close().await;
    Ok(format!("{}/{name}", server_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(server_url)))
}

/// Secrets a dev environment needs, generated once and kept under `<dir>/secrets`
/// (0600) so encrypted keys survive a restart (sessions survive too: the private Redis
/// keeps an append-only file). Production sets them in
/// configuration instead.
fn ensure_dev_secrets(config: &mut KitConfig, dir: &Path) -> anyhow::Result<()> {
    config.development = true;
    ensure_dev_keyring(config, dir)?;
    let set: Option<String> = config
        .section::<serde_json::Value>("identity")?
        .get("key_encryption_key")
        .and_then(|v| v.as_str().map(String::from));
    if set.is_some_and(|key| !key.is_empty()) {
        return Ok(());
    }
    let secrets = dir.join("secrets");
    std::fs::create_dir_all(&secrets).with_context(|| format!("creating {}", secrets.display()))?;
    let path = secrets.join("identity-key-encryption-key");
    let key = match std::fs::read_to_string(&path) {
        Ok(key) => key.trim().to_string(),
        Err(_) => {
            let key = canopy_kit::local::random_key_base64();
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("writing {}", path.display()))?;
            file.write_all(key.as_bytes())?;
            key
        }
    };
    config.set_section_value("identity", "key_encryption_key", serde_json::Value::String(key));
    Ok(())
}

/// The keyring holding the key-encryption key of every service that seals secrets:
/// `<dir>/secrets/keyring.json`, created once with mode 0600, unless `[secrets]` names
/// a keyring or a transit key.
fn ensure_dev_keyring(config: &mut KitConfig, dir: &Path) -> anyhow::Result<()> {
    use canopy_kit::secrets::{KekConfig, KeyringConfig};
    if !matches!(&config.secrets.kek, KekConfig::Keyring(keyring) if keyring.path.as_os_str().is_empty()) {
        return Ok(());
    }
    let secrets = dir.join("secrets");
    std::fs::create_dir_all(&secrets).with_context(|| format!("creating {}", secrets.display()))?;
    let path = std::path::absolute(secrets.join("keyring.json"))?;
    if !path.exists() {
        canopy_kit::secrets::kek::Keyring::create(&path)?;
    }
    config.secrets.kek = KekConfig::Keyring(KeyringConfig { path });
    Ok(())
}

/// Issues the gateway's edge certificate (`localhost`, `127.0.0.1`, `::1`) from the
/// dev PKI, unless TLS is off or a certificate is configured. Re-issued on every
/// start, so it always chains to the current trust anchor.
fn ensure_edge_certificate(config: &mut KitConfig) -> anyhow::Result<()> {
    let gateway: canopy_gateway::GatewayConfig = config.section(canopy_gateway::WORKLOAD)?;
    if !gateway.tls || !gateway.tls_cert_file.as_os_str().is_empty() {
        return Ok(());
    }
    let mesh = &config.mesh;
    let pki = DevPki::open(&mesh.pki_dir, &mesh.namespace, &mesh.trust_domain);
    let loopback = [std::net::Ipv4Addr::LOCALHOST.into(), std::net::Ipv6Addr::LOCALHOST.into()];
    pki.issue_server_leaf("edge", &["localhost"], &loopback, LeafValidity::days(30))?;
    let path = |name: &str| serde_json::Value::String(mesh.pki_dir.join(name).display().to_string());
    let (cert, key) = (path("edge.crt"), path("edge.key"));
    config.set_section_value(canopy_gateway::WORKLOAD, "tls_cert_file", cert);
    config.set_section_value(canopy_gateway::WORKLOAD, "tls_key_file", key);
    Ok(())
}

/// Serves the portals that have been built (`web/<name>/dist`) in front of the gateway.
async fn start_portals(
    config: &KitConfig,
    gateway: Option<std::net::SocketAddr>,
) -> anyhow::Result<Vec<crate::portals::RunningPortal>> {
    let Some(gateway) = gateway else { return Ok(Vec::new()) };
    let repo = std::env::current_dir().context("current directory")?;
    let anchor_path = config.mesh.pki_dir.join("trust-anchor.crt");
    let anchor = std::fs::read(&anchor_path).with_context(|| format!("reading {}", anchor_path.display()))?;
    let mut running = Vec::new();
    for name in ["customer", "admin"] {
        match crate::portals::built_portal(&repo, name) {
            Some(root) => running.push(crate::portals::serve(name, root, gateway, anchor.clone()).await?),
            None => eprintln!("canopyd: the {name} portal is not built (web/{name}/dist); `bash .ci/dev.sh` builds it"),
        }
    }
    Ok(running)
}

/// Runs each running service's dev seed (e.g. identity's first platform admin) and
/// prints what it has to say once.
async fn seed(config: &KitConfig, selected: &[&ServiceManifest]) -> anyhow::Result<()> {
    for manifest in selected {
        let Some(seed) = manifest.dev_seed else { continue };
        let database = canopy_kit::db::Database::connect(&config.database).await?;
        if let Some(message) = seed(database).await.with_context(|| format!("seeding {}", manifest.name))? {
            println!("{message}");
        }
    }
    Ok(())
}

/// Generates the dev PKI unless every workload's certificate is present and valid.
fn ensure_pki(config: &KitConfig) -> anyhow::Result<()> {
    let mesh = &config.mesh;
    let policy = MeshPolicy::load(&mesh.policy_file)?;
    let workloads: Vec<&str> = policy.workloads().collect();
    let usable = workloads.iter().all(|w| {
        canopy_kit::mesh::client_identity(&mesh.pki_dir, &WorkloadIdentity::new(w, &mesh.namespace, &mesh.trust_domain))
            .is_ok()
    });
    if !usable {
        DevPki::generate(&mesh.pki_dir, &mesh.namespace, &mesh.trust_domain, &workloads)?;
        eprintln!("canopyd: generated dev PKI in {}", mesh.pki_dir.display());
    }
    Ok(())
}

fn print_banner(endpoints: &DevEndpoints, path: &Path) {
    println!("Canopy is running (dev). Endpoints, also in {}:", path.display());
    for (service, addr) in &endpoints.services {
        println!("  {service:<12} https://{addr}  (mTLS, identity {})", endpoints.identities[service]);
    }
    if let Some(gateway) = &endpoints.gateway {
        println!(
            "  {:<12} https://{gateway}  (public gRPC and grpc-web; CA {}, name localhost)",
            "gateway",
            endpoints.pki_dir.join("trust-anchor.crt").display()
        );
    }
    for (portal, url) in &endpoints.portals {
        println!("  {:<12} {url}  ({portal} portal)", format!("{portal}-web"));
    }
    if let Some(ops) = &endpoints.ops {
        println!("  {:<12} http://{ops}/metrics", "metrics");
    }
    println!("  {:<12} {}", "postgres", endpoints.database);
    println!("  {:<12} {}", "redis", endpoints.redis);
    println!("Press Ctrl-C to stop.");
}
