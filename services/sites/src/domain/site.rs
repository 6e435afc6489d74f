//! What a valid site is. Every value here may end up in a generated Terraform file,
//! so the rules are strict allow-lists, checked before anything is written.

use std::collections::BTreeMap;

use canopy_kit::FieldViolation;
use canopy_terraform::SiteRuntime;

/// A site name: a DNS label (1 to 63 of `a-z`, `0-9`, `-`, starting with a letter,
/// not ending with a hyphen). Nothing else passes: no capitals, spaces, Unicode
/// look-alikes, quotes, `${`, `%{` or line breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteName(String);

impl SiteName {
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let bytes = value.as_bytes();
        if bytes.is_empty() || bytes.len() > 63 {
            return Err("must be 1 to 63 characters");
        }
        if !value.is_ascii() {
            return Err("must use only a-z, 0-9 and hyphens (no Unicode)");
        }
        if !bytes[0].is_ascii_lowercase() {
            return Err("must start with a lowercase letter");
        }
        if bytes[bytes.len() - 1] == b'-' {
            return Err("must not end with a hyphen");
        }
        if !bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-') {
            return Err("must use only lowercase letters, digits and hyphens");
        }
        Ok(Self(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How big a site's machines are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteSize {
    Small,
    Medium,
    Large,
}

impl SiteSize {
    /// The stored name, which is also the Terraform variable's value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "small" => Self::Small,
            "medium" => Self::Medium,
            "large" => Self::Large,
            _ => return None,
        })
    }
}

/// The part of a site its owner may change after creating it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteConfig {
    pub size: SiteSize,
    pub database_enabled: bool,
    pub storage_enabled: bool,
    pub runtime: SiteRuntime,
    pub labels: BTreeMap<String, String>,
}

/// Container image references: registry/path:tag or @sha256 digest, conservative
/// character set, at most 255 characters.
pub fn image(value: &str, violations: &mut Vec<FieldViolation>) {
    let ok = !value.is_empty()
        && value.len() <= 255
        && value.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"./:-_@".contains(&b));
    if !ok {
        violations.push(FieldViolation::new(
            "runtime.image",
            "must be an image reference such as ghcr.io/acme/shop:1.4.2 (lowercase letters, digits, . / : - _ @)",
        ));
    }
}

/// Port the container listens on.
pub fn port(value: i32, violations: &mut Vec<FieldViolation>) -> u16 {
    match u16::try_from(value) {
        Ok(port) if port > 0 => port,
        _ => {
            violations.push(FieldViolation::new("runtime.port", "must be 1 to 65535"));
            0
        }
    }
}

/// Environment variables: names `[A-Za-z_][A-Za-z0-9_]*` up to 100 characters;
/// values up to 4 KiB, no NUL; at most 50.
pub fn env(values: &BTreeMap<String, String>, violations: &mut Vec<FieldViolation>) {
    if values.len() > 50 {
        violations.push(FieldViolation::new("runtime.env", "at most 50 variables"));
    }
    for (name, value) in values {
        let name_ok = name.len() <= 100
            && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !name_ok {
            violations.push(FieldViolation::new(
                format!("runtime.env[{name}]"),
                "name must be letters, digits and underscores",
            ));
        }
        if value.len() > 4096 || value.contains('\0') {
            violations
                .push(FieldViolation::new(format!("runtime.env[{name}]"), "value must be at most 4 KiB without NUL"));
        }
    }
}

/// Labels: keys and values 1 to 63 of `[a-z0-9_-]`, at most 20.
pub fn labels(field: &str, values: &BTreeMap<String, String>, violations: &mut Vec<FieldViolation>) {
    if values.len() > 20 {
        violations.push(FieldViolation::new(field, "at most 20 labels"));
    }
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    for (key, value) in values {
        if !ok(key) || !ok(value) {
            violations.push(FieldViolation::new(
                format!("{field}[{key}]"),
                "keys and values must be 1 to 63 lowercase letters, digits, _ or -",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dns_label_rules_and_nothing_else() {
        for good in ["a", "shop", "my-shop-2", &format!("a{}", "b".repeat(62))] {
            assert!(SiteName::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "My-Shop",
            "my shop",
            "2shop",
            "shop-",
            &"a".repeat(64),
            "shöp",
            "ѕhop", // Cyrillic dze
            "shop\"",
            "shop'",
            "${var.x}",
            "a${x}",
            "a%{x}",
            "shop\n",
            "shop\r\nx",
            "shop.example",
            "shop_1",
        ] {
            assert!(SiteName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn runtime_values_are_allow_listed() {
        let mut v = Vec::new();
        image("ghcr.io/acme/shop:1.4.2", &mut v);
        image("nginx@sha256:abc123", &mut v);
        assert!(v.is_empty(), "{v:?}");
        for bad in ["", "Nginx", "nginx latest", "nginx\"", "${x}", "nginx;rm"] {
            let mut v = Vec::new();
            image(bad, &mut v);
            assert_eq!(v.len(), 1, "{bad}");
        }
        assert_eq!(port(0, &mut v), 0);
        assert_eq!(port(70000, &mut v), 0);
        assert_eq!(port(8080, &mut Vec::new()), 8080);
    }
}
