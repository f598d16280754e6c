//! What the conversation remembers of its own replies: the echo of each
//! report message (to edit it in place when the report is corrected), and
//! the hints said once per person and week.

use chrono::{DateTime, Utc};

use super::{Conn, Op, Result, ts};
use crate::domain::ids::{ChatRef, PersonRef};
use crate::domain::time::ReportingWeek;

/// Records that `echo` is the bot's echo of message `source` in `chat`.
pub async fn remember_echo(conn: &mut Conn, chat: &ChatRef, source: i64, echo: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO echoes (chat_key, source_message, echo_message) VALUES ($1, $2, $3) \
         ON CONFLICT (chat_key, source_message) DO UPDATE SET echo_message = excluded.echo_message",
    )
    .bind(chat.key())
    .bind(source)
    .bind(echo)
    .execute(&mut *conn)
    .await
    .op("replies::remember_echo")?;
    Ok(())
}

/// The bot's echo of message `source` in `chat`, if it was recorded.
pub async fn echo_of(conn: &mut Conn, chat: &ChatRef, source: i64) -> Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT echo_message FROM echoes WHERE chat_key = $1 AND source_message = $2",
    )
    .bind(chat.key())
    .bind(source)
    .fetch_optional(&mut *conn)
    .await
    .op("replies::echo_of")
}

/// Records that hint `kind` is said to `person` in `chat` for `week`; false
/// when it was said already.
pub async fn first_hint(
    conn: &mut Conn,
    chat: &ChatRef,
    person: &PersonRef,
    week: ReportingWeek,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO hints (chat_key, person_key, week, kind, said_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT DO NOTHING",
    )
    .bind(chat.key())
    .bind(person.key())
    .bind(week.to_string())
    .bind(kind)
    .bind(ts(now))
    .execute(&mut *conn)
    .await
    .op("replies::first_hint")?;
    Ok(done.rows_affected() == 1)
}
