//! The audit log: one entry per kernel decision and per data subject, allowed
//! or denied, never sampled.
//!
//! Entries are shaped after the Dutch standard *Logboek Dataverwerkingen*
//! (OpenTelemetry trace and span ids, the versioned URI of the processing
//! activity, a pseudonymous subject id, a status code) and carry the fields
//! BIO 8.15.01 asks of a log line (action, object, result, origin, actor,
//! time). They hold no plaintext personal data, so the log outlives erasure.
//!
//! Integrity has two layers. Each entry's leaf hash is RFC 6962's
//! `SHA-256(0x00 || entry)` and is chained to its predecessor with the
//! interior-node hash `SHA-256(0x01 || previous || leaf)`, so the first
//! altered, removed or reordered entry is named exactly. Every so often the
//! Merkle root over all leaves is signed with Ed25519 as a C2SP signed-note
//! checkpoint, so that rewriting the chain wholesale is caught as well, and so
//! inclusion and consistency proofs ([`proof`]) can be given. Checkpoints are
//! also written outside the database (a witness), so that a log cut short
//! together with its checkpoints is still caught.
//!
//! An entry past its term is forgotten: its content goes, its leaf hash
//! stays, and an entry of its own records the forgetting ([`Forgotten`]).
//!
//! [`ldv`] projects stored entries onto LDV's log lines and OTLP/JSON;
//! [`TraceParent`] reads a caller's W3C trace context strictly.
//!
//! This crate computes and checks; the store persists rows and the kernel
//! decides what to append.

#![warn(missing_docs)]

mod checkpoint;
mod entry;
mod forget;
mod hash;
pub mod ldv;
pub mod proof;
mod trace;
mod verify;

pub use checkpoint::{Checkpoint, CheckpointError, CheckpointSigner, CheckpointVerifier, split_notes};
pub use entry::{Entry, ForeignOperation, Outcome, PSEUDONYM_ID_TYPE, SpanId, StatusCode, TraceId};
pub use forget::{FORGET_ACTION, Forgotten};
pub use hash::{Frontier, Hash, Node, chain_hash, leaf_hash};
pub use trace::{TraceParent, TraceParentError};
pub use verify::{Verification, Verifier, VerifyError};

/// One persisted entry: its canonical bytes and the hashes over them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Position in the log, from 1, without gaps.
    pub seq: u64,
    /// The canonical JSON of an [`Entry`].
    pub entry: String,
    /// [`leaf_hash`] of `entry`.
    pub leaf: Hash,
    /// [`chain_hash`] of the previous row's chain hash and this leaf: a tamper-evident chain.
    pub chain: Hash,
    /// The entry's `data_subject_id`, kept beside it as the index of the
    /// person's access report; verification checks the two agree.
    pub subject: Option<String>,
}

impl Row {
    /// The row that follows `previous` (the chain hash of the last row, or
    /// `None` for the first entry) in the log.
    pub fn next(previous: Option<(u64, Hash)>, entry: &Entry) -> Row {
        let (seq, prev_chain) = previous.unwrap_or((0, Hash::ZERO));
        let subject = entry.data_subject_id.clone();
        let entry = entry.canonical();
        let leaf = leaf_hash(entry.as_bytes());
        Row { seq: seq + 1, chain: chain_hash(&prev_chain, &leaf), leaf, entry, subject }
    }

    /// Whether the entry's content was forgotten after its term: only its
    /// leaf hash is left, and a later forgetting entry names it.
    pub fn is_forgotten(&self) -> bool {
        self.entry.is_empty()
    }
}
