//! Addresses compared as a person would, for the do-not-approach list (E19).
//!
//! "Hoofdstraat 1a", "HOOFDSTRAAT 1 A" and "Hoofdstraat 1-A" are one
//! address. In the Netherlands postcode, house number and addition identify
//! an address, so when both sides have a postcode the street's spelling does
//! not matter; otherwise the street name is compared after normalising case,
//! spacing and punctuation.

use grondslag_values::Postcode;

/// An address reduced to what identifies it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AddressKey {
    postcode: Option<String>,
    street: String,
    number: u32,
    addition: String,
}

/// An address without a house number, which cannot identify an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("address: '{0}' has no house number; write it as e.g. 'Hoofdstraat 1a'")]
pub struct NoHouseNumber(pub String);

impl AddressKey {
    /// `street_and_number` as "Hoofdstraat 1a"; `postcode_city` as
    /// "9981 AB Uithuizen" or empty when unknown.
    pub fn new(street_and_number: &str, postcode_city: &str) -> Result<AddressKey, NoHouseNumber> {
        let text = street_and_number.trim();
        let start = text.find(|c: char| c.is_ascii_digit()).ok_or_else(|| NoHouseNumber(text.to_string()))?;
        let digits_end = text[start..].find(|c: char| !c.is_ascii_digit()).map_or(text.len(), |i| start + i);
        let number = text[start..digits_end].parse::<u32>().map_err(|_| NoHouseNumber(text.to_string()))?;
        let street = simplify(&text[..start]);
        let addition = simplify(&text[digits_end..]).replace(' ', "");
        let compact: String = postcode_city.trim().chars().take(7).collect();
        let postcode =
            Postcode::parse(&compact).or_else(|_| Postcode::parse(&compact.chars().take(6).collect::<String>())).ok().map(|p| p.as_str().to_string());
        Ok(AddressKey { postcode, street, number, addition })
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

/// The do-not-approach list: kept for good, always honoured.
#[derive(Clone, Debug, Default)]
pub struct DoNotApproach {
    keys: Vec<AddressKey>,
}

impl DoNotApproach {
    /// Adds an address, unless it is on the list already.
    pub fn add(&mut self, key: AddressKey) {
        if !self.contains(&key) {
            self.keys.push(key);
        }
    }

    /// Whether the list has this address, however it was written.
    pub fn contains(&self, key: &AddressKey) -> bool {
        self.keys.iter().any(|k| k.same_address(key))
    }
}

/// E19: the candidates that may be approached — never one whose address is
/// on the list, however it is spelled.
pub fn select_for_outreach<'c, T>(candidates: &'c [(T, AddressKey)], list: &DoNotApproach) -> Vec<&'c T> {
    candidates.iter().filter(|(_, key)| !list.contains(key)).map(|(candidate, _)| candidate).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    fn variant(street: &str, number: u32, addition: &str, choice: u8) -> String {
        let addition = match choice % 4 {
            0 => addition.to_string(),
            1 => format!(" {}", addition.to_uppercase()),
            2 => format!("-{addition}"),
            _ => format!("  {addition} "),
        };
        let street = if choice.is_multiple_of(2) { street.to_uppercase() } else { format!(" {street} ") };
        format!("{street} {number}{addition}")
    }

    proptest! {
        // req: E19
        #[test]
        fn an_opted_out_address_is_never_selected_in_any_spelling(
            street in "[A-Z][a-z]{2,12}(straat|weg|laan| [A-Z][a-z]{2,8})",
            number in 1u32..400,
            addition in "[a-d]?",
            choices in proptest::collection::vec(any::<u8>(), 1..6),
            postcode in proptest::option::of("[1-9][0-9]{3} [A-R][A-Z]"),
        ) {
            let mut list = DoNotApproach::default();
            list.add(key(&format!("{street} {number}{addition}"), postcode.as_deref().unwrap_or("")));
            let candidates: Vec<(usize, AddressKey)> = choices
                .iter()
                .enumerate()
                .map(|(i, c)| (i, key(&variant(&street, number, &addition, *c), if c.is_multiple_of(3) { "" } else { postcode.as_deref().unwrap_or("") })))
                .chain([(usize::MAX, key(&format!("{street} {}", number + 1), ""))])
                .collect();
            let selected = select_for_outreach(&candidates, &list);
            prop_assert_eq!(selected, vec![&usize::MAX]);
        }
    }
}
