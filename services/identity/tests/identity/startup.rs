//! Start-up: the key encryption key is required, replicas starting together create
//! one set of signing keys, and seeding the first admin happens once.

use canopy_identity::ensure_platform_admin;
use canopy_kit::db::Database;
use canopy_kit::testing::TestEnv;

#[tokio::test]
async fn identity_refuses_to_start_without_a_key_encryption_key() {
    let mut env = TestEnv::new().await;
    env.config.set_section_value("identity", "key_encryption_key", serde_json::json!(""));
    let error = env.try_spawn(&[&canopy_identity::MANIFEST]).await.err().expect("start-up fails");
    assert!(error.to_string().contains("services.identity.key_encryption_key is not set"), "{error}");

    env.config.set_section_value("identity", "key_encryption_key", serde_json::json!("c2hvcnQ="));
    let error = env.try_spawn(&[&canopy_identity::MANIFEST]).await.err().expect("start-up fails");
    assert!(error.to_string().contains("must be base64 of exactly 32 bytes"), "{error}");

    env.config.set_section_value("identity", "access_token_ttl_secs", serde_json::json!(3600));
    env.config.set_section_value(
        "identity",
        "key_encryption_key",
        serde_json::json!(canopy_kit::local::random_key_base64()),
    );
    let error = env.try_spawn(&[&canopy_identity::MANIFEST]).await.err().expect("start-up fails");
    assert!(error.to_string().contains("services.identity.access_token_ttl_secs"), "{error}");
}

#[tokio::test]
async fn replicas_starting_together_create_one_active_and_one_next_key() {
    let env = TestEnv::new().await;
    let (first, second, third) = tokio::join!(
        env.spawn(&[&canopy_identity::MANIFEST]),
        env.spawn(&[&canopy_identity::MANIFEST]),
        env.spawn(&[&canopy_identity::MANIFEST]),
    );
    let pool = env.superuser_pool().await;
    let (active, next): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where activated_at is not null), count(*) filter (where activated_at is null)
           from identity.signing_key",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((active, next), (1, 1));
    for services in [first, second, third] {
        services.shutdown().await;
    }
}

#[tokio::test]
async fn the_first_platform_admin_is_seeded_once() {
    let env = TestEnv::new().await;
    let services = env.spawn(&[&canopy_identity::MANIFEST]).await;
    let database = Database::connect(&env.config.database).await.unwrap();
    let password = ensure_platform_admin(&database, "first@canopy.test").await.unwrap().expect("created");
    assert!(password.chars().count() >= 20);
    assert_eq!(ensure_platform_admin(&database, "second@canopy.test").await.unwrap(), None);
    let pool = env.superuser_pool().await;
    let hash: String = sqlx::query_scalar("select password_hash from identity.users").fetch_one(&pool).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$") && !hash.contains(&password));
    services.shutdown().await;
}
