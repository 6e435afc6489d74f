//! Roles, migrations and tenant-scoped transactions against real PostgreSQL, checked
//! as the app role (a superuser would bypass row-level security and prove nothing).

use canopy_kit::db::{Database, Scope, TenantId, begin_scoped, migrate_schema};
use canopy_kit::testing::TestEnv;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;

use crate::support::FIXTURE_MIGRATIONS;

async fn migrated(env: &TestEnv) -> Database {
    let database = Database::connect(&env.config.database).await.expect("connect");
    migrate_schema(&database.owner, &database.roles, "fixture", &FIXTURE_MIGRATIONS).await.expect("migrate");
    database
}

async fn applied(database: &Database) -> Vec<(i64, bool)> {
    sqlx::query_as("select version, success from fixture._sqlx_migrations order by version")
        .fetch_all(&database.owner)
        .await
        .unwrap()
}

#[tokio::test]
async fn migrations_run_twice_are_a_no_op() {
    let env = TestEnv::new().await;
    let database = migrated(&env).await;
    let first = applied(&database).await;
    assert_eq!(first, [(1, true), (2, true)]);
    migrate_schema(&database.owner, &database.roles, "fixture", &FIXTURE_MIGRATIONS).await.expect("second run");
    assert_eq!(applied(&database).await, first);
}

#[tokio::test]
async fn concurrent_migrations_of_one_schema_do_not_race() {
    let env = TestEnv::new().await;
    let a = Database::connect(&env.config.database).await.unwrap();
    let b = Database::connect(&env.config.database).await.unwrap();
    let (ra, rb) = tokio::join!(
        migrate_schema(&a.owner, &a.roles, "fixture", &FIXTURE_MIGRATIONS),
        migrate_schema(&b.owner, &b.roles, "fixture", &FIXTURE_MIGRATIONS),
    );
    ra.expect("first migrator");
    rb.expect("second migrator");
    assert_eq!(applied(&a).await, [(1, true), (2, true)]);
}

#[tokio::test]
async fn the_app_role_owns_nothing_and_cannot_create_tables() {
    let env = TestEnv::new().await;
    let database = migrated(&env).await;
    let owner: String = sqlx::query_scalar(
        "select tableowner::text from pg_tables where schemaname = 'fixture' and tablename = 'widget'",
    )
    .fetch_one(&database.owner)
    .await
    .unwrap();
    assert_eq!(owner, "canopy_owner");
    let error = sqlx::query("create table fixture.sneaky (id int)").execute(&database.app).await.unwrap_err();
    assert_eq!(error.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{error}");
}

#[tokio::test]
async fn a_tenant_transaction_sees_only_its_tenant_and_cannot_write_another() {
    let env = TestEnv::new().await;
    let database = migrated(&env).await;
    let (a, b) = (TenantId(Uuid::new_v4()), TenantId(Uuid::new_v4()));
    let mut tx = database.begin(Scope::Platform).await.unwrap();
    for (tenant, name) in [(a, "a1"), (a, "a2"), (b, "b1")] {
        sqlx::query("insert into fixture.widget (tenant_id, id, name) values ($1, $2, $3)")
            .bind(tenant.0)
            .bind(Uuid::new_v4())
            .bind(name)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = database.begin(Scope::Tenant(a)).await.unwrap();
    let names: Vec<String> =
        sqlx::query_scalar("select name from fixture.widget order by name").fetch_all(&mut *tx).await.unwrap();
    assert_eq!(names, ["a1", "a2"]);
    let error = sqlx::query("insert into fixture.widget (tenant_id, id, name) values ($1, $2, 'forged')")
        .bind(b.0)
        .bind(Uuid::new_v4())
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert_eq!(error.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{error}");
    drop(tx);

    let mut tx = database.begin(Scope::Unscoped).await.unwrap();
    let count: i64 = sqlx::query_scalar("select count(*) from fixture.widget").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(count, 0, "an unscoped transaction sees no tenant rows");
}

#[tokio::test]
async fn after_a_tenant_transaction_the_pooled_connection_is_unscoped_again() {
    let env = TestEnv::new().await;
    let database = migrated(&env).await;
    let tenant = TenantId(Uuid::new_v4());
    let mut tx = database.begin(Scope::Platform).await.unwrap();
    sqlx::query("insert into fixture.widget (tenant_id, id, name) values ($1, $2, 'w')")
        .bind(tenant.0)
        .bind(Uuid::new_v4())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // A pool of one connection: the next query reuses the tenant transaction's session.
    let pool = PgPoolOptions::new().max_connections(1).connect_with(database.app_options.clone()).await.unwrap();
    let mut tx = begin_scoped(&pool, Scope::Tenant(tenant), &database.roles).await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from fixture.widget").fetch_one(&mut *tx).await.unwrap();
    assert_eq!(seen, 1);
    tx.commit().await.unwrap();
    let after: i64 = sqlx::query_scalar("select count(*) from fixture.widget").fetch_one(&pool).await.unwrap();
    assert_eq!(after, 0, "tenant setting leaked past its transaction");
    let setting: Option<String> =
        sqlx::query_scalar("select current_setting('canopy.tenant_id', true)").fetch_one(&pool).await.unwrap();
    assert!(setting.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn a_read_only_transaction_keeps_its_scope_and_one_snapshot_and_refuses_writes() {
    let env = TestEnv::new().await;
    let database = migrated(&env).await;
    let (a, b) = (TenantId(Uuid::new_v4()), TenantId(Uuid::new_v4()));
    let insert = |tenant: TenantId, name: &'static str| {
        sqlx::query("insert into fixture.widget (tenant_id, id, name) values ($1, $2, $3)")
            .bind(tenant.0)
            .bind(Uuid::new_v4())
            .bind(name)
    };
    let mut tx = database.begin(Scope::Platform).await.unwrap();
    for (tenant, name) in [(a, "a1"), (b, "b1")] {
        insert(tenant, name).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let count = "select count(*) from fixture.widget";

    let mut report = database.begin_read_only(Scope::Tenant(a)).await.unwrap();
    let before: i64 = sqlx::query_scalar(count).fetch_one(&mut *report).await.unwrap();
    assert_eq!(before, 1, "only tenant A's rows");
    // A write committed meanwhile stays invisible: every statement sees the first snapshot.
    let mut writer = database.begin(Scope::Tenant(a)).await.unwrap();
    insert(a, "a2").execute(&mut *writer).await.unwrap();
    writer.commit().await.unwrap();
    let after: i64 = sqlx::query_scalar(count).fetch_one(&mut *report).await.unwrap();
    assert_eq!(after, 1, "the second statement saw a later snapshot");
    let error = insert(a, "a3").execute(&mut *report).await.unwrap_err();
    assert_eq!(error.as_database_error().and_then(|e| e.code()).as_deref(), Some("25006"), "{error}");
    drop(report);

    let mut report = database.begin_read_only(Scope::Platform).await.unwrap();
    let all: i64 = sqlx::query_scalar(count).fetch_one(&mut *report).await.unwrap();
    assert_eq!(all, 3, "platform scope sees every tenant's rows");
}
