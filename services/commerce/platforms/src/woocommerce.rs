//! WooCommerce: REST API v3, `GET {store_url}/wp-json/wc/v3/system_status?_fields=settings`.
//!
//! The key pair goes as HTTP Basic first, as WooCommerce documents for HTTPS. Some
//! servers (Apache with PHP over CGI/FastCGI) drop the `Authorization` header before
//! WordPress sees it; WooCommerce then sees no credentials at all and answers 401 with
//! `woocommerce_rest_cannot_view`. Only that answer is retried with the documented
//! fallback, `consumer_key`/`consumer_secret` query parameters. A 401 with
//! `woocommerce_rest_authentication_error` means WooCommerce read the key and refused it
//! (wrong key or secret, or a key without read permission): no fallback.

use base64::Engine as _;
use canopy_kit::http::{HttpClient, HttpResponse};
use futures_util::future::BoxFuture;
use http::{HeaderMap, Method};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use crate::transport::{by_status, excerpt, header, retry_after, send};
use crate::{
    AuthMethod, Credentials, Platform, StoreClient, StoreError, StoreInfo, WooCommerceCredentials, wrong_platform,
};

/// The REST API namespace and the identity call's path under the store URL.
pub const SYSTEM_STATUS_PATH: &str = "/wp-json/wc/v3/system_status";

/// WooCommerce's code when no credentials reached it (the header was dropped).
pub const NO_CREDENTIALS_CODE: &str = "woocommerce_rest_cannot_view";
/// WooCommerce's code when it read the key and refused it.
pub const AUTHENTICATION_ERROR_CODE: &str = "woocommerce_rest_authentication_error";

/// The WooCommerce client.
pub struct WooCommerceClient {
    http: HttpClient,
}

impl WooCommerceClient {
    pub fn new(http: HttpClient) -> Self {
        Self { http }
    }

    async fn check_store(&self, credentials: &Credentials) -> Result<StoreInfo, StoreError> {
        let Credentials::WooCommerce(store) = credentials else {
            return Err(wrong_platform(Platform::WooCommerce, credentials));
        };
        let base = store.store_url.trim_end_matches('/');
        let url = format!("{base}{SYSTEM_STATUS_PATH}?_fields=settings");
        let response = send(&self.http, Method::GET, &url, basic_headers(store)?, None).await?;
        let (response, method) =
            if response.status.as_u16() == 401 && wp_code(&response).as_deref() == Some(NO_CREDENTIALS_CODE) {
                let url = format!(
                    "{base}{SYSTEM_STATUS_PATH}?_fields=settings&consumer_key={}&consumer_secret={}",
                    encode(&store.consumer_key),
                    encode(&store.consumer_secret)
                );
                let mut headers = HeaderMap::new();
                headers.insert(http::header::ACCEPT, header("application/json")?);
                (send(&self.http, Method::GET, &url, headers, None).await?, AuthMethod::QueryString)
            } else {
                (response, AuthMethod::BasicAuth)
            };
        if !response.status.is_success() {
            return Err(refusal(&response));
        }
        let answer: Value = serde_json::from_slice(&response.body)
            .map_err(|_| StoreError::unexpected(response.status.as_u16(), "the system status answer is not JSON"))?;
        let settings = answer.get("settings").filter(|s| s.is_object()).ok_or_else(|| {
            StoreError::unexpected(response.status.as_u16(), "the system status answer has no settings")
        })?;
        let domain = base.parse::<http::Uri>().ok().and_then(|uri| uri.host().map(str::to_string));
        Ok(StoreInfo {
            platform: Platform::WooCommerce,
            name: None,
            domain,
            currency: settings.get("currency").and_then(Value::as_str).map(str::to_string),
            granted_scopes: Vec::new(),
            auth_method: method,
        })
    }
}

impl StoreClient for WooCommerceClient {
    fn platform(&self) -> Platform {
        Platform::WooCommerce
    }

    fn check<'a>(&'a self, credentials: &'a Credentials) -> BoxFuture<'a, Result<StoreInfo, StoreError>> {
        Box::pin(self.check_store(credentials))
    }
}

fn basic_headers(store: &WooCommerceCredentials) -> Result<HeaderMap, StoreError> {
    let pair = format!("{}:{}", store.consumer_key.expose_secret(), store.consumer_secret.expose_secret());
    let mut value = header(&format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(http::header::AUTHORIZATION, value);
    headers.insert(http::header::ACCEPT, header("application/json")?);
    Ok(headers)
}

/// The `code` of a WordPress REST error body, `{"code", "message", "data": {"status"}}`.
fn wp_code(response: &HttpResponse) -> Option<String> {
    let body: Value = serde_json::from_slice(&response.body).ok()?;
    body.get("code").and_then(Value::as_str).map(str::to_string)
}

fn refusal(response: &HttpResponse) -> StoreError {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let code = body.get("code").and_then(Value::as_str).unwrap_or_default();
    let message = body.get("message").and_then(Value::as_str).unwrap_or_default();
    match response.status.as_u16() {
        // "The API key provided does not have read permissions."
        401 if code == AUTHENTICATION_ERROR_CODE && message.contains("permission") => {
            StoreError::MissingScope { missing: vec!["read".into()] }
        }
        // The key's user may not manage WooCommerce.
        403 => StoreError::MissingScope { missing: vec!["read".into()] },
        _ => {
            let detail = if code.is_empty() { excerpt(&response.body) } else { format!("{code}: {message}") };
            by_status(response, retry_after(&response.headers), detail)
        }
    }
}

fn encode(secret: &SecretString) -> String {
    percent_encoding::utf8_percent_encode(secret.expose_secret(), percent_encoding::NON_ALPHANUMERIC).to_string()
}
