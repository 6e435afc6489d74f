//! `canopy-audit-verify`: checks an audit export (JSON Lines, from
//! `ExportAuditEvents`) offline, without Canopy.
//!
//! ```text
//! canopy-audit-verify --public-key <base64> export.jsonl
//! ```
//!
//! The public key is `GetCheckpointKey`'s answer, obtained out of band (the export's
//! header carries it too, but a key taken from the file proves only that the file is
//! consistent with itself; `--trust-file-key` accepts that, saying so). Every entry's
//! hash is recomputed, every link checked, every checkpoint's signature verified and
//! compared with the entry it covers. An export of whole chains (`"complete": true`)
//! must also have no gaps, and no checkpoint beyond its last entry.
//!
//! Exit status: 0 verified, 1 a problem (named: chain, entry, what), 2 bad usage or
//! an unreadable file.

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::process::ExitCode;

use base64::Engine as _;
use canopy_audit::chain::{ChainVerifier, Checkpoint, Entry, Problem, entry_hash};
use ed25519_dalek::VerifyingKey;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Line {
    Export { public_key: String, complete: bool },
    Entry { chain: String, sequence: i64, previous_hash: String, hash: String, body: String },
    Checkpoint { chain: String, tree_size: i64, head_hash: String, signed_at: String, signature: String },
}

#[derive(Default)]
struct Chain {
    entries: Vec<Entry>,
    checkpoints: Vec<Checkpoint>,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut key_text = None;
    let mut trust_file_key = false;
    let mut path = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--public-key" => key_text = args.next(),
            "--trust-file-key" => trust_file_key = true,
            "-h" | "--help" => {
                println!("usage: canopy-audit-verify (--public-key <base64> | --trust-file-key) <export.jsonl | ->");
                return ExitCode::SUCCESS;
            }
            _ if path.is_none() => path = Some(arg),
            other => return usage(&format!("unexpected argument {other:?}")),
        }
    }
    let Some(path) = path else { return usage("name the export file (or - for standard input)") };
    let reader: Box<dyn std::io::BufRead> = if path == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(&path) {
            Ok(file) => Box::new(std::io::BufReader::new(file)),
            Err(error) => return usage(&format!("{path}: {error}")),
        }
    };

    let mut header = None;
    let mut chains: BTreeMap<String, Chain> = BTreeMap::new();
    for (number, line) in reader.lines().enumerate() {
        let line = match line {
            Ok(line) => line,
            Err(error) => return usage(&format!("{path}: line {}: {error}", number + 1)),
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Line>(&line) {
            Ok(Line::Export { public_key, complete }) => header = Some((public_key, complete)),
            Ok(Line::Entry { chain, sequence, previous_hash, hash, body }) => {
                chains.entry(chain).or_default().entries.push(Entry { sequence, previous_hash, hash, body });
            }
            Ok(Line::Checkpoint { chain, tree_size, head_hash, signed_at, signature }) => {
                let checkpoint = Checkpoint { chain: chain.clone(), tree_size, head_hash, signed_at, signature };
                chains.entry(chain).or_default().checkpoints.push(checkpoint);
            }
            Err(error) => return usage(&format!("{path}: line {} is not an export line: {error}", number + 1)),
        }
    }
    let Some((file_key, complete)) = header else { return usage(&format!("{path}: no export header line")) };
    let key_text = match (key_text, trust_file_key) {
        (Some(key), _) => key,
        (None, true) => {
            eprintln!("note: using the key in the file; this proves the file consistent, not authentic");
            file_key
        }
        (None, false) => return usage("give --public-key (from GetCheckpointKey), or --trust-file-key"),
    };
    let key = match decode_key(&key_text) {
        Some(key) => key,
        None => return usage("--public-key: not a base64 Ed25519 public key"),
    };

    let (mut entries, mut checkpoints) = (0, 0);
    for (name, mut chain) in chains {
        chain.entries.sort_by_key(|e| e.sequence);
        let result = if complete { verify_whole(&name, &key, &chain) } else { verify_pieces(&name, &key, &chain) };
        match result {
            Ok((e, c)) => {
                entries += e;
                checkpoints += c;
            }
            Err(problem) => {
                println!("NOT VERIFIED: chain {name}: {problem}");
                return ExitCode::from(1);
            }
        }
    }
    println!(
        "verified: {entries} entries and {checkpoints} checkpoints{}",
        if complete { " (complete chains)" } else { " (a filtered export: links checked where entries are adjacent)" }
    );
    ExitCode::SUCCESS
}

/// Whole chains: every link, no gaps, every checkpoint.
fn verify_whole(name: &str, key: &VerifyingKey, chain: &Chain) -> Result<(i64, i64), Problem> {
    let mut verifier = ChainVerifier::new(name, key, chain.checkpoints.clone())?;
    for entry in &chain.entries {
        verifier.feed(entry)?;
    }
    verifier.finish(None)?;
    Ok((verifier.entries_checked, verifier.checkpoints_checked))
}

/// A filtered export: each entry's own hash, links between adjacent entries, and the
/// checkpoints whose entry is present.
fn verify_pieces(name: &str, key: &VerifyingKey, chain: &Chain) -> Result<(i64, i64), Problem> {
    let by_size: BTreeMap<i64, &Checkpoint> = chain.checkpoints.iter().map(|c| (c.tree_size, c)).collect();
    let mut checked_checkpoints = 0;
    for checkpoint in &chain.checkpoints {
        if checkpoint.chain != name || !checkpoint.signature_holds(key) {
            return Err(Problem {
                sequence: checkpoint.tree_size,
                description: "its checkpoint's signature does not verify".into(),
            });
        }
    }
    let mut previous: Option<&Entry> = None;
    for entry in &chain.entries {
        let bad = |description: &str| Problem { sequence: entry.sequence, description: description.into() };
        if entry_hash(name, entry.sequence, &entry.previous_hash, &entry.body) != entry.hash {
            return Err(bad("stored hash does not match its content"));
        }
        if let Some(previous) = previous
            && previous.sequence + 1 == entry.sequence
            && previous.hash != entry.previous_hash
        {
            return Err(bad("does not link to the entry before it (previous hash differs)"));
        }
        if let Some(checkpoint) = by_size.get(&entry.sequence) {
            if checkpoint.head_hash != entry.hash {
                return Err(bad("differs from its signed checkpoint"));
            }
            checked_checkpoints += 1;
        }
        previous = Some(entry);
    }
    Ok((chain.entries.len() as i64, checked_checkpoints))
}

fn decode_key(text: &str) -> Option<VerifyingKey> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim()).ok()?;
    VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
}

fn usage(message: &str) -> ExitCode {
    eprintln!("canopy-audit-verify: {message}");
    ExitCode::from(2)
}
