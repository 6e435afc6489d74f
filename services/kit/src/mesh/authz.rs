//! `MeshAuthzLayer`: the tower layer every service runs first. It names the caller
//! (from the mTLS certificate, or the Linkerd proxy's `l5d-client-id` header in
//! plaintext mode) and refuses the call with PERMISSION_DENIED unless the mesh policy
//! lets that workload call the requested gRPC service.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::Status;
use tower::Service;

use super::{MeshPolicy, PeerInfo, WorkloadIdentity};
use crate::config::MeshMode;
use crate::middleware::{Middleware, MiddlewareLayer};

/// The authenticated calling workload, inserted into request extensions for handlers.
#[derive(Debug, Clone)]
pub struct CallerWorkload(pub WorkloadIdentity);

/// Enforces the mesh policy.
#[derive(Clone)]
pub struct MeshAuthzLayer {
    policy: Arc<MeshPolicy>,
    mode: MeshMode,
    namespace: Arc<str>,
    trust_domain: Arc<str>,
}

impl MeshAuthzLayer {
    pub fn new(policy: Arc<MeshPolicy>, mode: MeshMode, namespace: &str, trust_domain: &str) -> MiddlewareLayer<Self> {
        MiddlewareLayer::new(Self { policy, mode, namespace: namespace.into(), trust_domain: trust_domain.into() })
    }

    fn caller<B>(&self, request: &Request<B>) -> Option<WorkloadIdentity> {
        match self.mode {
            MeshMode::Mtls => request.extensions().get::<PeerInfo>().and_then(|peer| peer.workload.clone()),
            // Only the local Linkerd proxy can reach a plaintext port, and it replaces
            // any client-sent l5d-client-id with the identity it verified.
            MeshMode::Plaintext => request
                .headers()
                .get("l5d-client-id")
                .and_then(|v| v.to_str().ok())
                .and_then(|name| WorkloadIdentity::parse(name, &self.trust_domain)),
        }
    }
}

impl<S, B> Middleware<S, Request<B>> for MeshAuthzLayer
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    fn call(&self, mut request: Request<B>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
        let service = grpc_service_of(request.uri().path()).to_string();
        let decision = match self.caller(&request) {
            None => Err("caller has no workload identity".to_string()),
            Some(caller) if caller.namespace != *self.namespace => {
                Err(format!("workload {caller} is outside namespace {}", self.namespace))
            }
            Some(caller) if !self.policy.allows(&caller.service_account, &service) => {
                Err(format!("workload {} may not call {service}", caller.service_account))
            }
            Some(caller) => Ok(caller),
        };
        match decision {
            Ok(caller) => {
                request.extensions_mut().insert(CallerWorkload(caller));
                Box::pin(inner.call(request))
            }
            Err(reason) => {
                tracing::warn!(service = %service, reason = %reason, "mesh call denied");
                let response = Status::permission_denied(reason).into_http::<tonic::body::Body>();
                Box::pin(async move { Ok(response) })
            }
        }
    }
}

/// `/pkg.Service/Method` → `pkg.Service`.
pub(crate) fn grpc_service_of(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}
