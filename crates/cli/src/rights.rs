//! `grondslag rights …`: the rights process from the command line.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use grondslag_accounts::{Accounts, Policy};
use grondslag_kernel::{Access, Kernel, RecordRef, SubjectId};
use grondslag_register::{Category, Role};
use grondslag_rights::export;
use grondslag_rights::requests::{RequestState, Requests, RightKind};

use crate::Failure;
use crate::context::{self, Actor, AsOf, Context};

#[derive(Subcommand, Debug)]
pub enum RightsCommand {
    /// File a request of a data subject, found by --bsn or --subject.
    File {
        /// access, explanation, rectification, erasure, restriction, portability, objection, withdraw_consent, opt_out_of_approach.
        #[arg(long)]
        kind: String,
        /// The requester's name as given (the person's, or their representative's): kept in
        /// the request, never as the audit log's actor — that is --as, whoever registers it.
        #[arg(long = "name", value_name = "NAME")]
        requester: String,
        #[arg(long)]
        bsn: Option<String>,
        /// The subject's pseudonym.
        #[arg(long)]
        subject: Option<String>,
        /// The pseudonym of a representative filing for the subject; needs an active authorisation.
        #[arg(long)]
        representative: Option<String>,
        /// When the request arrived, if before now (a letter read on Friday, registered on Monday):
        /// its term counts from here. 27-11-2026, 2026-11-27, or with a time 27-11-2026 10:00.
        #[arg(long, value_name = "MOMENT")]
        received: Option<String>,
    },
    /// Record how the requester's identity was verified (nothing is answered before).
    Verify {
        request: String,
        /// e.g. "DigiD", "ID document checked at the desk".
        #[arg(long)]
        method: String,
    },
    /// Extend the term by one or two months, with a reason; the notice to the person is recorded now.
    Extend {
        request: String,
        #[arg(long)]
        months: i64,
        #[arg(long)]
        reason: String,
    },
    /// Open requests by due date, overdue first.
    List {
        #[command(flatten)]
        now: AsOf,
    },
    /// Record the answer to a request.
    Answer { request: String, text: String },
    /// Erase what may be erased (art. 17); prints what stays and why.
    Erase { request: String },
    /// Withdraw consent for one processing: its items go at once.
    Withdraw { request: String, processing: String },
    /// Correct a value everywhere it is held (art. 16); prints who received the old value.
    Rectify {
        request: String,
        #[arg(long)]
        category: String,
        #[arg(long)]
        old: String,
        #[arg(long)]
        new: String,
    },
    /// Write the portability archive (art. 20) to --out.
    Portability {
        request: String,
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Restrict processing (art. 18); --lift lifts it.
    Restrict {
        request: String,
        #[arg(long)]
        lift: bool,
    },
    /// Record and answer an objection (art. 21) against a processing.
    Object {
        request: String,
        processing: String,
        #[arg(long)]
        grounds: String,
        #[arg(long)]
        outcome: String,
    },
    /// Write the access export (JSON and a Dutch HTML page) for a verified request.
    Export {
        request: String,
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
}

fn request(text: &str) -> Result<RecordRef, Failure> {
    text.parse().map_err(|e| Failure(format!("`{text}` is not a request handle (subject.record, as listed): {e}")))
}

fn line(state: &RequestState, today: jiff::civil::Date) -> String {
    let overdue = if state.overdue(today) { "  OVERDUE" } else { "" };
    let identity = if state.identity.is_some() { "identity verified" } else { "identity NOT verified" };
    format!("{}  {:<20} received {}  due {}  {identity}{overdue}", state.request, state.kind.name(), state.received, state.due)
}

pub fn run(context: &Context, actor: &Actor, command: RightsCommand) -> Result<(), Failure> {
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let kernel: &Kernel = accounts.kernel();
    let requests = Requests::new(kernel)?;
    let access = context.access(&accounts, actor, Role::PrivacyOfficer)?;
    let today = grondslag_values::dutch::amsterdam_date(access.now);
    match command {
        RightsCommand::File { kind, requester, bsn, subject, representative, received } => {
            let received = received.map(|text| context::arrived("--received", context::written("--received", &text)?, access.now)).transpose()?;
            // A representative files as themselves; the kernel checks the
            // authorisation (machtiging) they hold from the person.
            let access = match representative.map(|r| SubjectId::parse(&r)).transpose()? {
                Some(representative) => Access { role: Role::Representative, actor: representative.to_string(), ..access.clone() }.acting_as(representative),
                None => access.clone(),
            };
            let kind = RightKind::from_name(&kind).ok_or_else(|| Failure(format!("unknown request kind `{kind}`")))?;
            let processing = kernel.processing("rechtenverzoeken")?;
            let subject = match (bsn, subject) {
                (Some(bsn), None) => kernel.find_to_file(&access, processing, &bsn)?.ok_or_else(|| Failure("no one with this BSN is known".to_string()))?,
                (None, Some(subject)) => SubjectId::parse(&subject)?,
                _ => return Err(Failure("give --bsn or --subject".to_string())),
            };
            say!("{}", line(&requests.file_received(&access, &subject, kind, &requester, None, received.unwrap_or(access.now))?, today));
        }
        RightsCommand::Verify { request: r, method } => say!("{}", line(&requests.verify_identity(&access, &request(&r)?, &method)?, today)),
        RightsCommand::Extend { request: r, months, reason } => say!("{}", line(&requests.extend(&access, &request(&r)?, months, &reason)?, today)),
        RightsCommand::List { now } => {
            let today = grondslag_values::dutch::amsterdam_date(now.at(context)?);
            for state in requests.open(&access)? {
                say!("{}", line(&state, today));
            }
        }
        RightsCommand::Answer { request: r, text } => say!("{}", line(&requests.answer(&access, &request(&r)?, &text)?, today)),
        RightsCommand::Erase { request: r } => {
            let answer = requests.erase(&access, &request(&r)?)?;
            say!("erased: {}", answer.erased.join(", "));
            for (processing, why) in answer.kept {
                say!("kept: {processing} — {why}");
            }
        }
        RightsCommand::Withdraw { request: r, processing } => {
            say!("{} item(s) of {processing} erased", requests.withdraw_consent(&access, &request(&r)?, &processing)?);
        }
        RightsCommand::Rectify { request: r, category, old, new } => {
            let category = Category::from_name(&category).ok_or_else(|| Failure(format!("`{category}` is not a category")))?;
            let done = requests.rectify(&access, &request(&r)?, category, &old, &new)?;
            say!("{} record(s) corrected; tell: {}", done.records, if done.notify.is_empty() { "nobody".to_string() } else { done.notify.join(", ") });
        }
        RightsCommand::Portability { request: r, out } => {
            let handle = request(&r)?;
            let portable = requests.portability(&access, &handle)?;
            fs::create_dir_all(&out).map_err(|e| Failure(format!("cannot create {}: {e}", out.display())))?;
            let path = out.join(format!("overdracht-{}.zip", handle.subject));
            crate::private_file::write(&path, &portable.zip)?;
            say!("{}", path.display());
            for (processing, why) in portable.not_portable {
                say!("not included: {processing} — {why}");
            }
        }
        RightsCommand::Restrict { request: r, lift } => {
            requests.restrict(&access, &request(&r)?, !lift)?;
            say!("{}", if lift { "restriction lifted" } else { "processing restricted" });
        }
        RightsCommand::Object { request: r, processing, grounds, outcome } => {
            requests.object(&access, &request(&r)?, &processing, &grounds, &outcome)?;
            say!("objection recorded and answered");
        }
        RightsCommand::Export { request: r, out } => {
            let handle = request(&r)?;
            let report = export::report(kernel.register(), &requests.export(&access, &handle)?, access.now);
            fs::create_dir_all(&out).map_err(|e| Failure(format!("cannot create {}: {e}", out.display())))?;
            let stem = out.join(format!("inzage-{}", handle.subject));
            let write = |path: PathBuf, text: String| crate::private_file::write(&path, text.as_bytes());
            write(stem.with_extension("json"), serde_json::to_string_pretty(&report)?)?;
            write(stem.with_extension("html"), export::html(&report))?;
            say!("{} processings, {} accesses: {}", report.processings.len(), report.accesses.len(), stem.with_extension("html").display());
        }
    }
    Ok(())
}
