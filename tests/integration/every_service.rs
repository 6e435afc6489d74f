//! Checks that hold for every registered service, so a new service is covered the
//! moment it is added to the registry.

use canopy_kit::db::audit_catalog;
use canopy_kit::mesh::LeafValidity;
use canopy_kit::testing::TestEnv;
use canopy_sdk::proto::canopy::common::v1::ServingStatus;
use canopy_sdk::proto::canopy::system::v1::GetSystemInfoRequest;
use canopyd::registry::MANIFESTS;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

#[tokio::test]
async fn every_service_is_healthy_reflects_the_contracts_and_reports_its_dependencies() {
    let env = TestEnv::new().await;
    let services = env.spawn(MANIFESTS).await;
    let pool = prost_reflect::DescriptorPool::decode(canopy_sdk::FILE_DESCRIPTOR_SET).unwrap();
    for spec in MANIFESTS {
        let client = services.client(spec.name, "canopyctl").await;
        let mut health = HealthClient::new(client.channel());
        let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
        assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32, "{}", spec.name);

        let mut reflection = ServerReflectionClient::new(client.channel());
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut stream = reflection.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
        let Some(MessageResponse::ListServicesResponse(list)) =
            stream.message().await.unwrap().unwrap().message_response
        else {
            panic!("{}: no service list", spec.name)
        };
        let listed: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        for service in pool.services() {
            assert!(
                listed.contains(&service.full_name().to_string()),
                "{}: {} not reflected",
                spec.name,
                service.full_name()
            );
        }

        let info = client.system().get_system_info(GetSystemInfoRequest {}).await.unwrap().into_inner();
        assert_eq!(info.service, spec.name);
        assert_eq!(info.status, ServingStatus::Serving as i32, "{info:?}");
        assert!(info.dependencies.iter().any(|d| d.name == "postgres"), "{}: {info:?}", spec.name);
    }
    services.shutdown().await;
}

#[tokio::test]
async fn every_service_refuses_unknown_workloads_and_uncertified_clients() {
    let env = TestEnv::new().await;
    env.pki.issue_leaf("intruder", LeafValidity::days(1)).unwrap();
    let services = env.spawn(MANIFESTS).await;
    let ca = std::fs::read(env.pki.dir().join("trust-anchor.crt")).unwrap();
    for spec in MANIFESTS {
        let intruder = services.client(spec.name, "intruder").await;
        let error = intruder.system().get_system_info(GetSystemInfoRequest {}).await.unwrap_err();
        assert_eq!(error.code(), Code::PermissionDenied, "{}: {error:?}", spec.name);

        let anonymous = canopy_sdk::Canopy::builder(format!("https://{}", services.addr(spec.name)))
            .ca_certificate_pem(ca.clone())
            .server_name(format!("{}.canopy.serviceaccount.identity.linkerd.cluster.local", spec.name))
            .connect()
            .await;
        if let Ok(client) = anonymous {
            let error = client.system().get_system_info(GetSystemInfoRequest {}).await.unwrap_err();
            assert!(format!("{error:?}").contains("CertificateRequired"), "{}: {error:?}", spec.name);
        }
    }
    services.shutdown().await;
}

#[tokio::test]
async fn the_catalog_proves_isolation_once_every_service_has_migrated() {
    let env = TestEnv::new().await;
    let services = env.spawn(MANIFESTS).await;
    let pool = env.superuser_pool().await;
    let violations = audit_catalog(&pool, &env.config.database.app_role, &[]).await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
    let schemas: Vec<String> = sqlx::query_scalar(
        "select nspname::text from pg_namespace where nspowner = 'canopy_owner'::regrole order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut expected: Vec<String> =
        MANIFESTS.iter().filter_map(|s| s.schema.map(|schema| schema.name.to_string())).collect();
    expected.sort();
    assert_eq!(schemas, expected);
    services.shutdown().await;
}
