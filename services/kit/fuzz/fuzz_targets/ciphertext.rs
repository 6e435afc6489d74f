//! `Ciphertext::parse` on arbitrary bytes: never panics, and what it accepts encodes
//! back to the same bytes; associated data builds for any parsed header.
#![no_main]

#[allow(dead_code)]
#[path = "../../src/secrets/format.rs"]
mod format;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = format::Ciphertext::parse(data) {
        assert_eq!(parsed.encode(), data);
        assert_eq!(format::Ciphertext::key_version_of(data), Some(parsed.key_version));
        let binding = format::Binding::platform("t", String::from_utf8_lossy(&parsed.sealed).into_owned(), "c");
        let _ = format::associated_data(parsed.key_id, parsed.key_version, &binding);
    }
});
