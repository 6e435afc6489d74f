//! BigCommerce: the v2 store information call and its refusals and rate-limit headers.

use std::time::Duration;

use canopy_commerce_platforms::stand_in::bigcommerce::{BigCommerceSetup, BigCommerceStandIn};
use canopy_commerce_platforms::stand_in::{Mode, StandIn as _};
use canopy_commerce_platforms::{AuthMethod, StoreError};

use crate::support::{clients, manual_clock};

async fn stand_in() -> (BigCommerceStandIn, canopy_commerce_platforms::StoreClients) {
    let (_clock, shared) = manual_clock();
    let store = BigCommerceStandIn::start(BigCommerceSetup::default()).await;
    let clients = clients(None, Some(store.url()), shared);
    (store, clients)
}

#[tokio::test]
async fn a_valid_token_answers_the_store() {
    let (store, clients) = stand_in().await;
    let info = clients.check(&store.credentials()).await.unwrap();
    assert_eq!(info.name.as_deref(), Some("Canopy Demo Store"));
    assert_eq!(info.domain.as_deref(), Some("demo.example.com"));
    assert_eq!(info.currency.as_deref(), Some("USD"));
    assert_eq!(info.auth_method, AuthMethod::AuthToken);
    let received = store.received();
    assert_eq!(received[0].path, "/stores/abc123def4/v2/store");
    assert_eq!(received[0].header("x-auth-token"), Some(store.setup().access_token.as_str()));
    assert_eq!(received[0].header("accept"), Some("application/json"));
}

#[tokio::test]
async fn a_wrong_token_or_store_hash_is_its_cause() {
    let (store, clients) = stand_in().await;
    let wrong_token = store.credentials_with("abc123def4", "wrongtoken");
    assert_eq!(clients.check(&wrong_token).await.unwrap_err(), StoreError::Unauthorized);
    let wrong_hash = store.credentials_with("zzz999", &store.setup().access_token);
    assert_eq!(clients.check(&wrong_hash).await.unwrap_err(), StoreError::NotFound);
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
async fn a_429_carries_the_reset_header_as_its_wait() {
    let (store, clients) = stand_in().await;
    store.set_mode(Mode::RateLimit { requests: 2, retry_after: Some(15) });
    for _ in 0..2 {
        let error = clients.check(&store.credentials()).await.unwrap_err();
        assert_eq!(error, StoreError::RateLimited { retry_after: Some(Duration::from_secs(15)) });
    }
    clients.check(&store.credentials()).await.unwrap();
}
