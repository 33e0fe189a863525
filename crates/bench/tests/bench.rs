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
    // As the product's tests run `grondslag`: no GRONDSLAG_* of the caller's.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_grondslag-bench"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "store of 5000 cases",
        "(a) decide alone",
        "(b) decide + reaches, scope all",
        "(c) decide + check_reach",
        "(d) as (c)",
        "500 of 1000 experts' checks found the relation",
        "staff case list",
        "expert's case list",
        "audit log of 3000 entries",
        "verify with the witnessed checkpoint (5 signed checkpoints)",
        "inclusion proof, checked against the signed root",
        "LDV export (parse, project, write JSON)",
        "call-centre import (2000 calls of a year",
        "every draw verified from its seed",
        "monthly selection for 10 employees",
        "management report (300 employees",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
