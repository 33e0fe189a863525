//! Who is asking: the extractors. [`Visitor`] is anyone (with the time,
//! the trace and the origin every audit entry needs); [`Signed`] is someone
//! who has completed both steps of signing in — authentication as an
//! extractor, so a handler that takes a `Signed` cannot run without one.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use grondslag_accounts::{Session, Stage};
use grondslag_audit::{ForeignOperation, SpanId, TraceId, TraceParent};
use grondslag_kernel::{Access, RecordRef, SubjectId};
use grondslag_register::{Role, Scope, ScopeSet};

use crate::error::ServerError;
use crate::state::AppState;

/// Anyone: the moment of the request, its trace (always our own; a
/// caller's W3C `traceparent` becomes the foreign operation of its audit
/// entries), where it came from, and the session, if any, at whatever stage.
#[derive(Clone, Debug)]
pub(crate) struct Visitor {
    pub now: jiff::Timestamp,
    pub trace: TraceId,
    pub foreign: Option<ForeignOperation>,
    pub origin: String,
    pub session: Option<(String, Session)>,
}

impl Visitor {
    /// The website acting for an anonymous visitor (a contact form, a
    /// subscription): the public role, under this request's trace.
    pub fn website(&self) -> Access {
        Access {
            actor: grondslag_accounts::system_actor::WEBSITE.into(),
            subject: None,
            within: None,
            role: Role::Public,
            mandate: None,
            origin: self.origin.clone(),
            trace: self.trace,
            parent_span: None,
            foreign: self.foreign.clone(),
            now: self.now,
        }
    }
}

/// A person who has signed in with both factors.
#[derive(Clone, Debug)]
pub(crate) struct Signed {
    pub visitor: Visitor,
    pub session: Session,
    pub role: Role,
    /// The account record; its subject is the person.
    pub account: RecordRef,
    /// The represented person's file, when the sign-in carried a mandate (DigiD Machtigen).
    pub mandate: Option<SubjectId>,
}

impl Signed {
    /// The visitor, if they completed both steps of signing in.
    pub fn from_visitor(visitor: Visitor) -> Result<Signed, ServerError> {
        let Some((_, session)) = visitor.session.clone().filter(|(_, s)| s.stage == Stage::Complete) else {
            return Err(ServerError::SignInFirst);
        };
        let role = session.role()?;
        let account = session.account()?;
        let mandate = session.mandate.as_deref().map(SubjectId::parse).transpose().map_err(|_| grondslag_accounts::AccountError::Damaged("session mandate"))?;
        Ok(Signed { visitor, session, role, account, mandate })
    }

    /// For pages anyone may see: the signed-in person, or nobody. A
    /// session that cannot be read counts as nobody, and is logged.
    pub fn optional(found: Result<Signed, ServerError>) -> Option<Signed> {
        match found {
            Ok(signed) => Some(signed),
            Err(ServerError::SignInFirst) => None,
            Err(e) => {
                tracing::warn!(error = %e, "a session could not be read; the page is shown as to a visitor");
                None
            }
        }
    }

    /// The kernel's view of this request: who acts, and their own file,
    /// against which the kernel checks every scope. Staff act under their
    /// user name; people acting for themselves under their pseudonymous
    /// subject id, so that the audit log does not name them.
    pub fn access(&self) -> Access {
        let actor = if self.role.acts_for_a_person() { self.account.subject.as_str().to_string() } else { self.session.username.clone() };
        Access {
            actor,
            subject: Some(self.account.subject.clone()),
            within: None,
            role: self.role,
            mandate: self.mandate.clone(),
            origin: self.visitor.origin.clone(),
            trace: self.visitor.trace,
            parent_span: None,
            foreign: self.visitor.foreign.clone(),
            now: self.visitor.now,
        }
    }

    /// [`Signed::access`] for "my data": it reaches the person's own file
    /// only, whatever their role may do elsewhere — or, in a session that
    /// signed in for another (DigiD Machtigen), that person's file only.
    pub fn own_access(&self) -> Access {
        match &self.mandate {
            Some(_) => Access { within: Some(ScopeSet::EMPTY.with(Scope::Represented)), ..self.access() },
            None => self.access().own_file_only(),
        }
    }

    /// Whose file "my data" is: the person's own, or the represented person's.
    pub fn person(&self) -> &SubjectId {
        self.mandate.as_ref().unwrap_or(&self.account.subject)
    }

    /// Refuses unless the CSRF token sent with a form or in the
    /// `X-CSRF-Token` header is this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), ServerError> {
        if self.session.csrf_matches(token) { Ok(()) } else { Err(ServerError::Csrf) }
    }
}

/// The calling party of a foreign operation: a `traceparent` names the
/// caller's trace and span, not who the caller is.
const UNIDENTIFIED_CALLER: &str = "urn:grondslag:caller:unidentified";

/// This request's place in the traces: our own trace and span, and the
/// caller's operation when it sent a valid `traceparent`.
#[derive(Clone, Debug)]
pub(crate) struct RequestTrace {
    trace: TraceId,
    span: SpanId,
    foreign: Option<ForeignOperation>,
}

impl RequestTrace {
    /// Our own trace of the request: what names one occurrence of a problem.
    pub(crate) fn trace(&self) -> TraceId {
        self.trace
    }

    fn of(headers: &HeaderMap) -> RequestTrace {
        // W3C Trace Context: an invalid traceparent is ignored, and with it any tracestate.
        let foreign = headers.get("traceparent").and_then(|v| v.to_str().ok()).and_then(|text| match TraceParent::parse(text) {
            Ok(parent) => Some(ForeignOperation { trace_id: parent.trace_id, span_id: parent.parent_id, entity: UNIDENTIFIED_CALLER.to_string() }),
            Err(e) => {
                tracing::debug!(error = %e, "ignored an invalid traceparent");
                None
            }
        });
        RequestTrace { trace: TraceId::random(), span: SpanId::random(), foreign }
    }
}

/// Gives every request a trace of our own (LDV: an application starts its
/// own trace and keeps the caller's as the foreign operation), and answers
/// with a W3C Trace Context Level 2 `traceresponse` naming it, so a caller
/// can find our log lines by its trace id.
pub(crate) async fn trace_context(mut request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let trace = RequestTrace::of(request.headers());
    // Sampled: every operation is logged (LDV allows no sampling).
    let response_header = TraceParent { version: 0, trace_id: trace.trace, parent_id: trace.span, flags: 1 }.to_string();
    request.extensions_mut().insert(trace);
    let mut response = next.run(request).await;
    if let Ok(value) = axum::http::HeaderValue::from_str(&response_header) {
        response.headers_mut().insert("traceresponse", value);
    }
    response
}

pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Visitor, ServerError> {
        let now = jiff::Timestamp::now();
        let RequestTrace { trace, foreign, .. } = parts.extensions.get::<RequestTrace>().cloned().unwrap_or_else(|| RequestTrace::of(&parts.headers));
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| *peer);
        let origin = match crate::limits::client_address(&parts.headers, peer, state.client_address_header()) {
            Some(address) => format!("http {address}"),
            None => "http".to_string(),
        };
        let token = cookie(&parts.headers, state.session_cookie()).map(str::to_string);
        let session = match token {
            Some(token) => {
                let lookup = token.clone();
                state.run(move |services| Ok(services.accounts.session(&lookup, now)?)).await?.map(|session| (token, session))
            }
            None => None,
        };
        Ok(Visitor { now, trace, foreign, origin, session })
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Signed, ServerError> {
        let signed = Signed::from_visitor(Visitor::from_request_parts(parts, state).await?)?;
        // API clients send the token in a header on everything that changes
        // something; forms carry it in a field, checked by their handler.
        if crate::version::is_api(parts.uri.path()) && parts.method != Method::GET {
            let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
            signed.check_csrf(sent)?;
        }
        Ok(signed)
    }
}

/// Refuses a request that changes something when the browser says it
/// comes from another site (`Sec-Fetch-Site: cross-site`, or an `Origin`
/// other than this host). This guards the forms that have no session yet —
/// signing in, the contact form, the newsletter — against cross-site
/// submission; forms within a session carry its CSRF token as well.
pub(crate) async fn same_origin(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if changes && !from_this_site(request.headers()) {
        tracing::info!(path = request.uri().path(), "refused a cross-site request");
        return ServerError::Csrf.into_response();
    }
    next.run(request).await
}

fn from_this_site(headers: &HeaderMap) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // No Origin: not a browser's cross-site form post (those carry one).
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
    origin.split_once("://").is_some_and(|(_, authority)| authority == host)
}
