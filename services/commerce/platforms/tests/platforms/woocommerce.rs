//! WooCommerce: Basic auth first, the query-string fallback only when the server dropped
//! the header, and WooCommerce's refusals.

use std::time::Duration;

use canopy_commerce_platforms::stand_in::woocommerce::{WooCommerceSetup, WooCommerceStandIn};
use canopy_commerce_platforms::stand_in::{Mode, StandIn as _};
use canopy_commerce_platforms::{AuthMethod, StoreError};

use crate::support::{clients, manual_clock};

async fn stand_in() -> (WooCommerceStandIn, canopy_commerce_platforms::StoreClients) {
    let (_clock, shared) = manual_clock();
    (WooCommerceStandIn::start(WooCommerceSetup::default()).await, clients(None, None, shared))
}

#[tokio::test]
async fn valid_keys_are_accepted_over_basic_auth() {
    let (store, clients) = stand_in().await;
    let info = clients.check(&store.credentials()).await.unwrap();
    assert_eq!(info.auth_method, AuthMethod::BasicAuth);
    assert_eq!(info.currency.as_deref(), Some("EUR"));
    assert_eq!(info.domain.as_deref(), Some("127.0.0.1"));
    let received = store.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/wp-json/wc/v3/system_status");
    assert_eq!(received[0].query_param("_fields").as_deref(), Some("settings"));
    assert!(received[0].header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(received[0].query_param("consumer_secret"), None, "no secret in the URL when Basic works");
}

#[tokio::test]
async fn a_server_dropping_authorization_falls_back_to_the_query_string() {
    let (store, clients) = stand_in().await;
    store.strip_authorization(true);
    let info = clients.check(&store.credentials()).await.unwrap();
    assert_eq!(info.auth_method, AuthMethod::QueryString);
    let received = store.received();
    assert_eq!(received.len(), 2, "Basic first, then the query string");
    assert_eq!(received[1].query_param("consumer_key").as_deref(), Some(store.setup().consumer_key.as_str()));
    assert_eq!(received[1].header("authorization"), None);
}

#[tokio::test]
async fn a_refused_key_does_not_fall_back() {
    let (store, clients) = stand_in().await;
    let wrong = store.credentials_with("ck_wrong", "cs_wrong");
    assert_eq!(clients.check(&wrong).await.unwrap_err(), StoreError::Unauthorized);
    assert_eq!(store.received().len(), 1, "WooCommerce read the key and refused it: no retry");

    let wrong_secret = store.credentials_with(&store.setup().consumer_key, "cs_wrong");
    assert_eq!(clients.check(&wrong_secret).await.unwrap_err(), StoreError::Unauthorized);
}

#[tokio::test]
async fn each_refusal_is_its_cause() {
    let (store, clients) = stand_in().await;
    let cases = [
        (Mode::RefuseCredentials, "unauthorized"),
        (Mode::MissingScope, "missing_scope"),
        (Mode::Frozen, "frozen"),
        (Mode::Locked, "locked"),
        (Mode::NotFound, "not_found"),
        (Mode::Close, "unreachable"),
    ];
    for (mode, code) in cases {
        store.set_mode(mode.clone());
        let error = clients.check(&store.credentials()).await.unwrap_err();
        assert_eq!(error.code(), code, "{mode:?}: {error}");
    }
}

#[tokio::test]
async fn a_429_carries_its_retry_after() {
    let (store, clients) = stand_in().await;
    store.set_mode(Mode::RateLimit { requests: 1, retry_after: Some(12) });
    let error = clients.check(&store.credentials()).await.unwrap_err();
    assert_eq!(error, StoreError::RateLimited { retry_after: Some(Duration::from_secs(12)) });
    clients.check(&store.credentials()).await.unwrap();
}
