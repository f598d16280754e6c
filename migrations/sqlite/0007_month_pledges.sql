-- Pledges made to a month ("计划3月份入库") keep that precision: the date
-- columns hold the month's last day, by which the pledge is due, and these
-- say to show it as the month (src/domain/time.rs, Precision).
ALTER TABLE milestones ADD COLUMN original_precision TEXT NOT NULL DEFAULT 'day';
ALTER TABLE milestones ADD COLUMN pledged_precision TEXT NOT NULL DEFAULT 'day';
ALTER TABLE pledge_revisions ADD COLUMN pledged_precision TEXT NOT NULL DEFAULT 'day';
