//! Tamper evidence: a record edited or deleted directly in PostgreSQL (as a
//! superuser, who bypasses everything) is found by `VerifyAuditLog` and by the
//! offline verifier, which name the first bad entry; retention keeps the chain
//! verifiable.

use std::time::{Duration, Instant};

use canopy_sdk::proto::canopy::audit::v1 as audit;

use crate::support::{World, filter_customer};

/// Waits until the chain verifies with a checkpoint at its head.
async fn checkpointed(world: &World, customer_id: &str) -> audit::VerifyAuditLogResponse {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let report = world.verify(&world.admin, customer_id).await;
        let pool = world.env.superuser_pool().await;
        let chain = if customer_id.is_empty() { "platform" } else { customer_id };
        let covered: bool = sqlx::query_scalar(
            "select exists (select 1 from audit.checkpoint c join audit.chain_head h on h.chain = c.chain
                             where c.chain = $1 and c.tree_size = h.sequence)",
        )
        .bind(chain)
        .fetch_one(&pool)
        .await
        .unwrap();
        if covered && report.verified {
            return world.verify(&world.admin, customer_id).await;
        }
        assert!(Instant::now() < deadline, "no checkpoint at the head: {report:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the offline verifier on `export`: (exit code, output).
fn verify_offline(export: &str, public_key: &str) -> (i32, String) {
    let dir = tempfile_dir();
    let path = dir.join("export.jsonl");
    std::fs::write(&path, export).unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_canopy-audit-verify"))
        .arg("--public-key")
        .arg(public_key)
        .arg(&path)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code().unwrap_or(-1), text)
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("canopy-audit-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn public_key(world: &World) -> String {
    world
        .audit(&world.admin)
        .await
        .get_checkpoint_key(audit::GetCheckpointKeyRequest {})
        .await
        .unwrap()
        .into_inner()
        .public_key
}

async fn chain_export(world: &World, customer_id: &str) -> String {
    world.export(&world.admin, filter_customer(customer_id), audit::ExportFormat::JsonLines).await
}

#[tokio::test]
async fn an_edited_record_fails_verification_online_and_offline_naming_it() {
    let world = World::start().await;
    for n in 1..=4 {
        world.make_change(&world.a.token, &format!("tamper-{n}")).await;
    }
    world
        .wait_for(
            audit::AuditFilter {
                action: "/canopy.identity.v1.ApiKeyService/CreateApiKey".into(),
                ..filter_customer(&world.a.id)
            },
            4,
        )
        .await;
    let clean = checkpointed(&world, &world.a.id).await;
    assert!(clean.verified && clean.checkpoints_checked >= 1, "{clean:?}");
    let key = public_key(&world).await;
    let (code, output) = verify_offline(&chain_export(&world, &world.a.id).await, &key);
    assert_eq!(code, 0, "{output}");
    assert!(output.contains("complete chains"), "{output}");
    // A key that did not sign the checkpoints proves nothing.
    let other_key = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=";
    assert_eq!(verify_offline(&chain_export(&world, &world.a.id).await, other_key).0, 1);

    let pool = world.env.superuser_pool().await;
    let (sequence, id): (i64, uuid::Uuid) = sqlx::query_as(
        "update audit.entry set body = replace(body, 'tamper-2', 'tamper-X')
          where chain = $1 and body like '%tamper-2%' returning sequence, id",
    )
    .bind(&world.a.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let report = world.verify(&world.admin, &world.a.id).await;
    assert!(!report.verified);
    assert_eq!((report.first_bad_sequence, report.first_bad_event_id.as_str()), (sequence, id.to_string().as_str()));
    assert!(report.problem.contains("does not match its content"), "{report:?}");
    // The owner sees the same.
    assert_eq!(world.verify(&world.a.token, "").await.first_bad_sequence, sequence);
    let (code, output) = verify_offline(&chain_export(&world, &world.a.id).await, &key);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains(&format!("entry {sequence}:")), "{output}");

    // Rehashing the edited entry does not help: the next link or the checkpoint breaks.
    sqlx::query(
        "update audit.entry set hash = encode(sha256(convert_to('x', 'UTF8')), 'hex') where chain = $1 and sequence = $2",
    )
    .bind(&world.a.id)
    .bind(sequence)
    .execute(&pool)
    .await
    .unwrap();
    assert!(!world.verify(&world.admin, &world.a.id).await.verified);

    // An indexed column changed alone (what filters see) is caught too.
    let platform = checkpointed(&world, "").await;
    assert!(platform.verified);
    let edited: i64 = sqlx::query_scalar(
        "update audit.entry set outcome_code = 'PERMISSION_DENIED'
          where chain = 'platform' and sequence = (select min(sequence) from audit.entry where chain = 'platform')
          returning sequence",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let report = world.verify(&world.admin, "").await;
    assert_eq!(report.first_bad_sequence, edited, "{report:?}");
    assert!(report.problem.contains("indexed columns"), "{report:?}");
}

#[tokio::test]
async fn a_deleted_record_is_detected_in_the_middle_and_at_the_end() {
    let world = World::start().await;
    for n in 1..=4 {
        world.make_change(&world.b.token, &format!("gone-{n}")).await;
    }
    world
        .wait_for(
            audit::AuditFilter {
                action: "/canopy.identity.v1.ApiKeyService/CreateApiKey".into(),
                ..filter_customer(&world.b.id)
            },
            4,
        )
        .await;
    checkpointed(&world, &world.b.id).await;
    let key = public_key(&world).await;
    let pool = world.env.superuser_pool().await;
    // Stop checkpoints from covering up: the job only signs heads that moved.
    let deleted: i64 =
        sqlx::query_scalar("delete from audit.entry where chain = $1 and body like '%gone-2%' returning sequence")
            .bind(&world.b.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    let report = world.verify(&world.admin, &world.b.id).await;
    assert!(!report.verified);
    assert_eq!(report.first_bad_sequence, deleted, "{report:?}");
    assert!(report.problem.contains("missing"), "{report:?}");
    let (code, output) = verify_offline(&chain_export(&world, &world.b.id).await, &key);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains(&format!("entry {deleted}: is missing")), "{output}");

    // Deleting the newest entries and moving the head back: the checkpoint still
    // covers them.
    let (head,): (i64,) = sqlx::query_as("select sequence from audit.chain_head where chain = $1")
        .bind(&world.b.id)
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("delete from audit.entry where chain = $1 and sequence >= $2")
        .bind(&world.b.id)
        .bind(deleted)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update audit.chain_head set sequence = $2 - 1 where chain = $1")
        .bind(&world.b.id)
        .bind(deleted)
        .execute(&pool)
        .await
        .unwrap();
    let report = world.verify(&world.admin, &world.b.id).await;
    assert!(!report.verified, "entries {deleted}..{head} removed: {report:?}");
    assert_eq!(report.first_bad_sequence, deleted);
    let (code, output) = verify_offline(&chain_export(&world, &world.b.id).await, &key);
    assert_eq!(code, 1, "{output}");
}

#[tokio::test]
async fn retention_purges_old_entries_and_what_is_left_still_verifies() {
    let mut world = World::start_configured(|env| {
        env.config.set_section_value("audit", "retention_days", serde_json::json!(30));
        env.config.set_section_value("audit", "retention_interval_secs", serde_json::json!(0.2));
    })
    .await;
    for n in 1..=3 {
        world.make_change(&world.a.token, &format!("old-{n}")).await;
    }
    let filter = audit::AuditFilter {
        action: "/canopy.identity.v1.ApiKeyService/CreateApiKey".into(),
        ..filter_customer(&world.a.id)
    };
    world.wait_for(filter.clone(), 3).await;
    let before = checkpointed(&world, &world.a.id).await;
    world.env.clock.advance(chrono::Duration::days(31));
    world.sign_in_again().await;
    for n in 1..=2 {
        world.make_change(&world.a.token, &format!("new-{n}")).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let names: Vec<String> = world
            .events(&world.admin, filter.clone())
            .await
            .iter()
            .map(|e| {
                serde_json::from_str::<serde_json::Value>(&e.record.as_ref().unwrap().summary_json).unwrap()["name"]
                    .to_string()
            })
            .collect();
        if names.len() == 2 && names.iter().all(|n| n.contains("new-")) {
            break;
        }
        assert!(Instant::now() < deadline, "old entries were not purged: {names:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let after = checkpointed(&world, &world.a.id).await;
    assert!(after.verified, "{after:?}");
    assert!(after.entries_checked < before.entries_checked + 2, "{before:?} {after:?}");
    let key = public_key(&world).await;
    let (code, output) = verify_offline(&chain_export(&world, &world.a.id).await, &key);
    assert_eq!(code, 0, "{output}");
}
