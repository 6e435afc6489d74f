//! `identity.users`.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, QueryBuilder};
use uuid::Uuid;

use super::Tx;
use crate::domain::lockout::LockState;
use crate::domain::status::UserStatus;
use canopy_kit::db::like_escape;
use canopy_kit::paging::PageCursor;

/// One user row.
#[derive(Debug, Clone, FromRow)]
pub struct UserRow {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub status: UserStatus,
    pub password_hash: Option<String>,
    pub mfa_enabled: bool,
    pub mfa_secret_sealed: Option<Vec<u8>>,
    pub mfa_pending_secret_sealed: Option<Vec<u8>>,
    pub consecutive_failures: i32,
    pub lock_count: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub failure_window_start: Option<DateTime<Utc>>,
    pub failures_in_window: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl UserRow {
    pub fn lock_state(&self) -> LockState {
        LockState {
            consecutive_failures: self.consecutive_failures,
            lock_count: self.lock_count,
            locked_until: self.locked_until,
            window_start: self.failure_window_start,
            failures_in_window: self.failures_in_window,
        }
    }
}

const COLUMNS: &str = "id, tenant_id, email, display_name, role, status, password_hash, mfa_enabled, \
     mfa_secret_sealed, mfa_pending_secret_sealed, consecutive_failures, lock_count, \
     locked_until, failure_window_start, failures_in_window, created_at, updated_at, last_login_at";

/// A user to insert.
pub struct NewUser<'a> {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub status: UserStatus,
    pub password_hash: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub async fn insert(tx: &mut Tx, user: &NewUser<'_>) -> Result<UserRow, sqlx::Error> {
    sqlx::query_as(&format!(
        "insert into identity.users (id, tenant_id, email, display_name, role, status, password_hash, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $8) returning {COLUMNS}"
    ))
    .bind(user.id)
    .bind(user.tenant_id)
    .bind(user.email)
    .bind(user.display_name)
    .bind(user.role)
    .bind(user.status)
    .bind(user.password_hash)
    .bind(user.now)
    .fetch_one(&mut **tx)
    .await
}

/// The user, if visible in the transaction's scope.
pub async fn find(tx: &mut Tx, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from identity.users where id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// The user, locked for the rest of the transaction (lockout counters, MFA steps).
pub async fn find_for_update(tx: &mut Tx, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from identity.users where id = $1 for update"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// The user with this email (compared in lowercase).
pub async fn find_by_email(tx: &mut Tx, normalized_email: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from identity.users where lower(email) = $1"))
        .bind(normalized_email)
        .fetch_optional(&mut **tx)
        .await
}

/// Stores lockout bookkeeping.
pub async fn set_lock_state(tx: &mut Tx, id: Uuid, state: &LockState) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update identity.users set consecutive_failures = $2, lock_count = $3, locked_until = $4,
                failure_window_start = $5, failures_in_window = $6
          where id = $1",
    )
    .bind(id)
    .bind(state.consecutive_failures)
    .bind(state.lock_count)
    .bind(state.locked_until)
    .bind(state.window_start)
    .bind(state.failures_in_window)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Records a successful sign-in.
pub async fn set_last_login(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query("update identity.users set last_login_at = $2 where id = $1")
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Replaces the password; an invited user becomes active.
pub async fn set_password(tx: &mut Tx, id: Uuid, hash: &str, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update identity.users
            set password_hash = $2, updated_at = $3,
                status = case when status = 'invited' then 'active' else status end
          where id = $1",
    )
    .bind(id)
    .bind(hash)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn set_role(tx: &mut Tx, id: Uuid, role: &str, now: DateTime<Utc>) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("update identity.users set role = $2, updated_at = $3 where id = $1 returning {COLUMNS}"))
        .bind(id)
        .bind(role)
        .bind(now)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn set_status(
    tx: &mut Tx,
    id: Uuid,
    status: UserStatus,
    now: DateTime<Utc>,
) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("update identity.users set status = $2, updated_at = $3 where id = $1 returning {COLUMNS}"))
        .bind(id)
        .bind(status)
        .bind(now)
        .fetch_optional(&mut **tx)
        .await
}

pub async fn delete(tx: &mut Tx, id: Uuid) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("delete from identity.users where id = $1 returning {COLUMNS}"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
}

/// Stores a TOTP secret awaiting its first code.
pub async fn set_pending_mfa_secret(
    tx: &mut Tx,
    id: Uuid,
    sealed: &[u8],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update identity.users set mfa_pending_secret_sealed = $2, updated_at = $3 where id = $1")
        .bind(id)
        .bind(sealed)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}

/// Turns MFA on with the (re-sealed) confirmed secret and the step of its first code.
pub async fn enable_mfa(
    tx: &mut Tx,
    id: Uuid,
    sealed: &[u8],
    accepted_step: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update identity.users
            set mfa_enabled = true, mfa_secret_sealed = $2, mfa_pending_secret_sealed = null,
                mfa_last_step = $3, updated_at = $4
          where id = $1",
    )
    .bind(id)
    .bind(sealed)
    .bind(accepted_step)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

pub async fn disable_mfa(tx: &mut Tx, id: Uuid, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update identity.users
            set mfa_enabled = false, mfa_secret_sealed = null, mfa_pending_secret_sealed = null,
                mfa_last_step = null, updated_at = $2
          where id = $1",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

/// Accepts TOTP step `step` if it is later than every step accepted before; false
/// when the code (or an earlier-or-equal one) was already used.
pub async fn accept_totp_step(tx: &mut Tx, id: Uuid, step: i64) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "update identity.users set mfa_last_step = $2
          where id = $1 and (mfa_last_step is null or mfa_last_step < $2)",
    )
    .bind(id)
    .bind(step)
    .execute(&mut **tx)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Filters of ListUsers.
#[derive(Debug, Default)]
pub struct UserFilter {
    pub search: Option<String>,
    pub role: Option<&'static str>,
    pub status: Option<UserStatus>,
}

fn push_filter<'a>(query: &mut QueryBuilder<'a, sqlx::Postgres>, filter: &'a UserFilter) {
    query.push(" where true");
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", like_escape(search));
        query
            .push(" and (email ilike ")
            .push_bind(pattern.clone())
            .push(" or display_name ilike ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(role) = filter.role {
        query.push(" and role = ").push_bind(role);
    }
    if let Some(status) = filter.status {
        query.push(" and status = ").push_bind(status);
    }
}

/// One page of users visible in the scope, newest first, and how many match in all.
pub async fn list(
    tx: &mut Tx,
    filter: &UserFilter,
    size: i64,
    after: Option<PageCursor>,
) -> Result<(Vec<UserRow>, i64), sqlx::Error> {
    let mut count = QueryBuilder::new("select count(*) from identity.users");
    push_filter(&mut count, filter);
    let total: i64 = count.build_query_scalar().fetch_one(&mut **tx).await?;

    let mut query = QueryBuilder::new(format!("select {COLUMNS} from identity.users"));
    push_filter(&mut query, filter);
    if let Some(PageCursor { time, id }) = after {
        query.push(" and (created_at, id) < (").push_bind(time).push(", ").push_bind(id).push(")");
    }
    query.push(" order by created_at desc, id desc limit ").push_bind(size);
    let rows = query.build_query_as().fetch_all(&mut **tx).await?;
    Ok((rows, total))
}

/// Whether any platform admin exists (platform scope).
pub async fn platform_admin_exists(tx: &mut Tx) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from identity.users where role = 'platform_admin')")
        .fetch_one(&mut **tx)
        .await
}
