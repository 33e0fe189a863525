-- The schema SQLite reached in its migrations 0001–0007, in PostgreSQL's
-- types. Text is compared byte by byte (COLLATE "C") whatever the
-- database's locale, so that fixed-width timestamps order as moments and
-- lists order as they do on SQLite. Flags are integers (0/1) and every
-- integer is BIGINT, so that one body of SQL serves both stores.

-- Subjects are known only by a random pseudonym. The wrapped data key is the
-- only way to read their fields: deleting it shreds every copy.
CREATE TABLE subjects (
    id          TEXT COLLATE "C" PRIMARY KEY,
    wrapped_key BYTEA NOT NULL,
    restricted  BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT COLLATE "C" NOT NULL
);

-- Keyed digests (never the value) to find a subject by BSN and the like.
CREATE TABLE blind_index (
    kind       TEXT COLLATE "C" NOT NULL,
    digest     BYTEA NOT NULL,
    subject_id TEXT COLLATE "C" NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, digest)
);
CREATE INDEX blind_index_subject ON blind_index (subject_id);

-- A record groups the fields of one thing under one processing; it has a
-- reference (a case number) and a status for modules to follow it by.
CREATE TABLE records (
    id         TEXT COLLATE "C" PRIMARY KEY,
    subject_id TEXT COLLATE "C" NOT NULL REFERENCES subjects (id) ON DELETE CASCADE,
    processing TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    reference  TEXT COLLATE "C",
    status     TEXT COLLATE "C"
);
CREATE INDEX records_subject ON records (subject_id, processing);
CREATE UNIQUE INDEX records_reference ON records (reference) WHERE reference IS NOT NULL;
CREATE INDEX records_status ON records (processing, status, updated_at);

-- Every value is ciphertext under the subject's data key; large values live
-- in the blob directory and the row names the blob.
CREATE TABLE fields (
    record_id TEXT COLLATE "C" NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    category  TEXT COLLATE "C" NOT NULL,
    value     BYTEA NOT NULL,
    blob      TEXT COLLATE "C",
    PRIMARY KEY (record_id, category)
);

-- What went to whom (E15): pseudonymous, kept like the audit log.
CREATE TABLE disclosures (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subject_id TEXT COLLATE "C" NOT NULL,
    processing TEXT COLLATE "C" NOT NULL,
    recipient  TEXT COLLATE "C" NOT NULL,
    categories TEXT COLLATE "C" NOT NULL,
    actor      TEXT COLLATE "C" NOT NULL,
    trace_id   TEXT COLLATE "C" NOT NULL,
    at         TEXT COLLATE "C" NOT NULL
);
CREATE INDEX disclosures_subject ON disclosures (subject_id);

-- `subject_id` is the pseudonym an entry is about, so that "who looked at
-- my data?" is an index lookup.
CREATE TABLE audit_entries (
    seq        BIGINT PRIMARY KEY,
    entry      TEXT NOT NULL,
    leaf       BYTEA NOT NULL,
    chain      BYTEA NOT NULL,
    subject_id TEXT COLLATE "C"
);
CREATE INDEX audit_entries_subject ON audit_entries (subject_id, seq);

CREATE TABLE audit_checkpoints (
    size     BIGINT PRIMARY KEY,
    note     TEXT NOT NULL,
    frontier BYTEA NOT NULL
);

-- Append-only for everyone who goes through the front door; someone who
-- edits the tables as a superuser is caught by `grondslag audit verify`.
CREATE FUNCTION grondslag_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION grondslag_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION grondslag_append_only();

-- Facts about the installation itself, such as the master key's check value.
CREATE TABLE settings (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);

-- Counters that only go up: a number given out is never given again.
CREATE TABLE sequences (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BIGINT NOT NULL
);

-- Details are sealed with the subject's key, like fields.
CREATE TABLE record_events (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id TEXT COLLATE "C" NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    event     TEXT COLLATE "C" NOT NULL,
    at        TEXT COLLATE "C" NOT NULL,
    actor     TEXT COLLATE "C" NOT NULL,
    detail    BYTEA
);
CREATE INDEX record_events_record ON record_events (record_id, id);

CREATE TABLE record_index (
    kind      TEXT COLLATE "C" NOT NULL,
    digest    BYTEA NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, digest, record_id)
);
CREATE INDEX record_index_record ON record_index (record_id);

-- When each record is due for deletion (NULL while it waits for the event
-- its term counts from, or is kept for good), whether it is held, and when
-- a hold is to be reviewed.
CREATE TABLE due (
    record_id  TEXT COLLATE "C" PRIMARY KEY REFERENCES records (id) ON DELETE CASCADE,
    subject_id TEXT COLLATE "C" NOT NULL,
    processing TEXT COLLATE "C" NOT NULL,
    due_at     TEXT COLLATE "C",
    held       BIGINT NOT NULL DEFAULT 0,
    review_at  TEXT COLLATE "C"
);
CREATE INDEX due_at ON due (held, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX due_review ON due (review_at) WHERE held = 1;

-- Signed-in sessions, found by the SHA-256 of their token.
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    account    TEXT COLLATE "C" NOT NULL,
    body       BYTEA NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX sessions_account ON sessions (account);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed sign-ins per keyed digest of the user name.
CREATE TABLE login_failures (
    key      BYTEA PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_at  TEXT COLLATE "C" NOT NULL
);
