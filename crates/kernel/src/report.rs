//! Reports over a processing's records: counts and sums per group, never
//! rows (I4: "in de rapportages staan geen gegevens die te herleiden zijn
//! naar individuele werknemers").
//!
//! A role granted `report` under a processing gets a two-way table — one
//! category down, one across, with sums of number-valued categories — and
//! nothing else; `read` is another action, so such a grant never reaches a
//! row. The kernel tabulates, so no module can hand a report role the rows:
//!
//! - **Primary suppression**: a group of fewer than [`MIN_GROUP`] people
//!   (1–4) is not shown, in the body or in the totals. An empty group (0)
//!   is shown: that nobody is in it says nothing about a person.
//! - **Complementary suppression**: a row or column with exactly one hidden
//!   entry would give it away by subtraction from its total, so a second
//!   entry of that line is hidden too — its smallest non-empty group, else
//!   its total — until every line of the table (totals row and column
//!   included) hides none or at least two. Then no hidden entry can be
//!   recomputed by peeling lines one equation at a time, which is what
//!   reading row and column totals allows.
//!
//! Counts and sums are hidden together: a hidden group shows neither.

use grondslag_register::{Action, Category, CategorySet, ProcessingId, Scope};
use grondslag_store::RecordRow;

use crate::{Access, Event, KernelError, Unit, check_reach};

/// The smallest group a report shows (I4). Five is the usual threshold of
/// statistical disclosure control (the CBS uses it for counts of people).
pub const MIN_GROUP: u64 = 5;

/// What a report tabulates: one category down, one across, and the
/// number-valued categories summed per group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSpec {
    /// The category whose values are the rows (e.g. `department`).
    pub rows: Category,
    /// The category whose values are the columns (e.g. `contract_type`).
    pub columns: Category,
    /// Number-valued categories summed per group (e.g. `fte`, `hours`).
    pub sums: Vec<Category>,
}

impl ReportSpec {
    fn categories(&self) -> CategorySet {
        let mut all = vec![self.rows, self.columns];
        all.extend(&self.sums);
        CategorySet::of(&all)
    }
}

/// A group's figures: how many people, and the sums in hundredths (two
/// decimals, so that 0,8 fte adds up exactly).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    /// How many records the group holds.
    pub count: u64,
    /// The sums, in the order of [`ReportSpec::sums`], in hundredths.
    pub sums: Vec<i64>,
}

/// One entry of a report: its figures, or hidden.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Shown.
    Shown(Figures),
    /// Hidden: too small a group, or one that would give a small one away.
    Suppressed,
}

impl Cell {
    /// The figures, when shown.
    pub fn shown(&self) -> Option<&Figures> {
        match self {
            Cell::Shown(figures) => Some(figures),
            Cell::Suppressed => None,
        }
    }
}

/// A report as published: labels, body, totals, each entry shown or hidden.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// What was tabulated.
    pub spec: ReportSpec,
    /// Row labels, sorted.
    pub rows: Vec<String>,
    /// Column labels, sorted.
    pub columns: Vec<String>,
    /// `cells[row][column]`.
    pub cells: Vec<Vec<Cell>>,
    /// Per row, over all columns.
    pub row_totals: Vec<Cell>,
    /// Per column, over all rows.
    pub column_totals: Vec<Cell>,
    /// Over everything.
    pub total: Cell,
}

impl Table {
    /// How many entries (body and totals) are hidden.
    pub fn suppressed(&self) -> usize {
        let body = self.cells.iter().flatten();
        body.chain(&self.row_totals).chain(&self.column_totals).chain([&self.total]).filter(|c| **c == Cell::Suppressed).count()
    }
}

/// The label of a group whose records lack the category.
pub const UNKNOWN: &str = "onbekend";

/// Parses a number-valued field ("0,8", "32", "1.5") into hundredths.
fn hundredths(category: Category, text: &str) -> Result<i64, KernelError> {
    let wrong = || KernelError::NotANumber(category);
    let text = text.trim().replace(',', ".");
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if fraction.len() > 2 || whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    let whole: i64 = whole.parse().map_err(|_| wrong())?;
    let fraction: i64 = if fraction.is_empty() { 0 } else { format!("{fraction:0<2}").parse().map_err(|_| wrong())? };
    whole.checked_mul(100).and_then(|w| w.checked_add(fraction)).ok_or_else(wrong)
}

/// Tabulates `(row, column, sums)` triples and applies primary and
/// complementary suppression. Pure, so that it can be attacked in tests.
pub fn tabulate(spec: ReportSpec, entries: impl IntoIterator<Item = (String, String, Vec<i64>)>, min_group: u64) -> Table {
    use std::collections::BTreeMap;
    let width = spec.sums.len();
    let mut groups: BTreeMap<(String, String), Figures> = BTreeMap::new();
    for (row, column, sums) in entries {
        let figures = groups.entry((row, column)).or_insert_with(|| Figures { count: 0, sums: vec![0; width] });
        figures.count += 1;
        for (total, value) in figures.sums.iter_mut().zip(sums) {
            *total = total.saturating_add(value);
        }
    }
    let mut rows: Vec<String> = groups.keys().map(|(r, _)| r.clone()).collect();
    rows.dedup();
    let mut columns: Vec<String> = groups.keys().map(|(_, c)| c.clone()).collect();
    columns.sort();
    columns.dedup();
    let empty = || Figures { count: 0, sums: vec![0; width] };
    let add = |into: &mut Figures, from: &Figures| {
        into.count += from.count;
        for (a, b) in into.sums.iter_mut().zip(&from.sums) {
            *a = a.saturating_add(*b);
        }
    };
    // The full table with margins: (rows + 1) × (columns + 1), the last row
    // and column being the totals.
    let (r, c) = (rows.len(), columns.len());
    let mut grid: Vec<Vec<Figures>> = vec![vec![empty(); c + 1]; r + 1];
    for (i, row) in rows.iter().enumerate() {
        for (j, column) in columns.iter().enumerate() {
            if let Some(figures) = groups.get(&(row.clone(), column.clone())) {
                grid[i][j] = figures.clone();
                let (mut row_total, mut column_total, mut total) = (grid[i][c].clone(), grid[r][j].clone(), grid[r][c].clone());
                add(&mut row_total, figures);
                add(&mut column_total, figures);
                add(&mut total, figures);
                (grid[i][c], grid[r][j], grid[r][c]) = (row_total, column_total, total);
            }
        }
    }
    let hidden = suppress(&grid.iter().map(|line| line.iter().map(|f| f.count).collect()).collect::<Vec<Vec<u64>>>(), min_group);
    let cell = |i: usize, j: usize| if hidden[i][j] { Cell::Suppressed } else { Cell::Shown(grid[i][j].clone()) };
    Table {
        cells: (0..r).map(|i| (0..c).map(|j| cell(i, j)).collect()).collect(),
        row_totals: (0..r).map(|i| cell(i, c)).collect(),
        column_totals: (0..c).map(|j| cell(r, j)).collect(),
        total: cell(r, c),
        spec,
        rows,
        columns,
    }
}

/// Which entries of a table with margins (the last row and column are the
/// totals) to hide: groups of 1 to `min_group - 1`, then, line by line,
/// a second entry wherever a line hides exactly one.
fn suppress(counts: &[Vec<u64>], min_group: u64) -> Vec<Vec<bool>> {
    let rows = counts.len();
    let columns = counts.first().map_or(0, Vec::len);
    let mut hidden: Vec<Vec<bool>> = counts.iter().map(|line| line.iter().map(|&n| n > 0 && n < min_group).collect()).collect();
    // Every line: each body row with its total, each body column with its
    // total, the totals row, the totals column.
    let lines: Vec<Vec<(usize, usize)>> =
        (0..rows).map(|i| (0..columns).map(|j| (i, j)).collect()).chain((0..columns).map(|j| (0..rows).map(|i| (i, j)).collect())).collect();
    loop {
        let mut changed = false;
        for line in &lines {
            if line.iter().filter(|&&(i, j)| hidden[i][j]).count() != 1 {
                continue;
            }
            // The line's total is its last entry; prefer hiding another body
            // entry (the smallest non-empty group), so totals stay shown.
            let (total, body) = line.split_last().map_or((None, &line[..]), |(t, b)| (Some(*t), b));
            let candidate = body
                .iter()
                .filter(|&&(i, j)| !hidden[i][j] && counts[i][j] > 0)
                .min_by_key(|&&(i, j)| (counts[i][j], i, j))
                .copied()
                .or(total.filter(|&(i, j)| !hidden[i][j]))
                .or_else(|| body.iter().find(|&&(i, j)| !hidden[i][j]).copied());
            if let Some((i, j)) = candidate {
                hidden[i][j] = true;
                changed = true;
            }
        }
        if !changed {
            return hidden;
        }
    }
}

impl Unit<'_> {
    /// A report over every record of `processing` the role reaches with
    /// `report`: counts and sums per group, small groups hidden (see the
    /// module). One audit entry names the report, the number of records
    /// and of hidden entries — never a person.
    pub fn report(&mut self, access: &Access, processing: ProcessingId, spec: &ReportSpec) -> Result<Table, KernelError> {
        let kernel = self.kernel;
        let categories = spec.categories();
        let name = &kernel.register.processing(processing).id;
        let object = format!("report:{}×{}", spec.rows.name(), spec.columns.name());
        let question = kernel.question(access.role, Action::Report, processing, categories, false);
        let allowed = match crate::decide(&kernel.register, question) {
            Ok(allowed) => allowed,
            Err(denial) => {
                let event = Event::denied(processing, "report", object, None, categories, &denial);
                return self.refuse(access, event, kernel.denied(processing, denial));
            }
        };
        let scopes = access.reach_of(allowed);
        let mut entries = Vec::new();
        let mut rows: Vec<RecordRow> = Vec::new();
        const PAGE: u64 = 1000;
        loop {
            let page = self.tx.list_records(name, None, rows.len() as u64, PAGE)?;
            let done = (page.len() as u64) < PAGE;
            rows.extend(page);
            if done {
                break;
            }
        }
        for row in rows {
            if !scopes.contains(Scope::All)
                && check_reach(self.tx, scopes, access.subject.as_ref(), access.mandate.as_ref(), Some(&row.subject), Some(&row.record))?.is_err()
            {
                continue;
            }
            // Restricted data (AVG art. 18) is only kept, not counted.
            let (key, restricted) = kernel.subject_key(self.tx, &row.subject)?;
            if restricted {
                continue;
            }
            let Some(view) = kernel.open_fields(self.tx, &key, &row.subject, Some(processing), categories, Some(&row.record))?.pop() else {
                continue;
            };
            let label = |category: Category| view.get(category).and_then(|v| v.as_text()).map_or_else(|| UNKNOWN.to_string(), |t| t.trim().to_string());
            let sums = spec
                .sums
                .iter()
                .map(|&category| view.get(category).and_then(|v| v.as_text()).map_or(Ok(0), |text| hundredths(category, text)))
                .collect::<Result<Vec<i64>, KernelError>>()?;
            entries.push((label(spec.rows), label(spec.columns), sums));
        }
        let records = entries.len();
        let table = tabulate(spec.clone(), entries, MIN_GROUP);
        let mut event = Event::allowed(processing, "report", object, None, categories);
        event.reason = format!("report over {records} records, {} entries hidden (groups under {MIN_GROUP})", table.suppressed());
        self.audit(access, event);
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ReportSpec {
        ReportSpec { rows: Category::Department, columns: Category::ContractType, sums: vec![Category::Fte] }
    }

    fn people(groups: &[(&str, &str, usize)]) -> Vec<(String, String, Vec<i64>)> {
        groups.iter().flat_map(|&(r, c, n)| (0..n).map(move |_| (r.to_string(), c.to_string(), vec![100]))).collect()
    }

    #[test]
    fn numbers_are_read_in_hundredths_with_a_dutch_or_english_decimal_sign() {
        assert_eq!(hundredths(Category::Fte, "0,8").unwrap(), 80);
        assert_eq!(hundredths(Category::Fte, "1.25").unwrap(), 125);
        assert_eq!(hundredths(Category::Hours, "32").unwrap(), 3200);
        for wrong in ["", "-1", "1.234", "acht", "1,2,3"] {
            assert!(hundredths(Category::Fte, wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_table_with_only_large_groups_hides_nothing() {
        let table = tabulate(spec(), people(&[("A", "vast", 6), ("A", "tijdelijk", 5), ("B", "vast", 9), ("B", "tijdelijk", 7)]), MIN_GROUP);
        assert_eq!(table.suppressed(), 0);
        assert_eq!(table.total.shown().unwrap().count, 27);
        assert_eq!(table.total.shown().unwrap().sums, vec![2700]);
    }

    #[test]
    fn a_small_group_hides_a_second_entry_in_its_row_and_its_column() {
        let table = tabulate(spec(), people(&[("A", "vast", 2), ("A", "tijdelijk", 8), ("B", "vast", 9), ("B", "tijdelijk", 7)]), MIN_GROUP);
        assert_eq!(table.cells[0][1], Cell::Suppressed, "A/vast (2) is hidden");
        // Its row and column each hide one more, so that neither total gives it away.
        assert_eq!(table.cells[0].iter().filter(|c| **c == Cell::Suppressed).count(), 2);
        assert_eq!(table.cells.iter().filter(|row| row[1] == Cell::Suppressed).count(), 2);
    }
}
