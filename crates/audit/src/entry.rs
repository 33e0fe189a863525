use std::fmt;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::Chain;
use crate::forget::{FORGET_ACTION, Forgotten};

/// OpenTelemetry trace id: one per processing operation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TraceId(pub [u8; 16]);

/// OpenTelemetry span id: one per data subject within an operation.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// A fresh random trace id.
    pub fn random() -> TraceId {
        let mut bytes = [0; 16];
        // An all-zero id is invalid in W3C trace context.
        while bytes == [0; 16] {
            rand::thread_rng().fill_bytes(&mut bytes);
        }
        TraceId(bytes)
    }

    /// Parses 32 lowercase hex digits, not all zero (the W3C `traceparent` form).
    pub fn parse(text: &str) -> Option<TraceId> {
        crate::trace::lower_hex(text).filter(|bytes| *bytes != [0; 16]).map(TraceId)
    }
}

impl SpanId {
    /// A fresh random span id.
    pub fn random() -> SpanId {
        let mut bytes = [0; 8];
        while bytes == [0; 8] {
            rand::thread_rng().fill_bytes(&mut bytes);
        }
        SpanId(bytes)
    }
}

macro_rules! hex_id {
    ($ty:ident) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                let mut bytes = [0; std::mem::size_of::<$ty>()];
                hex::decode_to_slice(&text, &mut bytes).map_err(serde::de::Error::custom)?;
                Ok($ty(bytes))
            }
        }
    };
}

hex_id!(TraceId);
hex_id!(SpanId);

/// Whether the kernel let the operation through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The register allowed it and it was done.
    Allowed,
    /// The register did not allow it; nothing was read or changed.
    Denied,
    /// Allowed, but the store failed; nothing was changed.
    Failed,
}

impl Outcome {
    /// The LDV status of an operation with this outcome. A refusal is the
    /// system working as it should (LDV 0.8 counts a 4xx as `Unset`), not
    /// an error; only a failure of our own is `Error`.
    pub fn status_code(self) -> StatusCode {
        match self {
            Outcome::Allowed => StatusCode::Ok,
            Outcome::Denied => StatusCode::Unset,
            Outcome::Failed => StatusCode::Error,
        }
    }
}

/// LDV's `status_code` (the OpenTelemetry span status), stored as its
/// number. Entries written before it was a number hold `"OK"` or
/// `"ERROR"`, and still parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusCode {
    /// 0: done without an internal fault, nothing more said (a refusal).
    Unset,
    /// 1: done, and marked as succeeded.
    Ok,
    /// 2: an internal fault (the store failed).
    Error,
}

impl StatusCode {
    /// The enum's number in LDV and OTLP.
    pub fn code(self) -> u8 {
        match self {
            StatusCode::Unset => 0,
            StatusCode::Ok => 1,
            StatusCode::Error => 2,
        }
    }
}

impl Serialize for StatusCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for StatusCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Code(u8),
            Legacy(String),
        }
        match Stored::deserialize(d)? {
            Stored::Code(0) => Ok(StatusCode::Unset),
            Stored::Code(1) => Ok(StatusCode::Ok),
            Stored::Code(2) => Ok(StatusCode::Error),
            Stored::Legacy(text) if text == "OK" => Ok(StatusCode::Ok),
            Stored::Legacy(text) if text == "ERROR" => Ok(StatusCode::Error),
            Stored::Legacy(text) if text == "UNSET" => Ok(StatusCode::Unset),
            Stored::Code(code) => Err(serde::de::Error::custom(format!("status_code {code} is not 0, 1 or 2"))),
            Stored::Legacy(text) => Err(serde::de::Error::custom(format!("status_code `{text}` is not OK, ERROR or UNSET"))),
        }
    }
}

/// The caller's operation, when another application called us with W3C
/// trace context: LDV's `foreign_operation`. Our own operation keeps a
/// trace of its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForeignOperation {
    /// The caller's trace.
    pub trace_id: TraceId,
    /// The caller's span that called us.
    pub span_id: SpanId,
    /// A URI naming the calling party.
    pub entity: String,
}

/// What `data_subject_id` is: our pseudonymous subject id, not a BSN (LDV
/// asks for the type as a name or a URI; a URN needs no server to resolve).
pub const PSEUDONYM_ID_TYPE: &str = "urn:grondslag:data-subject-id:pseudonym";

/// One audit entry. Field names follow LDV (`dpl.core.*` in the standard)
/// where it has one; the rest are BIO 8.15.01's log-line fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When the operation happened.
    pub timestamp: jiff::Timestamp,
    /// The operation, shared by its entries.
    pub trace_id: TraceId,
    /// This entry within the operation.
    pub span_id: SpanId,
    /// The operation's root span, when this entry is one subject of several.
    pub parent_span_id: Option<SpanId>,
    /// The caller's operation, when another application called us with a
    /// trace of its own. Absent from entries written before it existed, and
    /// left out when there is none, so an entry's canonical form does not
    /// change with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_operation: Option<ForeignOperation>,
    /// Versioned URI of the processing activity in the register.
    pub processing_activity_id: String,
    /// The processing's id in the register.
    pub processing: String,
    /// Pseudonymous subject id; never a BSN or name.
    pub data_subject_id: Option<String>,
    /// What kind of id `data_subject_id` is: a URI ([`PSEUDONYM_ID_TYPE`]).
    pub data_subject_id_type: Option<String>,
    /// Who acted, as the caller names them.
    pub actor: String,
    /// The actor's role in the register.
    pub role: String,
    /// The register action asked for.
    pub action: String,
    /// What was acted on: a record, a recipient, a subject.
    pub object: String,
    /// The register categories touched.
    pub categories: Vec<String>,
    /// Whether the kernel let it through.
    pub outcome: Outcome,
    /// LDV's status: [`Outcome::status_code`] of `outcome`.
    pub status_code: StatusCode,
    /// Why: the denial, the failure, or the purpose given.
    pub reason: String,
    /// Where the request came from (command, address).
    pub origin: String,
}

impl Entry {
    /// The chain it goes to: the chain of the person it is about, or for an
    /// entry recording forgetting, the chain of the entries it names.
    pub fn chain(&self) -> Chain {
        if self.action == FORGET_ACTION
            && let Some(forgotten) = Forgotten::parse(&self.object)
        {
            return forgotten.chain();
        }
        Chain::of(self.data_subject_id.as_deref())
    }

    /// The bytes that are hashed: JSON with fields in declaration order.
    pub fn canonical(&self) -> String {
        // Our own plain struct with string-keyed fields always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads an entry back from its canonical JSON.
    pub fn parse(text: &str) -> Result<Entry, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// An entry of a case handler's read, for this crate's tests.
    #[cfg(test)]
    pub(crate) fn example(outcome: Outcome) -> Entry {
        Entry {
            timestamp: "2026-11-28T10:00:00.123Z".parse().unwrap_or_default(),
            trace_id: TraceId([1; 16]),
            span_id: SpanId([2; 8]),
            parent_span_id: None,
            foreign_operation: None,
            processing_activity_id: "https://register.example/processing_activities/p/versions/1".into(),
            processing: "p".into(),
            data_subject_id: Some("subject".into()),
            data_subject_id_type: Some(PSEUDONYM_ID_TYPE.into()),
            actor: "carla".into(),
            role: "case_handler".into(),
            action: "read".into(),
            object: "record".into(),
            categories: vec!["name".into()],
            outcome,
            status_code: outcome.status_code(),
            reason: "allowed by the register".into(),
            origin: "http 10.0.0.1".into(),
        }
    }
}
