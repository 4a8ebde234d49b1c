-- Tickets' priority (the waiting queue puts urgent ones first) and the agents' tags,
-- a JSON array of short words.
ALTER TABLE tickets ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('low', 'normal', 'high', 'urgent'));
ALTER TABLE tickets ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
