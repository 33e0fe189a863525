//! The embedded store: one SQLite file in WAL mode.
//!
//! `secure_delete` zeroes freed pages, so erased ciphertext does not linger in
//! the file. `synchronous = NORMAL` in WAL mode means a commit appends to the
//! WAL without an fsync; the WAL is synced at checkpoints. A crash loses at
//! most the last commits, each whole with its audit entries, never half of
//! one.
//!
//! The WAL is copied back into the database file by a thread of its own
//! (a passive checkpoint every [`CHECKPOINT_EVERY`] commits), not by the
//! commit that happens to fill it, as SQLite does by default: that copy and
//! its fsync are the largest cost of a write otherwise. The writer still
//! checkpoints itself if the WAL reaches a limit (see [`WRITER`]), so the
//! WAL stays bounded if the thread falls behind, and that checkpoint finds
//! little left to copy. SQLite's default page cache (2 MB) is kept: a larger
//! one made every commit slower (the cache is walked at the end of a write
//! transaction), and a reading connection's cache is emptied whenever the
//! writer has committed since its last read. Only while commits are held
//! for a load (see `group`), one commit for thousands of operations, does
//! the writer keep a large one.
//!
//! Transactions are committed in groups (see `group`): under load one
//! commit, and its WAL frames for the shared pages (the audit log's tail,
//! the indexes), serves many operations. `BEGIN IMMEDIATE` takes SQLite's
//! write lock at the start, so other processes on the same file wait their
//! turn rather than fail half-way. Reads (`Store::read`, the audit log)
//! use connections of their own, opened `query_only` and kept for reuse, so
//! they see only committed rows, do not wait for writers or for each other
//! (WAL lets readers and the writer run at once), and cannot write.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;

use grondslag_audit::Row as AuditRow;
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, ValueRef};

use crate::group::Group;
use crate::sql::{self, AuditSeqs, Db, Param, Row, Value};
use crate::{Store, StoreError, Tx};

/// Migrations in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_settings.sql"),
    include_str!("../migrations/sqlite/0003_cases.sql"),
    include_str!("../migrations/sqlite/0004_audit_subject.sql"),
    include_str!("../migrations/sqlite/0005_due.sql"),
    include_str!("../migrations/sqlite/0006_hold_review.sql"),
    include_str!("../migrations/sqlite/0007_sessions.sql"),
    include_str!("../migrations/sqlite/0008_relations.sql"),
    include_str!("../migrations/sqlite/0009_parents.sql"),
    include_str!("../migrations/sqlite/0010_audit_forget.sql"),
    include_str!("../migrations/sqlite/0011_session_record.sql"),
    include_str!("../migrations/sqlite/0012_fields_blob.sql"),
    include_str!("../migrations/sqlite/0013_fields_version.sql"),
    include_str!("../migrations/sqlite/0014_audit_chains.sql"),
    include_str!("../migrations/sqlite/0015_record_index_processing.sql"),
];

fn sql_error(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| StoreError::Sqlite { context, source }
}

/// The store in one SQLite file; writes are group-committed.
#[derive(Debug)]
pub struct SqliteStore {
    group: Group<Connection>,
    path: PathBuf,
    /// Reading connections not in use, for the next read.
    idle_readers: Mutex<Vec<Connection>>,
    checkpointer: Checkpointer,
}

/// Commits between two checkpoints of the WAL by the checkpointing thread
/// (a write is some ten pages, so about a thousand pages).
const CHECKPOINT_EVERY: u64 = 100;

/// The thread that checkpoints the WAL, woken every [`CHECKPOINT_EVERY`]
/// commits; it ends when the store is dropped.
#[derive(Debug)]
struct Checkpointer {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
    commits: AtomicU64,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        let connection = connect(path)?;
        let (wake, woken) = std::sync::mpsc::sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_string())
            .spawn(move || checkpoint_when_woken(&connection, &woken))
            .map_err(|e| StoreError::Checkpointer(e.to_string()))?;
        Ok(Checkpointer { wake: Some(wake), thread: Some(thread), commits: AtomicU64::new(0) })
    }

    /// Counts a commit, and wakes the thread every [`CHECKPOINT_EVERY`].
    fn committed(&self) {
        if !(self.commits.fetch_add(1, Ordering::Relaxed) + 1).is_multiple_of(CHECKPOINT_EVERY) {
            return;
        }
        let Some(wake) = &self.wake else { return };
        match wake.try_send(()) {
            // Full: a checkpoint is already due, and covers these commits too.
            Ok(()) | Err(TrySendError::Full(())) => {}
            Err(TrySendError::Disconnected(())) => tracing::warn!("the WAL checkpointing thread has stopped; the writer checkpoints itself"),
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.wake.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!("the WAL checkpointing thread panicked");
        }
    }
}

/// Passive checkpoints (they never wait for the writer or readers) until
/// the store is dropped. A failure is logged: the writer's own checkpoint
/// at its limit still bounds the WAL.
fn checkpoint_when_woken(connection: &Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        if let Err(e) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "could not checkpoint the WAL");
        }
    }
}

/// The writer while commits are held for a load. Its page cache (1 GiB)
/// is large enough that a held group's changed pages stay in memory until
/// its commit, rather than spill into the WAL and be written there again
/// each time they change again, and keeps more of the indexes on random
/// keys in memory as the store outgrows it (at 10^5 people, 1.2× the
/// people/s of 256 MiB). A held operation runs in no savepoint (see
/// `Group::hold`), but an upsert of several rows still keeps a journal of
/// its own (see `Db::INSERT_ROWS`); those, temporary tables and sorts stay
/// in memory (`temp_store`).
///
/// A held group's commit writes more pages to the WAL than the writer's
/// ordinary limit, so the writer would copy the WAL back itself after
/// nearly every commit, fsyncs and all: at 10^6 people a tenth of
/// `generate`'s writing thread, and more waiting on the disk (BENCHMARKS.md,
/// twenty-first session). While commits are held the limit is 100,000
/// pages (400 MB): the checkpointing thread, woken every
/// [`CHECKPOINT_EVERY`] operations, copies each commit beside the load on
/// another core, and the writer checkpoints only if it falls that far
/// behind.
const HELD_WRITER: &str = "PRAGMA cache_size = -1048576; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 100000;";

/// The writer otherwise: SQLite's default page cache (2 MB) and temporary
/// storage, and its own checkpoint once the WAL reaches 10,000 pages
/// (40 MB), only when the checkpointing thread falls behind.
const WRITER: &str = "PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT; PRAGMA wal_autocheckpoint = 10000;";

/// Idle reading connections kept open; more are opened when needed and
/// closed after use. Every read of personal data runs on one (reading
/// units), so there are as many at once as requests being served: opening
/// one costs more than most reads (the schema is parsed and every
/// statement prepared again), so enough are kept for a busy server.
const IDLE_READERS: usize = 32;

/// Prepared statements kept per connection: more than the store has.
const STATEMENTS_KEPT: usize = 256;

pub(crate) fn connect(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(sql_error("opening the database"))?;
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA secure_delete = ON;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(sql_error("setting up the connection"))?;
    // Every statement the store runs stays prepared (about a hundred);
    // rusqlite keeps 16 by default, so a write's dozen statements pushed
    // each other out and were prepared again, every time.
    connection.set_prepared_statement_cache_capacity(STATEMENTS_KEPT);
    Ok(connection)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let mut connection = connect(path)?;
        migrate(&mut connection)?;
        connection.execute_batch(WRITER).map_err(sql_error("setting up the writer"))?;
        Ok(SqliteStore {
            group: Group::new(connection, "BEGIN IMMEDIATE"),
            path: path.to_path_buf(),
            idle_readers: Mutex::new(Vec::new()),
            checkpointer: Checkpointer::start(path)?,
        })
    }

    /// Writes a consistent copy of the database, as of one moment, into the
    /// empty file `to` (`VACUUM INTO`: other connections may go on writing).
    pub fn backup_to(&self, to: &Path) -> Result<(), StoreError> {
        let connection = connect(&self.path)?;
        let target = to.to_str().ok_or(StoreError::Corrupt("backup path is not valid text"))?;
        connection.execute("VACUUM INTO ?1", [target]).map_err(sql_error("copying the database"))?;
        Ok(())
    }

    /// Runs `work` on an idle reading connection, or a new one.
    fn with_reader<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let idle = self.idle_readers.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let mut connection = match idle {
            Some(connection) => connection,
            None => {
                let connection = connect(&self.path)?;
                connection.pragma_update(None, "query_only", true).map_err(sql_error("making a connection read-only"))?;
                connection
            }
        };
        let result = work(&mut connection);
        let mut idle = self.idle_readers.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS {
            idle.push(connection);
        }
        result
    }
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let found: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sql_error("reading the schema version"))?;
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    for (version, migration) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        let tx = connection.transaction().map_err(sql_error("starting a migration"))?;
        tx.execute_batch(migration).map_err(sql_error("migrating the schema"))?;
        tx.pragma_update(None, "user_version", version + 1).map_err(sql_error("recording the schema version"))?;
        tx.commit().map_err(sql_error("committing a migration"))?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn transaction(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.group.transaction(work)?;
        self.checkpointer.committed();
        Ok(())
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        match self.group.read_while_held(work) {
            Some(result) => result,
            None => self.with_reader(|connection| sql::read_only(connection, "BEGIN", work)),
        }
    }

    fn audit_rows(&self, from: u64, visit: &mut dyn FnMut(AuditRow) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.with_reader(|connection| sql::audit_rows(connection, from, visit))
    }

    fn checkpoints(&self) -> Result<Vec<(grondslag_audit::Chain, u64, String)>, StoreError> {
        self.with_reader(sql::checkpoints)
    }

    fn hold_commits(&self, ops: usize, blobs: &crate::BlobStore) -> Result<crate::Durable, StoreError> {
        self.group.hold(ops, HELD_WRITER, blobs)?;
        Ok(crate::Durable::ByCommit)
    }

    fn release(&self) -> Result<(), StoreError> {
        self.group.release(WRITER)?;
        self.checkpointer.committed();
        Ok(())
    }
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Param::Text(Some(text)) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Param::Bytes(Some(bytes)) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
            Param::Int(Some(n)) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*n)),
            Param::Text(None) | Param::Bytes(None) | Param::Int(None) => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            // Read back by `json_each` (see `in_list`).
            Param::Texts(texts) => ToSqlOutput::Owned(rusqlite::types::Value::Text(serde_json::Value::from(texts.clone()).to_string())),
        })
    }
}

/// Statements are prepared once per connection and reused: preparing costs
/// more than running most of them.
impl Db for Connection {
    /// SQLite has one writer at a time, so what a sweep reads is its own.
    const CLAIM: &'static str = "";

    const TAKE_CHAINS: Option<&'static str> = None;

    /// Never asked for: a write on SQLite is always alone.
    const FOR_UPDATE: &'static str = "";

    const INSERT_ROWS: &'static str = "INSERT OR FAIL INTO";

    const HOLD_INDEX_KEY: Option<&'static str> = None;

    /// Under the one writer, the last one plus one is free.
    const AUDIT_SEQS: AuditSeqs = AuditSeqs::AfterLast("SELECT coalesce(max(seq), 0) FROM audit_entries");

    /// SQLite has no arrays: the list is a JSON array, read as a table.
    fn in_list(column: &str, param: usize) -> String {
        format!("{column} IN (SELECT value FROM json_each(?{param}))")
    }

    fn batch(&mut self, context: &'static str, sql: &str) -> Result<(), StoreError> {
        self.execute_batch(sql).map_err(sql_error(context))
    }

    fn in_transaction(&mut self) -> bool {
        !self.is_autocommit()
    }

    fn execute(&mut self, context: &'static str, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let mut statement = self.prepare_cached(sql).map_err(sql_error(context))?;
        let changed = statement.execute(rusqlite::params_from_iter(params)).map_err(sql_error(context))?;
        Ok(changed as u64)
    }

    fn query(&mut self, context: &'static str, sql: &str, params: &[Param<'_>], each: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut statement = self.prepare_cached(sql).map_err(sql_error(context))?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params)).map_err(sql_error(context))?;
        while let Some(row) = rows.next().map_err(sql_error(context))? {
            let mut values = Vec::with_capacity(columns);
            for column in 0..columns {
                values.push(match row.get_ref(column).map_err(sql_error(context))? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => Value::Int(n),
                    ValueRef::Text(text) => Value::Text(String::from_utf8(text.to_vec()).map_err(|_| StoreError::Malformed { context, column })?),
                    ValueRef::Blob(bytes) => Value::Bytes(bytes.to_vec()),
                    ValueRef::Real(_) => return Err(StoreError::Malformed { context, column }),
                });
            }
            each(Row { values, context })?;
        }
        Ok(())
    }
}
