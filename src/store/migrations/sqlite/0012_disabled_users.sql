-- An admin can disable an account (someone who left): it can no longer sign in, its
-- sessions end, and tickets cannot be handed to it. NULL: active.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
