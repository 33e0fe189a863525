//! `grondslag audit export`: the stored audit log as Logboek
//! Dataverwerkingen lines (JSON Lines) or as OTLP/JSON (one
//! `ExportTraceServiceRequest` a line, as OpenTelemetry's file exporter
//! writes and its collector's `otlpjsonfile` receiver reads).
//!
//! Each line is the pure projection of `grondslag_audit::ldv` of one stored
//! entry; redacted entries (their payload gone past their term, their leaf
//! hash kept) have nothing to project and are skipped and counted.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::ValueEnum;
use grondslag_audit::Entry;
use grondslag_audit::ldv::{self, Line, Service};
use grondslag_kernel::DataDir;
use grondslag_store::StoreError;

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

pub fn run(data: &DataDir, format: ExportFormat, from_seq: u64, out: Option<PathBuf>) -> Result<(), Failure> {
    let (store, _) = data.open_audit(None)?;
    let mut writer: Box<dyn Write> = match &out {
        Some(path) => Box::new(BufWriter::new(crate::private_file::create(path)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let service = Service { name: "grondslag", version: env!("CARGO_PKG_VERSION") };
    let bar = progress::counter("exporting audit log");
    let mut counts = Counts::default();
    let mut batch: Vec<Line> = Vec::new();
    // The walk's callback can only say "stop"; why is kept here.
    let mut failure: Option<Failure> = None;
    let walked = store.audit_rows(from_seq, &mut |row| {
        bar.set_position(row.seq);
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
    if !batch.is_empty() {
        emit(&mut writer, &ldv::otlp::request(service, batch))?;
    }
    writer.flush().map_err(|e| Failure(format!("cannot write the export: {e}")))?;
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
