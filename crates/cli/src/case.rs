//! `grondslag case …`: the compensation schemes from the command line, until
//! the web pages exist.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;
use grondslag_accounts::{Accounts, Policy};
use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_claims::cases::{Application, AuthorisationForm, CaseError, Cases, MAX_PHOTO_BYTES};
use grondslag_claims::{Scheme, Status};
use grondslag_kernel::{Kernel, SubjectId, Value};
use grondslag_register::Role;
use grondslag_values::Cents;

use crate::Failure;
use crate::context::{self, Actor, AsOf, Context};

#[derive(Subcommand, Debug)]
pub enum CaseCommand {
    /// File an application from a JSON file (see docs/applications.md).
    Create {
        file: PathBuf,
        /// Save it as a draft to continue later, whatever the file says.
        #[arg(long)]
        draft: bool,
        /// When it was reported, if before now (a call taken at 10:00 and typed in at 11:00):
        /// its terms count from here (E8: 48 hours). 27-11-2026 10:00 (Amsterdam time),
        /// 2026-11-27T10:00 or 2026-11-27T09:00:00Z; a date alone is its midnight.
        #[arg(long, value_name = "MOMENT")]
        reported_at: Option<String>,
    },
    /// Continue a draft with more of the applicant's data, from a JSON object of category names and values.
    Continue { number: String, file: PathBuf },
    /// List the cases of a scheme, most recently changed first.
    List {
        /// The scheme's processing id, e.g. fysieke_schade.
        #[arg(long)]
        scheme: String,
        /// Only cases with this status (draft, submitted, in_handling, expert_advice, decision, objection, closed).
        #[arg(long)]
        status: Option<String>,
        /// Page number, 50 cases a page.
        #[arg(long, default_value_t = 1)]
        page: u64,
    },
    /// Show a case: its data as your role may see it, and its history.
    Show { number: String },
    /// Ask an expert (by account name) to advise on a case, or with
    /// --remove end that; the expert then sees only the cases assigned to them.
    Assign {
        number: String,
        expert: String,
        #[arg(long)]
        remove: bool,
    },
    /// Move a case to the next status of its scheme's life cycle.
    Advance {
        number: String,
        status: String,
        /// With a decision: the amount awarded, in euro cents.
        #[arg(long)]
        award: Option<u64>,
    },
    /// Hand a case to a party the register names; writes OUT/NUMBER-RECIPIENT.json and .csv.
    Disclose {
        number: String,
        /// The recipient's id in the register, e.g. nam, deskundigen, ncg.
        recipient: String,
        /// The privacy team's recorded check that a legal obligation exists (police, SNN).
        #[arg(long)]
        legal_check: Option<String>,
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Reports of acutely unsafe situations past their 48-hour deadline.
    Overdue {
        #[command(flatten)]
        now: AsOf,
    },
    /// Add a photo to a case (sealed in the blob store; handed only to parties that receive photos).
    Attach { number: String, photo: PathBuf },
    /// E19: copy the people whose cases of a scheme are closed into the outreach processing (a further use, E20).
    OutreachImport {
        #[arg(long)]
        scheme: String,
    },
    /// E19: put an address on the do-not-approach list, which is kept and always honoured.
    OptOut {
        /// Street and number, e.g. "Hoofdstraat 1a".
        address: String,
        /// Postcode and place, e.g. "9981 AB Uithuizen".
        postcode_city: String,
    },
    /// E19: the people to approach for a new scheme, as CSV (name, address, postcode_city).
    Outreach,
    /// E19: the outreach period is over; the outreach copies go with the next retention run (the do-not-approach list stays).
    OutreachEnd,
    /// Record an authorisation (machtiging) from a JSON form; prints the representative's id (for `revoke`).
    Authorise { file: PathBuf },
    /// End a representative's authorisation for the subject of a case, at once.
    Revoke { number: String, representative: String },
    /// Record the inspection's finding that a reported situation is acutely unsafe (informs the mayor's package).
    MarkUnsafe { number: String },
}

fn read(path: &Path) -> Result<String, Failure> {
    fs::read_to_string(path).map_err(|e| Failure(format!("cannot read {}: {e}", path.display())))
}

/// The postcode area lists of the automated checks: the given file, or the shipped sample.
pub fn load_areas(file: Option<&Path>) -> Result<AreaLists, Failure> {
    Ok(match file {
        Some(path) => AreaLists::parse(&path.display().to_string(), &read(path)?)?,
        None => AreaLists::parse("shipped sample (crates/claims/data/areas.csv)", SAMPLE)?,
    })
}

pub fn run(context: &Context, actor: &Actor, areas: Option<&Path>, command: CaseCommand) -> Result<(), Failure> {
    let areas = load_areas(areas)?;
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let kernel: &Kernel = accounts.kernel();
    let cases = Cases::new(kernel, areas);
    let access = context.access(&accounts, actor, Role::CaseHandler)?;
    let now = context.now;
    match command {
        CaseCommand::Create { file, draft, reported_at } => {
            // Read before the file, so that a wrong moment is told first.
            let reported = reported_at.map(|text| context::arrived("--reported-at", context::written("--reported-at", &text)?, now)).transpose()?;
            let mut application: Application = serde_json::from_str(&read(&file)?).map_err(|e| Failure(format!("{}: {e}", file.display())))?;
            application.submit &= !draft;
            let filed = cases.file_reported(&access, &application, reported.unwrap_or(now))?;
            say!("{} {} ({})", filed.number, filed.status.label_nl(), Scheme::from_processing(&application.scheme).map_or("", |s| s.name_nl()));
            for check in &filed.checks {
                say!("  {}", check.explain_nl());
            }
        }
        CaseCommand::Continue { number, file } => {
            let applicant: std::collections::BTreeMap<String, String> =
                serde_json::from_str(&read(&file)?).map_err(|e| Failure(format!("{}: {e}", file.display())))?;
            cases.continue_draft(&access, &number, &applicant)?;
            say!("{number}: concept bijgewerkt");
        }
        CaseCommand::List { scheme, status, page } => {
            let scheme = Scheme::from_processing(&scheme).ok_or_else(|| Failure(format!("unknown scheme `{scheme}`")))?;
            let status = status.map(|s| Status::from_name(&s).ok_or_else(|| Failure(format!("unknown status `{s}`")))).transpose()?;
            let page = page.max(1);
            for case in cases.list(&access, scheme, status, (page - 1) * 50, 50)? {
                say!(
                    "{:<16} {:<14} {}",
                    case.reference.as_deref().unwrap_or("(nummer verborgen)"),
                    case.status.as_deref().and_then(Status::from_name).map_or("?", Status::label_nl),
                    case.updated_at
                );
            }
        }
        CaseCommand::Assign { number, expert, remove } => {
            cases.assign_expert(&access, &number, !remove, || accounts.expert_file(&expert, "cli", now))?;
            say!("{number}: {} {expert}", if remove { "no longer assigned to" } else { "assigned to" });
        }
        CaseCommand::Show { number } => {
            let case = cases.show(&access, &number)?;
            say!(
                "{} — {}, status: {}",
                case.number,
                case.scheme.name_nl(),
                case.summary.status.as_deref().and_then(Status::from_name).map_or("?", Status::label_nl)
            );
            if let Some(view) = &case.fields {
                for (category, value) in &view.fields {
                    let shown = match value {
                        Value::Text(text) => text.clone(),
                        Value::Bytes(bytes) => format!("<{} bytes>", bytes.len()),
                    };
                    say!("  {:<20} {shown}", category.name());
                }
            }
            say!("history:");
            for event in &case.events {
                say!("  {} {:<16} {}{}", event.at, event.event, event.actor, event.detail.as_deref().map(|d| format!(" — {d}")).unwrap_or_default());
            }
        }
        CaseCommand::Advance { number, status, award } => {
            let to = Status::from_name(&status).ok_or_else(|| Failure(format!("unknown status `{status}`")))?;
            cases.advance(&access, &number, to, award.map(Cents))?;
            say!("{number}: {}", to.label_nl());
        }
        CaseCommand::Disclose { number, recipient, legal_check, out } => {
            let package = cases.disclose(&access, &number, &recipient, legal_check.as_deref())?;
            fs::create_dir_all(&out).map_err(|e| Failure(format!("cannot create {}: {e}", out.display())))?;
            let stem = out.join(format!("{number}-{recipient}"));
            let json = serde_json::to_string_pretty(&package)?;
            let write = |path: PathBuf, bytes: &[u8]| crate::private_file::write(&path, bytes);
            write(stem.with_extension("json"), json.as_bytes())?;
            write(stem.with_extension("csv"), package.to_csv()?.as_bytes())?;
            for (name, bytes) in &package.attachments {
                write(out.join(name), bytes)?;
            }
            say!("{} receives {}: {}", package.recipient_name, package.categories.join(", "), stem.with_extension("json").display());
        }
        CaseCommand::MarkUnsafe { number } => {
            cases.mark_acutely_unsafe(&access, &number)?;
            say!("{number}: acuut onveilig");
        }
        CaseCommand::OutreachImport { scheme } => {
            let scheme = Scheme::from_processing(&scheme).ok_or_else(|| Failure(format!("unknown scheme `{scheme}`")))?;
            say!("{} people copied for outreach", cases.outreach_import(&access, scheme)?);
        }
        CaseCommand::OutreachEnd => {
            say!("{} outreach copies ended; `grondslag retention run` deletes them", cases.end_outreach(&access)?);
        }
        CaseCommand::OptOut { address, postcode_city } => {
            cases.opt_out(&access, &address, &postcode_city)?;
            say!("{address}, {postcode_city}: op de lijst 'niet benaderen'");
        }
        CaseCommand::Outreach => {
            let mut writer = csv::Writer::from_writer(std::io::stdout());
            for person in cases.outreach_selection(&access)? {
                writer.serialize(&person)?;
            }
            writer.flush()?;
        }
        CaseCommand::Authorise { file } => {
            let form: AuthorisationForm = serde_json::from_str(&read(&file)?).map_err(|e| Failure(format!("{}: {e}", file.display())))?;
            let representative = cases.authorise(&access, &form)?;
            say!(
                "authorised for {}; representative {} (as `case revoke` takes it); they act under an account of their own: grondslag account create --username NAME --role representative --bsn THEIR_BSN, then --as NAME",
                form.case,
                representative.subject
            );
        }
        CaseCommand::Revoke { number, representative } => {
            let representative = SubjectId::parse(&representative)?;
            let revoked = cases.revoke(&access, &number, &representative)?;
            say!("{number}: {revoked} authorisation(s) revoked");
        }
        CaseCommand::Attach { number, photo } => {
            let size = fs::metadata(&photo).map_err(|e| Failure(format!("cannot read {}: {e}", photo.display())))?.len();
            // Refused before the file is read into memory; the case says why.
            if size > MAX_PHOTO_BYTES {
                return Err(Failure(format!("{}: {}", photo.display(), CaseError::PhotoTooLarge { size })));
            }
            let bytes = fs::read(&photo).map_err(|e| Failure(format!("cannot read {}: {e}", photo.display())))?;
            cases.attach_photo(&access, &number, bytes)?;
            say!("{number}: photo {} added", photo.display());
        }
        CaseCommand::Overdue { now: as_of } => {
            for (case, deadline) in cases.overdue_unsafe(&access, as_of.at(context)?)? {
                say!("{:<16} deadline {deadline}", case.reference.as_deref().unwrap_or("(nummer verborgen)"));
            }
        }
    }
    Ok(())
}
