//! Password hashing: Argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane),
//! stored as PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so the
//! parameters travel with each hash and can be raised later without breaking old ones.
//!
//! Each hash costs ~19 MiB and tens of milliseconds of CPU, so it runs on the
//! blocking pool, never on the async runtime, and behind a semaphore with one permit
//! per core: a burst of sign-ins queues instead of exhausting memory or starving
//! every other request.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore as _;
use tokio::sync::Semaphore;

/// OWASP Password Storage Cheat Sheet, Argon2id first option.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// Why hashing failed (never because of the password's content).
#[derive(Debug, thiserror::Error)]
pub enum PasswordHashError {
    #[error("argon2: {0}")]
    Argon2(String),
    #[error("password hashing task failed: {0}")]
    Task(String),
}

/// The Argon2id instance with Canopy's parameters.
pub fn argon2id() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password synchronously (seeding, benchmarks); services use [`PasswordHasher`].
pub fn hash_blocking(password: &str) -> Result<String, PasswordHashError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordHashError::Argon2(e.to_string()))?;
    argon2id()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordHashError::Argon2(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`; a malformed `phc` never matches.
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2id().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Hashes and verifies off the runtime, at most one per core at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// A hash of a random password nobody knows: unknown emails are verified against
    /// it so that they take as long to refuse as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub async fn new() -> Result<Self, PasswordHashError> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let permits = Arc::new(Semaphore::new(cores));
        let mut unguessable = [0u8; 32];
        rand::rng().fill_bytes(&mut unguessable);
        let unguessable = data_encoding::HEXLOWER.encode(&unguessable);
        let dummy_hash = tokio::task::spawn_blocking(move || hash_blocking(&unguessable))
            .await
            .map_err(|e| PasswordHashError::Task(e.to_string()))??;
        Ok(Self { permits, dummy_hash: dummy_hash.into() })
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: &str) -> Result<String, PasswordHashError> {
        let _permit = self.permits.acquire().await.map_err(|e| PasswordHashError::Task(e.to_string()))?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(|e| PasswordHashError::Task(e.to_string()))?
    }

    /// Whether `password` matches `phc`; with `None`, verifies against the dummy hash
    /// (always false) so that the answer takes the same time.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool, PasswordHashError> {
        let _permit = self.permits.acquire().await.map_err(|e| PasswordHashError::Task(e.to_string()))?;
        let password = password.to_string();
        let (phc, real) = match phc {
            Some(phc) => (phc.to_string(), true),
            None => (self.dummy_hash.to_string(), false),
        };
        let matched = tokio::task::spawn_blocking(move || verify_blocking(&password, &phc))
            .await
            .map_err(|e| PasswordHashError::Task(e.to_string()))?;
        Ok(real && matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_phc_strings_with_owasp_parameters() {
        let hash = hash_blocking("vivid-otter-lantern-93").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_blocking("vivid-otter-lantern-93", &hash));
        assert!(!verify_blocking("vivid-otter-lantern-94", &hash));
        assert!(!verify_blocking("anything", "not a phc string"));
    }
}
