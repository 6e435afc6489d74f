//! `mesh/policy.toml`: which workload may call which gRPC service. Default deny: a
//! service not named by any rule can be called by nobody.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the policy file was refused.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read mesh policy {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("mesh policy {path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    workloads: Vec<String>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    services: Vec<String>,
    callers: Vec<String>,
}

/// A parsed, validated mesh policy.
#[derive(Debug, Clone)]
pub struct MeshPolicy {
    workloads: BTreeSet<String>,
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    /// Full gRPC service names, or a package prefix ending in `.*`.
    services: Vec<String>,
    /// Workload names, or `*` for every workload in `workloads`.
    callers: Vec<String>,
}

impl MeshPolicy {
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| PolicyError::Read { path: path.to_path_buf(), reason: e.to_string() })?;
        Self::parse(&text).map_err(|reason| PolicyError::Invalid { path: path.to_path_buf(), reason })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let workloads: BTreeSet<String> = file.workloads.into_iter().collect();
        let mut rules = Vec::new();
        for (index, rule) in file.rules.into_iter().enumerate() {
            for caller in &rule.callers {
                if caller != "*" && !workloads.contains(caller) {
                    return Err(format!("rule {}: caller {caller:?} is not listed in workloads", index + 1));
                }
            }
            if rule.services.is_empty() || rule.callers.is_empty() {
                return Err(format!("rule {}: services and callers must not be empty", index + 1));
            }
            rules.push(Rule { services: rule.services, callers: rule.callers });
        }
        Ok(Self { workloads, rules })
    }

    /// Whether `caller` (a service account) may call the gRPC service `service`.
    pub fn allows(&self, caller: &str, service: &str) -> bool {
        if !self.workloads.contains(caller) {
            return false;
        }
        self.rules.iter().any(|rule| {
            rule.services.iter().any(|pattern| matches_service(pattern, service))
                && rule.callers.iter().any(|c| c == "*" || c == caller)
        })
    }

    /// The workloads the policy knows.
    pub fn workloads(&self) -> impl Iterator<Item = &str> {
        self.workloads.iter().map(String::as_str)
    }
}

fn matches_service(pattern: &str, service: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => service.starts_with(prefix),
        None => pattern == service,
    }
}
