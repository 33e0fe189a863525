//! Management information (I4): reports, never rows.
//!
//! Department managers and HR see counts, fte and hours per group; the
//! kernel tabulates (`Unit::report`), hides groups under
//! [`grondslag_kernel::MIN_GROUP`] and a second entry wherever one hidden
//! entry could be recomputed from a total. The register gives managers
//! `report` on `sturingsinformatie` and no `read`, so a row never reaches them.

use grondslag_kernel::{Access, ReportSpec, Table};
use grondslag_register::Category;

use grondslag_values::Reason;

use crate::{Hr, HrError};

closed_list! {
    /// What a management report groups by.
    Dimension, "a grouping of management information" {
        /// Department.
        Department = "department", "afdeling";
        /// Function group.
        FunctionGroup = "function_group", "functiegroep";
        /// Kind of contract.
        ContractType = "contract_type", "soort contract";
        /// Salary scale.
        SalaryScale = "salary_scale", "salarisschaal";
    }
}

impl Dimension {
    fn category(self) -> Category {
        match self {
            Dimension::Department => Category::Department,
            Dimension::FunctionGroup => Category::FunctionGroup,
            Dimension::ContractType => Category::ContractType,
            Dimension::SalaryScale => Category::SalaryScale,
        }
    }
}

impl Hr<'_> {
    /// A report of headcount, fte and hours, `rows` down and `columns` across.
    pub fn management_report(&self, access: &Access, rows: Dimension, columns: Dimension) -> Result<Table, HrError> {
        if rows == columns {
            return Err(HrError::Invalid(Reason::new(
                format!("rows and columns are both {}; choose two different groupings", rows.label_nl()),
                format!("Rijen en kolommen zijn allebei {}; kies twee verschillende indelingen.", rows.label_nl()),
            )));
        }
        let spec = ReportSpec { rows: rows.category(), columns: columns.category(), sums: vec![Category::Fte, Category::Hours] };
        Ok(self.kernel.report(access, self.p.management, &spec)?)
    }
}
