//! Applications and cases, through the kernel: filing an application (or
//! saving it as a draft), giving it a case number, running the automated
//! checks, moving it through its life cycle, and handing packages to the
//! parties the register names.

use std::collections::BTreeMap;

use grondslag_kernel::{Access, Detail, Kernel, KernelError, RecordRef, RecordSummary, RecordView, Unit, Value};
use grondslag_register::{Action, Category, CategorySet, ProcessingId, Scope};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::area::{AreaLists, Outcome, Route};
use crate::rules::{self, ObjectKind, Refusal};
use crate::{CaseNumber, Scheme, Status, TransitionError};
use grondslag_values::Cents;
use grondslag_values::address::AddressKey;

/// An application as it is handed in (a web form later, a JSON file now).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The scheme's processing id, e.g. `fysieke_schade`.
    pub scheme: String,
    /// `false` saves a draft the applicant can continue later.
    #[serde(default = "yes")]
    pub submit: bool,
    /// The applicant's data by category name: `{"name": "…", "bsn": "…"}`.
    pub applicant: BTreeMap<String, String>,
    /// The object the application is about, for schemes about a building.
    pub object: Option<Object>,
    /// What the scheme needs beyond the applicant's data.
    #[serde(default)]
    pub details: Details,
}

fn yes() -> bool {
    true
}

/// The object an application is about.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    /// What kind of object.
    pub kind: ObjectKind,
    /// Street and number, e.g. "Hoofdstraat 1a".
    pub address: String,
    /// e.g. "9981 AB Uithuizen".
    pub postcode_city: String,
}

/// What a scheme needs beyond the applicant's data; kept as "other data
/// needed for the decision" (`other_incl_photos`) unless a category of its
/// own exists.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Details {
    /// E1: when the damage arose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damage_arose: Option<Date>,
    /// E1: cost items of material consequential damage, in cents.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub costs: BTreeMap<CostItem, Cents>,
    /// E5: owner or tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applicant_role: Option<ApplicantRole>,
    /// E5: the optional questionnaire on how the quakes are experienced;
    /// health data, stored under `health`.
    #[serde(skip_serializing)]
    pub questionnaire: Option<String>,
    /// E6: the child's birth date and the scheme's reference date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_birth_date: Option<Date>,
    /// E6: the date the child's age is counted at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_date: Option<Date>,
    /// E6: the custody register's answer; stored under `custody`.
    #[serde(skip_serializing)]
    pub custody: Option<String>,
    /// E6: the legal representative's award for immaterial damage; stored
    /// under `award_amount`.
    #[serde(skip_serializing)]
    pub representative_award: Option<Cents>,
    /// E9, E10: the case the opinion or objection is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about_case: Option<String>,
    /// E7: repair calculations, number of damages, repeat damage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repair: Option<String>,
    /// Free remarks that belong to the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

/// An item of material consequential damage (E1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostItem {
    /// Household effects.
    Inventory,
    /// Garden.
    Garden,
    /// Lost turnover.
    Turnover,
    /// Care.
    Care,
    /// Moving.
    Moving,
}

/// Whether the applicant owns or rents the home (E5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicantRole {
    /// The applicant owns it.
    Owner,
    /// The applicant rents it.
    Tenant,
}

/// Why a case action was refused or failed.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum CaseError {
    #[error("`{0}` does not receive data by legal obligation; disclose to it directly, if the register names it for this scheme")]
    NotALegalRecipient(String),
    #[error("the register does not let this scheme's data go to `{0}`")]
    NotARecipientOf(String),
    #[error("no open request of `{recipient}` on {number}")]
    NoSuchRequest { number: String, recipient: String },
    #[error(
        "unknown scheme `{0}`; use one of: fysieke_schade, vaste_vergoeding, waardedaling_woning, waardedaling_niet_wonen, immateriele_schade, kinderen, duurzaam_herstel, acuut_onveilig, zienswijze, bezwaar"
    )]
    UnknownScheme(String),
    #[error("applicant: `{0}` is not a category of the register")]
    UnknownCategory(String),
    #[error("{0} is required for this scheme")]
    Missing(&'static str),
    #[error("{field}: {value} lies in the future")]
    Future { field: &'static str, value: Date },
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Invalid(#[from] grondslag_values::InvalidValue),
    #[error("details: a {0} application keeps no further details; leave `details` out")]
    NotKept(Scheme),
    #[error("{0} is not marked acutely unsafe; the mayor is informed only after the inspection found it so (grondslag case mark-unsafe)")]
    NotAcutelyUnsafe(String),
    #[error("{0} is not a report of an acutely unsafe situation")]
    NotAnUnsafeReport(String),
    #[error("{0} is no longer a draft; changes after submission go through the case handler")]
    NotADraft(String),
    #[error("a photo may have at most {} MiB and this one has {size} bytes; scale it down", package::MAX_PHOTO_BYTES >> 20)]
    PhotoTooLarge { size: u64 },
    #[error("an award goes with a decision; advance the case to `decision` to record it")]
    AwardWithoutDecision,
    #[error("an award of € 0,00 is no award; record the decision without one")]
    ZeroAward,
    #[error("cannot write the package: {0}")]
    Export(String),
    #[error("no case {0}, or you may not see it")]
    NoSuchCase(String),
    #[error("no expert has an account by that name; create it with `grondslag account create --role expert`")]
    NoSuchExpert,
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

impl CaseError {
    /// The refusal as a page says it, in plain Dutch: what is wrong and
    /// what to do.
    pub fn explain_nl(&self, register: &grondslag_register::Register) -> String {
        match self {
            CaseError::NotALegalRecipient(recipient) => format!(
                "‘{recipient}’ krijgt geen gegevens op grond van een wettelijke plicht. Verstrek alleen rechtstreeks, als het register deze ontvanger bij de regeling noemt."
            ),
            CaseError::NotARecipientOf(recipient) => format!("Het register staat niet toe dat gegevens van deze regeling naar ‘{recipient}’ gaan."),
            CaseError::NoSuchRequest { number, recipient } => format!("Er is geen open verzoek van ‘{recipient}’ over {number}."),
            CaseError::UnknownScheme(_) => "Deze regeling kennen we niet. Kies een van de regelingen die de site noemt.".to_string(),
            CaseError::UnknownCategory(name) => format!("‘{name}’ is geen gegeven dat bij een aanvraag hoort. Laat het weg."),
            CaseError::Missing(name) => match Category::from_name(name) {
                Some(category) => format!("‘{}’ is niet ingevuld. Dat is nodig voor deze regeling; vul het in en verstuur het opnieuw.", category.label_nl()),
                // A field of the application's details, not a category of the register.
                None => "Niet alles wat voor deze regeling nodig is, is ingevuld. Vul alle velden in en verstuur het opnieuw.".to_string(),
            },
            CaseError::Future { value, .. } => {
                format!("De datum {} ligt in de toekomst. Geef een datum van vandaag of eerder.", grondslag_values::dutch::date(*value))
            }
            CaseError::Transition(TransitionError::NotInScheme { scheme, status }) => {
                format!("Een dossier voor {} kent de stap ‘{}’ niet.", scheme.name_nl(), status.label_nl())
            }
            CaseError::Transition(TransitionError::NotNext { from, to, next, .. }) => match next {
                Some(next) => format!("Een dossier gaat niet van ‘{}’ naar ‘{}’; de volgende stap is ‘{}’.", from.label_nl(), to.label_nl(), next.label_nl()),
                None => format!("Een dossier gaat niet van ‘{}’ naar ‘{}’; het is afgerond.", from.label_nl(), to.label_nl()),
            },
            CaseError::Invalid(value) => value.explain_nl(),
            CaseError::NotKept(scheme) => format!("Bij een aanvraag voor {} bewaren we geen verdere details. Laat ze weg.", scheme.name_nl()),
            CaseError::NotAcutelyUnsafe(number) => {
                format!("{number} is niet als acuut onveilig aangemerkt. De burgemeester wordt pas ingelicht als de inspectie heeft vastgesteld dat het zo is.")
            }
            CaseError::NotAnUnsafeReport(number) => format!("{number} is geen melding van een acuut onveilige situatie."),
            CaseError::NotADraft(number) => format!("{number} is geen concept meer. Wijzigingen na het indienen gaan via de behandelaar."),
            CaseError::PhotoTooLarge { size } => {
                format!(
                    "Een foto mag hoogstens {} MB zijn, en deze is {size} bytes. Maak de foto kleiner en probeer het opnieuw.",
                    package::MAX_PHOTO_BYTES >> 20
                )
            }
            CaseError::AwardWithoutDecision => "Een toekenning hoort bij een besluit. Zet het dossier eerst op ‘besluit’.".to_string(),
            CaseError::ZeroAward => "Een toekenning van € 0,00 is geen toekenning. Leg het besluit vast zonder toekenning.".to_string(),
            CaseError::Export(_) => grondslag_kernel::FAULT_NL.to_string(),
            CaseError::NoSuchCase(number) => format!("Er is geen dossier {number} dat jij mag inzien."),
            CaseError::NoSuchExpert => "Er is geen deskundige met een account onder die naam.".to_string(),
            CaseError::Kernel(kernel) => kernel.explain_nl(register),
        }
    }
}

/// The result of filing an application.
#[derive(Debug)]
pub struct Filed {
    /// The case's record.
    pub case: RecordRef,
    /// The number the applicant quotes.
    pub number: CaseNumber,
    /// Where the case stands: a draft, submitted, or waiting for a case
    /// handler's review because a rule would have refused it (E0.2: no
    /// machine says no). Why is for staff only: the reason may concern
    /// another person (a fixed compensation decided for the same object).
    pub status: Status,
    /// What the automated checks found.
    pub checks: Vec<Outcome>,
}

/// A case as a case handler sees it.
#[derive(Debug)]
pub struct CaseView {
    /// The case number.
    pub number: String,
    /// The scheme it was filed under.
    pub scheme: Scheme,
    /// Status, reference and last change.
    pub summary: RecordSummary,
    /// The fields the handler may read; `None` if the role reads none.
    pub fields: Option<RecordView>,
    /// The case's history.
    pub events: Vec<grondslag_kernel::RecordEvent>,
}

/// The schemes on the kernel, with the area lists of the automated checks.
#[derive(Debug)]
pub struct Cases<'k> {
    kernel: &'k Kernel,
    areas: AreaLists,
}

/// The series of case numbers opened in `year`.
fn series(year: i16) -> String {
    format!("IMG-{year}")
}

/// The object's identity for E2's finality: postcode, number and addition.
fn object_key(object: &Object) -> Result<AddressKey, CaseError> {
    AddressKey::new(&object.address, &object.postcode_city).map_err(CaseError::Invalid)
}

impl<'k> Cases<'k> {
    /// The schemes on `kernel`, checking postcodes against `areas`.
    pub fn new(kernel: &'k Kernel, areas: AreaLists) -> Cases<'k> {
        Cases { kernel, areas }
    }

    fn processing(&self, scheme: Scheme) -> Result<ProcessingId, CaseError> {
        Ok(self.kernel.processing(scheme.processing())?)
    }

    /// Files an application: checks the scheme's rules, stores exactly its
    /// categories (the kernel refuses any other), gives it a case number,
    /// and runs the automated checks, which can only speed it up. A rule
    /// that would refuse never does: the application is stored and put
    /// before a case handler with the reason (`needs_review`); only their
    /// decision refuses (E0.2). All of it in one unit: a case is filed
    /// whole, or not at all.
    pub fn file(&self, access: &Access, application: &Application) -> Result<Filed, CaseError> {
        self.file_reported(access, application, access.now)
    }

    /// [`Cases::file`] of an application reported at `reported` and
    /// registered now (`access.now`): a situation reported by phone at 10:00
    /// and typed in at 11:00 is due 48 hours after 10:00 (E8). The case's
    /// `created` event carries the moment of the report; its audit entry the
    /// registration, and who made it.
    pub fn file_reported(&self, access: &Access, application: &Application, reported: jiff::Timestamp) -> Result<Filed, CaseError> {
        let scheme = Scheme::from_processing(&application.scheme).ok_or_else(|| CaseError::UnknownScheme(application.scheme.clone()))?;
        if application.details.about_case.is_some() && !matches!(scheme, Scheme::Opinion | Scheme::Objection) {
            return Err(CaseError::NotKept(scheme));
        }
        let today = grondslag_values::dutch::amsterdam_date(access.now);
        let processing = self.processing(scheme)?;
        let fields = fields(scheme, self.kernel.register().processing(processing).categories, application)?;
        // Read before anything is asked of the kernel: an address the index
        // cannot key refuses the application, not half of it.
        let object = application.object.as_ref().map(object_key).transpose()?;
        self.kernel.unit(|unit| {
            let findings = self.check_rules(unit, access, scheme, application, today)?;
            // A person known by BSN files under the same pseudonym each time;
            // the kernel tells someone who files for themselves only whether
            // the BSN is theirs (or their principal's), and refuses it if not.
            let holds_bsn = self.kernel.register().processing(processing).categories.contains(Category::Bsn);
            let known = match application.applicant.get("bsn") {
                Some(bsn) if holds_bsn => unit.find_to_file(access, processing, bsn)?,
                _ => None,
            };
            // Someone who acts for a person and files for nobody known files
            // into the file their sign-in's mandate names, else their own, so
            // that it shows under Mijn gegevens.
            let subject = known.or_else(|| access.mandate.clone()).or_else(|| access.subject.clone().filter(|_| access.role.acts_for_a_person()));
            let case = unit.write(access, processing, subject.as_ref(), None, &fields)?;
            let status = match (application.submit || !scheme.saves_drafts(), findings.is_empty()) {
                (false, _) => Status::Draft,
                (true, true) => Status::Submitted,
                (true, false) => Status::NeedsReview,
            };
            unit.record_event_at(access, processing, &case, Action::File, "created", Some(status.name()), None, reported)?;
            if status == Status::NeedsReview {
                // The organisation's audience only: a finding can name another
                // person's decision, which the filer must not learn from us.
                let reasons = findings.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                unit.record_event(access, processing, &case, Action::File, Status::NeedsReview.name(), None, Some(Detail::staff(&reasons)))?;
            }
            for key in object.iter().flat_map(AddressKey::index_keys) {
                unit.index_record(access, processing, &case, "object", &key)?;
            }
            let checks = if status == Status::Submitted { self.automated_checks(unit, access, processing, &case, scheme, application)? } else { Vec::new() };
            // The number last: drawing it holds the year's series until the
            // filing commits (on PostgreSQL, filings of every node wait for
            // it), so nothing else of the filing runs while it is held.
            let reference = match &application.details.about_case {
                Some(about) => {
                    unit.index_record(access, processing, &case, "about_case", about)?;
                    about.clone()
                }
                None => {
                    let year = today.year();
                    unit.assign_reference(access, processing, &case, &series(year), &|serial| {
                        let serial = u32::try_from(serial).unwrap_or(u32::MAX);
                        CaseNumber::new(year, serial).map(|n| n.to_string()).map_err(|e| KernelError::Invalid { category: Category::CaseNumber, source: e })
                    })?
                }
            };
            Ok(Filed { case, number: CaseNumber::parse(&reference)?, status, checks })
        })
    }

    /// Checks what the application must have (an error: the filer fixes it)
    /// and the scheme's rules; what a rule would refuse comes back as a
    /// finding for a case handler, never as a refusal.
    fn check_rules(&self, unit: &mut Unit<'_>, access: &Access, scheme: Scheme, application: &Application, today: Date) -> Result<Vec<Refusal>, CaseError> {
        let mut findings = Vec::new();
        let d = &application.details;
        let not_future = |field: &'static str, value: Option<Date>| match value {
            Some(value) if value > today => Err(CaseError::Future { field, value }),
            _ => Ok(()),
        };
        not_future("details.damage_arose", d.damage_arose)?;
        not_future("details.child_birth_date", d.child_birth_date)?;
        match scheme {
            Scheme::PhysicalDamage => {
                let object = application.object.as_ref().ok_or(CaseError::Missing("object"))?;
                let arose = d.damage_arose.ok_or(CaseError::Missing("details.damage_arose"))?;
                findings.extend(rules::check_not_settled(self.fixed_compensation_decided(unit, access, object)?, arose).err());
            }
            Scheme::FixedCompensation | Scheme::ValueDecreaseHome | Scheme::SustainableRepair => {
                application.object.as_ref().ok_or(CaseError::Missing("object"))?;
            }
            Scheme::ValueDecreaseNonResidential => {
                application.object.as_ref().ok_or(CaseError::Missing("object"))?;
                application.applicant.get("kvk").ok_or(CaseError::Missing("applicant.kvk (a KvK number)"))?;
            }
            Scheme::ImmaterialDamage => {
                d.applicant_role.ok_or(CaseError::Missing("details.applicant_role (owner or tenant)"))?;
            }
            Scheme::Children => {
                let birth = d.child_birth_date.ok_or(CaseError::Missing("details.child_birth_date"))?;
                let reference = d.reference_date.ok_or(CaseError::Missing("details.reference_date"))?;
                findings.extend(rules::check_child_age(birth, reference).err());
                if d.custody.as_deref().is_none_or(str::is_empty) {
                    findings.push(Refusal::NoCustody);
                }
                if d.representative_award.is_none() {
                    findings.push(Refusal::NoRepresentativeAward);
                }
            }
            Scheme::Opinion | Scheme::Objection => {
                let about = d.about_case.as_deref().ok_or(CaseError::Missing("details.about_case (the case number)"))?;
                CaseNumber::parse(about)?;
                if scheme == Scheme::Objection && !application.applicant.contains_key("signature") {
                    return Err(CaseError::Missing("applicant.signature"));
                }
            }
            Scheme::AcutelyUnsafe => {}
        }
        Ok(findings)
    }

    /// When a fixed compensation for this object was decided, if one was,
    /// whoever received it: the scheme's rule, applied by the organisation
    /// (the system role, in the caller's trace), not by the one who files.
    fn fixed_compensation_decided(&self, unit: &mut Unit<'_>, access: &Access, object: &Object) -> Result<Option<Date>, CaseError> {
        let access = &Access { actor: "regels".to_string(), role: grondslag_register::Role::System, subject: None, within: None, ..access.clone() };
        let fixed = self.processing(Scheme::FixedCompensation)?;
        let mut decided = None;
        let keys = object_key(object)?.lookup_keys();
        for found in unit.find_records_by_any(access, fixed, "object", &keys.iter().map(String::as_str).collect::<Vec<_>>())? {
            let events = unit.events(access, fixed, &found.record)?;
            if let Some(decision) = events.iter().find(|e| e.event == Status::Decision.name()) {
                let date = grondslag_values::dutch::amsterdam_date(decision.at);
                decided = decided.max(Some(date));
            }
        }
        Ok(decided)
    }

    /// E0.2/E0.3: the postcode checks that apply to the scheme; each outcome
    /// is kept with the case, and only a positive one changes the route.
    fn automated_checks(
        &self,
        unit: &mut Unit<'_>,
        access: &Access,
        processing: ProcessingId,
        case: &RecordRef,
        scheme: Scheme,
        application: &Application,
    ) -> Result<Vec<Outcome>, CaseError> {
        let area = match scheme {
            Scheme::ValueDecreaseHome | Scheme::ValueDecreaseNonResidential => "value_decrease",
            Scheme::PhysicalDamage | Scheme::FixedCompensation | Scheme::ImmaterialDamage | Scheme::SustainableRepair | Scheme::AcutelyUnsafe => "earthquake",
            Scheme::Children | Scheme::Opinion | Scheme::Objection => return Ok(Vec::new()),
        };
        let postcode_city = application
            .object
            .as_ref()
            .map(|o| o.postcode_city.as_str())
            .or_else(|| application.applicant.get("postcode_city").map(String::as_str))
            .unwrap_or_default();
        let postcode: String = postcode_city.chars().take(7).collect();
        let outcome = self.areas.check(area, postcode.trim());
        let detail = serde_json::to_string(&outcome).unwrap_or_default();
        unit.record_event(access, processing, case, Action::File, "automated_check", None, Some(Detail::to(Category::PostcodeCity, &detail)))?;
        let route = match outcome.route() {
            Route::FastTrack => "fast_track",
            Route::HumanReview => "human_review",
        };
        unit.record_event(access, processing, case, Action::File, route, None, Some(Detail::to(Category::PostcodeCity, &outcome.explain_nl())))?;
        Ok(vec![outcome])
    }

    /// Finds a case by its number, as a step of the operation in `unit`.
    pub fn find(&self, unit: &mut Unit<'_>, access: &Access, number: &str) -> Result<(Scheme, RecordSummary), CaseError> {
        let number = CaseNumber::parse(number)?.to_string();
        let (processing, summary) = unit.find_reference(access, &number)?.ok_or_else(|| CaseError::NoSuchCase(number.clone()))?;
        // Whose case it is was decided by the kernel on the lookup: the
        // reader's grant must reach the case (their own, their principal's,
        // assigned to them, or everyone's).
        let scheme = Scheme::from_processing(&self.kernel.register().processing(processing).id).ok_or_else(|| CaseError::NoSuchCase(number.clone()))?;
        Ok((scheme, summary))
    }

    /// Continues a draft: adds or corrects the applicant's data. Only the
    /// scheme's categories are accepted, as when filing.
    pub fn continue_draft(&self, access: &Access, number: &str, applicant: &BTreeMap<String, String>) -> Result<(), CaseError> {
        self.kernel.unit(|unit| {
            let (scheme, summary) = self.find(unit, access, number)?;
            let processing = self.processing(scheme)?;
            unit.check_record(access, processing, &summary.record, Action::Write)?;
            if summary.status.as_deref() != Some(Status::Draft.name()) {
                return Err(CaseError::NotADraft(number.to_string()));
            }
            let fields = applicant
                .iter()
                .map(|(name, value)| Ok((Category::from_name(name).ok_or_else(|| CaseError::UnknownCategory(name.clone()))?, Value::text(value.clone()))))
                .collect::<Result<Vec<_>, CaseError>>()?;
            unit.write(access, processing, Some(&summary.record.subject), Some(&summary.record.record), &fields)?;
            unit.record_event(access, processing, &summary.record, Action::Write, "draft_saved", None, None)?;
            Ok(())
        })
    }

    /// Moves a case one step through its scheme's life cycle.
    /// `award` goes with a decision: the amount awarded, which the applicant
    /// (a tenant too, E5) sees in the case's history.
    pub fn advance(&self, access: &Access, number: &str, to: Status, award: Option<Cents>) -> Result<Status, CaseError> {
        self.kernel.unit(|unit| {
            let (scheme, summary) = self.find(unit, access, number)?;
            let processing = self.processing(scheme)?;
            unit.check_record(access, processing, &summary.record, Action::Advance)?;
            let from = summary.status.as_deref().and_then(Status::from_name).unwrap_or(Status::Draft);
            scheme.transition(from, to)?;
            let detail = match award {
                Some(_) if to != Status::Decision => return Err(CaseError::AwardWithoutDecision),
                Some(Cents(0)) => return Err(CaseError::ZeroAward),
                Some(amount) => Some(format!("toegekend bedrag: {amount}")),
                None => None,
            };
            // Closing is the fact the register's terms for case files count from.
            let event = if to == Status::Closed { crate::CASE_CLOSED } else { to.name() };
            // The award is read by whoever reads the amounts awarded, where the
            // scheme holds them (E6), else the data needed for the decision.
            let category = if self.kernel.register().processing(processing).categories.contains(Category::AwardAmount) {
                Category::AwardAmount
            } else {
                Category::OtherInclPhotos
            };
            unit.record_event(
                access,
                processing,
                &summary.record,
                Action::Advance,
                event,
                Some(to.name()),
                detail.as_deref().map(|d| Detail::to(category, d)),
            )?;
            Ok(to)
        })
    }

    /// A case with the fields and events the role may see.
    pub fn show(&self, access: &Access, number: &str) -> Result<CaseView, CaseError> {
        self.kernel.reading(|unit| {
            let (scheme, summary) = self.find(unit, access, number)?;
            let processing = self.processing(scheme)?;
            let all: CategorySet = Category::ALL.iter().copied().collect();
            let fields = unit.read_record(access, processing, &summary.record, all)?;
            let events = unit.events(access, processing, &summary.record)?;
            Ok(CaseView { number: number.to_string(), scheme, summary, fields, events })
        })
    }

    /// Asks an expert to advise on a case (E15.EXPERT), or ends that:
    /// the expert then sees this case, and only the categories the
    /// register gives experts. A case handler's step.
    /// `expert` finds the expert's own file (by account); it is asked only
    /// once the step is allowed, so that nobody learns who has an account.
    pub fn assign_expert(
        &self,
        access: &Access,
        number: &str,
        assigned: bool,
        expert: impl FnOnce() -> Result<Option<grondslag_kernel::SubjectId>, KernelError>,
    ) -> Result<(), CaseError> {
        let (processing, case) = self.kernel.reading(|unit| {
            let (scheme, summary) = self.find(unit, access, number)?;
            let processing = self.processing(scheme)?;
            unit.check_record(access, processing, &summary.record, Action::Advance)?;
            Ok::<_, CaseError>((processing, summary.record))
        })?;
        // Asked between two units: finding the expert is a kernel operation
        // of its own, and the relation and its event go together.
        let expert = expert()?.ok_or(CaseError::NoSuchExpert)?;
        self.kernel.unit(|unit| {
            unit.relate(access, processing, Action::Advance, &case, Scope::Assigned, Some(&expert), assigned)?;
            let event = if assigned { "expert_assigned" } else { "expert_unassigned" };
            unit.record_event(access, processing, &case, Action::Advance, event, None, None)?;
            Ok(())
        })
    }

    /// Cases of a scheme, optionally of one status.
    pub fn list(&self, access: &Access, scheme: Scheme, status: Option<Status>, offset: u64, limit: u64) -> Result<Vec<RecordSummary>, CaseError> {
        Ok(self.kernel.list(access, self.processing(scheme)?, status.map(Status::name), offset, limit)?)
    }

    /// E8 reports not handled within 48 hours of their report, as of `at`
    /// (today, or any other moment the terms are checked on).
    pub fn overdue_unsafe(&self, access: &Access, at: jiff::Timestamp) -> Result<Vec<(RecordSummary, jiff::Timestamp)>, CaseError> {
        let processing = self.processing(Scheme::AcutelyUnsafe)?;
        let mut overdue = Vec::new();
        for status in [Status::Submitted, Status::InHandling] {
            for case in self.kernel.list_all(access, processing, Some(status.name()))? {
                let events = self.kernel.events(access, processing, &case.record)?;
                let reported = events.iter().find(|e| e.event == "created").map(|e| e.at);
                if let Some(reported) = reported
                    && rules::unsafe_overdue(reported, None, at)
                {
                    overdue.push((case, rules::unsafe_deadline(reported)));
                }
            }
        }
        Ok(overdue)
    }
}

/// The categories an application stores: the applicant's data, the object's
/// address, and the scheme's details where the scheme holds them.
fn fields(scheme: Scheme, declared: CategorySet, application: &Application) -> Result<Vec<(Category, Value)>, CaseError> {
    let mut fields: BTreeMap<Category, Value> = BTreeMap::new();
    for (name, value) in &application.applicant {
        let category = Category::from_name(name).ok_or_else(|| CaseError::UnknownCategory(name.clone()))?;
        fields.insert(category, Value::text(value.clone()));
    }
    if let Some(object) = &application.object {
        fields.entry(Category::Address).or_insert_with(|| Value::text(object.address.clone()));
        fields.entry(Category::PostcodeCity).or_insert_with(|| Value::text(object.postcode_city.clone()));
    }
    let d = &application.details;
    if let Some(questionnaire) = &d.questionnaire {
        fields.insert(Category::Health, Value::text(questionnaire.clone()));
    }
    if let Some(custody) = &d.custody {
        fields.insert(Category::Custody, Value::text(custody.clone()));
    }
    if let Some(award) = d.representative_award {
        fields.insert(Category::AwardAmount, Value::text(award.to_string()));
    }
    if let Some(about) = &d.about_case {
        // An opinion or objection is filed under the case it is about.
        fields.insert(Category::CaseNumber, Value::text(about.clone()));
    }
    let mut other = serde_json::to_value(Details { about_case: None, ..d.clone() }).unwrap_or_default();
    if let (Some(map), Some(object), true) = (other.as_object_mut(), &application.object, declared.contains(Category::OtherInclPhotos)) {
        map.insert("object_kind".to_string(), serde_json::to_value(object.kind).unwrap_or_default());
        if scheme == Scheme::FixedCompensation {
            map.insert("amount".to_string(), serde_json::Value::String(rules::fixed_compensation(object.kind).to_string()));
        }
    }
    if other.as_object().is_some_and(|m| !m.is_empty()) {
        if !declared.contains(Category::OtherInclPhotos) {
            return Err(CaseError::NotKept(scheme));
        }
        fields.insert(Category::OtherInclPhotos, Value::text(other.to_string()));
    }
    Ok(fields.into_iter().collect())
}

mod authorisation;
mod outreach;
mod package;

pub use authorisation::AuthorisationForm;
pub use outreach::Selected;
pub use package::{MAX_PHOTO_BYTES, Package, PendingDisclosure};
