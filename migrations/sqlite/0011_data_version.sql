-- Counters that every write to the portfolio's tables moves, so a reader
-- can keep what it read until the next change (the dashboard's snapshots,
-- src/store/version.rs): 'portfolio' for the projects, their milestones,
-- roles and people's names; 'weekly' for the reports and problems, which
-- change all week and are re-read alone. SQLite has one writer at a time,
-- so the two rows are no contention; PostgreSQL reads its transaction
-- snapshot instead and has no such table.
CREATE TABLE data_version (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
);
INSERT INTO data_version (name, n) VALUES ('portfolio', 0), ('weekly', 0);

CREATE TRIGGER projects_ins_version AFTER INSERT ON projects BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER projects_upd_version AFTER UPDATE ON projects BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER projects_del_version AFTER DELETE ON projects BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER milestones_ins_version AFTER INSERT ON milestones BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER milestones_upd_version AFTER UPDATE ON milestones BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER milestones_del_version AFTER DELETE ON milestones BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER project_roles_ins_version AFTER INSERT ON project_roles BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER project_roles_upd_version AFTER UPDATE ON project_roles BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER project_roles_del_version AFTER DELETE ON project_roles BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER people_ins_version AFTER INSERT ON people BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER people_upd_version AFTER UPDATE OF display_name ON people BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER people_del_version AFTER DELETE ON people BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'portfolio'; END;
CREATE TRIGGER reports_ins_version AFTER INSERT ON reports BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'weekly'; END;
CREATE TRIGGER reports_upd_version AFTER UPDATE ON reports BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'weekly'; END;
CREATE TRIGGER reports_del_version AFTER DELETE ON reports BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'weekly'; END;
CREATE TRIGGER problems_ins_version AFTER INSERT ON problems BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'weekly'; END;
CREATE TRIGGER problems_upd_version AFTER UPDATE ON problems BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'weekly'; END;
CREATE TRIGGER problems_del_version AFTER DELETE ON problems BEGIN UPDATE data_version SET n = n + 1 WHERE name = 'weekly'; END;
