//! `AuthService`: sign-in (password, then TOTP or a recovery code when MFA is on),
//! refresh, sign-out, the caller's own account, password changes and MFA set-up.

use std::sync::Arc;

use canopy_kit::ApiError;
use canopy_kit::auth::SessionRecord;
use canopy_kit::auth::role_from_name;
use canopy_kit::db::Scope;
use canopy_sdk::proto::canopy::identity::v1::auth_service_server::AuthService;
use canopy_sdk::proto::canopy::identity::v1::{
    BeginMfaSetupRequest, BeginMfaSetupResponse, ChangePasswordRequest, ChangePasswordResponse,
    CompleteMfaLoginRequest, CompleteMfaLoginResponse, ConfirmMfaSetupRequest, ConfirmMfaSetupResponse,
    DisableMfaRequest, DisableMfaResponse, GetCurrentUserRequest, GetCurrentUserResponse, LoginRequest, LoginResponse,
    LogoutRequest, LogoutResponse, MfaChallenge, RefreshSessionRequest, RefreshSessionResponse, SessionTokens,
    SetPasswordWithTokenRequest, SetPasswordWithTokenResponse, login_response,
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    client_address, db, own_scope, principal, session_store, sign_in_refused, timestamp, user_session, user_to_proto,
};
use crate::domain::lockout::Refusal;
use crate::domain::password::MAX_PASSWORD_CHARS;
use crate::domain::secrets::{self, RECOVERY_CODE_COUNT};
use crate::domain::status::UserStatus;
use crate::domain::totp::{self, TotpSecret};
use crate::events::{self, SecurityEvent};
use crate::sessions::{IssuedSession, RefreshClaim, SessionSubject};
use crate::store::users::UserRow;
use crate::store::{self, password_tokens, recovery_codes, users};
use crate::{Identity, reseal};

/// The answer to a refresh token that is unknown, spent, or whose session ended.
fn refresh_refused() -> ApiError {
    ApiError::Unauthenticated("invalid or expired refresh token")
}

/// The answer to a failed second factor, whatever failed (challenge or code).
fn mfa_refused() -> ApiError {
    ApiError::Unauthenticated("invalid or expired challenge or code")
}

fn hashing(error: crate::passwords::PasswordHashError) -> ApiError {
    ApiError::internal(error)
}

fn session_tokens(issued: &IssuedSession) -> SessionTokens {
    SessionTokens {
        access_token: issued.access_token.clone(),
        access_token_expire_time: Some(timestamp(issued.access_expire_at)),
        refresh_token: issued.refresh_token.clone(),
        session_expire_time: Some(timestamp(issued.session_expire_at)),
    }
}

fn subject_of(user: &UserRow) -> Result<SessionSubject, ApiError> {
    let role = role_from_name(&user.role)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user {} has unknown role {}", user.id, user.role)))?;
    Ok(SessionSubject { user_id: user.id, tenant_id: user.tenant_id, role })
}

/// The handlers.
pub struct AuthApi {
    identity: Arc<Identity>,
}

impl AuthApi {
    pub(crate) fn new(identity: Arc<Identity>) -> Self {
        Self { identity }
    }
}

impl Identity {
    /// Records a failed attempt on an account (in its own transaction, on the fresh,
    /// locked row, so concurrent failures all count) and on the source address.
    async fn record_sign_in_failure(
        &self,
        user: Option<&UserRow>,
        address: Option<&str>,
        reason: &'static str,
    ) -> Result<(), ApiError> {
        let now = self.clock.now();
        let mut tx = self.database.begin(Scope::Platform).await.map_err(db("user"))?;
        if let Some(user) = user
            && let Some(fresh) = users::find_for_update(&mut tx, user.id).await.map_err(db("user"))?
        {
            let outcome = self.lockout.after_failure(&fresh.lock_state(), now);
            users::set_lock_state(&mut tx, fresh.id, &outcome.state).await.map_err(db("user"))?;
            if let Some(until) = outcome.newly_locked_until {
                let event = SecurityEvent::new("account_locked")
                    .subject(fresh.id, fresh.tenant_id)
                    .source(address)
                    .detail("locked_until", until.to_rfc3339())
                    .detail("lock_count", outcome.state.lock_count);
                events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
            }
        }
        let mut event = SecurityEvent::new("sign_in_failed").source(address).detail("reason", reason);
        if let Some(user) = user {
            event = event.subject(user.id, user.tenant_id);
        }
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;

        if let Some(address) = address {
            let locked = self.address_lockout.record_failure(address, now).await.map_err(session_store)?;
            if let Some(until) = locked {
                let event = SecurityEvent::new("address_locked")
                    .source(Some(address))
                    .detail("locked_until", until.to_rfc3339());
                events::record_alone(&self.database, &event, now).await.map_err(db("security event"))?;
            }
        }
        Ok(())
    }

    /// Checks `password` for the account with `email`: the user when accepted, `None`
    /// when refused. Every refusal looks and takes the same: an Argon2 verification
    /// runs in every case.
    async fn check_password(
        &self,
        email: &str,
        password: &str,
        address: Option<&str>,
    ) -> Result<Option<UserRow>, ApiError> {
        let now = self.clock.now();
        if let Some(address) = address
            && self.address_lockout.locked_until(address, now).await.map_err(session_store)?.is_some()
        {
            self.hasher.verify(password, None).await.map_err(hashing)?;
            let event = SecurityEvent::new("sign_in_refused").source(Some(address)).detail("reason", "address_locked");
            events::record_alone(&self.database, &event, now).await.map_err(db("security event"))?;
            return Ok(None);
        }
        // A system lookup: sign-in names only an email, so the tenant is not known
        // until the user is found. Nothing but this row is read in the platform scope.
        let mut tx = self.database.begin(Scope::Platform).await.map_err(db("user"))?;
        let user = users::find_by_email(&mut tx, &email.to_lowercase()).await.map_err(db("user"))?;
        tx.commit().await.map_err(db("user"))?;

        let Some(user) = user else {
            self.hasher.verify(password, None).await.map_err(hashing)?;
            self.record_sign_in_failure(None, address, "unknown_email").await?;
            return Ok(None);
        };
        if let Some(refusal) = self.lockout.refusal(&user.lock_state(), now) {
            self.hasher.verify(password, None).await.map_err(hashing)?;
            let reason = match refusal {
                Refusal::Locked { .. } => "account_locked",
                Refusal::HourlyCapReached => "hourly_failure_cap",
            };
            self.record_sign_in_failure(Some(&user), address, reason).await?;
            return Ok(None);
        }
        let usable_hash = user.password_hash.as_deref().filter(|_| user.status == UserStatus::Active);
        let matched = self.hasher.verify(password, usable_hash).await.map_err(hashing)?;
        if usable_hash.is_none() {
            let reason = if user.status == UserStatus::Disabled { "account_disabled" } else { "account_not_activated" };
            // Not counted towards the account's lockout: there is no password to guess.
            let event = SecurityEvent::new("sign_in_failed")
                .subject(user.id, user.tenant_id)
                .source(address)
                .detail("reason", reason);
            events::record_alone(&self.database, &event, now).await.map_err(db("security event"))?;
            return Ok(None);
        }
        if !matched {
            self.record_sign_in_failure(Some(&user), address, "wrong_password").await?;
            return Ok(None);
        }
        Ok(Some(user))
    }

    /// Finishes a successful sign-in: clears the lockout streak, records the event
    /// and starts the session. Re-checks the lock on the fresh row, since a
    /// concurrent failure may have locked the account meanwhile.
    async fn complete_sign_in(
        &self,
        user: &UserRow,
        address: Option<&str>,
        method: &'static str,
    ) -> Result<IssuedSession, ApiError> {
        let now = self.clock.now();
        let mut tx = self.database.begin(Scope::Platform).await.map_err(db("user"))?;
        let fresh = users::find_for_update(&mut tx, user.id).await.map_err(db("user"))?.ok_or_else(sign_in_refused)?;
        if fresh.status != UserStatus::Active || self.lockout.refusal(&fresh.lock_state(), now).is_some() {
            tx.rollback().await.map_err(db("user"))?;
            self.record_sign_in_failure(Some(&fresh), address, "account_locked").await?;
            return Err(sign_in_refused());
        }
        if let Some(tenant) = fresh.tenant_id {
            // A suspended customer's users sign in only while tenancy allows them
            // read-only access; a deactivated customer's never. (The password was
            // right, so saying why reveals nothing the caller does not know.)
            if let Err(refusal) = self.auth.tenant_access.check(canopy_kit::db::TenantId(tenant), true).await {
                tx.rollback().await.map_err(db("user"))?;
                return Err(refusal);
            }
        }
        let state = self.lockout.after_success(&fresh.lock_state());
        users::set_lock_state(&mut tx, fresh.id, &state).await.map_err(db("user"))?;
        users::set_last_login(&mut tx, fresh.id, now).await.map_err(db("user"))?;
        let event = SecurityEvent::new("sign_in_succeeded")
            .subject(fresh.id, fresh.tenant_id)
            .actor(format!("user:{}", fresh.id))
            .source(address)
            .detail("method", method);
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;
        self.sessions.start(subject_of(&fresh)?, &self.keys).await.map_err(session_store)
    }

    async fn login(&self, request: LoginRequest, address: Option<String>) -> Result<LoginResponse, ApiError> {
        let mut violations = Vec::new();
        if request.email.is_empty() {
            violations.push(canopy_kit::FieldViolation::new("email", "is required"));
        }
        if request.password.is_empty() {
            violations.push(canopy_kit::FieldViolation::new("password", "is required"));
        } else if request.password.chars().count() > MAX_PASSWORD_CHARS {
            // No stored password can be this long; refusing it early spares a hash.
            violations.push(canopy_kit::FieldViolation::new("password", "must be at most 128 characters"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let address = address.as_deref();
        let Some(user) = self.check_password(&request.email, &request.password, address).await? else {
            return Err(sign_in_refused());
        };
        if user.mfa_enabled {
            // The streak is not cleared yet: only the second factor completes a
            // sign-in, so guessing codes counts towards the lockout.
            let (token, expire_at) = self.sessions.new_challenge(user.id).await.map_err(session_store)?;
            let event = SecurityEvent::new("sign_in_mfa_required").subject(user.id, user.tenant_id).source(address);
            events::record_alone(&self.database, &event, self.clock.now()).await.map_err(db("security event"))?;
            return Ok(LoginResponse {
                result: Some(login_response::Result::MfaChallenge(MfaChallenge {
                    challenge_token: token,
                    expire_time: Some(timestamp(expire_at)),
                })),
            });
        }
        let issued = self.complete_sign_in(&user, address, "password").await?;
        Ok(LoginResponse { result: Some(login_response::Result::Session(session_tokens(&issued))) })
    }

    async fn complete_mfa_login(
        &self,
        request: CompleteMfaLoginRequest,
        address: Option<String>,
    ) -> Result<CompleteMfaLoginResponse, ApiError> {
        let address = address.as_deref();
        if request.challenge_token.is_empty() {
            return Err(ApiError::invalid("challenge_token", "is required"));
        }
        let (totp_code, recovery_code) = match (request.totp_code.is_empty(), request.recovery_code.is_empty()) {
            (false, true) => (Some(request.totp_code.as_str()), None),
            (true, false) => (None, Some(request.recovery_code.as_str())),
            _ => return Err(ApiError::invalid("totp_code", "give exactly one of totp_code and recovery_code")),
        };
        let Some(user_id) = self.sessions.take_challenge(&request.challenge_token).await.map_err(session_store)? else {
            return Err(mfa_refused());
        };
        let now = self.clock.now();
        // Platform scope: the challenge names the user, whose tenant is not known yet.
        let mut tx = self.database.begin(Scope::Platform).await.map_err(db("user"))?;
        let user = users::find_for_update(&mut tx, user_id).await.map_err(db("user"))?.ok_or_else(mfa_refused)?;
        let usable = user.status == UserStatus::Active
            && user.mfa_enabled
            && self.lockout.refusal(&user.lock_state(), now).is_none();
        let accepted = usable
            && match (totp_code, recovery_code) {
                (Some(code), _) => {
                    let secret = self
                        .open_totp_secret(&mut tx, &user, &reseal::ACTIVE, user.mfa_secret_sealed.as_deref())
                        .await?;
                    match secret.matching_step(code, now.timestamp()) {
                        Some(step) => users::accept_totp_step(&mut tx, user.id, step).await.map_err(db("user"))?,
                        None => false,
                    }
                }
                (None, Some(code)) => {
                    let digest = secrets::digest(&secrets::normalize_recovery_code(code));
                    let used =
                        recovery_codes::consume(&mut tx, user.id, &digest, now).await.map_err(db("recovery code"))?;
                    if used {
                        let remaining =
                            recovery_codes::remaining(&mut tx, user.id).await.map_err(db("recovery code"))?;
                        let event = SecurityEvent::new("recovery_code_used")
                            .subject(user.id, user.tenant_id)
                            .source(address)
                            .detail("remaining", remaining);
                        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
                    }
                    used
                }
                (None, None) => false,
            };
        tx.commit().await.map_err(db("user"))?;
        if !accepted {
            self.record_sign_in_failure(Some(&user), address, "wrong_mfa_code").await?;
            return Err(mfa_refused());
        }
        let method = if totp_code.is_some() { "password+totp" } else { "password+recovery_code" };
        let issued = self.complete_sign_in(&user, address, method).await?;
        Ok(CompleteMfaLoginResponse { session: Some(session_tokens(&issued)) })
    }

    /// The TOTP secret sealed in `column` of `user`'s row.
    async fn open_totp_secret(
        &self,
        conn: &mut sqlx::PgConnection,
        user: &UserRow,
        column: &canopy_kit::secrets::EncryptedColumn,
        sealed: Option<&[u8]>,
    ) -> Result<TotpSecret, ApiError> {
        use secrecy::ExposeSecret as _;
        let sealed =
            sealed.ok_or_else(|| ApiError::internal(anyhow::anyhow!("user {} has no totp secret", user.id)))?;
        self.secrets
            .decrypt(conn, &reseal::binding(user.id, user.tenant_id, column), sealed)
            .await
            .map(|plain| TotpSecret::from_bytes(plain.expose_secret().to_vec()))
            .map_err(|e| ApiError::internal(anyhow::anyhow!("totp secret of user {}: {e}", user.id)))
    }

    /// A TOTP secret sealed for `column` of `user`'s row.
    async fn seal_totp_secret(
        &self,
        conn: &mut sqlx::PgConnection,
        user: &UserRow,
        column: &canopy_kit::secrets::EncryptedColumn,
        secret: &TotpSecret,
    ) -> Result<Vec<u8>, ApiError> {
        self.secrets
            .encrypt(
                conn,
                &reseal::binding(user.id, user.tenant_id, column),
                &secrecy::SecretSlice::from(secret.as_bytes().to_vec()),
            )
            .await
            .map_err(|e| ApiError::internal(anyhow::anyhow!("sealing the totp secret of user {}: {e}", user.id)))
    }

    async fn refresh_session(
        &self,
        request: RefreshSessionRequest,
        address: Option<String>,
    ) -> Result<RefreshSessionResponse, ApiError> {
        if request.refresh_token.is_empty() {
            return Err(ApiError::invalid("refresh_token", "is required"));
        }
        let session_id = match self.sessions.claim_refresh_token(&request.refresh_token).await.map_err(session_store)? {
            RefreshClaim::Current(session_id) => session_id,
            RefreshClaim::Unknown => return Err(refresh_refused()),
            RefreshClaim::Reused(session_id) => {
                // A spent token came back: it was copied. End the whole family.
                let ended = self.sessions.end(&session_id).await.map_err(session_store)?;
                let mut event = SecurityEvent::new("refresh_token_reused")
                    .source(address.as_deref())
                    .detail("session_ended", ended.is_some());
                if let Some(record) = &ended {
                    event = event.subject(record.user_id, record.tenant_id);
                }
                events::record_alone(&self.database, &event, self.clock.now()).await.map_err(db("security event"))?;
                return Err(refresh_refused());
            }
        };
        let record = self.sessions.alive(&session_id).await.map_err(session_store)?.ok_or_else(refresh_refused)?;
        let user = self.current_user_of(&record).await?;
        let Some(user) = user.filter(|user| user.status == UserStatus::Active) else {
            self.sessions.end(&session_id).await.map_err(session_store)?;
            return Err(refresh_refused());
        };
        let issued = self.sessions.renew(record, subject_of(&user)?, &self.keys).await.map_err(session_store)?;
        Ok(RefreshSessionResponse { session: Some(session_tokens(&issued)) })
    }

    /// The session's user as stored now (its role may have changed since sign-in).
    async fn current_user_of(&self, record: &SessionRecord) -> Result<Option<UserRow>, ApiError> {
        let scope = match record.tenant_id {
            Some(tenant) => Scope::Tenant(canopy_kit::db::TenantId(tenant)),
            None => Scope::Platform,
        };
        let mut tx = self.database.begin(scope).await.map_err(db("user"))?;
        let user = users::find(&mut tx, record.user_id).await.map_err(db("user"))?;
        tx.commit().await.map_err(db("user"))?;
        Ok(user)
    }

    /// The caller's own row, locked for the transaction.
    async fn own_user_for_update(&self, tx: &mut store::Tx, user_id: Uuid) -> Result<UserRow, ApiError> {
        users::find_for_update(tx, user_id).await.map_err(db("user"))?.ok_or(ApiError::NotFound { resource: "user" })
    }
}

#[tonic::async_trait]
impl AuthService for AuthApi {
    async fn login(&self, request: Request<LoginRequest>) -> Result<Response<LoginResponse>, Status> {
        let address = client_address(&request);
        Ok(Response::new(self.identity.login(request.into_inner(), address).await?))
    }

    async fn complete_mfa_login(
        &self,
        request: Request<CompleteMfaLoginRequest>,
    ) -> Result<Response<CompleteMfaLoginResponse>, Status> {
        let address = client_address(&request);
        Ok(Response::new(self.identity.complete_mfa_login(request.into_inner(), address).await?))
    }

    async fn refresh_session(
        &self,
        request: Request<RefreshSessionRequest>,
    ) -> Result<Response<RefreshSessionResponse>, Status> {
        let address = client_address(&request);
        Ok(Response::new(self.identity.refresh_session(request.into_inner(), address).await?))
    }

    async fn logout(&self, request: Request<LogoutRequest>) -> Result<Response<LogoutResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let (user_id, session_id) = user_session(&principal)?;
        let identity = &self.identity;
        identity.sessions.end(&session_id).await.map_err(session_store)?;
        let event = SecurityEvent::new("sign_out")
            .subject(user_id, principal.tenant.map(|t| t.0))
            .actor(principal.id())
            .source(address.as_deref());
        events::record_alone(&identity.database, &event, identity.clock.now()).await.map_err(db("security event"))?;
        Ok(Response::new(LogoutResponse {}))
    }

    async fn get_current_user(
        &self,
        request: Request<GetCurrentUserRequest>,
    ) -> Result<Response<GetCurrentUserResponse>, Status> {
        let principal = principal(&request)?;
        let (user_id, _) = user_session(&principal)?;
        let identity = &self.identity;
        let mut tx = identity.database.begin(own_scope(&principal)).await.map_err(db("user"))?;
        let user =
            users::find(&mut tx, user_id).await.map_err(db("user"))?.ok_or(ApiError::NotFound { resource: "user" })?;
        tx.commit().await.map_err(db("user"))?;
        Ok(Response::new(GetCurrentUserResponse { user: Some(user_to_proto(&user, identity.clock.now())) }))
    }

    async fn change_password(
        &self,
        request: Request<ChangePasswordRequest>,
    ) -> Result<Response<ChangePasswordResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let (user_id, session_id) = user_session(&principal)?;
        let request = request.into_inner();
        let identity = &self.identity;
        if request.current_password.is_empty() {
            return Err(ApiError::invalid("current_password", "is required").into());
        }
        let scope = own_scope(&principal);
        let mut tx = identity.database.begin(scope).await.map_err(db("user"))?;
        let user =
            users::find(&mut tx, user_id).await.map_err(db("user"))?.ok_or(ApiError::NotFound { resource: "user" })?;
        tx.commit().await.map_err(db("user"))?;
        identity
            .password_policy
            .check("new_password", &request.new_password, &[&user.email, &user.display_name])
            .map_err(|violation| ApiError::InvalidArgument(vec![violation]))?;
        if identity.lockout.refusal(&user.lock_state(), identity.clock.now()).is_some() {
            return Err(ApiError::FailedPrecondition {
                reason: "ACCOUNT_LOCKED",
                message: "too many failed attempts; try again later".into(),
            }
            .into());
        }
        let matched =
            identity.hasher.verify(&request.current_password, user.password_hash.as_deref()).await.map_err(hashing)?;
        if !matched {
            identity.record_sign_in_failure(Some(&user), address.as_deref(), "wrong_current_password").await?;
            return Err(ApiError::PermissionDenied("current password is incorrect".into()).into());
        }
        if request.new_password == request.current_password {
            return Err(ApiError::invalid("new_password", "must differ from the current password").into());
        }
        let hash = identity.hasher.hash(&request.new_password).await.map_err(hashing)?;
        let now = identity.clock.now();
        let mut tx = identity.database.begin(scope).await.map_err(db("user"))?;
        users::set_password(&mut tx, user_id, &hash, now).await.map_err(db("user"))?;
        password_tokens::withdraw_unused(&mut tx, user_id).await.map_err(db("password token"))?;
        let event = SecurityEvent::new("password_changed")
            .subject(user_id, user.tenant_id)
            .actor(principal.id())
            .source(address.as_deref())
            .detail("ended_other_sessions", request.end_other_sessions);
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;
        if request.end_other_sessions {
            identity.sessions.end_all(user_id, Some(&session_id)).await.map_err(session_store)?;
        }
        Ok(Response::new(ChangePasswordResponse {}))
    }

    async fn set_password_with_token(
        &self,
        request: Request<SetPasswordWithTokenRequest>,
    ) -> Result<Response<SetPasswordWithTokenResponse>, Status> {
        let address = client_address(&request);
        let request = request.into_inner();
        let identity = &self.identity;
        if request.token.is_empty() {
            return Err(ApiError::invalid("token", "is required").into());
        }
        let refused = || ApiError::Unauthenticated("invalid or expired token");
        let digest = secrets::digest(&request.token);
        let now = identity.clock.now();
        // Platform scope: the token is the only thing that names the user.
        let mut tx = identity.database.begin(Scope::Platform).await.map_err(db("password token"))?;
        let user_id =
            password_tokens::peek(&mut tx, &digest, now).await.map_err(db("password token"))?.ok_or_else(refused)?;
        let user = users::find(&mut tx, user_id).await.map_err(db("user"))?.ok_or_else(refused)?;
        tx.commit().await.map_err(db("password token"))?;
        // Checked before the token is spent, so a refused password can be retried.
        identity
            .password_policy
            .check("new_password", &request.new_password, &[&user.email, &user.display_name])
            .map_err(|violation| ApiError::InvalidArgument(vec![violation]))?;
        let hash = identity.hasher.hash(&request.new_password).await.map_err(hashing)?;

        let now = identity.clock.now();
        let mut tx = identity.database.begin(Scope::Platform).await.map_err(db("password token"))?;
        let spent_by = password_tokens::consume(&mut tx, &digest, now).await.map_err(db("password token"))?;
        if spent_by != Some(user_id) {
            return Err(refused().into());
        }
        users::set_password(&mut tx, user_id, &hash, now).await.map_err(db("user"))?;
        let state = identity.lockout.unlocked(&user.lock_state());
        users::set_lock_state(&mut tx, user_id, &state).await.map_err(db("user"))?;
        let event = SecurityEvent::new("password_set_with_token")
            .subject(user_id, user.tenant_id)
            .source(address.as_deref())
            .detail("activated", user.status == UserStatus::Invited);
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;
        // Whoever knew the old password is signed out.
        identity.sessions.end_all(user_id, None).await.map_err(session_store)?;
        Ok(Response::new(SetPasswordWithTokenResponse {}))
    }

    async fn begin_mfa_setup(
        &self,
        request: Request<BeginMfaSetupRequest>,
    ) -> Result<Response<BeginMfaSetupResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let (user_id, _) = user_session(&principal)?;
        let identity = &self.identity;
        let now = identity.clock.now();
        let mut tx = identity.database.begin(own_scope(&principal)).await.map_err(db("user"))?;
        let user = identity.own_user_for_update(&mut tx, user_id).await?;
        if user.mfa_enabled {
            return Err(ApiError::FailedPrecondition {
                reason: "MFA_ALREADY_ENABLED",
                message: "mfa is already enabled; disable it first".into(),
            }
            .into());
        }
        let secret = TotpSecret::generate();
        let sealed = identity.seal_totp_secret(&mut tx, &user, &reseal::PENDING, &secret).await?;
        users::set_pending_mfa_secret(&mut tx, user_id, &sealed, now).await.map_err(db("user"))?;
        let event = SecurityEvent::new("mfa_setup_started")
            .subject(user_id, user.tenant_id)
            .actor(principal.id())
            .source(address.as_deref());
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;
        Ok(Response::new(BeginMfaSetupResponse {
            otpauth_uri: totp::otpauth_uri(&identity.config.issuer, &user.email, &secret),
            secret_base32: secret.base32(),
        }))
    }

    async fn confirm_mfa_setup(
        &self,
        request: Request<ConfirmMfaSetupRequest>,
    ) -> Result<Response<ConfirmMfaSetupResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let (user_id, session_id) = user_session(&principal)?;
        let request = request.into_inner();
        let identity = &self.identity;
        if request.totp_code.is_empty() {
            return Err(ApiError::invalid("totp_code", "is required").into());
        }
        let now = identity.clock.now();
        let mut tx = identity.database.begin(own_scope(&principal)).await.map_err(db("user"))?;
        let user = identity.own_user_for_update(&mut tx, user_id).await?;
        if user.mfa_enabled {
            return Err(ApiError::FailedPrecondition {
                reason: "MFA_ALREADY_ENABLED",
                message: "mfa is already enabled; disable it first".into(),
            }
            .into());
        }
        let Some(sealed) = user.mfa_pending_secret_sealed.clone() else {
            return Err(ApiError::FailedPrecondition {
                reason: "MFA_SETUP_NOT_STARTED",
                message: "call BeginMfaSetup first".into(),
            }
            .into());
        };
        let secret = identity.open_totp_secret(&mut tx, &user, &reseal::PENDING, Some(&sealed)).await?;
        let Some(step) = secret.matching_step(&request.totp_code, now.timestamp()) else {
            return Err(ApiError::invalid("totp_code", "is not the current code of the authenticator").into());
        };
        // Sealed again for the column it now lives in (a ciphertext is bound to its column).
        let sealed = identity.seal_totp_secret(&mut tx, &user, &reseal::ACTIVE, &secret).await?;
        users::enable_mfa(&mut tx, user_id, &sealed, step, now).await.map_err(db("user"))?;
        let codes: Vec<String> = (0..RECOVERY_CODE_COUNT).map(|_| secrets::new_recovery_code()).collect();
        let digests: Vec<[u8; 32]> =
            codes.iter().map(|code| secrets::digest(&secrets::normalize_recovery_code(code))).collect();
        recovery_codes::replace(&mut tx, user.tenant_id, user_id, &digests, now).await.map_err(db("recovery code"))?;
        let event = SecurityEvent::new("mfa_enabled")
            .subject(user_id, user.tenant_id)
            .actor(principal.id())
            .source(address.as_deref())
            .detail("ended_other_sessions", request.end_other_sessions);
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;
        if request.end_other_sessions {
            identity.sessions.end_all(user_id, Some(&session_id)).await.map_err(session_store)?;
        }
        Ok(Response::new(ConfirmMfaSetupResponse { recovery_codes: codes }))
    }

    async fn disable_mfa(&self, request: Request<DisableMfaRequest>) -> Result<Response<DisableMfaResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let (user_id, _) = user_session(&principal)?;
        let request = request.into_inner();
        let identity = &self.identity;
        let mut violations = Vec::new();
        if request.password.is_empty() {
            violations.push(canopy_kit::FieldViolation::new("password", "is required"));
        }
        if request.totp_code.is_empty() {
            violations.push(canopy_kit::FieldViolation::new("totp_code", "is required"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let scope = own_scope(&principal);
        let mut tx = identity.database.begin(scope).await.map_err(db("user"))?;
        let user =
            users::find(&mut tx, user_id).await.map_err(db("user"))?.ok_or(ApiError::NotFound { resource: "user" })?;
        tx.commit().await.map_err(db("user"))?;
        if !user.mfa_enabled {
            return Err(ApiError::FailedPrecondition {
                reason: "MFA_NOT_ENABLED",
                message: "mfa is not enabled".into(),
            }
            .into());
        }
        if identity.lockout.refusal(&user.lock_state(), identity.clock.now()).is_some() {
            return Err(ApiError::FailedPrecondition {
                reason: "ACCOUNT_LOCKED",
                message: "too many failed attempts; try again later".into(),
            }
            .into());
        }
        let password_ok =
            identity.hasher.verify(&request.password, user.password_hash.as_deref()).await.map_err(hashing)?;
        let now = identity.clock.now();
        let mut tx = identity.database.begin(scope).await.map_err(db("user"))?;
        let fresh = identity.own_user_for_update(&mut tx, user_id).await?;
        let secret =
            identity.open_totp_secret(&mut tx, &fresh, &reseal::ACTIVE, fresh.mfa_secret_sealed.as_deref()).await?;
        let code_ok = match secret.matching_step(&request.totp_code, now.timestamp()) {
            Some(step) if password_ok => users::accept_totp_step(&mut tx, user_id, step).await.map_err(db("user"))?,
            _ => false,
        };
        if !code_ok {
            tx.commit().await.map_err(db("user"))?;
            identity.record_sign_in_failure(Some(&fresh), address.as_deref(), "mfa_disable_refused").await?;
            return Err(ApiError::PermissionDenied("password or code is incorrect".into()).into());
        }
        users::disable_mfa(&mut tx, user_id, now).await.map_err(db("user"))?;
        recovery_codes::delete_all(&mut tx, user_id).await.map_err(db("recovery code"))?;
        let event = SecurityEvent::new("mfa_disabled")
            .subject(user_id, user.tenant_id)
            .actor(principal.id())
            .source(address.as_deref());
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("user"))?;
        Ok(Response::new(DisableMfaResponse {}))
    }
}
