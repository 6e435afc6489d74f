//! `RouteLayer`: decides whether a request may enter at all, before anything costs
//! a credential check. The rule is derived, never tabled: `/canopy.<domain>.v1.<Service>/<Method>`
//! goes to the service named `<domain>`, provided the descriptor set declares the
//! method and its audience is not INTERNAL. Everything else — other packages
//! (reflection, health of services), unknown methods, internal methods — gets the
//! same UNIMPLEMENTED answer, so the edge does not reveal which internal methods exist.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use canopy_kit::access::MethodPolicies;
use canopy_kit::error::ERROR_DOMAIN;
use canopy_kit::mesh::PeerInfo;
use canopy_kit::middleware::{Middleware, MiddlewareLayer};
use canopy_sdk::proto::canopy::options::v1::{Audience, MethodPolicy};
use futures_util::future::BoxFuture;
use http::{HeaderMap, Request, Response};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tower::Service;

/// Where an admitted request goes, and under which policy.
#[derive(Debug, Clone)]
pub struct RouteTarget {
    /// The owning service (`identity` for `canopy.identity.v1.*`).
    pub upstream: String,
    pub policy: MethodPolicy,
}

/// The caller's address as the gateway determined it (TCP peer, or the trusted
/// proxy's `x-forwarded-for` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// `canopy.<domain>.<version>.<Service>` → `<domain>`; `None` for any other name.
pub fn owning_service(grpc_service: &str) -> Option<&str> {
    let mut parts = grpc_service.split('.');
    let (Some("canopy"), Some(domain), Some(version), Some(service), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let is_version = version.len() >= 2
        && version.starts_with('v')
        && version[1..].bytes().next().is_some_and(|b| b.is_ascii_digit())
        && version.bytes().all(|b| b.is_ascii_alphanumeric());
    let is_domain = !domain.is_empty() && domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let is_service = !service.is_empty() && service.bytes().all(|b| b.is_ascii_alphanumeric());
    (is_version && is_domain && is_service).then_some(domain)
}

/// The answer for anything the edge does not serve: unknown methods, non-Canopy
/// services and INTERNAL methods alike. UNIMPLEMENTED is what any gRPC server answers
/// for a method it does not have, so an internal method is indistinguishable from a
/// nonexistent one. (Not a placeholder: no routed method ever gets this.)
pub fn not_served() -> Status {
    Status::unimplemented("unknown method")
}

/// Metadata size as HTTP/2 counts it (RFC 7541 §4.1): name + value + 32 per field.
fn metadata_size(headers: &HeaderMap) -> usize {
    headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 32).sum()
}

/// Refusal for a request whose size no retry can fix (no RetryInfo).
pub fn too_large(reason: &'static str, message: String) -> Status {
    let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, []);
    Status::with_error_details(Code::ResourceExhausted, message, details)
}

/// Admits requests for forwardable Canopy methods.
#[derive(Clone)]
pub struct RouteLayer {
    policies: Arc<MethodPolicies>,
    max_metadata_bytes: usize,
    trust_forwarded_for: bool,
}

impl RouteLayer {
    pub fn new(
        policies: Arc<MethodPolicies>,
        max_metadata_bytes: usize,
        trust_forwarded_for: bool,
    ) -> MiddlewareLayer<Self> {
        MiddlewareLayer::new(Self { policies, max_metadata_bytes, trust_forwarded_for })
    }

    fn target(&self, path: &str) -> Option<RouteTarget> {
        let (grpc_service, method) = path.strip_prefix('/')?.split_once('/')?;
        if method.is_empty() || method.contains('/') {
            return None;
        }
        let upstream = owning_service(grpc_service)?;
        let policy = self.policies.get(path)?;
        match policy.audience() {
            Audience::Public | Audience::Authenticated | Audience::Roles => {
                Some(RouteTarget { upstream: upstream.to_string(), policy: policy.clone() })
            }
            Audience::Internal | Audience::Unspecified => None,
        }
    }

    fn client_address<B>(&self, request: &Request<B>) -> Option<IpAddr> {
        if self.trust_forwarded_for {
            // The proxy appends the address it saw; only that last entry is its word.
            let forwarded = request
                .headers()
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|entry| entry.trim().parse::<IpAddr>().ok());
            if forwarded.is_some() {
                return forwarded;
            }
        }
        request.extensions().get::<PeerInfo>().map(|peer| peer.remote_addr.ip())
    }
}

impl<S, B> Middleware<S, Request<B>> for RouteLayer
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    fn call(&self, mut request: Request<B>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
        let Some(target) = self.target(request.uri().path()) else {
            return Box::pin(async { Ok(not_served().into_http()) });
        };
        let size = metadata_size(request.headers());
        if size > self.max_metadata_bytes {
            let status = too_large(
                "METADATA_TOO_LARGE",
                format!("request metadata is {size} bytes, the limit is {}", self.max_metadata_bytes),
            );
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let address = self.client_address(&request).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        request.extensions_mut().insert(ClientAddress(address));
        request.extensions_mut().insert(target);
        Box::pin(inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::owning_service;

    #[test]
    fn the_owning_service_is_the_package_domain() {
        assert_eq!(owning_service("canopy.identity.v1.AuthService"), Some("identity"));
        assert_eq!(owning_service("canopy.sites.v2beta1.SiteService"), Some("sites"));
    }

    #[test]
    fn names_outside_the_canopy_layout_have_no_owner() {
        for name in [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "canopy.identity.AuthService",
            "canopy.identity.v1.extra.AuthService",
            "canopy..v1.AuthService",
            "canopy.Identity.v1.AuthService",
            "canopy.identity.x1.AuthService",
            "canopy.identity.v1.",
            "",
        ] {
            assert_eq!(owning_service(name), None, "{name}");
        }
    }
}
