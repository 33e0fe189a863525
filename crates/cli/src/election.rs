//! `grondslag election …`: the works-council election (I6) from the
//! command line — the committee opens, counts and publishes; an employee
//! stands as a candidate or votes, as themselves (`--as` their account).

use std::sync::Arc;

use clap::Subcommand;
use grondslag_accounts::{Accounts, Policy};
use grondslag_hr::Hr;
use grondslag_register::Role;
use grondslag_values::dutch;

use crate::Failure;
use crate::context::{Actor, Context, written};

#[derive(Subcommand, Debug)]
pub enum ElectionCommand {
    /// Open an election with its empty ballot box (as the election committee).
    Open {
        /// What it is called, e.g. "OR-verkiezing 2026".
        #[arg(long)]
        name: String,
        /// The election day, on which eligibility is decided (1-12-2026 or 2026-12-01).
        #[arg(long)]
        day: String,
    },
    /// List the elections, with their ids.
    List,
    /// Stand as a candidate with your promotion text (as yourself, an employee's account).
    Stand {
        /// The election's id (`grondslag election list`).
        #[arg(long)]
        election: String,
        /// Your own promotion text.
        #[arg(long)]
        promotion: String,
    },
    /// List an election's candidates, with the candidacy ids a vote names.
    Candidates {
        /// The election's id.
        #[arg(long)]
        election: String,
    },
    /// Vote for a candidacy (as yourself, an employee's account); once.
    Vote {
        /// The election's id.
        #[arg(long)]
        election: String,
        /// The candidacy's id (`grondslag election candidates`).
        #[arg(long)]
        candidate: String,
    },
    /// Count the ballot box (as the election committee).
    Count {
        /// The election's id.
        #[arg(long)]
        election: String,
    },
    /// Count, close the election and publish its result (as the election committee).
    Publish {
        /// The election's id.
        #[arg(long)]
        election: String,
    },
}

fn default_role(command: &ElectionCommand) -> Role {
    match command {
        ElectionCommand::Stand { .. } | ElectionCommand::Candidates { .. } | ElectionCommand::Vote { .. } => Role::Employee,
        _ => Role::ElectionCommittee,
    }
}

pub fn run(context: &Context, actor: &Actor, command: ElectionCommand) -> Result<(), Failure> {
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let hr = Hr::new(accounts.kernel())?;
    let access = context.access(&accounts, actor, default_role(&command))?;
    // A candidate and a voter act for themselves: their own file.
    let own = || access.subject.clone().ok_or_else(|| Failure("sign in as yourself: give your own account with --as".to_string()));
    match command {
        ElectionCommand::Open { name, day } => {
            let day = dutch::amsterdam_date(written("--day", &day)?.start());
            let election = hr.open_election(&access, &name, day)?;
            say!("election {} opened for {}: id {}", election.name, dutch::date(election.day), election.id());
        }
        ElectionCommand::List => {
            for election in hr.elections()? {
                let state = if hr.result(&election)?.is_some() { "published" } else { "open" };
                say!("{}  {}  {}  {state}", election.id(), dutch::date(election.day), election.name);
            }
        }
        ElectionCommand::Stand { election, promotion } => {
            let election = hr.election(&election)?;
            let record = hr.stand(&access, &election, &own()?, &promotion)?;
            say!("you stand in {}: candidacy {}", election.name, record.record);
        }
        ElectionCommand::Candidates { election } => {
            let election = hr.election(&election)?;
            for candidate in hr.candidates(&access, &election)? {
                say!("{}  {}\n    {}", candidate.candidacy, candidate.name, candidate.promotion);
            }
        }
        ElectionCommand::Vote { election, candidate } => {
            let election = hr.election(&election)?;
            hr.vote(&access, &election, &own()?, &candidate)?;
            say!("your vote in {} is in the ballot box; nothing links it to you", election.name);
        }
        ElectionCommand::Count { election } => print_tally(&hr.count(&access, &hr.election(&election)?)?, "counted")?,
        ElectionCommand::Publish { election } => print_tally(&hr.publish(&access, &hr.election(&election)?)?, "closed and published")?,
    }
    Ok(())
}

fn print_tally(tally: &grondslag_hr::election::Tally, what: &str) -> Result<(), Failure> {
    say!("{} ({}), {what}: {} votes cast", tally.election, dutch::date(tally.day), tally.cast);
    for (name, votes) in &tally.votes {
        say!("  {votes:>5}  {name}");
    }
    Ok(())
}
