//! What an access token says. Tokens are JWTs signed with Ed25519 (`alg: EdDSA`),
//! header `typ: at+jwt` (RFC 9068) and a `kid`; nothing else in the header is allowed.

use serde::{Deserialize, Serialize};

/// The `typ` header of every access token.
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// Access-token claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user id.
    pub sub: String,
    /// The user's tenant; absent for platform users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<String>,
    /// Role name (`platform_admin`, `owner`, …).
    pub role: String,
    /// Session id; the token is valid only while the session lives.
    pub sid: String,
    /// Token id.
    pub jti: String,
    /// Issued at, not before, expires (seconds since the epoch).
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}
