//! Secrets at rest: signing keys' private halves (and, before migration 0003, TOTP secrets) are sealed with
//! AES-256-GCM under the key encryption key (KEK) from configuration. Each sealed
//! value is `nonce (12 bytes) || ciphertext+tag`, with a fresh random nonce, and is
//! bound to what it belongs to through the associated data (a key's `kid`, a user's
//! id), so a sealed value copied onto another row fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore as _;

const NONCE_BYTES: usize = 12;

/// The KEK. Its Debug output never shows the key.
#[derive(Clone)]
pub struct KeyEncryptionKey {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(..)")
    }
}

/// A sealed value failed to open: wrong KEK, wrong owner, or tampered bytes.
#[derive(Debug, thiserror::Error)]
#[error("sealed secret does not open with the configured key encryption key")]
pub struct UnsealError;

impl KeyEncryptionKey {
    pub fn new(key: &[u8; 32]) -> Self {
        Self { cipher: Aes256Gcm::new(key.into()) }
    }

    /// Encrypts `plaintext` for the owner named by `associated_data`.
    pub fn seal(&self, associated_data: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: associated_data })
            .expect("AES-GCM encryption of a short secret cannot fail");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts what [`KeyEncryptionKey::seal`] produced for the same owner.
    pub fn open(&self, associated_data: &[u8], sealed: &[u8]) -> Result<Vec<u8>, UnsealError> {
        if sealed.len() < NONCE_BYTES + 16 {
            return Err(UnsealError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: associated_data })
            .map_err(|_| UnsealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_owner() {
        let kek = KeyEncryptionKey::new(&[7u8; 32]);
        let sealed = kek.seal(b"kid-1", b"secret seed");
        assert_eq!(kek.open(b"kid-1", &sealed).unwrap(), b"secret seed");
        assert_ne!(kek.seal(b"kid-1", b"secret seed"), sealed, "nonces are fresh");
        assert!(kek.open(b"kid-2", &sealed).is_err());
        assert!(KeyEncryptionKey::new(&[8u8; 32]).open(b"kid-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(kek.open(b"kid-1", &tampered).is_err());
        assert!(kek.open(b"kid-1", &sealed[..10]).is_err());
    }
}
