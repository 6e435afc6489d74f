//! Canopy as it is deployed: gateway, identity, tenancy, provisioner, sites, audit and
//! alerts each in its own OS process (`canopyd run --services <one>`, own port, own certificate),
//! reaching each other only through `mesh.peers`, sharing one PostgreSQL and Redis.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use canopy_kit::local::{Lifetime, PrivatePostgres};
use canopy_kit::testing::{TestEnv, repo_root};
use canopy_sdk::proto::canopy::audit::v1 as audit;
use canopy_sdk::proto::canopy::audit::v1::audit_service_client::AuditServiceClient;
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::identity::v1::api_key_service_client::ApiKeyServiceClient;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::user_service_client::UserServiceClient;
use canopy_sdk::proto::canopy::sites::v1 as sites;
use canopy_sdk::proto::canopy::sites::v1::site_service_client::SiteServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_client::CustomerServiceClient;
use canopy_sdk::{Canopy, DeploymentLog};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tonic::Code;

use crate::support::{canopyd, keyring_path};

/// A key-encryption key for identity, which refuses to start without one.
const TEST_KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ADMIN_EMAIL: &str = "admin@distributed.test";
/// How long a service trusts tenancy's last answer about a customer
/// (`TenantAccessGuard`'s period): a change is in force everywhere after it.
const TENANT_ACCESS_PERIOD: Duration = Duration::from_millis(2_500);

const SERVICES: [&str; 10] =
    ["identity", "tenancy", "provisioner", "sites", "audit", "alerts", "policy", "cost", "commerce", "gateway"];

/// One OS process per service.
struct Cluster {
    env: TestEnv,
    logs: tempfile::TempDir,
    ports: BTreeMap<&'static str, u16>,
    processes: BTreeMap<&'static str, Child>,
    /// Settings of this test on top of the common ones, as `CANOPY_…` variables.
    settings: Vec<(&'static str, &'static str)>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Cluster {
    async fn start() -> Self {
        Self::start_with(TestEnv::new().await, Vec::new()).await
    }

    async fn start_with(env: TestEnv, settings: Vec<(&'static str, &'static str)>) -> Self {
        let ports = SERVICES.iter().map(|s| (*s, free_port())).collect();
        let mut cluster =
            Cluster { env, logs: tempfile::tempdir().unwrap(), ports, processes: BTreeMap::new(), settings };
        for service in SERVICES {
            cluster.spawn(service);
        }
        for service in SERVICES {
            cluster.wait_serving(service).await;
        }
        cluster
    }

    fn log_path(&self, service: &str) -> PathBuf {
        self.logs.path().join(format!("{service}.log"))
    }

    /// Starts `service` alone in a process; its peers are the other processes.
    fn spawn(&mut self, service: &'static str) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log_path(service)).unwrap();
        let mut command = canopyd();
        command
            .args(["run", "--services", service])
            .env("DATABASE_URL", &self.env.config.database.url)
            .env("REDIS_URL", &self.env.config.redis.url)
            .env("CANOPY_REDIS__KEY_PREFIX", &self.env.config.redis.key_prefix)
            .env("CANOPY_MESH__PKI_DIR", self.env.pki.dir())
            .env("CANOPY_MESH__POLICY_FILE", repo_root().join("mesh/policy.toml"))
            .env(format!("CANOPY_LISTEN__{}", service.to_uppercase()), format!("127.0.0.1:{}", self.ports[service]))
            .env("CANOPY_TELEMETRY__OPS_LISTEN", "")
            .env("CANOPY_TELEMETRY__LOG_FORMAT", "json")
            .env("CANOPY_TELEMETRY__LOG_FILTER", "info,sqlx=warn")
            .env("CANOPY_SHUTDOWN_DRAIN_SECS", "0")
            .env("CANOPY_SERVICES__IDENTITY__KEY_ENCRYPTION_KEY", TEST_KEK)
            .env("CANOPY_SECRETS__KEK__KEYRING__PATH", keyring_path(&self.env))
            .env("CANOPY_SERVICES__GATEWAY__TLS", "false")
            .env("CANOPY_SERVICES__PROVISIONER__SANDBOX_STEP_MILLIS", "20")
            .env("CANOPY_SERVICES__AUDIT__CHECKPOINT_INTERVAL_SECS", "0.5")
            .envs(self.settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(log);
        for peer in SERVICES.iter().filter(|p| **p != service && **p != "gateway") {
            command.env(
                format!("CANOPY_MESH__PEERS__{}", peer.to_uppercase()),
                format!("https://127.0.0.1:{}", self.ports[peer]),
            );
        }
        let child = command.spawn().unwrap_or_else(|e| panic!("spawn canopyd for {service}: {e}"));
        self.processes.insert(service, child);
    }

    /// Sends `signal` to `service`'s process and hands the process over.
    fn signal(&mut self, service: &str, signal: Signal) -> Child {
        let child = self.processes.remove(service).expect("running");
        kill(Pid::from_raw(child.id() as i32), signal).unwrap();
        child
    }

    async fn gateway(&self) -> Canopy {
        Canopy::connect(format!("http://127.0.0.1:{}", self.ports["gateway"])).await.unwrap()
    }

    async fn wait_serving(&mut self, service: &'static str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.processes.get_mut(service).unwrap().try_wait().unwrap() {
                panic!("{service} exited ({status}):\n{}", self.log(service));
            }
            let serving = if service == "gateway" {
                let port = self.ports[service];
                tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
            } else {
                match tokio::time::timeout(Duration::from_secs(2), self.health(service)).await {
                    Ok(Ok(status)) => status == 1,
                    _ => false,
                }
            };
            if serving {
                return;
            }
            assert!(Instant::now() < deadline, "{service} never served:\n{}", self.log(service));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn health(&self, service: &str) -> Result<i32, tonic::Status> {
        let read = |name: &str| std::fs::read(self.env.pki.dir().join(name)).unwrap();
        let client = Canopy::builder(format!("https://127.0.0.1:{}", self.ports[service]))
            .ca_certificate_pem(read("trust-anchor.crt"))
            .client_identity_pem(read("canopyctl.crt"), read("canopyctl.key"))
            .server_name(format!("{service}.canopy.serviceaccount.identity.linkerd.cluster.local"))
            .connect()
            .await
            .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        let mut health = tonic_health::pb::health_client::HealthClient::new(client.channel());
        let response = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await?;
        Ok(response.into_inner().status)
    }

    fn log(&self, service: &str) -> String {
        std::fs::read_to_string(self.log_path(service)).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (_, mut child) in std::mem::take(&mut self.processes) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn login(gateway: &Canopy, email: &str, password: &str) -> String {
    let response = AuthServiceClient::new(gateway.channel())
        .login(identity::LoginRequest { email: email.into(), password: password.into() })
        .await
        .unwrap_or_else(|status| panic!("login {email}: {status:?}"))
        .into_inner();
    match response.result {
        Some(identity::login_response::Result::Session(session)) => session.access_token,
        other => panic!("login {email}: {other:?}"),
    }
}

fn with_token<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn new_site(name: &str) -> sites::CreateSiteRequest {
    sites::CreateSiteRequest {
        idempotency_key: format!("create-{}", uuid::Uuid::new_v4()),
        name: name.into(),
        provider: canopy_sdk::proto::canopy::common::v1::CloudProvider::Aws as i32,
        region: "eu-west-1".into(),
        size: sites::SiteSize::Small as i32,
        runtime: Some(sites::Runtime { image: "ghcr.io/acme/shop:1.4.2".into(), port: 8080, env: Default::default() }),
        ..Default::default()
    }
}

/// The platform admin, a customer it created, and the customer's owner, signed in
/// through the gateway, with their passwords (which no log may contain).
struct SignedIn {
    admin: String,
    customer: tenancy::Customer,
    owner: String,
    passwords: [String; 2],
}

async fn signed_in(cluster: &Cluster, gateway: &Canopy) -> SignedIn {
    let database = canopy_kit::db::Database::connect(&cluster.env.config.database).await.unwrap();
    let admin_password = canopy_identity::ensure_platform_admin(&database, ADMIN_EMAIL).await.unwrap().unwrap();
    let admin = login(gateway, ADMIN_EMAIL, &admin_password).await;

    // The admin creates a customer; tenancy invites the owner through identity.
    let customer = CustomerServiceClient::new(gateway.channel())
        .create_customer(with_token(
            tenancy::CreateCustomerRequest {
                idempotency_key: "distributed-customer".into(),
                name: "Distributed".into(),
                owner_email: "owner@distributed.test".into(),
                owner_display_name: "Owner".into(),
                ..Default::default()
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .customer
        .unwrap();
    let reset = UserServiceClient::new(gateway.channel())
        .issue_password_reset(with_token(
            identity::IssuePasswordResetRequest { user_id: customer.owner_user_id.clone() },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    let password = "a distributed journey needs a long phrase 4";
    AuthServiceClient::new(gateway.channel())
        .set_password_with_token(identity::SetPasswordWithTokenRequest {
            token: reset.reset_token,
            new_password: password.into(),
        })
        .await
        .unwrap();
    let owner = login(gateway, "owner@distributed.test", password).await;
    SignedIn { admin, customer, owner, passwords: [admin_password, password.to_string()] }
}

async fn site_reaches(gateway: &Canopy, token: &str, site_id: &str, status: sites::SiteStatus) {
    let mut client = SiteServiceClient::new(gateway.channel());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let site = client
            .get_site(with_token(sites::GetSiteRequest { site_id: site_id.into() }, token))
            .await
            .unwrap()
            .into_inner()
            .site
            .unwrap();
        if site.status() == status {
            return;
        }
        assert!(Instant::now() < deadline, "site {site_id} stuck in {:?}, expected {status:?}", site.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_journey_runs_across_processes_and_survives_tenancy_being_killed() {
    let mut cluster = Cluster::start().await;
    let gateway = cluster.gateway().await;
    let SignedIn { admin, customer, owner, .. } = signed_in(&cluster, &gateway).await;

    // The owner creates a site with a trace of its own; it reaches ACTIVE.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let mut create = with_token(new_site("across-processes"), &owner);
    create.metadata_mut().insert("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01").parse().unwrap());
    let mut sites_client = SiteServiceClient::new(gateway.channel());
    let site = sites_client.create_site(create).await.unwrap().into_inner().site.unwrap();
    site_reaches(&gateway, &owner, &site.id, sites::SiteStatus::Active).await;

    // The client's trace crossed every process: gateway → sites → tenancy, and the
    // provisioner's run of the deployment.
    for service in ["gateway", "sites", "tenancy", "provisioner"] {
        let log = cluster.log(service);
        assert!(log.contains(trace_id), "{service}'s log lacks the trace {trace_id}:\n{log}");
    }
    let run_lines = cluster.log("provisioner");
    assert!(
        run_lines.lines().any(|line| line.contains(trace_id) && line.contains("run started")),
        "the provisioner's run is not under the trace:\n{run_lines}"
    );

    // Suspended: the owner's next change is refused once the access period passes.
    CustomerServiceClient::new(gateway.channel())
        .suspend_customer(with_token(
            tenancy::SuspendCustomerRequest { customer_id: customer.id.clone(), reason: "unpaid".into() },
            &admin,
        ))
        .await
        .unwrap();
    tokio::time::sleep(TENANT_ACCESS_PERIOD).await;
    let refused = sites_client.create_site(with_token(new_site("while-suspended"), &owner)).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("suspended"), "{refused:?}");

    CustomerServiceClient::new(gateway.channel())
        .reactivate_customer(with_token(
            tenancy::ReactivateCustomerRequest { customer_id: customer.id.clone() },
            &admin,
        ))
        .await
        .unwrap();
    tokio::time::sleep(TENANT_ACCESS_PERIOD).await;
    let second = sites_client.create_site(with_token(new_site("reactivated"), &owner)).await.unwrap();
    let second = second.into_inner().site.unwrap();
    site_reaches(&gateway, &owner, &second.id, sites::SiteStatus::Active).await;

    // Tenancy is killed. Once the access period has passed, everything that needs to
    // know whether the customer may act fails fast with UNAVAILABLE, and nothing of it
    // happens; the platform admin, who needs no such check, carries on.
    cluster.signal("tenancy", Signal::SIGKILL).wait().unwrap();
    tokio::time::sleep(TENANT_ACCESS_PERIOD).await;
    let sites_before = site_count(&cluster).await;
    for attempt in 0..3 {
        let mut request = with_token(new_site(&format!("tenancy-down-{attempt}")), &owner);
        request.set_timeout(Duration::from_secs(5));
        let started = Instant::now();
        let status = sites_client.create_site(request).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());

        let mut read = with_token(sites::GetSiteRequest { site_id: site.id.clone() }, &owner);
        read.set_timeout(Duration::from_secs(5));
        let status = sites_client.get_site(read).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }
    assert_eq!(site_count(&cluster).await, sites_before, "a site was created while its check could not run");
    let listed = sites_client
        .list_sites(with_token(
            sites::ListSitesRequest { customer_id: customer.id.clone(), ..Default::default() },
            &admin,
        ))
        .await
        .unwrap();
    assert_eq!(listed.into_inner().sites.len(), 2);

    // Tenancy comes back on its address: the others reconnect without a restart.
    cluster.spawn("tenancy");
    cluster.wait_serving("tenancy").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let read = with_token(sites::GetSiteRequest { site_id: site.id.clone() }, &owner);
        match sites_client.get_site(read).await {
            Ok(_) => break,
            Err(status) => assert!(Instant::now() < deadline, "sites never recovered: {status:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Deleted, to DELETED.
    sites_client
        .delete_site(with_token(
            sites::DeleteSiteRequest { site_id: site.id.clone(), idempotency_key: "delete-distributed".into() },
            &owner,
        ))
        .await
        .unwrap();
    site_reaches(&gateway, &owner, &site.id, sites::SiteStatus::Deleted).await;
}

async fn site_count(cluster: &Cluster) -> i64 {
    let pool = cluster.env.superuser_pool().await;
    sqlx::query_scalar("select count(*) from sites.site").fetch_one(&pool).await.unwrap()
}

#[tokio::test]
async fn a_service_whose_peer_has_no_address_refuses_to_start_naming_the_setting() {
    let env = TestEnv::new().await;
    let output = crate::support::run_to_exit({
        let mut c = canopyd();
        c.args(["run", "--services", "sites"])
            .env("DATABASE_URL", &env.config.database.url)
            .env("REDIS_URL", &env.config.redis.url)
            .env("CANOPY_MESH__PKI_DIR", env.pki.dir())
            .env("CANOPY_MESH__PEERS__IDENTITY", "https://identity.canopy.svc.cluster.local:8443")
            .env("CANOPY_MESH__PEERS__AUDIT", "https://audit.canopy.svc.cluster.local:8443")
            .env("CANOPY_MESH__PEERS__ALERTS", "https://alerts.canopy.svc.cluster.local:8443");
        c
    });
    assert_eq!(
        crate::support::error_line(&output),
        "canopyd: error: service sites calls tenancy, which does not run in this process and has no address: \
         set mesh.peers.tenancy"
    );
}

#[tokio::test]
async fn sigterm_stops_calls_then_jobs_within_the_grace_period_and_nothing_is_written_after() {
    let mut cluster = Cluster {
        env: TestEnv::new().await,
        logs: tempfile::tempdir().unwrap(),
        ports: SERVICES.iter().map(|s| (*s, free_port())).collect(),
        processes: BTreeMap::new(),
        settings: Vec::new(),
    };
    // The provisioner alone, slow enough to be mid-run when the signal comes, with a
    // deployment put straight on its queue. Its peers are addresses nobody answers
    // on: it calls none of them here.
    let database = canopy_kit::db::Database::connect(&cluster.env.config.database).await.unwrap();
    canopy_kit::db::migrate_schema(&database.owner, &database.roles, "provisioner", canopy_provisioner::migrator())
        .await
        .unwrap();
    let (_, deployment) = crate::support::enqueue_sandbox_deployment(&database, "sigterm").await;
    let pool = cluster.env.superuser_pool().await;
    let events = |pool: sqlx::PgPool| async move {
        sqlx::query_scalar::<_, i64>("select count(*) from provisioner.deployment_event where deployment_id = $1")
            .bind(deployment)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    let provisioner = {
        let log = std::fs::File::create(cluster.log_path("provisioner")).unwrap();
        let mut command = canopyd();
        command
            .args(["run", "--services", "provisioner"])
            .env("DATABASE_URL", &cluster.env.config.database.url)
            .env("REDIS_URL", &cluster.env.config.redis.url)
            .env("CANOPY_MESH__PKI_DIR", cluster.env.pki.dir())
            .env("CANOPY_LISTEN__PROVISIONER", format!("127.0.0.1:{}", cluster.ports["provisioner"]))
            .env("CANOPY_MESH__PEERS__IDENTITY", "https://127.0.0.1:9")
            .env("CANOPY_MESH__PEERS__TENANCY", "https://127.0.0.1:9")
            .env("CANOPY_MESH__PEERS__AUDIT", "https://127.0.0.1:9")
            .env("CANOPY_MESH__PEERS__POLICY", "https://127.0.0.1:9")
            .env("CANOPY_MESH__PEERS__COST", "https://127.0.0.1:9")
            // Alone, without the policy and cost services: plans are applied unchecked here.
            .env("CANOPY_SERVICES__PROVISIONER__POLICY_CHECKS", "false")
            .env("CANOPY_TELEMETRY__OPS_LISTEN", "")
            .env("CANOPY_SHUTDOWN_DRAIN_SECS", "0.5")
            .env("CANOPY_SHUTDOWN_GRACE_SECS", "3")
            .env("CANOPY_SERVICES__PROVISIONER__SANDBOX_STEP_MILLIS", "300")
            .stdout(Stdio::null())
            .stderr(log);
        command.spawn().unwrap()
    };
    cluster.processes.insert("provisioner", provisioner);
    cluster.wait_serving("provisioner").await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while events(pool.clone()).await < 4 {
        assert!(Instant::now() < deadline, "the run never got going:\n{}", cluster.log("provisioner"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let signalled = Instant::now();
    let mut child = cluster.signal("provisioner", Signal::SIGTERM);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        // Drain (0.5 s) + calls + jobs, each bounded by the grace (3 s): well under 8 s.
        assert!(signalled.elapsed() < Duration::from_secs(8), "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}:\n{}", cluster.log("provisioner"));
    let log = cluster.log("provisioner");
    assert!(log.contains("provisioner workers stopped"), "{log}");
    // It no longer accepts calls.
    assert!(cluster.health("provisioner").await.is_err());

    // Nothing is written by it afterwards: the run's log stays as it was left.
    let at_exit = events(pool.clone()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(events(pool.clone()).await, at_exit);
}

/// Follows deployment `id` through the gateway into `log` until the stream ends or
/// `enough` says stop; a stream error ends the follow (the caller resumes).
async fn follow(
    gateway: &Canopy,
    token: &str,
    id: &str,
    log: &mut DeploymentLog,
    enough: impl Fn(&DeploymentLog) -> bool,
) {
    let mut client = SiteServiceClient::new(gateway.channel());
    let mut stream = client.watch_deployment(with_token(log.resume(id), token)).await.unwrap().into_inner();
    while let Ok(Some(message)) =
        tokio::time::timeout(Duration::from_secs(60), stream.message()).await.expect("the watch went quiet")
    {
        log.apply(message);
        if enough(log) {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_deployment_answers_unavailable_then_heals_and_a_resuming_watcher_ends_with_the_stored_log()
 {
    let data = tempfile::tempdir().unwrap();
    let mut postgres = PrivatePostgres::start(data.path(), Lifetime::Detached).expect("a PostgreSQL of the test's own");
    let port = postgres.port();
    // A slow sandbox, so the deployment is mid-run when PostgreSQL goes; a short
    // lease, so a run whose worker lost its database is taken up again soon.
    let settings = vec![
        ("CANOPY_SERVICES__PROVISIONER__SANDBOX_STEP_MILLIS", "250"),
        ("CANOPY_SERVICES__PROVISIONER__LEASE_SECS", "4"),
        ("CANOPY_SERVICES__PROVISIONER__HEARTBEAT_SECS", "1"),
    ];
    let cluster = Cluster::start_with(TestEnv::on_postgres(postgres.url()).await, settings).await;
    let gateway = cluster.gateway().await;
    let SignedIn { owner, .. } = signed_in(&cluster, &gateway).await;
    let mut sites_client = SiteServiceClient::new(gateway.channel());
    let created =
        sites_client.create_site(with_token(new_site("through-an-outage"), &owner)).await.unwrap().into_inner();
    let site_id = created.site.unwrap().id;
    let deployment_id = created.deployment.unwrap().id;

    // A watcher holds the first lines; then PostgreSQL stops at once, as in a crash.
    let mut watcher = DeploymentLog::new();
    follow(&gateway, &owner, &deployment_id, &mut watcher, |log| log.events().len() >= 4).await;
    assert!(watcher.events().len() >= 4, "the deployment ended before the outage: {:?}", watcher.events());
    postgres.stop_immediately();

    // Meanwhile calls answer UNAVAILABLE: the first few once the pool has waited its
    // acquire timeout (database.acquire_timeout_secs, 5 s), well inside the caller's
    // deadline; then, with the services' circuit breakers open, at once.
    let mut refused = async || {
        let mut read = with_token(sites::GetSiteRequest { site_id: site_id.clone() }, &owner);
        read.set_timeout(Duration::from_secs(20));
        let started = Instant::now();
        let status = sites_client.get_site(read).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
        started.elapsed()
    };
    let mut slow = Vec::new();
    loop {
        let took = refused().await;
        if took < Duration::from_secs(1) {
            break;
        }
        slow.push(took);
        assert!(slow.len() < 8, "no circuit breaker opened: {slow:?}");
    }
    // Open, a breaker lets one probe through per period (which waits the timeout).
    let mut fast: Vec<Duration> = Vec::new();
    for _ in 0..9 {
        fast.push(refused().await);
    }
    fast.sort();
    assert!(fast[4] < Duration::from_millis(500), "refusals with the breakers open: {fast:?}");

    // PostgreSQL comes back on its port: calls work again within seconds, with no
    // restart of any service.
    let restarted = Instant::now();
    let postgres = PrivatePostgres::start_on(data.path(), port, Lifetime::Detached).expect("PostgreSQL restarts");
    loop {
        let mut read = with_token(sites::GetSiteRequest { site_id: site_id.clone() }, &owner);
        read.set_timeout(Duration::from_secs(5));
        match sites_client.get_site(read).await {
            Ok(_) => break,
            Err(status) => assert!(restarted.elapsed() < Duration::from_secs(15), "never recovered: {status:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let recovered_in = restarted.elapsed();
    assert!(recovered_in < Duration::from_secs(10), "calls failed for {recovered_in:?} after PostgreSQL was back");
    println!(
        "PostgreSQL down: UNAVAILABLE after {slow:?}, then with the breakers open after {fast:?}; \
         calls work again {recovered_in:?} after its restart"
    );

    // The deployment ends, whatever attempt finishes it.
    let deadline = Instant::now() + Duration::from_secs(90);
    let finished = loop {
        let request = with_token(sites::GetDeploymentRequest { deployment_id: deployment_id.clone() }, &owner);
        let status = match sites_client.get_deployment(request).await {
            Ok(response) => {
                let deployment = response.into_inner().deployment.unwrap();
                if matches!(
                    deployment.status(),
                    sites::DeploymentStatus::Succeeded
                        | sites::DeploymentStatus::Failed
                        | sites::DeploymentStatus::Cancelled
                ) {
                    break deployment;
                }
                format!("{:?}", deployment.status())
            }
            Err(status) => format!("{status:?}"),
        };
        assert!(Instant::now() < deadline, "stuck at {status}:\n{}", cluster.log("provisioner"));
        // Once a second: the owner's reads stay well inside the gateway's rate limit.
        tokio::time::sleep(Duration::from_secs(1)).await;
    };

    // The line the watcher holds last is rewritten under it, as when a confirmed
    // commit is lost and the next attempt writes another line under that number
    // (the crash may have done so already; this makes it certain).
    let held = watcher.events().last().unwrap().clone();
    let pool = sqlx::PgPool::connect(&cluster.env.config.database.url).await.unwrap();
    sqlx::query(
        "update provisioner.deployment_event set id = gen_random_uuid(), message = 'written again'
          where deployment_id = $1::uuid and seq = $2",
    )
    .bind(&deployment_id)
    .bind(held.seq)
    .execute(&pool)
    .await
    .unwrap();

    // The watcher resumes: it is told to reset and ends with exactly the stored log.
    follow(&gateway, &owner, &deployment_id, &mut watcher, |_| false).await;
    let mut fresh = DeploymentLog::new();
    follow(&gateway, &owner, &deployment_id, &mut fresh, |_| false).await;
    assert_eq!(watcher.resets(), 1, "the diverged log was not announced");
    assert_eq!(fresh.resets(), 0);
    assert_eq!(watcher.events(), fresh.events(), "the watcher's log is not the stored one");
    assert!(!watcher.events().iter().any(|e| e.id == held.id), "a stale line survived");
    let last = fresh.events().last().unwrap();
    assert_eq!(last.status(), finished.status(), "the log ends with the deployment's final status: {last:?}");
    drop(cluster);
    drop(postgres);
}

/// Every audit event the admin lists with `filter`, oldest first.
async fn audit_events(gateway: &Canopy, admin: &str, filter: audit::AuditFilter) -> Vec<audit::AuditEvent> {
    let mut events = AuditServiceClient::new(gateway.channel())
        .list_audit_events(with_token(
            audit::ListAuditEventsRequest {
                filter: Some(filter),
                page: Some(canopy_sdk::proto::canopy::common::v1::PageRequest {
                    page_size: 500,
                    page_token: String::new(),
                }),
            },
            admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    events.reverse();
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_records_made_while_the_audit_process_is_down_arrive_in_order_once_and_no_log_holds_a_secret() {
    let mut cluster = Cluster::start().await;
    let gateway = cluster.gateway().await;
    let SignedIn { admin, customer, owner, passwords } = signed_in(&cluster, &gateway).await;

    // Audit is killed; identity keeps committing changes with their records.
    cluster.signal("audit", Signal::SIGKILL).wait().unwrap();
    let mut keys = ApiKeyServiceClient::new(gateway.channel());
    for n in 1..=4 {
        keys.create_api_key(with_token(
            identity::CreateApiKeyRequest {
                name: format!("while-audit-is-down-{n}"),
                role: canopy_sdk::proto::canopy::options::v1::Role::Viewer as i32,
                ..Default::default()
            },
            &owner,
        ))
        .await
        .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.spawn("audit");
    cluster.wait_serving("audit").await;

    let filter = audit::AuditFilter {
        customer_id: customer.id.clone(),
        action: "/canopy.identity.v1.ApiKeyService/CreateApiKey".into(),
        ..Default::default()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let events = loop {
        let events = audit_events(&gateway, &admin, filter.clone()).await;
        if events.len() >= 4 {
            break events;
        }
        assert!(Instant::now() < deadline, "records did not arrive after audit restarted: {events:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let events = if audit_events(&gateway, &admin, filter.clone()).await.len() == events.len() {
        events
    } else {
        panic!("records arrived twice: {:#?}", audit_events(&gateway, &admin, filter).await)
    };
    let names: Vec<String> = events
        .iter()
        .map(|e| {
            let summary: serde_json::Value = serde_json::from_str(&e.record.as_ref().unwrap().summary_json).unwrap();
            summary["name"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(names, (1..=4).map(|n| format!("while-audit-is-down-{n}")).collect::<Vec<_>>());
    let record = events[0].record.as_ref().unwrap();
    assert_eq!((record.service.as_str(), record.origin_address.as_str()), ("identity", "127.0.0.1"));

    // The chain verifies across the restart.
    let verified = AuditServiceClient::new(gateway.channel())
        .verify_audit_log(with_token(
            audit::VerifyAuditLogRequest { customer_id: customer.id.clone(), ..Default::default() },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(verified.verified, "{verified:?}");

    // Passwords and tokens went through every process; none is in any log.
    for service in SERVICES {
        let log = cluster.log(service);
        for secret in passwords.iter().map(String::as_str).chain([owner.as_str(), admin.as_str()]) {
            assert!(!log.contains(secret), "{service}'s log holds a secret");
        }
    }
}
