//! WooCommerce: `GET /wp-json/wc/v3/system_status` with the key pair as HTTP Basic or
//! as `consumer_key`/`consumer_secret` query parameters. It can act as a server that
//! drops the `Authorization` header ([`WooCommerceStandIn::strip_authorization`]), so
//! only the query string authenticates. Errors are WordPress REST bodies:
//! `{"code", "message", "data": {"status"}}`.

use std::sync::atomic::{AtomicBool, Ordering};

use axum::response::Response;
use base64::Engine as _;
use http::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use super::{Api, Common, Mode, Planned, Received, Server, StandIn, json, with_headers};
use crate::woocommerce::{AUTHENTICATION_ERROR_CODE, NO_CREDENTIALS_CODE, SYSTEM_STATUS_PATH};
use crate::{Credentials, WooCommerceCredentials};

/// What a WooCommerce stand-in is set up with.
#[derive(Debug, Clone)]
pub struct WooCommerceSetup {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub currency: String,
}

impl Default for WooCommerceSetup {
    fn default() -> Self {
        Self {
            consumer_key: "ck_standin00000000000000000000000000000000".into(),
            consumer_secret: "cs_standin00000000000000000000000000000000".into(),
            currency: "EUR".into(),
        }
    }
}

struct State {
    common: Common,
    setup: WooCommerceSetup,
    strip_authorization: AtomicBool,
}

/// A running WooCommerce stand-in.
pub struct WooCommerceStandIn {
    server: Server<State>,
}

impl WooCommerceStandIn {
    pub async fn start(setup: WooCommerceSetup) -> Self {
        Self::start_on(setup, super::loopback(0)).await.expect("bind a loopback port")
    }

    pub async fn start_on(setup: WooCommerceSetup, address: std::net::SocketAddr) -> std::io::Result<Self> {
        let state = State { common: Common::default(), setup, strip_authorization: AtomicBool::new(false) };
        Ok(Self { server: Server::start(state, address).await? })
    }

    pub fn setup(&self) -> &WooCommerceSetup {
        &self.server.state.setup
    }

    /// Acts as a server that drops the `Authorization` header (Apache with PHP over CGI).
    pub fn strip_authorization(&self, strip: bool) {
        self.server.state.strip_authorization.store(strip, Ordering::SeqCst);
    }

    /// Credentials for this store (its URL is the stand-in's, plain http).
    pub fn credentials(&self) -> Credentials {
        self.credentials_with(&self.setup().consumer_key, &self.setup().consumer_secret)
    }

    pub fn credentials_with(&self, key: &str, secret: &str) -> Credentials {
        Credentials::WooCommerce(WooCommerceCredentials {
            store_url: self.server.url.clone(),
            consumer_key: SecretString::from(key.to_string()),
            consumer_secret: SecretString::from(secret.to_string()),
        })
    }
}

impl StandIn for WooCommerceStandIn {
    fn url(&self) -> &str {
        &self.server.url
    }
    fn set_mode(&self, mode: Mode) {
        self.server.set_mode(mode);
    }
    fn mode(&self) -> Mode {
        self.server.mode()
    }
    fn received(&self) -> Vec<Received> {
        self.server.received()
    }
    fn clear_received(&self) {
        self.server.clear_received();
    }
}

fn wp_error(status: StatusCode, code: &str, message: &str) -> Response {
    json(status, &json!({ "code": code, "message": message, "data": { "status": status.as_u16() } }))
}

impl State {
    /// The key pair the request carries: Basic (unless stripped), else the query.
    fn presented(&self, request: &Received) -> Option<(String, String)> {
        if !self.strip_authorization.load(Ordering::SeqCst)
            && let Some(encoded) = request.header("authorization").and_then(|h| h.strip_prefix("Basic "))
        {
            let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
            let text = String::from_utf8(decoded).ok()?;
            let (key, secret) = text.split_once(':')?;
            return Some((key.to_string(), secret.to_string()));
        }
        Some((request.query_param("consumer_key")?, request.query_param("consumer_secret")?))
    }
}

impl Api for State {
    fn common(&self) -> &Common {
        &self.common
    }

    fn answer(&self, request: &Received, plan: Planned) -> Response {
        if request.method != "GET" || request.path != SYSTEM_STATUS_PATH {
            return wp_error(
                StatusCode::NOT_FOUND,
                "rest_no_route",
                "No route was found matching the URL and request method.",
            );
        }
        match plan {
            Planned::NotFound => {
                return wp_error(
                    StatusCode::NOT_FOUND,
                    "rest_no_route",
                    "No route was found matching the URL and request method.",
                );
            }
            // WooCommerce has no such answers of its own; a host in front of it might.
            Planned::Frozen => {
                return wp_error(StatusCode::PAYMENT_REQUIRED, "canopy_stand_in", "The store is unavailable.");
            }
            Planned::Locked => return wp_error(StatusCode::LOCKED, "canopy_stand_in", "The store is unavailable."),
            _ => {}
        }
        let rate_limited = match plan {
            Planned::RateLimit(retry_after) => Some(retry_after),
            Planned::GraphqlThrottled(_) => Some(None),
            _ => None,
        };
        if let Some(retry_after) = rate_limited {
            let wait = retry_after.map(|s| s.to_string()).unwrap_or_default();
            let mut headers = vec![("content-type", "application/json")];
            if retry_after.is_some() {
                headers.push(("retry-after", wait.as_str()));
            }
            return with_headers(
                StatusCode::TOO_MANY_REQUESTS,
                &headers,
                br#"{"code":"rate_limited","message":"Too many requests. Please wait and try again.","data":{"status":429}}"#.to_vec(),
            );
        }
        let Some((key, secret)) = self.presented(request) else {
            return wp_error(StatusCode::UNAUTHORIZED, NO_CREDENTIALS_CODE, "Sorry, you cannot list resources.");
        };
        if matches!(plan, Planned::RefuseCredentials) || key != self.setup.consumer_key {
            return wp_error(StatusCode::UNAUTHORIZED, AUTHENTICATION_ERROR_CODE, "Consumer key is invalid.");
        }
        if secret != self.setup.consumer_secret {
            return wp_error(StatusCode::UNAUTHORIZED, AUTHENTICATION_ERROR_CODE, "Consumer secret is invalid.");
        }
        if matches!(plan, Planned::MissingScope) {
            return wp_error(
                StatusCode::UNAUTHORIZED,
                AUTHENTICATION_ERROR_CODE,
                "The API key provided does not have read permissions.",
            );
        }
        let settings = json!({
            "api_enabled": true,
            "force_ssl": false,
            "currency": self.setup.currency,
            "currency_symbol": "&euro;",
            "currency_position": "left",
            "thousand_separator": ",",
            "decimal_separator": ".",
            "number_of_decimals": 2,
            "geolocation_enabled": false,
            "woocommerce_com_connected": "no",
        });
        // `_fields=settings` keeps only the settings, as WordPress does.
        match request.query_param("_fields").as_deref() {
            Some("settings") => json(StatusCode::OK, &json!({ "settings": settings })),
            _ => json(
                StatusCode::OK,
                &json!({ "environment": {}, "database": {}, "active_plugins": [], "settings": settings }),
            ),
        }
    }
}
