//! What a case and a rights request look like to the areas that show them
//! to more than one audience (a case: to its applicant and to staff; a
//! request: to its filer and to the privacy team): the JSON shapes, made
//! from the domain's values, and a case as HTML.

use std::collections::BTreeMap;

use grondslag_claims::cases::CaseView;
use grondslag_kernel::Value;
use grondslag_rights::requests::RequestState;
use maud::{Markup, html};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub(crate) struct RightsRequest {
    /// `subject.record`
    pub id: String,
    pub kind: String,
    #[schema(value_type = String, format = Date)]
    pub received: jiff::civil::Date,
    /// The legal answer date (one month, extended if so recorded).
    #[schema(value_type = String, format = Date)]
    pub due: jiff::civil::Date,
    pub identity_verified: bool,
    pub answered: bool,
    pub overdue: bool,
    /// The processing the request is about, when one was named.
    pub concerns: Option<String>,
}

impl RightsRequest {
    /// Where the request stands at `now` (overdue counts in Amsterdam days).
    pub(crate) fn from_state(state: &RequestState, now: jiff::Timestamp) -> RightsRequest {
        RightsRequest {
            id: state.request.to_string(),
            kind: state.kind.name().to_string(),
            received: state.received,
            due: state.due,
            identity_verified: state.identity.is_some(),
            answered: state.answered,
            overdue: state.overdue(grondslag_values::dutch::amsterdam_date(now)),
            concerns: state.concerns.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseDetail {
    pub number: String,
    pub scheme: String,
    pub scheme_label: String,
    pub status: Option<String>,
    /// Category → value, only the categories this role may read.
    pub fields: BTreeMap<String, String>,
    pub events: Vec<CaseEvent>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CaseEvent {
    pub event: String,
    pub at: String,
    pub detail: Option<String>,
}

impl From<CaseView> for CaseDetail {
    fn from(view: CaseView) -> CaseDetail {
        let fields = view
            .fields
            .map(|f| {
                f.fields
                    .into_iter()
                    .map(|(c, v)| {
                        let shown = match v {
                            Value::Text(t) => t,
                            Value::Bytes(b) => format!("({} bytes)", b.len()),
                        };
                        (c.label_nl().to_string(), shown)
                    })
                    .collect()
            })
            .unwrap_or_default();
        CaseDetail {
            number: view.number,
            scheme: view.scheme.processing().to_string(),
            scheme_label: view.scheme.name_nl().to_string(),
            status: view.summary.status,
            fields,
            events: view.events.into_iter().map(|e| CaseEvent { event: e.event, at: e.at.to_string(), detail: e.detail }).collect(),
        }
    }
}

/// A case as a page shows it: scheme, status, fields and history.
pub(crate) fn case_markup(detail: &CaseDetail) -> Markup {
    html! {
        dl {
            dt { "Regeling" } dd { (detail.scheme_label) }
            dt { "Stand" } dd { (detail.status.as_deref().and_then(grondslag_claims::Status::from_name).map_or("onbekend", |s| s.label_nl())) }
        }
        h2 { "Gegevens" }
        dl { @for (label, value) in &detail.fields { dt { (label) } dd { (value) } } }
        h2 { "Verloop" }
        ol { @for e in &detail.events { li { (e.at) " — " (e.event) @if let Some(d) = &e.detail { ": " (d) } } } }
    }
}
