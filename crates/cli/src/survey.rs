//! `grondslag survey …`: the employee survey (I2) from the command line —
//! HR opens it, invites, reports and closes; a respondent answers through
//! their invitation's token, anonymously or, by choice, linked to their
//! own file (`--link`, as themselves).

use std::sync::Arc;

use clap::Subcommand;
use grondslag_accounts::{Accounts, Policy};
use grondslag_hr::Hr;
use grondslag_kernel::RecordRef;
use grondslag_register::Role;

use crate::Failure;
use crate::context::{Actor, Context};

#[derive(Subcommand, Debug)]
pub enum SurveyCommand {
    /// Open a survey with its questions, each answered from 1 to 5 (as HR).
    Open {
        /// What it is called, e.g. "MTO 2026".
        #[arg(long)]
        name: String,
        /// A question; give --question once per question, in order.
        #[arg(long = "question", required = true)]
        questions: Vec<String>,
    },
    /// List the surveys, with their ids.
    List,
    /// Invite employees, by account, all at once; prints each one's link token (as HR).
    Invite {
        /// The survey's id (`grondslag survey list`).
        #[arg(long)]
        survey: String,
        /// An employee's account; give --account once per invitee.
        #[arg(long = "account", required = true)]
        accounts: Vec<String>,
    },
    /// Answer through an invitation's token, with consent; anonymous unless --link.
    Answer {
        /// The token from the invitation's link.
        #[arg(long)]
        token: String,
        /// The answers, in the questions' order, each 1 to 5, e.g. 4,3,5.
        #[arg(long, value_delimiter = ',', required = true)]
        answers: Vec<u8>,
        /// Consent to processing the answers (I2).
        #[arg(long)]
        consent: bool,
        /// Add your contact details: the answers go into your own file (give --as your account).
        #[arg(long)]
        link: bool,
    },
    /// Withdraw linked answers: unlink them (they stay, anonymous) or delete them (as yourself).
    Withdraw {
        /// The linked answers' record (SUBJECT.RECORD), as `answer --link` printed it.
        #[arg(long)]
        record: RecordRef,
        /// Delete instead of unlink.
        #[arg(long)]
        delete: bool,
    },
    /// The results per group; no group under 5 respondents is shown (as HR).
    Report {
        /// The survey's id.
        #[arg(long)]
        survey: String,
    },
    /// Close the survey: invitations are then deleted, and the answers' term starts (as HR).
    Close {
        /// The survey's id.
        #[arg(long)]
        survey: String,
    },
}

fn default_role(command: &SurveyCommand) -> Role {
    match command {
        SurveyCommand::Answer { .. } | SurveyCommand::Withdraw { .. } => Role::Employee,
        _ => Role::Hr,
    }
}

pub fn run(context: &Context, actor: &Actor, command: SurveyCommand) -> Result<(), Failure> {
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let hr = Hr::new(accounts.kernel())?;
    let access = context.access(&accounts, actor, default_role(&command))?;
    let own = || access.subject.clone().ok_or_else(|| Failure("give your own account with --as to link your answers to yourself".to_string()));
    match command {
        SurveyCommand::Open { name, questions } => {
            let survey = hr.open_survey(&access, &name, &questions)?;
            say!("survey {} opened: id {}", survey.name, survey.id());
        }
        SurveyCommand::List => {
            for survey in hr.surveys(context.now)? {
                say!("{}  {} ({} questions)", survey.id(), survey.name, survey.questions.len());
            }
        }
        SurveyCommand::Invite { survey, accounts: names } => {
            let survey = hr.survey(&survey, context.now)?;
            let mut invitees = Vec::new();
            for name in &names {
                let account = context.actor(&accounts, name)?.ok_or_else(|| Failure(format!("`{name}` is not a person's account")))?;
                invitees.push(account.record.subject);
            }
            for (name, invitation) in names.iter().zip(hr.invite(&access, &survey, &invitees)?) {
                say!("{name}  {}", invitation.token);
            }
        }
        SurveyCommand::Answer { token, answers, consent, link } => {
            if link {
                let record = hr.answer_linked(&access, &own()?, &token, &answers, consent)?;
                say!("your answers are in your own file as {record}; withdraw with `grondslag survey withdraw --record {record}`");
            } else {
                hr.answer(&token, &answers, consent, context.now)?;
                say!("thank you; your answers are kept without anything that links them to you");
            }
        }
        SurveyCommand::Withdraw { record, delete } => {
            hr.withdraw_linked(&access, &record, !delete)?;
            say!("{}", if delete { "your linked answers are deleted" } else { "your answers are no longer linked to you" });
        }
        SurveyCommand::Report { survey } => {
            let report = hr.report(&access, &hr.survey(&survey, context.now)?)?;
            say!("{}", report.name);
            for group in &report.groups {
                let averages: Vec<String> = group.averages.iter().map(|a| format!("{a:.1}")).collect();
                say!("  {:<24} {:>4} respondents  {}", group.group, group.respondents, averages.join("  "));
            }
            if report.suppressed > 0 {
                say!("  {} responses not shown: fewer than {} in all", report.suppressed, grondslag_hr::survey::THRESHOLD);
            }
        }
        SurveyCommand::Close { survey } => {
            hr.close_survey(&access, &hr.survey(&survey, context.now)?)?;
            say!("survey closed; its invitations are due for deletion");
        }
    }
    Ok(())
}
