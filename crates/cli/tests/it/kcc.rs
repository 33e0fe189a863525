//! The call-centre quality pages over HTTP with real accounts: a coach, an
//! employee they coach, the employee's manager and department manager,
//! and for each role another person of it who has nothing to do with the
//! employee. Participation, relations and calls are set up with the domain
//! API on the data directory before the service starts (HR's and the
//! exchange's steps have no pages); a selection is drawn there too, because
//! a draw needs a selection date announced before today, and the service
//! runs on today's clock.

use std::sync::Arc;

use grondslag_callqa::import::Batch;
use grondslag_callqa::{CallQa, Month};
use grondslag_kernel::Access;
use grondslag_register::{Role, Scope};
use jiff::{SignedDuration, Timestamp};
use tempfile::TempDir;

use crate::server::{Client, Person, Place, Reply, Server, create_account};

/// A WAV of half a second of silence (8 kHz, 8-bit mono): what the exchange exports.
pub fn wav() -> Vec<u8> {
    let samples = 4000u32;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + samples).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes()); // PCM
    bytes.extend_from_slice(&1u16.to_le_bytes()); // mono
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&8u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&samples.to_le_bytes());
    bytes.extend(std::iter::repeat_n(128u8, samples as usize));
    bytes
}

pub struct Kcc {
    pub dir: TempDir,
    pub eva: Person,
    pub eva_file: String,
    pub other_employee: Person,
    pub coach: Person,
    pub other_coach: Person,
    pub manager: Person,
    pub other_manager: Person,
    pub department: Person,
    /// Eva's calls, newest first: (record id, call id).
    pub calls: Vec<(String, String)>,
    /// The call ids drawn for Eva.
    pub drawn: Vec<String>,
    /// When the drawn calls' selection was announced for (today).
    pub selection_date: jiff::civil::Date,
}

impl Kcc {
    pub fn record_of(&self, call_id: &str) -> &str {
        &self.calls.iter().find(|(_, id)| id == call_id).unwrap().0
    }

    /// One of Eva's calls that was not drawn.
    pub fn undrawn(&self) -> &str {
        &self.calls.iter().find(|(_, id)| !self.drawn.contains(id)).unwrap().0
    }
}

pub fn kcc_world() -> Kcc {
    let dir = TempDir::new().unwrap();
    let place = Place::sqlite(dir.path());
    let eva = create_account(&place, "eva", "employee", None);
    let other_employee = create_account(&place, "olaf", "employee", None);
    let coach = create_account(&place, "coach.cor", "coach", None);
    let other_coach = create_account(&place, "coach.dirk", "coach", None);
    let manager = create_account(&place, "lg.lisa", "manager", None);
    let other_manager = create_account(&place, "lg.mark", "manager", None);
    let department = create_account(&place, "am.anouk", "department_manager", None);

    let now = Timestamp::now();
    let kernel = Arc::new(crate::open_kernel(dir.path()));
    let accounts = grondslag_accounts::Accounts::new(kernel.clone(), grondslag_accounts::Policy::default()).unwrap();
    let file = |username: &str| accounts.holder(username, "test", now).unwrap().unwrap().record.subject;
    let qa = CallQa::new(&kernel).unwrap();
    let hr = Access::new("test.hr", Role::Hr, "test", now);
    qa.record_consent(&hr, "2026-1", jiff::civil::Date::new(2026, 1, 15).unwrap(), "OR 2026/03").unwrap();
    let enrol = |who: &str, name: &str, agent: &str, coach: &str, manager: &str, department: Option<&str>| {
        let participation = qa.enrol(&hr, &file(who), name, "klantcontactmedewerker", agent).unwrap();
        qa.assign(&hr, &participation, Scope::Coached, &file(coach), true).unwrap();
        qa.assign(&hr, &participation, Scope::Managed, &file(manager), true).unwrap();
        if let Some(department) = department {
            qa.assign(&hr, &participation, Scope::Managed, &file(department), true).unwrap();
        }
        participation
    };
    let participation = enrol("eva", "Eva Jansen", "agent-eva", "coach.cor", "lg.lisa", Some("am.anouk"));
    enrol("olaf", "Olaf de Wit", "agent-olaf", "coach.dirk", "lg.mark", None);

    // Four business calls of Eva's and one of Olaf's, earlier today.
    let batch_dir = TempDir::new().unwrap();
    std::fs::write(batch_dir.path().join("call.wav"), wav()).unwrap();
    let mut csv = String::from("call_id,agent,start,duration_seconds,direction,external,network_relation,private_line,audio\n");
    let first_start = now - SignedDuration::from_mins(50);
    for (i, agent) in ["agent-eva", "agent-eva", "agent-eva", "agent-eva", "agent-olaf"].iter().enumerate() {
        let start = first_start + SignedDuration::from_mins(10 * i as i64);
        csv.push_str(&format!("C-{i:04},{agent},{start},300,in,ja,nee,nee,call.wav\n"));
    }
    let metadata = batch_dir.path().join("calls.csv");
    std::fs::write(&metadata, csv).unwrap();
    let exchange = Access::new("kcc-import", Role::System, "test", now);
    let imported = qa.import(&exchange, &Batch::read(&metadata).unwrap(), |_| ()).unwrap();
    assert_eq!(imported.stored, 5);

    // Announced two days ago for today; drawn now, two calls.
    let coach_file = file("coach.cor");
    let today = grondslag_values::dutch::amsterdam_date(now);
    let announcing = Access::new("coach.cor", Role::Coach, "test", now - SignedDuration::from_hours(48)).acting_as(coach_file.clone());
    let month = Month::of(first_start);
    let selection = qa.announce(&announcing, &participation.subject, month, today, grondslag_callqa::selection::Filters::default()).unwrap();
    let drawing = Access::new("coach.cor", Role::Coach, "test", now).acting_as(coach_file);
    let drawn = qa.draw(&drawing, &selection, 2, 7).unwrap();
    let eva_file = file("eva");
    let calls = qa.calls_of(&hr_reader(now), &eva_file).unwrap().into_iter().map(|(r, c)| (r.record.to_string(), c.call_id)).collect();
    drop(accounts);
    drop(kernel);
    Kcc {
        eva_file: eva_file.to_string(),
        dir,
        eva,
        other_employee,
        coach,
        other_coach,
        manager,
        other_manager,
        department,
        calls,
        drawn,
        selection_date: today,
    }
}

/// The system reading calls to tell the test their record ids.
fn hr_reader(now: Timestamp) -> Access {
    Access::new("test.system", Role::System, "test", now)
}

/// What a refusal says: the JSON body's code or the error page's `data-code`.
pub fn code(reply: &Reply) -> String {
    let (_, rest) = reply.body.split_once("data-code=\"").unwrap_or_else(|| panic!("no refusal code in {}: {}", reply.status, reply.body));
    rest.split_once('"').unwrap().0.to_string()
}

/// Asserts a refusal by the register with its reason.
#[track_caller]
pub fn refused(reply: &Reply, expected: &str) {
    assert_eq!((reply.status, code(reply).as_str()), (403, expected), "{}", reply.body);
}

fn signed_in(server: &Server, person: &Person) -> (Client, String) {
    let mut client = Client::new(server);
    assert_eq!(client.sign_in(person).status, 303);
    let csrf = client.csrf();
    (client, csrf)
}

// req: K4
// req: K6
#[test]
fn kcc_the_coach_sees_the_drawn_calls_of_a_coachee_and_another_coach_a_manager_or_the_employee_are_refused() {
    let world = kcc_world();
    let server = Server::start(world.dir.path(), &[]);
    let (mut coach, csrf) = signed_in(&server, &world.coach);
    let page = format!("/kcc/coachees/{}", world.eva_file);

    let list = coach.get("/kcc/coachees");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Eva Jansen") && !list.body.contains("Olaf"), "only the coach's own coachees: {}", list.body);
    let shown = coach.get(&page);
    assert_eq!(shown.status, 200, "{}", shown.body);
    for drawn in &world.drawn {
        assert!(shown.body.contains(&format!("/gesprekken/{}/opname", world.record_of(drawn))), "the drawn call {drawn} plays");
    }
    assert!(!shown.body.contains(world.undrawn()), "a call not drawn is not offered");
    assert!(shown.headers["content-security-policy"].contains("media-src 'self'"), "the page may play its recordings");

    // Announcing next month's selection for tomorrow; drawing before that date is refused by the protocol.
    let tomorrow = world.selection_date.tomorrow().unwrap();
    let next_month = Month::of(Timestamp::now() + SignedDuration::from_hours(24 * 31)).to_string();
    let announced = coach.post_form(&format!("{page}/selecties"), &[("csrf", &csrf), ("month", &next_month), ("date", &tomorrow.to_string())]);
    assert_eq!(announced.status, 303, "{}", announced.body);
    let again = coach.post_form(&format!("{page}/selecties"), &[("csrf", &csrf), ("month", &next_month), ("date", &tomorrow.to_string())]);
    assert_eq!((again.status, code(&again).as_str()), (409, "conflict"), "one selection a month: {}", again.body);
    let body = coach.get(&page).body;
    let selection = body.split(&format!("{page}/selecties/")).nth(1).unwrap().split('/').next().unwrap().to_string();
    let early = coach.post_form(&format!("{page}/selecties/{selection}/trekking"), &[("csrf", &csrf), ("count", "1")]);
    assert_eq!((early.status, code(&early).as_str()), (409, "conflict"), "{}", early.body);
    assert!(early.body.contains("niet eerder (K6)") && !early.body.contains("not before") && !early.body.contains("in het Engels"), "{}", early.body);

    // Others: another coach, the manager, and the employee herself, each with a valid form and token.
    // Eva reaches her own file, but may not read the draws in it (K6): the call metadata of a selection is not granted to her.
    for (person, reason) in [(&world.other_coach, "relation_missing"), (&world.manager, "role_not_allowed"), (&world.eva, "nothing_granted")] {
        let (mut other, other_csrf) = signed_in(&server, person);
        refused(&other.get(&page), reason);
        let month = Month::of(Timestamp::now() + SignedDuration::from_hours(24 * 62)).to_string();
        let announce = other.post_form(&format!("{page}/selecties"), &[("csrf", &other_csrf), ("month", &month), ("date", &tomorrow.to_string())]);
        let announce_reason = if person.username == "coach.dirk" { "relation_missing" } else { "role_not_allowed" };
        refused(&announce, announce_reason);
        let draw = other.post_form(&format!("{page}/selecties/{selection}/trekking"), &[("csrf", &other_csrf), ("count", "1")]);
        refused(&draw, announce_reason);
        let call = world.record_of(&world.drawn[0]);
        let play = other.get(&format!("{page}/gesprekken/{call}/opname"));
        // Her own call reaches her, but whether it was drawn is the draw's, which she may not read.
        refused(&play, if person.username == "lg.lisa" { "role_not_allowed" } else { reason });
    }
    // The coach does not hear a call that was not drawn.
    let undrawn = coach.get(&format!("{page}/gesprekken/{}/opname", world.undrawn()));
    assert_eq!((undrawn.status, code(&undrawn).as_str()), (409, "conflict"), "{}", undrawn.body);
}

// req: K11
#[test]
fn kcc_playback_serves_ranges_and_is_never_cached() {
    let world = kcc_world();
    let server = Server::start(world.dir.path(), &[]);
    let (mut coach, _) = signed_in(&server, &world.coach);
    let audio = format!("/kcc/coachees/{}/gesprekken/{}/opname", world.eva_file, world.record_of(&world.drawn[0]));
    let whole = crate::server::fresh_connections().get(&format!("{}{audio}", server.base)).set("Cookie", coach.cookie.as_deref().unwrap()).call().unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.header("content-type"), Some("audio/wav"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert_eq!(whole.header("cache-control"), Some("no-store"));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut whole.into_reader(), &mut bytes).unwrap();
    assert_eq!(bytes, wav(), "the decrypted recording, byte for byte");
    let len = bytes.len();

    let part = coach.get_with(&audio, ("Range", "bytes=0-11"));
    assert_eq!(part.status, 206);
    assert_eq!(part.header("content-range"), Some(format!("bytes 0-11/{len}").as_str()));
    assert_eq!(part.header("content-length"), Some("12"));
    assert!(part.body.starts_with("RIFF") && part.body.ends_with("WAVE"), "the first twelve bytes: {:?}", part.body);
    assert_eq!(part.header("cache-control"), Some("no-store"));
    let tail = coach.get_with(&audio, ("Range", "bytes=-4"));
    assert_eq!((tail.status, tail.header("content-range")), (206, Some(format!("bytes {}-{}/{len}", len - 4, len - 1).as_str())));
    let past = coach.get_with(&audio, ("Range", &format!("bytes={len}-")));
    assert_eq!((past.status, past.header("content-range")), (416, Some(format!("bytes */{len}").as_str())));

    // Eva hears her own calls, all of them, the same way; Olaf does not hear hers.
    let (mut eva, _) = signed_in(&server, &world.eva);
    let own = eva.get_with(&format!("/kcc/mijn-gesprekken/gesprekken/{}/opname", world.undrawn()), ("Range", "bytes=0-3"));
    assert_eq!((own.status, own.body.as_str(), own.header("cache-control")), (206, "RIFF", Some("no-store")));
    let (mut olaf, _) = signed_in(&server, &world.other_employee);
    refused(&olaf.get(&format!("/kcc/coachees/{}/gesprekken/{}/opname", world.eva_file, world.undrawn())), "relation_missing");
    // Through his own page either: the call is not one he took.
    refused(&olaf.get(&format!("/kcc/mijn-gesprekken/gesprekken/{}/opname", world.undrawn())), "relation_missing");
}

/// The form as a coach fills it in: every criterion Ja (1 and 2 cannot be judged on a recording).
fn filled(csrf: &str) -> Vec<(String, String)> {
    let mut fields = vec![("csrf".to_string(), csrf.to_string()), ("handling".to_string(), "recording".to_string())];
    for c in grondslag_callqa::form::CRITERIA.iter() {
        fields.push((
            format!("a{}", c.number),
            if c.live_only {
                "ntc"
            } else if c.number == 22 {
                "nee"
            } else {
                "ja"
            }
            .to_string(),
        ));
        fields.push((format!("r{}", c.number), if c.number == 22 { "RVO niet genoemd".to_string() } else { String::new() }));
    }
    fields.push(("went_well".to_string(), "Rustige, duidelijke uitleg".to_string()));
    fields.push(("kennis_systeem".to_string(), "Kent het zaaksysteem goed".to_string()));
    fields.push(("verbeterpunt1".to_string(), "Visitekaartje RVO noemen".to_string()));
    fields
}

fn post_fields(client: &mut Client, path: &str, fields: &[(String, String)]) -> Reply {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    client.post_form(path, &pairs)
}

// req: K6
// req: K7
// req: K11
#[test]
fn kcc_a_report_is_for_the_employee_and_the_coach_only_and_the_employee_sees_the_date_but_never_the_calls_drawn() {
    let world = kcc_world();
    let server = Server::start(world.dir.path(), &[]);
    let (mut coach, csrf) = signed_in(&server, &world.coach);
    let call = world.record_of(&world.drawn[0]).to_string();
    let form = format!("/kcc/coachees/{}/gesprekken/{call}/formulier", world.eva_file);
    let empty = coach.get(&form);
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert!(empty.body.contains("Visitekaartje RVO (K)") && empty.body.contains("Interpretatie (Bijlage 2)") && empty.body.contains("Eva Jansen"));
    assert_eq!(empty.body.matches("type=\"radio\"").count(), 23 * 3, "all 23 criteria, three answers each");

    // A form with a criterion unanswered is refused as such, and nothing is filed.
    let mut incomplete = filled(&csrf);
    incomplete.retain(|(k, _)| k != "a5");
    let refused_form = post_fields(&mut coach, &form, &incomplete);
    assert_eq!((refused_form.status, code(&refused_form).as_str()), (422, "invalid"), "{}", refused_form.body);
    let filed = post_fields(&mut coach, &form, &filled(&csrf));
    assert_eq!(filed.status, 303, "{}", filed.body);
    let report = filed.header("location").unwrap().to_string();
    let record = report.rsplit('/').next().unwrap().to_string();
    let shown = coach.get(&report);
    assert!(shown.body.contains("Voldoet niet aan de norm") && shown.body.contains("kritisch criterium Nee: 22"), "{}", shown.body);

    // Nobody else reads it: another coach, the manager, the department manager, another employee.
    for (person, reason) in [
        (&world.other_coach, "relation_missing"),
        (&world.manager, "role_not_allowed"),
        (&world.department, "role_not_allowed"),
        (&world.other_employee, "relation_missing"),
    ] {
        let (mut other, other_csrf) = signed_in(&server, person);
        refused(&other.get(&report), reason);
        let view = other.post_form(&format!("{report}/zienswijze"), &[("csrf", &other_csrf), ("text", "Mijn zienswijze")]);
        refused(&view, reason);
        // The form names the coachee from her participation, which her manager reaches and the department manager does not.
        let outside = if person.username == "coach.dirk" || person.username == "olaf" { "relation_missing" } else { "role_not_allowed" };
        refused(&other.get(&form), outside);
        refused(&post_fields(&mut other, &form, &filled(&other_csrf)), outside);
    }

    // Eva: the selection date, her report, never which calls were drawn.
    let (mut eva, eva_csrf) = signed_in(&server, &world.eva);
    let mine = eva.get("/kcc/mijn-gesprekken");
    assert_eq!(mine.status, 200, "{}", mine.body);
    let announcements = mine.body.split("id=\"aankondigingen\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(announcements.contains(&format!("selectie op {}", grondslag_values::dutch::date(world.selection_date))), "{announcements}");
    for (record, call_id) in &world.calls {
        assert!(!announcements.contains(record) && !announcements.contains(call_id), "the announcement names no call");
    }
    assert_eq!(mine.body.matches("<article class=\"call\">").count(), world.calls.len(), "all her calls, none set apart as drawn");
    assert!(!mine.body.contains("getrokken") && !mine.body.contains("formulier"), "nothing says which were drawn");
    assert!(mine.body.contains(&format!("/kcc/mijn-gesprekken/verslagen/{record}")));

    // Views, conclusions, agreement, a deletion request refused with reasons.
    let own = format!("/kcc/mijn-gesprekken/verslagen/{record}");
    assert_eq!(eva.post_form(&format!("{own}/zienswijze"), &[("csrf", &eva_csrf), ("text", "Ik noemde RVO aan het eind wel.")]).status, 303);
    let early = coach.post_form(&format!("{report}/conclusies"), &[("csrf", &csrf), ("text", "Samen: RVO noemen bij de opening.")]);
    assert_eq!((early.status, code(&early).as_str()), (422, "invalid"), "the coach's view first: {}", early.body);
    assert_eq!(coach.post_form(&format!("{report}/zienswijze"), &[("csrf", &csrf), ("text", "Goed gesprek, één kritisch punt.")]).status, 303);
    assert_eq!(coach.post_form(&format!("{report}/conclusies"), &[("csrf", &csrf), ("text", "Samen: RVO noemen bij de opening.")]).status, 303);
    assert_eq!(eva.post_form(&format!("{own}/akkoord"), &[("csrf", &eva_csrf)]).status, 303);
    let asked = eva.post_form(&format!("{own}/verwijderen"), &[("csrf", &eva_csrf), ("ground", "incorrect"), ("explanation", "Ik noemde RVO wel.")]);
    assert_eq!(asked.status, 303, "{}", asked.body);
    let read = eva.get(&own);
    assert!(
        read.body.contains("Ik noemde RVO aan het eind wel.") && read.body.contains("Samen: RVO noemen") && read.body.contains("onjuist: Ik noemde RVO wel.")
    );
    let unknown = eva.post_form(&format!("{own}/verwijderen"), &[("csrf", &eva_csrf), ("ground", "vervelend"), ("explanation", "")]);
    assert_eq!((unknown.status, code(&unknown).as_str()), (422, "invalid"), "only K11's three grounds");
    let coach_page = coach.get(&format!("/kcc/coachees/{}", world.eva_file));
    assert!(coach_page.body.contains("verzoek om verwijdering, beslissen vóór"), "the coach sees the request to decide");
    // The manager may not decide on it; the coach refuses it with reasons.
    let (mut lisa, lisa_csrf) = signed_in(&server, &world.manager);
    refused(&lisa.post_form(&format!("{report}/verwijderverzoek"), &[("csrf", &lisa_csrf), ("grant", "true"), ("reasons", "x")]), "role_not_allowed");
    let decided =
        coach.post_form(&format!("{report}/verwijderverzoek"), &[("csrf", &csrf), ("grant", "false"), ("reasons", "Het criterium is zo beoordeeld.")]);
    assert_eq!(decided.status, 303, "{}", decided.body);
    assert!(eva.get(&own).body.contains("afgewezen: Het criterium is zo beoordeeld."));
    let overdue = coach.get("/kcc/verwijderverzoeken");
    assert!(overdue.status == 200 && overdue.body.contains("Geen: op elk verzoek is op tijd beslist."), "{}", overdue.body);
}

// req: K8
// req: K9
#[test]
fn kcc_the_employee_consents_and_reports_a_threat_that_only_her_manager_hears_with_her() {
    let world = kcc_world();
    let server = Server::start(world.dir.path(), &[]);
    let (mut eva, csrf) = signed_in(&server, &world.eva);
    let call = world.undrawn().to_string();
    let given = eva.post_form(&format!("/kcc/mijn-gesprekken/gesprekken/{call}/toestemming"), &[("csrf", &csrf), ("use", "training")]);
    assert_eq!(given.status, 303, "{}", given.body);
    let page = eva.get("/kcc/mijn-gesprekken").body;
    let consents = page.split("id=\"toestemmingen\"").nth(1).unwrap().split("</section>").next().unwrap().to_string();
    assert!(consents.contains("opleiding klantcontactvaardigheden"), "{consents}");
    let consent = consents.split("/kcc/mijn-gesprekken/toestemmingen/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let withdrawn = eva.post_form(&format!("/kcc/mijn-gesprekken/toestemmingen/{consent}/intrekken"), &[("csrf", &csrf), ("use", "training")]);
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.body);
    assert!(eva.get("/kcc/mijn-gesprekken").body.contains("Je hebt geen toestemming gegeven"));

    let reported =
        eva.post_form(&format!("/kcc/mijn-gesprekken/gesprekken/{call}/bedreiging"), &[("csrf", &csrf), ("description", "De beller dreigde langs te komen.")]);
    assert_eq!(reported.status, 303, "{}", reported.body);
    let team = format!("/kcc/team/{}", world.eva_file);
    let (mut lisa, lisa_csrf) = signed_in(&server, &world.manager);
    assert!(lisa.get("/kcc/team").body.contains("Eva Jansen"));
    let shown = lisa.get(&team);
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("De beller dreigde langs te komen."));
    let threat = shown.body.split(&format!("{team}/bedreigingen/")).nth(1).unwrap().split('/').next().unwrap().to_string();
    let audio = format!("{team}/bedreigingen/{threat}/opname");
    let heard = lisa.get_with(&audio, ("Range", "bytes=0-3"));
    assert_eq!((heard.status, heard.body.as_str(), heard.header("cache-control")), (206, "RIFF", Some("no-store")));
    let measured =
        lisa.post_form(&format!("{team}/bedreigingen/{threat}/maatregel"), &[("csrf", &lisa_csrf), ("measure", "police_report"), ("note", "Aangifte gedaan")]);
    assert_eq!(measured.status, 303, "{}", measured.body);
    let held =
        lisa.post_form(&format!("{team}/bedreigingen/{threat}/bewaren"), &[("csrf", &lisa_csrf), ("reason", "Nieuw incident"), ("review", "2027-06-01")]);
    assert_eq!(held.status, 303, "{}", held.body);
    assert_eq!(lisa.post_form(&format!("{team}/bedreigingen/{threat}/afronden"), &[("csrf", &lisa_csrf), ("text", "Afgehandeld")]).status, 303);
    assert!(eva.get("/kcc/mijn-gesprekken").body.contains("aangifte bij de politie: Aangifte gedaan"), "she sees the measure");

    // Another manager and the coach are refused, each with the register's reason.
    for (person, reason) in [(&world.other_manager, "relation_missing"), (&world.coach, "role_not_allowed"), (&world.other_employee, "relation_missing")] {
        let (mut other, other_csrf) = signed_in(&server, person);
        refused(&other.get(&team), reason);
        refused(&other.get(&audio), if person.username == "coach.cor" { "role_not_allowed" } else { "relation_missing" });
        let measure = other.post_form(&format!("{team}/bedreigingen/{threat}/maatregel"), &[("csrf", &other_csrf), ("measure", "talk"), ("note", "")]);
        refused(&measure, if person.username == "coach.cor" { "role_not_allowed" } else { "relation_missing" });
    }
}

// req: K10
#[test]
fn kcc_listening_for_weighty_reasons_is_refused_with_one_decision_and_allowed_after_both() {
    let world = kcc_world();
    let server = Server::start(world.dir.path(), &[]);
    let page = format!("/kcc/team/{}/zwaarwegend", world.eva_file);
    // From yesterday: her calls were made in the last hour, which may have begun before midnight.
    let (yesterday, today) = (world.selection_date.yesterday().unwrap().to_string(), world.selection_date.to_string());
    let decide = |client: &mut Client, csrf: &str| {
        client.post_form(
            &page,
            &[("csrf", csrf), ("indication", "fraud"), ("grounds", "Betalingen naar een privérekening"), ("from", &yesterday), ("until", &today)],
        )
    };
    let (mut lisa, lisa_csrf) = signed_in(&server, &world.manager);
    assert_eq!(decide(&mut lisa, &lisa_csrf).status, 303);
    let one = lisa.get(&page);
    assert_eq!(one.status, 200, "{}", one.body);
    assert!(one.body.contains("data-code=\"not_decided\"") && one.body.contains("het besluit van de afdelingsmanager ontbreekt nog"), "{}", one.body);
    assert!(!one.body.contains("/opname"), "nothing to hear yet");
    let (mut anouk, anouk_csrf) = signed_in(&server, &world.department);
    let waiting = anouk.get("/kcc/zwaarwegend").body;
    assert!(waiting.contains(&page) && waiting.contains("Eva Jansen"), "the department manager finds the decision awaiting her, by name: {waiting}");
    assert_eq!(decide(&mut anouk, &anouk_csrf).status, 303);
    let both = lisa.get(&page);
    assert!(!both.body.contains("not_decided"), "{}", both.body);
    let copy = both.body.split(&format!("{page}/")).nth(1).unwrap().split('/').next().unwrap().to_string();
    assert_eq!(both.body.matches("<audio").count(), world.calls.len(), "her calls of the period");
    let audio = format!("{page}/{copy}/opname");
    let heard = anouk.get_with(&audio, ("Range", "bytes=0-3"));
    assert_eq!((heard.status, heard.body.as_str()), (206, "RIFF"));

    for (person, reason) in [(&world.other_manager, "relation_missing"), (&world.coach, "role_not_allowed"), (&world.eva, "role_not_allowed")] {
        let (mut other, other_csrf) = signed_in(&server, person);
        refused(&other.get(&page), reason);
        refused(&other.get(&audio), reason);
        refused(&decide(&mut other, &other_csrf), reason);
    }
}

// req: K0
#[test]
fn kcc_the_employee_sees_her_protocol_version_and_acknowledges_it_and_nobody_else_can() {
    let world = kcc_world();
    let server = Server::start(world.dir.path(), &[]);
    let (mut eva, eva_csrf) = signed_in(&server, &world.eva);
    let mine = eva.get("/kcc/mijn-gesprekken");
    let protocol = mine.body.split("id=\"protocol\"").nth(1).unwrap().split("</section>").next().unwrap().to_string();
    assert!(protocol.contains("versie 2026-1") && protocol.contains("ten hoogste 4 gesprekken"), "{protocol}");
    let action = protocol.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert!(action.starts_with("/kcc/mijn-gesprekken/protocol/") && action.ends_with("/ontvangen"), "{action}");
    // Her coach and her manager cannot acknowledge it for her, each with a valid token: the register's refusal.
    for person in [&world.coach, &world.manager] {
        let (mut other, other_csrf) = signed_in(&server, person);
        refused(&other.post_form(&action, &[("csrf", &other_csrf)]), "role_not_allowed");
    }
    // Another employee's "my" route reaches only his own file, where her participation is not.
    let (mut olaf, olaf_csrf) = signed_in(&server, &world.other_employee);
    let theirs = olaf.post_form(&action, &[("csrf", &olaf_csrf)]);
    assert_eq!((theirs.status, code(&theirs).as_str()), (404, "not_found"), "{}", theirs.body);
    assert!(eva.get("/kcc/mijn-gesprekken").body.contains(&action), "nobody acknowledged it for her");
    assert_eq!(eva.post_form(&action, &[("csrf", &eva_csrf)]).status, 303);
    let after = eva.get("/kcc/mijn-gesprekken");
    assert!(after.body.contains("Ontvangst bevestigd op") && !after.body.contains(&action), "{}", after.body);
}
