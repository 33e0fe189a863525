//! The privacy statement, in Dutch, generated from the register the kernel
//! enforces — so the statement and the system cannot drift apart (E0.7).
//!
//! The register is first turned into a small document (headings,
//! paragraphs, lists, tables); one writer prints it as Markdown, another as a
//! standalone HTML page. What the statement says is decided once, in
//! `document`; the writers only decide how it looks.
//!
//! Text may mark a register name as code with backticks (`claim_dossier`):
//! Markdown keeps them, HTML turns them into `<code>`.

use std::fmt::Write;

use grondslag_values::dutch::{self, escape_html};
use serde::{Deserialize, Serialize};

use crate::categories::CategorySet;
use crate::model::{Agreement, Basis, EEA, Processing, Recipient, Register, Retention, Statement, Term};
use crate::taxonomy::{Action, Category, Role, Sensitivity};

mod children;
mod readability;

pub use children::PAGE as CHILDREN_PAGE;
pub use readability::{Readability, readability};

/// What a statement is rendered as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Markdown.
    Markdown,
    /// HTML.
    Html,
}

impl Format {
    /// The format by its command-line name: `md`, `markdown` or `html`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "md" | "markdown" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            _ => None,
        }
    }
}

/// Renders one of the register's statements as it is in force.
pub fn render(register: &Register, statement: Statement, format: Format) -> String {
    write(&document(register, statement), format)
}

/// Writes a document (the one in force, or a published one) in `format`.
pub fn write(document: &Document, format: Format) -> String {
    match format {
        Format::Markdown => markdown(document),
        Format::Html => html(document),
    }
}

/// A piece of a statement. Serialised as it is into the archive of
/// published versions, so that an old version renders as it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "block", rename_all = "snake_case")]
pub(crate) enum Block {
    /// `anchor` makes a level-2 heading an entry of the table of contents
    /// (and names a part when versions are compared); `tag`
    /// is the requirement id, shown small so the privacy officer can trace
    /// the text to the rule it encodes.
    Heading {
        level: u8,
        text: String,
        anchor: Option<String>,
        tag: Option<String>,
    },
    Paragraph {
        text: String,
    },
    /// A label in bold followed by text on the same line.
    Field {
        label: String,
        text: String,
    },
    List {
        items: Vec<String>,
    },
    Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A link to another page, on a line of its own.
    Link {
        text: String,
        href: String,
    },
    /// Where the table of contents goes; each writer builds it from the
    /// anchored headings.
    Contents,
}

/// A statement as headings, paragraphs, lists and tables: what it says,
/// before a writer decides how it looks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub(crate) title: String,
    pub(crate) blocks: Vec<Block>,
}

impl Document {
    fn contents(&self) -> impl Iterator<Item = (&str, &str)> {
        self.blocks.iter().filter_map(|block| match block {
            Block::Heading { level: 2, text, anchor: Some(anchor), .. } => Some((anchor.as_str(), text.as_str())),
            _ => None,
        })
    }
}

fn paragraph(text: impl Into<String>) -> Block {
    Block::Paragraph { text: text.into() }
}

fn field(label: &str, text: impl Into<String>) -> Block {
    Block::Field { label: label.to_string(), text: text.into() }
}

fn list(items: Vec<String>) -> Block {
    Block::List { items }
}

fn heading(level: u8, text: String) -> Block {
    Block::Heading { level, text, anchor: None, tag: None }
}

fn anchored(text: String, anchor: String) -> Block {
    Block::Heading { level: 2, text, anchor: Some(anchor), tag: None }
}

/// Where "what changed" goes, and the anchor that keeps it out of the
/// comparison of one version with the next.
const CHANGES: &str = "wijzigingen";

/// What `statement` says now: the document a version is published as.
pub fn document(register: &Register, statement: Statement) -> Document {
    let edition = register.meta.edition(statement);
    let blocks = match (statement, &register.meta.children) {
        (Statement::Children, Some(children)) => children::blocks(register, children, edition),
        _ => statement_blocks(register, statement, edition),
    };
    let mut document = Document { title: statement.title_nl().to_string(), blocks };
    spell_out_laws(&mut document);
    if let (Some(edition), Some(published)) = (edition, &register.published) {
        let at = document.blocks.iter().position(|b| matches!(b, Block::Contents)).unwrap_or(0);
        // The changes quote the text before and after; a law they name
        // first is spelled out there too, where the reader meets it first.
        let mut changes = Document { title: String::new(), blocks: changes_blocks(published.before(statement, &edition.version), &document) };
        spell_out_laws(&mut changes);
        document.blocks.splice(at..at, changes.blocks);
    }
    document
}

/// The public, staff and call-centre statements: their sections with the
/// processings in each, the recipients, and (public) how to reach us.
fn statement_blocks(register: &Register, statement: Statement, edition: Option<&crate::model::Edition>) -> Vec<Block> {
    let processings: Vec<&Processing> = register.processings.iter().filter(|p| p.statement == statement).collect();
    // A statement speaks for the controller of its processings (RVO for the
    // call-centre protocol); each processing names its own only if it differs.
    let controller = match processings.first() {
        Some(first) if processings.iter().all(|p| p.controller == first.controller) => first.controller.as_str(),
        _ => register.meta.controller.as_str(),
    };
    let mut blocks = vec![field("Verwerkingsverantwoordelijke:", controller)];
    if let Some(edition) = edition {
        blocks.push(paragraph(format!("Versie {}, vastgesteld op {}.", edition.version, dutch::date(edition.date))));
    }
    blocks.push(paragraph(
        "Deze verklaring is gemaakt uit het register van verwerkingen dat de software zelf afdwingt: \
         wat hier staat, is wat het systeem toestaat. Verandert er iets, dan krijgt deze verklaring \
         een nieuwe versie. Eerdere versies blijven te lezen op /privacyverklaring/versies.",
    ));
    blocks.push(Block::Contents);
    // `parse` keeps the sections in number order.
    for section in register.sections.iter().filter(|s| s.statement == statement) {
        blocks.push(anchored(format!("{}. {}", section.number, section.title), format!("sectie-{}", section.number)));
        if let Some(intro) = &section.intro {
            blocks.extend(intro.split("\n\n").map(|p| paragraph(p.trim())));
        }
        if section.statement == Statement::Public && register.meta.children.as_ref().is_some_and(|c| c.section == section.number) {
            blocks.push(Block::Link { text: "Lees de uitleg voor kinderen en jongeren tot en met 17 jaar".to_string(), href: CHILDREN_PAGE.to_string() });
        }
        for processing in processings.iter().filter(|p| p.section == section.number) {
            processing_blocks(register, controller, processing, &mut blocks);
        }
    }
    recipients_blocks(register, &processings, &mut blocks);
    if statement == Statement::Public {
        contact_blocks(register, &mut blocks);
    }
    blocks
}

/// "Wat is er veranderd": the difference with the version before, or that
/// there is none before.
fn changes_blocks(before: Option<&crate::versions::PublishedVersion>, now: &Document) -> Vec<Block> {
    let mut blocks = vec![anchored("Wat is er veranderd?".to_string(), CHANGES.to_string())];
    match before {
        None => blocks.push(paragraph("Dit is de eerste versie die uit het register is gemaakt.")),
        Some(before) => {
            let changes = changes(&before.document, now);
            blocks.push(paragraph(format!("Ten opzichte van versie {} van {}:", before.version, dutch::date(before.date))));
            if changes.is_empty() {
                blocks.push(paragraph("Alleen de opmaak is veranderd; wat er staat, is hetzelfde."));
            } else {
                blocks.push(list(changes));
            }
        }
    }
    blocks
}

/// One part of a statement (a section, a processing, the recipients) as
/// labelled facts, so that two versions can be compared part by part.
struct Part<'d> {
    key: &'d str,
    title: &'d str,
    facts: Vec<(&'d str, Vec<String>)>,
}

fn parts(document: &Document) -> Vec<Part<'_>> {
    let mut parts: Vec<Part<'_>> = Vec::new();
    let mut label: Option<&str> = None;
    let mut skipping = true;
    for block in &document.blocks {
        let fact = match block {
            Block::Heading { level: 2 | 3, text, anchor: Some(anchor), .. } => {
                // The opening lines (controller, version) and the changes
                // themselves are not what changed.
                skipping = anchor == CHANGES;
                parts.push(Part { key: anchor, title: text, facts: Vec::new() });
                label = None;
                continue;
            }
            Block::Heading { text, .. } => {
                label = Some(text);
                continue;
            }
            _ if skipping => continue,
            Block::Paragraph { text } | Block::Link { text, .. } => (label.take().unwrap_or("Omschrijving"), vec![text.clone()]),
            Block::Field { label, text } => (label.as_str(), vec![text.clone()]),
            Block::List { items } => (label.take().unwrap_or("Lijst"), items.clone()),
            Block::Table { header, rows } => {
                // A row is a fact named by its first cell; each other cell
                // is named by its column, so a change names what changed.
                if let Some(part) = parts.last_mut() {
                    part.facts.extend(rows.iter().filter_map(|row| {
                        let cells = header.iter().zip(row).skip(1).map(|(column, cell)| format!("{column}: {cell}")).collect();
                        Some((row.first()?.as_str(), cells))
                    }));
                }
                continue;
            }
            Block::Contents => continue,
        };
        if let Some(part) = parts.last_mut() {
            // Paragraphs under one label read as one text.
            match part.facts.iter_mut().find(|(l, _)| *l == fact.0) {
                Some((_, values)) => values.extend(fact.1),
                None => part.facts.push(fact),
            }
        }
    }
    parts.retain(|p| p.key != CHANGES);
    parts
}

/// How one text became another: for two lists ("a, b, c") the entries
/// added and removed, otherwise the new text with the old.
fn difference(old: &str, new: &str) -> String {
    let (was, now): (Vec<&str>, Vec<&str>) = (old.split(", ").collect(), new.split(", ").collect());
    // Prose (a sentence, or clauses "…; …") is not a list.
    let prose = |text: &str| text.ends_with('.') || text.contains("; ");
    if was.len() < 2 || now.len() < 2 || prose(old) || prose(new) {
        return format!("nu: „{new}” (was: „{old}”)");
    }
    let added: Vec<&str> = now.iter().filter(|v| !was.contains(v)).copied().collect();
    let removed: Vec<&str> = was.iter().filter(|v| !now.contains(v)).copied().collect();
    added_and_removed(&added, &removed)
}

fn added_and_removed(added: &[&str], removed: &[&str]) -> String {
    // An entry's own full stop would double the sentence's.
    let entries = |items: &[&str]| items.iter().map(|v| v.trim_end_matches('.')).collect::<Vec<_>>().join("; ");
    let mut pieces = Vec::new();
    if !added.is_empty() {
        pieces.push(format!("erbij: {}", entries(added)));
    }
    if !removed.is_empty() {
        pieces.push(format!("niet meer: {}", entries(removed)));
    }
    if pieces.is_empty() { "andere volgorde".to_string() } else { pieces.join("; ") }
}

/// What changed in a list of facts: entries named alike ("Deskundigen:
/// …", "Grondslag: …") are compared by what follows the name; the rest
/// are added or removed whole.
fn list_difference(was: &[String], now: &[String]) -> String {
    let mut removed: Vec<&str> = was.iter().filter(|v| !now.contains(v)).map(String::as_str).collect();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for entry in now.iter().filter(|v| !was.contains(v)) {
        let renamed = entry.split_once(": ").and_then(|(name, text)| {
            let at = removed.iter().position(|old| old.split_once(": ").is_some_and(|(old_name, _)| old_name == name))?;
            let (_, old_text) = removed.remove(at).split_once(": ")?;
            Some(format!("{name}: {}", difference(old_text, text)))
        });
        match renamed {
            Some(sentence) => changed.push(sentence),
            None => added.push(entry.as_str()),
        }
    }
    if !added.is_empty() || !removed.is_empty() || changed.is_empty() {
        changed.push(added_and_removed(&added, &removed));
    }
    changed.join("; ")
}

/// What changed from `before` to `now`, one sentence per change, in the
/// statement's Dutch: parts added and removed, and per part each fact that
/// changed, with list entries added and removed named.
pub(crate) fn changes(before: &Document, now: &Document) -> Vec<String> {
    let (old, new) = (parts(before), parts(now));
    let mut out = Vec::new();
    for part in &new {
        let Some(was) = old.iter().find(|p| p.key == part.key) else {
            out.push(format!("Nieuw: {}.", part.title));
            continue;
        };
        let title = part.title;
        if was.title != title {
            out.push(format!("„{}” heet nu „{title}”.", was.title));
        }
        for (label, values) in &part.facts {
            let label = label.trim_end_matches(':');
            match was.facts.iter().find(|(l, _)| l.trim_end_matches(':') == label) {
                None => out.push(format!("{title}: nieuw — {label} {}.", values.join("; "))),
                Some((_, old_values)) if old_values == values => {}
                Some((_, old_values)) if values.len() == 1 && old_values.len() == 1 => {
                    out.push(format!("{title}: {label} — {}.", difference(&old_values[0], &values[0])));
                }
                Some((_, old_values)) => out.push(format!("{title}: {label} — {}.", list_difference(old_values, values))),
            }
        }
        for (label, values) in &was.facts {
            let label = label.trim_end_matches(':');
            if !part.facts.iter().any(|(l, _)| l.trim_end_matches(':') == label) {
                out.push(format!("{title}: vervallen — {label} {}.", values.join("; ")));
            }
        }
    }
    out.extend(old.iter().filter(|p| !new.iter().any(|n| n.key == p.key)).map(|p| format!("Vervallen: {}.", p.title)));
    out
}

/// Laws and bodies the statement names by abbreviation, spelled out where
/// the reader meets them first (E0.8: "begrijpelijke taal").
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("AVG", "Algemene verordening gegevensbescherming"),
    ("TwG", "Tijdelijke wet Groningen"),
    ("Awb", "Algemene wet bestuursrecht"),
    ("AWR", "Algemene wet inzake rijksbelastingen"),
    ("BW", "Burgerlijk Wetboek"),
    ("Sv", "Wetboek van Strafvordering"),
    ("WOR", "Wet op de ondernemingsraden"),
    ("BRP", "Basisregistratie Personen"),
    ("KvK", "Kamer van Koophandel"),
    ("NCG", "Nationaal Coördinator Groningen"),
    ("NAM", "Nederlandse Aardolie Maatschappij"),
    ("CM", "Commissie Mijnbouwschade"),
    ("SNN", "Samenwerkingsverband Noord-Nederland"),
    ("RVO", "Rijksdienst voor Ondernemend Nederland"),
    ("IMG", "Instituut Mijnbouwschade Groningen"),
];

/// The byte offset of `word` as a whole word in `text`.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric();
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back().is_none_or(|c| !is_word(c));
        let after = text[i + word.len()..].chars().next().is_none_or(|c| !is_word(c));
        before && after
    })
}

/// Writes each abbreviation of [`ABBREVIATIONS`] out at its first use, in
/// reading order, as "Tijdelijke wet Groningen (TwG)" — unless the text
/// already does so there.
fn spell_out_laws(document: &mut Document) {
    let mut pending: Vec<(&str, &str)> = ABBREVIATIONS.to_vec();
    let texts = document.blocks.iter_mut().flat_map(|block| -> Vec<&mut String> {
        match block {
            Block::Paragraph { text } | Block::Field { text, .. } => vec![text],
            Block::List { items } => items.iter_mut().collect(),
            Block::Table { rows, .. } => rows.iter_mut().flatten().collect(),
            Block::Heading { .. } | Block::Link { .. } | Block::Contents => Vec::new(),
        }
    });
    for text in texts {
        pending.retain(|(short, long)| {
            let Some(at) = find_word(text, short) else { return true };
            let written_out = text[..at].trim_end().strip_suffix('(').is_some_and(|before| before.trim_end().ends_with(long));
            if !written_out {
                text.insert(at + short.len(), ')');
                text.insert_str(at, &format!("{long} ("));
            }
            false
        });
    }
}

fn processing_blocks(register: &Register, controller: &str, p: &Processing, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading { level: 3, text: p.name.clone(), anchor: Some(format!("verwerking-{}", p.id)), tag: Some(p.req.clone()) });
    blocks.push(paragraph(p.purpose.clone()));
    if p.controller != controller {
        blocks.push(field("Verwerkingsverantwoordelijke:", p.controller.clone()));
    }
    if !p.subjects.is_empty() {
        blocks.push(field("Van wie gebruiken wij gegevens?", p.subjects.join(", ")));
    }
    blocks.push(heading(4, "Welke gegevens gebruiken wij?".to_string()));
    blocks.push(list(p.categories.iter().map(|c| category_label(c, p.optional, CATEGORY_NOTES)).collect()));
    blocks.push(field("Grondslag:", basis_text(p)));
    if let Some(withdrawal) = &p.withdrawal {
        blocks.push(field("Toestemming intrekken:", withdrawal.clone()));
    }
    if let Some(compatibility) = &p.compatibility {
        blocks.push(field("Verenigbaar met het oorspronkelijke doel:", compatibility.clone()));
    }
    if !p.sources.is_empty() {
        blocks.push(field("Van wie krijgen wij deze gegevens?", p.sources.join(", ")));
    }
    let readers = readers(p);
    if !readers.is_empty() {
        // The scopes the kernel checks, in the reader's words: who sees
        // whose data.
        blocks.push(heading(4, "Wie binnen het IMG kan deze gegevens inzien?".to_string()));
        blocks.push(list(readers));
    }
    blocks.push(heading(4, "Met wie delen wij je gegevens?".to_string()));
    if p.disclosures.is_empty() {
        // The kernel refuses any disclosure the register does not declare,
        // so an empty list is a promise the system keeps.
        blocks.push(paragraph("Wij verstrekken deze gegevens niet aan anderen.".to_string()));
    } else {
        blocks.push(list(
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
        blocks.push(field("Verwerkers die namens ons werken:", p.processors.join(", ")));
    }
    blocks.push(field("Hoe lang bewaren wij je gegevens?", retention_nl(register, &p.retention)));
    if p.save_and_resume {
        blocks.push(paragraph("Een aanvraag die je nog niet hebt afgerond, bewaren wij zodat je later verder kunt gaan.".to_string()));
    }
    if let Some(dpia) = &p.dpia {
        blocks.push(paragraph(format!(
            "Deze verwerking kan een hoog risico voor je privacy hebben. Daarom hebben wij vooraf een \
             gegevensbeschermingseffectbeoordeling gedaan ({dpia})."
        )));
    }
}

/// Who may read a processing's data, by role and scope: the grants the
/// kernel checks, in the reader's words (who sees whose data).
fn readers(p: &Processing) -> Vec<String> {
    Role::ALL
        .iter()
        .filter(|role| **role != Role::System)
        .filter_map(|role| {
            let grant = p.grant(*role, Action::Read);
            grant.is_granted().then(|| {
                let reach: Vec<&str> = grant.scopes.iter().map(|s| s.label_nl()).collect();
                format!("{}: {}", role.label_nl(), reach.join(" of "))
            })
        })
        .collect()
}

/// Every party that receives data under this statement, with the most it
/// may ever receive: the ceiling the per-processing lists stay under.
fn recipients_blocks(register: &Register, processings: &[&Processing], blocks: &mut Vec<Block>) {
    let mut used: Vec<_> = processings.iter().flat_map(|p| p.disclosures.iter().map(|d| d.recipient_id)).collect();
    used.sort();
    used.dedup();
    if used.is_empty() {
        return;
    }
    blocks.push(anchored("Ontvangers".to_string(), "ontvangers".to_string()));
    blocks.push(paragraph(
        "Deze partijen kunnen gegevens van ons krijgen, elk alleen voor het doel en ten hoogste de gegevens \
         die hieronder staan. Welke gegevens een partij bij een bepaalde verwerking krijgt, staat bij die verwerking."
            .to_string(),
    ));
    let rows = used
        .into_iter()
        .map(|id| {
            let r = register.recipient(id);
            let mut basis = r.legal_basis.clone().unwrap_or_else(|| "—".to_string());
            if r.legal_check {
                basis.push_str("; alleen na een vastgelegde toets dat de wettelijke plicht bestaat");
            }
            let mut purpose = r.purpose.clone();
            if let Some(condition) = &r.only_when {
                let _ = write!(purpose, " Alleen als bij je {} staat: {}.", condition.category.label_nl(), condition.equals);
            }
            vec![format!("{} ({})", r.name, r.req), r.kind.label_nl().to_string(), purpose, labels(r.categories), basis, where_and_agreement(r)]
        })
        .collect();
    let header = ["Ontvanger", "Soort", "Waarvoor", "Ten hoogste deze gegevens", "Grondslag", "Waar en welke overeenkomst"].map(String::from).to_vec();
    blocks.push(Block::Table { header, rows });
    // I8: the register refuses any party outside the EEA, so this is a
    // promise the system keeps.
    blocks.push(paragraph(
        "Geen van deze partijen verwerkt je gegevens buiten de Europese Economische Ruimte (EER). Waar de wet een \
         verwerkersovereenkomst of gegevensuitwisselingsovereenkomst vereist, is die gesloten; na de einddatum ervan \
         verstrekken wij niets meer aan die partij tot de overeenkomst is vernieuwd."
            .to_string(),
    ));
}

/// Where a recipient processes and which agreement it has, in Dutch.
fn where_and_agreement(r: &Recipient) -> String {
    let places: Vec<String> = r.processes_in.iter().map(|place| if place == EEA { "de EER".to_string() } else { country_nl(place) }).collect();
    let agreement = match (&r.agreement.reference, r.agreement.ends) {
        (Some(reference), Some(ends)) if r.agreement.required => {
            format!("{} {reference}, geldig tot en met {}", Agreement::label_nl(r.kind), dutch::date(ends))
        }
        _ => "geen overeenkomst nodig: de wet regelt de verstrekking".to_string(),
    };
    format!("Verwerkt in {} (binnen de EER); {agreement}", places.join(", "))
}

/// A country of the EEA by its ISO code, in Dutch where we name it often.
fn country_nl(code: &str) -> String {
    match code {
        "NL" => "Nederland",
        "DE" => "Duitsland",
        "BE" => "België",
        "IE" => "Ierland",
        "FR" => "Frankrijk",
        other => other,
    }
    .to_string()
}

fn contact_blocks(register: &Register, blocks: &mut Vec<Block>) {
    let c = &register.contact;
    blocks.push(anchored("Contact".to_string(), "contact".to_string()));
    blocks.push(list(vec![
        format!("Bezoekadres: {}", c.visit),
        format!("Postadres: {}", c.post),
        format!("E-mail privacyteam: {}", c.email),
        format!("Telefoon: {}", c.phone),
        format!("Functionaris gegevensbescherming (FG): {}", c.dpo_email),
    ]));
    blocks.push(paragraph(
        "Ben je het niet eens met hoe wij met je gegevens omgaan? Neem contact op met het privacyteam of de FG. \
         Je kunt ook een klacht indienen bij de Autoriteit Persoonsgegevens."
            .to_string(),
    ));
}

/// How a statement notes that a category is (optional, special): the
/// public statement's terms, or the children's words for the same.
type CategoryNotes = (&'static str, &'static str);

const CATEGORY_NOTES: CategoryNotes = ("optioneel", "bijzonder persoonsgegeven");

fn category_label(category: Category, optional: CategorySet, (if_optional, if_special): CategoryNotes) -> String {
    let mut notes = Vec::new();
    if optional.contains(category) {
        notes.push(if_optional);
    }
    if category.sensitivity() == Sensitivity::Special {
        notes.push(if_special);
    }
    if notes.is_empty() { category.label_nl().to_string() } else { format!("{} ({})", category.label_nl(), notes.join(", ")) }
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
        "team_account_ended" => "het beëindigen van je account in die applicatie",
        other => return other.replace('_', " "),
    };
    phrase.to_string()
}

/// Named terms are settings an operator may change, so the statement names
/// the setting: the reader can see which term moves when it is changed. A
/// term the source gives no number for says so: it is our own choice.
fn term_text(register: &Register, term: &Term) -> String {
    let named = term.setting.as_deref().and_then(|setting| register.terms.iter().find(|t| t.name == setting));
    match named {
        Some(named) if named.seed_says.is_some() => format!("{} (onze eigen keuze, instelling `{}`)", term.duration, named.name),
        Some(named) => format!("{} (instelling `{}` in het register)", term.duration, named.name),
        None => term.duration.to_string(),
    }
}

/// What the source says of a term that it gives no number for, as the
/// opening of the sentence that then gives ours: "In lijn met de wettelijke
/// bewaartermijnen; nu: ".
fn seed_words(register: &Register, term: &Term) -> String {
    let said = term.setting.as_deref().and_then(|setting| register.terms.iter().find(|t| t.name == setting)?.seed_says.as_deref());
    said.map(|words| {
        let mut chars = words.chars();
        let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
        format!("{first}{}; nu: ", chars.as_str())
    })
    .unwrap_or_default()
}

/// How long data is kept, in the statement's Dutch.
pub fn retention_nl(register: &Register, retention: &Retention) -> String {
    let term = |term: &Term| term_text(register, term);
    match retention {
        Retention::AfterEvent { event, term: t } => format!("{}{} na {}.", seed_words(register, t), term(t), event_nl(event)),
        Retention::UntilEvent { event, fallback: None } => format!("Tot {}; daarna verwijderen wij de gegevens.", event_nl(event)),
        Retention::UntilEvent { event, fallback: Some((after, t)) } => {
            format!("Tot {}; daarna verwijderen wij de gegevens. Gebeurt dat niet, dan uiterlijk {} na {}.", event_nl(event), term(t), event_nl(after))
        }
        Retention::UntilWithdrawn => "Tot je je toestemming intrekt; daarna verwijderen wij de gegevens direct.".to_string(),
        Retention::Permanent { reason } => match reason {
            Some(reason) => format!("Permanent: {reason}"),
            None => "Permanent.".to_string(),
        },
        Retention::PerItem { default, event } if event == crate::due::RECORDED => {
            format!("{}per onderdeel een eigen termijn, standaard {}.", seed_words(register, default), term(default))
        }
        Retention::PerItem { default, event } => {
            format!("{}per onderdeel een eigen termijn na {}, standaard {}.", seed_words(register, default), event_nl(event), term(default))
        }
    }
}

/// Splits text at backticks into (is code, piece); an unpaired backtick
/// stays plain text rather than swallowing the rest of the line.
fn spans(text: &str) -> Vec<(bool, &str)> {
    let pieces: Vec<&str> = text.split('`').collect();
    if pieces.len().is_multiple_of(2) {
        return vec![(false, text)];
    }
    pieces.into_iter().enumerate().map(|(i, piece)| (i % 2 == 1, piece)).collect()
}

/// Register text is plain text: characters Markdown would read as markup
/// (emphasis, links, raw HTML) are escaped, code spans are kept.
fn md_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (code, piece) in spans(text) {
        if code {
            let _ = write!(out, "`{piece}`");
            continue;
        }
        for c in piece.chars() {
            if matches!(c, '\\' | '*' | '_' | '<' | '[' | ']') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// Like [`md_inline`], and also keeps a leading "1." or "-" from turning
/// the line into a list (section titles start with their number).
fn md_line(text: &str) -> String {
    let mut out = md_inline(text);
    let digits = out.bytes().take_while(u8::is_ascii_digit).count();
    match out.as_bytes().get(digits) {
        Some(b'.' | b')') if digits > 0 => out.insert(digits, '\\'),
        Some(b'#' | b'>' | b'-' | b'+' | b'=') if digits == 0 => out.insert(0, '\\'),
        _ => {}
    }
    out
}

fn md_cell(text: &str) -> String {
    md_inline(text).replace('|', "\\|").replace('\n', " ")
}

fn markdown(document: &Document) -> String {
    let mut out = format!("# {}\n\n", md_inline(&document.title));
    for block in &document.blocks {
        match block {
            Block::Heading { level, text, tag, .. } => {
                let _ = write!(out, "{} {}", "#".repeat(usize::from(*level)), md_inline(text));
                if let Some(tag) = tag {
                    let _ = write!(out, " ({})", md_inline(tag));
                }
                out.push_str("\n\n");
            }
            Block::Paragraph { text } => {
                let _ = write!(out, "{}\n\n", md_line(text));
            }
            Block::Field { label, text } => {
                let _ = write!(out, "**{label}** {}\n\n", md_inline(text));
            }
            Block::Link { text, href } => {
                let _ = write!(out, "[{}]({href})\n\n", md_inline(text));
            }
            Block::List { items } => {
                for item in items {
                    let _ = writeln!(out, "- {}", md_line(item));
                }
                out.push('\n');
            }
            Block::Table { header, rows } => {
                let _ = writeln!(out, "| {} |", header.join(" | "));
                let _ = writeln!(out, "|{}", " --- |".repeat(header.len()));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|cell| md_cell(cell)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
                out.push('\n');
            }
            Block::Contents => {
                out.push_str("**Inhoud**\n\n");
                for (_, text) in document.contents() {
                    let _ = writeln!(out, "- {}", md_line(text));
                }
                out.push('\n');
            }
        }
    }
    out
}

/// Escaped text with its code spans as `<code>`.
fn html_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (code, piece) in spans(text) {
        if code {
            let _ = write!(out, "<code>{}</code>", escape_html(piece));
        } else {
            out.push_str(&escape_html(piece));
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}\
h1,h2{color:#154273}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}h3{margin-top:2rem}h4{margin:1rem 0 .25rem}\
small{color:#666;font-weight:normal}nav ul{list-style:none;padding-left:0}nav li{margin:.2rem 0}\
table{border-collapse:collapse;font-size:.9rem}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}";

fn html(document: &Document) -> String {
    let title = escape_html(&document.title);
    let mut out = format!(
        "<!doctype html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
    );
    for block in &document.blocks {
        match block {
            Block::Heading { level, text, anchor, tag } => {
                let id = anchor.as_deref().map(|a| format!(" id=\"{}\"", escape_html(a))).unwrap_or_default();
                let tag = tag.as_deref().map(|t| format!(" <small>({})</small>", escape_html(t))).unwrap_or_default();
                let _ = writeln!(out, "<h{level}{id}>{}{tag}</h{level}>", html_inline(text));
            }
            Block::Paragraph { text } => {
                let _ = writeln!(out, "<p>{}</p>", html_inline(text));
            }
            Block::Field { label, text } => {
                let _ = writeln!(out, "<p><strong>{}</strong> {}</p>", escape_html(label), html_inline(text));
            }
            Block::Link { text, href } => {
                let _ = writeln!(out, "<p><a href=\"{}\">{}</a></p>", escape_html(href), escape_html(text));
            }
            Block::List { items } => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", html_inline(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Table { header, rows } => {
                out.push_str("<table>\n<thead><tr>");
                for cell in header {
                    let _ = write!(out, "<th scope=\"col\">{}</th>", escape_html(cell));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for cell in row {
                        let _ = write!(out, "<td>{}</td>", html_inline(cell));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody>\n</table>\n");
            }
            Block::Contents => {
                out.push_str("<nav aria-label=\"Inhoud\">\n<h2>Inhoud</h2>\n<ul>\n");
                for (anchor, text) in document.contents() {
                    let _ = writeln!(out, "<li><a href=\"#{}\">{}</a></li>", escape_html(anchor), html_inline(text));
                }
                out.push_str("</ul>\n</nav>\n");
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
base_uri = "https://register.example/pa"

[statement.public]
version = "2024.05"
date = "2024-05-01"

[contact]
visit = "Cascadeplein 10, 9726 AD Groningen"
post = "Antwoordnummer 3061, 8000 WB Zwolle"
email = "privacy@example.nl"
phone = "0800 4444 111"
dpo_email = "fg@example.nl"

[terms.claim_dossier]
duration = "20 years"

[[section]]
statement = "public"
number = 2
title = "Wat zijn je rechten?"
intro = "Je mag je gegevens altijd inzien."

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
processes_in = "NL"
agreement = { required = true, reference = "GUO-1", ends = "2027-12-31" }

[[processing]]
id = "fysiek"
req = "E1"
statement = "public"
section = 1
name = "Fysieke schade"
purpose = "Schade <snel> & *eerlijk* vergoeden."
basis = "public_task"
basis_articles = ["TwG art. 2 lid 3"]
categories = ["name", "address", "health"]
optional = ["health"]
special_ground = "AVG art. 9 lid 2 sub g"
recipients = { nam = ["address"] }
retention = { rule = "after_event", event = "case_closed", term = "claim_dossier" }
analysis = "PIA"

[[processing]]
id = "opname"
req = "E18"
statement = "public"
section = 1
name = "Opgenomen gesprekken"
purpose = "Gesprekken terugluisteren."
basis = "legitimate_interest"
categories = ["call_recording"]
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

    fn both() -> [(Format, String); 2] {
        let register = crate::parse("test.toml", SOURCE).unwrap();
        [Format::Markdown, Format::Html].map(|format| (format, render(&register, Statement::Public, format)))
    }

    // req: E21
    #[test]
    fn the_statement_is_dated_and_versioned() {
        for (format, text) in both() {
            assert!(text.contains("Versie 2024.05, vastgesteld op 1 mei 2024."), "{format:?}");
            assert!(text.contains("gemaakt uit het register van verwerkingen"), "{format:?}");
            // The abbreviation is written out where the reader meets it first.
            assert!(
                text.contains("Verwerkingsverantwoordelijke:</strong> Instituut Mijnbouwschade Groningen (IMG)")
                    || text.contains("Verwerkingsverantwoordelijke:** Instituut Mijnbouwschade Groningen (IMG)"),
                "{format:?}"
            );
        }
    }

    // req: E0.7
    #[test]
    fn the_statement_says_what_the_register_says() {
        for (format, text) in both() {
            assert!(text.contains("Fysieke schade"), "{format:?}");
            assert!(text.contains("(E1)"), "{format:?}");
            // The recipient is listed with exactly what this processing gives it.
            // (Spelled out at first use: "Nederlandse Aardolie Maatschappij (NAM)".)
            assert!(text.contains("NAM) (derde partij): straat en huisnummer<") || text.contains("NAM) (derde partij): straat en huisnummer\n"), "{format:?}");
            assert!(!text.contains("NAM) (derde partij): voor- en achternaam"), "{format:?}");
            assert!(text.contains("gegevens over gezondheid (optioneel, bijzonder persoonsgegeven)"), "{format:?}");
            assert!(
                text.contains(
                    "taak van algemeen belang (Algemene verordening gegevensbescherming (AVG) art. 6 lid 1 sub e); Tijdelijke wet Groningen (TwG) art. 2 lid 3; voor bijzondere persoonsgegevens: AVG art. 9 lid 2 sub g"
                ),
                "{format:?}"
            );
            assert!(text.contains("28 dagen na de opname."), "{format:?}");
            // I8: where each recipient processes and which agreement holds until when.
            assert!(
                text.contains("Verwerkt in Nederland (binnen de EER); gegevensuitwisselingsovereenkomst GUO-1, geldig tot en met 31 december 2027"),
                "{format:?}"
            );
            assert!(text.contains("Geen van deze partijen verwerkt je gegevens buiten de Europese Economische Ruimte (EER)."), "{format:?}");
            assert!(text.contains("20 jaar (instelling "), "{format:?}");
            assert!(text.contains("Tot je je toestemming intrekt; daarna verwijderen wij de gegevens direct."), "{format:?}");
            assert!(text.contains("Via de afmeldlink."), "{format:?}");
            assert!(text.contains("Wij verstrekken deze gegevens niet aan anderen."), "{format:?}");
            assert!(text.contains("fg@example.nl"), "{format:?}");
            assert!(text.contains("Autoriteit Persoonsgegevens"), "{format:?}");
        }
    }

    // req: E0.7
    #[test]
    fn sections_come_in_number_order_even_without_processings() {
        for (format, text) in both() {
            let [first, second, recipients, contact] = match format {
                Format::Markdown => ["## 1. ", "## 2. ", "## Ontvangers", "## Contact"],
                Format::Html => ["id=\"sectie-1\"", "id=\"sectie-2\"", "id=\"ontvangers\"", "id=\"contact\""],
            }
            .map(|heading| text.find(heading).unwrap());
            assert!(first < second && second < recipients && recipients < contact, "{format:?}");
            assert!(text.contains("Je mag je gegevens altijd inzien."), "{format:?}");
        }
    }

    // req: E0.7
    #[test]
    fn html_is_escaped_and_standalone() {
        let register = crate::parse("test.toml", SOURCE).unwrap();
        let html = render(&register, Statement::Public, Format::Html);
        assert!(html.starts_with("<!doctype html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">"));
        assert!(html.contains("<title>Privacyverklaring</title>"));
        assert!(html.contains("Schade &lt;snel&gt; &amp; *eerlijk* vergoeden."));
        assert!(!html.contains("<snel>"));
        assert!(html.contains("<a href=\"#sectie-1\">1. Wat gebeurt er bij fysieke schade?</a>"));
        assert!(html.contains("<h2 id=\"sectie-1\">"));
        assert!(html.contains("<h3 id=\"verwerking-fysiek\">Fysieke schade <small>(E1)</small></h3>"));
        assert!(html.contains("<code>claim_dossier</code>"));
        assert!(html.contains("<th scope=\"col\">Ontvanger</th>"));
        assert!(html.trim_end().ends_with("</html>"));
    }

    // req: E0.7
    #[test]
    fn markdown_keeps_register_text_plain() {
        let register = crate::parse("test.toml", SOURCE).unwrap();
        let markdown = render(&register, Statement::Public, Format::Markdown);
        assert!(markdown.starts_with("# Privacyverklaring\n"));
        assert!(markdown.contains("Schade \\<snel> & \\*eerlijk\\* vergoeden."));
        assert!(markdown.contains("### Fysieke schade (E1)\n"));
        assert!(markdown.contains("## 1. Wat gebeurt er bij fysieke schade?\n"));
        assert!(markdown.contains("- 1\\. Wat gebeurt er bij fysieke schade?\n"));
        assert!(markdown.contains("`claim_dossier`"));
        assert!(markdown.contains("| NAM (E15.NAM) | derde partij | Eerdere meldingen controleren. | straat en huisnummer | — |"));
    }

    #[test]
    fn formats_are_named_as_on_the_command_line() {
        assert_eq!(Format::from_name("md"), Some(Format::Markdown));
        assert_eq!(Format::from_name("markdown"), Some(Format::Markdown));
        assert_eq!(Format::from_name("html"), Some(Format::Html));
        assert_eq!(Format::from_name("pdf"), None);
    }

    #[test]
    fn unpaired_backticks_stay_text() {
        assert_eq!(html_inline("a `b` c"), "a <code>b</code> c");
        assert_eq!(html_inline("a `b c"), "a `b c");
    }

    // req: E0.7
    #[test]
    fn every_statement_of_the_shipped_register_renders_every_section() {
        let register = crate::parse(crate::SHIPPED_NAME, crate::SHIPPED).unwrap();
        for statement in Statement::ALL {
            let markdown = render(&register, statement, Format::Markdown);
            let html = render(&register, statement, Format::Html);
            for section in register.sections.iter().filter(|s| s.statement == statement) {
                assert!(html.contains(&format!("id=\"sectie-{}\"", section.number)), "{statement:?} {}", section.number);
                assert!(markdown.contains(&format!("## {}. ", section.number)), "{statement:?} {}", section.number);
            }
            for p in register.processings.iter().filter(|p| p.statement == statement) {
                assert!(markdown.contains(&format!(" ({})\n", p.req)), "{statement:?} {}", p.id);
            }
        }
    }
}
