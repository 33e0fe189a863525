//! A sealed value opens only where it was sealed: an event's detail with
//! its own row (record, name, moment, actor, audience), a field's value
//! with its version. Someone who can write the database can move, swap or
//! roll back ciphertext, and the reader gets an integrity error naming the
//! record, never the value. Data sealed before that was bound is re-sealed
//! once, when the new binary opens it.

use std::path::Path;

use grondslag_kernel::{Access, Detail, Kernel, KernelError, RecordRef, Value};
use grondslag_register::{Action, Category, CategorySet, ProcessingId, Role};

use crate::hardening::{disclosed_to_the_police, on_each_database};
use crate::server::{Client, Place, Server, world_on};
use crate::stderr;

/// Runs `sql` on the store of `place` behind the kernel's back, as someone
/// who can write the database would.
fn tamper(place: &Place, sql: &str) {
    match &place.database_url {
        None => crate::sqlite(&place.dir).execute_batch(sql).unwrap(),
        Some(url) => postgres::Client::connect(url, postgres::NoTls).unwrap().batch_execute(sql).unwrap(),
    }
}

/// The text `sql` selects from the store of `place`: one row, one column.
fn select_text(place: &Place, sql: &str) -> String {
    match &place.database_url {
        None => crate::sqlite(&place.dir).query_row(sql, [], |r| r.get(0)).unwrap(),
        Some(url) => postgres::Client::connect(url, postgres::NoTls).unwrap().query_one(sql, &[]).unwrap().get(0),
    }
}

fn kernel_on(place: &Place) -> Kernel {
    grondslag_kernel::DataDir::new(&place.dir)
        .with_database_url(place.database_url.clone())
        .open_kernel(crate::shipped(), None, jiff::Timestamp::now())
        .unwrap()
}

/// Runs `test` on each database, on a newsletter subscription (name and
/// e-mail) filed through the kernel, as who keeps the list.
fn on_a_subscription(test: impl Fn(&Place, &Kernel, &RecordRef, &Access, ProcessingId)) {
    on_each_database(|url| {
        let dir = tempfile::tempdir().unwrap();
        let place = Place { dir: dir.path().to_path_buf(), database_url: url.map(str::to_string) };
        let kernel = kernel_on(&place);
        let processing = kernel.processing("nieuwsbrief_email").unwrap();
        let fields = [(Category::Name, Value::text("Lid Een")), (Category::Email, Value::text("een@example.nl"))];
        let record = kernel.write(&crate::access(Role::Public), processing, None, None, &fields).unwrap();
        test(&place, &kernel, &record, &crate::access(Role::Communications), processing);
    });
}

/// `read` failed as tampered with, naming `record` and `what` did not open.
fn assert_tampered<T: std::fmt::Debug>(place: &Place, read: Result<T, KernelError>, record: &RecordRef, what: &str) {
    match read {
        Err(KernelError::Tampered { record: named, what: said }) => assert_eq!((&named, said.as_str()), (&record.record, what), "{:?}", place.database_url),
        other => panic!("{:?}: what was tampered with read as {other:?}", place.database_url),
    }
}

// req: I.SEC
#[test]
fn a_staff_only_detail_given_everyone_by_sql_is_an_integrity_error_not_shown_to_the_applicant() {
    on_each_database(|url| {
        let world = world_on(url);
        let server = Server::start_on(&world.place, &[]);
        let number = &world.anna_case;
        disclosed_to_the_police(&server, &world, "vordering OvJ 2026/123 inzake Jan Verdacht");
        let mut anna = Client::new(&server);
        assert_eq!(anna.sign_in(&world.anna).status, 303);
        let own = anna.get(&format!("/api/v1/cases/{number}"));
        assert_eq!(own.status, 200, "{url:?}: {}", own.body);
        assert!(!own.body.contains("Jan Verdacht"), "{url:?}: the check is for staff: {}", own.body);

        // The row's audience is set to everyone; the detail stays as sealed.
        tamper(&world.place, "UPDATE record_events SET audience = NULL WHERE event = 'legal_obligation_checked'");
        let tampered = anna.get(&format!("/api/v1/cases/{number}"));
        assert_eq!((tampered.status, tampered.json()["code"].as_str()), (500, Some("internal")), "{url:?}: {}", tampered.body);
        assert!(!tampered.body.contains("Jan Verdacht"), "{url:?}: {}", tampered.body);
        // Staff are told which record and what does not open.
        let record = select_text(&world.place, &format!("SELECT id FROM records WHERE reference = '{number}'"));
        let shown = world.place.run(&["case", "--as", "carla", "show", number]);
        let reason = format!("record {record}: the detail of event `legal_obligation_checked` does not open where it is stored");
        assert!(!shown.status.success() && stderr(&shown).contains(&reason), "{url:?}: {}", stderr(&shown));
    });
}

// req: I.SEC
#[test]
fn the_details_of_two_events_of_one_name_swapped_by_sql_do_not_open() {
    on_a_subscription(|place, kernel, record, keeper, processing| {
        for (n, text) in ["eerste herinnering", "tweede herinnering"].into_iter().enumerate() {
            let later = Access::new("test.communications", Role::Communications, "test", keeper.now + jiff::SignedDuration::from_secs(60 * n as i64));
            kernel.record_event(&later, processing, record, Action::Advance, "reminded", None, Some(Detail::staff(text))).unwrap();
        }
        let details = || -> Result<Vec<Option<String>>, KernelError> {
            Ok(kernel.events(keeper, processing, record)?.into_iter().filter(|e| e.event == "reminded").map(|e| e.detail).collect())
        };
        assert_eq!(details().unwrap(), [Some("eerste herinnering".to_string()), Some("tweede herinnering".to_string())]);

        tamper(
            place,
            "CREATE TABLE kept AS SELECT id, record_id, event, detail FROM record_events WHERE event = 'reminded';
             UPDATE record_events SET detail = (SELECT k.detail FROM kept k WHERE k.record_id = record_events.record_id AND k.event = record_events.event AND k.id <> record_events.id)
             WHERE event = 'reminded'",
        );
        assert_tampered(place, details(), record, "the detail of event `reminded`");
    });
}

// req: I.SEC
#[test]
fn an_older_value_of_a_field_pasted_back_by_sql_does_not_open() {
    on_a_subscription(|place, kernel, record, keeper, processing| {
        // The value as a backup holds it, then changed the ordinary way.
        tamper(place, "CREATE TABLE kept AS SELECT record_id, category, value FROM fields WHERE category = 'email'");
        kernel.write(keeper, processing, Some(&record.subject), Some(&record.record), &[(Category::Email, Value::text("nieuw@example.nl"))]).unwrap();
        let email = || -> Result<Option<Value>, KernelError> {
            let views = kernel.read(keeper, processing, &record.subject, CategorySet::of(&[Category::Email]))?;
            Ok(views.into_iter().find_map(|view| view.get(Category::Email).cloned()))
        };
        assert_eq!(email().unwrap(), Some(Value::text("nieuw@example.nl")));
        assert_eq!(select_text(place, "SELECT CAST(version AS TEXT) FROM fields WHERE category = 'email'"), "2");

        // The old ciphertext pasted back over the new one, the version left as it is.
        tamper(
            place,
            "UPDATE fields SET value = (SELECT k.value FROM kept k WHERE k.record_id = fields.record_id AND k.category = fields.category)
             WHERE category = 'email'",
        );
        assert_tampered(place, email(), record, "field `email` (version 2)");
    });
}

/// A data directory written by the binary of before fields had versions and
/// events bound their rows (`git show 8e5f66a`): case IMG-2026-000001 of
/// examples/fysieke-schade.json with a photo, moved to in_handling and
/// disclosed to the police with a legal check. Test data, key included.
const OLD_SEALING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sealed-v1");
/// The photo in it, as it was attached.
const PHOTO: &[u8] = b"JPEG: scheur in de achtergevel";

/// A store of the sealing above whose photo's file was sealed under its
/// subject's key, as files were before each had a key of its own: made by
/// `case create examples/fysieke-schade.json`, then `case attach` of
/// [`PHOTO`], with the build of `a82a037`. Test data, key included.
const FILE_UNDER_SUBJECT_KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sealed-v2-blob");

/// A copy of `from` in a new directory, key files owner-only as the binary wants them.
fn copy_of(from: &Path) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let to = tempfile::tempdir().unwrap();
    for file in crate::files_below(from) {
        let target = to.path().join(file.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&file, &target).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    to
}

/// Every sealed value in the store and the blob store, and the setting that
/// says how they are sealed.
#[derive(Debug, PartialEq)]
struct SealedState {
    /// Record, category and value of each field.
    fields: Vec<(String, String, Vec<u8>)>,
    details: Vec<Option<Vec<u8>>>,
    blobs: Vec<Vec<u8>>,
    sealing_version: Option<Vec<u8>>,
}

fn sealed_state(dir: &Path) -> SealedState {
    let db = crate::sqlite(dir);
    let fields =
        rows(db.prepare("SELECT record_id, category, value FROM fields ORDER BY record_id, category").unwrap(), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)));
    let details = rows(db.prepare("SELECT detail FROM record_events ORDER BY id").unwrap(), |r| r.get(0));
    let mut blobs: Vec<Vec<u8>> = crate::files_below(&dir.join("blobs")).iter().map(|f| std::fs::read(f).unwrap()).collect();
    blobs.sort();
    let sealing_version = db.query_row("SELECT value FROM settings WHERE name = 'sealing_version'", [], |r| r.get(0)).ok();
    SealedState { fields, details, blobs, sealing_version }
}

fn rows<T>(mut statement: rusqlite::Statement<'_>, map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> Vec<T> {
    statement.query_map([], map).unwrap().collect::<Result<_, _>>().unwrap()
}

// req: I.SEC
#[test]
fn data_sealed_before_its_place_was_bound_is_re_sealed_once_when_opened() {
    let dir = copy_of(Path::new(OLD_SEALING));
    let place = Place::sqlite(dir.path());
    let old = sealed_state(dir.path());
    assert_eq!(old.sealing_version, None, "the fixture is of the old sealing");

    let shown = place.ok(&["case", "--role", "privacy_officer", "show", "IMG-2026-000001"]);
    for expected in ["Anna de Vries", "NL91ABNA0417164300", "Hoofdstraat 12", "legal_obligation_checked", "vordering OvJ 2026/7 inzake Jan Verdacht"] {
        assert!(shown.contains(expected), "{expected} missing from:\n{shown}");
    }
    let resealed = sealed_state(dir.path());
    assert_eq!(resealed.sealing_version.as_deref(), Some(&b"2"[..]));
    // Every value was sealed anew (a fresh nonce each), none left behind.
    assert_eq!(resealed.fields.len(), old.fields.len());
    assert!(resealed.fields.iter().zip(&old.fields).all(|(new, old)| new.0 == old.0 && new.1 == old.1 && new.2 != old.2));
    assert_eq!(select_text(&place, "SELECT group_concat(DISTINCT version) FROM fields"), "1", "a value re-sealed is the same version");
    assert_eq!(resealed.details.len(), old.details.len());
    assert!(resealed.details.iter().zip(&old.details).all(|(new, old)| new.is_none() == old.is_none() && (new.is_none() || new != old)));
    assert_eq!(resealed.blobs.len(), old.blobs.len(), "the photo's new file replaced the old one");
    assert!(resealed.blobs.iter().all(|blob| !old.blobs.contains(blob)));
    // The photo reads back whole.
    let kernel = crate::open_kernel(dir.path());
    let handler = crate::access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.find_by_bsn(&handler, physical, crate::server::ANNA_BSN).unwrap().unwrap();
    let views = kernel.read(&handler, physical, &anna, CategorySet::of(&[Category::OtherInclPhotos])).unwrap();
    // The case's own details are of that category too; the photo is its own record.
    let photos: Vec<&Value> = views.iter().filter_map(|view| view.get(Category::OtherInclPhotos)).filter(|v| matches!(v, Value::Bytes(_))).collect();
    assert_eq!(photos, [&Value::Bytes(PHOTO.to_vec())]);
    drop(kernel);
    let verified = place.ok(&["audit", "verify"]);
    assert!(verified.contains("audit log ok"), "{verified}");

    // Opened again, nothing changes.
    assert_eq!(place.ok(&["case", "--role", "privacy_officer", "show", "IMG-2026-000001"]), shown);
    assert_eq!(sealed_state(dir.path()), resealed);
}

// req: I.SEC
#[test]
fn a_value_that_does_not_open_before_the_re_seal_is_left_as_it_is_and_still_does_not_open() {
    let dir = copy_of(Path::new(OLD_SEALING));
    let place = Place::sqlite(dir.path());
    // Altered while the old binary ran: another event's detail in place of the fast track's.
    tamper(&place, "UPDATE record_events SET detail = (SELECT detail FROM record_events WHERE event = 'automated_check') WHERE event = 'fast_track'");
    let record = select_text(&place, "SELECT id FROM records WHERE reference = 'IMG-2026-000001'");
    // The store opens (the rest is re-sealed), warning of what it left;
    // the altered detail is refused, named.
    let shown = place.command().env("GRONDSLAG_LOG", "warn").args(["case", "--role", "privacy_officer", "show", "IMG-2026-000001"]).output().unwrap();
    let reason = format!("record {record}: the detail of event `fast_track` does not open where it is stored");
    assert!(!shown.status.success() && stderr(&shown).contains(&reason), "{}", stderr(&shown));
    assert!(stderr(&shown).contains("left sealed values that could not be re-sealed"), "{}", stderr(&shown));
    assert_eq!(sealed_state(dir.path()).sealing_version.as_deref(), Some(&b"2"[..]));
    assert!(place.ok(&["audit", "verify"]).contains("audit log ok"));
}

/// The photos of the fixture's applicant, as a case handler reads them.
fn photos(kernel: &Kernel) -> Vec<Value> {
    let handler = crate::access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.find_by_bsn(&handler, physical, crate::server::ANNA_BSN).unwrap().unwrap();
    let views = kernel.read(&handler, physical, &anna, CategorySet::of(&[Category::OtherInclPhotos])).unwrap();
    let mut photos: Vec<Value> =
        views.iter().filter_map(|view| view.get(Category::OtherInclPhotos)).filter(|v| matches!(v, Value::Bytes(_))).cloned().collect();
    photos.sort_by_key(|photo| format!("{photo:?}"));
    photos
}

// req: I.SEC
#[test]
fn a_file_sealed_under_its_subjects_key_still_opens_and_a_new_one_is_sealed_under_a_key_of_its_own() {
    let dir = copy_of(Path::new(FILE_UNDER_SUBJECT_KEY));
    let place = Place::sqlite(dir.path());
    let old = sealed_state(dir.path());
    assert_eq!(old.sealing_version.as_deref(), Some(&b"2"[..]), "the fixture is of the current sealing of fields");
    let kernel = crate::open_kernel(dir.path());
    assert_eq!(photos(&kernel), [Value::Bytes(PHOTO.to_vec())]);
    assert_eq!(sealed_state(dir.path()), old, "opening and reading rewrote nothing");

    // A second photo, sealed under a key of its own before its unit.
    let second = b"JPEG: scheur in de voorgevel".to_vec();
    let cases =
        grondslag_claims::cases::Cases::new(&kernel, grondslag_claims::area::AreaLists::parse("data/areas.csv", grondslag_claims::area::SAMPLE).unwrap());
    cases.attach_photo(&crate::access(Role::CaseHandler), "IMG-2026-000001", second.clone()).unwrap();
    let mut expected = vec![Value::Bytes(PHOTO.to_vec()), Value::Bytes(second)];
    expected.sort_by_key(|photo| format!("{photo:?}"));
    assert_eq!(photos(&kernel), expected);
    // Its field keeps the file's key beside its name: 32 bytes more, sealed.
    let lengths: Vec<i64> =
        rows(crate::sqlite(dir.path()).prepare("SELECT length(value) FROM fields WHERE blob IS NOT NULL ORDER BY length(value)").unwrap(), |r| r.get(0));
    assert_eq!(lengths.len(), 2);
    assert_eq!(lengths[1] - lengths[0], 32, "{lengths:?}");

    // Each file opens only under its own name: swapped, neither does.
    let named = |order: &str| select_text(&place, &format!("SELECT blob FROM fields WHERE blob IS NOT NULL ORDER BY length(value) {order} LIMIT 1"));
    let (under_subject, own) = (dir.path().join("blobs").join(named("ASC")), dir.path().join("blobs").join(named("DESC")));
    let (a, b) = (std::fs::read(&under_subject).unwrap(), std::fs::read(&own).unwrap());
    std::fs::write(&under_subject, &b).unwrap();
    std::fs::write(&own, &a).unwrap();
    let handler = crate::access(Role::CaseHandler);
    let physical = kernel.processing("fysieke_schade").unwrap();
    let anna = kernel.find_by_bsn(&handler, physical, crate::server::ANNA_BSN).unwrap().unwrap();
    let read = kernel.read(&handler, physical, &anna, CategorySet::of(&[Category::OtherInclPhotos]));
    assert!(matches!(&read, Err(KernelError::Tampered { what, .. }) if what.starts_with("the file of field `other_incl_photos`")), "{read:?}");
}
