use std::path::Path;

use grondslag_kernel::{DataDir, Value};
use grondslag_register::{Category, Role};

use crate::{access, grondslag, open_kernel, sqlite, stderr, stdout};

/// The entries a fresh data directory opens with: one per processing, its
/// first version archived (LDV register versions, in the signed log).
fn opened() -> i64 {
    crate::shipped().processings.len() as i64
}

/// A data directory with `n` audit entries after those it opened with,
/// and checkpoints every 4.
fn populated(dir: &Path, n: usize) {
    let kernel = DataDir::new(dir).open_kernel(crate::shipped(), None, jiff::Timestamp::now()).unwrap().with_checkpoint_every(4);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let subject = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap().subject;
    for i in 1..n {
        kernel.write(&handler, physical, Some(&subject), None, &[(Category::Name, Value::text(format!("Anna {i}")))]).unwrap();
    }
    kernel.seal().unwrap();
}

/// The database as an attacker with write access to the file sees it: the
/// append-only triggers are no obstacle to someone who can drop them.
fn tamper(dir: &Path) -> rusqlite::Connection {
    let db = sqlite(dir);
    db.execute_batch("DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete;").unwrap();
    db
}

fn verify(dir: &Path) -> std::process::Output {
    grondslag(&["audit", "verify", "--data", dir.to_str().unwrap()])
}

// req: E17
#[test]
fn an_untouched_log_verifies_with_its_count() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let output = verify(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains(&format!("{} entries checked", opened() + 10)), "{}", stdout(&output));
}

// req: E17
#[test]
fn a_changed_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let changed = opened() + 6;
    tamper(dir.path()).execute("UPDATE audit_entries SET entry = replace(entry, 'case_handler', 'privacy_officer') WHERE seq = ?1", [changed]).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&format!("entry {changed} was altered")), "{}", stderr(&output));
}

// req: E17
#[test]
fn a_removed_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    tamper(dir.path()).execute("DELETE FROM audit_entries WHERE seq = 3", []).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("entry 3 is missing"), "{}", stderr(&output));
}

// req: E17
#[test]
fn reordered_entries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    // Swap the content and hashes of entries 7 and 8, keeping the numbers.
    let db = tamper(dir.path());
    db.execute_batch(
        "UPDATE audit_entries SET seq = -7 WHERE seq = 7;
         UPDATE audit_entries SET seq = 7 WHERE seq = 8;
         UPDATE audit_entries SET seq = 8 WHERE seq = -7;",
    )
    .unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("entry 7 does not follow entry 6"), "{}", stderr(&output));
}

// req: E17
#[test]
fn a_rewritten_chain_is_caught_by_the_signed_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    // Alter entry 2 and recompute every hash after it, as an attacker with
    // write access to the database but not the signing key would.
    let db = tamper(dir.path());
    let rows: Vec<(i64, String)> = {
        let mut s = db.prepare("SELECT seq, entry FROM audit_entries ORDER BY seq").unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let mut previous = grondslag_audit::Hash::ZERO;
    for (seq, entry) in rows {
        let entry = if seq == opened() + 2 { entry.replace("case_handler", "expert") } else { entry };
        let leaf = grondslag_audit::leaf_hash(entry.as_bytes());
        let chain = grondslag_audit::chain_hash(&previous, &leaf);
        db.execute("UPDATE audit_entries SET entry = ?2, leaf = ?3, chain = ?4 WHERE seq = ?1", rusqlite::params![seq, entry, leaf.0, chain.0]).unwrap();
        previous = chain;
    }
    let output = verify(dir.path());
    assert!(!output.status.success());
    // The first checkpoint after the altered entry: sizes are multiples of 4.
    let checkpoint = (opened() + 2 + 3) / 4 * 4;
    assert!(stderr(&output).contains(&format!("checkpoint at {checkpoint}")), "{}", stderr(&output));
}

// req: E17
#[test]
fn the_audit_log_refuses_changes_through_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 2);
    let db = sqlite(dir.path());
    let update = db.execute("UPDATE audit_entries SET entry = '{}' WHERE seq = 1", []).unwrap_err();
    assert!(update.to_string().contains("append-only"), "{update}");
    assert!(db.execute("DELETE FROM audit_entries", []).is_err());
    assert!(db.execute("DELETE FROM audit_checkpoints", []).is_err());
}

// req: E17
#[test]
fn every_decision_is_one_entry_without_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let fields = [(Category::Name, Value::text("Anna de Vries")), (Category::Bsn, Value::text("111222333"))];
    let anna = kernel.write(&handler, physical, None, None, &fields).unwrap();
    kernel.read(&handler, physical, &anna.subject, grondslag_register::CategorySet::of(&[Category::Name])).unwrap();
    let _ = kernel.read(&access(Role::Communications), physical, &anna.subject, grondslag_register::CategorySet::of(&[Category::Name]));
    let entries: Vec<String> = {
        let db = sqlite(dir.path());
        let mut s = db.prepare("SELECT entry FROM audit_entries ORDER BY seq").unwrap();
        s.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let entries = &entries[opened() as usize..];
    assert_eq!(entries.len(), 3);
    for entry in entries {
        assert!(!entry.contains("Anna") && !entry.contains("111222333"), "{entry}");
        let parsed = grondslag_kernel::parse_entry(entry).unwrap();
        assert_eq!(parsed.trace_id.0.len(), 16);
        assert_eq!(parsed.span_id.0.len(), 8);
        assert_eq!(parsed.data_subject_id.as_deref(), Some(anna.subject.as_str()));
    }
}

// req: E17
#[test]
fn closing_the_kernel_signs_a_checkpoint_over_the_last_entry() {
    let dir = tempfile::tempdir().unwrap();
    {
        let kernel = open_kernel(dir.path());
        let physical = kernel.processing("fysieke_schade").unwrap();
        kernel.write(&access(Role::CaseHandler), physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap();
    }
    let last: i64 = sqlite(dir.path()).query_row("SELECT max(size) FROM audit_checkpoints", [], |r| r.get(0)).unwrap();
    assert_eq!(last, opened() + 1);
    // Truncating the log after the checkpoint is then detected.
    let db = tamper(dir.path());
    db.execute("DELETE FROM audit_entries WHERE seq = ?1", [last]).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("covers more entries than the log holds"), "{}", stderr(&output));
}

// req: E17
#[test]
fn concurrent_writers_share_commits_and_leave_one_unbroken_chain() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let physical = kernel.processing("fysieke_schade").unwrap();
    let (threads, writes) = (4, 40);
    let subjects: Vec<Vec<grondslag_store::SubjectId>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let kernel = &kernel;
                scope.spawn(move || {
                    (0..writes)
                        .map(|i| {
                            let fields = [(Category::Name, Value::text(format!("Aanvrager {t}-{i}")))];
                            kernel.write(&access(Role::CaseHandler), physical, None, None, &fields).unwrap().subject
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let all = grondslag_register::CategorySet::of(&[Category::Name]);
    for (t, list) in subjects.iter().enumerate() {
        for (i, subject) in list.iter().enumerate() {
            let read = kernel.read(&access(Role::CaseHandler), physical, subject, all).unwrap();
            assert_eq!(read[0].get(Category::Name), Some(&Value::text(format!("Aanvrager {t}-{i}"))));
        }
    }
    let verification = kernel.verify_audit(|_| ()).unwrap();
    assert_eq!(verification.entries, opened() as u64 + 2 * threads * writes);
}

// req: E17
#[test]
fn a_fault_early_in_a_long_log_is_named_without_reading_on() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let db = tamper(dir.path());
    let changed = opened() + 6;
    db.execute("UPDATE audit_entries SET entry = replace(entry, 'case_handler', 'privacy_officer') WHERE seq = ?1", [changed]).unwrap();
    // Far more rows than the reader may have in flight, so it would block
    // for good if the verifier stopped without telling it.
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
         INSERT INTO audit_entries (seq, entry, leaf, chain) SELECT i, '{}', zeroblob(32), zeroblob(32) FROM n",
        [opened() + 11],
    )
    .unwrap();
    drop(db);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_grondslag"))
        .args(["audit", "verify", "--data", dir.path().to_str().unwrap()])
        .env_clear()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("audit verify did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!status.success());
    assert!(err.contains(&format!("entry {changed} was altered")), "{err}");
}
