//! The kernel's questions decided by Cedar (`cedar-policy`), from a policy
//! set written out of the register's grants so that it gives the same
//! answers: one `permit` per role, action and processing, with the kernel's
//! rules as conditions (file, write and advance only declared and granted
//! categories, handle never sign-in data, read something granted, disclose
//! to a named recipient — after a recorded check for the legal-obligation
//! ones —, nothing on a restricted subject outside the rights process) — and
//! from eight policies over the processings' attributes, the idiomatic
//! form. Built only with `--features cedar`. Both answer the decision only;
//! the scope (whose data) is the kernel's relation check, measured beside.

use std::hint::black_box;
use std::str::FromStr;

use cedar_policy::{Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request};
use grondslag_kernel::{Question, decide};
use grondslag_register::{Action, CategorySet, Register, Role};

use super::{BATCH, batches};
use crate::Failure;

fn quoted(names: impl Iterator<Item = String>) -> String {
    names.map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
}

fn categories(set: CategorySet) -> String {
    quoted(set.iter().map(|c| c.name().to_string()))
}

/// The register's grants as Cedar policies.
pub fn policies(register: &Register) -> String {
    let mut text = String::new();
    for p in register.processing_ids() {
        let processing = register.processing(p);
        let unless = if processing.rights_process { "" } else { " unless { context.restricted }" };
        for role in Role::ALL.iter().copied() {
            for action in Action::ALL.iter().copied().filter(|a| processing.grant(role, *a).is_granted()) {
                let grant = processing.grant(role, action);
                let steps = format!("[{}].containsAll(context.categories)", categories(processing.categories.intersection(grant.categories)));
                let when = match action {
                    Action::File | Action::Write | Action::Advance => format!(" when {{ {steps} }}"),
                    Action::Handle if processing.rights_process => " when { !context.sign_in }".to_string(),
                    Action::Handle => format!(" when {{ !context.sign_in && {steps} }}"),
                    Action::Read => format!(" when {{ context.categories.containsAny([{}]) }}", categories(grant.categories)),
                    Action::Disclose => {
                        // Without a recipient it is a step of a disclosure
                        // (registering a party's request), decided like a filing.
                        let step = format!("(context.recipient == \"\" && !context.legal_check && {steps})");
                        let named = |legal: bool| {
                            quoted(
                                processing.disclosures.iter().filter(|d| register.recipient(d.recipient_id).legal_check == legal).map(|d| d.recipient.clone()),
                            )
                        };
                        match (named(false), named(true)) {
                            (open, legal) if open.is_empty() && legal.is_empty() => format!(" when {{ {step} }}"),
                            (open, legal) if legal.is_empty() => format!(" when {{ {step} || [{open}].contains(context.recipient) }}"),
                            (open, legal) if open.is_empty() => format!(" when {{ {step} || ([{legal}].contains(context.recipient) && context.legal_check) }}"),
                            (open, legal) => format!(
                                " when {{ {step} || [{open}].contains(context.recipient) || ([{legal}].contains(context.recipient) && context.legal_check) }}"
                            ),
                        }
                    }
                    Action::Erase => String::new(),
                };
                text.push_str(&format!(
                    "permit(principal == Role::\"{}\", action == Action::\"{}\", resource == Processing::\"{}\"){when}{unless};\n",
                    role.name(),
                    action.name(),
                    processing.id
                ));
            }
        }
    }
    text
}

/// The same rules as eight policies over attributes of the processings
/// (entities), the way Cedar is meant to be used when the rules are data:
/// each processing lists, per action, the roles that may act and the
/// `role/category` pairs they may touch, and its recipients.
const ATTRIBUTE_POLICIES: &str = r#"
permit(principal, action == Action::"file", resource) when { resource.file.contains(context.role) && resource.file_grants.containsAll(context.role_categories) };
permit(principal, action == Action::"write", resource) when { resource.write.contains(context.role) && resource.write_grants.containsAll(context.role_categories) };
permit(principal, action == Action::"advance", resource) when { resource.advance.contains(context.role) && resource.advance_grants.containsAll(context.role_categories) };
permit(principal, action == Action::"handle", resource) when { resource.handle.contains(context.role) && !context.sign_in && (resource.rights_process || resource.handle_grants.containsAll(context.role_categories)) };
permit(principal, action == Action::"read", resource) when { resource.read.contains(context.role) && resource.read_grants.containsAny(context.role_categories) };
permit(principal, action == Action::"disclose", resource) when { resource.disclose.contains(context.role) && ((context.recipient == "" && !context.legal_check && resource.disclose_grants.containsAll(context.role_categories)) || resource.recipients.contains(context.recipient) || (resource.legal_recipients.contains(context.recipient) && context.legal_check)) };
permit(principal, action == Action::"erase", resource) when { resource.erase.contains(context.role) };
forbid(principal, action, resource) when { context.restricted && !resource.rights_process };
"#;

/// The processings as entities for [`ATTRIBUTE_POLICIES`].
fn entities(register: &Register) -> Result<Entities, Failure> {
    let processings: Vec<serde_json::Value> = register
        .processing_ids()
        .map(|p| {
            let processing = register.processing(p);
            let mut attrs = serde_json::Map::new();
            for action in Action::ALL.iter().copied() {
                let roles: Vec<&str> = Role::ALL.iter().filter(|r| processing.grant(**r, action).is_granted()).map(|r| r.name()).collect();
                attrs.insert(action.name().to_string(), serde_json::json!(roles));
                let grants: Vec<String> = Role::ALL
                    .iter()
                    .filter(|r| processing.grant(**r, action).is_granted())
                    .flat_map(|r| {
                        let granted = processing.grant(*r, action).categories;
                        let allowed = if action == Action::Read { granted } else { processing.categories.intersection(granted) };
                        allowed.iter().map(move |c| format!("{}/{}", r.name(), c.name()))
                    })
                    .collect();
                attrs.insert(format!("{}_grants", action.name()), serde_json::json!(grants));
            }
            let recipients = |legal: bool| -> Vec<String> {
                processing.disclosures.iter().filter(|d| register.recipient(d.recipient_id).legal_check == legal).map(|d| d.recipient.clone()).collect()
            };
            attrs.insert("recipients".to_string(), serde_json::json!(recipients(false)));
            attrs.insert("legal_recipients".to_string(), serde_json::json!(recipients(true)));
            attrs.insert("rights_process".to_string(), serde_json::json!(processing.rights_process));
            serde_json::json!({ "uid": { "type": "Processing", "id": processing.id }, "attrs": attrs, "parents": [] })
        })
        .collect();
    Entities::from_json_value(serde_json::Value::Array(processings), None).map_err(Failure::from)
}

fn request(register: &Register, q: &Question) -> Result<Request, Failure> {
    let uid = |kind: &str, id: &str| EntityUid::from_str(&format!("{kind}::\"{id}\"")).map_err(Failure::from);
    let context = serde_json::json!({
        "categories": q.categories.iter().map(|c| c.name()).collect::<Vec<_>>(),
        "restricted": q.restricted,
        "recipient": q.recipient.map(|r| register.recipient(r).id.clone()).unwrap_or_default(),
        "legal_check": q.legal_check_recorded,
        "sign_in": q.categories.iter().any(|c| c.is_sign_in_data()),
        "role": q.role.name(),
        "role_categories": q.categories.iter().map(|c| format!("{}/{}", q.role.name(), c.name())).collect::<Vec<_>>(),
    });
    let context = Context::from_json_value(context, None).map_err(Failure::from)?;
    Request::new(uid("Role", q.role.name())?, uid("Action", q.action.name())?, uid("Processing", &register.processing(q.processing).id)?, context, None)
        .map_err(Failure::from)
}

/// Cedar's times on the same questions (ns per decision, sorted), for the
/// policy set written grant by grant and for the attribute-based one, after
/// checking that each answers every question as the kernel does.
pub fn bench(register: &Register, questions: &[Question], decisions: u32) -> Result<[Vec<f64>; 2], Failure> {
    let requests = questions.iter().map(|q| request(register, q)).collect::<Result<Vec<_>, _>>()?;
    let per_grant = (PolicySet::from_str(&policies(register)).map_err(Failure::from)?, Entities::empty());
    let by_attribute = (PolicySet::from_str(ATTRIBUTE_POLICIES).map_err(Failure::from)?, entities(register)?);
    let authorizer = Authorizer::new();
    let time = |(policies, entities): &(PolicySet, Entities)| -> Result<Vec<f64>, Failure> {
        for (q, r) in questions.iter().zip(&requests) {
            let cedar = authorizer.is_authorized(r, policies, entities).decision() == Decision::Allow;
            if cedar != decide(register, *q).is_ok() {
                return Err(Failure(format!("Cedar and the kernel disagree on {q:?}; the policy set is not equivalent, so no comparison is printed")));
            }
        }
        let n = requests.len();
        Ok(batches(decisions, |b| {
            for i in 0..BATCH as usize {
                black_box(authorizer.is_authorized(black_box(&requests[(b as usize * 7 + i) % n]), policies, entities).decision());
            }
        }))
    };
    Ok([time(&per_grant)?, time(&by_attribute)?])
}
