//! Secrets at rest: envelope encryption with per-tenant data keys and key rotation.
//!
//! **Keys.** Each service keeps, in its own schema, one *data key* per tenant (and one
//! for the platform, `tenant_id` null), versioned, in `<schema>.data_key` (the SQL is
//! [`DATA_KEY_SQL`]; copy it into the service's migration). A data key is 32 random
//! bytes, stored only *wrapped* under a key-encryption key (KEK) held elsewhere: a
//! keyring file or a Vault/OpenBao transit key ([`kek`]). Per-tenant keys keep the
//! blast radius of one key to one tenant, let a tenant's keys be rotated (or
//! destroyed) alone, and let RLS hide one tenant's keys from another's transactions.
//! Unwrapped data keys are cached briefly in memory and zeroized when dropped.
//!
//! **Ciphertexts** ([`format`]) name their data key (owner and version) and are sealed
//! with AES-256-GCM. The associated data binds the format header and the [`Binding`]
//! (tenant, table, record, column), so a ciphertext copied to another row, column or
//! tenant, or with its header edited, does not decrypt.
//!
//! **Rotation** ([`Secrets::rotate`], run by the [`ROTATION_JOB`] background job):
//! (a) reload the KEK and re-wrap every data key wrapped under an older KEK version;
//! (b) give data keys older than `data_key_max_age_days` a new version, used at once by
//! new encryptions; (c) re-encrypt every registered [`EncryptedColumn`] value sealed
//! under an older data-key version, then retire that version (ciphertexts under it are
//! refused from then on); (d) record a [`RotationStatus`] and publish it to Redis. Once
//! a pass has re-wrapped everything, the operator raises the KEK's minimum decryption
//! version (`Keyring::retire`, or transit's `min_decryption_version`).

pub mod config;
pub mod format;
pub mod kek;
mod rotate;
mod store;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};
use sqlx::PgConnection;
use uuid::Uuid;
use zeroize::Zeroizing;

pub use config::{KekConfig, KeyringConfig, SecretsConfig, TransitConfig};
pub use format::{Binding, Ciphertext, FormatError};
pub use kek::{KekDescription, KekError, KekVersions, KeyEncryptionKeys};
pub use rotate::{DataKeyCount, ROTATION_JOB, RotationStatus, published_statuses};

/// The `data_key` table every service using [`Secrets`] creates in its schema (copy it
/// into a migration; migrations run with the service's schema on the search path):
///
/// ```sql
#[doc = include_str!("data_key.sql")]
/// ```
pub const DATA_KEY_SQL: &str = include_str!("data_key.sql");

/// How long an unwrapped data key stays in memory after its last use.
const DATA_KEY_CACHE_TTL: Duration = Duration::from_secs(60);

/// Why a secret could not be sealed or opened. Messages never contain plaintext.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("malformed ciphertext: {0}")]
    Malformed(#[from] FormatError),
    #[error("the ciphertext of {table}.{column} is sealed under {sealed_for}'s key, not {owner}'s")]
    OtherOwner { table: &'static str, column: &'static str, sealed_for: Owner, owner: Owner },
    #[error(
        "the ciphertext does not decrypt as {table}.{column} of this record (copied from another record, or tampered)"
    )]
    WrongBinding { table: &'static str, column: &'static str },
    #[error("data key version {version} of {owner} does not exist")]
    UnknownDataKey { owner: Owner, version: u32 },
    #[error("data key version {version} of {owner} is retired")]
    RetiredDataKey { owner: Owner, version: u32 },
    #[error(
        "data key version {version} of {owner} is wrapped under KEK version {kek_version}, below the minimum {min}"
    )]
    RetiredKek { owner: Owner, version: u32, kek_version: u32, min: u32 },
    #[error("data key version {version} of {owner} does not unwrap to 32 bytes")]
    BadDataKey { owner: Owner, version: u32 },
    #[error("the decrypted value is not UTF-8 text")]
    NotText,
    #[error("key-encryption key: {0}")]
    Kek(#[from] KekError),
    #[error("secrets: {0}")]
    InvalidName(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Whose data key: a tenant's or the platform's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner(pub Option<Uuid>);

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(tenant) => write!(f, "tenant {tenant}"),
            None => f.write_str("the platform"),
        }
    }
}

/// A column holding ciphertexts of [`Secrets::encrypt`], re-encrypted by rotation.
/// Values must be sealed with the binding `{ tenant: <tenant_column>, table,
/// record: <id_column>::text, column }`. Names are plain identifiers (checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptedColumn {
    /// The table, in the service's schema, unqualified.
    pub table: &'static str,
    /// Its id column (the binding's `record` is its text form).
    pub id_column: &'static str,
    /// Its tenant column (null: platform rows).
    pub tenant_column: &'static str,
    /// The `bytea` column holding ciphertexts.
    pub column: &'static str,
}

/// Envelope encryption for one service's schema. Cheap to share (`Arc`).
pub struct Secrets {
    kek: Arc<dyn KeyEncryptionKeys>,
    schema: &'static str,
    config: SecretsConfig,
    columns: Vec<EncryptedColumn>,
    /// Unwrapped data keys by (owner, version, KEK version).
    cache: moka::future::Cache<(Uuid, u32, u32), Arc<SecretSlice<u8>>>,
    status: Mutex<RotationStatus>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets")
            .field("kek", &self.kek.describe())
            .field("schema", &self.schema)
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl Secrets {
    /// Secrets of the service whose schema is `schema` (which must have `data_key`).
    pub fn new(
        kek: Arc<dyn KeyEncryptionKeys>,
        schema: &'static str,
        config: SecretsConfig,
    ) -> Result<Self, SecretsError> {
        check_identifier("schema", schema)?;
        let cache = moka::future::Cache::builder().max_capacity(10_000).time_to_idle(DATA_KEY_CACHE_TTL).build();
        let status = Mutex::new(RotationStatus::empty(schema, &kek.describe(), kek.versions()));
        Ok(Self { kek, schema, config, columns: Vec::new(), cache, status })
    }

    /// Registers a column for re-encryption by [`Secrets::rotate`]. A service that
    /// registers no column never retires a data-key version (it cannot know no
    /// ciphertext still needs it).
    pub fn with_column(mut self, column: EncryptedColumn) -> Result<Self, SecretsError> {
        for (what, name) in [
            ("table", column.table),
            ("id_column", column.id_column),
            ("tenant_column", column.tenant_column),
            ("column", column.column),
        ] {
            check_identifier(what, name)?;
        }
        self.columns.push(column);
        Ok(self)
    }

    /// The KEK in use.
    pub fn kek(&self) -> &Arc<dyn KeyEncryptionKeys> {
        &self.kek
    }

    /// Seals `plaintext` for `binding` under its owner's newest data key, creating the
    /// key on first use. `conn` is the caller's transaction: tenant-scoped for a
    /// tenant's binding, platform-scoped (or the owner pool) for the platform's.
    pub async fn encrypt(
        &self,
        conn: &mut PgConnection,
        binding: &Binding,
        plaintext: &SecretSlice<u8>,
    ) -> Result<Vec<u8>, SecretsError> {
        let owner = binding.tenant;
        let stored = match store::current(conn, self.schema, owner).await? {
            Some(stored) => stored,
            None => {
                self.add_data_key_version(conn, owner, 1).await?;
                store::current(conn, self.schema, owner)
                    .await?
                    .ok_or(SecretsError::UnknownDataKey { owner: Owner(owner), version: 1 })?
            }
        };
        let version = u32::try_from(stored.version).unwrap_or(0);
        let data_key = self.unwrapped(owner, &stored).await?;
        seal(&data_key, version, binding, plaintext.expose_secret())
    }

    /// [`Secrets::encrypt`] of text.
    pub async fn encrypt_str(
        &self,
        conn: &mut PgConnection,
        binding: &Binding,
        plaintext: &SecretString,
    ) -> Result<Vec<u8>, SecretsError> {
        let bytes = SecretSlice::from(plaintext.expose_secret().as_bytes().to_vec());
        self.encrypt(conn, binding, &bytes).await
    }

    /// Opens what [`Secrets::encrypt`] sealed for the same `binding`. Refuses malformed
    /// bytes, another binding, an unknown or retired data-key version, and a data key
    /// wrapped under a KEK version below the minimum.
    pub async fn decrypt(
        &self,
        conn: &mut PgConnection,
        binding: &Binding,
        ciphertext: &[u8],
    ) -> Result<SecretSlice<u8>, SecretsError> {
        let parsed = Ciphertext::parse(ciphertext)?;
        let owner = binding.tenant;
        if parsed.key_id != binding.key_id() {
            let sealed_for = if parsed.key_id.is_nil() { None } else { Some(parsed.key_id) };
            return Err(SecretsError::OtherOwner {
                table: binding.table,
                column: binding.column,
                sealed_for: Owner(sealed_for),
                owner: Owner(owner),
            });
        }
        let version = parsed.key_version;
        let stored = store::version(conn, self.schema, owner, version)
            .await?
            .ok_or(SecretsError::UnknownDataKey { owner: Owner(owner), version })?;
        if stored.retired {
            return Err(SecretsError::RetiredDataKey { owner: Owner(owner), version });
        }
        let data_key = self.unwrapped(owner, &stored).await?;
        open(&data_key, binding, &parsed)
    }

    /// [`Secrets::decrypt`] of text.
    pub async fn decrypt_string(
        &self,
        conn: &mut PgConnection,
        binding: &Binding,
        ciphertext: &[u8],
    ) -> Result<SecretString, SecretsError> {
        let bytes = self.decrypt(conn, binding, ciphertext).await?;
        let text = std::str::from_utf8(bytes.expose_secret()).map_err(|_| SecretsError::NotText)?;
        Ok(SecretString::from(text))
    }

    /// Gives `tenant`'s data key a new version (new encryptions use it at once); the
    /// next rotation pass re-encrypts registered columns and retires the old version.
    pub async fn new_data_key_version(
        &self,
        conn: &mut PgConnection,
        tenant: Option<Uuid>,
    ) -> Result<u32, SecretsError> {
        let next = store::highest_version(conn, self.schema, tenant).await? + 1;
        self.add_data_key_version(conn, tenant, next).await?;
        Ok(u32::try_from(next).unwrap_or(0))
    }

    /// Inserts version `version` of `tenant`'s data key, a fresh random key wrapped under
    /// the current KEK; a concurrent insert of the same version wins silently.
    async fn add_data_key_version(
        &self,
        conn: &mut PgConnection,
        tenant: Option<Uuid>,
        version: i32,
    ) -> Result<(), SecretsError> {
        let mut key = Zeroizing::new(vec![0u8; 32]);
        rand::rng().fill_bytes(&mut key);
        let data_key = SecretSlice::from(key.to_vec());
        let wrapped = self.kek.wrap(&data_key).await?;
        store::insert(conn, self.schema, tenant, version, &wrapped.bytes, wrapped.kek_version).await?;
        Ok(())
    }

    /// The unwrapped key of `stored`, from the cache or the KEK.
    async fn unwrapped(
        &self,
        owner: Option<Uuid>,
        stored: &store::StoredKey,
    ) -> Result<Arc<SecretSlice<u8>>, SecretsError> {
        let version = u32::try_from(stored.version).unwrap_or(0);
        let kek_version = u32::try_from(stored.kek_version).unwrap_or(0);
        let min = self.kek.versions().min_decryption;
        if kek_version < min {
            return Err(SecretsError::RetiredKek { owner: Owner(owner), version, kek_version, min });
        }
        let key = (owner.unwrap_or(Uuid::nil()), version, kek_version);
        if let Some(data_key) = self.cache.get(&key).await {
            return Ok(data_key);
        }
        let mut unwrapped = self.kek.unwrap(kek_version, &stored.wrapped).await;
        if matches!(unwrapped, Err(KekError::UnknownVersion(_))) {
            // Another replica's rotation pass re-wrapped the key under a KEK version this
            // one has not loaded yet (its own pass was skipped, or has not run): load the
            // KEK again rather than fail until the next pass.
            self.kek.reload().await.map_err(SecretsError::Kek)?;
            unwrapped = self.kek.unwrap(kek_version, &stored.wrapped).await;
        }
        let data_key = unwrapped.map_err(|error| match error {
            KekError::Retired { min, .. } => {
                SecretsError::RetiredKek { owner: Owner(owner), version, kek_version, min }
            }
            other => SecretsError::Kek(other),
        })?;
        if data_key.expose_secret().len() != 32 {
            return Err(SecretsError::BadDataKey { owner: Owner(owner), version });
        }
        let data_key = Arc::new(data_key);
        self.cache.insert(key, data_key.clone()).await;
        Ok(data_key)
    }
}

/// Seals `plaintext` for `binding` under `data_key`, version `version` (pure).
fn seal(
    data_key: &SecretSlice<u8>,
    version: u32,
    binding: &Binding,
    plaintext: &[u8],
) -> Result<Vec<u8>, SecretsError> {
    let bad_key = || SecretsError::BadDataKey { owner: Owner(binding.tenant), version };
    let cipher = Aes256Gcm::new_from_slice(data_key.expose_secret()).map_err(|_| bad_key())?;
    let mut nonce = [0u8; format::NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let aad = format::associated_data(binding.key_id(), version, binding);
    let sealed =
        cipher.encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad }).map_err(|_| bad_key())?;
    Ok(Ciphertext { key_id: binding.key_id(), key_version: version, nonce, sealed }.encode())
}

/// Opens `ciphertext` as `binding`'s value under `data_key` (pure).
fn open(
    data_key: &SecretSlice<u8>,
    binding: &Binding,
    ciphertext: &Ciphertext,
) -> Result<SecretSlice<u8>, SecretsError> {
    let version = ciphertext.key_version;
    let cipher = Aes256Gcm::new_from_slice(data_key.expose_secret())
        .map_err(|_| SecretsError::BadDataKey { owner: Owner(binding.tenant), version })?;
    let aad = format::associated_data(ciphertext.key_id, version, binding);
    let plain = cipher
        .decrypt(Nonce::from_slice(&ciphertext.nonce), Payload { msg: &ciphertext.sealed, aad: &aad })
        .map_err(|_| SecretsError::WrongBinding { table: binding.table, column: binding.column })?;
    Ok(SecretSlice::from(plain))
}

#[cfg(test)]
mod properties;

fn check_identifier(what: &str, name: &str) -> Result<(), SecretsError> {
    if crate::db::is_plain_identifier(name) {
        Ok(())
    } else {
        Err(SecretsError::InvalidName(format!("{what} {name:?} is not a plain lowercase identifier")))
    }
}
