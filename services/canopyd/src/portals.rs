//! `canopyd dev` serves the built portals (`web/customer/dist`, `web/admin/dist`), each
//! on its own loopback port. A browser would not trust the dev PKI's certificate on
//! the gateway, so each portal server is also a same-origin grpc-web proxy: paths of
//! the form `/canopy.<…>.<Service>/<Method>` go to the gateway over TLS (verified with
//! the dev trust anchor) and everything else is a static file, with `index.html` for
//! client-side routes. `/config.json` tells the portal to call its own origin.
//! Production serves the portals from a CDN or Envoy instead (see mesh/envoy).

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};

use anyhow::Context as _;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tower::ServiceExt;

/// A portal being served.
pub struct RunningPortal {
    pub name: &'static str,
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl RunningPortal {
    pub fn stop(self) {
        let _ = self.stop.send(true);
    }
}

#[derive(Clone)]
struct Portal {
    root: PathBuf,
    gateway: Channel,
    config_json: String,
}

/// The built portal under `web/<name>/dist`, if it has been built.
pub fn built_portal(repo: &Path, name: &str) -> Option<PathBuf> {
    let dist = repo.join("web").join(name).join("dist");
    dist.join("index.html").is_file().then_some(dist)
}

/// Serves the portal in `root` on a free loopback port, proxying gRPC to `gateway`.
pub async fn serve(
    name: &'static str,
    root: PathBuf,
    gateway: SocketAddr,
    trust_anchor_pem: Vec<u8>,
) -> anyhow::Result<RunningPortal> {
    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(trust_anchor_pem)).domain_name("localhost");
    let channel = Endpoint::from_shared(format!("https://{gateway}"))?
        .tls_config(tls)
        .context("gateway TLS for the portal proxy")?
        .connect_lazy();
    let listener = TcpListener::bind("127.0.0.1:0").await.with_context(|| format!("{name} portal: cannot listen"))?;
    let addr = listener.local_addr()?;
    let portal = Portal {
        root,
        gateway: channel,
        config_json: serde_json::json!({ "apiBaseUrl": format!("http://{addr}") }).to_string(),
    };
    let app = axum::Router::new().fallback(handle).with_state(portal);
    let (stop_tx, mut stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.wait_for(|s| *s).await;
            })
            .await;
    });
    Ok(RunningPortal { name, addr, stop: stop_tx })
}

async fn handle(State(portal): State<Portal>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if path.starts_with("/canopy.") && path[1..].contains('/') {
        return proxy(portal.gateway, request).await;
    }
    if path == "/config.json" {
        return ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], portal.config_json)
            .into_response();
    }
    static_file(&portal.root, &path).await
}

/// Forwards one grpc-web call to the gateway, streaming both bodies.
async fn proxy(gateway: Channel, request: Request) -> Response {
    let (mut parts, body) = request.into_parts();
    // HTTP/1.1 framing headers mean nothing on the HTTP/2 hop.
    for name in [header::HOST, header::CONNECTION, header::TRANSFER_ENCODING, header::UPGRADE] {
        parts.headers.remove(name);
    }
    let forwarded = http::Request::from_parts(parts, tonic::body::Body::new(body));
    match gateway.oneshot(forwarded).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, Body::new(body))
        }
        Err(error) => {
            tracing::warn!(%error, "portal proxy: gateway unreachable");
            (StatusCode::BAD_GATEWAY, "gateway unreachable\n").into_response()
        }
    }
}

/// A file below `root`, or `index.html` for client-side routes. Paths that climb out
/// of `root` are refused.
async fn static_file(root: &Path, path: &str) -> Response {
    let relative = Path::new(path.trim_start_matches('/'));
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return (StatusCode::BAD_REQUEST, "bad path\n").into_response();
    }
    let mut file = root.join(relative);
    if path == "/" || !file.is_file() {
        if relative.extension().is_some() {
            return (StatusCode::NOT_FOUND, "not found\n").into_response();
        }
        file = root.join("index.html");
    }
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let content_type = match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
                "html" => "text/html; charset=utf-8",
                "js" | "mjs" => "text/javascript; charset=utf-8",
                "css" => "text/css; charset=utf-8",
                "json" => "application/json",
                "svg" => "image/svg+xml",
                "png" => "image/png",
                "ico" => "image/x-icon",
                "woff2" => "font/woff2",
                "map" => "application/json",
                _ => "application/octet-stream",
            };
            let mut response = Response::new(Body::from(bytes));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            response
        }
        Err(_) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}
