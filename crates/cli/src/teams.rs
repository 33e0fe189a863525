//! `grondslag teams …`: accounts in the team applications (I7) — which
//! applications there are and how long each keeps an ended account's
//! data, and the accounts of an employee in them.

use std::sync::Arc;

use clap::Subcommand;
use grondslag_accounts::{Accounts, Policy};
use grondslag_hr::Hr;
use grondslag_register::Role;

use crate::Failure;
use crate::context::{Actor, Context};

#[derive(Subcommand, Debug)]
pub enum TeamsCommand {
    /// Register a team application, or change its term (as admin).
    Application {
        /// Its name, e.g. Confluence.
        #[arg(long)]
        name: String,
        /// How long an account's data is kept after the account ends, e.g. "2 years" or "6 months".
        #[arg(long)]
        term: String,
    },
    /// List the team applications and their terms.
    Applications,
    /// Create an employee's account in an application (as admin); no password is stored: the application keeps it.
    Create {
        /// The employee's account here (their own file holds the team accounts).
        #[arg(long)]
        account: String,
        /// The application, as registered.
        #[arg(long)]
        application: String,
        /// The user name in the application.
        #[arg(long)]
        username: String,
        /// The e-mail address the account uses.
        #[arg(long)]
        email: String,
    },
    /// List an employee's team accounts.
    List {
        /// The employee's account here.
        #[arg(long)]
        account: String,
    },
    /// End an employee's account in one application, or with --all every account still in use; the terms start now.
    End {
        /// The employee's account here.
        #[arg(long)]
        account: String,
        /// The application whose account ends.
        #[arg(long, required_unless_present = "all", conflicts_with = "all")]
        application: Option<String>,
        /// End every account of the employee still in use (as when the employment ends).
        #[arg(long)]
        all: bool,
    },
}

pub fn run(context: &Context, actor: &Actor, command: TeamsCommand) -> Result<(), Failure> {
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let hr = Hr::new(accounts.kernel())?;
    let access = context.access(&accounts, actor, Role::Admin)?;
    let person = |name: &str| -> Result<grondslag_kernel::SubjectId, Failure> {
        Ok(context.actor(&accounts, name)?.ok_or_else(|| Failure(format!("`{name}` is not a person's account")))?.record.subject)
    };
    match command {
        TeamsCommand::Application { name, term } => {
            let application = hr.register_application(&access, &name, &term)?;
            say!("{}: an ended account's data is kept {}", application.name, application.term);
        }
        TeamsCommand::Applications => {
            for application in hr.applications(&access)? {
                say!("{}\t{}", application.name, application.term);
            }
        }
        TeamsCommand::Create { account, application, username, email } => {
            let record = hr.create_team_account(&access, &person(&account)?, &application, &username, &email)?;
            say!("{} account `{username}` created ({})", application, record.record);
        }
        TeamsCommand::List { account } => {
            for a in hr.team_accounts(&access, &person(&account)?)? {
                say!("{}\t{}\t{}\t{}", a.application, a.username, a.email, if a.ended { "ended" } else { "active" });
            }
        }
        TeamsCommand::End { account, application: Some(application), .. } => {
            let employee = person(&account)?;
            let found = hr.team_accounts(&access, &employee)?.into_iter().find(|a| a.application == application && !a.ended).ok_or_else(|| {
                Failure(format!("`{account}` has no account in use in {application}; `grondslag teams list --account {account}` shows theirs"))
            })?;
            hr.end_team_account(&access, &found.record)?;
            say!("{application} account `{}` ended; its term starts now", found.username);
        }
        TeamsCommand::End { account, application: None, .. } => {
            let ended = hr.end_team_accounts(&access, &person(&account)?)?;
            say!("{ended} team account(s) of `{account}` ended; their terms start now");
        }
    }
    Ok(())
}
