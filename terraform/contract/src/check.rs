//! The checks: each takes parsed modules and returns the [`Violation`]s it finds, in
//! plain words, with the file to fix. [`check_tree`] runs all of them over the real
//! `terraform/` directory.
//!
//! The checks stand in for `terraform validate` on machines without Terraform or provider
//! plugins, and add what `validate` never checks: conventions (types, descriptions,
//! READMEs), cost tags, pinned providers and the site contract.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::contract::{CloudProvider, SiteContract};
use crate::error::Error;
use crate::expr::{ExprFacts, Reference, string_literals};
use crate::module::Module;
use crate::tagging::{Tagging, tagging};

/// What kind of problem a [`Violation`] is, so tests and tools can match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViolationKind {
    /// A file could not be read or parsed.
    Unreadable,
    /// A required file (`main.tf`, `README.md`, `examples/basic/main.tf`, ...) is missing.
    MissingFile,
    /// `var.X` is used but no `variable "X"` exists.
    UndeclaredVariable,
    /// A variable has no `type`.
    UntypedVariable,
    /// A variable has no `description`.
    UndescribedVariable,
    /// A variable is declared but nothing reads it.
    UnusedVariable,
    /// An output has no `description`.
    UndescribedOutput,
    /// `local.X` is used but no local `X` exists.
    UndefinedLocal,
    /// A module call's `source` is not a local directory holding a module.
    UnresolvableModuleSource,
    /// A module call omits a variable the called module requires.
    MissingModuleArgument,
    /// A module call passes an argument the called module does not declare.
    UnknownModuleArgument,
    /// `module.M...` refers to a module call that does not exist.
    UnknownModule,
    /// `module.M.O` refers to an output `O` the called module does not declare.
    MissingModuleOutput,
    /// A taggable resource has no tags, or tags that do not come from the module's tags input.
    MissingTags,
    /// In a site template, tags that do not carry the contract's cost tags.
    MissingCostTags,
    /// A resource type appears in neither tagging list.
    UnknownResourceType,
    /// `terraform { required_version }` is missing.
    MissingRequiredVersion,
    /// A `required_providers` entry has no `source`.
    ProviderWithoutSource,
    /// A `required_providers` entry has no version constraint, or one without an upper bound.
    UnpinnedProvider,
    /// A resource's provider is not in `required_providers`.
    UndeclaredProvider,
    /// A site template lacks a contract input.
    ContractInputMissing,
    /// A site template declares an input the contract does not list.
    ContractInputUnexpected,
    /// A site template's input differs from the contract in type or in being required.
    ContractInputMismatch,
    /// A site template lacks a contract output.
    ContractOutputMissing,
    /// A site template declares an output the contract does not list.
    ContractOutputUnexpected,
    /// A site template's `region` validation accepts a different set than the contract's regions.
    RegionsMismatch,
    /// A site template's `size` validation or size map differs from the contract's sizes.
    SizesMismatch,
    /// A provider in the contract has no template, or a template has no contract entry.
    TemplateMissing,
    /// The README does not mention an input or output.
    UndocumentedInReadme,
}

/// One problem found by a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The file (or directory) to fix.
    pub file: PathBuf,
    /// What kind of problem it is.
    pub kind: ViolationKind,
    /// What is wrong, in plain words.
    pub message: String,
}

impl Violation {
    fn new(file: impl Into<PathBuf>, kind: ViolationKind, message: impl Into<String>) -> Violation {
        Violation { file: file.into(), kind, message: message.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file.display(), self.message)
    }
}

/// What a module's tags must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagPolicy<'a> {
    /// A reusable module: every taggable resource passes on the module's `tags` (or, on
    /// Google Cloud, `labels`) input, directly or through locals.
    ForwardTagsInput,
    /// A site template: every taggable resource, and the tags input of every module it
    /// calls, carries these keys (spelled out in the template, directly or through locals).
    CostTags(&'a [String]),
}

/// The inputs a module's tags are read from.
const TAG_INPUTS: &[&str] = &["tags", "labels"];

/// Variables: every `var.X` is declared; every variable is typed, described and used;
/// every `local.X` is defined; every output is described.
pub fn check_variables(module: &Module) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut reported = BTreeSet::new();
    let mut used = BTreeSet::new();
    for located in &module.references {
        match &located.reference {
            Reference::Variable(name) => {
                used.insert(name.clone());
                if !module.variables.contains_key(name) && reported.insert(("var", name.clone())) {
                    violations.push(Violation::new(
                        &located.file,
                        ViolationKind::UndeclaredVariable,
                        format!("var.{name} is used but no variable \"{name}\" is declared"),
                    ));
                }
            }
            Reference::Local(name) => {
                if !module.locals.contains_key(name) && reported.insert(("local", name.clone())) {
                    violations.push(Violation::new(
                        &located.file,
                        ViolationKind::UndefinedLocal,
                        format!("local.{name} is used but no local named {name} is defined"),
                    ));
                }
            }
            Reference::ModuleOutput { .. } => {}
        }
    }
    for (name, variable) in &module.variables {
        if variable.type_expr.is_none() {
            violations.push(Violation::new(
                &variable.file,
                ViolationKind::UntypedVariable,
                format!("variable \"{name}\" has no type; add a type constraint such as string or map(string)"),
            ));
        }
        if variable.description.as_deref().is_none_or(|text| text.trim().is_empty()) {
            violations.push(Violation::new(
                &variable.file,
                ViolationKind::UndescribedVariable,
                format!("variable \"{name}\" has no description"),
            ));
        }
        if !used.contains(name) {
            violations.push(Violation::new(
                &variable.file,
                ViolationKind::UnusedVariable,
                format!("variable \"{name}\" is declared but never used"),
            ));
        }
    }
    for (name, output) in &module.outputs {
        if output.description.as_deref().is_none_or(|text| text.trim().is_empty()) {
            violations.push(Violation::new(
                &output.file,
                ViolationKind::UndescribedOutput,
                format!("output \"{name}\" has no description"),
            ));
        }
    }
    violations
}

/// Versions: `required_version` is set; every provider has a source and a version
/// constraint with an upper bound; every resource's provider is required.
pub fn check_versions(module: &Module) -> Vec<Violation> {
    let versions_file = module.dir.join("versions.tf");
    let mut violations = Vec::new();
    if module.required_version.is_none() {
        violations.push(Violation::new(
            &versions_file,
            ViolationKind::MissingRequiredVersion,
            "terraform { required_version } is not set; use \">= 1.6\"",
        ));
    }
    for (name, requirement) in &module.required_providers {
        if requirement.source.is_none() {
            violations.push(Violation::new(
                &versions_file,
                ViolationKind::ProviderWithoutSource,
                format!("required provider {name} has no source, such as hashicorp/{name}"),
            ));
        }
        match requirement.version.as_deref() {
            None => violations.push(Violation::new(
                &versions_file,
                ViolationKind::UnpinnedProvider,
                format!("required provider {name} has no version constraint; pin it with ~> MAJOR.MINOR"),
            )),
            Some(constraint) if !bounds_major_version(constraint) => violations.push(Violation::new(
                &versions_file,
                ViolationKind::UnpinnedProvider,
                format!(
                    "required provider {name} has version constraint \"{constraint}\", which accepts any future major version; pin it with ~> MAJOR.MINOR"
                ),
            )),
            Some(_) => {}
        }
    }
    let mut reported = BTreeSet::new();
    for resource in module.resources.iter().chain(&module.data_sources) {
        let provider = resource.provider();
        // `terraform_data` is built into Terraform and needs no provider.
        if resource.kind == "terraform_data" || module.required_providers.contains_key(provider) {
            continue;
        }
        if reported.insert(provider.to_owned()) {
            violations.push(Violation::new(
                &resource.file,
                ViolationKind::UndeclaredProvider,
                format!("{} uses provider {provider}, which is not in required_providers", resource.address()),
            ));
        }
    }
    violations
}

/// A constraint pins the major version when every clause is `~>` with at least a minor
/// part, an exact version, or an explicit upper bound.
fn bounds_major_version(constraint: &str) -> bool {
    let clauses: Vec<&str> = constraint.split(',').map(str::trim).collect();
    let has_upper_bound = clauses.iter().any(|clause| {
        if let Some(version) = clause.strip_prefix("~>") {
            return version.trim().split('.').count() >= 2;
        }
        clause.starts_with('<') || clause.starts_with('=') || clause.chars().next().is_some_and(|c| c.is_ascii_digit())
    });
    !constraint.trim().is_empty() && has_upper_bound
}

/// Module calls: each local `source` resolves to a module; each call passes every
/// required variable and nothing the module does not declare; each `module.M.O`
/// reference names an existing call and an output that module declares.
pub fn check_module_calls(module: &Module) -> Vec<Violation> {
    let mut violations = Vec::new();
    let mut callees: BTreeMap<&str, Module> = BTreeMap::new();
    for call in &module.module_calls {
        let Some(dir) = call.local_source_dir(&module.dir) else {
            violations.push(Violation::new(
                &call.file,
                ViolationKind::UnresolvableModuleSource,
                format!(
                    "module \"{}\" has source \"{}\"; only local paths (./ or ../) can be checked",
                    call.name, call.source
                ),
            ));
            continue;
        };
        let callee = match Module::load(&dir) {
            Ok(callee) => callee,
            Err(error) => {
                violations.push(Violation::new(
                    &call.file,
                    ViolationKind::UnresolvableModuleSource,
                    format!("module \"{}\" has source \"{}\", which cannot be loaded: {error}", call.name, call.source),
                ));
                continue;
            }
        };
        for (name, variable) in &callee.variables {
            if variable.is_required() && !call.arguments.contains_key(name) {
                violations.push(Violation::new(
                    &call.file,
                    ViolationKind::MissingModuleArgument,
                    format!("module \"{}\" does not pass {name}, which {} requires", call.name, call.source),
                ));
            }
        }
        for name in call.arguments.keys() {
            if !callee.variables.contains_key(name) {
                violations.push(Violation::new(
                    &call.file,
                    ViolationKind::UnknownModuleArgument,
                    format!("module \"{}\" passes {name}, which {} does not declare", call.name, call.source),
                ));
            }
        }
        callees.insert(call.name.as_str(), callee);
    }
    let mut reported = BTreeSet::new();
    for located in &module.references {
        let Reference::ModuleOutput { module: name, output } = &located.reference else {
            continue;
        };
        if module.module_call(name).is_none() {
            if reported.insert((name.clone(), None)) {
                violations.push(Violation::new(
                    &located.file,
                    ViolationKind::UnknownModule,
                    format!("module.{name} is used but there is no module \"{name}\" block"),
                ));
            }
            continue;
        }
        let (Some(output), Some(callee)) = (output, callees.get(name.as_str())) else {
            continue;
        };
        if !callee.outputs.contains_key(output) && reported.insert((name.clone(), Some(output.clone()))) {
            let source = module.module_call(name).map(|call| call.source.as_str()).unwrap_or_default();
            violations.push(Violation::new(
                &located.file,
                ViolationKind::MissingModuleOutput,
                format!("module.{name}.{output} is used but {source} has no output \"{output}\""),
            ));
        }
    }
    violations
}

/// Tags: every resource type is in a tagging list; every taggable resource, and (in
/// site templates) every module call that takes tags, carries them as `policy` demands.
pub fn check_tags(module: &Module, policy: TagPolicy<'_>) -> Vec<Violation> {
    let mut violations = Vec::new();
    for resource in &module.resources {
        let attribute = match tagging(&resource.kind) {
            Tagging::NotTaggable => continue,
            Tagging::Unknown => {
                violations.push(Violation::new(
                    &resource.file,
                    ViolationKind::UnknownResourceType,
                    format!(
                        "{} has a resource type the tagging lists do not know; add {} to the taggable or the non-taggable list in terraform/contract/src/tagging.rs",
                        resource.address(),
                        resource.kind
                    ),
                ));
                continue;
            }
            Tagging::Taggable(attribute) => attribute,
        };
        let Some(facts) = resource.attributes.get(attribute) else {
            violations.push(Violation::new(
                &resource.file,
                ViolationKind::MissingTags,
                format!("{} has no {attribute}; every taggable resource must carry the cost tags", resource.address()),
            ));
            continue;
        };
        if let Some(problem) = tag_problem(module, facts, policy) {
            let kind = match policy {
                TagPolicy::ForwardTagsInput => ViolationKind::MissingTags,
                TagPolicy::CostTags(_) => ViolationKind::MissingCostTags,
            };
            violations.push(Violation::new(
                &resource.file,
                kind,
                format!("{}.{attribute} {problem}", resource.address()),
            ));
        }
    }
    if let TagPolicy::CostTags(_) = policy {
        for call in &module.module_calls {
            let Some(dir) = call.local_source_dir(&module.dir) else {
                continue;
            };
            // An unloadable source is reported by check_module_calls.
            let Ok(callee) = Module::load(&dir) else {
                continue;
            };
            for input in TAG_INPUTS.iter().filter(|input| callee.variables.contains_key(**input)) {
                let Some(argument) = call.arguments.get(*input) else {
                    violations.push(Violation::new(
                        &call.file,
                        ViolationKind::MissingCostTags,
                        format!("module \"{}\" is not passed {input}, so its resources lose the cost tags", call.name),
                    ));
                    continue;
                };
                if let Some(problem) = tag_problem(module, &ExprFacts::of(argument), policy) {
                    violations.push(Violation::new(
                        &call.file,
                        ViolationKind::MissingCostTags,
                        format!("module \"{}\" argument {input} {problem}", call.name),
                    ));
                }
            }
        }
    }
    violations
}

fn tag_problem(module: &Module, facts: &ExprFacts, policy: TagPolicy<'_>) -> Option<String> {
    let resolved = module.resolve_locals(facts);
    match policy {
        TagPolicy::ForwardTagsInput => {
            let forwards = TAG_INPUTS.iter().any(|input| resolved.reads_variable(input));
            (!forwards).then(|| "does not use var.tags (or var.labels), so callers' cost tags are lost".to_owned())
        }
        TagPolicy::CostTags(keys) => {
            let missing: Vec<&str> =
                keys.iter().filter(|key| !resolved.object_keys.contains(*key)).map(String::as_str).collect();
            (!missing.is_empty()).then(|| format!("does not carry the cost tags {}", missing.join(", ")))
        }
    }
}

/// The site contract: the template declares exactly the contract's inputs (same type,
/// same required-ness) and outputs, its `region` validation accepts exactly the
/// provider's regions, and its `size` validation exactly the contract's sizes.
pub fn check_site_template(module: &Module, contract: &SiteContract, provider: CloudProvider) -> Vec<Violation> {
    let variables_file = module.dir.join("variables.tf");
    let outputs_file = module.dir.join("outputs.tf");
    let mut violations = Vec::new();
    for input in &contract.inputs {
        let Some(variable) = module.variables.get(&input.name) else {
            violations.push(Violation::new(
                &variables_file,
                ViolationKind::ContractInputMissing,
                format!("contract input {} is not declared", input.name),
            ));
            continue;
        };
        let expected_type = match input.canonical_type() {
            Ok(canonical) => canonical,
            Err(error) => {
                violations.push(Violation::new(&variables_file, ViolationKind::Unreadable, error.to_string()));
                continue;
            }
        };
        if variable.type_expr.as_deref() != Some(expected_type.as_str()) {
            violations.push(Violation::new(
                &variable.file,
                ViolationKind::ContractInputMismatch,
                format!(
                    "input {} has type {}, but the contract says {expected_type}",
                    input.name,
                    variable.type_expr.as_deref().unwrap_or("(none)")
                ),
            ));
        }
        if variable.is_required() != input.required {
            let (is, should) =
                if input.required { ("has a default", "required") } else { ("has no default", "optional") };
            violations.push(Violation::new(
                &variable.file,
                ViolationKind::ContractInputMismatch,
                format!("input {} {is}, but the contract says it is {should}", input.name),
            ));
        }
    }
    for (name, variable) in &module.variables {
        if contract.input(name).is_none() {
            violations.push(Violation::new(
                &variable.file,
                ViolationKind::ContractInputUnexpected,
                format!("input {name} is not in the site contract; every template must declare the same inputs"),
            ));
        }
    }
    let expected_outputs: BTreeSet<&str> = contract.outputs.iter().map(|output| output.name.as_str()).collect();
    for name in &expected_outputs {
        if !module.outputs.contains_key(*name) {
            violations.push(Violation::new(
                &outputs_file,
                ViolationKind::ContractOutputMissing,
                format!("contract output {name} is not declared"),
            ));
        }
    }
    for (name, output) in &module.outputs {
        if !expected_outputs.contains(name.as_str()) {
            violations.push(Violation::new(
                &output.file,
                ViolationKind::ContractOutputUnexpected,
                format!("output {name} is not in the site contract; every template must return the same outputs"),
            ));
        }
    }
    match contract.provider(provider) {
        Ok(offer) => {
            if let Some(problem) = allowed_values_problem(module, "region", &offer.regions) {
                violations.push(Violation::new(&variables_file, ViolationKind::RegionsMismatch, problem));
            }
        }
        Err(error) => {
            violations.push(Violation::new(&variables_file, ViolationKind::TemplateMissing, error.to_string()))
        }
    }
    if let Some(problem) = allowed_values_problem(module, "size", &contract.sizes) {
        violations.push(Violation::new(&variables_file, ViolationKind::SizesMismatch, problem));
    }
    if let Some(local) = module.locals.get("sizes") {
        let keys: BTreeSet<String> = match &local.value {
            hcl::Expression::Object(object) => object.keys().map(|key| key.to_string()).collect(),
            _ => BTreeSet::new(),
        };
        let expected: BTreeSet<String> = contract.sizes.iter().cloned().collect();
        if keys != expected {
            violations.push(Violation::new(
                &local.file,
                ViolationKind::SizesMismatch,
                format!("local.sizes maps {}, but the contract's sizes are {}", join(&keys), join(&expected)),
            ));
        }
    }
    violations
}

/// Compares the string literals in `variable`'s validation conditions with `expected`.
fn allowed_values_problem(module: &Module, variable: &str, expected: &[String]) -> Option<String> {
    let declared = module.variables.get(variable)?;
    let accepted: BTreeSet<String> =
        declared.validations.iter().flat_map(|validation| string_literals(&validation.condition)).collect();
    let expected: BTreeSet<String> = expected.iter().cloned().collect();
    if accepted == expected {
        return None;
    }
    let extra: BTreeSet<String> = accepted.difference(&expected).cloned().collect();
    let missing: BTreeSet<String> = expected.difference(&accepted).cloned().collect();
    let mut problem = format!("variable \"{variable}\" validation does not accept exactly the contract's values");
    if !missing.is_empty() {
        problem.push_str(&format!("; missing {}", join(&missing)));
    }
    if !extra.is_empty() {
        problem.push_str(&format!("; not in the contract {}", join(&extra)));
    }
    Some(problem)
}

fn join(values: &BTreeSet<String>) -> String {
    values.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// What kind of directory [`check_layout`] looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A reusable module under `modules/<cloud>/<name>`.
    Module,
    /// A site template under `sites/<cloud>`.
    SiteTemplate,
}

/// Layout: the conventional files exist, and the README mentions every input and output
/// (as `` `name` ``, the way the inputs and outputs tables write them).
pub fn check_layout(module: &Module, layout: Layout) -> Vec<Violation> {
    let mut required = vec!["main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"];
    if layout == Layout::Module {
        required.push("examples/basic/main.tf");
    }
    let mut violations: Vec<Violation> = required
        .iter()
        .filter(|file| !module.dir.join(file).is_file())
        .map(|file| {
            Violation::new(
                module.dir.join(file),
                ViolationKind::MissingFile,
                format!("{file} is missing; every module has main.tf, variables.tf, outputs.tf, versions.tf, README.md and examples/basic"),
            )
        })
        .collect();
    let readme_path = module.dir.join("README.md");
    if let Ok(readme) = std::fs::read_to_string(&readme_path) {
        let names = module
            .variables
            .keys()
            .map(|name| ("input", name))
            .chain(module.outputs.keys().map(|name| ("output", name)));
        for (what, name) in names {
            if !readme.contains(&format!("`{name}`")) {
                violations.push(Violation::new(
                    &readme_path,
                    ViolationKind::UndocumentedInReadme,
                    format!("README.md does not document {what} `{name}`"),
                ));
            }
        }
    }
    violations
}

/// Every check that applies to a reusable module directory (not its examples).
pub fn check_reusable_module(module: &Module) -> Vec<Violation> {
    let mut violations = check_layout(module, Layout::Module);
    violations.extend(check_variables(module));
    violations.extend(check_versions(module));
    violations.extend(check_module_calls(module));
    violations.extend(check_tags(module, TagPolicy::ForwardTagsInput));
    violations
}

/// Every check that applies to a module's example: it is a root module that calls the
/// module, so its calls, references and provider requirements must hold.
pub fn check_example(module: &Module) -> Vec<Violation> {
    let mut violations = check_variables(module);
    violations.extend(check_versions(module));
    violations.extend(check_module_calls(module));
    violations
}

/// Every check that applies to a site template.
pub fn check_site(module: &Module, contract: &SiteContract, provider: CloudProvider) -> Vec<Violation> {
    let mut violations = check_layout(module, Layout::SiteTemplate);
    violations.extend(check_variables(module));
    violations.extend(check_versions(module));
    violations.extend(check_module_calls(module));
    violations.extend(check_tags(module, TagPolicy::CostTags(&contract.cost_tags)));
    violations.extend(check_site_template(module, contract, provider));
    violations
}

/// Runs every check over a `terraform/` directory: each module under
/// `modules/<cloud>/<name>` and its `examples/*`, and each site template named in
/// `sites/contract.json`. A file that cannot be read or parsed is reported as an
/// [`ViolationKind::Unreadable`] violation so one broken file does not hide the rest;
/// only a missing or invalid contract is an error.
pub fn check_tree(terraform_root: &Path) -> Result<Vec<Violation>, Error> {
    let contract = SiteContract::load(terraform_root)?;
    let mut violations = Vec::new();
    for module_dir in module_dirs(terraform_root)? {
        match Module::load(&module_dir) {
            Ok(module) => violations.extend(check_reusable_module(&module)),
            Err(error) => violations.push(unreadable(&module_dir, &error)),
        }
        for example_dir in subdirectories(&module_dir.join("examples"))? {
            match Module::load(&example_dir) {
                Ok(example) => violations.extend(check_example(&example)),
                Err(error) => violations.push(unreadable(&example_dir, &error)),
            }
        }
    }
    let sites_dir = terraform_root.join("sites");
    let mut templates = BTreeSet::new();
    for (provider, offer) in &contract.providers {
        templates.insert(offer.template.clone());
        let dir = sites_dir.join(&offer.template);
        if !dir.is_dir() {
            violations.push(Violation::new(
                &dir,
                ViolationKind::TemplateMissing,
                format!("contract.json lists provider {provider} but its template directory does not exist"),
            ));
            continue;
        }
        match Module::load(&dir) {
            Ok(template) => violations.extend(check_site(&template, &contract, *provider)),
            Err(error) => violations.push(unreadable(&dir, &error)),
        }
    }
    for dir in subdirectories(&sites_dir)? {
        let name = dir.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        if !templates.contains(&name) {
            violations.push(Violation::new(
                &dir,
                ViolationKind::TemplateMissing,
                format!("site template {name} has no entry in contract.json"),
            ));
        }
    }
    Ok(violations)
}

fn unreadable(path: &Path, error: &Error) -> Violation {
    let file = match error {
        Error::Parse { path, .. } | Error::Io { path, .. } => path.clone(),
        _ => path.to_path_buf(),
    };
    Violation::new(file, ViolationKind::Unreadable, error.to_string())
}

/// `modules/<cloud>/<name>` directories, sorted.
pub fn module_dirs(terraform_root: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut dirs = Vec::new();
    for cloud_dir in subdirectories(&terraform_root.join("modules"))? {
        dirs.extend(subdirectories(&cloud_dir)?);
    }
    Ok(dirs)
}

fn subdirectories(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let mut dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        if entry.path().is_dir() {
            dirs.push(entry.path());
        }
    }
    dirs.sort();
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constraints_must_bound_the_major_version() {
        for pinned in ["~> 5.70", "~> 5.0", ">= 5.0, < 6.0", "5.70.0", "= 5.70.0"] {
            assert!(bounds_major_version(pinned), "{pinned} should count as pinned");
        }
        for loose in ["", ">= 5.0", "~> 5", "> 4"] {
            assert!(!bounds_major_version(loose), "{loose} should not count as pinned");
        }
    }
}
