//! Deployments end to end through the sandbox executor: create to ACTIVE with
//! outputs, the log streamed in order and resumable, one deployment at a time,
//! cancellation, deletion to DELETED and the retention purge.

use canopy_sdk::DeploymentLog;
use canopy_sdk::proto::canopy::sites::v1::*;
use tonic::Code;
use uuid::Uuid;

use crate::support::{World, new_site, site_reaches, violated_fields, watch, watch_messages};

#[tokio::test]
async fn a_sandbox_site_goes_from_pending_to_active_with_outputs_and_a_resumable_log() {
    let world = World::start().await;
    let customer = world.customer("live").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let created = sites.create_site(new_site("live-shop")).await.unwrap().into_inner();
    let site = created.site.unwrap();
    let deployment = created.deployment.unwrap();
    assert!(matches!(site.status(), SiteStatus::Pending | SiteStatus::Provisioning), "{:?}", site.status());
    assert_eq!(deployment.kind(), DeploymentKind::Create);

    let all = watch(&mut sites, &deployment.id, 0).await;
    let seqs: Vec<i64> = all.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=all.len() as i64).collect::<Vec<_>>(), "events in order, no gaps");
    let statuses: Vec<DeploymentStatus> =
        all.iter().filter(|e| e.kind() == DeploymentEventKind::Status).map(|e| e.status()).collect();
    assert_eq!(statuses.first(), Some(&DeploymentStatus::Queued));
    assert!(statuses.contains(&DeploymentStatus::Running));
    assert_eq!(statuses.last(), Some(&DeploymentStatus::Succeeded));
    assert!(all.iter().any(|e| e.kind() == DeploymentEventKind::Log && e.message.to_lowercase().contains("sandbox")));

    // Resuming after a disconnect: from any seq, exactly the rest, nothing twice.
    let middle = all.len() as i64 / 2;
    let rest = watch(&mut sites, &deployment.id, middle).await;
    assert_eq!(rest.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs[middle as usize..].to_vec());
    // … and with the id of the event held, as the SDKs resume: the same, no reset.
    let held = &all[middle as usize - 1];
    let request =
        WatchDeploymentRequest { deployment_id: deployment.id.clone(), after_seq: middle, after_id: held.id.clone() };
    let resumed = watch_messages(&mut sites, request).await;
    assert!(resumed.iter().all(|m| !m.reset));
    assert_eq!(resumed.into_iter().map(|m| m.event.unwrap()).collect::<Vec<_>>(), all[middle as usize..].to_vec());

    let active = site_reaches(&mut sites, &site.id, SiteStatus::Active).await;
    let outputs = active.outputs.unwrap();
    assert!(outputs.url.starts_with("https://live-shop."), "{outputs:?}");
    assert!(!outputs.public_addresses.is_empty());
    assert!(!outputs.database_endpoint.is_empty(), "database_enabled sites get an endpoint");
    assert!(active.active_deployment_id.is_empty());
}

#[tokio::test]
async fn a_watcher_whose_copy_of_the_log_diverged_is_told_to_reset_and_ends_with_the_stored_log() {
    let world = World::start().await;
    let customer = world.customer("diverged").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let created = sites.create_site(new_site("diverged-shop")).await.unwrap().into_inner();
    let deployment_id = created.deployment.unwrap().id;

    // The watcher's copy: the log as first written, to the end of the deployment.
    let mut copy = DeploymentLog::new();
    for message in watch_messages(&mut sites, copy.resume(&deployment_id)).await {
        assert!(!message.reset);
        copy.apply(message);
    }
    let held = copy.events().to_vec();
    assert!(held.len() >= 6, "{held:?}");
    assert!(held.iter().all(|e| e.id.parse::<Uuid>().is_ok()), "every event carries its write's id");

    // What a confirmed commit the database lost, then a retried attempt, leave behind:
    // from `rewritten` on, another line under the same number, and fewer lines.
    let rewritten = held.len() as i64 / 2 + 1;
    let id: Uuid = deployment_id.parse().unwrap();
    let pool = world.env.superuser_pool().await;
    for statement in [
        "delete from provisioner.deployment_event where deployment_id = $1 and seq > $2",
        "update provisioner.deployment_event set id = gen_random_uuid(), message = 'attempt 2 started'
          where deployment_id = $1 and seq = $2",
        "update provisioner.deployment set last_event_seq = $2 where id = $1",
    ] {
        sqlx::query(statement).bind(id).bind(rewritten).execute(&pool).await.unwrap();
    }
    let stored = watch(&mut sites, &deployment_id, 0).await;
    assert_eq!(stored.len() as i64, rewritten);

    // Resuming from the end of the stale copy: a reset first, then the stored log.
    let messages = watch_messages(&mut sites, copy.resume(&deployment_id)).await;
    assert!(messages[0].reset, "the stream opens with a reset: {:?}", messages[0]);
    assert!(messages[1..].iter().all(|m| !m.reset), "one reset");
    for message in messages {
        copy.apply(message);
    }
    assert_eq!(copy.events(), stored.as_slice(), "the copy is the stored log, stale lines gone");
    assert_eq!(copy.resets(), 1);

    // Held up to the line before the rewrite, which is still stored: no reset, and
    // the rewritten line follows.
    let before = WatchDeploymentRequest {
        deployment_id: deployment_id.clone(),
        after_seq: rewritten - 1,
        after_id: held[rewritten as usize - 2].id.clone(),
    };
    let rest = watch_messages(&mut sites, before).await;
    assert!(rest.iter().all(|m| !m.reset));
    assert_eq!(rest.into_iter().map(|m| m.event.unwrap()).collect::<Vec<_>>(), stored[rewritten as usize - 1..]);

    // Held up to the rewritten number, but the old line: a reset.
    let same_seq_old_line = WatchDeploymentRequest {
        deployment_id: deployment_id.clone(),
        after_seq: rewritten,
        after_id: held[rewritten as usize - 1].id.clone(),
    };
    let again = watch_messages(&mut sites, same_seq_old_line).await;
    assert!(again[0].reset);
    assert_eq!(again.into_iter().map(|m| m.event.unwrap()).collect::<Vec<_>>(), stored);

    // A client resuming by seq alone, beyond the stored log: a reset as well.
    let ahead = WatchDeploymentRequest { deployment_id, after_seq: held.len() as i64, after_id: String::new() };
    assert!(watch_messages(&mut sites, ahead).await[0].reset);
}

#[tokio::test]
async fn a_watch_request_names_every_bad_field_at_once() {
    let world = World::start().await;
    let customer = world.customer("badwatch").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let cases = [
        (
            WatchDeploymentRequest { deployment_id: "nope".into(), after_seq: -1, after_id: "also-nope".into() },
            vec!["after_id", "after_seq", "deployment_id"],
        ),
        (
            WatchDeploymentRequest {
                deployment_id: Uuid::new_v4().to_string(),
                after_seq: 0,
                after_id: Uuid::new_v4().to_string(),
            },
            vec!["after_id"],
        ),
    ];
    for (request, fields) in cases {
        let error = sites.watch_deployment(request.clone()).await.expect_err("refused");
        assert_eq!(error.code(), Code::InvalidArgument, "{request:?}");
        assert_eq!(violated_fields(&error), fields, "{request:?}");
    }
}

#[tokio::test]
async fn a_site_runs_one_deployment_at_a_time() {
    let world = World::start().await;
    let customer = world.customer("busy").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let created = sites.create_site(new_site("busy-shop")).await.unwrap().into_inner();
    let site_id = created.site.unwrap().id;
    let error = sites
        .redeploy_site(RedeploySiteRequest { site_id: site_id.clone(), idempotency_key: "redeploy-now-1".into() })
        .await
        .unwrap_err();
    assert_eq!(error.code(), Code::FailedPrecondition, "{error:?}");
    assert!(error.message().contains("still in progress"), "{error:?}");
    site_reaches(&mut sites, &site_id, SiteStatus::Active).await;
    let redeployed = sites
        .redeploy_site(RedeploySiteRequest { site_id: site_id.clone(), idempotency_key: "redeploy-now-2".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(redeployed.deployment.unwrap().kind(), DeploymentKind::Redeploy);
    site_reaches(&mut sites, &site_id, SiteStatus::Active).await;
    let history =
        sites.list_deployments(ListDeploymentsRequest { site_id, page: None }).await.unwrap().into_inner().deployments;
    assert_eq!(
        history.iter().map(|d| (d.kind(), d.status())).collect::<Vec<_>>(),
        [
            (DeploymentKind::Redeploy, DeploymentStatus::Succeeded),
            (DeploymentKind::Create, DeploymentStatus::Succeeded)
        ]
    );
}

#[tokio::test]
async fn deleting_a_site_destroys_it_frees_its_name_and_the_purge_removes_it_after_the_window() {
    let world = World::start().await;
    let customer = world.customer("gone").await;
    let mut sites = world.sites(&customer.owner_token).await;
    let created = sites.create_site(new_site("gone-shop")).await.unwrap().into_inner();
    let site_id = created.site.unwrap().id;
    site_reaches(&mut sites, &site_id, SiteStatus::Active).await;

    let deleted = sites
        .delete_site(DeleteSiteRequest { site_id: site_id.clone(), idempotency_key: "delete-gone-1".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(deleted.site.unwrap().status(), SiteStatus::Deleting);
    assert_eq!(deleted.deployment.unwrap().kind(), DeploymentKind::Delete);
    let gone = site_reaches(&mut sites, &site_id, SiteStatus::Deleted).await;
    assert!(gone.delete_time.is_some());
    let listed = sites.list_sites(ListSitesRequest::default()).await.unwrap().into_inner();
    assert!(listed.sites.is_empty(), "deleted sites are hidden unless asked for");

    // The name is free again.
    let again = sites.create_site(new_site("gone-shop")).await.unwrap().into_inner();
    assert_ne!(again.site.unwrap().id, site_id);

    // Within the window the deleted site is kept; past it, the purge removes it.
    let kept =
        sites.list_sites(ListSitesRequest { include_deleted: true, ..Default::default() }).await.unwrap().into_inner();
    assert!(kept.sites.iter().any(|s| s.id == site_id));
    world.env.clock.advance(chrono::Duration::days(91));
    let database = canopy_kit::db::Database::connect(&world.env.config.database).await.unwrap();
    use canopy_kit::clock::Clock;
    let purged = canopy_sites::purge_deleted_before(&database, world.env.clock.now(), 90).await.unwrap();
    assert_eq!(purged, 1);
    // (The owner's session expired with the clock jump, so check the table itself.)
    let pool = world.env.superuser_pool().await;
    let left: i64 = sqlx::query_scalar("select count(*) from sites.site where id = $1::uuid")
        .bind(&site_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
