//! The HTTP service: a JSON API, server-rendered pages in Dutch, and
//! sign-in with two factors.
//!
//! Thin on purpose, in the manner of axum's examples: a handler extracts
//! (the visitor, a signed-in person, a form), calls one domain operation
//! (of claims, rights, channels, accounts) on a blocking thread (the kernel
//! is synchronous; SQLite and the audit append are blocking work), and
//! returns a page or JSON; every error is mapped to a response in one
//! place ([`ServerError`]). Nothing here decides who may see what: the
//! domain operation asks the kernel, which decides from the register for
//! the role a session acts in and the relations of the session's person
//! (their own file, their principals', the cases assigned to them). Each
//! route says in the OpenAPI document which decisions it rests on
//! (see the `openapi` module).
//!
//! One module per area — `session`, `broker`, `passkeys`, `me`, `public`, `cases`, `rights`,
//! `back_office`, `kcc`, `ldv` — each with its JSON routes and its pages; they
//! use the shared `layout`, `views`, `visitor`, `state`, `error`,
//! `openapi` and `version`, and never each other, nor does anything shared use an area.
//!
//! Security that holds for every response is applied as layers: strict
//! headers (a Content-Security-Policy without inline script, no framing,
//! no sniffing, no caching of personal data, HSTS under TLS), a request
//! body limit, a request timeout. Forms carry the session's CSRF token;
//! cookies are HttpOnly and SameSite=Strict, and Secure under TLS.

#![warn(missing_docs)]

mod back_office;
mod broker;
mod cases;
mod conformance;
mod error;
mod kcc;
mod layout;
mod ldv;
mod limits;
mod me;
mod openapi;
mod passkeys;
mod public;
mod rights;
mod session;
mod staff;
mod state;
mod version;
mod views;
mod visitor;
mod workers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use grondslag_accounts::{Accounts, Policy};
use grondslag_claims::area::AreaLists;
use grondslag_kernel::Kernel;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use conformance::SecurityTxt;
pub use error::ServerError;
pub use ldv::base_uri_mismatch;
pub use limits::Rate;
pub use state::AppState;
pub use version::API_VERSION;

/// How the service runs; every field has a working default.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Certificate and key (PEM) for TLS; plain HTTP without them.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Session lifetime and sign-in limits for accounts.
    pub policy: Policy,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// A request taking longer is answered with 408.
    pub request_timeout: Duration,
    /// How often the retention sweep runs.
    pub sweep_every: Duration,
    /// What `/.well-known/security.txt` says; without it, what the
    /// register says ([`SecurityTxt::from_register`]).
    pub security_txt: Option<SecurityTxt>,
    /// The origin clients reach this service at (e.g.
    /// `https://register.example.nl`) when it is behind a proxy; by default
    /// the scheme and [`Config::listen`]. The OpenAPI document's `servers`.
    pub public_origin: Option<String>,
    /// The means of signing in through a broker (DigiD, DigiD Machtigen,
    /// eHerkenning), from `--brokers FILE`; none by default.
    pub brokers: Vec<grondslag_broker::ProviderConfig>,
    /// POSTs each client address may send without signing in (the public
    /// forms, signing in), per window.
    pub anonymous_limit: Rate,
    /// A header the proxy in front sets to the client's address (e.g.
    /// `X-Forwarded-For`; its last entry counts); without it, the peer's.
    pub client_address_header: Option<HeaderName>,
    /// Threads that run the kernel's work (`crate::workers`).
    pub workers: std::num::NonZeroUsize,
}

impl Config {
    /// The origin clients reach this service at.
    pub fn origin(&self) -> String {
        match &self.public_origin {
            Some(origin) => origin.trim_end_matches('/').to_string(),
            None => format!("{}://{}", if self.tls.is_some() { "https" } else { "http" }, self.listen),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            tls: None,
            policy: Policy::default(),
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            sweep_every: Duration::from_secs(24 * 60 * 60),
            public_origin: None,
            security_txt: None,
            brokers: Vec::new(),
            anonymous_limit: Rate::default(),
            client_address_header: None,
            workers: four_per_processor(),
        }
    }
}

/// How many worker threads a service runs by default: four per processor.
pub fn four_per_processor() -> std::num::NonZeroUsize {
    // Not knowing the count, a machine of two.
    let processors = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    std::num::NonZeroUsize::new(4 * processors).unwrap_or(std::num::NonZeroUsize::MIN)
}

impl AppState {
    /// The state of a service on `kernel` (which archived the register's
    /// versions when it opened, so every version an audit entry names
    /// resolves at `/processing_activities/{id}/versions/…`).
    pub fn new(kernel: Arc<Kernel>, areas: AreaLists, config: &Config) -> Result<AppState, ServerError> {
        let security_txt = config.security_txt.clone().unwrap_or_else(|| SecurityTxt::from_register(kernel.register(), None));
        // Passkeys only where browsers reach us by a domain name (WebAuthn refuses an IP address).
        let accounts = Accounts::new(kernel, config.policy.clone())?.with_passkeys_at(config.public_origin.as_deref());
        let brokers = config.brokers.iter().cloned().map(grondslag_broker::Provider::new).collect();
        AppState::from_parts(accounts, areas, security_txt, brokers, config)
    }
}

/// The Content-Security-Policy of every response: our own styles and
/// forms only, no script, no framing. Signing out of a session that signed
/// in through a broker is a form whose answer sends the browser on to the
/// broker (to end its session too), which `form-action` must allow. The
/// two staff pages that run our passkey script set their own
/// (`layout::CSP_WITH_SCRIPT`), which this layer keeps.
fn content_security_policy(brokers: &[grondslag_broker::ProviderConfig]) -> String {
    let mut form_action = String::from("'self'");
    for origin in brokers.iter().filter_map(grondslag_broker::ProviderConfig::origin) {
        form_action.push(' ');
        form_action.push_str(&origin);
    }
    format!("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'")
}

/// Every route, pages and API, with the OpenAPI document of them.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(public::routes())
        .merge(conformance::routes())
        .merge(session::routes())
        .merge(broker::routes())
        .merge(passkeys::routes())
        .merge(me::routes())
        .merge(cases::routes())
        .merge(rights::routes())
        .merge(back_office::routes())
        .merge(kcc::routes())
        .merge(staff::routes())
        .merge(ldv::routes())
}

/// The OpenAPI document of the service reached at `origin`, as it serves
/// it at `/api/v1/openapi.json`: the API's paths relative to its server
/// `{origin}/api/v1`, the pages' and the LDV register's under `origin`,
/// with the contact of the register's `[contact]`.
pub fn openapi_document(register: &grondslag_register::Register, origin: &str) -> serde_json::Value {
    let (_, document) = routes().split_for_parts();
    openapi::for_clients(&document, register, origin)
}

/// The whole application: pages, API, and the layers that hold for every
/// response.
pub fn app(state: AppState, config: &Config) -> Router {
    let (routes, document) = routes().split_for_parts();
    let document = Arc::new(openapi::for_clients(&document, state.kernel().register(), &config.origin()));
    let mut router = routes
        .route(&format!("{}/openapi.json", version::CURRENT), axum::routing::get(move || openapi::serve(document.clone())))
        .fallback(version::moved_or_not_found)
        .layer(axum::middleware::from_fn(visitor::same_origin))
        .layer(axum::middleware::from_fn_with_state(state.clone(), limits::anonymous_posts))
        .layer(axum::middleware::from_fn_with_state(state.clone(), layout::render_errors))
        .layer(axum::middleware::from_fn(visitor::trace_context))
        .with_state(state)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(config.body_limit))
        // Outside every other layer, so that whatever answers (a redirect, a
        // timeout, a body over the limit) carries the version.
        .layer(axum::middleware::from_fn(version::api_version_header));
    // A page with a stricter or more specific policy of its own (the
    // statement allows its inline style by hash) keeps it.
    let csp = HeaderValue::from_str(&content_security_policy(&config.brokers)).unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"));
    router = router.layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp));
    let headers: [(HeaderName, &'static str); 5] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // `no-referrer` would make browsers send `Origin: null` on our own forms,
        // which the same-origin check must then refuse; same-origin still
        // tells other sites nothing.
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    ];
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value)));
    }
    if config.tls.is_some() {
        router = router
            .layer(SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains")));
    }
    router
}

/// Serves until `shutdown` completes; then finishes the requests in flight,
/// and the work they left running, and returns (the caller drops the
/// kernel, which seals the audit log).
/// Runs the retention sweep every `config.sweep_every`.
pub async fn serve(state: AppState, config: Config, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), ServerError> {
    let router = app(state.clone(), &config).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let sweeper = tokio::spawn(sweep_daily(state.clone(), config.sweep_every));
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let served = match &config.tls {
        Some((cert, key)) => {
            // More than one crypto back end can end up linked in (through
            // dependencies), and rustls then refuses to guess: name ours.
            // An error only says one is installed already, which is fine.
            let _already_installed = rustls::crypto::ring::default_provider().install_default();
            let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                .await
                .map_err(|e| ServerError::Start(format!("cannot read the TLS certificate {} or key {}: {e}", cert.display(), key.display())))?;
            axum_server::bind_rustls(config.listen, tls).handle(handle).serve(router).await
        }
        None => axum_server::bind(config.listen).handle(handle).serve(router).await,
    };
    sweeper.abort();
    // A request that timed out, or whose client left, and a sweep under
    // way leave their work running: it finishes before the caller seals.
    state.finish_work().await?;
    served.map_err(|e| ServerError::Start(format!("cannot serve on {}: {e}", config.listen)))
}

/// The retention sweep, run by the service itself so that nobody has to
/// remember it; each run is in the audit log with its certificates.
async fn sweep_daily(state: AppState, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let swept = state
            .run(|services| {
                let now = jiff::Timestamp::now();
                let access = grondslag_kernel::Access::new(
                    grondslag_accounts::system_actor::SERVICE_RETENTION,
                    grondslag_register::Role::System,
                    "grondslag serve",
                    now,
                );
                let certificates = services.kernel.sweep(&access, now, 1000, None, |_| ())?;
                services.kernel.forget_audit(&access, 1000, |_| ())?;
                Ok(certificates)
            })
            .await;
        match swept {
            Ok(certificates) => tracing::info!(batches = certificates.len(), "retention sweep done"),
            Err(e) => tracing::error!(error = %e, "retention sweep failed; it runs again at the next interval"),
        }
    }
}
