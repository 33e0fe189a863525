//! What arrived before it was registered: a letter read on Friday and typed
//! in on Monday, a call taken at 10:00 and entered at 11:00. Its term runs
//! from receipt (E8, E22), the registration keeps its own moment and actor,
//! and the terms can be checked on any date (`--now`).

use jiff::civil::{Weekday, date};
use serde_json::Value;
use tempfile::TempDir;

use crate::server::{ANNA_BSN, Place, create_account, file_case};
use crate::{stderr, stdout};

fn refused(place: &Place, args: &[&str], says: &[&str]) {
    let out = place.run(args);
    assert!(!out.status.success(), "{args:?} should be refused: {}", stdout(&out));
    let message = stderr(&out);
    for part in says {
        assert!(message.contains(part), "{args:?}: the refusal should say `{part}`: {message}");
    }
}

// req: E22
// req: I.RIGHTS
#[test]
fn a_request_received_by_letter_on_friday_and_filed_later_is_due_a_month_after_friday() {
    let dir = TempDir::new().unwrap();
    let place = Place::sqlite(dir.path());
    file_case(&place, "Anna de Vries", ANNA_BSN, "Hoofdstraat 12");
    let friday = date(2026, 10, 2);
    assert_eq!(friday.weekday(), Weekday::Friday);
    let start = place.audit_head();
    let filed = place.ok(&["rights", "file", "--kind", "access", "--name", "Anna de Vries", "--bsn", ANNA_BSN, "--received", "02-10-2026"]);
    // A month after Friday 2 October: Monday 2 November (a working day).
    assert!(filed.contains("received 2026-10-02") && filed.contains("due 2026-11-02"), "{filed}");
    let request = filed.split_whitespace().next().unwrap();

    // Not overdue on its last day, overdue the day after; the list says so on any date.
    let on = |when: &str| place.ok(&["rights", "list", "--now", when]);
    assert!(on("2026-11-01").contains(request) && !on("2026-11-01").contains("OVERDUE"));
    assert!(!on("02-11-2026").contains("OVERDUE"), "the last day is still in time");
    assert!(on("03-11-2026").contains("OVERDUE"), "{}", on("03-11-2026"));

    // Registered now, by the command line: the audit entries carry the
    // registration; the event the term counts from, the receipt.
    let db = crate::sqlite(dir.path());
    let entries: Vec<Value> =
        crate::audit_json(dir.path(), "SELECT entry FROM audit_entries WHERE seq > ?1", [start]).iter().map(|e| serde_json::from_str(e).unwrap()).collect();
    let now = jiff::Timestamp::now();
    for entry in &entries {
        let at: jiff::Timestamp = entry["timestamp"].as_str().unwrap().parse().unwrap();
        assert!((now - at).get_seconds().abs() < 600, "logged when registered: {entry}");
        assert_eq!(entry["actor"], "cli");
    }
    assert!(entries.iter().any(|e| e["reason"].as_str().unwrap().contains("before it was registered")), "{entries:?}");
    let record = request.split('.').nth(1).unwrap();
    let events: Vec<(String, String)> = db
        .prepare("SELECT event, at FROM record_events WHERE record_id = ?1 ORDER BY rowid")
        .unwrap()
        .query_map([record], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(events[0].0 == "received" && events[0].1.starts_with("2026-10-01T22:00:00"), "received at midnight in Amsterdam: {events:?}");
    assert_eq!(events[1].0, "registered", "and registered later: {events:?}");
}

// req: E22
#[test]
fn a_moment_of_receipt_is_read_strictly_never_lies_ahead_and_is_the_organisations_to_give() {
    let dir = TempDir::new().unwrap();
    let place = Place::sqlite(dir.path());
    file_case(&place, "Anna de Vries", ANNA_BSN, "Hoofdstraat 12");
    create_account(&place, "anna", "applicant", Some(ANNA_BSN));
    let start = place.audit_head();
    fn file(received: &str) -> Vec<&str> {
        vec!["rights", "file", "--kind", "access", "--name", "Anna de Vries", "--bsn", ANNA_BSN, "--received", received]
    }
    refused(&place, &file("31-02-2026"), &["--received", "there is no 31 februari 2026", "write a date as 27-11-2026"]);
    refused(&place, &file("vrijdag"), &["--received", "`vrijdag`"]);
    refused(&place, &file("2026-10-02 25:00"), &["--received", "`25:00` is not a time of day"]);
    refused(&place, &file("01-01-2099"), &["--received", "lies after the moment it is registered"]);
    refused(&place, &["rights", "list", "--now", "morgen"], &["--now", "`morgen`"]);
    assert_eq!(place.audit_head(), start, "nothing was filed or looked at");

    // The person herself files at the moment she files: an earlier receipt
    // is the organisation's to register, and the register's refusal says so.
    refused(&place, &[&["rights", "--as", "anna"][..], &file("02-10-2026")[1..]].concat(), &["only the organisation registers"]);
    let reasons = crate::audit_json(dir.path(), "SELECT entry FROM audit_entries WHERE seq > ?1", [start]);
    assert!(reasons.iter().any(|e| e.contains("earlier_receipt_not_allowed") && e.contains("\"anna\"")), "{reasons:?}");
    assert!(place.ok(&["rights", "list"]).is_empty(), "no request stays behind");
}

// req: E8
#[test]
fn an_unsafe_situation_phoned_in_at_ten_and_typed_in_later_is_due_48_hours_after_ten() {
    let dir = TempDir::new().unwrap();
    let place = Place::sqlite(dir.path());
    let report = dir.path().join("melding.json");
    let application = serde_json::json!({
        "scheme": "acuut_onveilig",
        "applicant": { "name": "Anna de Vries", "phone": "0595123456", "address": "Hoofdstraat 12", "postcode_city": "9981 AB Uithuizen" }
    });
    std::fs::write(&report, application.to_string()).unwrap();
    let report = report.to_str().unwrap();
    refused(&place, &["case", "create", report, "--reported-at", "27-11-2026 10:60"], &["--reported-at", "`10:60`"]);
    refused(&place, &["case", "create", report, "--reported-at", "2099-01-01T10:00:00Z"], &["--reported-at", "lies after"]);
    // The website files at the moment it files.
    refused(&place, &["case", "--role", "public", "create", report, "--reported-at", "27-11-2026 10:00"], &["only the organisation registers"]);
    assert!(place.ok(&["case", "list", "--scheme", "acuut_onveilig"]).is_empty(), "nothing was filed");

    let filed = place.ok(&["case", "create", report, "--reported-at", "27-11-2026 10:00"]);
    let number = filed.split_whitespace().next().unwrap();
    // 10:00 in Amsterdam is 09:00 UTC; 48 hours on.
    let overdue = |when: &str| place.ok(&["case", "overdue", "--now", when]);
    assert!(!overdue("29-11-2026 09:59").contains(number));
    assert!(!overdue("2026-11-29T09:00:00Z").contains(number), "on the dot is in time");
    let late = overdue("29-11-2026 10:01");
    assert!(late.contains(number) && late.contains("deadline 2026-11-29T09:00:00Z"), "{late}");
    // The day before and the day after.
    assert!(!overdue("28-11-2026").contains(number));
    assert!(overdue("30-11-2026 12:00").contains(number));
}
