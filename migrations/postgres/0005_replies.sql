-- A report remembers the message it came in, so that an edit of that
-- message corrects it; the bot's echo of such a message is remembered so it
-- can be edited in place; and a short hint said once per person and week
-- (a reply to the prompt with no report in it) is not said again.
ALTER TABLE reports ADD COLUMN source_chat TEXT;
ALTER TABLE reports ADD COLUMN source_message BIGINT;
CREATE INDEX reports_source ON reports (source_chat, source_message);

CREATE TABLE echoes (
    chat_key       TEXT    NOT NULL,
    source_message BIGINT  NOT NULL,
    echo_message   BIGINT  NOT NULL,
    PRIMARY KEY (chat_key, source_message)
);

CREATE TABLE hints (
    chat_key   TEXT    NOT NULL,
    person_key TEXT    NOT NULL,
    week       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    said_at    BIGINT  NOT NULL,
    PRIMARY KEY (chat_key, person_key, week, kind)
);
