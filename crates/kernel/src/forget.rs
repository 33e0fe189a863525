//! Forgetting audit entries: an entry is kept for the term of the
//! processing that keeps the log of its processing (`log` in the register,
//! else `audit_log`) and then loses its content, keeping its leaf hash so
//! that the chain and every checkpoint still verify. Each batch appends an
//! entry naming what it forgot, per log processing: the log's own record
//! of its forgetting, which verification requires of every emptied entry.

use std::collections::BTreeMap;

use grondslag_audit::{Chain, Entry, FORGET_ACTION, Forgotten, Outcome, VerifyError, leaf_hash};
use grondslag_register::due::{Due, RECORDED, add_term};
use grondslag_register::{Action, CategorySet, ProcessingId, Retention};

use crate::{Access, Event, Kernel, KernelError, Unit, parse_entry};

impl Kernel {
    /// When `entry` is to be forgotten: its log processing's term, counted
    /// from the entry. `None` keeps it — a permanent log, a register
    /// without the processing, and the log's own records (of a forgetting,
    /// of a register version), which name no person.
    pub(crate) fn forget_at(&self, entry: &Entry) -> Option<jiff::Timestamp> {
        if entry.action == FORGET_ACTION || entry.action == crate::state::NEW_VERSION {
            return None;
        }
        let processing = self.register.processing_id(&entry.processing)?;
        let log = self.register.log_processing(processing)?;
        let retention = &self.register.processing(log).retention;
        // A log kept per item (dashboards): the logged processing is the
        // item, and its `log_term`, when it has one, is the item's term.
        if let (Retention::PerItem { .. }, Some(term)) = (retention, &self.register.processing(processing).log_term) {
            return Some(add_term(entry.timestamp, term));
        }
        match retention.due(&[(RECORDED, entry.timestamp)]) {
            Due::At(at) => Some(at),
            Due::Held | Due::WaitingFor(_) | Due::Never => None,
        }
    }

    /// [`Unit::forget_audit`], in batches of `batch` until nothing is due;
    /// returns how many entries were forgotten.
    pub fn forget_audit(&self, access: &Access, batch: u64, mut progress: impl FnMut(u64)) -> Result<u64, KernelError> {
        let mut total = 0;
        loop {
            let (forgotten, looked_at) = self.unit(|unit| unit.forget_audit(access, batch.max(1)))?;
            total += forgotten;
            progress(total);
            if looked_at < batch.max(1) {
                return Ok(total);
            }
        }
    }
}

impl Unit<'_> {
    /// Forgets up to `limit` audit entries whose term has passed at
    /// `access.now`, as the system role may erase under their log
    /// processing. An entry whose date no longer holds (the register's term
    /// changed) is dated anew instead. An entry altered since it was
    /// written is not forgotten — that would hide the alteration — and the
    /// batch fails. Returns (forgotten, looked at).
    pub fn forget_audit(&mut self, access: &Access, limit: u64) -> Result<(u64, u64), KernelError> {
        let kernel = self.kernel;
        self.flush_audit()?;
        let due = self.tx.audit_due(access.now, limit)?;
        let looked_at = due.len() as u64;
        // One forgetting entry per log and chain: it goes to the chain of
        // the entries it names, so that each chain verifies alone.
        let mut by_log: BTreeMap<(ProcessingId, Chain), Vec<u64>> = BTreeMap::new();
        for row in due {
            if leaf_hash(row.entry.as_bytes()) != row.leaf {
                return Err(KernelError::audit(row.chain, VerifyError::Altered { seq: row.seq }));
            }
            let entry = parse_entry(&row.entry)?;
            let log = kernel.register.processing_id(&entry.processing).and_then(|p| kernel.register.log_processing(p));
            match (kernel.forget_at(&entry), log) {
                (Some(at), Some(log)) if at <= access.now => by_log.entry((log, row.chain)).or_default().push(row.seq),
                (other, _) => self.tx.set_audit_forget_at(row.seq, other)?,
            }
        }
        let mut forgotten = 0;
        for ((log, chain), seqs) in by_log {
            self.check(access, log, Action::Erase)?;
            self.tx.forget_audit(&seqs)?;
            let list = Forgotten::of(chain, &seqs);
            let processing = kernel.register.processing(log);
            let reason = format!("the term of `{}` passed for {} entr(y/ies)", processing.id, list.len());
            let event = Event {
                processing: log,
                action: FORGET_ACTION,
                object: list.object(),
                subject: None,
                categories: CategorySet::EMPTY,
                outcome: Outcome::Allowed,
                reason,
            };
            self.audit(access, event);
            forgotten += list.len();
        }
        Ok((forgotten, looked_at))
    }
}
