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
