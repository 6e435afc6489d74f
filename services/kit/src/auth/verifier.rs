//! Access-token verification. The header is checked before any key is touched:
//! only `alg: EdDSA`, `typ: at+jwt`, and a plain `kid` are accepted; a token that
//! carries `jku`, `jwk`, `x5u`, `x5c` or any other header field is refused, so no
//! token can choose its own key or algorithm. Expiry and not-before are checked
//! against the injected clock; the session must still be alive. With
//! [`TokenVerifier::with_caches`] (the gateway) verified tokens and live sessions are
//! kept in memory; time checks still run on every call.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use moka::future::Cache;
use moka::ops::compute::Op;

use super::AuthError;
use super::claims::{ACCESS_TOKEN_TYPE, AccessClaims};
use super::principal::{Principal, PrincipalKind, role_from_name};
use super::session_cache::SessionCache;
use super::sessions::SessionStore;
use crate::clock::SharedClock;
use crate::db::TenantId;

/// Longest token accepted (a real one is well under 1 KiB).
const MAX_TOKEN_BYTES: usize = 4096;
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: i64 = 30;

/// One verification key.
#[derive(Clone)]
pub struct VerificationKeyEntry {
    pub key: DecodingKey,
    /// Tokens it signed are not accepted after this.
    pub verify_until: DateTime<Utc>,
}

/// The keys, issuer and audience published by identity.
#[derive(Clone, Default)]
pub struct KeySet {
    pub keys: HashMap<String, VerificationKeyEntry>,
    pub issuer: String,
    pub audience: String,
}

impl KeySet {
    /// Adds a raw 32-byte Ed25519 public key.
    pub fn insert_ed25519(
        &mut self,
        kid: &str,
        public_key: &[u8],
        verify_until: DateTime<Utc>,
    ) -> Result<(), AuthError> {
        if public_key.len() != 32 {
            return Err(AuthError::KeysUnavailable(format!("key {kid}: not a 32-byte Ed25519 key")));
        }
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public_key);
        let key = DecodingKey::from_ed_components(&x).map_err(|e| AuthError::KeysUnavailable(e.to_string()))?;
        self.keys.insert(kid.to_string(), VerificationKeyEntry { key, verify_until });
        Ok(())
    }
}

/// Where verification keys come from: identity's `ListVerificationKeys` for other
/// services, identity's own store for identity itself.
pub trait KeySource: Send + Sync + 'static {
    fn fetch(&self) -> BoxFuture<'_, Result<KeySet, AuthError>>;
}

/// The key set as last fetched, and when (real time: it only paces refreshes).
struct FetchedKeys {
    set: KeySet,
    fetched_at: Instant,
}

/// Verifies access tokens, caching keys and refreshing them on an unknown `kid` at
/// most once per `min_refresh_interval` (so forged kids cannot hammer identity).
/// The keys have no time to live: identity publishes a key before it signs with it
/// and each key carries its own `verify_until`, so only an unknown `kid` refreshes.
pub struct TokenVerifier {
    source: Arc<dyn KeySource>,
    /// One entry, the whole set. Moka's per-key lock serialises refreshes, so callers
    /// that meet an unknown `kid` together wait for one fetch.
    keys: Cache<(), Arc<FetchedKeys>>,
    min_refresh_interval: Duration,
    clock: SharedClock,
    sessions: SessionStore,
    /// Sessions checked locally instead of in Redis on every call (the gateway).
    session_cache: Option<Arc<SessionCache>>,
    /// Tokens whose signature and claims were verified, by their exact text.
    verified: Option<Cache<String, Arc<VerifiedToken>>>,
}

/// A token whose signature, issuer, audience and claims' shape were verified. Time
/// and session are checked again on each use, so keeping one never extends a token.
struct VerifiedToken {
    claims: AccessClaims,
    verify_until: DateTime<Utc>,
}

/// Most verified tokens kept (a token is under 1 KiB, so a few MiB at most).
const MAX_VERIFIED_TOKENS: u64 = 10_000;
/// How long a verified token is kept: its expiry and its key's `verify_until` are
/// checked on every use anyway; this only bounds memory held by idle tokens.
const VERIFIED_TOKEN_TTL: Duration = Duration::from_secs(300);

impl TokenVerifier {
    pub fn new(source: Arc<dyn KeySource>, clock: SharedClock, sessions: SessionStore) -> Self {
        Self {
            source,
            keys: Cache::builder().max_capacity(1).build(),
            min_refresh_interval: Duration::from_secs(5),
            clock,
            sessions,
            session_cache: None,
            verified: None,
        }
    }

    /// Checks sessions through `cache` (a revoked session is refused within the
    /// cache's bound, see [`SessionCache`]), and keeps verified tokens so the same
    /// token is not verified again: its signature, issuer and audience cannot change,
    /// while its times and its session are checked on every call. For the gateway,
    /// whose every call would otherwise pay a signature check and a Redis round trip.
    pub fn with_caches(mut self, cache: Arc<SessionCache>) -> Self {
        self.session_cache = Some(cache);
        self.verified =
            Some(Cache::builder().max_capacity(MAX_VERIFIED_TOKENS).time_to_live(VERIFIED_TOKEN_TTL).build());
        self
    }

    /// Changes the refresh rate cap (tests of rotation use zero).
    pub fn with_min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    /// Verifies `token` and its session; returns the principal.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        if token.len() > MAX_TOKEN_BYTES || token.split('.').count() != 3 {
            return Err(AuthError::Malformed("not a compact JWS"));
        }
        let verified = match &self.verified {
            Some(cache) => match cache.get(token).await {
                Some(verified) => verified,
                // Boxed, like every path that is not the cached one: a cold path's
                // large future inline would be copied on every call.
                None => {
                    Box::pin(async {
                        let verified = Arc::new(self.decode(token).await?);
                        cache.insert(token.to_string(), verified.clone()).await;
                        Ok::<_, AuthError>(verified)
                    })
                    .await?
                }
            },
            None => Arc::new(Box::pin(self.decode(token)).await?),
        };
        self.admit(&verified).await
    }

    /// Everything about `token` that does not depend on the time or the session:
    /// header, key, signature, issuer, audience and the claims' shape.
    async fn decode(&self, token: &str) -> Result<VerifiedToken, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed("undecodable header"))?;
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::Header("algorithm must be EdDSA"));
        }
        if header.typ.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(AuthError::Header("typ must be at+jwt"));
        }
        if header.jku.is_some()
            || header.jwk.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
            || header.x5t.is_some()
            || header.x5t_s256.is_some()
            || header.crit.is_some()
            || header.cty.is_some()
            || header.url.is_some()
            || header.nonce.is_some()
            || !header.extras.is_empty()
        {
            return Err(AuthError::Header("unexpected header field"));
        }
        let kid = header.kid.ok_or(AuthError::Header("kid missing"))?;
        if kid.is_empty() || kid.len() > 64 || !kid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(AuthError::Header("kid is not a plain identifier"));
        }

        let (entry, issuer, audience) = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &entry.key, &validation)
            .map_err(|e| AuthError::Invalid(e.to_string()))?
            .claims;
        Ok(VerifiedToken { claims, verify_until: entry.verify_until })
    }

    /// The time checks and the session check, made on every use of a token.
    async fn admit(&self, verified: &VerifiedToken) -> Result<Principal, AuthError> {
        let VerifiedToken { claims, verify_until } = verified;
        let now = self.clock.now();
        if now.timestamp() > claims.exp + LEEWAY_SECS || now > *verify_until {
            return Err(AuthError::Expired);
        }
        if now.timestamp() + LEEWAY_SECS < claims.nbf {
            return Err(AuthError::NotYetValid);
        }
        let user_id = claims.sub.parse().map_err(|_| AuthError::Invalid("sub is not a uuid".into()))?;
        let tenant = match &claims.tid {
            None => None,
            Some(tid) => Some(TenantId(tid.parse().map_err(|_| AuthError::Invalid("tid is not a uuid".into()))?)),
        };
        let role = role_from_name(&claims.role).ok_or_else(|| AuthError::Invalid("unknown role".into()))?;
        let session = match &self.session_cache {
            Some(cache) => cache.check(&claims.sid, now).await?,
            None => Box::pin(self.sessions.check(&claims.sid, now)).await?,
        };
        if session.user_id != user_id {
            return Err(AuthError::SessionEnded);
        }
        Ok(Principal { kind: PrincipalKind::User { user_id, session_id: claims.sid.clone() }, tenant, role })
    }

    async fn key(&self, kid: &str) -> Result<(VerificationKeyEntry, String, String), AuthError> {
        if let Some(found) = self.cached(kid).await {
            return Ok(found);
        }
        self.refresh().await?;
        self.cached(kid).await.ok_or(AuthError::UnknownKey)
    }

    async fn cached(&self, kid: &str) -> Option<(VerificationKeyEntry, String, String)> {
        let fetched = self.keys.get(&()).await?;
        let set = &fetched.set;
        set.keys.get(kid).map(|entry| (entry.clone(), set.issuer.clone(), set.audience.clone()))
    }

    /// Re-reads the keys unless that happened less than `min_refresh_interval` ago.
    /// A failed fetch keeps the keys already loaded.
    pub async fn refresh(&self) -> Result<(), AuthError> {
        let min_refresh_interval = self.min_refresh_interval;
        self.keys
            .entry(())
            .and_try_compute_with(|current| async move {
                if current.is_some_and(|current| current.value().fetched_at.elapsed() < min_refresh_interval) {
                    return Ok(Op::Nop);
                }
                let set = self.source.fetch().await?;
                // A key may have left the set: tokens it signed must be verified again.
                if let Some(verified) = &self.verified {
                    verified.invalidate_all();
                }
                Ok(Op::Put(Arc::new(FetchedKeys { set, fetched_at: Instant::now() })))
            })
            .await?;
        Ok(())
    }
}
