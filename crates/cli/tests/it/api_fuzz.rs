//! The JSON API fuzzed by Schemathesis against the OpenAPI document the
//! service serves: generated calls (valid and invalid input) to every
//! operation under `/api/v1`, signed in as each role that can have an
//! account, and as nobody. Every answer must be one the document gives for
//! the operation (status, content type, headers, body schema), and none a
//! server error; every call that was refused (401, 403) must have written
//! nothing.
//!
//! GRONDSLAG_SCHEMATHESIS names the `schemathesis` program (else it is
//! looked for on PATH); `.ci/run` installs it from PyPI (pinned in
//! `.ci/schemathesis/requirements.txt`) and sets
//! GRONDSLAG_REQUIRE_SCHEMATHESIS=1, so on CI a missing Schemathesis fails
//! this test. Elsewhere it says so on stderr and passes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use grondslag_audit::{Outcome, TraceId};
use grondslag_register::{Action, Role};
use serde_json::Value;
use tempfile::TempDir;

use crate::server::{Client, Person, Reply, Server, World, audit_entries, authorise, create_account, world};
use crate::{find_program, on_two_threads, stderr, stdout};

/// The checks of every call: no server error, and the answer as the
/// document describes it.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance";
/// Generated calls per operation and caller: small enough that the whole
/// test stays within a few minutes on two cores.
const EXAMPLES: &str = "4";
/// The same calls on every run, so that a failure can be reproduced.
const SEED: &str = "21";
/// Signing in and out changes the caller's own session, which the rest of
/// a run needs: these are fuzzed by nobody here (their refusals are tested
/// in `server.rs`).
const SESSION_OPERATIONS: [&str; 2] = ["sign_in", "sign_out"];

/// The `schemathesis` program, or None when there is none (and it is not required).
fn schemathesis() -> Option<PathBuf> {
    let found = std::env::var_os("GRONDSLAG_SCHEMATHESIS").map(PathBuf::from).or_else(|| find_program(&["schemathesis"]));
    if found.is_none() {
        assert!(
            std::env::var_os("GRONDSLAG_REQUIRE_SCHEMATHESIS").is_none(),
            "schemathesis not found: install .ci/schemathesis/requirements.txt into a venv and point GRONDSLAG_SCHEMATHESIS at it (as .ci/run does)"
        );
        eprintln!("API fuzz test not run: schemathesis not found (see .ci/run)");
    }
    found
}

/// Who calls: a name for the reports, and the headers of their session
/// (none for a visitor).
struct Caller {
    name: String,
    headers: Vec<String>,
}

impl Caller {
    fn nobody() -> Caller {
        Caller { name: "nobody".to_string(), headers: Vec::new() }
    }

    /// `person`, signed in through the pages: their session cookie, and its
    /// CSRF token, which the API asks on everything that changes something.
    fn signed_in(server: &Server, name: &str, person: &Person) -> Caller {
        let mut client = Client::new(server);
        let done = client.sign_in(person);
        assert_eq!(done.status, 303, "{name} cannot sign in: {}", done.body);
        let csrf = client.csrf();
        let cookie = client.cookie.clone().unwrap();
        Caller { name: name.to_string(), headers: vec![format!("Cookie: {cookie}"), format!("X-CSRF-Token: {csrf}")] }
    }
}

/// One run of Schemathesis as `caller` over the served document, its
/// report of every call (HAR) kept in `reports`: what it printed when a
/// check failed, and the calls that were refused.
fn fuzz(program: &Path, server: &Server, caller: &Caller, reports: &Path) -> (Option<String>, Vec<(String, TraceId)>) {
    let har = reports.join(format!("{}.har", caller.name));
    let mut command = Command::new(program);
    command
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", server.base))
        .args(["--checks", CHECKS, "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1"])
        .args(["--report", "har", "--report-har-path"])
        .arg(&har);
    // Only the JSON API: the pages answer people, in HTML, and are tested as such.
    command.args(["--exclude-tag", "pages"]);
    for operation in SESSION_OPERATIONS {
        command.args(["--exclude-operation-id", operation]);
    }
    for header in &caller.headers {
        command.args(["--header", header]);
    }
    // Its cache of crashes goes where it runs: the reports, not the tree.
    let out = command.current_dir(reports).env("NO_COLOR", "1").output().unwrap();
    let failed = (!out.status.success()).then(|| format!("as {}:\n{}\n{}", caller.name, stdout(&out), stderr(&out)));
    (failed, refused_calls(&har))
}

/// Every refused call in a HAR report: the call, and the trace our answer
/// named in `traceresponse`.
fn refused_calls(har: &Path) -> Vec<(String, TraceId)> {
    let report: Value = serde_json::from_str(&std::fs::read_to_string(har).unwrap()).unwrap();
    let entries = report["log"]["entries"].as_array().cloned().unwrap_or_default();
    entries
        .iter()
        .filter(|e| matches!(e["response"]["status"].as_u64(), Some(401 | 403)))
        .map(|e| {
            let call =
                format!("{} {} → {}", e["request"]["method"].as_str().unwrap_or("?"), e["request"]["url"].as_str().unwrap_or("?"), e["response"]["status"]);
            let trace = e["response"]["headers"]
                .as_array()
                .and_then(|headers| headers.iter().find(|h| h["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case("traceresponse"))))
                .and_then(|h| h["value"].as_str())
                .and_then(|v| v.split('-').nth(1))
                .and_then(TraceId::parse)
                .unwrap_or_else(|| panic!("{call} has no traceresponse"));
            (call, trace)
        })
        .collect()
}

/// Every row of every table in the SQLite store but the audit log's: what
/// a refused call may not change.
fn rows_beside_the_audit_log(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let connection = crate::sqlite(dir);
    let tables: Vec<String> = connection
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'audit_%' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables
        .into_iter()
        .map(|table| {
            let mut statement = connection.prepare(&format!("SELECT * FROM {table}")).unwrap();
            let columns = statement.column_count();
            let mut rows: Vec<String> = statement
                .query_map([], |row| Ok((0..columns).map(|i| format!("{:?}", row.get_ref(i).unwrap())).collect::<Vec<_>>().join("|")))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            (table, rows)
        })
        .collect()
}

/// An account of every role that can have one beside those of the world
/// (its applicant, case handler and privacy officer): a representative
/// authorised for the applicant's case, and one of each other role.
fn more_accounts(world: &World) -> Vec<(Role, Person)> {
    let had = [Role::Public, Role::System, Role::Applicant, Role::CaseHandler, Role::PrivacyOfficer];
    let representative = crate::bsn(901);
    authorise(&world.place, &world.anna_case, "Anna de Vries", "Jan Bakker", &representative);
    let roles: Vec<Role> = Role::ALL.iter().copied().filter(|role| !had.contains(role)).collect();
    let place = &world.place;
    on_two_threads(roles, |role| {
        let bsn = (role == Role::Representative).then_some(representative.as_str());
        (role, create_account(place, &format!("fuzz.{role}"), role.name(), bsn))
    })
}

// req: I.SEC
#[test]
fn generated_calls_in_every_role_get_the_documented_answers_and_a_refused_call_writes_nothing() {
    let Some(program) = schemathesis() else { return };
    let started = Instant::now();
    let world = world();
    let more = more_accounts(&world);
    let accounts: Vec<(Role, &Person)> = [(Role::Applicant, &world.anna), (Role::CaseHandler, &world.handler), (Role::PrivacyOfficer, &world.privacy)]
        .into_iter()
        .chain(more.iter().map(|(role, person)| (*role, person)))
        .collect();
    let server = Server::start(world.dir.path(), &[]);
    let reports = TempDir::new().unwrap();

    // Nobody first, alone: every operation asks for a session, so every
    // call is refused, and nothing beside the audit log may change.
    let before = rows_beside_the_audit_log(world.dir.path());
    let (failed, mut refused) = fuzz(&program, &server, &Caller::nobody(), reports.path());
    assert_eq!(rows_beside_the_audit_log(world.dir.path()), before, "calls refused for want of a session changed the store");
    let mut failures: Vec<String> = failed.into_iter().collect();

    // Then each role, two at a time (the machine has two cores).
    let callers: Vec<Caller> = accounts.iter().map(|(role, person)| Caller::signed_in(&server, role.name(), person)).collect();
    for (failed, refusals) in on_two_threads(callers, |caller| fuzz(&program, &server, &caller, reports.path())) {
        failures.extend(failed);
        refused.extend(refusals);
    }
    drop(server);

    // A refusal by the register rolls its operation back and keeps only
    // its audit entries; a call refused before the kernel reaches nothing.
    // So no refused call's trace may hold anything the kernel let through
    // but a read (which a step asks first, e.g. finding the case).
    let entries = audit_entries(world.dir.path());
    let read = Action::Read.name();
    let written: Vec<String> = refused
        .iter()
        .filter_map(|(call, trace)| {
            let done: Vec<String> = entries
                .iter()
                .filter(|e| e.trace_id == *trace && e.outcome == Outcome::Allowed && e.action != read)
                .map(|e| format!("{} {} on {}", e.action, e.processing, e.object))
                .collect();
            (!done.is_empty()).then(|| format!("{call}: {}", done.join(", ")))
        })
        .collect();
    // The traces must meet: the register's refusals are in the log under the calls' traces.
    let by_register = refused.iter().filter(|(_, trace)| entries.iter().any(|e| e.trace_id == *trace && e.outcome == Outcome::Denied)).count();
    eprintln!(
        "api fuzz: nobody and {} roles, {} refused calls checked ({by_register} refused by the register), in {:.0?}",
        accounts.len(),
        refused.len(),
        started.elapsed()
    );
    assert!(by_register > 0, "no refused call's trace is in the audit log: the check above would see nothing");
    assert!(written.is_empty(), "refused calls wrote:\n{}", written.join("\n"));
    assert!(failures.is_empty(), "Schemathesis found answers the document does not give:\n{}", failures.join("\n\n"));
}

// What the fuzzing found, each as a plain call.

/// The responses the served document gives for `method` on `path` (as the
/// document names it, relative to its server).
fn documented(document: &Value, method: &str, path: &str) -> serde_json::Map<String, Value> {
    document["paths"][path][method]["responses"].as_object().cloned().unwrap_or_else(|| panic!("{method} {path} is not in the document"))
}

/// `reply` is a problem with `status` and `code`, and the document gives
/// that status, as a problem, for `method` on `path`.
fn documented_problem(document: &Value, method: &str, path: &str, reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{method} {path}: {}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{method} {path}: {}", reply.body);
    assert_eq!(reply.json()["code"], code, "{method} {path}: {}", reply.body);
    let responses = documented(document, method, path);
    let response = responses.get(&status.to_string()).unwrap_or_else(|| panic!("{method} {path} answers {status}, which the document does not give"));
    assert!(response["content"].get("application/problem+json").is_some(), "{method} {path} {status}: {response}");
}

// req: I.SEC
#[test]
fn every_error_the_api_answers_before_its_operation_runs_is_in_the_document() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut nobody = Client::new(&server);
    let document = nobody.get("/api/v1/openapi.json").json();
    // Nobody signed in: every operation that rests on the register asks to.
    documented_problem(&document, "get", "/cases", &nobody.get("/api/v1/cases"), 401, "sign_in_first");
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let csrf = carla.csrf();
    // A path naming no object.
    let step = carla.post_json("/api/v1/cases/IMG-2026-999999/status", Some(&csrf), serde_json::json!({"status": "in_handling"}));
    documented_problem(&document, "post", "/cases/{number}/status", &step, 404, "not_found");
    // A body that is not JSON, and JSON missing a field.
    let legal = format!("/api/v1/cases/{}/legal-requests", world.anna_case);
    let text = carla.post_api_bytes(&legal, Some(&csrf), "text/plain", b"politie");
    documented_problem(&document, "post", "/cases/{number}/legal-requests", &text, 415, "bad_request");
    let missing = carla.post_json(&legal, Some(&csrf), serde_json::json!({"recipient": "politie"}));
    documented_problem(&document, "post", "/cases/{number}/legal-requests", &missing, 400, "bad_request");
    // A body naming a request that is not open.
    let settle = carla.post_json(
        "/api/v1/disclosures/pending/settle",
        Some(&csrf),
        serde_json::json!({"number": world.anna_case, "recipient": "politie", "check": "vordering OvJ 2026/123"}),
    );
    documented_problem(&document, "post", "/disclosures/pending/settle", &settle, 404, "not_found");
    // A body naming a processing the register does not have.
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let anna_csrf = anna.csrf();
    let request = anna.post_json("/api/v1/me/requests", Some(&anna_csrf), serde_json::json!({"kind": "withdraw_consent", "concerns": "niets"}));
    documented_problem(&document, "post", "/me/requests", &request, 404, "not_found");
    // The LDV register answers an unknown entity as it does an unknown processing: a problem, not a page.
    documented_problem(&document, "get", "/entities/{id}", &nobody.get("/entities/niemand"), 404, "not_found");
    documented_problem(&document, "get", "/processing_activities/{id}", &nobody.get("/processing_activities/niets"), 404, "not_found");
}

/// Every schema in `value` and below it.
fn schemas_below<'v>(value: &'v Value, found: &mut Vec<&'v Value>) {
    match value {
        Value::Object(members) => {
            if members.contains_key("type") || members.contains_key("$ref") {
                found.push(value);
            }
            members.values().for_each(|v| schemas_below(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| schemas_below(v, found)),
        _ => {}
    }
}

// req: I.SEC
#[test]
fn every_array_in_the_document_says_what_its_items_are() {
    // OpenAPI 3.1 has no tuples as `items: [..]`: a client (Schemathesis)
    // rejects the whole operation's schema, and with it the operation.
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let document = Client::new(&server).get("/api/v1/openapi.json").json();
    let mut schemas = Vec::new();
    schemas_below(&document, &mut schemas);
    let tuples: Vec<String> = schemas.iter().filter(|s| s.get("items").is_some_and(|items| !items.is_object())).map(|s| s.to_string()).collect();
    assert!(tuples.is_empty(), "arrays whose items are no schema:\n{}", tuples.join("\n"));
    assert_eq!(document["components"]["schemas"]["Erasure"]["properties"]["kept"]["items"]["type"], "array");
}

// req: I.SEC
#[test]
fn a_legal_request_from_a_recipient_the_register_does_not_name_is_a_bad_request_and_writes_nothing() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let csrf = carla.csrf();
    let before = rows_beside_the_audit_log(world.dir.path());
    for recipient in ["", "de buurman"] {
        let reply = carla.post_json(
            &format!("/api/v1/cases/{}/legal-requests", world.anna_case),
            Some(&csrf),
            serde_json::json!({"recipient": recipient, "request": "PV 2026-0042"}),
        );
        assert_eq!((reply.status, reply.json()["code"].as_str()), (400, Some("bad_request")), "{recipient}: {}", reply.body);
        assert!(reply.json()["detail"].as_str().unwrap().contains(&format!("unknown recipient `{recipient}`")), "{}", reply.body);
    }
    assert_eq!(rows_beside_the_audit_log(world.dir.path()), before);
}
