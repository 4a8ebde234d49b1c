-- The chat path in as few statements as it can (issue 18, speed).
-- The unhelpful-answers count reads a conversation's last resolved ticket: without this
-- index it scanned every ticket.
CREATE INDEX tickets_by_conversation ON tickets (conversation_id, resolved_at);
-- A user's message marks its conversation as updated in the statement that stores it: one
-- statement, no transaction around two.
CREATE FUNCTION touch_conversation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversations SET updated_at = NEW.created_at WHERE id = NEW.conversation_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER messages_touch_conversation AFTER INSERT ON messages
FOR EACH ROW WHEN (NEW.role = 'user') EXECUTE FUNCTION touch_conversation();
