//! The public channels: consent and short terms, enforced.

use grondslag_channels::contact::{ContactForm, Kind, Message, SUPERVISOR};
use grondslag_channels::media::Media;
use grondslag_channels::newsletter::{Newsletter, Subscription};
use grondslag_channels::{ChannelError, due};
use grondslag_kernel::{Access, Kernel, Value};
use grondslag_register::due::Due;
use grondslag_register::{Category, CategorySet, Role};

use crate::server::{Client, Server};
use crate::{files_below, open_kernel, sqlite};

fn at(role: Role, actor: &str, now: &str) -> Access {
    Access::new(actor, role, "test", now.parse().unwrap())
}

fn website(now: &str) -> Access {
    at(Role::Public, "website", now)
}

fn count(dir: &std::path::Path, table: &str) -> i64 {
    sqlite(dir).query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

fn message(kind: Kind, text: &str) -> Message {
    Message {
        kind,
        fields: vec![
            (Category::Name, "Anna de Vries".to_string()),
            (Category::Phone, "0595123456".to_string()),
            (Category::Email, "anna@example.nl".to_string()),
            (Category::FreeText, text.to_string()),
        ],
        consent: true,
    }
}

// req: E11
#[test]
fn withdrawing_consent_deletes_the_message_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let form = ContactForm::new(&kernel).unwrap();
    let secret = "Mijn buurman heeft ook schade aan zijn schuur";
    let received = form.submit(&website("2026-11-20T10:00:00Z"), &message(Kind::Question, secret)).unwrap();
    form.withdraw(&website("2026-11-21T10:00:00Z"), received.link.as_str()).unwrap();
    assert_eq!(count(dir.path(), "records"), 0);
    assert_eq!(count(dir.path(), "subjects"), 0, "the sender's key is shredded with their only record");
    drop(kernel);
    assert_eq!(crate::in_the_clear(dir.path(), secret.as_bytes()), Vec::<String>::new());
    // The link works once.
    let kernel = open_kernel(dir.path());
    let again = ContactForm::new(&kernel).unwrap().withdraw(&website("2026-11-22T10:00:00Z"), received.link.as_str());
    assert!(matches!(again, Err(ChannelError::InvalidToken)));
}

// req: E11
#[test]
fn an_answered_message_is_due_when_the_sender_is_satisfied_or_after_the_quiet_period() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let form = ContactForm::new(&kernel).unwrap();
    let centre = at(Role::ContactCentre, "kcc.jansen", "2026-11-02T10:00:00Z");
    let received = form.submit(&website("2026-11-01T10:00:00Z"), &message(Kind::Priority, "Graag voorrang voor mijn dossier")).unwrap();
    assert_eq!(due(&kernel, &centre, form.processing(), &received.message).unwrap(), Due::WaitingFor("answered_and_satisfied".to_string()));
    form.answer(&centre, &received.message, "We hebben uw dossier voorrang gegeven.").unwrap();
    assert_eq!(due(&kernel, &centre, form.processing(), &received.message).unwrap(), Due::At("2026-11-30T10:00:00Z".parse().unwrap()));
    form.satisfied(&website("2026-11-03T09:00:00Z"), received.link.as_str()).unwrap();
    assert_eq!(due(&kernel, &centre, form.processing(), &received.message).unwrap(), Due::At("2026-11-03T09:00:00Z".parse().unwrap()));
}

// req: E11
#[test]
fn a_complaint_goes_to_the_privacy_team_can_reach_the_fg_and_its_reply_names_the_supervisor() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let form = ContactForm::new(&kernel).unwrap();
    let received = form.submit(&website("2026-11-01T10:00:00Z"), &message(Kind::Complaint, "Waarom kreeg de NAM mijn adres?")).unwrap();
    let privacy = at(Role::PrivacyOfficer, "privacy.devries", "2026-11-02T10:00:00Z");
    let reply = form.answer(&privacy, &received.message, "De NAM krijgt alleen uw adres, om eerdere meldingen te controleren.").unwrap();
    assert!(reply.ends_with(SUPERVISOR) && reply.contains("Autoriteit Persoonsgegevens"));
    form.escalate(&privacy, &received.message).unwrap();
    let events: Vec<String> = kernel.events(&privacy, form.processing(), &received.message).unwrap().into_iter().map(|e| e.event).collect();
    assert_eq!(events, ["received", "routed_to_privacy_team", "answered", "escalated_to_fg"]);
}

// req: E11
#[test]
fn missing_consent_or_a_required_field_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let form = ContactForm::new(&kernel).unwrap();
    let mut without_consent = message(Kind::Question, "Vraag");
    without_consent.consent = false;
    assert!(matches!(form.submit(&website("2026-11-01T10:00:00Z"), &without_consent), Err(ChannelError::NoConsent)));
    let mut without_email = message(Kind::Question, "Vraag");
    without_email.fields.retain(|(c, _)| *c != Category::Email);
    assert!(matches!(form.submit(&website("2026-11-01T10:00:00Z"), &without_email), Err(ChannelError::Missing("email"))));
    let mut bad_email = message(Kind::Question, "Vraag");
    bad_email.fields[2].1 = "anna.example.nl".to_string();
    assert!(form.submit(&website("2026-11-01T10:00:00Z"), &bad_email).unwrap_err().to_string().contains("email"));
    assert_eq!(count(dir.path(), "records"), 0);
    // Optional fields stay optional: no address, postcode or case number.
    assert!(form.submit(&website("2026-11-01T10:00:00Z"), &message(Kind::Feedback, "Fijn geholpen")).is_ok());
}

// req: E11
#[test]
fn the_contact_page_offers_exactly_the_kinds_the_module_knows_and_refuses_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let mut visitor = Client::new(&server);
    let page = visitor.get("/contact");
    assert_eq!(page.status, 200);
    let offered: Vec<&str> = page.body.split("<option value=\"").skip(1).filter_map(|rest| rest.split_once('"').map(|(value, _)| value)).collect();
    let known: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(offered, known, "the form offers the module's kinds, no more and no fewer");

    let send = |visitor: &mut Client, kind: &str| {
        let text = format!("Bericht van soort {kind}");
        visitor.post_form(
            "/contact",
            &[("kind", kind), ("name", "Anna de Vries"), ("email", "anna@example.nl"), ("phone", "0595123456"), ("text", &text), ("consent", "ja")],
        )
    };
    // What the page used to offer, and a made-up one: refused, saying what to choose.
    for unknown in ["tip", "compliment", "Question", ""] {
        let refused = send(&mut visitor, unknown);
        assert_eq!(refused.status, 400, "{unknown}: {}", refused.body);
        assert!(known.iter().all(|name| refused.body.contains(name)), "the refusal names every kind to choose: {}", refused.body);
    }
    for kind in &offered {
        let sent = send(&mut visitor, kind);
        assert_eq!(sent.status, 200, "{kind}: {}", sent.body);
        assert!(sent.body.contains("Bedankt"), "{kind}: {}", sent.body);
    }
    assert!(server.stop());

    // Each message is stored as the kind it was sent as, and the refused ones not at all.
    let kernel = open_kernel(dir.path());
    let form = ContactForm::new(&kernel).unwrap();
    let centre = crate::access(Role::ContactCentre);
    let mut stored: Vec<(String, String)> = kernel
        .list_all(&centre, form.processing(), None)
        .unwrap()
        .into_iter()
        .map(|summary| {
            let text = kernel
                .read_record(&centre, form.processing(), &summary.record, CategorySet::EMPTY.with(Category::FreeText))
                .unwrap()
                .unwrap()
                .get(Category::FreeText)
                .and_then(Value::as_text)
                .unwrap()
                .to_string();
            let kind =
                kernel.events(&centre, form.processing(), &summary.record).unwrap().into_iter().find(|e| e.event == "received").and_then(|e| e.detail).unwrap();
            (text, kind)
        })
        .collect();
    stored.sort();
    let mut expected: Vec<(String, String)> = known.iter().map(|k| (format!("Bericht van soort {k}"), k.to_string())).collect();
    expected.sort();
    assert_eq!(stored, expected);
    assert_eq!(count(dir.path(), "records"), i64::try_from(known.len()).unwrap(), "no record of any other processing either");
}

// req: E14
#[test]
fn an_unsubscribe_link_works_once_for_its_own_subscriber_only() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let letters = Newsletter::new(&kernel).unwrap();
    let site = website("2026-10-01T10:00:00Z");
    for (name, email) in [("Anna", "anna@example.nl"), ("Berend", "berend@example.nl")] {
        letters.subscribe(&site, &Subscription::Email { name: name.to_string(), email: email.to_string() }, true).unwrap();
    }
    letters
        .subscribe(
            &site,
            &Subscription::Post { name: "Carla".to_string(), address: "Dorpsweg 7".to_string(), postcode_city: "9901 AA Appingedam".to_string() },
            true,
        )
        .unwrap();
    assert!(matches!(
        letters.subscribe(&site, &Subscription::Email { name: "X".to_string(), email: "x@example.nl".to_string() }, false),
        Err(ChannelError::NoConsent)
    ));

    let communications = at(Role::Communications, "communicatie", "2026-10-02T10:00:00Z");
    let issue = letters.produce(&communications, "Nieuwsbrief Q4", "Het laatste nieuws.", "https://img.example/afmelden").unwrap();
    assert_eq!(issue.emails.len(), 2);
    assert_eq!(issue.labels_csv, "name,address,postcode_city\nCarla,Dorpsweg 7,9901 AA Appingedam\n");
    let anna_mail = &issue.emails.iter().find(|(to, _)| to == "anna@example.nl").unwrap().1;
    let token = anna_mail.split("token=").nth(1).unwrap().trim();

    let forged = format!("{}{}", &token[..63], if token.ends_with('0') { '1' } else { '0' });
    assert!(matches!(letters.unsubscribe(&site, &forged), Err(ChannelError::InvalidToken)), "a forged link");
    assert_eq!(count(dir.path(), "records"), 3, "a forged link changes nothing");
    letters.unsubscribe(&site, token).unwrap();
    assert!(matches!(letters.unsubscribe(&site, token), Err(ChannelError::InvalidToken)), "a used link");
    let next = letters.produce(&communications, "Nieuwsbrief Q1", "Nieuws.", "https://img.example/afmelden").unwrap();
    assert_eq!(next.emails.iter().map(|(to, _)| to.as_str()).collect::<Vec<_>>(), ["berend@example.nl"]);
    // A postal subscriber unsubscribes on the website, however the address
    // is written: with the postcode, the street's spelling does not matter;
    // another postcode is another address.
    assert_eq!(letters.unsubscribe_post(&site, "DORPSWEG 7", "9902AA Appingedam").unwrap(), 0);
    assert_eq!(letters.unsubscribe_post(&site, "Dorpswg. 7", "9901AA Appingedam").unwrap(), 1);
    assert_eq!(count(dir.path(), "records"), 1);
}

fn wav(payload: &[u8]) -> Vec<u8> {
    let mut bytes = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    bytes.extend_from_slice(payload);
    bytes
}

// req: E18
#[test]
fn a_hold_keeps_a_recording_past_28_days_and_its_release_makes_it_due() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let media = Media::new(&kernel).unwrap();
    let system = at(Role::System, "centrale", "2026-10-01T09:00:00Z");
    let call = media.ingest_call(&system, wav(b"klant noemt fraudeconstructie"), "audio/wav", "0612345678", "inkomend, 6 min").unwrap();
    let privacy = at(Role::PrivacyOfficer, "privacy.devries", "2026-10-10T09:00:00Z");
    let term = Due::At("2026-10-29T10:00:00Z".parse().unwrap());
    assert_eq!(due(&kernel, &privacy, media.calls(), &call).unwrap(), term);
    media.hold(&privacy, media.calls(), &call, "integriteitsonderzoek 2026-07", "2026-12-01T00:00:00Z".parse().unwrap()).unwrap();
    assert_eq!(due(&kernel, &privacy, media.calls(), &call).unwrap(), Due::Held);
    let later = at(Role::PrivacyOfficer, "privacy.devries", "2026-12-15T09:00:00Z");
    assert_eq!(kernel.overdue_reviews(later.now).unwrap().len(), 1, "the review of 1 December is overdue on 15 December");
    assert!(matches!(media.hold(&later, media.calls(), &call, "  ", later.now), Err(ChannelError::Missing(_))));
    media.release(&later, media.calls(), &call, "onderzoek afgerond").unwrap();
    assert_eq!(due(&kernel, &later, media.calls(), &call).unwrap(), term, "past its term: due at once");
    assert!(kernel.overdue_reviews(later.now).unwrap().is_empty(), "a released hold has nothing to review");
}

// req: E16
#[test]
fn footage_is_sealed_every_viewing_is_logged_and_sharing_is_a_disclosure() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let media = Media::new(&kernel).unwrap();
    let security = at(Role::FacilitySecurity, "beveiliging.smit", "2026-11-01T08:00:00Z");
    let mut mp4 = b"\x00\x00\x00\x18ftypmp42".to_vec();
    mp4.extend_from_slice(b"gezicht-van-bezoeker-in-de-hal");
    let footage = media.ingest_footage(&security, mp4.clone(), "video/mp4", "hal Cascadeplein 10").unwrap();
    let seen = media.view_footage(&security, &footage).unwrap().unwrap();
    assert_eq!(seen.get(Category::CameraFootage), Some(&grondslag_kernel::Value::Bytes(mp4.clone())));
    let protocol = kernel.processing("camera_protocol").unwrap();
    let log = kernel.list_all(&security, protocol, None).unwrap();
    assert_eq!(log.len(), 1);
    let entry =
        kernel.read_record(&security, protocol, &log[0].record, grondslag_register::CategorySet::of(&[Category::ViewLog, Category::Name])).unwrap().unwrap();
    assert!(entry.get(Category::ViewLog).and_then(|v| v.as_text()).unwrap().contains(footage.record.as_str()));
    assert_eq!(
        due(&kernel, &security, protocol, &log[0].record).unwrap(),
        Due::At("2027-05-01T07:00:00Z".parse().unwrap()),
        "six calendar months: 09:00 in Amsterdam, winter and summer"
    );
    assert_eq!(due(&kernel, &security, media.camera(), &footage).unwrap(), Due::At("2026-11-29T08:00:00Z".parse().unwrap()));
    let shared = media.share_footage(&security, &footage).unwrap().unwrap();
    assert!(shared.get(Category::CameraFootage).is_some());
    drop(kernel);
    assert_eq!(crate::in_the_clear(dir.path(), b"gezicht-van-bezoeker"), Vec::<String>::new(), "footage in the clear");
}

// req: E18
#[test]
fn oversized_or_mislabelled_media_is_refused_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let media = Media::new(&kernel).unwrap();
    let system = at(Role::System, "centrale", "2026-10-01T09:00:00Z");
    let exe = b"MZ\x90\x00this is a program".to_vec();
    assert!(matches!(media.ingest_call(&system, exe, "audio/wav", "0612345678", "x"), Err(ChannelError::MediaType { .. })));
    let huge = wav(&vec![0u8; grondslag_channels::media::MAX_RECORDING]);
    assert!(matches!(media.ingest_call(&system, huge, "audio/wav", "0612345678", "x"), Err(ChannelError::TooLarge { .. })));
    assert!(media.ingest_call(&system, wav(b"x"), "audio/wav", "06-123", "x").unwrap_err().to_string().contains("phone"));
    assert_eq!(count(dir.path(), "records"), 0);
    assert_eq!(files_below(&dir.path().join("blobs")).len(), 0, "no blob left behind");
}

// req: E11
#[test]
fn copying_a_message_into_a_dossier_is_an_explicit_audited_step() {
    let dir = tempfile::tempdir().unwrap();
    let kernel: Kernel = open_kernel(dir.path());
    let form = ContactForm::new(&kernel).unwrap();
    let received = form.submit(&website("2026-11-01T10:00:00Z"), &message(Kind::Question, "De scheur is groter geworden.")).unwrap();
    let handler = at(Role::CaseHandler, "behandelaar.jansen", "2026-11-02T10:00:00Z");
    let cases = grondslag_claims::cases::Cases::new(&kernel, grondslag_claims::area::AreaLists::default());
    let application: grondslag_claims::cases::Application = serde_json::from_value(serde_json::json!({
        "scheme": "fysieke_schade", "applicant": { "name": "Anna de Vries" },
        "object": { "kind": "home", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" }, "details": { "damage_arose": "2026-03-01" }
    }))
    .unwrap();
    let number = cases.file(&handler, &application).unwrap().number.to_string();
    form.copy_to_dossier(&handler, &received.message, &number, |note| cases.add_note(&handler, &number, note)).unwrap();
    let events: Vec<String> = kernel.events(&handler, form.processing(), &received.message).unwrap().into_iter().map(|e| e.event).collect();
    assert!(events.contains(&"copied_to_dossier".to_string()));
    // The copy stays when the message goes.
    form.withdraw(&website("2026-11-03T10:00:00Z"), received.link.as_str()).unwrap();
    let physical = kernel.processing("fysieke_schade").unwrap();
    let (_, case) = kernel.unit(|unit| cases.find(unit, &handler, &number)).unwrap();
    let notes = kernel.read(&handler, physical, &case.record.subject, grondslag_register::CategorySet::of(&[Category::OtherInclPhotos])).unwrap();
    assert!(notes.iter().any(|v| v.get(Category::OtherInclPhotos).and_then(|t| t.as_text()).is_some_and(|t| t.contains("groter geworden"))));
}

// req: E12
#[test]
fn deleting_a_forum_account_leaves_none_of_its_posts_and_others_replies_stay() {
    use grondslag_channels::forum::{Account, Forum};
    let dir = tempfile::tempdir().unwrap();
    let kernel = open_kernel(dir.path());
    let forum = Forum::new(&kernel).unwrap();
    let site = website("2026-11-01T10:00:00Z");
    let account = |name: &str, username: &str, password: &str| Account {
        name: name.to_string(),
        username: username.to_string(),
        email: format!("{username}@example.nl"),
        password: password.to_string(),
        notify: true,
    };
    assert!(forum.register(&site, &account("Anna", "anna", "kort"), true).unwrap_err().to_string().contains("at least 12"));
    assert!(matches!(forum.register(&site, &account("Anna", "anna", "paars konijn op de dijk"), false), Err(ChannelError::NoConsent)));
    forum.register(&site, &account("Anna", "anna", "paars konijn op de dijk"), true).unwrap();
    forum.register(&site, &account("Berend", "berend", "groene trekker in de wei"), true).unwrap();
    assert!(matches!(forum.register(&site, &account("Anna 2", "ANNA", "nog een lange zin hier"), true), Err(ChannelError::Taken(_))));

    let anna = forum.login(&site, "anna", "paars konijn op de dijk").unwrap();
    assert!(matches!(forum.login(&site, "anna", "paars konijn op de dijk!"), Err(ChannelError::WrongPassword)));
    let berend = forum.login(&site, "Berend", "groene trekker in de wei").unwrap();
    let secret = "Bij ons in Zeerijp is de schade ook nog niet vergoed";
    let post = forum.post(&site, &anna, "nieuws-2026-11-01", secret, None).unwrap();
    forum.post(&site, &anna, "nieuws-2026-11-01", "En nog een bericht van mij", None).unwrap();
    forum.post(&site, &berend, "nieuws-2026-11-01", "Herkenbaar!", Some(&post)).unwrap();
    assert_eq!(forum.thread(&site, "nieuws-2026-11-01").unwrap().len(), 3);

    assert_eq!(forum.delete_account(&site, &anna).unwrap(), 3, "the account and its two posts");
    let left = forum.thread(&site, "nieuws-2026-11-01").unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].author.as_str(), left[0].text.as_str()), ("berend", "Herkenbaar!"));
    assert_eq!(left[0].reply_to.as_deref(), Some(post.record.as_str()), "the reply stays, the text it answered is gone");
    assert!(matches!(forum.login(&site, "anna", "paars konijn op de dijk"), Err(ChannelError::WrongPassword)));
    drop(kernel);
    assert_eq!(crate::in_the_clear(dir.path(), secret.as_bytes()), Vec::<String>::new());
}
