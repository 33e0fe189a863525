-- When each record is due for deletion, computed by the kernel whenever a
-- fact arrives (an event, a hold), so that finding what is due is an index
-- range scan, never a scan of the store. `due_at` is NULL while the record
-- waits for the event its term counts from, or is kept for good.
CREATE TABLE due (
    record_id  TEXT PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    subject_id TEXT NOT NULL,
    processing TEXT NOT NULL,
    due_at     TEXT,
    held       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX due_at ON due (held, due_at) WHERE due_at IS NOT NULL;
