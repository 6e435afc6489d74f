//! Evaluating untrusted policies without risking the service.
//!
//! regorus runs in a child process, `canopy-policy-evaluator`, because a policy can
//! exhaust anything in-process limits do not cover: `numbers.range(1, 1e12)` makes
//! regorus allocate the whole array at once and an allocation failure aborts the process;
//! a recursive function overflows the stack; a builtin working on a huge value does not
//! return to the interpreter's cooperative timer for seconds.
//!
//! Protocol: the parent writes one JSON [`Request`] on the child's stdin and closes it.
//! The child caps its address space (`RLIMIT_AS`) before parsing the request, writes
//! `{"event":"ready"}`, then evaluates the policies in order — each in its own regorus
//! engine, compiled once, with regorus's execution timer — writing one
//! `{"event":"outcome", …}` line per policy as soon as it is known. Streaming the outcomes
//! is what lets one policy's failure leave the others' results intact: when the child
//! dies or misses a deadline, the parent knows which policy was running (the first one
//! without an outcome), records why, and evaluates the rest in a fresh child.
//!
//! Deadlines (parent side): the child gets [`STARTUP_ALLOWANCE`] to be ready, then each
//! policy gets the time limit plus [`grace`] for its outcome; a request therefore takes at
//! most startup + policies × (limit + grace). The child is killed when a deadline passes.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{ExitCode, ExitStatus, Stdio};
use std::time::Duration;

use regorus::{Engine, LimitError, Value};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

use crate::engine::compile::{self, CompileError};

/// The evaluator binary's file name, looked up beside the running executable.
pub const EVALUATOR_BINARY: &str = "canopy-policy-evaluator";

/// The environment variable naming the evaluator binary, for deployments that put it
/// somewhere else.
pub const EVALUATOR_ENV: &str = "CANOPY_POLICY_EVALUATOR";

/// How long the child may take to start, cap its memory and parse the request (a plan of
/// a few MiB) before the first policy's clock starts.
pub const STARTUP_ALLOWANCE: Duration = Duration::from_secs(5);

/// How much of the child's stderr is kept to explain a crash; a policy's `print` output
/// is gathered and dropped in the child, so this is regorus's and Rust's own words.
const STDERR_KEPT_BYTES: usize = 16 * 1024;

/// Limits for one policy's evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Evaluation time per policy, in milliseconds.
    pub time_ms: u64,
    /// The child's address space, in MiB; shared by the input and every policy.
    pub memory_mib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { time_ms: 500, memory_mib: 512 }
    }
}

/// Time beyond the policy's own limit before the parent gives up on its outcome: the
/// cooperative timer fires only between interpreter steps, and compiling counts too.
pub fn grace(limits: &Limits) -> Duration {
    Duration::from_millis(500 + limits.time_ms / 2)
}

/// One policy to evaluate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyModule {
    /// The caller's identifier, returned with the outcome.
    pub id: String,
    /// Rego source.
    pub module: String,
}

/// What one policy said about the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyOutcome {
    /// The [`PolicyModule::id`].
    pub id: String,
    /// `deny` messages, sorted (Rego sets are ordered).
    pub deny: Vec<String>,
    /// `warn` messages, sorted.
    pub warn: Vec<String>,
    /// Why the policy produced no verdict; `deny` and `warn` are then empty.
    pub error: Option<String>,
}

impl PolicyOutcome {
    fn failed(id: &str, error: String) -> PolicyOutcome {
        PolicyOutcome { id: id.to_owned(), deny: Vec::new(), warn: Vec::new(), error: Some(error) }
    }
}

/// What goes wrong with the evaluator itself, as opposed to a policy.
#[derive(Debug, thiserror::Error)]
pub enum EvaluatorError {
    /// [`Evaluator::command`] is empty.
    #[error("the evaluator command is empty")]
    EmptyCommand,
    /// The binary could not be started.
    #[error("cannot start the policy evaluator {program:?}: {source}")]
    Spawn {
        /// The program.
        program: OsString,
        /// Why.
        source: std::io::Error,
    },
    /// The child failed before evaluating anything: a broken binary, or an input too
    /// large for the memory limit.
    #[error("the policy evaluator failed before evaluating any policy ({status}): {stderr}")]
    Startup {
        /// How it ended.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
    /// The child wrote something that is not the protocol.
    #[error("the policy evaluator broke the protocol: {0}")]
    Protocol(String),
    /// Reading from or waiting for the child failed.
    #[error("talking to the policy evaluator failed: {0}")]
    Io(#[from] std::io::Error),
    /// [`locate_evaluator`] found no binary.
    #[error("the policy evaluator binary was not found; looked at {0:?} (set {EVALUATOR_ENV})")]
    NotFound(Vec<PathBuf>),
}

/// The parent side: runs the evaluator binary for each request.
#[derive(Debug, Clone)]
pub struct Evaluator {
    /// Program and arguments, for example `[locate_evaluator()?]`.
    pub command: Vec<OsString>,
    /// Limits for every policy.
    pub limits: Limits,
}

/// The request the child reads.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request<I, P> {
    /// Limits.
    pub limits: Limits,
    /// The input document.
    pub input: I,
    /// The policies, evaluated in this order.
    pub policies: P,
}

/// One line the child writes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum Event {
    /// Limits are in place and the request parsed.
    Ready,
    /// The next policy's outcome.
    Outcome(PolicyOutcome),
}

/// How a child run ended before every policy had an outcome.
enum Interruption {
    /// The running policy missed its deadline; the child was killed.
    TimedOut,
    /// The child ended (status, end of stderr).
    Died(ExitStatus, String),
}

impl Evaluator {
    /// Evaluates `policies` on `input` and returns one outcome per policy, in order.
    ///
    /// A policy that breaks a limit or crashes the child gets an `error` outcome; the
    /// policies after it are evaluated in a fresh child. `Err` means the evaluator itself
    /// is unusable (missing binary, failing before any policy).
    pub async fn evaluate(
        &self,
        policies: &[PolicyModule],
        input: &serde_json::Value,
    ) -> Result<Vec<PolicyOutcome>, EvaluatorError> {
        let mut outcomes = Vec::with_capacity(policies.len());
        while outcomes.len() < policies.len() {
            let remaining = &policies[outcomes.len()..];
            let interruption = self.run_child(remaining, input, &mut outcomes).await?;
            if let Some(interruption) = interruption {
                // The policy without an outcome is the one that was running.
                let culprit = &policies[outcomes.len()];
                outcomes.push(PolicyOutcome::failed(&culprit.id, self.explain(interruption)));
            }
        }
        Ok(outcomes)
    }

    fn explain(&self, interruption: Interruption) -> String {
        let limits = &self.limits;
        match interruption {
            Interruption::TimedOut => time_limit_message(limits),
            Interruption::Died(status, stderr) => {
                if stderr.contains("has overflowed its stack") {
                    "exceeded the stack limit: recursion or nesting too deep".to_owned()
                } else if status.signal().is_some() || stderr.contains("memory allocation of") {
                    // Allocation failures abort (SIGABRT); the kernel's OOM killer sends
                    // SIGKILL. Either way the policy asked for more than it may have.
                    format!("exceeded the memory limit of {} MiB", limits.memory_mib)
                } else {
                    format!("crashed the evaluator ({status}): {}", last_line(&stderr))
                }
            }
        }
    }

    /// Runs one child on `policies`, appending outcomes as they arrive. Returns why it
    /// stopped early, if it did.
    async fn run_child(
        &self,
        policies: &[PolicyModule],
        input: &serde_json::Value,
        outcomes: &mut Vec<PolicyOutcome>,
    ) -> Result<Option<Interruption>, EvaluatorError> {
        let (program, args) = self.command.split_first().ok_or(EvaluatorError::EmptyCommand)?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| EvaluatorError::Spawn { program: program.clone(), source })?;

        let request = serde_json::to_vec(&Request { limits: self.limits, input, policies })
            .map_err(|error| EvaluatorError::Protocol(format!("cannot encode the request: {error}")))?;
        let mut stdin = child.stdin.take().ok_or_else(|| EvaluatorError::Protocol("no stdin".to_owned()))?;
        // Written concurrently so a child that dies early cannot block the parent on a
        // full pipe; a broken pipe then shows up as the child's exit status instead.
        let writer = tokio::spawn(async move {
            let _ = stdin.write_all(&request).await;
            let _ = stdin.shutdown().await;
        });
        let mut stderr = child.stderr.take().ok_or_else(|| EvaluatorError::Protocol("no stderr".to_owned()))?;
        let stderr_reader = tokio::spawn(async move {
            let mut kept = Vec::new();
            let mut chunk = [0_u8; 4096];
            while let Ok(read) = stderr.read(&mut chunk).await {
                if read == 0 {
                    break;
                }
                kept.extend_from_slice(&chunk[..read]);
                if kept.len() > STDERR_KEPT_BYTES {
                    kept.drain(..kept.len() - STDERR_KEPT_BYTES);
                }
            }
            String::from_utf8_lossy(&kept).into_owned()
        });
        let stdout = child.stdout.take().ok_or_else(|| EvaluatorError::Protocol("no stdout".to_owned()))?;
        let mut lines = BufReader::new(stdout).lines();

        let per_policy = Duration::from_millis(self.limits.time_ms) + grace(&self.limits);
        let mut ready = false;
        let mut received = 0;
        let interruption = loop {
            if received == policies.len() {
                break None;
            }
            let deadline = if ready { per_policy } else { STARTUP_ALLOWANCE };
            let line = match tokio::time::timeout(deadline, lines.next_line()).await {
                Err(_elapsed) => {
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                    if !ready {
                        return Err(EvaluatorError::Startup {
                            status: format!("not ready within {STARTUP_ALLOWANCE:?}"),
                            stderr: String::new(),
                        });
                    }
                    break Some(Interruption::TimedOut);
                }
                Ok(line) => line?,
            };
            let Some(line) = line else {
                // stdout closed: the child ended.
                let status = child.wait().await?;
                let stderr = stderr_reader.await.unwrap_or_default();
                if !ready {
                    return Err(EvaluatorError::Startup { status: status.to_string(), stderr: last_line(&stderr) });
                }
                if status.success() {
                    return Err(EvaluatorError::Protocol(format!(
                        "exited after {received} of {} outcomes",
                        policies.len()
                    )));
                }
                break Some(Interruption::Died(status, stderr));
            };
            match serde_json::from_str::<Event>(&line) {
                Ok(Event::Ready) if !ready => ready = true,
                Ok(Event::Outcome(outcome)) if ready && outcome.id == policies[received].id => {
                    outcomes.push(outcome);
                    received += 1;
                }
                _ => return Err(EvaluatorError::Protocol(format!("unexpected line {:?}", truncate(&line, 200)))),
            }
        };
        if interruption.is_none() {
            let _ = child.wait().await;
        }
        writer.abort();
        Ok(interruption)
    }
}

/// The evaluator binary: [`EVALUATOR_ENV`] if set, else `canopy-policy-evaluator` beside
/// the running executable, or one directory up when that is cargo's `deps/` (test
/// binaries live there, the built binaries in its parent).
pub fn locate_evaluator() -> Result<PathBuf, EvaluatorError> {
    if let Some(path) = std::env::var_os(EVALUATOR_ENV) {
        return Ok(PathBuf::from(path));
    }
    let mut looked = Vec::new();
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        looked.push(dir.join(EVALUATOR_BINARY));
        if dir.file_name().is_some_and(|name| name == "deps")
            && let Some(parent) = dir.parent()
        {
            looked.push(parent.join(EVALUATOR_BINARY));
        }
    }
    looked.iter().find(|path| path.is_file()).cloned().ok_or(EvaluatorError::NotFound(looked))
}

fn time_limit_message(limits: &Limits) -> String {
    format!("exceeded the evaluation time limit of {} ms", limits.time_ms)
}

fn last_line(text: &str) -> String {
    text.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("").trim().to_owned()
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

// ---------------------------------------------------------------------------------------
// The child.
// ---------------------------------------------------------------------------------------

/// The child's request: only the limits, read first so they apply before the input is
/// materialised. serde skips the other fields without building them.
#[derive(Deserialize)]
struct LimitsOnly {
    limits: Limits,
}

/// The child's `main`: reads a [`Request`] from stdin, writes events to stdout.
pub fn serve_stdio() -> ExitCode {
    match serve(std::io::stdin().lock(), std::io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("canopy-policy-evaluator: {message}");
            ExitCode::from(2)
        }
    }
}

fn serve(mut stdin: impl Read, mut stdout: impl Write) -> Result<(), String> {
    let mut request = Vec::new();
    stdin.read_to_end(&mut request).map_err(|error| format!("cannot read the request: {error}"))?;
    let LimitsOnly { limits } =
        serde_json::from_slice(&request).map_err(|error| format!("the request does not parse: {error}"))?;
    cap_address_space(limits.memory_mib)?;
    let Request { input, policies, .. }: Request<Value, Vec<PolicyModule>> =
        serde_json::from_slice(&request).map_err(|error| format!("the request does not parse: {error}"))?;
    drop(request);

    let mut emit = |event: &Event| -> Result<(), String> {
        let line = serde_json::to_string(event).map_err(|error| format!("cannot encode an event: {error}"))?;
        writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .map_err(|error| format!("cannot write to stdout: {error}"))
    };
    emit(&Event::Ready)?;
    for policy in &policies {
        // A panic inside regorus is a bug there, not a reason to lose the other policies.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| evaluate_one(policy, &input, &limits)))
            .unwrap_or_else(|_| {
                PolicyOutcome::failed(&policy.id, "crashed the evaluator (a panic in regorus)".to_owned())
            });
        emit(&Event::Outcome(outcome))?;
    }
    Ok(())
}

fn cap_address_space(memory_mib: u64) -> Result<(), String> {
    use nix::sys::resource::{Resource, setrlimit};
    let bytes = memory_mib.saturating_mul(1024 * 1024);
    setrlimit(Resource::RLIMIT_AS, bytes, bytes)
        .map_err(|error| format!("cannot set RLIMIT_AS to {memory_mib} MiB: {error}"))
}

fn evaluate_one(policy: &PolicyModule, input: &Value, limits: &Limits) -> PolicyOutcome {
    let mut engine = Engine::new();
    // `print` output would otherwise go to stderr, which the parent reads to explain
    // crashes; gathered prints are simply dropped.
    engine.set_gather_prints(true);
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: Duration::from_millis(limits.time_ms),
        check_interval: std::num::NonZeroU32::MIN,
    });
    let info = match compile::load(&mut engine, &policy.module) {
        Ok(info) => info,
        Err(errors) => {
            let listed: Vec<String> = errors.iter().map(located).collect();
            return PolicyOutcome::failed(&policy.id, format!("does not compile: {}", listed.join("; ")));
        }
    };
    engine.set_input(input.clone());
    let mut outcome = PolicyOutcome { id: policy.id.clone(), deny: Vec::new(), warn: Vec::new(), error: None };
    for (rule, name, messages) in
        [(info.deny_rule(), "deny", &mut outcome.deny), (info.warn_rule(), "warn", &mut outcome.warn)]
    {
        let Some(rule) = rule else { continue };
        let result = engine
            .eval_rule(rule)
            .map_err(|error| evaluation_error(&error, limits))
            .and_then(|value| messages_of(name, &value));
        match result {
            Ok(found) => *messages = found,
            Err(error) => return PolicyOutcome::failed(&policy.id, error),
        }
    }
    outcome
}

fn evaluation_error(error: &anyhow::Error, limits: &Limits) -> String {
    match error.downcast_ref::<LimitError>() {
        Some(LimitError::TimeLimitExceeded { .. }) => time_limit_message(limits),
        Some(LimitError::MemoryLimitExceeded { .. }) => {
            format!("exceeded the memory limit of {} MiB", limits.memory_mib)
        }
        _ => {
            let text = format!("{error:#}");
            if text.contains("\n--> ") {
                format!("evaluation failed: {}", located(&compile::parse_error_text(&text)))
            } else {
                format!("evaluation failed: {}", text.trim())
            }
        }
    }
}

fn located(error: &CompileError) -> String {
    format!("line {}, column {}: {}", error.line, error.column, error.message)
}

/// The strings in a `deny`/`warn` value: a set (partial rule) or an array; undefined means
/// no rule body matched.
fn messages_of(name: &str, value: &Value) -> Result<Vec<String>, String> {
    let items: Vec<&Value> = match value {
        Value::Undefined => return Ok(Vec::new()),
        Value::Set(set) => set.iter().collect(),
        Value::Array(array) => array.iter().collect(),
        other => return Err(format!("`{name}` must be a set of strings, got {}", truncate(&other.to_string(), 200))),
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(text) => Ok(text.to_string()),
            other => Err(format!("`{name}` messages must be strings, got {}", truncate(&other.to_string(), 200))),
        })
        .collect()
}
