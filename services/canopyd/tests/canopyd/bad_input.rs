//! Every bad start-up: exit code 1, one line naming the setting or file, and nothing
//! left running.

use canopy_kit::mesh::{DevPki, LeafValidity};

use crate::support::{canopyd, error_line, keyring_path, postmaster_pid, run_to_exit};

/// A key-encryption key for identity, which refuses to start without one.
const TEST_KEK: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

#[test]
fn run_without_a_database_url_names_the_setting() {
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.arg("run");
        c
    }));
    assert_eq!(line, "canopyd: error: database.url is not set (config file, CANOPY_DATABASE__URL or DATABASE_URL)");
}

#[test]
fn a_missing_or_malformed_config_file_is_named() {
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.args(["--config", "/nonexistent/canopy.toml", "run"]);
        c
    }));
    assert_eq!(line, "canopyd: error: config file /nonexistent/canopy.toml does not exist");

    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "[database]\nmax_connections = \"lots\"\n").unwrap();
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.arg("--config").arg(file.path()).arg("run");
        c
    }));
    assert!(line.contains("database.max_connections"), "{line}");
}

#[test]
fn an_unreachable_database_is_named() {
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.arg("run").env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/canopy").env("REDIS_URL", redis_url());
        c.env("CANOPY_MESH__PKI_DIR", pki_with(|_| {}).keep());
        c
    }));
    assert!(line.contains("cannot connect to PostgreSQL at 127.0.0.1:1/canopy (database.url)"), "{line}");
}

#[tokio::test]
async fn a_port_in_use_is_named_and_earlier_services_are_stopped() {
    let fresh = canopy_kit::testing::TestEnv::new().await;
    let database_url = || fresh.config.database.url.clone();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.args(["run", "--services", "identity,tenancy"])
            .env("DATABASE_URL", database_url())
            .env("REDIS_URL", redis_url());
        c.env("CANOPY_LISTEN__TENANCY", taken.local_addr().unwrap().to_string());
        c.env("CANOPY_MESH__PEERS__AUDIT", "https://127.0.0.1:9");
        c.env("CANOPY_MESH__PEERS__ALERTS", "https://127.0.0.1:9");
        c.env("CANOPY_SERVICES__IDENTITY__KEY_ENCRYPTION_KEY", TEST_KEK);
        c.env("CANOPY_SECRETS__KEK__KEYRING__PATH", keyring_path(&fresh));
        c.env("CANOPY_MESH__PKI_DIR", pki_with(|_| {}).keep());
        c
    }));
    assert!(line.contains(&format!("service tenancy: cannot listen on {}", taken.local_addr().unwrap())), "{line}");
}

#[tokio::test]
async fn an_expired_or_mismatched_certificate_is_named() {
    // Start-up stops at the certificate, before the database; a fresh one all the same.
    let fresh = canopy_kit::testing::TestEnv::new().await;
    let database_url = || fresh.config.database.url.clone();
    let now = time::OffsetDateTime::now_utc();
    let expired = pki_with(|pki| {
        pki.issue_leaf(
            "identity",
            LeafValidity { not_before: now - time::Duration::days(9), not_after: now - time::Duration::days(2) },
        )
        .unwrap()
    });
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.args(["run", "--services", "identity"]).env("DATABASE_URL", database_url()).env("REDIS_URL", redis_url());
        c.env("CANOPY_SERVICES__IDENTITY__KEY_ENCRYPTION_KEY", TEST_KEK);
        c.env("CANOPY_SECRETS__KEK__KEYRING__PATH", keyring_path(&fresh));
        c.env("CANOPY_MESH__PEERS__TENANCY", "https://127.0.0.1:9");
        c.env("CANOPY_MESH__PEERS__AUDIT", "https://127.0.0.1:9");
        c.env("CANOPY_MESH__PEERS__ALERTS", "https://127.0.0.1:9");
        c.env("CANOPY_MESH__PKI_DIR", expired.path());
        c
    }));
    assert!(line.contains("identity.crt: certificate expired at"), "{line}");

    let mismatched = pki_with(|pki| {
        pki.issue_leaf_for_name(
            "identity",
            "sites.canopy.serviceaccount.identity.linkerd.cluster.local",
            LeafValidity::days(1),
        )
        .unwrap()
    });
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.args(["run", "--services", "identity"]).env("DATABASE_URL", database_url()).env("REDIS_URL", redis_url());
        c.env("CANOPY_SERVICES__IDENTITY__KEY_ENCRYPTION_KEY", TEST_KEK);
        c.env("CANOPY_SECRETS__KEK__KEYRING__PATH", keyring_path(&fresh));
        c.env("CANOPY_MESH__PEERS__TENANCY", "https://127.0.0.1:9");
        c.env("CANOPY_MESH__PEERS__AUDIT", "https://127.0.0.1:9");
        c.env("CANOPY_MESH__PEERS__ALERTS", "https://127.0.0.1:9");
        c.env("CANOPY_MESH__PKI_DIR", mismatched.path());
        c
    }));
    assert!(line.contains("certificate names [\"sites.canopy"), "{line}");
}

#[test]
fn an_unknown_service_is_named() {
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.args(["run", "--services", "identity,billingz"]);
        c
    }));
    assert!(line.contains("unknown service \"billingz\""), "{line}");
}

#[test]
fn dev_stops_its_private_servers_when_start_up_fails() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let line = error_line(&run_to_exit({
        let mut c = canopyd();
        c.args(["dev", "--dir"]).arg(dir.path());
        c.env("CANOPY_LISTEN__SITES", taken.local_addr().unwrap().to_string());
        c
    }));
    assert!(line.contains("service sites: cannot listen on"), "{line}");
    assert_eq!(postmaster_pid(&dir.path().join("postgres/data")), None, "private postgres left running");
}

fn pki_with(adjust: impl FnOnce(&DevPki)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pki = DevPki::generate(
        dir.path(),
        "canopy",
        "cluster.local",
        &["gateway", "identity", "tenancy", "sites", "provisioner", "canopyctl"],
    )
    .unwrap();
    adjust(&pki);
    dir
}

#[test]
fn a_peer_address_that_is_not_a_url_or_names_no_service_is_refused_naming_the_setting() {
    let run = |key: &str, value: &str| {
        error_line(&run_to_exit({
            let mut c = canopyd();
            c.args(["run", "--services", "identity"]).env("DATABASE_URL", "postgres://127.0.0.1:1/x");
            c.env("REDIS_URL", redis_url()).env(key, value);
            c
        }))
    };
    assert_eq!(
        run("CANOPY_MESH__PEERS__TENANCY", "tenancy:8443"),
        "canopyd: error: mesh.peers.tenancy: \"tenancy:8443\" is not a URL with an http or https scheme and a host"
    );
    assert_eq!(
        run("CANOPY_MESH__PEERS__BILLING", "https://billing.canopy.svc.cluster.local:8443"),
        "canopyd: error: mesh.peers.billing: no such service (known: identity, tenancy, provisioner, sites, audit, alerts, policy, cost, commerce)"
    );
}
