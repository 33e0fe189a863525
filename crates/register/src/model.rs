//! The compiled register: what the kernel decides on and the statement is
//! rendered from. Built only by [`crate::parse`], so every value here has
//! passed the checks.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::categories::CategorySet;
use crate::taxonomy::{Action, Category, Role, Scope, ScopeSet};

/// Index of a processing in [`Register::processings`]; resolved from its id
/// once, at the edge, so decisions never look up strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessingId(pub(crate) u16);

/// Index of a recipient in [`Register::recipients`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecipientId(pub(crate) u16);

/// The register of processing activities, checked and compiled: what the kernel enforces and the statement says.
/// Cloned where one register, read once, opens several kernels (each owns its own).
#[derive(Clone, Debug)]
pub struct Register {
    /// `[register]`: who is responsible, and which version this is.
    pub meta: Meta,
    /// `[contact]`: how people reach the organisation and its DPO.
    pub contact: Contact,
    /// `[terms]`: statutory terms, by name.
    pub terms: Vec<NamedTerm>,
    /// `[[section]]`: the statements' sections.
    pub sections: Vec<Section>,
    /// `[[recipient]]`: the parties that receive data; [`RecipientId`] indexes them.
    pub recipients: Vec<Recipient>,
    /// `[[processing]]`: the processing activities; [`ProcessingId`] indexes them.
    pub processings: Vec<Processing>,
    /// The statements' published versions, when the register has an
    /// archive beside it (see [`crate::versions`]).
    pub published: Option<crate::versions::Published>,
    pub(crate) processing_index: HashMap<String, ProcessingId>,
    pub(crate) recipient_index: HashMap<String, RecipientId>,
}

/// The processing that keeps the audit log itself: the term of an entry
/// about a processing that names no `log` of its own.
pub const AUDIT_LOG: &str = "audit_log";

impl ProcessingId {
    /// Its place in [`Register::processings`], for tables indexed like it.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

impl Register {
    /// The processing whose term the audit entries about `id` follow, if
    /// the register has it.
    pub fn log_processing(&self, id: ProcessingId) -> Option<ProcessingId> {
        self.processing_id(self.processing(id).log.as_deref().unwrap_or(AUDIT_LOG))
    }

    /// The processing with register id `id`.
    pub fn processing_id(&self, id: &str) -> Option<ProcessingId> {
        self.processing_index.get(id).copied()
    }

    /// The recipient with register id `id`.
    pub fn recipient_id(&self, id: &str) -> Option<RecipientId> {
        self.recipient_index.get(id).copied()
    }

    /// The processing at `id`.
    pub fn processing(&self, id: ProcessingId) -> &Processing {
        &self.processings[usize::from(id.0)]
    }

    /// The recipient at `id`.
    pub fn recipient(&self, id: RecipientId) -> &Recipient {
        &self.recipients[usize::from(id.0)]
    }

    /// Every processing, in file order.
    pub fn processing_ids(&self) -> impl Iterator<Item = ProcessingId> + '_ {
        (0..self.processings.len()).filter_map(|i| u16::try_from(i).ok().map(ProcessingId))
    }

    /// Distinct categories used anywhere in the register.
    pub fn categories_used(&self) -> CategorySet {
        self.processings.iter().fold(CategorySet::EMPTY, |set, p| set.union(p.categories))
    }
}

/// `[register]`: the controller, and `[statement.*]`: each statement's version.
#[derive(Clone, Debug, Serialize)]
pub struct Meta {
    /// The controller (verwerkingsverantwoordelijke) named by default.
    pub controller: String,
    /// The version and date of each statement the register publishes, in
    /// [`Statement::ALL`] order.
    pub editions: Vec<Edition>,
    /// Base of the processing-activity URIs written to the audit log.
    pub base_uri: String,
    /// What the children's statement explains, when the register has one.
    pub children: Option<ChildrenStatement>,
}

/// The rest of `[statement.children]` (E6): which section of the public
/// statement it explains, and why we use a child's data, in words a
/// 12-year-old reads. The facts (data, sources, recipients, terms) come
/// from that section's processings, so they cannot differ from the
/// public statement's.
#[derive(Clone, Debug, Serialize)]
pub struct ChildrenStatement {
    /// The number of the public statement's section it explains.
    pub section: u32,
    /// Why we use the data, written for children; paragraphs split by a
    /// blank line.
    pub intro: String,
}

impl ChildrenStatement {
    /// Whether it explains `processing`: one of the public statement's in
    /// the section it explains.
    pub fn explains(&self, processing: &Processing) -> bool {
        processing.statement == Statement::Public && processing.section == self.section
    }
}

impl Meta {
    /// The version and date of `statement`; `None` when the register
    /// publishes nothing in it.
    pub fn edition(&self, statement: Statement) -> Option<&Edition> {
        self.editions.iter().find(|e| e.statement == statement)
    }
}

/// `[statement.<name>]`: one statement's version, raised on every change of
/// what it says (E21), and the date it was set. Each statement has its own:
/// the staff statement changes on another day than the public one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edition {
    /// The statement.
    pub statement: Statement,
    /// Its version, e.g. `2024.05`.
    pub version: String,
    /// The date this version was set.
    pub date: jiff::civil::Date,
    /// Where `version` is written, for a diagnostic that must point at it.
    #[serde(skip)]
    pub(crate) span: std::ops::Range<usize>,
}

/// `[contact]`: how to reach the organisation (E23).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Visiting address.
    pub visit: String,
    /// Postal address.
    pub post: String,
    /// E-mail address.
    pub email: String,
    /// Telephone number.
    pub phone: String,
    /// E-mail address of the data protection officer (FG).
    pub dpo_email: String,
}

/// A statutory term under a name that retention rules refer to.
#[derive(Clone, Debug, Serialize)]
pub struct NamedTerm {
    /// The name rules use, e.g. `claim_dossier`.
    pub name: String,
    /// How long.
    pub duration: Duration,
    /// Where the term comes from, or why it was chosen.
    pub note: Option<String>,
    /// For a term the seed gives no number for (a design choice): what the
    /// seed says instead, in the statement's Dutch ("in lijn met de
    /// wettelijke bewaartermijnen"). The statement says that first and
    /// shows the number as the organisation's own setting, so our choice is
    /// never presented as the seed's fact.
    pub seed_says: Option<String>,
}

/// Which statement a processing is published in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Statement {
    /// The public privacy statement.
    Public,
    /// The statement for staff.
    Staff,
    /// The protocol for recording and listening back to calls in the contact centre.
    Kcc,
    /// The child-friendly statement (E6) for children and young people of
    /// 12 to 17: one section of the public statement explained in their
    /// words, from the same processings. It has no processings of its own.
    Children,
}

impl Statement {
    /// Every statement.
    pub const ALL: [Statement; 4] = [Statement::Public, Statement::Staff, Statement::Kcc, Statement::Children];

    /// Its register name: `public`, `staff`, `kcc` or `children`.
    pub fn name(self) -> &'static str {
        match self {
            Statement::Public => "public",
            Statement::Staff => "staff",
            Statement::Kcc => "kcc",
            Statement::Children => "children",
        }
    }

    /// The statement by its register name: `public`, `staff`, `kcc` or `children`.
    pub fn from_name(name: &str) -> Option<Statement> {
        match name {
            "public" => Some(Statement::Public),
            "staff" => Some(Statement::Staff),
            "kcc" => Some(Statement::Kcc),
            "children" => Some(Statement::Children),
            _ => None,
        }
    }

    /// Whether the statement is for the organisation's own people only: the
    /// staff statement is marked "Intern gebruik" and the call-centre
    /// protocol is published on the intranet, so neither is public, nor is
    /// what the register says of their processings.
    pub fn is_internal(self) -> bool {
        !matches!(self, Statement::Public | Statement::Children)
    }

    /// Whether someone signed in with `reader` (none: not signed in) may
    /// read this statement: a public one anyone, an internal one staff only.
    pub fn open_to(self, reader: Option<Role>) -> Result<(), NotForReader> {
        if !self.is_internal() {
            return Ok(());
        }
        match reader {
            None => Err(NotForReader::SignInFirst { statement: self }),
            Some(role) if role.acts_for_a_person() || role == Role::Public => Err(NotForReader::StaffOnly { statement: self, role }),
            Some(_) => Ok(()),
        }
    }

    /// The statement's Dutch title.
    pub fn title_nl(self) -> &'static str {
        match self {
            Statement::Public => "Privacyverklaring",
            Statement::Staff => "Privacyverklaring voor medewerkers",
            Statement::Kcc => "Privacyprotocol opnemen en terugluisteren van telefoongesprekken",
            Statement::Children => "Privacyverklaring voor kinderen en jongeren",
        }
    }
}

/// Why a statement (or what the register says of its processings) is
/// not shown to this reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotForReader {
    /// Not signed in; staff sign in first.
    #[error("the {} is for staff only (internal use); sign in as a member of staff", statement.title_nl())]
    SignInFirst {
        /// The statement asked for.
        statement: Statement,
    },
    /// Signed in, but not as staff.
    #[error("the {} is for staff only (internal use), and role `{role}` is not staff; the public statement is at /privacyverklaring", statement.title_nl())]
    StaffOnly {
        /// The statement asked for.
        statement: Statement,
        /// The reader's role.
        role: Role,
    },
}

/// A section of a statement, grouping its processings.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// The statement it belongs to.
    pub statement: Statement,
    /// Its number within the statement.
    pub number: u32,
    /// Its title, in Dutch.
    pub title: String,
    /// Dutch text shown above its processings.
    pub intro: Option<String>,
}

/// What kind of party a recipient is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// A party in its own right, with its own purpose.
    ThirdParty,
    /// A processor, acting on the organisation's behalf.
    Processor,
    /// A public body.
    PublicBody,
    /// A party served only by legal obligation.
    LegalObligation,
}

impl RecipientKind {
    /// The kind by its register name, e.g. `third_party`.
    pub fn from_name(name: &str) -> Option<RecipientKind> {
        match name {
            "third_party" => Some(RecipientKind::ThirdParty),
            "processor" => Some(RecipientKind::Processor),
            "public_body" => Some(RecipientKind::PublicBody),
            "legal_obligation" => Some(RecipientKind::LegalObligation),
            _ => None,
        }
    }

    /// The kind as the statement names it, in Dutch.
    pub fn label_nl(self) -> &'static str {
        match self {
            RecipientKind::ThirdParty => "derde partij",
            RecipientKind::Processor => "verwerker",
            RecipientKind::PublicBody => "overheidsorgaan",
            RecipientKind::LegalObligation => "wettelijke verplichting",
        }
    }
}

/// A party that receives data (E15, I8).
#[derive(Clone, Debug, Serialize)]
pub struct Recipient {
    /// Register id, e.g. `nam`.
    pub id: String,
    /// The requirement it encodes, e.g. `E15.NAM`.
    pub req: String,
    /// Its name as the statement gives it.
    pub name: String,
    /// What kind of party it is.
    pub kind: RecipientKind,
    /// What it receives the data for, in Dutch.
    pub purpose: String,
    /// The legal basis for giving it data, e.g. `TwG art. 3 lid 4`.
    pub legal_basis: Option<String>,
    /// The most it may ever receive.
    pub categories: CategorySet,
    /// Every disclosure first needs a recorded check that the legal
    /// obligation really exists (E15.LEGAL).
    pub legal_check: bool,
    /// The ground (AVG art. 23) on which the person concerned is not told
    /// of this party's request while it awaits its check.
    pub withheld_from_subject: Option<String>,
    /// Where the party processes: `EEA`, or the countries (ISO 3166 codes),
    /// each of which `register check` has found inside the EEA (I8).
    pub processes_in: Vec<String>,
    /// The processor or data-exchange agreement, if one is required.
    pub agreement: Agreement,
    /// A condition on the disclosed person's record: without it met, the
    /// kernel refuses the disclosure (the EZK pass only for permanent staff).
    pub only_when: Option<Condition>,
}

/// Where a recipient processing in the whole EEA says it does.
pub const EEA: &str = "EEA";

/// The countries of the European Economic Area (the EU and Iceland,
/// Liechtenstein and Norway), by ISO 3166-1 alpha-2 code.
pub const EEA_COUNTRIES: [&str; 30] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT",
    "RO", "SE", "SI", "SK",
];

/// The agreement a recipient needs before anything is disclosed to it (AVG
/// art. 28 for a processor; a data-exchange agreement for another party).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Agreement {
    /// Whether one is required; always for a processor.
    pub required: bool,
    /// The agreement's reference, when there is one.
    pub reference: Option<String>,
    /// The last day it is in force (Amsterdam calendar).
    pub ends: Option<jiff::civil::Date>,
}

impl Agreement {
    /// What kind of agreement a party of `kind` has, in Dutch.
    pub fn label_nl(kind: RecipientKind) -> &'static str {
        match kind {
            RecipientKind::Processor => "verwerkersovereenkomst",
            _ => "gegevensuitwisselingsovereenkomst",
        }
    }
}

/// A condition on one category of the disclosed record: its value must be `equals`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The category whose value decides.
    #[serde(serialize_with = "serialize_category")]
    pub category: Category,
    /// The value it must have.
    pub equals: String,
}

/// The lawful basis of AVG art. 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Art. 6(1)(a): consent.
    Consent,
    /// Art. 6(1)(b): a contract.
    Contract,
    /// Art. 6(1)(c): a legal obligation.
    LegalObligation,
    /// Art. 6(1)(d): vital interests.
    VitalInterest,
    /// Art. 6(1)(e): a public task.
    PublicTask,
    /// Art. 6(1)(f): legitimate interests.
    LegitimateInterest,
    /// Further processing for a compatible purpose, AVG art. 6(4).
    FurtherProcessing,
}

impl Basis {
    /// Every basis's register name, for errors that list the choices.
    pub const NAMES: [&'static str; 7] =
        ["consent", "contract", "legal_obligation", "vital_interest", "public_task", "legitimate_interest", "further_processing"];

    /// The basis by its register name.
    pub fn from_name(name: &str) -> Option<Basis> {
        match name {
            "consent" => Some(Basis::Consent),
            "contract" => Some(Basis::Contract),
            "legal_obligation" => Some(Basis::LegalObligation),
            "vital_interest" => Some(Basis::VitalInterest),
            "public_task" => Some(Basis::PublicTask),
            "legitimate_interest" => Some(Basis::LegitimateInterest),
            "further_processing" => Some(Basis::FurtherProcessing),
            _ => None,
        }
    }

    /// The AVG article, as the statement cites it: `"AVG art. 6 lid 1 sub e"`.
    pub fn avg_article(self) -> &'static str {
        match self {
            Basis::Consent => "AVG art. 6 lid 1 sub a",
            Basis::Contract => "AVG art. 6 lid 1 sub b",
            Basis::LegalObligation => "AVG art. 6 lid 1 sub c",
            Basis::VitalInterest => "AVG art. 6 lid 1 sub d",
            Basis::PublicTask => "AVG art. 6 lid 1 sub e",
            Basis::LegitimateInterest => "AVG art. 6 lid 1 sub f",
            Basis::FurtherProcessing => "AVG art. 6 lid 4",
        }
    }

    /// The basis as the statement says it, in Dutch.
    pub fn label_nl(self) -> &'static str {
        match self {
            Basis::Consent => "toestemming",
            Basis::Contract => "uitvoering van een overeenkomst",
            Basis::LegalObligation => "wettelijke verplichting",
            Basis::VitalInterest => "vitaal belang",
            Basis::PublicTask => "taak van algemeen belang",
            Basis::LegitimateInterest => "gerechtvaardigd belang",
            Basis::FurtherProcessing => "verdere verwerking voor een verenigbaar doel",
        }
    }
}

/// A calendar duration; counted in Europe/Amsterdam by whoever applies it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Duration {
    /// How many units.
    pub amount: u32,
    /// Of what.
    pub unit: DurationUnit,
}

/// The unit of a [`Duration`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    /// Days.
    Days,
    /// Weeks.
    Weeks,
    /// Calendar months.
    Months,
    /// Calendar years.
    Years,
}

impl Duration {
    /// The length in days, roughly (a month as 30, a year as 365), to tell
    /// a longer term from a shorter one.
    pub fn approximate_days(self) -> u64 {
        let per = match self.unit {
            DurationUnit::Days => 1,
            DurationUnit::Weeks => 7,
            DurationUnit::Months => 30,
            DurationUnit::Years => 365,
        };
        u64::from(self.amount) * per
    }

    /// Parses `"<n> days|weeks|months|years"` (singular accepted).
    pub fn parse(text: &str) -> Option<Duration> {
        let mut words = text.split_whitespace();
        let amount = words.next()?.parse::<u32>().ok()?;
        let unit = match words.next()? {
            "day" | "days" => DurationUnit::Days,
            "week" | "weeks" => DurationUnit::Weeks,
            "month" | "months" => DurationUnit::Months,
            "year" | "years" => DurationUnit::Years,
            _ => return None,
        };
        if words.next().is_some() || amount == 0 {
            return None;
        }
        Some(Duration { amount, unit })
    }

    /// The duration as a calendar span, to add to a date.
    pub fn to_span(self) -> jiff::Span {
        let amount = i64::from(self.amount);
        match self.unit {
            DurationUnit::Days => jiff::Span::new().days(amount),
            DurationUnit::Weeks => jiff::Span::new().weeks(amount),
            DurationUnit::Months => jiff::Span::new().months(amount),
            DurationUnit::Years => jiff::Span::new().years(amount),
        }
    }
}

impl fmt::Display for Duration {
    /// Dutch, as the statement says it: "28 dagen", "2 jaar".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let one = self.amount == 1;
        let unit = match self.unit {
            DurationUnit::Days if one => "dag",
            DurationUnit::Days => "dagen",
            DurationUnit::Weeks if one => "week",
            DurationUnit::Weeks => "weken",
            DurationUnit::Months if one => "maand",
            DurationUnit::Months => "maanden",
            DurationUnit::Years => "jaar",
        };
        write!(f, "{} {unit}", self.amount)
    }
}

/// A term: a duration, and the name of the register setting it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Term {
    /// How long.
    pub duration: Duration,
    /// The `[terms]` name it came from; `None` when given directly.
    pub setting: Option<String>,
}

/// How long data is kept, in a form the retention sweep can carry out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Retention {
    /// Kept for `term` after `event`.
    AfterEvent {
        /// The event the term counts from, e.g. `case_closed`.
        event: String,
        /// How long after it.
        term: Term,
    },
    /// Until `event`; or, when `fallback` is given, at the latest `term`
    /// after its event (a quiet period after an answer, say).
    UntilEvent {
        /// The event that ends keeping, e.g. `unsubscribed`.
        event: String,
        /// (event, term): deleted at the latest `term` after that event.
        fallback: Option<(String, Term)>,
    },
    /// Kept until consent is withdrawn, then deleted at once.
    UntilWithdrawn,
    /// Never deleted.
    Permanent {
        /// Why it is kept for good.
        reason: Option<String>,
    },
    /// Each item carries its own term (an `item_term:` event), counted
    /// from `event` (`recorded` unless the register names another: a team
    /// account's term starts when the account ends).
    PerItem {
        /// The term of an item that names none.
        default: Term,
        /// The event the item's term counts from.
        event: String,
    },
}

impl Retention {
    /// Whether the rule can date an audit entry: it counts from the
    /// entry's being `recorded`, or keeps it for good.
    pub fn dates_log_entries(&self) -> bool {
        match self {
            Retention::AfterEvent { event, .. } | Retention::PerItem { event, .. } => event == crate::due::RECORDED,
            Retention::Permanent { .. } => true,
            _ => false,
        }
    }

    /// Whether this rule keeps data for less time than `before` did, where
    /// the two can be compared (terms after the same event, or per item).
    pub fn shorter_than(&self, before: &Retention) -> bool {
        match (self, before) {
            (Retention::AfterEvent { event: a, term: now }, Retention::AfterEvent { event: b, term: then }) if a == b => {
                now.duration.approximate_days() < then.duration.approximate_days()
            }
            (Retention::PerItem { default: now, event: a }, Retention::PerItem { default: then, event: b }) if a == b => {
                now.duration.approximate_days() < then.duration.approximate_days()
            }
            (Retention::Permanent { .. }, _) => false,
            (_, Retention::Permanent { .. }) => true,
            _ => false,
        }
    }
}

/// What one role may do with one action under one processing: to whose
/// data (the scopes; none means not granted) and which categories.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// To whose data; empty means not granted.
    #[serde(serialize_with = "serialize_scopes")]
    pub scopes: ScopeSet,
    /// Which categories.
    pub categories: CategorySet,
}

impl Grant {
    /// Whether the grant reaches anyone at all.
    pub fn is_granted(self) -> bool {
        !self.scopes.is_empty()
    }
}

fn serialize_category<S: serde::Serializer>(category: &Category, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(category.name())
}

fn serialize_scopes<S: serde::Serializer>(scopes: &ScopeSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(scopes.iter().map(Scope::name))
}

/// A role's grants under one processing, one per action.
pub type RoleGrants = [Grant; Action::ALL.len()];

/// What one recipient receives under one processing.
#[derive(Clone, Debug, Serialize)]
pub struct Disclosure {
    /// The recipient's register id.
    pub recipient: String,
    /// The recipient, resolved.
    #[serde(skip)]
    pub recipient_id: RecipientId,
    /// The categories it receives, at most the recipient's own.
    pub categories: CategorySet,
}

/// A processing activity: what is done with which data, on what basis, by whom and for how long.
#[derive(Clone, Debug, Serialize)]
pub struct Processing {
    /// Register id, e.g. `fysieke_schade`.
    pub id: String,
    /// The requirement it encodes, e.g. `E1`.
    pub req: String,
    /// The statement it is published in.
    pub statement: Statement,
    /// The section number within that statement.
    pub section: u32,
    /// Its name, in Dutch.
    pub name: String,
    /// What it is for, in Dutch.
    pub purpose: String,
    /// Who is responsible; the register's controller unless given.
    pub controller: String,
    /// The lawful basis (art. 6).
    pub basis: Basis,
    /// The national articles behind the basis.
    pub basis_articles: Vec<String>,
    /// The art. 9(2) ground; required when a special category is held.
    pub special_ground: Option<String>,
    /// How consent is withdrawn; required when the basis is consent.
    pub withdrawal: Option<String>,
    /// The recorded art. 6(4) assessment; required for further processing (E20).
    pub compatibility: Option<String>,
    /// The kinds of people whose data it holds, in Dutch.
    pub subjects: Vec<String>,
    /// The categories it holds.
    pub categories: CategorySet,
    /// The categories a person may leave out; a subset of `categories`.
    pub optional: CategorySet,
    /// Where the data comes from.
    pub sources: Vec<String>,
    /// Processors that handle it for the organisation.
    pub processors: Vec<String>,
    /// Who receives what.
    pub disclosures: Vec<Disclosure>,
    /// How long it is kept.
    pub retention: Retention,
    /// Whether it is high-risk, and so needs a DPIA.
    pub high_risk: bool,
    /// The recorded analysis (E0.6).
    pub analysis: String,
    /// The DPIA; required when high-risk.
    pub dpia: Option<String>,
    /// Whether an unfinished application is kept so it can be continued.
    pub save_and_resume: bool,
    /// Only the rights process: may read subjects whose processing is restricted.
    pub rights_process: bool,
    /// The processing whose term the log of access to this one follows
    /// (`log` in the register); without one, [`AUDIT_LOG`]'s.
    pub log: Option<String>,
    /// This processing's own term in a `log` kept per item (`log_term`):
    /// a dashboard's view log, kept as long as that dashboard says.
    pub log_term: Option<Term>,
    /// Per role, per action; see [`Processing::grant`].
    #[serde(serialize_with = "serialize_grants")]
    pub grants: [RoleGrants; Role::ALL.len()],
    /// The processing's canonical content: its table in the register file
    /// as parsed, with the named terms and recipients it refers to and the
    /// controller it falls back on, as JSON with sorted keys and no spaces.
    /// Comments, layout and the order of keys do not change it; any change
    /// of what the register says about the processing does.
    #[serde(skip)]
    pub content: String,
    /// SHA-256 of [`Processing::content`], in hex: which version this is.
    #[serde(skip)]
    pub content_hash: String,
}

fn serialize_grants<S: serde::Serializer>(grants: &[RoleGrants; Role::ALL.len()], s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(Role::ALL.iter().zip(grants.iter()).filter(|(_, g)| g.iter().any(|g| g.is_granted())).map(|(r, g)| {
        let actions: std::collections::BTreeMap<&str, &Grant> =
            Action::ALL.iter().zip(g.iter()).filter(|(_, g)| g.is_granted()).map(|(a, g)| (a.name(), g)).collect();
        (r.name(), actions)
    }))
}

impl Processing {
    /// What `role` may do with `action` here.
    pub fn grant(&self, role: Role, action: Action) -> Grant {
        self.grants[role.index()][action.index()]
    }

    /// Whether the role has any grant here.
    pub fn grants_any(&self, role: Role) -> bool {
        self.grants[role.index()].iter().any(|g| g.is_granted())
    }

    /// The categories `recipient` receives under this processing, if it receives any.
    pub fn disclosure_to(&self, recipient: RecipientId) -> Option<CategorySet> {
        self.disclosures.iter().find(|d| d.recipient_id == recipient).map(|d| d.categories)
    }
}
