//! The staff side's personnel file (I1), management information (I4) and
//! intranet profile (I5) through the domain API, on a real store. Every
//! refusal is asserted with its code, for the other roles and for another
//! person of the same role.

use std::sync::Arc;

use grondslag_accounts::{Accounts, Policy, Stage};
use grondslag_hr::intranet::{Card, FORMER_EMPLOYEE, OptionalField};
use grondslag_hr::personnel::{Contract, ContractKind, NewEmployee};
use grondslag_hr::report::Dimension;
use grondslag_hr::{Hr, HrError};
use grondslag_kernel::{Access, Cell, Denial, Kernel, KernelError, SubjectId, Table};
use grondslag_register::{Action, Category, CategorySet, Role};
use jiff::Timestamp;

use crate::{bsn, open_kernel};

const NOW: &str = "2026-11-28T10:00:00Z";

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn hr() -> Access {
    Access::new("test.hr", Role::Hr, "test", ts(NOW))
}

fn as_employee(subject: &SubjectId) -> Access {
    Access::new(format!("employee.{subject}"), Role::Employee, "test", ts(NOW)).acting_as(subject.clone())
}

/// A new employee `n` as HR registers them: a valid BSN and IBAN, no
/// partner, no earlier State employment.
pub fn new_employee(n: u32, name: &str, function: &str, started: &str, kind: ContractKind, department: &str) -> NewEmployee {
    NewEmployee {
        bsn: bsn(n),
        name: name.to_string(),
        nationality: "Nederlandse".into(),
        address: "Herestraat 1".into(),
        postcode_city: "9711 LA Groningen".into(),
        gender: "vrouw".into(),
        birth_date: "1985-03-14".parse().unwrap(),
        birth_place: "Groningen".into(),
        email: format!("{}@img.example.nl", name.to_lowercase().replace(' ', ".")),
        phone: "0501234567".into(),
        bank_account: "NL91ABNA0417164300".into(),
        contract: Contract {
            kind,
            started: started.parse().unwrap(),
            fte: "0,8".into(),
            hours: 32,
            function: function.into(),
            function_group: "Klantcontact".into(),
            department: department.into(),
            salary_scale: "schaal 8".into(),
        },
        partner_pension: false,
        partner: None,
        worked_for_the_state: false,
        employment_history: None,
        vog: None,
        oath: None,
        cv_documents: None,
    }
}

/// Registers employee `n` and returns their own file.
pub fn register(kernel: &Kernel, n: u32, name: &str, started: &str) -> SubjectId {
    let hr_side = Hr::new(kernel).unwrap();
    hr_side.register_employee(&hr(), &new_employee(n, name, "Klantcontactmedewerker", started, ContractKind::Permanent, "Klantcontact")).unwrap().subject
}

fn denial<T: std::fmt::Debug>(result: Result<T, HrError>) -> Denial {
    match result {
        Err(HrError::Kernel(KernelError::Denied { denial, .. })) => denial,
        other => panic!("expected the kernel's refusal, got {other:?}"),
    }
}

// req: I1
#[test]
fn partner_data_and_employment_history_are_refused_unless_their_condition_holds_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let hr_side = Hr::new(&kernel).unwrap();
    let mut partner = new_employee(1, "Anna Bakker", "Jurist", "2024-01-01", ContractKind::Permanent, "Juridische zaken");
    partner.partner = Some("Bert Bakker, 1984-02-02".into());
    let refused = hr_side.register_employee(&hr(), &partner).unwrap_err().to_string();
    assert!(refused.contains("only when a partner pension applies"), "{refused}");
    partner.partner_pension = true;
    hr_side.register_employee(&hr(), &partner).unwrap();

    let mut history = new_employee(2, "Cor Dijk", "Jurist", "2024-01-01", ContractKind::Temporary, "Juridische zaken");
    history.employment_history = Some("Belastingdienst 2010–2020".into());
    let refused = hr_side.register_employee(&hr(), &history).unwrap_err().to_string();
    assert!(refused.contains("worked for the State before"), "{refused}");
    history.worked_for_the_state = true;
    history.employment_history = None;
    assert!(matches!(hr_side.register_employee(&hr(), &history), Err(HrError::Missing(_))));

    let mut bad_bsn = new_employee(3, "Els Fokkema", "Jurist", "2024-01-01", ContractKind::Permanent, "Juridische zaken");
    bad_bsn.bsn = "123456789".into();
    let refused = hr_side.register_employee(&hr(), &bad_bsn).unwrap_err().to_string();
    assert!(refused.contains("bsn"), "{refused}");

    // Only the one accepted registration is stored.
    let names: Vec<String> = hr_side.employees(&hr()).unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["Anna Bakker"]);
}

// req: I1
#[test]
fn only_hr_and_the_employee_themself_read_a_personnel_file() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let hr_side = Hr::new(&kernel).unwrap();
    let anna = register(&kernel, 1, "Anna Bakker", "2024-01-01");
    let bert = register(&kernel, 2, "Bert Visser", "2024-01-01");
    assert_eq!(hr_side.employment(&as_employee(&anna), &anna).unwrap().name, "Anna Bakker");
    // Another employee: the grant reaches only their own file.
    assert_eq!(denial(hr_side.employment(&as_employee(&bert), &anna)).code(), "relation_missing");
    for role in [Role::Manager, Role::DepartmentManager, Role::Coach, Role::CaseHandler, Role::Communications, Role::Admin] {
        let other = Access::new("someone", role, "test", ts(NOW));
        assert_eq!(denial(hr_side.employment(&other, &anna)).code(), "role_not_allowed", "{role}");
    }
    // Ending an employment is HR's: an employee may not, not even their own.
    let accounts = Accounts::new(Arc::new(open_kernel(dir.path())), Policy::default()).unwrap();
    let ended = hr_side.end_employment(&as_employee(&anna), &accounts, &anna, "2026-11-27".parse().unwrap());
    assert_eq!(denial(ended).code(), "role_not_allowed");
}

// req: I1
// req: I5
#[test]
fn ending_an_employment_starts_every_staff_term_closes_accounts_and_keeps_reactions_as_from_a_former_employee() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = Arc::new(open_kernel(dir.path()));
    let hr_side = Hr::new(&kernel).unwrap();
    let accounts = Accounts::new(kernel.clone(), Policy::default()).unwrap();
    let anna = register(&kernel, 1, "Anna Bakker", "2020-01-01");
    let bert = register(&kernel, 2, "Bert Visser", "2020-01-01");
    let admin = Access::new("test.admin", Role::Admin, "test", ts(NOW));
    accounts.create(&admin, "anna.bakker", Role::Employee, Some(&anna), Some("lang-genoeg-wachtwoord-1")).unwrap();
    let account = accounts.check_password("anna.bakker", "lang-genoeg-wachtwoord-1", "test", ts(NOW)).unwrap();
    let (token, _) = accounts.start_session(&account, Stage::Complete, ts(NOW)).unwrap();

    let card = Card { name: "Anna Bakker".into(), function: "Klantcontactmedewerker".into(), email: "anna.bakker@img.example.nl".into() };
    hr_side.set_profile(&as_employee(&anna), &anna, &card).unwrap();
    hr_side.share(&as_employee(&anna), &anna, OptionalField::Team, "Team Noord").unwrap();
    let comms = Access::new("test.comms", Role::Communications, "test", ts(NOW));
    let news = hr_side.publish_news(&comms, "Nieuwe huisstijl", "Vanaf maandag.").unwrap();
    hr_side.react(&as_employee(&anna), &news.subject, Some("Mooi!")).unwrap();
    hr_side.react(&as_employee(&anna), &news.subject, None).unwrap();
    assert_eq!(hr_side.news(&as_employee(&bert)).unwrap()[0].reactions[0].author, "Anna Bakker");

    let ended = hr_side.end_employment(&hr(), &accounts, &anna, "2026-11-27".parse().unwrap()).unwrap();
    assert_eq!(ended.accounts_closed, ["anna.bakker"]);
    assert_eq!(ended.profile_records, 2, "the card and the shared team");
    assert_eq!(ended.reactions_anonymised, 2);
    assert_eq!(hr_side.employment(&hr(), &anna).unwrap().ended, Some("2026-11-27".parse().unwrap()));

    // The sessions ended with the account, and it signs in no more.
    assert!(accounts.session(&token, ts(NOW)).unwrap().is_none());
    assert!(accounts.check_password("anna.bakker", "lang-genoeg-wachtwoord-1", "test", ts(NOW)).is_err());
    // The profile is gone; the reaction and the like stay, without her name.
    assert_eq!(hr_side.profile(&as_employee(&bert), &anna).unwrap(), None);
    let shown = &hr_side.news(&as_employee(&bert)).unwrap()[0];
    assert_eq!((shown.likes, shown.reactions.len()), (1, 1));
    assert_eq!(shown.reactions[0].author, FORMER_EMPLOYEE);
    assert_eq!(shown.reactions[0].text.as_deref(), Some("Mooi!"));

    // Every staff record of hers is now due at its own term: the file two
    // years after the last day, the financial part seven (I1).
    let due = |processing: &str| {
        kernel.due_at(ts("2040-01-01T00:00:00Z")).unwrap().into_iter().filter(|(p, _)| p == processing).map(|(_, at)| at).collect::<Vec<_>>()
    };
    assert_eq!(due("personeelsdossier").len(), 1, "only Anna's file is due; Bert still works here");
    assert_eq!(due("personeelsdossier")[0], ts("2028-11-26T23:00:00Z"));
    assert_eq!(due("financiele_administratie_personeel").len(), 1);
    assert!(due("financiele_administratie_personeel")[0] > ts("2033-11-26T00:00:00Z"));
    assert_eq!(due("inlogaccounts").len(), 1, "her account's term started when it closed");
    // A second ending is refused, saying when it ended.
    let again = hr_side.end_employment(&hr(), &accounts, &anna, "2026-11-27".parse().unwrap()).unwrap_err().to_string();
    assert!(again.contains("ended already, on 2026-11-27"), "{again}");
}

// req: I5
#[test]
fn optional_profile_parts_are_shared_and_withdrawn_one_by_one_by_the_employee_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let hr_side = Hr::new(&kernel).unwrap();
    let anna = register(&kernel, 1, "Anna Bakker", "2024-01-01");
    let bert = register(&kernel, 2, "Bert Visser", "2024-01-01");
    let me = as_employee(&anna);
    let card = Card { name: "Anna Bakker".into(), function: "Jurist".into(), email: "anna.bakker@img.example.nl".into() };
    hr_side.set_profile(&me, &anna, &card).unwrap();
    hr_side.share(&me, &anna, OptionalField::Phone, "0612345678").unwrap();
    hr_side.share(&me, &anna, OptionalField::AboutMe, "Ik fiets graag.").unwrap();
    hr_side.share(&me, &anna, OptionalField::Location, "Groningen").unwrap();
    hr_side.withdraw(&me, &anna, OptionalField::AboutMe).unwrap();
    let seen = hr_side.profile(&as_employee(&bert), &anna).unwrap().unwrap();
    assert_eq!(seen.card, card);
    assert_eq!(seen.shared, [(OptionalField::Location, "Groningen".to_string()), (OptionalField::Phone, "0612345678".to_string())]);
    // Nobody else shares or withdraws for her: not a colleague, not HR.
    assert_eq!(denial(hr_side.share(&as_employee(&bert), &anna, OptionalField::Team, "Team Zuid")).code(), "relation_missing");
    assert_eq!(denial(hr_side.share(&hr(), &anna, OptionalField::Team, "Team Zuid")).code(), "role_not_allowed");
    assert_eq!(denial(hr_side.set_profile(&as_employee(&bert), &anna, &card)).code(), "relation_missing");
}

/// The attack the totals allow: any row or column (totals included) with
/// one hidden count gives it by subtraction; repeat until nothing changes.
/// Returns the hidden entries it recovered.
fn peel(table: &Table) -> usize {
    let (r, c) = (table.rows.len(), table.columns.len());
    let mut grid: Vec<Vec<Option<u64>>> = (0..=r)
        .map(|i| {
            (0..=c)
                .map(|j| {
                    let cell = match (i == r, j == c) {
                        (false, false) => &table.cells[i][j],
                        (false, true) => &table.row_totals[i],
                        (true, false) => &table.column_totals[j],
                        (true, true) => &table.total,
                    };
                    cell.shown().map(|f| f.count)
                })
                .collect()
        })
        .collect();
    let mut recovered = 0;
    loop {
        let mut progress = false;
        let lines: Vec<Vec<(usize, usize)>> =
            (0..=r).map(|i| (0..=c).map(|j| (i, j)).collect()).chain((0..=c).map(|j| (0..=r).map(|i| (i, j)).collect())).collect();
        for line in lines {
            let unknown: Vec<&(usize, usize)> = line.iter().filter(|&&(i, j)| grid[i][j].is_none()).collect();
            if unknown.len() != 1 {
                continue;
            }
            let (body, total) = line.split_at(line.len() - 1);
            let (ui, uj) = *unknown[0];
            let known: u64 = body.iter().filter_map(|&(i, j)| grid[i][j]).sum();
            grid[ui][uj] = Some(if (ui, uj) == total[0] { known } else { grid[total[0].0][total[0].1].unwrap() - known });
            recovered += 1;
            progress = true;
        }
        if !progress {
            return recovered;
        }
    }
}

// req: I4
#[test]
fn managers_get_reports_never_rows_and_a_hidden_cell_cannot_be_recomputed_from_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let hr_side = Hr::new(&kernel).unwrap();
    // Three departments; Juridische zaken has two temporary staff (a small group).
    let groups = [
        ("Klantcontact", ContractKind::Permanent, 9),
        ("Klantcontact", ContractKind::Temporary, 6),
        ("Schadeafhandeling", ContractKind::Permanent, 7),
        ("Schadeafhandeling", ContractKind::Temporary, 5),
        ("Juridische zaken", ContractKind::Permanent, 8),
        ("Juridische zaken", ContractKind::Temporary, 2),
    ];
    let mut n = 0;
    let mut someone = None;
    for (department, kind, count) in groups {
        for _ in 0..count {
            n += 1;
            let new = new_employee(n, &format!("Medewerker {n}"), "Medewerker", "2024-01-01", kind, department);
            someone = Some(hr_side.register_employee(&hr(), &new).unwrap().subject);
        }
    }
    let manager = Access::new("test.department_manager", Role::DepartmentManager, "test", ts(NOW));
    let table = hr_side.management_report(&manager, Dimension::Department, Dimension::ContractType).unwrap();
    assert_eq!(table.rows, ["Juridische zaken", "Klantcontact", "Schadeafhandeling"]);
    assert_eq!(table.columns, ["tijdelijk", "vast"]);
    assert_eq!(table.cells[0][0], Cell::Suppressed, "two temporary lawyers are not shown");
    assert!(table.suppressed() >= 4, "a second entry is hidden in its row and in its column");
    assert_eq!(peel(&table), 0, "no hidden entry follows from the totals");
    let total = table.total.shown().expect("the grand total of 37 is shown");
    assert_eq!(total.count, 37);
    assert_eq!(total.sums, [37 * 80, 37 * 3200], "fte and hours, in hundredths");

    // A row is never theirs: no read under sturingsinformatie at all.
    let management = kernel.processing("sturingsinformatie").unwrap();
    let row = kernel.read(&manager, management, someone.as_ref().unwrap(), CategorySet::of(&[Category::Fte]));
    assert!(matches!(row, Err(KernelError::Denied { denial: Denial::RoleNotAllowed { action: Action::Read, .. }, .. })), "{row:?}");
    // Another department manager gets the same report, nothing more; the
    // other roles get no report.
    let other = Access::new("test.department_manager.2", Role::DepartmentManager, "test", ts(NOW));
    assert_eq!(hr_side.management_report(&other, Dimension::Department, Dimension::ContractType).unwrap(), table);
    for role in [Role::Manager, Role::Employee, Role::Coach, Role::CaseHandler, Role::Admin, Role::PrivacyOfficer] {
        let access = Access::new("someone", role, "test", ts(NOW));
        assert_eq!(denial(hr_side.management_report(&access, Dimension::Department, Dimension::FunctionGroup)).code(), "role_not_allowed", "{role}");
    }
}

// req: I1
// req: I4
// req: E0.8
#[test]
fn employees_see_their_own_file_and_managers_the_report_on_pages_and_nobody_else_does() {
    use crate::server::{Client, Place, Server, create_account};
    let dir = tempfile::tempdir().unwrap();
    let place = Place::sqlite(dir.path());
    {
        let kernel = open_kernel(dir.path());
        let hr_side = Hr::new(&kernel).unwrap();
        let mut n = 0;
        for (department, kind, count) in
            [("Klantcontact", ContractKind::Permanent, 6), ("Klantcontact", ContractKind::Temporary, 3), ("Juridische zaken", ContractKind::Permanent, 7)]
        {
            for _ in 0..count {
                n += 1;
                let name = if n == 1 {
                    "Anna Bakker".to_string()
                } else if n == 2 {
                    "Bert Visser".to_string()
                } else {
                    format!("Medewerker {n}")
                };
                let mut new = new_employee(n, &name, "Medewerker", "2024-01-01", kind, department);
                new.contract.started = "2024-01-01".parse().unwrap();
                hr_side.register_employee(&Access::new("test.hr", Role::Hr, "test", Timestamp::now()), &new).unwrap();
            }
        }
    }
    let anna = create_account(&place, "anna", "employee", Some(&bsn(1)));
    let bert = create_account(&place, "bert", "employee", Some(&bsn(2)));
    let department = create_account(&place, "am.anouk", "department_manager", None);
    let other_department = create_account(&place, "am.dirk", "department_manager", None);
    let manager = create_account(&place, "lg.lisa", "manager", None);
    let coach = create_account(&place, "coach.cor", "coach", None);
    let server = Server::start(dir.path(), &[]);
    let signed = |person| {
        let mut client = Client::new(&server);
        assert_eq!(client.sign_in(person).status, 303);
        client
    };

    let own = signed(&anna).get("/mijn-personeelsdossier");
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(own.body.contains("Anna Bakker") && own.body.contains("vaste aanstelling"), "{}", own.body);
    let bert_sees = signed(&bert).get("/mijn-personeelsdossier");
    assert!(bert_sees.body.contains("Bert Visser") && !bert_sees.body.contains("Anna Bakker"), "{}", bert_sees.body);

    let report = signed(&department).get("/beheer/sturingsinformatie");
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(report.body.contains("data-suppressed"), "three temporary staff are hidden: {}", report.body);
    assert!(report.body.contains(">16<") || report.body.contains("16<br"), "the total of 16 is shown: {}", report.body);
    let again = signed(&other_department).get("/beheer/sturingsinformatie?rijen=department&kolommen=contract_type");
    assert_eq!(again.status, 200);
    for person in [&anna, &manager, &coach] {
        let refused = signed(person).get("/beheer/sturingsinformatie");
        assert_eq!(refused.status, 403, "{}", person.username);
        assert!(refused.body.contains("data-code=\"role_not_allowed\""), "{}: {}", person.username, refused.body);
    }
    let wrong = signed(&department).get("/beheer/sturingsinformatie?rijen=department&kolommen=department");
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("Rijen en kolommen zijn allebei") && !wrong.body.contains("choose two different groupings"), "in Dutch (E0.8): {}", wrong.body);
}

// req: I1
// req: I4
#[test]
fn hr_registers_lists_reports_and_ends_from_the_command_line() {
    use crate::server::Place;
    let dir = tempfile::tempdir().unwrap();
    let place = Place::sqlite(dir.path());
    let files = tempfile::tempdir().unwrap();
    for n in 1..=6 {
        let new = new_employee(n, &format!("Medewerker {n}"), "Jurist", "2024-01-01", ContractKind::Permanent, "Juridische zaken");
        let path = files.path().join(format!("{n}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&new).unwrap()).unwrap();
        assert!(place.ok(&["hr", "register", path.to_str().unwrap()]).contains("registered Medewerker"));
    }
    // A malformed file says where; a conditional part says which rule; nothing is stored of either.
    let broken = files.path().join("broken.json");
    std::fs::write(&broken, "{\n  \"bsn\": \"111222333\",\n  \"name\": 12\n}").unwrap();
    let refused = place.run(&["hr", "register", broken.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(crate::stderr(&refused).contains("broken.json: invalid type") && crate::stderr(&refused).contains("line 3"), "{}", crate::stderr(&refused));
    let mut partner = new_employee(7, "Medewerker 7", "Jurist", "2024-01-01", ContractKind::Temporary, "Juridische zaken");
    partner.partner = Some("Partner".into());
    let with_partner = files.path().join("7.json");
    std::fs::write(&with_partner, serde_json::to_string(&partner).unwrap()).unwrap();
    let refused = place.run(&["hr", "register", with_partner.to_str().unwrap()]);
    assert!(crate::stderr(&refused).contains("only when a partner pension applies"), "{}", crate::stderr(&refused));

    let listed = place.ok(&["hr", "list"]);
    assert_eq!(listed.lines().count(), 6, "{listed}");
    let report = place.ok(&["hr", "report"]);
    assert!(report.contains("Juridische zaken\t6 (4,8 fte)"), "{report}");
    let first = listed.lines().next().unwrap().split('\t').next().unwrap().to_string();
    assert!(place.ok(&["hr", "end", "--employee", &first, "--last-day", "2026-11-27"]).contains("employment ended after 2026-11-27"));
    assert!(place.ok(&["hr", "show", "--employee", &first]).contains("uit dienst na 2026-11-27"));
    // Not HR: refused by the kernel, with the reason.
    let refused = place.run(&["hr", "--role", "department_manager", "list"]);
    assert!(!refused.status.success());
    assert!(crate::stderr(&refused).contains("may not read"), "{}", crate::stderr(&refused));
}
