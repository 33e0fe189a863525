//! The schemes of the institute and the life cycle of their cases.

use std::fmt;

/// A compensation scheme or case-bound procedure, each tied to one
/// processing of the register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// E1: physical damage and material consequential damage.
    PhysicalDamage,
    /// E2: the one-time, final fixed compensation.
    FixedCompensation,
    /// E3: value decrease of a home.
    ValueDecreaseHome,
    /// E4: value decrease of a non-residential building.
    ValueDecreaseNonResidential,
    /// E5: immaterial damage.
    ImmaterialDamage,
    /// E6: children up to and including 17.
    Children,
    /// E7: sustainable repair (Duurzaam Herstel).
    SustainableRepair,
    /// E8: an acutely unsafe situation.
    AcutelyUnsafe,
    /// E9: an opinion (zienswijze) on an expert's advice.
    Opinion,
    /// E10: an objection (bezwaar) against a decision.
    Objection,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: [Scheme; 10] = [
        Scheme::PhysicalDamage,
        Scheme::FixedCompensation,
        Scheme::ValueDecreaseHome,
        Scheme::ValueDecreaseNonResidential,
        Scheme::ImmaterialDamage,
        Scheme::Children,
        Scheme::SustainableRepair,
        Scheme::AcutelyUnsafe,
        Scheme::Opinion,
        Scheme::Objection,
    ];

    /// The id of the scheme's processing in the register.
    pub fn processing(self) -> &'static str {
        match self {
            Scheme::PhysicalDamage => "fysieke_schade",
            Scheme::FixedCompensation => "vaste_vergoeding",
            Scheme::ValueDecreaseHome => "waardedaling_woning",
            Scheme::ValueDecreaseNonResidential => "waardedaling_niet_wonen",
            Scheme::ImmaterialDamage => "immateriele_schade",
            Scheme::Children => "kinderen",
            Scheme::SustainableRepair => "duurzaam_herstel",
            Scheme::AcutelyUnsafe => "acuut_onveilig",
            Scheme::Opinion => "zienswijze",
            Scheme::Objection => "bezwaar",
        }
    }

    /// Parses a scheme by its processing id, as applications name it.
    pub fn from_processing(id: &str) -> Option<Scheme> {
        Scheme::ALL.into_iter().find(|s| s.processing() == id)
    }

    /// The scheme's name in Dutch, as applicants know it.
    pub fn name_nl(self) -> &'static str {
        match self {
            Scheme::PhysicalDamage => "fysieke schade en materiële gevolgschade",
            Scheme::FixedCompensation => "vaste vergoeding",
            Scheme::ValueDecreaseHome => "waardedaling woning",
            Scheme::ValueDecreaseNonResidential => "waardedaling niet-wonen",
            Scheme::ImmaterialDamage => "immateriële schade",
            Scheme::Children => "immateriële schade kinderen en jongeren",
            Scheme::SustainableRepair => "Duurzaam Herstel",
            Scheme::AcutelyUnsafe => "acuut onveilige situatie",
            Scheme::Opinion => "zienswijze",
            Scheme::Objection => "bezwaar",
        }
    }

    /// The statuses a case of this scheme passes through, in order. Each
    /// scheme has only the steps it really has: a fixed compensation needs
    /// no expert, an opinion ends when it is taken into the advice.
    pub fn life_cycle(self) -> &'static [Status] {
        use Status::*;
        match self {
            Scheme::PhysicalDamage | Scheme::ValueDecreaseHome | Scheme::ValueDecreaseNonResidential | Scheme::SustainableRepair => {
                &[Draft, Submitted, InHandling, ExpertAdvice, Decision, Objection, Closed]
            }
            Scheme::FixedCompensation | Scheme::ImmaterialDamage | Scheme::Children => &[Draft, Submitted, InHandling, Decision, Objection, Closed],
            Scheme::AcutelyUnsafe => &[Draft, Submitted, InHandling, Closed],
            Scheme::Opinion => &[Submitted, InHandling, Closed],
            Scheme::Objection => &[Submitted, InHandling, Decision, Closed],
        }
    }

    /// Whether an unfinished application is kept so it can be resumed.
    pub fn saves_drafts(self) -> bool {
        self.life_cycle().first() == Some(&Status::Draft)
    }

    /// Checks a status change against the life cycle: one step forward, or
    /// from a decision straight to closed when no objection is made. A case
    /// waiting for review stands where a submitted one does, and may also
    /// go straight to a decision: the case handler's, the only refusal.
    pub fn transition(self, from: Status, to: Status) -> Result<(), TransitionError> {
        if from == Status::NeedsReview {
            return match self.transition(Status::Submitted, to) {
                Err(_) if to == Status::Decision => Ok(()),
                Err(TransitionError::NotNext { scheme, to, next, .. }) => Err(TransitionError::NotNext { scheme, from, to, next }),
                other => other,
            };
        }
        let steps = self.life_cycle();
        let position = |s: Status| steps.iter().position(|x| *x == s);
        let (Some(f), Some(t)) = (position(from), position(to)) else {
            let missing = if position(from).is_none() { from } else { to };
            return Err(TransitionError::NotInScheme { scheme: self, status: missing });
        };
        let skips_objection = from == Status::Decision && to == Status::Closed;
        if t == f + 1 || skips_objection { Ok(()) } else { Err(TransitionError::NotNext { scheme: self, from, to, next: steps.get(f + 1).copied() }) }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.processing())
    }
}

/// Where a case stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Saved, not yet submitted.
    Draft,
    /// Submitted, not yet picked up.
    Submitted,
    /// Submitted, and a rule would have refused it: a case handler reviews
    /// it and either takes it into handling or decides (E0.2).
    NeedsReview,
    /// A handler is working on it.
    InHandling,
    /// Waiting for, or with, an expert's advice.
    ExpertAdvice,
    /// Decided.
    Decision,
    /// Under objection.
    Objection,
    /// Done.
    Closed,
}

impl Status {
    /// Every status, in life-cycle order.
    pub const ALL: [Status; 8] =
        [Status::Draft, Status::Submitted, Status::NeedsReview, Status::InHandling, Status::ExpertAdvice, Status::Decision, Status::Objection, Status::Closed];

    /// The status's name as stored and shown on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::NeedsReview => "needs_review",
            Status::InHandling => "in_handling",
            Status::ExpertAdvice => "expert_advice",
            Status::Decision => "decision",
            Status::Objection => "objection",
            Status::Closed => "closed",
        }
    }

    /// The status by its name.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The status as the applicant reads it, in Dutch.
    pub fn label_nl(self) -> &'static str {
        match self {
            Status::Draft => "concept",
            Status::Submitted => "ingediend",
            Status::NeedsReview => "ingediend, een medewerker beoordeelt de aanvraag",
            Status::InHandling => "in behandeling",
            Status::ExpertAdvice => "deskundigenadvies",
            Status::Decision => "besluit",
            Status::Objection => "bezwaar",
            Status::Closed => "afgesloten",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a case could not move to the requested status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum TransitionError {
    #[error("a {scheme} case has no status `{status}`")]
    NotInScheme { scheme: Scheme, status: Status },
    #[error("a {scheme} case cannot go from `{from}` to `{to}`{}", next.map(|n| format!("; the next step is `{n}`")).unwrap_or_default())]
    NotNext { scheme: Scheme, from: Status, to: Status, next: Option<Status> },
}

#[cfg(test)]
mod tests {
    use super::*;

    // req: E1
    #[test]
    fn a_case_moves_one_step_at_a_time_through_its_own_life_cycle() {
        let s = Scheme::PhysicalDamage;
        assert_eq!(s.transition(Status::Draft, Status::Submitted), Ok(()));
        assert_eq!(s.transition(Status::InHandling, Status::ExpertAdvice), Ok(()));
        assert_eq!(s.transition(Status::Decision, Status::Closed), Ok(()));
        let skipped = s.transition(Status::Submitted, Status::Decision).unwrap_err();
        assert_eq!(skipped.to_string(), "a fysieke_schade case cannot go from `submitted` to `decision`; the next step is `in_handling`");
        assert!(s.transition(Status::Closed, Status::Draft).is_err());
        // A fixed compensation has no expert step.
        assert!(matches!(
            Scheme::FixedCompensation.transition(Status::InHandling, Status::ExpertAdvice),
            Err(TransitionError::NotInScheme { status: Status::ExpertAdvice, .. })
        ));
        assert!(Scheme::PhysicalDamage.saves_drafts() && !Scheme::Opinion.saves_drafts());
        for scheme in Scheme::ALL {
            assert_eq!(Scheme::from_processing(scheme.processing()), Some(scheme));
            assert_eq!(scheme.life_cycle().last(), Some(&Status::Closed));
        }
    }
}
