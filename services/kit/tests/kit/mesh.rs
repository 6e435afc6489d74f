//! mTLS and mesh authorisation: who can and cannot reach a service.

use std::time::Duration;

use canopy_kit::mesh::{DevPki, LeafValidity};
use canopy_kit::server::StartError;
use canopy_kit::testing::TestEnv;
use canopy_sdk::proto::canopy::common::v1::ServingStatus;
use canopy_sdk::proto::canopy::system::v1::GetSystemInfoRequest;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::support::spec;

#[tokio::test]
async fn an_allowed_workload_gets_system_info_over_mtls() {
    let env = TestEnv::new().await;
    let services = env.spawn(&[&spec("identity")]).await;
    let client = services.client("identity", "canopyctl").await;
    let info = client.system().get_system_info(GetSystemInfoRequest {}).await.expect("system info").into_inner();
    assert_eq!(info.service, "identity");
    assert_eq!(info.workload_identity, "identity.canopy.serviceaccount.identity.linkerd.cluster.local");
    assert_eq!(info.status, ServingStatus::Serving as i32, "{info:?}");
    let names: Vec<&str> = info.dependencies.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["postgres", "redis"]);
    services.shutdown().await;
}

/// The server's TLS alert. With TLS 1.3 the client may finish its side of the
/// handshake before the server refuses the certificate, so the refusal can surface
/// at connect or at the first call.
async fn handshake_refusal(result: Result<canopy_sdk::Canopy, canopy_sdk::ConnectError>) -> String {
    let error: Box<dyn std::error::Error> = match result {
        Err(error) => Box::new(error),
        Ok(client) => {
            Box::new(client.system().get_system_info(GetSystemInfoRequest {}).await.expect_err("call refused"))
        }
    };
    let mut chain = format!("{error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(&format!(" <- {cause:?}"));
        source = cause.source();
    }
    chain
}

#[tokio::test]
async fn the_gateway_cannot_call_an_internal_method_even_inside_the_mesh() {
    let env = TestEnv::new().await;
    let services = env.spawn(&[&spec("identity")]).await;
    let gateway = services.client("identity", "gateway").await;
    let error = gateway.system().get_system_info(GetSystemInfoRequest {}).await.unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied, "{error:?}");
    assert!(error.message().contains("internal to the mesh"), "{error:?}");
    // Health is not a Canopy method and stays reachable for the gateway's probes.
    let mut health = HealthClient::new(gateway.channel());
    health.check(HealthCheckRequest { service: String::new() }).await.expect("health through the gateway identity");
    services.shutdown().await;
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_at_the_handshake() {
    let env = TestEnv::new().await;
    let services = env.spawn(&[&spec("identity")]).await;
    let ca = std::fs::read(env.pki.dir().join("trust-anchor.crt")).unwrap();
    let result = canopy_sdk::Canopy::builder(format!("https://{}", services.addr("identity")))
        .ca_certificate_pem(ca)
        .server_name("identity.canopy.serviceaccount.identity.linkerd.cluster.local")
        .connect()
        .await;
    let refusal = handshake_refusal(result).await;
    assert!(refusal.contains("received fatal alert: CertificateRequired"), "{refusal}");
    services.shutdown().await;
}

#[tokio::test]
async fn a_certificate_from_another_trust_anchor_is_refused() {
    let env = TestEnv::new().await;
    let services = env.spawn(&[&spec("identity")]).await;
    let rogue_dir = tempfile::tempdir().unwrap();
    DevPki::generate(rogue_dir.path(), "canopy", "cluster.local", &["canopyctl"]).unwrap();
    let read = |name: &str| std::fs::read(rogue_dir.path().join(name)).unwrap();
    let ca = std::fs::read(env.pki.dir().join("trust-anchor.crt")).unwrap();
    let result = canopy_sdk::Canopy::builder(format!("https://{}", services.addr("identity")))
        .ca_certificate_pem(ca)
        .client_identity_pem(read("canopyctl.crt"), read("canopyctl.key"))
        .server_name("identity.canopy.serviceaccount.identity.linkerd.cluster.local")
        .connect()
        .await;
    let refusal = handshake_refusal(result).await;
    assert!(refusal.contains("received fatal alert"), "{refusal}");
    services.shutdown().await;
}

#[tokio::test]
async fn an_identity_the_mesh_policy_does_not_list_is_permission_denied() {
    let env = TestEnv::new().await;
    env.pki.issue_leaf("intruder", LeafValidity::days(1)).unwrap();
    // A workload of the right name in another namespace is a different identity.
    env.pki
        .issue_leaf_for_name(
            "foreign-gateway",
            "gateway.elsewhere.serviceaccount.identity.linkerd.cluster.local",
            LeafValidity::days(1),
        )
        .unwrap();
    let services = env.spawn(&[&spec("identity")]).await;
    for workload in ["intruder", "foreign-gateway"] {
        let client = services.client("identity", workload).await;
        let error = client.system().get_system_info(GetSystemInfoRequest {}).await.unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied, "{workload}: {error:?}");
        // Health is behind the same policy.
        let mut health = HealthClient::new(client.channel());
        let error = health.check(HealthCheckRequest { service: String::new() }).await.unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied, "{workload}: {error:?}");
    }
    services.shutdown().await;
}

#[tokio::test]
async fn a_service_refuses_to_start_with_an_expired_or_mismatched_certificate() {
    let env = TestEnv::new().await;
    let now = time::OffsetDateTime::now_utc();
    let expired = LeafValidity { not_before: now - time::Duration::days(10), not_after: now - time::Duration::days(1) };
    env.pki.issue_leaf("identity", expired).unwrap();
    let error = env.try_spawn(&[&spec("identity")]).await.err().expect("expired certificate refused");
    assert!(matches!(error, StartError::Tls { .. }), "{error}");
    assert!(error.to_string().contains("identity.crt: certificate expired"), "{error}");

    env.pki
        .issue_leaf_for_name(
            "identity",
            "tenancy.canopy.serviceaccount.identity.linkerd.cluster.local",
            LeafValidity::days(1),
        )
        .unwrap();
    let error = env.try_spawn(&[&spec("identity")]).await.err().expect("mismatched certificate refused");
    assert!(error.to_string().contains("certificate names"), "{error}");
    assert!(error.to_string().contains("expected identity.canopy"), "{error}");
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_start_error() {
    let env = TestEnv::new().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let runtime = canopy_kit::server::SharedRuntime::connect(env.config.clone()).await.unwrap();
    let error = runtime.start(&spec("identity"), &[], taken.local_addr().unwrap()).await.err().expect("port in use");
    let text = error.to_string();
    assert!(text.starts_with("service identity: cannot listen on 127.0.0.1:"), "{text}");
}

#[tokio::test]
async fn health_and_reflection_answer_and_shutdown_reports_not_serving() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let env = TestEnv::new().await;
    let mut services = env.spawn(&[&spec("identity")]).await;
    let client = services.client("identity", "canopyctl").await;
    let mut health = HealthClient::new(client.channel());
    for service in ["", "canopy.system.v1.SystemService"] {
        let status = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status;
        assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32, "{service:?}");
    }

    let mut reflection = ServerReflectionClient::new(client.channel());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    let response = stream.message().await.unwrap().expect("a reflection response");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else { panic!("{response:?}") };
    let listed: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    let pool = prost_reflect::DescriptorPool::decode(canopy_sdk::FILE_DESCRIPTOR_SET).unwrap();
    for service in pool.services() {
        assert!(listed.contains(&service.full_name().to_string()), "{} missing from {listed:?}", service.full_name());
    }

    // Draining: health says NOT_SERVING while calls are still answered.
    let running = services.services.remove("identity").unwrap();
    running.start_draining().await;
    let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
    assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::NotServing as i32);
    running.stop().await;
    let refused =
        tokio::time::timeout(Duration::from_secs(5), health.check(HealthCheckRequest { service: String::new() })).await;
    assert!(matches!(refused, Ok(Err(_))), "a stopped service must not answer: {refused:?}");
}

#[tokio::test]
async fn the_credential_lookup_marker_opens_nothing_but_the_credential_service_to_the_gateway() {
    let env = TestEnv::new().await;
    let services = env.spawn(&[&spec("identity")]).await;
    let gateway = services.client("identity", "gateway").await;
    let mut request = tonic::Request::new(GetSystemInfoRequest {});
    request.metadata_mut().insert(canopy_kit::auth::CREDENTIAL_LOOKUP_HEADER, "1".parse().unwrap());
    let error = gateway.system().get_system_info(request).await.unwrap_err();
    assert_eq!(error.code(), Code::PermissionDenied, "{error:?}");
    services.shutdown().await;
}

#[tokio::test]
async fn plaintext_mode_trusts_the_linkerd_proxy_s_client_identity_header_only() {
    let mut env = TestEnv::new().await;
    env.config.mesh.mode = canopy_kit::config::MeshMode::Plaintext;
    let services = env.spawn(&[&spec("identity")]).await;
    let plain = canopy_sdk::Canopy::connect(format!("http://{}", services.addr("identity"))).await.unwrap();
    let call = |client_id: Option<&'static str>| {
        let plain = plain.clone();
        async move {
            let mut request = tonic::Request::new(GetSystemInfoRequest {});
            if let Some(id) = client_id {
                request.metadata_mut().insert("l5d-client-id", id.parse().unwrap());
            }
            plain.system().get_system_info(request).await
        }
    };
    let info =
        call(Some("canopyctl.canopy.serviceaccount.identity.linkerd.cluster.local")).await.expect("proxy-named caller");
    assert_eq!(info.into_inner().service, "identity");
    for client_id in
        [None, Some("intruder.canopy.serviceaccount.identity.linkerd.cluster.local"), Some("not an identity")]
    {
        let error = call(client_id).await.unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied, "{client_id:?}: {error:?}");
    }
    services.shutdown().await;
}
