//! Mijn gegevens: what a person sees and asks of their own file — their
//! applications, their data per processing with purpose, basis, term and
//! recipients, when it was looked at and why, and their rights requests — as pages and
//! as JSON under `/api/v1/me`. The kernel decides each, for the person's own
//! file (`self`) or their principals' (`represented`).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use grondslag_claims::Scheme;
use grondslag_register::Action;
use grondslag_rights::export::AccessReport;
use grondslag_rights::requests::{Requests, RightKind};
use grondslag_values::dutch;
use maud::{Markup, html};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Problem, ServerError};
use crate::layout::{csrf_field, labels, layout, right_label};
use crate::openapi;
use crate::state::{AppState, Services};
use crate::views::{CaseDetail, RightsRequest, case_markup};
use crate::visitor::Signed;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_data))
        .routes(routes!(my_requests, file_my_request))
        .routes(routes!(my_case))
        .routes(routes!(portal))
        .routes(routes!(portal_request))
        .routes(routes!(portal_case))
}

/// Everything held about the signed-in person (AVG art. 15).
fn own_report(services: &Services<'_>, signed: &Signed) -> Result<AccessReport, ServerError> {
    Ok(grondslag_rights::export::own(services.kernel, &signed.own_access(), signed.person())?)
}

fn own_requests(services: &Services<'_>, signed: &Signed) -> Result<Vec<RightsRequest>, ServerError> {
    let requests = Requests::new(services.kernel)?.of_subject(&signed.own_access(), signed.person())?;
    Ok(requests.iter().map(|r| RightsRequest::from_state(r, signed.visitor.now)).collect())
}

fn file_request(services: &Services<'_>, signed: &Signed, kind: &str, concerns: Option<&str>) -> Result<RightsRequest, ServerError> {
    let kind = RightKind::from_name(kind).ok_or_else(|| {
        ServerError::BadRequest(format!(
            "unknown kind of request `{kind}`; use access, explanation, rectification, erasure, restriction, portability, objection or withdraw_consent"
        ))
    })?;
    let concerns = concerns.filter(|p| !p.is_empty());
    let state = Requests::new(services.kernel)?.file(&signed.own_access(), signed.person(), kind, &signed.session.username, concerns)?;
    Ok(RightsRequest::from_state(&state, signed.visitor.now))
}

fn case_detail(services: &Services<'_>, signed: &Signed, number: &str) -> Result<CaseDetail, ServerError> {
    Ok(services.cases().show(&signed.own_access(), number)?.into())
}

// --- API ---------------------------------------------------------------------

/// My data: what is held, why, on which basis, for how long, given to
/// whom, and when it was looked at, for what and by what kind of party
/// (never by whom). The same document as an access export.
#[utoipa::path(get, path = "/api/v1/me/data", tag = "me", responses((status = 200, description = "The access report (AVG art. 15)", content_type = "application/json"), (status = 401, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::within_own_file(openapi::own_file(Action::Read))))))]
async fn my_data(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let report = state.run(move |services| own_report(services, &signed)).await?;
    let name = format!("attachment; filename=\"mijn-gegevens-{}.json\"", report.generated_at.strftime("%Y-%m-%d"));
    Ok(([(header::CONTENT_DISPOSITION, name)], Json(report)).into_response())
}

/// My rights requests, newest first, with their due dates.
#[utoipa::path(get, path = "/api/v1/me/requests", tag = "me", responses((status = 200, body = Vec<RightsRequest>), (status = 401, body = Problem), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::within_own_file(openapi::own_file(Action::Read))))))]
async fn my_requests(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<RightsRequest>>, ServerError> {
    Ok(Json(state.run(move |services| own_requests(services, &signed)).await?))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"kind": "access"}))]
pub(crate) struct NewRequest {
    /// access, explanation, rectification, erasure, restriction, portability, objection, withdraw_consent, opt_out_of_approach
    pub kind: String,
    /// The processing it is about (for withdraw_consent: the consent to withdraw), e.g. `nieuwsbrief_email`.
    pub concerns: Option<String>,
}

/// Files a rights request; it is answered within a month of today.
#[utoipa::path(post, path = "/api/v1/me/requests", tag = "me", request_body = NewRequest, params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201, body = RightsRequest), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "The register has no processing by the name `concerns` gives")),
    extensions(("x-register" = json!(openapi::within_own_file(openapi::own_file(Action::File))))))]
async fn file_my_request(
    State(state): State<AppState>,
    signed: Signed,
    Json(form): Json<NewRequest>,
) -> Result<(StatusCode, Json<RightsRequest>), ServerError> {
    Ok((StatusCode::CREATED, Json(state.run(move |services| file_request(services, &signed, &form.kind, form.concerns.as_deref())).await?)))
}

/// One of my own cases (or my principal's).
#[utoipa::path(get, path = "/api/v1/me/cases/{number}", tag = "me", params(("number" = String, Path, description = "Case number, e.g. IMG-2026-000001")),
    responses((status = 200, body = CaseDetail), (status = 403, body = Problem, description = "Not yours"), (status = 404, body = Problem, description = "No such case")),
    extensions(("x-register" = json!(openapi::within_own_file(openapi::case(&[]))))))]
async fn my_case(State(state): State<AppState>, signed: Signed, Path(number): Path<String>) -> Result<Json<CaseDetail>, ServerError> {
    Ok(Json(state.run(move |services| case_detail(services, &signed, &number)).await?))
}

// --- pages -------------------------------------------------------------------

/// Mijn gegevens: my applications, my data per processing with purpose,
/// basis, term and recipients, when it was looked at and why, disclosures,
/// automated checks, consents and rights requests.
#[utoipa::path(get, path = "/mijn-gegevens", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 303, description = "Sign in first"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::within_own_file(openapi::own_file(Action::Read))))))]
async fn portal(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let (report, requests) = state.run(move |services| Ok((own_report(services, &for_page)?, own_requests(services, &for_page)?))).await?;
    let register = state.kernel().register();
    let cases: Vec<(String, String, String)> = report
        .processings
        .iter()
        .filter(|p| Scheme::from_processing(&p.id).is_some())
        .flat_map(|p| p.items.iter().filter_map(move |item| item.get("case_number").map(|n| (n.clone(), p.name.clone(), p.id.clone()))))
        .collect();
    // A parent filing for a child finds the explanation written for the child.
    let for_a_child = register
        .meta
        .children
        .as_ref()
        .is_some_and(|children| cases.iter().any(|(_, _, id)| register.processing_id(id).is_some_and(|id| children.explains(register.processing(id)))));
    let consents: Vec<&grondslag_rights::export::ProcessingPart> = report
        .processings
        .iter()
        .filter(|p| register.processing_id(&p.id).is_some_and(|id| register.processing(id).basis == grondslag_register::Basis::Consent))
        .collect();
    Ok(layout(
        "Mijn gegevens",
        Some(&signed),
        html! {
            p { "Hier zie je wat het IMG van je heeft vastgelegd, waarom, op welke grond, hoe lang wij het bewaren en aan wie wij het hebben gegeven — en wanneer je gegevens zijn bekeken en waarvoor." }
            p { a.button href="/api/v1/me/data" download { "Download al mijn gegevens (JSON)" } }

            section id="aanvragen" aria-labelledby="aanvragen-titel" {
                h2 id="aanvragen-titel" { "Mijn aanvragen" }
                @if cases.is_empty() { p { "Je hebt geen lopende aanvragen." } }
                @else {
                    ul { @for (number, scheme, _) in &cases { li { a href={ "/mijn-gegevens/zaken/" (number) } { (number) } " — " (scheme) } } }
                }
                @if for_a_child {
                    p { "Voor je kind: " a href=(grondslag_register::render::CHILDREN_PAGE) { "uitleg over privacy voor kinderen en jongeren tot en met 17 jaar" } }
                }
            }

            section id="verzoeken" aria-labelledby="verzoeken-titel" {
                h2 id="verzoeken-titel" { "Mijn privacyverzoeken" }
                @if requests.is_empty() { p { "Je hebt nog geen verzoeken gedaan." } }
                @else {
                    table {
                        caption { "Verzoeken en de datum waarop wij uiterlijk antwoorden" }
                        thead { tr { th scope="col" { "Verzoek" } th scope="col" { "Ontvangen" } th scope="col" { "Uiterlijk beantwoord op" } th scope="col" { "Stand" } } }
                        tbody { @for r in &requests { tr {
                            td { (right_label(&r.kind)) }
                            td { (dutch::date(r.received)) }
                            td { (dutch::date(r.due)) }
                            td { @if r.answered { "beantwoord" } @else if r.identity_verified { "in behandeling" } @else { "wij controleren je identiteit" } }
                        } } }
                    }
                }
                form method="post" action="/mijn-gegevens/verzoeken" {
                    (csrf_field(&signed))
                    label for="kind" { "Nieuw verzoek" }
                    select id="kind" name="kind" {
                        @for kind in ["access", "explanation", "rectification", "erasure", "restriction", "portability", "objection", "opt_out_of_approach"] {
                            option value=(kind) { (right_label(kind)) }
                        }
                    }
                    button type="submit" { "Verzoek indienen" }
                }
                p { "Wij beantwoorden je verzoek binnen een maand. Soms hebben wij meer tijd nodig; dan hoor je dat binnen die maand." }
            }

            section id="toestemming" aria-labelledby="toestemming-titel" {
                h2 id="toestemming-titel" { "Mijn toestemmingen" }
                @if consents.is_empty() { p { "Wij gebruiken geen gegevens van je op grond van toestemming." } }
                @for p in &consents {
                    form method="post" action="/mijn-gegevens/verzoeken" {
                        (csrf_field(&signed))
                        input type="hidden" name="kind" value="withdraw_consent";
                        input type="hidden" name="processing" value=(p.id);
                        span { (p.name) " — " }
                        button type="submit" { "Toestemming intrekken" }
                    }
                }
            }

            section id="gegevens" aria-labelledby="gegevens-titel" {
                h2 id="gegevens-titel" { "Welke gegevens wij van je hebben" }
                @for p in &report.processings {
                    article {
                        h3 { (p.name) }
                        dl {
                            dt { "Waarvoor" } dd { (p.purpose) }
                            dt { "Grondslag" } dd { (p.legal_basis) }
                            dt { "Bewaartermijn" } dd { (p.retention) }
                            dt { "Gegevens" } dd { (labels(&p.categories)) }
                            @if !p.disclosed_to.is_empty() {
                                dt { "Gegeven aan" }
                                dd { ul { @for d in &p.disclosed_to { li { (d.recipient) " (" (d.categories) ") op " (dutch::moment(d.at)) } } } }
                            }
                            @if !p.automated.is_empty() {
                                dt { "Automatische controles" }
                                dd { ul { @for a in &p.automated { li { (a) } } } }
                            }
                        }
                    }
                }
            }

            section id="inzage" aria-labelledby="inzage-titel" {
                h2 id="inzage-titel" { "Wanneer zijn mijn gegevens bekeken, en waarvoor?" }
                p { "Wij noemen de soort medewerker of het systeem dat je gegevens gebruikte, niet de naam van de medewerker. Een poging die werd geweigerd, staat er ook: daarbij is niets getoond of veranderd." }
                table {
                    caption { "Elke keer dat je gegevens werden ingezien, vastgelegd, gedeeld of verwijderd, en elke geweigerde poging" }
                    thead { tr { th scope="col" { "Wanneer" } th scope="col" { "Wat" } th scope="col" { "Door" } th scope="col" { "Verwerking" } th scope="col" { "Waarvoor" } } }
                    tbody { @for a in report.accesses.iter().rev() { tr {
                        td { (dutch::moment(a.at)) }
                        td { @if a.attempt { strong { "Poging, geweigerd: " } } (a.what) }
                        td { (a.party) }
                        td { (a.processing) }
                        td { (a.purpose) }
                    } } }
                }
            }
        },
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "kind": "access"}))]
struct RequestForm {
    csrf: String,
    kind: String,
    /// The processing it is about (the consent to withdraw).
    processing: Option<String>,
}

/// Files a rights request from Mijn gegevens.
#[utoipa::path(post, path = "/mijn-gegevens/verzoeken", tag = "pages", request_body(content = RequestForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html")), extensions(("x-register" = json!(openapi::within_own_file(openapi::own_file(Action::File))))))]
async fn portal_request(State(state): State<AppState>, signed: Signed, Form(form): Form<RequestForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    state.run(move |services| file_request(services, &signed, &form.kind, form.processing.as_deref())).await?;
    Ok(Redirect::to("/mijn-gegevens#verzoeken").into_response())
}

/// One of my own applications (or my principal's); another's is refused.
#[utoipa::path(get, path = "/mijn-gegevens/zaken/{number}", tag = "pages", params(("number" = String, Path, description = "Case number")),
    responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::within_own_file(openapi::case(&[]))))))]
async fn portal_case(State(state): State<AppState>, signed: Signed, Path(number): Path<String>) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let detail = state.run(move |services| case_detail(services, &for_page, &number)).await?;
    Ok(layout(&format!("Aanvraag {}", detail.number), Some(&signed), case_markup(&detail)))
}
