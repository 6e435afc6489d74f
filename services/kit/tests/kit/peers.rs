//! Peer channels against a real gRPC server over loopback: what a call carries (the
//! trace and the remaining deadline), and how an absent, down or hung peer fails.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use canopy_kit::ApiError;
use canopy_kit::error::FieldViolation;
use canopy_kit::peers::{Endpoints, Peers};
use canopy_kit::telemetry::{CallContext, TraceContext};
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

type Seen = Arc<Mutex<Vec<http::HeaderMap>>>;

/// A plaintext gRPC health server that records the headers of every request and
/// counts the connections it accepts.
async fn recording_server() -> (String, Seen, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let (_, health) = tonic_health::server::health_reporter();
    let layer = tower::util::MapRequestLayer::new(move |request: http::Request<tonic::body::Body>| {
        record.lock().unwrap().push(request.headers().clone());
        request
    });
    let server = tonic::transport::Server::builder().layer(layer).add_service(health);
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener).map(move |connection| {
        counted.fetch_add(1, Ordering::SeqCst);
        connection
    });
    tokio::spawn(server.serve_with_incoming(incoming));
    (url, seen, connections)
}

fn peers(configured: &[(&str, String)], timeout: Duration) -> Peers {
    let configured: BTreeMap<String, String> = configured.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    Peers::new(None, Endpoints::default(), configured, "canopy", "cluster.local", timeout)
}

async fn check(peers: &Peers, peer: &str) -> Result<(), ApiError> {
    let channel = peers.channel(peer).await?;
    HealthClient::new(channel)
        .check(HealthCheckRequest { service: String::new() })
        .await
        .map(|_| ())
        .map_err(|status| ApiError::from_peer("tenancy", status))
}

#[tokio::test]
async fn a_call_carries_the_trace_and_what_is_left_of_the_deadline() {
    let (url, seen, _) = recording_server().await;
    let peers = peers(&[("tenancy", url)], Duration::from_secs(10));

    let trace = TraceContext::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
    let call = CallContext { trace, deadline: Some(Instant::now() + Duration::from_secs(3)) };
    call.scope(check(&peers, "tenancy")).await.unwrap();
    // Outside any request: a new trace, and no deadline to pass on.
    check(&peers, "tenancy").await.unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    let traceparent = seen[0]["traceparent"].to_str().unwrap();
    assert!(traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{traceparent}");
    assert!(!traceparent.contains("00f067aa0ba902b7"), "a child span, not the caller's: {traceparent}");
    let timeout = seen[0]["grpc-timeout"].to_str().unwrap();
    let millis: u64 = timeout.strip_suffix('m').unwrap().parse().unwrap();
    assert!((2_000..=3_000).contains(&millis), "{timeout}");

    assert!(!seen[1]["traceparent"].to_str().unwrap().contains("4bf92f3577b34da6a3ce929d0e0e4736"));
    assert!(seen[1].get("grpc-timeout").is_none());
}

#[tokio::test]
async fn one_channel_per_peer_is_reused_across_calls() {
    let (url, seen, connections) = recording_server().await;
    let peers = peers(&[("tenancy", url)], Duration::from_secs(10));
    let calls = (0..20).map(|_| check(&peers, "tenancy"));
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    for _ in 0..5 {
        check(&peers, "tenancy").await.unwrap();
    }
    assert_eq!(seen.lock().unwrap().len(), 25);
    assert_eq!(connections.load(Ordering::SeqCst), 1, "every call shares one connection");
}

#[tokio::test]
async fn an_absent_or_down_peer_is_unavailable_at_once() {
    let peers = peers(&[("tenancy", "http://127.0.0.1:9".into())], Duration::from_secs(10));
    let started = Instant::now();
    let error = check(&peers, "tenancy").await.unwrap_err();
    assert_eq!(error.grpc_code(), Code::Unavailable, "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    let error = peers.channel("billing").await.unwrap_err();
    assert_eq!(error.grpc_code(), Code::Unavailable);
}

#[tokio::test]
async fn a_hung_peer_fails_the_call_within_the_peer_timeout_or_the_deadline() {
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let hung = |timeout| peers(&[("tenancy", url.clone())], timeout);

    let started = Instant::now();
    let error = check(&hung(Duration::from_millis(400)), "tenancy").await.unwrap_err();
    assert_eq!(error.grpc_code(), Code::Unavailable, "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());

    // The caller's own deadline, shorter than the peer timeout, binds first: the call
    // ends long before the 5 s peer timeout (DEADLINE_EXCEEDED; UNAVAILABLE when the
    // connection attempt is the first to fail, as it sometimes is under load).
    let peers = hung(Duration::from_secs(5));
    let call =
        CallContext { trace: TraceContext::new_trace(), deadline: Some(Instant::now() + Duration::from_millis(150)) };
    let started = Instant::now();
    let status = call
        .scope(async {
            let channel = peers.channel("tenancy").await.unwrap();
            HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await
        })
        .await
        .unwrap_err();
    assert!(matches!(status.code(), Code::DeadlineExceeded | Code::Unavailable), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

#[test]
fn a_peer_s_refusal_keeps_its_code_reason_and_field_violations() {
    let refusal = ApiError::InvalidArgument(vec![
        FieldViolation::new("name", "must not be empty"),
        FieldViolation::new("region", "unknown region"),
    ]);
    let passed_on = ApiError::from_peer("tenancy", refusal.into());
    assert_eq!(passed_on.grpc_code(), Code::InvalidArgument);
    assert_eq!(passed_on.reason(), "INVALID_ARGUMENT");
    let status: tonic::Status = passed_on.into();
    let details = tonic_types::StatusExt::get_error_details(&status);
    let violations: Vec<(String, String)> = details
        .bad_request()
        .unwrap()
        .field_violations
        .iter()
        .map(|v| (v.field.clone(), v.description.clone()))
        .collect();
    assert_eq!(violations, [("name".into(), "must not be empty".into()), ("region".into(), "unknown region".into())]);

    let suspended =
        ApiError::FailedPrecondition { reason: "CUSTOMER_SUSPENDED", message: "customer is suspended".into() };
    let passed_on = ApiError::from_peer("tenancy", suspended.into());
    assert_eq!(passed_on.reason(), "CUSTOMER_SUSPENDED");
    assert_eq!(passed_on.to_string(), "customer is suspended");

    let internal = ApiError::from_peer("tenancy", tonic::Status::internal("boom: relation x does not exist"));
    assert_eq!(internal.grpc_code(), Code::Unavailable);
    assert!(!internal.to_string().contains("relation"), "{internal}");
}
