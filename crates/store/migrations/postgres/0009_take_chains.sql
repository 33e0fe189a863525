-- What a write does before it appends to the audit log, in one round trip:
-- takes the locks of the chains it appends to (grondslag_lock_chains, 0008:
-- ascending, so two writes cannot wait on each other in a cycle), then
-- reads their heads and draws the numbers (`seq`) of its new rows. The
-- heads are read by a statement of their own after the locks are held: in
-- READ COMMITTED each statement of a volatile function sees what was
-- committed when it began, so the heads are those the previous holder of
-- each lock committed. Seq rows come after the head rows, ascending.
CREATE FUNCTION grondslag_take_chains(chains TEXT[], wanted BIGINT)
RETURNS TABLE (chain_no BIGINT, chain_position BIGINT, link BYTEA, seq BIGINT) LANGUAGE plpgsql AS $$
BEGIN
    PERFORM grondslag_lock_chains(chains);
    RETURN QUERY
        SELECT head.chain_no::BIGINT, head.chain_position, head.chain, NULL::BIGINT
        FROM (SELECT DISTINCT c::INTEGER AS number FROM unnest(chains) AS c) AS wanted_chain
        CROSS JOIN LATERAL (
            SELECT e.chain_no, e.chain_position, e.chain FROM audit_entries e
            WHERE e.chain_no = wanted_chain.number ORDER BY e.chain_position DESC LIMIT 1
        ) AS head;
    RETURN QUERY SELECT NULL::BIGINT, NULL::BIGINT, NULL::BYTEA, nextval('audit_entries_seq') FROM generate_series(1, wanted);
END
$$;
