//! Every refusal that reaches a Dutch page is in Dutch (E0.8): a public
//! form sent back with a bad value says, at the field, in plain Dutch what
//! is wrong and what to do; an error page explains the module's refusal in
//! Dutch instead of quoting it in English. The API keeps its English
//! `detail`, for programs and operators.

use grondslag_values::{Email, InvalidValue, PhoneNumber, Postcode};

use crate::server::{Client, Reply, Server, world};

/// `text` as maud writes it into a page.
fn as_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The page says `dutch` about `field`: in the error summary, linked to
/// the field, and between the field's label and the field, which is marked
/// invalid; and nowhere the English `reason`.
#[track_caller]
fn refused_in_dutch_at(page: &Reply, field: &str, dutch: &str, reason: &str) {
    assert_eq!(page.status, 200, "{}", page.body);
    let dutch = as_html(dutch);
    let summary = format!(r##"<a href="#{field}">{dutch}"##);
    assert!(page.body.contains(&summary), "the summary links `{dutch}` to #{field}: {}", page.body);
    let at_field = format!(r#"<span class="field-error" id="{field}-fout">{dutch}"#);
    assert!(page.body.contains(&at_field), "`{dutch}` stands at {field}: {}", page.body);
    assert!(page.body.contains(&format!(r#"id="{field}" name="{field}""#)) && page.body.contains(r#"aria-invalid="true""#), "{}", page.body);
    for english in [reason.to_string(), as_html(reason)] {
        assert!(!page.body.contains(&english), "the English reason `{reason}` is not on the page: {}", page.body);
    }
    assert!(!page.body.contains("in het Engels"), "{}", page.body);
}

/// A refusal's Dutch explanation and its English reason.
fn both(refused: Result<impl std::fmt::Debug, InvalidValue>) -> (String, String) {
    let error = refused.unwrap_err();
    (error.explain_nl(), error.reason)
}

// req: E0.8
#[test]
fn the_public_forms_refuse_a_bad_value_in_dutch_at_its_field() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut visitor = Client::new(&server);
    let contact = |email: &str, phone: &str| {
        [("kind", "question"), ("name", "Anna"), ("email", email), ("phone", phone), ("text", "Wanneer komt de deskundige?"), ("consent", "ja")]
            .map(|(k, v)| (k, v.to_string()))
    };
    let post = |visitor: &mut Client, path: &str, form: &[(&str, String)]| {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        visitor.post_form(path, &form)
    };

    let (dutch, reason) = both(Email::parse("anna@example"));
    assert!(dutch.starts_with("E-mailadres: "), "{dutch}");
    refused_in_dutch_at(&post(&mut visitor, "/contact", &contact("anna@example", "0595 123456")), "email", &dutch, &reason);
    let (dutch, reason) = both(PhoneNumber::parse("0595 12"));
    assert!(dutch.starts_with("Telefoonnummer: een Nederlands nummer heeft 10 cijfers"), "{dutch}");
    refused_in_dutch_at(&post(&mut visitor, "/contact", &contact("anna@example.nl", "0595 12")), "phone", &dutch, &reason);

    let (dutch, reason) = both(Email::parse("els.example.nl"));
    let subscribed = visitor.post_form("/nieuwsbrief", &[("name", "Els"), ("email", "els.example.nl"), ("consent", "ja")]);
    refused_in_dutch_at(&subscribed, "email", &dutch, &reason);
    assert!(!subscribed.body.contains("Je bent aangemeld"), "{}", subscribed.body);

    let report = |phone: &str, email: &str, postcode_city: &str| {
        [("name", "Dirk"), ("phone", phone), ("email", email), ("address", "Dijk 1"), ("postcode_city", postcode_city)].map(|(k, v)| (k, v.to_string()))
    };
    // A postcode starting with 0 fits neither "0726 AD" nor "0726A" plus a place.
    let (dutch, reason) = both(Postcode::parse("0726 A"));
    assert!(dutch.starts_with("Postcode: '0726 A' moet bestaan uit 4 cijfers en 2 letters"), "{dutch}");
    let page = post(&mut visitor, "/acuut-onveilig", &report("0595 123456", "dirk@example.nl", "0726 AD Uithuizen"));
    refused_in_dutch_at(&page, "postcode_city", &format!("De melding is niet verstuurd. {dutch}"), &reason);
    let (dutch, reason) = both(PhoneNumber::parse("+0595 123456"));
    let page = post(&mut visitor, "/acuut-onveilig", &report("+0595 123456", "dirk@example.nl", "9981 AB Uithuizen"));
    refused_in_dutch_at(&page, "phone", &format!("De melding is niet verstuurd. {dutch}"), &reason);
    let (dutch, reason) = both(Email::parse("dirk@@example.nl"));
    let page = post(&mut visitor, "/acuut-onveilig", &report("0595 123456", "dirk@@example.nl", "9981 AB Uithuizen"));
    refused_in_dutch_at(&page, "email", &format!("De melding is niet verstuurd. {dutch}"), &reason);
    assert!(!page.body.contains("onder nummer"), "nothing was filed: {}", page.body);
}

// req: E0.8
#[test]
fn the_api_keeps_the_english_reason_for_the_same_bad_values() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut carla = Client::new(&server);
    carla.sign_in(&world.handler);
    let csrf = carla.csrf();
    let application = |email: &str, postcode_city: &str| {
        serde_json::json!({
            "scheme": "fysieke_schade",
            "applicant": { "name": "Cees Kok", "phone": "0595 123 456", "email": email },
            "object": { "kind": "home", "address": "Hoofdstraat 12", "postcode_city": postcode_city },
            "details": { "damage_arose": "2026-03-01" }
        })
    };
    for (body, refused) in [
        (application("cees@example", "9981 AB Uithuizen"), Email::parse("cees@example").unwrap_err()),
        (application("cees@example.nl", "0726 AD Uithuizen"), Postcode::parse("0726 A").unwrap_err()),
    ] {
        let reply = carla.post_json("/api/v1/cases", Some(&csrf), body);
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"), "{}", reply.body);
        let detail = reply.json()["detail"].as_str().unwrap().to_string();
        assert!(detail.ends_with(&refused.to_string()), "the English reason, `{refused}`: {detail}");
        assert!(!detail.contains(&refused.reason_nl), "no Dutch in the API: {detail}");
    }
}

// req: E0.8
#[test]
fn an_error_page_explains_a_modules_refusal_in_dutch_and_the_api_in_english() {
    let world = world();
    let server = Server::start(world.dir.path(), &[]);
    let mut anna = Client::new(&server);
    anna.sign_in(&world.anna);
    let csrf = anna.csrf();
    // Physical damage is handled by law, not on consent: a withdrawal of
    // consent for it can be filed, but not carried out.
    let filed = anna.post_form("/mijn-gegevens/verzoeken", &[("csrf", &csrf), ("kind", "withdraw_consent"), ("processing", "fysieke_schade")]);
    assert_eq!(filed.status, 303, "{}", filed.body);
    let mut pieter = Client::new(&server);
    pieter.sign_in(&world.privacy);
    let id = pieter.get("/api/v1/rights/requests").json()[0]["id"].as_str().unwrap().to_string();
    let csrf = pieter.csrf();
    let page = pieter.post_form(&format!("/beheer/verzoeken/{id}"), &[("csrf", &csrf), ("identity", "DigiD"), ("answer", ""), ("withdraw", "ja")]);
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains(r#"data-code="bad_request""#), "{}", page.body);
    assert!(page.body.contains("gebeurt niet op grond van toestemming"), "the refusal in Dutch: {}", page.body);
    assert!(!page.body.contains("in het Engels") && !page.body.contains("does not rest on consent"), "no English on the page: {}", page.body);
    let verified = pieter.post_json(&format!("/api/v1/rights/requests/{id}/identity"), Some(&csrf), serde_json::json!({ "method": "DigiD" }));
    assert_eq!(verified.status, 200, "{}", verified.body);
    let api = pieter.post(&format!("/api/v1/rights/requests/{id}/withdrawal"), Some(&csrf));
    assert_eq!(api.status, 400, "{}", api.body);
    assert_eq!(api.header("content-type"), Some("application/problem+json"), "{}", api.body);
    let detail = api.json()["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("does not rest on consent"), "the API's detail stays English: {detail}");
    assert!(!detail.contains("toestemming"), "{detail}");
}

/// An error page with the refusal `dutch`, under `code`, and none of
/// `english`, nor the fallback that quotes the system's English message.
#[track_caller]
fn error_page_in_dutch(page: &Reply, status: u16, code: &str, dutch: &str, english: &[&str]) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(page.body.contains(&format!(r#"data-code="{code}""#)), "{}", page.body);
    assert!(page.body.contains(&as_html(dutch)), "the refusal in Dutch, `{dutch}`: {}", page.body);
    for english in english {
        assert!(!page.body.contains(english) && !page.body.contains(&as_html(english)), "no English `{english}` on the page: {}", page.body);
    }
    assert!(!page.body.contains("in het Engels"), "{}", page.body);
}

// req: E0.8
#[test]
fn a_call_centre_form_refuses_a_bad_date_and_indication_in_dutch() {
    let world = crate::kcc::kcc_world();
    let server = Server::start(world.dir.path(), &[]);
    let mut lisa = Client::new(&server);
    assert_eq!(lisa.sign_in(&world.manager).status, 303);
    let csrf = lisa.csrf();
    let page = format!("/kcc/team/{}/zwaarwegend", world.eva_file);
    let today = world.selection_date.to_string();
    let decide_with = |lisa: &mut Client, indication: &str, grounds: &str, from: &str, until: &str| {
        lisa.post_form(&page, &[("csrf", &csrf), ("indication", indication), ("grounds", grounds), ("from", from), ("until", until)])
    };
    let decide = |lisa: &mut Client, indication: &str, from: &str| decide_with(lisa, indication, "Betalingen naar een privérekening", from, &today);

    let wrong = grondslag_values::dutch::parse_written("31-02-2026").unwrap_err();
    assert!(wrong.to_string().contains("there is no 31 februari 2026"), "the English stays for the API and the command line: {wrong}");
    let dutch = format!("De eerste dag: {}", wrong.explain_nl());
    assert!(dutch.contains("31 februari 2026 bestaat niet. Schrijf een datum als 27-11-2026"), "{dutch}");
    let refused = decide(&mut lisa, "fraud", "31-02-2026");
    error_page_in_dutch(&refused, 422, "invalid", &dutch, &["the first day", "there is no", "write a date as"]);

    let refused = decide(&mut lisa, "gevoel", &today);
    error_page_in_dutch(&refused, 422, "invalid", "'gevoel' staat niet in de lijst; kies een van: fraud (", &["`gevoel` is not", "; use fraud"]);

    // The protocol's own refusals, of what was sent: nothing to rest on, a period backwards.
    let refused = decide_with(&mut lisa, "fraud", " ", &today, &today);
    error_page_in_dutch(
        &refused,
        422,
        "invalid",
        "Er ontbreekt nog: de duidelijke aanwijzingen waarop het besluit rust. Vul dat in en probeer het opnieuw.",
        &["is required"],
    );
    let tomorrow = world.selection_date.tomorrow().unwrap().to_string();
    let refused = decide_with(&mut lisa, "fraud", "Betalingen naar een privérekening", &tomorrow, &today);
    error_page_in_dutch(&refused, 422, "invalid", "De periode eindigt voordat hij begint", &["ends before it starts"]);

    let unanswered = lisa.get(&page);
    assert!(!unanswered.body.contains("Betalingen naar een privérekening"), "nothing was decided: {}", unanswered.body);
}

// req: E0.8
#[test]
fn a_staff_form_refuses_a_bad_term_in_dutch_and_the_command_line_keeps_the_english() {
    let world = world();
    let admin = crate::server::create_account(&world.place, "beheer.bo", "admin", None);
    let server = Server::start(world.dir.path(), &[]);
    let mut bo = Client::new(&server);
    assert_eq!(bo.sign_in(&admin).status, 303);
    let csrf = bo.csrf();
    let refused = bo.post_form("/beheer/teamapplicaties", &[("csrf", &csrf), ("name", "Jira"), ("term", "lang")]);
    error_page_in_dutch(
        &refused,
        422,
        "invalid",
        "‘lang’ is geen bewaartermijn; schrijf een heel getal en een eenheid, bijvoorbeeld ‘6 months’ of ‘2 years’.",
        &["is not a term", "write a whole number"],
    );
    assert!(!bo.get("/beheer/teamapplicaties").body.contains("Jira"), "nothing was registered");
    drop(server);

    let cli = world.place.run(&["teams", "application", "--name", "Jira", "--term", "lang"]);
    assert!(!cli.status.success());
    let said = crate::stderr(&cli);
    assert!(said.contains("`lang` is not a term; write a whole number and a unit") && !said.contains("bewaartermijn"), "{said}");
}
