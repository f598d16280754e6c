-- What pledge sheets carry beyond the first schema: the leader answerable
-- for a project (责任领导) and this year's planned investment (年度计划投资).
ALTER TABLE projects ADD COLUMN leader TEXT NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN annual_plan BIGINT;
