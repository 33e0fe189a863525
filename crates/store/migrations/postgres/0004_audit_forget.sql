-- An audit entry past its term is forgotten: its content and its place in
-- the per-person index go, its hashes stay (and a later entry records the
-- forgetting). forget_at is when that is due; NULL keeps it.
ALTER TABLE audit_entries ADD COLUMN forget_at TEXT COLLATE "C";
CREATE INDEX audit_entries_forget ON audit_entries (forget_at) WHERE forget_at IS NOT NULL;

DROP TRIGGER audit_entries_append_only ON audit_entries;
CREATE TRIGGER audit_entries_append_only BEFORE DELETE OR TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION grondslag_append_only();
CREATE FUNCTION grondslag_only_forgetting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq = OLD.seq AND NEW.leaf = OLD.leaf AND NEW.chain = OLD.chain
       AND ((NEW.entry = OLD.entry AND NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id)
            OR (NEW.entry = '' AND NEW.subject_id IS NULL)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_entries is append-only: an entry can only be forgotten';
END
$$;
CREATE TRIGGER audit_entries_only_forgetting BEFORE UPDATE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION grondslag_only_forgetting();

-- Roots of the Merkle tree's larger perfect subtrees, kept as checkpoints
-- are signed, so that a proof costs a few lookups at any size. Derived
-- data: a wrong node only makes a proof fail to verify.
CREATE TABLE audit_nodes (
    level SMALLINT NOT NULL,
    idx   BIGINT NOT NULL,
    hash  BYTEA NOT NULL,
    PRIMARY KEY (level, idx)
);
