-- Handoff to the call center: the conversation's state and its tickets.
ALTER TABLE conversations ADD COLUMN state TEXT NOT NULL DEFAULT 'bot'
    CHECK (state IN ('bot', 'waiting', 'agent', 'resolved'));

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    status          TEXT NOT NULL CHECK (status IN ('waiting', 'agent', 'resolved')),
    reason          TEXT NOT NULL,
    channel         TEXT NOT NULL,
    facility_name   TEXT,
    facility_code   TEXT,
    contact         TEXT,
    question        TEXT,
    sources         TEXT NOT NULL,         -- JSON: the citations the bot had given
    created_at      TEXT NOT NULL,
    claimed_by      INTEGER,               -- users.id (users come in 0003)
    claimed_at      TEXT,
    resolved_at     TEXT,
    category        TEXT
);
-- At most one open ticket per conversation.
CREATE UNIQUE INDEX tickets_one_open ON tickets (conversation_id) WHERE status <> 'resolved';
CREATE INDEX tickets_by_status ON tickets (status, id);
