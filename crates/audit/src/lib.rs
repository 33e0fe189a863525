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
//! inclusion proofs can be offered later without changing what is stored.
//!
//! [`ldv`] projects stored entries onto LDV's log lines and OTLP/JSON;
//! [`TraceParent`] reads a caller's W3C trace context strictly.
//!
//! This crate computes and checks; the store persists rows and the kernel
//! decides what to append.

#![warn(missing_docs)]

mod checkpoint;
mod entry;
mod hash;
pub mod ldv;
mod trace;
mod verify;

pub use checkpoint::{Checkpoint, CheckpointError, CheckpointSigner, CheckpointVerifier};
pub use entry::{Entry, ForeignOperation, Outcome, PSEUDONYM_ID_TYPE, SpanId, StatusCode, TraceId};
pub use hash::{Frontier, Hash, chain_hash, leaf_hash};
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
}

impl Row {
    /// The row that follows `previous` (the chain hash of the last row, or
    /// `None` for the first entry) in the log.
    pub fn next(previous: Option<(u64, Hash)>, entry: &Entry) -> Row {
        let (seq, prev_chain) = previous.unwrap_or((0, Hash::ZERO));
        let entry = entry.canonical();
        let leaf = leaf_hash(entry.as_bytes());
        Row { seq: seq + 1, chain: chain_hash(&prev_chain, &leaf), leaf, entry }
    }
}
