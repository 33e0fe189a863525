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
        assert!(text.contains(&register.meta.edition(grondslag_register::Statement::Public).unwrap().version), "{format}: version missing");
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
    for command in ["register", "audit", "demo", "generate"] {
        assert!(stdout(&output).contains(command), "{command}");
    }
}

// The product binary links neither the bench's baseline decider nor its
// plotting, nor SQLite other than through the store: they belong to
// `grondslag-bench`. Read from the lock file and the local registry cache,
// so it runs offline.
#[test]
fn the_product_binary_links_no_bench_dependencies() {
    let tree = |depth: &str| {
        let output = std::process::Command::new(env!("CARGO"))
            .args(["tree", "--offline", "--locked", "-p", "grondslag", "-e", "normal", "--prefix", "none", "--depth", depth])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output).lines().map(|line| line.split(' ').next().unwrap_or_default().to_string()).collect::<Vec<_>>()
    };
    let all = tree("100");
    assert!(all.iter().any(|name| name == "grondslag-store"), "the tree is read: {all:?}");
    for bench_only in ["cedar-policy", "plotters", "grondslag-bench"] {
        assert!(!all.iter().any(|name| name == bench_only), "grondslag links {bench_only}");
    }
    assert!(!tree("1").iter().any(|name| name == "rusqlite"), "grondslag uses rusqlite itself rather than through grondslag-store");
}

// One parser for every --role: an unknown role is refused before anything
// is opened, with the register's roles listed.
#[test]
fn an_unknown_role_is_refused_with_every_role_listed() {
    let commands: [&[&str]; 4] = [
        &["case", "--role", "case_handlr", "overdue"],
        &["rights", "--role", "nobody", "list"],
        &["channel", "--role", "nobody", "contact", "list"],
        &["account", "create", "--username", "anna", "--role", "nobody"],
    ];
    for args in commands {
        let output = grondslag(args);
        assert!(!output.status.success(), "{args:?}");
        for role in grondslag_register::Role::ALL {
            assert!(stderr(&output).contains(role.name()), "{args:?}: {role} missing in {}", stderr(&output));
        }
    }
}

/// A command whose standard output is closed (`grondslag … | head` once
/// head has read its lines) fails saying so, instead of panicking.
// req: E0.7
#[test]
fn a_closed_standard_output_fails_the_command_with_a_message_not_a_panic() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_grondslag"))
        .args(["register", "check"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("error: standard output was closed before everything was written"), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}
