//! A synthetic population of the region, and what it did, written through
//! the modules and the kernel exactly as real use would write it.
//!
//! Design: the population is a pure function of a seed. Household `h` draws
//! everything from its own ChaCha8 stream (seed, h), so the same seed gives
//! the same people, addresses, applications and histories, in the same
//! order, whatever else changes; BSNs are derived from a person's number so
//! they never collide. What the store assigns (pseudonyms, keys, trace ids)
//! is random by design, so determinism is stated over the plan: every step
//! taken is fed, in order, into a SHA-256 fingerprint.
//!
//! Nothing here touches the store: applications are filed and advanced with
//! `claims`, messages, subscriptions, forum accounts and calls go through
//! `channels`, rights requests through `rights`, staff files through the
//! kernel as HR would write them — so every step is decided, encrypted and
//! audited, and the audit log grows as in real use. Time is simulated: each
//! household's history starts at a drawn moment after the institute opened
//! (July 2020) and runs forward in steps until `until`; a step that would
//! fall after `until` has not happened yet, so older cases are further along.

#![warn(missing_docs)]

pub mod people;

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError, mpsc};

use grondslag_channels::ChannelError;
use grondslag_channels::contact::{ContactForm, Kind, Message};
use grondslag_channels::forum::{Account, Forum};
use grondslag_channels::media::Media;
use grondslag_channels::newsletter::{Newsletter, Subscription};
use grondslag_claims::area::AreaLists;
use grondslag_claims::cases::{ApplicantRole, Application, CaseError, Cases, CostItem, Details, Object};
use grondslag_claims::rules::ObjectKind;
use grondslag_claims::{Scheme, Status};
use grondslag_kernel::{Access, Kernel, KernelError, RecordRef, SubjectId, Value};
use grondslag_register::{Action, Category, Role};
use grondslag_rights::requests::{RequestError, Requests, RightKind};
use grondslag_values::Cents;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

/// BSNs come from a space of nine million; staff take the top of it.
pub const MAX_SUBJECTS: u64 = 8_000_000;

/// Where the audit log says the data came from.
const ORIGIN: &str = "synthetic";

/// Household streams are numbered from 0; staff streams from here.
const STAFF_STREAM: u64 = 1 << 62;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Population {
    /// Seeds every random stream: the same seed gives the same population.
    pub seed: u64,
    /// People of the region; each appears in the store under at least one
    /// application of their own.
    pub subjects: u64,
    /// The end of the simulated history.
    pub until: Timestamp,
}

impl Population {
    /// Staff of the institute: one per thousand people, at least five.
    pub fn staff(&self) -> u64 {
        (self.subjects / 1000).max(5)
    }
}

/// A step that failed, by the module that refused it.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum Step {
    #[error(transparent)]
    Case(#[from] CaseError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error(transparent)]
    Rights(#[from] RequestError),
    #[error(transparent)]
    Kernel(#[from] KernelError),
    #[error(transparent)]
    Staff(#[from] grondslag_hr::HrError),
}

/// Why a synthetic population could not be made.
#[derive(Debug, thiserror::Error)]
#[allow(missing_docs)] // each variant is documented by its #[error] message
pub enum SyntheticError {
    #[error("at most {max} subjects can be generated (BSNs are derived from a person's number); ask for fewer", max = MAX_SUBJECTS)]
    TooMany,
    #[error("household {household} of seed {seed}: {source}; the data directory now holds part of the population — generate into a fresh directory")]
    Household { household: u64, seed: u64, source: Step },
    #[error("staff member {member} of seed {seed}: {source}; generate into a fresh directory")]
    Staff { member: u64, seed: u64, source: Step },
    #[error("marking the store as a synthetic population: {0}")]
    Mark(#[source] KernelError),
}

/// What was generated: counts by kind, and the plan's fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// How many of each kind were made (people, applications, requests, …).
    pub counts: BTreeMap<String, u64>,
    /// SHA-256 over every step of the plan, in order (hex).
    pub fingerprint: String,
}

impl Report {
    /// How many of `what` were made; 0 for a kind never made.
    pub fn count(&self, what: &str) -> u64 {
        self.counts.get(what).copied().unwrap_or(0)
    }
}

/// Generates the population into the kernel's store: the staff first (they
/// act in the cases), then the households on `threads` threads through the
/// same kernel. `progress` is called, on the calling thread, with the number
/// of people in the households written so far from the first on.
///
/// The result does not depend on `threads`: household `h` is numbered out
/// (its first person, its size) from its own stream in order, and its steps
/// enter the fingerprint in household order, whichever thread wrote it.
pub fn generate(
    kernel: &Kernel,
    population: &Population,
    threads: NonZeroUsize,
    areas: AreaLists,
    progress: &mut dyn FnMut(u64),
) -> Result<Report, SyntheticError> {
    if population.subjects > MAX_SUBJECTS {
        return Err(SyntheticError::TooMany);
    }
    kernel
        .mark_synthetic(&format!("{} people, seed {}, history until {}", population.subjects, population.seed, population.until))
        .map_err(SyntheticError::Mark)?;
    let staff_error = |member| move |source| SyntheticError::Staff { member, seed: population.seed, source };
    let mut staff = Writer::new(kernel, areas.clone(), population.until).map_err(staff_error(0))?;
    for member in 0..population.staff() {
        let mut rng = stream(population.seed, STAFF_STREAM + member);
        staff.staff_member(&mut rng, member).map_err(staff_error(member))?;
    }
    let mut fingerprint = Sha256::new();
    fingerprint.update(std::mem::take(&mut staff.steps));
    let writers = (0..threads.get()).map(|_| staff.fork(&areas)).collect::<Result<Vec<_>, _>>().map_err(staff_error(0))?;
    let mut counts = staff.counts;
    let numbering = Mutex::new(Numbering { household: 0, people: 0 });
    let stop = AtomicBool::new(false);
    let (sender, written) = mpsc::channel();
    let failed = std::thread::scope(|scope| {
        let workers: Vec<_> = writers
            .into_iter()
            .map(|mut writer| {
                let sender = sender.clone();
                let (numbering, stop) = (&numbering, &stop);
                scope.spawn(move || {
                    writer.households(population, numbering, stop, &sender);
                    writer.counts
                })
            })
            .collect();
        // The workers hold the only senders now, so `written` ends when the last of them does.
        drop(sender);
        let failed = in_order(written, &mut fingerprint, progress);
        for worker in workers {
            let made = worker.join().unwrap_or_else(|panicked| std::panic::resume_unwind(panicked));
            for (what, n) in made {
                *counts.entry(what).or_default() += n;
            }
        }
        failed
    });
    if let Some((household, source)) = failed {
        return Err(SyntheticError::Household { household, seed: population.seed, source });
    }
    let households = numbering.into_inner().unwrap_or_else(PoisonError::into_inner).household;
    counts.insert("households".to_string(), households);
    Ok(Report { counts, fingerprint: hex::encode(fingerprint.finalize()) })
}

/// Takes the households as the workers write them, into the fingerprint and
/// the progress in household order, until the workers are done. Returns the
/// first household (by number) that failed, as writing them one after
/// another would have.
fn in_order(written: mpsc::Receiver<Vec<Written>>, fingerprint: &mut Sha256, progress: &mut dyn FnMut(u64)) -> Option<(u64, Step)> {
    let mut waiting = BTreeMap::new();
    let mut failed: Option<(u64, Step)> = None;
    let mut next = 0;
    for household in written.into_iter().flatten() {
        match household.outcome {
            Ok(steps) => {
                waiting.insert(household.number, (steps, household.people));
            }
            Err(source) => {
                if failed.as_ref().is_none_or(|(first, _)| household.number < *first) {
                    failed = Some((household.number, source));
                }
            }
        }
        while let Some((steps, people)) = waiting.remove(&next) {
            fingerprint.update(steps);
            progress(people);
            next += 1;
        }
    }
    failed
}

/// The next household to write: its number, and the number of its first
/// person. Households are numbered out one at a time under the lock.
struct Numbering {
    household: u64,
    people: u64,
}

/// Households a worker sends the fingerprint's thread at once.
const WRITTEN_BATCH: usize = 64;

/// A household a worker wrote, or the step it failed at.
struct Written {
    number: u64,
    /// The steps of its plan, for the fingerprint.
    outcome: Result<Vec<u8>, Step>,
    /// People in households up to and including this one.
    people: u64,
}

/// The first draws of a household's stream: who lives at which address.
/// Drawn while the household is numbered out, since its size decides the
/// first person of the next one.
struct Household {
    number: u64,
    rng: ChaCha8Rng,
    surname: String,
    home: people::Address,
    adults: u64,
    /// One or two adults and their children, at most the room left.
    size: u64,
    first: u64,
}

impl Numbering {
    /// The next household of `population`, or `None` once everyone is in one.
    fn take(&mut self, population: &Population) -> Option<Household> {
        let room = population.subjects.checked_sub(self.people).filter(|room| *room > 0)?;
        let number = self.household;
        let mut rng = stream(population.seed, number);
        let surname = people::surname(&mut rng);
        let home = people::address(&mut rng);
        let adults: u64 = if rng.gen_bool(0.6) { 2 } else { 1 };
        let children: u64 = *[0u64, 0, 0, 0, 1, 1, 2, 2, 2, 3].choose(&mut rng).unwrap_or(&0);
        let size = (adults + children).min(room);
        let first = self.people;
        self.household += 1;
        self.people += size;
        Some(Household { number, rng, surname, home, adults, size, first })
    }
}

/// Someone on the public website at `at`: what a sign-up, a form or a
/// subscription comes from.
fn website(at: Timestamp) -> Access {
    Access::new("website", Role::Public, ORIGIN, at)
}

fn stream(seed: u64, number: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(number);
    rng
}

/// The institute opened its doors on 1 July 2020.
pub fn opened() -> Timestamp {
    Timestamp::from_second(1_593_590_400).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn date_of(at: Timestamp) -> Date {
    at.to_zoned(jiff::tz::TimeZone::UTC).date()
}

/// The step a case of `scheme` at `status` takes next, and when: a step
/// every 1–17 weeks after `now` (an acutely unsafe situation within days);
/// most decisions are accepted, so nine in ten go straight to closed.
/// `None` at the end of the life cycle. Public so that `grondslag-bench`
/// can give cases it writes without the modules the same course.
pub fn next_step(rng: &mut impl Rng, scheme: Scheme, status: Status, now: Timestamp) -> Option<(Status, Timestamp)> {
    let steps = scheme.life_cycle();
    let position = steps.iter().position(|s| *s == status).unwrap_or(steps.len());
    let mut next = steps.get(position + 1).copied()?;
    if next == Status::Objection && rng.gen_bool(0.9) {
        next = Status::Closed;
    }
    let pace = if scheme == Scheme::AcutelyUnsafe { 0..=1 } else { 7..=120 };
    Some((next, later(rng, now, pace)))
}

/// `days` later, at a drawn minute of the working day.
fn later(rng: &mut impl Rng, at: Timestamp, days: std::ops::RangeInclusive<i64>) -> Timestamp {
    let minutes = rng.gen_range(days).saturating_mul(24 * 60) + rng.gen_range(0..8 * 60);
    at.checked_add(SignedDuration::from_mins(minutes)).unwrap_or(at)
}

/// A moment between `from` and `to`.
fn between(rng: &mut impl Rng, from: Timestamp, to: Timestamp) -> Timestamp {
    let span = to.as_second().saturating_sub(from.as_second()).max(1);
    Timestamp::from_second(from.as_second() + rng.gen_range(0..span)).unwrap_or(from)
}

struct Person {
    number: u64,
    name: String,
    bsn: String,
    iban: String,
    phone: String,
    email: String,
    birth: Date,
    gender: &'static str,
}

impl Person {
    fn draw(rng: &mut impl Rng, number: u64, surname: &str, born: (Date, Date)) -> Person {
        let name = people::name(rng, surname);
        Person {
            number,
            bsn: people::bsn(rng, number),
            iban: people::iban(rng),
            phone: people::phone(rng),
            email: people::email(rng, &name, number),
            birth: people::date_between(rng, born.0, born.1),
            gender: if rng.gen_bool(0.5) { "vrouw" } else { "man" },
            name,
        }
    }
}

/// The modules, the staff who act, and what was done so far: one per
/// thread.
struct Writer<'k> {
    kernel: &'k Kernel,
    cases: Cases<'k>,
    form: ContactForm<'k>,
    letters: Newsletter<'k>,
    forum: Forum<'k>,
    media: Media<'k>,
    requests: Requests<'k>,
    until: Timestamp,
    /// Actor names by role, as staff members are hired.
    actors: HashMap<Role, Vec<String>>,
    /// Forum accounts drawn in the household being written, and when they
    /// sign up: registered once their passwords are hashed, on a thread of
    /// their own (see [`Writer::households`]).
    sign_ups: Vec<(Timestamp, Account)>,
    counts: BTreeMap<String, u64>,
    /// The steps of the plan since they were last taken, a line each.
    steps: Vec<u8>,
}

const FUNCTIONS: &[(Role, &str)] = &[
    (Role::CaseHandler, "behandelaar"),
    (Role::CaseHandler, "behandelaar"),
    (Role::CaseHandler, "behandelaar"),
    (Role::ContactCentre, "klantcontactmedewerker"),
    (Role::PrivacyOfficer, "privacymedewerker"),
];

impl<'k> Writer<'k> {
    fn new(kernel: &'k Kernel, areas: AreaLists, until: Timestamp) -> Result<Writer<'k>, Step> {
        Ok(Writer {
            kernel,
            cases: Cases::new(kernel, areas),
            form: ContactForm::new(kernel)?,
            letters: Newsletter::new(kernel)?,
            forum: Forum::new(kernel)?,
            media: Media::new(kernel)?,
            requests: Requests::new(kernel)?,
            until,
            actors: HashMap::new(),
            sign_ups: Vec::new(),
            counts: BTreeMap::new(),
            steps: Vec::new(),
        })
    }

    /// A writer for another thread, with the same staff to act, and
    /// nothing done yet.
    fn fork(&self, areas: &AreaLists) -> Result<Writer<'k>, Step> {
        Ok(Writer { actors: self.actors.clone(), ..Writer::new(self.kernel, areas.clone(), self.until)? })
    }

    /// Writes the households numbered out to this thread, until everyone
    /// is in one or another thread failed; then the forum accounts drawn in
    /// them, in the order drawn.
    ///
    /// Hashing a password (argon2id) takes as long as writing several
    /// households, and would take the writer's thread for it (4–5 % of
    /// `generate`; BENCHMARKS.md, twentieth session). So a thread of its own
    /// hashes them while the households are written. A sign-up that fails
    /// fails the household that drew it.
    fn households(&mut self, population: &Population, numbering: &Mutex<Numbering>, stop: &AtomicBool, written: &mpsc::Sender<Vec<Written>>) {
        let hashing = self.forum.clone();
        std::thread::scope(|scope| {
            let (drawn, to_hash) = mpsc::channel::<(u64, Timestamp, Account)>();
            let (hashed, prepared) = mpsc::channel();
            scope.spawn(move || {
                for (number, at, account) in to_hash {
                    if hashed.send((number, at, hashing.prepare(&account, true))).is_err() {
                        return;
                    }
                }
            });
            // Sent a batch at a time: each send woke the receiving thread,
            // which then preempted this one (BENCHMARKS.md, twenty-fifth
            // session).
            let mut batch = Vec::with_capacity(WRITTEN_BATCH);
            while !stop.load(Ordering::Relaxed) {
                let Some(household) = numbering.lock().unwrap_or_else(PoisonError::into_inner).take(population) else { break };
                let (number, people) = (household.number, household.first + household.size);
                let outcome = self.household(household).map(|()| std::mem::take(&mut self.steps));
                for (at, account) in self.sign_ups.drain(..) {
                    // The receiver lives until this scope ends.
                    let _ = drawn.send((number, at, account));
                }
                let failed = outcome.is_err();
                if failed {
                    stop.store(true, Ordering::Relaxed);
                }
                batch.push(Written { number, outcome, people });
                if (failed || batch.len() == WRITTEN_BATCH) && written.send(std::mem::take(&mut batch)).is_err() {
                    return;
                }
            }
            if !batch.is_empty() && written.send(batch).is_err() {
                return;
            }
            drop(drawn);
            if stop.load(Ordering::Relaxed) {
                // A load stops at its first failure, as one thread would have.
                return;
            }
            for (number, at, account) in prepared {
                match account.and_then(|account| self.forum.register_prepared(&website(at), &account)) {
                    Ok(_) => self.tally("forum accounts", 1),
                    Err(source) => {
                        stop.store(true, Ordering::Relaxed);
                        let _ = written.send(vec![Written { number, outcome: Err(source.into()), people: 0 }]);
                        return;
                    }
                }
            }
        });
    }

    fn tally(&mut self, what: &str, n: u64) {
        *self.counts.entry(what.to_string()).or_default() += n;
    }

    /// One step of the plan, for the fingerprint.
    fn note(&mut self, step: &str) {
        self.steps.extend_from_slice(step.as_bytes());
        self.steps.push(b'\n');
    }

    /// Someone in `role`, drawn from the staff; HR and the systems act
    /// under a name of their own.
    fn actor(&self, rng: &mut impl Rng, role: Role) -> Access {
        let name = self.actors.get(&role).and_then(|names| names.choose(rng)).cloned().unwrap_or_else(|| format!("{}.synthetic", role.name()));
        Access::new(name, role, ORIGIN, Timestamp::UNIX_EPOCH)
    }

    fn at(&self, rng: &mut impl Rng, role: Role, now: Timestamp) -> Access {
        Access { now, ..self.actor(rng, role) }
    }

    /// A staff member: the personnel file and its financial part (by HR),
    /// and the intranet profile (by the employee).
    fn staff_member(&mut self, rng: &mut ChaCha8Rng, member: u64) -> Result<(), Step> {
        let (role, function) = FUNCTIONS[(member % FUNCTIONS.len() as u64) as usize];
        let surname = people::surname(rng);
        let born = (Date::constant(1960, 1, 1), Date::constant(2000, 12, 31));
        let person = Person::draw(rng, 8_999_999 - member, &surname, born);
        let home = people::address(rng);
        let hired = between(rng, opened(), self.until);
        let username = format!("{}.{member}", person.name.to_lowercase().replace(' ', "."));
        let work_email = format!("{username}@img.example.nl");
        self.note(&format!("staff {member} {} {function} {hired}", person.name));
        let hr = self.at(rng, Role::Hr, hired);
        let new = grondslag_hr::personnel::NewEmployee {
            bsn: person.bsn.clone(),
            name: person.name.clone(),
            nationality: "Nederlandse".into(),
            address: home.street,
            postcode_city: home.postcode_city,
            gender: person.gender.into(),
            birth_date: person.birth,
            birth_place: "Groningen".into(),
            email: work_email.clone(),
            phone: person.phone.clone(),
            bank_account: person.iban,
            contract: grondslag_hr::personnel::Contract {
                kind: if rng.gen_bool(0.8) { grondslag_hr::personnel::ContractKind::Permanent } else { grondslag_hr::personnel::ContractKind::Temporary },
                started: date_of(hired),
                fte: "1".into(),
                hours: 36,
                function: function.into(),
                function_group: function.into(),
                department: "Schadeafhandeling".into(),
                salary_scale: format!("schaal {}", rng.gen_range(7..=13)),
            },
            partner_pension: false,
            partner: None,
            worked_for_the_state: false,
            employment_history: None,
            vog: None,
            oath: Some(format!("eed afgelegd op {}", date_of(hired))),
            cv_documents: None,
        };
        let record = grondslag_hr::Hr::new(self.kernel)?.register_employee(&hr, &new)?;
        let profile = self.kernel.processing("intranet_profiel")?;
        let employee = Access::new(username.clone(), Role::Employee, ORIGIN, hired).acting_as(record.subject.clone());
        let card = [(Category::Name, Value::text(person.name)), (Category::Function, Value::text(function)), (Category::Email, Value::text(work_email))];
        self.kernel.write(&employee, profile, Some(&record.subject), None, &card)?;
        self.actors.entry(role).or_default().push(username);
        self.tally("staff", 1);
        Ok(())
    }

    /// A household at one address: its people's cases, and what else they
    /// did, from the rest of its stream.
    fn household(&mut self, household: Household) -> Result<(), Step> {
        let Household { mut rng, surname, home, adults, size, first, .. } = household;
        let rng = &mut rng;
        let start = between(rng, opened(), self.until.checked_sub(SignedDuration::from_hours(24 * 30)).unwrap_or(self.until));
        let today = date_of(start);
        let adult_born = (Date::constant(1935, 1, 1), Date::constant(2002, 12, 31));
        let child_born = (today.saturating_sub(jiff::Span::new().years(17)), today.saturating_sub(jiff::Span::new().days(30)));
        let members: Vec<Person> = (0..size).map(|i| Person::draw(rng, first + i, &surname, if i < adults { adult_born } else { child_born })).collect();
        self.tally("people", size);
        self.note(&format!("household {first} {size} {} {} {start}", home.street, home.postcode_city));

        let mut subjects: Vec<SubjectId> = Vec::new();
        for (i, person) in members.iter().enumerate() {
            let adult = (i as u64) < adults;
            let case = if i == 0 {
                self.main_case(rng, person, &home, start)?
            } else if adult {
                {
                    let at = later(rng, start, 0..=60);
                    self.immaterial(rng, person, &home, at)?
                }
            } else {
                {
                    let at = later(rng, start, 0..=60);
                    self.child(rng, person, &members[0], &home, at)?
                }
            };
            subjects.push(case.subject);
        }
        if let (Some(primary), Some(subject)) = (members.first(), subjects.first()) {
            if rng.gen_bool(0.35) {
                {
                    let at = later(rng, start, 10..=200);
                    self.immaterial(rng, primary, &home, at)?;
                }
            }
            if rng.gen_bool(0.005) {
                {
                    let at = later(rng, start, 0..=400);
                    self.unsafe_report(rng, primary, &home, at)?;
                }
            }
            self.channels(rng, primary, &home, start)?;
            if rng.gen_bool(0.01) {
                {
                    let at = later(rng, start, 30..=700);
                    self.rights_request(rng, primary, subject, at)?;
                }
            }
        }
        if rng.gen_bool(0.03) {
            self.company(rng, members.first(), start)?;
        }
        Ok(())
    }

    /// The household's own claim about its home: physical damage mostly,
    /// else the fixed compensation, value decrease or sustainable repair.
    fn main_case(&mut self, rng: &mut ChaCha8Rng, person: &Person, home: &people::Address, at: Timestamp) -> Result<RecordRef, Step> {
        let roll: f64 = rng.r#gen();
        let scheme = match roll {
            r if r < 0.62 => Scheme::PhysicalDamage,
            r if r < 0.86 => Scheme::FixedCompensation,
            _ => Scheme::ValueDecreaseHome,
        };
        let mut applicant = applicant_of(person, home);
        let mut details = Details::default();
        let mut kind = ObjectKind::Home;
        match scheme {
            Scheme::PhysicalDamage => {
                let quake = people::date_between(rng, Date::constant(2012, 8, 16), date_of(at).saturating_sub(jiff::Span::new().days(1)));
                details.damage_arose = Some(quake);
                if rng.gen_bool(0.3) {
                    let item = *[CostItem::Inventory, CostItem::Garden, CostItem::Moving, CostItem::Care].choose(rng).unwrap_or(&CostItem::Inventory);
                    details.costs.insert(item, Cents(rng.gen_range(100..5_000) * 100));
                }
            }
            Scheme::FixedCompensation => {
                applicant.remove("birth_date");
                applicant.remove("gender");
                if rng.gen_bool(0.2) {
                    kind = ObjectKind::SmallObject;
                }
            }
            _ => {}
        }
        if scheme != Scheme::ValueDecreaseHome {
            applicant.remove("birth_date");
            applicant.remove("gender");
        }
        let object = Object { kind, address: home.street.clone(), postcode_city: home.postcode_city.clone() };
        let draft = scheme == Scheme::PhysicalDamage && rng.gen_bool(0.03);
        let application = Application { scheme: scheme.processing().to_string(), submit: !draft, applicant, object: Some(object), details };
        match self.file_and_follow(rng, person, application, at) {
            Ok(case) if scheme == Scheme::PhysicalDamage && rng.gen_bool(0.1) => {
                {
                    let at = later(rng, at, 60..=400);
                    self.sustainable_repair(rng, person, home, at)?;
                }
                Ok(case)
            }
            other => other,
        }
    }

    /// E7: sustainable repair of a damaged home. The scheme holds no BSN,
    /// so the case is a subject of its own.
    fn sustainable_repair(&mut self, rng: &mut ChaCha8Rng, person: &Person, home: &people::Address, at: Timestamp) -> Result<(), Step> {
        if at > self.until {
            return Ok(());
        }
        let mut applicant = applicant_of(person, home);
        applicant.retain(|k, _| matches!(k.as_str(), "name" | "address" | "postcode_city"));
        let repair = format!("{} schades, herhaalde schade: {}", rng.gen_range(1..12), if rng.gen_bool(0.4) { "ja" } else { "nee" });
        let object = Object { kind: ObjectKind::Home, address: home.street.clone(), postcode_city: home.postcode_city.clone() };
        let details = Details { repair: Some(repair), ..Details::default() };
        let application = Application { scheme: Scheme::SustainableRepair.processing().to_string(), submit: true, applicant, object: Some(object), details };
        self.file_and_follow(rng, person, application, at)?;
        Ok(())
    }

    /// E5: the immaterial damage of an adult of the household.
    fn immaterial(&mut self, rng: &mut ChaCha8Rng, person: &Person, home: &people::Address, at: Timestamp) -> Result<RecordRef, Step> {
        let mut applicant = applicant_of(person, home);
        applicant.remove("birth_date");
        applicant.remove("gender");
        let questionnaire = rng.gen_bool(0.3).then(|| "Vragenlijst: onrust en slaapproblemen sinds de bevingen".to_string());
        let role = if rng.gen_bool(0.7) { ApplicantRole::Owner } else { ApplicantRole::Tenant };
        let details = Details { applicant_role: Some(role), questionnaire, ..Details::default() };
        let application = Application { scheme: Scheme::ImmaterialDamage.processing().to_string(), submit: true, applicant, object: None, details };
        self.file_and_follow(rng, person, application, at)
    }

    /// E6: a child's claim, filed by a parent who holds custody.
    fn child(&mut self, rng: &mut ChaCha8Rng, child: &Person, parent: &Person, home: &people::Address, at: Timestamp) -> Result<RecordRef, Step> {
        let mut applicant = BTreeMap::new();
        applicant.insert("name".to_string(), child.name.clone());
        applicant.insert("bsn".to_string(), child.bsn.clone());
        applicant.insert("address".to_string(), home.street.clone());
        applicant.insert("postcode_city".to_string(), home.postcode_city.clone());
        applicant.insert("bank_account".to_string(), parent.iban.clone());
        let details = Details {
            child_birth_date: Some(child.birth),
            reference_date: Some(date_of(at)),
            custody: Some(format!("gezag: {}", parent.name)),
            representative_award: Some(Cents(rng.gen_range(5..=50) * 10_000)),
            ..Details::default()
        };
        let application = Application { scheme: Scheme::Children.processing().to_string(), submit: true, applicant, object: None, details };
        self.file_and_follow(rng, child, application, at)
    }

    /// E8: a report of an acutely unsafe situation, handled within days.
    fn unsafe_report(&mut self, rng: &mut ChaCha8Rng, person: &Person, home: &people::Address, at: Timestamp) -> Result<RecordRef, Step> {
        let mut applicant = applicant_of(person, home);
        applicant.retain(|k, _| matches!(k.as_str(), "name" | "address" | "postcode_city" | "phone" | "bsn"));
        let application =
            Application { scheme: Scheme::AcutelyUnsafe.processing().to_string(), submit: true, applicant, object: None, details: Details::default() };
        self.file_and_follow(rng, person, application, at)
    }

    /// E4: the household's business premises, by KvK number.
    fn company(&mut self, rng: &mut ChaCha8Rng, owner: Option<&Person>, start: Timestamp) -> Result<(), Step> {
        let Some(owner) = owner else { return Ok(()) };
        let premises = people::address(rng);
        let mut applicant = applicant_of(owner, &premises);
        applicant.remove("email");
        applicant.insert("kvk".to_string(), people::kvk(rng));
        let object = Object { kind: ObjectKind::NonResidential, address: premises.street.clone(), postcode_city: premises.postcode_city.clone() };
        let application = Application {
            scheme: Scheme::ValueDecreaseNonResidential.processing().to_string(),
            submit: true,
            applicant,
            object: Some(object),
            details: Details::default(),
        };
        self.tally("companies", 1);
        {
            let at = later(rng, start, 0..=300);
            self.file_and_follow(rng, owner, application, at)?;
        }
        Ok(())
    }

    /// Files an application and follows the case through its life cycle
    /// as far as `until` allows: status changes with awards, experts' photos
    /// and advice, disclosures to the parties the register names, opinions
    /// and objections.
    fn file_and_follow(&mut self, rng: &mut ChaCha8Rng, person: &Person, application: Application, at: Timestamp) -> Result<RecordRef, Step> {
        let scheme = Scheme::from_processing(&application.scheme).ok_or_else(|| CaseError::UnknownScheme(application.scheme.clone()))?;
        self.note(&format!("file {} {} {at} {}", person.number, scheme, application.submit));
        let handler = self.at(rng, Role::CaseHandler, at);
        let filed = self.cases.file(&handler, &application)?;
        self.tally(&format!("cases {}", scheme.processing()), 1);
        if filed.status == Status::Draft {
            self.tally("status draft", 1);
            return Ok(filed.case);
        }
        let number = filed.number.to_string();
        let mut status = Status::Submitted;
        let mut now = at;
        while let Some((next, at)) = next_step(rng, scheme, status, now) {
            now = at;
            if now > self.until {
                break;
            }
            let handler = self.at(rng, Role::CaseHandler, now);
            let award = (next == Status::Decision && rng.gen_bool(0.85)).then(|| Cents(rng.gen_range(5..=400) * 10_000));
            // By the person and scheme, not the case number: the store
            // numbers cases in the order threads file them.
            self.note(&format!("advance {} {scheme} {next} {now}", person.number));
            match scheme {
                // An opinion or objection is found under the case it is
                // about, so it moves by its own record.
                Scheme::Opinion | Scheme::Objection => {
                    let event = if next == Status::Closed { grondslag_claims::CASE_CLOSED } else { next.name() };
                    self.kernel.record_event(
                        &handler,
                        self.kernel.processing(scheme.processing())?,
                        &filed.case,
                        Action::Advance,
                        event,
                        Some(next.name()),
                        None,
                    )?;
                }
                _ => {
                    self.cases.advance(&handler, &number, next, award)?;
                }
            }
            status = next;
            self.on_step(rng, person, scheme, &number, status, now)?;
        }
        self.tally(&format!("status {status}"), 1);
        Ok(filed.case)
    }

    /// What happens with a case at a new status.
    fn on_step(&mut self, rng: &mut ChaCha8Rng, person: &Person, scheme: Scheme, number: &str, status: Status, now: Timestamp) -> Result<(), Step> {
        if matches!(scheme, Scheme::Opinion | Scheme::Objection) {
            return Ok(());
        }
        let handler = self.at(rng, Role::CaseHandler, now);
        match status {
            Status::InHandling if scheme == Scheme::PhysicalDamage && rng.gen_bool(0.5) => self.disclose(scheme, number, "nam", &handler)?,
            Status::InHandling if scheme == Scheme::AcutelyUnsafe && rng.gen_bool(0.3) => {
                self.cases.mark_acutely_unsafe(&handler, number)?;
                self.disclose(scheme, number, "burgemeester", &handler)?;
            }
            Status::ExpertAdvice => {
                for _ in 0..rng.gen_range(1..=3) {
                    self.cases.attach_photo(&handler, number, photo(rng))?;
                    self.tally("expert photos", 1);
                }
                self.disclose(scheme, number, "deskundigen", &handler)?;
                if rng.gen_bool(0.08) {
                    {
                        let at = later(rng, now, 1..=40);
                        self.about_case(rng, person, Scheme::Opinion, number, at)?;
                    }
                }
            }
            Status::Objection => {
                let at = later(rng, now, 1..=40);
                self.about_case(rng, person, Scheme::Objection, number, at)?;
            }
            Status::Closed if rng.gen_bool(0.15) => self.disclose(scheme, number, "tevredenheidsbureau", &handler)?,
            _ => {}
        }
        Ok(())
    }

    /// Hands a case to a party, if the register names it for the scheme.
    fn disclose(&mut self, scheme: Scheme, number: &str, recipient: &str, handler: &Access) -> Result<(), Step> {
        let processing = self.kernel.processing(scheme.processing())?;
        let party = self.kernel.recipient(recipient)?;
        if self.kernel.register().processing(processing).disclosure_to(party).is_some() {
            self.cases.disclose(handler, number, recipient, None)?;
            self.tally("disclosures", 1);
        }
        Ok(())
    }

    /// E9 or E10, about an existing case.
    fn about_case(&mut self, rng: &mut ChaCha8Rng, person: &Person, scheme: Scheme, number: &str, at: Timestamp) -> Result<(), Step> {
        if at > self.until {
            return Ok(());
        }
        let mut applicant = BTreeMap::new();
        applicant.insert("name".to_string(), person.name.clone());
        if scheme == Scheme::Objection {
            applicant.insert("signature".to_string(), format!("{} (digitaal)", person.name));
        } else {
            applicant.insert("email".to_string(), person.email.clone());
        }
        let details = Details { about_case: Some(number.to_string()), ..Details::default() };
        let application = Application { scheme: scheme.processing().to_string(), submit: true, applicant, object: None, details };
        self.file_and_follow(rng, person, application, at)?;
        Ok(())
    }

    /// The public channels: contact messages, newsletters, the forum and
    /// recorded calls, each at its own share of households.
    fn channels(&mut self, rng: &mut ChaCha8Rng, person: &Person, home: &people::Address, start: Timestamp) -> Result<(), Step> {
        // Channels keep data briefly: what is in the store happened lately.
        let until = self.until;
        let recent = |days: i64| until.checked_sub(SignedDuration::from_hours(24 * days)).unwrap_or(until).max(start);
        if rng.gen_bool(0.12) {
            let at = between(rng, recent(120), self.until);
            let kind =
                *[Kind::Question, Kind::Question, Kind::Question, Kind::Priority, Kind::Feedback, Kind::Complaint].choose(rng).unwrap_or(&Kind::Question);
            let message = Message {
                kind,
                fields: vec![
                    (Category::Name, person.name.clone()),
                    (Category::Phone, person.phone.clone()),
                    (Category::Email, person.email.clone()),
                    (Category::Address, home.street.clone()),
                    (Category::PostcodeCity, home.postcode_city.clone()),
                    (Category::FreeText, "Wanneer hoor ik meer over mijn aanvraag?".to_string()),
                ],
                consent: true,
            };
            self.note(&format!("contact {} {} {at}", person.number, kind.name()));
            let received = self.form.submit(&website(at), &message)?;
            self.tally("contact messages", 1);
            let answered = later(rng, at, 1..=5);
            if answered <= self.until && rng.gen_bool(0.8) {
                let staff = self.at(rng, Role::ContactCentre, answered);
                self.form.answer(&staff, &received.message, "Uw aanvraag is in behandeling; u hoort binnen vier weken van ons.")?;
                if rng.gen_bool(0.5) {
                    self.form.satisfied(&website(answered), received.link.as_str())?;
                }
            }
        }
        if rng.gen_bool(0.10) {
            let at = between(rng, start, self.until);
            let subscription = if rng.gen_bool(0.8) {
                Subscription::Email { name: person.name.clone(), email: person.email.clone() }
            } else {
                Subscription::Post { name: person.name.clone(), address: home.street.clone(), postcode_city: home.postcode_city.clone() }
            };
            self.note(&format!("newsletter {} {at}", person.number));
            self.letters.subscribe(&website(at), &subscription, true)?;
            self.tally("newsletter subscriptions", 1);
        }
        if rng.gen_bool(0.005) {
            let at = between(rng, start, self.until);
            let account = Account {
                name: person.name.clone(),
                username: format!("buur{}", person.number),
                email: person.email.clone(),
                password: format!("wierde-{}-kwelder-{}", rng.gen_range(1000..9999), rng.gen_range(1000..9999)),
                notify: rng.gen_bool(0.5),
            };
            self.note(&format!("forum {} {at}", person.number));
            self.sign_ups.push((at, account));
        }
        if rng.gen_bool(0.05) {
            let at = between(rng, recent(27), self.until);
            self.note(&format!("call {} {at}", person.number));
            let system = Access::new("telefooncentrale", Role::System, ORIGIN, at);
            let meta = format!("inkomend, {} min", rng.gen_range(1..=20));
            self.media.ingest_call(&system, recording(rng), "audio/wav", &person.phone, &meta)?;
            self.tally("recorded calls", 1);
        }
        Ok(())
    }

    /// A rights request of the person: filed, identity verified, answered
    /// (an access request with its export), as far as `until` allows.
    fn rights_request(&mut self, rng: &mut ChaCha8Rng, person: &Person, subject: &SubjectId, at: Timestamp) -> Result<(), Step> {
        if at > self.until {
            return Ok(());
        }
        let kind = *[RightKind::Access, RightKind::Access, RightKind::Access, RightKind::Rectification, RightKind::Explanation, RightKind::Portability]
            .choose(rng)
            .unwrap_or(&RightKind::Access);
        self.note(&format!("rights {} {} {at}", person.number, kind.name()));
        let officer = self.at(rng, Role::PrivacyOfficer, at);
        let filed = self.requests.file(&officer, subject, kind, &person.name, None)?;
        self.tally("rights requests", 1);
        let verified = later(rng, at, 1..=7);
        if verified > self.until {
            return Ok(());
        }
        let officer = Access { now: verified, ..officer };
        self.requests.verify_identity(&officer, &filed.request, "DigiD")?;
        let answered = later(rng, verified, 1..=20);
        if answered > self.until {
            return Ok(());
        }
        let officer = Access { now: answered, ..officer };
        if kind == RightKind::Access {
            self.requests.export(&officer, &filed.request)?;
        }
        self.requests.answer(&officer, &filed.request, "Uw verzoek is afgehandeld.")?;
        Ok(())
    }
}

/// The applicant's data as an application names it, by category.
fn applicant_of(person: &Person, home: &people::Address) -> BTreeMap<String, String> {
    [
        ("name", person.name.clone()),
        ("bsn", person.bsn.clone()),
        ("bank_account", person.iban.clone()),
        ("phone", person.phone.clone()),
        ("email", person.email.clone()),
        ("address", home.street.clone()),
        ("postcode_city", home.postcode_city.clone()),
        ("birth_date", person.birth.to_string()),
        ("gender", person.gender.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// An expert's photo: a small JPEG-framed blob.
fn photo(rng: &mut impl Rng) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..rng.gen_range(256..1024)).map(|_| rng.r#gen::<u8>()));
    bytes.extend([0xFF, 0xD9]);
    bytes
}

/// A call recording: a WAV header and a little noise.
fn recording(rng: &mut impl Rng) -> Vec<u8> {
    let mut bytes = b"RIFF\x24\x00\x00\x00WAVEfmt ".to_vec();
    bytes.extend((0..rng.gen_range(256..1024)).map(|_| rng.r#gen::<u8>()));
    bytes
}
