-- An audit entry past its term is forgotten: its content and its place in
-- the per-person index go, its hashes stay (and a later entry records the
-- forgetting). forget_at is when that is due; NULL keeps it.
ALTER TABLE audit_entries ADD COLUMN forget_at TEXT;
CREATE INDEX audit_entries_forget ON audit_entries (forget_at) WHERE forget_at IS NOT NULL;

DROP TRIGGER audit_entries_no_update;
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
WHEN NOT (NEW.seq = OLD.seq AND NEW.leaf = OLD.leaf AND NEW.chain = OLD.chain
          AND ((NEW.entry = OLD.entry AND NEW.subject_id IS OLD.subject_id)
               OR (NEW.entry = '' AND NEW.subject_id IS NULL)))
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: an entry can only be forgotten'); END;

-- Roots of the Merkle tree's larger perfect subtrees, kept as checkpoints
-- are signed, so that a proof costs a few lookups at any size. Derived
-- data: a wrong node only makes a proof fail to verify.
CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   INTEGER NOT NULL,
    hash  BLOB NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
