-- Look-ups that ran once per project or per reply and scanned a whole
-- table: a job's chats of each project (quadratic in the portfolio), and
-- whether a replied-to message is a prompt (one scan of every prompt ever
-- sent, per reply).
CREATE INDEX chats_project ON chats (project_id);
CREATE INDEX outbox_message ON outbox (chat_key, message_id);
