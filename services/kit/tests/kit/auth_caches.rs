//! The auth caches: concurrent misses for one key make one lookup, failures are not
//! cached, answers expire after their period, and a cached answer still obeys the
//! injected clock.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use canopy_kit::ApiError;
use canopy_kit::auth::{
    ApiKeyLookup, ApiKeyResolver, ApiKeySecret, AuthError, KeySet, KeySource, ResolvedApiKey, SessionStore,
    TenantAccess, TenantAccessGuard, TenantAccessLookup, TokenVerifier,
};
use canopy_kit::clock::{ManualClock, SharedClock};
use canopy_kit::db::TenantId;
use canopy_kit::redis_store::RedisStore;
use canopy_kit::testing::TestEnv;
use canopy_sdk::proto::canopy::options::v1::Role;
use canopy_sdk::proto::canopy::tenancy::v1::CustomerStatus;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, join_all};
use uuid::Uuid;

const CALLERS: usize = 100;
/// Long enough that no test outlives it by accident.
const LONG: Duration = Duration::from_secs(600);

fn member_key(expire_at: Option<chrono::DateTime<chrono::Utc>>) -> ResolvedApiKey {
    ResolvedApiKey {
        key_id: Uuid::new_v4(),
        tenant: Some(TenantId(Uuid::new_v4())),
        role: Role::Member,
        scopes: Vec::new(),
        expire_at,
    }
}

/// An identity stand-in: counts lookups, holds each one briefly so concurrent callers
/// overlap it, and answers with whatever `answer` holds.
fn counting_api_key_lookup(
    lookups: Arc<AtomicUsize>,
    answer: Arc<Mutex<Result<Option<ResolvedApiKey>, AuthError>>>,
) -> ApiKeyLookup {
    Arc::new(move |_secret: String| {
        let lookups = lookups.clone();
        let answer = answer.clone();
        async move {
            lookups.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            answer.lock().unwrap().clone()
        }
        .boxed()
    })
}

fn resolver(lookup: ApiKeyLookup, ttl: Duration, clock: SharedClock) -> Arc<ApiKeyResolver> {
    Arc::new(ApiKeyResolver::new(lookup, ttl, clock))
}

#[tokio::test]
async fn concurrent_misses_for_one_api_key_make_one_lookup() {
    let lookups = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(Mutex::new(Ok(Some(member_key(None)))));
    let resolver = resolver(counting_api_key_lookup(lookups.clone(), answer), LONG, Arc::new(ManualClock::new()));
    let (secret, _) = ApiKeySecret::generate();

    let results = join_all((0..CALLERS).map(|_| {
        let resolver = resolver.clone();
        let secret = secret.clone();
        tokio::spawn(async move { resolver.resolve(&secret).await })
    }))
    .await;

    for result in results {
        let principal = result.expect("task").expect("key accepted");
        assert_eq!(principal.role, Role::Member);
    }
    assert_eq!(lookups.load(Ordering::SeqCst), 1, "{CALLERS} concurrent misses must share one lookup");
    resolver.resolve(&secret).await.expect("cached key accepted");
    assert_eq!(lookups.load(Ordering::SeqCst), 1, "a later call is answered from the cache");
}

#[tokio::test]
async fn a_failed_api_key_lookup_is_not_cached() {
    let lookups = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(Mutex::new(Err(AuthError::KeysUnavailable("identity down".into()))));
    let resolver =
        resolver(counting_api_key_lookup(lookups.clone(), answer.clone()), LONG, Arc::new(ManualClock::new()));
    let (secret, _) = ApiKeySecret::generate();

    let results = join_all((0..CALLERS).map(|_| resolver.resolve(&secret))).await;
    for result in results {
        assert_eq!(result.unwrap_err(), AuthError::KeysUnavailable("identity down".into()));
    }
    assert_eq!(lookups.load(Ordering::SeqCst), 1, "concurrent callers share the failed lookup too");

    *answer.lock().unwrap() = Ok(Some(member_key(None)));
    resolver.resolve(&secret).await.expect("identity is asked again once it is back");
    assert_eq!(lookups.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_api_key_is_cached_and_answers_expire_after_the_period() {
    let lookups = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(Mutex::new(Ok(None)));
    let ttl = Duration::from_millis(200);
    let resolver =
        resolver(counting_api_key_lookup(lookups.clone(), answer.clone()), ttl, Arc::new(ManualClock::new()));
    let (secret, _) = ApiKeySecret::generate();

    assert_eq!(resolver.resolve(&secret).await.unwrap_err(), AuthError::ApiKeyRefused);
    assert_eq!(resolver.resolve(&secret).await.unwrap_err(), AuthError::ApiKeyRefused);
    assert_eq!(lookups.load(Ordering::SeqCst), 1, "a refusal is cached like an acceptance");

    // The key becomes known (e.g. a lookup raced its creation): after the period the
    // cached refusal is gone.
    *answer.lock().unwrap() = Ok(Some(member_key(None)));
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    resolver.resolve(&secret).await.expect("the refusal expired with the period");
    assert_eq!(lookups.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_cached_api_key_is_refused_once_the_clock_passes_its_expiry() {
    let clock = ManualClock::new();
    let lookups = Arc::new(AtomicUsize::new(0));
    let expire_at = chrono::Utc::now() + chrono::Duration::hours(1);
    let answer = Arc::new(Mutex::new(Ok(Some(member_key(Some(expire_at))))));
    let resolver = resolver(counting_api_key_lookup(lookups.clone(), answer), LONG, Arc::new(clock.clone()));
    let (secret, _) = ApiKeySecret::generate();

    resolver.resolve(&secret).await.expect("key accepted before its expiry");
    clock.advance(chrono::Duration::hours(2));
    assert_eq!(resolver.resolve(&secret).await.unwrap_err(), AuthError::ApiKeyRefused);
    assert_eq!(lookups.load(Ordering::SeqCst), 1, "the expiry was decided from the cached answer");
}

/// A tenancy stand-in, like [`counting_api_key_lookup`].
fn counting_tenant_lookup(
    lookups: Arc<AtomicUsize>,
    answer: Arc<Mutex<Option<TenantAccess>>>,
    down: Arc<AtomicBool>,
) -> TenantAccessLookup {
    Arc::new(move |_tenant: TenantId| {
        let lookups = lookups.clone();
        let answer = answer.clone();
        let down = down.clone();
        async move {
            lookups.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            if down.load(Ordering::SeqCst) {
                return Err(ApiError::Unavailable("tenancy"));
            }
            Ok(answer.lock().unwrap().clone())
        }
        .boxed()
    })
}

fn access(status: CustomerStatus) -> Option<TenantAccess> {
    Some(TenantAccess { status, reason: "unpaid invoice".into(), read_only_when_suspended: false })
}

#[tokio::test]
async fn concurrent_misses_for_one_tenant_make_one_lookup() {
    let lookups = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(Mutex::new(access(CustomerStatus::Suspended)));
    let guard = Arc::new(TenantAccessGuard::new(counting_tenant_lookup(lookups.clone(), answer, Arc::default()), LONG));
    let tenant = TenantId(Uuid::new_v4());

    let results = join_all((0..CALLERS).map(|_| {
        let guard = guard.clone();
        tokio::spawn(async move { guard.check(tenant, false).await })
    }))
    .await;

    for result in results {
        let error = result.expect("task").expect_err("suspended customer refused");
        assert_eq!(error.reason(), "CUSTOMER_SUSPENDED");
    }
    assert_eq!(lookups.load(Ordering::SeqCst), 1, "{CALLERS} concurrent misses must share one lookup");
}

#[tokio::test]
async fn a_failed_tenant_lookup_is_not_cached_and_fails_closed() {
    let lookups = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(Mutex::new(access(CustomerStatus::Active)));
    let down = Arc::new(AtomicBool::new(true));
    let guard = TenantAccessGuard::new(counting_tenant_lookup(lookups.clone(), answer, down.clone()), LONG);
    let tenant = TenantId(Uuid::new_v4());

    let results = join_all((0..CALLERS).map(|_| guard.check(tenant, true))).await;
    for result in results {
        let error = result.expect_err("tenancy down: the call is refused, not let through");
        assert_eq!(error.grpc_code(), tonic::Code::Unavailable, "{error:?}");
    }
    assert_eq!(lookups.load(Ordering::SeqCst), 1);

    down.store(false, Ordering::SeqCst);
    guard.check(tenant, false).await.expect("tenancy is asked again once it is back");
    assert_eq!(lookups.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_unknown_tenant_is_cached_and_forget_drops_a_cached_state() {
    let lookups = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(Mutex::new(None));
    let guard = TenantAccessGuard::new(counting_tenant_lookup(lookups.clone(), answer.clone(), Arc::default()), LONG);
    let tenant = TenantId(Uuid::new_v4());

    for read_only in [true, false] {
        let error = guard.check(tenant, read_only).await.expect_err("a customer tenancy does not know may do nothing");
        assert_eq!(error.reason(), "CUSTOMER_UNKNOWN");
    }
    assert_eq!(lookups.load(Ordering::SeqCst), 1, "an unknown tenant is cached");

    *answer.lock().unwrap() = access(CustomerStatus::Active);
    guard.check(tenant, false).await.expect_err("within the period the cached state holds");
    guard.forget(tenant).await;
    guard.check(tenant, false).await.expect("the customer exists once forgotten");
    *answer.lock().unwrap() = access(CustomerStatus::Suspended);
    guard.forget(tenant).await;
    let error = guard.check(tenant, false).await.expect_err("the suspension is seen once forgotten");
    assert_eq!(error.reason(), "CUSTOMER_SUSPENDED");
    assert_eq!(lookups.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_tenant_state_expires_after_the_period() {
    let lookups = Arc::new(AtomicUsize::new(0));
    let answer = Arc::new(Mutex::new(access(CustomerStatus::Active)));
    let ttl = Duration::from_millis(200);
    let guard = TenantAccessGuard::new(counting_tenant_lookup(lookups.clone(), answer.clone(), Arc::default()), ttl);
    let tenant = TenantId(Uuid::new_v4());

    guard.check(tenant, false).await.expect("active customer");
    *answer.lock().unwrap() = access(CustomerStatus::Deactivated);
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    let error = guard.check(tenant, false).await.expect_err("the deactivation is seen after the period");
    assert_eq!(error.reason(), "CUSTOMER_DEACTIVATED");
    assert_eq!(lookups.load(Ordering::SeqCst), 2);
}

/// Identity's key endpoint stand-in: counts fetches and publishes no key.
struct CountingKeySource {
    fetches: Arc<AtomicUsize>,
}

impl KeySource for CountingKeySource {
    fn fetch(&self) -> BoxFuture<'_, Result<KeySet, AuthError>> {
        async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(KeySet::default())
        }
        .boxed()
    }
}

/// A token whose header passes every check, signed by a key nobody published.
fn token_with_kid(kid: &str) -> String {
    let encode = |json: serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string());
    let header = encode(serde_json::json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": kid }));
    let claims = encode(serde_json::json!({ "sub": Uuid::new_v4().to_string() }));
    format!("{header}.{claims}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0u8; 64]))
}

#[tokio::test]
async fn concurrent_unknown_kids_make_one_key_fetch_per_refresh_interval() {
    let env = TestEnv::new().await;
    let sessions = SessionStore::new(RedisStore::connect(&env.config.redis).await.expect("redis"));
    let fetches = Arc::new(AtomicUsize::new(0));
    let verifier = Arc::new(TokenVerifier::new(
        Arc::new(CountingKeySource { fetches: fetches.clone() }),
        Arc::new(env.clock.clone()),
        sessions,
    ));

    let results = join_all((0..CALLERS).map(|n| {
        let verifier = verifier.clone();
        tokio::spawn(async move { verifier.verify(&token_with_kid(&format!("forged-{n}"))).await })
    }))
    .await;
    for result in results {
        assert_eq!(result.expect("task").unwrap_err(), AuthError::UnknownKey);
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1, "unknown kids within the refresh interval share one fetch");
}
