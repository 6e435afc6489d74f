//! Per-service schema migrations, run at start-up under an advisory lock so two
//! replicas (or two services) starting at once never race.

use sqlx::migrate::Migrator;
use sqlx::{Connection, PgPool};

use super::roles::is_plain_identifier;
use super::{DbError, RoleNames};

/// Creates `schema` (owned by the owner role), applies `migrator` inside it as the
/// owner role, and grants the app role data access (never ownership). Running it
/// again is a no-op; an edited, already-applied migration fails with a checksum error.
pub async fn migrate_schema(
    owner_pool: &PgPool,
    roles: &RoleNames,
    schema: &str,
    migrator: &Migrator,
) -> Result<(), DbError> {
    if !is_plain_identifier(schema) {
        return Err(DbError::InvalidName(format!("schema name {schema:?} is not a plain identifier")));
    }
    let mut conn = owner_pool.acquire().await?;
    let lock_key = format!("canopy.migrate.{schema}");
    sqlx::query("select pg_advisory_lock(hashtext($1))").bind(&lock_key).execute(&mut *conn).await?;

    let result = async {
        let owner = roles.owner();
        let app = roles.app();
        let mut tx = conn.begin().await?;
        sqlx::query(&format!("create schema if not exists {schema} authorization {owner}")).execute(&mut *tx).await?;
        tx.commit().await?;

        sqlx::query(&format!("set role {owner}")).execute(&mut *conn).await?;
        sqlx::query(&format!("set search_path to {schema}")).execute(&mut *conn).await?;
        let applied = migrator.run_direct(&mut *conn).await;
        let restored = sqlx::raw_sql("reset role; reset search_path").execute(&mut *conn).await;
        applied.map_err(|source| DbError::Migrate { schema: schema.to_string(), source })?;
        restored?;

        // The kit's own tables in every service schema: the audit and event outboxes.
        sqlx::query(&format!("set role {owner}")).execute(&mut *conn).await?;
        let kit_tables = crate::audit::outbox::ddl(schema, app).into_iter().chain(crate::events::ddl(schema, app));
        for statement in kit_tables {
            if let Err(error) = sqlx::query(&statement).execute(&mut *conn).await {
                sqlx::query("reset role").execute(&mut *conn).await?;
                return Err(error.into());
            }
        }
        sqlx::query("reset role").execute(&mut *conn).await?;

        // Privileges, re-stated on every start so a new table is never forgotten.
        let platform = roles.platform();
        let grants = [
            format!("grant usage on schema {schema} to {platform}"),
            format!("grant select, insert, update, delete on all tables in schema {schema} to {platform}"),
            format!("grant usage, select on all sequences in schema {schema} to {platform}"),
            format!(
                "alter default privileges for role {owner} in schema {schema} grant select, insert, update, delete on tables to {platform}"
            ),
            format!("revoke all on {schema}._sqlx_migrations from {platform}"),
            format!("grant usage on schema {schema} to {app}"),
            format!("grant select, insert, update, delete on all tables in schema {schema} to {app}"),
            format!("grant usage, select on all sequences in schema {schema} to {app}"),
            format!(
                "alter default privileges for role {owner} in schema {schema} grant select, insert, update, delete on tables to {app}"
            ),
            format!("alter default privileges for role {owner} in schema {schema} grant usage, select on sequences to {app}"),
            format!("revoke all on {schema}._sqlx_migrations from {app}"),
        ];
        for grant in grants {
            sqlx::query(&grant).execute(&mut *conn).await?;
        }
        // Every tenant-owned table gets the platform role's policy. Migrations write
        // only the tenant policy (`tenant_id = current tenant`), which stays a plain,
        // indexable predicate because no other policy applies to the app role.
        let tenant_tables: Vec<String> = sqlx::query_scalar(
            "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = $1 and c.relkind in ('r', 'p')
                and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
                and not exists (select 1 from pg_policy p where p.polrelid = c.oid and p.polname = 'platform_scope')",
        )
        .bind(schema)
        .fetch_all(&mut *conn)
        .await?;
        for table in tenant_tables {
            sqlx::query(&format!(
                "create policy platform_scope on {schema}.{table} to {platform} using (true) with check (true)"
            ))
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, DbError>(())
    }
    .await;

    sqlx::query("select pg_advisory_unlock(hashtext($1))").bind(&lock_key).execute(&mut *conn).await?;
    result
}
