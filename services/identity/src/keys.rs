//! Token-signing keys: Ed25519, generated here from a random seed, stored with the
//! seed sealed under the KEK (kid as associated data), published through
//! `CredentialService.ListVerificationKeys`, and rotated without downtime.
//!
//! A key goes *next* → *active* → *retired*. The next key is published before it
//! signs anything, so every verifier that has read the key set already knows it when
//! a rotation makes it active: no verifier meets an unknown kid after a rotation, and
//! none has to wait for its refresh rate cap. Rotation retires the active key,
//! activates the next one and creates a new next key, in one transaction under an
//! advisory lock (partial unique indexes allow one active and one next key). A
//! retired key stays published until every token it signed has expired (the maximum
//! token lifetime plus clock leeway), so tokens issued just before a rotation keep
//! verifying everywhere.
//!
//! Each replica caches the active key for a few seconds; a rotation done by another
//! replica reaches it within that time, and the retired key verifies meanwhile.

use std::time::{Duration as StdDuration, Instant};

use canopy_kit::auth::{ACCESS_TOKEN_TYPE, AccessClaims};
use canopy_kit::clock::SharedClock;
use canopy_kit::db::{Database, Scope};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore as _;
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::config::MAX_ACCESS_TOKEN_TTL_SECS;
use crate::domain::sealing::{KeyEncryptionKey, UnsealError};
use crate::store::Tx;
use crate::store::signing_keys::{self, SigningKeyRow};

/// The only algorithm identity signs with.
pub const ALGORITHM: &str = "EdDSA";
/// Clock skew allowed for on top of a token's lifetime before a retired key goes.
const RETIRED_KEY_LEEWAY: Duration = Duration::seconds(60);
/// How far ahead an active or next key is declared valid. Verifiers cache keys and
/// re-read them on an unknown kid, so this only needs to outlast any cache; the
/// retirement time replaces it as soon as verifiers re-read the set.
const UNRETIRED_KEY_HORIZON: Duration = Duration::days(3650);
/// How long a replica signs with its cached idea of the active key.
const ACTIVE_KEY_CACHE: StdDuration = StdDuration::from_secs(10);

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// Why a key operation failed (always our fault, never the caller's).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing keys: database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("signing key {kid}: {source}")]
    Unseal {
        kid: String,
        #[source]
        source: UnsealError,
    },
    #[error("signing key {kid}: stored seed is not 32 bytes")]
    BadSeed { kid: String },
    #[error("signing a token: {0}")]
    Sign(String),
    #[error("no active signing key")]
    NoActiveKey,
}

/// A key as published to verifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedKey {
    pub kid: String,
    pub public_key: Vec<u8>,
    pub verify_until: DateTime<Utc>,
}

/// Keys created by a start-up or rotation, for security events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyChanges {
    pub created: Vec<String>,
    pub activated: Option<String>,
    pub retired: Option<String>,
}

struct ActiveKey {
    kid: String,
    encoding: EncodingKey,
    loaded: Instant,
}

/// Signs access tokens with the active key.
pub struct SigningKeys {
    database: Database,
    kek: KeyEncryptionKey,
    clock: SharedClock,
    active: RwLock<Option<ActiveKey>>,
}

impl SigningKeys {
    /// Loads the active key, creating the active and next keys when missing.
    /// Replicas starting together serialise on an advisory lock.
    pub async fn start(
        database: Database,
        kek: KeyEncryptionKey,
        clock: SharedClock,
    ) -> Result<(Self, KeyChanges), KeyError> {
        let keys = Self { database, kek, clock, active: RwLock::new(None) };
        let now = keys.clock.now();
        let mut changes = KeyChanges::default();
        let mut tx = keys.database.begin(Scope::Unscoped).await?;
        signing_keys::lock_keys(&mut tx).await?;
        if signing_keys::active(&mut tx).await?.is_none() {
            changes.created.push(keys.create(&mut tx, Some(now)).await?);
        }
        if signing_keys::next(&mut tx).await?.is_none() {
            changes.created.push(keys.create(&mut tx, None).await?);
        }
        tx.commit().await?;
        keys.reload().await?;
        Ok((keys, changes))
    }

    async fn create(&self, tx: &mut Tx, activated_at: Option<DateTime<Utc>>) -> Result<String, KeyError> {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        let public_key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key().to_bytes().to_vec();
        let kid = Uuid::now_v7().simple().to_string();
        let private_key_sealed = self.kek.seal(kid.as_bytes(), &seed);
        let row = SigningKeyRow {
            kid: kid.clone(),
            algorithm: ALGORITHM.into(),
            public_key,
            private_key_sealed,
            created_at: self.clock.now(),
            activated_at,
            retired_at: None,
        };
        signing_keys::insert(tx, &row).await?;
        Ok(kid)
    }

    fn encoding_key(&self, row: &SigningKeyRow) -> Result<EncodingKey, KeyError> {
        let seed = self
            .kek
            .open(row.kid.as_bytes(), &row.private_key_sealed)
            .map_err(|source| KeyError::Unseal { kid: row.kid.clone(), source })?;
        if seed.len() != 32 {
            return Err(KeyError::BadSeed { kid: row.kid.clone() });
        }
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        Ok(EncodingKey::from_ed_der(&der))
    }

    async fn reload(&self) -> Result<(), KeyError> {
        let mut tx = self.database.begin(Scope::Unscoped).await?;
        let row = signing_keys::active(&mut tx).await?.ok_or(KeyError::NoActiveKey)?;
        tx.commit().await?;
        let encoding = self.encoding_key(&row)?;
        *self.active.write().await = Some(ActiveKey { kid: row.kid, encoding, loaded: Instant::now() });
        Ok(())
    }

    /// Signs `claims` as an access token (`typ: at+jwt`, `kid` of the active key).
    pub async fn sign(&self, claims: &AccessClaims) -> Result<String, KeyError> {
        let stale = self.active.read().await.as_ref().is_none_or(|key| key.loaded.elapsed() > ACTIVE_KEY_CACHE);
        if stale {
            self.reload().await?;
        }
        let active = self.active.read().await;
        let key = active.as_ref().ok_or(KeyError::NoActiveKey)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(ACCESS_TOKEN_TYPE.into());
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).map_err(|e| KeyError::Sign(e.to_string()))
    }

    /// Retires the active key, activates the next one and creates a new next key.
    /// Returns the newly active key and what changed.
    pub async fn rotate(&self) -> Result<(PublishedKey, KeyChanges), KeyError> {
        let now = self.clock.now();
        let mut changes = KeyChanges::default();
        let mut tx = self.database.begin(Scope::Unscoped).await?;
        signing_keys::lock_keys(&mut tx).await?;
        changes.retired = signing_keys::active(&mut tx).await?.map(|row| row.kid);
        signing_keys::retire_active(&mut tx, now).await?;
        let activated = match signing_keys::next(&mut tx).await? {
            Some(next) => {
                signing_keys::activate(&mut tx, &next.kid, now).await?;
                next.kid
            }
            None => {
                let kid = self.create(&mut tx, Some(now)).await?;
                changes.created.push(kid.clone());
                kid
            }
        };
        changes.created.push(self.create(&mut tx, None).await?);
        let row = signing_keys::active(&mut tx).await?.ok_or(KeyError::NoActiveKey)?;
        tx.commit().await?;
        changes.activated = Some(activated);
        self.reload().await?;
        Ok((
            PublishedKey { kid: row.kid, public_key: row.public_key, verify_until: now + UNRETIRED_KEY_HORIZON },
            changes,
        ))
    }

    /// The next and active keys, and every retired key whose tokens may still be valid.
    pub async fn published(&self) -> Result<Vec<PublishedKey>, KeyError> {
        let now = self.clock.now();
        let token_lifetime = Duration::seconds(MAX_ACCESS_TOKEN_TTL_SECS as i64) + RETIRED_KEY_LEEWAY;
        let mut tx = self.database.begin(Scope::Unscoped).await?;
        let rows = signing_keys::published(&mut tx, now - token_lifetime).await?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .map(|row| PublishedKey {
                verify_until: match row.retired_at {
                    Some(retired) => retired + token_lifetime,
                    None => now + UNRETIRED_KEY_HORIZON,
                },
                kid: row.kid,
                public_key: row.public_key,
            })
            .collect())
    }
}
