//! Persistence behind one small trait.
//!
//! The store enforces nothing: it keeps what the kernel hands it — wrapped
//! keys, ciphertext, keyed digests, audit rows — and never sees a plaintext
//! value or decides who may see what. That keeps each implementation (SQLite
//! for one machine, PostgreSQL for several nodes) a thin layer over one body
//! of portable SQL (`sql`), proven by the same conformance tests
//! (`tests/conformance.rs`). One [`Store::transaction`] is one atomic unit: the kernel puts a
//! data change and its audit entry in the same one, so neither exists
//! without the other.

#![warn(missing_docs)]

mod blobs;
mod copy;
mod group;
mod ids;
mod packed;
mod postgresql;
mod sql;
mod sqlite;
mod tls;

use grondslag_audit::{Chain, Hash, Node, Row};

pub use blobs::{BlobStore, Durable, Journal};
pub use ids::{BlobId, IdSequence, InvalidId, RecordId, SubjectId};
pub use packed::{pack as pack_audit_entry, unpack as unpack_audit_entry};

pub use postgresql::{PostgresStore, ScratchDatabase, is_postgres_url};
pub use sqlite::SqliteStore;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum StoreError {
    #[error("database error while {context}: {source}")]
    Sqlite { context: &'static str, source: rusqlite::Error },
    #[error("{context} {path}: {source}")]
    Io { context: &'static str, path: std::path::PathBuf, source: std::io::Error },
    #[error("PostgreSQL error while {context}: {}", server_said(source))]
    Postgres { context: &'static str, source: tokio_postgres::Error },
    /// PostgreSQL stopped this write because it and another write each
    /// waited for what the other held (`deadlock_detected`); it is rolled
    /// back whole, and the same operation again normally succeeds.
    #[error("another operation on the same people ran at the same moment, so this one was stopped while {context} and nothing of it was stored; try again")]
    Conflict { context: &'static str },
    #[error("cannot connect to PostgreSQL: {0}; check the URL, and that the server runs and accepts this user")]
    Pool(#[from] r2d2::Error),
    #[error("`{0}` is not a PostgreSQL URL; give one like postgres://user@host:5432/database")]
    InvalidUrl(String),
    #[error("the PostgreSQL URL cannot be used: {0}")]
    DatabaseUrl(String),
    #[error("the target database already holds data (table {0}); migrate only into a new, empty database")]
    NotEmpty(&'static str),
    #[error("the database holds a malformed value in {0}")]
    Corrupt(&'static str),
    #[error("the database holds a malformed value in column {column} while {context}; was it changed outside grondslag?")]
    Malformed { context: &'static str, column: usize },
    #[error("the database was written by a newer grondslag (schema {found}, this one knows {known}); upgrade grondslag")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("committing failed, so the operation was not stored: {0}")]
    Commit(String),
    #[error("cannot start the runtime of a connection to PostgreSQL: {0}")]
    Runtime(std::io::Error),
    #[error("cannot start the thread that checkpoints the SQLite WAL: {0}")]
    Checkpointer(String),
    /// zstd could not pack an entry (it fails only when memory runs out);
    /// nothing of the operation was stored.
    #[error("cannot pack an audit entry for storing: {0}")]
    Pack(std::io::Error),
    /// The transaction's work gave up; everything it did is rolled back.
    #[error("transaction aborted")]
    Aborted,
}

/// What the server said of a statement it refused: `tokio_postgres` shows
/// only "db error" and keeps the server's message as the error's source,
/// which a failed commit (kept as text, `Commit`) would lose.
fn server_said(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        None => error.to_string(),
    }
}

/// A subject as the store keeps it: no personal data, only its sealed key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectRow {
    /// The subject's data key, sealed under the key-encryption key.
    pub wrapped_key: Vec<u8>,
    /// Processing is restricted (art. 18).
    pub restricted: bool,
}

/// A field of a record to store: its category's name, its sealed value,
/// the blob holding the value when it is large, and the version its value
/// was sealed as.
#[derive(Clone, Copy, Debug)]
pub struct FieldPut<'a> {
    /// The register category, by name.
    pub category: &'a str,
    /// The sealed value; for a large value, the sealed id of its blob.
    pub value: &'a [u8],
    /// The blob holding the value, for large values.
    pub blob: Option<&'a BlobId>,
    /// The version the value was sealed as (see [`FieldRow::version`]).
    pub version: u64,
}

/// One field of a record, its value sealed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldRow {
    /// The record it belongs to.
    pub record: RecordId,
    /// The record's processing, by register id.
    pub processing: String,
    /// The register category, by name.
    pub category: String,
    /// The sealed value; for a large value, the sealed id of its blob.
    pub value: Vec<u8>,
    /// The blob holding the value, for large values.
    pub blob: Option<BlobId>,
    /// How many times the field was written: 1 at first, one more at each
    /// overwrite. It is sealed into the value, so an older value does not
    /// open in its place.
    pub version: u64,
}

/// One disclosure: whose data went where, and on whose action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisclosureRow {
    /// Whose data.
    pub subject: SubjectId,
    /// Under which processing, by register id.
    pub processing: String,
    /// Who received it, by register id.
    pub recipient: String,
    /// Category names, comma-separated.
    pub categories: String,
    /// Who disclosed it.
    pub actor: String,
    /// The operation's trace, to find its audit entries.
    pub trace_id: String,
    /// When.
    pub at: jiff::Timestamp,
}

/// A record as lists show it: no field values, only what the store can see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    /// The record.
    pub record: RecordId,
    /// Whose it is.
    pub subject: SubjectId,
    /// Its processing, by register id.
    pub processing: String,
    /// Its reference (a case number), if it has one.
    pub reference: Option<String>,
    /// Where it stands, if the processing tracks status.
    pub status: Option<String>,
    /// When it last changed.
    pub updated_at: jiff::Timestamp,
}

/// One dated event in a record's life; `detail` is ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    /// What happened, e.g. a status change.
    pub event: String,
    /// When.
    pub at: jiff::Timestamp,
    /// Who did it.
    pub actor: String,
    /// The event's detail, sealed.
    pub detail: Option<Vec<u8>>,
    /// Who may see it (opaque to the store): a category name, `staff`, or
    /// `None` for every reader of the record.
    pub audience: Option<String>,
}

/// Whose records a scoped list reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach<'a> {
    /// The records of one subject.
    Subject(&'a SubjectId),
    /// Records related to `actor` by `relation`, directly.
    RelatedRecords {
        /// The relation, a scope name, e.g. `"assigned"`.
        relation: &'a str,
        /// The actor at its other end.
        actor: &'a str,
    },
    /// Records whose subject is related to `actor` by `relation`.
    RelatedSubjects {
        /// The relation, a scope name, e.g. `"represented"`.
        relation: &'a str,
        /// The actor at its other end.
        actor: &'a str,
    },
}

/// What an erasure removed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    /// Records deleted.
    pub records: u64,
    /// Fields deleted.
    pub fields: u64,
    /// Blobs to delete once the transaction has committed.
    pub blobs: Vec<BlobId>,
}

impl Erased {
    /// Counts `other` in with this erasure.
    pub fn add(&mut self, other: Erased) {
        self.records += other.records;
        self.fields += other.fields;
        self.blobs.extend(other.blobs);
    }
}

/// A signed-in session: whose it is, what the server keeps with it
/// (opaque to the store), and until when it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// The account the session signs in.
    pub account: String,
    /// The account's record: erasing it ends the session.
    pub account_record: Option<RecordId>,
    /// What the server keeps with it.
    pub body: Vec<u8>,
    /// When it ends unless renewed.
    pub expires_at: jiff::Timestamp,
}

/// The operations of one transaction. After an operation fails, return
/// its error rather than go on: PostgreSQL refuses every further statement
/// of a transaction in which one failed.
///
/// On PostgreSQL a write that returns nothing may be sent later, with the
/// next operation that reads or with the commit, and fail there (see
/// `postgresql`); [`Tx::confirm`] waits until the server has taken every
/// write so far.
pub trait Tx {
    /// Returns once the store has taken every write of this transaction so
    /// far, or the error of the first it refused: what an operation that
    /// audits its own failure calls before it counts as done.
    fn confirm(&mut self) -> Result<(), StoreError>;
    /// Adds a subject with its wrapped data key.
    fn insert_subject(&mut self, id: &SubjectId, wrapped_key: &[u8], at: jiff::Timestamp) -> Result<(), StoreError>;
    /// The subject's key and restriction, if it exists. In a write beside
    /// others (PostgreSQL) the subject's row is held until the transaction
    /// ends, so that a second write touching the subject waits for this one
    /// and then reads what it wrote: a write reads a subject's key before
    /// it reads or changes anything of theirs it decides on.
    fn subject(&mut self, id: &SubjectId) -> Result<Option<SubjectRow>, StoreError>;
    /// Every subject with its wrapped key, for re-wrapping under a new key;
    /// held as [`Tx::subject`] holds one.
    fn wrapped_keys(&mut self) -> Result<Vec<(SubjectId, Vec<u8>)>, StoreError>;
    /// Replaces a subject's wrapped key.
    fn set_wrapped_key(&mut self, id: &SubjectId, wrapped_key: &[u8]) -> Result<(), StoreError>;
    /// Returns whether the subject exists.
    fn set_restricted(&mut self, id: &SubjectId, restricted: bool) -> Result<bool, StoreError>;
    /// Of `subjects`, those whose processing is restricted, in one query: a
    /// list checks a page of people at once.
    fn restricted_among(&mut self, subjects: &[SubjectId]) -> Result<Vec<SubjectId>, StoreError>;
    /// Deletes the subject's key, index entries, records and fields.
    fn erase_subject(&mut self, id: &SubjectId) -> Result<Erased, StoreError>;
    /// Deletes records with their fields, events and index entries, set-wise
    /// (one statement per table, however many records).
    fn erase_records(&mut self, records: &[RecordId]) -> Result<Erased, StoreError>;
    /// Of `subjects`, deletes the keys (and index entries and relations) of
    /// those with no records left; returns how many.
    fn erase_subjects_without_records(&mut self, subjects: &[SubjectId]) -> Result<u64, StoreError>;
    /// How many records the subject still has.
    fn records_of(&mut self, subject: &SubjectId) -> Result<u64, StoreError>;

    /// Points `digest` of `kind` at the subject, replacing the subject's
    /// previous entry of that kind (a person has one BSN, and a corrected
    /// one must not leave the old one findable). Returns false, changing
    /// nothing, when `digest` points at another subject — also one a write
    /// beside this one has just given it.
    fn set_blind_index(&mut self, kind: &str, digest: &[u8], subject: &SubjectId) -> Result<bool, StoreError>;
    /// The subject `digest` of `kind` points at.
    fn find_blind_index(&mut self, kind: &str, digest: &[u8]) -> Result<Option<SubjectId>, StoreError>;
    /// Whether the subject has an entry of `kind`.
    fn has_blind_index(&mut self, kind: &str, subject: &SubjectId) -> Result<bool, StoreError>;

    /// Creates the record, or marks it changed at `at`.
    fn upsert_record(&mut self, record: &RecordId, subject: &SubjectId, processing: &str, at: jiff::Timestamp) -> Result<(), StoreError>;
    /// Sets fields of a record, each replacing the value it had, in one
    /// statement; a category at most once.
    fn put_fields(&mut self, record: &RecordId, fields: &[FieldPut<'_>]) -> Result<(), StoreError>;
    /// The version of each stored field of a record, and the blob it names if
    /// it names one, by category.
    fn field_versions(&mut self, record: &RecordId) -> Result<Vec<(String, u64, Option<BlobId>)>, StoreError>;
    /// Whether a field names the blob.
    fn blob_named(&mut self, blob: &BlobId) -> Result<bool, StoreError>;
    /// The subject's fields, of one processing or of all.
    fn fields(&mut self, subject: &SubjectId, processing: Option<&str>) -> Result<Vec<FieldRow>, StoreError>;
    /// The fields of one record.
    fn record_fields(&mut self, record: &RecordId) -> Result<Vec<FieldRow>, StoreError>;
    /// Up to `limit` records, of every subject and processing, in the order
    /// of their ids, from the first after `after`: a pass over all of them
    /// that can stop and go on.
    fn records_after(&mut self, after: Option<&RecordId>, limit: u64) -> Result<Vec<RecordRow>, StoreError>;

    /// Records that a subject's data went to a recipient.
    fn insert_disclosure(&mut self, disclosure: &DisclosureRow) -> Result<(), StoreError>;

    /// The record's subject, processing, reference and status; in a write
    /// beside others, read after its subject is held as [`Tx::subject`]
    /// holds it, so a status read here is the one the step builds on.
    fn record(&mut self, record: &RecordId) -> Result<Option<RecordRow>, StoreError>;
    /// Whether the record exists and is of `subject` and `processing`,
    /// which never change once it is written: no row is read back, and on
    /// PostgreSQL nothing is held.
    fn record_belongs(&mut self, record: &RecordId, subject: &SubjectId, processing: &str) -> Result<bool, StoreError>;
    /// Makes `record` belong to `parent`.
    fn set_parent(&mut self, record: &RecordId, parent: &RecordId) -> Result<(), StoreError>;
    /// The record `record` belongs to, if any.
    fn parent(&mut self, record: &RecordId) -> Result<Option<RecordId>, StoreError>;
    /// The records that belong to `parent`.
    fn children(&mut self, parent: &RecordId) -> Result<Vec<RecordRow>, StoreError>;
    /// The next number of a counter that only goes up, starting at 1.
    fn next_in_sequence(&mut self, name: &str) -> Result<u64, StoreError>;
    /// Gives the record its reference (a case number).
    fn set_reference(&mut self, record: &RecordId, reference: &str) -> Result<(), StoreError>;
    /// The record with this reference.
    fn find_reference(&mut self, reference: &str) -> Result<Option<RecordRow>, StoreError>;
    /// Adds an event to a record, and sets its status if `status` is given.
    fn add_event(&mut self, record: &RecordId, event: &EventRow, status: Option<&str>) -> Result<(), StoreError>;
    /// The record's events, oldest first.
    fn events(&mut self, record: &RecordId) -> Result<Vec<EventRow>, StoreError> {
        Ok(self.numbered_events(record)?.into_iter().map(|(_, event)| event).collect())
    }
    /// [`Tx::events`] with the number of each event's row, to replace its detail.
    fn numbered_events(&mut self, record: &RecordId) -> Result<Vec<(u64, EventRow)>, StoreError>;
    /// Replaces the sealed detail of the event numbered `id`.
    fn set_event_detail(&mut self, id: u64, detail: &[u8]) -> Result<(), StoreError>;
    /// Points `digest` of `kind` at a record of `processing`; a digest may
    /// point at several.
    fn add_record_index(&mut self, processing: &str, kind: &str, digest: &[u8], record: &RecordId) -> Result<(), StoreError>;
    /// The records of `processing` that `digest` of `kind` points at. In a
    /// write beside others (PostgreSQL), a key with no entry of
    /// `processing` is held, whichever processing asks, until the
    /// transaction ends: a second write looking it up waits, then finds
    /// what the first added under it — so "is this name taken? then take
    /// it" holds.
    fn find_record_index(&mut self, processing: &str, kind: &str, digest: &[u8]) -> Result<Vec<RecordRow>, StoreError>;
    /// Records of a processing, optionally of one status, most recently
    /// changed first.
    fn list_records(&mut self, processing: &str, status: Option<&str>, offset: u64, limit: u64) -> Result<Vec<RecordRow>, StoreError>;
    /// Like [`Tx::list_records`], only the records `reach` reaches.
    fn list_reached(&mut self, processing: &str, status: Option<&str>, reach: Reach<'_>, offset: u64, limit: u64) -> Result<Vec<RecordRow>, StoreError>;

    /// Stores a relation tuple (idempotent).
    fn relate(&mut self, object: &str, relation: &str, actor: &str) -> Result<(), StoreError>;
    /// Removes one; returns whether it was there.
    fn unrelate(&mut self, object: &str, relation: &str, actor: &str) -> Result<bool, StoreError>;
    /// Whether the relation tuple is there.
    fn related(&mut self, object: &str, relation: &str, actor: &str) -> Result<bool, StoreError>;

    /// Takes `chains` to append `count` rows to: holds their locks until
    /// the transaction ends, so that no other transaction appends to them
    /// meanwhile, then reads their heads (as [`Tx::audit_heads`]) and draws
    /// `count` numbers (`seq`) for the new rows, ascending — on PostgreSQL
    /// an advisory lock per chain, in ascending order, and all of it in one
    /// round trip. Taken after everything else the transaction holds, so
    /// that two writes cannot wait on each other in a cycle. A transaction
    /// that excludes every other write already (SQLite's one writer) takes
    /// no lock. Numbers are the last one plus one on SQLite, a sequence on
    /// PostgreSQL (unique, with gaps where a transaction rolled back).
    fn take_chains(&mut self, chains: &[Chain], count: u64) -> Result<TakenChains, StoreError>;
    /// Position and link of the last row of each of `chains` that has
    /// rows, in one statement.
    fn audit_heads(&mut self, chains: &[Chain]) -> Result<Vec<(Chain, u64, Hash)>, StoreError>;
    /// Appends rows, each with the pseudonym it is about kept beside it for
    /// lookups, and when it is to be forgotten (`None`: kept). A unit's
    /// entries go in as few statements as the database takes: on
    /// PostgreSQL each statement is a round trip made holding the chains' locks.
    fn append_audit(&mut self, rows: &[(Row, Option<jiff::Timestamp>)]) -> Result<(), StoreError>;
    /// The audit rows about a subject, in order.
    fn audit_of(&mut self, subject: &SubjectId) -> Result<Vec<Row>, StoreError>;
    /// The audit row at `seq`.
    fn audit_row(&mut self, seq: u64) -> Result<Option<Row>, StoreError>;
    /// The row of `chain` at `position`.
    fn audit_row_at(&mut self, chain: Chain, position: u64) -> Result<Option<Row>, StoreError>;
    /// The rows of `chain` after `position`, in order.
    fn audit_rows_after(&mut self, chain: Chain, position: u64) -> Result<Vec<Row>, StoreError>;
    /// Hands `visit` every row of the log, in the order written (by `seq`),
    /// as they are read: a pass over a log larger than memory.
    fn visit_audit(&mut self, visit: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError>;
    /// Leaf hashes of the `count` rows of `chain` from `position` (1-based), in order.
    fn audit_leaves(&mut self, chain: Chain, position: u64, count: u64) -> Result<Vec<Hash>, StoreError>;
    /// Up to `limit` rows not yet forgotten whose forget_at has come by
    /// `now`, earliest first; claimed as [`Tx::take_due_records`] claims
    /// its rows, so that nodes forgetting at once forget (and name in a
    /// record of forgetting) each entry once.
    fn audit_due(&mut self, now: jiff::Timestamp, limit: u64) -> Result<Vec<Row>, StoreError>;
    /// Sets when the row at `seq` is to be forgotten.
    fn set_audit_forget_at(&mut self, seq: u64, forget_at: Option<jiff::Timestamp>) -> Result<(), StoreError>;
    /// Empties the rows at `seqs` and takes them out of the per-person
    /// index; their hashes stay.
    fn forget_audit(&mut self, seqs: &[u64]) -> Result<(), StoreError>;
    /// The disclosures of a subject's data.
    fn disclosures_of(&mut self, subject: &SubjectId) -> Result<Vec<DisclosureRow>, StoreError>;
    /// Size, signed note and frontier bytes of the latest checkpoint of `chain`.
    fn last_checkpoint(&mut self, chain: Chain) -> Result<Option<(u64, String, Vec<u8>)>, StoreError>;
    /// The signed note of the latest checkpoint of every chain that has one.
    fn last_checkpoints(&mut self) -> Result<Vec<String>, StoreError>;
    /// The signed note of the checkpoint of `chain` at `size`, if there is one.
    fn checkpoint_at(&mut self, chain: Chain, size: u64) -> Result<Option<String>, StoreError>;
    /// Stores a signed checkpoint of `chain` at `size`, with the frontier to go on from.
    fn insert_checkpoint(&mut self, chain: Chain, size: u64, note: &str, frontier: &[u8]) -> Result<(), StoreError>;
    /// Keeps the roots of perfect subtrees of `chain`'s Merkle tree.
    fn insert_audit_nodes(&mut self, chain: Chain, nodes: &[Node]) -> Result<(), StoreError>;
    /// The root of the perfect subtree of `chain` at `level`, `index`, if kept.
    fn audit_node(&mut self, chain: Chain, level: u8, index: u64) -> Result<Option<Hash>, StoreError>;

    /// Records when a record is due (`None`: waiting, or kept for good) and
    /// whether it is held.
    fn set_due(&mut self, record: &RecordId, subject: &SubjectId, processing: &str, due_at: Option<jiff::Timestamp>, held: bool) -> Result<(), StoreError>;
    /// What [`Tx::set_due`] last recorded of a record: (due date, held).
    fn due_of(&mut self, record: &RecordId) -> Result<Option<(Option<jiff::Timestamp>, bool)>, StoreError>;
    /// Up to `limit` records due at `now` and not held, earliest first:
    /// (record, subject, processing, due).
    fn due_records(&mut self, now: jiff::Timestamp, limit: u64) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError>;
    /// Like [`Tx::due_records`], for the sweep that is about to delete them:
    /// the rows are claimed until this transaction ends, and a sweep in
    /// another transaction (another node) skips them, so no item is
    /// deleted twice and two sweeps share the work.
    /// Only records of `processings` are taken (the ones the register still has).
    /// The records that belong to one taken (and to those, and so on) come
    /// with it, beyond `limit`, unless held.
    fn take_due_records(
        &mut self,
        now: jiff::Timestamp,
        limit: u64,
        processings: &[&str],
    ) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError>;
    /// Per processing, the totals of its records' due dates, for reports:
    /// counted by the database, so a report costs no row per record.
    fn due_totals(&mut self) -> Result<Vec<DueTotals>, StoreError>;
    /// Sets when a held record's hold is to be reviewed.
    fn set_review(&mut self, record: &RecordId, review_at: Option<jiff::Timestamp>) -> Result<(), StoreError>;
    /// Held records whose review date has passed: (record, subject, processing, review).
    fn overdue_reviews(&mut self, now: jiff::Timestamp) -> Result<Vec<(RecordId, SubjectId, String, jiff::Timestamp)>, StoreError>;
    /// How many records each processing holds.
    fn record_counts(&mut self) -> Result<Vec<(String, u64)>, StoreError>;

    /// Stores a session under the hash of its token (replacing one there).
    fn put_session(&mut self, token_hash: &[u8], session: &SessionRow) -> Result<(), StoreError>;
    /// The session under `token_hash`, unless it expired by `now`.
    fn session(&mut self, token_hash: &[u8], now: jiff::Timestamp) -> Result<Option<SessionRow>, StoreError>;
    /// Ends the session under `token_hash`, if any.
    fn delete_session(&mut self, token_hash: &[u8]) -> Result<(), StoreError>;
    /// Removes and returns the session under `token_hash` in one statement,
    /// unless it expired by `now`: of two takers at once, one gets it.
    fn take_session(&mut self, token_hash: &[u8], now: jiff::Timestamp) -> Result<Option<SessionRow>, StoreError>;
    /// Ends every session of `account`, and every session of anyone that
    /// expired by `expired_before`; returns how many went.
    fn delete_sessions(&mut self, account: &str, expired_before: jiff::Timestamp) -> Result<u64, StoreError>;
    /// Failed sign-ins counted under `key` (a keyed digest of the name
    /// tried), with the time of the last one. In a write beside others the
    /// count is held until the transaction ends, so that attempts at once
    /// are counted one after another.
    fn login_failures(&mut self, key: &[u8]) -> Result<Option<(u32, jiff::Timestamp)>, StoreError>;
    /// Sets the count; 0 forgets the key.
    fn set_login_failures(&mut self, key: &[u8], failures: u32, at: jiff::Timestamp) -> Result<(), StoreError>;

    /// A setting's value, if set.
    fn setting(&mut self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets a setting, replacing its value.
    fn set_setting(&mut self, name: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Every setting whose name starts with `prefix`.
    fn settings_with_prefix(&mut self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}

/// What [`Tx::take_chains`] read and drew.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TakenChains {
    /// Position and link of the last row of each chain taken that has rows.
    pub heads: Vec<(Chain, u64, Hash)>,
    /// Numbers for the new rows, ascending.
    pub seqs: Vec<u64>,
}

/// The due dates of one processing's records, totalled ([`Tx::due_totals`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueTotals {
    /// The processing's id.
    pub processing: String,
    /// Records held whatever their term says.
    pub held: u64,
    /// Records not held that have a due date.
    pub dated: u64,
    /// The earliest due date of a record not held.
    pub next_due: Option<jiff::Timestamp>,
}

/// Something `Tx` can run against.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Runs `work` in one transaction: committed if it returns `Ok`, rolled
    /// back entirely otherwise. On SQLite the one writer group-commits it
    /// with other callers' work; on PostgreSQL it runs on a connection of
    /// its own, beside other writes of this node and of others, holding
    /// what it reads as [`Tx::subject`], [`Tx::record`],
    /// [`Tx::login_failures`] and [`Tx::take_chains`] say.
    fn transaction(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError>;

    /// Runs `work` in one read-only transaction on a connection of its own:
    /// it sees what was committed when it began, never waits for a write,
    /// and a write in it fails.
    fn read(&self, work: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError>;

    /// Visits every audit row from `seq` `from` on, in the order written
    /// (by `seq`: within a chain also by position), in one pass over the
    /// table.
    fn audit_rows(&self, from: u64, visit: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError>;

    /// Every checkpoint as (chain, size, signed note).
    fn checkpoints(&self) -> Result<Vec<(Chain, u64, String)>, StoreError>;

    /// Holds commits for a bulk load until [`Store::release`]: SQLite's one
    /// writer then commits `ops` transactions at a time, and a transaction
    /// returns before its commit (a failed commit fails the transaction
    /// that filled the group, a failed transaction fails itself, and
    /// either loses the others in the group), while reads see
    /// what the load wrote so far. Before each commit the blobs written to
    /// `blobs` are made durable, so the load writes them
    /// [`Durable::ByCommit`]. PostgreSQL commits each transaction on a
    /// connection of its own, so it has nothing to hold.
    ///
    /// Returns how the load's blobs are to be written: `ByCommit` when
    /// commits are held, `Now` when each transaction commits as it ends.
    fn hold_commits(&self, ops: usize, blobs: &BlobStore) -> Result<Durable, StoreError>;

    /// Commits what [`Store::hold_commits`] held, and commits each
    /// transaction before it returns again.
    fn release(&self) -> Result<(), StoreError>;
}
