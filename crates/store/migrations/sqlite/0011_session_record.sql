-- A session names its account's record, so that erasing the record (the
-- person's file, an account's term passing) ends its sessions with it.
ALTER TABLE sessions ADD COLUMN account_record TEXT REFERENCES records (id) ON DELETE CASCADE;
CREATE INDEX sessions_account_record ON sessions (account_record);
