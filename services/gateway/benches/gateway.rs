//! Benchmark (issue 3): an authenticated unary call through the gateway versus the
//! same call direct to the service, in one run on this machine over loopback.
//!
//! Through the gateway a call pays TLS to the edge, bearer-token verification
//! (Ed25519 signature and a Redis session lookup), a Redis rate-limit increment and
//! the mTLS hop to the service; direct, it pays the mTLS call alone. The service is
//! the test upstream's `Echo` (no database), so the difference is the gateway's cost.
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

use std::time::{Duration, Instant};

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

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        let world = World::start_with(|config| {
            // Limits high enough never to refuse, so each call still pays the Redis increment.
            let standard = config.rate_limits.tiers.get_mut("standard").expect("standard tier");
            standard.standard.calls = u64::MAX / 2;
        })
        .await;
        let user = world.customer("member").await;
        let token = world.token(&user);

        let direct = measure(world.upstream_channel("gateway").await, &token).await;
        let gateway = measure(world.channel().await, &token).await;

        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let table = format!(
            "| path | p50 ms | p99 ms | peak calls/s ({CONCURRENT_CLIENTS} clients) |\n\
             | --- | ---: | ---: | ---: |\n\
             | direct to the service (mTLS) | {} | {} | {:.0} |\n\
             | through the gateway (TLS, auth, rate limit, mTLS) | {} | {} | {:.0} |\n\
             \n\
             Authenticated unary `Echo`; {SEQUENTIAL_CALLS} sequential calls after {WARM_UP} warm-up for \
             latency, {CONCURRENT_CALLS} calls for throughput; loopback, {cores} cores, client, gateway, \
             service and Redis on the same machine.\n",
            ms(direct.p50),
            ms(direct.p99),
            direct.calls_per_sec,
            ms(gateway.p50),
            ms(gateway.p99),
            gateway.calls_per_sec,
        );
        println!("{table}");
        canopy_kit::testing::write_bench_report("bench-gateway.md", &table);
        world.gateway.shutdown().await;
    });
}
