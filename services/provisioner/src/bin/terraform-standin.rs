//! A stand-in for the `terraform` CLI in tests: it speaks Terraform's documented
//! machine-readable UI (`-json`: one JSON message per line with `@level`, `@message`,
//! `@module`, `@timestamp` and `type`) for `init`, `plan`, `show`, `apply`, `destroy`,
//! `output` and `force-unlock`, creates nothing, and is steered by environment variables:
//!
//! | variable | effect |
//! | --- | --- |
//! | `STANDIN_STEP_MILLIS` | pause between apply events (default 20) |
//! | `STANDIN_RESOURCES` | resources planned (default 3) |
//! | `STANDIN_FAIL_APPLY` | apply fails with this error summary |
//! | `STANDIN_TRANSIENT_FAILURES` | the first N applies fail with a throttling error (count kept in `STANDIN_STATE_DIR`) |
//! | `STANDIN_STATE_DIR` | where counters, the lock and the call log live |
//! | `STANDIN_SIGNAL_FILE` | each signal received is appended (`SIGINT`) |
//! | `STANDIN_IGNORE_SIGINT` | record SIGINT but keep going (to exercise the kill after the grace period) |
//! | `STANDIN_NO_INIT_JSON` | behave like Terraform before 1.9: `init -json` is an unknown flag |
//! | `STANDIN_RECORD_ENV` | comma-separated names: whether each is set goes to the call log |
//!
//! With `STANDIN_STATE_DIR` set, plan and apply take a state lock (`lock.json`) and
//! release it when they finish normally, so a killed apply leaves it behind, as a real
//! backend would.
//!
//! `show -json` prints a full Terraform JSON plan. When `main.tf.json`'s `module "site"`
//! points at a site template under a `terraform/` tree and `terraform.tfvars.json` reads
//! as the site's variables, it is the template's plan from
//! `canopy_terraform::plan_json_in_module`, computed at plan time as Terraform does, so
//! pre-apply checks see the resources and attribute values the template would plan.
//! Otherwise (and for the UI stream and apply either way) the planned resources are the
//! synthetic `standin_resource`s.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::signal::unix::{Signal, SignalKind, signal};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn emit(level: &str, kind: &str, message: &str, extra: Value) {
    let mut line = json!({
        "@level": level,
        "@message": message,
        "@module": "terraform.ui",
        "@timestamp": chrono::Utc::now().to_rfc3339(),
        "type": kind,
    });
    if let (Some(line), Value::Object(extra)) = (line.as_object_mut(), extra) {
        line.extend(extra);
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

fn diagnostic(summary: &str, detail: &str) {
    emit(
        "error",
        "diagnostic",
        &format!("Error: {summary}"),
        json!({
            "diagnostic": { "severity": "error", "summary": summary, "detail": detail }
        }),
    );
}

fn state_dir() -> Option<PathBuf> {
    env("STANDIN_STATE_DIR").map(PathBuf::from)
}

fn append(path: &Path, text: &str) {
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(file, "{text}");
    }
}

fn version() {
    emit("info", "version", "Terraform 1.9.8", json!({ "terraform": "1.9.8", "ui": "1.2" }));
}

/// The planned resource addresses: the template's module call plus `STANDIN_RESOURCES`.
fn resources() -> Vec<String> {
    let count: usize = env("STANDIN_RESOURCES").and_then(|n| n.parse().ok()).unwrap_or(3);
    (0..count).map(|index| format!("module.site.standin_resource.r{index}")).collect()
}

fn take_lock(operation: &str) -> Result<(), ()> {
    let Some(dir) = state_dir() else { return Ok(()) };
    let lock = dir.join("lock.json");
    if let Ok(text) = std::fs::read_to_string(&lock) {
        let held: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let detail = format!(
            "Error message: the state is locked\nLock Info:\n  ID:        {}\n  Path:      standin\n  Operation: {}\n  Who:       standin@test\n  Version:   1.9.8\n  Created:   {}\n  Info:      \n\nTerraform acquires a state lock to protect the state from being written\nby multiple users at the same time.",
            held["id"].as_str().unwrap_or(""),
            held["operation"].as_str().unwrap_or(""),
            held["created"].as_str().unwrap_or(""),
        );
        diagnostic("Error acquiring the state lock", &detail);
        return Err(());
    }
    let created = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.9f +0000 UTC").to_string();
    let info = json!({ "id": uuid::Uuid::new_v4().to_string(), "operation": operation, "created": created });
    let _ = std::fs::write(&lock, info.to_string());
    Ok(())
}

fn release_lock() {
    if let Some(dir) = state_dir() {
        let _ = std::fs::remove_file(dir.join("lock.json"));
    }
}

/// Reads the generated files as Terraform would, refusing anything malformed.
fn read_workspace() -> Result<Value, String> {
    let main: Value = serde_json::from_str(&std::fs::read_to_string("main.tf.json").map_err(|e| e.to_string())?)
        .map_err(|error| format!("main.tf.json: {error}"))?;
    let vars: Value =
        serde_json::from_str(&std::fs::read_to_string("terraform.tfvars.json").map_err(|e| e.to_string())?)
            .map_err(|error| format!("terraform.tfvars.json: {error}"))?;
    if main["module"]["site"]["source"].as_str().is_none() {
        return Err("main.tf.json has no module \"site\" with a source".into());
    }
    Ok(vars)
}

async fn sleep_or_interrupt(interrupt: &mut Option<Signal>, step: Duration) -> bool {
    let Some(interrupt) = interrupt else {
        tokio::time::sleep(step).await;
        return false;
    };
    tokio::select! {
        _ = interrupt.recv() => true,
        () = tokio::time::sleep(step) => false,
    }
}

fn record_signal() {
    if let Some(path) = env("STANDIN_SIGNAL_FILE") {
        append(Path::new(&path), "SIGINT");
    }
}

fn plan(args: &[String]) -> i32 {
    version();
    let vars = match read_workspace() {
        Ok(vars) => vars,
        Err(error) => {
            diagnostic("Invalid configuration", &error);
            return 1;
        }
    };
    if take_lock("OperationTypePlan").is_err() {
        return 1;
    }
    let destroy = args.iter().any(|arg| arg == "-destroy");
    let action = if destroy { "delete" } else { "create" };
    for address in resources() {
        emit(
            "info",
            "planned_change",
            &format!("{address}: Plan to {action}"),
            json!({
                "change": { "resource": { "addr": address, "module": "module.site", "resource": address, "implied_provider": "standin", "resource_type": "standin_resource", "resource_name": "r", "resource_key": null }, "action": action }
            }),
        );
    }
    let count = resources().len();
    let (add, remove) = if destroy { (0, count) } else { (count, 0) };
    emit(
        "info",
        "change_summary",
        &format!("Plan: {add} to add, 0 to change, {remove} to destroy."),
        json!({
            "changes": { "add": add, "change": 0, "import": 0, "remove": remove, "operation": "plan" }
        }),
    );
    let out = args.iter().find_map(|arg| arg.strip_prefix("-out=")).unwrap_or("plan.bin");
    let mut saved = json!({ "destroy": destroy, "resources": resources(), "name": vars["name"] });
    if let Some(document) = template_plan(&vars, destroy) {
        saved["plan_json"] = document;
    }
    release_lock();
    match std::fs::write(out, saved.to_string()) {
        Ok(()) => 0,
        Err(error) => {
            diagnostic("Failed to write plan file", &error.to_string());
            1
        }
    }
}

/// The site template's JSON plan, when the workspace calls a template this build can
/// read and the variables are a site's.
fn template_plan(vars: &Value, destroy: bool) -> Option<Value> {
    let main: Value = serde_json::from_str(&std::fs::read_to_string("main.tf.json").ok()?).ok()?;
    let template = PathBuf::from(main["module"]["site"]["source"].as_str()?);
    let provider: canopy_terraform::CloudProvider = template.file_name()?.to_str()?.parse().ok()?;
    // The template is `<terraform root>/sites/<provider>`.
    let terraform_root = template.parent()?.parent()?;
    let variables: canopy_terraform::SiteVariables = serde_json::from_value(vars.clone()).ok()?;
    let action = if destroy { canopy_terraform::PlanAction::Delete } else { canopy_terraform::PlanAction::Create };
    canopy_terraform::plan_json_in_module(terraform_root, provider, &variables, action, "site").ok()
}

fn show(args: &[String]) -> i32 {
    let Some(file) = args.iter().rev().find(|arg| !arg.starts_with('-')) else {
        eprintln!("show: no plan file");
        return 1;
    };
    let Ok(saved) =
        std::fs::read_to_string(file).map(|text| serde_json::from_str::<Value>(&text).unwrap_or(Value::Null))
    else {
        eprintln!("show: cannot read {file}");
        return 1;
    };
    if saved["plan_json"].is_object() {
        println!("{}", saved["plan_json"]);
        return 0;
    }
    let action = if saved["destroy"].as_bool().unwrap_or(false) { "delete" } else { "create" };
    let changes: Vec<Value> = saved["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|address| json!({ "address": address, "change": { "actions": [action] } }))
        .collect();
    println!("{}", json!({ "format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": changes }));
    0
}

fn outputs_for(name: &str) -> Value {
    json!({
        "url": { "sensitive": false, "type": "string", "value": format!("https://{name}.standin.test") },
        "public_addresses": { "sensitive": false, "type": ["list", "string"], "value": ["198.51.100.7"] },
        "database_endpoint": { "sensitive": false, "type": "string", "value": null },
        "storage_bucket": { "sensitive": false, "type": "string", "value": null },
        "admin_password": { "sensitive": true, "type": "string", "value": "not-for-logs" },
    })
}

async fn apply(args: &[String], destroy_command: bool) -> i32 {
    // Installed first, so a SIGINT at any point of the apply is handled, not fatal.
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    version();
    let step = Duration::from_millis(env("STANDIN_STEP_MILLIS").and_then(|ms| ms.parse().ok()).unwrap_or(20));
    let saved: Value = if destroy_command {
        json!({ "destroy": true, "resources": resources(), "name": read_workspace().map(|v| v["name"].clone()).unwrap_or(Value::Null) })
    } else {
        let file = args.iter().rev().find(|arg| !arg.starts_with('-')).cloned().unwrap_or_else(|| "plan.bin".into());
        match std::fs::read_to_string(&file) {
            Ok(text) => serde_json::from_str(&text).unwrap_or(Value::Null),
            Err(error) => {
                diagnostic("Failed to load plan file", &error.to_string());
                return 1;
            }
        }
    };
    if take_lock("OperationTypeApply").is_err() {
        return 1;
    }
    if let (Some(limit), Some(dir)) =
        (env("STANDIN_TRANSIENT_FAILURES").and_then(|n| n.parse::<u32>().ok()), state_dir())
    {
        let counter = dir.join("transient-failures");
        let so_far: u32 = std::fs::read_to_string(&counter).ok().and_then(|n| n.trim().parse().ok()).unwrap_or(0);
        if so_far < limit {
            let _ = std::fs::write(&counter, (so_far + 1).to_string());
            diagnostic(
                "RequestLimitExceeded: Request limit exceeded.",
                "The cloud API throttled the request; try again later.",
            );
            release_lock();
            return 1;
        }
    }
    let destroy = saved["destroy"].as_bool().unwrap_or(false);
    let (action, starting, done) = if destroy {
        ("delete", "Destroying...", "Destruction complete")
    } else {
        ("create", "Creating...", "Creation complete")
    };
    let ignore_interrupt = env("STANDIN_IGNORE_SIGINT").is_some();
    for address in saved["resources"].as_array().cloned().unwrap_or_default() {
        let address = address.as_str().unwrap_or("unknown").to_owned();
        let resource = json!({ "addr": address, "module": "module.site", "resource": address, "implied_provider": "standin", "resource_type": "standin_resource", "resource_name": "r", "resource_key": null });
        emit(
            "info",
            "apply_start",
            &format!("{address}: {starting}"),
            json!({ "hook": { "resource": resource, "action": action } }),
        );
        if sleep_or_interrupt(&mut interrupt, step).await {
            record_signal();
            if !ignore_interrupt {
                emit(
                    "info",
                    "log",
                    "Interrupt received. Please wait for Terraform to exit or data loss may occur.",
                    json!({}),
                );
                emit("info", "log", "Gracefully shutting down...", json!({}));
                diagnostic("execution halted", "");
                emit(
                    "error",
                    "apply_errored",
                    &format!("{address}: {action} errored after 0s"),
                    json!({ "hook": { "resource": resource, "action": action, "elapsed_seconds": 0 } }),
                );
                release_lock();
                return 1;
            }
            // Keep going as if the signal never came; the caller must kill us.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        emit(
            "info",
            "apply_progress",
            &format!("{address}: Still {}ing... [0s elapsed]", action.trim_end_matches('e')),
            json!({ "hook": { "resource": resource, "action": action, "elapsed_seconds": 0 } }),
        );
        if let Some(summary) = env("STANDIN_FAIL_APPLY") {
            emit(
                "error",
                "apply_errored",
                &format!("{address}: {action} errored after 0s"),
                json!({ "hook": { "resource": resource, "action": action, "elapsed_seconds": 0 } }),
            );
            diagnostic(&summary, "The stand-in was told to fail this apply.");
            release_lock();
            return 1;
        }
        let id = if destroy { String::new() } else { format!(" [id={}]", uuid::Uuid::new_v4().simple()) };
        emit(
            "info",
            "apply_complete",
            &format!("{address}: {done} after 0s{id}"),
            json!({ "hook": { "resource": resource, "action": action, "id_key": "id", "id_value": id.trim(), "elapsed_seconds": 0 } }),
        );
    }
    let count = saved["resources"].as_array().map(Vec::len).unwrap_or(0);
    let (add, remove) = if destroy { (0, count) } else { (count, 0) };
    emit(
        "info",
        "change_summary",
        &format!("Apply complete! Resources: {add} added, 0 changed, {remove} destroyed."),
        json!({
            "changes": { "add": add, "change": 0, "import": 0, "remove": remove, "operation": if destroy { "destroy" } else { "apply" } }
        }),
    );
    let name = saved["name"].as_str().unwrap_or("site").to_owned();
    let outputs = if destroy { json!({}) } else { outputs_for(&name) };
    let _ = std::fs::write("outputs.json", outputs.to_string());
    let count = outputs.as_object().map(|o| o.len()).unwrap_or(0);
    emit("info", "outputs", &format!("Outputs: {count}"), json!({ "outputs": outputs }));
    release_lock();
    0
}

fn force_unlock(args: &[String]) -> i32 {
    let Some(id) = args.iter().rev().find(|arg| !arg.starts_with('-')) else {
        eprintln!("force-unlock: no lock id");
        return 1;
    };
    let Some(dir) = state_dir() else { return 0 };
    let lock = dir.join("lock.json");
    let held = std::fs::read_to_string(&lock).ok().and_then(|text| serde_json::from_str::<Value>(&text).ok());
    match held {
        Some(held) if held["id"].as_str() == Some(id.as_str()) => {
            let _ = std::fs::remove_file(&lock);
            println!("Terraform state has been successfully unlocked!");
            0
        }
        _ => {
            eprintln!("Failed to unlock state: lock id {id:?} does not match the lock held");
            1
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first().cloned() else {
        eprintln!("usage: terraform-standin <command> [args]");
        std::process::exit(1);
    };
    if let Some(dir) = state_dir() {
        let mut record = args.join(" ");
        for name in env("STANDIN_RECORD_ENV").unwrap_or_default().split(',').filter(|n| !n.is_empty()) {
            record.push_str(&format!(" {name}={}", if std::env::var_os(name).is_some() { "set" } else { "unset" }));
        }
        append(&dir.join("calls.log"), &record);
    }
    let rest = &args[1..];
    let code = match command.as_str() {
        "init" => {
            if env("STANDIN_NO_INIT_JSON").is_some() && rest.iter().any(|arg| arg == "-json") {
                eprintln!("flag provided but not defined: -json");
                1
            } else if rest.iter().any(|arg| arg == "-json") {
                version();
                emit(
                    "info",
                    "init_output",
                    "Initializing the backend...",
                    json!({ "message_code": "initializing_backend_message" }),
                );
                emit(
                    "info",
                    "init_output",
                    "Terraform has been successfully initialized!",
                    json!({ "message_code": "output_init_success_message" }),
                );
                0
            } else {
                println!("Initializing the backend...");
                println!("Terraform has been successfully initialized!");
                0
            }
        }
        "plan" => plan(rest),
        "show" => show(rest),
        "apply" => apply(rest, false).await,
        "destroy" => apply(rest, true).await,
        "output" => match std::fs::read_to_string("outputs.json") {
            Ok(text) => {
                println!("{text}");
                0
            }
            Err(_) => {
                println!("{{}}");
                0
            }
        },
        "force-unlock" => force_unlock(rest),
        "version" => {
            println!("Terraform v1.9.8 (stand-in)");
            0
        }
        other => {
            eprintln!("terraform-standin: unknown command {other:?}");
            1
        }
    };
    std::process::exit(code);
}
