//! Accounts and signing in, for applicants and staff.
//!
//! An account is personal data like any other, so it lives in the kernel
//! under the register's `inlogaccounts` processing: the user name (found by
//! a keyed digest, never stored in the clear outside the record), the
//! password as an argon2id hash, the authenticator key of the second factor
//! (TOTP, RFC 6238) sealed under the person's key, hashed recovery codes,
//! and the role the account acts in. An applicant's account belongs to the
//! same data subject as their applications, so "my data" is one subject.
//!
//! Signing in is two steps, password then code (or, for staff who added
//! one, a passkey: see the `passkeys` module), and both count towards one
//! throttle per user name: after [`Policy::max_failures`] failures in a row
//! the name is locked for [`Policy::lock`], whether or not an account
//! exists — so the lock reveals nothing about who has one. Sessions are
//! stored by the hash of a random token that only the browser holds, expire
//! after a quiet period and at the latest after a working day, and carry
//! their own CSRF token. The policy for passwords is NIST SP 800-63B's:
//! long, not common, no composition rules.

#![warn(missing_docs)]

mod broker;
mod passkeys;
mod throttle;

pub use passkeys::{CreationChallengeResponse, PasskeyInfo, PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse};

use base64::Engine;
use grondslag_kernel::{Access, Detail, Kernel, KernelError, RecordRef, SessionRow, SubjectId, Value};
use grondslag_register::{Action, Category, CategorySet, ProcessingId, Role, Scope};
use grondslag_values::InvalidValue;
use jiff::{SignedDuration, Timestamp};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

/// The register's processing for accounts.
pub const PROCESSING: &str = "inlogaccounts";

/// The record-index kind under which accounts are found by user name.
const BY_NAME: &str = "username";

/// Account statuses (the account record's status).
const ACTIVE: &str = "active";
const MUST_CHANGE_PASSWORD: &str = "password_change_required";
const CLOSED: &str = "closed";
/// An account was closed: the term for its sign-in data starts here.
pub const ACCOUNT_CLOSED: &str = "account_closed";
/// The events this module records that a retention term can count from
/// (`grondslag register check` refuses a term counting from any other).
pub const EVENTS: &[&str] = &[ACCOUNT_CLOSED];

/// The event of a completed sign-in; its detail is the TOTP time step used,
/// so a code cannot be replayed.
const SIGNED_IN: &str = "signed_in";

const RECOVERY_CODES: usize = 10;

/// The names the system's own processes act under where no person does.
/// They are kept here, beside the accounts, because together the two are
/// everyone the audit log may name as an actor: the command line's `--as`
/// accepts an account or one of these, and no account may take one.
pub mod system_actor {
    /// Someone at the command line who names no account (`--as` left out).
    pub const COMMAND_LINE: &str = "cli";
    /// The retention sweep run from the command line.
    pub const RETENTION: &str = "retention";
    /// The retention sweep the running service starts itself.
    pub const SERVICE_RETENTION: &str = "retention-sweep";
    /// The website, acting for an anonymous visitor.
    pub const WEBSITE: &str = "website";
    /// `grondslag init`, creating the first administrator.
    pub const INIT: &str = "grondslag init";
    /// Looking up a name nobody has proved yet is theirs (signing in,
    /// `--as`): what was typed may be a person's name, or a password in the
    /// wrong field, and does not belong in the permanent log.
    pub const SIGN_IN: &str = "sign-in";
    /// Copying an employee's calls into an investigation once both managers
    /// decided on weighty reasons (K10): the system does it, not either manager.
    pub const WEIGHTY_REASONS: &str = "kcc-weighty-reasons";
    /// Adding a vote to an election's ballot box (I6): the system, never the
    /// voter, so that nothing about the box names who voted.
    pub const BALLOT_BOX: &str = "or-stembus";
    /// Adding an anonymous answer to a survey (I2): the system, never the
    /// respondent, so that nothing about the answers names who gave them.
    pub const SURVEY: &str = "mto-antwoorden";
    /// Every one of them.
    pub const ALL: [&str; 9] = [COMMAND_LINE, RETENTION, SERVICE_RETENTION, WEBSITE, INIT, SIGN_IN, WEIGHTY_REASONS, BALLOT_BOX, SURVEY];

    /// Whether `name` is one of them.
    pub fn is_known(name: &str) -> bool {
        ALL.contains(&name)
    }
}

/// How long sessions last and how hard guessing is made.
#[derive(Clone, Debug)]
pub struct Policy {
    /// A session unused this long expires.
    pub idle: SignedDuration,
    /// A session expires this long after sign-in, used or not.
    pub absolute: SignedDuration,
    /// Failed attempts in a row that lock a user name.
    pub max_failures: u32,
    /// How long the lock holds after the last failure.
    pub lock: SignedDuration,
    /// Password checks that may run at once (argon2id takes 19 MiB each);
    /// more wait their turn.
    pub password_checks: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            idle: SignedDuration::from_mins(30),
            absolute: SignedDuration::from_hours(12),
            max_failures: 5,
            lock: SignedDuration::from_mins(15),
            // One per core keeps the cores busy; more would only queue in memory.
            password_checks: std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        }
    }
}

/// Why an account action was refused or failed.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum AccountError {
    #[error("user name `{0}` cannot be used: use 3 to 64 lowercase letters, digits, dots, hyphens or underscores")]
    InvalidUsername(String),
    #[error("user name `{0}` is taken; choose another")]
    UsernameTaken(String),
    #[error("user name `{0}` is a name the system itself acts under in the audit log; choose another")]
    ReservedUsername(String),
    #[error("no account may act as `{}`: that role is the system's own (or anyone's, for `public`); choose a role of a person", .0.name())]
    RoleNotForAccount(Role),
    #[error("the new {0}")]
    WeakPassword(InvalidValue),
    #[error("this account signs in with DigiD or eHerkenning and has no password here")]
    NoPassword,
    #[error("the user name or the password is wrong")]
    WrongCredentials,
    #[error("the code is wrong or has expired; type the code your authenticator app shows now, or a recovery code")]
    WrongCode,
    #[error("too many failed attempts: signing in with this name is locked until {until}; try again then")]
    Locked { until: Timestamp },
    #[error("too many sign-ins are being checked at this moment; try again in a minute")]
    Busy,
    #[error("this account is closed; ask the IMG to reopen it")]
    Closed,
    #[error("no account `{0}`")]
    UnknownAccount(String),
    #[error("the account record is damaged: {0}")]
    Damaged(&'static str),
    #[error("the authenticator key could not be made: {0}")]
    Totp(String),
    #[error("passkeys are for staff; a {0} signs in with DigiD")]
    PasskeyStaffOnly(Role),
    #[error("passkeys are not offered here: the service needs --public-origin with a domain name (not an IP address)")]
    PasskeysUnavailable,
    #[error("the passkey was not accepted; sign in with it again, or type the code from your authenticator app")]
    WrongPasskey,
    #[error("this account has no passkey; type the code from your authenticator app")]
    NoPasskey,
    #[error("no passkey ceremony is in progress in this session, or it expired; start again")]
    PasskeyNotStarted,
    #[error("the new passkey was not accepted: {0}")]
    PasskeyRefused(String),
    #[error("give the passkey a name of 1 to 60 characters")]
    InvalidPasskeyName,
    #[error("no such passkey of yours")]
    UnknownPasskey,
    #[error("the passkey ceremony could not be started: {0}")]
    Passkey(String),
    #[error(transparent)]
    Kernel(#[from] KernelError),
}

impl AccountError {
    /// The refusal as a page says it, in plain Dutch: what is wrong and
    /// what to do. A refused sign-in does not say whether the name or the
    /// password was wrong.
    pub fn explain_nl(&self, register: &grondslag_register::Register) -> String {
        match self {
            AccountError::InvalidUsername(name) => {
                format!("De gebruikersnaam ‘{name}’ kan niet. Gebruik 3 tot 64 kleine letters, cijfers, punten, streepjes of liggende streepjes.")
            }
            AccountError::UsernameTaken(name) => format!("De gebruikersnaam ‘{name}’ is al in gebruik. Kies een andere."),
            AccountError::ReservedUsername(name) => {
                format!("De gebruikersnaam ‘{name}’ is gereserveerd: het systeem zelf werkt onder die naam. Kies een andere.")
            }
            AccountError::RoleNotForAccount(role) => {
                format!("Een account kan niet werken in de rol ‘{}’: die rol is van het systeem zelf. Kies de rol van een persoon.", role.name())
            }
            AccountError::WeakPassword(value) => value.explain_nl(),
            AccountError::NoPassword => "Je logt in met DigiD of eHerkenning; een wachtwoord heb je bij ons niet nodig.".to_string(),
            AccountError::WrongCredentials => "De gebruikersnaam of het wachtwoord klopt niet.".to_string(),
            AccountError::WrongCode => "De code klopt niet of is verlopen. Typ de code die je app nu toont, of een herstelcode.".to_string(),
            AccountError::Locked { until } => {
                format!("Te veel mislukte pogingen. Inloggen met deze naam kan weer vanaf {}.", grondslag_values::dutch::moment(*until))
            }
            AccountError::Busy => "Er wordt nu veel ingelogd. Probeer het over een minuut opnieuw.".to_string(),
            AccountError::Closed => "Dit account is gesloten. Neem contact op met het IMG.".to_string(),
            AccountError::UnknownAccount(name) => format!("Er is geen account ‘{name}’."),
            AccountError::PasskeyStaffOnly(_) => {
                "Een passkey toevoegen kan alleen voor medewerkers. Aanvragers en gemachtigden loggen in met DigiD; daar is geen passkey van ons voor nodig."
                    .to_string()
            }
            AccountError::PasskeysUnavailable => {
                "Inloggen met een passkey kan hier niet: de dienst is niet bereikbaar op een domeinnaam. Log in met de code uit je app.".to_string()
            }
            AccountError::WrongPasskey => "De passkey is niet geaccepteerd. Probeer het opnieuw, of typ de code die je app nu toont.".to_string(),
            AccountError::NoPasskey => "Je hebt nog geen passkey. Typ de code die je app nu toont.".to_string(),
            AccountError::PasskeyNotStarted => "Dit verzoek hoort niet bij een passkey-stap die nu loopt, of die stap is verlopen. Begin opnieuw.".to_string(),
            AccountError::PasskeyRefused(_) => "De nieuwe passkey is niet geaccepteerd. Probeer het opnieuw met een andere passkey.".to_string(),
            AccountError::InvalidPasskeyName => "Geef de passkey een naam van 1 tot 60 tekens.".to_string(),
            AccountError::UnknownPasskey => "Die passkey staat niet bij jouw account.".to_string(),
            AccountError::Damaged(_) | AccountError::Totp(_) | AccountError::Passkey(_) => grondslag_kernel::FAULT_NL.to_string(),
            AccountError::Kernel(kernel) => kernel.explain_nl(register),
        }
    }
}

/// An account as signing in finds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The sign-in name: lower-case letters, digits, `.`, `-` and `_`.
    pub username: String,
    /// What the register lets this account do.
    pub role: Role,
    /// The account's own record, under which its secrets are kept.
    pub record: RecordRef,
    /// Set while the password is a one-time one, to be replaced at first sign-in.
    pub must_change_password: bool,
}

impl Account {
    /// Where a session stands once both factors are right: a one-time
    /// password must be replaced before anything else opens.
    pub fn stage_after_second_factor(&self) -> Stage {
        if self.must_change_password { Stage::ChangePassword } else { Stage::Complete }
    }
}

/// What a new account's holder needs once: shown, never stored in the clear.
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// A generated one-time password, when none was chosen; it must be
    /// changed at first sign-in.
    pub one_time_password: Option<String>,
    /// The authenticator key in base32, for typing in.
    pub secret: String,
    /// The `otpauth://` URI, for a QR code.
    pub uri: String,
    /// Single-use codes for when the authenticator is lost.
    pub recovery_codes: Vec<String>,
}

/// How far a session has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The password was right; the code is still to come.
    SecondFactor,
    /// Signed in with a one-time password, which must be replaced first.
    ChangePassword,
    /// Both factors are right and the password is the holder's own.
    Complete,
}

/// A session as the server sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The account's sign-in name.
    pub username: String,
    /// The account's role, by its register name.
    pub role: String,
    /// The account record, as `subject.record`.
    pub account: String,
    /// How far signing in has come.
    pub stage: Stage,
    /// The token every form of this session must carry.
    pub csrf: String,
    /// When signing in began.
    pub started: Timestamp,
    /// When the session was last used; it expires counting from here.
    pub renewed: Timestamp,
    /// The broker's means the session signed in with (DigiD, eHerkenning),
    /// or none for password and second factor.
    #[serde(default)]
    pub means: Option<grondslag_broker::Means>,
    /// The represented person's file (a pseudonymous subject id) that a
    /// DigiD Machtigen sign-in reaches, for this session only.
    #[serde(default)]
    pub mandate: Option<String>,
    /// The state of a passkey ceremony between its two steps (serialised
    /// by `webauthn-rs`), kept on the server only and used once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<String>,
}

impl Session {
    /// The role, checked against the register.
    pub fn role(&self) -> Result<Role, AccountError> {
        Role::from_name(&self.role).ok_or(AccountError::Damaged("session role"))
    }

    /// The account record, parsed.
    pub fn account(&self) -> Result<RecordRef, AccountError> {
        self.account.parse().map_err(|_| AccountError::Damaged("session account"))
    }

    /// Whether `token` is this session's CSRF token (in constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// The account service: one per server, shared by every request.
#[derive(Debug)]
pub struct Accounts {
    kernel: Arc<Kernel>,
    processing: ProcessingId,
    policy: Policy,
    issuer: String,
    /// Checked against when the name is unknown, so that a wrong name
    /// takes as long as a wrong password. Made at the first password check
    /// (of any name, known or not, so that one too takes as long either
    /// way), not at start-up: a command that checks no password spends no
    /// argon2id hash on it.
    decoy_hash: std::sync::OnceLock<String>,
    /// The relying party of passkeys, when they are offered.
    webauthn: Option<webauthn_rs::Webauthn>,
    password_gate: throttle::Gate,
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
}

fn token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn recovery_hash(code: &str) -> String {
    let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// `n` characters from an alphabet without look-alikes (no 0/O, 1/I).
fn random_code(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // 256 is a multiple of 32, so every character is equally likely.
    random_bytes::<32>().iter().take(n).map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}

/// A recovery code: ten characters, as `XXXXX-XXXXX` for reading aloud.
fn recovery_code() -> String {
    let code = random_code(10);
    format!("{}-{}", &code[..5], &code[5..])
}

/// A one-time password: 20 characters (100 bits), well past the policy's
/// minimum and easy to read off a terminal.
fn one_time_password() -> String {
    random_code(20)
}

/// RFC 6238 with the parameters every authenticator app understands: SHA-1,
/// six digits, 30-second steps.
fn totp(secret: Vec<u8>, issuer: Option<String>, username: &str) -> Result<TOTP, AccountError> {
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret, issuer, username.to_string()).map_err(|e| AccountError::Totp(e.to_string()))
}

fn secret_bytes(base32: String) -> Result<Vec<u8>, AccountError> {
    totp_rs::Secret::Encoded(base32).to_bytes().map_err(|e| AccountError::Totp(format!("{e:?}")))
}

fn check_username(name: &str) -> Result<(), AccountError> {
    let ok = (3..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if !ok {
        return Err(AccountError::InvalidUsername(name.to_string()));
    }
    // An account named like a process would make the audit log ambiguous;
    // one named like a means' handle would pass for someone the broker vouched for.
    if system_actor::is_known(name) || broker::is_handle(name) {
        return Err(AccountError::ReservedUsername(name.to_string()));
    }
    Ok(())
}

impl Accounts {
    /// Accounts on the kernel, under the accounts processing of its register.
    pub fn new(kernel: Arc<Kernel>, policy: Policy) -> Result<Accounts, AccountError> {
        let processing = kernel.processing(PROCESSING)?;
        let issuer = kernel.register().meta.controller.clone();
        let password_gate = throttle::Gate::new(policy.password_checks);
        Ok(Accounts { kernel, processing, policy, issuer, decoy_hash: std::sync::OnceLock::new(), webauthn: None, password_gate })
    }

    /// The kernel every account action goes through.
    pub fn kernel(&self) -> &Arc<Kernel> {
        &self.kernel
    }

    /// The session and guessing limits in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The sign-in process acts as the system: for a name not yet proved
    /// (`None`), under its own name; for an account that proved itself, on
    /// its behalf.
    fn system(&self, proved: Option<&str>, origin: &str, now: Timestamp) -> Access {
        Access::new(proved.unwrap_or(system_actor::SIGN_IN), Role::System, origin, now)
    }

    /// Creates an account acting as `role`. An applicant's account joins
    /// `subject` (the person whose applications it shows); staff accounts
    /// get a subject of their own. Without a chosen password a one-time
    /// password is generated, to be changed at first sign-in.
    pub fn create(
        &self,
        access: &Access,
        username: &str,
        role: Role,
        subject: Option<&SubjectId>,
        password: Option<&str>,
    ) -> Result<(Account, Enrolment), AccountError> {
        check_username(username)?;
        // The system's role may erase what the register's terms make due;
        // a web sign-in with those powers would be a way around the kernel's scopes.
        if matches!(role, Role::System | Role::Public) {
            return Err(AccountError::RoleNotForAccount(role));
        }
        let one_time = password.is_none().then(one_time_password);
        let password = password.or(one_time.as_deref()).unwrap_or_default();
        grondslag_values::check_password(password, &[username]).map_err(AccountError::WeakPassword)?;
        let secret = random_bytes::<20>().to_vec();
        let totp = self.totp(username, secret.clone())?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        // Hashed before the unit takes the writer.
        let fields = self.kernel.prepare(&[
            (Category::Username, Value::text(username)),
            (Category::Password, Value::text(password)),
            (Category::SecondFactor, Value::text(totp.get_secret_base32())),
            (Category::RecoveryCodes, Value::text(codes.iter().map(|c| recovery_hash(c)).collect::<Vec<_>>().join("\n"))),
            (Category::SystemUser, Value::text(role.name())),
        ])?;
        let status = if one_time.is_some() { MUST_CHANGE_PASSWORD } else { ACTIVE };
        let record = self.kernel.unit(|unit| {
            // In the unit that takes the name: looked up there, the name is
            // held until it commits, so of two creating it at once (on two
            // nodes, too) the second finds it taken.
            if !unit.find_records(access, self.processing, BY_NAME, username)?.is_empty() {
                return Err(AccountError::UsernameTaken(username.to_string()));
            }
            let record = unit.write_prepared(access, self.processing, subject, None, &fields)?;
            unit.index_record(access, self.processing, &record, BY_NAME, username)?;
            if !matches!(role, Role::Applicant | Role::Representative | Role::Public) {
                // A member of staff: what HR's `staff` scope reaches (I.RIGHTS).
                unit.relate(access, self.processing, Action::File, &record, Scope::Staff, None, true)?;
            }
            unit.record_event(access, self.processing, &record, Action::File, "created", Some(status), None)?;
            Ok::<_, AccountError>(record)
        })?;
        let account = Account { username: username.to_string(), role, record, must_change_password: one_time.is_some() };
        Ok((account, Enrolment { one_time_password: one_time, secret: totp.get_secret_base32(), uri: totp.get_url(), recovery_codes: codes }))
    }

    fn totp(&self, username: &str, secret: Vec<u8>) -> Result<TOTP, AccountError> {
        totp(secret, Some(self.issuer.clone()), username)
    }

    /// The person with this BSN, whose file an applicant's account joins.
    pub fn person(&self, access: &Access, bsn: &str) -> Result<Option<SubjectId>, AccountError> {
        Ok(self.kernel.find_by_bsn(access, self.processing, bsn)?)
    }

    /// The account `username` names, if there is one, looked up by the
    /// system on behalf of whoever gives the name (the command line's
    /// `--as`): its role, and its holder's file — whom `self` means when
    /// they act, and the end of the relations they are in (an expert's
    /// assigned cases).
    pub fn holder(&self, username: &str, origin: &str, now: Timestamp) -> Result<Option<Account>, AccountError> {
        let access = self.system(None, origin, now);
        self.find(&access, username)
    }

    /// The own file of the expert with the account `username`; `None` when
    /// there is no such account or it is not an expert's.
    pub fn expert_file(&self, username: &str, origin: &str, now: Timestamp) -> Result<Option<SubjectId>, KernelError> {
        let access = self.system(None, origin, now);
        match self.find(&access, username) {
            Ok(Some(account)) if account.role == Role::Expert => Ok(Some(account.record.subject)),
            Ok(_) | Err(AccountError::Closed) => Ok(None),
            Err(AccountError::Kernel(e)) => Err(e),
            Err(AccountError::Damaged(what)) => Err(KernelError::Store(grondslag_kernel::StoreError::Corrupt(what))),
            // Finding an account fails in no other way.
            Err(_) => Ok(None),
        }
    }

    /// The account named `username`, if there is one.
    pub fn find(&self, access: &Access, username: &str) -> Result<Option<Account>, AccountError> {
        match self.lookup(access, username)? {
            Some((_, true)) => Err(AccountError::Closed),
            found => Ok(found.map(|(account, _)| account)),
        }
    }

    /// The account named `username`, if there is one, and whether it is closed.
    fn lookup(&self, access: &Access, username: &str) -> Result<Option<(Account, bool)>, AccountError> {
        let Some(summary) = self.kernel.find_records(access, self.processing, BY_NAME, username)?.into_iter().next() else {
            return Ok(None);
        };
        let view = self
            .kernel
            .read_record(access, self.processing, &summary.record, CategorySet::EMPTY.with(Category::SystemUser))?
            .ok_or(AccountError::Damaged("account record"))?;
        let role = view.get(Category::SystemUser).and_then(Value::as_text).and_then(Role::from_name).ok_or(AccountError::Damaged("account role"))?;
        let account = Account {
            username: username.to_string(),
            role,
            record: summary.record,
            must_change_password: summary.status.as_deref() == Some(MUST_CHANGE_PASSWORD),
        };
        Ok(Some((account, summary.status.as_deref() == Some(CLOSED))))
    }

    fn secret(&self, access: &Access, account: &Account, category: Category) -> Result<String, AccountError> {
        let view = self
            .kernel
            .read_record(access, self.processing, &account.record, CategorySet::EMPTY.with(category))?
            .ok_or(AccountError::Damaged("account record"))?;
        view.get(category).and_then(Value::as_text).map(str::to_string).ok_or(AccountError::Damaged("account secret"))
    }

    fn decoy_hash(&self) -> Result<&str, AccountError> {
        if let Some(hash) = self.decoy_hash.get() {
            return Ok(hash);
        }
        // Two first checks at once may both hash; one of them is kept.
        let hash = grondslag_kernel::hash_password("a password nobody has")?;
        Ok(self.decoy_hash.get_or_init(|| hash))
    }

    /// Step one: the password. Returns the account; the code is still due.
    pub fn check_password(&self, username: &str, password: &str, origin: &str, now: Timestamp) -> Result<Account, AccountError> {
        let username = username.trim().to_lowercase();
        let access = self.system(None, origin, now);
        let (account, closed) = self.attempt(&username, now, AccountError::WrongCredentials, throttle::Settle::Refund, || {
            let decoy = self.decoy_hash()?;
            let account = match check_username(&username) {
                Ok(()) => self.lookup(&access, &username)?,
                Err(_) => None,
            };
            let hash = match &account {
                Some((account, _)) => self.secret(&access, account, Category::Password)?,
                None => decoy.to_string(),
            };
            // One verification whatever the name, so the time taken does not
            // tell whether an account exists.
            let matches = self.verify_password(&hash, password)?;
            Ok(account.filter(|_| matches))
        })?;
        // A closed account says so only to whoever knows its password.
        if closed {
            return Err(AccountError::Closed);
        }
        Ok(account)
    }

    /// Step two: a code from the authenticator app (each time step once),
    /// or a recovery code, which is used up.
    pub fn check_second_factor(&self, account: &Account, code: &str, origin: &str, now: Timestamp) -> Result<(), AccountError> {
        let access = self.system(Some(&account.username), origin, now);
        let code = code.trim().replace(' ', "");
        self.attempt(&account.username, now, AccountError::WrongCode, throttle::Settle::Clear, || {
            let accepted = if code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()) {
                self.check_totp(&access, account, &code, now)?
            } else {
                self.use_recovery_code(&access, account, &code)?
            };
            Ok(accepted.then_some(()))
        })
    }

    fn check_totp(&self, access: &Access, account: &Account, code: &str, now: Timestamp) -> Result<bool, AccountError> {
        let secret = self.secret(access, account, Category::SecondFactor)?;
        let totp = self.totp(&account.username, secret_bytes(secret)?)?;
        let now_secs = u64::try_from(now.as_second()).unwrap_or(0);
        // One step of clock drift either way, as RFC 6238 §5.2 advises.
        let Some(step) = [0i64, -1, 1].into_iter().map(|d| now_secs.saturating_add_signed(d * 30) / 30).find(|s| totp.generate(s * 30) == code) else {
            return Ok(false);
        };
        // Read and recorded in one transaction (they take turns), so two
        // sign-ins racing with one code cannot both find it unused.
        Ok(self.kernel.unit(|unit| {
            let last_used = unit
                .events(access, self.processing, &account.record)?
                .into_iter()
                .filter(|e| e.event == SIGNED_IN)
                .filter_map(|e| e.detail.and_then(|d| d.parse::<u64>().ok()))
                .max();
            if last_used.is_some_and(|last| step <= last) {
                return Ok::<_, KernelError>(false);
            }
            unit.record_event(access, self.processing, &account.record, Action::Write, SIGNED_IN, None, Some(Detail::staff(&step.to_string())))?;
            Ok(true)
        })?)
    }

    fn use_recovery_code(&self, access: &Access, account: &Account, code: &str) -> Result<bool, AccountError> {
        let wanted = recovery_hash(code);
        // Read and used up in one transaction, so a code is used once
        // however many sign-ins race with it.
        self.kernel.unit(|unit| {
            let wanted_category = CategorySet::EMPTY.with(Category::RecoveryCodes);
            let view = unit.read_record(access, self.processing, &account.record, wanted_category)?.ok_or(AccountError::Damaged("account record"))?;
            let stored = view.get(Category::RecoveryCodes).and_then(Value::as_text).ok_or(AccountError::Damaged("account secret"))?;
            let mut hashes: Vec<&str> = stored.lines().collect();
            let Some(at) = hashes.iter().position(|h| bool::from(h.as_bytes().ct_eq(wanted.as_bytes()))) else {
                return Ok(false);
            };
            hashes.remove(at);
            let fields = [(Category::RecoveryCodes, Value::text(hashes.join("\n")))];
            unit.write(access, self.processing, Some(&account.record.subject), Some(&account.record.record), &fields)?;
            unit.record_event(access, self.processing, &account.record, Action::Write, "recovery_code_used", None, None)?;
            Ok(true)
        })
    }

    /// Sets a new password (checked against the policy) and ends every
    /// other session of the account.
    pub fn change_password(&self, account: &Account, new_password: &str, origin: &str, now: Timestamp) -> Result<(), AccountError> {
        grondslag_values::check_password(new_password, &[&account.username]).map_err(AccountError::WeakPassword)?;
        let access = self.system(Some(&account.username), origin, now);
        // Hashed before the unit takes the writer.
        let fields = self.kernel.prepare(&[(Category::Password, Value::text(new_password))])?;
        self.kernel.unit(|unit| {
            unit.write_prepared(&access, self.processing, Some(&account.record.subject), Some(&account.record.record), &fields)?;
            unit.record_event(&access, self.processing, &account.record, Action::Advance, "password_changed", Some(ACTIVE), None)
        })?;
        self.kernel.end_sessions(&account.username, now)?;
        Ok(())
    }

    /// Closes an account: it can no longer sign in, its sessions end, and
    /// the register's term for sign-in data starts counting (`account_closed`).
    pub fn close(&self, access: &Access, username: &str) -> Result<(), AccountError> {
        let account = self.find(access, username)?.ok_or_else(|| AccountError::UnknownAccount(username.to_string()))?;
        self.kernel.record_event(access, self.processing, &account.record, Action::Advance, ACCOUNT_CLOSED, Some(CLOSED), None)?;
        self.kernel.end_sessions(username, access.now)?;
        Ok(())
    }

    /// Starts a session at `stage`; returns the token for the cookie.
    pub fn start_session(&self, account: &Account, stage: Stage, now: Timestamp) -> Result<(String, Session), AccountError> {
        self.open_session(account, stage, None, None, now)
    }

    /// [`Accounts::start_session`], marked with the broker's means and a
    /// mandate when the sign-in carried them.
    fn open_session(
        &self,
        account: &Account,
        stage: Stage,
        means: Option<grondslag_broker::Means>,
        mandate: Option<String>,
        now: Timestamp,
    ) -> Result<(String, Session), AccountError> {
        let token = token();
        let session = Session {
            username: account.username.clone(),
            role: account.role.name().to_string(),
            account: account.record.to_string(),
            stage,
            csrf: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<24>()),
            started: now,
            renewed: now,
            means,
            mandate,
            ceremony: None,
        };
        self.store(&token, &session)?;
        Ok((token, session))
    }

    /// Moves a session on (the code was right, the password was changed),
    /// under a fresh token, so a token seen before the step is worth nothing after it.
    pub fn advance(&self, old_token: &str, session: &Session, stage: Stage, now: Timestamp) -> Result<(String, Session), AccountError> {
        self.kernel.end_session(&token_hash(old_token))?;
        let token = token();
        let session = Session { stage, renewed: now, ceremony: None, ..session.clone() };
        self.store(&token, &session)?;
        Ok((token, session))
    }

    fn store(&self, token: &str, session: &Session) -> Result<(), AccountError> {
        let expires_at = (session.renewed + self.policy.idle).min(session.started + self.policy.absolute);
        let body = serde_json::to_vec(session).map_err(|_| AccountError::Damaged("session"))?;
        let account_record = Some(session.account()?.record);
        self.kernel.put_session(&token_hash(token), &SessionRow { account: session.username.clone(), body, expires_at, account_record })?;
        Ok(())
    }

    /// The session of `token`, unless it expired; use renews it (at most
    /// once a minute, to spare the store a write per request).
    pub fn session(&self, token: &str, now: Timestamp) -> Result<Option<Session>, AccountError> {
        let Some(row) = self.kernel.session(&token_hash(token), now)? else { return Ok(None) };
        let mut session: Session = serde_json::from_slice(&row.body).map_err(|_| AccountError::Damaged("session"))?;
        if now.duration_since(session.renewed) > SignedDuration::from_mins(1) {
            session.renewed = now;
            self.store(token, &session)?;
        }
        Ok(Some(session))
    }

    /// Signs out: the session behind `token` is gone.
    pub fn end_session(&self, token: &str) -> Result<(), AccountError> {
        Ok(self.kernel.end_session(&token_hash(token))?)
    }

    /// The account a session belongs to, read afresh (it may have changed).
    pub fn account_of(&self, session: &Session, origin: &str, now: Timestamp) -> Result<Account, AccountError> {
        let access = self.system(Some(&session.username), origin, now);
        self.find(&access, &session.username)?.ok_or_else(|| AccountError::UnknownAccount(session.username.clone()))
    }

    /// Both steps at once, as the API signs in: password and code. The
    /// session is complete, or waits for a one-time password to be changed.
    pub fn sign_in(&self, username: &str, password: &str, code: &str, origin: &str, now: Timestamp) -> Result<(String, Session), AccountError> {
        let account = self.check_password(username, password, origin, now)?;
        self.check_second_factor(&account, code, origin, now)?;
        self.start_session(&account, account.stage_after_second_factor(), now)
    }

    /// Step one as the pages sign in: the password; the session waits for the code.
    pub fn sign_in_with_password(&self, username: &str, password: &str, origin: &str, now: Timestamp) -> Result<(String, Session), AccountError> {
        let account = self.check_password(username, password, origin, now)?;
        self.start_session(&account, Stage::SecondFactor, now)
    }

    /// Step two as the pages sign in: the code moves the session (of
    /// `token`) on, under a fresh token.
    pub fn sign_in_with_code(&self, token: &str, session: &Session, code: &str, origin: &str, now: Timestamp) -> Result<(String, Session), AccountError> {
        let account = self.account_of(session, origin, now)?;
        self.check_second_factor(&account, code, origin, now)?;
        self.advance(token, session, account.stage_after_second_factor(), now)
    }

    /// A new password for the session's account: every session of the
    /// account ends, and a complete one starts.
    pub fn replace_password(
        &self,
        session: &Session,
        current: Option<&str>,
        new_password: &str,
        origin: &str,
        now: Timestamp,
    ) -> Result<(String, Session), AccountError> {
        if session.means.is_some() {
            return Err(AccountError::NoPassword);
        }
        let account = self.account_of(session, origin, now)?;
        // Right after a one-time password the holder just proved it; any
        // other time, whoever holds the session must know the password too
        // (a session left open is not the account), and a wrong one counts
        // towards the lock as at sign-in.
        if session.stage != Stage::ChangePassword {
            let access = self.system(Some(&account.username), origin, now);
            self.attempt(&account.username, now, AccountError::WrongCredentials, throttle::Settle::Refund, || {
                let hash = self.secret(&access, &account, Category::Password)?;
                Ok(self.verify_password(&hash, current.unwrap_or_default())?.then_some(()))
            })?;
        }
        self.change_password(&account, new_password, origin, now)?;
        self.start_session(&account, Stage::Complete, now)
    }

    /// The current code for an authenticator key: what the person's app
    /// shows. For enrolment checks and tests.
    pub fn code_at(secret_base32: &str, at: Timestamp) -> Result<String, AccountError> {
        Ok(totp(secret_bytes(secret_base32.to_string())?, None, "")?.generate(u64::try_from(at.as_second()).unwrap_or(0)))
    }
}
