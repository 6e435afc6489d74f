//! Streaming to a SIEM: a real local HTTP server that checks every delivery's
//! Standard Webhooks signature with its own implementation, refuses the first
//! attempt, and must then get the same `webhook-id` again.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use canopy_sdk::proto::canopy::audit::v1 as audit;
use canopy_sdk::proto::canopy::audit::v1::siem_service_client::SiemServiceClient;
use hmac::{Hmac, Mac as _};
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tonic::Code;

use crate::support::World;

#[derive(Debug, Clone)]
struct Delivery {
    id: String,
    signature_valid: bool,
    body: serde_json::Value,
    answered: u16,
}

#[derive(Default)]
struct Receiver {
    secret: Mutex<String>,
    deliveries: Mutex<Vec<Delivery>>,
}

/// The receiver's own check of a Standard Webhooks signature.
fn signature_valid(secret: &str, id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(key) = secret.strip_prefix("whsec_") else { return false };
    let Ok(key) = base64::engine::general_purpose::STANDARD.decode(key) else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    header.split(' ').any(|candidate| candidate == expected)
}

async fn serve(receiver: Arc<Receiver>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let receiver = receiver.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let receiver = receiver.clone();
                    async move {
                        let header = |name: &str| {
                            request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
                        };
                        let (id, timestamp, signature) =
                            (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"));
                        let body = request.into_body().collect().await.unwrap().to_bytes();
                        let secret = receiver.secret.lock().unwrap().clone();
                        let valid = signature_valid(&secret, &id, &timestamp, &body, &signature);
                        let mut deliveries = receiver.deliveries.lock().unwrap();
                        // The first attempt of each message fails, as a receiver that is down would.
                        let answered = if deliveries.iter().any(|d| d.id == id) { 200 } else { 503 };
                        deliveries.push(Delivery {
                            id,
                            signature_valid: valid,
                            body: serde_json::from_slice(&body).unwrap_or_default(),
                            answered,
                        });
                        Ok::<_, Infallible>(
                            hyper::Response::builder().status(answered).body(Full::new(Bytes::new())).unwrap(),
                        )
                    }
                });
                let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    addr
}

async fn siem(world: &World) -> SiemServiceClient<crate::support::Authed> {
    let canopy = world.client("audit", &world.admin).await;
    SiemServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
}

#[tokio::test]
async fn every_record_reaches_the_siem_signed_and_a_refused_delivery_is_retried_with_the_same_id() {
    let world = World::start().await;
    let receiver = Arc::new(Receiver::default());
    let addr = serve(receiver.clone()).await;
    let created = siem(&world)
        .await
        .create_siem_endpoint(audit::CreateSiemEndpointRequest {
            idempotency_key: "siem-endpoint-1".into(),
            url: format!("http://{addr}/canopy"),
            description: "Security team".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(created.signing_secret.starts_with("whsec_"));
    *receiver.secret.lock().unwrap() = created.signing_secret.clone();
    // A retried create returns the endpoint, not its secret again.
    let again = siem(&world)
        .await
        .create_siem_endpoint(audit::CreateSiemEndpointRequest {
            idempotency_key: "siem-endpoint-1".into(),
            url: format!("http://{addr}/canopy"),
            description: "Security team".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((again.endpoint.unwrap().id, again.signing_secret.as_str()), (created.endpoint.unwrap().id, ""));

    let key_id = world.make_change(&world.a.token, "siem-visible").await;
    let find = |answered: u16| {
        receiver
            .deliveries
            .lock()
            .unwrap()
            .iter()
            .find(|d| d.answered == answered && d.body.to_string().contains("siem-visible"))
            .cloned()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let first = loop {
        if let Some(first) = find(503) {
            break first;
        }
        assert!(Instant::now() < deadline, "no delivery arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(first.signature_valid, "{first:?}");
    assert!(first.id.starts_with("msg_"));
    // The retry is due 5 s later (Standard Webhooks' schedule), on the service's clock.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(find(200).is_none(), "retried before its time");
    world.env.clock.advance(chrono::Duration::seconds(6));
    let deadline = Instant::now() + Duration::from_secs(30);
    let retry = loop {
        if let Some(retry) = find(200) {
            break retry;
        }
        assert!(Instant::now() < deadline, "the refused delivery was not retried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(retry.id, first.id, "the same webhook-id on every attempt");
    assert!(retry.signature_valid);
    let record = &retry.body["data"]["record"];
    assert_eq!(record["action"], "/canopy.identity.v1.ApiKeyService/CreateApiKey");
    assert!(record["resource_ids"].to_string().contains(&key_id) || record["summary"]["name"] == "siem-visible");
    // A forged signature would not pass the receiver's check.
    assert!(!signature_valid("whsec_AAAA", &first.id, "1", b"{}", "v1,AAAA"));

    let listed =
        siem(&world).await.list_siem_endpoints(audit::ListSiemEndpointsRequest::default()).await.unwrap().into_inner();
    assert_eq!(listed.endpoints.len(), 1);
    assert!(listed.endpoints[0].delivered_count >= 1, "{listed:?}");
}

#[tokio::test]
async fn siem_urls_must_be_https_and_nothing_is_saved_otherwise() {
    let world = World::start_configured(|env| {
        env.config.set_section_value("audit", "allow_insecure_endpoints", serde_json::json!(false));
    })
    .await;
    for (url, why) in [
        ("http://siem.example.com/hook", "must be an https:// URL"),
        ("ftp://siem.example.com/hook", "must be an https:// URL"),
        ("https://user:secret@siem.example.com/hook", "must not carry credentials"),
        ("", "is required"),
    ] {
        let status = siem(&world)
            .await
            .create_siem_endpoint(audit::CreateSiemEndpointRequest {
                idempotency_key: format!("siem-{}", uuid::Uuid::new_v4()),
                url: url.into(),
                description: "x".into(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{url}");
        use tonic_types::StatusExt as _;
        let violations = status.get_error_details().bad_request().unwrap().field_violations.clone();
        assert_eq!((violations[0].field.as_str(), violations[0].description.as_str()), ("url", why), "{url}");
    }
    let listed =
        siem(&world).await.list_siem_endpoints(audit::ListSiemEndpointsRequest::default()).await.unwrap().into_inner();
    assert!(listed.endpoints.is_empty());
    // Customers may not manage them.
    let canopy = world.client("audit", &world.a.token).await;
    let refused = SiemServiceClient::with_interceptor(canopy.channel(), canopy.interceptor())
        .list_siem_endpoints(audit::ListSiemEndpointsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}
