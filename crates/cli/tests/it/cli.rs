use crate::{grondslag, stderr, stdout};

// req: E0.7
#[test]
fn the_demo_runs_end_to_end_and_leaves_a_verifiable_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let output = grondslag(&["demo", "--data", data.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "refused",
        "NAM receives: address=",
        "no such subject",
        "put before a case handler, who reads: this object received the fixed compensation",
        "children's scheme is for children up to and including 17",
        "deleted at once",
        "does nothing (refused)",
        "places a hold: held",
        "nothing is answered",
        "Access report:",
        "Audit log verified",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let nam_line = text.lines().find(|l| l.contains("NAM receives")).unwrap();
    assert_eq!(nam_line.matches('=').count(), 1, "NAM gets one category: {nam_line}");

    let verify = grondslag(&["audit", "verify", "--data", data.to_str().unwrap()]);
    assert!(verify.status.success(), "{}", stderr(&verify));
}

// req: E0.7
#[test]
fn the_shipped_register_checks_and_renders_dated_and_versioned() {
    let check = grondslag(&["register", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(stdout(&check).contains("processings"), "{}", stdout(&check));

    let register = crate::shipped();
    for format in ["md", "html"] {
        let render = grondslag(&["register", "render", "--format", format]);
        assert!(render.status.success(), "{}", stderr(&render));
        let text = stdout(&render);
        assert!(text.contains(&register.meta.version), "{format}: version missing");
        for p in register.processings.iter().filter(|p| p.statement == grondslag_register::Statement::Public) {
            assert!(text.contains(&p.name) || text.contains(&p.name.replace('&', "&amp;")), "{format}: {} missing", p.name);
        }
    }
}

#[test]
fn verify_on_a_missing_directory_fails_with_advice() {
    let dir = tempfile::tempdir().unwrap();
    let output = grondslag(&["audit", "verify", "--data", dir.path().join("nothing").to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("no database here"), "{}", stderr(&output));
}

#[test]
fn help_lists_every_command() {
    let output = grondslag(&["--help"]);
    assert!(output.status.success());
    for command in ["register", "audit", "demo", "generate", "bench"] {
        assert!(stdout(&output).contains(command), "{command}");
    }
}

// The bench at toy sizes: every part runs, and the relation check finds
// exactly the experts' own cases (every other question is by an expert the
// case is not assigned to). Figures are printed, never asserted.
#[test]
fn bench_runs_at_small_sizes_with_the_relation_check_and_both_case_lists() {
    let args = [
        "bench",
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
    ];
    let output = grondslag(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "store of 5000 cases",
        "(a) decide alone",
        "(b) decide + reaches, scope all",
        "(c) decide + check_reach",
        "(d) as (c)",
        "500 of 1000 experts' checks found the relation",
        "staff case list",
        "expert's case list",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
