//! I7: accounts in the team applications, each application with its own
//! term, counted from the account's end; no password is kept.

use grondslag_hr::Hr;
use grondslag_hr::teams::Application;
use grondslag_kernel::{Denial, Kernel, KernelError};
use grondslag_register::{Action, Category, CategorySet, Role, Scope};

use crate::callqa::{at, person};
use crate::{grondslag, open_kernel, sqlite, stderr, stdout};

const NOW: &str = "2026-03-02T09:00:00Z";

/// The kernel's refusal inside a staff-side error.
pub(crate) fn refusal<T: std::fmt::Debug>(result: Result<T, grondslag_hr::HrError>) -> Denial {
    match result {
        Err(grondslag_hr::HrError::Kernel(KernelError::Denied { denial, .. })) => denial,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn sweep(kernel: &Kernel, when: &str) -> u64 {
    kernel.sweep(&at(Role::System, None, when), when.parse().unwrap(), 100, None, |_| ()).unwrap().iter().map(|c| c.records).sum()
}

// req: I7
#[test]
fn each_application_keeps_an_ended_account_for_its_own_term() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let hr = Hr::new(&kernel).unwrap();
    let admin = at(Role::Admin, None, NOW);
    hr.register_application(&admin, "Confluence", "2 years").unwrap();
    hr.register_application(&admin, "Slack", "6 months").unwrap();
    assert_eq!(
        hr.applications(&admin).unwrap(),
        [Application { name: "Confluence".into(), term: "2 years".into() }, Application { name: "Slack".into(), term: "6 months".into() }]
    );
    let eva = person(&kernel, "Eva Jansen");
    let wiki = hr.create_team_account(&admin, &eva, "Confluence", "eva.jansen", "eva@img.nl").unwrap();
    hr.create_team_account(&admin, &eva, "Slack", "eva", "eva@img.nl").unwrap();
    let unknown = hr.create_team_account(&admin, &eva, "Jira", "eva", "eva@img.nl");
    assert!(unknown.unwrap_err().to_string().contains("team application `Jira`"));

    // No password anywhere: the application keeps it.
    let teams = kernel.processing("teamsystemen").unwrap();
    let stored = kernel.read_record(&admin, teams, &wiki, CategorySet::of(&[Category::Password, Category::Username])).unwrap().unwrap();
    assert_eq!(stored.get(Category::Password), None);
    let passwords: i64 = sqlite(dir.path()).query_row("SELECT COUNT(*) FROM fields WHERE category = 'password'", [], |r| r.get(0)).unwrap();
    assert_eq!(passwords, 0);

    // While the accounts are in use nothing is due, however long.
    assert_eq!(sweep(&kernel, "2036-01-01T00:00:00Z"), 0);

    // HR ends the employment: every account ends at once, each term starts.
    let ending = "2026-06-30T10:00:00Z";
    assert_eq!(hr.end_team_accounts(&at(Role::Hr, None, ending), &eva).unwrap(), 2);
    assert!(hr.team_accounts(&admin, &eva).unwrap().iter().all(|a| a.ended));
    assert_eq!(hr.end_team_accounts(&at(Role::Hr, None, ending), &eva).unwrap(), 0, "nothing left to end");
    let again = hr.end_team_account(&admin, &wiki).unwrap_err();
    assert!(again.to_string().contains("has ended already"), "{again}");

    // Slack's six months, then Confluence's two years (Amsterdam time: 12:00).
    assert_eq!(sweep(&kernel, "2026-12-30T09:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2026-12-30T11:00:00Z"), 1);
    assert_eq!(hr.team_accounts(&admin, &eva).unwrap().iter().map(|a| a.application.as_str()).collect::<Vec<_>>(), ["Confluence"]);
    assert_eq!(sweep(&kernel, "2028-06-30T09:59:59Z"), 0);
    assert_eq!(sweep(&kernel, "2028-06-30T10:00:00Z"), 1);
}

// req: I7
#[test]
fn only_the_admin_registers_applications_and_only_the_employee_and_staff_with_a_task_see_their_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let hr = Hr::new(&kernel).unwrap();
    let admin = at(Role::Admin, None, NOW);
    hr.register_application(&admin, "Confluence", "2 years").unwrap();
    let eva = person(&kernel, "Eva Jansen");
    let olaf = person(&kernel, "Olaf de Wit");
    let account = hr.create_team_account(&admin, &eva, "Confluence", "eva.jansen", "eva@img.nl").unwrap();

    // Eva sees her own accounts; Olaf, another employee, does not.
    assert_eq!(hr.team_accounts(&at(Role::Employee, Some(&eva), NOW), &eva).unwrap().len(), 1);
    let denial = refusal(hr.team_accounts(&at(Role::Employee, Some(&olaf), NOW), &eva));
    assert_eq!(denial, Denial::OutOfReach { scope: Scope::Own });
    assert_eq!(denial.code(), "relation_missing");
    // An employee registers no application; nor do HR or a case handler.
    for role in [Role::Employee, Role::Hr] {
        let denial = refusal(hr.register_application(&at(role, Some(&eva), NOW), "Trello", "1 year"));
        assert!(matches!(denial, Denial::RoleNotAllowed { .. } | Denial::OutOfReach { .. }), "{role}: {denial:?}");
    }
    let denial = refusal(hr.register_application(&at(Role::CaseHandler, None, NOW), "Trello", "1 year"));
    assert_eq!(denial, Denial::RoleNotAllowed { role: Role::CaseHandler, action: Action::Write });
    assert_eq!(denial.to_string(), "role `case_handler` may not write under this processing");
    // Roles without a task here see no one's accounts, and end none.
    for role in [Role::CaseHandler, Role::Coach, Role::Manager, Role::PrivacyOfficer] {
        let denial = refusal(hr.team_accounts(&at(role, None, NOW), &eva));
        assert_eq!(denial.code(), "role_not_allowed", "{role}");
        assert_eq!(refusal(hr.end_team_account(&at(role, None, NOW), &account)).code(), "role_not_allowed", "{role}");
    }
    let bad = hr.register_application(&admin, "Trello", "forever").unwrap_err();
    assert!(bad.to_string().contains("`forever` is not a term"), "{bad}");
}

// req: I7
#[test]
fn team_applications_and_accounts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--data", data];
        all.extend_from_slice(args);
        grondslag(&all)
    };
    let ok = |args: &[&str]| {
        let output = run(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        stdout(&output)
    };
    assert!(ok(&["teams", "application", "--name", "Confluence", "--term", "2 years"]).contains("kept 2 years"));
    assert_eq!(ok(&["teams", "applications"]), "Confluence\t2 years\n");
    let bad = run(&["teams", "application", "--name", "Jira", "--term", "lang"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("`lang` is not a term"), "{}", stderr(&bad));
    let help = stdout(&grondslag(&["teams", "--help"]));
    for command in ["application", "applications", "create", "list", "end"] {
        assert!(help.contains(command), "{help}");
    }
}

// req: I7
// req: E0.8
#[test]
fn the_admin_registers_team_applications_on_a_page_and_nobody_else_may() {
    use crate::server::{Client, Server, create_account, world};
    let world = world();
    let admin = create_account(&world.place, "beheer.bo", "admin", None);
    let other_admin = create_account(&world.place, "beheer.bea", "admin", None);
    let eva = create_account(&world.place, "eva", "employee", None);
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    client.sign_in(&admin);
    assert_eq!(client.get("/beheer/teamapplicaties").status, 200);
    let csrf = client.csrf();
    let saved = client.post_form("/beheer/teamapplicaties", &[("csrf", &csrf), ("name", "Confluence"), ("term", "2 years")]);
    assert_eq!(saved.status, 303, "{}", saved.body);
    let invalid = client.post_form("/beheer/teamapplicaties", &[("csrf", &csrf), ("name", "Jira"), ("term", "lang")]);
    assert_eq!(invalid.status, 422);
    assert!(invalid.body.contains("‘lang’ is geen bewaartermijn") && !invalid.body.contains("is not a term"), "{}", invalid.body);
    // Another administrator sees it: the organisation's list, not one admin's.
    let mut other = Client::new(&server);
    other.sign_in(&other_admin);
    let page = other.get("/beheer/teamapplicaties");
    assert!(page.body.contains("<td>Confluence</td><td>2 years</td>"), "{}", page.body);
    // An employee (own accounts only), a privacy officer, an applicant:
    // refused, with the register's reason in Dutch on the page (E0.8).
    let role_refused = |role: grondslag_register::Role| format!("In je rol als {} mag je dit niet bij", role.label_nl());
    for (person, code, reason) in [
        (&eva, "relation_missing", "Je kunt alleen je eigen gegevens inzien of wijzigen.".to_string()),
        (&world.privacy, "role_not_allowed", role_refused(grondslag_register::Role::PrivacyOfficer)),
        (&world.anna, "role_not_allowed", role_refused(grondslag_register::Role::Applicant)),
    ] {
        let mut client = Client::new(&server);
        client.sign_in(person);
        let refused = client.get("/beheer/teamapplicaties");
        assert_eq!(refused.status, 403, "{}", person.username);
        assert!(refused.body.contains(&format!("data-code=\"{code}\"")), "{}", refused.body);
        assert!(refused.body.contains(&reason), "{}", refused.body);
        assert!(!refused.body.contains("may not read"), "{}", refused.body);
        let csrf = client.csrf();
        let posted = client.post_form("/beheer/teamapplicaties", &[("csrf", &csrf), ("name", "Slack"), ("term", "1 year")]);
        assert_eq!(posted.status, 403, "{}", person.username);
    }
    assert!(!other.get("/beheer/teamapplicaties").body.contains("Slack"));
}
