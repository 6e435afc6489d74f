//! Human-facing names: users' display names and API keys' names.

/// Longest display name or key name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A name shown in portals: 1 to 100 characters, no control characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses `raw`, trimming surrounding whitespace.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("is required");
        }
        if trimmed.chars().count() > MAX_NAME_CHARS {
            return Err("must be at most 100 characters");
        }
        if trimmed.chars().any(char::is_control) {
            return Err("must not contain control characters");
        }
        Ok(Self(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ann Lee ").unwrap().as_str(), "Ann Lee");
        assert!(DisplayName::parse("Zoë 🌿").is_ok());
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(DisplayName::parse(&"é".repeat(101)), Err("must be at most 100 characters"));
        assert_eq!(DisplayName::parse("   "), Err("is required"));
        assert_eq!(DisplayName::parse("a\u{0}b"), Err("must not contain control characters"));
    }
}
