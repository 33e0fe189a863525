//! Case numbers (zaaknummers): `IMG-YYYY-NNNNNN`, the year the case was
//! opened and a counter for that year that only ever goes up, so a number is
//! never given twice, not even after the case was erased.

use std::fmt;
use std::str::FromStr;

use grondslag_values::{InvalidValue, ValueKind};

/// A case number such as `IMG-2026-000123`: the year it was opened and a serial within that year.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseNumber {
    year: i16,
    serial: u32,
}

/// Serials are written with at least six digits. A year with more cases
/// than that goes on with seven (`IMG-2026-1000000`) rather than refusing
/// the next case: a counter that could run out would let a flood of
/// anonymous reports stop everyone from filing.
const MAX_SERIAL: u32 = 999_999_999;

impl CaseNumber {
    /// The case number for `year` and `serial`, if both are in range.
    pub fn new(year: i16, serial: u32) -> Result<CaseNumber, InvalidValue> {
        if !(2018..=9999).contains(&year) {
            return Err(InvalidValue::new(
                ValueKind::CaseNumber,
                format!("year {year} is outside 2018–9999 (the institute started in 2018)"),
                format!("het jaar {year} kan niet: het IMG bestaat sinds 2018. Neem het zaaknummer over uit onze brief, bijvoorbeeld IMG-2026-000123."),
            ));
        }
        if serial == 0 || serial > MAX_SERIAL {
            return Err(InvalidValue::new(
                ValueKind::CaseNumber,
                format!("serial {serial} is outside 1–{MAX_SERIAL}"),
                format!("het volgnummer {serial} kan niet; het ligt tussen 1 en {MAX_SERIAL}. Neem het zaaknummer over uit onze brief."),
            ));
        }
        Ok(CaseNumber { year, serial })
    }

    /// The year the case was opened.
    pub fn year(&self) -> i16 {
        self.year
    }

    /// The serial within the year, from 1.
    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// Parses the `IMG-YYYY-NNNNNN` form.
    pub fn parse(text: &str) -> Result<CaseNumber, InvalidValue> {
        let malformed = || {
            InvalidValue::new(
                ValueKind::CaseNumber,
                format!("'{}' is not a case number; it looks like IMG-2026-000123", text.trim()),
                format!("'{}' is geen zaaknummer. Een zaaknummer ziet eruit als IMG-2026-000123.", text.trim()),
            )
        };
        let mut parts = text.trim().split('-');
        let (Some("IMG"), Some(year), Some(serial), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(malformed());
        };
        // Six digits, or more without a leading zero: one spelling per number.
        let serial_written = serial.len() == 6 || (7..=9).contains(&serial.len()) && !serial.starts_with('0');
        if year.len() != 4 || !serial_written || !year.bytes().chain(serial.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        CaseNumber::new(year.parse().map_err(|_| malformed())?, serial.parse().map_err(|_| malformed())?)
    }
}

impl fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IMG-{}-{:06}", self.year, self.serial)
    }
}

impl FromStr for CaseNumber {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseNumber::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // req: E1
    #[test]
    fn case_numbers_have_one_format() {
        let n = CaseNumber::new(2026, 123).unwrap();
        assert_eq!(n.to_string(), "IMG-2026-000123");
        assert_eq!(CaseNumber::parse("IMG-2026-000123"), Ok(n));
        for bad in ["IMG-2026-123", "img-2026-000123", "IMG-2026-000000", "IMG-1999-000001", "IMG-2026-000123-1", "2026-000123"] {
            assert!(CaseNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(CaseNumber::new(2026, 1_000_000_000).is_err());
    }

    // req: I.SEC
    #[test]
    fn after_the_millionth_case_of_a_year_the_number_grows_a_digit() {
        let next = CaseNumber::new(2026, 1_000_000).unwrap();
        assert_eq!(next.to_string(), "IMG-2026-1000000");
        assert_eq!(CaseNumber::parse("IMG-2026-1000000"), Ok(next));
        assert!(CaseNumber::parse("IMG-2026-0100000").is_err(), "a seventh digit is never a leading zero");
    }
}
