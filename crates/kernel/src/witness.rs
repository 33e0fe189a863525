//! Checkpoints kept outside the database. Whoever can write the database
//! can cut the log short together with the checkpoints after the cut, and
//! the shorter log would verify; a copy of each checkpoint outside their
//! reach — an append-only file the operator places (on other storage, or
//! shipped off by the command) and optionally a command that forwards it
//! (syslog, a transparency-log witness) — is what the log is then held to.
//!
//! What is witnessed is the combined checkpoint: every chain's head at the
//! moment one of them was signed. A witness file written before the log was
//! split holds checkpoints of the one log, which read as chain 0's.
//!
//! A checkpoint is witnessed once its transaction has committed: one that
//! rolled back never existed, and witnessing it would make the log look cut.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use grondslag_audit::{Chain, Checkpoint, CheckpointVerifier, Combined, note_ranges, split_notes};

thread_local! {
    /// Checkpoints signed by this thread's transaction, to witness once it commits.
    static SIGNED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Notes a checkpoint signed in the current transaction.
pub(crate) fn signed(note: String) {
    SIGNED.with_borrow_mut(|notes| notes.push(note));
}

/// The checkpoints signed since the last call, which the caller witnesses
/// (its transaction committed) or drops (it rolled back).
pub(crate) fn take_signed() -> Vec<String> {
    SIGNED.with_borrow_mut(std::mem::take)
}

/// How much of the end of the witness file is read to find the latest
/// checkpoint when signing first: hundreds of notes, more than concurrent
/// writers can put after it.
const TAIL: u64 = 64 * 1024;

/// Why the witness could not be read or written.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum WitnessError {
    #[error("cannot read the witness file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write the witness file {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the witness command `{command}` failed: {reason}")]
    Command { command: String, reason: String },
}

/// Where signed checkpoints are witnessed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    file: PathBuf,
    command: Option<String>,
}

impl Witness {
    /// Checkpoints appended to `file`, created when first needed.
    pub fn new(file: impl Into<PathBuf>) -> Witness {
        Witness { file: file.into(), command: None }
    }

    /// Also hands each checkpoint to `command` (run by `sh -c`, the note on
    /// its standard input).
    #[must_use]
    pub fn with_command(mut self, command: Option<String>) -> Witness {
        self.command = command;
        self
    }

    /// The witness file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Appends `notes` to the file (flushed to disk) and hands each to the command.
    pub fn record(&self, notes: &[String]) -> Result<(), WitnessError> {
        if notes.is_empty() {
            return Ok(());
        }
        let write = |source| WitnessError::Write { path: self.file.clone(), source };
        let mut file = OpenOptions::new().create(true).append(true).open(&self.file).map_err(write)?;
        file.write_all(notes.concat().as_bytes()).map_err(write)?;
        file.sync_data().map_err(write)?;
        let Some(command) = &self.command else { return Ok(()) };
        for note in notes {
            forward(command, note)?;
        }
        Ok(())
    }

    /// The heads witnessed in the whole file ([`witnessed_heads`]); `None`
    /// when nothing is witnessed yet.
    pub fn latest(&self, verifier: &CheckpointVerifier) -> Result<Option<Combined>, WitnessError> {
        let text = match std::fs::read(&self.file) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(WitnessError::Read { path: self.file.clone(), source: e }),
        };
        Ok(witnessed_heads(&String::from_utf8_lossy(&text), verifier))
    }

    /// The heads witnessed, for signing: `seen` is what was read of the
    /// file before, and only what was appended since is read (the file's
    /// last 64 KiB the first time, or when the file was cut or replaced).
    /// Reading the file's end at every checkpoint verified every note in
    /// it each time, hundreds of signatures (BENCHMARKS.md, seventeenth
    /// session). Heads once seen stay: a file cut short does not lower
    /// what the log is held to.
    pub(crate) fn latest_since(&self, verifier: &CheckpointVerifier, seen: &mut Witnessed) -> Result<Option<Combined>, WitnessError> {
        let read = |source| WitnessError::Read { path: self.file.clone(), source };
        let mut file = match File::open(&self.file) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(combined(&seen.heads)),
            Err(e) => return Err(read(e)),
        };
        let length = file.metadata().map_err(read)?.len();
        let (from, fresh) = match seen.read_to {
            Some(read_to) if read_to <= length => (read_to, false),
            _ => (length.saturating_sub(TAIL), true),
        };
        file.seek(SeekFrom::Start(from)).map_err(read)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(read)?;
        // The file's end begins inside a line: start at the next.
        let skip = if fresh && from > 0 { bytes.iter().position(|byte| *byte == b'\n').map_or(bytes.len(), |at| at + 1) } else { 0 };
        let ranges = note_ranges(&bytes[skip..]);
        for range in &ranges {
            let note = std::str::from_utf8(&bytes[skip + range.start..skip + range.end]).ok();
            if let Some(combined) = note.and_then(|note| verifier.verify_combined(note).ok()) {
                keep_largest(&mut seen.heads, combined);
            }
        }
        // The last note is read again next time: it may have been read
        // while another node was still writing it.
        let last_start = ranges.last().map_or(bytes.len() - skip, |range| range.start);
        seen.read_to = Some(from + (skip + last_start) as u64);
        Ok(combined(&seen.heads))
    }
}

/// What a kernel has read of its witness file while signing
/// ([`Witness::latest_since`]): how far, and each chain's largest head.
#[derive(Debug, Default)]
pub(crate) struct Witnessed {
    read_to: Option<u64>,
    heads: BTreeMap<Chain, Checkpoint>,
}

/// Of the combined checkpoints in `text` that `verifier` accepts, each
/// chain's largest head: nodes that sign at once may each witness a note
/// with the newest head of some chains only, and every head a valid note
/// lists was signed, so the log is held to the largest of each. `None`
/// when no note verifies.
pub fn witnessed_heads(text: &str, verifier: &CheckpointVerifier) -> Option<Combined> {
    let mut heads: BTreeMap<Chain, Checkpoint> = BTreeMap::new();
    for combined in split_notes(text).into_iter().filter_map(|note| verifier.verify_combined(note).ok()) {
        keep_largest(&mut heads, combined);
    }
    combined(&heads)
}

fn keep_largest(heads: &mut BTreeMap<Chain, Checkpoint>, combined: Combined) {
    for head in combined.heads {
        if heads.get(&head.chain).is_none_or(|known| known.size < head.size) {
            heads.insert(head.chain, head);
        }
    }
}

fn combined(heads: &BTreeMap<Chain, Checkpoint>) -> Option<Combined> {
    (!heads.is_empty()).then(|| Combined { total: heads.values().map(|head| head.size).sum(), heads: heads.values().cloned().collect() })
}

fn forward(command: &str, note: &str) -> Result<(), WitnessError> {
    let failed = |reason: String| WitnessError::Command { command: command.to_string(), reason };
    let mut child = Command::new("sh").arg("-c").arg(command).stdin(Stdio::piped()).spawn().map_err(|e| failed(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(note.as_bytes()).map_err(|e| failed(e.to_string()))?;
    }
    let status = child.wait().map_err(|e| failed(e.to_string()))?;
    if status.success() { Ok(()) } else { Err(failed(format!("it exited with {status}"))) }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use grondslag_audit::{CheckpointSigner, leaf_hash};

    use super::*;

    // req: E17
    #[test]
    fn the_log_is_held_to_each_chains_largest_witnessed_head() {
        let signer = CheckpointSigner::new("grondslag.test/audit", SigningKey::from_bytes(&[3; 32]));
        let head =
            |chain: u16, size: u64| Checkpoint { origin: "grondslag.test/audit".into(), size, root: leaf_hash(&size.to_be_bytes()), chain: Chain::new(chain) };
        // Two nodes signing at once: each note has the newer head of one chain.
        let (first, second) = (signer.sign_combined(&[head(0, 50), head(3, 9)]), signer.sign_combined(&[head(0, 40), head(3, 12)]));
        let legacy = signer.sign(Chain::default(), 30, &leaf_hash(b"before the split"));
        let forged = second.replacen("chain 3 12 ", "chain 3 99 ", 1);
        let file = format!("{legacy}{first}{second}{forged}");
        let heads = witnessed_heads(&file, &signer.verifier()).unwrap();
        assert_eq!(heads.heads, [head(0, 50), head(3, 12)]);
        assert_eq!(heads.total, 62);
        assert_eq!(witnessed_heads(&forged, &signer.verifier()), None, "a changed note counts for nothing");
    }

    // req: E17
    #[test]
    fn signing_reads_only_what_was_witnessed_since_and_holds_to_what_it_saw() {
        let signer = CheckpointSigner::new("grondslag.test/audit", SigningKey::from_bytes(&[3; 32]));
        let keys = signer.verifier();
        let head =
            |chain: u16, size: u64| Checkpoint { origin: "grondslag.test/audit".into(), size, root: leaf_hash(&size.to_be_bytes()), chain: Chain::new(chain) };
        let dir = tempfile::tempdir().unwrap();
        let witness = Witness::new(dir.path().join("witness"));
        let mut seen = Witnessed::default();
        assert_eq!(witness.latest_since(&keys, &mut seen).unwrap(), None, "no file yet");

        // More than the 64 KiB read the first time: the first read starts
        // inside a note, which is passed over.
        let filler: Vec<String> = (1..=400).map(|size| signer.sign_combined(&[head(0, size)])).collect();
        assert!(filler.concat().len() as u64 > TAIL);
        witness.record(&filler).unwrap();
        let first = witness.latest_since(&keys, &mut seen).unwrap().unwrap();
        assert_eq!(first.heads, [head(0, 400)]);

        // A note being written while signing reads counts once it is whole.
        let next = signer.sign_combined(&[head(0, 401), head(7, 3)]);
        let (begun, rest) = next.split_at(next.len() - 20);
        append(witness.file(), begun);
        assert_eq!(witness.latest_since(&keys, &mut seen).unwrap().unwrap().heads, [head(0, 400)]);
        append(witness.file(), rest);
        assert_eq!(witness.latest_since(&keys, &mut seen).unwrap().unwrap().heads, [head(0, 401), head(7, 3)]);
        // Read again, as the last note: still the same heads.
        assert_eq!(witness.latest_since(&keys, &mut seen).unwrap().unwrap().heads, [head(0, 401), head(7, 3)]);

        // Replaced by a file with less in it: what was seen stays what the
        // log is held to.
        std::fs::write(witness.file(), signer.sign_combined(&[head(0, 10)])).unwrap();
        assert_eq!(witness.latest_since(&keys, &mut seen).unwrap().unwrap().heads, [head(0, 401), head(7, 3)]);
        witness.record(&[signer.sign_combined(&[head(0, 402)])]).unwrap();
        assert_eq!(witness.latest_since(&keys, &mut seen).unwrap().unwrap().heads, [head(0, 402), head(7, 3)]);
        // The whole file (what verification reads) is another matter.
        assert_eq!(witness.latest(&keys).unwrap().unwrap().heads, [head(0, 402)]);
    }

    fn append(file: &Path, text: &str) {
        OpenOptions::new().append(true).open(file).unwrap().write_all(text.as_bytes()).unwrap();
    }
}
