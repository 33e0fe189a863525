//! `grondslag-bench load`: the load generator (`grondslag_bench::load`)
//! against nodes already serving, with accounts already made
//! (`scripts/bench-load.sh` does both); prints the figures as a row of
//! BENCHMARKS.md's table and a row per kind of request, then reads every
//! acknowledged write back through every node.

use std::path::PathBuf;

use clap::Args;
use grondslag_bench::load::{self, Account, Desk, Figures, Kind, Plan};

use crate::Failure;

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// Base URLs of the nodes (comma-separated); client i talks to node i mod their number.
    #[arg(long, value_delimiter = ',', required = true)]
    nodes: Vec<String>,
    /// One client per line: case handler's user name and authenticator key, applicant's user
    /// name and authenticator key, the applicant's BSN; separated by spaces.
    #[arg(long)]
    accounts: PathBuf,
    /// The password of every account in --accounts.
    #[arg(long, env = "GRONDSLAG_BENCH_PASSWORD")]
    password: String,
    /// Requests in all, shared out over the clients.
    #[arg(long, default_value_t = 4000)]
    requests: usize,
    /// Seeds each client's sequence of kinds of request.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// What the first column of the row says, e.g. "PostgreSQL, 2 nodes".
    #[arg(long, default_value = "")]
    label: String,
}

fn desks(args: &LoadArgs) -> Result<Vec<Desk>, Failure> {
    let text = std::fs::read_to_string(&args.accounts).map_err(|e| Failure(format!("reading {}: {e}", args.accounts.display())))?;
    let account = |username: &str, secret: &str| Account { username: username.to_string(), password: args.password.clone(), secret: secret.to_string() };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| match line.split_whitespace().collect::<Vec<_>>()[..] {
            [handler, handler_secret, applicant, applicant_secret, bsn] => {
                Ok(Desk { handler: account(handler, handler_secret), applicant: account(applicant, applicant_secret), bsn: bsn.to_string() })
            }
            _ => Err(Failure(format!("{}: expected five words per line, found {line:?}", args.accounts.display()))),
        })
        .collect()
}

fn row(first: &str, f: &Figures) -> String {
    format!("| {first} | {} | {} | {:.1} | {:.1} | {:.1} |", f.requests, f.errors, f.p50_ms, f.p99_ms, f.max_ms)
}

pub fn run(args: &LoadArgs) -> Result<(), Failure> {
    let desks = desks(args)?;
    let plan = Plan { nodes: &args.nodes, desks: &desks, requests: args.requests, seed: args.seed };
    let run = load::run(&plan)?;
    let seconds = run.elapsed.as_secs_f64();
    let all = run.figures(None);
    println!("load: {} clients on {} node(s), {} requests (seed {}) in {seconds:.1} s", desks.len(), args.nodes.len(), all.requests, args.seed);
    println!("| kind of request | requests | errors | p50 ms | p99 ms | max ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for kind in Kind::ALL {
        println!("{}", row(kind.describe(), &run.figures(Some(kind))));
    }
    println!("{}", row("all", &all));
    // The row BENCHMARKS.md's table takes (scripts/bench-load.sh collects them).
    println!("row: {} {:.0} | {:.0} |", row(&args.label, &all), all.requests as f64 / seconds, run.writes() as f64 / seconds);
    for failed in run.errors().take(10) {
        println!("error: {}: {}", failed.kind.describe(), failed.error.as_deref().unwrap_or_default());
    }
    let wrong = run.read_back(&args.nodes);
    println!("read back: {} cases through each of {} node(s), {} missing or different", run.written.len(), args.nodes.len(), wrong.len());
    for case in wrong.iter().take(10) {
        println!("  {case}");
    }
    if all.errors > 0 || !wrong.is_empty() {
        return Err(Failure(format!("{} requests failed, {} writes do not read back", all.errors, wrong.len())));
    }
    Ok(())
}
