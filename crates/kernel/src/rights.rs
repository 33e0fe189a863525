//! The rights process in the kernel: exports, erasure and rectification
//! across processings, restriction, and further use (E20).

use grondslag_audit::Entry;
use grondslag_register::{Action, Category, CategorySet, ProcessingId};
use grondslag_store::{DisclosureRow, Erased};

use crate::{Access, Ask, Denial, Event, KernelError, RecordEvent, RecordId, RecordRef, RecordView, SubjectId, Unit, Value, erase_one, parse_entry, values};

/// What an access export holds: the data, where it went, and the audit
/// entries about it (the report built from them names no actor).
#[derive(Debug)]
pub struct SubjectExport {
    /// Every record of the subject, with the fields the actor may read.
    pub records: Vec<RecordView>,
    /// Each record's events (status changes, automated outcomes, holds).
    pub events: Vec<(RecordId, Vec<RecordEvent>)>,
    /// Where the subject's data went.
    pub disclosures: Vec<DisclosureRow>,
    /// The audit entries about the subject, before this export, but for
    /// those of operations the register keeps from the person (AVG art. 23).
    pub accesses: Vec<Entry>,
}

impl Unit<'_> {
    /// Everything held about a subject, for the rights process (art. 15):
    /// every record of every processing, decrypted; every disclosure; and
    /// every audit entry about the subject — when, under which processing,
    /// in which role — but for those of operations the register keeps from
    /// the person (AVG art. 23, [`Unit::withhold_from_subject`]). Only a processing of the rights process may ask, so it
    /// works for a restricted subject too; it is a read there, so a person
    /// reads their own (`self`) and the privacy team anyone's. Events meant
    /// only for the organisation are left out unless the grant reaches
    /// everyone.
    pub fn export(&mut self, access: &Access, rights: ProcessingId, subject: &SubjectId) -> Result<SubjectExport, KernelError> {
        self.require_rights_process(access, rights, subject, "export")?;
        // The export lists the log about the person: this unit's steps too.
        self.flush_audit()?;
        let kernel = self.kernel;
        let everything: CategorySet = Category::ALL.iter().copied().collect();
        let ask = Ask::new(Action::Read, "export", subject.to_string()).categories(kernel.register.processing(rights).categories);
        self.on_subject(access, rights, subject, None, ask, |tx, key, allowed| {
            let records = kernel.open_fields(tx, key, subject, None, everything, None)?;
            let mut events = Vec::new();
            // Every category is the person's to see; what is the
            // organisation's only stays so unless the grant reaches everyone.
            let shown = crate::Allowed { categories: everything, scopes: access.reach_of(allowed) };
            for view in &records {
                let record = RecordRef { subject: subject.clone(), record: view.record.clone() };
                events.push((view.record.clone(), kernel.open_events(tx, key, &record, Some(shown))?));
            }
            let disclosures = tx.disclosures_of(subject)?;
            // What served a request the register keeps from the person
            // (AVG art. 23) is the organisation's to know, not theirs.
            let mut accesses = Vec::new();
            for row in tx.audit_of(subject)? {
                let entry = parse_entry(&row.entry)?;
                if !entry.reason.starts_with(crate::WITHHELD) {
                    accesses.push(entry);
                }
            }
            Ok((SubjectExport { records, events, disclosures, accesses }, Some("access export (AVG art. 15)".to_string())))
        })
    }

    /// The rights process acting on a record of any processing of the
    /// subject: erasure (art. 17) or withdrawal of consent. Allowed when
    /// `rights` is the rights process and the role may handle requests
    /// there; refused while the record is under a hold; audited under the
    /// rights process, naming the record's own processing.
    pub fn rights_erase(&mut self, access: &Access, rights: ProcessingId, record: &RecordRef, why: &str) -> Result<Erased, KernelError> {
        self.require_rights_process(access, rights, &record.subject, "rights_erase")?;
        let ask = Ask::new(Action::Handle, "rights_erase", record.record.to_string()).unless_held();
        let erased = self.on_subject(access, rights, &record.subject, Some(&record.record), ask, |tx, _, _| {
            let row = tx
                .record(&record.record)?
                .filter(|row| row.subject == record.subject)
                .ok_or_else(|| KernelError::RecordMismatch { record: record.record.clone() })?;
            let (erased, shredded) = erase_one(tx, record)?;
            Ok((erased, Some(format!("{why}: erased a record of {}{shredded}", row.processing))))
        })?;
        Ok(self.erased(erased))
    }

    /// The rights process correcting a value (art. 16) in a record of any
    /// processing of the subject. The record's processing must hold the
    /// category; the audit log records that it changed, never the values.
    pub fn rights_rectify(&mut self, access: &Access, rights: ProcessingId, record: &RecordRef, category: Category, value: &Value) -> Result<(), KernelError> {
        self.require_rights_process(access, rights, &record.subject, "rectify")?;
        let kernel = self.kernel;
        // Only text is corrected here; bytes are refused once decided.
        let prepared = value.as_text().map(|text| values::prepare(category, text)).transpose()?;
        let ask = Ask::new(Action::Handle, "rectify", format!("{}:{category}", record.record)).categories(CategorySet::EMPTY.with(category));
        self.on_subject(access, rights, &record.subject, Some(&record.record), ask, |tx, key, _| {
            let row = tx
                .record(&record.record)?
                .filter(|row| row.subject == record.subject)
                .ok_or_else(|| KernelError::RecordMismatch { record: record.record.clone() })?;
            let holder = kernel.processing(&row.processing)?;
            if !kernel.register.processing(holder).categories.contains(category) {
                return Err(KernelError::Denied { processing: row.processing.clone(), denial: Denial::Undeclared(category) });
            }
            let Some(text) = &prepared else {
                return Err(KernelError::WrongValueKind { category, expected: "text" });
            };
            kernel.put_text(tx, key, record, category, text)?;
            Ok(((), Some(format!("{category} corrected in a record of {}", row.processing))))
        })
    }

    fn require_rights_process(&mut self, access: &Access, rights: ProcessingId, subject: &SubjectId, action: &str) -> Result<(), KernelError> {
        if self.kernel.register.processing(rights).rights_process {
            return Ok(());
        }
        let denial = Denial::RoleNotAllowed { role: access.role, action: Action::Handle };
        let event = Event::denied(rights, action, subject.to_string(), Some(subject), CategorySet::EMPTY, &denial);
        self.refuse(access, event, self.kernel.denied(rights, denial))
    }

    /// Sets or lifts the art. 18 restriction. Only under the rights process.
    pub fn restrict(&mut self, access: &Access, processing: ProcessingId, subject: &SubjectId, restricted: bool) -> Result<(), KernelError> {
        self.require_rights_process(access, processing, subject, "restrict")?;
        let action = if restricted { "restrict" } else { "lift_restriction" };
        self.on_subject(access, processing, subject, None, Ask::new(Action::Handle, action, subject.to_string()), |tx, _, _| {
            tx.set_restricted(subject, restricted)?;
            Ok(((), None))
        })
    }

    /// Reuses a record's data for another purpose (E20): reads what the role
    /// may read of it under `from`, and writes what of that the further
    /// processing `to` declares, as a new record of the same subject. Only a
    /// processing whose basis is further processing, which the register
    /// accepts only with a compatibility assessment, may receive it.
    pub fn further_use(
        &mut self,
        access: &Access,
        from: ProcessingId,
        to: ProcessingId,
        record: &RecordRef,
        wanted: CategorySet,
    ) -> Result<RecordRef, KernelError> {
        let kernel = self.kernel;
        let target = kernel.register.processing(to);
        if target.basis != grondslag_register::Basis::FurtherProcessing || target.compatibility.is_none() {
            let denial = Denial::NoCompatibilityAssessment;
            let event = Event::denied(to, "further_use", record.record.to_string(), Some(&record.subject), wanted, &denial);
            return self.refuse(access, event, kernel.denied(to, denial));
        }
        let Some(view) = self.read_record(access, from, record, wanted.intersection(target.categories))? else {
            return Err(KernelError::RecordMismatch { record: record.record.clone() });
        };
        self.write(access, to, Some(&record.subject), None, &view.fields)
    }
}
