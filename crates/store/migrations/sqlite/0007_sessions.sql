-- Signed-in sessions, found by the SHA-256 of their token: the token
-- itself lives only in the browser's cookie, so a copy of the database
-- cannot be used to sign in.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account TEXT NOT NULL,
    body BLOB NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions (account);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed sign-ins per keyed digest of the user name, so that throttling
-- holds across server nodes and for names that have no account.
CREATE TABLE login_failures (
    key BLOB PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_at TEXT NOT NULL
) WITHOUT ROWID;
