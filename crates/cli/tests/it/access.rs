//! Who may touch what, as the register says it for the staff and the call
//! centre: roles open doors, and nothing else does.

use grondslag_kernel::{Access, Denial, KernelError, RecordRef, Value};
use grondslag_register::{Action, Category, CategorySet, Role, Scope};

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

/// A member of staff with a personnel file opened by HR: the file their
/// own actions count as `self`, and the end of their relations.
fn staff_member(kernel: &grondslag_kernel::Kernel, name: &str) -> (RecordRef, Access) {
    let file = kernel.processing("personeelsdossier").unwrap();
    let record = kernel.write(&access(Role::Hr), file, None, None, &[(Category::Name, Value::text(name))]).unwrap();
    (record.clone(), access(Role::Employee).acting_as(record.subject))
}

/// HR records that `actor` stands in `scope` to the employee (coaches them, manages them).
fn relate(kernel: &grondslag_kernel::Kernel, employee: &RecordRef, scope: Scope, actor: &RecordRef) {
    let file = kernel.processing("personeelsdossier").unwrap();
    kernel.relate(&access(Role::Hr), file, Action::Advance, employee, scope, Some(&actor.subject), true).unwrap();
}

fn as_role(role: Role, who: &RecordRef) -> Access {
    access(role).acting_as(who.subject.clone())
}

fn refused_for<T: std::fmt::Debug>(result: Result<T, KernelError>) -> Denial {
    match result {
        Err(KernelError::Denied { denial, .. }) => denial,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

// req: K7
#[test]
fn coaching_reports_are_for_the_employee_and_their_own_coach_not_the_manager() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let coaching = kernel.processing("kcc_coaching").unwrap();
    let (employee, _) = staff_member(&kernel, "Medewerker Jansen");
    let (coach, _) = staff_member(&kernel, "Coach de Boer");
    let (other_coach, _) = staff_member(&kernel, "Coach Smit");
    let (manager, _) = staff_member(&kernel, "Leidinggevende Dijkstra");
    relate(&kernel, &employee, Scope::Coached, &coach);
    relate(&kernel, &employee, Scope::Managed, &manager);
    let report = [(Category::Name, Value::text("Medewerker Jansen")), (Category::FreeText, Value::text("Criterium 5: open vragen gesteld. Ja."))];
    kernel.write(&as_role(Role::Coach, &coach), coaching, Some(&employee.subject), None, &report).unwrap();
    assert!(kernel.read(&as_role(Role::Employee, &employee), coaching, &employee.subject, all()).is_ok());
    assert!(kernel.read(&as_role(Role::Coach, &coach), coaching, &employee.subject, all()).is_ok());
    // Another coach, of the same role, does not coach this employee.
    assert_eq!(refused_for(kernel.read(&as_role(Role::Coach, &other_coach), coaching, &employee.subject, all())), Denial::OutOfReach { scope: Scope::Coached });
    assert_eq!(
        refused_for(kernel.write(&as_role(Role::Coach, &other_coach), coaching, Some(&employee.subject), None, &report)),
        Denial::OutOfReach { scope: Scope::Coached }
    );
    // Another employee reads only their own.
    assert_eq!(refused_for(kernel.read(&as_role(Role::Employee, &coach), coaching, &employee.subject, all())), Denial::OutOfReach { scope: Scope::Own });
    // Not the manager, even their own; nor HR.
    for (outsider, who) in [(Role::Manager, &manager), (Role::DepartmentManager, &manager), (Role::Hr, &coach)] {
        let denied = refused_for(kernel.read(&as_role(outsider, who), coaching, &employee.subject, all()));
        assert_eq!(denied, Denial::RoleNotAllowed { role: outsider, action: Action::Read }, "{outsider}");
    }
}

// req: K9
#[test]
fn a_threat_recording_is_heard_by_the_employee_and_their_manager_and_the_coach_has_no_role() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let threat = kernel.processing("kcc_bedreiging").unwrap();
    let (employee, own) = staff_member(&kernel, "Medewerker Jansen");
    let (manager, _) = staff_member(&kernel, "Leidinggevende Dijkstra");
    let (other_manager, _) = staff_member(&kernel, "Leidinggevende Visser");
    let (coach, _) = staff_member(&kernel, "Coach de Boer");
    relate(&kernel, &employee, Scope::Managed, &manager);
    relate(&kernel, &employee, Scope::Coached, &coach);
    kernel.write(&own, threat, Some(&employee.subject), None, &recording()).unwrap();
    let heard = kernel.read(&as_role(Role::Manager, &manager), threat, &employee.subject, all()).unwrap();
    assert_eq!(heard[0].get(Category::CallRecording), Some(&Value::Bytes(b"opname".to_vec())));
    assert_eq!(
        refused_for(kernel.read(&as_role(Role::Manager, &other_manager), threat, &employee.subject, all())),
        Denial::OutOfReach { scope: Scope::Managed }
    );
    assert_eq!(
        refused_for(kernel.read(&as_role(Role::Coach, &coach), threat, &employee.subject, all())),
        Denial::RoleNotAllowed { role: Role::Coach, action: Action::Read }
    );
}

// req: K10
#[test]
fn weighty_reasons_are_for_the_direct_and_the_department_manager_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let calls = kernel.processing("kcc_opnames").unwrap();
    let weighty = kernel.processing("kcc_zwaarwegende_redenen").unwrap();
    let grants = kernel.register().processing(weighty).grants;
    let readers: Vec<Role> = Role::ALL.iter().copied().filter(|r| grants[r.index()][grondslag_register::Action::Read.index()].is_granted()).collect();
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
    let (voter, own) = staff_member(&kernel, "Kiezer");
    // The roll says that someone voted; a vote has no place on it.
    let refused = kernel.write(&own, voters, Some(&voter.subject), None, &ballot).unwrap_err();
    assert!(matches!(refused, grondslag_kernel::KernelError::Denied { denial: grondslag_kernel::Denial::Undeclared(Category::Vote), .. }), "{refused:?}");
    // The ballot box, which names no voter, is read by the committee that
    // counts it and the system that adds to it, and by no one else.
    let register = kernel.register();
    let boxed = register.processing(register.processing_id("or_stembus").unwrap());
    let readers: Vec<Role> = Role::ALL.iter().copied().filter(|r| boxed.grant(*r, grondslag_register::Action::Read).is_granted()).collect();
    assert_eq!(readers, [Role::ElectionCommittee, Role::System]);
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
