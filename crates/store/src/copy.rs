//! Copying a whole store from one database into another, row by row,
//! without opening anything: ciphertext, keyed digests and audit rows
//! arrive as they were, so every record stays readable with the same master
//! key and the audit chain verifies unchanged.

use std::borrow::Cow;

use crate::StoreError;
use crate::sql::{Db, Param, Row, Value};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Text,
    Bytes,
    Int,
}

use Kind::{Bytes, Int, Text};

/// A table: its name, its columns with their kinds, and its row order.
type Table = (&'static str, &'static [(&'static str, Kind)], &'static str);

/// Every table, parents before children, with the columns to copy and the
/// order to copy rows in. Generated ids (disclosures, events) are left to
/// the target, which hands them out in the same order.
const TABLES: &[Table] = &[
    ("subjects", &[("id", Text), ("wrapped_key", Bytes), ("restricted", Int), ("created_at", Text)], "id"),
    ("blind_index", &[("kind", Text), ("digest", Bytes), ("subject_id", Text)], "kind, digest"),
    (
        "records",
        &[
            ("id", Text),
            ("subject_id", Text),
            ("processing", Text),
            ("created_at", Text),
            ("updated_at", Text),
            ("reference", Text),
            ("status", Text),
            ("parent_id", Text),
        ],
        "id",
    ),
    ("fields", &[("record_id", Text), ("category", Text), ("value", Bytes), ("blob", Text), ("version", Int)], "record_id, category"),
    (
        "disclosures",
        &[("subject_id", Text), ("processing", Text), ("recipient", Text), ("categories", Text), ("actor", Text), ("trace_id", Text), ("at", Text)],
        "id",
    ),
    (
        "audit_entries",
        &[
            ("seq", Int),
            ("chain_no", Int),
            ("chain_position", Int),
            ("entry", Bytes),
            ("leaf", Bytes),
            ("chain", Bytes),
            ("subject_id", Text),
            ("forget_at", Text),
        ],
        "seq",
    ),
    ("audit_checkpoints", &[("chain_no", Int), ("size", Int), ("note", Text), ("frontier", Bytes)], "chain_no, size"),
    ("audit_nodes", &[("chain_no", Int), ("level", Int), ("idx", Int), ("hash", Bytes)], "chain_no, level, idx"),
    ("settings", &[("name", Text), ("value", Bytes)], "name"),
    ("sequences", &[("name", Text), ("value", Int)], "name"),
    ("record_events", &[("record_id", Text), ("event", Text), ("at", Text), ("actor", Text), ("detail", Bytes), ("audience", Text)], "id"),
    ("relations", &[("object", Text), ("relation", Text), ("actor", Text)], "object, relation, actor"),
    ("record_index", &[("kind", Text), ("digest", Bytes), ("processing", Text), ("record_id", Text)], "kind, digest, processing, record_id"),
    ("due", &[("record_id", Text), ("subject_id", Text), ("processing", Text), ("due_at", Text), ("held", Int), ("review_at", Text)], "record_id"),
    ("sessions", &[("token_hash", Bytes), ("account", Text), ("body", Bytes), ("expires_at", Text), ("account_record", Text)], "token_hash"),
    ("login_failures", &[("key", Bytes), ("failures", Int), ("last_at", Text)], "key"),
];

fn param(value: &Value, kind: Kind) -> Param<'_> {
    match (value, kind) {
        // An audit entry SQLite stored as text before entries were packed.
        (Value::Text(text), Bytes) => Param::Bytes(Some(text.as_bytes())),
        (Value::Text(text), _) => Param::Text(Some(Cow::Borrowed(text))),
        (Value::Bytes(bytes), _) => Param::Bytes(Some(bytes)),
        (Value::Int(n), _) => Param::Int(Some(*n)),
        (Value::Null, Text) => Param::Text(None),
        (Value::Null, Bytes) => Param::Bytes(None),
        (Value::Null, Int) => Param::Int(None),
    }
}

fn count(db: &mut impl Db, context: &'static str, sql: &str) -> Result<u64, StoreError> {
    let mut n = 0;
    db.query(context, sql, &[], &mut |mut row: Row| {
        n = row.count(0)?;
        Ok(())
    })?;
    Ok(n)
}

/// Copies every table of `from` into `to`, which must hold no rows at all;
/// both are inside the caller's transactions.
pub(crate) fn copy(from: &mut impl Db, to: &mut impl Db, progress: &mut dyn FnMut(u64, u64)) -> Result<u64, StoreError> {
    let mut total = 0;
    for (table, _, _) in TABLES {
        if count(to, "checking the target is empty", &format!("SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1) t"))? > 0 {
            return Err(StoreError::NotEmpty(table));
        }
        total += count(from, "counting the rows to copy", &format!("SELECT count(*) FROM {table}"))?;
    }
    let mut copied = 0;
    progress(copied, total);
    for (table, columns, order) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let select = format!("SELECT {} FROM {table} ORDER BY {order}", names.join(", "));
        let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
        let insert = format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), placeholders.join(", "));
        from.query("reading the source", &select, &[], &mut |row: Row| {
            let params: Vec<Param<'_>> = row.values.iter().zip(columns.iter()).map(|(value, (_, kind))| param(value, *kind)).collect();
            // Sent a thousand at a time (on PostgreSQL one round trip for
            // them all), and confirmed there, so that what waits to be sent
            // stays small whatever the store's size.
            to.defer("writing the target", &insert, &params)?;
            copied += 1;
            if copied % 1000 == 0 {
                to.confirm()?;
                progress(copied, total);
            }
            Ok(())
        })?;
    }
    progress(copied, total);
    Ok(copied)
}
