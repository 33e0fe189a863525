//! The call centre's quality protocol (K0–K12) through its domain API, on
//! a real SQLite store: recordings in, fair selection, the form and its
//! reports, consent, threat and weighty reasons, the employee's rights and
//! the protocol's governance. Every refusal is asserted with its reason.

use std::path::Path;

use grondslag_callqa::form::{Answer, CRITERIA, Form, Handling};
use grondslag_callqa::import::Batch;
use grondslag_callqa::reports::DeletionGround;
use grondslag_callqa::selection::{Draw, Filters};
use grondslag_callqa::team::{CapChange, CapReason};
use grondslag_callqa::threat::{Decider, Indication};
use grondslag_callqa::training::Use;
use grondslag_callqa::{CallQa, CallQaError, Month};
use grondslag_kernel::{Access, Denial, Kernel, KernelError, RecordRef, SubjectId, Value};
use grondslag_register::{Action, Category, CategorySet, Role, Scope};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::open_kernel;

const NOW: &str = "2026-11-28T10:00:00Z";
const WAV: &[u8] = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00opname";

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub(crate) fn at(role: Role, who: Option<&SubjectId>, now: &str) -> Access {
    let access = Access::new(format!("test.{role}"), role, "test", ts(now));
    match who {
        Some(subject) => access.acting_as(subject.clone()),
        None => access,
    }
}

/// A person of staff with their own file (as an account has).
pub(crate) fn person(kernel: &Kernel, name: &str) -> SubjectId {
    let file = kernel.processing("personeelsdossier").unwrap();
    kernel.write(&at(Role::Hr, None, NOW), file, None, None, &[(Category::Name, Value::text(name))]).unwrap().subject
}

fn refusal<T: std::fmt::Debug>(result: Result<T, CallQaError>) -> Denial {
    match result {
        Err(CallQaError::Kernel(KernelError::Denied { denial, .. })) => denial,
        other => panic!("expected the kernel's refusal, got {other:?}"),
    }
}

/// A call centre: the protocol consented to, an employee with a coach and
/// a manager, another coach, another employee and another manager.
struct Centre {
    _dir: tempfile::TempDir,
    _database: Option<grondslag_store::ScratchDatabase>,
    kernel: Kernel,
    employee: SubjectId,
    participation: RecordRef,
    coach: SubjectId,
    manager: SubjectId,
    department_manager: SubjectId,
    other_coach: SubjectId,
    other_employee: SubjectId,
    other_manager: SubjectId,
}

impl Centre {
    fn new() -> Centre {
        let dir = tempfile::tempdir().unwrap();
        let kernel = open_kernel(dir.path());
        Centre::on(dir, None, kernel)
    }

    /// The same centre on a PostgreSQL database of its own, when the tests have a server.
    fn on_postgres() -> Option<Centre> {
        let database = grondslag_store::ScratchDatabase::for_tests().unwrap()?;
        let dir = tempfile::tempdir().unwrap();
        let data = grondslag_kernel::DataDir::new(dir.path()).with_database_url(Some(database.url().to_string()));
        let kernel = data.open_kernel(crate::shipped(), None, Timestamp::now()).unwrap();
        Some(Centre::on(dir, Some(database), kernel))
    }

    fn on(dir: tempfile::TempDir, database: Option<grondslag_store::ScratchDatabase>, kernel: Kernel) -> Centre {
        let qa = CallQa::new(&kernel).unwrap();
        let hr = at(Role::Hr, None, NOW);
        qa.record_consent(&hr, "2026-1", Date::new(2026, 1, 15).unwrap(), "OR-besluit 2026/03").unwrap();
        let [employee, coach, manager, department_manager, other_coach, other_employee, other_manager] = [
            "Medewerker Jansen",
            "Coach de Boer",
            "Leidinggevende Dijkstra",
            "Afdelingsmanager Bakker",
            "Coach Smit",
            "Medewerker Visser",
            "Leidinggevende Mulder",
        ]
        .map(|name| person(&kernel, name));
        let participation = qa.enrol(&hr, &employee, "Medewerker Jansen", "klantcontactmedewerker", "A100").unwrap();
        let other = qa.enrol(&hr, &other_employee, "Medewerker Visser", "klantcontactmedewerker", "A200").unwrap();
        qa.assign(&hr, &participation, Scope::Coached, &coach, true).unwrap();
        qa.assign(&hr, &participation, Scope::Managed, &manager, true).unwrap();
        qa.assign(&hr, &participation, Scope::Managed, &department_manager, true).unwrap();
        qa.assign(&hr, &other, Scope::Coached, &other_coach, true).unwrap();
        qa.assign(&hr, &other, Scope::Managed, &other_manager, true).unwrap();
        Centre {
            _dir: dir,
            _database: database,
            kernel,
            employee,
            participation,
            coach,
            manager,
            department_manager,
            other_coach,
            other_employee,
            other_manager,
        }
    }

    fn qa(&self) -> CallQa<'_> {
        CallQa::new(&self.kernel).unwrap()
    }

    fn coach(&self, now: &str) -> Access {
        at(Role::Coach, Some(&self.coach), now)
    }

    fn employee(&self) -> Access {
        at(Role::Employee, Some(&self.employee), NOW)
    }

    /// Imports `lines` (call_id, agent, start, seconds, external, network
    /// relation, private line) with a recording each, as the exchange exports them.
    fn import(&self, lines: &[(&str, &str, &str, u32, bool, bool, bool)]) -> grondslag_callqa::import::Imported {
        let dir = tempfile::tempdir().unwrap();
        let batch = write_batch(dir.path(), lines);
        self.qa().import(&at(Role::System, None, NOW), &batch, |_| ()).unwrap()
    }

    /// Twelve business calls of the employee in November, one with a
    /// network relation, one internal, one on the private line.
    fn november(&self) {
        let mut lines: Vec<(String, &str, String, u32, bool, bool, bool)> =
            (1..=12).map(|i| (format!("B{i:02}"), "A100", format!("2026-11-{:02}T09:{i:02}:00Z", 2 + i), 300, true, false, false)).collect();
        lines.push(("N01".into(), "A100", "2026-11-10T10:00:00Z".into(), 300, true, true, false));
        lines.push(("I01".into(), "A100", "2026-11-10T11:00:00Z".into(), 300, false, false, false));
        lines.push(("P01".into(), "A100", "2026-11-10T12:00:00Z".into(), 300, true, false, true));
        let borrowed: Vec<_> = lines.iter().map(|(a, b, c, d, e, f, g)| (a.as_str(), *b, c.as_str(), *d, *e, *f, *g)).collect();
        let imported = self.import(&borrowed);
        assert_eq!((imported.stored, imported.internal, imported.private_line), (13, 1, 1));
    }

    fn call(&self, call_id: &str) -> RecordRef {
        self.qa().find_call(&at(Role::System, None, NOW), call_id).unwrap().unwrap()
    }

    /// The November selection, announced for 29 November and drawn then.
    fn drawn(&self, count: u32) -> (RecordRef, Vec<String>) {
        let qa = self.qa();
        let selection =
            qa.announce(&self.coach(NOW), &self.employee, Month { year: 2026, month: 11 }, Date::new(2026, 11, 29).unwrap(), Filters::default()).unwrap();
        let drawn = qa.draw(&self.coach("2026-11-29T09:00:00Z"), &selection, count, 42).unwrap();
        (selection, drawn)
    }
}

fn write_batch(dir: &Path, lines: &[(&str, &str, &str, u32, bool, bool, bool)]) -> Batch {
    let mut csv = String::from("call_id,agent,start,duration_seconds,direction,external,network_relation,private_line,audio\n");
    for (id, agent, start, seconds, external, network, private) in lines {
        std::fs::write(dir.join(format!("{id}.wav")), WAV).unwrap();
        csv.push_str(&format!("{id},{agent},{start},{seconds},in,{external},{network},{private},{id}.wav\n"));
    }
    let metadata = dir.join("calls.csv");
    std::fs::write(&metadata, csv).unwrap();
    Batch::read(&metadata).unwrap()
}

fn form(coachee: &str, critical_nee: bool) -> Form {
    Form {
        coachee: coachee.to_string(),
        coach: "Coach de Boer".to_string(),
        date: Date::new(2026, 11, 29).unwrap(),
        handling: Handling::Recording,
        answers: CRITERIA
            .iter()
            .map(|c| {
                let answer = if c.live_only {
                    Answer::NietTeConstateren
                } else if critical_nee && c.number == 11 {
                    Answer::Nee
                } else {
                    Answer::Ja
                };
                (answer, format!("opmerking {}", c.number))
            })
            .collect(),
        knowledge: vec![(grondslag_callqa::form::KnowledgeArea::Systeem, "Zaaksysteem vlot gebruikt".to_string())],
        findings: "Rustig gesprek".to_string(),
        went_well: "Open vragen".to_string(),
        compliment: "Geduld met de klant".to_string(),
        less_well: "Samenvatting aan het eind".to_string(),
        improvements: vec!["Samenvatten voor het afsluiten".to_string()],
    }
}

// req: K1
// req: K11
#[test]
fn internal_and_private_calls_are_never_stored_and_a_batch_with_one_bad_line_stores_nothing() {
    let centre = Centre::new();
    centre.november();
    // Imported again: nothing twice.
    let again = centre.import(&[("B01", "A100", "2026-11-03T09:01:00Z", 300, true, false, false)]);
    assert_eq!((again.stored, again.duplicates), (0, 1));
    // A call whose four weeks passed is not stored.
    let old = centre.import(&[("OLD", "A100", "2026-10-01T09:00:00Z", 300, true, false, false)]);
    assert_eq!((old.stored, old.expired), (0, 1));
    let calls = centre.qa().own_calls(&centre.employee()).unwrap();
    assert_eq!(calls.len(), 13);
    assert!(centre.qa().own_calls(&at(Role::Employee, Some(&centre.other_employee), NOW)).unwrap().is_empty());
    assert!(calls.iter().all(|(_, c)| c.call_id != "I01" && c.call_id != "P01"));

    // One line with an unknown agent: the error names the line, and no call of the batch is stored.
    let dir = tempfile::tempdir().unwrap();
    let batch = write_batch(
        dir.path(),
        &[("X01", "A100", "2026-11-20T09:00:00Z", 300, true, false, false), ("X02", "A999", "2026-11-20T10:00:00Z", 300, true, false, false)],
    );
    let refused = centre.qa().import(&at(Role::System, None, NOW), &batch, |_| ()).unwrap_err();
    assert!(refused.to_string().contains("line 3") && refused.to_string().contains("agent `A999` does not take part"), "{refused}");
    assert!(centre.qa().find_call(&at(Role::System, None, NOW), "X01").unwrap().is_none());

    // Audio replaced after the batch was read: the chunk is refused and nothing of it stays; read again, it goes in.
    let batch = write_batch(
        dir.path(),
        &[("X01", "A100", "2026-11-20T09:00:00Z", 300, true, false, false), ("X03", "A100", "2026-11-20T11:00:00Z", 300, true, false, false)],
    );
    std::fs::write(dir.path().join("X03.wav"), b"MZ\x90\x00 not audio").unwrap();
    let changed = centre.qa().import(&at(Role::System, None, NOW), &batch, |_| ()).unwrap_err().to_string();
    assert!(changed.contains("line 3") && changed.contains("changed since the batch was read"), "{changed}");
    assert!(centre.qa().find_call(&at(Role::System, None, NOW), "X01").unwrap().is_none());
    std::fs::write(dir.path().join("X03.wav"), WAV).unwrap();
    let again = centre.qa().import(&at(Role::System, None, NOW), &Batch::read(&dir.path().join("calls.csv")).unwrap(), |_| ()).unwrap();
    assert_eq!(again.stored, 2);

    // Audio that is not audio, and a bad date, are refused with file and line when the batch is read.
    std::fs::write(dir.path().join("X01.wav"), b"MZ\x90\x00 not audio").unwrap();
    let bad_audio = Batch::read(&dir.path().join("calls.csv")).unwrap_err().to_string();
    assert!(bad_audio.contains("calls.csv, line 2") && bad_audio.contains("not a recording"), "{bad_audio}");
    std::fs::write(
        dir.path().join("calls.csv"),
        "call_id,agent,start,duration_seconds,direction,external,network_relation,private_line,audio\nY1,A100,31-11-2026,60,in,ja,nee,nee,\n",
    )
    .unwrap();
    let bad_date = Batch::read(&dir.path().join("calls.csv")).unwrap_err().to_string();
    assert!(bad_date.contains("line 2") && bad_date.contains("start"), "{bad_date}");
}

// req: K4
#[test]
fn the_fifth_call_of_a_month_is_refused_without_a_recorded_reason() {
    let centre = Centre::new();
    centre.november();
    let (selection, drawn) = centre.drawn(4);
    assert_eq!(drawn.len(), 4);
    let qa = centre.qa();
    let coach = centre.coach("2026-11-29T09:00:00Z");
    match qa.draw(&coach, &selection, 1, 42) {
        Err(CallQaError::CapReached { cap: 4, drawn: 4, .. }) => {}
        other => panic!("expected the cap, got {other:?}"),
    }
    // Only the four reasons of K4 exist.
    assert!("more_coaching".parse::<CapReason>().unwrap_err().to_string().contains("onboarding, new_topic, development_agreement, reduced_contact_work"));
    let november = Month { year: 2026, month: 11 };
    // Another coach cannot record a change for someone they do not coach.
    let change = CapChange { from: november, until: november, cap: 6, reason: CapReason::Onboarding };
    assert_eq!(
        refusal(qa.change_cap(&at(Role::Coach, Some(&centre.other_coach), NOW), &centre.participation, &change)),
        Denial::OutOfReach { scope: Scope::Coached }
    );
    assert_eq!(
        refusal(qa.change_cap(&centre.employee(), &centre.participation, &change)),
        Denial::RoleNotAllowed { role: Role::Employee, action: Action::Write }
    );
    qa.change_cap(&coach, &centre.participation, &change).unwrap();
    let participation = qa.participation(&coach, &centre.participation).unwrap();
    assert_eq!(participation.cap(november), 6);
    assert_eq!(participation.cap_changes[0].1, "test.coach", "who decided is recorded");
    assert_eq!(qa.draw(&coach, &selection, 1, 42).unwrap().len(), 5);
    // Listening along live counts too (K1): the sixth is the last one this month.
    let mut live = form("Medewerker Jansen", false);
    live.handling = Handling::Live;
    live.answers[0].0 = Answer::Ja;
    qa.file_live_report(&coach, &selection, &live).unwrap();
    assert!(matches!(qa.file_live_report(&coach, &selection, &live), Err(CallQaError::CapReached { cap: 6, drawn: 6, .. })));
    assert!(matches!(qa.draw(&coach, &selection, 1, 42), Err(CallQaError::CapReached { cap: 6, drawn: 6, .. })));
    // Continuous listening stays impossible.
    let endless = CapChange { cap: 40, ..change };
    assert!(qa.change_cap(&coach, &centre.participation, &endless).unwrap_err().to_string().contains("continuous listening"));
}

// req: K5
#[test]
fn network_relation_internal_and_private_calls_are_never_drawn_and_not_representative_draws_another() {
    let centre = Centre::new();
    centre.november();
    let (selection, drawn) = centre.drawn(4);
    let qa = centre.qa();
    let coach = centre.coach("2026-11-29T09:00:00Z");
    let (draw, holds) = qa.verify_draw(&coach, &selection).unwrap();
    assert!(holds, "the draw follows from its recorded seed");
    assert_eq!(draw.pool.len(), 12, "the twelve business calls, not the network relation's");
    assert!(!draw.pool.iter().any(|id| ["N01", "I01", "P01"].contains(&id.as_str())));
    // Over 10,000 seeds on the pool the selection built, none of them is ever drawn.
    for seed in 0..10_000u64 {
        let again = Draw { seed: Some(seed), excluded: vec![], withdrawn: vec![], ..draw.clone() };
        assert!(!again.recompute().iter().any(|id| ["N01", "I01", "P01"].contains(&id.as_str())), "seed {seed}");
    }
    // Not representative: marked, with why, and another call takes its place.
    let after = qa.exclude(&coach, &selection, &drawn[0], "klant belde voor een collega").unwrap();
    assert_eq!(after.len(), 4);
    assert!(!after.contains(&drawn[0]));
    assert_eq!(after[..3], drawn[1..]);
    let (draw, holds) = qa.verify_draw(&coach, &selection).unwrap();
    assert!(holds && draw.excluded[0].reason == "klant belde voor een collega");
    // Only a drawn call can be excluded.
    assert!(matches!(qa.exclude(&coach, &selection, "N01", "x"), Err(CallQaError::NotDrawn(_))));
    // Another coach may not draw for this employee.
    assert_eq!(
        refusal(qa.draw(&at(Role::Coach, Some(&centre.other_coach), "2026-11-29T09:00:00Z"), &selection, 1, 1)),
        Denial::OutOfReach { scope: Scope::Coached }
    );
}

// req: K6
#[test]
fn the_employee_is_told_the_date_in_advance_and_never_which_calls() {
    let centre = Centre::new();
    centre.november();
    let qa = centre.qa();
    let november = Month { year: 2026, month: 11 };
    // Not in advance: refused.
    assert!(matches!(
        qa.announce(&centre.coach(NOW), &centre.employee, november, Date::new(2026, 11, 28).unwrap(), Filters::default()),
        Err(CallQaError::NotInAdvance)
    ));
    let selection = qa.announce(&centre.coach(NOW), &centre.employee, november, Date::new(2026, 12, 1).unwrap(), Filters::default()).unwrap();
    // Not before the announced date.
    assert!(matches!(qa.draw(&centre.coach("2026-11-30T09:00:00Z"), &selection, 4, 1), Err(CallQaError::BeforeAnnouncedDate { .. })));
    let drawn = qa.draw(&centre.coach("2026-12-01T09:00:00Z"), &selection, 4, 1).unwrap();
    assert_eq!(drawn.len(), 4);
    let told = qa.announcements(&centre.employee(), &centre.employee).unwrap();
    assert_eq!(told.len(), 1);
    assert_eq!((told[0].month, told[0].date), (november, Some(Date::new(2026, 12, 1).unwrap())));
    // The kernel gives the employee the announcement and not the draw.
    let monitoring = centre.kernel.processing("kcc_kwaliteitsmonitoring").unwrap();
    let all: CategorySet = Category::ALL.iter().copied().collect();
    let views = centre.kernel.read(&centre.employee(), monitoring, &centre.employee, all).unwrap();
    assert!(views.iter().all(|v| v.get(Category::CallMeta).is_none()));
    let text = format!("{views:?}{:?}", views.iter().map(|v| v.get(Category::FreeText)).collect::<Vec<_>>());
    assert!(drawn.iter().all(|id| !text.contains(id.as_str())), "{text}");
    // Another employee reads none of it.
    assert_eq!(refusal(qa.announcements(&at(Role::Employee, Some(&centre.other_employee), NOW), &centre.employee)), Denial::OutOfReach { scope: Scope::Own });
    // Agreed with the coach not to be told: December's date is not shown.
    qa.agree_not_announced(&centre.coach(NOW), &centre.participation, true).unwrap();
    qa.announce(&centre.coach(NOW), &centre.employee, Month { year: 2026, month: 12 }, Date::new(2026, 12, 20).unwrap(), Filters::default()).unwrap();
    let told = qa.announcements(&centre.employee(), &centre.employee).unwrap();
    assert_eq!(told[0].date, None);
}

// req: K7
#[test]
fn a_report_is_for_the_employee_and_their_own_coach_and_follows_the_coach_not_the_manager() {
    let centre = Centre::new();
    centre.november();
    let (_, drawn) = centre.drawn(4);
    let qa = centre.qa();
    let coach = centre.coach(NOW);
    // Only a drawn call is reported on.
    assert!(matches!(qa.file_report(&coach, &centre.call("N01"), &form("Medewerker Jansen", false)), Err(CallQaError::NotDrawn(_))));
    let report = qa.file_report(&coach, &centre.call(&drawn[0]), &form("Medewerker Jansen", true)).unwrap();
    let read = qa.report(&centre.employee(), &report).unwrap();
    assert!(!read.norm.meets && read.norm.critical_failed == [11], "a Nee on a critical criterion");
    assert_eq!(read.call.unwrap().call_id.as_deref(), Some(drawn[0].as_str()));
    // Views, then conclusions, then agreement.
    assert!(qa.conclude(&coach, &report, "Samen: samenvatten oefenen").is_err());
    qa.give_view(&coach, &report, "Goed gesprek, antwoord onvolledig").unwrap();
    qa.give_view(&centre.employee(), &report, "Ik had de regeling niet paraat").unwrap();
    qa.conclude(&coach, &report, "Samen: regeling nalezen").unwrap();
    qa.agree(&centre.employee(), &report).unwrap();
    let read = qa.report(&coach, &report).unwrap();
    assert_eq!(read.employee_view.as_deref(), Some("Ik had de regeling niet paraat"));
    assert!(read.agreed.is_some());
    // Not the manager, not the department manager, not HR; not another coach, not another employee.
    for (role, who) in [(Role::Manager, &centre.manager), (Role::DepartmentManager, &centre.department_manager), (Role::Hr, &centre.other_employee)] {
        assert_eq!(refusal(qa.report(&at(role, Some(who), NOW), &report)), Denial::RoleNotAllowed { role, action: Action::Read }, "{role}");
    }
    assert_eq!(refusal(qa.report(&at(Role::Coach, Some(&centre.other_coach), NOW), &report)), Denial::OutOfReach { scope: Scope::Coached });
    assert_eq!(refusal(qa.report(&at(Role::Employee, Some(&centre.other_employee), NOW), &report)), Denial::OutOfReach { scope: Scope::Own });
    // A change of coach: the successor reads the reports, the former coach no longer.
    let hr = at(Role::Hr, None, NOW);
    let successor = person(&centre.kernel, "Coach Hendriks");
    qa.assign(&hr, &centre.participation, Scope::Coached, &successor, true).unwrap();
    qa.assign(&hr, &centre.participation, Scope::Coached, &centre.coach, false).unwrap();
    assert_eq!(qa.reports_of(&at(Role::Coach, Some(&successor), NOW), &centre.employee).unwrap().len(), 1);
    assert_eq!(refusal(qa.report(&coach, &report)), Denial::OutOfReach { scope: Scope::Coached });
}

// req: K7
#[test]
fn a_second_opinion_is_given_by_another_coach_whose_access_ends_with_it() {
    let centre = Centre::new();
    centre.november();
    let (_, drawn) = centre.drawn(1);
    let qa = centre.qa();
    let report = qa.file_report(&centre.coach(NOW), &centre.call(&drawn[0]), &form("Medewerker Jansen", false)).unwrap();
    let second = at(Role::Coach, Some(&centre.other_coach), NOW);
    assert!(qa.bring_in_second_coach(&centre.coach(NOW), &report, &centre.other_coach).is_err(), "not asked for");
    qa.ask_second_opinion(&centre.employee(), &report, "Ik ben het niet eens met criterium 11").unwrap();
    qa.bring_in_second_coach(&centre.coach(NOW), &report, &centre.other_coach).unwrap();
    qa.give_second_opinion(&second, &report, "Criterium 11 is terecht Ja").unwrap();
    let read = qa.report(&centre.employee(), &report).unwrap();
    assert_eq!(read.second_opinions, [("test.coach".to_string(), "Criterium 11 is terecht Ja".to_string())]);
    assert_eq!(refusal(qa.report(&second, &report)), Denial::OutOfReach { scope: Scope::Coached });
    let relations = qa.participation(&centre.coach(NOW), &centre.participation).unwrap().relations;
    assert_eq!(
        relations,
        [(Scope::Coached, centre.coach.clone()), (Scope::Managed, centre.manager.clone()), (Scope::Managed, centre.department_manager.clone())]
    );
}

// req: K7
#[test]
fn a_change_of_function_deletes_the_reports_and_a_summary_is_never_about_one_call() {
    let centre = Centre::new();
    centre.november();
    let (_, drawn) = centre.drawn(4);
    let qa = centre.qa();
    let coach = centre.coach(NOW);
    for (i, call) in drawn.iter().enumerate() {
        qa.file_report(&coach, &centre.call(call), &form("Medewerker Jansen", i == 0)).unwrap();
    }
    let (from, until) = (Date::new(2026, 11, 1).unwrap(), Date::new(2026, 11, 30).unwrap());
    let summary = qa.summary(&centre.employee(), &centre.employee, from, until).unwrap();
    assert_eq!((summary.reports, summary.meeting_norm), (4, 3));
    assert!(qa.summary(&centre.employee(), &centre.employee, from, Date::new(2026, 11, 2).unwrap()).is_err(), "fewer than three reports");
    // The function changes: reports and participation go at once.
    let system = at(Role::System, None, NOW);
    assert_eq!(refusal(qa.function_changed(&coach, &centre.participation)), Denial::RoleNotAllowed { role: Role::Coach, action: Action::Advance });
    assert_eq!(qa.calls_of(&coach, &centre.employee).unwrap().len(), 13);
    qa.function_changed(&system, &centre.participation).unwrap();
    assert!(qa.reports_of(&centre.employee(), &centre.employee).unwrap().is_empty());
    assert!(qa.participations_of(&centre.employee(), &centre.employee).unwrap().is_empty());
    // Her calls stay their four weeks; her former coach no longer reaches them.
    assert_eq!(qa.own_calls(&centre.employee()).unwrap().len(), 13);
    assert_eq!(refusal(qa.calls_of(&coach, &centre.employee)), Denial::OutOfReach { scope: Scope::Coached });
}

// req: K11
#[test]
fn a_deletion_request_is_decided_with_reasons_carried_out_at_once_and_listed_when_overdue() {
    let centre = Centre::new();
    centre.november();
    let (_, drawn) = centre.drawn(2);
    let qa = centre.qa();
    let coach = centre.coach(NOW);
    let first = qa.file_report(&coach, &centre.call(&drawn[0]), &form("Medewerker Jansen", false)).unwrap();
    let second = qa.file_report(&coach, &centre.call(&drawn[1]), &form("Medewerker Jansen", false)).unwrap();
    assert!("wrong".parse::<DeletionGround>().is_err());
    // Another employee cannot ask for this employee's report to go.
    assert_eq!(
        refusal(qa.request_deletion(&at(Role::Employee, Some(&centre.other_employee), NOW), &first, DeletionGround::Incorrect, "")),
        Denial::OutOfReach { scope: Scope::Own }
    );
    qa.request_deletion(&centre.employee(), &first, DeletionGround::Incorrect, "Het gesprek was niet van mij").unwrap();
    qa.request_deletion(&centre.employee(), &second, DeletionGround::NotRelevant, "Oude werkwijze").unwrap();
    // Within four weeks nothing is overdue; after, both are listed for the coach.
    assert!(qa.overdue_deletions(&coach, ts("2026-12-26T09:00:00Z")).unwrap().is_empty());
    let overdue = qa.overdue_deletions(&coach, ts("2026-12-27T09:00:00Z")).unwrap();
    assert_eq!(overdue.len(), 2);
    assert_eq!(overdue[0].1, ts("2026-12-26T10:00:00Z"));
    // Another coach sees none of them.
    assert!(qa.overdue_deletions(&at(Role::Coach, Some(&centre.other_coach), NOW), ts("2026-12-27T09:00:00Z")).unwrap().is_empty());
    // A decision needs reasons; granted, the report is gone at once.
    assert!(matches!(qa.decide_deletion(&coach, &first, true, " "), Err(CallQaError::Missing(_))));
    qa.decide_deletion(&coach, &first, true, "Gesprek verkeerd toegewezen").unwrap();
    assert!(matches!(qa.report(&centre.employee(), &first), Err(CallQaError::NotFound(_))));
    qa.decide_deletion(&coach, &second, false, "Het verslag is juist en nog ter zake").unwrap();
    assert_eq!(qa.report(&centre.employee(), &second).unwrap().deletion.unwrap().refused.as_deref(), Some("Het verslag is juist en nog ter zake"));
    assert!(qa.overdue_deletions(&coach, ts("2027-01-30T09:00:00Z")).unwrap().is_empty());
}

// req: K8
#[test]
fn a_call_is_used_in_training_only_with_consent_and_goes_when_consent_is_withdrawn() {
    let centre = Centre::new();
    centre.november();
    let qa = centre.qa();
    let coach = centre.coach(NOW);
    let call = centre.call("B03");
    assert!(matches!(qa.use_call(&coach, &call, Use::Calibration), Err(CallQaError::NoConsent(id)) if id == "B03"));
    // Another employee cannot consent for this one's call.
    assert_eq!(
        refusal(qa.consent(&at(Role::Employee, Some(&centre.other_employee), NOW), &call, Use::Calibration)),
        Denial::OutOfReach { scope: Scope::OwnCalls }
    );
    let consent = qa.consent(&centre.employee(), &call, Use::Calibration).unwrap();
    let copy = qa.use_call(&coach, &call, Use::Calibration).unwrap();
    // Consent for training is not consent for calibration, and the other way round.
    assert!(matches!(qa.use_call(&coach, &call, Use::Training), Err(CallQaError::NoConsent(_))));
    // Every coach in the session hears it; a manager does not.
    assert_eq!(qa.listen_used(&at(Role::Coach, Some(&centre.other_coach), NOW), &copy, Use::Calibration).unwrap().bytes, WAV);
    assert_eq!(
        refusal(qa.listen_used(&at(Role::Manager, Some(&centre.manager), NOW), &copy, Use::Calibration)),
        Denial::RoleNotAllowed { role: Role::Manager, action: Action::Read }
    );
    // Calibration: three coaches score the call; their agreement is computed.
    let third = person(&centre.kernel, "Coach Peters");
    let answers = |nee: &[u8]| CRITERIA.iter().map(|c| if nee.contains(&c.number) { Answer::Nee } else { Answer::Ja }).collect::<Vec<_>>();
    qa.score(&coach, &copy, &answers(&[5])).unwrap();
    qa.score(&Access { actor: "coach.smit".into(), ..at(Role::Coach, Some(&centre.other_coach), NOW) }, &copy, &answers(&[5])).unwrap();
    qa.score(&Access { actor: "coach.peters".into(), ..at(Role::Coach, Some(&third), NOW) }, &copy, &answers(&[5, 11])).unwrap();
    let agreement = qa.agreement(&coach, std::slice::from_ref(&copy)).unwrap();
    assert_eq!((agreement.calls, agreement.coaches), (1, 3));
    assert_eq!(agreement.per_criterion[4], None, "all three said Nee on 5: one category, undefined");
    assert!(agreement.per_criterion[10].unwrap() < 0.0, "criterion 11 split 2–1 on one call");
    assert!(agreement.overall.unwrap() > 0.5);
    // Withdrawn: the copy goes at once.
    qa.withdraw_consent(&centre.employee(), &consent, Use::Calibration).unwrap();
    assert!(matches!(qa.listen_used(&coach, &copy, Use::Calibration), Err(CallQaError::NotFound(_))));
    assert!(matches!(qa.use_call(&coach, &call, Use::Calibration), Err(CallQaError::NoConsent(_))));
}

// req: K3
// req: K9
#[test]
fn recordings_go_after_28_days_and_a_threat_recording_is_kept_six_months_and_longer_under_a_hold() {
    let centre = Centre::new();
    centre.import(&[("T01", "A100", "2026-11-20T10:00:00Z", 300, true, false, false), ("T02", "A100", "2026-11-20T11:00:00Z", 300, true, false, false)]);
    let qa = centre.qa();
    let call = centre.call("T01");
    let threat = qa.report_threat(&centre.employee(), &call, "Beller dreigde langs te komen").unwrap();
    // Only the employee's own call; the coach has no role; the manager hears it, another manager not.
    assert_eq!(refusal(qa.report_threat(&at(Role::Employee, Some(&centre.other_employee), NOW), &call, "x")), Denial::OutOfReach { scope: Scope::OwnCalls });
    assert_eq!(refusal(qa.listen_threat(&centre.coach(NOW), &threat)), Denial::RoleNotAllowed { role: Role::Coach, action: Action::Read });
    assert_eq!(qa.listen_threat(&at(Role::Manager, Some(&centre.manager), NOW), &threat).unwrap().bytes, WAV);
    assert_eq!(refusal(qa.listen_threat(&at(Role::Manager, Some(&centre.other_manager), NOW), &threat)), Denial::OutOfReach { scope: Scope::Managed });
    qa.record_measure(&at(Role::Manager, Some(&centre.manager), NOW), &threat, "police_report".parse().unwrap(), "aangifte gedaan").unwrap();
    assert_eq!(qa.threats_of(&centre.employee(), &centre.employee).unwrap()[0].measures.len(), 1);
    // The threatening call never enters monitoring.
    qa.announce(&centre.coach(NOW), &centre.employee, Month { year: 2026, month: 11 }, Date::new(2026, 11, 29).unwrap(), Filters::default()).unwrap();
    let selection = qa.selections(&centre.coach(NOW), &centre.employee).unwrap()[0].record.clone();
    let drawn = qa.draw(&centre.coach("2026-11-29T09:00:00Z"), &selection, 2, 3).unwrap();
    assert_eq!(drawn, ["T02"]);

    // 28 days after the call the recordings are gone; the threat copy stays.
    let sweep =
        |when: &str| -> u64 { centre.kernel.sweep(&at(Role::System, None, when), ts(when), 100, None, |_| ()).unwrap().iter().map(|c| c.records).sum() };
    sweep("2026-12-18T09:59:59Z");
    assert!(qa.find_call(&at(Role::System, None, NOW), "T02").unwrap().is_some());
    sweep("2026-12-18T11:00:00Z");
    assert!(qa.find_call(&at(Role::System, None, NOW), "T01").unwrap().is_none());
    assert!(qa.find_call(&at(Role::System, None, NOW), "T02").unwrap().is_none());
    let manager = at(Role::Manager, Some(&centre.manager), "2027-05-01T10:00:00Z");
    qa.hold_threat(&manager, &threat, "nieuw incident met dezelfde beller", ts("2027-08-01T00:00:00Z")).unwrap();
    // Six months after the call it would go; under the hold it stays until settled.
    sweep("2027-05-21T10:00:00Z");
    assert_eq!(qa.threats_of(&centre.employee(), &centre.employee).unwrap().len(), 1);
    qa.settle_threat(&at(Role::Manager, Some(&centre.manager), "2027-06-01T10:00:00Z"), &threat, "incident afgehandeld").unwrap();
    sweep("2027-06-01T10:00:01Z");
    assert!(qa.threats_of(&centre.employee(), &centre.employee).unwrap().is_empty());
}

// req: K10
#[test]
fn weighty_reasons_open_listening_only_after_both_managers_decided() {
    let centre = Centre::new();
    centre.november();
    let qa = centre.qa();
    let manager = at(Role::Manager, Some(&centre.manager), NOW);
    let department = at(Role::DepartmentManager, Some(&centre.department_manager), NOW);
    let (from, until) = (ts("2026-11-01T00:00:00Z"), ts("2026-11-08T00:00:00Z"));
    // A coach, or a manager of another team, cannot decide.
    assert!(qa.decide_weighty(&centre.coach(NOW), &centre.employee, Indication::Fraud, "x", from, until).is_err());
    assert_eq!(
        refusal(qa.decide_weighty(&at(Role::Manager, Some(&centre.other_manager), NOW), &centre.employee, Indication::Fraud, "meldingen", from, until)),
        Denial::OutOfReach { scope: Scope::Managed }
    );
    assert_eq!(qa.decide_weighty(&manager, &centre.employee, Indication::Fraud, "drie meldingen van klanten", from, until).unwrap(), 0);
    match qa.investigated_calls(&manager, &centre.employee) {
        Err(CallQaError::NotDecided(missing)) => assert_eq!(missing, Decider::DepartmentManager),
        other => panic!("expected the refusal, got {other:?}"),
    }
    // The same person cannot take both decisions.
    let same = Access { actor: "test.manager".into(), ..department.clone() };
    assert!(matches!(qa.decide_weighty(&same, &centre.employee, Indication::Fraud, "idem", from, until), Err(CallQaError::SameDecider)));
    assert_eq!(qa.decide_weighty(&department, &centre.employee, Indication::Fraud, "bevestigd", from, until).unwrap(), 5, "the calls of 3–7 November");
    let calls = qa.investigated_calls(&manager, &centre.employee).unwrap();
    assert_eq!(calls.len(), 5);
    assert_eq!(qa.listen_investigated(&department, &calls[0].0).unwrap().bytes, WAV);
    // The coach and the other team's manager hear none of it.
    assert_eq!(refusal(qa.listen_investigated(&centre.coach(NOW), &calls[0].0)), Denial::RoleNotAllowed { role: Role::Coach, action: Action::Read });
    assert_eq!(
        refusal(qa.listen_investigated(&at(Role::Manager, Some(&centre.other_manager), NOW), &calls[0].0)),
        Denial::OutOfReach { scope: Scope::Managed }
    );
}

// req: K11
// req: K3
#[test]
fn the_employee_hears_their_own_calls_and_a_coach_only_the_drawn_ones() {
    let centre = Centre::new();
    centre.november();
    let (_, drawn) = centre.drawn(1);
    let qa = centre.qa();
    let own = qa.listen_own(&centre.employee(), &centre.call("B05")).unwrap();
    assert_eq!((own.bytes.as_slice(), own.media_type.as_str()), (WAV, "audio/wav"));
    assert_eq!(
        refusal(qa.listen_own(&at(Role::Employee, Some(&centre.other_employee), NOW), &centre.call("B05"))),
        Denial::OutOfReach { scope: Scope::OwnCalls }
    );
    assert_eq!(qa.listen_selected(&centre.coach(NOW), &centre.call(&drawn[0])).unwrap().call.call_id, drawn[0]);
    let undrawn = ["B01", "B02", "B03", "B04", "B05"].into_iter().find(|id| !drawn.iter().any(|d| d == id)).unwrap();
    assert!(matches!(qa.listen_selected(&centre.coach(NOW), &centre.call(undrawn)), Err(CallQaError::NotDrawn(_))));
    assert_eq!(
        refusal(qa.listen_selected(&at(Role::Coach, Some(&centre.other_coach), NOW), &centre.call(&drawn[0]))),
        Denial::OutOfReach { scope: Scope::Coached }
    );
    assert_eq!(
        refusal(qa.listen_own(&at(Role::Manager, Some(&centre.manager), NOW), &centre.call("B05"))),
        Denial::RoleNotAllowed { role: Role::Manager, action: Action::Read }
    );
}

// req: K0
#[test]
fn the_protocol_is_handed_out_only_in_a_version_the_works_council_consented_to() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let qa = CallQa::new(&kernel).unwrap();
    let hr = at(Role::Hr, None, NOW);
    let employee = person(&kernel, "Medewerker Jansen");
    assert!(
        qa.enrol(&hr, &employee, "Medewerker Jansen", "klantcontactmedewerker", "A100")
            .unwrap_err()
            .to_string()
            .contains("no recorded consent of the works council")
    );
    // Only a role that reaches the whole processing records the consent.
    assert_eq!(
        refusal(qa.record_consent(&at(Role::Coach, None, NOW), "2026-1", Date::new(2026, 1, 15).unwrap(), "OR 2026/03")),
        Denial::OutOfReach { scope: Scope::Coached }
    );
    qa.record_consent(&hr, "2026-1", Date::new(2026, 1, 15).unwrap(), "OR 2026/03").unwrap();
    let participation = qa.enrol(&hr, &employee, "Medewerker Jansen", "klantcontactmedewerker", "A100").unwrap();
    let own = at(Role::Employee, Some(&employee), NOW);
    qa.acknowledge(&own, &participation).unwrap();
    let read = qa.participation(&own, &participation).unwrap();
    assert_eq!((read.version.as_str(), read.acknowledged), ("2026-1", Some(ts(NOW))));
    let status = qa.status().unwrap();
    assert_eq!(status.evaluation_due(), Some(Date::new(2027, 1, 15).unwrap()));
    qa.record_evaluation(&hr, Date::new(2027, 1, 10).unwrap(), "geëvalueerd met OR; geen wijzigingen").unwrap();
    assert_eq!(qa.status().unwrap().evaluation_due(), Some(Date::new(2028, 1, 10).unwrap()));
}

// req: K0
// req: K4
// req: K6
#[test]
fn the_protocol_runs_from_the_command_line_and_a_changed_protocol_needs_the_works_councils_consent() {
    let dir = tempfile::tempdir().unwrap();
    let place = crate::server::Place::sqlite(dir.path());
    crate::server::create_account(&place, "m.jansen", "employee", None);
    crate::server::create_account(&place, "c.deboer", "coach", None);
    crate::server::create_account(&place, "c.smit", "coach", None);
    // Nothing is handed out before the works council consented.
    let refused = place.run(&["kcc", "enrol", "--account", "m.jansen", "--function", "klantcontactmedewerker", "--agent", "A100"]);
    assert!(!refused.status.success() && crate::stderr(&refused).contains("no recorded consent of the works council"), "{}", crate::stderr(&refused));
    let consent = place.ok(&["kcc", "protocol", "consent", "--version-name", "2026-1", "--date", "15-01-2026", "--reference", "OR 2026/03"]);
    assert!(consent.contains("evaluation due 15 januari 2027"), "{consent}");
    place.ok(&["kcc", "enrol", "--account", "m.jansen", "--function", "klantcontactmedewerker", "--agent", "A100"]);
    place.ok(&["kcc", "assign", "--agent", "A100", "--coach", "c.deboer"]);
    // Calls of the last days, so that they are within their four weeks whenever the test runs.
    let batch = tempfile::tempdir().unwrap();
    let mut csv = String::from("call_id,agent,start,duration_seconds,direction,external,network_relation,private_line,audio\n");
    let now = Timestamp::now();
    for i in 0..6 {
        std::fs::write(batch.path().join(format!("c{i}.wav")), WAV).unwrap();
        let start = now - jiff::SignedDuration::from_hours(i + 1);
        csv.push_str(&format!("C{i},A100,{start},300,in,ja,nee,nee,c{i}.wav\n"));
    }
    csv.push_str(&format!("I0,A100,{},300,in,nee,nee,nee,\n", now - jiff::SignedDuration::from_hours(1)));
    std::fs::write(batch.path().join("calls.csv"), csv).unwrap();
    let imported = place.ok(&["kcc", "import", batch.path().join("calls.csv").to_str().unwrap()]);
    assert!(imported.contains("6 call(s) stored; not stored: 1 internal"), "{imported}");
    // The month of the calls, announced for tomorrow, drawn tomorrow.
    let month = grondslag_callqa::Month::of(now - jiff::SignedDuration::from_hours(6)).to_string();
    let today = grondslag_values::dutch::amsterdam_date(now);
    let tomorrow = today.tomorrow().unwrap().to_string();
    let outbox = tempfile::tempdir().unwrap();
    // Another coach cannot announce for someone they do not coach: the kernel's reason.
    let other = place.run(&["kcc", "--as", "c.smit", "announce", "--agent", "A100", "--month", &month, "--date", &tomorrow]);
    assert!(!other.status.success() && crate::stderr(&other).contains("you do not coach this employee"), "{}", crate::stderr(&other));
    let announced = place.ok(&[
        "kcc",
        "--as",
        "c.deboer",
        "announce",
        "--agent",
        "A100",
        "--month",
        &month,
        "--date",
        &tomorrow,
        "--outbox",
        outbox.path().to_str().unwrap(),
    ]);
    assert!(announced.contains("announced"), "{announced}");
    let message = std::fs::read_to_string(outbox.path().join(format!("kcc-A100-{month}.txt"))).unwrap();
    assert!(message.contains("m.jansen") && message.contains("Welke gesprekken worden gekozen, hoor je niet vooraf"), "{message}");
    let early = place.run(&["kcc", "--as", "c.deboer", "draw", "--agent", "A100", "--month", &month]);
    assert!(!early.status.success() && crate::stderr(&early).contains("not before"), "{}", crate::stderr(&early));

    // The register's protocol changed without consent: refused at register check --data.
    let register = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../register/img.toml")).unwrap();
    let changed = register.replace("Per medewerker ten hoogste 4 gesprekken per maand.", "Per medewerker ten hoogste 6 gesprekken per maand.");
    assert_ne!(changed, register);
    let file = dir.path().join("changed.toml");
    std::fs::write(&file, changed).unwrap();
    let check = place.run(&["register", "check", file.to_str().unwrap()]);
    assert!(!check.status.success(), "{}", crate::stdout(&check));
    assert!(crate::stderr(&check).contains("differs from every version the works council consented to"), "{}", crate::stderr(&check));
    let same = place.ok(&["register", "check"]);
    assert!(same.contains("call-centre protocol version 2026-1"), "{same}");
}

// req: K7
// req: K11
#[test]
fn each_step_on_a_report_is_taken_by_its_own_party() {
    let centre = Centre::new();
    centre.november();
    let (_, drawn) = centre.drawn(1);
    let qa = centre.qa();
    let coach = centre.coach(NOW);
    let report = qa.file_report(&coach, &centre.call(&drawn[0]), &form("Medewerker Jansen", false)).unwrap();
    qa.give_view(&coach, &report, "Goed").unwrap();
    qa.give_view(&centre.employee(), &report, "Eens").unwrap();
    let only = |result: Result<(), CallQaError>, needle: &str| {
        let message = result.unwrap_err().to_string();
        assert!(message.contains(needle), "{message}");
    };
    // The employee does not write the conclusions or decide on their own request; the coach does not agree or ask for them.
    only(qa.conclude(&centre.employee(), &report, "Zelf bedacht"), "a coach takes this step (concluded)");
    qa.conclude(&coach, &report, "Samen afgesproken").unwrap();
    only(qa.agree(&coach, &report), "only the employee the report is about takes this step (agreed)");
    only(qa.ask_second_opinion(&coach, &report, "namens"), "only the employee");
    only(qa.request_deletion(&coach, &report, DeletionGround::Incorrect, "namens"), "only the employee");
    qa.request_deletion(&centre.employee(), &report, DeletionGround::Incorrect, "Onjuist").unwrap();
    only(qa.decide_deletion(&centre.employee(), &report, false, "zelf afgewezen"), "a coach takes this step");
    // The refusal of someone outside is still the kernel's, with its reason.
    assert_eq!(
        refusal(qa.request_deletion(&at(Role::Coach, Some(&centre.other_coach), NOW), &report, DeletionGround::Incorrect, "x")),
        Denial::OutOfReach { scope: Scope::Coached }
    );
    assert_eq!(
        refusal(qa.agree(&at(Role::Manager, Some(&centre.manager), NOW), &report)),
        Denial::RoleNotAllowed { role: Role::Manager, action: Action::Read }
    );
}

// req: K4
// req: K7
// req: K11
#[test]
fn on_postgresql_the_protocol_keeps_its_rules() {
    let Some(centre) = Centre::on_postgres() else { return };
    centre.november();
    let (selection, drawn) = centre.drawn(4);
    let qa = centre.qa();
    let coach = centre.coach("2026-11-29T09:00:00Z");
    assert!(matches!(qa.draw(&coach, &selection, 1, 7), Err(CallQaError::CapReached { cap: 4, drawn: 4, .. })));
    assert!(qa.verify_draw(&coach, &selection).unwrap().1);
    let report = qa.file_report(&coach, &centre.call(&drawn[0]), &form("Medewerker Jansen", false)).unwrap();
    assert_eq!(
        refusal(qa.report(&at(Role::Manager, Some(&centre.manager), NOW), &report)),
        Denial::RoleNotAllowed { role: Role::Manager, action: Action::Read }
    );
    qa.request_deletion(&centre.employee(), &report, DeletionGround::NotRelevant, "Oud").unwrap();
    assert_eq!(qa.overdue_deletions(&coach, ts("2026-12-28T09:00:00Z")).unwrap().len(), 1);
    qa.decide_deletion(&coach, &report, true, "Terecht").unwrap();
    assert!(qa.reports_of(&centre.employee(), &centre.employee).unwrap().is_empty());
    assert!(qa.status().unwrap().consent.is_some());
}

// req: K0
// req: K6
// req: K7
// req: K8
#[test]
fn training_calibration_and_the_agreements_run_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let place = crate::server::Place::sqlite(dir.path());
    for (name, role) in [("m.jansen", "employee"), ("c.deboer", "coach"), ("c.smit", "coach"), ("c.peters", "coach"), ("v.visser", "employee")] {
        crate::server::create_account(&place, name, role, None);
    }
    place.ok(&["kcc", "protocol", "consent", "--version-name", "2026-1", "--date", "15-01-2026", "--reference", "OR 2026/03"]);
    place.ok(&["kcc", "enrol", "--account", "m.jansen", "--function", "klantcontactmedewerker", "--agent", "A100"]);
    place.ok(&["kcc", "assign", "--agent", "A100", "--coach", "c.deboer"]);
    let batch = tempfile::tempdir().unwrap();
    let start = Timestamp::now() - jiff::SignedDuration::from_hours(2);
    std::fs::write(batch.path().join("c0.wav"), WAV).unwrap();
    std::fs::write(batch.path().join("calls.csv"), format!("{}\nC0,A100,{start},300,in,ja,nee,nee,c0.wav\n", grondslag_callqa::import::COLUMNS.join(",")))
        .unwrap();
    place.ok(&["kcc", "import", batch.path().join("calls.csv").to_str().unwrap()]);

    // The employee acknowledges the protocol; another employee cannot do it for her.
    let other = place.run(&["kcc", "--as", "v.visser", "acknowledge", "--agent", "A100"]);
    assert!(!other.status.success() && crate::stderr(&other).contains("you may act only on your own file"), "{}", crate::stderr(&other));
    place.ok(&["kcc", "--as", "m.jansen", "acknowledge", "--agent", "A100"]);
    // Agreed with her coach not to be told: the announcement writes no message.
    place.ok(&["kcc", "--as", "c.deboer", "not-announced", "--agent", "A100"]);
    let outbox = tempfile::tempdir().unwrap();
    let month = Month::of(start).to_string();
    let tomorrow = grondslag_values::dutch::amsterdam_date(Timestamp::now()).tomorrow().unwrap().to_string();
    let announced = place.ok(&[
        "kcc",
        "--as",
        "c.deboer",
        "announce",
        "--agent",
        "A100",
        "--month",
        &month,
        "--date",
        &tomorrow,
        "--outbox",
        outbox.path().to_str().unwrap(),
    ]);
    assert!(announced.contains("not told: agreed with the coach"), "{announced}");
    assert_eq!(std::fs::read_dir(outbox.path()).map(|d| d.count()).unwrap_or(0), 0);

    // Training without her consent is refused; she consents to calibration (on her page; here through the domain).
    let refused = place.run(&["kcc", "--as", "c.deboer", "use", "--call", "C0", "--for", "calibration"]);
    assert!(!refused.status.success() && crate::stderr(&refused).contains("has not consented to using call C0"), "{}", crate::stderr(&refused));
    {
        let kernel = open_kernel(dir.path());
        let accounts = grondslag_accounts::Accounts::new(std::sync::Arc::new(kernel), grondslag_accounts::Policy::default()).unwrap();
        let own = accounts.holder("m.jansen", "test", Timestamp::now()).unwrap().unwrap().record.subject;
        let qa = CallQa::new(accounts.kernel()).unwrap();
        let access = Access::new("m.jansen", Role::Employee, "test", Timestamp::now()).acting_as(own);
        let call = qa.own_calls(&access).unwrap()[0].0.clone();
        qa.consent(&access, &call, Use::Calibration).unwrap();
    }
    let training = place.run(&["kcc", "--as", "c.deboer", "use", "--call", "C0", "--for", "training"]);
    assert!(!training.status.success() && crate::stderr(&training).contains("has not consented"), "consent to calibration is not consent to training");
    // A coach who does not coach her cannot take her call in.
    let stranger = place.run(&["kcc", "--as", "c.smit", "use", "--call", "C0", "--for", "calibration"]);
    assert!(!stranger.status.success() && crate::stderr(&stranger).contains("you do not coach this employee"), "{}", crate::stderr(&stranger));
    let copy = place.ok(&["kcc", "--as", "c.deboer", "use", "--call", "C0", "--for", "calibration"]).trim().to_string();
    // Three coaches score it; their agreement per criterion.
    let answers = |nee: u8| {
        (1..=23)
            .map(|n| {
                if n <= 2 {
                    "ntc"
                } else if n == nee {
                    "nee"
                } else {
                    "ja"
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    for (coach, nee) in [("c.deboer", 5), ("c.smit", 5), ("c.peters", 9)] {
        place.ok(&["kcc", "--as", coach, "score", &copy, "--answers", &answers(nee)]);
    }
    let wrong = place.run(&["kcc", "--as", "c.smit", "score", &copy, "--answers", "ja,nee"]);
    assert!(!wrong.status.success() && crate::stderr(&wrong).contains("answers all 23 criteria; 2 given"), "{}", crate::stderr(&wrong));
    let agreement = place.ok(&["kcc", "--as", "c.smit", "agreement", &copy]);
    assert!(agreement.contains("1 call(s) scored by 3 coach(es)") && agreement.contains("11. Antwoord inhoudelijk correct"), "{agreement}");
    // Another employee cannot read it.
    let employee = place.run(&["kcc", "--as", "v.visser", "agreement", &copy]);
    assert!(!employee.status.success() && crate::stderr(&employee).contains("you may act only on your own file"), "{}", crate::stderr(&employee));
    // A summary needs at least three reports.
    let summary = place.run(&["kcc", "--as", "c.deboer", "summary", "--agent", "A100", "--from", "01-01-2026", "--until", "31-12-2026"]);
    assert!(!summary.status.success() && crate::stderr(&summary).contains("a summary covers at least 3"), "{}", crate::stderr(&summary));
}

// req: K12
#[test]
fn the_rendered_protocol_sends_complaints_to_the_dpo_of_ez_and_says_it_was_notified_to_the_ap() {
    let rendered = crate::grondslag(&["register", "render", "--statement", "kcc"]);
    assert!(rendered.status.success(), "{}", crate::stderr(&rendered));
    let text = crate::stdout(&rendered);
    let complaints = text.split("## 7. Klachten").nth(1).expect("the protocol has a section on complaints");
    assert!(complaints.contains("gemeld bij de Autoriteit Persoonsgegevens"), "{complaints}");
    assert!(complaints.contains("leg dat dan voor aan de functionaris voor de gegevensbescherming van EZ"), "{complaints}");
}
