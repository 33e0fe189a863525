//! Each figure beside a baseline measured in the same run, printed as a
//! ratio, so the numbers mean something on any machine.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use grondslag_crypto::MasterKey;
use grondslag_kernel::{Access, DataDir, Kernel, Question, SubjectId, Value, decide};
use grondslag_register::{Action, Category, CategorySet, Register, Role};
use grondslag_store::{PostgresStore, ScratchDatabase, SqliteStore};
use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::element::{Circle, PathElement};
use plotters::style::{BLACK, BLUE, GREEN, RED, RGBColor, ShapeStyle, WHITE};
use rusqlite::params;
use std::path::{Path, PathBuf};

use crate::{Failure, progress};
pub(crate) use grondslag_bench::{percentile, sorted};

mod audit_log;
mod callqa;
#[cfg(feature = "cedar")]
mod cedar;
mod election;
mod filing;
pub mod load;
mod population;
mod relations;
mod staff;

use population::Store;

pub(crate) const BATCH: u32 = 1000;

/// What the bench measures, and at which sizes.
#[derive(Debug)]
pub struct Options<'a> {
    pub writes: u32,
    pub decisions: u32,
    /// Sizes of the populations generated here for the export and case list.
    pub subjects: &'a [u64],
    /// Populations generated before (`grondslag generate`), measured as well.
    pub populations: &'a [PathBuf],
    /// Export samples and case lists per store.
    pub samples: usize,
    /// Cases filled in a store of their own for the relation check and the
    /// staff and expert case lists; 0 skips them.
    pub cases: u64,
    pub sweep_sizes: &'a [u64],
    pub due_records: u32,
    pub plot: Option<&'a Path>,
    /// A PostgreSQL server: measure the kernel there beside SQLite, and one node beside two.
    pub postgres: Option<&'a str>,
    /// Entries in the audit log verified and proved from; 0 skips it.
    pub audit_entries: u64,
    /// Calls of a year imported through the call centre's protocol; 0 skips it.
    pub calls: u64,
    /// Employees the calls are spread over, each selected for monthly.
    pub employees: u32,
    /// One call in this many carries a recording.
    pub call_audio_every: u32,
    /// Employees registered for the management report (0 skips it).
    pub staff: usize,
}

/// How the bench opens its kernels: each on a copy of the register, under
/// the operator's master key when one is given (else each data directory's
/// own key file).
#[derive(Debug)]
pub struct Kernels<'a> {
    pub register: &'a Register,
    pub master: Option<&'a MasterKey>,
}

impl Kernels<'_> {
    pub fn open(&self, data: &DataDir) -> Result<Kernel, Failure> {
        Ok(data.open_kernel(self.register.clone(), self.master, jiff::Timestamp::now())?)
    }
}

pub fn run(kernels: &Kernels<'_>, options: &Options<'_>) -> Result<(), Failure> {
    if let Some(server) = options.postgres {
        // Stores side by side: sizes that keep a PostgreSQL run to minutes.
        let subjects = options.subjects.iter().copied().max().map_or(2000, |n| u32::try_from(n.min(2000)).unwrap_or(2000));
        return stores_bench(kernels, server, options, subjects);
    }
    for path in options.populations {
        population::check_synthetic(kernels, path)?;
    }
    let register = kernels.register;
    println!("grondslag-bench — {} processings in the register", register.processings.len());
    println!();
    decisions_bench(register, options.decisions)?;
    println!();
    writes_bench(kernels, options.writes)?;
    println!();
    uploads_bench(kernels, options.writes)?;
    println!();
    reads_bench(kernels, options.writes)?;
    println!();
    filing::bench(kernels, options.writes.div_ceil(4))?;
    let stores: Vec<Store<'_>> = options.subjects.iter().map(|n| Store::Generate(*n)).chain(options.populations.iter().map(|p| Store::Existing(p))).collect();
    let mut exports = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        println!();
        // The audit log is verified once, in the largest store (the last).
        exports.push(population::bench(kernels, store, options.samples, i + 1 == stores.len())?);
    }
    if options.cases > 0 {
        println!();
        relations::bench(kernels, options.cases, options.decisions, options.samples)?;
    }
    if options.audit_entries > 0 {
        println!();
        audit_log::bench(kernels, options.audit_entries, options.samples)?;
    }
    if options.calls > 0 {
        println!();
        callqa::bench(kernels, options.calls, options.employees, options.call_audio_every)?;
    }
    println!();
    election::bench(kernels)?;
    if options.staff > 0 {
        println!();
        staff::bench(kernels, options.staff)?;
    }
    println!();
    let flat = sweep_bench(kernels, options.sweep_sizes, options.due_records)?;
    if let Some(path) = options.plot {
        let mut exported: Vec<(u64, f64)> = exports.iter().map(|m| (m.people, m.export_p50)).collect();
        exported.sort_by_key(|(people, _)| *people);
        plot(path, &flat, &exported)?;
        println!("plot of sweep time against dated items (left) and export time against people (right): {}", path.display());
    }
    Ok(())
}

/// Two panels, each a time (µs, p50) against a store size on a log scale:
/// the sweep with nothing due against dated items (left, blue), the access
/// export against people in the store (right, red). Flat lines are the
/// claim. Drawn without text (no font is shipped); the axes are described
/// where the picture is shown.
fn plot(path: &Path, sweep: &[(u64, f64)], export: &[(u64, f64)]) -> Result<(), Failure> {
    let root = BitMapBackend::new(path, (1280, 400)).into_drawing_area();
    root.fill(&WHITE).map_err(Failure::from)?;
    let (left, right) = root.split_horizontally(640);
    panel(&left, sweep, decades, &BLUE)?;
    panel(&right, export, decades, &RED)?;
    root.present().map_err(Failure::from)
}

/// One panel of audited writes/s (y) against the number of nodes writing
/// at once (x, a tick per node), green.
fn plot_nodes(path: &Path, writes: &[(u64, f64)]) -> Result<(), Failure> {
    let root = BitMapBackend::new(path, (640, 400)).into_drawing_area();
    root.fill(&WHITE).map_err(Failure::from)?;
    panel(&root, writes, |nodes| nodes as f64, &GREEN)?;
    root.present().map_err(Failure::from)
}

/// A size on the log scale: its decade.
fn decades(items: u64) -> f64 {
    (items.max(1) as f64).log10()
}

/// One panel: a value (y, 0 to twice the largest value, ticks at quarters)
/// against `x` of a count (a tick per whole step: per decade for
/// [`decades`], per node for the count itself).
fn panel(root: &DrawingArea<BitMapBackend<'_>, Shift>, points: &[(u64, f64)], x: fn(u64) -> f64, colour: &RGBColor) -> Result<(), Failure> {
    let (left, right, bottom, top) = (60i32, 600i32, 350i32, 40i32);
    // A size just past a decade (10^6 people and 1,000 staff) stays on its decade's tick.
    let (x_min, x_max) = ((x(points.first().map_or(1, |p| p.0)) + 0.05).floor(), (x(points.last().map_or(10, |p| p.0)) - 0.05).ceil().max(1.0));
    let y_max = points.iter().map(|p| p.1).fold(1.0, f64::max) * 2.0;
    let at = |position: f64, value: f64| {
        let across = f64::from(left) + (position - x_min) / (x_max - x_min).max(1.0) * f64::from(right - left);
        let up = f64::from(bottom) - value / y_max * f64::from(bottom - top);
        (across.round() as i32, up.round() as i32)
    };
    let axis = ShapeStyle::from(&BLACK).stroke_width(1);
    root.draw(&PathElement::new(vec![(left, bottom), (right, bottom)], axis)).map_err(Failure::from)?;
    root.draw(&PathElement::new(vec![(left, bottom), (left, top)], axis)).map_err(Failure::from)?;
    let mut step = x_min;
    while step <= x_max {
        let (tick, _) = at(step, 0.0);
        root.draw(&PathElement::new(vec![(tick, bottom), (tick, bottom + 8)], axis)).map_err(Failure::from)?;
        step += 1.0;
    }
    for fraction in [0.25, 0.5, 0.75, 1.0] {
        let (_, y) = at(x_min, y_max * fraction);
        root.draw(&PathElement::new(vec![(left - 8, y), (left, y)], axis)).map_err(Failure::from)?;
    }
    let line: Vec<(i32, i32)> = points.iter().map(|(count, value)| at(x(*count), *value)).collect();
    root.draw(&PathElement::new(line.clone(), ShapeStyle::from(colour).stroke_width(3))).map_err(Failure::from)?;
    for point in line {
        root.draw(&Circle::new(point, 5, ShapeStyle::from(colour).filled())).map_err(Failure::from)?;
    }
    Ok(())
}

/// The retention sweep with nothing due, at growing numbers of dated items
/// (it must stay flat), and its deletion rate beside a raw DELETE.
fn sweep_bench(kernels: &Kernels<'_>, sizes: &[u64], count: u32) -> Result<Vec<(u64, f64)>, Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let data = DataDir::new(dir.path().join("sweep"));
    let kernel = kernels.open(&data)?;
    let system = Access::new("retention", Role::System, "cli:bench", jiff::Timestamp::now());
    let now = jiff::Timestamp::now();
    // Dated items are index rows; they are written directly, as the sweep
    // reads nothing else when nothing is due.
    let raw = rusqlite::Connection::open(data.database())?;
    // The dated items have no records behind them: they only size the index.
    raw.execute_batch("PRAGMA foreign_keys = OFF")?;
    println!("retention sweep with nothing due (dated items, sweep time p50 of 20 runs):");
    let mut filled = 0u64;
    let mut flat = Vec::new();
    for &size in sizes {
        let bar = progress::bar("dating items", size - filled);
        let tx = raw.unchecked_transaction()?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO due (record_id, subject_id, processing, due_at, held) VALUES (?1, ?2, 'telefoon_opnames', '2099-01-01T00:00:00.000000000Z', 0)",
            )?;
            for i in filled..size {
                insert.execute(params![format!("{i:032x}"), format!("{:032x}", i + (1 << 60))])?;
                bar.inc(1);
            }
        }
        tx.commit()?;
        bar.finish_and_clear();
        filled = size;
        let mut times: Vec<f64> = (0..20)
            .map(|_| {
                let start = Instant::now();
                let swept = kernel.sweep(&system, now, 500, None, |_| ());
                black_box(swept.is_ok());
                start.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        times.sort_by(f64::total_cmp);
        println!("  {size:>9} items   {:8.1} µs", percentile(&times, 0.5));
        flat.push((size, percentile(&times, 0.5)));
    }
    drop(raw);

    // Deletion: real records through the kernel, beside a raw DELETE of as
    // many rows of the same shape.
    let calls = kernel.processing("telefoon_opnames")?;
    let recorded = Access::new("centrale", Role::System, "cli:bench", now.checked_sub(jiff::Span::new().hours(60 * 24)).map_err(Failure::from)?);
    let bar = progress::bar("recording calls", u64::from(count));
    for i in 0..count {
        let record = kernel.write(&recorded, calls, None, None, &[(Category::Phone, Value::text(format!("06{:08}", i)))])?;
        kernel.record_event(&recorded, calls, &record, Action::File, "recorded", None, None)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    let start = Instant::now();
    let deleted: u64 = kernel.sweep(&system, now, 500, None, |_| ())?.iter().map(|c| c.records).sum();
    let sweep_elapsed = start.elapsed();
    let baseline = rusqlite::Connection::open(dir.path().join("raw.db"))?;
    baseline.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON; CREATE TABLE rows (id INTEGER PRIMARY KEY, due TEXT, value BLOB);",
    )?;
    {
        let tx = baseline.unchecked_transaction()?;
        let mut insert = tx.prepare("INSERT INTO rows (due, value) VALUES ('2000-01-01', ?1)")?;
        for i in 0..count {
            insert.execute(params![format!("06{:08}", i).into_bytes()])?;
        }
        drop(insert);
        tx.commit()?;
    }
    let start = Instant::now();
    let mut raw_deleted = 0;
    loop {
        let n = baseline.execute("DELETE FROM rows WHERE id IN (SELECT id FROM rows WHERE due <= '2001-01-01' LIMIT 500)", [])?;
        if n == 0 {
            break;
        }
        raw_deleted += n;
    }
    let raw_elapsed = start.elapsed();
    let (k, r) = (deleted as f64 / sweep_elapsed.as_secs_f64(), raw_deleted as f64 / raw_elapsed.as_secs_f64());
    println!("deletion of {deleted} due records (batches of 500, one transaction each):");
    println!("  sweep (erase record, events, index, shred keys, certificates) {k:10.0} records/s");
    println!("  baseline (raw DELETE of as many rows, same batches)           {r:10.0} rows/s");
    println!("  ratio sweep/baseline {:6.3}x", k / r);
    Ok(flat)
}

/// Nanoseconds per item for each batch, sorted.
pub(crate) fn batches(total: u32, mut run_batch: impl FnMut(u32)) -> Vec<f64> {
    let mut per_item: Vec<f64> = (0..total.div_ceil(BATCH))
        .map(|b| {
            let start = Instant::now();
            run_batch(b);
            start.elapsed().as_nanos() as f64 / f64::from(BATCH)
        })
        .collect();
    per_item.sort_by(f64::total_cmp);
    per_item
}

fn decisions_bench(register: &Register, decisions: u32) -> Result<(), Failure> {
    // The same questions for all: every role × processing × action, with
    // the processing's own categories and, to disclose, its first recipient.
    let questions: Vec<Question> = register
        .processing_ids()
        .flat_map(|p| {
            let processing = register.processing(p);
            let (categories, recipient) = (processing.categories, processing.disclosures.first().map(|d| d.recipient_id));
            Role::ALL.iter().flat_map(move |role| {
                Action::ALL.iter().map(move |action| Question {
                    role: *role,
                    action: *action,
                    processing: p,
                    categories,
                    restricted: false,
                    recipient: recipient.filter(|_| *action == Action::Disclose),
                    legal_check_recorded: false,
                })
            })
        })
        .collect();
    // Baseline: the answer precomputed in a hash map keyed by
    // (role, processing, action) — a lookup with no rules at all.
    let table: HashMap<(u8, u16, u8), bool> =
        questions.iter().enumerate().map(|(i, q)| ((q.role as u8, i as u16, q.action as u8), decide(register, *q).is_ok())).collect();
    let keys: Vec<(u8, u16, u8)> = table.keys().copied().collect();
    let n = questions.len();

    let kernel = batches(decisions, |b| {
        for i in 0..BATCH as usize {
            black_box(decide(register, black_box(questions[(b as usize * 7 + i) % n])).is_ok());
        }
    });
    let baseline = batches(decisions, |b| {
        for i in 0..BATCH as usize {
            black_box(table.get(black_box(&keys[(b as usize * 7 + i) % n])));
        }
    });
    let (k50, k99, b50, b99) = (percentile(&kernel, 0.5), percentile(&kernel, 0.99), percentile(&baseline, 0.5), percentile(&baseline, 0.99));
    println!("kernel decision ({decisions} decisions over {n} distinct questions, per decision):");
    println!("  kernel (register tables)  p50 {k50:8.1} ns   p99 {k99:8.1} ns");
    println!("  baseline (HashMap lookup) p50 {b50:8.1} ns   p99 {b99:8.1} ns");
    println!("  ratio kernel/baseline     p50 {:8.2}x", k50 / b50);
    cedar_line(register, &questions, decisions, k50)
}

/// Cedar on the same questions, when built in.
#[cfg(feature = "cedar")]
fn cedar_line(register: &Register, questions: &[Question], decisions: u32, kernel_p50: f64) -> Result<(), Failure> {
    // Cedar is orders of magnitude slower; fewer decisions give enough batches.
    let [per_grant, by_attribute] = cedar::bench(register, questions, (decisions / 50).max(BATCH * 20))?;
    for (times, form) in [(per_grant, "a policy per grant"), (by_attribute, "8 policies over attributes")] {
        let (c50, c99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        println!("  Cedar ({form}, same answers) p50 {c50:10.1} ns   p99 {c99:10.1} ns   ratio kernel/Cedar p50 {:.5}x", kernel_p50 / c50);
    }
    Ok(())
}

#[cfg(not(feature = "cedar"))]
fn cedar_line(_: &Register, _: &[Question], _: u32, _: f64) -> Result<(), Failure> {
    println!("  (Cedar beside it: build with `--features cedar`, see BENCHMARKS.md)");
    Ok(())
}

fn rate(count: u32, elapsed: Duration) -> f64 {
    f64::from(count) / elapsed.as_secs_f64()
}

fn writes_bench(kernels: &Kernels<'_>, writes: u32) -> Result<(), Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let kernel = kernels.open(&DataDir::new(dir.path().join("kernel")))?;
    let processing = kernel.processing("fysieke_schade")?;
    let access = Access::new("bench", Role::CaseHandler, "cli:bench", jiff::Timestamp::now());
    let fields = [
        (Category::Name, Value::text("Anna de Vries")),
        (Category::Address, Value::text("Hoofdstraat 12")),
        (Category::PostcodeCity, Value::text("9981 AB Uithuizen")),
        (Category::Phone, Value::text("0595123456")),
        (Category::Email, Value::text("anna.devries@example.nl")),
        (Category::Bsn, Value::text("111222333")),
        (Category::BankAccount, Value::text("NL91ABNA0417164300")),
        (Category::CaseNumber, Value::text("IMG-2024-000101")),
    ];
    let payload: usize = fields.iter().map(|(c, v)| c.name().len() + v.as_text().map_or(0, str::len)).sum();

    // One subject, new records: the BSN index entry stays the same subject's.
    let first = kernel.write(&access, processing, None, None, &fields)?;
    let bar = progress::bar("audited, encrypted writes", u64::from(writes));
    let start = Instant::now();
    for _ in 0..writes {
        kernel.write(&access, processing, Some(&first.subject), None, &fields)?;
        bar.inc(1);
    }
    let kernel_elapsed = start.elapsed();
    bar.finish_and_clear();
    let (stored_elapsed, stored_rows) = stored_rows_inserted(&DataDir::new(dir.path().join("kernel")).database(), &dir.path().join("stored.db"), writes)?;

    // Baseline: the same number of transactions inserting rows with the
    // same plaintext bytes, on the same file system, same pragmas.
    let raw = rusqlite::Connection::open(dir.path().join("raw.db"))?;
    raw.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE rows (id INTEGER PRIMARY KEY, category TEXT NOT NULL, value BLOB NOT NULL);",
    )?;
    let bar = progress::bar("raw SQLite inserts", u64::from(writes));
    let start = Instant::now();
    for _ in 0..writes {
        let tx = raw.unchecked_transaction()?;
        for (category, value) in &fields {
            tx.prepare_cached("INSERT INTO rows (category, value) VALUES (?1, ?2)")?.execute(params![category.name(), value.as_text().unwrap_or_default()])?;
        }
        tx.commit()?;
        bar.inc(1);
    }
    let raw_elapsed = start.elapsed();
    bar.finish_and_clear();

    // New subjects without a BSN (so they cannot collide), first from one
    // thread, then from several at once: the store groups their commits.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().max(2)) as u32;
    let per_thread = writes / threads;
    let total = per_thread * threads;
    let contact = &fields[..5];
    let (single_elapsed, concurrent_elapsed) =
        one_then_at_once("new subjects", threads, per_thread, || kernel.write(&access, processing, None, None, contact).map(drop))?;

    let (k, r, s) = (rate(writes, kernel_elapsed), rate(writes, raw_elapsed), rate(writes, stored_elapsed));
    let per_write = |baseline: Duration| (kernel_elapsed.as_secs_f64() - baseline.as_secs_f64()) * 1e6 / f64::from(writes);
    println!("writes ({writes} writes of {} fields, {payload} bytes of plaintext each):", fields.len());
    println!("  kernel (decide + validate + encrypt + audit, one transaction each) {k:10.0} writes/s");
    println!("  baseline (raw SQLite inserts of the plaintext, one table, one transaction each) {r:10.0} writes/s");
    println!("  ratio kernel/baseline {:6.2}x  (cost of privacy and of the store's indexes per write: {:.1} µs)", k / r, per_write(raw_elapsed));
    println!(
        "  baseline (raw SQLite inserts of the rows the kernel stored, {:.1} a write, same tables and indexes) {s:10.0} writes/s",
        stored_rows as f64 / f64::from(writes)
    );
    println!("  ratio kernel/baseline {:6.2}x  (cost of privacy per write: {:.1} µs)", k / s, per_write(stored_elapsed));
    let (single, concurrent) = (rate(total, single_elapsed), rate(total, concurrent_elapsed));
    println!("concurrency ({total} new subjects of 5 fields):");
    println!("  one thread                          {single:10.0} writes/s");
    println!("  {threads} threads at once, commits grouped {concurrent:10.0} writes/s");
    println!("  ratio {threads} threads / one thread {:6.2}x", concurrent / single);
    Ok(())
}

/// Baseline for the kernel's writes: the rows they left in `stored`, as
/// stored (records, sealed fields, packed and hashed audit entries),
/// inserted raw into an empty database at `path` of the same schema — the
/// same tables, indexes and triggers — spread over `writes` transactions in
/// the order they were stored. What holding the same rows costs SQLite,
/// without deciding, validating, sealing, hashing or chaining them. Rows
/// the writes changed rather than added (the subject's) are inserted once,
/// as they ended, so this baseline does a little less than the writes did.
/// Foreign keys are not checked: rows spread evenly need not land after
/// the rows they refer to. The WAL is checkpointed as the store does it:
/// passively, every 100 commits, by a thread of its own. How long the
/// inserts took, and how many rows.
fn stored_rows_inserted(stored: &Path, path: &Path, writes: u32) -> Result<(Duration, usize), Failure> {
    let source = rusqlite::Connection::open(stored)?;
    let raw = rusqlite::Connection::open(path)?;
    raw.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA secure_delete = ON;
         PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 10000;",
    )?;
    let schema = source
        .prepare("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type <> 'table', rowid")?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut inserts = Vec::new();
    let mut transactions: Vec<Vec<(usize, Vec<rusqlite::types::Value>)>> = (0..writes).map(|_| Vec::new()).collect();
    for (kind, name, sql) in &schema {
        raw.execute_batch(sql)?;
        if kind != "table" {
            continue;
        }
        let mut select = source.prepare(&format!("SELECT * FROM \"{name}\""))?;
        let columns = select.column_count();
        let rows = select
            .query_map([], |r| (0..columns).map(|i| r.get::<_, rusqlite::types::Value>(i)).collect::<Result<Vec<_>, _>>())?
            .collect::<Result<Vec<_>, _>>()?;
        let placeholders = (1..=columns).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
        let table = inserts.len();
        inserts.push(format!("INSERT INTO \"{name}\" VALUES ({placeholders})"));
        let count = rows.len() as u64;
        for (j, row) in rows.into_iter().enumerate() {
            let at = (j as u64 * u64::from(writes) / count) as usize;
            if let Some(transaction) = transactions.get_mut(at) {
                transaction.push((table, row));
            }
        }
    }
    let rows = transactions.iter().map(Vec::len).sum();
    let checkpointer = rusqlite::Connection::open(path)?;
    let bar = progress::bar("raw SQLite inserts of the stored rows", u64::from(writes));
    let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
    let start = Instant::now();
    std::thread::scope(|scope| -> Result<(Duration, usize), Failure> {
        let checkpoints = scope.spawn(move || -> Result<(), rusqlite::Error> {
            while woken.recv().is_ok() {
                checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
            }
            Ok(())
        });
        for (i, transaction) in transactions.into_iter().enumerate() {
            let tx = raw.unchecked_transaction()?;
            for (table, row) in transaction {
                tx.prepare_cached(&inserts[table])?.execute(rusqlite::params_from_iter(row))?;
            }
            tx.commit()?;
            // Full: a checkpoint is already due, and covers these commits
            // too; disconnected: the thread failed, and says why below.
            if (i + 1) % 100 == 0 && matches!(wake.try_send(()), Err(std::sync::mpsc::TrySendError::Disconnected(()))) {
                break;
            }
            bar.inc(1);
        }
        let elapsed = start.elapsed();
        drop(wake);
        checkpoints.join().map_err(|_| Failure("the checkpointing thread of the stored-rows baseline panicked".into()))??;
        bar.finish_and_clear();
        Ok((elapsed, rows))
    })
}

/// Runs `operation` `threads × each` times from one thread, then `each`
/// times from each of `threads` at once: how long each took.
fn one_then_at_once(
    what: &'static str,
    threads: u32,
    each: u32,
    operation: impl Fn() -> Result<(), grondslag_kernel::KernelError> + Sync,
) -> Result<(Duration, Duration), Failure> {
    let total = threads * each;
    let bar = progress::bar(what, u64::from(total));
    let start = Instant::now();
    for _ in 0..total {
        operation()?;
        bar.inc(1);
    }
    let single = start.elapsed();
    bar.finish_and_clear();
    let bar = progress::bar(what, u64::from(total));
    let start = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..each {
                        operation()?;
                        bar.inc(1);
                    }
                    Ok::<(), grondslag_kernel::KernelError>(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().unwrap_or_else(|_| Ok(())))
    })?;
    let concurrent = start.elapsed();
    bar.finish_and_clear();
    Ok((single, concurrent))
}

/// Readers at once in [`reads_bench`]: the connections of
/// `scripts/bench-http.sh`.
const READERS: u32 = 16;

/// Audited reads of one record, from one thread and then from
/// [`READERS`] at once: each read's entry is written before it returns,
/// and entries of reads that end together are appended together.
fn reads_bench(kernels: &Kernels<'_>, reads: u32) -> Result<(), Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let kernel = kernels.open(&DataDir::new(dir.path().join("kernel")))?;
    let processing = kernel.processing("fysieke_schade")?;
    let access = Access::new("bench", Role::CaseHandler, "cli:bench", jiff::Timestamp::now());
    let fields = [(Category::Name, Value::text("Anna de Vries")), (Category::Phone, Value::text("0595123456"))];
    let anna = kernel.write(&access, processing, None, None, &fields)?;
    let all: CategorySet = Category::ALL.iter().copied().collect();
    let per_thread = reads / READERS;
    let total = per_thread * READERS;
    let (single_elapsed, concurrent_elapsed) =
        one_then_at_once("audited reads", READERS, per_thread, || kernel.read_record(&access, processing, &anna, all).map(drop))?;
    let (single, concurrent) = (rate(total, single_elapsed), rate(total, concurrent_elapsed));
    println!("audited reads ({total} reads of one record, each logged before it returns):");
    println!("  one thread                          {single:10.0} reads/s");
    println!("  {READERS} threads at once, entries appended together {concurrent:10.0} reads/s");
    println!("  ratio {READERS} threads / one thread {:6.2}x", concurrent / single);
    Ok(())
}

/// A call recording of this many bytes is uploaded over and over beside
/// the writes of [`uploads_bench`]: minutes of audio.
const UPLOAD_BYTES: usize = 4 << 20;

/// Small audited writes from one thread, alone and while another thread
/// uploads call recordings of [`UPLOAD_BYTES`]: how much an upload holds
/// up everyone else's writes. An upload is sealed under a key of its own,
/// written and synced before its unit takes SQLite's one writer.
fn uploads_bench(kernels: &Kernels<'_>, writes: u32) -> Result<(), Failure> {
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let kernel = kernels.open(&DataDir::new(dir.path().join("kernel")))?;
    let (processing, calls) = (kernel.processing("fysieke_schade")?, kernel.processing("telefoon_opnames")?);
    let now = jiff::Timestamp::now();
    let (access, centre) = (Access::new("bench", Role::CaseHandler, "cli:bench", now), Access::new("bench", Role::ContactCentre, "cli:bench", now));
    let contact = [(Category::Name, Value::text("Anna de Vries")), (Category::Phone, Value::text("0595123456"))];
    let recording = vec![0x5Au8; UPLOAD_BYTES];
    let written = |label: &'static str| -> Result<Duration, Failure> {
        let bar = progress::bar(label, u64::from(writes));
        let start = Instant::now();
        for _ in 0..writes {
            kernel.write(&access, processing, None, None, &contact)?;
            bar.inc(1);
        }
        bar.finish_and_clear();
        Ok(start.elapsed())
    };
    let alone = written("writes alone")?;
    let done = std::sync::atomic::AtomicBool::new(false);
    let (beside, uploaded) = std::thread::scope(|scope| {
        let uploader = scope.spawn(|| {
            let mut uploaded = 0u32;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                kernel.write(
                    &centre,
                    calls,
                    None,
                    None,
                    &[(Category::Phone, Value::text("0612345678")), (Category::CallRecording, Value::Bytes(recording.clone()))],
                )?;
                uploaded += 1;
            }
            Ok::<u32, grondslag_kernel::KernelError>(uploaded)
        });
        let beside = written("writes beside uploads");
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let uploaded = uploader.join().unwrap_or_else(|_| Ok(0));
        (beside, uploaded)
    });
    let (beside, uploaded) = (beside?, uploaded?);
    let (alone_rate, beside_rate) = (rate(writes, alone), rate(writes, beside));
    println!("uploads beside writes ({writes} writes of {} fields; call recordings of {} MiB uploaded meanwhile):", contact.len(), UPLOAD_BYTES >> 20);
    println!("  writes alone                        {alone_rate:10.0} writes/s");
    println!("  writes while another thread uploads {beside_rate:10.0} writes/s   ({:.1} uploads/s)", rate(uploaded, beside));
    println!("  ratio beside uploads / alone {:6.2}x", beside_rate / alone_rate);
    Ok(())
}

/// What [`store_figures`] measures on one store.
struct StoreFigures {
    /// Audited writes/s.
    writes: f64,
    /// Access export p50, µs.
    export: f64,
    /// A page of 50 cases listed (51 audit entries) p50, µs.
    list: f64,
    /// Sweep deletions/s.
    sweep: f64,
}

/// [`StoreFigures`] of one kernel, on whichever store it was opened.
fn store_figures(kernel: &Kernel, writes: u32, subjects: u32, due: u32) -> Result<StoreFigures, Failure> {
    let now = jiff::Timestamp::now();
    let (handler, officer, system) = (
        Access::new("bench", Role::CaseHandler, "cli:bench", now),
        Access::new("bench", Role::PrivacyOfficer, "cli:bench", now),
        Access::new("retention", Role::System, "cli:bench", now),
    );
    let physical = kernel.processing("fysieke_schade")?;
    let fields =
        [(Category::Name, Value::text("Anna de Vries")), (Category::Address, Value::text("Hoofdstraat 12")), (Category::Email, Value::text("anna@example.nl"))];
    let start = Instant::now();
    for _ in 0..writes {
        kernel.write(&handler, physical, None, None, &fields)?;
    }
    let written = rate(writes, start.elapsed());
    let subjects: Vec<_> = (0..subjects).map(|_| kernel.write(&handler, physical, None, None, &fields).map(|r| r.subject)).collect::<Result<_, _>>()?;
    let rights = kernel.processing("rechtenverzoeken")?;
    let mut times: Vec<f64> = Vec::new();
    for subject in subjects.iter().step_by((subjects.len() / 200).max(1)) {
        let start = Instant::now();
        black_box(kernel.export(&officer, rights, subject)?);
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    let export = percentile(&times, 0.5);
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        let listed = black_box(kernel.list(&handler, physical, None, 0, 50)?);
        times.push(start.elapsed().as_secs_f64() * 1e6);
        if listed.len() != 50 {
            return Err(Failure::from(format!("the case list showed {} cases where a page of 50 was measured", listed.len())));
        }
    }
    times.sort_by(f64::total_cmp);
    let calls = kernel.processing("telefoon_opnames")?;
    let recorded = Access::new("centrale", Role::System, "cli:bench", now.checked_sub(jiff::Span::new().hours(60 * 24)).map_err(Failure::from)?);
    for i in 0..due {
        let record = kernel.write(&recorded, calls, None, None, &[(Category::Phone, Value::text(format!("06{i:08}")))])?;
        kernel.record_event(&recorded, calls, &record, Action::File, "recorded", None, None)?;
    }
    let start = Instant::now();
    let deleted: u64 = kernel.sweep(&system, now, 500, None, |_| ())?.iter().map(|c| c.records).sum();
    Ok(StoreFigures { writes: written, export, list: percentile(&times, 0.5), sweep: deleted as f64 / start.elapsed().as_secs_f64() })
}

/// Audited writes/s of `nodes` kernels (each its own store, as separate
/// server nodes have), each writing from its own thread at once.
fn nodes_writing(kernels: &[Kernel], writes: u32) -> Result<f64, Failure> {
    let each = writes / kernels.len() as u32;
    let start = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = kernels
            .iter()
            .map(|kernel| {
                scope.spawn(move || {
                    let access = Access::new("bench", Role::CaseHandler, "cli:bench", jiff::Timestamp::now());
                    let physical = kernel.processing("fysieke_schade")?;
                    for _ in 0..each {
                        kernel.write(&access, physical, None, None, &[(Category::Name, Value::text("Anna de Vries"))])?;
                    }
                    Ok::<(), grondslag_kernel::KernelError>(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().unwrap_or_else(|_| Ok(())))
    })?;
    Ok(rate(each * kernels.len() as u32, start.elapsed()))
}

/// Audited reads/s of `nodes` kernels, each reading from its own thread at
/// once, `reads` in all, of one field of `subjects` in turn: each read is a
/// reading transaction and a write of its audit entry.
fn nodes_reading(kernels: &[Kernel], subjects: &[SubjectId], reads: u32) -> Result<f64, Failure> {
    let each = reads / kernels.len() as u32;
    let start = Instant::now();
    std::thread::scope(|scope| {
        let workers: Vec<_> = kernels
            .iter()
            .enumerate()
            .map(|(n, kernel)| {
                scope.spawn(move || {
                    let access = Access::new("bench", Role::CaseHandler, "cli:bench", jiff::Timestamp::now());
                    let physical = kernel.processing("fysieke_schade")?;
                    let name = CategorySet::of(&[Category::Name]);
                    for i in 0..each as usize {
                        black_box(kernel.read(&access, physical, &subjects[(i * 7 + n) % subjects.len()], name)?);
                    }
                    Ok::<(), grondslag_kernel::KernelError>(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().unwrap_or_else(|_| Ok(())))
    })?;
    Ok(rate(each * kernels.len() as u32, start.elapsed()))
}

/// Transactions/s of one upsert each, straight through `store`: what a
/// commit costs there with nothing of the kernel's around it.
fn one_statement_writes(store: &dyn grondslag_store::Store, writes: u32) -> Result<f64, Failure> {
    let start = Instant::now();
    for i in 0..writes {
        store.transaction(&mut |tx| tx.set_setting("bench.floor", &i.to_le_bytes()))?;
    }
    Ok(rate(writes, start.elapsed()))
}

/// Nodes writing at once in the PostgreSQL comparison: 1 to this many.
const NODES: u64 = 4;

/// PostgreSQL beside SQLite: the same kernel figures on each, and writes
/// from one node and from up to [`NODES`] nodes at once on one database
/// (plotted to `--plot` when given).
fn stores_bench(kernels: &Kernels<'_>, server: &str, options: &Options<'_>, subjects: u32) -> Result<(), Failure> {
    let (writes, due) = (options.writes, options.due_records.min(5000));
    let dir = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let database = ScratchDatabase::create(server)?;
    let on_postgres = || DataDir::new(dir.path().join("postgres")).with_database_url(Some(database.url().to_string()));
    println!("PostgreSQL ({}) beside SQLite, {writes} audited writes, export among {subjects} subjects, sweep of {due} due records:", database.url());
    let sqlite = store_figures(&kernels.open(&DataDir::new(dir.path().join("sqlite")))?, writes, subjects, due)?;
    let postgres = store_figures(&kernels.open(&on_postgres())?, writes, subjects, due)?;
    println!("                          SQLite     PostgreSQL   PostgreSQL/SQLite");
    println!("  audited writes/s    {:10.0}   {:10.0}   {:8.2}x", sqlite.writes, postgres.writes, postgres.writes / sqlite.writes);
    println!("  access export p50 µs {:9.1}   {:10.1}   {:8.2}x", sqlite.export, postgres.export, postgres.export / sqlite.export);
    println!("  list of 50 p50 µs   {:10.1}   {:10.1}   {:8.2}x", sqlite.list, postgres.list, postgres.list / sqlite.list);
    println!("  sweep records/s     {:10.0}   {:10.0}   {:8.2}x", sqlite.sweep, postgres.sweep, postgres.sweep / sqlite.sweep);
    let sqlite_floor = one_statement_writes(&SqliteStore::open(&dir.path().join("floor.db"))?, writes)?;
    let postgres_floor = one_statement_writes(&PostgresStore::open(database.url())?, writes)?;
    println!("  one-statement writes/s {:7.0}   {:10.0}   {:8.2}x", sqlite_floor, postgres_floor, postgres_floor / sqlite_floor);
    println!("  (a transaction of one upsert through the store, no kernel: the floor under any write, an audited read's entries included)");
    println!(
        "  PostgreSQL's floor / SQLite's audited writes {:6.2}x  (the most PostgreSQL/SQLite audited writes can reach on this machine)",
        postgres_floor / sqlite.writes
    );
    println!(
        "  one PostgreSQL floor write / SQLite's export {:6.2}x  (the least PostgreSQL/SQLite export can reach: an export commits its entry)",
        1e6 / postgres_floor / sqlite.export
    );
    println!("nodes on one PostgreSQL database (each its own connections, one writer thread each):");
    let mut rates = Vec::new();
    for nodes in 1..=NODES {
        let kernels: Vec<Kernel> = (0..nodes).map(|_| kernels.open(&on_postgres())).collect::<Result<_, _>>()?;
        let rate = nodes_writing(&kernels, writes)?;
        let one = rates.first().map_or(rate, |(_, first)| *first);
        println!("  {nodes} node(s) at once  {rate:10.0} audited writes/s  {:6.2}x one node", rate / one);
        rates.push((nodes, rate));
    }
    println!("  (writes run beside each other, each holding its person and, as it ends, its audit chain)");
    println!("nodes reading at once on one PostgreSQL database (one reader thread each; a read and its audit entry):");
    let reader = kernels.open(&on_postgres())?;
    let physical = reader.processing("fysieke_schade")?;
    let handler = Access::new("bench", Role::CaseHandler, "cli:bench", jiff::Timestamp::now());
    let people: Vec<SubjectId> = (0..64)
        .map(|i| reader.write(&handler, physical, None, None, &[(Category::Name, Value::text(format!("Lezer {i}")))]).map(|r| r.subject))
        .collect::<Result<_, _>>()?;
    let mut first = None;
    for nodes in 1..=NODES {
        let kernels: Vec<Kernel> = (0..nodes).map(|_| kernels.open(&on_postgres())).collect::<Result<_, _>>()?;
        let rate = nodes_reading(&kernels, &people, writes)?;
        let one = *first.get_or_insert(rate);
        println!("  {nodes} node(s) at once  {rate:10.0} audited reads/s   {:6.2}x one node", rate / one);
    }
    if let Some(path) = options.plot {
        plot_nodes(path, &rates)?;
        println!("plot of audited writes/s against nodes writing at once: {}", path.display());
    }
    Ok(())
}
