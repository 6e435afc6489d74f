//! `canopyd dev` from an empty folder: private PostgreSQL and Redis, PKI, every
//! service healthy over mTLS; Ctrl-C leaves no process or port behind.

use std::process::Stdio;
use std::time::{Duration, Instant};

use canopy_sdk::Canopy;
use canopy_sdk::proto::canopy::common::v1::ServingStatus;
use canopy_sdk::proto::canopy::system::v1::GetSystemInfoRequest;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::support::{alive, canopyd, postmaster_pid};

#[tokio::test]
async fn dev_reaches_healthy_on_every_service_and_ctrl_c_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = canopyd()
        .args(["dev", "--dir"])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn canopyd dev");

    let endpoints_path = dir.path().join("endpoints.json");
    let deadline = Instant::now() + Duration::from_secs(90);
    while !endpoints_path.exists() {
        assert!(child.try_wait().unwrap().is_none(), "canopyd dev exited before it was ready");
        assert!(Instant::now() < deadline, "canopyd dev not ready after 90s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let endpoints: serde_json::Value = serde_json::from_slice(&std::fs::read(&endpoints_path).unwrap()).unwrap();
    let services = endpoints["services"].as_object().unwrap().clone();
    let names: Vec<&String> = services.keys().collect();
    let expected: Vec<&str> = canopyd::registry::SERVICES.iter().map(|s| s.name).collect();
    assert_eq!(names.len(), expected.len(), "{names:?}");

    let pki = dir.path().join("pki");
    let read = |name: &str| std::fs::read(pki.join(name)).unwrap();
    for (service, addr) in &services {
        let client = Canopy::builder(format!("https://{}", addr.as_str().unwrap()))
            .ca_certificate_pem(read("trust-anchor.crt"))
            .client_identity_pem(read("canopyctl.crt"), read("canopyctl.key"))
            .server_name(endpoints["identities"][service].as_str().unwrap())
            .connect()
            .await
            .unwrap_or_else(|e| panic!("{service}: {e}"));
        let mut health = HealthClient::new(client.channel());
        let status = health.check(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner().status;
        assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32, "{service}");
        let info = client.system().get_system_info(GetSystemInfoRequest {}).await.unwrap().into_inner();
        assert_eq!(&info.service, service);
        assert_eq!(info.status, ServingStatus::Serving as i32, "{info:?}");
    }
    let metrics = reqwest_metrics(endpoints["ops"].as_str().unwrap()).await;
    assert!(metrics.contains("canopy_rpc_requests_total"), "{metrics}");

    let postgres_pid = postmaster_pid(&dir.path().join("postgres/data")).expect("private postgres running");
    let redis_port: u16 =
        endpoints["redis"].as_str().unwrap().rsplit(':').next().unwrap().split('/').next().unwrap().parse().unwrap();

    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "canopyd dev did not stop within 30s of Ctrl-C");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");
    for (service, addr) in &services {
        assert!(std::net::TcpStream::connect(addr.as_str().unwrap()).is_err(), "{service} still listening");
    }
    assert!(!alive(postgres_pid), "private postgres still running");
    assert!(std::net::TcpStream::connect(("127.0.0.1", redis_port)).is_err(), "private redis still listening");
    assert!(!endpoints_path.exists(), "endpoints.json describes servers that are gone");
}

/// GET /metrics with a bare HTTP/1.1 request (no HTTP client dependency for one call).
async fn reqwest_metrics(addr: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).await.unwrap();
    body
}
