//! What a subcommand works with, read once from the global flags and the
//! environment: the register, the data directory, the master key, the
//! moment the command runs, and who acts.

use std::path::{Path, PathBuf};

use clap::builder::{PossibleValuesParser, TypedValueParser};
use grondslag_accounts::Accounts;
use grondslag_crypto::MasterKey;
use grondslag_kernel::{Access, DataDir, Kernel, master_key_from_env};
use grondslag_register::{LoadError, Register, Role};
use jiff::Timestamp;

use crate::Failure;

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
    /// Your name, as the audit log will record it.
    #[arg(long = "as", default_value = "cli", global = true)]
    pub name: String,
}

/// Who acts and in which role: `--as` and `--role`, for the subcommands
/// whose role the caller chooses (`case`, `channel`, `rights`).
#[derive(clap::Args, Debug)]
pub struct Actor {
    #[command(flatten)]
    pub who: ActorName,
    /// The role you act in; the register decides what it may do. Default: case_handler
    /// for `case`, privacy_officer for `rights`; for `channel`, the website's (public)
    /// for what the public does and the staff role of the task otherwise.
    #[arg(long, global = true, value_parser = role())]
    pub role: Option<Role>,
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
    let emitted = [grondslag_claims::EVENTS, grondslag_rights::EVENTS, grondslag_channels::EVENTS, grondslag_accounts::EVENTS].concat();
    grondslag_register::load(file, Some(&emitted))
}

impl Context {
    /// Reads the register and the master key the global flags and the
    /// environment name.
    pub fn new(globals: &Globals) -> Result<Context, Failure> {
        Ok(Context { register: load_register(globals.register.as_deref())?.0, data: globals.data_dir(), master: master_key_from_env()?, now: Timestamp::now() })
    }

    /// The kernel on the data directory.
    pub fn open_kernel(&self) -> Result<Kernel, Failure> {
        self.open_kernel_on(&self.data)
    }

    /// The kernel on another data directory (`demo`'s scratch one), under
    /// the same register and key.
    pub fn open_kernel_on(&self, data: &DataDir) -> Result<Kernel, Failure> {
        Ok(data.open_kernel(self.register.clone(), self.master.as_ref(), self.now)?)
    }

    /// `actor` now, in their `--role` or else the subcommand's `default`.
    pub fn access(&self, actor: &Actor, default: Role) -> Access {
        Access::new(actor.who.name.clone(), actor.role.unwrap_or(default), "cli", self.now)
    }

    /// As [`Context::access`], and when `--as` names an account, acting as
    /// the person they are, so that their relations (an expert's assigned
    /// cases) and their own file count.
    pub fn account_access(&self, accounts: &Accounts, actor: &Actor, default: Role) -> Result<Access, Failure> {
        let access = self.access(actor, default);
        Ok(match accounts.own_file(&actor.who.name, "cli", self.now)? {
            Some(own) => access.acting_as(own),
            None => access,
        })
    }
}
