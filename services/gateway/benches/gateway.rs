//! Benchmark (issues 3 and 12): an authenticated unary call through the gateway,
//! through Envoy doing the same job, and direct to the service, in one run on this
//! machine over loopback.
//!
//! Through the gateway a call pays TLS to the edge, bearer-token verification
//! (Ed25519 signature, session check), the rate limiter and the mTLS hop to the
//! service; direct, it pays the mTLS call alone. The peer a platform team would pick
//! instead of the gateway is Envoy: here it sits in front of the same upstream with
//! `jwt_authn` (the same Ed25519 key as an inline JWKS), `local_ratelimit`, TLS from
//! the client and mTLS (the gateway workload's certificate) to the upstream, HTTP/2
//! on both sides. Its configuration is generated below from the test PKI. Envoy is
//! `$ENVOY`, else `envoy` on `PATH`, else where `.ci/setup.sh` installs it; without
//! it the row says it was skipped. The service is the test upstream's `Echo` (no
//! database), so the differences are the proxies' costs.
//!
//! Latency: sequential calls after a warm-up, p50 and p99. Throughput: a fixed number
//! of calls from concurrent clients, calls per second. Bounded request counts; prints
//! a markdown table and writes it to `bench-gateway.md` in the target directory.
//!
//! Run: `cargo bench -p canopy-gateway --bench gateway` with `DATABASE_URL` and
//! `REDIS_URL` set (or PostgreSQL and Redis binaries installed).

#[allow(dead_code)]
#[path = "../tests/gateway/support.rs"]
mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The allocator `canopyd` ships with, so the in-process gateway, service and client
/// run as they would in it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use canopy_kit::mesh::WorkloadIdentity;
use canopy_sdk::Canopy;
use support::*;
use tonic::transport::Channel;

const WARM_UP: usize = 300;
const SEQUENTIAL_CALLS: usize = 3000;
const CONCURRENT_CLIENTS: usize = 32;
const CONCURRENT_CALLS: usize = 20_000;

struct Figures {
    p50: Duration,
    p99: Duration,
    calls_per_sec: f64,
}

async fn call(client: &mut TestServiceClient<Channel>, token: &str) {
    client
        .echo(bearer(EchoRequest { text: "bench".into(), ..Default::default() }, token))
        .await
        .expect("benchmark call failed");
}

async fn measure(channel: Channel, token: &str) -> Figures {
    let mut client = TestServiceClient::new(channel.clone());
    for _ in 0..WARM_UP {
        call(&mut client, token).await;
    }
    let mut latencies = Vec::with_capacity(SEQUENTIAL_CALLS);
    for _ in 0..SEQUENTIAL_CALLS {
        let started = Instant::now();
        call(&mut client, token).await;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENT_CLIENTS {
        let channel = channel.clone();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut client = TestServiceClient::new(channel);
            for _ in 0..CONCURRENT_CALLS / CONCURRENT_CLIENTS {
                call(&mut client, &token).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    let elapsed = started.elapsed();
    let calls = (CONCURRENT_CALLS / CONCURRENT_CLIENTS) * CONCURRENT_CLIENTS;
    Figures { p50: percentile(0.50), p99: percentile(0.99), calls_per_sec: calls as f64 / elapsed.as_secs_f64() }
}

fn ms(duration: Duration) -> String {
    format!("{:.3}", duration.as_secs_f64() * 1000.0)
}

fn row(path: &str, figures: &Figures) -> String {
    format!("| {path} | {} | {} | {:.0} |\n", ms(figures.p50), ms(figures.p99), figures.calls_per_sec)
}

/// `$ENVOY`, else `envoy` on `PATH`, else the virtualenv `.ci/setup.sh` installs it into.
fn envoy_binary() -> Option<PathBuf> {
    let runs = |path: &Path| Command::new(path).arg("--version").output().is_ok_and(|out| out.status.success());
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("ENVOY") {
        candidates.push(PathBuf::from(path));
    }
    candidates.push(PathBuf::from("envoy"));
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cache/canopy/envoy-venv/bin/envoy"));
    }
    candidates.into_iter().find(|path| runs(path))
}

/// A loopback port nobody listens on right now (Envoy binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Envoy's configuration: TLS listener with the edge certificate, `jwt_authn` with
/// the signing key as an inline JWKS (issuer and audience checked, token forwarded
/// like the gateway does), `local_ratelimit` with a bucket no benchmark empties, and
/// the upstream over mTLS as the gateway workload, HTTP/2 both sides. The JWT cache
/// is on, as the gateway caches verified tokens too.
fn envoy_config(world: &World, listen_port: u16) -> String {
    let pki = world.env.pki.dir();
    let file = |name: &str| pki.join(name).display().to_string();
    let mesh = &world.env.config.mesh;
    let upstream_name = WorkloadIdentity::new(UPSTREAM, &mesh.namespace, &mesh.trust_domain).dns_name();
    let jwks = serde_json::json!({
        "keys": [{ "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": KID, "x": b64(&world.key.public_key) }]
    });
    format!(
        r#"static_resources:
  listeners:
    - name: edge
      address: {{ socket_address: {{ address: 127.0.0.1, port_value: {listen_port} }} }}
      filter_chains:
        - transport_socket:
            name: envoy.transport_sockets.tls
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
              common_tls_context:
                alpn_protocols: ["h2"]
                tls_certificates:
                  - certificate_chain: {{ filename: "{edge_crt}" }}
                    private_key: {{ filename: "{edge_key}" }}
          filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: edge
                codec_type: HTTP2
                route_config:
                  virtual_hosts:
                    - name: upstream
                      domains: ["*"]
                      routes:
                        - match: {{ prefix: "/" }}
                          route: {{ cluster: upstream, timeout: 0s }}
                http_filters:
                  - name: envoy.filters.http.jwt_authn
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication
                      providers:
                        canopy:
                          issuer: "{issuer}"
                          audiences: ["{audience}"]
                          forward: true
                          local_jwks: {{ inline_string: '{jwks}' }}
                          jwt_cache_config: {{ jwt_cache_size: 1000 }}
                      rules:
                        - match: {{ prefix: "/" }}
                          requires: {{ provider_name: canopy }}
                  - name: envoy.filters.http.local_ratelimit
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit
                      stat_prefix: edge_rate_limit
                      token_bucket: {{ max_tokens: 1000000000, tokens_per_fill: 1000000000, fill_interval: 1s }}
                      filter_enabled:
                        runtime_key: edge_rate_limit_enabled
                        default_value: {{ numerator: 100, denominator: HUNDRED }}
                      filter_enforced:
                        runtime_key: edge_rate_limit_enforced
                        default_value: {{ numerator: 100, denominator: HUNDRED }}
                  - name: envoy.filters.http.router
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
    - name: upstream
      type: STATIC
      connect_timeout: 5s
      load_assignment:
        cluster_name: upstream
        endpoints:
          - lb_endpoints:
              - endpoint: {{ address: {{ socket_address: {{ address: 127.0.0.1, port_value: {upstream_port} }} }} }}
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config: {{ http2_protocol_options: {{}} }}
      transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
          sni: "{upstream_name}"
          common_tls_context:
            # The mesh speaks TLS 1.3 only; Envoy's upstream default stops at 1.2.
            tls_params: {{ tls_minimum_protocol_version: TLSv1_3, tls_maximum_protocol_version: TLSv1_3 }}
            alpn_protocols: ["h2"]
            tls_certificates:
              - certificate_chain: {{ filename: "{gateway_crt}" }}
                private_key: {{ filename: "{gateway_key}" }}
            validation_context:
              trusted_ca: {{ filename: "{anchor}" }}
              match_typed_subject_alt_names:
                - san_type: DNS
                  matcher: {{ exact: "{upstream_name}" }}
"#,
        edge_crt = file("edge.crt"),
        edge_key = file("edge.key"),
        issuer = ISSUER,
        audience = AUDIENCE,
        upstream_port = world.upstream_addr.port(),
        gateway_crt = file("gateway.crt"),
        gateway_key = file("gateway.key"),
        anchor = file("trust-anchor.crt"),
    )
}

/// Envoy, stopped when dropped.
struct Envoy {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Envoy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts Envoy in front of the world's upstream and waits until a call passes.
async fn start_envoy(binary: &Path, world: &World, token: &str) -> Result<(Envoy, Channel), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let port = free_port();
    let config = dir.path().join("envoy.yaml");
    std::fs::write(&config, envoy_config(world, port)).map_err(|e| e.to_string())?;
    let child = Command::new(binary)
        .arg("-c")
        .arg(&config)
        .args(["--log-level", "error", "--disable-hot-restart"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let mut envoy = Envoy { child, addr: SocketAddr::from(([127, 0, 0, 1], port)), _dir: dir };
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = envoy.child.try_wait() {
            return Err(format!("envoy exited at start-up ({status})"));
        }
        let last_error = match edge_channel(world, envoy.addr).await {
            Ok(channel) => {
                let mut client = TestServiceClient::new(channel.clone());
                let ready = EchoRequest { text: "ready".into(), ..Default::default() };
                match client.echo(bearer(ready, token)).await {
                    Ok(_) => return Ok((envoy, channel)),
                    Err(status) => format!("{:?}: {}", status.code(), status.message()),
                }
            }
            Err(error) => error,
        };
        if started.elapsed() > Duration::from_secs(30) {
            return Err(format!("envoy did not pass a call within 30 s (last: {last_error})"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The same client as [`World::channel`] (the SDK over TLS, the edge certificate
/// checked as `localhost`), to any address.
async fn edge_channel(world: &World, addr: SocketAddr) -> Result<Channel, String> {
    let anchor = std::fs::read(world.env.pki.dir().join("trust-anchor.crt")).map_err(|e| e.to_string())?;
    Canopy::builder(format!("https://{addr}"))
        .ca_certificate_pem(anchor)
        .server_name("localhost")
        .connect()
        .await
        .map(|canopy| canopy.channel())
        .map_err(|e| e.to_string())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let world = World::start_with(|config| {
            // Limits high enough never to refuse, so each call still goes through the limiter.
            let standard = config.rate_limits.tiers.get_mut("standard").expect("standard tier");
            standard.standard.calls = u64::MAX / 2;
        })
        .await;
        let user = world.customer("member").await;
        let token = world.token(&user);

        let direct = measure(world.upstream_channel("gateway").await, &token).await;
        let gateway = measure(edge_channel(&world, world.gateway.addr).await.expect("gateway channel"), &token).await;
        let envoy = match envoy_binary() {
            None => Err("Envoy not found ($ENVOY, envoy on PATH, ~/.cache/canopy/envoy-venv/bin/envoy)".to_string()),
            Some(binary) => match start_envoy(&binary, &world, &token).await {
                Ok((envoy, channel)) => {
                    let figures = measure(channel, &token).await;
                    drop(envoy);
                    Ok(figures)
                }
                Err(error) => Err(error),
            },
        };

        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let mut table = format!(
            "| path | p50 ms | p99 ms | peak calls/s ({CONCURRENT_CLIENTS} clients) |\n| --- | ---: | ---: | ---: |\n"
        );
        table += &row("through the gateway (TLS, auth, rate limit, mTLS)", &gateway);
        match &envoy {
            Ok(figures) => table += &row("through Envoy (TLS, jwt_authn, local_ratelimit, mTLS)", figures),
            Err(reason) => table += &format!("| through Envoy: skipped ({reason}) | – | – | – |\n"),
        }
        table += &row("direct to the service (mTLS)", &direct);
        table += &format!(
            "\nAuthenticated unary `Echo`; {SEQUENTIAL_CALLS} sequential calls after {WARM_UP} warm-up for \
             latency, {CONCURRENT_CALLS} calls for throughput; loopback, {cores} cores, client, gateway, \
             Envoy, service and Redis on the same machine.\n"
        );
        println!("{table}");
        canopy_kit::testing::write_bench_report("bench-gateway.md", &table);
        world.gateway.shutdown().await;
    });
}
