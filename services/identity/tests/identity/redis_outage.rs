//! A Redis outage, with a redis-server of the test's own that is stalled (SIGSTOP),
//! resumed, killed (SIGKILL) and restarted on the same port: signed-in calls and
//! sign-in are refused UNAVAILABLE quickly every time (not only the first), long
//! before the caller's deadline, and everything works again within seconds of Redis
//! coming back, without restarting identity.

use std::time::{Duration, Instant};

use canopy_kit::local::{Lifetime, PrivateRedis};
use canopy_sdk::proto::canopy::identity::v1::{GetCurrentUserRequest, LoginRequest, login_response};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tonic::Code;

use crate::support::{ADMIN_EMAIL, Harness};

/// What each refused call must stay under (the command timeout is 500 ms).
const BOUND: Duration = Duration::from_secs(2);
/// The caller's deadline, as in the report: the bound must not depend on it.
const DEADLINE: Duration = Duration::from_secs(30);
/// How long recovery may take once Redis is back.
const RECOVERY: Duration = Duration::from_secs(10);

async fn current_user(harness: &Harness, access_token: &str) -> Result<(), tonic::Status> {
    let mut request = tonic::Request::new(GetCurrentUserRequest {});
    request.set_timeout(DEADLINE);
    harness.auth(Some(access_token)).await.get_current_user(request).await.map(|_| ())
}

async fn login(harness: &Harness) -> Result<String, tonic::Status> {
    let mut request =
        tonic::Request::new(LoginRequest { email: ADMIN_EMAIL.into(), password: harness.admin_password.clone() });
    request.set_timeout(DEADLINE);
    let response = harness.auth(None).await.login(request).await?.into_inner();
    match response.result {
        Some(login_response::Result::Session(tokens)) => Ok(tokens.access_token),
        other => panic!("expected a session, got {other:?}"),
    }
}

/// Five signed-in calls and a sign-in in a row, each refused UNAVAILABLE within
/// [`BOUND`]; returns the slowest.
async fn refused_quickly(harness: &Harness, access_token: &str, what: &str) -> Duration {
    let mut slowest = Duration::ZERO;
    for attempt in 1..=5 {
        let started = Instant::now();
        let status = current_user(harness, access_token).await.expect_err("a signed-in call without Redis");
        let took = started.elapsed();
        eprintln!("{what}: signed-in call {attempt}: {:?} after {took:?}", status.code());
        assert_eq!(status.code(), Code::Unavailable, "{what}, call {attempt}: {status:?}");
        assert!(took < BOUND, "{what}, call {attempt} took {took:?}");
        slowest = slowest.max(took);
    }
    let started = Instant::now();
    let status = login(harness).await.expect_err("sign-in without Redis");
    let took = started.elapsed();
    eprintln!("{what}: sign-in: {:?} after {took:?}", status.code());
    assert_eq!(status.code(), Code::Unavailable, "{what}, sign-in: {status:?}");
    assert!(took < BOUND, "{what}, sign-in took {took:?}");
    slowest.max(took)
}

/// Polls sign-in then a signed-in call until both work; returns how long it took.
async fn recovers(harness: &Harness, what: &str) -> Duration {
    let started = Instant::now();
    loop {
        let outcome = match login(harness).await {
            Ok(token) => current_user(harness, &token).await,
            Err(status) => Err(status),
        };
        match outcome {
            Ok(()) => {
                let took = started.elapsed();
                eprintln!("{what}: sign-in and a signed-in call work again after {took:?}");
                return took;
            }
            Err(status) if started.elapsed() < RECOVERY => {
                assert_eq!(status.code(), Code::Unavailable, "{what}: while recovering: {status:?}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => panic!("{what}: not recovered after {RECOVERY:?}: {status:?}"),
        }
    }
}

fn signal(redis: &PrivateRedis, signal: Signal) {
    let pid = redis.pid().expect("the test's redis-server is running");
    kill(Pid::from_raw(pid as i32), signal).expect("signal the test's redis-server");
}

#[tokio::test]
async fn a_stalled_or_dead_redis_refuses_calls_within_a_bound_and_recovery_needs_no_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut redis = PrivateRedis::start(dir.path(), Lifetime::Detached).expect("start a private redis-server");
    let port = redis.port();
    let url = redis.url();
    let harness = Harness::start_with(|env| env.config.redis.url = url).await;
    let token = login(&harness).await.expect("sign-in with Redis up");
    current_user(&harness, &token).await.expect("a signed-in call with Redis up");

    // Stalled: the connection stays open but nothing answers.
    signal(&redis, Signal::SIGSTOP);
    let stalled = refused_quickly(&harness, &token, "stalled").await;
    signal(&redis, Signal::SIGCONT);
    let resumed = recovers(&harness, "resumed").await;
    current_user(&harness, &token).await.expect("the session outlived the stall");

    // Crashed: the connection drops and nothing listens on the port.
    redis.kill();
    let dead = refused_quickly(&harness, &token, "killed").await;
    let dead_again = refused_quickly(&harness, &token, "still down").await;

    // Restarted on the same port (empty: the test server keeps nothing on disk).
    let _restarted =
        PrivateRedis::start_on(dir.path(), port, Lifetime::Detached).expect("restart redis-server on its port");
    let restarted = recovers(&harness, "restarted").await;
    let status = current_user(&harness, &token).await.expect_err("sessions were lost with Redis's data");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    eprintln!(
        "slowest refusal: stalled {stalled:?}, killed {:?}; recovery: resumed {resumed:?}, restarted {restarted:?}",
        dead.max(dead_again)
    );
}
