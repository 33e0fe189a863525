//! Signing in through a broker (DigiD, DigiD Machtigen, eHerkenning): the
//! number from the token's claims finds the person's account, or makes one.
//!
//! An account of a means has no password and no code: the broker proved
//! who signs in. It is found by a record index on the number (a keyed
//! digest: the BSN is never stored in the clear outside its sealed field)
//! and its user name is a random handle (`digid-…`, `eherkenning-…`) that
//! names nobody, so sessions and the audit log hold no BSN. The account
//! record keeps the number sealed, which puts a citizen's BSN in the blind
//! index: their first application joins the same file, and the number the
//! application carries is read from here, never typed.

use grondslag_broker::{Identity, Means};
use grondslag_kernel::{Detail, SubjectId, Value};
use grondslag_register::{Action, Category, CategorySet, Role};
use jiff::Timestamp;

use crate::{ACTIVE, Account, AccountError, Accounts, BY_NAME, Session, Stage, random_code};

/// The processing a DigiD mandate is recorded under (E13's authorisations).
const MANDATES: &str = "machtiging";

/// The record-index kind and the sealed category of a means' number.
fn number_of(means: Means) -> (&'static str, Category) {
    match means {
        Means::Digid | Means::DigidMachtigen => ("digid", Category::Bsn),
        Means::Eherkenning => ("eherkenning", Category::Kvk),
    }
}

/// Whether `name` is the form of a means' handle, which no one may choose
/// (nor sign in with a password under).
pub(crate) fn is_handle(name: &str) -> bool {
    ["digid-", "eherkenning-"].iter().any(|prefix| name.starts_with(prefix))
}

impl Accounts {
    /// Signs in the person the broker vouched for: their account (made at
    /// the first sign-in), a complete session marked with the means, and
    /// for DigiD Machtigen the represented person's file as the session's
    /// mandate, recorded under E13's processing.
    pub fn sign_in_with_broker(&self, means: Means, identity: &Identity, origin: &str, now: Timestamp) -> Result<(String, Session), AccountError> {
        let (own_number, mandate) = match identity {
            Identity::Citizen(bsn) => (bsn.as_str().to_string(), None),
            Identity::Company(kvk) => (kvk.as_str().to_string(), None),
            Identity::Representative { representative, represented, service } => (representative.as_str().to_string(), Some((represented, service))),
        };
        let account = self.broker_account(means, &own_number, origin, now)?;
        let mandate = match mandate {
            Some((represented, service)) => Some(self.record_mandate(&account, represented.as_str(), service.as_deref(), origin, now)?),
            None => None,
        };
        let role = if mandate.is_some() { Role::Representative } else { account.role };
        self.open_session(&Account { role, ..account }, Stage::Complete, Some(means), mandate.map(|s| s.as_str().to_string()), now)
    }

    /// The account of the person with `number` under `means`, made now if
    /// there is none: in the file that already holds the BSN, if one does.
    fn broker_account(&self, means: Means, number: &str, origin: &str, now: Timestamp) -> Result<Account, AccountError> {
        let access = self.system(None, origin, now);
        let (kind, category) = number_of(means);
        let handle = format!("{kind}-{}", random_code(16).to_lowercase());
        let role = Role::Applicant;
        let fields = [(Category::Username, Value::text(handle.clone())), (Category::SystemUser, Value::text(role.name())), (category, Value::text(number))];
        // Looked up in the unit that makes the account: a first sign-in of
        // the same person at the same moment then finds this one's account
        // (and file) rather than making a second. `Err`: the account record
        // found.
        let made = self.kernel.unit(|unit| {
            if let Some(found) = unit.find_records(&access, self.processing, kind, number)?.into_iter().next() {
                return Ok::<_, AccountError>(Err(found.record));
            }
            let subject = match category {
                Category::Bsn => unit.find_by_bsn(&access, self.processing, number)?,
                _ => None,
            };
            let record = unit.write(&access, self.processing, subject.as_ref(), None, &fields)?;
            unit.index_record(&access, self.processing, &record, BY_NAME, &handle)?;
            unit.index_record(&access, self.processing, &record, kind, number)?;
            unit.record_event(&access, self.processing, &record, Action::File, "created", Some(ACTIVE), Some(Detail::staff(means.label())))?;
            Ok(Ok(record))
        })?;
        match made {
            Ok(record) => Ok(Account { username: handle, role, record, must_change_password: false }),
            Err(existing) => {
                let view = self
                    .kernel
                    .read_record(&access, self.processing, &existing, CategorySet::EMPTY.with(Category::Username))?
                    .ok_or(AccountError::Damaged("account record"))?;
                let handle = view.get(Category::Username).and_then(Value::as_text).ok_or(AccountError::Damaged("account handle"))?.to_string();
                self.find(&access, &handle)?.ok_or(AccountError::Damaged("account handle"))
            }
        }
    }

    /// Records that `account` signed in for the person with BSN
    /// `represented` under DigiD Machtigen, in that person's file (made now
    /// if there is none), and returns whose file the session reaches. The
    /// mandate holds for that session only: no relation is stored.
    fn record_mandate(&self, account: &Account, represented: &str, service: Option<&str>, origin: &str, now: Timestamp) -> Result<SubjectId, AccountError> {
        let access = self.system(None, origin, now);
        let mandates = self.kernel.processing(MANDATES)?;
        let fields = [(Category::Bsn, Value::text(represented))];
        let detail = format!("DigiD Machtigen: {} voor {}", account.record.subject, service.unwrap_or("(geen dienst genoemd)"));
        let record = self.kernel.unit(|unit| {
            let subject = unit.find_by_bsn(&access, self.processing, represented)?;
            let record = unit.write(&access, mandates, subject.as_ref(), None, &fields)?;
            // Kept as long as the representative's sign-in data, and gone with it.
            unit.belong_to(&access, mandates, &record, &account.record)?;
            unit.record_event(&access, mandates, &record, Action::File, "digid_machtigen", Some(ACTIVE), Some(Detail::staff(&detail)))?;
            Ok::<_, AccountError>(record)
        })?;
        Ok(record.subject)
    }

    /// The number the session's means vouched for (a BSN or KvK number),
    /// read from the account record: what an application filed in the
    /// session carries, never what was typed. `None` for a password account.
    pub fn vouched_number(&self, session: &Session, origin: &str, now: Timestamp) -> Result<Option<(Category, String)>, AccountError> {
        let Some(means) = session.means else { return Ok(None) };
        let (_, category) = number_of(means);
        let access = self.system(Some(&session.username), origin, now);
        let view = self
            .kernel
            .read_record(&access, self.processing, &session.account()?, CategorySet::EMPTY.with(category))?
            .ok_or(AccountError::Damaged("account record"))?;
        Ok(view.get(category).and_then(Value::as_text).map(|number| (category, number.to_string())))
    }
}

/// The key a parked sign-in is stored under: apart from sessions' keys, so
/// that a parked token used as a session cookie finds nothing, and back.
fn parked_hash(token: &str) -> [u8; 32] {
    crate::token_hash(&format!("parked:{token}"))
}

impl Accounts {
    /// Keeps `body` (a sign-in under way: its state, nonce and PKCE
    /// verifier) in the store for `ttl`, under a fresh token for the
    /// browser's cookie: every node sees it, and the browser holds only the key.
    pub fn park(&self, body: Vec<u8>, ttl: jiff::SignedDuration, now: Timestamp) -> Result<String, AccountError> {
        let token = crate::token();
        // No account: closing one or changing a password never ends it.
        self.kernel
            .put_session(&parked_hash(&token), &grondslag_kernel::SessionRow { account: String::new(), body, expires_at: now + ttl, account_record: None })?;
        Ok(token)
    }

    /// What [`Accounts::park`] kept under `token`, once: taking it removes
    /// it, so an answer from the broker replayed finds nothing.
    pub fn unpark(&self, token: &str, now: Timestamp) -> Result<Option<Vec<u8>>, AccountError> {
        Ok(self.kernel.take_session(&parked_hash(token), now)?.map(|row| row.body))
    }
}
