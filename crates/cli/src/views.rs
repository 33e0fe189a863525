//! `grondslag audit views …`: the view logs (I3) — who viewed which damage
//! dossier when, and per dashboard who viewed it when — read from the audit
//! log for the privacy officer (the default role) or the DPO.

use std::sync::Arc;

use clap::Args;
use grondslag_accounts::{Accounts, Policy};
use grondslag_hr::Hr;
use grondslag_kernel::View;
use grondslag_register::Role;
use grondslag_values::dutch;

use crate::Failure;
use crate::context::{Actor, Context};

#[derive(Args, Debug)]
pub struct ViewsArgs {
    #[command(flatten)]
    actor: Actor,
    /// The view log of one dashboard (e.g. sturingsinformatie); without it, the damage dossiers'.
    #[arg(long, conflicts_with = "dashboards")]
    dashboard: Option<String>,
    /// List the dashboards and how long each one's view log is kept.
    #[arg(long)]
    dashboards: bool,
}

fn print(views: &[View]) -> Result<(), Failure> {
    for view in views {
        say!("{}\t{}\t{}\t{}\t{}", dutch::moment(view.at), view.actor, view.role.label_nl(), view.processing, view.object);
    }
    Ok(())
}

pub fn run(context: &Context, args: ViewsArgs) -> Result<(), Failure> {
    let accounts = Accounts::new(Arc::new(context.open_kernel()?), Policy::default())?;
    let hr = Hr::new(accounts.kernel())?;
    let access = context.access(&accounts, &args.actor, Role::PrivacyOfficer)?;
    if args.dashboards {
        for dashboard in hr.dashboards()? {
            say!("{}\t{}\tview log kept {}", dashboard.id, dashboard.name, dashboard.term.duration);
        }
        return Ok(());
    }
    match args.dashboard {
        Some(dashboard) => {
            let (dashboard, views) = hr.dashboard_views(&access, &dashboard)?;
            say!("# {} ({}): {} views; each kept {}", dashboard.name, dashboard.id, views.len(), dashboard.term.duration);
            print(&views)?;
        }
        None => {
            let views = hr.dossier_views(&access)?;
            say!("# damage dossiers: {} views, kept for good", views.len());
            print(&views)?;
        }
    }
    Ok(())
}
