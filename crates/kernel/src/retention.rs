//! Retention in the kernel: due dates computed when facts arrive, holds,
//! the sweep that deletes what is due, and the report on it.

use grondslag_register::due::{Due, HOLD_PLACED, HOLD_RELEASED};
use grondslag_register::{Action, CategorySet, ProcessingId, Role};
use grondslag_store::Tx;

use crate::{Access, Ask, Denial, Detail, Event, Kernel, KernelError, RETENTION_SETTING, RecordId, RecordRef, SubjectId, Unit};

/// Retention at a glance, without personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionLine {
    /// The processing, by register id.
    pub processing: String,
    /// Records it keeps now.
    pub records: u64,
    /// Records with a due date and no hold.
    pub dated: u64,
    /// Records under a hold: kept past their term until it is released.
    pub held: u64,
    /// Records whose term waits for an event that has not happened yet.
    pub waiting: u64,
    /// The first moment a record that is not held is due for deletion.
    pub next_due: Option<jiff::Timestamp>,
}

/// What one sweep batch deleted of one processing: no personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate {
    /// The processing, by register id.
    pub processing: String,
    /// How many records were deleted.
    pub records: u64,
    /// The earliest due date among them.
    pub due_from: jiff::Timestamp,
    /// The latest due date among them.
    pub due_until: jiff::Timestamp,
}

impl Kernel {
    /// When a processing's retention rule differs from the one the store
    /// last ran with, recomputes the due dates of its records: a changed
    /// register takes effect for data already held, not only for new data.
    pub(crate) fn apply_retention_changes(mut self) -> Result<Kernel, KernelError> {
        let recomputed = self.unit(|unit| {
            let tx = &mut *unit.tx;
            let mut recomputed = Vec::new();
            for id in self.register.processing_ids() {
                let p = self.register.processing(id);
                let rule = serde_json::to_vec(&p.retention).unwrap_or_default();
                let setting = format!("{RETENTION_SETTING}{}", p.id);
                let previous = tx.setting(&setting)?;
                if previous.as_deref() == Some(rule.as_slice()) {
                    continue;
                }
                if previous.is_some() {
                    for row in tx.list_records(&p.id, None, 0, u64::MAX)? {
                        self.refresh_due(tx, id, &RecordRef { subject: row.subject, record: row.record })?;
                    }
                    recomputed.push(p.id.clone());
                }
                tx.set_setting(&setting, &rule)?;
            }
            Ok::<_, KernelError>(recomputed)
        })?;
        for processing in &recomputed {
            tracing::warn!(%processing, "the retention rule changed; due dates of the data held were recomputed");
        }
        self.recomputed = recomputed;
        Ok(self)
    }

    /// The processings whose due dates were recomputed at start-up because
    /// the register changed their retention rule.
    pub fn recomputed(&self) -> &[String] {
        &self.recomputed
    }

    /// Held records whose review date has passed: (processing, record, review).
    pub fn overdue_reviews(&self, now: jiff::Timestamp) -> Result<Vec<(String, RecordRef, jiff::Timestamp)>, KernelError> {
        let overdue = self.plain(|tx| tx.overdue_reviews(now))?;
        Ok(overdue.into_iter().map(|(record, subject, p, at)| (p, RecordRef { subject, record }, at)).collect())
    }

    /// Recomputes when a record is due, from its events and its
    /// processing's retention rule: done whenever a fact arrives, so the
    /// sweep only reads an index.
    /// A record that belongs to another follows it: the parent's date is
    /// computed and given to its records. Only when that date changes are
    /// all of them given it again; otherwise only `record`, whose own hold
    /// may have changed. A case gathers dozens of photos and notes, and
    /// most of its events change no date: giving each of them the date
    /// again at every event made a case's life cost the square of its size.
    pub(crate) fn refresh_due(&self, tx: &mut dyn Tx, processing: ProcessingId, record: &RecordRef) -> Result<(), KernelError> {
        let parent = match tx.parent(&record.record)? {
            Some(parent) => tx.record(&parent)?.and_then(|row| {
                let processing = self.register.processing_id(&row.processing)?;
                Some((processing, RecordRef { subject: row.subject, record: row.record }))
            }),
            None => None,
        };
        let (head_processing, head) = parent.as_ref().map_or((processing, record), |(p, head)| (*p, head));
        let events = tx.events(&head.record)?;
        let facts: Vec<(&str, jiff::Timestamp)> = events.iter().map(|e| (e.event.as_str(), e.at)).collect();
        let p = self.register.processing(head_processing);
        let (due_at, held) = match p.retention.due(&facts) {
            Due::At(at) => (Some(at), false),
            Due::Held => (None, true),
            Due::WaitingFor(_) | Due::Never => (None, false),
        };
        let changed = tx.due_of(&head.record)? != Some((due_at, held));
        if changed {
            tx.set_due(&head.record, &head.subject, &p.id, due_at, held)?;
        }
        let followers: Vec<(RecordId, SubjectId, String)> = if changed {
            tx.children(&head.record)?.into_iter().map(|child| (child.record, child.subject, child.processing)).collect()
        } else if parent.is_some() {
            vec![(record.record.clone(), record.subject.clone(), self.register.processing(processing).id.clone())]
        } else {
            Vec::new()
        };
        for (child, subject, child_processing) in followers {
            let events = tx.events(&child)?;
            let facts: Vec<(&str, jiff::Timestamp)> = events.iter().map(|e| (e.event.as_str(), e.at)).collect();
            let own_hold = grondslag_register::due::held(&facts);
            tx.set_due(&child, &subject, &child_processing, due_at.filter(|_| !own_hold), held || own_hold)?;
        }
        Ok(())
    }

    /// Deletes what is due at `now`, in batches of `batch` records, each
    /// batch one transaction with a deletion certificate per processing in
    /// the audit log (how many, due between which moments; no personal
    /// data). Stopping between batches loses nothing: what was not deleted
    /// is still due. `max_batches` stops early (to resume later). Sweeps
    /// on several nodes at once share the work: each batch takes what it
    /// deletes, and no item is taken twice.
    pub fn sweep(
        &self,
        access: &Access,
        now: jiff::Timestamp,
        batch: u64,
        max_batches: Option<u64>,
        mut progress: impl FnMut(u64),
    ) -> Result<Vec<Certificate>, KernelError> {
        if access.role != Role::System {
            return Err(KernelError::Denied {
                processing: "retention".to_string(),
                denial: Denial::RoleNotAllowed { role: access.role, action: Action::Erase },
            });
        }
        // Records of a processing the register no longer has are skipped,
        // not guessed at: `register check --data` and the retention report
        // name them for a person to decide.
        let known: Vec<&str> = self.register.processings.iter().map(|p| p.id.as_str()).collect();
        let mut certificates = Vec::new();
        let mut deleted = 0;
        for _ in 0..max_batches.unwrap_or(u64::MAX) {
            let batch_certificates = self.unit(|unit| {
                let mut batch_certificates: Vec<Certificate> = Vec::new();
                // Set-wise: the batch's records in one statement per table,
                // then the keys of the people left without records. Records
                // that belong to another are due with it, so they are taken
                // with it, in the same batch, each counted once.
                let taken = unit.tx.take_due_records(now, batch.max(1), &known)?;
                let records: Vec<RecordId> = taken.iter().map(|(record, ..)| record.clone()).collect();
                let mut subjects: Vec<SubjectId> = taken.iter().map(|(_, subject, ..)| subject.clone()).collect();
                subjects.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
                subjects.dedup();
                let erased = unit.tx.erase_records(&records)?;
                unit.tx.erase_subjects_without_records(&subjects)?;
                unit.erased(erased);
                for (_, _, processing, due_at) in taken {
                    match batch_certificates.iter_mut().find(|c| c.processing == processing) {
                        Some(c) => {
                            c.records += 1;
                            c.due_until = due_at;
                        }
                        None => batch_certificates.push(Certificate { processing, records: 1, due_from: due_at, due_until: due_at }),
                    }
                }
                for certificate in &batch_certificates {
                    let id = self.processing(&certificate.processing)?;
                    let mut event = Event::allowed(id, "retention_sweep", format!("{} records", certificate.records), None, CategorySet::EMPTY);
                    event.reason =
                        format!("deletion certificate: {} record(s) due between {} and {}", certificate.records, certificate.due_from, certificate.due_until);
                    unit.audit(access, event);
                }
                Ok::<_, KernelError>(batch_certificates)
            })?;
            if batch_certificates.is_empty() {
                break;
            }
            deleted += batch_certificates.iter().map(|c| c.records).sum::<u64>();
            progress(deleted);
            certificates.extend(batch_certificates);
        }
        Ok(certificates)
    }

    /// What a sweep at `now` would delete: (processing, due) per record.
    pub fn due_at(&self, now: jiff::Timestamp) -> Result<Vec<(String, jiff::Timestamp)>, KernelError> {
        let due = self.plain(|tx| tx.due_records(now, u64::MAX))?;
        Ok(due.into_iter().map(|(_, _, p, at)| (p, at)).collect())
    }

    /// Per processing: records held, and (due date if any, held) of every
    /// record whose term has facts — what a privacy officer asks before an
    /// audit. No personal data.
    pub fn retention_report(&self) -> Result<Vec<RetentionLine>, KernelError> {
        let (counts, totals) = self.look(|tx| Ok((tx.record_counts()?, tx.due_totals()?)))?;
        Ok(counts
            .into_iter()
            .map(|(processing, records)| {
                let (dated, held, next_due) = totals.iter().find(|t| t.processing == processing).map_or((0, 0, None), |t| (t.dated, t.held, t.next_due));
                RetentionLine { processing, records, dated, held, waiting: records.saturating_sub(dated + held), next_due }
            })
            .collect())
    }
}

impl Unit<'_> {
    /// Places a hold on a record (an incident investigation, an integrity
    /// issue, a threat, legal proceedings): it is kept whatever its term says
    /// until the hold is released. Who placed it is the audited actor; the
    /// reason is sealed with the record; the review date is indexed, so
    /// overdue reviews can be listed.
    pub fn hold(&mut self, access: &Access, processing: ProcessingId, record: &RecordRef, reason: &str, review: jiff::Timestamp) -> Result<(), KernelError> {
        let kernel = self.kernel;
        let ask = Ask::new(Action::Write, "hold", record.record.to_string());
        self.on_record(access, processing, record, ask, |tx, key, _| {
            let detail = format!("{reason}; review {review}");
            let row = crate::sealing::seal_event(key, record, HOLD_PLACED, (access.now, &access.actor), Some(Detail::staff(&detail)))?;
            tx.add_event(&record.record, &row, None)?;
            kernel.refresh_due(tx, processing, record)?;
            tx.set_review(&record.record, Some(review))?;
            Ok(((), Some(format!("hold placed, review {review}"))))
        })
    }

    /// Places the same hold on every record the subject has under
    /// `processing` (a hold on a person rather than one item): on all of
    /// them or, if one is refused, on none.
    pub fn hold_subject(
        &mut self,
        access: &Access,
        processing: ProcessingId,
        subject: &SubjectId,
        reason: &str,
        review: jiff::Timestamp,
    ) -> Result<usize, KernelError> {
        let records = self.kernel.records_under(self.tx, subject, processing)?;
        for record in &records {
            self.hold(access, processing, &RecordRef { subject: subject.clone(), record: record.clone() }, reason, review)?;
        }
        Ok(records.len())
    }

    /// Releases a hold; a record past its term is then due at once.
    pub fn release(&mut self, access: &Access, processing: ProcessingId, record: &RecordRef, outcome: &str) -> Result<(), KernelError> {
        self.record_event(access, processing, record, Action::Write, HOLD_RELEASED, None, Some(crate::Detail::staff(outcome)))?;
        self.tx.set_review(&record.record, None)?;
        Ok(())
    }
}
