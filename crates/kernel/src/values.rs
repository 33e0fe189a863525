//! Values as they enter the kernel: validated and normalised per category
//! before anything is stored, so a malformed BSN or IBAN is refused with the
//! field and the reason, and passwords never reach the store in the clear.

use std::fmt;

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use grondslag_register::{Category, Sensitivity};
use grondslag_values::{Bsn, Date, Email, Iban, InvalidValue, Kvk, PhoneNumber, Postcode, ValueKind};

use crate::KernelError;

/// A value to store: text, or bytes for large objects (photos, recordings),
/// which go to the blob store.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// Text, sealed in the store row.
    Text(String),
    /// Bytes, sealed in the blob store.
    Bytes(Vec<u8>),
}

impl Value {
    /// A text value.
    pub fn text(text: impl Into<String>) -> Value {
        Value::Text(text.into())
    }

    /// The text, if this is a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            Value::Bytes(_) => None,
        }
    }
}

impl fmt::Debug for Value {
    /// Never prints the value: debug output can end up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(text) => write!(f, "Text({} chars)", text.chars().count()),
            Value::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
        }
    }
}

pub(crate) enum Prepared {
    Inline(String),
    Blob(std::sync::Arc<crate::sealing::Staged>),
}

fn invalid(category: Category) -> impl FnOnce(InvalidValue) -> KernelError {
    move |source| KernelError::Invalid { category, source }
}

/// Validates, normalises and (for passwords) hashes one text value.
pub(crate) fn prepare(category: Category, text: &str) -> Result<String, KernelError> {
    let text = match text {
        // A password is hashed exactly as the policy checked it and as it
        // will be typed: trimmed, "a" and eleven spaces would become "a".
        text if category.sensitivity() == Sensitivity::HashOnly => return hash_password(text),
        text => text.trim(),
    };
    let normalised = match category {
        Category::Bsn => Bsn::parse(text).map_err(invalid(category))?.as_str().to_string(),
        Category::BankAccount => Iban::parse(text).map_err(invalid(category))?.as_str().to_string(),
        Category::Email => Email::parse(text).map_err(invalid(category))?.as_str().to_string(),
        Category::Phone => PhoneNumber::parse(text).map_err(invalid(category))?.as_str().to_string(),
        Category::Kvk => Kvk::parse(text).map_err(invalid(category))?.as_str().to_string(),
        Category::BirthDate => Date::parse(text).map_err(invalid(category))?.to_string(),
        Category::PostcodeCity => postcode_city(text).map_err(invalid(category))?,
        _ => text.to_string(),
    };
    Ok(normalised)
}

/// "9726 AD Groningen" or "9726AD Groningen": a valid postcode, then a place.
fn postcode_city(text: &str) -> Result<String, InvalidValue> {
    let compact_len = text.char_indices().nth(6).map_or(text.len(), |(i, _)| i);
    let spaced_len = text.char_indices().nth(7).map_or(text.len(), |(i, _)| i);
    let (postcode, city) = Postcode::parse(&text[..spaced_len])
        .map(|p| (p, &text[spaced_len..]))
        .or_else(|_| Postcode::parse(&text[..compact_len]).map(|p| (p, &text[compact_len..])))?;
    let city = city.trim();
    if city.is_empty() {
        return Err(InvalidValue::new(
            ValueKind::PostcodeCity,
            format!("'{text}' has a postcode but no place; write e.g. '9726 AD Groningen'"),
            format!("bij '{text}' staat wel een postcode maar geen plaats. Schrijf de plaats achter de postcode, bijvoorbeeld '9726 AD Groningen'."),
        ));
    }
    Ok(format!("{} {city}", postcode.as_str()))
}

/// An argon2id hash of `password`, as the kernel stores `password` categories.
pub fn hash_password(password: &str) -> Result<String, KernelError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string()).map_err(|e| KernelError::PasswordHash(e.to_string()))
}

/// Whether `password` matches a hash the kernel stored for a `password`
/// category. A malformed hash matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}
