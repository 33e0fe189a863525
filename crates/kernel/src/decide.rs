//! The decision: pure, over the compiled register, allocation-free.

use std::fmt;

use grondslag_register::{Action, Category, CategorySet, ProcessingId, RecipientId, Register, Role};

/// Why the kernel said no. Names what was asked, so the denial can be
/// explained to the actor and audited without personal data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The role has no grant for this action under this processing.
    RoleNotAllowed { role: Role, action: Action },
    /// Minimisation (E0.5): the processing does not declare the category.
    Undeclared(Category),
    /// The role may act, but not on this category.
    CategoryNotGranted { role: Role, category: Category },
    /// Nothing the role may read was asked for.
    NothingGranted { role: Role },
    /// Art. 18 restriction: only the rights process may touch the subject.
    Restricted,
    /// The processing does not share with this recipient.
    NotARecipient,
    /// The recipient is only served by legal obligation, after a recorded check.
    LegalCheckRequired,
    /// Data may be reused for another purpose only by a processing whose
    /// basis is further processing, with its compatibility assessment (E20).
    NoCompatibilityAssessment,
}

impl Denial {
    /// A short machine-readable reason, for the audit entry.
    pub fn code(self) -> &'static str {
        match self {
            Denial::RoleNotAllowed { .. } => "role_not_allowed",
            Denial::Undeclared(_) => "category_not_declared",
            Denial::CategoryNotGranted { .. } => "category_not_granted",
            Denial::NothingGranted { .. } => "nothing_granted",
            Denial::Restricted => "subject_restricted",
            Denial::NotARecipient => "not_a_recipient",
            Denial::LegalCheckRequired => "legal_check_required",
            Denial::NoCompatibilityAssessment => "no_compatibility_assessment",
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::RoleNotAllowed { role, action } => write!(f, "role `{role}` may not {action} under this processing"),
            Denial::Undeclared(c) => write!(f, "category `{c}` is not declared by this processing; the register does not allow storing it here"),
            Denial::CategoryNotGranted { role, category } => write!(f, "role `{role}` may not handle `{category}` under this processing"),
            Denial::NothingGranted { role } => write!(f, "role `{role}` may read none of the requested categories under this processing"),
            Denial::Restricted => f.write_str("the subject's processing is restricted (AVG art. 18); only the rights process may use the data"),
            Denial::NotARecipient => f.write_str("this processing does not share data with that recipient"),
            Denial::LegalCheckRequired => f.write_str("this recipient receives data only by legal obligation, after a recorded check that the obligation exists"),
            Denial::NoCompatibilityAssessment => f.write_str("data may be reused for another purpose only by a further processing with a recorded compatibility assessment (AVG art. 6 lid 4)"),
        }
    }
}

/// The question the kernel answers. `recipient` only for disclosures.
#[derive(Clone, Copy, Debug)]
pub struct Question {
    pub role: Role,
    pub action: Action,
    pub processing: ProcessingId,
    pub categories: CategorySet,
    pub restricted: bool,
    pub recipient: Option<RecipientId>,
    /// For a legal-obligation recipient: the check that the obligation
    /// exists has been recorded (E15.LEGAL).
    pub legal_check_recorded: bool,
}

/// Returns the categories the action may touch, or why not.
pub fn decide(register: &Register, q: Question) -> Result<CategorySet, Denial> {
    let processing = register.processing(q.processing);
    let grant = processing.grant(q.role);
    if !grant.allows(q.action) {
        return Err(Denial::RoleNotAllowed { role: q.role, action: q.action });
    }
    if q.restricted && !processing.rights_process {
        return Err(Denial::Restricted);
    }
    match q.action {
        Action::Write => {
            if let Some(c) = q.categories.difference(processing.categories).first() {
                return Err(Denial::Undeclared(c));
            }
            if let Some(c) = q.categories.difference(grant.categories).first() {
                return Err(Denial::CategoryNotGranted { role: q.role, category: c });
            }
            Ok(q.categories)
        }
        Action::Read => {
            // Purpose binding: a read yields only what this processing and
            // role allow, whatever was asked for.
            let allowed = q.categories.intersection(grant.categories);
            if allowed.is_empty() {
                return Err(Denial::NothingGranted { role: q.role });
            }
            Ok(allowed)
        }
        Action::Disclose => {
            let recipient = q.recipient.ok_or(Denial::NotARecipient)?;
            let shared = processing.disclosure_to(recipient).ok_or(Denial::NotARecipient)?;
            if register.recipient(recipient).legal_check && !q.legal_check_recorded {
                return Err(Denial::LegalCheckRequired);
            }
            Ok(shared.intersection(grant.categories))
        }
        Action::Erase => Ok(processing.categories),
    }
}
