//! The rights of the people whose data is held (E22, I.RIGHTS): the legal
//! terms within which a request is answered.
//!
//! Requests themselves, identity verification and the answers build on
//! these terms in a later step; the terms come first because every answer
//! is measured against them.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod terms;
