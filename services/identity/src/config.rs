//! `[services.identity]`: the identity service's settings, read with
//! `KitConfig::section("identity")`. Every field has a default except the key
//! encryption key, which an operator must provide.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Access tokens never live longer than this, whatever the configuration says: a
/// stolen token stays useful only this long, and verification keys are kept
/// published this long after rotation.
pub const MAX_ACCESS_TOKEN_TTL_SECS: u64 = 900;

/// The identity service's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// `iss` of every access token.
    pub issuer: String,
    /// `aud` of every access token.
    pub audience: String,
    /// Lifetime of an access token in seconds (at most 900).
    pub access_token_ttl_secs: u64,
    /// A session ends when not refreshed for this many seconds.
    pub session_idle_secs: u64,
    /// A session ends this many seconds after sign-in, refreshed or not.
    pub session_absolute_secs: u64,
    /// How long an invitation token (from CreateUser) stays usable, in seconds.
    pub invitation_ttl_secs: u64,
    /// How long a password-reset token stays usable, in seconds.
    pub reset_ttl_secs: u64,
    /// How long an MFA challenge (between Login and CompleteMfaLogin) lasts, in seconds.
    pub mfa_challenge_ttl_secs: u64,
    /// Consecutive failed sign-ins that lock an account.
    pub lockout_threshold: u32,
    /// Length of an account's first lock in seconds; each further lock without a
    /// successful sign-in in between doubles it.
    pub lockout_base_secs: u64,
    /// Longest lock, in seconds.
    pub lockout_max_secs: u64,
    /// Failed sign-ins accepted on one account per hour, locked or not; beyond it
    /// every attempt is refused without checking the password.
    pub max_failures_per_hour: u32,
    /// Failed sign-ins from one source address that lock the address (higher than
    /// the account threshold: several people can share an address behind NAT).
    pub address_lockout_threshold: u32,
    /// The key encryption key (KEK): base64 of 32 random bytes. Signing keys and
    /// TOTP secrets are stored encrypted under it with AES-256-GCM. Required.
    pub key_encryption_key: String,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            issuer: "canopy".into(),
            audience: "canopy-api".into(),
            access_token_ttl_secs: MAX_ACCESS_TOKEN_TTL_SECS,
            session_idle_secs: 30 * 60,
            session_absolute_secs: 12 * 60 * 60,
            invitation_ttl_secs: 7 * 24 * 60 * 60,
            reset_ttl_secs: 60 * 60,
            mfa_challenge_ttl_secs: 5 * 60,
            lockout_threshold: 5,
            lockout_base_secs: 15 * 60,
            lockout_max_secs: 24 * 60 * 60,
            max_failures_per_hour: 100,
            address_lockout_threshold: 20,
            key_encryption_key: String::new(),
        }
    }
}

/// Why the configuration was refused; each message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("services.identity.key_encryption_key is not set")]
    MissingKeyEncryptionKey,
    #[error("services.identity.key_encryption_key must be base64 of exactly 32 bytes")]
    InvalidKeyEncryptionKey,
    #[error("services.identity.{key}: {problem}")]
    Invalid { key: &'static str, problem: String },
}

impl IdentityConfig {
    /// Checks every setting and decodes the key encryption key.
    pub fn validate(&self) -> Result<[u8; 32], ConfigError> {
        let invalid = |key: &'static str, problem: &str| Err(ConfigError::Invalid { key, problem: problem.into() });
        if self.issuer.is_empty() {
            return invalid("issuer", "must not be empty");
        }
        if self.audience.is_empty() {
            return invalid("audience", "must not be empty");
        }
        if self.access_token_ttl_secs == 0 || self.access_token_ttl_secs > MAX_ACCESS_TOKEN_TTL_SECS {
            return invalid("access_token_ttl_secs", "must be between 1 and 900");
        }
        if self.session_idle_secs == 0 || self.session_absolute_secs == 0 {
            return invalid("session_idle_secs", "session timeouts must be positive");
        }
        if self.session_idle_secs > self.session_absolute_secs {
            return invalid("session_idle_secs", "must not exceed session_absolute_secs");
        }
        for (key, value) in [
            ("invitation_ttl_secs", self.invitation_ttl_secs),
            ("reset_ttl_secs", self.reset_ttl_secs),
            ("mfa_challenge_ttl_secs", self.mfa_challenge_ttl_secs),
            ("lockout_base_secs", self.lockout_base_secs),
        ] {
            if value == 0 {
                return invalid(key, "must be positive");
            }
        }
        if self.lockout_max_secs < self.lockout_base_secs {
            return invalid("lockout_max_secs", "must be at least lockout_base_secs");
        }
        if self.lockout_threshold == 0 || self.address_lockout_threshold == 0 || self.max_failures_per_hour == 0 {
            return invalid("lockout_threshold", "lockout thresholds must be positive");
        }
        if self.key_encryption_key.trim().is_empty() {
            return Err(ConfigError::MissingKeyEncryptionKey);
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.key_encryption_key.trim())
            .map_err(|_| ConfigError::InvalidKeyEncryptionKey)?;
        bytes.try_into().map_err(|_| ConfigError::InvalidKeyEncryptionKey)
    }
}
