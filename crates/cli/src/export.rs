//! `grondslag audit export`: the stored audit log as Logboek
//! Dataverwerkingen lines (JSON Lines) or as OTLP/JSON (one
//! `ExportTraceServiceRequest` a line, as OpenTelemetry's file exporter
//! writes and its collector's `otlpjsonfile` receiver reads).
//!
//! Each line is the pure projection of `grondslag_audit::ldv` of one stored
//! entry; redacted entries (their payload gone past their term, their leaf
//! hash kept) have nothing to project and are skipped and counted.
//!
//! An export goes on from an earlier one by each chain's last position
//! (`--resume`), not by `seq`: on PostgreSQL, writes about different people
//! commit beside each other, so an entry numbered lower than one already
//! exported may commit after it. Within a chain they cannot: a write holds
//! its chain until it commits, so a chain's entries commit in the order of
//! their positions, gap-free, and each draws a higher `seq` than the one
//! before it. So the entries a resumed export owes are, per chain, those
//! after the position it stopped at; and they all lie after the lowest
//! `seq` it stopped at over the chains, where the walk starts.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::ValueEnum;
use grondslag_audit::ldv::{self, Line, Service};
use grondslag_audit::{Chain, Entry};
use grondslag_kernel::DataDir;
use grondslag_store::StoreError;

use crate::private_file::Replacement;
use crate::{Failure, progress};

/// Spans per OTLP request: a collector's default limit on a request is a few MiB.
const SPANS_PER_REQUEST: usize = 1000;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ExportFormat {
    /// One LDV line (JSON) per entry.
    LdvJsonl,
    /// OTLP/JSON trace requests, one per line.
    OtlpJson,
}

/// What an export wrote, for the summary on standard error.
#[derive(Debug, Default)]
struct Counts {
    lines: u64,
    redacted: u64,
}

/// Where an export stopped: each chain's last position exported, with that
/// entry's `seq`. What `--resume` reads and writes, as JSON.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Frontier {
    /// By chain number.
    chains: BTreeMap<u16, Stop>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Stop {
    position: u64,
    seq: u64,
}

impl Frontier {
    /// The frontier `path` holds; none yet where there is no file.
    fn read(path: &Path) -> Result<Frontier, Failure> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Frontier::default()),
            Err(e) => return Err(Failure(format!("cannot read {}: {e}", path.display()))),
        };
        serde_json::from_str(&text).map_err(|e| {
            Failure(format!(
                "{}: {e}; that is not where an export stopped (as `grondslag audit export --resume` writes it) — give the file an earlier export wrote, or a new path to start at the first entry",
                path.display()
            ))
        })
    }

    /// The first `seq` that can hold an entry not yet exported: every
    /// chain's next entry lies after its stop (see the module's note), and a
    /// chain without one may hold any.
    fn start(&self) -> u64 {
        let stopped = (0..Chain::COUNT).map(|chain| self.chains.get(&chain).map_or(0, |stop| stop.seq));
        stopped.chain(self.chains.values().map(|stop| stop.seq)).min().unwrap_or(0) + 1
    }

    /// The chains whose stop the walk from `start` meets: it must find
    /// there the very entry it stopped at.
    fn to_confirm(&self, start: u64) -> BTreeSet<u16> {
        self.chains.iter().filter(|(_, stop)| stop.seq >= start).map(|(chain, _)| *chain).collect()
    }

    /// Whether the walk is to hand on `row` (one not exported before), and
    /// moves its chain's stop to it if so. Checks that the row fits: a
    /// chain's stop is met as it was, and its entries follow it without a
    /// gap — else the frontier was written for another log.
    fn admits(&mut self, row: &grondslag_audit::Row, to_confirm: &mut BTreeSet<u16>) -> Result<bool, Failure> {
        let number = row.chain.number();
        let stop = self.chains.get(&number).copied().unwrap_or_default();
        let met = row.position == stop.position;
        if met && row.seq != stop.seq || row.position > stop.position + 1 || row.position > stop.position && to_confirm.contains(&number) {
            return Err(not_this_log(number, stop));
        }
        if met {
            to_confirm.remove(&number);
        }
        if row.position <= stop.position {
            return Ok(false);
        }
        self.chains.insert(number, Stop { position: row.position, seq: row.seq });
        Ok(true)
    }

    /// Puts this frontier in place of the file `file` replaces.
    fn write(&self, mut file: Replacement) -> Result<(), Failure> {
        let path = file.path().to_path_buf();
        let error = |e: &dyn std::fmt::Display| Failure(format!("cannot write {}: {e}", path.display()));
        serde_json::to_writer_pretty(file.file(), self).map_err(|e| error(&e))?;
        file.file().write_all(b"\n").map_err(|e| error(&e))?;
        file.finish()
    }
}

fn not_this_log(chain: u16, stop: Stop) -> Failure {
    Failure(format!(
        "the export to resume from stopped at entry {} of chain {chain} (number {}), which does not fit this log; was it written for another one? Give a new --resume file to export from the first entry",
        stop.position, stop.seq
    ))
}

pub fn run(data: &DataDir, format: ExportFormat, from_seq: u64, resume: Option<PathBuf>, out: Option<PathBuf>) -> Result<(), Failure> {
    let mut frontier = match &resume {
        Some(path) => Some(Frontier::read(path)?),
        None => None,
    };
    // Made before the export, so that a place it cannot be written fails
    // the command before anything is exported that a next run would repeat.
    let frontier_file = resume.as_deref().map(Replacement::create).transpose()?;
    let start = frontier.as_ref().map_or(from_seq, Frontier::start);
    let mut to_confirm = frontier.as_ref().map(|frontier| frontier.to_confirm(start)).unwrap_or_default();
    let (store, _) = data.open_audit(None)?;
    // A file is put in place only once the export is whole: one that fails
    // half-way leaves no part of an export where the whole was asked for.
    let mut replacement = out.as_deref().map(Replacement::create).transpose()?;
    let mut writer: Box<dyn Write + '_> = match &mut replacement {
        Some(replacement) => Box::new(BufWriter::new(replacement.file())),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let service = Service { name: "grondslag", version: env!("CARGO_PKG_VERSION") };
    let bar = progress::counter("exporting audit log");
    let mut counts = Counts::default();
    let mut batch: Vec<Line> = Vec::new();
    // The walk's callback can only say "stop"; why is kept here.
    let mut failure: Option<Failure> = None;
    let walked = store.audit_rows(start, &mut |row| {
        bar.set_position(row.seq);
        if let Some(frontier) = &mut frontier {
            match frontier.admits(&row, &mut to_confirm) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(e) => {
                    failure = Some(e);
                    return Err(StoreError::Aborted);
                }
            }
        }
        if row.is_forgotten() {
            counts.redacted += 1;
            return Ok(());
        }
        let step = Entry::parse(&row.entry)
            .map_err(|e| Failure(format!("audit entry {} cannot be read ({e}); `grondslag audit verify` checks the log", row.seq)))
            .and_then(|entry| {
                let line = ldv::line(&entry, service);
                counts.lines += 1;
                match format {
                    ExportFormat::LdvJsonl => emit(&mut writer, &line),
                    ExportFormat::OtlpJson => {
                        batch.push(line);
                        if batch.len() == SPANS_PER_REQUEST {
                            emit(&mut writer, &ldv::otlp::request(service, std::mem::take(&mut batch)))?;
                        }
                        Ok(())
                    }
                }
            });
        step.map_err(|e| {
            failure = Some(e);
            StoreError::Aborted
        })
    });
    if let Some(failure) = failure {
        bar.abandon();
        return Err(failure);
    }
    walked?;
    if let (Some(chain), Some(frontier)) = (to_confirm.first(), &frontier) {
        bar.abandon();
        return Err(not_this_log(*chain, frontier.chains.get(chain).copied().unwrap_or_default()));
    }
    if !batch.is_empty() {
        emit(&mut writer, &ldv::otlp::request(service, batch))?;
    }
    writer.flush().map_err(|e| Failure(format!("cannot write the export: {e}")))?;
    drop(writer);
    if let Some(replacement) = replacement {
        replacement.finish()?;
    }
    if let (Some(frontier), Some(file)) = (&frontier, frontier_file) {
        frontier.write(file)?;
    }
    bar.finish_and_clear();
    eprintln!(
        "exported {} audit entries as {} (projection {}, {}); skipped {} redacted entries",
        counts.lines,
        match format {
            ExportFormat::LdvJsonl => "LDV lines",
            ExportFormat::OtlpJson => "OTLP/JSON spans",
        },
        ldv::VERSION,
        ldv::STANDARD,
        counts.redacted
    );
    Ok(())
}

/// One JSON value and a newline.
fn emit(writer: &mut dyn Write, value: &impl serde::Serialize) -> Result<(), Failure> {
    serde_json::to_writer(&mut *writer, value).map_err(|e| Failure(format!("cannot write the export: {e}")))?;
    writer.write_all(b"\n").map_err(|e| Failure(format!("cannot write the export: {e}")))
}
