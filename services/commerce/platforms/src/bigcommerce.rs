//! BigCommerce: the store information call of the REST Management API (v2),
//! `GET {base}/stores/{store_hash}/v2/store` with `X-Auth-Token` and
//! `Accept: application/json`. Throttling is a 429 with `X-Rate-Limit-Time-Reset-Ms`
//! (the wait in milliseconds) and `X-Rate-Limit-Requests-Left`.

use std::time::Duration;

use canopy_kit::http::{HttpClient, HttpResponse};
use futures_util::future::BoxFuture;
use http::{HeaderMap, Method};
use secrecy::ExposeSecret as _;
use serde_json::Value;

use crate::transport::{by_status, excerpt, header, retry_after, send};
use crate::{AuthMethod, Credentials, Platform, StoreClient, StoreError, StoreInfo, wrong_platform};

/// BigCommerce's API host.
pub const API_BASE: &str = "https://api.bigcommerce.com";

/// The BigCommerce client.
pub struct BigCommerceClient {
    http: HttpClient,
    base_url: String,
}

impl BigCommerceClient {
    /// A client of the API at `base_url` ([`API_BASE`] in production).
    pub fn new(http: HttpClient, base_url: impl Into<String>) -> Self {
        Self { http, base_url: base_url.into().trim_end_matches('/').to_string() }
    }

    async fn check_store(&self, credentials: &Credentials) -> Result<StoreInfo, StoreError> {
        let Credentials::BigCommerce(store) = credentials else {
            return Err(wrong_platform(Platform::BigCommerce, credentials));
        };
        let url = format!("{}/stores/{}/v2/store", self.base_url, store.store_hash);
        let mut token = header(store.access_token.expose_secret())?;
        token.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("x-auth-token", token);
        headers.insert(http::header::ACCEPT, header("application/json")?);
        let response = send(&self.http, Method::GET, &url, headers, None).await?;
        if !response.status.is_success() {
            return Err(refusal(&response));
        }
        let answer: Value = serde_json::from_slice(&response.body)
            .map_err(|_| StoreError::unexpected(response.status.as_u16(), "the store answer is not JSON"))?;
        let text = |field: &str| answer.get(field).and_then(Value::as_str).map(str::to_string);
        if text("name").is_none() && text("domain").is_none() {
            return Err(StoreError::unexpected(response.status.as_u16(), "the store answer has no name or domain"));
        }
        Ok(StoreInfo {
            platform: Platform::BigCommerce,
            name: text("name"),
            domain: text("domain"),
            currency: text("currency"),
            granted_scopes: Vec::new(),
            auth_method: AuthMethod::AuthToken,
        })
    }
}

impl StoreClient for BigCommerceClient {
    fn platform(&self) -> Platform {
        Platform::BigCommerce
    }

    fn check<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<StoreInfo, StoreError>> {
        Box::pin(self.check_store(credentials))
    }
}

/// The wait BigCommerce names: `X-Rate-Limit-Time-Reset-Ms`, else `Retry-After`.
pub fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    let reset = headers
        .get("x-rate-limit-time-reset-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    reset.map(Duration::from_millis).or_else(|| retry_after(headers))
}

/// BigCommerce's errors: v2 answers a list `[{"status", "message"}]`, v3 an object
/// `{"status", "title", "type"}`; the message is kept for unexpected statuses.
fn refusal(response: &HttpResponse) -> StoreError {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let first = body.as_array().and_then(|list| list.first()).unwrap_or(&body);
    let detail = ["message", "title"]
        .iter()
        .find_map(|field| first.get(*field).and_then(Value::as_str))
        .map(str::to_string)
        .unwrap_or_else(|| excerpt(&response.body));
    by_status(response, rate_limit_wait(&response.headers), detail)
}
