//! The route × role matrix: every operation of the OpenAPI document is
//! called in every role of the register that can have an account (all but
//! `public`), by two people of that role, on an object of their own, on the
//! other's, and on a stranger's; each answer is compared with what the
//! register allows. The expectation is computed here, from the register's
//! grants and the relations this test set up itself (whose case, whose
//! principal, which expert is assigned, who is staff) — not by the kernel's
//! code, which is what is under test.
//!
//! Which decisions a route rests on is the route's own declaration: the
//! `x-register` of its operation (crates/server/src/openapi.rs says the
//! form). This test names no route, so a new route is covered as soon as
//! it is served, and fails here, by name, while it declares nothing.
//!
//! A call the register allows must succeed (2xx, or a page's redirect), or
//! fail for a reason of state (400, 404, 409, 422; logged, for a step that does
//! not apply to the object), never with a refusal. A call it does not allow
//! must be refused with 403 and the register's reason (`role_not_allowed`
//! when the role has no grant, `relation_missing` when its scope does not
//! reach the object), in the JSON body or the error page's `data-code`. No
//! successful answer may name a case or request its caller may not read.
//! At the end, every account signs in again in its original role.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use grondslag_register::{Action, Category, CategorySet, Register, Role, Scope};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::server::{Client, Person, Place, Reply, Server, authorise, create_account, served_path};
use crate::{bsn, on_two_threads};

/// The scheme of every case this test makes: what `{scheme}` in an
/// `x-register` stands for here.
const SCHEME: &str = "fysieke_schade";
const RIGHTS: &str = "rechtenverzoeken";

/// Whose file an object is in: a person of this test, by name.
type Who = String;

/// The person nobody is related to: their objects are someone else's to every caller.
const STRANGER: &str = "stranger";
/// The person whose cases are assigned to experts.
const THIRD: &str = "third";

/// A signed-in account.
struct Account {
    role: Role,
    person: Person,
    /// The person the account acts as (its own file).
    who: Who,
    /// For a representative: the person who authorised them.
    principal: Option<Who>,
    client: Client,
    csrf: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Case,
    Request,
    /// A person named by BSN (whom an application is filed for).
    Person,
    /// A member of staff's file, by its subject id: an employee of the
    /// call centre's quality protocol, as a coach or manager names them.
    Employee,
}

impl Kind {
    fn parse(name: &str) -> Option<Kind> {
        match name {
            "case" => Some(Kind::Case),
            "request" => Some(Kind::Request),
            "person" => Some(Kind::Person),
            "employee" => Some(Kind::Employee),
            _ => None,
        }
    }

    /// The processing an object of this kind is kept under.
    fn processing(self) -> &'static str {
        match self {
            Kind::Case | Kind::Person => SCHEME,
            Kind::Request => RIGHTS,
            Kind::Employee => "kcc_protocol",
        }
    }
}

#[derive(Clone, Debug)]
struct Object {
    kind: Kind,
    /// The case number, the request (`subject.record`), or the BSN.
    id: String,
    owner: Who,
    /// The matrix account (by index) a case is assigned to.
    assigned: Option<usize>,
}

/// Whose data a decision is about, as `x-register` says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum On {
    Object,
    OwnFile,
    Reached,
    Everyone,
}

#[derive(Clone, Debug)]
struct Decision {
    processing: String,
    action: Action,
    on: On,
    /// A read of only these categories (none: all the operation needs).
    categories: Option<CategorySet>,
    /// The route reaches no further than these scopes, whatever the grant
    /// (`within` in `x-register`: "my data" reaches one's own file only).
    within: Option<Vec<Scope>>,
}

#[derive(Clone, Debug)]
enum At {
    Path(String),
    /// A JSON pointer into the body (a form's field is `/name`).
    Body(String),
}

#[derive(Clone, Debug)]
enum RestsOn {
    Public,
    Session,
    Register { object: Option<(Kind, At)>, names: Vec<(String, Role)>, decide: Vec<Decision> },
}

#[derive(Clone, Debug)]
struct Param {
    name: String,
    location: String,
    required: bool,
    example: Option<Value>,
}

#[derive(Clone, Debug)]
struct Operation {
    method: String,
    path: String,
    rests_on: RestsOn,
    params: Vec<Param>,
    /// Content type and example of the request body.
    body: Option<(String, Value)>,
}

impl Operation {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether the operation changes something, so that a call the register
    /// allows gets an object of its own (a step taken on it would change
    /// what later calls find).
    fn changes(&self) -> bool {
        match &self.rests_on {
            RestsOn::Register { decide, .. } => decide.iter().any(|d| d.action != Action::Read),
            _ => self.method != "GET",
        }
    }
}

/// What the response says was the reason of a refusal: the JSON body's
/// `error.code`, or an error page's `data-code`.
fn refusal_code(reply: &Reply) -> Option<String> {
    if let Ok(body) = serde_json::from_str::<Value>(&reply.body) {
        return body["code"].as_str().map(str::to_string);
    }
    let (_, rest) = reply.body.split_once("data-code=\"")?;
    rest.split_once('"').map(|(code, _)| code.to_string())
}

/// A success: 2xx, or a page's redirect after a form that is not to the sign-in page.
fn succeeded(reply: &Reply) -> bool {
    (200..300).contains(&reply.status) || (reply.status == 303 && !reply.header("location").is_some_and(|l| l.starts_with("/inloggen")))
}

fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let found = flat.find("class=\"refusal\"").unwrap_or(0);
    flat.chars().skip(found).take(240).collect()
}

/// `text` for a query string.
fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// An example as a form's fields: strings as they are, other values as JSON writes them.
fn form_fields(example: &Value) -> Vec<(String, String)> {
    example
        .as_object()
        .map(|fields| fields.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect())
        .unwrap_or_default()
}

/// Reads the operations of the OpenAPI document; an operation without a
/// readable `x-register` is a failure, named.
fn operations(spec: &Value, failures: &mut Vec<String>) -> Vec<Operation> {
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let name = format!("{} {path}", method.to_uppercase());
            let rests_on = match op.get("x-register").map(rests_on) {
                Some(Ok(rests_on)) => rests_on,
                Some(Err(e)) => {
                    failures.push(format!("{name}: its x-register cannot be read: {e}"));
                    continue;
                }
                None => {
                    failures.push(format!("{name} declares no x-register: say which decisions of the register it rests on (crates/server/src/openapi.rs)"));
                    continue;
                }
            };
            let params = op["parameters"]
                .as_array()
                .map(|params| {
                    params
                        .iter()
                        .map(|p| Param {
                            name: p["name"].as_str().unwrap_or_default().to_string(),
                            location: p["in"].as_str().unwrap_or_default().to_string(),
                            required: p["required"].as_bool().unwrap_or(false),
                            example: p.get("example").cloned(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = op["requestBody"]["content"].as_object().and_then(|content| {
                let (content_type, media) = content.iter().next()?;
                let example = media.get("example").cloned().or_else(|| {
                    let schema = media["schema"]["$ref"].as_str()?.rsplit('/').next()?;
                    spec["components"]["schemas"][schema].get("example").cloned()
                });
                Some((content_type.clone(), example.unwrap_or(Value::Null)))
            });
            if let Some((_, Value::Null)) = &body {
                failures.push(format!("{name} takes a body but gives no example of it, so it cannot be called as an allowed caller would"));
                continue;
            }
            operations.push(Operation { method: method.to_uppercase(), path: served_path(spec, path), rests_on, params, body });
        }
    }
    // In the order of the paths as served, as before the API's paths were
    // relative to their server: the objects the calls make (the call
    // centre's employees among them) depend on it.
    operations.sort_by(|a, b| a.path.cmp(&b.path));
    operations
}

fn rests_on(value: &Value) -> Result<RestsOn, String> {
    match value {
        Value::String(s) if s == "public" => return Ok(RestsOn::Public),
        Value::String(s) if s == "session" => return Ok(RestsOn::Session),
        Value::Object(_) => {}
        other => return Err(format!("`{other}` is neither \"public\", \"session\" nor an object")),
    }
    let object = match value.get("object") {
        None => None,
        Some(object) => {
            let kind = object["kind"].as_str().and_then(Kind::parse).ok_or_else(|| format!("unknown object kind in {object}"))?;
            let at = match object["in"].as_str() {
                Some("path") => At::Path(object["name"].as_str().ok_or("a path object needs `name`")?.to_string()),
                Some("body") => At::Body(object["pointer"].as_str().ok_or("a body object needs `pointer`")?.to_string()),
                _ => return Err(format!("the object must be `in` the path or the body: {object}")),
            };
            Some((kind, at))
        }
    };
    let names = value["names"]
        .as_array()
        .map(|names| {
            names
                .iter()
                .map(|n| {
                    let role = n["role"].as_str().and_then(Role::from_name).ok_or_else(|| format!("unknown role in {n}"))?;
                    Ok((n["pointer"].as_str().ok_or_else(|| format!("no pointer in {n}"))?.to_string(), role))
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .transpose()?
        .unwrap_or_default();
    let within = value["within"]
        .as_array()
        .map(|scopes| {
            scopes
                .iter()
                .map(|s| s.as_str().and_then(Scope::from_name).ok_or_else(|| format!("unknown scope in `within`: {s}")))
                .collect::<Result<Vec<_>, String>>()
        })
        .transpose()?;
    let decide = value["decide"]
        .as_array()
        .filter(|d| !d.is_empty())
        .ok_or("no decisions (`decide`)")?
        .iter()
        .map(|d| {
            let processing = d["processing"].as_str().ok_or_else(|| format!("no processing in {d}"))?;
            let action = d["action"].as_str().and_then(Action::from_name).ok_or_else(|| format!("unknown action in {d}"))?;
            let on = match d["on"].as_str() {
                Some("object") if object.is_some() => On::Object,
                Some("own_file") => On::OwnFile,
                Some("reached") => On::Reached,
                Some("everyone") => On::Everyone,
                _ => return Err(format!("`on` must be object (with an object), own_file, reached or everyone: {d}")),
            };
            let categories = d["categories"]
                .as_array()
                .map(|names| {
                    names
                        .iter()
                        .map(|n| n.as_str().and_then(Category::from_name).ok_or_else(|| format!("unknown category in {d}")))
                        .collect::<Result<Vec<_>, String>>()
                        .map(|c| CategorySet::of(&c))
                })
                .transpose()?;
            Ok(Decision { processing: processing.replace("{scheme}", SCHEME), action, on, categories, within: within.clone() })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(RestsOn::Register { object, names, decide })
}

/// The data directory, the service, the people and their accounts, and the
/// objects made so far.
struct World {
    place: Place,
    server: Server,
    register: Register,
    /// Two accounts per role, `a` then `b`; account `i`'s partner is `i ^ 1`.
    accounts: Vec<Account>,
    /// People who are no callers but file requests of their own: the stranger.
    bystanders: Vec<Account>,
    /// Accounts that set objects up or that a route names; never callers.
    helpers: BTreeMap<Role, Account>,
    /// The persons known by BSN.
    bsns: BTreeMap<Who, String>,
    /// Each account's own file (subject id), by who it is.
    files: BTreeMap<Who, String>,
    /// Whose file is a member of staff's (every account that does not act for a person).
    staff: BTreeSet<Who>,
    objects: Vec<Object>,
    /// (kind, owner, assigned) → the object a caller's own is, made once.
    templates: BTreeMap<(Kind, Who, Option<usize>), usize>,
}

fn sign_in(server: &Server, person: Person, role: Role, who: Who, principal: Option<Who>) -> Account {
    let mut client = Client::new(server);
    let done = client.sign_in(&person);
    assert_eq!(done.status, 303, "{} cannot sign in: {}", person.username, done.body);
    let csrf = client.csrf();
    Account { role, person, who, principal, client, csrf }
}

impl World {
    fn new(dir: &Path) -> World {
        let place = Place::sqlite(dir);
        let server = Server::start(dir, &[]);
        let register = crate::shipped();
        let handler = sign_in(&server, create_account(&place, "helper.handler", "case_handler", None), Role::CaseHandler, "helper.handler".into(), None);
        let mut world = World {
            place,
            register,
            accounts: Vec::new(),
            bystanders: Vec::new(),
            helpers: BTreeMap::from([(Role::CaseHandler, handler)]),
            bsns: BTreeMap::new(),
            files: BTreeMap::new(),
            staff: BTreeSet::new(),
            objects: Vec::new(),
            templates: BTreeMap::new(),
            server,
        };
        // Who each account is. An account that acts for a person joins that
        // person's file, which must exist before the account: an applicant
        // files a case first; a representative is authorised for a case.
        let mut planned: Vec<(String, Role, Who, Option<Who>)> = Vec::new();
        // No account can act as the system (or as anyone, `public`): the
        // system acts only through the command line and the service's own
        // processes, so the matrix has no such account to sign in with.
        for role in Role::ALL.iter().copied().filter(|r| !matches!(r, Role::Public | Role::System)) {
            for letter in ["a", "b"] {
                let username = format!("{}.{letter}", role.name());
                let principal = match role {
                    Role::Applicant => {
                        world.give_bsn(&username);
                        world.case_of(&username, None);
                        None
                    }
                    Role::Representative => {
                        let principal = format!("principal.{letter}");
                        world.give_bsn(&username);
                        world.authorise(&principal, &username);
                        Some(principal)
                    }
                    r if r.acts_for_a_person() => panic!("role `{r}` acts for a person, and this test does not know how to make one; teach World::new"),
                    _ => {
                        world.staff.insert(username.clone());
                        None
                    }
                };
                planned.push((username.clone(), role, username, principal));
            }
        }
        world.give_bsn(STRANGER);
        world.case_of(STRANGER, None);
        world.give_bsn(THIRD);
        planned.push((STRANGER.to_string(), Role::Applicant, STRANGER.to_string(), None));

        let place = world.place.clone();
        let bsns = world.bsns.clone();
        let people = on_two_threads(planned, |(username, role, who, principal)| {
            let bsn = bsns.get(&who).map(String::as_str);
            (create_account(&place, &username, role.name(), bsn), role, who, principal)
        });
        let server = &world.server;
        let mut accounts = on_two_threads(people, |(person, role, who, principal)| sign_in(server, person, role, who, principal));
        world.bystanders.push(accounts.pop().unwrap());
        world.accounts = accounts;
        world.files = world.files_of_accounts();
        world
    }

    /// Every account's own file, read from the accounts beside the running
    /// service (as the CLI does): pages of the call centre name an employee by it.
    fn files_of_accounts(&self) -> BTreeMap<Who, String> {
        let kernel = std::sync::Arc::new(crate::open_kernel(&self.place.dir));
        let accounts = grondslag_accounts::Accounts::new(kernel, grondslag_accounts::Policy::default()).unwrap();
        let now = jiff::Timestamp::now();
        self.accounts
            .iter()
            .chain(self.bystanders.iter())
            .map(|a| (a.who.clone(), accounts.holder(&a.person.username, "matrix", now).unwrap().unwrap().record.subject.to_string()))
            .collect()
    }

    fn give_bsn(&mut self, who: &str) -> String {
        let n = u32::try_from(self.bsns.len()).unwrap() + 1;
        self.bsns.entry(who.to_string()).or_insert_with(|| bsn(n)).clone()
    }

    fn helper(&mut self, role: Role) -> &mut Account {
        if !self.helpers.contains_key(&role) {
            let username = format!("helper.{}", role.name());
            let person = create_account(&self.place, &username, role.name(), None);
            let account = sign_in(&self.server, person, role, username.clone(), None);
            self.staff.insert(username);
            self.helpers.insert(role, account);
        }
        self.helpers.get_mut(&role).unwrap()
    }

    /// Files a case for `owner` as a case handler, with a legal-obligation
    /// request waiting on it (so that settling one can succeed), and asks
    /// the assigned expert, if any.
    fn file_case(&mut self, owner: &str, assigned: Option<usize>) -> usize {
        let bsn = self.bsns.get(owner).unwrap_or_else(|| panic!("{owner} has no BSN, so no case can be filed for them")).clone();
        let expert = assigned.map(|a| self.accounts[a].person.username.clone());
        let address = format!("Hoofdstraat {}", self.objects.len() + 1);
        let handler = self.helper(Role::CaseHandler);
        let application = json!({
            "scheme": SCHEME,
            "applicant": { "name": owner, "phone": "0595 123 456", "email": "aanvrager@example.nl", "bsn": bsn },
            "object": { "kind": "home", "address": address, "postcode_city": "9981 AB Uithuizen" },
            "details": { "damage_arose": "2026-03-01" }
        });
        let filed = handler.client.post_json("/api/v1/cases", Some(&handler.csrf), application);
        assert_eq!(filed.status, 201, "filing a case for {owner}: {}", filed.body);
        let number = filed.json()["number"].as_str().unwrap().to_string();
        let asked = handler.client.post_json(
            &format!("/api/v1/cases/{number}/legal-requests"),
            Some(&handler.csrf),
            json!({"recipient": "politie", "request": "PV 2026-0042"}),
        );
        assert_eq!(asked.status, 201, "{}", asked.body);
        if let Some(expert) = expert {
            let assigned =
                handler.client.post_json(&format!("/api/v1/cases/{number}/experts"), Some(&handler.csrf), json!({"expert": expert, "assigned": true}));
            assert_eq!(assigned.status, 204, "{}", assigned.body);
        }
        self.objects.push(Object { kind: Kind::Case, id: number, owner: owner.to_string(), assigned });
        self.objects.len() - 1
    }

    /// Authorises `representative` (by BSN) for a case of `principal`, on
    /// the command line as a case handler.
    fn authorise(&mut self, principal: &str, representative: &str) {
        self.give_bsn(principal);
        let case = self.case_of(principal, None);
        authorise(&self.place, &self.objects[case].id, principal, representative, &self.bsns[representative]);
    }

    /// The account of `owner`, who files their own requests.
    fn account_of(&mut self, owner: &str) -> &mut Account {
        self.accounts
            .iter_mut()
            .chain(self.bystanders.iter_mut())
            .find(|a| a.who == owner)
            .unwrap_or_else(|| panic!("{owner} has no account to file a request with"))
    }

    /// `owner` files a request to withdraw a consent (every step of handling
    /// applies to it), and the privacy team verifies their identity.
    fn file_request(&mut self, owner: &str) -> usize {
        let account = self.account_of(owner);
        let filed = account.client.post_json("/api/v1/me/requests", Some(&account.csrf), json!({"kind": "withdraw_consent", "concerns": "nieuwsbrief_email"}));
        assert_eq!(filed.status, 201, "{owner} filing a request: {}", filed.body);
        let id = filed.json()["id"].as_str().unwrap().to_string();
        let privacy = self.helper(Role::PrivacyOfficer);
        let verified = privacy.client.post_json(&format!("/api/v1/rights/requests/{id}/identity"), Some(&privacy.csrf), json!({"method": "DigiD"}));
        assert_eq!(verified.status, 200, "{}", verified.body);
        self.objects.push(Object { kind: Kind::Request, id, owner: owner.to_string(), assigned: None });
        self.objects.len() - 1
    }

    fn template(&mut self, kind: Kind, owner: &str, assigned: Option<usize>) -> usize {
        if let Some(found) = self.templates.get(&(kind, owner.to_string(), assigned)) {
            return *found;
        }
        let made = match kind {
            Kind::Case => self.file_case(owner, assigned),
            Kind::Request => self.file_request(owner),
            Kind::Person => {
                let bsn = self.bsns.get(owner).unwrap_or_else(|| panic!("{owner} has no BSN to file for")).clone();
                self.objects.push(Object { kind, id: bsn, owner: owner.to_string(), assigned: None });
                self.objects.len() - 1
            }
            Kind::Employee => {
                let file = self.files.get(owner).unwrap_or_else(|| panic!("{owner} has no account, so no file to name")).clone();
                self.objects.push(Object { kind, id: file, owner: owner.to_string(), assigned: None });
                self.objects.len() - 1
            }
        };
        self.templates.insert((kind, owner.to_string(), assigned), made);
        made
    }

    fn case_of(&mut self, owner: &str, assigned: Option<usize>) -> usize {
        self.template(Kind::Case, owner, assigned)
    }

    /// An object like `template` that no call has touched yet.
    fn fresh(&mut self, template: usize) -> usize {
        let Object { kind, owner, assigned, .. } = self.objects[template].clone();
        match kind {
            Kind::Case => self.file_case(&owner, assigned),
            Kind::Request => self.file_request(&owner),
            // Filing for a person makes something new; the person stays.
            // A step about an employee is on a record in their file, named
            // by an example that exists nowhere: the file stays too.
            Kind::Person | Kind::Employee => template,
        }
    }

    /// The scopes of `role`'s grants under `processing`, whatever the action.
    fn scopes(&self, role: Role, processing: &str) -> BTreeSet<Scope> {
        let p = self.register.processing(self.register.processing_id(processing).unwrap());
        Action::ALL.iter().flat_map(|a| p.grant(role, *a).scopes.iter()).collect()
    }

    /// The object of `kind` that is account `a`'s own, as its role's scope
    /// reads "own": its own file, its principal's, the case assigned to it,
    /// a member of staff's (its own); for a role that reaches everyone or
    /// nobody, a stranger's.
    fn own(&mut self, a: usize, kind: Kind) -> usize {
        let scopes = self.scopes(self.accounts[a].role, kind.processing());
        let (who, principal) = (self.accounts[a].who.clone(), self.accounts[a].principal.clone());
        let has = |s: Scope| scopes.contains(&s);
        match kind {
            Kind::Case if has(Scope::Own) => self.template(kind, &who, None),
            Kind::Case if has(Scope::Represented) => self.template(kind, &principal.unwrap(), None),
            Kind::Case if has(Scope::Assigned) => self.template(kind, THIRD, Some(a)),
            Kind::Request if has(Scope::Own) || has(Scope::Staff) => self.template(kind, &who, None),
            Kind::Person if has(Scope::Own) => self.template(kind, &who, None),
            Kind::Person if has(Scope::Represented) => self.template(kind, &principal.unwrap(), None),
            Kind::Employee if has(Scope::Own) => self.template(kind, &who, None),
            _ => self.template(kind, STRANGER, None),
        }
    }
}

impl World {
    /// Whether `scope` reaches the file of `owner` (and, for a scope of
    /// records, `record`) for account `a`, by the relations this world made.
    fn reaches(&self, a: usize, scope: Scope, owner: &str, record: Option<&Object>) -> bool {
        let account = &self.accounts[a];
        match scope {
            Scope::All => true,
            Scope::Own => account.who == owner,
            Scope::Represented => account.principal.as_deref() == Some(owner),
            Scope::Assigned => record.is_some_and(|o| o.kind == Kind::Case && o.assigned == Some(a)),
            Scope::Staff => self.staff.contains(owner),
            // This world coaches nobody, has no teams and no calls: a coach
            // or manager is refused every employee's file, and an employee
            // every call (the call-centre routes are called allowed in
            // crates/cli/tests/it/kcc.rs, where those relations exist).
            Scope::Coached | Scope::Managed | Scope::OwnCalls => false,
        }
    }

    /// What the register says of account `a` asking `decide` on `target`:
    /// allowed, or the code of the first refusal.
    fn expected(&self, a: usize, decide: &[Decision], target: Option<&Object>) -> Result<(), &'static str> {
        let role = self.accounts[a].role;
        for decision in decide {
            let id = self
                .register
                .processing_id(&decision.processing)
                .unwrap_or_else(|| panic!("x-register names `{}`, which the register does not hold", decision.processing));
            let grant = self.register.processing(id).grant(role, decision.action);
            if !grant.is_granted() {
                return Err("role_not_allowed");
            }
            if decision.action == Action::Read && decision.categories.is_some_and(|c| c.intersection(grant.categories).is_empty()) {
                return Err("nothing_granted");
            }
            // Whose data the decision is about, if one file: the caller's
            // own, or the route's object.
            let about = match decision.on {
                On::OwnFile => Some((self.accounts[a].who.as_str(), None)),
                On::Object => {
                    let target = target.expect("a decision on the object of a call without one");
                    Some((target.owner.as_str(), (!matches!(target.kind, Kind::Person | Kind::Employee)).then_some(target)))
                }
                On::Reached | On::Everyone => None,
            };
            let reach = |scopes: Vec<Scope>| match about {
                Some((owner, record)) => scopes.into_iter().any(|s| self.reaches(a, s, owner, record)),
                None => true,
            };
            // A route that reaches only so far (`within`) needs its limit to
            // reach the data as well as the grant.
            let within = decision.within.as_ref().is_none_or(|w| reach(w.clone()));
            let reached = within
                && match decision.on {
                    // A list holds what the grant reaches, whatever that is.
                    On::Reached => true,
                    On::Everyone => grant.scopes.contains(Scope::All) && decision.within.is_none(),
                    On::OwnFile | On::Object => reach(grant.scopes.iter().collect()),
                };
            if !reached {
                return Err("relation_missing");
            }
        }
        Ok(())
    }

    /// The cases and requests an answer to account `a` (or to an anonymous
    /// visitor) names but its caller may not read, but for `asked`, which
    /// the caller named themselves.
    fn leaked(&self, a: Option<usize>, body: &str, asked: Option<&str>) -> Vec<String> {
        self.objects
            .iter()
            .filter(|o| o.kind != Kind::Person && Some(o.id.as_str()) != asked && body.contains(&o.id))
            .filter(|o| {
                let read = Decision { processing: o.kind.processing().to_string(), action: Action::Read, on: On::Object, categories: None, within: None };
                a.is_none_or(|a| self.expected(a, &[read], Some(o)).is_err())
            })
            .map(|o| format!("{:?} {} of {}", o.kind, o.id, o.owner))
            .collect()
    }

    /// Records a failure when `reply` names what its caller may not read.
    fn check_leaks(&self, a: Option<usize>, name: &str, reply: &Reply, asked: Option<&str>, found: &mut Findings) {
        let leaked = self.leaked(a, &reply.body, asked);
        if !leaked.is_empty() {
            found.failures.push(format!("{name}: the answer ({}) names what the caller may not read: {}", reply.status, leaked.join(", ")));
        }
    }

    /// The objects account `a` calls a route on: its own, its partner's
    /// (the other of its role), and the stranger's — each once.
    fn targets(&mut self, a: usize, kind: Kind) -> Vec<usize> {
        let mut targets = vec![self.own(a, kind), self.own(a ^ 1, kind), self.template(kind, STRANGER, None)];
        let mut seen = BTreeSet::new();
        targets.retain(|t| seen.insert(self.objects[*t].id.clone()));
        targets
    }
}

/// A concrete request: the path with its parameters filled in, and the body.
struct Call {
    method: String,
    path: String,
    body: Option<(String, Value)>,
}

impl Call {
    /// `op` on `target`; `names` gives the user name for each body field
    /// that names an account.
    fn new(op: &Operation, object: Option<&(Kind, At)>, target: Option<&Object>, names: &[(String, String)]) -> Result<Call, String> {
        let mut path = op.path.clone();
        let mut query = Vec::new();
        for param in &op.params {
            let value = match (object, target) {
                (Some((_, At::Path(name))), Some(target)) if *name == param.name => target.id.clone(),
                _ => match &param.example {
                    Some(example) => example.as_str().map_or_else(|| example.to_string(), str::to_string),
                    None if param.required && param.location != "header" => return Err(format!("parameter `{}` has no example", param.name)),
                    None => continue,
                },
            };
            match param.location.as_str() {
                "path" => path = path.replace(&format!("{{{}}}", param.name), &value),
                "query" if param.required => query.push(format!("{}={}", param.name, percent_encoded(&value))),
                _ => {}
            }
        }
        if !query.is_empty() {
            path = format!("{path}?{}", query.join("&"));
        }
        let mut body = op.body.clone();
        if let Some((_, example)) = &mut body {
            if let (Some((_, At::Body(pointer))), Some(target)) = (object, target) {
                *example.pointer_mut(pointer).ok_or_else(|| format!("the example has no {pointer} for the object"))? = json!(target.id);
            }
            for (pointer, username) in names {
                *example.pointer_mut(pointer).ok_or_else(|| format!("the example has no {pointer} for the account it names"))? = json!(username);
            }
        }
        Ok(Call { method: op.method.clone(), path, body })
    }

    /// Sends the call in `client`'s session, with its CSRF token where the
    /// call changes something (a header for the API, a field for a form).
    fn send(&self, client: &mut Client, csrf: Option<&str>) -> Reply {
        match (self.method.as_str(), &self.body) {
            ("GET", _) => client.get(&self.path),
            ("POST", Some((content_type, example))) if content_type == "application/x-www-form-urlencoded" => {
                let mut fields = form_fields(example);
                fields.retain(|(k, _)| k != "csrf");
                fields.push(("csrf".to_string(), csrf.unwrap_or_default().to_string()));
                let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                client.post_form(&self.path, &pairs)
            }
            ("POST", Some((_, example))) => client.post_json(&self.path, csrf, example.clone()),
            ("POST", None) => client.post(&self.path, csrf),
            (method, _) => panic!("the matrix does not send {method} requests"),
        }
    }
}

/// What the matrix found.
#[derive(Default)]
struct Findings {
    calls: usize,
    allowed: usize,
    refused: usize,
    /// Allowed calls that failed for the object's state, with why.
    state: Vec<String>,
    /// Session routes that change the session, which the matrix does not call.
    skipped: Vec<String>,
    /// Per operation and role: calls the register allows, and calls in all.
    coverage: BTreeMap<String, BTreeMap<Role, (usize, usize)>>,
    failures: Vec<String>,
}

impl World {
    fn run(&mut self, op: &Operation, found: &mut Findings) {
        match &op.rests_on {
            RestsOn::Public => self.run_open(op, true, found),
            RestsOn::Session if op.method == "GET" => self.run_open(op, false, found),
            // Calling these would sign the caller in or out, or change its
            // password, mid-matrix; every account signs in through the pages
            // before and through the API after it.
            RestsOn::Session => found.skipped.push(op.name()),
            RestsOn::Register { object, names, decide } => {
                let names: Vec<(String, String)> = names.iter().map(|(pointer, role)| (pointer.clone(), self.helper(*role).person.username.clone())).collect();
                let stranger = object.as_ref().map(|(kind, _)| self.template(*kind, STRANGER, None));
                self.run_anonymous(op, object.as_ref(), stranger, &names, found);
                for a in 0..self.accounts.len() {
                    let targets = match object {
                        Some((kind, _)) => self.targets(a, *kind).into_iter().map(Some).collect(),
                        None => vec![None],
                    };
                    for target in targets {
                        self.run_one(op, object.as_ref(), decide, &names, a, target, found);
                    }
                }
            }
        }
    }

    /// A route any visitor may call (`public`), or one about the caller's
    /// own session: every account (and, for a public one, an anonymous
    /// visitor) is answered without a refusal or a failure, and with
    /// nothing it may not read.
    fn run_open(&mut self, op: &Operation, public: bool, found: &mut Findings) {
        let call = Call::new(op, None, None, &[]).unwrap_or_else(|e| panic!("{}: {e}", op.name()));
        let mut replies = Vec::new();
        if public {
            replies.push((None, "an anonymous visitor".to_string(), call.send(&mut Client::new(&self.server), None)));
        }
        for (a, account) in self.accounts.iter_mut().enumerate() {
            replies.push((Some(a), account.person.username.clone(), call.send(&mut account.client, Some(&account.csrf))));
        }
        for (a, who, reply) in replies {
            found.calls += 1;
            let name = format!("{} as {who}", op.name());
            let fine = if public { !matches!(reply.status, 401 | 403) && reply.status < 500 } else { succeeded(&reply) };
            if !fine {
                found.failures.push(format!(
                    "{name}: a {} route answered {}: {}",
                    if public { "public" } else { "session" },
                    reply.status,
                    excerpt(&reply.body)
                ));
            }
            self.check_leaks(a, &name, &reply, None, found);
        }
    }

    /// Without signing in, a route the register decides is not called at
    /// all: the API answers 401, a page sends to the sign-in page.
    fn run_anonymous(&mut self, op: &Operation, object: Option<&(Kind, At)>, target: Option<usize>, names: &[(String, String)], found: &mut Findings) {
        let target = target.map(|t| self.objects[t].clone());
        let call = Call::new(op, object, target.as_ref(), names).unwrap_or_else(|e| panic!("{}: {e}", op.name()));
        let reply = call.send(&mut Client::new(&self.server), None);
        found.calls += 1;
        let to_sign_in = reply.status == 303 && reply.header("location").is_some_and(|l| l.starts_with("/inloggen"));
        if !(to_sign_in || (reply.status == 401 && refusal_code(&reply).as_deref() == Some("sign_in_first"))) {
            found.failures.push(format!("{} ({}) without signing in answered {}: {}", op.name(), call.path, reply.status, excerpt(&reply.body)));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn run_one(
        &mut self,
        op: &Operation,
        object: Option<&(Kind, At)>,
        decide: &[Decision],
        names: &[(String, String)],
        a: usize,
        target: Option<usize>,
        found: &mut Findings,
    ) {
        let expected = self.expected(a, decide, target.map(|t| &self.objects[t]));
        // A step the register allows changes its object: it gets one of its own.
        let target = match target {
            Some(t) if expected.is_ok() && op.changes() => Some(self.fresh(t)),
            other => other,
        };
        let target_object = target.map(|t| self.objects[t].clone());
        let call = Call::new(op, object, target_object.as_ref(), names).unwrap_or_else(|e| panic!("{}: {e}", op.name()));
        let account = &mut self.accounts[a];
        let reply = call.send(&mut account.client, Some(&account.csrf));
        found.calls += 1;
        let tally = found.coverage.entry(op.name()).or_default().entry(account.role).or_default();
        *tally = (tally.0 + usize::from(expected.is_ok()), tally.1 + 1);
        let on = target_object.as_ref().map_or(String::new(), |o| format!(" on {:?} {} of {}", o.kind, o.id, o.owner));
        let name = format!("{} ({}) as {} ({}){on}", op.name(), call.path, account.person.username, account.role);
        match expected {
            Ok(()) if succeeded(&reply) => found.allowed += 1,
            Ok(()) if matches!(reply.status, 400 | 404 | 409 | 422) => {
                found.state.push(format!("{name}: allowed, but {} for the object's state: {}", reply.status, excerpt(&reply.body)));
            }
            Ok(()) => found.failures.push(format!(
                "{name}: the register allows it, but it answered {} {:?}: {}",
                reply.status,
                refusal_code(&reply),
                excerpt(&reply.body)
            )),
            Err(code) if reply.status == 403 && refusal_code(&reply).as_deref() == Some(code) => found.refused += 1,
            Err(code) => found.failures.push(format!(
                "{name}: the register refuses it ({code}), but it answered {} {:?}: {}",
                reply.status,
                refusal_code(&reply),
                excerpt(&reply.body)
            )),
        }
        self.check_leaks(Some(a), &name, &reply, target_object.as_ref().map(|o| o.id.as_str()), found);
    }

    /// The applicant asks, through a rights request, that their role be
    /// "corrected"; the privacy officer who carries it out is refused for
    /// the category, which is sign-in data.
    fn try_to_rectify_a_role(&mut self, found: &mut Findings) {
        let applicant = self.accounts.iter().position(|a| a.role == Role::Applicant).unwrap();
        let owner = self.accounts[applicant].who.clone();
        let request = self.file_request(&owner);
        let id = self.objects[request].id.clone();
        let privacy = self.helper(Role::PrivacyOfficer);
        let body = json!({"category": "system_user", "old": "applicant", "new": "case_handler"});
        let refused = privacy.client.post_json(&format!("/api/v1/rights/requests/{id}/rectification"), Some(&privacy.csrf), body);
        found.calls += 1;
        if refused.status != 403 || refusal_code(&refused).as_deref() != Some("not_rectifiable") {
            found.failures.push(format!(
                "rectifying an applicant's role through a rights request answered {} {:?}: {}",
                refused.status,
                refusal_code(&refused),
                refused.body
            ));
        }
    }

    /// Every account signs in afresh, through the API: the role the session
    /// reads is the one the account was made with.
    fn check_roles(&mut self, found: &mut Findings) {
        for account in self.accounts.iter().chain(self.bystanders.iter()) {
            let mut client = Client::new(&self.server);
            let body = json!({"username": account.person.username, "password": account.person.password, "code": account.person.code()});
            let signed = client.post_json("/api/v1/session", None, body);
            let me = client.get("/api/v1/me");
            found.calls += 2;
            let roles = [signed.json()["role"].clone(), me.json()["role"].clone()];
            if signed.status != 200 || roles.iter().any(|r| *r != account.role.name()) {
                found
                    .failures
                    .push(format!("{} was made {} but signs in as {:?} ({}): {}", account.person.username, account.role, roles, signed.status, signed.body));
            }
        }
    }
}

// req: I.SEC
// req: E17
#[test]
fn every_route_in_every_role_answers_as_the_register_allows_and_reveals_nothing_beyond_it() {
    let started = std::time::Instant::now();
    let dir = TempDir::new().unwrap();
    let mut world = World::new(dir.path());
    let set_up = started.elapsed();
    let spec = world.accounts[0].client.get("/api/v1/openapi.json").json();
    let mut found = Findings::default();
    let operations = operations(&spec, &mut found.failures);
    for op in &operations {
        world.run(op, &mut found);
    }
    world.try_to_rectify_a_role(&mut found);
    world.check_roles(&mut found);

    eprintln!(
        "matrix: {} operations, {} accounts in {} roles, {} calls ({} allowed and done, {} refused as the register says) in {:.0?} (set-up {:.0?})",
        operations.len(),
        world.accounts.len(),
        world.accounts.len() / 2,
        found.calls,
        found.allowed,
        found.refused,
        started.elapsed(),
        set_up,
    );
    for (op, roles) in &found.coverage {
        let allowed: Vec<String> = roles.iter().filter(|(_, (ok, _))| *ok > 0).map(|(role, (ok, all))| format!("{role} {ok}/{all}")).collect();
        eprintln!("  {op}: allowed for {}; refused otherwise", if allowed.is_empty() { "nobody".to_string() } else { allowed.join(", ") });
    }
    for skipped in &found.skipped {
        eprintln!("  not called by the matrix (it changes the caller's own session; signing in is done through the pages and the API around it): {skipped}");
    }
    for state in &found.state {
        eprintln!("  state: {state}");
    }
    assert!(found.failures.is_empty(), "{} of the matrix's calls disagree with the register:\n{}", found.failures.len(), found.failures.join("\n"));
}

// req: E15.EXPERT
#[test]
fn a_case_handler_assigns_an_expert_on_the_case_page_who_then_sees_the_case_until_unassigned() {
    let world = crate::server::world();
    let expert = create_account(&world.place, "deskundige.bakker", "expert", None);
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let case = format!("/beheer/zaken/{}", world.anna_case);
    let page = carla.get(&case);
    assert!(page.body.contains(&format!("action=\"{case}/deskundigen\"")), "the case page has the form: {}", page.body);
    let csrf = carla.csrf();
    let mut bakker = Client::new(&server);
    bakker.sign_in(&expert);
    let read = format!("/api/v1/cases/{}", world.anna_case);
    assert_eq!(refusal_code(&bakker.get(&read)).as_deref(), Some("relation_missing"), "not before the assignment");
    let assign = |carla: &mut Client, assigned: &str| {
        carla.post_form(&format!("{case}/deskundigen"), &[("csrf", &csrf), ("expert", "deskundige.bakker"), ("assigned", assigned)])
    };
    let assigned = assign(&mut carla, "true");
    assert_eq!((assigned.status, assigned.header("location")), (303, Some(case.as_str())), "{}", assigned.body);
    let shown = bakker.get(&read);
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("Anna de Vries") && !shown.body.contains("Bert"), "{}", shown.body);
    assert!(carla.get(&case).body.contains("expert_assigned"), "the case's history says so");
    assert_eq!(assign(&mut carla, "false").status, 303);
    let refused = bakker.get(&read);
    assert_eq!((refused.status, refusal_code(&refused).as_deref()), (403, Some("relation_missing")), "{}", refused.body);
    // Nobody learns from the form who has an account: an unknown name is
    // refused only after the step is allowed, and a non-expert is refused first.
    let unknown = carla.post_form(&format!("{case}/deskundigen"), &[("csrf", &csrf), ("expert", "niemand"), ("assigned", "true")]);
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let anna_csrf = anna.csrf();
    let refused = anna.post_form(&format!("{case}/deskundigen"), &[("csrf", &anna_csrf), ("expert", "niemand"), ("assigned", "true")]);
    assert_eq!((refused.status, refusal_code(&refused).as_deref()), (403, Some("role_not_allowed")), "{}", refused.body);
}
