//! The pages in a real browser: headless Chromium driven through
//! chromedriver (WebDriver), against `grondslag serve` on loopback.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages); `.ci/run`
//! installs them and sets GRONDSLAG_REQUIRE_BROWSER=1, so on CI a missing
//! browser fails these tests. Elsewhere they say so on stderr and pass.
//! Every page a test visits is checked with axe-core (WCAG 2.1 A and AA)
//! from GRONDSLAG_AXE, the path of `axe.min.js` that `.ci/run` installs
//! from npm; required as the browser is.
//! With GRONDSLAG_SCREENSHOTS=<dir>, the main pages are saved there as PNG
//! (docs/screenshots holds the committed ones).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, ClientBuilder, Locator};
use tempfile::TempDir;

use crate::find_program;
use crate::server::{Person, Server, world};

pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// chromedriver on a free port, or None when it is not installed (and not required).
pub(crate) fn driver() -> Option<Driver> {
    let Some(program) = find_program(&["chromedriver"]) else {
        assert!(std::env::var_os("GRONDSLAG_REQUIRE_BROWSER").is_none(), "chromedriver not found: apt-get install chromium chromium-driver");
        eprintln!("browser test not run: chromedriver not found (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = crate::server::free_port();
    let child = Command::new(program).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    // Owned by the guard from here on, so it is stopped on every path.
    let driver = Driver { child, url: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if ureq::get(&format!("{}/status", driver.url)).call().is_ok() {
            return Some(driver);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("chromedriver did not start");
}

pub(crate) async fn browser(driver: &Driver, profile: &Path, downloads: &Path) -> Browser {
    let binary = find_program(&["chromium", "chromium-browser", "google-chrome"]).expect("chromium not found: apt-get install chromium");
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": binary,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())],
            "prefs": { "download.default_directory": downloads, "download.prompt_for_download": false }
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else { unreachable!() };
    ClientBuilder::native().capabilities(capabilities).connect(&driver.url).await.unwrap()
}

async fn screenshot(browser: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("GRONDSLAG_SCREENSHOTS") {
        let png = browser.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

async fn sign_in(browser: &Browser, base: &str, person: &Person) {
    browser.goto(&format!("{base}/inloggen")).await.unwrap();
    browser.find(Locator::Id("username")).await.unwrap().send_keys(&person.username).await.unwrap();
    browser.find(Locator::Id("password")).await.unwrap().send_keys(&person.password).await.unwrap();
    browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Id("code")).await.unwrap().send_keys(&person.code()).await.unwrap();
    browser.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.wait().for_element(Locator::Css("form.signout")).await.unwrap();
}

pub(crate) async fn text(browser: &Browser) -> String {
    browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

/// The source of axe-core, or None when GRONDSLAG_AXE is not set (and the
/// browser is not required).
fn axe() -> Option<&'static str> {
    static AXE: OnceLock<Option<String>> = OnceLock::new();
    AXE.get_or_init(|| match std::env::var_os("GRONDSLAG_AXE") {
        Some(path) => Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("GRONDSLAG_AXE={}: {e}", Path::new(&path).display()))),
        None => {
            assert!(
                std::env::var_os("GRONDSLAG_REQUIRE_BROWSER").is_none(),
                "GRONDSLAG_AXE is not set: npm install --prefix .ci/axe axe-core@4 and point it at axe.min.js (as .ci/run does)"
            );
            eprintln!("axe-core not run: GRONDSLAG_AXE is not set (see .ci/run)");
            None
        }
    })
    .as_deref()
}

/// axe-core finds no violation of WCAG 2.1 A or AA on the page shown;
/// a failure lists each with its rule, impact and elements.
pub async fn assert_axe_passes(browser: &Browser) {
    let Some(axe) = axe() else { return };
    let script = format!(
        "{axe}\n;const result = await axe.run(document, {{runOnly: {{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}}}});\
         return {{ passed: result.passes.length, violations: result.violations.map(v => `${{v.id}} (${{v.impact}}): ${{v.nodes.map(n => n.target.join(' ')).join(', ')}} — ${{v.help}}`) }};"
    );
    let result = browser.execute(&script, vec![]).await.unwrap();
    let url = browser.current_url().await.unwrap();
    assert!(result["passed"].as_u64().is_some_and(|n| n > 0), "axe-core did not run on {url}: {result}");
    assert_eq!(result["violations"], serde_json::json!([]), "axe-core: WCAG 2.1 A/AA violations on {url}");
}

/// Every visible form control has a label, the page says it is Dutch and
/// has one h1, a skip link leads to the content, and axe-core passes.
pub(crate) async fn assert_accessible_basics(browser: &Browser) {
    let result = browser
        .execute(
            "const unlabelled = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(e => e.labels.length === 0).map(e => e.name);\
             return { unlabelled, lang: document.documentElement.lang, h1: document.querySelectorAll('h1').length, skip: !!document.querySelector('a.skip[href=\"#inhoud\"]') && !!document.getElementById('inhoud') };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(result["unlabelled"], serde_json::json!([]), "controls without a label");
    assert_eq!(result["lang"], "nl");
    assert_eq!(result["h1"], 1);
    assert_eq!(result["skip"], true);
    assert_axe_passes(browser).await;
}

/// Visits each of `paths` in turn and checks it.
async fn assert_pages_accessible(browser: &Browser, base: &str, paths: &[String]) {
    for path in paths {
        browser.goto(&format!("{base}{path}")).await.unwrap();
        assert_accessible_basics(browser).await;
    }
}

// req: E0.7
#[tokio::test(flavor = "multi_thread")]
async fn axe_core_finds_no_wcag_violation_on_any_public_or_portal_page() {
    let Some(driver) = driver() else { return };
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let base = server.base.clone();
    let downloads = TempDir::new().unwrap();
    let public: Vec<String> = [
        "/",
        "/toegankelijkheid",
        "/privacyverklaring/versies",
        "/contact",
        "/nieuwsbrief",
        "/nieuwsbrief/afmelden?token=x",
        "/acuut-onveilig",
        "/inloggen",
        "/bestaat-niet",
    ]
    .map(String::from)
    .to_vec();
    let portals: [(&Person, Vec<String>); 3] = [
        (&world.anna, vec!["/mijn-gegevens".into(), format!("/mijn-gegevens/zaken/{}", world.anna_case), "/toegankelijkheid".into()]),
        (
            &world.handler,
            vec![
                "/beheer".into(),
                "/beheer/zaken".into(),
                format!("/beheer/zaken/{}", world.anna_case),
                "/beheer/verstrekkingen".into(),
                "/beheer/verzoeken".into(),
            ],
        ),
        (
            &world.privacy,
            ["/beheer", "/beheer/verzoeken", "/beheer/bewaren", "/beheer/audit", "/beheer/inzagelog", "/beheer/teamapplicaties"].map(String::from).to_vec(),
        ),
    ];
    let profile = TempDir::new().unwrap();
    let visitor = browser(&driver, profile.path(), downloads.path()).await;
    assert_pages_accessible(&visitor, &base, &public).await;
    // The statements are documents of their own (rendered from the register), not pages of the layout.
    for statement in ["/privacyverklaring", "/privacyverklaring/kinderen", "/privacyverklaring/versies/2024.05"] {
        visitor.goto(&format!("{base}{statement}")).await.unwrap();
        assert_axe_passes(&visitor).await;
    }
    visitor.close().await.unwrap();
    for (person, paths) in portals {
        let profile = TempDir::new().unwrap();
        let signed_in = browser(&driver, profile.path(), downloads.path()).await;
        sign_in(&signed_in, &base, person).await;
        assert_pages_accessible(&signed_in, &base, &paths).await;
        if person.username == world.privacy.username {
            for statement in ["staff", "kcc"] {
                signed_in.goto(&format!("{base}/privacyverklaring?verklaring={statement}")).await.unwrap();
                assert_axe_passes(&signed_in).await;
            }
        }
        signed_in.close().await.unwrap();
    }
}

// req: E0.8
#[tokio::test(flavor = "multi_thread")]
async fn a_form_sent_back_links_its_error_to_the_field() {
    let Some(driver) = driver() else { return };
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let base = server.base.clone();
    let (profile, downloads) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let visitor = browser(&driver, profile.path(), downloads.path()).await;
    visitor.goto(&format!("{base}/acuut-onveilig")).await.unwrap();
    for (field, value) in
        [("name", "Dirk Smit"), ("phone", "0595 123 456"), ("email", "dirk@example.nl"), ("address", "Dijk 1"), ("postcode_city", "Uithuizen")]
    {
        visitor.find(Locator::Id(field)).await.unwrap().send_keys(value).await.unwrap();
    }
    visitor.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    let summary = visitor.wait().for_element(Locator::Css(".error-summary[role=alert] a")).await.unwrap();
    assert_eq!(summary.attr("href").await.unwrap().as_deref(), Some("#postcode_city"), "the summary links to the field");
    let field = visitor.find(Locator::Id("postcode_city")).await.unwrap();
    assert_eq!(field.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
    let described = field.attr("aria-describedby").await.unwrap().unwrap();
    let message = visitor.find(Locator::Id("postcode_city-fout")).await.unwrap().text().await.unwrap();
    assert!(described.split(' ').any(|id| id == "postcode_city-fout"), "described by the error: {described}");
    assert!(message.contains("Postcode: ") && message.contains("moet bestaan uit 4 cijfers en 2 letters"), "in Dutch: {message}");
    // The other fields are not marked.
    assert_eq!(visitor.find(Locator::Id("phone")).await.unwrap().attr("aria-invalid").await.unwrap(), None);
    assert_accessible_basics(&visitor).await;
    screenshot(&visitor, "formulier-fout").await;

    // The same helper on the sign-in's second step: a wrong code.
    visitor.goto(&format!("{base}/inloggen")).await.unwrap();
    visitor.find(Locator::Id("username")).await.unwrap().send_keys(&world.anna.username).await.unwrap();
    visitor.find(Locator::Id("password")).await.unwrap().send_keys(&world.anna.password).await.unwrap();
    visitor.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    visitor.wait().for_element(Locator::Id("code")).await.unwrap().send_keys("000000").await.unwrap();
    visitor.find(Locator::Css("main button[type=submit]")).await.unwrap().click().await.unwrap();
    let summary = visitor.wait().for_element(Locator::Css(".error-summary a")).await.unwrap();
    assert_eq!(summary.attr("href").await.unwrap().as_deref(), Some("#code"));
    assert_eq!(visitor.find(Locator::Id("code")).await.unwrap().attr("aria-describedby").await.unwrap().as_deref(), Some("code-fout"));
    assert_accessible_basics(&visitor).await;
    visitor.close().await.unwrap();
}

// req: E22
#[tokio::test(flavor = "multi_thread")]
async fn an_applicant_files_an_access_request_in_the_browser_and_the_privacy_officer_answers_it() {
    let Some(driver) = driver() else { return };
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let base = server.base.clone();
    let (profile, downloads) = (TempDir::new().unwrap(), TempDir::new().unwrap());

    // A case handler reads Anna's case, so that someone shows in her log.
    let mut carla_http = crate::server::Client::new(&server);
    carla_http.sign_in(&world.handler);
    assert_eq!(carla_http.get(&format!("/api/v1/cases/{}", world.anna_case)).status, 200);

    let anna = browser(&driver, profile.path(), downloads.path()).await;
    sign_in(&anna, &base, &world.anna).await;
    assert!(anna.current_url().await.unwrap().as_str().ends_with("/mijn-gegevens"));
    let page = text(&anna).await;
    assert!(page.contains(&world.anna_case), "her application is listed");
    assert!(page.contains("Wanneer zijn mijn gegevens bekeken, en waarvoor?"));
    assert!(page.contains("behandelaar"), "the case handler's reading shows, as such");
    assert!(!page.contains("carla"), "by the kind of party, never the employee's name (C-579/21)");
    assert!(page.contains("Fysieke schade en materiële gevolgschade"));
    assert_accessible_basics(&anna).await;
    screenshot(&anna, "mijn-gegevens").await;

    // She files an access request with the keyboard-usable form.
    anna.find(Locator::Id("kind")).await.unwrap().select_by_value("access").await.unwrap();
    // The day it is received in Amsterdam, which may turn while she files.
    let filing = jiff::Timestamp::now();
    anna.find(Locator::Css("form[action='/mijn-gegevens/verzoeken'] button")).await.unwrap().click().await.unwrap();
    let requests = anna.wait().for_element(Locator::Css("#verzoeken table")).await.unwrap().text().await.unwrap();
    let filed = jiff::Timestamp::now();
    assert!(requests.contains("Inzage in mijn gegevens"), "{requests}");
    assert!(requests.contains("wij controleren je identiteit"), "{requests}");

    // She downloads her data.
    anna.find(Locator::Css("a[href='/api/v1/me/data']")).await.unwrap().click().await.unwrap();
    // Generous: on a machine busy with other tests Chromium is slow to save.
    let deadline = Instant::now() + Duration::from_secs(60);
    let file = loop {
        let found = std::fs::read_dir(downloads.path()).unwrap().filter_map(Result::ok).map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "json"));
        if let Some(file) = found {
            break file;
        }
        assert!(Instant::now() < deadline, "no download arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let export: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(export["processings"].as_array().unwrap().iter().any(|p| p["id"] == "fysieke_schade"));
    anna.close().await.unwrap();

    // The privacy officer sees it in the queue with its due date and answers it.
    let profile = TempDir::new().unwrap();
    let pieter = browser(&driver, profile.path(), downloads.path()).await;
    sign_in(&pieter, &base, &world.privacy).await;
    pieter.goto(&format!("{base}/beheer/verzoeken")).await.unwrap();
    let queue = pieter.find(Locator::Css("table.queue")).await.unwrap().text().await.unwrap();
    let due_nl = |at: jiff::Timestamp| grondslag_values::dutch::date(grondslag_rights::terms::answer_due(grondslag_values::dutch::amsterdam_date(at)));
    let (earliest, latest) = (due_nl(filing), due_nl(filed));
    assert!(queue.contains(&earliest) || queue.contains(&latest), "due date {earliest} (or {latest}) in {queue}");
    assert_accessible_basics(&pieter).await;
    screenshot(&pieter, "rechtenverzoeken").await;
    pieter.find(Locator::Css("table.queue input[name=identity]")).await.unwrap().send_keys("DigiD").await.unwrap();
    pieter.find(Locator::Css("table.queue textarea[name=answer]")).await.unwrap().send_keys("Je gegevens staan in Mijn gegevens.").await.unwrap();
    pieter.find(Locator::Css("table.queue button")).await.unwrap().click().await.unwrap();
    let answered = pieter.wait().at_most(Duration::from_secs(60)).for_element(Locator::XPath("//p[contains(., 'Er staan geen verzoeken open.')]")).await;
    assert!(answered.is_ok(), "still open after answering: {}", text(&pieter).await);
    pieter.close().await.unwrap();

    // A case handler without the privacy role is refused, on a page that says so.
    let profile = TempDir::new().unwrap();
    let carla = browser(&driver, profile.path(), downloads.path()).await;
    sign_in(&carla, &base, &world.handler).await;
    carla.goto(&format!("{base}/beheer/verzoeken")).await.unwrap();
    let refused = text(&carla).await;
    assert!(refused.contains("Geen toegang"), "{refused}");
    screenshot(&carla, "geen-toegang").await;
    carla.goto(&format!("{base}/beheer/zaken")).await.unwrap();
    assert!(text(&carla).await.contains(&world.anna_case));
    screenshot(&carla, "aanvragen").await;
    carla.close().await.unwrap();

    // Anna sees the answer.
    let mut anna_http = crate::server::Client::new(&server);
    anna_http.sign_in(&world.anna);
    assert_eq!(anna_http.get("/api/v1/me/requests").json()[0]["answered"], true);
}

// req: K7
// req: K11
#[tokio::test(flavor = "multi_thread")]
async fn kcc_a_coach_fills_in_the_monitoring_form_in_the_browser_and_the_employee_reads_the_report() {
    let Some(driver) = driver() else { return };
    let world = crate::kcc::kcc_world();
    let server = Server::start(world.dir.path(), &[]);
    let base = server.base.clone();
    let (profile, downloads) = (TempDir::new().unwrap(), TempDir::new().unwrap());

    let coach = browser(&driver, profile.path(), downloads.path()).await;
    sign_in(&coach, &base, &world.coach).await;
    coach.goto(&format!("{base}/beheer")).await.unwrap();
    coach.find(Locator::Css("a[href='/kcc/coachees']")).await.unwrap().click().await.unwrap();
    coach.find(Locator::LinkText("Eva Jansen")).await.unwrap().click().await.unwrap();
    // The drawn call plays in the page: the policy lets the audio element load it, by range.
    let loaded = coach
        .execute(
            "const a = document.querySelector('audio'); a.preload = 'auto'; a.load(); \
             return await new Promise(done => { a.addEventListener('loadedmetadata', () => done(a.duration)); a.addEventListener('error', () => done(-1)); setTimeout(() => done(-2), 10000); });",
            vec![],
        )
        .await
        .unwrap();
    assert!(loaded.as_f64().is_some_and(|d| (d - 0.5).abs() < 0.01), "the recording plays half a second: {loaded}");
    coach.find(Locator::LinkText("Monitoringsformulier invullen")).await.unwrap().click().await.unwrap();
    coach.wait().for_element(Locator::Css("form.monitoring")).await.unwrap();
    assert_accessible_basics(&coach).await;
    assert!(text(&coach).await.contains("Interpretatie (Bijlage 2)"));
    for criterion in grondslag_callqa::form::CRITERIA.iter().filter(|c| !c.live_only) {
        coach.find(Locator::Id(&format!("a{}-ja", criterion.number))).await.unwrap().click().await.unwrap();
    }
    coach.find(Locator::Id("r18")).await.unwrap().send_keys("Warme, rustige toon").await.unwrap();
    coach.find(Locator::Id("went_well")).await.unwrap().send_keys("Heldere uitleg van de regeling").await.unwrap();
    coach.find(Locator::Id("verbeterpunt1")).await.unwrap().send_keys("Vaker samenvatten").await.unwrap();
    screenshot(&coach, "kcc-formulier").await;
    coach.find(Locator::Css("form.monitoring button[type=submit]")).await.unwrap().click().await.unwrap();
    let norm = coach.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("dd.norm")).await.unwrap().text().await.unwrap();
    assert!(norm.starts_with("Voldoet aan de norm"), "{norm}");
    assert_accessible_basics(&coach).await;
    assert_pages_accessible(&coach, &base, &["/kcc/coachees".into(), format!("/kcc/coachees/{}", world.eva_file), "/kcc/verwijderverzoeken".into()]).await;
    coach.close().await.unwrap();

    // The manager's pages, in one session.
    let profile = TempDir::new().unwrap();
    let manager = browser(&driver, profile.path(), downloads.path()).await;
    sign_in(&manager, &base, &world.manager).await;
    let pages = ["/kcc/team".into(), format!("/kcc/team/{}", world.eva_file), "/kcc/zwaarwegend".into(), "/beheer/sturingsinformatie".into()];
    assert_pages_accessible(&manager, &base, &pages).await;
    manager.close().await.unwrap();

    let profile = TempDir::new().unwrap();
    let eva = browser(&driver, profile.path(), downloads.path()).await;
    sign_in(&eva, &base, &world.eva).await;
    eva.goto(&format!("{base}/kcc/mijn-gesprekken")).await.unwrap();
    let page = text(&eva).await;
    assert!(page.contains(&format!("selectie op {}", grondslag_values::dutch::date(world.selection_date))), "{page}");
    assert_accessible_basics(&eva).await;
    eva.find(Locator::Css("#verslagen a")).await.unwrap().click().await.unwrap();
    let report = text(&eva).await;
    assert!(report.contains("Voldoet aan de norm"), "{report}");
    assert!(report.contains("Heldere uitleg van de regeling") && report.contains("Warme, rustige toon") && report.contains("Vaker samenvatten"), "{report}");
    screenshot(&eva, "kcc-verslag").await;
    eva.find(Locator::Id("view")).await.unwrap().send_keys("Dank, ik ga vaker samenvatten.").await.unwrap();
    eva.find(Locator::Css("form[action$='/zienswijze'] button")).await.unwrap().click().await.unwrap();
    // The page before the post has the element too ("nog niet gegeven"): wait for the page after it.
    let given = "//dd[contains(@class, 'employee-view') and normalize-space() = 'Dank, ik ga vaker samenvatten.']";
    let view = eva.wait().for_element(Locator::XPath(given)).await.unwrap().text().await.unwrap();
    assert_eq!(view, "Dank, ik ga vaker samenvatten.");
    assert_pages_accessible(&eva, &base, &["/mijn-personeelsdossier".into(), "/toegankelijkheid".into()]).await;
    eva.close().await.unwrap();
}
