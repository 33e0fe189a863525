//! Passkeys: staff add, list and remove them on `/beveiliging` (using one
//! to sign in is the `session` module's). WebAuthn needs the browser's
//! JavaScript, so the pages that use it (this one and the code page) load
//! our one script, `/static/passkey.js`, under a policy that allows script
//! from this site and `fetch` to it (`layout::with_script`). Whether a
//! passkey is right, and whose it is, is the accounts'.

use axum::Form;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use grondslag_accounts::{AccountError, CreationChallengeResponse, PasskeyInfo, RegisterPublicKeyCredential};
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ServerError;
use crate::layout::{layout, with_script};
use crate::openapi;
use crate::state::AppState;
use crate::visitor::Signed;

/// Our one script: the WebAuthn ceremonies in the browser.
const SCRIPT: &str = include_str!("passkey.js");

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(script)).routes(routes!(security_page)).routes(routes!(enrol_options)).routes(routes!(enrol)).routes(routes!(remove))
}

/// The script of the passkey pages (our own, served from this site, so
/// that `script-src 'self'` suffices and no inline script is needed).
#[utoipa::path(get, path = "/static/passkey.js", tag = "pages", responses((status = 200, content_type = "text/javascript")), extensions(("x-register" = json!(openapi::public()))))]
async fn script() -> Response {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT).into_response()
}

/// The CSRF token a script sends with a request that changes something.
fn csrf_header(headers: &HeaderMap) -> &str {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

fn security_markup(signed: &Signed, offered: bool, passkeys: Result<Vec<PasskeyInfo>, String>) -> Markup {
    layout(
        "Beveiliging van je account",
        Some(signed),
        html! {
            @match passkeys {
                Err(reason) => {
                    div.refusal data-code="passkey_staff_only" { p.detail { (reason) } }
                }
                Ok(passkeys) => {
                    p { "Naast je wachtwoord log je in met een tweede stap: de code uit je authenticator-app, of een passkey op dit apparaat of je beveiligingssleutel." }
                    h2 { "Je passkeys" }
                    @if passkeys.is_empty() {
                        p { "Je hebt nog geen passkey." }
                    } @else {
                        table.passkeys {
                            thead { tr { th scope="col" { "Naam" } th scope="col" { "Toegevoegd" } th scope="col" { "Laatst gebruikt" } th scope="col" { "Actie" } } }
                            tbody {
                                @for passkey in &passkeys {
                                    tr {
                                        td { (passkey.name) }
                                        td { (grondslag_values::dutch::moment(passkey.added)) }
                                        td { @match passkey.last_used { Some(at) => (grondslag_values::dutch::moment(at)), None => "nog niet" } }
                                        td {
                                            form method="post" action={ "/beveiliging/passkeys/" (passkey.id) "/verwijderen" } {
                                                input type="hidden" name="csrf" value=(signed.session.csrf);
                                                button type="submit" aria-label={ "Passkey " (passkey.name) " verwijderen" } { "Verwijderen" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    h2 { "Passkey toevoegen" }
                    @if offered {
                        div #passkey data-passkey="enrol" data-csrf=(signed.session.csrf) {
                            label for="passkey-naam" { "Naam van de passkey" }
                            span.hint id="passkey-naam-hint" { "Bijvoorbeeld de naam van je laptop of sleutel, zodat je hem later herkent." }
                            input id="passkey-naam" type="text" maxlength="60" autocomplete="off" aria-describedby="passkey-naam-hint";
                            button type="button" id="passkey-toevoegen" { "Passkey toevoegen" }
                            p id="passkey-status" role="status" {}
                        }
                        noscript { p { "Voor een passkey is JavaScript nodig; zet het aan voor deze site." } }
                        script src="/static/passkey.js" defer {}
                    } @else {
                        p.notice data-code="passkeys_unavailable" {
                            "Passkeys zijn hier niet beschikbaar: de dienst is niet ingesteld op een domeinnaam (met --public-origin), en een passkey werkt niet op een IP-adres. Log in met de code uit je app."
                        }
                    }
                }
            }
        },
    )
}

/// The security of one's account: one's passkeys, adding and removing
/// them. Staff only; to an applicant or a representative it says why not.
#[utoipa::path(get, path = "/beveiliging", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::session()))))]
async fn security_page(State(state): State<AppState>, signed: Signed) -> Result<Response, ServerError> {
    let (session, origin, now) = (signed.session.clone(), signed.visitor.origin.clone(), signed.visitor.now);
    let listed = state
        .run(move |services| {
            let offered = services.accounts.passkeys_offered();
            match services.accounts.passkeys(&session, &origin, now) {
                Ok(list) => Ok((offered, Ok(list))),
                Err(e @ AccountError::PasskeyStaffOnly(_)) => Ok((offered, Err(e.explain_nl(services.kernel.register())))),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    let (offered, passkeys) = listed;
    Ok(with_script(security_markup(&signed, offered, passkeys).into_response()))
}

/// Adding a passkey, step one: the options for `navigator.credentials.create`.
#[utoipa::path(post, path = "/beveiliging/passkeys/opties", tag = "pages",
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, content_type = "application/json", description = "WebAuthn creation options"), (status = 403, content_type = "text/html", description = "Not staff (passkey_staff_only), or no CSRF token")),
    extensions(("x-register" = json!(openapi::session()))))]
async fn enrol_options(State(state): State<AppState>, signed: Signed, headers: HeaderMap) -> Result<Json<CreationChallengeResponse>, ServerError> {
    signed.check_csrf(csrf_header(&headers))?;
    let Some((token, session)) = signed.visitor.session.clone() else { return Err(ServerError::SignInFirst) };
    let (origin, now) = (signed.visitor.origin.clone(), signed.visitor.now);
    let options = state.run(move |services| Ok(services.accounts.start_passkey_enrolment(&token, &session, &origin, now)?)).await?;
    Ok(Json(options))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"name": "Laptop", "credential": {"id": "…", "rawId": "…", "type": "public-key", "response": {"attestationObject": "…", "clientDataJSON": "…"}}}))]
struct NewPasskey {
    /// The name its holder gives it.
    name: String,
    /// The browser's `PublicKeyCredential`, its binary members in base64url.
    #[schema(value_type = Object)]
    credential: RegisterPublicKeyCredential,
}

#[derive(Serialize, utoipa::ToSchema)]
struct Added {
    id: String,
    name: String,
}

/// Adding a passkey, step two: the browser's answer, checked against the
/// ceremony kept in the session, stored under its name.
#[utoipa::path(post, path = "/beveiliging/passkeys", tag = "pages", request_body(content = NewPasskey, content_type = "application/json"),
    params(("X-CSRF-Token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201, body = Added), (status = 400, content_type = "text/html"), (status = 403, content_type = "text/html"), (status = 409, content_type = "text/html")),
    extensions(("x-register" = json!(openapi::session()))))]
async fn enrol(State(state): State<AppState>, signed: Signed, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ServerError> {
    // The token first: a request without it is refused as such, whatever it sends.
    signed.check_csrf(csrf_header(&headers))?;
    let form: NewPasskey = serde_json::from_slice(&body).map_err(|e| ServerError::BadRequest(format!("the body is not a new passkey: {e}")))?;
    let Some((token, session)) = signed.visitor.session.clone() else { return Err(ServerError::SignInFirst) };
    let (origin, now) = (signed.visitor.origin.clone(), signed.visitor.now);
    let added =
        state.run(move |services| Ok(services.accounts.finish_passkey_enrolment(&token, &session, &form.name, &form.credential, &origin, now)?)).await?;
    Ok((axum::http::StatusCode::CREATED, Json(Added { id: added.id, name: added.name })).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(example = json!({"csrf": "the session's CSRF token"}))]
struct CsrfOnly {
    csrf: String,
}

/// Removes one of one's passkeys.
#[utoipa::path(post, path = "/beveiliging/passkeys/{id}/verwijderen", tag = "pages",
    params(("id" = String, Path, description = "The passkey, as the page lists it", example = "0")),
    request_body(content = CsrfOnly, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303), (status = 404, content_type = "text/html")), extensions(("x-register" = json!(openapi::session()))))]
async fn remove(State(state): State<AppState>, signed: Signed, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> Result<Response, ServerError> {
    signed.check_csrf(&form.csrf)?;
    let (session, origin, now) = (signed.session.clone(), signed.visitor.origin.clone(), signed.visitor.now);
    state.run(move |services| Ok(services.accounts.remove_passkey(&session, &id, &origin, now)?)).await?;
    Ok(Redirect::to("/beveiliging").into_response())
}
