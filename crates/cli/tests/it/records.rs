//! Case references, life-cycle events, lists and lookups through the kernel.

use grondslag_kernel::{KernelError, Value};
use grondslag_register::{Category, Role};

use crate::{access, open_kernel, sqlite};

fn reference(serial: u64) -> Result<String, KernelError> {
    Ok(format!("IMG-2026-{serial:06}"))
}

// req: E1
#[test]
fn case_numbers_are_unique_under_concurrent_creation_and_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let numbers: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    (0..10)
                        .map(|_| {
                            let handler = access(Role::CaseHandler);
                            let case = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap();
                            kernel.assign_reference(&handler, physical, &case, "IMG-2026", &reference).unwrap()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
    });
    let mut sorted = numbers.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 40);
    assert_eq!(sorted.first().map(String::as_str), Some("IMG-2026-000001"));

    // Erase the holder of the last number: the next case does not get it again.
    let handler = access(Role::CaseHandler);
    let (_, last) = kernel.find_reference(&handler, "IMG-2026-000040").unwrap().unwrap();
    kernel.erase(&handler, physical, &last.record.subject).unwrap();
    assert!(kernel.find_reference(&handler, "IMG-2026-000040").unwrap().is_none());
    let case = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Berend"))]).unwrap();
    assert_eq!(kernel.assign_reference(&handler, physical, &case, "IMG-2026", &reference).unwrap(), "IMG-2026-000041");
    // The number is also the record's case_number field, readable as such.
    let view = kernel.read_record(&handler, physical, &case, grondslag_register::CategorySet::of(&[Category::CaseNumber])).unwrap().unwrap();
    assert_eq!(view.get(Category::CaseNumber), Some(&Value::text("IMG-2026-000041")));
}

// req: E1
#[test]
fn status_changes_are_dated_events_and_lists_filter_on_status() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let draft = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap();
    kernel.record_event(&handler, physical, &draft, grondslag_register::Action::Write, "created", Some("draft"), None).unwrap();
    let submitted = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Berend"))]).unwrap();
    kernel.record_event(&handler, physical, &submitted, grondslag_register::Action::Write, "created", Some("draft"), None).unwrap();
    kernel
        .record_event(
            &handler,
            physical,
            &submitted,
            grondslag_register::Action::Write,
            "submitted",
            Some("submitted"),
            Some(grondslag_kernel::Detail::to(Category::PostcodeCity, "postcode 9981 AB in het aardbevingsgebied")),
        )
        .unwrap();

    let drafts = kernel.list(&handler, physical, Some("draft"), 0, 50).unwrap();
    assert_eq!(drafts.iter().map(|s| &s.record).collect::<Vec<_>>(), vec![&draft]);
    assert_eq!(kernel.list(&handler, physical, None, 0, 50).unwrap().len(), 2);
    assert_eq!(kernel.list(&handler, physical, None, 1, 1).unwrap().len(), 1);

    let events = kernel.events(&handler, physical, &submitted).unwrap();
    assert_eq!(events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(), ["created", "submitted"]);
    assert_eq!(events[1].detail.as_deref(), Some("postcode 9981 AB in het aardbevingsgebied"));
    assert_eq!(events[1].actor, handler.actor);
    // The detail is sealed in the store.
    let stored: Vec<u8> = sqlite(dir.path()).query_row("SELECT detail FROM record_events WHERE event = 'submitted'", [], |r| r.get(0)).unwrap();
    assert!(!stored.windows(7).any(|w| w == b"9981 AB"));

    // A role without the processing sees no list, and that is audited.
    assert!(matches!(kernel.list(&access(Role::Communications), physical, None, 0, 50), Err(KernelError::Denied { .. })));
    // A record of one subject cannot be moved through another.
    let mixed = grondslag_kernel::RecordRef { subject: draft.subject.clone(), record: submitted.record.clone() };
    assert!(matches!(
        kernel.record_event(&handler, physical, &mixed, grondslag_register::Action::Write, "closed", Some("closed"), None),
        Err(KernelError::RecordMismatch { .. })
    ));
    // Nor through another processing the handler works in.
    let immaterial = kernel.processing("immateriele_schade").unwrap();
    let elsewhere = kernel.record_event(&handler, immaterial, &submitted, grondslag_register::Action::Write, "closed", Some("closed"), None);
    assert!(matches!(elsewhere, Err(KernelError::RecordMismatch { .. })), "{elsewhere:?}");
}

// req: E2
#[test]
fn records_are_found_by_an_indexed_value_without_storing_it() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let fixed = kernel.processing("vaste_vergoeding").unwrap();
    let handler = access(Role::CaseHandler);
    let case = kernel.write(&handler, fixed, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap();
    kernel.index_record(&handler, fixed, &case, "object", "9981AB|1|a").unwrap();
    let found = kernel.find_records(&handler, fixed, "object", "9981AB|1|a").unwrap();
    assert_eq!(found.iter().map(|s| &s.record).collect::<Vec<_>>(), vec![&case]);
    assert!(kernel.find_records(&handler, fixed, "object", "9981AB|1|b").unwrap().is_empty());
    // Found under any of several keys, once.
    kernel.index_record(&handler, fixed, &case, "object", "hoofdstraat|1|a").unwrap();
    let found = kernel.find_records_by_any(&handler, fixed, "object", &["9981AB|1|a", "9981AB|1|b", "hoofdstraat|1|a"]).unwrap();
    assert_eq!(found.iter().map(|s| &s.record).collect::<Vec<_>>(), vec![&case]);
    // Another processing does not see it.
    let physical = kernel.processing("fysieke_schade").unwrap();
    assert!(kernel.find_records(&handler, physical, "object", "9981AB|1|a").unwrap().is_empty());
}
