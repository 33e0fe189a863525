//! Every error becomes a response here, and only here. The API gets a JSON
//! body `{"error": {"code", "message"}}`; a page request gets the same
//! message as a Dutch page ([`render_errors`] turns one into the other),
//! so a handler never has to know which of the two it serves.

use axum::Json;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use grondslag_accounts::AccountError;
use grondslag_kernel::KernelError;
use serde::Serialize;

use crate::AppState;
use crate::visitor::Signed;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("sign in first")]
    SignInFirst,
    #[error("{0}")]
    Forbidden(String),
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
    #[error("{0}")]
    Module(String),
    #[error("cannot start the service: {0}")]
    Start(String),
    #[error("internal error: {0}")]
    Internal(String),
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

/// Marks an error response, so that [`render_errors`] can turn it into a page.
#[derive(Clone, Debug)]
struct ErrorMark {
    code: &'static str,
    message: String,
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
            ServerError::Kernel(K::Held { .. }) => (StatusCode::CONFLICT, "record_held"),
            ServerError::NotFound(_) | ServerError::Kernel(K::UnknownSubject(_) | K::RecordMismatch { .. } | K::UnknownProcessing(_)) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            ServerError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            ServerError::BadRequest(_) | ServerError::Module(_) | ServerError::Kernel(K::Invalid { .. } | K::DuplicateCategory(_) | K::WrongValueKind { .. } | K::DuplicateBsn | K::OtherBsn) => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            ServerError::Account(AccountError::Locked { .. }) => (StatusCode::TOO_MANY_REQUESTS, "locked"),
            ServerError::Account(AccountError::WrongCredentials | AccountError::WrongCode | AccountError::Closed) => (StatusCode::UNAUTHORIZED, "sign_in_failed"),
            ServerError::Account(AccountError::WeakPassword(_) | AccountError::InvalidUsername(_) | AccountError::UsernameTaken(_)) => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
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
fn json_for(status: StatusCode, mark: ErrorMark) -> Response {
    let mut response = (status, Json(ErrorBody { error: ErrorDetail { code: mark.code, message: mark.message.clone() } })).into_response();
    response.extensions_mut().insert(mark);
    response
}

/// The fallback: a route that does not exist.
pub(crate) async fn not_found() -> ServerError {
    ServerError::NotFound("there is no page or endpoint at this address".to_string())
}

/// Turns error responses to page requests into pages: a sign-in page
/// when signing in is needed, a Dutch error page otherwise. API requests
/// keep their JSON.
pub(crate) async fn render_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let is_page = !request.uri().path().starts_with("/api/") && !request.uri().path().starts_with("/processing_activities");
    let next_path = request.uri().path().to_string();
    // Kept for an error page, which shows the signed-in person's menu.
    let headers = if is_page { request.headers().clone() } else { axum::http::HeaderMap::new() };
    let response = next.run(request).await;
    let mark = match response.extensions().get::<ErrorMark>().cloned() {
        Some(mark) => mark,
        None if response.status().is_client_error() || response.status().is_server_error() => {
            // Refused before a handler ran (a malformed body, a missing
            // field, a body over the limit, a timeout): the same error body.
            let status = response.status();
            let text = axum::body::to_bytes(response.into_body(), 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            let code = match status {
                StatusCode::PAYLOAD_TOO_LARGE => "too_large",
                StatusCode::REQUEST_TIMEOUT => "timeout",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                _ => "bad_request",
            };
            let message = if text.trim().is_empty() { status.canonical_reason().unwrap_or("refused").to_string() } else { text };
            let mark = ErrorMark { code, message };
            return if is_page { page_for(&state, headers, status, &mark).await } else { json_for(status, mark) };
        }
        None => return response,
    };
    if !is_page {
        return response;
    }
    if mark.code == "sign_in_first" {
        let query = serde_urlencoded::to_string([("terug", next_path.as_str())]).unwrap_or_default();
        return Redirect::to(&format!("/inloggen?{query}")).into_response();
    }
    page_for(&state, headers, response.status(), &mark).await
}

async fn page_for(state: &AppState, headers: axum::http::HeaderMap, status: StatusCode, mark: &ErrorMark) -> Response {
    let mut probe = Request::new(axum::body::Body::empty());
    *probe.headers_mut() = headers;
    let (mut parts, _) = probe.into_parts();
    let signed = Signed::optional(Signed::from_request_parts(&mut parts, state).await);
    let mut page = crate::pages::error_page(status, mark.code, &mark.message, signed.as_ref()).into_response();
    *page.status_mut() = status;
    page.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    page
}
