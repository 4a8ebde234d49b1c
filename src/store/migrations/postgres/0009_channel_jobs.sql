-- A LINE or Telegram user's message that the platform was told had arrived and that the
-- bot has still to answer: a durable job, written with the message and removed once its
-- answer was sent. Rows a crash left behind are taken again after a while (claimed_at)
-- by the sweep of whichever instance is running; attempts bounds the retries.
CREATE TABLE channel_jobs (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id),
    channel    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX channel_jobs_by_claim ON channel_jobs (claimed_at);
