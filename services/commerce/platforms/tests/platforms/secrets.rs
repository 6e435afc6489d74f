//! No credential appears in any error's Display or Debug, nor in the credentials' Debug.

use std::collections::HashMap;

use canopy_commerce_platforms::stand_in::StandIn as _;
use canopy_commerce_platforms::stand_in::shopify::{ShopifySetup, ShopifyStandIn};
use canopy_commerce_platforms::stand_in::woocommerce::{WooCommerceSetup, WooCommerceStandIn};
use canopy_commerce_platforms::stand_in::{
    Mode,
    bigcommerce::{BigCommerceSetup, BigCommerceStandIn},
};
use canopy_commerce_platforms::{Credentials, Platform, StoreError, validate};

use crate::support::{clients, manual_clock};

const SHOPIFY_TOKEN: &str = "shpat_SECRETSHOPIFYTOKEN1234";
const SHOPIFY_SECRET: &str = "shpss_SECRETCLIENTSECRET5678";
const WOO_KEY: &str = "ck_SECRETWOOKEY9999";
const WOO_SECRET: &str = "cs_SECRETWOOSECRET8888";
const BC_TOKEN: &str = "SECRETBIGCOMMERCETOKEN7777";
const MARKERS: [&str; 5] =
    ["SECRETSHOPIFYTOKEN", "SECRETCLIENTSECRET", "SECRETWOOKEY", "SECRETWOOSECRET", "SECRETBIGCOMMERCETOKEN"];

fn assert_clean(text: &str) {
    for marker in MARKERS {
        assert!(!text.contains(marker), "{marker} leaked into: {text}");
    }
}

fn assert_error_clean(error: &StoreError) {
    assert_clean(&error.to_string());
    assert_clean(&format!("{error:?}"));
}

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn credentials_debug_masks_every_secret() {
    let all = [
        validate(Platform::Shopify, &form(&[("shop_domain", "a.myshopify.com"), ("access_token", SHOPIFY_TOKEN)])),
        validate(
            Platform::Shopify,
            &form(&[("shop_domain", "a.myshopify.com"), ("client_id", "id"), ("client_secret", SHOPIFY_SECRET)]),
        ),
        validate(
            Platform::WooCommerce,
            &form(&[
                ("store_url", "https://shop.example.com"),
                ("consumer_key", WOO_KEY),
                ("consumer_secret", WOO_SECRET),
            ]),
        ),
        validate(Platform::BigCommerce, &form(&[("store_hash", "abc"), ("access_token", BC_TOKEN)])),
    ];
    for credentials in all {
        let credentials = credentials.unwrap();
        assert_clean(&format!("{credentials:?}"));
        assert_eq!(credentials.hint().chars().count(), 5);
    }
}

#[test]
fn violations_never_quote_a_secret() {
    let long = format!("{WOO_SECRET}{}", "x".repeat(600));
    let violations = validate(
        Platform::WooCommerce,
        &form(&[("store_url", "http://10.0.0.1"), ("consumer_key", WOO_KEY), ("consumer_secret", &long)]),
    )
    .unwrap_err();
    assert_clean(&format!("{violations:?}"));
}

#[tokio::test]
async fn errors_of_every_cause_hold_no_credential() {
    let (_clock, shared) = manual_clock();
    let setup = ShopifySetup {
        access_token: SHOPIFY_TOKEN.into(),
        client_secret: SHOPIFY_SECRET.into(),
        ..ShopifySetup::default()
    };
    let shop = ShopifyStandIn::start(setup, shared.clone()).await;
    let woo = WooCommerceStandIn::start(WooCommerceSetup {
        consumer_key: WOO_KEY.into(),
        consumer_secret: WOO_SECRET.into(),
        ..WooCommerceSetup::default()
    })
    .await;
    let bc =
        BigCommerceStandIn::start(BigCommerceSetup { access_token: BC_TOKEN.into(), ..BigCommerceSetup::default() })
            .await;
    woo.strip_authorization(true); // the secret then travels in the query string
    let clients = clients(Some(shop.url()), Some(bc.url()), shared);
    let modes = [
        Mode::RefuseCredentials,
        Mode::MissingScope,
        Mode::Frozen,
        Mode::Locked,
        Mode::RateLimit { requests: 1, retry_after: Some(1) },
        Mode::GraphqlThrottled { requests: 1, wait_seconds: 1 },
        Mode::NotFound,
        Mode::Close,
    ];
    let credentials: [Credentials; 4] =
        [shop.token_credentials(), shop.client_credentials(), woo.credentials(), bc.credentials()];
    for mode in modes {
        shop.set_mode(mode.clone());
        woo.set_mode(mode.clone());
        bc.set_mode(mode.clone());
        for credentials in &credentials {
            clients.shopify.forget_tokens();
            if let Err(error) = clients.check(credentials).await {
                assert_error_clean(&error);
            }
        }
    }
    // Unreachable with a secret in the URL's query: the URL is never quoted.
    drop(woo);
    let unreachable = Credentials::WooCommerce(canopy_commerce_platforms::WooCommerceCredentials {
        store_url: "http://127.0.0.1:9".into(),
        consumer_key: WOO_KEY.to_string().into(),
        consumer_secret: WOO_SECRET.to_string().into(),
    });
    let error = clients.check(&unreachable).await.unwrap_err();
    assert_eq!(error.code(), "unreachable");
    assert_error_clean(&error);
}
