//! The answer to an access request (art. 15), from the register and the
//! kernel's export: per processing what it is for, on which basis, how long
//! it is kept, the items held and where they actually went; and the access
//! report — who looked at or changed the data, when, under which processing.
//! As JSON (machine-readable) and as a readable Dutch HTML page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use grondslag_kernel::{Access, Kernel, KernelError, SubjectExport, SubjectId, Value};
use grondslag_register::render::retention_nl;
use grondslag_register::{Category, Register};
use grondslag_values::dutch::escape_html;
use serde::Serialize;

/// An access report (art. 15): what is kept about a person, where it went, and who looked.
#[derive(Debug, Serialize)]
pub struct AccessReport {
    /// When the report was made.
    pub generated_at: jiff::Timestamp,
    /// The organisation responsible, from the register.
    pub controller: String,
    /// The privacy statement version the report answers under.
    pub statement_version: String,
    /// One part per processing that holds the person's data.
    pub processings: Vec<ProcessingPart>,
    /// Who accessed the person's data, from the audit log.
    pub accesses: Vec<AccessLine>,
}

/// What one processing holds of the person, and on what grounds.
#[derive(Debug, Serialize)]
pub struct ProcessingPart {
    /// The processing's register id.
    pub id: String,
    /// Its name, as the statement gives it.
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// Its legal basis (art. 6).
    pub legal_basis: String,
    /// How long it keeps data, in words.
    pub retention: String,
    /// Where the data came from, when not from the person.
    pub sources: Vec<String>,
    /// The categories this processing holds of the person.
    pub categories: Vec<&'static str>,
    /// What automated checks decided, with rule, inputs and result (E0.3).
    pub automated: Vec<String>,
    /// Each record: category → value; bytes (photos, recordings) as base64.
    pub items: Vec<BTreeMap<&'static str, String>>,
    /// Who the data went to.
    pub disclosed_to: Vec<Disclosed>,
}

/// One disclosure of the person's data.
#[derive(Debug, Serialize)]
pub struct Disclosed {
    /// Who received it.
    pub recipient: String,
    /// Which categories, by name.
    pub categories: String,
    /// When.
    pub at: jiff::Timestamp,
}

/// One access to the person's data, as the audit log has it.
#[derive(Debug, Serialize)]
pub struct AccessLine {
    /// When.
    pub at: jiff::Timestamp,
    /// Who.
    pub actor: String,
    /// In which role.
    pub role: String,
    /// Under which processing.
    pub processing: String,
    /// What was done.
    pub action: String,
    /// Whether it was allowed.
    pub outcome: String,
}

/// A person's own access report, as Mijn gegevens shows it: the export of
/// their own file under the rights process, which the register lets a
/// person read for themselves.
pub fn own(kernel: &Kernel, access: &Access, subject: &SubjectId) -> Result<AccessReport, KernelError> {
    let rights = kernel.processing(crate::requests::PROCESSING)?;
    let export = kernel.export(access, rights, subject)?;
    Ok(report(kernel.register(), &export, access.now))
}

/// The report for an export the kernel made, laid out per processing.
pub fn report(register: &Register, export: &SubjectExport, generated_at: jiff::Timestamp) -> AccessReport {
    let mut processings: Vec<ProcessingPart> = Vec::new();
    for record in &export.records {
        let Some(id) = register.processing_id(&record.processing) else { continue };
        let p = register.processing(id);
        let items: BTreeMap<&'static str, String> = record
            .fields
            .iter()
            .map(|(category, value)| {
                let shown = match value {
                    // A copy of one's sign-in secrets would let whoever
                    // holds the export sign in: it says they exist, no more.
                    _ if matches!(category, Category::Password | Category::SecondFactor | Category::RecoveryCodes) => {
                        "(ingesteld; om veiligheidsredenen niet getoond)".to_string()
                    }
                    Value::Text(text) => text.clone(),
                    Value::Bytes(bytes) => BASE64.encode(bytes),
                };
                (category.name(), shown)
            })
            .collect();
        let automated: Vec<String> = export
            .events
            .iter()
            .filter(|(id, _)| *id == record.record)
            .flat_map(|(_, events)| events.iter())
            .filter(|e| matches!(e.event.as_str(), "automated_check" | "fast_track" | "human_review"))
            .filter_map(|e| e.detail.clone())
            .collect();
        let categories: Vec<&'static str> = record.fields.iter().map(|(c, _)| c.name()).collect();
        match processings.iter_mut().find(|part| part.id == p.id) {
            Some(part) => {
                part.items.push(items);
                part.automated.extend(automated);
                for category in categories {
                    if !part.categories.contains(&category) {
                        part.categories.push(category);
                    }
                }
            }
            None => {
                let mut basis = format!("{} ({})", p.basis.label_nl(), p.basis.avg_article());
                for article in &p.basis_articles {
                    let _ = write!(basis, "; {article}");
                }
                processings.push(ProcessingPart {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    purpose: p.purpose.clone(),
                    legal_basis: basis,
                    retention: retention_nl(&p.retention),
                    sources: p.sources.clone(),
                    categories,
                    automated,
                    items: vec![items],
                    disclosed_to: export
                        .disclosures
                        .iter()
                        .filter(|d| d.processing == p.id)
                        .map(|d| Disclosed {
                            recipient: register.recipient_id(&d.recipient).map_or(d.recipient.clone(), |r| register.recipient(r).name.clone()),
                            categories: d.categories.clone(),
                            at: d.at,
                        })
                        .collect(),
                });
            }
        }
    }
    let accesses = export
        .accesses
        .iter()
        .map(|e| AccessLine {
            at: e.timestamp,
            actor: e.actor.clone(),
            role: e.role.clone(),
            processing: e.processing.clone(),
            action: e.action.clone(),
            outcome: format!("{:?}", e.outcome).to_lowercase(),
        })
        .collect();
    AccessReport { generated_at, controller: register.meta.controller.clone(), statement_version: register.meta.version.clone(), processings, accesses }
}

/// The report as a readable Dutch page.
pub fn html(report: &AccessReport) -> String {
    let mut out =
        String::from("<!doctype html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n<title>Inzage in je gegevens</title>\n</head>\n<body>\n");
    let _ = writeln!(
        out,
        "<h1>Inzage in je gegevens</h1>\n<p>{} — gemaakt op {}, volgens privacyverklaring versie {}.</p>",
        escape_html(&report.controller),
        report.generated_at,
        escape_html(&report.statement_version)
    );
    for part in &report.processings {
        let _ = writeln!(out, "<h2>{}</h2>\n<p>{}</p>", escape_html(&part.name), escape_html(&part.purpose));
        let _ = writeln!(
            out,
            "<p><strong>Grondslag</strong> {}</p>\n<p><strong>Bewaartermijn</strong> {}</p>",
            escape_html(&part.legal_basis),
            escape_html(&part.retention)
        );
        for item in &part.items {
            out.push_str("<table>\n");
            for (category, value) in item {
                let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", escape_html(category), escape_html(value));
            }
            out.push_str("</table>\n");
        }
        for outcome in &part.automated {
            let _ = writeln!(out, "<p><strong>Automatische controle</strong> {}</p>", escape_html(outcome));
        }
        if !part.disclosed_to.is_empty() {
            out.push_str("<p><strong>Verstrekt aan</strong></p>\n<ul>\n");
            for d in &part.disclosed_to {
                let _ = writeln!(out, "<li>{} — {} ({})</li>", escape_html(&d.recipient), escape_html(&d.categories), d.at);
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str("<h2>Wie heeft je gegevens bekeken of gewijzigd?</h2>\n<table>\n<tr><th>wanneer</th><th>wie</th><th>rol</th><th>verwerking</th><th>handeling</th><th>uitkomst</th></tr>\n");
    for line in &report.accesses {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            line.at,
            escape_html(&line.actor),
            escape_html(&line.role),
            escape_html(&line.processing),
            escape_html(&line.action),
            escape_html(&line.outcome)
        );
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}
