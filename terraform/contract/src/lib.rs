//! Reads Canopy's Terraform modules and site templates and checks them against the
//! conventions and the provisioner contract, without Terraform or provider plugins.
//!
//! * [`Module::load`] parses a module directory: variables, outputs, locals, resources,
//!   module calls, version constraints and every `var.*`, `local.*` and `module.*`
//!   reference.
//! * [`check_tree`] runs every check over `terraform/` and returns [`Violation`]s; the
//!   individual checks ([`check_variables`], [`check_module_calls`], [`check_tags`],
//!   [`check_versions`], [`check_site_template`], [`check_layout`]) work on one module.
//! * [`SiteContract`] is `terraform/sites/contract.json`; [`site_template_inputs`] lists
//!   what a template really declares, and [`SiteVariables`] is what the provisioner
//!   writes as `terraform.tfvars.json`.
//! * [`plan_site`] lists the resource addresses a template would create for given inputs,
//!   which the sandbox executor walks through instead of calling a cloud.
//! * [`plan_json`] renders the same resources as Terraform's JSON plan (`terraform show
//!   -json`), with the attribute values known before apply, for policies to read.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod check;
mod contract;
mod error;
mod expr;
mod functions;
mod module;
mod plan;
mod plan_json;
#[cfg(feature = "proto")]
mod proto;
mod tagging;

pub use check::{
    Layout, TagPolicy, Violation, ViolationKind, check_example, check_layout, check_module_calls,
    check_reusable_module, check_site, check_site_template, check_tags, check_tree, check_variables, check_versions,
    module_dirs,
};
pub use contract::{
    CONTRACT_PATH, CloudProvider, ContractInput, ContractOutput, ProviderContract, SiteContract, SiteRuntime,
    SiteVariables, TemplateInput, site_template_inputs,
};
pub use error::Error;
pub use expr::{ExprFacts, Reference, render_type, string_literals};
pub use module::{
    Local, LocatedReference, Module, ModuleCall, Output, RequiredProvider, Resource, Validation, Variable,
};
pub use plan::{PlannedResource, plan_module, plan_site};
pub use plan_json::{PLAN_FORMAT_VERSION, PlanAction, TERRAFORM_VERSION, plan_json, plan_json_in_module};
pub use tagging::{Tagging, known_resource_types, tagging};

/// The `terraform/` directory when none is configured: the checkout this binary was
/// built from (dev and tests), else `./terraform` (a container image ships the
/// templates next to the binary's working directory). Absolute.
pub fn default_root() -> std::path::PathBuf {
    let built_from = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let root = if built_from.join("sites").is_dir() { built_from } else { std::path::PathBuf::from("terraform") };
    std::path::absolute(&root).unwrap_or(root)
}
