-- The audit log is split into chains by subject (`grondslag_audit::Chain`),
-- each with its own order, Merkle tree and checkpoints, so that writes about
-- different people need not wait for one another. `seq` stays an entry's
-- number in the whole log; `chain_position` is its place in its chain. The
-- log written before the split is chain 0, in the order it had.
ALTER TABLE audit_entries ADD COLUMN chain_no INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_entries ADD COLUMN chain_position INTEGER NOT NULL DEFAULT 0;
UPDATE audit_entries SET chain_position = seq;
CREATE UNIQUE INDEX audit_entries_chain ON audit_entries (chain_no, chain_position);

DROP TRIGGER audit_entries_no_update;
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
WHEN NOT (NEW.seq = OLD.seq AND NEW.chain_no = OLD.chain_no AND NEW.chain_position = OLD.chain_position
          AND NEW.leaf = OLD.leaf AND NEW.chain = OLD.chain
          AND ((NEW.entry = OLD.entry AND NEW.subject_id IS OLD.subject_id)
               OR (NEW.entry = '' AND NEW.subject_id IS NULL)))
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: an entry can only be forgotten'); END;

-- Checkpoints and Merkle nodes are per chain. Dropping the old table drops
-- its triggers with it (and fires none); they are made again on the new one.
CREATE TABLE audit_checkpoints_by_chain (
    chain_no INTEGER NOT NULL,
    size     INTEGER NOT NULL,
    note     TEXT NOT NULL,
    frontier BLOB NOT NULL,
    PRIMARY KEY (chain_no, size)
) WITHOUT ROWID;
INSERT INTO audit_checkpoints_by_chain (chain_no, size, note, frontier) SELECT 0, size, note, frontier FROM audit_checkpoints;
DROP TABLE audit_checkpoints;
ALTER TABLE audit_checkpoints_by_chain RENAME TO audit_checkpoints;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;

CREATE TABLE audit_nodes_by_chain (
    chain_no INTEGER NOT NULL,
    level    INTEGER NOT NULL,
    idx      INTEGER NOT NULL,
    hash     BLOB NOT NULL,
    PRIMARY KEY (chain_no, level, idx)
) WITHOUT ROWID;
INSERT INTO audit_nodes_by_chain (chain_no, level, idx, hash) SELECT 0, level, idx, hash FROM audit_nodes;
DROP TABLE audit_nodes;
ALTER TABLE audit_nodes_by_chain RENAME TO audit_nodes;
