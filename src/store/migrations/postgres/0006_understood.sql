-- The question as the assistant understood it, when that differs from what the user typed:
-- a follow-up read with the previous question, or a message of several questions.
ALTER TABLE messages ADD COLUMN understood_as TEXT;
