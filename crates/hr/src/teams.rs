//! Accounts in the team systems (I7): the wiki, the tracker, the chat.
//!
//! An administrator registers each application with its own term (how
//! long an account's data is kept after the account ends); the
//! applications are the organisation's own records, with no personal data
//! (`Kernel::record_governance`). An account is a record of the employee
//! under `teamsystemen` — user name, e-mail and which application — that
//! carries its application's term as an `item_term:` event, so the
//! register's per-item rule dates it; ending the account records
//! `team_account_ended`, from which that term counts. The password stays
//! with the application: nothing here stores one.

use grondslag_kernel::{Access, RecordRef, SubjectId, Unit, Value};
use grondslag_register::due::ITEM_TERM;
use grondslag_register::{Action, Category, CategorySet, Duration, ProcessingId};
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;

use crate::{Hr, HrError, TEAM_ACCOUNT_ENDED, from_field, to_text};

/// The register id of the team systems' processing (I7).
pub const PROCESSING: &str = "teamsystemen";

/// The governance records' names: `application:<name>`.
const APPLICATION: &str = "application:";

/// An account's status while it is in use, and once it has ended.
const ACTIVE: &str = "active";
const ENDED: &str = "ended";

/// A team application and the term of its accounts' data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Its name, e.g. `Confluence`.
    pub name: String,
    /// How long an account's data is kept after the account ends, e.g. `2 years`.
    pub term: String,
}

/// What an account record holds besides user name and e-mail.
#[derive(Serialize, Deserialize)]
struct AccountDoc {
    application: String,
}

/// An employee's account in a team application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamAccount {
    /// The account's record.
    pub record: RecordRef,
    /// The application it is in.
    pub application: String,
    /// The user name there.
    pub username: String,
    /// The e-mail address it uses.
    pub email: String,
    /// Whether it has ended (its term is running).
    pub ended: bool,
}

impl Hr<'_> {
    fn teams(&self) -> Result<ProcessingId, HrError> {
        Ok(self.kernel.processing(PROCESSING)?)
    }

    /// Registers (or changes the term of) a team application. The term is
    /// a duration such as `2 years`; it applies to accounts created after.
    pub fn register_application(&self, access: &Access, name: &str, term: &str) -> Result<Application, HrError> {
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_control) {
            return Err(HrError::Invalid(Reason::new(
                "an application needs a name on one line, e.g. Confluence",
                "Geef de applicatie een naam op één regel, bijvoorbeeld Confluence.",
            )));
        }
        if Duration::parse(term).is_none() {
            return Err(HrError::Invalid(Reason::new(
                format!("`{term}` is not a term; write a whole number and a unit, e.g. \"6 months\" or \"2 years\""),
                format!("‘{}’ is geen bewaartermijn; schrijf een heel getal en een eenheid, bijvoorbeeld ‘6 months’ of ‘2 years’.", term.trim()),
            )));
        }
        let application = Application { name: name.to_string(), term: term.trim().to_string() };
        let body = serde_json::to_vec(&application).map_err(|_| HrError::Corrupt("application"))?;
        self.kernel.record_governance(access, self.teams()?, &format!("{APPLICATION}{name}"), &body)?;
        Ok(application)
    }

    /// The registered team applications, by name: for whoever manages the
    /// team systems for everyone (the administrator).
    pub fn applications(&self, access: &Access) -> Result<Vec<Application>, HrError> {
        let teams = self.teams()?;
        self.kernel.check_everyone(access, teams, Action::Read)?;
        let mut applications = Vec::new();
        for (name, body) in self.kernel.governance(teams)? {
            if name.starts_with(APPLICATION) {
                applications.push(serde_json::from_slice(&body).map_err(|_| HrError::Corrupt("application"))?);
            }
        }
        Ok(applications)
    }

    /// Creates `employee`'s account in `application`: user name and e-mail,
    /// never a password; the account's data is kept the application's term
    /// after the account ends.
    pub fn create_team_account(&self, access: &Access, employee: &SubjectId, application: &str, username: &str, email: &str) -> Result<RecordRef, HrError> {
        let teams = self.teams()?;
        let found = self
            .applications(access)?
            .into_iter()
            .find(|a| a.name == application)
            .ok_or_else(|| HrError::NotFound(format!("team application `{application}` (register it first: `grondslag teams application`)")))?;
        if username.trim().is_empty() {
            return Err(HrError::Missing(Reason::new("a user name", "een gebruikersnaam")));
        }
        let doc = to_text(&AccountDoc { application: found.name.clone() })?;
        let fields = [(Category::Username, Value::text(username.trim())), (Category::Email, Value::text(email.trim())), (Category::FreeText, doc)];
        self.kernel.unit(|unit| {
            let record = unit.write(access, teams, Some(employee), None, &fields)?;
            unit.record_event(access, teams, &record, Action::File, &format!("{ITEM_TERM}{}", found.term), Some(ACTIVE), None)?;
            Ok(record)
        })
    }

    /// `employee`'s accounts in the team applications.
    pub fn team_accounts(&self, access: &Access, employee: &SubjectId) -> Result<Vec<TeamAccount>, HrError> {
        let teams = self.teams()?;
        self.kernel.reading(|unit| accounts(unit, access, teams, employee))
    }

    /// Ends one account: its term starts now.
    pub fn end_team_account(&self, access: &Access, account: &RecordRef) -> Result<(), HrError> {
        let teams = self.teams()?;
        self.kernel.unit(|unit| {
            let found = accounts(unit, access, teams, &account.subject)?.into_iter().find(|a| a.record == *account);
            match found {
                None => Err(HrError::NotFound(format!("team account {}", account.record))),
                Some(a) if a.ended => Err(HrError::Invalid(Reason::new(
                    format!("the account `{}` in {} has ended already", a.username, a.application),
                    format!("Het account ‘{}’ in {} is al beëindigd.", a.username, a.application),
                ))),
                Some(_) => Ok(end(unit, access, teams, account)?),
            }
        })
    }

    /// Ends every account of `employee` that is still in use (the step
    /// that ends an employment calls this); returns how many ended. Their
    /// terms start now, each its application's.
    pub fn end_team_accounts(&self, access: &Access, employee: &SubjectId) -> Result<usize, HrError> {
        let teams = self.teams()?;
        self.kernel.unit(|unit| {
            let open: Vec<TeamAccount> = accounts(unit, access, teams, employee)?.into_iter().filter(|a| !a.ended).collect();
            for account in &open {
                end(unit, access, teams, &account.record)?;
            }
            Ok(open.len())
        })
    }
}

fn end(unit: &mut Unit<'_>, access: &Access, teams: ProcessingId, account: &RecordRef) -> Result<(), HrError> {
    Ok(unit.record_event(access, teams, account, Action::Advance, TEAM_ACCOUNT_ENDED, Some(ENDED), None)?)
}

/// The employee's accounts, read in one go, each with whether it ended.
fn accounts(unit: &mut Unit<'_>, access: &Access, teams: ProcessingId, employee: &SubjectId) -> Result<Vec<TeamAccount>, HrError> {
    let wanted = CategorySet::of(&[Category::Username, Category::Email, Category::FreeText]);
    let mut found = Vec::new();
    for view in unit.read(access, teams, employee, wanted)? {
        let record = RecordRef { subject: employee.clone(), record: view.record.clone() };
        let doc: Option<AccountDoc> = from_field(&view, Category::FreeText, "team account")?;
        let text = |category| view.get(category).and_then(Value::as_text).unwrap_or_default().to_string();
        let ended = unit.events(access, teams, &record)?.iter().any(|e| e.event == TEAM_ACCOUNT_ENDED);
        found.push(TeamAccount {
            application: doc.map(|d| d.application).unwrap_or_default(),
            username: text(Category::Username),
            email: text(Category::Email),
            record,
            ended,
        });
    }
    Ok(found)
}
