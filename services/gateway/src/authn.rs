//! `EdgeAuthLayer`: authenticates the caller (bearer access token or API key, with
//! the kit's verifier and resolver) when the method's audience needs a principal,
//! then authorises with the kit's `authorize` — the same decision every service makes
//! again behind the gateway. The principal goes into the request extensions for the
//! rate limiter and onto the request span for the access log.

use std::sync::Arc;

use canopy_kit::ApiError;
use canopy_kit::auth::{Authenticator, authorize};
use canopy_kit::middleware::{Middleware, MiddlewareLayer};
use canopy_sdk::proto::canopy::options::v1::Audience;
use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::Status;
use tower::Service;

use crate::route::{RouteTarget, not_served};

/// Authenticates and authorises admitted requests.
#[derive(Clone)]
pub struct EdgeAuthLayer {
    authenticator: Arc<Authenticator>,
}

impl EdgeAuthLayer {
    pub fn new(authenticator: Arc<Authenticator>) -> MiddlewareLayer<Self> {
        MiddlewareLayer::new(Self { authenticator })
    }
}

impl<S, B> Middleware<S, Request<B>> for EdgeAuthLayer
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    fn call(&self, mut request: Request<B>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
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
