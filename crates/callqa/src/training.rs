//! Training and calibration (K8). A recording is used in a training for
//! contact skills or coach skills, or in a calibration session, only with
//! the consent of the employee whose call it is. The consent is a record
//! in the employee's file under the use's processing, dated at the call so
//! that it goes with it; the copy used belongs to the consent, so
//! withdrawing the consent removes the copy at once, and both go four weeks
//! after the original recording date.
//!
//! Calibration: coaches each score the same calls on the form; their
//! agreement per criterion is Fleiss' kappa over the calls of the session,
//! which is what "uniform through calibration" means in numbers.

use std::collections::BTreeMap;

use grondslag_kernel::{Access, RecordRef, SubjectId, Unit, Value};
use grondslag_register::due::RECORDED;
use grondslag_register::{Action, Category, CategorySet, ProcessingId};
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;

use crate::form::{Answer, CRITERIA};
use crate::{CallQa, CallQaError, Recording, from_field, read_one};

closed_list! {
    /// What a recording is used for (K8): nothing else.
    Use, "a use K8 allows: a recording is used for training or calibration only" {
        /// A training in contact skills (`kcc_opleiding_klantcontact`).
        Training = "training", "opleiding klantcontactvaardigheden";
        /// A training in coach skills or a calibration session (`kcc_opleiding_coach_kalibratie`).
        Calibration = "calibration", "opleiding coachvaardigheden en kalibratie";
    }
}

/// What the consent record holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Consent {
    use_: Use,
    call_id: String,
}

/// What a record under a use's processing holds: a consent, or the copy used.
/// The consent a record of a use's processing holds; none for a copy of
/// a call, which is held there too. A malformed record is an error.
fn consent_in(view: &grondslag_kernel::RecordView) -> Result<Option<Consent>, CallQaError> {
    let Some(Value::Text(text)) = view.get(Category::CallMeta) else { return Ok(None) };
    let document: serde_json::Value = serde_json::from_str(text).map_err(|_| CallQaError::Corrupt("consent"))?;
    if document.get("use_").is_none() {
        return Ok(None);
    }
    serde_json::from_value(document).map(Some).map_err(|_| CallQaError::Corrupt("consent"))
}

/// A coach's scores of a calibration call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Scores {
    /// The copy scored (its record id).
    copy: String,
    /// The coach who scored.
    by: String,
    answers: Vec<Answer>,
}

/// The coaches' agreement in a calibration session.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    /// The calls scored by at least two coaches.
    pub calls: usize,
    /// The coaches who scored.
    pub coaches: usize,
    /// Per criterion (1–23), Fleiss' kappa; none when it cannot be computed
    /// (fewer than two scorers, or every answer the same).
    pub per_criterion: Vec<Option<f64>>,
    /// Fleiss' kappa over all criteria of all calls together.
    pub overall: Option<f64>,
}

impl CallQa<'_> {
    fn use_processing(&self, use_: Use) -> ProcessingId {
        match use_ {
            Use::Training => self.p.training,
            Use::Calibration => self.p.calibration,
        }
    }

    /// The employee consents to `use_` of a call of their own.
    pub fn consent(&self, access: &Access, call: &RecordRef, use_: Use) -> Result<RecordRef, CallQaError> {
        let processing = self.use_processing(use_);
        self.kernel.unit(|unit| {
            unit.check(access, processing, Action::File)?;
            let recorded = crate::call_of(&read_one(unit, access, self.p.calls, call, &[Category::CallMeta])?)?;
            let consent = Consent { use_, call_id: recorded.call_id.clone() };
            let fields = [(Category::CallMeta, crate::to_text(&consent)?)];
            let record = unit.write(access, processing, Some(&call.subject), None, &fields)?;
            unit.record_event_at(access, processing, &record, Action::File, RECORDED, None, None, recorded.start)?;
            Ok(record)
        })
    }

    /// The consents given for the employee's calls the reader may see:
    /// the consent record, its use and the call's id.
    pub fn consents_of(&self, access: &Access, employee: &SubjectId) -> Result<Vec<(RecordRef, Use, String)>, CallQaError> {
        self.kernel.reading(|unit| {
            let mut all = Vec::new();
            for use_ in [Use::Training, Use::Calibration] {
                for view in unit.read(access, self.use_processing(use_), employee, CategorySet::of(&[Category::CallMeta]))? {
                    // The use's processing holds the copies used as well; only consents are listed.
                    if let Some(consent) = consent_in(&view)? {
                        all.push((RecordRef { subject: employee.clone(), record: view.record }, consent.use_, consent.call_id));
                    }
                }
            }
            Ok(all)
        })
    }

    /// The employee withdraws a consent: the copy used goes with it, at once.
    pub fn withdraw_consent(&self, access: &Access, consent: &RecordRef, use_: Use) -> Result<(), CallQaError> {
        self.kernel.erase_record(access, self.use_processing(use_), consent, "consent withdrawn (K8)")?;
        Ok(())
    }

    /// A coach takes a call into a training or a calibration session:
    /// refused without the employee's consent. The copy keeps the original
    /// recording date, so it goes four weeks after it.
    pub fn use_call(&self, access: &Access, call: &RecordRef, use_: Use) -> Result<RecordRef, CallQaError> {
        let processing = self.use_processing(use_);
        self.kernel.unit(|unit| {
            let view = read_one(unit, access, self.p.calls, call, &[Category::CallMeta, Category::CallRecording])?;
            let recording = crate::recording_of(&view)?;
            let Some(consent) = self.consent_for(unit, access, processing, call, &recording.call.call_id)? else {
                return Err(CallQaError::NoConsent(recording.call.call_id));
            };
            let fields = [(Category::CallMeta, crate::to_text(&recording.call)?), (Category::CallRecording, Value::Bytes(recording.bytes))];
            let copy = unit.write(access, processing, Some(&call.subject), None, &fields)?;
            unit.record_event_at(access, processing, &copy, Action::File, RECORDED, None, None, recording.call.start)?;
            unit.belong_to(access, processing, &copy, &consent)?;
            Ok(copy)
        })
    }

    /// Plays a copy in a training or a calibration session.
    pub fn listen_used(&self, access: &Access, copy: &RecordRef, use_: Use) -> Result<Recording, CallQaError> {
        self.kernel
            .reading(|unit| crate::recording_of(&read_one(unit, access, self.use_processing(use_), copy, &[Category::CallMeta, Category::CallRecording])?))
    }

    /// A coach scores a calibration copy on the form's criteria.
    pub fn score(&self, access: &Access, copy: &RecordRef, answers: &[Answer]) -> Result<RecordRef, CallQaError> {
        if answers.len() != CRITERIA.len() {
            return Err(CallQaError::InvalidForm(Reason::new(
                format!("a calibration score answers all {} criteria; {} given", CRITERIA.len(), answers.len()),
                format!("Een kalibratiescore beantwoordt alle {} criteria; er zijn er {} ingevuld.", CRITERIA.len(), answers.len()),
            )));
        }
        let scores = Scores { copy: copy.record.to_string(), by: access.actor.clone(), answers: answers.to_vec() };
        self.kernel.unit(|unit| {
            let record = unit.write(access, self.p.calibration, Some(&copy.subject), None, &[(Category::FreeText, crate::to_text(&scores)?)])?;
            unit.belong_to(access, self.p.calibration, &record, copy)?;
            Ok(record)
        })
    }

    /// The coaches' agreement over the calibration copies given, from
    /// every score of them. Reading scores is reading the calibration
    /// processing, which only coaches may.
    pub fn agreement(&self, access: &Access, copies: &[RecordRef]) -> Result<Agreement, CallQaError> {
        self.kernel.reading(|unit| {
            // Per copy: per scorer, the answers.
            let mut per_copy: Vec<Vec<Vec<Answer>>> = Vec::new();
            let mut coaches = std::collections::BTreeSet::new();
            for copy in copies {
                let mut scores = Vec::new();
                for (actor, score) in self.scores_of(unit, access, copy)? {
                    coaches.insert(actor);
                    scores.push(score.answers);
                }
                if scores.len() >= 2 {
                    per_copy.push(scores);
                }
            }
            let per_criterion =
                (0..CRITERIA.len()).map(|i| fleiss_kappa(&per_copy.iter().map(|s| s.iter().map(|a| a[i]).collect::<Vec<_>>()).collect::<Vec<_>>())).collect();
            let all_items: Vec<Vec<Answer>> = per_copy.iter().flat_map(|s| (0..CRITERIA.len()).map(move |i| s.iter().map(|a| a[i]).collect())).collect();
            Ok(Agreement { calls: per_copy.len(), coaches: coaches.len(), per_criterion, overall: fleiss_kappa(&all_items) })
        })
    }

    /// The consent record for a call under a use's processing, if there is one.
    fn consent_for(
        &self,
        unit: &mut Unit<'_>,
        access: &Access,
        processing: ProcessingId,
        call: &RecordRef,
        call_id: &str,
    ) -> Result<Option<RecordRef>, CallQaError> {
        for view in unit.read(access, processing, &call.subject, CategorySet::of(&[Category::CallMeta]))? {
            if let Some(consent) = consent_in(&view)?
                && consent.call_id == call_id
            {
                return Ok(Some(RecordRef { subject: call.subject.clone(), record: view.record }));
            }
        }
        Ok(None)
    }

    /// The scores of one calibration copy, by who scored (a coach's latest counts).
    fn scores_of(&self, unit: &mut Unit<'_>, access: &Access, copy: &RecordRef) -> Result<BTreeMap<String, Scores>, CallQaError> {
        let mut scores = BTreeMap::new();
        for view in unit.read(access, self.p.calibration, &copy.subject, CategorySet::of(&[Category::FreeText]))? {
            if let Some(score) = from_field::<Scores>(&view, Category::FreeText, "calibration score")?
                && score.copy == copy.record.as_str()
            {
                scores.insert(score.by.clone(), score);
            }
        }
        Ok(scores)
    }
}

/// Fleiss' kappa over items each rated by two or more raters into
/// categories; raters per item may differ. None when it is undefined:
/// no item with two ratings, or every rating in one category.
pub fn fleiss_kappa(items: &[Vec<Answer>]) -> Option<f64> {
    let items: Vec<&Vec<Answer>> = items.iter().filter(|i| i.len() >= 2).collect();
    if items.is_empty() {
        return None;
    }
    let mut totals: BTreeMap<Answer, f64> = BTreeMap::new();
    let mut ratings = 0.0;
    let mut observed = 0.0;
    for item in &items {
        let n = item.len() as f64;
        let mut counts: BTreeMap<Answer, f64> = BTreeMap::new();
        for answer in item.iter() {
            *counts.entry(*answer).or_default() += 1.0;
            *totals.entry(*answer).or_default() += 1.0;
        }
        ratings += n;
        observed += (counts.values().map(|c| c * c).sum::<f64>() - n) / (n * (n - 1.0));
    }
    let observed = observed / items.len() as f64;
    let expected: f64 = totals.values().map(|t| (t / ratings).powi(2)).sum();
    if (1.0 - expected).abs() < f64::EPSILON {
        return None;
    }
    Some((observed - expected) / (1.0 - expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Answer::{Ja, Nee, NietTeConstateren as Ntc};

    #[test]
    fn fleiss_kappa_is_one_when_all_agree_and_matches_a_worked_example() {
        assert_eq!(fleiss_kappa(&[vec![Ja, Ja, Ja], vec![Nee, Nee, Nee]]), Some(1.0));
        assert_eq!(fleiss_kappa(&[vec![Ja, Ja], vec![Ja, Ja]]), None, "one category only: undefined");
        assert_eq!(fleiss_kappa(&[vec![Ja]]), None);
        // Worked by hand: items (Ja,Ja,Nee), (Ja,Nee,Ntc), (Nee,Nee,Nee).
        // P_i = 1/3, 0, 1; P̄ = 4/9. p = (3/9, 5/9, 1/9); P_e = 35/81.
        // kappa = (4/9 - 35/81) / (1 - 35/81) = (1/81) / (46/81) = 1/46.
        let kappa = fleiss_kappa(&[vec![Ja, Ja, Nee], vec![Ja, Nee, Ntc], vec![Nee, Nee, Nee]]).unwrap();
        assert!((kappa - 1.0 / 46.0).abs() < 1e-12, "{kappa}");
    }
}
