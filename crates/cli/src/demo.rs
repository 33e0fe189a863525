//! `grondslag demo`: the kernel at work in a few seconds, on real files.

use std::path::Path;

use grondslag_kernel::{Access, DataDir, Kernel, KernelError, Value};
use grondslag_register::{Category, CategorySet, Register, Role};

use crate::{Failure, master_key_from_env};

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
    fields
        .iter()
        .map(|(c, v)| format!("{c}={}", v.as_text().unwrap_or("<bytes>")))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn run(register: Register, data: Option<&Path>) -> Result<(), Failure> {
    let temporary;
    let root = match data {
        Some(path) => path.to_path_buf(),
        None => {
            temporary = tempfile::Builder::new().prefix("grondslag-demo-").tempdir()?;
            temporary.path().to_path_buf()
        }
    };
    let kernel = DataDir::new(&root).open_kernel(register, master_key_from_env()?)?;
    println!("grondslag demo — data directory {}", root.display());
    println!();
    walk_through(&kernel)?;
    let sealed = kernel.seal()?;
    let verification = kernel.verify_audit(|_| ())?;
    println!();
    println!(
        "7. Audit log verified: {} entries, {} signed checkpoint(s), the last at entry {sealed}.",
        verification.entries, verification.checkpoints
    );
    if data.is_some() {
        println!("   Inspect it with: grondslag audit verify --data {}", root.display());
    }
    Ok(())
}

fn walk_through(kernel: &Kernel) -> Result<(), Failure> {
    // The clock is read here, at the edge; the kernel takes time as input.
    let now = jiff::Timestamp::now();
    let handler = Access::new("behandelaar.jansen", Role::CaseHandler, "cli:demo", now);
    let physical = kernel.processing("fysieke_schade")?;
    let immaterial = kernel.processing("immateriele_schade")?;

    println!("1. Three applicants for physical damage (E1), written as case handler:");
    let mut subjects = Vec::new();
    for applicant in &APPLICANTS {
        let written = kernel.write(&handler, physical, None, None, &applicant_fields(applicant))?;
        println!("   {} → subject {} (BSN, IBAN, all fields encrypted)", applicant.name, written.subject);
        subjects.push(written.subject);
    }
    let [anna, berend, carla] = [&subjects[0], &subjects[1], &subjects[2]];

    let health = [
        (Category::Name, Value::text(APPLICANTS[0].name)),
        (Category::CaseNumber, Value::text("IMG-2024-000201")),
        (Category::Health, Value::text("Vragenlijst: slaapt slecht sinds de beving van 2018")),
    ];
    kernel.write(&handler, immaterial, Some(anna), None, &health)?;
    println!("   Anna also applied for immaterial damage (E5): her questionnaire is health data, stored encrypted.");

    println!();
    println!("2. Minimisation (E0.5): storing health data under physical damage is refused:");
    let refused = kernel.write(&handler, physical, Some(berend), None, &[(Category::Health, Value::text("rugklachten"))]);
    report_refusal(refused)?;

    println!();
    println!("3. Purpose binding: a communications officer may not read damage files:");
    let communications = Access::new("communicatie.devries", Role::Communications, "cli:demo", now);
    let denied = kernel.read(&communications, physical, carla, CategorySet::of(&[Category::Name, Category::Email]));
    report_refusal(denied)?;

    println!();
    println!("4. Disclosure to NAM (E15.NAM) to check earlier damage reports carries the address only:");
    let nam = kernel.recipient("nam")?;
    for view in kernel.disclose(&handler, physical, berend, nam, None)? {
        println!("   NAM receives: {}", describe(&view.fields));
    }
    let survey = kernel.recipient("tevredenheidsbureau")?;
    for view in kernel.disclose(&handler, physical, berend, survey, None)? {
        println!("   The survey bureau (E15.PROC) receives: {}", describe(&view.fields));
    }

    println!();
    println!("5. The case handler reads Carla's file (BSN and IBAN decrypted for this purpose only):");
    let wanted = CategorySet::of(&[Category::Name, Category::PostcodeCity, Category::Bsn, Category::BankAccount]);
    for view in kernel.read(&handler, physical, carla, wanted)? {
        println!("   {}", describe(&view.fields));
    }

    println!();
    println!("6. Anna's data is erased: rows, BSN index entry and her key are deleted:");
    let erased = kernel.erase(&handler, physical, anna)?;
    println!("   erased {} records and {} fields; her subject key is shredded.", erased.records, erased.fields);
    match kernel.read(&handler, physical, anna, wanted) {
        Err(KernelError::UnknownSubject(_)) => println!("   Reading her back: no such subject."),
        Err(other) => return Err(other.into()),
        Ok(_) => return Err(Failure("an erased subject could still be read".to_string())),
    }
    let found = kernel.find_by_bsn(&handler, physical, APPLICANTS[0].bsn)?;
    println!("   Looking her BSN up in the blind index: {}", if found.is_some() { "found (!)" } else { "not found" });
    Ok(())
}

fn report_refusal<T>(result: Result<T, KernelError>) -> Result<(), Failure> {
    match result {
        Err(denied @ KernelError::Denied { .. }) => {
            println!("   refused: {denied}");
            println!("   (the refusal is in the audit log)");
            Ok(())
        }
        Err(other) => Err(other.into()),
        Ok(_) => Err(Failure("the kernel allowed what the register forbids".to_string())),
    }
}
