//! `grondslag-bench`: every figure of BENCHMARKS.md, each beside a baseline
//! measured in the same run, printed as a ratio.
//!
//! A binary of its own, apart from the product: measuring needs what the
//! product must not link — Cedar (the baseline decider, behind the `cedar`
//! feature), plotters (the plot), and raw SQLite beside the store (the
//! baselines, and counting and filling a store behind the kernel's back).
//! Those are dependencies of this crate only, so `grondslag` builds, ships
//! and is audited without them. It measures the kernel and the modules
//! through their public interfaces, on scratch data directories of its own
//! (or populations `grondslag generate` made), under the register and the
//! master key the product would use.

mod bench;

use std::path::PathBuf;

use clap::Parser;

/// The product's allocator (see `crates/cli/src/main.rs`), so that the
/// figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Measure the kernel against baselines: decisions, audited writes, access export, case list,
/// audit verification, the relation check and the staff and expert case lists at --cases
/// cases, the audit log at --audit-entries entries (verified against the witness, inclusion
/// proofs), the call centre's import of --calls calls and monthly selection for --employees
/// employees, counting a works-council election of 1,000 voters, the management report over --staff employees, and the retention sweep, each
/// beside a baseline measured in the same run.
/// With --database-url (a PostgreSQL server where the user may create databases): the kernel
/// on PostgreSQL beside SQLite, and one node beside two, in a scratch database dropped afterwards.
#[derive(Parser, Debug)]
#[command(
    name = "grondslag-bench",
    version,
    long_about = None,
    after_help = "GRONDSLAG_MASTER_KEY (64 hex characters) gives the master key the scratch stores are opened with \
instead of a fresh key file each. Build with `--features cedar` to time Cedar beside the kernel's decision."
)]
struct Cli {
    /// Register file to measure under instead of the shipped register/img.toml.
    #[arg(long, env = "GRONDSLAG_REGISTER")]
    register: Option<PathBuf>,
    /// A PostgreSQL server (postgres://user@host:port/db) where the user may create databases:
    /// measure the kernel there beside SQLite, and one node beside two.
    #[arg(long, env = "GRONDSLAG_DATABASE_URL")]
    database_url: Option<String>,
    /// Writes per measured run.
    #[arg(long, default_value_t = 2000)]
    writes: u32,
    /// Decisions per measured run (of them, at most 100,000 with a relation lookup in the store).
    #[arg(long, default_value_t = 1_000_000)]
    decisions: u32,
    /// Sizes of synthetic populations generated for the access export, the case list and the
    /// audit verification (people; comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    subjects: Vec<u64>,
    /// Data directories made by `grondslag generate`, measured after the generated ones
    /// (comma-separated); the last store measured also has its audit log verified.
    #[arg(long, value_delimiter = ',')]
    population: Vec<PathBuf>,
    /// Access exports and case lists timed per store.
    #[arg(long, default_value_t = 300)]
    samples: usize,
    /// Cases in a store filled for the relation check in the decision and the staff and
    /// expert case lists (through the store's statements, not generated people; 0 skips them).
    #[arg(long, default_value_t = 1_000_000)]
    cases: u64,
    /// Numbers of dated items at which the sweep with nothing due is timed.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    sweep_sizes: Vec<u64>,
    /// Records made due and then deleted by the sweep, for its deletion rate.
    #[arg(long, default_value_t = 100_000)]
    due_records: u32,
    /// Entries in an audit log filled for verification against the witness and inclusion
    /// proofs (0 skips them).
    #[arg(long, default_value_t = 1_000_000)]
    audit_entries: u64,
    /// Calls of a year imported through the call centre's quality protocol, a daily batch
    /// at a time, then the monthly selection for every employee (0 skips them).
    #[arg(long, default_value_t = 500_000)]
    calls: u64,
    /// Employees the calls are spread over (coached in teams of 10).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..))]
    employees: u32,
    /// One call in this many carries a (tiny) recording; only those can be drawn.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    call_audio_every: u32,
    /// Employees registered through HR's step for the management report (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    staff: usize,
    /// Write a PNG plot here: the sweep's time against dated items and the
    /// export's against people; with --database-url, audited writes/s against
    /// the number of nodes writing at once.
    #[arg(long)]
    plot: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// The load test: clients mixing reads and writes against nodes already serving
    /// (scripts/bench-load.sh starts them); prints p50, p99 and errors, reads every
    /// acknowledged write back, and fails if a request failed or a write is missing.
    Load(bench::load::LoadArgs),
}

/// A failure to report: the message for the user, which `main` prints
/// (through `Debug`) before exiting with 1.
pub struct Failure(String);

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn main() -> Result<(), Failure> {
    run(Cli::parse())
}

fn run(cli: Cli) -> Result<(), Failure> {
    if let Some(Command::Load(args)) = &cli.command {
        return bench::load::run(args);
    }
    let (register, _) = grondslag_register::load(cli.register.as_deref(), None)?;
    let master = grondslag_kernel::master_key_from_env()?;
    let options = bench::Options {
        writes: cli.writes,
        decisions: cli.decisions,
        subjects: &cli.subjects,
        populations: &cli.population,
        samples: cli.samples,
        cases: cli.cases,
        sweep_sizes: &cli.sweep_sizes,
        due_records: cli.due_records,
        plot: cli.plot.as_deref(),
        postgres: cli.database_url.as_deref(),
        audit_entries: cli.audit_entries,
        calls: cli.calls,
        employees: cli.employees,
        staff: cli.staff,
        call_audio_every: cli.call_audio_every,
    };
    bench::run(&bench::Kernels { register: &register, master: master.as_ref() }, &options)
}

/// Progress bars on stderr, hidden when stderr is not a terminal.
mod progress {
    use indicatif::{ProgressBar, ProgressStyle};

    pub fn bar(message: &'static str, length: u64) -> ProgressBar {
        let bar = ProgressBar::new(length).with_message(message);
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({per_sec}, eta {eta})") {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }
}
