//! Newsletters (E14): by post (name and address) or by e-mail (name and
//! e-mail), on consent, once a quarter. Every e-mail issue carries a personal
//! unsubscribe link that works once and without login; postal subscribers
//! unsubscribe on the website with their address. Unsubscribing deletes the
//! subscription at once.

use std::fmt::Write as _;

use grondslag_kernel::{Access, Kernel, RecordRef, Value};
use grondslag_register::{Action, Category, CategorySet, ProcessingId};
use grondslag_values::address::AddressKey;

/// Unsubscribing: the term "until unsubscribed" ends, and the subscription
/// is erased at once with this as its reason.
pub const UNSUBSCRIBED: &str = "unsubscribed";

use crate::{ChannelError, Token};

const BY_POST: &str = "nieuwsbrief_post";
const BY_EMAIL: &str = "nieuwsbrief_email";
const UNSUBSCRIBE: &str = "unsubscribe";
const ADDRESS: &str = "address";

/// How a subscriber wants the newsletter.
#[derive(Clone, Debug)]
pub enum Subscription {
    /// On paper, to a postal address.
    Post {
        /// Who it is addressed to.
        name: String,
        /// Street and number.
        address: String,
        /// e.g. "9981 AB Uithuizen".
        postcode_city: String,
    },
    /// By e-mail.
    Email {
        /// Who it is addressed to.
        name: String,
        /// Where it is sent.
        email: String,
    },
}

/// One issue, ready to go out.
#[derive(Debug, Default)]
pub struct Issue {
    /// One message per e-mail subscriber: (recipient, message text).
    pub emails: Vec<(String, String)>,
    /// Address labels for the postal subscribers, as CSV.
    pub labels_csv: String,
}

/// The newsletter, by post and by e-mail: subscriptions and issues.
#[derive(Debug)]
pub struct Newsletter<'k> {
    kernel: &'k Kernel,
    post: ProcessingId,
    email: ProcessingId,
}

/// A cell of the label sheet. A cell a spreadsheet would read as a formula
/// (`=`, `+`, `-`, `@`, a tab or a return first: OWASP's CSV injection)
/// starts with `'`, so a name typed on the website stays text.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// Text for a mail header: on one line whatever was typed, so that a name
/// cannot add a header (`Bcc:`) by a line break.
fn header_text(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A display name as a quoted string (RFC 5322 §3.2.4), on one line.
fn display_name(name: &str) -> String {
    format!("\"{}\"", header_text(name).replace('\\', "\\\\").replace('"', "\\\""))
}

impl<'k> Newsletter<'k> {
    /// The newsletter on the kernel, under its post and e-mail processings.
    pub fn new(kernel: &'k Kernel) -> Result<Newsletter<'k>, ChannelError> {
        Ok(Newsletter { kernel, post: kernel.processing(BY_POST)?, email: kernel.processing(BY_EMAIL)? })
    }

    /// Subscribes, on consent.
    pub fn subscribe(&self, access: &Access, subscription: &Subscription, consent: bool) -> Result<RecordRef, ChannelError> {
        if !consent {
            return Err(ChannelError::NoConsent);
        }
        match subscription {
            Subscription::Post { name, address, postcode_city } => {
                let keys = AddressKey::new(address, postcode_city)?.index_keys();
                let fields =
                    [(Category::Name, Value::text(name)), (Category::Address, Value::text(address)), (Category::PostcodeCity, Value::text(postcode_city))];
                self.kernel.unit(|unit| {
                    let record = unit.write(access, self.post, None, None, &fields)?;
                    unit.record_event(access, self.post, &record, Action::File, "subscribed", Some("active"), None)?;
                    for key in &keys {
                        unit.index_record(access, self.post, &record, ADDRESS, key)?;
                    }
                    Ok(record)
                })
            }
            Subscription::Email { name, email } => {
                let fields = [(Category::Name, Value::text(name)), (Category::Email, Value::text(email))];
                self.kernel.unit(|unit| {
                    let record = unit.write(access, self.email, None, None, &fields)?;
                    unit.record_event(access, self.email, &record, Action::File, "subscribed", Some("active"), None)?;
                    Ok(record)
                })
            }
        }
    }

    /// Unsubscribes through the link of an issue: once, for its own
    /// subscriber only; a forged or used link changes nothing.
    pub fn unsubscribe(&self, access: &Access, token: &str) -> Result<(), ChannelError> {
        let token = Token::parse(token).ok_or(ChannelError::InvalidToken)?;
        let found = self.kernel.find_records(access, self.email, UNSUBSCRIBE, token.as_str())?;
        let subscriber = found.into_iter().next().ok_or(ChannelError::InvalidToken)?;
        self.kernel.erase_record(access, self.email, &subscriber.record, UNSUBSCRIBED)?;
        Ok(())
    }

    /// Unsubscribes a postal subscriber by the address given on the website.
    pub fn unsubscribe_post(&self, access: &Access, address: &str, postcode_city: &str) -> Result<usize, ChannelError> {
        let keys = AddressKey::new(address, postcode_city)?.lookup_keys();
        self.kernel.unit(|unit| {
            let found = unit.find_records_by_any(access, self.post, ADDRESS, &keys.iter().map(String::as_str).collect::<Vec<_>>())?;
            for subscriber in &found {
                unit.erase_record(access, self.post, &subscriber.record, UNSUBSCRIBED)?;
            }
            Ok(found.len())
        })
    }

    /// Produces an issue: a message per e-mail subscriber with a fresh
    /// personal unsubscribe link, and the postal labels.
    pub fn produce(&self, access: &Access, title: &str, body: &str, unsubscribe_base: &str) -> Result<Issue, ChannelError> {
        let mut issue = Issue { labels_csv: "name,address,postcode_city\n".to_string(), ..Issue::default() };
        let wanted = CategorySet::of(&[Category::Name, Category::Email, Category::Address, Category::PostcodeCity]);
        for subscriber in self.kernel.list_all(access, self.email, None)? {
            let Some(view) = self.kernel.read_record(access, self.email, &subscriber.record, wanted)? else { continue };
            let (name, email) = (text(&view, Category::Name), text(&view, Category::Email));
            let token = Token::generate();
            self.kernel.index_record(access, self.email, &subscriber.record, UNSUBSCRIBE, token.as_str())?;
            let message = format!(
                "To: {} <{email}>\nSubject: {}\nContent-Type: text/plain; charset=utf-8\n\nBeste {name},\n\n{body}\n\nAfmelden: {unsubscribe_base}?token={token}\n",
                display_name(&name),
                header_text(title),
            );
            issue.emails.push((email, message));
        }
        for subscriber in self.kernel.list_all(access, self.post, None)? {
            let Some(view) = self.kernel.read_record(access, self.post, &subscriber.record, wanted)? else { continue };
            let _ = writeln!(
                issue.labels_csv,
                "{},{},{}",
                csv_field(&text(&view, Category::Name)),
                csv_field(&text(&view, Category::Address)),
                csv_field(&text(&view, Category::PostcodeCity))
            );
        }
        Ok(issue)
    }
}

fn text(view: &grondslag_kernel::RecordView, category: Category) -> String {
    view.get(category).and_then(Value::as_text).unwrap_or_default().to_string()
}
