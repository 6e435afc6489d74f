//! `EdgeAuthLayer`: authenticates the caller (bearer access token or API key, with
//! the kit's verifier and resolver) when the method's audience needs a principal,
//! then authorises with the kit's `authorize` — the same decision every service makes
//! again behind the gateway. The principal goes into the request extensions for the
//! rate limiter and onto the request span for the access log.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use canopy_kit::ApiError;
use canopy_kit::auth::{Authenticator, authorize};
use canopy_sdk::proto::canopy::options::v1::Audience;
use http::{Request, Response};
use tonic::Status;
use tower::{Layer, Service};

use crate::route::{RouteTarget, not_served};

/// Authenticates and authorises admitted requests.
#[derive(Clone)]
pub struct EdgeAuthLayer {
    authenticator: Arc<Authenticator>,
}

impl EdgeAuthLayer {
    pub fn new(authenticator: Arc<Authenticator>) -> Self {
        Self { authenticator }
    }
}

impl<S> Layer<S> for EdgeAuthLayer {
    type Service = EdgeAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        EdgeAuth { inner, authenticator: self.authenticator.clone() }
    }
}

/// The service `EdgeAuthLayer` produces.
#[derive(Clone)]
pub struct EdgeAuth<S> {
    inner: S,
    authenticator: Arc<Authenticator>,
}

impl<S, B> Service<Request<B>> for EdgeAuth<S>
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let mut inner = canopy_kit::middleware::take_ready(&mut self.inner);
        let authenticator = self.authenticator.clone();
        Box::pin(async move {
            // RouteLayer runs first; without its target nothing may pass.
            let Some(target) = request.extensions().get::<RouteTarget>().cloned() else {
                return Ok(not_served().into_http());
            };
            let path = request.uri().path().to_string();
            let principal = match target.policy.audience() {
                // Public methods ignore credentials: the service decides what an
                // optional credential means, and a stale token must not block sign-in.
                Audience::Public => None,
                Audience::Authenticated | Audience::Roles => {
                    match authenticator.authenticate(request.headers()).await {
                        Ok(principal) => Some(principal),
                        Err(error) => return Ok(Status::from(ApiError::from(error)).into_http()),
                    }
                }
                Audience::Internal | Audience::Unspecified => return Ok(not_served().into_http()),
            };
            if let Some(principal) = &principal {
                let span = tracing::Span::current();
                span.record("principal", principal.id());
                if let Some(tenant) = principal.tenant {
                    span.record("tenant", tenant.0.to_string());
                }
            }
            if let Err(error) = authorize(&target.policy, &path, principal.as_ref(), None) {
                return Ok(Status::from(error).into_http());
            }
            if let Some(principal) = principal {
                request.extensions_mut().insert(principal);
            }
            inner.call(request).await
        })
    }
}
