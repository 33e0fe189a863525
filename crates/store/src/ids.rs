//! Random identifiers: 128 bits from the OS, as 32 lowercase hex digits.
//! They carry no meaning, so they can appear in logs and URLs.

use std::fmt;

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
            /// A fresh id of 128 random bits, from the thread's generator
            /// as the crypto crate's nonces (a write makes several ids).
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
}
