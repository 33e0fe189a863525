//! Signing in with DigiD, DigiD Machtigen and eHerkenning, against a real
//! OpenID provider on loopback (`broker.rs`: oidc-provider as a DigiD-like
//! broker), the real `grondslag serve`, and a browser for the page.

use std::collections::BTreeMap;

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::broker::{Broker, DIGID_MIDDEN, DIGID_SUBSTANTIEEL, EH_LOA3, Jar, follow};
use crate::server::{ANNA_BSN, BERT_BSN, Client, Place, Reply, Server, World, free_listen, world};

const SECRET: &str = "een geheim van de makelaar";

/// The service and its broker, each told of the other; `None` without node.
struct Brokered {
    broker: Broker,
    server: Server,
}

fn brokered(place: &Place) -> Option<Brokered> {
    let listen = free_listen();
    let origin = format!("http://{listen}");
    let means = ["digid", "digid-machtigen", "eherkenning"];
    let clients: Vec<Value> = means
        .iter()
        .map(|m| {
            json!({
                "client_id": format!("img-{m}"),
                "client_secret": SECRET,
                "redirect_uris": [format!("{origin}/inloggen/{m}/terug")],
                "post_logout_redirect_uris": [format!("{origin}/uitgelogd")],
            })
        })
        .collect();
    let broker = Broker::start(Value::Array(clients))?;
    let config = means
        .iter()
        .map(|m| format!("[{m}]\nissuer = \"{}\"\nclient_id = \"img-{m}\"\nclient_secret = \"{SECRET}\"\n", broker.issuer()))
        .collect::<Vec<_>>()
        .join("\n");
    let file = place.dir.join("brokers.toml");
    std::fs::write(&file, config).unwrap();
    let server = Server::start_at(place, &listen, &["--brokers", file.to_str().unwrap()]);
    Some(Brokered { broker, server })
}

/// One browser, by hand: its cookies at our service and its jar at the broker.
struct Browser<'a> {
    base: &'a str,
    cookies: BTreeMap<String, String>,
    jar: Jar,
}

impl<'a> Browser<'a> {
    fn new(server: &'a Server) -> Browser<'a> {
        Browser { base: &server.base, cookies: BTreeMap::new(), jar: Jar::default() }
    }

    fn request(&mut self, method: &str, url: &str) -> ureq::Request {
        let url = if url.starts_with('/') { format!("{}{url}", self.base) } else { url.to_string() };
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        crate::server::fresh_connections().request(method, &url).set("Cookie", &cookie)
    }

    fn keep(&mut self, result: Result<ureq::Response, ureq::Error>) -> Reply {
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{e}"),
        };
        for set in response.all("set-cookie") {
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name)
            } else {
                self.cookies.insert(name.to_string(), value.to_string())
            };
        }
        let headers = response.headers_names().into_iter().map(|n| (n.to_lowercase(), response.all(&n).join("\n"))).collect();
        let status = response.status();
        Reply { status, headers, body: response.into_string().unwrap_or_default() }
    }

    fn get(&mut self, url: &str) -> Reply {
        let request = self.request("GET", url);
        self.keep(request.call())
    }

    fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        let request = self.request("POST", path);
        self.keep(request.send_form(form))
    }

    fn post_json(&mut self, path: &str, body: Value) -> Reply {
        let csrf = self.csrf();
        let request = self.request("POST", path).set("X-CSRF-Token", &csrf);
        self.keep(request.send_json(body))
    }

    fn csrf(&mut self) -> String {
        self.get("/api/v1/me").json()["csrf_token"].as_str().unwrap().to_string()
    }

    /// From our link to the broker and back: the answer of our return address.
    fn sign_in_with(&mut self, means: &str) -> (Reply, String) {
        let start = self.get(&format!("/inloggen/{means}"));
        assert_eq!(start.status, 303, "{}", start.body);
        let callback = follow(&mut self.jar, start.header("location").unwrap());
        (self.get(&callback), callback)
    }
}

fn signed_in(reply: &Reply) {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.body.contains("Je bent ingelogd met"), "{}", reply.body);
}

/// A refusal page: its code and its Dutch reason, and nobody signed in.
fn refused(browser: &mut Browser<'_>, reply: &Reply, status: u16, code: &str, reason: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert!(reply.body.contains(&format!("data-code=\"{code}\"")), "{code}: {}", reply.body);
    assert!(reply.body.contains(reason), "{reason}: {}", reply.body);
    assert_eq!(browser.get("/api/v1/me").status, 401, "a refused sign-in signs nobody in");
}

/// A refusal by the register over the API: 403, its code and its reason.
fn not_theirs(reply: &Reply, reason: &str) {
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(reply.json()["code"], "relation_missing", "{}", reply.body);
    assert!(reply.json()["detail"].as_str().unwrap().contains(reason), "{reason}: {}", reply.body);
}

const OWN_FILE: &str = "you may act only on your own file";
const NO_MANDATE: &str = "you hold no active authorisation (machtiging) from this person";

/// `url` with its `iss` query parameter set to `iss` (already encoded).
fn with_issuer(url: &str, iss: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let pairs: Vec<String> = query.split('&').map(|p| if p.starts_with("iss=") { format!("iss={iss}") } else { p.to_string() }).collect();
    format!("{base}?{}", pairs.join("&"))
}

fn citizen(broker: &Broker, bsn: &str) {
    broker.next_login(&format!("digid-{bsn}"), DIGID_SUBSTANTIEEL, json!({ "bsn": bsn }));
}

/// A fresh browser signed in with DigiD as the citizen with `bsn`.
fn with_digid<'a>(broker: &Broker, server: &'a Server, bsn: &str) -> Browser<'a> {
    citizen(broker, bsn);
    let mut browser = Browser::new(server);
    signed_in(&browser.sign_in_with("digid").0);
    browser
}

// req: E17
#[test]
fn a_citizen_signs_in_with_digid_lands_in_their_own_file_and_the_bsn_is_stored_nowhere_in_the_clear() {
    let world = world();
    let Some(Brokered { broker, server }) = brokered(&world.place) else { return };
    citizen(&broker, ANNA_BSN);
    let mut anna = Browser::new(&server);
    let (reply, _) = anna.sign_in_with("digid");
    signed_in(&reply);
    assert!(reply.body.contains("url=/mijn-gegevens"), "the page goes on by itself: {}", reply.body);
    let me = anna.get("/api/v1/me").json();
    assert_eq!(me["role"], "applicant");
    let handle = me["username"].as_str().unwrap().to_string();
    assert!(handle.starts_with("digid-") && !handle.contains(ANNA_BSN), "{handle}");
    // Her own case (filed before, with her BSN), not Bert's.
    assert_eq!(anna.get(&format!("/api/v1/me/cases/{}", world.anna_case)).status, 200);
    not_theirs(&anna.get(&format!("/api/v1/me/cases/{}", world.bert_case)), OWN_FILE);
    assert!(anna.get("/mijn-gegevens").body.contains(&world.anna_case));
    // The next sign-in finds the same account.
    let mut again = Browser::new(&server);
    signed_in(&again.sign_in_with("digid").0);
    assert_eq!(again.get("/api/v1/me").json()["username"], handle.as_str());
    // It has no password to set, and so none to sign in with under its handle.
    let csrf = again.csrf();
    let set = again.post_form("/wachtwoord", &[("csrf", &csrf), ("current", ""), ("password", "wat dan ook maar heel lang")]);
    assert_eq!(set.status, 400, "{}", set.body);
    assert!(set.body.contains("een wachtwoord heb je bij ons niet nodig"), "{}", set.body);
    let password = again.post_form("/inloggen", &[("username", &handle), ("password", "wat dan ook maar heel lang")]);
    assert_eq!(password.status, 401, "{}", password.body);
    // The BSN is in no file of the data directory in the clear: not in the
    // sessions, not in the audit log, not in an index.
    drop(server);
    assert_eq!(crate::in_the_clear(&world.place.dir, ANNA_BSN.as_bytes()), Vec::<String>::new(), "the BSN in the clear");
}

// req: E17
#[test]
fn a_token_wrong_in_any_way_or_an_answer_replayed_signs_nobody_in_and_the_page_says_why() {
    let world = world();
    let Some(Brokered { broker, server }) = brokered(&world.place) else { return };
    citizen(&broker, ANNA_BSN);
    let cases = [
        ("wrong_audience", "oidc_wrong_audience", "voor een andere dienst bedoeld"),
        ("expired", "oidc_token_expired", "het bewijs was verlopen"),
        ("wrong_nonce", "oidc_wrong_nonce", "hoorde niet bij deze inlogpoging"),
        ("unknown_key", "oidc_unknown_key", "niet ondertekend met een sleutel die wij kennen"),
    ];
    for (mode, code, reason) in cases {
        broker.misbehave(mode);
        let mut browser = Browser::new(&server);
        let (reply, _) = browser.sign_in_with("digid");
        refused(&mut browser, &reply, 401, code, reason);
    }
    // An answer naming another issuer (RFC 9207: a mix-up) is refused before its code is spent.
    let mut mixed = Browser::new(&server);
    let start = mixed.get("/inloggen/digid");
    let callback = follow(&mut mixed.jar, start.header("location").unwrap());
    assert!(callback.contains("iss="), "the broker names itself: {callback}");
    let elsewhere = with_issuer(&callback, "http%3A%2F%2Fkwaadwillend.example");
    let reply = mixed.get(&elsewhere);
    refused(&mut mixed, &reply, 401, "oidc_wrong_issuer", "kwam van een andere partij");
    // Too low a level: DigiD with an SMS code is "midden", not "substantieel".
    broker.next_login("digid-laag", DIGID_MIDDEN, json!({ "bsn": ANNA_BSN }));
    let mut low = Browser::new(&server);
    let (reply, _) = low.sign_in_with("digid");
    refused(&mut low, &reply, 403, "oidc_level_too_low", "minstens niveau substantieel");
    // A right answer works once; the same answer again is an unknown attempt.
    citizen(&broker, ANNA_BSN);
    let mut browser = Browser::new(&server);
    let attempt_cookie = {
        let start = browser.get("/inloggen/digid");
        let callback = follow(&mut browser.jar, start.header("location").unwrap());
        let cookie = browser.cookies.get("inlogpoging").unwrap().clone();
        signed_in(&browser.get(&callback));
        (callback, cookie)
    };
    let mut replay = Browser::new(&server);
    replay.cookies.insert("inlogpoging".to_string(), attempt_cookie.1);
    let again = replay.get(&attempt_cookie.0);
    refused(&mut replay, &again, 400, "oidc_unknown_attempt", "verlopen of al gebruikt");
    // The broker's own answer without our attempt cookie (another browser) is unknown too.
    let mut stranger = Browser::new(&server);
    let start = browser.get("/inloggen/digid");
    let callback = follow(&mut browser.jar, start.header("location").unwrap());
    let foreign = stranger.get(&callback);
    refused(&mut stranger, &foreign, 400, "oidc_unknown_attempt", "verlopen of al gebruikt");
}

// req: E17
#[test]
fn the_broker_rotates_its_keys_and_signing_in_goes_on() {
    let world = world();
    let Some(Brokered { broker, server }) = brokered(&world.place) else { return };
    with_digid(&broker, &server, BERT_BSN);
    broker.rotate_keys();
    let mut after = Browser::new(&server);
    signed_in(&after.sign_in_with("digid").0);
    assert_eq!(after.get(&format!("/api/v1/me/cases/{}", world.bert_case)).status, 200);
}

/// Bert acts for Anna with DigiD Machtigen.
fn mandate(broker: &Broker, representative: &str, represented: &str) {
    broker.next_login(
        &format!("machtiging-{representative}-{represented}"),
        DIGID_SUBSTANTIEEL,
        json!({ "bsn": represented, "act": { "bsn": representative, "service": "Schademelding Groningen" } }),
    );
}

// req: E13
#[test]
fn a_representative_signed_in_with_digid_machtigen_reaches_only_the_represented_persons_file() {
    let world = world();
    let Some(Brokered { broker, server }) = brokered(&world.place) else { return };
    // Bert signs in for Anna.
    mandate(&broker, BERT_BSN, ANNA_BSN);
    let mut bert_for_anna = Browser::new(&server);
    signed_in(&bert_for_anna.sign_in_with("digid-machtigen").0);
    assert_eq!(bert_for_anna.get("/api/v1/me").json()["role"], "representative");
    assert_eq!(bert_for_anna.get(&format!("/api/v1/me/cases/{}", world.anna_case)).status, 200);
    // Not his own file, though it is his: this session acts for Anna only.
    not_theirs(&bert_for_anna.get(&format!("/api/v1/me/cases/{}", world.bert_case)), NO_MANDATE);
    let page = bert_for_anna.get("/mijn-gegevens").body;
    assert!(page.contains(&world.anna_case) && !page.contains(&world.bert_case), "{page}");
    // Another representative, with a mandate from someone else, does not reach Anna.
    let carel = "100000009";
    mandate(&broker, carel, BERT_BSN);
    let mut carel_for_bert = Browser::new(&server);
    signed_in(&carel_for_bert.sign_in_with("digid-machtigen").0);
    assert_eq!(carel_for_bert.get(&format!("/api/v1/me/cases/{}", world.bert_case)).status, 200);
    not_theirs(&carel_for_bert.get(&format!("/api/v1/me/cases/{}", world.anna_case)), NO_MANDATE);
    // The mandate holds for the session only: Bert with plain DigiD is Bert again.
    let mut bert = with_digid(&broker, &server, BERT_BSN);
    not_theirs(&bert.get(&format!("/api/v1/me/cases/{}", world.anna_case)), OWN_FILE);
    assert_eq!(bert.get(&format!("/api/v1/me/cases/{}", world.bert_case)).status, 200);
    // Filing in the mandate's session files into Anna's file.
    let filed = bert_for_anna.post_json(
        "/api/v1/cases",
        json!({ "scheme": "fysieke_schade", "applicant": { "name": "Anna de Vries", "phone": "0595 123 456" },
                "object": { "kind": "home", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" },
                "details": { "damage_arose": "2026-03-01" } }),
    );
    assert_eq!(filed.status, 201, "{}", filed.body);
    let number = filed.json()["number"].as_str().unwrap().to_string();
    let mut anna = with_digid(&broker, &server, ANNA_BSN);
    assert_eq!(anna.get(&format!("/api/v1/me/cases/{number}")).status, 200, "Anna sees what was filed for her");
    // And that someone signed in for her, and for what: the mandate is in her file.
    let data = anna.get("/api/v1/me/data").body;
    assert!(data.contains("digid_machtigen") || data.contains("DigiD Machtigen"), "{data}");
    not_theirs(&bert.get(&format!("/api/v1/me/cases/{number}")), OWN_FILE);
}

// req: E4
#[test]
fn a_company_signs_in_with_eherkenning_and_files_a_non_residential_claim_under_its_kvk_number() {
    let World { place, handler, dir: _dir, .. } = world();
    let Some(Brokered { broker, server }) = brokered(&place) else { return };
    let kvk = "69599084";
    broker.next_login("eh-bakkerij", EH_LOA3, json!({ "kvk": kvk }));
    let mut company = Browser::new(&server);
    signed_in(&company.sign_in_with("eherkenning").0);
    assert!(company.get("/api/v1/me").json()["username"].as_str().unwrap().starts_with("eherkenning-"));
    // The number typed is not the one filed: the broker's is.
    let filed = company.post_json(
        "/api/v1/cases",
        json!({ "scheme": "waardedaling_niet_wonen", "applicant": { "name": "Bakkerij Kok", "kvk": "12345678", "phone": "0595 123 456" },
                "object": { "kind": "non_residential", "address": "Marktplein 1", "postcode_city": "9981 AB Uithuizen" },
                "details": {} }),
    );
    assert_eq!(filed.status, 201, "{}", filed.body);
    let number = filed.json()["number"].as_str().unwrap().to_string();
    assert_eq!(company.get(&format!("/api/v1/me/cases/{number}")).status, 200);
    let mut staff = crate::server::Client::new(&server);
    staff.sign_in(&handler);
    let case = staff.get(&format!("/api/v1/cases/{number}")).json();
    assert_eq!(case["fields"]["KvK-nummer"], kvk, "{case}");
    // Another company does not see it.
    broker.next_login("eh-smederij", EH_LOA3, json!({ "kvk": "12345678" }));
    let mut other = Browser::new(&server);
    signed_in(&other.sign_in_with("eherkenning").0);
    not_theirs(&other.get(&format!("/api/v1/me/cases/{number}")), OWN_FILE);
}

// req: E17
#[test]
fn signing_out_of_a_digid_session_ends_the_brokers_session_too() {
    let world = world();
    let Some(Brokered { broker, server }) = brokered(&world.place) else { return };
    let mut anna = with_digid(&broker, &server, ANNA_BSN);
    assert_eq!(broker.active_sessions(), 1);
    let csrf = anna.csrf();
    let out = anna.post_form("/uitloggen", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    let to_broker = out.header("location").unwrap().to_string();
    assert!(to_broker.starts_with(broker.issuer()) && to_broker.contains("client_id=img-digid"), "{to_broker}");
    assert_eq!(anna.get("/api/v1/me").status, 401, "ours ended first");
    let back = follow(&mut anna.jar, &to_broker);
    assert!(back.starts_with(&format!("{}/uitgelogd", server.base)), "{back}");
    assert_eq!(broker.active_sessions(), 0);
    assert!(anna.get(&back).body.contains("Je bent uitgelogd"));
    // The CSP lets the sign-out form's answer go on to the broker, and nowhere else.
    let csp = anna.get("/").header("content-security-policy").unwrap().to_string();
    assert!(csp.contains(&format!("form-action 'self' {}", broker.issuer())), "{csp}");
}

// req: E17
#[test]
fn a_brokers_file_that_cannot_be_used_stops_the_service_and_says_where() {
    let dir = tempfile::TempDir::new().unwrap();
    let place = Place::sqlite(dir.path());
    let file = dir.path().join("brokers.toml");
    for (text, says) in [
        ("[digid]\nissuer = \"https://broker.example\"\nclient_id = \"img\"\nclient_secret = \"s\"\nminimum_level = \"midden\"\n", "[digid] minimum_level"),
        ("[eherkenning]\nissuer = \"https://broker.example\"\nclient_id = \"img\"\n", "client_secret_file"),
        ("[digi]\nissuer = \"x\"\n", "unknown field `digi`"),
        ("[digid]\nissuer = \"geen adres\"\nclient_id = \"img\"\nclient_secret = \"s\"\n", "[digid] issuer `geen adres`"),
    ] {
        std::fs::write(&file, text).unwrap();
        let out = place.run(&["serve", "--check", "--brokers", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && stderr.contains("brokers.toml") && stderr.contains(says), "{says}: {stderr}");
    }
}

// req: E17
#[tokio::test(flavor = "multi_thread")]
async fn in_the_browser_a_citizen_signs_in_with_digid_and_sees_their_own_case() {
    let world = world();
    let Some(Brokered { broker, server }) = brokered(&world.place) else { return };
    let Some(driver) = crate::browser::driver() else { return };
    citizen(&broker, ANNA_BSN);
    let profile = tempfile::TempDir::new().unwrap();
    let browser = crate::browser::browser(&driver, profile.path(), profile.path()).await;
    browser.goto(&format!("{}/inloggen", server.base)).await.unwrap();
    browser.find(Locator::LinkText("Inloggen met DigiD")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Css("form.signout")).await.unwrap();
    assert!(browser.current_url().await.unwrap().as_str().ends_with("/mijn-gegevens"));
    let text = crate::browser::text(&browser).await;
    assert!(text.contains(&world.anna_case) && !text.contains(&world.bert_case), "{text}");
    crate::browser::assert_axe_passes(&browser).await;
    browser.close().await.unwrap();
}

// req: E17
#[test]
fn a_sign_in_under_way_is_taken_once_even_by_answers_arriving_together() {
    let dir = tempfile::TempDir::new().unwrap();
    taken_once(crate::open_kernel(dir.path()));
    if let Some(database) = grondslag_store::ScratchDatabase::for_tests().unwrap() {
        let on_postgres = tempfile::TempDir::new().unwrap();
        let data = grondslag_kernel::DataDir::new(on_postgres.path()).with_database_url(Some(database.url().to_string()));
        taken_once(data.open_kernel(crate::shipped(), None, jiff::Timestamp::now()).unwrap());
    }
}

fn taken_once(kernel: grondslag_kernel::Kernel) {
    let accounts = std::sync::Arc::new(grondslag_accounts::Accounts::new(std::sync::Arc::new(kernel), Default::default()).unwrap());
    let now = jiff::Timestamp::now();
    for _ in 0..20 {
        let token = accounts.park(b"state, nonce, verifier".to_vec(), jiff::SignedDuration::from_mins(10), now).unwrap();
        let takers: Vec<_> = (0..4)
            .map(|_| {
                let (accounts, token) = (accounts.clone(), token.clone());
                std::thread::spawn(move || accounts.unpark(&token, now).unwrap())
            })
            .collect();
        let taken = takers.into_iter().filter_map(|t| t.join().unwrap()).count();
        assert_eq!(taken, 1, "an attempt is used once");
    }
    // Expired is gone; and a parked key is no session key.
    let token = accounts.park(b"x".to_vec(), jiff::SignedDuration::from_mins(10), now).unwrap();
    assert!(accounts.session(&token, now).unwrap().is_none());
    assert!(accounts.unpark(&token, now + jiff::SignedDuration::from_mins(11)).unwrap().is_none());
}

// req: E17
#[test]
fn a_broker_that_does_not_answer_holds_none_of_the_threads_everyone_elses_work_runs_on() {
    let world = world();
    // A broker that takes the connection and never answers, until told to hang up.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", silent.local_addr().unwrap());
    let held = std::sync::Arc::new(std::sync::Mutex::new(Some(Vec::new())));
    let (called_to, called) = std::sync::mpsc::channel();
    let holding = std::sync::Arc::clone(&held);
    std::thread::spawn(move || {
        for stream in silent.incoming() {
            // Once hung up, later calls are hung up on at once.
            if let Some(streams) = holding.lock().unwrap().as_mut() {
                streams.push(stream.unwrap());
                let _ = called_to.send(());
            }
        }
    });
    let file = world.place.dir.join("brokers.toml");
    std::fs::write(&file, format!("[digid]\nissuer = \"{issuer}\"\nclient_id = \"img-digid\"\nclient_secret = \"{SECRET}\"\n")).unwrap();
    // One worker: a sign-in waiting on the broker there would hold it.
    let server = Server::start_on(&world.place, &["--brokers", file.to_str().unwrap(), "--workers", "1"]);

    let start = format!("{}/inloggen/digid", server.base);
    let (answered_to, answered) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = answered_to.send(match crate::server::fresh_connections().get(&start).call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => (r.status(), r.into_string().unwrap_or_default()),
            Err(e) => panic!("{e}"),
        });
    });
    called.recv_timeout(std::time::Duration::from_secs(30)).expect("the service called the broker");

    // While the service waits on the broker, a case handler signs in and reads.
    let mut handler = Client::new(&server);
    assert_eq!(handler.sign_in(&world.handler).status, 303);
    let me = handler.get("/api/v1/me");
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.json()["role"], "case_handler", "{}", me.body);
    assert!(answered.try_recv().is_err(), "the sign-in through the broker was answered first: it held the one worker");

    // The broker hangs up: that sign-in is refused, and says why.
    drop(held.lock().unwrap().take());
    let (status, page) = answered.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    assert_eq!(status, 502, "{page}");
    assert!(page.contains("data-code=\"oidc_unreachable\"") && page.contains("DigiD is nu niet bereikbaar"), "{page}");
}
