//! The values a synthetic person is made of: Dutch names, addresses in the
//! region with real-format postcodes, and identifiers that pass the same
//! checks as real ones (BSN 11-check, IBAN mod 97) without being anyone's.
//!
//! Identifiers that must be unique (BSN) are derived from the person's
//! number, not drawn, so two people never share one however large the
//! population; everything else is drawn from the caller's seeded generator.

use jiff::civil::Date;
use rand::Rng;
use rand::seq::SliceRandom;

const FIRST_NAMES: &[&str] = &[
    "Anna",
    "Bram",
    "Carla",
    "Daan",
    "Emma",
    "Femke",
    "Gerrit",
    "Hanna",
    "Henk",
    "Ilse",
    "Jan",
    "Jannie",
    "Klaas",
    "Lieke",
    "Marten",
    "Noor",
    "Oene",
    "Petra",
    "Roelf",
    "Sanne",
    "Sietse",
    "Tineke",
    "Udo",
    "Vera",
    "Wim",
    "Willemijn",
    "Geert",
    "Aaltje",
    "Harm",
    "Grietje",
    "Jelle",
    "Trijntje",
    "Luuk",
    "Fenna",
    "Sjoerd",
    "Hilje",
    "Bouke",
    "Froukje",
    "Tjeerd",
    "Wietske",
];

const SURNAMES: &[&str] = &[
    "Bakker",
    "Smit",
    "Mulder",
    "Bos",
    "Visser",
    "Dijkstra",
    "Hoekstra",
    "Jansen",
    "Kuipers",
    "Wind",
    "Boer",
    "Meijer",
    "Veenstra",
    "Huizinga",
    "Bosma",
    "Kooistra",
    "Zijlstra",
    "Pol",
    "Wiersma",
    "Schuiling",
    "Oosterhuis",
    "Haan",
    "Tammeling",
    "Ritsema",
    "Mellema",
    "Brouwer",
    "Drenth",
    "Lubbers",
    "Nienhuis",
    "Hofstede",
];

const PREFIXES: &[&str] = &["", "", "", "", "", "de ", "van ", "van der ", "ter ", "van den "];

const STREETS: &[&str] = &[
    "Hoofdstraat",
    "Kerkstraat",
    "Dorpsweg",
    "Molenweg",
    "Schoolstraat",
    "Stationsweg",
    "Borgweg",
    "Wierde",
    "Oosterweg",
    "Westerstraat",
    "Kanaalweg",
    "Meedenerweg",
    "Badweg",
    "Wadweg",
    "Zijlvest",
    "Nieuwstraat",
    "Torenstraat",
    "Boterdiep",
    "Eemskanaal",
    "Maarweg",
];

/// Places in the region with the four-digit postcodes they use (9700–9999,
/// Groningen).
const PLACES: &[(&str, u16, u16)] = &[
    ("Groningen", 9711, 9747),
    ("Haren", 9750, 9753),
    ("Bedum", 9781, 9781),
    ("Ten Boer", 9791, 9791),
    ("Ten Post", 9797, 9797),
    ("Zuidhorn", 9801, 9801),
    ("Grootegast", 9861, 9861),
    ("Appingedam", 9901, 9903),
    ("Wirdum", 9917, 9917),
    ("Loppersum", 9919, 9919),
    ("Stedum", 9921, 9921),
    ("Delfzijl", 9931, 9936),
    ("Farmsum", 9937, 9937),
    ("Winsum", 9951, 9951),
    ("Baflo", 9953, 9953),
    ("Leens", 9965, 9965),
    ("Eenrum", 9967, 9967),
    ("Kloosterburen", 9977, 9977),
    ("Uithuizen", 9981, 9981),
    ("Uithuizermeeden", 9982, 9982),
    ("Usquert", 9988, 9988),
    ("Warffum", 9989, 9989),
    ("Middelstum", 9991, 9991),
];

const BANKS: &[&str] = &["ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ"];

/// Area codes of fixed lines in the region, and mobile.
const AREA_CODES: &[&str] = &["050", "0594", "0595", "0596", "06"];

const MAIL_DOMAINS: &[&str] = &["example.nl", "example.com", "example.org"];

/// A made-up postal address in the region.
#[derive(Clone, Debug)]
pub struct Address {
    /// Street and number, e.g. "Kerkstraat 12a".
    pub street: String,
    /// e.g. "9981 AB Uithuizen".
    pub postcode_city: String,
}

/// A random address: a street in one of the region's places, with a postcode in its range.
pub fn address(rng: &mut impl Rng) -> Address {
    let (city, from, to) = *PLACES.choose(rng).unwrap_or(&PLACES[0]);
    let street = STREETS.choose(rng).copied().unwrap_or("Hoofdstraat");
    let number = rng.gen_range(1..=180);
    let addition = match rng.gen_range(0..10) {
        0 => "a",
        1 => "b",
        _ => "",
    };
    Address { street: format!("{street} {number}{addition}"), postcode_city: format!("{} {city}", postcode(rng, from, to)) }
}

/// A postcode in `from..=to`: four digits, a space, two letters — never the
/// combinations SA, SD and SS, which Dutch postcodes do not use.
pub fn postcode(rng: &mut impl Rng, from: u16, to: u16) -> String {
    let digits = rng.gen_range(from..=to);
    loop {
        let letters: String = (0..2).map(|_| char::from(b'A' + rng.gen_range(0..26u8))).collect();
        if !matches!(letters.as_str(), "SA" | "SD" | "SS") {
            return format!("{digits} {letters}");
        }
    }
}

/// A full name: first name, maybe a prefix, surname.
pub fn name(rng: &mut impl Rng, surname: &str) -> String {
    format!("{} {surname}", FIRST_NAMES.choose(rng).copied().unwrap_or("Anna"))
}

/// A family name, prefix included ("van der Wind").
pub fn surname(rng: &mut impl Rng) -> String {
    format!("{}{}", PREFIXES.choose(rng).copied().unwrap_or(""), SURNAMES.choose(rng).copied().unwrap_or("Bakker"))
}

/// The BSN of person number `person` (up to 9,000,000 people): the first
/// seven digits are a bijection of the number, so BSNs never repeat; the
/// eighth is drawn, and moved on by one when it would make the 11-check
/// digit 10 (at most one of the ten values does).
pub fn bsn(rng: &mut impl Rng, person: u64) -> String {
    const SPACE: u64 = 9_000_000;
    // Coprime with 9,000,000 = 2^6 · 3^2 · 5^6, so i ↦ a·i + b is a bijection.
    const SPREAD: u64 = 4_999_999;
    let prefix = 1_000_000 + (person % SPACE * SPREAD + 123_457) % SPACE;
    let mut digits: Vec<u64> = prefix.to_string().bytes().map(|b| u64::from(b - b'0')).collect();
    let weighted: u64 = digits.iter().zip([9, 8, 7, 6, 5, 4, 3]).map(|(d, w)| d * w).sum();
    let mut eighth = rng.gen_range(0..10);
    if (weighted + 2 * eighth) % 11 == 10 {
        eighth = (eighth + 1) % 10;
    }
    digits.push(eighth);
    // The ninth digit weighs -1: the sum is 0 mod 11 when it equals the rest mod 11.
    digits.push((weighted + 2 * eighth) % 11);
    digits.iter().map(ToString::to_string).collect()
}

/// A Dutch IBAN with a real bank code and matching check digits.
pub fn iban(rng: &mut impl Rng) -> String {
    let bank = BANKS.choose(rng).copied().unwrap_or("ABNA");
    let account: String = (0..10).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect();
    // ISO 13616: check digits are 98 minus the remainder of the rearranged
    // number with 00 in their place, so always 02–98.
    let rearranged = format!("{bank}{account}NL00");
    let remainder = rearranged.bytes().fold(0u32, |acc, b| match b {
        b'0'..=b'9' => (acc * 10 + u32::from(b - b'0')) % 97,
        _ => (acc * 100 + u32::from(b - b'A') + 10) % 97,
    });
    format!("NL{:02}{bank}{account}", 98 - remainder)
}

/// A KvK number: eight digits, the first not 0.
pub fn kvk(rng: &mut impl Rng) -> String {
    rng.gen_range(10_000_000u32..100_000_000).to_string()
}

/// A phone number of ten digits: a regional area code or 06.
pub fn phone(rng: &mut impl Rng) -> String {
    let code = AREA_CODES.choose(rng).copied().unwrap_or("06");
    let rest: String = (0..10 - code.len()).map(|i| char::from(b'0' + rng.gen_range(u8::from(i == 0)..10))).collect();
    format!("{code}{rest}")
}

/// An address at a reserved example domain, unique by the person's number.
pub fn email(rng: &mut impl Rng, name: &str, person: u64) -> String {
    let local: String = name.to_lowercase().chars().filter(char::is_ascii_alphabetic).collect();
    format!("{local}{person}@{}", MAIL_DOMAINS.choose(rng).copied().unwrap_or("example.nl"))
}

/// A date uniformly between `from` and `to` (inclusive).
pub fn date_between(rng: &mut impl Rng, from: Date, to: Date) -> Date {
    let days = from.until(to).map_or(0, |span| span.get_days());
    from.checked_add(jiff::Span::new().days(rng.gen_range(0..=i64::from(days.max(0))))).unwrap_or(from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn bsns_of_different_people_differ_and_all_pass_the_11_check() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut seen = std::collections::HashSet::new();
        for person in 0..50_000 {
            let bsn = bsn(&mut rng, person);
            grondslag_values::Bsn::parse(&bsn).unwrap();
            assert!(seen.insert(bsn[..7].to_string()), "person {person} repeats a BSN prefix");
        }
    }

    #[test]
    fn ibans_postcodes_phones_and_kvk_numbers_pass_the_validators() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..5_000 {
            grondslag_values::Iban::parse(&iban(&mut rng)).unwrap();
            grondslag_values::PhoneNumber::parse(&phone(&mut rng)).unwrap();
            grondslag_values::Kvk::parse(&kvk(&mut rng)).unwrap();
            let place = address(&mut rng);
            let postcode = grondslag_values::Postcode::parse(&place.postcode_city[..7]).unwrap();
            let digits: u16 = postcode.as_str()[..4].parse().unwrap();
            assert!((9700..=9999).contains(&digits), "{postcode:?} lies outside Groningen");
        }
    }
}
