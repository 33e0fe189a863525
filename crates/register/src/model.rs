//! The compiled register: what the kernel decides on and the statement is
//! rendered from. Built only by [`crate::parse`], so every value here has
//! passed the checks.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::categories::CategorySet;
use crate::taxonomy::{Action, Role, Scope, ScopeSet};

/// Index of a processing in [`Register::processings`]; resolved from its id
/// once, at the edge, so decisions never look up strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessingId(pub(crate) u16);

/// Index of a recipient in [`Register::recipients`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecipientId(pub(crate) u16);

#[derive(Debug)]
pub struct Register {
    pub meta: Meta,
    pub contact: Contact,
    pub terms: Vec<NamedTerm>,
    pub sections: Vec<Section>,
    pub recipients: Vec<Recipient>,
    pub processings: Vec<Processing>,
    pub(crate) processing_index: HashMap<String, ProcessingId>,
    pub(crate) recipient_index: HashMap<String, RecipientId>,
}

impl Register {
    pub fn processing_id(&self, id: &str) -> Option<ProcessingId> {
        self.processing_index.get(id).copied()
    }

    pub fn recipient_id(&self, id: &str) -> Option<RecipientId> {
        self.recipient_index.get(id).copied()
    }

    pub fn processing(&self, id: ProcessingId) -> &Processing {
        &self.processings[usize::from(id.0)]
    }

    pub fn recipient(&self, id: RecipientId) -> &Recipient {
        &self.recipients[usize::from(id.0)]
    }

    pub fn processing_ids(&self) -> impl Iterator<Item = ProcessingId> + '_ {
        (0..self.processings.len()).filter_map(|i| u16::try_from(i).ok().map(ProcessingId))
    }

    /// The URI of a processing activity, versioned by its content (LDV:
    /// `dpl.core.processing_activity_id`).
    pub fn processing_uri(&self, id: ProcessingId) -> String {
        let p = self.processing(id);
        format!("{}/{}/versions/{}", self.meta.base_uri, p.id, p.version)
    }

    /// Distinct categories used anywhere in the register.
    pub fn categories_used(&self) -> CategorySet {
        self.processings
            .iter()
            .fold(CategorySet::EMPTY, |set, p| set.union(p.categories))
    }
}

#[derive(Debug, Serialize)]
pub struct Meta {
    pub controller: String,
    pub version: String,
    pub date: jiff::civil::Date,
    pub base_uri: String,
}

#[derive(Debug, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub visit: String,
    pub post: String,
    pub email: String,
    pub phone: String,
    pub dpo_email: String,
}

#[derive(Debug, Serialize)]
pub struct NamedTerm {
    pub name: String,
    pub duration: Duration,
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Statement {
    Public,
    Staff,
    Kcc,
}

impl Statement {
    pub const ALL: [Statement; 3] = [Statement::Public, Statement::Staff, Statement::Kcc];

    pub fn from_name(name: &str) -> Option<Statement> {
        match name {
            "public" => Some(Statement::Public),
            "staff" => Some(Statement::Staff),
            "kcc" => Some(Statement::Kcc),
            _ => None,
        }
    }

    pub fn title_nl(self) -> &'static str {
        match self {
            Statement::Public => "Privacyverklaring",
            Statement::Staff => "Privacyverklaring voor medewerkers",
            Statement::Kcc => "Privacyprotocol opnemen en terugluisteren van telefoongesprekken",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Section {
    pub statement: Statement,
    pub number: u32,
    pub title: String,
    pub intro: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    ThirdParty,
    Processor,
    PublicBody,
    LegalObligation,
}

impl RecipientKind {
    pub fn from_name(name: &str) -> Option<RecipientKind> {
        match name {
            "third_party" => Some(RecipientKind::ThirdParty),
            "processor" => Some(RecipientKind::Processor),
            "public_body" => Some(RecipientKind::PublicBody),
            "legal_obligation" => Some(RecipientKind::LegalObligation),
            _ => None,
        }
    }

    pub fn label_nl(self) -> &'static str {
        match self {
            RecipientKind::ThirdParty => "derde partij",
            RecipientKind::Processor => "verwerker",
            RecipientKind::PublicBody => "overheidsorgaan",
            RecipientKind::LegalObligation => "wettelijke verplichting",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Recipient {
    pub id: String,
    pub req: String,
    pub name: String,
    pub kind: RecipientKind,
    pub purpose: String,
    pub legal_basis: Option<String>,
    pub categories: CategorySet,
    /// Every disclosure first needs a recorded check that the legal
    /// obligation really exists (E15.LEGAL).
    pub legal_check: bool,
    /// The ground (AVG art. 23) on which the person concerned is not told
    /// of this party's request while it awaits its check.
    pub withheld_from_subject: Option<String>,
}

/// The lawful basis of AVG art. 6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterest,
    PublicTask,
    LegitimateInterest,
    /// Further processing for a compatible purpose, AVG art. 6(4).
    FurtherProcessing,
}

impl Basis {
    pub const NAMES: [&'static str; 7] = [
        "consent",
        "contract",
        "legal_obligation",
        "vital_interest",
        "public_task",
        "legitimate_interest",
        "further_processing",
    ];

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
    pub amount: u32,
    pub unit: DurationUnit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    Days,
    Weeks,
    Months,
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
    pub duration: Duration,
    pub setting: Option<String>,
}

/// How long data is kept, in a form the retention sweep can carry out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Retention {
    AfterEvent { event: String, term: Term },
    /// Until `event`; or, when `fallback` is given, at the latest `term`
    /// after its event (a quiet period after an answer, say).
    UntilEvent { event: String, fallback: Option<(String, Term)> },
    UntilWithdrawn,
    Permanent { reason: Option<String> },
    PerItem { default: Term },
}

impl Retention {
    /// Whether this rule keeps data for less time than `before` did, where
    /// the two can be compared (terms after the same event, or per item).
    pub fn shorter_than(&self, before: &Retention) -> bool {
        match (self, before) {
            (Retention::AfterEvent { event: a, term: now }, Retention::AfterEvent { event: b, term: then }) if a == b => {
                now.duration.approximate_days() < then.duration.approximate_days()
            }
            (Retention::PerItem { default: now }, Retention::PerItem { default: then }) => now.duration.approximate_days() < then.duration.approximate_days(),
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
    #[serde(serialize_with = "serialize_scopes")]
    pub scopes: ScopeSet,
    pub categories: CategorySet,
}

impl Grant {
    pub fn is_granted(self) -> bool {
        !self.scopes.is_empty()
    }
}

fn serialize_scopes<S: serde::Serializer>(scopes: &ScopeSet, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(scopes.iter().map(Scope::name))
}

/// A role's grants under one processing, one per action.
pub type RoleGrants = [Grant; Action::ALL.len()];

#[derive(Debug, Serialize)]
pub struct Disclosure {
    pub recipient: String,
    #[serde(skip)]
    pub recipient_id: RecipientId,
    pub categories: CategorySet,
}

#[derive(Debug, Serialize)]
pub struct Processing {
    pub id: String,
    pub req: String,
    pub statement: Statement,
    pub section: u32,
    pub name: String,
    pub purpose: String,
    pub controller: String,
    pub basis: Basis,
    pub basis_articles: Vec<String>,
    pub special_ground: Option<String>,
    pub withdrawal: Option<String>,
    pub compatibility: Option<String>,
    pub subjects: Vec<String>,
    pub categories: CategorySet,
    pub optional: CategorySet,
    pub sources: Vec<String>,
    pub processors: Vec<String>,
    pub disclosures: Vec<Disclosure>,
    pub retention: Retention,
    pub high_risk: bool,
    pub analysis: String,
    pub dpia: Option<String>,
    pub save_and_resume: bool,
    pub rights_process: bool,
    #[serde(serialize_with = "serialize_grants")]
    pub grants: [RoleGrants; Role::ALL.len()],
    /// First 12 hex digits of the SHA-256 of everything above: changes
    /// whenever the processing changes, so audit entries name the exact
    /// version they were decided under.
    #[serde(skip)]
    pub version: String,
}

fn serialize_grants<S: serde::Serializer>(
    grants: &[RoleGrants; Role::ALL.len()],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(Role::ALL.iter().zip(grants.iter()).filter(|(_, g)| g.iter().any(|g| g.is_granted())).map(|(r, g)| {
        let actions: std::collections::BTreeMap<&str, &Grant> =
            Action::ALL.iter().zip(g.iter()).filter(|(_, g)| g.is_granted()).map(|(a, g)| (a.name(), g)).collect();
        (r.name(), actions)
    }))
}

impl Processing {
    pub fn grant(&self, role: Role, action: Action) -> Grant {
        self.grants[role.index()][action.index()]
    }

    /// Whether the role has any grant here.
    pub fn grants_any(&self, role: Role) -> bool {
        self.grants[role.index()].iter().any(|g| g.is_granted())
    }

    pub fn disclosure_to(&self, recipient: RecipientId) -> Option<CategorySet> {
        self.disclosures
            .iter()
            .find(|d| d.recipient_id == recipient)
            .map(|d| d.categories)
    }
}
