//! Acknowledgement links: a page carries a link whose token names the incident,
//! whom the page went to and when the link stops working, signed with HMAC-SHA256
//! under a key only this service holds, so `AcknowledgeIncidentByLink` needs no
//! session and a forged or stale token acknowledges nothing.

use std::path::Path;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use uuid::Uuid;

type HmacSha256 = Hmac<sha2::Sha256>;

/// The link signing key. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaim {
    pub incident_id: Uuid,
    /// Whom the page went to (`user:<id>` or `receiver:<name>`).
    pub recipient: String,
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused; the API answers all of them the same way.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

fn engine() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
}

impl LinkKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key in `path`, made (0600) when missing, so every replica sharing the
    /// file verifies what any of them signed.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        let standard = base64::engine::general_purpose::STANDARD;
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = standard.decode(text.trim()).map_err(|_| anyhow::anyhow!("not base64"))?;
                let bytes: [u8; 32] = bytes.try_into().map_err(|_| anyhow::anyhow!("not a 32-byte key"))?;
                Ok(Self(bytes))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                use std::io::Write as _;
                use std::os::unix::fs::OpenOptionsExt as _;
                let bytes: [u8; 32] = rand::random();
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
                file.write_all(standard.encode(bytes).as_bytes())?;
                file.write_all(b"\n")?;
                tracing::info!(path = %path.display(), "created the alerts link signing key");
                Ok(Self(bytes))
            }
            Err(error) => Err(error.into()),
        }
    }

    fn mac(&self, payload: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    /// A token for `claim`: `<payload>.<signature>`, both base64url.
    pub fn sign(&self, claim: &LinkClaim) -> String {
        let payload = format!("{}|{}|{}", claim.incident_id, claim.expires_at.timestamp(), claim.recipient);
        format!("{}.{}", engine().encode(payload.as_bytes()), engine().encode(self.mac(payload.as_bytes())))
    }

    /// The claim of a token signed with this key that has not expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<LinkClaim, LinkError> {
        let (payload, signature) = token.trim().split_once('.').ok_or(LinkError::Malformed)?;
        let payload = engine().decode(payload).map_err(|_| LinkError::Malformed)?;
        let signature = engine().decode(signature).map_err(|_| LinkError::Malformed)?;
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(&payload);
        // Constant-time comparison.
        mac.verify_slice(&signature).map_err(|_| LinkError::BadSignature)?;
        let payload = String::from_utf8(payload).map_err(|_| LinkError::Malformed)?;
        let mut parts = payload.splitn(3, '|');
        let incident_id = parts.next().and_then(|p| p.parse().ok()).ok_or(LinkError::Malformed)?;
        let expires_at = parts
            .next()
            .and_then(|p| p.parse().ok())
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .ok_or(LinkError::Malformed)?;
        let recipient = parts.next().ok_or(LinkError::Malformed)?.to_string();
        if expires_at <= now {
            return Err(LinkError::Expired);
        }
        Ok(LinkClaim { incident_id, recipient, expires_at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_until_it_expires_and_a_tampered_one_never() {
        let key = LinkKey::from_bytes([7; 32]);
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let claim = LinkClaim {
            incident_id: Uuid::new_v4(),
            recipient: "user:ada".into(),
            expires_at: now + chrono::Duration::hours(1),
        };
        let token = key.sign(&claim);
        assert_eq!(key.verify(&token, now), Ok(claim.clone()));
        assert_eq!(key.verify(&token, now + chrono::Duration::hours(1)), Err(LinkError::Expired));
        let other = LinkKey::from_bytes([8; 32]);
        assert_eq!(other.verify(&token, now), Err(LinkError::BadSignature));
        let forged = format!(
            "{}.{}",
            engine().encode(format!("{}|9999999999|user:eve", claim.incident_id)),
            token.split_once('.').unwrap().1
        );
        assert_eq!(key.verify(&forged, now), Err(LinkError::BadSignature));
        assert_eq!(key.verify("junk", now), Err(LinkError::Malformed));
    }
}
