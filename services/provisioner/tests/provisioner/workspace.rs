//! The generated working directory: a property test over arbitrary (and deliberately
//! nasty) strings in every user-controlled variable, the cost tags, and the backend.

use std::collections::BTreeMap;
use std::path::PathBuf;

use canopy_provisioner::config::{BackendConfig, BackendKind, Secret};
use canopy_provisioner::workspace::{self, GeneratedFiles};
use canopy_terraform::CloudProvider;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use uuid::Uuid;

use crate::support::site_variables;

fn terraform_root() -> PathBuf {
    canopy_provisioner::ProvisionerConfig::default().terraform_root()
}

/// Strings built from pieces that break naive generators: template openers, quotes,
/// backslashes, escapes, control characters, newlines, look-alikes and astral plane.
fn tricky_string(rng: &mut StdRng) -> String {
    const PIECES: &[&str] = &[
        "${",
        "%{",
        "$${",
        "%%{",
        "}",
        "${var.secret}",
        "%{ if true }x%{ endif }",
        "\"",
        "\\",
        "\\\"",
        "\\u0024{",
        "\n",
        "\r\n",
        "\t",
        "\0",
        "\u{7f}",
        "'",
        "`",
        "$",
        "%",
        "{",
        "<<EOF\n",
        "EOF",
        "\u{2028}",
        "ｓｈｏｐ",
        "é",
        "🦀",
        "\u{202e}",
        "a",
        " ",
        "/*",
        "*/",
        "#",
        "//",
    ];
    let length = rng.random_range(0..12);
    (0..length)
        .map(|_| {
            if rng.random_bool(0.2) {
                char::from_u32(rng.random_range(0..0x11_0000)).map(String::from).unwrap_or_default()
            } else {
                PIECES[rng.random_range(0..PIECES.len())].to_owned()
            }
        })
        .collect()
}

fn generate(variables: &canopy_terraform::SiteVariables, site_id: Uuid, backend: &BackendConfig) -> GeneratedFiles {
    workspace::generate(&terraform_root(), CloudProvider::Aws, site_id, variables, backend).expect("generate")
}

/// Every `${` in the root module is one of our own references.
fn only_our_references(main_tf_json: &str) -> bool {
    main_tf_json.match_indices("${").all(|(at, _)| {
        let rest = &main_tf_json[at + 2..];
        let reference = rest.split('}').next().unwrap_or("");
        (reference.starts_with("var.") || reference.starts_with("module.site."))
            && reference.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    }) && !main_tf_json.contains("%{")
}

#[test]
fn no_user_value_reaches_a_generated_file_unescaped() {
    let mut rng = StdRng::seed_from_u64(0x5eed_ca70_0001);
    let tenant_id = Uuid::new_v4();
    let site_id = Uuid::new_v4();
    let backend = BackendConfig::default();
    for case in 0..300 {
        let mut variables = site_variables(tenant_id, site_id, "shop");
        variables.name = tricky_string(&mut rng);
        variables.region = tricky_string(&mut rng);
        variables.runtime.image = tricky_string(&mut rng);
        variables.runtime.env =
            (0..rng.random_range(0..4)).map(|_| (tricky_string(&mut rng), tricky_string(&mut rng))).collect();
        variables.tags =
            (0..rng.random_range(0..4)).map(|_| (tricky_string(&mut rng), tricky_string(&mut rng))).collect();

        let files = generate(&variables, site_id, &backend);
        for (name, text) in [("main.tf.json", &files.main_tf_json), ("terraform.tfvars.json", &files.tfvars_json)] {
            assert!(serde_json::from_str::<Value>(text).is_ok(), "case {case}: {name} is not JSON");
        }
        assert!(
            !files.tfvars_json.contains("${") && !files.tfvars_json.contains("%{"),
            "case {case}: template sequence in tfvars: {}",
            files.tfvars_json
        );
        assert!(only_our_references(&files.main_tf_json), "case {case}: {}", files.main_tf_json);

        // Round trip: the file holds exactly the values, with the cost tags added.
        let parsed: Value = serde_json::from_str(&files.tfvars_json).unwrap_or(Value::Null);
        let mut expected = variables.to_tfvars_json();
        expected["tags"]["canopy_site_id"] = Value::String(site_id.to_string());
        expected["tags"]["canopy_customer_id"] = Value::String(tenant_id.to_string());
        assert_eq!(parsed, expected, "case {case}");
        // Nothing of the values is in the root module.
        assert_eq!(
            files.main_tf_json,
            generate(&site_variables(tenant_id, site_id, "shop"), site_id, &backend).main_tf_json
        );
    }
}

#[test]
fn cost_tags_always_win_over_user_tags() {
    let tenant_id = Uuid::new_v4();
    let site_id = Uuid::new_v4();
    let mut variables = site_variables(tenant_id, site_id, "shop").to_tfvars_json();
    variables["tags"] = serde_json::json!({ "canopy_site_id": "forged", "team": "web" });
    let parsed = workspace::site_variables(tenant_id, site_id, &variables).expect("valid");
    let expected: BTreeMap<String, String> = [
        ("canopy_customer_id".to_owned(), tenant_id.to_string()),
        ("canopy_site_id".to_owned(), site_id.to_string()),
        ("team".to_owned(), "web".to_owned()),
    ]
    .into();
    assert_eq!(parsed.tags, expected);
}

#[test]
fn the_root_module_calls_the_template_with_every_input_and_a_per_site_backend() {
    let tenant_id = Uuid::new_v4();
    let site_id = Uuid::new_v4();
    let backend = BackendConfig { conn_str: Secret::new("postgres://u:hunter2@db/tf"), ..BackendConfig::default() };
    let files = generate(&site_variables(tenant_id, site_id, "shop"), site_id, &backend);
    let root: Value = serde_json::from_str(&files.main_tf_json).unwrap_or(Value::Null);
    let module = &root["module"]["site"];
    assert_eq!(module["source"], Value::String(terraform_root().join("sites/aws").to_string_lossy().into_owned()));
    for input in
        ["site_id", "customer_id", "name", "region", "size", "database_enabled", "storage_enabled", "runtime", "tags"]
    {
        assert_eq!(module[input], Value::String(format!("${{var.{input}}}")), "{input}");
        assert!(root["variable"][input].is_object(), "{input} declared");
    }
    assert_eq!(root["output"]["url"]["value"], Value::String("${module.site.url}".into()));
    assert_eq!(
        root["terraform"]["backend"]["pg"]["schema_name"],
        Value::String(format!("tfstate_{}", site_id.simple()))
    );
    for text in [&files.main_tf_json, &files.tfvars_json] {
        assert!(!text.contains("hunter2"), "credentials never go into files");
    }

    let s3 = BackendConfig {
        kind: BackendKind::S3,
        bucket: "state".into(),
        region: "eu-west-1".into(),
        ..BackendConfig::default()
    };
    let root: Value =
        serde_json::from_str(&generate(&site_variables(tenant_id, site_id, "shop"), site_id, &s3).main_tf_json)
            .unwrap_or(Value::Null);
    assert_eq!(
        root["terraform"]["backend"]["s3"]["key"],
        Value::String(format!("canopy/sites/{site_id}/terraform.tfstate"))
    );
    assert_eq!(root["terraform"]["backend"]["s3"]["use_lockfile"], Value::Bool(true));
}
