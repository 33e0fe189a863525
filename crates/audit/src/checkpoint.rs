//! Checkpoints as C2SP signed notes (`c2sp.org/signed-note`,
//! `c2sp.org/tlog-checkpoint`): origin, tree size and Merkle root, signed
//! with Ed25519 under a key named by the origin.
//!
//! A chain's checkpoint names its chain in an extension line (`chain 3`);
//! chain 0's has none, so the checkpoints of a log written before it was
//! split still read as chain 0's. A combined checkpoint lists every chain's
//! head, one extension line each (`chain 3 1200 <root>`), under the total
//! number of entries and a hash over those lines.

use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::Chain;
use crate::hash::Hash;

/// A verified checkpoint: the log had `size` entries with Merkle root `root`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name, the first line of the note.
    pub origin: String,
    /// Entries in the log when it was signed.
    pub size: u64,
    /// Merkle root over those entries.
    pub root: Hash,
    /// The chain it is of.
    pub chain: Chain,
}

/// A verified combined checkpoint: every chain's head at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Combined {
    /// Entries in all chains together.
    pub total: u64,
    /// Each chain's checkpoint, in chain order; a chain without entries is absent.
    pub heads: Vec<Checkpoint>,
}

impl Combined {
    /// The head it holds for `chain`, if any.
    pub fn head(&self, chain: Chain) -> Option<&Checkpoint> {
        self.heads.iter().find(|head| head.chain == chain)
    }
}

/// Why a checkpoint could not be made, read or checked.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum CheckpointError {
    #[error("checkpoint is not a signed note: {0}")]
    Malformed(&'static str),
    #[error("checkpoint is for log `{found}`, expected `{expected}`")]
    WrongOrigin { expected: String, found: String },
    #[error("checkpoint carries no signature by key `{0}`")]
    NoSignature(String),
    #[error("checkpoint signature does not verify: the note was changed or signed by another key")]
    BadSignature,
}

/// The signed notes in `text` — a witness file, notes one after another —
/// in file order; the caller verifies them.
pub fn split_notes(text: &str) -> Vec<&str> {
    // Each range starts and ends at a line's start, so on a character's.
    note_ranges(text.as_bytes()).into_iter().map(|range| &text[range]).collect()
}

/// Where each signed note in `bytes` lies, as [`split_notes`] splits text.
/// Bytes read from a file need not be whole text: a note cut off, or one
/// whose bytes are not UTF-8, is a range that does not verify.
pub fn note_ranges(bytes: &[u8]) -> Vec<Range<usize>> {
    let mut notes = Vec::new();
    let (mut start, mut in_signatures, mut offset) = (0, false, 0);
    for line in bytes.split_inclusive(|byte| *byte == b'\n') {
        if in_signatures && !line.starts_with("\u{2014}".as_bytes()) {
            notes.push(start..offset);
            (start, in_signatures) = (offset, false);
        }
        if line == b"\n" {
            in_signatures = true;
        }
        offset += line.len();
    }
    if start < bytes.len() {
        notes.push(start..bytes.len());
    }
    notes
}

/// The 4-byte key id of signed notes: SHA-256(name || "\n" || 0x01 || key).
fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([0x01]);
    h.update(key.as_bytes());
    let digest = h.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// Signs checkpoints of one log with the node's Ed25519 key.
#[derive(Debug)]
pub struct CheckpointSigner {
    origin: String,
    key: SigningKey,
}

impl CheckpointSigner {
    /// A signer for the log named `origin`.
    pub fn new(origin: impl Into<String>, key: SigningKey) -> Self {
        CheckpointSigner { origin: origin.into(), key }
    }

    /// The verifier for the notes this signer makes.
    pub fn verifier(&self) -> CheckpointVerifier {
        CheckpointVerifier { origin: self.origin.clone(), key: self.key.verifying_key() }
    }

    /// The signed note for `chain` at `size` entries with Merkle root `root`.
    pub fn sign(&self, chain: Chain, size: u64, root: &Hash) -> String {
        let extension = if chain == Chain::default() { String::new() } else { format!("chain {}\n", chain.number()) };
        self.sign_body(&format!("{}\n{}\n{}\n{extension}", self.origin, size, BASE64.encode(root.0)))
    }

    /// The signed note over the chains' checkpoints `heads` (given in any order).
    pub fn sign_combined(&self, heads: &[Checkpoint]) -> String {
        let mut heads: Vec<&Checkpoint> = heads.iter().collect();
        heads.sort_by_key(|head| head.chain);
        let lines: String = heads.iter().map(|head| format!("chain {} {} {}\n", head.chain.number(), head.size, BASE64.encode(head.root.0))).collect();
        let total: u64 = heads.iter().map(|head| head.size).sum();
        self.sign_body(&format!("{}\n{}\n{}\n{lines}", self.origin, total, BASE64.encode(lines_hash(&lines).0)))
    }

    fn sign_body(&self, body: &str) -> String {
        let signature = self.key.sign(body.as_bytes());
        let mut blob = key_id(&self.origin, &self.key.verifying_key()).to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        format!("{body}\n\u{2014} {} {}\n", self.origin, BASE64.encode(blob))
    }
}

/// Checks signed notes of one log against its public key.
#[derive(Clone, Debug)]
pub struct CheckpointVerifier {
    origin: String,
    key: VerifyingKey,
}

impl CheckpointVerifier {
    /// A verifier for the log named `origin`.
    pub fn new(origin: impl Into<String>, key: VerifyingKey) -> Self {
        CheckpointVerifier { origin: origin.into(), key }
    }

    /// The public key as a signed-note verifier key
    /// (`origin+keyid+base64(0x01 || key)`), for whoever checks the log
    /// without the power to sign it.
    pub fn to_vkey(&self) -> String {
        let mut encoded = vec![0x01];
        encoded.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.origin, hex::encode(key_id(&self.origin, &self.key)), BASE64.encode(encoded))
    }

    /// Reads what [`CheckpointVerifier::to_vkey`] wrote.
    pub fn from_vkey(text: &str) -> Result<Self, CheckpointError> {
        let malformed = CheckpointError::Malformed("not a verifier key: expected origin+keyid+base64 key");
        // Names cannot hold a `+`; the base64 key can.
        let mut parts = text.trim().splitn(3, '+');
        let (Some(origin), Some(id), Some(encoded)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(malformed);
        };
        let bytes = BASE64.decode(encoded).map_err(|_| malformed.clone())?;
        let key = match bytes.split_first() {
            Some((0x01, key)) => key.try_into().ok().and_then(|key: [u8; 32]| VerifyingKey::from_bytes(&key).ok()),
            _ => None,
        }
        .ok_or(malformed.clone())?;
        if hex::encode(key_id(origin, &key)) != id {
            return Err(CheckpointError::Malformed("the verifier key's id does not match its key"));
        }
        Ok(CheckpointVerifier::new(origin, key))
    }

    /// Reads a signed note, checking its origin and signature.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, CheckpointError> {
        let (mut checkpoint, extensions) = self.open(note)?;
        match extensions.as_slice() {
            [] => {}
            [line] => checkpoint.chain = chain_line(line).ok_or(CheckpointError::Malformed("the fourth line is not `chain N`"))?,
            _ => return Err(CheckpointError::Malformed("a combined checkpoint, not one chain's")),
        }
        Ok(checkpoint)
    }

    /// Reads and checks a combined checkpoint. A checkpoint of chain 0 alone
    /// reads as one whose only head is chain 0's: what a witness kept before
    /// the log was split.
    pub fn verify_combined(&self, note: &str) -> Result<Combined, CheckpointError> {
        let (checkpoint, extensions) = self.open(note)?;
        if extensions.is_empty() {
            return Ok(Combined { total: checkpoint.size, heads: vec![checkpoint] });
        }
        let malformed = CheckpointError::Malformed("a line after the root is not `chain N size root`");
        let mut heads: Vec<Checkpoint> = Vec::with_capacity(extensions.len());
        for line in &extensions {
            let mut parts = line.split(' ');
            let (Some("chain"), Some(number), Some(size), Some(root), None) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) else {
                return Err(malformed);
            };
            let chain = number.parse::<u16>().map(Chain::new).map_err(|_| malformed.clone())?;
            let size = size.parse::<u64>().map_err(|_| malformed.clone())?;
            let root = BASE64.decode(root).ok().and_then(|b| Hash::from_slice(&b)).ok_or(malformed.clone())?;
            if heads.last().is_some_and(|last| last.chain >= chain) {
                return Err(CheckpointError::Malformed("the chains are not listed once each, in order"));
            }
            heads.push(Checkpoint { origin: checkpoint.origin.clone(), size, root, chain });
        }
        let lines: String = extensions.iter().map(|line| format!("{line}\n")).collect();
        if checkpoint.root != lines_hash(&lines) || checkpoint.size != heads.iter().map(|head| head.size).sum::<u64>() {
            return Err(CheckpointError::Malformed("the total or the hash does not match the chains listed"));
        }
        Ok(Combined { total: checkpoint.size, heads })
    }

    /// The note's origin, size and root (as a checkpoint of chain 0) and its
    /// extension lines, once its signature is checked.
    fn open(&self, note: &str) -> Result<(Checkpoint, Vec<String>), CheckpointError> {
        let (body, signatures) = note.split_once("\n\n").ok_or(CheckpointError::Malformed("no blank line before the signatures"))?;
        let body = format!("{body}\n");
        let mut lines = body.lines();
        let origin = lines.next().ok_or(CheckpointError::Malformed("no origin line"))?;
        if origin != self.origin {
            return Err(CheckpointError::WrongOrigin { expected: self.origin.clone(), found: origin.to_string() });
        }
        let size = lines.next().and_then(|l| l.parse::<u64>().ok()).ok_or(CheckpointError::Malformed("second line is not a tree size"))?;
        let root = lines
            .next()
            .and_then(|l| BASE64.decode(l).ok())
            .and_then(|b| Hash::from_slice(&b))
            .ok_or(CheckpointError::Malformed("third line is not a base64 SHA-256 root"))?;
        let extensions: Vec<String> = lines.map(str::to_string).collect();

        let id = key_id(&self.origin, &self.key);
        let prefix = format!("\u{2014} {} ", self.origin);
        let blob = signatures
            .lines()
            .filter_map(|l| l.strip_prefix(&prefix))
            .filter_map(|b64| BASE64.decode(b64).ok())
            .find(|blob| blob.len() == 68 && blob[..4] == id)
            .ok_or_else(|| CheckpointError::NoSignature(self.origin.clone()))?;
        let signature = Signature::from_slice(&blob[4..]).map_err(|_| CheckpointError::BadSignature)?;
        self.key.verify(body.as_bytes(), &signature).map_err(|_| CheckpointError::BadSignature)?;
        Ok((Checkpoint { origin: origin.to_string(), size, root, chain: Chain::default() }, extensions))
    }
}

/// `chain N`, a chain checkpoint's extension line.
fn chain_line(line: &str) -> Option<Chain> {
    line.strip_prefix("chain ")?.parse::<u16>().ok().map(Chain::new)
}

/// What a combined checkpoint signs as its root: SHA-256 over its chain lines.
fn lines_hash(lines: &str) -> Hash {
    Hash(Sha256::digest(lines.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    fn signer() -> CheckpointSigner {
        CheckpointSigner::new("grondslag.test/audit", SigningKey::from_bytes(&[7; 32]))
    }

    #[test]
    fn a_signed_checkpoint_verifies_and_a_changed_one_does_not() {
        let signer = signer();
        let note = signer.sign(Chain::default(), 42, &leaf_hash(b"x"));
        let checkpoint = signer.verifier().verify(&note);
        assert_eq!(checkpoint.map(|c| (c.size, c.root)), Ok((42, leaf_hash(b"x"))));

        let forged = note.replacen("\n42\n", "\n41\n", 1);
        assert_eq!(signer.verifier().verify(&forged), Err(CheckpointError::BadSignature));

        let other = CheckpointVerifier::new("grondslag.test/audit", SigningKey::from_bytes(&[8; 32]).verifying_key());
        assert!(matches!(other.verify(&note), Err(CheckpointError::NoSignature(_))));
    }

    #[test]
    fn the_public_key_is_written_and_read_as_a_verifier_key() {
        // Many keys' base64 holds a `+`, the separator of the parts.
        let mut with_plus = 0;
        for seed in 0..64u8 {
            let signer = CheckpointSigner::new("grondslag.test/audit", SigningKey::from_bytes(&[seed; 32]));
            let vkey = signer.verifier().to_vkey();
            with_plus += usize::from(vkey.matches('+').count() > 2);
            let read = CheckpointVerifier::from_vkey(&format!("{vkey}\n")).unwrap();
            assert_eq!(read.verify(&signer.sign(Chain::default(), 3, &leaf_hash(b"y"))).map(|c| c.size), Ok(3), "{vkey}");
            let other_id = vkey.replacen("+", "+00", 1);
            assert!(CheckpointVerifier::from_vkey(&other_id).is_err());
        }
        assert!(with_plus > 0);
    }

    #[test]
    fn a_witness_file_splits_into_its_notes() {
        let signer = signer();
        let (a, b, c) = (
            signer.sign(Chain::default(), 1000, &leaf_hash(b"a")),
            signer.sign(Chain::new(3), 3000, &leaf_hash(b"b")),
            signer.sign(Chain::default(), 2000, &leaf_hash(b"c")),
        );
        let file = format!("{a}{b}{c}");
        assert_eq!(split_notes(&file), [a.as_str(), b.as_str(), c.as_str()]);
        assert!(split_notes(&file).iter().all(|note| signer.verifier().verify(note).is_ok()));
        assert!(split_notes("").is_empty());
        // Cut inside the second note's signature (inside its em dash):
        // the first whole, the rest one piece that does not verify.
        let cut = a.len() + b.len() - 12;
        let ranges = note_ranges(&file.as_bytes()[..cut]);
        assert_eq!(ranges, [0..a.len(), a.len()..cut]);
        assert!(std::str::from_utf8(&file.as_bytes()[ranges[1].clone()]).map_or(true, |piece| signer.verifier().verify(piece).is_err()));
    }

    #[test]
    fn a_chain_checkpoint_names_its_chain_and_chain_0_reads_as_before() {
        let signer = signer();
        let root = leaf_hash(b"r");
        let third = signer.sign(Chain::new(3), 7, &root);
        assert!(third.contains("\nchain 3\n\n"), "{third}");
        assert_eq!(signer.verifier().verify(&third).map(|c| (c.chain, c.size)), Ok((Chain::new(3), 7)));
        let first = signer.sign(Chain::default(), 7, &root);
        assert_eq!(first.lines().count(), 5, "origin, size, root, blank line, signature: {first}");
        assert_eq!(signer.verifier().verify(&first).map(|c| c.chain), Ok(Chain::default()));
    }

    #[test]
    fn a_combined_checkpoint_lists_every_head_and_a_changed_head_does_not_verify() {
        let signer = signer();
        let verifier = signer.verifier();
        let head =
            |chain: u16, size: u64| Checkpoint { origin: "grondslag.test/audit".into(), size, root: leaf_hash(&[chain as u8]), chain: Chain::new(chain) };
        let note = signer.sign_combined(&[head(5, 20), head(0, 7)]);
        let combined = verifier.verify_combined(&note).unwrap();
        assert_eq!(combined.total, 27);
        assert_eq!(combined.heads, [head(0, 7), head(5, 20)]);
        assert_eq!(combined.head(Chain::new(5)), Some(&head(5, 20)));
        assert_eq!(combined.head(Chain::new(4)), None);
        assert!(matches!(verifier.verify(&note), Err(CheckpointError::Malformed(_))), "a combined note is no chain's checkpoint");

        let forged = note.replacen("chain 5 20 ", "chain 5 21 ", 1);
        assert_eq!(verifier.verify_combined(&forged), Err(CheckpointError::BadSignature));

        let legacy = signer.sign(Chain::default(), 9, &leaf_hash(b"old"));
        let read = verifier.verify_combined(&legacy).unwrap();
        assert_eq!((read.total, read.heads.len(), read.heads[0].chain), (9, 1, Chain::default()));
        let one_chain = signer.sign(Chain::new(2), 9, &leaf_hash(b"two"));
        assert!(matches!(verifier.verify_combined(&one_chain), Err(CheckpointError::Malformed(_))));
    }
}
