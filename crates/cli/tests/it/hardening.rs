//! Findings of the security read (issue 21) fixed, each with the test that
//! failed before: what a password is, where sign-in may send a browser,
//! which roles an account may take, and what a closed account tells.

use crate::server::{Client, Server, create_account, world};

// req: I.SEC
#[test]
fn a_password_is_kept_exactly_as_typed_not_trimmed_to_something_shorter() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut anna = Client::new(&server);
    assert_eq!(anna.sign_in(&world.anna).status, 303);
    let csrf = anna.csrf();
    // Twelve characters by the policy's count; trimmed, it would be "a".
    let padded = "a           ";
    let changed = anna.post_form("/wachtwoord", &[("csrf", &csrf), ("current", &world.anna.password), ("password", padded)]);
    assert_eq!(changed.status, 303, "{}", changed.body);
    let mut guesser = Client::new(&server);
    let short = guesser.post_form("/inloggen", &[("username", "anna"), ("password", "a")]);
    assert_eq!(short.status, 401, "the one-letter password does not open the account: {}", short.body);
    let mut typed = Client::new(&server);
    assert_eq!(typed.post_form("/inloggen", &[("username", "anna"), ("password", padded)]).status, 303);
}

// req: I.SEC
#[test]
fn signing_in_sends_the_browser_back_only_to_a_path_of_this_site() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut visitor = Client::new(&server);
    for back in ["/%5Cevil.example", "//evil.example", "https://evil.example", "/%0d%0aSet-Cookie:%20x=y", "/mijn-gegevens%5C..%5C"] {
        let page = visitor.get(&format!("/inloggen?terug={back}"));
        assert_eq!(page.status, 200);
        assert!(page.body.contains(r#"name="terug" value="/mijn-gegevens""#), "{back}: {}", page.body);
    }
    // A path of our own stays.
    assert!(visitor.get("/inloggen?terug=/beheer/verzoeken").body.contains(r#"value="/beheer/verzoeken""#));
    // The password step passes it on the same way.
    let step = visitor.post_form("/inloggen", &[("username", "anna"), ("password", &world.anna.password), ("terug", "/\\evil.example")]);
    assert_eq!(step.status, 303);
    assert!(step.header("location").unwrap().ends_with("terug=%2Fmijn-gegevens"), "{:?}", step.header("location"));
}

// req: I.SEC
#[test]
fn no_account_can_be_made_in_the_systems_role() {
    let world = world();
    for role in ["system", "public"] {
        let out = world.place.run(&["account", "create", "--username", "stiekem", "--role", role]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains(&format!("no account may act as `{role}`")), "{role}: {stderr}");
    }
    // Nothing was made: the name is still free for a person's account.
    create_account(&world.place, "stiekem", "case_handler", None);
}

// req: I.SEC
#[test]
fn a_closed_account_says_so_only_to_whoever_knows_its_password() {
    let world = world();
    let closed = world.place.run(&["account", "close", "--username", "bert"]);
    assert!(closed.status.success(), "{}", String::from_utf8_lossy(&closed.stderr));
    let server = Server::start(world.dir.path(), &[]);
    let mut guesser = Client::new(&server);
    let wrong = guesser.post_form("/inloggen", &[("username", "bert"), ("password", "niet zijn wachtwoord hoor")]);
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("klopt niet") && !wrong.body.contains("gesloten"), "{}", wrong.body);
    let mut bert = Client::new(&server);
    let right = bert.post_form("/inloggen", &[("username", "bert"), ("password", &world.bert.password)]);
    assert_eq!(right.status, 401);
    assert!(right.body.contains("Dit account is gesloten"), "{}", right.body);
}

// req: I.SEC
#[test]
fn a_name_typed_on_the_website_adds_no_mail_header_and_no_spreadsheet_formula() {
    use grondslag_channels::newsletter::{Newsletter, Subscription};
    use grondslag_kernel::Access;
    use grondslag_register::Role;
    let dir = tempfile::tempdir().unwrap();
    let kernel = crate::open_kernel(dir.path());
    let letters = Newsletter::new(&kernel).unwrap();
    let site = Access::new("website", Role::Public, "test", "2026-10-01T10:00:00Z".parse().unwrap());
    let injected = "Mallory\r\nBcc: iedereen@example.nl";
    letters.subscribe(&site, &Subscription::Email { name: injected.to_string(), email: "mallory@example.nl".to_string() }, true).unwrap();
    let formula = "=HYPERLINK(\"http://kwaad.example\";\"klik\")";
    let post = Subscription::Post { name: formula.to_string(), address: "Dorpsweg 7".to_string(), postcode_city: "9901 AA Appingedam".to_string() };
    letters.subscribe(&site, &post, true).unwrap();
    let communications = Access::new("communicatie", Role::Communications, "test", "2026-10-02T10:00:00Z".parse().unwrap());
    let issue = letters.produce(&communications, "Nieuwsbrief\nBcc: x@example.nl", "Nieuws.", "https://img.example/afmelden").unwrap();
    let message = &issue.emails[0].1;
    let headers = message.split("\n\n").next().unwrap();
    assert!(headers.lines().all(|l| !l.starts_with("Bcc:")), "{message}");
    assert_eq!(headers.lines().count(), 3, "To, Subject, Content-Type and nothing else: {message}");
    assert!(headers.starts_with("To: \"Mallory  Bcc: iedereen@example.nl\" <mallory@example.nl>\n"), "{message}");
    assert!(issue.labels_csv.contains("\"'=HYPERLINK(\"\"http://kwaad.example\"\";\"\"klik\"\")\""), "{}", issue.labels_csv);
}

// req: I.SEC
#[test]
fn a_data_directory_made_beforehand_is_made_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state");
    // As systemd's StateDirectory makes it.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let place = crate::server::Place::sqlite(&data);
    let out = place.run(&["account", "create", "--username", "beheerder", "--role", "admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700);
}

// req: I.SEC
#[test]
fn changing_the_password_of_a_session_left_open_needs_the_current_one() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut open = Client::new(&server);
    assert_eq!(open.sign_in(&world.anna).status, 303);
    let csrf = open.csrf();
    let page = open.get("/wachtwoord");
    assert!(page.body.contains("Huidig wachtwoord"), "{}", page.body);
    let new = "een heel ander wachtwoord";
    for current in [None, Some("niet het huidige wachtwoord")] {
        let mut form = vec![("csrf", csrf.as_str()), ("password", new)];
        form.extend(current.map(|c| ("current", c)));
        let refused = open.post_form("/wachtwoord", &form);
        assert_eq!(refused.status, 401, "{}", refused.body);
        assert!(refused.body.contains("wachtwoord klopt niet") && refused.body.contains(r##"href="#current""##), "{}", refused.body);
    }
    // Still the old password; the session was not ended by the attempts.
    let mut other = Client::new(&server);
    assert_eq!(other.post_form("/inloggen", &[("username", "anna"), ("password", new)]).status, 401);
    let changed = open.post_form("/wachtwoord", &[("csrf", &csrf), ("current", &world.anna.password), ("password", new)]);
    assert_eq!(changed.status, 303, "{}", changed.body);
    let mut again = Client::new(&server);
    assert_eq!(again.post_form("/inloggen", &[("username", "anna"), ("password", new)]).status, 303);
}

/// `count` sign-ins through the API at once, each with `code`; the
/// status and problem code of each answer.
fn racing_sign_ins(server: &Server, person: &crate::server::Person, code: &str, count: usize) -> Vec<(u16, String)> {
    let start = std::sync::Barrier::new(count);
    let (username, password) = (person.username.as_str(), person.password.as_str());
    std::thread::scope(|scope| {
        let racers: Vec<_> = (0..count)
            .map(|_| {
                let start = &start;
                scope.spawn(move || {
                    let mut client = Client::new(server);
                    start.wait();
                    let body = serde_json::json!({"username": username, "password": password, "code": code});
                    let reply = client.post_json("/api/v1/session", None, body);
                    let problem = if reply.status == 200 { String::new() } else { reply.json()["code"].as_str().unwrap_or_default().to_string() };
                    (reply.status, problem)
                })
            })
            .collect();
        racers.into_iter().map(|racer| racer.join().unwrap()).collect()
    })
}

// req: I.SEC
#[test]
fn guesses_sent_at_once_get_no_more_tries_than_guesses_sent_one_by_one() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    // Someone who knows Carla's password guesses her code from 16 connections at once.
    let answers = racing_sign_ins(&server, &world.handler, "000000", 16);
    let checked = answers.iter().filter(|(status, code)| (*status, code.as_str()) == (401, "sign_in_failed")).count();
    let locked = answers.iter().filter(|(status, code)| (*status, code.as_str()) == (429, "locked")).count();
    // On a busy machine some wait too long for a password check and are
    // told to come back: nothing of theirs was checked.
    let busy = answers.iter().filter(|(status, code)| (*status, code.as_str()) == (503, "busy")).count();
    assert_eq!(checked + locked + busy, 16, "{answers:?}");
    // Five failures lock the name; the fifth is told so. Without the lock
    // counted before the check, all sixteen were checked.
    assert!(checked <= 4 && locked >= 1, "{answers:?}");
    // Locked means locked: now even the right code is refused, for the reason of the lock.
    let mut carla = Client::new(&server);
    let code = world.handler.code();
    let refused = carla.post_json("/api/v1/session", None, serde_json::json!({"username": "carla", "password": world.handler.password, "code": code}));
    assert_eq!((refused.status, refused.json()["code"].as_str()), (429, Some("locked")), "{}", refused.body);
    assert!(refused.header("retry-after").is_some_and(|s| s.parse::<u64>().unwrap() > 60), "{:?}", refused.headers);
    // Another name is not locked by Carla's: Pieter signs in.
    let mut pieter = Client::new(&server);
    let code = world.privacy.code();
    let own = pieter.post_json("/api/v1/session", None, serde_json::json!({"username": "pieter", "password": world.privacy.password, "code": code}));
    assert_eq!(own.status, 200, "{}", own.body);
}

// req: I.SEC
#[test]
fn one_code_sent_at_once_from_many_places_signs_in_once() {
    let world = world();
    let server = Server::start(world.dir.path(), &["--max-failures", "100"]);
    // The code the authenticator shows now, seen over a shoulder and replayed at once.
    let code = world.handler.code();
    let answers = racing_sign_ins(&server, &world.handler, &code, 8);
    let signed_in = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(signed_in, 1, "{answers:?}");
    assert!(answers.iter().all(|a| a.0 == 200 || a == &(401, "sign_in_failed".to_string()) || a == &(503, "busy".to_string())), "{answers:?}");
    // A recovery code, the same: used once.
    let recovery = &world.handler.recovery[0];
    let answers = racing_sign_ins(&server, &world.handler, recovery, 8);
    assert_eq!(answers.iter().filter(|(status, _)| *status == 200).count(), 1, "{answers:?}");
}

// req: I.SEC
#[test]
fn an_address_that_sends_too_many_forms_is_told_to_wait_and_nothing_of_the_excess_is_kept() {
    let world = world();
    let server = Server::start(world.dir.path(), &["--anonymous-limit", "3/10m"]);
    let mut visitor = Client::new(&server);
    let message = [("kind", "question"), ("name", "Gerrit Post"), ("email", "gerrit@example.nl"), ("phone", "0595123456"), ("text", "Wanneer komt de expert?")];
    for _ in 0..3 {
        let sent = visitor.post_form("/contact", &message);
        assert_eq!(sent.status, 200, "{}", sent.body);
    }
    let records = || crate::sqlite(world.dir.path()).query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0)).unwrap();
    let before = records();
    let refused = visitor.post_form("/contact", &message);
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.body.contains("te veel formulieren verstuurd") && refused.body.contains("over 10 minuten"), "{}", refused.body);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((590..=600).contains(&wait), "{wait}");
    assert_eq!(records(), before, "the refused message was not stored");
    // The same address is refused on another anonymous form and at signing in too…
    assert_eq!(visitor.post_form("/acuut-onveilig", &[("name", "Gerrit Post")]).status, 429);
    let api = visitor.post_json("/api/v1/session", None, serde_json::json!({"username": "anna", "password": world.anna.password, "code": "000000"}));
    assert_eq!((api.status, api.json()["code"].as_str()), (429, Some("too_many_requests")), "{}", api.body);
    // …but pages are still served, and a signed-in person's work is not counted.
    assert_eq!(visitor.get("/contact").status, 200);
}

// req: I.SEC
#[test]
fn the_years_case_numbers_cannot_run_out() {
    let world = world();
    let year = jiff::Zoned::now().year();
    let db = crate::sqlite(world.dir.path());
    let changed = db.execute("UPDATE sequences SET value = 999999 WHERE name LIKE ?1", [format!("%{year}%")]).unwrap();
    assert_eq!(changed, 1, "the year's series is there");
    let server = Server::start(world.dir.path(), &[]);
    let mut visitor = Client::new(&server);
    let form =
        [("name", "Gerrit Post"), ("phone", "0612345678"), ("email", "gerrit@example.nl"), ("address", "Dorpsweg 7"), ("postcode_city", "9901 AA Appingedam")];
    let filed = visitor.post_form("/acuut-onveilig", &form);
    assert_eq!(filed.status, 200, "{}", filed.body);
    assert!(filed.body.contains(&format!("IMG-{year}-1000000")), "{}", filed.body);
    // And the number finds the case.
    let mut carla = Client::new(&server);
    assert_eq!(carla.sign_in(&world.handler).status, 303);
    assert_eq!(carla.get(&format!("/api/v1/cases/IMG-{year}-1000000")).status, 200);
}

/// Holds the store's write lock from outside the service, as a long write
/// of another node or process would, until what it returns is dropped.
fn hold_the_writer(place: &crate::server::Place) -> Box<dyn std::any::Any> {
    match &place.database_url {
        None => {
            let db = crate::sqlite(&place.dir);
            db.execute_batch("BEGIN IMMEDIATE").unwrap();
            Box::new(db)
        }
        Some(url) => {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
            // The lock every node's write transaction begins with.
            client.batch_execute("BEGIN; SELECT pg_advisory_xact_lock(7454127558563194727)").unwrap();
            Box::new(client)
        }
    }
}

/// Runs `test` on SQLite (`None`), and on PostgreSQL (its URL) when the tests have a server.
pub fn on_each_database(test: impl Fn(Option<&str>)) {
    let database = grondslag_store::ScratchDatabase::for_tests().unwrap();
    for url in [None, database.as_ref().map(|d| d.url())] {
        test(url);
    }
}

/// Runs `test` on a world on SQLite, and on PostgreSQL when the tests have a server.
fn on_each_store(test: impl Fn(crate::server::World)) {
    on_each_database(|url| test(crate::server::world_on(url)));
}

// req: I.SEC
#[test]
fn checking_a_cookie_or_readiness_never_waits_for_the_writer() {
    on_each_store(|world| {
        let url = &world.place.database_url;
        let server = Server::start_on(&world.place, &[]);
        let mut anna = Client::new(&server);
        assert_eq!(anna.sign_in(&world.anna).status, 303);
        let held = hold_the_writer(&world.place);
        // A made-up cookie, a real one, and the readiness probe: each only
        // reads, so each is answered while another holds the writer (before,
        // each took a write transaction and waited, then failed).
        let mut stranger = Client::new(&server);
        stranger.cookie = Some("sessie=verzonnen".to_string());
        let page = stranger.get("/privacyverklaring");
        assert_eq!(page.status, 200, "{url:?}: {}", page.body);
        let own = anna.get("/api/v1/me");
        assert_eq!(own.status, 200, "{url:?}: {}", own.body);
        assert_eq!(stranger.get("/readyz").status, 200, "{url:?}");
        drop(held);
    });
}

// req: I.SEC
#[test]
fn a_second_audit_verification_while_one_runs_is_refused_not_stacked() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = crate::open_kernel(dir.path());
    let processing = kernel.processing("nieuwsbrief_email").unwrap();
    for n in 0..5 {
        let fields = [
            (grondslag_register::Category::Name, grondslag_kernel::Value::text(format!("Lid {n}"))),
            (grondslag_register::Category::Email, grondslag_kernel::Value::text(format!("lid{n}@example.nl"))),
        ];
        kernel.write(&crate::access(grondslag_register::Role::Public), processing, None, None, &fields).unwrap();
    }
    let (started, answered) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
    std::thread::scope(|scope| {
        let first = scope.spawn(|| {
            let mut waited = false;
            kernel.verify_audit(|_| {
                // Halfway through the log, the second one is asked for.
                if !waited {
                    waited = true;
                    started.wait();
                    answered.wait();
                }
            })
        });
        started.wait();
        let second = kernel.verify_audit(|_| ());
        answered.wait();
        assert!(matches!(second, Err(grondslag_kernel::KernelError::AlreadyRunning(_))), "{second:?}");
        assert!(first.join().unwrap().unwrap().entries > 5, "the first one finished its work");
    });
    // Once it is done, the next one runs.
    assert!(kernel.verify_audit(|_| ()).is_ok());
}

// req: I.SEC
#[test]
fn erasing_an_account_ends_its_sessions_with_it() {
    use grondslag_accounts::{Accounts, Policy};
    on_each_store(|world| {
        let url = &world.place.database_url;
        let server = Server::start_on(&world.place, &[]);
        let (mut anna, mut bert) = (Client::new(&server), Client::new(&server));
        assert_eq!(anna.sign_in(&world.anna).status, 303);
        assert_eq!(bert.sign_in(&world.bert).status, 303);
        assert_eq!(anna.get("/api/v1/me").status, 200);
        // Anna's account is erased (its term passed, or her file was) by
        // another process on the same store while she is signed in.
        let kernel = std::sync::Arc::new(
            grondslag_kernel::DataDir::new(&world.place.dir)
                .with_database_url(world.place.database_url.clone())
                .open_kernel(crate::shipped(), None, jiff::Timestamp::now())
                .unwrap(),
        );
        let system = grondslag_kernel::Access::new("retention", grondslag_register::Role::System, "test", jiff::Timestamp::now());
        let accounts = Accounts::new(kernel.clone(), Policy::default()).unwrap();
        let account = accounts.find(&system, "anna").unwrap().unwrap();
        let processing = kernel.processing(grondslag_accounts::PROCESSING).unwrap();
        kernel.erase_record(&system, processing, &account.record, "term passed").unwrap();
        drop(accounts);
        drop(kernel);
        let gone = anna.get("/api/v1/me");
        assert_eq!((gone.status, gone.json()["code"].as_str()), (401, Some("sign_in_first")), "{url:?}: {}", gone.body);
        // Bert's session is his own and stays.
        assert_eq!(bert.get("/api/v1/me").status, 200, "{url:?}");
    });
}

/// Carla, the case handler, signed in, has moved Anna's case into handling
/// and disclosed it to the police with `check` as the recorded legal check
/// (a staff-only event of the case).
pub fn disclosed_to_the_police(server: &Server, world: &crate::server::World, check: &str) -> Client {
    let mut carla = Client::new(server);
    assert_eq!(carla.sign_in(&world.handler).status, 303);
    let csrf = carla.csrf();
    let number = &world.anna_case;
    let moved = carla.post_json(&format!("/api/v1/cases/{number}/status"), Some(&csrf), serde_json::json!({"status": "in_handling"}));
    assert_eq!(moved.status, 200, "{:?}: {}", world.place.database_url, moved.body);
    let disclosed =
        carla.post_json(&format!("/api/v1/cases/{number}/disclosures"), Some(&csrf), serde_json::json!({"recipient": "politie", "legal_check": check}));
    assert_eq!(disclosed.status, 200, "{:?}: {}", world.place.database_url, disclosed.body);
    carla
}

// req: I.SEC, E15.LEGAL
#[test]
fn what_is_typed_as_a_legal_check_is_kept_sealed_with_the_case_not_in_the_permanent_log() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let number = &world.anna_case;
    let mut carla = disclosed_to_the_police(&server, &world, "vordering OvJ 2026/123 inzake Jan Verdacht, art. 126nd Sv");
    // Staff see the check with the case…
    let case = carla.get(&format!("/api/v1/cases/{number}"));
    assert!(case.body.contains("legal_obligation_checked") && case.body.contains("Jan Verdacht"), "{}", case.body);
    // …the audit log says that it was checked and where the check is kept…
    let entries = crate::audit_json(world.dir.path(), "SELECT entry FROM audit_entries", []);
    assert_eq!(entries.iter().filter(|e| e.contains("legal obligation checked")).count(), 1);
    // …and no file of the data directory holds what was typed in the clear.
    drop(server);
    assert_eq!(crate::in_the_clear(world.dir.path(), b"Jan Verdacht"), Vec::<String>::new(), "the check in the clear");
}

/// A fresh data directory holding the keys of `from` (as an operator keeps
/// them apart from the backups), and no store.
fn keys_of(from: &std::path::Path) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let to = tempfile::tempdir().unwrap();
    for key in ["master.key", "index.key", "audit-signing.key", "audit-signing.pub"] {
        if from.join(key).exists() {
            std::fs::copy(from.join(key), to.path().join(key)).unwrap();
            std::fs::set_permissions(to.path().join(key), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }
    to
}

/// Anna's name as the kernel on `dir` reads it, found by her BSN (a blind index).
fn annas_name(dir: &std::path::Path) -> Option<String> {
    use grondslag_register::{Category, CategorySet};
    let kernel = crate::open_kernel(dir);
    let handler = crate::access(grondslag_register::Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.find_by_bsn(&handler, physical, crate::server::ANNA_BSN).unwrap()?;
    let views = kernel.read(&handler, physical, &anna, CategorySet::of(&[Category::Name])).unwrap();
    views.iter().find_map(|v| v.get(Category::Name).and_then(grondslag_kernel::Value::as_text).map(str::to_string))
}

// req: I.SEC, E22
#[test]
fn a_backup_restores_with_its_keys_and_after_a_key_rotation_never_again() {
    let world = world();
    let dir = world.dir.path();
    let backups = tempfile::tempdir().unwrap();
    let before = backups.path().join("voor-rotatie.db");
    world.place.ok(&["backup", "--to", before.to_str().unwrap()]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&before).unwrap().permissions().mode() & 0o777, 0o600);
    // Restored beside its keys, the backup opens, verifies and reads.
    let restored = keys_of(dir);
    let out = crate::server::Place::sqlite(restored.path()).ok(&["restore", "--from", before.to_str().unwrap()]);
    assert!(out.contains("the audit log verifies"), "{out}");
    assert_eq!(annas_name(restored.path()).as_deref(), Some("Anna de Vries"));
    // Restoring over a store is refused, and the store is untouched.
    let over = world.place.run(&["restore", "--from", before.to_str().unwrap()]);
    assert!(!over.status.success() && crate::stderr(&over).contains("holds a store already"), "{}", crate::stderr(&over));

    let old_key = std::fs::read_to_string(dir.join("master.key")).unwrap();
    let rotated = world.place.ok(&["keys", "rotate"]);
    assert!(rotated.contains("subject keys re-wrapped"), "{rotated}");
    assert_ne!(std::fs::read_to_string(dir.join("master.key")).unwrap(), old_key);
    // The log says who rotated, and what it took.
    let last = crate::audit_json(dir, "SELECT entry FROM audit_entries ORDER BY seq DESC LIMIT 1", []);
    let last: serde_json::Value = serde_json::from_str(&last[0]).unwrap();
    assert_eq!((&last["action"], &last["processing"], &last["actor"]), (&"rotate_master_key".into(), &"audit_log".into(), &"cli".into()), "{last}");
    assert!(last["reason"].as_str().unwrap().ends_with("subject keys under a new master key"), "{last}");
    assert_eq!(crate::in_the_clear(dir, old_key.trim().as_bytes()), Vec::<String>::new(), "the old key kept");
    // The live data reads as before, found by the same blind index; signing in still works.
    assert_eq!(annas_name(dir).as_deref(), Some("Anna de Vries"));
    let server = Server::start(dir, &[]);
    assert_eq!(Client::new(&server).sign_in(&world.anna).status, 303);
    drop(server);

    // The backup from before the rotation, beside the keys of now: refused, nothing left behind.
    let late = keys_of(dir);
    let refused = crate::server::Place::sqlite(late.path()).run(&["restore", "--from", before.to_str().unwrap()]);
    assert!(!refused.status.success(), "{}", crate::stdout(&refused));
    assert!(crate::stderr(&refused).contains("master key this directory no longer has"), "{}", crate::stderr(&refused));
    assert!(!late.path().join("grondslag.db").exists());
    // A backup made after the rotation restores.
    let after = backups.path().join("na-rotatie.db");
    world.place.ok(&["backup", "--to", after.to_str().unwrap()]);
    let fresh = keys_of(dir);
    crate::server::Place::sqlite(fresh.path()).ok(&["restore", "--from", after.to_str().unwrap()]);
    assert_eq!(annas_name(fresh.path()).as_deref(), Some("Anna de Vries"));
}

// req: I.SEC
#[test]
fn a_rotation_stopped_half_way_is_settled_at_the_next_opening() {
    let world = world();
    let dir = world.dir.path();
    // Stopped before the re-wrapping committed: the new key never wrapped anything.
    std::fs::write(dir.join("master.key.next"), format!("{}\n", "ab".repeat(32))).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.join("master.key.next"), std::fs::Permissions::from_mode(0o600)).unwrap();
    let old_key = std::fs::read_to_string(dir.join("master.key")).unwrap();
    assert_eq!(annas_name(dir).as_deref(), Some("Anna de Vries"));
    assert!(!dir.join("master.key.next").exists(), "the unused new key is gone");
    assert_eq!(std::fs::read_to_string(dir.join("master.key")).unwrap(), old_key);

    // Stopped after the re-wrapping committed, before the key file was replaced.
    use grondslag_crypto::{Keyring, MasterKey, store_new_key};
    let old = MasterKey::from_hex(&old_key).unwrap();
    store_new_key(&dir.join("index.key"), &old.index_key().unwrap()).unwrap();
    let next = MasterKey::generate();
    let kernel = crate::open_kernel(dir);
    let operator = grondslag_kernel::Access::new("cli", grondslag_register::Role::System, "test", jiff::Timestamp::now());
    kernel.rotate_keys(&operator, &Keyring::with_index_key(&next, &old.index_key().unwrap()).unwrap()).unwrap();
    drop(kernel);
    store_new_key(&dir.join("master.key.next"), &next).unwrap();
    assert_eq!(annas_name(dir).as_deref(), Some("Anna de Vries"), "the new key took the old one's place");
    assert!(!dir.join("master.key.next").exists());
    assert_eq!(std::fs::read_to_string(dir.join("master.key")).unwrap().trim(), next.to_hex().as_str());
}

// req: I.SEC
#[test]
fn a_recording_written_anew_leaves_no_old_file_behind() {
    use grondslag_kernel::Value;
    use grondslag_register::{Action, Category, Role};
    let dir = tempfile::tempdir().unwrap();
    let kernel = crate::open_kernel(dir.path());
    let calls = kernel.processing("telefoon_opnames").unwrap();
    let grants = kernel.register().processing(calls).grants;
    let writer = Role::ALL.iter().copied().find(|r| grants[r.index()][Action::File.index()].is_granted()).unwrap();
    let blob_files =
        || std::fs::read_dir(dir.path().join("blobs")).unwrap().filter(|e| !e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.')).count();
    let call = kernel.write(&crate::access(writer), calls, None, None, &[(Category::CallRecording, Value::Bytes(b"RIFF-eerste".to_vec()))]).unwrap();
    assert_eq!(blob_files(), 1);
    kernel
        .write(&crate::access(writer), calls, Some(&call.subject), Some(&call.record), &[(Category::CallRecording, Value::Bytes(b"RIFF-tweede".to_vec()))])
        .unwrap();
    assert_eq!(blob_files(), 1, "the replaced recording's file is gone, the new one is there");
}

// req: I.SEC
#[test]
fn readiness_answers_in_its_documented_plain_text_when_the_store_is_gone() {
    let Some(database) = grondslag_store::ScratchDatabase::for_tests().unwrap() else { return };
    let dir = tempfile::tempdir().unwrap();
    let place = crate::server::Place { dir: dir.path().to_path_buf(), database_url: Some(database.url().to_string()) };
    let server = Server::start_on(&place, &[]);
    let mut probe = Client::new(&server);
    let ready = probe.get("/readyz");
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
    // Dropped with FORCE: the server's connections end, with nothing to reconnect to.
    drop(database);
    let gone = probe.get("/readyz");
    assert_eq!((gone.status, gone.body.as_str()), (503, "the store does not answer"));
    assert!(gone.header("content-type").unwrap().starts_with("text/plain"), "{:?}", gone.headers);
    // Liveness is the process's own.
    assert_eq!(probe.get("/healthz").body, "ok");
}

// req: I.SEC, E22
#[test]
fn a_postgresql_store_restores_from_pg_dump_beside_its_keys() {
    let (Some(source), Some(target)) = (grondslag_store::ScratchDatabase::for_tests().unwrap(), grondslag_store::ScratchDatabase::for_tests().unwrap()) else {
        return;
    };
    let world = crate::server::world_on(Some(source.url()));
    // As docs/server.md, Backups, says: pg_dump's custom format, restored into an empty database.
    let dumps = tempfile::tempdir().unwrap();
    let dump = dumps.path().join("grondslag.dump");
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program).args(args).output().unwrap();
        assert!(out.status.success(), "{program}: {}", crate::stderr(&out));
    };
    run("pg_dump", &["--format=custom", "--no-owner", "--file", dump.to_str().unwrap(), source.url()]);
    run("pg_restore", &["--no-owner", "--exit-on-error", "--dbname", target.url(), dump.to_str().unwrap()]);
    drop(source);

    let keys = keys_of(world.dir.path());
    let restored = crate::server::Place { dir: keys.path().to_path_buf(), database_url: Some(target.url().to_string()) };
    let verified = restored.ok(&["audit", "verify"]);
    assert!(verified.contains("verified"), "{verified}");
    let server = Server::start_on(&restored, &[]);
    let mut anna = Client::new(&server);
    assert_eq!(anna.sign_in(&world.anna).status, 303);
    let case = anna.get(&format!("/api/v1/cases/{}", world.anna_case));
    assert_eq!(case.status, 200, "{}", case.body);
    assert!(case.body.contains("Anna de Vries"), "{}", case.body);
    // Another directory's keys read nothing of it.
    let elsewhere = tempfile::tempdir().unwrap();
    let strangers = crate::server::Place { dir: elsewhere.path().to_path_buf(), database_url: Some(target.url().to_string()) };
    let refused = strangers.run(&["case", "show", &world.anna_case]);
    assert!(!refused.status.success());
    assert!(crate::stderr(&refused).contains("master key"), "{}", crate::stderr(&refused));
}
