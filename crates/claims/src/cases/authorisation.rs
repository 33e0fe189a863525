//! Authorisations (E13): a representative acts on a principal's case.

use std::collections::BTreeMap;

use grondslag_kernel::{Access, Detail, RecordRef, Value};
use grondslag_register::{Action, Category, ProcessingId, Scope};
use serde::Deserialize;

use super::{CaseError, Cases};
use crate::CaseNumber;

/// E13: a principal authorises a representative (a person with a BSN or a
/// company with a KvK number) for a case, on the form from the website.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorisationForm {
    /// The case the authorisation is for.
    pub case: String,
    /// The principal's data by category: initials, name or company_name,
    /// gender, address, postcode_city, phone, email, signature.
    pub principal: BTreeMap<String, String>,
    /// The representative's data: name or company_name, address,
    /// postcode_city, phone, email, bsn or kvk, gender.
    pub representative: BTreeMap<String, String>,
}

/// The processing of authorisations in the register.
const AUTHORISATIONS: &str = "machtiging";

impl Cases<'_> {
    fn authorisations(&self) -> Result<ProcessingId, CaseError> {
        Ok(self.kernel.processing(AUTHORISATIONS)?)
    }

    /// Records an authorisation, in one unit: the principal's and the
    /// representative's records, the index, the event and the relation the
    /// kernel checks the representative against, or none of them. Returns
    /// the representative's record, whose subject is the id the
    /// representative acts under.
    pub fn authorise(&self, access: &Access, form: &AuthorisationForm) -> Result<RecordRef, CaseError> {
        self.kernel.unit(|unit| {
            let (scheme, case) = self.find(unit, access, &form.case)?;
            // Whoever may file about this case (its applicant, staff) may
            // record an authorisation for it; decided before the form is read.
            unit.check_record(access, self.processing(scheme)?, &case.record, Action::File)?;
            let number = CaseNumber::parse(&form.case)?.to_string();
            if !form.principal.contains_key("signature") {
                return Err(CaseError::Missing("principal.signature"));
            }
            if !form.representative.contains_key("bsn") && !form.representative.contains_key("kvk") {
                return Err(CaseError::Missing("representative.bsn or representative.kvk"));
            }
            let processing = self.authorisations()?;
            let with_case = |data: &BTreeMap<String, String>| -> Result<Vec<(Category, Value)>, CaseError> {
                let mut fields = data
                    .iter()
                    .map(|(name, value)| Ok((Category::from_name(name).ok_or_else(|| CaseError::UnknownCategory(name.clone()))?, Value::text(value.clone()))))
                    .collect::<Result<Vec<_>, CaseError>>()?;
                fields.push((Category::CaseNumber, Value::text(number.clone())));
                Ok(fields)
            };
            let known = match form.representative.get("bsn") {
                Some(bsn) => unit.find_to_file(access, processing, bsn)?,
                None => None,
            };
            let principal = unit.write(access, processing, Some(&case.record.subject), None, &with_case(&form.principal)?)?;
            let representative = unit.write(access, processing, known.as_ref(), None, &with_case(&form.representative)?)?;
            // Both sides are kept as long as the case they are for, and go with it.
            unit.belong_to(access, processing, &principal, &case.record)?;
            unit.belong_to(access, processing, &representative, &case.record)?;
            unit.index_record(access, processing, &representative, "principal", case.record.subject.as_str())?;
            unit.record_event(
                access,
                processing,
                &representative,
                Action::File,
                "authorised",
                Some("active"),
                Some(Detail::to(Category::CaseNumber, &number)),
            )?;
            // The relation the kernel checks the representative's grants against.
            let case_processing = self.kernel.processing(case.processing.as_str())?;
            unit.relate(access, case_processing, Action::File, &case.record, Scope::Represented, Some(&representative.subject), true)?;
            Ok(representative)
        })
    }

    /// Ends, at once, the representative's authorisations from the subject
    /// of case `number`, with the relation they gave. Returns how many were active.
    pub fn revoke(&self, access: &Access, number: &str, representative: &grondslag_kernel::SubjectId) -> Result<usize, CaseError> {
        self.kernel.unit(|unit| {
            let (_, case) = self.find(unit, access, number)?;
            let processing = self.authorisations()?;
            let mut revoked = 0;
            for found in unit.find_records(access, processing, "principal", case.record.subject.as_str())? {
                if &found.record.subject == representative && found.status.as_deref() == Some("active") {
                    unit.record_event(access, processing, &found.record, Action::Advance, "revoked", Some("revoked"), None)?;
                    revoked += 1;
                }
            }
            if revoked > 0 {
                let case_processing = self.kernel.processing(case.processing.as_str())?;
                unit.relate(access, case_processing, Action::Advance, &case.record, Scope::Represented, Some(representative), false)?;
            }
            Ok(revoked)
        })
    }
}
