//! Figures on a synthetic population: the access export of one subject, a
//! staff case list, and the audit log's verification — each beside a
//! baseline on the same file.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use grondslag_claims::area::{AreaLists, SAMPLE};
use grondslag_kernel::{Access, DataDir, Kernel, SubjectId};
use grondslag_register::Role;
use grondslag_synthetic::{Population, generate};
use sha2::{Digest, Sha256};

use super::Kernels;
use super::{percentile, sorted};
use crate::{Failure, progress};

/// A store to measure: one generated here, or one generated before.
pub enum Store<'a> {
    Generate(u64),
    Existing(&'a Path),
}

/// Export p50 (µs) at the number of people with a BSN in the store.
pub struct Measured {
    pub people: u64,
    pub export_p50: f64,
}

/// The case lists a case handler opens: a scheme and a status.
const LISTS: [(&str, Option<&str>); 3] = [("fysieke_schade", Some("in_handling")), ("immateriele_schade", Some("closed")), ("kinderen", Some("decision"))];

/// Refuses `path` unless `grondslag generate` made it: the bench reads
/// and exports everyone in the store through audited calls, which it may
/// do to made-up people only. Checked before anything is measured.
pub fn check_synthetic(kernels: &Kernels<'_>, path: &Path) -> Result<(), Failure> {
    let data = DataDir::new(path);
    if !data.database().exists() {
        return Err(Failure(format!("{} holds no store; make one with `grondslag generate --data {}`", path.display(), path.display())));
    }
    match kernels.open(&data)?.synthetic()? {
        Some(_) => Ok(()),
        None => Err(Failure(format!(
            "{} was not made by `grondslag generate`: the bench reads and exports everyone in a store through audited calls, \
             which it may do to made-up people only; point --population at a generated population",
            path.display()
        ))),
    }
}

pub fn bench(kernels: &Kernels<'_>, store: &Store<'_>, samples: usize, verify: bool) -> Result<Measured, Failure> {
    let temporary = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let data = match store {
        Store::Generate(_) => DataDir::new(temporary.path().join("population")),
        Store::Existing(path) => DataDir::new(*path),
    };
    let kernel = kernels.open(&data)?;
    if let Store::Generate(people) = store {
        let population = Population { seed: 1, subjects: *people, until: jiff::Timestamp::now() };
        let bar = progress::bar("generating a population", *people);
        let areas = AreaLists::parse("shipped sample", SAMPLE)?;
        kernel.loading(grondslag_kernel::LOAD_GROUP, || {
            generate(&kernel, &population, std::num::NonZeroUsize::MIN, areas, &mut |n| bar.set_position(n)).map_err(Failure::from)
        })?;
        bar.finish_and_clear();
    }
    let raw = rusqlite::Connection::open(data.database())?;
    let count = |sql: &str| raw.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n.max(0) as u64);
    let people = count("SELECT count(*) FROM blind_index WHERE kind = 'bsn'")?;
    let cases = count("SELECT count(*) FROM records WHERE status IS NOT NULL")?;
    println!(
        "store: {people} people with a BSN, {cases} records with a status (cases and the like), {} audit entries",
        count("SELECT count(*) FROM audit_entries")?
    );
    let export_p50 = export(&kernel, &raw, samples)?;
    case_list(&kernel, &raw, samples)?;
    if verify {
        audit_verify(&kernel, &raw)?;
    }
    Ok(Measured { people, export_p50 })
}

/// Access export (art. 15) of one person among all, beside a plain SELECT
/// of the same person's ciphertext rows.
fn export(kernel: &Kernel, raw: &rusqlite::Connection, samples: usize) -> Result<f64, Failure> {
    let mut pick = raw.prepare("SELECT subject_id FROM blind_index WHERE kind = 'bsn' ORDER BY random() LIMIT ?1")?;
    let subjects: Vec<String> = pick.query_map([samples as i64], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let rights = kernel.processing("rechtenverzoeken")?;
    let officer = Access::new("bench", Role::PrivacyOfficer, "cli:bench", jiff::Timestamp::now());
    let (mut exported, mut selected) = (Vec::new(), Vec::new());
    let mut rows = 0usize;
    for subject in &subjects {
        let id = SubjectId::parse(subject)?;
        let start = Instant::now();
        black_box(kernel.export(&officer, rights, &id)?);
        exported.push(start.elapsed().as_secs_f64() * 1e6);
        let start = Instant::now();
        let mut statement = raw.prepare_cached("SELECT f.category, f.value FROM records r JOIN fields f ON f.record_id = r.id WHERE r.subject_id = ?1")?;
        let found: Vec<(String, Vec<u8>)> = statement.query_map([subject.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        rows += found.len();
        black_box(found);
        selected.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let (exported, selected) = (sorted(exported), sorted(selected));
    let (e50, e99, s50, s99) = (percentile(&exported, 0.5), percentile(&exported, 0.99), percentile(&selected, 0.5), percentile(&selected, 0.99));
    println!("access export of one person ({} people sampled, {:.1} fields each on average, µs):", subjects.len(), rows as f64 / subjects.len().max(1) as f64);
    println!("  kernel export (decrypt, events, disclosures, access report, audited) p50 {e50:9.1}   p99 {e99:9.1}");
    println!("  baseline (SELECT of the person's ciphertext rows)                   p50 {s50:9.1}   p99 {s99:9.1}");
    println!("  ratio export/baseline p50 {:6.1}x", e50 / s50);
    Ok(e50)
}

/// A case handler's first page of 50 cases of one scheme and status, most
/// recently changed first, through `Kernel::list` (each case listed is an
/// audit entry), beside the same page selected raw.
pub(super) fn case_list(kernel: &Kernel, raw: &rusqlite::Connection, samples: usize) -> Result<(), Failure> {
    let handler = Access::new("bench", Role::CaseHandler, "cli:bench", jiff::Timestamp::now());
    let mut statement = raw.prepare(
        "SELECT id, subject_id, reference, status, updated_at FROM records WHERE processing = ?1 AND status = ?2 ORDER BY updated_at DESC, id LIMIT 50",
    )?;
    let [l50, l99, s50, s99] = time_lists(kernel, samples, &handler, &LISTS, |scheme, status| {
        let page: Vec<(String, String)> = statement.query_map([Some(scheme), status], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(black_box(page).len())
    })?;
    println!("staff case list, first page of 50 by scheme and status ({samples} lists over {} filters, ms):", LISTS.len());
    println!("  Kernel::list (decide, scope all: no lookup, restriction check, 50 audit entries) p50 {l50:9.2}   p99 {l99:9.2}");
    println!("  baseline (the same page SELECTed raw)                                         p50 {s50:9.2}   p99 {s99:9.2}");
    println!("  ratio list/baseline p50 {:6.1}x; Open Zaak publishes a median of 150–200 ms at 10^6 cases: ratio {:.3}x of 150 ms", l50 / s50, l50 / 150.0);
    Ok(())
}

/// Times `samples` first pages of 50 through `Kernel::list` by `access`,
/// the `filters` (processing, status) in turn, each beside the same page
/// selected raw by `select`, which returns how many rows it read. Returns
/// p50 and p99 of the lists, then of the baseline, in ms.
pub(super) fn time_lists(
    kernel: &Kernel,
    samples: usize,
    access: &Access,
    filters: &[(&str, Option<&str>)],
    mut select: impl FnMut(&str, Option<&str>) -> Result<usize, rusqlite::Error>,
) -> Result<[f64; 4], Failure> {
    let (mut listed, mut selected) = (Vec::new(), Vec::new());
    for (scheme, status) in filters.iter().cycle().take(samples) {
        let processing = kernel.processing(scheme)?;
        let start = Instant::now();
        black_box(kernel.list(access, processing, *status, 0, 50)?);
        listed.push(start.elapsed().as_secs_f64() * 1e3);
        let start = Instant::now();
        black_box(select(scheme, *status)?);
        selected.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let (listed, selected) = (sorted(listed), sorted(selected));
    Ok([percentile(&listed, 0.5), percentile(&listed, 0.99), percentile(&selected, 0.5), percentile(&selected, 0.99)])
}

/// Verifying the whole audit log (chain, leaf hashes, signed checkpoints),
/// beside reading the same rows and hashing each entry once, unchecked.
fn audit_verify(kernel: &Kernel, raw: &rusqlite::Connection) -> Result<(), Failure> {
    let start = Instant::now();
    let verified = kernel.verify_audit(|_| ())?;
    let verify_elapsed = start.elapsed();
    let h = read_and_hash(raw)?;
    let v = verified.entries as f64 / verify_elapsed.as_secs_f64();
    println!("audit verify ({} entries, {} signed checkpoints):", verified.entries, verified.checkpoints);
    println!("  verify (chain, leaf hashes, checkpoint signatures)       {v:12.0} entries/s");
    println!("  baseline (read the same rows, unpack, SHA-256, no checks) {h:12.0} entries/s");
    println!("  ratio verify/baseline {:6.2}x", v / h);
    Ok(())
}

/// The baseline of every verification figure: the audit log's entries read
/// in order, unpacked and each hashed once (SHA-256), nothing checked;
/// entries/s.
pub(super) fn read_and_hash(raw: &rusqlite::Connection) -> Result<f64, Failure> {
    let start = Instant::now();
    let mut statement = raw.prepare("SELECT entry FROM audit_entries ORDER BY seq")?;
    let mut rows = statement.query([])?;
    let mut hashed = 0u64;
    while let Some(row) = rows.next()? {
        black_box(Sha256::digest(grondslag_store::unpack_audit_entry(row.get_ref(0)?.as_bytes()?)));
        hashed += 1;
    }
    Ok(hashed as f64 / start.elapsed().as_secs_f64())
}
