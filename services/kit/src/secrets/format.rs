//! The ciphertext format and the associated data it is sealed with. Pure: no I/O, no
//! keys, so it can be property-tested and fuzzed on its own.
//!
//! ```text
//! offset  size  field
//! 0       1     format version (1)
//! 1       16    key id: the data key's owner (tenant UUID; nil UUID for the platform's key)
//! 17      4     data-key version, u32 big-endian
//! 21      12    nonce (96 bits, random per encryption)
//! 33      ≥16   AES-256-GCM ciphertext and tag
//! ```

use uuid::Uuid;

/// The only format version written and read.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes of the header (version, key id, data-key version).
pub const HEADER_LEN: usize = 1 + 16 + 4;
/// Bytes of an AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of an AES-GCM tag.
pub const TAG_LEN: usize = 16;
/// The shortest valid ciphertext (an empty plaintext).
pub const MIN_LEN: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;

/// Separates these associated data from any other use of the same keys.
const AAD_DOMAIN: &[u8] = b"canopy.secrets.v1";

/// Why bytes are not a ciphertext of this format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("ciphertext is {0} bytes, shorter than the {MIN_LEN} of the smallest")]
    TooShort(usize),
    #[error("ciphertext format version {0} is not supported (expected {FORMAT_VERSION})")]
    UnknownVersion(u8),
    #[error("ciphertext names data-key version 0, which never exists")]
    ZeroKeyVersion,
}

/// A parsed ciphertext: header fields, nonce and sealed bytes (ciphertext and tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ciphertext {
    /// The data key's owner; [`Uuid::nil`] for the platform's key.
    pub key_id: Uuid,
    /// The data key's version (1 or more).
    pub key_version: u32,
    pub nonce: [u8; NONCE_LEN],
    /// AES-256-GCM output: ciphertext then the 16-byte tag.
    pub sealed: Vec<u8>,
}

impl Ciphertext {
    /// Reads `bytes`; never panics, whatever they are.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        if bytes.len() < MIN_LEN {
            return Err(FormatError::TooShort(bytes.len()));
        }
        let (header, rest) = bytes.split_at(HEADER_LEN);
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let [version, key_id @ .., v0, v1, v2, v3] = header else {
            return Err(FormatError::TooShort(bytes.len()));
        };
        if *version != FORMAT_VERSION {
            return Err(FormatError::UnknownVersion(*version));
        }
        let key_id = Uuid::from_slice(key_id).map_err(|_| FormatError::TooShort(bytes.len()))?;
        let key_version = u32::from_be_bytes([*v0, *v1, *v2, *v3]);
        if key_version == 0 {
            return Err(FormatError::ZeroKeyVersion);
        }
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| FormatError::TooShort(bytes.len()))?;
        Ok(Self { key_id, key_version, nonce, sealed: sealed.to_vec() })
    }

    /// The bytes [`Ciphertext::parse`] reads back.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER_LEN + NONCE_LEN + self.sealed.len());
        bytes.extend_from_slice(&header(self.key_id, self.key_version));
        bytes.extend_from_slice(&self.nonce);
        bytes.extend_from_slice(&self.sealed);
        bytes
    }

    /// The data-key version a stored ciphertext names, without parsing the rest (the
    /// rotation pass's SQL reads the same 4 bytes: `substring(c from 18 for 4)`).
    pub fn key_version_of(bytes: &[u8]) -> Option<u32> {
        let version: [u8; 4] = bytes.get(17..21)?.try_into().ok()?;
        Some(u32::from_be_bytes(version))
    }
}

fn header(key_id: Uuid, key_version: u32) -> [u8; HEADER_LEN] {
    let mut header = [0u8; HEADER_LEN];
    header[0] = FORMAT_VERSION;
    header[1..17].copy_from_slice(key_id.as_bytes());
    header[17..].copy_from_slice(&key_version.to_be_bytes());
    header
}

/// Where a ciphertext belongs: the tenant, table, record and column it was written
/// for. Sealed into the associated data, so a ciphertext copied anywhere else does
/// not decrypt.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Binding {
    /// The owning tenant; `None` for platform data (sealed under the platform's key).
    pub tenant: Option<Uuid>,
    /// The table, unqualified (`api_key`).
    pub table: &'static str,
    /// The record's id as text (the primary key, without the tenant).
    pub record: String,
    /// The column (`secret`).
    pub column: &'static str,
}

impl Binding {
    /// A tenant's value.
    pub fn tenant(tenant: Uuid, table: &'static str, record: impl Into<String>, column: &'static str) -> Self {
        Self { tenant: Some(tenant), table, record: record.into(), column }
    }

    /// A platform value (no tenant).
    pub fn platform(table: &'static str, record: impl Into<String>, column: &'static str) -> Self {
        Self { tenant: None, table, record: record.into(), column }
    }

    /// The key id of the data key sealing this binding's values.
    pub fn key_id(&self) -> Uuid {
        self.tenant.unwrap_or(Uuid::nil())
    }
}

/// The associated data of a ciphertext with `key_id`/`key_version` for `binding`:
/// the domain, the header and every binding field, each length-prefixed (u32 BE) so
/// no two different inputs encode alike.
pub fn associated_data(key_id: Uuid, key_version: u32, binding: &Binding) -> Vec<u8> {
    let tenant = binding.tenant.map(|t| t.as_bytes().to_vec()).unwrap_or_default();
    let fields: [&[u8]; 6] = [
        AAD_DOMAIN,
        &header(key_id, key_version),
        &tenant,
        binding.table.as_bytes(),
        binding.record.as_bytes(),
        binding.column.as_bytes(),
    ];
    let mut aad = Vec::with_capacity(fields.iter().map(|f| f.len() + 4).sum());
    for field in fields {
        // A field over 4 GiB cannot reach here (records and names are short).
        aad.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes());
        aad.extend_from_slice(field);
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ciphertext_round_trips_and_its_version_is_read_in_place() {
        let ciphertext =
            Ciphertext { key_id: Uuid::new_v4(), key_version: 7, nonce: [3; NONCE_LEN], sealed: vec![9; TAG_LEN + 2] };
        let bytes = ciphertext.encode();
        assert_eq!(Ciphertext::parse(&bytes).unwrap(), ciphertext);
        assert_eq!(Ciphertext::key_version_of(&bytes), Some(7));
        assert_eq!(Ciphertext::parse(&bytes[..MIN_LEN - 1]), Err(FormatError::TooShort(MIN_LEN - 1)));
    }

    #[test]
    fn associated_data_cannot_be_shifted_between_fields() {
        let id = Uuid::nil();
        let a = Binding::platform("ab", "c", "d");
        let b = Binding::platform("a", "bc", "d");
        assert_ne!(associated_data(id, 1, &a), associated_data(id, 1, &b));
    }
}
