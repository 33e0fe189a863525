//! The statement's versions cannot lie (E21): a changed text under an old
//! version is refused, a new version must be recorded, every recorded
//! version stays readable with what changed; and the statement is in plain
//! Dutch (E0.8).

use crate::server::{Client, Server};
use crate::{grondslag, stderr, stdout};

const PURPOSE: &str = "Aanvragen behandelen voor vergoeding van fysieke schade aan een gebouw of werk door de gaswinning";
const NEW_PURPOSE: &str = "Aanvragen behandelen voor vergoeding van fysieke schade aan een gebouw, een werk of een tuin door de gaswinning";

// req: E21
#[test]
fn a_changed_statement_needs_a_new_version_and_the_old_one_stays_readable_with_the_change_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("img.toml");
    let archive = dir.path().join("img.published.json");
    let shipped = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../register/img.toml")).unwrap();
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/../../register/img.published.json"), &archive).unwrap();
    std::fs::write(&file, &shipped).unwrap();
    let name = file.to_str().unwrap();
    let check = grondslag(&["register", "check", name]);
    assert!(check.status.success(), "{}", stderr(&check));

    // The purpose changes, the version does not: refused at the version.
    assert!(shipped.contains(PURPOSE));
    let changed = shipped.replacen(PURPOSE, NEW_PURPOSE, 1);
    std::fs::write(&file, &changed).unwrap();
    let before = std::fs::read(&archive).unwrap();
    let refused = grondslag(&["register", "check", name]);
    assert!(!refused.status.success());
    let version_line = changed.lines().position(|l| l.starts_with("[statement.public]")).unwrap() + 2;
    crate::register::expect_error(
        name,
        &stderr(&refused),
        version_line,
        "the Privacyverklaring says something else than its published version 2026.12.2",
        "raise `version` and `date` of [statement.public]",
        "changed purpose",
    );
    assert!(stderr(&refused).contains(&format!("Omschrijving — erbij: {NEW_PURPOSE}")), "the message names what changed: {}", stderr(&refused));
    // Publishing does not paper over it either, and writes nothing.
    let publish = grondslag(&["register", "publish", name]);
    assert!(!publish.status.success());
    assert_eq!(std::fs::read(&archive).unwrap(), before);
    // Neither does the service start on it.
    let serve = grondslag(&["--register", name, "--data", dir.path().join("data").to_str().unwrap(), "serve", "--check"]);
    assert!(!serve.status.success() && stderr(&serve).contains("was not raised"), "{}", stderr(&serve));

    // A new version and date: to be recorded first, then accepted.
    let raised = changed.replacen(
        "[statement.public]\nversion = \"2026.12.2\"\ndate = \"2026-12-02\"",
        "[statement.public]\nversion = \"2027.01\"\ndate = \"2027-01-04\"",
        1,
    );
    assert_ne!(raised, changed);
    std::fs::write(&file, &raised).unwrap();
    let unrecorded = grondslag(&["register", "check", name]);
    assert!(!unrecorded.status.success());
    assert!(stderr(&unrecorded).contains("version 2027.01 of the Privacyverklaring is not recorded"), "{}", stderr(&unrecorded));
    assert!(stderr(&unrecorded).contains("grondslag register publish"), "{}", stderr(&unrecorded));
    let published = grondslag(&["register", "publish", name]);
    assert!(published.status.success(), "{}", stderr(&published));
    assert!(stdout(&published).contains("recorded version 2027.01 of the Privacyverklaring"), "{}", stdout(&published));
    assert!(!stdout(&published).contains("medewerkers"), "only the raised statement is recorded anew");
    let check = grondslag(&["register", "check", name]);
    assert!(check.status.success(), "{}", stderr(&check));

    // The new version says what changed, in words.
    let text = stdout(&grondslag(&["register", "render", name]));
    assert!(text.contains("Versie 2027.01, vastgesteld op 4 januari 2027."), "{text}");
    assert!(text.contains("Wat is er veranderd?") && text.contains("Ten opzichte van versie 2026.12.2 van 2 december 2026:"), "{text}");
    assert!(text.contains(&format!("erbij: {NEW_PURPOSE}")) && text.contains(&format!("niet meer: {PURPOSE}")), "{text}");

    // Both versions readable on the site; the old one marked as such.
    let data = dir.path().join("data");
    let server = Server::start(&data, &["--register", name]);
    let mut visitor = Client::new(&server);
    let list = visitor.get("/privacyverklaring/versies");
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("Versie 2027.01")
            && list.body.contains("(geldt nu)")
            && list.body.contains("Versie 2026.12")
            && list.body.contains("Versie 2024.05"),
        "{}",
        list.body
    );
    let old = visitor.get("/privacyverklaring/versies/2026.12");
    assert_eq!(old.status, 200);
    assert!(old.body.contains("Dit is een oude versie") && old.body.contains(PURPOSE) && !old.body.contains(NEW_PURPOSE));
    let current = visitor.get("/privacyverklaring");
    assert!(current.body.contains(NEW_PURPOSE) && current.body.contains("Wat is er veranderd?"));
    let missing = visitor.get("/privacyverklaring/versies/1999.01");
    assert_eq!(missing.status, 404);
}

// req: E0.7
// req: E0.8
#[test]
fn the_statements_spell_out_the_law_and_keep_their_own_dates() {
    let public = stdout(&grondslag(&["register", "render"]));
    assert!(public.contains("Tijdelijke wet Groningen (TwG)"), "the law is named in full at first use");
    assert!(public.contains("Algemene verordening gegevensbescherming (AVG)"));
    assert!(public.find("Tijdelijke wet Groningen").unwrap() < public.find("TwG art.").unwrap_or(usize::MAX));
    assert!(public.contains("Versie 2026.12.2, vastgesteld op 2 december 2026."), "{public}");
    // Signing in with DigiD and eHerkenning is what changed since 2026.12.
    assert!(public.contains("Ten opzichte van versie 2026.12 van 1 december 2026:"), "{public}");
    assert!(public.contains("Welke gegevens gebruiken wij? — erbij: KvK-nummer."), "{public}");
    // In 2026.12 as published, the seed's statement of May 2024 is the
    // version before, and the corrections to what the register had said
    // beyond the seed are listed.
    let archive: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../register/img.published.json")).unwrap()).unwrap();
    let published = archive["versions"].as_array().unwrap().iter().find(|v| v["statement"] == "public" && v["version"] == "2026.12").unwrap();
    let public = published["document"].to_string();
    assert!(public.contains("Ten opzichte van versie 2024.05 van 1 mei 2024:"), "{public}");
    assert!(
        public.contains("Deskundigen die advies geven over je aanvraag (derde partij): niet meer: e-mailadres."),
        "experts get the telephone number, not e-mail: {public}"
    );
    assert!(public.contains("Grondslag: nu: „de uitvoering van de publieke taken van de NCG”"), "no article the seed does not name: {public}");
    // A term the seed gives no number for says the seed's words, then ours as our choice.
    assert!(public.contains("In lijn met de wettelijke bewaartermijnen; nu: 20 jaar (onze eigen keuze"), "{public}");
    let staff = stdout(&grondslag(&["register", "render", "--statement", "staff"]));
    // The staff statement of June 2023 stays the version before the
    // correction of the works-council election's basis to a legal task.
    assert!(staff.contains("Ten opzichte van versie 2023.06 van 1 juni 2023:"), "the seed's staff statement of June 2023: {staff}");
    assert!(staff.contains("OR-verkiezingen: kandidaten: Grondslag — nu: „taak van algemeen belang"), "{staff}");
}
