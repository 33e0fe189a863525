//! Bad registers: each gets the intended error at the intended line.

use crate::{grondslag, stderr, stdout};

pub(crate) const BASE: &str = r#"
[register]
controller = "Instituut Mijnbouwschade Groningen (IMG)"
base_uri = "https://register.example/processing_activities"

[statement.public]
version = "2024.05"
date = "2024-05-01"

[contact]
visit = "Cascadeplein 10, 9726 AD Groningen"
post = "Antwoordnummer 3061, 8000 WB Zwolle"
email = "privacy@schadedoormijnbouw.nl"
phone = "0800 4444 111"
dpo_email = "fg@schadedoormijnbouw.nl"

[terms.claim_dossier]
duration = "20 years"

[[section]]
statement = "public"
number = 1
title = "Fysieke schade"

[[recipient]]
id = "nam"
req = "E15.NAM"
name = "NAM"
kind = "third_party"
agreement = { required = true, reference = "GUO-1", ends = "2027-12-31" }
purpose = "Eerdere meldingen controleren."
categories = ["address"]
processes_in = "NL"

[[processing]]
id = "fysieke_schade"
req = "E1"
statement = "public"
section = 1
name = "Fysieke schade"
purpose = "Aanvragen behandelen."
basis = "public_task"
categories = ["name", "address", "bsn"]
recipients = { nam = ["address"] }
retention = { rule = "after_event", event = "case_closed", term = "claim_dossier" }
analysis = "PIA-1"
[processing.access]
case_handler = ["read", "write"]

[[processing]]
id = "nieuwsbrief"
req = "E14"
statement = "public"
section = 1
name = "Nieuwsbrief"
purpose = "Nieuwsbrief sturen."
basis = "consent"
withdrawal = "Afmeldlink in elke nieuwsbrief."
categories = ["name", "email"]
retention = { rule = "until_event", event = "unsubscribed" }
analysis = "PIA-2"
"#;

pub(crate) struct Case {
    pub(crate) what: &'static str,
    pub(crate) replace: &'static str,
    pub(crate) with: &'static str,
    /// Text on the line the error must point at (its last occurrence).
    pub(crate) line_of: &'static str,
    pub(crate) message: &'static str,
    pub(crate) help: &'static str,
}

const CASES: &[Case] = &[
    Case {
        what: "unknown category",
        replace: r#"categories = ["name", "address", "bsn"]"#,
        with: r#"categories = ["name", "adress", "bsn"]"#,
        line_of: r#""adress""#,
        message: "unknown category `adress`",
        help: "did you mean `address`?",
    },
    Case {
        what: "special category without art. 9 ground",
        replace: r#"categories = ["name", "address", "bsn"]"#,
        with: r#"categories = ["name", "address", "bsn", "health"]"#,
        line_of: r#""health""#,
        message: "special category `health` (AVG art. 9) without an art. 9 ground",
        help: "special_ground",
    },
    Case {
        what: "special category with a ground that is not from art. 9",
        replace: r#"categories = ["name", "address", "bsn"]"#,
        with: "categories = [\"name\", \"address\", \"bsn\", \"health\"]\nspecial_ground = \"AVG art. 6 lid 1 sub e\"",
        line_of: r#""health""#,
        message: "special category `health` (AVG art. 9) without an art. 9 ground",
        help: "special_ground",
    },
    Case {
        what: "recipient given a category its processing does not hold",
        replace: r#"recipients = { nam = ["address"] }"#,
        with: r#"recipients = { nam = ["address", "email"] }"#,
        line_of: "recipients = { nam",
        message: "recipient `nam` is given `email`, which processing `fysieke_schade` does not hold",
        help: "remove `email`",
    },
    Case {
        what: "recipient given more than its own categories",
        replace: r#"recipients = { nam = ["address"] }"#,
        with: r#"recipients = { nam = ["address", "name"] }"#,
        line_of: "recipients = { nam",
        message: "recipient `nam` may not receive `name`",
        help: "allows only: address",
    },
    Case {
        what: "consent without withdrawal",
        replace: "withdrawal = \"Afmeldlink in elke nieuwsbrief.\"\n",
        with: "",
        line_of: r#"basis = "consent""#,
        message: "rests on consent but says not how to withdraw it",
        help: "withdrawal",
    },
    Case {
        what: "missing retention",
        replace: "retention = { rule = \"until_event\", event = \"unsubscribed\" }\n",
        with: "",
        line_of: r#"id = "nieuwsbrief""#,
        message: "processing `nieuwsbrief` has no retention rule",
        help: "retention = {",
    },
    Case {
        what: "a term counting from an event no module emits",
        replace: r#"event = "case_closed""#,
        with: r#"event = "case_archived""#,
        line_of: r#"event = "case_archived""#,
        message: "no module emits the event `case_archived`, so this term would never start",
        help: "count the term from an event a module emits (account_closed, answered, answered_and_satisfied, approach_period_ended, case_closed, election_closed, employment_ended, function_changed, published, recorded, registered, request_closed, survey_closed, team_account_ended, unsubscribed)",
    },
    Case {
        what: "a misspelt event",
        replace: r#"event = "unsubscribed""#,
        with: r#"event = "unsubscibed""#,
        line_of: r#"event = "unsubscibed""#,
        message: "no module emits the event `unsubscibed`",
        help: "did you mean `unsubscribed`?",
    },
    Case {
        what: "duplicate id",
        replace: r#"id = "nieuwsbrief""#,
        with: r#"id = "fysieke_schade""#,
        line_of: r#"id = "fysieke_schade""#,
        message: "duplicate processing id `fysieke_schade`",
        help: "its own id",
    },
    Case {
        what: "unknown term",
        replace: r#"term = "claim_dossier""#,
        with: r#"term = "claim_dosier""#,
        line_of: "claim_dosier",
        message: "unknown term `claim_dosier`",
        help: "did you mean `claim_dossier`?",
    },
    Case {
        what: "unknown role",
        replace: "case_handler = [",
        with: "case_handlr = [",
        line_of: "case_handlr",
        message: "unknown role `case_handlr`",
        help: "did you mean `case_handler`?",
    },
    Case {
        what: "unknown action",
        replace: r#"case_handler = ["read", "write"]"#,
        with: r#"case_handler = ["read", "wite"]"#,
        line_of: "wite",
        message: "unknown action `wite`",
        help: "did you mean `write`?",
    },
    Case {
        what: "unknown scope",
        replace: r#"case_handler = ["read", "write"]"#,
        with: r#"case_handler = ["read", "write"]
expert = { actions = ["read"], scope = "asigned" }"#,
        line_of: "asigned",
        message: "unknown scope `asigned`",
        help: "did you mean `assigned`?",
    },
    Case {
        what: "a grant table without a scope",
        replace: r#"case_handler = ["read", "write"]"#,
        with: r#"case_handler = ["read", "write"]
expert = { actions = ["read"] }"#,
        line_of: "expert = {",
        message: "needs `scope`",
        help: "",
    },
    Case {
        what: "an applicant reaching everyone's data",
        replace: r#"case_handler = ["read", "write"]"#,
        with: r#"case_handler = ["read", "write"]
applicant = ["file", "read"]"#,
        line_of: "applicant = [",
        message: "role `applicant` acts for one person, so it may not reach everyone's data (scope `all`)",
        help: r#"scope = "self""#,
    },
    Case {
        what: "unknown key",
        replace: "analysis = \"PIA-1\"",
        with: "analysis = \"PIA-1\"\nhigh_rsk = true",
        line_of: "high_rsk",
        message: "unknown field `high_rsk`",
        help: "docs/register.md",
    },
    Case {
        what: "TOML syntax",
        replace: r#"name = "Nieuwsbrief""#,
        with: r#"name = "Nieuwsbrief"#,
        line_of: r#"name = "Nieuwsbrief"#,
        message: "",
        help: "TOML syntax",
    },
];

/// The error for `line` as the CLI prints it: `file:line:col: error: ...`.
pub(crate) fn expect_error(file: &str, stderr: &str, line: usize, message: &str, help: &str, what: &str) {
    let prefix = format!("{file}:{line}:");
    let block = stderr
        .split(&format!("\n{file}:"))
        .map(|b| if b.starts_with(file) { b.to_string() } else { format!("{file}:{b}") })
        .find(|b| b.contains(&prefix) && b.contains(message))
        .unwrap_or_else(|| panic!("{what}: no error `{message}` at {prefix} in:\n{stderr}"));
    assert!(block.contains(help), "{what}: help `{help}` missing in:\n{block}");
}

// req: E0.6
#[test]
fn the_base_of_the_bad_examples_is_itself_valid() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("base.toml");
    std::fs::write(&file, BASE).unwrap();
    let output = grondslag(&["register", "check", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("2 processings, 4 categories, 1 recipients"), "{}", stdout(&output));
}

// req: E0.6
#[test]
fn every_malformed_register_gets_its_error_at_its_line() {
    check_cases(CASES);
}

/// Each case's register is refused, with its error at its line.
pub(crate) fn check_cases(cases: &[Case]) {
    let dir = tempfile::tempdir().unwrap();
    for (i, case) in cases.iter().enumerate() {
        assert!(BASE.contains(case.replace), "{}: base lacks {:?}", case.what, case.replace);
        let source = BASE.replacen(case.replace, case.with, 1);
        let line = source.lines().collect::<Vec<_>>().iter().rposition(|l| l.contains(case.line_of)).unwrap() + 1;
        let file = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&file, &source).unwrap();
        let name = file.to_str().unwrap();
        let output = grondslag(&["register", "check", name]);
        assert!(!output.status.success(), "{}: accepted", case.what);
        expect_error(name, &stderr(&output), line, case.message, case.help, case.what);
    }
}

// req: E0.6
#[test]
fn all_errors_are_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let source = BASE
        .replacen(r#""address", "bsn"]"#, r#""address", "bns"]"#, 1)
        .replacen("withdrawal = \"Afmeldlink in elke nieuwsbrief.\"\n", "", 1)
        .replacen(r#"term = "claim_dossier""#, r#"term = "forever""#, 1);
    let file = dir.path().join("three.toml");
    std::fs::write(&file, source).unwrap();
    let output = grondslag(&["register", "check", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let text = stderr(&output);
    for message in ["unknown category `bns`", "withdraw", "unknown term `forever`"] {
        assert!(text.contains(message), "missing {message} in:\n{text}");
    }
    assert!(text.contains("3 error(s)"), "{text}");
}

fn categories(names: &[&str]) -> grondslag_register::CategorySet {
    names.iter().map(|n| grondslag_register::Category::from_name(n).unwrap()).collect()
}

// req: E0.7
#[test]
fn the_shipped_register_encodes_every_processing_and_recipient_of_the_requirements() {
    let register = crate::shipped();
    let processing_reqs: Vec<&str> = register.processings.iter().map(|p| p.req.as_str()).collect();
    let wanted = [
        "E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "E10", "E11", "E12", "E13", "E14", "E16", "E18", "E19", "E20", "E22", "I1", "I2", "I3", "I4",
        "I5", "I6", "I7",
    ];
    for req in wanted {
        assert!(processing_reqs.contains(&req), "no processing for {req}");
    }
    // K2: the closed list of six purposes, nothing else.
    assert_eq!(processing_reqs.iter().filter(|r| **r == "K2").count(), 6);
    let recipient_reqs: Vec<&str> = register.recipients.iter().map(|r| r.req.as_str()).collect();
    for req in ["E15.NAM", "E15.CM", "E15.EXPERT", "E15.BUREAU", "E15.NCG", "E15.PROC", "E15.LEGAL", "I8"] {
        assert!(recipient_reqs.contains(&req), "no recipient for {req}");
    }
    let nam = register.recipient(register.recipient_id("nam").unwrap());
    assert_eq!(nam.categories, categories(&["address"]));
}

// req: E4
#[test]
fn scheme_categories_are_exactly_those_of_the_requirements() {
    let register = crate::shipped();
    let e1 = ["name", "address", "postcode_city", "cadastral_building", "phone", "email", "bsn", "bank_account", "case_number", "other_incl_photos"];
    let held = |id: &str| register.processing(register.processing_id(id).unwrap()).categories;
    assert_eq!(held("fysieke_schade"), categories(&e1));
    assert_eq!(held("vaste_vergoeding"), categories(&e1));
    assert_eq!(held("waardedaling_woning"), categories(&e1).union(categories(&["birth_date", "gender"])));
    let e4 = held("waardedaling_niet_wonen");
    assert!(e4.contains(grondslag_register::Category::Kvk) && !e4.contains(grondslag_register::Category::Email));
    assert_eq!(held("bezwaar"), categories(&["name", "address", "postcode_city", "case_number", "signature"]));
    let e5 = register.processing(register.processing_id("immateriele_schade").unwrap());
    assert!(e5.categories.contains(grondslag_register::Category::Health));
    assert_eq!(e5.special_ground.as_deref(), Some("AVG art. 9 lid 2 sub g"));
}

fn processing<'r>(register: &'r grondslag_register::Register, id: &str) -> &'r grondslag_register::Processing {
    register.processing(register.processing_id(id).unwrap())
}

/// The retention rule as "event + duration" for terms after an event.
fn kept_after(register: &grondslag_register::Register, id: &str) -> (String, String) {
    match &processing(register, id).retention {
        grondslag_register::Retention::AfterEvent { event, term } => (event.clone(), term.duration.to_string()),
        other => panic!("{id}: {other:?}"),
    }
}

// req: E2
#[test]
fn fixed_compensation_holds_the_categories_of_physical_damage() {
    let register = crate::shipped();
    assert_eq!(processing(&register, "vaste_vergoeding").categories, processing(&register, "fysieke_schade").categories);
}

// req: E3
#[test]
fn value_decrease_of_homes_adds_birth_date_and_gender() {
    let register = crate::shipped();
    let added = processing(&register, "waardedaling_woning").categories.difference(processing(&register, "fysieke_schade").categories);
    assert_eq!(added, categories(&["birth_date", "gender"]));
}

// req: E6
#[test]
fn childrens_claims_use_custody_data_from_the_custody_register_on_an_art_9_ground() {
    let register = crate::shipped();
    let p = processing(&register, "kinderen");
    assert!(p.categories.is_subset(categories(&[
        "name",
        "address",
        "postcode_city",
        "phone",
        "email",
        "bsn",
        "bank_account",
        "case_number",
        "custody",
        "health",
        "award_amount",
        "other_incl_photos"
    ])));
    assert!(p.categories.contains(grondslag_register::Category::Custody));
    assert!(p.sources.iter().any(|s| s.contains("BRP")) && p.sources.iter().any(|s| s.contains("gezagsregister")));
    assert!(p.special_ground.as_deref().is_some_and(|g| g.contains("9 lid 2 sub g")));
    assert!(p.optional.contains(grondslag_register::Category::Health), "health only in the custom procedure");
}

// req: E7
#[test]
fn sustainable_repair_rests_on_art_2_10_and_shares_with_the_construction_bureau() {
    let register = crate::shipped();
    let p = processing(&register, "duurzaam_herstel");
    assert!(p.basis_articles.iter().any(|a| a == "TwG art. 2 lid 10"));
    let bureau = register.recipient_id("bouwmanagementbureau").unwrap();
    assert_eq!(register.recipient(bureau).kind, grondslag_register::RecipientKind::Processor);
    assert_eq!(p.disclosure_to(bureau), Some(p.categories));
}

// req: E16
#[test]
fn camera_footage_is_kept_four_weeks_and_its_access_log_six_months() {
    let register = crate::shipped();
    assert_eq!(kept_after(&register, "camera"), ("recorded".to_string(), "4 weken".to_string()));
    assert_eq!(kept_after(&register, "camera_protocol"), ("recorded".to_string(), "6 maanden".to_string()));
    assert_eq!(processing(&register, "camera").basis, grondslag_register::Basis::LegitimateInterest);
}

// req: E18
#[test]
fn recorded_calls_are_kept_28_days_on_legitimate_interest() {
    let register = crate::shipped();
    assert_eq!(kept_after(&register, "telefoon_opnames"), ("recorded".to_string(), "28 dagen".to_string()));
    assert_eq!(processing(&register, "telefoon_opnames").basis.avg_article(), "AVG art. 6 lid 1 sub f");
}

// req: K3
#[test]
fn call_centre_recordings_go_after_four_weeks() {
    let register = crate::shipped();
    assert_eq!(kept_after(&register, "kcc_opnames"), ("recorded".to_string(), "4 weken".to_string()));
    assert_eq!(kept_after(&register, "kcc_bedreiging"), ("recorded".to_string(), "6 maanden".to_string()));
}

// req: I1
#[test]
fn the_personnel_file_is_kept_two_years_and_its_financial_part_seven() {
    let register = crate::shipped();
    assert_eq!(kept_after(&register, "personeelsdossier"), ("employment_ended".to_string(), "2 jaar".to_string()));
    assert_eq!(kept_after(&register, "financiele_administratie_personeel"), ("employment_ended".to_string(), "7 jaar".to_string()));
    assert_eq!(processing(&register, "personeelsdossier").basis, grondslag_register::Basis::Contract);
}

// req: E20
#[test]
fn further_processing_without_a_compatibility_assessment_is_refused() {
    let source = BASE.replacen(r#"basis = "consent""#, r#"basis = "further_processing""#, 1);
    let error = grondslag_register::parse("further.toml", &source).unwrap_err();
    assert!(error.to_string().contains("has no recorded compatibility assessment"), "{error}");
    let with = source.replacen("withdrawal =", "compatibility = \"Getoetst aan AVG art. 6 lid 4.\"\nwithdrawal =", 1);
    assert!(grondslag_register::parse("further.toml", &with).is_ok());
}

// req: E23
#[test]
fn the_public_statement_gives_the_contact_details() {
    let output = grondslag(&["register", "render", "--format", "md"]);
    let text = stdout(&output);
    for detail in [
        "Cascadeplein 10, 9726 AD Groningen",
        "Antwoordnummer 3061, 8000 WB Zwolle",
        "privacy@schadedoormijnbouw.nl",
        "0800 4444 111",
        "fg@schadedoormijnbouw.nl",
        "Autoriteit Persoonsgegevens",
    ] {
        assert!(text.contains(detail), "missing {detail}");
    }
}

// req: E0.6
// req: E15.EXPERT
#[test]
fn the_statement_says_whose_data_each_role_may_see() {
    let register = crate::shipped();
    let text = grondslag_register::render::render(&register, grondslag_register::Statement::Public, grondslag_register::render::Format::Markdown);
    let physical = text.split("\n### Fysieke schade").nth(1).unwrap().split("\n### ").next().unwrap();
    assert!(physical.contains("Wie binnen het IMG kan deze gegevens inzien?"), "{physical}");
    for line in [
        "aanvrager: alleen je eigen gegevens",
        "gemachtigde: alleen van wie hen heeft gemachtigd",
        "deskundige: alleen de dossiers die aan hen zijn toegewezen",
        "behandelaar: voor hun taak",
    ] {
        assert!(physical.contains(line), "`{line}` missing from:\n{physical}");
    }
}

// req: E0.6
#[test]
fn a_planned_processing_is_accepted_with_a_warning_naming_the_event_it_waits_for() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("planned.toml");
    let planned = BASE.replacen(
        r#"event = "case_closed", term = "claim_dossier" }"#,
        "event = \"case_archived\", term = \"claim_dossier\" }\nplanned = \"the archive module comes later\"",
        1,
    );
    assert_ne!(planned, BASE);
    std::fs::write(&file, planned).unwrap();
    let output = grondslag(&["register", "check", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("is planned (the archive module comes later): no module emits `case_archived` yet, so what is stored under it has no end date"),
        "{}",
        stderr(&output)
    );
}
