//! Automated factual checks (E0.2, E0.3): is a postcode inside an area?
//!
//! The outcome can speed a case up, never hold it back: inside the area the
//! case may be fast-tracked; outside it, or when the check cannot tell, the
//! case goes to a person. There is no refusal among the outcomes, so no code
//! path can turn a check into one. Every outcome keeps its rule, its inputs
//! and its result, and explains itself in plain Dutch.

use std::collections::BTreeMap;
use std::fmt;

use grondslag_values::Postcode;
use serde::Serialize;

/// An area list has a name such as `earthquake` or `value_decrease`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AreaLists {
    /// Ranges of four-digit postcodes per area, inclusive.
    ranges: BTreeMap<String, Vec<(u16, u16)>>,
    /// Where the lists came from, recorded with every outcome.
    pub source: String,
}

/// A line of an area-list file that cannot be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}: {message}")]
pub struct AreaListError {
    /// The file, as named to [`AreaLists::parse`].
    pub file: String,
    /// The line, from 1.
    pub line: usize,
    /// What is wrong, and what is expected.
    pub message: String,
}

/// The shipped sample lists; the operator replaces them with the official
/// ones (`AreaLists::parse` of their CSV).
pub const SAMPLE: &str = include_str!("../data/areas.csv");

impl AreaLists {
    /// Reads `area,from,to` rows (a header row and `#` comments allowed).
    pub fn parse(source: &str, text: &str) -> Result<AreaLists, AreaListError> {
        let error = |line: usize, message: String| AreaListError { file: source.to_string(), line, message };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).comment(Some(b'#')).trim(csv::Trim::All).from_reader(text.as_bytes());
        let mut ranges: BTreeMap<String, Vec<(u16, u16)>> = BTreeMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| error(e.position().map_or(0, |p| p.line() as usize), e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let [area, from, to] = [0, 1, 2].map(|i| record.get(i).unwrap_or_default());
            if area.is_empty() || !area.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                return Err(error(line, format!("area `{area}` must be a lowercase name such as earthquake")));
            }
            let postcode4 = |text: &str| text.parse::<u16>().ok().filter(|n| (1000..=9999).contains(n));
            let (Some(from), Some(to)) = (postcode4(from), postcode4(to)) else {
                return Err(error(line, format!("`{from}`–`{to}` is not a range of four-digit postcodes (1000–9999)")));
            };
            if from > to {
                return Err(error(line, format!("the range {from}–{to} runs backwards")));
            }
            ranges.entry(area.to_string()).or_default().push((from, to));
        }
        Ok(AreaLists { ranges, source: source.to_string() })
    }

    /// The names of the areas in the lists.
    pub fn areas(&self) -> impl Iterator<Item = &str> {
        self.ranges.keys().map(String::as_str)
    }

    /// Checks whether `postcode` lies in `area`.
    pub fn check(&self, area: &str, postcode: &str) -> Outcome {
        let result = match (Postcode::parse(postcode), self.ranges.get(area)) {
            (Err(_), _) => CheckResult::Unknown(UnknownBecause::InvalidPostcode),
            (Ok(_), None) => CheckResult::Unknown(UnknownBecause::NoSuchArea),
            (Ok(valid), Some(ranges)) => {
                let digits = valid.as_str()[..4].parse::<u16>().unwrap_or(0);
                if ranges.iter().any(|(from, to)| (*from..=*to).contains(&digits)) { CheckResult::Inside } else { CheckResult::Outside }
            }
        };
        Outcome { rule: RULE, area: area.to_string(), postcode: postcode.trim().to_string(), list: self.source.clone(), result }
    }
}

/// The rule's name and version, stored with each outcome.
pub const RULE: &str = "postcode-in-area/1";

/// Why the postcode check could not tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownBecause {
    /// The postcode is not a Dutch postcode.
    InvalidPostcode,
    /// The lists have no area of that name.
    NoSuchArea,
}

/// What the postcode check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result", content = "because")]
pub enum CheckResult {
    /// The postcode lies in the area.
    Inside,
    /// The postcode lies outside the area.
    Outside,
    /// The check could not tell.
    Unknown(UnknownBecause),
}

/// What happens to the case next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// The case may skip a manual check.
    FastTrack,
    /// A person looks at the case; nothing is decided automatically.
    HumanReview,
}

/// One automated outcome: rule, inputs, result (E0.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The rule's name and version, [`RULE`].
    pub rule: &'static str,
    /// The area checked against.
    pub area: String,
    /// The postcode checked.
    pub postcode: String,
    /// Where the area lists came from.
    pub list: String,
    /// What the check found.
    #[serde(flatten)]
    pub result: CheckResult,
}

impl Outcome {
    /// Fast track only when the postcode is inside; anything else goes to a person.
    pub fn route(&self) -> Route {
        match self.result {
            CheckResult::Inside => Route::FastTrack,
            CheckResult::Outside | CheckResult::Unknown(_) => Route::HumanReview,
        }
    }

    /// The outcome as the applicant reads it.
    pub fn explain_nl(&self) -> String {
        let area = match self.area.as_str() {
            "earthquake" => "het aardbevingsgebied".to_string(),
            "value_decrease" => "het waardedalingsgebied".to_string(),
            other => format!("het gebied '{}'", other.replace('_', " ")),
        };
        let finding = match self.result {
            CheckResult::Inside => format!("Postcode {} ligt in {area}. Daarom kan je aanvraag sneller worden behandeld.", self.postcode),
            CheckResult::Outside => format!(
                "Postcode {} ligt niet in {area} volgens de lijst '{}'. Dat betekent geen afwijzing: een medewerker bekijkt je aanvraag.",
                self.postcode, self.list
            ),
            CheckResult::Unknown(UnknownBecause::InvalidPostcode) => {
                format!("We konden postcode '{}' niet controleren. Een medewerker bekijkt je aanvraag.", self.postcode)
            }
            CheckResult::Unknown(UnknownBecause::NoSuchArea) => format!("Er is geen lijst voor {area}. Een medewerker bekijkt je aanvraag."),
        };
        format!("{finding} (Automatische controle '{}', alleen een feitelijke controle.)", self.rule)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain_nl())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> AreaLists {
        AreaLists::parse("data/areas.csv", SAMPLE).unwrap()
    }

    // req: E0.3
    #[test]
    fn an_outcome_keeps_rule_inputs_and_result_and_explains_itself() {
        let inside = sample().check("earthquake", "9726 AD");
        assert_eq!((inside.result, inside.route()), (CheckResult::Inside, Route::FastTrack));
        assert!(inside.explain_nl().contains("9726 AD ligt in het aardbevingsgebied"));
        let outside = sample().check("earthquake", "1012 AB");
        assert_eq!(outside.route(), Route::HumanReview);
        assert!(outside.explain_nl().contains("geen afwijzing"));
        assert_eq!(sample().check("earthquake", "12").result, CheckResult::Unknown(UnknownBecause::InvalidPostcode));
        assert_eq!(sample().check("moon", "9726 AD").result, CheckResult::Unknown(UnknownBecause::NoSuchArea));
    }

    #[test]
    fn a_malformed_area_list_names_its_line() {
        let error = AreaLists::parse("areas.csv", "area,from,to\nearthquake,9700,9999\nearthquake,97,9999\n").unwrap_err();
        assert_eq!(error.line, 3, "{error}");
        assert!(error.to_string().contains("four-digit"));
        assert!(AreaLists::parse("areas.csv", "area,from,to\nearthquake,9999,9700\n").unwrap_err().to_string().contains("backwards"));
    }

    fn lists() -> impl Strategy<Value = AreaLists> {
        proptest::collection::vec(("[a-z_]{1,12}", 1000u16..=9999, 0u16..2000), 0..8).prop_map(|rows| {
            let mut text = String::from("area,from,to\n");
            for (area, from, width) in rows {
                text.push_str(&format!("{area},{from},{}\n", from.saturating_add(width).min(9999)));
            }
            AreaLists::parse("generated", &text).unwrap_or_default()
        })
    }

    proptest! {
        // req: E0.2
        #[test]
        fn no_postcode_and_no_area_list_ever_leads_to_a_refusal(
            lists in lists(),
            area in "[a-z_]{1,12}",
            postcode in prop_oneof!["[1-9][0-9]{3} ?[A-Z]{2}", ".{0,10}"],
        ) {
            let outcome = lists.check(&area, &postcode);
            // Only a positive finding changes the route, and only to go faster.
            prop_assert_eq!(outcome.route() == Route::FastTrack, outcome.result == CheckResult::Inside);
            prop_assert!(!outcome.explain_nl().is_empty());
            prop_assert_eq!(outcome.rule, RULE);
        }
    }
}
