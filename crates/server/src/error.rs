//! Every error becomes a response here, and only here. The API gets a JSON
//! body `{"error": {"code", "message"}}`; a page request gets the same
//! message as a Dutch page (`layout::render_errors` turns one into the
//! other, by the [`ErrorMark`] every error response carries), so a handler
//! never has to know which of the two it serves.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use grondslag_accounts::AccountError;
use grondslag_kernel::KernelError;
use serde::Serialize;

/// A request that did not succeed; each variant has its HTTP status and a stable code.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum ServerError {
    #[error("sign in first")]
    SignInFirst,
    #[error("{0}")]
    Forbidden(String),
    /// An internal document (the staff statement, the call-centre
    /// protocol) asked for by someone who is not staff (403).
    #[error("{0}")]
    StaffOnly(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// A rule of the domain forbids the step in the state things are in (409).
    #[error("{0}")]
    Conflict(String),
    /// What was sent is incomplete or not valid for the step (422).
    #[error("{0}")]
    Unprocessable(String),
    #[error("the form was not sent from this site or has expired; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    Account(#[from] AccountError),
    #[error("{0}")]
    Kernel(#[from] KernelError),
    #[error("{0}")]
    Module(String),
    #[error("cannot start the service: {0}")]
    Start(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<grondslag_register::NotForReader> for ServerError {
    fn from(e: grondslag_register::NotForReader) -> ServerError {
        match e {
            // A page request then goes to the sign-in page and back.
            grondslag_register::NotForReader::SignInFirst { .. } => ServerError::SignInFirst,
            e @ grondslag_register::NotForReader::StaffOnly { .. } => ServerError::StaffOnly(e.to_string()),
        }
    }
}

impl From<grondslag_hr::HrError> for ServerError {
    fn from(e: grondslag_hr::HrError) -> ServerError {
        use grondslag_hr::HrError as H;
        match e {
            H::Kernel(k) => ServerError::Kernel(k),
            H::Accounts(a) => ServerError::Account(a),
            e @ H::NotFound(_) => ServerError::NotFound(e.to_string()),
            e @ (H::Invalid(_) | H::Missing(_) | H::NotEligible(_)) => ServerError::Unprocessable(e.to_string()),
            e @ H::Corrupt(_) => ServerError::Internal(e.to_string()),
            e @ (H::AlreadyVoted(_) | H::InvitationUsed) => ServerError::Conflict(e.to_string()),
        }
    }
}

impl From<grondslag_claims::cases::CaseError> for ServerError {
    fn from(e: grondslag_claims::cases::CaseError) -> ServerError {
        match e {
            grondslag_claims::cases::CaseError::Kernel(k) => ServerError::Kernel(k),
            // Another's case is "no such case" too: its existence is not told.
            grondslag_claims::cases::CaseError::NoSuchCase(number) => ServerError::NotFound(format!("no case {number} that you may see")),
            e @ grondslag_claims::cases::CaseError::NoSuchRequest { .. } => ServerError::NotFound(e.to_string()),
            other => ServerError::Module(other.to_string()),
        }
    }
}

impl From<grondslag_rights::requests::RequestError> for ServerError {
    fn from(e: grondslag_rights::requests::RequestError) -> ServerError {
        match e {
            grondslag_rights::requests::RequestError::Kernel(k) => ServerError::Kernel(k),
            other => ServerError::Module(other.to_string()),
        }
    }
}

impl From<grondslag_callqa::CallQaError> for ServerError {
    fn from(e: grondslag_callqa::CallQaError) -> ServerError {
        use grondslag_callqa::CallQaError as Q;
        match e {
            Q::Kernel(k) => ServerError::Kernel(k),
            e @ Q::NotFound(_) => ServerError::NotFound(e.to_string()),
            // The protocol's rules, given what has happened so far.
            e @ (Q::CapReached { .. }
            | Q::BeforeAnnouncedDate { .. }
            | Q::AlreadyAnnounced(_)
            | Q::NotDrawn(_)
            | Q::NoConsent(_)
            | Q::NotDecided(_)
            | Q::SameDecider) => ServerError::Conflict(e.to_string()),
            // What was sent cannot be used as it is.
            e @ (Q::InvalidForm(_) | Q::Missing(_) | Q::Invalid(_) | Q::NotInAdvance | Q::Import { .. }) => ServerError::Unprocessable(e.to_string()),
            e @ Q::Corrupt(_) => ServerError::Internal(e.to_string()),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable, for programs: `sign_in_first`, `forbidden`, `not_found`, …
    pub code: &'static str,
    /// For people: what went wrong and what to do.
    pub message: String,
}

/// Marks an error response, so that a page request can get a page instead.
#[derive(Clone, Debug)]
pub(crate) struct ErrorMark {
    pub code: &'static str,
    pub message: String,
}

impl ServerError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        use grondslag_kernel::KernelError as K;
        match self {
            ServerError::SignInFirst => (StatusCode::UNAUTHORIZED, "sign_in_first"),
            // The code names the register's reason (`relation_missing`,
            // `role_not_allowed`, ...), so that a client can tell them apart.
            ServerError::Kernel(K::Denied { denial, .. }) => (StatusCode::FORBIDDEN, denial.code()),
            ServerError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ServerError::StaffOnly(_) => (StatusCode::FORBIDDEN, "staff_only"),
            ServerError::Kernel(K::Held { .. }) => (StatusCode::CONFLICT, "record_held"),
            ServerError::NotFound(_) | ServerError::Kernel(K::UnknownSubject(_) | K::RecordMismatch { .. } | K::UnknownProcessing(_)) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            ServerError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            ServerError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ServerError::Unprocessable(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ServerError::BadRequest(_)
            | ServerError::Module(_)
            | ServerError::Kernel(K::Invalid { .. } | K::DuplicateCategory(_) | K::WrongValueKind { .. } | K::DuplicateBsn | K::OtherBsn) => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            ServerError::Account(AccountError::Locked { .. }) => (StatusCode::TOO_MANY_REQUESTS, "locked"),
            ServerError::Account(AccountError::WrongCredentials | AccountError::WrongCode | AccountError::Closed) => {
                (StatusCode::UNAUTHORIZED, "sign_in_failed")
            }
            ServerError::Account(
                AccountError::WeakPassword(_) | AccountError::InvalidUsername(_) | AccountError::UsernameTaken(_) | AccountError::ReservedUsername(_),
            ) => (StatusCode::BAD_REQUEST, "bad_request"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match (status, &self) {
            (StatusCode::INTERNAL_SERVER_ERROR, _) => {
                tracing::error!(error = %self, "request failed");
                "Er ging iets mis aan onze kant. Probeer het later opnieuw; blijft het misgaan, bel dan 0800 4444 111.".to_string()
            }
            // The register's reason, which names no person: what the role
            // may not do, or what must happen first (a legal check).
            (StatusCode::FORBIDDEN, ServerError::Kernel(_)) => {
                tracing::info!(error = %self, "refused");
                format!("refused by the register: {self}")
            }
            _ => self.to_string(),
        };
        json_for(status, ErrorMark { code, message })
    }
}

/// The JSON error body, marked so that a page request can get a page instead.
pub(crate) fn json_for(status: StatusCode, mark: ErrorMark) -> Response {
    let mut response = (status, Json(ErrorBody { error: ErrorDetail { code: mark.code, message: mark.message.clone() } })).into_response();
    response.extensions_mut().insert(mark);
    response
}

/// The fallback: a route that does not exist.
pub(crate) async fn not_found() -> ServerError {
    ServerError::NotFound("there is no page or endpoint at this address".to_string())
}
