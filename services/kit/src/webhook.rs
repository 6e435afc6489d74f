//! Outgoing webhooks: signing per the Standard Webhooks specification, shared by the
//! audit service's SIEM streaming and the alerts service's receivers, which deliver
//! them with [`crate::http::HttpClient::post`].
//!
//! Standard Webhooks: the secret is `whsec_` + base64 of its key bytes; a delivery
//! carries `webhook-id` (the same on every retry), `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.

use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use http::{HeaderMap, HeaderValue};
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret: `whsec_` + base64 of 32 random bytes.
pub fn new_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(key))
}

/// Why a secret cannot sign.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a signing secret is `whsec_` followed by base64")]
pub struct BadSecret;

/// The `webhook-signature` value for one delivery.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, BadSecret> {
    let key = secret.strip_prefix(SECRET_PREFIX).ok_or(BadSecret)?;
    let key = base64::engine::general_purpose::STANDARD.decode(key).map_err(|_| BadSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

/// The three Standard Webhooks headers of a delivery.
pub fn signed_headers(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<HeaderMap, BadSecret> {
    let mut headers = HeaderMap::new();
    let value = |text: String| HeaderValue::from_str(&text).map_err(|_| BadSecret);
    headers.insert("webhook-id", value(id.to_string())?);
    headers.insert("webhook-timestamp", value(timestamp.to_string())?);
    headers.insert("webhook-signature", value(signature(secret, id, timestamp, body)?)?);
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification (spec/standard-webhooks.md).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(signature(secret, id, 1614265330, body).unwrap(), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(signature("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", id, 1, body), Err(BadSecret));
        assert!(new_secret().starts_with(SECRET_PREFIX));
    }
}
