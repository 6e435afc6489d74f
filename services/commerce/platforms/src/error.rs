//! Why a store check failed, as a cause a person understands, with a stable machine code
//! the commerce service stores. No variant carries a credential: details come from the
//! platform's error body (truncated) or from the connection, never from what was sent.

use std::time::Duration;

/// Why a store could not be reached or refused the check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// 401: the credentials are wrong or were revoked.
    #[error("the store refused the credentials: they are wrong or were revoked")]
    Unauthorized,
    /// 403, or the granted scopes lack some the integration needs.
    #[error("the credentials lack permissions the integration needs: {}", missing_list(.missing))]
    MissingScope { missing: Vec<String> },
    /// Shopify's 402 Payment Required: the store is frozen over an unpaid bill.
    #[error("the store is frozen: its owner has an unpaid bill with the platform")]
    Frozen,
    /// 423 Locked: the platform locked the store.
    #[error("the store is locked by the platform")]
    Locked,
    /// 429 or the platform's own throttling answer; retry after the wait when given.
    #[error("the store is rate limiting requests{}", wait(.retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// No connection, no answer in time, a TLS or DNS failure, or an address Canopy
    /// will not call.
    #[error("the store could not be reached: {reason}")]
    Unreachable { reason: String },
    /// 404: no such shop or store (a wrong domain, store hash or URL).
    #[error("no store was found there: check the shop domain, store hash or URL")]
    NotFound,
    /// Anything else: another status, or an answer not in the documented shape.
    #[error("the store answered unexpectedly ({status}): {detail}")]
    Unexpected { status: u16, detail: String },
}

impl StoreError {
    /// The stable machine code of the cause: `unauthorized`, `missing_scope`, `frozen`,
    /// `locked`, `rate_limited`, `unreachable`, `not_found` or `unexpected`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized => "unauthorized",
            Self::MissingScope { .. } => "missing_scope",
            Self::Frozen => "frozen",
            Self::Locked => "locked",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unreachable { .. } => "unreachable",
            Self::NotFound => "not_found",
            Self::Unexpected { .. } => "unexpected",
        }
    }

    /// Whether trying again later, unchanged, may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unreachable { .. })
    }

    /// The wait a rate limit names.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn unexpected(status: u16, detail: impl Into<String>) -> Self {
        Self::Unexpected { status, detail: truncate(detail.into()) }
    }
}

/// Every machine code, in the order of [`StoreError`]'s variants.
pub const ERROR_CODES: [&str; 8] =
    ["unauthorized", "missing_scope", "frozen", "locked", "rate_limited", "unreachable", "not_found", "unexpected"];

fn missing_list(missing: &[String]) -> String {
    if missing.is_empty() { "the platform did not say which".to_string() } else { missing.join(", ") }
}

fn wait(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(delay) => format!(" (retry after {} s)", delay.as_secs_f64().ceil() as u64),
        None => String::new(),
    }
}

/// A platform's error text is kept short: it is shown to people, not parsed.
fn truncate(mut text: String) -> String {
    const MAX: usize = 300;
    if text.len() > MAX {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}
