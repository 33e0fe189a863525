//! `grondslag retention …`: carry out the register's terms, and report on them.

use std::collections::BTreeMap;

use clap::Subcommand;
use grondslag_kernel::Access;
use grondslag_register::Role;

use crate::context::{AsOf, Context};
use crate::{Failure, progress};

#[derive(Subcommand, Debug)]
pub enum RetentionCommand {
    /// Delete what is due, in batches (one transaction each), and forget audit entries past their
    /// term; safe to stop and run again.
    Run {
        /// List what would go, per processing and month, and delete nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        now: AsOf,
        /// Records per batch.
        #[arg(long, default_value_t = 500)]
        batch: u64,
    },
    /// Per processing: records held, records with a due date and the next one, records under hold, records waiting for an event.
    Report,
}

pub fn run(context: &Context, command: RetentionCommand) -> Result<(), Failure> {
    let kernel = context.open_kernel()?;
    match command {
        RetentionCommand::Run { dry_run, now, batch } => {
            let now = now.at(context)?;
            if dry_run {
                let mut months: BTreeMap<(String, String), u64> = BTreeMap::new();
                for (processing, due) in kernel.due_at(now)? {
                    *months.entry((processing, due.strftime("%Y-%m").to_string())).or_default() += 1;
                }
                if months.is_empty() {
                    say!("nothing is due at {now}");
                }
                for ((processing, month), count) in months {
                    say!("{processing:<36} due {month}: {count} record(s)");
                }
                return Ok(());
            }
            let access = Access::new(grondslag_accounts::system_actor::RETENTION, Role::System, "cli:retention", now);
            let bar = progress::counter("deleting what is due");
            let certificates = kernel.sweep(&access, now, batch, None, |deleted| bar.set_position(deleted)).inspect_err(|_| bar.abandon())?;
            bar.finish_and_clear();
            let total: u64 = certificates.iter().map(|c| c.records).sum();
            say!("{total} record(s) deleted; {} deletion certificate(s) in the audit log", certificates.len());
            let bar = progress::counter("forgetting audit entries past their term");
            let forgotten = kernel.forget_audit(&access, batch, |done| bar.set_position(done)).inspect_err(|_| bar.abandon())?;
            bar.finish_and_clear();
            say!("{forgotten} audit entr(y/ies) forgotten after their term (their hashes stay in the chain)");
        }
        RetentionCommand::Report => {
            say!("{:<36} {:>8} {:>8} {:>6} {:>8}  next due", "processing", "records", "dated", "held", "waiting");
            for l in kernel.retention_report()? {
                let next = l.next_due.map_or("-".to_string(), |n| n.to_string());
                say!("{:<36} {:>8} {:>8} {:>6} {:>8}  {next}", l.processing, l.records, l.dated, l.held, l.waiting);
            }
            let overdue = kernel.overdue_reviews(context.now)?;
            if !overdue.is_empty() {
                say!("\nholds whose review is overdue:");
                for (processing, record, review) in overdue {
                    say!("  {processing:<34} {record}  review was due {review}");
                }
            }
        }
    }
    Ok(())
}
