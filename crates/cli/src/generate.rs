//! `grondslag generate`: a synthetic population, written through the kernel.

use std::path::Path;
use std::time::Instant;

use grondslag_kernel::DataDir;
use grondslag_register::Register;
use grondslag_synthetic::{Population, generate};

use crate::{Failure, progress};
use grondslag_kernel::master_key_from_env;

pub fn run(register: Register, data: &Path, population: &Population, areas: Option<&Path>) -> Result<(), Failure> {
    let dir = DataDir::new(data);
    if dir.database().exists() {
        return Err(Failure(format!(
            "{} already holds a store; generate into a fresh directory (--data), so the population is exactly what the seed describes",
            data.display()
        )));
    }
    let areas = crate::case::load_areas(areas)?;
    let kernel = dir.open_kernel(register, master_key_from_env()?.as_ref())?;
    println!(
        "generating {} people and {} staff (seed {}, history until {}) into {}",
        population.subjects,
        population.staff(),
        population.seed,
        population.until,
        data.display()
    );
    let bar = progress::bar("people", population.subjects);
    let start = Instant::now();
    let report = generate(&kernel, population, areas, &mut |people| bar.set_position(people)).inspect_err(|_| bar.abandon())?;
    let entries = kernel.seal()?;
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    for (what, count) in &report.counts {
        println!("  {what:<40} {count:>10}");
    }
    println!("  {:<40} {entries:>10}", "audit log entries");
    println!(
        "done in {:.1} s ({:.0} people/s, {:.0} audit entries/s); fingerprint {}",
        elapsed.as_secs_f64(),
        population.subjects as f64 / elapsed.as_secs_f64(),
        entries as f64 / elapsed.as_secs_f64(),
        report.fingerprint
    );
    Ok(())
}
