//! Files derived from the service manifests and checked in for review:
//! `mesh/policy.toml` (the mesh authorisation rules every service enforces) and
//! `mesh/kubernetes/*.yaml` (one pod per service behind Linkerd, with Linkerd policy
//! from the same rules). `canopyd generate` writes them; `canopyd generate --check`
//! (and a test) fails when a checked-in copy is stale.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use canopy_kit::manifest::Registry;

use crate::kubernetes::{self, KubernetesOptions, ServiceDeployment};
use crate::registry::OPERATOR_WORKLOADS;

/// Where the Kubernetes manifests are written, relative to the repository.
pub const KUBERNETES_DIR: &str = "mesh/kubernetes";

/// The mesh policy text.
pub fn mesh_policy(registry: &Registry) -> String {
    registry.mesh_policy(canopy_gateway::WORKLOAD, OPERATOR_WORKLOADS)
}

/// The Kubernetes and Linkerd manifests for `registry`, as (file name, YAML).
pub fn kubernetes_manifests(registry: &Registry, options: &KubernetesOptions) -> Vec<(String, String)> {
    let edge = canopy_gateway::WORKLOAD;
    let mut services: Vec<ServiceDeployment> = registry
        .all()
        .iter()
        .map(|manifest| ServiceDeployment {
            name: manifest.name.into(),
            peers: manifest.peers().into_iter().map(String::from).collect(),
            jobs: manifest.jobs.iter().map(|job| job.to_string()).collect(),
            min_replicas: manifest.scaling.min_replicas,
            max_replicas: manifest.scaling.max_replicas,
            cpu_request: manifest.scaling.cpu_request.into(),
            memory_request: manifest.scaling.memory_request.into(),
            cpu_limit: manifest.scaling.cpu_limit.into(),
            memory_limit: manifest.scaling.memory_limit.into(),
            edge: false,
            seals_secrets: manifest.seals_secrets,
        })
        .collect();
    let gateway = canopy_kit::manifest::Scaling::API;
    services.push(ServiceDeployment {
        name: edge.into(),
        // The edge forwards to every service.
        peers: registry.all().iter().map(|m| m.name.to_string()).collect(),
        jobs: Vec::new(),
        min_replicas: gateway.min_replicas,
        max_replicas: gateway.max_replicas,
        cpu_request: gateway.cpu_request.into(),
        memory_request: gateway.memory_request.into(),
        cpu_limit: gateway.cpu_limit.into(),
        memory_limit: gateway.memory_limit.into(),
        edge: true,
        seals_secrets: false,
    });
    let options = KubernetesOptions { policy_toml: mesh_policy(registry), ..options.clone() };
    kubernetes::render(&services, &registry.mesh_rules(edge), &registry.workloads(edge, OPERATOR_WORKLOADS), &options)
}

/// Every generated file with the default options, as (path relative to the
/// repository, contents).
pub fn generated_files(registry: &Registry) -> Vec<(PathBuf, String)> {
    let mut files = vec![(PathBuf::from("mesh/policy.toml"), mesh_policy(registry))];
    for (name, yaml) in kubernetes_manifests(registry, &KubernetesOptions::default()) {
        files.push((Path::new(KUBERNETES_DIR).join(name), yaml));
    }
    files
}

/// The generated files whose checked-in copy under `root` differs or is missing,
/// and checked-in files under `mesh/kubernetes` that are no longer generated.
pub fn stale_files(registry: &Registry, root: &Path) -> Vec<PathBuf> {
    let files = generated_files(registry);
    let mut stale: Vec<PathBuf> = files
        .iter()
        .filter(|(path, contents)| std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(contents))
        .map(|(path, _)| path.clone())
        .collect();
    if let Ok(entries) = std::fs::read_dir(root.join(KUBERNETES_DIR)) {
        for entry in entries.flatten() {
            let path = Path::new(KUBERNETES_DIR).join(entry.file_name());
            if path.extension().is_some_and(|e| e == "yaml") && !files.iter().any(|(p, _)| *p == path) {
                stale.push(path);
            }
        }
    }
    stale
}

/// Writes every generated file under `root`, removing manifests no longer generated.
pub fn write(registry: &Registry, root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let files = generated_files(registry);
    if let Ok(entries) = std::fs::read_dir(root.join(KUBERNETES_DIR)) {
        for entry in entries.flatten() {
            let path = Path::new(KUBERNETES_DIR).join(entry.file_name());
            if path.extension().is_some_and(|e| e == "yaml") && !files.iter().any(|(p, _)| *p == path) {
                std::fs::remove_file(root.join(&path)).with_context(|| format!("removing {}", path.display()))?;
            }
        }
    }
    let mut written = Vec::new();
    for (path, contents) in files {
        let full = root.join(&path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&full, contents).with_context(|| format!("writing {}", full.display()))?;
        written.push(path);
    }
    Ok(written)
}
