//! What the checks need to know about an HCL expression without evaluating it: which
//! variables, locals and module outputs it refers to, which literal object keys it spells
//! out, and a canonical rendering of type constraints.
//!
//! Terraform expressions are only partly known before apply, so the checks reason about
//! the *shape* of expressions: `merge(var.tags, { Name = "x" })` refers to `var.tags`,
//! whatever `var.tags` holds at plan time.

use std::collections::BTreeSet;

use hcl::template::{Directive, Element};
use hcl::{Expression, ObjectKey, Template, TraversalOperator};

/// A named value an expression reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reference {
    /// `var.NAME`
    Variable(String),
    /// `local.NAME`
    Local(String),
    /// `module.NAME.OUTPUT`, or `module.NAME` alone (as in `depends_on`), with `output` `None`.
    ModuleOutput {
        /// The module call's name.
        module: String,
        /// The output read from it, if any.
        output: Option<String>,
    },
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Variable(name) => write!(f, "var.{name}"),
            Reference::Local(name) => write!(f, "local.{name}"),
            Reference::ModuleOutput { module, output: Some(output) } => write!(f, "module.{module}.{output}"),
            Reference::ModuleOutput { module, output: None } => write!(f, "module.{module}"),
        }
    }
}

/// The references and literal object keys found in one expression.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExprFacts {
    /// Every variable, local and module output the expression reads, in source order.
    pub references: Vec<Reference>,
    /// Every key of every object literal inside the expression. Cost-tag checks use these
    /// to see that a tags map spells out `canopy_site_id` and friends.
    pub object_keys: BTreeSet<String>,
}

impl ExprFacts {
    /// Collects the facts of `expr`.
    pub fn of(expr: &Expression) -> ExprFacts {
        let mut facts = ExprFacts::default();
        facts.visit(expr);
        facts
    }

    /// Adds the facts of another expression to these.
    pub fn extend(&mut self, other: &ExprFacts) {
        self.references.extend(other.references.iter().cloned());
        self.object_keys.extend(other.object_keys.iter().cloned());
    }

    /// True when the expression reads `var.<name>`.
    pub fn reads_variable(&self, name: &str) -> bool {
        self.references.iter().any(|reference| matches!(reference, Reference::Variable(found) if found == name))
    }

    fn visit(&mut self, expr: &Expression) {
        match expr {
            Expression::Null
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_)
            | Expression::Variable(_) => {}
            Expression::Array(items) => items.iter().for_each(|item| self.visit(item)),
            Expression::Object(object) => {
                for (key, value) in object {
                    match key {
                        ObjectKey::Identifier(ident) => {
                            self.object_keys.insert(ident.to_string());
                        }
                        ObjectKey::Expression(Expression::String(key)) => {
                            self.object_keys.insert(key.clone());
                        }
                        ObjectKey::Expression(key) => self.visit(key),
                        // `ObjectKey` is non-exhaustive; a future key kind carries no facts we know of.
                        #[allow(unreachable_patterns)]
                        _ => {}
                    }
                    self.visit(value);
                }
            }
            Expression::TemplateExpr(template) => {
                // A template that does not parse is reported by Terraform itself; here it
                // simply contributes no references.
                if let Ok(template) = Template::from_expr(template) {
                    self.visit_template(&template);
                }
            }
            Expression::Traversal(traversal) => {
                if let Some(reference) = reference_of(&traversal.expr, &traversal.operators) {
                    self.references.push(reference);
                } else {
                    self.visit(&traversal.expr);
                }
                for operator in &traversal.operators {
                    if let TraversalOperator::Index(index) = operator {
                        self.visit(index);
                    }
                }
            }
            Expression::FuncCall(call) => call.args.iter().for_each(|arg| self.visit(arg)),
            Expression::Parenthesis(inner) => self.visit(inner),
            Expression::Conditional(conditional) => {
                self.visit(&conditional.cond_expr);
                self.visit(&conditional.true_expr);
                self.visit(&conditional.false_expr);
            }
            Expression::Operation(operation) => match operation.as_ref() {
                hcl::expr::Operation::Unary(unary) => self.visit(&unary.expr),
                hcl::expr::Operation::Binary(binary) => {
                    self.visit(&binary.lhs_expr);
                    self.visit(&binary.rhs_expr);
                }
            },
            Expression::ForExpr(for_expr) => {
                self.visit(&for_expr.collection_expr);
                if let Some(key_expr) = &for_expr.key_expr {
                    self.visit(key_expr);
                }
                self.visit(&for_expr.value_expr);
                if let Some(cond_expr) = &for_expr.cond_expr {
                    self.visit(cond_expr);
                }
            }
            // `Expression` is non-exhaustive; unknown variants carry no facts we know of.
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    fn visit_template(&mut self, template: &Template) {
        for element in template.elements() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(interpolation) => self.visit(&interpolation.expr),
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(if_directive) => {
                        self.visit(&if_directive.cond_expr);
                        self.visit_template(&if_directive.true_template);
                        if let Some(false_template) = &if_directive.false_template {
                            self.visit_template(false_template);
                        }
                    }
                    Directive::For(for_directive) => {
                        self.visit(&for_directive.collection_expr);
                        self.visit_template(&for_directive.template);
                    }
                },
            }
        }
    }
}

/// Reads `var.x`, `local.x` and `module.m[...].o` out of a traversal. Index and splat
/// operators between the module name and the output (`module.db[0].endpoint`) belong to
/// `count`/`for_each` on the call and are skipped.
fn reference_of(root: &Expression, operators: &[TraversalOperator]) -> Option<Reference> {
    let Expression::Variable(root) = root else {
        return None;
    };
    let first_attribute = match operators.first() {
        Some(TraversalOperator::GetAttr(name)) => name.to_string(),
        _ => return None,
    };
    match root.as_str() {
        "var" => Some(Reference::Variable(first_attribute)),
        "local" => Some(Reference::Local(first_attribute)),
        "module" => {
            let output = operators[1..].iter().find_map(|operator| match operator {
                TraversalOperator::GetAttr(name) => Some(name.to_string()),
                _ => None,
            });
            Some(Reference::ModuleOutput { module: first_attribute, output })
        }
        _ => None,
    }
}

/// Renders a type constraint in one canonical, single-line form:
/// `object({ image = string, port = number, env = optional(map(string), {}) })`.
///
/// Declared types and the types in `contract.json` are both rendered this way before
/// they are compared, so spacing and line breaks never cause a false mismatch.
pub fn render_type(expr: &Expression) -> String {
    match expr {
        Expression::Variable(name) => name.to_string(),
        Expression::Null => "null".to_owned(),
        Expression::Bool(value) => value.to_string(),
        Expression::Number(number) => number.to_string(),
        Expression::String(value) => format!("{value:?}"),
        Expression::Array(items) => {
            let items: Vec<String> = items.iter().map(render_type).collect();
            format!("[{}]", items.join(", "))
        }
        Expression::Object(object) => {
            if object.is_empty() {
                return "{}".to_owned();
            }
            let fields: Vec<String> = object
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Identifier(ident) => ident.to_string(),
                        ObjectKey::Expression(key) => render_type(key),
                        #[allow(unreachable_patterns)]
                        _ => String::new(),
                    };
                    format!("{key} = {}", render_type(value))
                })
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Expression::FuncCall(call) => {
            let args: Vec<String> = call.args.iter().map(render_type).collect();
            format!("{}({})", call.name.name, args.join(", "))
        }
        Expression::Parenthesis(inner) => render_type(inner),
        // Anything else is not a type constraint; fall back to hcl's own formatting so the
        // mismatch message still shows what was written.
        other => other.to_string(),
    }
}

/// Every string literal inside an expression, for reading allow-lists such as
/// `contains(["us-east-1", "eu-west-1"], var.region)`.
pub fn string_literals(expr: &Expression) -> Vec<String> {
    let mut found = Vec::new();
    collect_strings(expr, &mut found);
    found
}

fn collect_strings(expr: &Expression, found: &mut Vec<String>) {
    match expr {
        Expression::String(value) => found.push(value.clone()),
        Expression::Array(items) => items.iter().for_each(|item| collect_strings(item, found)),
        Expression::Object(object) => object.values().for_each(|value| collect_strings(value, found)),
        Expression::FuncCall(call) => call.args.iter().for_each(|arg| collect_strings(arg, found)),
        Expression::Parenthesis(inner) => collect_strings(inner, found),
        Expression::Conditional(conditional) => {
            collect_strings(&conditional.cond_expr, found);
            collect_strings(&conditional.true_expr, found);
            collect_strings(&conditional.false_expr, found);
        }
        Expression::Operation(operation) => match operation.as_ref() {
            hcl::expr::Operation::Unary(unary) => collect_strings(&unary.expr, found),
            hcl::expr::Operation::Binary(binary) => {
                collect_strings(&binary.lhs_expr, found);
                collect_strings(&binary.rhs_expr, found);
            }
        },
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Expression {
        source.parse().expect("test expression parses")
    }

    #[test]
    fn finds_references_inside_templates_conditionals_and_for_expressions() {
        let facts = ExprFacts::of(&parse(
            r#"var.on ? "${local.prefix}-${module.db[0].endpoint}" : [for k, v in var.tags : "${k}:${v}"]"#,
        ));
        assert_eq!(
            facts.references,
            vec![
                Reference::Variable("on".into()),
                Reference::Local("prefix".into()),
                Reference::ModuleOutput { module: "db".into(), output: Some("endpoint".into()) },
                Reference::Variable("tags".into()),
            ]
        );
    }

    #[test]
    fn collects_literal_object_keys() {
        let facts = ExprFacts::of(&parse(r#"merge(var.tags, { canopy_site_id = var.site_id, "quoted" = 1 })"#));
        assert!(facts.object_keys.contains("canopy_site_id"));
        assert!(facts.object_keys.contains("quoted"));
        assert!(facts.reads_variable("tags"));
    }

    #[test]
    fn renders_types_canonically_whatever_the_layout() {
        let written = parse("object({\n  image = string\n  port  = number\n  env   = optional(map(string), {})\n})");
        let compact = parse("object({ image = string, port = number, env = optional(map(string), {}) })");
        assert_eq!(render_type(&written), render_type(&compact));
        assert_eq!(render_type(&compact), "object({ image = string, port = number, env = optional(map(string), {}) })");
    }
}
