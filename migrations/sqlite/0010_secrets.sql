-- Secrets the server makes for itself when the environment gives none (the
-- dashboard's link-signing key, `web.secret`): generated once, by whichever
-- instance comes first, and shared by all of them through the database.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
