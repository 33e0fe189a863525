//! `grondslag hr …`: the personnel file (I1) and management information
//! (I4) — register an employee from a JSON file, list and show them, end
//! an employment, and the management report with small groups hidden.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use grondslag_accounts::{Accounts, Policy};
use grondslag_hr::Hr;
use grondslag_hr::personnel::NewEmployee;
use grondslag_hr::report::Dimension;
use grondslag_kernel::{Cell, SubjectId};
use grondslag_register::Role;

use crate::Failure;
use crate::context::{Actor, Context};

#[derive(Subcommand, Debug)]
pub enum HrCommand {
    /// Register an employee and their contract from a JSON file (as HR); prints their file's id.
    /// Partner data is accepted only with "partner_pension": true, employment history only with
    /// "worked_for_the_state": true. Join a staff account to the file with
    /// `grondslag account create --role employee --bsn <their BSN>`.
    Register {
        /// The JSON file: bsn, name, nationality, address, postcode_city, gender, birth_date,
        /// birth_place, email, phone, bank_account, contract { kind (vast|tijdelijk|stage), started,
        /// fte, hours, function, function_group, department, salary_scale }, and the optional parts.
        file: PathBuf,
    },
    /// List the employees with a personnel file.
    List,
    /// Show one employment.
    Show {
        /// The employee's file id, as `register` and `list` print it.
        #[arg(long)]
        employee: String,
    },
    /// End an employment (as HR): the staff terms start, the intranet profile goes,
    /// team accounts end, and the person's accounts close with their sessions.
    End {
        /// The employee's file id.
        #[arg(long)]
        employee: String,
        /// The last day of the employment (YYYY-MM-DD), today or earlier.
        #[arg(long)]
        last_day: jiff::civil::Date,
    },
    /// The management report: headcount, fte and hours per group, groups under 5 hidden (•).
    Report {
        /// What goes down: department, function_group, contract_type or salary_scale.
        #[arg(long, default_value = "department")]
        rows: String,
        /// What goes across.
        #[arg(long, default_value = "contract_type")]
        columns: String,
    },
}

fn file_id(text: &str) -> Result<SubjectId, Failure> {
    SubjectId::parse(text).map_err(|_| Failure(format!("--employee `{text}` is not a file id; `grondslag hr list` shows them")))
}

pub fn run(context: &Context, actor: &Actor, command: HrCommand) -> Result<(), Failure> {
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let hr = Hr::new(accounts.kernel())?;
    let access = context.access(&accounts, actor, Role::Hr)?;
    match command {
        HrCommand::Register { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
            let new: NewEmployee = serde_json::from_str(&text).map_err(|e| Failure(format!("{}: {e}", file.display())))?;
            let registered = hr.register_employee(&access, &new)?;
            say!("registered {} ({}): file {}", new.name, new.contract.kind.label_nl(), registered.subject);
        }
        HrCommand::List => {
            for e in hr.employees(&access)? {
                let ended = e.ended.map_or_else(String::new, |day| format!(", tot en met {day}"));
                say!("{}\t{}\t{}\t{}\tsinds {}{ended}", e.file.subject, e.name, e.function, e.department, e.started);
            }
        }
        HrCommand::Show { employee } => {
            let e = hr.employment(&access, &file_id(&employee)?)?;
            say!(
                "{}\n{} ({}), {}\n{} — {} fte, {} uur per week\nsinds {}",
                e.name,
                e.function,
                e.function_group,
                e.department,
                e.contract.label_nl(),
                e.fte,
                e.hours,
                e.started
            );
            if let Some(day) = e.ended {
                say!("uit dienst na {day}");
            }
        }
        HrCommand::End { employee, last_day } => {
            let ended = hr.end_employment(&access, &accounts, &file_id(&employee)?, last_day)?;
            say!(
                "employment ended after {last_day}: {} account(s) closed, {} team account(s) ended, {} profile record(s) deleted, {} reaction(s) kept without a name",
                ended.accounts_closed.len(),
                ended.team_accounts_ended,
                ended.profile_records,
                ended.reactions_anonymised
            );
        }
        HrCommand::Report { rows, columns } => {
            let (rows, columns): (Dimension, Dimension) = (rows.parse()?, columns.parse()?);
            let table = hr.management_report(&access, rows, columns)?;
            let show = |cell: &Cell| match cell.shown() {
                Some(f) => format!("{} ({} fte)", f.count, grondslag_values::dutch::hundredths(f.sums[0])),
                None => "•".to_string(),
            };
            say!("{}\t{}\ttotaal", rows.label_nl(), table.columns.join("\t"));
            for (i, row) in table.rows.iter().enumerate() {
                let cells: Vec<String> = table.cells[i].iter().map(show).collect();
                say!("{row}\t{}\t{}", cells.join("\t"), show(&table.row_totals[i]));
            }
            let totals: Vec<String> = table.column_totals.iter().map(show).collect();
            say!("totaal\t{}\t{}", totals.join("\t"), show(&table.total));
            say!("• niet getoond: een groep kleiner dan {}, of een die zo'n groep zou verraden", grondslag_kernel::MIN_GROUP);
        }
    }
    Ok(())
}
