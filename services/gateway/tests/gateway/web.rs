//! Browsers: grpc-web over HTTP/1.1 on the same TLS port, CORS for configured
//! origins only, and the security headers on every response.

use std::sync::Arc;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use prost::Message;
use rustls_pki_types::ServerName;
use rustls_pki_types::pem::PemObject;

use crate::support::*;

/// Sends one HTTP/1.1 request to the gateway over TLS (ALPN `http/1.1`).
async fn http1(world: &World, request: Request<Full<Bytes>>) -> (http::response::Parts, Bytes) {
    let anchor = rustls_pki_types::CertificateDer::from_pem_file(world.env.pki.dir().join("trust-anchor.crt")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(anchor).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = tokio::net::TcpStream::connect(world.gateway.addr).await.unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("TLS handshake");
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(connection);
    let response: Response<hyper::body::Incoming> = sender.send_request(request).await.expect("HTTP/1.1 response");
    let (parts, body) = response.into_parts();
    (parts, body.collect().await.expect("response body").to_bytes())
}

/// A grpc-web request body: one uncompressed frame.
fn grpc_web_frame(message: &impl Message) -> Bytes {
    let encoded = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    frame.extend_from_slice(&encoded);
    Bytes::from(frame)
}

/// Splits a grpc-web response body into data messages and the trailer block.
fn grpc_web_frames(mut body: &[u8]) -> (Vec<Vec<u8>>, String) {
    let (mut messages, mut trailers) = (Vec::new(), String::new());
    while body.len() >= 5 {
        let flag = body[0];
        let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        let payload = &body[5..5 + length];
        if flag & 0x80 != 0 {
            trailers.push_str(&String::from_utf8_lossy(payload));
        } else {
            messages.push(payload.to_vec());
        }
        body = &body[5 + length..];
    }
    (messages, trailers)
}

fn grpc_web_request(world: &World, token: &str, origin: Option<&str>, message: &EchoRequest) -> Request<Full<Bytes>> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/canopy.gatewaytest.v1.TestService/Echo")
        .header("host", "localhost")
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("authorization", format!("Bearer {token}"));
    if let Some(origin) = origin {
        builder = builder.header("origin", origin);
    }
    let _ = world;
    builder.body(Full::new(grpc_web_frame(message))).unwrap()
}

#[tokio::test]
async fn a_grpc_web_call_over_http1_works_with_cors_and_security_headers() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let token = world.token(&user);
    let message = EchoRequest { text: "from a browser".into(), ..Default::default() };
    let (parts, body) = http1(&world, grpc_web_request(&world, &token, Some(ALLOWED_ORIGIN), &message)).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert!(parts.headers["content-type"].to_str().unwrap().starts_with("application/grpc-web"));
    assert_eq!(parts.headers["access-control-allow-origin"], ALLOWED_ORIGIN);
    let exposed = parts.headers["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    for name in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        assert!(exposed.contains(name), "{exposed}");
    }
    assert_security_headers(&parts.headers);
    let (messages, trailers) = grpc_web_frames(&body);
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let response = EchoResponse::decode(messages[0].as_slice()).unwrap();
    assert_eq!(response.text, "from a browser");

    // Errors reach the browser as grpc-web trailers too.
    let (parts, body) = http1(&world, grpc_web_request(&world, "not-a-token", Some(ALLOWED_ORIGIN), &message)).await;
    let status = parts.headers.get("grpc-status").map(|v| v.to_str().unwrap().to_string());
    let (_, trailers) = grpc_web_frames(&body);
    assert!(status.as_deref() == Some("16") || trailers.contains("grpc-status:16"), "{parts:?} {trailers}");
}

fn assert_security_headers(headers: &http::HeaderMap) {
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
}

fn preflight(origin: &str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(Method::OPTIONS)
        .uri("/canopy.gatewaytest.v1.TestService/Echo")
        .header("host", "localhost")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type,x-grpc-web")
        .body(Full::new(Bytes::new()))
        .unwrap()
}

#[tokio::test]
async fn cors_preflight_is_allowed_only_for_configured_origins() {
    let world = World::start().await;
    let (parts, _) = http1(&world, preflight(ALLOWED_ORIGIN)).await;
    assert!(parts.status.is_success(), "{parts:?}");
    assert_eq!(parts.headers["access-control-allow-origin"], ALLOWED_ORIGIN);
    let allowed = parts.headers["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("x-grpc-web"), "{allowed}");
    assert_security_headers(&parts.headers);

    for origin in ["https://evil.example", "https://portal.canopy.test.evil.example", "null"] {
        let (parts, _) = http1(&world, preflight(origin)).await;
        assert!(parts.headers.get("access-control-allow-origin").is_none(), "{origin} allowed: {parts:?}");
    }
    // A real grpc-web call from another origin gets no CORS grant either, so the
    // browser withholds the response from that page.
    let user = world.customer("member").await;
    let (parts, _) = http1(
        &world,
        grpc_web_request(&world, &world.token(&user), Some("https://evil.example"), &EchoRequest::default()),
    )
    .await;
    assert!(parts.headers.get("access-control-allow-origin").is_none());
}
