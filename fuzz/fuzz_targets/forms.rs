//! The pages' forms, as a browser posts them (`application/x-www-form-urlencoded`):
//! any body sent to a public form goes through the whole service — its
//! layers, the form's decoding, the handler and the kernel on a real
//! SQLite store — and is answered, never with a fault of ours (5xx) nor a
//! panic. The first byte picks the form, the rest is the body.
//!
//! Only the forms anyone may send: the others refuse a request without a
//! session before they decode its body. A request here has no peer
//! address, so the limit on anonymous posts counts none of them and every
//! input reaches its form.
#![no_main]

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_fuzz::{World, world};
use grondslag_server::{AppState, Config, app};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

/// The public forms, by the path they post to.
const FORMS: [&str; 4] = ["/contact", "/nieuwsbrief", "/nieuwsbrief/afmelden", "/acuut-onveilig"];

struct Service {
    router: Router,
    runtime: tokio::runtime::Runtime,
    _world: World,
}

static SERVICE: LazyLock<Service> = LazyLock::new(|| {
    let world = world();
    let config = Config::default();
    let areas = AreaLists::parse("areas.csv", SAMPLE).expect("the shipped area lists read");
    let state = AppState::new(world.kernel.clone(), areas, &config).expect("the service's state on a new kernel");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime for the service");
    Service { router: app(state, &config), runtime, _world: world }
});

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    let path = FORMS[usize::from(which) % FORMS.len()];
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, "127.0.0.1:8080")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_vec()))
        .expect("a request to a fixed path");
    let service = &*SERVICE;
    let response = service.runtime.block_on(service.router.clone().oneshot(request)).expect("the router answers every request");
    assert!(!response.status().is_server_error(), "{path}: {} for body {:?}", response.status(), String::from_utf8_lossy(body));
});
