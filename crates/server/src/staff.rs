//! The staff side's pages: the employee's own personnel file (I1), the
//! management report for department managers and HR (I4), the team
//! applications and their terms, for the administrator (I7), and the view
//! logs of damage dossiers and dashboards, for the privacy officer and the
//! DPO (I3). Thin: each handler calls `grondslag_hr`, which asks the kernel.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use grondslag_hr::report::Dimension;
use grondslag_hr::teams::Application;
use grondslag_hr::views::{DASHBOARD_LOG, DOSSIER_LOG, Dashboard};
use grondslag_hr::{Hr, HrError};
use grondslag_kernel::{Cell, View};
use grondslag_register::Action;
use grondslag_values::dutch;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ServerError;
use crate::layout::{csrf_field, layout};
use crate::openapi::{kcc as decision, own_calls_page as own_file};
use crate::state::AppState;
use crate::visitor::Signed;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_file))
        .routes(routes!(management_report))
        .routes(routes!(applications, register_application))
        .routes(routes!(dossier_views))
        .routes(routes!(dashboard_views))
}

/// One decision over everyone's data under `processing`.
fn everyone(processing: &str, action: Action) -> Value {
    json!({ "decide": [{ "processing": processing, "action": action.name(), "on": "everyone" }] })
}

fn applications_page(signed: &Signed, applications: &[Application]) -> Markup {
    layout(
        "Teamapplicaties",
        Some(signed),
        html! {
            p { "Per applicatie hoe lang de gegevens van een account (gebruikersnaam, e-mailadres) bewaard blijven nadat het account is beëindigd. Wachtwoorden bewaren wij niet: die blijven bij de applicatie." }
            table {
                thead { tr { th scope="col" { "Applicatie" } th scope="col" { "Bewaren na einde account" } } }
                tbody { @for a in applications { tr { td { (a.name) } td { (a.term) } } } }
            }
            h2 { "Applicatie toevoegen of termijn wijzigen" }
            form method="post" action="/beheer/teamapplicaties" {
                (csrf_field(signed))
                label for="name" { "Naam" }
                input id="name" name="name" required;
                label for="term" { "Termijn, bijvoorbeeld 2 years of 6 months" }
                input id="term" name="term" required;
                button type="submit" { "Opslaan" }
            }
        },
    )
}

/// The team applications and their terms (I7).
#[utoipa::path(get, path = "/beheer/teamapplicaties", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(everyone(grondslag_hr::teams::PROCESSING, Action::Read)))))]
async fn applications(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let access = signed.access();
    let found = state.run(move |services| Ok(Hr::new(services.kernel)?.applications(&access)?)).await?;
    Ok(applications_page(&signed, &found))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "name": "Confluence", "term": "2 years"}))]
struct ApplicationForm {
    csrf: String,
    /// The application's name.
    name: String,
    /// How long an ended account's data is kept, e.g. `2 years`.
    term: String,
}

/// Registers a team application, or changes its term (I7).
#[utoipa::path(post, path = "/beheer/teamapplicaties", tag = "pages", request_body(content = ApplicationForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(everyone(grondslag_hr::teams::PROCESSING, Action::Write)))))]
async fn register_application(State(state): State<AppState>, signed: Signed, Form(form): Form<ApplicationForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let access = signed.access();
    state.run(move |services| Ok(Hr::new(services.kernel)?.register_application(&access, &form.name, &form.term)?)).await?;
    Ok(Redirect::to("/beheer/teamapplicaties").into_response())
}

fn views_table(views: &[View]) -> Markup {
    html! {
        @if views.is_empty() { p { "Niemand heeft hier iets bekeken (binnen de bewaartermijn)." } }
        @else {
            table {
                thead { tr { th scope="col" { "Wanneer" } th scope="col" { "Wie" } th scope="col" { "Functie" } th scope="col" { "Verwerking" } th scope="col" { "Wat" } } }
                tbody { @for v in views { tr {
                    td { (dutch::moment(v.at)) } td { (v.actor) } td { (v.role.label_nl()) } td { (v.processing) } td { code { (v.object) } }
                } } }
            }
        }
    }
}

/// Who viewed which damage dossier when, from the audit log (I3).
#[utoipa::path(get, path = "/beheer/inzagelog", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(everyone(DOSSIER_LOG, Action::Read)))))]
async fn dossier_views(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let access = signed.access();
    let views = state.run(move |services| Ok(Hr::new(services.kernel)?.dossier_views(&access)?)).await?;
    Ok(layout(
        "Inzagelog schadedossiers",
        Some(&signed),
        html! {
            p { "Wie welk schadedossier wanneer heeft bekeken, uit het logboek. Deze regels worden blijvend bewaard." }
            p { a href="/beheer/inzagelog/dashboard" { "Inzagelog per dashboard" } }
            (views_table(&views))
        },
    ))
}

#[derive(Deserialize, IntoParams)]
struct WhichDashboard {
    /// The dashboard, by its register id; default `sturingsinformatie`.
    dashboard: Option<String>,
}

/// Who viewed a dashboard when, from the audit log, kept for that dashboard's own term (I3).
#[utoipa::path(get, path = "/beheer/inzagelog/dashboard", tag = "pages", params(WhichDashboard), responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(everyone(DASHBOARD_LOG, Action::Read)))))]
async fn dashboard_views(State(state): State<AppState>, signed: Signed, Query(which): Query<WhichDashboard>) -> Result<Markup, ServerError> {
    let access = signed.access();
    let name = which.dashboard.unwrap_or_else(|| grondslag_hr::processing::MANAGEMENT.to_string());
    let (dashboards, (dashboard, views)) = state
        .run(move |services| {
            let hr = Hr::new(services.kernel)?;
            let found = hr.dashboard_views(&access, &name)?;
            Ok((hr.dashboards()?, found))
        })
        .await?;
    let others: Vec<&Dashboard> = dashboards.iter().filter(|d| d.id != dashboard.id).collect();
    Ok(layout(
        &format!("Inzagelog dashboard {}", dashboard.name),
        Some(&signed),
        html! {
            p { "Wie dit dashboard wanneer heeft bekeken, uit het logboek. Deze regels worden " (dashboard.term.duration) " bewaard." }
            @if !others.is_empty() {
                p { "Andere dashboards: " @for d in others { a href={ "/beheer/inzagelog/dashboard?dashboard=" (d.id) } { (d.name) } " " } }
            }
            (views_table(&views))
        },
    ))
}

/// Mijn personeelsdossier: the employee's own employment, and where their
/// rights go (HR, I.RIGHTS).
#[utoipa::path(get, path = "/mijn-personeelsdossier", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(own_file(&[decision(grondslag_hr::processing::PERSONNEL, Action::Read, "own_file")])))))]
async fn my_file(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let access = signed.own_access();
    let me = signed.account.subject.clone();
    let found = state
        .run(move |services| match Hr::new(services.kernel)?.employment(&access, &me) {
            Ok(employment) => Ok(Some(employment)),
            // Staff whose account has no personnel file here (hired through another body).
            Err(HrError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        })
        .await?;
    Ok(layout(
        "Mijn personeelsdossier",
        Some(&signed),
        html! {
            @match &found {
                None => { p { "Er is hier geen personeelsdossier van je. Vragen? Neem contact op met HR." } }
                Some(e) => {
                    dl {
                        dt { "Naam" } dd { (e.name) }
                        dt { "Functie" } dd { (e.function) " (" (e.function_group) ")" }
                        dt { "Afdeling" } dd { (e.department) }
                        dt { "Contract" } dd { (e.contract.label_nl()) ", " (e.fte) " fte, " (e.hours) " uur per week" }
                        dt { "In dienst sinds" } dd { (dutch::date(e.started)) }
                        @if let Some(day) = e.ended { dt { "Uit dienst na" } dd { (dutch::date(day)) } }
                    }
                    p { "Wij bewaren je personeelsdossier tot twee jaar na het einde van je dienstverband; de gegevens voor de financiële administratie zeven jaar." }
                }
            }
            p { "Wil je je gegevens inzien, laten verbeteren of meenemen (in een standaardformaat), of maak je bezwaar? Dien een verzoek in via " a href="/mijn-gegevens" { "Mijn gegevens" } "; HR handelt het af binnen een maand." }
        },
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
struct ReportQuery {
    /// What goes down: department, function_group, contract_type or salary_scale.
    rijen: Option<String>,
    /// What goes across.
    kolommen: Option<String>,
}

/// Sturingsinformatie: headcount, fte and hours per group, never a row;
/// groups under five hidden, and so is whatever would give one away (I4).
#[utoipa::path(get, path = "/beheer/sturingsinformatie", tag = "pages", params(ReportQuery), responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(everyone(grondslag_hr::processing::MANAGEMENT, Action::Report)))))]
async fn management_report(State(state): State<AppState>, signed: Signed, Query(query): Query<ReportQuery>) -> Result<Markup, ServerError> {
    let access = signed.access();
    let rows: Dimension = query.rijen.as_deref().unwrap_or("department").parse()?;
    let columns: Dimension = query.kolommen.as_deref().unwrap_or("contract_type").parse()?;
    let table = state.run(move |services| Ok(Hr::new(services.kernel)?.management_report(&access, rows, columns)?)).await?;
    let show = |cell: &Cell| match cell.shown() {
        Some(f) => html! { (f.count) br; small { (dutch::hundredths(f.sums[0])) " fte, " (dutch::hundredths(f.sums[1])) " uur" } },
        None => html! { span data-suppressed="true" title="niet getoond" { "•" } },
    };
    Ok(layout(
        "Sturingsinformatie",
        Some(&signed),
        html! {
            p { "Aantal medewerkers, fte en uren per groep. Een groep van minder dan " (grondslag_kernel::MIN_GROUP) " mensen tonen wij niet (•), en ook niet een getal waaruit zo'n groep via de totalen terug te rekenen is." }
            form method="get" action="/beheer/sturingsinformatie" {
                label for="rijen" { "Rijen" }
                select id="rijen" name="rijen" { @for d in Dimension::ALL { option value=(d.name()) selected[*d == rows] { (d.label_nl()) } } }
                label for="kolommen" { "Kolommen" }
                select id="kolommen" name="kolommen" { @for d in Dimension::ALL { option value=(d.name()) selected[*d == columns] { (d.label_nl()) } } }
                button type="submit" { "Toon" }
            }
            table {
                thead { tr { th scope="col" { (rows.label_nl()) } @for c in &table.columns { th scope="col" { (c) } } th scope="col" { "Totaal" } } }
                tbody {
                    @for (i, row) in table.rows.iter().enumerate() {
                        tr { th scope="row" { (row) } @for cell in &table.cells[i] { td { (show(cell)) } } td { (show(&table.row_totals[i])) } }
                    }
                    tr { th scope="row" { "Totaal" } @for cell in &table.column_totals { td { (show(cell)) } } td { (show(&table.total)) } }
                }
            }
        },
    ))
}
