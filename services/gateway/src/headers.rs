//! Browser-facing HTTP: `SecurityHeadersLayer` puts the security headers on every
//! response (gRPC, grpc-web, CORS preflight, errors alike), and [`cors_layer`]
//! allows grpc-web from the configured origins only.

use std::time::Duration;

use canopy_kit::middleware::{Middleware, MiddlewareLayer};
use futures_util::future::BoxFuture;
use http::header::{self, HeaderName, HeaderValue};
use http::{Method, Request, Response};
use tower::Service;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Adds the security headers.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeadersLayer {
    /// HSTS only means something when this hop is HTTPS.
    strict_transport_security: bool,
}

impl SecurityHeadersLayer {
    pub fn new(strict_transport_security: bool) -> MiddlewareLayer<Self> {
        MiddlewareLayer::new(Self { strict_transport_security })
    }
}

impl<S, B, ResBody> Middleware<S, Request<B>> for SecurityHeadersLayer
where
    S: Service<Request<B>, Response = Response<ResBody>> + Send + 'static,
    S::Future: Send + 'static,
{
    fn call(&self, request: Request<B>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
        let future = inner.call(request);
        let hsts = self.strict_transport_security;
        Box::pin(async move {
            let mut response = future.await?;
            let headers = response.headers_mut();
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if hsts {
                headers.insert(
                    header::STRICT_TRANSPORT_SECURITY,
                    HeaderValue::from_static("max-age=63072000; includeSubDomains"),
                );
            }
            Ok(response)
        })
    }
}

/// CORS for grpc-web: only `origins` (already validated), POST and the preflight,
/// the request headers grpc-web clients send, and the gRPC status headers exposed
/// so browser code can read errors. No credentials: tokens travel in
/// `authorization`, never in cookies.
pub fn cors_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-grpc-web"),
            HeaderName::from_static("x-user-agent"),
            HeaderName::from_static("grpc-timeout"),
            HeaderName::from_static("traceparent"),
            HeaderName::from_static("tracestate"),
            HeaderName::from_static("connect-protocol-version"),
        ])
        .expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
        ])
        .max_age(Duration::from_secs(600))
}
