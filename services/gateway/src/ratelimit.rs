//! Rate limits in Redis, per rate class of the method policy.
//!
//! Algorithm: fixed windows, counted in Redis under `ratelimit:<class>:<subject>:<window>`,
//! where `<window>` is the current time divided by the window length. Over the limit,
//! the call is answered RESOURCE_EXHAUSTED with `RetryInfo` = time left in the window.
//! Fixed windows cost one key per window; the price is that a caller can spend two
//! windows' worth in a short burst across a boundary, which the limits here (abuse
//! protection, not billing) tolerate.
//!
//! Leases: a gateway does not ask Redis on every call. It reserves a batch of counts
//! with one atomic script (INCRBY, and PEXPIRE when the key is new) and admits calls
//! from the batch locally until it is spent; the batch is 1 % of the limit (at least
//! 1, at most [`MAX_LEASE`]), so limits of 100 calls or fewer still cost one round
//! trip per call. A batch is only usable up to the limit: counts `(total - batch,
//! total]` that lie above the limit are not admitted. So the gateways together
//! **never admit more than the limit in a window**, however many there are and
//! however the burst is spread; the price is the other way: counts reserved by one
//! gateway and not spent are lost to the others, so a caller can be refused up to
//! `gateways × (batch − 1)` calls early (under 1 % of the limit per gateway). Once a
//! gateway sees the limit reached, it refuses that bucket locally for the rest of
//! the window.
//!
//! Subjects: sign-in calls count per client address whoever calls; other calls per
//! tenant, per principal for platform principals (no tenant), and per client address
//! for anonymous calls. The tier of a tenant comes from a [`RateTierSource`].
//!
//! Redis unreachable (slower than `redis_timeout_ms`, down, or the kit store's
//! circuit breaker open — see [`RedisStore::run_within`]): sign-in calls fail closed
//! (UNAVAILABLE) because they protect credentials from guessing; every other class
//! fails open (allowed, logged, counted in `canopy_gateway_rate_limit_unavailable_total`)
//! because an outage of the limiter should not become an outage of the API, and
//! services still authenticate and authorise every call.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use canopy_kit::ApiError;
use canopy_kit::auth::{CREDENTIAL_LOOKUP_HEADER, Principal};
use canopy_kit::clock::SharedClock;
use canopy_kit::db::TenantId;
use canopy_kit::middleware::{Middleware, MiddlewareLayer};
use canopy_kit::peers::Peers;
use canopy_kit::redis_store::{RedisStore, RedisUnavailable};
use canopy_sdk::proto::canopy::options::v1::RateClass;
use canopy_sdk::proto::canopy::tenancy::v1::quota_service_client::QuotaServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::{GetTenantAccessRequest, RateTier};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use http::{Request, Response};
use moka::future::Cache;
use tonic::Status;
use tower::Service;
use uuid::Uuid;

use crate::config::{Limit, RateLimitConfig, STANDARD_TIER, TierLimits};
use crate::route::{ClientAddress, RouteTarget, not_served};

/// Which tier a tenant's limits come from: tenancy's plans ([`TenancyTiers`], the
/// default) or a configuration map ([`ConfiguredTiers`]). Called on every counted
/// call, so an implementation keeps its own cache.
pub trait RateTierSource: Send + Sync + 'static {
    /// The tier name of `tenant`; `None` means the standard tier.
    fn tier_of(&self, tenant: TenantId) -> BoxFuture<'_, Option<String>>;
}

/// Tiers from `services.gateway.rate_limits.tenant_tiers`.
pub struct ConfiguredTiers {
    by_tenant: HashMap<Uuid, String>,
}

impl ConfiguredTiers {
    /// Entries whose key is not a tenant id are skipped (config validation refuses them).
    pub fn from_config(config: &RateLimitConfig) -> Self {
        let by_tenant = config
            .tenant_tiers
            .iter()
            .filter_map(|(tenant, tier)| Some((Uuid::parse_str(tenant).ok()?, tier.clone())))
            .collect();
        Self { by_tenant }
    }
}

impl RateTierSource for ConfiguredTiers {
    fn tier_of(&self, tenant: TenantId) -> BoxFuture<'_, Option<String>> {
        let tier = self.by_tenant.get(&tenant.0).cloned();
        async move { tier }.boxed()
    }
}

/// Tiers from the customer's plan in tenancy (`GetTenantAccess.rate_tier`), cached for
/// `ttl`; a tenant listed in `rate_limits.tenant_tiers` keeps its configured tier.
/// When tenancy cannot answer, the standard tier applies (and is cached too, so an
/// outage costs one lookup per tenant per period). Concurrent misses for one tenant
/// make one lookup.
pub struct TenancyTiers {
    peers: Peers,
    configured: ConfiguredTiers,
    /// The tier by tenant (`None`: the standard tier).
    cache: Cache<TenantId, Option<String>>,
}

/// Most tenants whose tier is kept; past it the least used are dropped first.
const MAX_CACHED_TIERS: u64 = 100_000;

impl TenancyTiers {
    pub fn new(peers: Peers, configured: ConfiguredTiers, ttl: Duration) -> Self {
        let cache = Cache::builder().max_capacity(MAX_CACHED_TIERS).time_to_live(ttl).build();
        Self { peers, configured, cache }
    }

    async fn ask_tenancy(&self, tenant: TenantId) -> Option<String> {
        let channel = self.peers.channel("tenancy").await.ok()?;
        let mut request = tonic::Request::new(GetTenantAccessRequest { customer_id: tenant.to_string() });
        request.metadata_mut().insert(CREDENTIAL_LOOKUP_HEADER, tonic::metadata::MetadataValue::from_static("1"));
        match QuotaServiceClient::new(channel).get_tenant_access(request).await {
            Ok(response) => match response.into_inner().rate_tier() {
                RateTier::Premium => Some("premium".to_string()),
                RateTier::Standard | RateTier::Unspecified => None,
            },
            Err(status) => {
                tracing::debug!(%tenant, error = %status.message(), "rate tier lookup failed; standard tier applies");
                None
            }
        }
    }
}

impl RateTierSource for TenancyTiers {
    fn tier_of(&self, tenant: TenantId) -> BoxFuture<'_, Option<String>> {
        async move {
            if let Some(tier) = self.configured.tier_of(tenant).await {
                return Some(tier);
            }
            if let Some(tier) = self.cache.get(&tenant).await {
                return tier;
            }
            // Boxed: the lookup's future is large and only a miss needs it; inline, every
            // call would allocate and copy it.
            Box::pin(self.cache.get_with(tenant, self.ask_tenancy(tenant))).await
        }
        .boxed()
    }
}

/// Adds a batch (ARGV[2]) to the window's counter, giving a new key the window's
/// lifetime (ARGV[1], ms); returns the count after it.
const RESERVE_COUNTS: &str = r"
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
";

/// Largest batch of counts one gateway reserves at a time.
pub const MAX_LEASE: u64 = 1000;
/// Most buckets with a lease kept; past it the least used are dropped first (their
/// unspent counts are lost, which only refuses early).
const MAX_LEASED_BUCKETS: u64 = 100_000;

/// How many counts to reserve at once for `limit`: 1 % of it, within `1..=MAX_LEASE`.
pub fn lease_size(limit: u64) -> u64 {
    (limit / 100).clamp(1, MAX_LEASE)
}

/// What this gateway may still admit in one bucket's window without asking Redis.
#[derive(Default)]
struct Lease {
    remaining: u64,
    /// The limit was reached: refuse without asking until the window (key) changes.
    exhausted: bool,
}

/// Counts calls and decides.
pub struct RateLimiter {
    redis: RedisStore,
    config: RateLimitConfig,
    tiers: Arc<dyn RateTierSource>,
    clock: SharedClock,
    script: redis::Script,
    /// Leases by Redis key (which names the window). A lock per bucket, so the calls
    /// meeting an empty lease wait for one reservation rather than each making one.
    leases: Cache<String, Arc<tokio::sync::Mutex<Lease>>>,
}

/// What a call is counted against.
struct Bucket {
    class: &'static str,
    subject: String,
    limit: Limit,
    fails_closed: bool,
}

impl RateLimiter {
    pub fn new(redis: RedisStore, config: RateLimitConfig, tiers: Arc<dyn RateTierSource>, clock: SharedClock) -> Self {
        // A lease is only useful within its window; keep it no longer than the longest.
        let longest_window = std::iter::once(config.sign_in)
            .chain(config.tiers.values().flat_map(|tier| [tier.standard, tier.deployment]))
            .map(|limit| limit.window_secs)
            .max()
            .unwrap_or(3600);
        let leases = Cache::builder()
            .max_capacity(MAX_LEASED_BUCKETS)
            .time_to_live(Duration::from_secs(longest_window.saturating_add(1)))
            .build();
        Self { redis, config, tiers, clock, script: redis::Script::new(RESERVE_COUNTS), leases }
    }

    async fn tier_limits(&self, tenant: Option<TenantId>) -> TierLimits {
        let standard = self.config.tiers.get(STANDARD_TIER).copied();
        let named = match tenant {
            Some(tenant) => self.tiers.tier_of(tenant).await,
            None => None,
        };
        let limits = match named {
            Some(tier) => self.config.tiers.get(&tier).copied().or_else(|| {
                tracing::warn!(%tier, "unknown rate tier, using the standard tier");
                standard
            }),
            None => standard,
        };
        // Config validation guarantees the standard tier; this default only keeps a
        // hand-built config from panicking.
        limits.unwrap_or(TierLimits { standard: Limit::new(100, 60), deployment: Limit::new(10, 3600) })
    }

    async fn bucket(&self, class: RateClass, principal: Option<&Principal>, address: IpAddr) -> Option<Bucket> {
        let tenant = principal.and_then(|p| p.tenant);
        let (class, limit) = match class {
            RateClass::None => return None,
            RateClass::SignIn => {
                return Some(Bucket {
                    class: "sign_in",
                    subject: format!("addr:{address}"),
                    limit: self.config.sign_in,
                    fails_closed: true,
                });
            }
            RateClass::Deployment => ("deployment", self.tier_limits(tenant).await.deployment),
            RateClass::Standard | RateClass::Unspecified => ("standard", self.tier_limits(tenant).await.standard),
        };
        let subject = match (principal, tenant) {
            (_, Some(tenant)) => format!("tenant:{}", tenant.0),
            (Some(principal), None) => format!("principal:{}", principal.id()),
            (None, None) => format!("addr:{address}"),
        };
        Some(Bucket { class, subject, limit, fails_closed: false })
    }

    /// Counts the call; `Err` when it is over its limit (or the limiter is down for a
    /// class that fails closed).
    pub async fn check(
        &self,
        class: RateClass,
        principal: Option<&Principal>,
        address: IpAddr,
    ) -> Result<(), ApiError> {
        if !self.config.enabled {
            return Ok(());
        }
        let Some(bucket) = self.bucket(class, principal, address).await else {
            return Ok(());
        };
        let window_ms = bucket.limit.window_secs.saturating_mul(1000).max(1) as i64;
        let now_ms = self.clock.now().timestamp_millis();
        let window = now_ms.div_euclid(window_ms);
        let retry_after = Duration::from_millis((window_ms - now_ms.rem_euclid(window_ms)).max(1) as u64);
        let key = self.redis.key(&format!("ratelimit:{}:{}:{window}", bucket.class, bucket.subject));
        let lease = match self.leases.get(&key).await {
            Some(lease) => lease,
            // Boxed for the same reason as the reservation below: only a new window needs it.
            None => Box::pin(self.leases.get_with_by_ref(&key, async { Arc::default() })).await,
        };
        let mut lease = lease.lock().await;
        if !lease.exhausted && lease.remaining > 0 {
            lease.remaining -= 1;
            return Ok(());
        }
        if !lease.exhausted {
            // Boxed: the Redis future is large and would otherwise be copied on every
            // call, though only one in a batch needs it.
            match Box::pin(self.reserve(&key, &bucket, window_ms)).await {
                Ok(usable) if usable > 0 => {
                    lease.remaining = usable - 1;
                    return Ok(());
                }
                Ok(_) => lease.exhausted = true,
                Err(error) => return self.unavailable(&bucket, &error.to_string()),
            }
        }
        metrics::counter!("canopy_gateway_rate_limited_total", "class" => bucket.class).increment(1);
        Err(ApiError::ResourceExhausted {
            reason: "RATE_LIMITED",
            message: format!(
                "rate limit of {} {} calls per {} s exceeded",
                bucket.limit.calls,
                bucket.class.replace('_', "-"),
                bucket.limit.window_secs
            ),
            retry_after,
        })
    }

    /// Reserves a batch of counts in Redis; how many of them are within the limit.
    async fn reserve(&self, key: &str, bucket: &Bucket, window_ms: i64) -> Result<u64, RedisUnavailable> {
        // Keep the key a little past its window so a slow clock never reuses it early.
        let ttl_ms = window_ms + 1000;
        let batch = lease_size(bucket.limit.calls);
        let script = &self.script;
        let total = self
            .redis
            .run_within(Duration::from_millis(self.config.redis_timeout_ms.max(1)), |mut connection| async move {
                script.key(key).arg(ttl_ms).arg(batch).invoke_async::<u64>(&mut connection).await
            })
            .await?;
        // Counts (total - batch, total] are ours; only those within the limit admit.
        Ok(bucket.limit.calls.saturating_sub(total.saturating_sub(batch)).min(batch))
    }

    fn unavailable(&self, bucket: &Bucket, reason: &str) -> Result<(), ApiError> {
        metrics::counter!(
            "canopy_gateway_rate_limit_unavailable_total",
            "class" => bucket.class,
            "outcome" => if bucket.fails_closed { "refused" } else { "allowed" }
        )
        .increment(1);
        if bucket.fails_closed {
            tracing::warn!(class = bucket.class, reason, "rate limiter unreachable, refusing (fails closed)");
            return Err(ApiError::Unavailable("rate limiter"));
        }
        tracing::warn!(class = bucket.class, reason, "rate limiter unreachable, allowing (fails open)");
        Ok(())
    }
}

/// Applies the limiter to admitted, authenticated requests.
#[derive(Clone)]
pub struct RateLimitLayer {
    limiter: Arc<RateLimiter>,
}

impl RateLimitLayer {
    pub fn new(limiter: Arc<RateLimiter>) -> MiddlewareLayer<Self> {
        MiddlewareLayer::new(Self { limiter })
    }
}

impl<S, B> Middleware<S, Request<B>> for RateLimitLayer
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    fn call(&self, request: Request<B>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
        let limiter = self.limiter.clone();
        Box::pin(async move {
            let (Some(target), Some(ClientAddress(address))) =
                (request.extensions().get::<RouteTarget>(), request.extensions().get::<ClientAddress>().copied())
            else {
                return Ok(not_served().into_http());
            };
            let class = target.policy.rate_class();
            let principal = request.extensions().get::<Principal>();
            if let Err(error) = limiter.check(class, principal, address).await {
                return Ok(Status::from(error).into_http());
            }
            inner.call(request).await
        })
    }
}
