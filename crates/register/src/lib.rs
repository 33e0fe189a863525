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
pub mod versions;

pub use categories::CategorySet;
pub use diagnostic::{Diagnostic, RegisterError};
pub use model::{
    AUDIT_LOG, Agreement, Basis, ChildrenStatement, Condition, Contact, Disclosure, Duration, DurationUnit, EEA, EEA_COUNTRIES, Edition, Grant, Meta,
    NamedTerm, NotForReader, Processing, ProcessingId, Recipient, RecipientId, RecipientKind, Register, Retention, RoleGrants, Section, Statement, Term,
};
pub use parse::parse;
pub use taxonomy::{Action, Category, Role, Scope, ScopeSet, Sensitivity, UnknownRole};

/// The register the product ships, compiled into the binary so that it
/// starts with no configuration.
pub const SHIPPED: &str = include_str!("../../../register/img.toml");

/// The file name under which [`SHIPPED`] is reported in diagnostics.
pub const SHIPPED_NAME: &str = "register/img.toml";

/// The file name of the shipped register's published versions.
pub const SHIPPED_PUBLISHED_NAME: &str = "register/img.published.json";

/// Why a register could not be loaded.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum LoadError {
    #[error("cannot read register {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Invalid(#[from] RegisterError),
    #[error(transparent)]
    Archive(#[from] versions::ArchiveError),
}

/// Reads and checks the register at `file`, or the [`SHIPPED`] one when no
/// file is named. With `emitted` (the events the modules emit) its terms
/// are checked to count from those, in the same pass, and the warnings
/// about processings still `planned` come back; without, they are not
/// checked (the bench measures a register, it does not enforce one).
///
/// With its archive of published versions beside it (always, for the
/// shipped one), each statement must render as its version was published
/// (E21; see [`versions`]).
pub fn load(file: Option<&Path>, emitted: Option<&[&str]>) -> Result<(Register, Vec<String>), LoadError> {
    let (name, source, archive, published) = match file {
        Some(path) => {
            let source = std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: path.to_path_buf(), source })?;
            let archive = versions::archive_path(path).display().to_string();
            (path.display().to_string(), std::borrow::Cow::Owned(source), archive, versions::Published::beside(path)?)
        }
        None => (
            SHIPPED_NAME.to_string(),
            std::borrow::Cow::Borrowed(SHIPPED),
            SHIPPED_PUBLISHED_NAME.to_string(),
            Some(versions::Published::parse(SHIPPED_PUBLISHED_NAME, versions::SHIPPED_PUBLISHED)?),
        ),
    };
    let (mut register, warnings) = parse::parse_with_events(&name, &source, emitted)?;
    register.published = published;
    versions::check(&name, &source, &archive, &register)?;
    Ok((register, warnings))
}

/// Records the new versions of the statements of the register at `file` in
/// the archive beside it (made when missing); returns (statement, version)
/// of each one added.
pub fn publish(file: &Path) -> Result<Vec<(Statement, String)>, LoadError> {
    let source = std::fs::read_to_string(file).map_err(|source| LoadError::Read { path: file.to_path_buf(), source })?;
    let name = file.display().to_string();
    let register = parse::parse(&name, &source)?;
    let mut published = versions::Published::beside(file)?.unwrap_or_default();
    let path = versions::archive_path(file);
    let added = versions::publish(&name, &source, &path.display().to_string(), &register, &mut published)?;
    if !added.is_empty() {
        versions::write(&path, &published)?;
    }
    Ok(added)
}
