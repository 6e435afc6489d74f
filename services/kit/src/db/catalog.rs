//! The catalog audit: proves from PostgreSQL's own catalog that isolation holds,
//! rather than trusting that every migration remembered it. Tests run it over every
//! schema; it fails when:
//! * the app role is a superuser, has BYPASSRLS, or owns any object;
//! * a table with a `tenant_id` column lacks row-level security enabled *and forced*,
//!   or has no policy;
//! * a view is not `security_invoker` (a definer view would bypass RLS);
//! * a `SECURITY DEFINER` function is not on the allow-list.

use sqlx::PgPool;

/// One thing wrong with the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogViolation {
    /// The object at fault, e.g. `sites.site` or `role canopy_app`.
    pub object: String,
    /// What is wrong with it.
    pub problem: String,
}

impl std::fmt::Display for CatalogViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.object, self.problem)
    }
}

/// Audits every non-system schema of the connected database. `definer_allow_list`
/// names `schema.function` entries allowed to be SECURITY DEFINER.
pub async fn audit_catalog(
    pool: &PgPool,
    app_role: &str,
    definer_allow_list: &[&str],
) -> Result<Vec<CatalogViolation>, sqlx::Error> {
    let mut violations = Vec::new();

    let role: Option<(bool, bool)> = sqlx::query_as("select rolsuper, rolbypassrls from pg_roles where rolname = $1")
        .bind(app_role)
        .fetch_optional(pool)
        .await?;
    match role {
        None => violations.push(violation(format!("role {app_role}"), "does not exist")),
        Some((superuser, bypass)) => {
            if superuser {
                violations.push(violation(format!("role {app_role}"), "is a superuser"));
            }
            if bypass {
                violations.push(violation(format!("role {app_role}"), "has BYPASSRLS"));
            }
        }
    }

    // Objects owned by the app role or any role it can switch to.
    let owned: Vec<(String,)> = sqlx::query_as(
        "with recursive reachable(oid) as (
            select oid from pg_roles where rolname = $1
            union
            select m.roleid from pg_auth_members m join reachable r on m.member = r.oid
         )
         select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relowner in (select oid from reachable)
         union all
         select nspname from pg_namespace where nspowner in (select oid from reachable)
         union all
         select n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where p.proowner in (select oid from reachable)
         order by 1",
    )
    .bind(app_role)
    .fetch_all(pool)
    .await?;
    for (object,) in owned {
        violations.push(violation(object, format!("is owned by the app role {app_role}")));
    }

    let tables: Vec<(String, bool, bool, i64)> = sqlx::query_as(&format!(
        "select n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity,
                (select count(*) from pg_policy p where p.polrelid = c.oid)
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p') and {USER_SCHEMAS}
            and exists (select 1 from pg_attribute a
                         where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped)
          order by 1"
    ))
    .fetch_all(pool)
    .await?;
    for (table, enabled, forced, policies) in tables {
        if !enabled {
            violations.push(violation(table.clone(), "has tenant_id but row level security is not enabled"));
        }
        if !forced {
            violations.push(violation(table.clone(), "has tenant_id but row level security is not forced"));
        }
        if policies == 0 {
            violations.push(violation(table, "has tenant_id but no row level security policy"));
        }
    }

    let views: Vec<(String,)> = sqlx::query_as(&format!(
        "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relkind in ('v', 'm') and {USER_SCHEMAS}
            and not coalesce('security_invoker=true' = any(c.reloptions), false)
          order by 1"
    ))
    .fetch_all(pool)
    .await?;
    for (view,) in views {
        violations.push(violation(view, "is a view without security_invoker, so it would bypass row level security"));
    }

    let definers: Vec<(String,)> = sqlx::query_as(&format!(
        "select n.nspname || '.' || p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where p.prosecdef and {USER_SCHEMAS} order by 1"
    ))
    .fetch_all(pool)
    .await?;
    for (function,) in definers {
        if !definer_allow_list.contains(&function.as_str()) {
            violations.push(violation(function, "is SECURITY DEFINER and not on the allow-list"));
        }
    }

    Ok(violations)
}

const USER_SCHEMAS: &str = "n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'";

fn violation(object: impl Into<String>, problem: impl Into<String>) -> CatalogViolation {
    CatalogViolation { object: object.into(), problem: problem.into() }
}
