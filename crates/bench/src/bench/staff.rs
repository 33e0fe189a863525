//! The staff side at the organisation's size: `--staff` employees
//! registered through `Hr::register_employee` (shared with the election
//! bench), then the management report (`Hr::management_report`: every row
//! opened by the kernel, tabulated and suppressed) beside the same
//! aggregate as one SQL query over the plain figures in SQLite, in the
//! same run.

use std::time::Instant;

use grondslag_hr::Hr;
use grondslag_hr::personnel::{Contract, ContractKind, NewEmployee};
use grondslag_hr::report::Dimension;
use grondslag_kernel::{Access, DataDir, Kernel, SubjectId};
use grondslag_register::Role;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Kernels, percentile, sorted};
use crate::Failure;

/// Reports timed.
const REPORTS: usize = 20;
const DEPARTMENTS: [&str; 6] = ["Klantcontact", "Schadeafhandeling", "Juridische zaken", "Financiën", "HR", "ICT"];
const KINDS: [ContractKind; 3] = [ContractKind::Permanent, ContractKind::Temporary, ContractKind::Internship];

/// Registers `count` employees, employed since 2020, through HR's step.
pub(super) fn register_staff(kernel: &Kernel, count: usize, now: jiff::Timestamp) -> Result<Vec<(SubjectId, NewEmployee)>, Failure> {
    let hr = Hr::new(kernel)?;
    let office = Access::new("bench.hr", Role::Hr, "cli:bench", now);
    let mut rng = ChaCha8Rng::seed_from_u64(18);
    let mut staff = Vec::with_capacity(count);
    for n in 0..count {
        let new = NewEmployee {
            bsn: grondslag_synthetic::people::bsn(&mut rng, 8_000_000 + n as u64),
            name: format!("Medewerker {n}"),
            nationality: "Nederlandse".into(),
            address: format!("Herestraat {}", n % 200 + 1),
            postcode_city: "9711 LA Groningen".into(),
            gender: "onbekend".into(),
            birth_date: jiff::civil::date(1970 + (n % 30) as i16, 1, 1),
            birth_place: "Groningen".into(),
            email: format!("m{n}@img.example.nl"),
            phone: "0501234567".into(),
            bank_account: grondslag_synthetic::people::iban(&mut rng),
            contract: Contract {
                kind: KINDS[rng.gen_range(0..KINDS.len())],
                started: jiff::civil::date(2020, 1, 1),
                fte: ["1", "0,8", "0,6"][n % 3].into(),
                hours: [36, 32, 24][n % 3],
                function: "Medewerker".into(),
                function_group: format!("Groep {}", rng.gen_range(1..=8)),
                department: DEPARTMENTS[rng.gen_range(0..DEPARTMENTS.len())].into(),
                salary_scale: format!("schaal {}", rng.gen_range(6..=13)),
            },
            partner_pension: false,
            partner: None,
            worked_for_the_state: false,
            employment_history: None,
            vog: None,
            oath: None,
            cv_documents: None,
        };
        staff.push((hr.register_employee(&office, &new)?.subject, new));
    }
    Ok(staff)
}

pub(super) fn bench(kernels: &Kernels<'_>, employees: usize) -> Result<(), Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let kernel = kernels.open(&DataDir::new(dir.path().join("staff")))?;
    let now: jiff::Timestamp = "2026-11-28T10:00:00Z".parse()?;
    let at = Instant::now();
    let staff = register_staff(&kernel, employees, now)?;
    let registering = at.elapsed().as_secs_f64();

    // The baseline: the same figures in plain SQLite, one GROUP BY.
    let raw = rusqlite::Connection::open(dir.path().join("raw.sqlite"))?;
    raw.execute_batch("CREATE TABLE figures (department TEXT, contract_type TEXT, fte INTEGER, hours INTEGER)")?;
    let tx = raw.unchecked_transaction()?;
    for (_, e) in &staff {
        let fte: i64 = match e.contract.fte.as_str() {
            "1" => 100,
            "0,8" => 80,
            _ => 60,
        };
        tx.execute(
            "INSERT INTO figures VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![e.contract.department, e.contract.kind.name(), fte, e.contract.hours * 100],
        )?;
    }
    tx.commit()?;

    let manager = Access::new("bench.department_manager", Role::DepartmentManager, "cli:bench", now);
    let hr = Hr::new(&kernel)?;
    let (mut reports, mut queries) = (Vec::new(), Vec::new());
    for _ in 0..REPORTS {
        let at = Instant::now();
        let table = hr.management_report(&manager, Dimension::Department, Dimension::ContractType)?;
        reports.push(at.elapsed().as_secs_f64() * 1e3);
        if table.total.shown().map(|f| f.count) != Some(employees as u64) {
            return Err(Failure(format!("the report counted {:?} of {employees} employees", table.total.shown().map(|f| f.count))));
        }
        let at = Instant::now();
        let mut statement = raw.prepare_cached("SELECT department, contract_type, COUNT(*), SUM(fte), SUM(hours) FROM figures GROUP BY 1, 2")?;
        let groups = statement.query_map([], |row| row.get::<_, i64>(2))?.collect::<Result<Vec<i64>, _>>()?;
        queries.push(at.elapsed().as_secs_f64() * 1e3);
        if groups.iter().sum::<i64>() != employees as i64 {
            return Err(Failure("the raw query lost rows".into()));
        }
    }
    let (reports, queries) = (sorted(reports), sorted(queries));
    println!("management report ({employees} employees registered in {registering:.1} s; ms, p50 / p95):");
    println!("  report through the kernel (opened, tabulated, suppressed)  {:8.2} / {:8.2}", percentile(&reports, 0.5), percentile(&reports, 0.95));
    println!("  baseline: one GROUP BY over plain SQLite                  {:8.2} / {:8.2}", percentile(&queries, 0.5), percentile(&queries, 0.95));
    println!("  ratio report/query {:8.1}x", percentile(&reports, 0.5) / percentile(&queries, 0.5));
    Ok(())
}
