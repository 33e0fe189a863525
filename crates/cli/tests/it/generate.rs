//! `grondslag generate`: a synthetic population through the real binary.

use crate::{grondslag, stderr, stdout};

fn fingerprint(output: &str) -> &str {
    output.rsplit("fingerprint ").next().unwrap().trim()
}

#[test]
fn a_seed_gives_the_same_population_each_time_and_the_log_verifies() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = |dir: &std::path::Path| {
        let output = grondslag(&["generate", "--subjects", "30", "--seed", "9", "--until", "2026-11-28T10:00:00Z", "--data", dir.to_str().unwrap()]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let (first, second) = (run(a.path()), run(b.path()));
    assert_eq!(fingerprint(&first), fingerprint(&second));
    assert!(first.contains("people                                           30"), "{first}");
    let verified = grondslag(&["audit", "verify", "--data", a.path().to_str().unwrap()]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    // A second population into the same directory would mix two seeds.
    let again = grondslag(&["generate", "--subjects", "5", "--data", a.path().to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("generate into a fresh directory"), "{}", stderr(&again));
}
