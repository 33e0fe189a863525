//! The audit log as Logboek Dataverwerkingen reads it: `grondslag audit
//! export` of a fixed scenario against committed expected files, OTLP/JSON
//! checked against a JSON Schema written from opentelemetry-proto's
//! `trace.proto`, and the register's versions as the kernel numbers them
//! when it opens.

use std::collections::HashMap;
use std::path::Path;

use grondslag_kernel::{DataDir, Kernel, Value};
use grondslag_register::{Category, CategorySet, Role};
use serde_json::Value as Json;

use crate::{grondslag, shipped, stderr, stdout};

fn at(moment: &str) -> jiff::Timestamp {
    moment.parse().unwrap()
}

fn open(dir: &Path, register: grondslag_register::Register, now: &str) -> Kernel {
    DataDir::new(dir).open_kernel(register, None, at(now)).unwrap()
}

/// A case handler files, reads and lists; an applicant is refused; a write
/// fails in the store. All at fixed moments.
fn scenario(dir: &Path) {
    let kernel = open(dir, shipped(), "2026-11-28T09:00:00Z");
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = grondslag_kernel::Access::new("carla", Role::CaseHandler, "test", at("2026-11-28T10:00:00Z"));
    let anna = kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Anna"))]).unwrap().subject;
    let handler = grondslag_kernel::Access::new("carla", Role::CaseHandler, "test", at("2026-11-28T10:01:00Z"));
    kernel.read(&handler, physical, &anna, CategorySet::EMPTY.with(Category::Name)).unwrap();
    let handler = grondslag_kernel::Access::new("carla", Role::CaseHandler, "test", at("2026-11-28T10:02:00Z"));
    assert_eq!(kernel.list(&handler, physical, None, 0, 10).unwrap().len(), 1);
    let stranger = grondslag_kernel::Access::new("bert", Role::Applicant, "test", at("2026-11-28T10:03:00Z"));
    kernel.read(&stranger, physical, &anna, CategorySet::EMPTY.with(Category::Name)).unwrap_err();
    // The store refuses the next field: the write fails, and leaves a line.
    crate::sqlite(dir).execute_batch("CREATE TRIGGER no_fields BEFORE INSERT ON fields BEGIN SELECT RAISE(ABORT, 'disk full'); END;").unwrap();
    let handler = grondslag_kernel::Access::new("carla", Role::CaseHandler, "test", at("2026-11-28T10:04:00Z"));
    let failed = kernel.write(&handler, physical, Some(&anna), None, &[(Category::Phone, Value::text("0595 123 456"))]).unwrap_err();
    assert!(failed.to_string().contains("disk full"), "{failed}");
    crate::sqlite(dir).execute_batch("DROP TRIGGER no_fields;").unwrap();
}

/// The entries after the register's versions: those of the scenario.
fn first_of_scenario() -> String {
    (shipped().processings.len() + 1).to_string()
}

fn export(dir: &Path, format: &str) -> String {
    let out = dir.join(format!("export.{format}"));
    let output = grondslag(&[
        "audit",
        "export",
        "--data",
        dir.to_str().unwrap(),
        "--format",
        format,
        "--from-seq",
        &first_of_scenario(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::read_to_string(out).unwrap()
}

/// Random ids replaced by `<kind-n>`, numbered by first appearance, so
/// that the expected file still says which lines share a trace, which
/// line is whose parent and which lines are about the same person.
fn masked(lines: &str) -> Vec<Json> {
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut mask = |kind: &str, value: &mut Json| {
        if let Some(id) = value.as_str() {
            let count = seen.values().filter(|v| v.starts_with(&format!("<{kind}-"))).count();
            *value = Json::String(seen.entry(id.to_string()).or_insert_with(|| format!("<{kind}-{}>", count + 1)).clone());
        }
    };
    lines
        .lines()
        .map(|line| {
            let mut json: Json = serde_json::from_str(line).unwrap();
            mask("trace", &mut json["trace_id"]);
            mask("span", &mut json["span_id"]);
            if json.get("parent_span_id").is_some() {
                mask("span", &mut json["parent_span_id"]);
            }
            if json["attributes"].get("dpl.core.data_subject_id").is_some() {
                mask("subject", &mut json["attributes"]["dpl.core.data_subject_id"]);
            }
            json
        })
        .collect()
}

// req: E17
#[test]
fn the_ldv_export_of_a_fixed_scenario_matches_the_expected_file_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let got = masked(&export(dir.path(), "ldv-jsonl"));
    let expected_text = include_str!("expected/ldv-export.jsonl");
    let expected: Vec<Json> = expected_text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    if std::env::var_os("GRONDSLAG_BLESS").is_some() {
        let text: String = got.iter().map(|line| format!("{line}\n")).collect();
        std::fs::write(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/expected/ldv-export.jsonl"), text).unwrap();
        return;
    }
    assert_eq!(got.len(), expected.len(), "lines: {got:#?}");
    for (i, (got, expected)) in got.iter().zip(&expected).enumerate() {
        let (got, expected) = (got.as_object().unwrap(), expected.as_object().unwrap());
        let keys = |o: &serde_json::Map<String, Json>| o.keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(got), keys(expected), "line {}: fields", i + 1);
        for (field, value) in expected {
            assert_eq!(&got[field], value, "line {}: {field}", i + 1);
        }
    }
    for private in ["carla", "bert", "case_handler", "applicant", "\"test\""] {
        assert!(!expected_text.contains(private), "{private} stays in the stored log only");
    }
}

// req: E17
#[test]
fn the_otlp_export_is_valid_otlp_json_by_the_schema_of_trace_proto() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let exported = export(dir.path(), "otlp-json");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/expected/otlp-trace-request.schema.json");
    let requests = dir.path().join("requests.jsonl");
    std::fs::write(&requests, &exported).unwrap();
    // Python's jsonschema (Draft 2020-12) is on every machine of this kind.
    let check = "import json, sys, jsonschema\n\
                 schema = json.load(open(sys.argv[1]))\n\
                 jsonschema.Draft202012Validator.check_schema(schema)\n\
                 for line in open(sys.argv[2]):\n    jsonschema.Draft202012Validator(schema).validate(json.loads(line))\n\
                 print('valid')";
    let output = std::process::Command::new("python3").args(["-c", check, schema.to_str().unwrap(), requests.to_str().unwrap()]).output().unwrap();
    assert!(output.status.success() && stdout(&output).contains("valid"), "{}{}", stdout(&output), stderr(&output));
    // The same lines as the LDV export, as spans.
    let spans: Vec<Json> = exported
        .lines()
        .flat_map(|l| serde_json::from_str::<Json>(l).unwrap()["resourceSpans"][0]["scopeSpans"][0]["spans"].as_array().unwrap().clone())
        .collect();
    assert_eq!(spans.len(), include_str!("expected/ldv-export.jsonl").lines().count());
    assert_eq!(spans.iter().filter(|s| s["status"]["code"] == 2).count(), 1, "the failed write");
    // A schema that allowed anything would prove nothing: a span with an
    // uppercase or short id, or a number for a 64-bit time, is refused.
    let mut broken: Json = serde_json::from_str(exported.lines().next().unwrap()).unwrap();
    broken["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["startTimeUnixNano"] = Json::from(1);
    std::fs::write(&requests, format!("{broken}\n")).unwrap();
    let output = std::process::Command::new("python3").args(["-c", check, schema.to_str().unwrap(), requests.to_str().unwrap()]).output().unwrap();
    assert!(!output.status.success(), "the schema refuses a number for a fixed64");
}

// req: E17
#[test]
fn the_export_skips_redacted_entries_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    // What redaction leaves: the payload gone, the leaf hash kept.
    let db = crate::sqlite(dir.path());
    db.execute_batch("DROP TRIGGER audit_entries_no_update;").unwrap();
    db.execute(&format!("UPDATE audit_entries SET entry = '' WHERE seq = {}", first_of_scenario()), []).unwrap();
    drop(db);
    let output = grondslag(&["audit", "export", "--data", dir.path().to_str().unwrap(), "--format", "ldv-jsonl", "--from-seq", &first_of_scenario()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).lines().count(), include_str!("expected/ldv-export.jsonl").lines().count() - 1);
    assert!(stderr(&output).contains("skipped 1 redacted entries"), "{}", stderr(&output));
}

/// The shipped register with `edit` applied to its text.
fn edited(edit: impl Fn(&str) -> String) -> grondslag_register::Register {
    grondslag_register::parse("img-edited.toml", &edit(grondslag_register::SHIPPED)).unwrap()
}

// req: E17
#[test]
fn a_content_edit_is_a_new_version_and_a_comment_or_layout_edit_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let id = "fysieke_schade";
    let versions = |kernel: &Kernel| kernel.processing_versions(id).unwrap();
    {
        let kernel = open(dir.path(), shipped(), "2026-01-01T00:00:00Z");
        assert_eq!(versions(&kernel).iter().map(|v| v.version).collect::<Vec<_>>(), [1]);
    }
    {
        // A comment, blank lines and a key moved: the same content.
        let layout = edited(|text| {
            text.replace("[[processing]]\nid = \"fysieke_schade\"\n", "# a comment\n\n[[processing]]\n\nid   =   \"fysieke_schade\"  # the id\n")
                .replace("high_risk = true\nanalysis = \"PIA-E1\"", "analysis = \"PIA-E1\"\nhigh_risk = true")
        });
        let kernel = open(dir.path(), layout, "2026-02-01T00:00:00Z");
        assert_eq!(versions(&kernel).len(), 1, "no new version for presentation");
        assert!(kernel.processing_uri(kernel.processing(id).unwrap()).ends_with("/fysieke_schade/versions/1"));
    }
    {
        let purpose = edited(|text| {
            text.replacen("Aanvragen behandelen voor vergoeding van fysieke schade", "Aanvragen afhandelen voor vergoeding van fysieke schade", 1)
        });
        let kernel = open(dir.path(), purpose, "2026-03-01T00:00:00Z");
        let all = versions(&kernel);
        assert_eq!(all.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
        assert!(all[1].valid_from > all[0].valid_from);
        assert_eq!(all[1].valid_from, at("2026-03-01T00:00:00Z"));
        assert!(kernel.processing_uri(kernel.processing(id).unwrap()).ends_with("/fysieke_schade/versions/2"));
        assert_eq!(kernel.processing_versions("vaste_vergoeding").unwrap().len(), 1, "only the edited processing moved");
    }
    // The versions are in the signed log, and it verifies.
    let output = grondslag(&["audit", "verify", "--data", dir.path().to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let entries = crate::audit_json(dir.path(), "SELECT entry FROM audit_entries", []);
    let new_versions = entries.iter().filter(|e| e.contains("\"register_version\"") && e.contains("\"fysieke_schade\"")).count();
    assert_eq!(new_versions, 2);
}

/// `--resume` goes on where the export that wrote its file stopped: the
/// second part holds what was written since, and the two parts the whole
/// log once. A file that is no frontier, or one written for another log,
/// is refused, saying which and what to do, and left as it was.
// req: E17
#[test]
fn an_export_goes_on_where_the_last_stopped_and_refuses_another_logs_frontier() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let data = dir.path().to_str().unwrap();
    let frontier = dir.path().join("export.frontier");
    let resume = |data: &str, frontier: &Path| grondslag(&["audit", "export", "--data", data, "--format", "ldv-jsonl", "--resume", frontier.to_str().unwrap()]);
    let spans = |output: &std::process::Output| -> Vec<String> {
        assert!(output.status.success(), "{}", stderr(output));
        stdout(output).lines().map(|line| serde_json::from_str::<Json>(line).unwrap()["span_id"].as_str().unwrap().to_string()).collect()
    };
    let first = spans(&resume(data, &frontier));
    let kernel = open(dir.path(), shipped(), "2026-11-28T11:00:00Z");
    let physical = kernel.processing("fysieke_schade").unwrap();
    let handler = grondslag_kernel::Access::new("carla", Role::CaseHandler, "test", at("2026-11-28T11:00:00Z"));
    kernel.write(&handler, physical, None, None, &[(Category::Name, Value::text("Bert"))]).unwrap();
    drop(kernel);
    let second = spans(&resume(data, &frontier));
    assert!(!second.is_empty() && second.iter().all(|span| !first.contains(span)), "{second:?}");
    let mut both = [first, second.clone()].concat();
    both.sort();
    let mut whole = spans(&grondslag(&["audit", "export", "--data", data, "--format", "ldv-jsonl"]));
    whole.sort();
    assert_eq!(both, whole);
    assert!(spans(&resume(data, &frontier)).is_empty(), "nothing new, nothing again");

    let kept = std::fs::read(&frontier).unwrap();
    let other = tempfile::tempdir().unwrap();
    scenario(other.path());
    let out = other.path().join("part.jsonl");
    let args = ["audit", "export", "--data", other.path().to_str().unwrap(), "--format", "ldv-jsonl", "--resume", frontier.to_str().unwrap()];
    let refused = grondslag(&[&args[..], &["--out", out.to_str().unwrap()]].concat());
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("does not fit this log; was it written for another one?"), "{}", stderr(&refused));
    assert_eq!(std::fs::read(&frontier).unwrap(), kept, "a refused export leaves the frontier as it was");
    assert_eq!(crate::files_below(other.path()).iter().filter(|f| f.to_string_lossy().contains("part.jsonl")).count(), 0, "nor a part of an export");

    let malformed = dir.path().join("not.frontier");
    std::fs::write(&malformed, "{\"chains\": [1, 2]}").unwrap();
    let refused = resume(data, &malformed);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("not.frontier") && stderr(&refused).contains("that is not where an export stopped"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(&malformed).unwrap(), "{\"chains\": [1, 2]}");

    // A frontier that cannot be written fails the export before it writes
    // anything a next run would write again.
    let nowhere = dir.path().join("no-such-directory").join("export.frontier");
    let out = dir.path().join("unwritten.jsonl");
    let refused =
        grondslag(&["audit", "export", "--data", data, "--format", "ldv-jsonl", "--resume", nowhere.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("no-such-directory/export.frontier.partial"), "{}", stderr(&refused));
    assert!(!out.exists() && !dir.path().join("unwritten.jsonl.partial").exists());

    let both = grondslag(&["audit", "export", "--data", data, "--format", "ldv-jsonl", "--from-seq", "3", "--resume", frontier.to_str().unwrap()]);
    assert!(!both.status.success());
    assert!(stderr(&both).contains("cannot be used with"), "{}", stderr(&both));
}
