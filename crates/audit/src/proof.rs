//! RFC 9162 (RFC 6962bis) proofs over the audit log's Merkle tree: that an
//! entry is in the log a checkpoint signed (inclusion), and that a later
//! checkpoint extends an earlier one without rewriting it (consistency).
//!
//! Proofs are built from the hashes of perfect, aligned subtrees, which the
//! caller supplies through [`Subtrees`]: the kernel keeps the large ones
//! and computes the small ones from leaves, so a proof costs a few lookups
//! whatever the log's size.

use crate::hash::{Hash, chain_hash};

/// Why a proof could not be made or does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum ProofError<E> {
    #[error("entry {index} is not in a log of {size} entries")]
    OutOfRange { index: u64, size: u64 },
    #[error("a log of {first} entries cannot be compared with one of {second}: the first must be smaller and not empty")]
    Sizes { first: u64, second: u64 },
    #[error("the proof does not lead to the signed root")]
    Mismatch,
    #[error(transparent)]
    Source(E),
}

/// Where a proof's hashes come from.
pub trait Subtrees {
    /// What reading them can fail with.
    type Error;
    /// The Merkle tree hash of the `size` leaves from `start`, where
    /// `size` is a power of two and `start` a multiple of it.
    fn perfect(&mut self, start: u64, size: u64) -> Result<Hash, Self::Error>;
}

/// The largest power of two smaller than `n` (`n` ≥ 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH of the leaves `start..start + n`; `start` is a multiple of the
/// largest power of two not above `n`, as every range a proof needs is.
fn mth<S: Subtrees>(tree: &mut S, start: u64, n: u64) -> Result<Hash, S::Error> {
    if n.is_power_of_two() {
        return tree.perfect(start, n);
    }
    let k = split(n);
    Ok(chain_hash(&mth(tree, start, k)?, &mth(tree, start + k, n - k)?))
}

/// The audit path of leaf `index` (from 0) in the tree of the first `size`
/// leaves, deepest sibling first (RFC 9162 §2.1.3.1).
pub fn inclusion_proof<S: Subtrees>(tree: &mut S, index: u64, size: u64) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    let mut path = Vec::new();
    // Walk down from the root, noting each sibling, then reverse.
    let (mut start, mut n, mut m) = (0, size, index);
    while n > 1 {
        let k = split(n);
        if m < k {
            path.push(mth(tree, start + k, n - k).map_err(ProofError::Source)?);
            n = k;
        } else {
            path.push(mth(tree, start, k).map_err(ProofError::Source)?);
            (start, n, m) = (start + k, n - k, m - k);
        }
    }
    path.reverse();
    Ok(path)
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves with
/// root `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, path: &[Hash], root: &Hash) -> Result<(), ProofError<std::convert::Infallible>> {
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    let (mut f, mut s, mut r) = (index, size - 1, *leaf);
    for p in path {
        if s == 0 {
            return Err(ProofError::Mismatch);
        }
        if f & 1 == 1 || f == s {
            r = chain_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = chain_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s == 0 && r == *root { Ok(()) } else { Err(ProofError::Mismatch) }
}

/// The proof that the tree of the first `first` leaves is a prefix of the
/// tree of the first `second` (RFC 9162 §2.1.4.1).
pub fn consistency_proof<S: Subtrees>(tree: &mut S, first: u64, second: u64) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if first == 0 || first > second {
        return Err(ProofError::Sizes { first, second });
    }
    let mut proof = Vec::new();
    let (mut start, mut n, mut m, mut whole) = (0, second, first, true);
    while m != n {
        let k = split(n);
        if m <= k {
            proof.push(mth(tree, start + k, n - k).map_err(ProofError::Source)?);
            n = k;
        } else {
            proof.push(mth(tree, start, k).map_err(ProofError::Source)?);
            (start, n, m, whole) = (start + k, n - k, m - k, false);
        }
    }
    if !whole {
        proof.push(mth(tree, start, m).map_err(ProofError::Source)?);
    }
    proof.reverse();
    Ok(proof)
}

/// Checks a consistency proof between the roots of the first `first` and
/// the first `second` leaves (RFC 9162 §2.1.4.2).
pub fn verify_consistency(first: u64, second: u64, first_root: &Hash, second_root: &Hash, proof: &[Hash]) -> Result<(), ProofError<std::convert::Infallible>> {
    if first == 0 || first > second {
        return Err(ProofError::Sizes { first, second });
    }
    if first == second {
        return if proof.is_empty() && first_root == second_root { Ok(()) } else { Err(ProofError::Mismatch) };
    }
    let with_first;
    let proof = if first.is_power_of_two() {
        with_first = [std::slice::from_ref(first_root), proof].concat();
        &with_first[..]
    } else {
        proof
    };
    let (Some(seed), rest) = (proof.first(), proof.get(1..).unwrap_or_default()) else {
        return Err(ProofError::Mismatch);
    };
    let (mut f, mut s) = (first - 1, second - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*seed, *seed);
    for c in rest {
        if s == 0 {
            return Err(ProofError::Mismatch);
        }
        if f & 1 == 1 || f == s {
            fr = chain_hash(c, &fr);
            sr = chain_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = chain_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if fr == *first_root && sr == *second_root && s == 0 { Ok(()) } else { Err(ProofError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{Frontier, leaf_hash};

    struct Leaves(Vec<Hash>);

    impl Subtrees for Leaves {
        type Error = std::convert::Infallible;
        fn perfect(&mut self, start: u64, size: u64) -> Result<Hash, Self::Error> {
            assert!(size.is_power_of_two() && start.is_multiple_of(size), "asked for an unaligned subtree {start}+{size}");
            let mut frontier = Frontier::default();
            for leaf in &self.0[start as usize..(start + size) as usize] {
                frontier.push(*leaf);
            }
            Ok(frontier.root())
        }
    }

    fn root(leaves: &[Hash]) -> Hash {
        let mut frontier = Frontier::default();
        leaves.iter().for_each(|l| frontier.push(*l));
        frontier.root()
    }

    #[test]
    fn every_inclusion_proof_up_to_40_leaves_verifies_and_a_wrong_one_does_not() {
        let leaves: Vec<Hash> = (0u32..40).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = Leaves(leaves.clone());
        for size in 1..=40u64 {
            let root = root(&leaves[..size as usize]);
            for index in 0..size {
                let path = inclusion_proof(&mut tree, index, size).unwrap();
                assert_eq!(verify_inclusion(&leaves[index as usize], index, size, &path, &root), Ok(()), "{index} in {size}");
                let other = leaves[((index + 1) % 40) as usize];
                assert_eq!(verify_inclusion(&other, index, size, &path, &root), Err(ProofError::Mismatch));
                if let Some(first) = path.first() {
                    let mut altered = path.clone();
                    altered[0] = chain_hash(first, first);
                    assert_eq!(verify_inclusion(&leaves[index as usize], index, size, &altered, &root), Err(ProofError::Mismatch));
                }
            }
        }
        assert_eq!(inclusion_proof(&mut tree, 5, 5), Err(ProofError::OutOfRange { index: 5, size: 5 }));
    }

    #[test]
    fn every_consistency_proof_up_to_40_leaves_verifies_and_a_rewritten_prefix_does_not() {
        let leaves: Vec<Hash> = (0u32..40).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        let mut tree = Leaves(leaves.clone());
        for second in 1..=40u64 {
            let second_root = root(&leaves[..second as usize]);
            for first in 1..=second {
                let first_root = root(&leaves[..first as usize]);
                let proof = consistency_proof(&mut tree, first, second).unwrap();
                assert_eq!(verify_consistency(first, second, &first_root, &second_root, &proof), Ok(()), "{first} → {second}");
                let mut rewritten = leaves[..first as usize].to_vec();
                rewritten[0] = leaf_hash(b"rewritten");
                assert_eq!(verify_consistency(first, second, &root(&rewritten), &second_root, &proof), Err(ProofError::Mismatch), "{first} → {second}");
            }
        }
        assert_eq!(consistency_proof(&mut tree, 0, 3), Err(ProofError::Sizes { first: 0, second: 3 }));
    }
}
