//! The children's statement (E6): written for 12- to 17-year-olds from the
//! register's own processings, versioned like every statement, linked from
//! the children's scheme; and measured for plain language (E0.8).

use grondslag_register::{Category, Statement};

use crate::server::{ANNA_BSN, Client, Server, create_account, world};
use crate::{grondslag, stderr, stdout};

const SHIPPED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../register/img.toml");
const ARCHIVE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../register/img.published.json");

/// The children's scheme's data, as the register lists it: the statement
/// for children must name each one.
fn children_scheme_labels() -> Vec<&'static str> {
    let (register, _) = grondslag_register::load(None, None).unwrap();
    let section = register.meta.children.as_ref().expect("the shipped register has a children's statement").section;
    let processing = register.processings.iter().find(|p| p.statement == Statement::Public && p.section == section).unwrap();
    processing.categories.iter().map(Category::label_nl).collect()
}

// req: E6
#[test]
fn the_childrens_statement_is_written_from_the_register_and_follows_it() {
    let text = stdout(&grondslag(&["register", "render", "--statement", "children"]));
    assert!(text.starts_with("# Privacyverklaring voor kinderen en jongeren"), "{text}");
    assert!(text.contains("Ben je 17 jaar of jonger? Dan is deze uitleg voor jou."), "{text}");
    assert!(text.contains("Je ouders of voogd vragen de vergoeding voor je aan."), "the register's intro: {text}");
    for label in children_scheme_labels() {
        assert!(text.contains(&format!("- {label}")), "`{label}` of the register is missing:\n{text}");
    }
    assert!(text.contains("Basisregistratie Personen (BRP)") && text.contains("Centraal gezagsregister van de Rechtspraak"), "the sources");
    assert!(text.contains("Samenwerkingsverband Noord-Nederland (SNN) (alleen als de wet het verplicht)"), "the recipients: {text}");
    assert!(text.contains("Ben je jonger dan 16? Dan vragen je ouders of voogd dit voor je."), "who uses a child's rights");
    assert!(text.contains("[Welke gegevens elke organisatie krijgt](/privacyverklaring#verwerking-kinderen)"), "{text}");

    // A fact changes in the register: the children's statement changes with
    // it, and (like the public one) cannot do so under its old version.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("img.toml");
    std::fs::copy(ARCHIVE, dir.path().join("img.published.json")).unwrap();
    let shipped = std::fs::read_to_string(SHIPPED).unwrap();
    let kinderen = shipped.find("id = \"kinderen\"").unwrap();
    let sources = kinderen + shipped[kinderen..].find("\nsources = [").unwrap();
    let changed = format!("{}{}", &shipped[..sources], shipped[sources..].replacen(", \"Centraal gezagsregister van de Rechtspraak\"", "", 1));
    assert_ne!(changed, shipped);
    std::fs::write(&file, &changed).unwrap();
    let name = file.to_str().unwrap();
    let refused = grondslag(&["register", "check", name]);
    assert!(!refused.status.success());
    let children_version = changed.lines().position(|l| l == "[statement.children]").unwrap() + 2;
    crate::register::expect_error(
        name,
        &stderr(&refused),
        children_version,
        "the Privacyverklaring voor kinderen en jongeren says something else than its published version",
        "raise `version` and `date` of [statement.children]",
        "a source dropped from the register",
    );
    let raised = changed
        .replace("[statement.public]\nversion = \"2026.12.2\"\ndate = \"2026-12-02\"", "[statement.public]\nversion = \"2027.01\"\ndate = \"2027-01-04\"")
        .replace("[statement.children]\nversion = \"2026.12\"\ndate = \"2026-12-01\"", "[statement.children]\nversion = \"2027.01\"\ndate = \"2027-01-04\"");
    std::fs::write(&file, &raised).unwrap();
    let published = grondslag(&["register", "publish", name]);
    assert!(published.status.success(), "{}", stderr(&published));
    let text = stdout(&grondslag(&["register", "render", name, "--statement", "children"]));
    assert!(!text.contains("- Centraal gezagsregister"), "no longer listed: {text}");
    assert!(
        text.contains("Van wie krijgen wij je gegevens? — niet meer: Centraal gezagsregister van de Rechtspraak."),
        "what changed, for the child too: {text}"
    );
}

// req: E6
#[test]
fn the_childrens_statement_has_its_own_page_linked_from_the_childrens_scheme_and_open_to_everyone() {
    let world = world();
    // A parent with a child's claim, beside Anna (physical damage only).
    let dir = tempfile::tempdir().unwrap();
    let application = dir.path().join("kind.json");
    let parent_bsn = "123456782";
    std::fs::write(
        &application,
        serde_json::json!({
            "scheme": "kinderen",
            "applicant": { "name": "Emma Smit", "bsn": parent_bsn },
            "details": { "child_birth_date": "2012-05-01", "reference_date": "2026-01-10", "custody": "gezag: beide ouders", "representative_award": 500000 }
        })
        .to_string(),
    )
    .unwrap();
    world.place.ok(&["case", "create", application.to_str().unwrap()]);
    let emma = create_account(&world.place, "emma", "applicant", Some(parent_bsn));
    let server = Server::start(world.dir.path(), &[]);

    let mut anonymous = Client::new(&server);
    let page = anonymous.get("/privacyverklaring/kinderen");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>Privacyverklaring voor kinderen en jongeren</h1>") && page.body.contains("<html lang=\"nl\">"), "{}", page.body);
    // The public statement links it in the section on the children's scheme.
    let public = anonymous.get("/privacyverklaring").body;
    let section = &public[public.find("id=\"sectie-6\"").unwrap()..public.find("id=\"sectie-7\"").unwrap()];
    assert!(section.contains("<a href=\"/privacyverklaring/kinderen\">"), "{section}");
    // One address for it: the generic one sends there.
    let generic = anonymous.get("/privacyverklaring?verklaring=children");
    assert_eq!((generic.status, generic.header("location")), (308, Some("/privacyverklaring/kinderen")));
    let versions = anonymous.get("/privacyverklaring/versies?verklaring=children");
    assert!(versions.status == 200 && versions.body.contains("Versie 2026.12"), "{}", versions.body);

    // It is public: every kind of reader gets it, signed in or not.
    for person in [&world.anna, &world.handler, &world.privacy, &emma] {
        let mut reader = Client::new(&server);
        reader.sign_in(person);
        assert_eq!(reader.get("/privacyverklaring/kinderen").status, 200, "{}", person.username);
    }

    // Mijn gegevens points the parent of a child's claim to it, and only them.
    let mut parent = Client::new(&server);
    parent.sign_in(&emma);
    let portal = parent.get("/mijn-gegevens");
    assert_eq!(portal.status, 200);
    assert!(portal.body.contains("href=\"/privacyverklaring/kinderen\""), "{}", portal.body);
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let portal = anna.get("/mijn-gegevens");
    assert_eq!(portal.status, 200);
    assert!(!portal.body.contains("/privacyverklaring/kinderen"), "Anna has no child's claim");
    assert_ne!(ANNA_BSN, parent_bsn);
}

// req: E6
#[test]
fn a_childrens_statement_must_explain_a_public_section_with_processings() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(SHIPPED).unwrap();
    let cases = [
        (
            "explains = 6",
            "explains = 99",
            "explains = 99",
            "section 99 of the public statement has no processings to explain",
            "name the public section on the children's scheme",
        ),
        (
            "[statement.staff]\nversion = \"2026.12\"\n",
            "[statement.staff]\nversion = \"2026.12\"\nexplains = 6\n",
            "explains = 6\n",
            "`explains` and `intro` belong to [statement.children], not [statement.staff]",
            "remove them here",
        ),
        (
            "statement = \"public\"\nsection = 6\n",
            "statement = \"children\"\nsection = 6\n",
            "statement = \"children\"",
            "the children's statement has no sections or processings of its own",
            "publish it in \"public\"",
        ),
    ];
    for (from, to, at, message, help) in cases {
        assert!(shipped.contains(from), "{from}");
        let changed = shipped.replacen(from, to, 1);
        let file = dir.path().join("img.toml");
        std::fs::write(&file, &changed).unwrap();
        let name = file.to_str().unwrap();
        let refused = grondslag(&["register", "check", name]);
        assert!(!refused.status.success(), "{message}");
        let line = changed[..changed.find(at).unwrap()].matches('\n').count() + 1;
        crate::register::expect_error(name, &stderr(&refused), line, message, help, message);
    }
}

// req: E0.8
#[test]
fn readability_is_measured_and_the_childrens_statement_reads_easiest() {
    let check = grondslag(&["register", "check"]);
    assert!(check.status.success(), "{}", stderr(&check));
    let out = stdout(&check);
    let score = |statement: &str| -> (f64, f64) {
        let line = out
            .lines()
            .find(|l| l.contains(&format!(": {statement} reads at Flesch-Douma ")))
            .unwrap_or_else(|| panic!("no readability of {statement}:\n{out}"));
        let index: f64 = line.split("Flesch-Douma ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap();
        let per_sentence: f64 = line.split(": ").last().unwrap().split(" words per sentence").next().unwrap().parse().unwrap();
        (index, per_sentence)
    };
    // Reported, so that a change that makes a statement harder shows.
    for statement in ["public", "staff", "kcc", "children"] {
        let (index, per_sentence) = score(statement);
        println!("{statement}: Flesch-Douma {index}, {per_sentence} words per sentence");
    }
    let (children, children_sentences) = score("children");
    let (public, _) = score("public");
    assert!(children >= 60.0, "the children's statement is plain Dutch (60 or more): {children}");
    assert!(children >= public + 15.0, "it reads clearly easier than the public one: {children} against {public}");
    assert!(children_sentences <= 10.0, "short sentences: {children_sentences} words on average");
}
