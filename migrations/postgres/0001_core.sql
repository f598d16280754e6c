-- Instants are BIGINT seconds since the Unix epoch (UTC); dates are ISO TEXT
-- (YYYY-MM-DD); flags are BIGINT 0/1. The SQLite schema means the same.

CREATE TABLE projects (
    id              BIGSERIAL PRIMARY KEY,
    code            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    owner_org       TEXT    NOT NULL DEFAULT '',
    zone            TEXT    NOT NULL DEFAULT '',
    industry_chain  TEXT    NOT NULL DEFAULT '',
    stage           TEXT    NOT NULL,
    investment      BIGINT  NOT NULL DEFAULT 0,
    liaison_name    TEXT    NOT NULL DEFAULT '',
    active          BIGINT  NOT NULL DEFAULT 1,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE milestones (
    id               BIGSERIAL PRIMARY KEY,
    project_id       BIGINT  NOT NULL REFERENCES projects(id),
    name             TEXT    NOT NULL,
    pledged_original TEXT    NOT NULL,
    pledged          TEXT    NOT NULL,
    actual           TEXT,
    position         BIGINT  NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    UNIQUE (project_id, name)
);

-- Every pledged date a milestone has had, the first included.
CREATE TABLE pledge_revisions (
    id           BIGSERIAL PRIMARY KEY,
    milestone_id BIGINT  NOT NULL REFERENCES milestones(id),
    pledged      TEXT    NOT NULL,
    recorded_at  BIGINT  NOT NULL,
    source       TEXT    NOT NULL
);
CREATE INDEX pledge_revisions_milestone ON pledge_revisions (milestone_id);

-- Every report ever sent; `current` marks the one in force for its week.
CREATE TABLE reports (
    id             BIGSERIAL PRIMARY KEY,
    project_id     BIGINT  NOT NULL REFERENCES projects(id),
    week           TEXT    NOT NULL,
    submitted_at   BIGINT  NOT NULL,
    submitted_by   TEXT    NOT NULL,
    late           BIGINT  NOT NULL DEFAULT 0,
    current        BIGINT  NOT NULL DEFAULT 1,
    progress       BIGINT,
    invested_week  BIGINT,
    invested_total BIGINT,
    this_week      TEXT,
    next_week      TEXT,
    free_text      TEXT    NOT NULL DEFAULT '',
    raw            TEXT    NOT NULL
);
CREATE UNIQUE INDEX reports_current ON reports (project_id, week) WHERE current = 1;
CREATE INDEX reports_week ON reports (week);

CREATE TABLE report_milestones (
    report_id    BIGINT  NOT NULL REFERENCES reports(id),
    milestone_id BIGINT  NOT NULL REFERENCES milestones(id),
    name         TEXT    NOT NULL,
    done_on      TEXT    NOT NULL,
    PRIMARY KEY (report_id, milestone_id)
);

CREATE TABLE problems (
    id          BIGSERIAL PRIMARY KEY,
    project_id  BIGINT  NOT NULL REFERENCES projects(id),
    text        TEXT    NOT NULL,
    raised_by   TEXT    NOT NULL,
    raised_at   BIGINT  NOT NULL,
    report_id   BIGINT  REFERENCES reports(id),
    level       TEXT    NOT NULL DEFAULT 'zone',
    escalated_at BIGINT,
    resolved_at BIGINT,
    resolved_by TEXT,
    resolution  TEXT
);
CREATE INDEX problems_project ON problems (project_id);

-- People and chats are (platform, external id): Telegram first, others later.
CREATE TABLE people (
    id           BIGSERIAL PRIMARY KEY,
    platform     TEXT    NOT NULL,
    external_id  TEXT    NOT NULL,
    display_name TEXT    NOT NULL DEFAULT '',
    username     TEXT,
    can_dm       BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (platform, external_id)
);

CREATE TABLE project_roles (
    project_id BIGINT  NOT NULL REFERENCES projects(id),
    person_id  BIGINT  NOT NULL REFERENCES people(id),
    role       TEXT    NOT NULL,
    PRIMARY KEY (project_id, person_id, role)
);

CREATE TABLE chats (
    id            BIGSERIAL PRIMARY KEY,
    platform      TEXT    NOT NULL,
    external_id   TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    title         TEXT    NOT NULL DEFAULT '',
    locale        TEXT,
    project_id    BIGINT  REFERENCES projects(id),
    is_leadership BIGINT  NOT NULL DEFAULT 0,
    active        BIGINT  NOT NULL DEFAULT 1,
    UNIQUE (platform, external_id)
);

-- Every outgoing scheduled message: claimed before it is sent, completed
-- with the platform's message id after.
CREATE TABLE outbox (
    id         BIGSERIAL PRIMARY KEY,
    job        TEXT    NOT NULL,
    period     TEXT    NOT NULL,
    chat_key   TEXT    NOT NULL,
    claimed_at BIGINT  NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 1,
    late       BIGINT  NOT NULL DEFAULT 0,
    sent_at    BIGINT,
    message_id TEXT,
    UNIQUE (job, period, chat_key)
);
