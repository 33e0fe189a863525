//! Inclusion and consistency proofs over the stored log (RFC 9162), for an
//! auditor who holds a checkpoint: that an entry is in the log it signed,
//! and that a later checkpoint extends it. Each proof is checked against
//! the signed roots before it is handed out.

use grondslag_audit::proof::{self, Subtrees};
use grondslag_audit::{Chain, Checkpoint, CheckpointVerifier, Frontier, Hash, chain_hash};
use grondslag_store::{Store, StoreError, Tx};

use crate::{AUDIT_NODE_LEVEL, KernelError};

/// Entry `seq` is in its chain at `checkpoint.size` entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inclusion {
    /// The entry's number in the whole log, from 1.
    pub seq: u64,
    /// Its place in its chain, from 1: its leaf index plus one.
    pub position: u64,
    /// Its leaf hash.
    pub leaf: Hash,
    /// Whether its content was forgotten after its term (its leaf stays, so
    /// the proof holds all the same).
    pub forgotten: bool,
    /// Sibling hashes from the leaf up.
    pub path: Vec<Hash>,
    /// The signed checkpoint the path leads to.
    pub checkpoint: String,
    /// What that checkpoint says.
    pub signed: Checkpoint,
}

/// A chain at `first.size` entries is a prefix of itself at `second.size`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consistency {
    /// The earlier signed checkpoint.
    pub first: String,
    /// The later signed checkpoint.
    pub second: String,
    /// The proof's hashes.
    pub proof: Vec<Hash>,
}

/// Perfect subtrees from the kept nodes, or from the leaves below them.
struct StoredTree<'t> {
    tx: &'t mut dyn Tx,
    chain: Chain,
}

impl Subtrees for StoredTree<'_> {
    type Error = StoreError;

    fn perfect(&mut self, start: u64, size: u64) -> Result<Hash, StoreError> {
        let level = u8::try_from(size.trailing_zeros()).unwrap_or(u8::MAX);
        if level >= AUDIT_NODE_LEVEL {
            if let Some(hash) = self.tx.audit_node(self.chain, level, start >> level)? {
                return Ok(hash);
            }
            // Not kept (signed before nodes were): from its halves.
            let half = size / 2;
            return Ok(chain_hash(&self.perfect(start, half)?, &self.perfect(start + half, half)?));
        }
        let leaves = self.tx.audit_leaves(self.chain, start + 1, size)?;
        if leaves.len() as u64 != size {
            return Err(StoreError::Corrupt("audit_entries: leaves missing below a checkpoint"));
        }
        let mut frontier = Frontier::default();
        leaves.into_iter().for_each(|leaf| frontier.push(leaf));
        Ok(frontier.root())
    }
}

/// The checkpoint of `chain` stored at `size`, or its latest when `None`, read back and checked.
fn signed_checkpoint(tx: &mut dyn Tx, keys: &CheckpointVerifier, chain: Chain, size: Option<u64>) -> Result<(String, Checkpoint), KernelError> {
    let note = match size {
        Some(size) => tx.checkpoint_at(chain, size)?.ok_or_else(|| {
            KernelError::Proof(format!(
                "no checkpoint of {chain} was signed at {size}; give the size of one that was (the sizes are in the checkpoint notes of `grondslag audit prove --entry N`)"
            ))
        })?,
        None => tx
            .last_checkpoint(chain)?
            .map(|(_, note, _)| note)
            .ok_or_else(|| KernelError::Proof(format!("no checkpoint of {chain} has been signed yet; `grondslag audit verify` signs one")))?,
    };
    let checkpoint = keys.verify(&note).map_err(|e| KernelError::Proof(e.to_string()))?;
    Ok((note, checkpoint))
}

fn read<T>(store: &dyn Store, mut work: impl FnMut(&mut dyn Tx) -> Result<T, KernelError>) -> Result<T, KernelError> {
    let mut out = None;
    let mut failed = None;
    store
        .transaction(&mut |tx| {
            match work(tx) {
                Ok(value) => out = Some(value),
                Err(e) => failed = Some(e),
            }
            // Nothing is written: end the transaction without a commit.
            Err(StoreError::Aborted)
        })
        .or_else(|e| if matches!(e, StoreError::Aborted) { Ok(()) } else { Err(e) })?;
    match (out, failed) {
        (Some(value), _) => Ok(value),
        (None, Some(e)) => Err(e),
        (None, None) => Err(KernelError::Store(StoreError::Aborted)),
    }
}

/// Proves entry `seq` is in its chain as signed at `size` (default: the
/// chain's latest checkpoint).
pub fn prove_inclusion(store: &dyn Store, keys: &CheckpointVerifier, seq: u64, size: Option<u64>) -> Result<Inclusion, KernelError> {
    read(store, |tx| {
        let row = tx.audit_row(seq)?.ok_or_else(|| KernelError::Proof(format!("the log holds no entry {seq}")))?;
        let (note, signed) = signed_checkpoint(tx, keys, row.chain, size)?;
        if row.position > signed.size {
            return Err(KernelError::Proof(format!(
                "entry {seq} is at position {} of {}, after the {} entries its checkpoint signed; `grondslag audit verify` signs a newer one",
                row.position, row.chain, signed.size
            )));
        }
        let (leaf, forgotten, index) = (row.leaf, row.is_forgotten(), row.position - 1);
        let path = proof::inclusion_proof(&mut StoredTree { tx, chain: row.chain }, index, signed.size).map_err(|e| KernelError::Proof(e.to_string()))?;
        proof::verify_inclusion(&leaf, index, signed.size, &path, &signed.root).map_err(|e| KernelError::Proof(e.to_string()))?;
        Ok(Inclusion { seq, position: row.position, leaf, forgotten, path, checkpoint: note, signed })
    })
}

/// Proves `chain` as signed at `first` entries is a prefix of itself as
/// signed at `second` (default: its latest checkpoint).
pub fn prove_consistency(store: &dyn Store, keys: &CheckpointVerifier, chain: Chain, first: u64, second: Option<u64>) -> Result<Consistency, KernelError> {
    read(store, |tx| {
        let (first_note, first_signed) = signed_checkpoint(tx, keys, chain, Some(first))?;
        let (second_note, second_signed) = signed_checkpoint(tx, keys, chain, second)?;
        let proof =
            proof::consistency_proof(&mut StoredTree { tx, chain }, first_signed.size, second_signed.size).map_err(|e| KernelError::Proof(e.to_string()))?;
        proof::verify_consistency(first_signed.size, second_signed.size, &first_signed.root, &second_signed.root, &proof)
            .map_err(|e| KernelError::Proof(format!("{chain} at {} is not a prefix of itself at {}: {e}", first_signed.size, second_signed.size)))?;
        Ok(Consistency { first: first_note, second: second_note, proof })
    })
}
