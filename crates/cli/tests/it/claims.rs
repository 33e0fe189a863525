//! The schemes end to end on the kernel: each stores exactly its
//! categories, follows its own rules, and never refuses on an automated check.

use grondslag_claims::area::{AreaLists, Route, SAMPLE};
use grondslag_claims::cases::{Application, CaseError, Cases};
use grondslag_claims::{Scheme, Status};
use grondslag_kernel::{Access, Denial, Kernel, KernelError};
use grondslag_register::{Category, CategorySet, Role};
use serde_json::json;

use crate::{open_kernel, sqlite};

fn handler(now: &str) -> Access {
    Access::new("behandelaar.jansen", Role::CaseHandler, "test", now.parse().unwrap())
}

fn cases(kernel: &Kernel) -> Cases<'_> {
    Cases::new(kernel, AreaLists::parse("data/areas.csv", SAMPLE).unwrap())
}

fn application(value: serde_json::Value) -> Application {
    serde_json::from_value(value).unwrap()
}

fn applicant() -> serde_json::Value {
    json!({
        "name": "Anna de Vries", "phone": "0595 123 456", "email": "anna@example.nl",
        "bsn": "111222333", "bank_account": "NL91ABNA0417164300", "cadastral_building": "Uithuizen K 1234"
    })
}

fn object() -> serde_json::Value {
    json!({ "kind": "home", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" })
}

fn count(dir: &std::path::Path, table: &str) -> i64 {
    sqlite(dir).query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

/// A physical-damage case of [`applicant`], filed by `now`.
fn physical_case(cases: &Cases<'_>, now: &Access) -> grondslag_claims::cases::Filed {
    cases
        .file(
            now,
            &application(json!({ "scheme": "fysieke_schade", "applicant": applicant(), "object": object(), "details": { "damage_arose": "2026-03-01" } })),
        )
        .unwrap()
}

fn stored(kernel: &Kernel, access: &Access, number: &str) -> CategorySet {
    let case = cases(kernel).show(access, number).unwrap();
    case.fields.unwrap().fields.iter().map(|(c, _)| *c).collect()
}

// req: E1
#[test]
fn physical_damage_stores_its_categories_gets_a_number_and_is_fast_tracked_inside_the_area() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let filed = cases(&kernel)
        .file(
            &now,
            &application(json!({
                "scheme": "fysieke_schade", "applicant": applicant(), "object": object(),
                "details": { "damage_arose": "2026-03-01", "costs": { "garden": 45000, "moving": 120000 } }
            })),
        )
        .unwrap();
    assert_eq!(filed.number.to_string(), "IMG-2026-000001");
    assert_eq!(filed.status, Status::Submitted);
    assert_eq!(filed.checks[0].route(), Route::FastTrack);
    let held = stored(&kernel, &now, "IMG-2026-000001");
    let declared = kernel.register().processing(kernel.processing("fysieke_schade").unwrap()).categories;
    assert_eq!(held, declared, "E1 stores exactly its categories");
    let events: Vec<String> = cases(&kernel).show(&now, "IMG-2026-000001").unwrap().events.into_iter().map(|e| e.event).collect();
    assert_eq!(events, ["created", "automated_check", "fast_track"]);
}

// req: E0.2
#[test]
fn a_postcode_outside_the_area_goes_to_a_person_and_is_never_refused() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let mut outside = object();
    outside["postcode_city"] = json!("1012 AB Amsterdam");
    let filed = cases(&kernel)
        .file(
            &now,
            &application(json!({ "scheme": "fysieke_schade", "applicant": applicant(), "object": outside, "details": { "damage_arose": "2026-03-01" } })),
        )
        .unwrap();
    assert_eq!(filed.status, Status::Submitted);
    assert_eq!(filed.checks[0].route(), Route::HumanReview);
    let case = cases(&kernel).show(&now, &filed.number.to_string()).unwrap();
    let review = case.events.iter().find(|e| e.event == "human_review").unwrap();
    assert!(review.detail.as_deref().unwrap().contains("geen afwijzing"));
}

// req: E2
// req: E0.2
#[test]
fn after_a_fixed_compensation_physical_damage_to_the_same_object_goes_to_a_case_handler_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let cases = cases(&kernel);
    let spring = handler("2026-04-01T10:00:00Z");
    let fixed = cases.file(&spring, &application(json!({ "scheme": "vaste_vergoeding", "applicant": applicant(), "object": object() }))).unwrap();
    let number = fixed.number.to_string();
    for status in [Status::InHandling, Status::Decision] {
        cases.advance(&spring, &number, status, None).unwrap();
    }
    let show = cases.show(&spring, &number).unwrap();
    let details = show.fields.unwrap().get(Category::OtherInclPhotos).and_then(|v| v.as_text().map(str::to_string)).unwrap();
    assert!(details.contains("€ 10.000,00"), "{details}");

    let later = handler("2026-11-28T10:00:00Z");
    // The same object, spelled differently, damage from before the decision;
    // with its postcode, the street may be written any way.
    for address in ["HOOFDSTRAAT 12", "Hoofdstr. 12"] {
        let mut same = object();
        same["address"] = json!(address);
        let settled = cases
            .file(
                &later,
                &application(json!({ "scheme": "fysieke_schade", "applicant": applicant(), "object": same, "details": { "damage_arose": "2026-02-01" } })),
            )
            .unwrap();
        assert_reviewed_not_refused(&cases, &later, &settled, "that payment is final");
    }
    // Damage that arose after the fixed compensation is a new matter.
    assert!(
        cases
            .file(
                &later,
                &application(json!({ "scheme": "fysieke_schade", "applicant": applicant(), "object": object(), "details": { "damage_arose": "2026-06-01" } }))
            )
            .is_ok()
    );

    // The rule is the organisation's: it holds when someone else, who may
    // read only their own file, files for the same object.
    let bert =
        kernel.write(&later, kernel.processing("machtiging").unwrap(), None, None, &[(Category::Name, grondslag_kernel::Value::text("Bert"))]).unwrap().subject;
    let himself = Access::new(bert.as_str(), Role::Applicant, "test", later.now).acting_as(bert);
    let other = json!({ "name": "Bert Bakker", "phone": "0595 654 321" });
    let his = cases
        .file(
            &himself,
            &application(json!({ "scheme": "fysieke_schade", "applicant": other, "object": object(), "details": { "damage_arose": "2026-02-01" } })),
        )
        .unwrap();
    assert_eq!(his.status, Status::NeedsReview);
    // He learns nothing of another person's decision: not the reason, not the event.
    let his_view = cases.show(&himself, &his.number.to_string()).unwrap();
    assert!(his_view.events.iter().all(|e| e.event != "needs_review" && e.detail.as_deref().is_none_or(|d| !d.contains("final"))), "{:?}", his_view.events);
    assert_eq!(his_view.summary.status.as_deref(), Some("needs_review"));
    // Nor may he decide his own case: the refusal says why.
    let decided = cases.advance(&himself, &his.number.to_string(), Status::Decision, None);
    assert!(
        matches!(&decided, Err(CaseError::Kernel(KernelError::Denied { denial: Denial::RoleNotAllowed { role: Role::Applicant, .. }, .. }))),
        "{decided:?}"
    );
    assert_reviewed_not_refused(&cases, &later, &his, "that payment is final");
}

/// E0.2: a rule that would refuse put the case before a case handler: it is
/// stored, marked, listed for case handlers with the reason (theirs to
/// read), and only a case handler's decision ends it.
fn assert_reviewed_not_refused(cases: &Cases<'_>, handler: &Access, filed: &grondslag_claims::cases::Filed, reason: &str) {
    let number = filed.number.to_string();
    assert_eq!(filed.status, Status::NeedsReview);
    let scheme = cases.show(handler, &number).unwrap().scheme;
    let listed = cases.list(handler, scheme, Some(Status::NeedsReview), 0, 50).unwrap();
    assert!(listed.iter().any(|c| c.reference.as_deref() == Some(number.as_str())), "listed for case handlers");
    let view = cases.show(handler, &number).unwrap();
    let finding = view.events.iter().find(|e| e.event == "needs_review").and_then(|e| e.detail.clone()).unwrap_or_default();
    assert!(finding.contains(reason), "{finding}");
    assert!(filed.checks.is_empty(), "no automated check runs on a case awaiting review");
    cases.advance(handler, &number, Status::Decision, None).unwrap();
    assert_eq!(cases.show(handler, &number).unwrap().summary.status.as_deref(), Some("decision"));
}

// req: E4
#[test]
fn value_decrease_of_a_non_residential_building_needs_a_kvk_and_keeps_no_email() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let mut company = applicant();
    company["kvk"] = json!("12345678");
    let mut building = object();
    building["kind"] = json!("non_residential");
    let with_email = cases(&kernel).file(&now, &application(json!({ "scheme": "waardedaling_niet_wonen", "applicant": company, "object": building })));
    assert!(matches!(with_email, Err(CaseError::Kernel(KernelError::Denied { denial: Denial::Undeclared(Category::Email), .. }))), "{with_email:?}");
    assert_eq!(count(dir.path(), "records"), 0, "a refused application stores nothing");
    company.as_object_mut().unwrap().remove("email");
    let filed =
        cases(&kernel).file(&now, &application(json!({ "scheme": "waardedaling_niet_wonen", "applicant": company.clone(), "object": building }))).unwrap();
    assert!(stored(&kernel, &now, &filed.number.to_string()).contains(Category::Kvk));
    company.as_object_mut().unwrap().remove("kvk");
    let without = cases(&kernel).file(&now, &application(json!({ "scheme": "waardedaling_niet_wonen", "applicant": company, "object": object() })));
    assert!(without.unwrap_err().to_string().contains("kvk"));
}

// req: E6
// req: E0.2
#[test]
fn a_childs_claim_without_custody_or_past_18_is_stored_for_a_case_handler_to_decide() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let child = |birth: &str, custody: Option<&str>| {
        let mut details = json!({ "child_birth_date": birth, "reference_date": "2026-06-15", "representative_award": 500000 });
        if let Some(custody) = custody {
            details["custody"] = json!(custody);
        }
        application(json!({ "scheme": "kinderen", "applicant": { "name": "Pim de Vries", "bsn": "123456782" }, "details": details }))
    };
    let filed = cases(&kernel).file(&now, &child("2008-06-16", Some("gezag: beide ouders"))).unwrap();
    let held = stored(&kernel, &now, &filed.number.to_string());
    assert!(held.contains(Category::Custody) && held.contains(Category::AwardAmount));
    let cases = cases(&kernel);
    let eighteen = cases.file(&now, &child("2008-06-15", Some("gezag: beide ouders"))).unwrap();
    assert_reviewed_not_refused(&cases, &now, &eighteen, "the child turned 18 on 2026-06-15");
    let no_custody = cases.file(&now, &child("2010-01-01", None)).unwrap();
    assert_reviewed_not_refused(&cases, &now, &no_custody, "does not have custody");
}

// req: E8
#[test]
fn an_unsafe_situation_is_overdue_after_48_hours() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let reported = handler("2026-11-27T09:30:00Z");
    let filed = cases(&kernel)
        .file(&reported, &application(json!({ "scheme": "acuut_onveilig", "applicant": { "name": "Anna", "phone": "0595123456", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" } })))
        .unwrap();
    assert!(cases(&kernel).overdue_unsafe(&handler("2026-11-29T09:30:00Z"), "2026-11-29T09:30:00Z".parse().unwrap()).unwrap().is_empty());
    let overdue = cases(&kernel).overdue_unsafe(&handler("2026-11-29T09:30:01Z"), "2026-11-29T09:30:01Z".parse().unwrap()).unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].1.to_string(), "2026-11-29T09:30:00Z");
    // Handled: no longer overdue.
    let number = filed.number.to_string();
    cases(&kernel).advance(&reported, &number, Status::InHandling, None).unwrap();
    cases(&kernel).advance(&reported, &number, Status::Closed, None).unwrap();
    assert!(cases(&kernel).overdue_unsafe(&handler("2026-12-01T00:00:00Z"), "2026-12-01T00:00:00Z".parse().unwrap()).unwrap().is_empty());
}

// req: E9
#[test]
fn an_opinion_is_filed_under_the_case_it_is_about() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let filed = cases(&kernel)
        .file(
            &now,
            &application(
                json!({ "scheme": "zienswijze", "applicant": { "name": "Anna", "email": "anna@example.nl" }, "details": { "about_case": "IMG-2026-000007" } }),
            ),
        )
        .unwrap();
    assert_eq!(filed.number.to_string(), "IMG-2026-000007");
    let with_extra = cases(&kernel).file(
        &now,
        &application(json!({ "scheme": "zienswijze", "applicant": { "name": "Anna", "bsn": "111222333" }, "details": { "about_case": "IMG-2026-000007" } })),
    );
    assert!(matches!(with_extra, Err(CaseError::Kernel(KernelError::Denied { denial: Denial::Undeclared(Category::Bsn), .. }))));
}

// req: E10
#[test]
fn an_objection_needs_a_signature() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let unsigned = cases(&kernel)
        .file(&now, &application(json!({ "scheme": "bezwaar", "applicant": { "name": "Anna" }, "details": { "about_case": "IMG-2026-000007" } })));
    assert!(unsigned.unwrap_err().to_string().contains("signature"));
    cases(&kernel)
        .file(&now, &application(json!({ "scheme": "bezwaar", "applicant": { "name": "Anna", "signature": "A. de Vries (digitaal)" }, "details": { "about_case": "IMG-2026-000007" } })))
        .unwrap();
}

// req: E1
#[test]
fn a_draft_keeps_what_was_entered_and_is_not_checked_yet() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let filed = cases(&kernel)
        .file(&now, &application(json!({ "scheme": "fysieke_schade", "submit": false, "applicant": { "name": "Anna" }, "object": object(), "details": { "damage_arose": "2026-03-01" } })))
        .unwrap();
    assert_eq!(filed.status, Status::Draft);
    assert!(filed.checks.is_empty());
    let number = filed.number.to_string();
    // Later: the applicant continues where they left off.
    let more: std::collections::BTreeMap<String, String> =
        [("email".to_string(), "anna@example.nl".to_string()), ("bsn".to_string(), "111222333".to_string())].into();
    cases(&kernel).continue_draft(&now, &number, &more).unwrap();
    let held = stored(&kernel, &now, &number);
    assert!(held.contains(Category::Email) && held.contains(Category::Name) && held.contains(Category::Bsn));
    let undeclared: std::collections::BTreeMap<String, String> = [("health".to_string(), "rugklachten".to_string())].into();
    assert!(matches!(cases(&kernel).continue_draft(&now, &number, &undeclared), Err(CaseError::Kernel(KernelError::Denied { .. }))));
    let drafts = cases(&kernel).list(&now, Scheme::PhysicalDamage, Some(Status::Draft), 0, 50).unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(cases(&kernel).advance(&now, &filed.number.to_string(), Status::Submitted, None).unwrap(), Status::Submitted);
    assert!(cases(&kernel).advance(&now, &filed.number.to_string(), Status::Closed, None).is_err());
}

// req: E1
#[test]
fn bad_input_is_refused_with_what_and_where_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let mut bad_bsn = applicant();
    bad_bsn["bsn"] = json!("111222334");
    let mut bad_iban = applicant();
    bad_iban["bank_account"] = json!("NL91ABNA0417164301");
    let mut bad_postcode = object();
    bad_postcode["postcode_city"] = json!("0726 AD Groningen");
    let cases_ = [
        (json!({ "scheme": "fysieke_schade", "applicant": bad_bsn, "object": object(), "details": { "damage_arose": "2026-03-01" } }), "bsn"),
        (json!({ "scheme": "fysieke_schade", "applicant": bad_iban, "object": object(), "details": { "damage_arose": "2026-03-01" } }), "mod 97"),
        (json!({ "scheme": "fysieke_schade", "applicant": applicant(), "object": bad_postcode, "details": { "damage_arose": "2026-03-01" } }), "postcode"),
        (json!({ "scheme": "fysieke_schade", "applicant": applicant(), "object": object(), "details": { "damage_arose": "2027-01-01" } }), "future"),
        (json!({ "scheme": "vaste_schade", "applicant": applicant() }), "unknown scheme"),
        (json!({ "scheme": "waardedaling_niet_wonen", "applicant": { "name": "Smit BV", "kvk": "1234" }, "object": object() }), "8 digits"),
        (
            json!({ "scheme": "fysieke_schade", "applicant": { "naam": "Anna" }, "object": object(), "details": { "damage_arose": "2026-03-01" } }),
            "`naam` is not a category",
        ),
    ];
    for (input, expected) in cases_ {
        let error = cases(&kernel).file(&now, &application(input)).unwrap_err().to_string();
        assert!(error.contains(expected), "expected {expected:?} in: {error}");
    }
    assert_eq!(count(dir.path(), "records"), 0);
    assert_eq!(count(dir.path(), "subjects"), 0);
}

// req: E13
#[test]
fn a_representative_acts_on_the_principals_case_until_the_authorisation_is_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let cases = cases(&kernel);
    let filed = physical_case(&cases, &now);
    let number = filed.number.to_string();
    let form: grondslag_claims::cases::AuthorisationForm = serde_json::from_value(json!({
        "case": number,
        "principal": { "initials": "A.", "name": "de Vries", "gender": "vrouw", "signature": "A. de Vries (digitaal)" },
        "representative": { "name": "Jan Bakker", "bsn": "123456782", "phone": "0612345678", "address": "Kerkpad 3", "postcode_city": "9917 PA Wirdum" }
    }))
    .unwrap();
    let representative = cases.authorise(&now, &form).unwrap();
    let acting = Access::new(representative.subject.as_str(), Role::Representative, "test", now.now).acting_as(representative.subject.clone());
    assert_eq!(cases.show(&acting, &number).unwrap().number, number);

    // Someone else claiming to represent is refused for the missing authorisation.
    let someone = grondslag_kernel::SubjectId::random();
    let stranger = Access::new(someone.as_str(), Role::Representative, "test", now.now).acting_as(someone);
    assert_refused(cases.show(&stranger, &number), grondslag_register::Scope::Represented);
    // An applicant sees only their own cases.
    let someone = grondslag_kernel::SubjectId::random();
    let other_applicant = Access::new(someone.as_str(), Role::Applicant, "test", now.now).acting_as(someone);
    assert_refused(cases.show(&other_applicant, &number), grondslag_register::Scope::Own);
    let owner = Access::new(filed.case.subject.as_str(), Role::Applicant, "test", now.now).acting_as(filed.case.subject.clone());
    assert!(cases.show(&owner, &number).is_ok());

    // What the representative does is audited as the representative.
    let entries = crate::audit_json(dir.path(), "SELECT entry FROM audit_entries ORDER BY seq", []);
    assert!(entries.iter().any(|e| e.contains(&format!("\"actor\":\"{}\",\"role\":\"representative\"", representative.subject))));

    assert_eq!(cases.revoke(&now, &number, &representative.subject).unwrap(), 1);
    assert_refused(cases.show(&acting, &number), grondslag_register::Scope::Represented);
}

/// A refusal by the kernel because the grant's scope does not reach the case.
fn assert_refused<T: std::fmt::Debug>(result: Result<T, CaseError>, scope: grondslag_register::Scope) {
    match result {
        Err(CaseError::Kernel(KernelError::Denied { denial, .. })) => assert_eq!(denial, grondslag_kernel::Denial::OutOfReach { scope }, "{denial}"),
        other => panic!("expected a refusal for the missing relation `{scope}`, got {other:?}"),
    }
}

fn closed_case(cases: &Cases<'_>, now: &Access, name: &str, bsn: &str, address: &str, postcode_city: &str) -> String {
    let mut person = applicant();
    person["name"] = json!(name);
    person["bsn"] = json!(bsn);
    let filed = cases
        .file(now, &application(json!({ "scheme": "fysieke_schade", "applicant": person, "object": { "kind": "home", "address": address, "postcode_city": postcode_city }, "details": { "damage_arose": "2026-03-01" } })))
        .unwrap();
    let number = filed.number.to_string();
    for status in [Status::InHandling, Status::ExpertAdvice, Status::Decision, Status::Closed] {
        cases.advance(now, &number, status, None).unwrap();
    }
    number
}

// req: E19
#[test]
fn outreach_selects_people_without_an_active_dossier_and_never_an_opted_out_address() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let cases = cases(&kernel);
    closed_case(&cases, &now, "Anna de Vries", "111222333", "Hoofdstraat 1a", "9981 AB Uithuizen");
    closed_case(&cases, &now, "Berend Bakker", "123456782", "Kerkpad 3", "9917 PA Wirdum");
    closed_case(&cases, &now, "Carla Mulder", "999990019", "Dorpsweg 7", "9901 AA Appingedam");
    // Carla has a new, active dossier: she is not approached.
    let mut carla = applicant();
    carla["bsn"] = json!("999990019");
    cases.file(&now, &application(json!({ "scheme": "immateriele_schade", "applicant": carla, "details": { "applicant_role": "owner" } }))).unwrap();

    assert_eq!(cases.outreach_import(&now, Scheme::PhysicalDamage).unwrap(), 3);
    cases.opt_out(&now, "HOOFDSTRAAT 1 A", "9981AB UITHUIZEN").unwrap();
    let selected: Vec<String> = cases.outreach_selection(&now).unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(selected, ["Berend Bakker"]);
}

// req: E20
#[test]
fn data_is_reused_for_another_purpose_only_by_a_processing_with_a_compatibility_assessment() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let filed = cases(&kernel)
        .file(
            &now,
            &application(json!({ "scheme": "fysieke_schade", "applicant": applicant(), "object": object(), "details": { "damage_arose": "2026-03-01" } })),
        )
        .unwrap();
    let from = kernel.processing("fysieke_schade").unwrap();
    let names = CategorySet::of(&[Category::Name, Category::Email]);
    let refused = kernel.further_use(&now, from, kernel.processing("contactformulier").unwrap(), &filed.case, names);
    assert!(matches!(refused, Err(KernelError::Denied { denial: Denial::NoCompatibilityAssessment, .. })), "{refused:?}");
    let copy = kernel.further_use(&now, from, kernel.processing("benaderen").unwrap(), &filed.case, names).unwrap();
    assert_eq!(copy.subject, filed.case.subject);
}

/// A valid value for each category an applicant can give.
fn sample(category: Category) -> serde_json::Value {
    json!(match category {
        Category::Bsn => "111222333",
        Category::BankAccount => "NL91ABNA0417164300",
        Category::PostcodeCity => "9981 AB Uithuizen",
        Category::Address => "Hoofdstraat 12",
        Category::Email => "anna@example.nl",
        Category::Phone => "0595123456",
        Category::Kvk => "12345678",
        Category::BirthDate => "1970-03-01",
        other => other.name(),
    })
}

/// Filing each scheme with every category it declares stores exactly those;
/// adding one it does not declare is refused and stores nothing.
fn exactly_its_categories(processing: &str, details: serde_json::Value, set_by_the_system: &[Category]) {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let id = kernel.processing(processing).unwrap();
    let declared = kernel.register().processing(id).categories;
    let given: serde_json::Map<String, serde_json::Value> =
        declared.iter().filter(|c| !set_by_the_system.contains(c)).map(|c| (c.name().to_string(), sample(c))).collect();
    let with_object = declared.contains(Category::Address) && processing != "acuut_onveilig";
    let mut input = json!({ "scheme": processing, "applicant": given, "details": details });
    if with_object {
        input["object"] = object();
    }
    let undeclared = Category::ALL.iter().copied().find(|c| !declared.contains(*c) && !matches!(c, Category::Password)).unwrap();
    let mut extra = input.clone();
    extra["applicant"][undeclared.name()] = sample(undeclared);
    let refused = cases(&kernel).file(&now, &application(extra));
    assert!(
        matches!(refused, Err(CaseError::Kernel(KernelError::Denied { denial: Denial::Undeclared(c), .. })) if c == undeclared),
        "{processing}: {refused:?}"
    );
    assert_eq!(count(dir.path(), "records"), 0, "{processing}: a refusal stores nothing");

    let filed = cases(&kernel).file(&now, &application(input)).unwrap();
    let record = kernel.read_record(&now, id, &filed.case, declared).unwrap().unwrap();
    let held: CategorySet = record.fields.iter().map(|(c, _)| *c).collect();
    assert_eq!(held, declared, "{processing}");
}

// req: E3
#[test]
fn value_decrease_of_a_home_stores_exactly_its_categories() {
    exactly_its_categories("waardedaling_woning", json!({}), &[Category::CaseNumber, Category::OtherInclPhotos]);
}

// req: E5
#[test]
fn immaterial_damage_stores_exactly_its_categories_including_the_questionnaire_as_health() {
    exactly_its_categories(
        "immateriele_schade",
        json!({ "applicant_role": "tenant", "questionnaire": "Ik slaap slecht sinds de beving." }),
        &[Category::CaseNumber, Category::OtherInclPhotos, Category::Health],
    );
}

// req: E7
#[test]
fn sustainable_repair_stores_exactly_its_categories() {
    exactly_its_categories(
        "duurzaam_herstel",
        json!({ "repair": "3 schades, herhaalschade, calculatie € 48.000" }),
        &[Category::CaseNumber, Category::OtherInclPhotos],
    );
}

// req: E2
#[test]
fn fixed_compensation_stores_exactly_its_categories() {
    exactly_its_categories("vaste_vergoeding", json!({}), &[Category::CaseNumber, Category::OtherInclPhotos]);
}

// req: E8
#[test]
fn an_unsafe_report_stores_exactly_its_categories() {
    exactly_its_categories("acuut_onveilig", json!({}), &[Category::CaseNumber]);
}

// req: E6
#[test]
fn a_childs_claim_stores_exactly_its_categories() {
    exactly_its_categories(
        "kinderen",
        json!({ "child_birth_date": "2012-01-01", "reference_date": "2026-06-15", "custody": "gezag: moeder", "representative_award": 500000 }),
        &[Category::CaseNumber, Category::OtherInclPhotos, Category::Custody, Category::AwardAmount],
    );
}

// req: E5
#[test]
fn a_tenant_sees_the_amount_awarded_for_immaterial_damage() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let cases = cases(&kernel);
    let filed = cases
        .file(&now, &application(json!({ "scheme": "immateriele_schade", "applicant": { "name": "Anna de Vries", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" }, "details": { "applicant_role": "tenant" } })))
        .unwrap();
    let number = filed.number.to_string();
    cases.advance(&now, &number, Status::InHandling, None).unwrap();
    assert!(matches!(cases.advance(&now, &number, Status::Decision, Some(grondslag_values::Cents(0))), Err(CaseError::ZeroAward)));
    cases.advance(&now, &number, Status::Decision, Some(grondslag_values::Cents::euros(2_500))).unwrap();
    let tenant = Access::new(filed.case.subject.as_str(), Role::Applicant, "test", now.now).acting_as(filed.case.subject.clone());
    let history = cases.show(&tenant, &number).unwrap().events;
    let decision = history.iter().find(|e| e.event == "decision").unwrap();
    assert_eq!(decision.detail.as_deref(), Some("toegekend bedrag: € 2.500,00"));
}

// req: E1
#[test]
fn a_photo_over_the_limit_is_refused_by_the_case_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let now = handler("2026-11-28T10:00:00Z");
    let cases = cases(&kernel);
    let number = physical_case(&cases, &now).number.to_string();
    let limit = usize::try_from(grondslag_claims::cases::MAX_PHOTO_BYTES).unwrap();
    let blobs = || std::fs::read_dir(dir.path().join("blobs")).map(|d| d.count()).unwrap_or(0);
    let before = (count(dir.path(), "fields"), blobs());
    let refused = cases.attach_photo(&now, &number, vec![0xFF; limit + 1]);
    assert!(matches!(refused, Err(CaseError::PhotoTooLarge { size }) if size == u64::try_from(limit + 1).unwrap()), "{refused:?}");
    assert_eq!((count(dir.path(), "fields"), blobs()), before, "nothing of the refused photo is stored");
    cases.attach_photo(&now, &number, vec![0xFF; limit]).unwrap();
    assert_eq!(count(dir.path(), "fields"), before.0 + 1);
}

// req: E1
#[test]
fn a_photo_refused_to_every_other_role_and_to_another_applicant_says_why_and_leaves_no_file() {
    use grondslag_register::{Action, Scope};
    let dir = tempfile::tempdir().unwrap();
    // Every file below the blob directory, journals too.
    let files = || crate::files_below(&dir.path().join("blobs"));
    let kernel = open_kernel(dir.path());
    let (now, cases) = (handler("2026-11-28T10:00:00Z"), cases(&kernel));
    let filed = physical_case(&cases, &now);
    let (number, before) = (filed.number.to_string(), files());
    for role in Role::ALL.iter().copied().filter(|r| *r != Role::CaseHandler) {
        // Someone else: another applicant, a representative without an authorisation, an expert not assigned.
        let someone = grondslag_kernel::SubjectId::random();
        let access = Access::new(someone.as_str(), role, "test", now.now).acting_as(someone);
        let expected = match role {
            Role::Applicant => Denial::OutOfReach { scope: Scope::Own },
            Role::Representative => Denial::OutOfReach { scope: Scope::Represented },
            Role::Expert => Denial::OutOfReach { scope: Scope::Assigned },
            // May look the case up, not add to it.
            Role::PrivacyOfficer => Denial::RoleNotAllowed { role, action: Action::File },
            _ => Denial::RoleNotAllowed { role, action: Action::Read },
        };
        match cases.attach_photo(&access, &number, b"JPEG: scheur".to_vec()) {
            Err(CaseError::Kernel(KernelError::Denied { denial, .. })) => assert_eq!(denial, expected, "{role:?}"),
            other => panic!("{role:?}: expected {expected}, got {other:?}"),
        }
        assert_eq!(files(), before, "{role:?}: the photo was sealed and written before the refusal, and removed after it");
    }
    // The case handler and the applicant themself may.
    let owner = Access::new(filed.case.subject.as_str(), Role::Applicant, "test", now.now).acting_as(filed.case.subject.clone());
    cases.attach_photo(&now, &number, b"JPEG: scheur".to_vec()).unwrap();
    cases.attach_photo(&owner, &number, b"JPEG: scheur".to_vec()).unwrap();
    let added: Vec<_> = files().into_iter().filter(|f| !before.contains(f)).collect();
    assert_eq!(added.len(), 2, "two files, no journal left: {added:?}");
    assert_eq!(count(dir.path(), "fields WHERE blob IS NOT NULL"), 2);
}
