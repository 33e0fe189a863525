//! Reading units (`Kernel::reading`): a read runs in a read-only
//! transaction beside the writer, and its audit entries — the read, or the
//! refusal — are written before anything is handed back. A read whose
//! entries cannot be written fails; a write inside a reading unit fails and
//! leaves nothing.

use std::sync::mpsc;
use std::time::Duration;

use grondslag_audit::{Entry, Outcome};
use grondslag_kernel::{Access, Denial, Kernel, KernelError, RecordRef, Value};
use grondslag_register::{Category, CategorySet, ProcessingId, Role, Scope};

use crate::{access, open_kernel, sqlite};

fn applicant(bsn: &str) -> Vec<(Category, Value)> {
    vec![(Category::Name, Value::text("Anna de Vries")), (Category::Phone, Value::text("0595123456")), (Category::Bsn, Value::text(bsn))]
}

fn all() -> CategorySet {
    Category::ALL.iter().copied().collect()
}

/// Every entry of the log, oldest first.
fn log(dir: &std::path::Path) -> Vec<Entry> {
    crate::audit_json(dir, "SELECT entry FROM audit_entries ORDER BY seq", []).iter().map(|e| Entry::parse(e).unwrap()).collect()
}

fn phone(view: Option<grondslag_kernel::RecordView>) -> String {
    view.unwrap().get(Category::Phone).unwrap().as_text().unwrap().to_string()
}

/// A store with Anna's file, written by a case handler.
fn filed() -> (tempfile::TempDir, Kernel, ProcessingId, Access, RecordRef) {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let anna = kernel.write(&handler, physical, None, None, &applicant("111222333")).unwrap();
    (dir, kernel, physical, handler, anna)
}

fn person(role: Role, own: &RecordRef) -> Access {
    Access { subject: Some(own.subject.clone()), ..access(role) }
}

// req: I.SEC
#[test]
fn a_read_and_a_refused_read_are_both_in_the_log_when_the_call_returns() {
    let (dir, kernel, physical, handler, anna) = filed();
    let bert = kernel.write(&handler, physical, None, None, &applicant("123456782")).unwrap();

    // Anna reads her own file: allowed, and logged as her read.
    let before = log(dir.path()).len();
    let own = kernel.read_record(&person(Role::Applicant, &anna), physical, &anna, all()).unwrap();
    assert_eq!(phone(own), "0595123456");
    let after = log(dir.path());
    assert_eq!(after.len(), before + 1);
    let read = after.last().unwrap();
    assert_eq!((read.action.as_str(), read.outcome, read.object.as_str()), ("read", Outcome::Allowed, anna.record.as_str()));

    // Another applicant (Bert) and a role scoped to assigned cases (an
    // expert not assigned) are refused Anna's file, for the missing
    // relation, and each refusal is in the log when the call returns.
    for (who, scope) in [(person(Role::Applicant, &bert), Scope::Own), (access(Role::Expert), Scope::Assigned)] {
        let before = log(dir.path()).len();
        let refused = kernel.read_record(&who, physical, &anna, all());
        assert!(matches!(&refused, Err(KernelError::Denied { denial: Denial::OutOfReach { scope: s }, .. }) if *s == scope), "{refused:?}");
        let after = log(dir.path());
        assert_eq!(after.len(), before + 1, "one entry for the refusal of {}", who.role);
        let entry = after.last().unwrap();
        assert_eq!((entry.outcome, entry.reason.as_str(), entry.role.as_str()), (Outcome::Denied, "relation_missing", who.role.name()));
    }
}

// req: I.SEC
#[test]
fn a_read_whose_entry_cannot_be_written_hands_back_nothing() {
    let (dir, kernel, physical, handler, anna) = filed();
    let before = log(dir.path()).len();

    sqlite(dir.path()).execute_batch("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'injected'); END;").unwrap();
    let failed = kernel.read_record(&handler, physical, &anna, all());
    assert!(matches!(&failed, Err(KernelError::Store(_))), "the read must fail, not return unlogged data: {failed:?}");
    assert_eq!(log(dir.path()).len(), before);

    sqlite(dir.path()).execute_batch("DROP TRIGGER refuse_audit").unwrap();
    assert_eq!(phone(kernel.read_record(&handler, physical, &anna, all()).unwrap()), "0595123456");
    assert_eq!(log(dir.path()).len(), before + 1);
}

#[test]
fn a_write_inside_a_reading_unit_fails_and_stores_nothing() {
    let (dir, kernel, physical, handler, anna) = filed();
    let before = log(dir.path()).len();

    let written = kernel.reading(|unit| unit.record_event(&handler, physical, &anna, grondslag_register::Action::Advance, "noted", None, None));
    assert!(matches!(&written, Err(KernelError::Store(_))), "{written:?}");
    assert!(kernel.events(&handler, physical, &anna).unwrap().iter().all(|e| e.event != "noted"));
    // The failed call is logged as failed, naming only the kind of fault; then the read of the events.
    let entries = log(dir.path());
    assert_eq!(entries.len(), before + 2);
    assert_eq!((entries[before].action.as_str(), entries[before].outcome), ("record_event", Outcome::Failed));
    assert!(entries[before].reason.starts_with("failed: "), "{}", entries[before].reason);
}

// req: I.SEC
#[test]
fn a_read_runs_beside_an_open_write_and_sees_only_what_was_committed() {
    let (dir, kernel, physical, handler, anna) = filed();
    let (started, writing) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let (seen, saw) = mpsc::channel();
    std::thread::scope(|scope| {
        let (kernel, handler, anna) = (&kernel, &handler, &anna);
        let writer = scope.spawn(move || {
            kernel.unit(|unit| {
                unit.write(handler, physical, Some(&anna.subject), Some(&anna.record), &[(Category::Phone, Value::text("0595999999"))])?;
                started.send(()).unwrap();
                released.recv().unwrap();
                Ok::<_, KernelError>(())
            })
        });
        writing.recv().unwrap();
        let reader = scope.spawn(move || {
            kernel.reading(|unit| {
                let view = unit.read_record(handler, physical, anna, all())?;
                seen.send(view.clone()).unwrap();
                Ok::<_, KernelError>(view)
            })
        });
        // The read's work is done while the write transaction is open …
        let during = saw.recv_timeout(Duration::from_secs(20)).expect("the read waited for the writer");
        assert_eq!(phone(during), "0595123456", "an uncommitted change was read");
        release.send(()).unwrap();
        writer.join().unwrap().unwrap();
        // … and handed back once its entry is written, after the write.
        assert_eq!(phone(reader.join().unwrap().unwrap()), "0595123456");
    });
    let entries = log(dir.path());
    let (write, read) = (&entries[entries.len() - 2], &entries[entries.len() - 1]);
    assert_eq!((write.action.as_str(), read.action.as_str()), ("write", "read"));
    assert_eq!(phone(kernel.read_record(&handler, physical, &anna, all()).unwrap()), "0595999999");
}

/// Runs a read of Anna's file by each of `readers` at once, while another
/// connection holds SQLite's write lock, so that their entries queue to be
/// appended together. The results, by reader.
fn reads_held_back(
    dir: &std::path::Path,
    kernel: &Kernel,
    physical: ProcessingId,
    anna: &RecordRef,
    readers: &[Access],
) -> Vec<Result<Option<grondslag_kernel::RecordView>, KernelError>> {
    let holder = sqlite(dir);
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (done, read) = mpsc::channel();
    std::thread::scope(|scope| {
        let readers: Vec<_> = readers
            .iter()
            .map(|who| {
                let done = done.clone();
                scope.spawn(move || {
                    kernel.reading(|unit| {
                        let view = unit.read_record(who, physical, anna, all());
                        done.send(()).unwrap();
                        view
                    })
                })
            })
            .collect();
        for _ in 0..readers.len() {
            read.recv_timeout(Duration::from_secs(20)).expect("a read waited for the writer");
        }
        // The reads' appends wait for the lock (busy_timeout, 5 s): let
        // them all queue behind the first.
        std::thread::sleep(Duration::from_millis(200));
        holder.execute_batch("COMMIT").unwrap();
        readers.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

fn handlers(count: usize) -> Vec<Access> {
    (0..count).map(|n| Access { actor: format!("handler-{n}"), ..access(Role::CaseHandler) }).collect()
}

// req: I.SEC
#[test]
fn reads_and_refusals_that_end_together_are_logged_together_each_in_the_log_when_it_returns() {
    let (dir, kernel, physical, _, anna) = filed();
    let before = log(dir.path()).len();

    // Seven case handlers and an expert not assigned to the case.
    let mut readers = handlers(7);
    readers.push(Access { actor: "expert-0".to_string(), ..access(Role::Expert) });
    let results = reads_held_back(dir.path(), &kernel, physical, &anna, &readers);
    let (expert, handled) = results.split_last().unwrap();
    for result in handled {
        assert_eq!(phone(result.as_ref().unwrap().clone()), "0595123456");
    }
    assert!(matches!(expert, Err(KernelError::Denied { denial: Denial::OutOfReach { scope: Scope::Assigned }, .. })), "{expert:?}");
    // One entry for each reader, under its own name, each once: the
    // refusal among the reads, with its reason.
    let entries = log(dir.path());
    assert_eq!(entries.len(), before + 8);
    let mut logged: Vec<(&str, Outcome, &str)> = entries[before..].iter().map(|e| (e.actor.as_str(), e.outcome, e.reason.as_str())).collect();
    logged.sort_unstable_by_key(|(actor, ..)| *actor);
    assert_eq!(logged[0], ("expert-0", Outcome::Denied, "relation_missing"));
    let names: Vec<&str> = logged[1..].iter().map(|(actor, ..)| *actor).collect();
    assert_eq!(names, readers[..7].iter().map(|r| r.actor.as_str()).collect::<Vec<_>>());
    assert!(logged[1..].iter().all(|(_, outcome, _)| *outcome == Outcome::Allowed));
    assert_eq!(kernel.verify_audit(|_| ()).unwrap().entries, entries.len() as u64);
}

// req: I.SEC
#[test]
fn when_entries_appended_together_cannot_be_written_every_read_among_them_hands_back_nothing() {
    let (dir, kernel, physical, handler, anna) = filed();
    let before = log(dir.path()).len();

    // The trigger is made before the lock is taken; the reads run first.
    sqlite(dir.path()).execute_batch("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'injected'); END;").unwrap();
    let results = reads_held_back(dir.path(), &kernel, physical, &anna, &handlers(4));
    for result in &results {
        // The first appends for the others; they fail with it, saying why.
        assert!(matches!(result, Err(KernelError::Store(_))), "the read must fail, not return unlogged data: {result:?}");
        assert!(result.as_ref().unwrap_err().to_string().contains("injected"), "{result:?}");
    }
    assert_eq!(log(dir.path()).len(), before);

    // The next reads, alone or together, are logged again.
    sqlite(dir.path()).execute_batch("DROP TRIGGER refuse_audit").unwrap();
    assert!(reads_held_back(dir.path(), &kernel, physical, &anna, &handlers(4)).iter().all(Result::is_ok));
    assert_eq!(phone(kernel.read_record(&handler, physical, &anna, all()).unwrap()), "0595123456");
    assert_eq!(log(dir.path()).len(), before + 5);
}
