//! Forgetting: an entry past its term loses its content but keeps its leaf
//! hash, so the chain and every checkpoint still verify. The entries one
//! sweep emptied are named in an entry of their own, appended to the chain
//! in the same transaction; verification accepts an empty entry only when a
//! later entry names it, so emptying one by hand is caught. The entry goes
//! to the chain of the entries it names, so that each chain verifies alone.

use std::fmt::Write as _;

use crate::Chain;

/// The action of the entry that names what a sweep forgot.
pub const FORGET_ACTION: &str = "forget";

/// Sequence numbers of forgotten entries of one chain, as runs, in the
/// compact form the forgetting entry's `object` carries: `audit:1-5,9` in
/// chain 0 (as before the log was split), `audit/3:12,40-41` in chain 3.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    chain: Chain,
    runs: Vec<(u64, u64)>,
}

impl Forgotten {
    /// The runs of `seqs` (in any order, duplicates allowed), entries of `chain`.
    pub fn of(chain: Chain, seqs: &[u64]) -> Forgotten {
        let mut sorted = seqs.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for seq in sorted {
            match runs.last_mut() {
                Some((_, last)) if *last + 1 == seq => *last = seq,
                _ => runs.push((seq, seq)),
            }
        }
        Forgotten { chain, runs }
    }

    /// The chain of the entries, where the forgetting entry goes too.
    pub fn chain(&self) -> Chain {
        self.chain
    }

    /// How many entries.
    pub fn len(&self) -> u64 {
        self.runs.iter().map(|(from, to)| to - from + 1).sum()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// Every sequence number, in order.
    pub fn seqs(&self) -> impl Iterator<Item = u64> + '_ {
        self.runs.iter().flat_map(|(from, to)| *from..=*to)
    }

    /// The forgetting entry's object.
    pub fn object(&self) -> String {
        let mut text = if self.chain == Chain::default() { String::from("audit:") } else { format!("audit/{}:", self.chain.number()) };
        for (i, (from, to)) in self.runs.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            // Writing to a String cannot fail.
            let _ = if from == to { write!(text, "{comma}{from}") } else { write!(text, "{comma}{from}-{to}") };
        }
        text
    }

    /// Reads what [`Forgotten::object`] wrote; `None` if it is not that.
    pub fn parse(object: &str) -> Option<Forgotten> {
        let (prefix, list) = object.split_once(':')?;
        let chain = match prefix.strip_prefix("audit")? {
            "" => Chain::default(),
            number => Chain::new(number.strip_prefix('/')?.parse().ok()?),
        };
        let runs = list
            .split(',')
            .map(|run| {
                let (from, to) = run.split_once('-').unwrap_or((run, run));
                let (from, to) = (from.parse::<u64>().ok()?, to.parse::<u64>().ok()?);
                (from <= to).then_some((from, to))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Forgotten { chain, runs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_written_compactly_and_read_back() {
        let forgotten = Forgotten::of(Chain::default(), &[9, 1, 2, 3, 5, 4, 12, 9]);
        assert_eq!(forgotten.object(), "audit:1-5,9,12");
        assert_eq!(forgotten.len(), 7);
        assert_eq!(Forgotten::parse(&forgotten.object()), Some(forgotten));
        let third = Forgotten::of(Chain::new(3), &[40, 12, 41]);
        assert_eq!(third.object(), "audit/3:12,40-41");
        assert_eq!(Forgotten::parse(&third.object()).map(|f| f.chain()), Some(Chain::new(3)));
        assert_eq!(Forgotten::parse("audit:5-1"), None);
        assert_eq!(Forgotten::parse("audit/x:5"), None);
        assert_eq!(Forgotten::parse("auditx:5"), None);
        assert_eq!(Forgotten::parse("record:1"), None);
    }
}
