//! The gateway answers session checks from memory (`services.gateway.session_cache_ms`).
//! These tests hold it to its revocation bound: once a session that the gateway has
//! cached is revoked, calls through the gateway are refused UNAUTHENTICATED at most
//! `session_cache_ms` later — whether identity's announcement arrives (the normal
//! case, checked with a bound far longer than the test waits) or not (a session
//! deleted behind identity's back). Only the upper bound is asserted: a revoked
//! session may or may not pass before it.

use std::time::{Duration, Instant};

use canopy_kit::auth::REVOCATIONS_CHANNEL;
use redis::AsyncCommands;
use tonic::Code;

use crate::support::*;

/// Waits until the gateway listens for revocation announcements, so the calls that
/// follow are answered from its cache (before, it checks Redis on every call).
async fn wait_until_the_gateway_listens(world: &World) {
    let redis = world.services.runtime.redis.clone();
    let channel = redis.key(REVOCATIONS_CHANNEL);
    let started = Instant::now();
    loop {
        let channel = channel.clone();
        let subscribers: Vec<(String, u64)> = redis
            .run(|mut connection| async move {
                redis::cmd("PUBSUB").arg("NUMSUB").arg(channel).query_async(&mut connection).await
            })
            .await
            .expect("PUBSUB NUMSUB");
        if subscribers.first().is_some_and(|(_, count)| *count > 0) {
            // The listener marks the cache usable just after Redis confirms.
            tokio::time::sleep(Duration::from_millis(50)).await;
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the gateway never subscribed to revocations");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Calls until the session is refused; the time from `revoked_at` to the first refusal.
async fn refused_after(world: &World, user: &TestUser, revoked_at: Instant, give_up: Duration) -> Duration {
    let mut client = world.client().await;
    let token = world.token(user);
    loop {
        match client.echo(bearer(EchoRequest::default(), &token)).await {
            Err(status) => {
                assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
                return revoked_at.elapsed();
            }
            Ok(_) => {
                assert!(revoked_at.elapsed() < give_up, "a revoked session still passes after {give_up:?}");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Uses the session a few times, so the gateway has it cached.
async fn use_session(world: &World, user: &TestUser) {
    let mut client = world.client().await;
    let token = world.token(user);
    for _ in 0..3 {
        client.echo(bearer(EchoRequest::default(), &token)).await.expect("live session passes");
    }
}

#[tokio::test]
async fn sign_out_and_disabling_a_user_end_cached_sessions_within_the_session_cache_bound() {
    let world = World::start().await;
    let bound = Duration::from_millis(canopy_gateway::GatewayConfig::default().session_cache_ms);
    wait_until_the_gateway_listens(&world).await;

    // Sign-out: identity revokes the one session.
    let user = world.customer("member").await;
    use_session(&world, &user).await;
    let record = world.sessions.get(&user.session_id).await.unwrap().expect("session stored");
    world.sessions.revoke(&record).await.unwrap();
    let revoked_at = Instant::now();
    tokio::time::sleep_until((revoked_at + bound).into()).await;
    let mut client = world.client().await;
    let status = client.echo(bearer(EchoRequest::default(), &world.token(&user))).await.expect_err("signed out");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    // Password change or an admin disabling the account: every session of the user.
    let user = world.customer("owner").await;
    use_session(&world, &user).await;
    world.sessions.revoke_user(user.user_id, None).await.unwrap();
    let revoked_at = Instant::now();
    tokio::time::sleep_until((revoked_at + bound).into()).await;
    let status = client.echo(bearer(EchoRequest::default(), &world.token(&user))).await.expect_err("disabled");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
}

#[tokio::test]
async fn an_announced_revocation_ends_a_cached_session_long_before_its_cache_entry_would_expire() {
    let world = World::start_with(|config| config.session_cache_ms = 60_000).await;
    wait_until_the_gateway_listens(&world).await;
    let user = world.customer("member").await;
    use_session(&world, &user).await;

    let record = world.sessions.get(&user.session_id).await.unwrap().expect("session stored");
    world.sessions.revoke(&record).await.unwrap();
    // Without the announcement the cached session would pass for a minute.
    let took = refused_after(&world, &user, Instant::now(), Duration::from_secs(5)).await;
    eprintln!("refused {took:?} after the revocation");
}

#[tokio::test]
async fn a_session_deleted_without_an_announcement_is_refused_once_the_cache_bound_has_passed() {
    let bound = Duration::from_millis(300);
    let world = World::start_with(|config| config.session_cache_ms = bound.as_millis() as u64).await;
    wait_until_the_gateway_listens(&world).await;
    let user = world.customer("member").await;
    use_session(&world, &user).await;

    // Gone from Redis with no announcement (expired there, deleted by hand, or revoked
    // by an identity that predates announcements): only the time to live helps.
    let redis = world.services.runtime.redis.clone();
    let key = redis.key(&format!("session:{}", user.session_id));
    redis.run(|mut connection| async move { connection.del::<_, ()>(key).await }).await.unwrap();
    let deleted_at = Instant::now();
    tokio::time::sleep_until((deleted_at + bound).into()).await;
    let mut client = world.client().await;
    let status = client.echo(bearer(EchoRequest::default(), &world.token(&user))).await.expect_err("deleted session");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
}
