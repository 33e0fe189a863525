//! `grondslag generate`: a synthetic population through the real binary.

use crate::{grondslag, stderr, stdout};

fn fingerprint(output: &str) -> &str {
    output.rsplit("fingerprint ").next().unwrap().trim()
}

#[test]
fn a_seed_gives_the_same_population_on_one_thread_or_three_and_the_log_verifies() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = |dir: &std::path::Path, threads: &str| {
        let data = dir.to_str().unwrap();
        // Seed 8 draws a forum sign-up, whose password is hashed on a thread of its own.
        let output = grondslag(&["generate", "--subjects", "30", "--seed", "8", "--until", "2026-11-28T10:00:00Z", "--threads", threads, "--data", data]);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let (first, second) = (run(a.path(), "1"), run(b.path(), "3"));
    assert_eq!(fingerprint(&first), fingerprint(&second));
    let counts = |output: &str| output.lines().filter(|l| l.starts_with("  ") && !l.contains("audit log entries")).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(counts(&first), counts(&second));
    assert!(first.contains("people                                           30"), "{first}");
    assert!(first.lines().any(|line| line.trim_start().starts_with("forum accounts") && line.trim_end().ends_with(" 1")), "{first}");
    let verified = grondslag(&["audit", "verify", "--data", a.path().to_str().unwrap()]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    // A second population into the same directory would mix two seeds.
    let again = grondslag(&["generate", "--subjects", "5", "--data", a.path().to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("generate into a fresh directory"), "{}", stderr(&again));
}
