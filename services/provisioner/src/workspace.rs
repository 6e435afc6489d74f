//! The Terraform working directory of one run: a generated root module (`main.tf.json`)
//! calling `terraform/sites/<provider>`, and the site's values in `terraform.tfvars.json`.
//!
//! **No user value is ever spliced into configuration.** `main.tf.json` holds only our
//! own references (`${var.site_id}`, `${module.site.url}`) and paths/names from operator
//! configuration, which are refused if they contain a template sequence. User values go
//! only into `terraform.tfvars.json`, which Terraform reads as literal JSON values
//! (HCL's JSON syntax evaluates strings as templates only when given an evaluation
//! context, and variable files are decoded without one). On top of that, `${` and `%{`
//! are written as `\u0024{` and `\u0025{` — the same string to any JSON parser, but the
//! file text then contains no interpolation sequence at all, so nothing that scans or
//! re-parses it as a template can be fooled. (`$${` escaping would be wrong here: in a
//! literal file it would change the value.)
//!
//! Credentials never appear in these files: the backend's connection string and the
//! provider credentials reach Terraform as environment variables only.

use std::path::{Path, PathBuf};

use canopy_terraform::{CloudProvider, Module, SiteVariables};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::config::{BackendConfig, BackendKind};

/// Name of the module block calling the site template.
pub const SITE_MODULE: &str = "site";

/// The two generated files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFiles {
    pub main_tf_json: String,
    pub tfvars_json: String,
}

/// Why the working directory could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("the deployment's variables do not match the site contract: {0}")]
    Variables(String),
    #[error("cannot read the {provider} site template: {source}")]
    Template {
        provider: CloudProvider,
        #[source]
        source: canopy_terraform::Error,
    },
    #[error("{0}")]
    UnsafeConfig(String),
    #[error("cannot write the working directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Reads the deployment's variables, checks they are for this site and customer, and
/// adds the cost-allocation tags (which win over user tags of the same name).
pub fn site_variables(tenant_id: Uuid, site_id: Uuid, variables: &Value) -> Result<SiteVariables, WorkspaceError> {
    let parsed: SiteVariables =
        serde_json::from_value(variables.clone()).map_err(|error| WorkspaceError::Variables(error.to_string()))?;
    if parsed.site_id != site_id.to_string() {
        return Err(WorkspaceError::Variables(format!(
            "site_id is {:?} but the deployment is for site {site_id}",
            parsed.site_id
        )));
    }
    if parsed.customer_id != tenant_id.to_string() {
        return Err(WorkspaceError::Variables(format!(
            "customer_id is {:?} but the deployment belongs to customer {tenant_id}",
            parsed.customer_id
        )));
    }
    Ok(with_cost_tags(parsed))
}

/// `variables` with `canopy_site_id` and `canopy_customer_id` in `tags`, overriding any
/// user tag of the same name: cost allocation must not depend on what a user typed.
pub fn with_cost_tags(mut variables: SiteVariables) -> SiteVariables {
    variables.tags.insert("canopy_site_id".into(), variables.site_id.clone());
    variables.tags.insert("canopy_customer_id".into(), variables.customer_id.clone());
    variables
}

/// Generates the root module and variables file for `variables` on `provider` (the
/// cost tags are added here too, so no caller can forget them).
pub fn generate(
    terraform_root: &Path,
    provider: CloudProvider,
    site_id: Uuid,
    variables: &SiteVariables,
    backend: &BackendConfig,
) -> Result<GeneratedFiles, WorkspaceError> {
    let template_dir = provider.site_template_dir(terraform_root);
    let template = Module::load(&template_dir).map_err(|source| WorkspaceError::Template { provider, source })?;
    let inputs: Vec<&str> = template.variables.keys().map(String::as_str).collect();
    let outputs: Vec<&str> = template.outputs.keys().map(String::as_str).collect();
    let source = template_dir.to_str().ok_or_else(|| {
        WorkspaceError::UnsafeConfig(format!("terraform_root {} is not valid UTF-8", terraform_root.display()))
    })?;
    Ok(GeneratedFiles {
        main_tf_json: render_root_module(source, &inputs, &outputs, &backend_block(backend, site_id)?)?,
        tfvars_json: render_tfvars(&with_cost_tags(variables.clone()), &inputs),
    })
}

/// `main.tf.json`: variables declared untyped (the template types them), the module
/// call passing each through, the template's outputs re-exported, and the backend.
pub fn render_root_module(
    template_source: &str,
    inputs: &[&str],
    outputs: &[&str],
    backend: &Value,
) -> Result<String, WorkspaceError> {
    refuse_template_sequences("terraform_root", template_source)?;
    let mut variable_blocks = Map::new();
    let mut module = Map::new();
    module.insert("source".into(), Value::String(template_source.to_owned()));
    for input in inputs {
        refuse_unusual_name(input)?;
        variable_blocks.insert((*input).to_owned(), json!({}));
        module.insert((*input).to_owned(), Value::String(format!("${{var.{input}}}")));
    }
    let mut output_blocks = Map::new();
    for output in outputs {
        refuse_unusual_name(output)?;
        output_blocks.insert((*output).to_owned(), json!({ "value": format!("${{module.{SITE_MODULE}.{output}}}") }));
    }
    let root = json!({
        "terraform": { "backend": backend },
        "variable": variable_blocks,
        "module": { SITE_MODULE: module },
        "output": output_blocks,
    });
    Ok(serde_json::to_string_pretty(&root).unwrap_or_default() + "\n")
}

/// `terraform.tfvars.json`: the inputs the template declares, JSON-encoded, with every
/// `${`/`%{` written as a `\u` escape (see the module docs).
pub fn render_tfvars(variables: &SiteVariables, inputs: &[&str]) -> String {
    let mut values = match variables.to_tfvars_json() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    values.retain(|name, _| inputs.contains(&name.as_str()));
    escape_template_sequences(&(serde_json::to_string_pretty(&Value::Object(values)).unwrap_or_default() + "\n"))
}

/// Rewrites `${` and `%{` in serialised JSON as `\u0024{` and `\u0025{`. Outside string
/// literals JSON has no `$` or `%`, and inside one the escape denotes the same character,
/// so the document's value is unchanged.
pub fn escape_template_sequences(json_text: &str) -> String {
    json_text.replace("${", "\\u0024{").replace("%{", "\\u0025{")
}

fn refuse_template_sequences(key: &str, value: &str) -> Result<(), WorkspaceError> {
    if value.contains("${") || value.contains("%{") {
        return Err(WorkspaceError::UnsafeConfig(format!(
            "{key} contains a Terraform template sequence (${{ or %{{), which a generated file cannot carry safely"
        )));
    }
    Ok(())
}

/// Template variable and output names come from our own `.tf` files; anything but an
/// identifier would mean the template is not what the provisioner was written for.
fn refuse_unusual_name(name: &str) -> Result<(), WorkspaceError> {
    let identifier = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier {
        Ok(())
    } else {
        Err(WorkspaceError::UnsafeConfig(format!("site template declares an unusual name {name:?}")))
    }
}

/// The `backend` block for one site. Connection strings and keys are not here: they
/// reach Terraform through its environment (`PG_CONN_STR`, `AWS_*`, `ARM_*`, `GOOGLE_*`).
pub fn backend_block(backend: &BackendConfig, site_id: Uuid) -> Result<Value, WorkspaceError> {
    let site = site_id.to_string();
    let block = match backend.kind {
        BackendKind::Pg => json!({ "pg": { "schema_name": format!("{}{}", backend.schema_prefix, site_id.simple()) } }),
        BackendKind::S3 => {
            let mut s3 = json!({
                "bucket": backend.bucket,
                "key": format!("{}{site}/terraform.tfstate", backend.key_prefix),
                "region": backend.region,
                "encrypt": true,
            });
            if backend.dynamodb_table.is_empty() {
                s3["use_lockfile"] = Value::Bool(true);
            } else {
                s3["dynamodb_table"] = Value::String(backend.dynamodb_table.clone());
            }
            json!({ "s3": s3 })
        }
        BackendKind::Azurerm => json!({ "azurerm": {
            "resource_group_name": backend.resource_group_name,
            "storage_account_name": backend.storage_account_name,
            "container_name": backend.container_name,
            "key": format!("{}{site}.tfstate", backend.key_prefix),
        }}),
        BackendKind::Gcs => json!({ "gcs": {
            "bucket": backend.bucket,
            "prefix": format!("{}{site}", backend.key_prefix),
        }}),
    };
    for (key, value) in [
        ("backend.bucket", &backend.bucket),
        ("backend.region", &backend.region),
        ("backend.key_prefix", &backend.key_prefix),
        ("backend.dynamodb_table", &backend.dynamodb_table),
        ("backend.resource_group_name", &backend.resource_group_name),
        ("backend.storage_account_name", &backend.storage_account_name),
        ("backend.container_name", &backend.container_name),
    ] {
        refuse_template_sequences(key, value)?;
    }
    Ok(block)
}

/// Writes the files into `dir`.
pub async fn write(dir: &Path, files: &GeneratedFiles) -> Result<(), WorkspaceError> {
    for (name, text) in [("main.tf.json", &files.main_tf_json), ("terraform.tfvars.json", &files.tfvars_json)] {
        let path = dir.join(name);
        tokio::fs::write(&path, text).await.map_err(|source| WorkspaceError::Io { path, source })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_text_parses_back_to_the_same_value() {
        let value = json!({ "a": "${var.x} and %{ if true }", "b": ["$", "%", "{", "$${"] });
        let text = escape_template_sequences(&serde_json::to_string(&value).unwrap_or_default());
        assert!(!text.contains("${") && !text.contains("%{"), "{text}");
        assert_eq!(serde_json::from_str::<Value>(&text).ok(), Some(value));
    }

    #[test]
    fn backend_config_with_a_template_sequence_is_refused() {
        let backend = BackendConfig { kind: BackendKind::Gcs, bucket: "b${x}".into(), ..Default::default() };
        assert!(backend_block(&backend, Uuid::nil()).is_err());
    }
}
