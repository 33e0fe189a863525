//! `grondslag generate`: a synthetic population, written through the kernel.

use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Instant;

use grondslag_synthetic::{Population, generate};

use crate::context::Context;
use crate::{Failure, progress};

pub fn run(
    context: &Context,
    subjects: u64,
    seed: u64,
    until: Option<jiff::Timestamp>,
    areas: Option<&Path>,
    threads: NonZeroUsize,
    commit_every: NonZeroUsize,
) -> Result<(), Failure> {
    if context.data.database_url.is_some() {
        return Err(Failure(
            "generate writes a fresh SQLite data directory; move it to PostgreSQL afterwards with `grondslag migrate --from sqlite --to postgres`".to_string(),
        ));
    }
    let data = &context.data.root;
    if context.data.database().exists() {
        return Err(Failure(format!(
            "{} already holds a store; generate into a fresh directory (--data), so the population is exactly what the seed describes",
            data.display()
        )));
    }
    let population = Population { seed, subjects, until: until.unwrap_or(context.now) };
    let areas = crate::case::load_areas(areas)?;
    let kernel = context.open_kernel()?;
    say!(
        "generating {} people and {} staff (seed {}, history until {}) into {} on {threads} thread(s)",
        population.subjects,
        population.staff(),
        population.seed,
        population.until,
        data.display()
    );
    let bar = progress::bar("people", population.subjects);
    let start = Instant::now();
    let report = kernel
        .loading(commit_every, || generate(&kernel, &population, threads, areas, &mut |people| bar.set_position(people)).map_err(Failure::from))
        .inspect_err(|_| bar.abandon())?;
    let entries = kernel.seal()?;
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    for (what, count) in &report.counts {
        say!("  {what:<40} {count:>10}");
    }
    say!("  {:<40} {entries:>10}", "audit log entries");
    say!(
        "done in {:.1} s ({:.0} people/s, {:.0} audit entries/s); fingerprint {}",
        elapsed.as_secs_f64(),
        population.subjects as f64 / elapsed.as_secs_f64(),
        entries as f64 / elapsed.as_secs_f64(),
        report.fingerprint
    );
    Ok(())
}
