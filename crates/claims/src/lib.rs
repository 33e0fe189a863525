//! The compensation schemes of the institute (E1–E10): which scheme holds
//! which case, the life cycle its cases go through, the one format of case
//! numbers, the rules that decide more than which data is held (the fixed
//! compensation is final, a child's claim ends at 18, an unsafe situation is
//! handled within 48 hours), the automated factual checks that may speed a
//! case up but never refuse it (E0.2, E0.3), and the do-not-approach list of
//! E19.
//!
//! Everything here is a rule over values passed in — time included — and
//! touches no store; the kernel holds the data these rules are applied to.

#![warn(missing_docs)]

pub mod address;
pub mod area;
mod case_number;
pub mod cases;
pub mod rules;
mod scheme;

pub use case_number::CaseNumber;

/// A case reached the end of its life cycle; claim dossiers are kept for
/// their term from here.
pub const CASE_CLOSED: &str = "case_closed";
/// The period in which people are approached for a new scheme ended (E19);
/// the outreach copies go.
pub const APPROACH_PERIOD_ENDED: &str = "approach_period_ended";
/// The events this module records that a retention term can count from
/// (`grondslag register check` refuses a term counting from any other).
pub const EVENTS: &[&str] = &[CASE_CLOSED, APPROACH_PERIOD_ENDED];
pub use scheme::{Scheme, Status, TransitionError};
