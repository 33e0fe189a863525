//! Signing in and out: with password and code in one step through the
//! API, in two steps through the pages (the second a code or, for staff
//! who added one, a passkey), a new password after a one-time one; and the
//! session cookie (HttpOnly, SameSite=Strict, Secure under TLS). Whether
//! the password, the code and the passkey are right is the accounts'.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use grondslag_accounts::{AccountError, PublicKeyCredential, RequestChallengeResponse, Session, Stage};
use grondslag_broker::Means;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Problem, ServerError};
use crate::layout::{Field, FormError, error_summary, layout, with_script};
use crate::openapi;
use crate::state::AppState;
use crate::visitor::{Signed, Visitor};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(me))
        .routes(routes!(sign_in_form, sign_in_page))
        .routes(routes!(code_form, code))
        .routes(routes!(passkey_options))
        .routes(routes!(passkey))
        .routes(routes!(password_form, password))
        .routes(routes!(sign_out_page))
}

fn cookie_with(state: &AppState, value: &str, extra: &str) -> String {
    let secure = if state.secure() { "; Secure" } else { "" };
    format!("{}={value}; Path=/; HttpOnly; SameSite=Strict{extra}{secure}", state.session_cookie())
}

pub(crate) fn session_cookie(state: &AppState, token: &str) -> String {
    cookie_with(state, token, "")
}

fn clear_cookie(state: &AppState) -> String {
    cookie_with(state, "", "; Max-Age=0")
}

fn with_cookie(cookie: String, to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Errors the person can act on are told on the form; any other is the server's.
fn told<T>(result: Result<T, AccountError>) -> Result<Result<T, AccountError>, ServerError> {
    match result {
        Ok(value) => Ok(Ok(value)),
        Err(
            e @ (AccountError::WrongCredentials
            | AccountError::WrongCode
            | AccountError::Locked { .. }
            | AccountError::Closed
            | AccountError::WeakPassword(_)
            | AccountError::NoPassword),
        ) => Ok(Err(e)),
        Err(e) => Err(e.into()),
    }
}

// --- API ---------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"username": "anna", "password": "paard op het wad", "code": "123456"}))]
pub(crate) struct SignIn {
    username: String,
    password: String,
    /// The code from the authenticator app, or a recovery code.
    code: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Me {
    username: String,
    role: String,
    /// Send this as `X-CSRF-Token` with every request that changes something.
    csrf_token: String,
}

impl Me {
    fn of(session: &Session) -> Me {
        Me { username: session.username.clone(), role: session.role.clone(), csrf_token: session.csrf.clone() }
    }
}

/// Signs in with password and code in one step; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    responses((status = 503, body = Problem, description = "Too many sign-ins being checked at once; see Retry-After"), (status = 200, body = Me), (status = 401, body = Problem), (status = 429, body = Problem, description = "Locked after repeated failures (`locked`), or too many requests from this address (`too_many_requests`); see Retry-After")),
    extensions(("x-register" = json!(openapi::session()))))]
async fn sign_in(State(state): State<AppState>, visitor: Visitor, Json(form): Json<SignIn>) -> Result<Response, ServerError> {
    let (now, origin) = (visitor.now, visitor.origin);
    let (token, session) = state.run_waiting(move |services| Ok(services.accounts.sign_in(&form.username, &form.password, &form.code, &origin, now)?)).await?;
    Ok(([(header::SET_COOKIE, session_cookie(&state, &token))], Json(Me::of(&session))).into_response())
}

/// Signs out: the session ends on the server too.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", responses((status = 204)), extensions(("x-register" = json!(openapi::session()))))]
async fn sign_out(State(state): State<AppState>, visitor: Visitor) -> Result<Response, ServerError> {
    if let Some((token, _)) = visitor.session {
        state.run(move |services| Ok(services.accounts.end_session(&token)?)).await?;
    }
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear_cookie(&state))]).into_response())
}

/// Who is signed in, in which role.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = Me), (status = 401, body = Problem)), extensions(("x-register" = json!(openapi::session()))))]
async fn me(signed: Signed) -> Json<Me> {
    Json(Me::of(&signed.session))
}

// --- pages -------------------------------------------------------------------

#[derive(Deserialize, utoipa::IntoParams)]
struct Back {
    terug: Option<String>,
}

/// Only a local path is a place to go back to: browsers read `//host` and
/// `/\host` as another site, and a control character can split a header.
pub(crate) fn back_to(back: Option<&str>) -> String {
    back.filter(|b| b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') && !b.chars().any(char::is_control)).unwrap_or("/mijn-gegevens").to_string()
}

fn sign_in_markup(error: Option<&FormError>, back: &str, means: &[Means]) -> Markup {
    let query = serde_urlencoded::to_string([("terug", back)]).unwrap_or_default();
    layout(
        "Inloggen",
        None,
        html! {
            (error_summary(error))
            @if !means.is_empty() {
                h2 { "Aanvragers en ondernemers" }
                ul.means {
                    @for m in means {
                        li { a href=(format!("/inloggen/{}?{query}", m.name())) { "Inloggen met " (m.label()) } }
                    }
                }
                h2 { "Medewerkers en accounts met een wachtwoord" }
            }
            form method="post" action="/inloggen" {
                input type="hidden" name="terug" value=(back);
                (Field { autofocus: true, ..Field::new("username", "Gebruikersnaam", "text", "username") }.render(error))
                (Field::new("password", "Wachtwoord", "password", "current-password").render(error))
                button type="submit" { "Verder" }
            }
            p { "Na je wachtwoord vragen wij een code uit je authenticator-app." }
        },
    )
}

/// Step one of signing in: user name and password.
#[utoipa::path(get, path = "/inloggen", tag = "pages", params(Back), responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::session()))))]
async fn sign_in_form(State(state): State<AppState>, Query(back): Query<Back>) -> Markup {
    sign_in_markup(None, &back_to(back.terug.as_deref()), &state.means())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"username": "anna", "password": "paard op het wad"}))]
struct Credentials {
    username: String,
    password: String,
    terug: Option<String>,
}

/// Checks the password; on success the code is asked next.
#[utoipa::path(post, path = "/inloggen", tag = "pages", request_body(content = Credentials, content_type = "application/x-www-form-urlencoded"),
    responses((status = 429, content_type = "text/html", description = "Too many forms from this address; see Retry-After"), (status = 303, description = "On to the code"), (status = 401, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::session()))))]
async fn sign_in_page(State(state): State<AppState>, visitor: Visitor, Form(form): Form<Credentials>) -> Result<Response, ServerError> {
    let back = back_to(form.terug.as_deref());
    let (now, origin) = (visitor.now, visitor.origin);
    let started = state.run_waiting(move |services| told(services.accounts.sign_in_with_password(&form.username, &form.password, &origin, now))).await?;
    Ok(match started {
        Ok((token, _)) => {
            let to = format!("/inloggen/code?{}", serde_urlencoded::to_string([("terug", back.as_str())]).unwrap_or_default());
            with_cookie(session_cookie(&state, &token), &to)
        }
        Err(e) => (failure_status(&e), sign_in_markup(Some(&sign_in_error(&state, &e)), &back, &state.means())).into_response(),
    })
}

fn failure_status(e: &AccountError) -> StatusCode {
    if matches!(e, AccountError::Locked { .. }) { StatusCode::TOO_MANY_REQUESTS } else { StatusCode::UNAUTHORIZED }
}

/// A refused sign-in step as the form shows it. A wrong name or password
/// names no field: which of the two was wrong is not told.
fn sign_in_error(state: &AppState, e: &AccountError) -> FormError {
    let field = match e {
        AccountError::WrongCode => Some("code"),
        AccountError::WeakPassword(_) => Some("password"),
        _ => None,
    };
    FormError { field, message: e.explain_nl(state.kernel().register()) }
}

fn code_markup(error: Option<&FormError>, back: &str, passkey: bool) -> Response {
    let page = layout(
        "Code uit je app",
        None,
        html! {
            (error_summary(error))
            form method="post" action="/inloggen/code" {
                input type="hidden" name="terug" value=(back);
                (Field { inputmode: Some("numeric"), autofocus: true, ..Field::new("code", "Code (6 cijfers) of herstelcode", "text", "one-time-code") }.render(error))
                button type="submit" { "Inloggen" }
            }
            @if passkey {
                h2 { "Of met je passkey" }
                div #passkey data-passkey="sign-in" data-terug=(back) {
                    p { "Heb je een passkey toegevoegd? Dan hoef je geen code te typen." }
                    button type="button" id="passkey-inloggen" { "Inloggen met je passkey" }
                    p id="passkey-status" role="status" {}
                }
                noscript { p { "Voor een passkey is JavaScript nodig; zet het aan voor deze site, of typ de code." } }
                script src="/static/passkey.js" defer {}
            }
        },
    );
    // Only a page that offers the passkey runs script.
    if passkey { with_script(page.into_response()) } else { page.into_response() }
}

/// Whether the code page offers the passkey: the session waits for its
/// second step and its account is staff's with a passkey. A failure to
/// find out only leaves the passkey out (and is logged).
async fn offers_passkey(state: &AppState, visitor: &Visitor) -> bool {
    let Some((_, session)) = visitor.session.clone().filter(|(_, s)| s.stage == Stage::SecondFactor) else { return false };
    let (origin, now) = (visitor.origin.clone(), visitor.now);
    match state.run(move |services| Ok(services.accounts.can_use_passkey(&session, &origin, now)?)).await {
        Ok(offered) => offered,
        Err(e) => {
            tracing::warn!(error = %e, "could not tell whether the account has a passkey; the code page offers none");
            false
        }
    }
}

/// Step two of signing in: the code from the authenticator app (or, where
/// the account has one, the passkey).
#[utoipa::path(get, path = "/inloggen/code", tag = "pages", params(Back), responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::session()))))]
async fn code_form(State(state): State<AppState>, visitor: Visitor, Query(back): Query<Back>) -> Response {
    let passkey = offers_passkey(&state, &visitor).await;
    code_markup(None, &back_to(back.terug.as_deref()), passkey)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "123456"}))]
struct Code {
    code: String,
    terug: Option<String>,
}

/// Checks the code; the session is complete only after this step.
#[utoipa::path(post, path = "/inloggen/code", tag = "pages", request_body(content = Code, content_type = "application/x-www-form-urlencoded"),
    responses((status = 429, content_type = "text/html", description = "Too many forms from this address; see Retry-After"), (status = 303, description = "Signed in"), (status = 401, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::session()))))]
async fn code(State(state): State<AppState>, visitor: Visitor, Form(form): Form<Code>) -> Result<Response, ServerError> {
    let back = back_to(form.terug.as_deref());
    let Some((token, session)) = visitor.session.clone().filter(|(_, s)| s.stage == Stage::SecondFactor) else {
        return Ok(Redirect::to("/inloggen").into_response());
    };
    let (now, origin) = (visitor.now, visitor.origin.clone());
    let advanced = state.run(move |services| told(services.accounts.sign_in_with_code(&token, &session, &form.code, &origin, now))).await?;
    match advanced {
        Ok((token, session)) => Ok(with_cookie(session_cookie(&state, &token), &after_second_factor(&session, back)?)),
        Err(e) => {
            let passkey = offers_passkey(&state, &visitor).await;
            let mut page = code_markup(Some(&sign_in_error(&state, &e)), &back, passkey);
            *page.status_mut() = failure_status(&e);
            Ok(page)
        }
    }
}

/// Where a session goes once its second step is done: a new password
/// first, else back where it came from (staff to the back office rather
/// than "my data").
fn after_second_factor(session: &Session, back: String) -> Result<String, ServerError> {
    Ok(match session.stage {
        Stage::ChangePassword => "/wachtwoord".to_string(),
        _ if !session.role()?.acts_for_a_person() && back == "/mijn-gegevens" => "/beheer".to_string(),
        _ => back,
    })
}

/// The session waiting for its second step, or nobody (to the sign-in page).
fn at_second_factor(visitor: &Visitor) -> Result<(String, Session), ServerError> {
    visitor.session.clone().filter(|(_, s)| s.stage == Stage::SecondFactor).ok_or(ServerError::SignInFirst)
}

/// Step two with a passkey, part one: the options for
/// `navigator.credentials.get`, naming this account's passkeys only. Only
/// in a session whose password was right and whose second step is due.
#[utoipa::path(post, path = "/inloggen/passkey/opties", tag = "pages",
    responses((status = 200, content_type = "application/json", description = "WebAuthn request options"), (status = 303, description = "No session waiting for its second step: to the sign-in page")),
    extensions(("x-register" = json!(openapi::session()))))]
async fn passkey_options(State(state): State<AppState>, visitor: Visitor) -> Result<Json<RequestChallengeResponse>, ServerError> {
    let (token, session) = at_second_factor(&visitor)?;
    let (origin, now) = (visitor.origin, visitor.now);
    let options = state.run(move |services| Ok(services.accounts.start_passkey_sign_in(&token, &session, &origin, now)?)).await?;
    Ok(Json(options))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"credential": {"id": "…", "rawId": "…", "type": "public-key", "response": {"authenticatorData": "…", "clientDataJSON": "…", "signature": "…"}}, "terug": "/beheer"}))]
struct Assertion {
    /// The browser's `PublicKeyCredential`, its binary members in base64url.
    #[schema(value_type = Object)]
    credential: PublicKeyCredential,
    terug: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct SignedIn {
    /// Where the browser goes next.
    naar: String,
}

/// Step two with a passkey, part two: the browser's assertion, checked
/// against the ceremony kept in the session. Right, the session is
/// complete (under a fresh cookie) as after a right code; wrong, it counts
/// as a failed attempt towards the same lock.
#[utoipa::path(post, path = "/inloggen/passkey", tag = "pages", request_body(content = Assertion, content_type = "application/json"),
    responses((status = 200, body = SignedIn), (status = 401, content_type = "text/html"), (status = 429, content_type = "text/html", description = "Locked, or too many forms from this address; see Retry-After")),
    extensions(("x-register" = json!(openapi::session()))))]
async fn passkey(State(state): State<AppState>, visitor: Visitor, Json(form): Json<Assertion>) -> Result<Response, ServerError> {
    let (token, session) = at_second_factor(&visitor)?;
    let (origin, now) = (visitor.origin, visitor.now);
    let (token, session) = state.run(move |services| Ok(services.accounts.sign_in_with_passkey(&token, &session, &form.credential, &origin, now)?)).await?;
    let to = after_second_factor(&session, back_to(form.terug.as_deref()))?;
    Ok(([(header::SET_COOKIE, session_cookie(&state, &token))], Json(SignedIn { naar: to })).into_response())
}

/// The form for a new password; outside the step after a one-time
/// password it asks the current one first.
fn password_markup(error: Option<&FormError>, session: &Session) -> Markup {
    let one_time = session.stage == Stage::ChangePassword;
    layout(
        "Kies een nieuw wachtwoord",
        None,
        html! {
            (error_summary(error))
            @if one_time {
                p { "Je bent ingelogd met een eenmalig wachtwoord. Kies een eigen wachtwoord van minstens 12 tekens; een paar losse woorden is een goed wachtwoord." }
            } @else {
                p { "Typ eerst je huidige wachtwoord. Kies dan een nieuw wachtwoord van minstens 12 tekens; een paar losse woorden is een goed wachtwoord." }
            }
            form method="post" action="/wachtwoord" {
                input type="hidden" name="csrf" value=(session.csrf);
                @if !one_time { (Field::new("current", "Huidig wachtwoord", "password", "current-password").render(error)) }
                (Field::new("password", "Nieuw wachtwoord", "password", "new-password").render(error))
                button type="submit" { "Opslaan" }
            }
        },
    )
}

/// A new password, required after signing in with a one-time password.
#[utoipa::path(get, path = "/wachtwoord", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::session()))))]
async fn password_form(visitor: Visitor) -> Response {
    match visitor.session {
        Some((_, session)) if session.stage != Stage::SecondFactor => password_markup(None, &session).into_response(),
        _ => Redirect::to("/inloggen").into_response(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token", "current": "paard op het wad", "password": "drie losse woorden tegelijk"}))]
struct NewPassword {
    /// The current password; not asked right after a one-time password.
    current: Option<String>,
    password: String,
    csrf: String,
}

/// Sets the new password; every other session of the account ends.
#[utoipa::path(post, path = "/wachtwoord", tag = "pages", request_body(content = NewPassword, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 400, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::session()))))]
async fn password(State(state): State<AppState>, visitor: Visitor, Form(form): Form<NewPassword>) -> Result<Response, ServerError> {
    // The old session ends with the password change, as every session of the account does.
    let Some((_, session)) = visitor.session.clone().filter(|(_, s)| s.stage != Stage::SecondFactor) else {
        return Ok(Redirect::to("/inloggen").into_response());
    };
    if !session.csrf_matches(&form.csrf) {
        return Err(ServerError::Csrf);
    }
    let (now, origin) = (visitor.now, visitor.origin);
    let asked = session.clone();
    let changed =
        state.run_waiting(move |services| told(services.accounts.replace_password(&session, form.current.as_deref(), &form.password, &origin, now))).await?;
    match changed {
        Ok((token, _)) => Ok(with_cookie(session_cookie(&state, &token), "/")),
        Err(e) => {
            let status = if matches!(e, AccountError::WeakPassword(_) | AccountError::NoPassword) { StatusCode::BAD_REQUEST } else { failure_status(&e) };
            let mut error = sign_in_error(&state, &e);
            if matches!(e, AccountError::WrongCredentials) {
                error.field = Some("current");
            }
            Ok((status, password_markup(Some(&error), &asked)).into_response())
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token"}))]
struct CsrfOnly {
    csrf: String,
}

/// Signs out: the session ends on the server, the cookie is cleared; a
/// session that signed in through a broker goes on to the broker to end
/// its session there too (RP-initiated logout), when the broker offers it.
#[utoipa::path(post, path = "/uitloggen", tag = "pages", request_body(content = CsrfOnly, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303)), extensions(("x-register" = json!(openapi::session()))))]
async fn sign_out_page(State(state): State<AppState>, visitor: Visitor, Form(form): Form<CsrfOnly>) -> Result<Response, ServerError> {
    let mut to = "/".to_string();
    if let Some((token, session)) = visitor.session {
        if !session.csrf_matches(&form.csrf) {
            return Err(ServerError::Csrf);
        }
        let after = state.after_broker_logout();
        // The broker sends it back unchanged; ours names the request in our log.
        let logout_state = visitor.trace.to_string();
        state.run(move |services| Ok(services.accounts.end_session(&token)?)).await?;
        if let Some(means) = session.means {
            to = state
                .run_waiting(move |services| {
                    // Ours has ended whatever the broker does; a broker that cannot be reached is logged, not shown.
                    match services.broker(means).and_then(|broker| broker.logout_url(&after, &logout_state)) {
                        Ok(url) => Ok(url),
                        Err(e) => {
                            tracing::warn!(error = %e, "the broker's session could not be ended");
                            Ok(None)
                        }
                    }
                })
                .await?
                .unwrap_or(to);
        }
    }
    Ok(with_cookie(clear_cookie(&state), &to))
}
