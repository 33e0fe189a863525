//! Legal terms as EU Regulation 1182/71 and the Dutch Algemene termijnenwet
//! (ATW) count them, on the Europe/Amsterdam calendar.
//!
//! A term of months ends on the same date of the last month, or on that
//! month's last day where there is no such date (31 January + 1 month = 28 or
//! 29 February). A term that would end on a Saturday, a Sunday or a public
//! holiday of ATW art. 3 ends on the next working day. An extension runs
//! from receipt, not from the first deadline (31 January + 3 months =
//! 30 April, where 28 February + 2 months would give 28 April), and only if
//! the person was told within the first month.

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

/// Easter Sunday of `year` (Gregorian computus, Meeus/Jones/Butcher).
pub fn easter(year: i16) -> Date {
    let y = i32::from(year);
    let (a, b, c) = (y % 19, y / 100, y % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // The computus always yields a March or April date.
    Date::new(year, month as i8, day as i8).unwrap_or(Date::MIN)
}

/// The public holidays of ATW art. 3 in `year`: New Year's Day, Easter
/// Monday, King's Day (27 April, the 26th when the 27th is a Sunday),
/// 5 May, Ascension Day, Whit Monday and both Christmas days. Easter and
/// Whit Sunday are Sundays already; Good Friday is not among them.
pub fn holidays(year: i16) -> Vec<Date> {
    let easter = easter(year);
    let offset = |days: i64| easter.checked_add(days.days()).unwrap_or(easter);
    let date = |month: i8, day: i8| Date::new(year, month, day).unwrap_or(Date::MIN);
    let kings_day = if date(4, 27).weekday() == Weekday::Sunday { date(4, 26) } else { date(4, 27) };
    vec![date(1, 1), offset(1), kings_day, date(5, 5), offset(39), offset(50), date(12, 25), date(12, 26)]
}

/// Not a weekend day nor a Dutch public holiday.
pub fn is_working_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) && !holidays(date.year()).contains(&date)
}

/// `date`, or the first working day after it.
pub fn next_working_day(mut date: Date) -> Date {
    while !is_working_day(date) {
        date = date.tomorrow().unwrap_or(Date::MAX);
    }
    date
}

/// The last day of a term of `months` months from `received`, moved to the
/// next working day.
pub fn deadline(received: Date, months: i64) -> Date {
    next_working_day(received.checked_add(months.months()).unwrap_or(Date::MAX))
}

/// The answer is due one month after receipt (art. 12(3) AVG).
pub fn answer_due(received: Date) -> Date {
    deadline(received, 1)
}

/// Why a request's term could not be extended.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum ExtensionError {
    #[error("an extension needs a reason: the complexity of the request or the number of requests")]
    NoReason,
    #[error("the person was told on {told}, after the first month ended on {first_deadline}; the term can no longer be extended")]
    TooLate { told: Date, first_deadline: Date },
    #[error("the term can be extended by at most two months")]
    TooLong,
}

/// The deadline after extending by `months` (1 or 2) more, counted from
/// receipt. Allowed only with a reason and when the person was told within
/// the first month.
pub fn extend(received: Date, months: i64, reason: &str, told: Date) -> Result<Date, ExtensionError> {
    if reason.trim().is_empty() {
        return Err(ExtensionError::NoReason);
    }
    if !(1..=2).contains(&months) {
        return Err(ExtensionError::TooLong);
    }
    let first_deadline = answer_due(received);
    if told > first_deadline {
        return Err(ExtensionError::TooLate { told, first_deadline });
    }
    Ok(deadline(received, 1 + months))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn easter_is_computed() {
        assert_eq!(easter(2024), date(2024, 3, 31));
        assert_eq!(easter(2025), date(2025, 4, 20));
        assert_eq!(easter(2026), date(2026, 4, 5));
        assert_eq!(easter(2027), date(2027, 3, 28));
        assert_eq!(easter(2038), date(2038, 4, 25));
    }

    // req: E22
    #[test]
    fn a_month_ends_on_the_same_date_or_the_last_day_of_the_month() {
        // 31 January 2027 → 28 February 2027 (a Sunday) → Monday 1 March.
        assert_eq!(answer_due(date(2027, 1, 31)), date(2027, 3, 1));
        // 31 January 2028 (leap year) → Tuesday 29 February.
        assert_eq!(answer_due(date(2028, 1, 31)), date(2028, 2, 29));
        // 15 June 2026 → Wednesday 15 July.
        assert_eq!(answer_due(date(2026, 6, 15)), date(2026, 7, 15));
    }

    // req: I.RIGHTS
    #[test]
    fn a_term_ending_on_a_weekend_or_holiday_moves_to_the_next_working_day() {
        // Easter Monday 6 April 2026.
        assert_eq!(answer_due(date(2026, 3, 6)), date(2026, 4, 7), "6 April is Easter Monday");
        // King's Day: 27 April 2025 was a Sunday, so it was kept on Saturday the 26th.
        assert_eq!(holidays(2025)[2], date(2025, 4, 26));
        assert_eq!(answer_due(date(2026, 3, 27)), date(2026, 4, 28), "27 April 2026 is King's Day");
        // Ascension Day 14 May 2026, Whit Monday 25 May 2026.
        assert_eq!(answer_due(date(2026, 4, 14)), date(2026, 5, 15));
        assert_eq!(answer_due(date(2026, 4, 25)), date(2026, 5, 26));
        // Christmas: 25 and 26 December 2026 (Friday, Saturday), then Sunday.
        assert_eq!(answer_due(date(2026, 11, 25)), date(2026, 12, 28));
        // Liberation Day, 5 May, counts every year under the ATW.
        assert_eq!(answer_due(date(2026, 4, 5)), date(2026, 5, 6));
    }

    // req: I.RIGHTS
    #[test]
    fn an_extension_runs_from_receipt_needs_a_reason_and_timely_notice() {
        let received = date(2027, 1, 31);
        // Three months from 31 January: 30 April (a Friday), not 28 April.
        assert_eq!(extend(received, 2, "complex request", date(2027, 2, 15)), Ok(date(2027, 4, 30)));
        assert_eq!(extend(received, 2, " ", date(2027, 2, 15)), Err(ExtensionError::NoReason));
        assert_eq!(extend(received, 3, "many", date(2027, 2, 15)), Err(ExtensionError::TooLong));
        let late = extend(received, 1, "complex request", date(2027, 3, 2)).unwrap_err();
        assert_eq!(late, ExtensionError::TooLate { told: date(2027, 3, 2), first_deadline: date(2027, 3, 1) });
        assert!(extend(received, 1, "complex request", date(2027, 3, 1)).is_ok(), "told on the last day of the first month");
    }
}
