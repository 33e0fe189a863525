//! State that holds no personal data, so needs no decision and no audit
//! entry: the versions of the register's processings, sessions and failed
//! sign-ins.
//!
//! Every version of a processing that a kernel has enforced is archived
//! when the kernel opens (whatever opens it: the service or a command),
//! numbered 1, 2, 3 … per processing with the moment it took effect, so
//! the versioned URI in an audit entry (LDV's processing activity id)
//! resolves after the register changed. Each new version is also an entry
//! in the audit log carrying its content hash, so the archive is inside the
//! signed log: an archived version can be checked against the log.
//!
//! Governance records are an organisation's decisions about a processing
//! (a works council's consent to a protocol version, its yearly
//! evaluation): no personal data, but who recorded them is logged, and only
//! a role whose grant reaches the whole processing may record them.
//!
//! Sessions and failed sign-ins are security state. A
//! session names an account (its user name) and is found by the hash of a
//! token that only the browser holds; failed sign-ins are counted under a
//! keyed digest of the name tried, so the store never holds the names of
//! people who mistyped theirs. Kept in the store, not in a server's memory,
//! so that every server node sees the same sessions and locks.

use grondslag_register::{CategorySet, Role};
use grondslag_store::{SessionRow, StoreError, Tx};
use serde::{Deserialize, Serialize};

use crate::{Access, Event, Kernel, KernelError};

/// How many failed sign-ins in a row lock a name, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoginLock {
    /// Failed attempts in a row that lock the name.
    pub max_failures: u32,
    /// How long the lock holds after the last counted attempt.
    pub duration: jiff::SignedDuration,
}

/// What [`Kernel::charge_login_attempt`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginCharge {
    /// The attempt may be checked; it is counted as failed until it succeeds.
    Charged {
        /// Whether the name locks if this attempt fails.
        locks: bool,
        /// Until when it would lock.
        until: jiff::Timestamp,
    },
    /// The name is locked; nothing was checked or counted.
    Locked {
        /// Until when.
        until: jiff::Timestamp,
    },
}

/// Settings named `processing_version:<id>:<number>` hold a
/// [`ProcessingVersion`]. Data directories from before the numbering also
/// hold `processing_version:<id>:<12 hex digits>` with the activity as the
/// service published it then; those are kept for the URIs that name them.
const VERSION_SETTING: &str = "processing_version:";

/// Settings named `governance:<processing>:<name>` hold governance records.
const GOVERNANCE_SETTING: &str = "governance:";

/// Set by `grondslag generate` on the store it fills: made-up people only.
const SYNTHETIC_SETTING: &str = "synthetic_population";

/// The audit entry's action for a new version.
pub(crate) const NEW_VERSION: &str = "register_version";

/// One version of a processing activity, as archived.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessingVersion {
    /// 1 for the first version this data directory saw, then 2, 3, …
    pub version: u64,
    /// When it took effect: the moment the kernel that first enforced it opened.
    pub valid_from: jiff::Timestamp,
    /// SHA-256 of `content`, in hex; the audit entry of the version carries it too.
    pub content_hash: String,
    /// The register's canonical content for the processing (see
    /// `grondslag_register::Processing::content`).
    pub content: String,
}

impl Kernel {
    /// Archives the current version of every processing that is not the
    /// latest archived one, as the next number, valid from `now`, with an
    /// audit entry each; returns each processing's versioned URI, by
    /// [`grondslag_register::ProcessingId`]. One transaction: nodes opening
    /// at once number a version once (the loser's commit fails, and it is
    /// opened again).
    pub(crate) fn archive_versions(&self, now: jiff::Timestamp) -> Result<Vec<String>, KernelError> {
        // One operation: every version archived at this opening shares a trace.
        let access = Access::new("grondslag", Role::System, "opening the data directory", now);
        let base = &self.register.meta.base_uri;
        // The entries wait in the unit and are chained together at its end.
        self.unit(|unit| {
            let mut uris = Vec::new();
            for id in self.register.processing_ids() {
                let p = self.register.processing(id);
                let latest = versions_in(unit.tx, &p.id)?.pop();
                let version = match latest {
                    Some(latest) if latest.content_hash == p.content_hash => latest.version,
                    latest => {
                        let version = latest.map_or(1, |latest| latest.version + 1);
                        let archived = ProcessingVersion { version, valid_from: now, content_hash: p.content_hash.clone(), content: p.content.clone() };
                        let body = serde_json::to_vec(&archived).map_err(|_| StoreError::Corrupt("processing version"))?;
                        unit.tx.set_setting(&format!("{VERSION_SETTING}{}:{version}", p.id), &body)?;
                        let object = format!("version:{version}");
                        let mut event = Event::allowed(id, NEW_VERSION, object, None, CategorySet::EMPTY);
                        event.reason = format!("valid from {now}; content sha256:{}", p.content_hash);
                        let mut entry = self.entry(&access, event);
                        entry.processing_activity_id = format!("{base}/{}/versions/{version}", p.id);
                        unit.audit_entry(entry);
                        version
                    }
                };
                uris.push(format!("{base}/{}/versions/{version}", p.id));
            }
            Ok(uris)
        })
    }

    /// The archived versions of processing `id`, oldest first.
    pub fn processing_versions(&self, id: &str) -> Result<Vec<ProcessingVersion>, KernelError> {
        self.plain(|tx| versions_in(tx, id))
    }

    /// What a data directory from before the numbering archived under
    /// `hash` (12 hex digits) for processing `id`, as it was published.
    pub fn legacy_processing_version(&self, id: &str, hash: &str) -> Result<Option<Vec<u8>>, KernelError> {
        if hash.len() != 12 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        self.plain(|tx| tx.setting(&format!("{VERSION_SETTING}{id}:{hash}")))
    }

    /// Records (or replaces) the governance record `name` of `processing`:
    /// decided as writing the processing for everyone (a grant with scope
    /// `all`), audited with the record's name.
    pub fn record_governance(&self, access: &Access, processing: grondslag_register::ProcessingId, name: &str, body: &[u8]) -> Result<(), KernelError> {
        let id = &self.register.processing(processing).id;
        let setting = format!("{GOVERNANCE_SETTING}{id}:{name}");
        self.unit(|unit| {
            unit.check_everyone(access, processing, grondslag_register::Action::Write)?;
            unit.tx.set_setting(&setting, body)?;
            unit.audit(access, Event::allowed(processing, "governance", name.to_string(), None, CategorySet::EMPTY));
            Ok(())
        })
    }

    /// Marks this store as holding a synthetic population (`what` says
    /// which), before any of it is written: the benchmarks read and export
    /// everyone in a store they are pointed at, which they may do only to
    /// made-up people.
    pub fn mark_synthetic(&self, what: &str) -> Result<(), KernelError> {
        self.plain(|tx| tx.set_setting(SYNTHETIC_SETTING, what.as_bytes()))
    }

    /// What [`Kernel::mark_synthetic`] said of this store, if it was marked.
    pub fn synthetic(&self) -> Result<Option<String>, KernelError> {
        Ok(self.look(|tx| tx.setting(SYNTHETIC_SETTING))?.map(|what| String::from_utf8_lossy(&what).into_owned()))
    }

    /// The governance records of `processing`, by name.
    pub fn governance(&self, processing: grondslag_register::ProcessingId) -> Result<Vec<(String, Vec<u8>)>, KernelError> {
        self.plain(|tx| governance_in(tx, &self.register.processing(processing).id))
    }

    /// Stores a session under the digest of its token.
    pub fn put_session(&self, token_hash: &[u8], session: &SessionRow) -> Result<(), KernelError> {
        self.plain(|tx| tx.put_session(token_hash, session))
    }

    /// The session under `token_hash`, unless it expired by `now`: a read
    /// that never waits for the writer, so a request with any cookie at
    /// all costs no write transaction.
    pub fn session(&self, token_hash: &[u8], now: jiff::Timestamp) -> Result<Option<SessionRow>, KernelError> {
        self.look(|tx| tx.session(token_hash, now))
    }

    /// Removes and returns the session under `token_hash`, unless it
    /// expired by `now`, atomically: what is used once is taken once.
    pub fn take_session(&self, token_hash: &[u8], now: jiff::Timestamp) -> Result<Option<SessionRow>, KernelError> {
        self.plain(|tx| tx.take_session(token_hash, now))
    }

    /// Deletes the session under `token_hash`, if any.
    pub fn end_session(&self, token_hash: &[u8]) -> Result<(), KernelError> {
        self.plain(|tx| tx.delete_session(token_hash))
    }

    /// Ends every session of `account` (after a password change, a lock,
    /// or closing the account), and any session expired by `now`.
    pub fn end_sessions(&self, account: &str, now: jiff::Timestamp) -> Result<u64, KernelError> {
        self.plain(|tx| tx.delete_sessions(account, now))
    }

    /// Counts an attempt to sign in under `username` as failed *before* it
    /// is checked, in one write transaction (write transactions take turns,
    /// on PostgreSQL across nodes): however many attempts run at once, at
    /// most `lock.max_failures` of them are checked before the name locks.
    /// An attempt that succeeds gives its count back ([`Kernel::refund_login_attempt`])
    /// or clears the count ([`Kernel::clear_login_failures`]).
    pub fn charge_login_attempt(&self, username: &str, lock: &LoginLock, now: jiff::Timestamp) -> Result<LoginCharge, KernelError> {
        let key = self.keys.blind_index("login", &username.to_lowercase());
        self.plain(|tx| {
            let (failures, last) = tx.login_failures(&key)?.unwrap_or((0, now));
            let locked = failures >= lock.max_failures;
            if locked && last + lock.duration > now {
                return Ok(LoginCharge::Locked { until: last + lock.duration });
            }
            // A lock that has passed starts the count again.
            let failures = if locked { 1 } else { failures + 1 };
            tx.set_login_failures(&key, failures, now)?;
            Ok(LoginCharge::Charged { locks: failures >= lock.max_failures, until: now + lock.duration })
        })
    }

    /// Gives back the count a checked attempt was charged (the password
    /// was right; the second factor is still due).
    pub fn refund_login_attempt(&self, username: &str) -> Result<(), KernelError> {
        let key = self.keys.blind_index("login", &username.to_lowercase());
        self.plain(|tx| {
            // A name without a count gets none: on PostgreSQL reading it
            // made a row at zero to hold (`Tx::login_failures`), which goes.
            let (failures, last) = tx.login_failures(&key)?.unwrap_or((0, jiff::Timestamp::UNIX_EPOCH));
            tx.set_login_failures(&key, failures.saturating_sub(1), last)
        })
    }

    /// Forgets the failed attempts under `username`: it signed in.
    pub fn clear_login_failures(&self, username: &str, now: jiff::Timestamp) -> Result<(), KernelError> {
        let key = self.keys.blind_index("login", &username.to_lowercase());
        self.plain(|tx| tx.set_login_failures(&key, 0, now))
    }

    /// One read-only transaction that touches no personal data.
    pub(crate) fn look<T>(&self, work: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>) -> Result<T, KernelError> {
        returning(work, |each| self.store.read(each))
    }

    /// One transaction that touches no personal data, so needs no decision.
    pub(crate) fn plain<T>(&self, work: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>) -> Result<T, KernelError> {
        let _entered = crate::unit::Entered::enter()?;
        returning(work, |each| self.store.transaction(each))
    }
}

type Work<'w> = &'w mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>;

/// What `work` returns, run in the transaction `run` gives it.
fn returning<T>(mut work: impl FnMut(&mut dyn Tx) -> Result<T, StoreError>, run: impl FnOnce(Work<'_>) -> Result<(), StoreError>) -> Result<T, KernelError> {
    let mut out = None;
    run(&mut |tx| {
        out = Some(work(tx)?);
        Ok(())
    })?;
    out.ok_or(KernelError::Store(StoreError::Aborted))
}

/// The governance records of the processing `id` in the store, by name.
pub(crate) fn governance_in(tx: &mut dyn Tx, id: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let start = format!("{GOVERNANCE_SETTING}{id}:");
    Ok(tx.settings_with_prefix(&start)?.into_iter().map(|(name, body)| (name[start.len()..].to_string(), body)).collect())
}

/// The numbered versions of processing `id` in the store, oldest first;
/// the unnumbered ones of before are skipped.
fn versions_in(tx: &mut dyn Tx, id: &str) -> Result<Vec<ProcessingVersion>, StoreError> {
    let prefix = format!("{VERSION_SETTING}{id}:");
    let mut versions: Vec<ProcessingVersion> = tx
        .settings_with_prefix(&prefix)?
        .into_iter()
        .filter(|(name, _)| name[prefix.len()..].bytes().all(|b| b.is_ascii_digit()))
        .map(|(_, body)| serde_json::from_slice(&body).map_err(|_| StoreError::Corrupt("settings.processing_version")))
        .collect::<Result<_, _>>()?;
    versions.sort_by_key(|v| v.version);
    Ok(versions)
}
