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
    let changed = anna.post_form("/wachtwoord", &[("csrf", &csrf), ("password", padded)]);
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
