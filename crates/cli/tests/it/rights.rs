//! The rights process: an access export holds everything about the subject
//! and nothing about anyone else, with who looked at it.

use std::collections::BTreeSet;

use grondslag_kernel::{Denial, KernelError, Value};
use grondslag_register::{Category, CategorySet, Role};
use proptest::prelude::*;

use crate::{access, open_kernel};

/// (processing, category, a valid value) that a role may write.
const WRITES: &[(&str, Role, Category, &str)] = &[
    ("fysieke_schade", Role::CaseHandler, Category::Name, "Anna de Vries {}"),
    ("fysieke_schade", Role::CaseHandler, Category::Email, "anna{}@example.nl"),
    ("fysieke_schade", Role::CaseHandler, Category::PostcodeCity, "9981 AB Uithuizen{}"),
    ("immateriele_schade", Role::CaseHandler, Category::Health, "slaapt slecht {}"),
    ("contactformulier", Role::Public, Category::FreeText, "Wanneer komt de deskundige? {}"),
    ("nieuwsbrief_email", Role::Public, Category::Email, "anna{}@example.nl"),
    ("personeelsdossier", Role::Hr, Category::Function, "behandelaar {}"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    // req: E22
    #[test]
    fn an_access_export_holds_every_item_of_the_subject_and_nothing_of_others(
        plan in proptest::collection::vec((0usize..3, 0usize..WRITES.len(), 0u32..1000), 1..12)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let kernel = open_kernel(dir.path());
        let mut subjects = Vec::new();
        let mut written: Vec<BTreeSet<(String, Category, String)>> = vec![BTreeSet::new(); 3];
        for (who, what, salt) in plan {
            let (processing, role, category, value) = WRITES[what];
            let value = value.replace("{}", &salt.to_string());
            let processing_id = kernel.processing(processing).unwrap();
            let existing = subjects.iter().find(|(w, _)| *w == who).map(|(_, s)| s);
            let created = kernel.write(&access(role), processing_id, existing, None, &[(category, Value::text(value.clone()))]).unwrap();
            if existing.is_none() {
                subjects.push((who, created.subject.clone()));
            }
            written[who].insert((processing.to_string(), category, value));
        }
        let rights = kernel.processing("rechtenverzoeken").unwrap();
        for (who, subject) in &subjects {
            let export = kernel.export(&access(Role::PrivacyOfficer), rights, subject).unwrap();
            let exported: BTreeSet<(String, Category, String)> = export
                .records
                .iter()
                .flat_map(|r| r.fields.iter().map(move |(c, v)| (r.processing.clone(), *c, v.as_text().unwrap().to_string())))
                .collect();
            prop_assert_eq!(&exported, &written[*who]);
            prop_assert!(export.accesses.iter().all(|e| e.data_subject_id.as_deref() == Some(subject.as_str())));
        }
    }
}

// req: E22
#[test]
fn the_access_report_lists_who_looked_and_where_the_data_went() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let anna = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna")), (Category::Address, Value::text("Hoofdstraat 12"))]).unwrap();
    kernel.read(&handler, physical, &anna.subject, CategorySet::of(&[Category::Name])).unwrap();
    let _ = kernel.read(&access(Role::Communications), physical, &anna.subject, CategorySet::of(&[Category::Name]));
    kernel.disclose(&handler, physical, &anna.subject, kernel.recipient("nam").unwrap(), None).unwrap();

    let rights = kernel.processing("rechtenverzoeken").unwrap();
    // Only the rights process exports, and it works on a restricted subject.
    let refused = kernel.export(&handler, physical, &anna.subject);
    assert!(matches!(refused, Err(KernelError::Denied { .. })));
    kernel.restrict(&access(Role::PrivacyOfficer), rights, &anna.subject, true).unwrap();
    let export = kernel.export(&access(Role::PrivacyOfficer), rights, &anna.subject).unwrap();
    let actions: Vec<(String, String, String)> = export.accesses.iter().map(|e| (e.role.clone(), e.action.clone(), format!("{:?}", e.outcome))).collect();
    for expected in [("case_handler", "write", "Allowed"), ("case_handler", "read", "Allowed"), ("communications", "read", "Denied"), ("case_handler", "disclose", "Allowed"), ("privacy_officer", "restrict", "Allowed")] {
        assert!(actions.contains(&(expected.0.to_string(), expected.1.to_string(), expected.2.to_string())), "{expected:?} missing in {actions:?}");
    }
    assert_eq!(export.disclosures.len(), 1);
    assert_eq!((export.disclosures[0].recipient.as_str(), export.disclosures[0].categories.as_str()), ("nam", "address"));
    // Restricted: the case handler's read is denied (art. 18).
    assert!(matches!(kernel.read(&handler, physical, &anna.subject, CategorySet::of(&[Category::Name])), Err(KernelError::Denied { denial: Denial::Restricted, .. })));
}
