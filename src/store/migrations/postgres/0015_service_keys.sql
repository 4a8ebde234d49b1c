-- Secrets of this installation, made once at first start and shared by its instances.
-- `unknown_logins`: sign-in names that no user has are counted under their keyed hash
-- (HMAC-SHA256), never as typed: people type a password, or a My Number, into the name.
CREATE TABLE service_keys (
    name   TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
-- Names kept as typed by earlier versions (forgotten after a day anyway).
DELETE FROM unknown_logins;
