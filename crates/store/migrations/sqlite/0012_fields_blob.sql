-- Finds the field naming a blob, for the clean-up after a process killed
-- between writing (or erasing) a blob and committing its row. Only fields
-- in the blob store are indexed.
CREATE INDEX fields_blob ON fields (blob) WHERE blob IS NOT NULL;
