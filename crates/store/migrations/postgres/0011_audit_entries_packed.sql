-- Audit entries are stored packed (zstd against a fixed dictionary; see
-- the store's `packed` module), which is bytes, not text. Entries written
-- before stay their JSON, now as its UTF-8 bytes; forgotten ones stay empty.
-- Converted only while the column is still text, so that running this again
-- over a schema it already converted changes nothing.
DO $$
BEGIN
    IF (SELECT data_type FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = 'audit_entries' AND column_name = 'entry') = 'text' THEN
        ALTER TABLE audit_entries ALTER COLUMN entry TYPE BYTEA USING convert_to(entry, 'UTF8');
    END IF;
END
$$;
