//! The site contract: the inputs every site template takes and the outputs it returns,
//! as written in `terraform/sites/contract.json`, and the typed variables the provisioner
//! writes for a template.
//!
//! The JSON file is the single written statement of the contract. The checks hold every
//! template to it, and [`SiteVariables`] produces exactly the inputs it lists, so the
//! provisioner, the templates and the catalogue of regions cannot drift apart unnoticed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::expr::render_type;
use crate::module::Module;

/// Where `contract.json` lives, relative to the `terraform/` directory.
pub const CONTRACT_PATH: &str = "sites/contract.json";

/// A cloud a site can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CloudProvider {
    /// Amazon Web Services.
    Aws,
    /// Microsoft Azure.
    Azure,
    /// Google Cloud.
    Gcp,
    /// DigitalOcean.
    #[serde(rename = "digitalocean")]
    DigitalOcean,
    /// Akamai Connected Cloud (Linode).
    Akamai,
}

impl CloudProvider {
    /// Every provider, in catalogue order.
    pub const ALL: [CloudProvider; 5] = [
        CloudProvider::Aws,
        CloudProvider::Azure,
        CloudProvider::Gcp,
        CloudProvider::DigitalOcean,
        CloudProvider::Akamai,
    ];

    /// The identifier used in `contract.json` and as the directory name under
    /// `terraform/modules` and `terraform/sites`.
    pub fn as_str(self) -> &'static str {
        match self {
            CloudProvider::Aws => "aws",
            CloudProvider::Azure => "azure",
            CloudProvider::Gcp => "gcp",
            CloudProvider::DigitalOcean => "digitalocean",
            CloudProvider::Akamai => "akamai",
        }
    }

    /// The site template directory for this provider under `terraform_root`.
    pub fn site_template_dir(self, terraform_root: &Path) -> PathBuf {
        terraform_root.join("sites").join(self.as_str())
    }
}

impl fmt::Display for CloudProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CloudProvider {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        CloudProvider::ALL
            .into_iter()
            .find(|provider| provider.as_str() == value)
            .ok_or_else(|| Error::UnknownProvider(value.to_owned()))
    }
}

/// `terraform/sites/contract.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SiteContract {
    /// Format version of the file.
    pub version: u32,
    /// What the file is for.
    #[serde(default)]
    pub description: String,
    /// Inputs every template declares, in the order the provisioner documents them.
    pub inputs: Vec<ContractInput>,
    /// Outputs every template returns.
    pub outputs: Vec<ContractOutput>,
    /// Tag keys every taggable resource of a site carries.
    pub cost_tags: Vec<String>,
    /// The accepted values of the `size` input.
    pub sizes: Vec<String>,
    /// Per-provider facts: template directory, regions on offer, optional features.
    pub providers: BTreeMap<CloudProvider, ProviderContract>,
}

/// One input of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ContractInput {
    /// Variable name.
    pub name: String,
    /// Terraform type constraint, for example `map(string)`.
    #[serde(rename = "type")]
    pub type_expr: String,
    /// Whether the provisioner must always pass it (the template declares no default).
    pub required: bool,
    /// What it means.
    #[serde(default)]
    pub description: String,
}

impl ContractInput {
    /// The type constraint in canonical form, comparable with [`crate::Variable::type_expr`].
    pub fn canonical_type(&self) -> Result<String, Error> {
        let parsed: hcl::Expression = self.type_expr.parse().map_err(|error: hcl::Error| Error::Contract {
            message: format!("input {} has type {:?}, which does not parse: {error}", self.name, self.type_expr),
        })?;
        Ok(render_type(&parsed))
    }
}

/// One output of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ContractOutput {
    /// Output name.
    pub name: String,
    /// What it holds.
    #[serde(default)]
    pub description: String,
}

/// What the contract says about one provider.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProviderContract {
    /// Template directory name under `terraform/sites`.
    pub template: String,
    /// Regions the catalogue offers; the template's `region` validation accepts exactly these.
    pub regions: Vec<String>,
    /// Whether `database_enabled = true` is supported.
    pub database: bool,
    /// Whether `storage_enabled = true` is supported.
    pub storage: bool,
}

impl SiteContract {
    /// Reads `sites/contract.json` under the `terraform/` directory.
    pub fn load(terraform_root: &Path) -> Result<SiteContract, Error> {
        let path = terraform_root.join(CONTRACT_PATH);
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
        serde_json::from_str(&text).map_err(|error| Error::Contract { message: format!("{}: {error}", path.display()) })
    }

    /// The contract's entry for `provider`.
    pub fn provider(&self, provider: CloudProvider) -> Result<&ProviderContract, Error> {
        self.providers
            .get(&provider)
            .ok_or_else(|| Error::Contract { message: format!("contract.json has no entry for provider {provider}") })
    }

    /// The contract input named `name`.
    pub fn input(&self, name: &str) -> Option<&ContractInput> {
        self.inputs.iter().find(|input| input.name == name)
    }
}

/// One input variable as a site template actually declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateInput {
    /// Variable name.
    pub name: String,
    /// Type constraint in canonical form.
    pub type_expr: String,
    /// Whether the template declares no default.
    pub required: bool,
    /// The variable's description.
    pub description: String,
}

/// The inputs the site template for `provider` declares, read from its `.tf` files (not
/// from `contract.json`), so the provisioner writes what the template really accepts.
pub fn site_template_inputs(terraform_root: &Path, provider: CloudProvider) -> Result<Vec<TemplateInput>, Error> {
    let module = Module::load(&provider.site_template_dir(terraform_root))?;
    Ok(module
        .variables
        .iter()
        .map(|(name, variable)| TemplateInput {
            name: name.clone(),
            type_expr: variable.type_expr.clone().unwrap_or_else(|| "any".to_owned()),
            required: variable.is_required(),
            description: variable.description.clone().unwrap_or_default(),
        })
        .collect())
}

/// The values the provisioner passes to a site template, shaped exactly like the
/// contract's inputs. Serialise it with [`SiteVariables::to_tfvars_json`] and write the
/// result as `terraform.tfvars.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteVariables {
    /// Canopy site ID, a lowercase UUID.
    pub site_id: String,
    /// Canopy customer (tenant) ID, a lowercase UUID.
    pub customer_id: String,
    /// Site name, a DNS label.
    pub name: String,
    /// Provider region, one of the contract's regions for the provider.
    pub region: String,
    /// `small`, `medium` or `large`.
    pub size: String,
    /// Create a managed PostgreSQL database.
    pub database_enabled: bool,
    /// Create an object storage bucket.
    pub storage_enabled: bool,
    /// What the site runs.
    pub runtime: SiteRuntime,
    /// Extra tags; the templates add the cost tags themselves.
    pub tags: BTreeMap<String, String>,
}

/// The `runtime` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRuntime {
    /// Container image reference.
    pub image: String,
    /// Port the container listens on; `u16` rules out 0 only by [`SiteVariables::violations`].
    pub port: u16,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
}

impl SiteVariables {
    /// The variables as a `terraform.tfvars.json` document.
    pub fn to_tfvars_json(&self) -> serde_json::Value {
        // Serialising plain strings, bools, integers and string maps cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// What the template's validation blocks would reject, checked before Terraform runs
    /// so a bad request fails fast with the same explanation. Empty when all is well.
    pub fn violations(&self, contract: &SiteContract, provider: CloudProvider) -> Vec<String> {
        let mut problems = Vec::new();
        for (field, value) in [("site_id", &self.site_id), ("customer_id", &self.customer_id)] {
            if !is_lowercase_uuid(value) {
                problems.push(format!("{field} must be a lowercase UUID, got {value:?}"));
            }
        }
        if !is_dns_label(&self.name) {
            problems.push(format!(
                "name must be a DNS label: 1-63 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen, got {:?}",
                self.name
            ));
        }
        if !contract.sizes.contains(&self.size) {
            problems.push(format!("size must be one of {}, got {:?}", contract.sizes.join(", "), self.size));
        }
        if self.runtime.port == 0 {
            problems.push("runtime.port must be from 1 to 65535".to_owned());
        }
        if self.runtime.image.trim().is_empty() || self.runtime.image.contains(' ') {
            problems.push("runtime.image must be a non-empty container image reference without spaces".to_owned());
        }
        match contract.provider(provider) {
            Ok(offer) => {
                if !offer.regions.contains(&self.region) {
                    problems.push(format!(
                        "region must be one of {} on {provider}, got {:?}",
                        offer.regions.join(", "),
                        self.region
                    ));
                }
                if self.database_enabled && !offer.database {
                    problems.push(format!("{provider} sites cannot have a database"));
                }
                if self.storage_enabled && !offer.storage {
                    problems.push(format!("{provider} sites cannot have object storage"));
                }
            }
            Err(error) => problems.push(error.to_string()),
        }
        problems
    }
}

fn is_lowercase_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    groups.len() == lengths.len()
        && groups.iter().zip(lengths).all(|(group, length)| {
            group.len() == length && group.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        })
}

fn is_dns_label(value: &str) -> bool {
    let bytes = value.as_bytes();
    let Some((&first, rest)) = bytes.split_first() else {
        return false;
    };
    bytes.len() <= 63
        && first.is_ascii_lowercase()
        && rest.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && bytes.last() != Some(&b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels_follow_the_template_rule() {
        for good in ["a", "shop", "my-shop-2", &"a".repeat(63)] {
            assert!(is_dns_label(good), "{good} should be accepted");
        }
        for bad in ["", "1shop", "Shop", "shop-", "sh_op", &"a".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad} should be rejected");
        }
    }

    #[test]
    fn uuids_must_be_lowercase_and_hyphenated() {
        assert!(is_lowercase_uuid("0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10"));
        assert!(!is_lowercase_uuid("0192F5E4-7B1C-7CC3-9A51-3F7D2C8E4B10"));
        assert!(!is_lowercase_uuid("0192f5e47b1c7cc39a513f7d2c8e4b10"));
    }

    #[test]
    fn providers_round_trip_through_their_names() {
        for provider in CloudProvider::ALL {
            assert_eq!(provider.as_str().parse::<CloudProvider>().ok(), Some(provider));
        }
        assert!("openstack".parse::<CloudProvider>().is_err());
    }
}
