//! The JSON API's version, as the NL API Design Rules (Logius) ask: the
//! major version in the path (`/api/v1/…`, rule /core/uri-version), the
//! full version in an `API-Version` header on every API response, errors
//! included (/core/version-header), and the same version as `info.version`
//! of the OpenAPI document.
//!
//! The paths before the version was in them (`/api/…`) answer
//! `308 Permanent Redirect` to the same path under `/api/v1/` for one
//! release, with a `Deprecation` header (RFC 9745), so that clients see
//! where to go and keep their method and body.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error;

/// The API's full version (semantic versioning): the `API-Version`
/// header and the OpenAPI document's `info.version`.
pub const API_VERSION: &str = "1.0.0";

/// Where every path of the current major version starts.
pub(crate) const CURRENT: &str = "/api/v1";

/// Where every API path starts, of any version and of none: what tells an
/// API request from a page request.
pub(crate) const API_ROOT: &str = "/api/";

/// When the unversioned paths were deprecated (1 December 2026), as RFC
/// 9745's structured date.
const UNVERSIONED_DEPRECATED: &str = "@1796083200";

/// Whether `path` is one of the API's, old or current.
pub(crate) fn is_api(path: &str) -> bool {
    path.starts_with(API_ROOT)
}

/// Puts `API-Version` on every response to an API path.
pub(crate) async fn api_version_header(request: Request, next: Next) -> Response {
    let api = is_api(request.uri().path());
    let mut response = next.run(request).await;
    if api {
        response.headers_mut().insert(HeaderName::from_static("api-version"), HeaderValue::from_static(API_VERSION));
    }
    response
}

/// The fallback: an unversioned API path is redirected to its place
/// under `/api/v1/`; anything else does not exist.
pub(crate) async fn moved_or_not_found(request: Request) -> Response {
    let uri = request.uri();
    match uri.path().strip_prefix(API_ROOT).filter(|rest| !names_a_version(rest)) {
        Some(rest) => {
            let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            let target = format!("{CURRENT}/{rest}{query}");
            match HeaderValue::from_str(&target) {
                Ok(location) => (
                    StatusCode::PERMANENT_REDIRECT,
                    [(header::LOCATION, location), (HeaderName::from_static("deprecation"), HeaderValue::from_static(UNVERSIONED_DEPRECATED))],
                )
                    .into_response(),
                // A path that cannot be a header value cannot be one of ours either.
                Err(_) => error::not_found().await.into_response(),
            }
        }
        None => error::not_found().await.into_response(),
    }
}

/// Whether the part after `/api/` starts with a major version (`v1`,
/// `v2`, …): such a path is versioned already, and missing if not routed.
fn names_a_version(rest: &str) -> bool {
    let first = rest.split('/').next().unwrap_or_default();
    first.strip_prefix('v').is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}
