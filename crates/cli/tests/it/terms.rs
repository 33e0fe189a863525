//! Every term has a start that product code reaches: a record is there the
//! day before its term ends, and nothing of the person is left — the key
//! included — after the sweep of the day after (E1, E13, E19, E22).

use grondslag_claims::Status;
use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_claims::cases::{Application, AuthorisationForm, Cases};
use grondslag_kernel::{Access, Kernel, SubjectId};
use grondslag_register::Role;
use grondslag_rights::requests::{Requests, RightKind};
use serde_json::json;

use crate::{open_kernel, sqlite};

fn at(role: Role, when: &str) -> Access {
    Access::new("behandelaar.jansen", role, "test", when.parse().unwrap())
}

/// Deletes what is due at `when`; how many records went.
fn sweep(kernel: &Kernel, when: &str) -> u64 {
    kernel.sweep(&at(Role::System, when), when.parse().unwrap(), 100, None, |_| ()).unwrap().iter().map(|c| c.records).sum()
}

/// Physical damage to Hoofdstraat 12, filed by `applicant`.
fn physical_damage(applicant: serde_json::Value) -> Application {
    serde_json::from_value(json!({
        "scheme": "fysieke_schade",
        "applicant": applicant,
        "object": { "kind": "home", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" },
        "details": { "damage_arose": "2026-03-01" }
    }))
    .unwrap()
}

/// Records and key of `subject` still stored.
fn left_of(dir: &std::path::Path, subject: &SubjectId) -> (i64, i64) {
    let db = sqlite(dir);
    let count = |sql: &str| db.query_row(sql, [subject.as_str()], |r| r.get::<_, i64>(0)).unwrap();
    (count("SELECT count(*) FROM records WHERE subject_id = ?1"), count("SELECT count(*) FROM subjects WHERE id = ?1"))
}

// req: E1
// req: E13
#[test]
fn a_closed_case_with_its_photos_notes_and_authorisation_goes_whole_after_its_term_and_the_keys_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let cases = Cases::new(&kernel, AreaLists::parse("data/areas.csv", SAMPLE).unwrap());
    let filing = at(Role::CaseHandler, "2026-03-02T10:00:00Z");
    let filed = cases.file(&filing, &physical_damage(json!({ "name": "Anna de Vries", "phone": "0595 123 456", "bsn": "111222333" }))).unwrap();
    let number = filed.number.to_string();
    let anna = filed.case.subject.clone();
    cases.attach_photo(&filing, &number, vec![0xFF, 0xD8, 0xFF, 0xE0]).unwrap();
    cases.add_note(&filing, &number, "Scheur in de achtergevel gezien.").unwrap();
    let form: AuthorisationForm = serde_json::from_value(json!({
        "case": number,
        "principal": { "initials": "A.", "name": "de Vries", "signature": "A. de Vries (digitaal)" },
        "representative": { "name": "Jan Bakker", "bsn": "123456782", "phone": "0612345678" }
    }))
    .unwrap();
    let jan = cases.authorise(&filing, &form).unwrap().subject;
    for (status, when) in [
        (Status::InHandling, "2026-04-01T10:00:00Z"),
        (Status::ExpertAdvice, "2026-05-01T10:00:00Z"),
        (Status::Decision, "2026-06-01T10:00:00Z"),
        (Status::Closed, "2026-07-01T10:00:00Z"),
    ] {
        cases.advance(&at(Role::CaseHandler, when), &number, status, None).unwrap();
    }
    // The case (1), its photo and note (2), the principal's side of the authorisation (1).
    assert_eq!(left_of(dir.path(), &anna), (4, 1));
    assert_eq!(left_of(dir.path(), &jan), (1, 1));
    // Claim dossiers are kept 20 years from closing.
    assert_eq!(sweep(&kernel, "2046-06-30T10:00:00Z"), 0);
    assert_eq!(left_of(dir.path(), &anna), (4, 1), "everything is there the day before");
    assert_eq!(left_of(dir.path(), &jan), (1, 1));
    assert_eq!(sweep(&kernel, "2046-07-02T10:00:00Z"), 5);
    assert_eq!(left_of(dir.path(), &anna), (0, 0), "nothing of her, and her key is shredded");
    assert_eq!(left_of(dir.path(), &jan), (0, 0), "the representative's side went with the case");
    assert!(kernel.verify_audit(|_| ()).is_ok());
}

// req: E22
#[test]
fn a_rights_request_goes_two_years_after_it_was_answered() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let cases = Cases::new(&kernel, AreaLists::parse("data/areas.csv", SAMPLE).unwrap());
    let anna = cases.file(&at(Role::CaseHandler, "2026-03-01T09:00:00Z"), &physical_damage(json!({ "name": "Anna de Vries" }))).unwrap().case.subject;
    let requests = Requests::new(&kernel).unwrap();
    let privacy = |when: &str| at(Role::PrivacyOfficer, when);
    let filed = requests.file(&privacy("2026-03-01T10:00:00Z"), &anna, RightKind::Access, "Anna de Vries", None).unwrap();
    requests.verify_identity(&privacy("2026-03-02T10:00:00Z"), &filed.request, "DigiD").unwrap();
    requests.answer(&privacy("2026-03-20T10:00:00Z"), &filed.request, "Je gegevens staan in Mijn gegevens.").unwrap();
    let request_records =
        || sqlite(dir.path()).query_row("SELECT count(*) FROM records WHERE processing = 'rechtenverzoeken'", [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(sweep(&kernel, "2028-03-19T10:00:00Z"), 0);
    assert_eq!(request_records(), 1, "the request's file is there the day before");
    assert_eq!(sweep(&kernel, "2028-03-21T10:00:00Z"), 1);
    assert_eq!(request_records(), 0, "the request's file is gone");
    assert_eq!(left_of(dir.path(), &anna), (1, 1), "her open case and its key stay");
}

// req: E19
#[test]
fn outreach_copies_go_when_the_outreach_period_ends_and_the_do_not_approach_list_stays() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let cases = Cases::new(&kernel, AreaLists::parse("data/areas.csv", SAMPLE).unwrap());
    let handler = at(Role::CaseHandler, "2026-03-02T10:00:00Z");
    let number = cases.file(&handler, &physical_damage(json!({ "name": "Anna de Vries" }))).unwrap().number.to_string();
    for status in [Status::InHandling, Status::ExpertAdvice, Status::Decision, Status::Closed] {
        cases.advance(&handler, &number, status, None).unwrap();
    }
    cases.opt_out(&handler, "Kerkpad 3", "9917 PA Wirdum").unwrap();
    assert_eq!(cases.outreach_import(&handler, grondslag_claims::Scheme::PhysicalDamage).unwrap(), 1);
    let outreach = || sqlite(dir.path()).query_row("SELECT count(*) FROM records WHERE processing = 'benaderen'", [], |r| r.get::<_, i64>(0)).unwrap();
    let list = || sqlite(dir.path()).query_row("SELECT count(*) FROM records WHERE processing = 'niet_benaderen'", [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(sweep(&kernel, "2027-01-01T00:00:00Z"), 0, "kept while people are approached");
    assert_eq!(outreach(), 1);
    assert_eq!(cases.end_outreach(&at(Role::CaseHandler, "2027-02-01T10:00:00Z")).unwrap(), 1);
    assert_eq!(sweep(&kernel, "2027-02-01T10:00:01Z"), 1);
    assert_eq!((outreach(), list()), (0, 1), "the copies went; the list stays");
}
