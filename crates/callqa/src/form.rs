//! The Quality Monitoringsformulier of Bijlage 1, with the interpretations
//! of Bijlage 2 for criteria 1–6 (the seed's text stops there), and the
//! rule that derives "meets the norm" from the answers.
//!
//! **The norm** (design; the protocol names three critical criteria, marked
//! (K), and gives no threshold): a call meets the norm when no critical
//! criterion is answered Nee and at least 80% of the criteria that could be
//! judged (Ja or Nee, not "niet te constateren") are Ja.

use serde::{Deserialize, Serialize};

use grondslag_values::Reason;

use crate::CallQaError;

/// The share of judged criteria that must be Ja, in percent.
pub const NORM_PERCENT: usize = 80;

/// The seven phases of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum Phase {
    Alertheid,
    Aanvang,
    Analyse,
    Antwoord,
    Wachtstand,
    Algemeen,
    Afsluiting,
}

impl Phase {
    /// Every phase, in the order of the form.
    pub const ALL: [Phase; 7] = [Phase::Alertheid, Phase::Aanvang, Phase::Analyse, Phase::Antwoord, Phase::Wachtstand, Phase::Algemeen, Phase::Afsluiting];

    /// The phase's heading on the form.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Alertheid => "Alertheid",
            Phase::Aanvang => "Aanvang",
            Phase::Analyse => "Analyse/LSD",
            Phase::Antwoord => "Antwoord",
            Phase::Wachtstand => "Wachtstand",
            Phase::Algemeen => "Algemeen",
            Phase::Afsluiting => "Afsluiting",
        }
    }
}

/// One criterion of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Criterion {
    /// 1–23.
    pub number: u8,
    /// Its phase.
    pub phase: Phase,
    /// The question as the form asks it.
    pub question: &'static str,
    /// Marked (K): a Nee means the call does not meet the norm.
    pub critical: bool,
    /// Cannot be judged when listening remotely or to a recording (criteria 1–2).
    pub live_only: bool,
    /// Bijlage 2's interpretation, for criteria 1–6.
    pub interpretation: Option<&'static str>,
}

const fn c(number: u8, phase: Phase, question: &'static str) -> Criterion {
    Criterion { number, phase, question, critical: false, live_only: false, interpretation: None }
}

/// The 23 criteria in their seven phases (Bijlage 1), with Bijlage 2.
pub const CRITERIA: [Criterion; 23] = [
    Criterion {
        live_only: true,
        interpretation: Some(
            "Systemen klaar, juiste schermen open, gesprek met collega afgerond, alle informatieve mails gelezen, mond leeg, registratie vorige gesprek af. Privé internet geminimaliseerd. Niet te constateren wanneer op afstand wordt meegeluisterd of bij opgenomen gesprekken.",
        ),
        ..c(1, Phase::Alertheid, "Is de medewerker gereed om het gesprek in te kunnen gaan?")
    },
    Criterion {
        live_only: true,
        interpretation: Some(
            "Wordt het gesprek binnen 2x overgaan opgenomen? Niet te constateren wanneer op afstand wordt meegeluisterd of bij opgenomen gesprekken.",
        ),
        ..c(2, Phase::Alertheid, "Tijdig aannemen")
    },
    Criterion {
        interpretation: Some(
            "Begroeting, zichzelf voorstellen (voor- en achternaam, of alleen achternaam), eventuele stilte opvangen met een dienstvraag naar keuze die het best bij de medewerker past: \u{201c}Goedemorgen, u spreekt met [voornaam achternaam], waarmee kan ik u helpen?\u{201d}",
        ),
        ..c(3, Phase::Aanvang, "Juiste openingszin?")
    },
    Criterion {
        interpretation: Some("De klant merkt niets van eventuele onderliggende emoties van bijvoorbeeld voorgaande gesprekken."),
        ..c(4, Phase::Aanvang, "Is de medewerker met zijn aandacht bij de klant?")
    },
    Criterion {
        interpretation: Some(
            "Open vragen om de klantbehoefte te inventariseren (wie, wat, waar, wanneer, waarmee, hoe); gesloten vragen om feitelijke informatie in te winnen en het gesprek te sturen (kunt u, heeft u); controlevragen om af te stemmen (klopt het dat); meerkeuzevragen (schikt het u in de ochtend of in de middag?); hypothesevragen (stel dat).",
        ),
        ..c(5, Phase::Analyse, "Hanteert de medewerker de juiste vraagstellingen?")
    },
    Criterion {
        interpretation: Some(
            "De medewerker neemt alle relevante opmerkingen van de klant mee in het gesprek, gebruikt de juiste luistergeluiden en wisselt die af om eentonigheid te voorkomen. Samenvatting van de klantsituatie plus wat de klant belangrijk vindt.",
        ),
        ..c(6, Phase::Analyse, "Wordt er actief geluisterd en juist samengevat?")
    },
    c(7, Phase::Analyse, "Ruimte reactie klant"),
    c(8, Phase::Analyse, "Leiding nemen/houden"),
    c(9, Phase::Antwoord, "Juist systeem/bron"),
    c(10, Phase::Antwoord, "Kort/bondig antwoord"),
    Criterion { critical: true, ..c(11, Phase::Antwoord, "Antwoord inhoudelijk correct") },
    Criterion { critical: true, ..c(12, Phase::Antwoord, "Controle gegevens bij registratie/samenvatting") },
    c(13, Phase::Antwoord, "Afstemming"),
    c(14, Phase::Antwoord, "Proefafsluiting"),
    c(15, Phase::Wachtstand, "Wachtstand gebruiken"),
    c(16, Phase::Wachtstand, "Correct gebruik wachtstand"),
    c(17, Phase::Algemeen, "Correct taalgebruik ABN"),
    c(18, Phase::Algemeen, "Is de tone of voice juist?"),
    c(19, Phase::Algemeen, "Positief taalgebruik"),
    c(20, Phase::Algemeen, "Inleving in klant"),
    c(21, Phase::Algemeen, "Professioneel u-vorm"),
    Criterion { critical: true, ..c(22, Phase::Algemeen, "Visitekaartje RVO") },
    c(23, Phase::Afsluiting, "Gepaste afsluiting"),
];

/// An answer to a criterion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Ja.
    Ja,
    /// Nee.
    Nee,
    /// Niet te constateren.
    NietTeConstateren,
}

impl Answer {
    /// Every answer, in the order of the form.
    pub const ALL: [Answer; 3] = [Answer::Ja, Answer::Nee, Answer::NietTeConstateren];

    /// As the form writes it.
    pub fn label(self) -> &'static str {
        match self {
            Answer::Ja => "Ja",
            Answer::Nee => "Nee",
            Answer::NietTeConstateren => "Niet te constateren",
        }
    }
}

impl std::str::FromStr for Answer {
    type Err = CallQaError;
    fn from_str(text: &str) -> Result<Answer, CallQaError> {
        match text.trim().to_lowercase().as_str() {
            "ja" => Ok(Answer::Ja),
            "nee" => Ok(Answer::Nee),
            "ntc" | "niet_te_constateren" | "niet te constateren" => Ok(Answer::NietTeConstateren),
            other => Err(CallQaError::InvalidForm(Reason::new(
                format!("`{other}` is not an answer; use ja, nee or ntc (niet te constateren)"),
                format!("‘{other}’ is geen antwoord; kies ja, nee of niet te constateren."),
            ))),
        }
    }
}

/// What the findings about knowledge concern (Bijlage 1: "bij kennis
/// uitsplitsen naar gebied, systeem of proces").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum KnowledgeArea {
    Gebied,
    Systeem,
    Proces,
}

/// What the form judged: a call listened to (recorded or live), or written handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// A recorded call, listened back: criteria 1–2 cannot be judged.
    Recording,
    /// Listening along live, side by side.
    Live,
    /// Written handling (schriftelijke afhandeling).
    Written,
}

/// The filled-in form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Form {
    /// Naam coachee.
    pub coachee: String,
    /// Naam trainer/coach.
    pub coach: String,
    /// Datum.
    pub date: jiff::civil::Date,
    /// What was judged.
    pub handling: Handling,
    /// Per criterion, in order: the answer and the remark.
    pub answers: Vec<(Answer, String)>,
    /// Bevindingen about knowledge, by area.
    pub knowledge: Vec<(KnowledgeArea, String)>,
    /// Other findings.
    pub findings: String,
    /// Wat ging goed.
    pub went_well: String,
    /// Wat is een compliment waard.
    pub compliment: String,
    /// Wat ging minder goed.
    pub less_well: String,
    /// Afgesproken verbeterpunten, at most three.
    pub improvements: Vec<String>,
}

/// Whether a call meets the norm, and why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Norm {
    /// The verdict.
    pub meets: bool,
    /// Critical criteria answered Nee.
    pub critical_failed: Vec<u8>,
    /// Criteria answered Ja, of those judged.
    pub ja: usize,
    /// Criteria judged (Ja or Nee).
    pub judged: usize,
}

impl Form {
    /// Checks the form is complete and consistent: 23 answers, criteria 1–2
    /// "niet te constateren" on a recording, at most three improvement points.
    pub fn check(&self) -> Result<(), CallQaError> {
        let wrong = |en: String, nl: String| Err(CallQaError::InvalidForm(Reason::new(en, nl)));
        if self.coachee.trim().is_empty() || self.coach.trim().is_empty() {
            return wrong(
                "the form names the coachee and the coach".to_string(),
                "Vul op het formulier de naam van de medewerker en van de coach in.".to_string(),
            );
        }
        if self.answers.len() != CRITERIA.len() {
            return wrong(
                format!("the form has {} criteria; {} answered", CRITERIA.len(), self.answers.len()),
                format!("Het formulier heeft {} criteria en er zijn er {} beantwoord; beantwoord ze allemaal.", CRITERIA.len(), self.answers.len()),
            );
        }
        if self.handling == Handling::Recording {
            for criterion in CRITERIA.iter().filter(|c| c.live_only) {
                if self.answers[usize::from(criterion.number) - 1].0 != Answer::NietTeConstateren {
                    return wrong(
                        format!("criterion {} ({}) cannot be judged on a recording: answer niet te constateren", criterion.number, criterion.question),
                        format!(
                            "Criterium {} ({}) is niet te beoordelen op een opname; kies daar ‘niet te constateren’.",
                            criterion.number, criterion.question
                        ),
                    );
                }
            }
        }
        if self.improvements.len() > 3 {
            return wrong(
                format!("at most three improvement points are agreed; {} given", self.improvements.len()),
                format!("Je kunt hoogstens drie verbeterpunten afspreken; er zijn er {} ingevuld.", self.improvements.len()),
            );
        }
        if self.improvements.iter().any(|i| i.trim().is_empty()) {
            return wrong("an improvement point is empty; leave it out".to_string(), "Een verbeterpunt is leeg; vul het in of laat het weg.".to_string());
        }
        Ok(())
    }

    /// The norm, by the rule in this module's documentation.
    pub fn norm(&self) -> Norm {
        let answers = || CRITERIA.iter().zip(&self.answers);
        let critical_failed = answers().filter(|(c, (a, _))| c.critical && *a == Answer::Nee).map(|(c, _)| c.number).collect::<Vec<_>>();
        let ja = answers().filter(|(_, (a, _))| *a == Answer::Ja).count();
        let judged = answers().filter(|(_, (a, _))| *a != Answer::NietTeConstateren).count();
        let meets = critical_failed.is_empty() && judged > 0 && ja * 100 >= judged * NORM_PERCENT;
        Norm { meets, critical_failed, ja, judged }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(answer: impl Fn(u8) -> Answer) -> Form {
        Form {
            coachee: "Medewerker Jansen".into(),
            coach: "Coach de Boer".into(),
            date: jiff::civil::Date::new(2026, 11, 30).unwrap(),
            handling: Handling::Recording,
            answers: CRITERIA.iter().map(|c| (if c.live_only { Answer::NietTeConstateren } else { answer(c.number) }, String::new())).collect(),
            knowledge: vec![],
            findings: String::new(),
            went_well: String::new(),
            compliment: String::new(),
            less_well: String::new(),
            improvements: vec![],
        }
    }

    // req: K7
    #[test]
    fn the_form_has_23_criteria_in_7_phases_with_three_critical_ones() {
        assert_eq!(CRITERIA.len(), 23);
        assert!(CRITERIA.iter().enumerate().all(|(i, c)| usize::from(c.number) == i + 1));
        assert_eq!(CRITERIA.iter().filter(|c| c.critical).map(|c| c.number).collect::<Vec<_>>(), [11, 12, 22]);
        assert_eq!(CRITERIA.iter().filter(|c| c.interpretation.is_some()).map(|c| c.number).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
        for phase in Phase::ALL {
            assert!(CRITERIA.iter().any(|c| c.phase == phase), "{phase:?}");
        }
    }

    // req: K7
    #[test]
    fn one_nee_on_a_critical_criterion_fails_the_norm_and_otherwise_80_percent_passes() {
        assert!(form(|_| Answer::Ja).norm().meets);
        let critical = form(|n| if n == 22 { Answer::Nee } else { Answer::Ja }).norm();
        assert!(!critical.meets);
        assert_eq!(critical.critical_failed, [22]);
        // 21 judged: four Nee leaves 17/21 = 81% — meets; five leaves 76% — does not.
        assert!(form(|n| if (3..=6).contains(&n) { Answer::Nee } else { Answer::Ja }).norm().meets);
        assert!(!form(|n| if (3..=7).contains(&n) { Answer::Nee } else { Answer::Ja }).norm().meets);
    }

    #[test]
    fn criteria_one_and_two_cannot_be_judged_on_a_recording() {
        let mut judged = form(|_| Answer::Ja);
        judged.answers[0].0 = Answer::Ja;
        assert!(judged.check().unwrap_err().to_string().contains("criterion 1"));
        judged.handling = Handling::Live;
        assert!(judged.check().is_ok());
        let mut too_many = form(|_| Answer::Ja);
        too_many.improvements = vec!["a".into(), "b".into(), "c".into(), "d".into()];
        assert!(too_many.check().is_err());
    }
}
