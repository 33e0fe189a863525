//! One operation, one transaction: a fault at any write of filing a case,
//! filing a rights request or recording an authorisation leaves the store
//! and the blobs exactly as they were, on both stores, and the audit log as
//! it was but for the line of the failed call (outcome `failed`, LDV status
//! error). The faults are real: a trigger in the database fails the nth
//! write to one table, for every table and every n the operation reaches.

use std::cell::{OnceCell, RefCell, RefMut};
use std::path::PathBuf;

use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_claims::cases::{Application, AuthorisationForm, Cases};
use grondslag_claims::{Scheme, Status};
use grondslag_kernel::{Access, DataDir, Denial, Kernel, KernelError, SubjectId, Value};
use grondslag_register::{Action, Category, Role};
use grondslag_rights::requests::{Requests, RightKind};
use grondslag_store::ScratchDatabase;
use serde_json::json;

use crate::{files_below, shipped};

/// The table that counts down to the injected fault; not part of a dump.
const FAULT: &str = "injected_fault";

/// The audit log's tables.
const AUDIT: [&str; 2] = ["audit_entries", "audit_checkpoints"];

/// One data directory and its store, with a kernel open on it.
struct Fixture {
    /// Kept open for every look at the store: a connection opened per look
    /// (dozens per step) was most of this test's time on PostgreSQL.
    sqlite: OnceCell<rusqlite::Connection>,
    postgres: OnceCell<RefCell<postgres::Client>>,
    dir: tempfile::TempDir,
    /// The PostgreSQL database of its own; `None` keeps the store in the directory's SQLite file.
    store: Option<ScratchDatabase>,
    kernel: Kernel,
}

/// Every table's rows, each table's rows sorted: two dumps are equal when
/// the stores hold the same data, whatever order rows were written in.
type Dump = Vec<(String, Vec<String>)>;

impl Fixture {
    fn open(postgres: bool) -> Option<Fixture> {
        let dir = tempfile::tempdir().unwrap();
        let store = if postgres { Some(ScratchDatabase::for_tests().unwrap()?) } else { None };
        let url = store.as_ref().map(|database| database.url().to_string());
        // A checkpoint every few entries, so that operations seal some too.
        let kernel = DataDir::new(dir.path()).with_database_url(url).open_kernel(shipped(), None, jiff::Timestamp::now()).unwrap().with_checkpoint_every(3);
        Some(Fixture { sqlite: OnceCell::new(), postgres: OnceCell::new(), dir, store, kernel })
    }

    fn sqlite(&self) -> &rusqlite::Connection {
        self.sqlite.get_or_init(|| rusqlite::Connection::open(DataDir::new(self.dir.path()).database()).unwrap())
    }

    fn postgres(&self) -> RefMut<'_, postgres::Client> {
        let database = self.store.as_ref().unwrap();
        self.postgres.get_or_init(|| RefCell::new(postgres::Client::connect(database.url(), postgres::NoTls).unwrap())).borrow_mut()
    }

    fn tables(&self) -> Vec<String> {
        let mut tables: Vec<String> = match &self.store {
            None => {
                let db = self.sqlite();
                let mut statement = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
                statement.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
            }
            Some(_) => self
                .postgres()
                .query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'", &[])
                .unwrap()
                .iter()
                .map(|row| row.get(0))
                .collect(),
        };
        // The audit log is compared on its own: a failure adds a line.
        tables.retain(|t| t != FAULT && !AUDIT.contains(&t.as_str()));
        tables.sort();
        tables
    }

    fn dump(&self) -> Dump {
        self.tables()
            .into_iter()
            .map(|table| {
                let mut rows: Vec<String> = match &self.store {
                    None => {
                        let db = self.sqlite();
                        let mut statement = db.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
                        let columns = statement.column_count();
                        statement
                            .query_map([], |r| Ok((0..columns).map(|c| shown(r.get_ref(c).unwrap())).collect::<Vec<_>>().join("|")))
                            .unwrap()
                            .map(Result::unwrap)
                            .collect()
                    }
                    Some(_) => self.postgres().query(&format!("SELECT t::text FROM \"{table}\" t"), &[]).unwrap().iter().map(|row| row.get(0)).collect(),
                };
                rows.sort();
                (table, rows)
            })
            .collect()
    }

    /// The audit entries, in order.
    fn audit(&self) -> Vec<String> {
        const SQL: &str = "SELECT entry FROM audit_entries ORDER BY seq";
        match &self.store {
            None => crate::audit_json(self.dir.path(), SQL, []),
            Some(_) => self.postgres().query(SQL, &[]).unwrap().iter().map(|row| crate::pg_audit_json(row, 0)).collect(),
        }
    }

    fn blobs(&self) -> Vec<PathBuf> {
        let mut blobs = files_below(&DataDir::new(self.dir.path()).blobs());
        blobs.sort();
        blobs
    }

    /// Makes the `n`th insert, update or delete of a row of `table` fail,
    /// counted from now; the count is written in the same transaction as
    /// the writes, so a rolled-back operation leaves it where it was.
    fn inject(&self, table: &str, n: u32) {
        match &self.store {
            None => {
                let db = self.sqlite();
                db.execute_batch(&format!(
                    "DROP TABLE IF EXISTS {FAULT}; CREATE TABLE {FAULT} (remaining INTEGER NOT NULL); INSERT INTO {FAULT} VALUES ({n});"
                ))
                .unwrap();
                for (i, write) in ["INSERT", "UPDATE", "DELETE"].iter().enumerate() {
                    db.execute_batch(&format!(
                        "DROP TRIGGER IF EXISTS {FAULT}_{i};
                         CREATE TRIGGER {FAULT}_{i} BEFORE {write} ON \"{table}\" BEGIN
                             UPDATE {FAULT} SET remaining = remaining - 1;
                             SELECT RAISE(ABORT, 'injected fault') WHERE (SELECT remaining FROM {FAULT}) = 0;
                         END;"
                    ))
                    .unwrap();
                }
            }
            Some(_) => {
                self.postgres()
                    .batch_execute(&format!(
                        "DROP TABLE IF EXISTS {FAULT} CASCADE;
                         CREATE TABLE {FAULT} (remaining BIGINT NOT NULL);
                         INSERT INTO {FAULT} VALUES ({n});
                         CREATE OR REPLACE FUNCTION {FAULT}() RETURNS trigger LANGUAGE plpgsql AS $$
                         BEGIN
                             UPDATE {FAULT} SET remaining = remaining - 1;
                             IF (SELECT remaining FROM {FAULT}) = 0 THEN RAISE EXCEPTION 'injected fault'; END IF;
                             RETURN COALESCE(NEW, OLD);
                         END $$;
                         DROP TRIGGER IF EXISTS {FAULT} ON \"{table}\";
                         CREATE TRIGGER {FAULT} BEFORE INSERT OR UPDATE OR DELETE ON \"{table}\" FOR EACH ROW EXECUTE FUNCTION {FAULT}();"
                    ))
                    .unwrap();
            }
        }
    }

    fn heal(&self, table: &str) {
        match &self.store {
            None => {
                self.sqlite().execute_batch(&format!("DROP TABLE {FAULT}; DROP TRIGGER {FAULT}_0; DROP TRIGGER {FAULT}_1; DROP TRIGGER {FAULT}_2;")).unwrap()
            }
            Some(_) => self.postgres().batch_execute(&format!("DROP TRIGGER {FAULT} ON \"{table}\"; DROP TABLE {FAULT}; DROP FUNCTION {FAULT};")).unwrap(),
        }
    }
}

/// A SQLite value as text, close to how PostgreSQL shows a row.
fn shown(value: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => "NULL".to_string(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(x) => x.to_string(),
        ValueRef::Text(text) => String::from_utf8_lossy(text).into_owned(),
        ValueRef::Blob(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

fn handler() -> Access {
    Access::new("behandelaar.jansen", Role::CaseHandler, "test", "2026-11-28T10:00:00Z".parse().unwrap())
}

fn cases(kernel: &Kernel) -> Cases<'_> {
    Cases::new(kernel, AreaLists::parse("data/areas.csv", SAMPLE).unwrap())
}

fn application(bsn: &str, name: &str, address: &str) -> Application {
    serde_json::from_value(json!({
        "scheme": "fysieke_schade",
        "applicant": { "name": name, "phone": "0595 123 456", "email": "anna@example.nl", "bsn": bsn, "bank_account": "NL91ABNA0417164300" },
        "object": { "kind": "home", "address": address, "postcode_city": "9981 AB Uithuizen" },
        "details": { "damage_arose": "2026-03-01" }
    }))
    .unwrap()
}

/// Runs `operation` on a fresh fixture (after `setup`) with a fault at the
/// nth write of each table in turn, for n = 1, 2, … until the operation
/// gets past every write of that table. Each failed run must leave the
/// rows of every table and the blobs as they were, and add to the audit log only the lines of the failed calls.
/// Returns the tables a fault was injected into.
fn fails_whole_at_every_write<S>(postgres: bool, setup: impl Fn(&Kernel) -> S, operation: impl Fn(&Kernel, &S) -> Result<(), String>) -> Vec<String> {
    let Some(probe) = Fixture::open(postgres) else { return Vec::new() };
    let mut touched = Vec::new();
    for table in probe.tables().into_iter().chain(AUDIT.map(String::from)) {
        let fixture = Fixture::open(postgres).unwrap();
        let state = setup(&fixture.kernel);
        for n in 1.. {
            fixture.inject(&table, n);
            let (rows, blobs, audit) = (fixture.dump(), fixture.blobs(), fixture.audit());
            let outcome = operation(&fixture.kernel, &state);
            fixture.heal(&table);
            if outcome.is_ok() {
                break;
            }
            touched.push(table.clone());
            let error = outcome.unwrap_err();
            assert!(error.contains("injected fault"), "the fault at write {n} of {table} should be what failed: {error}");
            assert!(fixture.dump() == rows, "a fault at write {n} of {table} left rows behind");
            assert_eq!(fixture.blobs(), blobs, "a fault at write {n} of {table} left blobs behind");
            let after = fixture.audit();
            assert!(after.starts_with(&audit), "a fault at write {n} of {table} changed the audit log it found");
            let added = &after[audit.len()..];
            assert!(added.iter().all(|e| e.contains(r#""outcome":"failed""#) && e.contains(r#""status_code":2"#)), "only failures are added: {added:?}");
            // A fault in the audit log itself may also stop the failure's line.
            if !AUDIT.contains(&table.as_str()) {
                assert!(!added.is_empty(), "the call a fault at write {n} of {table} failed left a line");
                assert!(added.iter().all(|e| !e.contains("injected fault")), "the line names the kind of fault, not its text");
            }
            fixture.kernel.verify_audit(|_| ()).unwrap();
        }
    }
    touched.dedup();
    touched
}

fn file_a_case(kernel: &Kernel, (): &()) -> Result<(), String> {
    cases(kernel).file(&handler(), &application("111222333", "Anna de Vries", "Hoofdstraat 12")).map(drop).map_err(|e| format!("{e:?}"))
}

fn both_stores(check: impl Fn(bool)) {
    check(false);
    check(true);
}

// req: E1
#[test]
fn filing_a_case_with_a_fault_at_any_write_leaves_the_store_and_the_audit_log_as_they_were() {
    both_stores(|postgres| {
        let touched = fails_whole_at_every_write(postgres, |_| (), file_a_case);
        if !touched.is_empty() {
            for table in ["subjects", "records", "fields", "record_events", "sequences", "record_index", "audit_entries", "audit_checkpoints"] {
                assert!(touched.iter().any(|t| t == table), "no fault was injected into {table}: {touched:?}");
            }
        }
    });
}

// req: E22
#[test]
fn filing_a_rights_request_with_a_fault_at_any_write_leaves_the_store_and_the_audit_log_as_they_were() {
    both_stores(|postgres| {
        let setup = |kernel: &Kernel| cases(kernel).file(&handler(), &application("111222333", "Anna de Vries", "Hoofdstraat 12")).unwrap().case.subject;
        let file = |kernel: &Kernel, anna: &SubjectId| {
            let officer = Access::new("privacy.team", Role::PrivacyOfficer, "test", "2026-11-29T10:00:00Z".parse().unwrap());
            let requests = Requests::new(kernel).unwrap();
            requests.file(&officer, anna, RightKind::WithdrawConsent, "Anna de Vries", Some("nieuwsbrief_email")).map(drop).map_err(|e| format!("{e:?}"))
        };
        let touched = fails_whole_at_every_write(postgres, setup, file);
        if !touched.is_empty() {
            for table in ["records", "fields", "record_events", "audit_entries"] {
                assert!(touched.iter().any(|t| t == table), "no fault was injected into {table}: {touched:?}");
            }
        }
    });
}

// req: E13
#[test]
fn recording_an_authorisation_with_a_fault_at_any_write_leaves_the_store_and_the_audit_log_as_they_were() {
    both_stores(|postgres| {
        let setup = |kernel: &Kernel| cases(kernel).file(&handler(), &application("111222333", "Anna de Vries", "Hoofdstraat 12")).unwrap().number.to_string();
        let authorise = |kernel: &Kernel, number: &String| {
            let form: AuthorisationForm = serde_json::from_value(json!({
                "case": number,
                "principal": { "initials": "A.", "name": "de Vries", "gender": "vrouw", "signature": "A. de Vries (digitaal)" },
                "representative": { "name": "Jan Bakker", "bsn": "123456782", "phone": "0612345678", "address": "Kerkpad 3", "postcode_city": "9917 PA Wirdum" }
            }))
            .unwrap();
            cases(kernel).authorise(&handler(), &form).map(drop).map_err(|e| format!("{e:?}"))
        };
        let touched = fails_whole_at_every_write(postgres, setup, authorise);
        if !touched.is_empty() {
            for table in ["subjects", "records", "fields", "record_events", "record_index", "relations", "audit_entries"] {
                assert!(touched.iter().any(|t| t == table), "no fault was injected into {table}: {touched:?}");
            }
        }
    });
}

// req: E8
#[test]
fn an_unsafe_situation_at_an_address_without_a_house_number_is_refused_before_anything_is_stored() {
    both_stores(|postgres| {
        let Some(fixture) = Fixture::open(postgres) else { return };
        let public = Access::new("melder", Role::Public, "test", "2026-11-28T10:00:00Z".parse().unwrap());
        let report = |address: &str| -> Application {
            serde_json::from_value(json!({
                "scheme": "acuut_onveilig",
                "applicant": { "name": "Anna de Vries", "phone": "0595 123 456" },
                "object": { "kind": "home", "address": address, "postcode_city": "9981 AB Uithuizen" }
            }))
            .unwrap()
        };
        let before = fixture.dump();
        assert!(cases(&fixture.kernel).file(&public, &report("Hoofdstraat")).is_err());
        assert!(fixture.dump() == before, "a refused report left rows behind");
        // Sent again with the number, it is one report, not two.
        cases(&fixture.kernel).file(&public, &report("Hoofdstraat 12")).unwrap();
        let reports = fixture.kernel.retention_report().unwrap();
        assert_eq!(reports.iter().find(|l| l.processing == "acuut_onveilig").map(|l| l.records), Some(1));
    });
}

// req: E1, E17
#[test]
fn a_refusal_inside_a_unit_undoes_the_units_writes_and_keeps_its_audit_entry() {
    both_stores(|postgres| {
        let Some(fixture) = Fixture::open(postgres) else { return };
        let kernel = &fixture.kernel;
        let damage = kernel.processing("fysieke_schade").unwrap();
        let before = fixture.dump();
        let public = Access::new("iemand", Role::Public, "test", "2026-11-28T10:00:00Z".parse().unwrap());
        let refused = kernel.unit(|unit| {
            let filed = unit.write(&handler(), damage, None, None, &[(Category::Name, Value::text("Anna de Vries"))])?;
            unit.record_event(&public, damage, &filed, Action::Advance, "decision", Some("decision"), None)
        });
        let Err(KernelError::Denied { denial, .. }) = refused else { panic!("expected a refusal, got {refused:?}") };
        assert!(matches!(denial, Denial::RoleNotAllowed { .. }), "{denial}");
        let after = fixture.dump();
        for ((table, rows), (_, was)) in after.iter().zip(&before) {
            match table.as_str() {
                // The write's entry went with it; the refusal's stays (and
                // a checkpoint, when it fell on one).
                "audit_entries" => {
                    assert_eq!(rows.len(), was.len() + 1, "only the refusal is added to the log");
                    let refusals = |rows: &[String]| rows.iter().filter(|r| r.contains("denied")).count();
                    assert_eq!(refusals(rows), refusals(was) + 1, "the refusal is in the log");
                }
                "audit_checkpoints" => {}
                _ => assert_eq!(rows, was, "{table} changed although the unit was refused"),
            }
        }
        kernel.verify_audit(|_| ()).unwrap();
    });
}

// req: E19
#[test]
fn importing_the_same_outreach_list_twice_gives_the_same_selection_as_once() {
    both_stores(|postgres| {
        let Some(fixture) = Fixture::open(postgres) else { return };
        let cases = cases(&fixture.kernel);
        let now = handler();
        for (bsn, name, address) in [("111222333", "Anna de Vries", "Hoofdstraat 1a"), ("123456782", "Berend Bakker", "Kerkpad 3")] {
            let number = cases.file(&now, &application(bsn, name, address)).unwrap().number.to_string();
            for status in [Status::InHandling, Status::ExpertAdvice, Status::Decision, Status::Closed] {
                cases.advance(&now, &number, status, None).unwrap();
            }
        }
        assert_eq!(cases.outreach_import(&now, Scheme::PhysicalDamage).unwrap(), 2);
        let once: Vec<String> = cases.outreach_selection(&now).unwrap().into_iter().map(|s| s.name).collect();
        let records_once = fixture.kernel.retention_report().unwrap();
        assert_eq!(cases.outreach_import(&now, Scheme::PhysicalDamage).unwrap(), 0, "nothing new to import");
        let twice: Vec<String> = cases.outreach_selection(&now).unwrap().into_iter().map(|s| s.name).collect();
        assert_eq!(twice, once);
        assert_eq!(fixture.kernel.retention_report().unwrap(), records_once, "the second import copied nobody again");
    });
}

// req: E1
#[test]
fn a_write_of_one_call_with_a_fault_at_any_write_leaves_the_store_as_it_was_and_its_failed_line() {
    // A unit of one call sends its writes with its audit entries' first
    // statement (on PostgreSQL), not on their own: a refusal there is the
    // call's failure all the same.
    both_stores(|postgres| {
        let write = |kernel: &Kernel, (): &()| {
            let damage = kernel.processing("fysieke_schade").unwrap();
            let fields = [(Category::Name, Value::text("Anna de Vries")), (Category::Bsn, Value::text("111222333"))];
            kernel.write(&handler(), damage, None, None, &fields).map(drop).map_err(|e| format!("{e:?}"))
        };
        let touched = fails_whole_at_every_write(postgres, |_| (), write);
        if !touched.is_empty() {
            for table in ["subjects", "records", "fields", "blind_index", "audit_entries"] {
                assert!(touched.iter().any(|t| t == table), "no fault was injected into {table}: {touched:?}");
            }
        }
    });
}

// req: E1
#[test]
fn a_hold_on_a_person_that_fails_at_one_record_names_that_record_in_its_failed_line() {
    // One call that makes several: the writes of each hold are confirmed
    // before the next hold's statements follow them, so a fault in the
    // first hold's last write is the first hold's failure, not the second's.
    both_stores(|postgres| {
        let Some(fixture) = Fixture::open(postgres) else { return };
        let kernel = &fixture.kernel;
        let calls = kernel.processing("telefoon_opnames").unwrap();
        let system = Access::new("centrale", Role::System, "test", "2026-11-28T10:00:00Z".parse().unwrap());
        let officer = Access::new("privacy.team", Role::PrivacyOfficer, "test", "2026-11-28T11:00:00Z".parse().unwrap());
        let first = kernel.write(&system, calls, None, None, &[(Category::Phone, Value::text("0595123456"))]).unwrap();
        let second = kernel.write(&system, calls, Some(&first.subject), None, &[(Category::Phone, Value::text("0612345678"))]).unwrap();
        let review: jiff::Timestamp = "2027-01-01T00:00:00Z".parse().unwrap();
        let mut named = Vec::new();
        // A hold writes the `due` table twice: its due date, then (its last
        // write, sent with whatever statement comes next) its review date.
        for n in 1..=4 {
            fixture.inject("due", n);
            let (rows, audit) = (fixture.dump(), fixture.audit());
            let held = kernel.hold_subject(&officer, calls, &first.subject, "integriteitsonderzoek 2026-17", review);
            fixture.heal("due");
            let error = held.expect_err("the fault stops the hold");
            assert!(format!("{error:?}").contains("injected fault"), "the fault is what failed: {error:?}");
            assert!(fixture.dump() == rows, "a fault at write {n} of the holds left rows behind");
            let after = fixture.audit();
            let added = &after[audit.len()..];
            assert_eq!(added.len(), 1, "one failed line: {added:?}");
            let line: serde_json::Value = serde_json::from_str(&added[0]).unwrap();
            assert_eq!(line["outcome"], "failed", "{line}");
            assert_eq!(line["action"], "hold", "{line}");
            named.push(line["object"].as_str().unwrap().to_string());
        }
        assert_eq!(named[0], named[1], "both writes of the first hold fail the first hold: {named:?}");
        assert_eq!(named[2], named[3], "both writes of the second hold fail the second hold: {named:?}");
        let mut held = vec![named[0].clone(), named[2].clone()];
        held.sort();
        let mut records = vec![first.record.to_string(), second.record.to_string()];
        records.sort();
        assert_eq!(held, records, "each failed line names the record whose hold failed");
        kernel.verify_audit(|_| ()).unwrap();
    });
}

// req: INV2, INV6
#[test]
fn a_load_commits_and_witnesses_what_it_signed_only_at_its_end_and_a_stopped_one_keeps_what_it_wrote_but_the_failed_operations_group() {
    let fixture = Fixture::open(false).unwrap();
    let kernel = &fixture.kernel;
    let witness = fixture.dir.path().join("audit-witness.log");
    let witnessed = || std::fs::read_to_string(&witness).unwrap_or_default();
    let committed = || fixture.sqlite().query_row("SELECT count(*) FROM subjects", [], |r| r.get::<_, i64>(0)).unwrap();
    let file = |bsn: &str| cases(kernel).file(&handler(), &application(bsn, "Anna de Vries", "Hoofdstraat 12")).map(drop).map_err(|e| format!("{e:?}"));
    let (subjects, checkpoints) = (committed(), witnessed());
    kernel
        .loading(grondslag_kernel::LOAD_GROUP, || {
            file("111222333")?;
            file("123456782")?;
            // Filed, and checkpoints signed (one every three entries), but
            // not committed: no other connection sees them, and the witness
            // holds nothing the log might yet lose.
            assert_eq!(committed(), subjects, "a held load was committed before its end");
            assert_eq!(witnessed(), checkpoints, "a checkpoint of a held load was witnessed before its end");
            Ok::<(), Box<dyn std::error::Error>>(())
        })
        .unwrap();
    assert_eq!(committed(), subjects + 2);
    assert_ne!(witnessed(), checkpoints, "the load's checkpoints are witnessed at its end");
    kernel.verify_audit(|_| ()).unwrap();

    // A load that stops keeps what it wrote before it stopped, each
    // operation whole; its checkpoints are not witnessed.
    let checkpoints = witnessed();
    let stopped = kernel.loading(grondslag_kernel::LOAD_GROUP, || {
        file("999999990")?;
        Err::<(), Box<dyn std::error::Error>>("stopped".into())
    });
    assert_eq!(stopped.unwrap_err().to_string(), "stopped");
    assert_eq!(committed(), subjects + 3);
    assert_eq!(witnessed(), checkpoints);
    kernel.verify_audit(|_| ()).unwrap();

    // An operation that fails takes the operations of its group with it,
    // as a failed commit does: the load stops there and loses what it
    // would have lost had it been killed then. Its refusal is logged.
    let logged = || fixture.sqlite().query_row("SELECT count(*) FROM audit_entries", [], |r| r.get::<_, i64>(0)).unwrap();
    let (entries, checkpoints) = (logged(), witnessed());
    let stopped = kernel.loading(grondslag_kernel::LOAD_GROUP, || {
        file("111111110")?;
        let security = crate::access(Role::FacilitySecurity);
        cases(kernel).file(&security, &application("222222220", "Berend Bos", "Kerkstraat 1")).map(drop).map_err(|e| format!("{e:?}"))?;
        Ok::<(), Box<dyn std::error::Error>>(())
    });
    let message = stopped.unwrap_err().to_string();
    assert!(message.contains("RoleNotAllowed") && message.contains("FacilitySecurity"), "{message}");
    assert_eq!(committed(), subjects + 3, "the filing in the failed operation's group went with it");
    assert_eq!(logged(), entries + 1, "only the refusal is logged: {message}");
    assert_eq!(witnessed(), checkpoints);
    kernel.verify_audit(|_| ()).unwrap();
}

// req: I.SEC
#[test]
fn a_file_is_sealed_and_written_before_its_unit_and_stays_only_when_a_committed_row_names_it() {
    for postgres in [false, true] {
        let Some(fixture) = Fixture::open(postgres) else { continue };
        let kernel = &fixture.kernel;
        let calls = kernel.processing("telefoon_opnames").unwrap();
        let writer = crate::access(Role::ContactCentre);
        let recording = [(Category::Phone, Value::text("0612345678")), (Category::CallRecording, Value::Bytes(b"RIFF-opname".to_vec()))];
        let before = fixture.blobs();
        let files = || fixture.blobs().len() - before.len();

        // Prepared: the file and the journal naming it are on disk before any unit.
        let fields = kernel.prepare(&recording).unwrap();
        assert_eq!(files(), 2, "{postgres}: the file and its journal");
        drop(fields);
        assert_eq!(fixture.blobs(), before, "{postgres}: prepared and never written, it is removed");

        // A role without the grant is refused for that, and the file goes with the fields.
        let fields = kernel.prepare(&recording).unwrap();
        let refused = kernel.unit(|unit| unit.write_prepared(&crate::access(Role::Public), calls, None, None, &fields));
        let denial = Denial::RoleNotAllowed { role: Role::Public, action: Action::File };
        assert!(matches!(&refused, Err(KernelError::Denied { denial: d, .. }) if *d == denial), "{postgres}: {refused:?}");
        drop(fields);
        assert_eq!(fixture.blobs(), before, "{postgres}: refused, nothing stays");

        // Named twice in one unit: refused, and the unit rolls back whole.
        let fields = kernel.prepare(&recording).unwrap();
        let (dump, audit) = (fixture.dump(), fixture.audit());
        let twice = kernel.unit(|unit| {
            unit.write_prepared(&writer, calls, None, None, &fields)?;
            unit.write_prepared(&writer, calls, None, None, &fields)
        });
        assert!(matches!(twice, Err(KernelError::StagedTwice)), "{postgres}: {twice:?}");
        assert_eq!(fixture.dump(), dump, "{postgres}: nothing of the unit stays");
        let added = &fixture.audit()[audit.len()..];
        assert_eq!(added.len(), 1, "{postgres}: one failed line: {added:?}");
        let line: serde_json::Value = serde_json::from_str(&added[0]).unwrap();
        assert_eq!(
            (&line["outcome"], &line["action"], &line["reason"]),
            (&"failed".into(), &"write".into(), &"failed: a prepared file written twice".into()),
            "{postgres}"
        );
        drop(fields);
        assert_eq!(fixture.blobs(), before, "{postgres}");

        // Written and committed: the file stays, its journal goes; the same
        // prepared file is refused for a second record.
        let fields = kernel.prepare(&recording).unwrap();
        let record = kernel.unit(|unit| unit.write_prepared(&writer, calls, None, None, &fields)).unwrap();
        let again = kernel.unit(|unit| unit.write_prepared(&writer, calls, None, None, &fields));
        assert!(matches!(again, Err(KernelError::StagedTwice)), "{postgres}: {again:?}");
        drop(fields);
        assert_eq!(files(), 1, "{postgres}: the file its row names, no journal");
        let heard = kernel
            .read_record(&crate::access(Role::PrivacyOfficer), calls, &record, grondslag_register::CategorySet::of(&[Category::CallRecording]))
            .unwrap()
            .unwrap();
        assert_eq!(heard.get(Category::CallRecording), Some(&Value::Bytes(b"RIFF-opname".to_vec())), "{postgres}");
        // Erased with its record, as before it had a key of its own.
        kernel.erase_record(&crate::access(Role::System), calls, &record, "test").map(drop).unwrap_or_else(|e| panic!("{postgres}: {e}"));
        assert_eq!(fixture.blobs(), before, "{postgres}: erased, the file is gone");
    }
}
