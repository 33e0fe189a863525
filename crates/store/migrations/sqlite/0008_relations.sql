-- Who stands in which relation to whose data: a representative to their
-- principal, an expert to the case they advise on, a coach to the
-- employees they coach. `object` is a subject or a record, `actor` the
-- acting person's own subject (or `*`: the organisation, for `staff`).
-- The kernel writes these tuples, audited, and checks a grant's scope
-- against them with one lookup of the primary key.
CREATE TABLE relations (
    object   TEXT NOT NULL,
    relation TEXT NOT NULL,
    actor    TEXT NOT NULL,
    PRIMARY KEY (object, relation, actor)
) WITHOUT ROWID;
CREATE INDEX relations_actor ON relations (actor, relation, object);

-- Who may see an event of a record: readers of one category (its name),
-- only the organisation (`staff`), or every reader of the record (NULL).
ALTER TABLE record_events ADD COLUMN audience TEXT;

-- Events written before audiences existed were shown to every reader.
-- Those that are the organisation's alone become so: a legal-obligation
-- request and its settlement (the person is not told while it is checked,
-- AVG art. 23), holds and their release, sign-ins.
UPDATE record_events SET audience = 'staff'
WHERE event IN ('legal_disclosure_requested', 'legal_disclosure_settled', 'hold_placed', 'hold_released', 'signed_in');
