use std::fmt;

use sha2::{Digest, Sha256};

/// A SHA-256 digest: a leaf, node or chain hash of the audit log.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The chain hash before the first entry.
    pub const ZERO: Hash = Hash([0; 32]);

    /// The hash in `bytes`, if they are exactly 32.
    pub fn from_slice(bytes: &[u8]) -> Option<Hash> {
        bytes.try_into().ok().map(Hash)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// RFC 6962 leaf hash.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(entry);
    Hash(h.finalize().into())
}

/// RFC 6962 interior-node hash; also links an entry to its predecessor.
pub fn chain_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    Hash(h.finalize().into())
}

/// A perfect subtree: the `2^level` leaves from `index << level`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// Height above the leaves.
    pub level: u8,
    /// Position among the subtrees of its level.
    pub index: u64,
    /// Its Merkle tree hash.
    pub hash: Hash,
}

/// The right edge of an RFC 6962 Merkle tree: the roots of the perfect
/// subtrees that make up the first `size` leaves, largest first. Enough to
/// append and to compute the root in O(log n) space.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// Roots of perfect subtrees, left to right; their sizes are the set bits
    /// of `size`, largest first.
    nodes: Vec<Hash>,
}

impl Frontier {
    /// Leaves pushed so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf, merging perfect subtrees of equal size.
    pub fn push(&mut self, leaf: Hash) {
        self.push_with(leaf, &mut |_| ());
    }

    /// [`Frontier::push`], handing each perfect subtree the leaf completes
    /// to `completed`, smallest first (for keeping them, to prove from).
    pub fn push_with(&mut self, leaf: Hash, completed: &mut dyn FnMut(Node)) {
        let mut node = leaf;
        let mut size = self.size;
        let mut level = 0;
        // Merge equal-sized subtrees, as a binary counter carries.
        while size & 1 == 1 {
            if let Some(left) = self.nodes.pop() {
                node = chain_hash(&left, &node);
            }
            size >>= 1;
            level += 1;
            completed(Node { level, index: self.size >> level, hash: node });
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The Merkle tree hash of the leaves pushed so far (RFC 6962 MTH).
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(last) = nodes.next() else {
            return Hash(Sha256::digest([]).into());
        };
        nodes.fold(*last, |right, left| chain_hash(left, &right))
    }

    /// Size (8 bytes, big-endian) followed by the node hashes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = self.size.to_be_bytes().to_vec();
        for node in &self.nodes {
            bytes.extend_from_slice(&node.0);
        }
        bytes
    }

    /// Reads what [`Frontier::to_bytes`] wrote; `None` if it is damaged.
    pub fn from_bytes(bytes: &[u8]) -> Option<Frontier> {
        let (size, rest) = bytes.split_at_checked(8)?;
        let size = u64::from_be_bytes(size.try_into().ok()?);
        if rest.len() % 32 != 0 || rest.len() / 32 != size.count_ones() as usize {
            return None;
        }
        let nodes = rest.chunks_exact(32).filter_map(Hash::from_slice).collect();
        Some(Frontier { size, nodes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962 MTH by its recursive definition, to check the frontier.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Hash(Sha256::digest([]).into()),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                chain_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn frontier_root_matches_recursive_definition() {
        let leaves: Vec<Hash> = (0u32..40).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut frontier = Frontier::default();
        for (i, leaf) in leaves.iter().enumerate() {
            frontier.push(*leaf);
            assert_eq!(frontier.root(), reference_root(&leaves[..=i]), "size {}", i + 1);
            assert_eq!(Frontier::from_bytes(&frontier.to_bytes()).as_ref(), Some(&frontier));
        }
    }

    #[test]
    fn each_completed_subtree_is_handed_out_once_with_its_root() {
        let leaves: Vec<Hash> = (0u32..40).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut frontier = Frontier::default();
        let mut nodes = Vec::new();
        for leaf in &leaves {
            frontier.push_with(*leaf, &mut |node| nodes.push(node));
        }
        // 40 leaves: 20 pairs, 10 of 4, 5 of 8, 2 of 16, 1 of 32.
        assert_eq!(nodes.len(), 38);
        for node in nodes {
            let start = (node.index << node.level) as usize;
            assert_eq!(node.hash, reference_root(&leaves[start..start + (1 << node.level)]), "{node:?}");
        }
    }
}
