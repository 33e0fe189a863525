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

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod decide;
mod open;
mod values;

use std::fmt;

use grondslag_audit::{CheckpointSigner, Entry, Frontier, Outcome, Row, SpanId, TraceId, Verification, Verifier, VerifyError};
use grondslag_crypto::{CryptoError, Keyring, SubjectKey};
use grondslag_register::{Action, Category, CategorySet, ProcessingId, RecipientId, Register, Role};
use grondslag_store::{BlobId, BlobStore, DisclosureRow, Erased, FieldRow, RecordId, Store, StoreError, SubjectId, Tx};

pub use decide::{Denial, Question, decide};
pub use open::{DataDir, OpenError};
pub use values::Value;

/// The origin (log name) in signed checkpoints.
pub const AUDIT_ORIGIN: &str = "grondslag.local/audit";

/// The setting holding the master key's check value.
const KEY_CHECK: &str = "master_key_check";

/// How `data_subject_id` is to be read, in LDV terms.
const SUBJECT_ID_TYPE: &str = "grondslag-pseudonym";

/// Who acts, in which operation, at what time.
#[derive(Clone, Debug)]
pub struct Access {
    /// The acting person or process (an account name, never a BSN).
    pub actor: String,
    pub role: Role,
    /// Where the request came from: a command, an address.
    pub origin: String,
    /// One trace per operation; each subject touched gets its own span.
    pub trace: TraceId,
    pub parent_span: Option<SpanId>,
    pub now: jiff::Timestamp,
}

impl Access {
    pub fn new(actor: impl Into<String>, role: Role, origin: impl Into<String>, now: jiff::Timestamp) -> Access {
        Access { actor: actor.into(), role, origin: origin.into(), trace: TraceId::random(), parent_span: None, now }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("unknown processing `{0}`; `grondslag register render` lists the processings")]
    UnknownProcessing(String),
    #[error("unknown recipient `{0}`")]
    UnknownRecipient(String),
    #[error("denied under `{processing}`: {denial}")]
    Denied { processing: String, denial: Denial },
    #[error("{category}: {source}")]
    Invalid { category: Category, source: grondslag_values::InvalidValue },
    #[error("{0} is given twice in one write")]
    DuplicateCategory(Category),
    #[error("{category} must be given as {expected}")]
    WrongValueKind { category: Category, expected: &'static str },
    #[error("no subject {0}")]
    UnknownSubject(SubjectId),
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
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    #[error("audit log does not verify: {0}")]
    Audit(#[from] VerifyError),
    #[error("an audit entry in the store cannot be read: {0}")]
    AuditEntry(String),
}

/// What a write created or changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub subject: SubjectId,
    pub record: RecordId,
}

/// One record as a read or disclosure returns it: only the allowed fields.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordView {
    pub record: RecordId,
    pub processing: String,
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
    pub fn get(&self, category: Category) -> Option<&Value> {
        self.fields.iter().find(|(c, _)| *c == category).map(|(_, v)| v)
    }
}

#[derive(Debug)]
pub struct Kernel {
    register: Register,
    store: Box<dyn Store>,
    blobs: BlobStore,
    keys: Keyring,
    signer: CheckpointSigner,
    checkpoint_every: u64,
}

/// The outcome of the work inside a transaction, carried out of the
/// store's closure.
enum Verdict<T> {
    Allowed(T),
    Denied(Denial),
}

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

impl Kernel {
    /// Assembles a kernel. The first kernel on a store records a check value
    /// of its master key; a later one with another key is refused, before it
    /// could write data nobody can read back.
    pub fn new(register: Register, store: Box<dyn Store>, blobs: BlobStore, keys: Keyring, signer: CheckpointSigner) -> Result<Kernel, KernelError> {
        let check = keys.blind_index("key-check", "grondslag master key");
        let mut matches = true;
        store.transaction(&mut |tx| {
            match tx.setting(KEY_CHECK)? {
                Some(stored) => matches = stored == check,
                None => tx.set_setting(KEY_CHECK, &check)?,
            }
            Ok(())
        })?;
        if !matches {
            return Err(KernelError::WrongMasterKey);
        }
        Ok(Kernel { register, store, blobs, keys, signer, checkpoint_every: 1000 })
    }

    /// Sign a checkpoint every `n` audit entries (at least 1).
    #[must_use]
    pub fn with_checkpoint_every(mut self, n: u64) -> Kernel {
        self.checkpoint_every = n.max(1);
        self
    }

    pub fn register(&self) -> &Register {
        &self.register
    }

    pub fn processing(&self, id: &str) -> Result<ProcessingId, KernelError> {
        self.register.processing_id(id).ok_or_else(|| KernelError::UnknownProcessing(id.to_string()))
    }

    pub fn recipient(&self, id: &str) -> Result<RecipientId, KernelError> {
        self.register.recipient_id(id).ok_or_else(|| KernelError::UnknownRecipient(id.to_string()))
    }

    /// Stores `fields` under `processing` for `subject` (a new subject when
    /// `None`), in `record` (a new record when `None`).
    pub fn write(
        &self,
        access: &Access,
        processing: ProcessingId,
        subject: Option<&SubjectId>,
        record: Option<&RecordId>,
        fields: &[(Category, Value)],
    ) -> Result<Written, KernelError> {
        let categories = categories_of(fields)?;
        let prepared = fields
            .iter()
            .map(|(category, value)| Ok((*category, values::prepare(*category, value)?)))
            .collect::<Result<Vec<_>, KernelError>>()?;
        let processing_name = &self.register.processing(processing).id;
        let subject = subject.cloned();
        let is_new = subject.is_none();
        let subject_id = subject.unwrap_or_else(SubjectId::random);
        let record_id = record.cloned().unwrap_or_else(RecordId::random);
        let mut blobs_written: Vec<BlobId> = Vec::new();

        let result = self.transact(|tx| {
            let existing = if is_new { None } else { Some(self.subject_key(tx, &subject_id)?) };
            let restricted = existing.as_ref().is_some_and(|(_, restricted)| *restricted);
            let question = self.question(access.role, Action::Write, processing, categories, restricted);
            if let Err(denial) = decide(&self.register, question) {
                // A denied write creates no subject, so names none.
                self.audit(tx, access, Event::denied(processing, "write", record_id.to_string(), (!is_new).then_some(&subject_id), categories, denial))?;
                return Ok(Verdict::Denied(denial));
            }
            let key = match existing {
                Some((key, _)) => key,
                None => {
                    let key = SubjectKey::generate();
                    tx.insert_subject(&subject_id, &self.keys.wrap(&key, subject_id.as_str())?, access.now)?;
                    key
                }
            };
            if let Some(record) = record
                && tx.record_owner(record)?.is_some_and(|(s, p)| s != subject_id || &p != processing_name)
            {
                return Err(KernelError::RecordMismatch { record: record.clone() });
            }
            tx.upsert_record(&record_id, &subject_id, processing_name, access.now)?;
            for (category, value) in &prepared {
                let context = [subject_id.as_str().as_bytes(), record_id.as_str().as_bytes(), category.name().as_bytes()];
                match value {
                    values::Prepared::Inline(text) => {
                        tx.put_field(&record_id, category.name(), &key.seal(&context, text.as_bytes())?, None)?;
                        if *category == Category::Bsn {
                            let digest = self.keys.blind_index("bsn", text);
                            if tx.find_blind_index("bsn", &digest)?.is_some_and(|s| s != subject_id) {
                                return Err(KernelError::DuplicateBsn);
                            }
                            tx.set_blind_index("bsn", &digest, &subject_id)?;
                        }
                    }
                    values::Prepared::Blob(bytes) => {
                        let blob = BlobId::random();
                        let blob_context = [context[0], context[1], context[2], blob.as_str().as_bytes()];
                        self.blobs.put(&blob, &key.seal(&blob_context, bytes)?)?;
                        blobs_written.push(blob.clone());
                        tx.put_field(&record_id, category.name(), &key.seal(&context, blob.as_str().as_bytes())?, Some(&blob))?;
                    }
                }
            }
            self.audit(tx, access, Event::allowed(processing, "write", record_id.to_string(), Some(&subject_id), categories))?;
            Ok(Verdict::Allowed(Written { subject: subject_id.clone(), record: record_id.clone() }))
        });
        if result.is_err() {
            // The rows naming these blobs were rolled back; the files are
            // ciphertext, but they should not linger.
            for blob in &blobs_written {
                if let Err(e) = self.blobs.delete(blob) {
                    tracing::warn!(error = %e, "could not remove the blob of a rolled-back write");
                }
            }
        }
        self.finish(processing, result)
    }

    /// Returns the subject's records under `processing`, with only the
    /// categories this role may read there (asked-for ∩ allowed).
    pub fn read(&self, access: &Access, processing: ProcessingId, subject: &SubjectId, wanted: CategorySet) -> Result<Vec<RecordView>, KernelError> {
        let result = self.transact(|tx| {
            let (key, restricted) = self.subject_key(tx, subject)?;
            let question = self.question(access.role, Action::Read, processing, wanted, restricted);
            let allowed = match decide(&self.register, question) {
                Ok(allowed) => allowed,
                Err(denial) => {
                    self.audit(tx, access, Event::denied(processing, "read", subject.to_string(), Some(subject), wanted, denial))?;
                    return Ok(Verdict::Denied(denial));
                }
            };
            let views = self.open_fields(tx, &key, subject, processing, allowed)?;
            self.audit(tx, access, Event::allowed(processing, "read", subject.to_string(), Some(subject), allowed))?;
            Ok(Verdict::Allowed(views))
        });
        self.finish(processing, result)
    }

    /// Hands the subject's data under `processing` to `recipient`: exactly the
    /// categories the register gives that recipient, and the disclosure is
    /// recorded. `legal_check` names the recorded check for recipients served
    /// only by legal obligation (E15.LEGAL).
    pub fn disclose(
        &self,
        access: &Access,
        processing: ProcessingId,
        subject: &SubjectId,
        recipient: RecipientId,
        legal_check: Option<&str>,
    ) -> Result<Vec<RecordView>, KernelError> {
        let recipient_name = &self.register.recipient(recipient).id;
        let object = format!("recipient:{recipient_name}");
        let result = self.transact(|tx| {
            let (key, restricted) = self.subject_key(tx, subject)?;
            let mut question = self.question(access.role, Action::Disclose, processing, CategorySet::EMPTY, restricted);
            question.recipient = Some(recipient);
            question.legal_check_recorded = legal_check.is_some();
            let shared = match decide(&self.register, question) {
                Ok(shared) => shared,
                Err(denial) => {
                    self.audit(tx, access, Event::denied(processing, "disclose", object.clone(), Some(subject), CategorySet::EMPTY, denial))?;
                    return Ok(Verdict::Denied(denial));
                }
            };
            let views = self.open_fields(tx, &key, subject, processing, shared)?;
            tx.insert_disclosure(&DisclosureRow {
                subject: subject.clone(),
                processing: self.register.processing(processing).id.clone(),
                recipient: recipient_name.clone(),
                categories: shared.to_string(),
                actor: access.actor.clone(),
                trace_id: access.trace.to_string(),
                at: access.now,
            })?;
            let mut event = Event::allowed(processing, "disclose", object.clone(), Some(subject), shared);
            if let Some(check) = legal_check {
                event.reason = format!("legal obligation checked: {check}");
            }
            self.audit(tx, access, event)?;
            Ok(Verdict::Allowed(views))
        });
        self.finish(processing, result)
    }

    /// Erases the subject: rows, blind-index entries, blobs and the key.
    pub fn erase(&self, access: &Access, processing: ProcessingId, subject: &SubjectId) -> Result<Erased, KernelError> {
        let result = self.transact(|tx| {
            let (_, restricted) = self.subject_key(tx, subject)?;
            let question = self.question(access.role, Action::Erase, processing, CategorySet::EMPTY, restricted);
            let erasable = match decide(&self.register, question) {
                Ok(erasable) => erasable,
                Err(denial) => {
                    self.audit(tx, access, Event::denied(processing, "erase", subject.to_string(), Some(subject), CategorySet::EMPTY, denial))?;
                    return Ok(Verdict::Denied(denial));
                }
            };
            let erased = tx.erase_subject(subject)?;
            let mut event = Event::allowed(processing, "erase", subject.to_string(), Some(subject), erasable);
            event.reason = format!("erased {} records, {} fields, {} blobs and the subject key", erased.records, erased.fields, erased.blobs.len());
            self.audit(tx, access, event)?;
            Ok(Verdict::Allowed(erased))
        });
        let erased = self.finish(processing, result)?;
        for blob in &erased.blobs {
            // Committed: the key is gone, so a blob left behind by a failure
            // here is unreadable ciphertext; report, do not undo the erasure.
            if let Err(e) = self.blobs.delete(blob) {
                tracing::warn!(error = %e, "could not remove the blob of an erased subject");
            }
        }
        Ok(erased)
    }

    /// Finds a subject by BSN through the blind index. A lookup is a read of
    /// the BSN under `processing`, and audited as one.
    pub fn find_by_bsn(&self, access: &Access, processing: ProcessingId, bsn: &str) -> Result<Option<SubjectId>, KernelError> {
        let bsn = grondslag_values::Bsn::parse(bsn).map_err(|source| KernelError::Invalid { category: Category::Bsn, source })?;
        let categories = CategorySet::EMPTY.with(Category::Bsn);
        let digest = self.keys.blind_index("bsn", bsn.as_str());
        let result = self.transact(|tx| {
            let question = self.question(access.role, Action::Read, processing, categories, false);
            if let Err(denial) = decide(&self.register, question) {
                self.audit(tx, access, Event::denied(processing, "lookup", "bsn".to_string(), None, categories, denial))?;
                return Ok(Verdict::Denied(denial));
            }
            let found = tx.find_blind_index("bsn", &digest)?;
            let mut event = Event::allowed(processing, "lookup", "bsn".to_string(), found.as_ref(), categories);
            event.reason = if found.is_some() { "found" } else { "not found" }.to_string();
            self.audit(tx, access, event)?;
            Ok(Verdict::Allowed(found))
        });
        self.finish(processing, result)
    }

    /// Sets or lifts the art. 18 restriction. Only under the rights process.
    pub fn restrict(&self, access: &Access, processing: ProcessingId, subject: &SubjectId, restricted: bool) -> Result<(), KernelError> {
        let action = if restricted { "restrict" } else { "lift_restriction" };
        let result = self.transact(|tx| {
            let (_, was_restricted) = self.subject_key(tx, subject)?;
            let question = self.question(access.role, Action::Write, processing, CategorySet::EMPTY, was_restricted);
            let denial = match decide(&self.register, question) {
                Ok(_) if self.register.processing(processing).rights_process => None,
                Ok(_) => Some(Denial::RoleNotAllowed { role: access.role, action: Action::Write }),
                Err(denial) => Some(denial),
            };
            if let Some(denial) = denial {
                self.audit(tx, access, Event::denied(processing, action, subject.to_string(), Some(subject), CategorySet::EMPTY, denial))?;
                return Ok(Verdict::Denied(denial));
            }
            tx.set_restricted(subject, restricted)?;
            self.audit(tx, access, Event::allowed(processing, action, subject.to_string(), Some(subject), CategorySet::EMPTY))?;
            Ok(Verdict::Allowed(()))
        });
        self.finish(processing, result)
    }

    /// Signs a checkpoint over the whole log now (on shutdown, and before a
    /// verification that should cover the latest entries).
    pub fn seal(&self) -> Result<u64, KernelError> {
        let mut size = 0;
        self.transact(|tx| {
            size = tx.audit_head()?.map_or(0, |(seq, _)| seq);
            self.checkpoint(tx, size)?;
            Ok(Verdict::Allowed(()))
        })?;
        Ok(size)
    }

    /// Checks the whole audit log: chain, hashes and signed checkpoints.
    pub fn verify_audit(&self, mut progress: impl FnMut(u64)) -> Result<Verification, KernelError> {
        verify_store(self.store.as_ref(), &self.signer, &mut progress)
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
        processing: ProcessingId,
        allowed: CategorySet,
    ) -> Result<Vec<RecordView>, KernelError> {
        let processing_name = &self.register.processing(processing).id;
        let mut views: Vec<RecordView> = Vec::new();
        for FieldRow { record, processing: _, category, value, blob } in tx.fields(subject, Some(processing_name))? {
            let Some(category) = Category::from_name(&category).filter(|c| allowed.contains(*c)) else { continue };
            let context = [subject.as_str().as_bytes(), record.as_str().as_bytes(), category.name().as_bytes()];
            let plain = key.open(&context, &value)?;
            let value = match blob {
                None => Value::Text(String::from_utf8(plain.to_vec()).map_err(|_| KernelError::Crypto(CryptoError::Open))?),
                Some(blob) => {
                    if plain.as_slice() != blob.as_str().as_bytes() {
                        return Err(KernelError::Crypto(CryptoError::Open));
                    }
                    let blob_context = [context[0], context[1], context[2], blob.as_str().as_bytes()];
                    Value::Bytes(key.open(&blob_context, &self.blobs.get(&blob)?)?.to_vec())
                }
            };
            match views.last_mut() {
                Some(view) if view.record == record => view.fields.push((category, value)),
                _ => views.push(RecordView { record, processing: processing_name.clone(), fields: vec![(category, value)] }),
            }
        }
        for view in &mut views {
            view.fields.sort_by_key(|(category, _)| *category);
        }
        Ok(views)
    }

    fn audit(&self, tx: &mut dyn Tx, access: &Access, event: Event<'_>) -> Result<(), KernelError> {
        let processing = self.register.processing(event.processing);
        let entry = Entry {
            timestamp: access.now,
            trace_id: access.trace,
            span_id: SpanId::random(),
            parent_span_id: access.parent_span,
            processing_activity_id: self.register.processing_uri(event.processing),
            processing: processing.id.clone(),
            data_subject_id: event.subject.map(ToString::to_string),
            data_subject_id_type: event.subject.map(|_| SUBJECT_ID_TYPE.to_string()),
            actor: access.actor.clone(),
            role: access.role.name().to_string(),
            action: event.action.to_string(),
            object: event.object,
            categories: event.categories.iter().map(|c| c.name().to_string()).collect(),
            outcome: event.outcome,
            status_code: if event.outcome == Outcome::Allowed { "OK" } else { "ERROR" }.to_string(),
            reason: event.reason,
            origin: access.origin.clone(),
        };
        let row = Row::next(tx.audit_head()?, &entry);
        tx.append_audit(&row)?;
        if row.seq.is_multiple_of(self.checkpoint_every) {
            self.checkpoint(tx, row.seq)?;
        }
        Ok(())
    }

    fn checkpoint(&self, tx: &mut dyn Tx, size: u64) -> Result<(), KernelError> {
        let (from, mut frontier) = match tx.last_checkpoint()? {
            Some((last, _)) if last >= size => return Ok(()),
            Some((last, bytes)) => (last, Frontier::from_bytes(&bytes).ok_or(StoreError::Corrupt("audit_checkpoints.frontier"))?),
            None => (0, Frontier::default()),
        };
        for leaf in tx.audit_leaves_after(from)? {
            frontier.push(leaf);
        }
        if frontier.size() == size && size > 0 {
            let note = self.signer.sign(size, &frontier.root());
            tx.insert_checkpoint(size, &note, &frontier.to_bytes())?;
        }
        Ok(())
    }

    /// Runs `work` in one transaction. A denial is committed (its audit entry
    /// must stay); any error rolls everything back.
    fn transact<T>(&self, mut work: impl FnMut(&mut dyn Tx) -> Result<Verdict<T>, KernelError>) -> Result<Verdict<T>, KernelError> {
        let mut outcome: Option<Result<Verdict<T>, KernelError>> = None;
        let stored = self.store.transaction(&mut |tx| match work(tx) {
            Ok(verdict) => {
                outcome = Some(Ok(verdict));
                Ok(())
            }
            Err(KernelError::Store(e)) => Err(e),
            Err(e) => {
                outcome = Some(Err(e));
                Err(StoreError::Aborted)
            }
        });
        match (stored, outcome) {
            (Ok(()), Some(result)) => result,
            (Err(StoreError::Aborted), Some(Err(e))) => Err(e),
            (Err(e), _) => Err(KernelError::Store(e)),
            (Ok(()), None) => Err(KernelError::Store(StoreError::Aborted)),
        }
    }

    fn finish<T>(&self, processing: ProcessingId, result: Result<Verdict<T>, KernelError>) -> Result<T, KernelError> {
        match result? {
            Verdict::Allowed(value) => Ok(value),
            Verdict::Denied(denial) => Err(KernelError::Denied { processing: self.register.processing(processing).id.clone(), denial }),
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

    fn denied(processing: ProcessingId, action: &'a str, object: String, subject: Option<&'a SubjectId>, categories: CategorySet, denial: Denial) -> Self {
        Event { processing, action, object, subject, categories, outcome: Outcome::Denied, reason: denial.code().to_string() }
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

/// Verifies the audit log of `store` against the checkpoint key of `signer`.
pub fn verify_store(store: &dyn Store, signer: &CheckpointSigner, progress: &mut dyn FnMut(u64)) -> Result<Verification, KernelError> {
    let mut verifier = Verifier::new(signer.verifier(), store.checkpoints()?);
    let mut failure: Option<VerifyError> = None;
    let walked = store.audit_rows(&mut |row| {
        if let Err(e) = verifier.push(&row) {
            failure = Some(e);
            return Err(StoreError::Aborted);
        }
        progress(row.seq);
        Ok(())
    });
    if let Some(e) = failure {
        return Err(KernelError::Audit(e));
    }
    walked?;
    Ok(verifier.finish()?)
}

/// Parses a stored audit entry (for reports).
pub fn parse_entry(text: &str) -> Result<Entry, KernelError> {
    Entry::parse(text).map_err(|e| KernelError::AuditEntry(e.to_string()))
}
