//! What every handler shares: the accounts (and through them the kernel),
//! the area lists of the automated checks, whether the service runs under
//! TLS, the security.txt it publishes — and the blocking thread the
//! kernel's work runs on.

use std::sync::Arc;

use grondslag_accounts::Accounts;
use grondslag_claims::area::AreaLists;
use grondslag_kernel::Kernel;

use crate::conformance::SecurityTxt;
use crate::error::ServerError;

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    accounts: Accounts,
    areas: AreaLists,
    /// Under TLS: cookies are `Secure` and carry the `__Host-` prefix.
    secure: bool,
    security_txt: SecurityTxt,
}

/// Everything a blocking piece of work needs.
pub(crate) struct Services<'a> {
    pub accounts: &'a Accounts,
    pub kernel: &'a Kernel,
    pub areas: &'a AreaLists,
}

impl Services<'_> {
    /// The compensation schemes, with the area lists of their automated checks.
    pub(crate) fn cases(&self) -> grondslag_claims::cases::Cases<'_> {
        grondslag_claims::cases::Cases::new(self.kernel, self.areas.clone())
    }
}

impl AppState {
    pub(crate) fn from_parts(accounts: Accounts, areas: AreaLists, secure: bool, security_txt: SecurityTxt) -> AppState {
        AppState { inner: Arc::new(Inner { accounts, areas, secure, security_txt }) }
    }

    /// The kernel behind every handler.
    pub fn kernel(&self) -> &Arc<Kernel> {
        self.inner.accounts.kernel()
    }

    /// Runs `work` on a blocking thread: the kernel's store calls block.
    pub(crate) async fn run<T: Send + 'static>(&self, work: impl FnOnce(&Services<'_>) -> Result<T, ServerError> + Send + 'static) -> Result<T, ServerError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || {
            let inner = &state.inner;
            work(&Services { accounts: &inner.accounts, kernel: inner.accounts.kernel(), areas: &inner.areas })
        })
        .await
        .map_err(|e| ServerError::Internal(format!("a worker thread failed: {e}")))?
    }

    /// The name of the session cookie.
    pub(crate) fn session_cookie(&self) -> &'static str {
        if self.inner.secure { "__Host-sessie" } else { "sessie" }
    }

    pub(crate) fn secure(&self) -> bool {
        self.inner.secure
    }

    pub(crate) fn security_txt(&self) -> &SecurityTxt {
        &self.inner.security_txt
    }
}
