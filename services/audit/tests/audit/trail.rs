//! What the trail holds and who may read it.

use std::time::Duration;

use canopy_sdk::proto::canopy::audit::v1 as audit;
use canopy_sdk::proto::canopy::audit::v1::audit_ingest_service_client::AuditIngestServiceClient;
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::options::v1::Role;
use tonic::Code;

use crate::support::{World, filter_customer};

const CREATE_API_KEY: &str = "/canopy.identity.v1.ApiKeyService/CreateApiKey";

fn name_of(event: &audit::AuditEvent) -> String {
    let summary: serde_json::Value = serde_json::from_str(&event.record.as_ref().unwrap().summary_json).unwrap();
    summary["name"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn records_made_while_audit_is_down_arrive_after_it_starts_in_order_and_once() {
    let mut world = World::start().await;
    let stopped = world.services.services.remove("audit").unwrap();
    let addr = stopped.addr;
    stopped.stop().await;

    for n in 1..=5 {
        world.make_change(&world.a.token, &format!("key-{n}")).await;
    }
    // Committed with the changes, waiting in identity's outbox.
    let pool = world.env.superuser_pool().await;
    let waiting: i64 = sqlx::query_scalar("select count(*) from identity.audit_outbox where record->>'action' = $1")
        .bind(CREATE_API_KEY)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(waiting, 5, "the records wait in the outbox while audit is down");
    tokio::time::sleep(Duration::from_secs(1)).await;

    let restarted = world.services.runtime.start(&canopy_audit::MANIFEST, &[], addr).await.unwrap();
    world.services.services.insert("audit", restarted);
    let filter = audit::AuditFilter { action: CREATE_API_KEY.into(), ..filter_customer(&world.a.id) };
    let mut events = world.wait_for(filter.clone(), 5).await;
    events.reverse();
    let names: Vec<String> = events.iter().map(name_of).collect();
    assert_eq!(names, ["key-1", "key-2", "key-3", "key-4", "key-5"], "in the order the changes were made");
    let sequences: Vec<i64> = events.iter().map(|e| e.sequence).collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");

    // A batch shipped again (an acknowledgement lost on the way) appends nothing.
    let records: Vec<audit::AuditRecord> = events.iter().map(|e| e.record.clone().unwrap()).collect();
    let identity_workload = world.services.client("audit", "identity").await;
    let replay = AuditIngestServiceClient::new(identity_workload.channel())
        .append_audit_records(audit::AppendAuditRecordsRequest { records })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay.appended, 0);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(world.events(&world.admin, filter).await.len(), 5, "none twice");
    let left: i64 = sqlx::query_scalar("select count(*) from identity.audit_outbox where outcome_code is not null")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "shipped records leave the outbox");
}

#[tokio::test]
async fn a_record_says_who_did_what_from_where_and_how_it_ended_without_secrets() {
    let world = World::start().await;
    let key_id = world.make_change(&world.a.token, "deploy-bot").await;
    // Refused by validation: nothing is created, the attempt is recorded.
    let canopy = world.client("identity", &world.a.token).await;
    let refused =
        canopy_sdk::proto::canopy::identity::v1::api_key_service_client::ApiKeyServiceClient::with_interceptor(
            canopy.channel(),
            canopy.interceptor(),
        )
        .create_api_key(identity::CreateApiKeyRequest {
            name: String::new(),
            role: Role::Viewer as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    // A secret in a request, and a sign-in with a wrong password.
    let marker = "Sensitive-Marker-7f3a9c";
    let own_identity = world.client("identity", &world.b.token).await;
    let wrong = AuthServiceClient::with_interceptor(own_identity.channel(), own_identity.interceptor())
        .change_password(identity::ChangePasswordRequest {
            current_password: marker.into(),
            new_password: format!("{marker} new password"),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_ne!(wrong.code(), Code::Ok);
    let sign_in = AuthServiceClient::new(world.services.client("identity", "gateway").await.channel())
        .login(identity::LoginRequest { email: "owner@alpha.test".into(), password: marker.into() })
        .await;
    assert!(sign_in.is_err() || sign_in.unwrap().into_inner().result.is_none());

    let filter = audit::AuditFilter { action: CREATE_API_KEY.into(), ..filter_customer(&world.a.id) };
    let events = world.wait_for(filter, 2).await;
    let ok = events.iter().find(|e| e.record.as_ref().unwrap().outcome.as_ref().unwrap().code == "OK").unwrap();
    let record = ok.record.as_ref().unwrap();
    let actor = record.actor.as_ref().unwrap();
    assert_eq!(
        (actor.kind(), actor.id.as_str(), actor.role.as_str()),
        (audit::ActorKind::User, world.a.owner_id.as_str(), "owner")
    );
    assert_eq!(record.customer_id, world.a.id);
    assert_eq!(record.service, "identity");
    assert_eq!(record.origin_address, "127.0.0.1");
    assert!(record.user_agent.contains("tonic"), "{:?}", record.user_agent);
    assert_eq!(record.trace_id.len(), 32);
    assert_eq!(name_of(ok), "deploy-bot");
    let refused =
        events.iter().find(|e| e.record.as_ref().unwrap().outcome.as_ref().unwrap().code == "INVALID_ARGUMENT");
    assert!(refused.is_some(), "the refused call is recorded: {events:#?}");
    let _ = key_id;

    let change = world
        .wait_for(
            audit::AuditFilter {
                action: "/canopy.identity.v1.AuthService/ChangePassword".into(),
                ..filter_customer(&world.b.id)
            },
            1,
        )
        .await;
    assert_ne!(change[0].record.as_ref().unwrap().outcome.as_ref().unwrap().code, "OK");
    let failed =
        world.wait_for(audit::AuditFilter { action: "security.sign_in_failed".into(), ..Default::default() }, 1).await;
    assert_eq!(failed[0].record.as_ref().unwrap().kind(), audit::EventKind::Security);

    // No secret anywhere in the trail or the outboxes.
    let pool = world.env.superuser_pool().await;
    let everything = world.export(&world.admin, audit::AuditFilter::default(), audit::ExportFormat::JsonLines).await;
    assert!(!everything.contains(marker), "a secret reached the trail");
    for table in ["identity.audit_outbox", "tenancy.audit_outbox", "audit.audit_outbox", "audit.entry"] {
        let leaked: i64 =
            sqlx::query_scalar(&format!("select count(*) from {table} t where t::text like '%' || $1 || '%'"))
                .bind(marker)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(leaked, 0, "{table} holds a secret");
    }
}

#[tokio::test]
async fn reads_leave_no_record() {
    let world = World::start().await;
    world.make_change(&world.a.token, "marker-change").await;
    let filter = filter_customer(&world.a.id);
    world.wait_for(audit::AuditFilter { action: CREATE_API_KEY.into(), ..filter.clone() }, 1).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before = world.events(&world.admin, filter.clone()).await.len();
    for _ in 0..3 {
        world.users(&world.a.token).await.list_users(identity::ListUsersRequest::default()).await.unwrap();
        world.events(&world.a.token, filter.clone()).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(world.events(&world.admin, filter).await.len(), before);
}

#[tokio::test]
async fn an_owner_reads_only_their_own_trail_through_every_filter() {
    let world = World::start().await;
    world.make_change(&world.a.token, "alpha-key").await;
    let b_key = world.make_change(&world.b.token, "bravo-key").await;
    world.wait_for(audit::AuditFilter { action: CREATE_API_KEY.into(), ..filter_customer(&world.b.id) }, 1).await;
    world.wait_for(audit::AuditFilter { action: CREATE_API_KEY.into(), ..filter_customer(&world.a.id) }, 1).await;

    // Naming B's customer is the same "not found" a random id gets.
    let mut client = world.audit(&world.a.token).await;
    for customer in [world.b.id.clone(), uuid::Uuid::new_v4().to_string()] {
        let status = client
            .list_audit_events(audit::ListAuditEventsRequest { filter: Some(filter_customer(&customer)), page: None })
            .await
            .unwrap_err();
        assert_eq!((status.code(), status.message()), (Code::NotFound, "customer not found"));
        let verify = client
            .verify_audit_log(audit::VerifyAuditLogRequest { customer_id: customer.clone(), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(verify.code(), Code::NotFound);
    }
    let b_things = [world.b.id.as_str(), world.b.owner_id.as_str(), b_key.as_str()];
    let filters = [
        audit::AuditFilter::default(),
        audit::AuditFilter { platform_only: true, ..Default::default() },
        audit::AuditFilter { actor_id: world.b.owner_id.clone(), ..Default::default() },
        audit::AuditFilter { resource_id: b_key.clone(), ..Default::default() },
        audit::AuditFilter { action: "security.".into(), ..Default::default() },
        audit::AuditFilter { outcome_code: "OK".into(), ..Default::default() },
    ];
    for filter in filters {
        let events = world.events(&world.a.token, filter.clone()).await;
        for event in &events {
            assert_eq!(event.record.as_ref().unwrap().customer_id, world.a.id, "{filter:?}");
        }
        let text = format!("{events:?}");
        for b_thing in b_things {
            assert!(!text.contains(b_thing), "{filter:?} shows tenant B's {b_thing}");
        }
        let export = world.export(&world.a.token, filter.clone(), audit::ExportFormat::Csv).await;
        for b_thing in b_things {
            assert!(!export.contains(b_thing), "the export with {filter:?} shows tenant B's {b_thing}");
        }
    }
    assert!(!world.events(&world.a.token, audit::AuditFilter::default()).await.is_empty());

    // The platform admin reads both.
    let everyone =
        world.events(&world.admin, audit::AuditFilter { action: CREATE_API_KEY.into(), ..Default::default() }).await;
    assert_eq!(everyone.len(), 2);
}

#[tokio::test]
async fn bad_filters_are_refused_naming_every_field() {
    let world = World::start().await;
    let status = world
        .audit(&world.admin)
        .await
        .list_audit_events(audit::ListAuditEventsRequest {
            filter: Some(audit::AuditFilter {
                customer_id: "not-a-uuid".into(),
                outcome_code: "FINE".into(),
                actor_id: "x".repeat(200),
                start_time: Some(prost_types::Timestamp { seconds: 10, nanos: 0 }),
                end_time: Some(prost_types::Timestamp { seconds: 5, nanos: 0 }),
                ..Default::default()
            }),
            page: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    use tonic_types::StatusExt as _;
    let mut fields: Vec<String> =
        status.get_error_details().bad_request().unwrap().field_violations.iter().map(|v| v.field.clone()).collect();
    fields.sort();
    assert_eq!(fields, ["filter.actor_id", "filter.customer_id", "filter.end_time", "filter.outcome_code"]);
    let verify = world
        .audit(&world.admin)
        .await
        .verify_audit_log(audit::VerifyAuditLogRequest { customer_id: String::new(), from_sequence: 5, to_sequence: 2 })
        .await
        .unwrap_err();
    assert_eq!(verify.code(), Code::InvalidArgument);
}
