//! The schema: the catalog audit finds nothing, and row-level security separates
//! tenants and hides platform rows from tenant scopes, checked as the app role.

use canopy_kit::db::{Scope, TenantId, audit_catalog};
use canopy_sdk::proto::canopy::options::v1::Role;
use uuid::Uuid;

use crate::support::{ADMIN_EMAIL, Harness};

#[tokio::test]
async fn the_catalog_audit_finds_nothing_wrong_with_the_identity_schema() {
    let harness = Harness::start().await;
    let violations = audit_catalog(&harness.database.owner, harness.database.roles.app(), &[]).await.unwrap();
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test]
async fn row_level_security_separates_tenants_and_hides_platform_users() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let (tenant_a, tenant_b) = (harness.new_tenant().await, harness.new_tenant().await);
    harness.create_active_user(&admin.access_token, Some(tenant_a), "a@acme.test", Role::Owner).await;
    harness.create_active_user(&admin.access_token, Some(tenant_b), "b@beta.test", Role::Owner).await;

    let emails = |scope: Scope| {
        let database = harness.database.clone();
        async move {
            let mut tx = database.begin(scope).await.unwrap();
            let emails: Vec<String> = sqlx::query_scalar("select email from identity.users order by email")
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            let events: i64 =
                sqlx::query_scalar("select count(*) from identity.security_event").fetch_one(&mut *tx).await.unwrap();
            tx.commit().await.unwrap();
            (emails, events)
        }
    };
    let (in_a, a_events) = emails(Scope::Tenant(TenantId(tenant_a))).await;
    assert_eq!(in_a, ["a@acme.test"]);
    assert!(a_events > 0, "tenant A sees its own events");
    assert_eq!(emails(Scope::Tenant(TenantId(tenant_b))).await.0, ["b@beta.test"]);
    assert!(emails(Scope::Unscoped).await.0.is_empty());
    assert_eq!(emails(Scope::Platform).await.0, ["a@acme.test", ADMIN_EMAIL, "b@beta.test"]);

    // Writing a platform row (no tenant) from a tenant scope is refused by the policy.
    let mut tx = harness.database.begin(Scope::Tenant(TenantId(tenant_a))).await.unwrap();
    let sneaky = sqlx::query(
        "insert into identity.users (id, email, display_name, role, status, created_at, updated_at)
         values ($1, 'root@acme.test', 'Root', 'platform_admin', 'invited', now(), now())",
    )
    .bind(Uuid::new_v4())
    .execute(&mut *tx)
    .await;
    assert!(sneaky.is_err(), "row level security refuses it");
}
