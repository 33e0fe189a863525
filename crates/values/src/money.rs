//! Money in whole euro cents, so sums are exact: never a float.

use std::fmt;

use crate::{InvalidValue, ValueKind};

/// An amount in whole euro cents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Cents(pub u64);

impl Cents {
    /// An amount of whole euros.
    pub fn euros(euros: u64) -> Cents {
        Cents(euros.saturating_mul(100))
    }

    /// Euros as people type them in the Netherlands: "1.250,50", "1250,5",
    /// "1250". A point groups thousands, a comma starts the cents.
    pub fn parse(text: &str) -> Result<Cents, InvalidValue> {
        let text = text.trim();
        let wrong = || {
            InvalidValue::new(
                ValueKind::Amount,
                format!("'{text}' is not an amount in euros; write e.g. 1250,50"),
                format!("'{text}' is geen bedrag in euro's. Schrijf het bedrag zonder euroteken, met een komma voor de centen, bijvoorbeeld 1250,50."),
            )
        };
        let without_groups = text.replace('.', "");
        let (whole, fraction) = without_groups.split_once(',').unwrap_or((&without_groups, ""));
        if whole.is_empty() || fraction.len() > 2 || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
            return Err(wrong());
        }
        let euros: u64 = whole.parse().map_err(|_| wrong())?;
        let cents: u64 = format!("{fraction:0<2}").parse().map_err(|_| wrong())?;
        euros.checked_mul(100).and_then(|e| e.checked_add(cents)).map(Cents).ok_or_else(wrong)
    }
}

impl fmt::Display for Cents {
    /// Dutch notation: € 10.000,00.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let euros = (self.0 / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in euros.chars().enumerate() {
            if i > 0 && (euros.len() - i).is_multiple_of(3) {
                grouped.push('.');
            }
            grouped.push(c);
        }
        write!(f, "€ {grouped},{:02}", self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_and_written_in_dutch_notation() {
        for (typed, cents) in [("1.250,50", 125_050), ("1250,5", 125_050), ("1250", 125_000), (" 0,07 ", 7)] {
            assert_eq!(Cents::parse(typed), Ok(Cents(cents)), "{typed}");
        }
        for wrong in ["", "12,345", "1,2,3", "€ 10", "-5", "1e3", "99999999999999999999"] {
            let error = Cents::parse(wrong).unwrap_err();
            assert_eq!(error.field, ValueKind::Amount, "{wrong}");
            assert!(error.reason.contains("write e.g. 1250,50"), "{wrong}: {error}");
        }
        assert_eq!(Cents(1_000_000).to_string(), "€ 10.000,00");
        assert_eq!(Cents::euros(5).to_string(), "€ 5,00");
    }
}
