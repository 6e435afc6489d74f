//! The one rule for text people read (customer and user names, API key names, the
//! branding product name and mail sender name, reasons shown to users): trimmed,
//! normalised to NFC, bounded in characters, and free of anything that is not what it
//! looks like. Control characters (`Cc`), format characters (`Cf`: bidirectional
//! overrides and isolates such as U+202E, zero-width spaces and joiners, word joiners,
//! byte-order marks, tag characters), line and paragraph separators, private-use and
//! unassigned code points are refused, so `"Acme\u{202e}gnp.exe"` can never be stored
//! and later shown as something else.
//!
//! One exception: ZERO WIDTH NON-JOINER and ZERO WIDTH JOINER (U+200C, U+200D) are
//! part of how Persian, Indic scripts and emoji sequences are written, so they are
//! accepted between two visible characters, never at either end or next to a space or
//! another invisible character.

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

use crate::FieldViolation;

const ZERO_WIDTH_NON_JOINER: char = '\u{200C}';
const ZERO_WIDTH_JOINER: char = '\u{200D}';

/// Why a text was refused; [`TextError::description`] is the field violation's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    Empty,
    TooLong { max_chars: usize },
    Invisible,
}

impl TextError {
    pub fn description(self) -> String {
        match self {
            Self::Empty => "is required".into(),
            Self::TooLong { max_chars } => format!("must be at most {max_chars} characters"),
            Self::Invisible => {
                "must not contain control, format (zero-width or bidirectional) or unassigned characters".into()
            }
        }
    }

    /// The violation naming `field`.
    pub fn violation(self, field: impl Into<String>) -> FieldViolation {
        FieldViolation::new(field, self.description())
    }
}

/// Text a person reads: `raw` trimmed and normalised to NFC, 1 to `max_chars`
/// characters, with nothing invisible or misleading in it (see the module's rule).
pub fn human_text(raw: &str, max_chars: usize) -> Result<String, TextError> {
    let text: String = raw.trim().nfc().collect();
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max_chars {
        return Err(TextError::TooLong { max_chars });
    }
    if !only_visible(&text) {
        return Err(TextError::Invisible);
    }
    Ok(text)
}

/// Like [`human_text`], but empty is allowed (and stays empty).
pub fn optional_human_text(raw: &str, max_chars: usize) -> Result<String, TextError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    human_text(raw, max_chars)
}

/// [`human_text`] collecting its violation under `field`; returns the normalised
/// text either way, so a handler can go on validating the rest of the request.
pub fn human_text_field(field: &str, raw: &str, max_chars: usize, violations: &mut Vec<FieldViolation>) -> String {
    match human_text(raw, max_chars) {
        Ok(text) => text,
        Err(error) => {
            violations.push(error.violation(field));
            raw.trim().to_string()
        }
    }
}

fn only_visible(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars.iter().enumerate().all(|(i, &c)| {
        if c == ZERO_WIDTH_JOINER || c == ZERO_WIDTH_NON_JOINER {
            let visible = |c: Option<&char>| c.is_some_and(|c| !c.is_whitespace() && refused(*c).is_none());
            return i > 0 && visible(chars.get(i - 1)) && visible(chars.get(i + 1));
        }
        refused(c).is_none()
    })
}

/// The category that makes `c` unacceptable in human text, if any.
fn refused(c: char) -> Option<GeneralCategory> {
    let category = c.general_category();
    match category {
        GeneralCategory::Control
        | GeneralCategory::Format
        | GeneralCategory::LineSeparator
        | GeneralCategory::ParagraphSeparator
        | GeneralCategory::PrivateUse
        | GeneralCategory::Surrogate
        | GeneralCategory::Unassigned => Some(category),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_names_are_trimmed_normalised_and_kept() {
        assert_eq!(human_text("  Ann Lee ", 100).unwrap(), "Ann Lee");
        assert_eq!(human_text("Zoë 🌿", 100).unwrap(), "Zoë 🌿");
        // "e" + COMBINING DIAERESIS becomes the single precomposed "ë".
        assert_eq!(human_text("Zoe\u{308}", 100).unwrap(), "Zo\u{eb}");
        assert_eq!(human_text("Zoe\u{308}", 3).unwrap().chars().count(), 3);
        assert!(human_text("Müller & Söhne GmbH", 100).is_ok());
        assert!(human_text("株式会社カノピー", 100).is_ok());
        assert!(human_text("שלום עולם", 100).is_ok(), "right-to-left scripts need no override");
        // Persian with ZWNJ, and an emoji ZWJ sequence.
        assert!(human_text("می\u{200C}خواهم", 100).is_ok());
        assert!(human_text("👩\u{200D}💻 team", 100).is_ok());
        assert!(human_text(&"é".repeat(100), 100).is_ok());
    }

    #[test]
    fn invisible_and_misleading_characters_are_refused() {
        for hostile in [
            "Acme\u{202E}gnp.exe",
            "Acme\u{202D}",
            "\u{2066}Acme\u{2069}",
            "Ac\u{200B}me",
            "Acme\u{FEFF}",
            "Ac\u{2060}me",
            "Acme\u{200E}",
            "Acme\u{061C}",
            "Acme\u{E0041}",
            "a\u{0}b",
            "a\tb",
            "a\nb",
            "a\u{7F}b",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{E000}b",
            "a\u{0378}b",
            "\u{200D}Acme",
            "Acme\u{200C}",
            "Ac \u{200D}me",
            "Ac\u{200D}\u{200D}me",
        ] {
            assert_eq!(human_text(hostile, 100), Err(TextError::Invisible), "{hostile:?}");
        }
    }

    #[test]
    fn blank_and_long_text_name_the_rule() {
        assert_eq!(human_text("   ", 100), Err(TextError::Empty));
        assert_eq!(human_text(&"é".repeat(101), 100), Err(TextError::TooLong { max_chars: 100 }));
        assert_eq!(TextError::TooLong { max_chars: 100 }.description(), "must be at most 100 characters");
        assert_eq!(optional_human_text("  ", 10).unwrap(), "");
        let mut violations = Vec::new();
        human_text_field("name", "a\u{202E}b", 10, &mut violations);
        assert_eq!(violations[0].field, "name");
    }
}
