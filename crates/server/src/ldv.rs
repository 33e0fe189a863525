//! The register in the shape of the Logboek Dataverwerkingen register API,
//! so that the processing-activity URI in every audit entry resolves:
//! `/processing_activities/{id}` is the current version,
//! `/processing_activities/{id}/versions/{version}` any version this
//! service ever enforced (archived at start-up, see [`archive`]). Field
//! names follow the W3C Data Privacy Vocabulary (DPV).

use axum::Json;
use axum::extract::{Path, State};
use grondslag_kernel::Kernel;
use grondslag_register::render::retention_nl;
use grondslag_register::{Basis, ProcessingId, Register};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ErrorBody, ServerError};
use crate::openapi;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProcessingActivity {
    /// The versioned URI, as audit entries name it.
    #[serde(rename = "@id")]
    id: String,
    identifier: String,
    version: String,
    name: String,
    has_data_controller: String,
    has_purpose: String,
    has_legal_basis: LegalBasis,
    has_data_subject: Vec<String>,
    has_personal_data: Vec<PersonalData>,
    has_data_source: Vec<String>,
    has_recipient: Vec<RecipientOf>,
    has_processor: Vec<String>,
    /// In Dutch, as the privacy statement says it.
    has_retention_period: String,
    /// The requirement of the source documents this implements.
    requirement: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct LegalBasis {
    /// The DPV concept, e.g. `dpv:PublicTask`.
    #[serde(rename = "@type")]
    dpv: &'static str,
    label: &'static str,
    articles: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PersonalData {
    category: &'static str,
    label: &'static str,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecipientOf {
    identifier: String,
    name: String,
    has_personal_data: Vec<&'static str>,
}

fn dpv_basis(basis: Basis) -> &'static str {
    match basis {
        Basis::Consent => "dpv:Consent",
        Basis::Contract => "dpv:Contract",
        Basis::LegalObligation => "dpv:LegalObligation",
        Basis::VitalInterest => "dpv:VitalInterest",
        Basis::PublicTask => "dpv:PublicInterest",
        Basis::LegitimateInterest => "dpv:LegitimateInterest",
        Basis::FurtherProcessing => "dpv:CompatiblePurpose",
    }
}

fn activity(register: &Register, id: ProcessingId) -> ProcessingActivity {
    let p = register.processing(id);
    let mut articles = vec![p.basis.avg_article().to_string()];
    articles.extend(p.basis_articles.iter().cloned());
    articles.extend(p.special_ground.iter().cloned());
    ProcessingActivity {
        id: register.processing_uri(id),
        identifier: p.id.clone(),
        version: p.version.clone(),
        name: p.name.clone(),
        has_data_controller: p.controller.clone(),
        has_purpose: p.purpose.clone(),
        has_legal_basis: LegalBasis { dpv: dpv_basis(p.basis), label: p.basis.label_nl(), articles },
        has_data_subject: p.subjects.clone(),
        has_personal_data: p.categories.iter().map(|c| PersonalData { category: c.name(), label: c.label_nl() }).collect(),
        has_data_source: p.sources.clone(),
        has_recipient: p
            .disclosures
            .iter()
            .map(|d| RecipientOf {
                identifier: d.recipient.clone(),
                name: register.recipient(d.recipient_id).name.clone(),
                has_personal_data: d.categories.iter().map(|c| c.name()).collect(),
            })
            .collect(),
        has_processor: p.processors.clone(),
        has_retention_period: retention_nl(&p.retention),
        requirement: p.req.clone(),
    }
}

/// Archives the current version of every processing, so its URI keeps
/// resolving after the register changes. Run at start-up.
pub(crate) fn archive(kernel: &Kernel) -> Result<(), ServerError> {
    let register = kernel.register();
    for id in register.processing_ids() {
        let p = register.processing(id);
        let body = serde_json::to_vec(&activity(register, id)).map_err(|e| ServerError::Internal(e.to_string()))?;
        kernel.archive_processing_version(&p.id, &p.version, &body)?;
    }
    Ok(())
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(current)).routes(routes!(version))
}

/// The current version of a processing activity.
#[utoipa::path(get, path = "/processing_activities/{id}", tag = "register",
    params(("id" = String, Path, description = "The processing's identifier in the register", example = "fysieke_schade")),
    responses((status = 200, body = ProcessingActivity), (status = 404, body = ErrorBody)),
    extensions(("x-register" = json!(openapi::public()))))]
async fn current(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<ProcessingActivity>, ServerError> {
    let register = state.kernel().register();
    let found = register.processing_id(&id).ok_or_else(|| ServerError::NotFound(format!("no processing activity `{id}` in the register")))?;
    Ok(Json(activity(register, found)))
}

/// A version of a processing activity, as audit entries name it; old
/// versions come from the archive.
#[utoipa::path(get, path = "/processing_activities/{id}/versions/{version}", tag = "register",
    params(("id" = String, Path, description = "The processing's identifier", example = "fysieke_schade"), ("version" = String, Path, description = "The version: the first 12 hex digits of the hash of its content", example = "0123456789ab")),
    responses((status = 200, body = ProcessingActivity), (status = 404, body = ErrorBody)),
    extensions(("x-register" = json!(openapi::public()))))]
async fn version(State(state): State<AppState>, Path((id, version)): Path<(String, String)>) -> Result<axum::response::Response, ServerError> {
    use axum::response::IntoResponse;
    let body = state
        .run(move |services| {
            let missing = || ServerError::NotFound(format!("no version `{version}` of processing activity `{id}` was ever in force here"));
            services.kernel.archived_processing_version(&id, &version)?.ok_or_else(missing)
        })
        .await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}
