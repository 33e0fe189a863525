//! What a Dutch government site publishes besides its pages:
//! `/.well-known/security.txt` (RFC 9116) with the warning before it
//! expires, and the accessibility statement. The pages themselves are
//! checked with axe-core in `browser`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

use jiff::{Timestamp, ToSpan};
use tempfile::TempDir;

use crate::server::{Client, Place, Server};
use crate::stderr;

/// The fields of a security.txt, each with every value it was given,
/// checked against RFC 9116's grammar: one line ending (LF), each line a
/// comment or `Name: value`.
fn parse_security_txt(text: &str) -> BTreeMap<String, Vec<String>> {
    assert!(!text.contains('\r'), "one kind of line ending");
    assert!(text.ends_with('\n'), "the last line ends too");
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (name, value) = line.split_once(": ").unwrap_or_else(|| panic!("not a field: {line}"));
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "field name {name}");
        fields.entry(name.to_ascii_lowercase()).or_default().push(value.to_string());
    }
    fields
}

// req: E0.7
#[test]
fn security_txt_parses_per_rfc_9116_with_the_operators_expiry_and_the_registers_contact() {
    let dir = TempDir::new().unwrap();
    let expires = Timestamp::now().checked_add(jiff::SignedDuration::from_hours(200 * 24)).unwrap().round(jiff::Unit::Second).unwrap();
    let server = Server::start(dir.path(), &["--security-expires", &expires.to_string(), "--public-origin", "https://schade.example.nl"]);
    let reply = Client::new(&server).get("/.well-known/security.txt");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/plain; charset=utf-8"));
    let fields = parse_security_txt(&reply.body);
    assert_eq!(fields["contact"], ["mailto:privacy@schadedoormijnbouw.nl"], "from the register's [contact]");
    assert_eq!(fields["expires"].len(), 1, "Expires exactly once");
    let served: Timestamp = fields["expires"][0].parse().expect("Expires is RFC 3339");
    assert_eq!(served, expires);
    assert!(
        served > Timestamp::now() && served < Timestamp::now().checked_add(jiff::SignedDuration::from_hours(366 * 24)).unwrap(),
        "in the future, less than a year ahead"
    );
    assert_eq!(fields["preferred-languages"], ["nl, en"]);
    assert_eq!(fields["canonical"], ["https://schade.example.nl/.well-known/security.txt"]);
    assert!(!fields.contains_key("policy"), "no policy unless the operator names one");

    // Without options: the register's date plus a year, and the register's origin.
    let plain = Server::start(dir.path(), &[]);
    let fields = parse_security_txt(&Client::new(&plain).get("/.well-known/security.txt").body);
    let date = grondslag_register::load(None, None).unwrap().0.meta.editions.iter().map(|e| e.date).max().unwrap();
    let year_on = date.checked_add(1.year()).unwrap().to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
    assert_eq!(fields["expires"], [year_on.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()]);
    assert_eq!(fields["canonical"], ["https://register.grondslag.example/.well-known/security.txt"]);
}

// req: E0.7
#[test]
fn the_operator_is_warned_before_security_txt_expires() {
    let dir = TempDir::new().unwrap();
    let place = Place::sqlite(dir.path());
    let soon = Timestamp::now().checked_add(jiff::SignedDuration::from_hours(10 * 24)).unwrap().to_string();
    let later = Timestamp::now().checked_add(jiff::SignedDuration::from_hours(200 * 24)).unwrap().to_string();

    // The check for a daily job: fails within 30 days, passes otherwise.
    let near = place.run(&["serve", "--check", "--security-expires", &soon]);
    assert!(!near.status.success());
    assert!(stderr(&near).contains("security.txt expires on") && stderr(&near).contains("--security-expires"), "{}", stderr(&near));
    let far = place.run(&["serve", "--check", "--security-expires", &later]);
    assert!(far.status.success(), "{}", stderr(&far));
    let past = place.run(&["serve", "--check", "--security-expires", "2020-01-01T00:00:00Z"]);
    assert!(stderr(&past).contains("security.txt expired on 2020-01-01"), "{}", stderr(&past));

    // At start-up: a warning on stderr before the service answers.
    let port = crate::server::free_port();
    let mut child = place
        .command()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--security-expires", &soon])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let serving = line.contains("grondslag serves");
        said.push(line);
        if serving {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(said.iter().any(|l| l.starts_with("warning: security.txt expires on")), "{said:?}");
}

// req: E0.7
#[test]
fn the_accessibility_statement_follows_the_government_model_and_is_linked_from_every_page() {
    let dir = TempDir::new().unwrap();
    let server = Server::start(dir.path(), &[]);
    let mut client = Client::new(&server);
    let page = client.get("/toegankelijkheid");
    assert_eq!(page.status, 200);
    for part in [
        "Instituut Mijnbouwschade Groningen",
        "WCAG 2.1 niveau AA",
        "EN 301 549",
        "C: eerste maatregelen genomen",
        "axe-core",
        "privacy@schadedoormijnbouw.nl",
        "Nationale ombudsman",
        "Wat nog niet goed is",
    ] {
        assert!(page.body.contains(part), "{part} missing");
    }
    assert!(!page.body.contains("voldoet volledig"), "no claim an audit would have to back");
    for path in ["/", "/contact", "/toegankelijkheid", "/bestaat-niet"] {
        assert!(client.get(path).body.contains(r#"<a href="/toegankelijkheid">Toegankelijkheid</a>"#), "footer link on {path}");
    }
}
