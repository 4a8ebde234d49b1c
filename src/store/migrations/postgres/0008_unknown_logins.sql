-- Failed sign-ins under names no user has, counted as users' are: an unknown name locks
-- after the same number of failures, so the answers do not tell which names exist.
-- Rows untouched for a day are removed.
CREATE TABLE unknown_logins (
    name            TEXT PRIMARY KEY,
    failed_logins   BIGINT NOT NULL,
    locked_until    TEXT,
    last_attempt_at TEXT NOT NULL
);
