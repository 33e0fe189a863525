//! Crash consistency (issue 21): the real binary is killed with SIGKILL at
//! a random moment — during a retention sweep, a call import, the schema's
//! first migration and the move to PostgreSQL, `generate`, and the service
//! under load — and started again. Nothing acknowledged is lost, nothing is
//! half-written (no belonging without its record, no call without its
//! event, relation and index, no blob file without its row), the audit
//! chain verifies, and the interrupted work finishes when run again.
//!
//! Each scenario repeats `GRONDSLAG_CRASH_RUNS` times (2 unless set; the
//! issue asks for 20 in a row) on SQLite and, when
//! `GRONDSLAG_TEST_DATABASE_URL` names a server, on PostgreSQL. The moments
//! come from a seeded generator: the seed is printed first (shown with a
//! failure), and `GRONDSLAG_CRASH_SEED` replays it.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use grondslag_kernel::{Access, DataDir, Kernel, KernelError, RecordRef, Unit, Value};
use grondslag_register::{Action, Category, ProcessingId, Role};
use grondslag_store::ScratchDatabase;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tempfile::TempDir;

use crate::server::{ANNA_BSN, BERT_BSN, Client, Place, Server, create_account, file_case};
use crate::{shipped, stderr, stdout};

/// How many times each scenario is crashed.
fn runs() -> usize {
    std::env::var("GRONDSLAG_CRASH_RUNS").ok().and_then(|n| n.parse().ok()).unwrap_or(2)
}

/// The scenario's generator, its seed printed so that a failure can be replayed.
fn seeded(scenario: &str) -> StdRng {
    let seed = std::env::var("GRONDSLAG_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    eprintln!("{scenario}: GRONDSLAG_CRASH_SEED={seed}");
    StdRng::seed_from_u64(seed)
}

/// A fresh data directory, on SQLite or with a scratch PostgreSQL database.
struct Site {
    _dir: TempDir,
    place: Place,
    _database: Option<ScratchDatabase>,
}

impl Site {
    fn sqlite() -> Site {
        let dir = TempDir::new().unwrap();
        Site { place: Place::sqlite(dir.path()), _dir: dir, _database: None }
    }

    fn postgres() -> Option<Site> {
        let database = ScratchDatabase::for_tests().unwrap()?;
        let dir = TempDir::new().unwrap();
        let place = Place { dir: dir.path().to_path_buf(), database_url: Some(database.url().to_string()) };
        Some(Site { _dir: dir, place, _database: Some(database) })
    }

    /// A fresh site of the same kind as this one.
    fn another(&self) -> Site {
        match self.place.database_url {
            None => Site::sqlite(),
            Some(_) => Site::postgres().unwrap(),
        }
    }

    fn kernel(&self) -> Kernel {
        DataDir::new(&self.place.dir).with_database_url(self.place.database_url.clone()).open_kernel(shipped(), None, jiff::Timestamp::now()).unwrap()
    }
}

fn store(place: &Place) -> &'static str {
    if place.database_url.is_some() { "PostgreSQL" } else { "SQLite" }
}

/// A connection behind the store's back, to watch progress and look at rows.
fn rows(place: &Place) -> Rows {
    match &place.database_url {
        Some(url) => Rows::Postgres(postgres::Client::connect(url, postgres::NoTls).unwrap()),
        None => Rows::Sqlite(sqlite_read_only(&place.dir).unwrap()),
    }
}

/// A count behind the store's back, or nothing while there is no store to count in yet.
fn try_count(place: &Place, sql: &str) -> Option<i64> {
    match &place.database_url {
        Some(url) => postgres::Client::connect(url, postgres::NoTls).ok()?.query_one(sql, &[]).ok().map(|row| row.get(0)),
        None => sqlite_read_only(&place.dir)?.query_row(sql, [], |row| row.get(0)).ok(),
    }
}

/// Every file in the blob directory, temporary ones and the journals of
/// operations under way included.
fn blob_files(place: &Place) -> Vec<String> {
    let blobs = DataDir::new(&place.dir).blobs();
    let mut names: Vec<String> = crate::files_below(&blobs).iter().map(|f| f.strip_prefix(&blobs).unwrap().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Opened without creating the file: watching must not make a store that a
/// starting process would then find.
fn sqlite_read_only(dir: &Path) -> Option<rusqlite::Connection> {
    let database = DataDir::new(dir).database();
    rusqlite::Connection::open_with_flags(database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX).ok()
}

enum Rows {
    Sqlite(rusqlite::Connection),
    Postgres(postgres::Client),
}

impl Rows {
    fn count(&mut self, sql: &str) -> i64 {
        match self {
            Rows::Sqlite(connection) => connection.query_row(sql, [], |row| row.get(0)).unwrap(),
            Rows::Postgres(client) => client.query_one(sql, &[]).unwrap().get(0),
        }
    }

    fn texts(&mut self, sql: &str) -> Vec<String> {
        match self {
            Rows::Sqlite(connection) => {
                let mut statement = connection.prepare(sql).unwrap();
                statement.query_map([], |row| row.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
            }
            Rows::Postgres(client) => client.query(sql, &[]).unwrap().iter().map(|row| row.get(0)).collect(),
        }
    }

    /// The JSON of every audit entry that mentions `mark` (they are stored packed).
    fn entries_with(&mut self, mark: &str) -> Vec<String> {
        let sql = "SELECT entry FROM audit_entries ORDER BY seq";
        let entries: Vec<String> = match self {
            Rows::Sqlite(connection) => {
                let mut statement = connection.prepare(sql).unwrap();
                statement.query_map([], |row| Ok(grondslag_store::unpack_audit_entry(row.get_ref(0)?.as_bytes()?))).unwrap().collect::<Result<_, _>>().unwrap()
            }
            Rows::Postgres(client) => client.query(sql, &[]).unwrap().iter().map(|row| crate::pg_audit_json(row, 0)).collect(),
        };
        entries.into_iter().filter(|entry| entry.contains(mark)).collect()
    }
}

/// `grondslag ARGS` on the place, to be started.
fn command(place: &Place, args: &[&str]) -> Command {
    let mut command = place.command();
    command.args(args);
    command
}

/// Runs `command` until `under_way` says its work has begun, then kills it
/// with SIGKILL. Returns whether it was killed: false when it finished
/// first, which it must then have done successfully.
fn kill_when(command: &mut Command, mut under_way: impl FnMut() -> bool) -> bool {
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut child = command.stdout(Stdio::null()).stderr(log.reopen().unwrap()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "it failed before it was killed: {}", std::fs::read_to_string(log.path()).unwrap_or_default());
            return false;
        }
        if under_way() {
            child.kill().unwrap();
            let status = child.wait().unwrap();
            assert!(status.signal() == Some(9) || status.success(), "{status}: {}", std::fs::read_to_string(log.path()).unwrap_or_default());
            return status.signal() == Some(9);
        }
        assert!(Instant::now() < deadline, "the work did not get under way in two minutes");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Kills `command` a random moment into the time a whole run of it takes (`whole`).
fn kill_within(command: &mut Command, whole: Duration, rng: &mut StdRng) -> bool {
    let after = whole.mul_f64(rng.gen_range(0.0..1.0));
    let started = Instant::now();
    kill_when(command, || started.elapsed() >= after)
}

/// What no kill may leave behind, whatever it interrupted, once the next
/// start has run: the audit chain verifies, and the blob directory holds
/// exactly the blobs the rows name — no recording of a write the kill cut
/// off, none of a record whose erasure committed, no half-written file.
fn assert_consistent(place: &Place, after: &str) {
    let started = place.run(&["retention", "report"]);
    assert!(started.status.success(), "{after} on {}: the next start: {}", store(place), stderr(&started));
    let verified = place.run(&["audit", "verify"]);
    assert!(verified.status.success(), "{after} on {}: audit verify: {}", store(place), stderr(&verified));
    let mut named = rows(place).texts("SELECT blob FROM fields WHERE blob IS NOT NULL");
    named.sort();
    assert_eq!(blob_files(place), named, "{after} on {}: the blob files are exactly those the rows name", store(place));
}

/// Both stores, each given a fresh site.
fn on_each_store(mut scenario: impl FnMut(Site)) {
    scenario(Site::sqlite());
    if let Some(site) = Site::postgres() {
        scenario(site);
    }
}

// ---------------------------------------------------------------------------
// The retention sweep

const SWEPT_AT: &str = "2026-11-28T10:00:00Z";

/// Records the sweep at [`SWEPT_AT`] must take, and the calls it must keep.
struct Due {
    records: i64,
    kept: Vec<RecordRef>,
}

/// A recorded call with its recording, as the system stores it at `at`.
fn recorded_call(unit: &mut Unit<'_>, processing: ProcessingId, at: &str, n: usize) -> Result<(Access, RecordRef), KernelError> {
    let access = Access::new("crash.test", Role::System, "test", at.parse().unwrap());
    let fields = [(Category::Phone, Value::text(format!("06{n:08}"))), (Category::CallRecording, Value::Bytes(crate::kcc::wav()))];
    let record = unit.write(&access, processing, None, None, &fields)?;
    unit.record_event(&access, processing, &record, Action::Write, "recorded", None, None)?;
    Ok((access, record))
}

/// Calls recorded on 1 October (kept 28 days, so due), every third with a
/// note that belongs to it, and calls of 20 November, not yet due.
fn calls_to_sweep(kernel: &Kernel, due: usize, kept: usize) -> Due {
    let processing = kernel.processing("telefoon_opnames").unwrap();
    kernel
        .unit(|unit| {
            let mut records = 0;
            for n in 0..due {
                let (access, call) = recorded_call(unit, processing, "2026-10-01T09:00:00Z", n)?;
                records += 1;
                if n % 3 == 0 {
                    let note = unit.write(&access, processing, Some(&call.subject), None, &[(Category::CallMeta, Value::text("terugbellen"))])?;
                    unit.belong_to(&access, processing, &note, &call)?;
                    records += 1;
                }
            }
            let kept = (0..kept).map(|n| recorded_call(unit, processing, "2026-11-20T09:00:00Z", due + n).map(|(_, call)| call)).collect::<Result<_, _>>()?;
            Ok::<_, KernelError>(Due { records, kept })
        })
        .unwrap()
}

/// The records the deletion certificates in the audit log account for.
fn certified(rows: &mut Rows) -> i64 {
    rows.entries_with("deletion certificate: ")
        .iter()
        .map(|entry| entry.split("deletion certificate: ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().parse::<i64>().unwrap())
        .sum()
}

const ORPHANED_BELONGINGS: &str =
    "SELECT count(*) FROM records r WHERE r.parent_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM records p WHERE p.id = r.parent_id)";
const SUBJECTS_WITHOUT_RECORDS: &str = "SELECT count(*) FROM subjects s WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id)";

// req: E18
// req: E17
#[test]
fn a_retention_sweep_killed_at_any_moment_leaves_nothing_half_erased_and_finishes_when_run_again() {
    let mut rng = seeded("sweep");
    on_each_store(|first| {
        let mut killed = 0;
        let mut site = first;
        for run in 0..runs() {
            if run > 0 {
                site = site.another();
            }
            let due = calls_to_sweep(&site.kernel(), 150, 10);
            let mut rows = rows(&site.place);
            let before = rows.count("SELECT count(*) FROM records");
            let threshold = before - rng.gen_range(1..due.records);
            let sweep = || command(&site.place, &["retention", "run", "--now", SWEPT_AT, "--batch", "4"]);
            killed += usize::from(kill_when(&mut sweep(), || try_count(&site.place, "SELECT count(*) FROM records").is_some_and(|n| n <= threshold)));
            // What the kill left: each batch whole, with its certificate.
            let after = format!("a sweep killed in run {run}");
            assert_eq!(rows.count(ORPHANED_BELONGINGS), 0, "{after}: a note outlived its call");
            assert_eq!(rows.count(SUBJECTS_WITHOUT_RECORDS), 0, "{after}: a key outlived its records");
            assert_eq!(certified(&mut rows), before - rows.count("SELECT count(*) FROM records"), "{after}: every batch that went has its certificate");
            assert_consistent(&site.place, &after);
            // Run again, it finishes: what was due is gone, what was not is there.
            let resumed = sweep().output().unwrap();
            assert!(resumed.status.success(), "{}", stderr(&resumed));
            let mut left = rows.texts("SELECT id FROM records");
            left.sort();
            let mut kept: Vec<String> = due.kept.iter().map(|r| r.record.to_string()).collect();
            kept.sort();
            assert_eq!(left, kept, "{after}: resumed, the sweep took exactly what was due");
            assert_eq!(certified(&mut rows), due.records, "{after}: each record certified once");
            assert_consistent(&site.place, &format!("{after} and resumed"));
        }
        eprintln!("sweep on {}: killed mid-sweep in {killed} of {} runs", store(&site.place), runs());
        assert!(killed > 0, "no run was killed mid-sweep");
    });
}

// ---------------------------------------------------------------------------
// The import of the exchange's calls

/// More than one chunk of the import (200 calls), so that a kill can land
/// after a chunk has committed as well as inside one.
const CALLS_PER_BATCH: usize = 250;

/// A call the import left without its recording, event, relation or index.
const INCOMPLETE_CALLS: &str = "SELECT count(*) FROM records r WHERE r.processing = 'kcc_opnames' AND (
    (SELECT count(*) FROM fields f WHERE f.record_id = r.id) <> 2
    OR (SELECT count(*) FROM record_events e WHERE e.record_id = r.id) <> 1
    OR (SELECT count(*) FROM record_index i WHERE i.record_id = r.id) <> 1
    OR (SELECT count(*) FROM relations l WHERE l.object = r.id) <> 1)";

const CALLS: &str = "SELECT count(*) FROM records WHERE processing = 'kcc_opnames'";

/// Each call stored has its audit entry, and each call the audit log says
/// was stored is there: the entries commit with the rows, or neither does.
fn assert_audited(rows: &mut Rows, after: &str) {
    let mut stored = rows.texts("SELECT id FROM records WHERE processing = 'kcc_opnames'");
    let mut audited: Vec<String> = rows
        .entries_with("\"processing\":\"kcc_opnames\"")
        .iter()
        .filter(|entry| entry.contains("\"action\":\"write\""))
        .map(|entry| serde_json::from_str::<serde_json::Value>(entry).unwrap())
        .filter(|entry| entry["outcome"] == "allowed")
        .map(|entry| entry["object"].as_str().unwrap().to_string())
        .collect();
    stored.sort();
    audited.sort();
    assert_eq!(stored, audited, "{after}: the calls stored are the calls audited as stored");
}

/// An employee taking part in the quality protocol, as agent A100.
fn enrolled(site: &Site) {
    let place = &site.place;
    create_account(place, "m.jansen", "employee", None);
    place.ok(&["kcc", "protocol", "consent", "--version-name", "2026-1", "--date", "15-01-2026", "--reference", "OR 2026/03"]);
    place.ok(&["kcc", "enrol", "--account", "m.jansen", "--function", "klantcontactmedewerker", "--agent", "A100"]);
}

/// The exchange's export of `CALLS_PER_BATCH` calls of the last hours, each with its recording.
fn exchange_batch(batch: &Path, run: usize) -> std::path::PathBuf {
    std::fs::write(batch.join("call.wav"), crate::kcc::wav()).unwrap();
    let now = jiff::Timestamp::now();
    let mut csv = String::from("call_id,agent,start,duration_seconds,direction,external,network_relation,private_line,audio\n");
    for i in 0..CALLS_PER_BATCH {
        let start = now - jiff::SignedDuration::from_secs(60 * i as i64 + 60);
        csv.push_str(&format!("R{run}-{i},A100,{start},300,in,ja,nee,nee,call.wav\n"));
    }
    let metadata = batch.join("calls.csv");
    std::fs::write(&metadata, csv).unwrap();
    metadata
}

// req: K2
// req: E17
#[test]
fn an_import_killed_at_any_moment_stores_each_call_whole_or_not_and_run_again_stores_the_rest() {
    let mut rng = seeded("import");
    on_each_store(|site| {
        enrolled(&site);
        let mut rows = rows(&site.place);
        let mut killed = 0;
        for run in 0..runs() {
            let batch = TempDir::new().unwrap();
            let metadata = exchange_batch(batch.path(), run);
            let before = rows.count(CALLS);
            let blobs_before = blob_files(&site.place).len();
            // The recordings are written before their chunk commits: a kill
            // after some of them lands inside a chunk.
            let written = rng.gen_range(1..CALLS_PER_BATCH);
            let import = || command(&site.place, &["kcc", "import", metadata.to_str().unwrap()]);
            killed += usize::from(kill_when(&mut import(), || blob_files(&site.place).len() >= blobs_before + written));
            let after = format!("an import killed in run {run} after {written} recordings");
            let stored = usize::try_from(rows.count(CALLS) - before).unwrap();
            assert_eq!(rows.count(INCOMPLETE_CALLS), 0, "{after}: a call is stored in part");
            assert_audited(&mut rows, &after);
            assert_consistent(&site.place, &after);
            // Run again, it stores the rest and names what it had already.
            let again = import().output().unwrap();
            assert!(again.status.success(), "{after}: {}", stderr(&again));
            let expected = format!(
                "{} call(s) stored; not stored: 0 internal, 0 on the private line, 0 older than four weeks, {stored} imported before",
                CALLS_PER_BATCH - stored
            );
            assert!(stdout(&again).contains(&expected), "{after}: {}", stdout(&again));
            assert_eq!(rows.count(CALLS) - before, CALLS_PER_BATCH as i64, "{after}: each call once");
            assert_eq!(rows.count(INCOMPLETE_CALLS), 0, "{after} and run again");
            assert_audited(&mut rows, &after);
            assert_consistent(&site.place, &format!("{after} and run again"));
        }
        eprintln!("import on {}: killed mid-import in {killed} of {} runs", store(&site.place), runs());
        assert!(killed > 0, "no run was killed mid-import");
    });
}

// ---------------------------------------------------------------------------
// Migrations: the schema's at the first start, and the move to PostgreSQL

/// How long `command` takes, run whole.
fn timed(mut command: Command) -> Duration {
    let started = Instant::now();
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    started.elapsed()
}

/// A store that works: it opens, takes a write, and its log verifies.
fn assert_works(site: &Site, after: &str) {
    let report = site.place.run(&["retention", "report"]);
    assert!(report.status.success(), "{after} on {}: {}", store(&site.place), stderr(&report));
    let subscribed = site.place.run(&["channel", "newsletter", "subscribe", "--name", "Lid", "--email", "lid@example.nl", "--consent"]);
    assert!(subscribed.status.success(), "{after} on {}: {}", store(&site.place), stderr(&subscribed));
    assert_consistent(&site.place, after);
}

// req: E17
#[test]
fn a_first_start_killed_while_it_creates_the_keys_and_migrates_the_schema_starts_the_next_time() {
    let mut rng = seeded("first start");
    on_each_store(|first| {
        let start = |site: &Site| command(&site.place, &["retention", "report"]);
        let whole = timed(start(&first));
        let mut killed = 0;
        for run in 0..runs() {
            let site = first.another();
            killed += usize::from(kill_within(&mut start(&site), whole, &mut rng));
            assert_works(&site, &format!("a first start killed in run {run}"));
        }
        eprintln!("first start on {} ({whole:?}): killed in {killed} of {} runs", store(&first.place), runs());
    });
}

// req: E17
#[test]
fn a_move_to_postgresql_killed_at_any_moment_copies_all_or_nothing_and_run_again_completes() {
    let Some(first) = Site::postgres() else { return };
    let mut rng = seeded("move to PostgreSQL");
    let source = TempDir::new().unwrap();
    let generated = crate::grondslag(&["generate", "--subjects", "40", "--seed", "5", "--until", SWEPT_AT, "--data", source.path().to_str().unwrap()]);
    assert!(generated.status.success(), "{}", stderr(&generated));
    let records = crate::sqlite(source.path()).query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0)).unwrap();
    let to = |site: &Site| {
        command(
            &Place { dir: source.path().to_path_buf(), database_url: site.place.database_url.clone() },
            &["migrate", "--from", "sqlite", "--to", "postgres"],
        )
    };
    let whole = timed(to(&first));
    let mut killed = 0;
    for run in 0..runs() {
        let target = first.another();
        killed += usize::from(kill_within(&mut to(&target), whole, &mut rng));
        let after = format!("a move killed in run {run}");
        let copied = try_count(&target.place, "SELECT count(*) FROM records").unwrap_or(0);
        assert!(copied == 0 || copied == records, "{after}: {copied} of {records} records arrived");
        let again = to(&target).output().unwrap();
        if copied == 0 {
            assert!(again.status.success(), "{after}: run again: {}", stderr(&again));
        } else {
            assert!(stderr(&again).contains("already holds data"), "{after}: {}", stderr(&again));
        }
        assert_eq!(try_count(&target.place, "SELECT count(*) FROM records"), Some(records), "{after}: everything arrived");
        let on_target = Place { dir: source.path().to_path_buf(), database_url: target.place.database_url.clone() };
        let verified = on_target.run(&["audit", "verify"]);
        assert!(verified.status.success(), "{after}: {}", stderr(&verified));
    }
    eprintln!("move to PostgreSQL ({whole:?}): killed in {killed} of {} runs", runs());
}

// ---------------------------------------------------------------------------
// generate

// req: E17
#[test]
fn generate_killed_at_any_moment_leaves_a_store_that_opens_and_verifies() {
    let mut rng = seeded("generate");
    let mut killed = 0;
    for run in 0..runs() {
        let site = Site::sqlite();
        let dir = site.place.dir.to_str().unwrap().to_string();
        let people = rng.gen_range(1..150);
        // Killed a while after people are seen, not at once: a load commits
        // in groups, and what is at stake lies between two commits.
        let wait = Duration::from_millis(rng.gen_range(0..300));
        let mut seen: Option<Instant> = None;
        // Small groups, so that a run of 200 people commits many times.
        let commit_every = rng.gen_range(8..512).to_string();
        let mut generate =
            command(&site.place, &["generate", "--subjects", "200", "--seed", &run.to_string(), "--until", SWEPT_AT, "--commit-every", &commit_every]);
        killed += usize::from(kill_when(&mut generate, || {
            if seen.is_none() && try_count(&site.place, "SELECT count(*) FROM subjects").is_some_and(|n| n >= people) {
                seen = Some(Instant::now());
            }
            seen.is_some_and(|at| at.elapsed() >= wait)
        }));
        let after = format!("generate killed in run {run} {} ms after {people} people, committing every {commit_every}", wait.as_millis());
        assert_works(&site, &after);
        // The directory holds part of a population; generate says to start afresh.
        let again = crate::grondslag(&["generate", "--subjects", "5", "--data", &dir]);
        assert!(stderr(&again).contains("generate into a fresh directory"), "{after}: {}", stderr(&again));
    }
    eprintln!("generate: killed mid-way in {killed} of {} runs", runs());
    assert!(killed > 0, "no run was killed mid-way");
}

// ---------------------------------------------------------------------------
// The service under load

/// A case the service acknowledged (201): who filed it, its number, the address in it.
struct Acknowledged {
    client: usize,
    number: String,
    address: String,
}

/// Clients on `server` in the sessions given.
fn clients(server: &Server, sessions: &[Option<String>]) -> Vec<Client> {
    sessions
        .iter()
        .map(|cookie| {
            let mut client = Client::new(server);
            client.cookie = cookie.clone();
            client
        })
        .collect()
}

/// Every acknowledged filing is there, as its applicant filed it.
fn assert_all_there(clients: &mut [Client], acknowledged: &[Acknowledged], after: &str) {
    for case in acknowledged {
        let reply = clients[case.client].get(&format!("/api/v1/cases/{}", case.number));
        assert_eq!(reply.status, 200, "{after}: acknowledged case {} is gone: {}", case.number, reply.body);
        assert!(reply.body.contains(&case.address), "{after}: case {} lost its address: {}", case.number, reply.body);
    }
    let mut numbers: Vec<&str> = acknowledged.iter().map(|c| c.number.as_str()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), acknowledged.len(), "{after}: a case number was given twice");
}

/// Files cases as `client` until the server is gone; returns those acknowledged.
fn file_until_gone(mut client: Client, n: usize, run: usize, filed: &AtomicUsize) -> Vec<Acknowledged> {
    let (name, bsn) = if n.is_multiple_of(2) { ("Anna de Vries", ANNA_BSN) } else { ("Bert Bakker", BERT_BSN) };
    let csrf = client.csrf();
    let mut acknowledged = Vec::new();
    for i in 0.. {
        let address = format!("Laan {run}-{n}-{i}");
        // An answer the kill cut off acknowledged nothing.
        let Some(reply) = client.try_post_json("/api/v1/cases", Some(&csrf), crate::relations::application(name, bsn, &address)) else { break };
        let number = serde_json::from_str::<serde_json::Value>(&reply.body).ok().and_then(|v| v["number"].as_str().map(str::to_string));
        match (reply.status, number) {
            (201, Some(number)) => {
                acknowledged.push(Acknowledged { client: n, number, address });
                filed.fetch_add(1, Ordering::SeqCst);
            }
            (201, None) => break,
            (status, _) => panic!("run {run}: filing refused: {status} {}", reply.body),
        }
    }
    acknowledged
}

// req: E17
// req: I.SEC
#[test]
fn the_service_killed_under_load_loses_no_acknowledged_filing() {
    let mut rng = seeded("service");
    on_each_store(|site| {
        let place = &site.place;
        // An applicant's account is made for a person with a file.
        file_case(place, "Anna de Vries", ANNA_BSN, "Hoofdstraat 12");
        file_case(place, "Bert Bakker", BERT_BSN, "Kerkstraat 3");
        let (anna, bert) = (create_account(place, "anna", "applicant", Some(ANNA_BSN)), create_account(place, "bert", "applicant", Some(BERT_BSN)));
        // Two sessions each for two applicants, signed in once: sessions
        // are stored, so they outlive the kills.
        let server = Server::start_on(place, &[]);
        let sessions: Vec<Option<String>> = [&anna, &bert, &anna, &bert]
            .iter()
            .map(|person| {
                let mut client = Client::new(&server);
                assert_eq!(client.sign_in(person).status, 303);
                client.cookie.clone()
            })
            .collect();
        drop(server);
        let mut acknowledged: Vec<Acknowledged> = Vec::new();
        for run in 0..runs() {
            let server = Server::start_on(place, &[]);
            let filed = Arc::new(AtomicUsize::new(0));
            let threads: Vec<_> = clients(&server, &sessions)
                .into_iter()
                .enumerate()
                .map(|(n, client)| {
                    let filed = Arc::clone(&filed);
                    std::thread::spawn(move || file_until_gone(client, n, run, &filed))
                })
                .collect();
            let target = rng.gen_range(1..40);
            let deadline = Instant::now() + Duration::from_secs(60);
            while filed.load(Ordering::SeqCst) < target {
                assert!(Instant::now() < deadline, "run {run}: the service did not acknowledge {target} filings in a minute");
                std::thread::sleep(Duration::from_millis(1));
            }
            assert!(server.kill(), "run {run}: the service had stopped before the kill");
            let before = acknowledged.len();
            for thread in threads {
                acknowledged.extend(thread.join().unwrap());
            }
            let after = format!("the service killed in run {run} after {} acknowledged filings", acknowledged.len() - before);
            assert_consistent(place, &after);
            let server = Server::start_on(place, &[]);
            assert_all_there(&mut clients(&server, &sessions), &acknowledged, &after);
        }
        eprintln!("service on {}: {} runs killed, {} acknowledged filings all there", store(place), runs(), acknowledged.len());
    });
}

/// What the proxy of [`commit_cutter`] does with the COMMIT it is armed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// Passes it on, then cuts the client off: the server commits, the
    /// client hears nothing.
    AfterCommit,
    /// Cuts the client off and drops it: the server rolls back.
    BeforeCommit,
}

/// A loopback proxy to the PostgreSQL server `to` that passes bytes both
/// ways; once armed with a [`Cut`], the next COMMIT a client sends ends that
/// client's connection as the cut says, before any answer reaches it.
fn commit_cutter(to: std::net::SocketAddr) -> (std::net::SocketAddr, Arc<std::sync::Mutex<Option<Cut>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let armed: Arc<std::sync::Mutex<Option<Cut>>> = Arc::default();
    let trigger = Arc::clone(&armed);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let server = std::net::TcpStream::connect(to).unwrap();
            let (mut from_server, mut to_client) = (server.try_clone().unwrap(), client.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut from_server, &mut to_client));
            let (mut from_client, mut to_server, armed) = (client, server, Arc::clone(&trigger));
            std::thread::spawn(move || {
                let mut buffer = vec![0u8; 64 * 1024];
                while let Ok(n @ 1..) = from_client.read(&mut buffer) {
                    let bytes = &buffer[..n];
                    let cut = if bytes.windows(7).any(|w| w == b"COMMIT\0") { armed.lock().unwrap().take() } else { None };
                    if cut.is_some() {
                        // The client hears nothing more, whatever the server answers, and has
                        // given up by the time the server reads the COMMIT.
                        let _ = from_client.shutdown(std::net::Shutdown::Both);
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    if cut != Some(Cut::BeforeCommit) && to_server.write_all(bytes).is_err() {
                        return;
                    }
                    if cut.is_some() {
                        // Let the server read what it was sent before its peer goes.
                        std::thread::sleep(Duration::from_millis(500));
                        let _ = to_server.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                }
                // The client went: so does its backend.
                let _ = to_server.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (address, armed)
}

// req: I.SEC
#[test]
fn a_connection_lost_during_commit_loses_no_blob_that_a_committed_row_names() {
    let Some(database) = ScratchDatabase::for_tests().unwrap() else { return };
    let config: postgres::Config = database.url().parse().unwrap();
    let (host, port) = (config.get_hosts()[0].clone(), config.get_ports().first().copied().unwrap_or(5432));
    let postgres::config::Host::Tcp(host) = host else { panic!("a TCP host") };
    let (proxy, armed) = commit_cutter(std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port)).unwrap().next().unwrap());
    let name = database.url().rsplit('/').next().unwrap().split('?').next().unwrap().to_string();
    // Plain, so the proxy can read the protocol.
    let url = format!("postgres://{}@{proxy}/{name}?sslmode=disable", config.get_user().unwrap());
    let dir = TempDir::new().unwrap();
    let place = Place { dir: dir.path().to_path_buf(), database_url: Some(url.clone()) };
    let (stored, journals) = (
        || blob_files(&place).iter().filter(|name| !name.starts_with(".journals")).count(),
        || blob_files(&place).iter().filter(|name| name.starts_with(".journals")).count(),
    );
    let open = || DataDir::new(dir.path()).with_database_url(Some(url.clone())).open_kernel(shipped(), None, jiff::Timestamp::now()).unwrap();
    let rows = |sql: &str| -> i64 { postgres::Client::connect(database.url(), postgres::NoTls).unwrap().query_one(sql, &[]).unwrap().get(0) };

    for (cut, stands) in [(Cut::AfterCommit, true), (Cut::BeforeCommit, false)] {
        let kernel = open();
        let calls = kernel.processing("telefoon_opnames").unwrap();
        let grants = kernel.register().processing(calls).grants;
        let writer = Role::ALL.iter().copied().find(|r| grants[r.index()][Action::File.index()].is_granted()).unwrap();
        let before = (rows("SELECT count(*) FROM fields WHERE blob IS NOT NULL"), stored());
        *armed.lock().unwrap() = Some(cut);
        let written = kernel.write(&crate::access(writer), calls, None, None, &[(Category::CallRecording, Value::Bytes(b"RIFF-opname".to_vec()))]);
        assert!(matches!(written, Err(KernelError::Store(grondslag_store::StoreError::Commit(_)))), "{cut:?}: {written:?}");
        assert!(armed.lock().unwrap().is_none(), "{cut:?}: the proxy cut the COMMIT");
        // Nobody can tell yet which it was: the file stays until the next start settles it.
        assert_eq!(stored(), before.1 + 1, "{cut:?}");
        drop(kernel);
        // The client gives up as soon as its side is cut, possibly before the server has even
        // read the COMMIT; only once every other backend of the database has gone is the
        // server's outcome final.
        let waited = std::time::Instant::now();
        while rows("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
            > 0
        {
            assert!(waited.elapsed() < Duration::from_secs(60), "{cut:?}: the cut connection's backend never ended");
            std::thread::sleep(Duration::from_millis(50));
        }
        let after = rows("SELECT count(*) FROM fields WHERE blob IS NOT NULL");
        assert_eq!(after, before.0 + i64::from(stands), "{cut:?}: the server's own outcome");
        drop(open());
        assert_eq!(stored(), before.1 + usize::from(stands), "{cut:?}: settled at the next start");
        assert_eq!(journals(), 0, "{cut:?}");
    }
    // The committed recording reads back whole.
    let kernel = open();
    let calls = kernel.processing("telefoon_opnames").unwrap();
    let subject: String = postgres::Client::connect(database.url(), postgres::NoTls)
        .unwrap()
        .query_one("SELECT r.subject_id FROM records r JOIN fields f ON f.record_id = r.id WHERE f.blob IS NOT NULL", &[])
        .unwrap()
        .get(0);
    let heard = kernel
        .read(
            &crate::access(Role::PrivacyOfficer),
            calls,
            &grondslag_store::SubjectId::parse(&subject).unwrap(),
            grondslag_register::CategorySet::of(&[Category::CallRecording]),
        )
        .unwrap();
    assert_eq!(heard[0].get(Category::CallRecording), Some(&Value::Bytes(b"RIFF-opname".to_vec())));
}
