//! W3C Trace Context: the `traceparent` a caller sends, parsed strictly,
//! and the `traceresponse` (Trace Context Level 2) we answer with.
//!
//! A caller's trace is not ours: LDV has every application start a trace of
//! its own and keep the caller's as the foreign operation. So a parsed
//! `traceparent` is only ever stored as [`crate::ForeignOperation`].

use std::fmt;

use crate::{SpanId, TraceId};

/// The fields of a `traceparent` (or `traceresponse`) header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    /// The format version; 00 today, higher ones are read as 00.
    pub version: u8,
    /// The trace.
    pub trace_id: TraceId,
    /// The span of the sender (the caller's, in a `traceparent`).
    pub parent_id: SpanId,
    /// Trace flags (bit 0: sampled).
    pub flags: u8,
}

/// Why a `traceparent` was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum TraceParentError {
    #[error("the version is not two lowercase hex digits")]
    Version,
    #[error("version ff is invalid")]
    VersionFf,
    #[error("version 00 has exactly four fields of 2, 32, 16 and 2 characters")]
    Length,
    #[error("the trace id is not 32 lowercase hex digits")]
    TraceId,
    #[error("the trace id is all zeros")]
    ZeroTraceId,
    #[error("the parent id is not 16 lowercase hex digits")]
    ParentId,
    #[error("the parent id is all zeros")]
    ZeroParentId,
    #[error("the flags are not two lowercase hex digits")]
    Flags,
}

/// Length of a version-00 header: `vv-` 32 `-` 16 `-ff`.
const LENGTH_00: usize = 55;

impl TraceParent {
    /// Parses a `traceparent` as W3C Trace Context says a receiver must:
    /// lowercase hex only, no all-zero ids, version `ff` invalid, version
    /// 00 exactly 55 characters; a higher version is read by its first four
    /// fields, and whatever follows them (after a `-`) is ignored.
    pub fn parse(header: &str) -> Result<TraceParent, TraceParentError> {
        let version = header.get(..2).and_then(lower_hex::<1>).ok_or(TraceParentError::Version)?[0];
        if version == 0xff {
            return Err(TraceParentError::VersionFf);
        }
        let bytes = header.as_bytes();
        let fits = match version {
            0 => bytes.len() == LENGTH_00,
            _ => bytes.len() == LENGTH_00 || bytes.len() > LENGTH_00 && bytes[LENGTH_00] == b'-',
        };
        if !fits || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return Err(TraceParentError::Length);
        }
        // `get`: a field cut through a multi-byte character is no hex either.
        let trace_id = header.get(3..35).and_then(lower_hex::<16>).ok_or(TraceParentError::TraceId)?;
        let parent_id = header.get(36..52).and_then(lower_hex::<8>).ok_or(TraceParentError::ParentId)?;
        let flags = header.get(53..55).and_then(lower_hex::<1>).ok_or(TraceParentError::Flags)?[0];
        if trace_id == [0; 16] {
            return Err(TraceParentError::ZeroTraceId);
        }
        if parent_id == [0; 8] {
            return Err(TraceParentError::ZeroParentId);
        }
        Ok(TraceParent { version, trace_id: TraceId(trace_id), parent_id: SpanId(parent_id), flags })
    }
}

impl fmt::Display for TraceParent {
    /// The header value, always in version 00 (the one we speak).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "00-{}-{}-{:02x}", self.trace_id, self.parent_id, self.flags)
    }
}

/// `N` bytes from exactly `2N` lowercase hex digits; `None` for anything else.
pub(crate) fn lower_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut bytes = [0; N];
    hex::decode_to_slice(text, &mut bytes).ok()?;
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const SPAN: &str = "00f067aa0ba902b7";

    fn parse(text: &str) -> Result<TraceParent, TraceParentError> {
        TraceParent::parse(text)
    }

    #[test]
    fn a_version_00_header_is_read() {
        let parsed = parse(&format!("00-{TRACE}-{SPAN}-01")).unwrap();
        assert_eq!((parsed.version, parsed.trace_id.to_string(), parsed.parent_id.to_string(), parsed.flags), (0, TRACE.into(), SPAN.into(), 1));
        assert_eq!(parsed.to_string(), format!("00-{TRACE}-{SPAN}-01"));
    }

    #[test]
    fn uppercase_ids_are_refused() {
        assert_eq!(parse(&format!("00-{}-{SPAN}-01", TRACE.to_uppercase())), Err(TraceParentError::TraceId));
        assert_eq!(parse(&format!("00-{TRACE}-{}-01", SPAN.to_uppercase())), Err(TraceParentError::ParentId));
        assert_eq!(parse(&format!("0A-{TRACE}-{SPAN}-01")), Err(TraceParentError::Version));
    }

    #[test]
    fn flags_that_are_not_lowercase_hex_are_refused() {
        for flags in ["0g", "-1", "AB", "x1"] {
            assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-{flags}")), Err(TraceParentError::Flags), "{flags}");
        }
    }

    #[test]
    fn all_zero_ids_are_refused() {
        assert_eq!(parse(&format!("00-{}-{SPAN}-01", "0".repeat(32))), Err(TraceParentError::ZeroTraceId));
        assert_eq!(parse(&format!("00-{TRACE}-{}-01", "0".repeat(16))), Err(TraceParentError::ZeroParentId));
    }

    #[test]
    fn wrong_lengths_are_refused() {
        assert_eq!(parse(&format!("00-{}-{SPAN}-01", &TRACE[1..])), Err(TraceParentError::Length));
        assert_eq!(parse(&format!("00-{TRACE}-{}-01", &SPAN[1..])), Err(TraceParentError::Length));
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-1")), Err(TraceParentError::Length));
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-01-extra")), Err(TraceParentError::Length), "version 00 has no more fields");
        assert_eq!(parse(&format!("00-{TRACE}-{SPAN}-01 ")), Err(TraceParentError::Length));
        assert_eq!(parse(""), Err(TraceParentError::Version));
        assert_eq!(parse("00"), Err(TraceParentError::Length));
        assert_eq!(parse(&format!("00-{}é-{SPAN}-01", &TRACE[2..])), Err(TraceParentError::TraceId), "no panic on a multi-byte character");
    }

    #[test]
    fn version_ff_is_invalid() {
        assert_eq!(parse(&format!("ff-{TRACE}-{SPAN}-01")), Err(TraceParentError::VersionFf));
    }

    #[test]
    fn a_higher_version_is_read_by_its_first_four_fields() {
        let parsed = parse(&format!("cc-{TRACE}-{SPAN}-01-what-the-future-brings")).unwrap();
        assert_eq!((parsed.version, parsed.trace_id.to_string(), parsed.parent_id.to_string()), (0xcc, TRACE.into(), SPAN.into()));
        assert_eq!(parse(&format!("01-{TRACE}-{SPAN}-01")).unwrap().version, 1);
        assert_eq!(parse(&format!("cc-{TRACE}-{SPAN}-01x")), Err(TraceParentError::Length), "what follows must start with a dash");
        assert_eq!(parse(&format!("cc-{}-{SPAN}-01-x", "0".repeat(32))), Err(TraceParentError::ZeroTraceId), "the known fields are still checked");
    }
}
