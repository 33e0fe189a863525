//! Identifiers of 128 bits, as 32 lowercase hex digits. They say nothing
//! about the person or thing they name, so they can appear in logs and URLs.
//!
//! Subjects' pseudonyms and records' ids come from an [`IdSequence`]: 64
//! bits counted up from a random start, then 64 random bits. Ids made one
//! after another then sit side by side in every index on them (subjects,
//! records, fields, due dates, events, the blind and record indexes, the
//! audit log by subject), so a write adds to pages the last one wrote — in
//! the page cache and, under group commit, in the same commit — where a
//! random id lands on a page of its own, read from disk and written to the
//! WAL whole. Such an id tells in what order one process made its ids, not
//! when, and nothing the audit log does not tell already: it keeps a
//! subject's first entry, with its time and number, after the person's
//! data is erased. The audit chain of a subject is a hash of the pseudonym,
//! so pseudonyms in sequence still spread over every chain. Blob names stay
//! wholly random.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngCore;

/// A string that is not an id of the kind expected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{value}` is not a valid {kind} id: expected 32 lowercase hexadecimal characters")]
pub struct InvalidId {
    /// Which kind of id, e.g. `"subject"`.
    pub kind: &'static str,
    /// What was given, cut to 40 characters.
    pub value: String,
}

macro_rules! random_id {
    ($(#[$meta:meta])* $ty:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(String);

        impl $ty {
            /// A fresh id of 128 random bits (from the thread's generator,
            /// as the crypto crate's nonces).
            pub fn random() -> $ty {
                let mut bytes = [0u8; 16];
                rand::thread_rng().fill_bytes(&mut bytes);
                $ty(hex::encode(bytes))
            }

            /// Accepts only the form [`Self::random`] makes: 32 lower-case hexadecimal digits.
            pub fn parse(text: &str) -> Result<$ty, InvalidId> {
                let valid = text.len() == 32 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if valid {
                    Ok($ty(text.to_string()))
                } else {
                    Err(InvalidId { kind: $kind, value: text.chars().take(40).collect() })
                }
            }

            /// The id as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", $kind, self.0)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s)
            }
        }
    };
}

random_id!(
    /// A data subject's pseudonym: what the audit log and other tables know.
    SubjectId, "subject"
);
random_id!(
    /// A record: one application, subscription, file.
    RecordId, "record"
);
random_id!(
    /// A file in the blob directory.
    BlobId, "blob"
);

/// Where new subjects' pseudonyms and records' ids come from (see the
/// module's note); one per kernel.
#[derive(Debug)]
pub struct IdSequence {
    next: AtomicU64,
}

impl IdSequence {
    /// A sequence from a random start: a process started again starts
    /// elsewhere, and its ids are told apart by their random half anyway.
    pub fn new() -> IdSequence {
        IdSequence { next: AtomicU64::new(rand::thread_rng().next_u64()) }
    }

    /// A new subject's pseudonym.
    pub fn subject(&self) -> SubjectId {
        SubjectId(self.next())
    }

    /// A new record's id.
    pub fn record(&self) -> RecordId {
        RecordId(self.next())
    }

    /// After the ones made before (it wraps around once in 2^64).
    fn next(&self) -> String {
        let place = self.next.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&place.to_be_bytes());
        rand::thread_rng().fill_bytes(&mut bytes[8..]);
        hex::encode(bytes)
    }
}

impl Default for IdSequence {
    fn default() -> IdSequence {
        IdSequence::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_reject_malformed_input() {
        let id = SubjectId::random();
        assert_eq!(SubjectId::parse(id.as_str()), Ok(id));
        assert!(SubjectId::parse("../etc/passwd").is_err());
        assert!(SubjectId::parse("ABCDEF0123456789ABCDEF0123456789").is_err());
        assert!(BlobId::parse("").is_err());
    }

    #[test]
    fn ids_of_a_sequence_sort_in_the_order_they_were_made_and_parse() {
        let ids = IdSequence::new();
        let made: Vec<RecordId> = (0..1000).map(|_| ids.record()).collect();
        for pair in made.windows(2) {
            // Only the wrap-around once in 2^64 may go back.
            assert!(pair[0] < pair[1] || pair[0].as_str().starts_with("ffffffffffffffff"), "{pair:?}");
            assert_ne!(pair[0].as_str()[16..], pair[1].as_str()[16..], "the random half differs");
        }
        assert_eq!(RecordId::parse(made[0].as_str()), Ok(made[0].clone()));
        // Subjects and records share the sequence.
        let subject = ids.subject();
        assert!(subject.as_str() > made[999].as_str(), "{subject:?}");
        assert_eq!(SubjectId::parse(subject.as_str()), Ok(subject));
        // Another sequence (another process) starts elsewhere.
        let other = IdSequence::new().record();
        assert!(made.iter().all(|id| id.as_str()[..16] != other.as_str()[..16]), "{other:?}");
    }

    #[test]
    fn pseudonyms_in_sequence_still_spread_over_every_audit_chain() {
        let ids = IdSequence::new();
        let mut per_chain = [0u32; grondslag_audit::Chain::COUNT as usize];
        for _ in 0..1600 {
            per_chain[usize::from(grondslag_audit::Chain::of(Some(ids.subject().as_str())).number())] += 1;
        }
        // 100 each on average; a chain below 40 would be 6 standard deviations out.
        assert!(per_chain.iter().all(|&n| n >= 40), "{per_chain:?}");
    }
}
