//! The embedded store: one SQLite file in WAL mode.
//!
//! `secure_delete` zeroes freed pages, so erased ciphertext does not linger in
//! the file. `synchronous = NORMAL` in WAL mode means a commit appends to the
//! WAL without an fsync; the WAL is synced at checkpoints. A crash loses at
//! most the last commits, each whole with its audit entries, never half of
//! one.
//!
//! Transactions are committed in groups. One connection writes; a caller
//! that finishes its work while others queue for the connection leaves the
//! SQLite transaction open and waits, and the last of the queue commits for
//! all. Each caller's work runs in its own savepoint, so a failure undoes
//! only that caller's part. Under load, one commit (and its WAL frames for
//! the shared pages: the audit log's tail, the indexes) serves many
//! operations; alone, a caller commits at once. Reads of the audit log use a
//! second connection, so they see only committed rows and do not wait for
//! writers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use grondslag_audit::{Hash, Row};
use rusqlite::{Connection, OptionalExtension, params};

use crate::{BlobId, DisclosureRow, Erased, EventRow, FieldRow, RecordId, RecordRow, SessionRow, Store, StoreError, SubjectId, SubjectRow, Tx};

/// Migrations in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_settings.sql"),
    include_str!("../migrations/sqlite/0003_cases.sql"),
    include_str!("../migrations/sqlite/0004_audit_subject.sql"),
    include_str!("../migrations/sqlite/0005_due.sql"),
    include_str!("../migrations/sqlite/0006_hold_review.sql"),
    include_str!("../migrations/sqlite/0007_sessions.sql"),
];

/// At most this many operations share one commit, so a steady stream of
/// writers still commits regularly.
const MAX_GROUP: usize = 64;

fn sql(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

#[derive(Debug)]
pub struct SqliteStore {
    writer: Mutex<Writer>,
    /// Signalled when a group commits.
    committed: Condvar,
    /// Callers queued for the writer: while there are any, a finished caller
    /// leaves the group open for them.
    queued: AtomicUsize,
    reader: Mutex<Connection>,
}

#[derive(Debug)]
struct Writer {
    connection: Connection,
    /// The group whose transaction is open, and how many callers it holds.
    open: Option<(u64, usize)>,
    next_group: u64,
    /// Groups committed so far are all those below this number.
    committed_below: u64,
    /// Failed commits, with how many waiting callers still have to read it.
    failures: HashMap<u64, (usize, String)>,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(sql("opening the database"))?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(sql("setting up the connection"))?;
    Ok(connection)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let mut connection = connect(path)?;
        migrate(&mut connection)?;
        let reader = connect(path)?;
        Ok(SqliteStore {
            writer: Mutex::new(Writer { connection, open: None, next_group: 0, committed_below: 0, failures: HashMap::new() }),
            committed: Condvar::new(),
            queued: AtomicUsize::new(0),
            reader: Mutex::new(reader),
        })
    }

    fn writer(&self) -> MutexGuard<'_, Writer> {
        // Poisoning means a caller panicked; `transaction` has then already
        // rolled its group back, so the writer is consistent.
        self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        self.reader.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Commits (or, after a failure, rolls back) the open group and wakes
    /// its waiting members.
    fn finish_group(&self, writer: &mut Writer, outcome: Result<(), String>) -> Result<(), String> {
        let Some((group, members)) = writer.open.take() else { return outcome };
        let outcome = outcome.and_then(|()| writer.connection.execute_batch("COMMIT").map_err(|e| e.to_string()));
        if let Err(message) = &outcome {
            // A failed COMMIT may leave the transaction open; end it.
            if !writer.connection.is_autocommit() {
                let _rolled_back = writer.connection.execute_batch("ROLLBACK");
            }
            if members > 1 {
                writer.failures.insert(group, (members - 1, message.clone()));
            }
        }
        writer.committed_below = group + 1;
        self.committed.notify_all();
        outcome
    }
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql("reading the schema version"))?;
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    for (version, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        let tx = connection.transaction().map_err(sql("starting a migration"))?;
        tx.execute_batch(migration).map_err(sql("migrating the schema"))?;
        tx.pragma_update(None, "user_version", version + 1).map_err(sql("recording the schema version"))?;
        tx.commit().map_err(sql("committing a migration"))?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn transaction(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let mut writer = self.writer();
        self.queued.fetch_sub(1, Ordering::SeqCst);

        let group = match writer.open {
            Some((group, members)) => {
                writer.open = Some((group, members + 1));
                group
            }
            None => {
                writer.connection.execute_batch("BEGIN IMMEDIATE").map_err(sql("starting a transaction"))?;
                let group = writer.next_group;
                writer.next_group += 1;
                writer.open = Some((group, 1));
                group
            }
        };
        if let Err(e) = writer.connection.execute_batch("SAVEPOINT work") {
            let _ = self.finish_group(&mut writer, Err(e.to_string()));
            return Err(StoreError::Sqlite { context: "starting a savepoint", source: e });
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            work(&mut SqliteTx { tx: &writer.connection })
        }));
        let result = match outcome {
            Ok(result) => result,
            Err(panic) => {
                // Roll the whole group back and tell its members, rather
                // than leave them waiting on a transaction nobody ends.
                if !writer.connection.is_autocommit() {
                    let _rolled_back = writer.connection.execute_batch("ROLLBACK");
                }
                let _ = self.finish_group(&mut writer, Err("a transaction in the same group panicked".to_string()));
                drop(writer);
                std::panic::resume_unwind(panic);
            }
        };
        let undo = if result.is_ok() { "RELEASE work" } else { "ROLLBACK TO work; RELEASE work" };
        if let Err(e) = writer.connection.execute_batch(undo) {
            let _ = self.finish_group(&mut writer, Err(e.to_string()));
            return Err(StoreError::Sqlite { context: "ending a savepoint", source: e });
        }

        let members = writer.open.map_or(0, |(_, members)| members);
        let commit = if self.queued.load(Ordering::SeqCst) > 0 && members < MAX_GROUP {
            // Someone is about to take the writer: let them join this group
            // and commit for both.
            while writer.committed_below <= group {
                writer = self.committed.wait(writer).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            match writer.failures.get_mut(&group) {
                None => Ok(()),
                Some((readers, message)) => {
                    let message = message.clone();
                    *readers -= 1;
                    if *readers == 0 {
                        writer.failures.remove(&group);
                    }
                    Err(message)
                }
            }
        } else {
            self.finish_group(&mut writer, Ok(()))
        };
        result?;
        commit.map_err(StoreError::Commit)
    }

    fn audit_rows(&self, visit: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let connection = self.reader();
        let mut statement = connection
            .prepare("SELECT seq, entry, leaf, chain FROM audit_entries ORDER BY seq")
            .map_err(sql("reading the audit log"))?;
        let mut rows = statement.query([]).map_err(sql("reading the audit log"))?;
        while let Some(row) = rows.next().map_err(sql("reading the audit log"))? {
            visit(audit_row(row)?)?;
        }
        Ok(())
    }

    fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError> {
        let connection = self.reader();
        let mut statement = connection
            .prepare("SELECT size, note FROM audit_checkpoints ORDER BY size")
            .map_err(sql("reading checkpoints"))?;
        let rows = statement
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .map_err(sql("reading checkpoints"))?;
        rows.map(|r| {
            let (size, note) = r.map_err(sql("reading checkpoints"))?;
            Ok((u64::try_from(size).map_err(|_| StoreError::Corrupt("audit_checkpoints.size"))?, note))
        })
        .collect()
    }
}

fn audit_row(row: &rusqlite::Row<'_>) -> Result<Row, StoreError> {
    let seq: i64 = row.get(0).map_err(sql("reading the audit log"))?;
    let entry: String = row.get(1).map_err(sql("reading the audit log"))?;
    let leaf: Vec<u8> = row.get(2).map_err(sql("reading the audit log"))?;
    let chain: Vec<u8> = row.get(3).map_err(sql("reading the audit log"))?;
    Ok(Row {
        seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt("audit_entries.seq"))?,
        entry,
        leaf: Hash::from_slice(&leaf).ok_or(StoreError::Corrupt("audit_entries.leaf"))?,
        chain: Hash::from_slice(&chain).ok_or(StoreError::Corrupt("audit_entries.chain"))?,
    })
}

struct SqliteTx<'c> {
    tx: &'c Connection,
}

impl SqliteTx<'_> {
    /// Rows of (record, subject, processing, moment) from the due table.
    fn due_rows(&self, query: &str, now: jiff::Timestamp, limit: u64) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError> {
        let mut statement = self.tx.prepare_cached(query).map_err(sql("reading due dates"))?;
        let rows = statement
            .query_map(params![timestamp(now), i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })
            .map_err(sql("reading due dates"))?;
        rows.map(|row| {
            let (record, subject, processing, at) = row.map_err(sql("reading due dates"))?;
            Ok((
                RecordId::parse(&record).map_err(|_| StoreError::Corrupt("due.record_id"))?,
                SubjectId::parse(&subject).map_err(|_| StoreError::Corrupt("due.subject_id"))?,
                processing,
                parse_timestamp(&at, "due")?,
            ))
        })
        .collect()
    }

    /// The blobs of the records matching `condition` on `r` (records).
    fn blobs_where(&self, condition: &str, value: &str) -> Result<Vec<BlobId>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached(&format!("SELECT f.blob FROM fields f JOIN records r ON r.id = f.record_id WHERE {condition} AND f.blob IS NOT NULL"))
            .map_err(sql("finding blobs"))?;
        statement
            .query_map([value], |r| r.get::<_, String>(0))
            .map_err(sql("finding blobs"))?
            .map(|b| BlobId::parse(&b.map_err(sql("finding blobs"))?).map_err(|_| StoreError::Corrupt("fields.blob")))
            .collect()
    }

    /// Statements are prepared once per connection and reused: preparing
    /// costs more than running most of these.
    fn exec(&self, statement: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.tx.prepare_cached(statement)?.execute(params)
    }

    fn query_one<T>(&self, statement: &str, params: impl rusqlite::Params, map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        self.tx.prepare_cached(statement)?.query_row(params, map)
    }
}

/// Fixed-width UTC text (nanoseconds always written), so that comparing and
/// ordering the text in SQL orders the moments.
fn timestamp(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S.%9fZ").to_string()
}

fn parse_timestamp(text: &str, column: &'static str) -> Result<jiff::Timestamp, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(column))
}

const RECORD_COLUMNS: &str = "r.id, r.subject_id, r.processing, r.reference, r.status, r.updated_at";

type RawRecord = (String, String, String, Option<String>, Option<String>, String);

fn raw_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawRecord> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn record_row((record, subject, processing, reference, status, updated): RawRecord) -> Result<RecordRow, StoreError> {
    Ok(RecordRow {
        record: RecordId::parse(&record).map_err(|_| StoreError::Corrupt("records.id"))?,
        subject: SubjectId::parse(&subject).map_err(|_| StoreError::Corrupt("records.subject_id"))?,
        processing,
        reference,
        status,
        updated_at: parse_timestamp(&updated, "records.updated_at")?,
    })
}

fn seq(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt("sequence number out of range"))
}

impl Tx for SqliteTx<'_> {
    fn insert_subject(&mut self, id: &SubjectId, wrapped_key: &[u8], at: jiff::Timestamp) -> Result<(), StoreError> {
        self.exec(
                "INSERT INTO subjects (id, wrapped_key, restricted, created_at) VALUES (?1, ?2, 0, ?3)",
                params![id.as_str(), wrapped_key, timestamp(at)],
            )
            .map_err(sql("creating a subject"))?;
        Ok(())
    }

    fn subject(&mut self, id: &SubjectId) -> Result<Option<SubjectRow>, StoreError> {
        self.query_one("SELECT wrapped_key, restricted FROM subjects WHERE id = ?1", [id.as_str()], |r| {
                Ok(SubjectRow { wrapped_key: r.get(0)?, restricted: r.get::<_, i64>(1)? != 0 })
            })
            .optional()
            .map_err(sql("reading a subject"))
    }

    fn set_restricted(&mut self, id: &SubjectId, restricted: bool) -> Result<bool, StoreError> {
        let changed = self
            .exec("UPDATE subjects SET restricted = ?2 WHERE id = ?1", params![id.as_str(), i64::from(restricted)])
            .map_err(sql("restricting a subject"))?;
        Ok(changed > 0)
    }

    fn erase_subject(&mut self, id: &SubjectId) -> Result<Erased, StoreError> {
        let blobs = self.blobs_where("r.subject_id = ?1", id.as_str())?;
        let fields = self
            .exec("DELETE FROM fields WHERE record_id IN (SELECT id FROM records WHERE subject_id = ?1)", [id.as_str()])
            .map_err(sql("erasing fields"))?;
        let records = self.exec("DELETE FROM records WHERE subject_id = ?1", [id.as_str()]).map_err(sql("erasing records"))?;
        self.exec("DELETE FROM blind_index WHERE subject_id = ?1", [id.as_str()]).map_err(sql("erasing index entries"))?;
        self.exec("DELETE FROM subjects WHERE id = ?1", [id.as_str()]).map_err(sql("erasing a subject key"))?;
        Ok(Erased { records: records as u64, fields: fields as u64, blobs })
    }

    fn erase_record(&mut self, record: &RecordId) -> Result<Erased, StoreError> {
        let blobs = self.blobs_where("r.id = ?1", record.as_str())?;
        let fields = self.exec("DELETE FROM fields WHERE record_id = ?1", [record.as_str()]).map_err(sql("erasing fields"))?;
        let records = self.exec("DELETE FROM records WHERE id = ?1", [record.as_str()]).map_err(sql("erasing a record"))?;
        Ok(Erased { records: records as u64, fields: fields as u64, blobs })
    }

    fn records_of(&mut self, subject: &SubjectId) -> Result<u64, StoreError> {
        let count: i64 = self
            .query_one("SELECT count(*) FROM records WHERE subject_id = ?1", [subject.as_str()], |r| r.get(0))
            .map_err(sql("counting records"))?;
        u64::try_from(count).map_err(|_| StoreError::Corrupt("records"))
    }

    fn set_blind_index(&mut self, kind: &str, digest: &[u8], subject: &SubjectId) -> Result<(), StoreError> {
        self.exec("DELETE FROM blind_index WHERE kind = ?1 AND subject_id = ?2", params![kind, subject.as_str()])
            .map_err(sql("writing the blind index"))?;
        self.exec(
            "INSERT INTO blind_index (kind, digest, subject_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, digest) DO UPDATE SET subject_id = excluded.subject_id",
            params![kind, digest, subject.as_str()],
        )
        .map_err(sql("writing the blind index"))?;
        Ok(())
    }

    fn find_blind_index(&mut self, kind: &str, digest: &[u8]) -> Result<Option<SubjectId>, StoreError> {
        let found: Option<String> = self
            .query_one("SELECT subject_id FROM blind_index WHERE kind = ?1 AND digest = ?2", params![kind, digest], |r| r.get(0))
            .optional()
            .map_err(sql("searching the blind index"))?;
        found.map(|s| SubjectId::parse(&s).map_err(|_| StoreError::Corrupt("blind_index.subject_id"))).transpose()
    }

    fn upsert_record(&mut self, record: &RecordId, subject: &SubjectId, processing: &str, at: jiff::Timestamp) -> Result<(), StoreError> {
        self.exec(
                "INSERT INTO records (id, subject_id, processing, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
                 ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
                params![record.as_str(), subject.as_str(), processing, timestamp(at)],
            )
            .map_err(sql("writing a record"))?;
        Ok(())
    }

    fn put_field(&mut self, record: &RecordId, category: &str, value: &[u8], blob: Option<&BlobId>) -> Result<(), StoreError> {
        self.exec(
                "INSERT INTO fields (record_id, category, value, blob) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (record_id, category) DO UPDATE SET value = excluded.value, blob = excluded.blob",
                params![record.as_str(), category, value, blob.map(BlobId::as_str)],
            )
            .map_err(sql("writing a field"))?;
        Ok(())
    }

    fn fields(&mut self, subject: &SubjectId, processing: Option<&str>) -> Result<Vec<FieldRow>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached(
                "SELECT r.id, r.processing, f.category, f.value, f.blob
                 FROM records r JOIN fields f ON f.record_id = r.id
                 WHERE r.subject_id = ?1 AND (?2 IS NULL OR r.processing = ?2)
                 ORDER BY r.created_at, r.id, f.category",
            )
            .map_err(sql("reading fields"))?;
        let rows = statement
            .query_map(params![subject.as_str(), processing], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Vec<u8>>(3)?, r.get::<_, Option<String>>(4)?))
            })
            .map_err(sql("reading fields"))?;
        rows.map(|row| {
            let (record, processing, category, value, blob) = row.map_err(sql("reading fields"))?;
            Ok(FieldRow {
                record: RecordId::parse(&record).map_err(|_| StoreError::Corrupt("records.id"))?,
                processing,
                category,
                value,
                blob: blob.map(|b| BlobId::parse(&b)).transpose().map_err(|_| StoreError::Corrupt("fields.blob"))?,
            })
        })
        .collect()
    }

    fn insert_disclosure(&mut self, d: &DisclosureRow) -> Result<(), StoreError> {
        self.exec(
                "INSERT INTO disclosures (subject_id, processing, recipient, categories, actor, trace_id, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![d.subject.as_str(), d.processing, d.recipient, d.categories, d.actor, d.trace_id, timestamp(d.at)],
            )
            .map_err(sql("recording a disclosure"))?;
        Ok(())
    }

    fn audit_head(&mut self) -> Result<Option<(u64, Hash)>, StoreError> {
        let head: Option<(i64, Vec<u8>)> = self
            .query_one("SELECT seq, chain FROM audit_entries ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(sql("reading the audit head"))?;
        head.map(|(seq, chain)| {
            Ok((
                u64::try_from(seq).map_err(|_| StoreError::Corrupt("audit_entries.seq"))?,
                Hash::from_slice(&chain).ok_or(StoreError::Corrupt("audit_entries.chain"))?,
            ))
        })
        .transpose()
    }

    fn append_audit(&mut self, row: &Row, subject: Option<&SubjectId>) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO audit_entries (seq, entry, leaf, chain, subject_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![seq(row.seq)?, row.entry, row.leaf.0, row.chain.0, subject.map(SubjectId::as_str)],
        )
        .map_err(sql("appending to the audit log"))?;
        Ok(())
    }

    fn audit_of(&mut self, subject: &SubjectId) -> Result<Vec<Row>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached("SELECT seq, entry, leaf, chain FROM audit_entries WHERE subject_id = ?1 ORDER BY seq")
            .map_err(sql("reading the audit log"))?;
        let mut rows = statement.query([subject.as_str()]).map_err(sql("reading the audit log"))?;
        let mut found = Vec::new();
        while let Some(row) = rows.next().map_err(sql("reading the audit log"))? {
            found.push(audit_row(row)?);
        }
        Ok(found)
    }

    fn disclosures_of(&mut self, subject: &SubjectId) -> Result<Vec<DisclosureRow>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached("SELECT processing, recipient, categories, actor, trace_id, at FROM disclosures WHERE subject_id = ?1 ORDER BY id")
            .map_err(sql("reading disclosures"))?;
        let rows = statement
            .query_map([subject.as_str()], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, String>(5)?))
            })
            .map_err(sql("reading disclosures"))?;
        rows.map(|row| {
            let (processing, recipient, categories, actor, trace_id, at) = row.map_err(sql("reading disclosures"))?;
            Ok(DisclosureRow { subject: subject.clone(), processing, recipient, categories, actor, trace_id, at: parse_timestamp(&at, "disclosures.at")? })
        })
        .collect()
    }

    fn last_checkpoint(&mut self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
        let found: Option<(i64, Vec<u8>)> = self
            .query_one("SELECT size, frontier FROM audit_checkpoints ORDER BY size DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(sql("reading the last checkpoint"))?;
        found
            .map(|(size, frontier)| Ok((u64::try_from(size).map_err(|_| StoreError::Corrupt("audit_checkpoints.size"))?, frontier)))
            .transpose()
    }

    fn audit_leaves_after(&mut self, after: u64) -> Result<Vec<Hash>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached("SELECT leaf FROM audit_entries WHERE seq > ?1 ORDER BY seq")
            .map_err(sql("reading audit leaves"))?;
        let rows = statement.query_map([seq(after)?], |r| r.get::<_, Vec<u8>>(0)).map_err(sql("reading audit leaves"))?;
        rows.map(|leaf| Hash::from_slice(&leaf.map_err(sql("reading audit leaves"))?).ok_or(StoreError::Corrupt("audit_entries.leaf")))
            .collect()
    }

    fn record(&mut self, record: &RecordId) -> Result<Option<RecordRow>, StoreError> {
        self.query_one(&format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.id = ?1"), [record.as_str()], raw_record)
            .optional()
            .map_err(sql("reading a record"))?
            .map(record_row)
            .transpose()
    }

    fn next_in_sequence(&mut self, name: &str) -> Result<u64, StoreError> {
        let value: i64 = self
            .query_one(
                "INSERT INTO sequences (name, value) VALUES (?1, 1)
                 ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value",
                [name],
                |r| r.get(0),
            )
            .map_err(sql("advancing a sequence"))?;
        u64::try_from(value).map_err(|_| StoreError::Corrupt("sequences.value"))
    }

    fn set_reference(&mut self, record: &RecordId, reference: &str) -> Result<(), StoreError> {
        self.exec("UPDATE records SET reference = ?2 WHERE id = ?1", params![record.as_str(), reference]).map_err(sql("setting a reference"))?;
        Ok(())
    }

    fn find_reference(&mut self, reference: &str) -> Result<Option<RecordRow>, StoreError> {
        self.query_one(&format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.reference = ?1"), [reference], raw_record)
            .optional()
            .map_err(sql("finding a reference"))?
            .map(record_row)
            .transpose()
    }

    fn add_event(&mut self, record: &RecordId, event: &EventRow, status: Option<&str>) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO record_events (record_id, event, at, actor, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![record.as_str(), event.event, timestamp(event.at), event.actor, event.detail],
        )
        .map_err(sql("recording an event"))?;
        self.exec(
            "UPDATE records SET status = coalesce(?2, status), updated_at = ?3 WHERE id = ?1",
            params![record.as_str(), status, timestamp(event.at)],
        )
        .map_err(sql("recording an event"))?;
        Ok(())
    }

    fn events(&mut self, record: &RecordId) -> Result<Vec<EventRow>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached("SELECT event, at, actor, detail FROM record_events WHERE record_id = ?1 ORDER BY id")
            .map_err(sql("reading events"))?;
        let rows = statement
            .query_map([record.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<Vec<u8>>>(3)?)))
            .map_err(sql("reading events"))?;
        rows.map(|row| {
            let (event, at, actor, detail) = row.map_err(sql("reading events"))?;
            Ok(EventRow { event, at: parse_timestamp(&at, "record_events.at")?, actor, detail })
        })
        .collect()
    }

    fn add_record_index(&mut self, kind: &str, digest: &[u8], record: &RecordId) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO record_index (kind, digest, record_id) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![kind, digest, record.as_str()],
        )
        .map_err(sql("indexing a record"))?;
        Ok(())
    }

    fn find_record_index(&mut self, kind: &str, digest: &[u8]) -> Result<Vec<RecordRow>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM record_index i JOIN records r ON r.id = i.record_id
                 WHERE i.kind = ?1 AND i.digest = ?2 ORDER BY r.created_at, r.id"
            ))
            .map_err(sql("searching the record index"))?;
        let rows = statement.query_map(params![kind, digest], raw_record).map_err(sql("searching the record index"))?;
        rows.map(|row| record_row(row.map_err(sql("searching the record index"))?)).collect()
    }

    fn list_records(&mut self, processing: &str, status: Option<&str>, offset: u64, limit: u64) -> Result<Vec<RecordRow>, StoreError> {
        // Two statements, not `(?2 IS NULL OR status = ?2)`: with that, SQLite
        // cannot seek the (processing, status, updated_at) index on the
        // status and sorts every record of the processing (100 ms at 35,000).
        let filter = if status.is_some() { "r.status = ?2" } else { "?2 IS NULL" };
        let mut statement = self
            .tx
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records r
                 WHERE r.processing = ?1 AND {filter}
                 ORDER BY r.updated_at DESC, r.id LIMIT ?3 OFFSET ?4"
            ))
            .map_err(sql("listing records"))?;
        let (limit, offset) = (i64::try_from(limit).unwrap_or(i64::MAX), i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = statement.query_map(params![processing, status, limit, offset], raw_record).map_err(sql("listing records"))?;
        rows.map(|row| record_row(row.map_err(sql("listing records"))?)).collect()
    }

    fn set_due(&mut self, record: &RecordId, subject: &SubjectId, processing: &str, due_at: Option<jiff::Timestamp>, held: bool) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO due (record_id, subject_id, processing, due_at, held) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (record_id) DO UPDATE SET due_at = excluded.due_at, held = excluded.held",
            params![record.as_str(), subject.as_str(), processing, due_at.map(timestamp), i64::from(held)],
        )
        .map_err(sql("recording a due date"))?;
        Ok(())
    }

    fn due_records(&mut self, now: jiff::Timestamp, limit: u64) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError> {
        self.due_rows(
            "SELECT record_id, subject_id, processing, due_at FROM due WHERE held = 0 AND due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at LIMIT ?2",
            now,
            limit,
        )
    }

    fn set_review(&mut self, record: &RecordId, review_at: Option<jiff::Timestamp>) -> Result<(), StoreError> {
        self.exec("UPDATE due SET review_at = ?2 WHERE record_id = ?1", params![record.as_str(), review_at.map(timestamp)]).map_err(sql("setting a review date"))?;
        Ok(())
    }

    fn overdue_reviews(&mut self, now: jiff::Timestamp) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError> {
        self.due_rows(
            "SELECT record_id, subject_id, processing, review_at FROM due WHERE held = 1 AND review_at IS NOT NULL AND review_at <= ?1 ORDER BY review_at LIMIT ?2",
            now,
            u64::MAX,
        )
    }

    fn due_summary(&mut self) -> Result<Vec<(String, Option<jiff::Timestamp>, bool)>, StoreError> {
        let mut statement = self.tx.prepare_cached("SELECT processing, due_at, held FROM due").map_err(sql("summarising due dates"))?;
        let rows = statement
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, i64>(2)?)))
            .map_err(sql("summarising due dates"))?;
        rows.map(|row| {
            let (processing, due, held) = row.map_err(sql("summarising due dates"))?;
            Ok((processing, due.map(|d| parse_timestamp(&d, "due.due_at")).transpose()?, held != 0))
        })
        .collect()
    }

    fn record_counts(&mut self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut statement = self.tx.prepare_cached("SELECT processing, count(*) FROM records GROUP BY processing ORDER BY processing").map_err(sql("counting records"))?;
        let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(sql("counting records"))?;
        rows.map(|row| {
            let (processing, count) = row.map_err(sql("counting records"))?;
            Ok((processing, u64::try_from(count).unwrap_or(0)))
        })
        .collect()
    }

    fn settings_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut statement = self
            .tx
            .prepare_cached("SELECT name, value FROM settings WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name")
            .map_err(sql("reading settings"))?;
        let rows = statement.query_map([prefix], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(sql("reading settings"))?;
        rows.map(|row| row.map_err(sql("reading settings"))).collect()
    }

    fn setting(&mut self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.query_one("SELECT value FROM settings WHERE name = ?1", [name], |r| r.get(0))
            .optional()
            .map_err(sql("reading a setting"))
    }

    fn set_setting(&mut self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.exec("INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value", params![name, value])
            .map_err(sql("writing a setting"))?;
        Ok(())
    }

    fn put_session(&mut self, token_hash: &[u8], session: &SessionRow) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO sessions (token_hash, account, body, expires_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (token_hash) DO UPDATE SET body = excluded.body, expires_at = excluded.expires_at",
            params![token_hash, session.account, session.body, timestamp(session.expires_at)],
        )
        .map_err(sql("writing a session"))?;
        Ok(())
    }

    fn session(&mut self, token_hash: &[u8], now: jiff::Timestamp) -> Result<Option<SessionRow>, StoreError> {
        let found = self
            .query_one(
                "SELECT account, body, expires_at FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
                params![token_hash, timestamp(now)],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, String>(2)?)),
            )
            .optional()
            .map_err(sql("reading a session"))?;
        found.map(|(account, body, expires)| Ok(SessionRow { account, body, expires_at: parse_timestamp(&expires, "sessions.expires_at")? })).transpose()
    }

    fn delete_session(&mut self, token_hash: &[u8]) -> Result<(), StoreError> {
        self.exec("DELETE FROM sessions WHERE token_hash = ?1", [token_hash]).map_err(sql("ending a session"))?;
        Ok(())
    }

    fn delete_sessions(&mut self, account: &str, expired_before: jiff::Timestamp) -> Result<u64, StoreError> {
        let n = self
            .exec("DELETE FROM sessions WHERE account = ?1 OR expires_at <= ?2", params![account, timestamp(expired_before)])
            .map_err(sql("ending sessions"))?;
        Ok(n as u64)
    }

    fn login_failures(&mut self, key: &[u8]) -> Result<Option<(u32, jiff::Timestamp)>, StoreError> {
        let found = self
            .query_one("SELECT failures, last_at FROM login_failures WHERE key = ?1", [key], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)))
            .optional()
            .map_err(sql("reading failed sign-ins"))?;
        found.map(|(n, at)| Ok((n, parse_timestamp(&at, "login_failures.last_at")?))).transpose()
    }

    fn set_login_failures(&mut self, key: &[u8], failures: u32, at: jiff::Timestamp) -> Result<(), StoreError> {
        if failures == 0 {
            self.exec("DELETE FROM login_failures WHERE key = ?1", [key]).map_err(sql("clearing failed sign-ins"))?;
        } else {
            self.exec(
                "INSERT INTO login_failures (key, failures, last_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at",
                params![key, failures, timestamp(at)],
            )
            .map_err(sql("recording a failed sign-in"))?;
        }
        Ok(())
    }

    fn insert_checkpoint(&mut self, size: u64, note: &str, frontier: &[u8]) -> Result<(), StoreError> {
        self.exec(
                "INSERT INTO audit_checkpoints (size, note, frontier) VALUES (?1, ?2, ?3) ON CONFLICT (size) DO NOTHING",
                params![seq(size)?, note, frontier],
            )
            .map_err(sql("writing a checkpoint"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_order_as_text() {
        let a: jiff::Timestamp = "2026-11-28T20:24:51Z".parse().unwrap();
        let b: jiff::Timestamp = "2026-11-28T20:24:51.5Z".parse().unwrap();
        assert!(timestamp(a) < timestamp(b));
        assert_eq!(parse_timestamp(&timestamp(b), "t").unwrap(), b);
    }

    #[test]
    fn sessions_expire_and_end_per_account() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let t0: jiff::Timestamp = "2026-11-29T10:00:00Z".parse().unwrap();
        let later = t0 + jiff::SignedDuration::from_mins(31);
        let row = SessionRow { account: "anna".into(), body: b"{}".to_vec(), expires_at: t0 + jiff::SignedDuration::from_mins(30) };
        store
            .transaction(&mut |tx| {
                tx.put_session(b"h1", &row)?;
                tx.put_session(b"h2", &SessionRow { account: "bert".into(), ..row.clone() })?;
                assert_eq!(tx.session(b"h1", t0)?, Some(row.clone()));
                assert_eq!(tx.session(b"h1", later)?, None);
                assert_eq!(tx.delete_sessions("anna", t0)?, 1);
                assert_eq!(tx.session(b"h2", t0)?.map(|s| s.account), Some("bert".to_string()));
                tx.set_login_failures(b"k", 3, t0)?;
                assert_eq!(tx.login_failures(b"k")?, Some((3, t0)));
                tx.set_login_failures(b"k", 0, t0)?;
                assert_eq!(tx.login_failures(b"k")?, None);
                Ok(())
            })
            .unwrap();
    }
}
