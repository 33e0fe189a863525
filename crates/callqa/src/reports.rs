//! The report of monitoring and coaching (K7) and the employee's right to
//! have one deleted (K11).
//!
//! A report is the form of Bijlage 1 about a drawn call, kept in the
//! employee's file under `kcc_verslagen`, which the register opens to the
//! employee and the coaches who coach them — not the manager, not HR, and
//! it is never part of the personnel file. A change of coach passes the
//! reports on by the relation; a change of function deletes them
//! (`team::function_changed`). Each step is a dated event with who took
//! it: the coach's and the employee's view (zienswijze), the conclusions
//! the coach writes down, the employee's agreement, a second opinion by
//! another coach on the employee's request, and a request for deletion with
//! the coach team's reasoned decision within four weeks.

use grondslag_kernel::{Access, Detail, RecordRef, SubjectId, Unit, Value};
use grondslag_register::{Action, Category, CategorySet, Scope};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;

use crate::form::{Answer, CRITERIA, Form, Norm, Phase};
use crate::{CallQa, CallQaError, from_field, read_one};

/// The term for deciding on a deletion request (K11): four weeks.
pub const DECISION_TERM: SignedDuration = SignedDuration::from_hours(28 * 24);

/// A summary for the performance cycle covers at least this many reports,
/// so that it cannot be traced to one recording (K7).
pub const MIN_SUMMARY: usize = 3;

const VIEW_COACH: &str = "view_coach";
const VIEW_EMPLOYEE: &str = "view_employee";
const CONCLUDED: &str = "concluded";
const AGREED: &str = "agreed";
const SECOND_OPINION_ASKED: &str = "second_opinion_requested";
const SECOND_OPINION: &str = "second_opinion";
const DELETION_REQUESTED: &str = "deletion_requested";
const DELETION_REFUSED: &str = "deletion_refused";
const DELETION_GRANTED: &str = "deletion_granted";
const DRAFT: &str = "draft";

closed_list! {
    /// The grounds K11 gives for asking a report's deletion.
    DeletionGround, "a ground K11 gives" {
        /// The report is incorrect.
        Incorrect = "incorrect", "onjuist";
        /// It is not (or no longer) relevant.
        NotRelevant = "not_relevant", "niet (langer) ter zake doend";
        /// It was made against the protocol.
        AgainstProtocol = "against_protocol", "in strijd met het protocol";
    }
}

/// The call a report is about, as stored with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedCall {
    /// The exchange's id; none for a call listened to live.
    pub call_id: Option<String>,
    /// How people recognise it.
    pub label: String,
}

/// Who takes a step on a report: the employee it is about, or a coach.
/// The register lets both advance a report; some steps are one party's
/// (the employee agrees, asks; the coach concludes, decides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Party {
    Employee,
    Coach,
}

impl Party {
    fn of(access: &Access, report: &RecordRef) -> Party {
        if access.subject.as_ref() == Some(&report.subject) { Party::Employee } else { Party::Coach }
    }

    fn require(self, access: &Access, report: &RecordRef, step: &str) -> Result<(), CallQaError> {
        match (self, Party::of(access, report)) {
            (Party::Employee, Party::Coach) => Err(CallQaError::Invalid(Reason::new(
                format!("only the employee the report is about takes this step ({step})"),
                "Deze stap zet alleen de medewerker over wie het verslag gaat.",
            ))),
            (Party::Coach, Party::Employee) => Err(CallQaError::Invalid(Reason::new(
                format!("a coach takes this step ({step}), not the employee the report is about"),
                "Deze stap zet de coach, niet de medewerker over wie het verslag gaat.",
            ))),
            _ => Ok(()),
        }
    }
}

/// What is stored as the report's text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    form: Form,
    norm: Norm,
}

/// A request to delete a report, and its decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRequest {
    /// Why.
    pub ground: DeletionGround,
    /// The employee's explanation.
    pub explanation: String,
    /// When it was asked; the decision is due four weeks later.
    #[serde(default = "Timestamp::default")]
    pub requested_at: Timestamp,
    /// The coach team's refusal with its reasons, if refused.
    #[serde(default)]
    pub refused: Option<String>,
}

impl DeletionRequest {
    /// When the decision is due.
    pub fn due(&self) -> Timestamp {
        self.requested_at + DECISION_TERM
    }
}

/// A report as its readers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The record.
    pub record: RecordRef,
    /// The form.
    pub form: Form,
    /// The norm derived from it.
    pub norm: Norm,
    /// The call it is about.
    pub call: Option<ReportedCall>,
    /// The coach's view (zienswijze).
    pub coach_view: Option<String>,
    /// The employee's view.
    pub employee_view: Option<String>,
    /// The conclusions, once written down.
    pub conclusions: Option<String>,
    /// When the employee agreed them.
    pub agreed: Option<Timestamp>,
    /// Why the employee asked for a second opinion, if they did.
    pub second_opinion_asked: Option<String>,
    /// Second opinions: the coach's name and text.
    pub second_opinions: Vec<(String, String)>,
    /// The latest request for deletion.
    pub deletion: Option<DeletionRequest>,
}

/// What the performance cycle may see: numbers over several reports, no
/// dates, no calls, no remarks (K7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Reports summarised.
    pub reports: usize,
    /// Of those, meeting the norm.
    pub meeting_norm: usize,
    /// Per phase: criteria answered Ja, of those judged.
    pub per_phase: Vec<(Phase, usize, usize)>,
}

impl CallQa<'_> {
    /// The coach files the form about a drawn call of the employee.
    pub fn file_report(&self, access: &Access, call: &RecordRef, form: &Form) -> Result<RecordRef, CallQaError> {
        self.kernel.unit(|unit| {
            // Decided before the form is judged, so that a refusal is never
            // shown as a mistake in the form.
            unit.check(access, self.p.reports, Action::File)?;
            let view = read_one(unit, access, self.p.calls, call, &[Category::CallMeta])?;
            form.check()?;
            let reported = crate::call_of(&view)?;
            self.require_drawn(unit, access, &call.subject, &reported.call_id)?;
            let about = ReportedCall { call_id: Some(reported.call_id.clone()), label: reported.label() };
            self.store_report(unit, access, &call.subject, form, &about)
        })
    }

    /// The coach listened along live, side by side (K1): monitoring too, so
    /// it counts toward the month's number of the selection, and is refused
    /// beyond it like a draw. Files the form, which must say `Live`.
    pub fn file_live_report(&self, access: &Access, selection: &RecordRef, form: &Form) -> Result<RecordRef, CallQaError> {
        form.check()?;
        if form.handling != crate::form::Handling::Live {
            return Err(CallQaError::InvalidForm(Reason::new(
                "a report of listening along live says so (handling: live)",
                "Een verslag van live meeluisteren heeft als manier van beoordelen ‘live’; kies die.",
            )));
        }
        self.kernel.unit(|unit| {
            let mut draw = self.read_draw(unit, access, selection)?;
            let cap = self.participation_in(unit, access, &selection.subject)?.cap(draw.month);
            draw.check_cap(cap, 1)?;
            draw.live += 1;
            self.store_draw(unit, access, selection, &draw)?;
            let about = ReportedCall { call_id: None, label: format!("live meegeluisterd, {}", grondslag_values::dutch::date(form.date)) };
            self.store_report(unit, access, &selection.subject, form, &about)
        })
    }

    fn store_report(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId, form: &Form, about: &ReportedCall) -> Result<RecordRef, CallQaError> {
        let stored = Stored { form: form.clone(), norm: form.norm() };
        let fields =
            [(Category::Name, Value::text(form.coachee.trim())), (Category::FreeText, crate::to_text(&stored)?), (Category::CallMeta, crate::to_text(about)?)];
        let record = unit.write(access, self.p.reports, Some(employee), None, &fields)?;
        unit.record_event(access, self.p.reports, &record, Action::File, DRAFT, Some(DRAFT), None)?;
        Ok(record)
    }

    /// The coach or the employee gives their view (zienswijze).
    pub fn give_view(&self, access: &Access, report: &RecordRef, view: &str) -> Result<(), CallQaError> {
        let event = if Party::of(access, report) == Party::Employee { VIEW_EMPLOYEE } else { VIEW_COACH };
        self.note(access, report, None, event, None, ("the view", "je zienswijze"), view)
    }

    /// The coach writes down the conclusions formulated together, once both have given their view.
    pub fn conclude(&self, access: &Access, report: &RecordRef, conclusions: &str) -> Result<(), CallQaError> {
        let current = self.report(access, report)?;
        if current.coach_view.is_none() || current.employee_view.is_none() {
            return Err(CallQaError::Invalid(Reason::new(
                "coach and employee each give their view first; the conclusions are formulated together after (K7)",
                "Eerst geven coach en medewerker elk hun zienswijze; daarna stellen jullie samen de conclusies op (K7).",
            )));
        }
        self.note(access, report, Some(Party::Coach), CONCLUDED, Some(CONCLUDED), ("the conclusions", "de conclusies"), conclusions)
    }

    /// The employee agrees the conclusions.
    pub fn agree(&self, access: &Access, report: &RecordRef) -> Result<(), CallQaError> {
        if self.report(access, report)?.conclusions.is_none() {
            return Err(CallQaError::Invalid(Reason::new(
                "there are no conclusions to agree yet",
                "Er zijn nog geen conclusies om mee in te stemmen; stel die eerst samen op.",
            )));
        }
        Party::Employee.require(access, report, AGREED)?;
        Ok(self.kernel.record_event(access, self.p.reports, report, Action::Advance, AGREED, Some(AGREED), None)?)
    }

    /// The employee asks for a second opinion by another coach (K7).
    pub fn ask_second_opinion(&self, access: &Access, report: &RecordRef, why: &str) -> Result<(), CallQaError> {
        self.note(
            access,
            report,
            Some(Party::Employee),
            SECOND_OPINION_ASKED,
            None,
            ("why a second opinion is asked", "waarom je een second opinion vraagt"),
            why,
        )
    }

    /// The employee's coach brings in another coach for a second opinion:
    /// that coach reaches the employee's reports until they give it.
    pub fn bring_in_second_coach(&self, access: &Access, report: &RecordRef, second: &SubjectId) -> Result<(), CallQaError> {
        if access.subject.as_ref() == Some(second) {
            return Err(CallQaError::Invalid(Reason::new(
                "a second opinion is given by another coach than the employee's own",
                "Een second opinion geeft een andere coach dan de eigen coach van de medewerker.",
            )));
        }
        self.kernel.unit(|unit| {
            if self.read_report(unit, access, report)?.second_opinion_asked.is_none() {
                return Err(CallQaError::Invalid(Reason::new(
                    "the employee has not asked for a second opinion on this report",
                    "De medewerker heeft over dit verslag geen second opinion gevraagd.",
                )));
            }
            Party::Coach.require(access, report, "second_coach")?;
            let participation = self.participation_in(unit, access, &report.subject)?.record;
            self.relate_recorded(unit, access, Action::Write, &participation, Scope::Coached, second, true)?;
            Ok(())
        })
    }

    /// The second coach gives their opinion; their access ends with it.
    pub fn give_second_opinion(&self, access: &Access, report: &RecordRef, opinion: &str) -> Result<(), CallQaError> {
        if opinion.trim().is_empty() {
            return Err(CallQaError::Missing(Reason::new("the second opinion", "de second opinion")));
        }
        let own = access
            .subject
            .clone()
            .ok_or(CallQaError::Missing(Reason::new("the second coach's own file", "je eigen dossier als coach (log in als de tweede coach)")))?;
        self.kernel.unit(|unit| {
            unit.check_record(access, self.p.reports, report, Action::Advance)?;
            Party::Coach.require(access, report, SECOND_OPINION)?;
            unit.record_event(access, self.p.reports, report, Action::Advance, SECOND_OPINION, None, Some(Detail::to(Category::FreeText, opinion.trim())))?;
            let participation = self.participation_in(unit, access, &report.subject)?.record;
            self.relate_recorded(unit, access, Action::Write, &participation, Scope::Coached, &own, false)?;
            Ok(())
        })
    }

    /// The employee asks for the report's deletion (K11).
    pub fn request_deletion(&self, access: &Access, report: &RecordRef, ground: DeletionGround, explanation: &str) -> Result<(), CallQaError> {
        let request = DeletionRequest { ground, explanation: explanation.trim().to_string(), requested_at: access.now, refused: None };
        let detail = serde_json::to_string(&request).map_err(|_| CallQaError::Corrupt("deletion request"))?;
        self.kernel.unit(|unit| {
            unit.check_record(access, self.p.reports, report, Action::Advance)?;
            Party::Employee.require(access, report, DELETION_REQUESTED)?;
            let detail = Detail::to(Category::FreeText, &detail);
            unit.record_event(access, self.p.reports, report, Action::Advance, DELETION_REQUESTED, Some(DELETION_REQUESTED), Some(detail))?;
            Ok(())
        })
    }

    /// The coach team decides on a deletion request, with reasons; a granted
    /// request is carried out at once (K11).
    pub fn decide_deletion(&self, access: &Access, report: &RecordRef, grant: bool, reasons: &str) -> Result<(), CallQaError> {
        if reasons.trim().is_empty() {
            return Err(CallQaError::Missing(Reason::new("the reasons for the decision", "de redenen voor het besluit")));
        }
        self.kernel.unit(|unit| {
            // Granting erases, refusing is a step: decided before the request is looked at.
            unit.check(access, self.p.reports, if grant { Action::Erase } else { Action::Advance })?;
            let current = self.read_report(unit, access, report)?;
            Party::Coach.require(access, report, "deletion_decided")?;
            if current.deletion.as_ref().is_none_or(|d| d.refused.is_some()) {
                return Err(CallQaError::Invalid(Reason::new(
                    "there is no open request to delete this report",
                    "Er is geen openstaand verzoek om dit verslag te verwijderen.",
                )));
            }
            let detail = Detail::to(Category::FreeText, reasons.trim());
            if grant {
                unit.record_event(access, self.p.reports, report, Action::Advance, DELETION_GRANTED, None, Some(detail))?;
                unit.erase_record(access, self.p.reports, report, "deletion granted on the employee's request (K11)")?;
            } else {
                let status = if current.agreed.is_some() { AGREED } else { DRAFT };
                unit.record_event(access, self.p.reports, report, Action::Advance, DELETION_REFUSED, Some(status), Some(detail))?;
            }
            Ok(())
        })
    }

    /// The open deletion requests the reader decides on whose four weeks
    /// have passed at `now`, with when they were due.
    pub fn overdue_deletions(&self, access: &Access, now: Timestamp) -> Result<Vec<(RecordRef, Timestamp)>, CallQaError> {
        self.kernel.reading(|unit| {
            let open = unit.list_all(access, self.p.reports, Some(DELETION_REQUESTED))?;
            let mut overdue = Vec::new();
            for summary in open {
                let report = self.read_report(unit, access, &summary.record)?;
                if let Some(request) = report.deletion.filter(|d| d.refused.is_none() && d.due() < now) {
                    overdue.push((summary.record, request.due()));
                }
            }
            overdue.sort_by_key(|(_, due)| *due);
            Ok(overdue)
        })
    }

    /// One report.
    pub fn report(&self, access: &Access, report: &RecordRef) -> Result<Report, CallQaError> {
        self.kernel.reading(|unit| self.read_report(unit, access, report))
    }

    /// The employee's reports the reader may see, newest first.
    pub fn reports_of(&self, access: &Access, employee: &SubjectId) -> Result<Vec<Report>, CallQaError> {
        self.kernel.reading(|unit| {
            let views = unit.read(access, self.p.reports, employee, CategorySet::of(&[Category::Name]))?;
            let mut all = views
                .into_iter()
                .map(|v| self.read_report(unit, access, &RecordRef { subject: employee.clone(), record: v.record }))
                .collect::<Result<Vec<_>, _>>()?;
            all.sort_by_key(|r| std::cmp::Reverse(r.form.date));
            Ok(all)
        })
    }

    /// A summary for the performance cycle over the employee's reports of
    /// the period: only numbers, and only over at least three reports.
    pub fn summary(&self, access: &Access, employee: &SubjectId, from: jiff::civil::Date, until: jiff::civil::Date) -> Result<Summary, CallQaError> {
        let reports: Vec<Report> = self.reports_of(access, employee)?.into_iter().filter(|r| from <= r.form.date && r.form.date <= until).collect();
        if reports.len() < MIN_SUMMARY {
            return Err(CallQaError::Invalid(Reason::new(
                format!(
                    "{} report(s) in this period; a summary covers at least {MIN_SUMMARY}, so that it cannot be traced to one recording (K7)",
                    reports.len()
                ),
                format!(
                    "In deze periode zijn er {} verslagen; een overzicht gaat over minstens {MIN_SUMMARY}, zodat het niet terug te voeren is op één opname (K7). Kies een langere periode.",
                    reports.len()
                ),
            )));
        }
        let per_phase = Phase::ALL
            .into_iter()
            .map(|phase| {
                let answers = reports.iter().flat_map(|r| CRITERIA.iter().zip(&r.form.answers).filter(|(c, _)| c.phase == phase).map(|(_, (a, _))| *a));
                let (ja, judged) = answers.fold((0, 0), |(ja, judged), a| match a {
                    Answer::Ja => (ja + 1, judged + 1),
                    Answer::Nee => (ja, judged + 1),
                    Answer::NietTeConstateren => (ja, judged),
                });
                (phase, ja, judged)
            })
            .collect();
        Ok(Summary { reports: reports.len(), meeting_norm: reports.iter().filter(|r| r.norm.meets).count(), per_phase })
    }

    /// A step with a text: decided by the kernel first, then taken only by
    /// `party` when one is named.
    #[allow(clippy::too_many_arguments)]
    fn note(
        &self,
        access: &Access,
        report: &RecordRef,
        party: Option<Party>,
        event: &str,
        status: Option<&str>,
        what: (&'static str, &'static str),
        text: &str,
    ) -> Result<(), CallQaError> {
        if text.trim().is_empty() {
            return Err(CallQaError::Missing(Reason::new(what.0, what.1)));
        }
        self.kernel.unit(|unit| {
            unit.check_record(access, self.p.reports, report, Action::Advance)?;
            if let Some(party) = party {
                party.require(access, report, event)?;
            }
            unit.record_event(access, self.p.reports, report, Action::Advance, event, status, Some(Detail::to(Category::FreeText, text.trim())))?;
            Ok(())
        })
    }

    fn read_report(&self, unit: &mut Unit<'_>, access: &Access, record: &RecordRef) -> Result<Report, CallQaError> {
        let view = read_one(unit, access, self.p.reports, record, &[Category::FreeText, Category::CallMeta])?;
        let stored: Stored = from_field(&view, Category::FreeText, "report")?.ok_or(CallQaError::Corrupt("report"))?;
        let mut report = Report {
            record: record.clone(),
            form: stored.form,
            norm: stored.norm,
            call: from_field(&view, Category::CallMeta, "reported call")?,
            coach_view: None,
            employee_view: None,
            conclusions: None,
            agreed: None,
            second_opinion_asked: None,
            second_opinions: Vec::new(),
            deletion: None,
        };
        for event in unit.events(access, self.p.reports, record)? {
            let detail = event.detail.clone();
            match event.event.as_str() {
                VIEW_COACH => report.coach_view = detail,
                VIEW_EMPLOYEE => report.employee_view = detail,
                CONCLUDED => report.conclusions = detail,
                AGREED => report.agreed = Some(event.at),
                SECOND_OPINION_ASKED => report.second_opinion_asked = detail,
                SECOND_OPINION => report.second_opinions.push((event.actor.clone(), detail.unwrap_or_default())),
                DELETION_REQUESTED => {
                    let request: Option<DeletionRequest> =
                        detail.map(|d| serde_json::from_str(&d)).transpose().map_err(|_| CallQaError::Corrupt("deletion request"))?;
                    report.deletion = request.map(|r| DeletionRequest { requested_at: event.at, ..r });
                }
                DELETION_REFUSED => {
                    if let Some(request) = report.deletion.as_mut() {
                        request.refused = Some(detail.unwrap_or_default());
                    }
                }
                _ => {}
            }
        }
        Ok(report)
    }
}
