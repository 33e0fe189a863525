//! The service over real HTTP on loopback: `grondslag serve` as its own
//! process on a fresh data directory, accounts made with `grondslag
//! account create`, a client that keeps its cookie like a browser.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::{grondslag, stderr, stdout};

/// Where a node keeps its data: a data directory, and a PostgreSQL
/// database when one is named (keys and blobs stay in the directory).
#[derive(Clone, Debug)]
pub struct Place {
    pub dir: PathBuf,
    pub database_url: Option<String>,
}

impl Place {
    pub fn sqlite(dir: &Path) -> Place {
        Place { dir: dir.to_path_buf(), database_url: None }
    }

    /// `grondslag --data <dir>` with a cleared environment (and the database URL, if any).
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_grondslag"));
        command.arg("--data").arg(&self.dir).env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
        if let Some(url) = &self.database_url {
            command.env("GRONDSLAG_DATABASE_URL", url);
        }
        command
    }

    /// `grondslag --data <dir> ARGS`, whatever it answers.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.command().args(args).output().unwrap()
    }

    /// `grondslag --data <dir> ARGS`, which must succeed; its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    }

    /// The sequence number of the last audit entry in the SQLite store (0 for none).
    pub fn audit_head(&self) -> i64 {
        crate::sqlite(&self.dir).query_row("SELECT coalesce(max(seq), 0) FROM audit_entries", [], |r| r.get(0)).unwrap()
    }
}

/// A free loopback address to serve on.
pub fn free_listen() -> String {
    format!("127.0.0.1:{}", free_port())
}

/// A loopback port that no other test of this run is given. A port from
/// binding port 0 and letting go is free only for the moment: the kernel
/// can hand it to the next test that asks, whose server then fails to bind
/// while that test talks to the first test's server (a CI run saw a
/// sign-in answered 404 by a server without brokers). So ports are counted
/// out, each once, from a range below the kernel's ephemeral ports (32768
/// and up on Linux), where neither port 0 nor outgoing connections land;
/// the start differs per process.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 10_000;
    const COUNT: u32 = 22_000;
    static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);
    let _first_caller = NEXT.compare_exchange(u32::MAX, std::process::id() % COUNT, Ordering::SeqCst, Ordering::SeqCst);
    for _ in 0..COUNT {
        let port = u16::try_from(FIRST + NEXT.fetch_add(1, Ordering::SeqCst) % COUNT).unwrap();
        // Taken by something outside this run: the next one.
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between {FIRST} and {}", FIRST + COUNT);
}

/// A running `grondslag serve`; stopped with SIGTERM (a graceful shutdown) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub fn start(data: &Path, extra: &[&str]) -> Server {
        Server::start_on(&Place::sqlite(data), extra)
    }

    pub fn start_on(place: &Place, extra: &[&str]) -> Server {
        Server::start_at(place, &free_listen(), extra)
    }

    /// Serves on loopback with `http://localhost:PORT` as its public origin,
    /// so that passkeys are offered (WebAuthn refuses an IP address as the
    /// relying party); returns the server (its `base` is the loopback
    /// address) and that origin, for the browser.
    pub fn start_at_localhost(data: &Path) -> (Server, String) {
        let listen = free_listen();
        let origin = listen.replace("127.0.0.1", "http://localhost");
        (Server::start_at(&Place::sqlite(data), &listen, &["--public-origin", &origin]), origin)
    }

    /// On `listen` (`127.0.0.1:PORT`), for a test that must know the address first.
    pub fn start_at(place: &Place, listen: &str, extra: &[&str]) -> Server {
        // Every test client comes from 127.0.0.1: the limit on anonymous
        // POSTs is out of the way unless a test names one in `extra`.
        let child = place
            .command()
            .env("GRONDSLAG_ANONYMOUS_LIMIT", "1000000/1m")
            .args(["serve", "--listen", listen])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Server { child, base: format!("http://{listen}") };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if ureq::get(&format!("{}/healthz", server.base)).call().is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("grondslag serve did not come up on {listen}");
    }

    /// Stops gracefully and waits; returns whether the process exited cleanly.
    pub fn stop(mut self) -> bool {
        let stopped = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap().success();
        let status = self.child.wait().unwrap();
        stopped && status.success()
    }

    /// Kills the process with SIGKILL, as a crash would; returns whether it was still running.
    pub fn kill(mut self) -> bool {
        let running = matches!(self.child.try_wait(), Ok(None));
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        running
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

/// An account as its holder knows it: name, password, authenticator key.
pub struct Person {
    pub username: String,
    pub password: String,
    pub secret: String,
    pub recovery: Vec<String>,
    /// Sign-ins so far: each needs a fresh TOTP time step.
    signed_in: Cell<i64>,
}

impl Person {
    /// The code the person's app would show for their next sign-in.
    pub fn code(&self) -> String {
        let n = self.signed_in.get();
        self.signed_in.set(n + 1);
        // The service accepts one step of drift, and each step only once.
        let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(30 * n);
        grondslag_accounts::Accounts::code_at(&self.secret, at).unwrap()
    }
}

pub fn create_account(place: &Place, username: &str, role: &str, bsn: Option<&str>) -> Person {
    let password = format!("paard op het wad {}", username.len() * 7919);
    let mut args = vec!["account", "create", "--username", username, "--role", role, "--password-stdin"];
    if let Some(bsn) = bsn {
        args.extend_from_slice(&["--bsn", bsn]);
    }
    let mut child = place.command().args(&args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{password}\n").as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "account create failed: {}", stderr(&output));
    let out = stdout(&output);
    let secret = out.lines().find_map(|l| l.strip_prefix("authenticator key: ")).unwrap().to_string();
    let recovery = out.lines().filter(|l| l.starts_with("  ")).map(|l| l.trim().to_string()).collect();
    Person { username: username.to_string(), password, secret, recovery, signed_in: Cell::new(0) }
}

/// Files an application of physical damage for a person; returns its case number.
pub fn file_case(place: &Place, name: &str, bsn: &str, address: &str) -> String {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("case.json");
    let application = serde_json::json!({
        "scheme": "fysieke_schade",
        "applicant": { "name": name, "phone": "0595 123 456", "email": "aanvrager@example.nl", "bsn": bsn, "bank_account": "NL91 ABNA 0417 1643 00" },
        "object": { "kind": "home", "address": address, "postcode_city": "9981 AB Uithuizen" },
        "details": { "damage_arose": "2026-03-01", "costs": { "garden": 45000 }, "remarks": "Scheur in de gevel." }
    });
    std::fs::write(&path, application.to_string()).unwrap();
    let out = place.command().args(["case", "create", path.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "case create failed: {}", stderr(&out));
    stdout(&out).split_whitespace().next().unwrap().to_string()
}

/// Authorises `representative` (by BSN) for `case` of `principal`, on the
/// command line as a case handler; returns what it printed (which names the
/// representative's pseudonym).
pub fn authorise(place: &Place, case: &str, principal: &str, representative: &str, bsn: &str) -> String {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("machtiging.json");
    let form = serde_json::json!({
        "case": case,
        "principal": { "initials": "A.", "name": principal, "gender": "vrouw", "signature": format!("{principal} (digitaal)") },
        "representative": { "name": representative, "bsn": bsn, "phone": "0612345678", "address": "Kerkpad 3", "postcode_city": "9917 PA Wirdum" }
    });
    std::fs::write(&path, form.to_string()).unwrap();
    let out = place.command().args(["case", "authorise", path.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "authorising {representative} for case {case}: {}", stderr(&out));
    stdout(&out)
}

/// A response, whatever its status.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// An agent that follows no redirects and opens a connection per request:
/// a request refused before its body is read (a cross-site form, a POST
/// without a body) makes the server close the connection, and a pooled
/// one would fail the next request with "unexpected EOF".
pub fn fresh_connections() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).max_idle_connections(0).build()
}

/// A client that keeps its session cookie and does not follow redirects,
/// so each step can be checked.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    pub cookie: Option<String>,
}

fn reply(result: Result<ureq::Response, ureq::Error>) -> Reply {
    answer(result).unwrap_or_else(|e| panic!("request failed: {e}"))
}

/// The response, whatever its status, or what the transport said (no server).
fn answer(result: Result<ureq::Response, ureq::Error>) -> Result<Reply, String> {
    let response = match result {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(e) => return Err(e.to_string()),
    };
    let headers = response
        .headers_names()
        .into_iter()
        .map(|name| {
            let value = response.all(&name).join("\n");
            (name.to_lowercase(), value)
        })
        .collect();
    let status = response.status();
    let body = response.into_string().unwrap_or_default();
    Ok(Reply { status, headers, body })
}

impl Client {
    pub fn new(server: &Server) -> Client {
        Client { agent: fresh_connections(), base: server.base.clone(), cookie: None }
    }

    fn keep(&mut self, reply: Reply) -> Reply {
        if let Some(set) = reply.header("set-cookie") {
            let pair = set.split(';').next().unwrap_or_default();
            self.cookie = if pair.ends_with('=') { None } else { Some(pair.to_string()) };
        }
        reply
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let request = self.agent.request(method, &format!("{}{path}", self.base));
        match &self.cookie {
            Some(cookie) => request.set("Cookie", cookie),
            None => request,
        }
    }

    pub fn get(&mut self, path: &str) -> Reply {
        let r = reply(self.request("GET", path).call());
        self.keep(r)
    }

    pub fn get_with(&mut self, path: &str, header: (&str, &str)) -> Reply {
        let r = reply(self.request("GET", path).set(header.0, header.1).call());
        self.keep(r)
    }

    pub fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let r = reply(self.request("POST", path).send_form(form));
        self.keep(r)
    }

    /// A POST to the API, with the session's CSRF token when given.
    fn post_api(&self, path: &str, csrf: Option<&str>) -> ureq::Request {
        let request = self.request("POST", path);
        match csrf {
            Some(csrf) => request.set("X-CSRF-Token", csrf),
            None => request,
        }
    }

    pub fn post_json(&mut self, path: &str, csrf: Option<&str>, body: serde_json::Value) -> Reply {
        let r = reply(self.post_api(path, csrf).send_json(body));
        self.keep(r)
    }

    /// [`Client::post_json`] to a server that may be gone (killed): nothing then.
    pub fn try_post_json(&mut self, path: &str, csrf: Option<&str>, body: serde_json::Value) -> Option<Reply> {
        let r = answer(self.post_api(path, csrf).send_json(body)).ok()?;
        Some(self.keep(r))
    }

    /// A POST without a body: a body the route does not read would end the
    /// connection, which a client may not then reuse for its next POST.
    pub fn post(&mut self, path: &str, csrf: Option<&str>) -> Reply {
        let r = reply(self.post_api(path, csrf).call());
        self.keep(r)
    }

    /// A POST to the API with a body of any type.
    pub fn post_api_bytes(&mut self, path: &str, csrf: Option<&str>, content_type: &str, body: &[u8]) -> Reply {
        let r = reply(self.post_api(path, csrf).set("Content-Type", content_type).send_bytes(body));
        self.keep(r)
    }

    pub fn post_bytes(&mut self, path: &str, content_type: &str, body: &[u8]) -> Reply {
        let r = reply(self.request("POST", path).set("Content-Type", content_type).send_bytes(body));
        self.keep(r)
    }

    /// Both steps through the pages; returns the page the last step sends to.
    pub fn sign_in(&mut self, person: &Person) -> Reply {
        let first = self.post_form("/inloggen", &[("username", &person.username), ("password", &person.password)]);
        assert_eq!(first.status, 303, "password step: {}", first.body);
        let code = person.code();
        self.post_form("/inloggen/code", &[("code", &code)])
    }

    /// The session's CSRF token, as the API gives it.
    pub fn csrf(&mut self) -> String {
        self.get("/api/v1/me").json()["csrf_token"].as_str().unwrap().to_string()
    }
}

/// A data directory with two applicants with a case each, and staff.
pub struct World {
    pub dir: TempDir,
    pub place: Place,
    pub anna: Person,
    pub anna_case: String,
    pub bert: Person,
    pub bert_case: String,
    pub privacy: Person,
    pub handler: Person,
}

pub const ANNA_BSN: &str = "111222333";
pub const BERT_BSN: &str = "123456782";

pub fn world() -> World {
    world_on(None)
}

/// The world on a PostgreSQL database when `database_url` names one.
pub fn world_on(database_url: Option<&str>) -> World {
    let dir = TempDir::new().unwrap();
    let place = Place { dir: dir.path().to_path_buf(), database_url: database_url.map(str::to_string) };
    let anna_case = file_case(&place, "Anna de Vries", ANNA_BSN, "Hoofdstraat 12");
    let bert_case = file_case(&place, "Bert Bakker", BERT_BSN, "Kerkstraat 3");
    World {
        anna: create_account(&place, "anna", "applicant", Some(ANNA_BSN)),
        bert: create_account(&place, "bert", "applicant", Some(BERT_BSN)),
        privacy: create_account(&place, "pieter", "privacy_officer", None),
        handler: create_account(&place, "carla", "case_handler", None),
        anna_case,
        bert_case,
        place,
        dir,
    }
}

// ---------------------------------------------------------------------------

// req: E17
#[test]
fn staff_cannot_sign_in_without_the_second_factor() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    let first = client.post_form("/inloggen", &[("username", "pieter"), ("password", &world.privacy.password)]);
    assert_eq!(first.status, 303);
    assert!(first.header("location").unwrap().starts_with("/inloggen/code"));
    // Half signed in is not signed in: the back office and the API refuse.
    let office = client.get("/beheer/verzoeken");
    assert_eq!(office.status, 303);
    assert!(office.header("location").unwrap().starts_with("/inloggen"));
    assert_eq!(client.get("/api/v1/rights/requests").status, 401);
    // A wrong code does not complete it either.
    assert_eq!(client.post_form("/inloggen/code", &[("code", "000000")]).status, 401);
    assert_eq!(client.get("/api/v1/rights/requests").status, 401);
    // Nor does the API without a code.
    let mut api = Client::new(&server);
    let refused = api.post_json("/api/v1/session", None, serde_json::json!({"username": "pieter", "password": world.privacy.password, "code": ""}));
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["code"], "sign_in_failed");
    // With the code, it works.
    let done = client.post_form("/inloggen/code", &[("code", &world.privacy.code())]);
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(client.get("/api/v1/rights/requests").status, 200);
}

// req: E17
#[test]
fn a_name_is_locked_after_repeated_failures_even_for_the_right_password() {
    let world = world();
    let server = Server::start(world.dir.path(), &["--max-failures", "3"]);
    let mut client = Client::new(&server);
    for _ in 0..3 {
        let wrong = client.post_form("/inloggen", &[("username", "anna"), ("password", "niet het goede wachtwoord")]);
        assert!(matches!(wrong.status, 401 | 429), "{}", wrong.status);
    }
    let locked = client.post_form("/inloggen", &[("username", "anna"), ("password", &world.anna.password)]);
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("Te veel mislukte pogingen"), "{}", locked.body);
    // Names without an account lock the same way, so a lock reveals nothing.
    for _ in 0..3 {
        client.post_form("/inloggen", &[("username", "niemand"), ("password", "niet het goede wachtwoord")]);
    }
    assert_eq!(client.post_form("/inloggen", &[("username", "niemand"), ("password", "x")]).status, 429);
    // Others are not affected.
    let mut bert = Client::new(&server);
    assert_eq!(bert.sign_in(&world.bert).status, 303);
    // What was typed as a name before it proved to be an account's — a
    // person's name, a password in the wrong field — is not in the log.
    let typed = "Anna de Vries geheim-wachtwoord";
    assert_eq!(client.post_form("/inloggen", &[("username", typed), ("password", "x")]).status, 401);
    drop(server);
    let entries = audit_entries(world.dir.path());
    assert!(entries.iter().all(|e| e.actor != "niemand" && !e.canonical().to_lowercase().contains("anna de vries")), "a typed name was logged");
    assert!(entries.iter().any(|e| e.actor == "sign-in"), "the look-ups are logged, by the sign-in process");
}

// req: E17
#[test]
fn a_forged_csrf_token_is_refused_and_changes_nothing() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    assert_eq!(client.sign_in(&world.anna).status, 303);
    let forged = client.post_form("/mijn-gegevens/verzoeken", &[("csrf", "vervalst"), ("kind", "erasure")]);
    assert_eq!(forged.status, 403);
    assert!(forged.body.contains("Formulier verlopen"), "{}", forged.body);
    let missing = client.post_json("/api/v1/me/requests", None, serde_json::json!({"kind": "erasure"}));
    assert_eq!(missing.status, 403);
    assert_eq!(missing.json()["code"], "csrf");
    assert_eq!(client.get("/api/v1/me/requests").json().as_array().unwrap().len(), 0);
    // The real token works.
    let csrf = client.csrf();
    assert_eq!(client.post_form("/mijn-gegevens/verzoeken", &[("csrf", &csrf), ("kind", "access")]).status, 303);
    assert_eq!(client.get("/api/v1/me/requests").json().as_array().unwrap().len(), 1);
}

// req: E17
#[test]
fn a_session_expires_when_left_unused() {
    let world = world();
    // Long enough that a loaded machine still gets from the code to the
    // first request within it.
    let server = Server::start(world.dir.path(), &["--session-idle", "6s"]);
    let mut client = Client::new(&server);
    assert_eq!(client.sign_in(&world.anna).status, 303);
    assert_eq!(client.get("/api/v1/me").status, 200);
    std::thread::sleep(Duration::from_millis(7500));
    assert_eq!(client.get("/api/v1/me").status, 401);
    let page = client.get("/mijn-gegevens");
    assert_eq!(page.status, 303, "an expired session sends the person to sign in again");
}

// req: E17
#[test]
fn signing_out_ends_the_session_on_the_server() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    client.sign_in(&world.anna);
    let stolen = client.cookie.clone();
    let csrf = client.csrf();
    assert_eq!(client.post_form("/uitloggen", &[("csrf", &csrf)]).status, 303);
    // A copy of the cookie taken before signing out is worth nothing.
    client.cookie = stolen;
    assert_eq!(client.get("/api/v1/me").status, 401);
}

// req: E0.1, E0.8
#[test]
fn an_applicant_cannot_open_another_applicants_case_by_changing_the_url() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let own = anna.get(&format!("/mijn-gegevens/zaken/{}", world.anna_case));
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(own.body.contains("Anna de Vries"));
    let other = anna.get(&format!("/mijn-gegevens/zaken/{}", world.bert_case));
    assert_eq!(other.status, 403);
    // The register's reason, in Dutch on the page (E0.8); the API keeps the precise English one.
    assert!(other.body.contains("Je kunt alleen je eigen gegevens inzien of wijzigen."), "the refusal says why, in Dutch: {}", other.body);
    assert!(!other.body.contains("only on your own file") && !other.body.contains("refused by the register"), "{}", other.body);
    assert!(!other.body.contains("Bert"), "nothing of Bert's case shows");
    for path in [format!("/api/v1/me/cases/{}", world.bert_case), format!("/api/v1/cases/{}", world.bert_case)] {
        let refused = anna.get(&path);
        assert_eq!(refused.status, 403, "{path}");
        assert_eq!(refused.json()["code"], "relation_missing", "{path}: {}", refused.body);
        assert!(refused.json()["detail"].as_str().unwrap().contains("only on your own file"), "{path}: {}", refused.body);
    }
    // The list of a scheme holds her own case only.
    let listed = anna.get("/api/v1/cases?regeling=fysieke_schade").json();
    let numbers: Vec<&str> = listed.as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, vec![world.anna_case.as_str()]);
}

// req: E17
#[test]
fn every_response_carries_the_security_headers() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    let replies = [
        client.get("/"),
        client.get("/healthz"),
        client.get("/privacyverklaring"),
        client.get("/bestaat-niet"),
        client.get("/api/v1/me"),
        client.get("/mijn-gegevens"),
        client.post_form("/inloggen", &[("username", "anna"), ("password", "fout wachtwoord hier")]),
    ];
    for reply in &replies {
        let csp = reply.header("content-security-policy").unwrap_or_else(|| panic!("no CSP on a {} response", reply.status));
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("cache-control").map(|c| c.contains("no-store")), Some(true), "status {}", reply.status);
    }
    // Plain HTTP: no HSTS (it would be ignored, and wrong behind no TLS).
    assert!(replies[0].header("strict-transport-security").is_none());
    let cookie = client.sign_in(&world.anna).header("set-cookie").unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
}

/// Sends only the headers of a POST announcing `length` bytes; returns the status.
fn announce_body(server: &Server, path: &str, length: usize) -> u16 {
    use std::io::Read;
    let address = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

// req: E17
#[test]
fn oversized_bodies_are_refused() {
    let world = world();
    let server = Server::start(world.dir.path(), &["--body-limit", "65536"]);
    let mut client = Client::new(&server);
    // The limit answers before the body is read: announce a large body,
    // send none of it, and read the answer.
    for path in ["/contact", "/api/v1/session"] {
        assert_eq!(announce_body(&server, path, 100_000), 413, "{path}");
    }
    // A normal message still goes through.
    let ok = client.post_form(
        "/contact",
        &[("kind", "question"), ("name", "Anna"), ("email", "anna@example.nl"), ("phone", "0595123456"), ("text", "Vraag"), ("consent", "ja")],
    );
    assert_eq!(ok.status, 200);
    assert!(ok.body.contains("Bedankt"), "{}", ok.body);
}

/// Where the document's `path` is served: under the server of its path
/// item (pages, the LDV register) or of the document (the API, `…/api/v1`).
pub fn served_path(document: &serde_json::Value, path: &str) -> String {
    let server = document["paths"][path]["servers"][0]["url"].as_str().or(document["servers"][0]["url"].as_str()).unwrap();
    // Past `scheme://host`: the server's own path, if any.
    let base = server.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default();
    format!("{}{path}", base.trim_end_matches('/'))
}

// req: E17
#[test]
fn the_openapi_document_validates_and_lists_every_route() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    let reply = client.get("/api/v1/openapi.json");
    assert_eq!(reply.status, 200);
    let document = reply.json();
    let spec = oas3::from_json(&reply.body).unwrap_or_else(|e| panic!("not a valid OpenAPI 3.1 document: {e}"));
    assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
    let paths = spec.paths.unwrap_or_default();
    for path in [
        "/healthz",
        "/readyz",
        "/session",
        "/me",
        "/me/data",
        "/me/requests",
        "/me/cases/{number}",
        "/cases",
        "/cases/{number}",
        "/rights/requests",
        "/rights/requests/{id}/answer",
        "/audit/verify",
        "/retention/report",
        "/processing_activities/{id}",
        "/processing_activities/{id}/versions",
        "/processing_activities/{id}/versions/{version}",
        "/entities/{id}",
        "/privacyverklaring",
        "/.well-known/privacy.txt",
        "/mijn-gegevens",
        "/beheer/verzoeken",
        "/inloggen",
        "/inloggen/code",
    ] {
        assert!(paths.contains_key(path), "{path} is not in the OpenAPI document");
    }
    // And every path in the document is served: none answers 404 or 405
    // for the method the document gives (parameters filled in).
    for (path, item) in &paths {
        let id = if path.starts_with("/entities/") { "controller" } else { "fysieke_schade" };
        let concrete =
            served_path(&document, path).replace("{number}", &world.anna_case).replace("{id}", id).replace("{version}", "0").replace("{means}", "digid");
        for (method, _) in item.methods() {
            let reply = match method.as_str() {
                "GET" => client.get(&concrete),
                "POST" => client.post_bytes(&concrete, "application/x-www-form-urlencoded", b""),
                _ => continue,
            };
            let status = reply.status;
            let missing_version = path.ends_with("{version}") && status == 404;
            // Served, but this server has no broker for DigiD: it says so.
            let no_broker = path.contains("{means}") && status == 404 && reply.body.contains("data-code=\"oidc_not_configured\"");
            assert!(missing_version || no_broker || (status != 404 && status != 405), "{method} {concrete} answered {status}");
        }
    }
}

/// Asserts that `reply` is problem details (RFC 9457) of `status` and
/// `code` for the request to `path`, with the API's version.
#[track_caller]
fn assert_problem(reply: &Reply, status: u16, code: &str, path: &str) {
    assert_eq!(reply.status, status, "{path}: {}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{path}");
    assert_eq!(reply.header("api-version"), Some(grondslag_server::API_VERSION), "{path}");
    let problem = reply.json();
    assert_eq!(problem["type"], format!("urn:grondslag:problem:{code}"), "{path}: {problem}");
    assert_eq!(problem["code"], code, "{path}: {problem}");
    assert_eq!(problem["status"], status, "{path}: {problem}");
    assert!(problem["title"].as_str().is_some_and(|t| !t.is_empty()), "{path}: {problem}");
    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()), "{path}: {problem}");
    // The occurrence is the request's own trace, not its path (which can name a person).
    let trace = reply.header("traceresponse").unwrap().split('-').nth(1).unwrap();
    assert_eq!(problem["instance"], format!("urn:grondslag:trace:{trace}"), "{path}: {problem}");
    assert!(problem.get("error").is_none(), "no body of the old shape: {problem}");
}

// req: E17
#[test]
fn every_api_error_is_problem_details_and_every_api_answer_names_the_version() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut anonymous = Client::new(&server);
    assert_problem(&anonymous.get("/api/v1/me"), 401, "sign_in_first", "/api/v1/me");
    assert_problem(&anonymous.get("/api/v1/no-such-thing"), 404, "not_found", "/api/v1/no-such-thing");
    let malformed = anonymous.post_bytes("/api/v1/session", "application/json", b"{\"username\": ");
    assert_problem(&malformed, 400, "bad_request", "/api/v1/session");
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    // A role the register gives no grant, and another applicant's case: each refused with the register's reason.
    let oversight = anna.get("/api/v1/audit/verify");
    assert_problem(&oversight, 403, "role_not_allowed", "/api/v1/audit/verify");
    assert!(oversight.json()["detail"].as_str().unwrap().contains("role `applicant` may not read"), "{}", oversight.body);
    let berts = format!("/api/v1/cases/{}", world.bert_case);
    assert_problem(&anna.get(&berts), 403, "relation_missing", &berts);
    // A case that does not exist, as the case handler (whose grant reaches every case) asks for it.
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    assert_problem(&carla.get("/api/v1/cases/IMG-2026-999999"), 404, "not_found", "/api/v1/cases/IMG-2026-999999");
    // A success names the version too, the one the document gives.
    let me = anna.get("/api/v1/me");
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.header("api-version"), Some(grondslag_server::API_VERSION));
    let document = anna.get("/api/v1/openapi.json");
    assert_eq!(document.header("api-version"), Some(grondslag_server::API_VERSION));
    assert_eq!(document.json()["info"]["version"], grondslag_server::API_VERSION);
    // Pages are not the API: no version header, and a Dutch page for an error.
    let page = anna.get("/bestaat-niet");
    assert_eq!(page.status, 404);
    assert_eq!(page.header("api-version"), None);
    assert!(page.body.contains("Niet gevonden"), "{}", page.body);
}

// req: E17
#[test]
fn the_unversioned_api_paths_redirect_to_version_1_for_one_release() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    for (old, new) in [
        ("/api/me", "/api/v1/me"),
        ("/api/cases?regeling=fysieke_schade", "/api/v1/cases?regeling=fysieke_schade"),
        ("/api/openapi.json", "/api/v1/openapi.json"),
    ] {
        let moved = client.get(old);
        assert_eq!(moved.status, 308, "{old}: {}", moved.body);
        assert_eq!(moved.header("location"), Some(new), "{old}");
        assert!(moved.header("deprecation").is_some_and(|d| d.starts_with('@')), "{old}: an RFC 9745 date");
        assert_eq!(moved.header("api-version"), Some(grondslag_server::API_VERSION), "{old}");
    }
    // A POST is redirected with its method kept (308, not 303).
    let signing_in = client.post_json("/api/session", None, serde_json::json!({ "username": "x", "password": "y", "code": "000000" }));
    assert_eq!(signing_in.status, 308, "{}", signing_in.body);
    assert_eq!(signing_in.header("location"), Some("/api/v1/session"));
    // A version that does not exist is not redirected into the current one.
    assert_problem(&client.get("/api/v2/me"), 404, "not_found", "/api/v2/me");
}

// req: E17
#[test]
fn the_openapi_command_prints_the_document_the_service_serves() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let served = Client::new(&server).get("/api/v1/openapi.json").json();
    let printed = world.place.command().args(["openapi", "--public-origin", &server.base]).output().unwrap();
    assert!(printed.status.success(), "{}", stderr(&printed));
    let printed: serde_json::Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(printed, served);
    assert_eq!(served["servers"][0]["url"], format!("{}/api/v1", server.base));
    assert_eq!(served["info"]["contact"]["email"], "privacy@schadedoormijnbouw.nl");
    assert!(served["paths"].get("/me/data").is_some() && served["paths"].get("/api/v1/me/data").is_none(), "API paths are relative to the server");
    assert_eq!(served["paths"]["/mijn-gegevens"]["servers"][0]["url"], server.base.as_str(), "pages keep their own server");
}

// req: E22
#[test]
fn an_applicant_sees_their_data_and_who_looked_at_it_files_a_request_and_staff_answer_it() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut anna = Client::new(&server);
    assert_eq!(anna.sign_in(&world.anna).header("location"), Some("/mijn-gegevens"));
    let page = anna.get("/mijn-gegevens");
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&world.anna_case), "her case is listed");
    assert!(page.body.contains("Fysieke schade"), "per processing");
    assert!(page.body.contains("Wanneer zijn mijn gegevens bekeken, en waarvoor?"));
    assert!(!page.body.contains("Bert"), "nothing of another applicant");
    // Sign-in secrets are not shown back, not even to their owner.
    let data = anna.get("/api/v1/me/data");
    assert_eq!(data.status, 200);
    assert!(data.header("content-disposition").unwrap().contains("attachment"));
    assert!(!data.body.contains(&world.anna.secret));
    assert!(data.body.contains("Anna de Vries"));
    // The case handler's reading of her case shows up in her access log, as a case handler's.
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let read = carla.get(&format!("/api/v1/cases/{}", world.anna_case));
    assert_eq!(read.status, 200, "{}", read.body);
    let log = anna.get("/api/v1/me/data").json();
    let accesses = log["accesses"].as_array().unwrap();
    assert!(accesses.iter().any(|a| a["party"] == "behandelaar" && a["what"] == "ingezien"), "{accesses:?}");
    assert!(!log.to_string().contains("carla"), "never by name");
    // She files an access request; its due date is a month out.
    let csrf = anna.csrf();
    let filed = anna.post_json("/api/v1/me/requests", Some(&csrf), serde_json::json!({"kind": "access"}));
    assert_eq!(filed.status, 201, "{}", filed.body);
    let due = filed.json()["due"].as_str().unwrap().to_string();
    // The privacy officer sees it in the queue with that date and answers it.
    let mut pieter = Client::new(&server);
    pieter.sign_in(&world.privacy);
    let queue = pieter.get("/api/v1/rights/requests").json();
    let request = queue.as_array().unwrap().iter().find(|r| r["due"] == due.as_str()).unwrap().clone();
    let id = request["id"].as_str().unwrap();
    let csrf = pieter.csrf();
    let answered =
        pieter.post_json(&format!("/api/v1/rights/requests/{id}/answer"), Some(&csrf), serde_json::json!({"identity": "DigiD", "answer": "Zie de bijlage."}));
    assert_eq!(answered.status, 200, "{}", answered.body);
    assert_eq!(anna.get("/api/v1/me/requests").json()[0]["answered"], true);
    // A case handler may not work the rights queue: a refusal page.
    let refused = carla.get("/beheer/verzoeken");
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Geen toegang"));
    assert!(refused.body.contains("Ingelogd als <strong>carla</strong>"), "the refusal page keeps her menu and sign-out");
}

/// The audit entries of the SQLite store in `dir`, parsed.
pub fn audit_entries(dir: &Path) -> Vec<grondslag_audit::Entry> {
    crate::audit_json(dir, "SELECT entry FROM audit_entries ORDER BY seq", []).iter().map(|e| grondslag_audit::Entry::parse(e).unwrap()).collect()
}

// req: E17
#[test]
fn a_callers_trace_is_kept_as_the_foreign_operation_and_ours_comes_back_in_traceresponse() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let (trace, span) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let read = carla.get_with(&format!("/api/v1/cases/{}", world.anna_case), ("traceparent", &format!("00-{trace}-{span}-01")));
    assert_eq!(read.status, 200);
    let response = read.header("traceresponse").expect("a traceresponse header").to_string();
    let ours = grondslag_audit::TraceParent::parse(&response).unwrap();
    assert_ne!(ours.trace_id.to_string(), trace, "the operation has a trace of its own");
    assert!(server.stop());
    let entries = audit_entries(world.dir.path());
    let called: Vec<&grondslag_audit::Entry> = entries.iter().filter(|e| e.foreign_operation.is_some()).collect();
    assert!(!called.is_empty(), "the call left lines");
    for entry in called {
        let foreign = entry.foreign_operation.as_ref().unwrap();
        assert_eq!((foreign.trace_id.to_string().as_str(), foreign.span_id.to_string().as_str()), (trace, span));
        assert_eq!(entry.trace_id, ours.trace_id, "in the trace the response named");
        assert_eq!(entry.parent_span_id, None, "the caller's span is not our parent");
    }
    // An uppercase id is no trace context: ignored, the request still served.
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let read = carla.get_with(&format!("/api/v1/cases/{}", world.anna_case), ("traceparent", &format!("00-{}-{span}-01", trace.to_uppercase())));
    assert_eq!(read.status, 200);
    assert!(read.header("traceresponse").is_some());
}

// req: E17
#[test]
fn an_entry_written_by_a_command_names_a_version_the_service_resolves() {
    // The world's cases were filed by `grondslag case create`: no service
    // had run on this data directory yet.
    let world = world();
    let entries = audit_entries(world.dir.path());
    let filed = entries.iter().find(|e| e.processing == "fysieke_schade" && e.action == "write").expect("the filing's line");
    let archived = entries.iter().find(|e| e.processing == "fysieke_schade" && e.action == "register_version").expect("the version's own line");
    assert_eq!(archived.processing_activity_id, filed.processing_activity_id);
    assert!(filed.processing_activity_id.ends_with("/processing_activities/fysieke_schade/versions/1"), "{}", filed.processing_activity_id);
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    let at = filed.processing_activity_id.find("/processing_activities/").unwrap();
    let version = client.get(&filed.processing_activity_id[at..]);
    assert_eq!(version.status, 200, "{}", version.body);
    let version = version.json();
    assert_eq!(version["version"], 1);
    assert_eq!(version["name"], "Fysieke schade en materiële gevolgschade");
    assert_eq!(version["legalBasis"][0], "PublicInterest");
    assert!(archived.reason.contains(version["contentHash"].as_str().unwrap()), "the signed log carries the hash the register API shows");
    use sha2::Digest;
    let content = version["content"].to_string();
    assert_eq!(format!("{:x}", sha2::Sha256::digest(content.as_bytes())), version["contentHash"].as_str().unwrap(), "the hash is over the content shown");
    let activity = client.get("/processing_activities/fysieke_schade").json();
    assert_eq!((activity["id"].as_str(), activity["active"].as_bool(), activity["latestVersion"].as_u64()), (Some("fysieke_schade"), Some(true), Some(1)));
    assert_eq!(client.get("/processing_activities/fysieke_schade/versions").json().as_array().unwrap().len(), 1);
    let entity = client.get(&format!("/entities/{}", version["controllerEntityId"].as_str().unwrap())).json();
    assert_eq!((entity["type"].as_str(), entity["name"].as_str()), (Some("Organisation"), Some("Instituut Mijnbouwschade Groningen (IMG)")));
    assert_eq!(client.get("/processing_activities/fysieke_schade/versions/2").status, 404);
    assert_eq!(client.get("/processing_activities/niet_bestaand").status, 404);
}

// req: E23
#[test]
fn privacy_txt_names_the_privacy_contact_and_the_statement_is_served_from_the_register() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    let txt = client.get("/.well-known/privacy.txt");
    assert_eq!(txt.status, 200);
    let register = crate::shipped();
    assert!(txt.body.contains(&register.contact.email));
    assert!(txt.body.contains(&register.contact.dpo_email));
    let statement = client.get("/privacyverklaring");
    assert_eq!(statement.status, 200);
    // Its inline style is allowed by its hash, and by nothing broader.
    use base64::Engine;
    use sha2::Digest;
    let style = statement.body.split("<style>").nth(1).unwrap().split("</style>").next().unwrap();
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style.as_bytes()));
    let csp = statement.header("content-security-policy").unwrap();
    assert!(csp.contains(&format!("style-src 'sha256-{hash}'")), "{csp}");
    for p in register.processings.iter().filter(|p| p.statement == grondslag_register::Statement::Public) {
        assert!(statement.body.contains(&p.name.replace('&', "&amp;")), "{} is not in the statement", p.name);
    }
}

// req: E17
#[test]
fn init_creates_an_administrator_with_a_one_time_password_that_must_be_changed() {
    let dir = TempDir::new().unwrap();
    let out = grondslag(&["--data", dir.path().to_str().unwrap(), "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let password = text.lines().find_map(|l| l.strip_prefix("one-time password: ")).unwrap().split_whitespace().next().unwrap().to_string();
    let secret = text.lines().find_map(|l| l.strip_prefix("authenticator key: ")).unwrap().to_string();
    assert!(password.len() >= 16);
    // A second init finds the name taken: no second default admin.
    let again = grondslag(&["--data", dir.path().to_str().unwrap(), "init"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("taken"), "{}", stderr(&again));
    let server = Server::start(dir.path(), &[]);
    let admin = Person { username: "admin".into(), password: password.clone(), secret, recovery: Vec::new(), signed_in: Cell::new(0) };
    let mut client = Client::new(&server);
    let step = client.sign_in(&admin);
    assert_eq!(step.header("location"), Some("/wachtwoord"));
    // Until the password is changed, nothing else opens.
    assert_eq!(client.get("/api/v1/audit/verify").status, 401);
    let page = client.get("/wachtwoord");
    let csrf = page.body.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let weak = client.post_form("/wachtwoord", &[("csrf", &csrf), ("password", "welkom123")]);
    assert_eq!(weak.status, 400);
    // In Dutch, at the field (E0.8); the API's English is not on the page.
    assert!(weak.body.contains("Wachtwoord: je wachtwoord heeft 9 tekens. Gebruik er minstens 12") && !weak.body.contains("at least 12"), "{}", weak.body);
    assert_eq!(client.post_form("/wachtwoord", &[("csrf", &csrf), ("password", "drie losse woorden tegelijk")]).status, 303);
    assert_eq!(client.get("/api/v1/me").status, 200);
    // An administrator runs the service, but reading the logs of who
    // looked at whose file is the privacy team's and the FG's (I3).
    let refused = client.get("/api/v1/audit/verify");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json()["code"], "role_not_allowed", "{}", refused.body);
    assert!(refused.json()["detail"].as_str().unwrap().contains("logging_dossiers"), "{}", refused.body);
}

// req: E17
#[test]
fn a_recovery_code_signs_in_once() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let code = world.anna.recovery[0].clone();
    let mut first = Client::new(&server);
    first.post_form("/inloggen", &[("username", "anna"), ("password", &world.anna.password)]);
    assert_eq!(first.post_form("/inloggen/code", &[("code", &code)]).status, 303);
    let mut second = Client::new(&server);
    second.post_form("/inloggen", &[("username", "anna"), ("password", &world.anna.password)]);
    assert_eq!(second.post_form("/inloggen/code", &[("code", &code)]).status, 401);
}

// req: E8
#[test]
fn an_acutely_unsafe_situation_is_reported_on_the_public_form_and_reaches_case_handlers() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut visitor = Client::new(&server);
    assert_eq!(visitor.get("/acuut-onveilig").status, 200);
    let bad = visitor.post_form(
        "/acuut-onveilig",
        &[("name", "Dirk"), ("phone", "0595123456"), ("email", "dirk@example.nl"), ("address", "Dijk 1"), ("postcode_city", "99 Uithuizen")],
    );
    assert!(bad.body.contains("niet verstuurd"), "an invalid postcode is refused with the reason: {}", bad.body);
    let sent = visitor.post_form(
        "/acuut-onveilig",
        &[("name", "Dirk"), ("phone", "0595123456"), ("email", "dirk@example.nl"), ("address", "Dijk 1"), ("postcode_city", "9981 AB Uithuizen")],
    );
    assert_eq!(sent.status, 200);
    let number = sent.body.split("onder nummer ").nth(1).unwrap().split('.').next().unwrap().to_string();
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let list = carla.get("/api/v1/cases?regeling=acuut_onveilig").json();
    assert!(list.as_array().unwrap().iter().any(|c| c["number"] == number.as_str()), "{list}");
}

// req: E14
#[test]
fn the_unsubscribe_link_shows_a_button_and_the_button_deletes_the_subscription_once() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut visitor = Client::new(&server);
    let subscribed = visitor.post_form("/nieuwsbrief", &[("name", "Els"), ("email", "els@example.nl"), ("consent", "ja")]);
    assert!(subscribed.body.contains("aangemeld"), "{}", subscribed.body);
    assert!(visitor.post_form("/nieuwsbrief", &[("name", "Els"), ("email", "els@example.nl")]).body.contains("consent"), "no consent, no subscription");
    let data = world.dir.path().to_str().unwrap();
    // The editors issue it under an account of their own: --as names no one else.
    create_account(&world.place, "redactie", "communications", None);
    let work = TempDir::new().unwrap();
    std::fs::write(work.path().join("body.txt"), "Nieuws.").unwrap();
    let link_base = format!("{}/nieuwsbrief/afmelden", server.base);
    let outbox = work.path().join("out");
    let issued = grondslag(&[
        "--data",
        data,
        "channel",
        "--as",
        "redactie",
        "newsletter",
        "issue",
        "--title",
        "Nieuws",
        "--body",
        work.path().join("body.txt").to_str().unwrap(),
        "--outbox",
        outbox.to_str().unwrap(),
        "--labels",
        work.path().join("labels.csv").to_str().unwrap(),
        "--link-base",
        &link_base,
    ]);
    assert!(issued.status.success(), "{}", stderr(&issued));
    let mail = std::fs::read_to_string(outbox.join("00001.eml")).unwrap();
    let link = mail.split_whitespace().find(|w| w.starts_with(&link_base)).unwrap().to_string();
    let path = &link[server.base.len()..];
    let token = path.split("token=").nth(1).unwrap().to_string();
    let page = visitor.get(path);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Afmelden"));
    let done = visitor.post_form("/nieuwsbrief/afmelden", &[("token", &token)]);
    assert!(done.body.contains("Je bent afgemeld"), "{}", done.body);
    let again = visitor.post_form("/nieuwsbrief/afmelden", &[("token", &token)]);
    assert!(again.body.contains("lukte niet"), "{}", again.body);
}

// req: E17
#[test]
fn under_tls_cookies_are_secure_and_hsts_is_sent() {
    let world = world();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert, key) = (world.dir.path().join("cert.pem"), world.dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    let listen = free_listen();
    let mut child = Command::new(env!("CARGO_BIN_EXE_grondslag"))
        .args([
            "--data",
            world.dir.path().to_str().unwrap(),
            "serve",
            "--listen",
            &listen,
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ])
        .env_clear()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let curl = |args: &[&str]| Command::new("curl").args(["-sk", "-D", "-", "-o", "/dev/null"]).args(args).output().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut headers = String::new();
    while Instant::now() < deadline {
        headers = String::from_utf8_lossy(&curl(&[&format!("https://{listen}/healthz")]).stdout).to_lowercase();
        if headers.starts_with("http/") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(headers.contains("strict-transport-security: max-age="), "{headers}");
    let login = serde_json::json!({"username": "anna", "password": world.anna.password, "code": world.anna.code()}).to_string();
    let signed =
        String::from_utf8_lossy(&curl(&["-H", "content-type: application/json", "-d", &login, &format!("https://{listen}/api/v1/session")]).stdout).to_string();
    let cookie = signed.lines().find(|l| l.to_lowercase().starts_with("set-cookie")).unwrap_or_else(|| panic!("{signed}"));
    assert!(cookie.contains("__Host-sessie=") && cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    child.wait().unwrap();
}

// req: E17
#[test]
fn a_graceful_stop_seals_the_audit_log_with_a_checkpoint_over_every_entry() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    assert_eq!(carla.get(&format!("/api/v1/cases/{}", world.anna_case)).status, 200);
    assert!(server.stop(), "the service stops cleanly on SIGTERM");
    let connection = crate::sqlite(world.dir.path());
    // Every chain's last entry is under a checkpoint of its chain.
    let unsealed: i64 = connection
        .query_row(
            "SELECT count(*) FROM (SELECT chain_no, max(chain_position) AS head FROM audit_entries GROUP BY chain_no) h
             WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.chain_no = h.chain_no AND c.size = h.head)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unsealed, 0);
    let verified = grondslag(&["--data", world.dir.path().to_str().unwrap(), "audit", "verify"]);
    assert!(verified.status.success(), "{}", stderr(&verified));
}

// req: E15.EXPERT
#[test]
fn a_case_handler_files_moves_and_discloses_a_case_through_the_api() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let csrf = carla.csrf();
    let application = serde_json::json!({
        "scheme": "fysieke_schade",
        "applicant": { "name": "Cees Kok", "phone": "0595 123 456", "email": "cees@example.nl", "bsn": "111222333" },
        "object": { "kind": "home", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" },
        "details": { "damage_arose": "2026-03-01" }
    });
    let filed = carla.post_json("/api/v1/cases", Some(&csrf), application.clone());
    assert_eq!(filed.status, 201, "{}", filed.body);
    let number = filed.json()["number"].as_str().unwrap().to_string();
    assert!(filed.json()["checks"].to_string().contains("aardbevingsgebied"), "{}", filed.body);
    // Bad input says what and where, and stores nothing.
    let mut bad = application.clone();
    bad["applicant"]["bsn"] = serde_json::json!("123456789");
    let refused = carla.post_json("/api/v1/cases", Some(&csrf), bad);
    assert_eq!(refused.status, 400);
    assert!(refused.json()["detail"].as_str().unwrap().contains("bsn"), "{}", refused.body);
    let moved = carla.post_json(&format!("/api/v1/cases/{number}/status"), Some(&csrf), serde_json::json!({"status": "in_handling"}));
    assert_eq!(moved.status, 200, "{}", moved.body);
    let package = carla.post_json(&format!("/api/v1/cases/{number}/disclosures"), Some(&csrf), serde_json::json!({"recipient": "nam"}));
    assert_eq!(package.status, 200, "{}", package.body);
    assert_eq!(package.json()["categories"], serde_json::json!(["address"]), "NAM receives the address only");
    let police = carla.post_json(&format!("/api/v1/cases/{number}/disclosures"), Some(&csrf), serde_json::json!({"recipient": "politie"}));
    assert_eq!(police.status, 403, "{}", police.body);
    assert!(police.body.contains("legal obligation"), "the refusal says what must happen first: {}", police.body);
    let checked = carla.post_json(
        &format!("/api/v1/cases/{number}/disclosures"),
        Some(&csrf),
        serde_json::json!({"recipient": "politie", "legal_check": "vordering OvJ 2026/123, art. 126nd Sv"}),
    );
    assert_eq!(checked.status, 200, "{}", checked.body);
    // An applicant may not move a case, not even her own by a step that is
    // valid for it (submitted → in handling): the register refuses it.
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let csrf = anna.csrf();
    let moved = anna.post_json(&format!("/api/v1/cases/{}/status", world.anna_case), Some(&csrf), serde_json::json!({"status": "in_handling"}));
    assert_eq!(moved.status, 403, "{}", moved.body);
    assert_eq!(moved.json()["code"], "role_not_allowed", "{}", moved.body);
}

// req: E22
#[test]
fn the_privacy_officer_carries_out_a_request_through_the_api() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let csrf = anna.csrf();
    let id = anna.post_json("/api/v1/me/requests", Some(&csrf), serde_json::json!({"kind": "rectification"})).json()["id"].as_str().unwrap().to_string();
    let mut pieter = Client::new(&server);
    pieter.sign_in(&world.privacy);
    let csrf = pieter.csrf();
    // Nothing before the identity is verified.
    assert_eq!(pieter.get(&format!("/api/v1/rights/requests/{id}/export")).status, 400);
    let verified = pieter.post_json(&format!("/api/v1/rights/requests/{id}/identity"), Some(&csrf), serde_json::json!({"method": "DigiD"}));
    assert_eq!(verified.json()["identity_verified"], true, "{}", verified.body);
    let export = pieter.get(&format!("/api/v1/rights/requests/{id}/export"));
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export.body.contains("Anna de Vries") && !export.body.contains("Bert"));
    let extended =
        pieter.post_json(&format!("/api/v1/rights/requests/{id}/extension"), Some(&csrf), serde_json::json!({"months": 1, "reason": "veel dossiers"}));
    assert_eq!(extended.status, 200, "{}", extended.body);
    assert_ne!(extended.json()["due"], verified.json()["due"]);
    let rectified = pieter.post_json(
        &format!("/api/v1/rights/requests/{id}/rectification"),
        Some(&csrf),
        serde_json::json!({"category": "phone", "old": "0595123456", "new": "0595654321"}),
    );
    assert_eq!(rectified.status, 200, "{}", rectified.body);
    assert!(rectified.json()["records"].as_u64().unwrap() >= 1);
    let zip = pieter.get(&format!("/api/v1/rights/requests/{id}/portability"));
    assert_eq!(zip.header("content-type"), Some("application/zip"));
    let restricted = pieter.post_json(&format!("/api/v1/rights/requests/{id}/restriction"), Some(&csrf), serde_json::json!({"restricted": true}));
    assert_eq!(restricted.status, 204);
    // Restricted: the case handler can no longer read her case.
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    assert_eq!(carla.get(&format!("/api/v1/cases/{}", world.anna_case)).status, 403);
}

// req: E17
#[test]
fn malformed_requests_get_the_same_error_body_as_every_other_refusal() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut client = Client::new(&server);
    let broken = client.post_bytes("/api/v1/session", "application/json", b"{\"username\": ");
    assert_eq!(broken.status, 400);
    assert_eq!(broken.json()["code"], "bad_request");
    let missing = client.post_json("/api/v1/session", None, serde_json::json!({"username": "anna"}));
    assert!(missing.json()["detail"].as_str().unwrap().contains("password"), "{}", missing.body);
    let page = client.post_bytes("/inloggen", "application/x-www-form-urlencoded", b"username=anna");
    assert!(page.header("content-type").unwrap().starts_with("text/html"), "a page request gets a page");
    assert!(page.body.contains("password"), "{}", page.body);
}

// req: E15.NAM
#[test]
fn a_case_handler_moves_and_discloses_a_case_from_the_back_office() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let page = carla.get(&format!("/beheer/zaken/{}", world.anna_case));
    assert!(page.body.contains("Volgende stap") && page.body.contains("Nederlandse Aardolie Maatschappij"), "{}", page.body);
    let csrf = carla.csrf();
    let path = format!("/beheer/zaken/{}/stap", world.anna_case);
    let skipped = carla.post_form(&path, &[("csrf", &csrf), ("status", "decision"), ("award", "")]);
    assert_eq!(skipped.status, 400, "the life cycle is kept");
    // The next step, named in Dutch as the page names it (E0.8).
    assert!(skipped.body.contains("de volgende stap is ‘in behandeling’") && !skipped.body.contains("in het Engels"), "{}", skipped.body);
    assert_eq!(carla.post_form(&path, &[("csrf", &csrf), ("status", "in_handling"), ("award", "")]).status, 303);
    assert_eq!(carla.get(&format!("/api/v1/cases/{}", world.anna_case)).json()["status"], "in_handling");
    let disclosed = carla.post_form(&format!("/beheer/zaken/{}/verstrekken", world.anna_case), &[("csrf", &csrf), ("recipient", "nam"), ("legal_check", "")]);
    assert_eq!(disclosed.status, 200, "{}", disclosed.body);
    assert!(disclosed.body.contains("straat en huisnummer"), "{}", disclosed.body);
    // Anna sees the disclosure under her data.
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    assert!(anna.get("/mijn-gegevens").body.contains("Nederlandse Aardolie Maatschappij"));
}

// req: E18
#[test]
fn the_retention_page_shows_terms_records_and_holds() {
    let world = world();
    let wav = world.dir.path().join("call.wav");
    std::fs::write(&wav, b"RIFF\x24\x00\x00\x00WAVEfmt data").unwrap();
    let stored = world
        .place
        .command()
        .args(["channel", "media", "ingest-call", wav.to_str().unwrap(), "--type", "audio/wav", "--caller", "0612345678"])
        .output()
        .unwrap();
    let handle = stdout(&stored).split_whitespace().last().unwrap().to_string();
    let held = world.place.command().args(["channel", "media", "hold", &handle, "--reason", "klacht 2026-12", "--review", "2027-03-01"]).output().unwrap();
    assert!(held.status.success(), "{}", stderr(&held));
    let server = Server::start(world.dir.path(), &[]);
    let mut pieter = Client::new(&server);
    pieter.sign_in(&world.privacy);
    let report = pieter.get("/api/v1/retention/report").json();
    let line = |p: &str| report["processings"].as_array().unwrap().iter().find(|l| l["processing"] == p).cloned().unwrap();
    assert_eq!(line("telefoon_opnames")["held"], 1);
    assert_eq!(line("fysieke_schade")["records"], 2);
    // The CLI's report is the same computation: every line has the API's numbers.
    let cli = world.place.command().args(["retention", "report"]).output().unwrap();
    assert!(cli.status.success(), "{}", stderr(&cli));
    for l in report["processings"].as_array().unwrap() {
        let numbers = [&l["records"], &l["dated"], &l["held"], &l["waiting"]].map(|n| n.as_u64().unwrap());
        assert_eq!(numbers[0], numbers[1] + numbers[2] + numbers[3], "{l}");
        let printed = stdout(&cli)
            .lines()
            .find(|p| p.split_whitespace().next() == l["processing"].as_str())
            .map(|p| p.split_whitespace().skip(1).take(4).map(str::to_string).collect::<Vec<_>>());
        assert_eq!(printed, Some(numbers.map(|n| n.to_string()).to_vec()), "{l}");
    }
    let page = pieter.get("/beheer/bewaren");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("telefoon_opnames") && page.body.contains("Bevriezingen"), "{}", page.body);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    assert_eq!(carla.get("/beheer/bewaren").status, 403, "retention is the privacy team's");
}

// req: E17
#[test]
fn a_closed_account_loses_its_sessions_and_cannot_sign_in() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    assert_eq!(anna.get("/api/v1/me").status, 200);
    let closed = world.place.command().args(["account", "close", "--username", "anna"]).output().unwrap();
    assert!(closed.status.success(), "{}", stderr(&closed));
    assert_eq!(anna.get("/api/v1/me").status, 401);
    let again = Client::new(&server).post_form("/inloggen", &[("username", "anna"), ("password", &world.anna.password)]);
    assert_eq!(again.status, 401);
    assert!(again.body.contains("gesloten"), "{}", again.body);
    // Its term now runs: the retention report has a due date for it.
    let mut pieter = Client::new(&server);
    pieter.sign_in(&world.privacy);
    let report = pieter.get("/api/v1/retention/report").json();
    let accounts = report["processings"].as_array().unwrap().iter().find(|l| l["processing"] == "inlogaccounts").cloned().unwrap();
    let next_year = (jiff::Zoned::now().year() + 1).to_string();
    assert!(accounts["next_due"].as_str().unwrap().starts_with(&next_year), "a year after closing: {accounts}");
}

// req: E22
#[test]
fn a_consent_withdrawal_names_its_processing_and_is_carried_out_from_the_queue() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let csrf = anna.csrf();
    let unknown = anna.post_form("/mijn-gegevens/verzoeken", &[("csrf", &csrf), ("kind", "withdraw_consent"), ("processing", "bestaat_niet")]);
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    assert_eq!(anna.get("/api/v1/me/requests").json().as_array().unwrap().len(), 0, "nothing half filed");
    let filed = anna.post_form("/mijn-gegevens/verzoeken", &[("csrf", &csrf), ("kind", "withdraw_consent"), ("processing", "nieuwsbrief_email")]);
    assert_eq!(filed.status, 303);
    let mut pieter = Client::new(&server);
    pieter.sign_in(&world.privacy);
    let queue = pieter.get("/beheer/verzoeken");
    assert!(queue.body.contains("Nieuwsbrief per e-mail") && queue.body.contains("Toestemming intrekken en gegevens wissen"), "{}", queue.body);
    let request = pieter.get("/api/v1/rights/requests").json()[0].clone();
    assert_eq!(request["concerns"], "nieuwsbrief_email");
    let id = request["id"].as_str().unwrap();
    let csrf = pieter.csrf();
    let done = pieter.post_form(&format!("/beheer/verzoeken/{id}"), &[("csrf", &csrf), ("identity", "DigiD"), ("answer", ""), ("withdraw", "ja")]);
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(anna.get("/api/v1/me/requests").json()[0]["answered"], true);
}

// req: E15.LEGAL
#[test]
fn a_legal_obligation_request_waits_for_its_check_and_is_then_disclosed_or_declined() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let csrf = carla.csrf();
    let ask = |client: &mut Client, number: &str, recipient: &str| {
        let path = format!("/beheer/zaken/{number}/wettelijk-verzoek");
        client.post_form(&path, &[("csrf", &csrf), ("recipient", recipient), ("request", "PV 2026-0042: NAW en bankgegevens")])
    };
    assert_eq!(ask(&mut carla, &world.anna_case, "nam").status, 400, "NAM is not a legal-obligation party");
    assert_eq!(ask(&mut carla, &world.anna_case, "politie").status, 303);
    assert_eq!(ask(&mut carla, &world.bert_case, "politie").status, 303);
    let queue = carla.get("/beheer/verstrekkingen");
    assert!(queue.body.contains(&world.anna_case) && queue.body.contains(&world.bert_case) && queue.body.contains("PV 2026-0042"), "{}", queue.body);
    // Disclosing without the check is refused, and nothing goes.
    let unchecked = carla.post_form(
        "/beheer/verstrekkingen",
        &[("csrf", &csrf), ("number", &world.anna_case), ("recipient", "politie"), ("check", ""), ("decision", "verstrekken")],
    );
    assert_eq!(unchecked.status, 400);
    let settle = |client: &mut Client, number: &str, decision: &str| {
        client.post_form(
            "/beheer/verstrekkingen",
            &[("csrf", &csrf), ("number", number), ("recipient", "politie"), ("check", "vordering OvJ art. 126nd Sv, gecontroleerd"), ("decision", decision)],
        )
    };
    assert_eq!(settle(&mut carla, &world.anna_case, "verstrekken").status, 303);
    assert_eq!(settle(&mut carla, &world.bert_case, "weigeren").status, 303);
    assert_eq!(carla.get("/api/v1/disclosures/pending").json(), serde_json::json!([]));
    assert_eq!(settle(&mut carla, &world.anna_case, "verstrekken").status, 404, "a settled request cannot be settled again");
    // Anna sees the police among those who received her data; Bert does not.
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    assert!(anna.get("/mijn-gegevens").body.contains("Politie"));
    let mut bert = Client::new(&server);
    bert.sign_in(&world.bert);
    assert!(!bert.get("/mijn-gegevens").body.contains("Politie"));
}

// req: E17
#[test]
fn forms_posted_from_another_site_are_refused_even_without_a_session() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let agent = fresh_connections();
    let post = |headers: &[(&str, &str)]| {
        let mut request = agent.post(&format!("{}/inloggen", server.base));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        match request.send_form(&[("username", "anna"), ("password", &world.anna.password)]) {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(post(&[("Origin", "https://kwaadwillend.example")]), 403);
    assert_eq!(post(&[("Sec-Fetch-Site", "cross-site")]), 403);
    let own = server.base.clone();
    assert_eq!(post(&[("Origin", &own), ("Sec-Fetch-Site", "same-origin")]), 303, "the site's own form works");
    let mut visitor = Client::new(&server);
    let contact = visitor
        .post_form("/contact", &[("kind", "question"), ("name", "A"), ("email", "a@example.nl"), ("phone", "0595123456"), ("text", "x"), ("consent", "ja")]);
    assert_eq!(contact.status, 200, "a client that sends no Origin is not a cross-site browser form");
}

// req: E0.2
// req: E6
#[test]
fn a_claim_a_rule_would_refuse_waits_for_a_case_handler_in_the_back_office() {
    let world = world();
    let work = TempDir::new().unwrap();
    let claim = work.path().join("kind.json");
    let application = serde_json::json!({
        "scheme": "kinderen", "applicant": { "name": "Pim de Vries", "bsn": "123456782" },
        "details": { "child_birth_date": "2012-06-16", "reference_date": "2026-06-15", "representative_award": 500000 }
    });
    std::fs::write(&claim, application.to_string()).unwrap();
    let filed = world.place.command().args(["case", "create", claim.to_str().unwrap()]).output().unwrap();
    assert!(filed.status.success(), "{}", stderr(&filed));
    assert!(stdout(&filed).contains("een medewerker beoordeelt de aanvraag"), "stored, not refused: {}", stdout(&filed));
    let number = stdout(&filed).split_whitespace().next().unwrap().to_string();
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let queue = carla.get("/beheer/zaken?regeling=kinderen&status=needs_review");
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(&number) && queue.body.contains("een medewerker beoordeelt"), "{}", queue.body);
    // Another person's claim is not Anna's to see or decide: refused for the missing relation.
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let seen = anna.get(&format!("/api/v1/cases/{number}"));
    assert_eq!(seen.status, 403);
    assert_eq!(seen.json()["code"], "relation_missing", "{}", seen.body);
    assert!(!anna.get("/api/v1/cases?regeling=kinderen&status=needs_review").body.contains(&number));
    // The case handler's decision is the only refusal.
    let csrf = carla.csrf();
    let decided = carla.post_json(&format!("/api/v1/cases/{number}/status"), Some(&csrf), serde_json::json!({ "status": "decision" }));
    assert_eq!(decided.status, 200, "{}", decided.body);
    assert_eq!(decided.json()["status"], "decision");
}

// req: INV6
#[test]
fn serve_refuses_to_run_on_no_worker_threads_and_says_which_option() {
    let dir = TempDir::new().unwrap();
    let out = Place::sqlite(dir.path()).run(&["serve", "--workers", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("--workers") && stderr.contains("zero"), "{stderr}");
}
