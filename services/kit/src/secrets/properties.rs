//! Property tests of the ciphertext format and its associated data: a value opens
//! only with the same data key, binding and header, byte for byte.

use proptest::prelude::*;
use secrecy::{ExposeSecret as _, SecretSlice};
use uuid::Uuid;

use super::format::{Binding, Ciphertext};
use super::{open, seal};

const TABLES: [&str; 2] = ["api_key", "webhook"];
const COLUMNS: [&str; 2] = ["secret", "token"];

fn binding() -> impl Strategy<Value = Binding> {
    (proptest::option::of(any::<[u8; 16]>()), 0..2usize, "[a-z0-9-]{0,12}", 0..2usize).prop_map(
        |(tenant, table, record, column)| Binding {
            tenant: tenant.map(Uuid::from_bytes),
            table: TABLES[table],
            record,
            column: COLUMNS[column],
        },
    )
}

fn opens(key: &SecretSlice<u8>, binding: &Binding, bytes: &[u8]) -> Option<Vec<u8>> {
    let parsed = Ciphertext::parse(bytes).ok()?;
    // What `Secrets::decrypt` checks before opening.
    if parsed.key_id != binding.key_id() {
        return None;
    }
    open(key, binding, &parsed).ok().map(|p| p.expose_secret().to_vec())
}

proptest! {
    #[test]
    fn a_value_round_trips(key in any::<[u8; 32]>(), version in 1..u32::MAX, binding in binding(),
                           plaintext in proptest::collection::vec(any::<u8>(), 0..200)) {
        let key = SecretSlice::from(key.to_vec());
        let bytes = seal(&key, version, &binding, &plaintext).unwrap();
        prop_assert_eq!(Ciphertext::parse(&bytes).unwrap().encode(), bytes.clone());
        prop_assert_eq!(opens(&key, &binding, &bytes), Some(plaintext));
    }

    #[test]
    fn any_flipped_bit_is_refused(key in any::<[u8; 32]>(), binding in binding(),
                                  plaintext in proptest::collection::vec(any::<u8>(), 0..64), bit in any::<usize>()) {
        let key = SecretSlice::from(key.to_vec());
        let mut bytes = seal(&key, 1, &binding, &plaintext).unwrap();
        let bit = bit % (bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        prop_assert_eq!(opens(&key, &binding, &bytes), None);
    }

    #[test]
    fn any_truncation_is_refused(key in any::<[u8; 32]>(), binding in binding(),
                                 plaintext in proptest::collection::vec(any::<u8>(), 0..64), cut in any::<usize>()) {
        let key = SecretSlice::from(key.to_vec());
        let bytes = seal(&key, 1, &binding, &plaintext).unwrap();
        let cut = cut % bytes.len();
        prop_assert_eq!(opens(&key, &binding, &bytes[..cut]), None);
    }

    #[test]
    fn another_binding_is_refused(key in any::<[u8; 32]>(), binding in binding(), other in binding(),
                                  plaintext in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assume!(binding != other);
        let key = SecretSlice::from(key.to_vec());
        let bytes = seal(&key, 1, &binding, &plaintext).unwrap();
        prop_assert_eq!(opens(&key, &other, &bytes), None);
    }

    #[test]
    fn another_key_version_in_the_header_is_refused(key in any::<[u8; 32]>(), binding in binding(),
                                                    version in 1..1000u32, other in 1..1000u32) {
        prop_assume!(version != other);
        let key = SecretSlice::from(key.to_vec());
        let bytes = seal(&key, version, &binding, b"s3cret").unwrap();
        let mut parsed = Ciphertext::parse(&bytes).unwrap();
        parsed.key_version = other;
        prop_assert_eq!(opens(&key, &binding, &parsed.encode()), None);
    }

    #[test]
    fn parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        let _ = Ciphertext::parse(&bytes);
        let _ = Ciphertext::key_version_of(&bytes);
    }
}
