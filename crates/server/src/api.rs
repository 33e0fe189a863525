//! The JSON API, and the work behind it that the pages share: each
//! operation is written once here (a function from the services and the
//! signed-in person to a plain value), and served both as JSON and, by
//! `pages`, as HTML. The OpenAPI document is generated from the same
//! route declarations that build the router, so it cannot miss a route.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use grondslag_claims::{Scheme, Status};
use grondslag_kernel::{RecordRef, Value};
use grondslag_rights::export::AccessReport;
use grondslag_rights::requests::{RequestState, Requests, RightKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ErrorBody;
use crate::visitor::{Signed, Visitor};
use crate::{AppState, ServerError, Services};

#[derive(OpenApi)]
#[openapi(
    info(title = "grondslag", description = "A records system whose privacy statement is its configuration. Every call is decided by the register and logged in the audit log.", license(name = "EUPL-1.2")),
    tags((name = "session", description = "Signing in and out"), (name = "me", description = "The signed-in person's own data and rights"), (name = "cases", description = "Applications of the compensation schemes"), (name = "rights", description = "The rights-request queue"), (name = "register", description = "The register of processing activities (LDV register API)"), (name = "operations", description = "Health, audit and retention")),
)]
struct ApiDoc;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(me))
        .routes(routes!(my_data))
        .routes(routes!(my_requests, file_my_request))
        .routes(routes!(my_case))
        .routes(routes!(cases))
        .routes(routes!(case))
        .routes(routes!(rights_queue))
        .routes(routes!(answer))
        .routes(routes!(audit_verify))
        .routes(routes!(retention_report))
}

pub(crate) async fn openapi(doc: Arc<utoipa::openapi::OpenApi>) -> Json<utoipa::openapi::OpenApi> {
    Json((*doc).clone())
}

// --- operations -----------------------------------------------------------

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = String, description = "`ok`")))]
async fn health() -> &'static str {
    "ok"
}

/// Readiness: the store answers too.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = String), (status = 503, body = String)))]
async fn ready(State(state): State<AppState>) -> Response {
    let now = jiff::Timestamp::now();
    match state.run(move |services| Ok(services.kernel.session(b"readiness probe", now)?)).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer").into_response()
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Verification {
    pub entries: u64,
    pub checkpoints: u64,
}

/// Verifies the whole audit log: hash chain and signed checkpoints.
#[utoipa::path(get, path = "/api/audit/verify", tag = "operations", responses((status = 200, body = Verification), (status = 403, body = ErrorBody)))]
async fn audit_verify(State(state): State<AppState>, signed: Signed) -> Result<Json<Verification>, ServerError> {
    Ok(Json(state.run(move |services| verify(services, &signed)).await?))
}

pub(crate) fn verify(services: &Services<'_>, signed: &Signed) -> Result<Verification, ServerError> {
    grondslag_rights::oversee(services.kernel, &signed.access())?;
    services.kernel.seal()?;
    let verification = services.kernel.verify_audit(|_| ())?;
    Ok(Verification { entries: verification.entries, checkpoints: verification.checkpoints })
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Retention {
    pub processings: Vec<RetentionLine>,
    /// Holds whose review date has passed: keep the data longer only with a fresh decision.
    pub overdue_reviews: Vec<OverdueReview>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OverdueReview {
    pub processing: String,
    /// The held record, as `subject.record`.
    pub record: String,
    pub review_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RetentionLine {
    pub processing: String,
    pub records: u64,
    pub held: u64,
    pub next_due: Option<String>,
}

/// Per processing: records kept, held, and the next deletion date; and holds overdue for review.
#[utoipa::path(get, path = "/api/retention/report", tag = "operations", responses((status = 200, body = Retention), (status = 403, body = ErrorBody)))]
async fn retention_report(State(state): State<AppState>, signed: Signed) -> Result<Json<Retention>, ServerError> {
    Ok(Json(state.run(move |services| retention(services, &signed)).await?))
}

pub(crate) fn retention(services: &Services<'_>, signed: &Signed) -> Result<Retention, ServerError> {
    grondslag_rights::oversee(services.kernel, &signed.access())?;
    let report = services.kernel.retention_report()?;
    let processings = report
        .records
        .into_iter()
        .map(|(processing, records)| {
            let mine = report.due.iter().filter(|(p, _, _)| *p == processing);
            let held = mine.clone().filter(|(_, _, held)| *held).count() as u64;
            let next_due = mine.filter(|(_, _, held)| !*held).filter_map(|(_, due, _)| *due).min().map(|d| d.to_string());
            RetentionLine { processing, records, held, next_due }
        })
        .collect();
    let overdue_reviews = services
        .kernel
        .overdue_reviews(signed.visitor.now)?
        .into_iter()
        .map(|(processing, record, at)| OverdueReview { processing, record: record.to_string(), review_at: at.to_string() })
        .collect();
    Ok(Retention { processings, overdue_reviews })
}

// --- session --------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
pub(crate) struct SignIn {
    username: String,
    password: String,
    /// The code from the authenticator app, or a recovery code.
    code: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    username: String,
    role: String,
    /// Send this as `X-CSRF-Token` with every request that changes something.
    csrf_token: String,
}

impl Me {
    fn of(session: &grondslag_accounts::Session) -> Me {
        Me { username: session.username.clone(), role: session.role.clone(), csrf_token: session.csrf.clone() }
    }
}

/// Signs in with password and code in one step; sets the session cookie.
#[utoipa::path(post, path = "/api/session", tag = "session", request_body = SignIn,
    responses((status = 200, body = Me), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody, description = "Locked after repeated failures")))]
async fn sign_in(State(state): State<AppState>, visitor: Visitor, Json(form): Json<SignIn>) -> Result<Response, ServerError> {
    let (now, origin) = (visitor.now, visitor.origin.clone());
    let (token, session) = state
        .run(move |services| {
            let account = services.accounts.check_password(&form.username, &form.password, &origin, now)?;
            services.accounts.check_second_factor(&account, &form.code, &origin, now)?;
            let stage = if account.must_change_password { grondslag_accounts::Stage::ChangePassword } else { grondslag_accounts::Stage::Complete };
            Ok(services.accounts.start_session(&account, stage, now)?)
        })
        .await?;
    let me = Me::of(&session);
    Ok(([(header::SET_COOKIE, crate::pages::session_cookie(&state, &token))], Json(me)).into_response())
}

/// Signs out: the session ends on the server too.
#[utoipa::path(delete, path = "/api/session", tag = "session", responses((status = 204)))]
async fn sign_out(State(state): State<AppState>, visitor: Visitor) -> Result<Response, ServerError> {
    if let Some((token, _)) = visitor.session {
        state.run(move |services| Ok(services.accounts.end_session(&token)?)).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, crate::pages::clear_cookie(&state))]).into_response())
}

/// Who is signed in.
#[utoipa::path(get, path = "/api/me", tag = "me", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
async fn me(signed: Signed) -> Json<Me> {
    Json(Me::of(&signed.session))
}

// --- me ---------------------------------------------------------------------

/// Everything held about the signed-in person, per processing with
/// purpose, basis, term and recipients, and who looked at it (AVG art. 15).
pub(crate) fn my_report(services: &Services<'_>, signed: &Signed) -> Result<AccessReport, ServerError> {
    let rights = services.kernel.processing(grondslag_rights::requests::PROCESSING)?;
    let export = services.kernel.export(&signed.access(), rights, &signed.account.subject)?;
    Ok(grondslag_rights::export::report(services.kernel.register(), &export, signed.visitor.now))
}

/// My data: what is held, why, on which basis, for how long, given to
/// whom, and who looked at it. The same document as an access export.
#[utoipa::path(get, path = "/api/me/data", tag = "me", responses((status = 200, description = "The access report (AVG art. 15)", content_type = "application/json"), (status = 401, body = ErrorBody)))]
async fn my_data(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let report = state.run(move |services| my_report(services, &signed)).await?;
    let name = format!("attachment; filename=\"mijn-gegevens-{}.json\"", report.generated_at.strftime("%Y-%m-%d"));
    Ok(([(header::CONTENT_DISPOSITION, name)], Json(report)).into_response())
}

#[derive(Serialize, ToSchema)]
pub(crate) struct RightsRequest {
    /// `subject.record`
    pub id: String,
    pub kind: String,
    pub received: String,
    /// The legal answer date (one month, extended if so recorded).
    pub due: String,
    pub identity_verified: bool,
    pub answered: bool,
    pub overdue: bool,
    /// The processing the request is about, when one was named.
    pub concerns: Option<String>,
}

impl RightsRequest {
    pub(crate) fn from_state(state: &RequestState, today: jiff::civil::Date) -> RightsRequest {
        RightsRequest {
            id: state.request.to_string(),
            kind: state.kind.name().to_string(),
            received: state.received.to_string(),
            due: state.due.to_string(),
            identity_verified: state.identity.is_some(),
            answered: state.answered,
            overdue: !state.answered && state.due < today,
            concerns: state.concerns.clone(),
        }
    }
}

pub(crate) fn today(now: jiff::Timestamp) -> jiff::civil::Date {
    grondslag_rights::terms::amsterdam_date(now)
}

pub(crate) fn my_request_list(services: &Services<'_>, signed: &Signed) -> Result<Vec<RightsRequest>, ServerError> {
    let requests = Requests::new(services.kernel)?;
    let access = signed.access();
    let rights = services.kernel.processing(grondslag_rights::requests::PROCESSING)?;
    let mut list = Vec::new();
    // Asking for the kind is enough to find them; the state comes from the events.
    for view in services.kernel.read(&access, rights, &signed.account.subject, grondslag_register::CategorySet::EMPTY.with(grondslag_register::Category::FreeText))? {
        let state = requests.state(&access, &RecordRef { subject: signed.account.subject.clone(), record: view.record })?;
        list.push(RightsRequest::from_state(&state, today(signed.visitor.now)));
    }
    list.sort_by(|a, b| b.received.cmp(&a.received));
    Ok(list)
}

/// My rights requests, newest first, with their due dates.
#[utoipa::path(get, path = "/api/me/requests", tag = "me", responses((status = 200, body = Vec<RightsRequest>), (status = 401, body = ErrorBody)))]
async fn my_requests(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<RightsRequest>>, ServerError> {
    Ok(Json(state.run(move |services| my_request_list(services, &signed)).await?))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct NewRequest {
    /// access, explanation, rectification, erasure, restriction, portability, objection, withdraw_consent, opt_out_of_approach
    pub kind: String,
    /// The processing it is about (for withdraw_consent: the consent to withdraw), e.g. `nieuwsbrief_email`.
    pub concerns: Option<String>,
}

pub(crate) fn file_request(services: &Services<'_>, signed: &Signed, kind: &str, concerns: Option<&str>) -> Result<RightsRequest, ServerError> {
    let kind = RightKind::from_name(kind).ok_or_else(|| ServerError::BadRequest(format!("unknown kind of request `{kind}`; use access, explanation, rectification, erasure, restriction, portability, objection or withdraw_consent")))?;
    let concerns = concerns.filter(|p| !p.is_empty());
    let state = Requests::new(services.kernel)?.file(&signed.access(), &signed.account.subject, kind, &signed.session.username, concerns)?;
    Ok(RightsRequest::from_state(&state, today(signed.visitor.now)))
}

/// Files a rights request; it is answered within a month of today.
#[utoipa::path(post, path = "/api/me/requests", tag = "me", request_body = NewRequest, params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201, body = RightsRequest), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn file_my_request(State(state): State<AppState>, signed: Signed, Json(form): Json<NewRequest>) -> Result<(StatusCode, Json<RightsRequest>), ServerError> {
    Ok((StatusCode::CREATED, Json(state.run(move |services| file_request(services, &signed, &form.kind, form.concerns.as_deref())).await?)))
}

// --- cases ------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseSummary {
    pub number: Option<String>,
    pub scheme: String,
    pub status: Option<String>,
    pub updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseDetail {
    pub number: String,
    pub scheme: String,
    pub scheme_label: String,
    pub status: Option<String>,
    /// Category → value, only the categories this role may read.
    pub fields: BTreeMap<String, String>,
    pub events: Vec<CaseEvent>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseEvent {
    pub event: String,
    pub at: String,
    pub detail: Option<String>,
}

/// One case, if the person may see it: staff by their role, an applicant
/// only their own, a representative only their principals'.
pub(crate) fn case_detail(services: &Services<'_>, signed: &Signed, number: &str) -> Result<CaseDetail, ServerError> {
    let cases = services.cases();
    let view = cases.show(&signed.access(), number)?;
    let fields = view
        .fields
        .map(|f| {
            f.fields
                .into_iter()
                .map(|(c, v)| {
                    let shown = match v {
                        Value::Text(t) => t,
                        Value::Bytes(b) => format!("({} bytes)", b.len()),
                    };
                    (c.label_nl().to_string(), shown)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(CaseDetail {
        number: view.number,
        scheme: view.scheme.processing().to_string(),
        scheme_label: view.scheme.name_nl().to_string(),
        status: view.summary.status,
        fields,
        events: view.events.into_iter().map(|e| CaseEvent { event: e.event, at: e.at.to_string(), detail: e.detail }).collect(),
    })
}

/// One of my own cases.
#[utoipa::path(get, path = "/api/me/cases/{number}", tag = "me", params(("number" = String, Path, description = "Case number, e.g. IMG-2026-000001")),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody, description = "No such case, or not yours")))]
async fn my_case(State(state): State<AppState>, signed: Signed, Path(number): Path<String>) -> Result<Json<CaseDetail>, ServerError> {
    Ok(Json(state.run(move |services| case_detail(services, &signed, &number)).await?))
}

#[derive(Deserialize, IntoParams)]
pub(crate) struct CaseFilter {
    /// The scheme's processing id, e.g. `fysieke_schade`.
    pub regeling: Option<String>,
    /// A status, e.g. `submitted`.
    pub status: Option<String>,
    #[serde(default)]
    pub offset: u64,
}

/// Page size of case lists.
pub(crate) const PAGE: u64 = 50;

pub(crate) fn case_list(services: &Services<'_>, signed: &Signed, filter: &CaseFilter) -> Result<Vec<CaseSummary>, ServerError> {
    let scheme_id = filter.regeling.as_deref().unwrap_or(Scheme::PhysicalDamage.processing());
    let scheme = Scheme::from_processing(scheme_id).ok_or_else(|| ServerError::BadRequest(format!("unknown scheme `{scheme_id}`")))?;
    let status = match filter.status.as_deref().filter(|s| !s.is_empty()) {
        Some(name) => Some(Status::from_name(name).ok_or_else(|| ServerError::BadRequest(format!("unknown status `{name}`")))?),
        None => None,
    };
    let cases = services.cases();
    Ok(cases
        .list(&signed.access(), scheme, status, filter.offset, PAGE)?
        .into_iter()
        .map(|s| CaseSummary { number: s.reference, scheme: s.processing, status: s.status, updated_at: s.updated_at.to_string() })
        .collect())
}

/// A page of 50 cases of one scheme, optionally of one status, most recently changed first.
#[utoipa::path(get, path = "/api/cases", tag = "cases", params(CaseFilter), responses((status = 200, body = Vec<CaseSummary>), (status = 403, body = ErrorBody)))]
async fn cases(State(state): State<AppState>, signed: Signed, Query(filter): Query<CaseFilter>) -> Result<Json<Vec<CaseSummary>>, ServerError> {
    Ok(Json(state.run(move |services| case_list(services, &signed, &filter)).await?))
}

/// One case, with the fields and history the role may see.
#[utoipa::path(get, path = "/api/cases/{number}", tag = "cases", params(("number" = String, Path, description = "Case number")),
    responses((status = 200, body = CaseDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn case(State(state): State<AppState>, signed: Signed, Path(number): Path<String>) -> Result<Json<CaseDetail>, ServerError> {
    Ok(Json(state.run(move |services| case_detail(services, &signed, &number)).await?))
}

// --- rights queue -------------------------------------------------------------

pub(crate) fn queue(services: &Services<'_>, signed: &Signed) -> Result<Vec<RightsRequest>, ServerError> {
    let open = Requests::new(services.kernel)?.open(&signed.access())?;
    Ok(open.iter().map(|s| RightsRequest::from_state(s, today(signed.visitor.now))).collect())
}

/// Open rights requests by due date, overdue first.
#[utoipa::path(get, path = "/api/rights/requests", tag = "rights", responses((status = 200, body = Vec<RightsRequest>), (status = 403, body = ErrorBody)))]
async fn rights_queue(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<RightsRequest>>, ServerError> {
    Ok(Json(state.run(move |services| queue(services, &signed)).await?))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Answer {
    /// How the requester's identity was verified (e.g. "DigiD", "kopie ID aan de balie"); needed once.
    pub identity: Option<String>,
    pub answer: String,
}

/// The request `id`, with the requester's identity recorded first when given.
fn verified<'k>(services: &'k Services<'_>, signed: &Signed, id: &str, identity: Option<&str>) -> Result<(Requests<'k>, RecordRef), ServerError> {
    let request: RecordRef = id.parse().map_err(|_| ServerError::NotFound(format!("no request `{id}`")))?;
    let requests = Requests::new(services.kernel)?;
    if let Some(method) = identity.filter(|m| !m.trim().is_empty()) {
        requests.verify_identity(&signed.access(), &request, method.trim())?;
    }
    Ok((requests, request))
}

pub(crate) fn answer_request(services: &Services<'_>, signed: &Signed, id: &str, form: &Answer) -> Result<RightsRequest, ServerError> {
    let (requests, request) = verified(services, signed, id, form.identity.as_deref())?;
    let state = requests.answer(&signed.access(), &request, form.answer.trim())?;
    Ok(RightsRequest::from_state(&state, today(signed.visitor.now)))
}

/// Carries out a withdrawal of consent: the records held on that consent
/// are erased and the request is closed with a certificate.
pub(crate) fn withdraw_consent(services: &Services<'_>, signed: &Signed, id: &str, identity: Option<&str>) -> Result<usize, ServerError> {
    let (requests, request) = verified(services, signed, id, identity)?;
    let state = requests.state(&signed.access(), &request)?;
    let processing = state.concerns.ok_or_else(|| ServerError::BadRequest("the request names no processing whose consent is withdrawn".to_string()))?;
    Ok(requests.withdraw_consent(&signed.access(), &request, &processing)?)
}

/// Verifies the requester's identity (when not yet done) and records the answer.
#[utoipa::path(post, path = "/api/rights/requests/{id}/answer", tag = "rights", request_body = Answer,
    params(("id" = String, Path, description = "The request, as `subject.record`"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = RightsRequest), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn answer(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Json(form): Json<Answer>) -> Result<Json<RightsRequest>, ServerError> {
    Ok(Json(state.run(move |services| answer_request(services, &signed, &id, &form)).await?))
}
