//! The scheme flows from the command line, and the packages each party gets.

use std::path::Path;

use crate::{grondslag, stderr, stdout};

fn run(data: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--data", data.to_str().unwrap()];
    all.extend_from_slice(args);
    grondslag(&all)
}

fn ok(data: &Path, args: &[&str]) -> String {
    let output = run(data, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output)
}

fn package_categories(dir: &Path, name: &str) -> Vec<String> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap();
    json["categories"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()
}

fn example() -> String {
    format!("{}/../../examples/fysieke-schade.json", env!("CARGO_MANIFEST_DIR"))
}

// req: E15.NAM
// req: I.SEC
#[test]
fn each_party_gets_a_package_with_exactly_its_categories() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    assert!(ok(&data, &["case", "create", &example()]).starts_with("IMG-"));
    let number = ok(&data, &["case", "list", "--scheme", "fysieke_schade"]).split_whitespace().next().unwrap().to_string();
    let expected: [(&str, &[&str]); 5] = [
        ("nam", &["address"]),
        ("tevredenheidsbureau", &["name", "phone", "email"]),
        ("commissie_mijnbouwschade", &["name", "address", "postcode_city", "cadastral_building", "phone", "email", "bsn", "other_incl_photos"]),
        ("deskundigen", &["name", "address", "postcode_city", "phone", "bsn", "bank_account", "other_incl_photos"]),
        ("ncg", &["name", "address", "postcode_city", "cadastral_building", "phone", "email", "bsn", "other_incl_photos"]),
    ];
    for (recipient, categories) in expected {
        ok(&data, &["case", "disclose", &number, recipient, "--out", out.to_str().unwrap()]);
        assert_eq!(package_categories(&out, &format!("{number}-{recipient}.json")), categories, "{recipient}");
        let csv = std::fs::read_to_string(out.join(format!("{number}-{recipient}.csv"))).unwrap();
        assert_eq!(csv.lines().next().unwrap(), categories.join(","), "{recipient}");
    }
    // A package holds BSNs and IBANs: readable by its owner only.
    for file in std::fs::read_dir(&out).unwrap() {
        use std::os::unix::fs::PermissionsExt;
        let file = file.unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600, "{}", file.path().display());
    }
    let nam = std::fs::read_to_string(out.join(format!("{number}-nam.json"))).unwrap();
    assert!(!nam.contains("111222333") && !nam.contains("Anna"), "{nam}");
}

// req: E15.LEGAL
#[test]
fn the_police_get_nothing_without_the_recorded_check() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    ok(&data, &["case", "create", &example()]);
    let number = ok(&data, &["case", "list", "--scheme", "fysieke_schade"]).split_whitespace().next().unwrap().to_string();
    let refused = run(&data, &["case", "disclose", &number, "politie", "--out", out.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("legal obligation"), "{}", stderr(&refused));
    assert!(!out.join(format!("{number}-politie.json")).exists());
    ok(&data, &["case", "--role", "privacy_officer", "show", &number]);
    ok(&data, &["case", "disclose", &number, "politie", "--legal-check", "vordering OvJ 2026-114, getoetst door privacyteam", "--out", out.to_str().unwrap()]);
    assert!(out.join(format!("{number}-politie.json")).exists());
}

// req: E15.BUREAU
#[test]
fn the_mayor_is_informed_only_of_a_report_marked_acutely_unsafe() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let report = dir.path().join("melding.json");
    std::fs::write(
        &report,
        r#"{ "scheme": "acuut_onveilig", "applicant": { "name": "Anna de Vries", "phone": "0595123456", "email": "anna@example.nl", "bsn": "111222333", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" } }"#,
    )
    .unwrap();
    let number = ok(&data, &["case", "create", report.to_str().unwrap()]).split_whitespace().next().unwrap().to_string();
    ok(&data, &["case", "disclose", &number, "inspectiebureau", "--out", out.to_str().unwrap()]);
    assert_eq!(package_categories(&out, &format!("{number}-inspectiebureau.json")), ["name", "address"]);
    let early = run(&data, &["case", "disclose", &number, "burgemeester", "--out", out.to_str().unwrap()]);
    assert!(!early.status.success());
    assert!(stderr(&early).contains("not marked acutely unsafe"), "{}", stderr(&early));
    ok(&data, &["case", "mark-unsafe", &number]);
    ok(&data, &["case", "disclose", &number, "burgemeester", "--out", out.to_str().unwrap()]);
    assert_eq!(package_categories(&out, &format!("{number}-burgemeester.json")), ["name", "address"]);
}

// req: E1
#[test]
fn a_malformed_application_file_is_refused_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("bad.json");
    std::fs::write(&file, "{\n  \"scheme\": \"fysieke_schade\",\n  \"applicant\": { \"name\": 3 }\n}").unwrap();
    let output = run(&data, &["case", "create", file.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("line 3"), "{}", stderr(&output));
}

// req: E15.EXPERT
#[test]
fn experts_get_the_photos_and_nam_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = dir.path().join("out");
    let number = ok(&data, &["case", "create", &example()]).split_whitespace().next().unwrap().to_string();
    let photo = dir.path().join("woonkamer.jpg");
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&photo, &bytes).unwrap();
    ok(&data, &["case", "attach", &number, photo.to_str().unwrap()]);
    ok(&data, &["case", "disclose", &number, "deskundigen", "--out", out.to_str().unwrap()]);
    let handed = std::fs::read(out.join(format!("{number}-other_incl_photos-1.bin"))).unwrap();
    assert_eq!(handed, bytes);
    let package = std::fs::read_to_string(out.join(format!("{number}-deskundigen.json"))).unwrap();
    assert!(package.contains(&format!("{number}-other_incl_photos-1.bin")));
    ok(&data, &["case", "disclose", &number, "nam", "--out", out.to_str().unwrap()]);
    assert_eq!(package_categories(&out, &format!("{number}-nam.json")), ["address"]);
    assert_eq!(std::fs::read_dir(&out).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "bin")).count(), 1);
    // The photo is sealed at rest.
    for file in crate::files_below(&data) {
        let content = std::fs::read(&file).unwrap();
        assert!(!content.windows(64).any(|w| w == &bytes[..64]), "{} holds the photo in the clear", file.display());
    }
    // An oversized upload is refused before anything is stored.
    let big = dir.path().join("groot.jpg");
    std::fs::write(&big, vec![0u8; 21 << 20]).unwrap();
    let refused = run(&data, &["case", "attach", &number, big.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("scale it down"), "{}", stderr(&refused));
}

// req: E1
#[test]
fn a_negative_amount_is_refused_with_where_it_stands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("costs.json");
    let example = std::fs::read_to_string(example()).unwrap().replace("\"garden\": 45000", "\"garden\": -45000");
    std::fs::write(&file, example).unwrap();
    let output = run(&data, &["case", "create", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("-45000") && message.contains("line 14"), "{message}");
    assert!(!data.join("grondslag.db").exists() || crate::sqlite(&data).query_row("SELECT count(*) FROM records", [], |r| r.get::<_, i64>(0)).unwrap() == 0);
}

// req: E14
#[test]
fn channels_work_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let received = ok(
        &data,
        &[
            "channel",
            "contact",
            "submit",
            "--field",
            "name=Anna",
            "--field",
            "phone=0595123456",
            "--field",
            "email=anna@example.nl",
            "--text",
            "Vraag",
            "--consent",
        ],
    );
    let link = received.lines().last().unwrap().split_whitespace().last().unwrap().to_string();
    let refused = run(&data, &["channel", "contact", "submit", "--field", "name=Anna", "--text", "Vraag zonder toestemming"]);
    assert!(stderr(&refused).contains("consent is required"), "{}", stderr(&refused));
    ok(&data, &["channel", "contact", "withdraw", &link]);
    assert!(!run(&data, &["channel", "contact", "withdraw", &link]).status.success(), "a link works once");

    ok(&data, &["channel", "newsletter", "subscribe", "--name", "Berend", "--email", "berend@example.nl", "--consent"]);
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "Het laatste nieuws.").unwrap();
    let outbox = dir.path().join("outbox");
    let labels = dir.path().join("labels.csv");
    ok(
        &data,
        &[
            "channel",
            "newsletter",
            "issue",
            "--title",
            "Q4",
            "--body",
            body.to_str().unwrap(),
            "--outbox",
            outbox.to_str().unwrap(),
            "--labels",
            labels.to_str().unwrap(),
        ],
    );
    let mail = std::fs::read_to_string(outbox.join("00001.eml")).unwrap();
    let token = mail.split("token=").nth(1).unwrap().trim().to_string();
    ok(&data, &["channel", "newsletter", "unsubscribe", &token]);
    assert!(!run(&data, &["channel", "newsletter", "unsubscribe", &token]).status.success());

    let wav = dir.path().join("call.wav");
    std::fs::write(&wav, b"RIFF\x24\x00\x00\x00WAVEfmt data").unwrap();
    let stored = ok(&data, &["channel", "media", "ingest-call", wav.to_str().unwrap(), "--type", "audio/wav", "--caller", "0612345678"]);
    let handle = stored.split_whitespace().last().unwrap().to_string();
    ok(&data, &["channel", "media", "hold", &handle, "--reason", "integriteitsmelding 2026-12", "--review", "2027-03-01"]);
    let mislabelled = run(&data, &["channel", "media", "ingest-call", wav.to_str().unwrap(), "--type", "audio/ogg", "--caller", "0612345678"]);
    assert!(stderr(&mislabelled).contains("declared audio/ogg"), "{}", stderr(&mislabelled));
    ok(&data, &["audit", "verify"]);
}
