-- Subjects are known only by a random pseudonym. The wrapped data key is the
-- only way to read their fields: deleting it shreds every copy.
CREATE TABLE subjects (
    id          TEXT PRIMARY KEY,
    wrapped_key BLOB NOT NULL,
    restricted  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

-- Keyed digests (never the value) to find a subject by BSN and the like.
CREATE TABLE blind_index (
    kind       TEXT NOT NULL,
    digest     BLOB NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, digest)
);
CREATE INDEX blind_index_subject ON blind_index (subject_id);

-- A record groups the fields of one thing under one processing (an
-- application, a subscription, a personnel file).
CREATE TABLE records (
    id         TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    processing TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX records_subject ON records (subject_id, processing);

-- Every value is ciphertext under the subject's data key; large values live
-- in the blob directory and the row names the blob.
CREATE TABLE fields (
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    category  TEXT NOT NULL,
    value     BLOB NOT NULL,
    blob      TEXT,
    PRIMARY KEY (record_id, category)
);

-- What went to whom (E15): pseudonymous, kept like the audit log.
CREATE TABLE disclosures (
    id         INTEGER PRIMARY KEY,
    subject_id TEXT NOT NULL,
    processing TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    categories TEXT NOT NULL,
    actor      TEXT NOT NULL,
    trace_id   TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX disclosures_subject ON disclosures (subject_id);

CREATE TABLE audit_entries (
    seq   INTEGER PRIMARY KEY,
    entry TEXT NOT NULL,
    leaf  BLOB NOT NULL,
    chain BLOB NOT NULL
);

CREATE TABLE audit_checkpoints (
    size     INTEGER PRIMARY KEY,
    note     TEXT NOT NULL,
    frontier BLOB NOT NULL
);

-- Append-only for everyone who goes through SQLite's front door; someone who
-- edits the file directly is caught by `grondslag audit verify`.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
