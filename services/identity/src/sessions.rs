//! Sessions, refresh-token families and MFA challenges, in Redis.
//!
//! A session is the kit's [`SessionRecord`] (every service checks it when verifying
//! an access token). Its refresh tokens form one *family*: each is 256 random bits,
//! handed out once and stored only as a SHA-256 digest under
//! `identity:refresh:<digest>` with the value `current:<sid>` or `used:<sid>`.
//! Presenting a token flips it from current to used atomically (a Lua script), so of
//! two concurrent refreshes with one token exactly one wins. Presenting a token that
//! is already used means it was copied — by an attacker or from a stolen backup — so
//! the whole session (the family) ends at once: the thief and the victim both have to
//! sign in again, and neither's access token works any more.
//!
//! Redis rather than PostgreSQL: the state is short-lived, written on every refresh,
//! read together with the session record that already lives there, and expires with
//! it; losing Redis loses sessions anyway.
//!
//! Every Redis use goes through the kit's bounded [`RedisStore::run`]; Redis down or
//! stalled makes these operations fail with [`SessionError::Redis`] within
//! `redis.command_timeout_ms`, which the API answers UNAVAILABLE (sign-in, refresh
//! and sign-out all refuse rather than hand out or end sessions they cannot record).

use canopy_kit::auth::{AccessClaims, SessionRecord, SessionStore, role_name};
use canopy_kit::clock::SharedClock;
use canopy_kit::redis_store::{RedisStore, RedisUnavailable};
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::{DateTime, Duration, Utc};
use redis::AsyncCommands as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::IdentityConfig;
use crate::domain::secrets;
use crate::keys::{KeyError, SigningKeys};

/// Why a session operation failed (our side: Redis or signing).
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("session store: {0}")]
    Redis(#[from] RedisUnavailable),
    #[error(transparent)]
    Keys(#[from] KeyError),
}

/// What a client receives for a new or refreshed session.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub access_token: String,
    pub access_expire_at: DateTime<Utc>,
    pub refresh_token: String,
    pub session_expire_at: DateTime<Utc>,
}

/// Who a session is for.
#[derive(Debug, Clone, Copy)]
pub struct SessionSubject {
    pub user_id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub role: Role,
}

/// What presenting a refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshClaim {
    /// The current token of session `0`; it is now spent.
    Current(String),
    /// A token of session `0` that was already spent: the family must end.
    Reused(String),
    /// Not a token identity issued (or its session ended long ago).
    Unknown,
}

/// An MFA challenge awaiting its code.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Challenge {
    user_id: Uuid,
    expire_at: DateTime<Utc>,
}

/// Atomically spends a current refresh token and reports what it was.
const CLAIM_REFRESH_SCRIPT: &str = r"
local value = redis.call('GET', KEYS[1])
if not value then return false end
if string.sub(value, 1, 8) == 'current:' then
  redis.call('SET', KEYS[1], 'used:' .. string.sub(value, 9), 'KEEPTTL')
end
return value
";

/// Issues, refreshes and ends sessions.
pub struct Sessions {
    store: SessionStore,
    redis: RedisStore,
    clock: SharedClock,
    issuer: String,
    audience: String,
    access_ttl: Duration,
    idle: Duration,
    absolute: Duration,
    challenge_ttl: Duration,
}

impl Sessions {
    pub fn new(store: SessionStore, redis: RedisStore, clock: SharedClock, config: &IdentityConfig) -> Self {
        Self {
            store,
            redis,
            clock,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            access_ttl: Duration::seconds(config.access_token_ttl_secs as i64),
            idle: Duration::seconds(config.session_idle_secs as i64),
            absolute: Duration::seconds(config.session_absolute_secs as i64),
            challenge_ttl: Duration::seconds(config.mfa_challenge_ttl_secs as i64),
        }
    }

    fn refresh_key(&self, digest: &[u8; 32]) -> String {
        self.redis.key(&format!("identity:refresh:{}", secrets::hex(digest)))
    }

    fn challenge_key(&self, digest: &[u8; 32]) -> String {
        self.redis.key(&format!("identity:mfa-challenge:{}", secrets::hex(digest)))
    }

    /// Starts a session for `subject` and signs its first tokens.
    pub async fn start(&self, subject: SessionSubject, keys: &SigningKeys) -> Result<IssuedSession, SessionError> {
        let now = self.clock.now();
        let absolute_expire_at = now + self.absolute;
        let record = SessionRecord {
            session_id: Uuid::new_v4().simple().to_string(),
            user_id: subject.user_id,
            tenant_id: subject.tenant_id,
            role: role_name(subject.role).to_string(),
            created_at: now,
            idle_expire_at: (now + self.idle).min(absolute_expire_at),
            absolute_expire_at,
        };
        self.issue(record, subject, keys, now).await
    }

    /// Renews a live session (after its refresh token was claimed) for `subject`,
    /// whose role may have changed since sign-in.
    pub async fn renew(
        &self,
        record: SessionRecord,
        subject: SessionSubject,
        keys: &SigningKeys,
    ) -> Result<IssuedSession, SessionError> {
        let now = self.clock.now();
        let record = SessionRecord {
            role: role_name(subject.role).to_string(),
            idle_expire_at: (now + self.idle).min(record.absolute_expire_at),
            ..record
        };
        self.issue(record, subject, keys, now).await
    }

    async fn issue(
        &self,
        record: SessionRecord,
        subject: SessionSubject,
        keys: &SigningKeys,
        now: DateTime<Utc>,
    ) -> Result<IssuedSession, SessionError> {
        let access_expire_at = now + self.access_ttl;
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: subject.user_id.to_string(),
            tid: subject.tenant_id.map(|t| t.to_string()),
            role: role_name(subject.role).to_string(),
            sid: record.session_id.clone(),
            jti: Uuid::new_v4().to_string(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: access_expire_at.timestamp(),
        };
        let access_token = keys.sign(&claims).await?;
        let (refresh_token, digest) = secrets::new_token();
        let ttl = (record.absolute_expire_at - now + Duration::minutes(5)).num_seconds().max(1) as u64;
        self.store.put(&record, now).await?;
        let key = self.refresh_key(&digest);
        let value = format!("current:{}", record.session_id);
        self.redis.run(|mut connection| async move { connection.set_ex::<_, _, ()>(key, value, ttl).await }).await?;
        Ok(IssuedSession {
            access_token,
            access_expire_at,
            refresh_token,
            session_expire_at: record.absolute_expire_at,
        })
    }

    /// Spends `refresh_token` and says whose it was.
    pub async fn claim_refresh_token(&self, refresh_token: &str) -> Result<RefreshClaim, SessionError> {
        let digest = secrets::digest(refresh_token);
        let key = self.refresh_key(&digest);
        let value: Option<String> = self
            .redis
            .run(|mut connection| async move {
                redis::Script::new(CLAIM_REFRESH_SCRIPT).key(key).invoke_async(&mut connection).await
            })
            .await?;
        Ok(match value {
            Some(value) => match value.split_once(':') {
                Some(("current", sid)) => RefreshClaim::Current(sid.to_string()),
                Some(("used", sid)) => RefreshClaim::Reused(sid.to_string()),
                _ => RefreshClaim::Unknown,
            },
            None => RefreshClaim::Unknown,
        })
    }

    /// The session if it is alive now.
    pub async fn alive(&self, session_id: &str) -> Result<Option<SessionRecord>, SessionError> {
        let now = self.clock.now();
        match self.store.get(session_id).await? {
            Some(record) if record.alive_at(now) => Ok(Some(record)),
            Some(record) => {
                self.store.revoke(&record).await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Ends one session, if it exists; returns it.
    pub async fn end(&self, session_id: &str) -> Result<Option<SessionRecord>, SessionError> {
        let record = self.store.get(session_id).await?;
        if let Some(record) = &record {
            self.store.revoke(record).await?;
        }
        Ok(record)
    }

    /// Ends every session of `user_id` except `keep`.
    pub async fn end_all(&self, user_id: Uuid, keep: Option<&str>) -> Result<usize, SessionError> {
        Ok(self.store.revoke_user(user_id, keep).await?)
    }

    /// A single-use MFA challenge for `user_id`: the token and when it expires.
    pub async fn new_challenge(&self, user_id: Uuid) -> Result<(String, DateTime<Utc>), SessionError> {
        let expire_at = self.clock.now() + self.challenge_ttl;
        let (token, digest) = secrets::new_token();
        let json = serde_json::to_string(&Challenge { user_id, expire_at }).expect("challenge serialises");
        let ttl = (self.challenge_ttl + Duration::minutes(1)).num_seconds() as u64;
        let key = self.challenge_key(&digest);
        self.redis.run(|mut connection| async move { connection.set_ex::<_, _, ()>(key, json, ttl).await }).await?;
        Ok((token, expire_at))
    }

    /// Spends a challenge (whatever the outcome of the code that comes with it, so
    /// each challenge allows one guess); returns its user if it was valid.
    pub async fn take_challenge(&self, token: &str) -> Result<Option<Uuid>, SessionError> {
        let digest = secrets::digest(token);
        let key = self.challenge_key(&digest);
        let json: Option<String> = self
            .redis
            .run(|mut connection| async move { redis::cmd("GETDEL").arg(key).query_async(&mut connection).await })
            .await?;
        let now = self.clock.now();
        Ok(json
            .and_then(|json| serde_json::from_str::<Challenge>(&json).ok())
            .filter(|challenge| challenge.expire_at > now)
            .map(|challenge| challenge.user_id))
    }
}
