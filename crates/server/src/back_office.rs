//! The back office's start, and oversight that concerns nobody's data in
//! particular: verifying the audit log and watching retention, as JSON and
//! as pages. Both are for whoever may read the access logs of everyone
//! (the privacy team, the FG); `grondslag_rights::oversight` asks the
//! kernel.

use axum::Json;
use axum::extract::State;
use grondslag_rights::oversight;
use maud::{Markup, html};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Problem, ServerError};
use crate::layout::layout;
use crate::openapi;
use crate::state::{AppState, Services};
use crate::visitor::Signed;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(back_office))
        .routes(routes!(audit_verify))
        .routes(routes!(retention_report))
        .routes(routes!(retention_page))
        .routes(routes!(audit_page))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Verification {
    pub entries: u64,
    pub checkpoints: u64,
}

fn verify(services: &Services<'_>, signed: &Signed) -> Result<Verification, ServerError> {
    let checked = oversight::verify_audit(services.kernel, &signed.access())?;
    Ok(Verification { entries: checked.entries, checkpoints: checked.checkpoints })
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
    /// Records with a due date and no hold.
    pub dated: u64,
    pub held: u64,
    /// Records whose term waits for an event that has not happened yet.
    pub waiting: u64,
    pub next_due: Option<String>,
}

fn retention(services: &Services<'_>, signed: &Signed) -> Result<Retention, ServerError> {
    let overview = oversight::retention(services.kernel, &signed.access())?;
    Ok(Retention {
        processings: overview
            .processings
            .into_iter()
            .map(|l| RetentionLine {
                processing: l.processing,
                records: l.records,
                dated: l.dated,
                held: l.held,
                waiting: l.waiting,
                next_due: l.next_due.map(|d| d.to_string()),
            })
            .collect(),
        overdue_reviews: overview
            .overdue_reviews
            .into_iter()
            .map(|r| OverdueReview { processing: r.processing, record: r.record.to_string(), review_at: r.review_at.to_string() })
            .collect(),
    })
}

/// Verifies the whole audit log: hash chain and signed checkpoints.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "operations", responses((status = 200, body = Verification), (status = 403, body = Problem), (status = 503, body = Problem, description = "A verification is running already (`busy`); see Retry-After")),
    extensions(("x-register" = json!(openapi::oversight()))))]
async fn audit_verify(State(state): State<AppState>, signed: Signed) -> Result<Json<Verification>, ServerError> {
    Ok(Json(state.run(move |services| verify(services, &signed)).await?))
}

/// Per processing: records kept, held, and the next deletion date; and holds overdue for review.
#[utoipa::path(get, path = "/api/v1/retention/report", tag = "operations", responses((status = 200, body = Retention), (status = 403, body = Problem)),
    extensions(("x-register" = json!(openapi::oversight()))))]
async fn retention_report(State(state): State<AppState>, signed: Signed) -> Result<Json<Retention>, ServerError> {
    Ok(Json(state.run(move |services| retention(services, &signed)).await?))
}

// --- pages -------------------------------------------------------------------

/// The back office's start: what this role can do.
#[utoipa::path(get, path = "/beheer", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::session()))))]
async fn back_office(signed: Signed) -> Result<Markup, ServerError> {
    Ok(layout(
        "Backoffice",
        Some(&signed),
        html! {
            ul.tiles {
                li { a href="/beheer/zaken" { "Aanvragen per regeling" } }
                li { a href="/beheer/verzoeken" { "Privacyverzoeken" } " — op uiterste datum, te late bovenaan" }
                li { a href="/beheer/verstrekkingen" { "Verstrekkingen die wachten op de controle van de wettelijke plicht" } }
                li { a href="/beheer/bewaren" { "Bewaartermijnen en bevriezingen" } }
                li { a href="/beheer/audit" { "Logboek controleren" } }
                li { a href="/privacyverklaring" { "Het register als privacyverklaring" } }
            }
            h2 { "Medewerkers" }
            ul.tiles {
                li { a href="/beheer/teamapplicaties" { "Teamapplicaties" } " — en hoe lang elk de gegevens van een beëindigd account bewaart" }
                li { a href="/beheer/inzagelog" { "Inzagelog" } " — wie welk schadedossier of dashboard wanneer bekeek" }
                li { a href="/privacyverklaring?verklaring=staff" { "Privacyverklaring voor medewerkers" } }
                li { a href="/beveiliging" { "Beveiliging van je account" } " — inloggen met een passkey in plaats van de code" }
            }
            h2 { "Klantcontactcentrum: kwaliteitsprotocol" }
            ul.tiles {
                li { a href="/kcc/mijn-gesprekken" { "Mijn gesprekken" } " — aangekondigde selecties, mijn verslagen en opnames" }
                li { a href="/kcc/coachees" { "Mijn coachees" } " — selecties, monitoringsformulier en verslagen" }
                li { a href="/kcc/team" { "Mijn team" } " — gemelde bedreigingen en zwaarwegende redenen" }
                li { a href="/kcc/zwaarwegend" { "Zwaarwegende redenen" } " — besluiten van de afdeling" }
            }
        },
    ))
}

/// Retention per processing: records, holds, the next deletion.
#[utoipa::path(get, path = "/beheer/bewaren", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::oversight()))))]
async fn retention_page(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let retention = state.run(move |services| retention(services, &for_page)).await?;
    let register = state.kernel().register();
    Ok(layout(
        "Bewaartermijnen",
        Some(&signed),
        html! {
            p { "De dagelijkse opschoning verwijdert wat zijn termijn heeft bereikt; bevroren gegevens blijven tot de bevriezing is opgeheven." }
            table {
                thead { tr { th scope="col" { "Verwerking" } th scope="col" { "Termijn" } th scope="col" { "Dossiers" } th scope="col" { "Met datum" } th scope="col" { "Bevroren" } th scope="col" { "Wacht op gebeurtenis" } th scope="col" { "Eerstvolgende verwijdering" } } }
                tbody { @for l in &retention.processings { tr {
                    td { (l.processing) }
                    td { (register.processing_id(&l.processing).map(|id| grondslag_register::render::retention_nl(register, &register.processing(id).retention)).unwrap_or_default()) }
                    td { (l.records) }
                    td { (l.dated) }
                    td { (l.held) }
                    td { (l.waiting) }
                    td { (l.next_due.as_deref().unwrap_or("—")) }
                } } }
            }
            h2 { "Bevriezingen die beoordeeld moeten worden" }
            @if retention.overdue_reviews.is_empty() { p { "Geen: elke bevriezing is op tijd beoordeeld." } }
            @else {
                table.queue {
                    thead { tr { th scope="col" { "Verwerking" } th scope="col" { "Dossier" } th scope="col" { "Beoordelen vóór" } } }
                    tbody { @for r in &retention.overdue_reviews { tr.overdue { td { (r.processing) } td { (r.record) } td { (r.review_at) } } } }
                }
            }
        },
    ))
}

/// Verifies the audit log now.
#[utoipa::path(get, path = "/beheer/audit", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::oversight()))))]
async fn audit_page(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let verification = state.run(move |services| verify(services, &for_page)).await?;
    Ok(layout(
        "Logboek",
        Some(&signed),
        html! {
            p.ok role="status" { "Het logboek is in orde: " (verification.entries) " regels, een ongebroken hashketen en " (verification.checkpoints) " ondertekende controlepunten." }
        },
    ))
}
