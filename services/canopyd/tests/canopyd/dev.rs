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
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn canopyd dev");
    let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let stdout = stdout.clone();
        let pipe = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                stdout.lock().unwrap().push_str(&(line + "\n"));
            }
        })
    };

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
    let expected: Vec<&str> = canopyd::registry::MANIFESTS.iter().map(|s| s.name).collect();
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

    // The first platform admin's login is printed once; sign in with it through the
    // gateway (TLS, dev edge certificate) and create a sandbox site with the SDK.
    let deadline = Instant::now() + Duration::from_secs(30);
    let admin_line = loop {
        if let Some(line) =
            stdout.lock().unwrap().lines().find(|l| l.starts_with("First platform admin")).map(String::from)
        {
            break line;
        }
        assert!(Instant::now() < deadline, "no admin login printed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let credentials = admin_line.rsplit(": ").next().unwrap();
    let (email, password) = credentials.split_once(" / ").unwrap();
    let gateway = Canopy::builder(format!("https://{}", endpoints["gateway"].as_str().expect("gateway address")))
        .ca_certificate_pem(read("trust-anchor.crt"))
        .server_name("localhost")
        .connect()
        .await
        .expect("TLS to the gateway");
    sandbox_site_through_the_gateway(&gateway, email, password).await;
    portals_are_served_with_a_same_origin_api(&endpoints, email, password).await;

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
    reader.join().unwrap();
    let printed = stdout.lock().unwrap().clone();
    assert!(printed.contains("/invitation#token="), "the owner invitation is printed in dev: {printed}");
}

/// The built portals are served, `/config.json` points them at their own origin, and
/// a grpc-web call to that origin reaches identity through the gateway. CI builds the
/// portals before the Rust tests; a local run without them says it skipped.
async fn portals_are_served_with_a_same_origin_api(endpoints: &serde_json::Value, email: &str, password: &str) {
    use prost::Message;
    let portals = endpoints["portals"].as_object().cloned().unwrap_or_default();
    if portals.is_empty() {
        assert!(std::env::var_os("CI").is_none(), "CI builds the portals, so canopyd dev must serve them");
        eprintln!("portals not built (web/*/dist): skipped the portal checks");
        return;
    }
    assert_eq!(portals.keys().collect::<Vec<_>>(), ["admin", "customer"]);
    for (name, url) in portals {
        let url = url.as_str().unwrap();
        let addr = url.trim_start_matches("http://");
        let page = http1(addr, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[]).await;
        assert!(String::from_utf8_lossy(&page).to_lowercase().contains("<!doctype html"), "{name}: no page");
        let deep_link = http1(addr, "GET /sites/123 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[]).await;
        assert!(
            String::from_utf8_lossy(&deep_link).to_lowercase().contains("<!doctype html"),
            "{name}: no SPA fallback"
        );
        let escape = http1(addr, "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[]).await;
        assert!(!String::from_utf8_lossy(&escape).contains("root:"), "{name}: path traversal");
        let config = http1(addr, "GET /config.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &[]).await;
        assert!(String::from_utf8_lossy(&config).contains(&format!("\"apiBaseUrl\":\"{url}\"")), "{name}: config");

        let login =
            canopy_sdk::proto::canopy::identity::v1::LoginRequest { email: email.into(), password: password.into() }
                .encode_to_vec();
        let mut frame = vec![0u8];
        frame.extend_from_slice(&(login.len() as u32).to_be_bytes());
        frame.extend_from_slice(&login);
        let head = format!(
            "POST /canopy.identity.v1.AuthService/Login HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc-web+proto\r\nX-Grpc-Web: 1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            frame.len()
        );
        let answer = http1(addr, &head, &frame).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(text.contains("grpc-status:0"), "{name}: grpc-web login through the portal origin: {text}");
    }
}

/// One HTTP/1.1 exchange on a fresh connection; the whole response.
async fn http1(addr: &str, head: &str, body: &[u8]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await.unwrap().unwrap();
    response
}

/// Signs in as the admin, creates a customer and a sandbox site for it with the
/// Rust SDK through the gateway, and follows the deployment to ACTIVE.
async fn sandbox_site_through_the_gateway(gateway: &Canopy, email: &str, password: &str) {
    use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
    use canopy_sdk::proto::canopy::identity::v1::{LoginRequest, login_response};
    use canopy_sdk::proto::canopy::sites::v1 as sites;
    use canopy_sdk::proto::canopy::sites::v1::site_service_client::SiteServiceClient;
    use canopy_sdk::proto::canopy::tenancy::v1::CreateCustomerRequest;
    use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;

    let login = AuthServiceClient::new(gateway.channel())
        .login(LoginRequest { email: email.into(), password: password.into() })
        .await
        .expect("admin login through the gateway")
        .into_inner();
    let Some(login_response::Result::Session(session)) = login.result else { panic!("{login:?}") };
    let admin = gateway.clone().with_token(&session.access_token);
    let customer = CustomerServiceClient::with_interceptor(admin.channel(), admin.interceptor())
        .create_customer(CreateCustomerRequest {
            idempotency_key: "dev-e2e-customer".into(),
            name: "Dev Shop".into(),
            owner_email: "owner@devshop.test".into(),
            owner_display_name: "Dev Owner".into(),
            ..Default::default()
        })
        .await
        .expect("create customer")
        .into_inner()
        .customer
        .unwrap();
    let mut site_client = SiteServiceClient::with_interceptor(admin.channel(), admin.interceptor());
    let created = site_client
        .create_site(sites::CreateSiteRequest {
            idempotency_key: "dev-e2e-site-1".into(),
            customer_id: customer.id.clone(),
            name: "dev-shop".into(),
            provider: canopy_sdk::proto::canopy::common::v1::CloudProvider::Digitalocean as i32,
            region: "ams3".into(),
            size: sites::SiteSize::Small as i32,
            runtime: Some(sites::Runtime { image: "nginx:1.27".into(), port: 80, env: Default::default() }),
            ..Default::default()
        })
        .await
        .expect("create a sandbox site through the gateway")
        .into_inner();
    let site = created.site.unwrap();
    assert!(site.sandbox, "canopyd dev provisions sandbox sites");
    let mut events = site_client
        .watch_deployment(sites::WatchDeploymentRequest {
            deployment_id: created.deployment.unwrap().id,
            ..Default::default()
        })
        .await
        .expect("watch through the gateway")
        .into_inner();
    let mut last_status = sites::DeploymentStatus::Unspecified;
    while let Some(message) = tokio::time::timeout(Duration::from_secs(120), events.message()).await.unwrap().unwrap() {
        let event = message.event.unwrap();
        if event.kind() == sites::DeploymentEventKind::Status {
            last_status = event.status();
        }
    }
    assert_eq!(last_status, sites::DeploymentStatus::Succeeded);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let current = site_client
            .get_site(sites::GetSiteRequest { site_id: site.id.clone() })
            .await
            .unwrap()
            .into_inner()
            .site
            .unwrap();
        if current.status() == sites::SiteStatus::Active {
            assert!(current.outputs.unwrap().url.starts_with("https://dev-shop."));
            break;
        }
        assert!(Instant::now() < deadline, "site never became active: {current:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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

/// `canopyd dev` on `dir`, its stdout collected as it comes.
struct DevProcess {
    child: std::process::Child,
    stdout: std::sync::Arc<std::sync::Mutex<String>>,
}

impl DevProcess {
    fn spawn(dir: &std::path::Path) -> Self {
        let mut child = canopyd()
            .args(["dev", "--dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn canopyd dev");
        let stdout = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let stdout = stdout.clone();
            std::thread::spawn(move || {
                use std::io::BufRead;
                for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                    stdout.lock().unwrap().push_str(&(line + "\n"));
                }
            });
        }
        Self { child, stdout }
    }

    async fn ready(&mut self, dir: &std::path::Path) -> serde_json::Value {
        let path = dir.join("endpoints.json");
        let deadline = Instant::now() + Duration::from_secs(90);
        while !path.exists() {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("canopyd dev exited ({status}):\n{}", self.stdout.lock().unwrap());
            }
            assert!(Instant::now() < deadline, "canopyd dev not ready after 90s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The seed runs just after endpoints.json is written.
        tokio::time::sleep(Duration::from_millis(500)).await;
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
    }

    fn output(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }
}

async fn admin_login(dir: &std::path::Path, endpoints: &serde_json::Value, email: &str, password: &str) -> String {
    use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
    use canopy_sdk::proto::canopy::identity::v1::{LoginRequest, login_response};
    let gateway = Canopy::builder(format!("https://{}", endpoints["gateway"].as_str().unwrap()))
        .ca_certificate_pem(std::fs::read(dir.join("pki/trust-anchor.crt")).unwrap())
        .server_name("localhost")
        .connect()
        .await
        .unwrap();
    let response = AuthServiceClient::new(gateway.channel())
        .login(LoginRequest { email: email.into(), password: password.into() })
        .await
        .unwrap()
        .into_inner();
    match response.result {
        Some(login_response::Result::Session(session)) => session.access_token,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_killed_canopyd_dev_takes_its_servers_along_and_starts_again_on_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = DevProcess::spawn(dir.path());
    let endpoints = first.ready(dir.path()).await;
    let admin_line = first.output().lines().find(|l| l.starts_with("First platform admin")).map(String::from);
    let admin_line = admin_line.unwrap_or_else(|| panic!("no admin login printed:\n{}", first.output()));
    let (email, password) = admin_line.rsplit(": ").next().unwrap().split_once(" / ").unwrap();
    let (email, password) = (email.to_string(), password.to_string());
    admin_login(dir.path(), &endpoints, &email, &password).await;

    // A second canopyd dev on the same folder is refused, naming the first.
    let second = crate::support::run_to_exit({
        let mut c = canopyd();
        c.args(["dev", "--dir"]).arg(dir.path());
        c
    });
    let line = crate::support::error_line(&second);
    assert!(line.contains(&format!("another canopyd dev (pid {}) is using", first.child.id())), "{line}");

    let postgres = postmaster_pid(&dir.path().join("postgres/data")).expect("private postgres running");
    let redis: i32 = std::fs::read_to_string(dir.path().join("redis/redis.pid")).unwrap().trim().parse().unwrap();
    assert!(alive(postgres) && alive(redis));

    // Killed outright: no chance to clean up, yet its servers go with it.
    kill(Pid::from_raw(first.child.id() as i32), Signal::SIGKILL).unwrap();
    first.child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while alive(postgres) || alive(redis) {
        assert!(Instant::now() < deadline, "private servers outlived canopyd dev (postgres {postgres}, redis {redis})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Started again on the folder: the same data, so the same admin login, and no
    // new admin printed.
    std::fs::remove_file(dir.path().join("endpoints.json")).unwrap();
    let mut again = DevProcess::spawn(dir.path());
    let endpoints = again.ready(dir.path()).await;
    admin_login(dir.path(), &endpoints, &email, &password).await;
    assert!(!again.output().contains("First platform admin"), "{}", again.output());

    kill(Pid::from_raw(again.child.id() as i32), Signal::SIGINT).unwrap();
    assert!(again.child.wait().unwrap().success(), "{}", again.output());
}
