//! BigCommerce: `GET /stores/{store_hash}/v2/store` with `X-Auth-Token` and
//! `Accept: application/json`. Every answer carries the rate-limit headers
//! (`X-Rate-Limit-Requests-Quota`, `-Requests-Left`, `-Time-Window-Ms`,
//! `-Time-Reset-Ms`); a throttled one is 429 with `-Requests-Left: 0` and the reset in
//! milliseconds. Errors are v2's list `[{"status", "message"}]`.

use axum::response::Response;
use http::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use super::{Api, Common, Mode, Planned, Received, Server, StandIn, with_headers};
use crate::{BigCommerceCredentials, Credentials};

/// What a BigCommerce stand-in is set up with.
#[derive(Debug, Clone)]
pub struct BigCommerceSetup {
    pub store_hash: String,
    pub access_token: String,
    pub store_name: String,
    pub domain: String,
}

impl Default for BigCommerceSetup {
    fn default() -> Self {
        Self {
            store_hash: "abc123def4".into(),
            access_token: "standin0000000000000000000000000".into(),
            store_name: "Canopy Demo Store".into(),
            domain: "demo.example.com".into(),
        }
    }
}

struct State {
    common: Common,
    setup: BigCommerceSetup,
}

/// A running BigCommerce stand-in: its URL is the API base.
pub struct BigCommerceStandIn {
    server: Server<State>,
}

impl BigCommerceStandIn {
    pub async fn start(setup: BigCommerceSetup) -> Self {
        Self::start_on(setup, super::loopback(0)).await.expect("bind a loopback port")
    }

    pub async fn start_on(setup: BigCommerceSetup, address: std::net::SocketAddr) -> std::io::Result<Self> {
        Ok(Self { server: Server::start(State { common: Common::default(), setup }, address).await? })
    }

    pub fn setup(&self) -> &BigCommerceSetup {
        &self.server.state.setup
    }

    pub fn credentials(&self) -> Credentials {
        self.credentials_with(&self.setup().store_hash, &self.setup().access_token)
    }

    pub fn credentials_with(&self, store_hash: &str, token: &str) -> Credentials {
        Credentials::BigCommerce(BigCommerceCredentials {
            store_hash: store_hash.to_string(),
            access_token: SecretString::from(token.to_string()),
        })
    }
}

impl StandIn for BigCommerceStandIn {
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

fn answer(status: StatusCode, left: u32, reset_ms: u64, body: serde_json::Value) -> Response {
    let left = left.to_string();
    let reset = reset_ms.to_string();
    with_headers(
        status,
        &[
            ("content-type", "application/json"),
            ("x-rate-limit-requests-quota", "150"),
            ("x-rate-limit-requests-left", &left),
            ("x-rate-limit-time-window-ms", "30000"),
            ("x-rate-limit-time-reset-ms", &reset),
        ],
        serde_json::to_vec(&body).expect("JSON serialises"),
    )
}

fn error(status: StatusCode, message: &str) -> Response {
    answer(status, 149, 30000, json!([{ "status": status.as_u16(), "message": message }]))
}

impl Api for State {
    fn common(&self) -> &Common {
        &self.common
    }

    fn answer(&self, request: &Received, plan: Planned) -> Response {
        let path = format!("/stores/{}/v2/store", self.setup.store_hash);
        let is_store_call = request.path.starts_with("/stores/") && request.path.ends_with("/v2/store");
        if request.method != "GET" || !is_store_call {
            return error(StatusCode::NOT_FOUND, "The requested resource was not found.");
        }
        match plan {
            Planned::RateLimit(retry_after) => {
                let reset_ms = retry_after.unwrap_or(0) * 1000;
                return answer(
                    StatusCode::TOO_MANY_REQUESTS,
                    0,
                    reset_ms,
                    json!([{ "status": 429, "message": "You have exceeded your rate limit." }]),
                );
            }
            Planned::GraphqlThrottled(_) => {
                return answer(
                    StatusCode::TOO_MANY_REQUESTS,
                    0,
                    0,
                    json!([{ "status": 429, "message": "You have exceeded your rate limit." }]),
                );
            }
            Planned::NotFound => return error(StatusCode::NOT_FOUND, "The requested resource was not found."),
            Planned::Frozen => return error(StatusCode::PAYMENT_REQUIRED, "The store is unavailable."),
            Planned::Locked => return error(StatusCode::LOCKED, "The store is unavailable."),
            _ => {}
        }
        if request.path != path {
            return error(StatusCode::NOT_FOUND, "The requested resource was not found.");
        }
        let token_ok = request.header("x-auth-token") == Some(self.setup.access_token.as_str());
        if matches!(plan, Planned::RefuseCredentials) || !token_ok {
            return error(StatusCode::UNAUTHORIZED, "The access token is missing, invalid or revoked.");
        }
        if !request.header("accept").is_some_and(|a| a.contains("application/json")) {
            return error(
                StatusCode::NOT_ACCEPTABLE,
                "The requested content type is not supported: send Accept: application/json.",
            );
        }
        if matches!(plan, Planned::MissingScope) {
            return error(StatusCode::FORBIDDEN, "You don't have a required scope to access the endpoint");
        }
        answer(
            StatusCode::OK,
            149,
            30000,
            json!({
                "id": self.setup.store_hash,
                "domain": self.setup.domain,
                "secure_url": format!("https://{}", self.setup.domain),
                "name": self.setup.store_name,
                "currency": "USD",
                "currency_symbol": "$",
                "plan_name": "Standard",
                "status": "live",
                "is_price_entered_with_tax": false,
            }),
        )
    }
}
