//! Human-facing names: users' display names and API keys' names, under the kit's
//! one rule for text people read (`canopy_kit::request::text`).

use canopy_kit::request::human_text;

/// Longest display name or key name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A name shown in portals: 1 to 100 characters of human text (trimmed, NFC, nothing
/// invisible such as control, zero-width or bidirectional characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses `raw`; the error is the field violation's description.
    pub fn parse(raw: &str) -> Result<Self, String> {
        human_text(raw, MAX_NAME_CHARS).map(Self).map_err(|error| error.description())
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
        assert_eq!(DisplayName::parse(&"é".repeat(101)).unwrap_err(), "must be at most 100 characters");
        assert_eq!(DisplayName::parse("   ").unwrap_err(), "is required");
        assert!(DisplayName::parse("a\u{0}b").is_err());
        assert!(DisplayName::parse("Acme\u{202E}gnp.exe").is_err());
        assert!(DisplayName::parse("Ac\u{200B}me").is_err());
    }
}
