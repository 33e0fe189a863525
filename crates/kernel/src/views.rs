//! View logs (I3) read back from the audit log: there is no second log.
//! A processing's `log` in the register names the processing that keeps
//! the log of access to it (`logging_dossiers` for the damage dossiers,
//! `logging_dashboards` for the dashboards); every read by a member of
//! staff is already an audit entry under the processing read, dated to be
//! forgotten by that log's term (a dashboard's own `log_term`). The view
//! log is those entries, selected.

use grondslag_audit::Outcome;
use grondslag_register::{Action, CategorySet, ProcessingId, Role};
use grondslag_store::StoreError;

use crate::{Access, Event, KernelError, Unit, parse_entry};

/// One view, as the audit log recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    /// When.
    pub at: jiff::Timestamp,
    /// Who: the staff member's user name.
    pub actor: String,
    /// In which role they acted: their function here.
    pub role: Role,
    /// Under which processing (the dossier's scheme, the dashboard).
    pub processing: String,
    /// What was viewed: the record.
    pub object: String,
}

impl Unit<'_> {
    /// The views logged under `log` (of one logged processing, `only`, when
    /// given: one dashboard): every allowed read by a member of staff of a
    /// processing whose `log` is `log`, oldest first, as far as the log's
    /// term still keeps them. Decided as reading `log` for everyone's data
    /// (the privacy officer's, the DPO's task), and audited under it.
    pub fn view_log(&mut self, access: &Access, log: ProcessingId, only: Option<ProcessingId>) -> Result<Vec<View>, KernelError> {
        let kernel = self.kernel;
        self.check_everyone(access, log, Action::Read)?;
        self.flush_audit()?;
        let name = kernel.register.processing(log).id.clone();
        let logged = |processing: &str| {
            kernel.register.processing_id(processing).is_some_and(|p| only.is_none_or(|only| only == p) && kernel.register.log_processing(p) == Some(log))
        };
        let mut views = Vec::new();
        // (design) One pass over the log, rows streamed as they are read, so
        // that only the views are held: a report the privacy officer asks
        // for now and then; see docs/staff.md on its cost.
        let mut unreadable = None;
        let walked = self.tx.visit_audit(&mut |row| {
            // A forgotten entry is empty: its term has passed.
            if row.entry.is_empty() {
                return Ok(());
            }
            let entry = match parse_entry(&row.entry) {
                Ok(entry) => entry,
                Err(e) => {
                    unreadable = Some(e);
                    return Err(StoreError::Aborted);
                }
            };
            let Ok(role) = entry.role.parse::<Role>() else { return Ok(()) };
            let staff = !role.acts_for_a_person() && !matches!(role, Role::Public | Role::System);
            // A dashboard is viewed as a report; a dossier as a read.
            if (entry.action == Action::Read.name() || entry.action == Action::Report.name())
                && entry.outcome == Outcome::Allowed
                && staff
                && logged(&entry.processing)
            {
                views.push(View { at: entry.timestamp, actor: entry.actor, role, processing: entry.processing, object: entry.object });
            }
            Ok(())
        });
        if let Some(e) = unreadable {
            return Err(e);
        }
        walked?;
        let object = only.map_or(name, |only| kernel.register.processing(only).id.clone());
        let mut event = Event::allowed(log, "view_log", object, None, CategorySet::EMPTY);
        event.reason = format!("listed {} views", views.len());
        self.audit(access, event);
        Ok(views)
    }
}
