//! One request to a billing API, with the throttling rule every collector shares: on a
//! throttled answer wait as the provider asks (or back off 0.5, 1, 2 s when it does not
//! say), at most three times and only when the wait is at most a minute; then give up
//! with [`CollectError::Throttled`] carrying the wait. 401/403 are [`CollectError::Refused`],
//! other errors [`CollectError::Failed`] with the provider's own message.

use std::time::Duration;

use bytes::Bytes;
use canopy_kit::http::{HttpClient, HttpError, HttpResponse};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::de::DeserializeOwned;

use crate::CollectError;

/// Retries after throttling within one call.
pub(crate) const MAX_RETRIES: u32 = 3;
/// The longest wait honoured within a call.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(60);
/// The first backoff when the provider names no wait.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// How a provider's answer reads, beyond the status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Success,
    /// Throttled; the wait the provider asked for, if it said.
    Throttled(Option<Duration>),
    Refused,
    Failed,
}

/// What a provider module tells the shared loop about its answers.
pub(crate) trait Dialect: Send + Sync {
    /// The provider's name in messages ("AWS Cost Explorer").
    fn name(&self) -> &'static str;

    /// The verdict on an answer. The default: 2xx success, 429 throttled (wait from
    /// `Retry-After`), 401/403 refused, anything else failed.
    fn verdict(&self, response: &HttpResponse) -> Verdict {
        standard_verdict(response, retry_after(response))
    }
}

/// 2xx success, 429 throttled with `wait`, 401/403 refused, else failed.
pub(crate) fn standard_verdict(response: &HttpResponse, wait: Option<Duration>) -> Verdict {
    match response.status {
        status if status.is_success() => Verdict::Success,
        StatusCode::TOO_MANY_REQUESTS => Verdict::Throttled(wait),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Verdict::Refused,
        _ => Verdict::Failed,
    }
}

/// `Retry-After` in seconds or as an HTTP date.
pub(crate) fn retry_after(response: &HttpResponse) -> Option<Duration> {
    let value = response.headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// A header holding whole seconds.
pub(crate) fn seconds_header(response: &HttpResponse, name: &str) -> Option<Duration> {
    let value = response.headers.get(name)?.to_str().ok()?.trim();
    value.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

/// A header holding a Unix time; the wait until then.
pub(crate) fn reset_header(response: &HttpResponse, name: &str) -> Option<Duration> {
    let at: i64 = response.headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
    let wait = at - chrono::Utc::now().timestamp();
    Some(Duration::from_secs(wait.max(0) as u64))
}

/// One request, built afresh for every attempt (signatures and tokens are per attempt).
pub(crate) struct Call {
    pub method: Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Option<Bytes>,
}

impl Call {
    pub fn get(url: impl Into<String>) -> Self {
        Self { method: Method::GET, url: url.into(), headers: HeaderMap::new(), body: None }
    }

    pub fn post(url: impl Into<String>, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Self { method: Method::POST, url: url.into(), headers, body: Some(body.into()) }
    }

    pub fn bearer(mut self, token: &str) -> Result<Self, CollectError> {
        let value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| CollectError::Malformed("the access token is not a header value".into()))?;
        self.headers.insert(http::header::AUTHORIZATION, value);
        Ok(self)
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Result<Self, CollectError> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| CollectError::Malformed(format!("{name} is not a header value")))?;
        self.headers.insert(name, value);
        Ok(self)
    }
}

/// Sends what `build` makes until it succeeds or the throttling rule gives up.
pub(crate) async fn send(
    http: &HttpClient,
    dialect: &dyn Dialect,
    mut build: impl FnMut() -> Result<Call, CollectError>,
) -> Result<HttpResponse, CollectError> {
    let mut retries = 0;
    loop {
        let call = build()?;
        let response = http
            .send(call.method, &call.url, call.headers, call.body)
            .await
            .map_err(|error| transport_error(dialect.name(), error))?;
        match dialect.verdict(&response) {
            Verdict::Success => return Ok(response),
            Verdict::Refused => {
                return Err(CollectError::Refused {
                    status: response.status.as_u16(),
                    message: message(dialect, &response),
                });
            }
            Verdict::Failed => {
                return Err(CollectError::Failed {
                    status: response.status.as_u16(),
                    message: message(dialect, &response),
                });
            }
            Verdict::Throttled(asked) => {
                let wait = asked.unwrap_or(FIRST_BACKOFF * 2u32.pow(retries));
                if retries >= MAX_RETRIES || wait > MAX_WAIT {
                    return Err(CollectError::Throttled { retry_after: asked, message: message(dialect, &response) });
                }
                tracing::debug!(provider = dialect.name(), wait_ms = wait.as_millis() as u64, "throttled, waiting");
                tokio::time::sleep(wait).await;
                retries += 1;
            }
        }
    }
}

/// The JSON body of a successful answer as `T`.
pub(crate) fn json<T: DeserializeOwned>(
    dialect: &dyn Dialect,
    what: &str,
    response: &HttpResponse,
) -> Result<T, CollectError> {
    serde_json::from_slice(&response.body).map_err(|error| {
        CollectError::Malformed(format!("{}: the {what} is not in the documented shape: {error}", dialect.name()))
    })
}

fn transport_error(provider: &str, error: HttpError) -> CollectError {
    match error {
        HttpError::TooLarge(limit) => {
            CollectError::Malformed(format!("{provider}: an answer is larger than {limit} bytes"))
        }
        other => CollectError::Unreachable(format!("{provider}: {other}")),
    }
}

/// The provider's own error message (the JSON fields the five APIs use), else the start
/// of the body. Never anything sent: only what came back.
fn message(dialect: &dyn Dialect, response: &HttpResponse) -> String {
    let text = serde_json::from_slice::<serde_json::Value>(&response.body).ok().and_then(|body| {
        let candidates = [
            body.pointer("/error/message"),
            body.pointer("/message"),
            body.pointer("/Message"),
            body.pointer("/errors/0/reason"),
            body.pointer("/error_description"),
            body.pointer("/error"),
            body.pointer("/__type"),
        ];
        candidates.into_iter().flatten().find_map(|value| value.as_str().map(str::to_string))
    });
    let text = text.unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned());
    let text: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    let status = response.status;
    if text.trim().is_empty() {
        format!("{} answered {status}", dialect.name())
    } else {
        format!("{}: {text}", dialect.name())
    }
}
