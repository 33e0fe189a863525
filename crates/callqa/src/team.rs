//! Who takes part (K0): HR hands the protocol to an employee whose work
//! includes customer calls, and records their coach and manager — the
//! relations every other step is decided by. The employee acknowledges the
//! version they received. The agreements K4 and K6 allow are recorded here
//! as dated events with who decided: a temporary change of the monthly
//! number, with one of the four reasons and its period, and not being told
//! the selection date. A change of function ends all of it (K7).

use grondslag_kernel::{Access, Detail, RecordRef, SubjectId, Unit, Value};
use grondslag_register::{Action, Category, Scope};
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;

use crate::{CallQa, CallQaError, FUNCTION_CHANGED, Month, from_field, read_one};

/// The number of calls listened to per employee per month (K4).
pub const MONTHLY_CAP: u32 = 4;

/// The index kind under which a participation is found by the exchange's agent id.
pub(crate) const AGENT: &str = "agent";

const ACKNOWLEDGED: &str = "protocol_acknowledged";
const CAP_CHANGED: &str = "cap_changed";
const ANNOUNCEMENT: &str = "announcement_agreement";
const RELATION: &str = "relation";

closed_list! {
    /// The four reasons K4 allows for a temporary change of the monthly number.
    CapReason, "one of the four reasons K4 allows" {
        /// The onboarding period (inwerkperiode).
        Onboarding = "onboarding", "inwerkperiode";
        /// Working on a new topic.
        NewTopic = "new_topic", "inzet op een nieuw onderwerp";
        /// A development agreement between employee and coach.
        DevelopmentAgreement = "development_agreement", "ontwikkelafspraken tussen medewerker en coach";
        /// Less work in customer contact.
        ReducedContactWork = "reduced_contact_work", "verminderde inzet op klantcontact";
    }
}

/// A temporary change of the monthly number: for which months, to what,
/// and why; who decided is the event's actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapChange {
    /// The first month it applies to.
    pub from: Month,
    /// The last month it applies to.
    pub until: Month,
    /// The number of calls per month in that period.
    pub cap: u32,
    /// One of the four reasons.
    pub reason: CapReason,
}

/// The participation record's own fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Handout {
    /// The protocol version handed out (see `governance`).
    version: String,
    /// The exchange's id of the employee (an agent or extension number).
    agent: String,
}

/// An employee's part in the protocol, as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participation {
    /// The record (in the employee's own file).
    pub record: RecordRef,
    /// The employee's name.
    pub name: String,
    /// Their function.
    pub function: String,
    /// The protocol version they were handed.
    pub version: String,
    /// The exchange's id for them.
    pub agent: String,
    /// When they acknowledged receiving it, if they did.
    pub acknowledged: Option<jiff::Timestamp>,
    /// The temporary changes of the monthly number, oldest first, with who decided.
    pub cap_changes: Vec<(CapChange, String)>,
    /// Whether they agreed with their coach not to be told the selection date.
    pub not_announced: bool,
    /// Who coaches and manages them now (a second-opinion coach while they give it).
    pub relations: Vec<(Scope, SubjectId)>,
}

impl Participation {
    /// The number of calls that may be listened to in `month`: the latest
    /// recorded change covering it, else four.
    pub fn cap(&self, month: Month) -> u32 {
        self.cap_changes.iter().rev().find(|(c, _)| c.from <= month && month <= c.until).map_or(MONTHLY_CAP, |(c, _)| c.cap)
    }
}

impl CallQa<'_> {
    /// HR hands the protocol — the version the works council consented
    /// to — to an employee whose file is `employee`, known to the exchange
    /// as `agent` (K0).
    pub fn enrol(&self, access: &Access, employee: &SubjectId, name: &str, function: &str, agent: &str) -> Result<RecordRef, CallQaError> {
        for (what, what_nl, value) in [
            ("the employee's name", "de naam van de medewerker", name),
            ("their function", "de functie van de medewerker", function),
            ("their agent id at the exchange", "het agent-id van de medewerker bij de telefooncentrale", agent),
        ] {
            if value.trim().is_empty() {
                return Err(CallQaError::Missing(Reason::new(what, what_nl)));
            }
        }
        let handout = Handout { version: self.consented_version()?, agent: agent.trim().to_string() };
        let fields =
            [(Category::Name, Value::text(name.trim())), (Category::Function, Value::text(function.trim())), (Category::FreeText, crate::to_text(&handout)?)];
        self.kernel.unit(|unit| {
            if self.participation_of(unit, access, agent.trim())?.is_some() {
                return Err(CallQaError::Invalid(Reason::new(
                    format!("agent id `{}` takes part already; one participation per agent", agent.trim()),
                    format!("Agent-id ‘{}’ doet al mee; elke agent doet één keer mee.", agent.trim()),
                )));
            }
            let record = unit.write(access, self.p.protocol, Some(employee), None, &fields)?;
            unit.index_record(access, self.p.protocol, &record, AGENT, &handout.agent)?;
            Ok(record)
        })
    }

    /// The participation the exchange's agent id belongs to, if the reader may find it.
    pub fn participation_by_agent(&self, access: &Access, agent: &str) -> Result<Option<RecordRef>, CallQaError> {
        self.kernel.reading(|unit| self.participation_of(unit, access, agent))
    }

    /// The participation an agent id of the exchange belongs to.
    pub(crate) fn participation_of(&self, unit: &mut Unit<'_>, access: &Access, agent: &str) -> Result<Option<RecordRef>, CallQaError> {
        Ok(unit.find_records(access, self.p.protocol, AGENT, agent)?.into_iter().next().map(|s| s.record))
    }

    /// HR records (or, with `present` false, ends) that `person` coaches or
    /// manages the employee: a change of coach passes the reports on,
    /// because they are reached by this relation (K7).
    pub fn assign(&self, access: &Access, participation: &RecordRef, scope: Scope, person: &SubjectId, present: bool) -> Result<(), CallQaError> {
        if !matches!(scope, Scope::Coached | Scope::Managed) {
            return Err(CallQaError::Invalid(Reason::new(
                format!("`{scope}`: a participant gets a coach (coached) or a manager (managed)"),
                format!("‘{scope}’ kan niet; een deelnemer krijgt een coach (coached) of een leidinggevende (managed)."),
            )));
        }
        self.kernel.unit(|unit| self.relate_recorded(unit, access, Action::Advance, participation, scope, person, present))
    }

    /// Puts (or takes away) a relation with the employee and records it on
    /// the participation, so that a change of function can end every one.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn relate_recorded(
        &self,
        unit: &mut Unit<'_>,
        access: &Access,
        action: Action,
        participation: &RecordRef,
        scope: Scope,
        person: &SubjectId,
        present: bool,
    ) -> Result<(), CallQaError> {
        let detail = format!("{}{}:{person}", if present { "+" } else { "-" }, scope.name());
        unit.record_event(access, self.p.protocol, participation, action, RELATION, None, Some(Detail::to(Category::FreeText, &detail)))?;
        unit.relate(access, self.p.protocol, action, participation, scope, Some(person), present)?;
        Ok(())
    }

    /// The employee confirms they received the protocol.
    pub fn acknowledge(&self, access: &Access, participation: &RecordRef) -> Result<(), CallQaError> {
        Ok(self.kernel.record_event(access, self.p.protocol, participation, Action::Advance, ACKNOWLEDGED, None, None)?)
    }

    /// The coach records a temporary change of the monthly number (K4).
    pub fn change_cap(&self, access: &Access, participation: &RecordRef, change: &CapChange) -> Result<(), CallQaError> {
        if change.until < change.from {
            return Err(CallQaError::Invalid(Reason::new(
                format!("the period ends ({}) before it starts ({})", change.until, change.from),
                format!("De periode eindigt ({}) voordat hij begint ({}); kies een einde na het begin.", change.until, change.from),
            )));
        }
        let months = (i32::from(change.until.year) * 12 + i32::from(change.until.month)) - (i32::from(change.from.year) * 12 + i32::from(change.from.month));
        if months >= 6 {
            return Err(CallQaError::Invalid(Reason::new(
                "a change of the monthly number is temporary (K4): at most six months; record a new one after",
                "Een ander aantal gesprekken per maand geldt tijdelijk (K4): hoogstens zes maanden. Leg daarna zo nodig een nieuwe afspraak vast.",
            )));
        }
        if change.cap > 2 * MONTHLY_CAP {
            return Err(CallQaError::Invalid(Reason::new(
                format!("{} calls a month is continuous listening, which K4 rules out; at most {}", change.cap, 2 * MONTHLY_CAP),
                format!("{} gesprekken per maand is voortdurend meeluisteren, en dat mag niet (K4); kies hoogstens {}.", change.cap, 2 * MONTHLY_CAP),
            )));
        }
        let detail = serde_json::to_string(change).map_err(|_| CallQaError::Corrupt("cap change"))?;
        Ok(self.kernel.record_event(access, self.p.protocol, participation, Action::Write, CAP_CHANGED, None, Some(Detail::to(Category::FreeText, &detail)))?)
    }

    /// The coach records whether the employee agreed not to be told the
    /// selection date (K6), or takes that back.
    pub fn agree_not_announced(&self, access: &Access, participation: &RecordRef, not_announced: bool) -> Result<(), CallQaError> {
        let detail = if not_announced { "not_announced" } else { "announced" };
        Ok(self.kernel.record_event(access, self.p.protocol, participation, Action::Write, ANNOUNCEMENT, None, Some(Detail::to(Category::FreeText, detail)))?)
    }

    /// The participation as the reader may see it.
    pub fn participation(&self, access: &Access, participation: &RecordRef) -> Result<Participation, CallQaError> {
        self.kernel.reading(|unit| self.read_participation(unit, access, participation))
    }

    /// Everyone whose participation the reader's grant reaches: a coach's
    /// coachees, a manager's team, one's own, or everyone (HR).
    pub fn participants(&self, access: &Access) -> Result<Vec<Participation>, CallQaError> {
        self.kernel.reading(|unit| {
            let listed = unit.list_all(access, self.p.protocol, None)?;
            let mut all = listed.iter().map(|s| self.read_participation(unit, access, &s.record)).collect::<Result<Vec<_>, _>>()?;
            all.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(all)
        })
    }

    /// The employee's participations (one, normally) the reader may see.
    pub fn participations_of(&self, access: &Access, employee: &SubjectId) -> Result<Vec<Participation>, CallQaError> {
        self.kernel.reading(|unit| self.participations_in(unit, access, employee))
    }

    pub(crate) fn participations_in(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId) -> Result<Vec<Participation>, CallQaError> {
        let views = unit.read(access, self.p.protocol, employee, grondslag_register::CategorySet::of(&[Category::Name]))?;
        views.into_iter().map(|v| self.read_participation(unit, access, &RecordRef { subject: employee.clone(), record: v.record })).collect()
    }

    /// The employee's participation; an employee who does not take part has none.
    pub(crate) fn participation_in(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId) -> Result<Participation, CallQaError> {
        self.participations_in(unit, access, employee)?
            .into_iter()
            .next()
            .ok_or_else(|| CallQaError::NotFound("the employee's participation in the protocol".to_string()))
    }

    pub(crate) fn read_participation(&self, unit: &mut Unit<'_>, access: &Access, record: &RecordRef) -> Result<Participation, CallQaError> {
        let view = read_one(unit, access, self.p.protocol, record, &[Category::Name, Category::Function, Category::FreeText])?;
        let text = |c| match view.get(c) {
            Some(Value::Text(t)) => t.clone(),
            _ => String::new(),
        };
        let handout: Option<Handout> = from_field(&view, Category::FreeText, "participation")?;
        let mut participation = Participation {
            record: record.clone(),
            name: text(Category::Name),
            function: text(Category::Function),
            version: handout.as_ref().map(|h| h.version.clone()).unwrap_or_default(),
            agent: handout.map(|h| h.agent).unwrap_or_default(),
            acknowledged: None,
            cap_changes: Vec::new(),
            not_announced: false,
            relations: Vec::new(),
        };
        for event in unit.events(access, self.p.protocol, record)? {
            match (event.event.as_str(), event.detail.as_deref()) {
                (ACKNOWLEDGED, _) => participation.acknowledged = Some(event.at),
                (CAP_CHANGED, Some(detail)) => {
                    let change = serde_json::from_str(detail).map_err(|_| CallQaError::Corrupt("cap change"))?;
                    participation.cap_changes.push((change, event.actor.clone()));
                }
                (ANNOUNCEMENT, Some(detail)) => participation.not_announced = detail == "not_announced",
                (RELATION, Some(detail)) => {
                    let corrupt = || CallQaError::Corrupt("relation");
                    let (sign, rest) = detail.split_at_checked(1).ok_or_else(corrupt)?;
                    let (scope, person) = rest.split_once(':').ok_or_else(corrupt)?;
                    let relation = (Scope::from_name(scope).ok_or_else(corrupt)?, SubjectId::parse(person).map_err(|_| corrupt())?);
                    participation.relations.retain(|r| *r != relation);
                    if sign == "+" {
                        participation.relations.push(relation);
                    }
                }
                _ => {}
            }
        }
        Ok(participation)
    }

    /// The employee changed function (K7): their reports and their
    /// participation go at once, and their coach and managers no longer
    /// reach them. The participation's `function_changed`
    /// event is what the register's terms for both count from; the erasure
    /// in the same step meets them. A step of the system, fed by HR.
    pub fn function_changed(&self, access: &Access, participation: &RecordRef) -> Result<(), CallQaError> {
        self.kernel.unit(|unit| {
            unit.record_event(access, self.p.protocol, participation, Action::Advance, FUNCTION_CHANGED, None, None)?;
            // Coach and managers no longer reach what is left (calls within their four weeks).
            for (scope, person) in self.read_participation(unit, access, participation)?.relations {
                unit.relate(access, self.p.protocol, Action::Advance, participation, scope, Some(&person), false)?;
            }
            unit.erase(access, self.p.reports, &participation.subject)?;
            unit.erase_record(access, self.p.protocol, participation, "the employee changed function (K7)")?;
            Ok(())
        })
    }
}
