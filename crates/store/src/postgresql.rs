//! The production store: PostgreSQL, shared by several nodes.
//!
//! Writes run beside each other, each on a pooled connection of its own, on
//! one node and across nodes, in READ COMMITTED (a fresh snapshot per
//! statement). What keeps a write's read-then-write steps right with others
//! running is what it holds until it commits (`SqlTx::alone`):
//!
//! - the row of every subject whose key it reads (`SELECT … FOR UPDATE`),
//!   directly or through one of the subject's records: a write decides on
//!   a person's data (a status to step from, a field's version, "has
//!   voted", a ballot count) only after reading the key to open it, so a
//!   second write touching the same person waits, and then reads what the
//!   first wrote;
//! - the row of a name's failed sign-ins (made at zero when there is none,
//!   as a missing row cannot be locked);
//! - the lock of each audit chain it appends to (`take_chains`, a key per
//!   chain, in ascending order, the heads read and numbers drawn in the
//!   same round trip), taken last, when the unit's entries are chained, so
//!   that no write holding a chain waits for a row;
//! - where the step is "is it there? then add it": a record index or
//!   blind index key that a lookup found no entry under (an advisory key
//!   from its kind and digest, then looked up again), a BSN's blind index
//!   also by its unique key,
//!   the sweep's `FOR UPDATE SKIP LOCKED` claims, sequences advanced by
//!   `UPDATE … RETURNING`.
//!
//! Two writes that take two subjects in opposite orders can still wait on
//! each other; PostgreSQL then stops one of them after `deadlock_timeout`,
//! which rolls back whole, as any failed write does, and fails as
//! [`StoreError::Conflict`] — also where the caller's work answered the
//! stopped statement with an error of its own — to be run again (the
//! kernel's units are).
//!
//! Every write also holds one transaction-scoped advisory lock in shared
//! mode; a migration and the copy from SQLite take it exclusively, so they
//! run alone. `seq`, the audit log's number across chains, comes from a
//! sequence.
//!
//! Statements whose answer the write does not need at once — the inserts
//! and updates that only must not fail, the BEGIN — are deferred
//! ([`Db::defer`]) and sent with the next statement it waits for (a query,
//! the COMMIT, [`Tx::confirm`] at the end of a kernel call that another
//! follows), without waiting in between: a new person's filing by one call,
//! which was seven round trips, is two (the BEGIN and the inserts with the
//! audit chains' heads; the audit rows with the COMMIT). The server runs
//! them in the order sent, so what a write holds and sees is as before; a
//! refused statement is reported under its own name when the batch it went
//! with is answered, and the transaction rolls back whole.
//!
//! The client is `tokio-postgres` on a one-thread runtime of each
//! connection's own, run only while the connection waits for the server:
//! call the store from plain threads or tokio's `spawn_blocking`, never
//! directly on an async runtime's worker thread.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use futures_util::TryStreamExt;
use grondslag_audit::Row as AuditRow;
use tokio_postgres::Statement;
use tokio_postgres::types::{ToSql, Type};

use crate::sql::{self, AuditSeqs, Db, Param, Row, Value};
use crate::tls::Connector;
use crate::{Store, StoreError, Tx};

/// Migrations in order; the index + 1 is the schema version. PostgreSQL's
/// history starts with the whole schema SQLite reached in its 0007.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_relations.sql"),
    include_str!("../migrations/postgres/0003_parents.sql"),
    include_str!("../migrations/postgres/0004_audit_forget.sql"),
    include_str!("../migrations/postgres/0005_session_record.sql"),
    include_str!("../migrations/postgres/0006_fields_blob.sql"),
    include_str!("../migrations/postgres/0007_fields_version.sql"),
    include_str!("../migrations/postgres/0008_audit_chains.sql"),
    include_str!("../migrations/postgres/0009_take_chains.sql"),
    include_str!("../migrations/postgres/0010_take_chains_by_loop.sql"),
    include_str!("../migrations/postgres/0011_audit_entries_packed.sql"),
    include_str!("../migrations/postgres/0012_record_index_processing.sql"),
];

/// Opens a transaction that runs alone (a migration, the copy from SQLite):
/// it waits for this database's write lock and holds it exclusively. The
/// number is arbitrary but fixed ("grondslg" in ASCII): every node must use
/// the same one.
const BEGIN_ALONE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(7454127558563194727)";

/// Opens a write: the same lock in shared mode, so that writes run beside
/// each other but not beside one that runs alone.
const BEGIN_WRITE: &str = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock_shared(7454127558563194727)";

/// Sets the audit log's sequence to go on after its last row.
const SEQUENCE_AFTER_LAST: &str = "SELECT setval('audit_entries_seq', (SELECT coalesce(max(seq), 0) + 1 FROM audit_entries), false)";

/// Names the PostgreSQL server the test suites use.
const TEST_DATABASE_URL: &str = "GRONDSLAG_TEST_DATABASE_URL";

/// Connections per node for writes: each write holds one while it runs
/// (also while it waits for a person another write holds), so this many
/// run at once and the next waits.
const WRITERS: u32 = 8;

/// Connections per node for reads, apart from the writers', so that reads
/// never wait for a connection that a write holds while it waits.
const READERS: u32 = 4;

fn pg_error(context: &'static str) -> impl FnOnce(tokio_postgres::Error) -> StoreError {
    move |source| match source.code() {
        Some(&tokio_postgres::error::SqlState::T_R_DEADLOCK_DETECTED) => StoreError::Conflict { context },
        _ => StoreError::Postgres { context, source },
    }
}

/// A statement sent without waiting for its answer ([`Db::defer`],
/// [`Db::begin`]), with what it needs until it is sent.
enum Deferred {
    Execute { context: &'static str, statement: Statement, params: Vec<KeptParam> },
    Batch { context: &'static str, sql: String },
}

/// A [`Param`] owned, kept with its deferred statement.
enum KeptParam {
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Int(Option<i64>),
    Texts(Vec<String>),
}

impl KeptParam {
    fn kept(param: &Param<'_>) -> KeptParam {
        match param {
            Param::Text(text) => KeptParam::Text(text.as_deref().map(str::to_string)),
            Param::Bytes(bytes) => KeptParam::Bytes(bytes.map(<[u8]>::to_vec)),
            Param::Int(n) => KeptParam::Int(*n),
            Param::Texts(texts) => KeptParam::Texts(texts.iter().map(|t| (*t).to_string()).collect()),
        }
    }

    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            KeptParam::Text(text) => text,
            KeptParam::Bytes(bytes) => bytes,
            KeptParam::Int(n) => n,
            KeptParam::Texts(texts) => texts,
        }
    }
}

/// A deferred statement being sent and answered.
type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), StoreError>> + 'a>>;

/// One connection with its prepared statements.
pub(crate) struct PgConnection {
    connector: Connector,
    /// One thread's runtime, run only while this connection waits on the
    /// server (as the synchronous `postgres` client did inside): the
    /// store's callers are plain threads.
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    /// Prepared once per connection, keyed by the statement's text: a
    /// prepare costs a round trip.
    statements: HashMap<String, Statement>,
    /// Sent, in order, with the next statement that is waited on.
    deferred: Vec<Deferred>,
    /// Where this connection's transaction was stopped for a deadlock, until
    /// [`Db::take_conflict`] asks: the caller's work may have turned that
    /// statement's error into one of its own.
    conflict: Option<&'static str>,
}

impl fmt::Debug for PgConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConnection")
            .field("closed", &self.client.is_closed())
            .field("statements", &self.statements.len())
            .field("deferred", &self.deferred.len())
            .finish()
    }
}

impl PgConnection {
    fn connect(connector: &Connector) -> Result<PgConnection, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(StoreError::Runtime)?;
        let client = connector.connect_on(&runtime).map_err(pg_error("connecting"))?;
        Ok(PgConnection { connector: connector.clone(), runtime, client, statements: HashMap::new(), deferred: Vec::new(), conflict: None })
    }

    fn statement(&mut self, context: &'static str, sql: &str, params: &[Param<'_>]) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let types: Vec<Type> = params
            .iter()
            .map(|p| match p {
                Param::Text(_) => Type::TEXT,
                Param::Bytes(_) => Type::BYTEA,
                Param::Int(_) => Type::INT8,
                Param::Texts(_) => Type::TEXT_ARRAY,
            })
            .collect();
        // Prepared ahead of what is deferred: a prepare does not depend on
        // the transaction's state.
        let statement = self.runtime.block_on(self.client.prepare_typed(&dollar_placeholders(sql), &types)).map_err(pg_error(context))?;
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Sends what was deferred, then `last`, each without waiting for the
    /// answer to the one before, and waits for all the answers: one round
    /// trip. The first failure in the order sent is the one returned; the
    /// server refuses every statement after it in the transaction, and a
    /// COMMIT there rolls back.
    fn round_trip<T>(&mut self, last: impl AsyncFnOnce(&tokio_postgres::Client) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let deferred = std::mem::take(&mut self.deferred);
        let client = &self.client;
        let (answers, answer) = self.runtime.block_on(async {
            let mut sent: Vec<Sending<'_>> =
                deferred
                    .iter()
                    .map(|deferred| -> Sending<'_> {
                        match deferred {
                            Deferred::Execute { context, statement, params } => Box::pin(async move {
                                client.execute_raw(statement, params.iter().map(KeptParam::sql)).await.map(|_| ()).map_err(pg_error(context))
                            }),
                            Deferred::Batch { context, sql } => Box::pin(async move { client.batch_execute(sql).await.map_err(pg_error(context)) }),
                        }
                    })
                    .collect();
            let mut answers: Vec<Option<Result<(), StoreError>>> = sent.iter().map(|_| None).collect();
            // Polled in order, so that they are sent in order: each sends its
            // statement the first time it is polled; `last` is polled after.
            let in_order = std::future::poll_fn(|cx| {
                let mut waiting = false;
                for (future, answer) in sent.iter_mut().zip(answers.iter_mut()) {
                    if answer.is_none() {
                        match future.as_mut().poll(cx) {
                            Poll::Ready(done) => *answer = Some(done),
                            Poll::Pending => waiting = true,
                        }
                    }
                }
                if waiting { Poll::Pending } else { Poll::Ready(()) }
            });
            let ((), answer) = futures_util::future::join(in_order, last(client)).await;
            (answers, answer)
        });
        let outcome = answers.into_iter().flatten().find(Result::is_err).unwrap_or(Ok(())).and(answer);
        if let Err(StoreError::Conflict { context }) = &outcome {
            self.conflict = Some(context);
        }
        outcome
    }

    /// Replaces a connection the server closed (a restart, a failover);
    /// the transaction in flight on it has failed whole.
    fn reconnect_if_closed(&mut self) -> Result<(), StoreError> {
        if self.client.is_closed() {
            *self = PgConnection::connect(&self.connector)?;
        }
        Ok(())
    }
}

/// `?1` → `$1`: the shared SQL is written with SQLite's placeholders.
fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_param<'a>(param: &'a Param<'_>) -> &'a (dyn ToSql + Sync) {
    match param {
        Param::Text(text) => text,
        Param::Bytes(bytes) => bytes,
        Param::Int(n) => n,
        Param::Texts(texts) => texts,
    }
}

fn value(row: &tokio_postgres::Row, column: usize, context: &'static str) -> Result<Value, StoreError> {
    let get = pg_error(context);
    let malformed = StoreError::Malformed { context, column };
    let ty = row.columns().get(column).map(|c| c.type_().clone()).ok_or(StoreError::Malformed { context, column })?;
    let value = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(column).map_err(get)?.map(Value::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(column).map_err(get)?.map(|n| Value::Int(n.into())),
        Type::INT2 => row.try_get::<_, Option<i16>>(column).map_err(get)?.map(|n| Value::Int(n.into())),
        Type::BOOL => row.try_get::<_, Option<bool>>(column).map_err(get)?.map(|b| Value::Int(b.into())),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => row.try_get::<_, Option<String>>(column).map_err(get)?.map(Value::Text),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(column).map_err(get)?.map(Value::Bytes),
        _ => return Err(malformed),
    };
    Ok(value.unwrap_or(Value::Null))
}

impl Db for PgConnection {
    const CLAIM: &'static str = " FOR UPDATE SKIP LOCKED";

    /// A key per chain, next to the one of [`BEGIN_WRITE`], taken in ascending
    /// order by a function of the schema (migrations 0009, 0010), which then reads
    /// the heads and draws the numbers.
    const TAKE_CHAINS: Option<&'static str> = Some("SELECT chain_no, chain_position, link, seq FROM grondslag_take_chains(?1, ?2)");

    const FOR_UPDATE: &'static str = " FOR UPDATE";

    /// A failing statement undoes itself on PostgreSQL, at no cost worth avoiding.
    const INSERT_ROWS: &'static str = "INSERT INTO";

    /// An advisory key from the kind and digest (64 bits of a hash: another
    /// key of the same hash only waits needlessly).
    const HOLD_INDEX_KEY: Option<&'static str> = Some("SELECT pg_advisory_xact_lock(hashtextextended(?1 || ':' || encode(?2, 'hex'), 0))");

    const AUDIT_SEQS: AuditSeqs = AuditSeqs::Drawn("SELECT nextval('audit_entries_seq') FROM generate_series(1, ?1)");

    fn in_list(column: &str, param: usize) -> String {
        format!("{column} = ANY(?{param})")
    }

    fn batch(&mut self, context: &'static str, sql: &str) -> Result<(), StoreError> {
        self.round_trip(async |client| client.batch_execute(sql).await.map_err(pg_error(context)))
    }

    fn begin(&mut self, context: &'static str, sql: &str) -> Result<(), StoreError> {
        self.reconnect_if_closed()?;
        self.deferred.push(Deferred::Batch { context, sql: sql.to_string() });
        Ok(())
    }

    /// What was deferred need not be sent: rolling back undoes it.
    fn rollback(&mut self, context: &'static str) -> Result<(), StoreError> {
        self.deferred.clear();
        self.batch(context, "ROLLBACK")
    }

    /// The client does not report it; a ROLLBACK outside a transaction is
    /// only a warning, so assume one may be open.
    fn in_transaction(&mut self) -> bool {
        !self.client.is_closed()
    }

    fn execute(&mut self, context: &'static str, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let statement = self.statement(context, sql, params)?;
        self.round_trip(async |client| client.execute_raw(&statement, params.iter().map(pg_param)).await.map_err(pg_error(context)))
    }

    fn defer(&mut self, context: &'static str, sql: &str, params: &[Param<'_>]) -> Result<(), StoreError> {
        let statement = self.statement(context, sql, params)?;
        self.deferred.push(Deferred::Execute { context, statement, params: params.iter().map(KeptParam::kept).collect() });
        Ok(())
    }

    fn confirm(&mut self) -> Result<(), StoreError> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        self.round_trip(async |_| Ok(()))
    }

    fn take_conflict(&mut self) -> Option<&'static str> {
        self.conflict.take()
    }

    fn query(&mut self, context: &'static str, sql: &str, params: &[Param<'_>], each: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let statement = self.statement(context, sql, params)?;
        let columns = statement.columns().len();
        // Rows are handed on as they arrive, so walking a long audit log
        // does not hold it in memory.
        self.round_trip(async |client| {
            let rows = client.query_raw(&statement, params.iter().map(pg_param)).await.map_err(pg_error(context))?;
            let mut rows = pin!(rows);
            while let Some(row) = rows.try_next().await.map_err(pg_error(context))? {
                let values = (0..columns).map(|column| value(&row, column, context)).collect::<Result<Vec<_>, _>>()?;
                each(Row { values, context })?;
            }
            Ok(())
        })
    }
}

/// Makes the pool's connections.
#[derive(Debug)]
struct Connections {
    connector: Connector,
}

impl r2d2::ManageConnection for Connections {
    type Connection = PgConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<PgConnection, StoreError> {
        PgConnection::connect(&self.connector)
    }

    fn is_valid(&self, connection: &mut PgConnection) -> Result<(), StoreError> {
        connection.batch("checking a connection", "")
    }

    fn has_broken(&self, connection: &mut PgConnection) -> bool {
        connection.client.is_closed()
    }
}

/// The store on a PostgreSQL server, several nodes sharing it.
#[derive(Debug)]
pub struct PostgresStore {
    writers: r2d2::Pool<Connections>,
    readers: r2d2::Pool<Connections>,
}

/// Whether `url` names a PostgreSQL database.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

fn connector(url: &str) -> Result<Connector, StoreError> {
    if !is_postgres_url(url) {
        return Err(StoreError::InvalidUrl(url.to_string()));
    }
    Connector::new(url)
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`)
    /// and brings its schema up to date. Several nodes may do this at once:
    /// the migration runs under the write lock, so one of them migrates.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let connector = connector(url)?;
        migrate(&mut PgConnection::connect(&connector)?)?;
        // Not tested at each checkout: that is a round trip before every
        // read. A connection the server closed is found broken and dropped
        // (`has_broken`); one that fails in use fails that read.
        let pool = |size| {
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(0))
                .test_on_check_out(false)
                .connection_timeout(Duration::from_secs(10))
                .build(Connections { connector: connector.clone() })
        };
        Ok(PostgresStore { writers: pool(WRITERS)?, readers: pool(READERS)? })
    }

    /// Copies every row of the SQLite database at `source` into this
    /// (empty) database, in one transaction under the write lock: either all
    /// of it arrives or none. `progress` hears rows copied so far and the
    /// total. Returns the number of rows copied.
    pub fn copy_from_sqlite(&self, source: &std::path::Path, progress: &mut dyn FnMut(u64, u64)) -> Result<u64, StoreError> {
        // Opening it first brings the source's schema up to date.
        drop(crate::SqliteStore::open(source)?);
        let mut from = crate::sqlite::connect(source)?;
        let mut to = self.writers.get()?;
        to.begin("starting the copy", BEGIN_ALONE)?;
        let copied = crate::copy::copy(&mut from, &mut *to, progress)
            .and_then(|n| to.batch("numbering audit entries on from the copy", SEQUENCE_AFTER_LAST).map(|()| n))
            .and_then(|n| to.batch("committing the copy", "COMMIT").map(|()| n));
        if copied.is_err() {
            let _rolled_back = to.rollback("rolling back the copy");
        }
        copied
    }
}

fn migrate(connection: &mut PgConnection) -> Result<(), StoreError> {
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    // Most starts find the schema current. They look without the lock, so
    // that a node or a command (an export, a verification) starting neither
    // waits for the writes in flight nor, queued for the lock, holds up
    // every write after them.
    match schema_version(connection)? {
        Some(found) if found > known => return Err(StoreError::SchemaTooNew { found, known }),
        Some(found) if found == known => return Ok(()),
        _ => {}
    }
    connection.begin("starting a migration", BEGIN_ALONE)?;
    let outcome = (|| {
        connection.batch("migrating the schema", "CREATE TABLE IF NOT EXISTS grondslag_schema (version BIGINT NOT NULL)")?;
        let mut found = None;
        connection.query("reading the schema version", "SELECT version FROM grondslag_schema", &[], &mut |mut row| {
            found = Some(row.int(0)?);
            Ok(())
        })?;
        let found = found.unwrap_or(0);
        if found > known {
            return Err(StoreError::SchemaTooNew { found, known });
        }
        for migration in MIGRATIONS.iter().skip(usize::try_from(found).unwrap_or(0)) {
            connection.batch("migrating the schema", migration)?;
        }
        connection.execute("recording the schema version", "DELETE FROM grondslag_schema", &[])?;
        connection.execute("recording the schema version", "INSERT INTO grondslag_schema (version) VALUES (?1)", &[known.into()])?;
        connection.batch("committing a migration", "COMMIT")
    })();
    if outcome.is_err() {
        let _rolled_back = connection.rollback("rolling back a migration");
    }
    outcome
}

/// The schema's version, `None` on a database grondslag has not used yet.
fn schema_version(connection: &mut PgConnection) -> Result<Option<i64>, StoreError> {
    let mut exists = false;
    connection.query("reading the schema version", "SELECT to_regclass('grondslag_schema') IS NOT NULL", &[], &mut |mut row| {
        exists = row.int(0)? != 0;
        Ok(())
    })?;
    let mut version = None;
    if exists {
        connection.query("reading the schema version", "SELECT max(version) FROM grondslag_schema", &[], &mut |mut row| {
            version = row.opt_count(0)?.map(|v| i64::try_from(v).unwrap_or(i64::MAX));
            Ok(())
        })?;
    }
    Ok(version)
}

impl Store for PostgresStore {
    fn transaction(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        sql::write(&mut *self.writers.get()?, BEGIN_WRITE, work)
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        sql::read_only(&mut *self.readers.get()?, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", work)
    }

    fn audit_rows(&self, from: u64, visit: &mut dyn FnMut(AuditRow) -> Result<(), StoreError>) -> Result<(), StoreError> {
        sql::audit_rows(&mut *self.readers.get()?, from, visit)
    }

    fn checkpoints(&self) -> Result<Vec<(grondslag_audit::Chain, u64, String)>, StoreError> {
        sql::checkpoints(&mut *self.readers.get()?)
    }

    fn hold_commits(&self, _ops: usize, _blobs: &crate::BlobStore) -> Result<crate::Durable, StoreError> {
        Ok(crate::Durable::Now)
    }

    fn release(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A throwaway database on a PostgreSQL server, for tests and benchmarks:
/// created empty with a random name, dropped (with any connections still
/// open to it) when this value is dropped.
#[derive(Debug)]
pub struct ScratchDatabase {
    server: Connector,
    name: String,
    url: String,
}

impl ScratchDatabase {
    /// Creates `grondslag_test_<random>` on the server of `url` (whose own
    /// database is only used to issue CREATE and DROP).
    pub fn create(url: &str) -> Result<ScratchDatabase, StoreError> {
        let server = connector(url)?;
        let name = format!("grondslag_test_{}", crate::BlobId::random().as_str().get(..12).unwrap_or_default());
        PgConnection::connect(&server)?.batch("creating a scratch database", &format!("CREATE DATABASE {name}"))?;
        Ok(ScratchDatabase { url: with_database(url, &name), server, name })
    }

    /// A scratch database on the server `GRONDSLAG_TEST_DATABASE_URL` names,
    /// or `None` when it is unset: how the test suites reach PostgreSQL.
    pub fn for_tests() -> Result<Option<ScratchDatabase>, StoreError> {
        match std::env::var(TEST_DATABASE_URL) {
            Ok(url) if !url.is_empty() => ScratchDatabase::create(&url).map(Some),
            _ => {
                eprintln!("{TEST_DATABASE_URL} is not set: the PostgreSQL half of this test is skipped");
                Ok(None)
            }
        }
    }

    /// The URL of the scratch database.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let (base, query) = match url.find('?') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let authority_end = base[after_scheme..].find('/').map_or(base.len(), |i| after_scheme + i);
    format!("{}/{name}{query}", &base[..authority_end])
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let dropped = PgConnection::connect(&self.server)
            .and_then(|mut connection| connection.batch("dropping a scratch database", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)));
        // Nothing to return an error to from here; say so, so the database
        // can be dropped by hand.
        if let Err(e) = dropped {
            eprintln!("warning: could not drop scratch database {}: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_urls() {
        assert_eq!(dollar_placeholders("a = ?1 AND (?2 IS NULL OR b = ?2)"), "a = $1 AND ($2 IS NULL OR b = $2)");
        assert_eq!(with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"), "postgres://postgres@127.0.0.1:5432/x");
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
        assert_eq!(with_database("postgresql://u@h/db?sslmode=disable", "x"), "postgresql://u@h/x?sslmode=disable");
        assert!(matches!(connector("mysql://u@h/db"), Err(StoreError::InvalidUrl(_))));
    }
}
