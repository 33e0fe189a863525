//! Every value validator, chosen by the first byte: any text is accepted
//! or refused with the kind of value it should have been, never a panic.
//! An accepted value is written (`Display`) and read back as the same
//! value, as it is when stored and shown again.
#![no_main]

use grondslag_values::address::AddressKey;
use grondslag_values::dutch::{self, Written, parse_written};
use grondslag_values::{Bsn, Cents, Date, Email, Iban, InvalidValue, Kvk, PhoneNumber, Postcode, ValueKind, check_password};
use libfuzzer_sys::fuzz_target;

/// Parses `text`; an accepted value must read back from what it writes,
/// a refusal must name `kind`.
fn round_trip<T: std::fmt::Display + std::fmt::Debug + PartialEq>(kind: ValueKind, text: &str, parse: impl Fn(&str) -> Result<T, InvalidValue>) {
    match parse(text) {
        Ok(value) => {
            let written = value.to_string();
            assert_eq!(parse(&written).as_ref(), Ok(&value), "{kind}: `{written}` does not read back");
        }
        Err(refused) => assert_eq!(refused.field, kind, "{refused}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    match which % 11 {
        0 => {
            round_trip(ValueKind::Bsn, text, Bsn::parse);
            if let Ok(bsn) = Bsn::parse(text) {
                assert!(bsn.as_str().ends_with(&bsn.masked()[5..]), "the masked BSN ends as the BSN does");
                assert!(!format!("{bsn:?}").contains(bsn.as_str()), "a BSN's Debug shows it masked");
            }
        }
        1 => {
            round_trip(ValueKind::Iban, text, Iban::parse);
            if let Ok(iban) = Iban::parse(text) {
                assert!(!format!("{iban:?}").contains(iban.as_str()), "an IBAN's Debug shows it masked");
            }
        }
        2 => round_trip(ValueKind::Postcode, text, Postcode::parse),
        3 => round_trip(ValueKind::Email, text, Email::parse),
        4 => round_trip(ValueKind::Kvk, text, Kvk::parse),
        5 => round_trip(ValueKind::Phone, text, PhoneNumber::parse),
        6 => round_trip(ValueKind::Date, text, Date::parse),
        // Amounts are shown with the euro sign, and typed without it.
        7 => round_trip(ValueKind::Amount, text, |text| Cents::parse(text.strip_prefix("€ ").unwrap_or(text))),
        8 => {
            if let Ok(written) = parse_written(text) {
                let again = match written {
                    Written::Date(date) => {
                        dutch::date(date);
                        date.to_string()
                    }
                    Written::Moment(at) => {
                        dutch::moment(at);
                        at.to_string()
                    }
                };
                assert_eq!(parse_written(&again), Ok(written), "`{again}` does not read back");
                written.start();
            }
        }
        // Street and number, then postcode and place, on lines of their own.
        9 => {
            let (street, postcode_city) = text.split_once('\n').unwrap_or((text, ""));
            match AddressKey::new(street, postcode_city) {
                Ok(key) => assert!(key.same_address(&key)),
                Err(refused) => assert_eq!(refused.field, ValueKind::Address, "{refused}"),
            }
        }
        // A password, then the account's names it must not contain, a line each.
        _ => {
            let mut lines = text.split('\n');
            let password = lines.next().unwrap_or_default();
            let account: Vec<&str> = lines.collect();
            if let Err(refused) = check_password(password, &account) {
                assert_eq!(refused.field, ValueKind::Password, "{refused}");
            }
        }
    }
});
