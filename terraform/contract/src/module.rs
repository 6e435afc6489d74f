//! Reading one Terraform module directory into a [`Module`]: its variables, outputs,
//! locals, resources, module calls and version constraints, plus every reference its
//! expressions make.
//!
//! Only the `*.tf` files directly in the directory belong to the module, as in Terraform;
//! `examples/` and other subdirectories are modules of their own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl::{Block, Body, Expression};

use crate::error::Error;
use crate::expr::{ExprFacts, Reference, render_type};

/// Block arguments that Terraform itself interprets on a `module` block; everything else
/// is an input variable of the called module.
const MODULE_META_ARGUMENTS: &[&str] = &["source", "version", "count", "for_each", "depends_on", "providers"];

/// A parsed module directory.
#[derive(Debug, Clone)]
pub struct Module {
    /// The directory the module was read from.
    pub dir: PathBuf,
    /// The `*.tf` files read, sorted.
    pub files: Vec<PathBuf>,
    /// `variable` blocks by name.
    pub variables: BTreeMap<String, Variable>,
    /// `output` blocks by name.
    pub outputs: BTreeMap<String, Output>,
    /// Entries of all `locals` blocks by name.
    pub locals: BTreeMap<String, Local>,
    /// `resource` blocks in source order.
    pub resources: Vec<Resource>,
    /// `data` blocks in source order.
    pub data_sources: Vec<Resource>,
    /// `module` blocks in source order.
    pub module_calls: Vec<ModuleCall>,
    /// `terraform { required_providers { ... } }` entries by local name.
    pub required_providers: BTreeMap<String, RequiredProvider>,
    /// `terraform { required_version = ... }`, if set.
    pub required_version: Option<String>,
    /// Every reference made anywhere in the module, with the file it appears in.
    pub references: Vec<LocatedReference>,
}

/// A `variable` block.
#[derive(Debug, Clone)]
pub struct Variable {
    /// File the block is in.
    pub file: PathBuf,
    /// The type constraint in canonical form (see [`render_type`]), or `None` when untyped.
    pub type_expr: Option<String>,
    /// Whether a default is declared (`default = null` counts: the variable is optional).
    pub has_default: bool,
    /// The default expression, used when planning which resources a template creates.
    pub default: Option<Expression>,
    /// The description, if any.
    pub description: Option<String>,
    /// Whether the variable is marked sensitive.
    pub sensitive: bool,
    /// `validation` blocks in source order.
    pub validations: Vec<Validation>,
}

impl Variable {
    /// True when callers must pass a value.
    pub fn is_required(&self) -> bool {
        !self.has_default
    }
}

/// A `validation` block inside a variable.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The condition expression.
    pub condition: Expression,
    /// The error message, if it is a plain string.
    pub error_message: Option<String>,
}

/// An `output` block.
#[derive(Debug, Clone)]
pub struct Output {
    /// File the block is in.
    pub file: PathBuf,
    /// The description, if any.
    pub description: Option<String>,
    /// Whether the output is marked sensitive.
    pub sensitive: bool,
    /// The value expression.
    pub value: Option<Expression>,
}

/// One entry of a `locals` block.
#[derive(Debug, Clone)]
pub struct Local {
    /// File the entry is in.
    pub file: PathBuf,
    /// The value expression.
    pub value: Expression,
}

/// A `resource` or `data` block.
#[derive(Debug, Clone)]
pub struct Resource {
    /// File the block is in.
    pub file: PathBuf,
    /// The resource type, for example `aws_vpc`.
    pub kind: String,
    /// The resource name, for example `this`.
    pub name: String,
    /// The `count` meta-argument, if any.
    pub count: Option<Expression>,
    /// The `for_each` meta-argument, if any.
    pub for_each: Option<Expression>,
    /// Facts about every argument, keyed by dotted path through nested blocks
    /// (`settings.user_labels`); `dynamic "x"` blocks contribute their `content` under `x`.
    pub attributes: BTreeMap<String, ExprFacts>,
    /// The block's body as written, for evaluating its arguments into planned values.
    pub body: Body,
}

impl Resource {
    /// `kind.name`, the address inside its module.
    pub fn address(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }

    /// The provider local name the resource type belongs to (`aws_vpc` → `aws`).
    pub fn provider(&self) -> &str {
        self.kind.split('_').next().unwrap_or(&self.kind)
    }
}

/// A `module` block.
#[derive(Debug, Clone)]
pub struct ModuleCall {
    /// File the block is in.
    pub file: PathBuf,
    /// The call's name (`module "network"` → `network`).
    pub name: String,
    /// The `source` argument.
    pub source: String,
    /// The `count` meta-argument, if any.
    pub count: Option<Expression>,
    /// The `for_each` meta-argument, if any.
    pub for_each: Option<Expression>,
    /// Input variables passed to the called module, by name.
    pub arguments: BTreeMap<String, Expression>,
}

impl ModuleCall {
    /// The directory a local `source` ("./x", "../x") points at, relative to the calling
    /// module; `None` for registry and remote sources, which the checks cannot follow.
    pub fn local_source_dir(&self, caller_dir: &Path) -> Option<PathBuf> {
        if self.source.starts_with("./") || self.source.starts_with("../") {
            Some(caller_dir.join(&self.source))
        } else {
            None
        }
    }
}

/// One `required_providers` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequiredProvider {
    /// `source`, for example `hashicorp/aws`.
    pub source: Option<String>,
    /// `version`, for example `~> 5.70`.
    pub version: Option<String>,
}

/// A reference and the file it was found in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedReference {
    /// File the reference appears in.
    pub file: PathBuf,
    /// What is referenced.
    pub reference: Reference,
}

impl Module {
    /// Reads every `*.tf` file directly inside `dir`.
    pub fn load(dir: &Path) -> Result<Module, Error> {
        let files = tf_files(dir)?;
        if files.is_empty() {
            return Err(Error::NotAModule { path: dir.to_path_buf() });
        }
        let mut module = Module {
            dir: dir.to_path_buf(),
            files: files.clone(),
            variables: BTreeMap::new(),
            outputs: BTreeMap::new(),
            locals: BTreeMap::new(),
            resources: Vec::new(),
            data_sources: Vec::new(),
            module_calls: Vec::new(),
            required_providers: BTreeMap::new(),
            required_version: None,
            references: Vec::new(),
        };
        for file in &files {
            let source = std::fs::read_to_string(file).map_err(|source| Error::Io { path: file.clone(), source })?;
            let body =
                hcl::parse(&source).map_err(|error| Error::Parse { path: file.clone(), message: error.to_string() })?;
            module.add_file(file, &body);
        }
        Ok(module)
    }

    /// Every reference to `var.*`, `local.*` or `module.*` with its file.
    pub fn references_to<'a>(&'a self, wanted: &'a Reference) -> impl Iterator<Item = &'a LocatedReference> + 'a {
        self.references.iter().filter(move |located| &located.reference == wanted)
    }

    /// The module call named `name`.
    pub fn module_call(&self, name: &str) -> Option<&ModuleCall> {
        self.module_calls.iter().find(|call| call.name == name)
    }

    /// The facts of `expr` with every `local.*` it reads replaced, transitively, by the
    /// facts of that local's own expression, so `tags = local.tags` is seen to read
    /// `var.tags` and spell out whatever keys `local.tags` merges in.
    pub fn resolve_locals(&self, facts: &ExprFacts) -> ExprFacts {
        let mut resolved = facts.clone();
        let mut seen = std::collections::BTreeSet::new();
        let mut pending: Vec<String> = local_names(facts);
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some(local) = self.locals.get(&name) {
                let local_facts = ExprFacts::of(&local.value);
                pending.extend(local_names(&local_facts));
                resolved.extend(&local_facts);
            }
        }
        resolved
    }

    fn add_file(&mut self, file: &Path, body: &Body) {
        for attribute in body.attributes() {
            // Top-level attributes are not valid Terraform; record their references so a
            // typo still shows up somewhere.
            self.record_references(file, attribute.expr());
        }
        for block in body.blocks() {
            self.record_block_references(file, block.body());
            match block.identifier() {
                "variable" => self.add_variable(file, block),
                "output" => self.add_output(file, block),
                "locals" => {
                    for attribute in block.body().attributes() {
                        self.locals.insert(
                            attribute.key().to_owned(),
                            Local { file: file.to_path_buf(), value: attribute.expr().clone() },
                        );
                    }
                }
                "resource" => {
                    if let Some(resource) = resource_from(file, block) {
                        self.resources.push(resource);
                    }
                }
                "data" => {
                    if let Some(resource) = resource_from(file, block) {
                        self.data_sources.push(resource);
                    }
                }
                "module" => self.add_module_call(file, block),
                "terraform" => self.add_terraform_settings(block),
                _ => {}
            }
        }
    }

    fn add_variable(&mut self, file: &Path, block: &Block) {
        let Some(name) = first_label(block) else {
            return;
        };
        let body = block.body();
        let default = attribute(body, "default").cloned();
        let validations = body
            .blocks()
            .filter(|inner| inner.identifier() == "validation")
            .filter_map(|validation| {
                let condition = attribute(validation.body(), "condition")?.clone();
                let error_message = attribute(validation.body(), "error_message").and_then(plain_string);
                Some(Validation { condition, error_message })
            })
            .collect();
        self.variables.insert(
            name,
            Variable {
                file: file.to_path_buf(),
                type_expr: attribute(body, "type").map(render_type),
                has_default: default.is_some(),
                default,
                description: attribute(body, "description").and_then(plain_string),
                sensitive: matches!(attribute(body, "sensitive"), Some(Expression::Bool(true))),
                validations,
            },
        );
    }

    fn add_output(&mut self, file: &Path, block: &Block) {
        let Some(name) = first_label(block) else {
            return;
        };
        let body = block.body();
        self.outputs.insert(
            name,
            Output {
                file: file.to_path_buf(),
                description: attribute(body, "description").and_then(plain_string),
                sensitive: matches!(attribute(body, "sensitive"), Some(Expression::Bool(true))),
                value: attribute(body, "value").cloned(),
            },
        );
    }

    fn add_module_call(&mut self, file: &Path, block: &Block) {
        let Some(name) = first_label(block) else {
            return;
        };
        let body = block.body();
        let arguments = body
            .attributes()
            .filter(|attribute| !MODULE_META_ARGUMENTS.contains(&attribute.key()))
            .map(|attribute| (attribute.key().to_owned(), attribute.expr().clone()))
            .collect();
        self.module_calls.push(ModuleCall {
            file: file.to_path_buf(),
            name,
            source: attribute(body, "source").and_then(plain_string).unwrap_or_default(),
            count: attribute(body, "count").cloned(),
            for_each: attribute(body, "for_each").cloned(),
            arguments,
        });
    }

    fn add_terraform_settings(&mut self, block: &Block) {
        let body = block.body();
        if let Some(version) = attribute(body, "required_version").and_then(plain_string) {
            self.required_version = Some(version);
        }
        for providers in body.blocks().filter(|inner| inner.identifier() == "required_providers") {
            for entry in providers.body().attributes() {
                let requirement = match entry.expr() {
                    // The pre-0.13 shorthand `aws = "~> 5.0"` carries a version only.
                    Expression::String(version) => RequiredProvider { source: None, version: Some(version.clone()) },
                    Expression::Object(object) => {
                        let field = |wanted: &str| {
                            object.iter().find_map(|(key, value)| {
                                let key = match key {
                                    hcl::ObjectKey::Identifier(ident) => ident.to_string(),
                                    hcl::ObjectKey::Expression(Expression::String(key)) => key.clone(),
                                    _ => return None,
                                };
                                (key == wanted).then(|| plain_string(value)).flatten()
                            })
                        };
                        RequiredProvider { source: field("source"), version: field("version") }
                    }
                    _ => RequiredProvider::default(),
                };
                self.required_providers.insert(entry.key().to_owned(), requirement);
            }
        }
    }

    fn record_block_references(&mut self, file: &Path, body: &Body) {
        for attribute in body.attributes() {
            self.record_references(file, attribute.expr());
        }
        for block in body.blocks() {
            self.record_block_references(file, block.body());
        }
    }

    fn record_references(&mut self, file: &Path, expr: &Expression) {
        for reference in ExprFacts::of(expr).references {
            self.references.push(LocatedReference { file: file.to_path_buf(), reference });
        }
    }
}

fn tf_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        if path.is_file() && path.extension().is_some_and(|extension| extension == "tf") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn resource_from(file: &Path, block: &Block) -> Option<Resource> {
    let labels = block.labels();
    let (kind, name) = match labels {
        [kind, name] => (kind.as_str().to_owned(), name.as_str().to_owned()),
        _ => return None,
    };
    let body = block.body();
    let mut attributes = BTreeMap::new();
    collect_attributes(body, "", &mut attributes);
    Some(Resource {
        file: file.to_path_buf(),
        kind,
        name,
        count: attribute(body, "count").cloned(),
        for_each: attribute(body, "for_each").cloned(),
        attributes,
        body: body.clone(),
    })
}

fn collect_attributes(body: &Body, prefix: &str, into: &mut BTreeMap<String, ExprFacts>) {
    for attribute in body.attributes() {
        into.insert(format!("{prefix}{}", attribute.key()), ExprFacts::of(attribute.expr()));
    }
    for block in body.blocks() {
        match (block.identifier(), block.labels()) {
            ("dynamic", [label]) => {
                let nested = format!("{prefix}{}.", label.as_str());
                for content in block.body().blocks().filter(|inner| inner.identifier() == "content") {
                    collect_attributes(content.body(), &nested, into);
                }
            }
            (identifier, _) => {
                let nested = format!("{prefix}{identifier}.");
                collect_attributes(block.body(), &nested, into);
            }
        }
    }
}

fn local_names(facts: &ExprFacts) -> Vec<String> {
    facts
        .references
        .iter()
        .filter_map(|reference| match reference {
            Reference::Local(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn first_label(block: &Block) -> Option<String> {
    block.labels().first().map(|label| label.as_str().to_owned())
}

fn attribute<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|attribute| attribute.key() == key).map(|attribute| attribute.expr())
}

/// The text of a string literal, or of a template without interpolations (hcl-rs keeps
/// some quoted strings as templates).
fn plain_string(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(value) => Some(value.clone()),
        Expression::TemplateExpr(template) => {
            let template = hcl::Template::from_expr(template).ok()?;
            let mut text = String::new();
            for element in template.elements() {
                match element {
                    hcl::template::Element::Literal(literal) => text.push_str(literal),
                    _ => return None,
                }
            }
            Some(text)
        }
        _ => None,
    }
}
