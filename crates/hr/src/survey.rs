//! The employee survey (I2): answers with no link to who gave them.
//!
//! - **Invitations** (`mto_uitnodiging`, legitimate interest): HR invites
//!   employees by their personnel file (name, e-mail, function). Each
//!   invitation carries a random token; only keyed digests of it are kept,
//!   and they point to the *survey*, never to the invitation or the person.
//! - **Answers** (`mto_antwoorden`, consent) go into one record per survey,
//!   under the survey's own subject: a canonically sorted list of responses
//!   (the respondent's group and the answers), rewritten by the system
//!   (`system_actor::SURVEY`) in a trace of its own with a fixed origin. A
//!   used token is marked by a second digest (another index kind), which
//!   cannot be joined to the first without the token itself: who answered
//!   is not in the store either. Groups are fixed when the invitations go
//!   out: a function with at least [`THRESHOLD`] invitees is a group of its
//!   own, the rest is "overig"; the group travels in the token.
//! - **Linked answers** (`mto_resultaten`): a respondent who chooses at the
//!   end to add their contact details files the response in their own file
//!   instead; they can withdraw by unlinking it (it moves into the anonymous
//!   list) or deleting it.
//! - **The report** shows averages per group only for groups of at least
//!   [`THRESHOLD`] respondents: smaller groups go into "overig", and while
//!   "overig" is smaller than the threshold the smallest group joins it, so
//!   that no shown figure minus another gives a small group's answers.
//!   Below the threshold in total, nothing is shown.
//! - `survey_closed` ends the invitations and starts the answers' term.

use std::collections::BTreeMap;

use grondslag_accounts::system_actor;
use grondslag_kernel::{Access, RecordRef, SubjectId, Unit, Value};
use grondslag_register::{Action, Category, CategorySet, Role};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;

use crate::{Hr, HrError, from_field, to_text};

/// The event that ends a survey's invitations and starts its answers' term.
pub const SURVEY_CLOSED: &str = "survey_closed";

/// The smallest group whose results are shown.
pub const THRESHOLD: usize = 5;

/// The group of everyone not in a group of their own.
pub const OTHER: &str = "overig";

/// The answers on a question, from 1 (very dissatisfied) to this.
pub const SCALE: u8 = 5;

/// Where the survey's own writes come from: never the respondent's address.
const SURVEY_ORIGIN: &str = "grondslag.local/mto";
/// The index kind of a valid token's digest, pointing to its survey.
const TOKEN: &str = "mto_token";
/// The index kind of a used token's digest: a digest of its own, so that
/// a used token cannot be matched with the invitation's.
const USED: &str = "mto_used";
/// The index kind under which a survey's invitations and linked answers are found.
const BY_SURVEY: &str = "mto_survey";

/// One response: the group it counts in and an answer per question.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Response {
    group: String,
    answers: Vec<u8>,
}

/// A survey's record: its questions and groups, and the anonymous
/// responses, sorted, so that their order says nothing.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Answers {
    name: String,
    questions: Vec<String>,
    groups: Vec<String>,
    responses: Vec<Response>,
}

/// A linked response, as filed in the respondent's own file.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Linked {
    survey: String,
    response: Response,
}

/// A survey as HR and the respondents see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survey {
    /// The record of its answers; its subject names the survey.
    pub answers: RecordRef,
    /// What it is called.
    pub name: String,
    /// The questions, each answered from 1 to [`SCALE`].
    pub questions: Vec<String>,
}

impl Survey {
    /// The survey's id: its answers' subject.
    pub fn id(&self) -> String {
        self.answers.subject.to_string()
    }
}

/// An invitation sent: to whom, and the token of their link (given once,
/// never stored).
#[derive(Clone, Debug)]
pub struct Invitation {
    /// The invitee's file.
    pub invitee: SubjectId,
    /// The secret of their link.
    pub token: String,
}

/// One group's results.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupResult {
    /// The function, or "overig".
    pub group: String,
    /// Respondents in it.
    pub respondents: usize,
    /// The average answer per question.
    pub averages: Vec<f64>,
}

/// The results of a survey, no group under the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The survey's name.
    pub name: String,
    /// Its questions.
    pub questions: Vec<String>,
    /// The groups shown.
    pub groups: Vec<GroupResult>,
    /// Responses not shown, because there are fewer than the threshold in all.
    pub suppressed: usize,
}

/// Groups of at least [`THRESHOLD`] responses; the rest merged into
/// "overig", itself completed from the smallest groups until it too is
/// large enough (or suppressed, when nothing else is left).
fn group_results(responses: &[Response], questions: usize) -> (Vec<GroupResult>, usize) {
    let mut by_group: BTreeMap<&str, Vec<&Response>> = BTreeMap::new();
    for response in responses {
        by_group.entry(response.group.as_str()).or_default().push(response);
    }
    let mut other: Vec<&Response> = by_group.remove(OTHER).unwrap_or_default();
    let mut shown: Vec<(&str, Vec<&Response>)> = Vec::new();
    for (group, members) in by_group {
        if members.len() >= THRESHOLD {
            shown.push((group, members));
        } else {
            other.extend(members);
        }
    }
    shown.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
    while !other.is_empty() && other.len() < THRESHOLD {
        let Some((_, members)) = shown.pop() else { break };
        other.extend(members);
    }
    let averages = |members: &[&Response]| -> Vec<f64> {
        (0..questions).map(|q| members.iter().map(|r| f64::from(r.answers.get(q).copied().unwrap_or(0))).sum::<f64>() / members.len() as f64).collect()
    };
    let mut groups: Vec<GroupResult> =
        shown.iter().map(|(g, m)| GroupResult { group: (*g).to_string(), respondents: m.len(), averages: averages(m) }).collect();
    groups.sort_by(|a, b| a.group.cmp(&b.group));
    if other.len() >= THRESHOLD {
        groups.push(GroupResult { group: OTHER.to_string(), respondents: other.len(), averages: averages(&other) });
        return (groups, 0);
    }
    (groups, other.len())
}

impl Hr<'_> {
    /// The system's access to a survey's answers for an operation at
    /// `now`: a trace of its own and a fixed origin.
    fn survey_access(&self, now: jiff::Timestamp) -> Access {
        Access::new(system_actor::SURVEY, Role::System, SURVEY_ORIGIN, now)
    }

    /// HR opens a survey with its questions.
    pub fn open_survey(&self, access: &Access, name: &str, questions: &[String]) -> Result<Survey, HrError> {
        let questions: Vec<String> = questions.iter().map(|q| q.trim().to_string()).filter(|q| !q.is_empty()).collect();
        if name.trim().is_empty() || questions.is_empty() {
            return Err(HrError::Missing(Reason::new("the survey's name and at least one question", "de naam van het onderzoek en minstens één vraag")));
        }
        let content = Answers { name: name.trim().to_string(), questions: questions.clone(), groups: Vec::new(), responses: Vec::new() };
        let text = [(Category::SurveyAnswers, to_text(&content)?)];
        let answers = self.kernel.unit(|unit| unit.write(access, self.p.answers, None, None, &text))?;
        Ok(Survey { answers, name: content.name, questions })
    }

    fn answers_of(&self, unit: &mut Unit<'_>, system: &Access, record: &RecordRef) -> Result<Answers, HrError> {
        let view = unit.read_record(system, self.p.answers, record, CategorySet::EMPTY.with(Category::SurveyAnswers))?;
        let view = view.ok_or_else(|| HrError::NotFound("the survey".to_string()))?;
        from_field(&view, Category::SurveyAnswers, "survey answers")?.ok_or(HrError::Corrupt("survey answers"))
    }

    fn put_answers(&self, unit: &mut Unit<'_>, system: &Access, record: &RecordRef, answers: &mut Answers) -> Result<(), HrError> {
        answers.responses.sort();
        unit.write(system, self.p.answers, Some(&record.subject), Some(&record.record), &[(Category::SurveyAnswers, to_text(answers)?)])?;
        Ok(())
    }

    /// Every survey, by name.
    pub fn surveys(&self, now: jiff::Timestamp) -> Result<Vec<Survey>, HrError> {
        let system = self.survey_access(now);
        let mut surveys = self.kernel.reading(|unit| {
            let mut surveys = Vec::new();
            for summary in unit.list_all(&system, self.p.answers, None)? {
                let answers = self.answers_of(unit, &system, &summary.record)?;
                surveys.push(Survey { answers: summary.record, name: answers.name, questions: answers.questions });
            }
            Ok::<_, HrError>(surveys)
        })?;
        surveys.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(surveys)
    }

    /// The survey with id `id`.
    pub fn survey(&self, id: &str, now: jiff::Timestamp) -> Result<Survey, HrError> {
        self.surveys(now)?
            .into_iter()
            .find(|s| s.id() == id)
            .ok_or_else(|| HrError::NotFound(format!("survey {id}; `grondslag survey list` shows the surveys")))
    }

    /// HR invites `invitees` (by their personnel files), all at once: the
    /// groups are fixed by how many of each function are invited.
    pub fn invite(&self, access: &Access, survey: &Survey, invitees: &[SubjectId]) -> Result<Vec<Invitation>, HrError> {
        let system = self.survey_access(access.now);
        let wanted = CategorySet::EMPTY.with(Category::Name).with(Category::Email).with(Category::Function);
        self.kernel.unit(|unit| {
            unit.check(access, self.p.invitation, Action::File)?;
            let mut answers = self.answers_of(unit, &system, &survey.answers)?;
            if !answers.groups.is_empty() {
                return Err(HrError::Invalid(Reason::new(
                    format!("the invitations for {} have gone out; a survey's groups are fixed by one round of invitations", survey.name),
                    format!("De uitnodigingen voor {} zijn al verstuurd; de groepen van een onderzoek liggen vast na één ronde uitnodigingen.", survey.name),
                )));
            }
            let mut people = Vec::new();
            for invitee in invitees {
                let file = unit.read(access, self.p.personnel, invitee, wanted)?;
                let file = file.first().ok_or_else(|| HrError::NotFound(format!("a personnel file for {invitee}")))?;
                let fields: Vec<(Category, Value)> = file.fields.iter().filter(|(c, _)| wanted.contains(*c)).cloned().collect();
                let function = match file.get(Category::Function) {
                    Some(Value::Text(f)) => f.clone(),
                    _ => OTHER.to_string(),
                };
                people.push((invitee, fields, function));
            }
            let mut sizes: BTreeMap<&str, usize> = BTreeMap::new();
            for (_, _, function) in &people {
                *sizes.entry(function.as_str()).or_default() += 1;
            }
            answers.groups = sizes.into_iter().filter(|(f, n)| *n >= THRESHOLD && *f != OTHER).map(|(f, _)| f.to_string()).collect();
            answers.groups.push(OTHER.to_string());
            let mut sent = Vec::new();
            for (invitee, fields, function) in &people {
                let record = unit.write(access, self.p.invitation, Some(invitee), None, fields)?;
                unit.index_record(access, self.p.invitation, &record, BY_SURVEY, &survey.id())?;
                let group = answers.groups.iter().position(|g| g == function).unwrap_or(answers.groups.len() - 1);
                let mut secret = [0u8; 16];
                rand::rngs::OsRng.fill_bytes(&mut secret);
                let token = format!("{group}-{}", secret.iter().map(|b| format!("{b:02x}")).collect::<String>());
                unit.index_record(access, self.p.answers, &survey.answers, TOKEN, &token)?;
                sent.push(Invitation { invitee: (*invitee).clone(), token });
            }
            self.put_answers(unit, &system, &survey.answers, &mut answers)?;
            Ok(sent)
        })
    }

    /// The survey a token invites to, the group it counts in, and whether
    /// it is unused and the survey open; marks it used when `take`.
    fn take_token(&self, unit: &mut Unit<'_>, system: &Access, token: &str) -> Result<(RecordRef, Answers, String), HrError> {
        let unknown = || HrError::NotFound("an invitation with this link; use the link from your invitation".to_string());
        let survey = unit.find_records(system, self.p.answers, TOKEN, token)?.into_iter().next().ok_or_else(unknown)?.record;
        if !unit.find_records(system, self.p.answers, USED, token)?.is_empty() {
            return Err(HrError::InvitationUsed);
        }
        if unit.events(system, self.p.answers, &survey)?.iter().any(|e| e.event == SURVEY_CLOSED) {
            return Err(HrError::Invalid(Reason::new(
                "this survey is closed; no more answers are taken",
                "Dit onderzoek is gesloten; er worden geen antwoorden meer aangenomen.",
            )));
        }
        let answers = self.answers_of(unit, system, &survey)?;
        let group = token.split_once('-').and_then(|(g, _)| g.parse::<usize>().ok()).and_then(|g| answers.groups.get(g)).cloned().ok_or_else(unknown)?;
        unit.index_record(system, self.p.answers, &survey, USED, token)?;
        Ok((survey, answers, group))
    }

    fn check_answers(answers: &Answers, given: &[u8]) -> Result<(), HrError> {
        if given.len() != answers.questions.len() || given.iter().any(|a| !(1..=SCALE).contains(a)) {
            return Err(HrError::Invalid(Reason::new(
                format!("give one answer from 1 to {SCALE} for each of the {} questions", answers.questions.len()),
                format!("Geef bij elk van de {} vragen één antwoord van 1 tot en met {SCALE}.", answers.questions.len()),
            )));
        }
        Ok(())
    }

    /// The questions the link's survey asks.
    pub fn invited_to(&self, token: &str, now: jiff::Timestamp) -> Result<Survey, HrError> {
        let system = self.survey_access(now);
        self.kernel.reading(|unit| {
            let record = unit.find_records(&system, self.p.answers, TOKEN, token)?.into_iter().next();
            let record = record.ok_or_else(|| HrError::NotFound("an invitation with this link; use the link from your invitation".to_string()))?.record;
            let answers = self.answers_of(unit, &system, &record)?;
            Ok(Survey { answers: record, name: answers.name, questions: answers.questions })
        })
    }

    /// An anonymous response through an invitation's link, with consent:
    /// nothing of who gave it is kept beside it.
    pub fn answer(&self, token: &str, given: &[u8], consent: bool, now: jiff::Timestamp) -> Result<(), HrError> {
        if !consent {
            return Err(HrError::Missing(Reason::new("consent to process your answers", "je toestemming om je antwoorden te verwerken")));
        }
        let system = self.survey_access(now);
        self.kernel.unit(|unit| {
            let (survey, mut answers, group) = self.take_token(unit, &system, token)?;
            Self::check_answers(&answers, given)?;
            answers.responses.push(Response { group, answers: given.to_vec() });
            self.put_answers(unit, &system, &survey, &mut answers)
        })
    }

    /// A response the respondent chose to add their contact details to: it
    /// goes into their own file (`mto_resultaten`), with their name,
    /// e-mail and function from their personnel file.
    pub fn answer_linked(&self, access: &Access, person: &SubjectId, token: &str, given: &[u8], consent: bool) -> Result<RecordRef, HrError> {
        if !consent {
            return Err(HrError::Missing(Reason::new("consent to process your answers", "je toestemming om je antwoorden te verwerken")));
        }
        let system = self.survey_access(access.now);
        let wanted = CategorySet::EMPTY.with(Category::Name).with(Category::Email).with(Category::Function);
        self.kernel.unit(|unit| {
            let file = unit.read(access, self.p.personnel, person, wanted)?;
            let mut fields: Vec<(Category, Value)> =
                file.first().map(|f| f.fields.iter().filter(|(c, _)| wanted.contains(*c)).cloned().collect()).unwrap_or_default();
            let (survey, answers, group) = self.take_token(unit, &system, token)?;
            Self::check_answers(&answers, given)?;
            let linked = Linked { survey: survey.subject.to_string(), response: Response { group, answers: given.to_vec() } };
            fields.push((Category::SurveyAnswers, to_text(&linked)?));
            let record = unit.write(access, self.p.linked_answers, Some(person), None, &fields)?;
            unit.index_record(access, self.p.linked_answers, &record, BY_SURVEY, &linked.survey)?;
            Ok(record)
        })
    }

    /// The respondent withdraws a linked response: `unlink` moves the
    /// answers into the survey's anonymous list, otherwise they are deleted.
    pub fn withdraw_linked(&self, access: &Access, record: &RecordRef, unlink: bool) -> Result<(), HrError> {
        let system = self.survey_access(access.now);
        self.kernel.unit(|unit| {
            let view = unit.read_record(access, self.p.linked_answers, record, CategorySet::EMPTY.with(Category::SurveyAnswers))?;
            let view = view.ok_or_else(|| HrError::NotFound("your linked answers".to_string()))?;
            let linked: Linked = from_field(&view, Category::SurveyAnswers, "linked answers")?.ok_or(HrError::Corrupt("linked answers"))?;
            let why = if unlink { "consent to linking withdrawn; the answers stay anonymous" } else { "consent withdrawn; the answers are deleted" };
            unit.erase_record(access, self.p.linked_answers, record, why)?;
            if unlink {
                let survey = unit.list_all(&system, self.p.answers, None)?.into_iter().find(|s| s.record.subject.as_str() == linked.survey);
                let survey = survey.ok_or_else(|| HrError::NotFound("the survey; its answers have been deleted at the end of their term".to_string()))?.record;
                let mut answers = self.answers_of(unit, &system, &survey)?;
                answers.responses.push(linked.response);
                self.put_answers(unit, &system, &survey, &mut answers)?;
            }
            Ok(())
        })
    }

    /// HR closes the survey: `survey_closed` on its answers and every
    /// invitation, which are then due.
    pub fn close_survey(&self, access: &Access, survey: &Survey) -> Result<(), HrError> {
        self.kernel.unit(|unit| {
            unit.record_event(access, self.p.answers, &survey.answers, Action::Advance, SURVEY_CLOSED, Some("closed"), None)?;
            for summary in unit.find_records(access, self.p.invitation, BY_SURVEY, &survey.id())? {
                unit.record_event(access, self.p.invitation, &summary.record, Action::Advance, SURVEY_CLOSED, Some("closed"), None)?;
            }
            Ok(())
        })
    }

    /// HR's report: averages per group, no group under the threshold. The
    /// answers are read by the system; HR's step (`advance` on the
    /// answers) is decided first.
    pub fn report(&self, access: &Access, survey: &Survey) -> Result<Report, HrError> {
        let system = self.survey_access(access.now);
        self.kernel.reading(|unit| {
            unit.check_record(access, self.p.answers, &survey.answers, Action::Advance)?;
            let answers = self.answers_of(unit, &system, &survey.answers)?;
            let mut responses = answers.responses;
            for summary in unit.find_records(access, self.p.linked_answers, BY_SURVEY, &survey.id())? {
                let view = unit.read_record(access, self.p.linked_answers, &summary.record, CategorySet::EMPTY.with(Category::SurveyAnswers))?;
                if let Some(linked) = view.map(|v| from_field::<Linked>(&v, Category::SurveyAnswers, "linked answers")).transpose()?.flatten() {
                    responses.push(linked.response);
                }
            }
            let (groups, suppressed) = group_results(&responses, answers.questions.len());
            Ok(Report { name: answers.name, questions: answers.questions, groups, suppressed })
        })
    }
}
