-- Each index entry carries its record's processing, first in the key after
-- the digest: a lookup asks for the records of one processing under a key,
-- and seeks straight to them instead of stepping over every other
-- processing's records under the same key (an address has cases in many
-- schemes). A record never changes processing. SQLite cannot change a
-- primary key in place, so the table is made again.
CREATE TABLE record_index_by_processing (
    kind       TEXT NOT NULL,
    digest     BLOB NOT NULL,
    processing TEXT NOT NULL,
    record_id  TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, digest, processing, record_id)
);
INSERT INTO record_index_by_processing (kind, digest, processing, record_id)
    SELECT i.kind, i.digest, r.processing, i.record_id FROM record_index i JOIN records r ON r.id = i.record_id;
DROP TABLE record_index;
ALTER TABLE record_index_by_processing RENAME TO record_index;
CREATE INDEX record_index_record ON record_index (record_id);
