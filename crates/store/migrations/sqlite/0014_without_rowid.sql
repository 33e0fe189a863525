-- Tables keyed by random text (records, fields, subjects, due, the blind
-- index) are stored in their key's order: the row and its key are one
-- B-tree instead of a table and an index beside it. A write then changes
-- one page fewer per table: the page count per write, not the work done on
-- it, bounded the write rate (BENCHMARKS.md, "Speed work of 2026-12-01").
-- The store runs migrations with foreign keys off and checks them before
-- committing, so that dropping the old tables cascades to nothing.

CREATE TABLE subjects_keyed (
    id          TEXT PRIMARY KEY,
    wrapped_key BLOB NOT NULL,
    restricted  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO subjects_keyed (id, wrapped_key, restricted, created_at)
SELECT id, wrapped_key, restricted, created_at FROM subjects;
DROP TABLE subjects;
ALTER TABLE subjects_keyed RENAME TO subjects;

CREATE TABLE blind_index_keyed (
    kind       TEXT NOT NULL,
    digest     BLOB NOT NULL,
    subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, digest)
) WITHOUT ROWID;
INSERT INTO blind_index_keyed (kind, digest, subject_id)
SELECT kind, digest, subject_id FROM blind_index;
DROP TABLE blind_index;
ALTER TABLE blind_index_keyed RENAME TO blind_index;
CREATE INDEX blind_index_subject ON blind_index (subject_id);

CREATE TABLE records_keyed (
    id         TEXT PRIMARY KEY,
    subject_id TEXT NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    processing TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    reference  TEXT,
    status     TEXT,
    parent_id  TEXT
) WITHOUT ROWID;
INSERT INTO records_keyed (id, subject_id, processing, created_at, updated_at, reference, status, parent_id)
SELECT id, subject_id, processing, created_at, updated_at, reference, status, parent_id FROM records;
DROP TABLE records;
ALTER TABLE records_keyed RENAME TO records;
CREATE INDEX records_subject ON records (subject_id, processing);
CREATE UNIQUE INDEX records_reference ON records (reference) WHERE reference IS NOT NULL;
CREATE INDEX records_status ON records (processing, status, updated_at);
CREATE INDEX records_parent ON records (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE fields_keyed (
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    category  TEXT NOT NULL,
    value     BLOB NOT NULL,
    blob      TEXT,
    version   INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (record_id, category)
) WITHOUT ROWID;
INSERT INTO fields_keyed (record_id, category, value, blob, version)
SELECT record_id, category, value, blob, version FROM fields;
DROP TABLE fields;
ALTER TABLE fields_keyed RENAME TO fields;
CREATE INDEX fields_blob ON fields (blob) WHERE blob IS NOT NULL;

CREATE TABLE due_keyed (
    record_id  TEXT PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    subject_id TEXT NOT NULL,
    processing TEXT NOT NULL,
    due_at     TEXT,
    held       INTEGER NOT NULL DEFAULT 0,
    review_at  TEXT
) WITHOUT ROWID;
INSERT INTO due_keyed (record_id, subject_id, processing, due_at, held, review_at)
SELECT record_id, subject_id, processing, due_at, held, review_at FROM due;
DROP TABLE due;
ALTER TABLE due_keyed RENAME TO due;
CREATE INDEX due_at ON due (held, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX due_review ON due (review_at) WHERE held = 1;
