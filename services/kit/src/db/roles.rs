//! Creates the owner and app roles, race-free across processes starting together.

use sqlx::PgPool;

use super::DbError;

/// Validated role names (they are spliced into DDL, so only plain identifiers pass).
#[derive(Clone, Debug)]
pub struct RoleNames {
    owner: String,
    app: String,
    platform: String,
}

impl RoleNames {
    pub fn new(owner: &str, app: &str, platform: &str) -> Result<Self, DbError> {
        for (setting, name) in
            [("database.owner_role", owner), ("database.app_role", app), ("database.platform_role", platform)]
        {
            if !is_plain_identifier(name) {
                return Err(DbError::InvalidName(format!(
                    "{setting}: {name:?} must be 1-63 characters of a-z, 0-9 and _, starting with a letter"
                )));
            }
        }
        if owner == app || owner == platform || app == platform {
            return Err(DbError::InvalidName(
                "database.owner_role, database.app_role and database.platform_role must all differ".into(),
            ));
        }
        Ok(Self { owner: owner.into(), app: app.into(), platform: platform.into() })
    }

    pub fn platform(&self) -> &str {
        &self.platform
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn app(&self) -> &str {
        &self.app
    }
}

/// Lowercase identifiers that need no quoting; schema names follow the same rule.
pub(crate) fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 63
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Creates the roles if missing. The app role can log in but has no privilege beyond
/// what migrations grant it; the owner role cannot log in at all.
pub async fn ensure_roles(pool: &PgPool, roles: &RoleNames) -> Result<(), DbError> {
    let statements = [
        (roles.owner(), format!("create role {} nologin nosuperuser nobypassrls", roles.owner())),
        (
            roles.app(),
            format!("create role {} login nosuperuser nobypassrls nocreatedb nocreaterole noinherit", roles.app()),
        ),
        (roles.platform(), format!("create role {} nologin nosuperuser nobypassrls", roles.platform())),
    ];
    for (name, ddl) in statements {
        let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_roles where rolname = $1)")
            .bind(name)
            .fetch_one(pool)
            .await?;
        if exists {
            continue;
        }
        match sqlx::query(&ddl).execute(pool).await {
            Ok(_) => {}
            // Another process created it between our check and our create.
            Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42710") | Some("23505")) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // The app role switches to the platform role for platform-scoped transactions;
    // being NOINHERIT, it never holds the platform role's policy otherwise.
    let app_member = "select pg_has_role($1, $2, 'member')";
    if !sqlx::query_scalar::<_, bool>(app_member).bind(roles.app()).bind(roles.platform()).fetch_one(pool).await? {
        let grant = format!("grant {} to {}", roles.platform(), roles.app());
        if let Err(error) = sqlx::query(&grant).execute(pool).await
            && !sqlx::query_scalar::<_, bool>(app_member)
                .bind(roles.app())
                .bind(roles.platform())
                .fetch_one(pool)
                .await?
        {
            return Err(error.into());
        }
    }
    // The bootstrap user must be able to SET ROLE to the owner to run migrations.
    let member = "select pg_has_role(current_user, $1, 'member')";
    if sqlx::query_scalar::<_, bool>(member).bind(roles.owner()).fetch_one(pool).await? {
        return Ok(());
    }
    let grant = format!("grant {} to current_user", roles.owner());
    if let Err(error) = sqlx::query(&grant).execute(pool).await {
        // Several processes granting at once can collide; what matters is the outcome.
        if !sqlx::query_scalar::<_, bool>(member).bind(roles.owner()).fetch_one(pool).await? {
            return Err(error.into());
        }
    }
    Ok(())
}
