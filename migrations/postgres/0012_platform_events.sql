-- Events from platforms whose deliveries carry no ordered numeric id (Feishu):
-- stored before they are acknowledged and handled once, in `seq` order. The
-- platform delivers at least once; `key` (a message's id, else the event's)
-- makes a second delivery a no-op. Telegram's updates keep their `inbox`.
CREATE TABLE platform_events (
    seq         BIGSERIAL PRIMARY KEY,
    platform    TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    raw         TEXT    NOT NULL,
    received_at BIGINT NOT NULL,
    handled_at  BIGINT,
    replies     TEXT,
    replied_at  BIGINT,
    attempts    BIGINT NOT NULL DEFAULT 0,
    retry_at    BIGINT,
    failed_at   BIGINT,
    last_error  TEXT,
    UNIQUE (platform, key)
);
CREATE INDEX platform_events_waiting ON platform_events (platform, handled_at, seq);

-- Message ids a platform writes as text (Feishu's om_…), under the number the
-- core keeps for a message (replies, echoes, the ledger's sent ids), with
-- who wrote it: a reply's target is known by its id alone.
CREATE TABLE platform_messages (
    platform    TEXT    NOT NULL,
    local_id    BIGINT NOT NULL,
    message_id  TEXT    NOT NULL,
    chat        TEXT    NOT NULL,
    sender      TEXT,
    sender_name TEXT    NOT NULL DEFAULT '',
    from_bot    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (platform, local_id)
);
CREATE INDEX platform_messages_created ON platform_messages (created_at);

-- A report whose message its author took back (recalled): kept, never
-- in force again, and passed over when the week's report in force is chosen anew.
ALTER TABLE reports ADD COLUMN withdrawn_at BIGINT;
