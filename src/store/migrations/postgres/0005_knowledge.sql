-- The knowledge base in the database: the editors' working copy (drafts), immutable
-- published releases (a full snapshot each, so rollback is publishing an old one again),
-- and an audit log of who changed what.
CREATE TABLE kb_drafts (
    path       TEXT PRIMARY KEY,            -- relative, e.g. faq/card-reader-deadline.md, glossary.toml
    text       TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE kb_releases (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint  TEXT NOT NULL,             -- SHA-256 of the files: names the index folder
    published_by TEXT NOT NULL,
    published_at TEXT NOT NULL,
    note         TEXT NOT NULL
);

CREATE TABLE kb_release_files (
    release_id BIGINT NOT NULL REFERENCES kb_releases (id),
    path       TEXT NOT NULL,
    text       TEXT NOT NULL,
    PRIMARY KEY (release_id, path)
);

CREATE TABLE kb_audit (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at        TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action    TEXT NOT NULL,                -- save, delete, publish, rollback, import
    path      TEXT,
    detail    TEXT NOT NULL
);

-- Answers by the question they answer (analytics).
CREATE INDEX messages_by_reply ON messages (reply_to);
