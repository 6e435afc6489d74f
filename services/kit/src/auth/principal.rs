//! Who is calling, once authenticated.

use canopy_sdk::proto::canopy::options::v1::Role;
use uuid::Uuid;

use crate::ApiError;
use crate::db::{Scope, TenantId};

/// How the principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A signed-in user, within a session.
    User { user_id: Uuid, session_id: String },
    /// An API key; `scopes` limits the gRPC services it may call (empty: all its role allows).
    ApiKey { key_id: Uuid, scopes: Vec<String> },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The tenant a customer principal is bound to; `None` for platform principals.
    pub tenant: Option<TenantId>,
    pub role: Role,
}

impl Principal {
    /// Platform roles act across tenants.
    pub fn is_platform(&self) -> bool {
        matches!(self.role, Role::PlatformAdmin | Role::PlatformOperator)
    }

    /// The database scope for a request naming `requested` (the tenant id field of
    /// the request, if any). Customers are always confined to their own tenant and may
    /// not name another — they get NOT_FOUND, exactly as for a tenant that does not
    /// exist, so ids never leak. Platform principals get the named tenant, or the
    /// platform scope when they name none.
    pub fn scope_for(&self, requested: Option<TenantId>) -> Result<Scope, ApiError> {
        match (self.is_platform(), self.tenant, requested) {
            (true, _, Some(tenant)) => Ok(Scope::Tenant(tenant)),
            (true, _, None) => Ok(Scope::Platform),
            (false, Some(own), None) => Ok(Scope::Tenant(own)),
            (false, Some(own), Some(tenant)) if own == tenant => Ok(Scope::Tenant(own)),
            (false, Some(_), Some(_)) => Err(ApiError::NotFound { resource: "customer" }),
            (false, None, _) => Err(ApiError::PermissionDenied("principal has no tenant".into())),
        }
    }

    /// A stable id for logs and rate limits.
    pub fn id(&self) -> String {
        match &self.kind {
            PrincipalKind::User { user_id, .. } => format!("user:{user_id}"),
            PrincipalKind::ApiKey { key_id, .. } => format!("apikey:{key_id}"),
        }
    }
}

/// `Role::Owner` → `"owner"`, as carried in tokens.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Unspecified => "unspecified",
        Role::PlatformAdmin => "platform_admin",
        Role::PlatformOperator => "platform_operator",
        Role::Owner => "owner",
        Role::Member => "member",
        Role::Viewer => "viewer",
    }
}

/// The inverse of [`role_name`]; `None` for anything else.
pub fn role_from_name(name: &str) -> Option<Role> {
    Some(match name {
        "platform_admin" => Role::PlatformAdmin,
        "platform_operator" => Role::PlatformOperator,
        "owner" => Role::Owner,
        "member" => Role::Member,
        "viewer" => Role::Viewer,
        _ => return None,
    })
}
