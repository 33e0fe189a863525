//! The pages in a real browser: headless Chromium driven through
//! chromedriver (WebDriver), against `grondslag serve` on loopback.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages); `.ci/run`
//! installs them and sets GRONDSLAG_REQUIRE_BROWSER=1, so on CI a missing
//! browser fails these tests. Elsewhere they say so on stderr and pass.
//! With GRONDSLAG_SCREENSHOTS=<dir>, the main pages are saved there as PNG
//! (docs/screenshots holds the committed ones).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client as Browser, ClientBuilder, Locator};
use tempfile::TempDir;

use crate::server::{Person, Server, world};

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).flat_map(|dir| names.iter().map(move |n| dir.join(n))).find(|p| p.is_file())
}

/// chromedriver on a free port, or None when it is not installed (and not required).
fn driver() -> Option<Driver> {
    let Some(program) = find_program(&["chromedriver"]) else {
        assert!(std::env::var_os("GRONDSLAG_REQUIRE_BROWSER").is_none(), "chromedriver not found: apt-get install chromium chromium-driver");
        eprintln!("browser test not run: chromedriver not found (apt-get install chromium chromium-driver)");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
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

async fn browser(driver: &Driver, profile: &Path, downloads: &Path) -> Browser {
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

async fn text(browser: &Browser) -> String {
    browser.find(Locator::Css("body")).await.unwrap().text().await.unwrap()
}

/// Every visible form control has a label, the page says it is Dutch and
/// has one h1, and a skip link leads to the content.
async fn assert_accessible_basics(browser: &Browser) {
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
    anna.find(Locator::Css("form[action='/mijn-gegevens/verzoeken'] button")).await.unwrap().click().await.unwrap();
    let requests = anna.wait().for_element(Locator::Css("#verzoeken table")).await.unwrap().text().await.unwrap();
    assert!(requests.contains("Inzage in mijn gegevens"), "{requests}");
    assert!(requests.contains("wij controleren je identiteit"), "{requests}");

    // She downloads her data.
    anna.find(Locator::Css("a[href='/api/v1/me/data']")).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
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
    let due = grondslag_rights::terms::answer_due(grondslag_values::dutch::amsterdam_date(jiff::Timestamp::now()));
    let months = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"];
    let due_nl = format!("{} {} {}", due.day(), months[usize::try_from(due.month() - 1).unwrap()], due.year());
    assert!(queue.contains(&due_nl), "due date {due_nl} in {queue}");
    assert_accessible_basics(&pieter).await;
    screenshot(&pieter, "rechtenverzoeken").await;
    pieter.find(Locator::Css("table.queue input[name=identity]")).await.unwrap().send_keys("DigiD").await.unwrap();
    pieter.find(Locator::Css("table.queue textarea[name=answer]")).await.unwrap().send_keys("Je gegevens staan in Mijn gegevens.").await.unwrap();
    pieter.find(Locator::Css("table.queue button")).await.unwrap().click().await.unwrap();
    let answered = pieter.wait().at_most(Duration::from_secs(10)).for_element(Locator::XPath("//p[contains(., 'Er staan geen verzoeken open.')]")).await;
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
    coach.close().await.unwrap();

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
    eva.close().await.unwrap();
}
