//! The sandbox executor end to end: it plans the resources the real AWS template
//! declares, walks them through apply, and marks everything it produces as sandbox.

use std::collections::BTreeSet;
use std::sync::Arc;

use canopy_deployments::queue::{DeploymentKind, DeploymentStatus};
use canopy_provisioner::config::ExecutorKind;
use canopy_provisioner::executor::{Checkpoint, ExecError, Job, PlanSummary, PreApplyCheck, RunContext};
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use crate::support::{Harness, log_messages, new_deployment, next_deployment};

#[tokio::test]
async fn a_sandbox_site_is_created_and_destroyed_from_the_real_aws_template() {
    let harness = Harness::new().await;
    let pool = harness.pool(harness.config(ExecutorKind::Terraform)).await;
    let create = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&create).await.unwrap();
    let row = harness.until_finished(create.tenant_id, create.deployment_id).await;
    assert_eq!(row.status, DeploymentStatus::Succeeded, "{row:?}");
    assert!(row.sandbox);
    assert_eq!(row.outputs["url"], json!("https://shop.sandbox.canopy.localhost"));
    assert_eq!(row.outputs["sandbox"], json!(true));
    assert_eq!(row.outputs["storage_bucket"], json!(null));
    assert_eq!(row.outputs["database_endpoint"], json!("shop-db.sandbox.canopy.localhost:5432"));
    let addresses = row.outputs["public_addresses"].as_array().cloned().unwrap_or_default();
    assert!(!addresses.is_empty() && addresses.iter().all(|a| a.as_str().is_some_and(|a| a.starts_with("203.0.113."))));

    let events = harness.events(create.tenant_id, create.deployment_id).await;
    let logs: Vec<_> = events.iter().filter(|e| e.status.is_none()).collect();
    assert!(
        logs.iter().filter(|e| !e.message.starts_with("attempt ")).all(|e| e.message.starts_with("[sandbox] ")),
        "{:#?}",
        log_messages(&events)
    );
    let messages = log_messages(&events);
    // Resources of the real template: the database exists because database_enabled is true.
    for address in ["module.site.module.network.aws_vpc.this", "module.site.module.database[0].aws_db_instance.this"] {
        assert!(
            messages.iter().any(|m| m == &format!("[sandbox] {address}: Plan to create")),
            "{address} in {messages:#?}"
        );
        assert!(
            messages.iter().any(|m| m.starts_with(&format!("[sandbox] {address}: Creation complete"))),
            "{address}"
        );
    }
    assert!(!messages.iter().any(|m| m.contains("module.storage")), "storage is off");
    assert!(events.iter().any(|e| e.message == "running in the sandbox (no cloud resources)"));
    let planned = messages.iter().filter(|m| m.ends_with("Plan to create")).count();

    let delete = next_deployment(&create, DeploymentKind::Delete);
    harness.enqueue(&delete).await.unwrap();
    let row = harness.until_finished(delete.tenant_id, delete.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Succeeded);
    let messages = log_messages(&harness.events(delete.tenant_id, delete.deployment_id).await);
    assert_eq!(messages.iter().filter(|m| m.ends_with("Plan to delete")).count(), planned, "destroys what it created");
    assert!(
        messages
            .iter()
            .any(|m| m.contains(&format!("Destroy complete! Resources: 0 added, 0 changed, {planned} destroyed.")))
    );
}

struct RefuseDatabases;

impl PreApplyCheck for RefuseDatabases {
    fn check<'a>(
        &'a self,
        _job: &'a Job,
        plan: &'a PlanSummary,
        _run: &'a RunContext,
    ) -> BoxFuture<'a, Result<Checkpoint, ExecError>> {
        Box::pin(async move {
            if plan.changes.iter().any(|change| change.address.contains("aws_db_instance")) {
                Ok(Checkpoint::Refuse { reason: "policy no-databases forbids aws_db_instance".into() })
            } else {
                Ok(Checkpoint::Allow)
            }
        })
    }
}

#[tokio::test]
async fn the_pre_apply_checkpoint_can_refuse_a_plan() {
    let harness = Harness::new().await;
    let pool = harness.pool_with_check(harness.config(ExecutorKind::Sandbox), Arc::new(RefuseDatabases)).await;
    let deployment = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&deployment).await.unwrap();
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Failed);
    assert!(row.error.contains("policy no-databases forbids aws_db_instance"), "{}", row.error);
    let messages = log_messages(&harness.events(deployment.tenant_id, deployment.deployment_id).await);
    assert!(
        messages.iter().any(|m| m == "pre-apply check refused the plan: policy no-databases forbids aws_db_instance")
    );
    assert!(!messages.iter().any(|m| m.contains("Creating...")), "nothing was applied");
}

#[tokio::test]
async fn variables_for_another_site_are_refused() {
    let harness = Harness::new().await;
    let pool = harness.pool(harness.config(ExecutorKind::Sandbox)).await;
    let mut deployment = new_deployment(DeploymentKind::Create, true);
    deployment.variables["site_id"] = json!(uuid::Uuid::new_v4().to_string());
    harness.enqueue(&deployment).await.unwrap();
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Failed);
    assert!(row.error.contains("but the deployment is for site"), "{}", row.error);
}

/// Keeps every plan the checkpoint is shown.
#[derive(Default, Clone)]
struct RecordPlans(Arc<std::sync::Mutex<Vec<PlanSummary>>>);

impl PreApplyCheck for RecordPlans {
    fn check<'a>(
        &'a self,
        _job: &'a Job,
        plan: &'a PlanSummary,
        _run: &'a RunContext,
    ) -> BoxFuture<'a, Result<Checkpoint, ExecError>> {
        if let Ok(mut plans) = self.0.lock() {
            plans.push(plan.clone());
        }
        Box::pin(async { Ok(Checkpoint::Allow) })
    }
}

fn resource_change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    plan["resource_changes"]
        .as_array()
        .and_then(|changes| changes.iter().find(|change| change["address"] == address))
        .unwrap_or_else(|| panic!("{address} is not in the plan"))
}

#[tokio::test]
async fn the_checkpoint_sees_the_templates_terraform_json_plan() {
    let harness = Harness::new().await;
    let recorded = RecordPlans::default();
    let pool = harness.pool_with_check(harness.config(ExecutorKind::Sandbox), Arc::new(recorded.clone())).await;
    let create = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&create).await.unwrap();
    assert_eq!(
        harness.until_finished(create.tenant_id, create.deployment_id).await.status,
        DeploymentStatus::Succeeded
    );
    let delete = next_deployment(&create, DeploymentKind::Delete);
    harness.enqueue(&delete).await.unwrap();
    assert_eq!(
        harness.until_finished(delete.tenant_id, delete.deployment_id).await.status,
        DeploymentStatus::Succeeded
    );
    pool.shutdown().await;

    let plans = recorded.0.lock().map(|plans| plans.clone()).unwrap_or_default();
    assert_eq!(plans.len(), 2);
    let (created, deleted) = (&plans[0], &plans[1]);
    let document = &created.plan_json;
    assert_eq!(document["format_version"], "1.2");
    let planned: BTreeSet<&str> = document["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .filter_map(|change| change["address"].as_str())
        .collect();
    let summarized: BTreeSet<&str> = created.changes.iter().map(|change| change.address.as_str()).collect();
    assert_eq!(planned, summarized, "the document lists what the sandbox applies");

    // What a policy reads: the values the template configures for this site.
    let database = &resource_change(document, "module.site.module.database[0].aws_db_instance.this")["change"];
    assert_eq!(database["actions"], json!(["create"]));
    assert_eq!(database["after"]["instance_class"], "db.t4g.micro", "a small site");
    assert_eq!(database["after"]["storage_encrypted"], true);
    assert_eq!(database["after"]["publicly_accessible"], false);
    assert_eq!(database["after"]["tags"]["canopy_site_id"], json!(create.site_id.to_string()));
    assert_eq!(database["after"]["tags"]["canopy_customer_id"], json!(create.tenant_id.to_string()));
    assert_eq!(database["after_unknown"]["vpc_security_group_ids"], true);
    let listener = &resource_change(document, "module.site.module.compute.aws_lb_listener.http")["change"]["after"];
    assert_eq!((listener["port"].clone(), listener["protocol"].clone()), (json!(80), json!("HTTP")));
    assert_eq!(document["variables"]["region"]["value"], "us-east-1");

    let database =
        &resource_change(&deleted.plan_json, "module.site.module.database[0].aws_db_instance.this")["change"];
    assert_eq!(database["actions"], json!(["delete"]));
    assert_eq!(database["before"]["instance_class"], "db.t4g.micro");
    assert_eq!(database["after"], Value::Null);
}
