-- Each index entry carries its record's processing, first in the key after
-- the digest: a lookup asks for the records of one processing under a key,
-- and seeks straight to them instead of stepping over every other
-- processing's records under the same key (an address has cases in many
-- schemes). A record never changes processing. Written so that running it
-- again over a schema it already changed changes nothing.
ALTER TABLE record_index ADD COLUMN IF NOT EXISTS processing TEXT COLLATE "C";
UPDATE record_index i SET processing = r.processing FROM records r WHERE r.id = i.record_id AND i.processing IS NULL;
ALTER TABLE record_index ALTER COLUMN processing SET NOT NULL;
ALTER TABLE record_index DROP CONSTRAINT IF EXISTS record_index_pkey;
ALTER TABLE record_index ADD CONSTRAINT record_index_pkey PRIMARY KEY (kind, digest, processing, record_id);
