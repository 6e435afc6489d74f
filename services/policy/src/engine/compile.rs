//! Checking a policy module before it is stored: it must parse, name a package that can be
//! queried, declare a `deny` or `warn` rule and stay within [`MAX_MODULE_BYTES`].
//!
//! Parsing is all that happens here. regorus reports some mistakes (an unsafe variable, an
//! unknown function) only when it evaluates a rule, and evaluating untrusted Rego in the
//! service process is exactly what [`crate::engine::evaluator`] exists to avoid; those
//! mistakes surface as the policy's `error` when it is evaluated.

use regorus::Engine;
use serde::{Deserialize, Serialize};

/// The largest module accepted. Builtin policies are a few KiB; 64 KiB leaves customers
/// room while keeping parse time and the child's memory small.
pub const MAX_MODULE_BYTES: usize = 64 * 1024;

/// The file name regorus reports in its messages; also the key for rule lookups.
pub(crate) const MODULE_PATH: &str = "policy.rego";

/// What evaluation needs to know about a module that passed [`check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// The package as a rule path prefix, for example `data.canopy.custom`.
    pub package: String,
    /// Whether the module declares a `deny` rule.
    pub has_deny: bool,
    /// Whether the module declares a `warn` rule.
    pub has_warn: bool,
}

impl ModuleInfo {
    /// `data.<package>.deny`, when the module declares it.
    pub fn deny_rule(&self) -> Option<String> {
        self.has_deny.then(|| format!("{}.deny", self.package))
    }

    /// `data.<package>.warn`, when the module declares it.
    pub fn warn_rule(&self) -> Option<String> {
        self.has_warn.then(|| format!("{}.warn", self.package))
    }
}

/// One problem with a module, at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompileError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong, lowercase, without the source excerpt.
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Checks `source` and describes it, or lists what is wrong with it.
///
/// regorus stops at the first syntax error, so a module that does not parse yields one
/// error; a module that parses yields every structural problem at once.
pub fn check(source: &str) -> Result<ModuleInfo, Vec<CompileError>> {
    load(&mut Engine::new(), source)
}

/// Adds `source` to `engine` after the same checks as [`check`]; the evaluator child uses
/// it so a module is parsed once.
pub(crate) fn load(engine: &mut Engine, source: &str) -> Result<ModuleInfo, Vec<CompileError>> {
    if source.len() > MAX_MODULE_BYTES {
        return Err(vec![CompileError {
            line: 1,
            column: 1,
            message: format!(
                "the policy is {} bytes; the limit is {MAX_MODULE_BYTES} bytes ({} KiB)",
                source.len(),
                MAX_MODULE_BYTES / 1024
            ),
        }]);
    }
    let package = engine
        .add_policy(MODULE_PATH.to_owned(), source.to_owned())
        .map_err(|error| vec![parse_error_text(&format!("{error:#}"))])?;

    let mut errors = Vec::new();
    let (package_line, package_column) = package_position(source);
    if !package.split('.').all(is_identifier) {
        errors.push(CompileError {
            line: package_line,
            column: package_column,
            message: format!(
                "the package must be dotted names (letters, digits, underscores), got {:?}",
                package.trim_start_matches("data.")
            ),
        });
    }
    let declares = |rule: &str| engine.has_declared_rule_rooted_at(MODULE_PATH, rule).unwrap_or(false);
    let (has_deny, has_warn) = (declares("deny"), declares("warn"));
    if !has_deny && !has_warn {
        errors.push(CompileError {
            line: package_line,
            column: package_column,
            message: "a policy needs a `deny` or `warn` rule".to_owned(),
        });
    }
    if errors.is_empty() { Ok(ModuleInfo { package, has_deny, has_warn }) } else { Err(errors) }
}

/// Reads regorus's message: `\n--> policy.rego:3:29\n  |\n3 | …\n  |   ^\nerror: expecting expression`.
/// Messages without a location (size and line-count limits) are placed at 1:1.
pub(crate) fn parse_error_text(text: &str) -> CompileError {
    let location = text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("--> ")?;
        let mut parts = rest.rsplitn(3, ':');
        let column = parts.next()?.trim().parse().ok()?;
        let line = parts.next()?.trim().parse().ok()?;
        Some((line, column))
    });
    let message = match text.rfind("\nerror: ") {
        Some(at) => text[at + "\nerror: ".len()..].trim().to_owned(),
        None => text.trim().to_owned(),
    };
    let (line, column) = location.unwrap_or((1, 1));
    CompileError { line, column, message }
}

/// Where the `package` keyword is, for errors about the package or the module as a whole.
fn package_position(source: &str) -> (u32, u32) {
    for (index, line) in source.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with("package") {
            return (u32::try_from(index + 1).unwrap_or(u32::MAX), u32::try_from(indent + 1).unwrap_or(1));
        }
    }
    (1, 1)
}

fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_location_and_message_from_regorus_text() {
        let text =
            "\n--> policy.rego:3:29\n  |\n3 | deny contains \"x\" if { 1 +  }\n  |     ^\nerror: expecting expression";
        assert_eq!(
            parse_error_text(text),
            CompileError { line: 3, column: 29, message: "expecting expression".to_owned() }
        );
        let unlocated = parse_error_text("policy.rego exceeds maximum allowed line count 20000");
        assert_eq!((unlocated.line, unlocated.column), (1, 1));
    }
}
