//! A `canopy.policy.v1.PolicySpec` definition — a built-in form or raw Rego — as the
//! Rego module evaluated, with every problem as a field violation under `policy.`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use canopy_kit::FieldViolation;
use canopy_sdk::proto::canopy::policy::v1 as proto;
use canopy_sdk::proto::canopy::policy::v1::policy_spec::Definition;
use canopy_terraform::{CloudProvider, SiteContract};

use super::builtin::{BuiltinPolicy, Cost, Money, ResourceLimits, Security};
use super::compile::{self, CompileError};

/// The site contract (providers, regions, sizes) the forms are checked against: the
/// one the templates are checked against, built in.
pub fn contract() -> &'static SiteContract {
    static CONTRACT: OnceLock<SiteContract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        serde_json::from_str(include_str!("../../../../terraform/sites/contract.json"))
            .expect("terraform/sites/contract.json is checked by canopy-terraform's tests")
    })
}

/// `(kind, rego, package)` of a definition, or `None` with violations pushed.
pub fn rego_for(
    definition: Option<&Definition>,
    violations: &mut Vec<FieldViolation>,
) -> Option<(&'static str, String, String)> {
    let (kind, rego) = match definition {
        None => {
            violations.push(FieldViolation::new(
                "policy.definition",
                "is required: a resource limits, security or cost form, or Rego",
            ));
            return None;
        }
        Some(Definition::Rego(source)) => ("custom", source.clone()),
        Some(form) => {
            let (kind, builtin) = builtin_for(form, violations)?;
            let problems = builtin.validate(contract());
            if !problems.is_empty() {
                let prefix = form_field(form);
                violations.extend(
                    problems
                        .into_iter()
                        .map(|p| FieldViolation::new(format!("policy.{prefix}.{}", p.field), p.message)),
                );
                return None;
            }
            (kind, builtin.to_rego(contract()))
        }
    };
    match compile::check(&rego) {
        Ok(info) => Some((kind, rego, info.package)),
        Err(errors) => {
            // Generated Rego always compiles (the builtin tests prove it); so these are
            // the author's.
            violations.extend(errors.iter().map(rego_violation));
            None
        }
    }
}

/// The compile errors of a Rego definition (empty for forms and modules that compile).
pub fn compile_errors(definition: Option<&Definition>) -> Vec<proto::CompileError> {
    match definition {
        Some(Definition::Rego(source)) => match compile::check(source) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| proto::CompileError {
                    line: i32::try_from(e.line).unwrap_or(i32::MAX),
                    column: i32::try_from(e.column).unwrap_or(i32::MAX),
                    message: e.message,
                })
                .collect(),
        },
        _ => Vec::new(),
    }
}

/// `policy.rego` violation: "line 3, column 29: expecting expression".
pub fn rego_violation(error: &CompileError) -> FieldViolation {
    FieldViolation::new("policy.rego", format!("line {}, column {}: {}", error.line, error.column, error.message))
}

fn form_field(form: &Definition) -> &'static str {
    match form {
        Definition::ResourceLimits(_) => "resource_limits",
        Definition::Security(_) => "security",
        Definition::Cost(_) => "cost",
        Definition::Rego(_) => "rego",
    }
}

fn builtin_for(form: &Definition, violations: &mut Vec<FieldViolation>) -> Option<(&'static str, BuiltinPolicy)> {
    match form {
        Definition::ResourceLimits(form) => {
            Some(("resource_limits", BuiltinPolicy::ResourceLimits(resource_limits(form, violations)?)))
        }
        Definition::Security(form) => Some(("security", BuiltinPolicy::Security(security(form, violations)?))),
        Definition::Cost(form) => Some(("cost", BuiltinPolicy::Cost(cost(form)))),
        Definition::Rego(_) => None,
    }
}

/// The form's flat region list, placed under the cloud each region belongs to.
fn resource_limits(form: &proto::ResourceLimitsForm, violations: &mut Vec<FieldViolation>) -> Option<ResourceLimits> {
    let before = violations.len();
    let mut allowed_providers = Vec::new();
    for (index, number) in form.allowed_providers.iter().enumerate() {
        match CloudProvider::from_proto_number(*number) {
            Some(provider) => allowed_providers.push(provider),
            None => violations.push(FieldViolation::new(
                format!("policy.resource_limits.allowed_providers[{index}]"),
                format!("is not a cloud; one of {}", CloudProvider::names()),
            )),
        }
    }
    let mut allowed_regions: BTreeMap<CloudProvider, Vec<String>> = BTreeMap::new();
    for (index, region) in form.allowed_regions.iter().enumerate() {
        let region = region.trim();
        let owners: Vec<CloudProvider> = contract()
            .providers
            .iter()
            .filter(|(_, facts)| facts.regions.iter().any(|r| r == region))
            .map(|(provider, _)| *provider)
            .collect();
        if owners.is_empty() {
            violations.push(FieldViolation::new(
                format!("policy.resource_limits.allowed_regions[{index}]"),
                format!("{region:?} is not a region Canopy offers on any cloud"),
            ));
        }
        for provider in owners {
            allowed_regions.entry(provider).or_default().push(region.to_owned());
        }
    }
    if form.max_instance_count < 0 {
        violations.push(FieldViolation::new(
            "policy.resource_limits.max_instance_count",
            "must not be negative (0 means no limit)",
        ));
    }
    if violations.len() > before {
        return None;
    }
    Some(ResourceLimits {
        allowed_providers,
        allowed_regions,
        max_size: Some(form.max_size.trim().to_owned()).filter(|size| !size.is_empty()),
        max_instances: (form.max_instance_count > 0).then_some(i64::from(form.max_instance_count)),
        database_allowed: !form.deny_database,
    })
}

fn security(form: &proto::SecurityForm, violations: &mut Vec<FieldViolation>) -> Option<Security> {
    let before = violations.len();
    for (index, port) in form.allowed_ingress_ports.iter().enumerate() {
        if !(1..=65535).contains(port) {
            violations.push(FieldViolation::new(
                format!("policy.security.allowed_ingress_ports[{index}]"),
                "must be a port from 1 to 65535",
            ));
        }
    }
    if violations.len() > before {
        return None;
    }
    Some(Security {
        storage_encrypted: form.require_encrypted_storage,
        no_public_database: form.deny_public_database,
        tls_listeners_only: form.require_tls_listeners,
        allowed_ingress_ports: (!form.allowed_ingress_ports.is_empty())
            .then(|| form.allowed_ingress_ports.iter().map(|port| i64::from(*port)).collect()),
        required_tags: form.required_tags.iter().map(|tag| tag.trim().to_owned()).collect(),
    })
}

fn cost(form: &proto::CostForm) -> Cost {
    let money = |m: &canopy_sdk::proto::canopy::common::v1::Money| Money {
        currency_code: m.currency_code.trim().to_owned(),
        minor_units: m.minor_units,
    };
    Cost {
        max_site_monthly: form.max_site_monthly.as_ref().map(money),
        max_customer_monthly: form.max_customer_monthly.as_ref().map(money),
    }
}
