//! The audit log as *Logboek Dataverwerkingen* reads it: a pure projection
//! of a stored [`Entry`] onto LDV's log line (draft 0.8: `trace_id`,
//! `span_id`, `status_code`, `name`, `start_time`, `end_time`,
//! `parent_span_id`, `foreign_operation`, `resource`, `attributes` with
//! the `dpl.core.` keys), and onto OpenTelemetry's OTLP/JSON, which LDV
//! recommends for shipping lines to a Logboek.
//!
//! Who acted, in which role and from where stays out: LDV keeps users out
//! of its lines (they belong in the audit log proper — BIO — which is our
//! stored entry). The projection is versioned ([`VERSION`]) so that a
//! reader can tell which mapping produced a line.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Entry, PSEUDONYM_ID_TYPE};

/// The version of this projection; raised whenever a line of the same
/// entry would come out differently.
pub const VERSION: &str = "1";

/// The LDV draft the projection follows.
pub const STANDARD: &str = "Logboek Dataverwerkingen 0.8";

/// What `data_subject_id_type` said before it was a URI.
const LEGACY_PSEUDONYM_TYPE: &str = "grondslag-pseudonym";

/// The system that wrote the lines: LDV's `resource`.
#[derive(Clone, Copy, Debug)]
pub struct Service<'a> {
    /// `service.name`.
    pub name: &'a str,
    /// `service.version`.
    pub version: &'a str,
}

/// One LDV log line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The operation (ours, never the caller's).
    pub trace_id: String,
    /// This action within it.
    pub span_id: String,
    /// 0 unset (a refusal), 1 ok, 2 error.
    pub status_code: u8,
    /// The action, as the kernel names it (`read`, `lookup:bsn`, …).
    pub name: String,
    /// Milliseconds since the epoch.
    pub start_time: i64,
    /// Milliseconds since the epoch; an operation is one moment, passed in.
    pub end_time: i64,
    /// The action of the operation as a whole, when this is one subject of several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<String>,
    /// The caller's operation in another application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_operation: Option<Foreign>,
    /// The system that did it.
    pub resource: Resource,
    /// The `dpl.core.` attributes.
    pub attributes: Attributes,
}

/// LDV's `foreign_operation`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Foreign {
    /// The caller's trace.
    pub trace_id: String,
    /// The caller's span.
    pub span_id: String,
    /// A URI naming the caller.
    pub entity: String,
}

/// LDV's `resource`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resource {
    /// `service.name`, `service.version` and the projection's version.
    pub attributes: BTreeMap<&'static str, String>,
}

/// LDV's `attributes` in the `dpl.core` namespace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attributes {
    /// The versioned URI of the processing activity in the register.
    #[serde(rename = "dpl.core.processing_activity_id")]
    pub processing_activity_id: String,
    /// The pseudonymous subject, when the line is about one.
    #[serde(rename = "dpl.core.data_subject_id", skip_serializing_if = "Option::is_none")]
    pub data_subject_id: Option<String>,
    /// A URI saying what kind of id `data_subject_id` is.
    #[serde(rename = "dpl.core.data_subject_id_type", skip_serializing_if = "Option::is_none")]
    pub data_subject_id_type: Option<String>,
}

impl Resource {
    fn of(service: Service<'_>) -> Resource {
        let attributes = BTreeMap::from([
            ("service.name", service.name.to_string()),
            ("service.version", service.version.to_string()),
            ("grondslag.ldv.projection", VERSION.to_string()),
        ]);
        Resource { attributes }
    }
}

/// The LDV line of `entry`. Pure: the same entry and service give the same line.
pub fn line(entry: &Entry, service: Service<'_>) -> Line {
    let millis = entry.timestamp.as_millisecond();
    Line {
        trace_id: entry.trace_id.to_string(),
        span_id: entry.span_id.to_string(),
        // From the outcome, not the stored code: entries written before
        // LDV's enum stored a refusal as "ERROR".
        status_code: entry.outcome.status_code().code(),
        name: entry.action.clone(),
        start_time: millis,
        end_time: millis,
        parent_span_id: entry.parent_span_id.map(|span| span.to_string()),
        foreign_operation: entry.foreign_operation.as_ref().map(|foreign| Foreign {
            trace_id: foreign.trace_id.to_string(),
            span_id: foreign.span_id.to_string(),
            entity: foreign.entity.clone(),
        }),
        resource: Resource::of(service),
        attributes: Attributes {
            processing_activity_id: entry.processing_activity_id.clone(),
            data_subject_id: entry.data_subject_id.clone(),
            data_subject_id_type: entry
                .data_subject_id_type
                .as_deref()
                .map(|kind| if kind == LEGACY_PSEUDONYM_TYPE { PSEUDONYM_ID_TYPE } else { kind }.to_string()),
        },
    }
}

/// OTLP/JSON: an `ExportTraceServiceRequest` of one resource and one
/// scope, as `opentelemetry-proto` maps its protobuf to JSON (lowerCamelCase
/// keys, hex trace and span ids, 64-bit integers as strings, enums as numbers).
pub mod otlp {
    use serde::Serialize;

    use super::{Line, Service, VERSION};

    /// The instrumentation scope every span is under.
    pub const SCOPE: &str = "grondslag-audit-ldv";

    /// `SPAN_KIND_INTERNAL`: the lines are steps inside the service.
    const KIND_INTERNAL: u8 = 1;

    /// An `ExportTraceServiceRequest`.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Request {
        /// One resource: this service.
        pub resource_spans: Vec<ResourceSpans>,
    }

    /// `ResourceSpans`.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ResourceSpans {
        /// The service.
        pub resource: Attributed,
        /// One scope: this projection.
        pub scope_spans: Vec<ScopeSpans>,
    }

    /// A message with only attributes (`Resource`).
    #[derive(Debug, Serialize)]
    pub struct Attributed {
        /// Its attributes.
        pub attributes: Vec<KeyValue>,
    }

    /// `ScopeSpans`.
    #[derive(Debug, Serialize)]
    pub struct ScopeSpans {
        /// The projection, by name and version.
        pub scope: Scope,
        /// One span per line.
        pub spans: Vec<Span>,
    }

    /// `InstrumentationScope`.
    #[derive(Debug, Serialize)]
    pub struct Scope {
        /// [`SCOPE`].
        pub name: &'static str,
        /// [`VERSION`].
        pub version: &'static str,
    }

    /// `Span`.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Span {
        /// 32 hex digits.
        pub trace_id: String,
        /// 16 hex digits.
        pub span_id: String,
        /// 16 hex digits, when the line has a parent.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub parent_span_id: Option<String>,
        /// LDV's `name`.
        pub name: String,
        /// `SPAN_KIND_INTERNAL`.
        pub kind: u8,
        /// Nanoseconds since the epoch, as a decimal string.
        pub start_time_unix_nano: String,
        /// Nanoseconds since the epoch, as a decimal string.
        pub end_time_unix_nano: String,
        /// The `dpl.core.` attributes.
        pub attributes: Vec<KeyValue>,
        /// The caller's span, when another application called us.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub links: Vec<Link>,
        /// LDV's `status_code`.
        pub status: Status,
    }

    /// `Span.Link`: LDV's `foreign_operation`.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Link {
        /// The caller's trace.
        pub trace_id: String,
        /// The caller's span.
        pub span_id: String,
        /// `dpl.core.foreign_operation.entity`.
        pub attributes: Vec<KeyValue>,
    }

    /// `Status`.
    #[derive(Debug, Serialize)]
    pub struct Status {
        /// `STATUS_CODE_UNSET`, `_OK` or `_ERROR`.
        pub code: u8,
    }

    /// `KeyValue` with a string value.
    #[derive(Debug, Serialize)]
    pub struct KeyValue {
        /// The attribute's name.
        pub key: String,
        /// Its value.
        pub value: StringValue,
    }

    /// `AnyValue` holding a string.
    #[derive(Debug, Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct StringValue {
        /// The string.
        pub string_value: String,
    }

    fn key_value(key: impl Into<String>, value: impl Into<String>) -> KeyValue {
        KeyValue { key: key.into(), value: StringValue { string_value: value.into() } }
    }

    fn span(line: Line) -> Span {
        let nanos = |millis: i64| (i128::from(millis) * 1_000_000).to_string();
        let mut attributes = vec![key_value("dpl.core.processing_activity_id", line.attributes.processing_activity_id)];
        attributes.extend(line.attributes.data_subject_id.map(|id| key_value("dpl.core.data_subject_id", id)));
        attributes.extend(line.attributes.data_subject_id_type.map(|kind| key_value("dpl.core.data_subject_id_type", kind)));
        Span {
            trace_id: line.trace_id,
            span_id: line.span_id,
            parent_span_id: line.parent_span_id,
            name: line.name,
            kind: KIND_INTERNAL,
            start_time_unix_nano: nanos(line.start_time),
            end_time_unix_nano: nanos(line.end_time),
            attributes,
            links: line
                .foreign_operation
                .into_iter()
                .map(|foreign| Link {
                    trace_id: foreign.trace_id,
                    span_id: foreign.span_id,
                    attributes: vec![key_value("dpl.core.foreign_operation.entity", foreign.entity)],
                })
                .collect(),
            status: Status { code: line.status_code },
        }
    }

    /// One request carrying `lines`, all written by `service`.
    pub fn request(service: Service<'_>, lines: Vec<Line>) -> Request {
        let resource = super::Resource::of(service).attributes.into_iter().map(|(key, value)| key_value(key, value)).collect();
        Request {
            resource_spans: vec![ResourceSpans {
                resource: Attributed { attributes: resource },
                scope_spans: vec![ScopeSpans { scope: Scope { name: SCOPE, version: VERSION }, spans: lines.into_iter().map(span).collect() }],
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ForeignOperation, Outcome, SpanId, StatusCode, TraceId};

    fn entry(outcome: Outcome) -> Entry {
        Entry { data_subject_id_type: Some(LEGACY_PSEUDONYM_TYPE.into()), ..Entry::example(outcome) }
    }

    const SERVICE: Service<'static> = Service { name: "grondslag", version: "0.1.0" };

    #[test]
    fn a_line_has_ldv_names_and_leaves_out_who_acted() {
        let json = serde_json::to_value(line(&entry(Outcome::Allowed), SERVICE)).unwrap();
        assert_eq!(json["start_time"], 1_795_860_000_123_i64);
        assert_eq!(json["status_code"], 1);
        assert_eq!(json["attributes"]["dpl.core.data_subject_id_type"], PSEUDONYM_ID_TYPE);
        assert_eq!(json["resource"]["attributes"]["service.name"], "grondslag");
        let text = json.to_string();
        for private in ["carla", "case_handler", "10.0.0.1"] {
            assert!(!text.contains(private), "{private} stays in the BIO log: {text}");
        }
    }

    #[test]
    fn a_refusal_is_not_an_error_and_a_failure_is() {
        assert_eq!(line(&entry(Outcome::Denied), SERVICE).status_code, 0);
        assert_eq!(line(&entry(Outcome::Failed), SERVICE).status_code, 2);
        // An entry from before the enum, which stored a refusal as "ERROR",
        // and had no foreign operation: it still parses, and is no error.
        let mut json = serde_json::to_value(entry(Outcome::Denied)).unwrap();
        json["status_code"] = "ERROR".into();
        assert!(json.get("foreign_operation").is_none(), "left out when there is none");
        let old = Entry::parse(&json.to_string()).unwrap();
        assert_eq!(old.status_code, StatusCode::Error);
        assert_eq!(line(&old, SERVICE).status_code, 0);
    }

    #[test]
    fn the_callers_operation_is_a_foreign_operation_and_an_otlp_link() {
        let mut called = entry(Outcome::Allowed);
        called.foreign_operation = Some(ForeignOperation { trace_id: TraceId([3; 16]), span_id: SpanId([4; 8]), entity: "urn:caller".into() });
        let ldv = line(&called, SERVICE);
        assert_eq!(ldv.foreign_operation.as_ref().unwrap().trace_id, "03".repeat(16));
        assert_eq!(ldv.trace_id, "01".repeat(16), "our own trace stays ours");
        let json = serde_json::to_value(otlp::request(SERVICE, vec![ldv])).unwrap();
        let span = &json["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["links"][0]["spanId"], "04".repeat(8));
        assert_eq!(span["startTimeUnixNano"], "1795860000123000000");
        assert_eq!(span["status"]["code"], 1);
    }
}
