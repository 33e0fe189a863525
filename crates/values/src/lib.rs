//! Values that are checked where they enter the system.
//!
//! Each type can only hold a well-formed value: a BSN that passes the
//! 11-check, an IBAN whose check digits match (ISO 13616, mod 97), a Dutch
//! postcode, and so on. Parsing normalises (no spaces in an IBAN, upper-case
//! postcode letters) so that equal values compare and index equal. Errors
//! name the kind of value and say what is wrong and how to fix it; they quote
//! the input only where it is not a national identifier.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidValue {
    InvalidValue { field, reason: reason.into() }
}

/// Digits of `text` with spaces, dots and dashes (common in typed numbers)
/// removed; `None` if anything else is in it.
fn digits_only(text: &str) -> Option<String> {
    let cleaned: String = text.chars().filter(|c| !matches!(c, ' ' | '.' | '-')).collect();
    cleaned.chars().all(|c| c.is_ascii_digit()).then_some(cleaned)
}

macro_rules! text_value {
    ($ty:ident) => {
        impl $ty {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $ty {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::parse(s)
            }
        }
    };
}

/// Burgerservicenummer: nine digits passing the 11-check.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bsn(String);
text_value!(Bsn);

impl Bsn {
    pub fn parse(text: &str) -> Result<Bsn, InvalidValue> {
        let digits = digits_only(text.trim()).ok_or_else(|| invalid("bsn", "a BSN has only digits"))?;
        let digits = match digits.len() {
            9 => digits,
            // BSNs issued with a leading zero are often written without it.
            8 => format!("0{digits}"),
            n => return Err(invalid("bsn", format!("a BSN has 9 digits, got {n}"))),
        };
        if digits.bytes().all(|b| b == b'0') {
            return Err(invalid("bsn", "a BSN cannot be all zeros"));
        }
        let sum: i64 = digits
            .bytes()
            .zip([9, 8, 7, 6, 5, 4, 3, 2, -1])
            .map(|(b, weight)| i64::from(b - b'0') * weight)
            .sum();
        if sum % 11 != 0 {
            return Err(invalid("bsn", "fails the 11-check; check for a typing error"));
        }
        Ok(Bsn(digits))
    }

    /// The last four digits, for showing a BSN to the person it belongs to.
    pub fn masked(&self) -> String {
        format!("*****{}", &self.0[5..])
    }
}

impl fmt::Debug for Bsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bsn({})", self.masked())
    }
}

/// International bank account number, normalised without spaces.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);
text_value!(Iban);

impl Iban {
    pub fn parse(text: &str) -> Result<Iban, InvalidValue> {
        let iban: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if !iban.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(invalid("iban", "an IBAN has only letters and digits"));
        }
        let bytes = iban.as_bytes();
        if bytes.len() < 4 || !bytes[..2].iter().all(u8::is_ascii_uppercase) || !bytes[2..4].iter().all(u8::is_ascii_digit) {
            return Err(invalid("iban", "an IBAN starts with a country code and two check digits, e.g. NL91 ABNA 0417 1643 00"));
        }
        if &iban[..2] == "NL" {
            if iban.len() != 18 {
                return Err(invalid("iban", format!("an NL IBAN has 18 characters, got {}", iban.len())));
            }
            if !bytes[4..8].iter().all(u8::is_ascii_uppercase) || !bytes[8..].iter().all(u8::is_ascii_digit) {
                return Err(invalid("iban", "an NL IBAN has a 4-letter bank code and 10 digits after the check digits"));
            }
        } else if !(15..=34).contains(&iban.len()) {
            return Err(invalid("iban", format!("an IBAN has 15 to 34 characters, got {}", iban.len())));
        }
        // ISO 13616: move the first four characters to the end, letters to
        // numbers (A = 10), and the whole must leave 1 modulo 97.
        let remainder = iban[4..].bytes().chain(iban[..4].bytes()).fold(0u32, |acc, b| {
            let value = if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
            if value >= 10 { (acc * 100 + value) % 97 } else { (acc * 10 + value) % 97 }
        });
        if remainder != 1 {
            return Err(invalid("iban", "check digits do not match (mod 97); check for a typing error"));
        }
        Ok(Iban(iban))
    }
}

impl fmt::Display for Iban {
    /// In groups of four, as printed on a bank card.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.0.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(std::str::from_utf8(chunk).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iban({}…)", &self.0[..4])
    }
}

/// Dutch postcode, normalised as "9726 AD".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Postcode(String);
text_value!(Postcode);

impl Postcode {
    pub fn parse(text: &str) -> Result<Postcode, InvalidValue> {
        let compact: String = text.trim().chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
        let bytes = compact.as_bytes();
        let shape = bytes.len() == 6
            && bytes[..4].iter().all(u8::is_ascii_digit)
            && bytes[4..].iter().all(u8::is_ascii_uppercase)
            && text.trim().len() <= 7;
        if !shape {
            return Err(invalid("postcode", format!("'{}' must be 4 digits and 2 letters, e.g. 9726 AD", text.trim())));
        }
        if bytes[0] == b'0' {
            return Err(invalid("postcode", format!("'{}' cannot start with 0; Dutch postcodes run from 1000 to 9999", text.trim())));
        }
        let letters = &compact[4..];
        if matches!(letters, "SA" | "SD" | "SS") {
            return Err(invalid("postcode", format!("'{}': the letters {letters} are not used in Dutch postcodes", text.trim())));
        }
        Ok(Postcode(format!("{} {letters}", &compact[..4])))
    }
}

impl fmt::Display for Postcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// E-mail address: pragmatic checks, domain lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);
text_value!(Email);

impl Email {
    pub fn parse(text: &str) -> Result<Email, InvalidValue> {
        let text = text.trim();
        let (local, domain) = match text.split_once('@') {
            Some((local, domain)) if !domain.contains('@') => (local, domain),
            _ => return Err(invalid("email", "an e-mail address has exactly one @, e.g. naam@example.nl")),
        };
        if local.is_empty() || local.len() > 64 {
            return Err(invalid("email", "the part before the @ must be 1 to 64 characters"));
        }
        if text.len() > 254 || text.chars().any(char::is_whitespace) {
            return Err(invalid("email", "an e-mail address has no spaces and at most 254 characters"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty() && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(invalid("email", format!("'{domain}' is not a domain name, e.g. example.nl")));
        }
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
}

/// Chamber of commerce number: eight digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Kvk(String);
text_value!(Kvk);

impl Kvk {
    pub fn parse(text: &str) -> Result<Kvk, InvalidValue> {
        match digits_only(text.trim()) {
            Some(digits) if digits.len() == 8 => Ok(Kvk(digits)),
            _ => Err(invalid("kvk", "a KvK number has exactly 8 digits")),
        }
    }
}

/// Telephone number, normalised without spaces or dashes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);
text_value!(PhoneNumber);

impl PhoneNumber {
    pub fn parse(text: &str) -> Result<PhoneNumber, InvalidValue> {
        let text = text.trim();
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let digits = digits_only(rest)
            .ok_or_else(|| invalid("phone", "a phone number has only digits, spaces, dashes and a leading +"))?;
        let valid = if plus {
            match digits.strip_prefix("31") {
                Some(national) => national.len() == 9,
                None => (8..=15).contains(&digits.len()),
            }
        } else {
            digits.len() == 10 && digits.starts_with('0')
        };
        if !valid {
            return Err(invalid("phone", "write a Dutch number of 10 digits (0595 123456) or an international one (+31 595 123456)"));
        }
        Ok(PhoneNumber(if plus { format!("+{digits}") } else { digits }))
    }
}

/// A calendar date: ISO `YYYY-MM-DD` or Dutch `DD-MM-YYYY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(jiff::civil::Date);

impl Date {
    pub fn parse(text: &str) -> Result<Date, InvalidValue> {
        let text = text.trim();
        let parts: Vec<&str> = text.split('-').collect();
        let (year, month, day) = match parts.as_slice() {
            [y, m, d] if y.len() == 4 => (*y, *m, *d),
            [d, m, y] if y.len() == 4 => (*y, *m, *d),
            _ => return Err(invalid("date", format!("'{text}' is not a date; write YYYY-MM-DD or DD-MM-YYYY"))),
        };
        let number = |s: &str| s.parse::<i16>().ok().filter(|_| s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()));
        let (Some(y), Some(m), Some(d)) = (number(year), number(month), number(day)) else {
            return Err(invalid("date", format!("'{text}' is not a date; write YYYY-MM-DD or DD-MM-YYYY")));
        };
        let (Ok(m), Ok(d)) = (i8::try_from(m), i8::try_from(d)) else {
            return Err(invalid("date", format!("'{text}' has no such month or day")));
        };
        jiff::civil::Date::new(y, m, d)
            .map(Date)
            .map_err(|_| invalid("date", format!("'{text}' does not exist in the calendar")))
    }

    pub fn civil(self) -> jiff::civil::Date {
        self.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Date {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Date::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason<T: fmt::Debug>(result: Result<T, InvalidValue>) -> String {
        result.unwrap_err().to_string()
    }

    // req: E1
    #[test]
    fn bsn_eleven_check() {
        for valid in ["111222333", "123456782", "999990019", "1112.22.333", "12345672"] {
            assert!(Bsn::parse(valid).is_ok(), "{valid}");
        }
        assert_eq!(Bsn::parse("12345672").unwrap().as_str(), "012345672");
        assert!(reason(Bsn::parse("111222334")).starts_with("bsn: fails the 11-check"));
        assert!(reason(Bsn::parse("1234567")).contains("9 digits, got 7"));
        assert!(reason(Bsn::parse("000000000")).contains("zeros"));
        assert!(reason(Bsn::parse("11122233x")).contains("only digits"));
        assert_eq!(format!("{:?}", Bsn::parse("111222333").unwrap()), "Bsn(*****2333)");
    }

    // req: E1
    #[test]
    fn iban_mod_97() {
        for valid in ["NL91ABNA0417164300", "nl91 abna 0417 1643 00", "NL02ABNA0123456789", "DE89370400440532013000", "GB82WEST12345698765432"] {
            assert!(Iban::parse(valid).is_ok(), "{valid}");
        }
        assert_eq!(Iban::parse("nl91 abna 0417 1643 00").unwrap().to_string(), "NL91 ABNA 0417 1643 00");
        assert!(reason(Iban::parse("NL91ABNA0417164301")).starts_with("iban: check digits do not match (mod 97)"));
        assert!(reason(Iban::parse("NL91ABNA041716430")).contains("18 characters, got 17"));
        assert!(reason(Iban::parse("91NLABNA0417164300")).contains("country code"));
        assert!(reason(Iban::parse("NL91ABNA04171643OO")).contains("10 digits"));
    }

    // req: E1
    #[test]
    fn dutch_postcode() {
        assert_eq!(Postcode::parse("9726ad").unwrap().as_str(), "9726 AD");
        assert_eq!(Postcode::parse(" 9726 AD ").unwrap().as_str(), "9726 AD");
        assert!(reason(Postcode::parse("97261AD")).contains("4 digits and 2 letters"));
        assert!(reason(Postcode::parse("0726 AD")).contains("cannot start with 0"));
        assert!(reason(Postcode::parse("9726 SS")).contains("not used"));
    }

    // req: E11
    #[test]
    fn email_and_phone() {
        assert_eq!(Email::parse("Anna@Example.NL").unwrap().as_str(), "Anna@example.nl");
        assert!(reason(Email::parse("anna.example.nl")).contains("exactly one @"));
        assert!(reason(Email::parse("anna@example")).contains("not a domain"));
        assert!(reason(Email::parse("an na@example.nl")).contains("no spaces"));
        assert!(reason(Email::parse("anna@-example.nl")).contains("not a domain"));
        assert_eq!(PhoneNumber::parse("0595 123 456").unwrap().as_str(), "0595123456");
        assert_eq!(PhoneNumber::parse("+31 595 123456").unwrap().as_str(), "+31595123456");
        assert!(reason(PhoneNumber::parse("0595 12")).starts_with("phone:"));
    }

    // req: E4
    #[test]
    fn kvk_and_dates() {
        assert_eq!(Kvk::parse("0123 4567").unwrap().as_str(), "01234567");
        assert!(reason(Kvk::parse("1234567")).contains("8 digits"));
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Date::parse("29-02-2024").unwrap().to_string(), "2024-02-29");
        assert!(reason(Date::parse("2023-02-29")).contains("does not exist"));
        assert!(reason(Date::parse("2023/02/01")).contains("YYYY-MM-DD"));
    }
}

/// Passwords that are refused for being common (shipped with the product).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// The password policy, after NIST SP 800-63B: long enough, not common, not
/// the account's own name or address; no composition rules.
pub fn check_password(password: &str, account: &[&str]) -> Result<(), InvalidValue> {
    let length = password.chars().count();
    if length < 12 {
        return Err(invalid("password", format!("has {length} characters; use at least 12 (a few words make a good one)")));
    }
    if length > 128 {
        return Err(invalid("password", "has more than 128 characters"));
    }
    let lower = password.to_lowercase();
    let common = COMMON_PASSWORDS.lines().filter(|l| !l.starts_with('#')).any(|c| c.trim().to_lowercase() == lower);
    if common {
        return Err(invalid("password", "is on the list of common passwords; choose one nobody would guess"));
    }
    if account.iter().any(|part| !part.is_empty() && lower.contains(&part.to_lowercase())) {
        return Err(invalid("password", "contains your name, user name or e-mail address; choose something else"));
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(c)) {
        return Err(invalid("password", "repeats one character; choose something less predictable"));
    }
    Ok(())
}

#[cfg(test)]
mod password_tests {
    use super::*;

    // req: E12
    #[test]
    fn passwords_follow_the_policy() {
        assert!(check_password("paars konijn op de dijk", &["anna"]).is_ok());
        assert!(check_password("kort", &[]).unwrap_err().reason.contains("at least 12"));
        assert!(check_password("Welkom123", &[]).is_err());
        assert!(check_password("password1234", &[]).unwrap_err().reason.contains("common"));
        assert!(check_password("anna_uithuizen!!", &["anna_uithuizen"]).unwrap_err().reason.contains("user name"));
        assert!(check_password("aaaaaaaaaaaaaaa", &[]).unwrap_err().reason.contains("repeats"));
    }
}
