-- Instants are INTEGER seconds since the Unix epoch (UTC); dates are ISO TEXT
-- (YYYY-MM-DD); flags are INTEGER 0/1. The PostgreSQL schema means the same.

CREATE TABLE projects (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    code            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    owner_org       TEXT    NOT NULL DEFAULT '',
    zone            TEXT    NOT NULL DEFAULT '',
    industry_chain  TEXT    NOT NULL DEFAULT '',
    stage           TEXT    NOT NULL,
    investment      INTEGER NOT NULL DEFAULT 0,
    liaison_name    TEXT    NOT NULL DEFAULT '',
    active          INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE milestones (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id       INTEGER NOT NULL REFERENCES projects(id),
    name             TEXT    NOT NULL,
    pledged_original TEXT    NOT NULL,
    pledged          TEXT    NOT NULL,
    actual           TEXT,
    position         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (project_id, name)
);

-- Every pledged date a milestone has had, the first included.
CREATE TABLE pledge_revisions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    milestone_id INTEGER NOT NULL REFERENCES milestones(id),
    pledged      TEXT    NOT NULL,
    recorded_at  INTEGER NOT NULL,
    source       TEXT    NOT NULL
);
CREATE INDEX pledge_revisions_milestone ON pledge_revisions (milestone_id);

-- Every report ever sent; `current` marks the one in force for its week.
CREATE TABLE reports (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    week           TEXT    NOT NULL,
    submitted_at   INTEGER NOT NULL,
    submitted_by   TEXT    NOT NULL,
    late           INTEGER NOT NULL DEFAULT 0,
    current        INTEGER NOT NULL DEFAULT 1,
    progress       INTEGER,
    invested_week  INTEGER,
    invested_total INTEGER,
    this_week      TEXT,
    next_week      TEXT,
    free_text      TEXT    NOT NULL DEFAULT '',
    raw            TEXT    NOT NULL
);
CREATE UNIQUE INDEX reports_current ON reports (project_id, week) WHERE current = 1;
CREATE INDEX reports_week ON reports (week);

CREATE TABLE report_milestones (
    report_id    INTEGER NOT NULL REFERENCES reports(id),
    milestone_id INTEGER NOT NULL REFERENCES milestones(id),
    name         TEXT    NOT NULL,
    done_on      TEXT    NOT NULL,
    PRIMARY KEY (report_id, milestone_id)
);

CREATE TABLE problems (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    text        TEXT    NOT NULL,
    raised_by   TEXT    NOT NULL,
    raised_at   INTEGER NOT NULL,
    report_id   INTEGER REFERENCES reports(id),
    level       TEXT    NOT NULL DEFAULT 'zone',
    escalated_at INTEGER,
    resolved_at INTEGER,
    resolved_by TEXT,
    resolution  TEXT
);
CREATE INDEX problems_project ON problems (project_id);

-- People and chats are (platform, external id): Telegram first, others later.
CREATE TABLE people (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    platform     TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    username     TEXT,
    can_dm       INTEGER NOT NULL DEFAULT 0,
    UNIQUE (platform, external_id)
);

CREATE TABLE project_roles (
    project_id INTEGER NOT NULL REFERENCES projects(id),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    role       TEXT    NOT NULL,
    PRIMARY KEY (project_id, person_id, role)
);

CREATE TABLE chats (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    platform      TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    title         TEXT    NOT NULL DEFAULT '',
    locale        TEXT,
    project_id    INTEGER REFERENCES projects(id),
    is_leadership INTEGER NOT NULL DEFAULT 0,
    active        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (platform, external_id)
);

-- Every outgoing scheduled message: claimed before it is sent, completed
-- with the platform's message id after.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    job        TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    chat_key   TEXT    NOT NULL,
    claimed_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 1,
    late       INTEGER NOT NULL DEFAULT 0,
    sent_at    INTEGER,
    message_id TEXT,
    UNIQUE (job, period, chat_key)
);
