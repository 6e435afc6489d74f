//! `[services.provisioner]` settings. Operators read these docs, so every field says what
//! it does and its default.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which executor runs deployments that are not marked sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ExecutorKind {
    /// No cloud: every deployment walks the template's resources in the sandbox (the
    /// embedded default, so `canopyd dev` works without a cloud account).
    #[default]
    Sandbox,
    /// The Terraform (or OpenTofu) CLI at `terraform_bin`.
    Terraform,
}

/// `[services.provisioner]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProvisionerConfig {
    /// `sandbox` (default) or `terraform`. Deployments enqueued with `sandbox = true` use
    /// the sandbox either way.
    pub executor: ExecutorKind,
    /// The Terraform or OpenTofu binary. Empty: `$CANOPY_TERRAFORM_BIN`, else `terraform`
    /// on `PATH`.
    pub terraform_bin: String,
    /// The `terraform/` directory holding `sites/<provider>`; relative paths are resolved
    /// against the working directory at start-up. Empty: the `terraform/` of the checkout
    /// canopyd was built from when it exists, else `./terraform`.
    pub terraform_root: String,
    /// Where per-run working directories are created. Empty: the system temp directory.
    pub workspace_root: String,
    /// Worker tasks in this process. 0 runs none (an API-only replica).
    pub workers: usize,
    /// How long a claim is valid without a heartbeat, in seconds. A worker that dies is
    /// replaced after at most this long.
    pub lease_secs: f64,
    /// How often a worker renews its lease, in seconds; well under `lease_secs`.
    pub heartbeat_secs: f64,
    /// How often an idle worker looks for due runs even without a notification, in
    /// seconds (retries coming due, missed notifications).
    pub poll_secs: f64,
    /// Attempts per run, counting the first; transient failures and lost workers use
    /// them up, then the run fails.
    pub max_attempts: i32,
    /// Delay before the first retry, in seconds; doubled for each further attempt.
    pub retry_base_secs: f64,
    /// Upper bound of the retry delay, in seconds.
    pub retry_max_secs: f64,
    /// After SIGINT, how long Terraform may take to stop before it is killed, in seconds.
    pub cancel_grace_secs: f64,
    /// Pause between the sandbox's simulated steps, in milliseconds.
    pub sandbox_step_millis: u64,
    /// Check every plan with the policy service before apply (the default). `false`
    /// applies every plan unchecked: only for tests and tools that run the provisioner
    /// without the policy service; canopyd logs a warning when it is off.
    pub policy_checks: bool,
    /// How often a run waiting for a policy override asks whether it was overridden or
    /// discarded, in seconds.
    pub policy_poll_secs: f64,
    /// Where Terraform keeps each site's state.
    pub backend: BackendConfig,
    /// Environment of the Terraform process: provider credentials (`AWS_ACCESS_KEY_ID`,
    /// `ARM_CLIENT_SECRET`, `GOOGLE_CREDENTIALS`, `DIGITALOCEAN_TOKEN`, `LINODE_TOKEN`, …).
    /// Passed only as environment variables, never written to a file, never logged.
    pub environment: BTreeMap<String, Secret>,
    /// Variables of canopyd's own environment passed through to Terraform, besides the
    /// always-passed `PATH`, `HOME`, `TMPDIR` and `TF_PLUGIN_CACHE_DIR`/`TF_CLI_CONFIG_FILE`.
    pub environment_passthrough: Vec<String>,
    /// Substrings of a Terraform error diagnostic (summary or detail) that mark the
    /// failure as transient, so the run is retried.
    pub transient_errors: Vec<String>,
}

impl Default for ProvisionerConfig {
    fn default() -> Self {
        Self {
            executor: ExecutorKind::Sandbox,
            terraform_bin: String::new(),
            terraform_root: String::new(),
            workspace_root: String::new(),
            workers: 2,
            lease_secs: 60.0,
            heartbeat_secs: 10.0,
            poll_secs: 5.0,
            max_attempts: 3,
            retry_base_secs: 5.0,
            retry_max_secs: 300.0,
            cancel_grace_secs: 30.0,
            sandbox_step_millis: 400,
            policy_checks: true,
            policy_poll_secs: 2.0,
            backend: BackendConfig::default(),
            environment: BTreeMap::new(),
            environment_passthrough: Vec::new(),
            transient_errors: [
                "Error acquiring the state lock",
                "RequestLimitExceeded",
                "Throttling",
                "TooManyRequests",
                "rate limit",
                "timeout while waiting",
                "connection reset by peer",
                "i/o timeout",
                "temporarily unavailable",
                "Service Unavailable",
                "InternalServerError",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Why the configuration cannot be used. Messages name the key.
#[derive(Debug, thiserror::Error)]
#[error("services.provisioner.{key}: {problem}")]
pub struct ConfigProblem {
    pub key: &'static str,
    pub problem: String,
}

impl ProvisionerConfig {
    /// Checks values that would make the queue misbehave rather than fail loudly.
    pub fn validate(&self) -> Result<(), ConfigProblem> {
        let positive = |key: &'static str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(ConfigProblem { key, problem: format!("must be a positive number of seconds, got {value}") })
            }
        };
        positive("lease_secs", self.lease_secs)?;
        positive("heartbeat_secs", self.heartbeat_secs)?;
        positive("poll_secs", self.poll_secs)?;
        positive("retry_base_secs", self.retry_base_secs)?;
        positive("retry_max_secs", self.retry_max_secs)?;
        positive("policy_poll_secs", self.policy_poll_secs)?;
        if !(self.cancel_grace_secs.is_finite() && self.cancel_grace_secs >= 0.0) {
            return Err(ConfigProblem { key: "cancel_grace_secs", problem: "must be zero or more seconds".into() });
        }
        if self.heartbeat_secs >= self.lease_secs {
            return Err(ConfigProblem {
                key: "heartbeat_secs",
                problem: format!(
                    "must be shorter than lease_secs ({}), or every lease expires between heartbeats",
                    self.lease_secs
                ),
            });
        }
        if self.max_attempts < 1 {
            return Err(ConfigProblem { key: "max_attempts", problem: "must be at least 1".into() });
        }
        self.backend.validate()
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs_f64(self.lease_secs)
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs_f64(self.heartbeat_secs)
    }

    pub fn poll(&self) -> Duration {
        Duration::from_secs_f64(self.poll_secs)
    }

    pub fn cancel_grace(&self) -> Duration {
        Duration::from_secs_f64(self.cancel_grace_secs)
    }

    /// The delay before attempt `attempt + 1`, after attempt `attempt` (from 1) failed
    /// transiently: `retry_base_secs × 2^(attempt-1)`, at most `retry_max_secs`.
    pub fn retry_delay(&self, attempt: i32) -> Duration {
        let exponent = attempt.saturating_sub(1).clamp(0, 30);
        let secs = (self.retry_base_secs * f64::from(1u32 << exponent)).min(self.retry_max_secs);
        Duration::from_secs_f64(secs)
    }

    /// The `terraform/` directory, absolute.
    pub fn terraform_root(&self) -> PathBuf {
        if self.terraform_root.is_empty() {
            return canopy_terraform::default_root();
        }
        let root = PathBuf::from(&self.terraform_root);
        std::path::absolute(&root).unwrap_or(root)
    }

    /// The Terraform binary to run.
    pub fn terraform_bin(&self) -> String {
        if !self.terraform_bin.is_empty() {
            return self.terraform_bin.clone();
        }
        std::env::var("CANOPY_TERRAFORM_BIN").ok().filter(|bin| !bin.is_empty()).unwrap_or_else(|| "terraform".into())
    }
}

/// Terraform state storage, one state per site.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackendConfig {
    /// `pg` (default), `s3`, `azurerm` or `gcs`.
    pub kind: BackendKind,
    /// pg: connection string, passed to Terraform as `PG_CONN_STR`. Empty: the kit's
    /// `database.url`. Each site's state lives in schema `<schema_prefix><site id hex>`.
    pub conn_str: Secret,
    /// pg: prefix of the per-site state schema.
    pub schema_prefix: String,
    /// s3/gcs: bucket name.
    pub bucket: String,
    /// s3: region of the bucket.
    pub region: String,
    /// s3: DynamoDB lock table; empty uses S3 native locking (`use_lockfile`, Terraform 1.10+).
    pub dynamodb_table: String,
    /// azurerm: resource group of the storage account.
    pub resource_group_name: String,
    /// azurerm: storage account.
    pub storage_account_name: String,
    /// azurerm: blob container.
    pub container_name: String,
    /// s3/azurerm/gcs: prefix of each site's state key (`<prefix><site id>/terraform.tfstate`).
    pub key_prefix: String,
}

impl Default for BackendConfig {
    fn default() -> Self {
        Self {
            kind: BackendKind::Pg,
            conn_str: Secret::default(),
            schema_prefix: "tfstate_".into(),
            bucket: String::new(),
            region: String::new(),
            dynamodb_table: String::new(),
            resource_group_name: String::new(),
            storage_account_name: String::new(),
            container_name: String::new(),
            key_prefix: "canopy/sites/".into(),
        }
    }
}

/// Backend types Canopy can configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    #[default]
    Pg,
    S3,
    Azurerm,
    Gcs,
}

impl BackendConfig {
    fn validate(&self) -> Result<(), ConfigProblem> {
        let required = |key: &'static str, value: &str| {
            if value.is_empty() {
                Err(ConfigProblem { key, problem: format!("is required for the {:?} backend", self.kind) })
            } else {
                Ok(())
            }
        };
        match self.kind {
            BackendKind::Pg => {
                let valid = !self.schema_prefix.is_empty()
                    && self.schema_prefix.len() <= 30
                    && self.schema_prefix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && self.schema_prefix.starts_with(|c: char| c.is_ascii_lowercase());
                if !valid {
                    return Err(ConfigProblem {
                        key: "backend.schema_prefix",
                        problem: "must be 1-30 lowercase letters, digits or underscores, starting with a letter".into(),
                    });
                }
            }
            BackendKind::S3 => {
                required("backend.bucket", &self.bucket)?;
                required("backend.region", &self.region)?;
            }
            BackendKind::Azurerm => {
                required("backend.resource_group_name", &self.resource_group_name)?;
                required("backend.storage_account_name", &self.storage_account_name)?;
                required("backend.container_name", &self.container_name)?;
            }
            BackendKind::Gcs => required("backend.bucket", &self.bucket)?,
        }
        Ok(())
    }
}

/// A credential from configuration: its `Debug` and `Display` never show the value.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that hands it to a child process.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"***\"" })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_up_to_the_cap() {
        let config = ProvisionerConfig { retry_base_secs: 2.0, retry_max_secs: 10.0, ..Default::default() };
        let delays: Vec<u64> = (1..=5).map(|attempt| config.retry_delay(attempt).as_secs()).collect();
        assert_eq!(delays, [2, 4, 8, 10, 10]);
    }

    #[test]
    fn secrets_never_print_their_value() {
        let secret = Secret::new("AKIAEXAMPLE");
        assert_eq!(format!("{secret:?} {secret}"), "\"***\" ***");
    }

    #[test]
    fn a_heartbeat_slower_than_the_lease_is_refused() {
        let config = ProvisionerConfig { lease_secs: 5.0, heartbeat_secs: 5.0, ..Default::default() };
        let problem = config.validate().err().map(|p| p.to_string()).unwrap_or_default();
        assert!(problem.starts_with("services.provisioner.heartbeat_secs"), "{problem}");
    }
}
