//! Checkpoints as C2SP signed notes (`c2sp.org/signed-note`,
//! `c2sp.org/tlog-checkpoint`): origin, tree size and Merkle root, signed
//! with Ed25519 under a key named by the origin.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

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
    let mut notes = Vec::new();
    let (mut start, mut in_signatures, mut offset) = (0, false, 0);
    for line in text.split_inclusive('\n') {
        if in_signatures && !line.starts_with('\u{2014}') {
            notes.push(&text[start..offset]);
            (start, in_signatures) = (offset, false);
        }
        if line == "\n" {
            in_signatures = true;
        }
        offset += line.len();
    }
    if start < text.len() {
        notes.push(&text[start..]);
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

    /// The signed note for a log of `size` entries with Merkle root `root`.
    pub fn sign(&self, size: u64, root: &Hash) -> String {
        let body = format!("{}\n{}\n{}\n", self.origin, size, BASE64.encode(root.0));
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
        Ok(Checkpoint { origin: origin.to_string(), size, root })
    }
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
        let note = signer.sign(42, &leaf_hash(b"x"));
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
            assert_eq!(read.verify(&signer.sign(3, &leaf_hash(b"y"))).map(|c| c.size), Ok(3), "{vkey}");
            let other_id = vkey.replacen("+", "+00", 1);
            assert!(CheckpointVerifier::from_vkey(&other_id).is_err());
        }
        assert!(with_plus > 0);
    }

    #[test]
    fn a_witness_file_splits_into_its_notes() {
        let signer = signer();
        let (a, b, c) = (signer.sign(1000, &leaf_hash(b"a")), signer.sign(3000, &leaf_hash(b"b")), signer.sign(2000, &leaf_hash(b"c")));
        let file = format!("{a}{b}{c}");
        assert_eq!(split_notes(&file), [a.as_str(), b.as_str(), c.as_str()]);
        assert!(split_notes(&file).iter().all(|note| signer.verifier().verify(note).is_ok()));
        assert!(split_notes("").is_empty());
    }
}
