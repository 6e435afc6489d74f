//! Local servers that speak each billing API's documented wire format, for this crate's
//! tests and the cost service's (feature `stand-in`). Each binds 127.0.0.1:0 over plain
//! http and:
//!
//! * holds costs the test sets, and lets it restate a day's amount between runs;
//! * checks every request as the real API would (method, path, headers, body fields,
//!   and the credentials: a SigV4 signature recomputed, bearer tokens it issued from its
//!   own token endpoint, a Google service-account JWT verified with the key's public
//!   half, DigitalOcean/Linode tokens) and refuses what is wrong the provider's way;
//! * pages its answers with a small page size (2) so paging is exercised;
//! * can throttle the next N API requests (the provider's throttling answer, with a
//!   `Retry-After` or the provider's own header) and answer the next N with a body not
//!   in the documented shape;
//! * records what it received ([`Received`]) for assertions.
//!
//! A stand-in stops when dropped.

pub mod akamai;
pub mod aws;
pub mod azure;
pub mod digitalocean;
pub mod gcp;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;

/// Items per page in every stand-in's answers (whatever larger size the client asks).
pub const PAGE_SIZE: usize = 2;

/// One request a stand-in received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// The raw query, without `?`.
    pub query: String,
    /// Header names lower case.
    pub headers: Vec<(String, String)>,
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

    /// The bearer token, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
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

/// What every stand-in can be told to do, and what it received.
#[derive(Default)]
pub(crate) struct Common {
    received: Mutex<Vec<Received>>,
    throttle: Mutex<(usize, Option<u64>)>,
    malformed: AtomicUsize,
}

impl Common {
    /// Whether to throttle this request, and the wait to name.
    pub fn take_throttle(&self) -> Option<Option<u64>> {
        let mut plan = lock(&self.throttle);
        if plan.0 == 0 {
            return None;
        }
        plan.0 -= 1;
        Some(plan.1)
    }

    /// Whether to answer this request with a body not in the documented shape.
    pub fn take_malformed(&self) -> bool {
        self.malformed.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A stand-in's own handling of a request.
pub(crate) trait Api: Send + Sync + 'static {
    fn common(&self) -> &Common;
    fn answer(&self, base_url: &str, request: &Received) -> Response;
}

/// The shared controls of a running stand-in.
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
    pub async fn start(state: S) -> Self {
        let state = Arc::new(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("a bound address"));
        let handler_state = state.clone();
        let base = url.clone();
        let router = axum::Router::new().fallback(move |request: Request| {
            let state = handler_state.clone();
            let base = base.clone();
            async move {
                let received = read(request).await;
                lock(&state.common().received).push(received.clone());
                state.answer(&base, &received)
            }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { url, state, task }
    }

    /// Throttles the next `requests` API requests (token endpoints excepted), naming
    /// `retry_after` seconds when given.
    pub fn throttle(&self, requests: usize, retry_after: Option<u64>) {
        *lock(&self.state.common().throttle) = (requests, retry_after);
    }

    /// Answers the next `requests` API requests with a body not in the documented shape.
    pub fn malformed(&self, requests: usize) {
        self.state.common().malformed.store(requests, Ordering::SeqCst);
    }

    /// What it received, in order.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state.common().received).clone()
    }
}

async fn read(request: Request) -> Received {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024).await.map(|b| b.to_vec()).unwrap_or_default();
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
    with_headers(status, &[("content-type", "application/json")], serde_json::to_vec(body).expect("JSON serialises"))
}

/// An answer with headers.
pub(crate) fn with_headers(status: StatusCode, headers: &[(&str, &str)], body: Vec<u8>) -> Response {
    let mut builder = Response::builder().status(status);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body)).expect("a valid response")
}

/// A body in no provider's documented shape.
pub(crate) fn garbage() -> Response {
    with_headers(StatusCode::OK, &[("content-type", "application/json")], br#"{"unexpected": [1, 2, 3]}"#.to_vec())
}

/// A decimal text as a JSON number (how Azure and Linode send amounts).
pub(crate) fn number(decimal: &str) -> serde_json::Value {
    serde_json::Number::from_f64(decimal.parse::<f64>().unwrap_or(0.0))
        .map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// `(offset, the page's end)` of a list of `total` items at `offset`.
pub(crate) fn page_bounds(offset: usize, size: usize, total: usize) -> (usize, usize) {
    let start = offset.min(total);
    (start, (start + size).min(total))
}

/// A random token.
pub(crate) fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}
