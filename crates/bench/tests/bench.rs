// Helpers unwrap as the tests do; clippy's allow-*-in-tests covers only the test fns.
#![allow(clippy::unwrap_used)]

use grondslag_kernel::{Access, DataDir, Kernel, Value};
use grondslag_register::{Category, Role};

/// Runs the bench as the product's tests run `grondslag`: no GRONDSLAG_* of the caller's.
fn bench(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_grondslag-bench"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap()
}

fn open(dir: &std::path::Path) -> Kernel {
    let (register, _) = grondslag_register::load(None, None).unwrap();
    DataDir::new(dir).open_kernel(register, None, jiff::Timestamp::now()).unwrap()
}

// The bench at toy sizes: every part runs (the audit log's verification
// checks the kernel's first checkpoint, the filled log's three and the
// witnessed one), and the relation check finds
// exactly the experts' own cases (every other question is by an expert the
// case is not assigned to), and the call centre's draws all verify from
// their seeds. Figures are printed, never asserted.
#[test]
fn bench_runs_at_small_sizes_with_the_relation_check_and_both_case_lists() {
    let args = [
        "--writes",
        "100",
        "--decisions",
        "1000",
        "--subjects",
        "10",
        "--samples",
        "5",
        "--cases",
        "5000",
        "--sweep-sizes",
        "10",
        "--due-records",
        "10",
        "--audit-entries",
        "3000",
        "--calls",
        "2000",
        "--employees",
        "10",
        "--staff",
        "300",
    ];
    // A population `grondslag generate` made is measured after the generated ones.
    let generated = tempfile::tempdir().unwrap();
    let kernel = open(generated.path());
    let population = grondslag_synthetic::Population { seed: 7, subjects: 10, until: jiff::Timestamp::now() };
    let areas = grondslag_claims::area::AreaLists::parse("sample", grondslag_claims::area::SAMPLE).unwrap();
    grondslag_synthetic::generate(&kernel, &population, std::num::NonZeroUsize::MIN, areas, &mut |_| {}).unwrap();
    drop(kernel);
    let output = bench(&[&args[..], &["--population", generated.path().to_str().unwrap()]].concat());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "store of 5000 cases",
        "(a) decide alone",
        "16 threads at once, entries appended together",
        "(b) decide + reaches, scope all",
        "(c) decide + check_reach",
        "(d) as (c)",
        "500 of 1000 experts' checks found the relation",
        "staff case list",
        "expert's case list",
        "audit log of 3000 entries",
        "verify with the witnessed checkpoint (",
        "inclusion proof, checked against the signed root",
        "LDV export (parse, project, write JSON)",
        "call-centre import (2000 calls of a year",
        "every draw verified from its seed",
        "monthly selection for 10 employees",
        "management report (300 employees",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // The filled chain's checkpoints at 1000 and 2000 and its last, and at
    // least one witnessed head: which chain the template's person fell in
    // decides the rest.
    let checked: u64 = text.split("verify with the witnessed checkpoint (").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().parse().unwrap();
    assert!(checked >= 4, "{text}");
}

// req: I.SEC
#[test]
fn the_bench_refuses_a_store_that_grondslag_generate_did_not_make() {
    let real = tempfile::tempdir().unwrap();
    let kernel = open(real.path());
    let handler = Access::new("behandelaar", Role::CaseHandler, "test", jiff::Timestamp::now());
    kernel.write(&handler, kernel.processing("fysieke_schade").unwrap(), None, None, &[(Category::Name, Value::text("Anna de Vries"))]).unwrap();
    drop(kernel);
    let entries = || {
        let db = rusqlite::Connection::open(real.path().join("grondslag.db")).unwrap();
        db.query_row("SELECT count(*) FROM audit_entries", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    let before = entries();
    let output = bench(&["--population", real.path().to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("was not made by `grondslag generate`") && stderr.contains("made-up people only"), "{stderr}");
    // Refused before anything was measured: nobody's data was read.
    assert!(String::from_utf8_lossy(&output.stdout).is_empty());
    assert_eq!(entries(), before);
}
