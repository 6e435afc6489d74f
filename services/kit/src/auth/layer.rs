//! `AuthLayer`: authenticates the caller and enforces the method's policy on every
//! service, after the mesh layer has named the calling workload.

use std::sync::Arc;

use canopy_sdk::proto::canopy::options::v1::{Audience, MethodPolicy, TenantScoping};
use futures_util::future::BoxFuture;
use http::{HeaderMap, Request, Response};
use tonic::Status;
use tower::Service;

use super::api_keys::{API_KEY_PREFIX, ApiKeyResolver};
use super::principal::{Principal, PrincipalKind};
use super::verifier::TokenVerifier;
use super::{AuthError, CREDENTIAL_LOOKUP_HEADER};
use crate::ApiError;
use crate::access::MethodPolicies;
use crate::audit::AuditTrail;
use crate::mesh::CallerWorkload;
use crate::middleware::{Middleware, MiddlewareLayer};

/// Turns request credentials into a principal.
pub struct Authenticator {
    pub tokens: TokenVerifier,
    pub api_keys: ApiKeyResolver,
    /// Refuses calls a suspended or deactivated customer may not make.
    pub tenant_access: super::TenantAccessGuard,
}

impl Authenticator {
    /// Reads `authorization: Bearer <token or API key>`.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, AuthError> {
        let value = headers.get(http::header::AUTHORIZATION).ok_or(AuthError::Missing)?;
        let value = value.to_str().map_err(|_| AuthError::Malformed("authorization is not ASCII"))?;
        let credential = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthError::Malformed("authorization is not a bearer credential"))?
            .trim();
        if credential.starts_with(API_KEY_PREFIX) {
            // Boxed: the resolver's future is large, and inline it would be moved
            // (copied) on every call, token calls included.
            Box::pin(self.api_keys.resolve(credential)).await
        } else {
            self.tokens.verify(credential).await
        }
    }
}

/// Decides whether `principal` (if any), arriving from `caller` workload, may call
/// the method at `path` under `policy`.
pub fn authorize(
    policy: &MethodPolicy,
    path: &str,
    principal: Option<&Principal>,
    caller: Option<&CallerWorkload>,
) -> Result<(), ApiError> {
    match policy.audience() {
        Audience::Public => return Ok(()),
        Audience::Internal => {
            // Defence in depth: the gateway never forwards internal methods, and a
            // service refuses them from the gateway should it ever try.
            return match caller {
                Some(CallerWorkload(identity)) if identity.service_account != "gateway" => Ok(()),
                _ => Err(ApiError::PermissionDenied(format!("{path} is internal to the mesh"))),
            };
        }
        Audience::Unspecified => return Err(ApiError::PermissionDenied(format!("{path} has no audience"))),
        Audience::Authenticated | Audience::Roles => {}
    }
    let principal = principal.ok_or(ApiError::Unauthenticated("credentials required"))?;
    if policy.audience() == Audience::Roles && !policy.roles().any(|role| role == principal.role) {
        return Err(ApiError::PermissionDenied(format!("role may not call {path}")));
    }
    if policy.tenant_scoping() == TenantScoping::Platform && !principal.is_platform() {
        return Err(ApiError::PermissionDenied(format!("{path} is for platform principals")));
    }
    if let PrincipalKind::ApiKey { scopes, .. } = &principal.kind
        && !scopes.is_empty()
    {
        let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let allowed = scopes.iter().any(|scope| match scope.strip_suffix('*') {
            Some(prefix) => service.starts_with(prefix),
            None => scope == service,
        });
        if !allowed {
            return Err(ApiError::PermissionDenied(format!("api key scopes do not include {service}")));
        }
    }
    Ok(())
}

/// The only internal methods the gateway may call for itself, to decide on its
/// callers: verification keys and API keys (identity), and a customer's access state
/// and rate tier (tenancy). Prefixes of gRPC paths.
const GATEWAY_OWN_LOOKUPS: &[&str] =
    &["/canopy.identity.v1.CredentialService/", "/canopy.tenancy.v1.QuotaService/GetTenantAccess"];

/// The gateway marks its own lookups with [`CREDENTIAL_LOOKUP_HEADER`] and strips that
/// header from every call it forwards. The exemption covers the allow-list alone, so
/// even a forwarding bug could not open any other internal method.
fn is_gateway_own_lookup(path: &str, caller: Option<&CallerWorkload>, headers: &HeaderMap) -> bool {
    GATEWAY_OWN_LOOKUPS.iter().any(|prefix| path.starts_with(prefix))
        && caller.is_some_and(|CallerWorkload(identity)| identity.service_account == "gateway")
        && headers.contains_key(CREDENTIAL_LOOKUP_HEADER)
}

/// Enforces method policies; inserts the [`Principal`] into request extensions.
/// A refused call to a state-changing method is recorded in the audit trail.
#[derive(Clone)]
pub struct AuthLayer {
    policies: Arc<MethodPolicies>,
    authenticator: Arc<Authenticator>,
    audit: Option<AuditTrail>,
}

impl AuthLayer {
    pub fn new(
        policies: Arc<MethodPolicies>,
        authenticator: Arc<Authenticator>,
        audit: Option<AuditTrail>,
    ) -> MiddlewareLayer<Self> {
        MiddlewareLayer::new(Self { policies, authenticator, audit })
    }

    /// The refusal as a response, recorded first when the method is audited.
    fn refuse<B>(
        &self,
        request: &Request<B>,
        principal: Option<&Principal>,
        error: ApiError,
    ) -> impl Future<Output = Response<tonic::body::Body>> + Send + 'static {
        let status = Status::from(error);
        let path = request.uri().path().to_string();
        let audit = self.audit.clone().filter(|audit| audit.audits(&path));
        // Copied only for a refusal that is recorded, so the future borrows nothing.
        let recorded =
            audit.map(|audit| (audit, request.headers().clone(), request.extensions().clone(), principal.cloned()));
        async move {
            if let Some((audit, headers, extensions, principal)) = recorded {
                audit.record_refusal(&path, &headers, &extensions, principal.as_ref(), &status).await;
            }
            status.into_http()
        }
    }
}

impl<S, B> Middleware<S, Request<B>> for AuthLayer
where
    S: Service<Request<B>, Response = Response<tonic::body::Body>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    fn call(&self, mut request: Request<B>, mut inner: S) -> BoxFuture<'static, Result<S::Response, S::Error>> {
        let layer = self.clone();
        Box::pin(async move {
            let path = request.uri().path().to_string();
            // Health, reflection and other non-Canopy services carry no policy; the
            // mesh policy alone governs them.
            let Some(policy) = layer.policies.get(&path).cloned() else {
                return inner.call(request).await;
            };
            let needs_principal = matches!(policy.audience(), Audience::Authenticated | Audience::Roles);
            let principal = if needs_principal {
                match layer.authenticator.authenticate(request.headers()).await {
                    Ok(principal) => Some(principal),
                    Err(error) => return Ok(layer.refuse(&request, None, ApiError::from(error)).await),
                }
            } else {
                None
            };
            let caller = request.extensions().get::<CallerWorkload>().cloned();
            if policy.audience() == Audience::Internal
                && is_gateway_own_lookup(&path, caller.as_ref(), request.headers())
            {
                return inner.call(request).await;
            }
            if let Err(error) = authorize(&policy, &path, principal.as_ref(), caller.as_ref()) {
                return Ok(layer.refuse(&request, principal.as_ref(), error).await);
            }
            if let Some(Principal { tenant: Some(tenant), .. }) = principal.as_ref().filter(|p| !p.is_platform()) {
                let read_only = layer.policies.is_read_only(&path);
                if let Err(error) = layer.authenticator.tenant_access.check(*tenant, read_only).await {
                    return Ok(layer.refuse(&request, principal.as_ref(), error).await);
                }
            }
            if let Some(principal) = principal {
                request.extensions_mut().insert(principal);
            }
            inner.call(request).await
        })
    }
}
