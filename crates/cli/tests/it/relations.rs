//! Authorisation by relation, tried as the people who would try it: real
//! accounts signed in over HTTP with password and code, each scenario of
//! the issue that found the server letting roles do what the register
//! forbids. Every refusal is asserted with its reason (the register's code
//! and message), and the calls are ones that would succeed for the right
//! person, so that no test passes because a step was invalid.

use serde_json::{Value, json};

use crate::server::{BERT_BSN, Client, Person, Reply, Server, World, authorise, create_account, world};

/// Asserts a refusal by the register, with its code and a word of its message.
#[track_caller]
fn refused(reply: &Reply, code: &str, says: &str) {
    assert_eq!(reply.status, 403, "expected a refusal ({code}), got: {}", reply.body);
    let problem = reply.json();
    assert_eq!(problem["code"], code, "{}", reply.body);
    let message = problem["detail"].as_str().unwrap();
    assert!(message.contains(says), "the refusal should say `{says}`: {message}");
}

fn signed_in(server: &Server, person: &Person) -> (Client, String) {
    let mut client = Client::new(server);
    client.sign_in(person);
    let csrf = client.csrf();
    (client, csrf)
}

fn role_of(server: &Server, person: &Person) -> String {
    let (mut client, _) = signed_in(server, person);
    client.get("/api/v1/me").json()["role"].as_str().unwrap().to_string()
}

fn events(detail: &Value) -> Vec<String> {
    detail["events"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap().to_string()).collect()
}

/// The request Anna files: a rectification, as the attack began.
fn anna_files(anna: &mut Client, csrf: &str, kind: &str) -> String {
    let filed = anna.post_json("/api/v1/me/requests", Some(csrf), json!({ "kind": kind }));
    assert_eq!(filed.status, 201, "{}", filed.body);
    filed.json()["id"].as_str().unwrap().to_string()
}

// req: E22
// req: I.SEC
#[test]
fn an_applicant_cannot_work_her_own_request_nor_make_herself_privacy_officer_and_sign_in_data_is_never_rectified() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let (mut anna, csrf) = signed_in(&server, &world.anna);
    let id = anna_files(&mut anna, &csrf, "rectification");
    // She records her own identity check: refused, the rights process is the privacy team's.
    let own_check = anna.post_json(&format!("/api/v1/rights/requests/{id}/identity"), Some(&csrf), json!({ "method": "DigiD" }));
    refused(&own_check, "role_not_allowed", "may not handle");
    // She changes her role, her bank account, her BSN: refused the same way.
    for (category, old, new) in
        [("system_user", "applicant", "privacy_officer"), ("bank_account", "NL91 ABNA 0417 1643 00", "NL20 INGB 0001 2345 67"), ("bsn", "111222333", BERT_BSN)]
    {
        let changed =
            anna.post_json(&format!("/api/v1/rights/requests/{id}/rectification"), Some(&csrf), json!({ "category": category, "old": old, "new": new }));
        refused(&changed, "role_not_allowed", "may not handle");
    }
    // Bert, another applicant, cannot touch her request either.
    let (mut bert, bert_csrf) = signed_in(&server, &world.bert);
    refused(
        &bert.post_json(&format!("/api/v1/rights/requests/{id}/identity"), Some(&bert_csrf), json!({ "method": "DigiD" })),
        "role_not_allowed",
        "may not handle",
    );

    // The privacy officer verifies her and rectifies what may be rectified,
    // but not sign-in data, whoever asks.
    let (mut pieter, pieter_csrf) = signed_in(&server, &world.privacy);
    let verified = pieter.post_json(&format!("/api/v1/rights/requests/{id}/identity"), Some(&pieter_csrf), json!({ "method": "DigiD" }));
    assert_eq!(verified.status, 200, "{}", verified.body);
    let role_change = pieter.post_json(
        &format!("/api/v1/rights/requests/{id}/rectification"),
        Some(&pieter_csrf),
        json!({ "category": "system_user", "old": "applicant", "new": "privacy_officer" }),
    );
    refused(&role_change, "not_rectifiable", "sign-in data");
    let name = pieter.post_json(
        &format!("/api/v1/rights/requests/{id}/rectification"),
        Some(&pieter_csrf),
        json!({ "category": "name", "old": "Anna de Vries", "new": "Anna de Vries-Bakker" }),
    );
    assert_eq!(name.status, 200, "{}", name.body);
    assert_eq!(name.json()["records"], 1, "{}", name.body);

    assert_eq!(role_of(&server, &world.anna), "applicant", "after all of it, she signs in as what she was");
}

// req: I.RIGHTS
// req: E22
#[test]
fn employees_and_hr_do_not_work_the_privacy_queue_and_hr_handles_only_staff() {
    let world = world();
    let emma = create_account(&world.place, "emma", "employee", None);
    let hanna = create_account(&world.place, "hanna", "hr", None);
    let server = Server::start(world.dir.path(), &[]);
    let (mut anna, anna_csrf) = signed_in(&server, &world.anna);
    let anna_request = anna_files(&mut anna, &anna_csrf, "access");

    let (mut emma_client, emma_csrf) = signed_in(&server, &emma);
    refused(&emma_client.get("/api/v1/rights/requests"), "role_not_allowed", "may not handle");
    refused(
        &emma_client.post_json(&format!("/api/v1/rights/requests/{anna_request}/identity"), Some(&emma_csrf), json!({ "method": "DigiD" })),
        "role_not_allowed",
        "may not handle",
    );
    refused(&emma_client.get(&format!("/api/v1/rights/requests/{anna_request}/export")), "role_not_allowed", "may not handle");
    assert_eq!(emma_client.get("/beheer/verzoeken").status, 403);

    // HR's queue holds requests of staff only; an applicant's is out of its reach.
    let (mut hanna_client, hanna_csrf) = signed_in(&server, &hanna);
    let queue = hanna_client.get("/api/v1/rights/requests");
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_eq!(queue.json(), json!([]));
    refused(
        &hanna_client.post_json(&format!("/api/v1/rights/requests/{anna_request}/identity"), Some(&hanna_csrf), json!({ "method": "DigiD" })),
        "relation_missing",
        "not a member of staff",
    );
    refused(&hanna_client.get(&format!("/api/v1/rights/requests/{anna_request}/export")), "relation_missing", "not a member of staff");

    // Emma, a member of staff, files her own request: HR handles it.
    let emma_request = anna_files(&mut emma_client, &emma_csrf, "access");
    let queue = hanna_client.get("/api/v1/rights/requests").json();
    let ids: Vec<&str> = queue.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![emma_request.as_str()]);
    let verified = hanna_client.post_json(&format!("/api/v1/rights/requests/{emma_request}/identity"), Some(&hanna_csrf), json!({ "method": "personeelspas" }));
    assert_eq!(verified.status, 200, "{}", verified.body);
    // The privacy team's queue still holds Anna's.
    let (mut pieter, _) = signed_in(&server, &world.privacy);
    assert!(pieter.get("/api/v1/rights/requests").body.contains(&anna_request));
}

// req: E15.LEGAL
// req: E0.2
#[test]
fn an_applicant_neither_moves_her_case_nor_sees_or_settles_a_police_request_about_her() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let (mut anna, csrf) = signed_in(&server, &world.anna);
    let case = &world.anna_case;
    // A step that is valid for her submitted case, so only the register can refuse it.
    refused(&anna.post_json(&format!("/api/v1/cases/{case}/status"), Some(&csrf), json!({ "status": "in_handling" })), "role_not_allowed", "may not advance");
    refused(
        &anna.post_json(&format!("/api/v1/cases/{case}/legal-requests"), Some(&csrf), json!({ "recipient": "politie", "request": "PV 1" })),
        "role_not_allowed",
        "may not disclose",
    );

    let (mut carla, carla_csrf) = signed_in(&server, &world.handler);
    assert_eq!(carla.get(&format!("/api/v1/cases/{case}")).json()["status"], "submitted", "her attempt changed nothing");
    let asked = carla.post_json(
        &format!("/api/v1/cases/{case}/legal-requests"),
        Some(&carla_csrf),
        json!({ "recipient": "politie", "request": "PV 2026-0042: NAW en bankgegevens" }),
    );
    assert_eq!(asked.status, 201, "{}", asked.body);

    // The queue is staff work; she can neither see it nor settle the request about her.
    refused(&anna.get("/api/v1/disclosures/pending"), "role_not_allowed", "may not disclose");
    assert_eq!(anna.get("/beheer/verstrekkingen").status, 403);
    let settle = json!({ "number": case, "recipient": "politie" });
    refused(&anna.post_json("/api/v1/disclosures/pending/settle", Some(&csrf), settle), "role_not_allowed", "may not disclose");
    // While it awaits its check, the request is not in her case's history (AVG art. 23).
    let own = anna.get(&format!("/api/v1/me/cases/{case}"));
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(!events(&own.json()).iter().any(|e| e.starts_with("legal_disclosure")), "{}", own.body);
    assert!(!own.body.contains("PV 2026-0042"));
    assert!(!anna.get("/mijn-gegevens").body.contains("PV 2026-0042"));
    // Staff see it, and it is still pending.
    assert!(events(&carla.get(&format!("/api/v1/cases/{case}")).json()).iter().any(|e| e == "legal_disclosure_requested"));
    assert_eq!(carla.get("/api/v1/disclosures/pending").json().as_array().unwrap().len(), 1);
}

fn expert_world() -> (World, Person, Person) {
    let world = world();
    let dirk = create_account(&world.place, "dirk", "expert", None);
    let eva = create_account(&world.place, "eva", "expert", None);
    (world, dirk, eva)
}

// req: E15.EXPERT
#[test]
fn an_expert_sees_only_the_cases_assigned_to_them_and_only_a_case_handler_assigns() {
    let (world, dirk, eva) = expert_world();
    let server = Server::start(world.dir.path(), &[]);
    let (anna_case, bert_case) = (&world.anna_case, &world.bert_case);
    let (mut dirk_client, _) = signed_in(&server, &dirk);
    refused(&dirk_client.get(&format!("/api/v1/cases/{anna_case}")), "relation_missing", "not assigned to you");
    assert_eq!(dirk_client.get("/api/v1/cases?regeling=fysieke_schade").json(), json!([]));

    // Anna may not pick her own expert; Carla assigns Dirk.
    let (mut anna, anna_csrf) = signed_in(&server, &world.anna);
    refused(
        &anna.post_json(&format!("/api/v1/cases/{anna_case}/experts"), Some(&anna_csrf), json!({ "expert": "dirk", "assigned": true })),
        "role_not_allowed",
        "may not advance",
    );
    let (mut carla, carla_csrf) = signed_in(&server, &world.handler);
    let assigned = carla.post_json(&format!("/api/v1/cases/{anna_case}/experts"), Some(&carla_csrf), json!({ "expert": "dirk", "assigned": true }));
    assert_eq!(assigned.status, 204, "{}", assigned.body);

    let read = dirk_client.get(&format!("/api/v1/cases/{anna_case}"));
    assert_eq!(read.status, 200, "{}", read.body);
    assert!(read.body.contains("Anna de Vries"));
    let listed = dirk_client.get("/api/v1/cases?regeling=fysieke_schade").json();
    assert_eq!(listed.as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap()).collect::<Vec<_>>(), vec![anna_case.as_str()]);
    refused(&dirk_client.get(&format!("/api/v1/cases/{bert_case}")), "relation_missing", "not assigned to you");
    // Another expert, of the same role, is not assigned.
    let (mut eva_client, _) = signed_in(&server, &eva);
    refused(&eva_client.get(&format!("/api/v1/cases/{anna_case}")), "relation_missing", "not assigned to you");

    let ended = carla.post_json(&format!("/api/v1/cases/{anna_case}/experts"), Some(&carla_csrf), json!({ "expert": "dirk", "assigned": false }));
    assert_eq!(ended.status, 204, "{}", ended.body);
    refused(&dirk_client.get(&format!("/api/v1/cases/{anna_case}")), "relation_missing", "not assigned to you");
}

/// An application of physical damage by the person with `bsn`.
pub fn application(name: &str, bsn: &str, address: &str) -> Value {
    json!({
        "scheme": "fysieke_schade",
        "applicant": { "name": name, "phone": "0595 123 456", "email": "aanvrager@example.nl", "bsn": bsn, "bank_account": "NL20 INGB 0001 2345 67" },
        "object": { "kind": "home", "address": address, "postcode_city": "9981 AB Uithuizen" },
        "details": { "damage_arose": "2026-04-01" }
    })
}

// req: E0.1
// req: E13
#[test]
fn an_applicant_files_only_into_her_own_file_and_never_under_someone_elses_bsn() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let (mut anna, csrf) = signed_in(&server, &world.anna);
    let (mut bert, _) = signed_in(&server, &world.bert);
    let bert_before = bert.get("/api/v1/me/data").json();

    let under_bert = anna.post_json("/api/v1/cases", Some(&csrf), application("Anna de Vries", BERT_BSN, "Hoofdstraat 12"));
    refused(&under_bert, "relation_missing", "only on your own file");
    assert_eq!(bert.get("/api/v1/me/data").json()["processings"], bert_before["processings"], "nothing landed in Bert's file");

    // With her own BSN, or none, it lands in her own file and shows under Mijn gegevens.
    let own = anna.post_json("/api/v1/cases", Some(&csrf), application("Anna de Vries", crate::server::ANNA_BSN, "Schoolstraat 4"));
    assert_eq!(own.status, 201, "{}", own.body);
    let number = own.json()["number"].as_str().unwrap().to_string();
    let mut without = application("Anna de Vries", "", "Kerkstraat 9");
    without["applicant"].as_object_mut().unwrap().remove("bsn");
    let second = anna.post_json("/api/v1/cases", Some(&csrf), without);
    assert_eq!(second.status, 201, "{}", second.body);
    let second_number = second.json()["number"].as_str().unwrap().to_string();
    let page = anna.get("/mijn-gegevens").body;
    assert!(page.contains(&number) && page.contains(&second_number), "both show in her own file");
    assert!(!bert.get("/mijn-gegevens").body.contains(&number));
}

// req: E13
#[test]
fn a_representative_sees_the_principals_case_over_http_until_the_authorisation_ends() {
    let world = world();
    let printed = authorise(&world.place, &world.anna_case, "de Vries", "Jan Bakker", "999990019");
    let pseudonym = printed.split("; representative ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert!(printed.contains("account create") && printed.contains("--role representative"), "says how the representative acts: {printed}");
    // Jan's account joins the file the authorisation made for him.
    let jan = create_account(&world.place, "jan", "representative", Some("999990019"));
    let server = Server::start(world.dir.path(), &[]);
    let (mut client, _) = signed_in(&server, &jan);
    let read = client.get(&format!("/api/v1/cases/{}", world.anna_case));
    assert_eq!(read.status, 200, "{}", read.body);
    assert!(read.body.contains("Anna de Vries"));
    refused(&client.get(&format!("/api/v1/cases/{}", world.bert_case)), "relation_missing", "no active authorisation");

    let out = world.place.command().args(["case", "revoke", world.anna_case.as_str(), pseudonym.as_str()]).output().unwrap();
    assert!(out.status.success(), "{}", crate::stderr(&out));
    refused(&client.get(&format!("/api/v1/cases/{}", world.anna_case)), "relation_missing", "no active authorisation");
}

// req: E22
// req: I.SEC
#[test]
fn my_data_routes_reach_only_the_callers_own_file_even_for_staff() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    // Carla may read every case at work, but not as "her own" under Mijn gegevens.
    let (mut carla, _) = signed_in(&server, &world.handler);
    assert_eq!(carla.get(&format!("/api/v1/cases/{}", world.anna_case)).status, 200);
    refused(&carla.get(&format!("/api/v1/me/cases/{}", world.anna_case)), "relation_missing", "only on your own file");
    let page = carla.get(&format!("/mijn-gegevens/zaken/{}", world.anna_case));
    assert_eq!(page.status, 403);
    assert!(!page.body.contains("Anna de Vries"));
}
