//! Who the audit log names as the actor of what the command line does:
//! `--as`, an account (in its own role) or one of the system's own names,
//! and never the name of a person a command is about (`--name`).

use serde_json::Value;
use tempfile::TempDir;

use crate::server::{ANNA_BSN, Place, create_account, file_case};
use crate::stderr;

/// A data directory with Anna's case, filed on the command line.
fn place() -> (TempDir, Place) {
    let dir = TempDir::new().unwrap();
    let place = Place::sqlite(dir.path());
    file_case(&place, "Anna de Vries", ANNA_BSN, "Hoofdstraat 12");
    (dir, place)
}

/// Every audit entry after `after`, parsed.
fn entries_after(place: &Place, after: i64) -> Vec<Value> {
    crate::audit_json(&place.dir, "SELECT entry FROM audit_entries WHERE seq > ?1 ORDER BY seq", [after])
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect()
}

// req: E22
// req: I.SEC
#[test]
fn a_requesters_name_is_kept_in_the_request_and_never_becomes_the_audit_actor() {
    let (_dir, place) = place();
    let start = place.audit_head();
    let filed = place.ok(&["rights", "file", "--kind", "access", "--name", "Anna de Vries", "--bsn", ANNA_BSN]);
    let request = filed.split_whitespace().next().unwrap().to_string();
    let filing = entries_after(&place, start);
    assert!(!filing.is_empty());
    assert!(filing.iter().all(|e| e["actor"] == "cli" && e["role"] == "privacy_officer"), "the command line acted, as the privacy team: {filing:?}");
    // The name is the request's: the export shows it among her data.
    let out = TempDir::new().unwrap();
    place.ok(&["rights", "verify", &request, "--method", "brief met kopie ID"]);
    place.ok(&["rights", "export", &request, "--out", out.path().to_str().unwrap()]);
    let subject = request.split('.').next().unwrap();
    let json: Value = serde_json::from_str(&std::fs::read_to_string(out.path().join(format!("inzage-{subject}.json"))).unwrap()).unwrap();
    let requests = json["processings"].as_array().unwrap().iter().find(|p| p["id"] == "rechtenverzoeken").unwrap();
    assert_eq!(requests["items"][0]["name"], "Anna de Vries");

    // A subscriber's name on the channel commands neither.
    let before = place.audit_head();
    place.ok(&["channel", "newsletter", "subscribe", "--name", "Berend Wolters", "--email", "berend@example.nl", "--consent"]);
    let subscribing = entries_after(&place, before);
    assert!(!subscribing.is_empty() && subscribing.iter().all(|e| e["actor"] == "cli"), "{subscribing:?}");

    // Nowhere in the whole log is a person's name an actor.
    let everything = entries_after(&place, 0);
    assert!(everything.iter().all(|e| e["actor"] != "Anna de Vries" && e["actor"] != "Berend Wolters"));

    // Named with --as, an account is the actor, and its name is given apart from the requester's.
    create_account(&place, "pieter", "privacy_officer", None);
    let before = place.audit_head();
    place.ok(&["rights", "file", "--kind", "erasure", "--name", "Anna de Vries", "--bsn", ANNA_BSN, "--as", "pieter"]);
    let by_pieter = entries_after(&place, before);
    assert!(by_pieter.iter().filter(|e| e["role"] == "privacy_officer").all(|e| e["actor"] == "pieter"), "{by_pieter:?}");
    assert!(by_pieter.iter().any(|e| e["actor"] == "pieter" && e["action"] == "write"));
}

// req: I.SEC
#[test]
fn an_actor_that_is_neither_an_account_nor_a_system_name_is_refused_and_an_account_acts_in_its_own_role() {
    let (_dir, place) = place();
    create_account(&place, "pieter", "privacy_officer", None);
    create_account(&place, "anna", "applicant", Some(ANNA_BSN));
    let start = place.audit_head();

    // A person's name where the actor goes: refused before anything is done.
    let refused = place.run(&["rights", "--as", "Anna de Vries", "file", "--kind", "access", "--name", "Anna de Vries", "--bsn", ANNA_BSN]);
    assert!(!refused.status.success());
    let says = stderr(&refused);
    assert!(says.contains("--as `Anna de Vries`") && says.contains("grondslag account create --username"), "{says}");
    assert!(says.contains("leave --as out"), "{says}");
    // Another privacy officer's name that has no account: the same.
    let typo = place.run(&["rights", "--as", "pieterr", "list"]);
    assert!(!typo.status.success() && stderr(&typo).contains("--as `pieterr`"), "{}", stderr(&typo));
    for channel in [
        vec!["channel", "--as", "redactie", "newsletter", "unsubscribe", "x"],
        vec!["case", "--as", "behandelaar.jansen", "list", "--scheme", "fysieke_schade"],
    ] {
        let out = place.run(&channel);
        assert!(!out.status.success() && stderr(&out).contains("--as `"), "{channel:?}: {}", stderr(&out));
    }
    // Looking the names up among the accounts is itself logged (one line
    // per look-up, finding nothing, by the sign-in process), but none of
    // them became an actor or is in the log, and nothing else was done.
    let since = entries_after(&place, start);
    assert_eq!(since.len(), 4, "{since:#?}");
    assert!(since.iter().all(|e| e["actor"] == "sign-in" && e["action"] == "lookup:username" && e["reason"] == "listed 0 records"), "{since:#?}");
    for name in ["Anna de Vries", "pieterr", "redactie", "behandelaar.jansen"] {
        assert!(since.iter().all(|e| e["actor"] != name && !e.to_string().contains(name)), "{name} was logged: {since:#?}");
    }
    assert!(!place.ok(&["rights", "list"]).contains("access"), "no request was filed");

    // An account acts in its own role: another role is refused, naming both.
    let wrong_role = place.run(&["rights", "--as", "pieter", "--role", "case_handler", "list"]);
    assert!(!wrong_role.status.success());
    assert!(stderr(&wrong_role).contains("--role case_handler") && stderr(&wrong_role).contains("acts as privacy_officer"), "{}", stderr(&wrong_role));
    // An applicant's account is accepted as who she is, and the register refuses her the queue.
    let applicant = place.run(&["rights", "--as", "anna", "list"]);
    assert!(!applicant.status.success());
    assert!(stderr(&applicant).contains("role `applicant` may not handle"), "{}", stderr(&applicant));
    let log = entries_after(&place, start);
    assert!(log.iter().any(|e| e["actor"] == "anna" && e["outcome"] == "denied" && e["reason"] == "role_not_allowed"), "{log:?}");
    // Nor does an applicant manage accounts.
    let manage = place.run(&["account", "--as", "anna", "close", "--username", "pieter"]);
    assert!(!manage.status.success() && stderr(&manage).contains("managed by an administrator"), "{}", stderr(&manage));
    assert!(place.ok(&["rights", "--as", "pieter", "list"]).is_empty());

    // No account may take a name the system acts under.
    let reserved = place.command().args(["account", "create", "--username", "retention", "--role", "admin"]).output().unwrap();
    assert!(!reserved.status.success() && stderr(&reserved).contains("the system itself acts under"), "{}", stderr(&reserved));
}
