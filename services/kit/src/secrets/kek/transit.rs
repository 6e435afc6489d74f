//! HashiCorp Vault / OpenBao transit as the KEK: data keys are sent to
//! `POST /v1/{mount}/encrypt/{key}` and `…/decrypt/{key}`; the KEK never leaves the
//! vault. Its versions are the transit key's (`vault:v3:…` is version 3), read from
//! `GET /v1/{mount}/keys/{key}` (`latest_version`, `min_decryption_version`).

use std::sync::RwLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Method};
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};
use zeroize::Zeroizing;

use super::{KekDescription, KekError, KekVersions, KeyEncryptionKeys, Wrapped};
use crate::http::HttpClient;

/// Where the transit key is.
#[derive(Debug, Clone)]
pub struct TransitSettings {
    /// The vault's base URL (`https://vault.internal:8200`).
    pub address: String,
    /// A token allowed to encrypt, decrypt and read the key (`X-Vault-Token`).
    pub token: SecretString,
    /// The transit engine's mount (`transit`).
    pub mount: String,
    /// The transit key's name.
    pub key: String,
}

/// A transit key. Versions are cached and refreshed by [`KeyEncryptionKeys::reload`].
#[derive(Debug)]
pub struct Transit {
    settings: TransitSettings,
    http: HttpClient,
    versions: RwLock<KekVersions>,
}

impl Transit {
    /// Reads the key's versions once: fails when the vault is unreachable, the token
    /// is refused or the key does not exist.
    pub async fn connect(settings: TransitSettings, http: HttpClient) -> Result<Self, KekError> {
        let transit = Self { settings, http, versions: RwLock::new(KekVersions { current: 0, min_decryption: 0 }) };
        transit.reload().await?;
        Ok(transit)
    }

    fn url(&self, action: &str) -> String {
        let address = self.settings.address.trim_end_matches('/');
        format!("{address}/v1/{}/{action}/{}", self.settings.mount, self.settings.key)
    }

    fn error(&self, action: &str, reason: impl Into<String>) -> KekError {
        KekError::Transit { endpoint: self.url(action), reason: reason.into() }
    }

    async fn call(
        &self,
        method: Method,
        action: &str,
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, KekError> {
        let mut headers = HeaderMap::new();
        let mut token = HeaderValue::from_str(self.settings.token.expose_secret())
            .map_err(|_| self.error(action, "the token is not a valid header value"))?;
        token.set_sensitive(true);
        headers.insert("x-vault-token", token);
        let body = match body {
            Some(body) => {
                headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Some(Bytes::from(body.to_string()))
            }
            None => None,
        };
        let response = self
            .http
            .send(method, &self.url(action), headers, body)
            .await
            .map_err(|e| self.error(action, format!("unreachable: {e}")))?;
        let json: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
        if !response.status.is_success() {
            let errors: Vec<String> = json
                .get("errors")
                .and_then(|e| e.as_array())
                .map(|errors| errors.iter().filter_map(|e| e.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let cause = match response.status.as_u16() {
                403 => "permission denied (check the token and its policy)".to_string(),
                404 => "not found (check the mount and key name)".to_string(),
                status => format!("HTTP {status}"),
            };
            let reason = if errors.is_empty() { cause } else { format!("{cause}: {}", errors.join("; ")) };
            return Err(self.error(action, reason));
        }
        Ok(json)
    }
}

/// `vault:v3:…` → 3.
fn version_of(ciphertext: &str) -> Option<u32> {
    let rest = ciphertext.strip_prefix("vault:v")?;
    let (version, _) = rest.split_once(':')?;
    version.parse().ok()
}

impl KeyEncryptionKeys for Transit {
    fn wrap<'a>(&'a self, data_key: &'a SecretSlice<u8>) -> BoxFuture<'a, Result<Wrapped, KekError>> {
        Box::pin(async move {
            let plaintext = Zeroizing::new(STANDARD.encode(data_key.expose_secret()));
            let answer = self
                .call(Method::POST, "encrypt", Some(serde_json::json!({ "plaintext": plaintext.as_str() })))
                .await?;
            let ciphertext = answer
                .pointer("/data/ciphertext")
                .and_then(|c| c.as_str())
                .ok_or_else(|| self.error("encrypt", "the answer has no data.ciphertext"))?;
            let kek_version =
                version_of(ciphertext).ok_or_else(|| self.error("encrypt", "the ciphertext is not vault:vN:…"))?;
            Ok(Wrapped { kek_version, bytes: ciphertext.as_bytes().to_vec() })
        })
    }

    fn unwrap<'a>(&'a self, kek_version: u32, wrapped: &'a [u8]) -> BoxFuture<'a, Result<SecretSlice<u8>, KekError>> {
        Box::pin(async move {
            let min = self.versions().min_decryption;
            if kek_version < min {
                return Err(KekError::Retired { version: kek_version, min });
            }
            let ciphertext = std::str::from_utf8(wrapped).map_err(|_| KekError::Unwrap(kek_version))?;
            if version_of(ciphertext) != Some(kek_version) {
                return Err(KekError::Unwrap(kek_version));
            }
            let answer =
                self.call(Method::POST, "decrypt", Some(serde_json::json!({ "ciphertext": ciphertext }))).await?;
            let plaintext = answer
                .pointer("/data/plaintext")
                .and_then(|p| p.as_str())
                .ok_or_else(|| self.error("decrypt", "the answer has no data.plaintext"))?;
            let key = STANDARD.decode(plaintext).map_err(|_| self.error("decrypt", "data.plaintext is not base64"))?;
            Ok(SecretSlice::from(key))
        })
    }

    fn versions(&self) -> KekVersions {
        *self.versions.read().unwrap_or_else(|e| e.into_inner())
    }

    fn reload(&self) -> BoxFuture<'_, Result<KekVersions, KekError>> {
        Box::pin(async move {
            let answer = self.call(Method::GET, "keys", None).await?;
            let number = |field: &str| {
                answer
                    .pointer(&format!("/data/{field}"))
                    .and_then(|v| v.as_u64())
                    .and_then(|v| u32::try_from(v).ok())
                    .ok_or_else(|| self.error("keys", format!("the answer has no data.{field}")))
            };
            let versions =
                KekVersions { current: number("latest_version")?, min_decryption: number("min_decryption_version")? };
            *self.versions.write().unwrap_or_else(|e| e.into_inner()) = versions;
            Ok(versions)
        })
    }

    fn describe(&self) -> KekDescription {
        KekDescription { kind: "transit", name: self.url("keys") }
    }
}

#[cfg(test)]
mod tests {
    use super::version_of;

    #[test]
    fn the_kek_version_is_read_from_the_ciphertext_prefix() {
        assert_eq!(version_of("vault:v3:abcd"), Some(3));
        assert_eq!(version_of("vault:v:abcd"), None);
        assert_eq!(version_of("v3:abcd"), None);
    }
}
