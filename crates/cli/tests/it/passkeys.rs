//! Passkeys as a second factor for staff (WebAuthn): added on
//! `/beveiliging`, used instead of the code on the code page. In a real
//! browser with a WebDriver virtual authenticator (W3C WebAuthn Level 2
//! §11), against `grondslag serve` whose public origin is
//! `http://localhost:PORT` (WebAuthn refuses an IP address); and the
//! refusals over plain HTTP.

use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client as Browser, Locator};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::browser::{assert_accessible_basics, browser, driver, text};
use crate::server::{Client, Person, Server, create_account, world};

/// `POST /session/{id}/webauthn/authenticator`: a platform authenticator
/// that verifies its user and keeps resident keys.
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/webauthn/authenticator", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"protocol": "ctap2", "transport": "internal", "hasResidentKey": true, "hasUserVerification": true, "isUserVerified": true});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Waits until the browser's address ends with `path`.
async fn wait_for_path(browser: &Browser, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let url = browser.current_url().await.unwrap();
        if url.path() == path {
            return;
        }
        assert!(Instant::now() < deadline, "still at {url}, not {path}: {}", text(browser).await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Step one of signing in: the password; the code page is shown.
async fn password_step(browser: &Browser, origin: &str, person: &Person) {
    browser.goto(&format!("{origin}/inloggen")).await.unwrap();
    browser.find(Locator::Id("username")).await.unwrap().send_keys(&person.username).await.unwrap();
    browser.find(Locator::Id("password")).await.unwrap().send_keys(&person.password).await.unwrap();
    browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Id("code")).await.unwrap();
}

async fn sign_in_with_code(browser: &Browser, origin: &str, person: &Person) {
    password_step(browser, origin, person).await;
    browser.find(Locator::Id("code")).await.unwrap().send_keys(&person.code()).await.unwrap();
    browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Css("form.signout")).await.unwrap();
}

/// Signs out with the button every page of a signed-in person has.
async fn sign_out(browser: &Browser, origin: &str) {
    browser.goto(&format!("{origin}/beheer")).await.unwrap();
    browser.find(Locator::Css("form.signout button")).await.unwrap().click().await.unwrap();
    wait_for_path(browser, "/").await;
}

/// Adds a passkey named `name` on `/beveiliging`, as its holder does.
async fn add_passkey(browser: &Browser, origin: &str, name: &str) {
    browser.goto(&format!("{origin}/beveiliging")).await.unwrap();
    browser.find(Locator::Id("passkey-naam")).await.unwrap().send_keys(name).await.unwrap();
    browser.find(Locator::Id("passkey-toevoegen")).await.unwrap().click().await.unwrap();
    let listed = format!("//table[contains(@class, 'passkeys')]//td[normalize-space() = '{name}']");
    let found = browser.wait().at_most(Duration::from_secs(15)).for_element(Locator::XPath(&listed)).await;
    assert!(found.is_ok(), "the passkey {name} is not listed: {}", text(browser).await);
}

/// The sign-in ceremony done by hand, in the page, so that a test can
/// change what the browser sends: the options are fetched (a new ceremony
/// in the session), the authenticator signs with the credentials `allow`
/// names (by default those the options name), or `replay` is sent instead
/// of a new assertion. Returns the answers' statuses, the refusal's code
/// and Dutch reason (the error page's `data-code` and text), the options'
/// credentials and the assertion sent.
const CEREMONY: &str = r#"
const [allow, replay] = arguments;
function toBuffer(text) {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
  return Uint8Array.from(binary, c => c.charCodeAt(0)).buffer;
}
function toText(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
async function post(path, body) {
  const response = await fetch(path, { method: 'POST', redirect: 'manual',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const page = new DOMParser().parseFromString(text, 'text/html').querySelector('.refusal');
  return { status: response.status, code: page ? page.dataset.code : null, reason: page ? page.textContent.trim() : null, text };
}
const options = await post('/inloggen/passkey/opties');
if (options.status !== 200) return { options };
const publicKey = JSON.parse(options.text).publicKey;
const allowed = publicKey.allowCredentials;
let answer = replay;
if (!answer) {
  publicKey.challenge = toBuffer(publicKey.challenge);
  publicKey.allowCredentials = (allow || allowed).map(c => ({ type: 'public-key', id: toBuffer(c.id) }));
  const credential = await navigator.credentials.get({ publicKey });
  answer = { id: credential.id, rawId: toText(credential.rawId), type: credential.type, extensions: {}, response: {
    authenticatorData: toText(credential.response.authenticatorData), clientDataJSON: toText(credential.response.clientDataJSON),
    signature: toText(credential.response.signature), userHandle: credential.response.userHandle ? toText(credential.response.userHandle) : null } };
}
const result = await post('/inloggen/passkey', { credential: answer });
return { options: { status: options.status }, allowed, answer, result: { status: result.status, code: result.code, reason: result.reason, text: result.text } };
"#;

/// Posts `answer` as the assertion without fetching options first.
const POST_ONLY: &str = r#"
const [answer] = arguments;
const response = await fetch('/inloggen/passkey', { method: 'POST', redirect: 'manual', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ credential: answer }) });
const page = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('.refusal');
return { status: response.status, code: page ? page.dataset.code : null, reason: page ? page.textContent.trim() : null };
"#;

fn failed_sign_ins(dir: &std::path::Path) -> Vec<i64> {
    let db = crate::sqlite(dir);
    let mut query = db.prepare("SELECT failures FROM login_failures ORDER BY failures").unwrap();
    query.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

// req: E17
#[tokio::test(flavor = "multi_thread")]
async fn a_case_handler_adds_a_passkey_and_signs_in_with_it_instead_of_the_code() {
    let Some(driver) = driver() else { return };
    let world = world();
    let dirk = create_account(&world.place, "dirk", "case_handler", None);
    let (_server, origin) = Server::start_at_localhost(world.dir.path());
    let (profile, downloads) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let browser = browser(&driver, profile.path(), downloads.path()).await;
    let added = browser.issue_cmd(AddVirtualAuthenticator).await.unwrap();
    assert!(added.as_str().is_some_and(|id| !id.is_empty()), "a virtual authenticator: {added}");

    // Carla signs in with password and code, and adds a passkey.
    sign_in_with_code(&browser, &origin, &world.handler).await;
    browser.goto(&format!("{origin}/beveiliging")).await.unwrap();
    assert_accessible_basics(&browser).await;
    add_passkey(&browser, &origin, "Laptop").await;
    assert!(text(&browser).await.contains("nog niet"), "not used yet");
    assert_accessible_basics(&browser).await;
    sign_out(&browser, &origin).await;

    // With the password and the passkey, no code typed, she reaches the back office.
    password_step(&browser, &origin, &world.handler).await;
    assert_accessible_basics(&browser).await;
    browser.find(Locator::Id("passkey-inloggen")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/beheer").await;
    browser.wait().for_element(Locator::Css("form.signout")).await.unwrap();
    assert!(text(&browser).await.contains("Ingelogd als carla"));
    browser.goto(&format!("{origin}/beveiliging")).await.unwrap();
    assert!(!text(&browser).await.contains("nog niet"), "the use is recorded on the passkey");
    sign_out(&browser, &origin).await;

    // Carla's passkey, as the options of her own sign-in name it.
    password_step(&browser, &origin, &world.handler).await;
    let carla = browser.execute(CEREMONY, vec![Value::Null, Value::Null]).await.unwrap();
    assert_eq!(carla["result"]["status"], 200, "{carla}");
    let carla_allowed = carla["allowed"].clone();
    let carla_answer = carla["answer"].clone();
    assert_eq!(carla_allowed.as_array().unwrap().len(), 1, "{carla_allowed}");
    sign_out(&browser, &origin).await;

    // Dirk, a case handler too, adds a passkey of his own in the same authenticator.
    sign_in_with_code(&browser, &origin, &dirk).await;
    add_passkey(&browser, &origin, "Sleutel").await;
    sign_out(&browser, &origin).await;
    assert_eq!(failed_sign_ins(world.dir.path()), Vec::<i64>::new());

    // In Dirk's session, an assertion by Carla's passkey (for the challenge
    // of Dirk's ceremony) is a wrong second factor, and counts as a failure.
    password_step(&browser, &origin, &dirk).await;
    let crossed = browser.execute(CEREMONY, vec![carla_allowed.clone(), Value::Null]).await.unwrap();
    assert_eq!(crossed["options"]["status"], 200, "{crossed}");
    assert_ne!(crossed["allowed"], carla_allowed, "Dirk's options name his passkey, not Carla's");
    assert_eq!(crossed["result"]["status"], 401, "{crossed}");
    assert_eq!(crossed["result"]["code"], "sign_in_failed", "{crossed}");
    assert!(crossed["result"]["reason"].as_str().unwrap().contains("De passkey is niet geaccepteerd"), "{crossed}");
    assert_eq!(failed_sign_ins(world.dir.path()), vec![1], "the failure counts towards the lock");
    // Still at the second step: his own passkey lets him in.
    let own = browser.execute(CEREMONY, vec![Value::Null, Value::Null]).await.unwrap();
    assert_eq!(own["result"]["status"], 200, "{own}");
    assert_eq!(failed_sign_ins(world.dir.path()), Vec::<i64>::new(), "a success ends the count");
    sign_out(&browser, &origin).await;

    // A replayed assertion is refused: against a new ceremony, and with none.
    password_step(&browser, &origin, &world.handler).await;
    let replayed = browser.execute(CEREMONY, vec![Value::Null, carla_answer.clone()]).await.unwrap();
    assert_eq!(replayed["options"]["status"], 200, "{replayed}");
    assert_eq!(replayed["result"]["status"], 401, "{replayed}");
    assert_eq!(replayed["result"]["code"], "sign_in_failed", "{replayed}");
    // The ceremony was used up by that attempt: the same answer again finds none.
    let again = browser.execute(POST_ONLY, vec![carla_answer]).await.unwrap();
    assert_eq!(again["status"], 401, "{again}");
    assert_eq!(again["code"], "sign_in_failed", "{again}");
    assert_eq!(failed_sign_ins(world.dir.path()), vec![2]);
    // Not signed in by any of it.
    browser.goto(&format!("{origin}/beheer")).await.unwrap();
    wait_for_path(&browser, "/inloggen").await;

    // Dirk removes his passkey (found from the back office); his code page then offers none.
    password_step(&browser, &origin, &dirk).await;
    let own = browser.execute(CEREMONY, vec![Value::Null, Value::Null]).await.unwrap();
    assert_eq!(own["result"]["status"], 200, "{own}");
    browser.goto(&format!("{origin}/beheer")).await.unwrap();
    browser.find(Locator::Css("a[href='/beveiliging']")).await.unwrap().click().await.unwrap();
    wait_for_path(&browser, "/beveiliging").await;
    browser.find(Locator::Css("button[aria-label='Passkey Sleutel verwijderen']")).await.unwrap().click().await.unwrap();
    let none = browser.wait().at_most(Duration::from_secs(10)).for_element(Locator::XPath("//p[normalize-space() = 'Je hebt nog geen passkey.']")).await;
    assert!(none.is_ok(), "the passkey is still listed: {}", text(&browser).await);
    sign_out(&browser, &origin).await;
    password_step(&browser, &origin, &dirk).await;
    assert!(browser.find(Locator::Id("passkey-inloggen")).await.is_err(), "no passkey offered once removed");
    browser.close().await.unwrap();
}

// req: E17
#[test]
fn passkeys_are_refused_with_a_reason_to_applicants_without_a_csrf_token_and_before_the_password() {
    let world = world();
    let (server, _origin) = Server::start_at_localhost(world.dir.path());

    // The script is served, and only the pages that run it allow script.
    let mut anonymous = Client::new(&server);
    let script = anonymous.get("/static/passkey.js");
    assert_eq!(script.status, 200);
    assert!(script.header("content-type").unwrap().starts_with("text/javascript"));
    assert!(script.body.contains("navigator.credentials.create"));
    let home = anonymous.get("/");
    assert!(!home.header("content-security-policy").unwrap().contains("script-src"), "no script on other pages");

    // Without a session that passed the password, no sign-in options: to the sign-in page.
    let refused = anonymous.post("/inloggen/passkey/opties", None);
    assert_eq!(refused.status, 303, "{}", refused.body);
    assert!(refused.header("location").unwrap().starts_with("/inloggen"));

    // An applicant is told why not, on the page and when asking to enrol.
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let page = anna.get("/beveiliging");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-code=\"passkey_staff_only\"") && page.body.contains("alleen voor medewerkers"), "{}", page.body);
    let csrf = anna.csrf();
    let refused = anna.post("/beveiliging/passkeys/opties", Some(&csrf));
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("data-code=\"passkey_staff_only\""), "{}", refused.body);
    assert!(refused.body.contains("Aanvragers en gemachtigden loggen in met DigiD"), "{}", refused.body);

    // Staff without the session's CSRF token are refused (ServerError::Csrf).
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let security = carla.get("/beveiliging");
    assert_eq!(security.status, 200);
    assert!(security.body.contains("Passkey toevoegen") && security.body.contains("Je hebt nog geen passkey."), "{}", security.body);
    let policy = security.header("content-security-policy").unwrap();
    assert!(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'") && !policy.contains("unsafe-inline"), "{policy}");
    for (path, body) in [("/beveiliging/passkeys/opties", None), ("/beveiliging/passkeys", Some(json!({"name": "Laptop", "credential": {}})))] {
        let refused = match body {
            Some(body) => carla.post_json(path, None, body),
            None => carla.post(path, None),
        };
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(refused.body.contains("data-code=\"csrf\""), "{path}: {}", refused.body);
        let forged = carla.post(path, Some("not-the-token"));
        assert_eq!(forged.status, 403, "{path}: {}", forged.body);
    }
    // A complete session is past the second step: no sign-in options either.
    let complete = carla.post("/inloggen/passkey/opties", None);
    assert_eq!(complete.status, 303, "{}", complete.body);
    assert!(complete.header("location").unwrap().starts_with("/inloggen"));
    // Finishing an enrolment that was never started.
    let csrf = carla.csrf();
    let unstarted = carla.post_json(
        "/beveiliging/passkeys",
        Some(&csrf),
        json!({"name": "Laptop", "credential": {
        "id": "AA", "rawId": "AA", "type": "public-key", "response": {"attestationObject": "AA", "clientDataJSON": "AA"}}}),
    );
    assert_eq!(unstarted.status, 409, "{}", unstarted.body);
    assert!(unstarted.body.contains("data-code=\"passkey_not_started\""), "{}", unstarted.body);

    // At the second step, an account without a passkey gets no options, and the code page offers none.
    let mut second = Client::new(&server);
    let first = second.post_form("/inloggen", &[("username", &world.handler.username), ("password", &world.handler.password)]);
    assert_eq!(first.status, 303);
    let code_page = second.get("/inloggen/code");
    assert!(!code_page.body.contains("passkey-inloggen"), "{}", code_page.body);
    assert!(!code_page.header("content-security-policy").unwrap().contains("script-src"));
    let none = second.post("/inloggen/passkey/opties", None);
    assert_eq!(none.status, 409, "{}", none.body);
    assert!(none.body.contains("data-code=\"no_passkey\""), "{}", none.body);
    assert!(server.stop());

    // Served without a public origin with a domain name, passkeys are not offered, and the page says so.
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let page = carla.get("/beveiliging");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Passkeys zijn hier niet beschikbaar") && !page.body.contains("passkey-toevoegen"), "{}", page.body);
    let csrf = carla.csrf();
    let unavailable = carla.post("/beveiliging/passkeys/opties", Some(&csrf));
    assert_eq!(unavailable.status, 409, "{}", unavailable.body);
    assert!(unavailable.body.contains("data-code=\"passkeys_unavailable\""), "{}", unavailable.body);
}
