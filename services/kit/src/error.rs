//! The one error model of every Canopy API: a small closed set of codes, each mapped
//! once to a `tonic::Code`, carrying `google.rpc` details (`BadRequest` field
//! violations, `ErrorInfo` reason, `RetryInfo`). Errors that are our fault are logged
//! with their whole cause chain and reach the caller only as a generic message.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// `ErrorInfo.domain` of every Canopy error.
pub const ERROR_DOMAIN: &str = "canopy.dev";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, e.g. `site.name` or `labels[env]`.
    pub field: String,
    /// What is wrong and what would be accepted, lowercase, no trailing period.
    pub description: String,
}

impl FieldViolation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

/// An error an API returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; every violation names its field.
    #[error("invalid argument: {}", describe(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// The resource does not exist, or the caller may not know it does.
    #[error("{resource} not found")]
    NotFound { resource: &'static str },
    /// A unique value is taken.
    #[error("{resource} already exists")]
    AlreadyExists { resource: &'static str },
    /// The system is not in a state that allows the call (suspended tenant, busy site).
    #[error("{message}")]
    FailedPrecondition { reason: &'static str, message: String },
    /// No or invalid credentials.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    /// Valid credentials that may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// A rate limit or quota; retry after the delay.
    #[error("{message}")]
    ResourceExhausted { reason: &'static str, message: String, retry_after: Duration },
    /// A dependency is down; the call may be retried.
    #[error("{0} is unavailable")]
    Unavailable(&'static str),
    /// Our fault. The source is logged, never returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// A peer service's refusal, passed on as it came: code, reason, message,
    /// field violations and retry delay (see [`ApiError::from_peer`]).
    #[error("{}", .0.message)]
    Peer(PeerRefusal),
}

/// What a peer answered, kept whole so the caller sees the peer's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRefusal {
    pub peer: &'static str,
    pub code: Code,
    pub reason: String,
    pub message: String,
    pub violations: Vec<FieldViolation>,
    pub retry_after: Option<Duration>,
}

fn describe(violations: &[FieldViolation]) -> String {
    violations.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; ")
}

impl ApiError {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation::new(field, description)])
    }

    /// INVALID_ARGUMENT with every violation collected, or `Ok` when there is none.
    pub fn refuse_if_any(violations: Vec<FieldViolation>) -> Result<(), Self> {
        if violations.is_empty() { Ok(()) } else { Err(Self::InvalidArgument(violations)) }
    }

    /// An internal error from anything that converts into `anyhow::Error`.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self::Internal(source.into())
    }

    /// A peer's `Status` as a typed error: unreachable, timed-out and failing peers
    /// become UNAVAILABLE naming the peer (the caller may retry; nothing of the peer's
    /// internals leaks); a refusal keeps its code, `ErrorInfo.reason`, message,
    /// `BadRequest` field violations and `RetryInfo`.
    pub fn from_peer(peer: &'static str, status: Status) -> Self {
        match status.code() {
            Code::Unavailable | Code::Unknown | Code::Internal | Code::DataLoss | Code::Unimplemented => {
                tracing::warn!(peer, code = ?status.code(), message = status.message(), "peer call failed");
                Self::Unavailable(peer)
            }
            code => {
                let details = status.get_error_details();
                let reason = details
                    .error_info()
                    .map(|info| info.reason.clone())
                    .unwrap_or_else(|| format!("{code:?}").to_uppercase());
                let violations = details
                    .bad_request()
                    .map(|bad| {
                        bad.field_violations
                            .iter()
                            .map(|v| FieldViolation::new(v.field.clone(), v.description.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                let retry_after = details.retry_info().and_then(|retry| retry.retry_delay);
                Self::Peer(PeerRefusal {
                    peer,
                    code,
                    reason,
                    message: status.message().to_string(),
                    violations,
                    retry_after,
                })
            }
        }
    }

    /// One caller's copy of an error several callers share (a coalesced cache lookup
    /// hands every waiter the same `Arc`). An internal error's source is kept as its
    /// message chain, since `anyhow::Error` cannot be cloned.
    pub fn from_shared(error: std::sync::Arc<ApiError>) -> Self {
        let error = match std::sync::Arc::try_unwrap(error) {
            Ok(error) => return error,
            Err(shared) => shared,
        };
        match &*error {
            Self::InvalidArgument(violations) => Self::InvalidArgument(violations.clone()),
            Self::NotFound { resource } => Self::NotFound { resource },
            Self::AlreadyExists { resource } => Self::AlreadyExists { resource },
            Self::FailedPrecondition { reason, message } => {
                Self::FailedPrecondition { reason, message: message.clone() }
            }
            Self::Unauthenticated(message) => Self::Unauthenticated(message),
            Self::PermissionDenied(message) => Self::PermissionDenied(message.clone()),
            Self::ResourceExhausted { reason, message, retry_after } => {
                Self::ResourceExhausted { reason, message: message.clone(), retry_after: *retry_after }
            }
            Self::Unavailable(what) => Self::Unavailable(what),
            Self::Internal(source) => Self::Internal(anyhow::anyhow!("{source:#}")),
            Self::Peer(refusal) => Self::Peer(refusal.clone()),
        }
    }

    /// The gRPC code this error is answered with.
    pub fn grpc_code(&self) -> Code {
        self.code()
    }

    /// The `ErrorInfo.reason` this error carries.
    pub fn reason(&self) -> &str {
        match self {
            Self::InvalidArgument(_) => "INVALID_ARGUMENT",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::AlreadyExists { .. } => "ALREADY_EXISTS",
            Self::FailedPrecondition { reason, .. } => reason,
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::PermissionDenied(_) => "PERMISSION_DENIED",
            Self::ResourceExhausted { reason, .. } => reason,
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
            Self::Peer(refusal) => &refusal.reason,
        }
    }

    fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::FailedPrecondition { .. } => Code::FailedPrecondition,
            Self::Unauthenticated(_) => Code::Unauthenticated,
            Self::PermissionDenied(_) => Code::PermissionDenied,
            Self::ResourceExhausted { .. } => Code::ResourceExhausted,
            Self::Unavailable(_) => Code::Unavailable,
            Self::Internal(_) => Code::Internal,
            Self::Peer(refusal) => refusal.code,
        }
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Status {
        if let ApiError::Internal(source) = &error {
            tracing::error!(error = format!("{source:#}"), "internal error");
        }
        let mut details = ErrorDetails::with_error_info(error.reason(), ERROR_DOMAIN, []);
        match &error {
            ApiError::InvalidArgument(violations) => {
                for v in violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
            }
            ApiError::ResourceExhausted { retry_after, .. } => {
                details.set_retry_info(Some(*retry_after));
            }
            ApiError::Peer(refusal) => {
                for v in &refusal.violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                if refusal.retry_after.is_some() {
                    details.set_retry_info(refusal.retry_after);
                }
            }
            _ => {}
        }
        Status::with_error_details(error.code(), error.to_string(), details)
    }
}

/// The one place SQLSTATEs become API errors. `resource` names what the statement
/// wrote, for the caller's message.
pub fn from_sqlx(error: sqlx::Error, resource: &'static str) -> ApiError {
    match &error {
        sqlx::Error::RowNotFound => ApiError::NotFound { resource },
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("23505") => ApiError::AlreadyExists { resource },
            // A foreign key naming a row the tenant cannot see looks like a missing row.
            Some("23503") => ApiError::NotFound { resource },
            // A character the database cannot store (NUL). The request boundary refuses
            // NUL before a handler runs; this keeps anything it missed the caller's fault.
            Some("22021") | Some("22P05") => ApiError::invalid(resource, "contains a character that cannot be stored"),
            Some("40001") | Some("40P01") => ApiError::Unavailable("database (serialization conflict, retry)"),
            _ => ApiError::internal(error),
        },
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => ApiError::Unavailable("database"),
        _ => ApiError::internal(error),
    }
}
