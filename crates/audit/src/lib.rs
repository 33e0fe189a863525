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
//! The log is split into [`Chain::COUNT`] chains by subject, each with its
//! own order, Merkle tree and checkpoints, so that writes about different
//! people need not wait for one another; a combined checkpoint ([`Combined`])
//! signs every chain's head at once, and is what a witness keeps.
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

pub use checkpoint::{Checkpoint, CheckpointError, CheckpointSigner, CheckpointVerifier, Combined, note_ranges, split_notes};
pub use entry::{Entry, ForeignOperation, Outcome, PSEUDONYM_ID_TYPE, SpanId, StatusCode, TraceId};
pub use forget::{FORGET_ACTION, Forgotten};
pub use hash::{Frontier, Hash, Node, chain_hash, leaf_hash};
pub use trace::{TraceParent, TraceParentError};
pub use verify::{Verification, Verifier, VerifyError};

/// One of the chains the log is split into. An entry goes to the chain of
/// the person it is about ([`Chain::of`]); an entry about no one to chain 0,
/// which also holds every entry written before the log was split.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Chain(u16);

impl Chain {
    /// How many chains new entries are spread over. Changing it moves only
    /// where new entries go: each row keeps the chain it was written to.
    pub const COUNT: u16 = 16;

    /// The chain numbered `number`.
    pub fn new(number: u16) -> Chain {
        Chain(number)
    }

    /// Its number.
    pub fn number(self) -> u16 {
        self.0
    }

    /// The chain of the entries about `subject` (a pseudonym): a hash of it,
    /// so that one person's entries stay in one chain.
    pub fn of(subject: Option<&str>) -> Chain {
        let Some(subject) = subject else { return Chain(0) };
        let digest = leaf_hash(subject.as_bytes());
        Chain(u16::from_be_bytes([digest.0[0], digest.0[1]]) % Chain::COUNT)
    }
}

impl std::fmt::Display for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain {}", self.0)
    }
}

/// One persisted entry: its canonical bytes and the hashes over them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The entry's number in the whole log, from 1: unique, in the order
    /// entries were written, and what forgetting and the CLI name it by.
    pub seq: u64,
    /// The chain it belongs to.
    pub chain: Chain,
    /// Its place in its chain, from 1, without gaps: its leaf's index
    /// plus one in the chain's Merkle tree.
    pub position: u64,
    /// The canonical JSON of an [`Entry`].
    pub entry: String,
    /// [`leaf_hash`] of `entry`.
    pub leaf: Hash,
    /// [`chain_hash`] of the previous row's link in the same chain and this
    /// leaf: a tamper-evident chain.
    pub link: Hash,
    /// The entry's `data_subject_id`, kept beside it as the index of the
    /// person's access report; verification checks the two agree.
    pub subject: Option<String>,
}

impl Row {
    /// The row numbered `seq` that follows `previous` in `chain` (the
    /// position and link of the chain's last row, or `None` for its first).
    pub fn next(seq: u64, chain: Chain, previous: Option<(u64, Hash)>, entry: &Entry) -> Row {
        let (position, previous_link) = previous.unwrap_or((0, Hash::ZERO));
        let subject = entry.data_subject_id.clone();
        let entry = entry.canonical();
        let leaf = leaf_hash(entry.as_bytes());
        Row { seq, chain, position: position + 1, link: chain_hash(&previous_link, &leaf), leaf, entry, subject }
    }

    /// Whether the entry's content was forgotten after its term: only its
    /// leaf hash is left, and a later forgetting entry names it.
    pub fn is_forgotten(&self) -> bool {
        self.entry.is_empty()
    }
}
