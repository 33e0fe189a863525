//! The staff side's back-office pages: the team applications and their
//! terms, for the administrator (I7), and the view logs of damage dossiers
//! and dashboards, for the privacy officer and the DPO (I3). Thin: each
//! handler calls `grondslag_hr`, which asks the kernel.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use grondslag_hr::Hr;
use grondslag_hr::teams::Application;
use grondslag_hr::views::{DASHBOARD_LOG, DOSSIER_LOG, Dashboard};
use grondslag_kernel::View;
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
use crate::state::AppState;
use crate::visitor::Signed;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(applications, register_application)).routes(routes!(dossier_views)).routes(routes!(dashboard_views))
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
