//! Oversight that concerns nobody's data in particular: verifying the
//! audit log and watching retention. Both are for whoever may read the
//! access logs of everyone; what they return names no person.

use grondslag_kernel::{Access, Kernel, KernelError, RecordRef, RetentionLine};

/// The processing oversight rests on: reading the logs of access to
/// dossiers (I3), which the privacy team and the FG may do for everyone.
pub const PROCESSING: &str = "logging_dossiers";

/// Refuses, through the kernel and audited, whoever may not read the
/// access logs of everyone.
fn oversee(kernel: &Kernel, access: &Access) -> Result<(), KernelError> {
    kernel.check_everyone(access, kernel.processing(PROCESSING)?, grondslag_register::Action::Read)
}

/// A verified audit log: entries in an unbroken hash chain, and signed checkpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditCheck {
    /// Entries in the chain.
    pub entries: u64,
    /// Signed checkpoints checked.
    pub checkpoints: u64,
}

/// Verifies the log end to end, the latest entries included.
pub fn verify_audit(kernel: &Kernel, access: &Access) -> Result<AuditCheck, KernelError> {
    oversee(kernel, access)?;
    let verification = kernel.verify_audit(|_| ())?;
    Ok(AuditCheck { entries: verification.entries, checkpoints: verification.checkpoints })
}

/// Retention per processing, and the holds whose review is overdue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionOverview {
    /// One line per processing.
    pub processings: Vec<RetentionLine>,
    /// Holds past their review date.
    pub overdue_reviews: Vec<OverdueReview>,
}

/// A hold whose review date has passed: the data is kept longer only with a fresh decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverdueReview {
    /// The processing, by register id.
    pub processing: String,
    /// The held record.
    pub record: RecordRef,
    /// When the hold was to be reviewed.
    pub review_at: jiff::Timestamp,
}

/// Per processing: records kept, held, and the next deletion; and the
/// holds overdue for review at `access.now`.
pub fn retention(kernel: &Kernel, access: &Access) -> Result<RetentionOverview, KernelError> {
    oversee(kernel, access)?;
    let processings = kernel.retention_report()?;
    let overdue_reviews =
        kernel.overdue_reviews(access.now)?.into_iter().map(|(processing, record, review_at)| OverdueReview { processing, record, review_at }).collect();
    Ok(RetentionOverview { processings, overdue_reviews })
}
