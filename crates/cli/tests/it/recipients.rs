//! I8: where each recipient processes, its agreement, and its condition on
//! the record — checked by `register check` and enforced by the kernel at
//! the moment of the disclosure.

use grondslag_kernel::{Access, DataDir, Denial, Kernel, KernelError, Value};
use grondslag_register::{Category, Role};
use grondslag_store::SubjectId;

use crate::register::{Case, check_cases};
use crate::{shipped, sqlite};

fn hr(now: &str) -> Access {
    Access::new("test.hr", Role::Hr, "test", now.parse().unwrap())
}

/// An employee's personnel file with the given contract type.
fn employee(kernel: &Kernel, contract: &str) -> SubjectId {
    let file = kernel.processing("personeelsdossier").unwrap();
    let fields = [
        (Category::Name, Value::text("Jan Jansen")),
        (Category::BirthDate, Value::text("1980-02-03")),
        (Category::Function, Value::text("behandelaar")),
        (Category::Email, Value::text("jan@img.nl")),
        (Category::Phone, Value::text("0501234567")),
        (Category::AbsenceLeave, Value::text("geen")),
        (Category::ContractType, Value::text(contract)),
    ];
    kernel.write(&hr("2026-01-05T09:00:00Z"), file, None, None, &fields).unwrap().subject
}

fn disclose(kernel: &Kernel, now: &str, subject: &SubjectId, recipient: &str) -> Result<Vec<Category>, KernelError> {
    let views = kernel.disclose(&hr(now), kernel.processing("personeelsdossier").unwrap(), subject, kernel.recipient(recipient).unwrap(), None)?;
    Ok(views.iter().flat_map(|v| v.fields.iter().map(|(c, _)| *c)).collect())
}

fn denial(result: Result<Vec<Category>, KernelError>) -> Denial {
    match result {
        Err(KernelError::Denied { denial, .. }) => denial,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The reasons of the refused disclosures in the audit log, in order.
fn refused_in_audit(dir: &std::path::Path) -> Vec<String> {
    crate::audit_json(dir, "SELECT entry FROM audit_entries ORDER BY seq", [])
        .into_iter()
        .filter(|entry| entry.contains("\"outcome\":\"denied\"") && entry.contains("recipient:"))
        .collect()
}

// req: I8
#[test]
fn a_disclosure_is_refused_once_the_agreement_has_ended_and_allowed_on_its_last_day() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = crate::open_kernel(dir.path());
    let jan = employee(&kernel, "vast");
    // The occupational health service's processor agreement runs until 31 December 2027 (register/img.toml).
    let last_day = disclose(&kernel, "2027-12-31T22:59:59Z", &jan, "arbodienst").unwrap();
    assert!(last_day.contains(&Category::AbsenceLeave), "{last_day:?}");
    // One second later it is 1 January 2028 in Amsterdam.
    let refused = disclose(&kernel, "2027-12-31T23:00:00Z", &jan, "arbodienst");
    let KernelError::Denied { denial, .. } = refused.as_ref().unwrap_err() else { panic!("{refused:?}") };
    assert_eq!(denial.code(), "agreement_expired");
    assert_eq!(
        refused.unwrap_err().to_string(),
        "denied under `personeelsdossier`: the agreement VWO-IMG-2023-014 with recipient `arbodienst` ended on 2027-12-31; nothing is disclosed to it until a renewed agreement is recorded in the register"
    );
    let audited = refused_in_audit(dir.path());
    assert_eq!(audited.len(), 1, "{audited:?}");
    assert!(audited[0].contains("agreement_expired") && audited[0].contains("recipient:arbodienst"), "{}", audited[0]);
    // Nothing was recorded as disclosed by the refusal.
    let disclosed: i64 = sqlite(dir.path()).query_row("SELECT COUNT(*) FROM disclosures", [], |row| row.get(0)).unwrap();
    assert_eq!(disclosed, 1);
}

// req: I8
#[test]
fn a_required_agreement_the_register_does_not_record_refuses_the_disclosure() {
    let dir = tempfile::tempdir().unwrap();
    // Only a register changed behind `register check`'s back can lack it;
    // the kernel refuses all the same.
    let mut register = shipped();
    let arbo = register.recipient_id("arbodienst").unwrap();
    register.recipients.iter_mut().filter(|r| r.id == "arbodienst").for_each(|r| r.agreement.reference = None);
    assert!(register.recipient(arbo).agreement.required);
    let kernel = DataDir::new(dir.path()).open_kernel(register, None, jiff::Timestamp::now()).unwrap();
    let jan = employee(&kernel, "vast");
    let refused = denial(disclose(&kernel, "2026-11-28T10:00:00Z", &jan, "arbodienst"));
    assert_eq!(refused.code(), "agreement_missing");
    assert!(refused.to_string().contains("recipient `arbodienst` needs a processor or data-exchange agreement"), "{refused}");
}

// req: I8
#[test]
fn the_government_pass_goes_to_ezk_for_permanent_staff_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = crate::open_kernel(dir.path());
    let permanent = employee(&kernel, "vast");
    let temporary = employee(&kernel, "tijdelijk");
    let intern = employee(&kernel, "stage");
    let got = disclose(&kernel, "2026-11-28T10:00:00Z", &permanent, "ezk_rijkspas").unwrap();
    let mut got: Vec<&str> = got.iter().map(|c| c.name()).collect();
    got.sort_unstable();
    assert_eq!(got, ["birth_date", "function", "name"], "the pass data, not the contract type the rule reads");
    for other in [&temporary, &intern] {
        let refused = denial(disclose(&kernel, "2026-11-28T10:00:00Z", other, "ezk_rijkspas"));
        assert_eq!(refused.code(), "recipient_condition_not_met");
        assert_eq!(
            refused.to_string(),
            "recipient `ezk_rijkspas` receives data only when `contract_type` is \"vast\", and this person's record does not say so"
        );
    }
    // Another party of the same file has no such condition.
    assert!(disclose(&kernel, "2026-11-28T10:00:00Z", &temporary, "sso_cfd_pas").is_ok());
    assert_eq!(refused_in_audit(dir.path()).iter().filter(|e| e.contains("recipient_condition_not_met")).count(), 2);
}

// req: I8
#[test]
fn a_disclosure_refused_for_the_role_is_not_explained_by_the_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = crate::open_kernel(dir.path());
    let jan = employee(&kernel, "tijdelijk");
    // The register decides first: a case handler has no business here at all.
    let access = Access::new("test.case_handler", Role::CaseHandler, "test", "2030-01-01T00:00:00Z".parse().unwrap());
    let refused = kernel.disclose(&access, kernel.processing("personeelsdossier").unwrap(), &jan, kernel.recipient("ezk_rijkspas").unwrap(), None);
    assert!(matches!(refused, Err(KernelError::Denied { denial: Denial::RoleNotAllowed { .. }, .. })), "{refused:?}");
}

const I8_CASES: &[Case] = &[
    Case {
        what: "a recipient processing outside the EEA",
        replace: r#"processes_in = "NL""#,
        with: r#"processes_in = ["NL", "US"]"#,
        line_of: "processes_in",
        message: "recipient `nam` processes in `US`, outside the European Economic Area; no personal data is processed outside the EEA (I8)",
        help: "choose a party that processes inside the EEA",
    },
    Case {
        what: "a recipient that does not say where it processes",
        replace: "processes_in = \"NL\"\n",
        with: "",
        line_of: r#"id = "nam""#,
        message: "recipient `nam` does not say where it processes",
        help: r#"processes_in = "EEA""#,
    },
    Case {
        what: "a required agreement without an end date",
        replace: r#"reference = "GUO-1", ends = "2027-12-31" }"#,
        with: r#"reference = "GUO-1" }"#,
        line_of: "agreement = {",
        message: "the agreement recipient `nam` requires has no end date",
        help: "ends = \"YYYY-MM-DD\"",
    },
    Case {
        what: "a required agreement without a reference",
        replace: r#"reference = "GUO-1", ends"#,
        with: "ends",
        line_of: "agreement = {",
        message: "the agreement recipient `nam` requires has no reference",
        help: "reference = ",
    },
    Case {
        what: "a processor without an agreement",
        replace: "kind = \"third_party\"\nagreement = { required = true, reference = \"GUO-1\", ends = \"2027-12-31\" }",
        with: "kind = \"processor\"\nagreement = { required = false }",
        line_of: "agreement = {",
        message: "recipient `nam` is a processor, and a processor always needs a processor agreement (AVG art. 28 lid 3)",
        help: "agreement = { required = true",
    },
    Case {
        what: "a condition on a category the disclosing processing does not hold",
        replace: r#"processes_in = "NL""#,
        with: "processes_in = \"NL\"\nonly_when = { category = \"contract_type\", equals = \"vast\" }",
        line_of: "recipients = { nam",
        message: "recipient `nam` receives only when `contract_type` is \"vast\", and processing `fysieke_schade` does not hold `contract_type`",
        help: "add `contract_type` to the processing's categories",
    },
];

// req: I8
#[test]
fn register_check_refuses_a_recipient_outside_the_eea_and_an_agreement_without_reference_or_end() {
    check_cases(I8_CASES);
}
