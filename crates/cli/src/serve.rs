//! `grondslag serve`, `grondslag init` and `grondslag account`: the
//! service and the accounts that sign in to it.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use grondslag_accounts::{Accounts, Enrolment, Policy, system_actor};
use grondslag_kernel::Access;
use grondslag_register::Role;
use grondslag_server::{AppState, Config, SecurityTxt};

use crate::Failure;
use crate::context::{self, Context};

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "GRONDSLAG_LISTEN")]
    listen: SocketAddr,
    /// TLS certificate chain (PEM); with --tls-key, serves HTTPS with HSTS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A session unused this long expires (e.g. 30m, 1h).
    #[arg(long, default_value = "30m")]
    session_idle: jiff::SignedDuration,
    /// A session expires this long after signing in, used or not.
    #[arg(long, default_value = "12h")]
    session_max: jiff::SignedDuration,
    /// Failed sign-ins in a row after which a user name is locked.
    #[arg(long, default_value_t = 5)]
    max_failures: u32,
    /// How long a lock holds after the last failure.
    #[arg(long, default_value = "15m")]
    lock: jiff::SignedDuration,
    /// POSTs one client address may send without signing in — the public
    /// forms and signing in — per window: a count and a window, e.g. 30/10m.
    /// More are answered 429 with Retry-After.
    #[arg(long, default_value = "30/10m", env = "GRONDSLAG_ANONYMOUS_LIMIT")]
    anonymous_limit: grondslag_server::Rate,
    /// Behind a proxy: the header it sets to the client's address (e.g.
    /// X-Forwarded-For; the last entry counts), for the limit above and the
    /// audit log's origin. Only set it when the proxy overwrites or appends
    /// to that header; otherwise clients could name any address.
    #[arg(long, env = "GRONDSLAG_CLIENT_ADDRESS_HEADER")]
    client_address_header: Option<http::HeaderName>,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    body_limit: usize,
    /// How often the retention sweep runs.
    #[arg(long, default_value = "24h")]
    sweep_every: jiff::SignedDuration,
    /// Area lists for the automated checks (CSV; default: the shipped sample).
    #[arg(long)]
    areas: Option<PathBuf>,
    /// The origin clients reach this service at, when it is behind a proxy
    /// (e.g. `https://register.example.nl`); default: the scheme and --listen.
    /// Checked at start-up against the register's base_uri. Passkeys are
    /// bound to it, and offered only when it names a domain (not an IP
    /// address; for a local try, `http://localhost:PORT`).
    #[arg(long)]
    public_origin: Option<String>,
    /// Sign-in through a broker (OpenID Connect): a TOML file with a table
    /// per means, `[digid]`, `[digid-machtigen]`, `[eherkenning]`, each with
    /// issuer, client_id, client_secret_file (docs/server.md). Default: none,
    /// and everyone signs in with a password and a code.
    #[arg(long, env = "GRONDSLAG_BROKERS")]
    brokers: Option<PathBuf>,
    /// Where to report a vulnerability, for /.well-known/security.txt: a
    /// mailto:, https: or tel: URI; repeat for more. Default: mailto: the
    /// register's `[contact]` email.
    #[arg(long, env = "GRONDSLAG_SECURITY_CONTACT", value_delimiter = ',')]
    security_contact: Vec<String>,
    /// Until when security.txt's contact may be relied on (RFC 3339, e.g.
    /// 2027-06-30T00:00:00Z; at most a year ahead). Default: a year after
    /// the register's date. Within 30 days of it, start-up warns.
    #[arg(long, env = "GRONDSLAG_SECURITY_EXPIRES")]
    security_expires: Option<jiff::Timestamp>,
    /// The disclosure policy security.txt points to (an https URL).
    #[arg(long, env = "GRONDSLAG_SECURITY_POLICY")]
    security_policy: Option<String>,
    /// Threads that run the service's own work: its reads and writes.
    /// Default: four per processor. The work is mostly the processor's, and
    /// more threads than that take turns at a cost (BENCHMARKS.md, the
    /// twenty-fifth session). Work that waits on a broker or for a turn at
    /// the password check runs on threads of its own.
    #[arg(long, env = "GRONDSLAG_WORKERS")]
    workers: Option<NonZeroUsize>,
    /// Check the configuration (the register's base_uri, security.txt's
    /// expiry) and exit without serving: fails when security.txt expires
    /// within 30 days or has expired, for a daily job.
    #[arg(long)]
    check: bool,
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Create an account; prints a one-time password (unless --password-stdin), the
    /// authenticator key and recovery codes, once.
    Create {
        /// User name: 3–64 lowercase letters, digits, dots, hyphens, underscores.
        #[arg(long)]
        username: String,
        /// The role the account acts in.
        #[arg(long, value_parser = context::role())]
        role: Role,
        /// For applicants and representatives: the BSN of the person, so that the account
        /// joins their file and the portal shows their own data.
        #[arg(long)]
        bsn: Option<String>,
        /// Read the password from standard input instead of generating a one-time one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Close an account: it can no longer sign in and its sessions end; its sign-in
    /// data is deleted when the register's term after closing has passed.
    Close {
        #[arg(long)]
        username: String,
    },
}

fn to_duration(d: jiff::SignedDuration, what: &str) -> Result<std::time::Duration, Failure> {
    std::time::Duration::try_from(d).map_err(|_| Failure(format!("--{what} must be positive")))
}

/// security.txt from the options, the rest from the register.
fn security_txt(context: &Context, args: &ServeArgs) -> Result<SecurityTxt, Failure> {
    let mut file = SecurityTxt::from_register(&context.register, args.public_origin.as_deref());
    if let Some(bad) = args.security_contact.iter().find(|c| !["mailto:", "https://", "tel:"].iter().any(|scheme| c.starts_with(scheme))) {
        return Err(Failure(format!("--security-contact `{bad}`: give a mailto:, https:// or tel: URI (RFC 9116)")));
    }
    if !args.security_contact.is_empty() {
        file.contacts.clone_from(&args.security_contact);
    }
    if let Some(expires) = args.security_expires {
        file.expires = expires;
    }
    file.policy.clone_from(&args.security_policy);
    Ok(file)
}

pub fn serve(context: &Context, args: ServeArgs) -> Result<(), Failure> {
    let security_txt = security_txt(context, &args)?;
    let brokers = match &args.brokers {
        Some(file) => grondslag_broker::read_config(file).map_err(|e| Failure(e.to_string()))?,
        None => Vec::new(),
    };
    // The server's edge reads the clock; the check itself is given the time.
    let expiry_warning = security_txt.expiry_warning(jiff::Timestamp::now());
    let scheme = if args.tls_cert.is_some() { "https" } else { "http" };
    let origin = args.public_origin.clone().unwrap_or_else(|| format!("{scheme}://{}", args.listen));
    if let Some(warning) = grondslag_server::base_uri_mismatch(&context.register, &origin) {
        tracing::warn!(%origin, base_uri = %context.register.meta.base_uri, "{warning}");
        eprintln!("warning: {warning}");
    }
    if args.check {
        return match expiry_warning {
            Some(warning) => Err(Failure(warning)),
            None => {
                say!("security.txt: ok, expires {}", security_txt.expires);
                Ok(())
            }
        };
    }
    if let Some(warning) = &expiry_warning {
        tracing::warn!(expires = %security_txt.expires, "{warning}");
        eprintln!("warning: {warning}");
    }
    let kernel = Arc::new(context.open_kernel()?);
    let config = Config {
        listen: args.listen,
        tls: args.tls_cert.zip(args.tls_key),
        policy: Policy { idle: args.session_idle, absolute: args.session_max, max_failures: args.max_failures, lock: args.lock, ..Policy::default() },
        body_limit: args.body_limit,
        request_timeout: std::time::Duration::from_secs(30),
        sweep_every: to_duration(args.sweep_every, "sweep-every")?,
        public_origin: args.public_origin,
        security_txt: Some(security_txt),
        brokers,
        anonymous_limit: args.anonymous_limit,
        client_address_header: args.client_address_header,
        workers: args.workers.unwrap_or_else(grondslag_server::four_per_processor),
    };
    // This handle outlives the runtime, so the kernel is dropped (sealing
    // the audit log) on this thread: a PostgreSQL client must not be
    // dropped inside the async runtime.
    let state = AppState::new(Arc::clone(&kernel), crate::case::load_areas(args.areas.as_deref())?, &config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| Failure(format!("cannot start the runtime: {e}")))?;
    eprintln!("grondslag serves {scheme}://{} with data in {} (stop with Ctrl-C)", config.listen, context.data.root.display());
    let served = runtime.block_on(grondslag_server::serve(state, config, shutdown_signal()));
    drop(runtime);
    served?;
    let sealed = kernel.seal()?;
    eprintln!("stopped; the audit log is sealed at {sealed} entries");
    Ok(())
}

/// Ctrl-C or SIGTERM (how service managers stop a process).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stop with Ctrl-C");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

fn print_enrolment(username: &str, role: Role, enrolment: &Enrolment) -> Result<(), Failure> {
    say!("account `{username}` created, acting as {} ({})", role.name(), role.label_nl());
    if let Some(password) = &enrolment.one_time_password {
        say!("one-time password: {password}   (to be changed at first sign-in)");
    }
    say!("authenticator key: {}", enrolment.secret);
    say!("authenticator URI: {}", enrolment.uri);
    say!("recovery codes (each works once; keep them offline):");
    for code in &enrolment.recovery_codes {
        say!("  {code}");
    }
    say!("These are shown once and not stored in the clear.");
    Ok(())
}

fn accounts_on(context: &Context) -> Result<Accounts, Failure> {
    Ok(Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?)
}

/// Creates the data directory and its first administrator.
pub fn init(context: &Context, username: &str) -> Result<(), Failure> {
    let accounts = accounts_on(context)?;
    let access = Access::new(system_actor::INIT, Role::Admin, "command line", context.now);
    let (account, enrolment) = accounts.create(&access, username, Role::Admin, None, None)?;
    say!("data directory: {}", context.data.root.display());
    print_enrolment(&account.username, account.role, &enrolment)
}

pub fn account(context: &Context, actor: &str, command: AccountCommand) -> Result<(), Failure> {
    let accounts = accounts_on(context)?;
    // Only the administrator manages accounts: --as names who (an
    // administrator's account, or the command line itself).
    if let Some(account) = context.actor(&accounts, actor)?
        && account.role != Role::Admin
    {
        return Err(Failure(format!(
            "--as `{actor}`: accounts are managed by an administrator, and this account acts as {}; give an administrator's user name",
            account.role
        )));
    }
    let access = Access::new(actor, Role::Admin, "command line", context.now);
    match command {
        AccountCommand::Create { username, role, bsn, password_stdin } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line).map_err(|e| Failure(format!("cannot read the password from standard input: {e}")))?;
                Some(line.trim_end_matches(['\r', '\n']).to_string())
            } else {
                None
            };
            let subject = match bsn {
                Some(bsn) => Some(
                    accounts
                        .person(&access, &bsn)?
                        .ok_or_else(|| Failure("no one with this BSN has a file here; file their application first, or leave out --bsn".to_string()))?,
                ),
                None => None,
            };
            let (account, enrolment) = accounts.create(&access, &username, role, subject.as_ref(), password.as_deref())?;
            print_enrolment(&account.username, account.role, &enrolment)
        }
        AccountCommand::Close { username } => {
            accounts.close(&access, &username)?;
            say!("account `{username}` closed; its sessions have ended");
            Ok(())
        }
    }
}
