-- What modules need to find and follow records without decrypting them: a
-- reference (a case number), a status, the dated events of its life cycle,
-- and keyed digests of attributes (an object's address) to find records by.
ALTER TABLE records ADD COLUMN reference TEXT;
ALTER TABLE records ADD COLUMN status TEXT;
CREATE UNIQUE INDEX records_reference ON records (reference) WHERE reference IS NOT NULL;
CREATE INDEX records_status ON records (processing, status, updated_at);

-- Counters that only go up: a number given out is never given again.
CREATE TABLE sequences (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- Details are sealed with the subject's key, like fields.
CREATE TABLE record_events (
    id        INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    event     TEXT NOT NULL,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    detail    BLOB
);
CREATE INDEX record_events_record ON record_events (record_id, id);

CREATE TABLE record_index (
    kind      TEXT NOT NULL,
    digest    BLOB NOT NULL,
    record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, digest, record_id)
);
CREATE INDEX record_index_record ON record_index (record_id);
