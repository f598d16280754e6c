-- Nothing to add: on PostgreSQL the dashboard's snapshots are kept until
-- the transaction snapshot changes (src/store/version.rs); SQLite counts
-- its writes in a table (migrations/sqlite/0011_data_version.sql).
SELECT 1;
