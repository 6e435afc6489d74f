//! A local keyring file: the KEK's versions, each a random 256-bit AES key, and the
//! minimum version still allowed to unwrap. `canopyd dev` creates one; operators
//! rotate and retire with [`Keyring::rotate`] and [`Keyring::retire`] (the CLI path),
//! and running services pick the change up on their next rotation pass.
//!
//! ```json
//! { "name": "canopy", "min_decryption_version": 1,
//!   "versions": [{ "version": 1, "key": "<base64 of 32 bytes>", "created_at": "2025-01-01T00:00:00Z" }] }
//! ```

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use rand::RngCore as _;
use secrecy::{ExposeSecret as _, SecretSlice};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use super::{KekDescription, KekError, KekVersions, KeyEncryptionKeys, Wrapped};

const NONCE_LEN: usize = 12;
/// Associated data of every wrap, so a keyring key used for anything else can't be confused.
const WRAP_DOMAIN: &[u8] = b"canopy.secrets.keyring.wrap.v1";

/// The file's contents. Debug masks the keys.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringFile {
    /// The keyring's name (shown in status).
    pub name: String,
    /// Wraps under a lower version are refused.
    pub min_decryption_version: u32,
    /// Every version, oldest first.
    pub versions: Vec<KeyringVersion>,
}

/// One KEK version.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyringVersion {
    pub version: u32,
    /// Base64 of 32 random bytes.
    pub key: String,
    pub created_at: DateTime<Utc>,
}

impl Drop for KeyringVersion {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl std::fmt::Debug for KeyringFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyringFile")
            .field("name", &self.name)
            .field("min_decryption_version", &self.min_decryption_version)
            .field("versions", &self.versions.iter().map(|v| v.version).collect::<Vec<_>>())
            .finish()
    }
}

impl KeyringFile {
    fn current(&self) -> u32 {
        self.versions.iter().map(|v| v.version).max().unwrap_or(0)
    }

    fn versions_in_force(&self) -> KekVersions {
        KekVersions { current: self.current(), min_decryption: self.min_decryption_version }
    }

    fn key(&self, version: u32) -> Option<&KeyringVersion> {
        self.versions.iter().find(|v| v.version == version)
    }

    fn new_version(version: u32) -> KeyringVersion {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(key.as_mut());
        KeyringVersion { version, key: STANDARD.encode(key.as_ref()), created_at: Utc::now() }
    }

    fn check(&self, path: &Path) -> Result<(), KekError> {
        let fail = |reason: String| Err(KekError::Keyring { path: path.display().to_string(), reason });
        if self.versions.is_empty() {
            return fail("has no versions".into());
        }
        for version in &self.versions {
            let decoded = Zeroizing::new(STANDARD.decode(&version.key).unwrap_or_default());
            if decoded.len() != 32 {
                return fail(format!("version {}: key is not base64 of 32 bytes", version.version));
            }
        }
        if self.min_decryption_version == 0 || self.min_decryption_version > self.current() {
            return fail(format!(
                "min_decryption_version {} must be between 1 and the current version {}",
                self.min_decryption_version,
                self.current()
            ));
        }
        Ok(())
    }
}

/// A loaded keyring. Unwrapping under a version below the minimum is refused.
pub struct Keyring {
    path: PathBuf,
    production: bool,
    file: RwLock<KeyringFile>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("path", &self.path).finish_non_exhaustive()
    }
}

fn keyring_error(path: &Path, reason: impl std::fmt::Display) -> KekError {
    KekError::Keyring { path: path.display().to_string(), reason: reason.to_string() }
}

impl Keyring {
    /// Writes a new keyring with one version at `path` (mode 0600); refuses to
    /// overwrite an existing file.
    pub fn create(path: &Path) -> Result<(), KekError> {
        let file = KeyringFile {
            name: "canopy".into(),
            min_decryption_version: 1,
            versions: vec![KeyringFile::new_version(1)],
        };
        write(path, &file, true)
    }

    /// Adds a version (the new current one) to the keyring at `path`; returns it.
    pub fn rotate(path: &Path) -> Result<u32, KekError> {
        let mut file = read(path, false)?;
        let version = file.current() + 1;
        file.versions.push(KeyringFile::new_version(version));
        write(path, &file, false)?;
        Ok(version)
    }

    /// Raises the keyring's minimum decryption version to `min_version` (at most the
    /// current version; lowering it is refused). Rotate and run a rotation pass first,
    /// or data keys still wrapped under older versions become unreadable.
    pub fn retire(path: &Path, min_version: u32) -> Result<(), KekError> {
        let mut file = read(path, false)?;
        if min_version < file.min_decryption_version || min_version > file.current() {
            return Err(keyring_error(
                path,
                format!(
                    "cannot set min_decryption_version to {min_version}: it must be between {} and the current version {}",
                    file.min_decryption_version,
                    file.current()
                ),
            ));
        }
        file.min_decryption_version = min_version;
        write(path, &file, false)
    }

    /// Loads the keyring at `path`. A file group or others can read is refused when
    /// `production` is set, and warned about otherwise.
    pub fn open(path: &Path, production: bool) -> Result<Self, KekError> {
        let file = read(path, production)?;
        Ok(Self { path: path.to_path_buf(), production, file: RwLock::new(file) })
    }

    fn cipher(&self, version: u32) -> Result<Aes256Gcm, KekError> {
        let file = self.file.read().unwrap_or_else(|e| e.into_inner());
        let min = file.min_decryption_version;
        if version < min {
            return Err(KekError::Retired { version, min });
        }
        let entry = file.key(version).ok_or(KekError::UnknownVersion(version))?;
        let key = Zeroizing::new(STANDARD.decode(&entry.key).unwrap_or_default());
        Aes256Gcm::new_from_slice(&key).map_err(|_| keyring_error(&self.path, "a key is not 32 bytes"))
    }
}

impl KeyEncryptionKeys for Keyring {
    fn wrap<'a>(&'a self, data_key: &'a SecretSlice<u8>) -> BoxFuture<'a, Result<Wrapped, KekError>> {
        Box::pin(async move {
            let kek_version = self.versions().current;
            let cipher = self.cipher(kek_version)?;
            let mut nonce = [0u8; NONCE_LEN];
            rand::rng().fill_bytes(&mut nonce);
            let aad = wrap_aad(kek_version);
            let sealed = cipher
                .encrypt(Nonce::from_slice(&nonce), Payload { msg: data_key.expose_secret(), aad: &aad })
                .map_err(|_| keyring_error(&self.path, "AES-GCM wrap failed"))?;
            let mut bytes = nonce.to_vec();
            bytes.extend_from_slice(&sealed);
            Ok(Wrapped { kek_version, bytes })
        })
    }

    fn unwrap<'a>(&'a self, kek_version: u32, wrapped: &'a [u8]) -> BoxFuture<'a, Result<SecretSlice<u8>, KekError>> {
        Box::pin(async move {
            let cipher = self.cipher(kek_version)?;
            if wrapped.len() < NONCE_LEN + 16 {
                return Err(KekError::Unwrap(kek_version));
            }
            let (nonce, sealed) = wrapped.split_at(NONCE_LEN);
            let aad = wrap_aad(kek_version);
            let plain = cipher
                .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
                .map_err(|_| KekError::Unwrap(kek_version))?;
            Ok(SecretSlice::from(plain))
        })
    }

    fn versions(&self) -> KekVersions {
        self.file.read().unwrap_or_else(|e| e.into_inner()).versions_in_force()
    }

    fn reload(&self) -> BoxFuture<'_, Result<KekVersions, KekError>> {
        Box::pin(async move {
            let path = self.path.clone();
            let production = self.production;
            let file = tokio::task::spawn_blocking(move || read(&path, production))
                .await
                .map_err(|e| keyring_error(&self.path, e))??;
            let versions = file.versions_in_force();
            *self.file.write().unwrap_or_else(|e| e.into_inner()) = file;
            Ok(versions)
        })
    }

    fn describe(&self) -> KekDescription {
        KekDescription { kind: "keyring", name: self.path.display().to_string() }
    }
}

/// Binds a wrap to its KEK version, so a wrapped key relabelled with another version
/// fails to unwrap.
fn wrap_aad(kek_version: u32) -> Vec<u8> {
    let mut aad = WRAP_DOMAIN.to_vec();
    aad.extend_from_slice(&kek_version.to_be_bytes());
    aad
}

fn read(path: &Path, production: bool) -> Result<KeyringFile, KekError> {
    let metadata = std::fs::metadata(path).map_err(|e| keyring_error(path, e))?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        if production {
            return Err(keyring_error(
                path,
                format!("mode {mode:04o} lets group or others read it; chmod 600 {}", path.display()),
            ));
        }
        tracing::warn!(path = %path.display(), mode = format!("{mode:04o}"), "keyring file is readable by group or others");
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| keyring_error(path, e))?);
    let file: KeyringFile =
        serde_json::from_str(&text).map_err(|e| keyring_error(path, format!("not a keyring: {e}")))?;
    file.check(path)?;
    Ok(file)
}

/// Writes `file` to `path` with mode 0600, atomically (a temporary file renamed over it).
fn write(path: &Path, file: &KeyringFile, create_new: bool) -> Result<(), KekError> {
    if create_new && path.exists() {
        return Err(keyring_error(path, "already exists; refusing to overwrite a keyring"));
    }
    let json = Zeroizing::new(serde_json::to_vec_pretty(file).map_err(|e| keyring_error(path, e))?);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "keyring".into());
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let written = (|| {
        let mut out = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
        out.write_all(&json)?;
        out.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(keyring_error(path, error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_retired_version_no_longer_unwraps_and_a_loose_file_is_refused_in_production() {
        let dir = tempfile_dir();
        let path = dir.join("keyring.json");
        Keyring::create(&path).unwrap();
        assert!(Keyring::create(&path).is_err(), "create never overwrites");
        let keyring = Keyring::open(&path, true).unwrap();
        let data_key = SecretSlice::from(vec![5u8; 32]);
        let old = keyring.wrap(&data_key).await.unwrap();
        assert_eq!(old.kek_version, 1);

        assert_eq!(Keyring::rotate(&path).unwrap(), 2);
        assert_eq!(keyring.reload().await.unwrap(), KekVersions { current: 2, min_decryption: 1 });
        let new = keyring.wrap(&data_key).await.unwrap();
        assert_eq!(new.kek_version, 2);
        assert!(keyring.unwrap(2, &old.bytes).await.is_err(), "a wrap is bound to its version");

        Keyring::retire(&path, 2).unwrap();
        keyring.reload().await.unwrap();
        let error = keyring.unwrap(1, &old.bytes).await.unwrap_err();
        assert!(matches!(error, KekError::Retired { version: 1, min: 2 }), "{error}");
        assert_eq!(keyring.unwrap(2, &new.bytes).await.unwrap().expose_secret(), &[5u8; 32]);
        assert!(Keyring::retire(&path, 1).is_err(), "the minimum never goes down");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = Keyring::open(&path, true).unwrap_err().to_string();
        assert!(error.contains("mode 0644") && error.contains(&path.display().to_string()), "{error}");
        Keyring::open(&path, false).expect("outside production a loose file is only warned about");
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("canopy-keyring-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
