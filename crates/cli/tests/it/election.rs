//! The works-council election (I6) through its domain API, on a real
//! store: eligibility, candidates, the secret ballot (proved on every table
//! of the SQLite file and the audit log), one vote per voter, the count,
//! the publication and what Inkesta receives. Every refusal is asserted
//! with its code or reason.

use std::collections::BTreeSet;
use std::path::Path;

use grondslag_hr::election::{Election, Standing, Tenure, eligible};
use grondslag_hr::{Hr, HrError};
use grondslag_kernel::{Access, Denial, Kernel, KernelError, RecordRef, SubjectId, Value};
use grondslag_register::{Action, Category, CategorySet, Role, Scope};
use jiff::Timestamp;
use jiff::civil::Date;

use crate::open_kernel;

const NOW: &str = "2026-11-28T10:00:00Z";

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

fn hr_at(now: &str) -> Access {
    Access::new("test.hr", Role::Hr, "test", ts(now))
}

fn committee() -> Access {
    Access::new("test.committee", Role::ElectionCommittee, "test", ts(NOW))
}

/// An employee HR registers, employed from `started`.
pub fn employee(kernel: &Kernel, name: &str, function: &str, started: &str) -> SubjectId {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1000);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let new = crate::hr::new_employee(n, name, function, started, grondslag_hr::personnel::ContractKind::Permanent, "Klantcontact");
    Hr::new(kernel).unwrap().register_employee(&hr_at(NOW), &new).unwrap().subject
}

pub fn as_person(name: &str, subject: &SubjectId, now: &str) -> Access {
    Access::new(name, Role::Employee, "test", ts(now)).acting_as(subject.clone())
}

/// The kernel's refusal: the processing and the denial.
pub fn refusal<T: std::fmt::Debug>(result: Result<T, HrError>) -> (String, Denial) {
    match result {
        Err(HrError::Kernel(KernelError::Denied { processing, denial })) => (processing, denial),
        other => panic!("expected the kernel's refusal, got {other:?}"),
    }
}

struct Vote {
    _dir: tempfile::TempDir,
    kernel: Kernel,
    election: Election,
    /// (account name, file) of the voters A, B, C.
    voters: Vec<(String, SubjectId)>,
    /// Candidacies X and Y.
    x: String,
    y: String,
}

impl Vote {
    /// An election on 1 December 2026 with candidates X and Y, and three
    /// eligible voters who have not voted yet.
    fn new() -> Vote {
        let dir = tempfile::tempdir().unwrap();
        let kernel = open_kernel(dir.path());
        Vote::on(dir, kernel)
    }

    fn on(dir: tempfile::TempDir, kernel: Kernel) -> Vote {
        let hr = Hr::new(&kernel).unwrap();
        let election = hr.open_election(&committee(), "OR-verkiezing 2026", day("2026-12-01")).unwrap();
        let xs = employee(&kernel, "Xandra Kandidaat", "jurist", "2020-01-01");
        let ys = employee(&kernel, "Yusuf Kandidaat", "schadebehandelaar", "2021-03-01");
        let x = hr.stand(&as_person("xandra", &xs, NOW), &election, &xs, "Ik sta voor een open IMG.").unwrap().record.to_string();
        let y = hr.stand(&as_person("yusuf", &ys, NOW), &election, &ys, "Meer thuiswerken.").unwrap().record.to_string();
        let voters = [("anna", "2024-02-01"), ("bert", "2023-06-15"), ("carla", "2025-05-01")]
            .iter()
            .map(|(name, started)| (name.to_string(), employee(&kernel, &format!("{name} kiezer"), "medewerker", started)))
            .collect();
        Vote { _dir: dir, kernel, election, voters, x, y }
    }

    fn hr(&self) -> Hr<'_> {
        Hr::new(&self.kernel).unwrap()
    }

    fn vote(&self, voter: usize, candidacy: &str, now: &str) -> Result<(), HrError> {
        let (name, subject) = &self.voters[voter];
        self.hr().vote(&as_person(name, subject, now), &self.election, subject, candidacy)
    }
}

/// Every row of every table of the SQLite file, as text (blobs in hex), by table.
pub fn every_row(dir: &Path) -> Vec<(String, String)> {
    let db = crate::sqlite(dir);
    let tables: Vec<String> =
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let mut rows = Vec::new();
    for table in tables {
        let mut statement = db.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = statement.column_count();
        let mut query = statement.query([]).unwrap();
        while let Some(row) = query.next().unwrap() {
            let cells: Vec<String> = (0..columns)
                .map(|i| match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "NULL".to_string(),
                    rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                    rusqlite::types::ValueRef::Real(f) => f.to_string(),
                    rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                    rusqlite::types::ValueRef::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
                })
                .collect();
            rows.push((table.clone(), cells.join("|")));
        }
    }
    rows
}

/// The audit entries, parsed.
pub fn entries(dir: &Path) -> Vec<grondslag_audit::Entry> {
    crate::audit_json(dir, "SELECT entry FROM audit_entries ORDER BY seq", []).iter().map(|t| grondslag_kernel::parse_entry(t).unwrap()).collect()
}

/// What the store shows about the ballot box, with the box's own ids left
/// out: its audit entries (everything but ids and traces), its rows, its
/// events, its sealed content's length, and its content opened, with each
/// candidacy named by its candidate.
fn what_the_box_shows(vote: &Vote, dir: &Path) -> Vec<String> {
    let ballot_box = &vote.election.ballot_box;
    let (subject, record) = (ballot_box.subject.to_string(), ballot_box.record.to_string());
    let mut shown: Vec<String> = entries(dir)
        .iter()
        .filter(|e| e.data_subject_id.as_deref() == Some(subject.as_str()))
        .map(|e| format!("{} {} {} {} {} {:?} {:?} {} {}", e.timestamp, e.actor, e.role, e.action, e.processing, e.categories, e.outcome, e.reason, e.origin))
        .collect();
    let db = crate::sqlite(dir);
    let row: (String, String, String) =
        db.query_row("SELECT processing, created_at, updated_at FROM records WHERE id = ?1", [&record], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
    shown.push(format!("{row:?}"));
    let length: i64 = db.query_row("SELECT length(value) FROM fields WHERE record_id = ?1", [&record], |r| r.get(0)).unwrap();
    shown.push(format!("sealed {length} bytes"));
    let events: Vec<String> = db
        .prepare("SELECT event, at, actor FROM record_events WHERE record_id = ?1")
        .unwrap()
        .query_map([&record], |r| Ok(format!("{}:{}:{}", r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    shown.extend(events);
    let indexed: i64 = db.query_row("SELECT count(*) FROM record_index WHERE record_id = ?1", [&record], |r| r.get(0)).unwrap();
    shown.push(format!("indexed {indexed}"));
    let boxed = vote.kernel.processing("or_stembus").unwrap();
    let view = vote.kernel.read_record(&committee(), boxed, ballot_box, CategorySet::EMPTY.with(Category::Vote)).unwrap().unwrap();
    let Some(Value::Text(content)) = view.get(Category::Vote) else { panic!("the box holds text") };
    // Parsed, so that the candidacies' random ids do not order the names.
    let named: serde_json::Value = serde_json::from_str(&content.replace(&vote.x, "X").replace(&vote.y, "Y")).unwrap();
    shown.push(named.to_string());
    shown
}

/// A and B vote for different candidates (swapped when `swap`), C for X;
/// each at their own moment.
fn election(swap: bool) -> Vote {
    let vote = Vote::new();
    let (a, b) = if swap { (&vote.y, &vote.x) } else { (&vote.x, &vote.y) };
    vote.vote(0, &a.clone(), "2026-11-28T10:01:00Z").unwrap();
    vote.vote(1, &b.clone(), "2026-11-28T10:02:00Z").unwrap();
    vote.vote(2, &vote.x.clone(), "2026-11-28T10:03:00Z").unwrap();
    vote
}

// req: I6
#[test]
fn nothing_in_the_store_links_a_ballot_to_its_voter_and_the_count_is_right() {
    let plain = election(false);
    let swapped = election(true);
    for vote in [&plain, &swapped] {
        let tally = vote.hr().count(&committee(), &vote.election).unwrap();
        assert_eq!(tally.votes, vec![("Xandra Kandidaat".to_string(), 2), ("Yusuf Kandidaat".to_string(), 1)]);
        assert_eq!(tally.cast, 3);
        for (_, voter) in &vote.voters {
            assert!(vote.hr().has_voted(&hr_at(NOW), &vote.election, voter).unwrap());
        }
    }
    // A and B swapped their votes: everything the store shows about the
    // box — its audit entries, rows, events, sealed length and content — is
    // the same, so nothing in it says who voted what.
    assert_eq!(what_the_box_shows(&plain, plain._dir.path()), what_the_box_shows(&swapped, swapped._dir.path()));

    // And no row of any table joins the box to a voter: not an id, an
    // actor, an origin or a trace.
    let dir = plain._dir.path();
    let ballot_box = &plain.election.ballot_box;
    let box_ids = [ballot_box.subject.to_string(), ballot_box.record.to_string()];
    let roll = plain.kernel.processing("or_kiezers").unwrap();
    let mut voter_ids: Vec<String> = Vec::new();
    for (name, subject) in &plain.voters {
        voter_ids.push(subject.to_string());
        voter_ids.push(name.clone());
        for view in plain.kernel.read(&hr_at(NOW), roll, subject, CategorySet::EMPTY.with(Category::Email)).unwrap() {
            voter_ids.push(view.record.to_string());
        }
    }
    assert_eq!(voter_ids.len(), 9, "three voters, each with one roll entry");
    for (table, row) in every_row(dir) {
        let about_box = box_ids.iter().any(|id| row.contains(id.as_str()));
        let about_voter = voter_ids.iter().find(|id| row.contains(id.as_str()));
        assert!(!(about_box && about_voter.is_some()), "{table} joins the box to {about_voter:?}: {row}");
    }
    let all = entries(dir);
    let box_subject = ballot_box.subject.to_string();
    let box_traces: BTreeSet<String> =
        all.iter().filter(|e| e.data_subject_id.as_deref() == Some(box_subject.as_str())).map(|e| format!("{:?}", e.trace_id)).collect();
    let voter_traces: BTreeSet<String> =
        all.iter().filter(|e| plain.voters.iter().any(|(name, _)| &e.actor == name)).map(|e| format!("{:?}", e.trace_id)).collect();
    assert!(!voter_traces.is_empty() && !box_traces.is_empty());
    assert!(box_traces.is_disjoint(&voter_traces), "a trace joins the box to a voter");
    // The committee opened and counted the box; every other entry about it
    // is the system's, from its own fixed origin.
    for entry in all.iter().filter(|e| e.data_subject_id.as_deref() == Some(box_subject.as_str()) && e.actor != "test.committee") {
        assert_eq!((entry.actor.as_str(), entry.origin.as_str()), (grondslag_accounts::system_actor::BALLOT_BOX, "grondslag.local/stembus"));
    }
}

// req: I6
#[test]
fn a_second_vote_is_refused_with_its_reason_and_leaves_the_box_as_it_was() {
    let vote = Vote::new();
    vote.vote(0, &vote.x.clone(), NOW).unwrap();
    let again = vote.vote(0, &vote.y.clone(), NOW);
    assert!(matches!(again, Err(HrError::AlreadyVoted(ref name)) if name == "OR-verkiezing 2026"), "{again:?}");
    assert!(again.unwrap_err().to_string().contains("each voter votes once"));
    let tally = vote.hr().count(&committee(), &vote.election).unwrap();
    assert_eq!(tally.cast, 1);
}

// req: I6
#[test]
fn an_ineligible_voter_or_candidate_is_refused_with_the_rule() {
    let vote = Vote::new();
    let hr = vote.hr();
    // Employed since 1 September: not six months on 1 December.
    let newcomer = employee(&vote.kernel, "Nina Nieuw", "medewerker", "2026-09-01");
    let refused = hr.vote(&as_person("nina", &newcomer, NOW), &vote.election, &newcomer, &vote.x);
    let Err(HrError::NotEligible(reason)) = refused else { panic!("expected ineligible, got {refused:?}") };
    assert!(reason.en.contains("6 months") && reason.en.contains("2026-06-01") && reason.en.contains("art. 5"), "{reason}");
    assert!(reason.nl.contains("6 maanden") && reason.nl.contains("1 juni 2026") && reason.nl.contains("art. 5"), "{}", reason.nl);
    // Six months, but not a year: votes, does not stand.
    let half = employee(&vote.kernel, "Hanna Half", "medewerker", "2026-05-01");
    let stood = hr.stand(&as_person("hanna", &half, NOW), &vote.election, &half, "Kies mij");
    let Err(HrError::NotEligible(reason)) = stood else { panic!("expected ineligible, got {stood:?}") };
    assert!(reason.en.contains("12 months") && reason.en.contains("to stand as a candidate"), "{reason}");
    assert!(reason.nl.contains("12 maanden") && reason.nl.contains("om je kandidaat te stellen"), "{}", reason.nl);
    hr.vote(&as_person("hanna", &half, NOW), &vote.election, &half, &vote.x).unwrap();
    // An employment that ended is not eligible.
    let gone = employee(&vote.kernel, "Gert Weg", "medewerker", "2015-01-01");
    let personnel = vote.kernel.processing("personeelsdossier").unwrap();
    let file = vote.kernel.read(&hr_at(NOW), personnel, &gone, CategorySet::EMPTY.with(Category::Name)).unwrap().remove(0);
    let record = RecordRef { subject: gone.clone(), record: file.record };
    let ended = ts("2026-11-01T00:00:00Z");
    vote.kernel.unit(|unit| unit.record_event_at(&hr_at(NOW), personnel, &record, Action::Advance, "employment_ended", Some("ended"), None, ended)).unwrap();
    let refused = hr.vote(&as_person("gert", &gone, NOW), &vote.election, &gone, &vote.x);
    assert!(matches!(refused, Err(HrError::NotEligible(ref r)) if r.en.contains("ended on 2026-11-01") && r.nl.contains("1 november 2026")), "{refused:?}");
    assert_eq!(hr.count(&committee(), &vote.election).unwrap().cast, 1);
    // The rule itself, at its edges.
    let started = Tenure { started: day("2026-06-01"), ended: None };
    assert!(eligible(&started, day("2026-12-01"), Standing::Voter).is_ok());
    assert!(eligible(&started, day("2026-11-30"), Standing::Voter).is_err());
    let ends_later = Tenure { started: day("2020-01-01"), ended: Some(day("2026-12-02")) };
    assert!(eligible(&ends_later, day("2026-12-01"), Standing::Candidate).is_ok());
}

// req: I6
#[test]
fn nobody_votes_in_someone_elses_name() {
    let vote = Vote::new();
    let hr = vote.hr();
    let (anna, bert) = (&vote.voters[0].1, &vote.voters[1].1);
    // Another employee, for Anna.
    let (processing, denial) = refusal(hr.vote(&as_person("bert", bert, NOW), &vote.election, anna, &vote.x));
    assert_eq!(processing, "or_kiezers");
    assert_eq!(denial, Denial::OutOfReach { scope: Scope::Own });
    assert_eq!(denial.code(), "relation_missing");
    // HR reads the roll but files nothing in it; the committee only counts.
    for (access, role) in [(hr_at(NOW), Role::Hr), (committee(), Role::ElectionCommittee)] {
        let (processing, denial) = refusal(hr.vote(&access, &vote.election, anna, &vote.x));
        assert_eq!(processing, "or_kiezers", "{role}");
        assert_eq!(denial, Denial::RoleNotAllowed { role, action: Action::File }, "{role}");
    }
    assert!(!hr.has_voted(&hr_at(NOW), &vote.election, anna).unwrap());
    assert_eq!(hr.count(&committee(), &vote.election).unwrap().cast, 0);
}

// req: I6
#[test]
fn only_the_committee_reads_the_box() {
    let vote = Vote::new();
    vote.vote(0, &vote.x.clone(), NOW).unwrap();
    let hr = vote.hr();
    let boxed = vote.kernel.processing("or_stembus").unwrap();
    let anna = &vote.voters[0];
    for access in [hr_at(NOW), as_person(&anna.0, &anna.1, NOW), Access::new("test.dpo", Role::Dpo, "test", ts(NOW))] {
        let role = access.role;
        let (processing, denial) = refusal(hr.count(&access, &vote.election));
        assert_eq!((processing.as_str(), denial), ("or_stembus", Denial::RoleNotAllowed { role, action: Action::Read }), "{role}");
        let read = vote.kernel.read_record(&access, boxed, &vote.election.ballot_box, CategorySet::EMPTY.with(Category::Vote));
        assert!(matches!(read, Err(KernelError::Denied { denial: Denial::RoleNotAllowed { .. }, .. })), "{role}: {read:?}");
    }
    // Another member of the committee counts the same.
    let other = Access::new("test.committee2", Role::ElectionCommittee, "test", ts(NOW));
    assert_eq!(hr.count(&other, &vote.election).unwrap().cast, 1);
}

// req: I6
#[test]
fn publishing_keeps_the_result_closes_the_election_and_starts_the_terms() {
    let vote = Vote::new();
    vote.vote(0, &vote.x.clone(), NOW).unwrap();
    vote.vote(1, &vote.y.clone(), NOW).unwrap();
    let hr = vote.hr();
    // An employee does not publish.
    let anna = &vote.voters[0];
    let (_, denial) = refusal(hr.publish(&as_person(&anna.0, &anna.1, NOW), &vote.election));
    assert_eq!(denial.code(), "role_not_allowed");
    let tally = hr.publish(&committee(), &vote.election).unwrap();
    assert_eq!(tally.cast, 2);
    assert_eq!(hr.result(&vote.election).unwrap(), Some(tally.clone()));
    // Publishing again republishes the same count.
    assert_eq!(hr.publish(&committee(), &vote.election).unwrap(), tally);
    let late = vote.vote(2, &vote.x.clone(), NOW);
    assert!(matches!(late, Err(HrError::Invalid(ref m)) if m.en.contains("closed") && m.nl.contains("gesloten")), "{late:?}");
    // election_closed is on the box, the roll and the candidacies: each is
    // due at the end of the objection period.
    let db = crate::sqlite(vote._dir.path());
    let closed: i64 = db.query_row("SELECT count(*) FROM record_events WHERE event = 'election_closed'", [], |r| r.get(0)).unwrap();
    assert_eq!(closed, 1 + 2 + 2);
    let due: Vec<String> = db
        .prepare("SELECT d.due_at FROM due d JOIN records r ON r.id = d.record_id WHERE r.processing IN ('or_stembus', 'or_kiezers', 'or_kandidaten')")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(due.len(), 5, "{due:?}");
    assert!(due.iter().all(|d| d.starts_with("2027-01-09")), "six weeks after 28 November: {due:?}");
}

// req: I6, I8
#[test]
fn inkesta_receives_exactly_what_the_register_lists() {
    let vote = Vote::new();
    vote.vote(0, &vote.x.clone(), NOW).unwrap();
    let hr = vote.hr();
    let handed = hr.disclose_to_inkesta(&committee(), &vote.election).unwrap();
    let categories =
        |views: &[grondslag_kernel::RecordView]| -> BTreeSet<&'static str> { views.iter().flat_map(|v| v.fields.iter().map(|(c, _)| c.name())).collect() };
    assert_eq!(handed.candidates.len(), 2);
    assert_eq!(categories(&handed.candidates), BTreeSet::from(["email", "name", "free_text"]));
    assert_eq!(handed.roll.len(), 1);
    assert_eq!(categories(&handed.roll), BTreeSet::from(["email"]));
    assert_eq!(categories(&handed.ballot_box), BTreeSet::from(["vote"]));
    // HR hands over candidacies, but neither the roll nor the box.
    let (processing, denial) = refusal(hr.disclose_to_inkesta(&hr_at(NOW), &vote.election));
    assert_eq!((processing.as_str(), denial.code()), ("or_kiezers", "role_not_allowed"));
}

// req: I6
#[test]
fn candidates_are_read_by_every_employee_without_their_email() {
    let vote = Vote::new();
    let anna = &vote.voters[0];
    let candidates = vote.hr().candidates(&as_person(&anna.0, &anna.1, NOW), &vote.election).unwrap();
    assert_eq!(candidates.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Xandra Kandidaat", "Yusuf Kandidaat"]);
    assert_eq!(candidates[1].promotion, "Meer thuiswerken.");
    let stood = vote.kernel.processing("or_kandidaten").unwrap();
    let x = RecordRef { subject: candidates_subject(&vote), record: vote.x.parse().unwrap() };
    let email = vote.kernel.read_record(&as_person(&anna.0, &anna.1, NOW), stood, &x, CategorySet::EMPTY.with(Category::Email));
    assert!(matches!(email, Err(KernelError::Denied { .. })), "{email:?}");
}

fn candidates_subject(vote: &Vote) -> SubjectId {
    let stood = vote.kernel.processing("or_kandidaten").unwrap();
    let found = vote.kernel.find_records(&hr_at(NOW), stood, "or_election", &vote.election.id()).unwrap();
    found.into_iter().find(|s| s.record.record.to_string() == vote.x).unwrap().record.subject
}

// req: I6
#[test]
fn an_election_on_postgres() {
    let Some(database) = grondslag_store::ScratchDatabase::for_tests().unwrap() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = grondslag_kernel::DataDir::new(dir.path()).with_database_url(Some(database.url().to_string()));
    let kernel = data.open_kernel(crate::shipped(), None, Timestamp::now()).unwrap();
    let vote = Vote::on(dir, kernel);
    vote.vote(0, &vote.x.clone(), NOW).unwrap();
    vote.vote(1, &vote.x.clone(), NOW).unwrap();
    assert!(matches!(vote.vote(1, &vote.y.clone(), NOW), Err(HrError::AlreadyVoted(_))));
    assert_eq!(vote.hr().count(&committee(), &vote.election).unwrap().votes[0], ("Xandra Kandidaat".to_string(), 2));
    drop(database);
}

/// Every voter votes at once on both of two nodes of one PostgreSQL
/// database, for X on one and Y on the other: each is counted once —
/// the second attempt refused as a second vote, whichever node it came
/// to — and no ballot is lost to another counted at the same moment.
// req: I6
#[test]
fn votes_cast_at_once_on_two_nodes_are_each_counted_once() {
    let Some(database) = grondslag_store::ScratchDatabase::for_tests().unwrap() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = grondslag_kernel::DataDir::new(dir.path()).with_database_url(Some(database.url().to_string()));
    let other_node = data.open_kernel(crate::shipped(), None, Timestamp::now()).unwrap();
    let mut vote = Vote::on(tempfile::tempdir().unwrap(), data.open_kernel(crate::shipped(), None, Timestamp::now()).unwrap());
    for (name, started) in [("dirk", "2022-01-10"), ("eva", "2019-09-01"), ("femke", "2024-08-15")] {
        vote.voters.push((name.to_string(), employee(&vote.kernel, &format!("{name} kiezer"), "medewerker", started)));
    }
    let nodes = [Hr::new(&vote.kernel).unwrap(), Hr::new(&other_node).unwrap()];
    let start = std::sync::Barrier::new(2 * vote.voters.len());
    let outcomes: Vec<(usize, Result<(), HrError>)> = std::thread::scope(|scope| {
        let attempts: Vec<_> = (0..vote.voters.len())
            .flat_map(|voter| [(voter, 0, &vote.x), (voter, 1, &vote.y)])
            .map(|(voter, node, candidacy)| {
                let (hr, election, start) = (&nodes[node], &vote.election, &start);
                let (name, subject) = &vote.voters[voter];
                scope.spawn(move || {
                    start.wait();
                    (voter, hr.vote(&as_person(name, subject, NOW), election, subject, candidacy))
                })
            })
            .collect();
        attempts.into_iter().map(|attempt| attempt.join().unwrap()).collect()
    });
    for voter in 0..vote.voters.len() {
        let mut theirs: Vec<&Result<(), HrError>> = outcomes.iter().filter(|(v, _)| *v == voter).map(|(_, outcome)| outcome).collect();
        theirs.sort_by_key(|outcome| outcome.is_err());
        assert!(matches!(theirs[..], [Ok(()), Err(HrError::AlreadyVoted(_))]), "voter {voter}: {theirs:?}");
    }
    let tally = vote.hr().count(&committee(), &vote.election).unwrap();
    assert_eq!(tally.cast, vote.voters.len() as u64);
    assert_eq!(tally.votes.iter().map(|(_, n)| n).sum::<u64>(), vote.voters.len() as u64, "{:?}", tally.votes);
    drop(database);
}

fn cli(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--data", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    crate::grondslag(&all)
}

// req: I6
#[test]
fn the_committee_runs_an_election_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let help = crate::stdout(&crate::grondslag(&["election", "--help"]));
    for command in ["open", "list", "stand", "candidates", "vote", "count", "publish"] {
        assert!(help.contains(command), "{command} missing in:\n{help}");
    }
    let committee = ["election", "--role", "election_committee"];
    let opened = cli(dir.path(), &[&committee[..], &["open", "--name", "OR 2026", "--day", "2026-12-01"]].concat());
    assert!(opened.status.success(), "{}", crate::stderr(&opened));
    let listed = crate::stdout(&cli(dir.path(), &["election", "list"]));
    let id = listed.split_whitespace().next().unwrap().to_string();
    assert!(listed.contains("OR 2026") && listed.contains("open"), "{listed}");
    // Voting names no one but yourself.
    let nobody = cli(dir.path(), &["election", "vote", "--election", &id, "--candidate", "x"]);
    assert!(!nobody.status.success());
    assert!(crate::stderr(&nobody).contains("--as"), "{}", crate::stderr(&nobody));
    // HR does not count.
    let hr = cli(dir.path(), &["election", "--role", "hr", "count", "--election", &id]);
    assert!(crate::stderr(&hr).contains("or_stembus") && crate::stderr(&hr).contains("role"), "{}", crate::stderr(&hr));
    let published = cli(dir.path(), &[&committee[..], &["publish", "--election", &id]].concat());
    assert!(crate::stdout(&published).contains("closed and published: 0 votes cast"), "{}", crate::stderr(&published));
    assert!(crate::stdout(&cli(dir.path(), &["election", "list"])).contains("published"));
}
