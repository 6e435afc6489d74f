//! The Terraform executor: the real CLI (or OpenTofu) in a per-run working directory.
//!
//! `init`, `plan -out=plan.bin`, `show -json plan.bin` (for the checkpoint's summary),
//! then `apply plan.bin` — a destroy is `plan -destroy` followed by the same apply, so
//! the checkpoint sees deletions too. Every command runs with `-json`, and each line of
//! Terraform's machine-readable UI (`@level`, `@message`, `type`) is appended to the
//! deployment log in order. `init -json` only exists from Terraform 1.9; older
//! versions are detected and run without it.
//!
//! Terraform runs in its own process group so SIGINT and SIGKILL reach its provider
//! plugins too. Stopping sends SIGINT (Terraform then finishes the operations in flight
//! and saves state), waits `cancel_grace_secs`, then kills the group.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use canopy_deployments::model::{DeploymentKind, LogLevel, NewEvent};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{ExecError, Executor, Job, Outputs, PlanSummary, PlannedChange, RunContext, StopReason};
use crate::config::{BackendConfig, BackendKind, Secret};
use crate::workspace;

/// Variables of our own environment every Terraform run gets, when set.
const ALWAYS_PASSED: &[&str] =
    &["PATH", "HOME", "TMPDIR", "LANG", "SSL_CERT_FILE", "SSL_CERT_DIR", "TF_PLUGIN_CACHE_DIR", "TF_CLI_CONFIG_FILE"];

/// Longest log line kept; Terraform diagnostics can quote whole files.
const MAX_LINE: usize = 8 * 1024;

/// Drives the Terraform CLI.
#[derive(Debug, Clone)]
pub struct TerraformExecutor {
    pub bin: String,
    pub terraform_root: PathBuf,
    /// Parent of the per-run working directories; `None` is the system temp directory.
    pub workspace_root: Option<PathBuf>,
    pub backend: BackendConfig,
    /// Environment for Terraform (credentials, `PG_CONN_STR`); never logged.
    pub environment: BTreeMap<String, Secret>,
    pub passthrough: Vec<String>,
    pub grace: Duration,
    pub transient_errors: Vec<String>,
}

impl Executor for TerraformExecutor {
    fn name(&self) -> &'static str {
        "terraform"
    }

    fn execute<'a>(&'a self, job: &'a Job, context: &'a RunContext) -> BoxFuture<'a, Result<Outputs, ExecError>> {
        Box::pin(self.run(job, context))
    }
}

/// What one command produced besides its log lines.
#[derive(Debug, Default)]
struct CommandResult {
    success: bool,
    exit: String,
    /// Error diagnostics as `summary: detail`.
    errors: Vec<Diagnostic>,
    outputs: Option<Map<String, Value>>,
    /// Everything printed, when the caller wants the document (`show -json`, `output -json`).
    captured: String,
    stderr: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Diagnostic {
    #[serde(default)]
    severity: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    detail: String,
}

impl Diagnostic {
    fn text(&self) -> String {
        if self.detail.trim().is_empty() {
            self.summary.clone()
        } else {
            format!("{}: {}", self.summary, self.detail.trim())
        }
    }
}

/// One line of Terraform's machine-readable UI. Unknown fields are ignored, as the
/// format's compatibility promise asks.
#[derive(Debug, Deserialize)]
struct UiMessage {
    #[serde(rename = "@level", default)]
    level: String,
    #[serde(rename = "@message", default)]
    message: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    ui: Option<String>,
    #[serde(default)]
    diagnostic: Option<Diagnostic>,
    #[serde(default)]
    outputs: Option<Map<String, Value>>,
}

/// How a command's output is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputMode {
    /// A `-json` UI stream: parse and log every line.
    UiStream,
    /// Plain text (old `init`): log every line as info.
    PlainText,
    /// One JSON document: keep it, log nothing (a plan can hold sensitive values).
    Document,
}

impl TerraformExecutor {
    async fn run(&self, job: &Job, context: &RunContext) -> Result<Outputs, ExecError> {
        let variables = workspace::site_variables(job.tenant_id, job.site_id, &job.variables)
            .map_err(|error| ExecError::Failed(error.to_string()))?;
        let files = workspace::generate(&self.terraform_root, job.provider, job.site_id, &variables, &self.backend)
            .map_err(|error| ExecError::Failed(error.to_string()))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix("canopy-run-");
        let dir = match &self.workspace_root {
            Some(root) => builder.tempdir_in(root),
            None => builder.tempdir(),
        }
        .map_err(|error| ExecError::Transient(format!("cannot create a working directory: {error}")))?;
        workspace::write(dir.path(), &files).await.map_err(|error| ExecError::Transient(error.to_string()))?;

        self.init(dir.path(), context).await?;

        let mut plan_args = vec!["plan", "-input=false", "-no-color", "-json", "-out=plan.bin"];
        if job.kind == DeploymentKind::Delete {
            plan_args.push("-destroy");
        }
        let mut plan = self.command(dir.path(), &plan_args, OutputMode::UiStream, context).await?;
        if !plan.success && self.release_lapsed_lock(dir.path(), job, &plan, context).await? {
            plan = self.command(dir.path(), &plan_args, OutputMode::UiStream, context).await?;
        }
        self.finished("plan", &plan, context).await?;

        let show = self
            .command(dir.path(), &["show", "-json", "-no-color", "plan.bin"], OutputMode::Document, context)
            .await?;
        self.finished("show", &show, context).await?;
        let summary = plan_summary(&show.captured)
            .map_err(|error| ExecError::Failed(format!("cannot read the saved plan: {error}")))?;
        context.check_before_apply(job, &summary).await?;

        let apply = self
            .command(
                dir.path(),
                &["apply", "-input=false", "-no-color", "-json", "plan.bin"],
                OutputMode::UiStream,
                context,
            )
            .await?;
        self.finished("apply", &apply, context).await?;

        let outputs = match apply.outputs {
            Some(outputs) => outputs,
            None => {
                let output =
                    self.command(dir.path(), &["output", "-json", "-no-color"], OutputMode::Document, context).await?;
                self.finished("output", &output, context).await?;
                serde_json::from_str::<Map<String, Value>>(output.captured.trim()).map_err(|error| {
                    ExecError::Failed(format!("terraform output -json printed something else: {error}"))
                })?
            }
        };
        Ok(non_sensitive_values(&outputs, context).await)
    }

    /// When a command failed on a state lock that this run's vanished worker left behind,
    /// records the lock as this run's and force-unlocks exactly that lock id. Returns
    /// whether it did (the caller then retries the command once).
    ///
    /// Terraform does not report the id of a lock it takes, so the lock is recognised
    /// when it is first met: a site has one active run and its own state, so a lock
    /// created after the lapsed attempt started can only be that attempt's. Once
    /// recorded, only that id is ever force-unlocked; any other holder is waited out
    /// (the failure is transient and retried with backoff).
    async fn release_lapsed_lock(
        &self,
        dir: &Path,
        job: &Job,
        failed: &CommandResult,
        context: &RunContext,
    ) -> Result<bool, ExecError> {
        let Some(lock) = failed
            .errors
            .iter()
            .filter(|diagnostic| diagnostic.summary.contains("acquiring the state lock"))
            .find_map(|diagnostic| lock_info(&diagnostic.detail))
        else {
            return Ok(false);
        };
        let recorded = !job.state_lock_id.is_empty() && job.state_lock_id == lock.id;
        let left_by_lapsed_attempt = job.state_lock_id.is_empty()
            && matches!((job.lapsed_attempt_start, lock.created), (Some(start), Some(created)) if created >= start);
        if !recorded && !left_by_lapsed_attempt {
            context
                .log(
                    LogLevel::Warn,
                    format!("the state is locked by another operation (lock {}); not forcing it", lock.id),
                )
                .await?;
            return Ok(false);
        }
        if !recorded {
            context.record_state_lock(&lock.id).await?;
        }
        context
            .log(
                LogLevel::Warn,
                format!("removing state lock {} left by this run's previous attempt, whose worker stopped", lock.id),
            )
            .await?;
        let unlock = self.command(dir, &["force-unlock", "-force", &lock.id], OutputMode::PlainText, context).await?;
        self.finished("force-unlock", &unlock, context).await?;
        Ok(true)
    }

    /// `init -json` where supported, plain `init` on Terraform before 1.9.
    async fn init(&self, dir: &Path, context: &RunContext) -> Result<(), ExecError> {
        let json =
            self.command(dir, &["init", "-input=false", "-no-color", "-json"], OutputMode::UiStream, context).await?;
        let unsupported = !json.success && (json.stderr.contains("-json") || json.captured.contains("-json"));
        if !unsupported {
            return self.finished("init", &json, context).await;
        }
        context.log(LogLevel::Debug, "this Terraform has no init -json; running init with plain output").await?;
        let plain = self.command(dir, &["init", "-input=false", "-no-color"], OutputMode::PlainText, context).await?;
        self.finished("init", &plain, context).await
    }

    /// Turns a failed command into the attempt's error, logging stderr first.
    async fn finished(&self, command: &str, result: &CommandResult, context: &RunContext) -> Result<(), ExecError> {
        if result.success {
            return Ok(());
        }
        let stderr_lines: Vec<NewEvent> = result
            .stderr
            .lines()
            .filter(|line| !line.trim().is_empty())
            .take(50)
            .map(|line| NewEvent::log(LogLevel::Error, truncate(line)))
            .collect();
        context.log_lines(stderr_lines).await?;
        let first_error = result
            .errors
            .first()
            .map(Diagnostic::text)
            .or_else(|| result.stderr.lines().find(|line| !line.trim().is_empty()).map(str::to_owned))
            .unwrap_or_else(|| format!("terraform {command} exited with {}", result.exit));
        let everything =
            result.errors.iter().map(Diagnostic::text).chain([result.stderr.clone()]).collect::<Vec<_>>().join("\n");
        let transient = self
            .transient_errors
            .iter()
            .any(|pattern| !pattern.is_empty() && everything.to_lowercase().contains(&pattern.to_lowercase()));
        let message = format!("terraform {command} failed: {}", truncate(&first_error));
        Err(if transient { ExecError::Transient(message) } else { ExecError::Failed(message) })
    }

    fn command_for(&self, dir: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command
            .args(args)
            .current_dir(dir)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            // Its own group, so signals reach provider plugins as well.
            .process_group(0);
        for name in ALWAYS_PASSED.iter().copied().chain(self.passthrough.iter().map(String::as_str)) {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command.env("TF_IN_AUTOMATION", "1").env("TF_INPUT", "0").env("CHECKPOINT_DISABLE", "1");
        if self.backend.kind == BackendKind::Pg && !self.backend.conn_str.is_empty() {
            command.env("PG_CONN_STR", self.backend.conn_str.expose());
        }
        for (name, value) in &self.environment {
            command.env(name, value.expose());
        }
        command
    }

    /// Runs one command to completion (or until stopped), logging its output as it comes.
    async fn command(
        &self,
        dir: &Path,
        args: &[&str],
        mode: OutputMode,
        context: &RunContext,
    ) -> Result<CommandResult, ExecError> {
        if let Some(reason) = context.stop_requested() {
            return Err(reason.as_error());
        }
        let mut child = self.command_for(dir, args).spawn().map_err(|error| {
            ExecError::Failed(format!("cannot run {} {}: {error}", self.bin, args.first().copied().unwrap_or("")))
        })?;
        let group = child.id().and_then(|pid| i32::try_from(pid).ok()).map(Pid::from_raw);
        let (line_tx, mut lines) = mpsc::channel::<String>(512);
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(async move {
                let mut reader = BufReader::new(stdout).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    if line_tx.send(line).await.is_err() {
                        break;
                    }
                }
            });
        }
        let stderr_task = child.stderr.take().map(|stderr| {
            tokio::spawn(async move {
                let mut text = String::new();
                let _ = stderr.take(64 * 1024).read_to_string(&mut text).await;
                text
            })
        });

        let mut result = CommandResult::default();
        let mut stop: Option<StopReason> = None;
        let mut kill_at: Option<Instant> = None;
        let mut log_failure: Option<ExecError> = None;
        loop {
            tokio::select! {
                biased;
                () = sleep_until(kill_at), if kill_at.is_some() => {
                    if let Some(group) = group {
                        let _ = killpg(group, Signal::SIGKILL);
                    }
                    kill_at = None;
                }
                reason = context.stopped(), if stop.is_none() => {
                    stop = Some(reason);
                    if let Some(group) = group {
                        let _ = killpg(group, Signal::SIGINT);
                    }
                    kill_at = Some(Instant::now() + self.grace);
                    if reason == StopReason::Cancel {
                        let _ = context
                            .log(LogLevel::Warn, format!("cancelling: sent SIGINT to terraform, killing it after {}s", self.grace.as_secs_f64()))
                            .await;
                    }
                }
                line = lines.recv() => {
                    let Some(first) = line else { break };
                    let mut batch = vec![first];
                    while batch.len() < 256 {
                        match lines.try_recv() {
                            Ok(line) => batch.push(line),
                            Err(_) => break,
                        }
                    }
                    let events: Vec<NewEvent> = batch.iter().filter_map(|line| absorb(line, mode, &mut result)).collect();
                    if log_failure.is_none() && stop != Some(StopReason::LeaseLost)
                        && let Err(error) = context.log_lines(events).await
                    {
                        if error == ExecError::LeaseLost && stop.is_none() {
                            stop = Some(StopReason::LeaseLost);
                            if let Some(group) = group {
                                let _ = killpg(group, Signal::SIGINT);
                            }
                            kill_at = Some(Instant::now() + self.grace);
                        }
                        log_failure = Some(error);
                    }
                }
            }
        }
        // Output is closed; the process may still be finishing (or ignoring SIGINT).
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                () = sleep_until(kill_at), if kill_at.is_some() => {
                    if let Some(group) = group {
                        let _ = killpg(group, Signal::SIGKILL);
                    }
                    kill_at = None;
                }
            }
        };
        if let Some(task) = stderr_task {
            result.stderr = task.await.unwrap_or_default();
        }
        if let Some(reason) = stop {
            return Err(reason.as_error());
        }
        if let Some(error) = log_failure {
            return Err(error);
        }
        let status = status.map_err(|error| ExecError::Transient(format!("waiting for terraform: {error}")))?;
        result.success = status.success();
        result.exit = status.to_string();
        Ok(result)
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Reads one output line: returns the log event for it and keeps what the executor needs
/// (diagnostics, outputs, the captured document).
fn absorb(line: &str, mode: OutputMode, result: &mut CommandResult) -> Option<NewEvent> {
    match mode {
        OutputMode::Document => {
            result.captured.push_str(line);
            result.captured.push('\n');
            None
        }
        OutputMode::PlainText => {
            result.captured.push_str(line);
            result.captured.push('\n');
            (!line.trim().is_empty()).then(|| NewEvent::log(LogLevel::Info, truncate(line)))
        }
        OutputMode::UiStream => {
            let Ok(message) = serde_json::from_str::<UiMessage>(line) else {
                // Not a UI message (an old Terraform's plain output, a plugin's stray print).
                result.captured.push_str(line);
                result.captured.push('\n');
                return (!line.trim().is_empty()).then(|| NewEvent::log(LogLevel::Info, truncate(line)));
            };
            let mut level = LogLevel::from_terraform(&message.level);
            let mut text = message.message.clone();
            match message.kind.as_str() {
                "version" => {
                    if let Some(ui) = &message.ui
                        && !ui.starts_with("1.")
                    {
                        level = LogLevel::Warn;
                        text = format!("{text} (machine-readable UI {ui}; this provisioner understands 1.x)");
                    }
                }
                "diagnostic" => {
                    if let Some(diagnostic) = message.diagnostic {
                        if diagnostic.severity == "error" {
                            level = LogLevel::Error;
                        }
                        if !diagnostic.detail.trim().is_empty() {
                            text = format!("{text}: {}", diagnostic.detail.trim());
                        }
                        if diagnostic.severity == "error" {
                            result.errors.push(diagnostic);
                        }
                    }
                }
                "outputs" => result.outputs = message.outputs,
                _ => {}
            }
            Some(NewEvent::log(level, truncate(&text)))
        }
    }
}

fn truncate(text: &str) -> String {
    if text.len() <= MAX_LINE {
        return text.to_owned();
    }
    let mut end = MAX_LINE;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes cut)", &text[..end], text.len() - end)
}

/// `show -json plan.bin` → the checkpoint's summary.
fn plan_summary(document: &str) -> Result<PlanSummary, serde_json::Error> {
    #[derive(Deserialize)]
    struct Plan {
        #[serde(default)]
        resource_changes: Vec<ResourceChange>,
    }
    #[derive(Deserialize)]
    struct ResourceChange {
        address: String,
        change: Change,
    }
    #[derive(Deserialize)]
    struct Change {
        actions: Vec<String>,
    }
    let document: Value = serde_json::from_str(document.trim())?;
    let plan = Plan::deserialize(&document)?;
    let mut summary = PlanSummary { plan_json: document, ..PlanSummary::default() };
    for change in plan.resource_changes {
        let actions: Vec<&str> = change.change.actions.iter().map(String::as_str).collect();
        let action = match actions.as_slice() {
            ["create"] => {
                summary.add += 1;
                "create"
            }
            ["update"] => {
                summary.change += 1;
                "update"
            }
            ["delete"] => {
                summary.remove += 1;
                "delete"
            }
            ["delete", "create"] | ["create", "delete"] => {
                summary.add += 1;
                summary.remove += 1;
                "replace"
            }
            ["read"] => "read",
            _ => continue,
        };
        summary.changes.push(PlannedChange { address: change.address, action: action.to_owned() });
    }
    Ok(summary)
}

/// Output values without the sensitive ones (which are never stored or logged).
async fn non_sensitive_values(outputs: &Map<String, Value>, context: &RunContext) -> Outputs {
    let mut values = Outputs::new();
    for (name, output) in outputs {
        if output.get("sensitive").and_then(Value::as_bool).unwrap_or(false) {
            let _ = context.log(LogLevel::Info, format!("output {name} is sensitive and is not stored")).await;
            continue;
        }
        values.insert(name.clone(), output.get("value").cloned().unwrap_or(Value::Null));
    }
    values
}

/// The lock holder Terraform reports in an "Error acquiring the state lock" diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    pub id: String,
    pub created: Option<DateTime<Utc>>,
}

/// Reads `ID:` and `Created:` from a lock diagnostic's detail.
pub fn lock_info(detail: &str) -> Option<LockInfo> {
    let field =
        |name: &str| detail.lines().find_map(|line| line.trim().strip_prefix(name).map(|rest| rest.trim().to_owned()));
    let id = field("ID:").filter(|id| !id.is_empty())?;
    let created = field("Created:").and_then(|text| {
        // Go's time.String(): "2024-05-01 10:00:00.123456789 +0000 UTC".
        let text = text.trim_end_matches(" UTC").split(" m=").next().unwrap_or("").to_owned();
        DateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S%.f %z").ok().map(|time| time.with_timezone(&Utc))
    });
    Some(LockInfo { id, created })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_lines_become_log_events_and_diagnostics_are_kept() {
        let mut result = CommandResult::default();
        let lines = [
            r#"{"@level":"info","@message":"Terraform 1.9.0","type":"version","terraform":"1.9.0","ui":"1.2"}"#,
            r#"{"@level":"info","@message":"aws_s3_bucket.this: Plan to create","type":"planned_change","change":{"resource":{"addr":"aws_s3_bucket.this"},"action":"create"}}"#,
            r#"{"@level":"error","@message":"Error: Invalid region","type":"diagnostic","diagnostic":{"severity":"error","summary":"Invalid region","detail":"no such region"}}"#,
            r#"{"@level":"info","@message":"Outputs: 1","type":"outputs","outputs":{"url":{"sensitive":false,"type":"string","value":"https://x"}}}"#,
            "not json at all",
        ];
        let events: Vec<NewEvent> =
            lines.iter().filter_map(|line| absorb(line, OutputMode::UiStream, &mut result)).collect();
        let messages: Vec<&str> = events.iter().map(|event| event.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Terraform 1.9.0",
                "aws_s3_bucket.this: Plan to create",
                "Error: Invalid region: no such region",
                "Outputs: 1",
                "not json at all"
            ]
        );
        assert_eq!(events[2].level, LogLevel::Error);
        assert_eq!(result.errors.len(), 1);
        assert!(result.outputs.is_some_and(|outputs| outputs.contains_key("url")));
    }

    #[test]
    fn plan_summaries_count_replacements_on_both_sides() {
        let document = r#"{"format_version":"1.2","resource_changes":[
            {"address":"a.x","change":{"actions":["create"]}},
            {"address":"a.y","change":{"actions":["delete","create"]}},
            {"address":"a.z","change":{"actions":["no-op"]}}]}"#;
        let summary = plan_summary(document).unwrap_or_default();
        assert_eq!((summary.add, summary.change, summary.remove), (2, 0, 1));
        assert_eq!(summary.changes.len(), 2);
        assert_eq!(
            summary.plan_json["resource_changes"][1]["change"]["actions"][0], "delete",
            "the whole document is kept"
        );
    }

    #[test]
    fn lock_details_give_their_id_and_creation_time() {
        let detail = "Error message: held\nLock Info:\n  ID:        9d1f6a5e-1111-2222-3333-444455556666\n  Path:      x\n  Operation: OperationTypeApply\n  Who:       canopy@worker\n  Version:   1.9.0\n  Created:   2024-05-01 10:00:00.123456789 +0000 UTC\n  Info:      \n";
        let info = lock_info(detail);
        assert_eq!(info.as_ref().map(|info| info.id.as_str()), Some("9d1f6a5e-1111-2222-3333-444455556666"));
        assert!(info.and_then(|info| info.created).is_some());
    }
}
