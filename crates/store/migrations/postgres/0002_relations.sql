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
