//! When data is due for deletion, from the dated facts of its record.
//!
//! A retention rule says how long; the record's events say since when. The
//! answer is computed when the facts arrive, so that finding what is due
//! never means scanning the store. Terms are calendar terms in
//! Europe/Amsterdam: one month after 31 January is the end of February.

use grondslag_values::dutch::amsterdam;
use jiff::Timestamp;

use crate::model::{Duration, Retention, Term};

/// The event that places a hold (incident, integrity issue, proceedings).
pub const HOLD_PLACED: &str = "hold_placed";
/// The event that releases it.
pub const HOLD_RELEASED: &str = "hold_released";
/// The event of consent being withdrawn.
pub const CONSENT_WITHDRAWN: &str = "consent_withdrawn";
/// The event every record starts with, for per-item terms.
pub const RECORDED: &str = "recorded";
/// An event named `item_term:<duration>` (e.g. `item_term:3 months`) sets a
/// per-item term, such as one dashboard's; without it the default applies.
pub const ITEM_TERM: &str = "item_term:";

/// When a record may be deleted, by its processing's retention rule and its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Due {
    /// Deletable from this moment.
    At(Timestamp),
    /// No date yet: the event the term counts from has not happened.
    WaitingFor(String),
    /// Under a hold: kept, whatever the term says, until it is released.
    Held,
    /// Kept for good.
    Never,
}

/// `at` plus `term`, counted on the Amsterdam calendar.
pub fn add_term(at: Timestamp, term: &Term) -> Timestamp {
    at.to_zoned(amsterdam()).checked_add(term.duration.to_span()).map_or(Timestamp::MAX, |z| z.timestamp())
}

/// When `event` last happened, among `facts` (oldest first).
fn last(facts: &[(&str, Timestamp)], event: &str) -> Option<Timestamp> {
    facts.iter().rev().find(|(e, _)| *e == event).map(|(_, at)| *at)
}

/// Whether the last hold event among `facts` placed a hold.
pub fn held(facts: &[(&str, Timestamp)]) -> bool {
    facts.iter().rev().find(|(e, _)| *e == HOLD_PLACED || *e == HOLD_RELEASED).is_some_and(|(e, _)| *e == HOLD_PLACED)
}

impl Retention {
    /// When a record under this rule is due, given its events (oldest
    /// first). A hold that is placed and not released wins over any term;
    /// once released, the term applies again, so a passed term makes the
    /// record due at once.
    pub fn due(&self, facts: &[(&str, Timestamp)]) -> Due {
        if held(facts) {
            return Due::Held;
        }
        match self {
            Retention::AfterEvent { event, term } => match last(facts, event) {
                Some(at) => Due::At(add_term(at, term)),
                None => Due::WaitingFor(event.clone()),
            },
            Retention::UntilEvent { event, fallback } => {
                let until = last(facts, event);
                let latest = fallback.as_ref().and_then(|(after, term)| last(facts, after).map(|at| add_term(at, term)));
                match until.into_iter().chain(latest).min() {
                    Some(at) => Due::At(at),
                    None => Due::WaitingFor(event.clone()),
                }
            }
            Retention::UntilWithdrawn => match last(facts, CONSENT_WITHDRAWN) {
                Some(at) => Due::At(at),
                None => Due::WaitingFor(CONSENT_WITHDRAWN.to_string()),
            },
            Retention::Permanent { .. } => Due::Never,
            Retention::PerItem { default, event } => {
                let own =
                    facts.iter().rev().find_map(|(e, _)| e.strip_prefix(ITEM_TERM).and_then(Duration::parse)).map(|duration| Term { duration, setting: None });
                match last(facts, event) {
                    Some(at) => Due::At(add_term(at, own.as_ref().unwrap_or(default))),
                    None => Due::WaitingFor(event.clone()),
                }
            }
        }
    }

    /// Whether a record's due date under this rule can change when `event`
    /// joins its events: only the events [`Retention::due`] looks at can
    /// change it. Most of a case's events (a step, a photo, a message)
    /// cannot, and recomputing the date at each of them read all of the
    /// case's events every time.
    pub fn may_change_with(&self, event: &str) -> bool {
        if event == HOLD_PLACED || event == HOLD_RELEASED {
            return true;
        }
        match self {
            Retention::AfterEvent { event: counted, .. } => event == counted,
            Retention::UntilEvent { event: until, fallback } => event == until || fallback.as_ref().is_some_and(|(after, _)| event == after),
            Retention::UntilWithdrawn => event == CONSENT_WITHDRAWN,
            Retention::Permanent { .. } => false,
            Retention::PerItem { event: counted, .. } => event == counted || event.starts_with(ITEM_TERM),
        }
    }
}

impl std::fmt::Display for Due {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Due::At(at) => write!(f, "{}", at.to_zoned(amsterdam()).strftime("%Y-%m-%d %H:%M (Amsterdam)")),
            Due::WaitingFor(event) => write!(f, "waiting for `{event}`"),
            Due::Held => f.write_str("held"),
            Due::Never => f.write_str("never"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DurationUnit;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn term(amount: u32, unit: DurationUnit) -> Term {
        Term { duration: Duration { amount, unit }, setting: None }
    }

    // req: E18
    #[test]
    fn a_recording_is_due_28_days_after_the_call_unless_held() {
        let rule = Retention::AfterEvent { event: "recorded".to_string(), term: term(28, DurationUnit::Days) };
        let call = ts("2026-10-01T09:00:00Z");
        // 28 calendar days in Amsterdam: 11:00 local both times, across the
        // end of summer time on 25 October.
        assert_eq!(rule.due(&[("recorded", call)]), Due::At(ts("2026-10-29T10:00:00Z")));
        let held = [("recorded", call), (HOLD_PLACED, ts("2026-10-10T00:00:00Z"))];
        assert_eq!(rule.due(&held), Due::Held);
        let released = [("recorded", call), (HOLD_PLACED, ts("2026-10-10T00:00:00Z")), (HOLD_RELEASED, ts("2026-12-01T00:00:00Z"))];
        assert_eq!(rule.due(&released), Due::At(ts("2026-10-29T10:00:00Z")), "past its term: due at once on release");
        assert_eq!(rule.due(&[]), Due::WaitingFor("recorded".to_string()));
    }

    #[test]
    fn a_per_item_term_overrides_the_default() {
        let rule = Retention::PerItem { default: term(1, DurationUnit::Years), event: RECORDED.to_string() };
        let recorded = (RECORDED, ts("2026-01-15T10:00:00Z"));
        assert_eq!(rule.due(&[recorded]), Due::At(ts("2027-01-15T10:00:00Z")));
        assert_eq!(rule.due(&[recorded, ("item_term:3 months", ts("2026-01-15T10:00:00Z"))]), Due::At(ts("2026-04-15T09:00:00Z")));
    }

    #[test]
    fn months_count_on_the_amsterdam_calendar() {
        let rule = Retention::AfterEvent { event: "x".to_string(), term: term(1, DurationUnit::Months) };
        // 31 January 12:00 in Amsterdam → the last day of February.
        assert_eq!(rule.due(&[("x", ts("2027-01-31T11:00:00Z"))]), Due::At(ts("2027-02-28T11:00:00Z")));
        // Across the switch to summer time the local hour stays 12:00.
        assert_eq!(rule.due(&[("x", ts("2027-03-15T11:00:00Z"))]), Due::At(ts("2027-04-15T10:00:00Z")));
    }

    // req: E18
    #[test]
    fn an_event_that_may_not_change_the_date_changes_none_under_any_rule() {
        let rules = [
            Retention::AfterEvent { event: "closed".to_string(), term: term(7, DurationUnit::Years) },
            Retention::UntilEvent { event: "satisfied".to_string(), fallback: Some(("answered".to_string(), term(4, DurationUnit::Weeks))) },
            Retention::UntilEvent { event: "satisfied".to_string(), fallback: None },
            Retention::UntilWithdrawn,
            Retention::Permanent { reason: None },
            Retention::PerItem { default: term(1, DurationUnit::Years), event: RECORDED.to_string() },
        ];
        let events = ["closed", "satisfied", "answered", "step", "photo_added", RECORDED, CONSENT_WITHDRAWN, HOLD_PLACED, HOLD_RELEASED, "item_term:3 months"];
        let at = |day: i64| ts("2026-01-01T00:00:00Z") + jiff::SignedDuration::from_hours(24 * day);
        for rule in &rules {
            let mut changing = 0;
            // Every history of up to three of the events, each followed by every event.
            let histories = (0..=3u32).flat_map(|len| (0..events.len().pow(len)).map(move |history| (len, history)));
            for (len, history) in histories {
                let facts: Vec<(&str, Timestamp)> = (0..len).map(|i| (events[history / events.len().pow(i) % events.len()], at(i64::from(i)))).collect();
                for next in events {
                    let after: Vec<(&str, Timestamp)> = facts.iter().copied().chain([(next, at(10))]).collect();
                    if rule.due(&after) != rule.due(&facts) {
                        changing += 1;
                        assert!(rule.may_change_with(next), "{rule:?}: `{next}` after {facts:?} changed the date, but may_change_with says it cannot");
                    }
                }
            }
            // The check is not empty: under every rule some event (a hold, at least) changes the date.
            assert!(changing > 0, "{rule:?}");
        }
    }

    // req: E11
    #[test]
    fn a_message_is_due_when_the_sender_is_satisfied_or_after_the_quiet_period() {
        let rule =
            Retention::UntilEvent { event: "answered_and_satisfied".to_string(), fallback: Some(("answered".to_string(), term(4, DurationUnit::Weeks))) };
        assert_eq!(rule.due(&[("received", ts("2026-11-01T00:00:00Z"))]), Due::WaitingFor("answered_and_satisfied".to_string()));
        let answered = ("answered", ts("2026-11-02T10:00:00Z"));
        assert_eq!(rule.due(&[answered]), Due::At(ts("2026-11-30T10:00:00Z")));
        assert_eq!(rule.due(&[answered, ("answered_and_satisfied", ts("2026-11-03T10:00:00Z"))]), Due::At(ts("2026-11-03T10:00:00Z")));
        assert_eq!(Retention::UntilWithdrawn.due(&[(CONSENT_WITHDRAWN, ts("2026-11-05T00:00:00Z"))]), Due::At(ts("2026-11-05T00:00:00Z")));
        assert_eq!(Retention::Permanent { reason: None }.due(&[answered]), Due::Never);
    }
}
