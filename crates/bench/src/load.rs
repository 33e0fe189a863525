//! The load test (issue 21): many clients at once over HTTP, each a thread
//! with its own connection, mixing reads and writes for a fixed count of
//! requests, spread over one or more nodes. Every write the service
//! acknowledges is remembered as it should then read, so that afterwards
//! [`Run::read_back`] can show that nothing was lost.
//!
//! A client works at a desk: a case handler's account and an applicant's
//! (with the BSN it was made with), each signed in through the API before
//! the clock starts. What a client does next is drawn from [`MIX`] by a
//! generator seeded from the plan's seed and the client's number, so a run
//! repeats its sequence of kinds; which case a read picks depends on what
//! the other clients have written by then.
//!
//! The servers, the accounts and the audit log's verification are the
//! caller's: `scripts/bench-load.sh` for the figures, the integration test
//! `load.rs` for the assertions.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Barrier, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use crate::{percentile, sorted};

/// An account as its holder knows it: name, password, authenticator key.
#[derive(Clone, Debug)]
pub struct Account {
    pub username: String,
    pub password: String,
    /// The authenticator key (base32) `grondslag account create` printed.
    pub secret: String,
}

/// The accounts one client works under.
#[derive(Clone, Debug)]
pub struct Desk {
    pub handler: Account,
    /// An applicant, made with `--bsn` [`Desk::bsn`].
    pub applicant: Account,
    pub bsn: String,
}

/// What to run: `requests` in all, shared out evenly over one client per
/// desk; client `i` talks to node `i % nodes.len()`.
#[derive(Debug)]
pub struct Plan<'a> {
    /// Base URLs, `http://127.0.0.1:PORT`.
    pub nodes: &'a [String],
    pub desks: &'a [Desk],
    pub requests: usize,
    pub seed: u64,
}

/// A kind of request in the mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// The public form for an acutely unsafe situation, not signed in.
    PublicReport,
    /// `POST /api/v1/cases` by the case handler, for the desk's applicant.
    FileAsHandler,
    /// `POST /api/v1/cases` by the applicant, for themselves.
    FileAsApplicant,
    /// `POST /api/v1/cases/{number}/status`: one step on, by the case handler.
    Advance,
    /// `GET /api/v1/cases/{number}` by the case handler, of any client's case.
    ReadCase,
    /// `GET /api/v1/cases/{number}` by the applicant, of a case they filed.
    ReadOwnCase,
    /// `GET /api/v1/cases?regeling=fysieke_schade&status=submitted` by the case handler.
    ListCases,
    /// `GET /api/v1/cases` by the applicant: their own.
    ListOwnCases,
    /// `POST /api/v1/session`: password and TOTP code, by either account.
    SignIn,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::PublicReport,
        Kind::FileAsHandler,
        Kind::FileAsApplicant,
        Kind::Advance,
        Kind::ReadCase,
        Kind::ReadOwnCase,
        Kind::ListCases,
        Kind::ListOwnCases,
        Kind::SignIn,
    ];

    /// The request, as a row of the bench's table.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::PublicReport => "POST /acuut-onveilig (anonymous)",
            Kind::FileAsHandler => "POST /api/v1/cases (case handler)",
            Kind::FileAsApplicant => "POST /api/v1/cases (applicant)",
            Kind::Advance => "POST /api/v1/cases/{n}/status",
            Kind::ReadCase => "GET /api/v1/cases/{n} (case handler)",
            Kind::ReadOwnCase => "GET /api/v1/cases/{n} (applicant)",
            Kind::ListCases => "GET /api/v1/cases?… (case handler)",
            Kind::ListOwnCases => "GET /api/v1/cases (applicant)",
            Kind::SignIn => "POST /api/v1/session",
        }
    }

    /// Whether an acknowledged request of this kind changed something that
    /// must read back afterwards.
    pub fn writes(self) -> bool {
        matches!(self, Kind::PublicReport | Kind::FileAsHandler | Kind::FileAsApplicant | Kind::Advance)
    }
}

/// The mix, in requests out of 100: 45 writes, 53 reads, 2 sign-ins (each an
/// argon2 check by design and a TOTP step of its account's, so kept rare:
/// an account has three steps at hand and one more every 30 s).
pub const MIX: [(Kind, u32); 9] = [
    (Kind::PublicReport, 10),
    (Kind::FileAsHandler, 10),
    (Kind::FileAsApplicant, 8),
    (Kind::Advance, 17),
    (Kind::ReadCase, 26),
    (Kind::ReadOwnCase, 8),
    (Kind::ListCases, 12),
    (Kind::ListOwnCases, 7),
    (Kind::SignIn, 2),
];

/// The kind of request a roll of 0–99 falls on in [`MIX`].
fn draw(roll: u32) -> Kind {
    let mut below = 0;
    for (kind, share) in MIX {
        below += share;
        if roll < below {
            return kind;
        }
    }
    Kind::ReadCase
}

/// One request: what it was, where it went, how long it took from sending to the last byte
/// of the answer, and why it failed (any status of 400 or more, a transport
/// fault, an answer without what it should hold).
#[derive(Debug)]
pub struct Sample {
    pub kind: Kind,
    /// The node it went to, by its place in [`Plan::nodes`].
    pub node: usize,
    pub took: Duration,
    pub error: Option<String>,
}

/// A case as the run left it: what reading it must show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    pub number: String,
    pub status: String,
    /// The applicant's name it was filed with, unique to the filing.
    pub name: String,
}

/// A run's outcome. `elapsed` runs from the moment every client was signed
/// in to the last answer; no client waits in between.
#[derive(Debug)]
pub struct Run {
    pub samples: Vec<Sample>,
    /// Every case an acknowledged filing made, with its acknowledged steps.
    pub written: Vec<Written>,
    pub elapsed: Duration,
    /// The first desk's case handler's session cookie, for reading back.
    reader: String,
}

/// The figures of a set of samples.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    pub requests: usize,
    pub errors: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// What kept a run from starting (a sign-in before the clock started failed),
/// or a read back from being made.
#[derive(Debug)]
pub struct LoadError(String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

impl Run {
    /// The failed requests.
    pub fn errors(&self) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(|s| s.error.is_some())
    }

    /// Acknowledged writes (filings and steps).
    pub fn writes(&self) -> usize {
        self.samples.iter().filter(|s| s.kind.writes() && s.error.is_none()).count()
    }

    /// Figures over every request, or those of one kind.
    pub fn figures(&self, kind: Option<Kind>) -> Figures {
        let samples: Vec<&Sample> = self.samples.iter().filter(|s| kind.is_none_or(|k| s.kind == k)).collect();
        let times = sorted(samples.iter().map(|s| s.took.as_secs_f64() * 1000.0).collect());
        Figures {
            requests: samples.len(),
            errors: samples.iter().filter(|s| s.error.is_some()).count(),
            p50_ms: percentile(&times, 0.5),
            p99_ms: percentile(&times, 0.99),
            max_ms: times.last().copied().unwrap_or(f64::NAN),
        }
    }

    /// Reads every written case back through each node as the first desk's
    /// case handler; returns what is missing or differs (none: nothing lost).
    pub fn read_back(&self, nodes: &[String]) -> Vec<String> {
        let agent = agent();
        let mut wrong = Vec::new();
        for node in nodes {
            for case in &self.written {
                let request = agent.get(&format!("{node}/api/v1/cases/{}", case.number)).set("Cookie", &self.reader);
                match answer(request, Body::Empty).and_then(|a| json_of(&a.body)) {
                    Ok(shown) => wrong.extend(differs(case, &shown).map(|d| format!("{node}: {}: {d}", case.number))),
                    Err(e) => wrong.push(format!("{node}: {}: {e}", case.number)),
                }
            }
        }
        wrong
    }
}

/// How `shown` (a case as the API gives it) differs from what was written.
fn differs(case: &Written, shown: &Value) -> Option<String> {
    let name = shown["fields"][grondslag_register::Category::Name.label_nl()].as_str().unwrap_or_default();
    let status = shown["status"].as_str().unwrap_or_default();
    (status != case.status || name != case.name).then(|| format!("reads {status} {name:?}, was written {} {:?}", case.status, case.name))
}

/// Runs the plan: signs every client in, then lets them go at once.
pub fn run(plan: &Plan<'_>) -> Result<Run, LoadError> {
    if plan.nodes.is_empty() || plan.desks.is_empty() {
        return Err(LoadError("a load test needs a node and a desk".to_string()));
    }
    let pool = Mutex::new(Vec::new());
    let start = Barrier::new(plan.desks.len());
    let started = Mutex::new(None);
    let each = plan.requests / plan.desks.len();
    let done: Vec<Result<Client<'_>, LoadError>> = std::thread::scope(|scope| {
        let threads: Vec<_> = plan
            .desks
            .iter()
            .enumerate()
            .map(|(i, desk)| {
                let (pool, start, started) = (&pool, &start, &started);
                let count = each + usize::from(i < plan.requests % plan.desks.len());
                scope.spawn(move || {
                    let client = Client::signed_in(i, plan.nodes, desk, plan.seed, pool);
                    // Every thread reaches the barrier, signed in or not, so none waits forever.
                    if start.wait().is_leader() {
                        *started.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                    }
                    client.map(|mut c| {
                        c.work(count);
                        c
                    })
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap_or_else(|_| Err(LoadError("a client thread panicked".to_string())))).collect()
    });
    let elapsed = started.into_inner().unwrap_or_else(PoisonError::into_inner).map_or(Duration::ZERO, |s| s.elapsed());
    let clients = done.into_iter().collect::<Result<Vec<_>, _>>()?;
    let reader = clients.first().map(|c| c.sessions[HANDLER].cookie.clone()).unwrap_or_default();
    let mut samples = Vec::new();
    let mut written = Vec::new();
    for client in clients {
        samples.extend(client.samples);
        written.extend(client.mine.into_values());
    }
    Ok(Run { samples, written, elapsed, reader })
}

/// One client's agent: its own keep-alive connection, no redirects followed,
/// and a bound on a request's time so a hung server fails the run rather
/// than stalls it.
fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).timeout(Duration::from_secs(60)).build()
}

const HANDLER: usize = 0;
const APPLICANT: usize = 1;

/// A signed-in account's session, and the TOTP step it last signed in with.
struct Session {
    cookie: String,
    csrf: String,
    step: i64,
}

/// What a request sends.
enum Body<'a> {
    Empty,
    Json(Value),
    Form(&'a [(&'a str, &'a str)]),
}

/// What a request acknowledged with: its session cookie, if it set one, and
/// its body.
struct Answer {
    cookie: Option<String>,
    body: String,
}

/// Sends `request`; a status of 400 or more, or a fault, is an error.
fn answer(request: ureq::Request, body: Body<'_>) -> Result<Answer, String> {
    let sent = match body {
        Body::Empty => request.call(),
        Body::Json(value) => request.send_json(value),
        Body::Form(form) => request.send_form(form),
    };
    match sent {
        Ok(response) => {
            let cookie = response.header("set-cookie").and_then(|c| c.split(';').next()).map(str::to_string);
            let body = response.into_string().map_err(|e| format!("reading the answer: {e}"))?;
            Ok(Answer { cookie, body })
        }
        Err(ureq::Error::Status(status, response)) => {
            let body = response.into_string().unwrap_or_default();
            Err(format!("{status}: {}", body.chars().take(300).collect::<String>()))
        }
        Err(e) => Err(e.to_string()),
    }
}

fn json_of(body: &str) -> Result<Value, String> {
    serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {}", body.chars().take(300).collect::<String>()))
}

/// The step a case takes next, from the statuses a filing leaves it in.
fn next_status(status: &str) -> Option<&'static str> {
    match status {
        "draft" => Some("submitted"),
        "submitted" | "needs_review" => Some("in_handling"),
        _ => None,
    }
}

/// The TOTP time step for an account's next sign-in after `last`, at `now`
/// (Unix seconds), if one is accepted now. The service accepts one step
/// either side of its own, each step once: one step back only early in a
/// step, so that it is not two back by the time the service checks it. An
/// account has three at hand at first, then one more every 30 s.
fn next_step(last: Option<i64>, now: i64) -> Option<i64> {
    let current = now.div_euclid(30);
    let earliest = if now.rem_euclid(30) < 20 { current - 1 } else { current };
    let step = last.map_or(earliest, |l| (l + 1).max(earliest));
    (step <= current + 1).then_some(step)
}

struct Client<'a> {
    number: usize,
    node: usize,
    agent: ureq::Agent,
    base: &'a str,
    desk: &'a Desk,
    rng: ChaCha8Rng,
    /// The case handler's and the applicant's, in that order.
    sessions: [Session; 2],
    /// Every acknowledged case of every client, for reads.
    pool: &'a Mutex<Vec<String>>,
    /// The cases this client filed, as they stand.
    mine: BTreeMap<String, Written>,
    /// Those of them the applicant filed (and may read).
    own: Vec<String>,
    filed: usize,
    sign_ins: usize,
    samples: Vec<Sample>,
    took: Duration,
}

impl<'a> Client<'a> {
    fn signed_in(number: usize, nodes: &'a [String], desk: &'a Desk, seed: u64, pool: &'a Mutex<Vec<String>>) -> Result<Client<'a>, LoadError> {
        let node = number % nodes.len();
        let base = nodes[node].as_str();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(number as u64);
        let agent = agent();
        let session = |account: &Account| {
            let step = next_step(None, jiff::Timestamp::now().as_second()).ok_or_else(|| LoadError("an account's first step is always at hand".to_string()))?;
            sign_in(&agent, base, account, step).map_err(|e| LoadError(format!("signing in {} on {base}: {e}", account.username)))
        };
        let sessions = [session(&desk.handler)?, session(&desk.applicant)?];
        Ok(Client {
            number,
            node,
            agent,
            base,
            desk,
            rng,
            sessions,
            pool,
            mine: BTreeMap::new(),
            own: Vec::new(),
            filed: 0,
            sign_ins: 0,
            samples: Vec::new(),
            took: Duration::ZERO,
        })
    }

    fn work(&mut self, count: usize) {
        for _ in 0..count {
            let kind = draw(self.rng.gen_range(0..100));
            self.took = Duration::ZERO;
            let (kind, result) = self.request(kind);
            self.samples.push(Sample { kind, node: self.node, took: self.took, error: result.err() });
        }
    }

    /// Does a request of `kind`, or the nearest that can be done yet (a read
    /// before there is anything to read files instead, a sign-in without a
    /// TOTP step at hand reads); returns what it did.
    fn request(&mut self, kind: Kind) -> (Kind, Result<(), String>) {
        match kind {
            Kind::PublicReport => (kind, self.report()),
            Kind::FileAsHandler => (kind, self.file(HANDLER)),
            Kind::FileAsApplicant => (kind, self.file(APPLICANT)),
            Kind::Advance => match self.advanceable() {
                Some(number) => (kind, self.advance(&number)),
                None => (Kind::FileAsHandler, self.file(HANDLER)),
            },
            Kind::ReadCase => {
                let pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
                let number = (!pool.is_empty()).then(|| pool[self.rng.gen_range(0..pool.len())].clone());
                drop(pool);
                match number {
                    Some(number) => (kind, self.read(HANDLER, &number)),
                    None => (Kind::PublicReport, self.report()),
                }
            }
            Kind::ReadOwnCase => match self.own.get(self.rng.gen_range(0..self.own.len().max(1))).cloned() {
                Some(number) => (kind, self.read(APPLICANT, &number)),
                None => (Kind::FileAsApplicant, self.file(APPLICANT)),
            },
            Kind::ListCases => (kind, self.list(HANDLER, "/api/v1/cases?regeling=fysieke_schade&status=submitted")),
            Kind::ListOwnCases => (kind, self.list(APPLICANT, "/api/v1/cases")),
            Kind::SignIn => {
                self.sign_ins += 1;
                let now = jiff::Timestamp::now().as_second();
                // Each account in turn, the other one when its steps are used up.
                let at_hand = [self.sign_ins % 2, (self.sign_ins + 1) % 2]
                    .into_iter()
                    .find_map(|who| next_step(Some(self.sessions[who].step), now).map(|step| (who, step)));
                let Some((who, step)) = at_hand else { return self.request(Kind::ReadCase) };
                let account = if who == HANDLER { &self.desk.handler } else { &self.desk.applicant };
                let started = Instant::now();
                let result = sign_in(&self.agent, self.base, account, step);
                self.took = started.elapsed();
                (kind, result.map(|session| self.sessions[who] = session))
            }
        }
    }

    /// A request as `who` (the session's cookie, and its CSRF token on a POST); timed.
    fn send(&mut self, who: Option<usize>, method: &str, path: &str, body: Body<'_>) -> Result<Answer, String> {
        let mut request = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(who) = who {
            request = request.set("Cookie", &self.sessions[who].cookie);
            if method == "POST" {
                request = request.set("X-CSRF-Token", &self.sessions[who].csrf);
            }
        }
        let started = Instant::now();
        let answer = answer(request, body);
        self.took += started.elapsed();
        answer
    }

    /// A name no other filing of the run has.
    fn fresh_name(&mut self, role: &str) -> String {
        self.filed += 1;
        format!("{role} {}-{}", self.number, self.filed)
    }

    fn acknowledged(&mut self, number: String, status: String, name: String, by_applicant: bool) {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner).push(number.clone());
        if by_applicant {
            self.own.push(number.clone());
        }
        self.mine.insert(number.clone(), Written { number, status, name });
    }

    fn report(&mut self) -> Result<(), String> {
        let name = self.fresh_name("Melder");
        let (email, address) = (format!("melder{}x{}@example.nl", self.number, self.filed), format!("Dijk {}", self.filed));
        let form = [
            ("name", name.as_str()),
            ("phone", "0595 123 456"),
            ("email", email.as_str()),
            ("address", address.as_str()),
            ("postcode_city", "9981 AB Uithuizen"),
        ];
        let page = self.send(None, "POST", "/acuut-onveilig", Body::Form(&form))?.body;
        // The page says the number, or (also with 200) why the report was not sent.
        let number = page.split("onder nummer ").nth(1).and_then(|rest| rest.split('.').next()).filter(|n| n.starts_with("IMG-"));
        let number = number.ok_or_else(|| format!("no case number on the page: {}", page.split("De melding is niet verstuurd").nth(1).unwrap_or("").trim()))?;
        self.acknowledged(number.to_string(), "submitted".to_string(), name, false);
        Ok(())
    }

    fn file(&mut self, who: usize) -> Result<(), String> {
        let name = self.fresh_name(if who == HANDLER { "Aanvrager" } else { "Zelf" });
        let application = json!({
            "scheme": "fysieke_schade",
            "applicant": { "name": name, "phone": "0595 123 456", "email": "aanvrager@example.nl", "bsn": self.desk.bsn, "bank_account": "NL91 ABNA 0417 1643 00" },
            "object": { "kind": "home", "address": format!("Hoofdstraat {}", self.filed), "postcode_city": "9981 AB Uithuizen" },
            "details": { "damage_arose": "2026-03-01", "costs": { "garden": 45000 }, "remarks": "Scheur in de gevel." }
        });
        let filed = json_of(&self.send(Some(who), "POST", "/api/v1/cases", Body::Json(application))?.body)?;
        let (Some(number), Some(status)) = (filed["number"].as_str(), filed["status"].as_str()) else {
            return Err(format!("no number and status in {filed}"));
        };
        self.acknowledged(number.to_string(), status.to_string(), name, who == APPLICANT);
        Ok(())
    }

    /// One of this client's cases that can take a step, at random.
    fn advanceable(&mut self) -> Option<String> {
        let open: Vec<&String> = self.mine.values().filter(|c| next_status(&c.status).is_some()).map(|c| &c.number).collect();
        (!open.is_empty()).then(|| open[self.rng.gen_range(0..open.len())].clone())
    }

    fn advance(&mut self, number: &str) -> Result<(), String> {
        let to = self.mine.get(number).and_then(|c| next_status(&c.status)).ok_or_else(|| format!("{number} cannot take a step"))?;
        let answer = json_of(&self.send(Some(HANDLER), "POST", &format!("/api/v1/cases/{number}/status"), Body::Json(json!({ "status": to })))?.body)?;
        if answer["status"] != to {
            return Err(format!("{number} moved to {} rather than {to}", answer["status"]));
        }
        if let Some(case) = self.mine.get_mut(number) {
            case.status = to.to_string();
        }
        Ok(())
    }

    fn read(&mut self, who: usize, number: &str) -> Result<(), String> {
        let shown = json_of(&self.send(Some(who), "GET", &format!("/api/v1/cases/{number}"), Body::Empty)?.body)?;
        if shown["number"] != number {
            return Err(format!("asked for {number}, read {}", shown["number"]));
        }
        Ok(())
    }

    fn list(&mut self, who: usize, path: &str) -> Result<(), String> {
        let listed = json_of(&self.send(Some(who), "GET", path, Body::Empty)?.body)?;
        if !listed.is_array() {
            return Err(format!("not a list: {listed}"));
        }
        Ok(())
    }
}

/// Signs `account` in through the API with the code of TOTP time `step`.
fn sign_in(agent: &ureq::Agent, base: &str, account: &Account, step: i64) -> Result<Session, String> {
    let at = jiff::Timestamp::from_second(step * 30).map_err(|e| e.to_string())?;
    let code = grondslag_accounts::Accounts::code_at(&account.secret, at).map_err(|e| format!("the authenticator key: {e}"))?;
    let body = json!({ "username": account.username, "password": account.password, "code": code });
    let answer = answer(agent.post(&format!("{base}/api/v1/session")), Body::Json(body))?;
    let me = json_of(&answer.body)?;
    let (Some(cookie), Some(csrf)) = (answer.cookie, me["csrf_token"].as_str()) else {
        return Err(format!("no session cookie or CSRF token in {me}"));
    };
    Ok(Session { cookie, csrf: csrf.to_string(), step })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sign_in_takes_a_later_step_of_the_three_accepted() {
        // 10 s into step 100: steps 99, 100 and 101 are accepted.
        let now = 100 * 30 + 10;
        assert_eq!(next_step(None, now), Some(99));
        assert_eq!(next_step(Some(99), now), Some(100));
        assert_eq!(next_step(Some(100), now), Some(101));
        assert_eq!(next_step(Some(101), now), None, "step 102 only once step 101 has begun");
        assert_eq!(next_step(Some(101), 101 * 30), Some(102));
        // Late in a step the one before may be two behind when checked.
        assert_eq!(next_step(None, 100 * 30 + 25), Some(100));
    }

    #[test]
    fn the_mix_adds_up_to_a_hundred_and_names_every_kind() {
        assert_eq!(MIX.iter().map(|(_, share)| share).sum::<u32>(), 100);
        assert!(Kind::ALL.iter().all(|k| MIX.iter().any(|(m, _)| m == k)));
        assert_eq!(
            (draw(0), draw(9), draw(10), draw(97), draw(98), draw(99)),
            (Kind::PublicReport, Kind::PublicReport, Kind::FileAsHandler, Kind::ListOwnCases, Kind::SignIn, Kind::SignIn)
        );
    }
}
