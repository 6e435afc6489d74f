//! Key-encryption keys (KEKs): what wraps the data keys. One trait, two homes for the
//! KEK: a local keyring file ([`Keyring`], dev and small installs) and HashiCorp Vault /
//! OpenBao transit ([`Transit`], where the KEK never leaves the vault).

mod keyring;
mod transit;

use futures_util::future::BoxFuture;
use secrecy::SecretSlice;
use serde::Serialize;

pub use keyring::{Keyring, KeyringFile, KeyringVersion};
pub use transit::{Transit, TransitSettings};

/// A data key wrapped under one KEK version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    pub kek_version: u32,
    /// Opaque to callers: `nonce || ciphertext+tag` (keyring) or `vault:vN:…` (transit).
    pub bytes: Vec<u8>,
}

/// The KEK versions in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KekVersions {
    /// New wraps use this version.
    pub current: u32,
    /// Wraps under an older version are refused.
    pub min_decryption: u32,
}

/// What a KEK is, for status pages (never key material or tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KekDescription {
    /// `keyring` or `transit`.
    pub kind: &'static str,
    /// The keyring file's path, or `<address>/v1/<mount>/keys/<key>`.
    pub name: String,
}

/// Why a KEK could not wrap or unwrap. Messages name the file or endpoint and the
/// cause; never key material.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    #[error("KEK version {version} is below the minimum decryption version {min} (retired)")]
    Retired { version: u32, min: u32 },
    #[error("KEK version {0} does not exist")]
    UnknownVersion(u32),
    #[error("the wrapped data key does not unwrap under KEK version {0} (tampered, or another KEK)")]
    Unwrap(u32),
    #[error("keyring {path}: {reason}")]
    Keyring { path: String, reason: String },
    #[error("transit {endpoint}: {reason}")]
    Transit { endpoint: String, reason: String },
}

/// Wraps and unwraps data keys. Implementations cache the versions in force and
/// refresh them on [`KeyEncryptionKeys::reload`] (the rotation pass calls it first).
pub trait KeyEncryptionKeys: Send + Sync + std::fmt::Debug {
    /// Wraps a 32-byte data key under the current version.
    fn wrap<'a>(&'a self, data_key: &'a SecretSlice<u8>) -> BoxFuture<'a, Result<Wrapped, KekError>>;

    /// Unwraps what [`KeyEncryptionKeys::wrap`] returned under `kek_version`; refuses a
    /// version below the minimum.
    fn unwrap<'a>(&'a self, kek_version: u32, wrapped: &'a [u8]) -> BoxFuture<'a, Result<SecretSlice<u8>, KekError>>;

    /// The versions last loaded.
    fn versions(&self) -> KekVersions;

    /// Reads the versions again (the keyring file, or the transit key's metadata), so a
    /// rotation or retirement done elsewhere takes effect.
    fn reload(&self) -> BoxFuture<'_, Result<KekVersions, KekError>>;

    /// What this KEK is, for status reports.
    fn describe(&self) -> KekDescription;
}
