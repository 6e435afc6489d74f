//! Portal domains: a fully qualified host name, never a wildcard or an IP literal.

/// Why a host name is refused.
pub fn check(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 253 {
        return Err("must be a host name of 1 to 253 characters");
    }
    if name.contains('*') {
        return Err("must not be a wildcard");
    }
    if name.parse::<std::net::IpAddr>().is_ok() || name.starts_with('[') {
        return Err("must be a host name, not an IP address");
    }
    if name.contains(':') || name.contains('/') {
        return Err("must be a bare host name, without port or path");
    }
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    if labels.len() < 2 {
        return Err("must be a fully qualified name such as portal.example.com");
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err("each label must be 1 to 63 letters, digits or hyphens, not starting or ending with a hyphen");
        }
    }
    // An all-numeric top-level label is what dotted IPv4 variants look like.
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Err("must be a host name, not an IP address");
    }
    Ok(())
}

/// The stored form: lowercase, no trailing dot.
pub fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_host_names() {
        for good in ["portal.example.com", "a.co", "xn--bcher-kva.example", "my-portal.agency.io"] {
            assert_eq!(check(good), Ok(()), "{good}");
        }
    }

    #[test]
    fn refuses_wildcards_ip_literals_and_junk() {
        for bad in [
            "*.example.com",
            "127.0.0.1",
            "::1",
            "[::1]",
            "10.0.0.1.",
            "1.2.3",
            "localhost",
            "portal.example.com:443",
            "http://portal.example.com",
            "-a.example.com",
            "a..example.com",
            "exa mple.com",
            "",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
