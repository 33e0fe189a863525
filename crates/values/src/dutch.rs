//! Dates, moments and text as Dutch readers get them, in one place: the
//! Europe/Amsterdam calendar that every legal term is counted on, the
//! written date ("1 mei 2024"), dates and moments as an operator types
//! them (`27-11-2026 10:00`, `2026-11-27`), and HTML escaping for the pages
//! and reports that are written without a template engine.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

use crate::Reason;

/// The months as Dutch readers write them, lower-case.
pub(crate) const MONTHS: [&str; 12] =
    ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"];

/// The zone of the Dutch calendar. The zone database is compiled in
/// (`tzdb-bundle-always`), so the lookup cannot miss.
pub fn amsterdam() -> TimeZone {
    TimeZone::get("Europe/Amsterdam").unwrap_or(TimeZone::UTC)
}

/// The date in the Netherlands at a moment: 23:30 UTC on 31 March is
/// already 1 April there.
pub fn amsterdam_date(at: Timestamp) -> Date {
    at.to_zoned(amsterdam()).date()
}

/// A number kept in hundredths, written the Dutch way: 2960 → "29,6", 3200 → "32".
pub fn hundredths(value: i64) -> String {
    let (sign, value) = if value < 0 { ("-", value.unsigned_abs()) } else { ("", value.unsigned_abs()) };
    match value % 100 {
        0 => format!("{sign}{}", value / 100),
        f if f % 10 == 0 => format!("{sign}{},{}", value / 100, f / 10),
        f => format!("{sign}{},{f:02}", value / 100),
    }
}

/// A date as a Dutch reader writes it: "1 mei 2024".
pub fn date(date: Date) -> String {
    let month = usize::try_from(date.month()).ok().and_then(|m| m.checked_sub(1)).and_then(|m| MONTHS.get(m)).copied().unwrap_or("?");
    format!("{} {month} {}", date.day(), date.year())
}

/// A moment as people in the Netherlands read it: "1 mei 2024 14:05".
pub fn moment(at: Timestamp) -> String {
    let zoned = at.to_zoned(amsterdam());
    format!("{} {}", date(zoned.date()), zoned.strftime("%H:%M"))
}

/// A date or a moment as an operator wrote it: a date alone names a day
/// on the Dutch calendar, a time with it a moment in Amsterdam time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// A day, with no time given.
    Date(Date),
    /// A moment: a date with a time of day, or with an offset.
    Moment(Timestamp),
}

impl Written {
    /// The moment: a date alone is its first moment in Amsterdam.
    pub fn start(self) -> Timestamp {
        match self {
            Written::Date(date) => amsterdam().to_ambiguous_zoned(date.to_datetime(Time::midnight())).compatible().map_or(Timestamp::MIN, |z| z.timestamp()),
            Written::Moment(at) => at,
        }
    }
}

/// Why a written date or moment was not accepted: the text, what is wrong
/// with it and where, and how to write it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}`: {problem}; write a date as 27-11-2026 or 2026-11-27, a moment as 27-11-2026 10:00 or 2026-11-27T10:00 (Amsterdam time) or 2026-11-27T09:00:00Z"
)]
pub struct InvalidWritten {
    /// The text as given.
    pub text: String,
    /// What is wrong, and where.
    pub problem: Reason,
}

impl InvalidWritten {
    /// The refusal as a page says it: the text, what is wrong and how to
    /// write a date or moment.
    pub fn explain_nl(&self) -> String {
        format!(
            "'{}': {}. Schrijf een datum als 27-11-2026 of 2026-11-27, een moment als 27-11-2026 10:00 (Nederlandse tijd).",
            self.text.trim(),
            self.problem.nl
        )
    }
}

/// Reads a date or moment the way people here write one, strictly: a
/// Dutch date `27-11-2026` or an ISO date `2026-11-27`, each optionally
/// followed by a time `10:00` or `10:00:30` (after a space, or a `T` for
/// ISO), read as Amsterdam time; or an RFC 3339 moment with its offset
/// (`2026-11-27T09:00:00Z`). Nothing else: no two-digit years, no day
/// that does not exist, no trailing text, and no local time that the
/// change to or from summer time makes ambiguous or skips.
pub fn parse_written(text: &str) -> Result<Written, InvalidWritten> {
    let fail = |problem: Reason| InvalidWritten { text: text.to_string(), problem };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(fail(Reason::new("no date given", "er is geen datum ingevuld")));
    }
    // A moment with an offset is exact as it is.
    let has_offset =
        trimmed.ends_with(['Z', 'z']) || trimmed.get(10..).is_some_and(|rest| rest.contains(['+']) || rest.get(1..).is_some_and(|r| r.contains('-')));
    if has_offset {
        return trimmed
            .parse::<Timestamp>()
            .map(Written::Moment)
            .map_err(|e| fail(Reason::new(format!("not a moment with an offset ({e})"), "dit is geen geldig moment met tijdzone")));
    }
    let (date_text, time_text) = match trimmed.find([' ', 'T']) {
        Some(at) => (&trimmed[..at], Some((at + 1, trimmed[at + 1..].trim_start()))),
        None => (trimmed, None),
    };
    let date = parse_date(date_text).map_err(fail)?;
    let Some((offset, time_text)) = time_text else { return Ok(Written::Date(date)) };
    let time = parse_time(time_text).map_err(|problem| {
        fail(Reason::new(format!("{} (from character {})", problem.en, offset + 1), format!("{} (vanaf teken {})", problem.nl, offset + 1)))
    })?;
    let local = DateTime::from_parts(date, time);
    let zoned = amsterdam().to_ambiguous_zoned(local).unambiguous().map_err(|_| {
        fail(Reason::new(
            format!(
                "{date} {time_text} does not exist or occurs twice in Amsterdam when summer time begins or ends; give the offset, e.g. {date}T{time_text}+01:00"
            ),
            format!(
                "{time_text} bestaat niet of komt twee keer voor op {} door de overgang naar zomer- of wintertijd; kies een ander tijdstip",
                self::date(date)
            ),
        ))
    })?;
    Ok(Written::Moment(zoned.timestamp()))
}

/// `27-11-2026` or `2026-11-27`; says which part is wrong.
fn parse_date(text: &str) -> Result<Date, Reason> {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let [a, b, c] = parts.as_slice() else {
        return Err(Reason::new(
            format!("`{text}` is not a date of day, month and year separated by hyphens"),
            "dit is geen datum van dag, maand en jaar met streepjes ertussen",
        ));
    };
    if !(digits(a) && digits(b) && digits(c)) {
        return Err(Reason::new(format!("`{text}` holds something other than digits and hyphens"), "er staat iets anders in dan cijfers en streepjes"));
    }
    let (year, month, day, order) = match (a.len(), c.len()) {
        (4, 1..=2) if b.len() <= 2 => (*a, *b, *c, "year-month-day"),
        (1..=2, 4) if b.len() <= 2 => (*c, *b, *a, "day-month-year"),
        _ => {
            return Err(Reason::new(
                format!("`{text}` has no four-digit year at its start or end"),
                "het jaar moet uit vier cijfers bestaan, vooraan of achteraan",
            ));
        }
    };
    let number = |part: &str| part.parse::<i16>().unwrap_or(0);
    let (year, month, day) = (number(year), number(month), number(day));
    if !(1..=12).contains(&month) {
        return Err(Reason::new(
            format!("the month `{month}` is not 1 to 12 (read as {order})"),
            format!("maand {month} bestaat niet; een maand is 1 tot en met 12"),
        ));
    }
    let (Ok(month), Ok(day)) = (i8::try_from(month), i8::try_from(day)) else {
        return Err(Reason::new(format!("the day `{day}` does not exist in that month"), format!("dag {day} bestaat niet in die maand")));
    };
    let month_name = MONTHS.get(usize::try_from(month - 1).unwrap_or(0)).copied().unwrap_or("?");
    Date::new(year, month, day).map_err(|_| Reason::new(format!("there is no {day} {month_name} {year}"), format!("{day} {month_name} {year} bestaat niet")))
}

/// `10:00` or `10:00:30`.
fn parse_time(text: &str) -> Result<Time, Reason> {
    let parts: Vec<&str> = text.split(':').collect();
    let two = |part: &&str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !(2..=3).contains(&parts.len()) || !parts.iter().all(two) {
        return Err(Reason::new(
            format!("`{text}` is not a time of day as hh:mm or hh:mm:ss"),
            format!("'{text}' is geen tijdstip; schrijf het als uu:mm, bijvoorbeeld 10:00"),
        ));
    }
    let number = |i: usize| parts.get(i).and_then(|p| p.parse::<i8>().ok()).unwrap_or(0);
    Time::new(number(0), number(1), number(2), 0).map_err(|_| {
        Reason::new(format!("`{text}` is not a time of day (00:00 to 23:59)"), format!("'{text}' is geen tijdstip; een tijdstip ligt tussen 00:00 en 23:59"))
    })
}

/// `text` safe inside HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_moments_are_written_on_the_dutch_calendar() {
        assert_eq!(date(jiff::civil::date(2023, 1, 31)), "31 januari 2023");
        assert_eq!(date(jiff::civil::date(2024, 12, 1)), "1 december 2024");
        let late = "2026-03-31T23:30:00Z".parse::<Timestamp>().unwrap();
        assert_eq!(amsterdam_date(late), jiff::civil::date(2026, 4, 1));
        assert_eq!(moment(late), "1 april 2026 01:30");
        let winter = "2026-01-15T23:30:00Z".parse::<Timestamp>().unwrap();
        assert_eq!(moment(winter), "16 januari 2026 00:30");
    }

    #[test]
    fn dates_and_moments_are_read_strictly_as_written_here() {
        let date = |text: &str| parse_written(text).unwrap();
        assert_eq!(date("27-11-2026"), Written::Date(jiff::civil::date(2026, 11, 27)));
        assert_eq!(date("2026-11-27"), Written::Date(jiff::civil::date(2026, 11, 27)));
        assert_eq!(date("7-1-2026"), Written::Date(jiff::civil::date(2026, 1, 7)));
        // Amsterdam time: 10:00 in November is 09:00 UTC, in June 08:00 UTC.
        assert_eq!(date("27-11-2026 10:00").start().to_string(), "2026-11-27T09:00:00Z");
        assert_eq!(date("2026-06-01T10:00:30").start().to_string(), "2026-06-01T08:00:30Z");
        assert_eq!(date("2026-11-27T09:00:00Z").start().to_string(), "2026-11-27T09:00:00Z");
        assert_eq!(date("2026-11-27T10:00:00+01:00").start().to_string(), "2026-11-27T09:00:00Z");
        assert_eq!(date("27-11-2026").start().to_string(), "2026-11-26T23:00:00Z", "a day starts at midnight in Amsterdam");
        for (text, says) in [
            ("31-02-2026", "there is no 31 februari 2026"),
            ("2026-13-01", "the month `13`"),
            ("27-11-26", "four-digit year"),
            ("morgen", "not a date"),
            ("27-11-2026 25:00", "not a time of day (00:00 to 23:59) (from character 12)"),
            ("27-11-2026 10u", "hh:mm"),
            ("27-11-2026x", "other than digits"),
            ("2026-03-29 02:30", "summer time"),
            ("", "no date given"),
        ] {
            let refused = parse_written(text).unwrap_err().to_string();
            assert!(refused.contains(says), "{text}: {refused}");
            assert!(refused.contains("write a date as 27-11-2026"), "{refused}");
            let nl = parse_written(text).unwrap_err().explain_nl();
            assert!(nl.contains("Schrijf een datum als 27-11-2026") && !nl.contains("write"), "{text}: {nl}");
        }
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(escape_html(r#"<a href="x">'Tom' & Jerry</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;Tom&#39; &amp; Jerry&lt;/a&gt;");
    }
}
