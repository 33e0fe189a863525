//! The employee survey (I2) through its domain API, on a real store:
//! invitations, anonymous answers with no stored link to who gave them,
//! one response per invitation, linked answers by choice and their
//! withdrawal, and a report with no group under the threshold.

use grondslag_hr::survey::{OTHER, Survey, THRESHOLD};
use grondslag_hr::{Hr, HrError};
use grondslag_kernel::{Access, Denial, Kernel, KernelError, SubjectId};
use grondslag_register::{Action, Category, CategorySet, Role};
use jiff::Timestamp;

use crate::election::{employee, refusal};
use crate::open_kernel;

const NOW: &str = "2026-11-28T10:00:00Z";

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn hr() -> Access {
    Access::new("test.hr", Role::Hr, "test", ts(NOW))
}

fn as_person(name: &str, subject: &SubjectId) -> Access {
    crate::election::as_person(name, subject, NOW)
}

/// Six lawyers and two others invited to a survey of two questions.
struct Round {
    dir: tempfile::TempDir,
    kernel: Kernel,
    survey: Survey,
    /// (file, token), the lawyers first.
    invited: Vec<(SubjectId, String)>,
}

impl Round {
    fn new() -> Round {
        let dir = tempfile::tempdir().unwrap();
        let kernel = open_kernel(dir.path());
        let people: Vec<SubjectId> =
            (0..8).map(|i| employee(&kernel, &format!("Persoon {i}"), if i < 6 { "jurist" } else { "medewerker" }, "2020-01-01")).collect();
        let hr_side = Hr::new(&kernel).unwrap();
        let survey = hr_side.open_survey(&hr(), "MTO 2026", &["Hoe tevreden ben je?".to_string(), "Werkdruk?".to_string()]).unwrap();
        let invited = hr_side.invite(&hr(), &survey, &people).unwrap().into_iter().map(|i| (i.invitee, i.token)).collect();
        Round { dir, kernel, survey, invited }
    }

    fn hr(&self) -> Hr<'_> {
        Hr::new(&self.kernel).unwrap()
    }

    fn answer(&self, who: usize, answers: &[u8]) -> Result<(), HrError> {
        self.hr().answer(&self.invited[who].1, answers, true, ts(NOW))
    }
}

// req: I2
#[test]
fn an_anonymous_answer_has_no_stored_link_to_its_respondent() {
    let round = Round::new();
    for who in 0..6 {
        round.answer(who, &[4, 2]).unwrap();
    }
    let survey_ids = [round.survey.answers.subject.to_string(), round.survey.answers.record.to_string()];
    let invitation = round.kernel.processing("mto_uitnodiging").unwrap();
    let mut person_ids: Vec<String> = Vec::new();
    for (subject, _) in &round.invited {
        person_ids.push(subject.to_string());
        for view in round.kernel.read(&hr(), invitation, subject, CategorySet::EMPTY.with(Category::Name)).unwrap() {
            person_ids.push(view.record.to_string());
        }
    }
    assert_eq!(person_ids.len(), 16, "eight invitees, each with one invitation");
    for (table, row) in crate::election::every_row(round.dir.path()) {
        // Only digests of a token are kept, never the token.
        for (_, token) in &round.invited {
            let secret = token.split_once('-').unwrap().1;
            assert!(!row.contains(secret), "{table} holds a token: {row}");
        }
        let about_survey = survey_ids.iter().any(|id| row.contains(id.as_str()));
        let about_person = person_ids.iter().find(|id| row.contains(id.as_str()));
        assert!(!(about_survey && about_person.is_some()), "{table} joins the answers to {about_person:?}: {row}");
    }
    for entry in crate::election::entries(round.dir.path()).iter().filter(|e| e.data_subject_id.as_deref() == Some(survey_ids[0].as_str())) {
        assert!(["test.hr", grondslag_accounts::system_actor::SURVEY].contains(&entry.actor.as_str()), "{}", entry.actor);
    }
}

// req: I2
#[test]
fn an_invitation_gives_one_response() {
    let round = Round::new();
    round.answer(0, &[5, 5]).unwrap();
    let again = round.answer(0, &[1, 1]);
    assert!(matches!(again, Err(HrError::InvitationUsed)), "{again:?}");
    assert!(again.unwrap_err().to_string().contains("one response"));
    let forged = round.hr().answer("0-00000000000000000000000000000000", &[1, 1], true, ts(NOW));
    assert!(matches!(forged, Err(HrError::NotFound(ref m)) if m.contains("invitation")), "{forged:?}");
    let refused = round.hr().answer(&round.invited[2].1, &[3, 3], false, ts(NOW));
    assert!(matches!(refused, Err(HrError::Missing(ref m)) if m.en.contains("consent") && m.nl.contains("toestemming")), "{refused:?}");
    let wrong = round.answer(3, &[9, 1]);
    assert!(matches!(wrong, Err(HrError::Invalid(ref m)) if m.en.contains("from 1 to 5") && m.nl.contains("1 tot en met 5")), "{wrong:?}");
}

// req: I2
#[test]
fn the_report_shows_no_group_under_the_threshold() {
    let round = Round::new();
    for who in 0..4 {
        round.answer(who, &[4, 2]).unwrap();
    }
    // Four in all: nothing shown.
    let report = round.hr().report(&hr(), &round.survey).unwrap();
    assert!(report.groups.is_empty());
    assert_eq!(report.suppressed, 4);
    round.answer(4, &[2, 2]).unwrap();
    round.answer(5, &[3, 2]).unwrap();
    let report = round.hr().report(&hr(), &round.survey).unwrap();
    assert_eq!(report.groups.len(), 1);
    assert_eq!((report.groups[0].group.as_str(), report.groups[0].respondents), ("jurist", 6));
    assert!((report.groups[0].averages[0] - 21.0 / 6.0).abs() < 1e-9);
    // One other answers: alone in "overig", so the lawyers join it rather
    // than show a figure from which the one answer could be worked out.
    round.answer(6, &[1, 1]).unwrap();
    let report = round.hr().report(&hr(), &round.survey).unwrap();
    assert_eq!(report.groups.iter().map(|g| (g.group.as_str(), g.respondents)).collect::<Vec<_>>(), [(OTHER, 7)]);
    assert!(report.groups.iter().all(|g| g.respondents >= THRESHOLD));
    assert_eq!(report.suppressed, 0);
}

// req: I2
#[test]
fn only_hr_asks_for_the_report_and_nobody_reads_the_answers() {
    let round = Round::new();
    round.answer(0, &[4, 2]).unwrap();
    let hr_side = round.hr();
    let answers = round.kernel.processing("mto_antwoorden").unwrap();
    let (first, _) = &round.invited[0];
    let (other, _) = &round.invited[1];
    for access in [hr(), as_person("persoon0", first), Access::new("test.privacy", Role::PrivacyOfficer, "test", ts(NOW))] {
        let role = access.role;
        let read = round.kernel.read_record(&access, answers, &round.survey.answers, CategorySet::EMPTY.with(Category::SurveyAnswers));
        assert!(matches!(read, Err(KernelError::Denied { denial: Denial::RoleNotAllowed { action: Action::Read, .. }, .. })), "{role}: {read:?}");
    }
    for access in [as_person("persoon0", first), as_person("persoon1", other)] {
        let (processing, denial) = refusal(hr_side.report(&access, &round.survey));
        assert_eq!((processing.as_str(), denial), ("mto_antwoorden", Denial::RoleNotAllowed { role: Role::Employee, action: Action::Advance }));
    }
}

// req: I2
#[test]
fn a_linked_answer_is_in_the_respondents_own_file_and_can_be_unlinked_or_deleted() {
    let round = Round::new();
    let hr_side = round.hr();
    let (first, token) = &round.invited[0];
    let (second, second_token) = &round.invited[1];
    // Not in someone else's name.
    let (processing, denial) = refusal(hr_side.answer_linked(&as_person("persoon1", second), first, token, &[4, 4], true));
    assert_eq!((processing.as_str(), denial.code()), ("personeelsdossier", "relation_missing"));
    let linked = hr_side.answer_linked(&as_person("persoon0", first), first, token, &[4, 4], true).unwrap();
    assert_eq!(linked.subject, *first);
    let results = round.kernel.processing("mto_resultaten").unwrap();
    let read = round.kernel.read_record(&hr(), results, &linked, CategorySet::EMPTY.with(Category::Name).with(Category::SurveyAnswers)).unwrap().unwrap();
    assert!(read.get(Category::Name).is_some() && read.get(Category::SurveyAnswers).is_some());
    // The token is used either way.
    assert!(matches!(round.answer(0, &[1, 1]), Err(HrError::InvitationUsed)));
    // Unlinking moves the answers into the anonymous list.
    hr_side.withdraw_linked(&as_person("persoon0", first), &linked, true).unwrap();
    assert!(round.kernel.read_record(&hr(), results, &linked, CategorySet::EMPTY.with(Category::Name)).is_err());
    let other = hr_side.answer_linked(&as_person("persoon1", second), second, second_token, &[2, 2], true).unwrap();
    // Another employee does not withdraw it.
    let (_, denial) = refusal(hr_side.withdraw_linked(&as_person("persoon0", first), &other, false));
    assert_eq!(denial.code(), "relation_missing");
    hr_side.withdraw_linked(&as_person("persoon1", second), &other, false).unwrap();
    for who in 2..6 {
        round.answer(who, &[4, 4]).unwrap();
    }
    // One unlinked and four anonymous: five, the deleted one not among them.
    let report = hr_side.report(&hr(), &round.survey).unwrap();
    assert_eq!(report.groups.iter().map(|g| g.respondents).sum::<usize>(), 5);
}

// req: I2
#[test]
fn closing_ends_the_invitations_and_the_answers() {
    let round = Round::new();
    round.answer(0, &[4, 2]).unwrap();
    let hr_side = round.hr();
    let (processing, denial) = refusal(hr_side.close_survey(&as_person("persoon0", &round.invited[0].0), &round.survey));
    assert_eq!((processing.as_str(), denial.code()), ("mto_antwoorden", "role_not_allowed"));
    hr_side.close_survey(&hr(), &round.survey).unwrap();
    let late = round.answer(1, &[4, 2]);
    assert!(matches!(late, Err(HrError::Invalid(ref m)) if m.en.contains("closed") && m.nl.contains("gesloten")), "{late:?}");
    let db = crate::sqlite(round.dir.path());
    let due = |processing: &str| -> Vec<Option<String>> {
        db.prepare("SELECT due_at FROM due WHERE processing = ?1").unwrap().query_map([processing], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    };
    let invitations = due("mto_uitnodiging");
    assert_eq!(invitations.len(), 8);
    assert!(invitations.iter().all(|d| d.as_deref().is_some_and(|d| d.starts_with("2026-11-28"))), "{invitations:?}");
    assert!(due("mto_antwoorden").iter().all(|d| d.as_deref().is_some_and(|d| d.starts_with("2027-11-28"))));
}

// req: I2
#[test]
fn hr_runs_a_survey_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--data", dir.path().to_str().unwrap()];
        all.extend_from_slice(args);
        crate::grondslag(&all)
    };
    let help = crate::stdout(&crate::grondslag(&["survey", "--help"]));
    for command in ["open", "list", "invite", "answer", "withdraw", "report", "close"] {
        assert!(help.contains(command), "{command} missing in:\n{help}");
    }
    let opened = run(&["survey", "--role", "hr", "open", "--name", "MTO 2026", "--question", "Tevreden?", "--question", "Werkdruk?"]);
    assert!(opened.status.success(), "{}", crate::stderr(&opened));
    let listed = crate::stdout(&run(&["survey", "list"]));
    assert!(listed.contains("MTO 2026 (2 questions)"), "{listed}");
    let id = listed.split_whitespace().next().unwrap().to_string();
    let report = run(&["survey", "--role", "hr", "report", "--survey", &id]);
    assert!(crate::stdout(&report).starts_with("MTO 2026"), "{}", crate::stderr(&report));
    let forged = run(&["survey", "answer", "--token", "0-00", "--answers", "3,3", "--consent"]);
    assert!(crate::stderr(&forged).contains("use the link from your invitation"), "{}", crate::stderr(&forged));
    let refused = run(&["survey", "--role", "employee", "report", "--survey", &id]);
    assert!(crate::stderr(&refused).contains("mto_antwoorden"), "{}", crate::stderr(&refused));
    assert!(run(&["survey", "--role", "hr", "close", "--survey", &id]).status.success());
}
