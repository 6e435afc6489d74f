//! Shopify: the GraphQL identity call at the pinned version, granted scopes, each
//! refusal, throttling both ways, and client-credential tokens renewed before expiry.

use std::time::Duration;

use canopy_commerce_platforms::stand_in::shopify::{ShopifySetup, ShopifyStandIn};
use canopy_commerce_platforms::stand_in::{Mode, StandIn as _};
use canopy_commerce_platforms::{AuthMethod, SHOPIFY_API_VERSION, StoreError};

use crate::support::{clients, manual_clock};

async fn stand_in(
    lifetime: i64,
) -> (ShopifyStandIn, canopy_kit::clock::ManualClock, canopy_commerce_platforms::StoreClients) {
    let (clock, shared) = manual_clock();
    let shop = ShopifyStandIn::start(
        ShopifySetup { token_lifetime_seconds: lifetime, ..ShopifySetup::default() },
        shared.clone(),
    )
    .await;
    let clients = clients(Some(shop.url()), None, shared);
    (shop, clock, clients)
}

#[tokio::test]
async fn a_valid_token_answers_the_shop_and_its_scopes() {
    let (shop, _clock, clients) = stand_in(3600).await;
    let info = clients.check(&shop.token_credentials()).await.unwrap();
    assert_eq!(info.name.as_deref(), Some("Canopy Demo"));
    assert_eq!(info.domain.as_deref(), Some("canopy-demo.myshopify.com"));
    assert_eq!(info.granted_scopes, vec!["read_products", "read_orders"]);
    assert_eq!(info.auth_method, AuthMethod::ShopifyAccessToken);

    let received = shop.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].method, "POST");
    assert_eq!(received[0].path, format!("/admin/api/{SHOPIFY_API_VERSION}/graphql.json"));
    assert_eq!(received[0].header("x-shopify-access-token"), Some(shop.setup().access_token.as_str()));
    assert!(received[0].json()["query"].as_str().unwrap().contains("myshopifyDomain"));
    assert_eq!(received[1].path, "/admin/oauth/access_scopes.json");
}

#[tokio::test]
async fn each_refusal_is_its_cause() {
    let (shop, _clock, clients) = stand_in(3600).await;
    let cases = [
        (Mode::RefuseCredentials, "unauthorized"),
        (Mode::MissingScope, "missing_scope"),
        (Mode::Frozen, "frozen"),
        (Mode::Locked, "locked"),
        (Mode::NotFound, "not_found"),
    ];
    for (mode, code) in cases {
        shop.set_mode(mode.clone());
        let error = clients.check(&shop.token_credentials()).await.unwrap_err();
        assert_eq!(error.code(), code, "{mode:?}: {error}");
    }
    shop.set_mode(Mode::MissingScope);
    let error = clients.check(&shop.token_credentials()).await.unwrap_err();
    assert_eq!(error, StoreError::MissingScope { missing: vec!["read_orders".into()] });
    assert!(error.to_string().contains("read_orders"), "{error}");
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let (shop, _clock, clients) = stand_in(3600).await;
    let wrong = canopy_commerce_platforms::Credentials::Shopify(canopy_commerce_platforms::ShopifyCredentials {
        shop_domain: shop.setup().shop_domain.clone(),
        auth: canopy_commerce_platforms::ShopifyAuth::AccessToken("shpat_wrong".to_string().into()),
    });
    assert_eq!(clients.check(&wrong).await.unwrap_err(), StoreError::Unauthorized);
}

#[tokio::test]
async fn a_429_carries_its_retry_after_and_the_next_check_succeeds() {
    let (shop, _clock, clients) = stand_in(3600).await;
    shop.set_mode(Mode::RateLimit { requests: 1, retry_after: Some(7) });
    let error = clients.check(&shop.token_credentials()).await.unwrap_err();
    assert_eq!(error, StoreError::RateLimited { retry_after: Some(Duration::from_secs(7)) });
    assert!(error.is_transient());
    clients.check(&shop.token_credentials()).await.unwrap();
}

#[tokio::test]
async fn a_graphql_throttled_error_carries_the_wait_its_cost_implies() {
    let (shop, _clock, clients) = stand_in(3600).await;
    shop.set_mode(Mode::GraphqlThrottled { requests: 1, wait_seconds: 3 });
    let error = clients.check(&shop.token_credentials()).await.unwrap_err();
    assert_eq!(error, StoreError::RateLimited { retry_after: Some(Duration::from_secs(3)) });
}

#[tokio::test]
async fn slow_and_broken_answers_are_unreachable() {
    let (shop, _clock, clients) = stand_in(3600).await;
    shop.set_mode(Mode::Slow { delay_ms: 3_000 });
    let error = clients.check(&shop.token_credentials()).await.unwrap_err();
    assert_eq!(error.code(), "unreachable", "{error}");
    shop.set_mode(Mode::Close);
    let error = clients.check(&shop.token_credentials()).await.unwrap_err();
    assert_eq!(error.code(), "unreachable", "{error}");
}

#[tokio::test]
async fn client_credentials_are_exchanged_once_and_the_token_reused() {
    let (shop, _clock, clients) = stand_in(600).await;
    let info = clients.check(&shop.client_credentials()).await.unwrap();
    assert_eq!(info.auth_method, AuthMethod::ShopifyClientCredentials);
    clients.check(&shop.client_credentials()).await.unwrap();
    assert_eq!(shop.issued_tokens().len(), 1, "the cached token is reused");

    let exchange = shop.received().into_iter().find(|r| r.path == "/admin/oauth/access_token").unwrap();
    assert_eq!(exchange.method, "POST");
    assert!(exchange.header("content-type").unwrap().starts_with("application/x-www-form-urlencoded"));
    let form = canopy_commerce_platforms::stand_in::form_pairs(&String::from_utf8_lossy(&exchange.body));
    assert!(form.contains(&("grant_type".into(), "client_credentials".into())), "{form:?}");
    assert!(form.contains(&("client_id".into(), shop.setup().client_id.clone())), "{form:?}");
}

#[tokio::test]
async fn a_token_is_renewed_before_it_expires_and_an_expired_one_is_never_sent() {
    // 600 s tokens: renewed from 540 s (10% margin), expired at 600 s.
    let (shop, clock, clients) = stand_in(600).await;
    clients.check(&shop.client_credentials()).await.unwrap();
    clock.advance(chrono::Duration::seconds(530));
    clients.check(&shop.client_credentials()).await.unwrap();
    assert_eq!(shop.issued_tokens().len(), 1, "still well before the margin");

    clock.advance(chrono::Duration::seconds(20)); // 550 s: inside the margin, not yet expired
    clients.check(&shop.client_credentials()).await.unwrap();
    let issued = shop.issued_tokens();
    assert_eq!(issued.len(), 2, "renewed before expiry");
    let last_graphql = shop.received().into_iter().rev().find(|r| r.path.ends_with("/graphql.json")).unwrap();
    assert_eq!(last_graphql.header("x-shopify-access-token"), Some(issued[1].as_str()));

    clock.advance(chrono::Duration::seconds(700)); // both tokens now expired
    clients.check(&shop.client_credentials()).await.unwrap();
    assert_eq!(shop.issued_tokens().len(), 3);
    assert_eq!(shop.expired_tokens_presented(), 0, "an expired token was never sent");
}

#[tokio::test]
async fn a_refused_client_secret_is_unauthorized() {
    let (shop, _clock, clients) = stand_in(600).await;
    shop.set_mode(Mode::RefuseCredentials);
    assert_eq!(clients.check(&shop.client_credentials()).await.unwrap_err(), StoreError::Unauthorized);
    assert!(shop.issued_tokens().is_empty());
}
