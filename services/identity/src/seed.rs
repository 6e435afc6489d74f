//! The first platform admin. `canopyd dev` (and operators bootstrapping a new
//! deployment) call [`ensure_platform_admin`]; it creates the admin only when no
//! platform admin exists, so running it on every start is harmless.

use canopy_kit::db::{Database, Scope};
use chrono::Utc;
use rand::Rng as _;
use rand::distr::Alphanumeric;
use uuid::Uuid;

use crate::domain::email::Email;
use crate::domain::status::UserStatus;
use crate::events::{self, SecurityEvent};
use crate::passwords;
use crate::store::users::{self, NewUser};

/// Why the admin could not be seeded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("platform admin email {email:?}: {problem}")]
    InvalidEmail { email: String, problem: &'static str },
    #[error("seeding the platform admin: {0}")]
    Database(#[from] sqlx::Error),
    #[error("seeding the platform admin: {0}")]
    Hash(#[from] passwords::PasswordHashError),
    #[error("seeding the platform admin: hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Creates an active platform admin with `email` and a generated password when no
/// platform admin exists; returns the password (shown once, never stored in clear),
/// or `None` when an admin already existed. Runs in the platform scope: it is a
/// system operation, not a request.
pub async fn ensure_platform_admin(database: &Database, email: &str) -> Result<Option<String>, SeedError> {
    let email = Email::parse(email).map_err(|problem| SeedError::InvalidEmail { email: email.into(), problem })?;
    let mut tx = database.begin(Scope::Platform).await?;
    // Two processes seeding at once must not both create an admin.
    sqlx::query("select pg_advisory_xact_lock(hashtext('canopy.identity.seed'))").execute(&mut *tx).await?;
    if users::platform_admin_exists(&mut tx).await? {
        return Ok(None);
    }
    // 24 alphanumerics ≈ 143 bits: strong without a policy check.
    let password: String = rand::rng().sample_iter(Alphanumeric).take(24).map(char::from).collect();
    let to_hash = password.clone();
    let hash = tokio::task::spawn_blocking(move || passwords::hash_blocking(&to_hash)).await??;
    let now = Utc::now();
    let id = Uuid::now_v7();
    users::insert(
        &mut tx,
        &NewUser {
            id,
            tenant_id: None,
            email: email.as_str(),
            display_name: "Platform admin",
            role: "platform_admin",
            status: UserStatus::Active,
            password_hash: Some(&hash),
            now,
        },
    )
    .await?;
    events::record(&mut tx, &SecurityEvent::new("platform_admin_seeded").subject(id, None).actor("system"), now)
        .await?;
    tx.commit().await?;
    Ok(Some(password))
}
