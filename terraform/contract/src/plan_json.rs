//! A Terraform JSON plan (`terraform show -json <planfile>`, format 1.2) for a site
//! template and given inputs, computed without Terraform or a cloud, so policies that
//! read plans behave on the sandbox as they do on a real run.
//!
//! The resources are exactly those of [`crate::plan_site`] (the same walk decides
//! `count`/`for_each`). Each resource's `after` value is its block's arguments evaluated
//! with the module's variables, locals, the known arguments of other resources in the
//! module and the known outputs of the modules it calls, following Terraform's
//! conventions (<https://developer.hashicorp.com/terraform/internals/json-format>):
//!
//! * what depends on values only known after apply (computed attributes such as `id` or
//!   `arn`, data sources, functions this crate does not implement)
//!   is left out of `after` (or `null` inside a list) and is `true` in `after_unknown`;
//! * nested blocks become lists of objects, `dynamic` blocks expanded;
//! * values read from sensitive variables are `true` in `after_sensitive`;
//! * `after_unknown` and `after_sensitive` mirror the value's structure with known and
//!   non-sensitive leaves omitted from objects and `false` in lists, and
//!   `after_unknown` is `{}` when the whole value is known, as Terraform writes them.
//!
//! What Terraform would add from the provider schemas is not invented: attributes the
//! configuration does not set (computed `id`/`arn`, provider defaults, explicit `null`s
//! for unset optional arguments) are absent, `schema_version` is absent, sets keep
//! configuration order, and data sources are neither read nor listed. The one
//! provider-computed value added is AWS's `tags_all`, which the AWS provider plans as
//! `tags` when the provider sets no `default_tags` (the templates set none).
//! `configuration`, `relevant_attributes`, `checks` and `timestamp` are not produced.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use hcl::eval::{Context, Evaluate};
use hcl::{Body, Expression, Map, ObjectKey, Value};
use serde_json::{Value as Json, json};

use crate::contract::{CloudProvider, SiteVariables};
use crate::error::Error;
use crate::expr::{ExprFacts, Reference};
use crate::functions::value_context;
use crate::module::{Module, ModuleCall};
use crate::plan::{InstanceKey, Instances, evaluation_context, instances, module_variables, site_inputs};

/// The `format_version` of the plan documents produced, Terraform's current one.
pub const PLAN_FORMAT_VERSION: &str = "1.2";

/// The `terraform_version` the documents claim: the release the templates are checked
/// with.
pub const TERRAFORM_VERSION: &str = "1.11.4";

/// Resource arguments Terraform itself interprets.
const META_ARGUMENTS: &[&str] = &["count", "for_each", "depends_on", "provider"];
/// Resource blocks Terraform itself interprets.
const META_BLOCKS: &[&str] = &["lifecycle", "provisioner", "connection"];

/// What the plan does to the site's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanAction {
    /// `terraform plan` for a new site: every resource `["create"]`.
    Create,
    /// A redeploy of the same configuration: every resource `["update"]` with `before`
    /// equal to `after`. Real Terraform would plan `["no-op"]` for unchanged resources;
    /// `update` keeps every resource in front of the policies, which is what a redeploy
    /// check wants.
    Update,
    /// `terraform plan -destroy`: every resource `["delete"]`, `before` holding what
    /// [`PlanAction::Create`] would have planned and `after` null.
    Delete,
}

impl PlanAction {
    fn action(self) -> &'static str {
        match self {
            PlanAction::Create => "create",
            PlanAction::Update => "update",
            PlanAction::Delete => "delete",
        }
    }
}

/// The JSON plan of the site template for `provider` as the root module, for
/// `variables`: resource addresses as [`crate::plan_site`] gives them
/// (`module.database[0].aws_db_instance.this`).
pub fn plan_json(
    terraform_root: &Path,
    provider: CloudProvider,
    variables: &SiteVariables,
    action: PlanAction,
) -> Result<Json, Error> {
    render(terraform_root, provider, variables, action, None)
}

/// The JSON plan of a root module that calls the site template as `module "<call>"` and
/// passes every input through, as the provisioner's generated root module does:
/// addresses start with `module.<call>.`, the root variables and outputs are the
/// template's.
pub fn plan_json_in_module(
    terraform_root: &Path,
    provider: CloudProvider,
    variables: &SiteVariables,
    action: PlanAction,
    call: &str,
) -> Result<Json, Error> {
    render(terraform_root, provider, variables, action, Some(call))
}

/// A value as far as it is known at plan time.
#[derive(Debug, Clone, PartialEq)]
enum Planned {
    /// Wholly known and not sensitive.
    Known(Value),
    /// Known only after apply.
    Unknown,
    /// A list with unknown or sensitive parts.
    List(Vec<Planned>),
    /// An object or map with unknown or sensitive parts.
    Object(BTreeMap<String, Planned>),
    /// Read from a sensitive variable.
    Sensitive(Box<Planned>),
}

impl Planned {
    fn list(items: Vec<Planned>) -> Planned {
        if items.iter().all(|item| matches!(item, Planned::Known(_))) {
            Planned::Known(Value::Array(
                items
                    .into_iter()
                    .map(|item| match item {
                        Planned::Known(value) => value,
                        _ => Value::Null,
                    })
                    .collect(),
            ))
        } else {
            Planned::List(items)
        }
    }

    fn object(fields: BTreeMap<String, Planned>) -> Planned {
        if fields.values().all(|field| matches!(field, Planned::Known(_))) {
            Planned::Known(Value::Object(
                fields
                    .into_iter()
                    .map(|(key, field)| match field {
                        Planned::Known(value) => (key, value),
                        _ => (key, Value::Null),
                    })
                    .collect(),
            ))
        } else {
            Planned::Object(fields)
        }
    }

    fn wholly_known(&self) -> bool {
        match self {
            Planned::Known(_) => true,
            Planned::Unknown => false,
            Planned::List(items) => items.iter().all(Planned::wholly_known),
            Planned::Object(fields) => fields.values().all(Planned::wholly_known),
            Planned::Sensitive(inner) => inner.wholly_known(),
        }
    }

    /// `after`/`values`: unknown attributes omitted, unknown list elements null.
    fn after(&self) -> Json {
        match self {
            Planned::Known(value) => to_json(value),
            Planned::Unknown => Json::Null,
            Planned::List(items) => Json::Array(items.iter().map(Planned::after).collect()),
            Planned::Object(fields) => Json::Object(
                fields
                    .iter()
                    .filter(|(_, field)| !matches!(field, Planned::Unknown))
                    .map(|(key, field)| (key.clone(), field.after()))
                    .collect(),
            ),
            Planned::Sensitive(inner) => inner.after(),
        }
    }

    /// `after_unknown`: `true` for unknown leaves.
    fn unknown_mirror(&self) -> Json {
        match self {
            Planned::Known(value) => known_mirror(value),
            Planned::Unknown => Json::Bool(true),
            Planned::List(items) => Json::Array(items.iter().map(Planned::unknown_mirror).collect()),
            Planned::Object(fields) => mirror_object(fields.iter().map(|(key, field)| (key, field.unknown_mirror()))),
            Planned::Sensitive(inner) => inner.unknown_mirror(),
        }
    }

    /// `after_sensitive`/`sensitive_values`: `true` for sensitive values.
    fn sensitive_mirror(&self) -> Json {
        match self {
            Planned::Known(value) => known_mirror(value),
            // Terraform cannot say either until the value is known.
            Planned::Unknown => Json::Bool(false),
            Planned::List(items) => Json::Array(items.iter().map(Planned::sensitive_mirror).collect()),
            Planned::Object(fields) => mirror_object(fields.iter().map(|(key, field)| (key, field.sensitive_mirror()))),
            Planned::Sensitive(_) => Json::Bool(true),
        }
    }

    /// What other resources may read of this value: the known parts of objects; a list
    /// only when wholly known.
    fn known_value(&self) -> Option<Value> {
        match self {
            Planned::Known(value) => Some(value.clone()),
            Planned::Unknown | Planned::List(_) => None,
            Planned::Object(fields) => Some(Value::Object(
                fields
                    .iter()
                    .filter_map(|(key, field)| field.known_value().map(|value| (key.clone(), value)))
                    .collect(),
            )),
            Planned::Sensitive(inner) => inner.known_value(),
        }
    }
}

fn to_json(value: &Value) -> Json {
    serde_json::to_value(value).unwrap_or(Json::Null)
}

/// The mirror of a known, non-sensitive value: `false` leaves, kept in lists and
/// omitted from objects.
fn known_mirror(value: &Value) -> Json {
    match value {
        Value::Array(items) => Json::Array(items.iter().map(known_mirror).collect()),
        Value::Object(map) => mirror_object(map.iter().map(|(key, field)| (key, known_mirror(field)))),
        _ => Json::Bool(false),
    }
}

fn mirror_object<'a>(fields: impl Iterator<Item = (&'a String, Json)>) -> Json {
    Json::Object(
        fields.filter(|(_, mirror)| mirror != &Json::Bool(false)).map(|(key, mirror)| (key.clone(), mirror)).collect(),
    )
}

/// Evaluates what can be evaluated: a literal object or list whose parts are partly
/// known stays partly known, a conditional with a known condition takes its branch, and
/// `merge`/`concat` keep the known parts of partly known objects and lists.
fn evaluate(expr: &Expression, context: &Context<'_>) -> Planned {
    if let Ok(value) = expr.evaluate(context) {
        return Planned::Known(value);
    }
    match expr {
        Expression::Array(items) => Planned::list(items.iter().map(|item| evaluate(item, context)).collect()),
        Expression::Object(object) => {
            let mut fields = BTreeMap::new();
            for (key, value) in object {
                let key = match key {
                    ObjectKey::Identifier(ident) => ident.to_string(),
                    ObjectKey::Expression(key) => match key.evaluate(context) {
                        Ok(Value::String(key)) => key,
                        _ => return Planned::Unknown,
                    },
                    #[allow(unreachable_patterns)]
                    _ => return Planned::Unknown,
                };
                fields.insert(key, evaluate(value, context));
            }
            Planned::object(fields)
        }
        Expression::Parenthesis(inner) => evaluate(inner, context),
        Expression::Conditional(conditional) => match conditional.cond_expr.evaluate(context) {
            Ok(Value::Bool(true)) => evaluate(&conditional.true_expr, context),
            Ok(Value::Bool(false)) => evaluate(&conditional.false_expr, context),
            _ => Planned::Unknown,
        },
        Expression::FuncCall(call) if call.name.name.as_str() == "concat" => {
            let mut items = Vec::new();
            for arg in &call.args {
                match evaluate(arg, context) {
                    Planned::Known(Value::Array(known)) => items.extend(known.into_iter().map(Planned::Known)),
                    Planned::List(partial) => items.extend(partial),
                    _ => return Planned::Unknown,
                }
            }
            Planned::list(items)
        }
        Expression::FuncCall(call) if call.name.name.as_str() == "merge" => {
            let mut fields = BTreeMap::new();
            for arg in &call.args {
                match evaluate(arg, context) {
                    Planned::Known(Value::Null) => {}
                    Planned::Known(Value::Object(map)) => {
                        fields.extend(map.into_iter().map(|(key, value)| (key, Planned::Known(value))));
                    }
                    Planned::Object(partial) => fields.extend(partial),
                    _ => return Planned::Unknown,
                }
            }
            Planned::object(fields)
        }
        _ => Planned::Unknown,
    }
}

/// A block body as Terraform plans it: arguments by name, nested blocks as lists of
/// objects by block type, `dynamic` blocks expanded.
fn evaluate_body(body: &Body, context: &Context<'_>, sensitive: &dyn Fn(&Expression) -> bool, top: bool) -> Planned {
    let mut fields = BTreeMap::new();
    for attribute in body.attributes() {
        if top && META_ARGUMENTS.contains(&attribute.key()) {
            continue;
        }
        let value = evaluate(attribute.expr(), context);
        let value = if sensitive(attribute.expr()) { Planned::Sensitive(Box::new(value)) } else { value };
        fields.insert(attribute.key().to_owned(), value);
    }
    // `None` once a dynamic block of that type has an unknown `for_each`.
    let mut blocks: BTreeMap<String, Option<Vec<Planned>>> = BTreeMap::new();
    for block in body.blocks() {
        let identifier = block.identifier();
        if top && META_BLOCKS.contains(&identifier) {
            continue;
        }
        if identifier != "dynamic" {
            if let Some(items) = blocks.entry(identifier.to_owned()).or_insert_with(|| Some(Vec::new())) {
                items.push(evaluate_body(block.body(), context, sensitive, false));
            }
            continue;
        }
        let Some(label) = block.labels().first().map(|label| label.as_str().to_owned()) else {
            continue;
        };
        let entry = blocks.entry(label.clone()).or_insert_with(|| Some(Vec::new()));
        let iterator = argument(block.body(), "iterator")
            .and_then(|expr| match expr {
                Expression::Variable(name) => Some(name.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| label.clone());
        let content = block.body().blocks().find(|inner| inner.identifier() == "content");
        let collection = argument(block.body(), "for_each").map(|expr| expr.evaluate(context));
        let elements: Option<Vec<(Value, Value)>> = match collection {
            Some(Ok(Value::Array(items))) => {
                Some(items.into_iter().enumerate().map(|(index, item)| (Value::from(index as u64), item)).collect())
            }
            Some(Ok(Value::Object(map))) => {
                Some(map.into_iter().map(|(key, item)| (Value::String(key), item)).collect())
            }
            _ => None,
        };
        match (elements, content, entry.as_mut()) {
            (Some(elements), Some(content), Some(items)) => {
                for (key, item) in elements {
                    let mut inner = context.clone();
                    let mut each = Map::new();
                    each.insert("key".to_owned(), key);
                    each.insert("value".to_owned(), item);
                    inner.declare_var(iterator.clone(), Value::Object(each));
                    items.push(evaluate_body(content.body(), &inner, sensitive, false));
                }
            }
            _ => *entry = None,
        }
    }
    for (name, items) in blocks {
        fields.insert(name, items.map_or(Planned::Unknown, Planned::list));
    }
    Planned::object(fields)
}

fn argument<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|attribute| attribute.key() == key).map(|attribute| attribute.expr())
}

/// One planned resource instance.
struct Instance {
    address: String,
    /// The absolute addresses of the enclosing module instances, outermost first.
    module_path: Vec<String>,
    kind: String,
    name: String,
    index: Option<Json>,
    provider_name: String,
    value: Planned,
}

/// The inputs one module instance is called with.
struct Inputs {
    /// As [`crate::plan_site`] sees them: what decides `count`/`for_each`.
    count: Map<String, Value>,
    count_unknown: BTreeSet<String>,
    /// Every argument known at plan time, for attribute values.
    value: Map<String, Value>,
    value_unknown: BTreeSet<String>,
    /// Inputs carrying sensitive values.
    sensitive: BTreeSet<String>,
}

/// Plans the resources of `module` and of the modules it calls into `out`, and returns
/// the module's final evaluation context (for its outputs).
fn walk(
    module: &Module,
    inputs: &Inputs,
    module_path: &[String],
    providers: &BTreeMap<String, String>,
    out: &mut Vec<Instance>,
) -> Result<Context<'static>, Error> {
    let count_context = evaluation_context(module, &inputs.count, &inputs.count_unknown);
    let variables = module_variables(module, &inputs.value, &inputs.value_unknown);
    let mut sensitive_variables = inputs.sensitive.clone();
    sensitive_variables
        .extend(module.variables.iter().filter(|(_, variable)| variable.sensitive).map(|(name, _)| name.clone()));
    let sensitive = |expr: &Expression| reads_sensitive(module, expr, &sensitive_variables);
    let mut providers = providers.clone();
    for (local, requirement) in &module.required_providers {
        if let Some(source) = &requirement.source {
            providers.insert(local.clone(), source.clone());
        }
    }
    let prefix = module_path.last().map(|path| format!("{path}.")).unwrap_or_default();

    // The same expansion as plan_site, so the addresses agree.
    let expansions: Vec<Vec<Option<InstanceKey>>> = module
        .resources
        .iter()
        .map(|resource| match instances(resource.count.as_ref(), resource.for_each.as_ref(), &count_context) {
            Instances::Single | Instances::Undetermined(_) => vec![None],
            Instances::Keys(keys) => keys.into_iter().map(Some).collect(),
        })
        .collect();

    // Module calls read each other's outputs (`module.network.vpc_id`): walk a call once
    // the calls it reads are walked, so what their outputs know is known to it.
    let mut known_modules = Map::new();
    let (mut context, _) = settle_resources(module, &variables, &expansions, &known_modules, &sensitive);
    let mut pending: Vec<&ModuleCall> = module.module_calls.iter().collect();
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|call| {
                call_dependencies(call).iter().all(|name| !pending.iter().any(|other| &other.name == name))
            })
            .unwrap_or(0);
        let call = pending.remove(ready);
        let Some(dir) = call.local_source_dir(&module.dir) else {
            continue;
        };
        let callee = Module::load(&dir)?;
        let keys = match instances(call.count.as_ref(), call.for_each.as_ref(), &count_context) {
            Instances::Single | Instances::Undetermined(_) => vec![None],
            Instances::Keys(keys) => keys.into_iter().map(Some).collect(),
        };
        let mut outputs = Vec::new();
        for key in &keys {
            let mut scoped = context.clone();
            declare_instance_key(&mut scoped, key.as_ref());
            let mut callee_inputs = Inputs {
                count: Map::new(),
                count_unknown: BTreeSet::new(),
                value: Map::new(),
                value_unknown: BTreeSet::new(),
                sensitive: BTreeSet::new(),
            };
            for (name, expr) in &call.arguments {
                // Evaluated as plan_site does, so nested counts agree with it.
                match expr.evaluate(&count_context) {
                    Ok(value) => {
                        callee_inputs.count.insert(name.clone(), value);
                    }
                    Err(_) => {
                        callee_inputs.count_unknown.insert(name.clone());
                    }
                }
                match evaluate(expr, &scoped) {
                    Planned::Known(value) => {
                        callee_inputs.value.insert(name.clone(), value);
                    }
                    _ => {
                        callee_inputs.value_unknown.insert(name.clone());
                    }
                }
                if sensitive(expr) {
                    callee_inputs.sensitive.insert(name.clone());
                }
            }
            let mut path = module_path.to_vec();
            path.push(format!(
                "{prefix}module.{}{}",
                call.name,
                key.as_ref().map(InstanceKey::render).unwrap_or_default()
            ));
            let callee_context = walk(&callee, &callee_inputs, &path, &providers, out)?;
            let known_outputs: Map<String, Value> = callee
                .outputs
                .iter()
                .filter_map(|(name, output)| {
                    let value = evaluate(output.value.as_ref()?, &callee_context);
                    value.known_value().map(|value| (name.clone(), value))
                })
                .collect();
            outputs.push(Value::Object(known_outputs));
        }
        let value = match keys.first() {
            None => Value::Array(Vec::new()),
            Some(None) => outputs.pop().unwrap_or(Value::Null),
            Some(Some(InstanceKey::Index(_))) => Value::Array(outputs),
            Some(Some(InstanceKey::Key(..))) => Value::Object(
                keys.iter()
                    .zip(outputs)
                    .filter_map(|(key, value)| match key {
                        Some(InstanceKey::Key(key, _)) => Some((key.clone(), value)),
                        _ => None,
                    })
                    .collect(),
            ),
        };
        known_modules.insert(call.name.clone(), value);
        context = settle_resources(module, &variables, &expansions, &known_modules, &sensitive).0;
    }

    // The module's own resources, now with every module output that is known.
    let (context, values) = settle_resources(module, &variables, &expansions, &known_modules, &sensitive);
    for ((resource, keys), planned) in module.resources.iter().zip(&expansions).zip(values) {
        let provider_name = provider_name(&providers, resource.provider());
        for (key, value) in keys.iter().zip(planned) {
            let index = key.as_ref().map(|key| match key {
                InstanceKey::Index(index) => json!(index),
                InstanceKey::Key(key, _) => json!(key),
            });
            let suffix = key.as_ref().map(InstanceKey::render).unwrap_or_default();
            out.push(Instance {
                address: format!("{prefix}{}{suffix}", resource.address()),
                module_path: module_path.to_vec(),
                kind: resource.kind.clone(),
                name: resource.name.clone(),
                index,
                provider_name: provider_name.clone(),
                value,
            });
        }
    }
    Ok(context)
}

/// Evaluates the module's resources until what they know of each other stops growing
/// (`aws_db_instance.this` reads `aws_db_subnet_group.this.name`). Each round can only
/// add one dependency level, so the number of resources bounds the rounds.
fn settle_resources(
    module: &Module,
    variables: &Map<String, Value>,
    expansions: &[Vec<Option<InstanceKey>>],
    known_modules: &Map<String, Value>,
    sensitive: &dyn Fn(&Expression) -> bool,
) -> (Context<'static>, Vec<Vec<Planned>>) {
    let mut known_resources = Map::new();
    let mut rounds = 0;
    loop {
        let context = module_context(module, variables, &known_resources, known_modules);
        let values: Vec<Vec<Planned>> = module
            .resources
            .iter()
            .zip(expansions)
            .map(|(resource, keys)| {
                keys.iter()
                    .map(|key| {
                        let mut scoped = context.clone();
                        declare_instance_key(&mut scoped, key.as_ref());
                        with_provider_computed(&resource.kind, evaluate_body(&resource.body, &scoped, sensitive, true))
                    })
                    .collect()
            })
            .collect();
        let next = resource_references(module, expansions, &values);
        rounds += 1;
        if next == known_resources || rounds > module.resources.len() {
            return (context, values);
        }
        known_resources = next;
    }
}

/// The module calls whose outputs a call's arguments read.
fn call_dependencies(call: &ModuleCall) -> Vec<String> {
    call.arguments
        .values()
        .flat_map(|expr| ExprFacts::of(expr).references)
        .filter_map(|reference| match reference {
            Reference::ModuleOutput { module, .. } => Some(module),
            _ => None,
        })
        .collect()
}

/// The value-evaluation context of a module: its variables, the other resources' known
/// arguments by type and name, the known outputs of the modules it calls, and its locals (evaluated until no more become known,
/// since they may refer to each other and to resources in any order).
fn module_context(
    module: &Module,
    variables: &Map<String, Value>,
    resources: &Map<String, Value>,
    modules: &Map<String, Value>,
) -> Context<'static> {
    let mut locals = Map::new();
    loop {
        let mut context = value_context();
        for (kind, by_name) in resources {
            context.declare_var(kind.clone(), by_name.clone());
        }
        context.declare_var("module", Value::Object(modules.clone()));
        context.declare_var("var", Value::Object(variables.clone()));
        context.declare_var("local", Value::Object(locals.clone()));
        let newly_known: Vec<(String, Value)> = module
            .locals
            .iter()
            .filter(|(name, _)| !locals.contains_key(*name))
            .filter_map(|(name, local)| local.value.evaluate(&context).ok().map(|value| (name.clone(), value)))
            .collect();
        if newly_known.is_empty() {
            return context;
        }
        locals.extend(newly_known);
    }
}

fn declare_instance_key(context: &mut Context<'_>, key: Option<&InstanceKey>) {
    match key {
        Some(InstanceKey::Index(index)) => {
            let mut count = Map::new();
            count.insert("index".to_owned(), Value::from(*index));
            context.declare_var("count", Value::Object(count));
        }
        Some(InstanceKey::Key(key, value)) => {
            let mut each = Map::new();
            each.insert("key".to_owned(), Value::String(key.clone()));
            each.insert("value".to_owned(), value.clone());
            context.declare_var("each", Value::Object(each));
        }
        None => {}
    }
}

/// `{ type = { name = value } }` with what is known of each resource: an object for a
/// single instance, a list for `count` (unknown instances empty), a map for `for_each`.
fn resource_references(
    module: &Module,
    expansions: &[Vec<Option<InstanceKey>>],
    values: &[Vec<Planned>],
) -> Map<String, Value> {
    let mut by_type: Map<String, Value> = Map::new();
    for ((resource, keys), planned) in module.resources.iter().zip(expansions).zip(values) {
        let known = |value: &Planned| value.known_value().unwrap_or_else(|| Value::Object(Map::new()));
        let value = match keys.first() {
            None => Value::Array(Vec::new()),
            Some(None) => known(&planned[0]),
            Some(Some(InstanceKey::Index(_))) => Value::Array(planned.iter().map(known).collect()),
            Some(Some(InstanceKey::Key(..))) => Value::Object(
                keys.iter()
                    .zip(planned)
                    .filter_map(|(key, value)| match key {
                        Some(InstanceKey::Key(key, _)) => Some((key.clone(), known(value))),
                        _ => None,
                    })
                    .collect(),
            ),
        };
        let entry = by_type.entry(resource.kind.clone()).or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(by_name) = entry {
            by_name.insert(resource.name.clone(), value);
        }
    }
    by_type
}

/// The AWS provider plans `tags_all` as `tags` merged over the provider's
/// `default_tags`; the templates set none, so it equals `tags`.
fn with_provider_computed(kind: &str, value: Planned) -> Planned {
    if !kind.starts_with("aws_") {
        return value;
    }
    match value {
        Planned::Known(Value::Object(mut map)) => {
            if let Some(tags) = map.get("tags").cloned() {
                map.insert("tags_all".to_owned(), tags);
            }
            Planned::Known(Value::Object(map))
        }
        Planned::Object(mut fields) => {
            if let Some(tags) = fields.get("tags").cloned() {
                fields.insert("tags_all".to_owned(), tags);
            }
            Planned::Object(fields)
        }
        other => other,
    }
}

fn reads_sensitive(module: &Module, expr: &Expression, sensitive: &BTreeSet<String>) -> bool {
    if sensitive.is_empty() {
        return false;
    }
    let facts = module.resolve_locals(&ExprFacts::of(expr));
    facts.references.iter().any(|reference| matches!(reference, Reference::Variable(name) if sensitive.contains(name)))
}

/// `registry.terraform.io/hashicorp/aws` from the local name `aws`, through
/// `required_providers` (a provider without an entry is implied from `hashicorp/`).
fn provider_name(providers: &BTreeMap<String, String>, local: &str) -> String {
    let source = providers.get(local).cloned().unwrap_or_else(|| format!("hashicorp/{local}"));
    let source = source.to_lowercase();
    if source.split('/').count() == 2 { format!("registry.terraform.io/{source}") } else { source }
}

fn render(
    terraform_root: &Path,
    provider: CloudProvider,
    variables: &SiteVariables,
    action: PlanAction,
    call: Option<&str>,
) -> Result<Json, Error> {
    let template = Module::load(&provider.site_template_dir(terraform_root))?;
    let site = site_inputs(variables)?;
    let inputs = Inputs {
        count: site.clone(),
        count_unknown: BTreeSet::new(),
        value: site.clone(),
        value_unknown: BTreeSet::new(),
        sensitive: BTreeSet::new(),
    };
    let module_path: Vec<String> = call.map(|call| vec![format!("module.{call}")]).unwrap_or_default();
    let mut planned = Vec::new();
    let context = walk(&template, &inputs, &module_path, &BTreeMap::new(), &mut planned)?;
    planned.sort_by(|a, b| a.address.cmp(&b.address));

    let root_variables: serde_json::Map<String, Json> = module_variables(&template, &site, &BTreeSet::new())
        .iter()
        .map(|(name, value)| (name.clone(), json!({ "value": to_json(value) })))
        .collect();

    let verb = action.action();
    let resource_changes: Vec<Json> = planned
        .iter()
        .map(|instance| {
            let after = instance.value.after();
            let unknown = if instance.value.wholly_known() { json!({}) } else { instance.value.unknown_mirror() };
            let sensitive = instance.value.sensitive_mirror();
            let change = match action {
                PlanAction::Create => json!({
                    "actions": [verb], "before": null, "after": after, "after_unknown": unknown,
                    "before_sensitive": false, "after_sensitive": sensitive,
                }),
                PlanAction::Update => json!({
                    "actions": [verb], "before": after, "after": after, "after_unknown": unknown,
                    "before_sensitive": sensitive, "after_sensitive": sensitive,
                }),
                PlanAction::Delete => json!({
                    "actions": [verb], "before": after, "after": null, "after_unknown": {},
                    "before_sensitive": sensitive, "after_sensitive": false,
                }),
            };
            let mut entry = resource_identity(instance);
            if let Some(module) = instance.module_path.last() {
                entry.insert("module_address".to_owned(), json!(module));
            }
            entry.insert("change".to_owned(), change);
            Json::Object(entry)
        })
        .collect();

    let outputs: Vec<(String, Planned, bool)> = template
        .outputs
        .iter()
        .map(|(name, output)| {
            let value = output.value.as_ref().map_or(Planned::Known(Value::Null), |expr| evaluate(expr, &context));
            (name.clone(), value, output.sensitive)
        })
        .collect();
    let output_changes: serde_json::Map<String, Json> = outputs
        .iter()
        .map(|(name, value, sensitive)| {
            let after = value.after();
            let unknown = if value.wholly_known() { json!(false) } else { value.unknown_mirror() };
            let change = match action {
                PlanAction::Create => json!({
                    "actions": [verb], "before": null, "after": after, "after_unknown": unknown,
                    "before_sensitive": false, "after_sensitive": sensitive,
                }),
                PlanAction::Update => json!({
                    "actions": [verb], "before": after, "after": after, "after_unknown": unknown,
                    "before_sensitive": sensitive, "after_sensitive": sensitive,
                }),
                PlanAction::Delete => json!({
                    "actions": [verb], "before": after, "after": null, "after_unknown": false,
                    "before_sensitive": sensitive, "after_sensitive": false,
                }),
            };
            (name.clone(), change)
        })
        .collect();

    let everything: Vec<&Instance> = planned.iter().collect();
    let mut document = serde_json::Map::new();
    document.insert("format_version".to_owned(), json!(PLAN_FORMAT_VERSION));
    document.insert("terraform_version".to_owned(), json!(TERRAFORM_VERSION));
    document.insert("variables".to_owned(), Json::Object(root_variables));
    let planned_values = if action == PlanAction::Delete {
        // A destroy plan's outcome has nothing left in it.
        json!({ "root_module": {} })
    } else {
        let planned_outputs: serde_json::Map<String, Json> = outputs
            .iter()
            .map(|(name, value, sensitive)| {
                let mut output = serde_json::Map::new();
                output.insert("sensitive".to_owned(), json!(sensitive));
                if value.wholly_known() {
                    let after = value.after();
                    if let Some(kind) = value_type(&after) {
                        output.insert("type".to_owned(), kind);
                    }
                    output.insert("value".to_owned(), after);
                }
                (name.clone(), Json::Object(output))
            })
            .collect();
        json!({ "outputs": planned_outputs, "root_module": module_values(&everything, 0) })
    };
    document.insert("planned_values".to_owned(), planned_values);
    document.insert("resource_changes".to_owned(), Json::Array(resource_changes));
    document.insert("output_changes".to_owned(), Json::Object(output_changes));
    if action != PlanAction::Create {
        // What the configuration is applied to: the resources as a create would make them.
        document.insert(
            "prior_state".to_owned(),
            json!({
                "format_version": "1.0",
                "terraform_version": TERRAFORM_VERSION,
                "values": { "root_module": module_values(&everything, 0) },
            }),
        );
    }
    document.insert("applyable".to_owned(), json!(true));
    document.insert("complete".to_owned(), json!(true));
    document.insert("errored".to_owned(), json!(false));
    Ok(Json::Object(document))
}

fn resource_identity(instance: &Instance) -> serde_json::Map<String, Json> {
    let mut entry = serde_json::Map::new();
    entry.insert("address".to_owned(), json!(instance.address));
    entry.insert("mode".to_owned(), json!("managed"));
    entry.insert("type".to_owned(), json!(instance.kind));
    entry.insert("name".to_owned(), json!(instance.name));
    if let Some(index) = &instance.index {
        entry.insert("index".to_owned(), index.clone());
    }
    entry.insert("provider_name".to_owned(), json!(instance.provider_name));
    entry
}

/// A values-representation module: its resources, then its child module instances by
/// address; empty parts are omitted, as Terraform omits them.
fn module_values(instances: &[&Instance], depth: usize) -> Json {
    let mut module = serde_json::Map::new();
    let resources: Vec<Json> = instances
        .iter()
        .filter(|instance| instance.module_path.len() == depth)
        .map(|instance| {
            let mut entry = resource_identity(instance);
            entry.insert("values".to_owned(), instance.value.after());
            entry.insert("sensitive_values".to_owned(), instance.value.sensitive_mirror());
            Json::Object(entry)
        })
        .collect();
    if !resources.is_empty() {
        module.insert("resources".to_owned(), Json::Array(resources));
    }
    let mut children: BTreeMap<&str, Vec<&Instance>> = BTreeMap::new();
    for instance in instances.iter().filter(|instance| instance.module_path.len() > depth) {
        children.entry(instance.module_path[depth].as_str()).or_default().push(instance);
    }
    if !children.is_empty() {
        let child_modules: Vec<Json> = children
            .into_iter()
            .map(|(address, members)| {
                let mut child = match module_values(&members, depth + 1) {
                    Json::Object(child) => child,
                    _ => serde_json::Map::new(),
                };
                child.insert("address".to_owned(), json!(address));
                Json::Object(child)
            })
            .collect();
        module.insert("child_modules".to_owned(), Json::Array(child_modules));
    }
    Json::Object(module)
}

/// The cty type of a known output value in its JSON form: `"string"`,
/// `["tuple", [...]]`, `["object", {...}]`; none for null.
fn value_type(value: &Json) -> Option<Json> {
    Some(match value {
        Json::Null => return None,
        Json::Bool(_) => json!("bool"),
        Json::Number(_) => json!("number"),
        Json::String(_) => json!("string"),
        Json::Array(items) => {
            json!(["tuple", items.iter().map(|item| value_type(item).unwrap_or(json!("dynamic"))).collect::<Vec<_>>()])
        }
        Json::Object(fields) => json!([
            "object",
            fields
                .iter()
                .map(|(key, field)| (key.clone(), value_type(field).unwrap_or(json!("dynamic"))))
                .collect::<serde_json::Map<_, _>>()
        ]),
    })
}
