//! The application JSON import (`case create FILE`): any file is refused
//! as JSON, or filed through the kernel as a case handler files it, on a
//! real SQLite store. A refusal is the filer's to fix (what the service
//! would answer 4xx), never a fault of ours (5xx) nor a panic; a case that
//! is filed under a number of its own can be opened again under it (an
//! opinion or objection is filed under the number of the case it is about).
#![no_main]

use std::sync::LazyLock;

use axum::response::IntoResponse;
use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_claims::cases::{Application, Cases};
use grondslag_fuzz::{World, now, world};
use grondslag_kernel::Access;
use grondslag_register::Role;
use grondslag_server::ServerError;
use libfuzzer_sys::fuzz_target;

static WORLD: LazyLock<(World, AreaLists)> = LazyLock::new(|| (world(), AreaLists::parse("areas.csv", SAMPLE).expect("the shipped area lists read")));

fuzz_target!(|data: &[u8]| {
    let Ok(application) = serde_json::from_slice::<Application>(data) else { return };
    let (world, areas) = &*WORLD;
    let cases = Cases::new(&world.kernel, areas.clone());
    let access = Access::new("fuzz", Role::CaseHandler, "fuzz", now());
    match cases.file(&access, &application) {
        Ok(filed) if application.details.about_case.is_none() => {
            let number = filed.number.to_string();
            assert!(cases.show(&access, &number).is_ok(), "case {number} was filed but cannot be opened");
        }
        Ok(_) => {}
        Err(refused) => {
            let message = refused.to_string();
            let status = ServerError::from(refused).into_response().status();
            assert!(status.is_client_error(), "{status} for the filer's mistake: {message}");
        }
    }
});
