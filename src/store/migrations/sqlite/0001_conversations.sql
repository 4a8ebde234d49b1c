-- Conversations with the assistant and everything said in them.
CREATE TABLE conversations (
    id         TEXT PRIMARY KEY,           -- a random UUID, the widget's session id
    channel    TEXT NOT NULL,              -- web, line, telegram
    created_at TEXT NOT NULL,              -- RFC 3339, UTC
    updated_at TEXT NOT NULL
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'agent', 'system')),
    text            TEXT NOT NULL,         -- user text with any 12-digit number removed
    reply_to        INTEGER REFERENCES messages (id),
    outcome         TEXT,                  -- assistant messages: answered, handoff, no_answer
    writer          TEXT,
    citations       TEXT,                  -- JSON array
    confidence      REAL,
    created_at      TEXT NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

CREATE TABLE feedback (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id),
    rating     TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment    TEXT,
    created_at TEXT NOT NULL
);
