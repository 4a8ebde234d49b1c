-- Saved replies of the agent console: admins keep them, agents insert them by shortcut.
CREATE TABLE canned_replies (
    shortcut   TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    text       TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
