//! The public pages, for any visitor: the start page, the privacy
//! statement rendered from the register, privacy.txt, the contact form,
//! the newsletter and the form for an acutely unsafe situation; and the
//! probes of liveness and readiness. What a form stores is decided for the
//! website (role `public`) by the register.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64_style::style_hash;
use grondslag_channels::contact::Kind;
use grondslag_claims::Scheme;
use grondslag_register::Statement;
use maud::{Markup, html};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ServerError;
use crate::layout::{Field, FormError, consent_field, error_summary, layout, notice};
use crate::openapi;
use crate::state::AppState;
use crate::visitor::{Signed, Visitor};

const STYLE: &str = include_str!("stijl.css");

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(home))
        .routes(routes!(stylesheet))
        .routes(routes!(privacy_txt))
        .routes(routes!(statement))
        .routes(routes!(children_statement))
        .routes(routes!(statement_versions))
        .routes(routes!(statement_version))
        .routes(routes!(contact_form, contact_submit))
        .routes(routes!(newsletter_form, newsletter_subscribe))
        .routes(routes!(unsubscribe_form, unsubscribe))
        .routes(routes!(unsafe_form, unsafe_report))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = String, description = "`ok`")), extensions(("x-register" = json!(openapi::public()))))]
async fn health() -> &'static str {
    "ok"
}

/// Readiness: the store answers too.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = String), (status = 503, body = String)), extensions(("x-register" = json!(openapi::public()))))]
async fn ready(State(state): State<AppState>) -> Response {
    let now = jiff::Timestamp::now();
    match state.run(move |services| Ok(services.kernel.session(b"readiness probe", now)?)).await {
        Ok(_) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer").into_response()
        }
    }
}

/// The start page.
#[utoipa::path(get, path = "/", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
async fn home(visitor: Visitor) -> Markup {
    let signed = Signed::optional(Signed::from_visitor(visitor));
    layout(
        "Welkom",
        signed.as_ref(),
        html! {
            p { "Het Instituut Mijnbouwschade Groningen (IMG) handelt schade door de gaswinning af. Hier regel je je aanvraag, zie je welke gegevens wij van je gebruiken en waarom, en gebruik je je privacyrechten." }
            ul.tiles {
                li { a href="/mijn-gegevens" { "Mijn gegevens" } " — je aanvragen, je gegevens en wie ze heeft bekeken" }
                li { a href="/privacyverklaring" { "Privacyverklaring" } " — welke gegevens wij waarvoor gebruiken" }
                li { a href="/contact" { "Contactformulier" } " — een vraag, klacht of melding" }
                li { a href="/nieuwsbrief" { "Nieuwsbrief" } " — aanmelden en afmelden" }
                li { a href="/acuut-onveilig" { "Acuut onveilige situatie melden" } " — wij reageren binnen 48 uur" }
            }
        },
    )
}

/// The stylesheet (our own, so the Content-Security-Policy needs no exception).
#[utoipa::path(get, path = "/stijl.css", tag = "pages", responses((status = 200, content_type = "text/css")), extensions(("x-register" = json!(openapi::public()))))]
async fn stylesheet() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLE).into_response()
}

/// Whom to ask about privacy (E23), in the manner of security.txt.
#[utoipa::path(get, path = "/.well-known/privacy.txt", tag = "pages", responses((status = 200, content_type = "text/plain")), extensions(("x-register" = json!(openapi::public()))))]
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
    /// `public` (default), `staff`, `kcc` or `children`.
    verklaring: Option<String>,
}

/// The privacy statement, rendered from the register in force. The public
/// one for anyone; the staff statement and the call-centre protocol only
/// for signed-in staff (anonymous visitors are sent to sign in, others get
/// a 403 `staff_only`).
#[utoipa::path(get, path = "/privacyverklaring", tag = "pages", params(WhichStatement), responses((status = 200, content_type = "text/html"), (status = 401, description = "an internal statement, not signed in"), (status = 403, description = "an internal statement, not staff (`staff_only`)")), extensions(("x-register" = json!(openapi::public()))))]
async fn statement(State(state): State<AppState>, visitor: Visitor, Query(which): Query<WhichStatement>) -> Result<Response, ServerError> {
    let statement = which.open_to(visitor)?;
    if statement == Statement::Children {
        return Ok(Redirect::permanent(grondslag_register::render::CHILDREN_PAGE).into_response());
    }
    Ok(standalone(grondslag_register::render::render(state.kernel().register(), statement, grondslag_register::render::Format::Html)))
}

/// The children's statement (E6): the public section on the children's
/// scheme explained to children and young people of 12 to 17, rendered
/// from the same processings. Anyone may read it; 404 when the register
/// has none.
#[utoipa::path(get, path = "/privacyverklaring/kinderen", tag = "pages", responses((status = 200, content_type = "text/html"), (status = 404, description = "the register has no children's statement")), extensions(("x-register" = json!(openapi::public()))))]
async fn children_statement(State(state): State<AppState>) -> Result<Response, ServerError> {
    let register = state.kernel().register();
    if register.meta.children.is_none() {
        return Err(ServerError::NotFound("this register has no children's statement; see /privacyverklaring".to_string()));
    }
    Ok(standalone(grondslag_register::render::render(register, Statement::Children, grondslag_register::render::Format::Html)))
}

impl WhichStatement {
    /// The statement asked for, if this visitor may read it.
    fn open_to(&self, visitor: Visitor) -> Result<Statement, ServerError> {
        let name = self.verklaring.as_deref().unwrap_or("public");
        let statement =
            Statement::from_name(name).ok_or_else(|| ServerError::NotFound(format!("no statement `{name}`; use public, staff, kcc or children")))?;
        statement.open_to(Signed::optional(Signed::from_visitor(visitor)).map(|signed| signed.role))?;
        Ok(statement)
    }

    /// The query that names the statement again in a link.
    fn query(&self) -> String {
        self.verklaring.as_deref().map(|name| format!("?verklaring={name}")).unwrap_or_default()
    }
}

/// A statement's own HTML document, with its own inline style: allowed by
/// its hash, not by allowing inline style everywhere.
fn standalone(document: String) -> Response {
    let csp = format!("default-src 'none'; style-src {}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'", style_hash(&document));
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], document).into_response();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// Every published version of a statement, newest first, each readable
/// (E21); the same readers as the statement itself.
#[utoipa::path(get, path = "/privacyverklaring/versies", tag = "pages", params(WhichStatement), responses((status = 200, content_type = "text/html"), (status = 401, description = "an internal statement, not signed in"), (status = 403, description = "an internal statement, not staff (`staff_only`)")), extensions(("x-register" = json!(openapi::public()))))]
async fn statement_versions(State(state): State<AppState>, visitor: Visitor, Query(which): Query<WhichStatement>) -> Result<Markup, ServerError> {
    let signed = Signed::optional(Signed::from_visitor(visitor.clone()));
    let statement = which.open_to(visitor)?;
    let versions = grondslag_register::versions::listing(state.kernel().register(), statement);
    let query = which.query();
    Ok(layout(
        &format!("Versies van de {}", statement.title_nl().to_lowercase()),
        signed.as_ref(),
        html! {
            p { "Elke wijziging geeft een nieuwe versie. Elke versie blijft hier te lezen, met wat er ten opzichte van de vorige is veranderd." }
            ul {
                @for (version, date, current) in &versions {
                    li {
                        a href={ "/privacyverklaring/versies/" (version) (query) } { "Versie " (version) } " — " (date)
                        @if *current { " (geldt nu)" }
                    }
                }
            }
        },
    ))
}

/// One published version of a statement, as it was published.
#[utoipa::path(get, path = "/privacyverklaring/versies/{version}", tag = "pages", params(("version" = String, Path, description = "The version", example = "2024.05"), WhichStatement), responses((status = 200, content_type = "text/html"), (status = 404, description = "no such version")), extensions(("x-register" = json!(openapi::public()))))]
async fn statement_version(
    State(state): State<AppState>,
    visitor: Visitor,
    axum::extract::Path(version): axum::extract::Path<String>,
    Query(which): Query<WhichStatement>,
) -> Result<Response, ServerError> {
    let statement = which.open_to(visitor)?;
    let document = grondslag_register::versions::render_version(state.kernel().register(), statement, &version, grondslag_register::render::Format::Html)
        .ok_or_else(|| ServerError::NotFound(format!("the {} has no published version {version}; see /privacyverklaring/versies", statement.title_nl())))?;
    Ok(standalone(document))
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
#[schema(example = json!({"kind": "question", "name": "Anna de Vries", "email": "anna@example.nl", "phone": "0595 123 456", "text": "Wanneer komt de deskundige?", "consent": "ja"}))]
struct ContactMessage {
    /// The kind of message: the name of one of `contact::Kind::ALL`, as
    /// the form's options offer them; any other is refused.
    kind: String,
    name: String,
    email: String,
    phone: String,
    text: String,
    consent: Option<String>,
}

fn contact_markup(error: Option<&FormError>, done: bool) -> Markup {
    layout(
        "Contactformulier",
        None,
        html! {
            @if done {
                p.ok role="status" { "Bedankt. Wij hebben je bericht ontvangen en nemen contact met je op." }
            }
            (error_summary(error))
            p { "Wij gebruiken wat je hier invult alleen om je bericht te beantwoorden. Zie de " a href="/privacyverklaring#sectie-11" { "privacyverklaring" } "." }
            form method="post" action="/contact" {
                label for="kind" { "Soort bericht" }
                // The module's own list: an option it does not know could only
                // be refused, or worse, filed as something else.
                select id="kind" name="kind" {
                    @for kind in Kind::ALL {
                        option value=(kind.name()) { (kind.label()) }
                    }
                }
                (Field::new("name", "Naam", "text", "name").render(error))
                (Field::new("email", "E-mailadres", "email", "email").render(error))
                (Field::new("phone", "Telefoonnummer", "tel", "tel").render(error))
                (Field::new("text", "Je bericht", "textarea", "off").render(error))
                (consent_field("Ik geef toestemming om mijn gegevens te gebruiken voor het beantwoorden van dit bericht.", error))
                button type="submit" { "Versturen" }
            }
        },
    )
}

/// The field of a public form a value is about: the forms name their
/// fields after the register's categories.
fn field_of(category: grondslag_register::Category) -> Option<&'static str> {
    use grondslag_register::Category;
    match category {
        Category::Name => Some("name"),
        Category::Email => Some("email"),
        Category::Phone => Some("phone"),
        Category::Address => Some("address"),
        Category::PostcodeCity => Some("postcode_city"),
        Category::FreeText => Some("text"),
        _ => None,
    }
}

/// A refusal of the contact form or the newsletter, linked to its field.
fn channel_form_error(state: &AppState, e: &grondslag_channels::ChannelError) -> FormError {
    use grondslag_channels::ChannelError;
    let field = match e {
        ChannelError::NoConsent => Some("consent"),
        ChannelError::Missing(name) => grondslag_register::Category::from_name(name).and_then(field_of),
        ChannelError::Kernel(grondslag_kernel::KernelError::Invalid { category, .. }) => field_of(*category),
        _ => None,
    };
    FormError { field, message: e.explain_nl(state.kernel().register()) }
}

/// The contact form (E11).
#[utoipa::path(get, path = "/contact", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
async fn contact_form() -> Markup {
    contact_markup(None, false)
}

/// Sends a message through the contact form; nothing is stored without
/// consent, nor for a kind of message the form does not offer.
#[utoipa::path(post, path = "/contact", tag = "pages", request_body(content = ContactMessage, content_type = "application/x-www-form-urlencoded"), responses((status = 429, content_type = "text/html", description = "Too many forms from this address; see Retry-After"), (status = 200, content_type = "text/html"), (status = 400, content_type = "text/html", description = "an unknown kind of message; nothing is stored")), extensions(("x-register" = json!(openapi::public()))))]
async fn contact_submit(State(state): State<AppState>, visitor: Visitor, Form(form): Form<ContactMessage>) -> Result<Markup, ServerError> {
    use grondslag_channels::contact::{ContactForm, Message};
    use grondslag_register::Category;
    // Refused, not guessed: a kind filed as another would reach the wrong
    // desk (a complaint goes to the privacy team, a question does not).
    let kind =
        Kind::from_name(&form.kind).ok_or_else(|| ServerError::BadRequest(format!("unknown kind of message `{}`; choose {}", form.kind, Kind::choices())))?;
    let result = state
        .run(move |services| {
            let access = visitor.website();
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
        Err(e) => contact_markup(Some(&channel_form_error(&state, &e)), false),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "Anna de Vries", "email": "anna@example.nl", "consent": "ja"}))]
struct Subscribe {
    name: String,
    email: String,
    consent: Option<String>,
}

fn newsletter_markup(done: bool, error: Option<&FormError>) -> Markup {
    layout(
        "Nieuwsbrief",
        None,
        html! {
            (notice(done.then_some(("Je bent aangemeld voor de nieuwsbrief.", true))))
            (error_summary(error))
            p { "Ontvang de nieuwsbrief per e-mail. Afmelden kan altijd via de link onder elke nieuwsbrief; dan verwijderen wij je gegevens." }
            form method="post" action="/nieuwsbrief" {
                (Field::new("name", "Naam", "text", "name").render(error))
                (Field::new("email", "E-mailadres", "email", "email").render(error))
                (consent_field("Ik wil de nieuwsbrief ontvangen en geef toestemming voor het gebruik van mijn naam en e-mailadres daarvoor.", error))
                button type="submit" { "Aanmelden" }
            }
        },
    )
}

/// Newsletter subscription (E14).
#[utoipa::path(get, path = "/nieuwsbrief", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
async fn newsletter_form() -> Markup {
    newsletter_markup(false, None)
}

/// Subscribes to the newsletter, on consent.
#[utoipa::path(post, path = "/nieuwsbrief", tag = "pages", request_body(content = Subscribe, content_type = "application/x-www-form-urlencoded"), responses((status = 429, content_type = "text/html", description = "Too many forms from this address; see Retry-After"), (status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
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
        Ok(()) => newsletter_markup(true, None),
        Err(e) => newsletter_markup(false, Some(&channel_form_error(&state, &e))),
    })
}

#[derive(Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[schema(example = json!({"token": "the token from the link under a newsletter"}))]
struct UnsubscribeToken {
    /// The personal token from the link under a newsletter.
    #[param(example = "the token from the link under a newsletter")]
    token: String,
}

fn unsubscribe_markup(token: &str, message: Option<(&str, bool)>) -> Markup {
    layout(
        "Afmelden voor de nieuwsbrief",
        None,
        html! {
            (notice(message))
            @if message.is_none() {
                p { "Wil je de nieuwsbrief niet meer ontvangen? Na het afmelden verwijderen wij je naam en e-mailadres." }
                form method="post" action="/nieuwsbrief/afmelden" {
                    input type="hidden" name="token" value=(token);
                    button type="submit" { "Afmelden" }
                }
            }
        },
    )
}

/// The page behind the link under each newsletter. Opening it changes
/// nothing (mail scanners open links); the button does.
#[utoipa::path(get, path = "/nieuwsbrief/afmelden", tag = "pages", params(UnsubscribeToken), responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
async fn unsubscribe_form(Query(link): Query<UnsubscribeToken>) -> Markup {
    unsubscribe_markup(&link.token, None)
}

/// Unsubscribes: the subscription and its data are deleted.
#[utoipa::path(post, path = "/nieuwsbrief/afmelden", tag = "pages", request_body(content = UnsubscribeToken, content_type = "application/x-www-form-urlencoded"), responses((status = 429, content_type = "text/html", description = "Too many forms from this address; see Retry-After"), (status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
async fn unsubscribe(State(state): State<AppState>, visitor: Visitor, Form(form): Form<UnsubscribeToken>) -> Result<Markup, ServerError> {
    use grondslag_channels::newsletter::Newsletter;
    let token = form.token.clone();
    let result = state.run(move |services| Ok(Newsletter::new(services.kernel).and_then(|n| n.unsubscribe(&visitor.website(), &form.token)))).await?;
    Ok(match result {
        Ok(()) => unsubscribe_markup(&token, Some(("Je bent afgemeld. Je naam en e-mailadres zijn verwijderd.", true))),
        Err(e) => unsubscribe_markup(&token, Some((&format!("Afmelden lukte niet. {}", e.explain_nl(state.kernel().register())), false))),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "Dirk Smit", "phone": "0595 123 456", "email": "dirk@example.nl", "address": "Dijk 1", "postcode_city": "9981 AB Uithuizen"}))]
struct UnsafeReport {
    name: String,
    phone: String,
    email: String,
    address: String,
    postcode_city: String,
}

fn unsafe_markup(filed: Option<&str>, error: Option<&FormError>) -> Markup {
    layout(
        "Acuut onveilige situatie melden",
        None,
        html! {
            @if let Some(number) = filed {
                p.ok role="status" { "Je melding is ontvangen onder nummer " (number) ". Wij nemen binnen 48 uur contact met je op." }
            }
            (error_summary(error))
            p { "Is je huis door de gaswinning acuut onveilig? Meld het hier. Wij nemen binnen 48 uur contact met je op en laten de situatie inspecteren. Is er direct gevaar? Bel 112." }
            form method="post" action="/acuut-onveilig" {
                (Field::new("name", "Naam", "text", "name").render(error))
                (Field::new("phone", "Telefoonnummer", "tel", "tel").render(error))
                (Field::new("email", "E-mailadres", "email", "email").render(error))
                (Field::new("address", "Straat en huisnummer van het gebouw", "text", "street-address").render(error))
                (Field { hint: Some("Bijvoorbeeld: 9981 AB Uithuizen"), ..Field::new("postcode_city", "Postcode en plaats", "text", "off") }.render(error))
                button type="submit" { "Melden" }
            }
        },
    )
}

/// A refusal of the report, linked to its field.
fn case_form_error(state: &AppState, e: &grondslag_claims::cases::CaseError) -> FormError {
    use grondslag_claims::cases::CaseError;
    let field = match e {
        CaseError::Kernel(grondslag_kernel::KernelError::Invalid { category, .. }) => field_of(*category),
        CaseError::Invalid(value) => {
            let name = if value.field == grondslag_values::ValueKind::Postcode { "postcode_city" } else { value.field.name() };
            grondslag_register::Category::from_name(name).and_then(field_of)
        }
        _ => None,
    };
    FormError { field, message: format!("De melding is niet verstuurd. {}", e.explain_nl(state.kernel().register())) }
}

/// The special form for an acutely unsafe situation (E8).
#[utoipa::path(get, path = "/acuut-onveilig", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
async fn unsafe_form() -> Markup {
    unsafe_markup(None, None)
}

/// Files the report as a case; it is to be handled within 48 hours.
#[utoipa::path(post, path = "/acuut-onveilig", tag = "pages", request_body(content = UnsafeReport, content_type = "application/x-www-form-urlencoded"), responses((status = 429, content_type = "text/html", description = "Too many forms from this address; see Retry-After"), (status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
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
        Ok(number) => unsafe_markup(Some(&number), None),
        Err(e) => unsafe_markup(None, Some(&case_form_error(&state, &e))),
    })
}
