//! The audit log at scale: verifying it against the witness, exporting it
//! as LDV lines, and proving one entry's inclusion, on a log of
//! `--audit-entries` entries.
//!
//! The log is filled behind the kernel's back (entries copied from one the
//! kernel wrote, each with its own span id; hashes, checkpoints every 1,000
//! and the kept subtree nodes made as the kernel makes them), since ten
//! million audited operations would take hours to produce and the figures
//! are about reading the log, not writing it.

use std::hint::black_box;
use std::time::Instant;

use grondslag_audit::{CheckpointSigner, Frontier, Hash, Row, chain_hash, ldv, leaf_hash};
use grondslag_crypto::load_or_create_signing_key;
use grondslag_kernel::{AUDIT_NODE_LEVEL, AUDIT_ORIGIN, Access, DataDir, prove_inclusion, verify_store};
use grondslag_register::{Category, Role};
use rand::{Rng, SeedableRng};
use rusqlite::params;

use super::population::read_and_hash;
use super::{Kernels, percentile, sorted};
use crate::{Failure, progress};

/// As the kernel signs them.
const CHECKPOINT_EVERY: u64 = 1000;

pub fn bench(kernels: &Kernels<'_>, entries: u64, samples: usize) -> Result<(), Failure> {
    let temporary = tempfile::Builder::new().prefix("grondslag-bench-").tempdir()?;
    let data = DataDir::new(temporary.path().join("audit"));
    let template = {
        let kernel = kernels.open(&data)?;
        let physical = kernel.processing("fysieke_schade")?;
        let access = Access::new("behandelaar.bench", Role::CaseHandler, "bench", jiff::Timestamp::now());
        kernel.write(&access, physical, None, None, &[(Category::Name, grondslag_kernel::Value::text("Anna"))])?;
        kernel.seal()?;
        let last = "SELECT entry FROM audit_entries ORDER BY seq DESC LIMIT 1";
        let stored = rusqlite::Connection::open(data.database())?.query_row(last, [], |r| r.get::<_, Vec<u8>>(0))?;
        grondslag_kernel::parse_entry(&grondslag_store::unpack_audit_entry(&stored))?
    };
    fill(&data, &template, entries)?;
    let (store, keys) = data.open_audit(None)?;
    let witnessed = data.witness().latest(&keys)?.ok_or_else(|| Failure("the filled log has no witnessed checkpoint".to_string()))?;
    println!("audit log of {entries} entries (checkpoints every {CHECKPOINT_EVERY}):");

    let start = Instant::now();
    let verified = verify_store(store.as_ref(), &keys, Some(&witnessed), &mut |_| ())?;
    let verify_rate = verified.entries as f64 / start.elapsed().as_secs_f64();
    let raw = rusqlite::Connection::open(data.database())?;
    let hash_rate = read_and_hash(&raw)?;
    println!("  verify with the witnessed checkpoint ({} signed checkpoints)  {verify_rate:12.0} entries/s", verified.checkpoints);
    println!("  baseline (read the same rows, unpack, SHA-256, no checks)   {hash_rate:12.0} entries/s");
    println!("  ratio verify/baseline {:6.2}x", verify_rate / hash_rate);

    let start = Instant::now();
    let mut exported = 0u64;
    let service = ldv::Service { name: "grondslag", version: env!("CARGO_PKG_VERSION") };
    store.audit_rows(0, &mut |row| {
        let entry = grondslag_audit::Entry::parse(&row.entry).map_err(|_| grondslag_kernel::StoreError::Corrupt("audit_entries.entry"))?;
        serde_json::to_writer(std::io::sink(), &ldv::line(&entry, service)).map_err(|_| grondslag_kernel::StoreError::Aborted)?;
        exported += 1;
        Ok(())
    })?;
    let export_rate = exported as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut copied = 0u64;
    {
        let mut statement = raw.prepare("SELECT entry FROM audit_entries ORDER BY seq")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            std::io::Write::write_all(&mut std::io::sink(), grondslag_store::unpack_audit_entry(row.get_ref(0)?.as_bytes()?).as_bytes())?;
            copied += 1;
        }
    }
    let copy_rate = copied as f64 / start.elapsed().as_secs_f64();
    println!("  LDV export (parse, project, write JSON)                      {export_rate:12.0} entries/s");
    println!("  baseline (read the same rows, write their JSON unchanged)    {copy_rate:12.0} entries/s");
    println!("  ratio export/baseline {:6.2}x", export_rate / copy_rate);

    let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let seqs: Vec<u64> = (0..samples.max(1)).map(|_| random.gen_range(1..=entries)).collect();
    let mut proofs = Vec::with_capacity(seqs.len());
    for seq in &seqs {
        let start = Instant::now();
        black_box(prove_inclusion(store.as_ref(), &keys, *seq, None)?);
        proofs.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let mut lookups = Vec::with_capacity(seqs.len());
    let mut statement = raw.prepare("SELECT leaf FROM audit_entries WHERE seq = ?1")?;
    for seq in &seqs {
        let start = Instant::now();
        black_box(statement.query_row(params![*seq as i64], |r| r.get::<_, Vec<u8>>(0))?);
        lookups.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let (proofs, lookups) = (sorted(proofs), sorted(lookups));
    let (p50, l50) = (percentile(&proofs, 0.5), percentile(&lookups, 0.5));
    println!("  inclusion proof, checked against the signed root     p50 {p50:9.1} µs  p99 {:9.1} µs", percentile(&proofs, 0.99));
    println!("  baseline (read one entry's leaf hash by number)      p50 {l50:9.1} µs  p99 {:9.1} µs", percentile(&lookups, 0.99));
    println!("  ratio proof/lookup (p50) {:8.1}x", p50 / l50);
    Ok(())
}

/// Appends entries to the log the kernel began (its register versions and
/// one write) up to `entries`, in the chain of the template's person, with
/// checkpoints, kept nodes and the witnessed combined checkpoint as the
/// kernel would leave them.
fn fill(data: &DataDir, template: &grondslag_audit::Entry, entries: u64) -> Result<(), Failure> {
    let signer = CheckpointSigner::new(AUDIT_ORIGIN, load_or_create_signing_key(&data.signing_key())?);
    let chain = template.chain();
    let chain_no = i64::from(chain.number());
    let mut db = rusqlite::Connection::open(data.database())?;
    db.pragma_update(None, "synchronous", "OFF")?;
    let last_seq = db.query_row("SELECT coalesce(max(seq), 0) FROM audit_entries", [], |r| r.get::<_, i64>(0))?.unsigned_abs();
    let (mut frontier, mut previous) = {
        let mut frontier = Frontier::default();
        let mut previous = Hash::ZERO;
        let mut statement = db.prepare("SELECT leaf, chain FROM audit_entries WHERE chain_no = ?1 ORDER BY chain_position")?;
        let mut rows = statement.query([chain_no])?;
        while let Some(row) = rows.next()? {
            let (leaf, link) = (Hash::from_slice(row.get_ref(0)?.as_bytes()?), Hash::from_slice(row.get_ref(1)?.as_bytes()?));
            let (Some(leaf), Some(link)) = (leaf, link) else { return Err(Failure("an audit row's hashes are damaged".to_string())) };
            frontier.push(leaf);
            previous = link;
        }
        (frontier, previous)
    };
    let bar = progress::bar("filling the audit log", entries);
    let tx = db.transaction()?;
    {
        let mut insert =
            tx.prepare("INSERT INTO audit_entries (seq, chain_no, chain_position, entry, leaf, chain, subject_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
        let mut checkpoint = tx.prepare("INSERT INTO audit_checkpoints (chain_no, size, note, frontier) VALUES (?1, ?2, ?3, ?4)")?;
        let mut node = tx.prepare("INSERT INTO audit_nodes (chain_no, level, idx, hash) VALUES (?1, ?2, ?3, ?4)")?;
        let mut entry = template.clone();
        for seq in last_seq + 1..=entries {
            entry.span_id = grondslag_audit::SpanId(seq.to_be_bytes());
            let row = Row::next(seq, chain, Some((frontier.size(), previous)), &entry);
            let packed = grondslag_store::pack_audit_entry(&row.entry)?;
            insert.execute(params![seq as i64, chain_no, row.position as i64, packed, row.leaf.0, row.link.0, row.subject])?;
            let mut kept = Vec::new();
            frontier.push_with(leaf_hash(row.entry.as_bytes()), &mut |n| {
                if n.level >= AUDIT_NODE_LEVEL {
                    kept.push(n);
                }
            });
            for n in kept {
                node.execute(params![chain_no, i64::from(n.level), n.index as i64, n.hash.0])?;
            }
            previous = chain_hash(&previous, &row.leaf);
            if row.position.is_multiple_of(CHECKPOINT_EVERY) || seq == entries {
                let note = signer.sign(chain, row.position, &frontier.root());
                checkpoint.execute(params![chain_no, row.position as i64, note, frontier.to_bytes()])?;
                bar.set_position(seq);
            }
        }
    }
    tx.commit()?;
    bar.finish_and_clear();
    let (store, keys) = data.open_audit(None)?;
    let mut notes = Vec::new();
    store.read(&mut |tx| {
        notes = tx.last_checkpoints()?;
        Ok(())
    })?;
    let heads =
        notes.iter().map(|note| keys.verify(note)).collect::<Result<Vec<_>, _>>().map_err(|e| Failure(format!("a stored checkpoint does not verify: {e}")))?;
    data.witness().record(&[signer.sign_combined(&heads)])?;
    Ok(())
}
