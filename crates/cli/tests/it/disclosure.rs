//! Every party of E15 and I8 receives exactly the categories the
//! requirements give it, and nothing of what else the processing holds.

use grondslag_kernel::{Denial, Kernel, KernelError, Value};
use grondslag_register::{Category, CategorySet, Role};
use grondslag_store::SubjectId;

use crate::{access, open_kernel};

/// A valid value for any category, so a record can hold everything its
/// processing declares.
fn sample(category: Category) -> Value {
    Value::text(match category {
        Category::Bsn => "111222333",
        Category::BankAccount => "NL91ABNA0417164300",
        Category::PostcodeCity => "9726 AD Groningen",
        Category::Email => "anna@example.nl",
        Category::Phone => "0501234567",
        Category::Kvk => "12345678",
        Category::BirthDate => "1970-03-01",
        other => other.name(),
    })
}

/// A subject holding every category of `processing`, written by `role`.
fn full_record(kernel: &Kernel, processing: &str, role: Role) -> SubjectId {
    let id = kernel.processing(processing).unwrap();
    let fields: Vec<(Category, Value)> = kernel.register().processing(id).categories.iter().map(|c| (c, sample(c))).collect();
    kernel.write(&access(role), id, None, None, &fields).unwrap().subject
}

fn disclosed(kernel: &Kernel, processing: &str, role: Role, subject: &SubjectId, recipient: &str, check: Option<&str>) -> Result<CategorySet, KernelError> {
    let views = kernel.disclose(&access(role), kernel.processing(processing).unwrap(), subject, kernel.recipient(recipient).unwrap(), check)?;
    Ok(views.iter().flat_map(|v| v.fields.iter().map(|(c, _)| *c)).collect())
}

fn set(names: &[&str]) -> CategorySet {
    names.iter().map(|n| Category::from_name(n).unwrap()).collect()
}

const E1: &[&str] = &["name", "address", "postcode_city", "cadastral_building", "phone", "email", "bsn", "bank_account", "case_number", "other_incl_photos"];

// req: E15.CM
#[test]
fn the_mining_damage_commission_receives_its_list_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = full_record(&kernel, "fysieke_schade", Role::CaseHandler);
    let got = disclosed(&kernel, "fysieke_schade", Role::CaseHandler, &anna, "commissie_mijnbouwschade", None).unwrap();
    // E15.CM ∩ E1: no bank account, no case number.
    assert_eq!(got, set(&["name", "address", "postcode_city", "bsn", "phone", "email", "cadastral_building", "other_incl_photos"]));
    assert!(got.is_subset(set(E1)));
}

// req: E15.EXPERT
#[test]
fn experts_receive_what_they_need_to_advise() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = full_record(&kernel, "waardedaling_niet_wonen", Role::CaseHandler);
    let got = disclosed(&kernel, "waardedaling_niet_wonen", Role::CaseHandler, &anna, "deskundigen", None).unwrap();
    assert_eq!(got, set(&["name", "address", "postcode_city", "phone", "bsn", "gender", "kvk", "bank_account", "other_incl_photos"]));
}

// req: E15.BUREAU
#[test]
fn the_inspection_bureau_and_the_mayor_receive_name_and_address_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = full_record(&kernel, "acuut_onveilig", Role::CaseHandler);
    for recipient in ["inspectiebureau", "burgemeester"] {
        let got = disclosed(&kernel, "acuut_onveilig", Role::CaseHandler, &anna, recipient, None).unwrap();
        assert_eq!(got, set(&["name", "address"]), "{recipient}");
    }
}

// req: E15.NCG
#[test]
fn the_national_coordinator_receives_its_list_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = full_record(&kernel, "waardedaling_woning", Role::CaseHandler);
    let got = disclosed(&kernel, "waardedaling_woning", Role::CaseHandler, &anna, "ncg", None).unwrap();
    assert_eq!(got, set(&["name", "address", "postcode_city", "phone", "email", "bsn", "birth_date", "cadastral_building", "other_incl_photos"]));
}

// req: E15.LEGAL
#[test]
fn a_legal_obligation_disclosure_needs_a_recorded_check_first() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = full_record(&kernel, "fysieke_schade", Role::CaseHandler);
    let refused = disclosed(&kernel, "fysieke_schade", Role::CaseHandler, &anna, "politie", None);
    assert!(matches!(refused, Err(KernelError::Denied { denial: Denial::LegalCheckRequired, .. })), "{refused:?}");
    let got = disclosed(&kernel, "fysieke_schade", Role::CaseHandler, &anna, "politie", Some("vordering OvJ 2026-114, getoetst door privacyteam")).unwrap();
    assert!(!got.is_empty() && got.is_subset(set(E1)));
}

// req: E15.PROC
#[test]
fn a_party_the_processing_does_not_share_with_gets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let anna = full_record(&kernel, "bezwaar", Role::CaseHandler);
    let refused = disclosed(&kernel, "bezwaar", Role::CaseHandler, &anna, "tevredenheidsbureau", None);
    assert!(matches!(refused, Err(KernelError::Denied { denial: Denial::NotARecipient, .. })), "{refused:?}");
}

// req: I8
#[test]
fn the_staff_association_receives_the_name_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let employee = full_record(&kernel, "personeelsdossier", Role::Hr);
    let got = disclosed(&kernel, "personeelsdossier", Role::Hr, &employee, "personeelsvereniging", None).unwrap();
    assert_eq!(got, set(&["name"]));
    // A case handler has no business with personnel files.
    let refused = disclosed(&kernel, "personeelsdossier", Role::CaseHandler, &employee, "personeelsvereniging", None);
    assert!(matches!(refused, Err(KernelError::Denied { .. })));
}
