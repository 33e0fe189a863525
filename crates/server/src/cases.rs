//! Applications of the compensation schemes: the JSON API of cases and the
//! back office's case pages — listing, filing, one case, its steps, asking
//! an expert, disclosing to the parties the register names, and the queue
//! of legal-obligation requests. Each handler calls one operation of
//! `grondslag_claims::cases::Cases`; the register decides.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use grondslag_claims::cases::{Application, Package, PendingDisclosure};
use grondslag_claims::{Scheme, Status};
use grondslag_register::Action;
use grondslag_values::Cents;
use grondslag_values::dutch;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Problem, ServerError};
use crate::layout::{csrf_field, labels, layout};
use crate::openapi;
use crate::state::{AppState, Services};
use crate::views::{CaseDetail, case_markup};
use crate::visitor::Signed;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(cases, file_case))
        .routes(routes!(case))
        .routes(routes!(advance))
        .routes(routes!(assign_expert))
        .routes(routes!(disclose))
        .routes(routes!(request_disclosure))
        .routes(routes!(pending_disclosures))
        .routes(routes!(settle_disclosure))
        .routes(routes!(case_list))
        .routes(routes!(case_page))
        .routes(routes!(case_step))
        .routes(routes!(case_assign))
        .routes(routes!(case_disclose))
        .routes(routes!(case_legal_request))
        .routes(routes!(pending_page, pending_settle))
}

// --- operations both the API and the pages call --------------------------------

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
const PAGE: u64 = 50;

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseSummary {
    pub number: Option<String>,
    pub scheme: String,
    pub status: Option<String>,
    pub updated_at: String,
}

fn status(name: &str) -> Result<Status, ServerError> {
    Status::from_name(name).ok_or_else(|| ServerError::BadRequest(format!("unknown status `{name}`")))
}

/// A page of the cases of one scheme (physical damage unless another is
/// asked), optionally of one status, that the reader's grant reaches.
fn list(services: &Services<'_>, signed: &Signed, filter: &CaseFilter) -> Result<Vec<CaseSummary>, ServerError> {
    let scheme_id = filter.regeling.as_deref().unwrap_or(Scheme::PhysicalDamage.processing());
    let scheme = Scheme::from_processing(scheme_id).ok_or_else(|| ServerError::BadRequest(format!("unknown scheme `{scheme_id}`")))?;
    let status = filter.status.as_deref().filter(|s| !s.is_empty()).map(status).transpose()?;
    Ok(services
        .cases()
        .list(&signed.access(), scheme, status, filter.offset, PAGE)?
        .into_iter()
        .map(|s| CaseSummary { number: s.reference, scheme: s.processing, status: s.status, updated_at: s.updated_at.to_string() })
        .collect())
}

fn detail(services: &Services<'_>, signed: &Signed, number: &str) -> Result<CaseDetail, ServerError> {
    Ok(services.cases().show(&signed.access(), number)?.into())
}

/// The expert is looked up only once the step is allowed, so that nobody
/// learns who has an account.
fn assign(services: &Services<'_>, signed: &Signed, number: &str, expert: &str, assigned: bool) -> Result<(), ServerError> {
    let expert_file = || services.accounts.expert_file(expert, &signed.visitor.origin, signed.visitor.now);
    Ok(services.cases().assign_expert(&signed.access(), number, assigned, expert_file)?)
}

fn pending(services: &Services<'_>, signed: &Signed) -> Result<Vec<PendingDisclosure>, ServerError> {
    Ok(services.cases().pending_disclosures(&signed.access())?)
}

fn settle(services: &Services<'_>, signed: &Signed, settlement: &Settle) -> Result<Option<Package>, ServerError> {
    Ok(services.cases().settle_disclosure(&signed.access(), &settlement.number, &settlement.recipient, settlement.check.as_deref())?)
}

// --- API ---------------------------------------------------------------------

/// A page of 50 cases of one scheme, optionally of one status, most recently changed first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseFilter), responses((status = 200, body = Vec<CaseSummary>), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::case_list()))))]
async fn cases(State(state): State<AppState>, signed: Signed, Query(filter): Query<CaseFilter>) -> Result<Json<Vec<CaseSummary>>, ServerError> {
    Ok(Json(state.run(move |services| list(services, &signed, &filter)).await?))
}

/// One case, with the fields and history the role may see.
#[utoipa::path(get, path = "/api/v1/cases/{number}", tag = "cases", params(("number" = String, Path, description = "Case number")),
    responses((status = 200, body = CaseDetail), (status = 403, body = Problem), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::case(&[])))))]
async fn case(State(state): State<AppState>, signed: Signed, Path(number): Path<String>) -> Result<Json<CaseDetail>, ServerError> {
    Ok(Json(state.run(move |services| detail(services, &signed, &number)).await?))
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
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    request_body(content = Object, description = "An application: scheme, applicant, object, details (docs/applications.md)", example = json!({
        "scheme": "fysieke_schade",
        "applicant": { "name": "Cees Kok", "phone": "0595 123 456", "email": "cees@example.nl", "bsn": "111222333" },
        "object": { "kind": "home", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" },
        "details": { "damage_arose": "2026-03-01", "remarks": "Scheur in de gevel." }
    })),
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201, body = FiledCase), (status = 400, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::case_filing()))))]
async fn file_case(State(state): State<AppState>, signed: Signed, Json(body): Json<serde_json::Value>) -> Result<(StatusCode, Json<FiledCase>), ServerError> {
    let mut application: Application = serde_json::from_value(body)
        .map_err(|e| ServerError::BadRequest(format!("the application is not in the expected form: {e}; see docs/applications.md")))?;
    let filed = state
        .run(move |services| {
            // Who signed in with DigiD or eHerkenning files under the number the
            // broker vouched for, whatever was typed; one acting for another files
            // into the represented person's file (the kernel's mandate).
            if signed.mandate.is_none()
                && let Some((category, number)) = services.accounts.vouched_number(&signed.session, &signed.visitor.origin, signed.visitor.now)?
            {
                application.applicant.insert(category.name().to_string(), number);
            }
            let filed = services.cases().file(&signed.access(), &application)?;
            Ok(FiledCase {
                number: filed.number.to_string(),
                status: filed.status.name().to_string(),
                checks: filed.checks.iter().map(|c| c.explain_nl()).collect(),
            })
        })
        .await?;
    Ok((StatusCode::CREATED, Json(filed)))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"status": "in_handling"}))]
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
#[utoipa::path(post, path = "/api/v1/cases/{number}/status", tag = "cases", request_body = Advance,
    params(("number" = String, Path, description = "Case number"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Advanced), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::case(&[Action::Advance])))))]
async fn advance(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Json(form): Json<Advance>) -> Result<Json<Advanced>, ServerError> {
    let to = status(&form.status)?;
    let status = state.run(move |services| Ok(services.cases().advance(&signed.access(), &number, to, form.award_cents.map(Cents))?)).await?;
    Ok(Json(Advanced { status: status.name().to_string() }))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"expert": "deskundige.bakker", "assigned": true}))]
pub(crate) struct Assignment {
    /// The expert's user name.
    expert: String,
    /// `true` asks the expert to advise on the case; `false` ends that.
    assigned: bool,
}

/// Asks an expert to advise on a case (E15.EXPERT), or ends that: an expert
/// sees only the cases assigned to them.
#[utoipa::path(post, path = "/api/v1/cases/{number}/experts", tag = "cases", request_body = Assignment,
    params(("number" = String, Path, description = "Case number"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 204), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::case_assignment()))))]
async fn assign_expert(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<String>,
    Json(form): Json<Assignment>,
) -> Result<StatusCode, ServerError> {
    state.run(move |services| assign(services, &signed, &number, &form.expert, form.assigned)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"recipient": "nam"}))]
pub(crate) struct Disclosure {
    /// A recipient of the register, e.g. `deskundigen`, `nam`, `politie`.
    recipient: String,
    /// For recipients under a legal obligation (E15.LEGAL): the check that the obligation exists.
    legal_check: Option<String>,
}

/// Discloses a case to a recipient the register names: exactly the
/// categories that recipient may receive, recorded and audited.
#[utoipa::path(post, path = "/api/v1/cases/{number}/disclosures", tag = "cases", request_body = Disclosure,
    params(("number" = String, Path, description = "Case number"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, description = "The package as the recipient receives it", content_type = "application/json"), (status = 400, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::case(&[Action::Disclose])))))]
async fn disclose(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<String>,
    Json(form): Json<Disclosure>,
) -> Result<Json<Package>, ServerError> {
    Ok(Json(state.run(move |services| Ok(services.cases().disclose(&signed.access(), &number, &form.recipient, form.legal_check.as_deref())?)).await?))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"recipient": "politie", "request": "PV 2026-0042: NAW en bankgegevens"}))]
pub(crate) struct LegalRequest {
    /// A recipient that receives data only by legal obligation, e.g. `politie`, `snn`.
    pub recipient: String,
    /// The request as received: its reference and what it asks.
    pub request: String,
}

/// Registers a legal-obligation party's request for a case's data; it waits
/// for the check that the obligation exists (E15.LEGAL).
#[utoipa::path(post, path = "/api/v1/cases/{number}/legal-requests", tag = "cases", request_body = LegalRequest,
    params(("number" = String, Path, description = "Case number"), ("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201), (status = 400, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::case(&[Action::Disclose])))))]
async fn request_disclosure(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<String>,
    Json(form): Json<LegalRequest>,
) -> Result<StatusCode, ServerError> {
    state.run(move |services| Ok(services.cases().request_disclosure(&signed.access(), &number, &form.recipient, &form.request)?)).await?;
    Ok(StatusCode::CREATED)
}

/// Requests of legal-obligation parties awaiting the check, oldest first.
#[utoipa::path(get, path = "/api/v1/disclosures/pending", tag = "cases",
    responses((status = 200, description = "number, recipient, recipient_name, request, requested_at per request", content_type = "application/json"), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::disclosure_queue()))))]
async fn pending_disclosures(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<PendingDisclosure>>, ServerError> {
    Ok(Json(state.run(move |services| pending(services, &signed)).await?))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"number": "IMG-2026-000001", "recipient": "politie", "check": "vordering OvJ 2026/123, art. 126nd Sv"}))]
pub(crate) struct Settle {
    pub number: String,
    pub recipient: String,
    /// The check that the legal obligation exists; without it the request is declined.
    pub check: Option<String>,
}

/// Settles a pending request: with the check the data goes, without it the request is declined.
#[utoipa::path(post, path = "/api/v1/disclosures/pending/settle", tag = "cases", request_body = Settle,
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, description = "The package, or null when declined", content_type = "application/json"), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No open request of that recipient on that case")),
    extensions(("x-register" = json!(openapi::disclosure_settlement()))))]
async fn settle_disclosure(State(state): State<AppState>, signed: Signed, Json(form): Json<Settle>) -> Result<Json<Option<Package>>, ServerError> {
    Ok(Json(state.run(move |services| settle(services, &signed, &form)).await?))
}

// --- pages -------------------------------------------------------------------

/// Applications of one scheme, 50 to a page.
#[utoipa::path(get, path = "/beheer/zaken", tag = "pages", params(CaseFilter), responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::case_list()))))]
async fn case_list(State(state): State<AppState>, signed: Signed, Query(filter): Query<CaseFilter>) -> Result<Markup, ServerError> {
    let scheme = filter.regeling.clone().unwrap_or_else(|| Scheme::PhysicalDamage.processing().to_string());
    let status = filter.status.clone().unwrap_or_default();
    let offset = filter.offset;
    let for_page = signed.clone();
    let cases = state.run(move |services| list(services, &for_page, &filter)).await?;
    Ok(layout(
        "Aanvragen",
        Some(&signed),
        html! {
            form method="get" action="/beheer/zaken" {
                label for="regeling" { "Regeling" }
                select id="regeling" name="regeling" {
                    @for s in Scheme::ALL { option value=(s.processing()) selected[s.processing() == scheme] { (s.name_nl()) } }
                }
                label for="status" { "Stand" }
                select id="status" name="status" {
                    option value="" selected[status.is_empty()] { "Alle" }
                    @for s in Status::ALL { option value=(s.name()) selected[s.name() == status] { (s.label_nl()) } }
                }
                button type="submit" { "Tonen" }
            }
            table {
                caption { "Meest recent gewijzigd bovenaan" }
                thead { tr { th scope="col" { "Zaaknummer" } th scope="col" { "Stand" } th scope="col" { "Gewijzigd" } } }
                tbody { @for c in &cases { tr {
                    td { @if let Some(n) = &c.number { a href={ "/beheer/zaken/" (n) } { (n) } } }
                    td { (c.status.as_deref().and_then(Status::from_name).map_or("", Status::label_nl)) }
                    td { (c.updated_at) }
                } } }
            }
            @if cases.len() as u64 == PAGE {
                p { a href={ "/beheer/zaken?regeling=" (scheme) "&status=" (status) "&offset=" (offset + PAGE) } { "Volgende 50" } }
            }
        },
    ))
}

/// One application, as the role may see it, with the forms of the steps.
#[utoipa::path(get, path = "/beheer/zaken/{number}", tag = "pages", params(("number" = String, Path, description = "Case number")), responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::case(&[])))))]
async fn case_page(State(state): State<AppState>, signed: Signed, Path(number): Path<String>) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let detail = state.run(move |services| detail(services, &for_page, &number)).await?;
    let register = state.kernel().register();
    let scheme = Scheme::from_processing(&detail.scheme);
    let recipients: Vec<(String, String, bool)> = register
        .processing_id(&detail.scheme)
        .map(|id| {
            register
                .processing(id)
                .disclosures
                .iter()
                .map(|d| {
                    let party = register.recipient(d.recipient_id);
                    (d.recipient.clone(), party.name.clone(), party.legal_check)
                })
                .collect()
        })
        .unwrap_or_default();
    let action = format!("/beheer/zaken/{}", detail.number);
    Ok(layout(
        &format!("Aanvraag {}", detail.number),
        Some(&signed),
        html! {
            (case_markup(&detail))
            h2 { "Volgende stap" }
            form method="post" action={ (action) "/stap" } {
                (csrf_field(&signed))
                label for="status" { "Nieuwe stand" }
                select id="status" name="status" {
                    @for status in scheme.map_or(&[][..], |s| s.life_cycle()) { option value=(status.name()) { (status.label_nl()) } }
                }
                label for="award" { "Toegekend bedrag in euro (alleen bij een besluit)" }
                input id="award" name="award" inputmode="decimal";
                button type="submit" { "Opslaan" }
            }
            h2 { "Deskundige" }
            p { "Een deskundige ziet alleen de aanvragen die aan hem of haar zijn toegewezen, en daarvan alleen wat het register deskundigen geeft (E15)." }
            form method="post" action={ (action) "/deskundigen" } {
                (csrf_field(&signed))
                label for="expert" { "Gebruikersnaam van de deskundige" }
                input id="expert" name="expert" autocomplete="off" required;
                button type="submit" name="assigned" value="true" { "Toewijzen" }
                " "
                button type="submit" name="assigned" value="false" { "Toewijzing beëindigen" }
            }
            h2 { "Verstrekken" }
            p { "Alleen aan partijen die het register voor deze regeling noemt, en alleen de gegevens die zij mogen ontvangen." }
            form method="post" action={ (action) "/verstrekken" } {
                (csrf_field(&signed))
                label for="recipient" { "Ontvanger" }
                select id="recipient" name="recipient" { @for (id, name, _) in &recipients { option value=(id) { (name) } } }
                label for="legal_check" { "Controle van de wettelijke plicht (verplicht bij verstrekking op grond van een wettelijke plicht)" }
                input id="legal_check" name="legal_check";
                button type="submit" { "Verstrekken" }
            }
            h2 { "Verzoek van een partij met een wettelijke plicht" }
            p { "Vraagt bijvoorbeeld de politie om gegevens? Leg het verzoek vast; het wacht dan tot is gecontroleerd dat de wettelijke plicht echt bestaat." }
            form method="post" action={ (action) "/wettelijk-verzoek" } {
                (csrf_field(&signed))
                label for="legal_recipient" { "Partij" }
                select id="legal_recipient" name="recipient" { @for (id, name, legal) in &recipients { @if *legal { option value=(id) { (name) } } } }
                label for="request" { "Het verzoek (kenmerk en wat er gevraagd wordt)" }
                textarea id="request" name="request" rows="2" required {}
                button type="submit" { "Verzoek vastleggen" }
            }
        },
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "recipient": "politie", "request": "PV 2026-0042: NAW en bankgegevens"}))]
struct LegalRequestForm {
    csrf: String,
    recipient: String,
    request: String,
}

/// Registers a legal-obligation party's request; it goes to the queue of pending disclosures.
#[utoipa::path(post, path = "/beheer/zaken/{number}/wettelijk-verzoek", tag = "pages", params(("number" = String, Path, description = "Case number")),
    request_body(content = LegalRequestForm, content_type = "application/x-www-form-urlencoded"), responses((status = 303), (status = 400, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::case(&[Action::Disclose])))))]
async fn case_legal_request(
    State(state): State<AppState>,
    signed: Signed,
    Path(number): Path<String>,
    Form(form): Form<LegalRequestForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    state.run(move |services| Ok(services.cases().request_disclosure(&signed.access(), &number, &form.recipient, &form.request)?)).await?;
    Ok(Redirect::to("/beheer/verstrekkingen").into_response())
}

/// Disclosures awaiting the check that the legal obligation exists.
#[utoipa::path(get, path = "/beheer/verstrekkingen", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::disclosure_queue()))))]
async fn pending_page(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let pending = state.run(move |services| pending(services, &for_page)).await?;
    Ok(layout(
        "Verstrekkingen die wachten",
        Some(&signed),
        html! {
            p { "Partijen die alleen op grond van een wettelijke plicht gegevens krijgen (E15), krijgen niets voordat is vastgelegd dat die plicht echt bestaat." }
            @if pending.is_empty() { p { "Er wachten geen verzoeken." } }
            @else {
                table.queue {
                    caption { "Oudste verzoek eerst" }
                    thead { tr { th scope="col" { "Aanvraag" } th scope="col" { "Partij" } th scope="col" { "Verzoek" } th scope="col" { "Ontvangen" } th scope="col" { "Afhandelen" } } }
                    tbody { @for (i, p) in pending.iter().enumerate() { tr {
                        td { a href={ "/beheer/zaken/" (p.number) } { (p.number) } }
                        td { (p.recipient_name) }
                        td { (p.request) }
                        td { (dutch::moment(p.requested_at)) }
                        td {
                            form method="post" action="/beheer/verstrekkingen" {
                                (csrf_field(&signed))
                                input type="hidden" name="number" value=(p.number);
                                input type="hidden" name="recipient" value=(p.recipient);
                                label for={ "check-" (i) } { "Controle van de wettelijke plicht" }
                                input id={ "check-" (i) } name="check";
                                button type="submit" name="decision" value="verstrekken" { "Verstrekken" }
                                " "
                                button type="submit" name="decision" value="weigeren" { "Weigeren" }
                            }
                        }
                    } } }
                }
            }
        },
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "number": "IMG-2026-000001", "recipient": "politie", "check": "vordering OvJ 2026/123, art. 126nd Sv", "decision": "verstrekken"}))]
struct SettleForm {
    csrf: String,
    number: String,
    recipient: String,
    check: Option<String>,
    /// `verstrekken` (with the check) or `weigeren`.
    decision: String,
}

/// Settles a pending request from the queue.
#[utoipa::path(post, path = "/beheer/verstrekkingen", tag = "pages", request_body(content = SettleForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 400, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::disclosure_settlement()))))]
async fn pending_settle(State(state): State<AppState>, signed: Signed, Form(form): Form<SettleForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let check = match form.decision.as_str() {
        "verstrekken" => Some(
            form.check
                .filter(|c| !c.trim().is_empty())
                .ok_or_else(|| ServerError::BadRequest("record the check that the legal obligation exists before disclosing, or decline".to_string()))?,
        ),
        _ => None,
    };
    let settlement = Settle { number: form.number, recipient: form.recipient, check };
    state.run(move |services| settle(services, &signed, &settlement)).await?;
    Ok(Redirect::to("/beheer/verstrekkingen").into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "status": "in_handling", "award": ""}))]
struct Step {
    csrf: String,
    status: String,
    /// In euros, e.g. `1250` or `1250,50`.
    award: Option<String>,
}

/// Moves the case one step; the scheme's life cycle decides which steps exist.
#[utoipa::path(post, path = "/beheer/zaken/{number}/stap", tag = "pages", params(("number" = String, Path, description = "Case number")),
    request_body(content = Step, content_type = "application/x-www-form-urlencoded"), responses((status = 303), (status = 400, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::case(&[Action::Advance])))))]
async fn case_step(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Form(form): Form<Step>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let to = status(&form.status)?;
    let award = match form.award.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(typed) => Some(Cents::parse(typed).map_err(|e| ServerError::BadRequest(e.to_string()))?),
    };
    let back = format!("/beheer/zaken/{number}");
    state.run(move |services| Ok(services.cases().advance(&signed.access(), &number, to, award)?)).await?;
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "recipient": "nam", "legal_check": ""}))]
struct Disclose {
    csrf: String,
    recipient: String,
    legal_check: Option<String>,
}

/// Discloses the case to a recipient; shows what it receives.
#[utoipa::path(post, path = "/beheer/zaken/{number}/verstrekken", tag = "pages", params(("number" = String, Path, description = "Case number")),
    request_body(content = Disclose, content_type = "application/x-www-form-urlencoded"), responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::case(&[Action::Disclose])))))]
async fn case_disclose(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Form(form): Form<Disclose>) -> Result<Markup, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let for_work = signed.clone();
    let check = form.legal_check.filter(|c| !c.trim().is_empty());
    let package = state.run(move |services| Ok(services.cases().disclose(&for_work.access(), &number, &form.recipient, check.as_deref())?)).await?;
    Ok(layout(
        &format!("Verstrekt aan {}", package.recipient_name),
        Some(&signed),
        html! {
            p.ok role="status" { "Verstrekt op " (dutch::moment(package.disclosed_at)) " en vastgelegd in het logboek en bij de aanvrager." }
            dl {
                dt { "Aanvraag" } dd { a href={ "/beheer/zaken/" (package.case) } { (package.case) } }
                @if let Some(basis) = &package.legal_basis { dt { "Grondslag" } dd { (basis) } }
                dt { "Gegevens" } dd { (labels(&package.categories)) }
            }
        },
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "expert": "deskundige.bakker", "assigned": true}))]
struct AssignForm {
    csrf: String,
    /// The expert's user name.
    expert: String,
    /// `true` (the button "Toewijzen") or `false` ("Toewijzing beëindigen").
    assigned: bool,
}

/// Asks an expert to advise on the case, or ends that.
#[utoipa::path(post, path = "/beheer/zaken/{number}/deskundigen", tag = "pages", params(("number" = String, Path, description = "Case number")),
    request_body(content = AssignForm, content_type = "application/x-www-form-urlencoded"), responses((status = 303), (status = 400, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::case_assignment()))))]
async fn case_assign(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Form(form): Form<AssignForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let back = format!("/beheer/zaken/{number}");
    state.run(move |services| assign(services, &signed, &number, &form.expert, form.assigned)).await?;
    Ok(Redirect::to(&back).into_response())
}
