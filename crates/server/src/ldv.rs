//! The register in the shape of the draft *Register van
//! Verwerkingsactiviteiten* (RvVA) API of Logboek Dataverwerkingen, so that
//! the processing-activity URI in every audit entry resolves:
//! `/processing_activities/{id}` says whether the activity is active and
//! which version is the latest, `/processing_activities/{id}/versions` lists
//! them, `/processing_activities/{id}/versions/{n}` is version `n` as
//! archived (with `validFrom` and the register's canonical content, whose
//! hash the audit log signed when the version was archived), and
//! `/entities/{id}` the organisation responsible.
//!
//! The kernel archives the versions when it opens, whatever opens it; this
//! module only reads the archive. Where the draft's enums (legal basis,
//! recipients' legal role) have a value for ours it is used; subjects and
//! categories are the register's own words. Ids are the register's, not the
//! draft's UUIDs.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use grondslag_kernel::ProcessingVersion;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{Problem, ServerError};
use crate::openapi;
use crate::state::AppState;
use crate::visitor::{Signed, Visitor};

/// The one entity this register names: the controller of its processings.
const CONTROLLER: &str = "controller";

/// A processing activity: whether it is in force, and its latest version.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProcessingActivity {
    /// The processing's id in the register.
    id: String,
    /// Whether the latest version is the one the register holds now.
    active: bool,
    /// The number of the latest version.
    latest_version: u64,
}

/// One version of a processing activity, as the register said it then.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProcessingActivityVersion {
    /// 1, 2, 3 … in the order the versions took effect.
    version: u64,
    /// When this version took effect, ending the one before.
    valid_from: String,
    name: String,
    /// What the processing is for, in Dutch.
    purpose: String,
    /// The DPV legal basis, e.g. `PublicInterest`.
    legal_basis: Vec<String>,
    /// Whom the data is about, in the register's words.
    data_subjects: Vec<String>,
    personal_data: PersonalData,
    recipients: Vec<Recipient>,
    /// The organisation responsible: an id for `/entities/{id}`.
    controller_entity_id: &'static str,
    /// SHA-256 of `content` (hex), as the audit log's entry for this version carries it.
    content_hash: String,
    /// The register's canonical content for the processing: its table with
    /// the terms and recipients it names, keys sorted.
    #[schema(value_type = Object)]
    content: Value,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PersonalData {
    /// The register's categories of personal data.
    categories: Vec<String>,
    /// The retention rule, as the register states it.
    #[schema(value_type = Object)]
    retention: Value,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Recipient {
    /// The DPV legal role, e.g. `DataProcessor` or `ThirdParty`.
    legal_role: &'static str,
    /// The recipient's id in the register.
    entity_id: String,
    name: String,
}

/// An organisation, as DPV's entities module describes one.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entity {
    /// `Organisation`.
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'static str,
    name: String,
    address: String,
    phonenumber: String,
    email: String,
}

/// The DPV (and draft RvVA) name of a legal basis as the register writes it.
fn dpv_basis(basis: &str) -> String {
    match basis {
        "consent" => "Consent",
        "contract" => "Contract",
        "legal_obligation" => "LegalObligation",
        "vital_interest" => "VitalInterest",
        "public_task" => "PublicInterest",
        "legitimate_interest" => "LegitimateInterest",
        other => return other.to_string(),
    }
    .to_string()
}

/// The DPV legal role of a recipient kind.
fn legal_role(kind: &str) -> &'static str {
    if kind == "processor" { "DataProcessor" } else { "ThirdParty" }
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// Version `archived` in the draft RvVA's shape, read from its canonical
/// content only, so that an old version shows what was said then.
fn version_of(archived: ProcessingVersion) -> Result<ProcessingActivityVersion, ServerError> {
    let content: Value =
        serde_json::from_str(&archived.content).map_err(|e| ServerError::Internal(format!("an archived processing version cannot be read: {e}")))?;
    let processing = &content["processing"];
    let recipients = content["recipients"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, recipient)| Recipient {
            legal_role: legal_role(recipient["kind"].as_str().unwrap_or_default()),
            entity_id: id.clone(),
            name: text(&recipient["name"]),
        })
        .collect();
    Ok(ProcessingActivityVersion {
        version: archived.version,
        valid_from: archived.valid_from.to_string(),
        name: text(&processing["name"]),
        purpose: text(&processing["purpose"]),
        legal_basis: vec![dpv_basis(processing["basis"].as_str().unwrap_or_default())],
        data_subjects: strings(&processing["subjects"]),
        personal_data: PersonalData { categories: strings(&processing["categories"]), retention: processing["retention"].clone() },
        recipients,
        controller_entity_id: CONTROLLER,
        content_hash: archived.content_hash,
        content,
    })
}

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(activity)).routes(routes!(versions)).routes(routes!(version)).routes(routes!(entity))
}

fn no_activity(id: &str) -> ServerError {
    ServerError::NotFound(format!("no processing activity `{id}` was ever in force here"))
}

/// The archived versions of `id`, oldest first; none is a 404. A
/// processing of an internal statement (staff, call centre) is shown only
/// to signed-in staff, as its statement is: by the register in force, or
/// for one it no longer has, by what its latest version said.
async fn archived(state: &AppState, visitor: Visitor, id: String) -> Result<Vec<ProcessingVersion>, ServerError> {
    let register = state.kernel().register();
    let current = register.processing_id(&id).map(|p| register.processing(p).statement);
    let versions = state.run(move |services| Ok(services.kernel.processing_versions(&id)?)).await?;
    let statement = current.or_else(|| {
        let latest: Value = serde_json::from_str(&versions.last()?.content).ok()?;
        latest["processing"]["statement"].as_str().and_then(grondslag_register::Statement::from_name)
    });
    if let Some(statement) = statement {
        statement.open_to(Signed::optional(Signed::from_visitor(visitor)).map(|signed| signed.role))?;
    }
    Ok(versions)
}

/// A processing activity: whether it is in force and its latest version.
#[utoipa::path(get, path = "/processing_activities/{id}", tag = "register",
    params(("id" = String, Path, description = "The processing's identifier in the register", example = "fysieke_schade")),
    responses((status = 200, body = ProcessingActivity), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::public()))))]
async fn activity(State(state): State<AppState>, visitor: Visitor, Path(id): Path<String>) -> Result<Json<ProcessingActivity>, ServerError> {
    let latest = archived(&state, visitor, id.clone()).await?.pop().ok_or_else(|| no_activity(&id))?;
    let register = state.kernel().register();
    let active = register.processing_id(&id).is_some_and(|p| register.processing(p).content_hash == latest.content_hash);
    Ok(Json(ProcessingActivity { id, active, latest_version: latest.version }))
}

/// Every version of a processing activity, oldest first.
#[utoipa::path(get, path = "/processing_activities/{id}/versions", tag = "register",
    params(("id" = String, Path, description = "The processing's identifier in the register", example = "fysieke_schade")),
    responses((status = 200, body = Vec<ProcessingActivityVersion>), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::public()))))]
async fn versions(State(state): State<AppState>, visitor: Visitor, Path(id): Path<String>) -> Result<Json<Vec<ProcessingActivityVersion>>, ServerError> {
    let versions = archived(&state, visitor, id.clone()).await?;
    if versions.is_empty() {
        return Err(no_activity(&id));
    }
    Ok(Json(versions.into_iter().map(version_of).collect::<Result<_, _>>()?))
}

/// A version of a processing activity, as audit entries name it. A data
/// directory from before the numbering also answers for the 12-hex-digit
/// versions its entries name, with what it published then.
#[utoipa::path(get, path = "/processing_activities/{id}/versions/{version}", tag = "register",
    params(("id" = String, Path, description = "The processing's identifier", example = "fysieke_schade"), ("version" = String, Path, description = "The version's number", example = "1")),
    responses((status = 200, body = ProcessingActivityVersion), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::public()))))]
async fn version(State(state): State<AppState>, visitor: Visitor, Path((id, version)): Path<(String, String)>) -> Result<Response, ServerError> {
    let missing = || ServerError::NotFound(format!("no version `{version}` of processing activity `{id}` was ever in force here"));
    let versions = archived(&state, visitor, id.clone()).await?;
    if let Ok(number) = version.parse::<u64>() {
        let found = versions.into_iter().find(|v| v.version == number).ok_or_else(missing)?;
        return Ok(Json(version_of(found)?).into_response());
    }
    let (legacy_id, legacy_version) = (id.clone(), version.clone());
    let body = state.run(move |services| Ok(services.kernel.legacy_processing_version(&legacy_id, &legacy_version)?)).await?.ok_or_else(missing)?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The organisation responsible for the processings (DPV: an entity).
#[utoipa::path(get, path = "/entities/{id}", tag = "register",
    params(("id" = String, Path, description = "The entity's identifier", example = "controller")),
    responses((status = 200, body = Entity), (status = 404, body = Problem)),
    extensions(("x-register" = json!(openapi::public()))))]
async fn entity(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Entity>, ServerError> {
    if id != CONTROLLER {
        return Err(ServerError::NotFound(format!("no entity `{id}`; the register names `{CONTROLLER}`")));
    }
    let register = state.kernel().register();
    Ok(Json(Entity {
        kind: "Organisation",
        id: CONTROLLER,
        name: register.meta.controller.clone(),
        address: register.contact.visit.clone(),
        phonenumber: register.contact.phone.clone(),
        email: register.contact.email.clone(),
    }))
}

/// Where the register says its processing activities live, when that is
/// not this service: the URIs in the audit log will then not resolve here.
/// `origin` is the service's own (`http://127.0.0.1:8080`).
pub fn base_uri_mismatch(register: &grondslag_register::Register, origin: &str) -> Option<String> {
    let base = &register.meta.base_uri;
    let expected = format!("{}/processing_activities", origin.trim_end_matches('/'));
    (base != &expected).then(|| {
        format!(
            "the register's base_uri is {base}, but this service answers for processing activities at {expected}: the processing-activity URIs in the audit log will not resolve here unless a proxy maps one onto the other; set base_uri in the register's [register] section"
        )
    })
}
