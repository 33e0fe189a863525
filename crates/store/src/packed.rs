//! Audit entries as they are stored: compressed with zstd against a fixed
//! dictionary of entries, about a sixth of their JSON.
//!
//! The audit log is most of a store (73 % of a generated one), and every
//! entry is JSON that repeats its keys, the register's URIs and the same
//! few actions. Packed, an entry of about 630 bytes takes about 110; the
//! store is less than half as large, a commit writes fewer pages, and the
//! store of a million people fits in memory again (BENCHMARKS.md, fifteenth
//! session).
//!
//! Only the stored form changes. What is hashed, signed, verified and
//! exported is still the entry's canonical JSON ([`grondslag_audit::Entry`]),
//! which the store gives back whole: nothing above it sees the packing.
//! Entries stored before it (JSON text, or its bytes on PostgreSQL) and
//! forgotten ones (empty) read as they are.
//!
//! Tools that read the database directly unpack an entry with
//! [`unpack_audit_entry`](crate::unpack_audit_entry).
//!
//! The dictionary (`dictionaries/audit-entries-32769.zstd-dict`, 16 KiB)
//! was trained once with `zstd --train --maxdict=16384 --dictID=32769` on
//! 5,000 entries drawn from `grondslag generate --subjects 20000 --seed 1`.
//! It must never change: every packed entry names it by its id, 32769, and
//! can be unpacked only with it. A better dictionary would come beside it
//! under another id.

use std::cell::RefCell;

use zstd::bulk::{Compressor, Decompressor};

use crate::StoreError;

const DICTIONARY: &[u8] = include_bytes!("../dictionaries/audit-entries-32769.zstd-dict");

/// Level 1: with the dictionary it packs as tightly as level 19 would
/// (about 103 bytes an entry against 100) at several times the speed.
const LEVEL: i32 = 1;

/// No entry is near this; a frame claiming more is not one of ours.
const LARGEST_ENTRY: usize = 1 << 20;

thread_local! {
    // A context with the dictionary loaded, kept per thread: loading it
    // costs far more than packing one entry.
    static PACKER: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static UNPACKER: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

/// An entry's canonical JSON, packed for storing.
pub fn pack(entry: &str) -> Result<Vec<u8>, StoreError> {
    PACKER.with_borrow_mut(|packer| {
        let packer = match packer {
            Some(packer) => packer,
            None => packer.insert(Compressor::with_dictionary(LEVEL, DICTIONARY).map_err(StoreError::Pack)?),
        };
        packer.compress(entry.as_bytes()).map_err(StoreError::Pack)
    })
}

/// An entry as stored, whatever its form, as its canonical JSON.
///
/// Stored bytes that do not unpack are given back as they are (as text,
/// lossily): they then do not hash to the entry's leaf, and `audit verify`
/// names the entry as altered, which it is.
pub fn unpack(stored: &[u8]) -> String {
    if stored.first().is_none_or(|first| *first == b'{') {
        return String::from_utf8_lossy(stored).into_owned();
    }
    match unpacked(stored) {
        Ok(entry) => entry,
        Err(e) => {
            tracing::warn!(error = %e, "an audit entry does not unpack; it is read as stored, so it fails verification");
            String::from_utf8_lossy(stored).into_owned()
        }
    }
}

fn unpacked(stored: &[u8]) -> Result<String, String> {
    let size = zstd::zstd_safe::get_frame_content_size(stored)
        .map_err(|_| "not a zstd frame".to_string())?
        .and_then(|size| usize::try_from(size).ok())
        .filter(|size| *size <= LARGEST_ENTRY)
        .ok_or("the frame does not give a plausible size")?;
    let bytes = UNPACKER.with_borrow_mut(|unpacker| {
        let unpacker = match unpacker {
            Some(unpacker) => unpacker,
            None => unpacker.insert(Decompressor::with_dictionary(DICTIONARY).map_err(|e| e.to_string())?),
        };
        unpacker.decompress(stored, size).map_err(|e| e.to_string())
    })?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = r#"{"timestamp":"2022-08-03T23:11:37Z","trace_id":"90366cbec9ac935dd70feadab91cab92","span_id":"e8fa5d7115f68149","parent_span_id":null,"processing_activity_id":"https://register.grondslag.example/processing_activities/immateriele_schade/versions/1","processing":"immateriele_schade","data_subject_id":"a67cebd86de2b8ff98e7a96863b4f2e2","data_subject_id_type":"urn:grondslag:data-subject-id:pseudonym","actor":"froukje.de.pol.6","role":"case_handler","action":"check","object":"a67cebd86de2b908c729f0dc5dd8f8ac:advance","categories":[],"outcome":"allowed","status_code":1,"reason":"allowed by the register","origin":"synthetic"}"#;

    #[test]
    fn an_entry_packs_to_a_sixth_and_unpacks_to_the_same_json() {
        let packed = pack(ENTRY).unwrap();
        assert!(packed.len() * 4 < ENTRY.len(), "{} bytes packed from {}", packed.len(), ENTRY.len());
        assert_eq!(unpack(&packed), ENTRY);
    }

    #[test]
    fn entries_stored_before_packing_and_forgotten_ones_read_as_they_are() {
        assert_eq!(unpack(ENTRY.as_bytes()), ENTRY);
        assert_eq!(unpack(b""), "");
    }

    #[test]
    fn a_damaged_packed_entry_reads_as_something_other_than_the_entry() {
        let mut packed = pack(ENTRY).unwrap();
        let middle = packed.len() / 2;
        packed[middle] ^= 0x55;
        assert_ne!(unpack(&packed), ENTRY);
        packed.truncate(8);
        assert_ne!(unpack(&packed), ENTRY);
    }
}
