//! The rules of the schemes that decide more than which data is held.

use grondslag_values::Cents;
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

/// What an application is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A home.
    Home,
    /// A building that is not a home.
    NonResidential,
    /// A garage box, a shed and the like.
    SmallObject,
}

/// A refusal by a rule, with the reason the applicant is given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum Refusal {
    #[error(
        "this object received the fixed compensation on {decided}; that payment is final and covers physical damage, extra costs, consequential damage and nuisance up to that date, so a new application is possible only for damage that arose after it"
    )]
    SettledByFixedCompensation { decided: Date },
    #[error("the child turned 18 on {eighteenth}, not after the reference date {reference}; the children's scheme is for children up to and including 17")]
    ChildTooOld { eighteenth: Date, reference: Date },
    #[error("the birth date {birth} lies after the reference date {reference}")]
    NotYetBorn { birth: Date, reference: Date },
    #[error("the child's claim derives from a legal representative's award for immaterial damage; record that award first")]
    NoRepresentativeAward,
    #[error("the applicant does not have custody of the child according to the custody register")]
    NoCustody,
}

/// E2: the fixed compensation, €10,000, or €5,000 for a small object.
pub fn fixed_compensation(object: ObjectKind) -> Cents {
    match object {
        ObjectKind::SmallObject => Cents::euros(5_000),
        ObjectKind::Home | ObjectKind::NonResidential => Cents::euros(10_000),
    }
}

/// E2 is final for its object: physical damage that arose on or before the
/// fixed compensation was decided is settled by it.
pub fn check_not_settled(fixed_compensation_decided: Option<Date>, damage_arose: Date) -> Result<(), Refusal> {
    match fixed_compensation_decided {
        Some(decided) if damage_arose <= decided => Err(Refusal::SettledByFixedCompensation { decided }),
        _ => Ok(()),
    }
}

/// E6: a child qualifies up to and including 17 on the reference date; on
/// the 18th birthday it no longer does. A child born on 29 February turns 18
/// on 28 February in a common year (calendar arithmetic that clamps to the
/// month's last day, as EU Regulation 1182/71 counts months).
pub fn check_child_age(birth: Date, reference: Date) -> Result<(), Refusal> {
    if birth > reference {
        return Err(Refusal::NotYetBorn { birth, reference });
    }
    let eighteenth = birth.checked_add(18.years()).unwrap_or(Date::MAX);
    if eighteenth <= reference {
        return Err(Refusal::ChildTooOld { eighteenth, reference });
    }
    Ok(())
}

/// E8: when a report of an acutely unsafe situation made at `reported`
/// must have been handled: within 48 hours, counted in real time (a
/// weekend does not stop the clock of an unsafe house).
pub fn unsafe_deadline(reported: Timestamp) -> Timestamp {
    reported.checked_add(48.hours()).unwrap_or(Timestamp::MAX)
}

/// Whether a report is past its deadline at `now` without being handled.
pub fn unsafe_overdue(reported: Timestamp, handled: Option<Timestamp>, now: Timestamp) -> bool {
    let deadline = unsafe_deadline(reported);
    match handled {
        Some(handled) => handled > deadline,
        None => now > deadline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    // req: E2
    #[test]
    fn the_fixed_compensation_is_final_for_damage_up_to_its_decision() {
        assert_eq!(fixed_compensation(ObjectKind::Home), Cents::euros(10_000));
        assert_eq!(fixed_compensation(ObjectKind::SmallObject).to_string(), "€ 5.000,00");
        let decided = date(2025, 3, 1);
        let refused = check_not_settled(Some(decided), date(2025, 2, 10)).unwrap_err();
        assert!(refused.to_string().contains("final"), "{refused}");
        assert_eq!(check_not_settled(Some(decided), decided), Err(Refusal::SettledByFixedCompensation { decided }));
        assert_eq!(check_not_settled(Some(decided), date(2025, 3, 2)), Ok(()));
        assert_eq!(check_not_settled(None, date(2025, 2, 10)), Ok(()));
    }

    // req: E6
    #[test]
    fn a_child_qualifies_until_the_eighteenth_birthday() {
        let birth = date(2008, 6, 15);
        assert_eq!(check_child_age(birth, date(2026, 6, 14)), Ok(()));
        let refused = check_child_age(birth, date(2026, 6, 15)).unwrap_err();
        assert_eq!(refused, Refusal::ChildTooOld { eighteenth: date(2026, 6, 15), reference: date(2026, 6, 15) });
        assert!(refused.to_string().contains("up to and including 17"));
        // Born on 29 February: 18 on 28 February of a common year.
        assert_eq!(check_child_age(date(2008, 2, 29), date(2026, 2, 27)), Ok(()));
        assert!(check_child_age(date(2008, 2, 29), date(2026, 2, 28)).is_err());
        assert!(matches!(check_child_age(date(2027, 1, 1), date(2026, 6, 15)), Err(Refusal::NotYetBorn { .. })));
    }

    // req: E8
    #[test]
    fn an_unsafe_situation_is_due_within_48_hours() {
        let reported: Timestamp = "2026-11-27T09:30:00Z".parse().unwrap();
        assert_eq!(unsafe_deadline(reported).to_string(), "2026-11-29T09:30:00Z");
        let just_in_time: Timestamp = "2026-11-29T09:30:00Z".parse().unwrap();
        let a_second_late: Timestamp = "2026-11-29T09:30:01Z".parse().unwrap();
        assert!(!unsafe_overdue(reported, None, just_in_time));
        assert!(unsafe_overdue(reported, None, a_second_late));
        assert!(!unsafe_overdue(reported, Some(just_in_time), a_second_late));
        assert!(unsafe_overdue(reported, Some(a_second_late), a_second_late));
    }
}
