//! Bad input at the edge: oversized messages and metadata are refused with a clear
//! code and no panic (the gateway keeps serving), and no credential ever reaches a
//! log line.

use std::io::Write;
use std::sync::{Arc, Mutex};

use canopy_kit::db::TenantId;
use canopy_sdk::proto::canopy::options::v1::Role;
use tonic::Code;
use tonic::metadata::MetadataValue;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn an_oversized_message_is_refused_before_it_reaches_the_service() {
    let world = World::start_with(|config| config.max_message_bytes = 64 * 1024).await;
    let user = world.customer("member").await;
    let token = world.token(&user);
    let mut client = world.client().await.max_encoding_message_size(16 * 1024 * 1024);
    let big = EchoRequest { text: "big".into(), padding: vec![0u8; 200 * 1024] };
    let status = client.echo(bearer(big, &token)).await.expect_err("oversized message");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status).as_deref(), Some("MESSAGE_TOO_LARGE"), "{status:?}");
    assert!(status.message().contains("65536"), "{}", status.message());
    assert_eq!(world.events.calls.load(std::sync::atomic::Ordering::SeqCst), 0);

    // Within the limit is fine, on the same connection.
    let fits = EchoRequest { text: "fits".into(), padding: vec![0u8; 60 * 1024] };
    assert_eq!(client.echo(bearer(fits, &token)).await.expect("message within the limit").into_inner().text, "fits");
}

#[tokio::test]
async fn oversized_metadata_is_refused_without_a_panic() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let token = world.token(&user);
    let mut client = world.client().await;

    // Over the limit: a clear gRPC error from the gateway.
    let mut request = bearer(EchoRequest::default(), &token);
    request.metadata_mut().insert("x-custom", MetadataValue::try_from("v".repeat(20 * 1024)).unwrap());
    let status = client.echo(request).await.expect_err("metadata over the limit");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status).as_deref(), Some("METADATA_TOO_LARGE"));

    // Far over it: HTTP/2 refuses the stream; the call fails, nothing panics.
    let mut request = bearer(EchoRequest::default(), &token);
    request.metadata_mut().insert("x-custom", MetadataValue::try_from("v".repeat(200 * 1024)).unwrap());
    let status = client.echo(request).await.expect_err("metadata far over the limit");
    assert_ne!(status.code(), Code::Ok);

    // The gateway still serves, on a fresh connection and on the old one.
    world.client().await.echo(bearer(EchoRequest::default(), &token)).await.expect("gateway still serves");
    assert_eq!(world.events.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// Captures every log line of the process (the test runs in its own process under nextest).
#[derive(Clone, Default)]
struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_or_api_key_appears_in_any_log_line() {
    use tracing_subscriber::layer::SubscriberExt;
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(
            "trace,h2=debug,hyper=debug,hyper_util=debug,tower=debug,rustls=debug",
        ))
        .with(tracing_subscriber::fmt::layer().json().with_current_span(true).with_writer(move || writer.clone()));
    // Installed before TestEnv::new, whose own init then keeps this one.
    tracing::subscriber::set_global_default(subscriber).expect("first subscriber of this test process");

    let world = World::start().await;
    let user = world.customer("owner").await;
    let token = world.token(&user);
    let api_key = world.api_key(Some(TenantId(Uuid::new_v4())), Role::Owner);
    let revoked_key = world.api_key(None, Role::PlatformAdmin);
    world.api_keys.lock().unwrap().remove(&revoked_key);
    let forged = format!("{}.{}", token.rsplit_once('.').unwrap().0, "AAAA");
    let mut client = world.client().await;
    client.echo(bearer(EchoRequest::default(), &token)).await.expect("token");
    client.echo(bearer(EchoRequest::default(), &api_key)).await.expect("api key");
    client.echo(bearer(EchoRequest::default(), &revoked_key)).await.expect_err("revoked key");
    client.echo(bearer(EchoRequest::default(), &forged)).await.expect_err("forged");
    client.administer(bearer(AdministerRequest::default(), &token)).await.expect_err("not an admin");
    world.env.clock.advance(chrono::Duration::hours(1));
    client.echo(bearer(EchoRequest::default(), &token)).await.expect_err("expired");
    drop(client);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let captured = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(captured.contains("rpc finished"), "the capture saw the access log");
    assert!(captured.contains(&format!("user:{}", user.user_id)), "the access log names the principal");
    let signature = token.rsplit('.').next().unwrap();
    for (name, secret) in [
        ("token", token.as_str()),
        ("token signature", signature),
        ("api key", api_key.as_str()),
        ("revoked api key", revoked_key.as_str()),
        ("forged token", forged.as_str()),
    ] {
        assert!(!captured.contains(secret), "the {name} appears in the logs");
    }
    // The non-secret half of a key (its visible prefix) may be logged; the secret tail not.
    let tail = api_key.rsplit('_').next().unwrap();
    assert!(!captured.contains(tail));
}
