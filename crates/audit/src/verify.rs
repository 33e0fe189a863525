//! Walks one chain of the log in order and names the first entry that does
//! not fit. Positions and sizes are the chain's own; `seq` is an entry's
//! number in the whole log.

use std::collections::BTreeSet;

use memchr::memmem;

use crate::checkpoint::{Checkpoint, CheckpointError, CheckpointVerifier};
use crate::entry::Entry;
use crate::forget::{FORGET_ACTION, Forgotten};
use crate::hash::{Frontier, Hash, Node, chain_hash, leaf_hash};
use crate::{Chain, Row};

/// How an audit log fails verification: where the chain breaks and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum VerifyError {
    #[error("entry {seq} was altered: its content no longer matches its hash")]
    Altered { seq: u64 },
    #[error("entry {seq} is at position {found} where position {expected} was due: an entry before it was removed, or the entries' order was changed")]
    Removed { seq: u64, expected: u64, found: u64 },
    #[error(
        "entry {seq} does not follow the entry at position {previous}: an entry before it was removed, inserted or reordered, or its hashes were rewritten"
    )]
    ChainBroken { seq: u64, previous: u64 },
    #[error("entries 1 to {size} do not match the signed checkpoint at {size}: the log was rewritten at or before entry {size}")]
    CheckpointMismatch { size: u64 },
    #[error("the signed checkpoint at {size} covers more entries than the log holds ({count}): entries after {count} were removed")]
    Truncated { size: u64, count: u64 },
    #[error(
        "the witnessed checkpoint says the log had {size} entries, but it holds {count}: entries after {count} and their checkpoints were removed from the database"
    )]
    ShorterThanWitnessed { size: u64, count: u64 },
    #[error("entries 1 to {size} do not match the witnessed checkpoint at {size}: the log was rewritten at or before entry {size}")]
    WitnessMismatch { size: u64 },
    #[error("checkpoint at {size}: {source}")]
    Checkpoint { size: u64, source: CheckpointError },
    #[error("checkpoint stored at {stored} claims size {signed}")]
    CheckpointSize { stored: u64, signed: u64 },
    #[error("checkpoint stored at {size} is {found}'s: checkpoints were moved between chains")]
    OtherChain { size: u64, found: Chain },
    #[error("no signed checkpoint covers the log's {count} entries: give a checkpoint you trust (--checkpoint FILE, or the witness file)")]
    Unsigned { count: u64 },
    #[error("entry {seq} was emptied, but no later entry records forgetting it: its content was removed outside the retention sweep")]
    ForgottenUnrecorded { seq: u64 },
    #[error("entry {seq} is filed under another person than it names: the per-person index beside the log was changed")]
    IndexMismatch { seq: u64 },
    #[error("entry {seq} records forgetting, but cannot be read: {reason}")]
    Forgetting { seq: u64, reason: String },
}

/// The result of a successful verification.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// Of those, entries whose content was forgotten after their term.
    pub forgotten: u64,
    /// Checkpoints whose signature and root were checked.
    pub checkpoints: u64,
}

impl Verification {
    /// The verification of this chain and `other` together.
    #[must_use]
    pub fn and(self, other: Verification) -> Verification {
        Verification { entries: self.entries + other.entries, forgotten: self.forgotten + other.forgotten, checkpoints: self.checkpoints + other.checkpoints }
    }
}

/// Feed one chain's rows in order of position; checkpoints are checked as
/// the walk reaches them.
#[derive(Debug)]
pub struct Verifier {
    chain: Chain,
    checkpoints: std::vec::IntoIter<(u64, String)>,
    next_checkpoint: Option<(u64, String)>,
    keys: CheckpointVerifier,
    /// The chain's head in a checkpoint trusted from outside the database.
    trusted: Option<(u64, Hash)>,
    previous: (u64, Hash),
    frontier: Frontier,
    checked: u64,
    forgotten: u64,
    /// Emptied entries that no forgetting entry has named yet.
    unrecorded: BTreeSet<u64>,
    /// Perfect subtrees completed at or above this level are kept.
    keep_nodes: Option<u8>,
    nodes: Vec<Node>,
    /// Finds the subject in an entry: built once, since every row is
    /// searched (`str::find` was a tenth of the checking thread's time).
    subject_key: memmem::Finder<'static>,
}

impl Verifier {
    /// The verifier of `chain`, whose `checkpoints` are (size, signed note) pairs.
    pub fn new(keys: CheckpointVerifier, chain: Chain, checkpoints: Vec<(u64, String)>) -> Self {
        Verifier::from_state(keys, chain, checkpoints, (0, Hash::ZERO), Frontier::default())
    }

    fn from_state(keys: CheckpointVerifier, chain: Chain, mut checkpoints: Vec<(u64, String)>, previous: (u64, Hash), frontier: Frontier) -> Self {
        checkpoints.sort_by_key(|(size, _)| *size);
        let mut checkpoints = checkpoints.into_iter();
        let next_checkpoint = checkpoints.next();
        Verifier {
            chain,
            checkpoints,
            next_checkpoint,
            keys,
            trusted: None,
            previous,
            frontier,
            checked: 0,
            forgotten: 0,
            unrecorded: BTreeSet::new(),
            keep_nodes: None,
            nodes: Vec::new(),
            subject_key: memmem::Finder::new(SUBJECT_KEY),
        }
    }

    /// Also checks `head`, this chain's head in a checkpoint kept outside
    /// the database (the witness file, or one the auditor holds), already
    /// verified: a chain shorter than it, or with another root at its
    /// size, fails.
    #[must_use]
    pub fn trusting(mut self, head: &Checkpoint) -> Self {
        self.trusted = Some((head.size, head.root));
        self
    }

    /// Goes on from the checkpoint `note` at `size`, whose frontier and
    /// last link the store kept: for checking what was appended to its
    /// chain since, before signing the next one. The frontier must have
    /// the signed root.
    pub fn resume(keys: CheckpointVerifier, note: &str, frontier: Frontier, link: Hash) -> Result<Self, VerifyError> {
        let size = frontier.size();
        let checkpoint = keys.verify(note).map_err(|source| VerifyError::Checkpoint { size, source })?;
        if checkpoint.size != size {
            return Err(VerifyError::CheckpointSize { stored: size, signed: checkpoint.size });
        }
        if checkpoint.root != frontier.root() {
            return Err(VerifyError::CheckpointMismatch { size });
        }
        Ok(Verifier::from_state(keys, checkpoint.chain, Vec::new(), (size, link), frontier))
    }

    /// Keeps the perfect subtrees of `2^level` leaves or more that the walk
    /// completes, for [`Verifier::to_sign`].
    #[must_use]
    pub fn keeping_nodes(mut self, level: u8) -> Self {
        self.keep_nodes = Some(level);
        self
    }

    /// The position and link of the last row pushed, or of the checkpoint
    /// resumed from: (0, zero) before the chain's first row.
    pub fn head(&self) -> (u64, Hash) {
        self.previous
    }

    /// Takes the chain's next row as this process has just made it with
    /// [`Row::next`]: its leaf was hashed from its entry then, so only its
    /// place and link are checked. The kernel's own appends, to sign the
    /// next checkpoint without reading them back.
    pub fn push_made(&mut self, row: &Row) -> Result<(), VerifyError> {
        self.follows(row)?;
        self.accept(row, row.leaf)
    }

    /// Checks the chain's next row: its position, hashes, the per-person
    /// index beside it, and any checkpoint at its size.
    pub fn push(&mut self, row: &Row) -> Result<(), VerifyError> {
        self.follows(row)?;
        let leaf = if row.is_forgotten() {
            // The content is gone; the leaf stands for it, and a later
            // forgetting entry must name it.
            if row.subject.is_some() {
                return Err(VerifyError::IndexMismatch { seq: row.seq });
            }
            self.unrecorded.insert(row.seq);
            self.forgotten += 1;
            row.leaf
        } else {
            let leaf = leaf_hash(row.entry.as_bytes());
            if leaf != row.leaf {
                return Err(VerifyError::Altered { seq: row.seq });
            }
            if subject_in(&self.subject_key, &row.entry) != Some(row.subject.as_deref()) {
                return Err(VerifyError::IndexMismatch { seq: row.seq });
            }
            if is_forgetting(&row.entry) {
                self.record_forgetting(row)?;
            }
            leaf
        };
        self.accept(row, leaf)
    }

    /// Whether `row` is the next of this chain.
    fn follows(&self, row: &Row) -> Result<(), VerifyError> {
        let (previous, _) = self.previous;
        if row.position != previous + 1 || row.chain != self.chain {
            return Err(if row.position > previous + 1 && row.chain == self.chain {
                VerifyError::Removed { seq: row.seq, expected: previous + 1, found: row.position }
            } else {
                VerifyError::ChainBroken { seq: row.seq, previous }
            });
        }
        Ok(())
    }

    /// Links `row`, whose leaf is `leaf`, onto the chain and the tree.
    fn accept(&mut self, row: &Row, leaf: Hash) -> Result<(), VerifyError> {
        let (previous, previous_link) = self.previous;
        if chain_hash(&previous_link, &leaf) != row.link {
            return Err(VerifyError::ChainBroken { seq: row.seq, previous });
        }
        self.previous = (row.position, row.link);
        match self.keep_nodes {
            Some(level) => {
                let nodes = &mut self.nodes;
                self.frontier.push_with(leaf, &mut |node| {
                    if node.level >= level {
                        nodes.push(node);
                    }
                });
            }
            None => self.frontier.push(leaf),
        }
        while let Some((size, note)) = self.next_checkpoint.take_if(|(size, _)| *size <= row.position) {
            self.check(size, &note)?;
            self.next_checkpoint = self.checkpoints.next();
        }
        if let Some((size, root)) = self.trusted.filter(|(size, _)| *size == row.position) {
            if root != self.frontier.root() {
                return Err(VerifyError::WitnessMismatch { size });
            }
            self.checked += 1;
        }
        Ok(())
    }

    fn record_forgetting(&mut self, row: &Row) -> Result<(), VerifyError> {
        let unreadable = |reason: String| VerifyError::Forgetting { seq: row.seq, reason };
        let entry = Entry::parse(&row.entry).map_err(|e| unreadable(e.to_string()))?;
        if entry.action != FORGET_ACTION {
            return Ok(());
        }
        let forgotten = Forgotten::parse(&entry.object).ok_or_else(|| unreadable(format!("`{}` is not a list of entries", entry.object)))?;
        for seq in forgotten.seqs() {
            self.unrecorded.remove(&seq);
        }
        Ok(())
    }

    fn check(&mut self, size: u64, note: &str) -> Result<(), VerifyError> {
        let checkpoint = self.keys.verify(note).map_err(|source| VerifyError::Checkpoint { size, source })?;
        if checkpoint.size != size {
            return Err(VerifyError::CheckpointSize { stored: size, signed: checkpoint.size });
        }
        if checkpoint.chain != self.chain {
            return Err(VerifyError::OtherChain { size, found: checkpoint.chain });
        }
        if checkpoint.root != self.frontier.root() || self.frontier.size() != size {
            return Err(VerifyError::CheckpointMismatch { size });
        }
        self.checked += 1;
        Ok(())
    }

    /// Ends the walk: a checkpoint beyond the last row means the log was
    /// truncated; an emptied entry nobody recorded forgetting, that its
    /// content was removed by hand; a log no checkpoint covers, that there
    /// is nothing to trust it by.
    pub fn finish(mut self) -> Result<Verification, VerifyError> {
        let count = self.previous.0;
        if let Some((size, _)) = self.trusted.filter(|(size, _)| *size > count) {
            return Err(VerifyError::ShorterThanWitnessed { size, count });
        }
        if let Some((size, note)) = self.next_checkpoint.take() {
            // A checkpoint beyond the end: either truncation, or a forged size.
            self.keys.verify(&note).map_err(|source| VerifyError::Checkpoint { size, source })?;
            return Err(VerifyError::Truncated { size, count });
        }
        if let Some(seq) = self.unrecorded.first() {
            return Err(VerifyError::ForgottenUnrecorded { seq: *seq });
        }
        if count > 0 && self.checked == 0 {
            return Err(VerifyError::Unsigned { count });
        }
        Ok(Verification { entries: count, forgotten: self.forgotten, checkpoints: self.checked })
    }

    /// What to sign at this point of a walk begun with
    /// [`Verifier::resume`] (or from a chain's first row): the frontier, and
    /// the subtrees kept since the last call. Refused while an entry emptied
    /// since the checkpoint has no forgetting entry naming it.
    pub fn to_sign(&mut self) -> Result<(Frontier, Vec<Node>), VerifyError> {
        match self.unrecorded.first() {
            Some(seq) => Err(VerifyError::ForgottenUnrecorded { seq: *seq }),
            None => Ok((self.frontier.clone(), std::mem::take(&mut self.nodes))),
        }
    }
}

/// The key of the subject id in an entry's canonical JSON. Inside a JSON
/// string a quote is escaped, so this text occurs only as the key itself.
const SUBJECT_KEY: &str = "\"data_subject_id\":";

/// The subject an entry's canonical JSON names (`Some(None)`: none), read
/// without parsing the whole entry; `None` if it cannot be read so.
fn subject_in<'e>(key: &memmem::Finder<'_>, entry: &'e str) -> Option<Option<&'e str>> {
    // The key is ASCII, so where it ends is a character boundary.
    let rest = entry.get(key.find(entry.as_bytes())? + SUBJECT_KEY.len()..)?;
    if rest.starts_with("null") {
        return Some(None);
    }
    let value = rest.strip_prefix('"')?;
    let end = value.find('"')?;
    // Pseudonyms never need escapes; one that does is not ours.
    let id = &value[..end];
    (!id.contains('\\')).then_some(Some(id))
}

/// Whether an entry may be a forgetting entry (parsed to be sure).
fn is_forgetting(entry: &str) -> bool {
    entry.contains("\"action\":\"forget\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckpointSigner, Outcome};

    fn entry(n: u64) -> Entry {
        Entry { data_subject_id: Some(format!("subject-{n}")), object: format!("record {n}"), ..Entry::example(Outcome::Allowed) }
    }

    #[test]
    fn rows_taken_as_made_give_the_tree_that_checking_them_gives_and_only_in_their_place() {
        let keys = CheckpointSigner::new("test", ed25519_dalek::SigningKey::from_bytes(&[7; 32])).verifier();
        let chain = Chain::new(3);
        let mut checked = Verifier::new(keys.clone(), chain, Vec::new()).keeping_nodes(1);
        let mut made = Verifier::new(keys, chain, Vec::new()).keeping_nodes(1);
        let mut head = None;
        for n in 0..9 {
            let row = Row::next(n, chain, head, &entry(n));
            head = Some((row.position, row.link));
            checked.push(&row).unwrap();
            made.push_made(&row).unwrap();
        }
        assert_eq!(made.head(), head.unwrap());
        let (frontier, nodes) = made.to_sign().unwrap();
        assert_eq!((frontier.size(), nodes.len()), (9, 4 + 2 + 1));
        assert_eq!(checked.to_sign().unwrap(), (frontier, nodes));
        // The rows of another head: one already taken, one past a gap, one
        // after the right position but another link.
        let again = Row::next(9, chain, Some((3, Hash::ZERO)), &entry(9));
        assert_eq!(made.push_made(&again), Err(VerifyError::ChainBroken { seq: 9, previous: 9 }));
        let gap = Row::next(9, chain, Some((10, Hash::ZERO)), &entry(9));
        assert_eq!(made.push_made(&gap), Err(VerifyError::Removed { seq: 9, expected: 10, found: 11 }));
        let forked = Row::next(9, chain, Some((9, Hash::ZERO)), &entry(9));
        assert_eq!(made.push_made(&forked), Err(VerifyError::ChainBroken { seq: 9, previous: 9 }));
        assert_eq!(made.head(), head.unwrap(), "a refused row leaves the head as it was");
    }

    #[test]
    fn the_subject_is_read_from_the_canonical_entry() {
        let key = memmem::Finder::new(SUBJECT_KEY);
        assert_eq!(subject_in(&key, r#"{"a":"x","data_subject_id":"s-1","b":2}"#), Some(Some("s-1")));
        assert_eq!(subject_in(&key, r#"{"data_subject_id":null}"#), Some(None));
        assert_eq!(subject_in(&key, r#"{"reason":"\"data_subject_id\":\"s-2\"","data_subject_id":null}"#), Some(None));
        assert_eq!(subject_in(&key, "{}"), None);
    }
}
