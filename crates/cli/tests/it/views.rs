//! I3: the view logs of damage dossiers and dashboards come from the audit
//! log — who (user name, function) viewed what when — the dossiers' kept
//! for good, each dashboard's for its own term.

use grondslag_hr::Hr;
use grondslag_kernel::{Access, Denial, Kernel, RecordRef, Value};
use grondslag_register::{Action, Category, CategorySet, Role};

use crate::teams::refusal;
use crate::{grondslag, open_kernel, stderr, stdout};

const VIEWED: &str = "2026-03-02T09:00:00Z";

fn at(role: Role, actor: &str, when: &str) -> Access {
    Access::new(actor, role, "test", when.parse().unwrap())
}

fn file(kernel: &Kernel, processing: &str, role: Role, fields: &[(Category, Value)]) -> RecordRef {
    kernel.write(&at(role, "test.filer", VIEWED), kernel.processing(processing).unwrap(), None, None, fields).unwrap()
}

// req: I3
#[test]
fn the_privacy_officer_reads_who_viewed_which_damage_dossier_from_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let hr = Hr::new(&kernel).unwrap();
    let physical = kernel.processing("fysieke_schade").unwrap();
    let dossier = file(&kernel, "fysieke_schade", Role::CaseHandler, &[(Category::Name, Value::text("Anna de Vries"))]);
    let name = CategorySet::of(&[Category::Name]);
    kernel.read_record(&at(Role::CaseHandler, "carla", VIEWED), physical, &dossier, name).unwrap();
    // Not views of staff: the system's own reads; nor a refused read.
    kernel.read_record(&at(Role::System, "retention", VIEWED), physical, &dossier, name).ok();
    assert!(kernel.read_record(&at(Role::Coach, "coach.cor", VIEWED), physical, &dossier, name).is_err());

    for (role, who) in [(Role::PrivacyOfficer, "pieter"), (Role::PrivacyOfficer, "petra"), (Role::Dpo, "fg")] {
        let views = hr.dossier_views(&at(role, who, "2026-03-03T09:00:00Z")).unwrap();
        assert_eq!(views.len(), 1, "{role} {who}: {views:?}");
        let view = &views[0];
        assert_eq!(
            (view.actor.as_str(), view.role, view.processing.as_str(), view.object.as_str()),
            ("carla", Role::CaseHandler, "fysieke_schade", dossier.record.as_str())
        );
        assert_eq!(view.at, VIEWED.parse().unwrap());
    }
    // Nobody else reads the log of who looked.
    for role in [Role::CaseHandler, Role::Hr, Role::Employee, Role::Admin, Role::Manager, Role::Applicant] {
        let denial = refusal(hr.dossier_views(&at(role, "someone", "2026-03-03T09:00:00Z")));
        assert_eq!(denial, Denial::RoleNotAllowed { role, action: Action::Read }, "{role}");
        assert_eq!(denial.code(), "role_not_allowed");
        assert_eq!(denial.to_string(), format!("role `{role}` may not read under this processing"));
    }
    // The dossiers' view log is kept for good: nothing of it is forgotten.
    let sweep = at(Role::System, "retention", "2126-01-01T00:00:00Z");
    kernel.forget_audit(&sweep, 1000, |_| ()).unwrap();
    assert_eq!(hr.dossier_views(&at(Role::PrivacyOfficer, "pieter", "2126-01-01T00:00:00Z")).unwrap().len(), 1);
}

// req: I3
#[test]
fn each_dashboard_has_its_own_view_log_kept_for_its_own_term() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let hr = Hr::new(&kernel).unwrap();
    let dashboards = hr.dashboards().unwrap();
    let management = dashboards.iter().find(|d| d.id == "sturingsinformatie").unwrap();
    assert_eq!(management.term.duration.to_string(), "2 jaar", "its own term, not the one-year default");

    let report = kernel.processing("sturingsinformatie").unwrap();
    let figures = file(&kernel, "sturingsinformatie", Role::Hr, &[(Category::Fte, Value::text("0.8"))]);
    kernel.read_record(&at(Role::Hr, "hanna", VIEWED), report, &figures, CategorySet::of(&[Category::Fte])).unwrap();
    // A damage dossier's views are not this dashboard's.
    let physical = kernel.processing("fysieke_schade").unwrap();
    let dossier = file(&kernel, "fysieke_schade", Role::CaseHandler, &[(Category::Name, Value::text("Anna"))]);
    kernel.read_record(&at(Role::CaseHandler, "carla", VIEWED), physical, &dossier, CategorySet::of(&[Category::Name])).unwrap();

    for (role, who) in [(Role::PrivacyOfficer, "pieter"), (Role::Dpo, "fg"), (Role::Admin, "beheer")] {
        let (dashboard, views) = hr.dashboard_views(&at(role, who, "2026-03-03T09:00:00Z"), "sturingsinformatie").unwrap();
        assert_eq!(dashboard.id, "sturingsinformatie");
        assert_eq!(views.iter().map(|v| (v.actor.as_str(), v.role)).collect::<Vec<_>>(), [("hanna", Role::Hr)], "{role}");
    }
    let denial = refusal(hr.dashboard_views(&at(Role::CaseHandler, "carla", "2026-03-03T09:00:00Z"), "sturingsinformatie"));
    assert_eq!(denial.code(), "role_not_allowed");
    let unknown = hr.dashboard_views(&at(Role::PrivacyOfficer, "pieter", "2026-03-03T09:00:00Z"), "schades").unwrap_err();
    assert!(unknown.to_string().contains("dashboard `schades` (the dashboards: sturingsinformatie)"), "{unknown}");

    // Two years on (Amsterdam calendar) the dashboard's view is forgotten; the dossier's stays.
    let sweep = |when: &str| kernel.forget_audit(&at(Role::System, "retention", when), 1000, |_| ()).unwrap();
    sweep("2028-03-02T08:59:59Z");
    let officer = at(Role::PrivacyOfficer, "pieter", "2028-03-03T09:00:00Z");
    assert_eq!(hr.dashboard_views(&officer, "sturingsinformatie").unwrap().1.len(), 1);
    sweep("2028-03-02T09:00:00Z");
    assert_eq!(hr.dashboard_views(&officer, "sturingsinformatie").unwrap().1.len(), 0);
    assert_eq!(hr.dossier_views(&officer).unwrap().len(), 1);
}

// req: I3
#[test]
fn view_logs_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let output = grondslag(&["--data", data, "audit", "views", "--dashboards"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("sturingsinformatie\tSturingsinformatie\tview log kept 2 jaar"), "{}", stdout(&output));
    let output = grondslag(&["--data", data, "audit", "views"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("# damage dossiers: 0 views, kept for good"), "{}", stdout(&output));
    let refused = grondslag(&["--data", data, "audit", "views", "--role", "case_handler"]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("role `case_handler` may not read under this processing"), "{}", stderr(&refused));
    assert!(stdout(&grondslag(&["audit", "views", "--help"])).contains("--dashboard"));
}

// req: I3
#[test]
fn the_view_log_pages_show_who_viewed_a_dossier_to_the_privacy_officer_only() {
    use crate::server::{Client, Server, create_account, world};
    let world = world();
    let petra = create_account(&world.place, "petra", "privacy_officer", None);
    let eva = create_account(&world.place, "eva", "employee", None);
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    assert_eq!(carla.get(&format!("/api/v1/cases/{}", world.anna_case)).status, 200);

    // Both privacy officers read who looked, with the function.
    for officer in [&world.privacy, &petra] {
        let mut client = Client::new(&server);
        client.sign_in(officer);
        let page = client.get("/beheer/inzagelog");
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("<td>carla</td>") && page.body.contains("behandelaar"), "{}", page.body);
        let dashboard = client.get("/beheer/inzagelog/dashboard?dashboard=sturingsinformatie");
        assert_eq!(dashboard.status, 200);
        assert!(dashboard.body.contains("2 jaar bewaard"), "{}", dashboard.body);
    }
    // The case handler, an employee and an applicant do not.
    for (person, role) in [(&world.handler, "case_handler"), (&eva, "employee"), (&world.anna, "applicant")] {
        let mut client = Client::new(&server);
        client.sign_in(person);
        let refused = client.get("/beheer/inzagelog");
        assert_eq!(refused.status, 403, "{role}");
        assert!(refused.body.contains("data-code=\"role_not_allowed\""), "{}", refused.body);
        // In Dutch, with the role's Dutch name (E0.8), not the register's English reason.
        let label = grondslag_register::Role::from_name(role).unwrap().label_nl();
        assert!(refused.body.contains(&format!("In je rol als {label} mag je dit niet")) && refused.body.contains("gevraagd: inzien"), "{}", refused.body);
        assert!(!refused.body.contains("may not read"), "{}", refused.body);
        assert!(!refused.body.contains("<td>carla</td>"));
    }
}
