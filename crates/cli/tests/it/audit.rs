use std::path::Path;

use grondslag_kernel::{DataDir, Value};
use grondslag_register::{Category, Role};

use crate::{access, grondslag, open_kernel, sqlite, stderr, stdout};

/// A data directory with `n` audit entries and checkpoints every 4.
fn populated(dir: &Path, n: usize) {
    let kernel = DataDir::new(dir).open_kernel(crate::shipped(), None).unwrap().with_checkpoint_every(4);
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
    assert!(stdout(&output).contains("10 entries checked"), "{}", stdout(&output));
}

// req: E17
#[test]
fn a_changed_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    tamper(dir.path()).execute("UPDATE audit_entries SET entry = replace(entry, 'case_handler', 'privacy_officer') WHERE seq = 6", []).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("entry 6 was altered"), "{}", stderr(&output));
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
        let entry = if seq == 2 { entry.replace("case_handler", "expert") } else { entry };
        let leaf = grondslag_audit::leaf_hash(entry.as_bytes());
        let chain = grondslag_audit::chain_hash(&previous, &leaf);
        db.execute("UPDATE audit_entries SET entry = ?2, leaf = ?3, chain = ?4 WHERE seq = ?1", rusqlite::params![seq, entry, leaf.0, chain.0]).unwrap();
        previous = chain;
    }
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("checkpoint at 4"), "{}", stderr(&output));
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
    assert_eq!(entries.len(), 3);
    for entry in &entries {
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
    assert_eq!(last, 1);
    // Truncating the log after the checkpoint is then detected.
    let db = tamper(dir.path());
    db.execute("DELETE FROM audit_entries WHERE seq = 1", []).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("the witnessed checkpoint says the log had 1 entries, but it holds 0"), "{}", stderr(&output));
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
    assert_eq!(verification.entries, 2 * threads * writes);
}

// req: E17
#[test]
fn a_fault_early_in_a_long_log_is_named_without_reading_on() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let db = tamper(dir.path());
    db.execute("UPDATE audit_entries SET entry = replace(entry, 'case_handler', 'privacy_officer') WHERE seq = 6", []).unwrap();
    // Far more rows than the reader may have in flight, so it would block
    // for good if the verifier stopped without telling it.
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT 11 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
         INSERT INTO audit_entries (seq, entry, leaf, chain) SELECT i, '{}', zeroblob(32), zeroblob(32) FROM n",
        [],
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
    assert!(err.contains("entry 6 was altered"), "{err}");
}

/// The whole database opened as an attacker who can write the file: every
/// append-only trigger dropped.
fn tamper_all(dir: &Path) -> rusqlite::Connection {
    let db = tamper(dir);
    db.execute_batch("DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete;").unwrap();
    db
}

// req: E17
#[test]
fn a_log_cut_short_with_its_checkpoints_fails_against_the_witness_and_gets_no_new_signature() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let witnessed = std::fs::read_to_string(dir.path().join("audit-witness.log")).unwrap();
    assert!(witnessed.contains("\n10\n"), "the closing checkpoint is witnessed:\n{witnessed}");
    let db = tamper_all(dir.path());
    db.execute_batch("DELETE FROM audit_entries WHERE seq > 6; DELETE FROM audit_checkpoints WHERE size > 6;").unwrap();
    drop(db);

    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("the witnessed checkpoint says the log had 10 entries, but it holds 6"), "{}", stderr(&output));

    // The kernel refuses to sign over the shorter log.
    let kernel = DataDir::new(dir.path()).open_kernel(crate::shipped(), None).unwrap();
    let refused = kernel.seal().unwrap_err().to_string();
    assert!(refused.contains("the witnessed checkpoint says the log had 10 entries"), "{refused}");

    // Without the witness, the database alone cannot tell: the cut passes, with a warning.
    std::fs::rename(dir.path().join("audit-witness.log"), dir.path().join("elsewhere.log")).unwrap();
    let output = verify(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("warning: no witnessed checkpoint"), "{}", stderr(&output));
    // An auditor's own copy of a checkpoint does the witness's work.
    let elsewhere = dir.path().join("elsewhere.log");
    let output = grondslag(&["audit", "verify", "--data", dir.path().to_str().unwrap(), "--checkpoint", elsewhere.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("had 10 entries, but it holds 6"), "{}", stderr(&output));
}

// req: E17
#[test]
fn a_rewritten_log_without_its_checkpoints_fails_against_the_witness() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let db = tamper_all(dir.path());
    let rows: Vec<(i64, String)> = {
        let mut s = db.prepare("SELECT seq, entry FROM audit_entries ORDER BY seq").unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    let mut previous = grondslag_audit::Hash::ZERO;
    for (seq, entry) in rows {
        let entry = if seq == 2 { entry.replace("case_handler", "expert") } else { entry };
        let leaf = grondslag_audit::leaf_hash(entry.as_bytes());
        let chain = grondslag_audit::chain_hash(&previous, &leaf);
        db.execute("UPDATE audit_entries SET entry = ?2, leaf = ?3, chain = ?4 WHERE seq = ?1", rusqlite::params![seq, entry, leaf.0, chain.0]).unwrap();
        previous = chain;
    }
    db.execute("DELETE FROM audit_checkpoints", []).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("do not match the witnessed checkpoint at 10"), "{}", stderr(&output));
}

// req: E17
#[test]
fn an_auditor_verifies_with_the_public_key_alone() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let auditor = tempfile::tempdir().unwrap();
    for file in ["grondslag.db", "audit-signing.pub", "audit-witness.log"] {
        std::fs::copy(dir.path().join(file), auditor.path().join(file)).unwrap();
    }
    let output = verify(auditor.path());
    assert!(output.status.success(), "{}", stderr(&output));
    // The three stored, and the witnessed one.
    assert!(stdout(&output).contains("4 signed checkpoints verified"), "{}", stdout(&output));
    assert!(!auditor.path().join("audit-signing.key").exists() && !auditor.path().join("master.key").exists(), "verifying made keys");

    // Another key's public half does not verify this log's checkpoints.
    let other = tempfile::tempdir().unwrap();
    populated(other.path(), 1);
    let other_key = other.path().join("audit-signing.pub");
    let output = grondslag(&["audit", "verify", "--data", auditor.path().to_str().unwrap(), "--public-key", other_key.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("carries no signature by key"), "{}", stderr(&output));
}

// req: E17, E22
#[test]
fn a_person_hidden_from_the_index_of_their_access_report_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    tamper(dir.path()).execute("UPDATE audit_entries SET subject_id = NULL WHERE seq = 5", []).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains("entry 5 is filed under another person than it names"), "{}", stderr(&output));
}

/// The hashes of a proof's JSON, from hex.
fn hashes(json: &serde_json::Value) -> Vec<grondslag_audit::Hash> {
    json.as_array().unwrap().iter().map(|h| grondslag_audit::Hash(hex::decode(h.as_str().unwrap()).unwrap().try_into().unwrap())).collect()
}

// req: E17
#[test]
fn inclusion_and_consistency_proofs_verify_against_the_signed_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let data = dir.path().to_str().unwrap();
    let keys = grondslag_audit::CheckpointVerifier::from_vkey(&std::fs::read_to_string(dir.path().join("audit-signing.pub")).unwrap()).unwrap();

    let output = grondslag(&["audit", "prove", "--entry", "3", "--data", data]);
    assert!(output.status.success(), "{}", stderr(&output));
    let proof: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let signed = keys.verify(proof["checkpoint"].as_str().unwrap()).unwrap();
    assert_eq!(signed.size, 10);
    let leaf = hashes(&serde_json::json!([proof["leaf_hash"]]))[0];
    let entry: String = sqlite(dir.path()).query_row("SELECT entry FROM audit_entries WHERE seq = 3", [], |r| r.get(0)).unwrap();
    assert_eq!(leaf, grondslag_audit::leaf_hash(entry.as_bytes()));
    let path = hashes(&proof["inclusion_path"]);
    assert_eq!(grondslag_audit::proof::verify_inclusion(&leaf, 2, 10, &path, &signed.root), Ok(()));
    assert!(grondslag_audit::proof::verify_inclusion(&grondslag_audit::leaf_hash(b"another"), 2, 10, &path, &signed.root).is_err());

    let output = grondslag(&["audit", "prove", "--from", "4", "--size", "8", "--data", data]);
    assert!(output.status.success(), "{}", stderr(&output));
    let proof: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let (first, second) = (keys.verify(proof["first_checkpoint"].as_str().unwrap()).unwrap(), keys.verify(proof["second_checkpoint"].as_str().unwrap()).unwrap());
    assert_eq!((first.size, second.size), (4, 8));
    assert_eq!(grondslag_audit::proof::verify_consistency(4, 8, &first.root, &second.root, &hashes(&proof["consistency_path"])), Ok(()));

    let output = grondslag(&["audit", "prove", "--entry", "11", "--data", data]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("entry 11 is not among the 10 entries the checkpoint signed"), "{}", stderr(&output));
    let output = grondslag(&["audit", "prove", "--from", "5", "--data", data]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("no checkpoint was signed at 5"), "{}", stderr(&output));
}

/// The sequence numbers of the entries under `processing`.
fn entries_under(dir: &Path, processing: &str) -> Vec<i64> {
    let db = sqlite(dir);
    let mut s = db.prepare("SELECT seq FROM audit_entries WHERE entry LIKE ?1 ORDER BY seq").unwrap();
    s.query_map([format!("%\"processing\":\"{processing}\"%")], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

// req: E16, I3
#[test]
fn a_camera_viewing_entry_is_forgotten_after_six_months_and_the_log_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let t0: jiff::Timestamp = "2026-01-10T10:00:00Z".parse().unwrap();
    {
        let kernel = open_kernel(dir.path()).with_checkpoint_every(3);
        let at = |role: Role| grondslag_kernel::Access::new(format!("test.{role}"), role, "test", t0);
        let camera = kernel.processing("camera").unwrap();
        let footage = kernel.write(&at(Role::FacilitySecurity), camera, None, None, &[(Category::FootageMeta, Value::text("hal, camera 2"))]).unwrap();
        kernel.read(&at(Role::FacilitySecurity), camera, &footage.subject, grondslag_register::CategorySet::of(&[Category::FootageMeta])).unwrap();
        let physical = kernel.processing("fysieke_schade").unwrap();
        kernel.write(&at(Role::CaseHandler), physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap();
    }
    let camera_entries = entries_under(dir.path(), "camera");
    assert_eq!(camera_entries.len(), 2);
    let data = dir.path().to_str().unwrap();
    let run = |now: &str| grondslag(&["retention", "run", "--now", now, "--data", data]);

    // A day before the six months are up, nothing is forgotten.
    let output = run("2026-07-09T10:00:00Z");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("0 audit entr(y/ies) forgotten"), "{}", stdout(&output));
    // A day after, the camera entries are; the dossier's (kept for good) is not.
    let output = run("2026-07-11T10:00:00Z");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("2 audit entr(y/ies) forgotten"), "{}", stdout(&output));
    let db = sqlite(dir.path());
    for seq in &camera_entries {
        let (entry, subject): (String, Option<String>) = db.query_row("SELECT entry, subject_id FROM audit_entries WHERE seq = ?1", [seq], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!((entry.as_str(), subject), ("", None), "entry {seq}");
    }
    assert_eq!(entries_under(dir.path(), "fysieke_schade").len(), 1);
    let forgetting: String = db.query_row("SELECT entry FROM audit_entries WHERE entry LIKE '%\"action\":\"forget\"%'", [], |r| r.get(0)).unwrap();
    let forgetting = grondslag_kernel::parse_entry(&forgetting).unwrap();
    assert_eq!((forgetting.processing.as_str(), forgetting.object.as_str()), ("camera_protocol", format!("audit:{}-{}", camera_entries[0], camera_entries[1]).as_str()));

    // The chain and every checkpoint, signed before and after, still verify.
    let output = verify(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("(2 forgotten after their term)"), "{}", stdout(&output));

    // Emptying an entry by hand, as the forgetting does but without its record, is caught.
    let dossier = entries_under(dir.path(), "fysieke_schade")[0];
    db.execute("UPDATE audit_entries SET entry = '', subject_id = NULL WHERE seq = ?1", [dossier]).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&format!("entry {dossier} was emptied, but no later entry records forgetting it")), "{}", stderr(&output));
}
