-- The pseudonym an audit entry is about, so that "who looked at my data?"
-- is an index lookup, not a scan of the whole log. Entries written before
-- this column existed are found by the slower path of reading the log.
ALTER TABLE audit_entries ADD COLUMN subject_id TEXT;
CREATE INDEX audit_entries_subject ON audit_entries (subject_id, seq);
