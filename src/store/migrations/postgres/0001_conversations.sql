-- Conversations with the assistant and everything said in them (PostgreSQL; the SQLite
-- migration of the same number has the same tables). Times are RFC 3339 text in UTC, as
-- in SQLite, so one set of queries serves both.
CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,
    channel    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'agent', 'system')),
    text            TEXT NOT NULL,
    reply_to        BIGINT REFERENCES messages (id),
    outcome         TEXT,
    writer          TEXT,
    citations       TEXT,
    confidence      DOUBLE PRECISION,
    created_at      TEXT NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

CREATE TABLE feedback (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id),
    rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment    TEXT,
    created_at TEXT NOT NULL
);
