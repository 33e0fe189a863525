//! The conformance suite: every store-level test, written once, run on
//! SQLite always and on PostgreSQL when `GRONDSLAG_TEST_DATABASE_URL` names
//! a server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`). Each
//! PostgreSQL run gets a fresh database, dropped afterwards.
//!
//! A test takes an opener: each call opens one more store on the same
//! database, as another node (or process) would.

// Helpers outside `#[test]` fns (openers, fixtures, assertions) are test code
// too, but clippy's allow-*-in-tests only covers the test fns themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::Ordering;

use grondslag_audit::{Chain, Hash, Row, chain_hash, leaf_hash};
use grondslag_store::{BlobId, BlobStore, DisclosureRow, Durable, EventRow, FieldPut, Reach, RecordId, SessionRow, Store, StoreError, SubjectId, Tx};

type Open<'a> = &'a dyn Fn() -> Box<dyn Store>;

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let path: std::path::PathBuf = dir.path().join("grondslag.db");
                    super::$name(&move || Box::new(grondslag_store::SqliteStore::open(&path).unwrap()));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some(database) = grondslag_store::ScratchDatabase::for_tests().unwrap() else { return };
                    let url = database.url().to_string();
                    super::$name(&move || Box::new(grondslag_store::PostgresStore::open(&url).unwrap()));
                }
            )*
        }
    };
}

conformance!(
    subjects_fields_and_blind_index,
    erasure_removes_what_it_counts,
    records_references_events_and_lists,
    moments_round_trip_to_the_nanosecond,
    audit_rows_and_checkpoints,
    audit_entries_are_forgotten_but_never_rewritten,
    many_audit_rows_are_appended_together_or_not_at_all,
    audit_appends_from_two_nodes_leave_every_chain_unbroken,
    audit_chains_are_kept_apart,
    checkpoints_and_nodes_are_kept_per_chain,
    a_taken_place_in_a_chain_is_refused,
    due_dates_holds_and_reviews,
    two_sweeps_take_each_due_item_once,
    sessions_expire_and_end_per_account,
    settings_and_sequences,
    a_failed_transaction_leaves_nothing,
    schema_is_migrated_once_and_reopens,
    relations_reach_records_and_go_with_them,
    a_transaction_reads_again_what_it_changed_of_subjects_and_records,
);

fn at(text: &str) -> jiff::Timestamp {
    text.parse().unwrap()
}

fn run(store: &dyn Store, mut work: impl FnMut(&mut dyn Tx) -> Result<(), StoreError>) {
    store.transaction(&mut |tx| work(tx)).unwrap();
}

/// A subject with one record under `processing`.
fn subject_with_record(tx: &mut dyn Tx, processing: &str, now: jiff::Timestamp) -> Result<(SubjectId, RecordId), StoreError> {
    let (subject, record) = (SubjectId::random(), RecordId::random());
    tx.insert_subject(&subject, b"wrapped", now)?;
    tx.upsert_record(&record, &subject, processing, now)?;
    Ok((subject, record))
}

/// Chain 0: entries about no one, and every entry written before the split.
fn chain_0() -> Chain {
    Chain::new(0)
}

/// The row numbered `seq` that follows `previous` in `chain` (the position
/// and link of the chain's last row, `None` for its first), chained as the
/// kernel chains rows.
fn next_row(seq: u64, chain: Chain, previous: Option<(u64, Hash)>, text: &str, subject: Option<&SubjectId>) -> Row {
    let (position, link) = previous.unwrap_or((0, Hash::ZERO));
    let leaf = leaf_hash(text.as_bytes());
    Row { seq, chain, position: position + 1, entry: text.to_string(), leaf, link: chain_hash(&link, &leaf), subject: subject.map(ToString::to_string) }
}

/// The row that goes next in `chain`: the chain taken, given the next
/// number, placed after the chain's head, as the kernel does.
fn following(tx: &mut dyn Tx, chain: Chain, text: &str, subject: Option<&SubjectId>) -> Result<Row, StoreError> {
    let taken = tx.take_chains(&[chain], 1)?;
    let head = taken.heads.first().map(|&(_, position, link)| (position, link));
    Ok(next_row(taken.seqs[0], chain, head, text, subject))
}

/// The largest `seq` stored, over every chain.
fn last_seq(tx: &mut dyn Tx) -> Result<u64, StoreError> {
    let mut last = 0;
    for chain in 0..Chain::COUNT {
        last = tx.audit_rows_after(Chain::new(chain), 0)?.iter().map(|row| row.seq).fold(last, u64::max);
    }
    Ok(last)
}

/// Appends the row that goes next in `chain`.
fn append(tx: &mut dyn Tx, chain: Chain, text: &str, subject: Option<&SubjectId>) -> Result<Row, StoreError> {
    let row = following(tx, chain, text, subject)?;
    tx.append_audit(&[(row.clone(), None)])?;
    Ok(row)
}

/// Every audit row, chain by chain: `Store::audit_rows` visits them by
/// `seq`, each chain checked to run from position 1 without gaps in that
/// order, each row linked to the one before it in its chain; and no
/// sequence number twice.
fn whole_log(store: &dyn Store) -> Vec<Row> {
    let mut visited: Vec<Row> = Vec::new();
    store
        .audit_rows(0, &mut |row| {
            visited.push(row);
            Ok(())
        })
        .unwrap();
    assert!(visited.windows(2).all(|pair| pair[0].seq < pair[1].seq), "not visited by seq");
    let mut heads: std::collections::BTreeMap<Chain, (u64, Hash)> = std::collections::BTreeMap::new();
    for row in &visited {
        let (position, previous) = heads.get(&row.chain).copied().unwrap_or((0, Hash::ZERO));
        assert_eq!(row.position, position + 1, "a gap or a fork in {}", row.chain);
        assert_eq!(row.link, chain_hash(&previous, &row.leaf), "row {} does not link to the one before it in {}", row.seq, row.chain);
        heads.insert(row.chain, (row.position, row.link));
    }
    visited.sort_by_key(|row| (row.chain, row.position));
    visited
}

// req: INV3
fn subjects_fields_and_blind_index(open: Open<'_>) {
    let store = open();
    let now = at("2026-11-29T10:00:00Z");
    let blob = BlobId::random();
    let (mut anna, mut bert) = (None, None);
    run(&*store, |tx| {
        let (a, record) = subject_with_record(tx, "schade", now)?;
        tx.put_fields(&record, &[field("name", b"sealed-name", None, 1), field("photo", b"sealed-ref", Some(&blob), 1)])?;
        tx.put_fields(&record, &[field("name", b"sealed-name-2", None, 2)])?;
        tx.set_blind_index("bsn", b"digest-a", &a)?;
        let (b, _) = subject_with_record(tx, "nieuwsbrief", now)?;
        tx.set_blind_index("bsn", b"digest-b", &b)?;
        anna = Some((a, record));
        bert = Some(b);
        Ok(())
    });
    let ((anna, record), bert) = (anna.unwrap(), bert.unwrap());
    run(&*store, |tx| {
        let fields = tx.fields(&anna, None)?;
        assert_eq!(fields.len(), 2);
        assert_eq!((fields[0].category.as_str(), fields[0].value.as_slice(), &fields[0].blob), ("name", &b"sealed-name-2"[..], &None));
        assert_eq!((fields[1].category.as_str(), fields[1].blob.as_ref()), ("photo", Some(&blob)));
        assert_eq!(fields[0].record, record);
        assert_eq!((fields[0].version, fields[1].version), (2, 1));
        let mut versions = tx.field_versions(&record)?;
        versions.sort();
        assert_eq!(versions, vec![("name".to_string(), 2, None), ("photo".to_string(), 1, Some(blob.clone()))]);
        assert_eq!(tx.record_fields(&record)?, fields);
        assert!(tx.fields(&anna, Some("nieuwsbrief"))?.is_empty());
        assert_eq!(tx.find_blind_index("bsn", b"digest-a")?, Some(anna.clone()));
        // A corrected BSN replaces the old entry, which no longer finds anyone.
        assert!(tx.set_blind_index("bsn", b"digest-a2", &anna)?);
        // Someone else's is not taken over.
        assert!(!tx.set_blind_index("bsn", b"digest-b", &anna)?);
        assert_eq!(tx.find_blind_index("bsn", b"digest-a")?, None);
        assert_eq!(tx.find_blind_index("bsn", b"digest-a2")?, Some(anna.clone()));
        assert_eq!(tx.find_blind_index("bsn", b"digest-b")?, Some(bert.clone()));
        let subject = tx.subject(&anna)?.unwrap();
        assert_eq!((subject.wrapped_key.as_slice(), subject.restricted), (&b"wrapped"[..], false));
        assert!(tx.set_restricted(&anna, true)?);
        assert!(tx.subject(&anna)?.unwrap().restricted);
        // Asked for a page at once: only the restricted among those named.
        assert_eq!(tx.restricted_among(&[bert.clone(), anna.clone(), SubjectId::random()])?, vec![anna.clone()]);
        assert_eq!(tx.restricted_among(std::slice::from_ref(&bert))?, []);
        assert_eq!(tx.restricted_among(&[])?, []);
        assert!(!tx.set_restricted(&SubjectId::random(), true)?);
        assert_eq!(tx.subject(&SubjectId::random())?, None);
        Ok(())
    });
}

// req: E22
fn erasure_removes_what_it_counts(open: Open<'_>) {
    let store = open();
    let now = at("2026-11-29T10:00:00Z");
    let blob = BlobId::random();
    run(&*store, |tx| {
        let (subject, first) = subject_with_record(tx, "schade", now)?;
        let second = RecordId::random();
        tx.upsert_record(&second, &subject, "schade", now)?;
        tx.put_fields(&first, &[field("name", b"x", None, 1)])?;
        tx.put_fields(&first, &[field("photo", b"y", Some(&blob), 1)])?;
        tx.put_fields(&second, &[field("name", b"z", None, 1)])?;
        tx.set_blind_index("bsn", b"d", &subject)?;
        tx.add_record_index("schade", "address", b"a", &second)?;
        tx.set_due(&second, &subject, "schade", Some(now), false)?;

        let erased = tx.erase_records(std::slice::from_ref(&first))?;
        assert_eq!((erased.records, erased.fields, erased.blobs.clone()), (1, 2, vec![blob.clone()]));
        assert_eq!(tx.records_of(&subject)?, 1);
        let erased = tx.erase_subject(&subject)?;
        assert_eq!((erased.records, erased.fields, erased.blobs.len()), (1, 1, 0));
        assert_eq!(tx.records_of(&subject)?, 0);
        assert_eq!(tx.subject(&subject)?, None);
        assert_eq!(tx.find_blind_index("bsn", b"d")?, None);
        assert!(tx.find_record_index("schade", "address", b"a")?.is_empty());
        assert!(tx.due_records(now, 10)?.is_empty());
        // Erasing again (a resumed erasure) finds nothing and fails nothing.
        assert_eq!(tx.erase_records(std::slice::from_ref(&first))?.records, 0);

        // Set-wise, as the sweep does: three people's records at once; only
        // the keys of those left without records go.
        let (anna, a) = subject_with_record(tx, "schade", now)?;
        let (bert, b) = subject_with_record(tx, "schade", now)?;
        let (carla, c) = subject_with_record(tx, "schade", now)?;
        let kept = RecordId::random();
        tx.upsert_record(&kept, &carla, "schade", now)?;
        tx.set_blind_index("bsn", b"anna", &anna)?;
        tx.put_fields(&a, &[field("photo", b"p", Some(&blob), 1)])?;
        let erased = tx.erase_records(&[a, b, c])?;
        assert_eq!((erased.records, erased.fields, erased.blobs), (3, 1, vec![blob.clone()]));
        assert_eq!(tx.erase_subjects_without_records(&[anna.clone(), bert.clone(), carla.clone()])?, 2);
        assert_eq!((tx.subject(&anna)?, tx.subject(&bert)?), (None, None));
        assert!(tx.subject(&carla)?.is_some(), "Carla still has a record");
        assert_eq!(tx.find_blind_index("bsn", b"anna")?, None);
        assert_eq!(tx.erase_records(&[])?.records, 0);
        Ok(())
    });
}

// A transaction reads a subject and a record's owner once and keeps them
// (the kernel asks on every call of a unit); what it then changes of them
// must be what it reads next, or a restriction, a new key or an erasure
// would go unseen for the rest of the unit.
// req: E22, INV3
fn a_transaction_reads_again_what_it_changed_of_subjects_and_records(open: Open<'_>) {
    let store = open();
    let now = at("2026-11-29T10:00:00Z");
    run(&*store, |tx| {
        let (anna, record) = subject_with_record(tx, "schade", now)?;
        assert_eq!(tx.subject(&anna)?.map(|row| (row.wrapped_key, row.restricted)), Some((b"wrapped".to_vec(), false)));
        assert!(tx.record_belongs(&record, &anna, "schade")?);
        assert!(!tx.record_belongs(&record, &anna, "hr")?, "another processing");
        tx.set_restricted(&anna, true)?;
        assert_eq!(tx.subject(&anna)?.map(|row| row.restricted), Some(true));
        tx.set_wrapped_key(&anna, b"rewrapped")?;
        assert_eq!(tx.subject(&anna)?.map(|row| row.wrapped_key), Some(b"rewrapped".to_vec()));
        assert!(tx.record_belongs(&record, &anna, "schade")?);
        tx.erase_records(std::slice::from_ref(&record))?;
        assert!(!tx.record_belongs(&record, &anna, "schade")?, "an erased record belongs to no one");
        tx.erase_subjects_without_records(std::slice::from_ref(&anna))?;
        assert_eq!(tx.subject(&anna)?, None, "a subject erased set-wise is gone");

        let (bert, kept) = subject_with_record(tx, "schade", now)?;
        assert!(tx.subject(&bert)?.is_some() && tx.record_belongs(&kept, &bert, "schade")?);
        tx.erase_subject(&bert)?;
        assert_eq!(tx.subject(&bert)?, None, "an erased subject is gone");
        assert!(!tx.record_belongs(&kept, &bert, "schade")?, "with its records");
        Ok(())
    });
    // What one transaction knew is not another's: restricted and erased in
    // a second, Carla and her record are read so in a third.
    let (mut carla, mut record) = (None, None);
    run(&*store, |tx| {
        let (subject, made) = subject_with_record(tx, "schade", now)?;
        assert!(tx.subject(&subject)?.is_some_and(|row| !row.restricted) && tx.record_belongs(&made, &subject, "schade")?);
        (carla, record) = (Some(subject), Some(made));
        Ok(())
    });
    let (carla, record) = (carla.unwrap(), record.unwrap());
    run(&*store, |tx| {
        tx.set_restricted(&carla, true)?;
        tx.erase_records(std::slice::from_ref(&record)).map(drop)
    });
    run(&*store, |tx| {
        assert_eq!(tx.subject(&carla)?.map(|row| row.restricted), Some(true));
        assert!(!tx.record_belongs(&record, &carla, "schade")?);
        Ok(())
    });
}

fn records_references_events_and_lists(open: Open<'_>) {
    let store = open();
    let t0 = at("2026-11-29T10:00:00Z");
    let mut b_first = None;
    run(&*store, |tx| {
        let (subject, a) = subject_with_record(tx, "schade", t0)?;
        let b = RecordId::random();
        tx.upsert_record(&b, &subject, "schade", t0)?;
        tx.set_reference(&a, "IMG-2026-000001")?;
        assert_eq!(tx.find_reference("IMG-2026-000001")?.map(|r| r.record), Some(a.clone()));
        assert_eq!(tx.find_reference("IMG-2026-000002")?, None);
        b_first = Some(b.clone());
        Ok(())
    });
    // A reference is unique.
    let taken = b_first.unwrap();
    assert!(store.transaction(&mut |tx| tx.set_reference(&taken, "IMG-2026-000001")).is_err());
    let (mut a, mut b) = (None, None);
    run(&*store, |tx| {
        let (subject, first) = subject_with_record(tx, "schade", t0)?;
        let second = RecordId::random();
        tx.upsert_record(&second, &subject, "schade", t0)?;
        let filed = EventRow {
            event: "filed".into(),
            at: t0 + jiff::SignedDuration::from_secs(1),
            actor: "kcc".into(),
            detail: Some(b"sealed".to_vec()),
            audience: Some("staff".into()),
        };
        let checked = EventRow { event: "checked".into(), at: t0 + jiff::SignedDuration::from_secs(2), actor: "rules".into(), detail: None, audience: None };
        tx.add_event(&first, &filed, Some("ingediend"))?;
        tx.add_event(&first, &checked, None)?;
        tx.add_event(&second, &filed, Some("ingediend"))?;
        assert_eq!(tx.events(&first)?, vec![filed.clone(), checked.clone()]);
        let row = tx.record(&first)?.unwrap();
        assert_eq!((row.status.as_deref(), row.updated_at, row.subject.clone()), (Some("ingediend"), checked.at, subject.clone()));
        assert!(tx.record_belongs(&first, &subject, "schade")?);
        assert!(!tx.record_belongs(&first, &subject, "vaste_vergoeding")?, "another processing");
        assert!(!tx.record_belongs(&first, &SubjectId::random(), "schade")?, "another subject");
        assert!(!tx.record_belongs(&RecordId::random(), &subject, "schade")?, "no such record");
        tx.add_record_index("schade", "address", b"addr", &first)?;
        tx.add_record_index("schade", "address", b"addr", &first)?;
        tx.add_record_index("schade", "address", b"addr", &second)?;
        // Another processing's record under the same key is its own.
        let other = RecordId::random();
        tx.upsert_record(&other, &subject, "vaste_vergoeding", t0)?;
        tx.add_record_index("vaste_vergoeding", "address", b"addr", &other)?;
        let found = |processing: &str, tx: &mut dyn Tx| -> Result<Vec<RecordId>, StoreError> {
            Ok(tx.find_record_index(processing, "address", b"addr")?.into_iter().map(|row| row.record).collect())
        };
        // Created at one moment, so in the order of their ids.
        let mut both = [first.clone(), second.clone()];
        both.sort_by(|x, y| x.as_str().cmp(y.as_str()));
        assert_eq!(found("schade", tx)?, both);
        assert_eq!(found("vaste_vergoeding", tx)?, [other]);
        assert_eq!(found("bezwaar", tx)?, []);
        a = Some(first);
        b = Some(second);
        Ok(())
    });
    let (a, b) = (a.unwrap(), b.unwrap());
    run(&*store, |tx| {
        // Most recently changed first; the status filters.
        let listed: Vec<RecordId> = tx.list_records("schade", Some("ingediend"), 0, 10)?.into_iter().map(|r| r.record).collect();
        assert_eq!(listed, vec![a.clone(), b.clone()]);
        assert_eq!(tx.list_records("schade", Some("ingediend"), 1, 10)?.len(), 1);
        assert_eq!(tx.list_records("schade", None, 0, 3)?.len(), 3);
        assert_eq!(tx.list_records("schade", None, 0, u64::MAX)?.len(), 4);
        assert_eq!(tx.record_counts()?, vec![("schade".to_string(), 4), ("vaste_vergoeding".to_string(), 1)]);
        Ok(())
    });
}

// req: INV5
fn moments_round_trip_to_the_nanosecond(open: Open<'_>) {
    let store = open();
    let subject = SubjectId::random();
    let moments = [at("2026-11-29T10:00:00.000000001Z"), at("2026-11-29T10:00:00Z"), at("2026-11-29T09:59:59.999999999Z"), at("1999-01-01T00:00:00Z")];
    run(&*store, |tx| {
        for moment in moments {
            let d = DisclosureRow {
                subject: subject.clone(),
                processing: "schade".into(),
                recipient: "nvwa".into(),
                categories: "name,address".into(),
                actor: "anna".into(),
                trace_id: "t".into(),
                at: moment,
            };
            tx.insert_disclosure(&d)?;
        }
        let read: Vec<jiff::Timestamp> = tx.disclosures_of(&subject)?.into_iter().map(|d| d.at).collect();
        assert_eq!(read, moments);
        // Ordering by the stored text is ordering by time.
        let record = RecordId::random();
        tx.insert_subject(&subject, b"k", moments[0])?;
        tx.upsert_record(&record, &subject, "schade", moments[0])?;
        for (i, moment) in moments.iter().enumerate() {
            tx.set_due(&record, &subject, "schade", Some(*moment), false)?;
            let due = tx.due_records(moments[0], 10)?;
            assert_eq!(due.len(), 1, "moment {i}");
            assert_eq!(due[0].3, *moment);
        }
        tx.set_due(&record, &subject, "schade", Some(moments[0]), false)?;
        assert!(tx.due_records(moments[1], 10)?.is_empty());
        Ok(())
    });
}

// req: E17, INV2
fn audit_rows_and_checkpoints(open: Open<'_>) {
    let store = open();
    let subject = SubjectId::random();
    let zero = chain_0();
    run(&*store, |tx| {
        assert_eq!(last_seq(tx)?, 0);
        assert_eq!(tx.audit_heads(&[zero])?, []);
        assert_eq!(tx.last_checkpoint(zero)?, None);
        assert_eq!(tx.last_checkpoints()?, Vec::<String>::new());
        append(tx, zero, "one", Some(&subject))?;
        append(tx, zero, "two", None)?;
        let third = append(tx, zero, "three", Some(&subject))?;
        assert_eq!(last_seq(tx)?, 3);
        assert_eq!(tx.audit_heads(&[zero])?, [(zero, 3, third.link)]);
        assert_eq!(tx.audit_of(&subject)?.iter().map(|r| r.entry.as_str()).collect::<Vec<_>>(), ["one", "three"]);
        assert_eq!(tx.audit_leaves(zero, 2, 5)?, vec![leaf_hash(b"two"), leaf_hash(b"three")]);
        assert_eq!(tx.audit_rows_after(zero, 1)?.iter().map(|r| r.entry.as_str()).collect::<Vec<_>>(), ["two", "three"]);
        assert_eq!(tx.audit_row(3)?, Some(third.clone()));
        tx.insert_checkpoint(zero, 2, "note 2", b"frontier")?;
        tx.insert_checkpoint(zero, 2, "another note 2", b"other")?;
        assert_eq!(tx.last_checkpoint(zero)?, Some((2, "note 2".to_string(), b"frontier".to_vec())));
        assert_eq!(tx.last_checkpoints()?, ["note 2"]);
        assert_eq!(tx.checkpoint_at(zero, 2)?.as_deref(), Some("note 2"));
        assert_eq!(tx.checkpoint_at(zero, 3)?, None);
        let node = grondslag_audit::Node { level: 1, index: 0, hash: leaf_hash(b"node") };
        tx.insert_audit_nodes(zero, &[node, node])?;
        assert_eq!(tx.audit_node(zero, 1, 0)?, Some(node.hash));
        assert_eq!(tx.audit_node(zero, 1, 1)?, None);
        Ok(())
    });
    // A row with a taken sequence number is refused: no fork. (Its place
    // in the chain, 4, is free: only the number is taken.)
    let fork = Row { seq: 3, chain: zero, position: 4, entry: "fork".into(), leaf: leaf_hash(b"fork"), link: Hash::ZERO, subject: None };
    assert!(store.transaction(&mut |tx| tx.append_audit(&[(fork.clone(), None)])).is_err());
    assert_eq!(whole_log(&*store).len(), 3);
    assert_eq!(store.checkpoints().unwrap(), vec![(zero, 2, "note 2".to_string())]);
}

// req: E16, I3
fn audit_entries_are_forgotten_but_never_rewritten(open: Open<'_>) {
    let store = open();
    let subject = SubjectId::random();
    let t0 = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    run(&*store, |tx| {
        for (text, days) in [("one", Some(1)), ("two", None), ("three", Some(2))] {
            let row = following(tx, chain_0(), text, Some(&subject))?;
            tx.append_audit(&[(row, days.map(|d| t0 + jiff::SignedDuration::from_hours(24 * d)))])?;
        }
        let due = |tx: &mut dyn Tx, days: i64| -> Result<Vec<u64>, StoreError> {
            Ok(tx.audit_due(t0 + jiff::SignedDuration::from_hours(24 * days), 10)?.iter().map(|r| r.seq).collect())
        };
        assert_eq!(due(tx, 0)?, Vec::<u64>::new());
        assert_eq!(due(tx, 3)?, [1, 3]);
        tx.set_audit_forget_at(3, Some(t0 + jiff::SignedDuration::from_hours(24 * 5)))?;
        assert_eq!(due(tx, 3)?, [1]);
        tx.forget_audit(&[1])?;
        assert_eq!(due(tx, 9)?, [3]);
        assert_eq!(tx.audit_of(&subject)?.iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 3]);
        Ok(())
    });
    let rows = whole_log(&*store);
    assert_eq!((rows[0].entry.as_str(), rows[0].subject.as_deref(), rows[0].leaf), ("", None, leaf_hash(b"one")));
    assert_eq!(whole_log(&*store).len(), 3);
}

/// The rows after `head` in its chain (chain 0 from the start, if `None`)
/// for `texts`, numbered on from it and chained as the kernel chains them.
fn rows_after(head: Option<&Row>, texts: impl IntoIterator<Item = String>) -> Vec<(Row, Option<jiff::Timestamp>)> {
    let chain = head.map_or_else(chain_0, |r| r.chain);
    let mut seq = head.map_or(0, |r| r.seq);
    let mut head = head.map(|r| (r.position, r.link));
    texts
        .into_iter()
        .map(|text| {
            seq += 1;
            let row = next_row(seq, chain, head, &text, None);
            head = Some((row.position, row.link));
            (row, None)
        })
        .collect()
}

// req: E17, INV2
fn many_audit_rows_are_appended_together_or_not_at_all(open: Open<'_>) {
    let store = open();
    // More rows than one statement carries: the store splits them, in order.
    let rows = rows_after(None, (1..=150).map(|i| format!("entry {i}")));
    run(&*store, |tx| tx.append_audit(&rows));
    let chain = whole_log(&*store);
    assert_eq!(chain.len(), 150);
    assert_eq!(chain.iter().map(|r| r.entry.as_str()).collect::<Vec<_>>(), rows.iter().map(|(r, _)| r.entry.as_str()).collect::<Vec<_>>());

    // A batch whose last statement is refused (a taken sequence number, at
    // a free place in the chain, in the second statement of the batch)
    // leaves none of its rows: the transaction fails as a whole.
    let mut batch = rows_after(chain.last(), (151..=230).map(|i| format!("entry {i}")));
    let mut fork = rows_after(batch.last().map(|(r, _)| r), ["fork".to_string()]).remove(0);
    fork.0.seq = 1;
    batch.push(fork);
    let refused = store.transaction(&mut |tx| tx.append_audit(&batch));
    assert!(refused.is_err(), "a batch with a taken sequence number was stored");
    assert_eq!(whole_log(&*store).len(), 150, "a refused batch left rows behind");
}

// req: E17, INV2
fn audit_appends_from_two_nodes_leave_every_chain_unbroken(open: Open<'_>) {
    const EACH: usize = 100;
    let chains = [chain_0(), Chain::new(3), Chain::new(9)];
    let nodes: Vec<Box<dyn Store>> = vec![open(), open()];
    std::thread::scope(|scope| {
        for (n, node) in nodes.iter().enumerate() {
            // Three writers a node: on SQLite group commit is in play, on
            // PostgreSQL six writes run beside each other.
            for t in 0..3 {
                scope.spawn(move || {
                    for i in 0..EACH {
                        let chain = chains[(i + t) % chains.len()];
                        run(&**node, |tx| {
                            // Work between taking the chain and appending,
                            // where another write could slip in.
                            subject_with_record(tx, "schade", jiff::Timestamp::UNIX_EPOCH)?;
                            append(tx, chain, &format!("node {n} thread {t} #{i}"), None).map(drop)
                        });
                    }
                });
            }
        }
    });
    let rows = whole_log(&*nodes[0]);
    assert_eq!(rows.len(), 6 * EACH);
    for chain in chains {
        assert_eq!(rows.iter().filter(|r| r.chain == chain).count(), 2 * EACH, "{chain}");
    }
}

// req: E17, INV2
fn audit_chains_are_kept_apart(open: Open<'_>) {
    let store = open();
    let (zero, five, seven) = (chain_0(), Chain::new(5), Chain::new(7));
    // Interleaved: the log numbers rows 1 to 7 across both chains, each
    // chain places its own from 1.
    let mut written = Vec::new();
    run(&*store, |tx| {
        for (i, chain) in [zero, five, five, zero, five, zero, zero].into_iter().enumerate() {
            written.push(append(tx, chain, &format!("entry {}", i + 1), None)?);
        }
        Ok(())
    });
    let placed: Vec<(u64, u16, u64)> = written.iter().map(|r| (r.seq, r.chain.number(), r.position)).collect();
    assert_eq!(placed, [(1, 0, 1), (2, 5, 1), (3, 5, 2), (4, 0, 2), (5, 5, 3), (6, 0, 3), (7, 0, 4)]);
    let (in_zero, in_five): (Vec<Row>, Vec<Row>) = written.iter().cloned().partition(|r| r.chain == zero);
    run(&*store, |tx| {
        assert_eq!(last_seq(tx)?, 7);
        // Each chain's own head; a chain without rows is left out.
        let mut heads = tx.audit_heads(&[zero, five, seven])?;
        heads.sort_by_key(|&(chain, _, _)| chain);
        assert_eq!(heads, [(zero, 4, written[6].link), (five, 3, written[4].link)]);
        assert_eq!(tx.audit_heads(&[seven])?, []);
        assert_eq!(tx.audit_heads(&[])?, []);
        // Rows and leaves of one chain only, in its order.
        assert_eq!(tx.audit_rows_after(zero, 0)?, in_zero);
        assert_eq!(tx.audit_rows_after(five, 0)?, in_five);
        assert_eq!(tx.audit_rows_after(zero, 1)?, in_zero[1..]);
        assert_eq!(tx.audit_rows_after(five, 3)?, []);
        assert_eq!(tx.audit_rows_after(seven, 0)?, []);
        assert_eq!(tx.audit_leaves(five, 2, 5)?, [leaf_hash(b"entry 3"), leaf_hash(b"entry 5")]);
        assert_eq!(tx.audit_leaves(zero, 1, 2)?, [leaf_hash(b"entry 1"), leaf_hash(b"entry 4")]);
        assert_eq!(tx.audit_leaves(seven, 1, 5)?, []);
        // A row is still found by its number in the whole log.
        assert_eq!(tx.audit_row(5)?, Some(written[4].clone()));
        // And the whole log is walked in the order written, across chains.
        let mut walked = Vec::new();
        tx.visit_audit(&mut |row| {
            walked.push(row);
            Ok(())
        })?;
        assert_eq!(walked, written);
        Ok(())
    });
    // The whole log: chain 0's rows, then chain 5's.
    let visited: Vec<u64> = whole_log(&*store).iter().map(|r| r.seq).collect();
    assert_eq!(visited, [1, 4, 6, 7, 2, 3, 5]);
}

// req: E17, INV2
fn checkpoints_and_nodes_are_kept_per_chain(open: Open<'_>) {
    let store = open();
    let (zero, five, seven) = (chain_0(), Chain::new(5), Chain::new(7));
    let (node_0, node_5) = (leaf_hash(b"node of chain 0"), leaf_hash(b"node of chain 5"));
    run(&*store, |tx| {
        // The same sizes in both chains, chain 5's written first.
        tx.insert_checkpoint(five, 2, "5 at 2", b"f5-2")?;
        tx.insert_checkpoint(five, 1, "5 at 1", b"f5-1")?;
        tx.insert_checkpoint(zero, 2, "0 at 2", b"f0-2")?;
        tx.insert_checkpoint(zero, 4, "0 at 4", b"f0-4")?;
        // One already there in its chain is kept as it was.
        tx.insert_checkpoint(five, 2, "another 5 at 2", b"other")?;
        tx.insert_checkpoint(Chain::new(15), 3, "15 at 3", b"f15-3")?;
        assert_eq!(tx.last_checkpoint(zero)?, Some((4, "0 at 4".to_string(), b"f0-4".to_vec())));
        assert_eq!(tx.last_checkpoint(five)?, Some((2, "5 at 2".to_string(), b"f5-2".to_vec())));
        assert_eq!(tx.last_checkpoint(seven)?, None);
        assert_eq!(tx.checkpoint_at(zero, 2)?.as_deref(), Some("0 at 2"));
        assert_eq!(tx.checkpoint_at(five, 2)?.as_deref(), Some("5 at 2"));
        assert_eq!((tx.checkpoint_at(five, 4)?, tx.checkpoint_at(seven, 2)?), (None, None));
        // Each chain's latest, in chain order.
        assert_eq!(tx.last_checkpoints()?, ["0 at 4", "5 at 2", "15 at 3"]);

        let node = |hash| grondslag_audit::Node { level: 1, index: 0, hash };
        tx.insert_audit_nodes(five, &[node(node_5)])?;
        tx.insert_audit_nodes(zero, &[node(node_0)])?;
        tx.insert_audit_nodes(five, &[node(leaf_hash(b"another"))])?;
        assert_eq!(tx.audit_node(zero, 1, 0)?, Some(node_0));
        assert_eq!(tx.audit_node(five, 1, 0)?, Some(node_5));
        assert_eq!(tx.audit_node(seven, 1, 0)?, None);
        Ok(())
    });
    let listed = store.checkpoints().unwrap();
    let listed: Vec<(Chain, u64, &str)> = listed.iter().map(|(chain, size, note)| (*chain, *size, note.as_str())).collect();
    assert_eq!(listed, [(zero, 2, "0 at 2"), (zero, 4, "0 at 4"), (five, 1, "5 at 1"), (five, 2, "5 at 2"), (Chain::new(15), 3, "15 at 3")]);
}

// req: E17, INV2
fn a_taken_place_in_a_chain_is_refused(open: Open<'_>) {
    let store = open();
    let (zero, five) = (chain_0(), Chain::new(5));
    let mut heads = None;
    run(&*store, |tx| {
        let one = append(tx, zero, "one", None)?;
        append(tx, zero, "two", None)?;
        let three = append(tx, five, "three", None)?;
        heads = Some((one, three));
        Ok(())
    });
    let (one, three) = heads.unwrap();
    // A row with a number of its own at a taken place in its chain is
    // refused: no fork within a chain. The transaction, with a good row
    // before it, leaves nothing.
    let good = next_row(4, five, Some((three.position, three.link)), "four", None);
    let fork = next_row(5, zero, Some((one.position, one.link)), "fork", None);
    assert_eq!((fork.chain, fork.position), (zero, 2));
    let refused = store.transaction(&mut |tx| {
        tx.set_setting("half", b"done")?;
        tx.append_audit(&[(good.clone(), None), (fork.clone(), None)])
    });
    assert!(refused.is_err(), "a row at a taken place in its chain was stored");
    run(&*store, |tx| {
        assert_eq!(tx.setting("half")?, None);
        assert_eq!(last_seq(tx)?, 3);
        assert_eq!((tx.audit_row(4)?, tx.audit_row(5)?), (None, None));
        Ok(())
    });
    assert_eq!(whole_log(&*store).len(), 3);
    // It was the fork that was refused: the good row alone goes in.
    run(&*store, |tx| tx.append_audit(&[(good.clone(), None)]));
    assert_eq!(whole_log(&*store).len(), 4);
}

// req: E0.5
fn due_dates_holds_and_reviews(open: Open<'_>) {
    let store = open();
    let now = at("2026-11-29T10:00:00Z");
    let day = jiff::SignedDuration::from_hours(24);
    run(&*store, |tx| {
        let (s, late) = subject_with_record(tx, "schade", now)?;
        let (early, held, waiting) = (RecordId::random(), RecordId::random(), RecordId::random());
        for r in [&early, &held, &waiting] {
            tx.upsert_record(r, &s, "schade", now)?;
        }
        tx.set_due(&late, &s, "schade", Some(now - day), false)?;
        tx.set_due(&early, &s, "schade", Some(now - day * 2), false)?;
        tx.set_due(&held, &s, "schade", None, true)?;
        tx.set_due(&waiting, &s, "schade", None, false)?;
        tx.set_review(&held, Some(now - day))?;
        // Read back to the nanosecond: the kernel compares what it computes
        // with what it stored to see whether a date changed.
        let odd = now - day + jiff::SignedDuration::from_nanos(123_456_789);
        tx.set_due(&late, &s, "schade", Some(odd), false)?;
        assert_eq!(tx.due_of(&late)?, Some((Some(odd), false)));
        tx.set_due(&late, &s, "schade", Some(now - day), false)?;
        assert_eq!((tx.due_of(&held)?, tx.due_of(&waiting)?), (Some((None, true)), Some((None, false))));
        assert_eq!(tx.due_of(&RecordId::random())?, None, "no date recorded");
        let totals = tx.due_totals()?;
        let schade = totals.iter().find(|t| t.processing == "schade").unwrap();
        assert_eq!((schade.held, schade.dated), (1, 2), "{totals:?}");
        assert_eq!(schade.next_due, Some(now - day * 2), "the earliest date of a record not held: {totals:?}");
        let due: Vec<RecordId> = tx.due_records(now, 10)?.into_iter().map(|d| d.0).collect();
        assert_eq!(due, vec![early.clone(), late.clone()]);
        assert_eq!(tx.due_records(now, 1)?.len(), 1);
        assert!(tx.due_records(now - day * 3, 10)?.is_empty());
        assert_eq!(tx.take_due_records(now, 10, &["schade"])?.len(), 2);
        assert!(tx.take_due_records(now, 10, &["andere"])?.is_empty(), "only the processings asked for");
        assert!(tx.take_due_records(now, 10, &[])?.is_empty());
        let overdue = tx.overdue_reviews(now)?;
        assert_eq!((overdue.len(), &overdue[0].0, overdue[0].3), (1, &held, now - day));
        assert!(tx.overdue_reviews(now - day * 2)?.is_empty());
        // Releasing the hold makes it due like any other.
        tx.set_due(&held, &s, "schade", Some(now - day * 3), false)?;
        assert_eq!(tx.due_records(now, 1)?[0].0, held);
        assert!(tx.overdue_reviews(now)?.is_empty());
        Ok(())
    });
}

// req: E0.5
fn two_sweeps_take_each_due_item_once(open: Open<'_>) {
    const ITEMS: usize = 300;
    let now = at("2026-11-29T10:00:00Z");
    let nodes: Vec<Box<dyn Store>> = vec![open(), open()];
    run(&*nodes[0], |tx| {
        for i in 0..ITEMS {
            let (subject, record) = subject_with_record(tx, "schade", now)?;
            tx.set_due(&record, &subject, "schade", Some(now - jiff::SignedDuration::from_secs(i as i64)), false)?;
        }
        Ok(())
    });
    // Each node sweeps in small batches as the kernel does: take what is
    // due, delete it, commit; until nothing is left.
    let deleted: Vec<Vec<RecordId>> = std::thread::scope(|scope| {
        let sweeps: Vec<_> = nodes
            .iter()
            .map(|node| {
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let mut batch = Vec::new();
                        run(&**node, |tx| {
                            batch.clear();
                            for (record, _, _, _) in tx.take_due_records(now, 7, &["schade"])? {
                                assert_eq!(tx.erase_records(std::slice::from_ref(&record))?.records, 1, "an item was deleted twice");
                                batch.push(record);
                            }
                            Ok(())
                        });
                        if batch.is_empty() {
                            return mine;
                        }
                        mine.extend(batch);
                    }
                })
            })
            .collect();
        sweeps.into_iter().map(|s| s.join().unwrap()).collect()
    });
    let mut all: Vec<RecordId> = deleted.concat();
    assert_eq!(all.len(), ITEMS);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), ITEMS, "an item was deleted by both sweeps");
}

fn sessions_expire_and_end_per_account(open: Open<'_>) {
    let store = open();
    let t0 = at("2026-11-29T10:00:00Z");
    let later = t0 + jiff::SignedDuration::from_mins(31);
    let row = SessionRow { account: "anna".into(), body: b"{}".to_vec(), expires_at: t0 + jiff::SignedDuration::from_mins(30), account_record: None };
    run(&*store, |tx| {
        tx.put_session(b"h1", &row)?;
        tx.put_session(b"h2", &SessionRow { account: "bert".into(), ..row.clone() })?;
        assert_eq!(tx.session(b"h1", t0)?, Some(row.clone()));
        assert_eq!(tx.session(b"h1", later)?, None);
        assert_eq!(tx.delete_sessions("anna", t0)?, 1);
        assert_eq!(tx.session(b"h2", t0)?.map(|s| s.account), Some("bert".to_string()));
        tx.delete_session(b"h2")?;
        assert_eq!(tx.session(b"h2", t0)?, None);
        tx.set_login_failures(b"k", 3, t0)?;
        assert_eq!(tx.login_failures(b"k")?, Some((3, t0)));
        tx.set_login_failures(b"k", 0, t0)?;
        assert_eq!(tx.login_failures(b"k")?, None);
        Ok(())
    });
}

fn settings_and_sequences(open: Open<'_>) {
    let store = open();
    run(&*store, |tx| {
        assert_eq!(tx.setting("retention:a")?, None);
        tx.set_setting("retention:a", b"1")?;
        tx.set_setting("retention:a", b"2")?;
        tx.set_setting("retention:b", b"3")?;
        tx.set_setting("retentionist", b"4")?;
        tx.set_setting("other", b"5")?;
        assert_eq!(tx.setting("retention:a")?, Some(b"2".to_vec()));
        let names: Vec<String> = tx.settings_with_prefix("retention:")?.into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["retention:a", "retention:b"]);
        assert_eq!((tx.next_in_sequence("case")?, tx.next_in_sequence("case")?, tx.next_in_sequence("other")?), (1, 2, 1));
        Ok(())
    });
}

fn a_failed_transaction_leaves_nothing(open: Open<'_>) {
    let store = open();
    let failed = store.transaction(&mut |tx| {
        tx.set_setting("half", b"done")?;
        append(tx, chain_0(), "lost", None)?;
        Err(StoreError::Aborted)
    });
    assert!(matches!(failed, Err(StoreError::Aborted)));
    // A statement the database refuses fails the operation, not the store,
    // and the error names it — also where PostgreSQL was sent it together
    // with what followed, and answers it at the next query or the commit.
    let nobodys_record = |tx: &mut dyn Tx| tx.upsert_record(&RecordId::random(), &SubjectId::random(), "schade", jiff::Timestamp::UNIX_EPOCH);
    let refused_at_commit = store.transaction(&mut |tx| {
        tx.set_setting("half", b"done")?;
        nobodys_record(tx)?;
        tx.set_setting("after", b"the refused one")
    });
    let refused_at_query = store.transaction(&mut |tx| {
        tx.set_setting("half", b"done")?;
        nobodys_record(tx)?;
        tx.setting("half").map(drop)
    });
    for refused in [refused_at_commit, refused_at_query] {
        let message = refused.expect_err("a record of no subject was stored").to_string();
        assert!(message.contains("while writing a record"), "{message}");
    }
    run(&*store, |tx| {
        assert_eq!((tx.setting("half")?, tx.setting("after")?), (None, None));
        assert_eq!((last_seq(tx)?, tx.audit_heads(&[chain_0()])?), (0, vec![]));
        append(tx, chain_0(), "kept", None)?;
        Ok(())
    });
    assert_eq!(whole_log(&*store).len(), 1);
}

fn schema_is_migrated_once_and_reopens(open: Open<'_>) {
    {
        let store = open();
        run(&*store, |tx| tx.set_setting("kept", b"yes"));
    }
    // A second store (another node starting, or a restart) finds the schema
    // in place and the data there.
    let store = open();
    run(&*store, |tx| {
        assert_eq!(tx.setting("kept")?, Some(b"yes".to_vec()));
        Ok(())
    });
}

/// The migration files of `store` (`sqlite`, `postgres`) that come before
/// `split` (the one that splits the audit log into chains), in order.
fn migrations_before(store: &str, split: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(store);
    let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert!(names.iter().any(|n| n == split), "no {split} among the {store} migrations");
    names.into_iter().take_while(|n| n.as_str() < split).map(|n| std::fs::read_to_string(dir.join(n)).unwrap()).collect()
}

/// The log as written before the split: one chain, numbered by `seq`.
fn log_before_the_chains(anna: &SubjectId) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for (text, subject) in [("one", Some(anna)), ("two", None), ("three", Some(anna))] {
        let previous = rows.last().map(|r| (r.position, r.link));
        rows.push(next_row(rows.len() as u64 + 1, chain_0(), previous, text, subject));
    }
    rows
}

/// Its checkpoints, as (size, note, frontier).
const CHECKPOINTS_BEFORE_THE_CHAINS: [(u64, &str, &[u8]); 2] = [(2, "note 2", b"frontier 2"), (3, "note 3", b"frontier 3")];

/// Its one Merkle tree node, at level 1, index 0.
fn node_before_the_chains() -> Hash {
    leaf_hash(b"node")
}

/// What a store opened on the log of [`log_before_the_chains`] finds:
/// every row in chain 0 at the place of its number, the checkpoints and the
/// node chain 0's; and the log goes on from there.
fn reads_as_chain_0(store: &dyn Store, anna: &SubjectId) {
    let old = log_before_the_chains(anna);
    let zero = chain_0();
    let rows = whole_log(store);
    assert_eq!(rows, old);
    assert!(rows.iter().all(|r| (r.chain, r.position) == (zero, r.seq)), "{rows:?}");
    assert_eq!(store.checkpoints().unwrap(), [(zero, 2, "note 2".to_string()), (zero, 3, "note 3".to_string())]);
    run(store, |tx| {
        assert_eq!(last_seq(tx)?, 3);
        assert_eq!(tx.audit_heads(&[zero, Chain::new(5)])?, [(zero, 3, old[2].link)]);
        assert_eq!(tx.audit_row(2)?, Some(old[1].clone()));
        assert_eq!(tx.audit_rows_after(zero, 1)?, old[1..]);
        assert_eq!(tx.audit_leaves(zero, 1, 3)?, old.iter().map(|r| r.leaf).collect::<Vec<_>>());
        assert_eq!(tx.audit_of(anna)?.iter().map(|r| r.seq).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(tx.last_checkpoint(zero)?, Some((3, "note 3".to_string(), b"frontier 3".to_vec())));
        assert_eq!(tx.last_checkpoints()?, ["note 3"]);
        assert_eq!(tx.checkpoint_at(zero, 2)?.as_deref(), Some("note 2"));
        assert_eq!(tx.audit_node(zero, 1, 0)?, Some(node_before_the_chains()));
        // Chain 0 goes on after the old rows; another chain starts at 1.
        let four = append(tx, zero, "four", None)?;
        let five = append(tx, Chain::new(5), "five", Some(anna))?;
        assert_eq!(((four.seq, four.position), (five.seq, five.position)), ((4, 4), (5, 1)));
        // An old entry can still be forgotten.
        tx.forget_audit(&[1])?;
        Ok(())
    });
    let rows = whole_log(store);
    assert_eq!((rows.len(), rows[0].entry.as_str(), rows[0].leaf), (5, "", old[0].leaf));
}

// req: E17, INV2
#[test]
fn a_sqlite_log_from_before_the_chains_reads_as_chain_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grondslag.db");
    let anna = SubjectId::random();
    let rows = log_before_the_chains(&anna);
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        let migrations = migrations_before("sqlite", "0014_audit_chains.sql");
        for migration in &migrations {
            db.execute_batch(migration).unwrap();
        }
        db.pragma_update(None, "user_version", migrations.len()).unwrap();
        for row in &rows {
            let sql = "INSERT INTO audit_entries (seq, entry, leaf, chain, subject_id) VALUES (?1, ?2, ?3, ?4, ?5)";
            db.execute(sql, rusqlite::params![row.seq, row.entry, row.leaf.0, row.link.0, row.subject]).unwrap();
        }
        for (size, note, frontier) in CHECKPOINTS_BEFORE_THE_CHAINS {
            db.execute("INSERT INTO audit_checkpoints (size, note, frontier) VALUES (?1, ?2, ?3)", rusqlite::params![size, note, frontier]).unwrap();
        }
        db.execute("INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 0, ?1)", [node_before_the_chains().0]).unwrap();
    }
    reads_as_chain_0(&grondslag_store::SqliteStore::open(&path).unwrap(), &anna);
    // The append-only trigger, made again by the migration, also keeps a
    // row in its chain and at its place.
    let db = rusqlite::Connection::open(&path).unwrap();
    for change in ["chain_no = 5", "chain_position = 9"] {
        let refused = db.execute(&format!("UPDATE audit_entries SET {change} WHERE seq = 2"), []).unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{change}: {refused}");
    }
}

// req: E17, INV2
#[test]
fn a_postgres_log_from_before_the_chains_reads_as_chain_0() {
    let Some(database) = grondslag_store::ScratchDatabase::for_tests().unwrap() else { return };
    let anna = SubjectId::random();
    let rows = log_before_the_chains(&anna);
    // `::postgres`: the crate, not this file's `mod postgres`.
    let mut db = ::postgres::Client::connect(database.url(), ::postgres::NoTls).unwrap();
    let migrations = migrations_before("postgres", "0008_audit_chains.sql");
    for migration in &migrations {
        db.batch_execute(migration).unwrap();
    }
    db.batch_execute(&format!("CREATE TABLE grondslag_schema (version BIGINT NOT NULL); INSERT INTO grondslag_schema VALUES ({})", migrations.len())).unwrap();
    for row in &rows {
        let sql = "INSERT INTO audit_entries (seq, entry, leaf, chain, subject_id) VALUES ($1, $2, $3, $4, $5)";
        let params: [&(dyn ::postgres::types::ToSql + Sync); 5] = [&(row.seq as i64), &row.entry, &row.leaf.0.as_slice(), &row.link.0.as_slice(), &row.subject];
        db.execute(sql, &params).unwrap();
    }
    for (size, note, frontier) in CHECKPOINTS_BEFORE_THE_CHAINS {
        let params: [&(dyn ::postgres::types::ToSql + Sync); 3] = [&(size as i64), &note, &frontier];
        db.execute("INSERT INTO audit_checkpoints (size, note, frontier) VALUES ($1, $2, $3)", &params).unwrap();
    }
    db.execute("INSERT INTO audit_nodes (level, idx, hash) VALUES (1, 0, $1)", &[&node_before_the_chains().0.as_slice()]).unwrap();
    reads_as_chain_0(&grondslag_store::PostgresStore::open(database.url()).unwrap(), &anna);
    // The append-only trigger also keeps a row in its chain and at its place.
    for change in ["chain_no = 5", "chain_position = 9"] {
        let refused = db.execute(&format!("UPDATE audit_entries SET {change} WHERE seq = 2"), &[]).unwrap_err();
        let message = refused.as_db_error().map(|e| e.message().to_string()).unwrap_or_default();
        assert!(message.contains("append-only"), "{change}: {refused:?}");
    }
}

/// A record index from before its entries carried their record's
/// processing: a record of each of two processings under one key, made by
/// `exec` (`digest`: the key as an SQL literal of the store's). Which
/// record is which processing's.
fn index_before_processing(exec: &mut dyn FnMut(&str), digest: &str) -> (RecordId, RecordId) {
    let (subject, damage, fixed) = (SubjectId::random(), RecordId::random(), RecordId::random());
    let at = "2026-12-04T10:00:00.000000000Z";
    exec(&format!("INSERT INTO subjects (id, wrapped_key, created_at) VALUES ('{subject}', {digest}, '{at}')"));
    for (record, processing) in [(&damage, "schade"), (&fixed, "vaste_vergoeding")] {
        exec(&format!(
            "INSERT INTO records (id, subject_id, processing, created_at, updated_at) VALUES ('{record}', '{subject}', '{processing}', '{at}', '{at}')"
        ));
        exec(&format!("INSERT INTO record_index (kind, digest, record_id) VALUES ('object', {digest}, '{record}')"));
    }
    (damage, fixed)
}

/// Each processing finds its own record under the key, and only that.
fn finds_each_processings_own(store: &dyn Store, damage: RecordId, fixed: RecordId) {
    let found = |processing: &'static str| {
        returned(store, In::Read, move |tx| Ok(tx.find_record_index(processing, "object", b"key")?.into_iter().map(|row| row.record).collect::<Vec<_>>()))
    };
    assert_eq!(found("schade"), [damage]);
    assert_eq!(found("vaste_vergoeding"), [fixed]);
    assert_eq!(found("bezwaar"), []);
}

// req: INV6
#[test]
fn a_sqlite_record_index_from_before_processing_finds_by_processing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grondslag.db");
    let (damage, fixed) = {
        let db = rusqlite::Connection::open(&path).unwrap();
        let migrations = migrations_before("sqlite", "0015_record_index_processing.sql");
        for migration in &migrations {
            db.execute_batch(migration).unwrap();
        }
        db.pragma_update(None, "user_version", migrations.len()).unwrap();
        index_before_processing(&mut |sql| db.execute_batch(sql).unwrap(), "X'6b6579'")
    };
    finds_each_processings_own(&grondslag_store::SqliteStore::open(&path).unwrap(), damage, fixed);
}

// req: INV6
#[test]
fn a_postgres_record_index_from_before_processing_finds_by_processing() {
    let Some(database) = grondslag_store::ScratchDatabase::for_tests().unwrap() else { return };
    let mut db = ::postgres::Client::connect(database.url(), ::postgres::NoTls).unwrap();
    let migrations = migrations_before("postgres", "0012_record_index_processing.sql");
    for migration in &migrations {
        db.batch_execute(migration).unwrap();
    }
    db.batch_execute(&format!("CREATE TABLE grondslag_schema (version BIGINT NOT NULL); INSERT INTO grondslag_schema VALUES ({})", migrations.len())).unwrap();
    let (damage, fixed) = index_before_processing(&mut |sql| db.batch_execute(sql).unwrap(), "'\\x6b6579'::bytea");
    finds_each_processings_own(&grondslag_store::PostgresStore::open(database.url()).unwrap(), damage, fixed);
}

fn relations_reach_records_and_go_with_them(open: Open<'_>) {
    let store = open();
    let t0 = at("2026-05-01T10:00:00Z");
    run(&*store, |tx| {
        let (anna, case) = subject_with_record(tx, "schade", t0)?;
        let (bert, other) = subject_with_record(tx, "schade", t0)?;
        let (expert, _) = subject_with_record(tx, "accounts", t0)?;
        let (representative, _) = subject_with_record(tx, "accounts", t0)?;
        tx.relate(case.as_str(), "assigned", expert.as_str())?;
        tx.relate(case.as_str(), "assigned", expert.as_str())?;
        tx.relate(anna.as_str(), "represented", representative.as_str())?;
        assert!(tx.related(case.as_str(), "assigned", expert.as_str())?);
        assert!(!tx.related(other.as_str(), "assigned", expert.as_str())?, "a relation to one case is none to another");
        assert!(!tx.related(case.as_str(), "assigned", representative.as_str())?, "nor anyone else's");
        assert!(!tx.related(case.as_str(), "represented", expert.as_str())?, "nor another relation");
        let assigned = tx.list_reached("schade", None, Reach::RelatedRecords { relation: "assigned", actor: expert.as_str() }, 0, 10)?;
        assert_eq!(assigned.iter().map(|r| r.record.clone()).collect::<Vec<_>>(), vec![case.clone()]);
        let principals = tx.list_reached("schade", None, Reach::RelatedSubjects { relation: "represented", actor: representative.as_str() }, 0, 10)?;
        assert_eq!(principals.iter().map(|r| r.subject.clone()).collect::<Vec<_>>(), vec![anna.clone()]);
        let own = tx.list_reached("schade", None, Reach::Subject(&bert), 0, 10)?;
        assert_eq!(own.iter().map(|r| r.record.clone()).collect::<Vec<_>>(), vec![other.clone()]);
        assert!(tx.unrelate(case.as_str(), "assigned", expert.as_str())?);
        assert!(!tx.unrelate(case.as_str(), "assigned", expert.as_str())?, "gone once");
        tx.relate(case.as_str(), "assigned", expert.as_str())?;
        // Erasing the record takes its relations; erasing a person theirs.
        tx.erase_records(std::slice::from_ref(&case))?;
        assert!(!tx.related(case.as_str(), "assigned", expert.as_str())?);
        tx.erase_subject(&representative)?;
        assert!(!tx.related(anna.as_str(), "represented", representative.as_str())?);
        Ok(())
    });
}

fn field<'a>(category: &'a str, value: &'a [u8], blob: Option<&'a BlobId>, version: u64) -> FieldPut<'a> {
    FieldPut { category, value, blob, version }
}

/// Runs `before` in a write on `held` and keeps it open; starts `second`
/// meanwhile, and once it has finished or had three seconds, runs `after`
/// in the same write and commits it. Returns whether `second` was still
/// waiting when `after` began, and what it returned.
fn while_held<T: Send>(
    held: &dyn Store,
    mut before: impl FnMut(&mut dyn Tx) -> Result<(), StoreError> + Send,
    mut after: impl FnMut(&mut dyn Tx) -> Result<(), StoreError> + Send,
    second: impl FnOnce() -> T + Send,
) -> (bool, T) {
    use std::sync::mpsc::channel;
    use std::time::Duration;
    let (holding, is_held) = channel();
    let (release, released) = channel::<()>();
    std::thread::scope(|scope| {
        let first = scope.spawn(move || {
            held.transaction(&mut |tx| {
                before(tx)?;
                holding.send(()).unwrap();
                released.recv().unwrap();
                after(tx)
            })
        });
        is_held.recv_timeout(Duration::from_secs(20)).unwrap();
        let second = scope.spawn(second);
        // Long enough for a loaded machine to run it, had it no lock to wait for.
        let started = std::time::Instant::now();
        while !second.is_finished() && started.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let waited = !second.is_finished();
        release.send(()).unwrap();
        first.join().unwrap().unwrap();
        (waited, second.join().unwrap())
    })
}

/// Which transaction [`returned`] runs its work in.
enum In {
    Write,
    Read,
}

/// What `work` returns, run on `store` in a write (committed) or a read.
fn returned<T>(store: &dyn Store, kind: In, mut work: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>) -> T {
    let mut out = None;
    let mut each = |tx: &mut dyn Tx| {
        out = Some(work(tx)?);
        Ok(())
    };
    match kind {
        In::Write => store.transaction(&mut each),
        In::Read => store.read(&mut each),
    }
    .unwrap();
    out.unwrap()
}

/// A scratch database with two nodes on it.
type TwoNodes = (grondslag_store::ScratchDatabase, Box<dyn Store>, Box<dyn Store>);

fn postgres_nodes() -> Option<TwoNodes> {
    let database = grondslag_store::ScratchDatabase::for_tests().unwrap()?;
    let open = || -> Box<dyn Store> { Box::new(grondslag_store::PostgresStore::open(database.url()).unwrap()) };
    let (one, two) = (open(), open());
    Some((database, one, two))
}

/// On PostgreSQL writes run beside each other: a write appending to another
/// chain commits while one is open, and one appending to the same chain
/// waits for it. Only a migration (a node starting on a schema behind its
/// own) runs alone, and waits until the open write has committed; a node or
/// a command starting on a current schema does not wait.
// req: E17
#[test]
fn postgres_writes_run_beside_each_other_and_a_migration_waits_for_them() {
    let Some((database, one, two)) = postgres_nodes() else { return };
    let (waited, ()) = while_held(
        &*one,
        |tx| append(tx, Chain::new(1), "held open", None).map(drop),
        |_| Ok(()),
        || {
            two.transaction(&mut |tx| append(tx, Chain::new(2), "beside it", None).map(drop)).unwrap();
        },
    );
    assert!(!waited, "a write on another chain waited for the open one");
    let (waited, ()) = while_held(
        &*one,
        |tx| append(tx, Chain::new(1), "held again", None).map(drop),
        |_| Ok(()),
        || {
            two.transaction(&mut |tx| append(tx, Chain::new(1), "after it", None).map(drop)).unwrap();
        },
    );
    assert!(waited, "a write on the same chain ran beside the open one");
    let open = || drop(grondslag_store::PostgresStore::open(database.url()).unwrap());
    // Read back, so that the write is open on the server: a write's
    // statements go out with the first one whose answer it waits for.
    let hold = |value: &'static [u8]| {
        move |tx: &mut dyn Tx| {
            tx.set_setting("held", value)?;
            assert_eq!(tx.setting("held")?.as_deref(), Some(value));
            Ok(())
        }
    };
    let (waited, ()) = while_held(&*one, hold(b"while opening"), |_| Ok(()), open);
    assert!(!waited, "opening on a current schema waited for an open write");
    // The schema behind, as a node of a later version finds it: without
    // what 0010 made (0011, packing audit entries, leaves a converted
    // column as it is, and 0012 a record index keyed by processing).
    let mut server = ::postgres::Client::connect(database.url(), ::postgres::NoTls).unwrap();
    server.batch_execute("DROP FUNCTION grondslag_take_chains(TEXT[], BIGINT); UPDATE grondslag_schema SET version = version - 3").unwrap();
    let (waited, ()) = while_held(&*one, hold(b"while migrating"), |_| Ok(()), open);
    assert!(waited, "a migration ran beside an open write");
    two.transaction(&mut |tx| append(tx, Chain::new(3), "after the migration", None).map(drop)).unwrap();
    let rows = whole_log(&*one);
    let placed: Vec<(u16, u64, &str)> = rows.iter().map(|r| (r.chain.number(), r.position, r.entry.as_str())).collect();
    assert_eq!(placed, [(1, 1, "held open"), (1, 2, "held again"), (1, 3, "after it"), (2, 1, "beside it"), (3, 1, "after the migration")]);
}

/// A write that read a subject's key holds the subject until it commits:
/// a write of another node reading the subject, or one of its records,
/// waits, and then reads what the first wrote — the restriction it set,
/// the status it stepped to. A read does not wait.
// req: E17
#[test]
fn postgres_a_write_holds_the_subjects_it_read_until_it_commits() {
    let Some((_database, one, two)) = postgres_nodes() else { return };
    let now = at("2026-12-02T10:00:00Z");
    let (anna, record) = returned(&*one, In::Write, |tx| subject_with_record(tx, "schade", now));
    let step = |status: &str| EventRow { event: status.into(), at: now, actor: "test".into(), detail: None, audience: None };
    let (waited, seen) = while_held(
        &*one,
        |tx| tx.subject(&anna).map(drop),
        |tx| tx.set_restricted(&anna, true).map(drop),
        || returned(&*two, In::Write, |tx| Ok(tx.subject(&anna)?.map(|row| row.restricted))),
    );
    assert!(waited, "a second write read the subject while the first held it");
    assert_eq!(seen, Some(true), "the second write read the subject as it was before the first committed");

    // A status step: the record read, then stepped from what was read.
    let (waited, seen) = while_held(
        &*one,
        |tx| tx.record(&record).map(drop),
        |tx| tx.add_event(&record, &step("ontvangen"), Some("ontvangen")),
        || returned(&*two, In::Write, |tx| Ok(tx.record(&record)?.and_then(|row| row.status))),
    );
    assert!(waited, "a second write read the record while the first held its subject");
    assert_eq!(seen.as_deref(), Some("ontvangen"), "the second write read the status from before the first step");

    // A read sees what was committed when it began, and does not wait.
    let (waited, seen) = while_held(
        &*one,
        |tx| tx.subject(&anna).map(drop),
        |tx| tx.set_restricted(&anna, false).map(drop),
        || returned(&*two, In::Read, |tx| Ok(tx.subject(&anna)?.map(|row| row.restricted))),
    );
    assert!(!waited, "a read waited for a write");
    assert_eq!(seen, Some(true));
}

/// Failed sign-ins counted at once on two nodes are counted one after
/// another: the second reads the first's count, so none is lost — also
/// for a name with no count yet, whose row does not exist to be locked.
// req: E17
#[test]
fn postgres_failed_sign_ins_at_once_are_each_counted() {
    let Some((_database, one, two)) = postgres_nodes() else { return };
    let now = at("2026-12-02T10:00:00Z");
    let count = |store: &dyn Store| {
        returned(store, In::Write, |tx| {
            let counted = tx.login_failures(b"name")?.map_or(0, |(n, _)| n) + 1;
            tx.set_login_failures(b"name", counted, now).map(|()| counted)
        })
    };
    let first = std::sync::atomic::AtomicU32::new(0);
    let (waited, second) = while_held(
        &*one,
        |tx| {
            first.store(tx.login_failures(b"name")?.map_or(0, |(n, _)| n) + 1, Ordering::SeqCst);
            Ok(())
        },
        |tx| tx.set_login_failures(b"name", first.load(Ordering::SeqCst), now),
        || count(&*two),
    );
    assert!(waited, "a second count read the name's failures while the first was counting");
    assert_eq!((first.into_inner(), second), (1, 2));
    assert_eq!(returned(&*two, In::Read, |tx| tx.login_failures(b"name")), Some((2, now)));
}

/// Two files given the same BSN at once, on two nodes: the second waits
/// for the first, and is told the BSN is someone else's; the index still
/// finds the first.
// req: E17
#[test]
fn postgres_one_bsn_given_to_two_files_at_once_stays_with_the_first() {
    let Some((_database, one, two)) = postgres_nodes() else { return };
    let now = at("2026-12-02T10:00:00Z");
    let (anna, bert) = returned(&*one, In::Write, |tx| Ok((subject_with_record(tx, "schade", now)?.0, subject_with_record(tx, "schade", now)?.0)));
    let (waited, given) = while_held(
        &*one,
        |tx| tx.set_blind_index("bsn", b"digest", &anna).map(|given| assert!(given)),
        |_| Ok(()),
        || returned(&*two, In::Write, |tx| tx.set_blind_index("bsn", b"digest", &bert)),
    );
    assert!(waited, "a second file took the BSN while the first was given it");
    assert!(!given, "the second file was given a BSN the first holds");
    assert_eq!(returned(&*one, In::Read, |tx| tx.find_blind_index("bsn", b"digest")), Some(anna));
}

/// A write that looked up a record index key and found no entry holds the
/// key until it commits: a write of another node looking it up waits,
/// then finds what the first added under it.
// req: E17
#[test]
fn postgres_an_index_key_a_write_found_empty_is_held_until_it_commits() {
    let Some((_database, one, two)) = postgres_nodes() else { return };
    let now = at("2026-12-02T10:00:00Z");
    let (_, record) = returned(&*one, In::Write, |tx| subject_with_record(tx, "accounts", now));
    let (waited, found) = while_held(
        &*one,
        |tx| tx.find_record_index("accounts", "account-name", b"anna").map(|found| assert_eq!(found, [])),
        |tx| tx.add_record_index("accounts", "account-name", b"anna", &record),
        || returned(&*two, In::Write, |tx| tx.find_record_index("accounts", "account-name", b"anna")),
    );
    assert!(waited, "a second write looked the name up while the first was taking it");
    assert_eq!(found.iter().map(|row| &row.record).collect::<Vec<_>>(), [&record], "the second write found the name free");
    // A key with an entry is not held: a lookup beside it runs at once.
    let (waited, _) = while_held(
        &*one,
        |tx| tx.find_record_index("accounts", "account-name", b"anna").map(drop),
        |_| Ok(()),
        || returned(&*two, In::Write, |tx| tx.find_record_index("accounts", "account-name", b"anna")),
    );
    assert!(!waited, "a lookup of a key with an entry waited");
}

/// Two nodes forgetting at once: what one has claimed to forget, the other
/// skips, so each entry is forgotten, and named in a record of forgetting,
/// once.
// req: E16, I3
#[test]
fn postgres_audit_entries_due_are_claimed_by_one_forgetting() {
    let Some((_database, one, two)) = postgres_nodes() else { return };
    let t0 = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    run(&*one, |tx| {
        for text in ["one", "two", "three", "four"] {
            let row = following(tx, chain_0(), text, None)?;
            tx.append_audit(&[(row, Some(t0))])?;
        }
        Ok(())
    });
    let due = |tx: &mut dyn Tx| Ok(tx.audit_due(t0, 2)?.iter().map(|r| r.seq).collect::<Vec<u64>>());
    let (waited, second) =
        while_held(&*one, |tx| due(tx).map(|first| assert_eq!(first, [1, 2])), |tx| tx.forget_audit(&[1, 2]), || returned(&*two, In::Write, due));
    assert!(!waited, "a second forgetting waited for the first");
    assert_eq!(second, [3, 4], "a second forgetting took what the first had claimed");
}

/// Two writes that each hold a person the other then reads wait on each
/// other in a cycle: PostgreSQL stops one, which fails as a conflict to try
/// again — rolled back whole — and the other commits. The conflict is what
/// the write returns even where its work answered the stopped statement
/// with an error of its own, as the kernel's units do.
// req: E17
#[test]
fn postgres_two_writes_waiting_on_each_other_stop_one_whole() {
    let Some((_database, one, two)) = postgres_nodes() else { return };
    let now = at("2026-12-02T10:00:00Z");
    let (anna, bert) = returned(&*one, In::Write, |tx| Ok((subject_with_record(tx, "schade", now)?.0, subject_with_record(tx, "schade", now)?.0)));
    let both_hold = std::sync::Barrier::new(2);
    let outcomes: Vec<Result<(), StoreError>> = std::thread::scope(|scope| {
        let writes: Vec<_> = [(&one, &anna, &bert, "first"), (&two, &bert, &anna, "second")]
            .into_iter()
            .map(|(node, held, then, name)| {
                let both_hold = &both_hold;
                scope.spawn(move || {
                    let mut waited = false;
                    node.transaction(&mut |tx| {
                        tx.subject(held)?;
                        tx.set_setting(name, b"written")?;
                        if !waited {
                            waited = true;
                            both_hold.wait();
                        }
                        tx.subject(then).map(drop).map_err(|_| StoreError::Aborted)
                    })
                })
            })
            .collect();
        writes.into_iter().map(|write| write.join().unwrap()).collect()
    });
    let stopped: Vec<usize> = (0..2).filter(|&i| outcomes[i].is_err()).collect();
    assert_eq!(stopped.len(), 1, "{outcomes:?}");
    assert!(matches!(outcomes[stopped[0]], Err(StoreError::Conflict { context: "reading a subject" })), "{outcomes:?}");
    let settings = returned(&*one, In::Read, |tx| Ok([tx.setting("first")?.is_some(), tx.setting("second")?.is_some()]));
    assert_eq!(settings, [stopped[0] != 0, stopped[0] != 1], "the stopped write left something behind");
}

/// Reads have connections of their own: with every write connection of a
/// node taken by writes waiting for a person another node's write holds,
/// a read on that node still runs at once.
// req: E17
#[test]
fn postgres_a_read_runs_while_every_write_of_its_node_waits() {
    use std::sync::mpsc::channel;
    use std::time::{Duration, Instant};
    let Some((_database, one, two)) = postgres_nodes() else { return };
    let now = at("2026-12-02T10:00:00Z");
    let (anna, _) = returned(&*one, In::Write, |tx| subject_with_record(tx, "schade", now));
    let (holding, held) = channel();
    let (release, released) = channel::<()>();
    let ran = std::thread::scope(|scope| {
        let (one, anna) = (&one, &anna);
        scope.spawn(move || {
            one.transaction(&mut |tx| {
                tx.subject(anna)?;
                holding.send(()).unwrap();
                released.recv().unwrap();
                Ok(())
            })
            .unwrap();
        });
        held.recv_timeout(Duration::from_secs(20)).unwrap();
        // More writes than the node has connections for them, all waiting for Anna.
        for _ in 0..10 {
            scope.spawn(|| two.transaction(&mut |tx| tx.subject(anna).map(drop)).unwrap());
        }
        std::thread::sleep(Duration::from_millis(500));
        let read = scope.spawn(|| returned(&*two, In::Read, |tx| Ok(tx.subject(anna)?.map(|row| row.restricted))));
        let started = Instant::now();
        while !read.is_finished() && started.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let ran = read.is_finished();
        release.send(()).unwrap();
        assert_eq!(read.join().unwrap(), Some(false));
        ran
    });
    assert!(ran, "a read waited while the node's writes waited");
}

/// The settings another process sees in the SQLite file at `path`: only
/// what was committed.
fn committed_settings(path: &std::path::Path, names: &[&str]) -> Vec<bool> {
    let db = rusqlite::Connection::open(path).unwrap();
    names.iter().map(|name| db.query_row("SELECT count(*) FROM settings WHERE name = ?1", [name], |r| r.get::<_, i64>(0)).unwrap() == 1).collect()
}

/// A SQLite store in `dir` holding commits `ops` at a time, with its
/// database file and blob store.
fn held_sqlite(dir: &std::path::Path, ops: usize) -> (std::path::PathBuf, grondslag_store::SqliteStore, BlobStore) {
    let path = dir.join("grondslag.db");
    let store = grondslag_store::SqliteStore::open(&path).unwrap();
    let blobs = BlobStore::open(&dir.join("blobs")).unwrap();
    // The blobs of a held load are made durable by the commits, not one by one.
    assert_eq!(store.hold_commits(ops, &blobs).unwrap(), Durable::ByCommit);
    (path, store, blobs)
}

// req: INV2, INV6
#[test]
fn sqlite_commits_held_for_a_load_are_committed_whole_and_a_failed_one_takes_its_group() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store, _blobs) = held_sqlite(dir.path(), 4);
    let seen = |name: &str| {
        let mut seen = None;
        store
            .read(&mut |tx| {
                seen = tx.setting(name)?;
                Ok(())
            })
            .unwrap();
        seen
    };
    run(&store, |tx| {
        tx.set_setting("first", b"1")?;
        append(tx, chain_0(), "first", None).map(drop)
    });
    // Returned, but not yet committed: another process does not see it,
    // while the load's own reads do.
    assert_eq!(committed_settings(&path, &["first"]), [false]);
    assert_eq!(seen("first").as_deref(), Some(&b"1"[..]));
    // A read while held writes nothing, even if it tries.
    store.read(&mut |tx| tx.set_setting("read", b"written")).unwrap();
    // A transaction that fails in the held group takes the group with it,
    // as a failed commit does: a load stops at its first failure, and loses
    // what it would have lost had it been killed then.
    let failed = store.transaction(&mut |tx| {
        tx.set_setting("failed", b"2")?;
        append(tx, chain_0(), "failed", None)?;
        Err(StoreError::Aborted)
    });
    assert!(matches!(failed, Err(StoreError::Aborted)), "{failed:?}");
    assert_eq!(seen("first"), None, "the group went with the failed transaction");
    for (name, value) in [("second", b"3"), ("third", b"4"), ("fourth", b"5")] {
        run(&store, |tx| {
            tx.set_setting(name, value)?;
            append(tx, chain_0(), name, None).map(drop)
        });
    }
    assert_eq!(committed_settings(&path, &["second", "third", "fourth"]), [false, false, false]);
    // The fourth operation of the new group fills it: all of it commits.
    run(&store, |tx| {
        tx.set_setting("fifth", b"6")?;
        append(tx, chain_0(), "fifth", None).map(drop)
    });
    assert_eq!(committed_settings(&path, &["first", "second", "third", "fourth", "fifth", "failed", "read"]), [false, true, true, true, true, false, false]);
    run(&store, |tx| {
        tx.set_setting("sixth", b"7")?;
        append(tx, chain_0(), "sixth", None).map(drop)
    });
    assert_eq!(committed_settings(&path, &["sixth"]), [false]);
    // Releasing commits what is held; from then on each commits at once.
    store.release().unwrap();
    assert_eq!(committed_settings(&path, &["sixth"]), [true]);
    run(&store, |tx| tx.set_setting("seventh", b"8"));
    assert_eq!(committed_settings(&path, &["seventh"]), [true]);
    let texts: Vec<String> = whole_log(&store).into_iter().map(|row| row.entry).collect();
    assert_eq!(texts, ["second", "third", "fourth", "fifth", "sixth"]);
    // Released, a failed transaction takes only its own part again.
    run(&store, |tx| tx.set_setting("eighth", b"9"));
    let failed = store.transaction(&mut |tx| {
        tx.set_setting("failed again", b"10")?;
        Err(StoreError::Aborted)
    });
    assert!(matches!(failed, Err(StoreError::Aborted)), "{failed:?}");
    assert_eq!(committed_settings(&path, &["eighth", "failed again"]), [true, false]);
}

// req: INV2
#[test]
fn a_held_transaction_waiting_for_its_group_learns_that_a_later_one_failed_it() {
    let dir = tempfile::tempdir().unwrap();
    // Groups of one: the first transaction, seeing another queued, waits
    // for it to join and commit for both.
    let (path, store, _blobs) = held_sqlite(dir.path(), 1);
    let (queued, queuing) = std::sync::mpsc::channel();
    let first = std::thread::scope(|scope| {
        store.transaction(&mut |tx| {
            tx.set_setting("first", b"1")?;
            let store = &store;
            let queued = queued.clone();
            scope.spawn(move || {
                queued.send(()).unwrap();
                store.transaction(&mut |tx| {
                    tx.set_setting("second", b"2")?;
                    Err(StoreError::Aborted)
                })
            });
            queuing.recv().unwrap();
            // Long enough for the second to be waiting for the writer.
            std::thread::sleep(std::time::Duration::from_millis(200));
            Ok(())
        })
    });
    let Err(StoreError::Commit(message)) = &first else { panic!("told it committed, while its group was rolled back: {first:?}") };
    assert_eq!(message, "transaction aborted", "the failure of the transaction that took the group");
    assert_eq!(committed_settings(&path, &["first", "second"]), [false, false]);
    store.release().unwrap();
}

// req: INV2
#[test]
fn sqlite_a_caller_that_joined_a_group_and_failed_part_way_through_a_many_row_insert_leaves_none_of_its_rows() {
    // SQLite inserts many rows without a statement journal (`OR FAIL`): a
    // statement that fails keeps the rows it inserted before, and the
    // caller's savepoint must take them away, while the group commits the
    // first caller's work.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grondslag.db");
    let store = grondslag_store::SqliteStore::open(&path).unwrap();
    let head = std::cell::RefCell::new(None);
    run(&store, |tx| {
        *head.borrow_mut() = Some(append(tx, chain_0(), "one", None)?);
        Ok(())
    });
    let one = head.into_inner().unwrap();
    let good = next_row(2, Chain::new(5), None, "good", None);
    let fork = next_row(3, chain_0(), None, "fork", None);
    let (queued, queuing) = std::sync::mpsc::channel();
    let (first, second) = std::thread::scope(|scope| {
        let mut second = None;
        let first = store.transaction(&mut |tx| {
            tx.set_setting("first", b"1")?;
            let store = &store;
            let (good, fork, queued) = (good.clone(), fork.clone(), queued.clone());
            second = Some(scope.spawn(move || {
                queued.send(()).unwrap();
                store.transaction(&mut |tx| {
                    tx.set_setting("second", b"2")?;
                    tx.append_audit(&[(good.clone(), None), (fork.clone(), None)])
                })
            }));
            queuing.recv().unwrap();
            // Long enough for the second to be waiting for the writer: it joins this group.
            std::thread::sleep(std::time::Duration::from_millis(200));
            Ok(())
        });
        (first, second.unwrap().join().unwrap())
    });
    first.unwrap();
    let refused = second.expect_err("a row at a taken place in its chain was stored").to_string();
    assert!(refused.contains("audit"), "{refused}");
    assert_eq!(committed_settings(&path, &["first", "second"]), [true, false]);
    let log = whole_log(&store);
    assert_eq!(log.iter().map(|row| row.entry.as_str()).collect::<Vec<_>>(), [one.entry.as_str()], "the failed caller's first row is left");
}

// req: INV2
#[test]
fn sqlite_a_caller_joining_a_group_after_one_that_failed_appends_after_what_is_left() {
    // The writer keeps the chains' heads from one caller of a group to the
    // next; a caller that fails takes its rows away, and what the writer
    // knew of them with it.
    let dir = tempfile::tempdir().unwrap();
    let store = grondslag_store::SqliteStore::open(&dir.path().join("grondslag.db")).unwrap();
    run(&store, |tx| append(tx, chain_0(), "one", None).map(drop));
    let five = Chain::new(5);
    let (queued, queuing) = std::sync::mpsc::channel();
    let (first, second, third) = std::thread::scope(|scope| {
        let mut second = None;
        let store = &store;
        let first = store.transaction(&mut |tx| {
            tx.set_setting("first", b"1")?;
            let queued = queued.clone();
            second = Some(scope.spawn(move || {
                let (queued_third, queuing_third) = std::sync::mpsc::channel();
                let mut third = None;
                queued.send(()).unwrap();
                let second = store.transaction(&mut |tx| {
                    // In chain 5, then refused in chain 0: both go.
                    append(tx, five, "gone", None)?;
                    let queued_third = queued_third.clone();
                    third = Some(scope.spawn(move || {
                        queued_third.send(()).unwrap();
                        let mut appended = None;
                        let result = store.transaction(&mut |tx| {
                            appended = Some(append(tx, five, "after", None)?);
                            Ok(())
                        });
                        result.map(|()| appended.expect("appended when it succeeded"))
                    }));
                    queuing_third.recv().unwrap();
                    // Long enough for the third to be waiting for the writer: it joins this group.
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    tx.append_audit(&[(next_row(99, chain_0(), None, "fork", None), None)])
                });
                (second, third)
            }));
            queuing.recv().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(200));
            Ok(())
        });
        let (second, third) = second.take().unwrap().join().unwrap();
        (first, second, third.unwrap().join().unwrap())
    });
    first.unwrap();
    assert!(second.expect_err("a row at a taken place in its chain was stored").to_string().contains("audit"));
    let after = third.expect("the third caller, after the failed one, appends");
    assert_eq!(after.position, 1, "the third caller chains onto what the failed one left, not onto its row");
    let texts: Vec<String> = whole_log(&store).into_iter().map(|row| row.entry).collect();
    assert_eq!(texts, ["one", "after"]);
}

// req: INV2
#[test]
fn sqlite_a_writer_reads_the_chains_again_once_another_connection_may_have_appended() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grondslag.db");
    let (ours, theirs) = (grondslag_store::SqliteStore::open(&path).unwrap(), grondslag_store::SqliteStore::open(&path).unwrap());
    run(&ours, |tx| append(tx, chain_0(), "ours", None).map(drop));
    // Another process on the same file, between two of our transactions.
    run(&theirs, |tx| append(tx, chain_0(), "theirs", None).map(drop));
    let mut ours_again = None;
    run(&ours, |tx| {
        ours_again = Some(append(tx, chain_0(), "ours again", None)?);
        Ok(())
    });
    assert_eq!(ours_again.map(|row| (row.seq, row.position)), Some((3, 3)));
    let texts: Vec<String> = whole_log(&ours).into_iter().map(|row| row.entry).collect();
    assert_eq!(texts, ["ours", "theirs", "ours again"]);
}

// req: INV6
#[test]
fn sqlite_commits_held_for_a_load_wait_until_its_blobs_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store, blobs) = held_sqlite(dir.path(), 2);
    let blob = BlobId::random();
    blobs.put(&blob, b"sealed", Durable::ByCommit).unwrap();
    run(&store, |tx| tx.set_setting("names the blob", blob.as_str().as_bytes()));
    // Read back once the write-behind has written it.
    assert_eq!(blobs.get(&blob).unwrap(), b"sealed");
    // The blobs cannot be made durable (their directory is gone), so the
    // group that names one does not commit.
    std::fs::remove_dir_all(dir.path().join("blobs")).unwrap();
    let filled = store.transaction(&mut |tx| tx.set_setting("second", b"2"));
    let Err(StoreError::Commit(message)) = filled else { panic!("the group committed without its blobs: {filled:?}") };
    assert!(message.contains("cannot make the written blobs durable"), "{message}");
    assert_eq!(committed_settings(&path, &["names the blob", "second"]), [false, false]);
    // Once they can be again, the load goes on.
    std::fs::create_dir_all(dir.path().join("blobs")).unwrap();
    run(&store, |tx| tx.set_setting("third", b"3"));
    store.release().unwrap();
    assert_eq!(committed_settings(&path, &["names the blob", "second", "third"]), [false, false, true]);
}

// req: INV6
#[test]
fn sqlite_commits_held_for_a_load_fail_with_a_blob_the_write_behind_could_not_write() {
    let dir = tempfile::tempdir().unwrap();
    let (path, store, blobs) = held_sqlite(dir.path(), 2);
    run(&store, |tx| tx.set_setting("first", b"1"));
    // Gone before the write-behind gets to it: `put` has accepted the blob,
    // so only the commit can tell.
    std::fs::remove_dir_all(dir.path().join("blobs")).unwrap();
    let blob = BlobId::random();
    blobs.put(&blob, b"sealed", Durable::ByCommit).unwrap();
    let filled = store.transaction(&mut |tx| tx.set_setting("names the blob", blob.as_str().as_bytes()));
    let Err(StoreError::Commit(message)) = filled else { panic!("the group committed without its blob: {filled:?}") };
    assert!(message.contains("cannot write blob") && message.contains(blob.as_str()), "{message}");
    assert_eq!(committed_settings(&path, &["first", "names the blob"]), [false, false]);
    // The failure was told once; the load goes on with blobs that can be written.
    std::fs::create_dir_all(dir.path().join("blobs")).unwrap();
    let written = BlobId::random();
    blobs.put(&written, b"sealed too", Durable::ByCommit).unwrap();
    run(&store, |tx| tx.set_setting("third", written.as_str().as_bytes()));
    store.release().unwrap();
    assert_eq!(committed_settings(&path, &["first", "names the blob", "third"]), [false, false, true]);
    assert_eq!(blobs.get(&written).unwrap(), b"sealed too");
    assert!(blobs.get(&blob).is_err(), "the blob that failed is not there");
}

// req: INV6
#[test]
fn postgres_holds_no_commits_so_a_loads_blobs_are_durable_as_written() {
    let Some(database) = grondslag_store::ScratchDatabase::for_tests().unwrap() else { return };
    let store = grondslag_store::PostgresStore::open(database.url()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(store.hold_commits(256, &BlobStore::open(dir.path()).unwrap()).unwrap(), Durable::Now);
    store.release().unwrap();
}
