//! Passkeys (WebAuthn, through `webauthn-rs`): a second factor staff can
//! choose instead of the code from their authenticator app.
//!
//! A passkey is sign-in data like the authenticator key: each is a record
//! of the account holder's subject under `inlogaccounts`, category
//! `second_factor` (the credential as `webauthn-rs` serialises it, with the
//! name its holder gave it), linked to the account record with
//! `belong_to` so that it goes with the account, and found by a record
//! index on the account record. Every read and write is the kernel's, and
//! audited. The counter and backup state are written back at each use.
//!
//! A ceremony (options, then the browser's answer) keeps its state on the
//! server, in the session's stored body, never in the browser; it is used
//! once, and taken out of the session before it is checked. Passkeys are
//! offered only when the service knows the origin browsers reach it at and
//! that origin has a domain name (WebAuthn refuses an IP address as the
//! relying party's id).

use base64::Engine;
use grondslag_kernel::{Access, RecordRef, Value};
use grondslag_register::{Action, Category, CategorySet, Role};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{Passkey, PasskeyAuthentication, PasskeyRegistration, Url, Uuid, Webauthn, WebauthnBuilder};

pub use webauthn_rs::prelude::{CreationChallengeResponse, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse};

use crate::{Account, AccountError, Accounts, Session, Stage};

/// The record-index kind under which an account's passkeys are found (by
/// the account record).
const BY_ACCOUNT: &str = "passkey_of";
/// The record-index kind under which a passkey is found by its credential
/// id, so that one credential is never registered twice.
const BY_CREDENTIAL: &str = "passkey_credential";
/// The event on the account record when a passkey is added or removed.
const ADDED: &str = "passkey_added";
const REMOVED: &str = "passkey_removed";
/// The event of a sign-in completed with a passkey.
const SIGNED_IN_WITH_PASSKEY: &str = "signed_in_with_passkey";
/// A ceremony not finished within this time is void.
const CEREMONY: SignedDuration = SignedDuration::from_mins(5);
/// The longest name a passkey may be given.
const NAME_MAX: usize = 60;

/// The relying party: who the passkeys are for.
pub(crate) fn relying_party(origin: &str, name: &str) -> Option<Webauthn> {
    let url = Url::parse(origin).ok()?;
    // `domain()` is `None` for an IP address, which WebAuthn refuses.
    let domain = url.domain()?.to_string();
    WebauthnBuilder::new(&domain, &url).ok()?.rp_name(name).build().ok()
}

/// A passkey as its holder sees it in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasskeyInfo {
    /// Which one (its record), for removing it.
    pub id: String,
    /// The name its holder gave it.
    pub name: String,
    /// When it was added.
    pub added: Timestamp,
    /// When it was last used to sign in.
    pub last_used: Option<Timestamp>,
}

/// What a passkey record holds (category `second_factor`).
#[derive(Serialize, Deserialize)]
struct Stored {
    name: String,
    added: Timestamp,
    last_used: Option<Timestamp>,
    passkey: Passkey,
}

/// The state between the two steps of a ceremony, kept in the session.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Ceremony {
    Enrol { started: Timestamp, state: PasskeyRegistration },
    SignIn { started: Timestamp, state: PasskeyAuthentication },
}

fn credential_key(passkey: &Passkey) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode::<&[u8]>(passkey.cred_id().as_ref())
}

/// A stable, pseudonymous WebAuthn user handle for the account.
fn user_handle(account: &Account) -> Uuid {
    let digest = Sha256::digest(account.record.to_string().as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

impl Accounts {
    /// Offers passkeys to browsers reaching the service at `origin` (e.g.
    /// `https://register.example.nl`). Without an origin, or with one that is
    /// an IP address, passkeys are not offered.
    pub fn with_passkeys_at(mut self, origin: Option<&str>) -> Accounts {
        self.webauthn = origin.and_then(|origin| relying_party(origin.trim_end_matches('/'), &self.issuer));
        self
    }

    /// Whether passkeys are offered at all (see [`Accounts::with_passkeys_at`]).
    pub fn passkeys_offered(&self) -> bool {
        self.webauthn.is_some()
    }

    fn relying(&self) -> Result<&Webauthn, AccountError> {
        self.webauthn.as_ref().ok_or(AccountError::PasskeysUnavailable)
    }

    /// The session's account, if it may have passkeys: staff only.
    fn staff_account(&self, session: &Session, origin: &str, now: Timestamp) -> Result<Account, AccountError> {
        let account = self.account_of(session, origin, now)?;
        if account.role.acts_for_a_person() {
            return Err(AccountError::PasskeyStaffOnly(account.role));
        }
        Ok(account)
    }

    fn stored_passkeys(&self, access: &Access, account: &Account) -> Result<Vec<(RecordRef, Stored)>, AccountError> {
        let mut found = Vec::new();
        for summary in self.kernel.find_records(access, self.processing, BY_ACCOUNT, &account.record.to_string())? {
            // Only the account holder's own file: an index hit elsewhere is not theirs.
            if summary.record.subject != account.record.subject {
                continue;
            }
            let view = self
                .kernel
                .read_record(access, self.processing, &summary.record, CategorySet::EMPTY.with(Category::SecondFactor))?
                .ok_or(AccountError::Damaged("passkey record"))?;
            let text = view.get(Category::SecondFactor).and_then(Value::as_text).ok_or(AccountError::Damaged("passkey"))?;
            let stored: Stored = serde_json::from_str(text).map_err(|_| AccountError::Damaged("passkey"))?;
            found.push((summary.record, stored));
        }
        Ok(found)
    }

    /// The session's passkeys, oldest first. Staff only.
    pub fn passkeys(&self, session: &Session, origin: &str, now: Timestamp) -> Result<Vec<PasskeyInfo>, AccountError> {
        let account = self.staff_account(session, origin, now)?;
        let access = self.system(Some(&account.username), origin, now);
        let mut list: Vec<PasskeyInfo> = self
            .stored_passkeys(&access, &account)?
            .into_iter()
            .map(|(record, stored)| PasskeyInfo { id: record.record.to_string(), name: stored.name, added: stored.added, last_used: stored.last_used })
            .collect();
        list.sort_by_key(|p| p.added);
        Ok(list)
    }

    /// Whether the second step of this session can be a passkey: they are
    /// offered, the account is staff's and has one.
    pub fn can_use_passkey(&self, session: &Session, origin: &str, now: Timestamp) -> Result<bool, AccountError> {
        if self.webauthn.is_none() || Role::from_name(&session.role).is_none_or(|role| role.acts_for_a_person()) {
            return Ok(false);
        }
        let account = self.account_of(session, origin, now)?;
        let access = self.system(Some(&account.username), origin, now);
        Ok(!self.stored_passkeys(&access, &account)?.is_empty())
    }

    fn put_ceremony(&self, token: &str, session: &Session, ceremony: &Ceremony) -> Result<(), AccountError> {
        let text = serde_json::to_string(ceremony).map_err(|_| AccountError::Damaged("passkey ceremony"))?;
        self.store(token, &Session { ceremony: Some(text), ..session.clone() })
    }

    /// Takes the ceremony out of the stored session (it is used once),
    /// if it is still in time.
    fn take_ceremony(&self, token: &str, now: Timestamp) -> Result<Option<Ceremony>, AccountError> {
        let Some(row) = self.kernel.session(&crate::token_hash(token), now)? else { return Ok(None) };
        let mut stored: Session = serde_json::from_slice(&row.body).map_err(|_| AccountError::Damaged("session"))?;
        let Some(text) = stored.ceremony.take() else { return Ok(None) };
        self.store(token, &stored)?;
        let ceremony: Ceremony = serde_json::from_str(&text).map_err(|_| AccountError::Damaged("passkey ceremony"))?;
        let started = match &ceremony {
            Ceremony::Enrol { started, .. } | Ceremony::SignIn { started, .. } => *started,
        };
        Ok((started + CEREMONY > now).then_some(ceremony))
    }

    /// Step one of adding a passkey: the options for the browser's
    /// `navigator.credentials.create`. Staff only, in a complete session.
    pub fn start_passkey_enrolment(&self, token: &str, session: &Session, origin: &str, now: Timestamp) -> Result<CreationChallengeResponse, AccountError> {
        let account = self.staff_account(session, origin, now)?;
        let webauthn = self.relying()?;
        let access = self.system(Some(&account.username), origin, now);
        let exclude = self.stored_passkeys(&access, &account)?.into_iter().map(|(_, stored)| stored.passkey.cred_id().clone()).collect();
        let (options, state) = webauthn
            .start_passkey_registration(user_handle(&account), &account.username, &account.username, Some(exclude))
            .map_err(|e| AccountError::Passkey(e.to_string()))?;
        self.put_ceremony(token, session, &Ceremony::Enrol { started: now, state })?;
        Ok(options)
    }

    /// Step two of adding a passkey: the browser's answer, checked against
    /// the ceremony kept in the session (which it uses up), and stored
    /// under `name`.
    pub fn finish_passkey_enrolment(
        &self,
        token: &str,
        session: &Session,
        name: &str,
        credential: &RegisterPublicKeyCredential,
        origin: &str,
        now: Timestamp,
    ) -> Result<PasskeyInfo, AccountError> {
        let account = self.staff_account(session, origin, now)?;
        let webauthn = self.relying()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
            return Err(AccountError::InvalidPasskeyName);
        }
        let Some(Ceremony::Enrol { state, .. }) = self.take_ceremony(token, now)? else {
            return Err(AccountError::PasskeyNotStarted);
        };
        let passkey = webauthn.finish_passkey_registration(credential, &state).map_err(|e| AccountError::PasskeyRefused(e.to_string()))?;
        let access = self.system(Some(&account.username), origin, now);
        let key = credential_key(&passkey);
        let stored = Stored { name: name.to_string(), added: now, last_used: None, passkey };
        let text = serde_json::to_string(&stored).map_err(|_| AccountError::Damaged("passkey"))?;
        let fields = [(Category::SecondFactor, Value::text(text))];
        let record = self.kernel.unit(|unit| {
            // In the unit that registers it, so that the same credential
            // sent twice at once is registered once.
            if !unit.find_records(&access, self.processing, BY_CREDENTIAL, &key)?.is_empty() {
                return Err(AccountError::PasskeyRefused("this credential is registered already".to_string()));
            }
            let record = unit.write(&access, self.processing, Some(&account.record.subject), None, &fields)?;
            unit.belong_to(&access, self.processing, &record, &account.record)?;
            unit.index_record(&access, self.processing, &record, BY_ACCOUNT, &account.record.to_string())?;
            unit.index_record(&access, self.processing, &record, BY_CREDENTIAL, &key)?;
            unit.record_event(&access, self.processing, &account.record, Action::Write, ADDED, None, None)?;
            Ok::<_, AccountError>(record)
        })?;
        Ok(PasskeyInfo { id: record.record.to_string(), name: stored.name, added: now, last_used: None })
    }

    /// Removes one of the session's passkeys (`id` as [`PasskeyInfo::id`]).
    pub fn remove_passkey(&self, session: &Session, id: &str, origin: &str, now: Timestamp) -> Result<(), AccountError> {
        let account = self.staff_account(session, origin, now)?;
        let access = self.system(Some(&account.username), origin, now);
        let (record, _) =
            self.stored_passkeys(&access, &account)?.into_iter().find(|(record, _)| record.record.to_string() == id).ok_or(AccountError::UnknownPasskey)?;
        self.kernel.unit(|unit| {
            unit.erase_record(&access, self.processing, &record, "passkey removed by its holder")?;
            unit.record_event(&access, self.processing, &account.record, Action::Write, REMOVED, None, None)
        })?;
        Ok(())
    }

    /// Step two of signing in, with a passkey, part one: the options for
    /// the browser's `navigator.credentials.get`, naming this account's
    /// passkeys only. The session must be waiting for its second factor.
    pub fn start_passkey_sign_in(&self, token: &str, session: &Session, origin: &str, now: Timestamp) -> Result<RequestChallengeResponse, AccountError> {
        if session.stage != Stage::SecondFactor {
            return Err(AccountError::PasskeyNotStarted);
        }
        let account = self.staff_account(session, origin, now)?;
        let webauthn = self.relying()?;
        let access = self.system(Some(&account.username), origin, now);
        let passkeys: Vec<Passkey> = self.stored_passkeys(&access, &account)?.into_iter().map(|(_, stored)| stored.passkey).collect();
        if passkeys.is_empty() {
            return Err(AccountError::NoPasskey);
        }
        let (options, state) = webauthn.start_passkey_authentication(&passkeys).map_err(|e| AccountError::Passkey(e.to_string()))?;
        self.put_ceremony(token, session, &Ceremony::SignIn { started: now, state })?;
        Ok(options)
    }

    /// Step two of signing in, with a passkey, part two: the browser's
    /// assertion, checked against the ceremony kept in the session (used up
    /// whatever the outcome). Right, it completes the session as a right
    /// code does, under a fresh token; wrong, it counts as a failure
    /// towards the same lock.
    pub fn sign_in_with_passkey(
        &self,
        token: &str,
        session: &Session,
        credential: &PublicKeyCredential,
        origin: &str,
        now: Timestamp,
    ) -> Result<(String, Session), AccountError> {
        if session.stage != Stage::SecondFactor {
            return Err(AccountError::PasskeyNotStarted);
        }
        let account = self.account_of(session, origin, now)?;
        self.attempt(&account.username, now, AccountError::WrongPasskey, crate::throttle::Settle::Clear, || {
            let ceremony = self.take_ceremony(token, now)?;
            Ok(self.check_assertion(&account, ceremony, credential, origin, now)?.then_some(()))
        })?;
        self.advance(token, session, account.stage_after_second_factor(), now)
    }

    fn check_assertion(
        &self,
        account: &Account,
        ceremony: Option<Ceremony>,
        credential: &PublicKeyCredential,
        origin: &str,
        now: Timestamp,
    ) -> Result<bool, AccountError> {
        let (Some(Ceremony::SignIn { state, .. }), Some(webauthn)) = (ceremony, self.webauthn.as_ref()) else {
            return Ok(false);
        };
        if account.role.acts_for_a_person() {
            return Ok(false);
        }
        // The ceremony allowed this account's passkeys only: another's is refused here.
        let Ok(result) = webauthn.finish_passkey_authentication(credential, &state) else {
            return Ok(false);
        };
        let access = self.system(Some(&account.username), origin, now);
        let Some((record, mut stored)) = self.stored_passkeys(&access, account)?.into_iter().find(|(_, stored)| stored.passkey.cred_id() == result.cred_id())
        else {
            return Ok(false);
        };
        // The counter and backup state, as this use left them.
        stored.passkey.update_credential(&result);
        stored.last_used = Some(now);
        let text = serde_json::to_string(&stored).map_err(|_| AccountError::Damaged("passkey"))?;
        let fields = [(Category::SecondFactor, Value::text(text))];
        self.kernel.unit(|unit| {
            unit.write(&access, self.processing, Some(&record.subject), Some(&record.record), &fields)?;
            unit.record_event(&access, self.processing, &account.record, Action::Write, SIGNED_IN_WITH_PASSKEY, None, None)
        })?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::relying_party;

    // req: E17
    #[test]
    fn passkeys_need_an_origin_with_a_domain_name() {
        assert!(relying_party("https://register.example.nl", "IMG").is_some());
        assert!(relying_party("http://localhost:8080", "IMG").is_some(), "a browser treats localhost as secure");
        assert!(relying_party("http://127.0.0.1:8080", "IMG").is_none(), "WebAuthn refuses an IP address as the relying party");
        assert!(relying_party("http://[::1]:8080", "IMG").is_none());
        assert!(relying_party("not an origin", "IMG").is_none());
    }
}
