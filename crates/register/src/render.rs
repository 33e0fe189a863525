//! The privacy statement, in Dutch, generated from the register the kernel
//! enforces — so the statement and the system cannot drift apart (E0.7).
//!
//! The register is first turned into a small document (headings,
//! paragraphs, lists, tables); one writer prints it as Markdown, another as a
//! standalone HTML page. What the statement says is decided once.

use std::fmt::Write;

use crate::categories::CategorySet;
use crate::model::{Basis, Processing, Register, Retention, Statement, Term};
use crate::taxonomy::{Category, Sensitivity};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

/// Renders one of the register's statements.
pub fn render(register: &Register, statement: Statement, format: Format) -> String {
    let document = document(register, statement);
    match format {
        Format::Markdown => markdown(&document),
        Format::Html => html(&document),
    }
}

#[derive(Debug)]
enum Block {
    /// Level, text, and an anchor for the table of contents.
    Heading(u8, String, Option<String>),
    Paragraph(String),
    /// A label in bold followed by text.
    Field(&'static str, String),
    List(Vec<String>),
}

#[derive(Debug)]
struct Document {
    title: String,
    blocks: Vec<Block>,
    /// (anchor, title) of each section.
    contents: Vec<(String, String)>,
}

const MONTHS: [&str; 12] = [
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december",
];

fn dutch_date(date: jiff::civil::Date) -> String {
    let month = usize::try_from(date.month() - 1).ok().and_then(|m| MONTHS.get(m)).copied().unwrap_or("?");
    format!("{} {month} {}", date.day(), date.year())
}

fn document(register: &Register, statement: Statement) -> Document {
    let processings: Vec<&Processing> = register.processings.iter().filter(|p| p.statement == statement).collect();
    // A statement speaks for the controller of its processings (RVO for the
    // call-centre protocol); each processing names its own only if it differs.
    let controller = match processings.first() {
        Some(first) if processings.iter().all(|p| p.controller == first.controller) => first.controller.as_str(),
        _ => register.meta.controller.as_str(),
    };
    let mut blocks = vec![
        Block::Paragraph(format!(
            "{controller} — versie {}, vastgesteld op {}.",
            register.meta.version,
            dutch_date(register.meta.date)
        )),
        Block::Paragraph(
            "Deze verklaring is gemaakt uit het register van verwerkingen dat de software van het instituut zelf \
             afdwingt: wat hier staat, is wat het systeem toestaat. Wijzigt het register, dan krijgt deze verklaring \
             een nieuwe versie."
                .to_string(),
        ),
    ];
    let mut contents = Vec::new();
    for section in register.sections.iter().filter(|s| s.statement == statement) {
        let anchor = format!("sectie-{}", section.number);
        let title = format!("{}. {}", section.number, section.title);
        contents.push((anchor.clone(), title.clone()));
        blocks.push(Block::Heading(2, title, Some(anchor)));
        if let Some(intro) = &section.intro {
            blocks.extend(intro.split("\n\n").map(|p| Block::Paragraph(p.trim().to_string())));
        }
        for processing in processings.iter().filter(|p| p.section == section.number) {
            processing_blocks(register, controller, processing, &mut blocks);
        }
    }
    recipients_blocks(register, &processings, &mut contents, &mut blocks);
    if statement == Statement::Public {
        let c = &register.contact;
        contents.push(("contact".to_string(), "Contact".to_string()));
        blocks.push(Block::Heading(2, "Contact".to_string(), Some("contact".to_string())));
        blocks.push(Block::List(vec![
            format!("Bezoekadres: {}", c.visit),
            format!("Postadres: {}", c.post),
            format!("E-mail privacyteam: {}", c.email),
            format!("Telefoon: {}", c.phone),
            format!("Functionaris gegevensbescherming (FG): {}", c.dpo_email),
        ]));
        blocks.push(Block::Paragraph(
            "Ben je het niet eens met hoe wij met je gegevens omgaan? Neem contact op met het privacyteam of de FG. \
             Je kunt ook een klacht indienen bij de Autoriteit Persoonsgegevens."
                .to_string(),
        ));
    }
    Document { title: statement.title_nl().to_string(), blocks, contents }
}

fn processing_blocks(register: &Register, controller: &str, p: &Processing, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading(3, format!("{} ({})", p.name, p.req), None));
    blocks.push(Block::Paragraph(p.purpose.clone()));
    if p.controller != controller {
        blocks.push(Block::Field("Verwerkingsverantwoordelijke", p.controller.clone()));
    }
    if !p.subjects.is_empty() {
        blocks.push(Block::Field("Van wie", p.subjects.join(", ")));
    }
    blocks.push(Block::Field("Welke gegevens gebruiken wij?", String::new()));
    blocks.push(Block::List(p.categories.iter().map(|c| category_label(c, p.optional)).collect()));
    blocks.push(Block::Field("Grondslag", basis_text(p)));
    if let Some(withdrawal) = &p.withdrawal {
        blocks.push(Block::Field("Toestemming intrekken", withdrawal.clone()));
    }
    if let Some(compatibility) = &p.compatibility {
        blocks.push(Block::Field("Verenigbaarheid met het oorspronkelijke doel", compatibility.clone()));
    }
    if !p.sources.is_empty() {
        blocks.push(Block::Field("Van wie krijgen wij deze gegevens?", p.sources.join(", ")));
    }
    if !p.disclosures.is_empty() {
        blocks.push(Block::Field("Met wie delen wij je gegevens?", String::new()));
        blocks.push(Block::List(
            p.disclosures
                .iter()
                .map(|d| {
                    let recipient = register.recipient(d.recipient_id);
                    format!("{} ({}): {}", recipient.name, recipient.kind.label_nl(), labels(d.categories))
                })
                .collect(),
        ));
    }
    if !p.processors.is_empty() {
        blocks.push(Block::Field("Verwerkers", p.processors.join(", ")));
    }
    blocks.push(Block::Field("Hoe lang bewaren wij je gegevens?", retention_nl(&p.retention)));
    if p.save_and_resume {
        blocks.push(Block::Paragraph(
            "Een aanvraag die je nog niet hebt afgerond, bewaren wij zodat je later verder kunt gaan.".to_string(),
        ));
    }
}

fn recipients_blocks(register: &Register, processings: &[&Processing], contents: &mut Vec<(String, String)>, blocks: &mut Vec<Block>) {
    let mut used: Vec<_> = processings.iter().flat_map(|p| p.disclosures.iter().map(|d| d.recipient_id)).collect();
    used.sort();
    used.dedup();
    if used.is_empty() {
        return;
    }
    contents.push(("ontvangers".to_string(), "Ontvangers".to_string()));
    blocks.push(Block::Heading(2, "Ontvangers".to_string(), Some("ontvangers".to_string())));
    blocks.push(Block::List(
        used.into_iter()
            .map(|id| {
                let r = register.recipient(id);
                let basis = r.legal_basis.as_deref().map(|b| format!(" Grondslag: {b}.")).unwrap_or_default();
                let check = if r.legal_check { " Alleen na een vastgelegde toets dat de wettelijke plicht bestaat." } else { "" };
                format!("{} ({}, {}): {} Ten hoogste: {}.{basis}{check}", r.name, r.kind.label_nl(), r.req, r.purpose, labels(r.categories))
            })
            .collect(),
    ));
}

fn category_label(category: Category, optional: CategorySet) -> String {
    let mut label = category.label_nl().to_string();
    if optional.contains(category) {
        label.push_str(" (optioneel)");
    }
    if category.sensitivity() == Sensitivity::Special {
        label.push_str(" — bijzonder persoonsgegeven");
    }
    label
}

fn labels(categories: CategorySet) -> String {
    categories.iter().map(Category::label_nl).collect::<Vec<_>>().join(", ")
}

fn basis_text(p: &Processing) -> String {
    let mut text = format!("{} ({})", p.basis.label_nl(), p.basis.avg_article());
    if !p.basis_articles.is_empty() {
        let _ = write!(text, "; {}", p.basis_articles.join(", "));
    }
    if let Some(ground) = &p.special_ground {
        let _ = write!(text, "; voor bijzondere persoonsgegevens: {ground}");
    }
    if p.basis == Basis::FurtherProcessing {
        text.push_str("; alleen na een vastgelegde toets op verenigbaarheid");
    }
    text
}

/// The moment an event stands for, as a Dutch noun phrase: "de opname".
fn event_nl(event: &str) -> String {
    let phrase = match event {
        "recorded" => "de opname",
        "case_closed" => "het sluiten van het dossier",
        "employment_ended" => "het einde van het dienstverband",
        "answered_and_satisfied" => "je vraag volledig is beantwoord en je tevreden bent met het antwoord",
        "answered" => "ons antwoord",
        "unsubscribed" => "je je afmeldt",
        "account_deleted" => "je je account verwijdert",
        "function_changed" => "de medewerker van functie wisselt",
        "investigation_closed" => "het onderzoek is afgerond",
        "approach_period_ended" => "de periode waarin wij mensen benaderen voor een nieuwe regeling voorbij is",
        "survey_closed" => "het onderzoek is afgesloten",
        "election_closed" => "de verkiezing",
        "request_closed" => "het afronden van het verzoek",
        "registered" => "de registratie",
        other => return other.replace('_', " "),
    };
    phrase.to_string()
}

fn term_text(term: &Term) -> String {
    match &term.setting {
        Some(setting) => format!("{} (instelling `{setting}` in het register)", term.duration),
        None => term.duration.to_string(),
    }
}

/// How long data is kept, in the statement's Dutch.
pub fn retention_nl(retention: &Retention) -> String {
    match retention {
        Retention::AfterEvent { event, term } => format!("{} na {}.", term_text(term), event_nl(event)),
        Retention::UntilEvent { event, fallback: None } => format!("Tot {}; daarna verwijderen wij de gegevens.", event_nl(event)),
        Retention::UntilEvent { event, fallback: Some((after, term)) } => {
            format!("Tot {}, of uiterlijk {} na {}; daarna verwijderen wij de gegevens.", event_nl(event), term_text(term), event_nl(after))
        }
        Retention::UntilWithdrawn => "Tot je je toestemming intrekt; daarna verwijderen wij de gegevens direct.".to_string(),
        Retention::Permanent { reason } => match reason {
            Some(reason) => format!("Permanent: {reason}"),
            None => "Permanent.".to_string(),
        },
        Retention::PerItem { default } => format!("Per onderdeel een eigen termijn, standaard {}.", term_text(default)),
    }
}

fn markdown(document: &Document) -> String {
    let mut out = format!("# {}\n\n", document.title);
    for block in &document.blocks {
        match block {
            Block::Heading(level, text, _) => {
                let _ = write!(out, "{} {text}\n\n", "#".repeat(usize::from(*level)));
            }
            Block::Paragraph(text) => {
                let _ = write!(out, "{text}\n\n");
            }
            Block::Field(label, text) if text.is_empty() => {
                let _ = write!(out, "**{label}**\n\n");
            }
            Block::Field(label, text) => {
                let _ = write!(out, "**{label}** {text}\n\n");
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {item}");
                }
                out.push('\n');
            }
        }
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}\
h1{color:#154273}h2{color:#154273;border-bottom:1px solid #ccc;margin-top:2.5rem}h3{margin-top:1.5rem}nav li{margin:.2rem 0}";

fn html(document: &Document) -> String {
    let title = escape(&document.title);
    let mut out = format!(
        "<!doctype html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    out.push_str("<nav aria-label=\"Inhoud\">\n<h2>Inhoud</h2>\n<ol>\n");
    for (anchor, text) in &document.contents {
        let _ = writeln!(out, "<li><a href=\"#{}\">{}</a></li>", escape(anchor), escape(text));
    }
    out.push_str("</ol>\n</nav>\n");
    for block in &document.blocks {
        match block {
            Block::Heading(level, text, anchor) => {
                let id = anchor.as_deref().map(|a| format!(" id=\"{}\"", escape(a))).unwrap_or_default();
                let _ = writeln!(out, "<h{level}{id}>{}</h{level}>", escape(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "<p>{}</p>", escape(text));
            }
            Block::Field(label, text) => {
                let _ = writeln!(out, "<p><strong>{}</strong> {}</p>", escape(label), escape(text));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", escape(item));
                }
                out.push_str("</ul>\n");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
[register]
controller = "IMG"
version = "2024.05"
date = "2024-05-01"
base_uri = "https://register.example/pa"

[contact]
visit = "Cascadeplein 10, 9726 AD Groningen"
post = "Antwoordnummer 3061, 8000 WB Zwolle"
email = "privacy@example.nl"
phone = "0800 4444 111"
dpo_email = "fg@example.nl"

[[section]]
statement = "public"
number = 1
title = "Wat gebeurt er bij fysieke schade?"

[[recipient]]
id = "nam"
req = "E15.NAM"
name = "NAM"
kind = "third_party"
purpose = "Eerdere meldingen controleren."
categories = ["address"]

[[processing]]
id = "fysiek"
req = "E1"
statement = "public"
section = 1
name = "Fysieke schade"
purpose = "Schade <snel> vergoeden."
basis = "public_task"
categories = ["name", "address", "health"]
special_ground = "AVG art. 9 lid 2 sub g"
recipients = { nam = ["address"] }
retention = { rule = "after_event", event = "recorded", term = "28 days" }
analysis = "PIA"

[[processing]]
id = "nieuwsbrief"
req = "E14"
statement = "public"
section = 1
name = "Nieuwsbrief"
purpose = "Nieuws sturen."
basis = "consent"
withdrawal = "Via de afmeldlink."
categories = ["name", "email"]
retention = { rule = "until_withdrawn" }
analysis = "PIA"
"#;

    // req: E21
    #[test]
    fn the_statement_is_dated_versioned_and_says_what_the_register_says() {
        let register = crate::parse("test.toml", SOURCE).unwrap();
        for format in [Format::Markdown, Format::Html] {
            let text = render(&register, Statement::Public, format);
            assert!(text.contains("versie 2024.05, vastgesteld op 1 mei 2024"), "{format:?}");
            assert!(text.contains("Fysieke schade (E1)"), "{format:?}");
            assert!(text.contains("NAM (derde partij): straat en huisnummer"), "{format:?}");
            assert!(text.contains("28 dagen na de opname."), "{format:?}");
            assert!(text.contains("bijzonder persoonsgegeven"), "{format:?}");
            assert!(text.contains("Tot je je toestemming intrekt"), "{format:?}");
            assert!(text.contains("Via de afmeldlink."), "{format:?}");
            assert!(text.contains("fg@example.nl"), "{format:?}");
        }
    }

    // req: E0.7
    #[test]
    fn html_is_escaped_and_standalone() {
        let register = crate::parse("test.toml", SOURCE).unwrap();
        let html = render(&register, Statement::Public, Format::Html);
        assert!(html.starts_with("<!doctype html>\n<html lang=\"nl\">"));
        assert!(html.contains("Schade &lt;snel&gt; vergoeden."));
        assert!(!html.contains("<snel>"));
        assert!(html.contains("<a href=\"#sectie-1\">"));
        let markdown = render(&register, Statement::Public, Format::Markdown);
        assert!(markdown.starts_with("# Privacyverklaring\n"));
    }
}
