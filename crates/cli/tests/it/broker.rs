//! A real OpenID provider standing in for the DigiD / DigiD Machtigen /
//! eHerkenning broker: `.ci/oidc/broker.mjs` (oidc-provider on node), started
//! per test on a free loopback port, told beforehand who logs in next.
//!
//! GRONDSLAG_OIDC_BROKER is the path of `broker.mjs`; `.ci/run` installs its
//! packages (`npm ci --prefix .ci/oidc`) and sets it with
//! GRONDSLAG_REQUIRE_BROKER=1, so on CI a missing broker fails these tests.
//! Elsewhere they say so on stderr and pass.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::Digest;

use crate::server::ANNA_BSN;

pub const DIGID_BASIS: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
pub const DIGID_MIDDEN: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract";
pub const DIGID_SUBSTANTIEEL: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard";
pub const DIGID_HOOG: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI";
pub const EH_LOA3: &str = "urn:etoegang:core:assurance-class:loa3";

/// The broker's node process, stopped when dropped.
pub struct Broker {
    child: Child,
    issuer: String,
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ok(result: Result<ureq::Response, ureq::Error>, what: &str) -> ureq::Response {
    match result {
        Ok(response) => response,
        Err(ureq::Error::Status(status, response)) => panic!("{what}: {status} {}", response.into_string().unwrap_or_default()),
        Err(e) => panic!("{what}: {e}"),
    }
}

impl Broker {
    /// The broker with these clients (oidc-provider client metadata:
    /// `client_id`, `client_secret`, `redirect_uris`, `post_logout_redirect_uris`,
    /// optionally `token_endpoint_auth_method`), or None when
    /// GRONDSLAG_OIDC_BROKER is not set (and the broker is not required).
    pub fn start(clients: Value) -> Option<Broker> {
        let Some(script) = std::env::var_os("GRONDSLAG_OIDC_BROKER") else {
            assert!(
                std::env::var_os("GRONDSLAG_REQUIRE_BROKER").is_none(),
                "GRONDSLAG_OIDC_BROKER is not set: npm ci --prefix .ci/oidc and point it at .ci/oidc/broker.mjs (as .ci/run does)"
            );
            eprintln!("broker test not run: GRONDSLAG_OIDC_BROKER is not set (see .ci/run)");
            return None;
        };
        let node = crate::find_program(&["node"]).expect("node not found on PATH: the broker needs Node.js");
        let config = json!({ "port": 0, "clients": clients });
        let mut child =
            Command::new(node).arg(&script).arg(config.to_string()).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let (stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        // Owned by the guard from here on, so it is stopped on every path.
        let mut broker = Broker { child, issuer: String::new() };
        let (ready, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = ready.send(line);
            }
        });
        // Drained so node never blocks on a full pipe; shown if it fails to start.
        let (errors_to, errors) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = errors_to.send(text);
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.starts_with("READY ") => {
                    broker.issuer = line["READY ".len()..].trim().to_string();
                    return Some(broker);
                }
                Ok(_) => continue,
                Err(e) => {
                    let _ = broker.child.kill();
                    panic!("the broker did not start ({e}): {}", errors.recv_timeout(Duration::from_secs(5)).unwrap_or_default());
                }
            }
        }
    }

    /// The issuer, `http://127.0.0.1:PORT`; discovery is below it.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn post(&self, path: &str, body: Value) -> ureq::Response {
        ok(ureq::post(&format!("{}{path}", self.issuer)).send_json(body), path)
    }

    /// Whom the next authorization logs in: a `sub`, an `acr` the broker lists,
    /// and the claims that go into the ID token as they are (`{"bsn": …}`,
    /// `{"kvk": …}`, `{"bsn": …, "act": {…}}`). Stays until changed; a session
    /// at the broker logged in as someone else (or otherwise) logs in again.
    pub fn next_login(&self, sub: &str, acr: &str, claims: Value) {
        self.post("/test/next-login", json!({ "sub": sub, "acr": acr, "claims": claims }));
    }

    /// The next token response's ID token is wrong in one way, correctly
    /// signed: `wrong_audience`, `expired`, `wrong_nonce`, `unknown_key`
    /// (signed with a key the JWKS does not have), or `none`.
    pub fn misbehave(&self, mode: &str) {
        self.post("/test/misbehave", json!({ "mode": mode }));
    }

    /// A new signing key (new `kid`) signs from now on; the JWKS serves it
    /// and the one before it. Returns the new `kid`.
    pub fn rotate_keys(&self) -> String {
        let answer: Value = self.post("/test/rotate-keys", json!({})).into_json().unwrap();
        answer["kid"].as_str().unwrap().to_string()
    }

    /// How many logged-in sessions the broker holds now.
    pub fn active_sessions(&self) -> u64 {
        let answer: Value = ok(ureq::get(&format!("{}/test/sessions", self.issuer)).call(), "/test/sessions").into_json().unwrap();
        answer["active"].as_u64().unwrap()
    }

    /// `/.well-known/openid-configuration`.
    pub fn discovery(&self) -> Value {
        ok(ureq::get(&format!("{}/.well-known/openid-configuration", self.issuer)).call(), "discovery").into_json().unwrap()
    }
}

/// One browser's cookies at the broker (its session there). A test keeps
/// one per simulated browser and passes it to every [`follow`].
#[derive(Debug, Default)]
pub struct Jar {
    cookies: BTreeMap<String, String>,
}

impl Jar {
    fn header(&self) -> String {
        self.cookies.iter().map(|(name, value)| format!("{name}={value}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, response: &ureq::Response) {
        for set in response.all("set-cookie") {
            let mut parts = set.split(';').map(str::trim);
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else { continue };
            let cleared =
                value.is_empty() || parts.any(|a| a.eq_ignore_ascii_case("max-age=0") || a.to_ascii_lowercase().starts_with("expires=thu, 01 jan 1970"));
            if cleared {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }
}

fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..].find('/').map_or(url, |i| &url[..after_scheme + i])
}

fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[start..].find('"').map(|end| &tag[start..start + end])
}

/// The form a broker page submits by itself (the logout confirmation):
/// its action and hidden fields.
fn auto_submitted_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let form = &html[html.find("<form")?..];
    let form = &form[..form.find("</form>")?];
    let action = unescape(attribute(&form[..form.find('>')?], "action")?);
    let fields = form
        .match_indices("<input")
        .filter_map(|(i, _)| {
            let tag = &form[i..i + form[i..].find('>')?];
            Some((unescape(attribute(tag, "name")?), unescape(attribute(tag, "value").unwrap_or_default())))
        })
        .collect();
    Some((action, fields))
}

/// Follows the broker's redirects and self-submitting forms from `url` (an
/// authorization or logout URL the product sends the browser to) until one
/// leads outside the broker, and returns that URL (the callback with `code`
/// and `state`, or the `post_logout_redirect_uri` with `state`) unrequested.
pub fn follow(jar: &mut Jar, url: &str) -> String {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let broker = origin(url).to_string();
    let mut request = ("GET", url.to_string(), Vec::new());
    for _ in 0..20 {
        let (method, at, form) = &request;
        let call = agent.request(method, at).set("Cookie", &jar.header());
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v): &(String, String)| (k.as_str(), v.as_str())).collect();
        let response = match if *method == "POST" { call.send_form(&pairs) } else { call.call() } {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("{method} {at}: {e}"),
        };
        jar.keep(&response);
        let status = response.status();
        let next = if (300..400).contains(&status) {
            let location = response.header("location").unwrap();
            let location = if location.starts_with('/') { format!("{broker}{location}") } else { location.to_string() };
            ("GET", location, Vec::new())
        } else {
            let body = response.into_string().unwrap();
            let Some((action, fields)) = (status == 200).then(|| auto_submitted_form(&body)).flatten() else {
                panic!("{method} {at}: {status}, neither a redirect nor a form: {body}");
            };
            ("POST", action, fields)
        };
        if origin(&next.1) != broker {
            assert_eq!(next.0, "GET", "the broker posts a form outside itself: {}", next.1);
            return next.1;
        }
        request = next;
    }
    panic!("more than 20 steps at the broker from {url}");
}

/// The value of query parameter `name` in `url` (percent-decoding only what
/// the broker's values use).
pub fn query(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').filter_map(|pair| pair.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.replace("%3A", ":").replace("%2F", "/"))
}

/// Header and payload of a JWT, not verified.
pub fn decode(jwt: &str) -> (Value, Value) {
    let part = |i: usize| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').nth(i).unwrap()).unwrap()).unwrap();
    (part(0), part(1))
}

fn random() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// A relying party signing in by hand: authorization URL with PKCE S256,
/// state and nonce, the broker followed, the code exchanged. Returns the
/// token response and the nonce sent.
fn sign_in(broker: &Broker, jar: &mut Jar, client: (&str, &str, bool), redirect_uri: &str) -> (Value, String) {
    let (client_id, secret, basic) = client;
    let discovery = broker.discovery();
    let (verifier, state, nonce) = (random(), random(), random());
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let authorize = format!(
        "{}?response_type=code&client_id={client_id}&redirect_uri={redirect_uri}&scope=openid&state={state}&nonce={nonce}&code_challenge={challenge}&code_challenge_method=S256&acr_values={DIGID_MIDDEN}",
        discovery["authorization_endpoint"].as_str().unwrap()
    );
    let callback = follow(jar, &authorize);
    assert!(callback.starts_with(&format!("{redirect_uri}?")), "{callback}");
    assert_eq!(query(&callback, "state").as_deref(), Some(state.as_str()));
    assert_eq!(query(&callback, "iss").as_deref(), Some(broker.issuer()), "RFC 9207: the callback names the issuer");
    let code = query(&callback, "code").unwrap();
    let token = ureq::post(discovery["token_endpoint"].as_str().unwrap());
    let mut form = vec![("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", redirect_uri), ("code_verifier", &verifier)];
    let token = if basic {
        token.set("Authorization", &format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}"))))
    } else {
        form.extend([("client_id", client_id), ("client_secret", secret)]);
        token
    };
    (ok(token.send_form(&form), "token").into_json().unwrap(), nonce)
}

fn kids(broker: &Broker) -> Vec<String> {
    let jwks: Value = ok(ureq::get(broker.discovery()["jwks_uri"].as_str().unwrap()).call(), "jwks").into_json().unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_local_broker_issues_a_signed_id_token_with_bsn_and_acr() {
    let (callback, logged_out) = ("http://127.0.0.1:9/inloggen/digid", "http://127.0.0.1:9/uitgelogd");
    let Some(broker) = Broker::start(json!([
        { "client_id": "grondslag", "client_secret": "geheim", "redirect_uris": [callback], "post_logout_redirect_uris": [logged_out] },
        { "client_id": "grondslag-post", "client_secret": "ook-geheim", "redirect_uris": [callback], "token_endpoint_auth_method": "client_secret_post" }
    ])) else {
        return;
    };
    let discovery = broker.discovery();
    assert_eq!(discovery["issuer"], broker.issuer());
    for acr in [DIGID_BASIS, DIGID_MIDDEN, DIGID_SUBSTANTIEEL, DIGID_HOOG, EH_LOA3] {
        assert!(discovery["acr_values_supported"].as_array().unwrap().iter().any(|a| a == acr), "{acr}");
    }
    assert_eq!(discovery["code_challenge_methods_supported"], json!(["S256"]));
    let client = ("grondslag", "geheim", true);
    let mut jar = Jar::default();

    broker.next_login("s-anna", DIGID_MIDDEN, json!({ "bsn": ANNA_BSN }));
    let (tokens, nonce) = sign_in(&broker, &mut jar, client, callback);
    let (header, id) = decode(tokens["id_token"].as_str().unwrap());
    assert_eq!(header["alg"], "RS256");
    let first_kid = header["kid"].as_str().unwrap().to_string();
    assert_eq!(kids(&broker), std::slice::from_ref(&first_kid));
    assert_eq!((&id["sub"], &id["bsn"], &id["acr"]), (&json!("s-anna"), &json!(ANNA_BSN), &json!(DIGID_MIDDEN)));
    assert_eq!((&id["nonce"], &id["aud"], &id["iss"]), (&json!(nonce), &json!("grondslag"), &json!(broker.issuer())));

    // Each misbehaviour spoils one token response only, with one thing wrong.
    let now = jiff::Timestamp::now().as_second();
    for mode in ["wrong_audience", "expired", "wrong_nonce", "unknown_key"] {
        broker.misbehave(mode);
        let (tokens, nonce) = sign_in(&broker, &mut jar, client, callback);
        let (header, id) = decode(tokens["id_token"].as_str().unwrap());
        assert_eq!(id["bsn"], ANNA_BSN, "{mode}");
        assert_eq!(id["aud"] == "grondslag", mode != "wrong_audience", "{mode}: {id}");
        assert_eq!(id["exp"].as_i64().unwrap() > now, mode != "expired", "{mode}: {id}");
        assert_eq!(id["nonce"] == nonce.as_str(), mode != "wrong_nonce", "{mode}: {id}");
        let kid = header["kid"].as_str().unwrap().to_string();
        assert_eq!(kids(&broker).contains(&kid), mode != "unknown_key", "{mode}: {kid} in the JWKS");
    }
    let (tokens, _) = sign_in(&broker, &mut jar, client, callback);
    assert_eq!(decode(tokens["id_token"].as_str().unwrap()).1["aud"], "grondslag", "back to normal");

    let new_kid = broker.rotate_keys();
    assert_ne!(new_kid, first_kid);
    assert_eq!(kids(&broker), [new_kid.clone(), first_kid.clone()], "the new key signs, the previous one is still published");
    let (tokens, _) = sign_in(&broker, &mut jar, client, callback);
    assert_eq!(decode(tokens["id_token"].as_str().unwrap()).0["kid"], new_kid.as_str());

    // DigiD Machtigen, through the client that authenticates with client_secret_post:
    // another login at the same browser replaces the session's.
    let represented = json!({ "bsn": crate::server::BERT_BSN, "act": { "bsn": ANNA_BSN, "service": "urn:nl-eid-gdi:1.0:DV:00000001234567890000:services:0" } });
    broker.next_login("s-anna-voor-bert", DIGID_SUBSTANTIEEL, represented.clone());
    let (tokens, _) = sign_in(&broker, &mut jar, ("grondslag-post", "ook-geheim", false), callback);
    let id = decode(tokens["id_token"].as_str().unwrap()).1;
    assert_eq!((&id["sub"], &id["acr"]), (&json!("s-anna-voor-bert"), &json!(DIGID_SUBSTANTIEEL)));
    assert_eq!((&id["bsn"], &id["act"]), (&represented["bsn"], &represented["act"]));

    // RP-initiated logout as the product sends it: client_id, no id_token_hint.
    assert_eq!(broker.active_sessions(), 1);
    let end = discovery["end_session_endpoint"].as_str().unwrap();
    let back = follow(&mut jar, &format!("{end}?client_id=grondslag&post_logout_redirect_uri={logged_out}&state=tot-ziens"));
    assert_eq!(back, format!("{logged_out}?state=tot-ziens"));
    assert_eq!(broker.active_sessions(), 0, "the broker's session ended");
    // Without a session at the broker (it ended, or expired) logout still leads back.
    let again = follow(&mut jar, &format!("{end}?client_id=grondslag&post_logout_redirect_uri={logged_out}&state=nog-eens"));
    assert_eq!(again, format!("{logged_out}?state=nog-eens"));
}

/// A relying party on `localhost` (another site than the broker's
/// 127.0.0.1) that only sends the browser on, as the product's sign-in
/// button will: `/start` is a page with a link to `/go`, which redirects to
/// whatever `to` holds; every other path answers 200.
fn bouncer(to: std::sync::Arc<std::sync::Mutex<String>>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let answer = if line.starts_with("GET /start ") {
                let page = r#"<!DOCTYPE html><html lang="nl"><title>RP</title><a id="go" href="/go">Inloggen met DigiD</a></html>"#;
                format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}", page.len())
            } else if line.starts_with("GET /go ") {
                format!("HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", to.lock().unwrap())
            } else {
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_string()
            };
            let _ = std::io::Write::write_all(&mut stream, answer.as_bytes());
        }
    });
    port
}

async fn browse_until(browser: &fantoccini::Client, start: &str, prefix: &str) -> String {
    // A link the page follows, not a typed address: the navigation to the
    // broker starts from the relying party's site, as SameSite judges it.
    browser.goto(start).await.unwrap();
    browser.find(fantoccini::Locator::Id("go")).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let url = browser.current_url().await.unwrap().to_string();
        if url.starts_with(prefix) {
            return url;
        }
        assert!(Instant::now() < deadline, "still at {url}, waiting for {prefix}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// In Chromium, from a relying party on `localhost`: the broker's cookies
/// (127.0.0.1, plain http, SameSite=Lax) come back on the cross-site
/// redirects, so a second sign-in reuses the broker's session, and the
/// logout confirmation submits itself and ends it.
#[tokio::test(flavor = "multi_thread")]
async fn in_a_browser_the_broker_keeps_its_session_across_sites_and_logout_ends_it() {
    let Some(driver) = crate::browser::driver() else { return };
    let to = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let rp = format!("http://localhost:{}", bouncer(to.clone()));
    let (callback, logged_out) = (format!("{rp}/terug"), format!("{rp}/uit"));
    let Some(broker) = Broker::start(json!([
        { "client_id": "grondslag", "client_secret": "geheim", "redirect_uris": [callback], "post_logout_redirect_uris": [logged_out] }
    ])) else {
        return;
    };
    let discovery = broker.discovery();
    broker.next_login("s-anna", DIGID_MIDDEN, json!({ "bsn": ANNA_BSN }));
    let (profile, downloads) = (tempfile::TempDir::new().unwrap(), tempfile::TempDir::new().unwrap());
    let browser = crate::browser::browser(&driver, profile.path(), downloads.path()).await;
    for round in 0..2 {
        let (verifier, state, nonce) = (random(), random(), random());
        let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
        *to.lock().unwrap() = format!(
            "{}?response_type=code&client_id=grondslag&redirect_uri={callback}&scope=openid&state={state}&nonce={nonce}&code_challenge={challenge}&code_challenge_method=S256",
            discovery["authorization_endpoint"].as_str().unwrap()
        );
        let back = browse_until(&browser, &format!("{rp}/start"), &format!("{callback}?")).await;
        assert_eq!(query(&back, "state").as_deref(), Some(state.as_str()), "round {round}");
        let code = query(&back, "code").unwrap();
        let form = [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &callback), ("code_verifier", &verifier)];
        let token = ureq::post(discovery["token_endpoint"].as_str().unwrap()).set("Authorization", &format!("Basic {}", STANDARD.encode("grondslag:geheim")));
        let tokens: Value = ok(token.send_form(&form), "token").into_json().unwrap();
        assert_eq!(decode(tokens["id_token"].as_str().unwrap()).1["bsn"], ANNA_BSN, "round {round}");
        // A second login would have made a second session: the cookie came back.
        assert_eq!(broker.active_sessions(), 1, "round {round}");
    }
    *to.lock().unwrap() =
        format!("{}?client_id=grondslag&post_logout_redirect_uri={logged_out}&state=tot-ziens", discovery["end_session_endpoint"].as_str().unwrap());
    let back = browse_until(&browser, &format!("{rp}/start"), &logged_out).await;
    assert_eq!(back, format!("{logged_out}?state=tot-ziens"));
    assert_eq!(broker.active_sessions(), 0, "the broker's session ended");
    browser.close().await.unwrap();
}
