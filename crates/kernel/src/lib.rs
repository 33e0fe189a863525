//! The kernel: the only door to personal data.
//!
//! Every write, read, disclosure and erasure names who acts (actor, role,
//! origin), under which processing of the register, about which subject and
//! which categories. The kernel decides from the compiled register (deny by
//! default), enforces the answer (minimisation on write, purpose binding on
//! read, the recipient's categories on disclosure, art. 18 restriction),
//! encrypts every value under the subject's key, and appends one audit entry
//! per decision — allowed or denied — in the same transaction as the change,
//! so the data and its log never disagree.
//!
//! Time comes in with each call ([`Access::now`]); the kernel never reads
//! the clock.

#![warn(missing_docs)]

mod appender;
mod decide;
mod forget;
mod open;
mod prove;
mod report;
mod retention;
mod rights;
mod sealing;
mod state;
mod unit;
mod values;
mod views;
mod witness;

use std::fmt;
use std::num::NonZeroUsize;

use grondslag_audit::{
    Chain, Checkpoint, CheckpointSigner, CheckpointVerifier, Combined, Entry, ForeignOperation, Frontier, Hash, Node, Outcome, PSEUDONYM_ID_TYPE, Row, SpanId,
    TraceId, Verification, Verifier, VerifyError,
};
use grondslag_crypto::{CryptoError, Keyring, SubjectKey};
use grondslag_register::{Action, Category, CategorySet, ProcessingId, RecipientId, Register, Role, Scope, ScopeSet};
use grondslag_store::{BlobStore, Erased, FieldPut, IdSequence, Reach, RecordRow, Store, TakenChains, Tx};
/// The ids callers pass in and get back.
pub use grondslag_store::{DisclosureRow, RecordId, SessionRow, StoreError, SubjectId};
use sealing::{find_version, next_version, open_event, seal_event, seal_field, stored_version};

pub use decide::{Allowed, Denial, Question, decide, reaches};
pub use open::{Change, DataDir, OpenError, RetentionChange, master_key_from_env};
pub use prove::{Consistency, Inclusion, prove_consistency, prove_inclusion};
pub use report::{Cell, Figures, MIN_GROUP, ReportSpec, Table, UNKNOWN, tabulate};
pub use retention::{Certificate, RetentionLine};
pub use rights::SubjectExport;
pub use state::{LoginCharge, LoginLock, ProcessingVersion};
pub use unit::Unit;
pub use values::{Value, hash_password, verify_password};
pub use views::View;
pub use witness::{Witness, WitnessError, witnessed_heads};

/// The origin (log name) in signed checkpoints.
pub const AUDIT_ORIGIN: &str = "grondslag.local/audit";

/// Settings named `retention:<processing>` hold the rule last applied.
const RETENTION_SETTING: &str = "retention:";

/// The setting holding the master key's check value.
const KEY_CHECK: &str = "master_key_check";
/// The setting that tells which key-encryption key wraps the subject keys
/// ([`grondslag_crypto::Keyring::kek_check`]); changed by a rotation.
pub const KEK_CHECK: &str = "key_encryption_key_check";

/// The actor of relations the organisation holds (`staff`).
const ORGANISATION: &str = "*";

/// Transactions a bulk load ([`Kernel::loading`]) commits at once on
/// SQLite unless told otherwise. A person of `generate` is some six, so a
/// commit holds about 1,400 people: an index page is written once for the
/// many of them whose keys fall on it, not once for each (256 at a time
/// wrote 2.8× the bytes and made 0.8× the people/s; BENCHMARKS.md, tenth
/// session), and a load killed mid-way loses no more than that.
pub const LOAD_GROUP: NonZeroUsize = match NonZeroUsize::new(8192) {
    Some(group) => group,
    None => NonZeroUsize::MIN,
};

/// How an audit entry's reason begins when its operation served a request
/// the register keeps from the person concerned (AVG art. 23); the
/// register's ground follows. Such entries stay out of the person's access
/// export ([`Unit::withhold_from_subject`]).
pub const WITHHELD: &str = "withheld from the person concerned under ";

/// Who acts, in which operation, at what time.
#[derive(Clone, Debug)]
pub struct Access {
    /// The acting person or process (an account name, never a BSN).
    pub actor: String,
    /// The actor's own file, when the actor is a person the store knows:
    /// what `self` means, and the end of every relation the actor is in.
    pub subject: Option<SubjectId>,
    /// When set, the operation reaches only data these scopes reach too,
    /// whatever the grant: what someone does under "my data" touches their
    /// own file only, even if their role reaches everyone's.
    pub within: Option<ScopeSet>,
    /// The role the actor acts in.
    pub role: Role,
    /// A person this access reaches as `represented` by a mandate the
    /// sign-in itself carried (DigiD Machtigen), for that session only,
    /// beside the authorisations the kernel stores (E13).
    pub mandate: Option<SubjectId>,
    /// Where the request came from: a command, an address.
    pub origin: String,
    /// One trace per operation, always our own; each subject touched gets its own span.
    pub trace: TraceId,
    /// The span of the operation as a whole, when it touches several
    /// subjects; that span has a line of its own.
    pub parent_span: Option<SpanId>,
    /// The caller's operation, when another application called us with
    /// W3C trace context (LDV's `foreign_operation`).
    pub foreign: Option<ForeignOperation>,
    /// The time the operation counts as done at.
    pub now: jiff::Timestamp,
}

impl Access {
    /// An access by `actor` in `role`, in a new trace, reaching whatever the grant reaches.
    pub fn new(actor: impl Into<String>, role: Role, origin: impl Into<String>, now: jiff::Timestamp) -> Access {
        Access {
            actor: actor.into(),
            subject: None,
            within: None,
            role,
            mandate: None,
            origin: origin.into(),
            trace: TraceId::random(),
            parent_span: None,
            foreign: None,
            now,
        }
    }

    /// The same access, reaching the actor's own file only.
    #[must_use]
    pub fn own_file_only(mut self) -> Access {
        self.within = Some(ScopeSet::EMPTY.with(Scope::Own));
        self
    }

    /// Whose data this access reaches at most: the limit when there is
    /// one, else the grant's scopes. Says whether it reaches everyone.
    pub(crate) fn reach_of(&self, allowed: Allowed) -> ScopeSet {
        self.within.unwrap_or(allowed.scopes)
    }

    /// The same access, by the person whose own file is `subject`.
    #[must_use]
    pub fn acting_as(mut self, subject: SubjectId) -> Access {
        self.subject = Some(subject);
        self
    }
}

/// Who may see an event's detail, and the event itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// Whoever may read this category of the record's processing.
    Readers(Category),
    /// Only the organisation: readers whose grant reaches everyone's data
    /// (scope `all`). The person concerned does not see the event at all,
    /// as while a legal-obligation request awaits its check (AVG art. 23).
    Staff,
}

impl Audience {
    const STAFF: &'static str = "staff";

    fn name(self) -> &'static str {
        match self {
            Audience::Readers(category) => category.name(),
            Audience::Staff => Audience::STAFF,
        }
    }

    /// Whether a reader with `allowed` sees an event for `audience` (as
    /// stored), and its detail: an event of the organisation's stays out
    /// altogether; of a category only its detail, like a field.
    fn admits(audience: Option<&str>, allowed: Allowed) -> (bool, bool) {
        match audience {
            None => (true, true),
            Some(Audience::STAFF) => {
                let staff = allowed.scopes.contains(Scope::All);
                (staff, staff)
            }
            Some(name) => (true, Category::from_name(name).is_some_and(|c| allowed.categories.contains(c))),
        }
    }
}

/// The detail of an event, sealed under the subject's key, and who may see it.
#[derive(Clone, Copy, Debug)]
pub struct Detail<'a> {
    /// The detail, before sealing.
    pub text: &'a str,
    /// Who may see it.
    pub audience: Audience,
}

impl<'a> Detail<'a> {
    /// A detail for readers of `category`, as a field of that category would be.
    pub fn to(category: Category, text: &'a str) -> Detail<'a> {
        Detail { text, audience: Audience::Readers(category) }
    }

    /// A detail for the organisation only; see [`Audience::Staff`].
    pub fn staff(text: &'a str) -> Detail<'a> {
        Detail { text, audience: Audience::Staff }
    }
}

/// Why the kernel refused or failed an access.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum KernelError {
    #[error("unknown processing `{0}`; `grondslag register render` lists the processings")]
    UnknownProcessing(String),
    #[error("unknown recipient `{0}`")]
    UnknownRecipient(String),
    #[error("denied under `{processing}`: {denial}")]
    Denied { processing: String, denial: Denial },
    #[error("refused under `{processing}`: the record is under a hold ({reason}); it stays until the hold is released")]
    Held { processing: String, reason: String },
    #[error("this file already holds another BSN; a BSN is corrected only through a rectification request, and nobody files under someone else's")]
    OtherBsn,
    #[error("{category}: {source}")]
    Invalid { category: Category, source: grondslag_values::InvalidValue },
    #[error("{0}: a stored value is not a number with at most two decimals, so it cannot be summed in a report; correct the record")]
    NotANumber(Category),
    #[error("{0} is given twice in one write")]
    DuplicateCategory(Category),
    #[error("{category} must be given as {expected}")]
    WrongValueKind { category: Category, expected: &'static str },
    #[error("no subject {0}")]
    UnknownSubject(SubjectId),
    #[error("`{0}` is not a relation between people that can be stored; use represented, assigned, coached, managed, own_calls or staff")]
    NoRelation(Scope),
    #[error("record {record} does not belong to this subject and processing")]
    RecordMismatch { record: RecordId },
    #[error("a subject with this BSN already exists; look it up instead of creating a new one")]
    DuplicateBsn,
    #[error("this data directory was written with another master key; give the original key (GRONDSLAG_MASTER_KEY or master.key)")]
    WrongMasterKey,
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    #[error("encryption failed: {0}")]
    Crypto(#[from] CryptoError),
    #[error("record {record}: {what} does not open where it is stored: the row was altered, moved or rolled back; restore the record from a backup")]
    Tampered { record: RecordId, what: String },
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    #[error("audit log does not verify: {0}")]
    Audit(AuditFaults),
    #[error("an audit entry in the store cannot be read: {0}")]
    AuditEntry(String),
    #[error("a kernel call was made through the kernel inside a unit of work; make it on the unit, so that it is part of the same transaction")]
    Nested,
    #[error("a prepared file was written a second time; prepare the fields again for each write, so that no two records name one file")]
    StagedTwice,
    #[error(
        "`{event}` is dated {happened}, after the moment it is registered ({registered}); nothing is registered before it happens — give a moment of receipt in the past"
    )]
    EventInFuture { event: String, happened: jiff::Timestamp, registered: jiff::Timestamp },
    #[error(transparent)]
    Witness(#[from] WitnessError),
    #[error("audit proof: {0}")]
    Proof(String),
    #[error("{0} is running already; try again when it has finished")]
    AlreadyRunning(&'static str),
}

/// Where the audit log fails verification: the first fault of each chain
/// that has one, in chain order.
#[derive(Debug, PartialEq, Eq)]
pub struct AuditFaults(pub Vec<(Chain, VerifyError)>);

impl fmt::Display for AuditFaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (chain, fault)) in self.0.iter().enumerate() {
            write!(f, "{}{chain}: {fault}", if i == 0 { "" } else { "; " })?;
        }
        Ok(())
    }
}

impl KernelError {
    /// The audit log's `chain` fails with `fault`.
    pub fn audit(chain: Chain, fault: VerifyError) -> KernelError {
        KernelError::Audit(AuditFaults(vec![(chain, fault)]))
    }
}

/// What a page says when the fault is ours, not the visitor's.
pub const FAULT_NL: &str = "Er ging iets mis aan onze kant. Probeer het later opnieuw; blijft het misgaan, bel dan 0800 4444 111.";

impl KernelError {
    /// The error as a page says it, in plain Dutch: what is wrong and what
    /// to do. A refusal by the register names the processing by its name in
    /// `register`; a fault of ours says only that it is ours.
    pub fn explain_nl(&self, register: &Register) -> String {
        match self {
            KernelError::UnknownProcessing(_) => "Deze verwerking staat niet in het register, dus hier kan niets mee worden gedaan.".to_string(),
            KernelError::UnknownRecipient(recipient) => {
                format!("Ontvanger ‘{recipient}’ staat niet in het register; aan deze ontvanger wordt niets verstrekt.")
            }
            KernelError::Denied { processing, denial } => {
                let name = register.processing_id(processing).map_or(processing.as_str(), |id| register.processing(id).name.as_str());
                denial.explain_nl(name)
            }
            KernelError::Held { .. } => {
                "Deze gegevens worden bewaard zolang een onderzoek of procedure loopt; ze kunnen pas worden verwijderd als dat is afgerond.".to_string()
            }
            KernelError::OtherBsn => "In dit dossier staat al een ander BSN. Een BSN wordt alleen veranderd na een verzoek om correctie; \
                                      je kunt niets indienen onder het BSN van een ander."
                .to_string(),
            KernelError::Invalid { source, .. } => source.explain_nl(),
            KernelError::NotANumber(category) => {
                format!(
                    "‘{}’: een opgeslagen waarde is geen bedrag of getal, dus het overzicht kan niet worden opgeteld. Verbeter eerst dat gegeven.",
                    category.label_nl()
                )
            }
            KernelError::DuplicateCategory(category) => format!("‘{}’ is twee keer ingevuld. Vul het één keer in.", category.label_nl()),
            KernelError::WrongValueKind { category, .. } => {
                format!("‘{}’ is in de verkeerde vorm gegeven (tekst in plaats van een bestand, of andersom).", category.label_nl())
            }
            KernelError::UnknownSubject(_) => "Deze persoon staat niet (meer) in onze administratie.".to_string(),
            KernelError::NoRelation(_) => "Deze relatie tussen mensen kan niet worden vastgelegd.".to_string(),
            KernelError::RecordMismatch { .. } => "Dit gegeven hoort niet bij deze persoon of deze verwerking.".to_string(),
            KernelError::DuplicateBsn => {
                "Er staat al iemand met dit BSN in de administratie. Zoek die persoon op in plaats van een nieuwe aan te maken.".to_string()
            }
            KernelError::AlreadyRunning(_) => "Het logboek wordt op dit moment al gecontroleerd. Probeer het over een minuut opnieuw.".to_string(),
            KernelError::Store(StoreError::Conflict { .. }) => {
                "Op hetzelfde moment werkte iemand anders aan dezelfde gegevens. Er is niets opgeslagen; probeer het nog eens.".to_string()
            }
            KernelError::EventInFuture { happened, registered, .. } => format!(
                "Het moment van ontvangst ({}) ligt na het moment van vastleggen ({}). Iets wordt pas vastgelegd als het gebeurd is: geef een moment in het verleden.",
                grondslag_values::dutch::moment(*happened),
                grondslag_values::dutch::moment(*registered)
            ),
            KernelError::WrongMasterKey
            | KernelError::Store(_)
            | KernelError::Crypto(_)
            | KernelError::Tampered { .. }
            | KernelError::PasswordHash(_)
            | KernelError::Audit(_)
            | KernelError::AuditEntry(_)
            | KernelError::Nested
            | KernelError::StagedTwice
            | KernelError::Witness(_)
            | KernelError::Proof(_) => FAULT_NL.to_string(),
        }
    }

    /// The kind of fault, when the error is one of ours (the store, sealing,
    /// the audit log) rather than a refusal or an invalid request: what a
    /// failed operation's audit line says, without the error's text.
    pub fn fault(&self) -> Option<&'static str> {
        Some(match self {
            KernelError::Store(StoreError::Aborted) => return None,
            KernelError::Store(StoreError::Sqlite { context, .. } | StoreError::Postgres { context, .. }) => *context,
            KernelError::Store(StoreError::Commit(_)) => "committing",
            KernelError::Store(StoreError::Conflict { .. }) => "a write at the same moment",
            KernelError::Store(_) => "storage",
            KernelError::Crypto(_) => "encryption",
            KernelError::Tampered { .. } => "integrity",
            KernelError::PasswordHash(_) => "password hashing",
            KernelError::Audit(_) | KernelError::AuditEntry(_) => "the audit log",
            KernelError::StagedTwice => "a prepared file written twice",
            _ => return None,
        })
    }
}

/// A record and the subject it belongs to: what a write creates or changes,
/// and what record-level operations take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRef {
    /// The person the record is about.
    pub subject: SubjectId,
    /// The record within that subject's file.
    pub record: RecordId,
}

impl fmt::Display for RecordRef {
    /// `subject.record`: a handle for a record on the command line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.subject, self.record)
    }
}

impl std::str::FromStr for RecordRef {
    type Err = grondslag_store::InvalidId;
    fn from_str(text: &str) -> Result<RecordRef, Self::Err> {
        let (subject, record) = text.split_once('.').unwrap_or((text, ""));
        Ok(RecordRef { subject: SubjectId::parse(subject)?, record: RecordId::parse(record)? })
    }
}

/// A record as a list shows it: its status, and its reference (case number)
/// when the role may read case numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordSummary {
    /// Which record.
    pub record: RecordRef,
    /// The processing it falls under, by register id.
    pub processing: String,
    /// The case number, when the role may read it.
    pub reference: Option<String>,
    /// Where the record stands, e.g. `"submitted"`.
    pub status: Option<String>,
    /// When it last changed.
    pub updated_at: jiff::Timestamp,
}

impl RecordSummary {
    fn from_row(row: RecordRow, shows_reference: bool) -> RecordSummary {
        RecordSummary {
            record: RecordRef { subject: row.subject, record: row.record },
            processing: row.processing,
            reference: row.reference.filter(|_| shows_reference),
            status: row.status,
            updated_at: row.updated_at,
        }
    }
}

/// A dated event of a record, its detail opened.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordEvent {
    /// What happened, e.g. a status change.
    pub event: String,
    /// When it happened.
    pub at: jiff::Timestamp,
    /// Who did it.
    pub actor: String,
    /// The opened detail, when the reader may see it.
    pub detail: Option<String>,
}

impl fmt::Debug for RecordEvent {
    /// The detail stays out of debug output, which may end up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordEvent").field("event", &self.event).field("at", &self.at).field("actor", &self.actor).finish()
    }
}

/// One record as a read or disclosure returns it: only the allowed fields.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordView {
    /// Which record of the subject.
    pub record: RecordId,
    /// The processing it falls under, by register id.
    pub processing: String,
    /// The allowed fields, by category.
    pub fields: Vec<(Category, Value)>,
}

impl fmt::Debug for RecordView {
    /// Values stay out of debug output, which may end up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordView")
            .field("record", &self.record)
            .field("processing", &self.processing)
            .field("categories", &self.fields.iter().map(|(c, _)| c.name()).collect::<Vec<_>>())
            .finish()
    }
}

impl RecordView {
    /// The value of `category`, if it was read.
    pub fn get(&self, category: Category) -> Option<&Value> {
        self.fields.iter().find(|(c, _)| *c == category).map(|(_, v)| v)
    }
}

/// The one door to personal data: every read, write, disclosure and erasure is decided against the register, sealed or opened, and audited here.
#[derive(Debug)]
pub struct Kernel {
    register: Register,
    store: Box<dyn Store>,
    blobs: BlobStore,
    keys: Keyring,
    signer: CheckpointSigner,
    /// Where signed checkpoints are also kept, outside the database.
    witness: Option<Witness>,
    /// What signing has read of the witness so far.
    witnessed: std::sync::Mutex<witness::Witnessed>,
    /// Each chain's tail as this process last appended to it: the walk of
    /// its rows since its last checkpoint, so that the next checkpoint is
    /// signed over the leaves the kernel hashed as it made the rows, without
    /// reading them back (BENCHMARKS.md, twentieth session). Used only
    /// while in step with the store (see `Kernel::tails_in_step`).
    tails: std::sync::Mutex<std::collections::BTreeMap<Chain, Verifier>>,
    /// Checkpoint notes whose signatures were checked, by their text (see
    /// [`Kernel::verified_note`]).
    verified_notes: std::sync::Mutex<std::collections::HashMap<String, Checkpoint>>,
    checkpoint_every: u64,
    recomputed: Vec<String>,
    /// The versioned URI of each processing ([`ProcessingId`] indexes it),
    /// numbered by the archive when the kernel opened.
    uris: Vec<String>,
    /// Held while the audit log is verified: one verification at a time.
    verifying: std::sync::Mutex<()>,
    /// While a bulk load runs ([`Kernel::loading`]), what it does outside
    /// the database that must wait until its transactions have committed.
    load: std::sync::Mutex<Option<Load>>,
    /// Where audit entries written after their unit wait to be appended
    /// together.
    appender: appender::Appender,
    /// New subjects' pseudonyms and records' ids, made in order (see
    /// `grondslag_store::IdSequence`).
    ids: IdSequence,
}

/// A checkpoint that an append brought due: `chain` reached `size`.
/// `made` is what to sign when the kernel's tail of the chain was in step
/// with the store; without it the rows are read back.
struct Due {
    chain: Chain,
    size: u64,
    made: Option<(Frontier, Vec<Node>)>,
}

/// What a bulk load keeps until it ends. Its transactions return before
/// they commit, so what an operation does outside the database once it has
/// committed — witnessing the checkpoints it signed, removing the blobs it
/// erased, closing the journal of the blobs it touched — waits for the
/// load's end, when everything it wrote has committed.
#[derive(Debug)]
struct Load {
    /// How the load's blobs are written: durable by the commit of their
    /// group when the store holds commits ([`Store::hold_commits`]).
    blobs: grondslag_store::Durable,
    /// One journal naming every blob the load writes or erases: if the
    /// load is killed, the next start removes those no row names, as for
    /// any operation's journal.
    journal: Option<grondslag_store::Journal>,
    /// Blobs whose erasure the load wrote.
    erased: Vec<grondslag_store::BlobId>,
    /// Checkpoints the load signed, to be witnessed.
    signed: Vec<String>,
}

/// Merkle subtrees of `2^AUDIT_NODE_LEVEL` leaves and more are kept as
/// checkpoints are signed; a proof reads at most two blocks of leaves
/// below that.
pub const AUDIT_NODE_LEVEL: u8 = 8;

/// Everything an audit entry says besides who acts and when.
struct Event<'a> {
    processing: ProcessingId,
    action: &'a str,
    object: String,
    subject: Option<&'a SubjectId>,
    categories: CategorySet,
    outcome: Outcome,
    reason: String,
}

/// What an operation asks the kernel, besides who asks.
struct Ask<'a> {
    action: Action,
    /// The audit entry's action name.
    name: &'a str,
    object: String,
    categories: CategorySet,
    recipient: Option<RecipientId>,
    legal_check: bool,
    /// Refuse when the record (or, without one, any record of the subject
    /// under the processing) is under a hold: every erasure asks this.
    unless_held: bool,
    /// A filing that gives the record a status may only give its first:
    /// moving it on is `advance`.
    first_status: bool,
}

impl<'a> Ask<'a> {
    fn new(action: Action, name: &'a str, object: String) -> Ask<'a> {
        Ask { action, name, object, categories: CategorySet::EMPTY, recipient: None, legal_check: false, unless_held: false, first_status: false }
    }

    fn unless_held(mut self) -> Ask<'a> {
        self.unless_held = true;
        self
    }

    fn categories(mut self, categories: CategorySet) -> Ask<'a> {
        self.categories = categories;
        self
    }
}

/// Erases a record with the records that belong to it (theirs first); a
/// subject left without records loses its key and index entries too.
/// Returns what went, and a note when the key went.
fn erase_one(tx: &mut dyn Tx, record: &RecordRef) -> Result<(Erased, &'static str), KernelError> {
    let mut erased = Erased::default();
    for child in tx.children(&record.record)? {
        erased.add(erase_one(tx, &RecordRef { subject: child.subject, record: child.record })?.0);
    }
    erased.add(tx.erase_records(std::slice::from_ref(&record.record))?);
    if tx.records_of(&record.subject)? > 0 {
        return Ok((erased, ""));
    }
    erased.blobs.extend(tx.erase_subject(&record.subject)?.blobs);
    Ok((erased, " and the subject key (no records left)"))
}

/// The record event that keeps a disclosure's legal-obligation check
/// (E15.LEGAL), sealed, for staff.
pub const LEGAL_OBLIGATION_CHECKED: &str = "legal_obligation_checked";

fn text(bytes: Vec<u8>) -> Result<String, KernelError> {
    String::from_utf8(bytes).map_err(|_| KernelError::Crypto(CryptoError::Open))
}

impl Kernel {
    /// Assembles a kernel. The first kernel on a store records a check value
    /// of its master key; a later one with another key is refused, before it
    /// could write data nobody can read back.
    /// Every processing's current version is archived and signed into the
    /// audit log at `now` if it is new (see [`Kernel::processing_versions`]).
    pub fn new(
        register: Register,
        store: Box<dyn Store>,
        blobs: BlobStore,
        keys: Keyring,
        signer: CheckpointSigner,
        now: jiff::Timestamp,
    ) -> Result<Kernel, KernelError> {
        let check = keys.blind_index("key-check", "grondslag master key");
        let kek_check = keys.kek_check();
        let mut matches = true;
        store.transaction(&mut |tx| {
            for (name, check) in [(KEY_CHECK, &check[..]), (KEK_CHECK, &kek_check[..])] {
                match tx.setting(name)? {
                    Some(stored) => matches &= stored == check,
                    None => tx.set_setting(name, check)?,
                }
            }
            Ok(())
        })?;
        if !matches {
            return Err(KernelError::WrongMasterKey);
        }
        let mut kernel = Kernel {
            register,
            store,
            blobs,
            keys,
            signer,
            witness: None,
            witnessed: std::sync::Mutex::default(),
            tails: std::sync::Mutex::default(),
            verified_notes: std::sync::Mutex::default(),
            checkpoint_every: 1000,
            recomputed: Vec::new(),
            uris: Vec::new(),
            verifying: std::sync::Mutex::new(()),
            load: std::sync::Mutex::new(None),
            appender: appender::Appender::default(),
            ids: IdSequence::new(),
        };
        kernel.reseal()?;
        kernel.uris = kernel.archive_versions(now)?;
        let kernel = kernel.apply_retention_changes()?;
        kernel.recover_blobs()?;
        Ok(kernel)
    }

    /// Sign a checkpoint every `n` audit entries (at least 1).
    #[must_use]
    pub fn with_checkpoint_every(mut self, n: u64) -> Kernel {
        self.checkpoint_every = n.max(1);
        self
    }

    /// Also keep every signed checkpoint in `witness`, and refuse to sign
    /// one over a log shorter than what it witnessed.
    #[must_use]
    pub fn with_witness(mut self, witness: Witness) -> Kernel {
        self.witness = Some(witness);
        self
    }

    /// The compiled register the kernel enforces.
    pub fn register(&self) -> &Register {
        &self.register
    }

    /// The processing by its register id; unknown ids are an error, not a denial.
    pub fn processing(&self, id: &str) -> Result<ProcessingId, KernelError> {
        self.register.processing_id(id).ok_or_else(|| KernelError::UnknownProcessing(id.to_string()))
    }

    /// The versioned URI of a processing activity, as audit entries name it
    /// (LDV's `dpl.core.processing_activity_id`): the register's base URI,
    /// the processing's id and the number of its current version.
    pub fn processing_uri(&self, id: ProcessingId) -> &str {
        self.uris.get(id.index()).map_or("", String::as_str)
    }

    /// The recipient by its register id.
    pub fn recipient(&self, id: &str) -> Result<RecipientId, KernelError> {
        self.register.recipient_id(id).ok_or_else(|| KernelError::UnknownRecipient(id.to_string()))
    }

    /// Runs `work`, a bulk load that stops at its first error, with the
    /// store's commits held (see [`Store::hold_commits`]): on SQLite its
    /// transactions are committed `commit_every` at a time ([`LOAD_GROUP`]
    /// unless there is reason to lose less if it is killed). A load that
    /// stops at a failure loses the operations of the failed one's group,
    /// as one killed then would lose its group not yet committed; the rest
    /// of what `work` wrote is committed before this returns, every
    /// transaction whole, with its audit entries.
    ///
    /// What the load's operations do outside the database waits for its
    /// end (see `Load`): if all of it committed, its checkpoints are
    /// witnessed and the blobs it erased removed; if not, what it wrote
    /// outside the database is settled as after a killed process (the
    /// blobs no row names go), and its checkpoints are not witnessed.
    pub fn loading<T, E: From<KernelError>>(&self, commit_every: NonZeroUsize, work: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let held = self.store.hold_commits(commit_every.get(), &self.blobs).map_err(KernelError::from);
        let result = held.map_err(E::from).and_then(|blobs| {
            *self.loading_state() = Some(Load { blobs, journal: None, erased: Vec::new(), signed: Vec::new() });
            work()
        });
        let released = self.store.release().map_err(KernelError::from);
        let load = self.loading_state().take();
        let settled = match load {
            Some(load) if result.is_ok() && released.is_ok() => {
                self.delete_blobs(&load.erased);
                self.witness(&load.signed);
                load.journal.map_or(Ok(()), |journal| journal.close().map_err(KernelError::from))
            }
            unsettled => {
                // Its journal's lock goes with it, so recovery takes it as abandoned.
                drop(unsettled);
                self.recover_blobs()
            }
        };
        let value = result?;
        released?;
        settled?;
        Ok(value)
    }

    fn loading_state(&self) -> std::sync::MutexGuard<'_, Option<Load>> {
        self.load.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Signs a checkpoint over every chain's head now, and a combined one
    /// over them all (on shutdown, and before a verification that should
    /// cover the latest entries). Returns the entries in the log.
    pub fn seal(&self) -> Result<u64, KernelError> {
        self.unit(|unit| {
            let heads = unit.tx.audit_heads(&every_chain())?;
            let due = heads.iter().map(|(chain, position, _)| Due { chain: *chain, size: *position, made: None }).collect();
            self.sign_checkpoints(unit.tx, due)?;
            Ok(heads.iter().map(|(_, position, _)| position).sum())
        })
    }

    /// Re-wraps every subject's key under `next` (a keyring of a new master
    /// key, with the same blind-index key), in one transaction, and records
    /// `next` as the key in force: until it commits the old key opens
    /// everything, after it only the new one. Returns the subjects re-wrapped.
    /// A copy of the database made before (a backup, a WAL file) holds the
    /// keys wrapped under the old key only: once that key is destroyed, such
    /// a copy cannot be read.
    /// The rotation is an entry of the audit log's own processing, by
    /// `access`: who changed the key that every copy's readability hangs on.
    pub fn rotate_keys(&self, access: &Access, next: &Keyring) -> Result<u64, KernelError> {
        let log = self.processing(grondslag_register::AUDIT_LOG)?;
        self.unit(|unit| {
            let wrapped = unit.tx.wrapped_keys()?;
            for (subject, key) in &wrapped {
                let key = self.keys.unwrap(key, subject.as_str()).map_err(|_| StoreError::Corrupt("subjects.wrapped_key"))?;
                let rewrapped = next.wrap(&key, subject.as_str()).map_err(|_| StoreError::Corrupt("subjects.wrapped_key"))?;
                unit.tx.set_wrapped_key(subject, &rewrapped)?;
            }
            unit.tx.set_setting(KEK_CHECK, &next.kek_check())?;
            let reason = format!("re-wrapped {} subject keys under a new master key", wrapped.len());
            unit.audit(access, Event { reason, ..Event::allowed(log, "rotate_master_key", String::new(), None, CategorySet::EMPTY) });
            Ok(wrapped.len() as u64)
        })
    }

    /// Seals the log, then checks all of it: chain, hashes, the signed
    /// checkpoints, and the latest witnessed checkpoint. One at a time: a
    /// second call while one runs is refused rather than read the whole log
    /// again (a request that timed out does not stop its verification).
    pub fn verify_audit(&self, mut progress: impl FnMut(u64)) -> Result<Verification, KernelError> {
        let _only = match self.verifying.try_lock() {
            Ok(held) => held,
            Err(std::sync::TryLockError::Poisoned(held)) => held.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Err(KernelError::AlreadyRunning("an audit verification")),
        };
        self.seal()?;
        let verifier = self.signer.verifier();
        let trusted = match &self.witness {
            Some(witness) => witness.latest(&verifier)?,
            None => None,
        };
        verify_store(self.store.as_ref(), &verifier, trusted.as_ref(), &mut progress)
    }
}

impl Unit<'_> {
    /// Stores `fields` under `processing` for `subject` (a new subject when
    /// `None`), in `record` (a new record when `None`). A new record is
    /// filed (`file`); changing one that exists is `write`.
    pub fn write(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        subject: Option<&SubjectId>,
        record: Option<&RecordId>,
        fields: &[(Category, Value)],
    ) -> Result<RecordRef, KernelError> {
        self.write_prepared(access, processing, subject, record, &self.kernel.prepare(fields)?)
    }

    /// [`Unit::write`] of fields prepared before the unit began
    /// ([`Kernel::prepare`]): a unit that stores a password or a file hashes
    /// or seals it first, so that SQLite's one writer does not wait for it.
    pub fn write_prepared(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        subject: Option<&SubjectId>,
        record: Option<&RecordId>,
        Fields { categories, prepared }: &Fields,
    ) -> Result<RecordRef, KernelError> {
        self.confirm_earlier()?;
        let (kernel, categories) = (self.kernel, *categories);
        let processing_name = &kernel.register.processing(processing).id;
        let subject = subject.cloned();
        let is_new = subject.is_none();
        let subject_id = subject.unwrap_or_else(|| kernel.ids.subject());
        let record_id = record.cloned().unwrap_or_else(|| kernel.ids.record());

        let existing = if is_new { None } else { Some(kernel.subject_key(self.tx, &subject_id)?) };
        let restricted = existing.as_ref().is_some_and(|(_, restricted)| *restricted);
        let stored = match record {
            Some(record) => self.tx.record(record)?,
            None => None,
        };
        let changes = stored.is_some();
        let action = if changes { Action::Write } else { Action::File };
        let question = kernel.question(access.role, action, processing, categories, restricted);
        let decided = match decide(&kernel.register, question) {
            Ok(allowed) => kernel.reach(self.tx, access, allowed, (!is_new).then_some(&subject_id), record.filter(|_| changes))?,
            Err(denial) => Err(denial),
        };
        if let Err(denial) = decided {
            // A denied write creates no subject, so names none.
            let event = Event::denied(processing, action.name(), record_id.to_string(), (!is_new).then_some(&subject_id), categories, &denial);
            return self.refuse(access, event, kernel.denied(processing, denial));
        }
        let object = record_id.to_string();
        let named = (!is_new).then(|| subject_id.clone());
        let failed = || Event::failed(processing, "write", object.clone(), named.as_ref(), categories);
        let stored_write = (|| {
            let key = match existing {
                Some((key, _)) => key,
                None => {
                    let key = SubjectKey::generate();
                    self.tx.insert_subject(&subject_id, &kernel.keys.wrap(&key, subject_id.as_str())?, access.now)?;
                    key
                }
            };
            if let Some(row) = &stored
                && (row.subject != subject_id || &row.processing != processing_name)
            {
                return Err(KernelError::RecordMismatch { record: row.record.clone() });
            }
            self.tx.upsert_record(&record_id, &subject_id, processing_name, access.now)?;
            let written = RecordRef { subject: subject_id, record: record_id };
            // A new record has no fields yet; a changed one's are read once.
            let stored = if changes { self.tx.field_versions(&written.record)? } else { Vec::new() };
            let version_of = |category: Category| next_version(find_version(&stored, category.name()));
            let mut sealed = Vec::with_capacity(prepared.len());
            for (category, value) in prepared {
                match value {
                    values::Prepared::Inline(text) => {
                        if *category == Category::Bsn {
                            kernel.index_bsn(self.tx, &written.subject, text, false)?;
                        }
                        let (version, _) = version_of(*category);
                        sealed.push((category.name(), version, seal_field(&key, &written, category.name(), version, text.as_bytes())?));
                    }
                    // The file it replaces goes once this unit has committed.
                    values::Prepared::Blob(staged) => self.put_blob(&key, &written, category.name(), version_of(*category), staged)?,
                }
            }
            let fields: Vec<FieldPut<'_>> =
                sealed.iter().map(|(category, version, value)| FieldPut { category, value, blob: None, version: *version }).collect();
            self.tx.put_fields(&written.record, &fields)?;
            self.confirm(access, failed)?;
            self.audit(access, Event::allowed(processing, "write", written.record.to_string(), Some(&written.subject), categories));
            Ok(written)
        })();
        stored_write.map_err(|e| self.failed(access, failed(), e))
    }

    /// Returns the subject's records under `processing`, with only the
    /// categories this role may read there (asked-for ∩ allowed).
    pub fn read(&mut self, access: &Access, processing: ProcessingId, subject: &SubjectId, wanted: CategorySet) -> Result<Vec<RecordView>, KernelError> {
        let kernel = self.kernel;
        let ask = Ask::new(Action::Read, "read", subject.to_string()).categories(wanted);
        self.on_subject(access, processing, subject, None, ask, |tx, key, allowed| {
            Ok((kernel.open_fields(tx, key, subject, Some(processing), allowed.categories, None)?, None))
        })
    }

    /// Reads one record of the subject, with only the categories this role
    /// may read under `processing`.
    pub fn read_record(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        record: &RecordRef,
        wanted: CategorySet,
    ) -> Result<Option<RecordView>, KernelError> {
        let kernel = self.kernel;
        let ask = Ask::new(Action::Read, "read", record.record.to_string()).categories(wanted);
        self.on_record(access, processing, record, ask, |tx, key, allowed| {
            Ok((kernel.open_fields(tx, key, &record.subject, Some(processing), allowed.categories, Some(&record.record))?.pop(), None))
        })
    }

    /// Hands the subject's data under `processing` to `recipient`: exactly the
    /// categories the register gives that recipient, and the disclosure is
    /// recorded. `legal_check` names the recorded check for recipients served
    /// only by legal obligation (E15.LEGAL).
    pub fn disclose(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        subject: &SubjectId,
        recipient: RecipientId,
        legal_check: Option<&str>,
    ) -> Result<Vec<RecordView>, KernelError> {
        self.disclosure(access, processing, subject, None, recipient, legal_check)
    }

    /// [`Unit::disclose`] of one record only (one case of the subject).
    pub fn disclose_record(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        record: &RecordRef,
        recipient: RecipientId,
        legal_check: Option<&str>,
    ) -> Result<Option<RecordView>, KernelError> {
        Ok(self.disclosure(access, processing, &record.subject, Some(&record.record), recipient, legal_check)?.pop())
    }

    fn disclosure(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        subject: &SubjectId,
        only: Option<&RecordId>,
        recipient: RecipientId,
        legal_check: Option<&str>,
    ) -> Result<Vec<RecordView>, KernelError> {
        let kernel = self.kernel;
        let recipient_name = &kernel.register.recipient(recipient).id;
        let mut ask = Ask::new(Action::Disclose, "disclose", format!("recipient:{recipient_name}"));
        ask.recipient = Some(recipient);
        ask.legal_check = legal_check.is_some();
        self.on_subject(access, processing, subject, only, ask, |tx, key, allowed| {
            let shared = allowed.categories;
            if let Some(record) = only {
                kernel.check_belongs(tx, processing, &RecordRef { subject: subject.clone(), record: record.clone() })?;
            }
            let views = kernel.open_fields(tx, key, subject, Some(processing), shared, only)?;
            // What was typed as the check may name people or a case file:
            // it is sealed with each record it concerns (erased with it),
            // not written into the permanent log.
            if let Some(check) = legal_check {
                for view in &views {
                    let record = RecordRef { subject: subject.clone(), record: view.record.clone() };
                    let check = format!("{recipient_name}: {check}");
                    let row = seal_event(key, &record, LEGAL_OBLIGATION_CHECKED, (access.now, &access.actor), Some(Detail::staff(&check)))?;
                    tx.add_event(&record.record, &row, None)?;
                }
            }
            tx.insert_disclosure(&DisclosureRow {
                subject: subject.clone(),
                processing: kernel.register.processing(processing).id.clone(),
                recipient: recipient_name.clone(),
                categories: shared.to_string(),
                actor: access.actor.clone(),
                trace_id: access.trace.to_string(),
                at: access.now,
            })?;
            Ok((views, legal_check.map(|_| format!("legal obligation checked; the check is kept with the record (event `{LEGAL_OBLIGATION_CHECKED}`)"))))
        })
    }

    /// Erases the subject's records under `processing`, and only those; a
    /// subject left without records loses its key and index entries too.
    /// Refused, with the hold's reason, while any of them is under a hold.
    /// The blobs go once the unit has committed.
    pub fn erase(&mut self, access: &Access, processing: ProcessingId, subject: &SubjectId) -> Result<Erased, KernelError> {
        let kernel = self.kernel;
        let ask = Ask::new(Action::Erase, "erase", subject.to_string()).unless_held();
        let name = &kernel.register.processing(processing).id;
        let erased = self.on_subject(access, processing, subject, None, ask, |tx, _, _| {
            let mut erased = Erased::default();
            let mut shredded = "";
            for record in kernel.records_under(tx, subject, processing)? {
                let (one, note) = erase_one(tx, &RecordRef { subject: subject.clone(), record })?;
                erased.add(one);
                shredded = note;
            }
            let reason = format!("erased {} records of {name}, {} fields, {} blobs{shredded}", erased.records, erased.fields, erased.blobs.len());
            Ok((erased, Some(reason)))
        })?;
        Ok(self.erased(erased))
    }

    /// Erases one record (a withdrawn message, a cancelled subscription).
    /// A subject left without records loses its key and index entries too,
    /// so nothing of them stays readable anywhere.
    pub fn erase_record(&mut self, access: &Access, processing: ProcessingId, record: &RecordRef, why: &str) -> Result<Erased, KernelError> {
        let ask = Ask::new(Action::Erase, "erase_record", record.record.to_string()).unless_held();
        let erased = self.on_record(access, processing, record, ask, |tx, _, _| {
            let (erased, shredded) = erase_one(tx, record)?;
            let reason = format!("{why}: erased {} fields, {} blobs{shredded}", erased.fields, erased.blobs.len());
            Ok((erased, Some(reason)))
        })?;
        Ok(self.erased(erased))
    }

    /// Whether the role holds `action` under `processing` at all, before a
    /// work queue gathers from many files; a refusal is audited like any.
    /// Returns whose data the grant reaches.
    pub fn check(&mut self, access: &Access, processing: ProcessingId, action: Action) -> Result<grondslag_register::ScopeSet, KernelError> {
        let kernel = self.kernel;
        let grant = kernel.register.processing(processing).grant(access.role, action);
        if grant.is_granted() {
            return Ok(grant.scopes);
        }
        let denial = Denial::RoleNotAllowed { role: access.role, action };
        let event = Event::denied(processing, action.name(), kernel.register.processing(processing).id.clone(), None, CategorySet::EMPTY, &denial);
        self.refuse(access, event, kernel.denied(processing, denial))
    }

    /// [`Unit::check`] for an operation over everyone's data at once
    /// (oversight, a view log, the organisation's own records): only a
    /// grant that reaches everyone (scope `all`) may; any other is refused
    /// with the scope it has, audited.
    pub fn check_everyone(&mut self, access: &Access, processing: ProcessingId, action: Action) -> Result<(), KernelError> {
        let scopes = self.check(access, processing, action)?;
        if scopes.contains(Scope::All) {
            return Ok(());
        }
        let kernel = self.kernel;
        let denial = Denial::OutOfReach { scope: scopes.iter().next().unwrap_or(Scope::Own) };
        let event = Event::denied(processing, action.name(), kernel.register.processing(processing).id.clone(), None, CategorySet::EMPTY, &denial);
        self.refuse(access, event, kernel.denied(processing, denial))
    }

    /// Decides `action` on one record before an operation looks at the
    /// record's state, so that a refusal is the register's and not an
    /// "invalid step" that would hide it. Audited like any decision.
    pub fn check_record(&mut self, access: &Access, processing: ProcessingId, record: &RecordRef, action: Action) -> Result<Allowed, KernelError> {
        let ask = Ask::new(action, "check", format!("{}:{action}", record.record));
        self.on_record(access, processing, record, ask, |_, _, allowed| Ok((allowed, None)))
    }

    /// Gives a record its reference (a case number): the next number of
    /// `series`, written by `format`. Numbers only go up, so none is reused.
    pub fn assign_reference(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        record: &RecordRef,
        series: &str,
        format: &dyn Fn(u64) -> Result<String, KernelError>,
    ) -> Result<String, KernelError> {
        let kernel = self.kernel;
        let ask = Ask::new(Action::File, "assign_reference", record.record.to_string()).categories(CategorySet::EMPTY.with(Category::CaseNumber));
        self.on_record(access, processing, record, ask, |tx, key, _| {
            let reference = format(tx.next_in_sequence(series)?)?;
            tx.set_reference(&record.record, &reference)?;
            kernel.put_text(tx, key, record, Category::CaseNumber, &reference)?;
            Ok((reference, None))
        })
    }

    /// Records a dated event in a record's life (a status change, an
    /// automated check) as `action`: filing something new, a step in its
    /// handling (`advance`), a rights-request step (`handle`), a disclosure
    /// step. `status` becomes the record's status when given; an event that
    /// is filed may give a status only to a record that has none yet. The
    /// detail is sealed under the subject's key and shown only to its
    /// audience, whose category the processing must hold.
    #[allow(clippy::too_many_arguments)]
    pub fn record_event(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        record: &RecordRef,
        action: Action,
        event: &str,
        status: Option<&str>,
        detail: Option<Detail<'_>>,
    ) -> Result<(), KernelError> {
        self.record_event_at(access, processing, record, action, event, status, detail, access.now)
    }

    /// [`Unit::record_event`] of something that happened before it is
    /// registered — a letter that arrived on Friday and is typed in on
    /// Monday, a call taken at 10:00 and entered at 11:00 — so that the
    /// terms counting from the event count from `happened`. The event
    /// carries `happened` and who registers it; the audit entry, as always,
    /// the moment of registration (`access.now`). A moment after the
    /// registration is refused: nothing is registered before it happens.
    #[allow(clippy::too_many_arguments)]
    pub fn record_event_at(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        record: &RecordRef,
        action: Action,
        event: &str,
        status: Option<&str>,
        detail: Option<Detail<'_>>,
        happened: jiff::Timestamp,
    ) -> Result<(), KernelError> {
        if happened > access.now {
            return Err(KernelError::EventInFuture { event: event.to_string(), happened, registered: access.now });
        }
        let kernel = self.kernel;
        let categories = match detail.map(|d| d.audience) {
            Some(Audience::Readers(category)) => CategorySet::EMPTY.with(category),
            _ => CategorySet::EMPTY,
        };
        let object = format!("{}:{event}", record.record);
        if happened < access.now && (access.role.acts_for_a_person() || access.role == Role::Public) {
            let denial = Denial::EarlierReceipt { role: access.role };
            let event = Event::denied(processing, "record_event", object, Some(&record.subject), categories, &denial);
            return self.refuse(access, event, kernel.denied(processing, denial));
        }
        let mut ask = Ask::new(action, "record_event", object).categories(categories);
        ask.first_status = action == Action::File && status.is_some();
        self.on_record(access, processing, record, ask, |tx, key, _| {
            let row = seal_event(key, record, event, (happened, &access.actor), detail)?;
            tx.add_event(&record.record, &row, status)?;
            // An event the rule does not look at changes no date: not the
            // record's, and not a child's, whose date is its head's apart
            // from its own holds (which every rule looks at). A record none
            // of whose events its rule looks at so has no row in `due`; the
            // retention report counts it as waiting, as it did an undated row.
            if kernel.register.processing(processing).retention.may_change_with(event) {
                kernel.refresh_due(tx, processing, record)?;
            }
            let dated = (happened != access.now).then(|| format!("allowed by the register; the event happened at {happened}, before it was registered"));
            Ok(((), dated))
        })
    }

    /// The record's events that this reader may see, oldest first, details opened.
    pub fn events(&mut self, access: &Access, processing: ProcessingId, record: &RecordRef) -> Result<Vec<RecordEvent>, KernelError> {
        let kernel = self.kernel;
        let ask = Ask::new(Action::Read, "read_events", record.record.to_string()).categories(kernel.register.processing(processing).categories);
        self.on_record(access, processing, record, ask, |tx, key, allowed| {
            let reader = Allowed { scopes: access.reach_of(allowed), ..allowed };
            let events = kernel.open_events(tx, key, record, Some(reader))?;
            Ok((events, None))
        })
    }

    /// Makes `record` belong to `parent` (a photo or note to its case, a
    /// copy to the dossier it was copied into, an authorisation to the case
    /// it is for): it keeps no term of its own but follows the parent's due
    /// date (its own holds still count), and it goes when the parent goes.
    /// Decided as filing under the record's `processing`.
    pub fn belong_to(&mut self, access: &Access, processing: ProcessingId, record: &RecordRef, parent: &RecordRef) -> Result<(), KernelError> {
        let kernel = self.kernel;
        let ask = Ask::new(Action::File, "belong_to", format!("{}:{}", record.record, parent.record));
        self.on_record(access, processing, record, ask, |tx, _, _| {
            tx.set_parent(&record.record, &parent.record)?;
            kernel.refresh_due(tx, processing, record)?;
            Ok(((), None))
        })
    }

    /// Makes the record findable by a keyed digest of `value` (an object's
    /// address, say), without storing the value.
    pub fn index_record(&mut self, access: &Access, processing: ProcessingId, record: &RecordRef, kind: &str, value: &str) -> Result<(), KernelError> {
        let kernel = self.kernel;
        let digest = kernel.keys.blind_index(kind, value);
        let ask = Ask::new(Action::File, "index", format!("{}:{kind}", record.record));
        self.on_record(access, processing, record, ask, |tx, _, _| {
            tx.add_record_index(&kernel.register.processing(processing).id, kind, &digest, &record.record)?;
            Ok(((), None))
        })
    }

    /// The records of `processing` indexed under `value` that the reader's
    /// grant reaches; a lookup is a read, audited per subject found.
    pub fn find_records(&mut self, access: &Access, processing: ProcessingId, kind: &str, value: &str) -> Result<Vec<RecordSummary>, KernelError> {
        self.find_records_by_any(access, processing, kind, &[value])
    }

    /// [`Unit::find_records`] under any of `values` (one thing spelled
    /// several ways, say), each record found once.
    pub fn find_records_by_any(&mut self, access: &Access, processing: ProcessingId, kind: &str, values: &[&str]) -> Result<Vec<RecordSummary>, KernelError> {
        let kernel = self.kernel;
        let digests: Vec<_> = values.iter().map(|value| kernel.keys.blind_index(kind, value)).collect();
        let name = &kernel.register.processing(processing).id;
        self.summaries(access, processing, &format!("lookup:{kind}"), |tx, _| {
            let mut rows: Vec<RecordRow> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for digest in &digests {
                for row in tx.find_record_index(name, kind, digest)? {
                    if seen.insert(row.record.clone()) {
                        rows.push(row);
                    }
                }
            }
            Ok((rows, false))
        })
    }

    /// One page of the records of `processing` that the reader's grant
    /// reaches (everyone's, their own, their principals', the cases
    /// assigned to them), optionally of one status, most recently changed
    /// first. Each subject listed gets an audit entry.
    pub fn list(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        status: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<RecordSummary>, KernelError> {
        let name = &self.kernel.register.processing(processing).id;
        self.summaries(access, processing, "list", |tx, allowed| {
            let scopes = access.reach_of(allowed);
            if scopes.contains(Scope::All) {
                return Ok((tx.list_records(name, status, offset, limit)?, true));
            }
            // Under a limit the rows are what the limit reaches; the grant
            // must reach each of them too.
            let reached = access.within.is_none();
            // Each scope is one indexed query; more than one (rare) are
            // merged, each fetched up to the end of the page.
            let actor = access.subject.as_ref().map(SubjectId::as_str);
            let mut rows: Vec<RecordRow> = Vec::new();
            for scope in scopes.iter() {
                let reach = match (scope, &access.subject, actor) {
                    (Scope::Own, Some(own), _) => Reach::Subject(own),
                    (Scope::Staff, _, _) => Reach::RelatedSubjects { relation: scope.name(), actor: ORGANISATION },
                    (_, _, Some(actor)) if scope.of_record() => Reach::RelatedRecords { relation: scope.name(), actor },
                    (_, _, Some(actor)) => Reach::RelatedSubjects { relation: scope.name(), actor },
                    _ => continue,
                };
                rows.extend(tx.list_reached(name, status, reach, 0, offset.saturating_add(limit))?);
            }
            rows.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| a.record.as_str().cmp(b.record.as_str())));
            rows.dedup_by(|a, b| a.record == b.record);
            let page = rows.into_iter().skip(usize::try_from(offset).unwrap_or(usize::MAX)).take(usize::try_from(limit).unwrap_or(usize::MAX)).collect();
            Ok((page, reached))
        })
    }

    /// Every record of `processing` (optionally of one status), fetched a
    /// page at a time.
    pub fn list_all(&mut self, access: &Access, processing: ProcessingId, status: Option<&str>) -> Result<Vec<RecordSummary>, KernelError> {
        const PAGE: u64 = 500;
        let mut all = Vec::new();
        loop {
            let page = self.list(access, processing, status, all.len() as u64, PAGE)?;
            let done = (page.len() as u64) < PAGE;
            all.extend(page);
            if done {
                return Ok(all);
            }
        }
    }

    /// The record a reference (case number) names, if the role may read the
    /// case numbers of its processing.
    pub fn find_reference(&mut self, access: &Access, reference: &str) -> Result<Option<(ProcessingId, RecordSummary)>, KernelError> {
        let Some(row) = self.tx.find_reference(reference)? else { return Ok(None) };
        let processing = self.kernel.processing(&row.processing)?;
        let record = RecordRef { subject: row.subject.clone(), record: row.record.clone() };
        let ask = Ask::new(Action::Read, "lookup:reference", row.record.to_string()).categories(CategorySet::EMPTY.with(Category::CaseNumber));
        // The number names the case; whether the reader's grant reaches it
        // is decided on the record, like any read of it.
        self.on_record(access, processing, &record, ask, |_, _, _| Ok((RecordSummary::from_row(row, true), None))).map(|summary| Some((processing, summary)))
    }

    /// Finds a subject by BSN through the blind index. A lookup is a read of
    /// the BSN under `processing`, and audited as one.
    pub fn find_by_bsn(&mut self, access: &Access, processing: ProcessingId, bsn: &str) -> Result<Option<SubjectId>, KernelError> {
        self.lookup_bsn(access, processing, Action::Read, bsn)
    }

    /// Finds the file to file something new into: decided as a filing, so
    /// that someone who may file for a person without reading their file
    /// (an employee passing on a rights request) learns only its pseudonym.
    pub fn find_to_file(&mut self, access: &Access, processing: ProcessingId, bsn: &str) -> Result<Option<SubjectId>, KernelError> {
        self.lookup_bsn(access, processing, Action::File, bsn)
    }

    fn lookup_bsn(&mut self, access: &Access, processing: ProcessingId, action: Action, bsn: &str) -> Result<Option<SubjectId>, KernelError> {
        let kernel = self.kernel;
        let bsn = grondslag_values::Bsn::parse(bsn).map_err(|source| KernelError::Invalid { category: Category::Bsn, source })?;
        let categories = CategorySet::EMPTY.with(Category::Bsn);
        let digest = kernel.keys.blind_index("bsn", bsn.as_str());
        let question = kernel.question(access.role, action, processing, categories, false);
        let found = self.tx.find_blind_index("bsn", &digest)?;
        // A reader whose grant reaches only some people learns of a
        // BSN only that it is theirs (or their principal's).
        let decided = match decide(&kernel.register, question) {
            Ok(allowed) if access.reach_of(allowed).contains(Scope::All) => Ok(allowed),
            Ok(allowed) => match &found {
                Some(subject) => kernel.reach(self.tx, access, allowed, Some(subject), None)?.map(|()| allowed),
                None => Ok(allowed),
            },
            Err(denial) => Err(denial),
        };
        if let Err(denial) = decided {
            // Named against the person whose BSN it is, so that the attempt
            // shows in their access report; the caller learns nothing of it.
            let event = Event::denied(processing, "lookup", "bsn".to_string(), found.as_ref(), categories, &denial);
            return self.refuse(access, event, kernel.denied(processing, denial));
        }
        let mut event = Event::allowed(processing, "lookup", "bsn".to_string(), found.as_ref(), categories);
        event.reason = if found.is_some() { "found" } else { "not found" }.to_string();
        self.audit(access, event);
        Ok(found)
    }

    /// Puts a relation between `actor` (a person's own file; none for the
    /// organisation's `staff`) and the record or its subject, as `scope`
    /// reads it — or takes it away when `present` is false. A step of
    /// `action` under `processing`, decided and audited like any other:
    /// assigning an expert is a case handler's `advance`, an authorisation
    /// is `file`d by the person who gives it or by staff.
    #[allow(clippy::too_many_arguments)]
    pub fn relate(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        action: Action,
        record: &RecordRef,
        scope: Scope,
        actor: Option<&SubjectId>,
        present: bool,
    ) -> Result<(), KernelError> {
        let object = if scope.of_record() { record.record.as_str() } else { record.subject.as_str() };
        let actor_key = match (scope, actor) {
            (Scope::Staff, _) => ORGANISATION,
            (_, Some(actor)) => actor.as_str(),
            (_, None) => return Err(KernelError::NoRelation(scope)),
        };
        if matches!(scope, Scope::Own | Scope::All) {
            return Err(KernelError::NoRelation(scope));
        }
        let name = format!("{}:{}", if present { "relate" } else { "unrelate" }, scope.name());
        let ask = Ask::new(action, &name, format!("{object}:{actor_key}"));
        self.on_record(access, processing, record, ask, |tx, _, _| {
            if present {
                tx.relate(object, scope.name(), actor_key)?;
            } else {
                tx.unrelate(object, scope.name(), actor_key)?;
            }
            Ok(((), None))
        })
    }

    /// One call on one subject: load the subject's key and restriction,
    /// decide, check that the grant's scope reaches the subject (or
    /// `record`), and either refuse (audited) or run `act` with what is
    /// allowed and audit what it did (`act` may give the entry's reason).
    pub(crate) fn on_subject<T>(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        subject: &SubjectId,
        record: Option<&RecordId>,
        ask: Ask<'_>,
        act: impl FnOnce(&mut dyn Tx, &SubjectKey, Allowed) -> Result<(T, Option<String>), KernelError>,
    ) -> Result<T, KernelError> {
        self.confirm_earlier()?;
        let kernel = self.kernel;
        let (key, restricted) = kernel.subject_key(self.tx, subject)?;
        let question = Question {
            role: access.role,
            action: ask.action,
            processing,
            categories: ask.categories,
            restricted,
            recipient: ask.recipient,
            legal_check_recorded: ask.legal_check,
        };
        let decided = match decide(&kernel.register, question) {
            Ok(allowed) => kernel.reach(self.tx, access, allowed, Some(subject), record)?.map(|()| allowed),
            Err(denial) => Err(denial),
        };
        // A recipient's own terms come after the register's grant: its
        // agreement at this moment, then its condition on the record.
        let decided = match (decided, ask.recipient) {
            (Ok(allowed), Some(recipient)) => kernel.recipient_terms(self.tx, &key, access.now, processing, subject, record, recipient)?.map(|()| allowed),
            (decided, _) => decided,
        };
        let decided = match (decided, record) {
            (Ok(_), Some(record)) if ask.first_status && self.tx.record(record)?.is_some_and(|row| row.status.is_some()) => {
                Err(Denial::RoleNotAllowed { role: access.role, action: Action::Advance })
            }
            (decided, _) => decided,
        };
        let allowed = match decided {
            Ok(allowed) => allowed,
            Err(denial) => {
                let event = Event::denied(processing, ask.name, ask.object.clone(), Some(subject), ask.categories, &denial);
                return self.refuse(access, event, kernel.denied(processing, denial));
            }
        };
        if ask.unless_held
            && let Some(reason) = kernel.hold_reason(self.tx, &key, processing, subject, record)?
        {
            let event = Event::denied(processing, ask.name, ask.object.clone(), Some(subject), ask.categories, &Denial::Held);
            return self.refuse(access, event, KernelError::Held { processing: kernel.register.processing(processing).id.clone(), reason });
        }
        let failed = || Event::failed(processing, ask.name, ask.object.clone(), Some(subject), allowed.categories);
        let done = act(self.tx, &key, allowed)
            .and_then(|acted| {
                self.confirm(access, failed)?;
                Ok(acted)
            })
            .map(|(value, reason)| {
                let mut event = Event::allowed(processing, ask.name, ask.object.clone(), Some(subject), allowed.categories);
                if let Some(reason) = reason {
                    event.reason = reason;
                }
                self.audit(access, event);
                value
            });
        done.map_err(|e| self.failed(access, failed(), e))
    }

    /// [`Unit::on_subject`] for one record, which must belong to the
    /// subject and the processing.
    pub(crate) fn on_record<T>(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        record: &RecordRef,
        ask: Ask<'_>,
        act: impl FnOnce(&mut dyn Tx, &SubjectKey, Allowed) -> Result<(T, Option<String>), KernelError>,
    ) -> Result<T, KernelError> {
        let kernel = self.kernel;
        self.on_subject(access, processing, &record.subject, Some(&record.record), ask, |tx, key, allowed| {
            kernel.check_belongs(tx, processing, record)?;
            act(tx, key, allowed)
        })
    }

    /// Summaries of the records `fetch` finds under `processing`, for a role
    /// that may read there: only those its grant reaches (`fetch` says
    /// whether it fetched only those; otherwise each row is checked), and
    /// restricted subjects only for the rights process. One audit entry per
    /// subject, as child spans of one operation.
    fn summaries(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        action: &str,
        fetch: impl FnOnce(&mut dyn Tx, Allowed) -> Result<(Vec<RecordRow>, bool), KernelError>,
    ) -> Result<Vec<RecordSummary>, KernelError> {
        let kernel = self.kernel;
        let p = kernel.register.processing(processing);
        let question = kernel.question(access.role, Action::Read, processing, p.categories, false);
        let allowed = match decide(&kernel.register, question) {
            Ok(allowed) => allowed,
            Err(denial) => {
                let event = Event::denied(processing, action, p.id.clone(), None, CategorySet::EMPTY, &denial);
                return self.refuse(access, event, kernel.denied(processing, denial));
            }
        };
        // LDV: each subject's line is a child of the operation's own line,
        // which is written last, when it can say how many it listed.
        let whole = SpanId::random();
        let operation = Access { parent_span: Some(whole), ..access.clone() };
        let shown = allowed.categories.intersection(CategorySet::EMPTY.with(Category::CaseNumber));
        let listed = (|| {
            let (rows, reached) = fetch(self.tx, allowed)?;
            // Restricted people are left out (AVG art. 18) except where the
            // rights process itself lists them; asked once for the page.
            let restricted = if p.rights_process {
                Vec::new()
            } else {
                let mut subjects: Vec<SubjectId> = rows.iter().map(|row| row.subject.clone()).collect();
                subjects.sort();
                subjects.dedup();
                self.tx.restricted_among(&subjects)?
            };
            let mut summaries = Vec::new();
            for row in rows {
                if !reached && kernel.reach(self.tx, access, allowed, Some(&row.subject), Some(&row.record))?.is_err() {
                    continue;
                }
                if restricted.contains(&row.subject) {
                    continue;
                }
                self.audit(&operation, Event::allowed(processing, action, row.record.to_string(), Some(&row.subject), shown));
                summaries.push(RecordSummary::from_row(row, !shown.is_empty()));
            }
            let mut event = Event::allowed(processing, action, p.id.clone(), None, CategorySet::EMPTY);
            event.reason = format!("listed {} records", summaries.len());
            let mut entry = kernel.entry(access, event);
            entry.span_id = whole;
            self.audit_entry(entry);
            Ok(summaries)
        })();
        listed.map_err(|e| self.failed(access, Event::failed(processing, action, p.id.clone(), None, CategorySet::EMPTY), e))
    }
}

impl Kernel {
    /// Seals a text value into its record (over what it held); a BSN also
    /// goes into the blind index, unless it is someone else's.
    fn put_text(&self, tx: &mut dyn Tx, key: &SubjectKey, record: &RecordRef, category: Category, text: &str) -> Result<(), KernelError> {
        let (version, _) = next_version(stored_version(tx, &record.record, category.name())?);
        self.put_sealed(tx, key, record, (category.name(), version), text.as_bytes(), None)?;
        if category == Category::Bsn {
            self.index_bsn(tx, &record.subject, text, true)?;
        }
        Ok(())
    }

    /// Puts `bsn` in the blind index as `subject`'s, unless it is someone
    /// else's. Unless `replace` (a rectification, [`Kernel::rights_rectify`]),
    /// a BSN may join a file that has none, never replace the one it has.
    fn index_bsn(&self, tx: &mut dyn Tx, subject: &SubjectId, bsn: &str, replace: bool) -> Result<(), KernelError> {
        let digest = self.keys.blind_index("bsn", bsn);
        match tx.find_blind_index("bsn", &digest)? {
            Some(holder) if holder == *subject => Ok(()),
            Some(_) => Err(KernelError::DuplicateBsn),
            None if !replace && tx.has_blind_index("bsn", subject)? => Err(KernelError::OtherBsn),
            // Given to another file by a write beside this one since.
            None if !tx.set_blind_index("bsn", &digest, subject)? => Err(KernelError::DuplicateBsn),
            None => Ok(()),
        }
    }

    /// A record's events as `reader` may see them (all of them, details
    /// opened, for the kernel's own use when `None`).
    fn open_events(&self, tx: &mut dyn Tx, key: &SubjectKey, record: &RecordRef, reader: Option<Allowed>) -> Result<Vec<RecordEvent>, KernelError> {
        let mut events = Vec::new();
        for row in tx.events(&record.record)? {
            let (event_shown, detail_shown) = reader.map_or((true, true), |reader| Audience::admits(row.audience.as_deref(), reader));
            if !event_shown {
                continue;
            }
            let detail = match &row.detail {
                Some(sealed) if detail_shown => Some(open_event(key, record, &row, sealed)?),
                _ => None,
            };
            events.push(RecordEvent { event: row.event, at: row.at, actor: row.actor, detail });
        }
        Ok(events)
    }

    /// Whether the grant's scopes reach `subject` (or `record`, for scopes
    /// of records): `Err` names the relation that is missing. `None` for the
    /// subject is a new one, which only a grant reaching everyone may create.
    fn reach(
        &self,
        tx: &mut dyn Tx,
        access: &Access,
        allowed: Allowed,
        subject: Option<&SubjectId>,
        record: Option<&RecordId>,
    ) -> Result<Result<(), Denial>, KernelError> {
        if let Some(limit) = access.within
            && let Err(denial) = check_reach(tx, limit, access.subject.as_ref(), access.mandate.as_ref(), subject, record)?
        {
            return Ok(Err(denial));
        }
        Ok(check_reach(tx, allowed.scopes, access.subject.as_ref(), access.mandate.as_ref(), subject, record)?)
    }

    /// The subject's records under `processing`, read from the records
    /// themselves (not from their fields: a record may hold none).
    pub(crate) fn records_under(&self, tx: &mut dyn Tx, subject: &SubjectId, processing: ProcessingId) -> Result<Vec<RecordId>, KernelError> {
        let name = &self.register.processing(processing).id;
        Ok(tx.list_reached(name, None, Reach::Subject(subject), 0, u64::MAX)?.into_iter().map(|row| row.record).collect())
    }

    /// The reason of a hold on `record` (or, without one, on any record of
    /// the subject under `processing`), if one is in force.
    fn hold_reason(
        &self,
        tx: &mut dyn Tx,
        key: &SubjectKey,
        processing: ProcessingId,
        subject: &SubjectId,
        record: Option<&RecordId>,
    ) -> Result<Option<String>, KernelError> {
        let records = match record {
            Some(record) => vec![record.clone()],
            None => self.records_under(tx, subject, processing)?,
        };
        for record in records {
            let record = RecordRef { subject: subject.clone(), record };
            let events = self.open_events(tx, key, &record, None)?;
            let facts: Vec<(&str, jiff::Timestamp)> = events.iter().map(|e| (e.event.as_str(), e.at)).collect();
            if grondslag_register::due::held(&facts) {
                let placed = events.iter().rev().find(|e| e.event == grondslag_register::due::HOLD_PLACED);
                return Ok(Some(placed.and_then(|e| e.detail.clone()).unwrap_or_else(|| "no reason recorded".to_string())));
            }
        }
        Ok(None)
    }

    /// Whether `recipient` may receive at `now`: a required agreement is
    /// recorded and has not ended (its end date is its last day, on the
    /// Amsterdam calendar), and the disclosed records meet its `only_when`
    /// (every value of the category among them is the one asked, and there
    /// is one).
    #[allow(clippy::too_many_arguments)] // one call, from `on_subject`, with what it holds
    fn recipient_terms(
        &self,
        tx: &mut dyn Tx,
        key: &SubjectKey,
        now: jiff::Timestamp,
        processing: ProcessingId,
        subject: &SubjectId,
        record: Option<&RecordId>,
        recipient: RecipientId,
    ) -> Result<Result<(), Denial>, KernelError> {
        let r = self.register.recipient(recipient);
        if r.agreement.required {
            let today = grondslag_values::dutch::amsterdam_date(now);
            match (&r.agreement.reference, r.agreement.ends) {
                (Some(reference), Some(ends)) if today > ends => {
                    return Ok(Err(Denial::AgreementExpired { recipient: r.id.clone(), reference: reference.clone(), ends }));
                }
                (Some(_), Some(_)) => {}
                _ => return Ok(Err(Denial::AgreementMissing { recipient: r.id.clone() })),
            }
        }
        let Some(condition) = &r.only_when else { return Ok(Ok(())) };
        let views = self.open_fields(tx, key, subject, Some(processing), CategorySet::EMPTY.with(condition.category), record)?;
        let values: Vec<&Value> = views.iter().filter_map(|view| view.get(condition.category)).collect();
        let met = !values.is_empty() && values.iter().all(|value| matches!(value, Value::Text(text) if *text == condition.equals));
        Ok(if met { Ok(()) } else { Err(Denial::ConditionNotMet { recipient: r.id.clone(), category: condition.category, equals: condition.equals.clone() }) })
    }

    /// The record must exist and belong to its subject and to `processing`.
    fn check_belongs(&self, tx: &mut dyn Tx, processing: ProcessingId, record: &RecordRef) -> Result<(), KernelError> {
        let belongs = tx.record_belongs(&record.record, &record.subject, &self.register.processing(processing).id)?;
        if belongs { Ok(()) } else { Err(KernelError::RecordMismatch { record: record.record.clone() }) }
    }

    fn question(&self, role: Role, action: Action, processing: ProcessingId, categories: CategorySet, restricted: bool) -> Question {
        Question { role, action, processing, categories, restricted, recipient: None, legal_check_recorded: false }
    }

    fn subject_key(&self, tx: &mut dyn Tx, subject: &SubjectId) -> Result<(SubjectKey, bool), KernelError> {
        let row = tx.subject(subject)?.ok_or_else(|| KernelError::UnknownSubject(subject.clone()))?;
        Ok((self.keys.unwrap(&row.wrapped_key, subject.as_str())?, row.restricted))
    }

    fn open_fields(
        &self,
        tx: &mut dyn Tx,
        key: &SubjectKey,
        subject: &SubjectId,
        processing: Option<ProcessingId>,
        allowed: CategorySet,
        only: Option<&RecordId>,
    ) -> Result<Vec<RecordView>, KernelError> {
        let processing_name = processing.map(|p| self.register.processing(p).id.as_str());
        let mut views: Vec<RecordView> = Vec::new();
        for field in tx.fields(subject, processing_name)? {
            if only.is_some_and(|only| *only != field.record) {
                continue;
            }
            let Some(category) = Category::from_name(&field.category).filter(|c| allowed.contains(*c)) else { continue };
            let value = self.open_field(key, subject, &field)?;
            match views.last_mut() {
                Some(view) if view.record == field.record => view.fields.push((category, value)),
                _ => views.push(RecordView { record: field.record, processing: field.processing, fields: vec![(category, value)] }),
            }
        }
        for view in &mut views {
            view.fields.sort_by_key(|(category, _)| *category);
        }
        Ok(views)
    }

    /// The audit entry of a decision, before it has a place in the log.
    fn entry(&self, access: &Access, event: Event<'_>) -> Entry {
        let processing = self.register.processing(event.processing);
        Entry {
            timestamp: access.now,
            trace_id: access.trace,
            span_id: SpanId::random(),
            parent_span_id: access.parent_span,
            foreign_operation: access.foreign.clone(),
            processing_activity_id: self.processing_uri(event.processing).to_string(),
            processing: processing.id.clone(),
            data_subject_id: event.subject.map(ToString::to_string),
            data_subject_id_type: event.subject.map(|_| PSEUDONYM_ID_TYPE.to_string()),
            actor: access.actor.clone(),
            role: access.role.name().to_string(),
            action: event.action.to_string(),
            object: event.object,
            categories: event.categories.iter().map(|c| c.name().to_string()).collect(),
            outcome: event.outcome,
            status_code: event.outcome.status_code(),
            reason: event.reason,
            origin: access.origin.clone(),
        }
    }

    /// Appends `entries` to the log, numbered in the order given, each to
    /// its chain after the head the store holds now (the chains they go to
    /// locked, then their heads read in one statement), each dated to be forgotten
    /// by the term of its processing's log; then signs a checkpoint of each
    /// chain that passed a multiple of `checkpoint_every`, and a combined
    /// one over all chains.
    fn append(&self, tx: &mut dyn Tx, entries: &[Entry]) -> Result<(), KernelError> {
        if entries.is_empty() {
            return Ok(());
        }
        let chains: Vec<Chain> = entries.iter().map(Entry::chain).collect();
        let mut touched = chains.clone();
        touched.sort_unstable();
        touched.dedup();
        // Locked before their heads are read, and before the numbers are
        // drawn, so that within a chain they ascend as it grows.
        let TakenChains { heads, seqs } = tx.take_chains(&touched, entries.len() as u64)?;
        let mut heads: std::collections::BTreeMap<Chain, (u64, Hash)> = heads.into_iter().map(|(chain, position, link)| (chain, (position, link))).collect();
        if seqs.len() != entries.len() {
            return Err(StoreError::Corrupt("audit_entries: fewer numbers than entries").into());
        }
        let mut tails = self.tails_in_step(&touched, &heads);
        let mut rows = Vec::with_capacity(entries.len());
        let mut due = Vec::new();
        for ((entry, chain), seq) in entries.iter().zip(chains).zip(seqs) {
            let row = Row::next(seq, chain, heads.get(&chain).copied(), entry);
            heads.insert(chain, (row.position, row.link));
            let mut tail = tails.iter_mut().find(|(of, _)| *of == chain).map(|(_, tail)| tail);
            if let Some(tail) = &mut tail {
                tail.push_made(&row).map_err(|e| KernelError::audit(chain, e))?;
            }
            if row.position.is_multiple_of(self.checkpoint_every) {
                let made = tail.map(|tail| tail.to_sign().map_err(|e| KernelError::audit(chain, e))).transpose()?;
                due.push(Due { chain, size: row.position, made });
            }
            rows.push((row, self.forget_at(entry)));
        }
        tx.append_audit(&rows)?;
        self.sign_checkpoints(tx, due)?;
        self.kept_tails().extend(tails);
        Ok(())
    }

    /// The tails of `chains` that this process keeps and whose heads are
    /// still those the store holds (`heads`, read with the chains locked),
    /// taken out of keeping while the caller appends; a new tail for a
    /// chain with no rows yet. A tail not in step — another connection or
    /// node appended since, or the transaction that appended rolled back —
    /// is dropped, and the chain's next checkpoint reads its rows back.
    /// A list, not a map: a unit touches one chain or a few.
    fn tails_in_step(&self, chains: &[Chain], heads: &std::collections::BTreeMap<Chain, (u64, Hash)>) -> Vec<(Chain, Verifier)> {
        let mut kept = self.kept_tails();
        chains
            .iter()
            .filter_map(|chain| {
                let tail = kept.remove(chain);
                let tail = match heads.get(chain) {
                    Some(head) => tail.filter(|tail| tail.head() == *head)?,
                    None => Verifier::new(self.signer.verifier(), *chain, Vec::new()).keeping_nodes(AUDIT_NODE_LEVEL),
                };
                Some((*chain, tail))
            })
            .collect()
    }

    fn kept_tails(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<Chain, Verifier>> {
        self.tails.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Signs the checkpoints `due`, then — if any was signed — a combined
    /// checkpoint over the latest of every chain, which the witness keeps.
    /// First the latest witnessed combined checkpoint is held against the
    /// database: a chain cut short or rewritten is refused a signature
    /// rather than given a fresh one.
    fn sign_checkpoints(&self, tx: &mut dyn Tx, due: Vec<Due>) -> Result<(), KernelError> {
        if due.is_empty() {
            return Ok(());
        }
        self.check_witnessed(tx)?;
        let mut signed = false;
        for due in due {
            signed |= self.checkpoint(tx, due)?;
        }
        if signed {
            let heads = tx
                .last_checkpoints()?
                .iter()
                .map(|note| self.verified_note(note).map_err(|_| StoreError::Corrupt("audit_checkpoints.note")))
                .collect::<Result<Vec<Checkpoint>, StoreError>>()?;
            witness::signed(self.signer.sign_combined(&heads));
        }
        Ok(())
    }

    /// The error of a refusal under `processing`.
    fn denied(&self, processing: ProcessingId, denial: Denial) -> KernelError {
        KernelError::Denied { processing: self.register.processing(processing).id.clone(), denial }
    }

    /// Signs the checkpoint `due`; whether it signed one (not when one at
    /// or past its size exists already).
    fn checkpoint(&self, tx: &mut dyn Tx, Due { chain, size, made }: Due) -> Result<bool, KernelError> {
        let last = tx.last_checkpoint(chain)?;
        if size == 0 || last.as_ref().is_some_and(|(at, _, _)| *at >= size) {
            return Ok(false);
        }
        let (frontier, nodes) = match made {
            Some(made) => made,
            None => self.read_back(tx, chain, size, last)?,
        };
        if frontier.size() != size {
            return Ok(false);
        }
        let note = self.signer.sign(chain, size, &frontier.root());
        tx.insert_checkpoint(chain, size, &note, &frontier.to_bytes())?;
        tx.insert_audit_nodes(chain, &nodes)?;
        Ok(true)
    }

    /// The tree of `chain` at `size` to sign, from its rows since its `last`
    /// checkpoint, read back and each checked against it. The walk goes on
    /// to the chain's head, and is kept as its tail if those rows check too.
    fn read_back(&self, tx: &mut dyn Tx, chain: Chain, size: u64, last: Option<(u64, String, Vec<u8>)>) -> Result<(Frontier, Vec<Node>), KernelError> {
        let fault = |e: VerifyError| KernelError::audit(chain, e);
        let keys = self.signer.verifier();
        let (from, verifier) = match last {
            Some((at, note, bytes)) => {
                let frontier = Frontier::from_bytes(&bytes).ok_or(StoreError::Corrupt("audit_checkpoints.frontier"))?;
                let link = tx.audit_row_at(chain, at)?.ok_or_else(|| fault(VerifyError::Truncated { size: at, count: size }))?.link;
                (at, Verifier::resume(keys, &note, frontier, link).map_err(fault)?)
            }
            None => (0, Verifier::new(keys, chain, Vec::new())),
        };
        let mut verifier = verifier.keeping_nodes(AUDIT_NODE_LEVEL);
        let rows = tx.audit_rows_after(chain, from)?;
        // Rows past `size` (a later checkpoint of the same append) wait for theirs.
        let (signed, later) = rows.split_at(rows.partition_point(|row| row.position <= size));
        for row in signed {
            verifier.push(row).map_err(fault)?;
        }
        let made = verifier.to_sign().map_err(fault)?;
        // A later row that does not check keeps the walk from becoming the
        // tail; its own checkpoint reads it back and names the fault.
        if later.iter().all(|row| verifier.push(row).is_ok()) {
            self.kept_tails().insert(chain, verifier);
        }
        Ok(made)
    }

    /// The database must still hold every chain's head of the latest
    /// witnessed combined checkpoint, as witnessed, and each chain at least
    /// that long.
    fn check_witnessed(&self, tx: &mut dyn Tx) -> Result<(), KernelError> {
        let Some(witness) = &self.witness else { return Ok(()) };
        let keys = self.signer.verifier();
        let latest = witness.latest_since(&keys, &mut self.witnessed.lock().unwrap_or_else(std::sync::PoisonError::into_inner))?;
        let Some(witnessed) = latest else { return Ok(()) };
        let witnessed_chains: Vec<Chain> = witnessed.heads.iter().map(|head| head.chain).collect();
        let heads = tx.audit_heads(&witnessed_chains)?;
        for head in &witnessed.heads {
            let count = heads.iter().find(|(chain, _, _)| *chain == head.chain).map_or(0, |(_, position, _)| *position);
            if count < head.size {
                return Err(KernelError::audit(head.chain, VerifyError::ShorterThanWitnessed { size: head.size, count }));
            }
            let stored = tx.checkpoint_at(head.chain, head.size)?.and_then(|note| self.verified_note(&note).ok());
            if stored.is_none_or(|stored| stored.root != head.root) {
                return Err(KernelError::audit(head.chain, VerifyError::WitnessMismatch { size: head.size }));
            }
        }
        Ok(())
    }

    /// `note`'s checkpoint, its signature checked against the log's key once
    /// for each text: signing a checkpoint checks the latest of every chain
    /// and the witnessed heads, which stay the same for many checkpoints
    /// (two signatures to check a chain each time; BENCHMARKS.md,
    /// seventeenth session).
    fn verified_note(&self, note: &str) -> Result<Checkpoint, grondslag_audit::CheckpointError> {
        /// Each chain's latest and witnessed notes, many times over.
        const KEPT: usize = 1024;
        let verified = || self.verified_notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(checkpoint) = verified().get(note).cloned() {
            return Ok(checkpoint);
        }
        // Checked outside the lock: signers on other connections need not wait for it.
        let checkpoint = self.signer.verifier().verify(note)?;
        let mut verified = verified();
        if verified.len() >= KEPT {
            verified.clear();
        }
        verified.insert(note.to_string(), checkpoint.clone());
        Ok(checkpoint)
    }

    /// Keeps the checkpoints the committed transaction signed in the witness.
    /// The operation stands if that fails: the next checkpoint covers it.
    fn witness_signed(&self) {
        let notes = witness::take_signed();
        match self.loading_state().as_mut() {
            Some(load) => load.signed.extend(notes),
            None => self.witness(&notes),
        }
    }

    fn witness(&self, notes: &[String]) {
        if let Some(witness) = &self.witness
            && let Err(e) = witness.record(notes)
        {
            tracing::error!(error = %e, "a signed audit checkpoint could not be witnessed outside the database");
        }
    }
}

impl Drop for Kernel {
    /// Shutting down seals the log, so the last entries are covered by a
    /// signed checkpoint and not only by the chain.
    fn drop(&mut self) {
        if let Err(e) = self.seal() {
            tracing::error!(error = %e, "could not sign the closing audit checkpoint");
        }
    }
}

impl<'a> Event<'a> {
    fn allowed(processing: ProcessingId, action: &'a str, object: String, subject: Option<&'a SubjectId>, categories: CategorySet) -> Self {
        Event { processing, action, object, subject, categories, outcome: Outcome::Allowed, reason: "allowed by the register".to_string() }
    }

    fn denied(processing: ProcessingId, action: &'a str, object: String, subject: Option<&'a SubjectId>, categories: CategorySet, denial: &Denial) -> Self {
        Event { processing, action, object, subject, categories, outcome: Outcome::Denied, reason: denial.code().to_string() }
    }

    /// An allowed call that did not complete; [`Unit::failed`] gives the reason.
    fn failed(processing: ProcessingId, action: &'a str, object: String, subject: Option<&'a SubjectId>, categories: CategorySet) -> Self {
        Event { processing, action, object, subject, categories, outcome: Outcome::Failed, reason: String::new() }
    }
}

/// What a write stores: its categories, and each value validated,
/// normalised and (a password) hashed, and each blob sealed and written —
/// work that needs no store, done before a write's transaction takes the
/// writer, as hashing is slow by design and a blob may be megabytes.
pub struct Fields {
    categories: CategorySet,
    prepared: Vec<(Category, values::Prepared)>,
}

impl Kernel {
    /// Prepares `fields` for [`Unit::write_prepared`]; an invalid value or a
    /// category given twice is refused. Bytes (a photo, a recording) are
    /// sealed under a key of their own and written to the blob store here,
    /// before any unit: a unit that names none of them removes them once
    /// the fields are dropped.
    pub fn prepare(&self, fields: &[(Category, Value)]) -> Result<Fields, KernelError> {
        let categories = categories_of(fields)?;
        let prepared = fields
            .iter()
            .map(|(category, value)| {
                Ok((
                    *category,
                    match value {
                        Value::Text(text) => values::Prepared::Inline(values::prepare(*category, text)?),
                        Value::Bytes(bytes) => values::Prepared::Blob(self.stage_blob(bytes)?),
                    },
                ))
            })
            .collect::<Result<Vec<_>, KernelError>>()?;
        Ok(Fields { categories, prepared })
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The values stay out of logs; their categories say what they are.
        f.debug_struct("Fields").field("categories", &self.categories).finish_non_exhaustive()
    }
}

fn categories_of(fields: &[(Category, Value)]) -> Result<CategorySet, KernelError> {
    let mut set = CategorySet::EMPTY;
    for (category, _) in fields {
        if set.contains(*category) {
            return Err(KernelError::DuplicateCategory(*category));
        }
        set = set.with(*category);
    }
    Ok(set)
}

/// The relation check of [`Kernel`]'s every decision: whether a grant's
/// `scopes` reach `subject` (or `record`, for scopes of records) for the
/// person whose own file is `actor`, and — for `represented` — the one
/// file a session's `mandate` names (DigiD Machtigen). `Err` names the relation that is
/// missing. One indexed `Tx::related` per relation scope, in the order the
/// scopes are listed; none for a grant reaching everyone. Public so that
/// `grondslag-bench` times the check the kernel makes rather than a copy.
pub fn check_reach(
    tx: &mut dyn Tx,
    scopes: ScopeSet,
    actor: Option<&SubjectId>,
    mandate: Option<&SubjectId>,
    subject: Option<&SubjectId>,
    record: Option<&RecordId>,
) -> Result<Result<(), Denial>, StoreError> {
    let own = subject.is_some() && subject == actor;
    let mut failed: Option<StoreError> = None;
    let reached = reaches(scopes, own, |scope| {
        if scope == Scope::Represented && mandate.is_some() && subject == mandate {
            return true;
        }
        let object = if scope.of_record() { record.map(RecordId::as_str) } else { subject.map(SubjectId::as_str) };
        let actor = if scope == Scope::Staff { Some(ORGANISATION) } else { actor.map(SubjectId::as_str) };
        let (Some(object), Some(actor)) = (object, actor) else { return false };
        match tx.related(object, scope.name(), actor) {
            Ok(holds) => holds,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(reached),
    }
}

/// The chains new entries go to.
fn every_chain() -> Vec<Chain> {
    (0..Chain::COUNT).map(Chain::new).collect()
}

/// Verifies the audit log of `store` against the checkpoint key `keys`
/// (the public half only), and against `trusted`, the chains' heads in
/// combined checkpoints kept outside the database ([`witnessed_heads`]),
/// when given: every chain to its end, in one pass over the log, naming the
/// first fault of each chain that has one. `progress` gets the number of
/// entries checked so far.
pub fn verify_store(
    store: &dyn Store,
    keys: &CheckpointVerifier,
    trusted: Option<&Combined>,
    progress: &mut dyn FnMut(u64),
) -> Result<Verification, KernelError> {
    // Reading rows and hashing them are each about half the work: one
    // thread reads while this one hashes, with batches between them. The
    // batches go back to the reader to be filled again, so that each row is
    // freed by the thread that made it: a row freed on another thread costs
    // the allocator more, and this thread is the slower of the two.
    const BATCH: usize = 4096;
    let mut chains = Chains { keys, checkpoints: store.checkpoints()?, trusted, verifiers: std::collections::BTreeMap::new(), faults: Vec::new() };
    let (sender, batches) = std::sync::mpsc::sync_channel::<Batch>(4);
    let (give_back, returned) = std::sync::mpsc::channel::<Batch>();
    let mut checked = 0;
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || {
            let mut batch = Batch::default();
            let walked = store.audit_rows(0, &mut |row| {
                batch.fill(row);
                if batch.len == BATCH {
                    let next = returned.try_recv().unwrap_or_default();
                    // This thread stopped: stop reading.
                    sender.send(std::mem::replace(&mut batch, next)).map_err(|_| StoreError::Aborted)?;
                }
                Ok(())
            });
            match walked {
                Ok(()) if batch.len > 0 => sender.send(batch).map_err(|_| StoreError::Aborted),
                other => other,
            }
        });
        // Owned here, so that leaving early drops it and the reader's next
        // send fails instead of waiting forever.
        let batches = batches;
        for mut batch in batches {
            for row in batch.rows() {
                chains.push(row);
            }
            checked += batch.len as u64;
            progress(checked);
            batch.len = 0;
            // Fails only once the reader is done, and then nothing needs it.
            let _reader_done = give_back.send(batch);
        }
        match reader.join() {
            Ok(walked) => walked.map_err(KernelError::from),
            Err(_) => Err(KernelError::AuditEntry("the thread reading the audit log failed".to_string())),
        }
    })?;
    chains.finish()
}

/// Rows on their way from the reading thread to the checking one, and
/// back: the reader puts each new row in the place of one already checked,
/// dropping that one on the thread that made it.
#[derive(Default)]
struct Batch {
    slots: Vec<Row>,
    /// How many of `slots`, from the first, hold this batch's rows.
    len: usize,
}

impl Batch {
    fn fill(&mut self, row: Row) {
        match self.slots.get_mut(self.len) {
            Some(slot) => *slot = row,
            None => self.slots.push(row),
        }
        self.len += 1;
    }

    fn rows(&self) -> &[Row] {
        &self.slots[..self.len]
    }
}

/// The walk of [`verify_store`]: the rows come in the order written, and
/// each goes to its chain's [`Verifier`] (within a chain that order is the
/// chain's own), so the table is read in one pass.
struct Chains<'k> {
    keys: &'k CheckpointVerifier,
    /// Every stored checkpoint, as (chain, size, note).
    checkpoints: Vec<(Chain, u64, String)>,
    /// The chains' heads kept outside the database.
    trusted: Option<&'k Combined>,
    /// Each chain's verifier so far; `None` once it failed (the rest of
    /// its rows are skipped).
    verifiers: std::collections::BTreeMap<Chain, Option<Verifier>>,
    faults: Vec<(Chain, VerifyError)>,
}

impl Chains<'_> {
    fn push(&mut self, row: &Row) {
        if !self.verifiers.contains_key(&row.chain) {
            let verifier = self.verifier(row.chain);
            self.verifiers.insert(row.chain, Some(verifier));
        }
        if let Some(slot) = self.verifiers.get_mut(&row.chain)
            && let Some(verifier) = slot
            && let Err(fault) = verifier.push(row)
        {
            self.faults.push((row.chain, fault));
            *slot = None;
        }
    }

    fn verifier(&self, chain: Chain) -> Verifier {
        let checkpoints = self.checkpoints.iter().filter(|(of, _, _)| *of == chain).map(|(_, size, note)| (*size, note.clone())).collect();
        let verifier = Verifier::new(self.keys.clone(), chain, checkpoints);
        match self.trusted.and_then(|trusted| trusted.head(chain)) {
            Some(head) => verifier.trusting(head),
            None => verifier,
        }
    }

    /// Ends the walk: every chain is finished, those with checkpoints or a
    /// trusted head but no rows left too, so that their truncation is named.
    fn finish(mut self) -> Result<Verification, KernelError> {
        let trusted = self.trusted.map_or(&[][..], |trusted| &trusted.heads);
        let signed: Vec<Chain> = self.checkpoints.iter().map(|(chain, _, _)| *chain).chain(trusted.iter().map(|head| head.chain)).collect();
        for chain in signed {
            if !self.verifiers.contains_key(&chain) {
                let verifier = self.verifier(chain);
                self.verifiers.insert(chain, Some(verifier));
            }
        }
        let mut total = Verification::default();
        for (chain, verifier) in std::mem::take(&mut self.verifiers) {
            match verifier.map(Verifier::finish) {
                Some(Ok(done)) => total = total.and(done),
                Some(Err(fault)) => self.faults.push((chain, fault)),
                None => {}
            }
        }
        self.faults.sort_by_key(|(chain, _)| *chain);
        if self.faults.is_empty() { Ok(total) } else { Err(KernelError::Audit(AuditFaults(self.faults))) }
    }
}

/// Parses a stored audit entry (for reports).
pub fn parse_entry(text: &str) -> Result<Entry, KernelError> {
    Entry::parse(text).map_err(|e| KernelError::AuditEntry(e.to_string()))
}
