//! The works-council election (I6) with a secret ballot.
//!
//! - **Eligibility** (the works-council regulation's art. 5, read after the
//!   Wet op de ondernemingsraden art. 6, since the seed does not give the
//!   article's text): on the election day a *voter* has been employed at
//!   least six months, a *candidate* at least a year; an employment that
//!   has ended on or before the election day makes no one eligible.
//!   [`eligible`] decides it from the employment's start and end only.
//! - **Candidates** file themselves (`or_kandidaten`, their own file): their
//!   business e-mail and name from the personnel file, and their own
//!   promotion text; every employee reads the names and texts.
//! - **The secret ballot**: the voters' roll (`or_kiezers`, in the voter's
//!   own file) records *that* someone voted; the ballot box (`or_stembus`,
//!   one record per election under the election's own subject) records
//!   *what* was voted, as counts per candidate in a canonical order. The
//!   box is rewritten by the system (`system_actor::BALLOT_BOX`) in a fresh
//!   trace, with a fixed origin, in the same unit as the roll entry: its
//!   audit entries, its row and its content say only that the box changed,
//!   never by whom or with what. One vote per voter is enforced in that
//!   unit (the store serialises writing transactions).
//! - **The count** is the election committee's; publishing records the
//!   result as a governance record (kept: the works council's composition
//!   is the organisation's) and `election_closed` on the box, every roll
//!   entry and every candidacy, from which their term (`election_objection`)
//!   counts.

use std::collections::BTreeMap;

use grondslag_accounts::system_actor;
use grondslag_kernel::{Access, RecordRef, RecordView, SubjectId, Unit, Value};
use grondslag_register::{Action, Category, CategorySet, RecipientId, Role};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;
use grondslag_values::dutch;

use crate::{Hr, HrError, from_field, to_text};

/// The event from which the election's records count their term (I6).
pub const ELECTION_CLOSED: &str = "election_closed";

/// Where the ballot box's writes come from: one fixed origin, never the
/// voter's address, so that the box's audit entries name no one.
const BOX_ORIGIN: &str = "grondslag.local/stembus";

/// The index kind under which roll entries and candidacies are found by election.
const BY_ELECTION: &str = "or_election";

/// The governance record of an election's definition.
const DEFINITION: &str = "election:";
/// The governance record of an election's published result.
const RESULT: &str = "result:";

/// Months of employment on the election day a voter needs.
pub const VOTER_MONTHS: i32 = 6;
/// Months of employment on the election day a candidate needs.
pub const CANDIDATE_MONTHS: i32 = 12;

/// What someone takes part as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Casting a vote.
    Voter,
    /// Standing for election.
    Candidate,
}

/// The facts of an employment eligibility is decided from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenure {
    /// The first day of employment.
    pub started: Date,
    /// The day it ended, if it has.
    pub ended: Option<Date>,
}

/// Whether an employment makes someone eligible on `day`, and if not why.
pub fn eligible(employment: &Tenure, day: Date, standing: Standing) -> Result<(), Reason> {
    if let Some(ended) = employment.ended
        && ended <= day
    {
        return Err(Reason::new(
            format!("the employment ended on {ended}; only current employees take part in the works-council election (OR-reglement art. 5)"),
            format!("je dienstverband is beëindigd op {}; alleen wie in dienst is doet mee aan de OR-verkiezing (OR-reglement art. 5).", dutch::date(ended)),
        ));
    }
    let months = match standing {
        Standing::Voter => VOTER_MONTHS,
        Standing::Candidate => CANDIDATE_MONTHS,
    };
    let needed = employment.started.checked_add(jiff::Span::new().months(months)).map_err(|_| {
        Reason::new("the start of employment is out of range", "de begindatum van je dienstverband kan niet kloppen; vraag HR die na te kijken.")
    })?;
    if needed > day {
        let (what, what_nl) = match standing {
            Standing::Voter => ("to vote", "om te stemmen"),
            Standing::Candidate => ("to stand as a candidate", "om je kandidaat te stellen"),
        };
        let since = day.checked_sub(jiff::Span::new().months(months)).unwrap_or(day);
        return Err(Reason::new(
            format!(
                "employed since {}: {what} one must have been employed {months} months on the election day ({day}), that is since {since} at the latest (OR-reglement art. 5)",
                employment.started
            ),
            format!(
                "je bent in dienst sinds {}; {what_nl} moet je op de verkiezingsdag ({}) {months} maanden in dienst zijn, dus uiterlijk sinds {} (OR-reglement art. 5).",
                dutch::date(employment.started),
                dutch::date(day),
                dutch::date(since)
            ),
        ));
    }
    Ok(())
}

/// An election as the committee opened it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Election {
    /// Its ballot box: the record every vote goes into; its subject names the election.
    pub ballot_box: RecordRef,
    /// What it is called.
    pub name: String,
    /// The election day, on which eligibility is decided.
    pub day: Date,
}

/// An election as its governance record keeps it.
#[derive(Serialize, Deserialize)]
struct Stored {
    ballot_box: String,
    name: String,
    day: Date,
}

impl Election {
    fn to_body(&self) -> Result<Vec<u8>, HrError> {
        serde_json::to_vec(&Stored { ballot_box: self.ballot_box.to_string(), name: self.name.clone(), day: self.day })
            .map_err(|_| HrError::Corrupt("election"))
    }

    fn from_body(body: &[u8]) -> Result<Election, HrError> {
        let stored: Stored = serde_json::from_slice(body).map_err(|_| HrError::Corrupt("election"))?;
        let ballot_box = stored.ballot_box.parse().map_err(|_| HrError::Corrupt("election"))?;
        Ok(Election { ballot_box, name: stored.name, day: stored.day })
    }

    /// The election's id: its ballot box's subject.
    pub fn id(&self) -> String {
        self.ballot_box.subject.to_string()
    }
}

/// The contents of a ballot box: the votes per candidacy (by record id),
/// in the order of their ids. A sorted count keeps neither the order nor
/// the moment of any vote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Ballots {
    votes: BTreeMap<String, u64>,
}

/// A candidate as voters see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The candidacy, which a vote names.
    pub candidacy: String,
    /// The candidate's name.
    pub name: String,
    /// Their own promotion text.
    pub promotion: String,
}

/// The count of an election.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The election's name.
    pub election: String,
    /// The election day.
    pub day: Date,
    /// Votes per candidate, most first (then by name).
    pub votes: Vec<(String, u64)>,
    /// Votes cast.
    pub cast: u64,
}

/// What Inkesta receives: the register's categories only.
#[derive(Debug)]
pub struct Handover {
    /// The candidacies (e-mail, name, promotion text).
    pub candidates: Vec<RecordView>,
    /// The voters' roll (e-mail).
    pub roll: Vec<RecordView>,
    /// The ballot box (the votes, counted).
    pub ballot_box: Vec<RecordView>,
}

impl Hr<'_> {
    /// Opens an election: the committee files its empty ballot box and
    /// records its name and day.
    pub fn open_election(&self, access: &Access, name: &str, day: Date) -> Result<Election, HrError> {
        if name.trim().is_empty() {
            return Err(HrError::Missing(Reason::new("the election's name", "de naam van de verkiezing")));
        }
        let empty = [(Category::Vote, to_text(&Ballots::default())?)];
        let ballot_box = self.kernel.unit(|unit| unit.write(access, self.p.ballot_box, None, None, &empty))?;
        let election = Election { ballot_box, name: name.trim().to_string(), day };
        self.kernel.record_governance(access, self.p.ballot_box, &format!("{DEFINITION}{}", election.id()), &election.to_body()?)?;
        Ok(election)
    }

    /// Every election opened, by day.
    pub fn elections(&self) -> Result<Vec<Election>, HrError> {
        let mut elections: Vec<Election> = Vec::new();
        for (name, body) in self.kernel.governance(self.p.ballot_box)? {
            if name.starts_with(DEFINITION) {
                elections.push(Election::from_body(&body)?);
            }
        }
        elections.sort_by(|a, b| a.day.cmp(&b.day).then_with(|| a.name.cmp(&b.name)));
        Ok(elections)
    }

    /// The election with id `id`.
    pub fn election(&self, id: &str) -> Result<Election, HrError> {
        self.elections()?
            .into_iter()
            .find(|e| e.id() == id)
            .ok_or_else(|| HrError::NotFound(format!("election {id}; `grondslag election list` shows the elections")))
    }

    /// The employment facts of `person`, from the events of their
    /// personnel file, with their name and business e-mail; read as
    /// `access` (a person reads their own file).
    fn employee(&self, unit: &mut Unit<'_>, access: &Access, person: &SubjectId) -> Result<(Tenure, String, String), HrError> {
        let employment = self.employment_in(unit, access, person)?;
        Ok((Tenure { started: employment.started, ended: employment.ended }, employment.name, employment.email))
    }

    /// Whether the box's election has been closed; read by the system.
    fn closed(&self, unit: &mut Unit<'_>, system: &Access, election: &Election) -> Result<bool, HrError> {
        Ok(unit.events(system, self.p.ballot_box, &election.ballot_box)?.iter().any(|e| e.event == ELECTION_CLOSED))
    }

    /// `person` stands as a candidate with their promotion text (filed by
    /// themselves; a second filing replaces the text).
    pub fn stand(&self, access: &Access, election: &Election, person: &SubjectId, promotion: &str) -> Result<RecordRef, HrError> {
        if promotion.trim().is_empty() {
            return Err(HrError::Missing(Reason::new("a promotion text", "een tekst waarmee je je presenteert")));
        }
        let system = self.box_access(access);
        self.kernel.unit(|unit| {
            unit.check(access, self.p.candidates, Action::File)?;
            let (employment, name, email) = self.employee(unit, access, person)?;
            if self.closed(unit, &system, election)? {
                return Err(HrError::Invalid(Reason::new(
                    format!("the election {} is closed; candidates stand before it closes", election.name),
                    format!("De verkiezing {} is gesloten; je kunt je alleen kandidaat stellen zolang hij open is.", election.name),
                )));
            }
            eligible(&employment, election.day, Standing::Candidate).map_err(HrError::NotEligible)?;
            let existing = unit.find_records(access, self.p.candidates, BY_ELECTION, &election.id())?.into_iter().find(|s| &s.record.subject == person);
            let fields = [(Category::Email, Value::text(email)), (Category::Name, Value::text(name)), (Category::FreeText, Value::text(promotion.trim()))];
            let record = unit.write(access, self.p.candidates, Some(person), existing.as_ref().map(|s| &s.record.record), &fields)?;
            if existing.is_none() {
                unit.index_record(access, self.p.candidates, &record, BY_ELECTION, &election.id())?;
            }
            Ok(record)
        })
    }

    /// The candidates of an election, by name.
    pub fn candidates(&self, access: &Access, election: &Election) -> Result<Vec<Candidate>, HrError> {
        self.kernel.reading(|unit| self.candidates_in(unit, access, election))
    }

    fn candidates_in(&self, unit: &mut Unit<'_>, access: &Access, election: &Election) -> Result<Vec<Candidate>, HrError> {
        let wanted = CategorySet::EMPTY.with(Category::Name).with(Category::FreeText);
        let mut candidates = Vec::new();
        for summary in unit.find_records(access, self.p.candidates, BY_ELECTION, &election.id())? {
            let Some(view) = unit.read_record(access, self.p.candidates, &summary.record, wanted)? else { continue };
            let text = |category| match view.get(category) {
                Some(Value::Text(text)) => text.clone(),
                _ => String::new(),
            };
            candidates.push(Candidate { candidacy: summary.record.record.to_string(), name: text(Category::Name), promotion: text(Category::FreeText) });
        }
        candidates.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.candidacy.cmp(&b.candidacy)));
        Ok(candidates)
    }

    /// The system's access to the ballot box for an operation of `access`:
    /// the same moment, but a trace of its own and a fixed origin, so
    /// that nothing in the box's audit entries points to who voted.
    fn box_access(&self, access: &Access) -> Access {
        Access::new(system_actor::BALLOT_BOX, Role::System, BOX_ORIGIN, access.now)
    }

    /// `voter` casts a vote for `candidacy`: in one unit, the roll entry in
    /// their own file and the ballot in the box. Refused for anyone but the
    /// voter themselves, for someone not eligible, and for a second vote.
    pub fn vote(&self, access: &Access, election: &Election, voter: &SubjectId, candidacy: &str) -> Result<(), HrError> {
        let system = self.box_access(access);
        let id = election.id();
        self.kernel.unit(|unit| {
            // Decided first: only a voter files on the roll, and only in
            // their own file.
            unit.check(access, self.p.voters, Action::File)?;
            unit.read(access, self.p.voters, voter, CategorySet::EMPTY.with(Category::Email))?;
            if unit.find_records(access, self.p.voters, BY_ELECTION, &id)?.iter().any(|s| &s.record.subject == voter) {
                return Err(HrError::AlreadyVoted(election.name.clone()));
            }
            let (employment, _, email) = self.employee(unit, access, voter)?;
            eligible(&employment, election.day, Standing::Voter).map_err(HrError::NotEligible)?;
            if !self.candidates_in(unit, access, election)?.iter().any(|c| c.candidacy == candidacy) {
                return Err(HrError::NotFound(format!("candidate {candidacy} in the election {}; the election's page lists its candidates", election.name)));
            }
            if self.closed(unit, &system, election)? {
                return Err(HrError::Invalid(Reason::new(
                    format!("the election {} is closed; no more votes are taken", election.name),
                    format!("De verkiezing {} is gesloten; er kan niet meer worden gestemd.", election.name),
                )));
            }
            let roll = unit.write(access, self.p.voters, Some(voter), None, &[(Category::Email, Value::text(email))])?;
            unit.index_record(access, self.p.voters, &roll, BY_ELECTION, &id)?;
            let mut ballots = self.ballots(unit, &system, election)?;
            *ballots.votes.entry(candidacy.to_string()).or_default() += 1;
            unit.write(
                &system,
                self.p.ballot_box,
                Some(&election.ballot_box.subject),
                Some(&election.ballot_box.record),
                &[(Category::Vote, to_text(&ballots)?)],
            )?;
            Ok(())
        })
    }

    fn ballots(&self, unit: &mut Unit<'_>, reader: &Access, election: &Election) -> Result<Ballots, HrError> {
        let view = unit.read_record(reader, self.p.ballot_box, &election.ballot_box, CategorySet::EMPTY.with(Category::Vote))?;
        let view = view.ok_or_else(|| HrError::NotFound(format!("the ballot box of the election {}", election.name)))?;
        Ok(from_field(&view, Category::Vote, "ballot box")?.unwrap_or_default())
    }

    /// Whether `voter` voted in the election (their own roll entry, or the
    /// roll as HR and the committee read it).
    pub fn has_voted(&self, access: &Access, election: &Election, voter: &SubjectId) -> Result<bool, HrError> {
        let found = self.kernel.reading(|unit| unit.find_records(access, self.p.voters, BY_ELECTION, &election.id()))?;
        Ok(found.iter().any(|s| &s.record.subject == voter))
    }

    /// The committee counts the box.
    pub fn count(&self, access: &Access, election: &Election) -> Result<Tally, HrError> {
        self.kernel.reading(|unit| self.count_in(unit, access, election))
    }

    fn count_in(&self, unit: &mut Unit<'_>, access: &Access, election: &Election) -> Result<Tally, HrError> {
        let ballots = self.ballots(unit, access, election)?;
        let candidates = self.candidates_in(unit, access, election)?;
        let mut votes: Vec<(String, u64)> = candidates.iter().map(|c| (c.name.clone(), ballots.votes.get(&c.candidacy).copied().unwrap_or(0))).collect();
        votes.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(Tally { election: election.name.clone(), day: election.day, votes, cast: ballots.votes.values().sum() })
    }

    /// The committee counts, closes the election (`election_closed` on the
    /// box, every roll entry and every candidacy, so their term starts) and
    /// publishes the result. Publishing again after a fault republishes the
    /// same count.
    pub fn publish(&self, access: &Access, election: &Election) -> Result<Tally, HrError> {
        let id = election.id();
        let tally = self.kernel.unit(|unit| {
            let tally = self.count_in(unit, access, election)?;
            if unit.events(access, self.p.ballot_box, &election.ballot_box)?.iter().any(|e| e.event == ELECTION_CLOSED) {
                return Ok::<_, HrError>(tally);
            }
            unit.record_event(access, self.p.ballot_box, &election.ballot_box, Action::Advance, ELECTION_CLOSED, Some("closed"), None)?;
            for processing in [self.p.voters, self.p.candidates] {
                for summary in unit.find_records(access, processing, BY_ELECTION, &id)? {
                    unit.record_event(access, processing, &summary.record, Action::Advance, ELECTION_CLOSED, Some("closed"), None)?;
                }
            }
            Ok(tally)
        })?;
        let body = serde_json::to_vec(&tally).map_err(|_| HrError::Corrupt("election result"))?;
        self.kernel.record_governance(access, self.p.ballot_box, &format!("{RESULT}{id}"), &body)?;
        Ok(tally)
    }

    /// The published result of an election, if any.
    pub fn result(&self, election: &Election) -> Result<Option<Tally>, HrError> {
        let name = format!("{RESULT}{}", election.id());
        match self.kernel.governance(self.p.ballot_box)?.into_iter().find(|(n, _)| *n == name) {
            Some((_, body)) => serde_json::from_slice(&body).map(Some).map_err(|_| HrError::Corrupt("election result")),
            None => Ok(None),
        }
    }

    /// The committee hands the election to Inkesta: exactly what the
    /// register gives it, each disclosure recorded.
    pub fn disclose_to_inkesta(&self, access: &Access, election: &Election) -> Result<Handover, HrError> {
        let inkesta: RecipientId = self.kernel.recipient("inkesta")?;
        let id = election.id();
        self.kernel.unit(|unit| {
            let mut handover = Handover { candidates: Vec::new(), roll: Vec::new(), ballot_box: Vec::new() };
            for (processing, into) in [(self.p.candidates, &mut handover.candidates), (self.p.voters, &mut handover.roll)] {
                for summary in unit.find_records(access, processing, BY_ELECTION, &id)? {
                    into.extend(unit.disclose_record(access, processing, &summary.record, inkesta, None)?);
                }
            }
            handover.ballot_box.extend(unit.disclose_record(access, self.p.ballot_box, &election.ballot_box, inkesta, None)?);
            Ok(handover)
        })
    }
}
