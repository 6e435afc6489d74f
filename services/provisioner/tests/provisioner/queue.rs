//! The queue with workers: one active run per site over time, fencing of a vanished
//! worker, stale state locks, NOTIFY wake-ups, outcomes for the sites service and
//! purging, and the hosted service. Enqueue, reads, cancellation of queued runs, tenant
//! isolation and the catalog audit without workers are `canopy-deployments`' tests.

use std::time::Duration;

use canopy_deployments::queue::{self, DeploymentKind, DeploymentStatus, EnqueueError};
use canopy_kit::db::{Scope, TenantId};
use canopy_provisioner::config::ExecutorKind;
use canopy_provisioner::runs::{self, FenceError, Outcome};
use serde_json::json;

use crate::support::{Harness, log_messages, new_deployment, next_deployment};

#[tokio::test]
async fn a_second_deploy_of_a_busy_site_is_refused_and_one_runs_at_a_time() {
    let harness = Harness::new().await;
    let first = new_deployment(DeploymentKind::Create, true);
    let second = next_deployment(&first, DeploymentKind::Update);

    // Both enqueues race in open transactions: the unique index makes the second wait
    // for the first to commit, then refuse.
    let mut tx_first = harness.db.begin(Scope::Tenant(TenantId(first.tenant_id))).await.unwrap();
    queue::enqueue(&mut tx_first, &first).await.expect("first enqueue");
    let db = harness.db.clone();
    let racing = second.clone();
    let second_enqueue = tokio::spawn(async move {
        let mut tx = db.begin(Scope::Tenant(TenantId(racing.tenant_id))).await.unwrap();
        let result = queue::enqueue(&mut tx, &racing).await;
        // The caller's transaction is still usable after a refusal.
        sqlx::query("select 1").execute(&mut *tx).await.expect("transaction still usable");
        tx.commit().await.unwrap();
        result
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tx_first.commit().await.unwrap();
    match second_enqueue.await.unwrap() {
        Err(EnqueueError::SiteBusy { active_deployment_id }) => assert_eq!(active_deployment_id, first.deployment_id),
        other => panic!("expected SiteBusy, got {other:?}"),
    }
    let mut tx = harness.db.begin(Scope::Tenant(TenantId(first.tenant_id))).await.unwrap();
    assert!(
        queue::deployment(&mut tx, first.tenant_id, second.deployment_id).await.unwrap().is_none(),
        "nothing of the refused deployment is left"
    );
    tx.commit().await.unwrap();

    // Once the first has finished the site takes the next one; the two never overlap.
    let pool = harness.pool(harness.config(ExecutorKind::Sandbox)).await;
    let done_first = harness.until_finished(first.tenant_id, first.deployment_id).await;
    harness.enqueue(&second).await.expect("site free again");
    let done_second = harness.until_finished(second.tenant_id, second.deployment_id).await;
    pool.shutdown().await;
    assert_eq!((done_first.status, done_second.status), (DeploymentStatus::Succeeded, DeploymentStatus::Succeeded));
    assert!(done_first.finish_time <= done_second.start_time);
}

#[tokio::test]
async fn a_vanished_workers_run_is_reclaimed_and_its_late_result_is_fenced_off() {
    let harness = Harness::new().await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.unwrap();

    // A worker claims with a 1 s lease, then stops heartbeating (as if killed mid-apply).
    let mut tx = harness.db.begin(Scope::Platform).await.unwrap();
    let ghost =
        runs::claim_next_run(&mut tx, "ghost/0", Duration::from_secs(1), false).await.unwrap().expect("claimed");
    tx.commit().await.unwrap();
    assert_eq!((ghost.attempt, ghost.lease.lease_version), (1, 1));
    // It had taken the state lock when it died, after its attempt started.
    std::fs::write(
        harness.standin.path().join("lock.json"),
        json!({
            "id": "6f1c9a58-7777-4c2e-9d10-000000000001",
            "operation": "OperationTypeApply",
            "created": chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.9f +0000 UTC").to_string(),
        })
        .to_string(),
    )
    .unwrap();

    let pool = harness.pool(harness.standin_config(&[])).await;
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Succeeded, "{row:?}");
    assert_eq!(row.attempt, 2);

    // The dead worker comes back and tries to record its result: fenced off.
    let mut tx = harness.db.begin(Scope::Platform).await.unwrap();
    let late = runs::record_outcome(&mut tx, &ghost.lease, &Outcome::Failed { error: "late".into() }).await;
    assert!(matches!(late, Err(FenceError::LeaseLost)), "{late:?}");
    let late_log =
        runs::append_log(&mut tx, &ghost.lease, &[queue::NewEvent::log(queue::LogLevel::Info, "late line")]).await;
    assert!(matches!(late_log, Err(FenceError::LeaseLost)));
    let renewal = runs::renew_lease(&mut tx, &ghost.lease, Duration::from_secs(60)).await;
    assert!(matches!(renewal, Err(FenceError::LeaseLost)));
    let attempts = runs::run_attempts(&mut tx, deployment.tenant_id, deployment.deployment_id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        harness.deployment(deployment.tenant_id, deployment.deployment_id).await.status,
        DeploymentStatus::Succeeded
    );
    let summary: Vec<(i32, i64, &str)> =
        attempts.iter().map(|a| (a.attempt, a.lease_version, a.outcome.as_str())).collect();
    assert_eq!(summary, [(1, 1, "lease expired"), (2, 2, "succeeded")]);

    let messages = log_messages(&harness.events(deployment.tenant_id, deployment.deployment_id).await);
    assert!(messages.iter().any(|m| m.contains("previous worker's lease expired")), "{messages:#?}");
    assert!(
        messages.iter().any(|m| m.contains("removing state lock 6f1c9a58-7777-4c2e-9d10-000000000001")),
        "{messages:#?}"
    );
    assert!(!messages.iter().any(|m| m == "late line"));
    assert!(harness.standin_calls().contains("force-unlock -force 6f1c9a58-7777-4c2e-9d10-000000000001"));
}

#[tokio::test]
async fn a_lock_held_by_someone_else_is_never_forced() {
    let harness = Harness::new().await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    // A lock from before this run existed: not this run's to remove.
    std::fs::write(
        harness.standin.path().join("lock.json"),
        json!({ "id": "someone-else", "operation": "OperationTypeApply", "created": "2020-01-01 00:00:00.000000000 +0000 UTC" }).to_string(),
    )
    .unwrap();
    harness.enqueue(&deployment).await.unwrap();
    let mut tx = harness.db.begin(Scope::Platform).await.unwrap();
    runs::claim_next_run(&mut tx, "ghost/0", Duration::from_millis(300), false).await.unwrap().expect("claimed");
    tx.commit().await.unwrap();

    let mut config = harness.standin_config(&[]);
    config.max_attempts = 2;
    let pool = harness.pool(config).await;
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Failed);
    assert!(row.error.contains("state lock"), "{}", row.error);
    assert!(!harness.standin_calls().contains("force-unlock"));
    assert!(harness.standin.path().join("lock.json").exists());
}

#[tokio::test]
async fn a_run_whose_workers_keep_vanishing_ends_failed() {
    let harness = Harness::new().await;
    let deployment = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&deployment).await.unwrap();
    for attempt in 1..=3 {
        let mut tx = harness.db.begin(Scope::Platform).await.unwrap();
        let claimed = loop {
            if let Some(claimed) =
                runs::claim_next_run(&mut tx, "ghost/0", Duration::from_millis(50), false).await.unwrap()
            {
                break claimed;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        tx.commit().await.unwrap();
        assert_eq!(claimed.attempt, attempt);
        tokio::time::sleep(Duration::from_millis(60)).await;
    }
    let pool = harness.pool(harness.config(ExecutorKind::Sandbox)).await;
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Failed);
    assert!(row.error.contains("gave up after 3 attempts"), "{}", row.error);
}

#[tokio::test]
async fn notify_wakes_an_idle_worker() {
    let harness = Harness::new().await;
    let mut config = harness.config(ExecutorKind::Sandbox);
    // Polling alone would take five minutes: only the notification can start the run.
    config.poll_secs = 300.0;
    config.lease_secs = 600.0;
    config.workers = 1;
    let pool = harness.pool(config).await;
    // Let the worker go idle (its first look finds nothing).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deployment = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&deployment).await.unwrap();
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;
    assert_eq!(row.status, DeploymentStatus::Succeeded);
}

#[tokio::test]
async fn finished_outcomes_are_handed_to_the_sites_service_once() {
    let harness = Harness::new().await;
    let pool = harness.pool(harness.config(ExecutorKind::Sandbox)).await;
    let deployment = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&deployment).await.unwrap();
    harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    pool.shutdown().await;

    let mut tx = harness.db.begin(Scope::Platform).await.unwrap();
    let unapplied = queue::unapplied_outcomes(&mut tx, 10).await.unwrap();
    assert_eq!(unapplied.iter().map(|d| d.id).collect::<Vec<_>>(), [deployment.deployment_id]);
    assert_eq!(unapplied[0].outputs["url"], json!("https://shop.sandbox.canopy.localhost"));
    queue::mark_outcome_applied(&mut tx, deployment.tenant_id, deployment.deployment_id).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = harness.db.begin(Scope::Platform).await.unwrap();
    assert!(queue::unapplied_outcomes(&mut tx, 10).await.unwrap().is_empty());

    let purged = queue::purge_deleted_site_history(&mut tx, &[deployment.site_id]).await.unwrap();
    assert_eq!(purged, 1);
    tx.commit().await.unwrap();
    let mut tx = harness.db.begin(Scope::Tenant(TenantId(deployment.tenant_id))).await.unwrap();
    assert!(queue::deployment(&mut tx, deployment.tenant_id, deployment.deployment_id).await.unwrap().is_none());
    assert!(
        queue::events_after(&mut tx, deployment.tenant_id, deployment.deployment_id, 0, 10).await.unwrap().is_empty()
    );
}

#[tokio::test]
async fn the_hosted_service_runs_sandbox_deployments() {
    let mut harness = Harness::new().await;
    harness.env.config.set_section_value("provisioner", "sandbox_step_millis", json!(1));
    harness.env.config.set_section_value("provisioner", "workers", json!(1));
    // Alone, without the policy service (whose checkpoint is tested in policy_checks.rs).
    harness.env.config.set_section_value("provisioner", "policy_checks", json!(false));
    let services = harness.env.spawn(&[&canopy_provisioner::MANIFEST]).await;
    let deployment = new_deployment(DeploymentKind::Create, false);
    harness.enqueue(&deployment).await.unwrap();
    let row = harness.until_finished(deployment.tenant_id, deployment.deployment_id).await;
    assert_eq!(row.status, DeploymentStatus::Succeeded);
    assert!(row.sandbox, "with executor = sandbox every deployment is marked sandbox");
    services.shutdown().await;
}
