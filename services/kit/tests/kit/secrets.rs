//! `canopy_kit::secrets` against real PostgreSQL (as the app role, under RLS), a real
//! keyring file, and OpenBao transit when its binary is installed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use canopy_kit::db::{Database, Scope, TenantId, migrate_schema};
use canopy_kit::secrets::kek::{KekError, KeyEncryptionKeys, Keyring, Transit, TransitSettings};
use canopy_kit::secrets::{Binding, Ciphertext, DATA_KEY_SQL, EncryptedColumn, Secrets, SecretsConfig, SecretsError};
use canopy_kit::testing::TestEnv;
use secrecy::{ExposeSecret as _, SecretSlice, SecretString};
use sqlx::migrate::Migrator;
use uuid::Uuid;

static SECRETS_MIGRATIONS: Migrator = sqlx::migrate!("tests/kit/fixtures/secrets_migrations");
const SCHEMA: &str = "vault_fixture";
const CREDENTIAL: EncryptedColumn =
    EncryptedColumn { table: "credential", id_column: "id", tenant_column: "tenant_id", column: "secret" };

struct World {
    env: TestEnv,
    db: Database,
    keyring: PathBuf,
    _dir: tempfile::TempDir,
}

impl World {
    async fn new() -> Self {
        let env = TestEnv::new().await;
        let db = Database::connect(&env.config.database).await.expect("connect");
        migrate_schema(&db.owner, &db.roles, SCHEMA, &SECRETS_MIGRATIONS).await.expect("migrate");
        let dir = tempfile::tempdir().unwrap();
        let keyring = dir.path().join("keyring.json");
        Keyring::create(&keyring).unwrap();
        Self { env, db, keyring, _dir: dir }
    }

    fn secrets(&self) -> Secrets {
        let kek: Arc<dyn KeyEncryptionKeys> = Arc::new(Keyring::open(&self.keyring, true).unwrap());
        Secrets::new(kek, SCHEMA, SecretsConfig::default()).unwrap().with_column(CREDENTIAL).unwrap()
    }

    fn scope(tenant: Option<Uuid>) -> Scope {
        tenant.map(|t| Scope::Tenant(TenantId(t))).unwrap_or(Scope::Platform)
    }

    /// Stores `plaintext` as a new credential of `tenant` (through the app role); returns its id.
    async fn store(&self, secrets: &Secrets, tenant: Option<Uuid>, plaintext: &str) -> Uuid {
        let id = Uuid::new_v4();
        let mut tx = self.db.begin(Self::scope(tenant)).await.unwrap();
        let binding = binding(tenant, id);
        let sealed = secrets.encrypt_str(&mut tx, &binding, &SecretString::from(plaintext)).await.unwrap();
        sqlx::query("insert into vault_fixture.credential (tenant_id, id, secret) values ($1, $2, $3)")
            .bind(tenant)
            .bind(id)
            .bind(sealed)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    /// Reads and decrypts credential `id` of `tenant` (through the app role).
    async fn read(&self, secrets: &Secrets, tenant: Option<Uuid>, id: Uuid) -> Result<String, SecretsError> {
        let mut tx = self.db.begin(Self::scope(tenant)).await.unwrap();
        let sealed: Vec<u8> = sqlx::query_scalar("select secret from vault_fixture.credential where id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        let opened = secrets.decrypt_string(&mut tx, &binding(tenant, id), &sealed).await;
        tx.commit().await.unwrap();
        opened.map(|s| s.expose_secret().to_string())
    }

    async fn raw(&self, id: Uuid) -> Vec<u8> {
        let pool = self.env.superuser_pool().await;
        sqlx::query_scalar("select secret from vault_fixture.credential where id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
    }

    async fn set_raw(&self, id: Uuid, bytes: &[u8]) {
        let pool = self.env.superuser_pool().await;
        sqlx::query("update vault_fixture.credential set secret = $2 where id = $1")
            .bind(id)
            .bind(bytes)
            .execute(&pool)
            .await
            .unwrap();
    }
}

fn binding(tenant: Option<Uuid>, id: Uuid) -> Binding {
    Binding { tenant, table: "credential", record: id.to_string(), column: "secret" }
}

#[test]
fn the_fixture_migration_uses_the_documented_data_key_sql() {
    let fixture = include_str!("fixtures/secrets_migrations/0001_secrets.sql");
    assert!(fixture.starts_with(DATA_KEY_SQL), "the fixture must begin with canopy_kit::secrets::DATA_KEY_SQL");
}

#[tokio::test]
async fn a_ciphertext_copied_into_another_tenants_row_never_opens_as_their_secret() {
    let world = World::new().await;
    let secrets = world.secrets();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let alpha = world.store(&secrets, Some(a), "alpha-secret").await;
    let alpha2 = world.store(&secrets, Some(a), "alpha-other").await;
    let bravo = world.store(&secrets, Some(b), "bravo-secret").await;
    let platform = world.store(&secrets, None, "platform-secret").await;
    assert_eq!(world.read(&secrets, Some(a), alpha).await.unwrap(), "alpha-secret");
    assert_eq!(world.read(&secrets, Some(b), bravo).await.unwrap(), "bravo-secret");
    assert_eq!(world.read(&secrets, None, platform).await.unwrap(), "platform-secret");

    // A superuser copies tenant a's ciphertext into tenant b's row.
    world.set_raw(bravo, &world.raw(alpha).await).await;
    let error = world.read(&secrets, Some(b), bravo).await.unwrap_err();
    assert!(matches!(error, SecretsError::OtherOwner { .. }), "{error}");
    assert!(!error.to_string().contains("alpha-secret"), "{error}");
    // The same with the header's key id rewritten to b's: b's key does not open it.
    let mut forged = Ciphertext::parse(&world.raw(alpha).await).unwrap();
    forged.key_id = b;
    world.set_raw(bravo, &forged.encode()).await;
    let error = world.read(&secrets, Some(b), bravo).await.unwrap_err();
    assert!(matches!(error, SecretsError::WrongBinding { .. }), "{error}");
    // Into another record of the same tenant.
    world.set_raw(alpha2, &world.raw(alpha).await).await;
    let error = world.read(&secrets, Some(a), alpha2).await.unwrap_err();
    assert!(matches!(error, SecretsError::WrongBinding { .. }), "{error}");
    // Into a platform row.
    world.set_raw(platform, &world.raw(alpha).await).await;
    assert!(world.read(&secrets, None, platform).await.is_err());
    // Malformed bytes.
    world.set_raw(alpha, b"not a ciphertext").await;
    let error = world.read(&secrets, Some(a), alpha).await.unwrap_err();
    assert!(matches!(error, SecretsError::Malformed(_)), "{error}");

    // Under RLS, tenant b's transaction cannot even see tenant a's data key.
    let sealed = {
        let mut tx = world.db.begin(Scope::Tenant(TenantId(a))).await.unwrap();
        let sealed =
            secrets.encrypt(&mut tx, &binding(Some(a), alpha), &SecretSlice::from(b"x".to_vec())).await.unwrap();
        tx.commit().await.unwrap();
        sealed
    };
    let mut tx = world.db.begin(Scope::Tenant(TenantId(b))).await.unwrap();
    let error = secrets.decrypt(&mut tx, &binding(Some(a), alpha), &sealed).await.unwrap_err();
    assert!(matches!(error, SecretsError::UnknownDataKey { .. }), "{error}");
}

#[tokio::test]
async fn kek_rotation_rewraps_every_data_key_and_the_retired_kek_version_is_refused() {
    let world = World::new().await;
    let secrets = world.secrets();
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let ids = [
        (Some(a), world.store(&secrets, Some(a), "a").await),
        (Some(b), world.store(&secrets, Some(b), "b").await),
        (None, world.store(&secrets, None, "p").await),
    ];
    let superuser = world.env.superuser_pool().await;
    let kept: (Vec<u8>, i32) =
        sqlx::query_as("select wrapped, kek_version from vault_fixture.data_key where tenant_id = $1")
            .bind(a)
            .fetch_one(&superuser)
            .await
            .unwrap();
    assert_eq!(kept.1, 1);

    assert_eq!(Keyring::rotate(&world.keyring).unwrap(), 2);
    let status = secrets.rotate(&world.db).await.unwrap();
    assert_eq!(status.rewrapped, 3, "{status:?}");
    assert_eq!(status.data_keys_by_kek_version.into_iter().collect::<Vec<_>>(), [(2, 3)]);
    assert_eq!(status.last_error, None);

    Keyring::retire(&world.keyring, 2).unwrap();
    let status = secrets.rotate(&world.db).await.unwrap();
    assert_eq!((status.kek_current_version, status.kek_min_decryption_version), (2, 2));
    for (tenant, id, plaintext) in [(ids[0].0, ids[0].1, "a"), (ids[1].0, ids[1].1, "b"), (ids[2].0, ids[2].1, "p")] {
        assert_eq!(world.read(&secrets, tenant, id).await.unwrap(), plaintext);
    }

    // The data key as wrapped before the pass, under the now retired KEK version 1.
    sqlx::query("update vault_fixture.data_key set wrapped = $2, kek_version = $3 where tenant_id = $1")
        .bind(a)
        .bind(&kept.0)
        .bind(kept.1)
        .execute(&superuser)
        .await
        .unwrap();
    let error = world.read(&secrets, Some(a), ids[0].1).await.unwrap_err();
    assert!(matches!(error, SecretsError::RetiredKek { kek_version: 1, min: 2, .. }), "{error}");
    // A fresh process (no cached key) refuses it too.
    let error = world.read(&world.secrets(), Some(a), ids[0].1).await.unwrap_err();
    assert!(matches!(error, SecretsError::RetiredKek { .. }), "{error}");
}

#[tokio::test]
async fn data_key_rotation_reencrypts_registered_columns_and_retires_the_old_version() {
    let world = World::new().await;
    let secrets = world.secrets();
    let a = Uuid::new_v4();
    let first = world.store(&secrets, Some(a), "one").await;
    let second = world.store(&secrets, Some(a), "two").await;
    let platform = world.store(&secrets, None, "platform").await;
    let old = world.raw(first).await;
    assert_eq!(Ciphertext::key_version_of(&old), Some(1));

    let superuser = world.env.superuser_pool().await;
    sqlx::query("update vault_fixture.data_key set created_at = now() - interval '100 days'")
        .execute(&superuser)
        .await
        .unwrap();
    let status = secrets.rotate(&world.db).await.unwrap();
    assert_eq!(
        (status.new_data_key_versions, status.reencrypted, status.retired_data_key_versions),
        (2, 3, 2),
        "{status:?}"
    );
    assert_eq!(status.rows_pending.get("credential.secret"), Some(&0));
    for id in [first, second, platform] {
        assert_eq!(Ciphertext::key_version_of(&world.raw(id).await), Some(2));
    }
    assert_eq!(world.read(&secrets, Some(a), first).await.unwrap(), "one");
    assert_eq!(world.read(&secrets, Some(a), second).await.unwrap(), "two");
    assert_eq!(world.read(&secrets, None, platform).await.unwrap(), "platform");

    // New encryptions use version 2 at once.
    let third = world.store(&secrets, Some(a), "three").await;
    assert_eq!(Ciphertext::key_version_of(&world.raw(third).await), Some(2));

    // A ciphertext under the retired version is refused.
    world.set_raw(first, &old).await;
    let error = world.read(&secrets, Some(a), first).await.unwrap_err();
    assert!(matches!(error, SecretsError::RetiredDataKey { version: 1, .. }), "{error}");
}

#[tokio::test]
async fn two_concurrent_rotation_passes_leave_every_secret_readable() {
    let world = World::new().await;
    let (one, two) = (world.secrets(), world.secrets());
    let tenants: Vec<Uuid> = (0..4).map(|_| Uuid::new_v4()).collect();
    let mut stored = Vec::new();
    for (n, tenant) in tenants.iter().cycle().take(24).enumerate() {
        stored.push((*tenant, world.store(&one, Some(*tenant), &format!("secret-{n}")).await, format!("secret-{n}")));
    }
    let superuser = world.env.superuser_pool().await;
    sqlx::query("update vault_fixture.data_key set created_at = now() - interval '100 days'")
        .execute(&superuser)
        .await
        .unwrap();
    Keyring::rotate(&world.keyring).unwrap();
    let (first, second) = tokio::join!(one.rotate(&world.db), two.rotate(&world.db));
    let (first, second) = (first.unwrap(), second.unwrap());
    // Whichever ran (or both, one after the other), the work was done once.
    assert_eq!(first.new_data_key_versions + second.new_data_key_versions, 4, "{first:?} {second:?}");
    assert_eq!(first.reencrypted + second.reencrypted, 24, "{first:?} {second:?}");
    let third = two.rotate(&world.db).await.unwrap();
    assert_eq!(third.rows_pending.get("credential.secret"), Some(&0));
    assert_eq!(third.last_error, None);
    let versions: Vec<(i32, bool, i64)> = sqlx::query_as(
        "select version, retired_at is not null, count(*) from vault_fixture.data_key group by 1, 2 order by 1",
    )
    .fetch_all(&superuser)
    .await
    .unwrap();
    assert_eq!(versions, [(1, true, 4), (2, false, 4)]);
    for (tenant, id, plaintext) in stored {
        assert_eq!(world.read(&one, Some(tenant), id).await.unwrap(), plaintext);
        assert_eq!(world.read(&two, Some(tenant), id).await.unwrap(), plaintext);
    }
}

#[tokio::test]
async fn a_replica_reads_keys_another_replica_re_wrapped_under_a_kek_version_it_has_not_loaded() {
    let world = World::new().await;
    let (reader, rotator) = (world.secrets(), world.secrets());
    let tenant = Uuid::new_v4();
    let id = world.store(&reader, Some(tenant), "still readable").await;
    Keyring::rotate(&world.keyring).unwrap();
    // Only the other replica's pass runs: it re-wraps the data key under KEK version 2.
    let status = rotator.rotate(&world.db).await.unwrap();
    assert_eq!(status.rewrapped, 1, "{status:?}");
    assert_eq!(world.read(&reader, Some(tenant), id).await.unwrap(), "still readable");
}

#[tokio::test]
async fn the_status_is_published_to_redis_for_every_service() {
    let world = World::new().await;
    let secrets = world.secrets();
    world.store(&secrets, Some(Uuid::new_v4()), "x").await;
    secrets.rotate(&world.db).await.unwrap();
    let redis = canopy_kit::redis_store::RedisStore::connect(&world.env.config.redis).await.unwrap();
    secrets.publish_status(&redis).await.unwrap();
    let statuses = canopy_kit::secrets::published_statuses(&redis).await.unwrap();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].schema, SCHEMA);
    assert_eq!(statuses[0].kek_kind, "keyring");
    assert_eq!(statuses[0], secrets.status());
}

/// The `bao` binary: `OPENBAO_BIN`, else `bao` on PATH.
fn bao_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OPENBAO_BIN").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| PathBuf::from(dir).join("bao")).find(|p| p.is_file())
}

#[tokio::test]
async fn transit_wraps_rotates_and_refuses_a_retired_version() {
    let Some(bao) = bao_binary() else {
        eprintln!("skipped: no OpenBao binary (set OPENBAO_BIN or put bao on PATH; .ci/setup.sh installs it)");
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let mut server = tokio::process::Command::new(&bao)
        .args([
            "server",
            "-dev",
            "-dev-root-token-id=canopy-test-root",
            &format!("-dev-listen-address=127.0.0.1:{port}"),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start bao server -dev");
    let http = canopy_kit::http::HttpClient::new(Duration::from_secs(5));
    let call = |method: http::Method, path: &str, body: Option<&str>| {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-vault-token", "canopy-test-root".parse().unwrap());
        let http = http.clone();
        let url = format!("{address}{path}");
        let body = body.map(|b| bytes::Bytes::from(b.to_string()));
        async move { http.send(method, &url, headers, body).await }
    };
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(answer) = call(http::Method::GET, "/v1/sys/health", None).await
            && answer.status.is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "bao dev server did not become ready on {address}");
    let enabled = call(http::Method::POST, "/v1/sys/mounts/transit", Some(r#"{"type":"transit"}"#)).await.unwrap();
    assert!(enabled.status.is_success(), "{enabled:?}");
    let created = call(http::Method::POST, "/v1/transit/keys/canopy", Some("{}")).await.unwrap();
    assert!(created.status.is_success(), "{created:?}");

    let settings = |token: &str| TransitSettings {
        address: address.clone(),
        token: SecretString::from(token),
        mount: "transit".into(),
        key: "canopy".into(),
    };
    let error = Transit::connect(settings("wrong-token"), http.clone()).await.unwrap_err().to_string();
    assert!(error.contains("permission denied"), "{error}");
    assert!(!error.contains("wrong-token"), "{error}");

    let transit = Transit::connect(settings("canopy-test-root"), http.clone()).await.unwrap();
    let data_key = SecretSlice::from(vec![42u8; 32]);
    let first = transit.wrap(&data_key).await.unwrap();
    assert_eq!(first.kek_version, 1);
    assert_eq!(transit.unwrap(1, &first.bytes).await.unwrap().expose_secret(), &[42u8; 32]);

    let rotated = call(http::Method::POST, "/v1/transit/keys/canopy/rotate", Some("{}")).await.unwrap();
    assert!(rotated.status.is_success(), "{rotated:?}");
    assert_eq!(transit.reload().await.unwrap().current, 2);
    let unwrapped = transit.unwrap(first.kek_version, &first.bytes).await.unwrap();
    let second = transit.wrap(&unwrapped).await.unwrap();
    assert_eq!(second.kek_version, 2);

    let configured =
        call(http::Method::POST, "/v1/transit/keys/canopy/config", Some(r#"{"min_decryption_version":2}"#))
            .await
            .unwrap();
    assert!(configured.status.is_success(), "{configured:?}");
    let versions = transit.reload().await.unwrap();
    assert_eq!((versions.current, versions.min_decryption), (2, 2));
    assert_eq!(transit.unwrap(2, &second.bytes).await.unwrap().expose_secret(), &[42u8; 32]);
    let error = transit.unwrap(1, &first.bytes).await.unwrap_err();
    assert!(matches!(error, KekError::Retired { version: 1, min: 2 }), "{error}");

    // The vault refuses it too (a replica whose versions are stale still cannot use it).
    let refused = call(
        http::Method::POST,
        "/v1/transit/decrypt/canopy",
        Some(&format!(r#"{{"ciphertext":"{}"}}"#, String::from_utf8_lossy(&first.bytes))),
    )
    .await
    .unwrap();
    assert_eq!(refused.status, http::StatusCode::BAD_REQUEST, "{refused:?}");
    let _ = server.kill().await;
}
