//! `grondslag demo`: the kernel at work in a few seconds, on real files.

use std::path::Path;

use grondslag_channels::contact::{ContactForm, Kind, Message};
use grondslag_channels::media::Media;
use grondslag_channels::newsletter::{Newsletter, Subscription};
use grondslag_claims::Status;
use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_claims::cases::{Application, Cases, Filed};
use grondslag_claims::rules::{self, ObjectKind};
use grondslag_kernel::{Access, DataDir, Kernel, KernelError, Value};
use grondslag_register::{Category, CategorySet, Role};
use grondslag_rights::export as rights_export;
use grondslag_rights::requests::{RequestError, Requests, RightKind};
use jiff::Timestamp;

use crate::Failure;
use crate::context::Context;

struct Applicant {
    name: &'static str,
    address: &'static str,
    postcode_city: &'static str,
    phone: &'static str,
    email: &'static str,
    bsn: &'static str,
    iban: &'static str,
    case_number: &'static str,
}

const APPLICANTS: [Applicant; 3] = [
    Applicant {
        name: "Anna de Vries",
        address: "Hoofdstraat 12",
        postcode_city: "9981 AB Uithuizen",
        phone: "0595 123 456",
        email: "anna.devries@example.nl",
        bsn: "111222333",
        iban: "NL91ABNA0417164300",
        case_number: "IMG-2024-000101",
    },
    Applicant {
        name: "Berend Bakker",
        address: "Kerkpad 3",
        postcode_city: "9917 PA Wirdum",
        phone: "06 12345678",
        email: "b.bakker@example.nl",
        bsn: "123456782",
        iban: "NL20INGB0001234567",
        case_number: "IMG-2024-000102",
    },
    Applicant {
        name: "Carla Mulder",
        address: "Dorpsweg 7",
        postcode_city: "9901 AA Appingedam",
        phone: "0596 654 321",
        email: "carla.mulder@example.nl",
        bsn: "999990019",
        iban: "NL39RABO0300065264",
        case_number: "IMG-2024-000103",
    },
];

fn applicant_fields(a: &Applicant) -> Vec<(Category, Value)> {
    vec![
        (Category::Name, Value::text(a.name)),
        (Category::Address, Value::text(a.address)),
        (Category::PostcodeCity, Value::text(a.postcode_city)),
        (Category::Phone, Value::text(a.phone)),
        (Category::Email, Value::text(a.email)),
        (Category::Bsn, Value::text(a.bsn)),
        (Category::BankAccount, Value::text(a.iban)),
        (Category::CaseNumber, Value::text(a.case_number)),
    ]
}

fn describe(fields: &[(Category, Value)]) -> String {
    fields.iter().map(|(c, v)| format!("{c}={}", v.as_text().unwrap_or("<bytes>"))).collect::<Vec<_>>().join(", ")
}

pub fn run(context: &Context, data: Option<&Path>) -> Result<(), Failure> {
    let temporary;
    let root = match data {
        Some(path) => path.to_path_buf(),
        None => {
            temporary = tempfile::Builder::new().prefix("grondslag-demo-").tempdir()?;
            temporary.path().to_path_buf()
        }
    };
    let kernel = context.open_kernel_on(&DataDir::new(&root))?;
    say!("grondslag demo — data directory {}", root.display());
    say!();
    walk_through(&kernel, context.now)?;
    schemes(&kernel, context.now)?;
    channels(&kernel, context.now)?;
    rights(&kernel, context.now)?;
    let sealed = kernel.seal()?;
    let verification = kernel.verify_audit(|_| ())?;
    say!();
    say!("10. Audit log verified: {} entries, {} signed checkpoint(s), the last at entry {sealed}.", verification.entries, verification.checkpoints);
    if data.is_some() {
        say!("   Inspect it with: grondslag audit verify --data {}", root.display());
    }
    Ok(())
}

fn walk_through(kernel: &Kernel, now: Timestamp) -> Result<(), Failure> {
    let handler = Access::new("behandelaar.jansen", Role::CaseHandler, "cli:demo", now);
    let physical = kernel.processing("fysieke_schade")?;
    let immaterial = kernel.processing("immateriele_schade")?;

    say!("1. Three applicants for physical damage (E1), written as case handler:");
    let mut subjects = Vec::new();
    for applicant in &APPLICANTS {
        let written = kernel.write(&handler, physical, None, None, &applicant_fields(applicant))?;
        say!("   {} → subject {} (BSN, IBAN, all fields encrypted)", applicant.name, written.subject);
        subjects.push(written.subject);
    }
    let [anna, berend, carla] = [&subjects[0], &subjects[1], &subjects[2]];

    let health = [
        (Category::Name, Value::text(APPLICANTS[0].name)),
        (Category::CaseNumber, Value::text("IMG-2024-000201")),
        (Category::Health, Value::text("Vragenlijst: slaapt slecht sinds de beving van 2018")),
    ];
    kernel.write(&handler, immaterial, Some(anna), None, &health)?;
    say!("   Anna also applied for immaterial damage (E5): her questionnaire is health data, stored encrypted.");

    say!();
    say!("2. Minimisation (E0.5): storing health data under physical damage is refused:");
    let refused = kernel.write(&handler, physical, Some(berend), None, &[(Category::Health, Value::text("rugklachten"))]);
    report_refusal(refused)?;

    say!();
    say!("3. Purpose binding: a communications officer may not read damage files:");
    let communications = Access::new("communicatie.devries", Role::Communications, "cli:demo", now);
    let denied = kernel.read(&communications, physical, carla, CategorySet::of(&[Category::Name, Category::Email]));
    report_refusal(denied)?;

    say!();
    say!("4. Disclosure to NAM (E15.NAM) to check earlier damage reports carries the address only:");
    let nam = kernel.recipient("nam")?;
    for view in kernel.disclose(&handler, physical, berend, nam, None)? {
        say!("   NAM receives: {}", describe(&view.fields));
    }
    let survey = kernel.recipient("tevredenheidsbureau")?;
    for view in kernel.disclose(&handler, physical, berend, survey, None)? {
        say!("   The survey bureau (E15.PROC) receives: {}", describe(&view.fields));
    }

    say!();
    say!("5. The case handler reads Carla's file (BSN and IBAN decrypted for this purpose only):");
    let wanted = CategorySet::of(&[Category::Name, Category::PostcodeCity, Category::Bsn, Category::BankAccount]);
    for view in kernel.read(&handler, physical, carla, wanted)? {
        say!("   {}", describe(&view.fields));
    }

    say!();
    say!("6. Anna's data is erased under each scheme; with the last record her BSN index entry and key go too:");
    for scheme in [physical, immaterial] {
        let erased = kernel.erase(&handler, scheme, anna)?;
        say!("   {}: erased {} records and {} fields.", kernel.register().processing(scheme).id, erased.records, erased.fields);
    }
    say!("   Her subject key is shredded.");
    match kernel.read(&handler, physical, anna, wanted) {
        Err(KernelError::UnknownSubject(_)) => say!("   Reading her back: no such subject."),
        Err(other) => return Err(other.into()),
        Ok(_) => return Err(Failure("an erased subject could still be read".to_string())),
    }
    let found = kernel.find_by_bsn(&handler, physical, APPLICANTS[0].bsn)?;
    say!("   Looking her BSN up in the blind index: {}", if found.is_some() { "found (!)" } else { "not found" });
    Ok(())
}

/// A path through several schemes, with their rules at work.
fn schemes(kernel: &Kernel, now: Timestamp) -> Result<(), Failure> {
    let cases = Cases::new(kernel, AreaLists::parse("shipped sample", SAMPLE)?);
    let handler = Access::new("behandelaar.jansen", Role::CaseHandler, "cli:demo", now);
    let application = |value: serde_json::Value| serde_json::from_value::<Application>(value).map_err(Failure::from);
    let dirk = serde_json::json!({
        "name": "Dirk Smit", "phone": "0596 111 222", "email": "dirk.smit@example.nl",
        "bsn": "231456785", "bank_account": "NL02ABNA0123456789", "cadastral_building": "Loppersum A 77"
    });
    let shed = serde_json::json!({ "kind": "small_object", "address": "Molenweg 4a", "postcode_city": "9919 AB Loppersum" });

    say!();
    say!("7. The schemes at work:");
    let fixed = cases.file(&handler, &application(serde_json::json!({ "scheme": "vaste_vergoeding", "applicant": dirk.clone(), "object": shed.clone() }))?)?;
    let number = fixed.number.to_string();
    for status in [Status::InHandling, Status::Decision] {
        cases.advance(&handler, &number, status, None)?;
    }
    say!("   {number}: Dirk's shed gets the fixed compensation (E2) of {}; decided.", rules::fixed_compensation(ObjectKind::SmallObject));
    let mut same_shed = shed.clone();
    same_shed["address"] = serde_json::json!("MOLENWEG 4 A");
    let earlier = jiff::Zoned::new(now, jiff::tz::TimeZone::UTC).date().checked_sub(jiff::ToSpan::days(30)).map_err(Failure::from)?;
    let physical =
        serde_json::json!({ "scheme": "fysieke_schade", "applicant": dirk, "object": same_shed, "details": { "damage_arose": earlier.to_string() } });
    let same_shed = cases.file(&handler, &application(physical)?)?;
    say!("   Physical damage to the same shed, spelled 'MOLENWEG 4 A': {}", in_review(&cases, &handler, &same_shed)?);
    let emma = serde_json::json!({ "name": "Emma Smit", "bsn": "123456782" });
    let child = serde_json::json!({
        "scheme": "kinderen", "applicant": emma,
        "details": { "child_birth_date": "2008-01-10", "reference_date": "2026-01-10", "custody": "gezag: beide ouders", "representative_award": 500000 }
    });
    let adult = cases.file(&handler, &application(child)?)?;
    say!("   A child's claim (E6) on her 18th birthday: {}", in_review(&cases, &handler, &adult)?);
    let report = serde_json::json!({
        "scheme": "acuut_onveilig",
        "applicant": { "name": "Frits Kuipers", "phone": "0596 333 444", "address": "Kerkstraat 1", "postcode_city": "9901 AA Appingedam" }
    });
    let unsafe_report = cases.file(&handler, &application(report)?)?;
    say!("   {}: acutely unsafe situation (E8) reported; to be handled before {}.", unsafe_report.number, rules::unsafe_deadline(now));
    for check in &unsafe_report.checks {
        say!("   automated check: {}", check.explain_nl());
    }
    let package = cases.disclose(&handler, &number, "nam", None)?;
    say!("   NAM's package for {number}: {} — nothing else.", package.categories.join(", "));
    Ok(())
}

/// The public channels: consent and short terms at work.
fn channels(kernel: &Kernel, now: Timestamp) -> Result<(), Failure> {
    let website = Access::new("website", Role::Public, "cli:demo", now);
    let staff = Access::new("kcc.jansen", Role::ContactCentre, "cli:demo", now);
    say!();
    say!("8. The public channels:");
    let form = ContactForm::new(kernel)?;
    let question = Message {
        kind: Kind::Question,
        fields: vec![
            (Category::Name, "Gerda Bos".to_string()),
            (Category::Phone, "0596 555 666".to_string()),
            (Category::Email, "gerda.bos@example.nl".to_string()),
            (Category::FreeText, "Wanneer komt de deskundige?".to_string()),
        ],
        consent: true,
    };
    let received = form.submit(&website, &question)?;
    form.answer(&staff, &received.message, "De deskundige komt volgende week.")?;
    say!("   Contact form (E11): answered; kept until {}.", grondslag_channels::due(kernel, &staff, form.processing(), &received.message)?);
    form.withdraw(&website, received.link.as_str())?;
    say!("   The sender withdraws consent through her link: the message is deleted at once.");

    let letters = Newsletter::new(kernel)?;
    letters.subscribe(&website, &Subscription::Email { name: "Henk Wind".to_string(), email: "henk@example.nl".to_string() }, true)?;
    let communications = Access::new("communicatie", Role::Communications, "cli:demo", now);
    let issue = letters.produce(&communications, "Nieuwsbrief", "Het laatste nieuws.", "https://www.schadedoormijnbouw.nl/nieuwsbrief/afmelden")?;
    let token = issue.emails.first().and_then(|(_, mail)| mail.split("token=").nth(1)).map(str::trim).unwrap_or_default().to_string();
    letters.unsubscribe(&website, &token)?;
    let reused = letters.unsubscribe(&website, &token).is_err();
    say!(
        "   Newsletter (E14): an issue with a personal unsubscribe link; used once it unsubscribes, used again it does nothing ({}).",
        if reused { "refused" } else { "accepted!" }
    );

    let media = Media::new(kernel)?;
    let system = Access::new("telefooncentrale", Role::System, "cli:demo", now);
    let call = media.ingest_call(&system, b"RIFF\x24\x00\x00\x00WAVEfmt demo".to_vec(), "audio/wav", "0612345678", "inkomend, 4 min")?;
    let privacy = Access::new("privacy.devries", Role::PrivacyOfficer, "cli:demo", now);
    say!("   Recorded call (E18), sealed in the blob store: due {}.", grondslag_channels::due(kernel, &privacy, media.calls(), &call)?);
    let review = now.checked_add(jiff::Span::new().hours(24 * 90)).map_err(Failure::from)?;
    media.hold(&privacy, media.calls(), &call, "integriteitsmelding", review)?;
    say!("   An integrity report places a hold: {}.", grondslag_channels::due(kernel, &privacy, media.calls(), &call)?);
    Ok(())
}

/// A person uses their right of access (art. 15).
fn rights(kernel: &Kernel, now: Timestamp) -> Result<(), Failure> {
    let privacy = Access::new("privacy.devries", Role::PrivacyOfficer, "cli:demo", now);
    let rights = kernel.processing("rechtenverzoeken")?;
    let carla = kernel.find_by_bsn(&privacy, rights, APPLICANTS[2].bsn)?.ok_or_else(|| Failure("Carla is not known".to_string()))?;
    let requests = Requests::new(kernel)?;
    say!();
    say!("9. Carla asks what the institute holds about her (art. 15):");
    let filed = requests.file(&privacy, &carla, RightKind::Access, APPLICANTS[2].name, None)?;
    match requests.export(&privacy, &filed.request) {
        Err(RequestError::IdentityNotVerified) => say!("   Before her identity is verified, nothing is answered."),
        Err(other) => return Err(other.into()),
        Ok(_) => return Err(Failure("an access export was given without verified identity".to_string())),
    }
    requests.verify_identity(&privacy, &filed.request, "DigiD")?;
    let report = rights_export::report(kernel.register(), &requests.export(&privacy, &filed.request)?, now);
    say!("   Verified with DigiD; to be answered by {}.", filed.due);
    for part in &report.processings {
        say!("   {} ({}): {} item(s), {} disclosure(s)", part.name, part.legal_basis, part.items.len(), part.disclosed_to.len());
    }
    say!(
        "   Access report: {} audited accesses to her data, each with when, for which purpose and by what kind of party (never by whom).",
        report.accesses.len()
    );
    Ok(())
}

fn report_refusal<T>(result: Result<T, KernelError>) -> Result<(), Failure> {
    match result {
        Err(denied @ KernelError::Denied { .. }) => {
            say!("   refused: {denied}");
            say!("   (the refusal is in the audit log)");
            Ok(())
        }
        Err(other) => Err(other.into()),
        Ok(_) => Err(Failure("the kernel allowed what the register forbids".to_string())),
    }
}

/// E0.2 in the demo: what a rule would refuse waits for a case handler,
/// who reads why (the filer does not).
fn in_review(cases: &Cases<'_>, handler: &Access, filed: &Filed) -> Result<String, Failure> {
    if filed.status != Status::NeedsReview {
        return Err(Failure(format!("{} was not put before a case handler", filed.number)));
    }
    let view = cases.show(handler, &filed.number.to_string())?;
    let reason = view.events.iter().find(|e| e.event == Status::NeedsReview.name()).and_then(|e| e.detail.clone()).unwrap_or_default();
    Ok(format!("stored as {} and put before a case handler, who reads: {reason}", filed.number))
}
