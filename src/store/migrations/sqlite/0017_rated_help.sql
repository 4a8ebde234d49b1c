-- The notice that told the user a ticket was resolved: the user may rate the person's
-- help on it (👍/👎 in `feedback`, as on an answer).
ALTER TABLE tickets ADD COLUMN resolved_notice INTEGER REFERENCES messages (id);
-- Found from the notice: its transcript row, and a rating given on it.
CREATE INDEX tickets_by_resolved_notice ON tickets (resolved_notice);
