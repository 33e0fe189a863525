//! Every error becomes a response here, and only here. The API gets
//! problem details (RFC 9457, `application/problem+json`, as the NL API
//! Design Rules ask); a page request gets a Dutch page
//! (`layout::render_errors` turns one into the other, by the [`ErrorMark`]
//! every error response carries), so a handler never has to know which
//! of the two it serves.
//!
//! One rule for languages: the API speaks to programs and operators, in
//! English and precisely — `detail` is the register's or the module's own
//! reason — and pages speak to people, in Dutch: an error of the kernel or
//! a module is explained by its own `explain_nl` (a refusal by the
//! register from the register's Dutch labels,
//! [`grondslag_kernel::Denial::explain_nl`]), and every error by its code
//! (`layout::error_page`).
//!
//! A problem's members: `type` is `urn:grondslag:problem:{code}`, a stable
//! name per code that does not pretend to be a page; `title` is the HTTP
//! status's reason phrase; `status` the status; `detail` what went wrong
//! and what to do; `instance` the request's trace
//! (`urn:grondslag:trace:{trace id}`, as in the `traceresponse` header and
//! the audit entries: the occurrence, which an operator can look up; not
//! the path, which can hold a subject's id); and `code`, as an
//! extension member, the stable code (`relation_missing`,
//! `role_not_allowed`, `not_found`, …) that programs branch on.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use grondslag_accounts::AccountError;
use grondslag_kernel::{KernelError, StoreError};
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
    #[error("the form was not sent from this site or has expired; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    Account(#[from] AccountError),
    #[error("{0}")]
    Kernel(#[from] KernelError),
    /// A refusal of the case module that is not about finding a case.
    #[error("{0}")]
    Case(grondslag_claims::cases::CaseError),
    /// A refusal of the rights-requests module.
    #[error("{0}")]
    Request(grondslag_rights::requests::RequestError),
    /// A refusal of the call centre's protocol: a rule given what has
    /// happened so far (409), or what was sent cannot be used (422).
    #[error("{0}")]
    CallQa(grondslag_callqa::CallQaError),
    /// A refusal of the staff side: a rule given what has happened so far
    /// (409), or what was sent cannot be used (422).
    #[error("{0}")]
    Hr(grondslag_hr::HrError),
    /// What was sent is incomplete or not valid for the step (422), with
    /// its reason in both languages, so that a page explains it in Dutch.
    #[error("{0}")]
    Invalid(grondslag_values::Reason),
    /// Signing in through a broker did not work (DigiD, eHerkenning).
    #[error("{0}")]
    Broker(#[from] grondslag_broker::BrokerError),
    /// More requests from one address than the limit allows (429).
    #[error("too many requests from your address; try again in {} seconds", retry_after.as_secs().max(1))]
    TooManyRequests { retry_after: std::time::Duration },
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
            e @ H::Corrupt(_) => ServerError::Internal(e.to_string()),
            e @ (H::Invalid(_) | H::Missing(_) | H::NotEligible(_) | H::AlreadyVoted(_) | H::InvitationUsed) => ServerError::Hr(e),
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
            other => ServerError::Case(other),
        }
    }
}

impl From<grondslag_rights::requests::RequestError> for ServerError {
    fn from(e: grondslag_rights::requests::RequestError) -> ServerError {
        match e {
            grondslag_rights::requests::RequestError::Kernel(k) => ServerError::Kernel(k),
            other => ServerError::Request(other),
        }
    }
}

impl From<grondslag_callqa::CallQaError> for ServerError {
    fn from(e: grondslag_callqa::CallQaError) -> ServerError {
        use grondslag_callqa::CallQaError as Q;
        match e {
            Q::Kernel(k) => ServerError::Kernel(k),
            e @ Q::NotFound(_) => ServerError::NotFound(e.to_string()),
            e @ Q::Corrupt(_) => ServerError::Internal(e.to_string()),
            e @ (Q::CapReached { .. }
            | Q::BeforeAnnouncedDate { .. }
            | Q::AlreadyAnnounced(_)
            | Q::NotDrawn(_)
            | Q::NoConsent(_)
            | Q::NotDecided(_)
            | Q::SameDecider
            | Q::InvalidForm(_)
            | Q::Missing(_)
            | Q::Invalid(_)
            | Q::NotInAdvance
            | Q::Import { .. }) => ServerError::CallQa(e),
        }
    }
}

/// Problem details (RFC 9457): the body of every API error.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// `urn:grondslag:problem:{code}`: which problem, stable.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's reason phrase, e.g. `Forbidden`.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong and what to do: the register's reason for a refusal.
    pub detail: String,
    /// This occurrence: `urn:grondslag:trace:{trace id}` of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Stable, for programs: `sign_in_first`, `relation_missing`, `role_not_allowed`, `not_found`, …
    pub code: &'static str,
}

/// The prefix of every problem's `type`.
const PROBLEM_TYPE: &str = "urn:grondslag:problem:";

/// Marks an error response, so that a page request can get a page instead.
#[derive(Clone, Debug)]
pub(crate) struct ErrorMark {
    pub code: &'static str,
    /// For programs and operators: the API's `detail`, in English.
    pub detail: String,
    /// The error itself, which a page explains in Dutch
    /// ([`ServerError::explain_nl`]); kept whole because a refusal by the
    /// register is explained with the processing's name, which only the
    /// register in force knows.
    pub source: Option<std::sync::Arc<ServerError>>,
}

impl ServerError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        use grondslag_callqa::CallQaError as Q;
        use grondslag_hr::HrError as H;
        use grondslag_kernel::KernelError as K;
        match self {
            // The protocol's and the staff side's rules, given what has happened so far.
            ServerError::CallQa(
                Q::CapReached { .. }
                | Q::BeforeAnnouncedDate { .. }
                | Q::AlreadyAnnounced(_)
                | Q::NotDrawn(_)
                | Q::NoConsent(_)
                | Q::NotDecided(_)
                | Q::SameDecider,
            )
            | ServerError::Hr(H::AlreadyVoted(_) | H::InvitationUsed) => (StatusCode::CONFLICT, "conflict"),
            // What was sent cannot be used as it is.
            ServerError::CallQa(Q::InvalidForm(_) | Q::Missing(_) | Q::Invalid(_) | Q::NotInAdvance | Q::Import { .. })
            | ServerError::Hr(H::Invalid(_) | H::Missing(_) | H::NotEligible(_))
            | ServerError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            ServerError::SignInFirst => (StatusCode::UNAUTHORIZED, "sign_in_first"),
            ServerError::Broker(e) => (
                match e {
                    grondslag_broker::BrokerError::NotConfigured(_) => StatusCode::NOT_FOUND,
                    grondslag_broker::BrokerError::Unreachable { .. } => StatusCode::BAD_GATEWAY,
                    grondslag_broker::BrokerError::Config { .. } => StatusCode::INTERNAL_SERVER_ERROR,
                    grondslag_broker::BrokerError::LevelTooLow { .. } => StatusCode::FORBIDDEN,
                    // Nothing under way here to answer: the request, not the person, is wrong.
                    grondslag_broker::BrokerError::UnknownAttempt => StatusCode::BAD_REQUEST,
                    _ => StatusCode::UNAUTHORIZED,
                },
                e.code(),
            ),
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
            ServerError::BadRequest(_)
            | ServerError::Case(_)
            | ServerError::Request(_)
            | ServerError::Kernel(
                K::Invalid { .. } | K::DuplicateCategory(_) | K::WrongValueKind { .. } | K::DuplicateBsn | K::OtherBsn | K::UnknownRecipient(_),
            ) => (StatusCode::BAD_REQUEST, "bad_request"),
            ServerError::Account(AccountError::Locked { .. }) => (StatusCode::TOO_MANY_REQUESTS, "locked"),
            ServerError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ServerError::Account(AccountError::Busy) | ServerError::Kernel(K::AlreadyRunning(_)) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            ServerError::Kernel(K::Store(StoreError::Conflict { .. })) => (StatusCode::SERVICE_UNAVAILABLE, "try_again"),
            ServerError::Account(AccountError::WrongCredentials | AccountError::WrongCode | AccountError::WrongPasskey | AccountError::Closed) => {
                (StatusCode::UNAUTHORIZED, "sign_in_failed")
            }
            ServerError::Account(AccountError::PasskeyStaffOnly(_)) => (StatusCode::FORBIDDEN, "passkey_staff_only"),
            ServerError::Account(AccountError::PasskeysUnavailable) => (StatusCode::CONFLICT, "passkeys_unavailable"),
            ServerError::Account(AccountError::NoPasskey) => (StatusCode::CONFLICT, "no_passkey"),
            ServerError::Account(AccountError::PasskeyNotStarted) => (StatusCode::CONFLICT, "passkey_not_started"),
            ServerError::Account(AccountError::PasskeyRefused(_)) => (StatusCode::BAD_REQUEST, "passkey_refused"),
            ServerError::Account(AccountError::InvalidPasskeyName) => (StatusCode::BAD_REQUEST, "bad_request"),
            ServerError::Account(AccountError::UnknownPasskey) => (StatusCode::NOT_FOUND, "not_found"),
            ServerError::Account(
                AccountError::WeakPassword(_)
                | AccountError::NoPassword
                | AccountError::InvalidUsername(_)
                | AccountError::UsernameTaken(_)
                | AccountError::ReservedUsername(_)
                | AccountError::RoleNotForAccount(_),
            ) => (StatusCode::BAD_REQUEST, "bad_request"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    /// What a page says of the error in Dutch, beyond what its code says:
    /// what was wrong with what was sent and what to do, or why the
    /// register refused. `None` where the code says it all, and for a
    /// fault of ours, which the page explains by its status.
    pub(crate) fn explain_nl(&self, register: &grondslag_register::Register) -> Option<String> {
        // A broker that cannot be reached, or a moment of many sign-ins,
        // is not a fault, and the person can wait for it.
        match self {
            ServerError::Broker(e @ grondslag_broker::BrokerError::Unreachable { .. }) => return Some(e.explain_nl()),
            ServerError::Account(e @ AccountError::Busy) => return Some(e.explain_nl(register)),
            ServerError::Kernel(e @ (KernelError::AlreadyRunning(_) | KernelError::Store(StoreError::Conflict { .. }))) => {
                return Some(e.explain_nl(register));
            }
            _ => {}
        }
        if self.status_and_code().0.is_server_error() {
            return None;
        }
        match self {
            // The code's own explanation (`record_held`) says it all.
            ServerError::Kernel(KernelError::Held { .. }) => None,
            ServerError::Kernel(e) => Some(e.explain_nl(register)),
            ServerError::Account(e) => Some(e.explain_nl(register)),
            ServerError::Case(e) => Some(e.explain_nl(register)),
            ServerError::Request(e) => Some(e.explain_nl(register)),
            ServerError::CallQa(e) => Some(e.explain_nl(register)),
            ServerError::Hr(e) => Some(e.explain_nl(register)),
            ServerError::Invalid(reason) => Some(reason.nl.clone()),
            ServerError::TooManyRequests { retry_after } => Some(format!(
                "Er zijn vanaf jouw adres in korte tijd te veel formulieren verstuurd. Probeer het over {} minuten opnieuw.",
                retry_after.as_secs().div_ceil(60).max(1)
            )),
            ServerError::Broker(e) => Some(e.explain_nl()),
            ServerError::SignInFirst
            | ServerError::Forbidden(_)
            | ServerError::StaffOnly(_)
            | ServerError::NotFound(_)
            | ServerError::BadRequest(_)
            | ServerError::Csrf
            | ServerError::Start(_)
            | ServerError::Internal(_) => None,
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let detail = match (status, &self) {
            (StatusCode::INTERNAL_SERVER_ERROR, _) => {
                tracing::error!(error = %self, "request failed");
                "something went wrong on our side; try again later, and if it keeps failing, call 0800 4444 111".to_string()
            }
            // The register's reason, which names no person: what the role
            // may not do, or what must happen first (a legal check).
            (StatusCode::FORBIDDEN, ServerError::Kernel(_)) => {
                tracing::info!(error = %self, "refused");
                format!("refused by the register: {self}")
            }
            _ => self.to_string(),
        };
        let retry_after = match &self {
            ServerError::TooManyRequests { retry_after } => Some(retry_after.as_secs().max(1)),
            ServerError::Account(AccountError::Locked { until }) => Some(until.duration_since(jiff::Timestamp::now()).as_secs().max(1).unsigned_abs()),
            ServerError::Account(AccountError::Busy) | ServerError::Kernel(KernelError::AlreadyRunning(_)) => Some(60),
            ServerError::Kernel(KernelError::Store(StoreError::Conflict { .. })) => Some(1),
            _ => None,
        };
        let mut response = problem_for(status, ErrorMark { code, detail, source: Some(std::sync::Arc::new(self)) }, None);
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The problem-details body of `mark`, marked so that a page request can
/// get a page instead; `instance` names the occurrence where known.
pub(crate) fn problem_for(status: StatusCode, mark: ErrorMark, instance: Option<String>) -> Response {
    let problem = Problem {
        kind: format!("{PROBLEM_TYPE}{}", mark.code),
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail: mark.detail.clone(),
        instance,
        code: mark.code,
    };
    let mut response = (status, Json(problem)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response.extensions_mut().insert(mark);
    response
}

/// The content type of problem details (RFC 9457).
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// The fallback: a route that does not exist.
pub(crate) async fn not_found() -> ServerError {
    ServerError::NotFound("there is no page or endpoint at this address".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The status, `detail` and content type of the API's answer to `error`,
    /// and what a page says of it.
    async fn both_ways(error: ServerError) -> (u16, String, String, Option<String>) {
        let (register, _) = grondslag_register::load(None, None).unwrap();
        let dutch = error.explain_nl(&register);
        let response = error.into_response();
        let status = response.status().as_u16();
        let content_type = response.headers().get(header::CONTENT_TYPE).unwrap().to_str().unwrap().to_string();
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        (status, problem["detail"].as_str().unwrap().to_string(), content_type, dutch)
    }

    // req: E0.8
    #[tokio::test]
    async fn a_staff_refusal_is_english_in_the_api_and_dutch_on_a_page() {
        let ground = "vervelend".parse::<grondslag_callqa::reports::DeletionGround>().unwrap_err();
        let eligible = grondslag_hr::election::eligible(
            &grondslag_hr::election::Tenure { started: jiff::civil::date(2026, 9, 1), ended: None },
            jiff::civil::date(2026, 12, 1),
            grondslag_hr::election::Standing::Voter,
        )
        .unwrap_err();
        let written = grondslag_values::dutch::parse_written("31-02-2026").unwrap_err();
        for (error, english, dutch) in [
            (ServerError::from(ground), "`vervelend` is not", "'vervelend' staat niet in de lijst"),
            (
                ServerError::from(grondslag_hr::HrError::NotEligible(eligible)),
                "not eligible: employed since 2026-09-01",
                "Je kunt hier niet aan meedoen: je bent in dienst sinds 1 september 2026",
            ),
            (
                ServerError::Invalid(grondslag_values::Reason::new(format!("the first day: {written}"), format!("De eerste dag: {}", written.explain_nl()))),
                "the first day: `31-02-2026`: there is no 31 februari 2026",
                "De eerste dag: '31-02-2026': 31 februari 2026 bestaat niet.",
            ),
        ] {
            let (status, detail, content_type, page) = both_ways(error).await;
            assert_eq!((status, content_type.as_str()), (422, PROBLEM_JSON), "{detail}");
            assert!(detail.starts_with(english), "the API's detail stays English: {detail}");
            let page = page.unwrap_or_default();
            assert!(page.starts_with(dutch), "the page's explanation is Dutch: {page}");
            assert!(!page.contains(english) && !detail.contains(dutch), "{page} / {detail}");
        }
        let (status, detail, _, page) =
            both_ways(ServerError::from(grondslag_callqa::CallQaError::NotDecided(grondslag_callqa::threat::Decider::DepartmentManager))).await;
        assert_eq!(status, 409);
        assert!(detail.contains("missing: the department manager's decision"), "{detail}");
        assert!(page.unwrap_or_default().contains("het besluit van de afdelingsmanager ontbreekt nog"));
    }

    /// A write PostgreSQL stopped because it and another each waited for
    /// what the other held: not a fault to hide behind "call us", but a
    /// moment to try again — 503 with Retry-After, and a page that says so.
    // req: E17
    #[tokio::test]
    async fn a_write_stopped_for_another_at_the_same_moment_says_try_again() {
        let error = || ServerError::Kernel(KernelError::Store(StoreError::Conflict { context: "reading a subject" }));
        let retry_after = error().into_response().headers().get(header::RETRY_AFTER).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(retry_after.as_deref(), Some("1"));
        let (status, detail, _, page) = both_ways(error()).await;
        assert_eq!(status, 503);
        assert!(detail.contains("ran at the same moment") && detail.ends_with("try again"), "{detail}");
        assert!(page.unwrap_or_default().contains("Er is niets opgeslagen; probeer het nog eens."));
    }
}
