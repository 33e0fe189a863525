//! The call centre's quality protocol at a year's volume: importing the
//! exchange's calls through `CallQa::import` beside raw SQLite inserts of
//! the same rows, and the monthly selection (announce, then draw four
//! calls) for every employee beside reading the same employees' calls.
//!
//! A year of `--calls` calls is spread evenly over 365 days and at random
//! over `--employees` enrolled employees, and imported as the exchange
//! would export it: one batch (a CSV file beside its audio files) per day,
//! each imported just after its day ends. A call older than four weeks at
//! import is not stored (K3), so each day's batch is imported with its own
//! `now`; every call is then live when it is stored. The retention sweep is
//! not run between batches, so the store grows to the whole year while
//! importing (the production store holds four weeks); before the selection
//! it is run once, so that the draws read what a store would hold then.
//!
//! Every call through the exchange is recorded (K3), but a blob file per
//! call would make the store mostly audio files; one call in
//! `--call-audio-every` carries a tiny WAV. Only calls with a recording can
//! be drawn (K5), so the default of 1 in 10 leaves about ten drawable calls
//! per employee in the month drawn from, enough to draw four.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use grondslag_callqa::import::{Batch, Imported};
use grondslag_callqa::selection::Filters;
use grondslag_callqa::{CallQa, Month};
use grondslag_kernel::{Access, DataDir, RecordRef, SubjectId, Value};
use grondslag_register::{Category, Role, Scope};
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rusqlite::params;

use super::{Kernels, percentile, sorted};
use crate::{Failure, progress};

/// The moment the simulated year ends (midnight UTC, 1 December 2026):
/// fixed, so that the calendar (summer time, the month drawn) is the same
/// in every run.
const YEAR_END: &str = "2026-12-01T00:00:00Z";

/// The month whose calls are drawn: the last of the year.
const DRAWN_MONTH: &str = "2026-11";

/// The announced selection date (the day after the announcement, K6) and
/// the moment the coaches draw on it.
const SELECTION_DATE: jiff::civil::Date = jiff::civil::date(2026, 12, 2);
const DRAW_AT: &str = "2026-12-02T08:00:00Z";

/// Employees per coach: a coach's team in the call centre.
const TEAM: u32 = 10;

/// Calls drawn per employee: the monthly number (K4).
const DRAWN: u32 = 4;

/// The import stores this many calls per transaction; the baseline commits as often.
const CHUNK: usize = 200;

const ORIGIN: &str = "cli:bench";

/// A valid WAV (PCM, 8 kHz, mono, 8 bits) of a tenth of a second of silence.
fn tiny_wav() -> Vec<u8> {
    let samples = 800u32;
    let mut wav = Vec::with_capacity(44 + samples as usize);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes()); // samples per second
    wav.extend_from_slice(&8000u32.to_le_bytes()); // bytes per second
    wav.extend_from_slice(&1u16.to_le_bytes()); // block align
    wav.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&samples.to_le_bytes());
    wav.resize(44 + samples as usize, 0x80);
    wav
}

/// An enrolled employee and who coaches them.
struct Employee {
    subject: SubjectId,
    participation: RecordRef,
    coach: usize,
}

/// A coach: their own file and name.
struct Coach {
    subject: SubjectId,
    name: String,
}

pub fn bench(kernels: &Kernels<'_>, calls: u64, employees: u32, audio_every: u32) -> Result<(), Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let data = DataDir::new(dir.path().join("callqa"));
    let kernel = kernels.open(&data)?;
    let callqa = CallQa::new(&kernel)?;
    let end: Timestamp = YEAR_END.parse()?;
    let day = SignedDuration::from_hours(24);
    let start = end.checked_sub(day * 365)?;
    let (coaches, team) = enrol(&callqa, employees, start.checked_sub(day)?)?;

    let exchange = dir.path().join("exchange");
    let days = write_batches(&exchange, calls, employees, audio_every, start)?;
    let system = |now| Access::new("centrale", Role::System, ORIGIN, now);
    let (mut reading, mut importing) = (Duration::ZERO, Duration::ZERO);
    let mut done = Imported::default();
    let bar = progress::bar("importing a year of calls", calls);
    for (i, file) in days.iter().enumerate() {
        let clock = Instant::now();
        let batch = Batch::read(file)?;
        reading += clock.elapsed();
        // Just after the day's last call: every call of the batch is live.
        let now = start.checked_add(day * (i as i32 + 1))?;
        let clock = Instant::now();
        let imported = callqa.import(&system(now), &batch, |n| bar.inc(n as u64))?;
        importing += clock.elapsed();
        done.stored += imported.stored;
        done.duplicates += imported.duplicates;
        done.internal += imported.internal;
        done.private_line += imported.private_line;
        done.expired += imported.expired;
    }
    bar.finish_and_clear();
    let raw = rusqlite::Connection::open(data.database())?;
    let count = |sql: &str| raw.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n.max(0) as u64);
    let audit_entries = count("SELECT count(*) FROM audit_entries")?;
    let recordings = count("SELECT count(*) FROM fields WHERE blob IS NOT NULL")?;
    let inserting = raw_inserts(&dir.path().join("raw.db"), &days)?;

    let per_second = |elapsed: Duration| calls as f64 / elapsed.as_secs_f64();
    let (read, import, baseline) = (per_second(reading), per_second(importing), per_second(inserting));
    println!(
        "call-centre import ({calls} calls of a year, {} daily batches, {employees} employees, a tiny WAV with 1 in {audio_every}; each batch imported just after its day, so no call has expired):",
        days.len()
    );
    println!(
        "  stored {} calls ({recordings} with a recording); not stored, as the protocol says: {} internal, {} on the private line, {} expired, {} duplicates; {:.1} audit entries per stored call",
        done.stored,
        done.internal,
        done.private_line,
        done.expired,
        done.duplicates,
        audit_entries as f64 / done.stored.max(1) as f64
    );
    println!("  reading and checking the batches (CSV, audio sniffed)         {read:10.0} calls/s");
    println!("  CallQa::import (decide, seal, audit, relate, index; {CHUNK} a transaction) {import:10.0} calls/s");
    println!("  baseline (raw SQLite inserts of the stored rows, {CHUNK} a transaction) {baseline:10.0} calls/s");
    println!("  ratio import/baseline {:6.3}x   (read + import)/baseline {:6.3}x", import / baseline, per_second(reading + importing) / baseline);
    drop(raw);

    select(&kernel, &data, &callqa, &coaches, &team, end)
}

/// HR enrols the employees and records their coaches, one coach per team;
/// each person gets a personnel file first, the file they are known by.
fn enrol(callqa: &CallQa<'_>, employees: u32, at: Timestamp) -> Result<(Vec<Coach>, Vec<Employee>), Failure> {
    let kernel = callqa.kernel();
    let hr = Access::new("hr.bench", Role::Hr, ORIGIN, at);
    let personnel = kernel.processing("personeelsdossier")?;
    let coaches = (0..employees.div_ceil(TEAM))
        .map(|c| {
            let name = format!("coach{c:02}");
            let subject = kernel.write(&hr, personnel, None, None, &[(Category::Name, Value::text(format!("Coach {c}")))])?.subject;
            Ok(Coach { subject, name })
        })
        .collect::<Result<Vec<_>, Failure>>()?;
    // The protocol is handed out only in a version the works council consented to (K0).
    callqa.record_consent(&hr, "2026.1", jiff::civil::Date::new(2026, 1, 15).map_err(|e| Failure(e.to_string()))?, "OR bench")?;
    let bar = progress::bar("enrolling employees", u64::from(employees));
    let mut team = Vec::with_capacity(employees as usize);
    for e in 0..employees {
        let name = format!("Medewerker {e}");
        let subject = kernel.write(&hr, personnel, None, None, &[(Category::Name, Value::text(&name))])?.subject;
        let participation = callqa.enrol(&hr, &subject, &name, "klantcontactmedewerker", &agent(e))?;
        let coach = (e / TEAM) as usize;
        let coached_by = coaches.get(coach).ok_or_else(|| Failure(format!("no coach for employee {e}")))?;
        callqa.assign(&hr, &participation, Scope::Coached, &coached_by.subject, true)?;
        team.push(Employee { subject, participation, coach });
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok((coaches, team))
}

/// The exchange's id of employee `e`.
fn agent(e: u32) -> String {
    format!("agent{e:04}")
}

/// Writes one metadata file per day (with the audio files it names) and
/// returns their paths, in order. Call `i` falls on day `i * 365 / calls`,
/// between 07:00 and 16:00 UTC, taken by a random employee; 95 % are
/// external, 3 % with a network relation, 1 % on the private line.
fn write_batches(dir: &Path, calls: u64, employees: u32, audio_every: u32, start: Timestamp) -> Result<Vec<std::path::PathBuf>, Failure> {
    fs::create_dir_all(dir)?;
    let wav = tiny_wav();
    let mut random = ChaCha8Rng::seed_from_u64(11);
    let mut files = Vec::with_capacity(365);
    let mut csv = String::new();
    let bar = progress::bar("writing the exchange's batches", calls);
    let mut call = 0u64;
    for day in 0..365u64 {
        csv.clear();
        csv.push_str(&grondslag_callqa::import::COLUMNS.join(","));
        csv.push('\n');
        let midnight = start.checked_add(SignedDuration::from_hours(24 * day as i64))?;
        while call < calls && call * 365 / calls == day {
            let at = midnight.checked_add(SignedDuration::from_secs(7 * 3600 + random.gen_range(0..9 * 3600)))?;
            let audio = if random.gen_ratio(1, audio_every.max(1)) {
                let name = format!("c{call:07}.wav");
                fs::write(dir.join(&name), &wav)?;
                name
            } else {
                String::new()
            };
            let yes = |p: f64, random: &mut ChaCha8Rng| if random.gen_bool(p) { "ja" } else { "nee" };
            let (external, network, private) = (yes(0.95, &mut random), yes(0.03, &mut random), yes(0.01, &mut random));
            let direction = if random.gen_bool(0.7) { "in" } else { "out" };
            let line = format!(
                "c{call:07},{},{at},{},{direction},{external},{network},{private},{audio}\n",
                agent(random.gen_range(0..employees.max(1))),
                random.gen_range(20..900u32)
            );
            csv.push_str(&line);
            call += 1;
            bar.inc(1);
        }
        let file = dir.join(format!("day-{day:03}.csv"));
        fs::write(&file, &csv)?;
        files.push(file);
    }
    bar.finish_and_clear();
    Ok(files)
}

/// Inserts the calls the import stores (external, not on the private line)
/// as plain rows — the call as JSON and its audio — in transactions of
/// the import's size, same pragmas as the store; returns the time taken.
fn raw_inserts(path: &Path, days: &[std::path::PathBuf]) -> Result<Duration, Failure> {
    let raw = rusqlite::Connection::open(path)?;
    raw.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE calls (id INTEGER PRIMARY KEY, call_id TEXT NOT NULL UNIQUE, agent TEXT NOT NULL, meta TEXT NOT NULL, audio BLOB);",
    )?;
    // The batches are read before the clock starts: the import's reading is timed apart.
    let batches = days.iter().map(|file| Batch::read(file)).collect::<Result<Vec<_>, _>>()?;
    let rows: Vec<_> = batches.iter().flat_map(|b| &b.calls).filter(|c| c.call.external && !c.call.private_line).collect();
    let wav = tiny_wav();
    let bar = progress::bar("raw SQLite inserts", rows.len() as u64);
    let clock = Instant::now();
    for chunk in rows.chunks(CHUNK) {
        let tx = raw.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached("INSERT INTO calls (call_id, agent, meta, audio) VALUES (?1, ?2, ?3, ?4)")?;
            for line in chunk {
                let audio = line.audio.as_ref().map(|_| wav.as_slice());
                insert.execute(params![line.call.call_id, line.agent, serde_json::to_string(&line.call)?, audio])?;
            }
        }
        tx.commit()?;
        bar.inc(chunk.len() as u64);
    }
    let elapsed = clock.elapsed();
    bar.finish_and_clear();
    Ok(elapsed)
}

/// Each employee's coach announces the month's selection and draws four
/// calls on the announced date, beside the coach reading the same
/// employee's calls (all a draw must read to make its pool).
fn select(kernel: &grondslag_kernel::Kernel, data: &DataDir, callqa: &CallQa<'_>, coaches: &[Coach], team: &[Employee], end: Timestamp) -> Result<(), Failure> {
    let raw = rusqlite::Connection::open(data.database())?;
    let audited = || raw.query_row("SELECT count(*) FROM audit_entries", [], |r| r.get::<_, i64>(0));
    // The sweep the retention schedule runs daily: what is left is what a store holds then.
    let sweep = Instant::now();
    let swept: u64 = kernel.sweep(&Access::new("retention", Role::System, ORIGIN, end), end, 500, None, |_| ())?.iter().map(|c| c.records).sum();
    let sweeping = sweep.elapsed().as_secs_f64();
    let month: Month = DRAWN_MONTH.parse()?;
    let draw_at: Timestamp = DRAW_AT.parse()?;
    let coach = |e: &Employee, now| -> Result<Access, Failure> {
        let c = coaches.get(e.coach).ok_or_else(|| Failure(format!("no coach {}", e.coach)))?;
        Ok(Access::new(c.name.clone(), Role::Coach, ORIGIN, now).acting_as(c.subject.clone()))
    };
    // Once untimed, so that both timed passes find the pages in memory.
    let mut remaining = 0usize;
    for e in team {
        remaining += callqa.calls_of(&coach(e, draw_at)?, &e.subject)?.len();
    }

    let before = audited()?;
    let bar = progress::bar("monthly selection", team.len() as u64);
    let mut selections = Vec::with_capacity(team.len());
    let mut times = Vec::with_capacity(team.len());
    let clock = Instant::now();
    for (i, e) in team.iter().enumerate() {
        let started = Instant::now();
        let selection = callqa.announce(&coach(e, end)?, &e.subject, month, SELECTION_DATE, Filters::default())?;
        callqa.draw(&coach(e, draw_at)?, &selection, DRAWN, i as u64)?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
        selections.push(selection);
        bar.inc(1);
    }
    let selecting = clock.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let entries = audited()? - before;

    let mut reads = Vec::with_capacity(team.len());
    let clock = Instant::now();
    for e in team {
        let started = Instant::now();
        std::hint::black_box(callqa.calls_of(&coach(e, draw_at)?, &e.subject)?);
        reads.push(started.elapsed().as_secs_f64() * 1e3);
    }
    let reading = clock.elapsed().as_secs_f64();

    // What was drawn, checked by drawing again from the recorded seed.
    let (mut pool, mut drawn, mut short) = (0usize, 0usize, 0usize);
    for (e, selection) in team.iter().zip(&selections) {
        let (draw, holds) = callqa.verify_draw(&coach(e, draw_at)?, selection)?;
        if !holds {
            return Err(Failure(format!("the draw for employee {} does not hold when drawn again from its seed", e.participation.record)));
        }
        pool += draw.pool.len();
        drawn += draw.drawn.len();
        short += usize::from(draw.drawn.len() < DRAWN as usize);
    }
    let (times, reads) = (sorted(times), sorted(reads));
    let n = team.len().max(1) as f64;
    println!(
        "monthly selection for {} employees ({month}; {} coaches; the sweep first removed {swept} expired calls in {sweeping:.0} s, leaving {:.0} calls an employee):",
        team.len(),
        coaches.len(),
        remaining as f64 / n
    );
    println!(
        "  drawn {drawn} calls from pools of {:.1} drawable calls on average; {short} employees had fewer than {DRAWN}; every draw verified from its seed; {:.1} audit entries per employee",
        pool as f64 / n,
        entries as f64 / n
    );
    println!(
        "  announce + draw {DRAWN} (as the coach)          total {selecting:8.2} s   per employee p50 {:8.2} ms   p99 {:8.2} ms",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    println!(
        "  baseline (the coach reads the employee's calls) total {reading:8.2} s   per employee p50 {:8.2} ms   p99 {:8.2} ms",
        percentile(&reads, 0.5),
        percentile(&reads, 0.99)
    );
    println!("  ratio selection/baseline (totals) {:6.2}x", selecting / reading);
    Ok(())
}
