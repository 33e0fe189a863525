//! The transaction operations, written once in SQL both databases speak.
//!
//! Statements use `?1`-style placeholders (SQLite's; the PostgreSQL
//! connection rewrites them to `$1`), integers for flags, and timestamps as
//! fixed-width UTC text, so that text order is time order in both and a
//! moment round-trips to the nanosecond. A backend supplies a [`Db`]: run a
//! statement, visit the rows of a query, control transactions.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use grondslag_audit::{Chain, Hash, Node, Row as AuditRow};

use crate::{
    BlobId, DisclosureRow, Erased, EventRow, FieldPut, FieldRow, Reach, RecordId, RecordRow, SessionRow, StoreError, SubjectId, SubjectRow, TakenChains, Tx,
    packed,
};

/// A statement parameter. Each carries its type even when null, so that
/// PostgreSQL can prepare the statement with exact types.
#[derive(Debug)]
pub(crate) enum Param<'a> {
    Text(Option<Cow<'a, str>>),
    Bytes(Option<&'a [u8]>),
    Int(Option<i64>),
    /// A list of texts, for a set-wise statement (`Db::in_list`): one
    /// parameter and one prepared statement whatever the list's length.
    Texts(Vec<&'a str>),
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(text: &'a str) -> Self {
        Param::Text(Some(Cow::Borrowed(text)))
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(text: Option<&'a str>) -> Self {
        Param::Text(text.map(Cow::Borrowed))
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Param::Bytes(Some(bytes))
    }
}

impl<'a> From<Option<&'a [u8]>> for Param<'a> {
    fn from(bytes: Option<&'a [u8]>) -> Self {
        Param::Bytes(bytes)
    }
}

impl From<i64> for Param<'_> {
    fn from(n: i64) -> Self {
        Param::Int(Some(n))
    }
}

impl From<bool> for Param<'_> {
    fn from(flag: bool) -> Self {
        Param::Int(Some(i64::from(flag)))
    }
}

impl From<jiff::Timestamp> for Param<'_> {
    fn from(at: jiff::Timestamp) -> Self {
        Param::Text(Some(Cow::Owned(timestamp(at))))
    }
}

impl From<Option<jiff::Timestamp>> for Param<'_> {
    fn from(at: Option<jiff::Timestamp>) -> Self {
        Param::Text(at.map(|at| Cow::Owned(timestamp(at))))
    }
}

/// A value read from a row.
#[derive(Debug)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// One row of a query, read column by column.
#[derive(Debug)]
pub(crate) struct Row {
    pub values: Vec<Value>,
    /// What the query was for, to name in errors.
    pub context: &'static str,
}

impl Row {
    fn take(&mut self, column: usize) -> Value {
        self.values.get_mut(column).map_or(Value::Null, |v| std::mem::replace(v, Value::Null))
    }

    fn malformed(&self, column: usize) -> StoreError {
        StoreError::Malformed { context: self.context, column }
    }

    pub fn opt_text(&mut self, column: usize) -> Result<Option<String>, StoreError> {
        match self.take(column) {
            Value::Null => Ok(None),
            Value::Text(text) => Ok(Some(text)),
            _ => Err(self.malformed(column)),
        }
    }

    pub fn text(&mut self, column: usize) -> Result<String, StoreError> {
        self.opt_text(column)?.ok_or_else(|| self.malformed(column))
    }

    pub fn opt_bytes(&mut self, column: usize) -> Result<Option<Vec<u8>>, StoreError> {
        match self.take(column) {
            Value::Null => Ok(None),
            Value::Bytes(bytes) => Ok(Some(bytes)),
            _ => Err(self.malformed(column)),
        }
    }

    pub fn bytes(&mut self, column: usize) -> Result<Vec<u8>, StoreError> {
        self.opt_bytes(column)?.ok_or_else(|| self.malformed(column))
    }

    /// Bytes that SQLite may keep as text: an audit entry stored before it
    /// was packed.
    pub fn bytes_or_text(&mut self, column: usize) -> Result<Vec<u8>, StoreError> {
        match self.take(column) {
            Value::Bytes(bytes) => Ok(bytes),
            Value::Text(text) => Ok(text.into_bytes()),
            _ => Err(self.malformed(column)),
        }
    }

    pub fn int(&mut self, column: usize) -> Result<i64, StoreError> {
        match self.take(column) {
            Value::Int(n) => Ok(n),
            _ => Err(self.malformed(column)),
        }
    }

    /// A count, sequence number or size: never negative.
    pub fn count(&mut self, column: usize) -> Result<u64, StoreError> {
        self.opt_count(column)?.ok_or_else(|| self.malformed(column))
    }

    pub fn opt_count(&mut self, column: usize) -> Result<Option<u64>, StoreError> {
        match self.take(column) {
            Value::Null => Ok(None),
            Value::Int(n) => u64::try_from(n).map(Some).map_err(|_| self.malformed(column)),
            _ => Err(self.malformed(column)),
        }
    }

    pub fn opt_timestamp(&mut self, column: usize) -> Result<Option<jiff::Timestamp>, StoreError> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(text) => text.parse().map(Some).map_err(|_| self.malformed(column)),
        }
    }

    pub fn timestamp(&mut self, column: usize) -> Result<jiff::Timestamp, StoreError> {
        self.opt_timestamp(column)?.ok_or_else(|| self.malformed(column))
    }

    pub fn subject(&mut self, column: usize) -> Result<SubjectId, StoreError> {
        SubjectId::parse(&self.text(column)?).map_err(|_| self.malformed(column))
    }

    pub fn record(&mut self, column: usize) -> Result<RecordId, StoreError> {
        RecordId::parse(&self.text(column)?).map_err(|_| self.malformed(column))
    }

    pub fn opt_blob(&mut self, column: usize) -> Result<Option<BlobId>, StoreError> {
        self.opt_text(column)?.map(|b| BlobId::parse(&b).map_err(|_| self.malformed(column))).transpose()
    }

    pub fn chain(&mut self, column: usize) -> Result<Chain, StoreError> {
        let number = self.int(column)?;
        u16::try_from(number).map(Chain::new).map_err(|_| self.malformed(column))
    }

    pub fn hash(&mut self, column: usize) -> Result<Hash, StoreError> {
        let bytes = self.bytes(column)?;
        Hash::from_slice(&bytes).ok_or_else(|| self.malformed(column))
    }
}

/// How a write that runs alone draws the numbers (`seq`) of its audit
/// entries.
pub(crate) enum AuditSeqs {
    /// A query of `?1` new numbers, ascending, one a row: drawn from a
    /// sequence that other writers draw from too.
    Drawn(&'static str),
    /// A query of the largest number used (0 when none is): under one
    /// writer the numbers after it are free. Counting them in Rust spares
    /// SQLite a recursive query, whose queue and sort open a temporary
    /// table each time (4 % of `generate`'s time).
    AfterLast(&'static str),
}

/// One database connection, as the shared code needs it.
pub(crate) trait Db: Send {
    /// Appended to the query that takes due records for a sweep, so that
    /// concurrent sweeps on other connections skip what one has taken.
    const CLAIM: &'static str;

    /// Takes the chains whose numbers are the texts of `?1`
    /// ([`Param::Texts`]) as [`Tx::take_chains`] does, drawing `?2`
    /// numbers, in one statement: rows of (chain, position, link, NULL) for
    /// the heads, then of (NULL, NULL, NULL, seq); `None` where one writer
    /// at a time needs no lock.
    const TAKE_CHAINS: Option<&'static str>;

    /// Appended to a query whose rows a write beside others (see
    /// [`SqlTx::alone`]) must hold until it commits.
    const FOR_UPDATE: &'static str;

    /// Holds the key `?1` (kind), `?2` (digest) of an index (the record
    /// index, the blind index) until the transaction ends, whether an entry
    /// has it or not; `None` where one writer at a time needs no lock.
    const HOLD_INDEX_KEY: Option<&'static str>;

    /// How a write that runs alone numbers its audit entries.
    const AUDIT_SEQS: AuditSeqs;

    /// Begins a statement that inserts many rows. A failing statement
    /// fails its operation, whose savepoint or transaction is then rolled
    /// back whole; so the statement need not undo the rows it inserted
    /// before failing, and SQLite need not keep a statement journal to
    /// undo them (writing it was 2.9 % of `generate`; BENCHMARKS.md,
    /// twentieth session).
    const INSERT_ROWS: &'static str;

    /// `column` is one of the texts of the list parameter `?{param}`
    /// ([`Param::Texts`]), as an SQL condition.
    fn in_list(column: &str, param: usize) -> String;

    /// Runs parameterless statements (transaction control, migrations).
    fn batch(&mut self, context: &'static str, sql: &str) -> Result<(), StoreError>;
    /// Starts a transaction with `sql`. A backend across a network may send
    /// it with the transaction's first statement (see [`Db::defer`]).
    fn begin(&mut self, context: &'static str, sql: &str) -> Result<(), StoreError> {
        self.batch(context, sql)
    }
    /// Rolls the open transaction back, and with it whatever was deferred.
    fn rollback(&mut self, context: &'static str) -> Result<(), StoreError> {
        self.batch(context, "ROLLBACK")
    }
    /// Whether a transaction is open on this connection.
    fn in_transaction(&mut self) -> bool;
    /// Where the last transaction was stopped for a deadlock, if it was
    /// (asked once: the answer is then forgotten). SQLite's one writer
    /// never deadlocks.
    fn take_conflict(&mut self) -> Option<&'static str> {
        None
    }
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, context: &'static str, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError>;
    /// Runs a statement whose outcome the caller needs only as "it did not
    /// fail" — by the time the transaction commits. A backend across a
    /// network sends it with the next statement that must be answered (a
    /// query, the commit), so a write costs round trips only where it reads.
    /// Its failure then surfaces there, under this statement's `context`,
    /// and the transaction is rolled back whole, as for any failure.
    fn defer(&mut self, context: &'static str, sql: &str, params: &[Param<'_>]) -> Result<(), StoreError> {
        self.execute(context, sql, params).map(|_| ())
    }
    /// Sends what was deferred and waits for the answers ([`Tx::confirm`]).
    fn confirm(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    /// Runs a query and hands each row to `each`, in order.
    fn query(&mut self, context: &'static str, sql: &str, params: &[Param<'_>], each: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError>;
}

/// The rows of a query, each mapped.
fn rows<T>(
    db: &mut impl Db,
    context: &'static str,
    sql: &str,
    params: &[Param<'_>],
    mut map: impl FnMut(Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut found = Vec::new();
    db.query(context, sql, params, &mut |row| {
        found.push(map(row)?);
        Ok(())
    })?;
    Ok(found)
}

/// The first row of a query, if any, mapped.
fn first<T>(
    db: &mut impl Db,
    context: &'static str,
    sql: &str,
    params: &[Param<'_>],
    map: impl FnMut(Row) -> Result<T, StoreError>,
) -> Result<Option<T>, StoreError> {
    Ok(rows(db, context, sql, params, map)?.into_iter().next())
}

/// Fixed-width UTC text (nanoseconds always written), so that comparing and
/// ordering the text in SQL orders the moments.
pub(crate) fn timestamp(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S.%9fZ").to_string()
}

fn int(value: u64) -> Param<'static> {
    Param::Int(Some(i64::try_from(value).unwrap_or(i64::MAX)))
}

/// A record's fields as [`field_row`] reads them, to be given a `WHERE`.
const FIELDS: &str = "SELECT r.id, r.processing, f.category, f.value, f.blob, f.version FROM records r JOIN fields f ON f.record_id = r.id";

fn field_row(mut r: Row) -> Result<FieldRow, StoreError> {
    Ok(FieldRow { record: r.record(0)?, processing: r.text(1)?, category: r.text(2)?, value: r.bytes(3)?, blob: r.opt_blob(4)?, version: r.count(5)? })
}

/// The columns [`audit_row`] reads.
const AUDIT_COLUMNS: &str = "seq, chain_no, chain_position, entry, leaf, chain, subject_id";

/// A session as `SELECT account, body, expires_at` (or `RETURNING` them) gives it.
fn session_row(mut row: Row) -> Result<SessionRow, StoreError> {
    let account_record = row.opt_text(3)?.map(|id| id.parse::<RecordId>().map_err(|_| StoreError::Corrupt("sessions.account_record"))).transpose()?;
    Ok(SessionRow { account: row.text(0)?, body: row.bytes(1)?, expires_at: row.timestamp(2)?, account_record })
}

pub(crate) fn audit_row(mut row: Row) -> Result<AuditRow, StoreError> {
    Ok(AuditRow {
        seq: row.count(0)?,
        chain: row.chain(1)?,
        position: row.count(2)?,
        entry: packed::unpack(&row.bytes_or_text(3)?),
        leaf: row.hash(4)?,
        link: row.hash(5)?,
        subject: row.opt_text(6)?,
    })
}

/// Visits every audit row from `from` on, by `seq`.
pub(crate) fn audit_rows(db: &mut impl Db, from: u64, visit: &mut dyn FnMut(AuditRow) -> Result<(), StoreError>) -> Result<(), StoreError> {
    let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE seq >= ?1 ORDER BY seq");
    db.query("reading the audit log", &sql, &[int(from)], &mut |row| visit(audit_row(row)?))
}

/// Every checkpoint as (chain, size, signed note).
pub(crate) fn checkpoints(db: &mut impl Db) -> Result<Vec<(Chain, u64, String)>, StoreError> {
    let sql = "SELECT chain_no, size, note FROM audit_checkpoints ORDER BY chain_no, size";
    rows(db, "reading checkpoints", sql, &[], |mut r| Ok((r.chain(0)?, r.count(1)?, r.text(2)?)))
}

const RECORD_COLUMNS: &str = "r.id, r.subject_id, r.processing, r.reference, r.status, r.updated_at";

/// Audit rows per INSERT: a case list of 50 people (51 entries) is one
/// statement, and a statement's prepared forms stay few (one per count up
/// to this, kept by the connection) and its parameters far under either
/// database's limit.
const AUDIT_ROWS_PER_STATEMENT: usize = 64;

/// `?first, ?first+1, …`: `n` numbered parameters, for an `IN` list.
fn placeholders(first: usize, n: usize) -> String {
    let mut sql = String::with_capacity(5 * n);
    push_placeholders(&mut sql, first, n);
    sql
}

fn push_placeholders(sql: &mut String, first: usize, n: usize) {
    for i in first..first + n {
        if i > first {
            sql.push_str(", ");
        }
        sql.push('?');
        sql.push_str(&i.to_string());
    }
}

/// The rows of a multi-row `VALUES`, `(?1, ?2, …), (…)`: each row starts
/// with the `shared` parameters `?1…`, then `columns` of its own. Written
/// into one string: a write builds one such list for its fields and one
/// for its audit entries, and building them row by row was 2 % of
/// `generate`.
fn values_rows(rows: usize, shared: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * 6 * (shared + columns));
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        push_placeholders(&mut sql, 1, shared);
        if shared > 0 {
            sql.push_str(", ");
        }
        push_placeholders(&mut sql, 1 + shared + columns * row, columns);
        sql.push(')');
    }
    sql
}

fn record_row(mut r: Row) -> Result<RecordRow, StoreError> {
    Ok(RecordRow {
        record: r.record(0)?,
        subject: r.subject(1)?,
        processing: r.text(2)?,
        reference: r.opt_text(3)?,
        status: r.opt_text(4)?,
        updated_at: r.timestamp(5)?,
    })
}

/// (record, subject, processing, moment) rows of the due table.
fn due_row(mut r: Row) -> Result<(RecordId, SubjectId, String, jiff::Timestamp), StoreError> {
    Ok((r.record(0)?, r.subject(1)?, r.text(2)?, r.timestamp(3)?))
}

/// Runs `work` in a transaction of its own on `db`, begun with `begin`,
/// beside other such transactions (on other connections, other nodes), and
/// commits it.
pub(crate) fn write<D: Db>(db: &mut D, begin: &str, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
    // One of an earlier transaction on this connection is not this one's.
    let _earlier = db.take_conflict();
    let result = db.begin("starting a transaction", begin).and_then(|()| work(&mut SqlTx::new(&mut *db, false)));
    if let Err(e) = result {
        if db.in_transaction() {
            let _rolled_back = db.rollback("rolling back");
        }
        // The work may have answered a deadlock with an error of its own;
        // the caller needs to know it may run the work again.
        return Err(db.take_conflict().map_or(e, |context| StoreError::Conflict { context }));
    }
    db.batch("committing", "COMMIT").map_err(|e| {
        if db.in_transaction() {
            let _rolled_back = db.rollback("rolling back");
        }
        StoreError::Commit(e.to_string())
    })
}

/// Runs `work` in a read-only transaction on `db`, begun with `begin`;
/// nothing to commit, so it is always rolled back.
pub(crate) fn read_only<D: Db>(db: &mut D, begin: &str, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
    db.begin("starting a read", begin)?;
    let result = work(&mut SqlTx::new(&mut *db, true));
    let ended = db.rollback("ending a read");
    result.and(ended)
}

/// Each of `chains`' last row (position, link), read from the store; a
/// chain with no rows has none.
fn read_heads(db: &mut impl Db, chains: &[Chain]) -> Result<Vec<(Chain, u64, Hash)>, StoreError> {
    if chains.is_empty() {
        return Ok(Vec::new());
    }
    // Each chain's last row through the (chain_no, chain_position) index.
    let sql = (1..=chains.len())
        .map(|i| format!("SELECT * FROM (SELECT chain_no, chain_position, chain FROM audit_entries WHERE chain_no = ?{i} ORDER BY chain_position DESC LIMIT 1) AS head{i}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let params: Vec<Param<'_>> = chains.iter().map(|chain| int(u64::from(chain.number()))).collect();
    rows(db, "reading the audit chains' heads", &sql, &params, |mut r| Ok((r.chain(0)?, r.count(1)?, r.hash(2)?)))
}

pub(crate) struct SqlTx<'c, D: Db> {
    pub db: &'c mut D,
    /// Whether no other transaction writes meanwhile (SQLite's one writer,
    /// PostgreSQL's write lock held exclusively, or a read). A write beside
    /// others (PostgreSQL's ordinary writes, see `postgresql`) holds, until
    /// it commits, the lock of each audit chain it appends to and the row
    /// of each subject whose key it reads — directly or through one of the
    /// subject's records — and of each name whose failed sign-ins it reads:
    /// what it read there stays so until it has written what follows from
    /// it, and a second such write waits, then reads what the first wrote.
    pub alone: bool,
    /// The subjects this write holds already (read by [`Tx::subject`]), so
    /// that reading one of their records costs no second lock.
    held: Vec<SubjectId>,
    /// What this transaction has read or written of subjects, and the
    /// records it has found to belong to a subject and processing: the
    /// kernel asks both on every call of a unit (the key to seal with, the
    /// record's owner), and a unit is one transaction, so the store is read
    /// once. A write here that changes them (a restriction, a new key, an
    /// erasure) forgets what was known.
    known: Known,
    /// The audit log's tail, kept by the writer of a group of transactions
    /// (see [`LogTail`]); `None` elsewhere.
    tail: Option<&'c mut LogTail>,
}

/// Each audit chain's head and the log's last number, as the open
/// transaction of a group of operations (SQLite's one writer, see `group`)
/// read or appended them. The kernel asks for the heads of the chains it
/// appends to on every operation; while the group's transaction is open no
/// other connection can append, so they are read once a group, not once an
/// operation (3 % of `generate`'s writing thread at 10^6 people,
/// BENCHMARKS.md, twenty-second session). The group forgets them when its
/// transaction ends and when an operation in it fails.
#[derive(Debug, Default)]
pub(crate) struct LogTail {
    /// A chain's head (position, link), or `None` for a chain with no rows.
    heads: HashMap<Chain, Option<(u64, Hash)>>,
    last_seq: Option<u64>,
}

/// See [`SqlTx::known`].
#[derive(Default)]
struct Known {
    subjects: HashMap<SubjectId, SubjectRow>,
    /// Record, its subject and processing, found together.
    belonging: HashSet<(RecordId, SubjectId, String)>,
}

impl<'c, D: Db> SqlTx<'c, D> {
    pub fn new(db: &'c mut D, alone: bool) -> SqlTx<'c, D> {
        SqlTx { db, alone, held: Vec::new(), known: Known::default(), tail: None }
    }

    /// A transaction of a group whose writer keeps `tail` between its
    /// operations.
    pub fn keeping(db: &'c mut D, tail: &'c mut LogTail) -> SqlTx<'c, D> {
        SqlTx { tail: Some(tail), ..SqlTx::new(db, true) }
    }

    /// What a query appends to hold the rows it reads (see [`SqlTx::alone`]).
    fn for_update(&self) -> &'static str {
        if self.alone { "" } else { D::FOR_UPDATE }
    }

    /// Holds an index key (`params`: its kind and digest) that a lookup in
    /// a write beside others found nothing under, and says so: a row that is
    /// not there cannot be locked, the key can, and the lookup is then made
    /// again, seeing what the last write holding the key left. So "is it
    /// there? then add it" holds.
    fn held_empty_key(&mut self, found_nothing: bool, params: &[Param<'_>]) -> Result<bool, StoreError> {
        match D::HOLD_INDEX_KEY {
            Some(hold) if found_nothing && !self.alone => {
                self.defer("holding an index key", hold, params)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    fn exec(&mut self, context: &'static str, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        self.db.execute(context, sql, params)
    }

    fn defer(&mut self, context: &'static str, sql: &str, params: &[Param<'_>]) -> Result<(), StoreError> {
        self.db.defer(context, sql, params)
    }

    /// The blobs of the records matching `condition` on `r` (records).
    fn blobs_where(&mut self, condition: &str, value: &str) -> Result<Vec<BlobId>, StoreError> {
        let sql = format!("SELECT f.blob FROM fields f JOIN records r ON r.id = f.record_id WHERE {condition} AND f.blob IS NOT NULL");
        let blobs = rows(self.db, "finding blobs", &sql, &[value.into()], |mut r| r.opt_blob(0))?;
        Ok(blobs.into_iter().flatten().collect())
    }
}

impl<D: Db> Tx for SqlTx<'_, D> {
    fn confirm(&mut self) -> Result<(), StoreError> {
        self.db.confirm()
    }

    fn insert_subject(&mut self, id: &SubjectId, wrapped_key: &[u8], at: jiff::Timestamp) -> Result<(), StoreError> {
        self.defer(
            "creating a subject",
            "INSERT INTO subjects (id, wrapped_key, restricted, created_at) VALUES (?1, ?2, 0, ?3)",
            &[id.as_str().into(), wrapped_key.into(), at.into()],
        )?;
        // No other write sees it before this one commits: it is held.
        if !self.alone && !self.held.contains(id) {
            self.held.push(id.clone());
        }
        self.known.subjects.insert(id.clone(), SubjectRow { wrapped_key: wrapped_key.to_vec(), restricted: false });
        Ok(())
    }

    fn wrapped_keys(&mut self) -> Result<Vec<(SubjectId, Vec<u8>)>, StoreError> {
        let sql = format!("SELECT id, wrapped_key FROM subjects ORDER BY id{}", self.for_update());
        rows(self.db, "reading wrapped keys", &sql, &[], |mut r| Ok((r.subject(0)?, r.bytes(1)?)))
    }

    fn set_wrapped_key(&mut self, id: &SubjectId, wrapped_key: &[u8]) -> Result<(), StoreError> {
        self.defer("re-wrapping a subject key", "UPDATE subjects SET wrapped_key = ?2 WHERE id = ?1", &[id.as_str().into(), wrapped_key.into()])?;
        self.known.subjects.remove(id);
        Ok(())
    }

    fn subject(&mut self, id: &SubjectId) -> Result<Option<SubjectRow>, StoreError> {
        if let Some(known) = self.known.subjects.get(id) {
            return Ok(Some(known.clone()));
        }
        let sql = format!("SELECT wrapped_key, restricted FROM subjects WHERE id = ?1{}", self.for_update());
        let row =
            first(self.db, "reading a subject", &sql, &[id.as_str().into()], |mut r| Ok(SubjectRow { wrapped_key: r.bytes(0)?, restricted: r.int(1)? != 0 }))?;
        if let Some(row) = &row {
            if !self.alone && !self.held.contains(id) {
                self.held.push(id.clone());
            }
            self.known.subjects.insert(id.clone(), row.clone());
        }
        Ok(row)
    }

    fn set_restricted(&mut self, id: &SubjectId, restricted: bool) -> Result<bool, StoreError> {
        let n = self.exec("restricting a subject", "UPDATE subjects SET restricted = ?2 WHERE id = ?1", &[id.as_str().into(), restricted.into()])?;
        self.known.subjects.remove(id);
        Ok(n > 0)
    }

    fn restricted_among(&mut self, subjects: &[SubjectId]) -> Result<Vec<SubjectId>, StoreError> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let ids = [Param::Texts(subjects.iter().map(SubjectId::as_str).collect())];
        let sql = format!("SELECT id FROM subjects WHERE restricted <> 0 AND {}", D::in_list("id", 1));
        rows(self.db, "reading restrictions", &sql, &ids, |mut r| r.subject(0))
    }

    fn erase_subject(&mut self, id: &SubjectId) -> Result<Erased, StoreError> {
        self.known = Known::default();
        let blobs = self.blobs_where("r.subject_id = ?1", id.as_str())?;
        let fields =
            self.exec("erasing fields", "DELETE FROM fields WHERE record_id IN (SELECT id FROM records WHERE subject_id = ?1)", &[id.as_str().into()])?;
        self.defer(
            "erasing relations",
            "DELETE FROM relations WHERE object IN (SELECT id FROM records WHERE subject_id = ?1) OR object = ?1 OR actor = ?1",
            &[id.as_str().into()],
        )?;
        let records = self.exec("erasing records", "DELETE FROM records WHERE subject_id = ?1", &[id.as_str().into()])?;
        self.defer("erasing index entries", "DELETE FROM blind_index WHERE subject_id = ?1", &[id.as_str().into()])?;
        self.defer("erasing a subject key", "DELETE FROM subjects WHERE id = ?1", &[id.as_str().into()])?;
        Ok(Erased { records, fields, blobs })
    }

    fn erase_records(&mut self, records: &[RecordId]) -> Result<Erased, StoreError> {
        self.known.belonging.clear();
        if records.is_empty() {
            return Ok(Erased::default());
        }
        let ids = [Param::Texts(records.iter().map(RecordId::as_str).collect())];
        let sql = format!("SELECT blob FROM fields WHERE {} AND blob IS NOT NULL", D::in_list("record_id", 1));
        let blobs = rows(self.db, "finding blobs", &sql, &ids, |mut r| r.opt_blob(0))?.into_iter().flatten().collect();
        let fields = self.exec("erasing fields", &format!("DELETE FROM fields WHERE {}", D::in_list("record_id", 1)), &ids)?;
        self.defer("erasing relations", &format!("DELETE FROM relations WHERE {}", D::in_list("object", 1)), &ids)?;
        let records = self.exec("erasing records", &format!("DELETE FROM records WHERE {}", D::in_list("id", 1)), &ids)?;
        Ok(Erased { records, fields, blobs })
    }

    fn erase_subjects_without_records(&mut self, subjects: &[SubjectId]) -> Result<u64, StoreError> {
        self.known.subjects.clear();
        if subjects.is_empty() {
            return Ok(0);
        }
        let ids = [Param::Texts(subjects.iter().map(SubjectId::as_str).collect())];
        let empty = format!("SELECT s.id FROM subjects s WHERE {} AND NOT EXISTS (SELECT 1 FROM records r WHERE r.subject_id = s.id)", D::in_list("s.id", 1));
        self.defer("erasing relations", &format!("DELETE FROM relations WHERE object IN ({empty}) OR actor IN ({empty})"), &ids)?;
        self.defer("erasing index entries", &format!("DELETE FROM blind_index WHERE subject_id IN ({empty})"), &ids)?;
        self.exec("erasing subject keys", &format!("DELETE FROM subjects WHERE id IN ({empty})"), &ids)
    }

    fn records_of(&mut self, subject: &SubjectId) -> Result<u64, StoreError> {
        let count = first(self.db, "counting records", "SELECT count(*) FROM records WHERE subject_id = ?1", &[subject.as_str().into()], |mut r| r.count(0))?;
        Ok(count.unwrap_or(0))
    }

    fn set_blind_index(&mut self, kind: &str, digest: &[u8], subject: &SubjectId) -> Result<bool, StoreError> {
        // Of two writes beside each other, the second waits on the key the
        // first inserted, and then finds it taken.
        let given = self.exec(
            "writing the blind index",
            "INSERT INTO blind_index (kind, digest, subject_id) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, digest) DO UPDATE SET subject_id = excluded.subject_id WHERE blind_index.subject_id = excluded.subject_id",
            &[kind.into(), digest.into(), subject.as_str().into()],
        )? == 1;
        if given {
            self.defer(
                "writing the blind index",
                "DELETE FROM blind_index WHERE kind = ?1 AND subject_id = ?2 AND digest <> ?3",
                &[kind.into(), subject.as_str().into(), digest.into()],
            )?;
        }
        Ok(given)
    }

    fn has_blind_index(&mut self, kind: &str, subject: &SubjectId) -> Result<bool, StoreError> {
        let found = first(
            self.db,
            "searching the blind index",
            "SELECT 1 FROM blind_index WHERE subject_id = ?2 AND kind = ?1",
            &[kind.into(), subject.as_str().into()],
            |_| Ok(()),
        )?;
        Ok(found.is_some())
    }

    fn find_blind_index(&mut self, kind: &str, digest: &[u8]) -> Result<Option<SubjectId>, StoreError> {
        let sql = "SELECT subject_id FROM blind_index WHERE kind = ?1 AND digest = ?2";
        let params = [kind.into(), digest.into()];
        let found = first(self.db, "searching the blind index", sql, &params, |mut r| r.subject(0))?;
        if self.held_empty_key(found.is_none(), &params)? {
            return first(self.db, "searching the blind index", sql, &params, |mut r| r.subject(0));
        }
        Ok(found)
    }

    fn upsert_record(&mut self, record: &RecordId, subject: &SubjectId, processing: &str, at: jiff::Timestamp) -> Result<(), StoreError> {
        self.defer(
            "writing a record",
            "INSERT INTO records (id, subject_id, processing, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
             ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at",
            &[record.as_str().into(), subject.as_str().into(), processing.into(), at.into()],
        )?;
        Ok(())
    }

    fn put_fields(&mut self, record: &RecordId, fields: &[FieldPut<'_>]) -> Result<(), StoreError> {
        if fields.is_empty() {
            return Ok(());
        }
        // One statement whatever the count: one round trip on PostgreSQL.
        let sql = format!(
            "{} fields (record_id, category, value, blob, version) VALUES {}
             ON CONFLICT (record_id, category) DO UPDATE SET value = excluded.value, blob = excluded.blob, version = excluded.version",
            D::INSERT_ROWS,
            values_rows(fields.len(), 1, 4)
        );
        let mut params = Vec::with_capacity(1 + 4 * fields.len());
        params.push(record.as_str().into());
        for field in fields {
            params.extend([field.category.into(), field.value.into(), field.blob.map(BlobId::as_str).into(), int(field.version)]);
        }
        self.defer("writing fields", &sql, &params)?;
        Ok(())
    }

    fn field_versions(&mut self, record: &RecordId) -> Result<Vec<(String, u64, Option<BlobId>)>, StoreError> {
        rows(
            self.db,
            "reading the versions of a record's fields",
            "SELECT category, version, blob FROM fields WHERE record_id = ?1",
            &[record.as_str().into()],
            |mut r| Ok((r.text(0)?, r.count(1)?, r.opt_blob(2)?)),
        )
    }

    fn blob_named(&mut self, blob: &BlobId) -> Result<bool, StoreError> {
        let found = first(self.db, "looking for a blob's field", "SELECT 1 FROM fields WHERE blob = ?1", &[blob.as_str().into()], |_| Ok(()))?;
        Ok(found.is_some())
    }

    fn fields(&mut self, subject: &SubjectId, processing: Option<&str>) -> Result<Vec<FieldRow>, StoreError> {
        let sql = format!("{FIELDS} WHERE r.subject_id = ?1 AND (?2 IS NULL OR r.processing = ?2) ORDER BY r.created_at, r.id, f.category");
        rows(self.db, "reading fields", &sql, &[subject.as_str().into(), processing.into()], field_row)
    }

    fn record_fields(&mut self, record: &RecordId) -> Result<Vec<FieldRow>, StoreError> {
        rows(self.db, "reading a record's fields", &format!("{FIELDS} WHERE r.id = ?1 ORDER BY f.category"), &[record.as_str().into()], field_row)
    }

    fn records_after(&mut self, after: Option<&RecordId>, limit: u64) -> Result<Vec<RecordRow>, StoreError> {
        rows(
            self.db,
            "reading records in order",
            &format!("SELECT {RECORD_COLUMNS} FROM records r WHERE ?1 IS NULL OR r.id > ?1 ORDER BY r.id LIMIT ?2"),
            &[after.map(RecordId::as_str).into(), int(limit)],
            record_row,
        )
    }

    fn insert_disclosure(&mut self, d: &DisclosureRow) -> Result<(), StoreError> {
        self.defer(
            "recording a disclosure",
            "INSERT INTO disclosures (subject_id, processing, recipient, categories, actor, trace_id, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                d.subject.as_str().into(),
                d.processing.as_str().into(),
                d.recipient.as_str().into(),
                d.categories.as_str().into(),
                d.actor.as_str().into(),
                d.trace_id.as_str().into(),
                d.at.into(),
            ],
        )?;
        Ok(())
    }

    fn record(&mut self, record: &RecordId) -> Result<Option<RecordRow>, StoreError> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.id = ?1");
        let row = first(self.db, "reading a record", &sql, &[record.as_str().into()], record_row)?;
        match row {
            // Read before its subject was held, the record may be older
            // than what the write holding the subject left: held now, it is
            // read again as that write left it.
            Some(found) if !self.alone && !self.held.contains(&found.subject) => {
                let hold = format!("SELECT 1 FROM subjects WHERE id = ?1{}", D::FOR_UPDATE);
                self.defer("holding a record's subject", &hold, &[found.subject.as_str().into()])?;
                self.held.push(found.subject);
                first(self.db, "reading a record", &sql, &[record.as_str().into()], record_row)
            }
            row => Ok(row),
        }
    }

    fn record_belongs(&mut self, record: &RecordId, subject: &SubjectId, processing: &str) -> Result<bool, StoreError> {
        let asked = (record.clone(), subject.clone(), processing.to_string());
        if self.known.belonging.contains(&asked) {
            return Ok(true);
        }
        let sql = "SELECT count(*) FROM records WHERE id = ?1 AND subject_id = ?2 AND processing = ?3";
        let found = first(self.db, "checking a record", sql, &[record.as_str().into(), subject.as_str().into(), processing.into()], |mut r| r.count(0))?;
        let belongs = found == Some(1);
        if belongs {
            self.known.belonging.insert(asked);
        }
        Ok(belongs)
    }

    fn set_parent(&mut self, record: &RecordId, parent: &RecordId) -> Result<(), StoreError> {
        self.defer("linking a record to its parent", "UPDATE records SET parent_id = ?2 WHERE id = ?1", &[record.as_str().into(), parent.as_str().into()])?;
        Ok(())
    }

    fn parent(&mut self, record: &RecordId) -> Result<Option<RecordId>, StoreError> {
        let parent = first(self.db, "reading a record's parent", "SELECT parent_id FROM records WHERE id = ?1", &[record.as_str().into()], |mut r| {
            let text = r.opt_text(0)?;
            text.map(|p| RecordId::parse(&p).map_err(|_| r.malformed(0))).transpose()
        })?;
        Ok(parent.flatten())
    }

    fn children(&mut self, parent: &RecordId) -> Result<Vec<RecordRow>, StoreError> {
        rows(
            self.db,
            "reading a record's children",
            &format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.parent_id = ?1 ORDER BY r.id"),
            &[parent.as_str().into()],
            record_row,
        )
    }

    fn next_in_sequence(&mut self, name: &str) -> Result<u64, StoreError> {
        let value = first(
            self.db,
            "advancing a sequence",
            "INSERT INTO sequences (name, value) VALUES (?1, 1)
             ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value",
            &[name.into()],
            |mut r| r.count(0),
        )?;
        value.ok_or(StoreError::Corrupt("sequences.value"))
    }

    fn set_reference(&mut self, record: &RecordId, reference: &str) -> Result<(), StoreError> {
        self.defer("setting a reference", "UPDATE records SET reference = ?2 WHERE id = ?1", &[record.as_str().into(), reference.into()])?;
        Ok(())
    }

    fn find_reference(&mut self, reference: &str) -> Result<Option<RecordRow>, StoreError> {
        first(self.db, "finding a reference", &format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.reference = ?1"), &[reference.into()], record_row)
    }

    fn add_event(&mut self, record: &RecordId, event: &EventRow, status: Option<&str>) -> Result<(), StoreError> {
        self.defer(
            "recording an event",
            "INSERT INTO record_events (record_id, event, at, actor, detail, audience) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                record.as_str().into(),
                event.event.as_str().into(),
                event.at.into(),
                event.actor.as_str().into(),
                event.detail.as_deref().into(),
                event.audience.as_deref().into(),
            ],
        )?;
        self.defer(
            "recording an event",
            "UPDATE records SET status = coalesce(?2, status), updated_at = ?3 WHERE id = ?1",
            &[record.as_str().into(), status.into(), event.at.into()],
        )?;
        Ok(())
    }

    fn numbered_events(&mut self, record: &RecordId) -> Result<Vec<(u64, EventRow)>, StoreError> {
        rows(
            self.db,
            "reading events",
            "SELECT id, event, at, actor, detail, audience FROM record_events WHERE record_id = ?1 ORDER BY id",
            &[record.as_str().into()],
            |mut r| {
                Ok((r.count(0)?, EventRow { event: r.text(1)?, at: r.timestamp(2)?, actor: r.text(3)?, detail: r.opt_bytes(4)?, audience: r.opt_text(5)? }))
            },
        )
    }

    fn set_event_detail(&mut self, id: u64, detail: &[u8]) -> Result<(), StoreError> {
        self.defer("re-sealing an event's detail", "UPDATE record_events SET detail = ?2 WHERE id = ?1", &[int(id), detail.into()])?;
        Ok(())
    }

    fn add_record_index(&mut self, processing: &str, kind: &str, digest: &[u8], record: &RecordId) -> Result<(), StoreError> {
        self.defer(
            "indexing a record",
            "INSERT INTO record_index (kind, digest, processing, record_id) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            &[kind.into(), digest.into(), processing.into(), record.as_str().into()],
        )?;
        Ok(())
    }

    fn find_record_index(&mut self, processing: &str, kind: &str, digest: &[u8]) -> Result<Vec<RecordRow>, StoreError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM record_index i JOIN records r ON r.id = i.record_id
             WHERE i.kind = ?1 AND i.digest = ?2 AND i.processing = ?3 ORDER BY r.created_at, r.id"
        );
        let params = [kind.into(), digest.into(), processing.into()];
        let found = rows(self.db, "searching the record index", &sql, &params, record_row)?;
        // The key is held whichever processing asks: kind and digest only.
        if self.held_empty_key(found.is_empty(), &params[..2])? {
            return rows(self.db, "searching the record index", &sql, &params, record_row);
        }
        Ok(found)
    }

    fn list_records(&mut self, processing: &str, status: Option<&str>, offset: u64, limit: u64) -> Result<Vec<RecordRow>, StoreError> {
        // Two statements, not `(?2 IS NULL OR status = ?2)`: with that, SQLite
        // cannot seek the (processing, status, updated_at) index on the
        // status and sorts every record of the processing (100 ms at 35,000).
        let filter = if status.is_some() { "r.status = ?2" } else { "CAST(?2 AS TEXT) IS NULL" };
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM records r
             WHERE r.processing = ?1 AND {filter}
             ORDER BY r.updated_at DESC, r.id LIMIT ?3 OFFSET ?4"
        );
        rows(self.db, "listing records", &sql, &[processing.into(), status.into(), int(limit), int(offset)], record_row)
    }

    fn list_reached(&mut self, processing: &str, status: Option<&str>, reach: Reach<'_>, offset: u64, limit: u64) -> Result<Vec<RecordRow>, StoreError> {
        let filter = if status.is_some() { "r.status = ?2" } else { "CAST(?2 AS TEXT) IS NULL" };
        let (from, key, relation) = match reach {
            Reach::Subject(subject) => ("records r WHERE r.subject_id = ?5 AND CAST(?6 AS TEXT) IS NULL", subject.as_str(), None),
            Reach::RelatedRecords { relation, actor } => {
                ("relations x JOIN records r ON r.id = x.object WHERE x.actor = ?5 AND x.relation = ?6", actor, Some(relation))
            }
            Reach::RelatedSubjects { relation, actor } => {
                ("relations x JOIN records r ON r.subject_id = x.object WHERE x.actor = ?5 AND x.relation = ?6", actor, Some(relation))
            }
        };
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM {from} AND r.processing = ?1 AND {filter}
             ORDER BY r.updated_at DESC, r.id LIMIT ?3 OFFSET ?4"
        );
        rows(
            self.db,
            "listing the records within reach",
            &sql,
            &[processing.into(), status.into(), int(limit), int(offset), key.into(), relation.into()],
            record_row,
        )
    }

    fn relate(&mut self, object: &str, relation: &str, actor: &str) -> Result<(), StoreError> {
        self.defer(
            "storing a relation",
            "INSERT INTO relations (object, relation, actor) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            &[object.into(), relation.into(), actor.into()],
        )?;
        Ok(())
    }

    fn unrelate(&mut self, object: &str, relation: &str, actor: &str) -> Result<bool, StoreError> {
        let n = self.exec(
            "removing a relation",
            "DELETE FROM relations WHERE object = ?1 AND relation = ?2 AND actor = ?3",
            &[object.into(), relation.into(), actor.into()],
        )?;
        Ok(n > 0)
    }

    fn related(&mut self, object: &str, relation: &str, actor: &str) -> Result<bool, StoreError> {
        let found = first(
            self.db,
            "checking a relation",
            "SELECT 1 FROM relations WHERE object = ?1 AND relation = ?2 AND actor = ?3",
            &[object.into(), relation.into(), actor.into()],
            |_| Ok(()),
        )?;
        Ok(found.is_some())
    }

    fn take_chains(&mut self, chains: &[Chain], count: u64) -> Result<TakenChains, StoreError> {
        let Some(sql) = D::TAKE_CHAINS.filter(|_| !self.alone) else {
            let heads = self.audit_heads(chains)?;
            let seqs = match D::AUDIT_SEQS {
                _ if count == 0 => Vec::new(),
                AuditSeqs::Drawn(sql) => rows(self.db, "numbering audit entries", sql, &[int(count)], |mut r| r.count(0))?,
                AuditSeqs::AfterLast(sql) => {
                    let known = self.tail.as_ref().and_then(|tail| tail.last_seq);
                    let last = match known {
                        Some(last) => last,
                        None => first(self.db, "numbering audit entries", sql, &[], |mut r| r.count(0))?.ok_or(StoreError::Corrupt("audit_entries.seq"))?,
                    };
                    if let Some(tail) = &mut self.tail {
                        tail.last_seq = Some(last);
                    }
                    (last + 1..=last + count).collect()
                }
            };
            return Ok(TakenChains { heads, seqs });
        };
        let numbers: Vec<String> = chains.iter().map(|chain| chain.number().to_string()).collect();
        let mut taken = TakenChains::default();
        self.db.query("taking audit chains", sql, &[Param::Texts(numbers.iter().map(String::as_str).collect()), int(count)], &mut |mut r| {
            match r.opt_count(3)? {
                Some(seq) => taken.seqs.push(seq),
                None => taken.heads.push((r.chain(0)?, r.count(1)?, r.hash(2)?)),
            }
            Ok(())
        })?;
        Ok(taken)
    }

    fn audit_heads(&mut self, chains: &[Chain]) -> Result<Vec<(Chain, u64, Hash)>, StoreError> {
        let Some(tail) = self.tail.as_deref_mut() else { return read_heads(self.db, chains) };
        let unknown: Vec<Chain> = chains.iter().filter(|chain| !tail.heads.contains_key(chain)).copied().collect();
        if !unknown.is_empty() {
            let read = read_heads(self.db, &unknown)?;
            for chain in unknown {
                let head = read.iter().find(|(of, _, _)| *of == chain).map(|&(_, position, link)| (position, link));
                tail.heads.insert(chain, head);
            }
        }
        Ok(chains.iter().filter_map(|chain| tail.heads.get(chain).copied().flatten().map(|(position, link)| (*chain, position, link))).collect())
    }

    fn append_audit(&mut self, rows: &[(AuditRow, Option<jiff::Timestamp>)]) -> Result<(), StoreError> {
        if let Some(tail) = self.tail.as_deref_mut() {
            for (row, _) in rows {
                tail.heads.insert(row.chain, Some((row.position, row.link)));
                tail.last_seq = tail.last_seq.max(Some(row.seq));
            }
        }
        for chunk in rows.chunks(AUDIT_ROWS_PER_STATEMENT) {
            const COLUMNS: usize = 8;
            let sql = format!(
                "{} audit_entries (seq, chain_no, chain_position, entry, leaf, chain, subject_id, forget_at) VALUES {}",
                D::INSERT_ROWS,
                values_rows(chunk.len(), 0, COLUMNS)
            );
            let entries = chunk.iter().map(|(row, _)| packed::pack(&row.entry)).collect::<Result<Vec<_>, _>>()?;
            let mut params = Vec::with_capacity(COLUMNS * chunk.len());
            for ((row, forget_at), entry) in chunk.iter().zip(&entries) {
                params.extend([
                    int(row.seq),
                    int(u64::from(row.chain.number())),
                    int(row.position),
                    entry.as_slice().into(),
                    row.leaf.0.as_slice().into(),
                    row.link.0.as_slice().into(),
                    row.subject.as_deref().into(),
                    (*forget_at).into(),
                ]);
            }
            self.defer("appending to the audit log", &sql, &params)?;
        }
        Ok(())
    }

    fn audit_of(&mut self, subject: &SubjectId) -> Result<Vec<AuditRow>, StoreError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE subject_id = ?1 ORDER BY seq");
        rows(self.db, "reading the audit log", &sql, &[subject.as_str().into()], audit_row)
    }

    fn audit_row(&mut self, seq: u64) -> Result<Option<AuditRow>, StoreError> {
        first(self.db, "reading an audit entry", &format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE seq = ?1"), &[int(seq)], audit_row)
    }

    fn audit_row_at(&mut self, chain: Chain, position: u64) -> Result<Option<AuditRow>, StoreError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE chain_no = ?1 AND chain_position = ?2");
        first(self.db, "reading an audit entry", &sql, &[int(u64::from(chain.number())), int(position)], audit_row)
    }

    fn audit_rows_after(&mut self, chain: Chain, position: u64) -> Result<Vec<AuditRow>, StoreError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE chain_no = ?1 AND chain_position > ?2 ORDER BY chain_position");
        rows(self.db, "reading the audit log", &sql, &[int(u64::from(chain.number())), int(position)], audit_row)
    }

    fn visit_audit(&mut self, visit: &mut dyn FnMut(AuditRow) -> Result<(), StoreError>) -> Result<(), StoreError> {
        audit_rows(self.db, 1, visit)
    }

    fn audit_leaves(&mut self, chain: Chain, position: u64, count: u64) -> Result<Vec<Hash>, StoreError> {
        let sql = "SELECT leaf FROM audit_entries WHERE chain_no = ?1 AND chain_position >= ?2 AND chain_position < ?3 ORDER BY chain_position";
        rows(self.db, "reading audit leaves", sql, &[int(u64::from(chain.number())), int(position), int(position.saturating_add(count))], |mut r| r.hash(0))
    }

    fn audit_due(&mut self, now: jiff::Timestamp, limit: u64) -> Result<Vec<AuditRow>, StoreError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE forget_at <= ?1 AND entry <> '' ORDER BY forget_at, seq LIMIT ?2{}", D::CLAIM);
        rows(self.db, "reading audit entries due to be forgotten", &sql, &[now.into(), int(limit)], audit_row)
    }

    fn set_audit_forget_at(&mut self, seq: u64, forget_at: Option<jiff::Timestamp>) -> Result<(), StoreError> {
        self.defer("dating an audit entry's forgetting", "UPDATE audit_entries SET forget_at = ?2 WHERE seq = ?1", &[int(seq), forget_at.into()])?;
        Ok(())
    }

    fn forget_audit(&mut self, seqs: &[u64]) -> Result<(), StoreError> {
        for seq in seqs {
            self.defer("forgetting an audit entry", "UPDATE audit_entries SET entry = '', subject_id = NULL, forget_at = NULL WHERE seq = ?1", &[int(*seq)])?;
        }
        Ok(())
    }

    fn disclosures_of(&mut self, subject: &SubjectId) -> Result<Vec<DisclosureRow>, StoreError> {
        rows(
            self.db,
            "reading disclosures",
            "SELECT processing, recipient, categories, actor, trace_id, at FROM disclosures WHERE subject_id = ?1 ORDER BY id",
            &[subject.as_str().into()],
            |mut r| {
                Ok(DisclosureRow {
                    subject: subject.clone(),
                    processing: r.text(0)?,
                    recipient: r.text(1)?,
                    categories: r.text(2)?,
                    actor: r.text(3)?,
                    trace_id: r.text(4)?,
                    at: r.timestamp(5)?,
                })
            },
        )
    }

    fn last_checkpoint(&mut self, chain: Chain) -> Result<Option<(u64, String, Vec<u8>)>, StoreError> {
        let sql = "SELECT size, note, frontier FROM audit_checkpoints WHERE chain_no = ?1 ORDER BY size DESC LIMIT 1";
        first(self.db, "reading the last checkpoint", sql, &[int(u64::from(chain.number()))], |mut r| Ok((r.count(0)?, r.text(1)?, r.bytes(2)?)))
    }

    fn last_checkpoints(&mut self) -> Result<Vec<String>, StoreError> {
        // From one chain to the next through the primary key, then each
        // chain's last: a few lookups a chain. Asked as each chain's largest
        // size for every checkpoint, the query read every checkpoint ever
        // signed, at every checkpoint signed (19 ms at 25,000 checkpoints,
        // about what a store of 10^6 people has; BENCHMARKS.md, seventeenth
        // session).
        let sql = "WITH RECURSIVE chains (chain) AS (
                       SELECT min(chain_no) FROM audit_checkpoints
                       UNION ALL
                       SELECT (SELECT min(chain_no) FROM audit_checkpoints WHERE chain_no > chain) FROM chains WHERE chain IS NOT NULL
                   )
                   SELECT (SELECT note FROM audit_checkpoints WHERE chain_no = chain ORDER BY size DESC LIMIT 1)
                   FROM chains WHERE chain IS NOT NULL ORDER BY chain";
        rows(self.db, "reading the chains' last checkpoints", sql, &[], |mut r| r.text(0))
    }

    fn checkpoint_at(&mut self, chain: Chain, size: u64) -> Result<Option<String>, StoreError> {
        let sql = "SELECT note FROM audit_checkpoints WHERE chain_no = ?1 AND size = ?2";
        first(self.db, "reading a checkpoint", sql, &[int(u64::from(chain.number())), int(size)], |mut r| r.text(0))
    }

    fn insert_audit_nodes(&mut self, chain: Chain, nodes: &[Node]) -> Result<(), StoreError> {
        for node in nodes {
            self.defer(
                "keeping a Merkle tree node",
                "INSERT INTO audit_nodes (chain_no, level, idx, hash) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (chain_no, level, idx) DO NOTHING",
                &[int(u64::from(chain.number())), int(u64::from(node.level)), int(node.index), node.hash.0.as_slice().into()],
            )?;
        }
        Ok(())
    }

    fn audit_node(&mut self, chain: Chain, level: u8, index: u64) -> Result<Option<Hash>, StoreError> {
        let sql = "SELECT hash FROM audit_nodes WHERE chain_no = ?1 AND level = ?2 AND idx = ?3";
        first(self.db, "reading a Merkle tree node", sql, &[int(u64::from(chain.number())), int(u64::from(level)), int(index)], |mut r| r.hash(0))
    }

    fn insert_checkpoint(&mut self, chain: Chain, size: u64, note: &str, frontier: &[u8]) -> Result<(), StoreError> {
        self.defer(
            "writing a checkpoint",
            "INSERT INTO audit_checkpoints (chain_no, size, note, frontier) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (chain_no, size) DO NOTHING",
            &[int(u64::from(chain.number())), int(size), note.into(), frontier.into()],
        )?;
        Ok(())
    }

    fn set_due(&mut self, record: &RecordId, subject: &SubjectId, processing: &str, due_at: Option<jiff::Timestamp>, held: bool) -> Result<(), StoreError> {
        self.defer(
            "recording a due date",
            "INSERT INTO due (record_id, subject_id, processing, due_at, held) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (record_id) DO UPDATE SET due_at = excluded.due_at, held = excluded.held",
            &[record.as_str().into(), subject.as_str().into(), processing.into(), due_at.into(), held.into()],
        )?;
        Ok(())
    }

    fn due_of(&mut self, record: &RecordId) -> Result<Option<(Option<jiff::Timestamp>, bool)>, StoreError> {
        first(self.db, "reading a due date", "SELECT due_at, held FROM due WHERE record_id = ?1", &[record.as_str().into()], |mut r| {
            Ok((r.opt_timestamp(0)?, r.int(1)? != 0))
        })
    }

    fn due_records(&mut self, now: jiff::Timestamp, limit: u64) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError> {
        let sql = "SELECT record_id, subject_id, processing, due_at FROM due WHERE held = 0 AND due_at IS NOT NULL AND due_at <= ?1 ORDER BY due_at, record_id LIMIT ?2";
        rows(self.db, "reading due dates", sql, &[now.into(), int(limit)], due_row)
    }

    fn take_due_records(
        &mut self,
        now: jiff::Timestamp,
        limit: u64,
        processings: &[&str],
    ) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError> {
        if processings.is_empty() {
            return Ok(Vec::new());
        }
        let listed = placeholders(3, processings.len());
        let sql = format!(
            "SELECT record_id, subject_id, processing, due_at FROM due WHERE held = 0 AND due_at IS NOT NULL AND due_at <= ?1 AND processing IN ({listed}) ORDER BY due_at, record_id LIMIT ?2{}",
            D::CLAIM
        );
        let params: Vec<Param<'_>> = [now.into(), int(limit)].into_iter().chain(processings.iter().map(|p| (*p).into())).collect();
        let mut taken = rows(self.db, "taking due records", &sql, &params, due_row)?;
        // What belongs to a record taken goes in the same batch, down to
        // the last generation: a sweep stopped between two batches must
        // not leave a case's photo behind its case.
        let mut parents: Vec<RecordId> = taken.iter().map(|(record, ..)| record.clone()).collect();
        while !parents.is_empty() {
            let children = placeholders(2 + processings.len(), parents.len());
            let sql = format!(
                "SELECT record_id, subject_id, processing, due_at FROM due WHERE held = 0 AND due_at IS NOT NULL AND due_at <= ?1 AND processing IN ({}) AND record_id IN (SELECT id FROM records WHERE parent_id IN ({children})){}",
                placeholders(2, processings.len()),
                D::CLAIM
            );
            let params: Vec<Param<'_>> =
                std::iter::once(now.into()).chain(processings.iter().map(|p| (*p).into())).chain(parents.iter().map(|r| r.as_str().into())).collect();
            let found = rows(self.db, "taking what belongs to due records", &sql, &params, due_row)?;
            let new: Vec<_> = found.into_iter().filter(|(record, ..)| !taken.iter().any(|(t, ..)| t == record)).collect();
            parents = new.iter().map(|(record, ..)| record.clone()).collect();
            taken.extend(new);
        }
        Ok(taken)
    }

    fn due_totals(&mut self) -> Result<Vec<crate::DueTotals>, StoreError> {
        let sql = "SELECT processing, count(CASE WHEN held = 1 THEN 1 END), count(CASE WHEN held = 0 AND due_at IS NOT NULL THEN 1 END),
                          min(CASE WHEN held = 0 THEN due_at END)
                   FROM due GROUP BY processing ORDER BY processing";
        rows(self.db, "totalling due dates", sql, &[], |mut r| {
            Ok(crate::DueTotals { processing: r.text(0)?, held: r.count(1)?, dated: r.count(2)?, next_due: r.opt_timestamp(3)? })
        })
    }

    fn set_review(&mut self, record: &RecordId, review_at: Option<jiff::Timestamp>) -> Result<(), StoreError> {
        self.defer("setting a review date", "UPDATE due SET review_at = ?2 WHERE record_id = ?1", &[record.as_str().into(), review_at.into()])?;
        Ok(())
    }

    fn overdue_reviews(&mut self, now: jiff::Timestamp) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError> {
        let sql = "SELECT record_id, subject_id, processing, review_at FROM due WHERE held = 1 AND review_at IS NOT NULL AND review_at <= ?1 ORDER BY review_at, record_id";
        rows(self.db, "reading review dates", sql, &[now.into()], due_row)
    }

    fn record_counts(&mut self) -> Result<Vec<(String, u64)>, StoreError> {
        rows(self.db, "counting records", "SELECT processing, count(*) FROM records GROUP BY processing ORDER BY processing", &[], |mut r| {
            Ok((r.text(0)?, r.count(1)?))
        })
    }

    fn put_session(&mut self, token_hash: &[u8], session: &SessionRow) -> Result<(), StoreError> {
        self.defer(
            "writing a session",
            "INSERT INTO sessions (token_hash, account, body, expires_at, account_record) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (token_hash) DO UPDATE SET body = excluded.body, expires_at = excluded.expires_at",
            &[
                token_hash.into(),
                session.account.as_str().into(),
                session.body.as_slice().into(),
                session.expires_at.into(),
                Param::Text(session.account_record.as_ref().map(|r| Cow::Borrowed(r.as_str()))),
            ],
        )?;
        Ok(())
    }

    fn session(&mut self, token_hash: &[u8], now: jiff::Timestamp) -> Result<Option<SessionRow>, StoreError> {
        first(
            self.db,
            "reading a session",
            "SELECT account, body, expires_at, account_record FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
            &[token_hash.into(), now.into()],
            session_row,
        )
    }

    fn take_session(&mut self, token_hash: &[u8], now: jiff::Timestamp) -> Result<Option<SessionRow>, StoreError> {
        first(
            self.db,
            "taking a session",
            "DELETE FROM sessions WHERE token_hash = ?1 AND expires_at > ?2 RETURNING account, body, expires_at, account_record",
            &[token_hash.into(), now.into()],
            session_row,
        )
    }

    fn delete_session(&mut self, token_hash: &[u8]) -> Result<(), StoreError> {
        self.defer("ending a session", "DELETE FROM sessions WHERE token_hash = ?1", &[token_hash.into()])?;
        Ok(())
    }

    fn delete_sessions(&mut self, account: &str, expired_before: jiff::Timestamp) -> Result<u64, StoreError> {
        self.exec("ending sessions", "DELETE FROM sessions WHERE account = ?1 OR expires_at <= ?2", &[account.into(), expired_before.into()])
    }

    fn login_failures(&mut self, key: &[u8]) -> Result<Option<(u32, jiff::Timestamp)>, StoreError> {
        let count = |mut r: Row| {
            let failures = u32::try_from(r.count(0)?).map_err(|_| StoreError::Corrupt("login_failures.failures"))?;
            Ok((failures, r.timestamp(1)?))
        };
        if self.alone {
            return first(self.db, "reading failed sign-ins", "SELECT failures, last_at FROM login_failures WHERE key = ?1", &[key.into()], count);
        }
        // A row that is not there cannot be locked: one at zero is made, or
        // the one there locked by an update that changes nothing, and its
        // count read as the last write beside this one left it.
        let found = first(
            self.db,
            "claiming failed sign-ins",
            "INSERT INTO login_failures (key, failures, last_at) VALUES (?1, 0, ?2)
             ON CONFLICT (key) DO UPDATE SET failures = login_failures.failures RETURNING failures, last_at",
            &[key.into(), jiff::Timestamp::UNIX_EPOCH.into()],
            count,
        )?;
        Ok(found.filter(|(failures, _)| *failures > 0))
    }

    fn set_login_failures(&mut self, key: &[u8], failures: u32, at: jiff::Timestamp) -> Result<(), StoreError> {
        if failures == 0 {
            self.defer("clearing failed sign-ins", "DELETE FROM login_failures WHERE key = ?1", &[key.into()])?;
        } else {
            self.defer(
                "recording a failed sign-in",
                "INSERT INTO login_failures (key, failures, last_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_at = excluded.last_at",
                &[key.into(), i64::from(failures).into(), at.into()],
            )?;
        }
        Ok(())
    }

    fn setting(&mut self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        first(self.db, "reading a setting", "SELECT value FROM settings WHERE name = ?1", &[name.into()], |mut r| r.bytes(0))
    }

    fn set_setting(&mut self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.defer(
            "writing a setting",
            "INSERT INTO settings (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            &[name.into(), value.into()],
        )?;
        Ok(())
    }

    fn settings_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        rows(self.db, "reading settings", "SELECT name, value FROM settings WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name", &[prefix.into()], |mut r| {
            Ok((r.text(0)?, r.bytes(1)?))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_order_as_text_and_round_trip() {
        let a: jiff::Timestamp = "2026-11-28T20:24:51Z".parse().unwrap();
        let b: jiff::Timestamp = "2026-11-28T20:24:51.000000001Z".parse().unwrap();
        assert!(timestamp(a) < timestamp(b));
        assert_eq!(timestamp(b).parse::<jiff::Timestamp>().unwrap(), b);
    }

    #[test]
    fn multi_row_values_number_each_rows_parameters_after_the_shared_ones() {
        assert_eq!(values_rows(1, 0, 3), "(?1, ?2, ?3)");
        assert_eq!(values_rows(3, 1, 2), "(?1, ?2, ?3), (?1, ?4, ?5), (?1, ?6, ?7)");
        assert_eq!(values_rows(2, 0, 8), "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8), (?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
        assert_eq!(placeholders(3, 2), "?3, ?4");
    }
}
