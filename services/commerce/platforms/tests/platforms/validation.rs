//! What a person types into the credentials form: every violation names its field.

use std::collections::HashMap;

use canopy_commerce_platforms::{Credentials, Platform, ShopifyAuth, ValidationPolicy, validate};

fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The fields named by the violations, sorted.
fn fields(result: Result<Credentials, Vec<canopy_commerce_platforms::FieldViolation>>) -> Vec<String> {
    let mut fields: Vec<String> = result.expect_err("expected violations").into_iter().map(|v| v.field).collect();
    fields.sort();
    fields
}

#[test]
fn every_platform_describes_its_fields() {
    for platform in Platform::ALL {
        let specs = platform.fields();
        assert!(!specs.is_empty());
        for spec in specs {
            assert!(!spec.label.is_empty() && !spec.help.is_empty() && spec.max_length > 0, "{spec:?}");
        }
        assert_eq!(Platform::parse(platform.as_str()), Some(platform));
    }
    let secret = |p: Platform, name: &str| p.fields().iter().find(|f| f.name == name).unwrap().secret;
    assert!(secret(Platform::Shopify, "access_token") && secret(Platform::Shopify, "client_secret"));
    assert!(!secret(Platform::Shopify, "shop_domain"));
    assert!(secret(Platform::WooCommerce, "consumer_secret") && secret(Platform::BigCommerce, "access_token"));
}

#[test]
fn a_shopify_token_or_client_credentials_are_accepted() {
    let token = validate(
        Platform::Shopify,
        &form(&[("shop_domain", "My-Shop.myshopify.com"), ("access_token", "shpat_abc123")]),
    )
    .unwrap();
    let Credentials::Shopify(shop) = &token else { panic!("{token:?}") };
    assert_eq!(shop.shop_domain, "my-shop.myshopify.com");
    assert!(matches!(shop.auth, ShopifyAuth::AccessToken(_)));
    assert_eq!(token.hint(), "…c123");

    let app = validate(
        Platform::Shopify,
        &form(&[("shop_domain", "shop.myshopify.com"), ("client_id", "abc"), ("client_secret", "shpss_zz9")]),
    )
    .unwrap();
    let Credentials::Shopify(shop) = &app else { panic!("{app:?}") };
    assert!(matches!(shop.auth, ShopifyAuth::ClientCredentials { .. }));
}

#[test]
fn shopify_refusals_name_their_fields() {
    let v = |pairs: &[(&str, &str)]| fields(validate(Platform::Shopify, &form(pairs)));
    assert_eq!(v(&[("shop_domain", "shop.example.com"), ("access_token", "shpat_x")]), vec!["shop_domain"]);
    assert_eq!(v(&[("shop_domain", "https://shop.myshopify.com"), ("access_token", "shpat_x")]), vec!["shop_domain"]);
    assert_eq!(v(&[("shop_domain", ".myshopify.com"), ("access_token", "shpat_x")]), vec!["shop_domain"]);
    assert_eq!(v(&[("shop_domain", "shop.myshopify.com"), ("access_token", "abc")]), vec!["access_token"]);
    assert_eq!(v(&[("shop_domain", "shop.myshopify.com")]), vec!["access_token"]);
    assert_eq!(v(&[("shop_domain", "shop.myshopify.com"), ("client_id", "abc")]), vec!["client_secret"]);
    assert_eq!(
        v(&[
            ("shop_domain", "shop.myshopify.com"),
            ("access_token", "shpat_x"),
            ("client_id", "a"),
            ("client_secret", "b")
        ]),
        vec!["access_token"]
    );
    assert_eq!(v(&[("access_token", "shpat_x")]), vec!["shop_domain"]);
    assert_eq!(
        v(&[("shop_domain", "a.myshopify.com"), ("access_token", "shpat_x"), ("password", "x")]),
        vec!["password"]
    );
}

#[test]
fn the_shop_domain_suffix_is_configurable() {
    let policy = ValidationPolicy { shopify_domain_suffix: ".shops.test".into(), ..ValidationPolicy::default() };
    let fields_ok = form(&[("shop_domain", "demo.shops.test"), ("access_token", "shpat_x")]);
    assert!(policy.validate(Platform::Shopify, &fields_ok).is_ok());
    let production = form(&[("shop_domain", "demo.myshopify.com"), ("access_token", "shpat_x")]);
    assert_eq!(fields(policy.validate(Platform::Shopify, &production)), vec!["shop_domain"]);
}

#[test]
fn empty_oversized_and_control_characters_are_refused() {
    let long = "x".repeat(600);
    let v = |pairs: &[(&str, &str)]| fields(validate(Platform::BigCommerce, &form(pairs)));
    assert_eq!(v(&[("store_hash", ""), ("access_token", "   ")]), vec!["access_token", "store_hash"]);
    assert_eq!(v(&[("store_hash", "abc"), ("access_token", &long)]), vec!["access_token"]);
    assert_eq!(v(&[("store_hash", "ab\u{7}c"), ("access_token", "tok")]), vec!["store_hash"]);
    assert_eq!(v(&[("store_hash", "abc/../x"), ("access_token", "tok")]), vec!["store_hash"]);
    let error = validate(Platform::BigCommerce, &form(&[("store_hash", "abc"), ("access_token", &long)])).unwrap_err();
    assert!(error[0].description.contains("at most 512"), "{error:?}");
    assert!(validate(Platform::BigCommerce, &form(&[("store_hash", "ABC123"), ("access_token", "tok1")])).is_ok());
}

#[test]
fn woocommerce_store_urls_must_be_public_https() {
    let v = |url: &str| {
        fields(validate(
            Platform::WooCommerce,
            &form(&[("store_url", url), ("consumer_key", "ck_a"), ("consumer_secret", "cs_b")]),
        ))
    };
    for url in [
        "http://shop.example.com",
        "ftp://shop.example.com",
        "shop.example.com",
        "https://127.0.0.1",
        "https://10.0.0.8",
        "https://192.168.1.20:8443/shop",
        "https://169.254.169.254/latest",
        "https://100.64.1.1",
        "https://[::1]",
        "https://[fd00::1]",
        "https://0.0.0.0",
        "https://224.0.0.1",
        "https://localhost",
        "https://printer.local",
        "https://intranet",
        "https://user:pass@shop.example.com",
        "https://shop.example.com/?x=1",
    ] {
        assert_eq!(v(url), vec!["store_url"], "{url}");
    }
    let ok = validate(
        Platform::WooCommerce,
        &form(&[
            ("store_url", "https://Shop.Example.com/store/"),
            ("consumer_key", "ck_a"),
            ("consumer_secret", "cs_b"),
        ]),
    )
    .unwrap();
    assert_eq!(ok.store_label(), "https://shop.example.com/store");
    let keys = fields(validate(
        Platform::WooCommerce,
        &form(&[("store_url", "https://shop.example.com"), ("consumer_key", "key"), ("consumer_secret", "secret")]),
    ));
    assert_eq!(keys, vec!["consumer_key", "consumer_secret"]);
}

#[test]
fn development_allows_http_loopback_stores() {
    let fields_ =
        form(&[("store_url", "http://127.0.0.1:8080"), ("consumer_key", "ck_a"), ("consumer_secret", "cs_b")]);
    assert!(ValidationPolicy::development().validate(Platform::WooCommerce, &fields_).is_ok());
    let http_only = ValidationPolicy { allow_http: true, ..ValidationPolicy::default() };
    assert_eq!(fields(http_only.validate(Platform::WooCommerce, &fields_)), vec!["store_url"]);
}
