//! Every published version of every statement, kept readable (E21).
//!
//! A statement's version is typed by hand in `[statement.<name>]`, so by
//! itself it could lie: the text changes and the version does not. The
//! archive beside the register (`img.toml` → `img.published.json`, committed
//! with it) holds each published version as the document it rendered. When
//! the register is loaded, each statement as it renders now is compared with
//! the archived document of its version: a difference without a new version
//! is refused, and a new version must be recorded (`grondslag register
//! publish`) before it is used — so the version in force always names
//! exactly one text, and every earlier text stays readable, with what
//! changed between them generated from the two documents.
//!
//! A register without an archive beside it (a test's, a draft) is not
//! versioned: it renders, and says nothing about changes.

use std::path::{Path, PathBuf};

use grondslag_values::dutch;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{RegisterError, Sink};
use crate::model::{Edition, Register, Statement};
use crate::render::{self, Block, Document};

/// The archive the shipped register is published with.
pub const SHIPPED_PUBLISHED: &str = include_str!("../../../register/img.published.json");

/// The published versions of the register's statements, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// Every version ever published, in the order it was published.
    pub versions: Vec<PublishedVersion>,
}

/// One published version of one statement: its text as it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedVersion {
    /// The statement.
    pub statement: Statement,
    /// Its version.
    pub version: String,
    /// The date it was set.
    pub date: jiff::civil::Date,
    /// What it said.
    pub document: Document,
}

/// Why the archive of published versions could not be read or written.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum ArchiveError {
    #[error("cannot read the published versions {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the published versions {file} are not valid: {source}; restore the file from version control")]
    Invalid { file: String, source: serde_json::Error },
    #[error("cannot write the published versions {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// Where the archive of the register at `register_file` lives: beside it,
/// `img.toml` → `img.published.json`.
pub fn archive_path(register_file: &Path) -> PathBuf {
    register_file.with_extension("published.json")
}

impl Published {
    /// Reads an archive's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Published, ArchiveError> {
        serde_json::from_str(text).map_err(|source| ArchiveError::Invalid { file: file.to_string(), source })
    }

    /// Reads the archive beside `register_file`; `None` when there is none.
    pub fn beside(register_file: &Path) -> Result<Option<Published>, ArchiveError> {
        let path = archive_path(register_file);
        match std::fs::read_to_string(&path) {
            Ok(text) => Published::parse(&path.display().to_string(), &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ArchiveError::Read { path, source }),
        }
    }

    /// The versions of `statement`, oldest first.
    pub fn of(&self, statement: Statement) -> impl DoubleEndedIterator<Item = &PublishedVersion> {
        self.versions.iter().filter(move |v| v.statement == statement)
    }

    /// Version `version` of `statement`.
    pub fn find(&self, statement: Statement, version: &str) -> Option<&PublishedVersion> {
        self.of(statement).find(|v| v.version == version)
    }

    /// The version published before `version` of `statement` (the last
    /// one, when `version` is not published yet).
    pub fn before(&self, statement: Statement, version: &str) -> Option<&PublishedVersion> {
        self.of(statement).take_while(|v| v.version != version).last()
    }
}

/// What is wrong with a statement's version, measured against the archive.
enum Stale<'r> {
    /// The text changed, the version did not.
    Changed { edition: &'r Edition, change: String },
    /// The date of a published version was changed.
    Redated { edition: &'r Edition, published: jiff::civil::Date },
    /// A new version is not after the one before it.
    NotLater { edition: &'r Edition, before: &'r PublishedVersion },
    /// A new version that is not recorded yet.
    Unrecorded { edition: &'r Edition },
}

fn stale<'r>(register: &'r Register, published: &'r Published) -> Vec<Stale<'r>> {
    let mut found = Vec::new();
    for edition in &register.meta.editions {
        match published.find(edition.statement, &edition.version) {
            Some(recorded) if recorded.date != edition.date => found.push(Stale::Redated { edition, published: recorded.date }),
            Some(recorded) => {
                let now = render::document(register, edition.statement);
                if now != recorded.document {
                    let change = render::changes(&recorded.document, &now).into_iter().next().unwrap_or_else(|| "de opmaak van de tekst".to_string());
                    found.push(Stale::Changed { edition, change });
                }
            }
            None => match published.before(edition.statement, &edition.version) {
                Some(before) if before.date >= edition.date => found.push(Stale::NotLater { edition, before }),
                _ => found.push(Stale::Unrecorded { edition }),
            },
        }
    }
    found
}

fn report(file: &str, source: &str, archive: &str, problems: Vec<Stale<'_>>) -> Result<(), RegisterError> {
    let mut sink = Sink::new(source);
    for problem in problems {
        match problem {
            Stale::Changed { edition, change } => sink.error(
                edition.span.clone(),
                format!(
                    "the {} says something else than its published version {} (e.g. {change}), but its version was not raised (E21)",
                    edition.statement.title_nl(),
                    edition.version
                ),
                Some(format!(
                    "raise `version` and `date` of [statement.{}], then run `grondslag register publish {file}` and commit {archive}",
                    edition.statement.name()
                )),
            ),
            Stale::Redated { edition, published } => sink.error(
                edition.span.clone(),
                format!("version {} of the {} was published dated {published}; its date cannot change", edition.version, edition.statement.title_nl()),
                Some(format!("put back date = \"{published}\", or raise the version for a new date")),
            ),
            Stale::NotLater { edition, before } => sink.error(
                edition.span.clone(),
                format!(
                    "the new version {} of the {} is dated {}, not after version {} of {}",
                    edition.version,
                    edition.statement.title_nl(),
                    edition.date,
                    before.version,
                    before.date
                ),
                Some("date the new version on the day it is set".to_string()),
            ),
            Stale::Unrecorded { edition } => sink.error(
                edition.span.clone(),
                format!("version {} of the {} is not recorded in {archive}", edition.version, edition.statement.title_nl()),
                Some(format!("run `grondslag register publish {file}` and commit {archive}, so the version stays readable")),
            ),
        }
    }
    sink.into_error(file).map_or(Ok(()), Err)
}

/// Checks each statement of `register` against its published versions
/// ([`Register::published`]): a version names exactly one text, and every
/// version in use is recorded.
pub(crate) fn check(file: &str, source: &str, archive: &str, register: &Register) -> Result<(), RegisterError> {
    match &register.published {
        Some(published) => report(file, source, archive, stale(register, published)),
        None => Ok(()),
    }
}

/// Records the statements' new versions in `published`, and returns the
/// ones it added as (statement, version). A changed text under a published
/// version is refused as loading the register refuses it.
pub fn publish(file: &str, source: &str, archive: &str, register: &Register, published: &mut Published) -> Result<Vec<(Statement, String)>, RegisterError> {
    // Rendered as `load` renders it: with the archive, so with what changed.
    let mut register = register.clone();
    register.published = Some(published.clone());
    let register = &register;
    let mut unrecorded: Vec<Statement> = Vec::new();
    let mut refused = Vec::new();
    for problem in stale(register, published) {
        match problem {
            Stale::Unrecorded { edition } => unrecorded.push(edition.statement),
            other => refused.push(other),
        }
    }
    report(file, source, archive, refused)?;
    let mut added = Vec::new();
    for edition in register.meta.editions.iter().filter(|e| unrecorded.contains(&e.statement)) {
        // The archive as it was before this call is enough: a statement's
        // changes compare only with its own earlier versions.
        published.versions.push(PublishedVersion {
            statement: edition.statement,
            version: edition.version.clone(),
            date: edition.date,
            document: render::document(register, edition.statement),
        });
        added.push((edition.statement, edition.version.clone()));
    }
    Ok(added)
}

/// Writes `published` to `path` whole or not at all.
pub fn write(path: &Path, published: &Published) -> Result<(), ArchiveError> {
    let write = |source| ArchiveError::Write { path: path.to_path_buf(), source };
    let mut text = serde_json::to_string_pretty(published).map_err(|e| write(std::io::Error::other(e)))?;
    text.push('\n');
    let temporary = path.with_extension("json.tmp");
    std::fs::write(&temporary, text).map_err(write)?;
    std::fs::rename(&temporary, path).map_err(write)
}

/// Where the site serves `statement` as it is in force.
fn page(statement: Statement) -> String {
    match statement {
        Statement::Public => "/privacyverklaring".to_string(),
        Statement::Children => render::CHILDREN_PAGE.to_string(),
        Statement::Staff | Statement::Kcc => format!("/privacyverklaring?verklaring={}", statement.name()),
    }
}

/// The list of published versions of `statement`, newest first, with the
/// one in force marked — for the page that links to each.
pub fn listing(register: &Register, statement: Statement) -> Vec<(String, String, bool)> {
    let current = register.meta.edition(statement).map(|e| e.version.as_str());
    let Some(published) = &register.published else {
        return register.meta.edition(statement).map(|e| vec![(e.version.clone(), dutch::date(e.date), true)]).unwrap_or_default();
    };
    published.of(statement).rev().map(|v| (v.version.clone(), dutch::date(v.date), Some(v.version.as_str()) == current)).collect()
}

/// An archived version as a page of its own, marked as not in force when it
/// is not. Without an archive (a draft register) only the version in force
/// exists, as [`listing`] lists it.
pub fn render_version(register: &Register, statement: Statement, version: &str, format: render::Format) -> Option<String> {
    let current = register.meta.edition(statement).is_some_and(|e| e.version == version);
    let Some(published) = register.published.as_ref().and_then(|p| p.find(statement, version)) else {
        return current.then(|| render::render(register, statement, format));
    };
    let mut document = published.document.clone();
    if !current {
        document.blocks.insert(
            0,
            Block::Paragraph {
                text: format!(
                    "Dit is een oude versie ({}, {}). Zij geldt niet meer; de geldende versie staat op {}.",
                    published.version,
                    dutch::date(published.date),
                    page(statement)
                ),
            },
        );
    }
    Some(render::write(&document, format))
}
