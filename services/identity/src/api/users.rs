//! `UserService`: platform admins manage platform users and every tenant's users;
//! owners manage their own tenant's users. Platform operators may read.

use std::sync::Arc;

use canopy_kit::auth::Principal;
use canopy_kit::db::Scope;
use canopy_kit::paging::{PageCursor, page_size};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::common::v1::PageResponse;
use canopy_sdk::proto::canopy::identity::v1 as proto;
use canopy_sdk::proto::canopy::identity::v1::user_service_server::UserService;
use canopy_sdk::proto::canopy::identity::v1::{
    CreateUserRequest, CreateUserResponse, DeleteUserRequest, DeleteUserResponse, DisableUserRequest,
    DisableUserResponse, EnableUserRequest, EnableUserResponse, GetUserRequest, GetUserResponse,
    IssuePasswordResetRequest, IssuePasswordResetResponse, ListUsersRequest, ListUsersResponse, UnlockUserRequest,
    UnlockUserResponse, UpdateUserRoleRequest, UpdateUserRoleResponse,
};
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::Duration;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    client_address, db, optional_tenant, principal, required_id, role_to_store, session_store, status_from_proto,
    timestamp, user_to_proto,
};
use crate::Identity;
use crate::domain::email::Email;
use crate::domain::names::DisplayName;
use crate::domain::status::UserStatus;
use crate::domain::{roles, secrets};
use crate::events::{self, SecurityEvent};
use crate::store::Tx;
use crate::store::password_tokens::{self, Purpose};
use crate::store::users::{self, NewUser, UserFilter, UserRow};

fn not_found() -> ApiError {
    ApiError::NotFound { resource: "user" }
}

/// Refuses an administrator's change to their own account (a last admin could
/// otherwise demote, disable or delete themselves and leave nobody in charge).
fn refuse_self(principal: &Principal, user_id: Uuid, what: &str) -> Result<(), ApiError> {
    match &principal.kind {
        canopy_kit::auth::PrincipalKind::User { user_id: caller, .. } if *caller == user_id => {
            Err(ApiError::FailedPrecondition {
                reason: "OWN_ACCOUNT",
                message: format!("you cannot {what} your own account"),
            })
        }
        _ => Ok(()),
    }
}

/// The handlers.
pub struct UserApi {
    identity: Arc<Identity>,
}

impl UserApi {
    pub(crate) fn new(identity: Arc<Identity>) -> Self {
        Self { identity }
    }

    /// Runs `change` on the user `user_id` visible to `principal`, inside one
    /// transaction, with a security event of `kind`; NOT_FOUND when not visible.
    async fn change_user<F>(
        &self,
        principal: &Principal,
        user_id: Uuid,
        kind: &'static str,
        address: Option<&str>,
        change: F,
    ) -> Result<UserRow, ApiError>
    where
        F: for<'t> FnOnce(
            &'t mut Tx,
            UserRow,
        )
            -> futures_util::future::BoxFuture<'t, Result<(UserRow, serde_json::Value), ApiError>>,
    {
        let identity = &self.identity;
        let now = identity.clock.now();
        let mut tx = identity.database.begin(principal.scope_for(None)?).await.map_err(db("user"))?;
        let user = users::find_for_update(&mut tx, user_id).await.map_err(db("user"))?.ok_or_else(not_found)?;
        let (changed, details) = change(&mut tx, user).await?;
        let mut event =
            SecurityEvent::new(kind).subject(changed.id, changed.tenant_id).actor(principal.id()).source(address);
        event.details = details;
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;
        Ok(changed)
    }
}

#[tonic::async_trait]
impl UserService for UserApi {
    async fn create_user(&self, request: Request<CreateUserRequest>) -> Result<Response<CreateUserResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let request = request.into_inner();
        let identity = &self.identity;

        let mut violations = Vec::new();
        let tenant = optional_tenant("tenant_id", &request.tenant_id)?;
        let email =
            Email::parse(&request.email).map_err(|problem| violations.push(FieldViolation::new("email", problem))).ok();
        let display_name = DisplayName::parse(&request.display_name)
            .map_err(|problem| violations.push(FieldViolation::new("display_name", problem)))
            .ok();
        let role = roles::parse_required("role", request.role).map_err(|v| violations.push(v)).ok();
        let scope = principal.scope_for(tenant)?;
        let for_tenant_user = matches!(scope, Scope::Tenant(_));
        if let Some(role) = role
            && let Err(violation) = roles::check_fits("role", role, for_tenant_user)
        {
            violations.push(violation);
        }
        if !for_tenant_user && principal.role != Role::PlatformAdmin {
            return Err(ApiError::PermissionDenied("only platform admins create platform users".into()).into());
        }
        let (Some(email), Some(display_name), Some(role), true) = (email, display_name, role, violations.is_empty())
        else {
            return Err(ApiError::InvalidArgument(violations).into());
        };

        let now = identity.clock.now();
        let tenant_id = match scope {
            Scope::Tenant(tenant) => Some(tenant.0),
            _ => None,
        };
        let (token, digest) = secrets::new_token();
        let expires_at = now + Duration::seconds(identity.config.invitation_ttl_secs as i64);
        let mut tx = identity.database.begin(scope).await.map_err(db("user"))?;
        let user = users::insert(
            &mut tx,
            &NewUser {
                id: Uuid::now_v7(),
                tenant_id,
                email: email.as_str(),
                display_name: display_name.as_str(),
                role: role_to_store(role),
                status: UserStatus::Invited,
                password_hash: None,
                now,
            },
        )
        .await
        .map_err(db("user"))?;
        password_tokens::issue(&mut tx, tenant_id, user.id, Purpose::Invitation, &digest, expires_at, now)
            .await
            .map_err(db("invitation"))?;
        let event = SecurityEvent::new("user_invited")
            .subject(user.id, tenant_id)
            .actor(principal.id())
            .source(address.as_deref())
            .detail("role", user.role.as_str());
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;
        Ok(Response::new(CreateUserResponse {
            user: Some(user_to_proto(&user, now)),
            invitation_token: token,
            invitation_expire_time: Some(timestamp(expires_at)),
        }))
    }

    async fn get_user(&self, request: Request<GetUserRequest>) -> Result<Response<GetUserResponse>, Status> {
        let principal = principal(&request)?;
        let user_id = required_id("user_id", &request.get_ref().user_id)?;
        let identity = &self.identity;
        let mut tx = identity.database.begin(principal.scope_for(None)?).await.map_err(db("user"))?;
        let user = users::find(&mut tx, user_id).await.map_err(db("user"))?.ok_or_else(not_found)?;
        tx.commit().await.map_err(db("user"))?;
        Ok(Response::new(GetUserResponse { user: Some(user_to_proto(&user, identity.clock.now())) }))
    }

    async fn list_users(&self, request: Request<ListUsersRequest>) -> Result<Response<ListUsersResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let identity = &self.identity;
        let mut violations = Vec::new();
        let tenant = optional_tenant("tenant_id", &request.tenant_id)?;
        let page = request.page.unwrap_or_default();
        let size = page_size(page.page_size)?;
        let after = PageCursor::decode(&page.page_token)?;
        let role = roles::parse_filter("role", request.role).map_err(|v| violations.push(v)).ok().flatten();
        let status = match proto::UserStatus::try_from(request.status) {
            Ok(status) => status_from_proto(status),
            Err(_) => {
                violations.push(FieldViolation::new("status", format!("{} is not a known status", request.status)));
                None
            }
        };
        if request.search.chars().count() > 254 {
            violations.push(FieldViolation::new("search", "must be at most 254 characters"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let filter = UserFilter {
            search: Some(request.search.trim().to_string()).filter(|s| !s.is_empty()),
            role: role.map(role_to_store),
            status,
        };
        let mut tx = identity.database.begin(principal.scope_for(tenant)?).await.map_err(db("user"))?;
        let (rows, total) = users::list(&mut tx, &filter, size, after).await.map_err(db("user"))?;
        tx.commit().await.map_err(db("user"))?;
        let next_page_token = match rows.last() {
            Some(last) if rows.len() as i64 == size => PageCursor { time: last.created_at, id: last.id }.encode(),
            _ => String::new(),
        };
        let now = identity.clock.now();
        Ok(Response::new(ListUsersResponse {
            users: rows.iter().map(|user| user_to_proto(user, now)).collect(),
            page: Some(PageResponse { next_page_token, total_size: total }),
        }))
    }

    async fn update_user_role(
        &self,
        request: Request<UpdateUserRoleRequest>,
    ) -> Result<Response<UpdateUserRoleResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let request = request.into_inner();
        let user_id = required_id("user_id", &request.user_id)?;
        let role = roles::parse_required("role", request.role).map_err(|v| ApiError::InvalidArgument(vec![v]))?;
        refuse_self(&principal, user_id, "change the role of")?;
        let identity = &self.identity;
        let now = identity.clock.now();
        let user = self
            .change_user(&principal, user_id, "user_role_changed", address.as_deref(), |tx, user| {
                Box::pin(async move {
                    roles::check_fits("role", role, user.tenant_id.is_some())
                        .map_err(|v| ApiError::InvalidArgument(vec![v]))?;
                    let changed = users::set_role(tx, user.id, role_to_store(role), now)
                        .await
                        .map_err(db("user"))?
                        .ok_or_else(not_found)?;
                    Ok((changed, serde_json::json!({ "from": user.role, "to": role_to_store(role) })))
                })
            })
            .await?;
        // Tokens carry the role: end the sessions so the new role applies at once.
        identity.sessions.end_all(user_id, None).await.map_err(session_store)?;
        Ok(Response::new(UpdateUserRoleResponse { user: Some(user_to_proto(&user, now)) }))
    }

    async fn disable_user(
        &self,
        request: Request<DisableUserRequest>,
    ) -> Result<Response<DisableUserResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let user_id = required_id("user_id", &request.get_ref().user_id)?;
        refuse_self(&principal, user_id, "disable")?;
        let identity = &self.identity;
        let now = identity.clock.now();
        let user = self
            .change_user(&principal, user_id, "user_disabled", address.as_deref(), |tx, user| {
                Box::pin(async move {
                    let changed = users::set_status(tx, user.id, UserStatus::Disabled, now)
                        .await
                        .map_err(db("user"))?
                        .ok_or_else(not_found)?;
                    Ok((changed, serde_json::json!({ "previous_status": user.status.as_str() })))
                })
            })
            .await?;
        identity.sessions.end_all(user_id, None).await.map_err(session_store)?;
        Ok(Response::new(DisableUserResponse { user: Some(user_to_proto(&user, now)) }))
    }

    async fn enable_user(&self, request: Request<EnableUserRequest>) -> Result<Response<EnableUserResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let user_id = required_id("user_id", &request.get_ref().user_id)?;
        let now = self.identity.clock.now();
        let user = self
            .change_user(&principal, user_id, "user_enabled", address.as_deref(), |tx, user| {
                Box::pin(async move {
                    // A user who never set a password goes back to waiting for it.
                    let status = if user.status != UserStatus::Disabled {
                        user.status
                    } else if user.password_hash.is_some() {
                        UserStatus::Active
                    } else {
                        UserStatus::Invited
                    };
                    let changed =
                        users::set_status(tx, user.id, status, now).await.map_err(db("user"))?.ok_or_else(not_found)?;
                    Ok((changed, serde_json::json!({ "status": status.as_str() })))
                })
            })
            .await?;
        Ok(Response::new(EnableUserResponse { user: Some(user_to_proto(&user, now)) }))
    }

    async fn delete_user(&self, request: Request<DeleteUserRequest>) -> Result<Response<DeleteUserResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let user_id = required_id("user_id", &request.get_ref().user_id)?;
        refuse_self(&principal, user_id, "delete")?;
        let identity = &self.identity;
        self.change_user(&principal, user_id, "user_deleted", address.as_deref(), |tx, user| {
            Box::pin(async move {
                let deleted = users::delete(tx, user.id).await.map_err(db("user"))?.ok_or_else(not_found)?;
                Ok((deleted, serde_json::json!({ "role": user.role })))
            })
        })
        .await?;
        identity.sessions.end_all(user_id, None).await.map_err(session_store)?;
        Ok(Response::new(DeleteUserResponse {}))
    }

    async fn unlock_user(&self, request: Request<UnlockUserRequest>) -> Result<Response<UnlockUserResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let user_id = required_id("user_id", &request.get_ref().user_id)?;
        let identity = self.identity.clone();
        let now = identity.clock.now();
        let lockout = identity.lockout;
        let user = self
            .change_user(&principal, user_id, "user_unlocked", address.as_deref(), |tx, user| {
                Box::pin(async move {
                    let was_locked_until = user.locked_until.filter(|until| *until > now).map(|t| t.to_rfc3339());
                    let state = lockout.unlocked(&user.lock_state());
                    users::set_lock_state(tx, user.id, &state).await.map_err(db("user"))?;
                    let changed = users::find(tx, user.id).await.map_err(db("user"))?.ok_or_else(not_found)?;
                    Ok((changed, serde_json::json!({ "was_locked_until": was_locked_until })))
                })
            })
            .await?;
        Ok(Response::new(UnlockUserResponse { user: Some(user_to_proto(&user, now)) }))
    }

    async fn issue_password_reset(
        &self,
        request: Request<IssuePasswordResetRequest>,
    ) -> Result<Response<IssuePasswordResetResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let user_id = required_id("user_id", &request.get_ref().user_id)?;
        let identity = &self.identity;
        let now = identity.clock.now();
        let (token, digest) = secrets::new_token();
        let expires_at = now + Duration::seconds(identity.config.reset_ttl_secs as i64);
        self.change_user(&principal, user_id, "password_reset_issued", address.as_deref(), |tx, user| {
            Box::pin(async move {
                password_tokens::issue(tx, user.tenant_id, user.id, Purpose::Reset, &digest, expires_at, now)
                    .await
                    .map_err(db("password reset"))?;
                Ok((user, serde_json::json!({ "expires_at": expires_at.to_rfc3339() })))
            })
        })
        .await?;
        Ok(Response::new(IssuePasswordResetResponse { reset_token: token, expire_time: Some(timestamp(expires_at)) }))
    }
}
