//! Signing in with DigiD, DigiD Machtigen and eHerkenning through a
//! broker (OpenID Connect; the protocol is `grondslag-broker`'s, the
//! accounts `grondslag-accounts`'): the link that starts it, the address
//! the broker sends the browser back to, and the page after signing out
//! at the broker too.
//!
//! The browser comes back from the broker's site. The session cookie is
//! `SameSite=Strict`, so a browser would not send it on a redirect that
//! started elsewhere: the return address answers with a page that goes
//! on by itself (a meta refresh, which is a navigation of ours), and the
//! sign-in under way is bound to the browser by a cookie of its own,
//! `SameSite=Lax` (sent on the broker's top-level redirect back), that
//! holds only the key of what the server keeps.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use grondslag_broker::{BrokerError, Means, Pending};
use jiff::SignedDuration;
use maud::{Markup, html};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ServerError;
use crate::layout::layout;
use crate::openapi;
use crate::session::{back_to, session_cookie};
use crate::state::AppState;
use crate::visitor::{Visitor, cookie};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(start)).routes(routes!(finish)).routes(routes!(signed_out))
}

/// How long a sign-in at the broker may take.
const ATTEMPT: SignedDuration = SignedDuration::from_mins(10);

fn means(name: &str) -> Result<Means, ServerError> {
    Means::from_name(name).ok_or_else(|| ServerError::NotFound(format!("no means of signing in `{name}`; use digid, digid-machtigen or eherkenning")))
}

fn attempt_cookie(state: &AppState) -> &'static str {
    if state.secure() { "__Secure-inlogpoging" } else { "inlogpoging" }
}

fn attempt_cookie_with(state: &AppState, value: &str, max_age: i64) -> String {
    let secure = if state.secure() { "; Secure" } else { "" };
    format!("{}={value}; Path=/inloggen; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}", attempt_cookie(state))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct Back {
    /// Where to go once signed in (a local path).
    terug: Option<String>,
}

/// Starts signing in with a means (`digid`, `digid-machtigen`,
/// `eherkenning`): sends the browser to the broker, with PKCE, `state` and
/// `nonce`, asking for level substantieel at least.
#[utoipa::path(get, path = "/inloggen/{means}", tag = "pages",
    params(("means" = String, Path, description = "digid, digid-machtigen or eherkenning", example = "digid"), Back),
    responses((status = 303, description = "To the broker"), (status = 404, content_type = "text/html", description = "Not configured here"), (status = 502, content_type = "text/html", description = "The broker cannot be reached")),
    extensions(("x-register" = json!(openapi::public()))))]
async fn start(State(state): State<AppState>, visitor: Visitor, Path(name): Path<String>, Query(back): Query<Back>) -> Result<Response, ServerError> {
    let means = means(&name)?;
    let back = back_to(back.terug.as_deref());
    let redirect = state.broker_return(means);
    let now = visitor.now;
    let (url, token) = state
        .run_waiting(move |services| {
            let (url, pending) = services.broker(means)?.start(&redirect, &back)?;
            let body = serde_json::to_vec(&pending).map_err(|e| ServerError::Internal(format!("a sign-in could not be kept: {e}")))?;
            Ok((url, services.accounts.park(body, ATTEMPT, now)?))
        })
        .await?;
    let mut response = Redirect::to(&url).into_response();
    if let Ok(value) = HeaderValue::from_str(&attempt_cookie_with(&state, &token, ATTEMPT.as_secs())) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Deserialize, utoipa::IntoParams)]
struct Answer {
    /// The authorisation code.
    code: Option<String>,
    /// Our `state`, sent back.
    state: Option<String>,
    /// The broker's issuer (RFC 9207), checked when sent.
    iss: Option<String>,
    /// Set when the broker ended the sign-in (OAuth 2.0 error code).
    error: Option<String>,
}

/// Where the broker sends the browser back: the code is exchanged, the ID
/// token checked (signature, issuer, audience, expiry, nonce, level), and
/// the person signed in to their own file; a refusal is a page that says
/// why.
#[utoipa::path(get, path = "/inloggen/{means}/terug", tag = "pages",
    params(("means" = String, Path, description = "digid, digid-machtigen or eherkenning", example = "digid"), Answer),
    responses((status = 200, content_type = "text/html", description = "Signed in; the page goes on to where the person was going"),
        (status = 400, content_type = "text/html", description = "No sign-in under way in this browser, or it expired or was used"),
        (status = 401, content_type = "text/html", description = "Not signed in: the answer was refused, with the reason"),
        (status = 403, content_type = "text/html", description = "The level of assurance is too low")),
    extensions(("x-register" = json!(openapi::public()))))]
async fn finish(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(answer): Query<Answer>,
) -> Result<Response, ServerError> {
    let means = means(&name)?;
    let attempt = cookie(&headers, attempt_cookie(&state)).map(str::to_string);
    let redirect = state.broker_return(means);
    let (now, origin) = (visitor.now, visitor.origin);
    let signed_in = state
        .run_waiting(move |services| {
            // Taken whatever the answer: an attempt is used once.
            let parked = match attempt {
                Some(token) => services.accounts.unpark(&token, now)?,
                None => None,
            };
            let pending: Pending = parked.and_then(|body| serde_json::from_slice(&body).ok()).ok_or(BrokerError::UnknownAttempt)?;
            if let Some(error) = answer.error {
                return Err(BrokerError::Ended { means, error }.into());
            }
            let (Some(code), Some(returned)) = (answer.code.clone(), answer.state.clone()) else { return Err(BrokerError::UnknownAttempt.into()) };
            let answer = grondslag_broker::Answer { code: &code, state: &returned, iss: answer.iss.as_deref() };
            let identity = services.broker(means)?.finish(&pending, &redirect, &answer, now)?;
            let (token, _) = services.accounts.sign_in_with_broker(means, &identity, &origin, now)?;
            Ok((token, pending.back))
        })
        .await;
    let clear = attempt_cookie_with(&state, "", 0);
    let mut response = match signed_in {
        Ok((token, back)) => {
            let mut response = onward(means, &back).into_response();
            if let Ok(value) = HeaderValue::from_str(&session_cookie(&state, &token)) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(e) => e.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// Signed in: the page goes on by itself, so that the browser sends the
/// new `SameSite=Strict` cookie (it would not on a redirect from the broker).
fn onward(means: Means, back: &str) -> Markup {
    layout(
        "Je bent ingelogd",
        None,
        html! {
            meta http-equiv="refresh" content=(format!("0;url={back}"));
            p { "Je bent ingelogd met " (means.label()) "." }
            p { a href=(back) { "Ga verder" } }
        },
    )
}

/// After signing out at the broker too.
#[utoipa::path(get, path = "/uitgelogd", tag = "pages", responses((status = 200, content_type = "text/html")), extensions(("x-register" = json!(openapi::public()))))]
async fn signed_out() -> Markup {
    layout(
        "Je bent uitgelogd",
        None,
        html! {
            p { "Je bent uitgelogd bij het IMG en bij de inlogdienst (DigiD of eHerkenning)." }
            p { a href="/" { "Naar de startpagina" } }
        },
    )
}
