//! A set of categories as a fixed array of machine words, so that a decision
//! is a few bitwise operations, never allocates and copies like an integer.
//!
//! The number of words is computed from the taxonomy at compile time
//! ([`WORDS`]), so the set grows with `Category::ALL`: adding categories for
//! the call-centre or HR modules adds a word when the 65th arrives, and no
//! category can share a bit with another. A single `u128` with a build-time
//! assertion was the alternative; it was not chosen because it only moves the
//! ceiling (someone must widen it again at 129) and doubles the width of every
//! set today, while the array is one word for the 58 categories there are.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::taxonomy::Category;

/// Words in a [`CategorySet`]: enough for every category, never a word more.
const WORDS: usize = Category::ALL.len().div_ceil(u64::BITS as usize);

// What the set relies on, proven when the crate is built rather than
// hoped for when a category is added: every category has a bit within the
// words, and a category's bit is its position in `Category::ALL`, so that
// iterating bits in order is iterating the taxonomy in order.
const _: () = {
    assert!(Category::ALL.len() <= Bits::<WORDS>::CAPACITY, "CategorySet has fewer bits than the taxonomy has categories",);
    let mut i = 0;
    while i < Category::ALL.len() {
        assert!(Category::ALL[i].index() == i, "Category::ALL must list the categories in declaration order",);
        i += 1;
    }
};

/// A set of categories, one bit each: what a processing holds, a grant opens or a question asks.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CategorySet(Bits<WORDS>);

impl CategorySet {
    /// No category.
    pub const EMPTY: CategorySet = CategorySet(Bits::EMPTY);

    /// The set of `categories`.
    pub fn of(categories: &[Category]) -> CategorySet {
        categories.iter().fold(CategorySet::EMPTY, |set, c| set.with(*c))
    }

    /// This set and `category`.
    #[must_use]
    pub fn with(self, category: Category) -> CategorySet {
        CategorySet(self.0.with(category.index()))
    }

    /// Whether `category` is in the set.
    pub fn contains(self, category: Category) -> bool {
        self.0.contains(category.index())
    }

    /// Whether the set has no category.
    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }

    /// How many categories the set has.
    pub fn len(self) -> usize {
        self.0.len()
    }

    /// Whether every category here is also in `of`.
    pub fn is_subset(self, of: CategorySet) -> bool {
        self.0.is_subset(of.0)
    }

    /// The categories in both.
    #[must_use]
    pub fn intersection(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0.zip(other.0, |a, b| a & b))
    }

    /// The categories in either.
    #[must_use]
    pub fn union(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0.zip(other.0, |a, b| a | b))
    }

    /// The categories here that are not in `other`.
    #[must_use]
    pub fn difference(self, other: CategorySet) -> CategorySet {
        CategorySet(self.0.zip(other.0, |a, b| a & !b))
    }

    /// The categories in taxonomy order.
    pub fn iter(self) -> impl Iterator<Item = Category> {
        // Only categories set bits, so every index is in `ALL` (the const
        // assertion above); `get` keeps that a fact of the types, not a panic.
        self.0.ones().filter_map(|i| Category::ALL.get(i).copied())
    }

    /// The first category in taxonomy order, if any: used to name the
    /// offending category in an error without allocating.
    pub fn first(self) -> Option<Category> {
        self.iter().next()
    }
}

// By hand: `[u64; N]` has `Default` only for small literal `N`, not for one
// computed from the taxonomy.
impl Default for CategorySet {
    fn default() -> Self {
        CategorySet::EMPTY
    }
}

impl FromIterator<Category> for CategorySet {
    fn from_iter<I: IntoIterator<Item = Category>>(iter: I) -> Self {
        iter.into_iter().fold(CategorySet::EMPTY, CategorySet::with)
    }
}

impl fmt::Debug for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(Category::name)).finish()
    }
}

impl fmt::Display for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(c.name())?;
        }
        Ok(())
    }
}

impl Serialize for CategorySet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Category::name))
    }
}

/// A set of small indexes, `W` words wide. Generic over the width so that the
/// word arithmetic can be tested at widths the taxonomy has not reached yet
/// (indexes past 64 and 128), which `CategorySet` alone cannot construct.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Bits<const W: usize>([u64; W]);

impl<const W: usize> Bits<W> {
    const EMPTY: Bits<W> = Bits([0; W]);
    const CAPACITY: usize = W * u64::BITS as usize;
    const WORD: usize = u64::BITS as usize;

    /// An index at or past `CAPACITY` is not stored; `CategorySet` never
    /// passes one (the const assertion on `WORDS`).
    fn with(mut self, index: usize) -> Bits<W> {
        if let Some(word) = self.0.get_mut(index / Self::WORD) {
            *word |= 1 << (index % Self::WORD);
        }
        self
    }

    fn contains(self, index: usize) -> bool {
        self.0.get(index / Self::WORD).is_some_and(|word| word & (1 << (index % Self::WORD)) != 0)
    }

    fn is_empty(self) -> bool {
        self.0.iter().all(|word| *word == 0)
    }

    fn len(self) -> usize {
        self.0.iter().map(|word| word.count_ones() as usize).sum()
    }

    fn is_subset(self, of: Bits<W>) -> bool {
        self.0.iter().zip(of.0).all(|(a, b)| a & !b == 0)
    }

    /// Word by word: the one shape of intersection, union and difference.
    fn zip(mut self, other: Bits<W>, op: impl Fn(u64, u64) -> u64) -> Bits<W> {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a = op(*a, b);
        }
        self
    }

    /// The indexes in the set, ascending, without allocating.
    fn ones(self) -> impl Iterator<Item = usize> {
        self.0.into_iter().enumerate().flat_map(|(w, mut word)| {
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let bit = word.trailing_zeros() as usize;
                word &= word - 1;
                Some(w * Self::WORD + bit)
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    /// Three words: indexes up to 191, past the old single-word limit of 64
    /// and past 128, where a `u128` would have stopped.
    type Wide = Bits<3>;

    fn wide(indexes: &[usize]) -> Wide {
        indexes.iter().fold(Wide::EMPTY, |set, i| set.with(*i))
    }

    // req: E0.5
    #[test]
    fn the_set_has_a_bit_for_every_category_and_no_more_words_than_needed() {
        assert!(Bits::<WORDS>::CAPACITY >= Category::ALL.len());
        assert!(Bits::<WORDS>::CAPACITY - Category::ALL.len() < 64, "no word more than needed");
        // No two categories share a bit: each alone is a set of one that
        // holds only itself, and all of them together count every one.
        for c in Category::ALL {
            let alone = CategorySet::EMPTY.with(*c);
            assert_eq!(alone.len(), 1, "{c}");
            assert_eq!(alone.iter().collect::<Vec<_>>(), vec![*c]);
            assert!(Category::ALL.iter().filter(|other| alone.contains(**other)).eq([c]));
        }
        let every: CategorySet = Category::ALL.iter().copied().collect();
        assert_eq!(every.len(), Category::ALL.len());
        assert!(every.iter().eq(Category::ALL.iter().copied()), "taxonomy order");
    }

    // req: E0.5
    #[test]
    fn indexes_past_the_old_limit_keep_their_own_bits_across_words() {
        let edges = [0, 63, 64, 65, 127, 128, 129, 191];
        let set = wide(&edges);
        assert_eq!(set.len(), edges.len());
        assert!(set.ones().eq(edges));
        for i in 0..Wide::CAPACITY {
            assert_eq!(set.contains(i), edges.contains(&i), "{i}");
        }
        // What a decision does with them: the requested indexes past 64 that
        // the grant does not hold are found, and only those.
        let granted = wide(&[0, 63, 65, 128]);
        let asked = wide(&[63, 64, 65, 129]);
        assert!(asked.zip(granted, |a, b| a & !b).ones().eq([64, 129]));
        assert!(asked.zip(granted, |a, b| a & b).ones().eq([63, 65]));
        assert!(!asked.is_subset(granted));
        assert!(wide(&[65, 128]).is_subset(granted));
        // 64 is not 0 and 128 is not 64: no wrap-around into another word.
        assert!(!wide(&[64]).contains(0) && !wide(&[128]).contains(64) && !wide(&[0]).contains(64));
        assert!(!set.contains(Wide::CAPACITY), "past the capacity nothing is held");
    }

    fn indexes(capacity: usize) -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(0..capacity, 0..40)
    }

    proptest! {
        // req: E0.5
        #[test]
        fn wide_sets_agree_with_a_model_across_the_whole_capacity(
            a in indexes(Wide::CAPACITY),
            b in indexes(Wide::CAPACITY),
            probe in 0..Wide::CAPACITY,
        ) {
            let (x, y) = (wide(&a), wide(&b));
            let (mx, my): (BTreeSet<usize>, BTreeSet<usize>) = (a.iter().copied().collect(), b.iter().copied().collect());
            prop_assert_eq!(x.contains(probe), mx.contains(&probe));
            prop_assert_eq!(x.len(), mx.len());
            prop_assert_eq!(x.is_empty(), mx.is_empty());
            prop_assert_eq!(x.is_subset(y), mx.is_subset(&my));
            prop_assert_eq!(x.ones().collect::<Vec<_>>(), mx.iter().copied().collect::<Vec<_>>());
            prop_assert_eq!(x.ones().next(), mx.first().copied());
            prop_assert_eq!(x.zip(y, |p, q| p & q).ones().collect::<Vec<_>>(), mx.intersection(&my).copied().collect::<Vec<_>>());
            prop_assert_eq!(x.zip(y, |p, q| p | q).ones().collect::<Vec<_>>(), mx.union(&my).copied().collect::<Vec<_>>());
            prop_assert_eq!(x.zip(y, |p, q| p & !q).ones().collect::<Vec<_>>(), mx.difference(&my).copied().collect::<Vec<_>>());
            prop_assert_eq!(x == y, mx == my);
        }

        // req: E0.5
        #[test]
        fn category_sets_agree_with_a_model_across_the_taxonomy(
            a in indexes(Category::ALL.len()),
            b in indexes(Category::ALL.len()),
            probe in 0..Category::ALL.len(),
        ) {
            let set = |is: &[usize]| CategorySet::of(&is.iter().map(|i| Category::ALL[*i]).collect::<Vec<_>>());
            let names = |is: &mut dyn Iterator<Item = usize>| is.map(|i| Category::ALL[i]).collect::<Vec<_>>();
            let (x, y) = (set(&a), set(&b));
            let (mx, my): (BTreeSet<usize>, BTreeSet<usize>) = (a.iter().copied().collect(), b.iter().copied().collect());
            prop_assert_eq!(x.contains(Category::ALL[probe]), mx.contains(&probe));
            prop_assert_eq!(x.len(), mx.len());
            prop_assert_eq!(x.is_empty(), mx.is_empty());
            prop_assert_eq!(x.is_subset(y), mx.is_subset(&my));
            prop_assert_eq!(x.iter().collect::<Vec<_>>(), names(&mut mx.iter().copied()));
            prop_assert_eq!(x.first(), mx.first().map(|i| Category::ALL[*i]));
            prop_assert_eq!(x.intersection(y).iter().collect::<Vec<_>>(), names(&mut mx.intersection(&my).copied()));
            prop_assert_eq!(x.union(y).iter().collect::<Vec<_>>(), names(&mut mx.union(&my).copied()));
            prop_assert_eq!(x.difference(y).iter().collect::<Vec<_>>(), names(&mut mx.difference(&my).copied()));
            prop_assert_eq!(x.iter().collect::<CategorySet>(), x);
            let shown = x.iter().map(Category::name).collect::<Vec<_>>();
            prop_assert_eq!(x.to_string(), shown.join(", "));
            prop_assert_eq!(serde_json::to_value(x).unwrap(), serde_json::json!(shown));
        }
    }
}
