-- The notice that told the user a ticket was resolved: the user may rate the person's
-- help on it (👍/👎 in `feedback`, as on an answer).
ALTER TABLE tickets ADD COLUMN resolved_notice INTEGER REFERENCES messages (id);
