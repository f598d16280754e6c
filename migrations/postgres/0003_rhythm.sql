-- The outbox claim records who holds it and what it says, so an unsent
-- claim left by a crash can be sent once by whoever finds it stale.
ALTER TABLE outbox ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN payload TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_unsent ON outbox (sent_at);

-- The last scheduled fire each job has dealt with: a restart runs a missed
-- fire once (late), never once per missed tick.
CREATE TABLE job_runs (
    job        TEXT    PRIMARY KEY,
    last_fire  BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL
);
