//! Evaluators, input documents and hand-made plans for the tests.

use std::path::PathBuf;

use canopy_policy::engine::evaluator::{Evaluator, Limits, PolicyModule};
use canopy_policy::engine::input::{Actor, CustomerFacts, DeploymentFacts, Estimate, PolicyInput, SiteFacts};
use canopy_terraform::SiteContract;
use serde_json::{Value, json};

pub fn evaluator(limits: Limits) -> Evaluator {
    Evaluator { command: vec![env!("CARGO_BIN_EXE_canopy-policy-evaluator").into()], limits }
}

pub fn contract() -> SiteContract {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../terraform");
    SiteContract::load(&root).expect("terraform/sites/contract.json loads")
}

pub fn module(id: &str, source: &str) -> PolicyModule {
    PolicyModule { id: id.to_owned(), module: source.to_owned() }
}

/// One resource of a hand-made plan: type, address and the `after` object.
pub struct Resource {
    pub kind: &'static str,
    pub address: String,
    pub after: Value,
    pub after_unknown: Value,
}

pub fn resource(kind: &'static str, name: &str, after: Value) -> Resource {
    Resource { kind, address: format!("{kind}.{name}"), after, after_unknown: json!({}) }
}

impl Resource {
    /// The resource as if declared in `module.<name>`.
    pub fn in_module(mut self, name: &str) -> Resource {
        self.address = format!("module.{name}.{}", self.address);
        self
    }

    pub fn unknown(mut self, after_unknown: Value) -> Resource {
        self.after_unknown = after_unknown;
        self
    }
}

/// A plan in the shape of `terraform show -json`: every resource is created.
pub fn plan(resources: Vec<Resource>) -> Value {
    let changes: Vec<Value> = resources
        .into_iter()
        .map(|resource| {
            let (name, module_address) = match resource.address.rsplit_once('.') {
                Some((prefix, name)) => {
                    let module = prefix.rsplit_once('.').map(|(module, _kind)| module.to_owned());
                    (name.to_owned(), module.filter(|m| m.starts_with("module.")))
                }
                None => (resource.address.clone(), None),
            };
            let mut change = json!({
                "address": resource.address,
                "mode": "managed",
                "type": resource.kind,
                "name": name,
                "change": {"actions": ["create"], "before": null, "after": resource.after, "after_unknown": resource.after_unknown},
            });
            if let Some(module_address) = module_address {
                change["module_address"] = json!(module_address);
            }
            change
        })
        .collect();
    json!({"format_version": "1.2", "resource_changes": changes})
}

/// The input document for a site on `provider` with `plan`; `size` medium, no database.
pub fn input(provider: &str, region: &str, plan: Value) -> PolicyInput {
    PolicyInput {
        plan,
        site: SiteFacts {
            id: "0192f5e4-7b1c-7cc3-9a51-3f7d2c8e4b10".to_owned(),
            name: "shop".to_owned(),
            provider: provider.to_owned(),
            region: region.to_owned(),
            size: "medium".to_owned(),
            labels: Default::default(),
            database_enabled: false,
            storage_enabled: false,
        },
        customer: CustomerFacts {
            id: "0192f5e4-0000-7cc3-9a51-3f7d2c8e4b10".to_owned(),
            plan_tier: "business".to_owned(),
            status: "active".to_owned(),
        },
        deployment: DeploymentFacts {
            id: "0192f5e4-1111-7cc3-9a51-3f7d2c8e4b10".to_owned(),
            kind: "create".to_owned(),
            started_by: Actor { kind: "user".to_owned(), id: "u1".to_owned(), role: "owner".to_owned() },
        },
        estimate: None,
        billing: None,
    }
}

pub fn estimate(currency: &str, site: i64, customer: i64) -> Option<Estimate> {
    Some(Estimate {
        currency_code: currency.to_owned(),
        site_monthly_minor_units: site,
        customer_monthly_minor_units: customer,
    })
}
