//! The gateway's settings: `[services.gateway]` in the configuration file, or
//! `CANOPY_SERVICES__GATEWAY__…` variables. Every field is documented because
//! operators read these docs, not the code. The public address is `listen.gateway`,
//! like every service's (default: a free loopback port).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[services.gateway]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Terminate TLS here (default). Turn off only behind a TLS-terminating proxy
    /// (Envoy, a cloud load balancer) that reaches this port over a private network.
    pub tls: bool,
    /// PEM certificate chain (leaf first) presented to clients when `tls` is on.
    pub tls_cert_file: PathBuf,
    /// PEM private key of `tls_cert_file`.
    pub tls_key_file: PathBuf,
    /// Browser origins allowed to call the API with grpc-web (`https://portal.example.com`).
    /// Empty: no cross-origin calls.
    pub cors_allowed_origins: Vec<String>,
    /// Largest single request message, in bytes (default 4 MiB). Larger messages are
    /// answered RESOURCE_EXHAUSTED before they reach a service.
    pub max_message_bytes: usize,
    /// Largest request metadata (header list, counted as HTTP/2 does: name + value +
    /// 32 bytes per header), in bytes (default 16 KiB). Larger is RESOURCE_EXHAUSTED;
    /// above twice this, HTTP/2 refuses the stream before it is read.
    pub max_metadata_bytes: u32,
    /// How long an API key resolution (or refusal) is cached, in seconds (default 5):
    /// a revoked key stops working at the gateway within this time.
    pub api_key_cache_secs: f64,
    /// How long the gateway may answer a session check from memory, in milliseconds
    /// (default 1000; 0 checks Redis on every call). This is the **revocation bound**
    /// at the gateway: a session revoked by sign-out, password change or an admin
    /// disabling the account is refused at the gateway at most this long after the
    /// revocation, and normally at once, since identity announces every revocation
    /// over Redis pub/sub and the gateway drops the session when the announcement
    /// arrives. Services behind the gateway still check the session in Redis on every
    /// call. At most 60000.
    pub session_cache_ms: u64,
    /// Take the client address from the last `x-forwarded-for` entry (as appended by
    /// the proxy in front) instead of the TCP peer. Only with `tls = false` behind a
    /// proxy that always sets the header; otherwise clients could pick their address.
    pub trust_forwarded_for: bool,
    /// Rate limits.
    pub rate_limits: RateLimitConfig,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            tls: true,
            tls_cert_file: PathBuf::new(),
            tls_key_file: PathBuf::new(),
            cors_allowed_origins: Vec::new(),
            max_message_bytes: 4 * 1024 * 1024,
            max_metadata_bytes: 16 * 1024,
            api_key_cache_secs: 5.0,
            session_cache_ms: 1000,
            trust_forwarded_for: false,
            rate_limits: RateLimitConfig::default(),
        }
    }
}

/// A number of calls per fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Calls allowed in one window.
    pub calls: u64,
    /// Window length in seconds.
    pub window_secs: u64,
}

impl Limit {
    pub const fn new(calls: u64, window_secs: u64) -> Self {
        Self { calls, window_secs }
    }
}

/// The limits of one tier, per rate class of the method policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierLimits {
    /// `RATE_CLASS_STANDARD` (and unspecified) calls, per tenant.
    pub standard: Limit,
    /// `RATE_CLASS_DEPLOYMENT` calls, per tenant.
    pub deployment: Limit,
}

/// `[services.gateway.rate_limits]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Turn rate limiting off entirely (benchmarks only).
    pub enabled: bool,
    /// `RATE_CLASS_SIGN_IN` calls, per client address whoever calls (default 20 a
    /// minute). Fails closed when Redis is unreachable.
    pub sign_in: Limit,
    /// Limits by tier name. `standard` must exist and applies to every tenant not
    /// listed in `tenant_tiers`, to platform principals and to anonymous callers
    /// (counted per client address). Default: `standard` 100/min and 10 deployments
    /// an hour; `premium` 1000/min and 100 deployments an hour.
    pub tiers: BTreeMap<String, TierLimits>,
    /// Tenant id → tier name, overriding the tier of the tenant's plan in tenancy
    /// (see `RateTierSource`).
    pub tenant_tiers: BTreeMap<String, String>,
    /// How long to wait for Redis before treating it as unreachable, in milliseconds.
    pub redis_timeout_ms: u64,
}

/// Longest `session_cache_ms` accepted.
pub const MAX_SESSION_CACHE_MS: u64 = 60_000;

/// The tier every tenant has unless configured otherwise.
pub const STANDARD_TIER: &str = "standard";

impl Default for RateLimitConfig {
    fn default() -> Self {
        let mut tiers = BTreeMap::new();
        tiers.insert(
            STANDARD_TIER.to_string(),
            TierLimits { standard: Limit::new(100, 60), deployment: Limit::new(10, 3600) },
        );
        tiers.insert(
            "premium".to_string(),
            TierLimits { standard: Limit::new(1000, 60), deployment: Limit::new(100, 3600) },
        );
        Self { enabled: true, sign_in: Limit::new(20, 60), tiers, tenant_tiers: BTreeMap::new(), redis_timeout_ms: 250 }
    }
}

impl GatewayConfig {
    /// Checks what serde cannot; each message names the key.
    pub fn validate(&self) -> Result<(), String> {
        if self.tls && (self.tls_cert_file.as_os_str().is_empty() || self.tls_key_file.as_os_str().is_empty()) {
            return Err("services.gateway.tls_cert_file and tls_key_file must be set when tls is on".into());
        }
        if self.max_message_bytes == 0 {
            return Err("services.gateway.max_message_bytes must be positive".into());
        }
        if self.max_metadata_bytes < 1024 {
            return Err("services.gateway.max_metadata_bytes must be at least 1024".into());
        }
        if !self.api_key_cache_secs.is_finite() || self.api_key_cache_secs < 0.0 {
            return Err("services.gateway.api_key_cache_secs must be a non-negative number".into());
        }
        if self.session_cache_ms > MAX_SESSION_CACHE_MS {
            return Err(format!(
                "services.gateway.session_cache_ms must be at most {MAX_SESSION_CACHE_MS} (it bounds how long a revoked \
                 session can still pass the gateway)"
            ));
        }
        for origin in &self.cors_allowed_origins {
            if origin == "*" || http::HeaderValue::from_str(origin).is_err() || !origin.contains("://") {
                return Err(format!(
                    "services.gateway.cors_allowed_origins: {origin:?} is not an origin like https://portal.example.com"
                ));
            }
        }
        let limits = &self.rate_limits;
        if !limits.tiers.contains_key(STANDARD_TIER) {
            return Err("services.gateway.rate_limits.tiers must define the standard tier".into());
        }
        let windows = std::iter::once(("sign_in".to_string(), limits.sign_in)).chain(limits.tiers.iter().flat_map(
            |(tier, l)| {
                [(format!("tiers.{tier}.standard"), l.standard), (format!("tiers.{tier}.deployment"), l.deployment)]
            },
        ));
        for (key, limit) in windows {
            if limit.window_secs == 0 {
                return Err(format!("services.gateway.rate_limits.{key}.window_secs must be positive"));
            }
        }
        for (tenant, tier) in &limits.tenant_tiers {
            if uuid::Uuid::parse_str(tenant).is_err() {
                return Err(format!("services.gateway.rate_limits.tenant_tiers: {tenant:?} is not a tenant id"));
            }
            if !limits.tiers.contains_key(tier) {
                return Err(format!("services.gateway.rate_limits.tenant_tiers.{tenant}: no tier named {tier:?}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_cache_longer_than_the_cap_is_refused_naming_the_setting() {
        let config =
            GatewayConfig { tls: false, session_cache_ms: MAX_SESSION_CACHE_MS + 1, ..GatewayConfig::default() };
        let error = config.validate().expect_err("over the cap");
        assert!(error.contains("services.gateway.session_cache_ms"), "{error}");
        let config = GatewayConfig { tls: false, session_cache_ms: MAX_SESSION_CACHE_MS, ..GatewayConfig::default() };
        config.validate().expect("at the cap");
    }
}
