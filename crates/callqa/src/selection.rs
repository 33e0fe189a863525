//! Fair selection (K4–K6). Per employee per month the coach announces a
//! selection date; on or after it, calls are drawn at random among the
//! month's business calls that pass the filters (duration, direction), at
//! most the month's number (four, unless a temporary change with one of
//! K4's reasons is recorded). Calls with a network relation, internal and
//! private calls are never in the pool, nor a call the employee withdrew
//! because of a threat (K9). A drawn call that is not representative is
//! marked so, with the reason, and the next call of the draw takes its place.
//!
//! The draw is a function of a seed and the pool: the pool's call ids,
//! sorted, shuffled by ChaCha8 seeded with the recorded seed; the drawn
//! calls are the first ones in that order not excluded. Seed, pool and
//! exclusions are stored with the selection, so a dispute is settled by
//! drawing again (`verify`).
//!
//! The employee reads the announcement (the month and the date, unless
//! they agreed with their coach not to be told) and never the calls: the
//! register gives the employee the selection's free text, not its call
//! metadata.

use std::collections::{BTreeSet, HashMap};

use grondslag_kernel::{Access, RecordRef, SubjectId, Unit};
use grondslag_register::due::RECORDED;
use grondslag_register::{Action, Category, CategorySet};
use grondslag_values::Reason;
use grondslag_values::dutch::amsterdam_date;
use jiff::civil::Date;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::{Call, CallQa, CallQaError, Direction, Month, Recording, from_field, read_one};

/// The event on a call the employee withdrew from monitoring (K9).
pub(crate) const WITHDRAWN: &str = "withdrawn_from_monitoring";

const ANNOUNCED: &str = "announced";
const DRAWN: &str = "drawn";

/// The filters of a draw (K5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    /// Calls shorter than this are not drawn.
    pub min_seconds: u32,
    /// Calls longer than this are not drawn, when set.
    pub max_seconds: Option<u32>,
    /// Only calls in this direction, when set.
    pub direction: Option<Direction>,
}

impl Default for Filters {
    /// (design) Calls of at least a minute, of any length and direction: a
    /// shorter call rarely shows the phases of the form.
    fn default() -> Filters {
        Filters { min_seconds: 60, max_seconds: None, direction: None }
    }
}

impl Filters {
    /// Whether a call may be drawn: a business call (K5) within the filters.
    pub fn admit(&self, call: &Call) -> bool {
        call.is_business()
            && call.duration_seconds >= self.min_seconds
            && self.max_seconds.is_none_or(|max| call.duration_seconds <= max)
            && self.direction.is_none_or(|d| d == call.direction)
    }
}

/// What the employee may read of a selection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// The month whose calls are selected.
    pub month: Month,
    /// The selection date; none when the employee agreed not to be told.
    pub date: Option<Date>,
}

/// A call marked not representative, with why and by whom.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excluded {
    /// The exchange's id of the call.
    pub call_id: String,
    /// Why it is not representative.
    pub reason: String,
    /// Who marked it.
    pub by: String,
}

/// The draw, as stored (coach only).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draw {
    /// The month.
    pub month: Month,
    /// The announced selection date.
    pub date: Date,
    /// The filters.
    pub filters: Filters,
    /// The seed, once drawn.
    pub seed: Option<u64>,
    /// The call ids that could be drawn, sorted.
    pub pool: Vec<String>,
    /// How many calls are drawn.
    pub count: u32,
    /// Calls listened to live, side by side, this month: monitoring too,
    /// counted toward the month's number (K1).
    #[serde(default)]
    pub live: u32,
    /// Calls found withdrawn from monitoring (K9) while drawing: skipped.
    pub withdrawn: Vec<String>,
    /// Calls marked not representative: skipped, replaced by the next.
    pub excluded: Vec<Excluded>,
    /// The calls drawn, in the order drawn.
    pub drawn: Vec<String>,
}

/// The pool in the order a seed draws it: sorted, then shuffled.
pub fn draw_order(seed: u64, pool: &[String]) -> Vec<String> {
    let mut order: Vec<String> = pool.to_vec();
    order.sort();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    order
}

impl Draw {
    /// Refuses `more` calls beyond the month's number `cap`, drawn and live together (K4).
    pub(crate) fn check_cap(&self, cap: u32, more: u32) -> Result<(), CallQaError> {
        let listened = self.count + self.live;
        if listened + more > cap {
            return Err(CallQaError::CapReached { month: self.month, cap, drawn: listened });
        }
        Ok(())
    }

    /// The calls this draw gives: the first `count` in the seed's order that
    /// are neither excluded nor withdrawn. With `withdrawn` complete, this is
    /// what was drawn; `verify` compares the two.
    pub fn recompute(&self) -> Vec<String> {
        let Some(seed) = self.seed else { return Vec::new() };
        let skipped: BTreeSet<&str> = self.excluded.iter().map(|e| e.call_id.as_str()).chain(self.withdrawn.iter().map(String::as_str)).collect();
        draw_order(seed, &self.pool).into_iter().filter(|id| !skipped.contains(id.as_str())).take(self.count as usize).collect()
    }
}

/// A selection as a coach sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The record (in the employee's file).
    pub record: RecordRef,
    /// The draw.
    pub draw: Draw,
}

impl CallQa<'_> {
    /// The coach announces when the month's calls will be selected: a date
    /// after today, one selection per employee per month. The employee
    /// reads the date unless they agreed not to be told (K6).
    pub fn announce(&self, access: &Access, employee: &SubjectId, month: Month, date: Date, filters: Filters) -> Result<RecordRef, CallQaError> {
        self.kernel.unit(|unit| {
            // Decided before the participation is looked for, so that a role
            // that may not announce is refused as such, not told "not found".
            unit.check(access, self.p.monitoring, Action::File)?;
            let participation = self.participation_in(unit, access, employee)?;
            if date <= amsterdam_date(access.now) {
                return Err(CallQaError::NotInAdvance);
            }
            if self.read_selections(unit, access, employee)?.iter().any(|s| s.draw.month == month) {
                return Err(CallQaError::AlreadyAnnounced(month));
            }
            let announcement = Announcement { month, date: (!participation.not_announced).then_some(date) };
            let draw =
                Draw { month, date, filters, seed: None, pool: Vec::new(), count: 0, live: 0, withdrawn: Vec::new(), excluded: Vec::new(), drawn: Vec::new() };
            let fields = [(Category::FreeText, crate::to_text(&announcement)?), (Category::CallMeta, crate::to_text(&draw)?)];
            let record = unit.write(access, self.p.monitoring, Some(employee), None, &fields)?;
            unit.record_event(access, self.p.monitoring, &record, Action::File, ANNOUNCED, Some(ANNOUNCED), None)?;
            Ok(record)
        })
    }

    /// The coach draws `count` (more) calls on or after the announced date,
    /// with `seed` (the caller's randomness, recorded). Refused beyond the
    /// month's number (K4). Returns the calls drawn so far.
    pub fn draw(&self, access: &Access, selection: &RecordRef, count: u32, seed: u64) -> Result<Vec<String>, CallQaError> {
        self.kernel.unit(|unit| {
            // A draw changes the selection: decided before its state is read.
            unit.check(access, self.p.monitoring, Action::Write)?;
            let mut draw = self.read_draw(unit, access, selection)?;
            if amsterdam_date(access.now) < draw.date {
                return Err(CallQaError::BeforeAnnouncedDate { month: draw.month, date: draw.date });
            }
            let employee = &selection.subject;
            let participation = self.participation_in(unit, access, employee)?;
            let cap = participation.cap(draw.month);
            draw.check_cap(cap, count)?;
            let first = draw.seed.is_none();
            // The pool's records, as just read: checking a call for withdrawal
            // then needs no lookup by its id.
            let mut pool = HashMap::new();
            if first {
                let calls = self.read_calls(unit, access, employee)?;
                pool = calls.into_iter().filter(|(_, c)| draw.month.contains(c.start) && draw.filters.admit(c)).map(|(r, c)| (c.call_id, r)).collect();
                draw.pool = pool.keys().cloned().collect();
                draw.pool.sort();
                draw.seed = Some(seed);
            }
            draw.count += count;
            self.fill(unit, access, &mut draw, &pool)?;
            self.store_draw(unit, access, selection, &draw)?;
            if first {
                unit.record_event(access, self.p.monitoring, selection, Action::Advance, RECORDED, Some(DRAWN), None)?;
            }
            Ok(draw.drawn)
        })
    }

    /// The coach marks a drawn call not representative, with the reason;
    /// the next call of the draw takes its place (K5). Returns the calls
    /// drawn now.
    pub fn exclude(&self, access: &Access, selection: &RecordRef, call_id: &str, reason: &str) -> Result<Vec<String>, CallQaError> {
        if reason.trim().is_empty() {
            return Err(CallQaError::Missing(Reason::new("why the call is not representative", "waarom het gesprek niet representatief is")));
        }
        self.kernel.unit(|unit| {
            unit.check(access, self.p.monitoring, Action::Write)?;
            let mut draw = self.read_draw(unit, access, selection)?;
            if !draw.drawn.iter().any(|id| id == call_id) {
                return Err(CallQaError::NotDrawn(call_id.to_string()));
            }
            draw.excluded.push(Excluded { call_id: call_id.to_string(), reason: reason.trim().to_string(), by: access.actor.clone() });
            self.fill(unit, access, &mut draw, &HashMap::new())?;
            self.store_draw(unit, access, selection, &draw)?;
            Ok(draw.drawn)
        })
    }

    /// Draws again from the recorded seed, pool and exclusions, and says
    /// whether that gives the calls that were drawn.
    pub fn verify_draw(&self, access: &Access, selection: &RecordRef) -> Result<(Draw, bool), CallQaError> {
        self.kernel.reading(|unit| {
            let draw = self.read_draw(unit, access, selection)?;
            let holds = draw.recompute() == draw.drawn;
            Ok((draw, holds))
        })
    }

    /// The employee's selections the coach may see, with their draws.
    pub fn selections(&self, access: &Access, employee: &SubjectId) -> Result<Vec<Selection>, CallQaError> {
        self.kernel.reading(|unit| self.read_selections(unit, access, employee))
    }

    /// What the employee reads: per month, the announced date (or that
    /// they agreed not to be told), never the calls.
    pub fn announcements(&self, access: &Access, employee: &SubjectId) -> Result<Vec<Announcement>, CallQaError> {
        self.kernel.reading(|unit| {
            let views = unit.read(access, self.p.monitoring, employee, CategorySet::of(&[Category::FreeText]))?;
            let mut all = views
                .iter()
                .map(|v| from_field::<Announcement>(v, Category::FreeText, "announcement"))
                .filter_map(Result::transpose)
                .collect::<Result<Vec<_>, _>>()?;
            all.sort_by_key(|a| std::cmp::Reverse(a.month));
            Ok(all)
        })
    }

    /// The coach plays back a drawn call (K4: only those).
    pub fn listen_selected(&self, access: &Access, call: &RecordRef) -> Result<Recording, CallQaError> {
        self.kernel.reading(|unit| {
            // Whether the role may read selections at all is decided before
            // the call is looked for, so that a role without one is refused as such.
            unit.check(access, self.p.monitoring, Action::Read)?;
            let view = read_one(unit, access, self.p.calls, call, &[Category::CallMeta, Category::CallRecording])?;
            let recording = crate::recording_of(&view)?;
            self.require_drawn(unit, access, &call.subject, &recording.call.call_id)?;
            Ok(recording)
        })
    }

    /// Refuses a call that no selection of the employee drew.
    pub(crate) fn require_drawn(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId, call_id: &str) -> Result<(), CallQaError> {
        let drawn = self.read_selections(unit, access, employee)?.iter().any(|s| s.draw.drawn.iter().any(|id| id == call_id));
        if drawn { Ok(()) } else { Err(CallQaError::NotDrawn(call_id.to_string())) }
    }

    /// Takes calls in the seed's order until `count` are drawn, skipping
    /// excluded calls and, checked as they come up, calls the employee
    /// withdrew from monitoring. `known` holds the records of calls read in
    /// this unit already, by call id.
    fn fill(&self, unit: &mut Unit<'_>, access: &Access, draw: &mut Draw, known: &HashMap<String, RecordRef>) -> Result<(), CallQaError> {
        let Some(seed) = draw.seed else { return Ok(()) };
        let skipped: BTreeSet<String> = draw.excluded.iter().map(|e| e.call_id.clone()).collect();
        let mut drawn = Vec::new();
        for id in draw_order(seed, &draw.pool) {
            if drawn.len() == draw.count as usize {
                break;
            }
            if skipped.contains(&id) || draw.withdrawn.contains(&id) {
                continue;
            }
            if !draw.drawn.contains(&id) && self.is_withdrawn(unit, access, &id, known.get(&id))? {
                draw.withdrawn.push(id);
                continue;
            }
            drawn.push(id);
        }
        draw.drawn = drawn;
        Ok(())
    }

    /// Whether the employee withdrew the call from monitoring (K9), or it is
    /// gone. `known` is its record when it was read in this unit (so it is
    /// not gone); else it is looked up by its id.
    fn is_withdrawn(&self, unit: &mut Unit<'_>, access: &Access, call_id: &str, known: Option<&RecordRef>) -> Result<bool, CallQaError> {
        let record = match known {
            Some(record) => record.clone(),
            None => match unit.find_records(access, self.p.calls, crate::import::CALL_ID, call_id)?.into_iter().next() {
                Some(found) => found.record,
                None => return Ok(true),
            },
        };
        Ok(unit.events(access, self.p.calls, &record)?.iter().any(|e| e.event == WITHDRAWN))
    }

    pub(crate) fn read_draw(&self, unit: &mut Unit<'_>, access: &Access, selection: &RecordRef) -> Result<Draw, CallQaError> {
        let view = read_one(unit, access, self.p.monitoring, selection, &[Category::CallMeta])?;
        from_field(&view, Category::CallMeta, "draw")?.ok_or(CallQaError::Corrupt("draw"))
    }

    pub(crate) fn store_draw(&self, unit: &mut Unit<'_>, access: &Access, selection: &RecordRef, draw: &Draw) -> Result<(), CallQaError> {
        unit.write(access, self.p.monitoring, Some(&selection.subject), Some(&selection.record), &[(Category::CallMeta, crate::to_text(draw)?)])?;
        Ok(())
    }

    pub(crate) fn read_selections(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId) -> Result<Vec<Selection>, CallQaError> {
        let views = unit.read(access, self.p.monitoring, employee, CategorySet::of(&[Category::CallMeta]))?;
        let mut all = Vec::new();
        for view in views {
            if let Some(draw) = from_field::<Draw>(&view, Category::CallMeta, "draw")? {
                all.push(Selection { record: RecordRef { subject: employee.clone(), record: view.record }, draw });
            }
        }
        all.sort_by_key(|s| std::cmp::Reverse(s.draw.month));
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, external: bool, network: bool, private: bool) -> Call {
        Call {
            call_id: id.to_string(),
            start: "2026-11-02T09:00:00Z".parse().unwrap(),
            duration_seconds: 300,
            direction: Direction::Inbound,
            external,
            network_relation: network,
            private_line: private,
            media_type: Some("audio/wav".to_string()),
        }
    }

    // req: K5
    #[test]
    fn internal_network_and_private_calls_are_never_admitted_to_a_draw() {
        let filters = Filters::default();
        assert!(filters.admit(&call("a", true, false, false)));
        assert!(!filters.admit(&call("b", false, false, false)), "internal");
        assert!(!filters.admit(&call("c", true, true, false)), "network relation");
        assert!(!filters.admit(&call("d", true, false, true)), "private line");
        let mut silent = call("e", true, false, false);
        silent.media_type = None;
        assert!(!filters.admit(&silent), "no recording");
        let mut short = call("f", true, false, false);
        short.duration_seconds = 20;
        assert!(!filters.admit(&short), "shorter than the filter");
        let outbound_only = Filters { direction: Some(Direction::Outbound), ..Filters::default() };
        assert!(!outbound_only.admit(&call("g", true, false, false)));
    }

    #[test]
    fn a_draw_is_reproducible_from_its_seed_and_replaces_what_is_excluded() {
        let pool: Vec<String> = (0..20).map(|i| format!("c{i:02}")).collect();
        let mut shuffled = pool.clone();
        shuffled.reverse();
        assert_eq!(draw_order(7, &pool), draw_order(7, &shuffled), "the pool's order does not matter");
        assert_ne!(draw_order(7, &pool), draw_order(8, &pool));
        let date = Date::new(2026, 12, 1).unwrap();
        let mut draw = Draw {
            month: Month { year: 2026, month: 11 },
            date,
            filters: Filters::default(),
            seed: Some(7),
            pool,
            count: 4,
            live: 0,
            withdrawn: Vec::new(),
            excluded: Vec::new(),
            drawn: Vec::new(),
        };
        let first = draw.recompute();
        assert_eq!(first.len(), 4);
        draw.excluded.push(Excluded { call_id: first[1].clone(), reason: "storing".into(), by: "coach".into() });
        let second = draw.recompute();
        assert_eq!(second.len(), 4);
        assert!(!second.contains(&first[1]));
        assert_eq!(second[..3], [first[0].clone(), first[2].clone(), first[3].clone()]);
        assert_eq!(second[3], draw_order(7, &draw.pool)[4], "the next call in the seed's order takes its place");
    }
}
