//! The web pages: Dutch, server-rendered, no script. Semantic HTML with
//! a label for every field, a skip link, visible focus, and colours that
//! meet WCAG 2.1 AA contrast (the darkest blue on white is 9.6:1). Every
//! form that changes something carries the session's CSRF token.
//!
//! Each page calls the same operation as its JSON endpoint in `api` and
//! renders the result; nothing is decided here.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64_style::style_hash;
use grondslag_accounts::Stage;
use grondslag_claims::Scheme;
use grondslag_register::{Role, Statement};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::{self, Answer, CaseFilter};
use crate::visitor::{Signed, Visitor};
use crate::{AppState, ServerError};

const STYLE: &str = include_str!("stijl.css");

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(home))
        .routes(routes!(stylesheet))
        .routes(routes!(privacy_txt))
        .routes(routes!(statement))
        .routes(routes!(contact_form, contact_submit))
        .routes(routes!(newsletter_form, newsletter_subscribe))
        .routes(routes!(unsubscribe_form, unsubscribe))
        .routes(routes!(unsafe_form, unsafe_report))
        .routes(routes!(sign_in_form, sign_in))
        .routes(routes!(code_form, code))
        .routes(routes!(password_form, password))
        .routes(routes!(sign_out))
        .routes(routes!(portal))
        .routes(routes!(portal_request))
        .routes(routes!(portal_case))
        .routes(routes!(back_office))
        .routes(routes!(case_list))
        .routes(routes!(case_page))
        .routes(routes!(case_step))
        .routes(routes!(case_disclose))
        .routes(routes!(case_legal_request))
        .routes(routes!(pending_page, pending_settle))
        .routes(routes!(rights_queue))
        .routes(routes!(rights_answer))
        .routes(routes!(retention_page))
        .routes(routes!(audit_page))
}

// --- layout -------------------------------------------------------------------

fn layout(title: &str, signed: Option<&Signed>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="nl" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Instituut Mijnbouwschade Groningen" }
                link rel="stylesheet" href="/stijl.css";
            }
            body {
                a.skip href="#inhoud" { "Naar de inhoud" }
                header {
                    nav aria-label="Hoofdmenu" {
                        ul {
                            li { a href="/" { "IMG" } }
                            li { a href="/privacyverklaring" { "Privacyverklaring" } }
                            li { a href="/contact" { "Contact" } }
                            li { a href="/nieuwsbrief" { "Nieuwsbrief" } }
                            @match signed {
                                Some(s) if s.role.acts_for_a_person() => { li { a href="/mijn-gegevens" { "Mijn gegevens" } } }
                                Some(_) => { li { a href="/beheer" { "Backoffice" } } }
                                None => { li { a href="/inloggen" { "Inloggen" } } }
                            }
                        }
                    }
                    @if let Some(s) = signed {
                        form.signout method="post" action="/uitloggen" {
                            input type="hidden" name="csrf" value=(s.session.csrf);
                            span { "Ingelogd als " strong { (s.session.username) } " (" (s.role.label_nl()) ") " }
                            button type="submit" { "Uitloggen" }
                        }
                    }
                }
                main id="inhoud" {
                    h1 { (title) }
                    (body)
                }
                footer { p { "Instituut Mijnbouwschade Groningen · " a href="/privacyverklaring" { "Privacyverklaring" } " · " a href="/.well-known/privacy.txt" { "privacy.txt" } } }
            }
        }
    }
}

/// Category names as the statement says them, e.g. "straat en huisnummer".
fn labels(names: &[&str]) -> String {
    names.iter().filter_map(|c| grondslag_register::Category::from_name(c)).map(|c| c.label_nl()).collect::<Vec<_>>().join(", ")
}

/// The outcome of a form, said where a screen reader announces it.
fn notice(message: Option<(&str, bool)>) -> Markup {
    html! { @if let Some((text, ok)) = message { p class=(if ok { "ok" } else { "error" }) role="status" { (text) } } }
}

fn csrf_field(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.session.csrf); }
}

pub(crate) fn error_page(status: StatusCode, code: &str, message: &str, signed: Option<&Signed>) -> Markup {
    let (title, explanation) = match code {
        "relation_missing" => ("Geen toegang", "Je kunt alleen je eigen gegevens inzien, die van wie jou heeft gemachtigd, of de dossiers die aan jou zijn toegewezen."),
        "record_held" => ("Wordt bewaard", "Deze gegevens worden bewaard zolang een onderzoek of procedure loopt; ze kunnen nu niet worden verwijderd."),
        _ if status == StatusCode::FORBIDDEN && code != "csrf" => ("Geen toegang", "Je hebt geen toegang tot deze pagina in de rol waarin je bent ingelogd. Is dat onterecht? Vraag je leidinggevende of de beheerder om de juiste rol."),
        "not_found" => ("Niet gevonden", "Deze pagina of dit dossier bestaat niet, of is niet van jou."),
        "csrf" => ("Formulier verlopen", "Het formulier kwam niet van deze site of is verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens."),
        "locked" => ("Tijdelijk geblokkeerd", "Er is te vaak een verkeerd wachtwoord of een verkeerde code gebruikt."),
        "sign_in_failed" => ("Inloggen mislukt", "De gebruikersnaam, het wachtwoord of de code klopt niet."),
        _ if status.is_server_error() => ("Er ging iets mis", ""),
        _ => ("Dat lukte niet", ""),
    };
    layout(title, signed, html! {
        // A known refusal is explained in Dutch; anything else shows the
        // module's own message, which says what to change.
        @if explanation.is_empty() { p.detail { (message) } } @else { p { (explanation) } }
        // A refusal also gives the register's reason, which names nobody.
        @if !explanation.is_empty() && (status == StatusCode::FORBIDDEN || status == StatusCode::CONFLICT) && code != "csrf" { p.detail { (message) } }
        p { a href="/" { "Naar de startpagina" } }
    })
}

pub(crate) fn session_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.secure() { "; Secure" } else { "" };
    format!("{}={token}; Path=/; HttpOnly; SameSite=Strict{secure}", state.session_cookie())
}

pub(crate) fn clear_cookie(state: &AppState) -> String {
    let secure = if state.secure() { "; Secure" } else { "" };
    format!("{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}", state.session_cookie())
}

fn with_cookie(cookie: String, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn right_label(kind: &str) -> &'static str {
    match kind {
        "access" => "Inzage in mijn gegevens",
        "explanation" => "Uitleg over wat jullie met mijn gegevens doen",
        "rectification" => "Correctie van mijn gegevens",
        "erasure" => "Verwijdering van mijn gegevens",
        "restriction" => "Beperking van het gebruik",
        "portability" => "Overdracht van mijn gegevens",
        "objection" => "Bezwaar tegen het gebruik",
        "withdraw_consent" => "Toestemming intrekken",
        "opt_out_of_approach" => "Niet meer benaderd worden",
        _ => "Verzoek",
    }
}

/// A date as people read it: 29 november 2026.
fn date_nl(text: &str) -> String {
    const MONTHS: [&str; 12] = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"];
    match text.parse::<jiff::civil::Date>() {
        Ok(d) => format!("{} {} {}", d.day(), MONTHS[usize::try_from(d.month() - 1).unwrap_or(0)], d.year()),
        Err(_) => text.to_string(),
    }
}

/// A moment as people in the Netherlands read it.
fn moment_nl(at: jiff::Timestamp) -> String {
    let zoned = at.to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").unwrap_or(jiff::tz::TimeZone::UTC));
    format!("{} {}", date_nl(&zoned.date().to_string()), zoned.strftime("%H:%M"))
}

// --- public -------------------------------------------------------------------

/// The start page.
#[utoipa::path(get, path = "/", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn home(visitor: Visitor) -> Markup {
    let signed = Signed::optional(Signed::from_visitor(visitor));
    layout("Welkom", signed.as_ref(), html! {
        p { "Het Instituut Mijnbouwschade Groningen (IMG) handelt schade door de gaswinning af. Hier regel je je aanvraag, zie je welke gegevens wij van je gebruiken en waarom, en gebruik je je privacyrechten." }
        ul.tiles {
            li { a href="/mijn-gegevens" { "Mijn gegevens" } " — je aanvragen, je gegevens en wie ze heeft bekeken" }
            li { a href="/privacyverklaring" { "Privacyverklaring" } " — welke gegevens wij waarvoor gebruiken" }
            li { a href="/contact" { "Contactformulier" } " — een vraag, klacht of melding" }
            li { a href="/nieuwsbrief" { "Nieuwsbrief" } " — aanmelden en afmelden" }
            li { a href="/acuut-onveilig" { "Acuut onveilige situatie melden" } " — wij reageren binnen 48 uur" }
        }
    })
}

/// The stylesheet (our own, so the Content-Security-Policy needs no exception).
#[utoipa::path(get, path = "/stijl.css", tag = "pages", responses((status = 200, content_type = "text/css")))]
async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLE).into_response()
}

/// Whom to ask about privacy (E23), in the manner of security.txt.
#[utoipa::path(get, path = "/.well-known/privacy.txt", tag = "pages", responses((status = 200, content_type = "text/plain")))]
async fn privacy_txt(State(state): State<AppState>) -> Response {
    let register = state.kernel().register();
    let c = &register.contact;
    let text = format!(
        "# Privacy contact of {controller}\nContact: mailto:{email}\nContact: tel:{phone}\nDPO: mailto:{dpo}\nAddress: {visit}\nPost: {post}\nPolicy: /privacyverklaring\nRegister: /processing_activities/{{id}}\nPreferred-Languages: nl, en\n",
        controller = register.meta.controller,
        email = c.email,
        phone = c.phone.replace(' ', ""),
        dpo = c.dpo_email,
        visit = c.visit,
        post = c.post,
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

#[derive(Deserialize, utoipa::IntoParams)]
struct WhichStatement {
    /// `public` (default), `staff` or `kcc`.
    verklaring: Option<String>,
}

/// The privacy statement, rendered from the register in force.
#[utoipa::path(get, path = "/privacyverklaring", tag = "pages", params(WhichStatement), responses((status = 200, content_type = "text/html")))]
async fn statement(State(state): State<AppState>, Query(which): Query<WhichStatement>) -> Result<Response, ServerError> {
    let name = which.verklaring.as_deref().unwrap_or("public");
    let statement = Statement::from_name(name).ok_or_else(|| ServerError::NotFound(format!("no statement `{name}`; use public, staff or kcc")))?;
    let document = grondslag_register::render::render(state.kernel().register(), statement, grondslag_register::render::Format::Html);
    // The statement is a document of its own, with its own inline style:
    // allowed by its hash, not by allowing inline style everywhere.
    let csp = format!("default-src 'none'; style-src {}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'", style_hash(&document));
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], document).into_response();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(response)
}

mod base64_style {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    /// The CSP source for the first inline `<style>` of `document`.
    pub fn style_hash(document: &str) -> String {
        let style = document.split_once("<style>").and_then(|(_, rest)| rest.split_once("</style>")).map_or("", |(style, _)| style);
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(style.as_bytes())))
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ContactMessage {
    kind: String,
    name: String,
    email: String,
    phone: String,
    text: String,
    consent: Option<String>,
}

fn contact_markup(error: Option<&str>, done: bool) -> Markup {
    layout("Contactformulier", None, html! {
        @if done {
            p.ok role="status" { "Bedankt. Wij hebben je bericht ontvangen en nemen contact met je op." }
        }
        @if let Some(error) = error { p.error role="alert" { (error) } }
        p { "Wij gebruiken wat je hier invult alleen om je bericht te beantwoorden. Zie de " a href="/privacyverklaring#sectie-11" { "privacyverklaring" } "." }
        form method="post" action="/contact" {
            label for="kind" { "Soort bericht" }
            select id="kind" name="kind" {
                option value="question" { "Vraag" }
                option value="complaint" { "Klacht" }
                option value="tip" { "Tip" }
                option value="compliment" { "Compliment" }
            }
            label for="name" { "Naam" }
            input id="name" name="name" autocomplete="name" required;
            label for="email" { "E-mailadres" }
            input id="email" name="email" type="email" autocomplete="email" required;
            label for="phone" { "Telefoonnummer" }
            input id="phone" name="phone" type="tel" autocomplete="tel" required;
            label for="text" { "Je bericht" }
            textarea id="text" name="text" rows="6" required {}
            p.check { input id="consent" name="consent" type="checkbox" value="ja" required; label for="consent" { "Ik geef toestemming om mijn gegevens te gebruiken voor het beantwoorden van dit bericht." } }
            button type="submit" { "Versturen" }
        }
    })
}

/// The contact form (E11).
#[utoipa::path(get, path = "/contact", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn contact_form() -> Markup {
    contact_markup(None, false)
}

/// Sends a message through the contact form; nothing is stored without consent.
#[utoipa::path(post, path = "/contact", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn contact_submit(State(state): State<AppState>, visitor: Visitor, Form(form): Form<ContactMessage>) -> Result<Markup, ServerError> {
    use grondslag_channels::contact::{ContactForm, Kind, Message};
    use grondslag_register::Category;
    let result = state
        .run(move |services| {
            let access = visitor.website();
            let kind = Kind::from_name(&form.kind).unwrap_or(Kind::Question);
            let message = Message {
                kind,
                fields: vec![(Category::Name, form.name), (Category::Email, form.email), (Category::Phone, form.phone), (Category::FreeText, form.text)],
                consent: form.consent.is_some(),
            };
            Ok(ContactForm::new(services.kernel).and_then(|c| c.submit(&access, &message)).map(|_| ()))
        })
        .await?;
    Ok(match result {
        Ok(()) => contact_markup(None, true),
        Err(e) => contact_markup(Some(&e.to_string()), false),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Subscribe {
    name: String,
    email: String,
    consent: Option<String>,
}

fn newsletter_markup(message: Option<(&str, bool)>) -> Markup {
    layout("Nieuwsbrief", None, html! {
        (notice(message))
        p { "Ontvang de nieuwsbrief per e-mail. Afmelden kan altijd via de link onder elke nieuwsbrief; dan verwijderen wij je gegevens." }
        form method="post" action="/nieuwsbrief" {
            label for="name" { "Naam" }
            input id="name" name="name" autocomplete="name" required;
            label for="email" { "E-mailadres" }
            input id="email" name="email" type="email" autocomplete="email" required;
            p.check { input id="consent" name="consent" type="checkbox" value="ja" required; label for="consent" { "Ik wil de nieuwsbrief ontvangen en geef toestemming voor het gebruik van mijn naam en e-mailadres daarvoor." } }
            button type="submit" { "Aanmelden" }
        }
    })
}

/// Newsletter subscription (E14).
#[utoipa::path(get, path = "/nieuwsbrief", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn newsletter_form() -> Markup {
    newsletter_markup(None)
}

/// Subscribes to the newsletter, on consent.
#[utoipa::path(post, path = "/nieuwsbrief", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn newsletter_subscribe(State(state): State<AppState>, visitor: Visitor, Form(form): Form<Subscribe>) -> Result<Markup, ServerError> {
    use grondslag_channels::newsletter::{Newsletter, Subscription};
    let result = state
        .run(move |services| {
            let access = visitor.website();
            let subscription = Subscription::Email { name: form.name, email: form.email };
            Ok(Newsletter::new(services.kernel).and_then(|n| n.subscribe(&access, &subscription, form.consent.is_some())).map(|_| ()))
        })
        .await?;
    Ok(match result {
        Ok(()) => newsletter_markup(Some(("Je bent aangemeld voor de nieuwsbrief.", true))),
        Err(e) => newsletter_markup(Some((&e.to_string(), false))),
    })
}

#[derive(Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
struct UnsubscribeToken {
    /// The personal token from the link under a newsletter.
    token: String,
}

fn unsubscribe_markup(token: &str, message: Option<(&str, bool)>) -> Markup {
    layout("Afmelden voor de nieuwsbrief", None, html! {
        (notice(message))
        @if message.is_none() {
            p { "Wil je de nieuwsbrief niet meer ontvangen? Na het afmelden verwijderen wij je naam en e-mailadres." }
            form method="post" action="/nieuwsbrief/afmelden" {
                input type="hidden" name="token" value=(token);
                button type="submit" { "Afmelden" }
            }
        }
    })
}

/// The page behind the link under each newsletter. Opening it changes
/// nothing (mail scanners open links); the button does.
#[utoipa::path(get, path = "/nieuwsbrief/afmelden", tag = "pages", params(UnsubscribeToken), responses((status = 200, content_type = "text/html")))]
async fn unsubscribe_form(Query(link): Query<UnsubscribeToken>) -> Markup {
    unsubscribe_markup(&link.token, None)
}

/// Unsubscribes: the subscription and its data are deleted.
#[utoipa::path(post, path = "/nieuwsbrief/afmelden", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn unsubscribe(State(state): State<AppState>, visitor: Visitor, Form(form): Form<UnsubscribeToken>) -> Result<Markup, ServerError> {
    use grondslag_channels::newsletter::Newsletter;
    let token = form.token.clone();
    let result = state.run(move |services| Ok(Newsletter::new(services.kernel).and_then(|n| n.unsubscribe(&visitor.website(), &form.token)))).await?;
    Ok(match result {
        Ok(()) => unsubscribe_markup(&token, Some(("Je bent afgemeld. Je naam en e-mailadres zijn verwijderd.", true))),
        Err(e) => unsubscribe_markup(&token, Some((&format!("Afmelden lukte niet: {e}"), false))),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
struct UnsafeReport {
    name: String,
    phone: String,
    email: String,
    address: String,
    postcode_city: String,
}

fn unsafe_markup(message: Option<(&str, bool)>) -> Markup {
    layout("Acuut onveilige situatie melden", None, html! {
        (notice(message))
        p { "Is je huis door de gaswinning acuut onveilig? Meld het hier. Wij nemen binnen 48 uur contact met je op en laten de situatie inspecteren. Is er direct gevaar? Bel 112." }
        form method="post" action="/acuut-onveilig" {
            label for="name" { "Naam" }
            input id="name" name="name" autocomplete="name" required;
            label for="phone" { "Telefoonnummer" }
            input id="phone" name="phone" type="tel" autocomplete="tel" required;
            label for="email" { "E-mailadres" }
            input id="email" name="email" type="email" autocomplete="email" required;
            label for="address" { "Straat en huisnummer van het gebouw" }
            input id="address" name="address" autocomplete="street-address" required;
            label for="postcode_city" { "Postcode en plaats" }
            input id="postcode_city" name="postcode_city" placeholder="9981 AB Uithuizen" required;
            button type="submit" { "Melden" }
        }
    })
}

/// The special form for an acutely unsafe situation (E8).
#[utoipa::path(get, path = "/acuut-onveilig", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn unsafe_form() -> Markup {
    unsafe_markup(None)
}

/// Files the report as a case; it is to be handled within 48 hours.
#[utoipa::path(post, path = "/acuut-onveilig", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn unsafe_report(State(state): State<AppState>, visitor: Visitor, Form(form): Form<UnsafeReport>) -> Result<Markup, ServerError> {
    use grondslag_claims::cases::Application;
    let result = state
        .run(move |services| {
            let application: Application = serde_json::from_value(serde_json::json!({
                "scheme": Scheme::AcutelyUnsafe.processing(),
                "applicant": { "name": form.name, "phone": form.phone, "email": form.email },
                "object": { "kind": "home", "address": form.address, "postcode_city": form.postcode_city },
            }))
            .map_err(|e| ServerError::Internal(e.to_string()))?;
            Ok(services.cases().file(&visitor.website(), &application).map(|filed| filed.number.to_string()))
        })
        .await?;
    Ok(match result {
        Ok(number) => unsafe_markup(Some((&format!("Je melding is ontvangen onder nummer {number}. Wij nemen binnen 48 uur contact met je op."), true))),
        Err(e) => unsafe_markup(Some((&format!("De melding is niet verstuurd: {e}"), false))),
    })
}

// --- signing in -----------------------------------------------------------------

#[derive(Deserialize, utoipa::IntoParams)]
struct Back {
    terug: Option<String>,
}

/// Only a local path is a place to go back to.
fn back_to(back: Option<&str>) -> String {
    back.filter(|b| b.starts_with('/') && !b.starts_with("//")).unwrap_or("/mijn-gegevens").to_string()
}

fn sign_in_markup(error: Option<&str>, back: &str) -> Markup {
    layout("Inloggen", None, html! {
        @if let Some(error) = error { p.error role="alert" { (error) } }
        form method="post" action="/inloggen" {
            input type="hidden" name="terug" value=(back);
            label for="username" { "Gebruikersnaam" }
            input id="username" name="username" autocomplete="username" required autofocus;
            label for="password" { "Wachtwoord" }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            button type="submit" { "Verder" }
        }
        p { "Na je wachtwoord vragen wij een code uit je authenticator-app." }
    })
}

/// Step one of signing in: user name and password.
#[utoipa::path(get, path = "/inloggen", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn sign_in_form(Query(back): Query<Back>) -> Markup {
    sign_in_markup(None, &back_to(back.terug.as_deref()))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Credentials {
    username: String,
    password: String,
    terug: Option<String>,
}

/// Checks the password; on success the code is asked next.
#[utoipa::path(post, path = "/inloggen", tag = "pages", responses((status = 303, description = "On to the code"), (status = 401, content_type = "text/html")))]
async fn sign_in(State(state): State<AppState>, visitor: Visitor, Form(form): Form<Credentials>) -> Result<Response, ServerError> {
    let back = back_to(form.terug.as_deref());
    let (now, origin) = (visitor.now, visitor.origin.clone());
    let started = state
        .run(move |services| {
            let account = match services.accounts.check_password(&form.username, &form.password, &origin, now) {
                Ok(account) => account,
                Err(e) => return Ok(Err(e)),
            };
            Ok(Ok(services.accounts.start_session(&account, Stage::SecondFactor, now)?))
        })
        .await?;
    match started {
        Ok((token, _)) => {
            let to = format!("/inloggen/code?{}", serde_urlencoded::to_string([("terug", back.as_str())]).unwrap_or_default());
            Ok(with_cookie(session_cookie(&state, &token), &to))
        }
        Err(e) => {
            let status = failure_status(&e);
            Ok((status, sign_in_markup(Some(&sign_in_message(&e)), &back)).into_response())
        }
    }
}

fn failure_status(e: &grondslag_accounts::AccountError) -> StatusCode {
    if matches!(e, grondslag_accounts::AccountError::Locked { .. }) { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::UNAUTHORIZED }
}

fn sign_in_message(e: &grondslag_accounts::AccountError) -> String {
    use grondslag_accounts::AccountError as A;
    match e {
        A::WrongCredentials => "De gebruikersnaam of het wachtwoord klopt niet.".to_string(),
        A::WrongCode => "De code klopt niet of is verlopen. Typ de code die je app nu toont, of een herstelcode.".to_string(),
        A::Locked { until } => format!("Te veel mislukte pogingen. Inloggen met deze naam kan weer vanaf {}.", moment_nl(*until)),
        A::Closed => "Dit account is gesloten. Neem contact op met het IMG.".to_string(),
        A::WeakPassword(e) => format!("Dit wachtwoord kan niet: {}", e.reason),
        other => other.to_string(),
    }
}

fn code_markup(error: Option<&str>, back: &str) -> Markup {
    layout("Code uit je app", None, html! {
        @if let Some(error) = error { p.error role="alert" { (error) } }
        form method="post" action="/inloggen/code" {
            input type="hidden" name="terug" value=(back);
            label for="code" { "Code (6 cijfers) of herstelcode" }
            input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus;
            button type="submit" { "Inloggen" }
        }
    })
}

/// Step two of signing in: the code from the authenticator app.
#[utoipa::path(get, path = "/inloggen/code", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn code_form(Query(back): Query<Back>) -> Markup {
    code_markup(None, &back_to(back.terug.as_deref()))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Code {
    code: String,
    terug: Option<String>,
}

/// Checks the code; the session is complete only after this step.
#[utoipa::path(post, path = "/inloggen/code", tag = "pages", responses((status = 303, description = "Signed in"), (status = 401, content_type = "text/html")))]
async fn code(State(state): State<AppState>, visitor: Visitor, Form(form): Form<Code>) -> Result<Response, ServerError> {
    let back = back_to(form.terug.as_deref());
    let Some((token, session)) = visitor.session.clone().filter(|(_, s)| s.stage == Stage::SecondFactor) else {
        return Ok(Redirect::to("/inloggen").into_response());
    };
    let (now, origin) = (visitor.now, visitor.origin.clone());
    let advanced = state
        .run(move |services| {
            let account = services.accounts.account_of(&session, &origin, now)?;
            if let Err(e) = services.accounts.check_second_factor(&account, &form.code, &origin, now) {
                return Ok(Err(e));
            }
            let stage = if account.must_change_password { Stage::ChangePassword } else { Stage::Complete };
            Ok(Ok(services.accounts.advance(&token, &session, stage, now)?))
        })
        .await?;
    match advanced {
        Ok((token, session)) => {
            let to = match session.stage {
                Stage::ChangePassword => "/wachtwoord".to_string(),
                _ if !session.role()?.acts_for_a_person() && back == "/mijn-gegevens" => "/beheer".to_string(),
                _ => back,
            };
            Ok(with_cookie(session_cookie(&state, &token), &to))
        }
        Err(e) => {
            let status = failure_status(&e);
            Ok((status, code_markup(Some(&sign_in_message(&e)), &back)).into_response())
        }
    }
}

fn password_markup(error: Option<&str>, csrf: &str) -> Markup {
    layout("Kies een nieuw wachtwoord", None, html! {
        @if let Some(error) = error { p.error role="alert" { (error) } }
        p { "Je bent ingelogd met een eenmalig wachtwoord. Kies een eigen wachtwoord van minstens 12 tekens; een paar losse woorden is een goed wachtwoord." }
        form method="post" action="/wachtwoord" {
            input type="hidden" name="csrf" value=(csrf);
            label for="password" { "Nieuw wachtwoord" }
            input id="password" name="password" type="password" autocomplete="new-password" minlength="12" required;
            button type="submit" { "Opslaan" }
        }
    })
}

/// A new password, required after signing in with a one-time password.
#[utoipa::path(get, path = "/wachtwoord", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn password_form(visitor: Visitor) -> Response {
    match visitor.session {
        Some((_, session)) if session.stage != Stage::SecondFactor => password_markup(None, &session.csrf).into_response(),
        _ => Redirect::to("/inloggen").into_response(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct NewPassword {
    password: String,
    csrf: String,
}

/// Sets the new password; every other session of the account ends.
#[utoipa::path(post, path = "/wachtwoord", tag = "pages", responses((status = 303), (status = 400, content_type = "text/html")))]
async fn password(State(state): State<AppState>, visitor: Visitor, Form(form): Form<NewPassword>) -> Result<Response, ServerError> {
    // The old session ends with the password change, as every session of the account does.
    let Some((_, session)) = visitor.session.clone().filter(|(_, s)| s.stage != Stage::SecondFactor) else {
        return Ok(Redirect::to("/inloggen").into_response());
    };
    if !session.csrf_matches(&form.csrf) {
        return Err(ServerError::Csrf);
    }
    let (now, origin) = (visitor.now, visitor.origin.clone());
    let csrf = session.csrf.clone();
    let changed = state
        .run(move |services| {
            let account = services.accounts.account_of(&session, &origin, now)?;
            if let Err(e) = services.accounts.change_password(&account, &form.password, &origin, now) {
                return Ok(Err(e));
            }
            Ok(Ok(services.accounts.start_session(&account, Stage::Complete, now)?))
        })
        .await?;
    match changed {
        Ok((token, _)) => Ok(with_cookie(session_cookie(&state, &token), "/")),
        Err(e) => Ok((StatusCode::BAD_REQUEST, password_markup(Some(&sign_in_message(&e)), &csrf)).into_response()),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CsrfOnly {
    csrf: String,
}

/// Signs out: the session ends on the server, the cookie is cleared.
#[utoipa::path(post, path = "/uitloggen", tag = "pages", responses((status = 303)))]
async fn sign_out(State(state): State<AppState>, visitor: Visitor, Form(form): Form<CsrfOnly>) -> Result<Response, ServerError> {
    if let Some((token, session)) = visitor.session {
        if !session.csrf_matches(&form.csrf) {
            return Err(ServerError::Csrf);
        }
        state.run(move |services| Ok(services.accounts.end_session(&token)?)).await?;
    }
    Ok(with_cookie(clear_cookie(&state), "/"))
}

// --- Mijn gegevens ------------------------------------------------------------------

/// Mijn gegevens: my applications, my data per processing with purpose,
/// basis, term and recipients, who looked at it, disclosures, automated
/// checks, consents and rights requests.
#[utoipa::path(get, path = "/mijn-gegevens", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 303, description = "Sign in first")))]
async fn portal(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let (report, requests) = state.run(move |services| Ok((api::my_report(services, &for_page)?, api::my_request_list(services, &for_page)?))).await?;
    let register = state.kernel().register();
    let cases: Vec<(String, String, String)> = report
        .processings
        .iter()
        .filter(|p| Scheme::from_processing(&p.id).is_some())
        .flat_map(|p| p.items.iter().filter_map(move |item| item.get("case_number").map(|n| (n.clone(), p.name.clone(), p.id.clone()))))
        .collect();
    let consents: Vec<&grondslag_rights::export::ProcessingPart> = report
        .processings
        .iter()
        .filter(|p| register.processing_id(&p.id).is_some_and(|id| register.processing(id).basis == grondslag_register::Basis::Consent))
        .collect();
    Ok(layout("Mijn gegevens", Some(&signed), html! {
        p { "Hier zie je wat het IMG van je heeft vastgelegd, waarom, op welke grond, hoe lang wij het bewaren en aan wie wij het hebben gegeven — en wie je gegevens heeft bekeken." }
        p { a.button href="/api/me/data" download { "Download al mijn gegevens (JSON)" } }

        section id="aanvragen" aria-labelledby="aanvragen-titel" {
            h2 id="aanvragen-titel" { "Mijn aanvragen" }
            @if cases.is_empty() { p { "Je hebt geen lopende aanvragen." } }
            @else {
                ul { @for (number, scheme, _) in &cases { li { a href={ "/mijn-gegevens/zaken/" (number) } { (number) } " — " (scheme) } } }
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
                        td { (date_nl(&r.received)) }
                        td { (date_nl(&r.due)) }
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
                            dd { ul { @for d in &p.disclosed_to { li { (d.recipient) " (" (d.categories) ") op " (moment_nl(d.at)) } } } }
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
            h2 id="inzage-titel" { "Wie heeft mijn gegevens bekeken?" }
            table {
                caption { "Elke keer dat je gegevens werden ingezien, vastgelegd, gedeeld of verwijderd" }
                thead { tr { th scope="col" { "Wanneer" } th scope="col" { "Wie" } th scope="col" { "Rol" } th scope="col" { "Waarvoor" } th scope="col" { "Wat" } } }
                tbody { @for a in report.accesses.iter().rev() { tr {
                    td { (moment_nl(a.at)) }
                    td { (if a.actor == signed.account.subject.as_str() { "jijzelf" } else { a.actor.as_str() }) }
                    td { (Role::from_name(&a.role).map_or(a.role.as_str(), |r| r.label_nl())) }
                    td { (register.processing_id(&a.processing).map_or(a.processing.as_str(), |id| register.processing(id).name.as_str())) }
                    td { (a.action) @if a.outcome != "allowed" { " (geweigerd)" } }
                } } }
            }
        }
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct RequestForm {
    csrf: String,
    kind: String,
    /// The processing it is about (the consent to withdraw).
    processing: Option<String>,
}

/// Files a rights request from Mijn gegevens.
#[utoipa::path(post, path = "/mijn-gegevens/verzoeken", tag = "pages", responses((status = 303)))]
async fn portal_request(State(state): State<AppState>, signed: Signed, Form(form): Form<RequestForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    state.run(move |services| api::file_request(services, &signed, &form.kind, form.processing.as_deref())).await?;
    Ok(Redirect::to("/mijn-gegevens#verzoeken").into_response())
}

fn case_markup(detail: &api::CaseDetail) -> Markup {
    html! {
        dl {
            dt { "Regeling" } dd { (detail.scheme_label) }
            dt { "Stand" } dd { (detail.status.as_deref().and_then(grondslag_claims::Status::from_name).map_or("onbekend", |s| s.label_nl())) }
        }
        h2 { "Gegevens" }
        dl { @for (label, value) in &detail.fields { dt { (label) } dd { (value) } } }
        h2 { "Verloop" }
        ol { @for e in &detail.events { li { (e.at) " — " (e.event) @if let Some(d) = &e.detail { ": " (d) } } } }
    }
}

/// One of my own applications; another's is "not found".
#[utoipa::path(get, path = "/mijn-gegevens/zaken/{number}", tag = "pages", params(("number" = String, Path, description = "Case number")), responses((status = 200, content_type = "text/html"), (status = 404, content_type = "text/html")))]
async fn portal_case(State(state): State<AppState>, signed: Signed, Path(number): Path<String>) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let detail = state.run(move |services| api::case_detail(services, &for_page, &number)).await?;
    Ok(layout(&format!("Aanvraag {}", detail.number), Some(&signed), case_markup(&detail)))
}

// --- back office ------------------------------------------------------------------

/// The back office's start: what this role can do.
#[utoipa::path(get, path = "/beheer", tag = "pages", responses((status = 200, content_type = "text/html")))]
async fn back_office(signed: Signed) -> Result<Markup, ServerError> {
    Ok(layout("Backoffice", Some(&signed), html! {
        ul.tiles {
            li { a href="/beheer/zaken" { "Aanvragen per regeling" } }
            li { a href="/beheer/verzoeken" { "Privacyverzoeken" } " — op uiterste datum, te late bovenaan" }
            li { a href="/beheer/verstrekkingen" { "Verstrekkingen die wachten op de controle van de wettelijke plicht" } }
            li { a href="/beheer/bewaren" { "Bewaartermijnen en bevriezingen" } }
            li { a href="/beheer/audit" { "Logboek controleren" } }
            li { a href="/privacyverklaring" { "Het register als privacyverklaring" } }
        }
    }))
}

/// Applications of one scheme, 50 to a page.
#[utoipa::path(get, path = "/beheer/zaken", tag = "pages", params(CaseFilter), responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")))]
async fn case_list(State(state): State<AppState>, signed: Signed, Query(filter): Query<CaseFilter>) -> Result<Markup, ServerError> {
    let scheme = filter.regeling.clone().unwrap_or_else(|| Scheme::PhysicalDamage.processing().to_string());
    let status = filter.status.clone().unwrap_or_default();
    let offset = filter.offset;
    let for_page = signed.clone();
    let cases = state.run(move |services| api::case_list(services, &for_page, &filter)).await?;
    Ok(layout("Aanvragen", Some(&signed), html! {
        form method="get" action="/beheer/zaken" {
            label for="regeling" { "Regeling" }
            select id="regeling" name="regeling" {
                @for s in Scheme::ALL { option value=(s.processing()) selected[s.processing() == scheme] { (s.name_nl()) } }
            }
            label for="status" { "Stand" }
            input id="status" name="status" value=(status);
            button type="submit" { "Tonen" }
        }
        table {
            caption { "Meest recent gewijzigd bovenaan" }
            thead { tr { th scope="col" { "Zaaknummer" } th scope="col" { "Stand" } th scope="col" { "Gewijzigd" } } }
            tbody { @for c in &cases { tr {
                td { @if let Some(n) = &c.number { a href={ "/beheer/zaken/" (n) } { (n) } } }
                td { (c.status.as_deref().unwrap_or("")) }
                td { (c.updated_at) }
            } } }
        }
        @if cases.len() as u64 == api::PAGE {
            p { a href={ "/beheer/zaken?regeling=" (scheme) "&status=" (status) "&offset=" (offset + api::PAGE) } { "Volgende 50" } }
        }
    }))
}

/// One application, as the role may see it.
#[utoipa::path(get, path = "/beheer/zaken/{number}", tag = "pages", params(("number" = String, Path, description = "Case number")), responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")))]
async fn case_page(State(state): State<AppState>, signed: Signed, Path(number): Path<String>) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let detail = state.run(move |services| api::case_detail(services, &for_page, &number)).await?;
    let register = state.kernel().register();
    let scheme = Scheme::from_processing(&detail.scheme);
    let recipients: Vec<(String, String, bool)> = register
        .processing_id(&detail.scheme)
        .map(|id| {
            register.processing(id).disclosures.iter().map(|d| {
                let party = register.recipient(d.recipient_id);
                (d.recipient.clone(), party.name.clone(), party.legal_check)
            }).collect()
        })
        .unwrap_or_default();
    let action = format!("/beheer/zaken/{}", detail.number);
    Ok(layout(&format!("Aanvraag {}", detail.number), Some(&signed), html! {
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
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct LegalRequestForm {
    csrf: String,
    recipient: String,
    request: String,
}

/// Registers a legal-obligation party's request; it goes to the queue of pending disclosures.
#[utoipa::path(post, path = "/beheer/zaken/{number}/wettelijk-verzoek", tag = "pages", params(("number" = String, Path, description = "Case number")), responses((status = 303), (status = 400, content_type = "text/html")))]
async fn case_legal_request(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Form(form): Form<LegalRequestForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    state
        .run(move |services| Ok(services.cases().request_disclosure(&signed.access(), &number, &form.recipient, &form.request)?))
        .await?;
    Ok(Redirect::to("/beheer/verstrekkingen").into_response())
}

/// Disclosures awaiting the check that the legal obligation exists.
#[utoipa::path(get, path = "/beheer/verstrekkingen", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")))]
async fn pending_page(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let pending = state.run(move |services| crate::work::pending(services, &for_page)).await?;
    Ok(layout("Verstrekkingen die wachten", Some(&signed), html! {
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
                    td { (moment_nl(p.requested_at)) }
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
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SettleForm {
    csrf: String,
    number: String,
    recipient: String,
    check: Option<String>,
    /// `verstrekken` (with the check) or `weigeren`.
    decision: String,
}

/// Settles a pending request from the queue.
#[utoipa::path(post, path = "/beheer/verstrekkingen", tag = "pages", responses((status = 303), (status = 400, content_type = "text/html")))]
async fn pending_settle(State(state): State<AppState>, signed: Signed, Form(form): Form<SettleForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let check = match form.decision.as_str() {
        "verstrekken" => Some(form.check.filter(|c| !c.trim().is_empty()).ok_or_else(|| ServerError::BadRequest("record the check that the legal obligation exists before disclosing, or decline".to_string()))?),
        _ => None,
    };
    let settle = crate::work::Settle { number: form.number, recipient: form.recipient, check };
    state.run(move |services| crate::work::settle(services, &signed, &settle)).await?;
    Ok(Redirect::to("/beheer/verstrekkingen").into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Step {
    csrf: String,
    status: String,
    /// In euros, e.g. `1250` or `1250,50`.
    award: Option<String>,
}

/// Euros as typed ("1.250,50", "1250,5", "1250") to cents; money is
/// never a float.
fn cents(text: &str) -> Result<Option<grondslag_claims::rules::Cents>, ServerError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let wrong = || ServerError::BadRequest(format!("`{text}` is not an amount in euros; write e.g. 1250,50"));
    let (whole, fraction) = text.replace('.', "").split_once(',').map_or((text.replace('.', ""), String::new()), |(w, f)| (w.to_string(), f.to_string()));
    if whole.is_empty() || fraction.len() > 2 || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        return Err(wrong());
    }
    let euros: u64 = whole.parse().map_err(|_| wrong())?;
    let cents: u64 = format!("{fraction:0<2}").parse().map_err(|_| wrong())?;
    euros.checked_mul(100).and_then(|e| e.checked_add(cents)).map(|c| Some(grondslag_claims::rules::Cents(c))).ok_or_else(wrong)
}

/// Moves the case one step; the scheme's life cycle decides which steps exist.
#[utoipa::path(post, path = "/beheer/zaken/{number}/stap", tag = "pages", params(("number" = String, Path, description = "Case number")), responses((status = 303), (status = 400, content_type = "text/html")))]
async fn case_step(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Form(form): Form<Step>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let to = grondslag_claims::Status::from_name(&form.status).ok_or_else(|| ServerError::BadRequest(format!("unknown status `{}`", form.status)))?;
    let award = cents(form.award.as_deref().unwrap_or_default())?;
    let back = format!("/beheer/zaken/{number}");
    state.run(move |services| Ok(services.cases().advance(&signed.access(), &number, to, award)?)).await?;
    Ok(Redirect::to(&back).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
struct Disclose {
    csrf: String,
    recipient: String,
    legal_check: Option<String>,
}

/// Discloses the case to a recipient; shows what it receives.
#[utoipa::path(post, path = "/beheer/zaken/{number}/verstrekken", tag = "pages", params(("number" = String, Path, description = "Case number")), responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")))]
async fn case_disclose(State(state): State<AppState>, signed: Signed, Path(number): Path<String>, Form(form): Form<Disclose>) -> Result<Markup, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let for_work = signed.clone();
    let check = form.legal_check.filter(|c| !c.trim().is_empty());
    let package = state
        .run(move |services| Ok(services.cases().disclose(&for_work.access(), &number, &form.recipient, check.as_deref())?))
        .await?;
    Ok(layout(&format!("Verstrekt aan {}", package.recipient_name), Some(&signed), html! {
        p.ok role="status" { "Verstrekt op " (moment_nl(package.disclosed_at)) " en vastgelegd in het logboek en bij de aanvrager." }
        dl {
            dt { "Aanvraag" } dd { a href={ "/beheer/zaken/" (package.case) } { (package.case) } }
            @if let Some(basis) = &package.legal_basis { dt { "Grondslag" } dd { (basis) } }
            dt { "Gegevens" } dd { (labels(&package.categories)) }
        }
    }))
}

/// The rights queue: open requests by due date, overdue ones marked.
#[utoipa::path(get, path = "/beheer/verzoeken", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")))]
async fn rights_queue(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let queue = state.run(move |services| api::queue(services, &for_page)).await?;
    let register = state.kernel().register();
    Ok(layout("Privacyverzoeken", Some(&signed), html! {
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
                    td { (date_nl(&r.received)) }
                    td { (date_nl(&r.due)) @if r.overdue { " " strong { "te laat" } } }
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
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct AnswerForm {
    csrf: String,
    identity: Option<String>,
    answer: String,
    /// Set by the button of a consent withdrawal: carry it out.
    withdraw: Option<String>,
}

/// Records identity verification and the answer.
#[utoipa::path(post, path = "/beheer/verzoeken/{id}", tag = "pages", params(("id" = String, Path, description = "The request")), responses((status = 303), (status = 403, content_type = "text/html")))]
async fn rights_answer(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Form(form): Form<AnswerForm>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let answer = Answer { identity: form.identity, answer: form.answer };
    if form.withdraw.is_some() {
        state.run(move |services| api::withdraw_consent(services, &signed, &id, answer.identity.as_deref())).await?;
    } else {
        state.run(move |services| api::answer_request(services, &signed, &id, &answer)).await?;
    }
    Ok(Redirect::to("/beheer/verzoeken").into_response())
}

/// Retention per processing: records, holds, the next deletion.
#[utoipa::path(get, path = "/beheer/bewaren", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")))]
async fn retention_page(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let retention = state.run(move |services| api::retention(services, &for_page)).await?;
    let register = state.kernel().register();
    Ok(layout("Bewaartermijnen", Some(&signed), html! {
        p { "De dagelijkse opschoning verwijdert wat zijn termijn heeft bereikt; bevroren gegevens blijven tot de bevriezing is opgeheven." }
        table {
            thead { tr { th scope="col" { "Verwerking" } th scope="col" { "Termijn" } th scope="col" { "Dossiers" } th scope="col" { "Bevroren" } th scope="col" { "Eerstvolgende verwijdering" } } }
            tbody { @for l in &retention.processings { tr {
                td { (l.processing) }
                td { (register.processing_id(&l.processing).map(|id| grondslag_register::render::retention_nl(&register.processing(id).retention)).unwrap_or_default()) }
                td { (l.records) }
                td { (l.held) }
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
    }))
}

/// Verifies the audit log now.
#[utoipa::path(get, path = "/beheer/audit", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 403, content_type = "text/html")))]
async fn audit_page(State(state): State<AppState>, signed: Signed) -> Result<Markup, ServerError> {
    let for_page = signed.clone();
    let verification = state.run(move |services| api::verify(services, &for_page)).await?;
    Ok(layout("Logboek", Some(&signed), html! {
        p.ok role="status" { "Het logboek is in orde: " (verification.entries) " regels, een ongebroken hashketen en " (verification.checkpoints) " ondertekende controlepunten." }
    }))
}

#[cfg(test)]
mod tests {
    use super::cents;

    #[test]
    fn amounts_are_read_as_people_in_the_netherlands_write_them() {
        let c = |t: &str| cents(t).unwrap().map(|c| c.0);
        assert_eq!(c("1.250,50"), Some(125_050));
        assert_eq!(c("1250,5"), Some(125_050));
        assert_eq!(c("1250"), Some(125_000));
        assert_eq!(c(""), None);
        for wrong in ["12,345", "abc", "-5", ",50", "1e3"] {
            assert!(cents(wrong).is_err(), "{wrong}");
        }
    }
}
