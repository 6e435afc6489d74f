//! The input document every policy reads, serialised as snake_case JSON:
//!
//! ```json
//! { "plan": { "resource_changes": [ … ] },           // `terraform show -json` of the plan
//!   "site": { "id", "name", "provider", "region", "size", "labels",
//!             "database_enabled", "storage_enabled" },
//!   "customer": { "id", "plan_tier", "status" },
//!   "deployment": { "id", "kind", "started_by": { "kind", "id", "role" } },
//!   "estimate": {…},                                   // the cost service's estimate, or null
//!   "billing": null }                                  // billing facts, when there are some
//! ```
//!
//! `estimate` is `null` when the plan could not be priced, and `billing` until the
//! billing issue fills it; policies must treat `null` as "not known" (the builtin cost
//! policy then produces nothing).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole input document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyInput {
    /// The Terraform JSON plan (`terraform show -json plan.out`), passed through untouched.
    pub plan: serde_json::Value,
    /// The site being deployed.
    pub site: SiteFacts,
    /// The customer (tenant) owning it.
    pub customer: CustomerFacts,
    /// The deployment asking to apply the plan.
    pub deployment: DeploymentFacts,
    /// The plan's estimated cost from the cost service; `null` when it could not be priced.
    pub estimate: Option<Estimate>,
    /// The customer's billing facts; `null` until billing supplies them.
    pub billing: Option<BillingFacts>,
}

impl PolicyInput {
    /// The document as the policies see it.
    pub fn to_json(&self) -> serde_json::Value {
        // Strings, numbers, booleans, maps and a JSON value cannot fail to serialise.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// Facts about the site, independent of any provider's resources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteFacts {
    /// Site ID.
    pub id: String,
    /// Site name (a DNS label).
    pub name: String,
    /// `aws`, `azure`, `gcp`, `digitalocean` or `akamai`.
    pub provider: String,
    /// Provider region, for example `eu-west-1`.
    pub region: String,
    /// `small`, `medium` or `large`.
    pub size: String,
    /// The site's labels.
    pub labels: BTreeMap<String, String>,
    /// Whether the site asks for a managed database.
    pub database_enabled: bool,
    /// Whether the site asks for an object storage bucket.
    pub storage_enabled: bool,
}

/// Facts about the customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFacts {
    /// Customer (tenant) ID.
    pub id: String,
    /// The customer's plan, for example `free` or `enterprise`.
    pub plan_tier: String,
    /// The customer's status, for example `active` or `suspended`.
    pub status: String,
}

/// Facts about the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentFacts {
    /// Deployment ID.
    pub id: String,
    /// What the deployment does, for example `create`, `update` or `destroy`.
    pub kind: String,
    /// Who started it.
    pub started_by: Actor,
}

/// Who started a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// `user`, `service_account` or `system`.
    pub kind: String,
    /// The actor's ID.
    pub id: String,
    /// The actor's role, for example `owner`.
    pub role: String,
}

/// The estimated monthly cost of the plan, in minor units (cents) of one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// ISO 4217 code, for example `USD`.
    pub currency_code: String,
    /// This site's monthly cost once the plan is applied.
    pub site_monthly_minor_units: i64,
    /// All the customer's sites' monthly cost once the plan is applied.
    pub customer_monthly_minor_units: i64,
}

/// Billing facts; the fields come with the billing issue. Serialised as an object so a
/// policy can already test `input.billing != null`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingFacts {}

/// The input for trying a policy on a pasted plan (`ValidatePolicy`): the plan as given,
/// and site facts read off it where the plan tells them (the cloud, from the resources'
/// providers); the rest are empty, as for a site nobody described.
pub fn placeholder_input(plan: serde_json::Value, customer_id: Option<String>) -> serde_json::Value {
    let provider = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|change| change["provider_name"].as_str())
        .find_map(|name| {
            let short = name.rsplit('/').next().unwrap_or(name);
            let provider = match short {
                "aws" => "aws",
                "azurerm" => "azure",
                "google" => "gcp",
                "digitalocean" => "digitalocean",
                "linode" => "akamai",
                _ => return None,
            };
            Some(provider.to_owned())
        })
        .unwrap_or_default();
    PolicyInput {
        plan,
        site: SiteFacts {
            id: String::new(),
            name: String::new(),
            provider,
            region: String::new(),
            size: String::new(),
            labels: BTreeMap::new(),
            database_enabled: false,
            storage_enabled: false,
        },
        customer: CustomerFacts {
            id: customer_id.unwrap_or_default(),
            plan_tier: String::new(),
            status: String::new(),
        },
        deployment: DeploymentFacts {
            id: String::new(),
            kind: "create".to_owned(),
            started_by: Actor { kind: String::new(), id: String::new(), role: String::new() },
        },
        estimate: None,
        billing: None,
    }
    .to_json()
}
