//! Dates, moments and text as Dutch readers get them, in one place: the
//! Europe/Amsterdam calendar that every legal term is counted on, the
//! written date ("1 mei 2024") and HTML escaping for the pages and reports
//! that are written without a template engine.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

const MONTHS: [&str; 12] = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"];

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
    fn markup_is_escaped() {
        assert_eq!(escape_html(r#"<a href="x">'Tom' & Jerry</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;Tom&#39; &amp; Jerry&lt;/a&gt;");
    }
}
