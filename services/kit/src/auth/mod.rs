//! Authentication every service performs itself (the gateway is a first line, not
//! the only one): access-token verification against identity's published keys,
//! API-key verification through identity, the session protocol in Redis, and the
//! tower layer that enforces each method's `(canopy.options.v1.policy)`.

mod api_keys;
mod claims;
mod identity_client;
mod layer;
mod principal;
mod session_cache;
mod sessions;
mod tenant_access;
mod verifier;

pub use api_keys::{API_KEY_PREFIX, ApiKeyLookup, ApiKeyResolver, ApiKeySecret, ResolvedApiKey};
pub use claims::{ACCESS_TOKEN_TYPE, AccessClaims};
pub use identity_client::{IdentityKeySource, identity_api_key_lookup};
pub use layer::{AuthLayer, Authenticator, authorize};
pub use principal::{Principal, PrincipalKind, role_from_name, role_name};
pub use session_cache::SessionCache;
pub use sessions::{REVOCATIONS_CHANNEL, SessionRecord, SessionStore};
pub use tenant_access::{TenantAccess, TenantAccessGuard, TenantAccessLookup, tenancy_access_lookup};
pub use verifier::{KeySet, KeySource, TokenVerifier, VerificationKeyEntry};

/// Metadata on the gateway's own lookups (verification keys, API keys, a customer's
/// access state and rate tier), so a service can tell them from calls the gateway
/// forwards for clients (the gateway strips this header from every client request).
pub const CREDENTIAL_LOOKUP_HEADER: &str = "canopy-credential-lookup";

/// Why a credential was refused. Callers see only "invalid or expired credentials";
/// the reason is logged at debug level for operators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no credentials")]
    Missing,
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    #[error("token header refused: {0}")]
    Header(&'static str),
    #[error("unknown signing key")]
    UnknownKey,
    #[error("bad signature or claims: {0}")]
    Invalid(String),
    #[error("token expired")]
    Expired,
    #[error("token not yet valid")]
    NotYetValid,
    #[error("session ended")]
    SessionEnded,
    #[error("api key refused")]
    ApiKeyRefused,
    #[error("verification keys unavailable: {0}")]
    KeysUnavailable(String),
    /// Redis (the session store) is down, stalled or behind an open circuit: the
    /// session cannot be checked, so the call is refused as UNAVAILABLE (retryable).
    #[error("session store unavailable: {0}")]
    SessionStoreUnavailable(String),
}

impl From<AuthError> for crate::ApiError {
    fn from(error: AuthError) -> Self {
        tracing::debug!(reason = %error, "credentials refused");
        match error {
            AuthError::KeysUnavailable(_) => crate::ApiError::Unavailable("credential verification"),
            AuthError::SessionStoreUnavailable(reason) => {
                tracing::warn!(%reason, "session store unavailable; refusing the call");
                crate::ApiError::Unavailable("session store")
            }
            AuthError::Missing => crate::ApiError::Unauthenticated("credentials required"),
            _ => crate::ApiError::Unauthenticated("invalid or expired credentials"),
        }
    }
}
