//! Who may touch what, as the register says it for the staff and the call
//! centre: roles open doors, and nothing else does.

use grondslag_kernel::{KernelError, Value};
use grondslag_register::{Category, CategorySet, Role};

use crate::{access, open_kernel};

fn all() -> CategorySet {
    Category::ALL.iter().copied().collect()
}

fn recording() -> Vec<(Category, Value)> {
    vec![
        (Category::Name, Value::text("Medewerker Jansen")),
        (Category::CallMeta, Value::text("2026-11-02 10:14, 6 min, inkomend")),
        (Category::CallRecording, Value::Bytes(b"opname".to_vec())),
    ]
}

// req: K7
#[test]
fn coaching_reports_are_for_the_employee_and_the_coach_not_the_manager() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let coaching = kernel.processing("kcc_coaching").unwrap();
    let report = [(Category::Name, Value::text("Medewerker Jansen")), (Category::FreeText, Value::text("Criterium 5: open vragen gesteld. Ja."))];
    let employee = kernel.write(&access(Role::Coach), coaching, None, None, &report).unwrap().subject;
    assert!(kernel.read(&access(Role::Employee), coaching, &employee, all()).is_ok());
    assert!(kernel.read(&access(Role::Coach), coaching, &employee, all()).is_ok());
    for outsider in [Role::Manager, Role::DepartmentManager, Role::Hr] {
        let denied = kernel.read(&access(outsider), coaching, &employee, all());
        assert!(matches!(denied, Err(KernelError::Denied { .. })), "{outsider}: {denied:?}");
    }
}

// req: K9
#[test]
fn a_threat_recording_is_heard_by_the_employee_and_the_manager_and_the_coach_has_no_role() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let threat = kernel.processing("kcc_bedreiging").unwrap();
    let employee = kernel.write(&access(Role::Employee), threat, None, None, &recording()).unwrap().subject;
    let heard = kernel.read(&access(Role::Manager), threat, &employee, all()).unwrap();
    assert_eq!(heard[0].get(Category::CallRecording), Some(&Value::Bytes(b"opname".to_vec())));
    assert!(matches!(kernel.read(&access(Role::Coach), threat, &employee, all()), Err(KernelError::Denied { .. })));
}

// req: K10
#[test]
fn weighty_reasons_are_for_the_direct_and_the_department_manager_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let calls = kernel.processing("kcc_opnames").unwrap();
    let weighty = kernel.processing("kcc_zwaarwegende_redenen").unwrap();
    let grants = kernel.register().processing(weighty).grants;
    let readers: Vec<Role> = Role::ALL.iter().copied().filter(|r| grants[r.index()].allows(grondslag_register::Action::Read)).collect();
    assert_eq!(readers, vec![Role::Manager, Role::DepartmentManager]);
    // Nobody writes under it but the system that files the recording there.
    let employee = kernel.write(&access(Role::System), calls, None, None, &recording()).unwrap().subject;
    assert!(matches!(kernel.write(&access(Role::Coach), weighty, Some(&employee), None, &recording()), Err(KernelError::Denied { .. })));
}

// req: K2
#[test]
fn recordings_serve_only_the_closed_list_of_purposes() {
    let register = crate::shipped();
    let purposes: Vec<&str> = register
        .processings
        .iter()
        .filter(|p| p.categories.contains(Category::CallRecording) && p.statement == grondslag_register::Statement::Kcc)
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(
        purposes,
        [
            "kcc_opnames",
            "kcc_coaching",
            "kcc_kwaliteitsmonitoring",
            "kcc_opleiding_klantcontact",
            "kcc_opleiding_coach_kalibratie",
            "kcc_bedreiging",
            "kcc_zwaarwegende_redenen",
        ]
    );
    // K8: training use rests on the employee's consent.
    for id in ["kcc_opleiding_klantcontact", "kcc_opleiding_coach_kalibratie"] {
        let p = register.processing(register.processing_id(id).unwrap());
        assert_eq!(p.basis, grondslag_register::Basis::Consent, "{id}");
    }
}

// req: I6
#[test]
fn nobody_can_read_a_vote() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let voters = kernel.processing("or_kiezers").unwrap();
    let ballot = [(Category::Email, Value::text("kiezer@img.nl")), (Category::Vote, Value::text("kandidaat 3"))];
    let voter = kernel.write(&access(Role::Employee), voters, None, None, &ballot).unwrap().subject;
    for role in Role::ALL.iter().copied() {
        if let Ok(views) = kernel.read(&access(role), voters, &voter, all()) {
            assert!(views.iter().all(|v| v.get(Category::Vote).is_none()), "{role} read a vote");
        }
    }
}

// req: E12
#[test]
fn a_forum_password_is_kept_only_as_an_argon2id_hash() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let forum = kernel.processing("forum").unwrap();
    let account = [
        (Category::Name, Value::text("Anna")),
        (Category::Username, Value::text("anna_uithuizen")),
        (Category::Email, Value::text("anna@example.nl")),
        (Category::Password, Value::text("correct paard batterij nietje")),
    ];
    let anna = kernel.write(&access(Role::Public), forum, None, None, &account).unwrap().subject;
    let read = kernel.read(&access(Role::Public), forum, &anna, CategorySet::of(&[Category::Password])).unwrap();
    let stored = read[0].get(Category::Password).and_then(Value::as_text).unwrap();
    assert!(stored.starts_with("$argon2id$"), "{stored}");
    assert!(!stored.contains("paard"));
}
