//! A process-local cache of live sessions, for the gateway's hot path: a cached
//! session is checked without a Redis round trip.
//!
//! Revocation bound: a session revoked through [`SessionStore::revoke`] or
//! [`SessionStore::revoke_user`] (sign-out, password change, admin disable — every
//! revocation identity makes) is announced on the `session-revocations` channel and
//! dropped from the cache when the announcement arrives. Whatever happens to the
//! announcement, a cached session is never trusted longer than the cache's time to
//! live after it was read from Redis, which is therefore the stated upper bound.
//! The cache is only used while its subscription is up: before it is established,
//! and from the moment it is lost until it is back, every check asks Redis (and the
//! cache is emptied), because announcements made meanwhile are lost.
//!
//! Only live sessions are cached; "ended" and "Redis unavailable" are never cached. A
//! cached session is still checked against the clock on every use (idle and absolute
//! timeouts); one that looks ended is looked up again, since a refresh may have
//! extended it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use moka::future::Cache;

use super::AuthError;
use super::sessions::{REVOCATIONS_CHANNEL, SessionRecord, SessionStore};

/// Most sessions kept; past it the least used are dropped first.
const MAX_CACHED_SESSIONS: u64 = 100_000;
/// Pause between attempts to (re)subscribe while Redis is unreachable.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(1);

/// Live sessions by id, invalidated by revocation announcements.
pub struct SessionCache {
    store: SessionStore,
    records: Cache<String, SessionRecord>,
    /// Whether announcements reach this process now; the cache is bypassed otherwise.
    subscribed: AtomicBool,
    /// Bumped by every invalidation, so a lookup that read Redis before a revocation
    /// and finishes after its announcement does not store what it read.
    generation: AtomicU64,
}

impl SessionCache {
    /// A cache over `store` whose entries live at most `ttl`: the revocation bound.
    /// Nothing is cached until [`listen`](Self::listen) has subscribed.
    pub fn new(store: SessionStore, ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            store,
            records: Cache::builder().max_capacity(MAX_CACHED_SESSIONS).time_to_live(ttl).build(),
            subscribed: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        })
    }

    /// [`SessionStore::check`], answered from the cache when it can be.
    pub async fn check(&self, session_id: &str, now: DateTime<Utc>) -> Result<SessionRecord, AuthError> {
        if self.subscribed.load(Ordering::SeqCst)
            && let Some(record) = self.records.get(session_id).await
            && record.alive_at(now)
        {
            return Ok(record);
        }
        // Boxed: the Redis path's future is large and would otherwise be copied on
        // every call, cache hits included.
        Box::pin(self.check_in_redis(session_id, now)).await
    }

    async fn check_in_redis(&self, session_id: &str, now: DateTime<Utc>) -> Result<SessionRecord, AuthError> {
        let generation = self.generation.load(Ordering::SeqCst);
        let record = self.store.check(session_id, now).await?;
        if self.subscribed.load(Ordering::SeqCst) && self.generation.load(Ordering::SeqCst) == generation {
            self.records.insert(session_id.to_string(), record.clone()).await;
            // An invalidation between the check above and the insert would otherwise
            // be overwritten by the stale record.
            if self.generation.load(Ordering::SeqCst) != generation {
                self.records.invalidate(session_id).await;
            }
        }
        Ok(record)
    }

    fn forget(&self, session_id: Option<&str>) -> impl Future<Output = ()> + '_ {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let session_id = session_id.map(str::to_string);
        async move {
            match session_id {
                Some(session_id) => self.records.invalidate(&session_id).await,
                None => self.records.invalidate_all(),
            }
        }
    }

    /// Follows the revocation announcements for as long as the cache exists:
    /// subscribes, drops each announced session, and on losing the subscription
    /// empties the cache and subscribes again. Spawn it once per cache.
    pub async fn listen(cache: Weak<Self>) {
        loop {
            let Some(redis) = cache.upgrade().map(|cache| cache.store.redis().clone()) else {
                return;
            };
            let mut messages = match redis.subscribe(REVOCATIONS_CHANNEL).await {
                Ok(messages) => messages,
                Err(error) => {
                    tracing::warn!(%error, "cannot subscribe to session revocations; checking Redis on every call");
                    tokio::time::sleep(RESUBSCRIBE_AFTER).await;
                    continue;
                }
            };
            {
                let Some(cache) = cache.upgrade() else { return };
                // Revocations before this point were not heard: start empty.
                cache.forget(None).await;
                cache.subscribed.store(true, Ordering::SeqCst);
            }
            while let Some(message) = messages.next().await {
                let Some(cache) = cache.upgrade() else { return };
                match message.get_payload::<String>() {
                    Ok(session_id) => cache.forget(Some(&session_id)).await,
                    // Unreadable: it still named some session, so forget them all.
                    Err(_) => cache.forget(None).await,
                }
            }
            let Some(cache) = cache.upgrade() else { return };
            cache.subscribed.store(false, Ordering::SeqCst);
            cache.forget(None).await;
            tracing::warn!("lost the session revocation subscription; checking Redis on every call until it is back");
            tokio::time::sleep(RESUBSCRIBE_AFTER).await;
        }
    }
}
