use std::path::Path;

use grondslag_kernel::{DataDir, KernelError, SubjectId, Value};
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

/// Changes `from` to `to` in an entry's JSON and stores it packed again, as
/// someone who can write the database could.
fn alter_entry(db: &rusqlite::Connection, seq: i64, from: &str, to: &str) {
    let stored: Vec<u8> = db.query_row("SELECT entry FROM audit_entries WHERE seq = ?1", [seq], |r| r.get(0)).unwrap();
    let altered = grondslag_store::unpack_audit_entry(&stored).replace(from, to);
    assert_ne!(grondslag_store::unpack_audit_entry(&stored), altered, "entry {seq} has no {from}");
    db.execute("UPDATE audit_entries SET entry = ?2 WHERE seq = ?1", rusqlite::params![seq, grondslag_store::pack_audit_entry(&altered).unwrap()]).unwrap();
}

fn verify(dir: &Path) -> std::process::Output {
    grondslag(&["audit", "verify", "--data", dir.to_str().unwrap()])
}

/// The chain and position of the entry numbered `seq`.
fn place(dir: &Path, seq: i64) -> (i64, i64) {
    sqlite(dir).query_row("SELECT chain_no, chain_position FROM audit_entries WHERE seq = ?1", [seq], |r| Ok((r.get(0)?, r.get(1)?))).unwrap()
}

/// The chain of `subject`'s entries and the position of the last of them.
fn subject_head(dir: &Path, subject: &SubjectId) -> (i64, i64) {
    sqlite(dir)
        .query_row("SELECT chain_no, max(chain_position) FROM audit_entries WHERE subject_id = ?1", [subject.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
}

/// The sizes of the checkpoints of `chain`, in order.
fn checkpoint_sizes(dir: &Path, chain: i64) -> Vec<i64> {
    let db = sqlite(dir);
    let mut statement = db.prepare("SELECT size FROM audit_checkpoints WHERE chain_no = ?1 ORDER BY size").unwrap();
    statement.query_map([chain], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
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

// req: E17, INV2
#[test]
fn a_unit_whose_entries_pass_several_checkpoints_has_each_signed() {
    // A unit's entries reach the store together; where a checkpoint falls
    // among them, the rows before it must be stored before it is signed,
    // or the checkpoint finds the log short and signs nothing. Once by the
    // kernel that wrote the chain (it signs from the tail it keeps), once
    // by a kernel opened afterwards (it reads the rows back).
    let dir = tempfile::tempdir().unwrap();
    let handler = access(Role::CaseHandler);
    let list_and_check = |kernel: &grondslag_kernel::Kernel, anna: &SubjectId, listing: &str| {
        let physical = kernel.processing("fysieke_schade").unwrap();
        let (chain, before) = subject_head(dir.path(), anna);
        // Seven cases listed: seven entries of her chain in one unit.
        assert_eq!(kernel.list(&handler, physical, None, 0, 50).unwrap().len(), 7);
        let (_, after) = subject_head(dir.path(), anna);
        assert_eq!(after - before, 7);
        let signed = checkpoint_sizes(dir.path(), chain);
        let due: Vec<i64> = (before + 1..=after).filter(|size| size % 3 == 0).collect();
        assert!(due.len() >= 2, "{listing}: the list's entries should pass two checkpoints: {before}..{after}");
        for size in due {
            assert!(signed.contains(&size), "{listing}: no checkpoint of chain {chain} at {size} among {signed:?}");
        }
    };
    let anna = {
        let kernel = open_kernel(dir.path()).with_checkpoint_every(3);
        let physical = kernel.processing("fysieke_schade").unwrap();
        // Seven cases of one person: their entries go to one chain.
        let anna = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna 0"))]).unwrap().subject;
        for i in 1..7 {
            kernel.write(&handler, physical, Some(&anna), None, &[(Category::Name, Value::text(format!("Anna {i}")))]).unwrap();
        }
        list_and_check(&kernel, &anna, "the kernel that wrote the chain");
        anna
    };
    list_and_check(&open_kernel(dir.path()).with_checkpoint_every(3), &anna, "a kernel opened afterwards");
    let output = verify(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
}

// req: E17
#[test]
fn a_changed_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let changed = opened() + 6;
    alter_entry(&tamper(dir.path()), changed, "case_handler", "privacy_officer");
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&format!("entry {changed} was altered")), "{}", stderr(&output));
}

// req: E17
#[test]
fn a_damaged_packed_entry_is_named_as_altered() {
    let flip = |stored: &mut Vec<u8>| {
        let middle = stored.len() / 2;
        stored[middle] ^= 0x20;
    };
    let cut = |stored: &mut Vec<u8>| stored.truncate(stored.len() / 2);
    for damage in [&flip as &dyn Fn(&mut Vec<u8>), &cut] {
        let dir = tempfile::tempdir().unwrap();
        populated(dir.path(), 10);
        let db = tamper(dir.path());
        let damaged = opened() + 4;
        let mut stored: Vec<u8> = db.query_row("SELECT entry FROM audit_entries WHERE seq = ?1", [damaged], |r| r.get(0)).unwrap();
        assert!(stored.len() * 3 < grondslag_store::unpack_audit_entry(&stored).len(), "entry {damaged} is stored packed");
        damage(&mut stored);
        db.execute("UPDATE audit_entries SET entry = ?2 WHERE seq = ?1", rusqlite::params![damaged, stored]).unwrap();
        let output = verify(dir.path());
        assert!(!output.status.success());
        assert!(stderr(&output).contains(&format!("entry {damaged} was altered")), "{}", stderr(&output));
    }
}

// req: E17
#[test]
fn a_removed_entry_is_named() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let removed = opened() + 3;
    let (chain, position) = place(dir.path(), removed);
    tamper(dir.path()).execute("DELETE FROM audit_entries WHERE seq = ?1", [removed]).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    let expected = format!("chain {chain}: entry {} is at position {} where position {position} was due", removed + 1, position + 1);
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}

// req: E17
#[test]
fn reordered_entries_are_named() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    // Swap the places of two entries in their chain, content and hashes kept.
    let (first, second) = (opened() + 7, opened() + 8);
    let ((chain, position), (_, next)) = (place(dir.path(), first), place(dir.path(), second));
    assert_eq!(next, position + 1, "one person's entries follow each other in her chain");
    let db = tamper(dir.path());
    db.execute("UPDATE audit_entries SET chain_position = -1 WHERE seq = ?1", [first]).unwrap();
    db.execute("UPDATE audit_entries SET chain_position = ?2 WHERE seq = ?1", [second, position]).unwrap();
    db.execute("UPDATE audit_entries SET chain_position = ?2 WHERE seq = ?1", [first, next]).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    // Read in the order written, the first arrives where the second was due.
    let expected = format!("chain {chain}: entry {first} is at position {next} where position {position} was due");
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
}

/// Alters the second entry after those the directory opened with and
/// recomputes every hash of its chain after it, as an attacker with write
/// access to the database but not the signing key would. Returns its chain
/// and position.
fn rewrite_second_entry(db: &rusqlite::Connection) -> (i64, i64) {
    let altered = opened() + 2;
    let (chain, position): (i64, i64) =
        db.query_row("SELECT chain_no, chain_position FROM audit_entries WHERE seq = ?1", [altered], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    let rows: Vec<(i64, String)> = {
        let mut s = db.prepare("SELECT seq, entry FROM audit_entries WHERE chain_no = ?1 ORDER BY chain_position").unwrap();
        s.query_map([chain], |r| Ok((r.get(0)?, grondslag_store::unpack_audit_entry(r.get_ref(1)?.as_bytes()?)))).unwrap().map(Result::unwrap).collect()
    };
    let mut previous = grondslag_audit::Hash::ZERO;
    for (seq, entry) in rows {
        let entry = if seq == altered { entry.replace("case_handler", "expert") } else { entry };
        let leaf = grondslag_audit::leaf_hash(entry.as_bytes());
        let link = grondslag_audit::chain_hash(&previous, &leaf);
        let stored = grondslag_store::pack_audit_entry(&entry).unwrap();
        db.execute("UPDATE audit_entries SET entry = ?2, leaf = ?3, chain = ?4 WHERE seq = ?1", rusqlite::params![seq, stored, leaf.0, link.0]).unwrap();
        previous = link;
    }
    (chain, position)
}

// req: E17, INV2
#[test]
fn checkpoints_after_a_load_rolled_back_are_signed_over_what_the_store_holds() {
    // The kernel signs a checkpoint over the leaves it hashed as it made the
    // rows, kept in memory. A held load that fails takes its group's rows
    // and checkpoints back out of the store after they were made; the
    // checkpoints signed afterwards must cover the rows the store holds.
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path()).with_checkpoint_every(4);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let anna = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap().subject;
    let head = || subject_head(dir.path(), &anna);
    let (chain, before) = head();
    // Someone whose entries go to another chain, so that the refusal's own
    // line, appended after the rollback, leaves Anna's chain alone.
    let other = (1..)
        .map(|i| kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text(format!("Bob {i}")))]).unwrap().subject)
        .find(|bob| subject_head(dir.path(), bob).0 != chain)
        .unwrap();
    let failed = kernel.loading(std::num::NonZeroUsize::new(100).unwrap(), || {
        for i in 0..9 {
            kernel.write(&handler, physical, Some(&anna), None, &[(Category::Name, Value::text(format!("Anna {i}")))])?;
        }
        // Communications may not write a damage file: the load stops here.
        kernel.write(&access(Role::Communications), physical, Some(&other), None, &[(Category::Name, Value::text("Bob"))])
    });
    assert!(matches!(failed, Err(KernelError::Denied { .. })), "{failed:?}");
    let (_, rolled_back) = head();
    assert_eq!(rolled_back, before, "the load's nine writes should be gone");
    assert!(checkpoint_sizes(dir.path(), chain).iter().all(|size| *size <= rolled_back), "a checkpoint of the rolled-back rows is left");
    for i in 0..9 {
        kernel.write(&handler, physical, Some(&anna), None, &[(Category::Name, Value::text(format!("Bea {i}")))]).unwrap();
    }
    let (_, after) = head();
    let due: Vec<i64> = (rolled_back + 1..=after).filter(|size| size % 4 == 0).collect();
    assert!(due.len() >= 2, "the writes after the load should pass two checkpoints: {rolled_back}..{after}");
    let signed = checkpoint_sizes(dir.path(), chain);
    for size in due {
        assert!(signed.contains(&size), "no checkpoint of chain {chain} at {size} among {signed:?}");
    }
    drop(kernel);
    let output = verify(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
}

// req: E17
#[test]
fn a_rewritten_chain_is_caught_by_the_signed_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let (chain, position) = rewrite_second_entry(&tamper(dir.path()));
    let output = verify(dir.path());
    assert!(!output.status.success());
    // The chain's first checkpoint after the altered entry: sizes are multiples of 4.
    let checkpoint = (position + 3) / 4 * 4;
    assert!(stderr(&output).contains(&format!("chain {chain}: entries 1 to {checkpoint} do not match the signed checkpoint")), "{}", stderr(&output));
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
    let entries = crate::audit_json(dir.path(), "SELECT entry FROM audit_entries ORDER BY seq", []);
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
    let (chain, last) = place(dir.path(), opened() + 1);
    assert_eq!(checkpoint_sizes(dir.path(), chain).last(), Some(&last));
    // Truncating the log after the checkpoint is then detected.
    let db = tamper(dir.path());
    db.execute("DELETE FROM audit_entries WHERE seq = ?1", [opened() + 1]).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    let expected = format!("chain {chain}: the witnessed checkpoint says the log had {last} entries, but it holds {}", last - 1);
    assert!(stderr(&output).contains(&expected), "{}", stderr(&output));
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
fn the_first_fault_of_each_chain_is_named_and_a_long_log_does_not_stall_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let db = tamper(dir.path());
    let changed = opened() + 6;
    let (chain, _) = place(dir.path(), changed);
    alter_entry(&db, changed, "case_handler", "privacy_officer");
    // Far more rows than the reader may have in flight, so it would block
    // for good if the verifier stopped without telling it; in a chain of
    // their own, whose first fault is named as well.
    let (junk, first_junk) = (99, opened() + 11);
    db.execute(
        "WITH RECURSIVE n(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
         INSERT INTO audit_entries (seq, chain_no, chain_position, entry, leaf, chain) SELECT i, ?2, i - ?1 + 1, '{}', zeroblob(32), zeroblob(32) FROM n",
        [first_junk, junk],
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
    assert!(err.contains(&format!("chain {chain}: entry {changed} was altered")), "{err}");
    assert!(err.contains(&format!("chain {junk}: entry {first_junk} was altered")), "{err}");
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
    let ((chain, last), (_, cut)) = (place(dir.path(), opened() + 10), place(dir.path(), opened() + 6));
    let witnessed = std::fs::read_to_string(dir.path().join("audit-witness.log")).unwrap();
    assert!(witnessed.contains(&format!("\nchain {chain} {last} ")), "the closing checkpoint is witnessed as the chain's head:\n{witnessed}");
    let db = tamper_all(dir.path());
    db.execute("DELETE FROM audit_entries WHERE chain_no = ?1 AND chain_position > ?2", [chain, cut]).unwrap();
    db.execute("DELETE FROM audit_checkpoints WHERE chain_no = ?1 AND size > ?2", [chain, cut]).unwrap();
    drop(db);

    let shorter = format!("chain {chain}: the witnessed checkpoint says the log had {last} entries, but it holds {cut}");
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&shorter), "{}", stderr(&output));

    // The kernel refuses to sign over the shorter log.
    let kernel = DataDir::new(dir.path()).open_kernel(crate::shipped(), None, jiff::Timestamp::now()).unwrap();
    let refused = kernel.seal().unwrap_err().to_string();
    assert!(refused.contains(&shorter), "{refused}");

    // Without the witness, the database alone cannot tell: the cut passes, with a warning.
    std::fs::rename(dir.path().join("audit-witness.log"), dir.path().join("elsewhere.log")).unwrap();
    let output = verify(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("warning: no witnessed checkpoint"), "{}", stderr(&output));
    // An auditor's own copy of a checkpoint does the witness's work.
    let elsewhere = dir.path().join("elsewhere.log");
    let output = grondslag(&["audit", "verify", "--data", dir.path().to_str().unwrap(), "--checkpoint", elsewhere.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&shorter), "{}", stderr(&output));
}

// req: E17
#[test]
fn a_rewritten_log_without_its_checkpoints_fails_against_the_witness() {
    let dir = tempfile::tempdir().unwrap();
    populated(dir.path(), 10);
    let db = tamper_all(dir.path());
    let (chain, _) = rewrite_second_entry(&db);
    db.execute("DELETE FROM audit_checkpoints", []).unwrap();
    let (_, last) = place(dir.path(), opened() + 10);
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&format!("chain {chain}: entries 1 to {last} do not match the witnessed checkpoint at {last}")), "{}", stderr(&output));
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
    // Those stored (every 4 entries of a chain after the kernel was opened,
    // and each chain's closing one), and the witnessed head of each chain.
    let db = sqlite(dir.path());
    let stored: usize = db.query_row("SELECT count(*) FROM audit_checkpoints", [], |r| r.get(0)).unwrap();
    let chains: usize = db.query_row("SELECT count(DISTINCT chain_no) FROM audit_entries", [], |r| r.get(0)).unwrap();
    assert!(chains >= 2 || place(dir.path(), opened() + 1).0 == 0, "the opening entries are chain 0's, Anna's her chain's");
    assert!(stdout(&output).contains(&format!("{} signed checkpoints verified", stored + chains)), "{}", stdout(&output));
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
    let hidden = opened() + 5;
    tamper(dir.path()).execute("UPDATE audit_entries SET subject_id = NULL WHERE seq = ?1", [hidden]).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&format!("entry {hidden} is filed under another person than it names")), "{}", stderr(&output));
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

    let (chain, last) = place(dir.path(), opened() + 10);
    let last = last as u64;
    let entry = opened() + 3;
    let (_, position) = place(dir.path(), entry);
    let output = grondslag(&["audit", "prove", "--entry", &entry.to_string(), "--data", data]);
    assert!(output.status.success(), "{}", stderr(&output));
    let proof: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let signed = keys.verify(proof["checkpoint"].as_str().unwrap()).unwrap();
    assert_eq!((signed.size, i64::from(signed.chain.number()), proof["chain"].as_i64()), (last, chain, Some(chain)));
    let leaf = hashes(&serde_json::json!([proof["leaf_hash"]]))[0];
    let stored = crate::audit_json(dir.path(), "SELECT entry FROM audit_entries WHERE seq = ?1", [entry]);
    assert_eq!(leaf, grondslag_audit::leaf_hash(stored[0].as_bytes()));
    let (index, path) = (position as u64 - 1, hashes(&proof["inclusion_path"]));
    assert_eq!(grondslag_audit::proof::verify_inclusion(&leaf, index, last, &path, &signed.root), Ok(()));
    assert!(grondslag_audit::proof::verify_inclusion(&grondslag_audit::leaf_hash(b"another"), index, last, &path, &signed.root).is_err());

    // Between the chain's first two checkpoints signed every 4 entries.
    let first_size = checkpoint_sizes(dir.path(), chain)[0] as u64;
    let (from, to, on) = (first_size.to_string(), (first_size + 4).to_string(), chain.to_string());
    let output = grondslag(&["audit", "prove", "--chain", &on, "--from", &from, "--size", &to, "--data", data]);
    assert!(output.status.success(), "{}", stderr(&output));
    let proof: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let (first, second) =
        (keys.verify(proof["first_checkpoint"].as_str().unwrap()).unwrap(), keys.verify(proof["second_checkpoint"].as_str().unwrap()).unwrap());
    assert_eq!((first.size, second.size), (first_size, first_size + 4));
    let consistency = hashes(&proof["consistency_path"]);
    assert_eq!(grondslag_audit::proof::verify_consistency(first.size, second.size, &first.root, &second.root, &consistency), Ok(()));

    let beyond = (opened() + 11).to_string();
    let output = grondslag(&["audit", "prove", "--entry", &beyond, "--data", data]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&format!("the log holds no entry {beyond}")), "{}", stderr(&output));
    let unsigned = (first_size + 1).to_string();
    let output = grondslag(&["audit", "prove", "--chain", &on, "--from", &unsigned, "--data", data]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&format!("no checkpoint of chain {chain} was signed at {unsigned}")), "{}", stderr(&output));
}

/// How a record of forgetting names entries of `chain`.
fn forgetting_prefix(chain: i64) -> String {
    if chain == 0 { "audit:".to_string() } else { format!("audit/{chain}:") }
}

/// The sequence numbers of the entries of access under `processing` (not
/// the register's versions of it).
fn entries_under(dir: &Path, processing: &str) -> Vec<i64> {
    let under = format!("\"processing\":\"{processing}\"");
    crate::audit_log(dir)
        .into_iter()
        .filter(|(_, entry)| entry.contains(&under) && !entry.contains("\"action\":\"register_version\""))
        .map(|(seq, _)| seq)
        .collect()
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
        let (entry, subject): (Vec<u8>, Option<String>) =
            db.query_row("SELECT entry, subject_id FROM audit_entries WHERE seq = ?1", [seq], |r| Ok((r.get_ref(0)?.as_bytes()?.to_vec(), r.get(1)?))).unwrap();
        assert_eq!((entry.as_slice(), subject), (&b""[..], None), "entry {seq}");
    }
    assert_eq!(entries_under(dir.path(), "fysieke_schade").len(), 1);
    let forgetting = crate::audit_json(dir.path(), "SELECT entry FROM audit_entries", []).into_iter().find(|e| e.contains("\"action\":\"forget\"")).unwrap();
    let forgetting = grondslag_kernel::parse_entry(&forgetting).unwrap();
    assert_eq!(
        (forgetting.processing.as_str(), forgetting.object.as_str()),
        ("camera_protocol", format!("{}{}-{}", forgetting_prefix(place(dir.path(), camera_entries[0]).0), camera_entries[0], camera_entries[1]).as_str())
    );

    // The chain and every checkpoint, signed before and after, still verify.
    let output = verify(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("(2 forgotten after their term)"), "{}", stdout(&output));
    // A forgotten entry is shown as such, and still proved to be in the log.
    let output = grondslag(&["audit", "prove", "--entry", &camera_entries[0].to_string(), "--data", data]);
    assert!(output.status.success(), "{}", stderr(&output));
    let proof: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(proof["forgotten"], true);
    let dossier = entries_under(dir.path(), "fysieke_schade")[0];
    let output = grondslag(&["audit", "prove", "--entry", &dossier.to_string(), "--data", data]);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&stdout(&output)).unwrap()["forgotten"], false);

    // Emptying an entry by hand, as the forgetting does but without its record, is caught.
    db.execute("UPDATE audit_entries SET entry = '', subject_id = NULL WHERE seq = ?1", [dossier]).unwrap();
    let output = verify(dir.path());
    assert!(!output.status.success());
    assert!(stderr(&output).contains(&format!("entry {dossier} was emptied, but no later entry records forgetting it")), "{}", stderr(&output));
}

// req: E17
#[test]
fn each_persons_entries_stay_in_one_chain_and_the_witness_holds_every_chains_head() {
    let dir = tempfile::tempdir().unwrap();
    {
        let kernel = open_kernel(dir.path());
        let physical = kernel.processing("fysieke_schade").unwrap();
        let handler = access(Role::CaseHandler);
        for i in 0..40 {
            let subject = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text(format!("Aanvrager {i}")))]).unwrap().subject;
            kernel.read(&handler, physical, &subject, grondslag_register::CategorySet::of(&[Category::Name])).unwrap();
        }
    }
    let db = sqlite(dir.path());
    let chains_per_person: Vec<i64> = {
        let mut statement = db.prepare("SELECT count(DISTINCT chain_no) FROM audit_entries WHERE subject_id IS NOT NULL GROUP BY subject_id").unwrap();
        statement.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(chains_per_person.len(), 40);
    assert!(chains_per_person.iter().all(|n| *n == 1), "{chains_per_person:?}");
    let heads: Vec<(i64, i64)> = {
        let mut statement = db.prepare("SELECT chain_no, max(chain_position) FROM audit_entries GROUP BY chain_no ORDER BY chain_no").unwrap();
        statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    assert!(heads.len() > 4, "forty people spread over the chains: {heads:?}");
    // The witness's last note is the combined checkpoint over every chain's head.
    let witnessed = std::fs::read_to_string(dir.path().join("audit-witness.log")).unwrap();
    let keys = grondslag_audit::CheckpointVerifier::from_vkey(&std::fs::read_to_string(dir.path().join("audit-signing.pub")).unwrap()).unwrap();
    let combined = grondslag_kernel::witnessed_heads(&witnessed, &keys).unwrap();
    let listed: Vec<(i64, i64)> = combined.heads.iter().map(|head| (i64::from(head.chain.number()), head.size as i64)).collect();
    assert_eq!(listed, heads);
    assert_eq!(combined.total as i64, heads.iter().map(|(_, size)| size).sum::<i64>());
    let output = verify(dir.path());
    assert!(output.status.success(), "{}", stderr(&output));
}
