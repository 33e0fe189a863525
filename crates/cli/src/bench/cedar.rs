//! The kernel's questions decided by Cedar (`cedar-policy`), from a policy
//! set written out of the register's grants so that it gives the same
//! answers: one `permit` per role, action and processing, with the kernel's
//! rules as conditions (write only declared and granted categories, read
//! something granted, disclose to a named recipient — after a recorded check
//! for the legal-obligation ones —, nothing on a restricted subject outside
//! the rights process). Built only with `--features cedar`.

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
        for role in Role::ALL {
            let grant = processing.grant(role);
            for action in Action::ALL.into_iter().filter(|a| grant.allows(*a)) {
                let when = match action {
                    Action::Write => format!(" when {{ [{}].containsAll(context.categories) }}", categories(processing.categories.intersection(grant.categories))),
                    Action::Read => format!(" when {{ context.categories.containsAny([{}]) }}", categories(grant.categories)),
                    Action::Disclose => {
                        let named = |legal: bool| {
                            quoted(processing.disclosures.iter().filter(|d| register.recipient(d.recipient_id).legal_check == legal).map(|d| d.recipient.clone()))
                        };
                        match (named(false), named(true)) {
                            (open, legal) if open.is_empty() && legal.is_empty() => continue,
                            (open, legal) if legal.is_empty() => format!(" when {{ [{open}].contains(context.recipient) }}"),
                            (open, legal) if open.is_empty() => format!(" when {{ [{legal}].contains(context.recipient) && context.legal_check }}"),
                            (open, legal) => format!(" when {{ [{open}].contains(context.recipient) || ([{legal}].contains(context.recipient) && context.legal_check) }}"),
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

fn request(register: &Register, q: &Question) -> Result<Request, Failure> {
    let uid = |kind: &str, id: &str| EntityUid::from_str(&format!("{kind}::\"{id}\"")).map_err(Failure::from);
    let context = serde_json::json!({
        "categories": q.categories.iter().map(|c| c.name()).collect::<Vec<_>>(),
        "restricted": q.restricted,
        "recipient": q.recipient.map(|r| register.recipient(r).id.clone()).unwrap_or_default(),
        "legal_check": q.legal_check_recorded,
    });
    let context = Context::from_json_value(context, None).map_err(Failure::from)?;
    Request::new(uid("Role", q.role.name())?, uid("Action", q.action.name())?, uid("Processing", &register.processing(q.processing).id)?, context, None).map_err(Failure::from)
}

/// Times Cedar on the same questions, after checking it answers each one as
/// the kernel does. Returns the per-decision times (ns), sorted.
pub fn bench(register: &Register, questions: &[Question], decisions: u32) -> Result<Vec<f64>, Failure> {
    let policies = PolicySet::from_str(&policies(register)).map_err(Failure::from)?;
    let requests = questions.iter().map(|q| request(register, q)).collect::<Result<Vec<_>, _>>()?;
    let (authorizer, entities) = (Authorizer::new(), Entities::empty());
    for (q, r) in questions.iter().zip(&requests) {
        let cedar = authorizer.is_authorized(r, &policies, &entities).decision() == Decision::Allow;
        if cedar != decide(register, *q).is_ok() {
            return Err(Failure(format!("Cedar and the kernel disagree on {q:?}; the policy set is not equivalent, so no comparison is printed")));
        }
    }
    let n = requests.len();
    Ok(batches(decisions, |b| {
        for i in 0..BATCH as usize {
            black_box(authorizer.is_authorized(black_box(&requests[(b as usize * 7 + i) % n]), &policies, &entities).decision());
        }
    }))
}
