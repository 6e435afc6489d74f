//! The hash chain and its checkpoints, as the service writes them and as anyone can
//! check them (the offline verifier shares this module). No I/O here.
//!
//! * An entry's **body** is the canonical JSON of its record (fields in a fixed
//!   order, [`Body`]); it is stored verbatim, so the bytes hashed are the bytes kept.
//! * `hash = SHA-256("canopy-audit-v1\n" ‖ chain ‖ "\n" ‖ sequence ‖ "\n" ‖ previous_hash ‖ "\n" ‖ body)`,
//!   lowercase hex; the first entry's previous hash is 64 zeros. `chain` is `platform`
//!   or the customer's id.
//! * A **checkpoint** signs (Ed25519) `"canopy-audit-checkpoint-v1\n" ‖ chain ‖ "\n" ‖
//!   tree_size ‖ "\n" ‖ head_hash ‖ "\n" ‖ signed_at` (RFC 3339, microseconds, `Z`):
//!   the chain had `tree_size` entries and the last one's hash was `head_hash`.

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The previous hash of a chain's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The platform's chain (events of no customer).
pub const PLATFORM_CHAIN: &str = "platform";

/// The canonical body of an entry. Field order is the serialisation order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Body {
    pub id: String,
    pub chain: String,
    pub customer_id: String,
    pub kind: String,
    pub action: String,
    pub service: String,
    pub actor: BodyActor,
    pub resource_ids: Vec<String>,
    pub outcome: BodyOutcome,
    pub origin_address: String,
    pub user_agent: String,
    pub trace_id: String,
    /// RFC 3339 with nanoseconds, `Z`.
    pub occurred_at: String,
    pub summary: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BodyActor {
    pub kind: String,
    pub id: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BodyOutcome {
    pub code: String,
    pub reason: String,
}

impl Body {
    /// The exact text hashed and stored.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("a body serialises")
    }
}

/// An entry's hash.
pub fn entry_hash(chain: &str, sequence: i64, previous_hash: &str, body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"canopy-audit-v1\n");
    hasher.update(chain.as_bytes());
    hasher.update(b"\n");
    hasher.update(sequence.to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(previous_hash.as_bytes());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

/// A signed statement of a chain's size and head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub chain: String,
    pub tree_size: i64,
    pub head_hash: String,
    /// RFC 3339, microseconds, `Z`.
    pub signed_at: String,
    /// Ed25519 signature, base64 (standard, padded).
    pub signature: String,
}

/// `time` as checkpoints and bodies write it.
pub fn checkpoint_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn checkpoint_message(chain: &str, tree_size: i64, head_hash: &str, signed_at: &str) -> String {
    format!("canopy-audit-checkpoint-v1\n{chain}\n{tree_size}\n{head_hash}\n{signed_at}")
}

impl Checkpoint {
    /// Signs the chain's state with `key`.
    pub fn sign(key: &SigningKey, chain: &str, tree_size: i64, head_hash: &str, signed_at: DateTime<Utc>) -> Self {
        use base64::Engine as _;
        let signed_at = checkpoint_time(signed_at);
        let signature = key.sign(checkpoint_message(chain, tree_size, head_hash, &signed_at).as_bytes());
        Self {
            chain: chain.to_string(),
            tree_size,
            head_hash: head_hash.to_string(),
            signed_at,
            signature: base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()),
        }
    }

    /// Whether `key` signed exactly this statement.
    pub fn signature_holds(&self, key: &VerifyingKey) -> bool {
        use base64::Engine as _;
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&self.signature) else { return false };
        let Ok(signature) = Signature::from_slice(&bytes) else { return false };
        let message = checkpoint_message(&self.chain, self.tree_size, &self.head_hash, &self.signed_at);
        key.verify(message.as_bytes(), &signature).is_ok()
    }
}

/// One stored entry, as verification sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub sequence: i64,
    pub previous_hash: String,
    pub hash: String,
    pub body: String,
}

/// Why a chain did not verify, naming the first bad entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub sequence: i64,
    pub description: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry {}: {}", self.sequence, self.description)
    }
}

/// Walks one chain's entries in sequence order and checks every link, hash and
/// checkpoint; stops at the first problem.
#[derive(Debug)]
pub struct ChainVerifier<'a> {
    chain: String,
    key: &'a VerifyingKey,
    /// Checkpoints by tree size, signatures not yet checked.
    checkpoints: std::collections::BTreeMap<i64, Checkpoint>,
    /// The next sequence expected and the hash it must link to (`None` until the
    /// first entry, which may start anywhere only if a checkpoint anchors it).
    expected: Option<(i64, String)>,
    pub entries_checked: i64,
    pub checkpoints_checked: i64,
}

impl<'a> ChainVerifier<'a> {
    /// Checks every checkpoint's signature first: a forged or altered checkpoint is a
    /// problem at its tree size.
    pub fn new(chain: &str, key: &'a VerifyingKey, checkpoints: Vec<Checkpoint>) -> Result<Self, Problem> {
        let mut by_size = std::collections::BTreeMap::new();
        for checkpoint in checkpoints {
            if checkpoint.chain != chain || !checkpoint.signature_holds(key) {
                return Err(Problem {
                    sequence: checkpoint.tree_size,
                    description: "its checkpoint's signature does not verify".into(),
                });
            }
            by_size.insert(checkpoint.tree_size, checkpoint);
        }
        Ok(Self {
            chain: chain.to_string(),
            key,
            checkpoints: by_size,
            expected: None,
            entries_checked: 0,
            checkpoints_checked: 0,
        })
    }

    /// Where verification starts: after `sequence` whose hash was `hash` (the entry
    /// before the range, or an anchoring checkpoint), or at 1 from the genesis.
    pub fn start_after(&mut self, sequence: i64, hash: &str) {
        self.expected = Some((sequence + 1, hash.to_string()));
    }

    /// The public key in use.
    pub fn key(&self) -> &VerifyingKey {
        self.key
    }

    /// Checks the next entry.
    pub fn feed(&mut self, entry: &Entry) -> Result<(), Problem> {
        let bad = |description: String| Problem { sequence: entry.sequence, description };
        let (expected_sequence, expected_previous) = match self.expected.take() {
            Some(expected) => expected,
            None if entry.sequence == 1 => (1, GENESIS_HASH.to_string()),
            None => match self.checkpoints.get(&(entry.sequence - 1)) {
                // Retention purged what came before; the kept checkpoint anchors the rest.
                Some(anchor) => (entry.sequence, anchor.head_hash.clone()),
                None => {
                    return Err(Problem {
                        sequence: entry.sequence - 1,
                        description: "is missing, and no checkpoint anchors the entries after it".into(),
                    });
                }
            },
        };
        if entry.sequence > expected_sequence {
            return Err(Problem { sequence: expected_sequence, description: "is missing".into() });
        }
        if entry.sequence < expected_sequence {
            return Err(bad(format!("appears again after entry {}", expected_sequence - 1)));
        }
        if entry.previous_hash != expected_previous {
            return Err(bad("does not link to the entry before it (previous hash differs)".into()));
        }
        let computed = entry_hash(&self.chain, entry.sequence, &entry.previous_hash, &entry.body);
        if computed != entry.hash {
            return Err(bad("stored hash does not match its content".into()));
        }
        if let Some(checkpoint) = self.checkpoints.get(&entry.sequence) {
            if checkpoint.head_hash != entry.hash {
                return Err(bad(format!("differs from the checkpoint signed at {}", checkpoint.signed_at)));
            }
            self.checkpoints_checked += 1;
        }
        self.entries_checked += 1;
        self.expected = Some((entry.sequence + 1, entry.hash.clone()));
        Ok(())
    }

    /// After the last entry: a checkpoint beyond it means entries at the end were removed.
    pub fn finish(&self, complete_to: Option<i64>) -> Result<(), Problem> {
        let next = self.expected.as_ref().map_or(1, |(sequence, _)| *sequence);
        let limit = complete_to.unwrap_or(i64::MAX);
        if self.checkpoints.range(next..=limit).next().is_some() {
            return Err(Problem { sequence: next, description: "is missing (a checkpoint covers it)".into() });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain_of(n: i64) -> Vec<Entry> {
        let mut previous = GENESIS_HASH.to_string();
        (1..=n)
            .map(|sequence| {
                let body = format!("{{\"n\":{sequence}}}");
                let hash = entry_hash("platform", sequence, &previous, &body);
                let entry = Entry { sequence, previous_hash: previous.clone(), hash: hash.clone(), body };
                previous = hash;
                entry
            })
            .collect()
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn verify(entries: &[Entry], checkpoints: Vec<Checkpoint>) -> Result<(), Problem> {
        let key = key();
        let public = key.verifying_key();
        let mut verifier = ChainVerifier::new("platform", &public, checkpoints)?;
        for entry in entries {
            verifier.feed(entry)?;
        }
        verifier.finish(None)
    }

    #[test]
    fn an_untouched_chain_verifies_and_every_kind_of_edit_names_its_entry() {
        let entries = chain_of(5);
        let checkpoint = Checkpoint::sign(&key(), "platform", 5, &entries[4].hash, Utc::now());
        assert_eq!(verify(&entries, vec![checkpoint.clone()]), Ok(()));

        let mut edited = entries.clone();
        edited[2].body = edited[2].body.replace('3', "9");
        assert_eq!(verify(&edited, vec![]).unwrap_err().sequence, 3);

        // Rehashing the edited entry breaks the next link instead.
        edited[2].hash = entry_hash("platform", 3, &edited[2].previous_hash, &edited[2].body);
        assert_eq!(verify(&edited, vec![]).unwrap_err().sequence, 4);

        // Rehashing everything after it is caught by the checkpoint.
        let mut rewritten = edited.clone();
        for i in 3..5 {
            rewritten[i].previous_hash = rewritten[i - 1].hash.clone();
            rewritten[i].hash =
                entry_hash("platform", rewritten[i].sequence, &rewritten[i].previous_hash, &rewritten[i].body);
        }
        assert_eq!(verify(&rewritten, vec![]), Ok(()), "without a checkpoint a full rewrite is consistent");
        assert_eq!(verify(&rewritten, vec![checkpoint.clone()]).unwrap_err().sequence, 5);

        let mut deleted = entries.clone();
        deleted.remove(1);
        assert_eq!(verify(&deleted, vec![]).unwrap_err(), Problem { sequence: 2, description: "is missing".into() });

        let truncated = &entries[..3];
        assert_eq!(verify(truncated, vec![checkpoint.clone()]).unwrap_err().sequence, 4);

        let mut forged = checkpoint.clone();
        forged.tree_size = 4;
        assert!(verify(&entries, vec![forged]).unwrap_err().description.contains("signature"));
    }

    #[test]
    fn a_purged_prefix_verifies_from_the_checkpoint_kept() {
        let entries = chain_of(6);
        let anchor = Checkpoint::sign(&key(), "platform", 3, &entries[2].hash, Utc::now());
        assert_eq!(verify(&entries[3..], vec![anchor]), Ok(()));
        assert_eq!(verify(&entries[3..], vec![]).unwrap_err().sequence, 3);
    }
}
