//! The queue as the sites service uses it: one active deployment per site under
//! concurrent enqueues, cancelling a queued deployment, tenant isolation, keyset paging,
//! and the catalog audit of the schema.

use canopy_deployments::queue::{self, DeploymentKind, DeploymentStatus};
use canopy_kit::db::{Scope, TenantId, audit_catalog};
use uuid::Uuid;

use crate::support::{Harness, new_deployment, next_deployment};

#[tokio::test]
async fn many_concurrent_enqueues_for_one_site_admit_exactly_one() {
    let harness = Harness::new().await;
    let base = new_deployment(DeploymentKind::Create, true);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let db = harness.db.clone();
        let deployment = next_deployment(&base, DeploymentKind::Update);
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin(Scope::Tenant(TenantId(deployment.tenant_id))).await.unwrap();
            let result = queue::enqueue(&mut tx, &deployment).await;
            tx.commit().await.unwrap();
            result.is_ok()
        }));
    }
    let mut admitted = 0;
    for task in tasks {
        admitted += usize::from(task.await.unwrap());
    }
    assert_eq!(admitted, 1);
}

#[tokio::test]
async fn cancelling_a_queued_deployment_ends_it_at_once() {
    let harness = Harness::new().await;
    let deployment = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&deployment).await.unwrap();
    let mut tx = harness.db.begin(Scope::Tenant(TenantId(deployment.tenant_id))).await.unwrap();
    let status = queue::request_cancel(&mut tx, deployment.tenant_id, deployment.deployment_id).await.unwrap();
    assert_eq!(status, Some(DeploymentStatus::Cancelled));
    assert_eq!(queue::request_cancel(&mut tx, deployment.tenant_id, Uuid::new_v4()).await.unwrap(), None);
    tx.commit().await.unwrap();
    let events = harness.events(deployment.tenant_id, deployment.deployment_id).await;
    let statuses: Vec<DeploymentStatus> = events.iter().filter_map(|e| e.status).collect();
    assert_eq!(statuses, [DeploymentStatus::Queued, DeploymentStatus::Cancelled]);
    // The site is free for the next deployment.
    harness.enqueue(&next_deployment(&deployment, DeploymentKind::Create)).await.expect("site free");
}

#[tokio::test]
async fn tenants_see_only_their_own_deployments() {
    let harness = Harness::new().await;
    let mine = new_deployment(DeploymentKind::Create, true);
    let theirs = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&mine).await.unwrap();
    harness.enqueue(&theirs).await.unwrap();

    let mut tx = harness.db.begin(Scope::Tenant(TenantId(mine.tenant_id))).await.unwrap();
    assert!(queue::deployment(&mut tx, theirs.tenant_id, theirs.deployment_id).await.unwrap().is_none());
    assert!(queue::events_after(&mut tx, theirs.tenant_id, theirs.deployment_id, 0, 100).await.unwrap().is_empty());
    assert_eq!(queue::request_cancel(&mut tx, theirs.tenant_id, theirs.deployment_id).await.unwrap(), None);
    let listed = queue::list_deployments(&mut tx, mine.tenant_id, mine.site_id, None, 10).await.unwrap();
    assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), [mine.deployment_id]);
    // Writing another tenant's rows is refused by the policy's WITH CHECK.
    let forged = queue::enqueue(&mut tx, &theirs).await;
    assert!(forged.is_err());
    drop(tx);

    let mut unscoped = harness.db.begin(Scope::Unscoped).await.unwrap();
    assert!(queue::unapplied_outcomes(&mut unscoped, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn listing_pages_newest_first() {
    let harness = Harness::new().await;
    let first = new_deployment(DeploymentKind::Create, true);
    harness.enqueue(&first).await.unwrap();
    let mut ids = vec![first.deployment_id];
    for _ in 0..4 {
        let mut tx = harness.db.begin(Scope::Tenant(TenantId(first.tenant_id))).await.unwrap();
        queue::request_cancel(&mut tx, first.tenant_id, *ids.last().unwrap()).await.unwrap();
        tx.commit().await.unwrap();
        let next = next_deployment(&first, DeploymentKind::Redeploy);
        harness.enqueue(&next).await.unwrap();
        ids.push(next.deployment_id);
    }
    ids.reverse();
    let mut tx = harness.db.begin(Scope::Tenant(TenantId(first.tenant_id))).await.unwrap();
    let page_one = queue::list_deployments(&mut tx, first.tenant_id, first.site_id, None, 3).await.unwrap();
    let last = page_one.last().map(|d| (d.create_time, d.id));
    let page_two = queue::list_deployments(&mut tx, first.tenant_id, first.site_id, last, 3).await.unwrap();
    let listed: Vec<Uuid> = page_one.iter().chain(&page_two).map(|d| d.id).collect();
    assert_eq!(listed, ids);
}

#[tokio::test]
async fn the_catalog_audit_finds_nothing_in_the_provisioner_schema() {
    let harness = Harness::new().await;
    let violations = audit_catalog(&harness.db.owner, "canopy_app", &[]).await.unwrap();
    let ours: Vec<String> = violations
        .iter()
        .filter(|v| v.object.starts_with("provisioner.") || v.object.starts_with("role "))
        .map(|v| v.to_string())
        .collect();
    assert!(ours.is_empty(), "{ours:#?}");
    // Every table of the schema is tenant-owned and so covered by the audit.
    let tables: Vec<(String,)> = sqlx::query_as(
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'provisioner' and c.relkind = 'r' and c.relname <> '_sqlx_migrations'
            and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id')",
    )
    .fetch_all(&harness.db.owner)
    .await
    .unwrap();
    assert!(tables.is_empty(), "tables without tenant_id: {tables:?}");
}
