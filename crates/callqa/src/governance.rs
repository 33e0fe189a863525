//! The protocol's governance (K0, K12): the works council consents to the
//! protocol and to every change of it, and it is evaluated after a year.
//!
//! The protocol *is* the register's processings of the `kcc` statement, so
//! its version is a digest of their canonical content: changing any of
//! them in the register makes a new version, which needs its own recorded
//! consent before it is handed out — and `register check --data` refuses a
//! register whose protocol differs from every version the data directory's
//! works council consented to (`check`). Consents and evaluations are
//! governance records of `kcc_protocol` (no personal data; who recorded
//! them is in the audit log).

use grondslag_kernel::Access;
use grondslag_register::{Register, Statement};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use grondslag_values::Reason;

use crate::{CallQa, CallQaError};

const CONSENT: &str = "consent:";
const EVALUATION: &str = "evaluation:";

/// The protocol's version digest: SHA-256 over the canonical content of
/// every `kcc` processing, by id; 16 hex digits.
pub fn protocol_digest(register: &Register) -> String {
    let mut parts: Vec<(&str, &str)> = register
        .processing_ids()
        .map(|id| register.processing(id))
        .filter(|p| p.statement == Statement::Kcc)
        .map(|p| (p.id.as_str(), p.content_hash.as_str()))
        .collect();
    parts.sort();
    let mut hash = Sha256::new();
    for (id, content) in parts {
        hash.update(id.as_bytes());
        hash.update(b"\0");
        hash.update(content.as_bytes());
        hash.update(b"\n");
    }
    hash.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The works council's consent to a version of the protocol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// The version's name, as handed out (e.g. "2026-1").
    pub version: String,
    /// The digest of the processings consented to.
    pub digest: String,
    /// The date the works council consented.
    pub consented_on: Date,
    /// The works council's reference for its decision.
    pub reference: String,
}

impl Consent {
    /// When the version is evaluated at the latest: a year after consent (K0).
    pub fn evaluation_due(&self) -> Date {
        self.consented_on.checked_add(jiff::Span::new().years(1)).unwrap_or(self.consented_on)
    }
}

/// A yearly evaluation of a version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The version's digest.
    pub digest: String,
    /// When it was evaluated.
    pub on: Date,
    /// The outcome.
    pub outcome: String,
}

/// The protocol as the data directory's records know it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// The register's protocol digest.
    pub digest: String,
    /// The consent to this version, if recorded.
    pub consent: Option<Consent>,
    /// Every consent recorded, oldest first.
    pub consents: Vec<Consent>,
    /// The latest evaluation of this version.
    pub evaluated: Option<Evaluation>,
}

impl Status {
    /// From the governance records of `kcc_protocol` (name, body).
    pub fn from_records(register: &Register, records: &[(String, Vec<u8>)]) -> Result<Status, CallQaError> {
        let digest = protocol_digest(register);
        let mut consents: Vec<Consent> = Vec::new();
        let mut evaluated: Option<Evaluation> = None;
        for (name, body) in records {
            if name.starts_with(CONSENT) {
                consents.push(serde_json::from_slice(body).map_err(|_| CallQaError::Corrupt("protocol consent"))?);
            } else if name.starts_with(EVALUATION) {
                let evaluation: Evaluation = serde_json::from_slice(body).map_err(|_| CallQaError::Corrupt("protocol evaluation"))?;
                if evaluation.digest == digest && evaluated.as_ref().is_none_or(|e| e.on < evaluation.on) {
                    evaluated = Some(evaluation);
                }
            }
        }
        consents.sort_by_key(|c| c.consented_on);
        let consent = consents.iter().find(|c| c.digest == digest).cloned();
        Ok(Status { digest, consent, consents, evaluated })
    }

    /// When the next evaluation is due: a year after consent, then a year
    /// after each evaluation.
    pub fn evaluation_due(&self) -> Option<Date> {
        let consent = self.consent.as_ref()?;
        Some(match &self.evaluated {
            Some(e) => e.on.checked_add(jiff::Span::new().years(1)).unwrap_or(e.on),
            None => consent.evaluation_due(),
        })
    }

    /// The check `register check --data` makes: once a works council has
    /// consented to any version here, the register's protocol must be one
    /// it consented to. `Ok(None)` when no consent was ever recorded (a
    /// warning), `Ok(Some(version))` when this version is consented.
    pub fn check(&self) -> Result<Option<&Consent>, String> {
        match (&self.consent, self.consents.last()) {
            (Some(consent), _) => Ok(Some(consent)),
            (None, None) => Ok(None),
            (None, Some(last)) => Err(format!(
                "the call-centre protocol (the kcc processings) differs from every version the works council consented to (latest: {} of {}, digest {}; this register: {}); record its consent to this version first (`grondslag kcc protocol consent`), or keep the consented register (K0)",
                last.version, last.consented_on, last.digest, self.digest
            )),
        }
    }
}

impl CallQa<'_> {
    /// Records the works council's consent to the register's protocol as
    /// version `version`.
    pub fn record_consent(&self, access: &Access, version: &str, consented_on: Date, reference: &str) -> Result<Consent, CallQaError> {
        if version.trim().is_empty() || reference.trim().is_empty() {
            return Err(CallQaError::Missing(Reason::new(
                "the version's name and the works council's reference",
                "de naam van de versie en het kenmerk van de ondernemingsraad",
            )));
        }
        let status = self.status()?;
        if let Some(other) = status.consents.iter().find(|c| c.version == version.trim() && c.digest != status.digest) {
            return Err(CallQaError::Invalid(Reason::new(
                format!("version {} names another protocol (digest {}); give this one a new name", other.version, other.digest),
                format!("Versie {} is de naam van een ander protocol; geef deze versie een nieuwe naam.", other.version),
            )));
        }
        let consent = Consent { version: version.trim().to_string(), digest: status.digest.clone(), consented_on, reference: reference.trim().to_string() };
        let body = serde_json::to_vec(&consent).map_err(|_| CallQaError::Corrupt("protocol consent"))?;
        self.kernel.record_governance(access, self.p.protocol, &format!("{CONSENT}{}", status.digest), &body)?;
        Ok(consent)
    }

    /// Records the yearly evaluation of the consented version.
    pub fn record_evaluation(&self, access: &Access, on: Date, outcome: &str) -> Result<Evaluation, CallQaError> {
        if outcome.trim().is_empty() {
            return Err(CallQaError::Missing(Reason::new("the evaluation's outcome", "de uitkomst van de evaluatie")));
        }
        let status = self.status()?;
        if status.consent.is_none() {
            return Err(CallQaError::Invalid(Reason::new(
                "this version of the protocol has no recorded consent of the works council; record that first",
                "Voor deze versie van het protocol is geen instemming van de ondernemingsraad vastgelegd; leg die eerst vast.",
            )));
        }
        let evaluation = Evaluation { digest: status.digest.clone(), on, outcome: outcome.trim().to_string() };
        let body = serde_json::to_vec(&evaluation).map_err(|_| CallQaError::Corrupt("protocol evaluation"))?;
        self.kernel.record_governance(access, self.p.protocol, &format!("{EVALUATION}{}:{on}", status.digest), &body)?;
        Ok(evaluation)
    }

    /// The protocol's status in this data directory.
    pub fn status(&self) -> Result<Status, CallQaError> {
        Status::from_records(self.kernel.register(), &self.kernel.governance(self.p.protocol)?)
    }

    /// The version to hand out: the consented one; refused while the
    /// register's protocol has no consent (K0).
    pub fn consented_version(&self) -> Result<String, CallQaError> {
        self.status()?.consent.map(|c| c.version).ok_or_else(|| {
            CallQaError::Invalid(Reason::new(
                "this version of the protocol has no recorded consent of the works council, so it cannot be handed out; record it with `grondslag kcc protocol consent` (K0)",
                "Voor deze versie van het protocol is geen instemming van de ondernemingsraad vastgelegd, dus kan hij nog niet worden uitgereikt (K0).",
            ))
        })
    }
}
