//! The Terraform executor against the stand-in: success with outputs and an ordered log,
//! failures, retries, cancellation with SIGINT, and old Terraform without `init -json`.

use std::sync::Arc;

use canopy_deployments::queue::{DeploymentKind, DeploymentStatus, EventKind};
use canopy_provisioner::config::Secret;
use canopy_provisioner::executor::{Checkpoint, ExecError, Job, PlanSummary, PreApplyCheck, RunContext};
use futures_util::future::BoxFuture;
use serde_json::json;

use crate::support::{Harness, log_messages, new_deployment, next_deployment};

#[tokio::test]
async fn a_create_runs_to_succeeded_with_outputs_and_an_ordered_log() {
    let harness = Harness::new().await;
    let mut config = harness.standin_config(&[("STANDIN_RECORD_ENV", "AWS_SECRET_ACCESS_KEY,DATABASE_URL")]);
    config.environment.insert("AWS_SECRET_ACCESS_KEY".into(), Secret::new("s3cr3t"));
    let pool = harness.pool(config).await;

    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.expect("enqueue");
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;

    assert_eq!(row.status, DeploymentStatus::Succeeded, "{row:?}");
    assert!(!row.sandbox);
    assert_eq!(row.outputs["url"], json!("https://shop.standin.test"));
    assert_eq!(row.outputs["public_addresses"], json!(["198.51.100.7"]));
    assert!(row.outputs.get("admin_password").is_none(), "sensitive outputs are not stored: {}", row.outputs);
    assert!(row.start_time.is_some() && row.finish_time.is_some());

    let events = harness.events(deployment.tenant_id, deployment.deployment_id).await;
    let seqs: Vec<i64> = events.iter().map(|event| event.seq).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>(), "seq is dense from 1");
    let statuses: Vec<DeploymentStatus> = events.iter().filter_map(|event| event.status).collect();
    assert_eq!(statuses, [DeploymentStatus::Queued, DeploymentStatus::Running, DeploymentStatus::Succeeded]);
    let messages = log_messages(&events);
    let position = |needle: &str| {
        messages.iter().position(|m| m.contains(needle)).unwrap_or_else(|| panic!("no {needle:?} in {messages:#?}"))
    };
    assert!(position("Terraform has been successfully initialized") < position("Plan to create"));
    assert!(position("Plan: 3 to add") < position("r0: Creating..."));
    assert!(position("r0: Creating...") < position("r0: Creation complete"));
    assert!(position("r0: Creation complete") < position("r2: Creation complete"));
    assert!(position("Apply complete!") < position("Outputs: 5"));
    assert!(position("output admin_password is sensitive") > position("Outputs: 5"));
    assert!(!messages.iter().any(|m| m.contains("not-for-logs")), "sensitive values never reach the log");
    assert!(events.iter().filter(|e| e.kind == EventKind::Log).all(|e| e.status.is_none()));

    // Resuming after a disconnect: everything after a seen sequence number, in order.
    let mut tx =
        harness.db.begin(canopy_kit::db::Scope::Tenant(canopy_kit::db::TenantId(deployment.tenant_id))).await.unwrap();
    let rest =
        canopy_deployments::queue::events_after(&mut tx, deployment.tenant_id, deployment.deployment_id, 3, 1000)
            .await
            .unwrap();
    assert_eq!(rest.first().map(|e| e.seq), Some(4));
    assert_eq!(rest.len(), events.len() - 3);

    // The commands Terraform was given, and credentials only through the environment.
    let calls = harness.standin_calls();
    let commands: Vec<&str> = calls.lines().filter_map(|line| line.split(' ').next()).collect();
    assert_eq!(commands, ["init", "plan", "show", "apply"], "{calls}");
    assert!(calls.contains("plan -input=false -no-color -json -out=plan.bin"), "{calls}");
    assert!(calls.contains("AWS_SECRET_ACCESS_KEY=set"), "{calls}");
    assert!(calls.contains("DATABASE_URL=unset"), "canopyd's own environment is not inherited: {calls}");
}

#[tokio::test]
async fn a_failing_apply_ends_failed_with_the_error_in_the_log() {
    let harness = Harness::new().await;
    let pool = harness
        .pool(harness.standin_config(&[("STANDIN_FAIL_APPLY", "creating ECS service: InvalidParameterException")]))
        .await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.expect("enqueue");
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;

    assert_eq!(row.status, DeploymentStatus::Failed);
    assert!(row.error.contains("InvalidParameterException"), "{}", row.error);
    assert_eq!(row.attempt, 1, "a permanent failure is not retried");
    let events = harness.events(deployment.tenant_id, deployment.deployment_id).await;
    assert!(
        events.iter().any(|e| e.level == "error" && e.message.contains("Error: creating ECS service")),
        "{:#?}",
        log_messages(&events)
    );
    assert_eq!(events.last().and_then(|e| e.status), Some(DeploymentStatus::Failed));
}

#[tokio::test]
async fn a_transient_failure_is_retried_then_succeeds() {
    let harness = Harness::new().await;
    let pool = harness.pool(harness.standin_config(&[("STANDIN_TRANSIENT_FAILURES", "2")])).await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.expect("enqueue");
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;

    assert_eq!(row.status, DeploymentStatus::Succeeded, "{row:?}");
    assert_eq!(row.attempt, 3);
    let messages = log_messages(&harness.events(deployment.tenant_id, deployment.deployment_id).await);
    let retries: Vec<&String> = messages.iter().filter(|m| m.contains("failed") && m.contains("retrying in")).collect();
    assert_eq!(retries.len(), 2, "{messages:#?}");
    assert!(retries[0].contains("RequestLimitExceeded") && retries[0].contains("retrying in 100ms"), "{}", retries[0]);
    assert!(retries[1].contains("retrying in 200ms"), "backoff doubles: {}", retries[1]);
}

#[tokio::test]
async fn transient_failures_past_max_attempts_end_failed() {
    let harness = Harness::new().await;
    let pool = harness.pool(harness.standin_config(&[("STANDIN_TRANSIENT_FAILURES", "10")])).await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.expect("enqueue");
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Failed);
    assert_eq!(row.attempt, 3);
    assert!(row.error.contains("after 3 attempts"), "{}", row.error);
}

#[tokio::test]
async fn cancel_sends_sigint_and_ends_cancelled() {
    let harness = Harness::new().await;
    let pool =
        harness.pool(harness.standin_config(&[("STANDIN_STEP_MILLIS", "500"), ("STANDIN_RESOURCES", "20")])).await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.expect("enqueue");
    // Wait until apply is under way.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !log_messages(&harness.events(deployment.tenant_id, deployment.deployment_id).await)
        .iter()
        .any(|m| m.contains("Creating..."))
    {
        assert!(std::time::Instant::now() < deadline, "apply never started");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut tx =
        harness.db.begin(canopy_kit::db::Scope::Tenant(canopy_kit::db::TenantId(deployment.tenant_id))).await.unwrap();
    let status = canopy_deployments::queue::request_cancel(&mut tx, deployment.tenant_id, deployment.deployment_id)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(status, Some(DeploymentStatus::Running));

    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Cancelled, "{row:?}");
    assert!(row.cancel_requested);
    let signals = std::fs::read_to_string(harness.signal_file()).unwrap_or_default();
    assert_eq!(signals.trim(), "SIGINT", "terraform received SIGINT");
    let messages = log_messages(&harness.events(deployment.tenant_id, deployment.deployment_id).await);
    assert!(
        messages.iter().any(|m| m.contains("Interrupt received")),
        "terraform's own interrupt output is logged: {messages:#?}"
    );
}

#[tokio::test]
async fn terraform_ignoring_sigint_is_killed_after_the_grace_period() {
    let harness = Harness::new().await;
    let pool =
        harness.pool(harness.standin_config(&[("STANDIN_STEP_MILLIS", "300"), ("STANDIN_IGNORE_SIGINT", "1")])).await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.expect("enqueue");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !log_messages(&harness.events(deployment.tenant_id, deployment.deployment_id).await)
        .iter()
        .any(|m| m.contains("Creating..."))
    {
        assert!(std::time::Instant::now() < deadline, "apply never started");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut tx =
        harness.db.begin(canopy_kit::db::Scope::Tenant(canopy_kit::db::TenantId(deployment.tenant_id))).await.unwrap();
    canopy_deployments::queue::request_cancel(&mut tx, deployment.tenant_id, deployment.deployment_id).await.unwrap();
    tx.commit().await.unwrap();
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Cancelled);
    assert_eq!(std::fs::read_to_string(harness.signal_file()).unwrap_or_default().trim(), "SIGINT");
}

#[tokio::test]
async fn terraform_without_init_json_is_initialised_with_plain_output() {
    let harness = Harness::new().await;
    let pool = harness.pool(harness.standin_config(&[("STANDIN_NO_INIT_JSON", "1")])).await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.expect("enqueue");
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Succeeded, "{row:?}");
    let messages = log_messages(&harness.events(deployment.tenant_id, deployment.deployment_id).await);
    assert!(messages.iter().any(|m| m == "Terraform has been successfully initialized!"), "{messages:#?}");
}

#[tokio::test]
async fn a_delete_plans_a_destroy_and_applies_it() {
    let harness = Harness::new().await;
    let pool = harness.pool(harness.standin_config(&[])).await;
    let create = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&create).await.expect("enqueue");
    harness.until_finished(create.tenant_id, create.deployment_id).await;
    let delete = next_deployment(&create, DeploymentKind::Delete);
    harness.enqueue(&delete).await.expect("the site is free again once its deployment ended");
    let row = harness.until_finished(delete.tenant_id, delete.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Succeeded);
    assert!(harness.standin_calls().contains("-out=plan.bin -destroy"));
    let messages = log_messages(&harness.events(delete.tenant_id, delete.deployment_id).await);
    assert!(messages.iter().any(|m| m.contains("r0: Destruction complete")), "{messages:#?}");
}

/// A policy on the JSON plan: databases must be at least `db.t4g.small`.
struct MinimumDatabaseClass;

impl PreApplyCheck for MinimumDatabaseClass {
    fn check<'a>(
        &'a self,
        _job: &'a Job,
        plan: &'a PlanSummary,
        _run: &'a RunContext,
    ) -> BoxFuture<'a, Result<Checkpoint, ExecError>> {
        let too_small: Vec<String> = plan.plan_json["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|change| change["type"] == "aws_db_instance")
            .filter(|change| change["change"]["after"]["instance_class"] == "db.t4g.micro")
            .filter_map(|change| change["address"].as_str().map(str::to_owned))
            .collect();
        Box::pin(async move {
            if too_small.is_empty() {
                Ok(Checkpoint::Allow)
            } else {
                Ok(Checkpoint::Refuse {
                    reason: format!("policy min-db-class: {} is db.t4g.micro", too_small.join(", ")),
                })
            }
        })
    }
}

#[tokio::test]
async fn policies_read_attribute_values_from_the_json_plan_terraform_shows() {
    let harness = Harness::new().await;
    let pool = harness.pool_with_check(harness.standin_config(&[]), Arc::new(MinimumDatabaseClass)).await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.expect("enqueue");
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Failed, "{row:?}");
    assert!(
        row.error.contains("policy min-db-class: module.site.module.database[0].aws_db_instance.this is db.t4g.micro"),
        "{}",
        row.error
    );
    let calls = harness.standin_calls();
    let commands: Vec<&str> = calls.lines().filter_map(|line| line.split(' ').next()).collect();
    assert_eq!(commands, ["init", "plan", "show"], "refused before apply: {calls}");
}
