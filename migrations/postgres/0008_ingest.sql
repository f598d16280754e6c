-- Look-ups every report made that scanned a table growing with the
-- portfolio, found by profiling the ingest benchmark (BENCHMARKS.md):
-- a person's roles (the primary key starts with the project), this week's
-- reports of one project (the planner had only the week's index, so each
-- report counted every report of the week), and a later prompt to the same
-- chat (the ledger's key starts with the period).
CREATE INDEX project_roles_person ON project_roles (person_id, role);
CREATE INDEX reports_project_week ON reports (project_id, week);
CREATE INDEX outbox_chat_period ON outbox (job, chat_key, period);
