//! The register of processing activities — grondslag's configuration.
//!
//! A TOML file (see `docs/register.md`) declares every processing: its
//! purpose, legal basis, the categories of the closed taxonomy it holds, who
//! receives what, how long it is kept and which roles may do what. This crate
//! parses and checks it (every problem at once, with file, line, column and a
//! fix), compiles it into decision tables (category sets as bitsets, grants
//! per role as a fixed array) and renders the public privacy statement from
//! it, so that what the statement promises is what the kernel enforces.

#![warn(missing_docs)]

use std::path::{Path, PathBuf};

mod categories;
mod diagnostic;
pub mod due;
mod model;
mod parse;
pub mod render;
pub mod taxonomy;

pub use categories::CategorySet;
pub use diagnostic::{Diagnostic, RegisterError};
pub use model::{
    AUDIT_LOG, Agreement, Basis, Condition, Contact, Disclosure, Duration, DurationUnit, EEA, EEA_COUNTRIES, Grant, Meta, NamedTerm, NotForReader, Processing,
    ProcessingId, Recipient, RecipientId, RecipientKind, Register, Retention, RoleGrants, Section, Statement, Term,
};
pub use parse::parse;
pub use taxonomy::{Action, Category, Role, Scope, ScopeSet, Sensitivity, UnknownRole};

/// The register the product ships, compiled into the binary so that it
/// starts with no configuration.
pub const SHIPPED: &str = include_str!("../../../register/img.toml");

/// The file name under which [`SHIPPED`] is reported in diagnostics.
pub const SHIPPED_NAME: &str = "register/img.toml";

/// Why a register could not be loaded.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum LoadError {
    #[error("cannot read register {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Invalid(#[from] RegisterError),
}

/// Reads and checks the register at `file`, or the [`SHIPPED`] one when no
/// file is named. With `emitted` (the events the modules emit) its terms
/// are checked to count from those, in the same pass, and the warnings
/// about processings still `planned` come back; without, they are not
/// checked (the bench measures a register, it does not enforce one).
pub fn load(file: Option<&Path>, emitted: Option<&[&str]>) -> Result<(Register, Vec<String>), LoadError> {
    let (name, source) = match file {
        Some(path) => {
            let source = std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
            (path.display().to_string(), std::borrow::Cow::Owned(source))
        }
        None => (SHIPPED_NAME.to_string(), std::borrow::Cow::Borrowed(SHIPPED)),
    };
    Ok(parse::parse_with_events(&name, &source, emitted)?)
}
