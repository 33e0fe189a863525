//! What a subcommand works with, read once from the global flags and the
//! environment: the register, the data directory, the master key, the
//! moment the command runs, and who acts.

use std::path::{Path, PathBuf};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use grondslag_accounts::{Account, Accounts, system_actor};
use grondslag_crypto::MasterKey;
use grondslag_kernel::{Access, DataDir, Kernel, master_key_from_env};
use grondslag_register::{LoadError, Register, Role};
use grondslag_values::dutch::{self, Written, parse_written};
use jiff::Timestamp;

use crate::Failure;

/// The origin of what the command line does, in the audit log.
const ORIGIN: &str = "cli";

/// Where data lives when no --data or GRONDSLAG_DATA is given.
const DEFAULT_DATA: &str = "grondslag-data";

/// The flags every subcommand accepts.
#[derive(clap::Args, Debug)]
pub struct Globals {
    /// Data directory (database, blobs, keys); created on first use.
    /// Default: ./grondslag-data (for `demo`: a fresh temporary directory).
    #[arg(long, global = true, env = "GRONDSLAG_DATA")]
    pub data: Option<PathBuf>,

    /// Keep the store in this PostgreSQL database (postgres://user@host:port/db)
    /// instead of SQLite in the data directory; keys and blobs stay in --data.
    /// Several nodes may share one database.
    #[arg(long, global = true, env = "GRONDSLAG_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Register file to enforce instead of the shipped register/img.toml.
    #[arg(long, global = true, env = "GRONDSLAG_REGISTER")]
    pub register: Option<PathBuf>,

    /// Append every signed audit checkpoint to this file (default: audit-witness.log in --data).
    /// Put it where whoever can write the database cannot: other storage, or a file shipped off.
    #[arg(long, global = true, env = "GRONDSLAG_WITNESS")]
    pub witness: Option<PathBuf>,

    /// Also hand every signed checkpoint to this command, on its standard input (run by `sh -c`),
    /// e.g. `logger -t grondslag-audit` or a transparency-log witness client.
    #[arg(long, global = true, env = "GRONDSLAG_WITNESS_COMMAND")]
    pub witness_command: Option<String>,
}

impl Globals {
    /// The data directory given, or the default, with its store.
    pub fn data_dir(&self) -> DataDir {
        DataDir::new(self.data.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_DATA)))
            .with_database_url(self.database_url.clone())
            .with_witness(self.witness.clone(), self.witness_command.clone())
    }
}

/// Who acts on the command line: `--as`, for every subcommand that records a name.
#[derive(clap::Args, Debug)]
pub struct ActorName {
    /// Your user name, as the audit log will record it: an account's, or
    /// `cli` (the default) when you name none. A person a command is about
    /// (a requester, a subscriber) is given with `--name`, never here.
    // The id is set apart from the field's name: clap matches global
    // arguments by id, and a subcommand's own `name` (the requester's, the
    // subscriber's) would otherwise fill this one too.
    #[arg(id = "actor", long = "as", value_name = "USER", default_value = system_actor::COMMAND_LINE, global = true)]
    pub name: String,
}

/// Who acts and in which role: `--as` and `--role`, for the subcommands
/// whose role the caller chooses (`case`, `channel`, `kcc`, `rights`).
#[derive(clap::Args, Debug)]
pub struct Actor {
    #[command(flatten)]
    pub who: ActorName,
    /// The role you act in; the register decides what it may do. An account acts in its own
    /// role only. Otherwise the default is case_handler for `case`, privacy_officer for
    /// `rights`; for `channel`, the website's (public) for what the public does and the staff
    /// role of the task otherwise; for `kcc`, the role whose step it is (hr, coach, system).
    #[arg(long, global = true, value_parser = role())]
    pub role: Option<Role>,
}

/// `--now` of the commands that check terms (`case overdue`, `rights
/// list`, `retention run`): as of another moment than the present, so that
/// a term can be checked on any date.
#[derive(clap::Args, Debug)]
pub struct AsOf {
    /// Check as of this date or moment instead of now: 27-11-2026, 2026-11-27,
    /// 27-11-2026 10:00 (Amsterdam time) or 2026-11-27T09:00:00Z. A date alone is its midnight.
    #[arg(long, value_name = "MOMENT")]
    pub now: Option<String>,
}

impl AsOf {
    /// The moment given, or the command's own.
    pub fn at(&self, context: &Context) -> Result<Timestamp, Failure> {
        match &self.now {
            Some(text) => Ok(written("--now", text)?.start()),
            None => Ok(context.now),
        }
    }
}

/// A date or moment given with `option`, read strictly
/// ([`grondslag_values::dutch::parse_written`]); the error names the option.
pub fn written(option: &str, text: &str) -> Result<Written, Failure> {
    parse_written(text).map_err(|e| Failure(format!("{option}: {e}")))
}

/// The moment something arrived, given with `option` (`--received`,
/// `--reported-at`): not after `now`, the moment it is registered.
pub fn arrived(option: &str, written: Written, now: Timestamp) -> Result<Timestamp, Failure> {
    let at = written.start();
    if at > now {
        return Err(Failure(format!(
            "{option}: {} lies after the moment it is registered ({}); give when the letter, call or form came in, which cannot be later than now",
            dutch::moment(at),
            dutch::moment(now)
        )));
    }
    Ok(at)
}

/// `--role`'s values: the register's roles by name, listed in `--help` and
/// in the refusal of any other.
pub fn role() -> impl TypedValueParser<Value = Role> {
    PossibleValuesParser::new(Role::ALL.iter().map(|r| r.name())).try_map(|name| name.parse::<Role>())
}

/// The register, the data directory, the key and the moment, for the
/// subcommands that open the kernel.
#[derive(Debug)]
pub struct Context {
    /// The register to enforce: --register, or the shipped one.
    pub register: Register,
    /// --data (or the default) with --database-url.
    pub data: DataDir,
    /// GRONDSLAG_MASTER_KEY when the operator gives it; otherwise each data
    /// directory's key file is used.
    master: Option<MasterKey>,
    /// When the command runs: the clock is read here, at the edge, once.
    pub now: Timestamp,
}

/// The register at `file` (or the shipped one), its terms checked to count
/// only from events the modules emit; with the warnings about processings
/// still planned.
pub fn load_register(file: Option<&Path>) -> Result<(Register, Vec<String>), LoadError> {
    let emitted = [
        grondslag_claims::EVENTS,
        grondslag_rights::EVENTS,
        grondslag_channels::EVENTS,
        grondslag_accounts::EVENTS,
        grondslag_callqa::EVENTS,
        grondslag_hr::EVENTS,
    ]
    .concat();
    grondslag_register::load(file, Some(&emitted))
}

impl Context {
    /// Reads the register and the master key the global flags and the
    /// environment name.
    pub fn new(globals: &Globals) -> Result<Context, Failure> {
        Ok(Context { register: load_register(globals.register.as_deref())?.0, data: globals.data_dir(), master: master_key_from_env()?, now: Timestamp::now() })
    }

    /// The kernel on the data directory.
    /// The master key the operator gave, if any (else the key file is used).
    pub fn master(&self) -> Option<&MasterKey> {
        self.master.as_ref()
    }

    pub fn open_kernel(&self) -> Result<Kernel, Failure> {
        self.open_kernel_on(&self.data)
    }

    /// The kernel on another data directory (`demo`'s scratch one), under
    /// the same register and key.
    pub fn open_kernel_on(&self, data: &DataDir) -> Result<Kernel, Failure> {
        Ok(data.open_kernel(self.register.clone(), self.master.as_ref(), self.now)?)
    }

    /// `actor` now: an account acts in its own role (a different `--role`
    /// is refused) as the person they are, so that their relations (an
    /// expert's assigned cases) and their own file count; one of the
    /// system's own names acts in `--role`, or else the subcommand's
    /// `default`. See [`Context::actor`] for the names `--as` accepts.
    pub fn access(&self, accounts: &Accounts, actor: &Actor, default: Role) -> Result<Access, Failure> {
        let name = &actor.who.name;
        Ok(match self.actor(accounts, name)? {
            None => Access::new(name.clone(), actor.role.unwrap_or(default), ORIGIN, self.now),
            Some(account) => {
                if let Some(role) = actor.role.filter(|role| *role != account.role) {
                    return Err(Failure(format!(
                        "--role {role}: the account `{name}` acts as {} ({}); leave --role out to act in it, or act under an account that has the role {role}",
                        account.role,
                        account.role.label_nl()
                    )));
                }
                Access::new(name.clone(), account.role, ORIGIN, self.now).acting_as(account.record.subject)
            }
        })
    }

    /// Checks the name `--as` gives: one of the system's own names (no
    /// account), or an account that is not closed. Anything else is
    /// refused, so that the audit log names only someone the organisation
    /// knows as its actor — never a typo, nor a requester's name.
    pub fn actor(&self, accounts: &Accounts, name: &str) -> Result<Option<Account>, Failure> {
        if system_actor::is_known(name) {
            return Ok(None);
        }
        match accounts.holder(name, ORIGIN, self.now)? {
            Some(account) => Ok(Some(account)),
            None => Err(Failure(format!(
                "--as `{name}`: there is no account with this user name, nor is it one of the names the system acts under ({}); give your own user name (an administrator creates the account with `grondslag account create --username NAME --role ROLE`), or leave --as out to act as `{}`",
                system_actor::ALL.join(", "),
                system_actor::COMMAND_LINE,
            ))),
        }
    }
}
