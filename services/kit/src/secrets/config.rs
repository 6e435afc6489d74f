//! `SecretsConfig`: where the KEK is and how often keys rotate. A service embeds it in
//! its own section (`[services.<name>.secrets]`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use super::kek::{KekError, KeyEncryptionKeys, Keyring, Transit, TransitSettings};
use crate::http::HttpClient;

/// Settings of [`super::Secrets`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecretsConfig {
    /// Where the key-encryption key lives: `{ keyring = { path = "…" } }` or
    /// `{ transit = { address = "…", token = "…", mount = "transit", key = "…" } }`.
    pub kek: KekConfig,
    /// A data key older than this many days gets a new version on the next rotation
    /// pass, and every registered column is re-encrypted under it. 0: never.
    pub data_key_max_age_days: u32,
    /// Seconds between rotation passes of the background job.
    pub rotation_interval_secs: u64,
}

impl Default for SecretsConfig {
    fn default() -> Self {
        Self { kek: KekConfig::default(), data_key_max_age_days: 90, rotation_interval_secs: 3600 }
    }
}

/// Where the KEK lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KekConfig {
    /// A local keyring file (see [`Keyring`]).
    Keyring(KeyringConfig),
    /// A Vault / OpenBao transit key (see [`Transit`]).
    Transit(TransitConfig),
}

impl Default for KekConfig {
    fn default() -> Self {
        Self::Keyring(KeyringConfig::default())
    }
}

/// A keyring file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringConfig {
    /// The keyring file (JSON, mode 0600). `canopyd dev` creates one.
    pub path: PathBuf,
}

/// A transit key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitConfig {
    /// The vault's base URL, e.g. `https://vault.internal:8200`.
    pub address: String,
    /// A token whose policy allows `update` on `<mount>/encrypt/<key>` and
    /// `<mount>/decrypt/<key>` and `read` on `<mount>/keys/<key>`. Never logged.
    pub token: SecretString,
    /// The transit engine's mount path. Default `transit`.
    #[serde(default = "default_mount")]
    pub mount: String,
    /// The transit key's name.
    pub key: String,
}

fn default_mount() -> String {
    "transit".into()
}

impl SecretsConfig {
    /// The KEK these settings name. `production` refuses a keyring file group or others
    /// can read; a transit key is checked by reading its versions once.
    pub async fn key_encryption_keys(&self, production: bool) -> Result<Arc<dyn KeyEncryptionKeys>, KekError> {
        match &self.kek {
            KekConfig::Keyring(keyring) => {
                if keyring.path.as_os_str().is_empty() {
                    return Err(KekError::Keyring {
                        path: String::new(),
                        reason: "secrets.kek.keyring.path is not set".into(),
                    });
                }
                Ok(Arc::new(Keyring::open(&keyring.path, production)?))
            }
            KekConfig::Transit(transit) => {
                let settings = TransitSettings {
                    address: transit.address.clone(),
                    token: transit.token.clone(),
                    mount: transit.mount.clone(),
                    key: transit.key.clone(),
                };
                Ok(Arc::new(Transit::connect(settings, HttpClient::new(Duration::from_secs(10))).await?))
            }
        }
    }
}
