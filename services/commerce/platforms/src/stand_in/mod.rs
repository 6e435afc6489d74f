//! Local servers that speak each store platform's documented API, for this crate's
//! tests, the commerce service's and the portal's browser journeys (feature `stand-in`).
//! Each binds 127.0.0.1 (port 0 unless given) over plain http and:
//!
//! * checks every request as the real API would (method, path with the pinned version,
//!   auth header or parameters, body shape) and refuses what is wrong the platform's way;
//! * can be switched at runtime ([`Mode`]) to accept, refuse the credentials, lack a
//!   scope, be frozen (402), locked (423), rate limit the next N requests (429 with
//!   `Retry-After` and the platform's own headers), not find the store, answer slowly or
//!   break the connection, from Rust ([`StandIn::set_mode`]) or from another process:
//!   `POST /__stand_in/mode` with `{"mode": "refuse_credentials"}`;
//! * records what it received ([`Received`], and `GET /__stand_in/requests`).
//!
//! A stand-in stops when dropped.

pub mod bigcommerce;
pub mod shopify;
pub mod woocommerce;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;
use serde::{Deserialize, Serialize};

/// The path prefix of the control surface (never recorded, never refused).
pub const CONTROL_PREFIX: &str = "/__stand_in/";

/// How a stand-in answers API requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Mode {
    /// Checks requests and answers as a healthy store does.
    #[default]
    Accept,
    /// Refuses every credential (401 in the platform's error body; Shopify's token
    /// endpoint refuses the client secret).
    RefuseCredentials,
    /// Accepts the credentials but lacks a scope (Shopify lists fewer scopes; WooCommerce
    /// says the key lacks read permission; BigCommerce answers 403).
    MissingScope,
    /// 402 Payment Required (Shopify's frozen shop).
    Frozen,
    /// 423 Locked.
    Locked,
    /// The next `requests` API requests get 429 with `Retry-After: retry_after` (and the
    /// platform's own headers); then back to [`Mode::Accept`].
    RateLimit {
        #[serde(default = "one")]
        requests: u32,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Shopify only: the next `requests` GraphQL requests get 200 with a `THROTTLED`
    /// error and `extensions.cost` implying a wait of `wait_seconds`; other stand-ins
    /// treat it as [`Mode::RateLimit`] without a wait.
    GraphqlThrottled {
        #[serde(default = "one")]
        requests: u32,
        #[serde(default = "two")]
        wait_seconds: u64,
    },
    /// 404: no such shop, store hash or route.
    NotFound,
    /// Waits `delay_ms` before answering.
    Slow { delay_ms: u64 },
    /// Starts an answer and breaks the connection.
    Close,
}

fn one() -> u32 {
    1
}

fn two() -> u64 {
    2
}

/// One request a stand-in received.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// The raw query, without `?`.
    pub query: String,
    /// Header names lower case.
    pub headers: Vec<(String, String)>,
    #[serde(skip)]
    pub body: Vec<u8>,
}

impl Received {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        form_pairs(&self.query).into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// `name=value&…` (a query or a form body), decoded.
pub fn form_pairs(text: &str) -> Vec<(String, String)> {
    let decode =
        |part: &str| percent_encoding::percent_decode_str(&part.replace('+', " ")).decode_utf8_lossy().into_owned();
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

/// What every stand-in shares: its mode and what it received.
#[derive(Default)]
pub(crate) struct Common {
    mode: Mutex<Mode>,
    received: Mutex<Vec<Received>>,
}

/// What the mode asks of one API request, once counted.
pub(crate) enum Planned {
    Answer,
    RefuseCredentials,
    MissingScope,
    Frozen,
    Locked,
    NotFound,
    RateLimit(Option<u64>),
    GraphqlThrottled(u64),
    Slow(Duration),
    Close,
}

impl Common {
    /// The plan for the next API request; counted modes count down to [`Mode::Accept`].
    pub fn plan(&self) -> Planned {
        let mut mode = lock(&self.mode);
        match &mut *mode {
            Mode::Accept => Planned::Answer,
            Mode::RefuseCredentials => Planned::RefuseCredentials,
            Mode::MissingScope => Planned::MissingScope,
            Mode::Frozen => Planned::Frozen,
            Mode::Locked => Planned::Locked,
            Mode::NotFound => Planned::NotFound,
            Mode::Slow { delay_ms } => Planned::Slow(Duration::from_millis(*delay_ms)),
            Mode::Close => Planned::Close,
            Mode::RateLimit { requests, retry_after } => {
                let planned = Planned::RateLimit(*retry_after);
                *requests = requests.saturating_sub(1);
                if *requests == 0 {
                    *mode = Mode::Accept;
                }
                planned
            }
            Mode::GraphqlThrottled { requests, wait_seconds } => {
                let planned = Planned::GraphqlThrottled(*wait_seconds);
                *requests = requests.saturating_sub(1);
                if *requests == 0 {
                    *mode = Mode::Accept;
                }
                planned
            }
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A stand-in's own handling of an API request.
pub(crate) trait Api: Send + Sync + 'static {
    fn common(&self) -> &Common;
    /// Answers `request`; `plan` is what the mode asks of it (slow and close are
    /// handled before).
    fn answer(&self, request: &Received, plan: Planned) -> Response;
}

/// The controls every running stand-in has.
pub trait StandIn {
    /// `http://127.0.0.1:port`.
    fn url(&self) -> &str;
    /// Switches how API requests are answered.
    fn set_mode(&self, mode: Mode);
    /// The current mode.
    fn mode(&self) -> Mode;
    /// The API requests received, in order (control requests excepted).
    fn received(&self) -> Vec<Received>;
    /// Forgets what was received.
    fn clear_received(&self);
}

pub(crate) struct Server<S: Api> {
    pub url: String,
    pub state: Arc<S>,
    task: tokio::task::JoinHandle<()>,
}

impl<S: Api> Drop for Server<S> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<S: Api> Server<S> {
    pub async fn start(state: S, address: SocketAddr) -> std::io::Result<Self> {
        let state = Arc::new(state);
        let listener = tokio::net::TcpListener::bind(address).await?;
        let url = format!("http://{}", listener.local_addr()?);
        let handler_state = state.clone();
        let router = axum::Router::new().fallback(move |request: Request| {
            let state = handler_state.clone();
            async move {
                let received = read(request).await;
                if let Some(control) = received.path.strip_prefix(CONTROL_PREFIX) {
                    return control_answer(state.common(), control, &received);
                }
                lock(&state.common().received).push(received.clone());
                match state.common().plan() {
                    Planned::Slow(delay) => {
                        tokio::time::sleep(delay).await;
                        state.answer(&received, Planned::Answer)
                    }
                    Planned::Close => broken(),
                    plan => state.answer(&received, plan),
                }
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Self { url, state, task })
    }

    pub fn set_mode(&self, mode: Mode) {
        *lock(&self.state.common().mode) = mode;
    }

    pub fn mode(&self) -> Mode {
        lock(&self.state.common().mode).clone()
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.state.common().received).clone()
    }

    pub fn clear_received(&self) {
        lock(&self.state.common().received).clear();
    }
}

/// `POST /__stand_in/mode` (a [`Mode`] as JSON), `GET /__stand_in/mode`,
/// `GET /__stand_in/requests`, `POST /__stand_in/reset` (accept, forget requests).
fn control_answer(common: &Common, path: &str, request: &Received) -> Response {
    match (request.method.as_str(), path) {
        ("POST", "mode") => match serde_json::from_slice::<Mode>(&request.body) {
            Ok(mode) => {
                *lock(&common.mode) = mode.clone();
                json(StatusCode::OK, &serde_json::to_value(mode).expect("a mode serialises"))
            }
            Err(error) => json(StatusCode::BAD_REQUEST, &serde_json::json!({ "error": error.to_string() })),
        },
        ("GET", "mode") => json(StatusCode::OK, &serde_json::to_value(lock(&common.mode).clone()).expect("serialises")),
        ("GET", "requests") => {
            json(StatusCode::OK, &serde_json::to_value(lock(&common.received).clone()).expect("serialises"))
        }
        ("POST", "reset") => {
            *lock(&common.mode) = Mode::Accept;
            lock(&common.received).clear();
            json(StatusCode::OK, &serde_json::json!({ "mode": "accept" }))
        }
        _ => json(StatusCode::NOT_FOUND, &serde_json::json!({ "error": "no such control" })),
    }
}

async fn read(request: Request) -> Received {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1024 * 1024).await.map(|b| b.to_vec()).unwrap_or_default();
    Received {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        body,
    }
}

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    with_headers(
        status,
        &[("content-type", "application/json; charset=utf-8")],
        serde_json::to_vec(body).expect("JSON serialises"),
    )
}

/// An answer with headers.
pub(crate) fn with_headers(status: StatusCode, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body)).expect("a valid response")
}

/// An answer whose body fails after the headers: the connection breaks mid-answer.
fn broken() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "stand-in closes"))
    });
    Response::builder().status(StatusCode::OK).body(Body::from_stream(failing)).expect("a valid response")
}

/// A random token with a prefix.
pub(crate) fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// The loopback address on `port` (0: any free port).
pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
