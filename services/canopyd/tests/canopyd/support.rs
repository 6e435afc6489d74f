//! Running the binary.

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `canopyd` with a clean environment: no DATABASE_URL/REDIS_URL/CANOPY_* leak in
/// from the test runner, and the repository root as working directory (for
/// `mesh/policy.toml`).
pub fn canopyd() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_canopyd"));
    command.env_clear();
    for key in ["PATH", "HOME", "LANG"] {
        if let Some(value) = std::env::var_os(key) {
            command.env(key, value);
        }
    }
    command.current_dir(canopy_kit::testing::repo_root()).stdin(Stdio::null());
    command
}

/// Runs to completion (start-up failures exit on their own) with a timeout guard.
pub fn run_to_exit(mut command: Command) -> Output {
    let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn canopyd");
    let pid = child.id();
    let guard = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(60));
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL);
    });
    let output = child.wait_with_output().expect("wait for canopyd");
    drop(guard);
    output
}

/// The single error line canopyd printed, asserting it printed exactly one.
pub fn error_line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "exit code; stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("canopyd: error: ")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line expected in:\n{stderr}");
    errors[0].to_string()
}

/// Whether a process is alive.
pub fn alive(pid: i32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
}

/// The postmaster pid a private cluster recorded, if it is running.
pub fn postmaster_pid(data_dir: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// A sandbox deployment of a new site put straight on the queue (no sites service
/// needed), for tests of the provisioner's workers; returns (tenant, deployment).
pub async fn enqueue_sandbox_deployment(database: &canopy_kit::db::Database, name: &str) -> (uuid::Uuid, uuid::Uuid) {
    use canopy_deployments::queue::{self, DeploymentKind, NewDeployment};
    use canopy_terraform::{CloudProvider, SiteRuntime, SiteVariables};
    let (tenant, site, id) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let variables = SiteVariables {
        site_id: site.to_string(),
        customer_id: tenant.to_string(),
        name: name.into(),
        region: "eu-west-1".into(),
        size: "small".into(),
        database_enabled: true,
        storage_enabled: true,
        runtime: SiteRuntime { image: "nginx:1.27".into(), port: 80, env: Default::default() },
        tags: Default::default(),
    };
    let scope = canopy_kit::db::Scope::Tenant(canopy_kit::db::TenantId(tenant));
    let mut tx = database.begin(scope).await.unwrap();
    let deployment = NewDeployment {
        tenant_id: tenant,
        site_id: site,
        deployment_id: id,
        kind: DeploymentKind::Create,
        provider: CloudProvider::Aws,
        sandbox: true,
        variables: variables.to_tfvars_json(),
        labels: Default::default(),
    };
    queue::enqueue(&mut tx, &deployment).await.unwrap();
    tx.commit().await.unwrap();
    (tenant, id)
}

/// The test keyring `env` made (every service that seals secrets needs it).
pub fn keyring_path(env: &canopy_kit::testing::TestEnv) -> std::path::PathBuf {
    match &env.config.secrets.kek {
        canopy_kit::secrets::KekConfig::Keyring(keyring) => keyring.path.clone(),
        canopy_kit::secrets::KekConfig::Transit(_) => panic!("TestEnv uses a keyring"),
    }
}
