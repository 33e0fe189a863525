-- Who stands in which relation to whose data (see the SQLite migration of
-- the same name): object (a subject or a record), relation, and the
-- acting person's own subject (or `*`, the organisation).
CREATE TABLE relations (
    object   TEXT COLLATE "C" NOT NULL,
    relation TEXT COLLATE "C" NOT NULL,
    actor    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (object, relation, actor)
);
CREATE INDEX relations_actor ON relations (actor, relation, object);

-- Who may see an event: one category's readers, `staff`, or all (NULL).
ALTER TABLE record_events ADD COLUMN audience TEXT COLLATE "C";

-- Events written before audiences existed were shown to every reader.
-- Those that are the organisation's alone become so: a legal-obligation
-- request and its settlement (the person is not told while it is checked,
-- AVG art. 23), holds and their release, sign-ins.
UPDATE record_events SET audience = 'staff'
WHERE event IN ('legal_disclosure_requested', 'legal_disclosure_settled', 'hold_placed', 'hold_released', 'signed_in');
