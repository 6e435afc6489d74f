//! Shopify: `POST /admin/oauth/access_token` (form body, client credentials grant:
//! tokens with a short `expires_in`, read from the stand-in's clock),
//! `POST /admin/api/{SHOPIFY_API_VERSION}/graphql.json` (JSON body with a `query`
//! asking for the shop, `X-Shopify-Access-Token` the static token or an unexpired issued
//! one) and `GET /admin/oauth/access_scopes.json`. Refusals are Shopify's
//! `{"errors": "..."}`; GraphQL throttling is a 200 with a `THROTTLED` error and
//! `extensions.cost`.

use std::sync::Mutex;

use axum::response::Response;
use canopy_kit::clock::SharedClock;
use chrono::{DateTime, Utc};
use http::StatusCode;
use secrecy::SecretString;
use serde_json::json;

use super::{
    Api, Common, Mode, Planned, Received, Server, StandIn, form_pairs, json, lock, random_token, with_headers,
};
use crate::shopify::SHOPIFY_API_VERSION;
use crate::{Credentials, ShopifyAuth, ShopifyCredentials};

/// What a Shopify stand-in is set up with.
#[derive(Debug, Clone)]
pub struct ShopifySetup {
    pub shop_domain: String,
    pub shop_name: String,
    /// The long-lived Admin API token it accepts.
    pub access_token: String,
    pub client_id: String,
    pub client_secret: String,
    /// The `expires_in` of tokens it issues, in seconds.
    pub token_lifetime_seconds: i64,
    pub granted_scopes: Vec<String>,
}

impl Default for ShopifySetup {
    fn default() -> Self {
        Self {
            shop_domain: "canopy-demo.myshopify.com".into(),
            shop_name: "Canopy Demo".into(),
            access_token: "shpat_standin0000000000000000000000".into(),
            client_id: "standin-client-id".into(),
            client_secret: "shpss_standin00000000000000000000".into(),
            token_lifetime_seconds: 3600,
            granted_scopes: vec!["read_products".into(), "read_orders".into()],
        }
    }
}

struct Issued {
    token: String,
    expires_at: DateTime<Utc>,
}

struct State {
    common: Common,
    setup: ShopifySetup,
    clock: SharedClock,
    issued: Mutex<Vec<Issued>>,
    expired_tokens_presented: Mutex<usize>,
}

/// A running Shopify stand-in.
pub struct ShopifyStandIn {
    server: Server<State>,
}

impl ShopifyStandIn {
    /// Starts on 127.0.0.1:0.
    pub async fn start(setup: ShopifySetup, clock: SharedClock) -> Self {
        Self::start_on(setup, clock, super::loopback(0)).await.expect("bind a loopback port")
    }

    pub async fn start_on(
        setup: ShopifySetup,
        clock: SharedClock,
        address: std::net::SocketAddr,
    ) -> std::io::Result<Self> {
        let state = State {
            common: Common::default(),
            setup,
            clock,
            issued: Mutex::new(Vec::new()),
            expired_tokens_presented: Mutex::new(0),
        };
        Ok(Self { server: Server::start(state, address).await? })
    }

    pub fn setup(&self) -> &ShopifySetup {
        &self.server.state.setup
    }

    /// Credentials with the static access token.
    pub fn token_credentials(&self) -> Credentials {
        let setup = self.setup();
        Credentials::Shopify(ShopifyCredentials {
            shop_domain: setup.shop_domain.clone(),
            auth: ShopifyAuth::AccessToken(SecretString::from(setup.access_token.clone())),
        })
    }

    /// Credentials with the app's client id and secret.
    pub fn client_credentials(&self) -> Credentials {
        let setup = self.setup();
        Credentials::Shopify(ShopifyCredentials {
            shop_domain: setup.shop_domain.clone(),
            auth: ShopifyAuth::ClientCredentials {
                client_id: setup.client_id.clone(),
                client_secret: SecretString::from(setup.client_secret.clone()),
            },
        })
    }

    /// The tokens issued so far, in order.
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.server.state.issued).iter().map(|i| i.token.clone()).collect()
    }

    /// How many API requests presented an issued token after it expired.
    pub fn expired_tokens_presented(&self) -> usize {
        *lock(&self.server.state.expired_tokens_presented)
    }
}

impl StandIn for ShopifyStandIn {
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

fn errors(status: StatusCode, message: &str) -> Response {
    json(status, &json!({ "errors": message }))
}

const INVALID_TOKEN: &str = "[API] Invalid API key or access token (unrecognized login or wrong password)";

impl State {
    fn token(&self, request: &Received, plan: &Planned) -> Response {
        if !request.header("content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")) {
            return json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": "invalid_request", "error_description": "expected a form body" }),
            );
        }
        let form = form_pairs(&String::from_utf8_lossy(&request.body));
        let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        if field("grant_type") != Some("client_credentials") {
            return json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials" }),
            );
        }
        let valid = field("client_id") == Some(self.setup.client_id.as_str())
            && field("client_secret") == Some(self.setup.client_secret.as_str());
        if !valid || matches!(plan, Planned::RefuseCredentials) {
            return json(
                StatusCode::BAD_REQUEST,
                &json!({ "error": "invalid_client", "error_description": "Client authentication failed due to unknown client or invalid credentials." }),
            );
        }
        let token = random_token("shpat_");
        let now = self.clock.now();
        lock(&self.issued).push(Issued {
            token: token.clone(),
            expires_at: now + chrono::Duration::seconds(self.setup.token_lifetime_seconds),
        });
        json(
            StatusCode::OK,
            &json!({ "access_token": token, "scope": self.setup.granted_scopes.join(","), "expires_in": self.setup.token_lifetime_seconds }),
        )
    }

    /// Whether the request's `X-Shopify-Access-Token` is the static token or an issued,
    /// unexpired one.
    fn authorised(&self, request: &Received) -> bool {
        let Some(token) = request.header("x-shopify-access-token") else {
            return false;
        };
        if token == self.setup.access_token {
            return true;
        }
        let now = self.clock.now();
        match lock(&self.issued).iter().find(|i| i.token == token) {
            Some(issued) if now < issued.expires_at => true,
            Some(_) => {
                *lock(&self.expired_tokens_presented) += 1;
                false
            }
            None => false,
        }
    }

    fn graphql(&self, request: &Received, plan: Planned) -> Response {
        if !request.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
            return errors(StatusCode::BAD_REQUEST, "Content-Type must be application/json");
        }
        let body = request.json();
        let Some(query) = body.get("query").and_then(|q| q.as_str()) else {
            return errors(StatusCode::BAD_REQUEST, "Parameter Missing or Invalid");
        };
        if let Planned::GraphqlThrottled(wait) = plan {
            // A bucket of 2000 restoring 100 a second, empty but for what the query
            // needs minus `wait` seconds of restore.
            let requested = 100.0 * wait as f64 + 10.0;
            return json(
                StatusCode::OK,
                &json!({
                    "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits" } }],
                    "extensions": { "cost": { "requestedQueryCost": requested, "actualQueryCost": null, "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 10.0, "restoreRate": 100.0 } } }
                }),
            );
        }
        if !(query.contains("shop") && query.contains("name") && query.contains("myshopifyDomain")) {
            return json(
                StatusCode::OK,
                &json!({ "errors": [{ "message": "Field 'unknown' doesn't exist on type 'QueryRoot'", "extensions": { "code": "undefinedField" } }] }),
            );
        }
        json(
            StatusCode::OK,
            &json!({
                "data": { "shop": { "name": self.setup.shop_name, "myshopifyDomain": self.setup.shop_domain } },
                "extensions": { "cost": { "requestedQueryCost": 1, "actualQueryCost": 1, "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 1999.0, "restoreRate": 100.0 } } }
            }),
        )
    }

    fn scopes(&self, plan: &Planned) -> Response {
        let granted: Vec<&String> = match plan {
            Planned::MissingScope => self.setup.granted_scopes.iter().take(1).collect(),
            _ => self.setup.granted_scopes.iter().collect(),
        };
        let list: Vec<_> = granted.into_iter().map(|handle| json!({ "handle": handle })).collect();
        json(StatusCode::OK, &json!({ "access_scopes": list }))
    }
}

impl Api for State {
    fn common(&self) -> &Common {
        &self.common
    }

    fn answer(&self, request: &Received, plan: Planned) -> Response {
        let graphql_path = format!("/admin/api/{SHOPIFY_API_VERSION}/graphql.json");
        let route = (request.method.as_str(), request.path.as_str());
        let known = matches!(route, ("POST", "/admin/oauth/access_token") | ("GET", "/admin/oauth/access_scopes.json"))
            || route == ("POST", graphql_path.as_str());
        if !known {
            return errors(StatusCode::NOT_FOUND, "Not Found");
        }
        match plan {
            Planned::Frozen => return errors(StatusCode::PAYMENT_REQUIRED, "Unavailable Shop"),
            Planned::Locked => return errors(StatusCode::LOCKED, "This shop is unavailable"),
            Planned::NotFound => return errors(StatusCode::NOT_FOUND, "Not Found"),
            Planned::RateLimit(retry_after) => {
                let wait = retry_after.map(|s| format!("{s}.0")).unwrap_or_default();
                let mut headers =
                    vec![("content-type", "application/json"), ("x-shopify-shop-api-call-limit", "40/40")];
                if retry_after.is_some() {
                    headers.push(("retry-after", wait.as_str()));
                }
                return with_headers(StatusCode::TOO_MANY_REQUESTS, &headers, br#"{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}"#.to_vec());
            }
            _ => {}
        }
        if route == ("POST", "/admin/oauth/access_token") {
            return self.token(request, &plan);
        }
        if matches!(plan, Planned::RefuseCredentials) || !self.authorised(request) {
            return errors(StatusCode::UNAUTHORIZED, INVALID_TOKEN);
        }
        if route.1 == graphql_path { self.graphql(request, plan) } else { self.scopes(&plan) }
    }
}
