//! The staff's work as JSON: filing and moving cases, disclosing to the
//! parties the register names, and carrying out rights requests. Each
//! handler is one call into a module; the module and the kernel decide.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use grondslag_claims::Status;
use grondslag_claims::cases::{Application, Package, PendingDisclosure};
use grondslag_claims::rules::Cents;
use grondslag_kernel::RecordRef;
use grondslag_register::Category;
use grondslag_rights::export::AccessReport;
use grondslag_rights::requests::Requests;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::RightsRequest;
use crate::error::ErrorBody;
use crate::visitor::Signed;
use crate::{AppState, ServerError, Services};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(file_case))
        .routes(routes!(advance))
        .routes(routes!(assign_expert))
        .routes(routes!(disclose))
        .routes(routes!(request_disclosure))
        .routes(routes!(pending_disclosures))
        .routes(routes!(settle_disclosure))
        .routes(routes!(verify_identity))
        .routes(routes!(extend))
        .routes(routes!(export))
        .routes(routes!(erase))
        .routes(routes!(rectify))
        .routes(routes!(restrict))
        .routes(routes!(portability))
        .routes(routes!(withdraw))
}

fn request_ref(id: &str) -> Result<RecordRef, ServerError> {
    id.parse().map_err(|_| ServerError::NotFound(format!("no request `{id}`")))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct FiledCase {
    number: String,
    status: String,
    /// What the automated checks found, in Dutch, with the rule; they can only speed a case up (E0.2).
    checks: Vec<String>,
}

/// Files an application (the format of docs/applications.md); the scheme's
/// rules and the register decide what is accepted.
#[utoipa::path(post, path = "/api/cases", tag = "cases", request_body(content = Object, description = "An application: scheme, applicant, object, details (docs/applications.md)"),
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201, body = FiledCase), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn file_case(State(state): State<AppState>, signed: Signed, Json(body): Json<serde_json::Value>) -> Result<(StatusCode, Json<FiledCase>), ServerError> {
    let application: Application = serde_json::from_value(body).map_err(|e| ServerError::BadRequest(format!("the application is not in the expected form: {e}; see docs/applications.md")))?;
    let filed = state
        .run(move |services| {
            let filed = services.cases().file(&signed.access(), &application)?;
            Ok(FiledCase { number: filed.number.to_string(), status: filed.status.name().to_string(), checks: filed.checks.iter().map(|c| c.explain_nl()).collect() })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Advance {
    /// The next status in the scheme's life cycle, e.g. `in_handling`, `decision`, `closed`.
    status: String,
    /// With a decision: the amount awarded, in euro cents.
    award_cents: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Advanced {
    status: String,
}

/// Moves a case one step through its scheme's life cycle.
#[utoipa::path(post, path = "/api/cases/{number}/status", tag = "cases", request_body = Advance,
    params(("number" = String, Path, description = "Case number"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Advanced), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn advance(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Json(form): Json<Advance>) -> Result<Json<Advanced>, ServerError> {
    let to = Status::from_name(&form.status).ok_or_else(|| ServerError::BadRequest(format!("unknown status `{}`", form.status)))?;
    let status = state.run(move |services| Ok(services.cases().advance(&signed.access(), &number, to, form.award_cents.map(Cents))?)).await?;
    Ok(Json(Advanced { status: status.name().to_string() }))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Assignment {
    /// The expert's user name.
    expert: String,
    /// `true` asks the expert to advise on the case; `false` ends that.
    assigned: bool,
}

/// Asks an expert to advise on a case (E15.EXPERT), or ends that: an expert
/// sees only the cases assigned to them.
#[utoipa::path(post, path = "/api/cases/{number}/experts", tag = "cases", request_body = Assignment,
    params(("number" = String, Path, description = "Case number"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn assign_expert(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Json(form): Json<Assignment>) -> Result<StatusCode, ServerError> {
    state
        .run(move |services| {
            let expert = || services.accounts.expert_file(&form.expert, &signed.visitor.origin, signed.visitor.now);
            Ok(services.cases().assign_expert(&signed.access(), &number, form.assigned, expert)?)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Disclosure {
    /// A recipient of the register, e.g. `deskundigen`, `nam`, `politie`.
    recipient: String,
    /// For recipients under a legal obligation (E15.LEGAL): the check that the obligation exists.
    legal_check: Option<String>,
}

/// Discloses a case to a recipient the register names: exactly the
/// categories that recipient may receive, recorded and audited.
#[utoipa::path(post, path = "/api/cases/{number}/disclosures", tag = "cases", request_body = Disclosure,
    params(("number" = String, Path, description = "Case number"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, description = "The package as the recipient receives it", content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn disclose(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Json(form): Json<Disclosure>) -> Result<Json<Package>, ServerError> {
    Ok(Json(state.run(move |services| Ok(services.cases().disclose(&signed.access(), &number, &form.recipient, form.legal_check.as_deref())?)).await?))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct LegalRequest {
    /// A recipient that receives data only by legal obligation, e.g. `politie`, `snn`.
    pub recipient: String,
    /// The request as received: its reference and what it asks.
    pub request: String,
}

/// Registers a legal-obligation party's request for a case's data; it waits
/// for the check that the obligation exists (E15.LEGAL).
#[utoipa::path(post, path = "/api/cases/{number}/legal-requests", tag = "cases", request_body = LegalRequest,
    params(("number" = String, Path, description = "Case number"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn request_disclosure(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Json(form): Json<LegalRequest>) -> Result<StatusCode, ServerError> {
    state.run(move |services| Ok(services.cases().request_disclosure(&signed.access(), &number, &form.recipient, &form.request)?)).await?;
    Ok(StatusCode::CREATED)
}

pub(crate) fn pending(services: &Services<'_>, signed: &Signed) -> Result<Vec<PendingDisclosure>, ServerError> {
    Ok(services.cases().pending_disclosures(&signed.access())?)
}

/// Requests of legal-obligation parties awaiting the check, oldest first.
#[utoipa::path(get, path = "/api/disclosures/pending", tag = "cases", responses((status = 200, description = "number, recipient, recipient_name, request, requested_at per request", content_type = "application/json"), (status = 403, body = ErrorBody)))]
async fn pending_disclosures(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<PendingDisclosure>>, ServerError> {
    Ok(Json(state.run(move |services| pending(services, &signed)).await?))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Settle {
    pub number: String,
    pub recipient: String,
    /// The check that the legal obligation exists; without it the request is declined.
    pub check: Option<String>,
}

pub(crate) fn settle(services: &Services<'_>, signed: &Signed, form: &Settle) -> Result<Option<Package>, ServerError> {
    Ok(services.cases().settle_disclosure(&signed.access(), &form.number, &form.recipient, form.check.as_deref())?)
}

/// Settles a pending request: with the check the data goes, without it the request is declined.
#[utoipa::path(post, path = "/api/disclosures/pending/settle", tag = "cases", request_body = Settle,
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, description = "The package, or null when declined", content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn settle_disclosure(State(state): State<AppState>, signed: Signed, Json(form): Json<Settle>) -> Result<Json<Option<Package>>, ServerError> {
    Ok(Json(state.run(move |services| settle(services, &signed, &form)).await?))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Identity {
    /// How the requester's identity was established, e.g. "DigiD".
    method: String,
}

/// Records how the requester's identity was verified (first, before anything is answered).
#[utoipa::path(post, path = "/api/rights/requests/{id}/identity", tag = "rights", request_body = Identity,
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = RightsRequest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn verify_identity(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Json(form): Json<Identity>) -> Result<Json<RightsRequest>, ServerError> {
    step(&state, signed, id, move |requests, access, request| requests.verify_identity(access, request, form.method.trim())).await
}

/// One step in a request's handling, answered with where the request stands.
async fn step(
    state: &AppState,
    signed: Signed,
    id: String,
    act: impl FnOnce(&Requests<'_>, &grondslag_kernel::Access, &RecordRef) -> Result<grondslag_rights::requests::RequestState, grondslag_rights::requests::RequestError> + Send + 'static,
) -> Result<Json<RightsRequest>, ServerError> {
    let done = state
        .run(move |services| {
            let s = act(&Requests::new(services.kernel)?, &signed.access(), &request_ref(&id)?)?;
            Ok(RightsRequest::from_state(&s, crate::api::today(signed.visitor.now)))
        })
        .await?;
    Ok(Json(done))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Extension {
    /// One or two months (AVG art. 12(3)).
    months: i64,
    /// Why: told to the person within the first month.
    reason: String,
}

/// Extends the answer term; only within the first month.
#[utoipa::path(post, path = "/api/rights/requests/{id}/extension", tag = "rights", request_body = Extension,
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = RightsRequest), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn extend(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Json(form): Json<Extension>) -> Result<Json<RightsRequest>, ServerError> {
    step(&state, signed, id, move |requests, access, request| requests.extend(access, request, form.months, &form.reason)).await
}

/// The access export (art. 15) for a verified request.
#[utoipa::path(get, path = "/api/rights/requests/{id}/export", tag = "rights", params(("id" = String, Path, description = "The request")),
    responses((status = 200, description = "The access report", content_type = "application/json"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn export(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Json<AccessReport>, ServerError> {
    Ok(Json(
        state
            .run(move |services| {
                let export = Requests::new(services.kernel)?.export(&signed.access(), &request_ref(&id)?)?;
                Ok(grondslag_rights::export::report(services.kernel.register(), &export, signed.visitor.now))
            })
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Erasure {
    /// Processings whose records were erased.
    erased: Vec<String>,
    /// Processings whose records stay, each with why (basis and term, or a hold).
    kept: Vec<(String, String)>,
}

/// Art. 17: erases what may go, and says why the rest stays.
#[utoipa::path(post, path = "/api/rights/requests/{id}/erasure", tag = "rights",
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Erasure), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn erase(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Json<Erasure>, ServerError> {
    let answer = state.run(move |services| Ok(Requests::new(services.kernel)?.erase(&signed.access(), &request_ref(&id)?)?)).await?;
    Ok(Json(Erasure { erased: answer.erased, kept: answer.kept }))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Rectification {
    /// The category, e.g. `phone`.
    category: String,
    old: String,
    new: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Rectified {
    records: usize,
    /// Recipients that received the old value and must be told (art. 19).
    notify: Vec<String>,
}

/// Art. 16: corrects a value wherever it is held.
#[utoipa::path(post, path = "/api/rights/requests/{id}/rectification", tag = "rights", request_body = Rectification,
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Rectified), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn rectify(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Json(form): Json<Rectification>) -> Result<Json<Rectified>, ServerError> {
    let category = Category::from_name(&form.category).ok_or_else(|| ServerError::BadRequest(format!("unknown category `{}`", form.category)))?;
    let done = state.run(move |services| Ok(Requests::new(services.kernel)?.rectify(&signed.access(), &request_ref(&id)?, category, &form.old, &form.new)?)).await?;
    Ok(Json(Rectified { records: done.records, notify: done.notify }))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Restriction {
    /// `true` restricts (art. 18), `false` lifts the restriction.
    restricted: bool,
}

/// Art. 18: restricts the use of the person's data (or lifts it).
#[utoipa::path(post, path = "/api/rights/requests/{id}/restriction", tag = "rights", request_body = Restriction,
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 204), (status = 403, body = ErrorBody)))]
async fn restrict(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Json(form): Json<Restriction>) -> Result<StatusCode, ServerError> {
    state.run(move |services| Ok(Requests::new(services.kernel)?.restrict(&signed.access(), &request_ref(&id)?, form.restricted)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Art. 20: a zip with JSON and CSV of the data given on consent or for a contract.
#[utoipa::path(get, path = "/api/rights/requests/{id}/portability", tag = "rights", params(("id" = String, Path, description = "The request")),
    responses((status = 200, description = "A zip archive", content_type = "application/zip"), (status = 403, body = ErrorBody)))]
async fn portability(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, ServerError> {
    let portable = state.run(move |services| Ok(Requests::new(services.kernel)?.portability(&signed.access(), &request_ref(&id)?)?)).await?;
    Ok(([(header::CONTENT_TYPE, "application/zip"), (header::CONTENT_DISPOSITION, "attachment; filename=\"gegevens.zip\"")], portable.zip).into_response())
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Withdrawn {
    /// Records erased because they were held on the withdrawn consent.
    erased: usize,
}

/// Art. 7(3): withdraws the consent the request names; what was held on
/// it is erased and the request closed.
#[utoipa::path(post, path = "/api/rights/requests/{id}/withdrawal", tag = "rights",
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Withdrawn), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn withdraw(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Json<Withdrawn>, ServerError> {
    let erased = state.run(move |services| crate::api::withdraw_consent(services, &signed, &id, None)).await?;
    Ok(Json(Withdrawn { erased }))
}
