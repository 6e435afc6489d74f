//! One request to a store and the causes every platform shares: connection failures
//! become [`StoreError::Unreachable`] (never quoting the URL, which may carry WooCommerce
//! keys in its query), and the common statuses their [`StoreError`] cause.

use std::time::Duration;

use bytes::Bytes;
use canopy_kit::http::{HttpClient, HttpError, HttpResponse};
use http::{HeaderMap, Method};

use crate::StoreError;

/// Sends one request; a connection failure is [`StoreError::Unreachable`].
pub(crate) async fn send(
    http: &HttpClient,
    method: Method,
    url: &str,
    headers: HeaderMap,
    body: Option<Bytes>,
) -> Result<HttpResponse, StoreError> {
    http.send(method, url, headers, body).await.map_err(unreachable)
}

fn unreachable(error: HttpError) -> StoreError {
    let reason = match error {
        // The URL itself is not repeated: a query string may hold credentials.
        HttpError::BadUrl(_) => "the store's address is not a valid http or https URL".to_string(),
        HttpError::Connect { host, reason } => format!("cannot connect to {host}: {reason}"),
        HttpError::Timeout(limit) => format!("no answer within {} s", limit.as_secs()),
        HttpError::TooLarge(limit) => {
            return StoreError::unexpected(200, format!("the answer is larger than {limit} bytes"));
        }
        HttpError::Protocol(reason) => format!("the connection failed: {reason}"),
        HttpError::PrivateAddress { host, address } => {
            format!(
                "{host} resolves to {address}, which is not a public address; Canopy only calls stores on the internet"
            )
        }
    };
    StoreError::Unreachable { reason }
}

/// The cause of a non-success answer by its status alone; `retry_after` is the wait a
/// 429 names in the platform's way.
pub(crate) fn by_status(response: &HttpResponse, retry_after: Option<Duration>, detail: String) -> StoreError {
    match response.status.as_u16() {
        401 => StoreError::Unauthorized,
        402 => StoreError::Frozen,
        403 => StoreError::MissingScope { missing: Vec::new() },
        404 => StoreError::NotFound,
        423 => StoreError::Locked,
        429 => StoreError::RateLimited { retry_after },
        status => StoreError::unexpected(status, detail),
    }
}

/// `Retry-After` in seconds (whole or decimal, as Shopify sends `2.0`) or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(text).ok()?;
    let wait = when.signed_duration_since(chrono::Utc::now()).to_std().unwrap_or_default();
    Some(wait)
}

/// A readable excerpt of a body, for [`StoreError::Unexpected`].
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() { "an empty answer".to_string() } else { text.chars().take(300).collect() }
}

/// A header value from text known to be valid (constants, or validated credentials).
pub(crate) fn header(text: &str) -> Result<http::HeaderValue, StoreError> {
    http::HeaderValue::from_str(text).map_err(|_| StoreError::Unexpected {
        status: 0,
        detail: "a credential contains characters a header cannot carry".into(),
    })
}
