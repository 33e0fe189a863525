//! The OpenAPI document, generated from the same route declarations that
//! build the router (so it cannot miss a route), and what each route rests
//! on in the register.
//!
//! Every operation says, as the extension `x-register`, which decisions of
//! the register its domain operation asks the kernel for, so that who may
//! call it on whose data can be read from the document alone — and checked:
//! the route × role matrix test (crates/cli/tests/it/matrix.rs) calls every
//! route in every role and compares the answer with the register. It is
//! one of:
//!
//! - `"public"`: any visitor may call it; what it stores is decided for
//!   the website (role `public`), or it touches no personal data;
//! - `"session"`: it concerns only the caller's own session;
//! - `{"object": …, "names": […], "decide": […]}`: `decide` lists the
//!   decisions in the order the operation asks them, each a `processing`
//!   (`{scheme}` is the processing of the case's own scheme), an `action`,
//!   and whose data it is `on`: the route's `object`, the caller's
//!   `own_file`, the records the grant `reached` (a list, which leaves out
//!   what the grant's scope does not reach), or `everyone` (oversight, for
//!   a grant whose scope is `all` only). `object` says where the route
//!   names its object (`kind`: a `case`, a rights `request`, or a `person`
//!   by BSN; `in` the `path` parameter `name`, or the `body` at `pointer`);
//!   `names` lists body fields that name an account of a `role`; `within`
//!   lists the only scopes the route reaches, whatever the grant (the
//!   routes of "my data" reach one's own file: `["self"]`).

use std::sync::Arc;

use axum::Json;
use grondslag_register::Action;
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::error::PROBLEM_JSON;
use crate::version::{API_VERSION, CURRENT};

#[derive(OpenApi)]
#[openapi(
    info(title = "grondslag", description = "A records system whose privacy statement is its configuration. Every call is decided by the register and logged in the audit log. Each operation's `x-register` names the decisions of the register it rests on.", license(name = "EUPL-1.2")),
    tags((name = "session", description = "Signing in and out"), (name = "me", description = "The signed-in person's own data and rights"), (name = "cases", description = "Applications of the compensation schemes"), (name = "rights", description = "The rights-request queue"), (name = "register", description = "The register of processing activities (LDV register API)"), (name = "operations", description = "Health, audit and retention"), (name = "pages", description = "The web pages (HTML)")),
)]
pub(crate) struct ApiDoc;

/// Serves the document.
pub(crate) async fn serve(document: Arc<Value>) -> Json<Value> {
    Json((*document).clone())
}

/// The document as clients read it, following the NL API Design Rules:
/// `info.version` is [`API_VERSION`] and `info.contact` the register's
/// `[contact]` (/core/doc-openapi-contact); the API's server is
/// `{origin}/api/v1` (/core/uri-version) and its paths are relative to it;
/// pages and the LDV register keep their own paths under a server of
/// their own (`origin`); every response of the API names the
/// `API-Version` header (/core/version-header), and every error of it is
/// a `Problem` as `application/problem+json`, with a 400 on every
/// operation that takes input (/core/error-handling/problem-details,
/// /core/error-handling/invalid-input); the errors every operation of a
/// kind can answer are named too (see [`api_operation`]). The LDV
/// register's errors (tag `register`) are problems as well. Done on the
/// generated document, in one place, because it holds for every route alike.
pub(crate) fn for_clients(generated: &utoipa::openapi::OpenApi, register: &grondslag_register::Register, origin: &str) -> Value {
    let mut document = serde_json::to_value(generated).unwrap_or_else(|e| {
        // The document is built from types that always serialise; say so if not.
        tracing::error!(error = %e, "the OpenAPI document could not be serialised");
        json!({})
    });
    document["info"]["version"] = json!(API_VERSION);
    document["info"]["contact"] = json!({ "name": register.meta.controller, "email": register.contact.email, "url": format!("{origin}/contact") });
    document["servers"] =
        json!([{ "url": format!("{origin}{CURRENT}"), "description": format!("The API, major version {}", CURRENT.trim_start_matches("/api/")) }]);
    document["components"]["headers"] = json!({ "API-Version": {
        "description": "The API's full version (semantic versioning).",
        "required": true,
        "schema": { "type": "string", "example": API_VERSION },
    }});
    let paths = document.get("paths").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut relative = serde_json::Map::new();
    for (path, mut item) in paths {
        match path.strip_prefix(CURRENT) {
            Some(rest) => {
                if let Some(operations) = item.as_object_mut() {
                    operations.values_mut().for_each(api_operation);
                }
                relative.insert(rest.to_string(), item);
            }
            None => {
                if let Some(operations) = item.as_object_mut() {
                    operations.values_mut().filter(|operation| tagged(operation, "register")).filter_map(responses).for_each(problem_details);
                }
                item["servers"] = json!([{ "url": origin, "description": "Pages and the LDV register, outside the versioned API" }]);
                relative.insert(path, item);
            }
        }
    }
    document["paths"] = Value::Object(relative);
    document
}

/// An operation of the API: the version header on every answer, problem
/// details on every error, and the errors an operation of its kind can
/// answer before or beside its own: a 400 where input can be malformed, a
/// 401 where it rests on the register (someone must have signed in for it
/// to decide), a 404 where the path names an object (which may not
/// exist), a 415 where it takes a body (which may not be of its type).
fn api_operation(operation: &mut Value) {
    let parameters = operation.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let body = operation.get("requestBody").is_some();
    let names_object = parameters.iter().any(|p| p["in"] == "path");
    let signed_in = operation.get("x-register").is_some_and(Value::is_object);
    let Some(responses) = responses(operation) else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses.entry(status).or_insert_with(|| json!({ "description": description }));
    };
    if body || !parameters.is_empty() {
        add("400", "The request is malformed or misses a field");
    }
    if signed_in {
        add("401", "Sign in first");
    }
    if names_object {
        add("404", "There is no such object that you may see");
    }
    if body {
        add("415", "The body is not of the type this operation takes");
    }
    problem_details(responses);
    for response in responses.values_mut() {
        response["headers"]["API-Version"] = json!({ "$ref": "#/components/headers/API-Version" });
    }
}

fn responses(operation: &mut Value) -> Option<&mut serde_json::Map<String, Value>> {
    operation.get_mut("responses").and_then(Value::as_object_mut)
}

fn tagged(operation: &Value, tag: &str) -> bool {
    operation.get("tags").and_then(Value::as_array).is_some_and(|tags| tags.iter().any(|t| t == tag))
}

/// Every error is a `Problem`, as `application/problem+json`.
fn problem_details(responses: &mut serde_json::Map<String, Value>) {
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            response["content"] = json!({ PROBLEM_JSON: { "schema": { "$ref": "#/components/schemas/Problem" } } });
        }
    }
}

/// The processing of the case's own scheme.
const SCHEME: &str = "{scheme}";
/// Rights requests, and a person's own file as the rights process shows it.
const RIGHTS: &str = grondslag_rights::requests::PROCESSING;

/// Any visitor may call it.
pub(crate) fn public() -> Value {
    json!("public")
}

/// It concerns only the caller's own session.
pub(crate) fn session() -> Value {
    json!("session")
}

fn decision(processing: &str, action: Action, on: &str) -> Value {
    json!({ "processing": processing, "action": action.name(), "on": on })
}

fn path_case() -> Value {
    json!({ "kind": "case", "in": "path", "name": "number" })
}

/// On the case named in the path: it is found first (a read of its
/// number, which the reader's grant must reach), then `actions` are asked.
pub(crate) fn case(actions: &[Action]) -> Value {
    let decide: Vec<Value> = std::iter::once(Action::Read).chain(actions.iter().copied()).map(|a| decision(SCHEME, a, "object")).collect();
    json!({ "object": path_case(), "decide": decide })
}

/// Asking an expert to advise on the case named in the path (or ending
/// that): a step of the case; the body names the expert's account.
pub(crate) fn case_assignment() -> Value {
    let mut rests = case(&[Action::Advance]);
    rests["names"] = json!([{ "pointer": "/expert", "role": "expert" }]);
    rests
}

/// The list of cases the reader's grant reaches.
pub(crate) fn case_list() -> Value {
    reached(SCHEME, &[Action::Read])
}

/// The queue of legal-obligation requests: the work of whoever discloses.
pub(crate) fn disclosure_queue() -> Value {
    reached(SCHEME, &[Action::Disclose])
}

/// Settling a request from the queue, for the case named in the body.
pub(crate) fn disclosure_settlement() -> Value {
    json!({
        "object": { "kind": "case", "in": "body", "pointer": "/number" },
        "decide": [decision(SCHEME, Action::Disclose, "reached"), decision(SCHEME, Action::Read, "object"), decision(SCHEME, Action::Disclose, "object")],
    })
}

/// Filing an application for the person the body names by BSN: the person
/// is found by BSN as a filing (so that whoever may file for them learns no
/// more than that), and then filed for. (The physical-damage rule that
/// looks for a fixed compensation of the same object is the organisation's,
/// decided for the system role, not the caller's.)
pub(crate) fn case_filing() -> Value {
    json!({
        "object": { "kind": "person", "in": "body", "pointer": "/applicant/bsn" },
        "decide": [decision(SCHEME, Action::File, "object")],
    })
}

/// `rests`, reaching the caller's own file only, whatever their grant
/// reaches elsewhere: the routes of "my data".
pub(crate) fn within_own_file(mut rests: Value) -> Value {
    rests["within"] = json!([grondslag_register::Scope::Own.name()]);
    rests
}

/// On the rights request named in the path.
pub(crate) fn request(action: Action) -> Value {
    json!({ "object": { "kind": "request", "in": "path", "name": "id" }, "decide": [decision(RIGHTS, action, "object")] })
}

/// The queue of rights requests the handler's grant reaches.
pub(crate) fn request_queue() -> Value {
    reached(RIGHTS, &[Action::Handle, Action::Read])
}

/// On the caller's own file, under the rights process.
pub(crate) fn own_file(action: Action) -> Value {
    json!({ "decide": [decision(RIGHTS, action, "own_file")] })
}

/// Oversight of everyone's data (the audit log, retention): for a grant
/// to read the access logs of everyone.
pub(crate) fn oversight() -> Value {
    json!({ "decide": [decision(grondslag_rights::oversight::PROCESSING, Action::Read, "everyone")] })
}

fn reached(processing: &str, actions: &[Action]) -> Value {
    let decide: Vec<Value> = actions.iter().map(|a| decision(processing, *a, "reached")).collect();
    json!({ "decide": decide })
}

/// One decision of a call-centre route: the processing, the action, whose
/// data (`object`: the employee named in the path; `own_file`; `reached`:
/// the role's grant at all, asked before a record is looked at), and, for
/// a read of only some categories, which (a role granted none of them is
/// refused with `nothing_granted`).
pub(crate) struct Kcc {
    processing: &'static str,
    action: Action,
    on: &'static str,
    categories: &'static [&'static str],
}

/// A decision on all the categories the operation needs.
pub(crate) const fn kcc(processing: &'static str, action: Action, on: &'static str) -> Kcc {
    Kcc { processing, action, on, categories: &[] }
}

/// A read of the draws of a selection: their call metadata, which the
/// employee's grant leaves out (K6: the employee never learns which calls are drawn).
pub(crate) const fn draws(on: &'static str) -> Kcc {
    Kcc { processing: "kcc_kwaliteitsmonitoring", action: Action::Read, on, categories: &["call_meta"] }
}

fn kcc_decisions(decide: &[Kcc]) -> Vec<Value> {
    decide
        .iter()
        .map(|d| {
            let mut decided = decision(d.processing, d.action, d.on);
            if !d.categories.is_empty() {
                decided["categories"] = json!(d.categories);
            }
            decided
        })
        .collect()
}

/// On the employee named in the path (their file, by subject id), in the
/// order the domain operation asks.
pub(crate) fn employee(decide: &[Kcc]) -> Value {
    json!({ "object": { "kind": "employee", "in": "path", "name": "employee" }, "decide": kcc_decisions(decide) })
}

/// On the caller's own file only ("Mijn gesprekken"), in the order the
/// domain operation asks.
pub(crate) fn own_calls_page(decide: &[Kcc]) -> Value {
    within_own_file(json!({ "decide": kcc_decisions(decide) }))
}

/// A list of the records of `processing` the reader's grant reaches.
pub(crate) fn listed(processing: &str) -> Value {
    reached(processing, &[Action::Read])
}
