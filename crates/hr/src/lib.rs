//! The staff side of the organisation (I1–I8) as software.
//!
//! The internal privacy statement promises staff what this module keeps:
//!
//! - **personnel**: HR registers an employee and their contract; partner
//!   data only with a partner pension, employment history only after
//!   earlier work for the State (I1). Ending an employment is one step: it
//!   records `employment_ended`, from which every staff term counts, ends
//!   the person's accounts and sessions and deletes their intranet profile.
//! - **report**: management information as counts and sums per group,
//!   never rows, with small groups suppressed so that no cell can be
//!   recomputed from the totals (I4).
//! - **intranet**: the profile, its optional parts each on its own consent,
//!   and reactions that stay, as from "oud-medewerker", when the author
//!   leaves (I5).
//! - **survey**: answers stored with no link to who gave them unless they
//!   chose to add their details (I2).
//! - **election**: the works-council election with a secret ballot: the
//!   voters' roll says *that* someone voted, the ballot box *what* was
//!   voted, and nothing in the store links the two (I6).
//! - **teams**: accounts in the team applications, each application with
//!   the term its accounts' data is kept after they end (I7).
//! - **views**: the view logs of damage dossiers and of each dashboard,
//!   read from the audit log (I3).
//!
//! Time is passed in (`Access::now`).

#![warn(missing_docs)]

/// A closed list a staff rule names, refused as [`HrError::Invalid`] when
/// parsed from anything else.
macro_rules! closed_list {
    ($($list:tt)*) => { grondslag_values::closed_list!(@error $crate::HrError, $crate::HrError::Invalid; $($list)*); };
}

pub mod election;
pub mod intranet;
pub mod personnel;
pub mod report;
pub mod survey;
pub mod teams;
pub mod views;

use grondslag_kernel::{Kernel, KernelError, RecordView, Value};
use grondslag_register::{Category, ProcessingId, Register};
use grondslag_values::Reason;
use serde::{Deserialize, Serialize};

/// The event from which every staff term counts (I1, I5): recorded on the
/// personnel file when the employment ends.
pub const EMPLOYMENT_ENDED: &str = "employment_ended";

/// The event from which management information's term counts (I4):
/// recorded when an employee's figures are registered.
pub const REGISTERED: &str = "registered";

/// The event from which a team account's term counts (I7): recorded when
/// the account in a team application ends.
pub const TEAM_ACCOUNT_ENDED: &str = "team_account_ended";

/// The events this module records that a retention term can count from.
pub const EVENTS: &[&str] = &[EMPLOYMENT_ENDED, REGISTERED, intranet::PUBLISHED, survey::SURVEY_CLOSED, election::ELECTION_CLOSED, TEAM_ACCOUNT_ENDED];

/// Why a step on the staff side was refused or failed. The messages say
/// what to do; the kernel's refusals keep their own code and reason.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum HrError {
    #[error("{0}")]
    Invalid(Reason),
    #[error("{0} is required")]
    Missing(Reason),
    #[error("{0} was not found, or is gone")]
    NotFound(String),
    #[error("a stored {0} could not be read back; the store may have been changed outside grondslag")]
    Corrupt(&'static str),
    #[error("not eligible: {0}")]
    NotEligible(Reason),
    #[error("you have voted in the election {0} already; each voter votes once (I6)")]
    AlreadyVoted(String),
    #[error("this invitation has been used already; each invitation gives one response (I2)")]
    InvitationUsed,
    #[error(transparent)]
    Accounts(#[from] grondslag_accounts::AccountError),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

impl HrError {
    /// The error as a page says it, in plain Dutch to the employee: what is
    /// wrong and what to do. A fault of ours (a stored record that cannot
    /// be read) is said as ours.
    pub fn explain_nl(&self, register: &Register) -> String {
        match self {
            HrError::Invalid(reason) => reason.nl.clone(),
            HrError::NotEligible(reason) => format!("Je kunt hier niet aan meedoen: {}", reason.nl),
            HrError::Missing(what) => format!("Er ontbreekt nog: {}. Vul dat in en probeer het opnieuw.", what.nl),
            HrError::NotFound(_) => "Dit is niet gevonden, of het bestaat niet meer.".to_string(),
            HrError::Corrupt(_) => grondslag_kernel::FAULT_NL.to_string(),
            HrError::AlreadyVoted(election) => format!("Je hebt al gestemd bij de verkiezing {election}; iedere kiezer stemt één keer (I6)."),
            HrError::InvitationUsed => "Deze uitnodiging is al gebruikt; met elke uitnodiging kun je één keer antwoorden (I2).".to_string(),
            HrError::Accounts(e) => e.explain_nl(register),
            HrError::Kernel(e) => e.explain_nl(register),
        }
    }
}

/// The register ids of the staff processings.
pub mod processing {
    /// The personnel file (I1).
    pub const PERSONNEL: &str = "personeelsdossier";
    /// The parts of the personnel file the financial administration keeps seven years (I1).
    pub const FINANCE: &str = "financiele_administratie_personeel";
    /// Management information (I4).
    pub const MANAGEMENT: &str = "sturingsinformatie";
    /// The intranet profile's required part (I5).
    pub const PROFILE: &str = "intranet_profiel";
    /// The intranet profile's optional parts, each on consent (I5).
    pub const PROFILE_OPTIONAL: &str = "intranet_profiel_optioneel";
    /// News on the intranet, with likes and reactions (I5).
    pub const NEWS: &str = "intranet_nieuws";
    /// Survey invitations (I2).
    pub const INVITATION: &str = "mto_uitnodiging";
    /// Survey answers linked by the respondent's choice (I2).
    pub const LINKED_ANSWERS: &str = "mto_resultaten";
    /// A survey's anonymous answers (I2).
    pub const ANSWERS: &str = "mto_antwoorden";
    /// Works-council candidates (I6).
    pub const CANDIDATES: &str = "or_kandidaten";
    /// The voters' roll (I6).
    pub const VOTERS: &str = "or_kiezers";
    /// The ballot box (I6).
    pub const BALLOT_BOX: &str = "or_stembus";
}

/// The staff processings, looked up once in the register.
#[derive(Clone, Copy, Debug)]
pub struct Processings {
    /// `personeelsdossier` (I1).
    pub personnel: ProcessingId,
    /// `financiele_administratie_personeel` (I1).
    pub finance: ProcessingId,
    /// `sturingsinformatie` (I4).
    pub management: ProcessingId,
    /// `intranet_profiel` (I5).
    pub profile: ProcessingId,
    /// `intranet_profiel_optioneel` (I5).
    pub profile_optional: ProcessingId,
    /// `intranet_nieuws` (I5).
    pub news: ProcessingId,
    /// `mto_uitnodiging` (I2).
    pub invitation: ProcessingId,
    /// `mto_resultaten` (I2).
    pub linked_answers: ProcessingId,
    /// `mto_antwoorden` (I2).
    pub answers: ProcessingId,
    /// `or_kandidaten` (I6).
    pub candidates: ProcessingId,
    /// `or_kiezers` (I6).
    pub voters: ProcessingId,
    /// `or_stembus` (I6).
    pub ballot_box: ProcessingId,
}

/// The staff side on a kernel.
#[derive(Debug, Clone, Copy)]
pub struct Hr<'k> {
    kernel: &'k Kernel,
    /// The processings each step works under.
    pub p: Processings,
}

impl<'k> Hr<'k> {
    /// The staff side on the kernel, under the processings of its register.
    pub fn new(kernel: &'k Kernel) -> Result<Hr<'k>, HrError> {
        let p = Processings {
            personnel: kernel.processing(processing::PERSONNEL)?,
            finance: kernel.processing(processing::FINANCE)?,
            management: kernel.processing(processing::MANAGEMENT)?,
            profile: kernel.processing(processing::PROFILE)?,
            profile_optional: kernel.processing(processing::PROFILE_OPTIONAL)?,
            news: kernel.processing(processing::NEWS)?,
            invitation: kernel.processing(processing::INVITATION)?,
            linked_answers: kernel.processing(processing::LINKED_ANSWERS)?,
            answers: kernel.processing(processing::ANSWERS)?,
            candidates: kernel.processing(processing::CANDIDATES)?,
            voters: kernel.processing(processing::VOTERS)?,
            ballot_box: kernel.processing(processing::BALLOT_BOX)?,
        };
        Ok(Hr { kernel, p })
    }

    /// The kernel the staff side works on.
    pub fn kernel(&self) -> &'k Kernel {
        self.kernel
    }
}

/// A JSON document stored as a text field.
pub(crate) fn to_text<T: Serialize>(value: &T) -> Result<Value, HrError> {
    serde_json::to_string(value).map(Value::Text).map_err(|_| HrError::Corrupt("document"))
}

/// The JSON document in `category` of a record read back.
pub(crate) fn from_field<T: for<'de> Deserialize<'de>>(view: &RecordView, category: Category, what: &'static str) -> Result<Option<T>, HrError> {
    match view.get(category) {
        Some(Value::Text(text)) => serde_json::from_str(text).map(Some).map_err(|_| HrError::Corrupt(what)),
        Some(Value::Bytes(_)) => Err(HrError::Corrupt(what)),
        None => Ok(None),
    }
}
