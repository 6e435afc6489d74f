//! gRPC handlers, one module per service. Each handler decodes and validates the
//! request, authorises it against the caller's [`Principal`] (the kit's AuthLayer
//! has already authenticated it and checked the method's audience and roles), runs
//! the flow, and maps every error to an [`ApiError`] in one place.
//!
//! Tenant rules: a request's database scope always comes from
//! `Principal::scope_for`, so an owner naming another tenant, or an id of another
//! tenant's row, gets NOT_FOUND exactly as for an id that does not exist.

pub mod api_keys;
pub mod auth;
pub mod contacts;
pub mod credentials;
pub mod users;

use std::net::IpAddr;

use canopy_kit::ApiError;
use canopy_kit::auth::{Principal, PrincipalKind, role_from_name, role_name};
use canopy_kit::db::Scope;
use canopy_kit::error::from_sqlx;
use canopy_kit::mesh::{CallerWorkload, PeerInfo};
pub(crate) use canopy_kit::request::{optional_tenant, principal, required_id, time_from_proto, timestamp};
use canopy_sdk::proto::canopy::identity::v1 as proto;
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::status::UserStatus;
use crate::store::api_keys::ApiKeyRow;
use crate::store::users::UserRow;

/// The one answer to every failed sign-in: unknown email, wrong password, disabled,
/// not yet activated, locked. Telling them apart would tell an attacker which
/// emails have accounts.
pub(crate) fn sign_in_refused() -> ApiError {
    ApiError::Unauthenticated("invalid email or password")
}

/// A database error as the caller sees it; `resource` names what was written.
pub(crate) fn db(resource: &'static str) -> impl Fn(sqlx::Error) -> ApiError {
    move |error| from_sqlx(error, resource)
}

/// Redis (sessions) unreachable or failing.
pub(crate) fn session_store(error: impl std::fmt::Display) -> ApiError {
    tracing::warn!(error = %error, "session store failed");
    ApiError::Unavailable("session store")
}

/// The signed-in user and session behind `principal`; API keys have neither.
pub(crate) fn user_session(principal: &Principal) -> Result<(Uuid, String), ApiError> {
    match &principal.kind {
        PrincipalKind::User { user_id, session_id } => Ok((*user_id, session_id.clone())),
        PrincipalKind::ApiKey { .. } => Err(ApiError::FailedPrecondition {
            reason: "NOT_A_USER",
            message: "this method is for signed-in users, not api keys".into(),
        }),
    }
}

/// The scope a user's own rows live in.
pub(crate) fn own_scope(principal: &Principal) -> Scope {
    match principal.tenant {
        Some(tenant) => Scope::Tenant(tenant),
        None => Scope::Platform,
    }
}

/// The address a request came from: the first `x-forwarded-for` hop when the gateway
/// forwarded it (only the gateway is trusted to set it), else the connection's peer.
pub(crate) fn client_address<T>(request: &tonic::Request<T>) -> Option<String> {
    let from_gateway = request
        .extensions()
        .get::<CallerWorkload>()
        .is_some_and(|CallerWorkload(identity)| identity.service_account == "gateway");
    if from_gateway
        && let Some(forwarded) = request.metadata().get("x-forwarded-for").and_then(|v| v.to_str().ok())
        && let Some(Ok(address)) = forwarded.split(',').next().map(|hop| hop.trim().parse::<IpAddr>())
    {
        return Some(address.to_string());
    }
    request.extensions().get::<PeerInfo>().map(|peer| peer.remote_addr.ip().to_string())
}

/// A stored role name as the proto enum (unknown names cannot be stored).
pub(crate) fn stored_role(name: &str) -> Role {
    role_from_name(name).unwrap_or(Role::Unspecified)
}

/// A status filter of a request; `None` for UNSPECIFIED (any).
pub(crate) fn status_from_proto(status: proto::UserStatus) -> Option<UserStatus> {
    match status {
        proto::UserStatus::Invited => Some(UserStatus::Invited),
        proto::UserStatus::Active => Some(UserStatus::Active),
        proto::UserStatus::Disabled => Some(UserStatus::Disabled),
        proto::UserStatus::Unspecified => None,
    }
}

fn status_to_proto(status: UserStatus) -> proto::UserStatus {
    match status {
        UserStatus::Invited => proto::UserStatus::Invited,
        UserStatus::Active => proto::UserStatus::Active,
        UserStatus::Disabled => proto::UserStatus::Disabled,
    }
}

/// A user as the API shows it (never its password hash, secrets or counters).
pub(crate) fn user_to_proto(user: &UserRow, now: DateTime<Utc>) -> proto::User {
    proto::User {
        id: user.id.to_string(),
        tenant_id: user.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: stored_role(&user.role) as i32,
        status: status_to_proto(user.status) as i32,
        mfa_enabled: user.mfa_enabled,
        create_time: Some(timestamp(user.created_at)),
        update_time: Some(timestamp(user.updated_at)),
        last_login_time: user.last_login_at.map(timestamp),
        locked_until_time: user.locked_until.filter(|until| *until > now).map(timestamp),
    }
}

/// An API key as the API shows it (never its secret or digest).
pub(crate) fn api_key_to_proto(key: &ApiKeyRow) -> proto::ApiKey {
    proto::ApiKey {
        id: key.id.to_string(),
        tenant_id: key.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        role: stored_role(&key.role) as i32,
        scopes: key.scopes.clone(),
        create_time: Some(timestamp(key.created_at)),
        expire_time: key.expire_at.map(timestamp),
        revoke_time: key.revoked_at.map(timestamp),
        last_used_time: key.last_used_at.map(timestamp),
    }
}

/// `role_name` for storing a validated role.
pub(crate) fn role_to_store(role: Role) -> &'static str {
    role_name(role)
}
