//! `grondslag kcc …`: the call centre's quality protocol (K0–K12) from the
//! command line — the protocol's governance, who takes part, importing the
//! exchange's export, and the monthly selection. The form and the reports
//! are filled in on the pages (`/kcc`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use grondslag_accounts::{Accounts, Policy};
use grondslag_callqa::form::{Answer, CRITERIA};
use grondslag_callqa::import::Batch;
use grondslag_callqa::selection::{Filters, Selection};
use grondslag_callqa::team::{CapChange, CapReason};
use grondslag_callqa::training::Use;
use grondslag_callqa::{CallQa, Direction, Month};
use grondslag_kernel::{Access, RecordRef};
use grondslag_register::{Role, Scope};
use grondslag_values::dutch;

use crate::Failure;
use crate::context::{Actor, AsOf, Context, written};

#[derive(Subcommand, Debug)]
pub enum ProtocolCommand {
    /// Record the works council's consent to the register's protocol as a named version (as HR).
    Consent {
        /// The version's name as it is handed out, e.g. 2026-1.
        #[arg(long = "version-name", value_name = "NAME")]
        version: String,
        /// The date the works council consented (27-11-2026 or 2026-11-27).
        #[arg(long)]
        date: String,
        /// The works council's reference for its decision.
        #[arg(long)]
        reference: String,
    },
    /// Record the yearly evaluation of the consented version (as HR).
    Evaluate {
        /// The date of the evaluation.
        #[arg(long)]
        date: String,
        /// Its outcome.
        #[arg(long)]
        outcome: String,
    },
    /// Show the protocol's version, consent and when the next evaluation is due.
    Status,
}

#[derive(Subcommand, Debug)]
pub enum KccCommand {
    /// The protocol's governance: works-council consent and yearly evaluation (K0).
    #[command(subcommand)]
    Protocol(ProtocolCommand),
    /// Hand the consented protocol to an employee and enrol them under the exchange's agent id (as HR).
    Enrol {
        /// The employee's account (their own file is where their calls and reports are kept).
        #[arg(long)]
        account: String,
        /// Their function, e.g. klantcontactmedewerker.
        #[arg(long)]
        function: String,
        /// The exchange's id for them.
        #[arg(long)]
        agent: String,
    },
    /// Record (or with --remove end) an employee's coach or manager (as HR).
    Assign {
        /// The employee, by the exchange's agent id.
        #[arg(long)]
        agent: String,
        /// The coach's account.
        #[arg(long, conflicts_with = "manager", required_unless_present = "manager")]
        coach: Option<String>,
        /// A manager's account (the direct manager or the department manager).
        #[arg(long)]
        manager: Option<String>,
        /// End the relation instead.
        #[arg(long)]
        remove: bool,
    },
    /// Import a batch of the exchange's export: the metadata CSV (columns: call_id, agent, start,
    /// duration_seconds, direction, external, network_relation, private_line, audio) beside the audio files.
    Import { metadata: PathBuf },
    /// Announce the date a month's calls will be selected (as the employee's coach); the
    /// announcement is on the employee's page and, with --outbox, a message in that directory.
    Announce {
        #[arg(long)]
        agent: String,
        /// The month whose calls are selected, e.g. 2026-11.
        #[arg(long)]
        month: String,
        /// The selection date, after today.
        #[arg(long)]
        date: String,
        /// Calls shorter than this many seconds are not drawn.
        #[arg(long, default_value_t = Filters::default().min_seconds)]
        min_seconds: u32,
        /// Calls longer than this many seconds are not drawn.
        #[arg(long)]
        max_seconds: Option<u32>,
        /// Only inbound (in) or outbound (out) calls.
        #[arg(long)]
        direction: Option<String>,
        /// Write the announcement to the employee here, as a message file.
        #[arg(long)]
        outbox: Option<PathBuf>,
    },
    /// Draw calls for the month (as the coach, on or after the announced date); the seed is recorded.
    Draw {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        month: String,
        /// How many (more) calls; at most the month's number in all (4 unless changed with `kcc cap`).
        #[arg(long, default_value_t = grondslag_callqa::team::MONTHLY_CAP)]
        count: u32,
    },
    /// Mark a drawn call not representative; the next call of the draw takes its place.
    Exclude {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        month: String,
        /// The exchange's id of the call.
        #[arg(long)]
        call: String,
        /// Why it is not representative.
        #[arg(long)]
        reason: String,
    },
    /// Draw again from the recorded seed and say whether it gives the calls that were drawn.
    VerifyDraw {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        month: String,
    },
    /// Record a temporary change of the monthly number, with one of K4's four reasons (as the coach).
    Cap {
        #[arg(long)]
        agent: String,
        /// First month, e.g. 2026-12.
        #[arg(long)]
        from: String,
        /// Last month (at most six months on).
        #[arg(long)]
        until: String,
        /// Calls per month in that period.
        #[arg(long)]
        cap: u32,
        /// onboarding, new_topic, development_agreement or reduced_contact_work.
        #[arg(long)]
        reason: String,
    },
    /// Record that the employee agreed with their coach not to be told the selection date
    /// (K6), or with --undo that they are told again (as the coach).
    NotAnnounced {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        undo: bool,
    },
    /// Acknowledge receiving the protocol (as the employee, with --as).
    Acknowledge {
        #[arg(long)]
        agent: String,
    },
    /// Take a call into a training or a calibration session, with the employee's consent
    /// (K8; as a coach of the employee). Prints the copy's handle.
    Use {
        /// The exchange's id of the call.
        #[arg(long)]
        call: String,
        /// training or calibration.
        #[arg(long = "for", value_name = "USE")]
        use_: String,
    },
    /// Score a calibration copy on the 23 criteria (as a coach): ja, nee or ntc, comma-separated, in order.
    Score {
        /// The copy's handle, as `kcc use` printed it.
        copy: String,
        #[arg(long, value_delimiter = ',')]
        answers: Vec<String>,
    },
    /// The coaches' agreement (Fleiss' kappa) over the scores of calibration copies.
    Agreement {
        /// The copies' handles.
        #[arg(required = true)]
        copies: Vec<String>,
    },
    /// The employee's reports with their handles, date, norm and open requests (as their coach, or themselves).
    Reports {
        #[arg(long)]
        agent: String,
    },
    /// Bring in another coach for the second opinion the employee asked for (as their coach).
    SecondCoach {
        /// The report's handle.
        report: String,
        /// The other coach's account.
        #[arg(long)]
        coach: String,
    },
    /// Give the second opinion (as the coach brought in); your access ends with it.
    SecondOpinion {
        report: String,
        #[arg(long)]
        text: String,
    },
    /// A summary for the performance cycle over at least three reports: numbers only (K7).
    Summary {
        #[arg(long)]
        agent: String,
        /// First day, e.g. 01-01-2026.
        #[arg(long)]
        from: String,
        /// Last day.
        #[arg(long)]
        until: String,
    },
    /// Requests to delete a report whose four weeks to decide have passed (as a coach).
    OverdueDeletions {
        #[command(flatten)]
        as_of: AsOf,
    },
    /// The employee changed function: their reports and participation are deleted at once (K7).
    FunctionChanged {
        #[arg(long)]
        agent: String,
    },
}

fn default_role(command: &KccCommand) -> Role {
    match command {
        KccCommand::Protocol(_) | KccCommand::Enrol { .. } | KccCommand::Assign { .. } => Role::Hr,
        KccCommand::Import { .. } | KccCommand::FunctionChanged { .. } => Role::System,
        KccCommand::Acknowledge { .. } => Role::Employee,
        _ => Role::Coach,
    }
}

/// A record's handle as the commands print it (`subject.record`).
fn handle(text: &str) -> Result<RecordRef, Failure> {
    text.parse::<RecordRef>().map_err(|e| Failure(format!("`{text}` is not a handle as `grondslag kcc` prints them: {e}")))
}

fn date(option: &str, text: &str) -> Result<jiff::civil::Date, Failure> {
    Ok(dutch::amsterdam_date(written(option, text)?.start()))
}

pub fn run(context: &Context, actor: &Actor, command: KccCommand) -> Result<(), Failure> {
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let qa = CallQa::new(accounts.kernel())?;
    let access = context.access(&accounts, actor, default_role(&command))?;
    // Finding a participation by agent id is a lookup the system makes for the operator.
    let system = Access::new(grondslag_accounts::system_actor::COMMAND_LINE, Role::System, "cli", context.now);
    let participation = |agent: &str| -> Result<RecordRef, Failure> {
        qa.participation_by_agent(&system, agent)?
            .ok_or_else(|| Failure(format!("agent `{agent}` does not take part in the protocol; enrol them with `grondslag kcc enrol`")))
    };
    let selection = |agent: &str, month: &str| -> Result<Selection, Failure> {
        let month: Month = month.parse()?;
        let employee = participation(agent)?.subject;
        qa.selections(&access, &employee)?
            .into_iter()
            .find(|s| s.draw.month == month)
            .ok_or_else(|| Failure(format!("no selection of {month} for agent `{agent}`; announce it first with `grondslag kcc announce`")))
    };
    let person = |name: &str| -> Result<grondslag_kernel::SubjectId, Failure> {
        Ok(context.actor(&accounts, name)?.ok_or_else(|| Failure(format!("`{name}` is not a person's account")))?.record.subject)
    };
    match command {
        KccCommand::Protocol(ProtocolCommand::Consent { version, date: on, reference }) => {
            let consent = qa.record_consent(&access, &version, date("--date", &on)?, &reference)?;
            say!(
                "works council consent recorded: version {} (digest {}), evaluation due {}",
                consent.version,
                consent.digest,
                dutch::date(consent.evaluation_due())
            );
        }
        KccCommand::Protocol(ProtocolCommand::Evaluate { date: on, outcome }) => {
            let evaluation = qa.record_evaluation(&access, date("--date", &on)?, &outcome)?;
            say!("evaluation of {} recorded", dutch::date(evaluation.on));
        }
        KccCommand::Protocol(ProtocolCommand::Status) => {
            let status = qa.status()?;
            match (&status.consent, status.evaluation_due()) {
                (Some(consent), Some(due)) => {
                    say!(
                        "protocol version {} (digest {}), works council consent of {} ({})",
                        consent.version,
                        status.digest,
                        dutch::date(consent.consented_on),
                        consent.reference
                    );
                    let overdue = if due < dutch::amsterdam_date(context.now) { " — overdue" } else { "" };
                    say!("next evaluation due {}{overdue}", dutch::date(due));
                }
                _ => say!("protocol digest {}: no works council consent recorded for this version", status.digest),
            }
        }
        KccCommand::Enrol { account, function, agent } => {
            let holder = accounts.holder(&account, "cli", context.now)?.ok_or_else(|| Failure(format!("there is no account `{account}`")))?;
            let record = qa.enrol(&access, &holder.record.subject, &account, &function, &agent)?;
            say!("{account} takes part as agent {agent} ({record})");
        }
        KccCommand::Assign { agent, coach, manager, remove } => {
            let (scope, name) = match (coach, manager) {
                (Some(coach), _) => (Scope::Coached, coach),
                (None, Some(manager)) => (Scope::Managed, manager),
                (None, None) => return Err(Failure("give --coach or --manager".to_string())),
            };
            qa.assign(&access, &participation(&agent)?, scope, &person(&name)?, !remove)?;
            say!("{} {name} for agent {agent}", if remove { "ended" } else { "recorded" });
        }
        KccCommand::Import { metadata } => {
            let batch = Batch::read(&metadata)?;
            let bar = crate::progress::bar("importing calls", batch.calls.len() as u64);
            let imported = qa.import(&access, &batch, |n| bar.inc(n as u64))?;
            bar.finish_and_clear();
            say!(
                "{} call(s) stored; not stored: {} internal, {} on the private line, {} older than four weeks, {} imported before",
                imported.stored,
                imported.internal,
                imported.private_line,
                imported.expired,
                imported.duplicates
            );
        }
        KccCommand::Announce { agent, month, date: on, min_seconds, max_seconds, direction, outbox } => {
            let direction = direction.map(|d| d.parse::<Direction>()).transpose()?;
            let filters = Filters { min_seconds, max_seconds, direction };
            let month: Month = month.parse()?;
            let on = date("--date", &on)?;
            let record = participation(&agent)?;
            qa.announce(&access, &record.subject, month, on, filters)?;
            let participant = qa.participation(&access, &record)?;
            let told = !participant.not_announced;
            say!("selection of {month} announced for {}{}", dutch::date(on), if told { "" } else { " (not told: agreed with the coach)" });
            if let (Some(outbox), true) = (outbox, told) {
                std::fs::create_dir_all(&outbox).map_err(|e| Failure(format!("cannot create {}: {e}", outbox.display())))?;
                let file = outbox.join(format!("kcc-{agent}-{month}.txt"));
                let text = format!(
                    "Aan: {}\nOnderwerp: Selectie van gesprekken {month}\n\nOp {} selecteert je coach gesprekken van {month} voor monitoring en coaching (ten hoogste {} gesprekken). Welke gesprekken worden gekozen, hoor je niet vooraf.\n",
                    participant.name,
                    dutch::date(on),
                    participant.cap(month)
                );
                crate::private_file::write(&file, text.as_bytes())?;
                say!("announcement written to {}", file.display());
            }
        }
        KccCommand::Draw { agent, month, count } => {
            let selection = selection(&agent, &month)?;
            let drawn = qa.draw(&access, &selection.record, count, rand::random::<u64>())?;
            say!("{} call(s) drawn for {}: {}", drawn.len(), selection.draw.month, drawn.join(", "));
        }
        KccCommand::Exclude { agent, month, call, reason } => {
            let selection = selection(&agent, &month)?;
            let drawn = qa.exclude(&access, &selection.record, &call, &reason)?;
            say!("{call} marked not representative; drawn now: {}", drawn.join(", "));
        }
        KccCommand::VerifyDraw { agent, month } => {
            let selection = selection(&agent, &month)?;
            let (draw, holds) = qa.verify_draw(&access, &selection.record)?;
            let seed = draw.seed.map_or_else(|| "none (not drawn yet)".to_string(), |s| s.to_string());
            say!("seed {seed}; pool of {} call(s); {} excluded, {} withdrawn (K9)", draw.pool.len(), draw.excluded.len(), draw.withdrawn.len());
            if !holds {
                return Err(Failure(format!("the recorded draw ({}) does not follow from its seed ({})", draw.drawn.join(", "), draw.recompute().join(", "))));
            }
            say!("the draw follows from its seed: {}", draw.drawn.join(", "));
        }
        KccCommand::Cap { agent, from, until, cap, reason } => {
            let change = CapChange { from: from.parse()?, until: until.parse()?, cap, reason: reason.parse::<CapReason>()? };
            qa.change_cap(&access, &participation(&agent)?, &change)?;
            say!("{cap} call(s) a month from {} until {} ({})", change.from, change.until, change.reason.label_nl());
        }
        KccCommand::NotAnnounced { agent, undo } => {
            qa.agree_not_announced(&access, &participation(&agent)?, !undo)?;
            say!("agent {agent} {} the selection date", if undo { "is told" } else { "agreed not to be told" });
        }
        KccCommand::Acknowledge { agent } => {
            qa.acknowledge(&access, &participation(&agent)?)?;
            say!("receipt of the protocol acknowledged");
        }
        KccCommand::Use { call, use_ } => {
            let use_: Use = use_.parse()?;
            let record = qa
                .find_call(&system, &call)?
                .ok_or_else(|| Failure(format!("there is no call `{call}` (any more): recordings go four weeks after the call")))?;
            say!("{}", qa.use_call(&access, &record, use_)?);
        }
        KccCommand::Score { copy, answers } => {
            let answers = answers.iter().map(|a| a.parse::<Answer>()).collect::<Result<Vec<_>, _>>()?;
            qa.score(&access, &handle(&copy)?, &answers)?;
            say!("scored");
        }
        KccCommand::Agreement { copies } => {
            let copies = copies.iter().map(|c| handle(c)).collect::<Result<Vec<_>, _>>()?;
            let agreement = qa.agreement(&access, &copies)?;
            let kappa = |k: Option<f64>| k.map_or_else(|| "—".to_string(), |k| format!("{k:.2}"));
            say!("{} call(s) scored by {} coach(es); Fleiss' kappa overall {}", agreement.calls, agreement.coaches, kappa(agreement.overall));
            for (criterion, k) in CRITERIA.iter().zip(&agreement.per_criterion) {
                say!("{:>2}. {:<55} {}", criterion.number, criterion.question, kappa(*k));
            }
        }
        KccCommand::Reports { agent } => {
            for report in qa.reports_of(&access, &participation(&agent)?.subject)? {
                let norm = if report.norm.meets { "meets the norm" } else { "does not meet the norm" };
                let call = report.call.as_ref().map_or("", |c| c.label.as_str());
                let mut open = Vec::new();
                if report.second_opinion_asked.is_some() && report.second_opinions.is_empty() {
                    open.push("second opinion asked".to_string());
                }
                if let Some(request) = report.deletion.as_ref().filter(|d| d.refused.is_none()) {
                    open.push(format!("deletion asked, decide by {}", dutch::moment(request.due())));
                }
                say!("{}  {}  {call}  {norm}  {}", report.record, dutch::date(report.form.date), open.join("; "));
            }
        }
        KccCommand::SecondCoach { report, coach } => {
            qa.bring_in_second_coach(&access, &handle(&report)?, &person(&coach)?)?;
            say!("{coach} may read the report until they give their opinion");
        }
        KccCommand::SecondOpinion { report, text } => {
            qa.give_second_opinion(&access, &handle(&report)?, &text)?;
            say!("second opinion recorded; your access to the employee's reports has ended");
        }
        KccCommand::Summary { agent, from, until } => {
            let employee = participation(&agent)?.subject;
            let summary = qa.summary(&access, &employee, date("--from", &from)?, date("--until", &until)?)?;
            say!("{} report(s), {} meeting the norm", summary.reports, summary.meeting_norm);
            for (phase, ja, judged) in summary.per_phase {
                say!("{:<12} {ja} of {judged} criteria Ja", phase.label());
            }
        }
        KccCommand::OverdueDeletions { as_of } => {
            let overdue = qa.overdue_deletions(&access, as_of.at(context)?)?;
            for (report, due) in &overdue {
                say!("{report}  due {}", dutch::moment(*due));
            }
            say!("{} overdue request(s) to delete a report", overdue.len());
        }
        KccCommand::FunctionChanged { agent } => {
            qa.function_changed(&access, &participation(&agent)?)?;
            say!("agent {agent}: reports and participation deleted");
        }
    }
    Ok(())
}
