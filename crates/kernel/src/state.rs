//! State that holds no personal data, so needs no decision and no audit
//! entry: the versions of the register's processings, sessions and failed
//! sign-ins.
//!
//! Every version of a processing that a kernel has enforced is archived,
//! so the versioned URI in an audit entry (LDV's processing activity id)
//! can still be resolved after the register changed.
//!
//! Sessions and failed sign-ins are security state. A
//! session names an account (its user name) and is found by the hash of a
//! token that only the browser holds; failed sign-ins are counted under a
//! keyed digest of the name tried, so the store never holds the names of
//! people who mistyped theirs. Kept in the store, not in a server's memory,
//! so that every server node sees the same sessions and locks.

use grondslag_store::{SessionRow, StoreError};

use crate::{Kernel, KernelError};

/// Settings named `processing_version:<id>:<version>` hold what the
/// register said in that version, as the caller published it.
const VERSION_SETTING: &str = "processing_version:";

impl Kernel {
    /// Archives `body` as what version `version` of processing `id` said,
    /// unless that version is archived already (a version is its content's hash).
    pub fn archive_processing_version(&self, id: &str, version: &str, body: &[u8]) -> Result<(), KernelError> {
        let name = format!("{VERSION_SETTING}{id}:{version}");
        self.plain(|tx| if tx.setting(&name)?.is_some() { Ok(()) } else { tx.set_setting(&name, body) })
    }

    /// The body of processing `id` as it was at `version`, if archived.
    pub fn archived_processing_version(&self, id: &str, version: &str) -> Result<Option<Vec<u8>>, KernelError> {
        let name = format!("{VERSION_SETTING}{id}:{version}");
        self.plain(|tx| tx.setting(&name))
    }

    /// The archived versions of processing `id`, as (version, body).
    pub fn archived_processing_versions(&self, id: &str) -> Result<Vec<(String, Vec<u8>)>, KernelError> {
        let prefix = format!("{VERSION_SETTING}{id}:");
        let found = self.plain(|tx| tx.settings_with_prefix(&prefix))?;
        Ok(found.into_iter().map(|(name, body)| (name[prefix.len()..].to_string(), body)).collect())
    }

    /// Stores a session under the digest of its token.
    pub fn put_session(&self, token_hash: &[u8], session: &SessionRow) -> Result<(), KernelError> {
        self.plain(|tx| tx.put_session(token_hash, session))
    }

    /// The session under `token_hash`, unless it expired by `now`.
    pub fn session(&self, token_hash: &[u8], now: jiff::Timestamp) -> Result<Option<SessionRow>, KernelError> {
        self.plain(|tx| tx.session(token_hash, now))
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

    /// Failed sign-ins in a row under the name `username`, and when the last one was.
    pub fn login_failures(&self, username: &str) -> Result<Option<(u32, jiff::Timestamp)>, KernelError> {
        let key = self.keys.blind_index("login", &username.to_lowercase());
        self.plain(|tx| tx.login_failures(&key))
    }

    /// Sets the count of failed sign-ins in a row; 0 forgets them.
    pub fn set_login_failures(&self, username: &str, failures: u32, at: jiff::Timestamp) -> Result<(), KernelError> {
        let key = self.keys.blind_index("login", &username.to_lowercase());
        self.plain(|tx| tx.set_login_failures(&key, failures, at))
    }

    /// One transaction that touches no personal data, so needs no decision.
    pub(crate) fn plain<T>(&self, mut work: impl FnMut(&mut dyn grondslag_store::Tx) -> Result<T, StoreError>) -> Result<T, KernelError> {
        let _entered = crate::unit::Entered::enter()?;
        let mut out = None;
        self.store.transaction(&mut |tx| {
            out = Some(work(tx)?);
            Ok(())
        })?;
        out.ok_or(KernelError::Store(StoreError::Aborted))
    }
}
