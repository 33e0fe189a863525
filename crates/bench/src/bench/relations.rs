//! The relation check at 10^6 cases: the decision with its relation lookup
//! beside the decision alone, and the staff and expert case lists beside
//! the same pages SELECTed raw.
//!
//! The store is not made by `grondslag generate`, which writes 10^6 people
//! in about an hour, nearly all of it fields, events and audit entries that
//! these figures never read. A case list reads `records` (through its
//! `(processing, status, updated_at)` index), `relations` (through its
//! `(actor, relation, object)` index), `subjects` (the restriction check)
//! and appends to the audit log; the relation check reads `relations`. So
//! those tables are filled here, through the store's own statements (`Tx`,
//! the ones the kernel uses), in transactions of 10,000 cases: subjects
//! with real wrapped keys (three in ten share their file with the case
//! before, ~1.4 cases a person), records with their case number and the
//! status and moment of their last step, one event each; ids in sequence,
//! as the kernel makes them. Scheme shares and the course of a case follow
//! the generator (`grondslag_synthetic::next_step`).
//! Each case of a scheme with expert advice that got that far is assigned
//! to an expert, 200 cases an expert: the bench's expert's through
//! `Kernel::relate` (a case handler's audited step), the others' through
//! `Tx::relate`, the same tuple without the audit entry. Then a case
//! handler lists every case once, so that the audit log holds an entry per
//! case (a 19th of the generated million's) when the lists are timed.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use grondslag_claims::{CaseNumber, Scheme, Status};
use grondslag_crypto::{Keyring, MasterKey, SubjectKey};
use grondslag_kernel::{Access, DataDir, Kernel, Question, RecordRef, SubjectId, check_reach, decide, reaches};
use grondslag_register::{Action, Role, Scope};
use grondslag_store::{EventRow, IdSequence, Store, StoreError, Tx};
use grondslag_synthetic::{next_step, opened};
use jiff::{SignedDuration, Timestamp};
use rand::distributions::{Distribution, WeightedIndex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Kernels;
use super::population::{case_list, time_lists};
use super::{batches, percentile, sorted};
use crate::{Failure, progress};

/// Cases per 10,000 by scheme: the counts of the population of 10^6 people
/// that `grondslag generate` made (BENCHMARKS.md), value decreases, repairs
/// and unsafe situations at the generator's rates per household, opinions
/// at its 8 % of expert advices.
const SHARES: [(Scheme, u32); 10] = [
    (Scheme::PhysicalDamage, 1781),
    (Scheme::FixedCompensation, 690),
    (Scheme::ValueDecreaseHome, 402),
    (Scheme::ValueDecreaseNonResidential, 86),
    (Scheme::ImmaterialDamage, 2729),
    (Scheme::Children, 3161),
    (Scheme::SustainableRepair, 178),
    (Scheme::AcutelyUnsafe, 15),
    (Scheme::Objection, 803),
    (Scheme::Opinion, 155),
];

/// Cases assigned to each expert, the bench's expert's included.
const PER_EXPERT: usize = 200;

/// Cases written per transaction while filling.
const CHUNK: u64 = 10_000;

/// The end of the simulated history, as in scripts/bench.sh.
const UNTIL: &str = "2026-11-28T10:00:00Z";

/// The scheme whose list the expert opens.
const EXPERT_LIST: Scheme = Scheme::PhysicalDamage;

/// One case as the fill writes it.
struct Case {
    at: RecordRef,
    /// The subject's wrapped key, with the subject's first case.
    key: Option<Vec<u8>>,
    scheme: Scheme,
    filed: Timestamp,
    status: Status,
    since: Timestamp,
    /// Opinions and objections are found under the case they are about.
    number: Option<String>,
}

/// A case that an expert advised on, and the expert (an index).
struct Advised {
    at: RecordRef,
    scheme: Scheme,
    expert: usize,
}

/// What the fill made.
struct Filled {
    advised: Vec<Advised>,
    experts: Vec<SubjectId>,
    subjects: u64,
}

pub fn bench(kernels: &Kernels<'_>, cases: u64, decisions: u32, samples: usize) -> Result<(), Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let data = DataDir::new(dir.path().join("cases"));
    // The fill wraps the subjects' keys itself, so it needs the key the
    // kernel will open them with.
    let generated;
    let master = match kernels.master {
        Some(master) => master,
        None => {
            generated = MasterKey::generate();
            &generated
        }
    };
    let keys = Keyring::new(master)?;
    data.create()?;
    let store = data.open_store()?;
    let start = Instant::now();
    let filled = fill(store.as_ref(), &keys, cases)?;
    let filling = start.elapsed().as_secs_f64();
    let kernel = Kernels { master: Some(master), ..*kernels }.open(&data)?;
    assign(&kernel, &filled)?;
    let start = Instant::now();
    read_every_case(&kernel, cases)?;
    let reading = start.elapsed().as_secs_f64();
    let raw = rusqlite::Connection::open(data.database())?;
    let count = |sql: &str| raw.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n.max(0) as u64);
    println!(
        "store of {} cases and {} subjects, filled through the store's statements in {filling:.0} s (not `grondslag generate`); {} relation tuples, {} experts of {PER_EXPERT} cases; {} audit entries (every case listed once, {reading:.0} s)",
        count("SELECT count(*) FROM records")?,
        filled.subjects,
        count("SELECT count(*) FROM relations")?,
        filled.experts.len(),
        count("SELECT count(*) FROM audit_entries")?,
    );
    decision_bench(&kernel, store.as_ref(), &filled, decisions)?;
    case_list(&kernel, &raw, samples)?;
    expert_list(&kernel, &raw, &filled, samples)
}

/// Writes `cases` cases, their subjects and the experts' relation tuples
/// (all but the bench's expert's).
fn fill(store: &dyn Store, keys: &Keyring, cases: u64) -> Result<Filled, Failure> {
    let until: Timestamp = UNTIL.parse()?;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let shares = WeightedIndex::new(SHARES.iter().map(|(_, share)| *share))?;
    let mut serials: HashMap<i16, u32> = HashMap::new();
    let mut filled = Filled { advised: Vec::new(), experts: Vec::new(), subjects: 0 };
    let mut previous: Option<SubjectId> = None;
    // Ids as the kernel makes them, so the indexes on them are as local.
    let ids = IdSequence::new();
    let bar = progress::bar("filling the case store", cases);
    let mut written = 0;
    while written < cases {
        let size = CHUNK.min(cases - written);
        let mut chunk = Vec::new();
        for _ in 0..size {
            let case = draw(&mut rng, &shares, until, &mut serials, previous.as_ref(), keys, &ids)?;
            filled.subjects += u64::from(case.key.is_some());
            previous = Some(case.at.subject.clone());
            chunk.push(case);
        }
        let first_advised = filled.advised.len();
        for case in &chunk {
            let steps = case.scheme.life_cycle();
            let advice = steps.iter().position(|s| *s == Status::ExpertAdvice);
            let reached = steps.iter().position(|s| *s == case.status);
            if advice.is_some() && reached >= advice {
                let expert = filled.advised.len() / PER_EXPERT;
                if expert == filled.experts.len() {
                    filled.experts.push(ids.subject());
                }
                filled.advised.push(Advised { at: case.at.clone(), scheme: case.scheme, expert });
            }
        }
        let (advised, experts) = (&filled.advised[first_advised..], &filled.experts);
        store
            .transaction(&mut |tx| {
                for case in &chunk {
                    if let Some(key) = &case.key {
                        tx.insert_subject(&case.at.subject, key, case.filed)?;
                    }
                    tx.upsert_record(&case.at.record, &case.at.subject, case.scheme.processing(), case.filed)?;
                    if let Some(number) = &case.number {
                        tx.set_reference(&case.at.record, number)?;
                    }
                    let event = match case.status {
                        Status::Draft | Status::Submitted => "created",
                        Status::Closed => "case_closed",
                        other => other.name(),
                    };
                    let row = EventRow { event: event.to_string(), at: case.since, actor: "behandelaar.bench".to_string(), detail: None, audience: None };
                    tx.add_event(&case.at.record, &row, Some(case.status.name()))?;
                }
                // Expert 0 is the bench's: its cases are assigned through the kernel.
                for case in advised.iter().filter(|a| a.expert > 0) {
                    tx.relate(case.at.record.as_str(), Scope::Assigned.name(), experts[case.expert].as_str())?;
                }
                Ok(())
            })
            .map_err(|e| Failure(format!("filling the case store (cases {written}–{}): {e}", written + size)))?;
        written += size;
        bar.set_position(written);
    }
    bar.finish_and_clear();
    Ok(filled)
}

/// One case: its scheme, subject, filing moment and course up to `until`.
fn draw(
    rng: &mut ChaCha8Rng,
    shares: &WeightedIndex<u32>,
    until: Timestamp,
    serials: &mut HashMap<i16, u32>,
    previous: Option<&SubjectId>,
    keys: &Keyring,
    ids: &IdSequence,
) -> Result<Case, Failure> {
    let scheme = SHARES[shares.sample(rng)].0;
    let (subject, key) = match previous {
        Some(subject) if rng.gen_bool(0.3) => (subject.clone(), None),
        _ => {
            let subject = ids.subject();
            let key = keys.wrap(&SubjectKey::generate(), subject.as_str())?;
            (subject, Some(key))
        }
    };
    // Filed at least 30 days before the end, as the generator's households start.
    let latest = until.checked_sub(SignedDuration::from_hours(24 * 30))?;
    let filed = Timestamp::from_second(rng.gen_range(opened().as_second()..latest.as_second()))?;
    let (mut status, mut since) = (Status::Submitted, filed);
    if scheme == Scheme::PhysicalDamage && rng.gen_bool(0.03) {
        status = Status::Draft;
    }
    while status != Status::Draft {
        match next_step(rng, scheme, status, since) {
            Some((next, at)) if at <= until => (status, since) = (next, at),
            _ => break,
        }
    }
    let number = match scheme {
        Scheme::Opinion | Scheme::Objection => None,
        _ => {
            let year = filed.to_zoned(jiff::tz::TimeZone::UTC).year();
            let serial = serials.entry(year).or_default();
            *serial += 1;
            Some(CaseNumber::new(year, *serial)?.to_string())
        }
    };
    Ok(Case { at: RecordRef { subject, record: ids.record() }, key, scheme, filed, status, since, number })
}

/// Assigns the bench's expert (expert 0) its cases, as a case handler does.
fn assign(kernel: &Kernel, filled: &Filled) -> Result<(), Failure> {
    let Some(expert) = filled.experts.first() else { return Ok(()) };
    let handler = Access::new("behandelaar.bench", Role::CaseHandler, "cli:bench", Timestamp::now());
    for case in filled.advised.iter().take_while(|a| a.expert == 0) {
        let processing = kernel.processing(case.scheme.processing())?;
        kernel
            .relate(&handler, processing, Action::Advance, &case.at, Scope::Assigned, Some(expert), true)
            .map_err(|e| Failure(format!("assigning case {} to the bench's expert: {e}", case.at.record)))?;
    }
    Ok(())
}

/// Gives the audit log an entry per case, written by the kernel: a case
/// handler lists every scheme's cases of each status in full, one list a
/// transaction. The lists timed afterwards then append to an audit log
/// and a subject index of a store in use (each entry on a page of its
/// own), not to nearly empty ones, which would flatter them.
fn read_every_case(kernel: &Kernel, cases: u64) -> Result<(), Failure> {
    let handler = Access::new("behandelaar.bench", Role::CaseHandler, "cli:bench", Timestamp::now());
    let bar = progress::bar("reading every case once (audited)", cases);
    for scheme in Scheme::ALL {
        let processing = kernel.processing(scheme.processing())?;
        for status in scheme.life_cycle() {
            let listed = kernel.list(&handler, processing, Some(status.name()), 0, cases)?;
            bar.inc(listed.len() as u64);
        }
    }
    bar.finish_and_clear();
    Ok(())
}

/// A question about an advised case: by a case handler (scope all) and by
/// an expert (scope assigned), with the expert who asks.
struct Asked<'a> {
    handler: Question,
    expert: Question,
    case: &'a Advised,
    asker: &'a SubjectId,
}

/// The decision alone, with `reaches` for a grant of scope all, and with
/// the kernel's relation check (one `Tx::related`) for a scoped grant.
fn decision_bench(kernel: &Kernel, store: &dyn Store, filled: &Filled, decisions: u32) -> Result<(), Failure> {
    let register = kernel.register();
    if filled.advised.is_empty() {
        println!("relation check: no case got as far as expert advice; fill more cases (--cases)");
        return Ok(());
    }
    // Random advised cases; every other question is by an expert the case
    // is not assigned to, so half the checks find the relation, half not.
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let lookups = decisions.clamp(1, 100_000) as usize;
    let mut asked = Vec::with_capacity(lookups);
    for i in 0..lookups {
        let case = &filled.advised[rng.gen_range(0..filled.advised.len())];
        let asker = &filled.experts[(case.expert + i % 2) % filled.experts.len()];
        let processing = kernel.processing(case.scheme.processing())?;
        let question = |role| Question {
            role,
            action: Action::Read,
            processing,
            categories: register.processing(processing).categories,
            restricted: false,
            recipient: None,
            legal_check_recorded: false,
        };
        asked.push(Asked { handler: question(Role::CaseHandler), expert: question(Role::Expert), case, asker });
    }
    let n = asked.len();
    let alone = batches(decisions, |b| {
        for i in 0..super::BATCH as usize {
            black_box(decide(register, black_box(asked[(b as usize * 7 + i) % n].handler)).is_ok());
        }
    });
    let all = batches(decisions, |b| {
        for i in 0..super::BATCH as usize {
            let reached = decide(register, black_box(asked[(b as usize * 7 + i) % n].handler)).and_then(|allowed| reaches(allowed.scopes, false, |_| false));
            black_box(reached.is_ok());
        }
    });
    // One check as the kernel makes it inside an operation's transaction.
    let check = |tx: &mut dyn Tx, ask: &Asked<'_>| -> Result<bool, StoreError> {
        let Ok(allowed) = decide(register, ask.expert) else { return Ok(false) };
        Ok(check_reach(tx, allowed.scopes, Some(ask.asker), None, Some(&ask.case.at.subject), Some(&ask.case.at.record))?.is_ok())
    };
    let (mut open, mut reached) = (Vec::with_capacity(n), 0usize);
    store
        .transaction(&mut |tx| {
            for ask in &asked {
                let start = Instant::now();
                let found = check(tx, ask)?;
                open.push(start.elapsed().as_nanos() as f64);
                reached += usize::from(found);
            }
            Ok(())
        })
        .map_err(|e| Failure(format!("timing the relation check: {e}")))?;
    let mut own = Vec::with_capacity(n);
    for ask in &asked {
        let start = Instant::now();
        store
            .transaction(&mut |tx| {
                black_box(check(tx, ask)?);
                Ok(())
            })
            .map_err(|e| Failure(format!("timing the relation check in its own transaction: {e}")))?;
        own.push(start.elapsed().as_nanos() as f64);
    }
    let (open, own) = (sorted(open), sorted(own));
    let (a50, a99) = (percentile(&alone, 0.5), percentile(&alone, 0.99));
    println!(
        "relation check in the decision (ns per decision; read questions on {n} random cases that had expert advice, half of the experts' about a case not assigned to them):"
    );
    println!("  {:<77} p50 {a50:9.1}   p99 {a99:9.1}", "(a) decide alone, case handler (batches of 1000)");
    for (label, times) in [
        ("(b) decide + reaches, scope all: no lookup (batches of 1000)", &all),
        ("(c) decide + check_reach, scope assigned: one Tx::related, transaction open", &open),
        ("(d) as (c), each in a transaction of its own (BEGIN IMMEDIATE … COMMIT)", &own),
    ] {
        let (p50, p99) = (percentile(times, 0.5), percentile(times, 0.99));
        println!("  {label:<77} p50 {p50:9.1}   p99 {p99:9.1}   ratio to (a) p50 {:7.1}x", p50 / a50);
    }
    println!(
        "  (c) and (d) timed one by one (a clock read included), through a second connection to the kernel's SQLite file; {reached} of {n} experts' checks found the relation"
    );
    Ok(())
}

/// The bench's expert's first page of 50 of the cases assigned to them
/// (all statuses), through `Kernel::list`, beside the same page SELECTed
/// raw.
fn expert_list(kernel: &Kernel, raw: &rusqlite::Connection, filled: &Filled, samples: usize) -> Result<(), Failure> {
    let Some(subject) = filled.experts.first() else { return Ok(()) };
    let expert = Access::new("deskundige.bench", Role::Expert, "cli:bench", Timestamp::now()).acting_as(subject.clone());
    let assigned = filled.advised.iter().filter(|a| a.expert == 0 && a.scheme == EXPERT_LIST).count();
    let scheme = EXPERT_LIST.processing();
    let mut statement = raw.prepare(
        "SELECT r.id, r.subject_id, r.reference, r.status, r.updated_at FROM relations x JOIN records r ON r.id = x.object
         WHERE x.actor = ?1 AND x.relation = 'assigned' AND r.processing = ?2 ORDER BY r.updated_at DESC, r.id LIMIT 50",
    )?;
    let [l50, l99, s50, s99] = time_lists(kernel, samples, &expert, &[(scheme, None)], |_, _| {
        let page: Vec<(String, String)> = statement.query_map([subject.as_str(), scheme], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(black_box(page).len())
    })?;
    println!("expert's case list, first page of 50 of the {assigned} {scheme} cases assigned to them, all statuses ({samples} lists, ms):");
    println!("  Kernel::list (decide, scope assigned: the relations join, restriction check, 50 audit entries) p50 {l50:9.2}   p99 {l99:9.2}");
    println!("  baseline (the same page SELECTed raw, relations joined with records)                   p50 {s50:9.2}   p99 {s99:9.2}");
    println!("  ratio list/baseline p50 {:6.1}x", l50 / s50);
    Ok(())
}
