//! The person's access report (AVG art. 15; CJEU C-579/21): when their data
//! was looked at, for which purpose, under which processing and by what
//! kind of party — never by whom — in every form the report takes; a
//! refused look-up shows as an attempt, not a view; a police request stays
//! out of it while the register withholds it (AVG art. 23).

use std::io::Read;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::server::{ANNA_BSN, Client, Person, Reply, Server, create_account, world};

/// The staff who act in these tests, by user name.
const STAFF: [&str; 3] = ["carla", "dirk", "pieter"];

fn signed_in(server: &Server, person: &Person) -> (Client, String) {
    let mut client = Client::new(server);
    client.sign_in(person);
    let csrf = client.csrf();
    (client, csrf)
}

fn names_no_staff(what: &str, text: &str) {
    let text = text.to_lowercase();
    for name in STAFF {
        assert!(!text.contains(name), "{what} names `{name}`: {text}");
    }
}

fn refused(reply: &Reply, code: &str) {
    assert_eq!(reply.status, 403, "expected a refusal ({code}), got: {}", reply.body);
    assert_eq!(reply.json()["code"], code, "{}", reply.body);
}

/// The access lines of `person`'s own report, as the API gives it.
fn lines(client: &mut Client) -> Vec<Value> {
    let report = client.get("/api/v1/me/data");
    assert_eq!(report.status, 200, "{}", report.body);
    report.json()["accesses"].as_array().unwrap().clone()
}

fn count(lines: &[Value], party: &str) -> usize {
    lines.iter().filter(|l| l["party"] == party).count()
}

/// The name and purpose the register gives physical-damage claims.
fn physical() -> (String, String) {
    let register = crate::shipped();
    let p = register.processing(register.processing_id("fysieke_schade").unwrap());
    (p.name.clone(), p.purpose.clone())
}

// req: E22
// req: I.RIGHTS
#[test]
fn the_access_report_gives_dates_purposes_and_kinds_of_party_but_never_a_staff_name() {
    let world = world();
    let dirk = create_account(&world.place, "dirk", "expert", None);
    let server = Server::start(world.dir.path(), &[]);
    let case = &world.anna_case;

    // Named staff look at Anna's case: a case handler over the API, an
    // expert once assigned, and the case handler again on the command line.
    let (mut carla, carla_csrf) = signed_in(&server, &world.handler);
    assert_eq!(carla.get(&format!("/api/v1/cases/{case}")).status, 200);
    let assigned = carla.post_json(&format!("/api/v1/cases/{case}/experts"), Some(&carla_csrf), json!({ "expert": "dirk", "assigned": true }));
    assert_eq!(assigned.status, 204, "{}", assigned.body);
    let (mut dirk_client, _) = signed_in(&server, &dirk);
    assert_eq!(dirk_client.get(&format!("/api/v1/cases/{case}")).status, 200);
    world.place.ok(&["case", "--as", "carla", "show", case]);

    // The privacy team handles her access request on the command line.
    let filed = world.place.ok(&["rights", "--as", "pieter", "file", "--kind", "access", "--name", "Anna de Vries", "--bsn", ANNA_BSN]);
    let request = filed.split_whitespace().next().unwrap().to_string();
    world.place.ok(&["rights", "--as", "pieter", "verify", &request, "--method", "DigiD"]);

    let (mut anna, _) = signed_in(&server, &world.anna);
    let (name, purpose) = physical();
    let today = grondslag_values::dutch::date(grondslag_values::dutch::amsterdam_date(jiff::Timestamp::now()));

    // The JSON of Mijn gegevens.
    let json = anna.get("/api/v1/me/data");
    names_no_staff("/api/v1/me/data", &json.body);
    let accesses = json.json()["accesses"].as_array().unwrap().clone();
    let viewed_by = |party: &str| {
        accesses.iter().any(|l| l["party"] == party && l["what"] == "ingezien" && l["processing_id"] == "fysieke_schade" && l["attempt"] == false)
    };
    assert!(viewed_by("behandelaar"), "a case handler's view, as such: {accesses:?}");
    assert!(viewed_by("deskundige"), "the expert's view, as such: {accesses:?}");
    let line = accesses.iter().find(|l| l["party"] == "deskundige").unwrap();
    assert_eq!(line["purpose"], purpose.as_str());
    assert_eq!(line["processing"], name.as_str(), "{line}");
    assert!(line["at"].as_str().unwrap().starts_with(&jiff::Timestamp::now().to_string()[..10]), "dated: {line}");
    assert!(accesses.iter().any(|l| l["party"] == "privacyteam"), "the request's handling shows, by the team: {accesses:?}");
    for line in &accesses {
        assert!(line.get("actor").is_none() && line.get("origin").is_none(), "no one's identity or address: {line}");
    }

    // The page.
    let page = anna.get("/mijn-gegevens");
    assert_eq!(page.status, 200);
    names_no_staff("/mijn-gegevens", &page.body);
    assert!(page.body.contains(&purpose) && page.body.contains(&today), "dates and purposes on the page");
    assert!(page.body.contains("deskundige") && page.body.contains("behandelaar"));

    // The access export the privacy team writes for her, as JSON and HTML …
    let out = TempDir::new().unwrap();
    world.place.ok(&["rights", "--as", "pieter", "export", &request, "--out", out.path().to_str().unwrap()]);
    let subject = request.split('.').next().unwrap();
    for extension in ["json", "html"] {
        let text = std::fs::read_to_string(out.path().join(format!("inzage-{subject}.{extension}"))).unwrap();
        names_no_staff(&format!("the export's {extension}"), &text);
        assert!(text.contains(&purpose) && text.contains("deskundige"), "{extension}: {text}");
    }
    let html = std::fs::read_to_string(out.path().join(format!("inzage-{subject}.html"))).unwrap();
    assert!(html.contains(&today), "the page gives dates as people read them");
    // … and over the API.
    let (mut pieter, _) = signed_in(&server, &world.privacy);
    let exported = pieter.get(&format!("/api/v1/rights/requests/{request}/export"));
    assert_eq!(exported.status, 200, "{}", exported.body);
    names_no_staff("/api/v1/rights/requests/…/export", &exported.body);
    assert!(exported.body.contains(&purpose));

    // The portability archive: every file in the zip.
    world.place.ok(&["rights", "--as", "pieter", "portability", &request, "--out", out.path().to_str().unwrap()]);
    let zip = std::fs::File::open(out.path().join(format!("overdracht-{subject}.zip"))).unwrap();
    let mut zip = zip::ZipArchive::new(zip).unwrap();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let mut text = String::new();
        file.read_to_string(&mut text).unwrap();
        names_no_staff(&format!("the archive's {}", file.name()), &text);
    }
}

// req: E0.1
// req: E22
#[test]
fn a_refused_look_up_of_another_persons_case_is_an_attempt_in_their_report_not_a_view() {
    let world = world();
    let eva = create_account(&world.place, "eva", "expert", None);
    let server = Server::start(world.dir.path(), &[]);
    let case = &world.anna_case;
    let (mut anna, _) = signed_in(&server, &world.anna);
    let before = lines(&mut anna);

    // Another applicant tries her case number, by the page and the API.
    let (mut bert, _) = signed_in(&server, &world.bert);
    refused(&bert.get(&format!("/api/v1/me/cases/{case}")), "relation_missing");
    let page = bert.get(&format!("/mijn-gegevens/zaken/{case}"));
    assert_eq!(page.status, 403);
    assert!(!page.body.contains("Anna"), "nothing of her case shows");
    // An expert nobody assigned tries it too: the wrong relation, another role.
    let (mut eva_client, _) = signed_in(&server, &eva);
    refused(&eva_client.get(&format!("/api/v1/cases/{case}")), "relation_missing");

    // The log has each as a refusal, with the register's reason, against her.
    let recent: Vec<Value> = crate::audit_json(world.dir.path(), "SELECT entry FROM audit_entries ORDER BY seq DESC LIMIT 40", [])
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    let lookups: Vec<&Value> = recent.iter().filter(|e| e["action"] == "lookup:reference").collect();
    assert_eq!(lookups.len(), 3, "{recent:?}");
    for entry in &lookups {
        assert_eq!(entry["outcome"], "denied", "{entry}");
        assert_eq!(entry["reason"], "relation_missing", "{entry}");
    }

    // Her report shows three attempts, and no view by either.
    let after = lines(&mut anna);
    let attempts: Vec<&Value> = after.iter().filter(|l| l["attempt"] == true).collect();
    assert_eq!(attempts.len(), 3, "{after:?}");
    assert_eq!(attempts.iter().filter(|l| l["party"] == "aanvrager").count(), 2);
    assert_eq!(attempts.iter().filter(|l| l["party"] == "deskundige").count(), 1);
    assert!(attempts.iter().all(|l| l["what"] == "opgezocht" && l["processing_id"] == "fysieke_schade"));
    assert_eq!(count(&after, "deskundige"), count(&before, "deskundige") + 1, "the expert's only line is the attempt");
    let page = anna.get("/mijn-gegevens");
    assert!(page.body.contains("Poging, geweigerd"), "the page says it was an attempt");
    names_no_staff("/mijn-gegevens", &page.body);
    assert!(!page.body.to_lowercase().contains("bert"), "nor who tried");
    // Bert's own report holds nothing of her case.
    let his = lines(&mut bert);
    assert!(his.iter().all(|l| l["attempt"] == false), "his attempt is about her, not him: {his:?}");

    // Filing under her BSN is refused too, and is an attempt in her report.
    let bert_csrf = bert.csrf();
    let under_her = json!({
        "scheme": "fysieke_schade",
        "applicant": { "name": "Bert Bakker", "phone": "0595 123 456", "bsn": ANNA_BSN },
        "object": { "kind": "home", "address": "Kerkstraat 3", "postcode_city": "9981 AB Uithuizen" },
        "details": { "damage_arose": "2026-04-01" }
    });
    refused(&bert.post_json("/api/v1/cases", Some(&bert_csrf), under_her), "relation_missing");
    let latest = lines(&mut anna);
    let tried: Vec<&Value> = latest.iter().filter(|l| l["attempt"] == true && l["party"] == "aanvrager").collect();
    assert_eq!(tried.len(), 3, "{latest:?}");
    assert!(tried.iter().all(|l| l["what"] == "opgezocht"));
}

// req: E15.LEGAL
// req: E22
#[test]
fn a_police_request_stays_out_of_the_access_report_while_the_register_withholds_it() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let case = &world.anna_case;
    let (mut carla, csrf) = signed_in(&server, &world.handler);
    assert_eq!(carla.get(&format!("/api/v1/cases/{case}")).status, 200);
    let (mut anna, _) = signed_in(&server, &world.anna);
    let handled = count(&lines(&mut anna), "behandelaar");
    assert!(handled > 0, "the case handler's view shows");

    let asked = carla.post_json(&format!("/api/v1/cases/{case}/legal-requests"), Some(&csrf), json!({ "recipient": "politie", "request": "PV 2026-0042" }));
    assert_eq!(asked.status, 201, "{}", asked.body);
    assert_eq!(count(&lines(&mut anna), "behandelaar"), handled, "nothing of the request while it is checked");
    let report = anna.get("/api/v1/me/data");
    assert!(!report.body.contains("Politie") && !report.body.contains("PV 2026"), "{}", report.body);

    // Another case handler's reading of her case is no part of it: it shows.
    let (mut carla_again, _) = signed_in(&server, &world.handler);
    assert_eq!(carla_again.get(&format!("/api/v1/cases/{case}")).status, 200);
    assert!(count(&lines(&mut anna), "behandelaar") > handled);

    // Settled with the check: she sees the disclosure it led to, and only that.
    let settle = json!({ "number": case, "recipient": "politie", "check": "vordering OvJ art. 126nd Sv, gecontroleerd" });
    let settled = carla.post_json("/api/v1/disclosures/pending/settle", Some(&csrf), settle);
    assert_eq!(settled.status, 200, "{}", settled.body);
    let report = anna.get("/api/v1/me/data").json();
    let physical = report["processings"].as_array().unwrap().iter().find(|p| p["id"] == "fysieke_schade").unwrap();
    assert!(physical["disclosed_to"].to_string().contains("Politie"), "{physical}");
    assert!(!report["accesses"].to_string().contains("Politie"), "no line of the request's handling: {}", report["accesses"]);

    // A disclosure to the NAM, which the register does not withhold, is a line of its own.
    let nam = carla.post_json(&format!("/api/v1/cases/{case}/disclosures"), Some(&csrf), json!({ "recipient": "nam" }));
    assert_eq!(nam.status, 200, "{}", nam.body);
    let register = crate::shipped();
    let to_nam = format!("verstrekt aan {}", register.recipient(register.recipient_id("nam").unwrap()).name);
    assert!(lines(&mut anna).iter().any(|l| l["what"] == to_nam.as_str() && l["party"] == "behandelaar"));
}
