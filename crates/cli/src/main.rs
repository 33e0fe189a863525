//! `grondslag`: the command line. Thin on purpose — parse arguments, call
//! the register or the kernel, print the result; errors go to stderr with a
//! non-zero exit and say what to do.

// Output goes through `say!`, which fails the command on a closed standard
// output where `println!` would panic.
#![deny(clippy::print_stdout)]

/// `println!` that fails the command when standard output is closed
/// (`grondslag … | head`) instead of panicking: what could not be written is
/// said on standard error, and the exit status is not success — a command
/// may have printed something that is not printed again (a new account's
/// authenticator key).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err($crate::Failure::output)?
    }};
}

mod case;
mod channel;
mod context;
mod demo;
mod election;
mod export;
mod generate;
mod hr;
mod kcc;
mod keys;
mod migrate;
mod private_file;
mod progress;
mod retention;
mod rights;
mod serve;
mod survey;
mod teams;
mod views;

use std::fs;
use std::io::Write;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use context::{Actor, ActorName, Context, Globals};
use grondslag_kernel::{Change, DataDir};
use grondslag_register::Statement;
use grondslag_register::render::{self, Format};

/// The allocator. With glibc's, allocating and freeing rows was a fifth of
/// `audit verify`'s time (one thread reads rows, the other checks them);
/// mimalloc keeps a heap per thread. Measured in BENCHMARKS.md (sixth
/// session of 2026-12-02): verification faster by a sixth to a third, HTTP
/// reads by a few per cent, `generate` unchanged. Its `override` feature
/// makes it the C libraries' allocator too (SQLite, zstd): with glibc's,
/// `generate`'s writing thread spent 3 % of its time growing and trimming a
/// heap for SQLite's page cache and b-tree rebalancing (BENCHMARKS.md,
/// twenty-fourth session).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(
    name = "grondslag",
    version,
    about = "A records system whose privacy statement is its configuration",
    long_about = "grondslag stores, shows, shares, keeps and deletes personal data only as the register \
of processing activities allows, logs every access in a tamper-evident audit log, and renders the \
public privacy statement from the same register.\n\nWith no configuration it works in ./grondslag-data \
(SQLite, keys created on first run). GRONDSLAG_MASTER_KEY (64 hex characters) gives the master key \
instead of the key file; GRONDSLAG_LOG (e.g. `info`) turns on logging to stderr."
)]
struct Cli {
    #[command(flatten)]
    globals: Globals,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check or render the register of processing activities.
    #[command(subcommand)]
    Register(RegisterCommand),
    /// Print the OpenAPI document the service serves at /api/v1/openapi.json (JSON), for
    /// the NL API Design Rules linter and client generators.
    Openapi {
        /// The origin clients reach the service at (default: the one the register's base_uri names).
        #[arg(long)]
        public_origin: Option<String>,
    },
    /// Work with the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// File, follow and disclose applications of the compensation schemes.
    Case {
        #[command(flatten)]
        actor: Actor,
        /// Postcode area lists (CSV: area,from,to) for the automated checks; default: the shipped sample.
        #[arg(long, env = "GRONDSLAG_AREAS", global = true)]
        areas: Option<PathBuf>,
        #[command(subcommand)]
        command: case::CaseCommand,
    },
    /// The public channels: contact form, newsletters, forum, recorded calls and footage.
    Channel {
        #[command(flatten)]
        actor: Actor,
        #[command(subcommand)]
        command: channel::ChannelCommand,
    },
    /// The call centre's quality protocol (K0–K12): governance, enrolment, import of calls,
    /// selection, training and calibration, reports (docs/callqa.md).
    Kcc {
        #[command(flatten)]
        actor: Actor,
        #[command(subcommand)]
        command: kcc::KccCommand,
    },
    /// The personnel file and management information (I1, I4): register, list, show, end an employment, the report.
    Hr {
        #[command(flatten)]
        actor: Actor,
        #[command(subcommand)]
        command: hr::HrCommand,
    },
    /// The employee survey (I2): open, invite, answer (anonymously, or linked by choice), report, close.
    Survey {
        #[command(flatten)]
        actor: Actor,
        #[command(subcommand)]
        command: survey::SurveyCommand,
    },
    /// The works-council election (I6): open, stand, vote by secret ballot, count, publish.
    Election {
        #[command(flatten)]
        actor: Actor,
        #[command(subcommand)]
        command: election::ElectionCommand,
    },
    /// Accounts in the team applications (I7): the applications and their terms, an employee's accounts, ending them.
    Teams {
        #[command(flatten)]
        actor: Actor,
        #[command(subcommand)]
        command: teams::TeamsCommand,
    },
    /// The rights process: file, verify, extend, list, answer and export requests (E22).
    Rights {
        #[command(flatten)]
        actor: Actor,
        #[command(subcommand)]
        command: rights::RightsCommand,
    },
    /// Carry out the register's retention terms, or report on them.
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// Run the service: JSON API, web pages and sign-in on http://127.0.0.1:8080 (see --help).
    Serve(serve::ServeArgs),
    /// Create the data directory and its first administrator (prints a one-time
    /// password, the authenticator key and recovery codes).
    Init {
        /// The administrator's user name.
        #[arg(long, default_value = "admin")]
        username: String,
    },
    /// Manage accounts that sign in to the service.
    Account {
        #[command(flatten)]
        who: ActorName,
        #[command(subcommand)]
        command: serve::AccountCommand,
    },
    /// Move the SQLite store of --data into the (empty) PostgreSQL database of
    /// --database-url, with progress, and verify the audit log on arrival.
    /// The SQLite file is left as it was; keys and blobs stay in --data.
    Migrate {
        /// The store to move from: the data directory's SQLite file.
        #[arg(long, value_enum)]
        from: migrate::Backend,
        /// The store to move to: the database of --database-url, which must be empty.
        #[arg(long, value_enum)]
        to: migrate::Backend,
    },
    /// The master key: rotate it, so that backups made before cannot be read once the old key is destroyed.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Copy the SQLite store, as it is at this moment, to a new owner-only file, while the
    /// service may go on; keys are not in it (keep them apart). PostgreSQL: use pg_dump.
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup in place as the store of --data, which must have none, with that
    /// directory's keys; then verify the audit log. A backup older than the last key rotation is refused.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
    },
    /// Walk through the kernel on a fresh data directory and print what happened.
    /// With --data it works in (and keeps) that directory.
    Demo,
    /// Generate a deterministic synthetic population of the region into a fresh --data directory,
    /// written through the kernel as in real use: households with BSNs, IBANs and Groningen
    /// addresses, applications across every scheme with their status history, expert photos,
    /// disclosures, contact messages, newsletters, forum accounts, recorded calls, rights requests,
    /// and staff.
    Generate {
        /// People of the region (each appears under an application of their own).
        #[arg(long, default_value_t = 1000)]
        subjects: u64,
        /// Seed of the population: the same seed gives the same population (same fingerprint).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// End of the simulated history (RFC 3339); default: now.
        #[arg(long)]
        until: Option<jiff::Timestamp>,
        /// Postcode area lists (CSV: area,from,to) for the automated checks; default: the shipped sample.
        #[arg(long, env = "GRONDSLAG_AREAS")]
        areas: Option<PathBuf>,
        /// Households written side by side, through the same kernel. SQLite's one writer runs
        /// each operation in turn, so more threads gain little (2 threads on 2 cores: about the
        /// people/s of one). The population (and its fingerprint) is the same for any number.
        #[arg(long, default_value_t = NonZeroUsize::MIN)]
        threads: NonZeroUsize,
        /// Operations committed at once (the default is about 1,400 people). A generate that is
        /// killed loses at most the operations since its last commit; fewer at once write more
        /// bytes, as each commit rewrites the index pages its operations changed.
        #[arg(long, value_name = "OPERATIONS", default_value_t = grondslag_kernel::LOAD_GROUP)]
        commit_every: NonZeroUsize,
    },
}

#[derive(Subcommand, Debug)]
enum RegisterCommand {
    /// Check a register file; prints a summary, or every error with file, line and column.
    /// With --data, also warns where it would change the terms of data already held there.
    Check {
        /// The register to check (default: the shipped register/img.toml).
        file: Option<PathBuf>,
    },
    /// Record the new version of each statement whose version was raised, in
    /// the archive beside the register (img.toml → img.published.json), so
    /// that every published version stays readable (E21). Commit the archive
    /// with the register.
    Publish {
        /// The register whose statements to record.
        #[arg(default_value = "register/img.toml")]
        file: PathBuf,
    },
    /// Render the privacy statement (Dutch) from a register.
    Render {
        /// The register to render (default: the shipped register/img.toml).
        file: Option<PathBuf>,
        /// Markdown, or a standalone HTML page.
        #[arg(long, value_enum, default_value_t = FormatArg::Md)]
        format: FormatArg,
        /// Which statement: the public one, the staff one, the call-centre
        /// protocol, or the children's statement (E6).
        #[arg(long, value_enum, default_value_t = StatementArg::Public)]
        statement: StatementArg,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Verify the audit log in --data: the hash chain, the per-person index, forgotten entries,
    /// the signed checkpoints, and the latest witnessed checkpoint (the log may not be shorter
    /// than it or differ from it), chain by chain: the log is split into chains by person, and
    /// the first bad entry of each chain that has one is named. Needs only the public key.
    Verify {
        #[command(flatten)]
        trust: Trust,
    },
    /// Prove, from the stored log, that an entry is in a signed checkpoint of its chain
    /// (--entry), or that a later checkpoint of a chain extends an earlier one (--from); the
    /// proof is checked before it is printed.
    Prove {
        /// The entry (its sequence number in the whole log, from 1) to prove included.
        #[arg(long, conflicts_with_all = ["from", "chain"], required_unless_present = "from")]
        entry: Option<u64>,
        /// The size of the chain's earlier checkpoint, to prove the later one consistent with it.
        #[arg(long)]
        from: Option<u64>,
        /// The chain whose checkpoints --from and --size name (0 to 15; chain 0 holds the log
        /// written before it was split).
        #[arg(long, default_value_t = 0)]
        chain: u16,
        /// The size of the chain's (later) checkpoint to prove against; default: its latest.
        #[arg(long)]
        size: Option<u64>,
        #[command(flatten)]
        trust: Trust,
    },
    /// The view logs (I3) from the audit log: who (user name, function) viewed which damage
    /// dossier when, or with --dashboard who viewed that dashboard when (privacy officer, DPO).
    Views(views::ViewsArgs),
    /// Write the audit log as Logboek Dataverwerkingen lines or OTLP/JSON; who acted,
    /// in which role and from where stay out (they are in the stored log only).
    Export {
        /// ldv-jsonl: one LDV line per entry; otlp-json: OTLP/JSON trace requests, one per line.
        #[arg(long, value_enum)]
        format: export::ExportFormat,
        /// Start at this entry (its sequence number), to look at part of the log. To go on
        /// from an earlier export, use --resume instead: entries about different people
        /// written at once may commit out of order, so a later export from the last number
        /// seen would miss some.
        #[arg(long, default_value_t = 1, conflicts_with = "resume")]
        from_seq: u64,
        /// Go on from where the export that wrote FILE stopped, exactly: every entry
        /// committed since, none twice, whatever order they committed in. Reads FILE (where
        /// it was; none yet starts at the first entry) and, once the export is written,
        /// replaces it with where this one stopped: each chain's last position.
        #[arg(long, value_name = "FILE")]
        resume: Option<PathBuf>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// What an auditor trusts: the public key, and a checkpoint kept outside the database.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct Trust {
    /// The checkpoint key's public half (default: audit-signing.pub in --data).
    #[arg(long)]
    public_key: Option<PathBuf>,
    /// A checkpoint you hold (a signed note, or a file of them: the largest counts); default:
    /// the latest in the witness file.
    #[arg(long)]
    checkpoint: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Md,
    Html,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum StatementArg {
    Public,
    Staff,
    Kcc,
    Children,
}

/// A failure to report: the message for the user, and the exit code.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    /// Standard output could not be written.
    fn output(e: std::io::Error) -> Failure {
        Failure(format!(
            "standard output was closed before everything was written ({e}); run the command again with its output to a file or a program that reads it all"
        ))
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_env("GRONDSLAG_LOG")).with_writer(std::io::stderr).init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let Cli { globals, command } = cli;
    // Built only for what opens the kernel: `register` reads a register file
    // of its own, `audit verify` and `migrate` only the store (no master
    // key, no register), so a broken GRONDSLAG_REGISTER does not stop them.
    let context = || Context::new(&globals);
    match command {
        Command::Register(RegisterCommand::Check { file }) => {
            let data = globals.data.is_some().then(|| globals.data_dir());
            register_check(file.as_deref().or(globals.register.as_deref()), data.as_ref())
        }
        Command::Register(RegisterCommand::Publish { file }) => register_publish(&file),
        Command::Openapi { public_origin } => {
            let (register, _) = context::load_register(globals.register.as_deref())?;
            // The register says where the service answers: its base_uri is
            // the origin's `/processing_activities`.
            let origin = public_origin.unwrap_or_else(|| register.meta.base_uri.trim_end_matches("/processing_activities").to_string());
            let document = serde_json::to_string_pretty(&grondslag_server::openapi_document(&register, &origin))
                .map_err(|e| Failure(format!("cannot write the OpenAPI document: {e}")))?;
            say!("{document}");
            Ok(())
        }
        Command::Register(RegisterCommand::Render { file, format, statement, output }) => {
            let (register, _) = context::load_register(file.as_deref().or(globals.register.as_deref()))?;
            let format = match format {
                FormatArg::Md => Format::Markdown,
                FormatArg::Html => Format::Html,
            };
            let statement = match statement {
                StatementArg::Public => Statement::Public,
                StatementArg::Staff => Statement::Staff,
                StatementArg::Kcc => Statement::Kcc,
                StatementArg::Children => Statement::Children,
            };
            let text = render::render(&register, statement, format);
            match output {
                Some(path) => fs::write(&path, text).map_err(|e| Failure(format!("cannot write {}: {e}", path.display()))),
                None => std::io::stdout().write_all(text.as_bytes()).map_err(Failure::from),
            }
        }
        Command::Audit(AuditCommand::Verify { trust }) => audit_verify(&globals.data_dir(), &trust),
        Command::Audit(AuditCommand::Prove { entry, from, chain, size, trust }) => {
            audit_prove(&globals.data_dir(), &trust, entry, from, grondslag_audit::Chain::new(chain), size)
        }
        Command::Audit(AuditCommand::Export { format, from_seq, resume, out }) => export::run(&globals.data_dir(), format, from_seq, resume, out),
        Command::Audit(AuditCommand::Views(args)) => views::run(&context()?, args),
        Command::Migrate { from, to } => migrate::run(&globals.data_dir(), from, to),
        Command::Case { actor, areas, command } => case::run(&context()?, &actor, areas.as_deref(), command),
        Command::Channel { actor, command } => channel::run(&context()?, &actor, command),
        Command::Kcc { actor, command } => kcc::run(&context()?, &actor, command),
        Command::Survey { actor, command } => survey::run(&context()?, &actor, command),
        Command::Hr { actor, command } => hr::run(&context()?, &actor, command),
        Command::Election { actor, command } => election::run(&context()?, &actor, command),
        Command::Teams { actor, command } => teams::run(&context()?, &actor, command),
        Command::Rights { actor, command } => rights::run(&context()?, &actor, command),
        Command::Retention(command) => retention::run(&context()?, command),
        Command::Serve(args) => serve::serve(&context()?, args),
        Command::Init { username } => serve::init(&context()?, &username),
        Command::Account { who, command } => serve::account(&context()?, &who.name, command),
        Command::Keys { command } => keys::run(&context()?, command),
        Command::Backup { to } => keys::backup(&context()?, &to),
        Command::Restore { from } => keys::restore(&context()?, &from),
        Command::Demo => demo::run(&context()?, globals.data.as_deref()),
        Command::Generate { subjects, seed, until, areas, threads, commit_every } => {
            generate::run(&context()?, subjects, seed, until, areas.as_deref(), threads, commit_every)
        }
    }
}

fn register_publish(file: &Path) -> Result<(), Failure> {
    let added = grondslag_register::publish(file).map_err(|e| Failure(format!("{e}\n\nnothing was recorded")))?;
    let archive = grondslag_register::versions::archive_path(file);
    if added.is_empty() {
        say!("{}: every statement's version is already recorded", archive.display());
    }
    for (statement, version) in added {
        say!("{}: recorded version {version} of the {}", archive.display(), statement.title_nl());
    }
    Ok(())
}

fn register_check(file: Option<&Path>, data: Option<&DataDir>) -> Result<(), Failure> {
    let (register, warnings) = context::load_register(file).map_err(|e| {
        let diagnostics = e.to_string();
        let count = diagnostics.matches(": error: ").count();
        Failure(format!("{diagnostics}\n\n{count} error(s); the register was not accepted"))
    })?;
    let name = file.map_or_else(|| grondslag_register::SHIPPED_NAME.to_string(), |p| p.display().to_string());
    let editions: Vec<String> = register.meta.editions.iter().map(|e| format!("{} {} of {}", e.statement.name(), e.version, e.date)).collect();
    say!(
        "{name}: ok — {} processings, {} categories, {} recipients (versions: {})",
        register.processings.len(),
        register.categories_used().len(),
        register.recipients.len(),
        editions.join(", "),
    );
    // Plain language is measured, not promised: each statement's reading ease.
    for edition in &register.meta.editions {
        let readability = render::readability(&render::document(&register, edition.statement));
        say!("{name}: {} reads at {readability}", edition.statement.name());
    }
    for warning in warnings {
        eprintln!("warning: {name}: {warning}");
    }
    // With --data: what this register would change for the data held there.
    if let Some(data) = data {
        for change in data.retention_changes(&register)? {
            let (processing, records, root) = (&change.processing, change.records, data.root.display());
            match change.change {
                Change::Shorter | Change::Other => {
                    let how = if change.change == Change::Shorter { "shortens the term" } else { "changes the retention rule" };
                    eprintln!(
                        "warning: {name}: processing `{processing}` {how} of data already held ({records} record(s) in {root}); their due dates will be recomputed when grondslag next starts"
                    );
                }
                Change::Removed => eprintln!(
                    "warning: {name}: {records} record(s) in {root} are held under processing `{processing}`, which this register does not have; the retention sweep skips them until you add the processing back (or under its new name) or erase them"
                ),
            }
        }
        // K0: the call-centre protocol changes only with the works council's consent.
        let records = data.governance(grondslag_callqa::processing::PROTOCOL)?;
        let status = grondslag_callqa::governance::Status::from_records(&register, &records).map_err(|e| Failure(e.to_string()))?;
        match status.check() {
            Ok(Some(consent)) => say!("{name}: call-centre protocol version {} (works council consent of {})", consent.version, consent.consented_on),
            Ok(None) => eprintln!(
                "warning: {name}: no consent of the works council to the call-centre protocol is recorded in {}; record it with `grondslag kcc protocol consent` before handing it out (K0)",
                data.root.display()
            ),
            Err(refusal) => return Err(Failure(format!("{name}: {refusal}"))),
        }
    }
    Ok(())
}

/// Verifies the audit log of `data` with the key and checkpoint `trust` names.
pub(crate) fn audit_verify(data: &DataDir, trust: &Trust) -> Result<(), Failure> {
    let (store, keys) = data.open_audit(trust.public_key.as_deref())?;
    let trusted = trusted_checkpoint(data, trust, &keys)?;
    let bar = progress::counter("verifying audit log");
    let verification =
        grondslag_kernel::verify_store(store.as_ref(), &keys, trusted.as_ref(), &mut |checked| bar.set_position(checked)).inspect_err(|_| bar.abandon())?;
    bar.finish_and_clear();
    let forgotten = if verification.forgotten > 0 { format!(" ({} forgotten after their term)", verification.forgotten) } else { String::new() };
    say!("audit log ok: {} entries checked{forgotten}, {} signed checkpoints verified", verification.entries, verification.checkpoints);
    if trusted.is_none() {
        eprintln!(
            "warning: no witnessed checkpoint to hold the log to ({} is missing): a log cut short together with its checkpoints would pass; give --checkpoint FILE",
            data.witness().file().display()
        );
    }
    Ok(())
}

/// The chains' heads to hold the log to: from the notes of `--checkpoint`,
/// else of the witness file.
fn trusted_checkpoint(data: &DataDir, trust: &Trust, keys: &grondslag_audit::CheckpointVerifier) -> Result<Option<grondslag_audit::Combined>, Failure> {
    match &trust.checkpoint {
        Some(path) => {
            let text = fs::read_to_string(path).map_err(|e| Failure(format!("--checkpoint {}: {e}", path.display())))?;
            let heads = grondslag_kernel::witnessed_heads(&text, keys).ok_or_else(|| {
                Failure(format!("--checkpoint {}: holds no checkpoint signed by the audit key; give a signed note from the witness file", path.display()))
            })?;
            Ok(Some(heads))
        }
        None => Ok(data.witness().latest(keys)?),
    }
}

/// Prints an inclusion or consistency proof as JSON (hashes in hex).
fn audit_prove(data: &DataDir, trust: &Trust, entry: Option<u64>, from: Option<u64>, chain: grondslag_audit::Chain, size: Option<u64>) -> Result<(), Failure> {
    let (store, keys) = data.open_audit(trust.public_key.as_deref())?;
    let hashes = |hashes: &[grondslag_audit::Hash]| hashes.iter().map(|h| format!("{h:?}")).collect::<Vec<_>>();
    let proof = match (entry, from) {
        (Some(seq), _) => {
            let inclusion = grondslag_kernel::prove_inclusion(store.as_ref(), &keys, seq, size)?;
            serde_json::json!({
                "entry": inclusion.seq,
                "chain": inclusion.signed.chain.number(),
                "leaf_index": inclusion.position - 1,
                "tree_size": inclusion.signed.size,
                "leaf_hash": format!("{:?}", inclusion.leaf),
                "forgotten": inclusion.forgotten,
                "inclusion_path": hashes(&inclusion.path),
                "checkpoint": inclusion.checkpoint,
            })
        }
        (None, Some(first)) => {
            let consistency = grondslag_kernel::prove_consistency(store.as_ref(), &keys, chain, first, size)?;
            serde_json::json!({
                "chain": chain.number(),
                "first_checkpoint": consistency.first,
                "second_checkpoint": consistency.second,
                "consistency_path": hashes(&consistency.proof),
            })
        }
        (None, None) => return Err(Failure("give --entry N (inclusion) or --from SIZE (consistency)".to_string())),
    };
    say!("{}", serde_json::to_string_pretty(&proof)?);
    Ok(())
}
