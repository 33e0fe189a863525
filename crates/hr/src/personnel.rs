//! The personnel file (I1): HR registers an employee with their contract,
//! and ends the employment in one step.
//!
//! One subject is the employee: their personnel file, the financial part
//! kept seven years (`financiele_administratie_personeel`), their row of
//! management information (`sturingsinformatie`, only ever counted in
//! reports), their intranet profile and their staff account all belong to
//! it, so "self" means the same person everywhere and ending the
//! employment reaches everything.
//!
//! The conditional parts of the file are rules, not options: partner data
//! only with a partner pension, employment history only after earlier work
//! for the State.

use grondslag_accounts::Accounts;
use grondslag_kernel::{Access, RecordRef, SubjectId, Unit, Value};
use grondslag_register::{Action, Category, CategorySet, Scope};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;
use grondslag_values::dutch;

use crate::{EMPLOYMENT_ENDED, Hr, HrError, REGISTERED};

/// The event from which an employment counts: the contract's first day.
pub const EMPLOYMENT_STARTED: &str = "employment_started";

closed_list! {
    /// The kinds of contract (the seed's "vaste aanstelling" is what the
    /// government pass of EZK needs).
    ContractKind, "a kind of contract" {
        /// A permanent appointment.
        Permanent = "vast", "vaste aanstelling";
        /// A fixed-term contract.
        Temporary = "tijdelijk", "tijdelijk contract";
        /// An internship.
        Internship = "stage", "stage";
    }
}

/// The contract an employee is registered with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// Permanent, temporary or an internship.
    pub kind: ContractKind,
    /// The first day of the employment.
    pub started: Date,
    /// The part of a full working week, e.g. `0,8` (at most two decimals, 0–1,2).
    pub fte: String,
    /// Hours a week.
    pub hours: u32,
    /// The function, e.g. "Klantcontactmedewerker".
    pub function: String,
    /// The function group (functiegroep), e.g. "Klantcontact".
    pub function_group: String,
    /// The department (afdeling).
    pub department: String,
    /// The salary scale, e.g. "schaal 9".
    pub salary_scale: String,
}

/// What HR registers about a new employee (I1). Partner data and
/// employment history are only accepted when their condition holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEmployee {
    /// BSN (11-check).
    pub bsn: String,
    /// Full name.
    pub name: String,
    /// Nationality.
    pub nationality: String,
    /// Street and number.
    pub address: String,
    /// "9726 AD Groningen".
    pub postcode_city: String,
    /// Gender, as the employee gives it.
    pub gender: String,
    /// Date of birth.
    pub birth_date: Date,
    /// Place of birth.
    pub birth_place: String,
    /// Business e-mail address.
    pub email: String,
    /// Phone number.
    pub phone: String,
    /// IBAN (mod 97).
    pub bank_account: String,
    /// The contract.
    pub contract: Contract,
    /// Whether a partner pension applies: only then is partner data kept.
    #[serde(default)]
    pub partner_pension: bool,
    /// The partner's details, for the partner pension.
    #[serde(default)]
    pub partner: Option<String>,
    /// Whether the employee worked for the State before: only then is
    /// their employment history kept.
    #[serde(default)]
    pub worked_for_the_state: bool,
    /// Earlier employment by the State.
    #[serde(default)]
    pub employment_history: Option<String>,
    /// A certificate of conduct (VOG), optional, mostly processed by RVO.
    #[serde(default)]
    pub vog: Option<String>,
    /// The oath or affirmation, once taken.
    #[serde(default)]
    pub oath: Option<String>,
    /// CV, letter, diplomas, references, passport copy: what was handed in.
    #[serde(default)]
    pub cv_documents: Option<String>,
}

/// An employment as the personnel file records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Employment {
    /// The personnel file.
    #[serde(skip)]
    pub file: RecordRef,
    /// Full name.
    pub name: String,
    /// Business e-mail address.
    pub email: String,
    /// Function.
    pub function: String,
    /// Function group.
    pub function_group: String,
    /// Department.
    pub department: String,
    /// Kind of contract.
    pub contract: ContractKind,
    /// Part of a full week.
    pub fte: String,
    /// Hours a week.
    pub hours: String,
    /// The first day.
    pub started: Date,
    /// The last day, once ended.
    pub ended: Option<Date>,
}

/// What ending an employment did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ended {
    /// The accounts closed (their sessions ended with them).
    pub accounts_closed: Vec<String>,
    /// Intranet profile records deleted.
    pub profile_records: u64,
    /// Reactions and likes kept, now without their author.
    pub reactions_anonymised: usize,
    /// Accounts in team applications ended, each kept its application's term (I7).
    pub team_accounts_ended: usize,
}

/// The categories of the personnel file an [`Employment`] is read from.
const EMPLOYMENT: &[Category] = &[
    Category::Name,
    Category::Email,
    Category::Function,
    Category::FunctionGroup,
    Category::Department,
    Category::ContractType,
    Category::Fte,
    Category::Hours,
];

impl Contract {
    fn check(&self, now: Timestamp) -> Result<(), HrError> {
        let fte = self.fte.trim().replace(',', ".");
        let valid_fte = fte.parse::<f64>().is_ok_and(|f| f > 0.0 && f <= 1.2) && fte.split_once('.').is_none_or(|(_, d)| d.len() <= 2);
        if !valid_fte {
            return Err(HrError::Invalid(Reason::new(
                format!("contract.fte `{}`: give the part of a full week, e.g. 0,8 (more than 0, at most 1,2)", self.fte),
                format!("Fte ‘{}’ kan niet; geef het deel van een volle werkweek, bijvoorbeeld 0,8 (meer dan 0, hoogstens 1,2).", self.fte.trim()),
            )));
        }
        if !(1..=60).contains(&self.hours) {
            return Err(HrError::Invalid(Reason::new(
                format!("contract.hours {}: give the hours a week, 1 to 60", self.hours),
                format!("{} uur per week kan niet; geef de uren per week, 1 tot en met 60.", self.hours),
            )));
        }
        for (what, what_nl, text) in [
            ("contract.function", "De functie", &self.function),
            ("contract.function_group", "De functiegroep", &self.function_group),
            ("contract.department", "De afdeling", &self.department),
            ("contract.salary_scale", "De salarisschaal", &self.salary_scale),
        ] {
            if text.trim().is_empty() {
                return Err(HrError::Invalid(Reason::new(format!("{what} is empty; fill it in"), format!("{what_nl} is leeg; vul het in."))));
            }
        }
        if day_start(self.started) > now {
            return Err(HrError::Invalid(Reason::new(
                format!("contract.started {}: an employment is registered from its first day, not before", self.started),
                format!("De eerste werkdag is {}; een dienstverband wordt vastgelegd vanaf de eerste werkdag, niet eerder.", dutch::date(self.started)),
            )));
        }
        Ok(())
    }
}

impl NewEmployee {
    /// The conditional parts (I1) and the contract; the kernel checks the
    /// rest (BSN, IBAN, postcode, e-mail, phone, date) when it stores them.
    fn check(&self, now: Timestamp) -> Result<(), HrError> {
        match (self.partner_pension, &self.partner) {
            (false, Some(_)) => {
                return Err(HrError::Invalid(Reason::new(
                    "partner: partner data is kept only when a partner pension applies (I1); leave it out, or set partner_pension",
                    "Gegevens van een partner worden alleen bewaard als er een partnerpensioen is (I1); laat ze weg, of geef aan dat er een partnerpensioen is.",
                )));
            }
            (true, None) => {
                return Err(HrError::Missing(Reason::new("partner (a partner pension applies)", "de gegevens van de partner (er is een partnerpensioen)")));
            }
            _ => {}
        }
        match (self.worked_for_the_state, &self.employment_history) {
            (false, Some(_)) => {
                return Err(HrError::Invalid(Reason::new(
                    "employment_history: kept only for someone who worked for the State before (I1); leave it out, or set worked_for_the_state",
                    "Het arbeidsverleden wordt alleen bewaard van wie eerder voor het Rijk werkte (I1); laat het weg, of geef aan dat de medewerker eerder voor het Rijk werkte.",
                )));
            }
            (true, None) => {
                return Err(HrError::Missing(Reason::new(
                    "employment_history (the employee worked for the State before)",
                    "het arbeidsverleden (de medewerker werkte eerder voor het Rijk)",
                )));
            }
            _ => {}
        }
        self.contract.check(now)
    }

    fn personnel_fields(&self) -> Vec<(Category, Value)> {
        let c = &self.contract;
        let mut fields = vec![
            (Category::Bsn, Value::text(&self.bsn)),
            (Category::Nationality, Value::text(&self.nationality)),
            (Category::Name, Value::text(&self.name)),
            (Category::Address, Value::text(&self.address)),
            (Category::PostcodeCity, Value::text(&self.postcode_city)),
            (Category::Gender, Value::text(&self.gender)),
            (Category::BirthDate, Value::text(self.birth_date.to_string())),
            (Category::BirthPlace, Value::text(&self.birth_place)),
            (Category::Email, Value::text(&self.email)),
            (Category::Phone, Value::text(&self.phone)),
            (Category::BankAccount, Value::text(&self.bank_account)),
            (Category::Function, Value::text(&c.function)),
            (Category::FunctionGroup, Value::text(&c.function_group)),
            (Category::Department, Value::text(&c.department)),
            (Category::ContractType, Value::text(c.kind.name())),
            (Category::Fte, Value::text(c.fte.trim().replace('.', ","))),
            (Category::Hours, Value::text(c.hours.to_string())),
        ];
        let optional = [
            (Category::PartnerData, &self.partner),
            (Category::EmploymentHistory, &self.employment_history),
            (Category::Vog, &self.vog),
            (Category::Oath, &self.oath),
            (Category::CvDocuments, &self.cv_documents),
        ];
        fields.extend(optional.into_iter().filter_map(|(category, value)| value.as_ref().map(|v| (category, Value::text(v)))));
        fields
    }
}

/// The first moment of a day in Amsterdam.
pub(crate) fn day_start(date: Date) -> Timestamp {
    grondslag_values::dutch::Written::Date(date).start()
}

impl Hr<'_> {
    /// HR registers an employee: the personnel file, its financial part and
    /// the row of management information, in one unit, the employment
    /// dated from the contract's first day. Returns the personnel file;
    /// its subject is the employee (their account joins it).
    pub fn register_employee(&self, access: &Access, new: &NewEmployee) -> Result<RecordRef, HrError> {
        new.check(access.now)?;
        let c = &new.contract;
        let finance = [
            (Category::Name, Value::text(&new.name)),
            (Category::Bsn, Value::text(&new.bsn)),
            (Category::Address, Value::text(&new.address)),
            (Category::PostcodeCity, Value::text(&new.postcode_city)),
            (Category::BankAccount, Value::text(&new.bank_account)),
            (Category::Function, Value::text(&c.function)),
            (Category::SalaryScale, Value::text(&c.salary_scale)),
        ];
        let management = [
            (Category::ContractType, Value::text(c.kind.name())),
            (Category::Fte, Value::text(c.fte.trim().replace('.', ","))),
            (Category::Hours, Value::text(c.hours.to_string())),
            (Category::FunctionGroup, Value::text(&c.function_group)),
            (Category::Department, Value::text(&c.department)),
            (Category::SalaryScale, Value::text(&c.salary_scale)),
        ];
        let started = day_start(c.started);
        self.kernel.unit(|unit| {
            let file = unit.write(access, self.p.personnel, None, None, &new.personnel_fields())?;
            unit.record_event_at(access, self.p.personnel, &file, Action::File, EMPLOYMENT_STARTED, Some("employed"), None, started)?;
            let money = unit.write(access, self.p.finance, Some(&file.subject), None, &finance)?;
            unit.record_event_at(access, self.p.finance, &money, Action::File, EMPLOYMENT_STARTED, Some("employed"), None, started)?;
            let figures = unit.write(access, self.p.management, Some(&file.subject), None, &management)?;
            unit.record_event(access, self.p.management, &figures, Action::File, REGISTERED, None, None)?;
            Ok(file)
        })
    }

    /// The employment of `employee`, as HR or the employee sees it.
    pub fn employment(&self, access: &Access, employee: &SubjectId) -> Result<Employment, HrError> {
        self.kernel.reading(|unit| self.employment_in(unit, access, employee))
    }

    pub(crate) fn employment_in(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId) -> Result<Employment, HrError> {
        let view = unit
            .read(access, self.p.personnel, employee, CategorySet::of(EMPLOYMENT))?
            .into_iter()
            .next()
            .ok_or_else(|| HrError::NotFound(format!("the personnel file of {employee}")))?;
        let file = RecordRef { subject: employee.clone(), record: view.record.clone() };
        let text = |category: Category| view.get(category).and_then(Value::as_text).unwrap_or_default().to_string();
        let events = unit.events(access, self.p.personnel, &file)?;
        let dated = |name: &str| events.iter().rev().find(|e| e.event == name).map(|e| grondslag_values::dutch::amsterdam_date(e.at));
        let started = dated(EMPLOYMENT_STARTED).ok_or(HrError::Corrupt("employment start"))?;
        let contract = text(Category::ContractType).parse().map_err(|_| HrError::Corrupt("contract type"))?;
        Ok(Employment {
            name: text(Category::Name),
            email: text(Category::Email),
            function: text(Category::Function),
            function_group: text(Category::FunctionGroup),
            department: text(Category::Department),
            contract,
            fte: text(Category::Fte),
            hours: text(Category::Hours),
            started,
            ended: dated(EMPLOYMENT_ENDED),
            file,
        })
    }

    /// Every employee HR has a personnel file of, by name.
    pub fn employees(&self, access: &Access) -> Result<Vec<Employment>, HrError> {
        self.kernel.reading(|unit| {
            let files = unit.list_all(access, self.p.personnel, None)?;
            let mut all = files.iter().map(|file| self.employment_in(unit, access, &file.record.subject)).collect::<Result<Vec<_>, _>>()?;
            all.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(all)
        })
    }

    /// Ends an employment (I1, I5): records `employment_ended` on the
    /// personnel file and its financial part, from which their two and
    /// seven years count; deletes the intranet profile, keeping the
    /// person's reactions without their name; then ends their accounts in
    /// team applications and closes their own accounts, which ends their
    /// sessions. `last_day` may not lie ahead:
    /// an ending is registered once it happened.
    pub fn end_employment(&self, access: &Access, accounts: &Accounts, employee: &SubjectId, last_day: Date) -> Result<Ended, HrError> {
        // Dated on the last day, so that the file says which day it was.
        let ended_at = day_start(last_day);
        if ended_at > access.now {
            return Err(HrError::Invalid(Reason::new(
                format!("last day {last_day} lies ahead; end the employment on or after its last day"),
                format!("De laatste werkdag, {}, ligt nog in de toekomst; beëindig het dienstverband op of na de laatste werkdag.", dutch::date(last_day)),
            )));
        }
        let mut ended = self.kernel.unit(|unit| {
            let employment = self.employment_in(unit, access, employee)?;
            if let Some(day) = employment.ended {
                return Err(HrError::Invalid(Reason::new(
                    format!("this employment ended already, on {day}"),
                    format!("Dit dienstverband is al beëindigd, op {}.", dutch::date(day)),
                )));
            }
            if last_day < employment.started {
                return Err(HrError::Invalid(Reason::new(
                    format!("last day {last_day} lies before the first day, {}", employment.started),
                    format!("De laatste werkdag, {}, ligt voor de eerste werkdag, {}.", dutch::date(last_day), dutch::date(employment.started)),
                )));
            }
            let file = employment.file;
            unit.record_event_at(access, self.p.personnel, &file, Action::Advance, EMPLOYMENT_ENDED, Some("ended"), None, ended_at)?;
            for money in unit.read(access, self.p.finance, employee, CategorySet::of(&[Category::Name]))? {
                let money = RecordRef { subject: employee.clone(), record: money.record };
                unit.record_event_at(access, self.p.finance, &money, Action::Advance, EMPLOYMENT_ENDED, Some("ended"), None, ended_at)?;
            }
            let reactions_anonymised = self.anonymise_reactions(unit, access, employee)?;
            let mut profile_records = 0;
            for processing in [self.p.profile, self.p.profile_optional] {
                profile_records += unit.erase(access, processing, employee)?.records;
            }
            Ok(Ended { profile_records, reactions_anonymised, ..Ended::default() })
        })?;
        ended.team_accounts_ended = self.end_team_accounts(access, employee)?;
        ended.accounts_closed = self.close_accounts(access, accounts, employee)?;
        Ok(ended)
    }

    /// Closes every account of the employee that is still open; run after
    /// the ending is on record, and again by a repeated ending if it failed.
    fn close_accounts(&self, access: &Access, accounts: &Accounts, employee: &SubjectId) -> Result<Vec<String>, HrError> {
        let sign_in = self.kernel.processing(grondslag_accounts::PROCESSING)?;
        let views = match self.kernel.read(access, sign_in, employee, CategorySet::of(&[Category::Username])) {
            Ok(views) => views,
            // Someone with a personnel file but no account.
            Err(grondslag_kernel::KernelError::Denied { denial: grondslag_kernel::Denial::OutOfReach { scope: Scope::Staff }, .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut closed = Vec::new();
        for username in views.iter().filter_map(|v| v.get(Category::Username).and_then(Value::as_text)) {
            accounts.close(access, username)?;
            closed.push(username.to_string());
        }
        Ok(closed)
    }
}
