//! SQL, and only SQL. Every function takes an open transaction begun with
//! `Database::begin(scope)`, so row-level security always sees a tenant or an
//! explicit platform scope; there is no way to call these on a bare pool.

pub mod api_keys;
pub mod events;
pub mod password_tokens;
pub mod recovery_codes;
pub mod signing_keys;
pub mod users;

/// A scoped transaction (see `canopy_kit::db::Scope`).
pub type Tx = sqlx::Transaction<'static, sqlx::Postgres>;
