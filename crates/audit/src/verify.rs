//! Walks the log in order and names the first entry that does not fit.

use crate::Row;
use crate::checkpoint::{CheckpointError, CheckpointVerifier};
use crate::hash::{Frontier, Hash, chain_hash, leaf_hash};

/// How an audit log fails verification: where the chain breaks and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum VerifyError {
    #[error("entry {seq} was altered: its content no longer matches its hash")]
    Altered { seq: u64 },
    #[error("entry {expected} is missing: the log jumps from entry {previous} to entry {found}")]
    Removed { previous: u64, expected: u64, found: u64 },
    #[error("entry {seq} does not follow entry {previous}: an entry before it was removed, inserted or reordered, or its hashes were rewritten")]
    ChainBroken { seq: u64, previous: u64 },
    #[error("entries 1 to {size} do not match the signed checkpoint at {size}: the log was rewritten at or before entry {size}")]
    CheckpointMismatch { size: u64 },
    #[error("the signed checkpoint at {size} covers more entries than the log holds ({count}): entries after {count} were removed")]
    Truncated { size: u64, count: u64 },
    #[error("checkpoint at {size}: {source}")]
    Checkpoint { size: u64, source: CheckpointError },
    #[error("checkpoint stored at {stored} claims size {signed}")]
    CheckpointSize { stored: u64, signed: u64 },
}

/// The result of a successful verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// Checkpoints whose signature and root were checked.
    pub checkpoints: u64,
    /// Merkle root over all entries.
    pub root: Hash,
}

/// Feed rows in `seq` order; checkpoints are checked as the walk reaches them.
#[derive(Debug)]
pub struct Verifier {
    checkpoints: std::vec::IntoIter<(u64, String)>,
    next_checkpoint: Option<(u64, String)>,
    keys: CheckpointVerifier,
    previous: (u64, Hash),
    frontier: Frontier,
    checked: u64,
}

impl Verifier {
    /// `checkpoints` are (size, signed note) pairs.
    pub fn new(keys: CheckpointVerifier, mut checkpoints: Vec<(u64, String)>) -> Self {
        checkpoints.sort_by_key(|(size, _)| *size);
        let mut checkpoints = checkpoints.into_iter();
        let next_checkpoint = checkpoints.next();
        Verifier { checkpoints, next_checkpoint, keys, previous: (0, Hash::ZERO), frontier: Frontier::default(), checked: 0 }
    }

    /// Checks the next row: its sequence number, hashes and any checkpoint at its size.
    pub fn push(&mut self, row: &Row) -> Result<(), VerifyError> {
        let (previous, previous_chain) = self.previous;
        if row.seq != previous + 1 {
            return Err(if row.seq > previous + 1 {
                VerifyError::Removed { previous, expected: previous + 1, found: row.seq }
            } else {
                VerifyError::ChainBroken { seq: row.seq, previous }
            });
        }
        let leaf = leaf_hash(row.entry.as_bytes());
        if leaf != row.leaf {
            return Err(VerifyError::Altered { seq: row.seq });
        }
        if chain_hash(&previous_chain, &leaf) != row.chain {
            return Err(VerifyError::ChainBroken { seq: row.seq, previous });
        }
        self.previous = (row.seq, row.chain);
        self.frontier.push(leaf);
        while let Some((size, note)) = self.next_checkpoint.take_if(|(size, _)| *size <= row.seq) {
            self.check(size, &note)?;
            self.next_checkpoint = self.checkpoints.next();
        }
        Ok(())
    }

    fn check(&mut self, size: u64, note: &str) -> Result<(), VerifyError> {
        let checkpoint = self.keys.verify(note).map_err(|source| VerifyError::Checkpoint { size, source })?;
        if checkpoint.size != size {
            return Err(VerifyError::CheckpointSize { stored: size, signed: checkpoint.size });
        }
        if checkpoint.root != self.frontier.root() || self.frontier.size() != size {
            return Err(VerifyError::CheckpointMismatch { size });
        }
        self.checked += 1;
        Ok(())
    }

    /// Ends the walk; a checkpoint beyond the last row means the log was truncated.
    pub fn finish(mut self) -> Result<Verification, VerifyError> {
        let count = self.previous.0;
        if let Some((size, note)) = self.next_checkpoint.take() {
            // A checkpoint beyond the end: either truncation, or a forged size.
            self.keys.verify(&note).map_err(|source| VerifyError::Checkpoint { size, source })?;
            return Err(VerifyError::Truncated { size, count });
        }
        Ok(Verification { entries: count, checkpoints: self.checked, root: self.frontier.root() })
    }
}
