//! The call centre's quality protocol (K0–K12) as pages: the coach's
//! coachees, their selections, the monitoring form of Bijlage 1 and the
//! reports; the employee's own page ("Mijn gesprekken"); the manager's
//! threat recordings and weighty reasons; and playback of recordings.
//!
//! Each handler calls `grondslag_callqa` and nothing else decides: who
//! coaches or manages whom is a relation the kernel checks, so the same
//! route refuses another coach with `relation_missing` and a manager with
//! `role_not_allowed`. Coach and manager pages name the employee by the
//! subject id of their file; the employee's own pages reach their own
//! file only (`Access::own_file_only`).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use grondslag_callqa::form::{Answer, CRITERIA, Handling, KnowledgeArea, Phase};
use grondslag_callqa::processing::{CALIBRATION, CALLS, MONITORING, PROTOCOL, REPORTS, THREAT, TRAINING, WEIGHTY};
use grondslag_callqa::reports::{DeletionGround, Report};
use grondslag_callqa::selection::Filters;
use grondslag_callqa::threat::{Indication, Measure};
use grondslag_callqa::training::Use;
use grondslag_callqa::{CallQa, CallQaError, Month, Recording};
use grondslag_kernel::{RecordRef, SubjectId};
use grondslag_register::Action::{Advance, Erase, File, Read, Write};
use grondslag_values::{Reason, dutch};
use maud::{Markup, html};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ServerError;
use crate::layout::{csrf_field, layout};
use crate::openapi::{draws, employee, kcc, listed, own_calls_page};
use crate::state::{AppState, Services};
use crate::visitor::Signed;

/// The service's policy with recordings allowed to play from this site:
/// pages with an `<audio>` element need `media-src`, which the default
/// policy (`default-src 'none'`) leaves out.
const CSP_WITH_AUDIO: &str =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(coachees))
        .routes(routes!(coachee))
        .routes(routes!(announce))
        .routes(routes!(draw))
        .routes(routes!(exclude))
        .routes(routes!(form_page, file_report))
        .routes(routes!(play_selected))
        .routes(routes!(coach_report))
        .routes(routes!(coach_view))
        .routes(routes!(conclude))
        .routes(routes!(decide_deletion))
        .routes(routes!(overdue))
        .routes(routes!(my_calls))
        .routes(routes!(acknowledge))
        .routes(routes!(my_report))
        .routes(routes!(my_view))
        .routes(routes!(agree))
        .routes(routes!(second_opinion))
        .routes(routes!(request_deletion))
        .routes(routes!(play_own))
        .routes(routes!(consent))
        .routes(routes!(withdraw))
        .routes(routes!(report_threat))
        .routes(routes!(team))
        .routes(routes!(team_member))
        .routes(routes!(measure))
        .routes(routes!(hold))
        .routes(routes!(settle))
        .routes(routes!(play_threat))
        .routes(routes!(weighty_list))
        .routes(routes!(weighty, decide_weighty))
        .routes(routes!(play_investigated))
        .routes(routes!(play_used))
}

// --- shared ------------------------------------------------------------------

fn callqa<'k>(services: &Services<'k>) -> Result<CallQa<'k>, ServerError> {
    Ok(CallQa::new(services.kernel)?)
}

/// The employee's file named in a path: an id that cannot be one is "not found".
fn file_of(text: &str) -> Result<SubjectId, ServerError> {
    SubjectId::parse(text).map_err(|_| ServerError::NotFound(format!("no employee `{text}`")))
}

/// A record in the employee's file, named in a path.
fn record_in(employee: &SubjectId, record: &str) -> Result<RecordRef, ServerError> {
    let record = grondslag_kernel::RecordId::parse(record).map_err(|_| ServerError::NotFound(format!("no record `{record}`")))?;
    Ok(RecordRef { subject: employee.clone(), record })
}

/// A record in the signed-in person's own file.
fn own_record(signed: &Signed, record: &str) -> Result<RecordRef, ServerError> {
    record_in(&signed.account.subject, record)
}

/// A date as a form's date field sends it; `what` names the field in
/// English for the API, `what_nl` in Dutch for the page.
fn date_field(what: &str, what_nl: &str, text: &str) -> Result<jiff::civil::Date, ServerError> {
    match dutch::parse_written(text) {
        Ok(dutch::Written::Date(date)) => Ok(date),
        Ok(dutch::Written::Moment(_)) => {
            Err(ServerError::Invalid(Reason::new(format!("{what}: give a date without a time"), format!("{what_nl}: geef een datum zonder tijdstip."))))
        }
        Err(e) => Err(ServerError::Invalid(Reason::new(format!("{what}: {e}"), format!("{what_nl}: {}", e.explain_nl())))),
    }
}

/// The first moment of a day in Amsterdam.
fn day_start(date: jiff::civil::Date) -> jiff::Timestamp {
    dutch::Written::Date(date).start()
}

/// A page that may play recordings.
fn page(title: &str, signed: &Signed, body: Markup) -> Response {
    let mut response = layout(title, Some(signed), body).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP_WITH_AUDIO));
    response
}

fn back(to: &str) -> Response {
    Redirect::to(to).into_response()
}

fn player(src: &str, label: &str) -> Markup {
    html! { audio controls preload="none" src=(src) aria-label={ "Opname: " (label) } { a href=(src) { "Opname downloaden" } } }
}

// --- playback ----------------------------------------------------------------

/// Which bytes a `Range` header asks for (RFC 9110 §14): one range is
/// served as 206, a range past the end is 416; anything else — no header,
/// another unit, several ranges, a malformed one — is answered whole, as
/// the RFC allows a server to ignore a range.
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Whole,
    Part { first: usize, last: usize },
    Unsatisfiable,
}

fn wanted(header: Option<&str>, len: usize) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else { return Wanted::Whole };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else { return Wanted::Whole };
    match (first.trim(), last.trim()) {
        ("", suffix) => match suffix.parse::<usize>() {
            Ok(0) => Wanted::Unsatisfiable,
            Ok(_) if len == 0 => Wanted::Unsatisfiable,
            Ok(n) => Wanted::Part { first: len.saturating_sub(n), last: len - 1 },
            Err(_) => Wanted::Whole,
        },
        (first, last) => {
            let Ok(first) = first.parse::<usize>() else { return Wanted::Whole };
            let last = match last {
                "" => None,
                text => match text.parse::<usize>() {
                    Ok(last) if last >= first => Some(last),
                    _ => return Wanted::Whole,
                },
            };
            if first >= len {
                return Wanted::Unsatisfiable;
            }
            Wanted::Part { first, last: last.map_or(len - 1, |l| l.min(len - 1)) }
        }
    }
}

/// A recording as a response: its media type, whole or the range asked,
/// never cached (the store is the only place it is kept, and it goes
/// after four weeks).
fn audio(recording: Recording, headers: &HeaderMap) -> Response {
    let len = recording.bytes.len();
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let content_type = HeaderValue::from_str(&recording.media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let common = [
        (header::CONTENT_TYPE, content_type),
        (header::ACCEPT_RANGES, HeaderValue::from_static("bytes")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    match wanted(range, len) {
        Wanted::Whole => (StatusCode::OK, common, recording.bytes).into_response(),
        Wanted::Part { first, last } => {
            let part = recording.bytes.get(first..=last).map(<[u8]>::to_vec).unwrap_or_default();
            let content_range = format!("bytes {first}-{last}/{len}");
            (StatusCode::PARTIAL_CONTENT, common, [(header::CONTENT_RANGE, content_range)], part).into_response()
        }
        Wanted::Unsatisfiable => (StatusCode::RANGE_NOT_SATISFIABLE, common, [(header::CONTENT_RANGE, format!("bytes */{len}"))]).into_response(),
    }
}

// --- the coach ---------------------------------------------------------------

/// The coach's coachees: everyone whose participation their grant reaches.
#[utoipa::path(get, path = "/kcc/coachees", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(listed(PROTOCOL)))))]
async fn coachees(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let access = signed.access();
    let people = state.run(move |services| Ok(callqa(services)?.participants(&access)?)).await?;
    Ok(page(
        "Mijn coachees",
        &signed,
        html! {
            p { "De medewerkers die je coacht. Per maand worden van elke medewerker ten hoogste vier zakelijke gesprekken geselecteerd (K4)." }
            @if people.is_empty() { p { "Je coacht (nog) niemand. HR legt vast wie je coacht." } }
            ul { @for p in &people { li { a href={ "/kcc/coachees/" (p.record.subject) } { (p.name) } " — " (p.function) } } }
            p { a href="/kcc/verwijderverzoeken" { "Verzoeken om verwijdering waarvan de termijn is verstreken" } }
        },
    ))
}

/// What the coach sees of one coachee.
struct CoacheeView {
    participation: Option<grondslag_callqa::team::Participation>,
    selections: Vec<grondslag_callqa::selection::Selection>,
    reports: Vec<Report>,
    calls: HashMap<String, (RecordRef, grondslag_callqa::Call)>,
}

/// One coachee: selections (announce, draw, not representative), the calls
/// drawn with playback and the form, the reports and deletion requests.
#[utoipa::path(get, path = "/kcc/coachees/{employee}", tag = "pages", params(("employee" = String, Path, description = "The employee's file (subject id)")),
    responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(PROTOCOL, Read, "object"), draws("object"), kcc(REPORTS, Read, "object"), kcc(CALLS, Read, "object")])))))]
async fn coachee(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, ServerError> {
    let employee = file_of(&id)?;
    let access = signed.access();
    let who = employee.clone();
    let view = state
        .run(move |services| {
            let qa = callqa(services)?;
            Ok(CoacheeView {
                participation: qa.participations_of(&access, &who)?.into_iter().next(),
                selections: qa.selections(&access, &who)?,
                reports: qa.reports_of(&access, &who)?,
                calls: qa.calls_of(&access, &who)?.into_iter().map(|(r, c)| (c.call_id.clone(), (r, c))).collect(),
            })
        })
        .await?;
    let base = format!("/kcc/coachees/{employee}");
    let name = view.participation.as_ref().map_or("Medewerker", |p| p.name.as_str()).to_string();
    let today = dutch::amsterdam_date(signed.visitor.now);
    let this_month = Month::of(signed.visitor.now);
    Ok(page(
        &name,
        &signed,
        html! {
            @if let Some(p) = &view.participation {
                dl {
                    dt { "Functie" } dd { (p.function) }
                    dt { "Protocolversie" } dd { (p.version) @if let Some(at) = p.acknowledged { " (ontvangst bevestigd op " (dutch::moment(at)) ")" } @else { " (ontvangst nog niet bevestigd)" } }
                    dt { "Gesprekken deze maand" } dd { "ten hoogste " (p.cap(this_month)) }
                    dt { "Selectiedatum vooraf melden" } dd { @if p.not_announced { "nee, afgesproken: geen aankondiging" } @else { "ja" } }
                }
            }
            section id="selecties" aria-labelledby="selecties-titel" {
                h2 id="selecties-titel" { "Selecties" }
                form method="post" action={ (base) "/selecties" } {
                    (csrf_field(&signed))
                    label for="month" { "Maand waaruit gesprekken worden gekozen" }
                    input id="month" name="month" type="month" required value=(this_month);
                    label for="date" { "Selectiedatum (na vandaag)" }
                    input id="date" name="date" type="date" required min=(today.tomorrow().unwrap_or(today));
                    button type="submit" { "Selectiedatum aankondigen" }
                }
                @for s in &view.selections {
                    article.selection {
                        h3 { "Maand " (s.draw.month) }
                        p { "Selectiedatum: " (dutch::date(s.draw.date)) }
                        @if s.draw.drawn.is_empty() { p { "Nog geen gesprekken getrokken." } }
                        ol.drawn { @for call_id in &s.draw.drawn { li {
                            @match view.calls.get(call_id) {
                                Some((record, call)) => {
                                    (call.label()) " "
                                    (player(&format!("{base}/gesprekken/{}/opname", record.record), &call.label()))
                                    " " a href={ (base) "/gesprekken/" (record.record) "/formulier" } { "Monitoringsformulier invullen" }
                                }
                                None => { (call_id) " (de opname is er niet meer)" }
                            }
                            form.inline method="post" action={ (base) "/selecties/" (s.record.record) "/uitsluiten" } {
                                (csrf_field(&signed))
                                input type="hidden" name="call_id" value=(call_id);
                                label for={ "reden-" (call_id) } { "Niet representatief, omdat" }
                                input id={ "reden-" (call_id) } name="reason" required;
                                button type="submit" { "Vervangen" }
                            }
                        } } }
                        @if !s.draw.excluded.is_empty() {
                            p { "Niet representatief en vervangen:" }
                            ul { @for e in &s.draw.excluded { li { (e.call_id) ": " (e.reason) " (" (e.by) ")" } } }
                        }
                        form method="post" action={ (base) "/selecties/" (s.record.record) "/trekking" } {
                            (csrf_field(&signed))
                            label for={ "aantal-" (s.record.record) } { "Aantal gesprekken trekken" }
                            input id={ "aantal-" (s.record.record) } name="count" type="number" min="1" max="8" value="1" required;
                            button type="submit" { "Trekken" }
                        }
                    }
                }
            }
            section id="verslagen" aria-labelledby="verslagen-titel" {
                h2 id="verslagen-titel" { "Verslagen" }
                @if view.reports.is_empty() { p { "Nog geen verslagen." } }
                ul { @for r in &view.reports { li {
                    a href={ (base) "/verslagen/" (r.record.record) } { (dutch::date(r.form.date)) " — " (r.call.as_ref().map_or("", |c| c.label.as_str())) }
                    " — " @if r.norm.meets { "voldoet aan de norm" } @else { "voldoet niet aan de norm" }
                    @if let Some(d) = r.deletion.as_ref().filter(|d| d.refused.is_none()) { strong { " — verzoek om verwijdering, beslissen vóór " (dutch::moment(d.due())) } }
                } } }
            }
        },
    ))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "month": "2099-12", "date": "2099-12-01"}))]
struct AnnounceForm {
    csrf: String,
    /// The month whose calls are selected, e.g. 2026-12.
    month: String,
    /// The selection date, after today.
    date: String,
}

/// Announces the selection date of a month (K6).
#[utoipa::path(post, path = "/kcc/coachees/{employee}/selecties", tag = "pages", params(("employee" = String, Path, description = "The employee's file")),
    request_body(content = AnnounceForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 409, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(MONITORING, File, "reached"), kcc(PROTOCOL, Read, "object"), draws("object"), kcc(MONITORING, File, "object")])))))]
async fn announce(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Form(form): Form<AnnounceForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let employee = file_of(&id)?;
    let month: Month = form.month.parse()?;
    let date = date_field("the selection date", "De selectiedatum", &form.date)?;
    let access = signed.access();
    let who = employee.clone();
    state.run(move |services| Ok(callqa(services)?.announce(&access, &who, month, date, Filters::default())?)).await?;
    Ok(back(&format!("/kcc/coachees/{employee}#selecties")))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "count": 1}))]
struct DrawForm {
    csrf: String,
    /// How many calls to draw now.
    count: u32,
}

/// Draws calls, with a fresh random seed that is recorded with the draw.
#[utoipa::path(post, path = "/kcc/coachees/{employee}/selecties/{record}/trekking", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The selection", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = DrawForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 409, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(MONITORING, Write, "reached"), draws("object"), kcc(PROTOCOL, Read, "object"), kcc(CALLS, Read, "object"), kcc(MONITORING, Write, "object")])))))]
async fn draw(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(form): Form<DrawForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let selection = record_in(&file_of(&id)?, &record)?;
    // The randomness comes from the edge, so that the domain stays
    // deterministic and the recorded seed lets anyone redo the draw.
    let seed = rand::random::<u64>();
    let access = signed.access();
    state.run(move |services| Ok(callqa(services)?.draw(&access, &selection, form.count, seed)?)).await?;
    Ok(back(&format!("/kcc/coachees/{id}#selecties")))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "call_id": "C-0001", "reason": "De verbinding viel weg."}))]
struct ExcludeForm {
    csrf: String,
    call_id: String,
    reason: String,
}

/// Marks a drawn call not representative; the next call of the draw takes its place (K5).
#[utoipa::path(post, path = "/kcc/coachees/{employee}/selecties/{record}/uitsluiten", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The selection", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = ExcludeForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 409, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(MONITORING, Write, "reached"), draws("object"), kcc(CALLS, Read, "object"), kcc(MONITORING, Write, "object")])))))]
async fn exclude(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(form): Form<ExcludeForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let selection = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    state.run(move |services| Ok(callqa(services)?.exclude(&access, &selection, &form.call_id, &form.reason)?)).await?;
    Ok(back(&format!("/kcc/coachees/{id}#selecties")))
}

/// The monitoring form of Bijlage 1 for a drawn call, with Bijlage 2's interpretation beside criteria 1–6.
#[utoipa::path(get, path = "/kcc/coachees/{employee}/gesprekken/{record}/formulier", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The call", example = "0123456789abcdef0123456789abcdef")),
    responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(PROTOCOL, Read, "object"), kcc(CALLS, Read, "object")])))))]
async fn form_page(State(state): State<AppState>, signed: Signed, Path((id, record)): Path<(String, String)>) -> Result<Response, ServerError> {
    let call = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    let wanted_call = call.clone();
    let (name, label) = state
        .run(move |services| {
            let qa = callqa(services)?;
            let name = qa.participations_of(&access, &wanted_call.subject)?.into_iter().next().map(|p| p.name).unwrap_or_default();
            let found = qa.calls_of(&access, &wanted_call.subject)?.into_iter().find(|(r, _)| *r == wanted_call);
            let (_, call) =
                found.ok_or_else(|| ServerError::NotFound("this call was not found, or is gone (recordings go four weeks after the call)".to_string()))?;
            Ok((name, call.label()))
        })
        .await?;
    let action = format!("/kcc/coachees/{id}/gesprekken/{record}/formulier");
    Ok(page(
        "Quality Monitoringsformulier",
        &signed,
        html! {
            dl {
                dt { "Naam coachee" } dd { (name) }
                dt { "Naam trainer/coach" } dd { (signed.session.username) }
                dt { "Gesprek" } dd { (label) }
            }
            p { (player(&format!("/kcc/coachees/{id}/gesprekken/{record}/opname"), &label)) }
            p { "Een criterium met (K) is kritisch: een Nee betekent dat het gesprek niet aan de norm voldoet. Verder voldoet een gesprek als ten minste "
                (grondslag_callqa::form::NORM_PERCENT) "% van de beoordeelde criteria Ja is." }
            form.monitoring method="post" action=(action) {
                (csrf_field(&signed))
                label for="handling" { "Wat is beoordeeld" }
                select id="handling" name="handling" {
                    option value="recording" selected { "Opgenomen gesprek (terugluisteren)" }
                    option value="live" { "Live meeluisteren naast de medewerker" }
                    option value="written" { "Schriftelijke afhandeling" }
                }
                @for phase in Phase::ALL {
                    fieldset.phase {
                        legend { (phase.label()) }
                        @for c in CRITERIA.iter().filter(|c| c.phase == phase) {
                            div.criterion {
                                fieldset {
                                    legend { (c.number) ". " (c.question) @if c.critical { " (K)" } }
                                    @for answer in Answer::ALL {
                                        @let field = format!("a{}-{}", c.number, answer_value(answer));
                                        input type="radio" id=(field) name={ "a" (c.number) } value=(answer_value(answer)) required
                                            checked[c.live_only && answer == Answer::NietTeConstateren];
                                        label for=(field) { (answer.label()) }
                                    }
                                }
                                @if let Some(text) = c.interpretation { p.interpretation { strong { "Interpretatie (Bijlage 2): " } (text) } }
                                label for={ "r" (c.number) } { "Opmerking bij " (c.number) }
                                textarea id={ "r" (c.number) } name={ "r" (c.number) } rows="1" {}
                            }
                        }
                    }
                }
                fieldset {
                    legend { "Bevindingen" }
                    label for="kennis_gebied" { "Kennis: gebied" } textarea id="kennis_gebied" name="kennis_gebied" rows="2" {}
                    label for="kennis_systeem" { "Kennis: systeem" } textarea id="kennis_systeem" name="kennis_systeem" rows="2" {}
                    label for="kennis_proces" { "Kennis: proces" } textarea id="kennis_proces" name="kennis_proces" rows="2" {}
                    label for="findings" { "Overige bevindingen" } textarea id="findings" name="findings" rows="2" {}
                    label for="went_well" { "Wat ging goed" } textarea id="went_well" name="went_well" rows="2" {}
                    label for="compliment" { "Wat is een compliment waard" } textarea id="compliment" name="compliment" rows="2" {}
                    label for="less_well" { "Wat ging minder goed" } textarea id="less_well" name="less_well" rows="2" {}
                    @for i in 1..=3 {
                        label for={ "verbeterpunt" (i) } { "Afgesproken verbeterpunt " (i) }
                        input id={ "verbeterpunt" (i) } name={ "verbeterpunt" (i) };
                    }
                }
                button type="submit" { "Verslag opslaan" }
            }
        },
    ))
}

fn answer_value(answer: Answer) -> &'static str {
    match answer {
        Answer::Ja => "ja",
        Answer::Nee => "nee",
        Answer::NietTeConstateren => "ntc",
    }
}

/// The form as sent, field by field (23 answers and remarks have no struct of their own).
fn filled_form(fields: &HashMap<String, String>, coachee: String, coach: String, date: jiff::civil::Date) -> Result<grondslag_callqa::form::Form, ServerError> {
    let text = |name: &str| fields.get(name).map(|v| v.trim().to_string()).unwrap_or_default();
    let handling = match text("handling").as_str() {
        "recording" => Handling::Recording,
        "live" => Handling::Live,
        "written" => Handling::Written,
        other => {
            return Err(ServerError::Invalid(Reason::new(
                format!("`{other}` is not a way of judging; use recording, live or written"),
                format!("‘{other}’ is geen manier van beoordelen; kies een opgenomen gesprek, live meeluisteren of een schriftelijke afhandeling."),
            )));
        }
    };
    let answers = CRITERIA
        .iter()
        .map(|c| {
            let given = text(&format!("a{}", c.number));
            if given.is_empty() {
                return Err(ServerError::Invalid(Reason::new(
                    format!("criterion {} ({}) is not answered", c.number, c.question),
                    format!("Criterium {} ({}) is niet beantwoord; kies ja, nee of niet te constateren.", c.number, c.question),
                )));
            }
            Ok((given.parse::<Answer>()?, text(&format!("r{}", c.number))))
        })
        .collect::<Result<Vec<_>, ServerError>>()?;
    let knowledge = [(KnowledgeArea::Gebied, "kennis_gebied"), (KnowledgeArea::Systeem, "kennis_systeem"), (KnowledgeArea::Proces, "kennis_proces")]
        .into_iter()
        .map(|(area, name)| (area, text(name)))
        .filter(|(_, t)| !t.is_empty())
        .collect();
    let improvements = (1..=3).map(|i| text(&format!("verbeterpunt{i}"))).filter(|t| !t.is_empty()).collect();
    Ok(grondslag_callqa::form::Form {
        coachee,
        coach,
        date,
        handling,
        answers,
        knowledge,
        findings: text("findings"),
        went_well: text("went_well"),
        compliment: text("compliment"),
        less_well: text("less_well"),
        improvements,
    })
}

/// What the form's example sends: every criterion answered.
fn form_example() -> serde_json::Value {
    let mut fields = serde_json::Map::new();
    fields.insert("csrf".into(), "the session's CSRF token".into());
    fields.insert("handling".into(), "recording".into());
    for c in CRITERIA.iter() {
        fields.insert(format!("a{}", c.number), if c.live_only { "ntc" } else { "ja" }.into());
        fields.insert(format!("r{}", c.number), "".into());
    }
    fields.insert("went_well".into(), "Vriendelijke opening.".into());
    fields.insert("verbeterpunt1".into(), "Vaker samenvatten.".into());
    serde_json::Value::Object(fields)
}

/// Files the report of the filled-in form about a drawn call (K7).
#[utoipa::path(post, path = "/kcc/coachees/{employee}/gesprekken/{record}/formulier", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The call", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = Object, description = "The session's CSRF token (`csrf`), `handling` (recording, live, written), `a1`…`a23` (ja, nee, ntc), `r1`…`r23` (remarks), `kennis_gebied`, `kennis_systeem`, `kennis_proces`, `findings`, `went_well`, `compliment`, `less_well`, `verbeterpunt1`…`verbeterpunt3`",
        content_type = "application/x-www-form-urlencoded", example = form_example),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 409, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(PROTOCOL, Read, "object"), kcc(REPORTS, File, "reached"), kcc(CALLS, Read, "object"), draws("object"), kcc(REPORTS, File, "object")])))))]
async fn file_report(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, ServerError> {
    let fields: HashMap<String, String> = fields.into_iter().collect();
    signed.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let call = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    let coach = signed.session.username.clone();
    let today = dutch::amsterdam_date(signed.visitor.now);
    let filed = state
        .run(move |services| {
            let qa = callqa(services)?;
            // The report names the coachee as their participation does, not as the form says.
            let coachee = qa.participations_of(&access, &call.subject)?.into_iter().next().map(|p| p.name).unwrap_or_default();
            let form = filled_form(&fields, coachee, coach, today)?;
            Ok(qa.file_report(&access, &call, &form)?)
        })
        .await?;
    Ok(back(&format!("/kcc/coachees/{id}/verslagen/{}", filed.record)))
}

/// Plays a drawn call to the coach (K4: only drawn calls).
#[utoipa::path(get, path = "/kcc/coachees/{employee}/gesprekken/{record}/opname", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The call", example = "0123456789abcdef0123456789abcdef"), ("Range" = Option<String>, Header, description = "One byte range")),
    responses((status = 200, content_type = "audio/wav"), (status = 206, content_type = "audio/wav"), (status = 403), (status = 409), (status = 416)),
    extensions(("x-register" = json!(employee(&[kcc(MONITORING, Read, "reached"), kcc(CALLS, Read, "object"), draws("object")])))))]
async fn play_selected(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let call = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    let recording = state.run(move |services| Ok(callqa(services)?.listen_selected(&access, &call)?)).await?;
    Ok(audio(recording, &headers))
}

/// A report as both its readers see it: the form, the norm, views and conclusions.
fn report_markup(report: &Report) -> Markup {
    let form = &report.form;
    html! {
        dl {
            dt { "Naam coachee" } dd { (form.coachee) }
            dt { "Naam trainer/coach" } dd { (form.coach) }
            dt { "Datum" } dd { (dutch::date(form.date)) }
            @if let Some(call) = &report.call { dt { "Gesprek" } dd { (call.label) } }
            dt { "Norm" } dd.norm {
                @if report.norm.meets { "Voldoet aan de norm" } @else { "Voldoet niet aan de norm" }
                " (" (report.norm.ja) " van " (report.norm.judged) " beoordeelde criteria Ja"
                @if !report.norm.critical_failed.is_empty() { "; kritisch criterium Nee: " (report.norm.critical_failed.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")) }
                ")"
            }
        }
        table.criteria {
            caption { "Criteria (Bijlage 1)" }
            thead { tr { th scope="col" { "Fase" } th scope="col" { "Criterium" } th scope="col" { "Antwoord" } th scope="col" { "Opmerking" } } }
            tbody { @for (c, (answer, remark)) in CRITERIA.iter().zip(&form.answers) { tr {
                td { (c.phase.label()) } td { (c.number) ". " (c.question) @if c.critical { " (K)" } } td { (answer.label()) } td { (remark) }
            } } }
        }
        h2 { "Bevindingen" }
        dl {
            @for (area, text) in &form.knowledge {
                dt { "Kennis: " (match area { KnowledgeArea::Gebied => "gebied", KnowledgeArea::Systeem => "systeem", KnowledgeArea::Proces => "proces" }) } dd { (text) }
            }
            @if !form.findings.is_empty() { dt { "Overige bevindingen" } dd { (form.findings) } }
            dt { "Wat ging goed" } dd { (form.went_well) }
            dt { "Wat is een compliment waard" } dd { (form.compliment) }
            dt { "Wat ging minder goed" } dd { (form.less_well) }
            dt { "Afgesproken verbeterpunten" } dd { ol { @for i in &form.improvements { li { (i) } } } }
        }
        h2 { "Zienswijzen en conclusies" }
        dl {
            dt { "Zienswijze coach" } dd.coach-view { (report.coach_view.as_deref().unwrap_or("nog niet gegeven")) }
            dt { "Zienswijze medewerker" } dd.employee-view { (report.employee_view.as_deref().unwrap_or("nog niet gegeven")) }
            dt { "Conclusies" } dd.conclusions { (report.conclusions.as_deref().unwrap_or("nog niet geformuleerd")) }
            dt { "Akkoord medewerker" } dd { @if let Some(at) = report.agreed { "ja, op " (dutch::moment(at)) } @else { "nog niet" } }
            @if let Some(why) = &report.second_opinion_asked { dt { "Second opinion gevraagd" } dd { (why) } }
            @for (by, text) in &report.second_opinions { dt { "Second opinion van " (by) } dd { (text) } }
            @if let Some(d) = &report.deletion {
                dt { "Verzoek om verwijdering" }
                dd { (d.ground.label_nl()) ": " (d.explanation) " (gevraagd op " (dutch::moment(d.requested_at)) ", beslissing uiterlijk " (dutch::moment(d.due())) ")"
                    @if let Some(refused) = &d.refused { " — afgewezen: " (refused) } }
            }
        }
    }
}

/// A report, with the coach's forms: their view, the conclusions, a decision on a deletion request.
#[utoipa::path(get, path = "/kcc/coachees/{employee}/verslagen/{record}", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(REPORTS, Read, "object")])))))]
async fn coach_report(State(state): State<AppState>, signed: Signed, Path((id, record)): Path<(String, String)>) -> Result<Response, ServerError> {
    let wanted = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    let report = state.run(move |services| Ok(callqa(services)?.report(&access, &wanted)?)).await?;
    let base = format!("/kcc/coachees/{id}/verslagen/{record}");
    Ok(page(
        "Verslag van monitoring en coaching",
        &signed,
        html! {
            (report_markup(&report))
            form method="post" action={ (base) "/zienswijze" } {
                (csrf_field(&signed))
                label for="view" { "Jouw zienswijze als coach" }
                textarea id="view" name="text" required rows="3" {}
                button type="submit" { "Zienswijze vastleggen" }
            }
            form method="post" action={ (base) "/conclusies" } {
                (csrf_field(&signed))
                label for="conclusions" { "Conclusies (samen met de medewerker geformuleerd)" }
                textarea id="conclusions" name="text" required rows="3" {}
                button type="submit" { "Conclusies vastleggen" }
            }
            @if report.deletion.as_ref().is_some_and(|d| d.refused.is_none()) {
                form method="post" action={ (base) "/verwijderverzoek" } {
                    (csrf_field(&signed))
                    fieldset {
                        legend { "Beslissing van het coachteam op het verzoek om verwijdering" }
                        input type="radio" id="grant-yes" name="grant" value="true" required; label for="grant-yes" { "Inwilligen: het verslag wordt direct verwijderd" }
                        input type="radio" id="grant-no" name="grant" value="false"; label for="grant-no" { "Afwijzen" }
                    }
                    label for="reasons" { "Redenen" }
                    textarea id="reasons" name="reasons" required rows="3" {}
                    button type="submit" { "Beslissen" }
                }
            }
            p { a href={ "/kcc/coachees/" (id) } { "Terug naar de coachee" } }
        },
    ))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "text": "Het gesprek verliep rustig."}))]
struct TextForm {
    csrf: String,
    text: String,
}

/// The coach gives their view (zienswijze) on a report.
#[utoipa::path(post, path = "/kcc/coachees/{employee}/verslagen/{record}/zienswijze", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = TextForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(REPORTS, Advance, "object")])))))]
async fn coach_view(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(form): Form<TextForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let report = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    state.run(move |services| Ok(callqa(services)?.give_view(&access, &report, &form.text)?)).await?;
    Ok(back(&format!("/kcc/coachees/{id}/verslagen/{record}")))
}

/// The coach writes down the conclusions, once both gave their view.
#[utoipa::path(post, path = "/kcc/coachees/{employee}/verslagen/{record}/conclusies", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = TextForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(REPORTS, Read, "object"), kcc(REPORTS, Advance, "object")])))))]
async fn conclude(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(form): Form<TextForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let report = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    state.run(move |services| Ok(callqa(services)?.conclude(&access, &report, &form.text)?)).await?;
    Ok(back(&format!("/kcc/coachees/{id}/verslagen/{record}")))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "grant": true, "reasons": "Het verslag berust op een gesprek dat niet representatief was."}))]
struct DeletionDecision {
    csrf: String,
    /// `true` grants the request (the report is deleted at once), `false` refuses it.
    grant: bool,
    reasons: String,
}

/// The coach team decides on a deletion request, with reasons (K11).
#[utoipa::path(post, path = "/kcc/coachees/{employee}/verslagen/{record}/verwijderverzoek", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = DeletionDecision, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(REPORTS, Erase, "reached"), kcc(REPORTS, Read, "object"), kcc(REPORTS, Advance, "object"), kcc(REPORTS, Erase, "object")])))))]
async fn decide_deletion(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(form): Form<DeletionDecision>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let report = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    let grant = form.grant;
    state.run(move |services| Ok(callqa(services)?.decide_deletion(&access, &report, grant, &form.reasons)?)).await?;
    Ok(back(&if grant { format!("/kcc/coachees/{id}#verslagen") } else { format!("/kcc/coachees/{id}/verslagen/{record}") }))
}

/// Deletion requests whose four weeks have passed without a decision.
#[utoipa::path(get, path = "/kcc/verwijderverzoeken", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(listed(REPORTS)))))]
async fn overdue(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let access = signed.access();
    let now = signed.visitor.now;
    let late = state.run(move |services| Ok(callqa(services)?.overdue_deletions(&access, now)?)).await?;
    Ok(page(
        "Verzoeken om verwijdering over de termijn",
        &signed,
        html! {
            p { "Het coachteam beslist binnen vier weken met redenen op een verzoek om een verslag te verwijderen (K11)." }
            @if late.is_empty() { p.ok role="status" { "Geen: op elk verzoek is op tijd beslist." } }
            @else {
                table.queue {
                    thead { tr { th scope="col" { "Verslag" } th scope="col" { "Beslissing was uiterlijk" } } }
                    tbody { @for (record, due) in &late { tr.overdue {
                        td { a href={ "/kcc/coachees/" (record.subject) "/verslagen/" (record.record) } { "Verslag" } }
                        td { (dutch::moment(*due)) }
                    } } }
                }
            }
        },
    ))
}

// --- the employee ------------------------------------------------------------

/// What the employee sees on their own page.
struct MyPage {
    participations: Vec<grondslag_callqa::team::Participation>,
    announcements: Vec<grondslag_callqa::selection::Announcement>,
    reports: Vec<Report>,
    calls: Vec<(RecordRef, grondslag_callqa::Call)>,
    consents: Vec<(RecordRef, Use, String)>,
    threats: Vec<grondslag_callqa::threat::Threat>,
}

/// Mijn gesprekken: announced selection dates (never the calls drawn), my
/// reports, my calls with playback, consent for training, threats.
#[utoipa::path(get, path = "/kcc/mijn-gesprekken", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(PROTOCOL, Read, "own_file"), kcc(MONITORING, Read, "own_file"), kcc(REPORTS, Read, "own_file"), kcc(CALLS, Read, "reached"), kcc(TRAINING, Read, "own_file"), kcc(CALIBRATION, Read, "own_file"), kcc(THREAT, Read, "own_file")])))))]
async fn my_calls(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let access = signed.own_access();
    let me = signed.account.subject.clone();
    let mine = state
        .run(move |services| {
            let qa = callqa(services)?;
            Ok(MyPage {
                participations: qa.participations_of(&access, &me)?,
                announcements: qa.announcements(&access, &me)?,
                reports: qa.reports_of(&access, &me)?,
                calls: qa.own_calls(&access)?,
                consents: qa.consents_of(&access, &me)?,
                threats: qa.threats_of(&access, &me)?,
            })
        })
        .await?;
    Ok(page(
        "Mijn gesprekken",
        &signed,
        html! {
            section id="protocol" aria-labelledby="protocol-titel" {
                h2 id="protocol-titel" { "Het protocol" }
                @if mine.participations.is_empty() { p { "Je neemt niet deel aan het protocol voor het opnemen en terugluisteren van gesprekken." } }
                @for p in &mine.participations {
                    p { "Je hebt versie " (p.version) " van het protocol ontvangen als " (p.function) "; je coach luistert per maand ten hoogste " (p.cap(Month::of(signed.visitor.now))) " gesprekken terug (K4)." }
                    @match p.acknowledged {
                        Some(at) => { p { "Ontvangst bevestigd op " (dutch::moment(at)) "." } }
                        None => {
                            form method="post" action={ "/kcc/mijn-gesprekken/protocol/" (p.record.record) "/ontvangen" } {
                                (csrf_field(&signed))
                                button type="submit" { "Ik heb het protocol ontvangen" }
                            }
                        }
                    }
                }
            }
            section id="aankondigingen" aria-labelledby="aankondigingen-titel" {
                h2 id="aankondigingen-titel" { "Wanneer worden mijn gesprekken geselecteerd?" }
                p { "Je hoort vooraf op welke datum gesprekken worden geselecteerd; welke gesprekken worden gekozen, hoor je niet (K6)." }
                @if mine.announcements.is_empty() { p { "Er is nog geen selectie aangekondigd." } }
                ul { @for a in &mine.announcements { li {
                    "Gesprekken uit " (a.month) ": "
                    @match a.date { Some(date) => { "selectie op " (dutch::date(date)) } None => { "afgesproken: geen aankondiging" } }
                } } }
            }
            section id="verslagen" aria-labelledby="verslagen-titel" {
                h2 id="verslagen-titel" { "Mijn verslagen" }
                @if mine.reports.is_empty() { p { "Er zijn geen verslagen over jouw gesprekken." } }
                ul { @for r in &mine.reports { li {
                    a href={ "/kcc/mijn-gesprekken/verslagen/" (r.record.record) } { (dutch::date(r.form.date)) " — " (r.call.as_ref().map_or("", |c| c.label.as_str())) }
                    " — " @if r.norm.meets { "voldoet aan de norm" } @else { "voldoet niet aan de norm" }
                } } }
            }
            section id="gesprekken" aria-labelledby="gesprekken-titel" {
                h2 id="gesprekken-titel" { "Mijn gesprekken" }
                p { "Je mag je eigen gesprekken beluisteren zolang ze niet zijn verwijderd: uiterlijk vier weken na het gesprek (K3, K11)." }
                @if mine.calls.is_empty() { p { "Er zijn geen opgenomen gesprekken van jou." } }
                @for (record, call) in &mine.calls {
                    article.call {
                        h3 { (call.label()) }
                        @if call.media_type.is_some() { p { (player(&format!("/kcc/mijn-gesprekken/gesprekken/{}/opname", record.record), &call.label())) } }
                        form method="post" action={ "/kcc/mijn-gesprekken/gesprekken/" (record.record) "/toestemming" } {
                            (csrf_field(&signed))
                            label for={ "gebruik-" (record.record) } { "Toestemming geven voor gebruik in" }
                            select id={ "gebruik-" (record.record) } name="use" {
                                @for u in Use::ALL { option value=(u.name()) { (u.label_nl()) } }
                            }
                            button type="submit" { "Toestemming geven" }
                        }
                        form method="post" action={ "/kcc/mijn-gesprekken/gesprekken/" (record.record) "/bedreiging" } {
                            (csrf_field(&signed))
                            label for={ "bedreiging-" (record.record) } { "Bedreiging, agressie of intimidatie in dit gesprek melden: wat gebeurde er?" }
                            textarea id={ "bedreiging-" (record.record) } name="description" required rows="2" {}
                            button type="submit" { "Melden bij mijn leidinggevende" }
                        }
                    }
                }
            }
            section id="toestemmingen" aria-labelledby="toestemmingen-titel" {
                h2 id="toestemmingen-titel" { "Mijn toestemmingen" }
                @if mine.consents.is_empty() { p { "Je hebt geen toestemming gegeven voor gebruik van je gesprekken in een opleiding of kalibratie." } }
                ul { @for (record, use_, call_id) in &mine.consents { li {
                    "Gesprek " (call_id) " — " (use_.label_nl())
                    form.inline method="post" action={ "/kcc/mijn-gesprekken/toestemmingen/" (record.record) "/intrekken" } {
                        (csrf_field(&signed))
                        input type="hidden" name="use" value=(use_.name());
                        button type="submit" { "Toestemming intrekken" }
                    }
                } } }
            }
            section id="bedreigingen" aria-labelledby="bedreigingen-titel" {
                h2 id="bedreigingen-titel" { "Gemelde bedreigingen" }
                @if mine.threats.is_empty() { p { "Je hebt geen bedreiging gemeld." } }
                ul { @for t in &mine.threats { li {
                    (t.call.label()) ": " (t.description)
                    @if !t.measures.is_empty() { ul { @for (m, note, _) in &t.measures { li { (m.label_nl()) @if !note.is_empty() { ": " (note) } } } } }
                } } }
            }
        },
    ))
}

/// I confirm I received the protocol (K0).
#[utoipa::path(post, path = "/kcc/mijn-gesprekken/protocol/{record}/ontvangen", tag = "pages", params(("record" = String, Path, description = "My participation", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(PROTOCOL, Advance, "own_file")])))))]
async fn acknowledge(State(state): State<AppState>, signed: Signed, Path(record): Path<String>, Form(form): Form<CsrfForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let participation = own_record(&signed, &record)?;
    let access = signed.own_access();
    state.run(move |services| Ok(callqa(services)?.acknowledge(&access, &participation)?)).await?;
    Ok(back("/kcc/mijn-gesprekken#protocol"))
}

/// One of my reports, with my forms: my view, agreeing, a second opinion, deletion.
#[utoipa::path(get, path = "/kcc/mijn-gesprekken/verslagen/{record}", tag = "pages", params(("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(REPORTS, Read, "own_file")])))))]
async fn my_report(State(state): State<AppState>, signed: Signed, Path(record): Path<String>) -> Result<Response, ServerError> {
    let wanted = own_record(&signed, &record)?;
    let access = signed.own_access();
    let report = state.run(move |services| Ok(callqa(services)?.report(&access, &wanted)?)).await?;
    let base = format!("/kcc/mijn-gesprekken/verslagen/{record}");
    Ok(page(
        "Verslag van monitoring en coaching",
        &signed,
        html! {
            (report_markup(&report))
            form method="post" action={ (base) "/zienswijze" } {
                (csrf_field(&signed))
                label for="view" { "Mijn zienswijze" }
                textarea id="view" name="text" required rows="3" {}
                button type="submit" { "Zienswijze geven" }
            }
            @if report.conclusions.is_some() && report.agreed.is_none() {
                form method="post" action={ (base) "/akkoord" } {
                    (csrf_field(&signed))
                    button type="submit" { "Akkoord met de conclusies" }
                }
            }
            form method="post" action={ (base) "/second-opinion" } {
                (csrf_field(&signed))
                label for="why" { "Second opinion door een andere coach vragen, omdat" }
                textarea id="why" name="text" required rows="2" {}
                button type="submit" { "Second opinion vragen" }
            }
            form method="post" action={ (base) "/verwijderen" } {
                (csrf_field(&signed))
                label for="ground" { "Verzoek om dit verslag te verwijderen, omdat het" }
                select id="ground" name="ground" { @for g in DeletionGround::ALL { option value=(g.name()) { (g.label_nl()) " is" } } }
                label for="explanation" { "Toelichting" }
                textarea id="explanation" name="explanation" rows="2" {}
                button type="submit" { "Verwijdering vragen" }
            }
            p { "Het coachteam beslist binnen vier weken met redenen; bij inwilliging wordt het verslag direct verwijderd (K11)." }
            p { a href="/kcc/mijn-gesprekken#verslagen" { "Terug naar mijn gesprekken" } }
        },
    ))
}

/// I give my view on a report of mine.
#[utoipa::path(post, path = "/kcc/mijn-gesprekken/verslagen/{record}/zienswijze", tag = "pages", params(("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = TextForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(REPORTS, Advance, "own_file")])))))]
async fn my_view(State(state): State<AppState>, signed: Signed, Path(record): Path<String>, Form(form): Form<TextForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let report = own_record(&signed, &record)?;
    let access = signed.own_access();
    state.run(move |services| Ok(callqa(services)?.give_view(&access, &report, &form.text)?)).await?;
    Ok(back(&format!("/kcc/mijn-gesprekken/verslagen/{record}")))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token"}))]
struct CsrfForm {
    csrf: String,
}

/// I agree the conclusions of a report of mine.
#[utoipa::path(post, path = "/kcc/mijn-gesprekken/verslagen/{record}/akkoord", tag = "pages", params(("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = CsrfForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(REPORTS, Read, "own_file"), kcc(REPORTS, Advance, "own_file")])))))]
async fn agree(State(state): State<AppState>, signed: Signed, Path(record): Path<String>, Form(form): Form<CsrfForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let report = own_record(&signed, &record)?;
    let access = signed.own_access();
    state.run(move |services| Ok(callqa(services)?.agree(&access, &report)?)).await?;
    Ok(back(&format!("/kcc/mijn-gesprekken/verslagen/{record}")))
}

/// I ask for a second opinion by another coach (K7).
#[utoipa::path(post, path = "/kcc/mijn-gesprekken/verslagen/{record}/second-opinion", tag = "pages", params(("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = TextForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(REPORTS, Advance, "own_file")])))))]
async fn second_opinion(
    State(state): State<AppState>,
    signed: Signed,
    Path(record): Path<String>,
    Form(form): Form<TextForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let report = own_record(&signed, &record)?;
    let access = signed.own_access();
    state.run(move |services| Ok(callqa(services)?.ask_second_opinion(&access, &report, &form.text)?)).await?;
    Ok(back(&format!("/kcc/mijn-gesprekken/verslagen/{record}")))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "ground": "incorrect", "explanation": "Het gesprek ging over iets anders."}))]
struct DeletionForm {
    csrf: String,
    /// incorrect, not_relevant or against_protocol (K11).
    ground: String,
    #[serde(default)]
    explanation: String,
}

/// I ask for a report of mine to be deleted, on one of K11's grounds.
#[utoipa::path(post, path = "/kcc/mijn-gesprekken/verslagen/{record}/verwijderen", tag = "pages", params(("record" = String, Path, description = "The report", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = DeletionForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(REPORTS, Advance, "own_file")])))))]
async fn request_deletion(
    State(state): State<AppState>,
    signed: Signed,
    Path(record): Path<String>,
    Form(form): Form<DeletionForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let report = own_record(&signed, &record)?;
    let ground: DeletionGround = form.ground.parse()?;
    let access = signed.own_access();
    state.run(move |services| Ok(callqa(services)?.request_deletion(&access, &report, ground, &form.explanation)?)).await?;
    Ok(back(&format!("/kcc/mijn-gesprekken/verslagen/{record}")))
}

/// Plays a call of my own (K11).
#[utoipa::path(get, path = "/kcc/mijn-gesprekken/gesprekken/{record}/opname", tag = "pages",
    params(("record" = String, Path, description = "The call", example = "0123456789abcdef0123456789abcdef"), ("Range" = Option<String>, Header, description = "One byte range")),
    responses((status = 200, content_type = "audio/wav"), (status = 206, content_type = "audio/wav"), (status = 403), (status = 416)),
    extensions(("x-register" = json!(own_calls_page(&[kcc(CALLS, Read, "own_file")])))))]
async fn play_own(State(state): State<AppState>, signed: Signed, Path(record): Path<String>, headers: HeaderMap) -> Result<Response, ServerError> {
    let call = own_record(&signed, &record)?;
    let access = signed.own_access();
    let recording = state.run(move |services| Ok(callqa(services)?.listen_own(&access, &call)?)).await?;
    Ok(audio(recording, &headers))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "use": "training"}))]
struct UseForm {
    csrf: String,
    /// training or calibration (K8).
    #[serde(rename = "use")]
    use_: String,
}

/// I consent to a call of mine being used in a training or calibration (K8).
#[utoipa::path(post, path = "/kcc/mijn-gesprekken/gesprekken/{record}/toestemming", tag = "pages", params(("record" = String, Path, description = "The call", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = UseForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(TRAINING, File, "reached"), kcc(CALLS, Read, "own_file"), kcc(TRAINING, File, "own_file")])))))]
async fn consent(State(state): State<AppState>, signed: Signed, Path(record): Path<String>, Form(form): Form<UseForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let call = own_record(&signed, &record)?;
    let use_: Use = form.use_.parse()?;
    let access = signed.own_access();
    state.run(move |services| Ok(callqa(services)?.consent(&access, &call, use_)?)).await?;
    Ok(back("/kcc/mijn-gesprekken#toestemmingen"))
}

/// I withdraw a consent; the copy used goes with it at once (K8).
#[utoipa::path(post, path = "/kcc/mijn-gesprekken/toestemmingen/{record}/intrekken", tag = "pages", params(("record" = String, Path, description = "The consent", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = UseForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(TRAINING, Erase, "own_file")])))))]
async fn withdraw(State(state): State<AppState>, signed: Signed, Path(record): Path<String>, Form(form): Form<UseForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let consent = own_record(&signed, &record)?;
    let use_: Use = form.use_.parse()?;
    let access = signed.own_access();
    state.run(move |services| Ok(callqa(services)?.withdraw_consent(&access, &consent, use_)?)).await?;
    Ok(back("/kcc/mijn-gesprekken#toestemmingen"))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "description": "De beller dreigde langs te komen."}))]
struct ThreatForm {
    csrf: String,
    description: String,
}

/// I report a threat on a call of mine: a copy is kept for my manager and me, and the call leaves monitoring (K9).
#[utoipa::path(post, path = "/kcc/mijn-gesprekken/gesprekken/{record}/bedreiging", tag = "pages", params(("record" = String, Path, description = "The call", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = ThreatForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(own_calls_page(&[kcc(THREAT, File, "reached"), kcc(CALLS, Read, "own_file"), kcc(THREAT, File, "own_file"), kcc(CALLS, Advance, "own_file")])))))]
async fn report_threat(
    State(state): State<AppState>,
    signed: Signed,
    Path(record): Path<String>,
    Form(form): Form<ThreatForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let call = own_record(&signed, &record)?;
    let access = signed.own_access();
    state.run(move |services| Ok(callqa(services)?.report_threat(&access, &call, &form.description)?)).await?;
    Ok(back("/kcc/mijn-gesprekken#bedreigingen"))
}

// --- the manager -------------------------------------------------------------

/// The manager's team: everyone whose participation their grant reaches.
#[utoipa::path(get, path = "/kcc/team", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(listed(PROTOCOL)))))]
async fn team(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let access = signed.access();
    let people = state.run(move |services| Ok(callqa(services)?.participants(&access)?)).await?;
    Ok(page(
        "Mijn team",
        &signed,
        html! {
            p { "Als leidinggevende hoor je gesprekken alleen bij een bedreiging die de medewerker meldt (K9), of bij zwaarwegende redenen na twee besluiten (K10). Verslagen van coaching zijn niet voor jou." }
            @if people.is_empty() { p { "Er staat (nog) niemand in je team. HR legt vast wie je leidt." } }
            ul { @for p in &people { li { a href={ "/kcc/team/" (p.record.subject) } { (p.name) } " — " (p.function) } } }
        },
    ))
}

/// One team member: threat recordings with their measures, and the way to weighty reasons.
#[utoipa::path(get, path = "/kcc/team/{employee}", tag = "pages", params(("employee" = String, Path, description = "The employee's file")),
    responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(PROTOCOL, Read, "object"), kcc(THREAT, Read, "object")])))))]
async fn team_member(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, ServerError> {
    let employee = file_of(&id)?;
    let access = signed.access();
    let (name, threats) = state
        .run(move |services| {
            let qa = callqa(services)?;
            let name = qa.participations_of(&access, &employee)?.into_iter().next().map_or_else(|| "Medewerker".to_string(), |p| p.name);
            Ok((name, qa.threats_of(&access, &employee)?))
        })
        .await?;
    let base = format!("/kcc/team/{id}");
    Ok(page(
        &name,
        &signed,
        html! {
            section id="bedreigingen" aria-labelledby="bedreigingen-titel" {
                h2 id="bedreigingen-titel" { "Gemelde bedreigingen" }
                p { "De medewerker koos deze gesprekken zelf. Luister ze samen terug en leg vast welke maatregelen jullie nemen (K9)." }
                @if threats.is_empty() { p { "Geen gemelde bedreigingen." } }
                @for t in &threats {
                    @let at = format!("{base}/bedreigingen/{}", t.record.record);
                    article.threat {
                        h3 { (t.call.label()) }
                        p { (t.description) }
                        p { (player(&format!("{at}/opname"), &t.call.label())) }
                        @if !t.measures.is_empty() { ul { @for (m, note, by) in &t.measures { li { (m.label_nl()) @if !note.is_empty() { ": " (note) } " (" (by) ")" } } } }
                        form method="post" action={ (at) "/maatregel" } {
                            (csrf_field(&signed))
                            label for={ "maatregel-" (t.record.record) } { "Maatregel" }
                            select id={ "maatregel-" (t.record.record) } name="measure" { @for m in Measure::ALL { option value=(m.name()) { (m.label_nl()) } } }
                            label for={ "notitie-" (t.record.record) } { "Toelichting" }
                            input id={ "notitie-" (t.record.record) } name="note";
                            button type="submit" { "Maatregel vastleggen" }
                        }
                        form method="post" action={ (at) "/bewaren" } {
                            (csrf_field(&signed))
                            label for={ "reden-" (t.record.record) } { "Langer bewaren dan zes maanden, omdat (nieuw incident of maatregel)" }
                            input id={ "reden-" (t.record.record) } name="reason" required;
                            label for={ "tot-" (t.record.record) } { "Opnieuw beoordelen op" }
                            input id={ "tot-" (t.record.record) } name="review" type="date" required;
                            button type="submit" { "Bewaren" }
                        }
                        form method="post" action={ (at) "/afronden" } {
                            (csrf_field(&signed))
                            label for={ "uitkomst-" (t.record.record) } { "Afgehandeld: de uitkomst" }
                            input id={ "uitkomst-" (t.record.record) } name="text" required;
                            button type="submit" { "Bewaren beëindigen" }
                        }
                    }
                }
            }
            p { a href={ (base) "/zwaarwegend" } { "Zwaarwegende redenen (K10)" } }
        },
    ))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "measure": "talk", "note": "Gesprek met de beller op 2 december."}))]
struct MeasureForm {
    csrf: String,
    /// talk, contact_denied or police_report (K9).
    measure: String,
    #[serde(default)]
    note: String,
}

/// Records a measure taken after a threat.
#[utoipa::path(post, path = "/kcc/team/{employee}/bedreigingen/{record}/maatregel", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The threat recording", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = MeasureForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(THREAT, Advance, "object")])))))]
async fn measure(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(form): Form<MeasureForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let threat = record_in(&file_of(&id)?, &record)?;
    let measure: Measure = form.measure.parse()?;
    let access = signed.access();
    state.run(move |services| Ok(callqa(services)?.record_measure(&access, &threat, measure, &form.note)?)).await?;
    Ok(back(&format!("/kcc/team/{id}#bedreigingen")))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "reason": "Nieuw incident met dezelfde beller.", "review": "2099-06-01"}))]
struct HoldForm {
    csrf: String,
    reason: String,
    /// The date to review the hold by.
    review: String,
}

/// Keeps a threat recording past six months while a new incident or a measure needs it.
#[utoipa::path(post, path = "/kcc/team/{employee}/bedreigingen/{record}/bewaren", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The threat recording", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = HoldForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(THREAT, Write, "object")])))))]
async fn hold(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(form): Form<HoldForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let threat = record_in(&file_of(&id)?, &record)?;
    let review = day_start(date_field("the review date", "De datum om opnieuw te beoordelen", &form.review)?);
    let access = signed.access();
    state.run(move |services| Ok(callqa(services)?.hold_threat(&access, &threat, &form.reason, review)?)).await?;
    Ok(back(&format!("/kcc/team/{id}#bedreigingen")))
}

/// The incident is settled: the hold on the threat recording ends.
#[utoipa::path(post, path = "/kcc/team/{employee}/bedreigingen/{record}/afronden", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The threat recording", example = "0123456789abcdef0123456789abcdef")),
    request_body(content = TextForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 404, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(THREAT, Write, "object")])))))]
async fn settle(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    Form(form): Form<TextForm>,
) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let threat = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    state.run(move |services| Ok(callqa(services)?.settle_threat(&access, &threat, &form.text)?)).await?;
    Ok(back(&format!("/kcc/team/{id}#bedreigingen")))
}

/// Plays a threat recording (the employee's manager, with them).
#[utoipa::path(get, path = "/kcc/team/{employee}/bedreigingen/{record}/opname", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The threat recording", example = "0123456789abcdef0123456789abcdef"), ("Range" = Option<String>, Header, description = "One byte range")),
    responses((status = 200, content_type = "audio/wav"), (status = 206, content_type = "audio/wav"), (status = 403), (status = 416)),
    extensions(("x-register" = json!(employee(&[kcc(THREAT, Read, "object")])))))]
async fn play_threat(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let threat = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    let recording = state.run(move |services| Ok(callqa(services)?.listen_threat(&access, &threat)?)).await?;
    Ok(audio(recording, &headers))
}

/// The employees with a decision about weighty reasons: where a department manager finds what awaits them.
#[utoipa::path(get, path = "/kcc/zwaarwegend", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(listed(WEIGHTY)))))]
async fn weighty_list(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let access = signed.access();
    let employees = state.run(move |services| Ok(callqa(services)?.investigations(&access)?)).await?;
    Ok(page(
        "Zwaarwegende redenen",
        &signed,
        html! {
            p { "Opgenomen gesprekken worden alleen bij duidelijke aanwijzingen voor ernstig verwijtbaar gedrag ingezet, en pas na een besluit van de direct leidinggevende én de afdelingsmanager (K10)." }
            @if employees.is_empty() { p { "Er zijn geen besluiten over medewerkers in je afdeling." } }
            ul { @for (e, name) in &employees { li { a href={ "/kcc/team/" (e) "/zwaarwegend" } { @if name.is_empty() { "Medewerker " (e) } @else { (name) } } } } }
        },
    ))
}

/// Weighty reasons for one employee: the decisions, the form to record one,
/// and — only once both decisions exist — the calls to hear.
#[utoipa::path(get, path = "/kcc/team/{employee}/zwaarwegend", tag = "pages", params(("employee" = String, Path, description = "The employee's file")),
    responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(WEIGHTY, Read, "object")])))))]
async fn weighty(State(state): State<AppState>, signed: Signed, Path(id): Path<String>) -> Result<Response, ServerError> {
    let employee = file_of(&id)?;
    let access = signed.access();
    let (decisions, calls) = state
        .run(move |services| {
            let qa = callqa(services)?;
            let decisions = qa.weighty_decisions(&access, &employee)?;
            // Before both decisions the protocol's refusal, in Dutch, is what the page shows.
            let calls = match qa.investigated_calls(&access, &employee) {
                Ok(calls) => Ok(calls),
                Err(e @ CallQaError::NotDecided(_)) => Err(e.explain_nl(services.kernel.register())),
                Err(e) => return Err(e.into()),
            };
            Ok((decisions, calls))
        })
        .await?;
    let base = format!("/kcc/team/{id}/zwaarwegend");
    let today = dutch::amsterdam_date(signed.visitor.now);
    Ok(page(
        "Zwaarwegende redenen",
        &signed,
        html! {
            h2 { "Besluiten" }
            @if decisions.is_empty() { p { "Nog geen besluit." } }
            ul { @for d in &decisions { li {
                (match d.decider { grondslag_callqa::threat::Decider::DirectManager => "Direct leidinggevende", grondslag_callqa::threat::Decider::DepartmentManager => "Afdelingsmanager" })
                " (" (d.by) "): " (d.indication.label_nl()) " — " (d.grounds) "; gesprekken van " (dutch::moment(d.from)) " tot " (dutch::moment(d.until))
            } } }
            form method="post" action=(base) {
                (csrf_field(&signed))
                label for="indication" { "Aanwijzing voor" }
                select id="indication" name="indication" { @for i in Indication::ALL { option value=(i.name()) { (i.label_nl()) } } }
                label for="grounds" { "De duidelijke aanwijzingen waarop het besluit berust" }
                textarea id="grounds" name="grounds" required rows="3" {}
                label for="from" { "Gesprekken vanaf" }
                input id="from" name="from" type="date" required;
                label for="until" { "tot en met" }
                input id="until" name="until" type="date" required value=(today);
                button type="submit" { "Besluit vastleggen" }
            }
            h2 { "Gesprekken" }
            @match &calls {
                Err(reason) => { div.refusal data-code="not_decided" { p { "Nog niet te beluisteren." } p.detail { (reason) } } }
                Ok(calls) if calls.is_empty() => { p { "Er zijn geen gesprekken uit de periode van de besluiten." } }
                Ok(calls) => { ul.investigated { @for (record, call) in calls { li {
                    (call.label()) " " (player(&format!("{base}/{}/opname", record.record), &call.label()))
                } } } }
            }
        },
    ))
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "indication": "fraud", "grounds": "Meldingen van klanten over betalingen naar een privérekening.", "from": "2026-11-01", "until": "2026-11-30"}))]
struct WeightyForm {
    csrf: String,
    /// fraud, work_refusal, conflict_of_interest or integrity_breach (K10).
    indication: String,
    grounds: String,
    /// The first day whose calls are heard.
    from: String,
    /// The last day whose calls are heard.
    until: String,
}

/// Records the manager's decision to listen for weighty reasons (K10).
#[utoipa::path(post, path = "/kcc/team/{employee}/zwaarwegend", tag = "pages", params(("employee" = String, Path, description = "The employee's file")),
    request_body(content = WeightyForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 403, content_type = "text/html"), (status = 409, content_type = "text/html"), (status = 422, content_type = "text/html")),
    extensions(("x-register" = json!(employee(&[kcc(WEIGHTY, File, "reached"), kcc(WEIGHTY, Read, "object"), kcc(WEIGHTY, File, "object")])))))]
async fn decide_weighty(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Form(form): Form<WeightyForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let employee = file_of(&id)?;
    let indication: Indication = form.indication.parse()?;
    let from = day_start(date_field("the first day", "De eerste dag", &form.from)?);
    let until =
        day_start(date_field("the last day", "De laatste dag", &form.until)?.tomorrow().map_err(|e| {
            ServerError::Invalid(Reason::new(format!("the last day: {e}"), "De laatste dag ligt te ver in de toekomst; kies een eerdere dag."))
        })?);
    let access = signed.access();
    state.run(move |services| Ok(callqa(services)?.decide_weighty(&access, &employee, indication, &form.grounds, from, until)?)).await?;
    Ok(back(&format!("/kcc/team/{id}/zwaarwegend")))
}

/// Plays a call copied into an investigation for weighty reasons.
#[utoipa::path(get, path = "/kcc/team/{employee}/zwaarwegend/{record}/opname", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("record" = String, Path, description = "The copied call", example = "0123456789abcdef0123456789abcdef"), ("Range" = Option<String>, Header, description = "One byte range")),
    responses((status = 200, content_type = "audio/wav"), (status = 206, content_type = "audio/wav"), (status = 403), (status = 404), (status = 416)),
    extensions(("x-register" = json!(employee(&[kcc(WEIGHTY, Read, "object")])))))]
async fn play_investigated(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, record)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let copy = record_in(&file_of(&id)?, &record)?;
    let access = signed.access();
    let recording = state.run(move |services| Ok(callqa(services)?.listen_investigated(&access, &copy)?)).await?;
    Ok(audio(recording, &headers))
}

/// Plays a copy used in a training (`training`) or a calibration session (`calibration`), which the employee consented to (K8).
#[utoipa::path(get, path = "/kcc/opleiding/{employee}/{use}/{record}/opname", tag = "pages",
    params(("employee" = String, Path, description = "The employee's file"), ("use" = String, Path, description = "training or calibration", example = "training"),
        ("record" = String, Path, description = "The copy used", example = "0123456789abcdef0123456789abcdef"), ("Range" = Option<String>, Header, description = "One byte range")),
    responses((status = 200, content_type = "audio/wav"), (status = 206, content_type = "audio/wav"), (status = 403), (status = 404), (status = 416)),
    extensions(("x-register" = json!(employee(&[kcc(TRAINING, Read, "object")])))))]
async fn play_used(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, use_, record)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let copy = record_in(&file_of(&id)?, &record)?;
    let use_: Use = use_.parse()?;
    let access = signed.access();
    let recording = state.run(move |services| Ok(callqa(services)?.listen_used(&access, &copy, use_)?)).await?;
    Ok(audio(recording, &headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    // req: K11
    #[test]
    fn a_range_is_served_as_asked_or_refused_past_the_end_and_anything_else_is_served_whole() {
        assert_eq!(wanted(None, 100), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-9"), 100), Wanted::Part { first: 0, last: 9 });
        assert_eq!(wanted(Some("bytes=90-"), 100), Wanted::Part { first: 90, last: 99 });
        assert_eq!(wanted(Some("bytes=90-500"), 100), Wanted::Part { first: 90, last: 99 });
        assert_eq!(wanted(Some("bytes=-10"), 100), Wanted::Part { first: 90, last: 99 });
        assert_eq!(wanted(Some("bytes=-500"), 100), Wanted::Part { first: 0, last: 99 });
        assert_eq!(wanted(Some("bytes=100-"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 100), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=5-2"), 100), Wanted::Whole, "malformed: ignored");
        assert_eq!(wanted(Some("bytes=0-1,5-6"), 100), Wanted::Whole, "several ranges: served whole");
        assert_eq!(wanted(Some("items=0-1"), 100), Wanted::Whole, "another unit: ignored");
    }
}
