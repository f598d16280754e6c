-- Incoming updates, stored before the next batch is asked for; a handler
-- records its effects and `handled_at` in one transaction, then the replies
-- it sent (`replies`, platform-free JSON) are confirmed by `replied_at`.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    raw         TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    handled_at  INTEGER,
    replies     TEXT,
    replied_at  INTEGER
);
CREATE INDEX inbox_unhandled ON inbox (handled_at);

-- A guided /report in progress, one per person and chat; kept in the
-- database so a restart does not lose a half-filled report.
CREATE TABLE dialogues (
    chat_key   TEXT    NOT NULL,
    person_key TEXT    NOT NULL,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    step       INTEGER NOT NULL,
    answers    TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (chat_key, person_key)
);
