//! Benchmark (issue 3): sign-in rate versus the raw Argon2id hash rate, in one run
//! on this machine.
//!
//! Raw: Argon2id hashes with the service's parameters (19 MiB, t = 2, p = 1), on one
//! thread and on every core at once. End to end: `AuthService.Login` over mTLS on
//! loopback against identity with a real PostgreSQL and Redis — one client in
//! sequence (latency), then concurrent clients (peak rate). A login costs one
//! Argon2id verification plus a user lookup, a lockout update, a security event,
//! a session in Redis and an Ed25519 signature, so its rate is bounded by the hash
//! rate; the table shows how close it gets.
//!
//! Run: `cargo bench -p canopy-identity --bench login` with `DATABASE_URL` and
//! `REDIS_URL` set (or PostgreSQL and Redis binaries installed). Prints a markdown
//! table and writes it to `bench-identity.md` in the target directory.

use std::time::{Duration, Instant};

use canopy_identity::passwords;
use canopy_kit::db::Database;
use canopy_kit::testing::TestEnv;
use canopy_sdk::proto::canopy::identity::v1::LoginRequest;
use canopy_sdk::proto::canopy::identity::v1::auth_service_client::AuthServiceClient;
use canopy_sdk::proto::canopy::identity::v1::login_response;
use tonic::transport::Channel;

const EMAIL: &str = "bench-admin@canopy.test";
const RAW_HASHES: usize = 120;
const SEQUENTIAL_LOGINS: usize = 100;
const CONCURRENT_CLIENTS: usize = 8;
const CONCURRENT_LOGINS: usize = 200;

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn ms(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

/// Hashes on `threads` threads at once; returns hashes per second.
fn raw_hash_rate(threads: usize) -> f64 {
    let per_thread = RAW_HASHES / threads;
    let started = Instant::now();
    std::thread::scope(|scope| {
        for thread in 0..threads {
            scope.spawn(move || {
                for n in 0..per_thread {
                    passwords::hash_blocking(&format!("bench-password-{thread}-{n}")).expect("hash");
                }
            });
        }
    });
    per_second(per_thread * threads, started.elapsed())
}

async fn login(client: &mut AuthServiceClient<Channel>, password: &str) {
    let response = client
        .login(LoginRequest { email: EMAIL.into(), password: password.into() })
        .await
        .expect("benchmark login failed")
        .into_inner();
    assert!(matches!(response.result, Some(login_response::Result::Session(_))), "login answered without a session");
}

#[tokio::main]
async fn main() {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let raw_single = raw_hash_rate(1);
    let raw_all = raw_hash_rate(cores);

    let env = TestEnv::new().await;
    let services = env.spawn(&[&canopy_identity::MANIFEST]).await;
    let database = Database::connect(&env.config.database).await.expect("database");
    let password = canopy_identity::ensure_platform_admin(&database, EMAIL).await.expect("seed").expect("new admin");
    let channel = services.client("identity", "gateway").await.channel();

    let mut client = AuthServiceClient::new(channel.clone());
    for _ in 0..3 {
        login(&mut client, &password).await;
    }
    let mut latencies = Vec::with_capacity(SEQUENTIAL_LOGINS);
    let started = Instant::now();
    for _ in 0..SEQUENTIAL_LOGINS {
        let call = Instant::now();
        login(&mut client, &password).await;
        latencies.push(call.elapsed());
    }
    let sequential_rate = per_second(SEQUENTIAL_LOGINS, started.elapsed());
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];

    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENT_CLIENTS {
        let mut client = AuthServiceClient::new(channel.clone());
        let password = password.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..CONCURRENT_LOGINS / CONCURRENT_CLIENTS {
                login(&mut client, &password).await;
            }
        }));
    }
    for task in tasks {
        task.await.expect("client task");
    }
    let concurrent_rate = per_second(CONCURRENT_LOGINS, started.elapsed());

    let table = format!(
        "| measure | per second | note |\n\
         | --- | ---: | --- |\n\
         | raw Argon2id hash, 1 thread | {raw_single:.1} | m=19456 KiB, t=2, p=1 |\n\
         | raw Argon2id hash, {cores} threads | {raw_all:.1} | the ceiling for sign-ins on this machine |\n\
         | `Login`, 1 client in sequence | {sequential_rate:.1} | p50 {} ms, p99 {} ms |\n\
         | `Login`, {CONCURRENT_CLIENTS} concurrent clients | {concurrent_rate:.1} | {:.0}% of the {cores}-thread hash rate |\n\
         \n\
         {RAW_HASHES} raw hashes per row; {SEQUENTIAL_LOGINS} sequential logins after 3 warm-up, then \
         {CONCURRENT_LOGINS} logins from {CONCURRENT_CLIENTS} clients; mTLS over loopback, PostgreSQL and Redis \
         on the same machine ({cores} cores), hashing capped at one per core by the service's semaphore.\n",
        ms(percentile(0.50)),
        ms(percentile(0.99)),
        concurrent_rate / raw_all * 100.0,
    );
    print!("{table}");
    canopy_kit::testing::write_bench_report("bench-identity.md", &table);
    services.shutdown().await;
}
