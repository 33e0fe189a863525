//! The unit of work: every kernel call of one domain operation (filing a
//! case with its events, number and index entries; filing a request;
//! recording an authorisation) in one store transaction, with its audit
//! entries, so that the operation happens entirely or not at all.
//!
//! A refusal inside a unit ends the operation, but its audit entry stays:
//! when the unit rolls back, the refusals it audited are appended again in
//! a transaction of their own. So does a failure: an allowed call whose
//! work the store (or sealing) failed leaves a line with outcome `failed`
//! (LDV status `Error`) and the kind of fault, appended after the unit
//! ended, since the failing transaction may take nothing more.
//!
//! A unit's audit entries wait in the unit and are chained when it ends,
//! the heads of their chains read once: in a writing unit just before its
//! commit, in the same transaction as its changes; in a reading unit
//! ([`Kernel::reading`]), whose work runs on a reading connection that never
//! waits for the writer, in a write of their own before the result is
//! handed back, together with the entries of the reads that ended
//! meanwhile (`appender`; on PostgreSQL beside other writes, holding only
//! its chains' locks). A writing unit on PostgreSQL runs beside other
//! writes too: it holds each person it reads or writes until it commits
//! (`Tx::subject`), and takes its chains' locks last. The chains are read
//! from the store in each transaction (the kernel keeps no head or
//! frontier in memory), so a rolled-back unit leaves nothing behind to go
//! on from.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use grondslag_audit::Entry;
use grondslag_register::{Action, Category, CategorySet, ProcessingId, RecipientId, Scope};
use grondslag_store::{BlobId, Durable, Erased, Journal, StoreError, Tx};

use crate::sealing::{Fate, Staged};
use crate::{
    Access, Allowed, Detail, Kernel, KernelError, RecordEvent, RecordId, RecordRef, RecordSummary, RecordView, SubjectExport, SubjectId, Value, witness,
};

/// How often a unit runs before a write at the same moment that stopped it
/// is its answer: PostgreSQL stops one of two writes that each wait for a
/// person the other holds (a deadlock), and the same work run again waits
/// for the other to commit, then goes on from what it wrote.
const ATTEMPTS: usize = 3;

thread_local! {
    /// Whether this thread is inside a unit: a kernel call through the
    /// kernel there would wait for the very transaction it is part of.
    static IN_UNIT: Cell<bool> = const { Cell::new(false) };
}

/// This thread's claim on the store while a unit (or a plain transaction) runs.
pub(crate) struct Entered(());

impl Entered {
    pub(crate) fn enter() -> Result<Entered, KernelError> {
        if IN_UNIT.replace(true) {
            return Err(KernelError::Nested);
        }
        Ok(Entered(()))
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        IN_UNIT.set(false);
    }
}

/// The kernel calls of one domain operation, in one store transaction:
/// what [`Kernel::unit`] hands its work. Each call is decided and audited
/// as on its own; the operation commits with all its audit entries, or
/// rolls back entirely, keeping only the audit entries of its refusals.
pub struct Unit<'u> {
    pub(crate) kernel: &'u Kernel,
    pub(crate) tx: &'u mut dyn Tx,
    /// Where the work runs.
    mode: Mode,
    /// Audit entries of this unit, chained when it ends (see the module's note).
    pending: Vec<Entry>,
    /// Refusals audited in this unit.
    refusals: Vec<Entry>,
    /// Calls that failed, audited once the unit has ended.
    failures: Vec<Entry>,
    /// Blobs this unit names; removed if it rolls back and nothing else
    /// holds them (see [`Staged`]).
    pub(crate) written: Vec<Arc<Staged>>,
    /// Blobs of erased records; removed once the unit has committed.
    pub(crate) erased: Vec<BlobId>,
    /// Names the blobs erased before they are (each written one is named in
    /// its own, see [`Staged`]), so that the next start finishes what a
    /// killed process left (see [`Kernel::recover_blobs`]).
    journal: Option<Journal>,
    /// The register's ground (AVG art. 23) for keeping this operation from
    /// the person concerned, once [`Unit::withhold_from_subject`] named it.
    withheld: Option<String>,
    /// The `failed` line of the call whose writes the store has not yet
    /// confirmed (see [`Unit::confirm`]), for when the statement they go
    /// with is refused.
    unconfirmed: Option<Entry>,
}

impl fmt::Debug for Unit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unit").field("refusals", &self.refusals.len()).field("written", &self.written.len()).finish_non_exhaustive()
    }
}

impl Unit<'_> {
    /// Audits a refusal and returns `error`: the operation ends here, and
    /// the entry is kept even if the unit then rolls back.
    pub(crate) fn refuse<T>(&mut self, access: &Access, event: crate::Event<'_>, error: KernelError) -> Result<T, KernelError> {
        // Never withheld (see `mark`): a refusal served nobody's request,
        // and an attempt is the person's to see.
        let entry = self.kernel.entry(access, event);
        self.pending.push(entry.clone());
        self.refusals.push(entry);
        Err(error)
    }

    /// Notes a failed call for the audit log when `error` is a fault of
    /// ours (not a refusal or an invalid request, which are answered, not
    /// failed), and returns it. The reason names the kind of fault only:
    /// an error's text may quote what was being stored.
    pub(crate) fn failed(&mut self, access: &Access, event: crate::Event<'_>, error: KernelError) -> KernelError {
        let line = self.kernel.entry(access, event);
        self.note_failure(line, &error);
        error
    }

    fn note_failure(&mut self, mut line: Entry, error: &KernelError) {
        if let Some(kind) = error.fault() {
            line.reason = format!("failed: {kind}");
            self.failures.push(line);
        }
    }

    /// Makes sure the store took this call's writes before the call counts
    /// as done: a write the server refuses then fails this call, which
    /// leaves its `failed` line (`failed`: the event of that line). The
    /// store may hold writes back to send them with the next statement it
    /// waits for (PostgreSQL does, see the store), so that costs a round
    /// trip of its own — except in a unit of one call, whose writes go with
    /// its audit entries' first statement (see [`Unit::flush_audit`]).
    pub(crate) fn confirm<'e>(&mut self, access: &Access, failed: impl FnOnce() -> crate::Event<'e>) -> Result<(), KernelError> {
        if self.mode == Mode::OneCall {
            self.unconfirmed = Some(self.kernel.entry(access, failed()));
            return Ok(());
        }
        Ok(self.tx.confirm()?)
    }

    /// Confirms the writes of a call before this unit's next call sends its
    /// own statements after them, so that a refusal of theirs fails their
    /// call, not this one. The one call of a unit may itself make several
    /// (a hold on each of a person's records).
    pub(crate) fn confirm_earlier(&mut self) -> Result<(), KernelError> {
        if self.unconfirmed.is_none() {
            return Ok(());
        }
        self.sending_unconfirmed(|unit| Ok(unit.tx.confirm()?))
    }

    /// Runs `send`, the statement the unconfirmed call's writes go out
    /// with: what fails there, fails that call.
    fn sending_unconfirmed(&mut self, send: impl FnOnce(&mut Self) -> Result<(), KernelError>) -> Result<(), KernelError> {
        let unconfirmed = self.unconfirmed.take();
        let sent = send(self);
        if let (Err(e), Some(line)) = (&sent, unconfirmed) {
            self.note_failure(line, e);
        }
        sent
    }
}

/// What an attempt at a unit left to settle once its transaction ended.
#[derive(Default)]
struct Ended {
    pending: Vec<Entry>,
    refusals: Vec<Entry>,
    failures: Vec<Entry>,
    written: Vec<Arc<Staged>>,
    erased: Vec<BlobId>,
    journal: Option<Journal>,
}

pub(crate) fn close(journal: Option<Journal>) {
    if let Some(Err(e)) = journal.map(Journal::close) {
        tracing::warn!(error = %e, "could not remove the journal of an operation that ended");
    }
}

/// Where a unit's work runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// In a write transaction, committed with the unit's audit entries.
    Writing,
    /// As `Writing`, for a unit of one call: the call is the last, so its
    /// writes need no round trip of their own (see [`Unit::confirm`]).
    OneCall,
    /// In a read-only transaction on a reading connection; the audit
    /// entries are written afterwards.
    Reading,
}

impl Kernel {
    /// Runs `work` — the kernel calls of one domain operation, made on the
    /// [`Unit`] it is given — in one transaction: committed with every
    /// audit entry if `work` returns `Ok`, rolled back entirely otherwise
    /// (a refusal, an invalid step, a storage failure), blobs written by
    /// it removed. A refusal is returned as `work` returns it (usually
    /// [`KernelError::Denied`]) and its audit entry is kept. Inside `work`,
    /// call the kernel only through the unit.
    ///
    /// `work` may run more than once: when PostgreSQL stops it for another
    /// write on the same people at the same moment (a deadlock), it is rolled
    /// back whole and run again, up to three times in all, before the
    /// conflict is the answer. So it changes nothing outside the unit but
    /// through what it returns (it is `Fn`).
    pub fn unit<T, E: From<KernelError>>(&self, work: impl Fn(&mut Unit<'_>) -> Result<T, E>) -> Result<T, E> {
        self.run(Mode::Writing, work)
    }

    /// Runs `work`, which only reads, as [`Kernel::unit`] does but in a
    /// read-only transaction on a reading connection: it sees what was
    /// committed when it began and never waits for a writer. Its audit
    /// entries — the reads and any refusal — are then written in a
    /// transaction of their own (on SQLite committed together with other
    /// callers' work) before the result is handed back: a read whose entries
    /// could not be written fails. A call that writes fails here (the
    /// connection cannot write); such an operation is a [`Kernel::unit`].
    pub fn reading<T, E: From<KernelError>>(&self, work: impl Fn(&mut Unit<'_>) -> Result<T, E>) -> Result<T, E> {
        self.run(Mode::Reading, work)
    }

    /// [`Kernel::unit`] for work of one kernel call.
    fn one_call<T, E: From<KernelError>>(&self, work: impl Fn(&mut Unit<'_>) -> Result<T, E>) -> Result<T, E> {
        self.run(Mode::OneCall, work)
    }

    fn run<T, E: From<KernelError>>(&self, mode: Mode, work: impl Fn(&mut Unit<'_>) -> Result<T, E>) -> Result<T, E> {
        let _entered = Entered::enter()?;
        // Nothing signed before this unit is this unit's to witness.
        drop(witness::take_signed());
        let mut attempt = 1;
        loop {
            let (stored, outcome, ended) = self.attempt(mode, &work);
            if let Err(StoreError::Conflict { context }) = &stored
                && attempt < ATTEMPTS
            {
                // The database rolled the attempt back whole; what it
                // wrote outside the database goes too, and its audit
                // entries, refusals and failures never happened.
                tracing::info!(attempt, context, "a write at the same moment on the same people stopped this operation; running it again");
                drop(witness::take_signed());
                // Blobs staged for this attempt alone go with `ended`.
                close(ended.journal);
                // Run at once, it can take the people back before the write
                // it gave way to has woken up to take them, and the same
                // deadlock forms again: that write goes first.
                std::thread::sleep(std::time::Duration::from_millis(50 * attempt as u64));
                attempt += 1;
                continue;
            }
            return self.settle(stored, outcome, ended);
        }
    }

    /// Runs `work` once, in a transaction of `mode`.
    fn attempt<T, E: From<KernelError>>(
        &self,
        mode: Mode,
        work: &impl Fn(&mut Unit<'_>) -> Result<T, E>,
    ) -> (Result<(), StoreError>, Option<Result<T, E>>, Ended) {
        let mut outcome: Option<Result<T, E>> = None;
        let mut ended = Ended::default();
        let mut run_work = |tx: &mut dyn Tx| {
            let mut unit = Unit {
                kernel: self,
                tx,
                mode,
                pending: Vec::new(),
                refusals: Vec::new(),
                failures: Vec::new(),
                written: Vec::new(),
                erased: Vec::new(),
                journal: None,
                withheld: None,
                unconfirmed: None,
            };
            let mut result = work(&mut unit);
            if result.is_ok() && unit.mode != Mode::Reading {
                // Before the commit: killed between it and the deletion, the
                // process leaves these named for the next start.
                let erased = std::mem::take(&mut unit.erased);
                if let Err(e) = unit.journal(&erased) {
                    result = Err(e.into());
                }
                unit.erased = erased;
                if result.is_ok()
                    && let Err(e) = unit.flush_audit()
                {
                    result = Err(e.into());
                }
            }
            ended = Ended {
                pending: unit.pending,
                refusals: unit.refusals,
                failures: unit.failures,
                written: unit.written,
                erased: unit.erased,
                journal: unit.journal,
            };
            let failed = result.is_err();
            outcome = Some(result);
            if failed { Err(StoreError::Aborted) } else { Ok(()) }
        };
        let stored = match mode {
            Mode::Writing | Mode::OneCall => self.store.transaction(&mut run_work),
            Mode::Reading => self.store.read(&mut run_work),
        };
        (stored, outcome, ended)
    }

    /// Finishes a unit's last attempt: its blobs and journal settled, its
    /// audit entries kept where they must be, its result handed back.
    fn settle<T, E: From<KernelError>>(&self, stored: Result<(), StoreError>, outcome: Option<Result<T, E>>, ended: Ended) -> Result<T, E> {
        let Ended { mut pending, mut refusals, failures, written, erased, mut journal } = ended;
        // A lost connection during COMMIT leaves its outcome unknown: the
        // rows naming the unit's new blobs may stand.
        let outcome_unknown = matches!(stored, Err(StoreError::Commit(_)));
        let result = match (stored, outcome) {
            (Ok(()), Some(result)) | (Err(StoreError::Aborted), Some(result @ Err(_))) => result,
            (Err(e), _) => Err(KernelError::Store(e).into()),
            (Ok(()), None) => Err(KernelError::Store(StoreError::Aborted).into()),
        };
        let fate = match (&result, outcome_unknown) {
            (Ok(_), _) => Fate::Named,
            (Err(_), true) => Fate::Unknown,
            (Err(_), false) => Fate::Unnamed,
        };
        for staged in &written {
            staged.settle(fate);
        }
        let kept = if result.is_ok() {
            self.witness_signed();
            self.delete_erased(erased);
            // A writing unit chained its entries before it committed.
            pending.extend(failures);
            pending
        } else {
            // Checkpoints signed in the rolled-back transaction never existed.
            drop(witness::take_signed());
            if outcome_unknown {
                // Whether a row names them cannot be told before the server
                // has finished with the commit: the journals stay, and the
                // next start removes those no row names.
                tracing::warn!(blobs = written.len(), "the outcome of a commit is unknown; its blobs are left for the next start to settle");
                journal = None;
            }
            // Otherwise the rows naming them were rolled back: the blobs go
            // once nothing holds them (the prepared fields may be written
            // again); they are ciphertext, but they should not linger.
            refusals.extend(failures);
            refusals
        };
        close(journal);
        if !kept.is_empty() {
            let appended = self.appender.append(kept, |entries| self.append_in_own_transaction(entries));
            match (appended, &result) {
                (Err(e), Ok(_)) => return Err(e.into()),
                // The operation's own error says more than this one.
                (Err(e), Err(_)) => tracing::error!(error = %e, "could not audit the refusals and failures of an operation that did not complete"),
                (Ok(()), _) => {}
            }
        }
        result
    }

    /// Appends `entries` in a write transaction of their own, and witnesses
    /// the checkpoints that signed once it has committed.
    fn append_in_own_transaction(&self, entries: &[Entry]) -> Result<(), KernelError> {
        let mut failed = None;
        let appended = self.store.transaction(&mut |tx| {
            if let Err(e) = self.append(tx, entries) {
                failed = Some(e);
                return Err(StoreError::Aborted);
            }
            Ok(())
        });
        if appended.is_ok() {
            self.witness_signed();
        } else {
            drop(witness::take_signed());
        }
        match (appended, failed) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(e)) => Err(e),
            (Err(e), None) => Err(KernelError::Store(e)),
        }
    }

    /// Finishes what killed processes left in the blob store: of each
    /// abandoned journal, the blobs no field names go (written by an
    /// operation that never committed, or erased by one that did), and then
    /// the journal. Run at every start; it costs what was in flight.
    pub(crate) fn recover_blobs(&self) -> Result<(), KernelError> {
        for (journal, blobs) in self.blobs.abandoned()? {
            let unnamed = self.plain(|tx| {
                let mut unnamed = Vec::new();
                for blob in &blobs {
                    if !tx.blob_named(blob)? {
                        unnamed.push(blob.clone());
                    }
                }
                Ok(unnamed)
            })?;
            for blob in &unnamed {
                self.blobs.delete(blob)?;
            }
            journal.close()?;
        }
        Ok(())
    }

    /// Removes the blobs a committed erasure no longer names, or, during a
    /// bulk load, keeps them for its end.
    fn delete_erased(&self, erased: Vec<BlobId>) {
        match self.loading_state().as_mut() {
            Some(load) => load.erased.extend(erased),
            None => self.delete_blobs(&erased),
        }
    }

    /// Names `blobs` before they are written or erased, in the journal of
    /// the bulk load under way or else in `own` (started if need be);
    /// returns how a blob written now is to be made durable.
    pub(crate) fn note_blobs(&self, own: &mut Option<Journal>, blobs: &[BlobId]) -> Result<Durable, KernelError> {
        if blobs.is_empty() {
            return Ok(Durable::Now);
        }
        let mut load = self.loading_state();
        let (slot, durable) = match load.as_mut() {
            Some(load) => (&mut load.journal, load.blobs),
            None => (own, Durable::Now),
        };
        let journal = match slot {
            Some(journal) => journal,
            None => slot.insert(self.blobs.journal()?),
        };
        journal.note(blobs)?;
        Ok(durable)
    }

    /// Removes erased blobs from disk once the erasure has committed. No
    /// row names them any more and they are ciphertext; a failure is
    /// reported, the operation stands.
    pub(crate) fn delete_blobs(&self, blobs: &[BlobId]) {
        for blob in blobs {
            if let Err(e) = self.blobs.delete(blob) {
                tracing::warn!(error = %e, "could not remove a blob no record names");
            }
        }
    }
}

impl Unit<'_> {
    /// Marks the rest of this operation as serving a request of
    /// `recipient` that the register keeps from the person concerned while
    /// it is handled (AVG art. 23: a police demand under investigation).
    /// Every step's audit entry the unit appends from here carries the
    /// register's ground in its reason — in the chained log, for the organisation —
    /// and stays out of the person's access export. Does nothing for a
    /// recipient the register names no such ground for, so the register
    /// alone decides what is withheld.
    pub fn withhold_from_subject(&mut self, recipient: RecipientId) {
        if let Some(ground) = &self.kernel.register.recipient(recipient).withheld_from_subject {
            self.withheld = Some(ground.clone());
        }
    }

    /// `event` with the unit's art. 23 ground in its reason, if it has one:
    /// for the steps the unit carried out, not for its refusals.
    fn mark<'e>(&self, mut event: crate::Event<'e>) -> crate::Event<'e> {
        if let Some(ground) = &self.withheld {
            event.reason = format!("{}{ground}; {}", crate::WITHHELD, event.reason);
        }
        event
    }

    /// Adds the audit entry of an allowed step of this unit.
    pub(crate) fn audit(&mut self, access: &Access, event: crate::Event<'_>) {
        let entry = self.kernel.entry(access, self.mark(event));
        self.pending.push(entry);
    }

    /// Adds an entry made by the caller (one whose span it chose).
    pub(crate) fn audit_entry(&mut self, entry: Entry) {
        self.pending.push(entry);
    }

    /// Chains the unit's entries so far into its transaction: before it
    /// commits, and before an operation that reads the log, so that it sees
    /// what this unit did before it. A reading unit cannot write them; they
    /// are written once it ends.
    pub(crate) fn flush_audit(&mut self) -> Result<(), KernelError> {
        if self.mode == Mode::Reading {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return self.confirm_earlier();
        }
        // An unconfirmed call's writes go out first, with the chains' statement.
        self.sending_unconfirmed(|unit| unit.kernel.append(unit.tx, &pending))
    }

    /// Names blobs in the unit's journal before they are erased.
    pub(crate) fn journal(&mut self, blobs: &[BlobId]) -> Result<(), KernelError> {
        self.kernel.note_blobs(&mut self.journal, blobs).map(drop)
    }
    /// Keeps what an erasure removed from the blob store until the unit commits.
    pub(crate) fn erased(&mut self, erased: Erased) -> Erased {
        self.erased.extend(erased.blobs.iter().cloned());
        erased
    }
}

/// Each operation of a [`Unit`] is also an operation of its own: the
/// kernel runs it as a unit of one call, writing ([`Kernel::unit`]) or, for
/// one that only reads, reading ([`Kernel::reading`]).
macro_rules! one_call {
    ($run:ident as $shown:ident: $($name:ident($($arg:ident: $ty:ty),*) -> $out:ty;)*) => {
        impl Kernel {
            $(
                #[doc = concat!("[`Unit::", stringify!($name), "`] as an operation of its own ([`Kernel::", stringify!($shown), "`]).")]
                #[allow(clippy::too_many_arguments)]
                pub fn $name(&self, $($arg: $ty),*) -> Result<$out, KernelError> {
                    self.$run(|unit| unit.$name($($arg),*))
                }
            )*
        }
    };
}

impl Kernel {
    /// [`Unit::write`] as an operation of its own, in a transaction of its
    /// own, entered only once the values are prepared (a password hashed).
    pub fn write(
        &self,
        access: &Access,
        processing: ProcessingId,
        subject: Option<&SubjectId>,
        record: Option<&RecordId>,
        fields: &[(Category, Value)],
    ) -> Result<RecordRef, KernelError> {
        let prepared = self.prepare(fields)?;
        self.one_call(|unit| unit.write_prepared(access, processing, subject, record, &prepared))
    }
}

one_call! { one_call as unit:
    disclose(access: &Access, processing: ProcessingId, subject: &SubjectId, recipient: RecipientId, legal_check: Option<&str>) -> Vec<RecordView>;
    disclose_record(access: &Access, processing: ProcessingId, record: &RecordRef, recipient: RecipientId, legal_check: Option<&str>) -> Option<RecordView>;
    erase(access: &Access, processing: ProcessingId, subject: &SubjectId) -> Erased;
    erase_record(access: &Access, processing: ProcessingId, record: &RecordRef, why: &str) -> Erased;
    assign_reference(access: &Access, processing: ProcessingId, record: &RecordRef, series: &str, format: &dyn Fn(u64) -> Result<String, KernelError>) -> String;
    record_event(access: &Access, processing: ProcessingId, record: &RecordRef, action: Action, event: &str, status: Option<&str>, detail: Option<Detail<'_>>) -> ();
    index_record(access: &Access, processing: ProcessingId, record: &RecordRef, kind: &str, value: &str) -> ();
    relate(access: &Access, processing: ProcessingId, action: Action, record: &RecordRef, scope: Scope, actor: Option<&SubjectId>, present: bool) -> ();
    hold(access: &Access, processing: ProcessingId, record: &RecordRef, reason: &str, review: jiff::Timestamp) -> ();
    hold_subject(access: &Access, processing: ProcessingId, subject: &SubjectId, reason: &str, review: jiff::Timestamp) -> usize;
    release(access: &Access, processing: ProcessingId, record: &RecordRef, outcome: &str) -> ();
    rights_erase(access: &Access, rights: ProcessingId, record: &RecordRef, why: &str) -> Erased;
    rights_rectify(access: &Access, rights: ProcessingId, record: &RecordRef, category: Category, value: &Value) -> ();
    restrict(access: &Access, processing: ProcessingId, subject: &SubjectId, restricted: bool) -> ();
    further_use(access: &Access, from: ProcessingId, to: ProcessingId, record: &RecordRef, wanted: CategorySet) -> RecordRef;
}

one_call! { reading as reading:
    read(access: &Access, processing: ProcessingId, subject: &SubjectId, wanted: CategorySet) -> Vec<RecordView>;
    read_record(access: &Access, processing: ProcessingId, record: &RecordRef, wanted: CategorySet) -> Option<RecordView>;
    check(access: &Access, processing: ProcessingId, action: Action) -> grondslag_register::ScopeSet;
    check_everyone(access: &Access, processing: ProcessingId, action: Action) -> ();
    check_record(access: &Access, processing: ProcessingId, record: &RecordRef, action: Action) -> Allowed;
    events(access: &Access, processing: ProcessingId, record: &RecordRef) -> Vec<RecordEvent>;
    find_records(access: &Access, processing: ProcessingId, kind: &str, value: &str) -> Vec<RecordSummary>;
    find_records_by_any(access: &Access, processing: ProcessingId, kind: &str, values: &[&str]) -> Vec<RecordSummary>;
    list(access: &Access, processing: ProcessingId, status: Option<&str>, offset: u64, limit: u64) -> Vec<RecordSummary>;
    list_all(access: &Access, processing: ProcessingId, status: Option<&str>) -> Vec<RecordSummary>;
    find_reference(access: &Access, reference: &str) -> Option<(ProcessingId, RecordSummary)>;
    find_by_bsn(access: &Access, processing: ProcessingId, bsn: &str) -> Option<SubjectId>;
    find_to_file(access: &Access, processing: ProcessingId, bsn: &str) -> Option<SubjectId>;
    export(access: &Access, rights: ProcessingId, subject: &SubjectId) -> SubjectExport;
    view_log(access: &Access, log: ProcessingId, only: Option<ProcessingId>) -> Vec<crate::View>;
    report(access: &Access, processing: ProcessingId, spec: &crate::ReportSpec) -> crate::Table;
}
