//! PostgreSQL with several nodes: processes writing at once, sweeps at
//! once, and the move from SQLite. Each test runs when
//! `GRONDSLAG_TEST_DATABASE_URL` names a server, in a database of its own.

use std::path::Path;
use std::process::Command;

use grondslag_kernel::{Access, DataDir, Kernel, KernelError, RecordRef, SubjectId, Value};
use grondslag_register::{Category, CategorySet, Role};
use grondslag_store::ScratchDatabase;

use crate::{access, grondslag, shipped, stderr, stdout};

fn scratch() -> Option<ScratchDatabase> {
    ScratchDatabase::for_tests().unwrap()
}

fn on_postgres(dir: &Path, database: &ScratchDatabase) -> Kernel {
    DataDir::new(dir).with_database_url(Some(database.url().to_string())).open_kernel(shipped(), None, jiff::Timestamp::now()).unwrap()
}

/// Two nodes on `database`, sharing the keys (and blobs) of one data
/// directory, as deployed.
fn two_nodes(database: &ScratchDatabase) -> (tempfile::TempDir, [Kernel; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let nodes = [on_postgres(dir.path(), database), on_postgres(dir.path(), database)];
    (dir, nodes)
}

/// `grondslag` on the data directory and the database.
fn node(dir: &Path, database: &ScratchDatabase, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_grondslag"));
    command
        .args(["--data", dir.to_str().unwrap(), "--database-url", database.url()])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    command
}

fn subscribe(kernel: &Kernel, n: usize) -> RecordRef {
    let processing = kernel.processing("nieuwsbrief_email").unwrap();
    let fields = [(Category::Name, Value::text(format!("Lid {n}"))), (Category::Email, Value::text(format!("lid{n}@example.nl")))];
    kernel.write(&access(Role::Public), processing, None, None, &fields).unwrap()
}

// req: E17, INV2
#[test]
fn two_processes_writing_at_once_leave_one_verifiable_chain() {
    let Some(database) = scratch() else { return };
    let dir = tempfile::tempdir().unwrap();
    // The first start creates the keys both nodes share.
    drop(on_postgres(dir.path(), &database));
    const EACH: usize = 12;
    let nodes: Vec<std::thread::JoinHandle<()>> = (0..2)
        .map(|n| {
            let mut commands: Vec<Command> = (0..EACH)
                .map(|i| {
                    let email = format!("node{n}-{i}@example.nl");
                    node(dir.path(), &database, &["channel", "newsletter", "subscribe", "--name", "Lid", "--email", &email, "--consent"])
                })
                .collect();
            std::thread::spawn(move || {
                for command in &mut commands {
                    let output = command.output().unwrap();
                    assert!(output.status.success(), "{}", stderr(&output));
                }
            })
        })
        .collect();
    for node in nodes {
        node.join().unwrap();
    }
    let verified = node(dir.path(), &database, &["audit", "verify"]).output().unwrap();
    assert!(verified.status.success(), "{}", stderr(&verified));
    let kernel = on_postgres(dir.path(), &database);
    let report = kernel.retention_report().unwrap();
    let subscribed: u64 = report.iter().map(|l| l.records).sum();
    assert_eq!(subscribed, 2 * EACH as u64, "every write of both processes is there");
    assert!(kernel.verify_audit(|_| ()).unwrap().entries >= 2 * EACH as u64);
}

// req: E0.5
#[test]
fn two_sweeps_started_at_once_delete_each_item_once() {
    let Some(database) = scratch() else { return };
    let dir = tempfile::tempdir().unwrap();
    const ITEMS: usize = 120;
    let records: Vec<RecordRef> = {
        let kernel = on_postgres(dir.path(), &database);
        let processing = kernel.processing("nieuwsbrief_email").unwrap();
        (0..ITEMS)
            .map(|n| {
                let record = subscribe(&kernel, n);
                kernel.record_event(&access(Role::Public), processing, &record, grondslag_register::Action::Write, "unsubscribed", None, None).unwrap();
                record
            })
            .collect()
    };
    let later: jiff::Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    let sweeper = Access::new("retention", Role::System, "test", later);
    let kernels = [on_postgres(dir.path(), &database), on_postgres(dir.path(), &database)];
    let deleted: Vec<u64> = std::thread::scope(|scope| {
        let sweeps: Vec<_> = kernels
            .iter()
            .map(|kernel| scope.spawn(|| kernel.sweep(&sweeper, later, 5, None, |_| ()).unwrap().iter().map(|c| c.records).sum::<u64>()))
            .collect();
        sweeps.into_iter().map(|s| s.join().unwrap()).collect()
    });
    assert_eq!(deleted.iter().sum::<u64>(), ITEMS as u64, "each due item deleted exactly once: {deleted:?}");
    let kernel = &kernels[0];
    assert!(kernel.due_at(later).unwrap().is_empty());
    let processing = kernel.processing("nieuwsbrief_email").unwrap();
    for record in &records {
        assert!(
            kernel.read_record(&access(Role::Communications), processing, record, CategorySet::EMPTY.with(Category::Name)).is_err(),
            "gone, subject key and all"
        );
    }
    kernel.verify_audit(|_| ()).unwrap();
}

// req: E17, INV2
#[test]
fn migrating_from_sqlite_keeps_every_record_readable_and_the_chain_verifying() {
    let Some(database) = scratch() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (records, entries) = {
        let kernel = DataDir::new(dir.path()).open_kernel(shipped(), None, jiff::Timestamp::now()).unwrap();
        let processing = kernel.processing("nieuwsbrief_email").unwrap();
        // Enough for more rows than the copy sends at once (1,000).
        let records: Vec<RecordRef> = (0..200).map(|n| subscribe(&kernel, n)).collect();
        kernel.record_event(&access(Role::Public), processing, &records[0], grondslag_register::Action::Write, "unsubscribed", None, None).unwrap();
        kernel.hold(&access(Role::Communications), processing, &records[1], "onderzoek", "2027-01-01T00:00:00Z".parse().unwrap()).unwrap();
        kernel.seal().unwrap();
        (records, kernel.verify_audit(|_| ()).unwrap().entries)
    };
    // The older half of the log as a store written before entries were
    // packed holds it: JSON text, which PostgreSQL must take as its bytes.
    {
        let db = crate::sqlite(dir.path());
        db.execute_batch("DROP TRIGGER audit_entries_no_update").unwrap();
        let old = crate::audit_log(dir.path()).into_iter().take_while(|(seq, _)| *seq <= entries as i64 / 2);
        for (seq, json) in old {
            db.execute("UPDATE audit_entries SET entry = ?2 WHERE seq = ?1", rusqlite::params![seq, json]).unwrap();
        }
        let texts: i64 = db.query_row("SELECT count(*) FROM audit_entries WHERE typeof(entry) = 'text'", [], |r| r.get(0)).unwrap();
        assert_eq!(texts, entries as i64 / 2);
    }
    let url = database.url();
    let data = dir.path().to_str().unwrap();
    let moved = grondslag(&["--data", data, "--database-url", url, "migrate", "--from", "sqlite", "--to", "postgres"]);
    assert!(moved.status.success(), "{}", stderr(&moved));
    assert!(stdout(&moved).contains("audit log ok"), "{}", stdout(&moved));
    let copied: u64 = stdout(&moved).split("copied ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().parse().unwrap();
    assert!(copied > 1000, "only {copied} rows: the test should cross a batch of the copy");

    let kernel = on_postgres(dir.path(), &database);
    assert_eq!(kernel.verify_audit(|_| ()).unwrap().entries, entries, "the chain arrived whole");
    let processing = kernel.processing("nieuwsbrief_email").unwrap();
    for (n, record) in records.iter().enumerate() {
        let view = kernel
            .read_record(&access(Role::Communications), processing, record, CategorySet::EMPTY.with(Category::Name).with(Category::Email))
            .unwrap()
            .unwrap();
        assert_eq!(view.fields, vec![(Category::Name, Value::text(format!("Lid {n}"))), (Category::Email, Value::text(format!("lid{n}@example.nl")))]);
    }
    assert_eq!(kernel.verify_audit(|_| ()).unwrap().entries, entries + records.len() as u64, "and goes on with the reads");
    let due = kernel.due_at("2030-01-01T00:00:00Z".parse().unwrap()).unwrap();
    assert_eq!(due.len(), 1, "due dates and holds came along");
    drop(kernel);

    let again = grondslag(&["--data", data, "--database-url", url, "migrate", "--from", "sqlite", "--to", "postgres"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already holds data"), "{}", stderr(&again));
}

// req: E17, INV2
#[test]
fn two_servers_on_one_database_share_sessions_and_locks_and_leave_one_chain() {
    use crate::server::{Client, Server, world_on};
    let Some(database) = scratch() else { return };
    let world = world_on(Some(database.url()));
    let (a, b) = (Server::start_on(&world.place, &["--max-failures", "3"]), Server::start_on(&world.place, &["--max-failures", "3"]));
    // Signed in on one node, the session holds on the other.
    let mut carla = Client::new(&a);
    assert_eq!(carla.sign_in(&world.handler).status, 303);
    let cookie = carla.cookie.clone();
    let mut on_b = Client::new(&b);
    on_b.cookie = cookie;
    assert_eq!(on_b.get("/api/v1/me").json()["username"], "carla");
    // A name locked through one node is locked on the other.
    let mut guesser = Client::new(&a);
    for _ in 0..3 {
        guesser.post_form("/inloggen", &[("username", "anna"), ("password", "niet het goede wachtwoord")]);
    }
    assert_eq!(Client::new(&b).post_form("/inloggen", &[("username", "anna"), ("password", &world.anna.password)]).status, 429);
    // Both nodes read cases at once for a while: every read is audited.
    let readers: Vec<_> = [a.base.clone(), b.base.clone()]
        .into_iter()
        .map(|base| {
            let (cookie, case) = (carla.cookie.clone().unwrap(), world.anna_case.clone());
            std::thread::spawn(move || {
                let agent = crate::server::fresh_connections();
                let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
                let mut reads = 0;
                while std::time::Instant::now() < until {
                    let status = agent.get(&format!("{base}/api/v1/cases/{case}")).set("Cookie", &cookie).call().unwrap().status();
                    assert_eq!(status, 200);
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(reads > 10, "{reads} reads");
    assert!(a.stop() && b.stop());
    let verified = node(world.dir.path(), &database, &["audit", "verify"]).output().unwrap();
    assert!(verified.status.success(), "{}", stderr(&verified));
    let entries: u64 = stdout(&verified).split_whitespace().find_map(|w| w.parse().ok()).unwrap();
    assert!(entries >= 3 * reads, "{entries} entries for {reads} reads of three audited steps each");
}

/// Runs `attempt` eight times at the same moment, four on each of two
/// nodes (`node` makes what a node offers from its kernel), on SQLite and,
/// when a server is given, on PostgreSQL: each store's name and outcomes.
fn eight_at_once_on_two_nodes<N: Sync, R: Send>(node: impl Fn(Kernel) -> N, attempt: impl Fn(&N, usize) -> R + Sync) -> Vec<(&'static str, Vec<R>)> {
    let database = scratch();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut stores = vec![("SQLite", dirs[0].path(), None)];
    if let Some(database) = &database {
        stores.push(("PostgreSQL", dirs[1].path(), Some(database.url().to_string())));
    }
    let mut outcomes = Vec::new();
    for (store, dir, url) in stores {
        let open = || node(DataDir::new(dir).with_database_url(url.clone()).open_kernel(shipped(), None, jiff::Timestamp::now()).unwrap());
        let nodes = [open(), open()];
        let start = std::sync::Barrier::new(8);
        let outcome: Vec<R> = std::thread::scope(|scope| {
            let attempts: Vec<_> = (0..8)
                .map(|i| {
                    let (node, start, attempt) = (&nodes[i % 2], &start, &attempt);
                    scope.spawn(move || {
                        start.wait();
                        attempt(node, i)
                    })
                })
                .collect();
            attempts.into_iter().map(|attempt| attempt.join().unwrap()).collect()
        });
        outcomes.push((store, outcome));
    }
    outcomes
}

/// Eight attempts at once, on two nodes, to create an account with the
/// same name: one gets it, the seven others are told the name is taken —
/// on SQLite and on PostgreSQL. (The name was once looked up before the
/// write that took it, so two at once both passed.)
// req: E17
#[test]
fn an_account_name_asked_for_at_once_on_two_nodes_goes_to_one() {
    let admin = Access::new("test.init", Role::Admin, "test", jiff::Timestamp::now());
    let outcomes = eight_at_once_on_two_nodes(
        |kernel| grondslag_accounts::Accounts::new(std::sync::Arc::new(kernel), grondslag_accounts::Policy::default()).unwrap(),
        |accounts, _| accounts.create(&admin, "anna", Role::CaseHandler, None, Some("a long and fine passphrase 42")).map(|(account, _)| account),
    );
    for (store, outcomes) in outcomes {
        assert_eq!(outcomes.iter().filter(|outcome| outcome.is_ok()).count(), 1, "{store}: {outcomes:?}");
        for outcome in outcomes.iter().filter(|outcome| outcome.is_err()) {
            assert!(matches!(outcome, Err(grondslag_accounts::AccountError::UsernameTaken(name)) if name == "anna"), "{store}: {outcome:?}");
        }
    }
}

/// Two operations on the same two people at the same moment, on two nodes,
/// each taking them in the other's order: each holds its first person and
/// waits for the one the other holds. PostgreSQL stops one of them (a
/// deadlock); the kernel runs that one again once the other has committed,
/// so both succeed, nobody is told to try again, and the log holds each
/// step once, with no line of the stopped attempt.
// req: E17
#[test]
fn two_operations_taking_the_same_people_in_opposite_orders_both_succeed() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let Some(database) = scratch() else { return };
    let (_dir, nodes) = two_nodes(&database);
    let file = nodes[0].processing("personeelsdossier").unwrap();
    let hr = access(Role::Hr);
    let name = |text: &str| [(Category::Name, Value::text(text))];
    let people: Vec<_> = ["Anna", "Bert"].iter().map(|n| nodes[0].write(&hr, file, None, None, &name(n)).unwrap().subject).collect();
    let before = nodes[0].verify_audit(|_| ()).unwrap().entries;
    let both_hold_one = std::sync::Barrier::new(2);
    let runs = [AtomicUsize::new(0), AtomicUsize::new(0)];
    let outcomes: Vec<Result<(), KernelError>> = std::thread::scope(|scope| {
        let operations: Vec<_> = [(0, 1), (1, 0)]
            .into_iter()
            .enumerate()
            .map(|(i, (first, then))| {
                let (kernel, hr, people, both_hold_one, runs, name) = (&nodes[i], &hr, &people, &both_hold_one, &runs[i], &name);
                scope.spawn(move || {
                    kernel.unit(|unit| {
                        let first_run = runs.fetch_add(1, Ordering::SeqCst) == 0;
                        unit.write(hr, file, Some(&people[first]), None, &name(&format!("by {i}")))?;
                        if first_run {
                            both_hold_one.wait();
                        }
                        unit.write(hr, file, Some(&people[then]), None, &name(&format!("by {i}")))?;
                        Ok(())
                    })
                })
            })
            .collect();
        operations.into_iter().map(|operation| operation.join().unwrap()).collect()
    });
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let mut ran: Vec<usize> = runs.iter().map(|r| r.load(Ordering::SeqCst)).collect();
    ran.sort();
    assert_eq!(ran, [1, 2], "one operation was stopped and ran again");
    for person in &people {
        let mut names: Vec<String> = nodes[1]
            .read(&hr, file, person, CategorySet::of(&[Category::Name]))
            .unwrap()
            .iter()
            .flat_map(|view| view.fields.iter().filter_map(|(_, value)| value.as_text().map(str::to_string)))
            .collect();
        names.sort();
        assert_eq!(&names[1..], ["by 0", "by 1"], "{names:?}");
    }
    // Four writes and the two reads just made; the stopped attempt left no line.
    let mut client = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let entries: Vec<String> = client.query("SELECT entry FROM audit_entries", &[]).unwrap().iter().map(|row| crate::pg_audit_json(row, 0)).collect();
    assert_eq!(entries.iter().filter(|e| e.contains("\"outcome\":\"failed\"")).count(), 0);
    assert_eq!(nodes[0].verify_audit(|_| ()).unwrap().entries, before + 4 + 2);
}

/// An export that goes on from an earlier one (`--resume`) gets every
/// entry committed since, each once — also the entries of a write that
/// drew its numbers before another write about someone else, and committed
/// after it and after the earlier export. Going on from the last number the
/// earlier export held (`--from-seq`) would miss those.
// req: E17
#[test]
fn an_export_resumed_gets_the_entries_that_committed_out_of_order() {
    use std::collections::BTreeMap;
    use std::sync::mpsc::channel;
    let Some(database) = scratch() else { return };
    let (dir, nodes) = two_nodes(&database);
    let file = nodes[0].processing("personeelsdossier").unwrap();
    let rights = nodes[0].processing("rechtenverzoeken").unwrap();
    let hr = access(Role::Hr);
    let name = |text: &str| [(Category::Name, Value::text(text))];
    let person = |n: &str| nodes[0].write(&hr, file, None, None, &name(n)).unwrap().subject;
    let chain = |subject: &SubjectId| grondslag_audit::Chain::of(Some(subject.as_str()));
    let anna = person("Anna");
    let bert = (0..).map(|i| person(&format!("Bert {i}"))).find(|bert| chain(bert) != chain(&anna)).unwrap();
    let frontier = dir.path().join("export.frontier");
    let export = |part: &str| -> Vec<String> {
        let out = dir.path().join(part);
        let args = ["audit", "export", "--format", "ldv-jsonl", "--resume", frontier.to_str().unwrap(), "--out", out.to_str().unwrap()];
        let output = node(dir.path(), &database, &args).output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let lines = std::fs::read_to_string(out).unwrap();
        lines.lines().map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["span_id"].as_str().unwrap().to_string()).collect()
    };
    let mut parts = vec![export("first.jsonl")];
    let (appended, append) = channel();
    let (release, released) = channel();
    std::thread::scope(|scope| {
        let (writer, anna, hr, name) = (&nodes[0], &anna, &hr, &name);
        let unit = scope.spawn(move || {
            writer.unit(|unit| {
                unit.write(hr, file, Some(anna), None, &name("Anna Jansen"))?;
                // An access export lists this unit's steps too, so it
                // chains them now: they hold their numbers from here.
                unit.export(&access(Role::PrivacyOfficer), rights, anna)?;
                appended.send(()).unwrap();
                released.recv().unwrap();
                Ok::<_, KernelError>(())
            })
        });
        append.recv().unwrap();
        nodes[1].write(hr, file, Some(&bert), None, &name("Bert Bakker")).unwrap();
        parts.push(export("second.jsonl"));
        release.send(()).unwrap();
        unit.join().unwrap().unwrap();
    });
    parts.push(export("third.jsonl"));
    // Every entry of the log by its span id, with its number.
    let mut client = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
    let log: BTreeMap<String, i64> = client
        .query("SELECT entry, seq FROM audit_entries", &[])
        .unwrap()
        .iter()
        .map(|row| (serde_json::from_str::<serde_json::Value>(&crate::pg_audit_json(row, 0)).unwrap()["span_id"].as_str().unwrap().to_string(), row.get(1)))
        .collect();
    // The scenario is real: the third part holds an entry (the write's,
    // chained before the access export) numbered below the second's last.
    let last_of_second = parts[1].iter().map(|span| log[span]).max().unwrap();
    assert!(parts[2].iter().any(|span| log[span] < last_of_second), "{parts:?}");
    let mut exported: Vec<&String> = parts.iter().flatten().collect();
    exported.sort();
    let whole: Vec<&String> = log.keys().collect();
    assert_eq!(exported, whole, "every entry once, in one part or another");
}

/// Reading a name's failed sign-ins in a write makes a row at zero to hold
/// on PostgreSQL; a refund for a name whose count was cleared meanwhile (two
/// sign-ins of one person at once) leaves no such row behind, and a refund
/// still gives back one attempt.
// req: E17
#[test]
fn a_refund_leaves_no_count_behind_for_a_name_without_one() {
    let Some(database) = scratch() else { return };
    let dir = tempfile::tempdir().unwrap();
    let kernel = on_postgres(dir.path(), &database);
    let rows = || -> i64 {
        let mut client = postgres::Client::connect(database.url(), postgres::NoTls).unwrap();
        client.query_one("SELECT count(*) FROM login_failures", &[]).unwrap().get(0)
    };
    let lock = grondslag_kernel::LoginLock { max_failures: 2, duration: jiff::SignedDuration::from_mins(15) };
    let now = jiff::Timestamp::now();
    kernel.charge_login_attempt("anna", &lock, now).unwrap();
    kernel.clear_login_failures("anna", now).unwrap();
    kernel.refund_login_attempt("anna").unwrap();
    assert_eq!(rows(), 0, "a count of zero was left behind");
    // Two charged, one given back: the name is one attempt from its lock.
    kernel.charge_login_attempt("bert", &lock, now).unwrap();
    kernel.charge_login_attempt("bert", &lock, now).unwrap();
    kernel.refund_login_attempt("bert").unwrap();
    assert_eq!(rows(), 1);
    let charged = kernel.charge_login_attempt("bert", &lock, now).unwrap();
    assert!(matches!(charged, grondslag_kernel::LoginCharge::Charged { locks: true, .. }), "{charged:?}");
}

/// Two operations at the same moment, on two nodes, each filing for a
/// person by a BSN no file holds yet: the first holds the BSN's key from
/// its lookup until it commits, so the second waits, then finds the
/// first's file and files into it — as on SQLite, where writes take turns.
/// (Before, both found none, and the second was refused as a duplicate.)
// req: E17
#[test]
fn two_filings_for_one_new_bsn_at_once_go_into_one_file() {
    use std::sync::mpsc::channel;
    use std::time::Duration;
    let Some(database) = scratch() else { return };
    let (_dir, nodes) = two_nodes(&database);
    let physical = nodes[0].processing("fysieke_schade").unwrap();
    let handler = access(Role::CaseHandler);
    let bsn = crate::bsn(77);
    let file = |kernel: &Kernel, held: Option<(&std::sync::mpsc::Sender<()>, &std::sync::mpsc::Receiver<()>)>| {
        kernel.unit(|unit| {
            let found = unit.find_to_file(&handler, physical, &bsn)?;
            if let Some((holding, released)) = held {
                holding.send(()).unwrap();
                released.recv().unwrap();
            }
            let fields = [(Category::Bsn, Value::text(&bsn)), (Category::Name, Value::text("Anna"))];
            unit.write(&handler, physical, found.as_ref(), None, &fields).map(|record| record.subject)
        })
    };
    let (holding, held) = channel();
    let (release, released) = channel();
    let (first, second, waited) = std::thread::scope(|scope| {
        let (file, node) = (&file, &nodes[0]);
        let first = scope.spawn(move || file(node, Some((&holding, &released))));
        held.recv_timeout(Duration::from_secs(20)).unwrap();
        let second = scope.spawn(|| file(&nodes[1], None));
        // Long enough for a loaded machine to have run it, had it nothing to wait for.
        std::thread::sleep(Duration::from_millis(500));
        let waited = !second.is_finished();
        release.send(()).unwrap();
        (first.join().unwrap(), second.join().unwrap(), waited)
    });
    assert!(waited, "the second lookup did not wait for the first filing");
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first, second, "both filed into the one file the BSN names");
}

/// Eight registrations on the public forum at the same moment, on two
/// nodes, under one user name: one gets it, seven are told it is taken —
/// on SQLite and on PostgreSQL. (The name was looked up before the unit
/// that took it, so registrations at once all found it free.)
// req: E12
#[test]
fn a_forum_name_asked_for_at_once_on_two_nodes_goes_to_one() {
    use grondslag_channels::ChannelError;
    use grondslag_channels::forum::{Account, Forum};
    let website = Access::new("website", Role::Public, "test", jiff::Timestamp::now());
    let outcomes = eight_at_once_on_two_nodes(
        |kernel| kernel,
        |kernel, i| {
            let account = Account {
                name: format!("Buur {i}"),
                username: "buurman".to_string(),
                email: format!("buur{i}@example.nl"),
                password: "wierde-4821-kwelder-7730".to_string(),
                notify: false,
            };
            Forum::new(kernel).unwrap().register(&website, &account, true)
        },
    );
    for (store, outcomes) in outcomes {
        assert_eq!(outcomes.iter().filter(|outcome| outcome.is_ok()).count(), 1, "{store}: {outcomes:?}");
        for outcome in outcomes.iter().filter(|outcome| outcome.is_err()) {
            assert!(matches!(outcome, Err(ChannelError::Taken(name)) if name == "buurman"), "{store}: {outcome:?}");
        }
    }
}
