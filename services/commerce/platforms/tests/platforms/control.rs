//! The control surface another process uses (`/__stand_in/…`), and the machine codes.

use std::time::Duration;

use bytes::Bytes;
use canopy_commerce_platforms::stand_in::bigcommerce::{BigCommerceSetup, BigCommerceStandIn};
use canopy_commerce_platforms::stand_in::{Mode, StandIn as _};
use canopy_commerce_platforms::{ERROR_CODES, HttpClient, StoreError};
use http::{HeaderMap, Method};

use crate::support::{clients, manual_clock};

#[tokio::test]
async fn a_mode_posted_as_json_switches_the_stand_in() {
    let store = BigCommerceStandIn::start(BigCommerceSetup::default()).await;
    let http = HttpClient::new(Duration::from_secs(2));
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    let url = format!("{}/__stand_in/mode", store.url());
    let body = Bytes::from_static(br#"{"mode":"refuse_credentials"}"#);
    let response = http.send(Method::POST, &url, headers.clone(), Some(body)).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(store.mode(), Mode::RefuseCredentials);

    let (_clock, shared) = manual_clock();
    let clients = clients(None, Some(store.url()), shared);
    assert_eq!(clients.check(&store.credentials()).await.unwrap_err(), StoreError::Unauthorized);

    let body = Bytes::from_static(br#"{"mode":"rate_limit","requests":1,"retry_after":5}"#);
    http.send(Method::POST, &url, headers.clone(), Some(body)).await.unwrap();
    assert_eq!(store.mode(), Mode::RateLimit { requests: 1, retry_after: Some(5) });

    let bad = http.send(Method::POST, &url, headers, Some(Bytes::from_static(b"{\"mode\":\"melt\"}"))).await.unwrap();
    assert_eq!(bad.status, 400);

    let requests =
        http.send(Method::GET, &format!("{}/__stand_in/requests", store.url()), HeaderMap::new(), None).await.unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&requests.body).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "control requests are not recorded: {listed}");

    http.send(Method::POST, &format!("{}/__stand_in/reset", store.url()), HeaderMap::new(), None).await.unwrap();
    assert_eq!(store.mode(), Mode::Accept);
    assert!(store.received().is_empty());
}

#[test]
fn machine_codes_are_stable_and_distinct() {
    let errors = [
        StoreError::Unauthorized,
        StoreError::MissingScope { missing: vec![] },
        StoreError::Frozen,
        StoreError::Locked,
        StoreError::RateLimited { retry_after: None },
        StoreError::Unreachable { reason: "x".into() },
        StoreError::NotFound,
        StoreError::Unexpected { status: 500, detail: "x".into() },
    ];
    let codes: Vec<&str> = errors.iter().map(StoreError::code).collect();
    assert_eq!(codes, ERROR_CODES);
    for error in &errors {
        let sentence = error.to_string();
        assert!(sentence.starts_with("the ") || sentence.starts_with("no "), "{sentence}");
    }
}
