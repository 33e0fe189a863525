//! Values that are checked where they enter the system.
//!
//! Design: validate at the edge. Each type can only hold a well-formed value
//! (a BSN that passes the 11-check, an IBAN whose check digits match, a
//! Dutch postcode, ...), so code further in never re-checks and never meets
//! a malformed one. Parsing normalises (no spaces in an IBAN, upper-case
//! postcode letters, lower-case e-mail domain) so that equal values compare
//! and index equal.
//!
//! Never echo more of a secret than needed. Errors name the kind of value
//! and say what is wrong and how to fix it, but quote the input only where
//! it is not a national identifier or bank account; `Debug` of a [`Bsn`] or
//! [`Iban`] shows only a masked form, so neither leaks into logs. `Display`
//! and `as_str` give the full value, for where it must really be shown or
//! stored.

#![warn(missing_docs)]

/// A closed list a rule names (a kind of contract, a reason the call-centre
/// protocol allows): an enum with each value's name — used on the command
/// line, in forms and in stored records — and its Dutch words. Parsing
/// refuses any other name with `$error` (a constructor of the caller's
/// error type `$err` from a [`Reason`]), listing the names there are.
#[macro_export]
macro_rules! closed_list {
    (@error $err:ty, $error:path; $(#[$meta:meta])* $ty:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $name:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        pub enum $ty { $($(#[$vmeta])* #[serde(rename = $name)] $variant),* }

        impl $ty {
            /// Every value, in the rule's order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The name on the command line, in forms and in stored records.
            pub fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),* }
            }

            /// The rule's Dutch words.
            pub fn label_nl(self) -> &'static str {
                match self { $($ty::$variant => $label),* }
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $err;
            fn from_str(text: &str) -> Result<$ty, $err> {
                $ty::ALL.iter().copied().find(|v| v.name() == text.trim()).ok_or_else(|| {
                    let names: Vec<&str> = $ty::ALL.iter().map(|v| v.name()).collect();
                    let labels: Vec<String> = $ty::ALL.iter().map(|v| format!("{} ({})", v.name(), v.label_nl())).collect();
                    $error($crate::Reason::new(
                        format!(concat!("`{}` is not ", $what, "; use {}"), text, names.join(", ")),
                        format!("'{}' staat niet in de lijst; kies een van: {}.", text.trim(), labels.join(", ")),
                    ))
                })
            }
        }
    };
}

pub mod address;
pub mod dutch;
mod money;

pub use money::Cents;

use std::fmt;
use std::str::FromStr;

/// The kinds of value that are checked: each with its name in the API's
/// English messages and its Dutch name on pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each variant is named by `name` and `label_nl`
pub enum ValueKind {
    Bsn,
    Iban,
    Postcode,
    PostcodeCity,
    Email,
    Phone,
    Kvk,
    Date,
    Password,
    Amount,
    Address,
    CaseNumber,
}

impl ValueKind {
    /// The name in English messages, e.g. `iban`.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Bsn => "bsn",
            ValueKind::Iban => "iban",
            ValueKind::Postcode => "postcode",
            ValueKind::PostcodeCity => "postcode_city",
            ValueKind::Email => "email",
            ValueKind::Phone => "phone",
            ValueKind::Kvk => "kvk",
            ValueKind::Date => "date",
            ValueKind::Password => "password",
            ValueKind::Amount => "amount",
            ValueKind::Address => "address",
            ValueKind::CaseNumber => "case_number",
        }
    }

    /// The name a Dutch reader knows the value by, e.g. "IBAN (rekeningnummer)".
    pub fn label_nl(self) -> &'static str {
        match self {
            ValueKind::Bsn => "Burgerservicenummer (BSN)",
            ValueKind::Iban => "IBAN (rekeningnummer)",
            ValueKind::Postcode => "Postcode",
            ValueKind::PostcodeCity => "Postcode en plaats",
            ValueKind::Email => "E-mailadres",
            ValueKind::Phone => "Telefoonnummer",
            ValueKind::Kvk => "KvK-nummer",
            ValueKind::Date => "Datum",
            ValueKind::Password => "Wachtwoord",
            ValueKind::Amount => "Bedrag",
            ValueKind::Address => "Adres",
            ValueKind::CaseNumber => "Zaaknummer",
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why something was refused, in English for the API and operators (`en`,
/// what `Display` shows) and in plain Dutch for pages (`nl`); each says
/// what is wrong and what to do. The modules' free-text refusals carry one,
/// so that a page never has to show the English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// For the API and operators.
    pub en: String,
    /// For pages.
    pub nl: String,
}

impl Reason {
    /// A reason in both languages.
    pub fn new(en: impl Into<String>, nl: impl Into<String>) -> Reason {
        Reason { en: en.into(), nl: nl.into() }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// A value that was refused: which kind (`field`) and why, in English for
/// the API and operators (`reason`) and in Dutch for pages (`reason_nl`);
/// each also says what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidValue {
    /// Which kind of value.
    pub field: ValueKind,
    /// What is wrong, and what to do about it.
    pub reason: String,
    /// The same, in plain Dutch, as a page says it.
    pub reason_nl: String,
}

impl InvalidValue {
    /// A refusal of a value of kind `field`, with its English and its Dutch reason.
    pub fn new(field: ValueKind, reason: impl Into<String>, reason_nl: impl Into<String>) -> InvalidValue {
        InvalidValue { field, reason: reason.into(), reason_nl: reason_nl.into() }
    }

    /// The refusal as a page says it: the value's Dutch name, then what is
    /// wrong and what to do, e.g. "Postcode: '9726AX1' moet bestaan uit 4
    /// cijfers en 2 letters, bijvoorbeeld 9726 AD."
    pub fn explain_nl(&self) -> String {
        format!("{}: {}", self.field.label_nl(), self.reason_nl)
    }
}

/// Digits of `text` with spaces, dots and dashes (common in typed numbers)
/// removed, or the first character that is not allowed.
fn digits_only(text: &str) -> Result<String, char> {
    let mut digits = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' => {}
            other => return Err(other),
        }
    }
    Ok(digits)
}

/// `as_str`, `FromStr` (delegating to `parse`) and, where asked, a `Display`
/// of the full normalised value.
macro_rules! text_value {
    ($ty:ident) => {
        impl $ty {
            /// The normalised value.
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
    ($ty:ident, display) => {
        text_value!($ty);

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

// ---------------------------------------------------------------------------
// BSN

/// Burgerservicenummer: nine digits passing the 11-check. `Display` shows
/// the full number; `Debug` and [`Bsn::masked`] only the last four digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bsn(String);
text_value!(Bsn, display);

impl Bsn {
    /// Accepts 9 digits, or 8 (a leading zero left off); spaces, dots and
    /// dashes between the digits are ignored.
    pub fn parse(text: &str) -> Result<Bsn, InvalidValue> {
        let digits = digits_only(text.trim()).map_err(|c| {
            InvalidValue::new(
                ValueKind::Bsn,
                format!("a BSN has only digits, found '{c}'"),
                format!("een BSN bestaat alleen uit cijfers, maar er staat '{c}' in. Typ alleen de cijfers."),
            )
        })?;
        let digits = match digits.len() {
            9 => digits,
            // BSNs issued with a leading zero are often written without it.
            8 => format!("0{digits}"),
            n => {
                return Err(InvalidValue::new(
                    ValueKind::Bsn,
                    format!("a BSN has 9 digits, got {n}"),
                    format!("een BSN heeft 9 cijfers, je typte er {n}. Neem het nummer over van je paspoort of identiteitskaart."),
                ));
            }
        };
        if digits.bytes().all(|b| b == b'0') {
            return Err(InvalidValue::new(
                ValueKind::Bsn,
                "a BSN cannot be all zeros; enter the number from the passport or ID card",
                "een BSN bestaat nooit alleen uit nullen. Neem het nummer over van je paspoort of identiteitskaart.",
            ));
        }
        let sum: i64 = digits.bytes().zip([9, 8, 7, 6, 5, 4, 3, 2, -1]).map(|(b, weight)| i64::from(b - b'0') * weight).sum();
        if sum % 11 != 0 {
            // The number is not quoted: even a mistyped BSN is nearly one.
            return Err(InvalidValue::new(
                ValueKind::Bsn,
                "fails the 11-check; check for a typing error",
                "dit nummer kan geen BSN zijn, want het klopt niet volgens de elfproef. Kijk of je een cijfer verkeerd hebt getypt.",
            ));
        }
        Ok(Bsn(digits))
    }

    /// The last four digits, e.g. `*****6782`, for showing a BSN to the
    /// person it belongs to.
    pub fn masked(&self) -> String {
        format!("*****{}", &self.0[5..])
    }
}

impl fmt::Debug for Bsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bsn({})", self.masked())
    }
}

// ---------------------------------------------------------------------------
// IBAN

/// International bank account number (ISO 13616), normalised upper-case
/// without spaces. `Display` groups it by four; `Debug` shows only the
/// country code and check digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Iban(String);
text_value!(Iban);

impl Iban {
    /// Parses a typed IBAN (spaces allowed), checking its length and check digits.
    pub fn parse(text: &str) -> Result<Iban, InvalidValue> {
        let iban: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if let Some(c) = iban.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(InvalidValue::new(
                ValueKind::Iban,
                format!("an IBAN has only letters and digits, found '{c}'"),
                format!("een IBAN bestaat alleen uit letters en cijfers, maar er staat '{c}' in. Laat andere tekens weg."),
            ));
        }
        // ASCII from here on, so byte offsets are character offsets.
        let bytes = iban.as_bytes();
        if bytes.len() < 4 || !bytes[..2].iter().all(u8::is_ascii_uppercase) || !bytes[2..4].iter().all(u8::is_ascii_digit) {
            return Err(InvalidValue::new(
                ValueKind::Iban,
                "an IBAN starts with a 2-letter country code and 2 check digits, e.g. NL91 ABNA 0417 1643 00",
                "een IBAN begint met 2 letters voor het land en 2 controlecijfers, bijvoorbeeld NL91 ABNA 0417 1643 00.",
            ));
        }
        if &iban[..2] == "NL" {
            if iban.len() != 18 {
                return Err(InvalidValue::new(
                    ValueKind::Iban,
                    format!("an NL IBAN has 18 characters, got {}", iban.len()),
                    format!("een Nederlands IBAN heeft 18 tekens, je typte er {}. Neem het nummer over van je bankpas of bankafschrift.", iban.len()),
                ));
            }
            if !bytes[4..8].iter().all(u8::is_ascii_uppercase) || !bytes[8..].iter().all(u8::is_ascii_digit) {
                return Err(InvalidValue::new(
                    ValueKind::Iban,
                    "an NL IBAN has a 4-letter bank code and 10 digits after the check digits, e.g. NL91 ABNA 0417 1643 00",
                    "een Nederlands IBAN heeft na de controlecijfers 4 letters van de bank en dan 10 cijfers, bijvoorbeeld NL91 ABNA 0417 1643 00.",
                ));
            }
        } else if !(15..=34).contains(&iban.len()) {
            return Err(InvalidValue::new(
                ValueKind::Iban,
                format!("an IBAN has 15 to 34 characters, got {}", iban.len()),
                format!("een IBAN heeft 15 tot 34 tekens, je typte er {}. Neem het nummer over van je bankpas of bankafschrift.", iban.len()),
            ));
        }
        // 00, 01 and 99 are never issued, though 00 and 01 can pass mod 97.
        if !("02"..="98").contains(&&iban[2..4]) {
            return Err(InvalidValue::new(
                ValueKind::Iban,
                format!("check digits run from 02 to 98, got {}; check for a typing error", &iban[2..4]),
                format!(
                    "de controlecijfers (het derde en vierde teken) liggen tussen 02 en 98, je typte {}. Kijk of je een tikfout hebt gemaakt.",
                    &iban[2..4]
                ),
            ));
        }
        if mod_97(&iban) != 1 {
            return Err(InvalidValue::new(
                ValueKind::Iban,
                "check digits do not match (mod 97); check for a typing error",
                "dit rekeningnummer klopt niet: de controlecijfers passen niet bij de rest. Kijk of je een tikfout hebt gemaakt.",
            ));
        }
        Ok(Iban(iban))
    }
}

/// ISO 13616: the first four characters moved to the end, letters replaced
/// by numbers (A = 10 ... Z = 35), taken modulo 97. Computed as a running
/// remainder, so no big integers are needed. `iban` is upper-case ASCII
/// alphanumeric and at least four characters long.
fn mod_97(iban: &str) -> u32 {
    iban[4..]
        .bytes()
        .chain(iban[..4].bytes())
        .fold(0u32, |acc, b| if b.is_ascii_digit() { (acc * 10 + u32::from(b - b'0')) % 97 } else { (acc * 100 + u32::from(b - b'A') + 10) % 97 })
}

impl fmt::Display for Iban {
    /// In groups of four, as printed on a bank card: "NL91 ABNA 0417 1643 00".
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

// ---------------------------------------------------------------------------
// Postcode

/// Dutch postcode, normalised as "9726 AD".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Postcode(String);
text_value!(Postcode, display);

impl Postcode {
    /// Four digits (the first not 0), an optional space, two letters of
    /// either case.
    pub fn parse(text: &str) -> Result<Postcode, InvalidValue> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let letters_at = match bytes.len() {
            6 => 4,
            7 if bytes[4] == b' ' => 5,
            _ => usize::MAX,
        };
        let shape = letters_at != usize::MAX && bytes[..4].iter().all(u8::is_ascii_digit) && bytes[letters_at..].iter().all(u8::is_ascii_alphabetic);
        if !shape {
            return Err(InvalidValue::new(
                ValueKind::Postcode,
                format!("'{text}' must be 4 digits and 2 letters, e.g. 9726 AD"),
                format!("'{text}' moet bestaan uit 4 cijfers en 2 letters, bijvoorbeeld 9726 AD."),
            ));
        }
        if bytes[0] == b'0' {
            return Err(InvalidValue::new(
                ValueKind::Postcode,
                format!("'{text}' cannot start with 0; Dutch postcodes run from 1000 to 9999"),
                format!("'{text}' kan niet met 0 beginnen: Nederlandse postcodes lopen van 1000 tot en met 9999."),
            ));
        }
        let letters = text[letters_at..].to_ascii_uppercase();
        if matches!(letters.as_str(), "SA" | "SD" | "SS") {
            return Err(InvalidValue::new(
                ValueKind::Postcode,
                format!("'{text}': the letters {letters} are not used in Dutch postcodes"),
                format!("'{text}': de letters {letters} komen in Nederlandse postcodes niet voor. Kijk of je een tikfout hebt gemaakt."),
            ));
        }
        Ok(Postcode(format!("{} {letters}", &text[..4])))
    }
}

// ---------------------------------------------------------------------------
// E-mail

/// E-mail address: pragmatic checks (not the full RFC 5322 grammar), domain
/// lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);
text_value!(Email, display);

impl Email {
    /// Parses a typed address, lower-casing the domain.
    pub fn parse(text: &str) -> Result<Email, InvalidValue> {
        let text = text.trim();
        if text.chars().any(char::is_whitespace) {
            return Err(InvalidValue::new(ValueKind::Email, "an e-mail address has no spaces", "een e-mailadres heeft geen spaties. Haal de spaties weg."));
        }
        let (local, domain) = match text.split_once('@') {
            Some((local, domain)) if !domain.contains('@') => (local, domain),
            _ => {
                return Err(InvalidValue::new(
                    ValueKind::Email,
                    "an e-mail address has exactly one @, e.g. naam@example.nl",
                    "een e-mailadres heeft precies één @, bijvoorbeeld naam@example.nl.",
                ));
            }
        };
        if local.is_empty() {
            return Err(InvalidValue::new(
                ValueKind::Email,
                "nothing before the @; write the whole address, e.g. naam@example.nl",
                "er staat niets voor de @. Typ het hele adres, bijvoorbeeld naam@example.nl.",
            ));
        }
        if local.len() > 64 {
            return Err(InvalidValue::new(
                ValueKind::Email,
                format!("the part before the @ has at most 64 characters, got {}", local.len()),
                format!("het deel voor de @ heeft hoogstens 64 tekens, je typte er {}.", local.len()),
            ));
        }
        if text.len() > 254 {
            return Err(InvalidValue::new(
                ValueKind::Email,
                format!("an e-mail address has at most 254 characters, got {}", text.len()),
                format!("een e-mailadres heeft hoogstens 254 tekens, je typte er {}.", text.len()),
            ));
        }
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len()) && !label.starts_with('-') && !label.ends_with('-') && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !domain.contains('.') || !domain.split('.').all(label_ok) {
            return Err(InvalidValue::new(
                ValueKind::Email,
                format!(
                    "'{domain}' is not a domain name: it needs a dot, and letters, digits and dashes between the dots \
                     (not at the start or end), e.g. example.nl"
                ),
                format!(
                    "na de @ staat '{domain}', en dat is geen domeinnaam. Een domeinnaam heeft een punt, met letters, cijfers of \
                     streepjes ervoor en erna (een streepje niet aan het begin of eind), bijvoorbeeld example.nl."
                ),
            ));
        }
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
}

// ---------------------------------------------------------------------------
// KvK

/// Chamber of commerce (Kamer van Koophandel) number: eight digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Kvk(String);
text_value!(Kvk, display);

impl Kvk {
    /// Exactly 8 digits; spaces, dots and dashes between them are ignored.
    pub fn parse(text: &str) -> Result<Kvk, InvalidValue> {
        let digits = digits_only(text.trim()).map_err(|c| {
            InvalidValue::new(
                ValueKind::Kvk,
                format!("a KvK number has only digits, found '{c}'"),
                format!("een KvK-nummer bestaat alleen uit cijfers, maar er staat '{c}' in."),
            )
        })?;
        if digits.len() != 8 {
            return Err(InvalidValue::new(
                ValueKind::Kvk,
                format!("a KvK number has exactly 8 digits, got {}", digits.len()),
                format!("een KvK-nummer heeft precies 8 cijfers, je typte er {}. Het staat op het uittreksel van de Kamer van Koophandel.", digits.len()),
            ));
        }
        Ok(Kvk(digits))
    }
}

// ---------------------------------------------------------------------------
// Phone number

/// Telephone number, normalised without spaces or dashes: "0595123456" or
/// "+31595123456".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);
text_value!(PhoneNumber, display);

impl PhoneNumber {
    /// A Dutch number of 10 digits starting with 0, +31 and 9 digits, or
    /// another + country code with 8 to 15 digits in all. Spaces and dashes
    /// between the digits are allowed.
    pub fn parse(text: &str) -> Result<PhoneNumber, InvalidValue> {
        let text = text.trim();
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                '+' => {
                    return Err(InvalidValue::new(
                        ValueKind::Phone,
                        "a + may only come first, before the country code",
                        "een + mag alleen vooraan staan, voor de landcode.",
                    ));
                }
                other => {
                    return Err(InvalidValue::new(
                        ValueKind::Phone,
                        format!("a phone number has only digits, spaces, dashes and a leading +, found '{other}'"),
                        format!("een telefoonnummer bestaat uit cijfers, spaties, streepjes en eventueel een + vooraan, maar er staat '{other}' in."),
                    ));
                }
            }
        }
        let n = digits.len();
        if plus {
            if let Some(national) = digits.strip_prefix("31") {
                if national.len() != 9 {
                    return Err(InvalidValue::new(
                        ValueKind::Phone,
                        format!("after +31 come 9 digits, without the leading 0 (e.g. +31 595 123456), got {}", national.len()),
                        format!("na +31 komen 9 cijfers, zonder de 0 ervoor (bijvoorbeeld +31 595 123456); je typte er {}.", national.len()),
                    ));
                }
            } else if digits.starts_with('0') {
                return Err(InvalidValue::new(
                    ValueKind::Phone,
                    "after the + comes a country code, which never starts with 0, e.g. +31 595 123456",
                    "na de + komt een landcode, en die begint nooit met 0. Bijvoorbeeld: +31 595 123456.",
                ));
            } else if !(8..=15).contains(&n) {
                return Err(InvalidValue::new(
                    ValueKind::Phone,
                    format!("an international number has 8 to 15 digits including the country code, got {n}"),
                    format!("een buitenlands nummer heeft 8 tot 15 cijfers, de landcode meegeteld; je typte er {n}."),
                ));
            }
            Ok(PhoneNumber(format!("+{digits}")))
        } else {
            if digits.starts_with("00") {
                return Err(InvalidValue::new(
                    ValueKind::Phone,
                    "write 00 before a country code as +, e.g. +32 2 123 45 67",
                    "schrijf de 00 voor een landcode als +, bijvoorbeeld +32 2 123 45 67.",
                ));
            }
            if !digits.starts_with('0') {
                return Err(InvalidValue::new(
                    ValueKind::Phone,
                    "a Dutch number starts with 0 (e.g. 0595 123456); give another country's number with + and its code",
                    "een Nederlands nummer begint met 0 (bijvoorbeeld 0595 123456). Een buitenlands nummer typ je met + en de landcode.",
                ));
            }
            if n != 10 {
                return Err(InvalidValue::new(
                    ValueKind::Phone,
                    format!("a Dutch number has 10 digits (e.g. 0595 123456), got {n}"),
                    format!("een Nederlands nummer heeft 10 cijfers (bijvoorbeeld 0595 123456), je typte er {n}."),
                ));
            }
            Ok(PhoneNumber(digits))
        }
    }
}

// ---------------------------------------------------------------------------
// Date

/// A calendar date, given as ISO `YYYY-MM-DD` or Dutch `DD-MM-YYYY`
/// (month and day may have one digit); shown as ISO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(jiff::civil::Date);

impl Date {
    /// Parses `YYYY-MM-DD` or `DD-MM-YYYY`; a day the month does not have is refused by name.
    pub fn parse(text: &str) -> Result<Date, InvalidValue> {
        let text = text.trim();
        let not_a_date = || {
            InvalidValue::new(
                ValueKind::Date,
                format!("'{text}' is not a date; write YYYY-MM-DD or DD-MM-YYYY, e.g. 2024-03-31"),
                format!("'{text}' is geen datum. Schrijf de datum als DD-MM-JJJJ of JJJJ-MM-DD, bijvoorbeeld 31-03-2024."),
            )
        };
        let parts: Vec<&str> = text.split('-').collect();
        let (year, month, day) = match parts.as_slice() {
            [y, m, d] if y.len() == 4 => (*y, *m, *d),
            [d, m, y] if y.len() == 4 => (*y, *m, *d),
            _ => return Err(not_a_date()),
        };
        let all_digits = |s: &str, lengths: std::ops::RangeInclusive<usize>| lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(year, 4..=4) || !all_digits(month, 1..=2) || !all_digits(day, 1..=2) {
            return Err(not_a_date());
        }
        let (Ok(y), Ok(m), Ok(d)) = (year.parse::<i16>(), month.parse::<i8>(), day.parse::<i8>()) else {
            return Err(not_a_date());
        };
        if !(1..=12).contains(&m) {
            return Err(InvalidValue::new(
                ValueKind::Date,
                format!("'{text}': there is no month {m}; months run from 1 to 12"),
                format!("'{text}': maand {m} bestaat niet; de maanden lopen van 1 tot en met 12."),
            ));
        }
        let first = jiff::civil::Date::new(y, m, 1).map_err(|_| not_a_date())?;
        let days = first.days_in_month();
        if !(1..=days).contains(&d) {
            let month = usize::from(m.unsigned_abs() - 1);
            return Err(InvalidValue::new(
                ValueKind::Date,
                format!("'{text}' does not exist: {} {y} has {days} days", MONTHS[month]),
                format!("'{text}' bestaat niet: {} {y} heeft {days} dagen.", dutch::MONTHS[month]),
            ));
        }
        jiff::civil::Date::new(y, m, d).map(Date).map_err(|_| not_a_date())
    }

    /// The date as a `jiff` civil date, for arithmetic.
    pub fn civil(self) -> jiff::civil::Date {
        self.0
    }
}

const MONTHS: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

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

// ---------------------------------------------------------------------------
// Passwords

/// Passwords that are refused for being common (shipped with the product).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// The password policy, after NIST SP 800-63B: long enough, not common, not
/// the account's own name or address; no composition rules.
pub fn check_password(password: &str, account: &[&str]) -> Result<(), InvalidValue> {
    let length = password.chars().count();
    if length < 12 {
        return Err(InvalidValue::new(
            ValueKind::Password,
            format!("has {length} characters; use at least 12 (a few words make a good one)"),
            format!("je wachtwoord heeft {length} tekens. Gebruik er minstens 12; een paar woorden achter elkaar is een goed wachtwoord."),
        ));
    }
    if length > 128 {
        return Err(InvalidValue::new(
            ValueKind::Password,
            "has more than 128 characters",
            "je wachtwoord heeft meer dan 128 tekens. Kies een korter wachtwoord.",
        ));
    }
    let lower = password.to_lowercase();
    let common = COMMON_PASSWORDS.lines().filter(|l| !l.starts_with('#')).any(|c| c.trim().to_lowercase() == lower);
    if common {
        return Err(InvalidValue::new(
            ValueKind::Password,
            "is on the list of common passwords; choose one nobody would guess",
            "dit wachtwoord staat op de lijst van veelgebruikte wachtwoorden. Kies er een dat niemand zou raden.",
        ));
    }
    if account.iter().any(|part| !part.is_empty() && lower.contains(&part.to_lowercase())) {
        return Err(InvalidValue::new(
            ValueKind::Password,
            "contains your name, user name or e-mail address; choose something else",
            "je wachtwoord bevat je naam, je gebruikersnaam of je e-mailadres. Kies iets anders.",
        ));
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(c)) {
        return Err(InvalidValue::new(
            ValueKind::Password,
            "repeats one character; choose something less predictable",
            "je wachtwoord herhaalt steeds hetzelfde teken. Kies iets dat minder voorspelbaar is.",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    /// The error, checked to name `field`; returns the whole message.
    #[track_caller]
    fn refused<T: fmt::Debug>(field: &str, result: Result<T, InvalidValue>) -> String {
        let error = result.unwrap_err();
        assert_eq!(error.field.name(), field, "{error}");
        let message = error.to_string();
        assert!(message.starts_with(&format!("{field}: ")), "{message}");
        message
    }

    // req: E1
    #[test]
    fn bsn_valid_examples_and_normalisation() {
        for valid in ["111222333", "123456782", "999990019", " 1112.22.333 ", "111-222-333", "12345672"] {
            assert!(Bsn::parse(valid).is_ok(), "{valid}");
        }
        // Eight digits: a leading zero was left off.
        assert_eq!(Bsn::parse("12345672").unwrap().as_str(), "012345672");
        assert_eq!("123456782".parse::<Bsn>().unwrap().as_str(), "123456782");
        let bsn = Bsn::parse("123456782").unwrap();
        assert_eq!(bsn.to_string(), "123456782");
        assert_eq!(bsn.masked(), "*****6782");
        assert_eq!(format!("{bsn:?}"), "Bsn(*****6782)");
    }

    // req: E1
    #[test]
    fn bsn_refusals_name_the_rule() {
        assert_eq!(refused("bsn", Bsn::parse("123456788")), "bsn: fails the 11-check; check for a typing error");
        assert!(refused("bsn", Bsn::parse("111222334")).contains("11-check"));
        // The refused number is not echoed.
        assert!(!refused("bsn", Bsn::parse("111222334")).contains("111222334"));
        assert_eq!(refused("bsn", Bsn::parse("1234567")), "bsn: a BSN has 9 digits, got 7");
        assert_eq!(refused("bsn", Bsn::parse("1234567820")), "bsn: a BSN has 9 digits, got 10");
        assert_eq!(refused("bsn", Bsn::parse("")), "bsn: a BSN has 9 digits, got 0");
        assert!(refused("bsn", Bsn::parse("000000000")).contains("cannot be all zeros"));
        assert!(refused("bsn", Bsn::parse("00000000")).contains("cannot be all zeros"));
        assert_eq!(refused("bsn", Bsn::parse("11122233x")), "bsn: a BSN has only digits, found 'x'");
        assert!("111222334".parse::<Bsn>().is_err());
    }

    // req: E1
    #[test]
    fn iban_valid_examples_and_display() {
        for valid in
            ["NL91ABNA0417164300", "nl91 abna 0417 1643 00", "NL02ABNA0123456789", "DE89370400440532013000", "GB82WEST12345698765432", "BE68539007547034"]
        {
            assert!(Iban::parse(valid).is_ok(), "{valid}");
        }
        let iban = Iban::parse(" nl91 abna 0417 1643 00 ").unwrap();
        assert_eq!(iban.as_str(), "NL91ABNA0417164300");
        assert_eq!(iban.to_string(), "NL91 ABNA 0417 1643 00");
        assert_eq!(format!("{iban:?}"), "Iban(NL91…)");
        assert_eq!(Iban::parse("GB82WEST12345698765432").unwrap().to_string(), "GB82 WEST 1234 5698 7654 32");
        assert_eq!("DE89370400440532013000".parse::<Iban>().unwrap().as_str(), "DE89370400440532013000");
    }

    // req: E1
    #[test]
    fn iban_refusals_name_the_rule() {
        let mod97 = "iban: check digits do not match (mod 97); check for a typing error";
        assert_eq!(refused("iban", Iban::parse("NL91ABNA0417164301")), mod97);
        assert_eq!(refused("iban", Iban::parse("NL92ABNA0417164300")), mod97);
        assert_eq!(refused("iban", Iban::parse("DE89370400440532013001")), mod97);
        assert_eq!(refused("iban", Iban::parse("NL91ABNA041716430")), "iban: an NL IBAN has 18 characters, got 17");
        assert!(refused("iban", Iban::parse("NL91ABNA04171643000")).contains("18 characters, got 19"));
        assert!(refused("iban", Iban::parse("NL91ABNA04171643OO")).contains("4-letter bank code and 10 digits"));
        assert!(refused("iban", Iban::parse("NL911BNA0417164300")).contains("4-letter bank code"));
        assert!(refused("iban", Iban::parse("91NLABNA0417164300")).contains("country code and 2 check digits"));
        assert!(refused("iban", Iban::parse("NL")).contains("country code and 2 check digits"));
        assert!(refused("iban", Iban::parse("DE8937040044")).contains("15 to 34 characters, got 12"));
        assert!(refused("iban", Iban::parse("DE8937040044053201300012345678901234")).contains("15 to 34 characters, got 36"));
        assert_eq!(refused("iban", Iban::parse("NL91-ABNA-0417-1643-00")), "iban: an IBAN has only letters and digits, found '-'");
        // 00 passes mod 97 whenever 97 would; it is still refused.
        assert!(refused("iban", Iban::parse("NL00ABNA0417164300")).contains("from 02 to 98, got 00"));
        assert!(refused("iban", Iban::parse("NL99ABNA0417164300")).contains("from 02 to 98, got 99"));
    }

    #[test]
    fn mod_97_streams_letters_and_digits() {
        // The ISO 13616 example: NL91ABNA0417164300 leaves 1.
        assert_eq!(mod_97("NL91ABNA0417164300"), 1);
        // With the check digits zeroed: 1 - 91 ≡ 7 (mod 97).
        assert_eq!(mod_97("NL00ABNA0417164300"), 7);
        assert_eq!(mod_97("GB82WEST12345698765432"), 1);
    }

    // req: E1
    #[test]
    fn postcode_valid_examples_and_normalisation() {
        for (input, normal) in [("9726 AD", "9726 AD"), ("9726ad", "9726 AD"), (" 9726 aD ", "9726 AD"), ("1000 AA", "1000 AA")] {
            let postcode = Postcode::parse(input).unwrap();
            assert_eq!(postcode.as_str(), normal);
            assert_eq!(postcode.to_string(), normal);
        }
        assert_eq!("9981ab".parse::<Postcode>().unwrap().as_str(), "9981 AB");
    }

    // req: E1
    #[test]
    fn postcode_refusals_name_the_rule() {
        assert_eq!(refused("postcode", Postcode::parse("97261AD")), "postcode: '97261AD' must be 4 digits and 2 letters, e.g. 9726 AD");
        for shape in ["9726", "972 AD", "9726 A", "9726 ADX", "97 26AD", "9726  AD", "9726-AD", "AD 9726", "9726 A1", ""] {
            assert!(refused("postcode", Postcode::parse(shape)).contains("must be 4 digits and 2 letters"), "{shape}");
        }
        assert!(refused("postcode", Postcode::parse("0726 AD")).contains("cannot start with 0"));
        for letters in ["SA", "sd", "SS"] {
            assert!(refused("postcode", Postcode::parse(&format!("9726 {letters}"))).contains("are not used"), "{letters}");
        }
    }

    // req: E11
    #[test]
    fn email_valid_examples_and_normalisation() {
        assert_eq!(Email::parse("Anna@Example.NL").unwrap().as_str(), "Anna@example.nl");
        assert_eq!(Email::parse(" henk.wind+post@mail.gemeente-x.nl ").unwrap().to_string(), "henk.wind+post@mail.gemeente-x.nl");
        assert!("a@b.nl".parse::<Email>().is_ok());
        let longest_local = format!("{}@example.nl", "a".repeat(64));
        assert!(Email::parse(&longest_local).is_ok());
    }

    // req: E11
    #[test]
    fn email_refusals_name_the_rule() {
        assert!(refused("email", Email::parse("anna.example.nl")).contains("exactly one @"));
        assert!(refused("email", Email::parse("anna@@example.nl")).contains("exactly one @"));
        assert!(refused("email", Email::parse("anna@example@nl")).contains("exactly one @"));
        assert!(refused("email", Email::parse("@example.nl")).contains("nothing before the @"));
        assert!(refused("email", Email::parse(&format!("{}@example.nl", "a".repeat(65)))).contains("at most 64 characters, got 65"));
        let too_long = format!("anna@{}.nl", vec!["a".repeat(60); 5].join("."));
        assert!(refused("email", Email::parse(&too_long)).contains("at most 254 characters"));
        assert!(refused("email", Email::parse("an na@example.nl")).contains("no spaces"));
        for domain in ["example", "-example.nl", "example-.nl", "exa_mple.nl", "example..nl", "example.nl.", ""] {
            let message = refused("email", Email::parse(&format!("anna@{domain}")));
            assert!(message.contains("is not a domain name"), "{domain}: {message}");
        }
        assert!(refused("email", Email::parse(&format!("anna@{}.nl", "a".repeat(64)))).contains("not a domain name"));
    }

    // req: E11
    #[test]
    fn phone_valid_examples_and_normalisation() {
        for (input, normal) in [
            ("0595 123 456", "0595123456"),
            ("06-12345678", "0612345678"),
            ("+31 595 123456", "+31595123456"),
            ("+31-6-1234-5678", "+31612345678"),
            ("+32 2 123 45 67", "+3221234567"),
            ("+1 202 555 0143", "+12025550143"),
        ] {
            let phone = PhoneNumber::parse(input).unwrap();
            assert_eq!(phone.as_str(), normal);
            assert_eq!(phone.to_string(), normal);
        }
        assert!("0595123456".parse::<PhoneNumber>().is_ok());
    }

    // req: E11
    #[test]
    fn phone_refusals_name_the_rule() {
        assert_eq!(refused("phone", PhoneNumber::parse("0595 12")), "phone: a Dutch number has 10 digits (e.g. 0595 123456), got 6");
        assert!(refused("phone", PhoneNumber::parse("05951234567")).contains("10 digits"));
        assert!(refused("phone", PhoneNumber::parse("595 123456")).contains("starts with 0"));
        assert!(refused("phone", PhoneNumber::parse("+31 0595 123456")).contains("after +31 come 9 digits, without the leading 0"));
        assert!(refused("phone", PhoneNumber::parse("+31 595 12345")).contains("got 8"));
        assert!(refused("phone", PhoneNumber::parse("+44 20 71")).contains("8 to 15 digits"));
        assert!(refused("phone", PhoneNumber::parse("+44 2071 2345 6789 0123")).contains("8 to 15 digits"));
        assert!(refused("phone", PhoneNumber::parse("+0595 123456")).contains("never starts with 0"));
        assert!(refused("phone", PhoneNumber::parse("0032 2 123 45 67")).contains("as +"));
        assert!(refused("phone", PhoneNumber::parse("(0595) 123456")).contains("found '('"));
        assert!(refused("phone", PhoneNumber::parse("0595.123456")).contains("found '.'"));
        assert!(refused("phone", PhoneNumber::parse("31+595123456")).contains("may only come first"));
    }

    // req: E4
    #[test]
    fn kvk_eight_digits() {
        assert_eq!(Kvk::parse("0123 4567").unwrap().as_str(), "01234567");
        assert_eq!("12345678".parse::<Kvk>().unwrap().to_string(), "12345678");
        assert_eq!(refused("kvk", Kvk::parse("1234567")), "kvk: a KvK number has exactly 8 digits, got 7");
        assert!(refused("kvk", Kvk::parse("123456789")).contains("got 9"));
        assert!(refused("kvk", Kvk::parse("1234567a")).contains("only digits, found 'a'"));
    }

    // req: E1
    #[test]
    fn dates_iso_and_dutch() {
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        assert_eq!(Date::parse("29-02-2024").unwrap().to_string(), "2024-02-29");
        assert_eq!(Date::parse("1-3-2024").unwrap().to_string(), "2024-03-01");
        assert_eq!("2024-12-31".parse::<Date>().unwrap().civil(), jiff::civil::date(2024, 12, 31));
        assert_eq!(refused("date", Date::parse("2023-02-29")), "date: '2023-02-29' does not exist: February 2023 has 28 days");
        assert!(refused("date", Date::parse("31-04-2024")).contains("April 2024 has 30 days"));
        assert!(refused("date", Date::parse("2024-01-00")).contains("does not exist"));
        assert!(refused("date", Date::parse("2024-13-01")).contains("there is no month 13"));
        assert!(refused("date", Date::parse("2024-00-01")).contains("there is no month 0"));
        for shape in ["2023/02/01", "2023-02", "23-02-01", "2023-002-01", "2023-+2-01", "2023-02-01T00:00", "", "vandaag"] {
            assert!(refused("date", Date::parse(shape)).contains("write YYYY-MM-DD or DD-MM-YYYY"), "{shape}");
        }
    }

    /// Bad inputs for every validator, each refused with the kind it is about.
    fn every_refusal() -> Vec<(ValueKind, String, InvalidValue)> {
        fn each<T: fmt::Debug>(kind: ValueKind, parse: fn(&str) -> Result<T, InvalidValue>, inputs: &[&str]) -> Vec<(ValueKind, String, InvalidValue)> {
            inputs.iter().map(|input| (kind, input.to_string(), parse(input).unwrap_err())).collect()
        }
        let long_local = format!("{}@example.nl", "a".repeat(65));
        let long_address = format!("anna@{}.nl", vec!["a".repeat(60); 5].join("."));
        let mut all = [
            each(ValueKind::Bsn, Bsn::parse, &["123456788", "1234567", "000000000", "11122233x"]),
            each(
                ValueKind::Iban,
                Iban::parse,
                &[
                    "NL91ABNA0417164301",
                    "NL91ABNA041716430",
                    "NL91ABNA04171643OO",
                    "91NLABNA0417164300",
                    "DE8937040044",
                    "NL91-ABNA-0417-1643-00",
                    "NL00ABNA0417164300",
                ],
            ),
            each(ValueKind::Postcode, Postcode::parse, &["9726AX1", "0726 AD", "9726 SS"]),
            each(ValueKind::Email, Email::parse, &["an na@example.nl", "anna.example.nl", "@example.nl", &long_local, &long_address, "anna@example"]),
            each(ValueKind::Kvk, Kvk::parse, &["1234567a", "1234567"]),
            each(
                ValueKind::Phone,
                PhoneNumber::parse,
                &["31+595123456", "(0595) 123456", "+31 0595 123456", "+0595 123456", "+44 20 71", "0032 2 123 45 67", "595 123456", "0595 12"],
            ),
            each(ValueKind::Date, Date::parse, &["vandaag", "2024-13-01", "2023-02-29"]),
            each(ValueKind::Amount, Cents::parse, &["€ 10"]),
            each(ValueKind::Address, |text| address::AddressKey::new(text, ""), &["Hoofdstraat"]),
        ]
        .concat();
        let long_password = "ab".repeat(65);
        for password in ["kort", &long_password, "password1234", "anna_uithuizen!!", "aaaaaaaaaaaaaaa"] {
            all.push((ValueKind::Password, password.to_string(), check_password(password, &["anna_uithuizen"]).unwrap_err()));
        }
        all
    }

    // req: E0.8
    #[test]
    fn every_refusal_is_explained_in_dutch_naming_the_field() {
        // Words of the English reasons that plain Dutch has no use for.
        let english = ["e.g.", " the ", " got ", "digits", " must ", " has ", "write ", "characters", "check", "number"];
        let refusals = every_refusal();
        assert!(refusals.len() > 35, "{}", refusals.len());
        for (kind, input, error) in refusals {
            assert_eq!(error.field, kind, "{input}: {error}");
            let dutch = error.explain_nl();
            assert!(dutch.starts_with(&format!("{}: ", kind.label_nl())), "{input}: {dutch}");
            assert!(dutch.ends_with('.'), "{input}: {dutch}");
            assert!(!dutch.contains(&error.reason), "{input}: {dutch}");
            for word in english {
                assert!(!dutch.contains(word), "{input}: `{word}` in {dutch}");
            }
            if kind == ValueKind::Bsn {
                assert!(!dutch.contains(input.as_str()), "a refused BSN is not echoed: {dutch}");
            }
        }
        assert_eq!(Postcode::parse("9726AX1").unwrap_err().explain_nl(), "Postcode: '9726AX1' moet bestaan uit 4 cijfers en 2 letters, bijvoorbeeld 9726 AD.");
        assert_eq!(
            Bsn::parse("1234567").unwrap_err().explain_nl(),
            "Burgerservicenummer (BSN): een BSN heeft 9 cijfers, je typte er 7. Neem het nummer over van je paspoort of identiteitskaart."
        );
        // The English stays as it was, for the API.
        assert_eq!(Postcode::parse("9726AX1").unwrap_err().to_string(), "postcode: '9726AX1' must be 4 digits and 2 letters, e.g. 9726 AD");
    }

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
