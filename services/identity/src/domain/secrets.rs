//! Opaque secrets handed to clients — refresh tokens, MFA challenges, invitation and
//! reset tokens, recovery codes — and the digests stored in their place. Each has at
//! least 128 random bits, so a plain SHA-256 digest is enough to store (no salt or
//! slow hash needed: there is nothing to guess).

use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// A new random token (256 bits, base64url) and its digest.
pub fn new_token() -> (String, [u8; 32]) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let digest = digest(&token);
    (token, digest)
}

/// What is stored for a token or code.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Lowercase hex of a digest (for Redis keys).
pub fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// How many recovery codes a user gets.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// A recovery code: 16 base32 characters (80 bits) shown as `abcd-efgh-ijkl-mnop`.
pub fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes);
    let text = data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase();
    text.as_bytes().chunks(4).map(|chunk| String::from_utf8_lossy(chunk).into_owned()).collect::<Vec<_>>().join("-")
}

/// A recovery code as typed (any case, with or without dashes and spaces) in the
/// form that is hashed.
pub fn normalize_recovery_code(typed: &str) -> String {
    typed.chars().filter(|c| !matches!(c, '-' | ' ')).collect::<String>().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_their_digest_matches() {
        let (a, digest_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a), digest_a);
    }

    #[test]
    fn recovery_codes_normalize_however_they_are_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 19);
        let typed = code.to_uppercase().replace('-', " ");
        assert_eq!(normalize_recovery_code(&typed), normalize_recovery_code(&code));
        assert_eq!(normalize_recovery_code(&code).len(), 16);
    }
}
