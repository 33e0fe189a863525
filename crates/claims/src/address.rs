//! The do-not-approach list (E19): addresses compared as a person would,
//! through [`AddressKey`].

use grondslag_values::address::AddressKey;

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
