//! Shopify: the Admin GraphQL API at a pinned version and the OAuth endpoints.
//!
//! * `POST {base}/admin/api/{SHOPIFY_API_VERSION}/graphql.json` with
//!   `{ shop { name myshopifyDomain } }` and `X-Shopify-Access-Token`: the identity call.
//!   GraphQL errors come back as 200 with `errors`: `THROTTLED` (with
//!   `extensions.cost.throttleStatus`, from which the wait is computed) and
//!   `ACCESS_DENIED` are causes; anything else is unexpected.
//! * `GET {base}/admin/oauth/access_scopes.json`: the scopes granted to the token,
//!   compared with the required ones (a `write_` scope includes its `read_`).
//! * `POST {base}/admin/oauth/access_token` (form: `grant_type=client_credentials`,
//!   `client_id`, `client_secret`) → `{access_token, scope, expires_in}` for apps whose
//!   tokens expire. Tokens are cached per shop and client id and renewed before expiry
//!   (a margin of 10% of their lifetime, at most five minutes), read from an injectable
//!   clock so tests move time instead of waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use canopy_kit::clock::{SharedClock, SystemClock};
use canopy_kit::http::{HttpClient, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use http::{HeaderMap, Method};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::transport::{by_status, excerpt, header, retry_after, send};
use crate::{AuthMethod, Credentials, Platform, ShopifyAuth, StoreClient, StoreError, StoreInfo, wrong_platform};

/// The Admin API version every request names (Shopify supports a version for a year).
pub const SHOPIFY_API_VERSION: &str = "2025-10";

/// The identity query.
pub const SHOP_QUERY: &str = "{ shop { name myshopifyDomain } }";

/// The longest margin before expiry at which a cached token is renewed, in seconds.
const MAX_REFRESH_MARGIN_SECONDS: i64 = 300;

/// How the Shopify client reaches shops and what it requires of them.
#[derive(Clone)]
pub struct ShopifyConfig {
    /// Every shop is reached at this URL instead of `https://{shop_domain}` (stand-ins).
    pub base_url: Option<String>,
    /// The scopes a check requires; missing ones are [`StoreError::MissingScope`].
    pub required_scopes: Vec<String>,
    /// When cached client-credentials tokens expire is read from this clock.
    pub clock: SharedClock,
}

impl Default for ShopifyConfig {
    fn default() -> Self {
        Self {
            base_url: None,
            required_scopes: vec!["read_products".into(), "read_orders".into()],
            clock: Arc::new(SystemClock),
        }
    }
}

/// A client-credentials token and when it stops working.
struct CachedToken {
    token: SecretString,
    expires_at: DateTime<Utc>,
    refresh_at: DateTime<Utc>,
}

/// The Shopify client.
pub struct ShopifyClient {
    http: HttpClient,
    config: ShopifyConfig,
    /// Keyed by (shop domain, client id).
    tokens: Mutex<HashMap<(String, String), CachedToken>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

#[derive(Deserialize)]
struct ScopesAnswer {
    access_scopes: Vec<Scope>,
}

#[derive(Deserialize)]
struct Scope {
    handle: String,
}

impl ShopifyClient {
    pub fn new(http: HttpClient, config: ShopifyConfig) -> Self {
        Self { http, config, tokens: Mutex::new(HashMap::new()) }
    }

    fn base(&self, shop_domain: &str) -> String {
        match &self.config.base_url {
            Some(base) => base.trim_end_matches('/').to_string(),
            None => format!("https://{shop_domain}"),
        }
    }

    /// Forgets every cached client-credentials token.
    pub fn forget_tokens(&self) {
        lock(&self.tokens).clear();
    }

    /// A usable token for a client-credentials app: the cached one while it is
    /// before its renewal time, otherwise a new one. `fresh` is true when fetched now.
    async fn client_token(
        &self,
        base: &str,
        shop_domain: &str,
        client_id: &str,
        client_secret: &SecretString,
    ) -> Result<(SecretString, bool), StoreError> {
        let key = (shop_domain.to_string(), client_id.to_string());
        let now = self.config.clock.now();
        if let Some(cached) = lock(&self.tokens).get(&key)
            && now < cached.refresh_at
            && now < cached.expires_at
        {
            return Ok((cached.token.clone(), false));
        }
        let body = format!(
            "grant_type=client_credentials&client_id={}&client_secret={}",
            encode(client_id),
            encode(client_secret.expose_secret())
        );
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_TYPE, header("application/x-www-form-urlencoded")?);
        headers.insert(http::header::ACCEPT, header("application/json")?);
        let url = format!("{base}/admin/oauth/access_token");
        let response = send(&self.http, Method::POST, &url, headers, Some(Bytes::from(body))).await?;
        if !response.status.is_success() {
            return Err(token_refusal(&response));
        }
        let answer: TokenAnswer = serde_json::from_slice(&response.body).map_err(|_| {
            StoreError::unexpected(response.status.as_u16(), "the access token answer is not in the documented shape")
        })?;
        let issued_at = self.config.clock.now();
        // Shopify's client-credentials tokens last 24 hours; a token without
        // `expires_in` is used for an hour before asking again.
        let lifetime = chrono::Duration::seconds(answer.expires_in.unwrap_or(3600).max(0));
        let margin = (lifetime / 10).min(chrono::Duration::seconds(MAX_REFRESH_MARGIN_SECONDS));
        let token = SecretString::from(answer.access_token);
        lock(&self.tokens).insert(
            key,
            CachedToken {
                token: token.clone(),
                expires_at: issued_at + lifetime,
                refresh_at: issued_at + lifetime - margin,
            },
        );
        Ok((token, true))
    }

    async fn graphql(&self, base: &str, token: &SecretString) -> Result<Value, StoreError> {
        let url = format!("{base}/admin/api/{SHOPIFY_API_VERSION}/graphql.json");
        let mut headers = token_headers(token)?;
        headers.insert(http::header::CONTENT_TYPE, header("application/json")?);
        let body = serde_json::to_vec(&json!({ "query": SHOP_QUERY })).expect("JSON serialises");
        let response = send(&self.http, Method::POST, &url, headers, Some(Bytes::from(body))).await?;
        if !response.status.is_success() {
            return Err(refusal(&response));
        }
        let answer: Value = serde_json::from_slice(&response.body)
            .map_err(|_| StoreError::unexpected(response.status.as_u16(), "the GraphQL answer is not JSON"))?;
        if let Some(errors) = answer.get("errors").and_then(Value::as_array).filter(|e| !e.is_empty()) {
            return Err(graphql_error(errors, &answer));
        }
        Ok(answer)
    }

    async fn scopes(&self, base: &str, token: &SecretString) -> Result<Vec<String>, StoreError> {
        let url = format!("{base}/admin/oauth/access_scopes.json");
        let response = send(&self.http, Method::GET, &url, token_headers(token)?, None).await?;
        if !response.status.is_success() {
            return Err(refusal(&response));
        }
        let answer: ScopesAnswer = serde_json::from_slice(&response.body).map_err(|_| {
            StoreError::unexpected(response.status.as_u16(), "the access scopes answer is not in the documented shape")
        })?;
        Ok(answer.access_scopes.into_iter().map(|s| s.handle).collect())
    }

    async fn check_shop(&self, credentials: &Credentials) -> Result<StoreInfo, StoreError> {
        let Credentials::Shopify(shop) = credentials else {
            return Err(wrong_platform(Platform::Shopify, credentials));
        };
        let base = self.base(&shop.shop_domain);
        let (answer, token, auth_method) = match &shop.auth {
            ShopifyAuth::AccessToken(token) => {
                (self.graphql(&base, token).await?, token.clone(), AuthMethod::ShopifyAccessToken)
            }
            ShopifyAuth::ClientCredentials { client_id, client_secret } => {
                let (token, fresh) = self.client_token(&base, &shop.shop_domain, client_id, client_secret).await?;
                let attempt = self.graphql(&base, &token).await;
                match attempt {
                    // A cached token refused (revoked, or the shop's clock disagrees):
                    // one more try with a new one.
                    Err(StoreError::Unauthorized) if !fresh => {
                        lock(&self.tokens).remove(&(shop.shop_domain.clone(), client_id.clone()));
                        let (token, _) = self.client_token(&base, &shop.shop_domain, client_id, client_secret).await?;
                        (self.graphql(&base, &token).await?, token, AuthMethod::ShopifyClientCredentials)
                    }
                    other => (other?, token, AuthMethod::ShopifyClientCredentials),
                }
            }
        };
        let shop_data = answer
            .pointer("/data/shop")
            .filter(|s| s.is_object())
            .ok_or_else(|| StoreError::unexpected(200, "the GraphQL answer has no data.shop"))?;
        let text = |field: &str| shop_data.get(field).and_then(Value::as_str).map(str::to_string);
        let granted = self.scopes(&base, &token).await?;
        let missing = missing_scopes(&self.config.required_scopes, &granted);
        if !missing.is_empty() {
            return Err(StoreError::MissingScope { missing });
        }
        Ok(StoreInfo {
            platform: Platform::Shopify,
            name: text("name"),
            domain: text("myshopifyDomain"),
            currency: None,
            granted_scopes: granted,
            auth_method,
        })
    }
}

impl StoreClient for ShopifyClient {
    fn platform(&self) -> Platform {
        Platform::Shopify
    }

    fn check<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<StoreInfo, StoreError>> {
        Box::pin(self.check_shop(credentials))
    }
}

/// The required scopes not granted; a granted `write_x` includes `read_x`.
pub fn missing_scopes(required: &[String], granted: &[String]) -> Vec<String> {
    required
        .iter()
        .filter(|scope| {
            let implied = scope.strip_prefix("read_").map(|resource| format!("write_{resource}"));
            !granted.iter().any(|g| g == *scope || Some(g) == implied.as_ref())
        })
        .cloned()
        .collect()
}

fn token_headers(token: &SecretString) -> Result<HeaderMap, StoreError> {
    let mut headers = HeaderMap::new();
    let mut value = header(token.expose_secret())?;
    value.set_sensitive(true);
    headers.insert("x-shopify-access-token", value);
    headers.insert(http::header::ACCEPT, header("application/json")?);
    Ok(headers)
}

/// Shopify's REST-style refusals: `{"errors": "..."}` with the status saying why.
fn refusal(response: &HttpResponse) -> StoreError {
    let detail = serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| v.get("errors").map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string)))
        .unwrap_or_else(|| excerpt(&response.body));
    by_status(response, retry_after(&response.headers), detail)
}

/// The token endpoint's refusals: OAuth's `{"error": "invalid_client", ...}` (400/401)
/// means the client id or secret is wrong.
fn token_refusal(response: &HttpResponse) -> StoreError {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let code = body.get("error").and_then(Value::as_str).unwrap_or_default();
    if matches!(response.status.as_u16(), 400 | 401)
        && matches!(code, "invalid_client" | "unauthorized_client" | "invalid_grant" | "")
    {
        return StoreError::Unauthorized;
    }
    refusal(response)
}

/// A 200 whose `errors` say why: throttling (with the wait the cost figures imply),
/// access denied, or something unexpected.
fn graphql_error(errors: &[Value], answer: &Value) -> StoreError {
    let code_of = |error: &Value| error.pointer("/extensions/code").and_then(Value::as_str).map(str::to_string);
    let codes: Vec<String> = errors.iter().filter_map(code_of).collect();
    let throttled = codes.iter().any(|c| c == "THROTTLED")
        || errors.iter().any(|e| e.get("message").and_then(Value::as_str) == Some("Throttled"));
    if throttled {
        return StoreError::RateLimited { retry_after: throttle_wait(answer) };
    }
    if codes.iter().any(|c| c == "ACCESS_DENIED") {
        return StoreError::MissingScope { missing: Vec::new() };
    }
    let messages: Vec<&str> = errors.iter().filter_map(|e| e.get("message").and_then(Value::as_str)).collect();
    StoreError::unexpected(200, format!("GraphQL errors: {}", messages.join("; ")))
}

/// How long until the bucket holds the query's requested cost:
/// `(requestedQueryCost - currentlyAvailable) / restoreRate` seconds.
fn throttle_wait(answer: &Value) -> Option<Duration> {
    let cost = answer.pointer("/extensions/cost")?;
    let requested = cost.get("requestedQueryCost")?.as_f64()?;
    let available = cost.pointer("/throttleStatus/currentlyAvailable")?.as_f64()?;
    let restore = cost.pointer("/throttleStatus/restoreRate")?.as_f64()?;
    if restore <= 0.0 {
        return None;
    }
    let seconds = ((requested - available) / restore).max(0.0).ceil();
    seconds.is_finite().then(|| Duration::from_secs_f64(seconds.max(1.0)))
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
