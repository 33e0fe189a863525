//! The register's terms carried out: nothing goes a second early, everything
//! goes at the first sweep after, holds keep, and sweeps can be resumed.

use grondslag_kernel::{Access, Kernel, RecordRef, Value};
use grondslag_register::{Category, Role};

use crate::{open_kernel, sqlite};

fn at(role: Role, when: &str) -> Access {
    Access::new(format!("test.{role}"), role, "test", when.parse().unwrap())
}

fn sweep(kernel: &Kernel, when: &str) -> u64 {
    kernel.sweep(&at(Role::System, when), when.parse().unwrap(), 100, None, |_| ()).unwrap().iter().map(|c| c.records).sum()
}

fn exists(dir: &std::path::Path, record: &RecordRef) -> bool {
    sqlite(dir).query_row("SELECT count(*) FROM records WHERE id = ?1", [record.record.as_str()], |r| r.get::<_, i64>(0)).unwrap() == 1
}

/// A record under `processing` with one event at `when`. An employee acts
/// on their own file, which HR opened.
fn record_with_event(kernel: &Kernel, processing: &str, role: Role, fields: &[(Category, Value)], event: &str, when: &str) -> RecordRef {
    let id = kernel.processing(processing).unwrap();
    let (access, subject) = match role {
        Role::Employee => {
            let file = kernel.processing("personeelsdossier").unwrap();
            let own = kernel.write(&at(Role::Hr, when), file, None, None, &[(Category::Name, Value::text("Medewerker"))]).unwrap().subject;
            (at(role, when).acting_as(own.clone()), Some(own))
        }
        _ => (at(role, when), None),
    };
    let record = kernel.write(&access, id, subject.as_ref(), None, fields).unwrap();
    kernel.record_event(&access, id, &record, grondslag_register::Action::Write, event, None, None).unwrap();
    record
}

// req: E18
#[test]
fn a_term_after_an_event_is_kept_to_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    // Recorded 1 October 2026 11:00 in Amsterdam; 28 calendar days later,
    // across the end of summer time, is 29 October 11:00 (10:00 UTC).
    let call =
        record_with_event(&kernel, "telefoon_opnames", Role::System, &[(Category::Phone, Value::text("0612345678"))], "recorded", "2026-10-01T09:00:00Z");
    assert_eq!(sweep(&kernel, "2026-10-29T09:59:59Z"), 0);
    assert!(exists(dir.path(), &call));
    assert_eq!(sweep(&kernel, "2026-10-29T10:00:00Z"), 1);
    assert!(!exists(dir.path(), &call));
    assert_eq!(sqlite(dir.path()).query_row("SELECT count(*) FROM subjects", [], |r| r.get::<_, i64>(0)).unwrap(), 0, "the caller's key is shredded");
}

// req: E11
#[test]
fn a_term_until_an_event_and_until_withdrawal() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let fields = [
        (Category::Name, Value::text("Anna")),
        (Category::Phone, Value::text("0595123456")),
        (Category::Email, Value::text("anna@example.nl")),
        (Category::FreeText, Value::text("Vraag")),
    ];
    let message = record_with_event(&kernel, "contactformulier", Role::Public, &fields, "received", "2026-11-01T10:00:00Z");
    assert_eq!(sweep(&kernel, "2030-01-01T00:00:00Z"), 0, "waiting for the answer: no date, never swept");
    let id = kernel.processing("contactformulier").unwrap();
    kernel
        .record_event(&at(Role::Public, "2026-11-03T10:00:00Z"), id, &message, grondslag_register::Action::Write, "answered_and_satisfied", None, None)
        .unwrap();
    assert_eq!(sweep(&kernel, "2026-11-03T09:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2026-11-03T10:00:00Z"), 1);

    let survey =
        record_with_event(&kernel, "mto_resultaten", Role::Employee, &[(Category::SurveyAnswers, Value::text("4 van 5"))], "given", "2026-11-01T10:00:00Z");
    assert_eq!(sweep(&kernel, "2027-11-01T10:00:00Z"), 0);
    kernel
        .record_event(
            &at(Role::Employee, "2027-11-02T10:00:00Z").acting_as(survey.subject.clone()),
            kernel.processing("mto_resultaten").unwrap(),
            &survey,
            grondslag_register::Action::Write,
            "consent_withdrawn",
            None,
            None,
        )
        .unwrap();
    assert_eq!(sweep(&kernel, "2027-11-02T10:00:00Z"), 1);
}

// req: I3
#[test]
fn per_item_terms_and_permanent_logs() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let log =
        [(Category::Name, Value::text("Medewerker")), (Category::Function, Value::text("behandelaar")), (Category::ViewLog, Value::text("dashboard schades"))];
    let dashboard = record_with_event(&kernel, "logging_dashboards", Role::System, &log, "recorded", "2026-01-15T10:00:00Z");
    let dossier = record_with_event(&kernel, "logging_dossiers", Role::System, &log, "recorded", "2026-01-15T10:00:00Z");
    assert_eq!(sweep(&kernel, "2027-01-15T09:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2027-01-15T10:00:00Z"), 1);
    assert!(!exists(dir.path(), &dashboard));
    assert_eq!(sweep(&kernel, "2126-01-01T00:00:00Z"), 0);
    assert!(exists(dir.path(), &dossier), "the audit of who viewed damage dossiers is kept for good");
}

// req: E16
#[test]
fn months_count_on_the_calendar_from_the_end_of_a_month() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let log = [
        (Category::Name, Value::text("Beveiliger")),
        (Category::Function, Value::text("facility_security")),
        (Category::ViewLog, Value::text("bekeek beelden")),
    ];
    // 31 August 12:00 in Amsterdam + 6 months = 28 February 12:00 (11:00 UTC).
    let entry = record_with_event(&kernel, "camera_protocol", Role::FacilitySecurity, &log, "recorded", "2026-08-31T10:00:00Z");
    assert_eq!(sweep(&kernel, "2027-02-28T10:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2027-02-28T11:00:00Z"), 1);
    assert!(!exists(dir.path(), &entry));
}

// req: E18
#[test]
fn a_held_recording_survives_and_goes_after_release() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let calls = kernel.processing("telefoon_opnames").unwrap();
    let call =
        record_with_event(&kernel, "telefoon_opnames", Role::System, &[(Category::Phone, Value::text("0612345678"))], "recorded", "2026-10-01T09:00:00Z");
    kernel
        .record_event(
            &at(Role::PrivacyOfficer, "2026-10-10T09:00:00Z"),
            calls,
            &call,
            grondslag_register::Action::Write,
            "hold_placed",
            None,
            Some(grondslag_kernel::Detail::staff("integriteitsonderzoek")),
        )
        .unwrap();
    assert_eq!(sweep(&kernel, "2027-01-01T00:00:00Z"), 0);
    assert!(exists(dir.path(), &call));
    kernel
        .record_event(
            &at(Role::PrivacyOfficer, "2027-01-02T09:00:00Z"),
            calls,
            &call,
            grondslag_register::Action::Write,
            "hold_released",
            None,
            Some(grondslag_kernel::Detail::staff("afgerond")),
        )
        .unwrap();
    assert_eq!(sweep(&kernel, "2027-01-02T09:00:01Z"), 1, "past its term: gone at the first sweep after release");
}

/// What the sweep reads of a record: (due date, held).
fn stored_due(dir: &std::path::Path, record: &RecordRef) -> (Option<String>, bool) {
    sqlite(dir).query_row("SELECT due_at, held FROM due WHERE record_id = ?1", [record.record.as_str()], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? != 0))).unwrap()
}

// req: E18
#[test]
fn a_record_that_belongs_to_another_follows_its_date_through_events_that_change_none_and_keeps_its_own_hold() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let calls = kernel.processing("telefoon_opnames").unwrap();
    let privacy = |when: &str| at(Role::PrivacyOfficer, when);
    let event = |record: &RecordRef, event: &str, when: &str| {
        let detail = grondslag_kernel::Detail::staff("onderzoek");
        kernel.record_event(&privacy(when), calls, record, grondslag_register::Action::Write, event, None, Some(detail)).unwrap();
    };
    let call =
        record_with_event(&kernel, "telefoon_opnames", Role::System, &[(Category::Phone, Value::text("0612345678"))], "recorded", "2026-10-01T09:00:00Z");
    let system = at(Role::System, "2026-10-01T09:05:00Z");
    let note = kernel.write(&system, calls, Some(&call.subject), None, &[(Category::Phone, Value::text("0612345678"))]).unwrap();
    kernel.unit(|unit| unit.belong_to(&system, calls, &note, &call)).unwrap();
    let term = Some("2026-10-29T10:00:00.000000000Z".to_string());
    assert_eq!(stored_due(dir.path(), &note), (term.clone(), false), "it takes the date of the record it belongs to");

    event(&note, "hold_placed", "2026-10-02T09:00:00Z");
    assert_eq!(stored_due(dir.path(), &note), (None, true), "its own hold keeps it");
    assert_eq!(stored_due(dir.path(), &call), (term.clone(), false), "its hold is not its parent's");
    // An event that changes no date, on the parent and on the record itself.
    event(&call, "listened_back", "2026-10-03T09:00:00Z");
    event(&note, "listened_back", "2026-10-03T09:01:00Z");
    assert_eq!(stored_due(dir.path(), &note), (None, true), "an event that changes no date leaves its hold");
    event(&note, "hold_released", "2026-10-04T09:00:00Z");
    assert_eq!(stored_due(dir.path(), &note), (term.clone(), false), "released, it follows its parent again");

    // A hold on the parent changes the parent's date, so it reaches the record.
    event(&call, "hold_placed", "2026-10-05T09:00:00Z");
    assert_eq!(stored_due(dir.path(), &note), (None, true));
    assert_eq!(sweep(&kernel, "2027-01-01T00:00:00Z"), 0, "both kept under the parent's hold");
    event(&call, "hold_released", "2027-01-02T09:00:00Z");
    assert_eq!(stored_due(dir.path(), &note), (term, false));
    assert_eq!(sweep(&kernel, "2027-01-02T09:00:01Z"), 2, "released, both go at the first sweep after");
}

// req: E1
#[test]
fn a_closed_case_is_kept_for_the_statutory_term() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let case = record_with_event(&kernel, "fysieke_schade", Role::CaseHandler, &[(Category::Name, Value::text("Anna"))], "case_closed", "2026-11-28T10:00:00Z");
    assert_eq!(sweep(&kernel, "2046-11-28T09:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2046-11-28T10:00:00Z"), 1, "20 years, the register's claim_dossier setting");
    assert!(!exists(dir.path(), &case));
}

/// A store with `n` recordings due, and one that is not.
fn store_with_due(dir: &std::path::Path, n: usize) -> Kernel {
    let kernel = open_kernel(dir);
    for i in 0..n {
        record_with_event(
            &kernel,
            "telefoon_opnames",
            Role::System,
            &[(Category::Phone, Value::text(format!("06123456{:02}", i % 100)))],
            "recorded",
            "2026-10-01T09:00:00Z",
        );
    }
    record_with_event(&kernel, "telefoon_opnames", Role::System, &[(Category::Phone, Value::text("0699999999"))], "recorded", "2026-12-01T09:00:00Z");
    kernel
}

fn remaining(dir: &std::path::Path) -> (i64, i64) {
    let db = sqlite(dir);
    let records = db.query_row("SELECT count(*) FROM records", [], |r| r.get(0)).unwrap();
    let subjects = db.query_row("SELECT count(*) FROM subjects", [], |r| r.get(0)).unwrap();
    (records, subjects)
}

// req: E18
#[test]
fn a_sweep_stopped_halfway_and_resumed_ends_like_an_uninterrupted_one() {
    let (whole, halves) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let now = "2026-11-15T00:00:00Z";
    let uninterrupted = store_with_due(whole.path(), 10);
    let deleted: u64 = uninterrupted.sweep(&at(Role::System, now), now.parse().unwrap(), 3, None, |_| ()).unwrap().iter().map(|c| c.records).sum();
    let interrupted = store_with_due(halves.path(), 10);
    let first: u64 = interrupted.sweep(&at(Role::System, now), now.parse().unwrap(), 3, Some(1), |_| ()).unwrap().iter().map(|c| c.records).sum();
    assert_eq!(first, 3, "stopped after one batch");
    assert_eq!(remaining(halves.path()).0, 8);
    let rest: u64 = interrupted.sweep(&at(Role::System, now), now.parse().unwrap(), 3, None, |_| ()).unwrap().iter().map(|c| c.records).sum();
    assert_eq!((deleted, first + rest), (10, 10));
    assert_eq!(remaining(whole.path()), remaining(halves.path()));
    assert_eq!(remaining(halves.path()), (1, 1), "only what was not due is left");

    // The certificates hold no personal data, and the chain still verifies.
    let certificates: Vec<String> =
        crate::audit_json(halves.path(), "SELECT entry FROM audit_entries", []).into_iter().filter(|e| e.contains("retention_sweep")).collect();
    assert!(!certificates.is_empty());
    for certificate in &certificates {
        assert!(!certificate.contains("06123456") && certificate.contains("deletion certificate"), "{certificate}");
        assert!(certificate.contains("\"data_subject_id\":null"), "{certificate}");
    }
    assert!(interrupted.verify_audit(|_| ()).unwrap().entries > 0);
    // Only the system sweeps.
    assert!(interrupted.sweep(&at(Role::PrivacyOfficer, now), now.parse().unwrap(), 3, None, |_| ()).is_err());
}

// req: E18
#[test]
fn retention_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        let mut all = vec!["--data", data.to_str().unwrap()];
        all.extend_from_slice(args);
        crate::grondslag(&all)
    };
    let wav = dir.path().join("call.wav");
    std::fs::write(&wav, b"RIFF\x24\x00\x00\x00WAVEfmt data").unwrap();
    assert!(run(&["channel", "media", "ingest-call", wav.to_str().unwrap(), "--type", "audio/wav", "--caller", "0612345678"]).status.success());
    let later = "2099-01-01T00:00:00Z";
    let dry = run(&["retention", "run", "--dry-run", "--now", later]);
    assert!(crate::stdout(&dry).contains("telefoon_opnames"), "{}", crate::stdout(&dry));
    let report = crate::stdout(&run(&["retention", "report"]));
    assert!(report.lines().any(|l| l.starts_with("telefoon_opnames") && l.contains(" 1 ")), "{report}");
    let swept = run(&["retention", "run", "--now", later]);
    assert!(crate::stdout(&swept).starts_with("1 record(s) deleted"), "{}", crate::stdout(&swept));
    assert!(crate::stdout(&run(&["retention", "run", "--dry-run", "--now", later])).contains("nothing is due"));
    let bad = run(&["retention", "run", "--now", "morgen"]);
    assert!(!bad.status.success() && crate::stderr(&bad).contains("--now"), "{}", crate::stderr(&bad));
    assert!(run(&["audit", "verify"]).status.success());
}

// req: E18
#[test]
fn a_changed_term_in_the_register_applies_to_data_already_held() {
    let dir = tempfile::tempdir().unwrap();
    let call = {
        let kernel = open_kernel(dir.path());
        record_with_event(&kernel, "telefoon_opnames", Role::System, &[(Category::Phone, Value::text("0612345678"))], "recorded", "2026-10-01T09:00:00Z")
    };
    let shorter = grondslag_register::SHIPPED.replacen(r#"term = "28 days""#, r#"term = "14 days""#, 1);
    let register = grondslag_register::parse("img-shorter.toml", &shorter).unwrap();
    let kernel = grondslag_kernel::DataDir::new(dir.path()).open_kernel(register, None, jiff::Timestamp::now()).unwrap();
    assert_eq!(kernel.recomputed(), ["telefoon_opnames"]);
    assert_eq!(sweep(&kernel, "2026-10-15T08:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2026-10-15T09:00:00Z"), 1, "14 days now, for the recording already held");
    assert!(!exists(dir.path(), &call));
}

// req: E18
#[test]
fn register_check_warns_when_a_change_shortens_terms_of_data_held() {
    let dir = tempfile::tempdir().unwrap();
    {
        let kernel = open_kernel(dir.path());
        record_with_event(&kernel, "telefoon_opnames", Role::System, &[(Category::Phone, Value::text("0612345678"))], "recorded", "2026-10-01T09:00:00Z");
    }
    let file = dir.path().join("img-shorter.toml");
    std::fs::write(&file, grondslag_register::SHIPPED.replacen(r#"term = "28 days""#, r#"term = "14 days""#, 1)).unwrap();
    let output = crate::grondslag(&["register", "check", file.to_str().unwrap(), "--data", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", crate::stderr(&output));
    let warning = crate::stderr(&output);
    assert!(warning.contains("`telefoon_opnames` shortens the term of data already held (1 record(s)"), "{warning}");
    let unchanged = crate::grondslag(&["register", "check", "--data", dir.path().to_str().unwrap()]);
    assert!(!crate::stderr(&unchanged).contains("of data already held"), "{}", crate::stderr(&unchanged));
}

// req: I5
#[test]
fn an_intranet_profile_goes_when_the_employee_leaves_and_optional_parts_on_withdrawal() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let profile = record_with_event(
        &kernel,
        "intranet_profiel",
        Role::Employee,
        &[(Category::Name, Value::text("Jan")), (Category::Function, Value::text("behandelaar")), (Category::Email, Value::text("jan@img.nl"))],
        "created",
        "2026-01-05T09:00:00Z",
    );
    let optional = kernel.processing("intranet_profiel_optioneel").unwrap();
    let extra = kernel
        .write(
            &at(Role::Employee, "2026-01-05T09:00:00Z").acting_as(profile.subject.clone()),
            optional,
            Some(&profile.subject),
            None,
            &[(Category::ProfileOptional, Value::text("team schade, bel me voor BAG-vragen"))],
        )
        .unwrap();
    kernel
        .record_event(
            &at(Role::Employee, "2026-01-05T09:00:00Z").acting_as(extra.subject.clone()),
            optional,
            &extra,
            grondslag_register::Action::Write,
            "given",
            None,
            None,
        )
        .unwrap();
    assert_eq!(sweep(&kernel, "2030-01-01T00:00:00Z"), 0, "kept while employed and consenting");
    kernel
        .record_event(
            &at(Role::Employee, "2026-06-01T09:00:00Z").acting_as(extra.subject.clone()),
            optional,
            &extra,
            grondslag_register::Action::Write,
            "consent_withdrawn",
            None,
            None,
        )
        .unwrap();
    assert_eq!(sweep(&kernel, "2026-06-01T09:00:00Z"), 1);
    kernel
        .record_event(
            &at(Role::Employee, "2027-03-31T16:00:00Z").acting_as(profile.subject.clone()),
            kernel.processing("intranet_profiel").unwrap(),
            &profile,
            grondslag_register::Action::Write,
            "employment_ended",
            None,
            None,
        )
        .unwrap();
    assert_eq!(sweep(&kernel, "2027-03-31T16:00:00Z"), 1);
    assert!(!exists(dir.path(), &profile));
}

// req: I7
#[test]
fn team_system_accounts_keep_only_a_password_hash_and_their_own_term() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let systems = kernel.processing("teamsystemen").unwrap();
    let account = record_with_event(
        &kernel,
        "teamsystemen",
        Role::Admin,
        &[
            (Category::Username, Value::text("jan.jansen")),
            (Category::Password, Value::text("lange zin als wachtwoord")),
            (Category::Email, Value::text("jan@img.nl")),
        ],
        "team_account_ended",
        "2026-01-05T09:00:00Z",
    );
    let stored = kernel
        .read_record(&at(Role::Admin, "2026-01-06T09:00:00Z"), systems, &account, grondslag_register::CategorySet::of(&[Category::Password]))
        .unwrap()
        .unwrap();
    assert!(stored.get(Category::Password).and_then(Value::as_text).unwrap().starts_with("$argon2id$"));
    kernel
        .record_event(&at(Role::Admin, "2026-01-05T09:00:00Z"), systems, &account, grondslag_register::Action::Write, "item_term:6 months", None, None)
        .unwrap();
    assert_eq!(sweep(&kernel, "2026-07-05T07:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2026-07-05T08:00:00Z"), 1, "this application's own term, not the one-year default");
}

// req: K8
#[test]
fn training_recordings_need_consent_and_go_after_four_weeks() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let register = kernel.register();
    let training = register.processing(kernel.processing("kcc_opleiding_klantcontact").unwrap());
    assert_eq!(training.basis, grondslag_register::Basis::Consent);
    let clip = record_with_event(
        &kernel,
        "kcc_opleiding_klantcontact",
        Role::Employee,
        &[(Category::Name, Value::text("Medewerker")), (Category::CallRecording, Value::Bytes(b"opname".to_vec()))],
        "recorded",
        "2026-02-02T09:00:00Z",
    );
    assert_eq!(sweep(&kernel, "2026-03-02T08:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2026-03-02T09:00:00Z"), 1);
    assert!(!exists(dir.path(), &clip));
}

// req: I2
#[test]
fn survey_answers_can_be_given_without_a_name_and_withdrawn() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let results = kernel.processing("mto_resultaten").unwrap();
    let p = kernel.register().processing(results);
    assert!(p.optional.contains(Category::Name) && p.optional.contains(Category::Email), "contact details at the end are optional");
    let invitation = kernel.register().processing(kernel.processing("mto_uitnodiging").unwrap());
    assert_eq!(invitation.basis, grondslag_register::Basis::LegitimateInterest);
    let answers =
        record_with_event(&kernel, "mto_resultaten", Role::Employee, &[(Category::SurveyAnswers, Value::text("tevreden: 4"))], "given", "2026-05-01T09:00:00Z");
    kernel
        .record_event(
            &at(Role::Employee, "2026-05-02T09:00:00Z").acting_as(answers.subject.clone()),
            results,
            &answers,
            grondslag_register::Action::Write,
            "consent_withdrawn",
            None,
            None,
        )
        .unwrap();
    assert_eq!(sweep(&kernel, "2026-05-02T09:00:00Z"), 1);
}

// req: E18
#[test]
fn records_of_a_processing_the_register_no_longer_has_are_skipped_and_reported_not_a_failing_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let (call, footage) = {
        let kernel = open_kernel(dir.path());
        let call =
            record_with_event(&kernel, "telefoon_opnames", Role::System, &[(Category::Phone, Value::text("0612345678"))], "recorded", "2026-10-01T09:00:00Z");
        let footage =
            record_with_event(&kernel, "camera", Role::FacilitySecurity, &[(Category::FootageMeta, Value::text("ingang"))], "recorded", "2026-10-01T09:00:00Z");
        (call, footage)
    };
    let renamed = grondslag_register::SHIPPED.replacen(r#"id = "telefoon_opnames""#, r#"id = "telefoongesprekken""#, 1);
    let file = dir.path().join("img-renamed.toml");
    std::fs::write(&file, &renamed).unwrap();
    let checked = crate::grondslag(&["register", "check", file.to_str().unwrap(), "--data", dir.path().to_str().unwrap()]);
    assert!(checked.status.success(), "{}", crate::stderr(&checked));
    assert!(
        crate::stderr(&checked).contains("1 record(s) in")
            && crate::stderr(&checked).contains("held under processing `telefoon_opnames`, which this register does not have"),
        "{}",
        crate::stderr(&checked)
    );
    let kernel = grondslag_kernel::DataDir::new(dir.path())
        .open_kernel(grondslag_register::parse("img-renamed.toml", &renamed).unwrap(), None, jiff::Timestamp::now())
        .unwrap();
    // Both are long due; the sweep deletes what the register still covers, every day, and keeps the rest.
    assert_eq!(sweep(&kernel, "2027-01-01T00:00:00Z"), 1);
    assert_eq!(sweep(&kernel, "2027-01-02T00:00:00Z"), 0);
    assert!(!exists(dir.path(), &footage));
    assert!(exists(dir.path(), &call), "kept for a person to decide");
    let report = kernel.retention_report().unwrap();
    assert!(report.iter().any(|l| l.processing == "telefoon_opnames" && l.records == 1), "{report:?}");
}
