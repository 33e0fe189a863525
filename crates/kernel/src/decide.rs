//! The decision: pure, over the compiled register, allocation-free.

use std::fmt;

use grondslag_register::{Action, Category, CategorySet, ProcessingId, RecipientId, Register, Role, Scope, ScopeSet};

/// Why the kernel said no. Names what was asked, so the denial can be
/// explained to the actor and audited without personal data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The role has no grant for this action under this processing.
    RoleNotAllowed {
        /// The actor's role.
        role: Role,
        /// The action it has no grant for.
        action: Action,
    },
    /// Minimisation (E0.5): the processing does not declare the category.
    Undeclared(Category),
    /// The role may act, but not on this category.
    CategoryNotGranted {
        /// The actor's role.
        role: Role,
        /// The category it may not act on.
        category: Category,
    },
    /// Nothing the role may read was asked for.
    NothingGranted {
        /// The actor's role.
        role: Role,
    },
    /// Art. 18 restriction: only the rights process may touch the subject.
    Restricted,
    /// The processing does not share with this recipient.
    NotARecipient,
    /// The recipient is only served by legal obligation, after a recorded check.
    LegalCheckRequired,
    /// Data may be reused for another purpose only by a processing whose
    /// basis is further processing, with its compatibility assessment (E20).
    NoCompatibilityAssessment,
    /// The grant reaches only people or records in a relation to the actor
    /// (`scope`), and this one is not.
    OutOfReach {
        /// The scope the grant has.
        scope: Scope,
    },
    /// Sign-in data (user name, password, second factor, recovery codes,
    /// role) is never changed through the rights process: a request could
    /// otherwise give its filer another role or take over an account.
    NotRectifiable(Category),
    /// The record is under a hold (an investigation, proceedings).
    Held,
    /// Someone filing for themselves (or a principal), or the website,
    /// files at the moment they file: only the organisation registers
    /// something as having arrived earlier (a letter, a phone call), since
    /// that moves the start of its term.
    EarlierReceipt {
        /// The actor's role.
        role: Role,
    },
    /// The recipient needs a processor or data-exchange agreement, and the
    /// register records none in force (I8).
    AgreementMissing {
        /// The recipient's register id.
        recipient: String,
    },
    /// The recipient's agreement ended before the moment of the disclosure (I8).
    AgreementExpired {
        /// The recipient's register id.
        recipient: String,
        /// The agreement's reference.
        reference: String,
        /// Its last day in force.
        ends: jiff::civil::Date,
    },
    /// The recipient receives only when the person's record meets its
    /// condition (`only_when`), and this one does not.
    ConditionNotMet {
        /// The recipient's register id.
        recipient: String,
        /// The category the condition is on.
        category: Category,
        /// The value it must have.
        equals: String,
    },
}

impl Denial {
    /// A short machine-readable reason, for the audit entry.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::RoleNotAllowed { .. } => "role_not_allowed",
            Denial::Undeclared(_) => "category_not_declared",
            Denial::CategoryNotGranted { .. } => "category_not_granted",
            Denial::NothingGranted { .. } => "nothing_granted",
            Denial::Restricted => "subject_restricted",
            Denial::NotARecipient => "not_a_recipient",
            Denial::LegalCheckRequired => "legal_check_required",
            Denial::NoCompatibilityAssessment => "no_compatibility_assessment",
            Denial::OutOfReach { .. } => "relation_missing",
            Denial::NotRectifiable(_) => "not_rectifiable",
            Denial::Held => "record_held",
            Denial::EarlierReceipt { .. } => "earlier_receipt_not_allowed",
            Denial::AgreementMissing { .. } => "agreement_missing",
            Denial::AgreementExpired { .. } => "agreement_expired",
            Denial::ConditionNotMet { .. } => "recipient_condition_not_met",
        }
    }

    /// The reason in Dutch, for a person reading a page: what their role
    /// may not do under `processing` (the processing's name in the
    /// register), or what must happen first. Built from the register's
    /// Dutch labels; names no other person.
    pub fn explain_nl(&self, processing: &str) -> String {
        match self {
            Denial::RoleNotAllowed { role, action } => {
                format!("In je rol als {} mag je dit niet bij ‘{processing}’ (gevraagd: {}).", role.label_nl(), action.label_nl())
            }
            Denial::Undeclared(c) => format!("‘{}’ hoort niet bij ‘{processing}’; het register staat niet toe dat dit hier wordt bewaard.", c.label_nl()),
            Denial::CategoryNotGranted { role, category } => {
                format!("In je rol als {} mag je bij ‘{processing}’ niets doen met dit gegeven: {}.", role.label_nl(), category.label_nl())
            }
            Denial::NothingGranted { role } => format!("In je rol als {} mag je bij ‘{processing}’ geen van de gevraagde gegevens inzien.", role.label_nl()),
            Denial::Restricted => "Het gebruik van deze gegevens is beperkt (artikel 18 AVG): alleen voor het afhandelen van privacyverzoeken mogen ze nog worden gebruikt.".to_string(),
            Denial::NotARecipient => format!("Bij ‘{processing}’ worden geen gegevens aan deze ontvanger verstrekt."),
            Denial::LegalCheckRequired => {
                "Deze ontvanger krijgt gegevens alleen op grond van een wettelijke plicht, en pas nadat is vastgelegd dat die plicht bestaat.".to_string()
            }
            Denial::NoCompatibilityAssessment => "Gegevens mogen alleen voor een ander doel worden gebruikt als eerst is vastgelegd dat dat doel past bij het oorspronkelijke (artikel 6 lid 4 AVG).".to_string(),
            Denial::OutOfReach { scope } => scope_missing_nl(*scope).to_string(),
            Denial::NotRectifiable(c) => {
                format!("‘{}’ hoort bij het inloggen en wordt nooit via een privacyverzoek gewijzigd; de beheerder kan het aanpassen.", c.label_nl())
            }
            Denial::Held => "Deze gegevens worden bewaard zolang een onderzoek of procedure loopt; ze kunnen nu niet worden verwijderd.".to_string(),
            Denial::EarlierReceipt { role } => format!(
                "In je rol als {} dien je iets in op het moment zelf; alleen de organisatie legt vast dat iets eerder binnenkwam (een brief, een telefoongesprek).",
                role.label_nl()
            ),
            Denial::AgreementMissing { recipient } => format!(
                "Ontvanger ‘{recipient}’ heeft een verwerkers- of gegevensleveringsovereenkomst nodig, en het register noemt er geen; er wordt niets verstrekt."
            ),
            Denial::AgreementExpired { recipient, reference, ends } => format!(
                "De overeenkomst {reference} met ontvanger ‘{recipient}’ liep af op {}; er wordt niets verstrekt tot een nieuwe overeenkomst in het register staat.",
                grondslag_values::dutch::date(*ends)
            ),
            Denial::ConditionNotMet { recipient, category, equals } => format!(
                "Ontvanger ‘{recipient}’ krijgt gegevens alleen als bij ‘{}’ ‘{equals}’ staat, en dat staat niet in dit dossier.",
                category.label_nl()
            ),
        }
    }
}

/// What a refusal for a missing relation says to the person refused, in
/// Dutch: the relation their grant needs and they do not have.
fn scope_missing_nl(scope: Scope) -> &'static str {
    match scope {
        Scope::Own => "Je kunt alleen je eigen gegevens inzien of wijzigen.",
        Scope::Represented => "Deze persoon heeft jou niet (of niet meer) gemachtigd.",
        Scope::Assigned => "Dit dossier is niet aan jou toegewezen.",
        Scope::Coached => "Je bent niet de coach van deze medewerker.",
        Scope::Managed => "Deze medewerker zit niet in jouw team.",
        Scope::OwnCalls => "Dit is geen gesprek dat jij zelf hebt gevoerd.",
        Scope::Staff => "Deze persoon is geen medewerker van de organisatie.",
        Scope::All => "Geen van je rechten reikt tot dit dossier.",
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
            Denial::LegalCheckRequired => {
                f.write_str("this recipient receives data only by legal obligation, after a recorded check that the obligation exists")
            }
            Denial::NoCompatibilityAssessment => {
                f.write_str("data may be reused for another purpose only by a further processing with a recorded compatibility assessment (AVG art. 6 lid 4)")
            }
            Denial::OutOfReach { scope } => f.write_str(scope.missing()),
            Denial::NotRectifiable(c) => write!(f, "`{c}` is sign-in data and is never changed through a rights request; an administrator changes it"),
            Denial::Held => f.write_str("the record is under a hold and is kept until the hold is released"),
            Denial::EarlierReceipt { role } => {
                write!(f, "role `{role}` files at the moment it files; only the organisation registers something as received earlier (a letter, a call)")
            }
            Denial::AgreementMissing { recipient } => write!(
                f,
                "recipient `{recipient}` needs a processor or data-exchange agreement and the register records none; record its reference and end date under the recipient before disclosing"
            ),
            Denial::AgreementExpired { recipient, reference, ends } => write!(
                f,
                "the agreement {reference} with recipient `{recipient}` ended on {ends}; nothing is disclosed to it until a renewed agreement is recorded in the register"
            ),
            Denial::ConditionNotMet { recipient, category, equals } => {
                write!(f, "recipient `{recipient}` receives data only when `{category}` is \"{equals}\", and this person's record does not say so")
            }
        }
    }
}

/// The question the kernel answers. `recipient` only for disclosures.
#[derive(Clone, Copy, Debug)]
pub struct Question {
    /// The role the actor acts in.
    pub role: Role,
    /// What the actor wants to do.
    pub action: Action,
    /// The processing it is done under.
    pub processing: ProcessingId,
    /// The categories it touches.
    pub categories: CategorySet,
    /// Whether the subject has restricted processing (art. 18).
    pub restricted: bool,
    /// Who the data goes to, for a disclosure.
    pub recipient: Option<RecipientId>,
    /// For a legal-obligation recipient: the check that the obligation
    /// exists has been recorded (E15.LEGAL).
    pub legal_check_recorded: bool,
}

/// What a decision allows: the categories the action may touch, and whose
/// data it may reach (checked by the kernel against its relations).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowed {
    /// The categories the action may touch.
    pub categories: CategorySet,
    /// Whose data it may reach.
    pub scopes: ScopeSet,
}

/// Returns what the action may touch, or why not.
pub fn decide(register: &Register, q: Question) -> Result<Allowed, Denial> {
    let processing = register.processing(q.processing);
    let grant = processing.grant(q.role, q.action);
    if !grant.is_granted() {
        return Err(Denial::RoleNotAllowed { role: q.role, action: q.action });
    }
    if q.restricted && !processing.rights_process {
        return Err(Denial::Restricted);
    }
    let categories = match q.action {
        Action::Read => {
            // Purpose binding: a read yields only what this processing and
            // role allow, whatever was asked for.
            let allowed = q.categories.intersection(grant.categories);
            if allowed.is_empty() {
                return Err(Denial::NothingGranted { role: q.role });
            }
            allowed
        }
        Action::Disclose if q.recipient.is_some() || q.legal_check_recorded => {
            let recipient = q.recipient.ok_or(Denial::NotARecipient)?;
            let shared = processing.disclosure_to(recipient).ok_or(Denial::NotARecipient)?;
            if register.recipient(recipient).legal_check && !q.legal_check_recorded {
                return Err(Denial::LegalCheckRequired);
            }
            shared.intersection(grant.categories)
        }
        Action::Erase => processing.categories,
        // A step of a disclosure that hands nothing over yet (registering a
        // party's request, settling it) is decided like any other step.
        // A report tabulates exactly what it names, so each category must be granted.
        Action::File | Action::Write | Action::Advance | Action::Handle | Action::Disclose | Action::Report => {
            if q.action == Action::Handle
                && let Some(c) = q.categories.iter().find(|c| c.is_sign_in_data())
            {
                return Err(Denial::NotRectifiable(c));
            }
            // The rights process handles categories of other processings (a
            // rectification); everything else touches only its own.
            if processing.rights_process && q.action == Action::Handle {
                return Ok(Allowed { categories: q.categories, scopes: grant.scopes });
            }
            if let Some(c) = q.categories.difference(processing.categories).first() {
                return Err(Denial::Undeclared(c));
            }
            if let Some(c) = q.categories.difference(grant.categories).first() {
                return Err(Denial::CategoryNotGranted { role: q.role, category: c });
            }
            q.categories
        }
    };
    Ok(Allowed { categories, scopes: grant.scopes })
}

/// Whether a grant's scopes reach the data: `all` reaches everyone; `self`
/// only the actor's own file; every other scope a relation, asked of
/// `holds` (one indexed lookup each, in the order the scopes are listed).
/// Pure, so that it can be checked against random registers and relations.
pub fn reaches(scopes: ScopeSet, own: bool, mut holds: impl FnMut(Scope) -> bool) -> Result<(), Denial> {
    if scopes.contains(Scope::All) || (scopes.contains(Scope::Own) && own) {
        return Ok(());
    }
    let mut missing = None;
    for scope in scopes.iter().filter(|s| *s != Scope::Own) {
        if holds(scope) {
            return Ok(());
        }
        missing = missing.or(Some(scope));
    }
    Err(Denial::OutOfReach { scope: missing.unwrap_or(Scope::Own) })
}
