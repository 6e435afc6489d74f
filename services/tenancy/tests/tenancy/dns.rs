//! Domain verification over DNS: small answers over UDP, answers too large for a
//! datagram fetched again over TCP after the server truncates them.

use canopy_sdk::proto::canopy::tenancy::v1::branding_service_client::BrandingServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::*;
use canopy_tenancy::dns::TxtResolver;

use crate::support::{World, dns_server};

/// Other TXT records a real domain carries next to ours (SPF, other services'
/// verification tokens): together over 1,500 bytes, more than fits in UDP.
fn crowded_records(ours: &str) -> Vec<String> {
    let mut records: Vec<String> =
        (0..6).map(|i| format!("vendor{i}-site-verification={}", "x".repeat(240 + i))).collect();
    records.insert(3, ours.to_string());
    records.push(format!("long-record={}", "y".repeat(600)));
    records
}

#[tokio::test]
async fn small_answers_come_over_udp_and_truncated_ones_again_over_tcp() {
    let (server, records, queries) = dns_server().await;
    let resolver = TxtResolver::with_server(server).unwrap();
    records.lock().unwrap().insert("small.example.com".into(), vec!["v=spf1 -all".into()]);
    assert_eq!(resolver.lookup_txt("small.example.com").await.unwrap(), ["v=spf1 -all"]);
    assert_eq!(*queries.lock().unwrap(), [("udp", "small.example.com".to_string())], "UDP only for a small answer");

    queries.lock().unwrap().clear();
    let crowded = crowded_records("canopy-verify=abc");
    records.lock().unwrap().insert("big.example.com".into(), crowded.clone());
    let mut found = resolver.lookup_txt("big.example.com").await.unwrap();
    found.sort();
    let mut expected = crowded;
    expected.sort();
    assert_eq!(found, expected, "every record, including the 600-byte one split in 255-byte strings");
    let transports: Vec<&str> = queries.lock().unwrap().iter().map(|(transport, _)| *transport).collect();
    assert_eq!(transports, ["udp", "tcp"]);

    assert!(resolver.lookup_txt("missing.example.com").await.unwrap().is_empty(), "NXDOMAIN is no record");
}

#[tokio::test]
async fn a_domain_whose_txt_answer_is_too_large_for_udp_still_verifies() {
    let mut world = World::start().await;
    let (customer, owner) = world.customer_with_owner("Crowded Co", "owner@crowded.test").await;
    let channel = world.client("tenancy", &owner).await;
    let mut branding = BrandingServiceClient::with_interceptor(channel.channel(), channel.interceptor());
    let set = branding
        .set_custom_domain(SetCustomDomainRequest {
            customer_id: customer.id.clone(),
            domain: "portal.crowded.test".into(),
        })
        .await
        .unwrap()
        .into_inner();
    world.dns.lock().unwrap().insert(set.txt_record_name.clone(), crowded_records(&set.txt_record_value));
    let verified = branding
        .verify_custom_domain(VerifyCustomDomainRequest { customer_id: customer.id.clone() })
        .await
        .expect("the record is found in the TCP answer")
        .into_inner()
        .branding
        .unwrap();
    assert!(verified.custom_domain_verified);
    assert!(
        world
            .dns_queries
            .lock()
            .unwrap()
            .iter()
            .any(|(transport, name)| *transport == "tcp" && *name == set.txt_record_name),
        "the truncated UDP answer must have been retried over TCP"
    );
}
