//! Rights requests, kept under the register's rights process.

use grondslag_kernel::{Access, Detail, Kernel, KernelError, RecordRef, SubjectExport, SubjectId, Unit, Value};
use grondslag_register::{Action, Category, CategorySet, ProcessingId};
use std::collections::BTreeMap;

use jiff::civil::Date;

use crate::terms::{self, ExtensionError};

/// The rights processing's register id: requests are filed and answered under it.
pub const PROCESSING: &str = "rechtenverzoeken";

/// The request was answered (or carried out and answered): its file is kept
/// for its term from here, to account for the answer.
pub const REQUEST_CLOSED: &str = "request_closed";

/// What a person asks (AVG art. 7(3), 15–21; E19's opt-out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RightKind {
    /// A copy of one's data (art. 15).
    Access,
    /// An explanation of an automated decision (art. 22).
    Explanation,
    /// Wrong data corrected (art. 16).
    Rectification,
    /// Data erased (art. 17).
    Erasure,
    /// Processing restricted (art. 18).
    Restriction,
    /// One's data in a portable form (art. 20).
    Portability,
    /// An objection to a use of one's data (art. 21).
    Objection,
    /// Consent withdrawn (art. 7(3)).
    WithdrawConsent,
    /// No more approaches (E19).
    OptOutOfApproach,
}

impl RightKind {
    /// Every kind, in the order forms offer them.
    pub const ALL: [RightKind; 9] = [
        RightKind::Access,
        RightKind::Explanation,
        RightKind::Rectification,
        RightKind::Erasure,
        RightKind::Restriction,
        RightKind::Portability,
        RightKind::Objection,
        RightKind::WithdrawConsent,
        RightKind::OptOutOfApproach,
    ];

    /// The kind's name in forms and on the command line, e.g. `"withdraw_consent"`.
    pub fn name(self) -> &'static str {
        match self {
            RightKind::Access => "access",
            RightKind::Explanation => "explanation",
            RightKind::Rectification => "rectification",
            RightKind::Erasure => "erasure",
            RightKind::Restriction => "restriction",
            RightKind::Portability => "portability",
            RightKind::Objection => "objection",
            RightKind::WithdrawConsent => "withdraw_consent",
            RightKind::OptOutOfApproach => "opt_out_of_approach",
        }
    }

    /// The kind by its name.
    pub fn from_name(name: &str) -> Option<RightKind> {
        RightKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Why a data-subject request could not be filed or answered.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum RequestError {
    #[error(
        "unknown request kind `{0}`; use access, explanation, rectification, erasure, restriction, portability, objection, withdraw_consent or opt_out_of_approach"
    )]
    UnknownKind(String),
    #[error("the requester's identity has not been verified; verify it first (method, by whom) — nothing is answered or changed before")]
    IdentityNotVerified,
    #[error("this request was answered already")]
    Answered,
    #[error("not a rights request: {0}")]
    NotARequest(String),
    #[error("`{0}` does not rest on consent; there is no consent to withdraw (object instead, art. 21)")]
    NotConsent(String),
    #[error("the request names no processing whose consent is withdrawn")]
    NoConsentNamed,
    #[error("cannot build the archive: {0}")]
    Archive(String),
    #[error(transparent)]
    Extension(#[from] ExtensionError),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

impl RequestError {
    /// The refusal as a page says it, in plain Dutch: what is wrong and
    /// what to do.
    pub fn explain_nl(&self, register: &grondslag_register::Register) -> String {
        match self {
            RequestError::UnknownKind(_) => "Dit soort verzoek kennen we niet. Kies een van de verzoeken op het formulier.".to_string(),
            RequestError::IdentityNotVerified => {
                "Eerst moet worden vastgesteld wie het verzoek doet (hoe, en door wie). Tot dan wordt er niets beantwoord of veranderd.".to_string()
            }
            RequestError::Answered => "Dit verzoek is al beantwoord.".to_string(),
            RequestError::NotARequest(_) => "Dit is geen privacyverzoek.".to_string(),
            RequestError::NotConsent(processing) => {
                let name = register.processing_id(processing).map_or(processing.as_str(), |id| register.processing(id).name.as_str());
                format!(
                    "‘{name}’ gebeurt niet op grond van toestemming, dus er is geen toestemming om in te trekken. Je kunt wel bezwaar maken (artikel 21 AVG)."
                )
            }
            RequestError::NoConsentNamed => "Kies de verwerking waarvoor je je toestemming intrekt.".to_string(),
            RequestError::Archive(_) => grondslag_kernel::FAULT_NL.to_string(),
            RequestError::Extension(ExtensionError::NoReason) => {
                "Een verlenging heeft een reden nodig: hoe ingewikkeld het verzoek is, of hoeveel verzoeken er zijn.".to_string()
            }
            RequestError::Extension(ExtensionError::TooLate { told, first_deadline }) => format!(
                "De persoon hoorde het op {}, na het einde van de eerste maand ({}); de termijn kan niet meer worden verlengd.",
                grondslag_values::dutch::date(*told),
                grondslag_values::dutch::date(*first_deadline)
            ),
            RequestError::Extension(ExtensionError::TooLong) => "De termijn kan met hoogstens twee maanden worden verlengd.".to_string(),
            RequestError::Kernel(kernel) => kernel.explain_nl(register),
        }
    }
}

/// Where a request stands, read from its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestState {
    /// The request's record.
    pub request: RecordRef,
    /// What is asked.
    pub kind: RightKind,
    /// When it came in; its term counts from here.
    pub received: Date,
    /// When it must be answered, extensions included.
    pub due: Date,
    /// How the requester's identity was verified; `None` until it is.
    pub identity: Option<String>,
    /// Whether it has been answered.
    pub answered: bool,
    /// The processing the request is about, when the person named one
    /// (the consent to withdraw, the use to object to).
    pub concerns: Option<String>,
}

impl RequestState {
    /// Not answered, and its answer date has passed.
    pub fn overdue(&self, today: Date) -> bool {
        !self.answered && self.due < today
    }
}

/// Data-subject requests: filed, verified, answered within their term, all under the rights processing.
#[derive(Debug)]
pub struct Requests<'k> {
    kernel: &'k Kernel,
    processing: ProcessingId,
}

impl<'k> Requests<'k> {
    /// Requests on the kernel, under the rights processing of its register.
    pub fn new(kernel: &'k Kernel) -> Result<Requests<'k>, RequestError> {
        Ok(Requests { kernel, processing: kernel.processing(PROCESSING)? })
    }

    /// Files a request of `subject` received now (`access.now`); see
    /// [`Requests::file_received`].
    pub fn file(&self, access: &Access, subject: &SubjectId, kind: RightKind, requester: &str, concerns: Option<&str>) -> Result<RequestState, RequestError> {
        self.file_received(access, subject, kind, requester, concerns, access.now)
    }

    /// Files a request of `subject` that arrived at `received` (a letter
    /// read on Friday and registered on Monday): its term counts from
    /// receipt. It is registered now (`access.now`), by the actor, as its
    /// audit entry says; when it arrived earlier a `registered` event says
    /// so too, beside the record. About `concerns` when the person names a
    /// processing (the consent to withdraw, the use to object to). The
    /// kernel decides who may: the person themselves, their representative,
    /// or an employee passing on a request received for the person — who
    /// files it but may not read it back, so the state is returned as filed.
    /// The request and its events are one unit: a request without its
    /// `received` event would have no state to show.
    pub fn file_received(
        &self,
        access: &Access,
        subject: &SubjectId,
        kind: RightKind,
        requester: &str,
        concerns: Option<&str>,
        received: jiff::Timestamp,
    ) -> Result<RequestState, RequestError> {
        // Checked before anything is filed, so a wrong name leaves no half request.
        if let Some(processing) = concerns {
            self.kernel.processing(processing)?;
        }
        let fields = [(Category::Name, Value::text(requester)), (Category::FreeText, Value::text(kind.name()))];
        let request = self.kernel.unit(|unit| {
            let request = unit.write(access, self.processing, Some(subject), None, &fields)?;
            let detail = Some(Detail::to(Category::FreeText, kind.name()));
            unit.record_event_at(access, self.processing, &request, Action::File, "received", Some("awaiting_identity"), detail, received)?;
            if received < access.now {
                let note = format!("received {received}, registered {}", access.now);
                unit.record_event(access, self.processing, &request, Action::File, "registered", None, Some(Detail::to(Category::FreeText, &note)))?;
            }
            if let Some(processing) = concerns {
                unit.record_event(access, self.processing, &request, Action::File, "concerns", None, Some(Detail::to(Category::FreeText, processing)))?;
            }
            Ok::<_, RequestError>(request)
        })?;
        let received = grondslag_values::dutch::amsterdam_date(received);
        Ok(RequestState { request, kind, received, due: terms::answer_due(received), identity: None, answered: false, concerns: concerns.map(str::to_string) })
    }

    /// Records how the requester's identity was verified, and by whom.
    pub fn verify_identity(&self, access: &Access, request: &RecordRef, method: &str) -> Result<RequestState, RequestError> {
        self.kernel.unit(|unit| self.verify(unit, access, request, method))
    }

    fn verify(&self, unit: &mut Unit<'_>, access: &Access, request: &RecordRef, method: &str) -> Result<RequestState, RequestError> {
        let detail = format!("{method}; verified by {}", access.actor);
        unit.record_event(access, self.processing, request, Action::Handle, "identity_verified", Some("open"), Some(Detail::to(Category::FreeText, &detail)))?;
        self.state_of(unit, access, request)
    }

    /// Extends the term by one or two months; the notice to the person is
    /// recorded now, and must fall within the first month.
    pub fn extend(&self, access: &Access, request: &RecordRef, months: i64, reason: &str) -> Result<RequestState, RequestError> {
        self.kernel.unit(|unit| {
            unit.check_record(access, self.processing, request, Action::Handle)?;
            let state = self.state_of(unit, access, request)?;
            let due = terms::extend(state.received, months, reason, grondslag_values::dutch::amsterdam_date(access.now))?;
            let notice = format!("{due}; {reason}");
            unit.record_event(access, self.processing, request, Action::Handle, "extended", None, Some(Detail::to(Category::FreeText, &notice)))?;
            self.state_of(unit, access, request)
        })
    }

    /// Records the answer; only after the identity is verified.
    pub fn answer(&self, access: &Access, request: &RecordRef, text: &str) -> Result<RequestState, RequestError> {
        self.kernel.unit(|unit| self.answer_in(unit, access, request, text))
    }

    fn answer_in(&self, unit: &mut Unit<'_>, access: &Access, request: &RecordRef, text: &str) -> Result<RequestState, RequestError> {
        unit.check_record(access, self.processing, request, Action::Handle)?;
        let state = self.state_of(unit, access, request)?;
        if state.identity.is_none() {
            return Err(RequestError::IdentityNotVerified);
        }
        if state.answered {
            return Err(RequestError::Answered);
        }
        self.close(unit, access, request, text)?;
        self.state_of(unit, access, request)
    }

    /// The access export (art. 15) for a verified request.
    pub fn export(&self, access: &Access, request: &RecordRef) -> Result<SubjectExport, RequestError> {
        self.kernel.reading(|unit| self.verified_export(unit, access, request))
    }

    fn verified_export(&self, unit: &mut Unit<'_>, access: &Access, request: &RecordRef) -> Result<SubjectExport, RequestError> {
        // Handling a request is the privacy team's (and HR's for staff);
        // the person reads their own data under Mijn gegevens instead.
        unit.check_record(access, self.processing, request, Action::Handle)?;
        if self.state_of(unit, access, request)?.identity.is_none() {
            return Err(RequestError::IdentityNotVerified);
        }
        Ok(unit.export(access, self.processing, &request.subject)?)
    }

    /// A request's state, from its events.
    pub fn state(&self, access: &Access, request: &RecordRef) -> Result<RequestState, RequestError> {
        self.kernel.reading(|unit| self.state_of(unit, access, request))
    }

    fn state_of(&self, unit: &mut Unit<'_>, access: &Access, request: &RecordRef) -> Result<RequestState, RequestError> {
        let events = unit.events(access, self.processing, request)?;
        let received = events.iter().find(|e| e.event == "received").ok_or_else(|| RequestError::NotARequest(request.to_string()))?;
        let kind = received.detail.as_deref().and_then(RightKind::from_name).ok_or_else(|| RequestError::NotARequest(request.to_string()))?;
        let received_on = grondslag_values::dutch::amsterdam_date(received.at);
        let extended =
            events.iter().filter(|e| e.event == "extended").filter_map(|e| e.detail.as_deref()?.split(';').next()?.trim().parse::<Date>().ok()).max();
        Ok(RequestState {
            request: request.clone(),
            kind,
            received: received_on,
            due: extended.unwrap_or_else(|| terms::answer_due(received_on)),
            identity: events.iter().rev().find(|e| e.event == "identity_verified").and_then(|e| e.detail.clone()),
            answered: events.iter().any(|e| e.event == REQUEST_CLOSED),
            concerns: events.iter().rev().find(|e| e.event == "concerns").and_then(|e| e.detail.clone()),
        })
    }

    /// Open requests by due date, overdue ones first: the queue of whoever
    /// handles requests, holding the requests their grant reaches.
    pub fn open(&self, access: &Access) -> Result<Vec<RequestState>, RequestError> {
        self.kernel.check(access, self.processing, Action::Handle)?;
        let mut open = Vec::new();
        for status in ["awaiting_identity", "open"] {
            for request in self.kernel.list_all(access, self.processing, Some(status))? {
                open.push(self.state(access, &request.record)?);
            }
        }
        open.sort_by_key(|s| s.due);
        Ok(open)
    }

    /// The requests about `subject`, newest first: what a person sees of
    /// their own requests. A read of their file under the rights process.
    pub fn of_subject(&self, access: &Access, subject: &SubjectId) -> Result<Vec<RequestState>, RequestError> {
        // Asking for the kind is enough to find them; the state comes from the events.
        let views = self.kernel.read(access, self.processing, subject, CategorySet::EMPTY.with(Category::FreeText))?;
        let mut list =
            views.into_iter().map(|view| self.state(access, &RecordRef { subject: subject.clone(), record: view.record })).collect::<Result<Vec<_>, _>>()?;
        list.sort_by_key(|r| std::cmp::Reverse(r.received));
        Ok(list)
    }

    /// The access report (art. 15) for a verified request, as the person receives it.
    pub fn access_report(&self, access: &Access, request: &RecordRef) -> Result<crate::export::AccessReport, RequestError> {
        let export = self.export(access, request)?;
        Ok(crate::export::report(self.kernel.register(), &export, access.now))
    }

    /// Answers a request, recording first how the requester's identity was
    /// verified when that comes with the answer (at the counter, say).
    pub fn answer_verified(&self, access: &Access, request: &RecordRef, identity: Option<&str>, text: &str) -> Result<RequestState, RequestError> {
        self.kernel.unit(|unit| {
            self.verify_if_given(unit, access, request, identity)?;
            self.answer_in(unit, access, request, text.trim())
        })
    }

    /// Carries out a request to withdraw consent for the processing it
    /// names (art. 7(3)), verifying the identity first when that is given:
    /// what was held on the consent is erased and the request closed.
    pub fn withdraw_named_consent(&self, access: &Access, request: &RecordRef, identity: Option<&str>) -> Result<usize, RequestError> {
        self.kernel.unit(|unit| {
            self.verify_if_given(unit, access, request, identity)?;
            let processing = self.state_of(unit, access, request)?.concerns.ok_or(RequestError::NoConsentNamed)?;
            self.withdraw_in(unit, access, request, &processing)
        })
    }

    /// Decided before anything of the request is read, so that a refusal
    /// is the register's; then the identity check, when one is given.
    fn verify_if_given(&self, unit: &mut Unit<'_>, access: &Access, request: &RecordRef, identity: Option<&str>) -> Result<(), RequestError> {
        unit.check_record(access, self.processing, request, Action::Handle)?;
        if let Some(method) = identity.map(str::trim).filter(|m| !m.is_empty()) {
            self.verify(unit, access, request, method)?;
        }
        Ok(())
    }
}

/// The answer to an erasure request: what went, and what stays and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErasureAnswer {
    /// Processing ids whose records were erased.
    pub erased: Vec<String>,
    /// (processing id, why it is kept: basis and term, or a hold).
    pub kept: Vec<(String, String)>,
}

/// What a rectification changed, and who must be told (art. 19).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rectified {
    /// Records changed.
    pub records: usize,
    /// Recipients that received the old value.
    pub notify: Vec<String>,
}

/// A portability archive (art. 20): a zip with JSON and CSV of the data
/// given on consent or for a contract; the rest explained.
#[derive(Debug)]
pub struct Portable {
    /// The archive.
    pub zip: Vec<u8>,
    /// (processing id, why art. 20 does not apply).
    pub not_portable: Vec<(String, String)>,
}

fn basis_and_term(register: &grondslag_register::Register, p: &grondslag_register::Processing) -> String {
    let mut text = format!("{} ({})", p.basis.label_nl(), p.basis.avg_article());
    for article in &p.basis_articles {
        text.push_str("; ");
        text.push_str(article);
    }
    format!("{text}; bewaartermijn: {}", grondslag_register::render::retention_nl(register, &p.retention))
}

fn held(events: &[grondslag_kernel::RecordEvent]) -> bool {
    let facts: Vec<(&str, jiff::Timestamp)> = events.iter().map(|e| (e.event.as_str(), e.at)).collect();
    grondslag_register::due::held(&facts)
}

impl Requests<'_> {
    /// Closes the request with its answer (or a certificate of what was
    /// done): the request's term starts here.
    fn close(&self, unit: &mut Unit<'_>, access: &Access, request: &RecordRef, answer: &str) -> Result<(), RequestError> {
        unit.record_event(access, self.processing, request, Action::Handle, REQUEST_CLOSED, Some("answered"), Some(Detail::to(Category::FreeText, answer)))?;
        Ok(())
    }

    /// Art. 17: consent-based data goes at once; data under a statutory or
    /// public-task term, or under a hold, stays — and the answer names why.
    /// The request's own record stays to account for the answer. A deletion
    /// certificate (what, when; no personal data) is recorded with it.
    pub fn erase(&self, access: &Access, request: &RecordRef) -> Result<ErasureAnswer, RequestError> {
        self.kernel.unit(|unit| {
            let export = self.verified_export(unit, access, request)?;
            let mut answer = ErasureAnswer::default();
            for view in &export.records {
                let Some(id) = self.kernel.register().processing_id(&view.processing) else { continue };
                let p = self.kernel.register().processing(id);
                if id == self.processing {
                    continue;
                }
                let events = export.events.iter().find(|(r, _)| *r == view.record).map(|(_, e)| e.as_slice()).unwrap_or_default();
                let record = RecordRef { subject: request.subject.clone(), record: view.record.clone() };
                if held(events) {
                    answer.kept.push((p.id.clone(), "onder een bewaarplicht voor een lopend onderzoek".to_string()));
                } else if p.basis == grondslag_register::Basis::Consent {
                    unit.rights_erase(access, self.processing, &record, "erasure (AVG art. 17)")?;
                    answer.erased.push(p.id.clone());
                } else {
                    answer.kept.push((p.id.clone(), basis_and_term(self.kernel.register(), p)));
                }
            }
            answer.erased.sort();
            answer.erased.dedup();
            answer.kept.sort();
            answer.kept.dedup();
            let certificate = format!(
                "erasure certificate: erased records of [{}]; kept records of [{}]",
                answer.erased.join(", "),
                answer.kept.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join(", ")
            );
            self.close(unit, access, request, &certificate)?;
            Ok(answer)
        })
    }

    /// Withdrawal of consent for one processing: all its items of the
    /// subject are deleted at once.
    pub fn withdraw_consent(&self, access: &Access, request: &RecordRef, processing: &str) -> Result<usize, RequestError> {
        self.kernel.unit(|unit| self.withdraw_in(unit, access, request, processing))
    }

    fn withdraw_in(&self, unit: &mut Unit<'_>, access: &Access, request: &RecordRef, processing: &str) -> Result<usize, RequestError> {
        let export = self.verified_export(unit, access, request)?;
        let id = self.kernel.processing(processing)?;
        if self.kernel.register().processing(id).basis != grondslag_register::Basis::Consent {
            return Err(RequestError::NotConsent(processing.to_string()));
        }
        let mut erased = 0;
        for view in export.records.iter().filter(|v| v.processing == processing) {
            let record = RecordRef { subject: request.subject.clone(), record: view.record.clone() };
            unit.rights_erase(access, self.processing, &record, "consent withdrawn")?;
            erased += 1;
        }
        self.close(unit, access, request, &format!("consent withdrawn for {processing}: {erased} record(s) erased"))?;
        Ok(erased)
    }

    /// Art. 16: the corrected value replaces the old one in every record that
    /// holds it; recipients that received the old value are listed.
    pub fn rectify(&self, access: &Access, request: &RecordRef, category: Category, old: &str, new: &str) -> Result<Rectified, RequestError> {
        self.kernel.unit(|unit| {
            let export = self.verified_export(unit, access, request)?;
            let mut rectified = Rectified::default();
            for view in &export.records {
                if view.get(category).and_then(Value::as_text) == Some(old) {
                    let record = RecordRef { subject: request.subject.clone(), record: view.record.clone() };
                    unit.rights_rectify(access, self.processing, &record, category, &Value::text(new))?;
                    rectified.records += 1;
                }
            }
            rectified.notify =
                export.disclosures.iter().filter(|d| d.categories.split(", ").any(|c| c == category.name())).map(|d| d.recipient.clone()).collect();
            rectified.notify.sort();
            rectified.notify.dedup();
            self.close(
                unit,
                access,
                request,
                &format!("{category} rectified in {} record(s); recipients to notify: {}", rectified.records, rectified.notify.join(", ")),
            )?;
            Ok(rectified)
        })
    }

    /// Art. 20: data given on consent or for a contract, as JSON and CSV in
    /// one zip; other processings are named with why art. 20 does not apply.
    pub fn portability(&self, access: &Access, request: &RecordRef) -> Result<Portable, RequestError> {
        self.kernel.unit(|unit| {
            let export = self.verified_export(unit, access, request)?;
            let mut not_portable = Vec::new();
            let mut portable: BTreeMap<String, Vec<BTreeMap<&'static str, String>>> = BTreeMap::new();
            for view in &export.records {
                let Some(id) = self.kernel.register().processing_id(&view.processing) else { continue };
                let p = self.kernel.register().processing(id);
                if matches!(p.basis, grondslag_register::Basis::Consent | grondslag_register::Basis::Contract) {
                    let items = view.fields.iter().filter_map(|(c, v)| v.as_text().map(|t| (c.name(), t.to_string()))).collect();
                    portable.entry(p.id.clone()).or_default().push(items);
                } else if id != self.processing && !not_portable.iter().any(|(n, _): &(String, String)| n == &p.id) {
                    not_portable.push((
                        p.id.clone(),
                        format!(
                            "art. 20 geldt alleen bij toestemming of een overeenkomst; deze verwerking rust op: {} ({})",
                            p.basis.label_nl(),
                            p.basis.avg_article()
                        ),
                    ));
                }
            }
            let zip = archive(&portable).map_err(RequestError::Archive)?;
            self.close(unit, access, request, &format!("portability: {} processing(s) exported", portable.len()))?;
            Ok(Portable { zip, not_portable })
        })
    }

    /// Art. 18: restricts the subject (or lifts the restriction): only the
    /// rights process may then use the data; every other use is denied and
    /// audited.
    pub fn restrict(&self, access: &Access, request: &RecordRef, restricted: bool) -> Result<(), RequestError> {
        self.kernel.unit(|unit| {
            self.verified_export(unit, access, request)?;
            unit.restrict(access, self.processing, &request.subject, restricted)?;
            let what = if restricted { "processing restricted" } else { "restriction lifted" };
            self.close(unit, access, request, what)
        })
    }

    /// Art. 21: an objection is recorded and answered; objecting to being
    /// approached (E19) puts the subject's address on the do-not-approach list.
    pub fn object(&self, access: &Access, request: &RecordRef, processing: &str, grounds: &str, outcome: &str) -> Result<(), RequestError> {
        self.kernel.unit(|unit| {
            let export = self.verified_export(unit, access, request)?;
            self.kernel.processing(processing)?;
            unit.record_event(
                access,
                self.processing,
                request,
                Action::Handle,
                "objection_weighed",
                None,
                Some(Detail::to(Category::FreeText, &format!("{processing}: {grounds} — {outcome}"))),
            )?;
            if processing == "benaderen" {
                let address = export
                    .records
                    .iter()
                    .find_map(|v| Some((v.get(Category::Address)?.as_text()?.to_string(), v.get(Category::PostcodeCity)?.as_text()?.to_string())));
                if let Some((address, postcode_city)) = address {
                    let list = self.kernel.processing("niet_benaderen")?;
                    unit.write(access, list, None, None, &[(Category::Address, Value::text(address)), (Category::PostcodeCity, Value::text(postcode_city))])?;
                }
            }
            self.close(unit, access, request, &format!("objection against {processing} answered: {outcome}"))
        })
    }
}

fn archive(portable: &BTreeMap<String, Vec<BTreeMap<&'static str, String>>>) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (processing, records) in portable {
        zip.start_file(format!("{processing}.json"), options).map_err(|e| e.to_string())?;
        zip.write_all(serde_json::to_string_pretty(records).map_err(|e| e.to_string())?.as_bytes()).map_err(|e| e.to_string())?;
        let columns: std::collections::BTreeSet<&str> = records.iter().flat_map(|r| r.keys().copied()).collect();
        let mut csv = csv::Writer::from_writer(Vec::new());
        csv.write_record(&columns).map_err(|e| e.to_string())?;
        for record in records {
            csv.write_record(columns.iter().map(|c| record.get(c).map_or("", String::as_str))).map_err(|e| e.to_string())?;
        }
        zip.start_file(format!("{processing}.csv"), options).map_err(|e| e.to_string())?;
        zip.write_all(&csv.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    }
    Ok(zip.finish().map_err(|e| e.to_string())?.into_inner())
}
