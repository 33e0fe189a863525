//! The rights-request queue: the privacy team (and HR, for staff) works
//! people's requests against their legal due dates — verify the identity,
//! extend the term, export, erase, rectify, restrict, hand over, withdraw
//! a consent, answer — through the API and the back office's pages. Each
//! handler calls one operation of `grondslag_rights::requests::Requests`;
//! the register decides.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use grondslag_kernel::{Access, RecordRef};
use grondslag_register::{Action, Category};
use grondslag_rights::export::AccessReport;
use grondslag_rights::requests::{RequestError, RequestState, Requests};
use grondslag_values::dutch;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Problem, ServerError};
use crate::layout::{csrf_field, layout, right_label};
use crate::openapi;
use crate::state::{AppState, Services};
use crate::views::RightsRequest;
use crate::visitor::Signed;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rights_queue_api))
        .routes(routes!(answer))
        .routes(routes!(verify_identity))
        .routes(routes!(extend))
        .routes(routes!(export))
        .routes(routes!(erase))
        .routes(routes!(rectify))
        .routes(routes!(restrict))
        .routes(routes!(portability))
        .routes(routes!(withdraw))
        .routes(routes!(rights_queue))
        .routes(routes!(rights_answer))
}

fn request_ref(id: &str) -> Result<RecordRef, ServerError> {
    id.parse().map_err(|_| ServerError::NotFound(format!("no request `{id}`")))
}

/// Open requests by due date, overdue first: those the handler's grant reaches.
fn queue(services: &Services<'_>, signed: &Signed) -> Result<Vec<RightsRequest>, ServerError> {
    let open = Requests::new(services.kernel)?.open(&signed.access())?;
    Ok(open.iter().map(|s| RightsRequest::from_state(s, signed.visitor.now)).collect())
}

/// Runs `act` on the request `id`: the shape of every handler of one request.
async fn on_request<T: Send + 'static>(
    state: &AppState,
    signed: Signed,
    id: String,
    act: impl FnOnce(&Requests<'_>, &Access, &RecordRef) -> Result<T, RequestError> + Send + 'static,
) -> Result<T, ServerError> {
    state.run(move |services| Ok(act(&Requests::new(services.kernel)?, &signed.access(), &request_ref(&id)?)?)).await
}

/// One step in a request's handling, answered with where the request stands.
async fn step(
    state: &AppState,
    signed: Signed,
    id: String,
    act: impl FnOnce(&Requests<'_>, &Access, &RecordRef) -> Result<RequestState, RequestError> + Send + 'static,
) -> Result<Json<RightsRequest>, ServerError> {
    let now = signed.visitor.now;
    let done = on_request(state, signed, id, act).await?;
    Ok(Json(RightsRequest::from_state(&done, now)))
}

// --- API ---------------------------------------------------------------------

/// Open rights requests by due date, overdue first.
#[utoipa::path(get, path = "/api/v1/rights/requests", tag = "rights", responses((status = 200, body = Vec<RightsRequest>), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::request_queue()))))]
async fn rights_queue_api(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<RightsRequest>>, ServerError> {
    Ok(Json(state.run(move |services| queue(services, &signed)).await?))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"identity": "DigiD", "answer": "Zie de bijlage."}))]
pub(crate) struct Answer {
    /// How the requester's identity was verified (e.g. "DigiD", "kopie ID aan de balie"); needed once.
    pub identity: Option<String>,
    pub answer: String,
}

/// Verifies the requester's identity (when not yet done) and records the answer.
#[utoipa::path(post, path = "/api/v1/rights/requests/{id}/answer", tag = "rights", request_body = Answer,
    params(("id" = String, Path, description = "The request, as `subject.record`"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = RightsRequest), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn answer(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Json(form): Json<Answer>) -> Result<Json<RightsRequest>, ServerError> {
    step(&state, signed, id, move |requests, access, request| requests.answer_verified(access, request, form.identity.as_deref(), &form.answer)).await
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"method": "DigiD"}))]
pub(crate) struct Identity {
    /// How the requester's identity was established, e.g. "DigiD".
    method: String,
}

/// Records how the requester's identity was verified (first, before anything is answered).
#[utoipa::path(post, path = "/api/v1/rights/requests/{id}/identity", tag = "rights", request_body = Identity,
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = RightsRequest), (status = 403, body = Problem), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn verify_identity(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Json(form): Json<Identity>,
) -> Result<Json<RightsRequest>, ServerError> {
    step(&state, signed, id, move |requests, access, request| requests.verify_identity(access, request, form.method.trim())).await
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"months": 1, "reason": "veel dossiers tegelijk"}))]
pub(crate) struct Extension {
    /// One or two months (AVG art. 12(3)).
    months: i64,
    /// Why: told to the person within the first month.
    reason: String,
}

/// Extends the answer term; only within the first month.
#[utoipa::path(post, path = "/api/v1/rights/requests/{id}/extension", tag = "rights", request_body = Extension,
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = RightsRequest), (status = 400, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn extend(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Json(form): Json<Extension>,
) -> Result<Json<RightsRequest>, ServerError> {
    step(&state, signed, id, move |requests, access, request| requests.extend(access, request, form.months, &form.reason)).await
}

/// The access export (art. 15) for a verified request.
#[utoipa::path(get, path = "/api/v1/rights/requests/{id}/export", tag = "rights", params(("id" = String, Path, description = "The request")),
    responses((status = 200, description = "The access report", content_type = "application/json"), (status = 400, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn export(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Json<AccessReport>, ServerError> {
    Ok(Json(on_request(&state, signed, id, |requests, access, request| requests.access_report(access, request)).await?))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Erasure {
    /// Processings whose records were erased.
    erased: Vec<String>,
    /// Processings whose records stay, each with why (basis and term, or a
    /// hold): pairs, which OpenAPI has no schema for but an array.
    #[schema(value_type = Vec<Vec<String>>)]
    kept: Vec<(String, String)>,
}

/// Art. 17: erases what may go, and says why the rest stays.
#[utoipa::path(post, path = "/api/v1/rights/requests/{id}/erasure", tag = "rights",
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Erasure), (status = 400, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn erase(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Json<Erasure>, ServerError> {
    let answer = on_request(&state, signed, id, |requests, access, request| requests.erase(access, request)).await?;
    Ok(Json(Erasure { erased: answer.erased, kept: answer.kept }))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"category": "phone", "old": "0595123456", "new": "0595654321"}))]
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
#[utoipa::path(post, path = "/api/v1/rights/requests/{id}/rectification", tag = "rights", request_body = Rectification,
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Rectified), (status = 400, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn rectify(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<String>,
    Json(form): Json<Rectification>,
) -> Result<Json<Rectified>, ServerError> {
    let category = Category::from_name(&form.category).ok_or_else(|| ServerError::BadRequest(format!("unknown category `{}`", form.category)))?;
    let done = on_request(&state, signed, id, move |requests, access, request| requests.rectify(access, request, category, &form.old, &form.new)).await?;
    Ok(Json(Rectified { records: done.records, notify: done.notify }))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"restricted": false}))]
pub(crate) struct Restriction {
    /// `true` restricts (art. 18), `false` lifts the restriction.
    restricted: bool,
}

/// Art. 18: restricts the use of the person's data (or lifts it).
#[utoipa::path(post, path = "/api/v1/rights/requests/{id}/restriction", tag = "rights", request_body = Restriction,
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 204), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn restrict(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Json(form): Json<Restriction>) -> Result<StatusCode, ServerError> {
    on_request(&state, signed, id, move |requests, access, request| requests.restrict(access, request, form.restricted)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Art. 20: a zip with JSON and CSV of the data given on consent or for a contract.
#[utoipa::path(get, path = "/api/v1/rights/requests/{id}/portability", tag = "rights", params(("id" = String, Path, description = "The request")),
    responses((status = 200, description = "A zip archive", content_type = "application/zip"), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn portability(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, ServerError> {
    let portable = on_request(&state, signed, id, |requests, access, request| requests.portability(access, request)).await?;
    Ok(([(header::CONTENT_TYPE, "application/zip"), (header::CONTENT_DISPOSITION, "attachment; filename=\"gegevens.zip\"")], portable.zip).into_response())
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Withdrawn {
    /// Records erased because they were held on the withdrawn consent.
    erased: usize,
}

/// Art. 7(3): withdraws the consent the request names; what was held on
/// it is erased and the request closed.
#[utoipa::path(post, path = "/api/v1/rights/requests/{id}/withdrawal", operation_id = "withdraw_consent", tag = "rights",
    params(("id" = String, Path, description = "The request"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Withdrawn), (status = 400, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn withdraw(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Json<Withdrawn>, ServerError> {
    let erased = on_request(&state, signed, id, |requests, access, request| requests.withdraw_named_consent(access, request, None)).await?;
    Ok(Json(Withdrawn { erased }))
}

// --- pages -------------------------------------------------------------------

/// The rights queue: open requests by due date, overdue ones marked.
#[utoipa::path(get, path = "/beheer/verzoeken", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::request_queue()))))]
async fn rights_queue(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let queue = state.run(move |services| queue(services, &for_page)).await?;
    let register = state.kernel().register();
    Ok(layout(
        "Privacyverzoeken",
        Some(&signed),
        html! {
            @if queue.is_empty() { p { "Er staan geen verzoeken open." } }
            @else {
                table.queue {
                    caption { "Open verzoeken, de uiterste datum eerst" }
                    thead { tr { th scope="col" { "Verzoek" } th scope="col" { "Ontvangen" } th scope="col" { "Uiterlijk" } th scope="col" { "Identiteit" } th scope="col" { "Afhandelen" } } }
                    tbody { @for r in &queue { tr class=[r.overdue.then_some("overdue")] {
                        td {
                            (right_label(&r.kind))
                            @if let Some(p) = r.concerns.as_deref().and_then(|p| register.processing_id(p)) { br; small { (register.processing(p).name) } }
                        }
                        td { (dutch::date(r.received)) }
                        td { (dutch::date(r.due)) @if r.overdue { " " strong { "te laat" } } }
                        td { @if r.identity_verified { "vastgesteld" } @else { "nog vaststellen" } }
                        td {
                            form method="post" action={ "/beheer/verzoeken/" (r.id) } {
                                (csrf_field(&signed))
                                @if !r.identity_verified {
                                    label for={ "id-" (r.id) } { "Identiteit vastgesteld via" }
                                    input id={ "id-" (r.id) } name="identity" required;
                                }
                                @if r.kind == "withdraw_consent" && r.concerns.is_some() {
                                    input type="hidden" name="answer" value="";
                                    button type="submit" name="withdraw" value="ja" { "Toestemming intrekken en gegevens wissen" }
                                } @else {
                                    label for={ "answer-" (r.id) } { "Antwoord" }
                                    textarea id={ "answer-" (r.id) } name="answer" rows="2" required {}
                                    button type="submit" { "Beantwoorden" }
                                }
                            }
                        }
                    } } }
                }
            }
        },
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "identity": "DigiD", "answer": "Zie de bijlage."}))]
struct AnswerForm {
    csrf: String,
    identity: Option<String>,
    answer: String,
    /// Set by the button of a consent withdrawal: carry it out.
    withdraw: Option<String>,
}

/// Records identity verification and the answer.
#[utoipa::path(post, path = "/beheer/verzoeken/{id}", tag = "pages", params(("id" = String, Path, description = "The request")),
    request_body(content = AnswerForm, content_type = "application/x-www-form-urlencoded"), responses((status = 303), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::request(Action::Handle)))))]
async fn rights_answer(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Form(form): Form<AnswerForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    on_request(&state, signed, id, move |requests, access, request| match form.withdraw {
        Some(_) => requests.withdraw_named_consent(access, request, form.identity.as_deref()).map(drop),
        None => requests.answer_verified(access, request, form.identity.as_deref(), &form.answer).map(drop),
    })
    .await?;
    Ok(Redirect::to("/beheer/verzoeken").into_response())
}
