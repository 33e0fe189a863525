-- The audit log is split into chains by subject (`grondslag_audit::Chain`),
-- each with its own order, Merkle tree and checkpoints, so that writes about
-- different people need not wait for one another. `seq` stays an entry's
-- number in the whole log; `chain_position` is its place in its chain. The
-- log written before the split is chain 0, in the order it had.
ALTER TABLE audit_entries ADD COLUMN chain_no INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_entries ADD COLUMN chain_position BIGINT NOT NULL DEFAULT 0;
UPDATE audit_entries SET chain_position = seq;
CREATE UNIQUE INDEX audit_entries_chain ON audit_entries (chain_no, chain_position);

CREATE OR REPLACE FUNCTION grondslag_only_forgetting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq = OLD.seq AND NEW.chain_no = OLD.chain_no AND NEW.chain_position = OLD.chain_position
       AND NEW.leaf = OLD.leaf AND NEW.chain = OLD.chain
       AND ((NEW.entry = OLD.entry AND NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id)
            OR (NEW.entry = '' AND NEW.subject_id IS NULL)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_entries is append-only: an entry can only be forgotten';
END
$$;

-- Checkpoints and Merkle nodes are per chain.
ALTER TABLE audit_checkpoints ADD COLUMN chain_no INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_checkpoints DROP CONSTRAINT audit_checkpoints_pkey, ADD PRIMARY KEY (chain_no, size);
ALTER TABLE audit_nodes ADD COLUMN chain_no INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_nodes DROP CONSTRAINT audit_nodes_pkey, ADD PRIMARY KEY (chain_no, level, idx);

-- `seq` from a sequence: transactions that only append to the log run
-- beside each other (each holding its chains' locks), so the last number
-- plus one is no longer free for the taking.
CREATE SEQUENCE audit_entries_seq OWNED BY audit_entries.seq;
SELECT setval('audit_entries_seq', (SELECT coalesce(max(seq), 0) + 1 FROM audit_entries), false);

-- Takes the lock of each chain named, in ascending order, in one round
-- trip: a unit listing fifty people's cases touches most chains, and two
-- transactions that take their chains in one order cannot wait on each
-- other in a cycle. The keys sit next to the one of the write lock.
CREATE FUNCTION grondslag_lock_chains(chains TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    chain BIGINT;
BEGIN
    FOR chain IN SELECT DISTINCT c::BIGINT FROM unnest(chains) AS c ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(7454127558563195000 + chain);
    END LOOP;
END
$$;
