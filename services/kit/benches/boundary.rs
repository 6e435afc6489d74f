//! What the request boundary costs per request: decoding the message with prost-reflect
//! and walking every string for NUL, beside the peer that runs anyway — tonic decoding
//! the same bytes into the generated prost type. Prints a table; asserts nothing.
//!
//! `cargo bench -p canopy-kit --bench boundary`

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use canopy_kit::access::MethodPolicies;
use canopy_kit::request::RequestBoundary;
use canopy_sdk::FILE_DESCRIPTOR_SET;
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::sites::v1 as sites;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use prost::Message;

fn framed(encoded: &[u8]) -> Bytes {
    let mut body = vec![0u8];
    body.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    body.extend_from_slice(encoded);
    body.into()
}

/// Nanoseconds per call of `f`, over about half a second after a warm-up.
fn per_call(mut f: impl FnMut()) -> f64 {
    for _ in 0..1_000 {
        f();
    }
    let mut calls = 0u64;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(500) {
        for _ in 0..100 {
            f();
        }
        calls += 100;
    }
    started.elapsed().as_nanos() as f64 / calls as f64
}

fn row<M: Message + Default>(layer: &RequestBoundary, label: &str, path: &str, message: &M) {
    let encoded = message.encode_to_vec();
    let body = framed(&encoded);
    layer.check(path, body.clone()).expect("a clean request passes");
    let prost = per_call(|| {
        black_box(M::decode(black_box(&encoded[..])).unwrap());
    });
    let boundary = per_call(|| {
        black_box(layer.check(path, black_box(body.clone()))).unwrap();
    });
    println!("| {label} | {} | {:.2} | {:.2} | {:.1}× |", encoded.len(), prost / 1e3, boundary / 1e3, boundary / prost);
}

fn main() {
    let policies = MethodPolicies::from_descriptor_set(FILE_DESCRIPTOR_SET).unwrap();
    let layer = RequestBoundary::new(FILE_DESCRIPTOR_SET, &policies).unwrap();
    println!("| request | bytes | prost decode µs (peer) | boundary check µs | ratio |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    row(
        &layer,
        "Login",
        "/canopy.identity.v1.AuthService/Login",
        &identity::LoginRequest { email: "owner@example.com".into(), password: "correct horse battery".into() },
    );
    row(
        &layer,
        "GetSite",
        "/canopy.sites.v1.SiteService/GetSite",
        &sites::GetSiteRequest { site_id: "0191d2f4-6a4e-7c1b-9a55-3f0e0b7d2c11".into() },
    );
    row(
        &layer,
        "CreateCustomer",
        "/canopy.tenancy.v1.CustomerService/CreateCustomer",
        &tenancy::CreateCustomerRequest {
            idempotency_key: "create-customer-0001".into(),
            name: "Acme Holdings".into(),
            owner_email: "owner@acme.example".into(),
            owner_display_name: "Ann Lee".into(),
            ..Default::default()
        },
    );
    row(
        &layer,
        "CreateSite, 20 labels, 20 env vars",
        "/canopy.sites.v1.SiteService/CreateSite",
        &sites::CreateSiteRequest {
            idempotency_key: "create-site-0001".into(),
            name: "shop".into(),
            region: "europe-west1".into(),
            labels: (0..20).map(|i| (format!("label-{i}"), format!("value-{i}"))).collect(),
            runtime: Some(sites::Runtime {
                image: "registry.example/shop:1.2.3".into(),
                port: 8080,
                env: (0..20).map(|i| (format!("KEY_{i}"), format!("value number {i}"))).collect(),
            }),
            ..Default::default()
        },
    );
}
