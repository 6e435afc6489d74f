//! The catalog audit fails the suite when isolation is missing, shown on fixtures.

use canopy_kit::db::{Database, audit_catalog, migrate_schema};
use canopy_kit::testing::TestEnv;

use crate::support::FIXTURE_MIGRATIONS;

#[tokio::test]
async fn a_migrated_schema_passes_the_audit() {
    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await.unwrap();
    migrate_schema(&database.owner, &database.roles, "fixture", &FIXTURE_MIGRATIONS).await.unwrap();
    let violations = audit_catalog(&database.owner, "canopy_app", &[]).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn a_tenant_table_without_enabled_and_forced_rls_and_a_policy_fails() {
    let env = TestEnv::new().await;
    let database = Database::connect(&env.config.database).await.unwrap();
    let pool = env.superuser_pool().await;
    sqlx::raw_sql("create schema leaky; create table leaky.note (tenant_id uuid not null, body text)")
        .execute(&pool)
        .await
        .unwrap();
    let problems = |v: Vec<canopy_kit::db::CatalogViolation>| v.into_iter().map(|v| v.to_string()).collect::<Vec<_>>();

    let found = problems(audit_catalog(&database.owner, "canopy_app", &[]).await.unwrap());
    assert_eq!(
        found,
        [
            "leaky.note: has tenant_id but row level security is not enabled",
            "leaky.note: has tenant_id but row level security is not forced",
            "leaky.note: has tenant_id but no row level security policy",
        ]
    );
    sqlx::raw_sql("alter table leaky.note enable row level security").execute(&pool).await.unwrap();
    let found = problems(audit_catalog(&database.owner, "canopy_app", &[]).await.unwrap());
    assert_eq!(found.len(), 2, "{found:?}");
    sqlx::raw_sql(
        "alter table leaky.note force row level security;
         create policy p on leaky.note using (tenant_id = nullif(current_setting('canopy.tenant_id', true), '')::uuid)",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert!(audit_catalog(&database.owner, "canopy_app", &[]).await.unwrap().is_empty());

    sqlx::raw_sql("create view leaky.notes as select * from leaky.note").execute(&pool).await.unwrap();
    let found = problems(audit_catalog(&database.owner, "canopy_app", &[]).await.unwrap());
    assert_eq!(found, ["leaky.notes: is a view without security_invoker, so it would bypass row level security"]);
    sqlx::raw_sql(
        "alter view leaky.notes set (security_invoker = true);
         create function leaky.peek() returns bigint language sql security definer as 'select count(*) from leaky.note'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let found = problems(audit_catalog(&database.owner, "canopy_app", &[]).await.unwrap());
    assert_eq!(found, ["leaky.peek: is SECURITY DEFINER and not on the allow-list"]);
    assert!(audit_catalog(&database.owner, "canopy_app", &["leaky.peek"]).await.unwrap().is_empty());
}

#[tokio::test]
async fn an_app_role_that_is_superuser_bypasses_rls_or_owns_a_table_fails() {
    let env = TestEnv::new().await;
    let pool = env.superuser_pool().await;
    // A throwaway role: altering the shared app role would disturb parallel tests.
    let role = format!("audit_probe_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(&format!(
        "create role {role} superuser bypassrls; create table public.{role}_t (id int); alter table public.{role}_t owner to {role}"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let found: Vec<String> =
        audit_catalog(&pool, &role, &[]).await.unwrap().into_iter().map(|v| v.to_string()).collect();
    sqlx::raw_sql(&format!("drop table public.{role}_t; drop role {role}")).execute(&pool).await.unwrap();
    assert_eq!(
        found,
        [
            format!("role {role}: is a superuser"),
            format!("role {role}: has BYPASSRLS"),
            format!("public.{role}_t: is owned by the app role {role}"),
        ]
    );
}
