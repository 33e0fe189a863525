//! The contact form (E11): questions, priority requests, feedback, and
//! complaints about the use of personal data.
//!
//! Basis is consent, so a message comes with a link (a token) through which
//! the sender says they are satisfied with the answer, or withdraws consent —
//! which deletes the message at once. A message is kept until the sender is
//! satisfied, or at the latest the register's quiet period after the answer.

use grondslag_kernel::{Access, Detail, Kernel, RecordRef, Value};
use grondslag_register::{Action, Category, CategorySet, ProcessingId};

use crate::{ChannelError, Token};

const PROCESSING: &str = "contactformulier";
const LINK: &str = "contact_link";
/// A message was answered: the quiet period before it goes starts here.
pub const ANSWERED: &str = "answered";
/// The sender said the answer settles it: the message goes.
pub const ANSWERED_AND_SATISFIED: &str = "answered_and_satisfied";

/// What the sender asks for: the purposes the privacy statement names for
/// the contact form (section 11) — a question, priority for a dossier,
/// feedback — and a complaint about the use of personal data, which the
/// statement sends to the privacy team. This is the one list of kinds: the
/// web form and the CLI offer exactly [`Kind::ALL`], so nothing can be
/// offered that the module would have to guess at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A question; answered by the contact centre.
    Question,
    /// A request for priority for a dossier; answered like a question.
    Priority,
    /// Feedback on our work; answered like a question.
    Feedback,
    /// A complaint about the use of personal data: routed to the privacy team.
    Complaint,
}

impl Kind {
    /// Every kind, in the order the form offers them.
    pub const ALL: [Kind; 4] = [Kind::Question, Kind::Priority, Kind::Feedback, Kind::Complaint];

    /// The name a form or command sends, and the message's stored kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Question => "question",
            Kind::Priority => "priority",
            Kind::Feedback => "feedback",
            Kind::Complaint => "complaint",
        }
    }

    /// What the Dutch contact form calls it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Question => "Vraag",
            Kind::Priority => "Prioriteit voor mijn dossier aanvragen",
            Kind::Feedback => "Feedback",
            Kind::Complaint => "Klacht over het gebruik van mijn persoonsgegevens",
        }
    }

    /// The kind by its form name, e.g. `"complaint"`.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The names to choose from, for an error that says what to send
    /// instead: `question, priority, feedback or complaint`.
    pub fn choices() -> String {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => names.join(""),
        }
    }
}

/// A message as the form hands it in.
#[derive(Clone, Debug)]
pub struct Message {
    /// What the message is about; it decides how it is handled.
    pub kind: Kind,
    /// Category and value, as the sender filled them in; optional fields of
    /// the register (address, postcode, case number) may be left out.
    pub fields: Vec<(Category, String)>,
    /// The sender's consent to the use of their data for this message.
    pub consent: bool,
}

/// What the sender gets back: the message, and the link token through which
/// they confirm satisfaction or withdraw.
#[derive(Debug)]
pub struct Received {
    /// The stored message.
    pub message: RecordRef,
    /// Shown once; the store keeps only its digest.
    pub link: Token,
}

/// The sentence every reply to a complaint carries.
pub const SUPERVISOR: &str = "Ben je het niet eens met onze reactie? Je kunt een klacht indienen bij de Autoriteit Persoonsgegevens.";

/// The contact form: questions, feedback and complaints, kept as the register says.
#[derive(Debug)]
pub struct ContactForm<'k> {
    kernel: &'k Kernel,
    processing: ProcessingId,
}

impl<'k> ContactForm<'k> {
    /// The form on the kernel, under the contact processing of its register.
    pub fn new(kernel: &'k Kernel) -> Result<ContactForm<'k>, ChannelError> {
        Ok(ContactForm { kernel, processing: kernel.processing(PROCESSING)? })
    }

    /// Receives a message. Required are the categories the register does not
    /// mark optional; nothing is stored without consent.
    pub fn submit(&self, access: &Access, message: &Message) -> Result<Received, ChannelError> {
        if !message.consent {
            return Err(ChannelError::NoConsent);
        }
        let p = self.kernel.register().processing(self.processing);
        let given: CategorySet = message.fields.iter().map(|(c, _)| *c).collect();
        if let Some(missing) = p.categories.difference(p.optional).difference(given).first() {
            return Err(ChannelError::Missing(missing.name()));
        }
        let fields: Vec<(Category, Value)> = message.fields.iter().map(|(c, v)| (*c, Value::text(v.clone()))).collect();
        self.kernel.unit(|unit| {
            let record = unit.write(access, self.processing, None, None, &fields)?;
            let status = if message.kind == Kind::Complaint { "complaint" } else { "open" };
            unit.record_event(
                access,
                self.processing,
                &record,
                Action::File,
                "received",
                Some(status),
                Some(Detail::to(Category::FreeText, message.kind.name())),
            )?;
            if message.kind == Kind::Complaint {
                unit.record_event(access, self.processing, &record, Action::File, "routed_to_privacy_team", None, None)?;
            }
            let link = Token::generate();
            unit.index_record(access, self.processing, &record, LINK, link.as_str())?;
            Ok(Received { message: record, link })
        })
    }

    /// The message a link belongs to.
    fn by_link(&self, access: &Access, link: &str) -> Result<RecordRef, ChannelError> {
        let link = Token::parse(link).ok_or(ChannelError::InvalidToken)?;
        let found = self.kernel.find_records(access, self.processing, LINK, link.as_str())?;
        found.into_iter().next().map(|s| s.record).ok_or(ChannelError::InvalidToken)
    }

    /// Answers a message; a reply to a complaint names the supervisor.
    pub fn answer(&self, access: &Access, message: &RecordRef, text: &str) -> Result<String, ChannelError> {
        let complaint = self.kernel.events(access, self.processing, message)?.iter().any(|e| e.event == "routed_to_privacy_team");
        let reply = if complaint { format!("{text}\n\n{SUPERVISOR}") } else { text.to_string() };
        self.kernel.record_event(
            access,
            self.processing,
            message,
            Action::Advance,
            ANSWERED,
            Some("answered"),
            Some(Detail::to(Category::FreeText, &reply)),
        )?;
        Ok(reply)
    }

    /// A complaint the privacy team could not settle goes to the FG.
    pub fn escalate(&self, access: &Access, message: &RecordRef) -> Result<(), ChannelError> {
        self.kernel.record_event(access, self.processing, message, Action::Advance, "escalated_to_fg", None, None)?;
        Ok(())
    }

    /// The sender says the answer satisfies them: the message is due now.
    pub fn satisfied(&self, access: &Access, link: &str) -> Result<(), ChannelError> {
        let message = self.by_link(access, link)?;
        self.kernel.record_event(access, self.processing, &message, Action::Advance, ANSWERED_AND_SATISFIED, Some("closed"), None)?;
        Ok(())
    }

    /// The sender withdraws consent: the message is deleted at once.
    pub fn withdraw(&self, access: &Access, link: &str) -> Result<(), ChannelError> {
        let message = self.by_link(access, link)?;
        self.kernel.erase_record(access, self.processing, &message, "consent withdrawn")?;
        Ok(())
    }

    /// Copies the message's text into damage dossier `number`: an explicit,
    /// audited step, after which the copy follows the dossier's term.
    /// `add_note` files the text in the dossier (the schemes' own operation;
    /// passed in so that the channels do not depend on the schemes).
    pub fn copy_to_dossier<E: std::fmt::Display>(
        &self,
        access: &Access,
        message: &RecordRef,
        number: &str,
        add_note: impl FnOnce(&str) -> Result<RecordRef, E>,
    ) -> Result<RecordRef, ChannelError> {
        let text = self
            .kernel
            .read_record(access, self.processing, message, CategorySet::EMPTY.with(Category::FreeText))?
            .and_then(|view| view.get(Category::FreeText).and_then(Value::as_text).map(str::to_string))
            .ok_or(ChannelError::Missing("free_text"))?;
        let copy = add_note(&format!("Uit het contactformulier: {text}")).map_err(|e| ChannelError::Copy(e.to_string()))?;
        self.kernel.record_event(access, self.processing, message, Action::Write, "copied_to_dossier", None, Some(Detail::to(Category::CaseNumber, number)))?;
        Ok(copy)
    }

    /// The contact processing, for reading its records elsewhere.
    pub fn processing(&self) -> ProcessingId {
        self.processing
    }
}
