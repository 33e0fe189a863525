//! Where a sealed value belongs, bound into it as associated data: a field's
//! value to its subject, record, category and version (a blob's body also
//! to the blob); an event's detail to its subject, record and every
//! attribute of the event's own row (name, moment, actor, audience). So a
//! row moved to another place, an event's detail swapped with another's or
//! shown to another audience, and an older value of a field pasted back
//! (a rollback from a backup) do not open: the reader gets
//! [`KernelError::Tampered`], never the value.
//!
//! Data sealed before the version and the event's attributes were bound is
//! re-sealed once, when a kernel opens the store ([`Kernel::reseal`]).
//!
//! A blob's body is sealed under a key of its own ([`BlobKey`]), bound to
//! the blob's name, and that key is sealed under the subject's key in the
//! field naming the blob: so the body can be sealed and written before the
//! write that names it takes the store's writer (a recording or footage
//! of megabytes held SQLite's one writer while it was sealed, written and
//! synced), and erasing the subject's key still shreds it. Blobs sealed
//! before then, under the subject's key and the field's place, still open.

use std::sync::{Arc, Mutex, PoisonError};

use grondslag_crypto::{BlobKey, SubjectKey};
use grondslag_store::{BlobId, BlobStore, EventRow, FieldPut, FieldRow, Journal, StoreError};
use zeroize::Zeroizing;

use crate::{Detail, Kernel, KernelError, RecordId, RecordRef, SubjectId, Unit, Value, text};

/// The setting that says the store's data is sealed as this module seals it.
const SEALING_VERSION: &str = "sealing_version";
/// The value of [`SEALING_VERSION`] once every row is re-sealed.
const SEALED_AS: &[u8] = b"2";
/// The last record re-sealed, while a re-seal is under way.
const SEALING_PROGRESS: &str = "sealing_progress";
/// Records re-sealed in one transaction.
const RESEAL_BATCH: u64 = 500;

/// Calls `with` on the associated data of an event's detail: the record
/// and the row's own attributes (its detail aside). The moment is bound as
/// its nanoseconds, which the store keeps exactly.
fn event_context<T>(record: &RecordRef, row: &EventRow, with: impl FnOnce(&[&[u8]]) -> T) -> T {
    let at = row.at.as_nanosecond().to_be_bytes();
    let mut parts: Vec<&[u8]> =
        vec![record.subject.as_str().as_bytes(), record.record.as_str().as_bytes(), b"event", row.event.as_bytes(), &at, row.actor.as_bytes()];
    // Each part is length-prefixed, so an event for everyone (no part) differs from any audience.
    parts.extend(row.audience.as_deref().map(str::as_bytes));
    with(&parts)
}

/// Associated data of a field's value.
fn field_context<'a>(subject: &'a SubjectId, record: &'a RecordId, category: &'a str, version: &'a [u8; 8]) -> [&'a [u8]; 4] {
    [subject.as_str().as_bytes(), record.as_str().as_bytes(), category.as_bytes(), version]
}

/// Associated data of the body of the blob a field names, as blobs were
/// sealed under the subject's key before they had keys of their own.
fn blob_context<'a>(field: &[&'a [u8]; 4], blob: &'a BlobId) -> [&'a [u8]; 5] {
    [field[0], field[1], field[2], field[3], blob.as_str().as_bytes()]
}

/// `plain` sealed as the value of `category` at `version` in `record`.
pub(crate) fn seal_field(key: &SubjectKey, record: &RecordRef, category: &str, version: u64, plain: &[u8]) -> Result<Vec<u8>, KernelError> {
    let at = version.to_be_bytes();
    Ok(key.seal(&field_context(&record.subject, &record.record, category, &at), plain)?)
}

/// The stored version of `category` among a record's field versions
/// ([`grondslag_store::Tx::field_versions`]), and the blob it names.
pub(crate) fn find_version(stored: &[(String, u64, Option<BlobId>)], category: &str) -> Option<(u64, Option<BlobId>)> {
    stored.iter().find(|(c, _, _)| c == category).map(|(_, version, blob)| (*version, blob.clone()))
}

/// The stored version of one field of `record`.
pub(crate) fn stored_version(tx: &mut dyn grondslag_store::Tx, record: &RecordId, category: &str) -> Result<Option<(u64, Option<BlobId>)>, KernelError> {
    Ok(find_version(&tx.field_versions(record)?, category))
}

/// The version a field is written as, and the blob it named: one more than
/// the stored one, or 1 for a new field.
pub(crate) fn next_version(stored: Option<(u64, Option<BlobId>)>) -> (u64, Option<BlobId>) {
    stored.map_or((1, None), |(version, blob)| (version + 1, blob))
}

/// The error of a sealed value that does not open where it is stored,
/// logged here with the record it names.
fn tampered(record: &RecordId, what: String) -> KernelError {
    tracing::error!(%record, what, "a sealed value does not open where it is stored: the row was altered, moved or rolled back");
    KernelError::Tampered { record: record.clone(), what }
}

/// The row of `event` on `record`, at `at` by `actor`, with `detail`
/// sealed into it for its audience.
pub(crate) fn seal_event(
    key: &SubjectKey,
    record: &RecordRef,
    event: &str,
    (at, actor): (jiff::Timestamp, &str),
    detail: Option<Detail<'_>>,
) -> Result<EventRow, KernelError> {
    let mut row = EventRow { event: event.to_string(), at, actor: actor.to_string(), detail: None, audience: detail.map(|d| d.audience.name().to_string()) };
    row.detail = detail.map(|detail| event_context(record, &row, |aad| key.seal(aad, detail.text.as_bytes()))).transpose()?;
    Ok(row)
}

/// Opens the detail `sealed` of the event `row`.
pub(crate) fn open_event(key: &SubjectKey, record: &RecordRef, row: &EventRow, sealed: &[u8]) -> Result<String, KernelError> {
    let plain =
        event_context(record, row, |aad| key.open(aad, sealed)).map_err(|_| tampered(&record.record, format!("the detail of event `{}`", row.event)))?;
    text(plain.to_vec())
}

impl Kernel {
    /// Seals `plain` as `version` of the record's field `category` and
    /// stores it; `blob` when `plain` is the id of the blob that holds the value.
    pub(crate) fn put_sealed(
        &self,
        tx: &mut dyn grondslag_store::Tx,
        key: &SubjectKey,
        record: &RecordRef,
        (category, version): (&str, u64),
        plain: &[u8],
        blob: Option<&BlobId>,
    ) -> Result<(), KernelError> {
        let value = seal_field(key, record, category, version, plain)?;
        tx.put_fields(&record.record, &[FieldPut { category, value: &value, blob, version }])?;
        Ok(())
    }

    /// Opens a stored field of `subject` (its blob's body too).
    pub(crate) fn open_field(&self, key: &SubjectKey, subject: &SubjectId, field: &FieldRow) -> Result<Value, KernelError> {
        let (record, version) = (&field.record, field.version.to_be_bytes());
        let context = field_context(subject, record, &field.category, &version);
        let what = || format!("field `{}` (version {})", field.category, field.version);
        let plain = key.open(&context, &field.value).map_err(|_| tampered(record, what()))?;
        let Some(blob) = &field.blob else { return Ok(Value::Text(text(plain.to_vec())?)) };
        let Some(own) = plain.strip_prefix(blob.as_str().as_bytes()) else { return Err(tampered(record, what())) };
        let sealed = self.blobs.get(blob)?;
        let body = match own {
            [] => key.open(&blob_context(&context, blob), &sealed),
            own => BlobKey::from_slice(own).and_then(|own| own.open(&[blob.as_str().as_bytes()], &sealed)),
        };
        Ok(Value::Bytes(body.map_err(|_| tampered(record, format!("the file of {}", what())))?.to_vec()))
    }

    /// Re-seals, once, what was sealed before fields had versions and events
    /// bound their rows: in batches of records in the order of their ids,
    /// each batch in one transaction that also notes the last record done,
    /// so a process killed mid-way goes on where it stopped and loses
    /// nothing. A subject whose key was erased cannot be opened, nor can a
    /// value that does not open under its old place: those are left as they
    /// are (unreadable either way) and counted in a warning.
    ///
    /// It appends no audit entries: it decides nothing, shows nobody
    /// anything and changes no value, only the ciphertext around it.
    pub(crate) fn reseal(&self) -> Result<(), KernelError> {
        if self.plain(|tx| tx.setting(SEALING_VERSION))?.as_deref() == Some(SEALED_AS) {
            return Ok(());
        }
        let mut counts = Counts::default();
        loop {
            let batch = self.unit(|unit| unit.reseal_batch())?;
            if batch.records == 0 {
                break;
            }
            counts.records += batch.records;
            counts.shredded += batch.shredded;
            counts.unreadable += batch.unreadable;
        }
        if counts.records > 0 {
            tracing::info!(records = counts.records, "re-sealed the stored data bound to its place");
        }
        if counts.shredded > 0 || counts.unreadable > 0 {
            tracing::warn!(
                shredded = counts.shredded,
                unreadable = counts.unreadable,
                "left sealed values that could not be re-sealed: of subjects whose key was erased, or not opening under their old place"
            );
        }
        Ok(())
    }
}

/// What a re-seal did and left.
#[derive(Default)]
struct Counts {
    records: u64,
    /// Values of subjects whose key is gone.
    shredded: u64,
    /// Values that did not open.
    unreadable: u64,
}

impl Unit<'_> {
    /// Stores `staged` as `version` of the record's field `category`;
    /// `replaced`, the blob the field named, goes once the unit commits.
    pub(crate) fn put_blob(
        &mut self,
        key: &SubjectKey,
        record: &RecordRef,
        category: &str,
        (version, replaced): (u64, Option<BlobId>),
        staged: &Arc<Staged>,
    ) -> Result<(), KernelError> {
        if staged.fate() != Fate::Unnamed || self.written.iter().any(|written| Arc::ptr_eq(written, staged)) {
            return Err(KernelError::StagedTwice);
        }
        self.written.push(Arc::clone(staged));
        self.erased.extend(replaced);
        self.kernel.put_sealed(self.tx, key, record, (category, version), &staged.named(), Some(&staged.id))
    }

    /// Re-seals the next batch of records; returns what it did, no records
    /// when all are done (and the store is marked so).
    fn reseal_batch(&mut self) -> Result<Counts, KernelError> {
        let mut counts = Counts::default();
        let after = match self.tx.setting(SEALING_PROGRESS)? {
            Some(id) => Some(std::str::from_utf8(&id).ok().and_then(|id| RecordId::parse(id).ok()).ok_or(StoreError::Corrupt("settings.sealing_progress"))?),
            None => None,
        };
        let records = self.tx.records_after(after.as_ref(), RESEAL_BATCH)?;
        for row in &records {
            let record = RecordRef { subject: row.subject.clone(), record: row.record.clone() };
            match self.kernel.subject_key(self.tx, &record.subject) {
                Ok((key, _)) => self.reseal_record(&key, &record, &mut counts)?,
                Err(KernelError::UnknownSubject(_)) => {
                    let events = self.tx.events(&record.record)?.iter().filter(|e| e.detail.is_some()).count();
                    counts.shredded += (self.tx.record_fields(&record.record)?.len() + events) as u64;
                }
                Err(e) => return Err(e),
            }
        }
        match records.last() {
            Some(last) => self.tx.set_setting(SEALING_PROGRESS, last.record.as_str().as_bytes())?,
            None => self.tx.set_setting(SEALING_VERSION, SEALED_AS)?,
        }
        counts.records = records.len() as u64;
        Ok(counts)
    }

    /// Re-seals one record's fields (their blobs' bodies into new blobs)
    /// and event details from their old associated data.
    fn reseal_record(&mut self, key: &SubjectKey, record: &RecordRef, counts: &mut Counts) -> Result<(), KernelError> {
        let (subject, id) = (record.subject.as_str().as_bytes(), record.record.as_str().as_bytes());
        for field in self.tx.record_fields(&record.record)? {
            let old = [subject, id, field.category.as_bytes()];
            let Ok(plain) = key.open(&old, &field.value) else {
                counts.unreadable += 1;
                continue;
            };
            let Some(blob) = field.blob else {
                self.kernel.put_sealed(self.tx, key, record, (&field.category, field.version), &plain, None)?;
                continue;
            };
            let body = self.kernel.blobs.get(&blob).ok().filter(|_| plain.as_slice() == blob.as_str().as_bytes());
            let Some(Ok(bytes)) = body.map(|body| key.open(&[subject, id, field.category.as_bytes(), blob.as_str().as_bytes()], &body)) else {
                counts.unreadable += 1;
                continue;
            };
            let staged = self.kernel.stage_blob(&bytes)?;
            self.put_blob(key, record, &field.category, (field.version, Some(blob)), &staged)?;
        }
        for (number, row) in self.tx.numbered_events(&record.record)? {
            let Some(sealed) = &row.detail else { continue };
            let Ok(plain) = key.open(&[subject, id, b"event", row.event.as_bytes()], sealed) else {
                counts.unreadable += 1;
                continue;
            };
            let resealed = event_context(record, &row, |aad| key.seal(aad, &plain))?;
            self.tx.set_event_detail(number, &resealed)?;
        }
        Ok(())
    }
}

/// A blob sealed under a key of its own and written before the unit that
/// names it ([`Kernel::prepare`]), named in a journal first. Once the last
/// holder lets go — the prepared fields and the units that wrote them — it
/// is removed unless a unit naming it committed, or left to the next start
/// when nobody can tell.
pub(crate) struct Staged {
    pub(crate) id: BlobId,
    key: BlobKey,
    blobs: BlobStore,
    /// The journal naming it, or `None` when a bulk load's journal does.
    journal: Option<Journal>,
    fate: Mutex<Fate>,
}

/// What became of a staged blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// No committed row names it (yet).
    Unnamed,
    /// A committed row names it.
    Named,
    /// The commit of the unit naming it was lost: its journal is left for
    /// the next start, which keeps it only if a row names it.
    Unknown,
}

impl Staged {
    /// What the field naming the blob keeps sealed: the blob's name, then its key.
    fn named(&self) -> Zeroizing<Vec<u8>> {
        let mut named = Zeroizing::new(Vec::with_capacity(self.id.as_str().len() + BlobKey::LEN));
        named.extend_from_slice(self.id.as_str().as_bytes());
        named.extend_from_slice(self.key.bytes());
        named
    }

    pub(crate) fn fate(&self) -> Fate {
        *self.fate.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn settle(&self, fate: Fate) {
        *self.fate.lock().unwrap_or_else(PoisonError::into_inner) = fate;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let journal = self.journal.take();
        match self.fate() {
            Fate::Unknown => drop(journal),
            Fate::Named => crate::unit::close(journal),
            Fate::Unnamed => {
                if let Err(e) = self.blobs.delete(&self.id) {
                    tracing::warn!(error = %e, "could not remove a prepared blob no record names");
                }
                crate::unit::close(journal);
            }
        }
    }
}

impl Kernel {
    /// Seals `bytes` under a key of their own into a new blob and writes it,
    /// needing neither the store nor the subject: see [`Staged`].
    pub(crate) fn stage_blob(&self, bytes: &[u8]) -> Result<Arc<Staged>, KernelError> {
        let (id, key) = (BlobId::random(), BlobKey::generate());
        let sealed = key.seal(&[id.as_str().as_bytes()], bytes)?;
        let mut journal = None;
        let durable = self.note_blobs(&mut journal, std::slice::from_ref(&id))?;
        // Made before the file is written, so that a failed write is removed with it.
        let staged = Arc::new(Staged { id, key, blobs: self.blobs.clone(), journal, fate: Mutex::new(Fate::Unnamed) });
        self.blobs.put(&staged.id, &sealed, durable)?;
        Ok(staged)
    }
}
