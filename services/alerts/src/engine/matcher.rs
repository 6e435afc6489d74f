//! Label matchers (`severity="critical"`, `job=~"web|api"`) and their text form.
//!
//! Semantics follow Alertmanager: an absent label matches as the empty string, and a
//! regular expression must match the whole value (it is anchored as `^(?:re)$`).

use std::fmt;
use std::str::FromStr;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::labels::{Labels, is_valid_label_name};

/// How a matcher compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Regex,
    /// `!~`
    NotRegex,
}

impl MatchOp {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }
}

/// Why a matcher could not be built from its parts or its text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MatcherError {
    #[error("matcher is empty")]
    Empty,
    #[error("invalid label name {0:?}: must match [a-zA-Z_][a-zA-Z0-9_]*")]
    InvalidLabelName(String),
    #[error("missing operator: expected one of =, !=, =~, !~ after the label name")]
    MissingOperator,
    #[error("unterminated quoted value")]
    UnterminatedQuote,
    #[error("unexpected text {0:?} after the quoted value")]
    TrailingText(String),
    #[error("invalid regular expression {pattern:?}: {reason}")]
    InvalidRegex { pattern: String, reason: String },
}

/// One condition on one label.
#[derive(Debug, Clone)]
pub struct Matcher {
    name: String,
    op: MatchOp,
    value: String,
    /// The compiled, anchored pattern, for `=~` and `!~` only.
    regex: Option<Regex>,
}

impl Matcher {
    pub fn new(name: impl Into<String>, op: MatchOp, value: impl Into<String>) -> Result<Self, MatcherError> {
        let name = name.into();
        let value = value.into();
        if !is_valid_label_name(&name) {
            return Err(MatcherError::InvalidLabelName(name));
        }
        let regex =
            match op {
                MatchOp::Regex | MatchOp::NotRegex => Some(Regex::new(&format!("^(?:{value})$")).map_err(|error| {
                    MatcherError::InvalidRegex { pattern: value.clone(), reason: error.to_string() }
                })?),
                MatchOp::Equal | MatchOp::NotEqual => None,
            };
        Ok(Self { name, op, value, regex })
    }

    /// Shorthand for an `=` matcher, which cannot fail on a valid label name.
    pub fn equal(name: impl Into<String>, value: impl Into<String>) -> Result<Self, MatcherError> {
        Self::new(name, MatchOp::Equal, value)
    }

    /// Reads `name op value`, the value either double-quoted with escapes `\"`,
    /// `\\` and `\n` (any other backslash stays as written) or bare (everything
    /// after the operator, trimmed).
    pub fn parse(text: &str) -> Result<Self, MatcherError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MatcherError::Empty);
        }
        let name_end = text.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(text.len());
        let name = &text[..name_end];
        let rest = text[name_end..].trim_start();
        if name.is_empty() {
            // Nothing that looks like a name: say what is there.
            let found: String = rest.chars().take_while(|c| !"=!~".contains(*c)).collect();
            return Err(MatcherError::InvalidLabelName(found.trim().to_owned()));
        }
        // Longest operators first, so `=~` is not read as `=` followed by `~`.
        let (op, rest) = [MatchOp::Regex, MatchOp::NotRegex, MatchOp::NotEqual, MatchOp::Equal]
            .into_iter()
            .find_map(|op| rest.strip_prefix(op.as_str()).map(|rest| (op, rest)))
            .ok_or_else(|| {
                if rest.starts_with(|c: char| !"=!~".contains(c)) && !rest.is_empty() {
                    // `sev-erity="x"`: the name ended at a character names may not hold.
                    let whole: String = text.chars().take_while(|c| !"=!~".contains(*c)).collect();
                    MatcherError::InvalidLabelName(whole.trim().to_owned())
                } else {
                    MatcherError::MissingOperator
                }
            })?;
        let rest = rest.trim();
        let value = if let Some(quoted) = rest.strip_prefix('"') { unquote(quoted)? } else { rest.to_owned() };
        Self::new(name, op, value)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn op(&self) -> MatchOp {
        self.op
    }

    pub fn value(&self) -> &str {
        &self.value
    }

    /// Whether a label value satisfies the matcher.
    pub fn matches_value(&self, value: &str) -> bool {
        match (self.op, &self.regex) {
            (MatchOp::Equal, _) => value == self.value,
            (MatchOp::NotEqual, _) => value != self.value,
            (MatchOp::Regex, Some(regex)) => regex.is_match(value),
            (MatchOp::NotRegex, Some(regex)) => !regex.is_match(value),
            // `new` compiles a pattern for every regex operator.
            (MatchOp::Regex | MatchOp::NotRegex, None) => unreachable!("regex matcher without a pattern"),
        }
    }

    /// Whether the label set satisfies the matcher; an absent label is `""`.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matches_value(labels.value(&self.name))
    }
}

/// Whether every matcher is satisfied (an empty list matches everything).
pub fn all_match(matchers: &[Matcher], labels: &Labels) -> bool {
    matchers.iter().all(|matcher| matcher.matches(labels))
}

/// Reads the rest of a double-quoted value (after its opening quote).
fn unquote(quoted: &str) -> Result<String, MatcherError> {
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => {
                let trailing = quoted[index + 1..].trim();
                if !trailing.is_empty() {
                    return Err(MatcherError::TrailingText(trailing.to_owned()));
                }
                return Ok(value);
            }
            '\\' => match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, 'n')) => value.push('\n'),
                // Any other escape is kept as written, as Alertmanager does, so
                // regular expressions like `"web-\d+"` need no doubled backslash.
                Some((_, other)) => {
                    value.push('\\');
                    value.push(other);
                }
                None => return Err(MatcherError::UnterminatedQuote),
            },
            other => value.push(other),
        }
    }
    Err(MatcherError::UnterminatedQuote)
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\"", self.name, self.op.as_str())?;
        for c in self.value.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                other => write!(f, "{other}")?,
            }
        }
        f.write_str("\"")
    }
}

impl FromStr for Matcher {
    type Err = MatcherError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.op == other.op && self.value == other.value
    }
}

impl Eq for Matcher {}

// Stored as its text form, so persisted silences and rules read like the API.
impl Serialize for Matcher {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Matcher::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().copied().collect()
    }

    #[test]
    fn parses_each_operator() {
        for (text, op, value) in [
            (r#"severity="critical""#, MatchOp::Equal, "critical"),
            (r#"severity!="info""#, MatchOp::NotEqual, "info"),
            (r#"job=~"web|api""#, MatchOp::Regex, "web|api"),
            (r#"job !~ "batch.*""#, MatchOp::NotRegex, "batch.*"),
            ("team=ops", MatchOp::Equal, "ops"),
            (r#"msg="say \"hi\"\\""#, MatchOp::Equal, r#"say "hi"\"#),
        ] {
            let matcher = Matcher::parse(text).unwrap();
            assert_eq!((matcher.op(), matcher.value()), (op, value), "{text}");
            // The text form reads back as the same matcher.
            assert_eq!(Matcher::parse(&matcher.to_string()).unwrap(), matcher);
        }
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        assert_eq!(Matcher::parse("  ").unwrap_err(), MatcherError::Empty);
        assert_eq!(Matcher::parse("severity").unwrap_err(), MatcherError::MissingOperator);
        assert_eq!(Matcher::parse(r#"sev-erity="x""#).unwrap_err(), MatcherError::InvalidLabelName("sev-erity".into()));
        assert_eq!(Matcher::parse(r#"="x""#).unwrap_err(), MatcherError::InvalidLabelName("".into()));
        assert_eq!(Matcher::parse(r#"a="x"#).unwrap_err(), MatcherError::UnterminatedQuote);
        assert_eq!(Matcher::parse(r#"a="x" y"#).unwrap_err(), MatcherError::TrailingText("y".into()));
        let error = Matcher::parse(r#"a=~"(unclosed""#).unwrap_err();
        assert!(matches!(error, MatcherError::InvalidRegex { .. }), "{error:?}");
        assert!(error.to_string().starts_with("invalid regular expression \"(unclosed\""));
    }

    #[test]
    fn regex_is_anchored_like_alertmanager() {
        let matcher = Matcher::parse(r#"job=~"web""#).unwrap();
        assert!(matcher.matches(&labels(&[("job", "web")])));
        assert!(!matcher.matches(&labels(&[("job", "web-2")])));
        assert!(!matcher.matches(&labels(&[("job", "my-web")])));
        let alternation = Matcher::parse(r#"job=~"web|api""#).unwrap();
        // Anchoring wraps the whole alternation, not just its ends.
        assert!(alternation.matches(&labels(&[("job", "api")])));
        assert!(!alternation.matches(&labels(&[("job", "webapi")])));
    }

    #[test]
    fn regex_syntax_alertmanager_users_write() {
        let instance = Matcher::parse(r#"instance=~"web-\d+:\d{4}""#).unwrap();
        assert!(instance.matches(&labels(&[("instance", "web-12:9100")])));
        assert!(!instance.matches(&labels(&[("instance", "web-x:9100")])));
        assert_eq!(instance.value(), r"web-\d+:\d{4}", "a backslash before d is kept");
        assert_eq!(Matcher::parse(&instance.to_string()).unwrap(), instance);
        let shouting = Matcher::parse(r#"severity=~"(?i)critical""#).unwrap();
        assert!(shouting.matches(&labels(&[("severity", "CRITICAL")])));
    }

    #[test]
    fn absent_label_is_the_empty_string() {
        let absent = labels(&[("job", "web")]);
        assert!(Matcher::parse(r#"team="""#).unwrap().matches(&absent));
        assert!(Matcher::parse(r#"team!="ops""#).unwrap().matches(&absent));
        assert!(Matcher::parse(r#"team=~".*""#).unwrap().matches(&absent));
        assert!(!Matcher::parse(r#"team=~".+""#).unwrap().matches(&absent));
        assert!(Matcher::parse(r#"team!~"ops""#).unwrap().matches(&absent));
    }

    #[test]
    fn serialises_as_text() {
        let matcher = Matcher::parse(r#"job=~"web|api""#).unwrap();
        let json = serde_json::to_string(&matcher).unwrap();
        assert_eq!(json, r#""job=~\"web|api\"""#);
        assert_eq!(serde_json::from_str::<Matcher>(&json).unwrap(), matcher);
        assert!(serde_json::from_str::<Matcher>(r#""bad name=1""#).is_err());
    }
}
