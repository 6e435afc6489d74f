//! The gateway's Redis (sessions and rate limits alike) stalled, resumed, killed and
//! restarted on its port, as in an outage: signed-in calls are refused UNAVAILABLE
//! within `BOUND` every time, never at the caller's 30 s deadline; sign-in fails
//! closed; API-key calls, which need no Redis, keep working; and everything works
//! again within seconds of Redis coming back, with no restart.

use std::time::{Duration, Instant};

use canopy_kit::local::{Lifetime, PrivateRedis};
use canopy_kit::testing::TestEnv;
use canopy_sdk::proto::canopy::options::v1::Role;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::support::*;

/// Each refusal stays under this (the Redis command timeout is 500 ms, then the
/// breaker answers at once).
const BOUND: Duration = Duration::from_secs(2);
/// The caller's deadline: the bound must not depend on it.
const DEADLINE: Duration = Duration::from_secs(30);
/// How long recovery may take once Redis is back.
const RECOVERY: Duration = Duration::from_secs(10);
/// Longer than the gateway's local session cache (`session_cache_ms`, 1 s): a
/// session checked just before the outage may pass until then.
const CACHE_PERIOD: Duration = Duration::from_millis(1500);

async fn echo(client: &mut TestServiceClient<Channel>, credential: &str) -> Result<Duration, Status> {
    let mut request = bearer(EchoRequest { text: "outage".into(), ..Default::default() }, credential);
    request.set_timeout(DEADLINE);
    let started = Instant::now();
    client.echo(request).await.map(|_| started.elapsed())
}

async fn sign_in(client: &mut TestServiceClient<Channel>) -> Result<(), Status> {
    let mut request = tonic::Request::new(SignInRequest {});
    request.set_timeout(DEADLINE);
    client.sign_in(request).await.map(|_| ())
}

/// While Redis is unavailable: six rounds of a signed-in call (UNAVAILABLE), a
/// sign-in (UNAVAILABLE, fails closed) and an API-key call (answered), each within
/// `BOUND`.
async fn refused_quickly_every_time(client: &mut TestServiceClient<Channel>, token: &str, api_key: &str, what: &str) {
    for attempt in 1..=6 {
        let started = Instant::now();
        let status = echo(client, token).await.expect_err("a session that cannot be checked is refused");
        assert_eq!(status.code(), Code::Unavailable, "{what}, call {attempt}: {status:?}");
        assert!(started.elapsed() < BOUND, "{what}, call {attempt} took {:?}", started.elapsed());

        let started = Instant::now();
        let status = sign_in(client).await.expect_err("sign-in fails closed");
        assert_eq!(status.code(), Code::Unavailable, "{what}, sign-in {attempt}: {status:?}");
        assert!(started.elapsed() < BOUND, "{what}, sign-in {attempt} took {:?}", started.elapsed());

        let took = echo(client, api_key).await.unwrap_or_else(|s| panic!("{what}: API-key call {attempt}: {s:?}"));
        assert!(took < BOUND, "{what}, API-key call {attempt} took {took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_calls_fail_fast_while_redis_is_stalled_or_dead_and_work_again_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut redis = PrivateRedis::start(dir.path(), Lifetime::Detached).expect("a redis-server of the test's own");
    let port = redis.port();
    let mut env = TestEnv::new().await;
    env.config.redis.url = redis.url();
    let world = World::start_in(env, |_| {}, |gateway| gateway).await;
    let user = world.customer("member").await;
    let token = world.token(&user);
    let api_key = world.api_key(user.tenant, Role::Member);
    let mut client = world.client().await;
    echo(&mut client, &token).await.expect("a signed-in call before the outage");

    // Stalled (SIGSTOP): connections stay open, nothing answers.
    let pid = Pid::from_raw(redis.pid().expect("running") as i32);
    kill(pid, Signal::SIGSTOP).unwrap();
    tokio::time::sleep(CACHE_PERIOD).await;
    refused_quickly_every_time(&mut client, &token, &api_key, "stalled").await;
    kill(pid, Signal::SIGCONT).unwrap();
    let resumed = Instant::now();
    while echo(&mut client, &token).await.is_err() {
        assert!(resumed.elapsed() < RECOVERY, "signed-in calls did not come back after SIGCONT");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sign_in(&mut client).await.expect("sign-in is back too");

    // Killed (SIGKILL): connections refused.
    redis.kill();
    tokio::time::sleep(CACHE_PERIOD).await;
    refused_quickly_every_time(&mut client, &token, &api_key, "killed").await;

    // Restarted on its port. This server keeps nothing on disk, so the session is
    // gone (the old token is refused UNAUTHENTICATED, as OPERATIONS.md says); sign-in
    // and a new session work within seconds.
    let _redis = PrivateRedis::start_on(dir.path(), port, Lifetime::Detached).expect("redis restarts");
    let restarted = Instant::now();
    while sign_in(&mut client).await.is_err() {
        assert!(restarted.elapsed() < RECOVERY, "sign-in did not come back after the restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let back = world.customer("member").await;
    echo(&mut client, &world.token(&back)).await.expect("a new session works");
    let status = echo(&mut client, &token).await.expect_err("the lost session");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    println!("recovered {:?} after the restart", restarted.elapsed());
}
