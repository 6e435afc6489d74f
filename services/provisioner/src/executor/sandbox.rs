//! The sandbox executor: no cloud. It plans the resources the real site template
//! declares (`canopy_terraform::plan_site` reads `terraform/sites/<provider>`) and
//! gives the checkpoint the template's Terraform JSON plan (`plan_json_in_module`), then
//! walks them through apply with Terraform-like messages and short pauses, and returns
//! plausible outputs. Every line it logs and every output set it returns is marked
//! sandbox, so nobody mistakes it for real infrastructure.

use std::path::PathBuf;
use std::time::Duration;

use canopy_deployments::model::{DeploymentKind, LogLevel, NewEvent};
use canopy_terraform::PlanAction;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use super::{ExecError, Executor, Job, Outputs, PlanSummary, PlannedChange, RunContext};
use crate::workspace::{SITE_MODULE, site_variables};

/// Prefix of every sandbox log line.
pub const SANDBOX_MARK: &str = "[sandbox]";

/// Walks a site template's resources without a cloud.
#[derive(Debug, Clone)]
pub struct SandboxExecutor {
    /// The `terraform/` directory.
    pub terraform_root: PathBuf,
    /// Pause per simulated step (each resource's apply takes two).
    pub step: Duration,
}

impl Executor for SandboxExecutor {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn execute<'a>(&'a self, job: &'a Job, context: &'a RunContext) -> BoxFuture<'a, Result<Outputs, ExecError>> {
        Box::pin(self.run(job, context))
    }
}

impl SandboxExecutor {
    async fn run(&self, job: &Job, context: &RunContext) -> Result<Outputs, ExecError> {
        let variables = site_variables(job.tenant_id, job.site_id, &job.variables)
            .map_err(|error| ExecError::Failed(error.to_string()))?;
        let planned = canopy_terraform::plan_site(&self.terraform_root, job.provider, &variables)
            .map_err(|error| ExecError::Failed(format!("cannot plan the {} site template: {error}", job.provider)))?;

        let (action, verb_ing, verb_done) = match job.kind {
            DeploymentKind::Create => ("create", "Creating...", "Creation complete"),
            DeploymentKind::Update | DeploymentKind::Redeploy => ("update", "Modifying...", "Modifications complete"),
            DeploymentKind::Delete => ("delete", "Destroying...", "Destruction complete"),
        };
        let mut addresses: Vec<String> =
            planned.iter().map(|resource| format!("module.site.{}", resource.address)).collect();
        if job.kind == DeploymentKind::Delete {
            // Dependents go first when destroying.
            addresses.reverse();
        }
        // The plan policies read: the same document `terraform show -json` gives for the
        // generated root module calling the template as `module "site"`.
        let plan_action = match job.kind {
            DeploymentKind::Create => PlanAction::Create,
            DeploymentKind::Update | DeploymentKind::Redeploy => PlanAction::Update,
            DeploymentKind::Delete => PlanAction::Delete,
        };
        let plan_json = canopy_terraform::plan_json_in_module(
            &self.terraform_root,
            job.provider,
            &variables,
            plan_action,
            SITE_MODULE,
        )
        .map_err(|error| ExecError::Failed(format!("cannot plan the {} site template: {error}", job.provider)))?;
        let summary = PlanSummary {
            add: if action == "create" { addresses.len() } else { 0 },
            change: if action == "update" { addresses.len() } else { 0 },
            remove: if action == "delete" { addresses.len() } else { 0 },
            changes: addresses
                .iter()
                .map(|address| PlannedChange { address: address.clone(), action: action.into() })
                .collect(),
            plan_json,
        };

        let mut plan_lines = vec![line(
            LogLevel::Info,
            format!(
                "sandbox executor: planning {} resources of the {} template, no cloud is called",
                addresses.len(),
                job.provider
            ),
        )];
        plan_lines.extend(addresses.iter().map(|address| line(LogLevel::Info, format!("{address}: Plan to {action}"))));
        plan_lines.push(line(
            LogLevel::Info,
            format!("Plan: {} to add, {} to change, {} to destroy.", summary.add, summary.change, summary.remove),
        ));
        context.log_lines(plan_lines).await?;
        self.pause(context).await?;
        context.check_before_apply(job, &summary).await?;

        for (index, address) in addresses.iter().enumerate() {
            context.log(LogLevel::Info, marked(format!("{address}: {verb_ing}"))).await?;
            self.pause(context).await?;
            let elapsed = self.step.as_secs();
            let done = if job.kind == DeploymentKind::Delete {
                format!("{address}: {verb_done} after {elapsed}s")
            } else {
                format!("{address}: {verb_done} after {elapsed}s [id=sandbox-{}-{index}]", short_id(job))
            };
            context.log(LogLevel::Info, marked(done)).await?;
        }
        let verb = if job.kind == DeploymentKind::Delete { "Destroy" } else { "Apply" };
        context
            .log(
                LogLevel::Info,
                marked(format!(
                    "{verb} complete! Resources: {} added, {} changed, {} destroyed.",
                    summary.add, summary.change, summary.remove
                )),
            )
            .await?;

        let outputs = if job.kind == DeploymentKind::Delete {
            json!({ "sandbox": true })
        } else {
            sandbox_outputs(job, &variables)
        };
        Ok(match outputs {
            Value::Object(map) => map,
            _ => Outputs::new(),
        })
    }

    async fn pause(&self, context: &RunContext) -> Result<(), ExecError> {
        tokio::select! {
            reason = context.stopped() => {
                if reason == super::StopReason::Cancel {
                    // Best effort: the line may be refused if the lease is gone too.
                    let _ = context.log(LogLevel::Warn, marked("interrupt received, stopping".into())).await;
                }
                Err(reason.as_error())
            }
            () = tokio::time::sleep(self.step) => Ok(()),
        }
    }
}

fn line(level: LogLevel, message: String) -> NewEvent {
    NewEvent::log(level, marked(message))
}

fn marked(message: String) -> String {
    format!("{SANDBOX_MARK} {message}")
}

fn short_id(job: &Job) -> String {
    job.site_id.simple().to_string().chars().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect()
}

/// Outputs shaped like the template's, on reserved names and addresses: a
/// `.localhost` URL and TEST-NET-3 (203.0.113.0/24, RFC 5737) addresses.
fn sandbox_outputs(job: &Job, variables: &canopy_terraform::SiteVariables) -> Value {
    let bytes = job.site_id.as_bytes();
    let host = |offset: usize| 1 + (bytes[offset % bytes.len()] as u16 % 254);
    json!({
        "url": format!("https://{}.sandbox.canopy.localhost", variables.name),
        "public_addresses": [format!("203.0.113.{}", host(15)), format!("203.0.113.{}", host(14))],
        "database_endpoint": if variables.database_enabled {
            Value::String(format!("{}-db.sandbox.canopy.localhost:5432", variables.name))
        } else {
            Value::Null
        },
        "storage_bucket": if variables.storage_enabled {
            Value::String(format!("canopy-{}", variables.site_id))
        } else {
            Value::Null
        },
        "sandbox": true,
    })
}
