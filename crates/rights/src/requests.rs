//! Rights requests, kept under the register's rights process.

use grondslag_kernel::{Access, Kernel, KernelError, RecordRef, SubjectExport, SubjectId, Value};
use grondslag_register::{Category, ProcessingId};
use jiff::civil::Date;

use crate::terms::{self, ExtensionError};

const PROCESSING: &str = "rechtenverzoeken";

/// What a person asks (AVG art. 7(3), 15–21; E19's opt-out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RightKind {
    Access,
    Explanation,
    Rectification,
    Erasure,
    Restriction,
    Portability,
    Objection,
    WithdrawConsent,
    OptOutOfApproach,
}

impl RightKind {
    pub const ALL: [RightKind; 9] = [
        RightKind::Access,
        RightKind::Explanation,
        RightKind::Rectification,
        RightKind::Erasure,
        RightKind::Restriction,
        RightKind::Portability,
        RightKind::Objection,
        RightKind::WithdrawConsent,
        RightKind::OptOutOfApproach,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RightKind::Access => "access",
            RightKind::Explanation => "explanation",
            RightKind::Rectification => "rectification",
            RightKind::Erasure => "erasure",
            RightKind::Restriction => "restriction",
            RightKind::Portability => "portability",
            RightKind::Objection => "objection",
            RightKind::WithdrawConsent => "withdraw_consent",
            RightKind::OptOutOfApproach => "opt_out_of_approach",
        }
    }

    pub fn from_name(name: &str) -> Option<RightKind> {
        RightKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("unknown request kind `{0}`; use access, explanation, rectification, erasure, restriction, portability, objection, withdraw_consent or opt_out_of_approach")]
    UnknownKind(String),
    #[error("the requester's identity has not been verified; verify it first (method, by whom) — nothing is answered or changed before")]
    IdentityNotVerified,
    #[error("this request was answered already")]
    Answered,
    #[error("not a rights request: {0}")]
    NotARequest(String),
    #[error(transparent)]
    Extension(#[from] ExtensionError),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

/// Where a request stands, read from its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestState {
    pub request: RecordRef,
    pub kind: RightKind,
    pub received: Date,
    pub due: Date,
    pub identity: Option<String>,
    pub answered: bool,
}

#[derive(Debug)]
pub struct Requests<'k> {
    kernel: &'k Kernel,
    processing: ProcessingId,
}

impl<'k> Requests<'k> {
    pub fn new(kernel: &'k Kernel) -> Result<Requests<'k>, RequestError> {
        Ok(Requests { kernel, processing: kernel.processing(PROCESSING)? })
    }

    /// Files a request of `subject` (received now, `access.now`).
    pub fn file(&self, access: &Access, subject: &SubjectId, kind: RightKind, requester: &str) -> Result<RequestState, RequestError> {
        let fields = [(Category::Name, Value::text(requester)), (Category::FreeText, Value::text(kind.name()))];
        let request = self.kernel.write(access, self.processing, Some(subject), None, &fields)?;
        self.kernel.record_event(access, self.processing, &request, "received", Some("awaiting_identity"), Some(kind.name()))?;
        self.state(access, &request)
    }

    /// Records how the requester's identity was verified, and by whom.
    pub fn verify_identity(&self, access: &Access, request: &RecordRef, method: &str) -> Result<RequestState, RequestError> {
        let detail = format!("{method}; verified by {}", access.actor);
        self.kernel.record_event(access, self.processing, request, "identity_verified", Some("open"), Some(&detail))?;
        self.state(access, request)
    }

    /// Extends the term by one or two months; the notice to the person is
    /// recorded now, and must fall within the first month.
    pub fn extend(&self, access: &Access, request: &RecordRef, months: i64, reason: &str) -> Result<RequestState, RequestError> {
        let state = self.state(access, request)?;
        let due = terms::extend(state.received, months, reason, terms::amsterdam_date(access.now))?;
        self.kernel.record_event(access, self.processing, request, "extended", None, Some(&format!("{due}; {reason}")))?;
        self.state(access, request)
    }

    /// Records the answer; only after the identity is verified.
    pub fn answer(&self, access: &Access, request: &RecordRef, text: &str) -> Result<RequestState, RequestError> {
        let state = self.state(access, request)?;
        if state.identity.is_none() {
            return Err(RequestError::IdentityNotVerified);
        }
        if state.answered {
            return Err(RequestError::Answered);
        }
        self.kernel.record_event(access, self.processing, request, "answered", Some("answered"), Some(text))?;
        self.state(access, request)
    }

    /// The access export (art. 15) for a verified request.
    pub fn export(&self, access: &Access, request: &RecordRef) -> Result<SubjectExport, RequestError> {
        if self.state(access, request)?.identity.is_none() {
            return Err(RequestError::IdentityNotVerified);
        }
        Ok(self.kernel.export(access, self.processing, &request.subject)?)
    }

    /// A request's state, from its events.
    pub fn state(&self, access: &Access, request: &RecordRef) -> Result<RequestState, RequestError> {
        let events = self.kernel.events(access, self.processing, request)?;
        let received = events.iter().find(|e| e.event == "received").ok_or_else(|| RequestError::NotARequest(request.to_string()))?;
        let kind = received.detail.as_deref().and_then(RightKind::from_name).ok_or_else(|| RequestError::NotARequest(request.to_string()))?;
        let received_on = terms::amsterdam_date(received.at);
        let extended = events
            .iter()
            .filter(|e| e.event == "extended")
            .filter_map(|e| e.detail.as_deref()?.split(';').next()?.trim().parse::<Date>().ok())
            .max();
        Ok(RequestState {
            request: request.clone(),
            kind,
            received: received_on,
            due: extended.unwrap_or_else(|| terms::answer_due(received_on)),
            identity: events.iter().rev().find(|e| e.event == "identity_verified").and_then(|e| e.detail.clone()),
            answered: events.iter().any(|e| e.event == "answered"),
        })
    }

    /// Open requests by due date, overdue ones first.
    pub fn open(&self, access: &Access) -> Result<Vec<RequestState>, RequestError> {
        let mut open = Vec::new();
        for status in ["awaiting_identity", "open"] {
            for request in self.kernel.list_all(access, self.processing, Some(status))? {
                open.push(self.state(access, &request.record)?);
            }
        }
        open.sort_by_key(|s| s.due);
        Ok(open)
    }
}
