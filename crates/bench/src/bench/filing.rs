//! Filing a case end to end: the kernel calls of one filing in one unit of
//! work (one transaction), beside the same calls each in a transaction of
//! its own, as filing was made before the unit of work.

use std::time::Instant;

use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_claims::cases::{Application, Cases};
use grondslag_kernel::{Access, DataDir, Detail, Kernel, KernelError, Value};
use grondslag_register::{Action, Category, Role};

use super::{Kernels, rate};
use crate::Failure;

/// `filings` physical-damage applications (new applicants, each for a home
/// of its own on one street, the automated checks), each way in a store of
/// its own. A home of its own, as in a real population: filed for one
/// object, each filing would look up all the filings before it.
pub(super) fn bench(kernels: &Kernels<'_>, filings: u32) -> Result<(), Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let open = |name: &str| -> Result<Kernel, Failure> { kernels.open(&DataDir::new(dir.path().join(name))) };
    let access = Access::new("bench", Role::CaseHandler, "cli:bench", jiff::Timestamp::now());
    let applications = (1..=filings)
        .map(|house| {
            serde_json::from_value(serde_json::json!({
                "scheme": "fysieke_schade",
                "applicant": { "name": "Anna de Vries", "phone": "0595 123 456", "email": "anna@example.nl" },
                "object": { "kind": "home", "address": format!("Hoofdstraat {house}"), "postcode_city": "9981 AB Uithuizen" },
                "details": { "damage_arose": "2026-03-01" }
            }))
        })
        .collect::<Result<Vec<Application>, _>>()?;

    let kernel = open("unit")?;
    let cases = Cases::new(&kernel, AreaLists::parse("shipped sample", SAMPLE)?);
    let started = Instant::now();
    for application in &applications {
        cases.file(&access, application)?;
    }
    let unit = rate(filings, started.elapsed());

    let kernel = open("calls")?;
    let started = Instant::now();
    for house in 1..=filings {
        file_call_by_call(&kernel, &access, house)?;
    }
    let calls = rate(filings, started.elapsed());

    println!("filing a case end to end ({filings} filings: lookup, record, event, number, index, automated checks):");
    println!("  one transaction (unit of work)          {unit:10.0} filings/s");
    println!("  baseline (a transaction per kernel call) {calls:10.0} filings/s");
    println!("  ratio one/per call {:6.2}x", unit / calls);
    Ok(())
}

/// The kernel calls `Cases::file` makes for the application above for the
/// home at `house`, each in a transaction of its own.
fn file_call_by_call(kernel: &Kernel, access: &Access, house: u32) -> Result<(), Failure> {
    let damage = kernel.processing("fysieke_schade")?;
    let fixed = kernel.processing("vaste_vergoeding")?;
    let rules = Access { actor: "regels".to_string(), role: Role::System, ..access.clone() };
    let object = format!("9981AB {house}");
    kernel.find_records(&rules, fixed, "object", &object)?;
    let fields = [
        (Category::Name, Value::text("Anna de Vries")),
        (Category::Phone, Value::text("0595 123 456")),
        (Category::Email, Value::text("anna@example.nl")),
        (Category::Address, Value::text(format!("Hoofdstraat {house}"))),
        (Category::PostcodeCity, Value::text("9981 AB Uithuizen")),
        (Category::OtherInclPhotos, Value::text(r#"{"damage_arose":"2026-03-01","object_kind":"home"}"#)),
    ];
    let case = kernel.write(access, damage, None, None, &fields)?;
    kernel.record_event(access, damage, &case, Action::File, "created", Some("submitted"), None)?;
    kernel.assign_reference(access, damage, &case, "IMG-bench", &|serial| Ok::<_, KernelError>(format!("IMG-2026-{serial:06}")))?;
    kernel.index_record(access, damage, &case, "object", &object)?;
    kernel.record_event(access, damage, &case, Action::File, "automated_check", None, Some(Detail::to(Category::PostcodeCity, "inside")))?;
    kernel.record_event(access, damage, &case, Action::File, "fast_track", None, Some(Detail::to(Category::PostcodeCity, "inside")))?;
    Ok(())
}
