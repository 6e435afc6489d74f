//! Email addresses: a conservative subset of RFC 5322 (`dot-atom@domain`, ASCII
//! only), at most 254 characters. Addresses are stored as given and compared in
//! lowercase, so `Ann@Example.com` and `ann@example.com` are the same account.

/// The longest address SMTP can carry (RFC 5321 path limit minus the brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
const MAX_LOCAL_PART_CHARS: usize = 64;
const MAX_LABEL_CHARS: usize = 63;

/// A syntactically valid email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses `raw`; the error says what is wrong, for a field violation.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.is_empty() {
            return Err("is required");
        }
        if raw.chars().count() > MAX_EMAIL_CHARS {
            return Err("must be at most 254 characters");
        }
        let Some((local, domain)) = raw.rsplit_once('@') else {
            return Err("must be an email address like name@example.com");
        };
        if !is_dot_atom(local, MAX_LOCAL_PART_CHARS) || !is_domain(domain) {
            return Err("must be an email address like name@example.com");
        }
        Ok(Self(raw.to_string()))
    }

    /// The address as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form addresses are compared in.
    pub fn normalized(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

fn is_atext(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&byte)
}

fn is_dot_atom(text: &str, max: usize) -> bool {
    !text.is_empty() && text.len() <= max && text.split('.').all(|atom| !atom.is_empty() && atom.bytes().all(is_atext))
}

fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= MAX_LABEL_CHARS
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let top_level_ok = labels.last().is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()));
    labels.len() >= 2 && labels.iter().all(label_ok) && top_level_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_parse_and_compare_in_lowercase() {
        for ok in ["ann@example.com", "Ann.Lee+tag@Mail.Example.CO.uk", "o'brien@example.ie", "x@a-b.io"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Email::parse("Ann@Example.COM").unwrap().normalized(), "ann@example.com");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann..lee@example.com",
            ".ann@example.com",
            "ann@-example.com",
            "ann@example..com",
            "ann lee@example.com",
            "ann@exa mple.com",
            "ann@example.123",
            "anné@example.com",
            "ann@@example.com",
            "<ann@example.com>",
            long.as_str(),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
