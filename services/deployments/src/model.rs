//! What a deployment is: its kind and status, the row as stored, the new deployment a
//! site change enqueues, and the events of its log. Shared by the sites service (through
//! [`crate::queue`]) and the provisioner's workers and executors.

use std::fmt;

use canopy_terraform::CloudProvider;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::FromRow;
use uuid::Uuid;

/// What a deployment does to its site, stored by its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum DeploymentKind {
    /// First apply of a new site.
    Create,
    /// Apply after the site's settings changed.
    Update,
    /// Apply again with unchanged settings.
    Redeploy,
    /// `terraform destroy` of everything the site has.
    Delete,
}

impl DeploymentKind {
    /// The stored (and logged) name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentKind::Create => "create",
            DeploymentKind::Update => "update",
            DeploymentKind::Redeploy => "redeploy",
            DeploymentKind::Delete => "delete",
        }
    }
}

/// Where a deployment stands, stored by its lowercase name. Queued and running are
/// active; the rest are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum DeploymentStatus {
    /// Waiting for its first worker.
    Queued,
    /// A worker has claimed it; it stays running while it waits between retry attempts.
    Running,
    /// Its plan failed a soft-mandatory policy: it waits, holding its lease, until
    /// someone allowed overrides (back to running) or discards it (cancelled).
    AwaitingOverride,
    /// Applied (or destroyed); outputs are stored.
    Succeeded,
    /// Ended with an error, which is on the deployment and in its log.
    Failed,
    /// Stopped on request.
    Cancelled,
}

impl DeploymentStatus {
    /// Every status, in the order of the API's enum.
    pub const ALL: [DeploymentStatus; 6] = [
        DeploymentStatus::Queued,
        DeploymentStatus::Running,
        DeploymentStatus::AwaitingOverride,
        DeploymentStatus::Succeeded,
        DeploymentStatus::Failed,
        DeploymentStatus::Cancelled,
    ];

    /// The stored name, lowercase.
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentStatus::Queued => "queued",
            DeploymentStatus::Running => "running",
            DeploymentStatus::AwaitingOverride => "awaiting_override",
            DeploymentStatus::Succeeded => "succeeded",
            DeploymentStatus::Failed => "failed",
            DeploymentStatus::Cancelled => "cancelled",
        }
    }

    /// Whether the deployment has ended.
    pub fn is_terminal(self) -> bool {
        matches!(self, DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Cancelled)
    }
}

impl fmt::Display for DeploymentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for DeploymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A deployment to enqueue.
#[derive(Debug, Clone)]
pub struct NewDeployment {
    pub tenant_id: Uuid,
    pub site_id: Uuid,
    pub deployment_id: Uuid,
    pub kind: DeploymentKind,
    pub provider: CloudProvider,
    /// Run it with the sandbox executor whatever the configured executor is.
    pub sandbox: bool,
    /// `SiteVariables::to_tfvars_json()` of the site as it should be after this deployment.
    pub variables: Value,
    /// The site's labels, for the policies checked before apply.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// A deployment as stored (read with [`DEPLOYMENT_COLUMNS`]).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DeploymentRow {
    pub tenant_id: Uuid,
    pub id: Uuid,
    pub site_id: Uuid,
    pub kind: DeploymentKind,
    pub status: DeploymentStatus,
    pub provider: String,
    /// Whether the sandbox executor runs (or ran) it.
    pub sandbox: bool,
    /// Attempts started so far.
    pub attempt: i32,
    /// Why it failed or was cancelled; empty otherwise.
    pub error: String,
    /// Non-sensitive outputs by name (`url`, `public_addresses`, …); `{}` until it
    /// succeeds. Sandbox outputs also carry `"sandbox": true`.
    pub outputs: Value,
    pub create_time: DateTime<Utc>,
    pub start_time: Option<DateTime<Utc>>,
    pub finish_time: Option<DateTime<Utc>>,
    pub cancel_requested: bool,
}

pub(crate) const DEPLOYMENT_COLUMNS: &str = "d.tenant_id, d.id, d.site_id, d.kind, d.status, d.provider, d.sandbox,
     coalesce(r.attempt, 0) as attempt, d.error, d.outputs, d.create_time, d.start_time, d.finish_time,
     d.cancel_requested";

/// Whether an event is a status change or a line of the executor's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum EventKind {
    Status,
    Log,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Status => "status",
            EventKind::Log => "log",
        }
    }
}

/// Severity of a log line (Terraform's `@level`, with `trace` folded into `debug`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        }
    }

    /// Terraform's `@level` values; anything unknown is `info`.
    pub fn from_terraform(level: &str) -> LogLevel {
        match level {
            "trace" | "debug" => LogLevel::Debug,
            "warn" | "warning" => LogLevel::Warn,
            "error" => LogLevel::Error,
            _ => LogLevel::Info,
        }
    }
}

/// One entry of a deployment's log.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct DeploymentEvent {
    /// Dense per deployment, from 1, in commit order: resume a watch with the last seen.
    pub seq: i64,
    /// This write of the event: a line rewritten at the same `seq` has a new id.
    pub id: Uuid,
    pub time: DateTime<Utc>,
    pub kind: EventKind,
    /// `debug`, `info`, `warn` or `error`.
    pub level: String,
    pub message: String,
    /// The new status, on status events.
    pub status: Option<DeploymentStatus>,
}

/// An event to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub level: LogLevel,
    pub message: String,
    pub status: Option<DeploymentStatus>,
}

impl NewEvent {
    /// A line of the executor's log.
    pub fn log(level: LogLevel, message: impl Into<String>) -> NewEvent {
        NewEvent { kind: EventKind::Log, level, message: message.into(), status: None }
    }

    /// A status change; failures are logged at error level.
    pub fn status(status: DeploymentStatus, message: impl Into<String>) -> NewEvent {
        let level = if status == DeploymentStatus::Failed { LogLevel::Error } else { LogLevel::Info };
        NewEvent { kind: EventKind::Status, level, message: message.into(), status: Some(status) }
    }
}
