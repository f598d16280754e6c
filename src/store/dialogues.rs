//! Guided `/report` dialogues in progress, so a restart loses no answer.

use chrono::{DateTime, Utc};

use crate::domain::ids::{ChatRef, PersonRef};

use super::{Conn, Op, Result, get, ts};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialogue {
    pub project_id: i64,
    pub step: i64,
    /// Answers so far, one `key: value` line each, as a report is written.
    pub answers: String,
}

pub async fn get_for(
    conn: &mut Conn,
    chat: &ChatRef,
    person: &PersonRef,
) -> Result<Option<Dialogue>> {
    let row = sqlx::query(
        "SELECT project_id, step, answers FROM dialogues WHERE chat_key = $1 AND person_key = $2",
    )
    .bind(chat.key())
    .bind(person.key())
    .fetch_optional(&mut *conn)
    .await
    .op("dialogues::get_for")?;
    row.map(|r| {
        Ok(Dialogue {
            project_id: get(&r, "project_id")?,
            step: get(&r, "step")?,
            answers: get(&r, "answers")?,
        })
    })
    .transpose()
}

pub async fn save(
    conn: &mut Conn,
    chat: &ChatRef,
    person: &PersonRef,
    d: &Dialogue,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO dialogues (chat_key, person_key, project_id, step, answers, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (chat_key, person_key) DO UPDATE SET \
         project_id = excluded.project_id, step = excluded.step, answers = excluded.answers, \
         updated_at = excluded.updated_at",
    )
    .bind(chat.key())
    .bind(person.key())
    .bind(d.project_id)
    .bind(d.step)
    .bind(&d.answers)
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .op("dialogues::save")?;
    Ok(())
}

pub async fn end(conn: &mut Conn, chat: &ChatRef, person: &PersonRef) -> Result<bool> {
    let done = sqlx::query("DELETE FROM dialogues WHERE chat_key = $1 AND person_key = $2")
        .bind(chat.key())
        .bind(person.key())
        .execute(&mut *conn)
        .await
        .op("dialogues::end")?;
    Ok(done.rows_affected() == 1)
}
