//! Addresses compared as a person would: the key that tells whether two
//! spellings name one object (the fixed compensation's finality, E2) or one
//! address on the do-not-approach list (E19, newsletters).
//!
//! "Hoofdstraat 1a", "HOOFDSTRAAT 1 A" and "Hoofdstraat 1-A" are one
//! address. In the Netherlands postcode, house number and addition identify
//! an address, so when both sides have a postcode the street's spelling does
//! not matter; otherwise the street name is compared after normalising case,
//! spacing and punctuation.

use crate::{InvalidValue, Postcode, ValueKind};

/// An address reduced to what identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AddressKey {
    postcode: Option<String>,
    street: String,
    number: u32,
    addition: String,
}

impl AddressKey {
    /// `street_and_number` as "Hoofdstraat 1a"; `postcode_city` as
    /// "9981 AB Uithuizen" or empty when unknown. An address without a house
    /// number cannot identify an object and is refused.
    pub fn new(street_and_number: &str, postcode_city: &str) -> Result<AddressKey, InvalidValue> {
        let text = street_and_number.trim();
        let no_number = || {
            InvalidValue::new(
                ValueKind::Address,
                format!("'{text}' has no house number; write it as e.g. 'Hoofdstraat 1a'"),
                format!("bij '{text}' staat geen huisnummer. Schrijf de straat met het huisnummer, bijvoorbeeld 'Hoofdstraat 1a'."),
            )
        };
        let start = text.find(|c: char| c.is_ascii_digit()).ok_or_else(no_number)?;
        let digits_end = text[start..].find(|c: char| !c.is_ascii_digit()).map_or(text.len(), |i| start + i);
        let number = text[start..digits_end].parse::<u32>().map_err(|_| no_number())?;
        let street = simplify(&text[..start]);
        let addition = simplify(&text[digits_end..]).replace(' ', "");
        let compact: String = postcode_city.trim().chars().take(7).collect();
        let postcode =
            Postcode::parse(&compact).or_else(|_| Postcode::parse(&compact.chars().take(6).collect::<String>())).ok().map(|p| p.as_str().to_string());
        Ok(AddressKey { postcode, street, number, addition })
    }

    /// What a blind index keeps for this address, so that looking up
    /// [`AddressKey::lookup_keys`] of another finds it exactly when
    /// [`AddressKey::same_address`] says they are one: an address with a
    /// postcode is found by postcode, number and addition, and by its
    /// street by an address looked up without a postcode; one without a
    /// postcode is found by its street either way.
    pub fn index_keys(&self) -> Vec<String> {
        let on_street = self.keyed("street", &self.street);
        match &self.postcode {
            Some(postcode) => vec![self.keyed("postcode", postcode), on_street],
            None => vec![self.keyed("street without postcode", &self.street), on_street],
        }
    }

    /// The keys to look this address up under; see [`AddressKey::index_keys`].
    /// The last is how the index keyed it before postcodes settled the
    /// street's spelling, so that what was indexed then is still found (as
    /// spelled then).
    pub fn lookup_keys(&self) -> Vec<String> {
        let earlier =
            format!("AddressKey {{ postcode: {:?}, street: {:?}, number: {}, addition: {:?} }}", self.postcode, self.street, self.number, self.addition);
        match &self.postcode {
            Some(postcode) => vec![self.keyed("postcode", postcode), self.keyed("street without postcode", &self.street), earlier],
            None => vec![self.keyed("street", &self.street), earlier],
        }
    }

    fn keyed(&self, by: &str, value: &str) -> String {
        format!("{by}: {value}, {} {}", self.number, self.addition)
    }

    /// Whether two keys name the same address.
    pub fn same_address(&self, other: &AddressKey) -> bool {
        if self.number != other.number || self.addition != other.addition {
            return false;
        }
        match (&self.postcode, &other.postcode) {
            (Some(a), Some(b)) => a == b,
            _ => self.street == other.street,
        }
    }
}

/// Lowercase letters and digits, words separated by one space.
fn simplify(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'Á' | 'À' | 'Ä' | 'Â' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'É' | 'È' | 'Ë' | 'Ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' | 'Í' | 'Ì' | 'Ï' | 'Î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' | 'Ó' | 'Ò' | 'Ö' | 'Ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' | 'Ú' | 'Ù' | 'Ü' | 'Û' => 'u',
            c if c.is_alphanumeric() => c.to_ascii_lowercase(),
            _ => ' ',
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(street: &str, postcode_city: &str) -> AddressKey {
        AddressKey::new(street, postcode_city).unwrap()
    }

    // req: E19
    #[test]
    fn spellings_of_one_address_match() {
        let a = key("Hoofdstraat 1a", "9981 AB Uithuizen");
        for variant in ["HOOFDSTRAAT 1 A", "Hoofdstraat 1-A", "  hoofdstraat   1A ", "Hoofdstraat 1 a"] {
            assert!(a.same_address(&key(variant, "")), "{variant}");
            assert!(a.same_address(&key(variant, "9981AB UITHUIZEN")), "{variant}");
        }
        // With postcodes on both sides the street's spelling is not needed.
        assert!(a.same_address(&key("Hoofdstr. 1a", "9981 AB")));
        assert!(!a.same_address(&key("Hoofdstraat 1b", "9981 AB")));
        assert!(!a.same_address(&key("Hoofdstraat 11a", "")));
        assert!(!a.same_address(&key("Hoofdstraat 1a", "9981 AC")));
        assert!(AddressKey::new("Hoofdstraat", "").is_err());
    }

    /// Whether looking `a` up in an index that holds `b` finds it.
    fn found(a: &AddressKey, b: &AddressKey) -> bool {
        a.lookup_keys().iter().any(|k| b.index_keys().contains(k))
    }

    // req: E2
    // req: E19
    #[test]
    fn the_index_finds_exactly_the_same_addresses() {
        let streets = ["Hoofdstraat", "Hoofdstr.", "Kerkstraat"];
        let numbers = ["1", "1a", "1 B", "12"];
        let postcodes = ["", "9981 AB Uithuizen", "9981AB", "9999 ZZ"];
        let mut keys = Vec::new();
        for street in streets {
            for number in numbers {
                for postcode in postcodes {
                    keys.push(key(&format!("{street} {number}"), postcode));
                }
            }
        }
        for a in &keys {
            for b in &keys {
                assert_eq!(found(a, b), a.same_address(b), "{a:?} looked up in an index holding {b:?}");
            }
        }
        // The finding this fixes: with one postcode, the street's spelling does not matter.
        assert!(found(&key("Hoofdstr. 12", "9981 AB"), &key("Hoofdstraat 12", "9981 AB Uithuizen")));
    }

    #[test]
    fn what_was_indexed_before_is_still_found() {
        let a = key("Hoofdstraat 1a", "9981 AB Uithuizen");
        assert!(a.lookup_keys().contains(&format!("{a:?}")));
    }
}
