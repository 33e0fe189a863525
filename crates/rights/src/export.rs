//! The answer to an access request (art. 15), from the register and the
//! kernel's export: per processing what it is for, on which basis, how long
//! it is kept, the items held and where they actually went; and the access
//! report — when the data was looked at or changed, for which purpose,
//! under which processing, by what kind of party. Never by whom: the CJEU
//! (C-579/21, Pankki S) gives the person dates and purposes, not the
//! identities of the employees who acted. As JSON (machine-readable) and
//! as a readable Dutch HTML page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use grondslag_audit::{Entry, Outcome};
use grondslag_kernel::{Access, Kernel, KernelError, SubjectExport, SubjectId, Value};
use grondslag_register::render::retention_nl;
use grondslag_register::{Category, Register, Role};
use grondslag_values::dutch::{escape_html, moment};
use serde::Serialize;

/// An access report (art. 15): what is kept about a person, where it went, and when it was looked at and why.
#[derive(Debug, Serialize)]
pub struct AccessReport {
    /// When the report was made.
    pub generated_at: jiff::Timestamp,
    /// The organisation responsible, from the register.
    pub controller: String,
    /// The statements the report answers under, each with its version:
    /// "Privacyverklaring 2024.05".
    pub statement_version: String,
    /// One part per processing that holds the person's data.
    pub processings: Vec<ProcessingPart>,
    /// When the person's data was accessed, for what and by what kind of
    /// party, from the audit log; refused attempts too.
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

/// One access to the person's data, from the audit log: when, for what,
/// and by what kind of party — never by whom.
#[derive(Debug, Serialize)]
pub struct AccessLine {
    /// When.
    pub at: jiff::Timestamp,
    /// What kind of party acted, in Dutch: "behandelaar", "deskundige",
    /// "geautomatiseerd proces". The role, not the person.
    pub party: String,
    /// The processing it was done under, by its register id.
    pub processing_id: String,
    /// The processing's name, as the statement gives it.
    pub processing: String,
    /// What that processing is for, from the register.
    pub purpose: String,
    /// What was done, in Dutch.
    pub what: String,
    /// An attempt the register refused: nothing was shown or changed.
    pub attempt: bool,
}

impl AccessLine {
    /// The line of one audit entry: the register gives the processing's
    /// name and purpose and the role's Dutch name; the entry's actor is
    /// left where it is.
    fn of(register: &Register, entry: &Entry) -> AccessLine {
        let processing = register.processing_id(&entry.processing).map(|id| register.processing(id));
        AccessLine {
            at: entry.timestamp,
            party: Role::from_name(&entry.role).map_or_else(|| "onbekende rol".to_string(), |role| role.label_nl().to_string()),
            processing_id: entry.processing.clone(),
            processing: processing.map_or_else(|| entry.processing.clone(), |p| p.name.clone()),
            purpose: processing.map_or_else(|| "(verwerking niet meer in het register)".to_string(), |p| p.purpose.clone()),
            what: what_nl(register, entry),
            attempt: entry.outcome == Outcome::Denied,
        }
    }
}

/// What an audit entry's operation did, as the person reads it.
fn what_nl(register: &Register, entry: &Entry) -> String {
    let operation = entry.action.split(':').next().unwrap_or_default();
    let text = match operation {
        "read" | "read_events" => "ingezien",
        "list" => "in een overzicht getoond",
        "lookup" => "opgezocht",
        "export" => "verzameld voor inzage (AVG art. 15)",
        "write" | "file" => "vastgelegd of gewijzigd",
        "record_event" => "een stap in de afhandeling vastgelegd",
        "assign_reference" => "een zaaknummer toegekend",
        "index" => "vindbaar gemaakt",
        "belong_to" => "aan een dossier gekoppeld",
        "relate" => "toegang gegeven (bijvoorbeeld aan een deskundige of gemachtigde)",
        "unrelate" => "toegang ingetrokken",
        "check" | "handle" | "advance" => "nagegaan of een stap mag",
        "erase" | "erase_record" | "rights_erase" | "retention_sweep" => "gewist",
        "rectify" => "gecorrigeerd",
        "restrict" => "verwerking beperkt (AVG art. 18)",
        "lift_restriction" => "beperking opgeheven",
        "hold" => "bewaard voor onderzoek",
        "further_use" => "hergebruikt voor een verenigbaar doel",
        "disclose" => {
            let recipient = entry.object.strip_prefix("recipient:").unwrap_or_default();
            let name = register.recipient_id(recipient).map_or(recipient, |r| register.recipient(r).name.as_str());
            return format!("verstrekt aan {name}");
        }
        // An operation named after a register action reads as that
        // action; any other is still something done with the data, and
        // never shown by its English name.
        other => grondslag_register::Action::from_name(other).map_or("verwerkt", grondslag_register::Action::label_nl),
    };
    text.to_string()
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
                    retention: retention_nl(register, &p.retention),
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
    let accesses = export.accesses.iter().map(|entry| AccessLine::of(register, entry)).collect();
    // Each statement that publishes one of the person's processings; the
    // public one when there is none (the report then answers under it).
    let statements: Vec<String> = grondslag_register::Statement::ALL
        .iter()
        .filter(|s| {
            **s == grondslag_register::Statement::Public
                || processings.iter().any(|p| register.processing_id(&p.id).is_some_and(|id| register.processing(id).statement == **s))
        })
        .filter_map(|s| register.meta.edition(*s).map(|e| format!("{} {}", s.title_nl(), e.version)))
        .collect();
    AccessReport { generated_at, controller: register.meta.controller.clone(), statement_version: statements.join("; "), processings, accesses }
}

/// The report as a readable Dutch page.
pub fn html(report: &AccessReport) -> String {
    let mut out =
        String::from("<!doctype html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n<title>Inzage in je gegevens</title>\n</head>\n<body>\n");
    let _ = writeln!(
        out,
        "<h1>Inzage in je gegevens</h1>\n<p>{} — gemaakt op {}, volgens {}.</p>",
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
    out.push_str("<h2>Wanneer zijn je gegevens bekeken of gewijzigd, en waarvoor?</h2>\n");
    out.push_str("<p>Wij noemen de soort medewerker of het systeem, niet de naam van de medewerker.</p>\n");
    out.push_str("<table>\n<tr><th>wanneer</th><th>wat</th><th>door</th><th>verwerking</th><th>waarvoor</th></tr>\n");
    for line in &report.accesses {
        let what = if line.attempt { format!("poging, geweigerd: {}", line.what) } else { line.what.clone() };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape_html(&moment(line.at)),
            escape_html(&what),
            escape_html(&line.party),
            escape_html(&line.processing),
            escape_html(&line.purpose)
        );
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use grondslag_audit::{SpanId, TraceId};

    use super::*;

    fn entry(action: &str) -> Entry {
        Entry {
            timestamp: "2026-12-01T10:00:00Z".parse().unwrap(),
            trace_id: TraceId([1; 16]),
            span_id: SpanId([2; 8]),
            parent_span_id: None,
            foreign_operation: None,
            processing_activity_id: "https://register.example/processing_activities/fysieke_schade/versions/1".into(),
            processing: "fysieke_schade".into(),
            data_subject_id: None,
            data_subject_id_type: None,
            actor: "carla".into(),
            role: "case_handler".into(),
            action: action.into(),
            object: "record".into(),
            categories: vec!["name".into()],
            outcome: Outcome::Allowed,
            status_code: Outcome::Allowed.status_code(),
            reason: "allowed by the register".into(),
            origin: "http 10.0.0.1".into(),
        }
    }

    // req: E0.8
    #[test]
    fn what_was_done_is_said_in_dutch_even_for_an_operation_without_its_own_words() {
        let (register, _) = grondslag_register::load(None, None).unwrap();
        assert_eq!(what_nl(&register, &entry("read:name")), "ingezien");
        assert_eq!(what_nl(&register, &entry("report")), "rapportages inzien die niet tot personen te herleiden zijn");
        assert_eq!(what_nl(&register, &entry("some_new_operation")), "verwerkt");
    }
}
