//! API keys: the secret format, and resolving a presented secret to its principal
//! through identity with a short cache, so revocation takes effect within seconds
//! without a call to identity on every request. The cache is bounded and coalesces
//! concurrent misses: a burst of calls with one new key costs identity one lookup.
//!
//! Format: `cnp_<8 alphanumerics>_<40 alphanumerics>` (~285 bits). The first 12
//! characters are the visible prefix; identity stores only a SHA-256 of the whole
//! secret (a fast hash is right for a high-entropy secret).

use std::sync::Arc;
use std::time::Duration;

use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use moka::future::Cache;
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::AuthError;
use super::principal::{Principal, PrincipalKind};
use crate::clock::SharedClock;
use crate::db::TenantId;

/// Every API key secret starts with this.
pub const API_KEY_PREFIX: &str = "cnp_";

/// An API key secret.
pub struct ApiKeySecret;

impl ApiKeySecret {
    /// A new secret and its visible prefix.
    pub fn generate() -> (String, String) {
        let mut rng = rand::rng();
        let mut part = |n: usize| (&mut rng).sample_iter(Alphanumeric).take(n).map(char::from).collect::<String>();
        let prefix = format!("{API_KEY_PREFIX}{}", part(8));
        let secret = format!("{prefix}_{}", part(40));
        (secret, prefix)
    }

    /// The visible prefix of a well-formed secret.
    pub fn prefix(secret: &str) -> Option<&str> {
        let rest = secret.strip_prefix(API_KEY_PREFIX)?;
        let (head, tail) = rest.split_once('_')?;
        let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_alphanumeric());
        (ok(head, 8) && ok(tail, 40)).then(|| &secret[..API_KEY_PREFIX.len() + 8])
    }

    /// What identity stores and compares.
    pub fn hash(secret: &str) -> [u8; 32] {
        Sha256::digest(secret.as_bytes()).into()
    }
}

/// A key as identity resolved it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedApiKey {
    pub key_id: Uuid,
    pub tenant: Option<TenantId>,
    pub role: Role,
    pub scopes: Vec<String>,
    pub expire_at: Option<DateTime<Utc>>,
}

/// Resolves a secret; `Ok(None)` when identity does not know it (or it is revoked).
pub type ApiKeyLookup =
    Arc<dyn Fn(String) -> BoxFuture<'static, Result<Option<ResolvedApiKey>, AuthError>> + Send + Sync>;

/// Most keys whose answers are kept; past it the least used are dropped first.
const MAX_CACHED_KEYS: u64 = 100_000;

/// Caches identity's answers for `ttl` (refusals too, so a flood of bad keys costs
/// identity one call per key per period; failures are not cached). The period is
/// real time, not the injected clock: it bounds how stale a revocation may be,
/// whereas a key's own `expire_at` is checked against the clock on every call.
pub struct ApiKeyResolver {
    lookup: ApiKeyLookup,
    clock: SharedClock,
    /// Identity's answer by secret digest (`None`: refused), so no secret is kept.
    cache: Cache<[u8; 32], Option<ResolvedApiKey>>,
}

impl ApiKeyResolver {
    pub fn new(lookup: ApiKeyLookup, ttl: Duration, clock: SharedClock) -> Self {
        let cache = Cache::builder().max_capacity(MAX_CACHED_KEYS).time_to_live(ttl).build();
        Self { lookup, clock, cache }
    }

    /// The principal of `secret`.
    pub async fn resolve(&self, secret: &str) -> Result<Principal, AuthError> {
        if ApiKeySecret::prefix(secret).is_none() {
            return Err(AuthError::ApiKeyRefused);
        }
        let digest = ApiKeySecret::hash(secret);
        // Concurrent misses for one key wait for the first caller's lookup; the lookup
        // is only called (not merely built) on a miss.
        let lookup = async { (self.lookup)(secret.to_string()).await };
        let resolved = self.cache.try_get_with(digest, lookup).await.map_err(|error| AuthError::clone(&error))?;
        let key = resolved.ok_or(AuthError::ApiKeyRefused)?;
        if key.expire_at.is_some_and(|at| self.clock.now() >= at) {
            return Err(AuthError::ApiKeyRefused);
        }
        Ok(Principal {
            kind: PrincipalKind::ApiKey { key_id: key.key_id, scopes: key.scopes },
            tenant: key.tenant,
            role: key.role,
        })
    }
}
