-- Tries of an update whose handling failed: how many, the last error, when
-- the running bot may try it again, and when it was set aside as failed
-- after `inbox.max_attempts` (kept, listed by `duban status --health`,
-- never pruned while unhandled).
ALTER TABLE inbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox ADD COLUMN last_error TEXT;
ALTER TABLE inbox ADD COLUMN retry_at BIGINT;
ALTER TABLE inbox ADD COLUMN failed_at BIGINT;
