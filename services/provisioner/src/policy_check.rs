//! The pre-apply checkpoint of a provisioner in Canopy: every plan is priced by the
//! cost service (`crate::cost_estimate`) and goes, with its estimate, to the policy
//! service (`canopy.policy.v1.PlanCheckService.EvaluatePlan`) before it is applied.
//!
//! What the run does with the answer:
//! * passed, or only advisory failures — each warning and advisory denial is logged,
//!   and apply continues;
//! * a hard-mandatory failure — each message is logged, and the run ends FAILED;
//! * soft-mandatory failures — the deployment moves to `awaiting_override` (live, a
//!   status event) and the run waits, keeping its lease, polling the check every
//!   `policy_poll_secs`: overridden → back to `running` and apply; discarded → the run
//!   ends CANCELLED; expired → FAILED. Cancelling the deployment also ends the wait.
//!
//! The policy service being unreachable is a transient failure: the attempt is retried
//! with backoff and nothing is applied without a decision (fail closed).

use std::time::Duration;

use canopy_deployments::model::{DeploymentStatus, LogLevel, NewEvent};
use canopy_kit::peers::Peers;
use canopy_sdk::proto::canopy::policy::v1 as policy;
use canopy_sdk::proto::canopy::policy::v1::plan_check_service_client::PlanCheckServiceClient;
use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::executor::{Checkpoint, ExecError, Job, PlanSummary, PreApplyCheck, RunContext};

/// Asks the policy service about every plan.
pub struct PolicyCheckpoint {
    peers: Peers,
    poll: Duration,
}

impl PolicyCheckpoint {
    pub fn new(peers: Peers, poll: Duration) -> Self {
        Self { peers, poll }
    }

    async fn client(&self) -> Result<PlanCheckServiceClient<canopy_kit::peers::PeerChannel>, ExecError> {
        let channel = self
            .peers
            .channel("policy")
            .await
            .map_err(|error| ExecError::Transient(format!("cannot reach the policy service: {error}")))?;
        Ok(PlanCheckServiceClient::new(channel))
    }

    async fn run_check(&self, job: &Job, plan: &PlanSummary, run: &RunContext) -> Result<Checkpoint, ExecError> {
        let estimate = crate::cost_estimate::estimate(&self.peers, job, plan, run).await?;
        let mut request = evaluate_request(job, plan);
        request.estimate = estimate.as_ref().map(crate::cost_estimate::for_policy);
        let mut client = self.client().await?;
        let check = client
            .evaluate_plan(request)
            .await
            .map_err(|status| {
                ExecError::Transient(format!("the policy service did not check the plan: {}", status.message()))
            })?
            .into_inner()
            .check
            .ok_or_else(|| ExecError::Transient("the policy service answered without a check".into()))?;
        run.log_lines(decision_lines(&check)).await?;
        let mut check = check;
        loop {
            match policy::PolicyCheckState::try_from(check.state).unwrap_or_default() {
                policy::PolicyCheckState::Passed | policy::PolicyCheckState::AdvisoryFailed => {
                    run.log(LogLevel::Info, summary_line(&check)).await?;
                    return Ok(Checkpoint::Allow);
                }
                policy::PolicyCheckState::Refused => {
                    return Ok(Checkpoint::Refuse {
                        reason: failures(&check, policy::EnforcementLevel::HardMandatory),
                    });
                }
                policy::PolicyCheckState::Overridden => {
                    run.log(
                        LogLevel::Warn,
                        format!(
                            "policy check overridden by {}: {}",
                            check.resolved_by,
                            one_line(&check.resolution_reason)
                        ),
                    )
                    .await?;
                    run.set_status(DeploymentStatus::Running, "policy check overridden; applying").await?;
                    return Ok(Checkpoint::Allow);
                }
                policy::PolicyCheckState::Discarded => {
                    let reason = one_line(&check.resolution_reason);
                    let message = if reason.is_empty() {
                        format!("policy check discarded by {}; nothing was applied", check.resolved_by)
                    } else {
                        format!("policy check discarded by {}: {reason}; nothing was applied", check.resolved_by)
                    };
                    run.log(LogLevel::Warn, message).await?;
                    return Err(ExecError::Cancelled);
                }
                policy::PolicyCheckState::Expired => {
                    return Ok(Checkpoint::Refuse {
                        reason: format!(
                            "no override arrived before the wait expired ({})",
                            failures(&check, policy::EnforcementLevel::SoftMandatory)
                        ),
                    });
                }
                policy::PolicyCheckState::AwaitingOverride => {
                    run.set_status(
                        DeploymentStatus::AwaitingOverride,
                        &format!(
                            "waiting for an override of policy check {}: {}",
                            check.id,
                            failures(&check, policy::EnforcementLevel::SoftMandatory)
                        ),
                    )
                    .await?;
                    check = self.wait_for_resolution(job, &check.id, run).await?;
                }
                policy::PolicyCheckState::Unspecified => {
                    return Err(ExecError::Transient("the policy service answered an unknown check state".into()));
                }
            }
        }
    }

    /// Polls the check until it leaves `awaiting_override`, or the run is stopped.
    async fn wait_for_resolution(
        &self,
        job: &Job,
        check_id: &str,
        run: &RunContext,
    ) -> Result<policy::PolicyCheck, ExecError> {
        let mut complained = false;
        loop {
            tokio::select! {
                reason = run.stopped() => return Err(reason.as_error()),
                () = tokio::time::sleep(self.poll) => {}
            }
            let request = policy::GetPlanCheckStateRequest {
                customer_id: job.tenant_id.to_string(),
                check_id: check_id.to_owned(),
            };
            let answer = match self.client().await {
                Ok(mut client) => {
                    client.get_plan_check_state(request).await.map_err(|status| status.message().to_owned())
                }
                Err(error) => Err(error.to_string()),
            };
            match answer {
                Ok(response) => {
                    complained = false;
                    if let Some(check) = response.into_inner().check
                        && check.state != policy::PolicyCheckState::AwaitingOverride as i32
                    {
                        return Ok(check);
                    }
                }
                // The wait survives the policy service restarting: say so once, and
                // keep asking.
                Err(error) if !complained => {
                    complained = true;
                    run.log(LogLevel::Warn, format!("cannot read the policy check, still waiting: {error}")).await?;
                }
                Err(_) => {}
            }
        }
    }
}

impl PreApplyCheck for PolicyCheckpoint {
    fn check<'a>(
        &'a self,
        job: &'a Job,
        plan: &'a PlanSummary,
        run: &'a RunContext,
    ) -> BoxFuture<'a, Result<Checkpoint, ExecError>> {
        Box::pin(self.run_check(job, plan, run))
    }
}

fn evaluate_request(job: &Job, plan: &PlanSummary) -> policy::EvaluatePlanRequest {
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let labels = job
        .labels
        .as_object()
        .map(|labels| {
            labels.iter().filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned()))).collect()
        })
        .unwrap_or_default();
    policy::EvaluatePlanRequest {
        customer_id: job.tenant_id.to_string(),
        site_id: job.site_id.to_string(),
        deployment_id: job.deployment_id.to_string(),
        attempt: job.attempt,
        deployment_kind: job.kind.as_str().to_owned(),
        started_by: Some(policy::Starter {
            kind: text(&job.started_by, "kind"),
            id: text(&job.started_by, "id"),
            role: text(&job.started_by, "role"),
        }),
        provider: job.provider.to_proto() as i32,
        variables_json: job.variables.to_string(),
        labels,
        plan_json: plan.plan_json.to_string(),
        estimate: None,
    }
}

/// One log line per message, denials at the level their enforcement gives them.
fn decision_lines(check: &policy::PolicyCheck) -> Vec<NewEvent> {
    let mut lines = Vec::new();
    for decision in &check.decisions {
        let enforcement = policy::EnforcementLevel::try_from(decision.enforcement).unwrap_or_default();
        let (level, label) = match enforcement {
            policy::EnforcementLevel::HardMandatory => (LogLevel::Error, "hard-mandatory"),
            policy::EnforcementLevel::SoftMandatory => (LogLevel::Error, "soft-mandatory"),
            _ => (LogLevel::Warn, "advisory"),
        };
        let name = &decision.policy_name;
        for message in &decision.deny {
            lines.push(NewEvent::log(level, format!("policy {name} ({label}) denied: {}", one_line(message))));
        }
        if !decision.error.is_empty() {
            lines.push(NewEvent::log(
                level,
                format!("policy {name} ({label}) could not be evaluated: {}", one_line(&decision.error)),
            ));
        }
        for message in &decision.warn {
            lines.push(NewEvent::log(LogLevel::Warn, format!("policy {name} warns: {}", one_line(message))));
        }
    }
    lines
}

fn summary_line(check: &policy::PolicyCheck) -> String {
    let failed = check.decisions.iter().filter(|d| !d.deny.is_empty() || !d.error.is_empty()).count();
    match (check.decisions.len(), failed) {
        (0, _) => "policy check: no policy applies to this site".into(),
        (total, 0) => format!("policy check passed: {total} policies evaluated"),
        (total, failed) => {
            format!("policy check passed with advisory failures: {failed} of {total} policies failed; applying")
        }
    }
}

/// The failing policies of one level, with their messages, on one line.
fn failures(check: &policy::PolicyCheck, level: policy::EnforcementLevel) -> String {
    let mut parts = Vec::new();
    for decision in check.decisions.iter().filter(|d| d.enforcement == level as i32) {
        let mut messages: Vec<String> = decision.deny.iter().map(|m| one_line(m)).collect();
        if !decision.error.is_empty() {
            messages.push(format!("could not be evaluated: {}", one_line(&decision.error)));
        }
        if !messages.is_empty() {
            parts.push(format!("policy {} denied: {}", decision.policy_name, messages.join("; ")));
        }
    }
    if parts.is_empty() { "a policy denied the plan".into() } else { parts.join(" | ") }
}

/// Messages are written by policy authors: one line each in the log.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
