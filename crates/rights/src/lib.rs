//! The rights of the people whose data is held (E22, I.RIGHTS).
//!
//! A request is filed, the requester's identity is verified before anything
//! is answered or changed, and the answer is due within the legal term
//! (`terms`), which can be extended only with a reason and timely notice.
//! The access export (art. 15) is answered from the register and the
//! kernel: every item held, what each processing is for, where the data
//! went, and when it was looked at, for what and by what kind of party
//! (never by whom).

#![warn(missing_docs)]

pub mod export;
pub mod oversight;
pub mod requests;
pub mod terms;

/// The events this module records that a retention term can count from
/// (`grondslag register check` refuses a term counting from any other).
pub const EVENTS: &[&str] = &[requests::REQUEST_CLOSED];
