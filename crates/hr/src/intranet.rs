//! The intranet profile (I5) and the reactions on news that outlive it.
//!
//! The required part — name, function, business e-mail — rests on
//! legitimate interest (`intranet_profiel`). Each optional part rests on
//! its own consent (`intranet_profiel_optioneel`): it is a record of its
//! own, filed by the employee, so withdrawing one is deleting that record
//! and leaves the others. Colleagues see the profile; that is what it is for.
//!
//! News items (`intranet_nieuws`) carry likes and reactions. A reaction
//! names its author by their file; when the employment ends the profile is
//! deleted and each of the person's reactions is filed again without an
//! author, so that it stays and shows "oud-medewerker", and nothing in the
//! store leads from it back to the person.

use grondslag_kernel::{Access, RecordRef, SubjectId, Unit, Value};
use grondslag_register::{Action, Category, CategorySet};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use grondslag_values::Reason;

use crate::{Hr, HrError, from_field, to_text};

/// The event a news item's term counts from.
pub const PUBLISHED: &str = "published";

/// Who a reaction shows as once its author has left.
pub const FORMER_EMPLOYEE: &str = "oud-medewerker";

closed_list! {
    /// The optional parts of a profile, each shared on its own consent (I5).
    OptionalField, "an optional part of the profile" {
        /// Team.
        Team = "team", "team";
        /// Department.
        Department = "department", "afdeling";
        /// Where one works.
        Location = "location", "locatie";
        /// Date of birth.
        BirthDate = "birth_date", "geboortedatum";
        /// Phone number.
        Phone = "phone", "telefoonnummer";
        /// Days one works.
        Workdays = "workdays", "werkdagen";
        /// A link to one's LinkedIn profile.
        Linkedin = "linkedin", "LinkedIn-koppeling";
        /// About me.
        AboutMe = "about_me", "over mij";
        /// What colleagues may call one for.
        CallMeFor = "call_me_for", "hier kan je mij voor bellen";
    }
}

impl OptionalField {
    /// The register category it is stored under.
    fn category(self) -> Category {
        match self {
            OptionalField::BirthDate => Category::BirthDate,
            OptionalField::Phone => Category::Phone,
            _ => Category::ProfileOptional,
        }
    }
}

/// The required part of a profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// Full name.
    pub name: String,
    /// Function.
    pub function: String,
    /// Business e-mail.
    pub email: String,
}

/// A profile as colleagues see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// The required part.
    pub card: Card,
    /// The optional parts shared, in the list's order.
    pub shared: Vec<(OptionalField, String)>,
}

/// An optional part stored as profile data: which part, and its value.
#[derive(Serialize, Deserialize)]
struct Shared {
    field: OptionalField,
    value: String,
}

/// A like or a reaction as stored on a news item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    /// The author's file; none once they have left.
    author: Option<String>,
    /// The text; none for a like.
    text: Option<String>,
    /// The day it was given.
    on: Date,
}

/// A news item as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    title: String,
    text: String,
    on: Date,
}

/// A news item as read back: its record, the item, and its likes and reactions with their records.
type Thread = (RecordRef, Item, Vec<(RecordRef, Stored)>);

/// A like or a reaction as shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    /// The author's name, or [`FORMER_EMPLOYEE`].
    pub author: String,
    /// The text; none for a like.
    pub text: Option<String>,
    /// The day it was given.
    pub on: Date,
}

/// A news item with its likes and reactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct News {
    /// The item.
    pub item: RecordRef,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// The day it was published.
    pub on: Date,
    /// How many liked it.
    pub likes: usize,
    /// The reactions, oldest first.
    pub reactions: Vec<Reaction>,
}

fn today(access: &Access) -> Date {
    grondslag_values::dutch::amsterdam_date(access.now)
}

impl Hr<'_> {
    /// Sets the required part of the employee's own profile.
    pub fn set_profile(&self, access: &Access, employee: &SubjectId, card: &Card) -> Result<RecordRef, HrError> {
        let fields =
            [(Category::Name, Value::text(&card.name)), (Category::Function, Value::text(&card.function)), (Category::Email, Value::text(&card.email))];
        self.kernel.unit(|unit| {
            let existing = unit.read(access, self.p.profile, employee, CategorySet::of(&[Category::Name]))?.into_iter().next();
            Ok(unit.write(access, self.p.profile, Some(employee), existing.as_ref().map(|v| &v.record), &fields)?)
        })
    }

    /// The employee's profile as a colleague sees it; `None` without one.
    pub fn profile(&self, access: &Access, employee: &SubjectId) -> Result<Option<Profile>, HrError> {
        self.kernel.reading(|unit| self.profile_in(unit, access, employee))
    }

    fn profile_in(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId) -> Result<Option<Profile>, HrError> {
        let card = unit.read(access, self.p.profile, employee, CategorySet::of(&[Category::Name, Category::Function, Category::Email]))?;
        let Some(card) = card.into_iter().next() else { return Ok(None) };
        let text = |category: Category| card.get(category).and_then(Value::as_text).unwrap_or_default().to_string();
        let card = Card { name: text(Category::Name), function: text(Category::Function), email: text(Category::Email) };
        let mut shared = Vec::new();
        for (field, value, _) in self.shared_in(unit, access, employee)? {
            shared.push((field, value));
        }
        shared.sort_by_key(|(field, _)| OptionalField::ALL.iter().position(|f| f == field));
        Ok(Some(Profile { card, shared }))
    }

    /// The optional parts the employee shared, with their records.
    fn shared_in(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId) -> Result<Vec<(OptionalField, String, RecordRef)>, HrError> {
        let views =
            unit.read(access, self.p.profile_optional, employee, CategorySet::of(&[Category::ProfileOptional, Category::BirthDate, Category::Phone]))?;
        let mut shared = Vec::new();
        for view in views {
            let record = RecordRef { subject: employee.clone(), record: view.record.clone() };
            let part = if let Some(Shared { field, value }) = from_field(&view, Category::ProfileOptional, "profile part")? {
                (field, value)
            } else if let Some(date) = view.get(Category::BirthDate).and_then(Value::as_text) {
                (OptionalField::BirthDate, date.to_string())
            } else if let Some(phone) = view.get(Category::Phone).and_then(Value::as_text) {
                (OptionalField::Phone, phone.to_string())
            } else {
                return Err(HrError::Corrupt("profile part"));
            };
            shared.push((part.0, part.1, record));
        }
        Ok(shared)
    }

    /// The employee shares one optional part, on their consent: a record of
    /// its own, replacing what they shared of that part before.
    pub fn share(&self, access: &Access, employee: &SubjectId, field: OptionalField, value: &str) -> Result<(), HrError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(HrError::Invalid(Reason::new(
                format!("{}: give a value, or withdraw the part instead", field.label_nl()),
                format!("{}: vul iets in, of trek je toestemming voor dit onderdeel in.", field.label_nl()),
            )));
        }
        let stored = match field.category() {
            Category::ProfileOptional => to_text(&Shared { field, value: value.to_string() })?,
            _ => Value::text(value),
        };
        let fields = [(field.category(), stored)];
        self.kernel.unit(|unit| {
            let before = self.shared_in(unit, access, employee)?.into_iter().find(|(f, _, _)| *f == field);
            unit.write(access, self.p.profile_optional, Some(employee), before.as_ref().map(|(_, _, r)| &r.record), &fields)?;
            Ok(())
        })
    }

    /// The employee withdraws their consent for one optional part: it is
    /// deleted, the other parts stay.
    pub fn withdraw(&self, access: &Access, employee: &SubjectId, field: OptionalField) -> Result<(), HrError> {
        self.kernel.unit(|unit| {
            let shared = self.shared_in(unit, access, employee)?;
            let (_, _, record) = shared.iter().find(|(f, _, _)| *f == field).ok_or_else(|| HrError::NotFound(format!("a shared {}", field.label_nl())))?;
            unit.erase_record(access, self.p.profile_optional, record, "consent withdrawn")?;
            Ok(())
        })
    }

    /// Communications publishes a news item.
    pub fn publish_news(&self, access: &Access, title: &str, text: &str) -> Result<RecordRef, HrError> {
        if title.trim().is_empty() || text.trim().is_empty() {
            return Err(HrError::Invalid(Reason::new("a news item needs a title and a text", "Een nieuwsbericht heeft een titel en een tekst nodig.")));
        }
        let item = [(Category::FreeText, to_text(&Item { title: title.trim().to_string(), text: text.trim().to_string(), on: today(access) })?)];
        self.kernel.unit(|unit| {
            let news = unit.write(access, self.p.news, None, None, &item)?;
            unit.record_event(access, self.p.news, &news, Action::File, PUBLISHED, None, None)?;
            Ok(news)
        })
    }

    /// An employee likes a news item (`text` none) or reacts to it.
    pub fn react(&self, access: &Access, news: &SubjectId, text: Option<&str>) -> Result<(), HrError> {
        let author = access
            .subject
            .clone()
            .ok_or(HrError::Missing(Reason::new("the author's own file (sign in as the employee)", "je eigen dossier als auteur (log in als medewerker)")))?;
        let text = text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
        let stored = [(Category::FreeText, to_text(&Stored { author: Some(author.as_str().to_string()), text, on: today(access) })?)];
        self.kernel.unit(|unit| {
            self.item_in(unit, access, news)?;
            unit.write(access, self.p.news, Some(news), None, &stored)?;
            Ok(())
        })
    }

    /// The news item and the records of its likes and reactions.
    fn item_in(&self, unit: &mut Unit<'_>, access: &Access, news: &SubjectId) -> Result<Thread, HrError> {
        let views = unit.read(access, self.p.news, news, CategorySet::of(&[Category::FreeText]))?;
        let mut item = None;
        let mut reactions = Vec::new();
        for view in views {
            let record = RecordRef { subject: news.clone(), record: view.record.clone() };
            match from_field::<Stored>(&view, Category::FreeText, "reaction") {
                Ok(Some(stored)) => reactions.push((record, stored)),
                _ => item = Some((record, from_field::<Item>(&view, Category::FreeText, "news item")?.ok_or(HrError::Corrupt("news item"))?)),
            }
        }
        let (record, item) = item.ok_or_else(|| HrError::NotFound(format!("news item {news}")))?;
        reactions.sort_by_key(|(_, stored)| stored.on);
        Ok((record, item, reactions))
    }

    /// Every news item with its likes and reactions, newest first; a
    /// reaction of someone who left shows as [`FORMER_EMPLOYEE`].
    pub fn news(&self, access: &Access) -> Result<Vec<News>, HrError> {
        self.kernel.reading(|unit| {
            let mut subjects: Vec<SubjectId> = unit.list_all(access, self.p.news, None)?.into_iter().map(|s| s.record.subject).collect();
            subjects.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            subjects.dedup();
            let mut all = Vec::new();
            for subject in subjects {
                let (item, stored, reactions) = self.item_in(unit, access, &subject)?;
                let mut shown = Vec::new();
                let mut likes = 0;
                for (_, reaction) in reactions {
                    let Some(text) = reaction.text else {
                        likes += 1;
                        continue;
                    };
                    let author = match reaction.author.as_deref().map(SubjectId::parse) {
                        Some(Ok(author)) => self.profile_in(unit, access, &author)?.map(|p| p.card.name),
                        _ => None,
                    };
                    shown.push(Reaction { author: author.unwrap_or_else(|| FORMER_EMPLOYEE.to_string()), text: Some(text), on: reaction.on });
                }
                all.push(News { item, title: stored.title, text: stored.text, on: stored.on, likes, reactions: shown });
            }
            all.sort_by_key(|news| std::cmp::Reverse(news.on));
            Ok(all)
        })
    }

    /// Files each of the employee's likes and reactions again without its
    /// author and deletes the original, so that they stay with nothing that
    /// leads back to the person (I5).
    pub(crate) fn anonymise_reactions(&self, unit: &mut Unit<'_>, access: &Access, employee: &SubjectId) -> Result<usize, HrError> {
        let items: Vec<SubjectId> = unit.list_all(access, self.p.news, None)?.into_iter().map(|s| s.record.subject).collect();
        let mut done = 0;
        let mut seen = std::collections::HashSet::new();
        for news in items.into_iter().filter(|s| seen.insert(s.as_str().to_string())) {
            let (_, _, reactions) = self.item_in(unit, access, &news)?;
            for (record, stored) in reactions.into_iter().filter(|(_, s)| s.author.as_deref() == Some(employee.as_str())) {
                let kept = to_text(&Stored { author: None, ..stored })?;
                unit.write(access, self.p.news, Some(&news), None, &[(Category::FreeText, kept)])?;
                unit.erase_record(access, self.p.news, &record, "author left: kept without their name")?;
                done += 1;
            }
        }
        Ok(done)
    }
}
