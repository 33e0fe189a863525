//! What every page shares: Dutch, server-rendered, no script (but for the
//! passkey pages, [`with_script`]). Semantic
//! HTML with a label for every field, a skip link, visible focus, and
//! colours that meet WCAG 2.1 AA contrast (the darkest blue on white is
//! 9.6:1). Every form that changes something carries the session's CSRF
//! token. Also the error page, which every refusal of a page request
//! becomes ([`render_errors`]).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};

use crate::error::{ErrorMark, problem_for};
use crate::state::AppState;
use crate::version;
use crate::visitor::{RequestTrace, Signed};

/// The Content-Security-Policy of the pages that run our passkey script
/// (`/beveiliging`, the code page): every other page's (see `CSP` in the
/// crate root) with script and `fetch` from this site only. Still no inline
/// script, no script from elsewhere.
pub(crate) const CSP_WITH_SCRIPT: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A page that loads `/static/passkey.js`, with the policy that lets it run.
pub(crate) fn with_script(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, header::HeaderValue::from_static(CSP_WITH_SCRIPT));
    response
}

pub(crate) fn layout(title: &str, signed: Option<&Signed>, body: Markup) -> Markup {
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
                footer { p { "Instituut Mijnbouwschade Groningen · " a href="/privacyverklaring" { "Privacyverklaring" } " · " a href="/toegankelijkheid" { "Toegankelijkheid" } " · " a href="/.well-known/privacy.txt" { "privacy.txt" } } }
            }
        }
    }
}

/// Category names as the statement says them, e.g. "straat en huisnummer".
pub(crate) fn labels(names: &[&str]) -> String {
    names.iter().filter_map(|c| grondslag_register::Category::from_name(c)).map(|c| c.label_nl()).collect::<Vec<_>>().join(", ")
}

/// The outcome of a form, said where a screen reader announces it.
pub(crate) fn notice(message: Option<(&str, bool)>) -> Markup {
    html! { @if let Some((text, ok)) = message { p class=(if ok { "ok" } else { "error" }) role="status" { (text) } } }
}

/// A form sent back with what was wrong: about one of its fields, or about
/// the form as a whole (a refused sign-in says not which part was wrong).
pub(crate) struct FormError {
    /// The `id` of the field it is about.
    pub field: Option<&'static str>,
    pub message: String,
}

/// The error summary at the top of a form, in the manner of GOV.UK and the
/// NL Design System: announced at once, each error a link to its field.
pub(crate) fn error_summary(error: Option<&FormError>) -> Markup {
    html! {
        @if let Some(error) = error {
            div.error-summary role="alert" aria-labelledby="fouten-titel" {
                h2 id="fouten-titel" { "Er is een probleem" }
                ul {
                    li {
                        @match error.field {
                            Some(field) => a href={ "#" (field) } { (error.message) },
                            None => (error.message),
                        }
                    }
                }
            }
        }
    }
}

/// A labelled field; when `error` is about it, the message stands between
/// label and field, the field is `aria-invalid` and described by the message.
pub(crate) struct Field<'a> {
    pub id: &'static str,
    pub label: &'a str,
    /// An input's `type`, or `textarea`.
    pub kind: &'a str,
    pub autocomplete: &'a str,
    /// An example or rule shown under the label.
    pub hint: Option<&'a str>,
    /// `inputmode`, for a keyboard of digits.
    pub inputmode: Option<&'a str>,
    pub autofocus: bool,
}

impl<'a> Field<'a> {
    pub(crate) fn new(id: &'static str, label: &'a str, kind: &'a str, autocomplete: &'a str) -> Field<'a> {
        Field { id, label, kind, autocomplete, hint: None, inputmode: None, autofocus: false }
    }

    pub(crate) fn render(&self, error: Option<&FormError>) -> Markup {
        let id = self.id;
        let error = error.filter(|e| e.field == Some(id));
        let hint_id = format!("{id}-hint");
        let error_id = format!("{id}-fout");
        let described: Vec<&str> = [self.hint.map(|_| hint_id.as_str()), error.map(|_| error_id.as_str())].into_iter().flatten().collect();
        let described = (!described.is_empty()).then(|| described.join(" "));
        let invalid = error.map(|_| "true");
        html! {
            label for=(id) { (self.label) }
            @if let Some(hint) = self.hint { span.hint id=(hint_id) { (hint) } }
            @if let Some(error) = error { span.field-error id=(error_id) { (error.message) } }
            @if self.kind == "textarea" {
                textarea id=(id) name=(id) rows="6" required aria-invalid=[invalid] aria-describedby=[described] {}
            } @else {
                input id=(id) name=(id) type=(self.kind) autocomplete=(self.autocomplete) inputmode=[self.inputmode] autofocus[self.autofocus] required aria-invalid=[invalid] aria-describedby=[described];
            }
        }
    }
}

/// The consent a form asks for, a checkbox named `consent`.
pub(crate) fn consent_field(label: &str, error: Option<&FormError>) -> Markup {
    let error = error.filter(|e| e.field == Some("consent"));
    html! {
        @if let Some(error) = error { span.field-error id="consent-fout" { (error.message) } }
        p.check {
            input id="consent" name="consent" type="checkbox" value="ja" required aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "consent-fout")];
            label for="consent" { (label) }
        }
    }
}

pub(crate) fn csrf_field(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.session.csrf); }
}

pub(crate) fn right_label(kind: &str) -> &'static str {
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

/// What a page says of an error, in Dutch: a title and an explanation by
/// its code.
fn explanation_nl(status: StatusCode, code: &str) -> (&'static str, &'static str) {
    match code {
        _ if code.starts_with("oidc_") => ("Inloggen is niet gelukt", "Je bent niet ingelogd. Begin opnieuw op de pagina Inloggen."),
        "relation_missing" => {
            ("Geen toegang", "Je kunt alleen je eigen gegevens inzien, die van wie jou heeft gemachtigd, of de dossiers die aan jou zijn toegewezen.")
        }
        "staff_only" => (
            "Alleen voor medewerkers",
            "Dit document is voor intern gebruik door medewerkers van het IMG. De privacyverklaring voor iedereen staat op /privacyverklaring.",
        ),
        "passkey_staff_only" => ("Alleen voor medewerkers", "Passkeys zijn er voor medewerkers van het IMG, als tweede inlogstap naast het wachtwoord."),
        "passkeys_unavailable" => ("Passkeys niet beschikbaar", "Inloggen met een passkey kan op dit adres van de dienst niet. Gebruik de code uit je app."),
        "record_held" => ("Wordt bewaard", "Deze gegevens worden bewaard zolang een onderzoek of procedure loopt; ze kunnen nu niet worden verwijderd."),
        _ if status == StatusCode::FORBIDDEN && code != "csrf" => (
            "Geen toegang",
            "Je hebt geen toegang tot deze pagina in de rol waarin je bent ingelogd. Is dat onterecht? Vraag je leidinggevende of de beheerder om de juiste rol.",
        ),
        "not_found" => ("Niet gevonden", "Deze pagina of dit dossier bestaat niet, of is niet van jou."),
        "csrf" => ("Formulier verlopen", "Het formulier kwam niet van deze site of is verlopen. Ga terug, laad de pagina opnieuw en probeer het nog eens."),
        "locked" => ("Tijdelijk geblokkeerd", "Er is te vaak een verkeerd wachtwoord of een verkeerde code gebruikt."),
        "sign_in_failed" => ("Inloggen mislukt", "De gebruikersnaam, het wachtwoord, de code of de passkey klopt niet."),
        "conflict" => {
            ("Dat kan nu niet", "Deze stap past niet bij hoe het dossier er nu voor staat. Bekijk het dossier en kies de stap die nu aan de beurt is.")
        }
        "invalid" => (
            "Niet compleet of niet geldig",
            "Wat je hebt ingevuld is niet compleet of niet geldig voor deze stap. Ga terug, vul het formulier aan en probeer het opnieuw.",
        ),
        "too_large" => ("Te groot", "Wat je hebt verstuurd is groter dan is toegestaan. Maak het bestand kleiner en probeer het opnieuw."),
        "timeout" => ("Duurde te lang", "Het verwerken duurde te lang. Probeer het later opnieuw."),
        _ if status.is_server_error() => ("Er ging iets mis", grondslag_kernel::FAULT_NL),
        _ => ("Dat lukte niet", "Het verzoek kon niet worden verwerkt. Ga terug, controleer wat je hebt ingevuld en probeer het opnieuw."),
    }
}

/// The page of a refusal or failure, in Dutch. It carries the error's code
/// in `data-code`, as the API's problem does, so a program can tell the
/// reasons apart. `reason_nl` is the error's own Dutch explanation: why the
/// register refused, or what was wrong with what was sent.
pub(crate) fn error_page(status: StatusCode, mark: &ErrorMark, reason_nl: Option<&str>, signed: Option<&Signed>) -> Markup {
    let (title, explanation) = explanation_nl(status, mark.code);
    // Only a message that has no Dutch (a handler's own English refusal)
    // is shown in English: apart, marked as such, after the explanation.
    let module_message = reason_nl.is_none() && matches!(mark.code, "bad_request" | "conflict" | "invalid") && !mark.detail.is_empty();
    layout(
        title,
        signed,
        html! {
            div.refusal data-code=(mark.code) {
                // A refusal by the register says why, from the register's Dutch labels; it names nobody.
                @if let Some(reason) = reason_nl { p.detail { (reason) } }
                p { (explanation) }
                @if module_message { p.detail { "Melding van het systeem (in het Engels): " span lang="en" { (mark.detail) } } }
            }
            p { a href="/" { "Naar de startpagina" } }
        },
    )
}

/// A problem's `instance`: the request's own trace, as the `traceresponse`
/// header and the audit entries name it — not the path, which can name a
/// person (a rights request's id holds the subject's).
const OCCURRENCE: &str = "urn:grondslag:trace:";

/// Where the LDV register answers (`ldv`): JSON outside the versioned
/// API, whose errors are problem details as the API's.
const LDV_REGISTER: [&str; 2] = ["/processing_activities", "/entities"];

/// The liveness and readiness probes.
const PROBES: [&str; 2] = ["/healthz", "/readyz"];

/// Turns error responses to page requests into pages: a sign-in page
/// when signing in is needed, a Dutch error page otherwise. API requests
/// get problem details naming the occurrence by the request's trace.
pub(crate) async fn render_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    // Probes answer load balancers and monitors in the documented plain
    // text, whatever their status.
    if PROBES.contains(&path.as_str()) {
        return next.run(request).await;
    }
    let is_page = !version::is_api(&path) && !LDV_REGISTER.iter().any(|prefix| path.starts_with(prefix));
    let occurrence = request.extensions().get::<RequestTrace>().map(|t| format!("{OCCURRENCE}{}", t.trace()));
    // Kept for an error page, which shows the signed-in person's menu.
    let headers = if is_page { request.headers().clone() } else { axum::http::HeaderMap::new() };
    let response = next.run(request).await;
    // A range past the end of a recording is an answer about its bytes
    // (with the length in Content-Range), for the player, not a page.
    if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
        return response;
    }
    let mut status = response.status();
    // How long to wait (a lock, a limit) holds whatever form the answer takes.
    let retry_after = response.headers().get(header::RETRY_AFTER).cloned();
    let mark = match response.extensions().get::<ErrorMark>().cloned() {
        Some(mark) => mark,
        // A page the handler rendered itself (a form sent back with what
        // was wrong, as a refused sign-in) is the answer already.
        None if is_html(&response) => return response,
        None if response.status().is_client_error() || response.status().is_server_error() => {
            // Refused before a handler ran (a malformed body, a missing
            // field, a body over the limit, a timeout): the same error body.
            let text = axum::body::to_bytes(response.into_body(), 64 * 1024).await.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            let code = match status {
                StatusCode::PAYLOAD_TOO_LARGE => "too_large",
                StatusCode::REQUEST_TIMEOUT => "timeout",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                _ => "bad_request",
            };
            // A body of the right type missing a field or with one of the
            // wrong type (axum's 422) is malformed input, a 400 as the
            // document says; a 422 of ours says a step cannot use what was sent.
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                status = StatusCode::BAD_REQUEST;
            }
            let detail = if text.trim().is_empty() { status.canonical_reason().unwrap_or("refused").to_string() } else { text };
            ErrorMark { code, detail, source: None }
        }
        None => return response,
    };
    let mut answer = if !is_page {
        problem_for(status, mark, occurrence)
    } else if mark.code == "sign_in_first" {
        let query = serde_urlencoded::to_string([("terug", path.as_str())]).unwrap_or_default();
        Redirect::to(&format!("/inloggen?{query}")).into_response()
    } else {
        page_for(&state, headers, status, &mark).await
    };
    if let Some(wait) = retry_after {
        answer.headers_mut().insert(header::RETRY_AFTER, wait);
    }
    answer
}

fn is_html(response: &Response) -> bool {
    response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"))
}

async fn page_for(state: &AppState, headers: axum::http::HeaderMap, status: StatusCode, mark: &ErrorMark) -> Response {
    let mut probe = Request::new(axum::body::Body::empty());
    *probe.headers_mut() = headers;
    let (mut parts, _) = probe.into_parts();
    let signed = Signed::optional(Signed::from_request_parts(&mut parts, state).await);
    let reason_nl = mark.source.as_ref().and_then(|source| source.explain_nl(state.kernel().register()));
    let mut page = error_page(status, mark, reason_nl.as_deref(), signed.as_ref()).into_response();
    *page.status_mut() = status;
    page.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    page
}
