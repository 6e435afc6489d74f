//! Configuration: defaults, file, environment; bad input names the key.

use canopy_kit::config::{ConfigError, KitConfig, MeshMode, load_from};
use figment::providers::Env;

fn write(contents: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), contents).unwrap();
    file
}

#[test]
// figment::Jail's closure signature is figment's, not ours.
#[allow(clippy::result_large_err)]
fn the_file_overrides_defaults_and_the_environment_overrides_the_file() {
    let file = write("[database]\nurl = \"postgres://file\"\nmax_connections = 3\n[mesh]\nmode = \"plaintext\"\n");
    figment::Jail::expect_with(|jail| {
        jail.set_env("CANOPY_DATABASE__URL", "postgres://env");
        let config: KitConfig = load_from(Some(file.path()), Env::prefixed("CANOPY_").split("__")).unwrap();
        assert_eq!(config.database.url, "postgres://env");
        assert_eq!(config.database.max_connections, 3);
        assert_eq!(config.mesh.mode, MeshMode::Plaintext);
        assert_eq!(config.database.app_role, "canopy_app");
        Ok(())
    });
}

#[test]
fn a_missing_file_is_named() {
    let error = load_from::<KitConfig>(Some("/nonexistent/canopy.toml".as_ref()), Env::raw().only(&[])).unwrap_err();
    assert!(matches!(error, ConfigError::MissingFile { .. }));
    assert_eq!(error.to_string(), "config file /nonexistent/canopy.toml does not exist");
}

#[test]
fn an_unknown_key_or_a_wrong_type_names_the_key() {
    let file = write("[database]\nurll = \"x\"\n");
    let error = load_from::<KitConfig>(Some(file.path()), Env::raw().only(&[])).unwrap_err().to_string();
    assert!(error.contains("urll") && error.contains("database"), "{error}");
    assert!(!error.contains('\n'));

    let file = write("[database]\nmax_connections = \"many\"\n");
    let error = load_from::<KitConfig>(Some(file.path()), Env::raw().only(&[])).unwrap_err().to_string();
    assert!(error.contains("database.max_connections"), "{error}");

    let file = write("[database\n");
    let error = load_from::<KitConfig>(Some(file.path()), Env::raw().only(&[])).unwrap_err().to_string();
    assert!(error.contains(&file.path().display().to_string()), "{error}");
}

#[test]
fn a_service_section_is_typed_with_defaults_and_names_its_errors() {
    #[derive(serde::Deserialize, Default, Debug)]
    #[serde(deny_unknown_fields, default)]
    struct Example {
        ttl_secs: u64,
        name: String,
    }
    let file = write("[services.example]\nttl_secs = 30\n");
    let config: KitConfig = load_from(Some(file.path()), Env::raw().only(&[])).unwrap();
    let example: Example = config.section("example").unwrap();
    assert_eq!((example.ttl_secs, example.name.as_str()), (30, ""));
    let missing: Example = config.section("absent").unwrap();
    assert_eq!(missing.ttl_secs, 0);

    let file = write("[services.example]\nttl_secs = \"soon\"\n");
    let config: KitConfig = load_from(Some(file.path()), Env::raw().only(&[])).unwrap();
    let error = config.section::<Example>("example").unwrap_err().to_string();
    assert!(error.starts_with("invalid configuration: services.example: invalid type"), "{error}");
}
