-- A notice the service owes a LINE or Telegram user (a greeting, a handoff's confirmation,
-- "send text, please", "passed on to the agent"): written in the transaction that records
-- the event asking for it, removed once it was sent. Rows a crash or a failed send left
-- behind are sent by the channels' sweep, as channel_jobs' answers are.
CREATE TABLE channel_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    text        TEXT NOT NULL,
    -- JSON array of the questions offered with it.
    suggestions TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    claimed_at  TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX channel_outbox_by_claim ON channel_outbox (claimed_at);
