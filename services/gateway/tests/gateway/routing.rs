//! Generic routing: the owning service comes from the path; what the edge does not
//! serve (unknown, non-Canopy and INTERNAL methods) is one identical UNIMPLEMENTED;
//! forwarded calls carry the client address, the trace and the deadline.

use std::sync::atomic::Ordering;
use std::time::Duration;

use canopy_sdk::proto::canopy::identity::v1::ListVerificationKeysRequest;
use canopy_sdk::proto::canopy::identity::v1::credential_service_client::CredentialServiceClient;
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};

use crate::support::*;

/// A raw unary call to any path (the request bytes are an empty message).
async fn call_path(world: &World, path: &'static str, token: &str) -> tonic::Status {
    let mut grpc = tonic::client::Grpc::new(world.channel().await);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<EchoRequest, EchoResponse>::default();
    grpc.unary(bearer(EchoRequest::default(), token), http::uri::PathAndQuery::from_static(path), codec)
        .await
        .expect_err(path)
}

#[tokio::test]
async fn unknown_non_canopy_and_internal_methods_get_the_same_unimplemented_answer() {
    let world = World::start().await;
    let admin = world.user(None, "platform_admin").await;
    let token = world.token(&admin);

    let unknown = call_path(&world, "/canopy.gatewaytest.v1.TestService/NoSuchMethod", &token).await;
    assert_eq!(unknown.code(), Code::Unimplemented);
    for path in [
        "/canopy.gatewaytest.v1.TestService/Internal",
        "/canopy.identity.v1.CredentialService/ListVerificationKeys",
        "/canopy.identity.v1.CredentialService/VerifyApiKey",
        "/canopy.system.v1.SystemService/GetSystemInfo",
        "/canopy.nosuchdomain.v1.Service/Method",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.health.v1.Health/Watch/extra",
        "/not-grpc",
    ] {
        let status = call_path(&world, path, &token).await;
        assert_eq!(status.code(), unknown.code(), "{path}");
        assert_eq!(status.message(), unknown.message(), "{path}: answered differently from an unknown method");
        assert_eq!(status.details(), unknown.details(), "{path}");
    }
    assert_eq!(world.events.calls.load(Ordering::SeqCst), 0, "nothing reached the upstream");

    // The generated client for identity's internal method gets the same answer.
    let status = CredentialServiceClient::new(world.channel().await)
        .list_verification_keys(bearer(ListVerificationKeysRequest {}, &token))
        .await
        .expect_err("internal method");
    assert_eq!(status.code(), Code::Unimplemented);
}

#[tokio::test]
async fn the_gateway_answers_its_own_health_and_reports_not_serving_while_draining() {
    let world = World::start_with(|_| {}).await;
    let mut health = HealthClient::new(world.channel().await);
    let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
    assert_eq!(status, ServingStatus::Serving as i32);
    world.gateway.start_draining().await;
    let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
    assert_eq!(status, ServingStatus::NotServing as i32);
}

#[tokio::test]
async fn forwarded_calls_carry_the_client_address_trace_and_deadline() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let mut request = bearer(EchoRequest { text: "x".into(), ..Default::default() }, &world.token(&user));
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    request.metadata_mut().insert("traceparent", MetadataValue::try_from(traceparent.as_str()).unwrap());
    // A client cannot choose its address or pose as a mesh workload.
    request.metadata_mut().insert("x-forwarded-for", MetadataValue::from_static("203.0.113.9"));
    request.metadata_mut().insert(
        "l5d-client-id",
        MetadataValue::from_static("identity.canopy.serviceaccount.identity.linkerd.cluster.local"),
    );
    request.metadata_mut().insert("canopy-credential-lookup", MetadataValue::from_static("1"));
    request.metadata_mut().insert("x-custom", MetadataValue::from_static("kept"));
    request.set_timeout(Duration::from_secs(7));
    let headers = world.client().await.echo(request).await.expect("echo").into_inner().headers;
    assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
    assert!(!headers.contains_key("l5d-client-id"), "{headers:?}");
    assert!(!headers.contains_key("canopy-credential-lookup"), "a client cannot mark its call as the gateway's own");
    assert_eq!(headers["x-custom"], "kept");
    assert!(headers["traceparent"].contains(trace_id), "{headers:?}");
    let timeout = &headers["grpc-timeout"];
    assert!(timeout.ends_with('u') || timeout.ends_with('m') || timeout.ends_with('S'), "grpc-timeout {timeout}");

    // Without a traceparent the gateway starts a trace and forwards it.
    let request = bearer(EchoRequest::default(), &world.token(&user));
    let headers = world.client().await.echo(request).await.expect("echo").into_inner().headers;
    let started = &headers["traceparent"];
    assert_eq!(started.split('-').count(), 4, "{started}");
}

#[tokio::test]
async fn the_upstream_accepts_only_the_gateway_workload_so_forwarding_uses_the_mesh_identity() {
    let world = World::start().await;
    // Directly, a workload the mesh policy does not allow is refused by the upstream...
    let status = TestServiceClient::new(world.upstream_channel("identity").await)
        .echo(EchoRequest::default())
        .await
        .expect_err("identity may not call the test service");
    assert_eq!(status.code(), Code::PermissionDenied);
    // ...while the gateway's forwarded call is accepted.
    let user = world.customer("member").await;
    world.client().await.echo(bearer(EchoRequest::default(), &world.token(&user))).await.expect("through the gateway");
}

#[tokio::test]
async fn a_service_that_is_down_is_unavailable() {
    let world = World::start().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    world.services.runtime.endpoints.write().unwrap().insert(UPSTREAM.to_string(), closed);
    let user = world.customer("member").await;
    let status = world
        .client()
        .await
        .echo(bearer(EchoRequest::default(), &world.token(&user)))
        .await
        .expect_err("upstream down");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_last_forwarded_entry() {
    let world = World::start_with(|config| {
        config.trust_forwarded_for = true;
        config.rate_limits.sign_in.calls = 1;
    })
    .await;
    let user = world.customer("member").await;
    let mut client = world.client().await;
    let mut request = bearer(EchoRequest::default(), &world.token(&user));
    // The proxy appended 198.51.100.7; the first entry is whatever the client wrote.
    request.metadata_mut().insert("x-forwarded-for", MetadataValue::from_static("203.0.113.9, 198.51.100.7"));
    let headers = client.echo(request).await.expect("echo").into_inner().headers;
    assert_eq!(headers["x-forwarded-for"], "198.51.100.7", "services read the first entry: only the real one is sent");

    // Sign-in limits count per that address, so two proxied clients are independent.
    for address in ["198.51.100.7", "198.51.100.8"] {
        let mut request = tonic::Request::new(SignInRequest {});
        request.metadata_mut().insert("x-forwarded-for", MetadataValue::try_from(address).unwrap());
        client.sign_in(request).await.unwrap_or_else(|e| panic!("{address}: {e:?}"));
    }
    let mut request = tonic::Request::new(SignInRequest {});
    request.metadata_mut().insert("x-forwarded-for", MetadataValue::from_static("10.0.0.1, 198.51.100.7"));
    let status = client.sign_in(request).await.expect_err("second sign-in from 198.51.100.7");
    assert_eq!(status.code(), Code::ResourceExhausted);
}
