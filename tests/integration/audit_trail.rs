//! The audit trail, proven for every RPC in the descriptor set: each state-changing
//! method (`idempotency_level` not `NO_SIDE_EFFECTS`) leaves exactly one record when
//! called — whoever calls it and however it ends, refusals included — and each read
//! leaves none. A new RPC is covered the day it is added. Every field marked
//! `canopy.options.v1.sensitive` carries a marker that must appear in no record and no
//! outbox.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use canopy_kit::access::MethodPolicies;
use canopy_kit::testing::TestEnv;
use canopy_sdk::proto::canopy::options::v1::{Audience, Role};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage, Kind, MethodDescriptor, ReflectMessage as _, Value};

use crate::hostile_input::{call_in_trace, mesh_caller};
use crate::isolation::{login, request, tenant};

/// What a sensitive field is set to in every request.
const MARKER: &str = "Audit-Sensitive-Marker-5e1d";

/// Sets every sensitive string field of `message` (top level and nested messages
/// the request builder filled) to the marker.
fn mark_sensitive(message: &mut DynamicMessage, pool: &DescriptorPool) -> usize {
    let sensitive = pool.get_extension_by_name("canopy.options.v1.sensitive").unwrap();
    let mut marked = 0;
    for field in message.descriptor().fields() {
        if field.kind() == Kind::String
            && !field.is_list()
            && !field.is_map()
            && field.options().get_extension(&sensitive).as_bool() == Some(true)
        {
            message.set_field(&field, Value::String(MARKER.into()));
            marked += 1;
        }
    }
    marked
}

#[tokio::test]
async fn every_state_changing_rpc_leaves_exactly_one_record_and_every_read_none() {
    let mut env = TestEnv::new().await;
    let no_templates = tempfile::tempdir().unwrap();
    env.config.set_section_value("provisioner", "terraform_root", serde_json::json!(no_templates.path()));
    let services = env.spawn(canopyd::registry::MANIFESTS).await;
    let database = canopy_kit::db::Database::connect(&env.config.database).await.unwrap();
    let password = canopy_identity::ensure_platform_admin(&database, "admin@audit-trail.test").await.unwrap().unwrap();
    let admin = login(&services, "admin@audit-trail.test", &password).await;
    let owner = tenant(&services, &admin, "trail").await;

    let pool = DescriptorPool::decode(canopy_sdk::FILE_DESCRIPTOR_SET).unwrap();
    let policies = MethodPolicies::from_descriptor_set(canopy_sdk::FILE_DESCRIPTOR_SET).unwrap();
    // Read from the contract here, not from the kit's own list, so a kit that
    // skipped a method would fail this test.
    let changes_state = |method: &MethodDescriptor| {
        let level = method.method_descriptor_proto().options.as_ref().map(|o| o.idempotency_level());
        level != Some(prost_types::method_options::IdempotencyLevel::NoSideEffects)
    };
    // (path, trace id) of every call made, split by whether it changes state.
    let mut changes: BTreeMap<String, String> = BTreeMap::new();
    let mut reads: BTreeMap<String, String> = BTreeMap::new();
    let mut marked = 0;
    for service in pool.services().filter(|s| s.package_name().starts_with("canopy.")) {
        if service.full_name() == "canopy.audit.v1.AuditIngestService" {
            // The trail's own ingest: recording it would record the recording.
            continue;
        }
        for method in service.methods() {
            let path = format!("/{}/{}", service.full_name(), method.name());
            let policy = policies.get(&path).expect("every canopy method has a policy");
            let (workload, token) = match policy.audience() {
                Audience::Public => ("gateway", None),
                Audience::Internal => (mesh_caller(service.full_name()), None),
                _ if policy.roles().any(|r| r == Role::Owner) || policy.audience() == Audience::Authenticated => {
                    ("gateway", Some(owner.token.as_str()))
                }
                _ => ("gateway", Some(admin.as_str())),
            };
            let (mut message, _) = request(&method, &|field| owner.ids.get(field).cloned());
            marked += mark_sensitive(&mut message, &pool);
            let trace_id = uuid::Uuid::new_v4().simple().to_string();
            call_in_trace(&services, &method, workload, token, message.encode_to_vec(), Some(&trace_id)).await;
            if changes_state(&method) {
                changes.insert(path, trace_id);
            } else {
                reads.insert(path, trace_id);
            }
        }
    }
    assert!(changes.len() >= 30, "suspiciously few state-changing RPCs: {changes:#?}");
    assert!(reads.len() >= 20, "suspiciously few reads: {reads:#?}");
    assert!(marked >= 10, "only {marked} sensitive fields were set");

    // Records reach the trail asynchronously: wait until every change has one.
    let superuser = env.superuser_pool().await;
    let calls_by_trace = || async {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "select body::jsonb->>'trace_id', body::jsonb->>'action' from audit.entry where body::jsonb->>'kind' = 'call'",
        )
        .fetch_all(&superuser)
        .await
        .unwrap();
        rows
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let rows = loop {
        let rows = calls_by_trace().await;
        let missing: Vec<&String> = changes
            .iter()
            .filter(|(path, trace)| !rows.iter().any(|(t, a)| t == *trace && a == *path))
            .map(|(p, _)| p)
            .collect();
        if missing.is_empty() {
            break rows;
        }
        assert!(Instant::now() < deadline, "state-changing RPCs that left no record: {missing:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // Give stragglers (a second record would come later) time to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rows = if rows.len() < calls_by_trace().await.len() { calls_by_trace().await } else { rows };
    for (path, trace) in &changes {
        let records = rows.iter().filter(|(t, a)| t == trace && a == path).count();
        assert_eq!(records, 1, "{path} left {records} records");
    }
    for (path, trace) in &reads {
        let records: Vec<&String> = rows.iter().filter(|(t, _)| t == trace).map(|(_, a)| a).collect();
        assert!(records.is_empty(), "the read {path} left records: {records:?}");
    }

    // No sensitive value in any record, nor in any service's outbox.
    let leaked: i64 = sqlx::query_scalar("select count(*) from audit.entry where body like '%' || $1 || '%'")
        .bind(MARKER)
        .fetch_one(&superuser)
        .await
        .unwrap();
    assert_eq!(leaked, 0, "a sensitive value reached the audit trail");
    for manifest in canopyd::registry::MANIFESTS {
        let Some(schema) = manifest.schema else { continue };
        let leaked: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {}.audit_outbox o where o::text like '%' || $1 || '%'",
            schema.name
        ))
        .bind(MARKER)
        .fetch_one(&superuser)
        .await
        .unwrap();
        assert_eq!(leaked, 0, "a sensitive value reached {}'s audit outbox", schema.name);
    }
}
