//! Threat (K9) and weighty reasons (K10): the two uses where a manager
//! hears a call, each under its own processing.
//!
//! **Threat.** The employee selects a call of their own; a copy goes to
//! `kcc_bedreiging`, dated at the call, kept six months, and the call is
//! withdrawn from every selection. The employee's manager (the `managed`
//! relation) hears it with them; the coach has no role. Together they record
//! the measures, the heaviest being a police report. A hold keeps the copy
//! past six months while a new incident is settled.
//!
//! **Weighty reasons.** Listening opens only after two recorded decisions
//! about the employee, the direct manager's and the department manager's,
//! by two different people, each naming the indication. With the second,
//! the system copies the employee's calls of the period into
//! `kcc_zwaarwegende_redenen`: before it, there is nothing to hear.

use grondslag_kernel::{Access, Detail, RecordRef, SubjectId, Unit, Value};
use grondslag_register::due::RECORDED;
use grondslag_register::{Action, Category, CategorySet, Role};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;

use crate::selection::WITHDRAWN;
use crate::{CallQa, CallQaError, Recording, from_field, read_one};

const MEASURE: &str = "measure";

closed_list! {
    /// The measures K9 names; a police report is the heaviest.
    Measure, "a measure K9 allows" {
        /// A talk with the caller about their conduct (ordegesprek).
        Talk = "talk", "ordegesprek met de beller";
        /// Denying the caller ways to contact us.
        ContactDenied = "contact_denied", "ontzeggen van contactmogelijkheden";
        /// A report to the police.
        PoliceReport = "police_report", "aangifte bij de politie";
    }
}

closed_list! {
    /// The indications K10 names for weighty reasons.
    Indication, "an indication K10 names" {
        /// Fraud.
        Fraud = "fraud", "fraude";
        /// Refusing work.
        WorkRefusal = "work_refusal", "werkweigering";
        /// A conflict of interest.
        ConflictOfInterest = "conflict_of_interest", "belangenverstrengeling";
        /// A breach of integrity.
        IntegrityBreach = "integrity_breach", "schending van de integriteit";
    }
}

/// Which of the two managers K10 requires took a decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decider {
    /// The direct manager (role `manager`).
    DirectManager,
    /// The department manager (role `department_manager`).
    DepartmentManager,
}

impl Decider {
    /// As a message names them.
    pub fn label(self) -> &'static str {
        match self {
            Decider::DirectManager => "direct manager",
            Decider::DepartmentManager => "department manager",
        }
    }

    /// Who decides, as a page names them.
    pub fn label_nl(self) -> &'static str {
        match self {
            Decider::DirectManager => "de direct leidinggevende",
            Decider::DepartmentManager => "de afdelingsmanager",
        }
    }
}

/// A manager's decision to listen for weighty reasons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Which manager took it.
    pub decider: Decider,
    /// Who took it.
    pub by: String,
    /// The indication.
    pub indication: Indication,
    /// The facts that indicate it.
    pub grounds: String,
    /// The calls of this period are heard.
    pub from: Timestamp,
    /// Until this moment.
    pub until: Timestamp,
}

/// A threat recording as its readers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threat {
    /// The copy.
    pub record: RecordRef,
    /// The call.
    pub call: crate::Call,
    /// What happened, in the employee's words.
    pub description: String,
    /// The measures recorded, with who recorded them.
    pub measures: Vec<(Measure, String, String)>,
}

impl CallQa<'_> {
    /// The employee reports a threat on a call of their own: a copy is kept
    /// six months under `kcc_bedreiging`, and the call leaves monitoring.
    pub fn report_threat(&self, access: &Access, call: &RecordRef, description: &str) -> Result<RecordRef, CallQaError> {
        if description.trim().is_empty() {
            return Err(CallQaError::Missing(Reason::new("what happened in the call", "wat er in het gesprek gebeurde")));
        }
        self.kernel.unit(|unit| {
            unit.check(access, self.p.threat, Action::File)?;
            let recording = crate::recording_of(&read_one(unit, access, self.p.calls, call, &[Category::CallMeta, Category::CallRecording])?)?;
            let start = recording.call.start;
            let fields = [
                (Category::CallMeta, crate::to_text(&recording.call)?),
                (Category::CallRecording, Value::Bytes(recording.bytes)),
                (Category::FreeText, Value::text(description.trim())),
            ];
            let copy = unit.write(access, self.p.threat, Some(&call.subject), None, &fields)?;
            unit.record_event_at(access, self.p.threat, &copy, Action::File, RECORDED, None, None, start)?;
            unit.record_event(access, self.p.calls, call, Action::Advance, WITHDRAWN, None, None)?;
            Ok(copy)
        })
    }

    /// The employee or their manager records a measure taken.
    pub fn record_measure(&self, access: &Access, threat: &RecordRef, measure: Measure, note: &str) -> Result<(), CallQaError> {
        let detail = serde_json::to_string(&(measure, note.trim())).map_err(|_| CallQaError::Corrupt("measure"))?;
        Ok(self.kernel.record_event(access, self.p.threat, threat, Action::Advance, MEASURE, None, Some(Detail::to(Category::FreeText, &detail)))?)
    }

    /// The manager keeps the recording past six months while a new incident
    /// or a measure needs it, until `review` at the latest; `settle` ends it.
    pub fn hold_threat(&self, access: &Access, threat: &RecordRef, reason: &str, review: Timestamp) -> Result<(), CallQaError> {
        if reason.trim().is_empty() {
            return Err(CallQaError::Missing(Reason::new(
                "the incident or measure that needs the recording",
                "het incident of de maatregel waarvoor de opname nodig is",
            )));
        }
        Ok(self.kernel.hold(access, self.p.threat, threat, reason.trim(), review)?)
    }

    /// The incident is settled: the hold ends, and a recording past six months goes.
    pub fn settle_threat(&self, access: &Access, threat: &RecordRef, outcome: &str) -> Result<(), CallQaError> {
        Ok(self.kernel.release(access, self.p.threat, threat, outcome)?)
    }

    /// The threat recordings of an employee the reader may see.
    pub fn threats_of(&self, access: &Access, employee: &SubjectId) -> Result<Vec<Threat>, CallQaError> {
        self.kernel.reading(|unit| {
            let views = unit.read(access, self.p.threat, employee, CategorySet::of(&[Category::CallMeta, Category::FreeText]))?;
            let mut all = Vec::new();
            for view in views {
                let record = RecordRef { subject: employee.clone(), record: view.record.clone() };
                let mut measures = Vec::new();
                for event in unit.events(access, self.p.threat, &record)? {
                    if let (MEASURE, Some(detail)) = (event.event.as_str(), event.detail) {
                        let (measure, note): (Measure, String) = serde_json::from_str(&detail).map_err(|_| CallQaError::Corrupt("measure"))?;
                        measures.push((measure, note, event.actor));
                    }
                }
                let description = match view.get(Category::FreeText) {
                    Some(Value::Text(text)) => text.clone(),
                    _ => String::new(),
                };
                all.push(Threat { record, call: crate::call_of(&view)?, description, measures });
            }
            Ok(all)
        })
    }

    /// Plays a threat recording (the employee, their manager).
    pub fn listen_threat(&self, access: &Access, threat: &RecordRef) -> Result<Recording, CallQaError> {
        self.kernel.reading(|unit| crate::recording_of(&read_one(unit, access, self.p.threat, threat, &[Category::CallMeta, Category::CallRecording])?))
    }

    /// A manager records their decision to listen for weighty reasons. The
    /// decision that completes the pair (direct manager and department
    /// manager, two people) opens the investigation: the employee's calls
    /// of the period are copied in. Returns how many were copied (0 until both decided).
    pub fn decide_weighty(
        &self,
        access: &Access,
        employee: &SubjectId,
        indication: Indication,
        grounds: &str,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<usize, CallQaError> {
        self.kernel.unit(|unit| {
            // Decided before the decision is judged: a role that may not
            // decide is refused by the register, not told what is missing.
            unit.check(access, self.p.weighty, Action::File)?;
            let decisions = self.read_decisions(unit, access, employee)?;
            let decider = match access.role {
                Role::Manager => Decider::DirectManager,
                Role::DepartmentManager => Decider::DepartmentManager,
                _ => {
                    return Err(CallQaError::Invalid(Reason::new(
                        "only the direct manager and the department manager decide on weighty reasons (K10)",
                        "Alleen de direct leidinggevende en de afdelingsmanager besluiten over meeluisteren om zwaarwegende redenen (K10).",
                    )));
                }
            };
            if grounds.trim().is_empty() {
                return Err(CallQaError::Missing(Reason::new(
                    "the clear indications the decision rests on",
                    "de duidelijke aanwijzingen waarop het besluit rust",
                )));
            }
            if until <= from {
                return Err(CallQaError::Invalid(Reason::new(
                    "the period ends before it starts",
                    "De periode eindigt voordat hij begint; kies een laatste dag op of na de eerste.",
                )));
            }
            let decision = Decision { decider, by: access.actor.clone(), indication, grounds: grounds.trim().to_string(), from, until };
            if decisions.iter().any(|d| d.decider == decider) {
                return Err(CallQaError::Invalid(Reason::new(
                    format!("the {}'s decision is recorded already", decider.label()),
                    format!("Het besluit van {} is al vastgelegd.", decider.label_nl()),
                )));
            }
            let record = unit.write(access, self.p.weighty, Some(employee), None, &[(Category::FreeText, crate::to_text(&decision)?)])?;
            unit.record_event(access, self.p.weighty, &record, Action::File, RECORDED, None, None)?;
            let Some(other) = decisions.first() else { return Ok(0) };
            if other.by == decision.by {
                return Err(CallQaError::SameDecider);
            }
            let (from, until) = (from.max(other.from), until.min(other.until));
            let system = Access::new(grondslag_accounts::system_actor::WEIGHTY_REASONS, Role::System, access.origin.clone(), access.now);
            let mut copied = 0;
            for (call, meta) in self.read_calls(unit, &system, employee)? {
                if meta.start < from || meta.start > until || meta.media_type.is_none() {
                    continue;
                }
                let recording = crate::recording_of(&read_one(unit, &system, self.p.calls, &call, &[Category::CallMeta, Category::CallRecording])?)?;
                let fields = [(Category::CallMeta, crate::to_text(&recording.call)?), (Category::CallRecording, Value::Bytes(recording.bytes))];
                let copy = unit.write(&system, self.p.weighty, Some(employee), None, &fields)?;
                unit.record_event_at(&system, self.p.weighty, &copy, Action::File, RECORDED, None, None, meta.start)?;
                copied += 1;
            }
            Ok(copied)
        })
    }

    /// The employees with a decision about weighty reasons the reader's
    /// grant reaches, with their names: where a department manager finds
    /// what awaits them.
    pub fn investigations(&self, access: &Access) -> Result<Vec<(SubjectId, String)>, CallQaError> {
        self.kernel.reading(|unit| {
            let mut subjects: Vec<SubjectId> = unit.list_all(access, self.p.weighty, None)?.into_iter().map(|s| s.record.subject).collect();
            subjects.sort();
            subjects.dedup();
            subjects
                .into_iter()
                .map(|employee| {
                    let name = self.participations_in(unit, access, &employee)?.into_iter().next().map(|p| p.name).unwrap_or_default();
                    Ok((employee, name))
                })
                .collect()
        })
    }

    /// The decisions recorded about an employee, as a manager reads them.
    pub fn weighty_decisions(&self, access: &Access, employee: &SubjectId) -> Result<Vec<Decision>, CallQaError> {
        self.kernel.reading(|unit| self.read_decisions(unit, access, employee))
    }

    /// The calls a manager may hear for weighty reasons: refused, with what
    /// is missing, until both decisions are recorded.
    pub fn investigated_calls(&self, access: &Access, employee: &SubjectId) -> Result<Vec<(RecordRef, crate::Call)>, CallQaError> {
        self.kernel.reading(|unit| {
            let decisions = self.read_decisions(unit, access, employee)?;
            for decider in [Decider::DirectManager, Decider::DepartmentManager] {
                if !decisions.iter().any(|d| d.decider == decider) {
                    return Err(CallQaError::NotDecided(decider));
                }
            }
            let views = unit.read(access, self.p.weighty, employee, CategorySet::of(&[Category::CallMeta]))?;
            views.iter().map(|v| Ok((RecordRef { subject: employee.clone(), record: v.record.clone() }, crate::call_of(v)?))).collect()
        })
    }

    /// Plays a call copied into an investigation.
    pub fn listen_investigated(&self, access: &Access, copy: &RecordRef) -> Result<Recording, CallQaError> {
        self.kernel.reading(|unit| crate::recording_of(&read_one(unit, access, self.p.weighty, copy, &[Category::CallMeta, Category::CallRecording])?))
    }

    fn read_decisions(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId) -> Result<Vec<Decision>, CallQaError> {
        let views = unit.read(access, self.p.weighty, employee, CategorySet::of(&[Category::FreeText]))?;
        views.iter().map(|v| from_field::<Decision>(v, Category::FreeText, "decision")).filter_map(Result::transpose).collect()
    }
}
