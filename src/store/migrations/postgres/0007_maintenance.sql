-- One-off maintenance done on the data (name → when), e.g. removing numbers that earlier
-- versions stored.
CREATE TABLE maintenance (
    name    TEXT PRIMARY KEY,
    done_at TEXT NOT NULL
);
