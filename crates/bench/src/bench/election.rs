//! The works-council election (I6) at the size of the organisation: 1,000
//! eligible voters each cast a secret ballot (`Hr::vote`: the roll entry
//! and the ballot box in one unit), then the committee counts
//! (`Hr::count`), beside the one read a count cannot do without — the
//! ballot box read through the kernel — in the same run.

use std::time::Instant;

use grondslag_hr::Hr;
use grondslag_kernel::{Access, DataDir};
use grondslag_register::{Category, CategorySet, Role};

use super::{Kernels, percentile, sorted};
use crate::Failure;

/// Voters: the organisation's staff.
const VOTERS: usize = 1000;
/// Candidates standing.
const CANDIDATES: usize = 9;
/// Counts timed.
const COUNTS: usize = 20;

pub(super) fn bench(kernels: &Kernels<'_>) -> Result<(), Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let kernel = kernels.open(&DataDir::new(dir.path().join("election")))?;
    let hr = Hr::new(&kernel)?;
    let now: jiff::Timestamp = "2026-11-28T10:00:00Z".parse()?;
    let mut people = super::staff::register_staff(&kernel, VOTERS + CANDIDATES, now)?.into_iter().map(|(subject, _)| subject);
    let mut employee = |_: usize| people.next().ok_or_else(|| Failure("fewer employees registered than voters and candidates".into()));
    let committee = Access::new("bench.committee", Role::ElectionCommittee, "cli:bench", now);
    let election = hr.open_election(&committee, "OR-verkiezing", jiff::civil::date(2026, 12, 1))?;
    let mut candidacies = Vec::new();
    for n in 0..CANDIDATES {
        let person = employee(VOTERS + n)?;
        let access = Access::new(format!("kandidaat{n}"), Role::Employee, "cli:bench", now).acting_as(person.clone());
        candidacies.push(hr.stand(&access, &election, &person, "Stem op mij.")?.record.to_string());
    }
    let mut votes = Vec::with_capacity(VOTERS);
    for n in 0..VOTERS {
        let person = employee(n)?;
        let access = Access::new(format!("kiezer{n}"), Role::Employee, "cli:bench", now).acting_as(person.clone());
        let choice = &candidacies[n % CANDIDATES];
        let at = Instant::now();
        hr.vote(&access, &election, &person, choice)?;
        votes.push(at.elapsed().as_secs_f64() * 1e3);
    }
    let boxed = kernel.processing("or_stembus")?;
    let (mut counts, mut reads) = (Vec::new(), Vec::new());
    for _ in 0..COUNTS {
        let at = Instant::now();
        let tally = hr.count(&committee, &election)?;
        counts.push(at.elapsed().as_secs_f64() * 1e3);
        if tally.cast != VOTERS as u64 {
            return Err(Failure(format!("the count found {} votes of {VOTERS}", tally.cast)));
        }
        let at = Instant::now();
        kernel.read_record(&committee, boxed, &election.ballot_box, CategorySet::EMPTY.with(Category::Vote))?;
        reads.push(at.elapsed().as_secs_f64() * 1e3);
    }
    let (votes, counts, reads) = (sorted(votes), sorted(counts), sorted(reads));
    println!("works-council election ({VOTERS} voters, {CANDIDATES} candidates; ms, p50 / p95):");
    println!("  a vote (roll entry and ballot box, one unit)  {:8.2} / {:8.2}", percentile(&votes, 0.5), percentile(&votes, 0.95));
    println!("  counting the election (Hr::count)            {:8.2} / {:8.2}", percentile(&counts, 0.5), percentile(&counts, 0.95));
    println!("  baseline: reading the ballot box             {:8.2} / {:8.2}", percentile(&reads, 0.5), percentile(&reads, 0.95));
    println!("  ratio count/read {:6.2}x", percentile(&counts, 0.5) / percentile(&reads, 0.5));
    Ok(())
}
