//! The `canopyd` command line. Errors end the process with exit code 1 and one line
//! on stderr naming the setting or file at fault.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use canopy_kit::config::{KitConfig, LogFormat};
use canopy_kit::manifest::Registry;
use canopyd::host::{Host, shutdown_signal};
use canopyd::registry;
use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: the gateway's hot path allocates per call
/// (HTTP/2 frames, headers, futures), and with it the gateway bench serves about a
/// quarter more calls per second on 2 cores (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "canopyd", version, about = "Runs Canopy services")]
struct Cli {
    /// Configuration file (TOML); `CANOPY_…` environment variables override it.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything on this machine: private PostgreSQL/Redis when unconfigured, dev PKI,
    /// every service over mTLS on loopback.
    Dev {
        /// Folder for the private servers, PKI and endpoints.json.
        #[arg(long, default_value = ".canopy")]
        dir: PathBuf,
        /// Services to run, comma separated (default: all, and the gateway).
        #[arg(long, value_delimiter = ',')]
        services: Vec<String>,
    },
    /// Runs services against configured PostgreSQL, Redis and certificates.
    Run {
        /// Services to run, comma separated (default: all, and the gateway); name
        /// `gateway` to run the edge gateway.
        #[arg(long, value_delimiter = ',')]
        services: Vec<String>,
    },
    /// Writes the files derived from the service manifests (mesh/policy.toml), or
    /// with --check fails when a checked-in copy is stale.
    Generate {
        /// Repository root to write into.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Only compare; exit 1 naming the stale files.
        #[arg(long)]
        check: bool,
    },
    /// Renders the Kubernetes and Linkerd manifests for a cluster: one pod per
    /// service behind Linkerd, from the service manifests and the mesh policy.
    Manifests {
        /// Namespace of every resource and of the workload identities.
        #[arg(long, default_value = "canopy")]
        namespace: String,
        /// The canopyd image.
        #[arg(long, default_value = "canopyd:dev")]
        image: String,
        /// Linkerd trust domain.
        #[arg(long, default_value = "cluster.local")]
        trust_domain: String,
        /// Folder to write the YAML files into.
        #[arg(long, default_value = "mesh/kubernetes")]
        out: PathBuf,
    },
    /// Manages a keyring file: the local key-encryption key of the services that seal
    /// secrets (`[secrets] kek = { keyring = { path } }`). Running services pick a change
    /// up on their next key-rotation pass.
    Keyring {
        #[command(subcommand)]
        action: KeyringAction,
    },
    /// Writes a dev PKI (trust anchor, issuer, a leaf per workload of the mesh policy).
    Pki {
        /// Output folder.
        #[arg(long, default_value = ".canopy/pki")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum KeyringAction {
    /// Creates a keyring with one key version (mode 0600); refuses an existing file.
    Create {
        /// The keyring file.
        path: PathBuf,
    },
    /// Adds a key version: new data keys are wrapped with it at once, and the
    /// key-rotation pass re-wraps the existing ones.
    Rotate {
        /// The keyring file.
        path: PathBuf,
    },
    /// Refuses key versions below `min_version` from now on. Retire a version only
    /// once the services' status shows no data key wrapped under it.
    Retire {
        /// The keyring file.
        path: PathBuf,
        /// The oldest version still accepted.
        min_version: u32,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return fail(anyhow::anyhow!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(error),
    }
}

fn fail(error: anyhow::Error) -> ExitCode {
    eprintln!("canopyd: error: {}", one_line(&error));
    ExitCode::FAILURE
}

/// The error and its causes on one line, skipping causes a message already quotes
/// (our error types often embed their source's text).
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string().replace('\n', " ");
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<KitConfig> {
    let mut config: KitConfig = canopy_kit::config::load(path)?;
    // The conventional variables work too, below the CANOPY_ ones.
    if config.database.url.is_empty()
        && let Ok(url) = std::env::var("DATABASE_URL")
    {
        config.database.url = url;
    }
    if config.redis.url.is_empty()
        && let Ok(url) = std::env::var("REDIS_URL")
    {
        config.redis.url = url;
    }
    Ok(config)
}

/// The services named (all when none are), in start order, and whether the
/// gateway is among them. The gateway is not a registry service: it hosts no API.
fn select(
    registry: &Registry,
    names: &[String],
) -> anyhow::Result<(Vec<&'static canopy_kit::manifest::ServiceManifest>, bool)> {
    if names.is_empty() {
        return Ok((registry.select(&[])?, true));
    }
    let with_gateway = names.iter().any(|n| n == canopy_gateway::WORKLOAD);
    let services: Vec<String> = names.iter().filter(|n| *n != canopy_gateway::WORKLOAD).cloned().collect();
    if services.is_empty() {
        return Ok((Vec::new(), with_gateway));
    }
    Ok((registry.select(&services)?, with_gateway))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let registry = registry::registry()?;
    // Only the commands that start something read the configuration.
    let config = || load_config(cli.config.as_deref());
    match cli.command {
        Command::Dev { dir, services } => {
            let mut config = config()?;
            let (selected, with_gateway) = select(&registry, &services)?;
            if std::env::var_os("CANOPY_TELEMETRY__LOG_FORMAT").is_none() && cli.config.is_none() {
                config.telemetry.log_format = LogFormat::Pretty;
            }
            if std::env::var_os("CANOPY_TELEMETRY__OPS_LISTEN").is_none() && cli.config.is_none() {
                config.telemetry.ops_listen = "127.0.0.1:0".into();
            }
            let _telemetry = canopy_kit::telemetry::init(&config.telemetry, "canopyd")?;
            canopyd::dev::run(config, &dir, &registry, &selected, with_gateway).await
        }
        Command::Run { services } => {
            let config = config()?;
            let (selected, with_gateway) = select(&registry, &services)?;
            if config.database.url.is_empty() {
                anyhow::bail!("database.url is not set (config file, CANOPY_DATABASE__URL or DATABASE_URL)");
            }
            if config.redis.url.is_empty() {
                anyhow::bail!("redis.url is not set (config file, CANOPY_REDIS__URL or REDIS_URL)");
            }
            let _telemetry = canopy_kit::telemetry::init(&config.telemetry, "canopyd")?;
            let host = Host::start(config, &registry, &selected, with_gateway).await?;
            for (service, addr) in host.endpoints() {
                tracing::info!(service, %addr, "listening");
            }
            if let Some(addr) = host.gateway_addr() {
                tracing::info!(service = canopy_gateway::WORKLOAD, %addr, "listening");
            }
            shutdown_signal().await;
            host.shutdown().await;
            Ok(())
        }
        Command::Pki { dir } => {
            let config = config()?;
            let policy = canopy_kit::mesh::MeshPolicy::load(&config.mesh.policy_file)?;
            let workloads: Vec<&str> = policy.workloads().collect();
            canopy_kit::mesh::DevPki::generate(&dir, &config.mesh.namespace, &config.mesh.trust_domain, &workloads)?;
            println!("wrote dev PKI for {} to {}", workloads.join(", "), dir.display());
            Ok(())
        }
        Command::Keyring { action } => {
            use canopy_kit::secrets::kek::Keyring;
            match action {
                KeyringAction::Create { path } => {
                    Keyring::create(&path)?;
                    println!("created {} with key version 1", path.display());
                }
                KeyringAction::Rotate { path } => {
                    let version = Keyring::rotate(&path)?;
                    println!("{}: new data keys are wrapped with key version {version}", path.display());
                }
                KeyringAction::Retire { path, min_version } => {
                    Keyring::retire(&path, min_version)?;
                    println!("{}: key versions below {min_version} are refused", path.display());
                }
            }
            Ok(())
        }
        Command::Generate { root, check } => generate(&registry, &root, check),
        Command::Manifests { namespace, image, trust_domain, out } => {
            let options =
                canopyd::kubernetes::KubernetesOptions { namespace, image, trust_domain, ..Default::default() };
            std::fs::create_dir_all(&out).with_context(|| format!("--out: cannot create {}", out.display()))?;
            for (name, yaml) in canopyd::generate::kubernetes_manifests(&registry, &options) {
                let path = out.join(name);
                std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
    }
}

fn generate(registry: &Registry, root: &std::path::Path, check: bool) -> anyhow::Result<()> {
    if check {
        let stale = canopyd::generate::stale_files(registry, root);
        if stale.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
        anyhow::bail!("generated files are stale: {} (run `canopyd generate`)", names.join(", "));
    }
    for path in canopyd::generate::write(registry, root)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
