//! Disclosure packages (E15), photos and notes of a case, and the
//! inspection's finding that makes the mayor a recipient.

use std::collections::BTreeMap;

use grondslag_kernel::{Access, Detail, RecordRef, RecordView, Unit, Value};
use grondslag_register::{Action, Category};
use serde::Serialize;

use super::{CaseError, Cases};
use crate::Scheme;

/// A request of a party that receives data only by legal obligation
/// (E15.LEGAL: police, SNN), waiting for the check that the obligation
/// really exists before anything is disclosed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingDisclosure {
    /// The case number.
    pub number: String,
    /// The recipient, by register id.
    pub recipient: String,
    /// The recipient's name.
    pub recipient_name: String,
    /// The request as received (its reference, what is asked).
    pub request: String,
    /// When the request came in.
    pub requested_at: jiff::Timestamp,
}

/// Events on the case: a request received, and how it was settled.
const LEGAL_REQUEST: &str = "legal_disclosure_requested";
const LEGAL_SETTLED: &str = "legal_disclosure_settled";
/// Cases with such a request are indexed here, so the queue costs what is
/// requested, not the number of cases; settled requests are told apart by
/// their events.
const LEGAL_INDEX: &str = "legal_disclosure";

/// What one party receives of one case (E15): exactly its categories.
#[derive(Debug, Serialize)]
pub struct Package {
    /// The case number.
    pub case: String,
    /// The recipient, by register id.
    pub recipient: String,
    /// The recipient's name.
    pub recipient_name: String,
    /// The recipient's legal basis as the register gives it, if any.
    pub legal_basis: Option<String>,
    /// The categories handed over, by name.
    pub categories: Vec<&'static str>,
    /// When.
    pub disclosed_at: jiff::Timestamp,
    /// One map per record: category name to value; bytes (photos) are
    /// named here and handed over beside the package.
    pub records: Vec<BTreeMap<&'static str, String>>,
    /// The bytes named in `records`: (name, content).
    #[serde(skip)]
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl Package {
    /// The records as CSV, one column per category.
    pub fn to_csv(&self) -> Result<String, CaseError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let csv_error = |e: csv::Error| CaseError::Export(e.to_string());
        writer.write_record(&self.categories).map_err(csv_error)?;
        for record in &self.records {
            writer.write_record(self.categories.iter().map(|c| record.get(c).map_or("", String::as_str))).map_err(csv_error)?;
        }
        let bytes = writer.into_inner().map_err(|e| CaseError::Export(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| CaseError::Export(e.to_string()))
    }
}

/// Photos of a case are records of their own, found by the case number.
const PHOTO_OF: &str = "photo_of";

/// The largest photo a case takes, so one upload cannot fill the disk.
pub const MAX_PHOTO_BYTES: u64 = 20 << 20;
/// So are notes copied into it (from the contact form, say).
const NOTE_OF: &str = "note_of";

/// E15.BUREAU: the mayor hears of a report only when the inspection found
/// the situation acutely unsafe.
const MAYOR: &str = "burgemeester";
const ACUTELY_UNSAFE: &str = "marked_acutely_unsafe";

impl Cases<'_> {
    /// A legal-obligation request's detail: hidden from the person
    /// concerned when the register withholds that party's requests from
    /// them (AVG art. 23), otherwise theirs to see with the case number.
    fn legal_detail<'t>(&self, recipient: grondslag_register::RecipientId, text: &'t str) -> Detail<'t> {
        if self.kernel.register().recipient(recipient).withheld_from_subject.is_some() { Detail::staff(text) } else { Detail::to(Category::CaseNumber, text) }
    }

    /// Adds a photo (of damage, of rooms) to a case; it is sealed in the blob
    /// store and reaches only the parties that receive such data (experts).
    /// A photo larger than [`MAX_PHOTO_BYTES`] is refused.
    pub fn attach_photo(&self, access: &Access, number: &str, photo: Vec<u8>) -> Result<RecordRef, CaseError> {
        let size = u64::try_from(photo.len()).unwrap_or(u64::MAX);
        if size > MAX_PHOTO_BYTES {
            return Err(CaseError::PhotoTooLarge { size });
        }
        self.add_to_case(access, number, Value::Bytes(photo), PHOTO_OF)
    }

    /// Adds a note to a case as data needed for the decision, in a record of
    /// its own that follows the case's term.
    pub fn add_note(&self, access: &Access, number: &str, note: &str) -> Result<RecordRef, CaseError> {
        self.add_to_case(access, number, Value::text(note), NOTE_OF)
    }

    /// A record of its own beside case `number`, holding `value` as data
    /// needed for the decision, found by the case number under `index`.
    fn add_to_case(&self, access: &Access, number: &str, value: Value, index: &str) -> Result<RecordRef, CaseError> {
        // A photo is sealed and written before the unit takes the writer.
        let fields = self.kernel.prepare(&[(Category::OtherInclPhotos, value)])?;
        self.kernel.unit(|unit| {
            let (scheme, case) = self.find(unit, access, number)?;
            let processing = self.processing(scheme)?;
            let record = unit.write_prepared(access, processing, Some(&case.record.subject), None, &fields)?;
            unit.index_record(access, processing, &record, index, number)?;
            // Kept as long as the case, and gone with it.
            unit.belong_to(access, processing, &record, &case.record)?;
            Ok(record)
        })
    }

    /// Records the inspection's finding that an E8 report is acutely unsafe.
    pub fn mark_acutely_unsafe(&self, access: &Access, number: &str) -> Result<(), CaseError> {
        self.kernel.unit(|unit| {
            let (scheme, summary) = self.find(unit, access, number)?;
            unit.check_record(access, self.processing(scheme)?, &summary.record, Action::Advance)?;
            if scheme != Scheme::AcutelyUnsafe {
                return Err(CaseError::NotAnUnsafeReport(number.to_string()));
            }
            unit.record_event(access, self.processing(scheme)?, &summary.record, Action::Advance, ACUTELY_UNSAFE, None, None)?;
            Ok(())
        })
    }

    /// Hands a case to a party the register names, through the kernel: the
    /// party's categories and nothing else, and a disclosure record the
    /// person will see. `legal_check` is the privacy team's recorded check,
    /// required for parties served by legal obligation (E15.LEGAL).
    /// Registers a legal-obligation party's request for a case's data; it
    /// waits in [`Cases::pending_disclosures`] until the check is recorded.
    pub fn request_disclosure(&self, access: &Access, number: &str, recipient: &str, request: &str) -> Result<(), CaseError> {
        let recipient_id = self.kernel.recipient(recipient)?;
        self.kernel.unit(|unit| {
            // From the first look at the case: while the request is checked,
            // the person is not to learn of it (AVG art. 23), if the register says so.
            unit.withhold_from_subject(recipient_id);
            let (scheme, summary) = self.find(unit, access, number)?;
            let processing = self.processing(scheme)?;
            unit.check_record(access, processing, &summary.record, Action::Disclose)?;
            if !self.kernel.register().recipient(recipient_id).legal_check {
                return Err(CaseError::NotALegalRecipient(recipient.to_string()));
            }
            if self.kernel.register().processing(processing).disclosure_to(recipient_id).is_none() {
                return Err(CaseError::NotARecipientOf(recipient.to_string()));
            }
            unit.record_event(
                access,
                processing,
                &summary.record,
                Action::Disclose,
                LEGAL_REQUEST,
                None,
                Some(self.legal_detail(recipient_id, &format!("{recipient}\n{}", request.trim()))),
            )?;
            unit.index_record(access, processing, &summary.record, LEGAL_INDEX, "requested")?;
            Ok(())
        })
    }

    /// Requests of legal-obligation parties not yet settled, oldest first.
    pub fn pending_disclosures(&self, access: &Access) -> Result<Vec<PendingDisclosure>, CaseError> {
        let mut pending = Vec::new();
        for scheme in Scheme::ALL {
            let processing = self.processing(scheme)?;
            // The queue is the work of whoever discloses for the scheme; it
            // is no list of someone's own requests.
            self.kernel.check(access, processing, Action::Disclose)?;
            let mut seen = std::collections::BTreeSet::new();
            for case in self.kernel.find_records(access, processing, LEGAL_INDEX, "requested")? {
                if !seen.insert(case.record.record.clone()) {
                    continue;
                }
                let Some(number) = case.reference.clone() else { continue };
                let events = self.kernel.events(access, processing, &case.record)?;
                for (i, event) in events.iter().enumerate().filter(|(_, e)| e.event == LEGAL_REQUEST) {
                    let Some((recipient, request)) = event.detail.as_deref().and_then(|d| d.split_once('\n')) else { continue };
                    let settled = events[i..]
                        .iter()
                        .any(|e| e.event == LEGAL_SETTLED && e.detail.as_deref().and_then(|d| d.split_once('\n')).is_some_and(|(r, _)| r == recipient));
                    if settled {
                        continue;
                    }
                    let recipient_name =
                        self.kernel.recipient(recipient).map_or_else(|_| recipient.to_string(), |id| self.kernel.register().recipient(id).name.clone());
                    pending.push(PendingDisclosure {
                        number: number.clone(),
                        recipient: recipient.to_string(),
                        recipient_name,
                        request: request.to_string(),
                        requested_at: event.at,
                    });
                }
            }
        }
        pending.sort_by_key(|p| p.requested_at);
        Ok(pending)
    }

    /// Settles a pending request: with the recorded check the data goes
    /// (exactly the recipient's categories); without, it is declined.
    pub fn settle_disclosure(&self, access: &Access, number: &str, recipient: &str, check: Option<&str>) -> Result<Option<Package>, CaseError> {
        let pending = self.pending_disclosures(access)?;
        let recipient_id = self.kernel.recipient(recipient)?;
        self.kernel.unit(|unit| {
            // The person learns of the outcome only as the disclosure it
            // led to, which they see among those who received their data.
            unit.withhold_from_subject(recipient_id);
            // Decided on the case before whether a request is pending there is
            // told, so that a refusal is the register's.
            let (scheme, summary) = self.find(unit, access, number)?;
            let processing = self.processing(scheme)?;
            unit.check_record(access, processing, &summary.record, Action::Disclose)?;
            if !pending.iter().any(|p| p.number == number && p.recipient == recipient) {
                return Err(CaseError::NoSuchRequest { number: number.to_string(), recipient: recipient.to_string() });
            }
            let check = check.map(str::trim).filter(|c| !c.is_empty());
            let package = check.map(|c| self.package(unit, access, number, recipient, Some(c))).transpose()?;
            let outcome = if package.is_some() { "disclosed" } else { "declined" };
            unit.record_event(
                access,
                processing,
                &summary.record,
                Action::Disclose,
                LEGAL_SETTLED,
                None,
                Some(self.legal_detail(recipient_id, &format!("{recipient}\n{outcome}"))),
            )?;
            Ok(package)
        })
    }

    /// Hands `recipient` the categories the register gives it of case `number`, and records the disclosure; a legal-obligation recipient needs `legal_check`.
    pub fn disclose(&self, access: &Access, number: &str, recipient: &str, legal_check: Option<&str>) -> Result<Package, CaseError> {
        self.kernel.unit(|unit| self.package(unit, access, number, recipient, legal_check))
    }

    /// [`Cases::disclose`] as a step of the operation in `unit`.
    fn package(&self, unit: &mut Unit<'_>, access: &Access, number: &str, recipient: &str, legal_check: Option<&str>) -> Result<Package, CaseError> {
        let (scheme, summary) = self.find(unit, access, number)?;
        let processing = self.processing(scheme)?;
        unit.check_record(access, processing, &summary.record, Action::Disclose)?;
        let recipient_id = self.kernel.recipient(recipient)?;
        if recipient == MAYOR && !unit.events(access, processing, &summary.record)?.iter().any(|e| e.event == ACUTELY_UNSAFE) {
            return Err(CaseError::NotAcutelyUnsafe(number.to_string()));
        }
        let mut views: Vec<RecordView> = unit.disclose_record(access, processing, &summary.record, recipient_id, legal_check)?.into_iter().collect();
        let gets_photos = self.kernel.register().processing(processing).disclosure_to(recipient_id).is_some_and(|c| c.contains(Category::OtherInclPhotos));
        if gets_photos {
            for photo in unit.find_records(access, processing, PHOTO_OF, number)? {
                views.extend(unit.disclose_record(access, processing, &photo.record, recipient_id, legal_check)?);
            }
        }
        let party = self.kernel.register().recipient(recipient_id);
        let mut categories: Vec<Category> = Vec::new();
        let mut records = Vec::new();
        let mut attachments = Vec::new();
        for view in &views {
            let mut record = BTreeMap::new();
            for (category, value) in &view.fields {
                if !categories.contains(category) {
                    categories.push(*category);
                }
                let text = match value {
                    Value::Text(text) => text.clone(),
                    Value::Bytes(bytes) => {
                        let name = format!("{}-{}-{}.bin", number, category.name(), attachments.len() + 1);
                        attachments.push((name.clone(), bytes.clone()));
                        name
                    }
                };
                record.insert(category.name(), text);
            }
            records.push(record);
        }
        categories.sort();
        Ok(Package {
            case: number.to_string(),
            recipient: party.id.clone(),
            recipient_name: party.name.clone(),
            legal_basis: party.legal_basis.clone(),
            categories: categories.iter().map(|c| c.name()).collect(),
            disclosed_at: access.now,
            records,
            attachments,
        })
    }
}
