//! View logs (I3) for the privacy officer and the DPO: who viewed which
//! damage dossier when, and per dashboard who viewed it when — read from
//! the audit log (`Unit::view_log`), never kept twice. Each dashboard is a
//! processing whose `log` is `logging_dashboards`; its view log is kept for
//! its own `log_term` (docs/staff.md, "View logs (I3)").

use grondslag_kernel::{Access, View};
use grondslag_register::{Retention, Term};

use grondslag_values::Reason;

use crate::{Hr, HrError};

/// The processing whose term the damage dossiers' view log follows: kept for good.
pub const DOSSIER_LOG: &str = "logging_dossiers";
/// The processing that keeps the dashboards' view logs, each for its own term.
pub const DASHBOARD_LOG: &str = "logging_dashboards";

/// A dashboard: a processing whose views are logged under [`DASHBOARD_LOG`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dashboard {
    /// Its register id, e.g. `sturingsinformatie`.
    pub id: String,
    /// Its name, in Dutch.
    pub name: String,
    /// How long its view log is kept.
    pub term: Term,
}

impl Hr<'_> {
    /// The dashboards and the terms of their view logs.
    pub fn dashboards(&self) -> Result<Vec<Dashboard>, HrError> {
        let register = self.kernel.register();
        let log = self.kernel.processing(DASHBOARD_LOG)?;
        let Retention::PerItem { default, .. } = &register.processing(log).retention else {
            return Err(HrError::Invalid(Reason::new(
                format!("`{DASHBOARD_LOG}` must be kept per item (each dashboard its own term); see docs/staff.md"),
                format!(
                    "De verwerking {DASHBOARD_LOG} moet per dashboard een eigen bewaartermijn hebben; dat staat nu anders in het register. Meld dit aan de beheerder."
                ),
            )));
        };
        Ok(register
            .processing_ids()
            .filter(|p| *p != log && register.log_processing(*p) == Some(log))
            .map(|p| {
                let p = register.processing(p);
                Dashboard { id: p.id.clone(), name: p.name.clone(), term: p.log_term.clone().unwrap_or_else(|| default.clone()) }
            })
            .collect())
    }

    /// Who viewed which damage dossier when (kept for good).
    pub fn dossier_views(&self, access: &Access) -> Result<Vec<View>, HrError> {
        let log = self.kernel.processing(DOSSIER_LOG)?;
        Ok(self.kernel.view_log(access, log, None)?)
    }

    /// Who viewed `dashboard` when, for as long as its term keeps them.
    pub fn dashboard_views(&self, access: &Access, dashboard: &str) -> Result<(Dashboard, Vec<View>), HrError> {
        let dashboards = self.dashboards()?;
        let names = || dashboards.iter().map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ");
        let found = dashboards
            .iter()
            .find(|d| d.id == dashboard)
            .cloned()
            .ok_or_else(|| HrError::NotFound(format!("dashboard `{dashboard}` (the dashboards: {})", names())))?;
        let log = self.kernel.processing(DASHBOARD_LOG)?;
        let views = self.kernel.view_log(access, log, Some(self.kernel.processing(&found.id)?))?;
        Ok((found, views))
    }
}
