//! From TOML text to a checked, compiled [`Register`].
//!
//! Parsing keeps the span of every name so that a check can point at it; the
//! checks run over the whole file and report every problem at once, because a
//! privacy officer editing the register wants the full list, not one per run.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::categories::CategorySet;
use crate::diagnostic::{RegisterError, Sink, did_you_mean};
use crate::due::RECORDED;
use crate::model::{
    AUDIT_LOG, Agreement, Basis, ChildrenStatement, Condition, Contact, Disclosure, Duration, EEA, EEA_COUNTRIES, Edition, Grant, Meta, NamedTerm, Processing,
    ProcessingId, Recipient, RecipientId, RecipientKind, Register, Retention, RoleGrants, Section, Statement, Term,
};
use crate::taxonomy::{Action, Category, Role, Scope, ScopeSet};

type Name = Spanned<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    register: RawMeta,
    #[serde(default)]
    statement: BTreeMap<Name, RawEdition>,
    contact: Contact,
    #[serde(default)]
    terms: BTreeMap<String, RawTerm>,
    #[serde(default)]
    section: Vec<RawSection>,
    #[serde(default)]
    recipient: Vec<RawRecipient>,
    #[serde(default)]
    processing: Vec<RawProcessing>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    controller: String,
    base_uri: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    version: Name,
    date: Name,
    /// Only the children's statement: the public section it explains.
    explains: Option<Spanned<u32>>,
    /// Only the children's statement: why, in a child's words.
    intro: Option<Name>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerm {
    duration: Name,
    note: Option<Name>,
    seed_says: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    statement: Name,
    number: Spanned<u32>,
    title: String,
    intro: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    id: Name,
    req: Name,
    name: String,
    kind: Name,
    purpose: String,
    legal_basis: Option<String>,
    categories: Vec<Name>,
    #[serde(default)]
    legal_check: bool,
    withheld_from_subject: Option<String>,
    /// `"EEA"`, or the countries where the party processes.
    processes_in: Option<Spanned<OneOrMore>>,
    agreement: Option<Spanned<RawAgreement>>,
    only_when: Option<Spanned<RawCondition>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAgreement {
    required: bool,
    reference: Option<String>,
    ends: Option<Name>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    category: Name,
    equals: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProcessing {
    id: Name,
    req: Name,
    statement: Name,
    section: Spanned<u32>,
    name: String,
    purpose: String,
    controller: Option<String>,
    basis: Name,
    #[serde(default)]
    basis_articles: Vec<String>,
    special_ground: Option<String>,
    withdrawal: Option<String>,
    compatibility: Option<String>,
    #[serde(default)]
    subjects: Vec<String>,
    categories: Vec<Name>,
    #[serde(default)]
    optional: Vec<Name>,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    processors: Vec<String>,
    #[serde(default)]
    recipients: BTreeMap<String, Spanned<Vec<Name>>>,
    retention: Option<Spanned<RawRetention>>,
    #[serde(default)]
    high_risk: bool,
    analysis: Option<String>,
    dpia: Option<String>,
    #[serde(default)]
    save_and_resume: bool,
    #[serde(default)]
    rights_process: bool,
    #[serde(default)]
    access: BTreeMap<String, Spanned<RawGrants>>,
    /// Why no module of this system carries the processing out yet (see
    /// [`check_events`]).
    planned: Option<String>,
    /// The processing whose term the log of access to this one follows.
    log: Option<Name>,
    /// This processing's own term in that log, when the log is kept per item.
    log_term: Option<Name>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    rule: Name,
    event: Option<Name>,
    term: Option<Name>,
    reason: Option<String>,
    default: Option<Name>,
    fallback_event: Option<Name>,
    fallback_term: Option<Name>,
}

/// A role's grants under one processing, in one of three forms:
/// `role = ["read"]` (scope `all`, every category),
/// `role = { actions = ["read"], scope = "self", categories = [...] }`, or a
/// list of such tables when the role reaches different people for
/// different actions.
struct RawGrants(Vec<RawGrant>);

struct RawGrant {
    actions: Vec<Name>,
    /// `None`: the list form, scope `all`.
    scopes: Option<Spanned<Vec<String>>>,
    categories: Option<Vec<Name>>,
}

/// One element of the list form: an action name, or a grant table.
enum Element {
    Action(String),
    Grant(RawGrant),
}

fn grant_table<'de, A: MapAccess<'de>>(mut map: A) -> Result<RawGrant, A::Error> {
    let mut actions = None;
    let mut scopes = None;
    let mut categories = None;
    while let Some(key) = map.next_key::<String>()? {
        match key.as_str() {
            "actions" => actions = Some(map.next_value::<Vec<Name>>()?),
            "scope" => scopes = Some(map.next_value::<Spanned<OneOrMore>>()?),
            "categories" => categories = Some(map.next_value::<Vec<Name>>()?),
            other => return Err(de::Error::unknown_field(other, &["actions", "scope", "categories"])),
        }
    }
    let actions = actions.ok_or_else(|| de::Error::missing_field("actions"))?;
    let scopes = scopes.ok_or_else(|| de::Error::custom("a grant table needs `scope`: whose data it reaches, e.g. scope = \"self\" or scope = \"all\""))?;
    let span = scopes.span();
    Ok(RawGrant { actions, scopes: Some(Spanned::new(span, scopes.into_inner().0)), categories })
}

/// `"self"` or `["self", "represented"]`.
struct OneOrMore(Vec<String>);

impl<'de> Deserialize<'de> for OneOrMore {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMore;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scope name, or a list of scope names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMore, E> {
                Ok(OneOrMore(vec![v.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMore, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(OneOrMore(names))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Element;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an action name, or a table with `actions`, `scope` and `categories`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Element, E> {
                Ok(Element::Action(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Element, A::Error> {
                grant_table(map).map(Element::Grant)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawGrants {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct GrantVisitor;

        impl<'de> Visitor<'de> for GrantVisitor {
            type Value = RawGrants;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of actions, a table with `actions`, `scope` and `categories`, or a list of such tables")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawGrants, A::Error> {
                let mut actions = Vec::new();
                let mut tables = Vec::new();
                while let Some(element) = seq.next_element::<Spanned<Element>>()? {
                    let span = element.span();
                    match element.into_inner() {
                        Element::Action(name) => actions.push(Spanned::new(span, name)),
                        Element::Grant(grant) => tables.push(grant),
                    }
                }
                match (actions.is_empty(), tables.is_empty()) {
                    (_, true) => Ok(RawGrants(vec![RawGrant { actions, scopes: None, categories: None }])),
                    (true, false) => Ok(RawGrants(tables)),
                    (false, false) => Err(de::Error::custom(
                        "a grant is either a list of actions or a list of tables, not both; write the actions into a table with its `scope`",
                    )),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawGrants, A::Error> {
                Ok(RawGrants(vec![grant_table(map)?]))
            }
        }

        deserializer.deserialize_any(GrantVisitor)
    }
}

/// Parses and checks a register; `file` names it in the errors.
pub fn parse(file: &str, source: &str) -> Result<Register, RegisterError> {
    parse_with_events(file, source, None).map(|(register, _)| register)
}

/// [`parse`], and with `emitted` (the events the modules emit) also
/// [`check_events`] in the same pass, returning its warnings.
pub(crate) fn parse_with_events(file: &str, source: &str, emitted: Option<&[&str]>) -> Result<(Register, Vec<String>), RegisterError> {
    let mut sink = Sink::new(source);
    let raw: RawFile = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            sink.error(span, e.message().trim().to_string(), Some(syntax_help(e.message())));
            return Err(sink.into_error(file).unwrap_or_else(|| RegisterError { file: file.to_string(), diagnostics: Vec::new() }));
        }
    };
    let warnings = emitted.map(|emitted| check_events(&mut sink, &raw, emitted)).unwrap_or_default();
    let mut register = Builder { sink: &mut sink }.build(raw);
    if let Some(register) = &mut register {
        canonical_contents(source, register);
    }
    match sink.into_error(file) {
        Some(error) => Err(error),
        None => register.map(|register| (register, warnings)).ok_or_else(|| RegisterError { file: file.to_string(), diagnostics: Vec::new() }),
    }
}

/// Checks that every retention rule counts from an event that product code
/// emits (`emitted`: what the modules declare), so that no term waits for
/// ever. A rule naming another event is an error, with the known events as
/// the fix — unless its processing says it is `planned` (described in the
/// statement, carried out outside this system until its module exists);
/// those come back as warnings, one per processing, so they stay visible.
fn check_events(sink: &mut Sink<'_>, raw: &RawFile, emitted: &[&str]) -> Vec<String> {
    let mut known: Vec<&str> = emitted.to_vec();
    known.sort_unstable();
    known.dedup();
    let mut warnings = Vec::new();
    for processing in &raw.processing {
        let Some(retention) = &processing.retention else { continue };
        let events = [&retention.get_ref().event, &retention.get_ref().fallback_event];
        let missing: Vec<&Name> = events.into_iter().flatten().filter(|event| known.binary_search(&event.get_ref().as_str()).is_err()).collect();
        match &processing.planned {
            Some(why) if !missing.is_empty() => warnings.push(format!(
                "processing `{}` is planned ({why}): no module emits {} yet, so what is stored under it has no end date until one does",
                processing.id.get_ref(),
                missing.iter().map(|e| format!("`{}`", e.get_ref())).collect::<Vec<_>>().join(", ")
            )),
            _ => {
                for event in missing {
                    let help = match did_you_mean(event.get_ref(), known.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`? The events product code emits: {}", known.join(", ")),
                        None => format!(
                            "count the term from an event a module emits ({}), or make the module that ends this purpose emit `{}`",
                            known.join(", "),
                            event.get_ref()
                        ),
                    };
                    sink.error(event.span(), format!("no module emits the event `{}`, so this term would never start", event.get_ref()), Some(help));
                }
            }
        }
    }
    warnings
}

fn syntax_help(message: &str) -> String {
    if message.contains("unknown field") {
        "remove the key or correct its spelling; docs/register.md lists every key".to_string()
    } else if message.contains("missing field") {
        "add the field; docs/register.md shows an example of every table".to_string()
    } else {
        "fix the TOML syntax at this place".to_string()
    }
}

struct Builder<'s, 'a> {
    sink: &'s mut Sink<'a>,
}

impl Builder<'_, '_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>, help: impl Into<Option<String>>) {
        self.sink.error(span, message, help.into());
    }

    /// Builds the register, recording every problem; `None` only when a
    /// problem made a part impossible to build (the sink then holds it).
    /// Each `log` names a processing whose term can date an audit entry:
    /// a term after the entry is `recorded`, a term per item, or permanent.
    fn check_logs(&mut self, raw: &RawFile, processings: &[Processing]) {
        for p in &raw.processing {
            let Some(log) = &p.log else { continue };
            let Some(target) = processings.iter().find(|t| &t.id == log.get_ref()) else {
                self.error(
                    log.span(),
                    format!("`log` names no processing `{}`", log.get_ref()),
                    Some(format!("name the processing that keeps the log of access to `{}`, or leave `log` out to use `{AUDIT_LOG}`", p.id.get_ref())),
                );
                continue;
            };
            if let Some(term) = &p.log_term
                && !matches!(target.retention, Retention::PerItem { .. })
            {
                self.error(
                    term.span(),
                    format!("`log_term` gives `{}` a term of its own in `{}`, whose log is not kept per item", p.id.get_ref(), log.get_ref()),
                    Some(format!("leave `log_term` out (the entries follow `{}`'s term), or give `{}` a rule `per_item`", log.get_ref(), log.get_ref())),
                );
            }
            if !target.retention.dates_log_entries() {
                self.error(
                    log.span(),
                    format!("processing `{}` cannot date audit entries: its retention does not count from `{RECORDED}`", log.get_ref()),
                    Some(format!("give `{}` a rule `after_event` with event = \"{RECORDED}\", `per_item`, or `permanent`", log.get_ref())),
                );
            }
        }
    }

    fn build(mut self, raw: RawFile) -> Option<Register> {
        let terms = self.terms(&raw.terms);
        let sections = self.sections(&raw.section);
        let editions = self.editions(&raw.statement);
        let recipients = self.recipients(&raw.recipient);
        let recipient_index: HashMap<String, RecipientId> =
            recipients.iter().enumerate().filter_map(|(i, r)| Some((r.id.clone(), RecipientId(u16::try_from(i).ok()?)))).collect();

        let mut seen = HashSet::new();
        let mut processings = Vec::new();
        for p in &raw.processing {
            self.check_id(&p.id, "processing");
            self.check_req(&p.req);
            if !seen.insert(p.id.get_ref().clone()) {
                self.error(p.id.span(), format!("duplicate processing id `{}`", p.id.get_ref()), Some("give every processing its own id".to_string()));
            }
            if let Some(processing) = self.processing(p, &raw.register.controller, &terms, &sections, &recipients, &recipient_index) {
                processings.push(processing);
            }
        }
        if processings.len() > usize::from(u16::MAX) {
            self.error(0..0, "too many processings", None);
        }
        self.check_logs(&raw, &processings);
        self.check_editions(&editions, &sections, &raw.processing, &processings);
        let children = self.children_statement(&raw.statement, &processings);
        let processing_index = processings.iter().enumerate().filter_map(|(i, p)| Some((p.id.clone(), ProcessingId(u16::try_from(i).ok()?)))).collect();
        Some(Register {
            meta: Meta { controller: raw.register.controller, editions, base_uri: raw.register.base_uri.trim_end_matches('/').to_string(), children },
            contact: raw.contact,
            terms,
            sections,
            recipients,
            processings,
            published: None,
            processing_index,
            recipient_index,
        })
    }

    fn date(&mut self, date: &Name) -> Option<jiff::civil::Date> {
        match date.get_ref().parse::<jiff::civil::Date>() {
            Ok(d) => Some(d),
            Err(_) => {
                self.error(date.span(), format!("`{}` is not a date", date.get_ref()), Some("write the date as YYYY-MM-DD, e.g. 2024-05-01".to_string()));
                None
            }
        }
    }

    fn check_id(&mut self, id: &Name, what: &str) {
        let text = id.get_ref();
        let valid = !text.is_empty()
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            self.error(
                id.span(),
                format!("{what} id `{text}` is not snake_case"),
                Some("use lowercase letters, digits and underscores, starting with a letter".to_string()),
            );
        }
    }

    fn check_req(&mut self, req: &Name) {
        let text = req.get_ref();
        let mut chars = text.chars();
        let valid = matches!(chars.next(), Some('E' | 'I' | 'K')) && text.len() > 1 && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '.');
        if !valid {
            self.error(
                req.span(),
                format!("`{text}` is not a requirement id"),
                Some("name the requirement of REQUIREMENTS.md, e.g. \"E1\", \"E15.NAM\", \"I8\", \"K2\"".to_string()),
            );
        }
    }

    fn terms(&mut self, raw: &BTreeMap<String, RawTerm>) -> Vec<NamedTerm> {
        raw.iter()
            .filter_map(|(name, term)| {
                // A design choice shown as the seed's fact is what the
                // statement must never do: a term marked (design) says in
                // its own place what the seed says.
                if let Some(note) = &term.note
                    && note.get_ref().starts_with("(design)")
                    && term.seed_says.is_none()
                {
                    self.error(
                        note.span(),
                        format!("term `{name}` is a design choice but has no `seed_says`"),
                        Some("add seed_says = \"…\" with what the source says instead of a number (e.g. \"in lijn met de wettelijke bewaartermijnen\"); the statement shows it before our setting".to_string()),
                    );
                }
                let duration = self.duration(&term.duration)?;
                Some(NamedTerm { name: name.clone(), duration, note: term.note.as_ref().map(|n| n.get_ref().clone()), seed_says: term.seed_says.clone() })
            })
            .collect()
    }

    fn editions(&mut self, raw: &BTreeMap<Name, RawEdition>) -> Vec<Edition> {
        let mut editions: Vec<Edition> = raw
            .iter()
            .filter_map(|(name, edition)| {
                let statement = self.statement(name);
                let date = self.date(&edition.date);
                if edition.version.get_ref().trim().is_empty() {
                    self.error(edition.version.span(), "empty version", Some("write the version, e.g. \"2024.05\"".to_string()));
                }
                Some(Edition { statement: statement?, version: edition.version.get_ref().clone(), date: date?, span: edition.version.span() })
            })
            .collect();
        editions.sort_by_key(|e| e.statement as u8);
        editions
    }

    /// Every statement that says something has a version and a date (E21).
    fn check_editions(&mut self, editions: &[Edition], sections: &[Section], raw: &[RawProcessing], processings: &[Processing]) {
        for statement in Statement::ALL {
            if editions.iter().any(|e| e.statement == statement) {
                continue;
            }
            let used = raw.iter().zip(processings).find(|(_, p)| p.statement == statement).map(|(r, _)| r.id.span());
            let span = used.or_else(|| sections.iter().any(|s| s.statement == statement).then_some(0..0));
            if let Some(span) = span {
                self.error(
                    span,
                    format!("the {} has no version and date", statement.title_nl()),
                    Some(format!("add [statement.{}] with version = \"…\" and date = \"YYYY-MM-DD\"", statement.name())),
                );
            }
        }
    }

    /// `[statement.children]`'s own keys: the public section it explains
    /// (which must exist and hold processings) and its introduction. Only
    /// that statement has them, and it cannot be without them.
    fn children_statement(&mut self, raw: &BTreeMap<Name, RawEdition>, processings: &[Processing]) -> Option<ChildrenStatement> {
        let mut children = None;
        for (name, edition) in raw {
            let is_children = Statement::from_name(name.get_ref()) == Some(Statement::Children);
            if !is_children {
                for span in [edition.explains.as_ref().map(Spanned::span), edition.intro.as_ref().map(Spanned::span)].into_iter().flatten() {
                    self.error(
                        span,
                        format!("`explains` and `intro` belong to [statement.children], not [statement.{}]", name.get_ref()),
                        Some("remove them here; a statement's own text is in its sections".to_string()),
                    );
                }
                continue;
            }
            let (Some(explains), Some(intro)) = (&edition.explains, &edition.intro) else {
                self.error(
                    edition.version.span(),
                    "the children's statement does not say what it explains",
                    Some(
                        "add explains = <number of the public section on the children's scheme> and intro = \"…\" (why, in a 12-year-old's words)".to_string(),
                    ),
                );
                continue;
            };
            let statement = ChildrenStatement { section: *explains.get_ref(), intro: intro.get_ref().trim().to_string() };
            // A processing is in a declared section, or refused already.
            if !processings.iter().any(|p| statement.explains(p)) {
                self.error(
                    explains.span(),
                    format!("section {} of the public statement has no processings to explain", statement.section),
                    Some("name the public section on the children's scheme, whose processings the children's statement explains".to_string()),
                );
                continue;
            }
            if statement.intro.is_empty() {
                self.error(intro.span(), "empty intro", Some("say why we use a child's data, in words a 12-year-old reads".to_string()));
            }
            children = Some(statement);
        }
        children
    }

    fn duration(&mut self, text: &Name) -> Option<Duration> {
        let parsed = Duration::parse(text.get_ref());
        if parsed.is_none() {
            self.error(
                text.span(),
                format!("`{}` is not a duration", text.get_ref()),
                Some("write a positive whole number and a unit, e.g. \"28 days\", \"4 weeks\", \"6 months\", \"2 years\"".to_string()),
            );
        }
        parsed
    }

    fn statement(&mut self, name: &Name) -> Option<Statement> {
        let statement = Statement::from_name(name.get_ref());
        if statement.is_none() {
            self.error(name.span(), format!("unknown statement `{}`", name.get_ref()), Some("use \"public\", \"staff\", \"kcc\" or \"children\"".to_string()));
        }
        statement
    }

    /// The statement a section or processing is published in: any but the
    /// children's, which has none of its own.
    fn statement_of_own(&mut self, name: &Name) -> Option<Statement> {
        let statement = self.statement(name)?;
        if statement == Statement::Children {
            self.error(
                name.span(),
                "the children's statement has no sections or processings of its own",
                Some("publish it in \"public\"; [statement.children] explains one public section with `explains`".to_string()),
            );
            return None;
        }
        Some(statement)
    }

    fn sections(&mut self, raw: &[RawSection]) -> Vec<Section> {
        let mut seen = HashSet::new();
        let mut sections = Vec::new();
        for s in raw {
            let Some(statement) = self.statement_of_own(&s.statement) else { continue };
            let number = *s.number.get_ref();
            if !seen.insert((statement, number)) {
                self.error(
                    s.number.span(),
                    format!("duplicate section {number} in statement `{}`", s.statement.get_ref()),
                    Some("number the sections of one statement uniquely".to_string()),
                );
            }
            sections.push(Section { statement, number, title: s.title.clone(), intro: s.intro.clone() });
        }
        sections.sort_by_key(|s| (s.statement as u8, s.number));
        sections
    }

    fn category(&mut self, name: &Name) -> Option<Category> {
        let category = Category::from_name(name.get_ref());
        if category.is_none() {
            let help = match did_you_mean(name.get_ref(), Category::ALL.iter().map(|c| c.name())) {
                Some(close) => format!("did you mean `{close}`? The taxonomy is closed (crates/register/src/taxonomy.rs)"),
                None => "use a category of the closed taxonomy (crates/register/src/taxonomy.rs)".to_string(),
            };
            self.error(name.span(), format!("unknown category `{}`", name.get_ref()), Some(help));
        }
        category
    }

    fn categories(&mut self, names: &[Name]) -> CategorySet {
        names.iter().filter_map(|n| self.category(n)).collect()
    }

    fn recipients(&mut self, raw: &[RawRecipient]) -> Vec<Recipient> {
        let mut seen = HashSet::new();
        let mut recipients = Vec::new();
        for r in raw {
            self.check_id(&r.id, "recipient");
            self.check_req(&r.req);
            if !seen.insert(r.id.get_ref().clone()) {
                self.error(r.id.span(), format!("duplicate recipient id `{}`", r.id.get_ref()), Some("give every recipient its own id".to_string()));
            }
            let kind = RecipientKind::from_name(r.kind.get_ref());
            if kind.is_none() {
                self.error(
                    r.kind.span(),
                    format!("unknown recipient kind `{}`", r.kind.get_ref()),
                    Some("use \"third_party\", \"processor\", \"public_body\" or \"legal_obligation\"".to_string()),
                );
            }
            let categories = self.categories(&r.categories);
            if r.categories.is_empty() {
                self.error(
                    r.id.span(),
                    format!("recipient `{}` receives no categories", r.id.get_ref()),
                    Some("list the categories this party may receive in `categories`".to_string()),
                );
            }
            let processes_in = self.processes_in(r);
            let agreement = self.agreement(r, kind);
            let only_when = r.only_when.as_ref().and_then(|c| {
                let c = c.get_ref();
                Some(Condition { category: self.category(&c.category)?, equals: c.equals.clone() })
            });
            recipients.push(Recipient {
                id: r.id.get_ref().clone(),
                req: r.req.get_ref().clone(),
                name: r.name.clone(),
                kind: kind.unwrap_or(RecipientKind::ThirdParty),
                purpose: r.purpose.clone(),
                legal_basis: r.legal_basis.clone(),
                categories,
                legal_check: r.legal_check,
                withheld_from_subject: r.withheld_from_subject.clone(),
                processes_in,
                agreement,
                only_when,
            });
        }
        recipients
    }

    /// Where the party processes: every place inside the EEA (I8: no
    /// processing outside it), or an error pointing at the one that is not.
    fn processes_in(&mut self, r: &RawRecipient) -> Vec<String> {
        let id = r.id.get_ref();
        let Some(places) = &r.processes_in else {
            self.error(
                r.id.span(),
                format!("recipient `{id}` does not say where it processes"),
                Some(format!("add `processes_in = \"{EEA}\"`, or the countries where it processes as ISO 3166 codes, e.g. `processes_in = [\"NL\", \"DE\"]`")),
            );
            return Vec::new();
        };
        if places.get_ref().0.is_empty() {
            self.error(places.span(), format!("recipient `{id}` processes nowhere"), Some(format!("write `processes_in = \"{EEA}\"` or the countries")));
        }
        for place in &places.get_ref().0 {
            if place == EEA || EEA_COUNTRIES.contains(&place.as_str()) {
                continue;
            }
            let is_code = place.len() == 2 && place.chars().all(|c| c.is_ascii_uppercase());
            if is_code {
                self.error(
                    places.span(),
                    format!("recipient `{id}` processes in `{place}`, outside the European Economic Area; no personal data is processed outside the EEA (I8)"),
                    Some(format!("choose a party that processes inside the EEA and write its countries (one of {}), or `\"{EEA}\"`", EEA_COUNTRIES.join(", "))),
                );
            } else {
                self.error(
                    places.span(),
                    format!("`{place}` is not a place the register knows"),
                    Some(format!("write `\"{EEA}\"` or ISO 3166 country codes in capitals, e.g. \"NL\"")),
                );
            }
        }
        places.get_ref().0.clone()
    }

    /// The agreement the party needs: a processor always one (AVG art. 28
    /// lid 3); one that is required names its reference and end date, so
    /// that the kernel can refuse a disclosure once it has ended.
    fn agreement(&mut self, r: &RawRecipient, kind: Option<RecipientKind>) -> Agreement {
        let id = r.id.get_ref();
        let example = "agreement = { required = true, reference = \"VWO-2024-017\", ends = \"2027-12-31\" }";
        let Some(raw) = &r.agreement else {
            self.error(
                r.id.span(),
                format!("recipient `{id}` does not say whether a processor or data-exchange agreement is required"),
                Some(format!("add `{example}`, or `agreement = {{ required = false }}` when the law itself governs the exchange")),
            );
            return Agreement { required: false, reference: None, ends: None };
        };
        let span = raw.span();
        let raw = raw.get_ref();
        if kind == Some(RecipientKind::Processor) && !raw.required {
            self.error(
                span.clone(),
                format!("recipient `{id}` is a processor, and a processor always needs a processor agreement (AVG art. 28 lid 3)"),
                Some(format!("write `{example}` with the agreement's own reference and end date")),
            );
        }
        if raw.required && raw.reference.as_deref().is_none_or(|r| r.trim().is_empty()) {
            self.error(
                span.clone(),
                format!("the agreement recipient `{id}` requires has no reference"),
                Some("add `reference = \"...\"`: the agreement's number, so that it can be found".to_string()),
            );
        }
        if raw.required && raw.ends.is_none() {
            self.error(
                span,
                format!("the agreement recipient `{id}` requires has no end date"),
                Some("add `ends = \"YYYY-MM-DD\"`: the last day it is in force; after it the kernel refuses every disclosure to this party".to_string()),
            );
        }
        let ends = raw.ends.as_ref().and_then(|ends| self.date(ends));
        Agreement { required: raw.required, reference: raw.reference.clone(), ends }
    }

    /// A `log_term`, which only means something beside a `log`.
    fn log_term(&mut self, p: &RawProcessing, text: &Name, terms: &[NamedTerm]) -> Option<Term> {
        if p.log.is_none() {
            self.error(
                text.span(),
                format!("`log_term` without `log`: processing `{}` names no log whose term this would be", p.id.get_ref()),
                Some("add `log = \"...\"` naming a processing whose retention is `per_item`, or remove `log_term`".to_string()),
            );
        }
        self.term(text, terms)
    }

    fn term(&mut self, text: &Name, terms: &[NamedTerm]) -> Option<Term> {
        let name = text.get_ref();
        if let Some(named) = terms.iter().find(|t| &t.name == name) {
            return Some(Term { duration: named.duration, setting: Some(named.name.clone()) });
        }
        if name.starts_with(|c: char| c.is_ascii_digit()) {
            return self.duration(text).map(|duration| Term { duration, setting: None });
        }
        let help = match did_you_mean(name, terms.iter().map(|t| t.name.as_str())) {
            Some(close) => format!("did you mean `{close}`?"),
            None => "define it under [terms.NAME] or write a duration such as \"28 days\"".to_string(),
        };
        self.error(text.span(), format!("unknown term `{name}`"), Some(help));
        None
    }

    fn retention(&mut self, p: &RawProcessing, terms: &[NamedTerm]) -> Option<Retention> {
        let Some(raw) = &p.retention else {
            self.error(
                p.id.span(),
                format!("processing `{}` has no retention rule", p.id.get_ref()),
                Some("add e.g. `retention = { rule = \"after_event\", event = \"case_closed\", term = \"claim_dossier\" }`".to_string()),
            );
            return None;
        };
        let r = raw.get_ref();
        let required = |this: &mut Self, field: &Option<Name>, key: &str| -> Option<Name> {
            if field.is_none() {
                this.error(
                    r.rule.span(),
                    format!("retention rule `{}` needs `{key}`", r.rule.get_ref()),
                    Some(format!("add `{key} = ...` to the retention table")),
                );
            }
            field.clone()
        };
        match r.rule.get_ref().as_str() {
            "after_event" => {
                let event = required(self, &r.event, "event")?;
                let term = required(self, &r.term, "term")?;
                let term = self.term(&term, terms)?;
                Some(Retention::AfterEvent { event: event.into_inner(), term })
            }
            "until_event" => {
                let event = required(self, &r.event, "event")?;
                let fallback = match (&r.fallback_event, &r.fallback_term) {
                    (None, None) => None,
                    (Some(event), Some(term)) => Some((event.get_ref().clone(), self.term(term, terms)?)),
                    (Some(_), None) => required(self, &r.fallback_term, "fallback_term").map(|_| None)?,
                    (None, Some(_)) => required(self, &r.fallback_event, "fallback_event").map(|_| None)?,
                };
                Some(Retention::UntilEvent { event: event.into_inner(), fallback })
            }
            "until_withdrawn" => Some(Retention::UntilWithdrawn),
            "permanent" => Some(Retention::Permanent { reason: r.reason.clone() }),
            "per_item" => {
                let default = required(self, &r.default, "default")?;
                let default = self.term(&default, terms)?;
                let event = r.event.as_ref().map_or_else(|| RECORDED.to_string(), |event| event.get_ref().clone());
                Some(Retention::PerItem { default, event })
            }
            other => {
                let rules = ["after_event", "until_event", "until_withdrawn", "permanent", "per_item"];
                let help = match did_you_mean(other, rules) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("use one of: {}", rules.join(", ")),
                };
                self.error(r.rule.span(), format!("unknown retention rule `{other}`"), Some(help));
                None
            }
        }
    }

    fn grants(&mut self, p: &RawProcessing, declared: CategorySet) -> [RoleGrants; Role::ALL.len()] {
        let mut grants = [RoleGrants::default(); Role::ALL.len()];
        for (role_name, raw) in &p.access {
            let Some(role) = Role::from_name(role_name) else {
                let help = match did_you_mean(role_name, Role::ALL.iter().map(|r| r.name())) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "use a role listed in docs/register.md".to_string(),
                };
                self.error(raw.span(), format!("unknown role `{role_name}`"), Some(help));
                continue;
            };
            for grant in &raw.get_ref().0 {
                let scopes = self.scopes(role, grant, raw.span());
                let categories = self.granted_categories(role_name, p, grant, declared);
                for action in &grant.actions {
                    let Some(a) = Action::from_name(action.get_ref()) else {
                        let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
                        let help = match did_you_mean(action.get_ref(), names.iter().copied()) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None => format!("use one of: {}", names.join(", ")),
                        };
                        self.error(action.span(), format!("unknown action `{}`", action.get_ref()), Some(help));
                        continue;
                    };
                    let slot = &mut grants[role.index()][a.index()];
                    if slot.is_granted() {
                        self.error(
                            action.span(),
                            format!("role `{role_name}` is given `{a}` twice under `{}`", p.id.get_ref()),
                            Some("give each action once per role; list several scopes in one `scope = [...]`".to_string()),
                        );
                    }
                    *slot = Grant { scopes, categories };
                }
            }
        }
        grants
    }

    /// The scopes of a grant; the list form means `all`. A role that acts
    /// for a person may not reach everyone's data.
    fn scopes(&mut self, role: Role, grant: &RawGrant, role_span: Range<usize>) -> ScopeSet {
        let (names, span) = match &grant.scopes {
            None => (vec![Scope::All.name().to_string()], role_span),
            Some(names) => (names.get_ref().clone(), names.span()),
        };
        if names.is_empty() {
            self.error(span.clone(), "an empty scope reaches nobody".to_string(), Some("name whose data the grant reaches, e.g. scope = \"self\"".to_string()));
        }
        let mut scopes = ScopeSet::EMPTY;
        for name in &names {
            match Scope::from_name(name) {
                Some(scope) => scopes = scopes.with(scope),
                None => {
                    let known: Vec<&str> = Scope::ALL.iter().map(|s| s.name()).collect();
                    let help = match did_you_mean(name, known.iter().copied()) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => format!("use one of: {}", known.join(", ")),
                    };
                    self.error(span.clone(), format!("unknown scope `{name}`"), Some(help));
                }
            }
        }
        if role.acts_for_a_person() && scopes.contains(Scope::All) {
            self.error(
                span,
                format!("role `{role}` acts for one person, so it may not reach everyone's data (scope `all`)"),
                Some("write the grant as a table with a narrower scope, e.g. `{ actions = [\"file\", \"read\"], scope = \"self\" }`".to_string()),
            );
        }
        scopes
    }

    fn granted_categories(&mut self, role_name: &str, p: &RawProcessing, grant: &RawGrant, declared: CategorySet) -> CategorySet {
        let Some(names) = &grant.categories else { return declared };
        for name in names {
            if let Some(c) = self.category(name)
                && !declared.contains(c)
            {
                self.error(
                    name.span(),
                    format!("role `{role_name}` is given `{c}`, which processing `{}` does not hold", p.id.get_ref()),
                    Some(format!("add `{c}` to the processing's categories, or remove it here")),
                );
            }
        }
        self.categories(names).intersection(declared)
    }

    fn disclosures(&mut self, p: &RawProcessing, declared: CategorySet, recipients: &[Recipient], index: &HashMap<String, RecipientId>) -> Vec<Disclosure> {
        let mut disclosures = Vec::new();
        for (recipient_name, names) in &p.recipients {
            let Some(&recipient_id) = index.get(recipient_name) else {
                let help = match did_you_mean(recipient_name, index.keys().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => "declare the party as a [[recipient]] first".to_string(),
                };
                self.error(names.span(), format!("unknown recipient `{recipient_name}`"), Some(help));
                continue;
            };
            let recipient = &recipients[usize::from(recipient_id.0)];
            if let Some(condition) = &recipient.only_when
                && !declared.contains(condition.category)
            {
                self.error(
                    names.span(),
                    format!(
                        "recipient `{recipient_name}` receives only when `{}` is \"{}\", and processing `{}` does not hold `{}`",
                        condition.category,
                        condition.equals,
                        p.id.get_ref(),
                        condition.category
                    ),
                    Some(format!("add `{}` to the processing's categories, or do not disclose to `{recipient_name}` here", condition.category)),
                );
            }
            for name in names.get_ref() {
                let Some(c) = self.category(name) else { continue };
                if !declared.contains(c) {
                    self.error(
                        name.span(),
                        format!("recipient `{recipient_name}` is given `{c}`, which processing `{}` does not hold", p.id.get_ref()),
                        Some(format!("remove `{c}` from this recipient, or declare it in the processing's categories")),
                    );
                } else if !recipient.categories.contains(c) {
                    self.error(
                        name.span(),
                        format!("recipient `{recipient_name}` may not receive `{c}`"),
                        Some(format!("the [[recipient]] `{recipient_name}` allows only: {}", recipient.categories)),
                    );
                }
            }
            let categories = self.categories(names.get_ref()).intersection(declared).intersection(recipient.categories);
            disclosures.push(Disclosure { recipient: recipient_name.clone(), recipient_id, categories });
        }
        disclosures
    }

    fn processing(
        &mut self,
        p: &RawProcessing,
        default_controller: &str,
        terms: &[NamedTerm],
        sections: &[Section],
        recipients: &[Recipient],
        recipient_index: &HashMap<String, RecipientId>,
    ) -> Option<Processing> {
        let id = p.id.get_ref();
        let statement = self.statement_of_own(&p.statement);
        let section = *p.section.get_ref();
        if let Some(statement) = statement
            && !sections.iter().any(|s| s.statement == statement && s.number == section)
        {
            self.error(
                p.section.span(),
                format!("section {section} of statement `{}` is not declared", p.statement.get_ref()),
                Some("add a [[section]] with this statement and number".to_string()),
            );
        }
        let basis = Basis::from_name(p.basis.get_ref());
        if basis.is_none() {
            let help = match did_you_mean(p.basis.get_ref(), Basis::NAMES) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("use one of: {}", Basis::NAMES.join(", ")),
            };
            self.error(p.basis.span(), format!("unknown legal basis `{}`", p.basis.get_ref()), Some(help));
        }
        if p.categories.is_empty() {
            self.error(p.id.span(), format!("processing `{id}` declares no categories"), Some("list its categories in `categories`".to_string()));
        }
        let categories = self.categories(&p.categories);
        let optional = self.categories(&p.optional);
        for name in &p.optional {
            if let Some(c) = Category::from_name(name.get_ref())
                && !categories.contains(c)
            {
                self.error(
                    name.span(),
                    format!("optional category `{c}` is not among the categories of `{id}`"),
                    Some(format!("add `{c}` to `categories` too")),
                );
            }
        }
        if let Some(special) = p.categories.iter().find(|n| Category::from_name(n.get_ref()).is_some_and(Category::is_special))
            && p.special_ground.as_deref().is_none_or(|g| !names_article_9_ground(g))
        {
            self.error(
                special.span(),
                format!("special category `{}` (AVG art. 9) without an art. 9 ground", special.get_ref()),
                Some("add `special_ground = \"AVG art. 9 lid 2 sub g\"` (or the ground that applies), or remove the category".to_string()),
            );
        }
        if basis == Some(Basis::Consent) && p.withdrawal.is_none() {
            self.error(
                p.basis.span(),
                format!("processing `{id}` rests on consent but says not how to withdraw it"),
                Some("add `withdrawal = \"...\"` describing how consent is withdrawn (AVG art. 7 lid 3)".to_string()),
            );
        }
        if basis == Some(Basis::FurtherProcessing) && p.compatibility.is_none() {
            self.error(
                p.basis.span(),
                format!("further processing `{id}` has no recorded compatibility assessment"),
                Some("add `compatibility = \"...\"` with the AVG art. 6 lid 4 assessment (E20)".to_string()),
            );
        }
        if p.analysis.is_none() {
            self.error(
                p.id.span(),
                format!("processing `{id}` has no recorded analysis"),
                Some("add `analysis = \"...\"` naming the analysis made before processing (E0.6)".to_string()),
            );
        }
        if p.high_risk && p.dpia.is_none() {
            self.error(
                p.id.span(),
                format!("high-risk processing `{id}` has no DPIA"),
                Some("add `dpia = \"...\"` naming the data-protection impact assessment (E0.6)".to_string()),
            );
        }
        let retention = self.retention(p, terms);
        let grants = self.grants(p, categories);
        let disclosures = self.disclosures(p, categories, recipients, recipient_index);

        let processing = Processing {
            id: id.clone(),
            req: p.req.get_ref().clone(),
            statement: statement?,
            section,
            name: p.name.clone(),
            purpose: p.purpose.clone(),
            controller: p.controller.clone().unwrap_or_else(|| default_controller.to_string()),
            basis: basis?,
            basis_articles: p.basis_articles.clone(),
            special_ground: p.special_ground.clone(),
            withdrawal: p.withdrawal.clone(),
            compatibility: p.compatibility.clone(),
            subjects: p.subjects.clone(),
            categories,
            optional,
            sources: p.sources.clone(),
            processors: p.processors.clone(),
            disclosures,
            retention: retention?,
            high_risk: p.high_risk,
            analysis: p.analysis.clone()?,
            dpia: p.dpia.clone(),
            save_and_resume: p.save_and_resume,
            rights_process: p.rights_process,
            log: p.log.as_ref().map(|log| log.get_ref().clone()),
            log_term: match &p.log_term {
                Some(term) => Some(self.log_term(p, term, terms)?),
                None => None,
            },
            grants,
            content: String::new(),
            content_hash: String::new(),
        };
        Some(processing)
    }
}

/// Whether a ground cites AVG art. 9(2), in the ways Dutch texts write it:
/// "AVG art. 9 lid 2 sub g", "artikel 9, tweede lid", "9(2)(g)".
fn names_article_9_ground(ground: &str) -> bool {
    let ground = ground.to_lowercase();
    ["art. 9 lid 2", "artikel 9 lid 2", "artikel 9, tweede lid", "art. 9(2)", "9(2)("].iter().any(|form| ground.contains(form))
}

/// Gives every processing its canonical content and its hash (see
/// [`Processing::content`]), from the file's tables as TOML reads them —
/// so a comment or a reordered key is no new version, and a change to a
/// named term or a recipient the processing uses is.
fn canonical_contents(source: &str, register: &mut Register) {
    let Ok(file) = toml::from_str::<toml::Table>(source) else { return };
    let table = |key: &str| file.get(key).and_then(toml::Value::as_table);
    let tables = file.get("processing").and_then(toml::Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let controller = table("register").and_then(|meta| meta.get("controller")).cloned();
    for (processing, raw) in register.processings.iter_mut().zip(tables) {
        let mut content = toml::Table::new();
        content.insert("processing".into(), raw.clone());
        let retention = raw.get("retention").and_then(toml::Value::as_table);
        let terms: toml::Table = ["term", "fallback_term"]
            .iter()
            .filter_map(|key| retention?.get(*key)?.as_str())
            .filter_map(|name| Some((name.to_string(), table("terms")?.get(name)?.clone())))
            .collect();
        content.insert("terms".into(), toml::Value::Table(terms));
        let recipients: toml::Table = file
            .get("recipient")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|recipient| Some((recipient.get("id")?.as_str()?.to_string(), recipient.clone())))
            .filter(|(id, _)| raw.get("recipients").and_then(toml::Value::as_table).is_some_and(|used| used.contains_key(id)))
            .collect();
        content.insert("recipients".into(), toml::Value::Table(recipients));
        if raw.get("controller").is_none()
            && let Some(controller) = &controller
        {
            content.insert("controller".into(), controller.clone());
        }
        let mut text = String::new();
        canonical_json(&toml::Value::Table(content), &mut text);
        processing.content_hash = hex::encode(Sha256::digest(text.as_bytes()));
        processing.content = text;
    }
}

/// JSON with keys sorted and no whitespace, written by hand so that no
/// serialiser setting (key order, number format) can change a version.
fn canonical_json(value: &toml::Value, out: &mut String) {
    let string = |text: &str, out: &mut String| out.push_str(&serde_json::Value::String(text.to_string()).to_string());
    match value {
        toml::Value::String(text) => string(text, out),
        toml::Value::Integer(n) => out.push_str(&n.to_string()),
        toml::Value::Float(f) => out.push_str(&serde_json::Value::from(*f).to_string()),
        toml::Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        toml::Value::Datetime(moment) => string(&moment.to_string(), out),
        toml::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        toml::Value::Table(table) => {
            let mut keys: Vec<&String> = table.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(key, out);
                out.push(':');
                canonical_json(&table[key], out);
            }
            out.push('}');
        }
    }
}
