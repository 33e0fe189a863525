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
    let anna =
        kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna")), (Category::Address, Value::text("Hoofdstraat 12"))]).unwrap();
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
    for expected in [
        ("case_handler", "write", "Allowed"),
        ("case_handler", "read", "Allowed"),
        ("communications", "read", "Denied"),
        ("case_handler", "disclose", "Allowed"),
        ("privacy_officer", "restrict", "Allowed"),
    ] {
        assert!(actions.contains(&(expected.0.to_string(), expected.1.to_string(), expected.2.to_string())), "{expected:?} missing in {actions:?}");
    }
    assert_eq!(export.disclosures.len(), 1);
    assert_eq!((export.disclosures[0].recipient.as_str(), export.disclosures[0].categories.as_str()), ("nam", "address"));
    // Restricted: the case handler's read is denied (art. 18).
    assert!(matches!(
        kernel.read(&handler, physical, &anna.subject, CategorySet::of(&[Category::Name])),
        Err(KernelError::Denied { denial: Denial::Restricted, .. })
    ));
}

fn officer(now: &str) -> grondslag_kernel::Access {
    grondslag_kernel::Access::new("privacy.devries", Role::PrivacyOfficer, "test", now.parse().unwrap())
}

// req: I.RIGHTS
#[test]
fn a_request_without_verified_identity_changes_nothing_and_terms_are_kept() {
    use grondslag_rights::requests::{RequestError, Requests, RightKind};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.write(&access(Role::CaseHandler), physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap();
    let requests = Requests::new(&kernel).unwrap();
    // Received on 31 January 2027 (Amsterdam): due Monday 1 March.
    let filed = requests.file(&officer("2027-01-31T10:00:00Z"), &anna.subject, RightKind::Access, "Anna de Vries", None).unwrap();
    assert_eq!(filed.due, jiff::civil::date(2027, 3, 1));
    let entries_before: i64 = crate::sqlite(dir.path()).query_row("SELECT count(*) FROM audit_entries", [], |r| r.get(0)).unwrap();
    assert!(matches!(requests.export(&officer("2027-02-01T10:00:00Z"), &filed.request), Err(RequestError::IdentityNotVerified)));
    assert!(matches!(requests.answer(&officer("2027-02-01T10:00:00Z"), &filed.request, "Hierbij"), Err(RequestError::IdentityNotVerified)));
    let events_after: usize = kernel.events(&officer("2027-02-01T10:00:00Z"), kernel.processing("rechtenverzoeken").unwrap(), &filed.request).unwrap().len();
    assert_eq!(events_after, 1, "nothing was answered or changed");
    assert!(crate::sqlite(dir.path()).query_row("SELECT count(*) FROM audit_entries", [], |r| r.get::<_, i64>(0)).unwrap() >= entries_before);

    // Extension: refused once the first month has passed, allowed within it.
    assert!(matches!(requests.extend(&officer("2027-03-02T10:00:00Z"), &filed.request, 2, "complex"), Err(RequestError::Extension(_))));
    let extended = requests.extend(&officer("2027-02-20T10:00:00Z"), &filed.request, 2, "complex request").unwrap();
    assert_eq!(extended.due, jiff::civil::date(2027, 4, 30));

    requests.verify_identity(&officer("2027-02-21T10:00:00Z"), &filed.request, "DigiD").unwrap();
    let export = requests.export(&officer("2027-02-21T10:00:00Z"), &filed.request).unwrap();
    assert!(export.records.iter().any(|r| r.processing == "fysieke_schade"));
    let answered = requests.answer(&officer("2027-02-22T10:00:00Z"), &filed.request, "Zie bijgaand overzicht.").unwrap();
    assert!(answered.answered);
    assert!(requests.open(&officer("2027-02-22T10:00:00Z")).unwrap().is_empty());
}

// req: E22
#[test]
fn open_requests_are_listed_overdue_first() {
    use grondslag_rights::requests::{Requests, RightKind};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.write(&access(Role::CaseHandler), physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap();
    let requests = Requests::new(&kernel).unwrap();
    let late = requests.file(&officer("2026-09-01T10:00:00Z"), &anna.subject, RightKind::Erasure, "Anna", None).unwrap();
    let recent = requests.file(&officer("2026-11-20T10:00:00Z"), &anna.subject, RightKind::Access, "Anna", None).unwrap();
    let open = requests.open(&officer("2026-11-28T10:00:00Z")).unwrap();
    assert_eq!(open.iter().map(|s| &s.request).collect::<Vec<_>>(), vec![&late.request, &recent.request]);
    assert_eq!(open[0].due, jiff::civil::date(2026, 10, 1));
}

// req: E22
#[test]
fn the_access_export_is_written_as_json_and_dutch_html() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let example = format!("{}/../../examples/fysieke-schade.json", env!("CARGO_MANIFEST_DIR"));
    let run = |args: &[&str]| {
        let mut all = vec!["--data", data.to_str().unwrap()];
        all.extend_from_slice(args);
        let output = crate::grondslag(&all);
        assert!(output.status.success(), "{args:?}: {}", crate::stderr(&output));
        crate::stdout(&output)
    };
    run(&["case", "create", &example]);
    let filed = run(&["rights", "file", "--kind", "access", "--name", "Anna de Vries", "--bsn", "111222333"]);
    let request = filed.split_whitespace().next().unwrap().to_string();
    run(&["rights", "verify", &request, "--method", "DigiD"]);
    run(&["rights", "export", &request, "--out", out.to_str().unwrap()]);
    let subject = request.split('.').next().unwrap();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join(format!("inzage-{subject}.json"))).unwrap()).unwrap();
    let physical = json["processings"].as_array().unwrap().iter().find(|p| p["id"] == "fysieke_schade").unwrap();
    assert_eq!(physical["items"][0]["bsn"], "111222333");
    assert!(physical["legal_basis"].as_str().unwrap().contains("TwG art. 2 lid 3"));
    assert!(physical["automated"].as_array().unwrap().iter().any(|a| a.as_str().unwrap().contains("postcode-in-area")), "E0.3: the automated outcome is shown");
    assert!(physical["categories"].as_array().unwrap().iter().any(|c| c == "bsn"));
    assert!(json["accesses"].as_array().unwrap().iter().any(|a| a["what"] == "vastgelegd of gewijzigd" && a["party"] == "behandelaar"));
    let html = std::fs::read_to_string(out.join(format!("inzage-{subject}.html"))).unwrap();
    assert!(html.contains("<html lang=\"nl\">") && html.contains("Wanneer zijn je gegevens bekeken of gewijzigd, en waarvoor?"));
}

/// Anna: a physical-damage case (public task), a newsletter subscription
/// (consent) and a contact message (consent), disclosed in part.
fn anna_everywhere(kernel: &grondslag_kernel::Kernel) -> grondslag_kernel::SubjectId {
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel
        .write(
            &handler,
            physical,
            None,
            None,
            &[
                (Category::Name, Value::text("Anna")),
                (Category::Email, Value::text("anna@oud.nl")),
                (Category::Address, Value::text("Hoofdstraat 12")),
                (Category::PostcodeCity, Value::text("9981 AB Uithuizen")),
            ],
        )
        .unwrap()
        .subject;
    kernel.disclose(&handler, physical, &anna, kernel.recipient("tevredenheidsbureau").unwrap(), None).unwrap();
    let site = access(Role::Public);
    kernel
        .write(
            &site,
            kernel.processing("nieuwsbrief_email").unwrap(),
            Some(&anna),
            None,
            &[(Category::Name, Value::text("Anna")), (Category::Email, Value::text("anna@oud.nl"))],
        )
        .unwrap();
    kernel.write(&site, kernel.processing("contactformulier").unwrap(), Some(&anna), None, &[(Category::FreeText, Value::text("Vraag"))]).unwrap();
    anna
}

fn verified(
    requests: &grondslag_rights::requests::Requests<'_>,
    anna: &grondslag_kernel::SubjectId,
    kind: grondslag_rights::requests::RightKind,
) -> grondslag_kernel::RecordRef {
    let filed = requests.file(&access(Role::PrivacyOfficer), anna, kind, "Anna", None).unwrap();
    requests.verify_identity(&access(Role::PrivacyOfficer), &filed.request, "DigiD").unwrap();
    filed.request
}

// req: E22
#[test]
fn erasure_takes_consent_data_at_once_and_names_the_term_of_what_stays() {
    use grondslag_rights::requests::{Requests, RightKind};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = anna_everywhere(&kernel);
    let requests = Requests::new(&kernel).unwrap();
    let request = verified(&requests, &anna, RightKind::Erasure);
    let mut answer = requests.erase(&access(Role::PrivacyOfficer), &request).unwrap();
    answer.erased.sort();
    assert_eq!(answer.erased, ["contactformulier", "nieuwsbrief_email"]);
    assert_eq!(answer.kept.len(), 1);
    let (processing, why) = &answer.kept[0];
    assert_eq!(processing, "fysieke_schade");
    assert!(why.contains("taak van algemeen belang") && why.contains("claim_dossier"), "{why}");
    let left = kernel.export(&access(Role::PrivacyOfficer), kernel.processing("rechtenverzoeken").unwrap(), &anna).unwrap();
    assert!(left.records.iter().all(|r| r.processing == "fysieke_schade" || r.processing == "rechtenverzoeken"));
    let certificate = kernel
        .events(&access(Role::PrivacyOfficer), kernel.processing("rechtenverzoeken").unwrap(), &request)
        .unwrap()
        .into_iter()
        .find(|e| e.event == grondslag_rights::requests::REQUEST_CLOSED)
        .unwrap();
    assert!(certificate.detail.unwrap().starts_with("erasure certificate"));
}

// req: E22
#[test]
fn rectification_replaces_the_old_value_everywhere_and_lists_who_to_tell() {
    use grondslag_rights::requests::{Requests, RightKind};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = anna_everywhere(&kernel);
    let requests = Requests::new(&kernel).unwrap();
    let request = verified(&requests, &anna, RightKind::Rectification);
    let done = requests.rectify(&access(Role::PrivacyOfficer), &request, Category::Email, "anna@oud.nl", "anna@nieuw.nl").unwrap();
    assert_eq!(done.records, 2);
    assert_eq!(done.notify, ["tevredenheidsbureau"]);
    let after = kernel.export(&access(Role::PrivacyOfficer), kernel.processing("rechtenverzoeken").unwrap(), &anna).unwrap();
    let emails: Vec<&str> = after.records.iter().filter_map(|r| r.get(Category::Email).and_then(Value::as_text)).collect();
    assert_eq!(emails, ["anna@nieuw.nl", "anna@nieuw.nl"]);
    assert!(after.accesses.iter().all(|e| !e.reason.contains("oud") && !e.object.contains("oud")), "the log records the change, not the values");
}

// req: E22
#[test]
fn portability_covers_consent_and_contract_and_explains_the_rest() {
    use grondslag_rights::requests::{Requests, RightKind};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = anna_everywhere(&kernel);
    let requests = Requests::new(&kernel).unwrap();
    let request = verified(&requests, &anna, RightKind::Portability);
    let portable = requests.portability(&access(Role::PrivacyOfficer), &request).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(portable.zip)).unwrap();
    let mut names: Vec<String> = (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().to_string()).collect();
    names.sort();
    assert_eq!(names, ["contactformulier.csv", "contactformulier.json", "nieuwsbrief_email.csv", "nieuwsbrief_email.json"]);
    let (processing, why) = &portable.not_portable[0];
    assert_eq!(processing, "fysieke_schade");
    assert!(why.contains("art. 20") && why.contains("taak van algemeen belang"), "{why}");
}

// req: E19
#[test]
fn withdrawal_and_objection_through_the_rights_process() {
    use grondslag_rights::requests::{RequestError, Requests, RightKind};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = anna_everywhere(&kernel);
    let requests = Requests::new(&kernel).unwrap();
    let request = verified(&requests, &anna, RightKind::WithdrawConsent);
    assert!(matches!(requests.withdraw_consent(&access(Role::PrivacyOfficer), &request, "fysieke_schade"), Err(RequestError::NotConsent(_))));
    assert_eq!(requests.withdraw_consent(&access(Role::PrivacyOfficer), &request, "nieuwsbrief_email").unwrap(), 1);

    let objection = verified(&requests, &anna, RightKind::Objection);
    requests.object(&access(Role::PrivacyOfficer), &objection, "benaderen", "wil niet benaderd worden", "toegekend").unwrap();
    let list = kernel.processing("niet_benaderen").unwrap();
    assert_eq!(kernel.list_all(&access(Role::PrivacyOfficer), list, None).unwrap().len(), 1);
}

// req: E13
#[test]
fn a_request_for_someone_else_needs_a_valid_authorisation() {
    use grondslag_rights::requests::{RequestError, Requests, RightKind};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = anna_everywhere(&kernel);
    let requests = Requests::new(&kernel).unwrap();
    // Someone who holds no authorisation from Anna, filing as her representative.
    let stranger = grondslag_kernel::SubjectId::random();
    let representative = access(Role::Representative).acting_as(stranger);
    let refused = requests.file(&representative, &anna, RightKind::Access, "J. Bakker", None);
    match refused {
        Err(RequestError::Kernel(grondslag_kernel::KernelError::Denied { denial, .. })) => {
            assert_eq!(denial, grondslag_kernel::Denial::OutOfReach { scope: grondslag_register::Scope::Represented });
            assert!(denial.to_string().contains("no active authorisation"), "{denial}");
        }
        other => panic!("expected a refusal for the missing authorisation, got {other:?}"),
    }
    assert!(requests.open(&access(Role::PrivacyOfficer)).unwrap().is_empty(), "nothing was filed");
}

// req: E0.1
#[test]
fn one_central_store_holds_every_scheme_of_a_person() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let immaterial = kernel.processing("immateriele_schade").unwrap();
    let anna =
        kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna")), (Category::Bsn, Value::text("111222333"))]).unwrap().subject;
    // The second scheme finds the same person by BSN in the same store.
    assert_eq!(kernel.find_by_bsn(&handler, immaterial, "111222333").unwrap(), Some(anna.clone()));
    kernel.write(&handler, immaterial, Some(&anna), None, &[(Category::Name, Value::text("Anna")), (Category::Health, Value::text("vragenlijst"))]).unwrap();
    let export = kernel.export(&access(Role::PrivacyOfficer), kernel.processing("rechtenverzoeken").unwrap(), &anna).unwrap();
    let processings: BTreeSet<&str> = export.records.iter().map(|r| r.processing.as_str()).collect();
    assert_eq!(processings, BTreeSet::from(["fysieke_schade", "immateriele_schade"]));
    assert_eq!(crate::files_below(dir.path()).iter().filter(|f| f.extension().is_some_and(|e| e == "db")).count(), 1, "one database");
}

// req: E22
// req: I.RIGHTS
#[test]
fn an_employee_passes_a_request_on_to_the_privacy_team_and_cannot_work_or_read_it() {
    use grondslag_rights::requests::{RequestError, Requests, RightKind};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = anna_everywhere(&kernel);
    let physical = kernel.processing("fysieke_schade").unwrap();
    kernel
        .write(&access(Role::CaseHandler), physical, Some(&anna), None, &[(Category::Name, Value::text("Anna")), (Category::Bsn, Value::text("111222333"))])
        .unwrap();
    let requests = Requests::new(&kernel).unwrap();
    let rights = kernel.processing("rechtenverzoeken").unwrap();
    // The letter names Anna's BSN: the employee finds her file to file into,
    // and may not read it.
    let staff_file = kernel.processing("personeelsdossier").unwrap();
    let own = kernel.write(&access(Role::Hr), staff_file, None, None, &[(Category::Name, Value::text("Emma"))]).unwrap().subject;
    let emma = access(Role::Employee).acting_as(own);
    assert_eq!(kernel.find_to_file(&emma, rights, "111222333").unwrap(), Some(anna.clone()));
    let denied_read = kernel.find_by_bsn(&emma, rights, "111222333");
    assert!(matches!(denied_read, Err(KernelError::Denied { denial: Denial::OutOfReach { .. }, .. })), "{denied_read:?}");
    let filed = requests.file(&emma, &anna, RightKind::Access, "Anna de Vries (brief)", None).unwrap();
    // She cannot work it, nor read it back.
    let refusal = |result: Result<grondslag_rights::requests::RequestState, RequestError>| match result {
        Err(RequestError::Kernel(KernelError::Denied { denial, .. })) => denial,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refusal(requests.verify_identity(&emma, &filed.request, "kopie ID")),
        Denial::RoleNotAllowed { role: Role::Employee, action: grondslag_register::Action::Handle }
    );
    assert!(matches!(refusal(requests.state(&emma, &filed.request)), Denial::OutOfReach { scope: grondslag_register::Scope::Own }));
    // The privacy team has it, filed by her.
    let queue = requests.open(&access(Role::PrivacyOfficer)).unwrap();
    assert_eq!(queue.iter().map(|s| &s.request).collect::<Vec<_>>(), vec![&filed.request]);
    let entries: Vec<String> = crate::audit_json(dir.path(), "SELECT entry FROM audit_entries", [])
        .into_iter()
        .filter(|e| e.contains("\"role\":\"employee\"") && e.contains("rechtenverzoeken"))
        .collect();
    assert!(entries.iter().any(|e| e.contains("\"outcome\":\"allowed\"") && e.contains("\"action\":\"write\"")), "the filing is audited as hers: {entries:?}");
}
