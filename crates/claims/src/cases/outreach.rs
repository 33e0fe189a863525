//! Outreach (E19) through further processing (E20), and the
//! do-not-approach list.

use grondslag_kernel::{Access, RecordView, Value};
use grondslag_register::{Action, Category, CategorySet};
use serde::Serialize;

use super::{CaseError, Cases};
use crate::address::{DoNotApproach, select_for_outreach};
use crate::{Scheme, Status};
use grondslag_values::address::AddressKey;

/// E19: people without an active dossier, approached for a new scheme.
const OUTREACH: &str = "benaderen";
/// An outreach copy is indexed under the case it was copied from.
const COPIED_FROM: &str = "copied_from";
/// E19: the addresses that do not want to be approached, kept for good.
const DO_NOT_APPROACH: &str = "niet_benaderen";

/// Someone selected for outreach, with what a letter needs.
#[derive(Clone, Debug, Serialize)]
pub struct Selected {
    /// Who the letter is addressed to.
    pub name: String,
    /// Street and number.
    pub address: String,
    /// e.g. "9981 AB Uithuizen".
    pub postcode_city: String,
}

impl Cases<'_> {
    fn text_of(view: &RecordView, category: Category) -> String {
        view.get(category).and_then(Value::as_text).unwrap_or_default().to_string()
    }

    /// Copies the people whose `scheme` cases are closed into the outreach
    /// processing (a further use, E20), with their damage history, in one
    /// unit. Each copy is indexed by the case it came from, so a case
    /// already copied is not copied again: importing the same list twice
    /// changes nothing. Returns how many were copied now.
    pub fn outreach_import(&self, access: &Access, scheme: Scheme) -> Result<usize, CaseError> {
        let from = self.processing(scheme)?;
        let to = self.kernel.processing(OUTREACH)?;
        let contact = CategorySet::of(&[Category::Name, Category::Address, Category::PostcodeCity, Category::Phone, Category::Email]);
        self.kernel.unit(|unit| {
            let mut imported = 0;
            for case in unit.list_all(access, from, None)? {
                if case.status.as_deref() != Some(Status::Closed.name()) || !unit.find_records(access, to, COPIED_FROM, case.record.record.as_str())?.is_empty()
                {
                    continue;
                }
                let copy = unit.further_use(access, from, to, &case.record, contact)?;
                let history = format!("{} {} afgesloten {}", scheme.name_nl(), case.reference.as_deref().unwrap_or(""), case.updated_at);
                unit.write(access, to, Some(&copy.subject), Some(&copy.record), &[(Category::DamageHistory, Value::text(history))])?;
                unit.index_record(access, to, &copy, COPIED_FROM, case.record.record.as_str())?;
                imported += 1;
            }
            Ok(imported)
        })
    }

    /// Puts an address on the do-not-approach list.
    pub fn opt_out(&self, access: &Access, address: &str, postcode_city: &str) -> Result<(), CaseError> {
        AddressKey::new(address, postcode_city).map_err(CaseError::Invalid)?;
        let list = self.kernel.processing(DO_NOT_APPROACH)?;
        let fields = [(Category::Address, Value::text(address)), (Category::PostcodeCity, Value::text(postcode_city))];
        self.kernel.write(access, list, None, None, &fields)?;
        Ok(())
    }

    /// The people to approach: in the outreach processing, without an active
    /// dossier in any scheme, and never an address on the do-not-approach
    /// list, however it is spelled.
    pub fn outreach_selection(&self, access: &Access) -> Result<Vec<Selected>, CaseError> {
        let wanted = CategorySet::of(&[Category::Name, Category::Address, Category::PostcodeCity]);
        let mut list = DoNotApproach::default();
        let do_not = self.kernel.processing(DO_NOT_APPROACH)?;
        for entry in self.kernel.list_all(access, do_not, None)? {
            if let Some(view) = self.kernel.read_record(access, do_not, &entry.record, wanted)?
                && let Ok(key) = AddressKey::new(&Self::text_of(&view, Category::Address), &Self::text_of(&view, Category::PostcodeCity))
            {
                list.add(key);
            }
        }
        let mut active = std::collections::HashSet::new();
        for scheme in Scheme::ALL {
            for case in self.kernel.list_all(access, self.processing(scheme)?, None)? {
                if case.status.as_deref() != Some(Status::Closed.name()) {
                    active.insert(case.record.subject.clone());
                }
            }
        }
        let outreach = self.kernel.processing(OUTREACH)?;
        let mut candidates = Vec::new();
        for person in self.kernel.list_all(access, outreach, None)? {
            if active.contains(&person.record.subject) {
                continue;
            }
            let Some(view) = self.kernel.read_record(access, outreach, &person.record, wanted)? else { continue };
            let selected = Selected {
                name: Self::text_of(&view, Category::Name),
                address: Self::text_of(&view, Category::Address),
                postcode_city: Self::text_of(&view, Category::PostcodeCity),
            };
            // An address that cannot be read as one is not approached: better
            // a letter too few than one to someone who said no.
            if let Ok(key) = AddressKey::new(&selected.address, &selected.postcode_city) {
                candidates.push((selected, key));
            }
        }
        Ok(select_for_outreach(&candidates, &list).into_iter().cloned().collect())
    }

    /// Ends the period in which people are approached: every outreach copy
    /// gets `approach_period_ended`, the event its term waits for, and goes
    /// with the next sweep. The do-not-approach list stays. Returns how many
    /// copies were ended.
    pub fn end_outreach(&self, access: &Access) -> Result<usize, CaseError> {
        let outreach = self.kernel.processing(OUTREACH)?;
        self.kernel.unit(|unit| {
            let copies = unit.list_all(access, outreach, None)?;
            for copy in &copies {
                unit.record_event(access, outreach, &copy.record, Action::Advance, crate::APPROACH_PERIOD_ENDED, Some("ended"), None)?;
            }
            Ok(copies.len())
        })
    }
}
