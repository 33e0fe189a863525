//! A small population on a real SQLite store, through the real modules.

// Helpers outside `#[test]` fns (openers, fixtures, assertions) are test code
// too, but clippy's allow-*-in-tests only covers the test fns themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroUsize;

use grondslag_claims::Scheme;
use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_kernel::{Access, DataDir, Kernel, Value};
use grondslag_register::{Category, CategorySet, Role};
use grondslag_synthetic::{Population, Report, SyntheticError, generate};

fn until() -> jiff::Timestamp {
    "2026-11-28T10:00:00Z".parse().unwrap()
}

fn open(dir: &std::path::Path) -> Kernel {
    let register = grondslag_register::parse(grondslag_register::SHIPPED_NAME, grondslag_register::SHIPPED).unwrap();
    DataDir::new(dir).open_kernel(register, None, jiff::Timestamp::now()).unwrap()
}

/// On every core, so that the tests also write households side by side.
fn populate(kernel: &Kernel, seed: u64, subjects: u64) -> Report {
    populate_on(kernel, seed, subjects, std::thread::available_parallelism().unwrap())
}

fn populate_on(kernel: &Kernel, seed: u64, subjects: u64, threads: NonZeroUsize) -> Report {
    let population = Population { seed, subjects, until: until() };
    let mut seen = Vec::new();
    let report = generate(kernel, &population, threads, AreaLists::parse("sample", SAMPLE).unwrap(), &mut |people| seen.push(people)).unwrap();
    assert!(seen.is_sorted(), "progress only goes up: {seen:?}");
    assert_eq!(seen.last(), Some(&subjects), "progress reaches the number of people");
    report
}

/// Records per processing in the store, each counted by the role that
/// lists the most of them.
fn stored(kernel: &Kernel) -> BTreeMap<String, usize> {
    let register = kernel.register();
    let mut counts = BTreeMap::new();
    for processing in register.processing_ids() {
        let listed = Role::ALL.iter().filter_map(|role| kernel.list_all(&Access::new("test", *role, "test", until()), processing, None).ok());
        counts.insert(register.processing(processing).id.clone(), listed.map(|records| records.len()).max().unwrap_or(0));
    }
    counts
}

#[test]
fn the_same_seed_gives_the_same_population_and_another_seed_another() {
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = populate(&open(a.path()), 42, 25);
    let again = populate(&open(b.path()), 42, 25);
    let other = populate(&open(c.path()), 43, 25);
    assert_eq!(first, again);
    assert_eq!(first.fingerprint.len(), 64);
    assert_ne!(first.fingerprint, other.fingerprint);
    assert_eq!(first.count("people"), 25);
}

#[test]
fn the_population_is_the_same_on_one_thread_and_on_three() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (one, three) = (open(a.path()), open(b.path()));
    let alone = populate_on(&one, 11, 40, NonZeroUsize::MIN);
    let side_by_side = populate_on(&three, 11, 40, NonZeroUsize::new(3).unwrap());
    assert_eq!(alone, side_by_side, "the same counts and fingerprint");
    let records = stored(&one);
    assert_eq!(records, stored(&three), "the same records in each processing");
    let filed: u64 = alone.counts.iter().filter(|(k, _)| k.starts_with("cases ")).map(|(_, n)| n).sum();
    assert!(records.values().sum::<usize>() as u64 > filed, "cases, staff files and the rest are listed: {records:?}");
}

#[test]
fn the_first_household_that_fails_is_reported_on_one_thread_and_on_three() {
    let failed = |threads| {
        let dir = tempfile::tempdir().unwrap();
        let kernel = open(dir.path());
        // Where a file stands in for the blob directory, the first expert
        // photo or call recording cannot be written (for seed 8, in a
        // household after the first, so the threads race to it).
        let blobs = DataDir::new(dir.path()).blobs();
        std::fs::remove_dir_all(&blobs).unwrap();
        std::fs::write(&blobs, b"").unwrap();
        let population = Population { seed: 8, subjects: 60, until: until() };
        let error = generate(&kernel, &population, threads, AreaLists::parse("sample", SAMPLE).unwrap(), &mut |_| ()).unwrap_err();
        assert!(error.to_string().contains("generate into a fresh directory"), "{error}");
        let SyntheticError::Household { household, seed: 8, .. } = error else { panic!("{error}") };
        household
    };
    assert_eq!(failed(NonZeroUsize::MIN), failed(NonZeroUsize::new(3).unwrap()));
}

#[test]
fn every_person_appears_once_by_bsn_with_valid_values_and_the_audit_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open(dir.path());
    let report = populate(&kernel, 7, 60);
    let handler = Access::new("test", Role::CaseHandler, "test", until());
    let wanted = CategorySet::of(&[Category::Bsn, Category::BankAccount, Category::PostcodeCity, Category::Phone, Category::Email]);
    let mut bsns = BTreeSet::new();
    let (mut cases, mut records) = (0, 0);
    for scheme in Scheme::ALL {
        let processing = kernel.processing(scheme.processing()).unwrap();
        for case in kernel.list_all(&handler, processing, None).unwrap() {
            // Photos are records of their own, without a status.
            cases += u64::from(case.status.is_some());
            records += 1;
            for view in kernel.read(&handler, processing, &case.record.subject, wanted).unwrap() {
                for (category, value) in &view.fields {
                    let Value::Text(text) = value else { panic!("{category} is not text") };
                    match category {
                        Category::Bsn => {
                            grondslag_values::Bsn::parse(text).unwrap();
                            // The same person files under the same pseudonym.
                            let found = kernel.find_by_bsn(&handler, processing, text).unwrap();
                            assert_eq!(found.as_ref(), Some(&case.record.subject));
                            bsns.insert(text.clone());
                        }
                        Category::BankAccount => drop(grondslag_values::Iban::parse(text).unwrap()),
                        Category::Phone => drop(grondslag_values::PhoneNumber::parse(text).unwrap()),
                        Category::Email => drop(grondslag_values::Email::parse(text).unwrap()),
                        Category::PostcodeCity => {
                            let postcode = grondslag_values::Postcode::parse(&text[..7]).unwrap();
                            let digits: u16 = postcode.as_str()[..4].parse().unwrap();
                            assert!((9700..=9999).contains(&digits), "{text} is not in Groningen");
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    assert_eq!(bsns.len(), 60, "each of the 60 people holds exactly one BSN in the case files");
    let filed: u64 = report.counts.iter().filter(|(k, _)| k.starts_with("cases ")).map(|(_, n)| n).sum();
    assert_eq!(cases, filed, "the store lists every case the report counts");
    assert_eq!(records, filed + report.count("expert photos"), "photos are records of their own");
    assert!(report.count("cases fysieke_schade") > 0 && report.count("cases immateriele_schade") > 0, "{report:?}");
    assert!(report.count("staff") >= 5);
    kernel.seal().unwrap();
    let verified = kernel.verify_audit(|_| ()).unwrap();
    assert!(verified.entries > 60 * 5, "every step is audited: {} entries", verified.entries);
}
