//! Rate limits per tenant (or client address) and rate class, in Redis: refusals
//! carry RetryInfo, tenants are independent, premium tenants get their own limit,
//! and the sign-in class fails closed when Redis is unreachable.

use std::time::Duration;

use canopy_kit::config::RedisConfig;
use canopy_kit::local::PrivateRedis;
use canopy_kit::redis_store::RedisStore;
use tonic::Code;

use crate::support::*;

async fn echo_calls(world: &World, user: &TestUser, calls: usize) -> Vec<Result<(), tonic::Status>> {
    let mut client = world.client().await;
    let token = world.token(user);
    let mut results = Vec::new();
    for _ in 0..calls {
        results.push(client.echo(bearer(EchoRequest::default(), &token)).await.map(|_| ()));
    }
    results
}

fn assert_limited(status: &tonic::Status, window: Duration) {
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(status).as_deref(), Some("RATE_LIMITED"));
    let delay = retry_delay(status).expect("RetryInfo on a rate-limit refusal");
    assert!(delay > Duration::ZERO && delay <= window, "retry delay {delay:?}");
}

#[tokio::test]
async fn the_101st_standard_call_in_a_minute_is_refused_and_other_tenants_are_unaffected() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let results = echo_calls(&world, &user, 101).await;
    assert!(
        results[..100].iter().all(Result::is_ok),
        "the first 100 pass: {:?}",
        results.iter().position(Result::is_err)
    );
    assert_limited(results[100].as_ref().unwrap_err(), Duration::from_secs(60));

    // Another user of the same tenant shares the tenant's budget...
    let colleague = world.user(user.tenant, "owner").await;
    let status = echo_calls(&world, &colleague, 1).await.remove(0).unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    // ...another tenant does not.
    let other = world.customer("member").await;
    assert!(echo_calls(&world, &other, 5).await.iter().all(Result::is_ok));

    // The next window starts afresh.
    world.env.clock.advance(chrono::Duration::seconds(61));
    assert!(echo_calls(&world, &user, 1).await[0].is_ok());
}

#[tokio::test]
async fn the_11th_deployment_class_call_in_an_hour_is_refused() {
    let world = World::start().await;
    // Windows are fixed hours: start just after one begins, so the minute advanced
    // below stays in the same window whatever the time of day (it failed at 10:59).
    let into_hour = world.now().timestamp().rem_euclid(3600);
    world.env.clock.advance(chrono::Duration::seconds(3600 - into_hour + 1));
    let user = world.customer("owner").await;
    let token = world.token(&user);
    let mut client = world.client().await;
    for n in 1..=10 {
        client.deploy(bearer(DeployRequest::default(), &token)).await.unwrap_or_else(|e| panic!("deploy {n}: {e:?}"));
    }
    let status = client.deploy(bearer(DeployRequest::default(), &token)).await.expect_err("11th deployment");
    assert_limited(&status, Duration::from_secs(3600));
    // Standard calls have their own bucket.
    client.echo(bearer(EchoRequest::default(), &token)).await.expect("standard call still allowed");
    // Half an hour later (same window) still refused; another tenant is not.
    world.env.clock.advance(chrono::Duration::minutes(1));
    let status = client.deploy(bearer(DeployRequest::default(), &token)).await.expect_err("same hour");
    assert_eq!(status.code(), Code::ResourceExhausted);
    let other = world.customer("owner").await;
    client.deploy(bearer(DeployRequest::default(), &world.token(&other))).await.expect("another tenant deploys");
}

#[tokio::test]
async fn a_premium_tenant_gets_its_own_limit() {
    let premium_tenant = canopy_kit::db::TenantId(uuid::Uuid::new_v4());
    let world = World::start_with(|config| {
        config.rate_limits.tenant_tiers.insert(premium_tenant.0.to_string(), "premium".into());
    })
    .await;
    let premium = world.user(Some(premium_tenant), "member").await;
    let results = echo_calls(&world, &premium, 151).await;
    assert!(results[..150].iter().all(Result::is_ok), "premium passes its 150");
    assert_limited(results[150].as_ref().unwrap_err(), Duration::from_secs(60));

    let standard = world.customer("member").await;
    let results = echo_calls(&world, &standard, 101).await;
    assert!(results[..100].iter().all(Result::is_ok));
    assert!(results[100].is_err(), "a standard tenant keeps the standard limit");
}

#[tokio::test]
async fn sign_in_calls_are_limited_per_client_address_whoever_calls() {
    let world = World::start_with(|config| config.rate_limits.sign_in.calls = 5).await;
    let mut client = world.client().await;
    for _ in 0..5 {
        client.sign_in(SignInRequest {}).await.expect("anonymous sign-in");
    }
    let status = client.sign_in(SignInRequest {}).await.expect_err("6th sign-in");
    assert_limited(&status, Duration::from_secs(60));
    // A signed-in caller from the same address is in the same bucket.
    let user = world.customer("member").await;
    let status = client.sign_in(bearer(SignInRequest {}, &world.token(&user))).await.expect_err("same address");
    assert_eq!(status.code(), Code::ResourceExhausted);
}

#[tokio::test]
async fn when_redis_is_down_sign_in_fails_closed_and_other_classes_fail_open() {
    let dir = tempfile::tempdir().unwrap();
    let mut redis =
        PrivateRedis::start(dir.path(), canopy_kit::local::Lifetime::Detached).expect("start a private redis-server");
    let limiter_redis = RedisStore::connect(&RedisConfig {
        url: redis.url(),
        key_prefix: "gateway-test:".into(),
        ..Default::default()
    })
    .await
    .expect("connect to the private redis");
    let world = World::start_custom(|_| {}, |gateway| gateway.rate_limit_redis(limiter_redis)).await;
    let user = world.customer("member").await;
    let mut client = world.client().await;
    client.sign_in(SignInRequest {}).await.expect("sign-in while redis is up");

    redis.stop();
    let status = client.sign_in(SignInRequest {}).await.expect_err("sign-in without a limiter");
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    client.echo(bearer(EchoRequest::default(), &world.token(&user))).await.expect("standard calls fail open");
    client.deploy(bearer(DeployRequest::default(), &world.token(&user))).await.expect("deployments fail open");
}

#[tokio::test]
async fn when_redis_stalls_each_call_gets_the_limiter_s_answer_within_its_timeout_every_time() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    use std::time::Instant;

    let dir = tempfile::tempdir().unwrap();
    let redis =
        PrivateRedis::start(dir.path(), canopy_kit::local::Lifetime::Detached).expect("start a private redis-server");
    let limiter_redis = RedisStore::connect(&RedisConfig {
        url: redis.url(),
        key_prefix: "gateway-test:".into(),
        ..Default::default()
    })
    .await
    .expect("connect to the private redis");
    let world = World::start_custom(|_| {}, |gateway| gateway.rate_limit_redis(limiter_redis)).await;
    let user = world.customer("member").await;
    let mut client = world.client().await;
    client.sign_in(SignInRequest {}).await.expect("sign-in while redis is up");

    let pid = Pid::from_raw(redis.pid().expect("running") as i32);
    kill(pid, Signal::SIGSTOP).expect("stall the test's redis-server");
    // rate_limits.redis_timeout_ms is 250: the first calls wait that long, then the
    // store's breaker answers at once. Never anywhere near a deadline.
    let bound = Duration::from_secs(1);
    for attempt in 1..=5 {
        let started = Instant::now();
        let status = client.sign_in(SignInRequest {}).await.expect_err("sign-in fails closed");
        assert_eq!(status.code(), Code::Unavailable, "attempt {attempt}: {status:?}");
        assert!(started.elapsed() < bound, "sign-in {attempt} took {:?}", started.elapsed());
        let started = Instant::now();
        client.echo(bearer(EchoRequest::default(), &world.token(&user))).await.expect("standard calls fail open");
        assert!(started.elapsed() < bound, "echo {attempt} took {:?}", started.elapsed());
    }
    kill(pid, Signal::SIGCONT).expect("resume the test's redis-server");
    let started = Instant::now();
    while client.sign_in(SignInRequest {}).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(10), "the limiter did not come back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn gateways_leasing_counts_in_batches_never_admit_more_than_the_limit_together() {
    use std::sync::Arc;

    use canopy_gateway::config::{Limit, RateLimitConfig};
    use canopy_gateway::ratelimit::{ConfiguredTiers, RateLimiter, lease_size};
    use canopy_kit::auth::{Principal, PrincipalKind, role_from_name};

    let world = World::start().await;
    let limit = 1000;
    let mut config = RateLimitConfig::default();
    config.tiers.get_mut("standard").expect("standard tier").standard = Limit::new(limit, 60);
    let tiers = Arc::new(ConfiguredTiers::from_config(&config));
    let runtime = &world.services.runtime;
    // Three gateways on one Redis, as three replicas would be.
    let gateways: Vec<Arc<RateLimiter>> = (0..3)
        .map(|_| {
            Arc::new(RateLimiter::new(runtime.redis.clone(), config.clone(), tiers.clone(), runtime.clock.clone()))
        })
        .collect();
    let principal = Principal {
        kind: PrincipalKind::User { user_id: uuid::Uuid::new_v4(), session_id: "s".into() },
        tenant: Some(canopy_kit::db::TenantId(uuid::Uuid::new_v4())),
        role: role_from_name("member").expect("member role"),
    };
    let address = "127.0.0.1".parse().unwrap();

    // Twice the limit, interleaved across the gateways from concurrent callers.
    let mut callers = Vec::new();
    for caller in 0..30 {
        let gateway = gateways[caller % gateways.len()].clone();
        let principal = principal.clone();
        callers.push(tokio::spawn(async move {
            let mut admitted = 0u64;
            for _ in 0..(2 * limit / 30) {
                if gateway
                    .check(canopy_sdk::proto::canopy::options::v1::RateClass::Standard, Some(&principal), address)
                    .await
                    .is_ok()
                {
                    admitted += 1;
                }
            }
            admitted
        }));
    }
    let mut admitted = 0;
    for caller in callers {
        admitted += caller.await.unwrap();
    }
    assert!(admitted <= limit, "{admitted} calls admitted over a limit of {limit}");
    // Each gateway may strand at most one batch short of its last lease.
    let stranded = gateways.len() as u64 * (lease_size(limit) - 1);
    assert!(admitted >= limit - stranded, "only {admitted} of {limit} admitted (at most {stranded} may be stranded)");
}
