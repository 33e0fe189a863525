//! The institute's channels outside the case file (E11, E12, E14, E16, E18).
//!
//! They rest on consent or legitimate interest and keep data briefly or
//! until an event, so each record here carries the dated facts its term is
//! computed from (received, answered, satisfied, recorded, holds), and each
//! way out — withdrawing consent, unsubscribing — deletes at once, through
//! the kernel like everything else.

#![warn(missing_docs)]

pub mod contact;
pub mod forum;
pub mod media;
pub mod newsletter;
mod token;

use grondslag_kernel::{Access, Kernel, KernelError, RecordRef};
use grondslag_register::due::Due;
use grondslag_register::{Category, ProcessingId, Register};

pub use token::Token;

/// The events this module records (or, for unsubscribing, carries out at
/// once) that a retention term can count from (`grondslag register check`
/// refuses a term counting from any other).
pub const EVENTS: &[&str] = &[grondslag_register::due::RECORDED, contact::ANSWERED, contact::ANSWERED_AND_SATISFIED, newsletter::UNSUBSCRIBED];

/// Why a channel action was refused or failed.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum ChannelError {
    #[error("consent is required: the sender must agree to the use of their data for this purpose")]
    NoConsent,
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("this link is not valid (any more): it was used already, or never issued")]
    InvalidToken,
    #[error("{what} of {size} bytes is larger than the {limit} bytes allowed")]
    TooLarge { what: &'static str, size: usize, limit: usize },
    #[error("media type `{found}` is not accepted for {what}; use one of: {accepted}")]
    MediaType { what: &'static str, found: String, accepted: String },
    #[error(transparent)]
    Invalid(#[from] grondslag_values::InvalidValue),
    #[error("the user name `{0}` is taken; choose another")]
    Taken(String),
    #[error("user name or password is wrong")]
    WrongPassword,
    #[error("copying into the dossier failed: {0}")]
    Copy(String),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

impl ChannelError {
    /// The refusal as a page says it, in plain Dutch: what is wrong and
    /// what to do.
    pub fn explain_nl(&self, register: &Register) -> String {
        match self {
            ChannelError::NoConsent => {
                "Je hebt geen toestemming gegeven. Zonder je toestemming mogen we je gegevens hiervoor niet gebruiken; vink het vakje aan als je akkoord bent."
                    .to_string()
            }
            ChannelError::Missing(name) => match Category::from_name(name) {
                Some(category) => format!("‘{}’ is niet ingevuld. Vul het in en verstuur het opnieuw.", category.label_nl()),
                // Not one of the register's categories: a step's own field.
                None => "Niet alles wat nodig is, is ingevuld. Vul alle velden in en verstuur het opnieuw.".to_string(),
            },
            ChannelError::InvalidToken => "Deze link werkt niet (meer): hij is al gebruikt, of hij is nooit door ons verstuurd.".to_string(),
            ChannelError::TooLarge { size, limit, .. } => {
                format!("Het bestand is te groot: {size} bytes, en er mag hoogstens {limit} bytes. Maak het kleiner en probeer het opnieuw.")
            }
            ChannelError::MediaType { found, accepted, .. } => {
                format!("Dit soort bestand ({found}) nemen we hier niet aan. Gebruik een van deze soorten: {accepted}.")
            }
            ChannelError::Invalid(value) => value.explain_nl(),
            ChannelError::Taken(name) => format!("De gebruikersnaam ‘{name}’ is al in gebruik. Kies een andere."),
            ChannelError::WrongPassword => "De gebruikersnaam of het wachtwoord klopt niet.".to_string(),
            ChannelError::Copy(_) => grondslag_kernel::FAULT_NL.to_string(),
            ChannelError::Kernel(kernel) => kernel.explain_nl(register),
        }
    }
}

/// When a record of `processing` is due for deletion, from its events.
pub fn due(kernel: &Kernel, access: &Access, processing: ProcessingId, record: &RecordRef) -> Result<Due, ChannelError> {
    let events = kernel.events(access, processing, record)?;
    let facts: Vec<(&str, jiff::Timestamp)> = events.iter().map(|e| (e.event.as_str(), e.at)).collect();
    Ok(kernel.register().processing(processing).retention.due(&facts))
}
