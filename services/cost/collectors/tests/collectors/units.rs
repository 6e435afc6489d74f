//! SigV4 against AWS's published examples, the amount parser, site matching, ranges
//! and configuration.

use canopy_cost_collectors::decimal::parse_micros;
use canopy_cost_collectors::sigv4::{Request, Signer};
use canopy_cost_collectors::{AccountConfig, DateRange, HttpClient, collector, site_from_name};
use uuid::Uuid;

use crate::support::{BLOG, SHOP, day};

const EXAMPLE_KEY_ID: &str = "AKIDEXAMPLE";
const EXAMPLE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const EXAMPLE_DATE: &str = "20150830T123600Z";

fn example_signer(service: &'static str) -> Signer<'static> {
    Signer { access_key_id: EXAMPLE_KEY_ID, secret_access_key: EXAMPLE_SECRET, region: "us-east-1", service }
}

#[test]
fn sigv4_matches_the_aws_test_suite() {
    let signer = example_signer("service");
    let headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", EXAMPLE_DATE)];
    // get-vanilla, get-vanilla-query-order-key-case and post-vanilla.
    let cases = [
        ("GET", "", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        ("GET", "Param2=value2&Param1=value1", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        ("POST", "", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ];
    for (method, query, signature) in cases {
        let request = Request { method, path: "/", query, headers: &headers, body: b"" };
        assert_eq!(
            signer.authorization(&request, EXAMPLE_DATE),
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
            ),
            "{method} /?{query}"
        );
    }
}

#[test]
fn sigv4_matches_the_iam_example_of_the_signing_documentation() {
    // GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08
    let headers = [
        ("content-type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("host", "iam.amazonaws.com"),
        ("x-amz-date", EXAMPLE_DATE),
    ];
    let request = Request {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &headers,
        body: b"",
    };
    assert_eq!(
        example_signer("iam").authorization(&request, EXAMPLE_DATE),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

#[test]
fn amounts_are_read_exactly() {
    assert_eq!(parse_micros("12.345678"), Ok(12_345_678));
    assert_eq!(parse_micros("0.000001"), Ok(1));
    assert_eq!(parse_micros("1234567.891011"), Ok(1_234_567_891_011));
    // Credits are negative.
    assert_eq!(parse_micros("-3.5"), Ok(-3_500_000));
    assert_eq!(parse_micros("-0.000001"), Ok(-1));
    // Past six places, half away from zero.
    assert_eq!(parse_micros("0.0000005"), Ok(1));
    assert_eq!(parse_micros("-0.0000005"), Ok(-1));
    assert_eq!(parse_micros("0.00000049"), Ok(0));
    // Exponents, as JSON numbers and some APIs write them.
    assert_eq!(parse_micros("1.5E-6"), Ok(2));
    assert_eq!(parse_micros("2.5e2"), Ok(250_000_000));
    // No float drift: 0.1 + 0.2 is 0.3.
    assert_eq!(parse_micros("0.1").unwrap() + parse_micros("0.2").unwrap(), parse_micros("0.3").unwrap());
    // Summing a million 0.000001 gives exactly one unit.
    assert_eq!((0..1_000_000).map(|_| parse_micros("0.000001").unwrap()).sum::<i64>(), 1_000_000);
}

#[test]
fn garbage_is_not_an_amount() {
    for text in ["", "-", ".", "abc", "1,5", "1.2.3", " 1", "1 ", "NaN", "Infinity", "0x10", "1e", "1e999", "--1", "1-"]
    {
        assert!(parse_micros(text).is_err(), "{text:?} was read as an amount");
    }
    assert!(parse_micros("99999999999999999999").is_err(), "too large for i64 micros");
}

#[test]
fn site_names_match_the_last_eight_hex_digits() {
    let sites = [SHOP, BLOG];
    assert_eq!(site_from_name("shop-a1b2c3d4", &sites), Some(SHOP));
    assert_eq!(site_from_name("shop-A1B2C3D4", &sites), Some(SHOP));
    assert_eq!(site_from_name("shop-1a2b3c4d-2", &sites), Some(BLOG));
    assert_eq!(site_from_name("Linode 2GB - blog-1a2b3c4d (61234567)", &sites), Some(BLOG));
    assert_eq!(site_from_name("shop-a1b2c3d4.example.com", &sites), Some(SHOP));
    // Not a suffix: more hex follows, or no "-" before it.
    assert_eq!(site_from_name("shop-a1b2c3d45", &sites), None);
    assert_eq!(site_from_name("shopa1b2c3d4", &sites), None);
    assert_eq!(site_from_name("shop", &sites), None);
    // No known site, or several.
    assert_eq!(site_from_name("shop-ffffffff", &sites), None);
    let twin = Uuid::from_u128(0x11111111_2222_4333_8444_0000a1b2c3d4);
    assert_eq!(site_from_name("shop-a1b2c3d4", &[SHOP, twin]), None);
    // One name naming two different known sites matches neither.
    assert_eq!(site_from_name("shop-a1b2c3d4-blog-1a2b3c4d", &sites), None);
}

#[test]
fn a_range_refuses_an_end_before_its_start() {
    assert!(DateRange::new(day("2026-12-02"), day("2026-12-01")).is_err());
    let range = DateRange::new(day("2026-12-01"), day("2026-12-01")).unwrap();
    assert_eq!(range.days().count(), 1);
}

#[test]
fn configuration_is_checked_field_by_field() {
    let parsed: AccountConfig = serde_json::from_value(serde_json::json!({
        "kind": "digitalocean",
        "token": "dop_v1_secret",
        "account_urn": "do:team:12345678-1234-1234-1234-123456789012",
    }))
    .unwrap();
    assert_eq!(parsed.base_url(), "https://api.digitalocean.com");
    assert!(!format!("{parsed:?}").contains("dop_v1_secret"), "Debug masks the token: {parsed:?}");

    let unknown =
        serde_json::from_value::<AccountConfig>(serde_json::json!({ "kind": "akamai", "token": "t", "tokn": "x" }));
    assert!(unknown.is_err(), "unknown fields are refused");

    let defaults: AccountConfig = serde_json::from_value(
        serde_json::json!({ "kind": "aws", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s" }),
    )
    .unwrap();
    assert_eq!(defaults.base_url(), "https://ce.us-east-1.amazonaws.com");

    let http = HttpClient::new(std::time::Duration::from_secs(1));
    let bad_urn: AccountConfig = serde_json::from_value(serde_json::json!({
        "kind": "digitalocean", "token": "t", "account_urn": "team-1",
    }))
    .unwrap();
    assert_eq!(collector(&bad_urn, http.clone()).err().unwrap().field, "account_urn");

    let bad_table: AccountConfig = serde_json::from_value(serde_json::json!({
        "kind": "gcp", "project_id": "p", "billing_table": "p.d.other_table; drop table x",
        "client_email": "a@p.iam.gserviceaccount.com", "private_key": "x",
    }))
    .unwrap();
    assert_eq!(collector(&bad_table, http.clone()).err().unwrap().field, "billing_table");

    let bad_key: AccountConfig = serde_json::from_value(serde_json::json!({
        "kind": "gcp", "project_id": "p", "billing_table": "p.d.gcp_billing_export_resource_v1_0A",
        "client_email": "a@p.iam.gserviceaccount.com", "private_key": "not a key",
    }))
    .unwrap();
    let error = collector(&bad_key, http.clone()).err().unwrap();
    assert_eq!(error.field, "private_key");
    assert!(!error.to_string().contains("not a key"), "the error does not repeat the key");

    let bad_url: AccountConfig =
        serde_json::from_value(serde_json::json!({ "kind": "akamai", "token": "t", "base_url": "ftp://x" })).unwrap();
    assert_eq!(collector(&bad_url, http).err().unwrap().field, "base_url");
}
