//! The call centre's quality protocol (K0–K12) as software.
//!
//! Every call through the exchange is recorded and kept four weeks (K3);
//! what may be done with a recording is a closed list (K2), and each use is
//! a processing of its own in the register, so the kernel decides who hears
//! what by role and relation (`coached`, `managed`, `own_calls`). This
//! module adds what a grant cannot say:
//!
//! - **team**: who takes part, with which coach and manager, the protocol
//!   version they were handed, and the agreements K4 and K6 allow;
//! - **import**: the exchange's export in, calls that cannot be listened
//!   to (internal, private line) never stored (K1, K11);
//! - **selection**: at most four business calls a month, drawn from a
//!   recorded seed on an announced date, never a network relation's, an
//!   internal or a private call, "not representative" replaced (K4–K6);
//! - **form** and **reports**: the form of Bijlage 1, the norm it derives,
//!   views, conclusions, a second opinion, deletion on request (K7, K11);
//! - **training**: consent before a call is used, calibration with the
//!   coaches' agreement in numbers (K8);
//! - **threat** and **weighty**: the employee's own call heard with their
//!   manager; listening for weighty reasons only after two decisions (K9, K10);
//! - **governance**: the protocol's versions, the works council's consent
//!   to each, the yearly evaluation (K0, K12).
//!
//! Time is passed in (`Access::now`); randomness is passed in as the seed
//! of a draw, which is recorded so that a draw can be checked afterwards.

#![warn(missing_docs)]

/// A closed list the protocol names (K4's reasons, K8's uses, K9's
/// measures, K10's indications, K11's grounds), refused as
/// [`CallQaError::Invalid`] when parsed from anything else.
macro_rules! closed_list {
    ($($list:tt)*) => { grondslag_values::closed_list!(@error $crate::CallQaError, $crate::CallQaError::Invalid; $($list)*); };
}

pub mod form;
pub mod governance;
pub mod import;
pub mod reports;
pub mod selection;
pub mod team;
pub mod threat;
pub mod training;

use std::fmt;
use std::str::FromStr;

use grondslag_kernel::{Access, Kernel, KernelError, RecordRef, RecordView, Unit, Value};
use grondslag_register::due::RECORDED;
use grondslag_register::{Category, CategorySet, ProcessingId, Register};
use grondslag_values::Reason;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The event that ends an employee's part in the protocol: their reports
/// and their participation go at once (K7).
pub const FUNCTION_CHANGED: &str = "function_changed";

/// The events this module records that a retention term can count from.
pub const EVENTS: &[&str] = &[RECORDED, FUNCTION_CHANGED];

/// Why a step of the protocol was refused or failed. The messages say what
/// to do; the kernel's refusals keep their own code and reason.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum CallQaError {
    #[error("{file}, line {line}: {problem}")]
    Import { file: String, line: usize, problem: String },
    #[error(
        "{month}: {drawn} of at most {cap} call(s) for this employee are drawn already (K4); more only with a recorded temporary change and its reason (onboarding, new topic, development agreement, reduced contact work)"
    )]
    CapReached { month: Month, cap: u32, drawn: u32 },
    #[error("the selection of {month} was announced for {date}; calls are drawn on or after that date, not before (K6)")]
    BeforeAnnouncedDate { month: Month, date: jiff::civil::Date },
    #[error("a selection for {0} exists already for this employee; draw in it, or mark a drawn call not representative to draw another")]
    AlreadyAnnounced(Month),
    #[error("the selection date must lie after today, so that it is announced in advance (K6)")]
    NotInAdvance,
    #[error("call {0} is not among the calls drawn for this employee; only drawn calls are listened to and reported on (K4)")]
    NotDrawn(String),
    #[error("the employee has not consented to using call {0} for this purpose (K8); ask them, and use it only once they agree")]
    NoConsent(String),
    #[error("listening for weighty reasons needs the decisions of both the direct manager and the department manager (K10); missing: the {}'s decision", .0.label())]
    NotDecided(threat::Decider),
    #[error("both decisions must be taken by two different people (K10): the direct manager's and the department manager's")]
    SameDecider,
    #[error("{0}")]
    InvalidForm(Reason),
    #[error("{0} is required")]
    Missing(Reason),
    #[error("{0} was not found, or is gone (recordings go four weeks after the call)")]
    NotFound(String),
    #[error("{0}")]
    Invalid(Reason),
    #[error("a stored {0} could not be read back; the store may have been changed outside grondslag")]
    Corrupt(&'static str),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

impl CallQaError {
    /// The error as a page says it, in plain Dutch to the employee, coach
    /// or manager: what is wrong and what to do. A fault of ours (a stored
    /// record that cannot be read) is said as ours.
    pub fn explain_nl(&self, register: &Register) -> String {
        match self {
            CallQaError::Import { file, line, .. } => format!(
                "Regel {line} van het bestand {file} van de telefooncentrale kon niet worden ingelezen. De precieze reden staat in de melding van de import voor beheerders."
            ),
            CallQaError::CapReached { month, cap, drawn } => format!(
                "In {month} zijn al {drawn} van de hoogstens {cap} gesprekken van deze medewerker getrokken (K4). Meer kan alleen met een vastgelegde tijdelijke afspraak en de reden daarvan (inwerken, nieuw onderwerp, ontwikkelafspraak, minder contactwerk)."
            ),
            CallQaError::BeforeAnnouncedDate { month, date } => format!(
                "De selectie van {month} is aangekondigd voor {}; gesprekken worden op of na die dag getrokken, niet eerder (K6).",
                grondslag_values::dutch::date(*date)
            ),
            CallQaError::AlreadyAnnounced(month) => format!(
                "Voor {month} is al een selectie voor deze medewerker aangekondigd. Trek daarin, of markeer een getrokken gesprek als niet representatief om een ander te trekken."
            ),
            CallQaError::NotInAdvance => "De selectiedatum moet na vandaag liggen, zodat de selectie vooraf is aangekondigd (K6).".to_string(),
            CallQaError::NotDrawn(call) => format!(
                "Gesprek {call} is niet getrokken voor deze medewerker; alleen getrokken gesprekken worden beluisterd en besproken (K4)."
            ),
            CallQaError::NoConsent(call) => format!(
                "De medewerker heeft geen toestemming gegeven om gesprek {call} hiervoor te gebruiken (K8). Vraag het eerst, en gebruik het pas als de medewerker instemt."
            ),
            CallQaError::NotDecided(missing) => format!(
                "Meeluisteren om zwaarwegende redenen kan pas na een besluit van zowel de direct leidinggevende als de afdelingsmanager (K10); het besluit van {} ontbreekt nog.",
                missing.label_nl()
            ),
            CallQaError::SameDecider => {
                "De twee besluiten over zwaarwegende redenen worden door twee verschillende mensen genomen: de direct leidinggevende en de afdelingsmanager (K10).".to_string()
            }
            CallQaError::InvalidForm(reason) | CallQaError::Invalid(reason) => reason.nl.clone(),
            CallQaError::Missing(what) => format!("Er ontbreekt nog: {}. Vul dat in en probeer het opnieuw.", what.nl),
            CallQaError::NotFound(_) => {
                "Dit is niet gevonden, of het bestaat niet meer (opnames worden vier weken na het gesprek verwijderd).".to_string()
            }
            CallQaError::Corrupt(_) => grondslag_kernel::FAULT_NL.to_string(),
            CallQaError::Kernel(e) => e.explain_nl(register),
        }
    }
}

/// A calendar month on the Dutch calendar, the unit of K4's cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    /// The year.
    pub year: i16,
    /// 1–12.
    pub month: i8,
}

impl Month {
    /// The month a moment falls in, in Amsterdam.
    pub fn of(at: Timestamp) -> Month {
        let date = grondslag_values::dutch::amsterdam_date(at);
        Month { year: date.year(), month: date.month() }
    }

    /// Whether the moment falls in this month.
    pub fn contains(self, at: Timestamp) -> bool {
        Month::of(at) == self
    }

    /// The first day of the month.
    pub fn first_day(self) -> jiff::civil::Date {
        jiff::civil::Date::new(self.year, self.month, 1).unwrap_or(jiff::civil::Date::MIN)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = CallQaError;

    fn from_str(text: &str) -> Result<Month, CallQaError> {
        let wrong = || {
            CallQaError::Invalid(Reason::new(
                format!("`{text}` is not a month; write it as 2026-11"),
                format!("‘{}’ is geen maand; schrijf een maand als 2026-11.", text.trim()),
            ))
        };
        let (year, month) = text.trim().split_once('-').ok_or_else(wrong)?;
        let (year, month) = (year.parse::<i16>().map_err(|_| wrong())?, month.parse::<i8>().map_err(|_| wrong())?);
        if !(1..=12).contains(&month) || !(2000..=9999).contains(&year) {
            return Err(wrong());
        }
        Ok(Month { year, month })
    }
}

impl TryFrom<String> for Month {
    type Error = CallQaError;
    fn try_from(text: String) -> Result<Month, CallQaError> {
        text.parse()
    }
}

impl From<Month> for String {
    fn from(month: Month) -> String {
        month.to_string()
    }
}

/// Whether the employee took the call or made it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A customer called in.
    Inbound,
    /// The employee called out.
    Outbound,
}

impl FromStr for Direction {
    type Err = CallQaError;
    fn from_str(text: &str) -> Result<Direction, CallQaError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "in" | "inbound" | "inkomend" => Ok(Direction::Inbound),
            "out" | "outbound" | "uitgaand" => Ok(Direction::Outbound),
            other => Err(CallQaError::Invalid(Reason::new(
                format!("direction `{other}`: use in or out"),
                format!("‘{other}’ is geen richting van een gesprek; kies in (inkomend) of out (uitgaand)."),
            ))),
        }
    }
}

/// A call as the exchange describes it: the metadata stored with a
/// recording (and all that is stored of it once the recording is gone).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The exchange's id of the call.
    pub call_id: String,
    /// When the call started: its recording date, from which its four weeks count.
    pub start: Timestamp,
    /// How long it lasted, in seconds.
    pub duration_seconds: u32,
    /// In or out.
    pub direction: Direction,
    /// With someone outside the organisation.
    pub external: bool,
    /// With a network relation (a partner organisation), never selected (K5).
    pub network_relation: bool,
    /// On the private line, which is never recorded (K11).
    pub private_line: bool,
    /// The recording's media type, when one is stored.
    pub media_type: Option<String>,
}

impl Call {
    /// Whether this is a business call K5 allows to be selected: external,
    /// not with a network relation, not private, with a recording.
    pub fn is_business(&self) -> bool {
        self.external && !self.network_relation && !self.private_line && self.media_type.is_some()
    }

    /// How a person recognises the call: "2 november 2026 10:14, 6 min, inkomend".
    pub fn label(&self) -> String {
        let direction = match self.direction {
            Direction::Inbound => "inkomend",
            Direction::Outbound => "uitgaand",
        };
        format!("{}, {} min, {direction}", grondslag_values::dutch::moment(self.start), self.duration_seconds.div_ceil(60))
    }
}

/// A recording as played back: its bytes, media type and the call it is of.
#[derive(Clone, PartialEq, Eq)]
pub struct Recording {
    /// The call.
    pub call: Call,
    /// `audio/wav`, `audio/mpeg` or `audio/ogg`.
    pub media_type: String,
    /// The audio.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Recording {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recording").field("call", &self.call.call_id).field("media_type", &self.media_type).field("bytes", &self.bytes.len()).finish()
    }
}

/// The register ids of the protocol's processings.
pub mod processing {
    /// Participation, coach, manager, agreements and the protocol's governance (K0).
    pub const PROTOCOL: &str = "kcc_protocol";
    /// The recordings (K3).
    pub const CALLS: &str = "kcc_opnames";
    /// The monthly selections (K4–K6).
    pub const MONITORING: &str = "kcc_kwaliteitsmonitoring";
    /// The reports (K7).
    pub const REPORTS: &str = "kcc_verslagen";
    /// Training in contact skills (K8).
    pub const TRAINING: &str = "kcc_opleiding_klantcontact";
    /// Coach training and calibration (K8).
    pub const CALIBRATION: &str = "kcc_opleiding_coach_kalibratie";
    /// A threat verified (K9).
    pub const THREAT: &str = "kcc_bedreiging";
    /// Weighty reasons (K10).
    pub const WEIGHTY: &str = "kcc_zwaarwegende_redenen";
}

/// The protocol's processings, looked up once in the register.
#[derive(Clone, Copy, Debug)]
pub struct Processings {
    /// `kcc_protocol`: participation, coach, manager, agreements (K0).
    pub protocol: ProcessingId,
    /// `kcc_opnames`: the recordings (K3).
    pub calls: ProcessingId,
    /// `kcc_kwaliteitsmonitoring`: the monthly selections (K4–K6).
    pub monitoring: ProcessingId,
    /// `kcc_verslagen`: the reports (K7).
    pub reports: ProcessingId,
    /// `kcc_opleiding_klantcontact`: training in contact skills (K8).
    pub training: ProcessingId,
    /// `kcc_opleiding_coach_kalibratie`: coach training and calibration (K8).
    pub calibration: ProcessingId,
    /// `kcc_bedreiging`: a threat verified (K9).
    pub threat: ProcessingId,
    /// `kcc_zwaarwegende_redenen`: weighty reasons (K10).
    pub weighty: ProcessingId,
}

/// The protocol on a kernel.
#[derive(Debug, Clone, Copy)]
pub struct CallQa<'k> {
    kernel: &'k Kernel,
    /// The processings each step works under.
    pub p: Processings,
}

impl<'k> CallQa<'k> {
    /// The protocol on the kernel, under the processings of its register.
    pub fn new(kernel: &'k Kernel) -> Result<CallQa<'k>, CallQaError> {
        let p = Processings {
            protocol: kernel.processing(processing::PROTOCOL)?,
            calls: kernel.processing(processing::CALLS)?,
            monitoring: kernel.processing(processing::MONITORING)?,
            reports: kernel.processing(processing::REPORTS)?,
            training: kernel.processing(processing::TRAINING)?,
            calibration: kernel.processing(processing::CALIBRATION)?,
            threat: kernel.processing(processing::THREAT)?,
            weighty: kernel.processing(processing::WEIGHTY)?,
        };
        Ok(CallQa { kernel, p })
    }

    /// The kernel the protocol works on.
    pub fn kernel(&self) -> &'k Kernel {
        self.kernel
    }
}

/// A JSON document stored as a text field.
pub(crate) fn to_text<T: Serialize>(value: &T) -> Result<Value, CallQaError> {
    serde_json::to_string(value).map(Value::Text).map_err(|_| CallQaError::Corrupt("document"))
}

/// The JSON document in `category` of a record read back.
pub(crate) fn from_field<T: for<'de> Deserialize<'de>>(view: &RecordView, category: Category, what: &'static str) -> Result<Option<T>, CallQaError> {
    match view.get(category) {
        Some(Value::Text(text)) => serde_json::from_str(text).map(Some).map_err(|_| CallQaError::Corrupt(what)),
        Some(Value::Bytes(_)) => Err(CallQaError::Corrupt(what)),
        None => Ok(None),
    }
}

/// Reads one record in a unit; a record that is gone is `NotFound`.
pub(crate) fn read_one(
    unit: &mut Unit<'_>,
    access: &Access,
    processing: ProcessingId,
    record: &RecordRef,
    wanted: &[Category],
) -> Result<RecordView, CallQaError> {
    match unit.read_record(access, processing, record, CategorySet::of(wanted)) {
        Ok(Some(view)) => Ok(view),
        // An erased record (a recording past its four weeks, a report deleted) is no longer there.
        Ok(None) | Err(KernelError::RecordMismatch { .. }) => Err(CallQaError::NotFound(format!("record {record}"))),
        Err(e) => Err(e.into()),
    }
}

/// The call stored in a record of `processing` (the recording itself, or a copy of it).
pub(crate) fn call_of(view: &RecordView) -> Result<Call, CallQaError> {
    from_field(view, Category::CallMeta, "call")?.ok_or(CallQaError::Corrupt("call"))
}

/// The recording in a record read with its audio.
pub(crate) fn recording_of(view: &RecordView) -> Result<Recording, CallQaError> {
    let call = call_of(view)?;
    match (view.get(Category::CallRecording), &call.media_type) {
        (Some(Value::Bytes(bytes)), Some(media_type)) => Ok(Recording { media_type: media_type.clone(), bytes: bytes.clone(), call }),
        _ => Err(CallQaError::NotFound(format!("the recording of call {}", call.call_id))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_strictly_and_follow_the_dutch_calendar() {
        assert_eq!("2026-11".parse::<Month>().unwrap(), Month { year: 2026, month: 11 });
        assert!("2026-13".parse::<Month>().is_err());
        assert!("november".parse::<Month>().is_err());
        // 23:30 UTC on 30 November is already December in Amsterdam.
        let late: Timestamp = "2026-11-30T23:30:00Z".parse().unwrap();
        assert_eq!(Month::of(late).to_string(), "2026-12");
    }
}
