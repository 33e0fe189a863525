-- A record that belongs to another (a case's photo or note, a copy into a
-- dossier, the two sides of an authorisation) names it: it follows the
-- other's due date and goes with it.
ALTER TABLE records ADD COLUMN parent_id TEXT;
CREATE INDEX records_parent ON records (parent_id) WHERE parent_id IS NOT NULL;
