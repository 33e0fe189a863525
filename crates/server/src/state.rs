//! What every handler shares: the accounts (and through them the kernel),
//! the area lists of the automated checks, whether the service runs under
//! TLS, the security.txt it publishes — and the threads the kernel's work
//! runs on.

use std::sync::Arc;

use axum::http::HeaderName;
use grondslag_accounts::Accounts;
use grondslag_broker::{BrokerError, Means, Provider};
use grondslag_claims::area::AreaLists;
use grondslag_kernel::Kernel;

use crate::Config;
use crate::conformance::SecurityTxt;
use crate::error::ServerError;
use crate::limits::Limiter;
use crate::workers::Workers;

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
    /// The means of signing in through a broker that are configured.
    brokers: Vec<Provider>,
    /// The origin clients reach this service at: the broker's return address is under it.
    origin: String,
    limiter: Limiter,
    client_address_header: Option<HeaderName>,
    workers: Workers,
}

/// Everything a blocking piece of work needs.
pub(crate) struct Services<'a> {
    pub accounts: &'a Accounts,
    pub kernel: &'a Kernel,
    pub areas: &'a AreaLists,
    brokers: &'a [Provider],
}

impl Services<'_> {
    /// The configured broker of `means`.
    pub(crate) fn broker(&self, means: Means) -> Result<&Provider, BrokerError> {
        self.brokers.iter().find(|p| p.means() == means).ok_or(BrokerError::NotConfigured(means))
    }

    /// The compensation schemes, with the area lists of their automated checks.
    pub(crate) fn cases(&self) -> grondslag_claims::cases::Cases<'_> {
        grondslag_claims::cases::Cases::new(self.kernel, self.areas.clone())
    }
}

impl AppState {
    pub(crate) fn from_parts(
        accounts: Accounts,
        areas: AreaLists,
        security_txt: SecurityTxt,
        brokers: Vec<Provider>,
        config: &Config,
    ) -> Result<AppState, ServerError> {
        Ok(AppState {
            inner: Arc::new(Inner {
                accounts,
                areas,
                secure: config.tls.is_some(),
                security_txt,
                brokers,
                origin: config.origin(),
                limiter: Limiter::new(config.anonymous_limit),
                client_address_header: config.client_address_header.clone(),
                workers: Workers::start(config.workers)?,
            }),
        })
    }

    /// The count of anonymous POSTs per client address.
    pub(crate) fn limiter(&self) -> &Limiter {
        &self.inner.limiter
    }

    /// The header the proxy in front names the client's address in, if trusted.
    pub(crate) fn client_address_header(&self) -> Option<&HeaderName> {
        self.inner.client_address_header.as_ref()
    }

    /// The means of signing in through a broker that are configured, in the order the sign-in page offers them.
    pub(crate) fn means(&self) -> Vec<Means> {
        Means::ALL.into_iter().filter(|m| self.inner.brokers.iter().any(|p| p.means() == *m)).collect()
    }

    /// Where the broker of `means` sends the browser back to.
    pub(crate) fn broker_return(&self, means: Means) -> String {
        format!("{}/inloggen/{}/terug", self.inner.origin, means.name())
    }

    /// Where the broker sends the browser after signing out there too.
    pub(crate) fn after_broker_logout(&self) -> String {
        format!("{}/uitgelogd", self.inner.origin)
    }

    /// The kernel behind every handler.
    pub fn kernel(&self) -> &Arc<Kernel> {
        self.inner.accounts.kernel()
    }

    /// Runs `work` on one of the service's worker threads: the kernel's
    /// store calls block.
    pub(crate) async fn run<T: Send + 'static>(&self, work: impl FnOnce(&Services<'_>) -> Result<T, ServerError> + Send + 'static) -> Result<T, ServerError> {
        let state = self.clone();
        self.inner.workers.run(move || work(&state.services())).await?
    }

    /// Runs `work` that may wait long for something other than the store —
    /// a broker's answer over the network (up to its timeout), a turn at
    /// the password check (up to 10 s while many sign in), the workers
    /// themselves finishing — on a thread of
    /// its own, not on the workers: such waits then hold none of the
    /// threads everyone else's work needs.
    pub(crate) async fn run_waiting<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Services<'_>) -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        let state = self.clone();
        tokio::task::spawn_blocking(move || work(&state.services()))
            .await
            .map_err(|e| ServerError::Internal(format!("a thread waiting apart from the workers failed: {e}")))?
    }

    /// Waits until the workers have done all the work they were given, and
    /// lets them take no more.
    pub(crate) async fn finish_work(&self) -> Result<(), ServerError> {
        let state = self.clone();
        self.run_waiting(move |_| {
            state.inner.workers.finish();
            Ok(())
        })
        .await
    }

    fn services(&self) -> Services<'_> {
        let inner = &self.inner;
        Services { accounts: &inner.accounts, kernel: inner.accounts.kernel(), areas: &inner.areas, brokers: &inner.brokers }
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
