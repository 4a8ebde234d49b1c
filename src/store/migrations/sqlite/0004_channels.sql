-- Messaging channels (LINE, Telegram): which conversation a channel's user is in, and the
-- events already taken, so a redelivered webhook or update is not answered twice.
CREATE TABLE channel_users (
    channel         TEXT NOT NULL,          -- line, telegram
    user_id         TEXT NOT NULL,          -- LINE user/group/room id, Telegram chat id
    conversation_id TEXT NOT NULL UNIQUE REFERENCES conversations (id),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (channel, user_id)
);

CREATE TABLE channel_events (
    channel     TEXT NOT NULL,
    event_id    TEXT NOT NULL,              -- LINE webhookEventId, Telegram update_id
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, event_id)
);
CREATE INDEX channel_events_by_age ON channel_events (received_at);
