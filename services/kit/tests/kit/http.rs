//! The outgoing HTTP client's refusal of non-public addresses (server-side request
//! forgery): a name that resolves to loopback is refused before any connection, and the
//! same client without the refusal reaches it.

use std::net::IpAddr;
use std::time::Duration;

use canopy_kit::http::{HttpClient, HttpError};
use http::{HeaderMap, Method};

/// A loopback server that counts the connections it accepts and answers 200.
async fn loopback_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::Ordering;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
        }
    });
    (port, accepted)
}

#[tokio::test]
async fn deny_private_addresses_refuses_localhost_and_loopback_literals_without_connecting() {
    let (port, accepted) = loopback_server().await;
    let client = HttpClient::new(Duration::from_secs(5)).deny_private_addresses();
    for url in
        [format!("http://localhost:{port}/"), format!("http://127.0.0.1:{port}/"), format!("http://[::1]:{port}/")]
    {
        let error = client.send(Method::GET, &url, HeaderMap::new(), None).await.unwrap_err();
        match &error {
            HttpError::PrivateAddress { address, .. } => assert!(address.is_loopback(), "{error}"),
            other => panic!("{url}: expected a private address refusal, got {other:?}"),
        }
        assert!(error.to_string().contains("not a public address"), "{error}");
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0, "no connection was made");
}

#[tokio::test]
async fn deny_private_addresses_names_the_metadata_address() {
    let client = HttpClient::new(Duration::from_secs(2)).deny_private_addresses();
    let error = client.send(Method::GET, "http://169.254.169.254/latest/meta-data/", HeaderMap::new(), None).await;
    match error {
        Err(HttpError::PrivateAddress { host, address }) => {
            assert_eq!(host, "169.254.169.254");
            assert_eq!(address, "169.254.169.254".parse::<IpAddr>().unwrap());
        }
        other => panic!("expected a private address refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn without_deny_private_addresses_localhost_is_reached() {
    let (port, accepted) = loopback_server().await;
    let client = HttpClient::new(Duration::from_secs(5));
    let response =
        client.send(Method::GET, &format!("http://localhost:{port}/"), HeaderMap::new(), None).await.unwrap();
    assert_eq!(response.status, http::StatusCode::OK);
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}
