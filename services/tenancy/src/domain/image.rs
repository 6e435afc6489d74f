//! Uploaded branding images: the declared type must match the bytes, sizes are
//! capped, and SVGs that could run script are refused.

use canopy_kit::FieldViolation;

/// Largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;
/// Largest favicon accepted.
pub const MAX_FAVICON_BYTES: usize = 64 * 1024;

/// The image types accepted.
pub const ACCEPTED: &[&str] = &["image/png", "image/jpeg", "image/svg+xml", "image/x-icon"];

/// What the bytes are, by signature.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if data.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if data.starts_with(&[0, 0, 1, 0]) {
        Some("image/x-icon")
    } else {
        let text = std::str::from_utf8(data).ok()?;
        let head = text.trim_start_matches('\u{feff}').trim_start();
        let looks_svg = head.starts_with("<svg") || (head.starts_with("<?xml") && text.contains("<svg"));
        looks_svg.then_some("image/svg+xml")
    }
}

/// Checks an upload; returns the content type to store.
pub fn check(max_bytes: usize, declared: &str, data: &[u8], violations: &mut Vec<FieldViolation>) {
    if data.is_empty() {
        violations.push(FieldViolation::new("data", "must not be empty"));
        return;
    }
    if data.len() > max_bytes {
        violations.push(FieldViolation::new("data", format!("is {} bytes; the limit is {max_bytes}", data.len())));
        return;
    }
    if !ACCEPTED.contains(&declared) {
        violations.push(FieldViolation::new("content_type", format!("must be one of {}", ACCEPTED.join(", "))));
        return;
    }
    match sniff(data) {
        None => violations.push(FieldViolation::new("data", "is not a PNG, JPEG, SVG or ICO image")),
        Some(actual) if actual != declared => {
            violations.push(FieldViolation::new("content_type", format!("says {declared} but the data is {actual}")))
        }
        Some("image/svg+xml") if !svg_is_inert(data) => violations.push(FieldViolation::new(
            "data",
            "SVG must not contain scripts, event handlers, external references or embedded HTML",
        )),
        Some(_) => {}
    }
}

/// Refuses anything in an SVG that can run code or fetch: conservative by design
/// (a false refusal costs a re-export; a false accept is stored XSS).
fn svg_is_inert(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data).to_ascii_lowercase();
    let forbidden =
        ["<script", "javascript:", "<foreignobject", "<iframe", "<embed", "<object", "<!entity", "data:text/html"];
    if forbidden.iter().any(|f| text.contains(f)) {
        return false;
    }
    if text.contains("href=\"http") || text.contains("href='http") || text.contains("href=\"//") {
        return false;
    }
    // Event handler attributes: whitespace, "on", letters, optional spaces, "=".
    let bytes = text.as_bytes();
    for i in 1..bytes.len().saturating_sub(3) {
        if bytes[i - 1].is_ascii_whitespace() && bytes[i] == b'o' && bytes[i + 1] == b'n' {
            let mut j = i + 2;
            while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
                j += 1;
            }
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            if j > i + 2 && j < bytes.len() && bytes[j] == b'=' {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_type_must_match_the_bytes() {
        let png = b"\x89PNG\r\n\x1a\nrest".to_vec();
        let mut v = Vec::new();
        check(MAX_LOGO_BYTES, "image/png", &png, &mut v);
        assert!(v.is_empty());
        check(MAX_LOGO_BYTES, "image/jpeg", &png, &mut v);
        assert_eq!(v[0].field, "content_type");
    }

    #[test]
    fn scriptable_svgs_are_refused() {
        for svg in [
            "<svg><script>alert(1)</script></svg>",
            "<svg onload=\"x()\"></svg>",
            "<svg><a href=\"javascript:x()\"/></svg>",
            "<svg><image href=\"http://evil/x.png\"/></svg>",
            "<svg><foreignObject></foreignObject></svg>",
        ] {
            let mut v = Vec::new();
            check(MAX_LOGO_BYTES, "image/svg+xml", svg.as_bytes(), &mut v);
            assert_eq!(v.len(), 1, "{svg}");
        }
        let mut v = Vec::new();
        check(MAX_LOGO_BYTES, "image/svg+xml", b"<svg viewBox=\"0 0 1 1\"><rect width=\"1\"/></svg>", &mut v);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn oversized_images_are_refused() {
        let mut v = Vec::new();
        let big = [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0u8; MAX_FAVICON_BYTES]].concat();
        check(MAX_FAVICON_BYTES, "image/png", &big, &mut v);
        assert_eq!(v[0].field, "data");
    }
}
