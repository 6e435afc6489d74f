//! Why a collection or a configuration failed, in words an operator can act on.

use std::time::Duration;

/// Why a collection returned no records.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    /// 401/403 (or the provider's equivalent): the credentials or their permissions were
    /// refused. Retrying does not help until the account is fixed.
    #[error("the provider refused the credentials or their permissions ({status}): {message}")]
    Refused { status: u16, message: String },
    /// Still throttled after the retries within the call, or asked to wait over a minute.
    #[error("the provider is throttling requests{}: {message}", wait(retry_after))]
    Throttled { retry_after: Option<Duration>, message: String },
    /// No connection or no answer in time.
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    /// Any other HTTP error (5xx, 4xx other than refusal and throttling).
    #[error("the provider answered with an error ({status}): {message}")]
    Failed { status: u16, message: String },
    /// The answer is not in the documented shape.
    #[error("the provider's answer is not in the documented shape: {0}")]
    Malformed(String),
}

fn wait(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(delay) => format!(" (retry after {} s)", delay.as_secs()),
        None => String::new(),
    }
}

/// A configuration a collector cannot be built from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    /// The field at fault, as written in the configuration.
    pub field: &'static str,
    pub reason: String,
}

impl ConfigError {
    pub(crate) fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}
