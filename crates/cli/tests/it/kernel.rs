use grondslag_kernel::{Denial, Kernel, KernelError, SubjectId, Value};
use grondslag_register::{Category, CategorySet, Role};

use crate::{access, files_below, open_kernel, sqlite};

fn applicant() -> Vec<(Category, Value)> {
    vec![
        (Category::Name, Value::text("Anna de Vries")),
        (Category::Address, Value::text("Hoofdstraat 12")),
        (Category::PostcodeCity, Value::text("9981 AB Uithuizen")),
        (Category::Phone, Value::text("0595123456")),
        (Category::Email, Value::text("anna.devries@example.nl")),
        (Category::Bsn, Value::text("111222333")),
        (Category::BankAccount, Value::text("NL91 ABNA 0417 1643 00")),
        (Category::CaseNumber, Value::text("IMG-2024-000101")),
    ]
}

fn all() -> CategorySet {
    Category::ALL.iter().copied().collect()
}

fn count(dir: &std::path::Path, sql: &str) -> i64 {
    sqlite(dir).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// How many audit entries hold every one of `marks`.
fn entries_with(dir: &std::path::Path, marks: &[&str]) -> usize {
    crate::audit_json(dir, "SELECT entry FROM audit_entries", []).iter().filter(|e| marks.iter().all(|mark| e.contains(mark))).count()
}

// req: E0.5
#[test]
fn a_write_of_an_undeclared_category_is_refused_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();
    let fields_before = count(dir.path(), "SELECT count(*) FROM fields");

    let mut with_health = applicant();
    with_health.push((Category::Health, Value::text("rugklachten")));
    let refused = kernel.write(&handler, physical, Some(&anna.subject), None, &with_health);
    assert!(
        matches!(refused, Err(KernelError::Denied { ref processing, denial: Denial::Undeclared(Category::Health) }) if processing == "fysieke_schade"),
        "{refused:?}"
    );
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("health") && message.contains("fysieke_schade"), "{message}");

    // A refused first write creates no subject either.
    let subjects_before = count(dir.path(), "SELECT count(*) FROM subjects");
    let refused_new = kernel.write(&handler, physical, None, None, &with_health);
    assert!(matches!(refused_new, Err(KernelError::Denied { .. })));

    assert_eq!(count(dir.path(), "SELECT count(*) FROM fields"), fields_before);
    assert_eq!(count(dir.path(), "SELECT count(*) FROM subjects"), subjects_before);
    let read = kernel.read(&handler, physical, &anna.subject, all()).unwrap();
    assert!(read.iter().all(|r| r.get(Category::Health).is_none()));
}

// req: E15.NAM
#[test]
fn a_disclosure_to_nam_carries_the_address_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();

    let disclosed = kernel.disclose(&handler, physical, &anna.subject, kernel.recipient("nam").unwrap(), None).unwrap();
    let categories: Vec<Category> = disclosed.iter().flat_map(|r| r.fields.iter().map(|(c, _)| *c)).collect();
    assert_eq!(categories, vec![Category::Address]);
    assert_eq!(disclosed[0].get(Category::Address), Some(&Value::text("Hoofdstraat 12")));
    // The disclosure is recorded (who, what, to whom).
    let recorded: String = sqlite(dir.path()).query_row("SELECT recipient || ':' || categories FROM disclosures", [], |r| r.get(0)).unwrap();
    assert_eq!(recorded, "nam:address");
}

// req: E15.PROC
#[test]
fn a_disclosure_to_the_survey_bureau_carries_name_email_and_phone_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();

    let disclosed = kernel.disclose(&handler, physical, &anna.subject, kernel.recipient("tevredenheidsbureau").unwrap(), None).unwrap();
    let categories: CategorySet = disclosed.iter().flat_map(|r| r.fields.iter().map(|(c, _)| *c)).collect();
    assert_eq!(categories, CategorySet::of(&[Category::Name, Category::Phone, Category::Email]));
}

// req: I.SEC
#[test]
fn a_role_without_the_processing_is_denied_and_the_denial_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.write(&access(Role::CaseHandler), physical, None, None, &applicant()).unwrap();

    let outsider = access(Role::Communications);
    let denied = kernel.read(&outsider, physical, &anna.subject, all());
    assert!(matches!(denied, Err(KernelError::Denied { denial: Denial::RoleNotAllowed { role: Role::Communications, .. }, .. })), "{denied:?}");

    let entries = crate::audit_json(dir.path(), "SELECT entry FROM audit_entries ORDER BY seq", []);
    let last = grondslag_kernel::parse_entry(entries.last().unwrap()).unwrap();
    assert_eq!(last.role, "communications");
    assert_eq!(last.action, "read");
    assert_eq!(last.outcome, grondslag_audit::Outcome::Denied);
    assert_eq!(last.reason, "role_not_allowed");
    assert_eq!(last.data_subject_id.as_deref(), Some(anna.subject.as_str()));
    assert!(last.processing_activity_id.contains("/fysieke_schade/versions/"));
}

// req: E0.5
#[test]
fn a_read_returns_only_what_the_role_may_read_under_the_processing() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.write(&access(Role::CaseHandler), physical, None, None, &applicant()).unwrap();

    let expert_file = kernel.write(&access(Role::CaseHandler), physical, None, None, &[(Category::Name, Value::text("Deskundige Bakker"))]).unwrap();
    let expert = access(Role::Expert).acting_as(expert_file.subject.clone());
    // Not assigned: nothing; assigned: only what experts may read.
    let unassigned = kernel.read_record(&expert, physical, &anna, all());
    assert!(
        matches!(unassigned, Err(KernelError::Denied { denial: grondslag_kernel::Denial::OutOfReach { scope: grondslag_register::Scope::Assigned }, .. })),
        "{unassigned:?}"
    );
    kernel
        .relate(
            &access(Role::CaseHandler),
            physical,
            grondslag_register::Action::Advance,
            &anna,
            grondslag_register::Scope::Assigned,
            Some(&expert_file.subject),
            true,
        )
        .unwrap();
    let granted = kernel.register().processing(physical).grant(Role::Expert, grondslag_register::Action::Read).categories;
    let read = kernel.read_record(&expert, physical, &anna, all()).unwrap();
    let returned: CategorySet = read.iter().flat_map(|r| r.fields.iter().map(|(c, _)| *c)).collect();
    assert!(!returned.is_empty());
    assert!(returned.is_subset(granted), "expert got {returned} but may read {granted}");
}

// req: E17
#[test]
fn bsn_iban_and_health_never_reach_disk_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let immaterial = kernel.processing("immateriele_schade").unwrap();
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();
    let answer = "Ik slaap slecht sinds de beving van Zeerijp";
    kernel
        .write(&handler, immaterial, Some(&anna.subject), None, &[(Category::Name, Value::text("Anna de Vries")), (Category::Health, Value::text(answer))])
        .unwrap();
    let recording = b"RIFF-fake-recording-with-secret-words".to_vec();
    let calls = kernel.processing("telefoon_opnames").unwrap();
    let call_roles = kernel.register().processing(calls).grants;
    let writer = grondslag_register::Role::ALL.iter().copied().find(|r| call_roles[r.index()][grondslag_register::Action::File.index()].is_granted()).unwrap();
    kernel.write(&access(writer), calls, Some(&anna.subject), None, &[(Category::CallRecording, Value::Bytes(recording.clone()))]).unwrap();

    let secrets: [&[u8]; 5] = [b"111222333", b"NL91ABNA0417164300", b"ABNA0417", answer.as_bytes(), &recording];
    let files = files_below(dir.path());
    assert!(files.iter().any(|f| f.to_string_lossy().ends_with("-wal")), "the WAL is among the files checked: {files:?}");
    assert!(files.iter().any(|f| f.parent().unwrap().ends_with("blobs")), "a blob is among the files checked");
    for secret in secrets {
        assert_eq!(crate::in_the_clear(dir.path(), secret), Vec::<String>::new(), "plaintext {:?}", String::from_utf8_lossy(secret));
    }
    // And the kernel still reads them back for a role that may.
    let read = kernel.read(&handler, physical, &anna.subject, CategorySet::of(&[Category::Bsn, Category::BankAccount])).unwrap();
    assert_eq!(read[0].get(Category::BankAccount), Some(&Value::text("NL91ABNA0417164300")));
}

// req: E22
#[test]
fn after_erasure_the_subject_cannot_be_read_and_its_key_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();
    let berend = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Berend")), (Category::Bsn, Value::text("123456782"))]).unwrap();
    let wrapped: Vec<u8> = sqlite(dir.path()).query_row("SELECT wrapped_key FROM subjects WHERE id = ?1", [anna.subject.as_str()], |r| r.get(0)).unwrap();

    kernel.erase(&handler, physical, &anna.subject).unwrap();

    assert!(matches!(kernel.read(&handler, physical, &anna.subject, all()), Err(KernelError::UnknownSubject(_))));
    assert_eq!(kernel.find_by_bsn(&handler, physical, "111222333").unwrap(), None);
    assert_eq!(kernel.find_by_bsn(&handler, physical, "123456782").unwrap(), Some(berend.subject.clone()));
    let db = sqlite(dir.path());
    for table in ["subjects WHERE id", "records WHERE subject_id", "blind_index WHERE subject_id"] {
        let left: i64 = db.query_row(&format!("SELECT count(*) FROM {table} = ?1"), [anna.subject.as_str()], |r| r.get(0)).unwrap();
        assert_eq!(left, 0, "{table}");
    }
    // secure_delete: the wrapped key's bytes are not left in freed pages.
    drop(db);
    drop(kernel);
    let database = std::fs::read(grondslag_kernel::DataDir::new(dir.path()).database()).unwrap();
    assert!(!database.windows(wrapped.len()).any(|w| w == wrapped.as_slice()));
}

// req: E22
#[test]
fn a_restricted_subject_is_usable_only_by_the_rights_process() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let privacy = access(Role::PrivacyOfficer);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let rights = kernel.processing("rechtenverzoeken").unwrap();
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();
    let bert = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Bert Bakker"))]).unwrap();
    let listed = |kernel: &Kernel| {
        let mut subjects: Vec<SubjectId> = kernel.list(&handler, physical, None, 0, 50).unwrap().into_iter().map(|s| s.record.subject).collect();
        subjects.sort();
        subjects
    };
    let mut both = vec![anna.subject.clone(), bert.subject.clone()];
    both.sort();
    assert_eq!(listed(&kernel), both);

    // The case handler cannot restrict: that belongs to the rights process.
    assert!(kernel.restrict(&handler, physical, &anna.subject, true).is_err());
    kernel.restrict(&privacy, rights, &anna.subject, true).unwrap();
    let denied = kernel.read(&handler, physical, &anna.subject, all());
    assert!(matches!(denied, Err(KernelError::Denied { denial: Denial::Restricted, .. })), "{denied:?}");
    // Lists leave her out too, and still show everyone else.
    assert_eq!(listed(&kernel), vec![bert.subject.clone()]);
    let request = [(Category::Name, Value::text("Anna de Vries"))];
    kernel.write(&privacy, rights, Some(&anna.subject), None, &request).unwrap();
    assert_eq!(kernel.read(&privacy, rights, &anna.subject, all()).unwrap().len(), 1);

    kernel.restrict(&privacy, rights, &anna.subject, false).unwrap();
    assert!(kernel.read(&handler, physical, &anna.subject, all()).is_ok());
    assert_eq!(listed(&kernel), both);
}

// req: E1
#[test]
fn invalid_values_are_refused_naming_the_field_and_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let cases = [
        (Category::Bsn, "111222334", "11-check"),
        (Category::BankAccount, "NL91ABNA0417164301", "97"),
        (Category::PostcodeCity, "0726 AD Groningen", "postcode"),
        (Category::Email, "anna.example.nl", "@"),
    ];
    for (category, value, reason) in cases {
        let fields = [(Category::Name, Value::text("Anna")), (category, Value::text(value))];
        let error = kernel.write(&handler, physical, None, None, &fields).unwrap_err();
        let message = error.to_string();
        assert!(matches!(error, KernelError::Invalid { category: c, .. } if c == category), "{message}");
        assert!(message.starts_with(category.name()) && message.contains(reason), "{category}: {message}");
    }
    assert_eq!(crate::kernel::count(dir.path(), "SELECT count(*) FROM subjects"), 0);
}

// req: E0.5
#[test]
fn a_record_of_one_subject_cannot_be_written_through_another() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();
    let berend = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Berend"))]).unwrap();
    let moved = kernel.write(&handler, physical, Some(&berend.subject), Some(&anna.record), &[(Category::Name, Value::text("X"))]);
    assert!(matches!(moved, Err(KernelError::RecordMismatch { .. })), "{moved:?}");
}

// req: E17
#[test]
fn a_data_directory_refuses_a_different_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let operator_key = "11".repeat(32);
    let open = |hex: &str| {
        let key = grondslag_crypto::MasterKey::from_hex(hex).unwrap();
        grondslag_kernel::DataDir::new(dir.path()).open_kernel(crate::shipped(), Some(&key), jiff::Timestamp::now())
    };
    {
        let kernel = open(&operator_key).unwrap();
        let physical = kernel.processing("fysieke_schade").unwrap();
        kernel.write(&access(Role::CaseHandler), physical, None, None, &applicant()).unwrap();
    }
    // The operator's key was used: no key file was created beside the data.
    assert!(!grondslag_kernel::DataDir::new(dir.path()).master_key().exists());
    let refused = open(&"22".repeat(32)).unwrap_err();
    assert!(refused.to_string().contains("another master key"), "{refused}");
    assert!(open(&operator_key).is_ok());

    // Through the command line, a malformed key is refused with advice.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_grondslag"))
        .args(["demo", "--data", dir.path().to_str().unwrap()])
        .env_clear()
        .env("GRONDSLAG_MASTER_KEY", "not-hex")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(crate::stderr(&output).contains("GRONDSLAG_MASTER_KEY: the master key must be 64 hexadecimal characters"), "{}", crate::stderr(&output));
}

// req: E0.4
#[test]
fn a_corrected_bsn_replaces_the_old_one_in_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();
    // An ordinary change cannot put another BSN on a file: that would move
    // a person's file onto someone else's number.
    let moved = kernel.write(&handler, physical, Some(&anna.subject), Some(&anna.record), &[(Category::Bsn, Value::text("999990019"))]);
    assert!(matches!(moved, Err(KernelError::OtherBsn)), "{moved:?}");
    assert_eq!(kernel.find_by_bsn(&handler, physical, "111222333").unwrap(), Some(anna.subject.clone()));
    // A rectification through the rights process does.
    let rights = kernel.processing("rechtenverzoeken").unwrap();
    kernel.rights_rectify(&access(Role::PrivacyOfficer), rights, &anna, Category::Bsn, &Value::text("999990019")).unwrap();
    assert_eq!(kernel.find_by_bsn(&handler, physical, "111222333").unwrap(), None);
    assert_eq!(kernel.find_by_bsn(&handler, physical, "999990019").unwrap(), Some(anna.subject.clone()));
    let read = kernel.read(&handler, physical, &anna.subject, CategorySet::of(&[Category::Bsn])).unwrap();
    assert_eq!(read[0].get(Category::Bsn), Some(&Value::text("999990019")));

    // Another person cannot take a BSN that is already someone's.
    let taken = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("X")), (Category::Bsn, Value::text("999990019"))]);
    assert!(matches!(taken, Err(KernelError::DuplicateBsn)), "{taken:?}");
}

fn held_reason<T: std::fmt::Debug>(result: Result<T, KernelError>) -> String {
    match result {
        Err(KernelError::Held { reason, .. }) => reason,
        other => panic!("expected a refusal for the hold, got {other:?}"),
    }
}

// req: E22
// req: E18
#[test]
fn erasing_under_one_processing_leaves_the_others_and_every_erase_path_honours_a_hold() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let immaterial = kernel.processing("immateriele_schade").unwrap();
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();
    kernel.write(&handler, immaterial, Some(&anna.subject), None, &[(Category::Name, Value::text("Anna de Vries"))]).unwrap();
    let erased = kernel.erase(&handler, physical, &anna.subject).unwrap();
    assert_eq!(erased.records, 1);
    assert!(kernel.read(&handler, physical, &anna.subject, all()).unwrap().is_empty(), "gone under the processing erased");
    assert_eq!(kernel.read(&handler, immaterial, &anna.subject, all()).unwrap().len(), 1, "kept under the other");

    // A call recording of hers under a hold for an integrity investigation.
    let calls = kernel.processing("telefoon_opnames").unwrap();
    let call = kernel.write(&access(Role::System), calls, Some(&anna.subject), None, &[(Category::Phone, Value::text("0595123456"))]).unwrap();
    let review: jiff::Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
    kernel.hold(&access(Role::PrivacyOfficer), calls, &call, "integriteitsonderzoek 2026-17", review).unwrap();
    let rights = kernel.processing("rechtenverzoeken").unwrap();
    for reason in [
        held_reason(kernel.erase(&access(Role::System), calls, &anna.subject)),
        held_reason(kernel.erase_record(&access(Role::System), calls, &call, "test")),
        held_reason(kernel.rights_erase(&access(Role::PrivacyOfficer), rights, &call, "erasure (AVG art. 17)")),
    ] {
        assert!(reason.contains("integriteitsonderzoek 2026-17"), "the refusal names the hold's reason: {reason}");
    }
    assert!(kernel.read(&access(Role::PrivacyOfficer), calls, &anna.subject, all()).unwrap().len() == 1, "the held call stays");
    assert_eq!(entries_with(dir.path(), &["record_held"]), 3, "each refusal is audited");
    kernel.release(&access(Role::PrivacyOfficer), calls, &call, "afgerond zonder bevindingen").unwrap();
    assert_eq!(kernel.erase_record(&access(Role::System), calls, &call, "test").unwrap().records, 1);
}

// req: E15.LEGAL
// req: E15.EXPERT
#[test]
fn an_event_is_shown_only_to_its_audience() {
    use grondslag_kernel::Detail;
    use grondslag_register::{Action, Scope};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let handler = access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.write(&handler, physical, None, None, &applicant()).unwrap();
    let expert_file = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Deskundige"))]).unwrap();
    kernel.relate(&handler, physical, Action::Advance, &anna, Scope::Assigned, Some(&expert_file.subject), true).unwrap();
    kernel.record_event(&handler, physical, &anna, Action::Disclose, "legal_disclosure_requested", None, Some(Detail::staff("politie\nPV 42"))).unwrap();
    kernel.record_event(&handler, physical, &anna, Action::Write, "measured", None, Some(Detail::to(Category::CadastralBuilding, "perceel 1234"))).unwrap();
    kernel.record_event(&handler, physical, &anna, Action::Advance, "in_handling", Some("in_handling"), None).unwrap();

    let seen = |who: &grondslag_kernel::Access| -> Vec<String> { kernel.events(who, physical, &anna).unwrap().into_iter().map(|e| e.event).collect() };
    assert_eq!(seen(&handler), ["legal_disclosure_requested", "measured", "in_handling"]);
    let herself = access(Role::Applicant).acting_as(anna.subject.clone());
    assert_eq!(seen(&herself), ["measured", "in_handling"], "not the police request about her");
    let expert = access(Role::Expert).acting_as(expert_file.subject.clone());
    assert_eq!(seen(&expert), ["measured", "in_handling"]);
    let measured = kernel.events(&expert, physical, &anna).unwrap().remove(0);
    assert_eq!(measured.detail, None, "an expert reads no cadastral data (E15.EXPERT), not even in an event");
    assert_eq!(kernel.events(&herself, physical, &anna).unwrap()[0].detail.as_deref(), Some("perceel 1234"));
    // The person cannot file a status change on a record that has one.
    let refused = kernel.record_event(&herself, physical, &anna, Action::File, "closed", Some("closed"), None);
    assert!(matches!(refused, Err(KernelError::Denied { denial: Denial::RoleNotAllowed { action: Action::Advance, .. }, .. })), "{refused:?}");
    assert_eq!(seen(&handler).last().map(String::as_str), Some("in_handling"), "nothing was recorded");
    assert_eq!(entries_with(dir.path(), &["role_not_allowed", ":closed"]), 1, "the refusal is audited");
}
