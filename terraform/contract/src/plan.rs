//! Listing the resources a template would create for given inputs, following module
//! calls, without Terraform: what the sandbox executor "plans" so its runs walk through
//! the resources the real template declares.
//!
//! `count` and `for_each` are evaluated where the inputs decide them
//! (`count = var.database_enabled ? 1 : 0`, `count = var.az_count` with its default).
//! Where they depend on values only known after apply (another module's outputs, or
//! Terraform functions this evaluator does not implement) the resource is listed once and
//! the expression is recorded in [`PlannedResource::undetermined`].

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Expression, Map, Value};

use crate::contract::{CloudProvider, SiteVariables};
use crate::error::Error;
use crate::module::Module;

/// One resource instance the template would create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedResource {
    /// Full address, as `terraform plan` prints it:
    /// `module.database[0].aws_db_instance.this`, `module.network.aws_subnet.public[1]`.
    pub address: String,
    /// Resource type, for example `aws_db_instance`.
    pub kind: String,
    /// Resource name, for example `this`.
    pub name: String,
    /// The file declaring it.
    pub file: PathBuf,
    /// `count`/`for_each` expressions on the resource or its enclosing module calls that
    /// the inputs do not decide; this entry then stands for "one or more instances".
    pub undetermined: Vec<String>,
}

/// The resources the site template for `provider` would create for `variables`.
pub fn plan_site(
    terraform_root: &Path,
    provider: CloudProvider,
    variables: &SiteVariables,
) -> Result<Vec<PlannedResource>, Error> {
    plan_module(&provider.site_template_dir(terraform_root), &site_inputs(variables)?)
}

/// The site variables as the template's input values.
pub(crate) fn site_inputs(variables: &SiteVariables) -> Result<Map<String, Value>, Error> {
    let inputs = hcl::to_value(variables).map_err(|error| Error::Contract {
        message: format!("site variables cannot be expressed as HCL values: {error}"),
    })?;
    Ok(match inputs {
        Value::Object(map) => map,
        _ => Map::new(),
    })
}

/// The resources the module in `dir` would create when called with `inputs`; missing
/// inputs fall back to the variables' defaults.
pub fn plan_module(dir: &Path, inputs: &Map<String, Value>) -> Result<Vec<PlannedResource>, Error> {
    let module = Module::load(dir)?;
    let mut planned = Vec::new();
    plan_into(&module, inputs, &BTreeSet::new(), "", &[], &mut planned)?;
    Ok(planned)
}

/// How many instances a `count`/`for_each` yields: known keys, or undetermined.
pub(crate) enum Instances {
    /// No meta-argument: a single instance with no index.
    Single,
    /// Known instance keys.
    Keys(Vec<InstanceKey>),
    /// Not decided by the inputs.
    Undetermined(String),
}

/// One instance of a resource or module call with `count` or `for_each`.
#[derive(Debug, Clone)]
pub(crate) enum InstanceKey {
    /// `count.index`.
    Index(u64),
    /// `each.key` and `each.value`.
    Key(String, Value),
}

impl InstanceKey {
    /// The address suffix: `[0]` or `["key"]`.
    pub(crate) fn render(&self) -> String {
        match self {
            InstanceKey::Index(index) => format!("[{index}]"),
            InstanceKey::Key(key, _) => format!("[{key:?}]"),
        }
    }
}

fn plan_into(
    module: &Module,
    inputs: &Map<String, Value>,
    unknown_inputs: &BTreeSet<String>,
    prefix: &str,
    undetermined: &[String],
    planned: &mut Vec<PlannedResource>,
) -> Result<(), Error> {
    let context = evaluation_context(module, inputs, unknown_inputs);
    for resource in &module.resources {
        let instances = instances(resource.count.as_ref(), resource.for_each.as_ref(), &context);
        let base = format!("{prefix}{}", resource.address());
        let entry = |address: String, extra: Option<String>| PlannedResource {
            address,
            kind: resource.kind.clone(),
            name: resource.name.clone(),
            file: resource.file.clone(),
            undetermined: undetermined.iter().cloned().chain(extra).collect(),
        };
        match instances {
            Instances::Single => planned.push(entry(base, None)),
            Instances::Keys(keys) => {
                planned.extend(keys.into_iter().map(|key| entry(format!("{base}{}", key.render()), None)))
            }
            Instances::Undetermined(expression) => {
                planned.push(entry(base.clone(), Some(format!("{base}: {expression}"))));
            }
        }
    }
    for call in &module.module_calls {
        let Some(dir) = call.local_source_dir(&module.dir) else {
            continue;
        };
        let callee = Module::load(&dir)?;
        // Arguments the caller's inputs decide become the callee's inputs; the rest stay
        // unknown (and so do the callee's expressions that read them).
        let mut callee_inputs = Map::new();
        let mut callee_unknown = BTreeSet::new();
        for (name, argument) in &call.arguments {
            match argument.evaluate(&context) {
                Ok(value) => {
                    callee_inputs.insert(name.clone(), value);
                }
                Err(_) => {
                    callee_unknown.insert(name.clone());
                }
            }
        }
        let base = format!("{prefix}module.{}", call.name);
        match instances(call.count.as_ref(), call.for_each.as_ref(), &context) {
            Instances::Single => {
                plan_into(&callee, &callee_inputs, &callee_unknown, &format!("{base}."), undetermined, planned)?
            }
            Instances::Keys(keys) => {
                for key in keys {
                    plan_into(
                        &callee,
                        &callee_inputs,
                        &callee_unknown,
                        &format!("{base}{}.", key.render()),
                        undetermined,
                        planned,
                    )?;
                }
            }
            Instances::Undetermined(expression) => {
                let mut nested = undetermined.to_vec();
                nested.push(format!("{base}: {expression}"));
                plan_into(&callee, &callee_inputs, &callee_unknown, &format!("{base}."), &nested, planned)?;
            }
        }
    }
    Ok(())
}

pub(crate) fn instances(count: Option<&Expression>, for_each: Option<&Expression>, context: &Context<'_>) -> Instances {
    if let Some(count) = count {
        return match count.evaluate(context) {
            Ok(Value::Number(number)) => match number.as_u64() {
                Some(n) => Instances::Keys((0..n).map(InstanceKey::Index).collect()),
                None => Instances::Undetermined(format!("count = {count}")),
            },
            _ => Instances::Undetermined(format!("count = {count}")),
        };
    }
    if let Some(for_each) = for_each {
        return match for_each.evaluate(context) {
            Ok(Value::Object(map)) => {
                Instances::Keys(map.into_iter().map(|(key, value)| InstanceKey::Key(key, value)).collect())
            }
            // A set of strings: each key is its own value.
            Ok(Value::Array(items)) => Instances::Keys(
                items
                    .into_iter()
                    .map(|item| match item {
                        Value::String(key) => InstanceKey::Key(key.clone(), Value::String(key)),
                        other => InstanceKey::Key(other.to_string(), other),
                    })
                    .collect(),
            ),
            _ => Instances::Undetermined(format!("for_each = {for_each}")),
        };
    }
    Instances::Single
}

/// `var` holds the known inputs plus the defaults of inputs the caller did not pass (an
/// input passed with an unknown value stays unknown); `local` holds every local that
/// evaluates from those. Locals are evaluated repeatedly until no more become known,
/// since they may refer to each other in any order.
pub(crate) fn evaluation_context(
    module: &Module,
    inputs: &Map<String, Value>,
    unknown_inputs: &BTreeSet<String>,
) -> Context<'static> {
    let variables = module_variables(module, inputs, unknown_inputs);
    let mut locals = Map::new();
    loop {
        let mut context = base_context();
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

/// The known inputs plus the defaults of inputs the caller did not pass; an input passed
/// with an unknown value stays unknown (absent).
pub(crate) fn module_variables(
    module: &Module,
    inputs: &Map<String, Value>,
    unknown_inputs: &BTreeSet<String>,
) -> Map<String, Value> {
    let mut variables = Map::new();
    let empty = base_context();
    for (name, variable) in &module.variables {
        if let Some(value) = inputs.get(name) {
            variables.insert(name.clone(), value.clone());
        } else if !unknown_inputs.contains(name)
            && let Some(default) = &variable.default
            && let Ok(value) = default.evaluate(&empty)
        {
            variables.insert(name.clone(), value);
        }
    }
    variables
}

/// The few Terraform functions that commonly decide counts.
pub(crate) fn base_context() -> Context<'static> {
    let mut context = Context::new();
    context.declare_func("length", FuncDef::new(length, [ParamType::Any]));
    context.declare_func("max", FuncDef::builder().variadic_param(ParamType::Number).build(max));
    context.declare_func("min", FuncDef::builder().variadic_param(ParamType::Number).build(min));
    context.declare_func("tostring", FuncDef::new(tostring, [ParamType::Any]));
    context
}

fn length(args: FuncArgs) -> Result<Value, String> {
    match args.first() {
        Some(Value::Array(items)) => Ok(Value::from(items.len() as u64)),
        Some(Value::Object(map)) => Ok(Value::from(map.len() as u64)),
        Some(Value::String(text)) => Ok(Value::from(text.chars().count() as u64)),
        _ => Err("length needs a list, map or string".to_owned()),
    }
}

fn numbers(args: &FuncArgs) -> Vec<f64> {
    args.iter().filter_map(|value| value.as_f64()).collect()
}

fn max(args: FuncArgs) -> Result<Value, String> {
    numbers(&args)
        .into_iter()
        .reduce(f64::max)
        .map(number_value)
        .ok_or_else(|| "max needs at least one number".to_owned())
}

fn min(args: FuncArgs) -> Result<Value, String> {
    numbers(&args)
        .into_iter()
        .reduce(f64::min)
        .map(number_value)
        .ok_or_else(|| "min needs at least one number".to_owned())
}

fn number_value(number: f64) -> Value {
    // Counts are whole numbers; keep them integers so `count` reads them back as u64.
    if number.fract() == 0.0 && number >= 0.0 && number <= u64::MAX as f64 {
        Value::from(number as u64)
    } else {
        hcl::Number::from_f64(number).map(Value::Number).unwrap_or(Value::Null)
    }
}

fn tostring(args: FuncArgs) -> Result<Value, String> {
    match args.first() {
        Some(Value::String(text)) => Ok(Value::String(text.clone())),
        Some(Value::Number(number)) => Ok(Value::String(number.to_string())),
        Some(Value::Bool(flag)) => Ok(Value::String(flag.to_string())),
        _ => Err("tostring needs a string, number or bool".to_owned()),
    }
}
