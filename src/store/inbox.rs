//! Durable inbox of incoming updates (ARCHITECTURE.md rule 4): stored before the next
//! batch is asked for, marked handled in the handler's own transaction.

use chrono::{DateTime, Utc};

use super::{Conn, Op, Result, get, ts};

/// Stores an update unless it is already there; true when newly stored.
pub async fn store(conn: &mut Conn, update_id: i64, raw: &str, now: DateTime<Utc>) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO inbox (update_id, raw, received_at) VALUES ($1, $2, $3) ON CONFLICT (update_id) DO NOTHING",
    )
    .bind(update_id)
    .bind(raw)
    .bind(ts(now))
    .execute(&mut *conn)
    .await
.op("inbox::store")?;
    Ok(done.rows_affected() == 1)
}

/// Updates stored but never handled, oldest first (a crash left them).
pub async fn unhandled(conn: &mut Conn) -> Result<Vec<(i64, String)>> {
    let rows =
        sqlx::query("SELECT update_id, raw FROM inbox WHERE handled_at IS NULL ORDER BY update_id")
            .fetch_all(&mut *conn)
            .await
            .op("inbox::unhandled")?;
    rows.iter()
        .map(|r| Ok((get(r, "update_id")?, get(r, "raw")?)))
        .collect()
}

/// Handled updates whose replies were never confirmed sent.
pub async fn unreplied(conn: &mut Conn) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT update_id, replies FROM inbox WHERE handled_at IS NOT NULL AND replied_at IS NULL \
         AND replies IS NOT NULL ORDER BY update_id",
    )
    .fetch_all(&mut *conn)
    .await
    .op("inbox::unreplied")?;
    rows.iter()
        .map(|r| Ok((get(r, "update_id")?, get(r, "replies")?)))
        .collect()
}

pub async fn max_update_id(conn: &mut Conn) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT MAX(update_id) FROM inbox")
        .fetch_one(&mut *conn)
        .await
        .op("inbox::max_update_id")
}

/// Claims the update for handling inside the caller's transaction: false
/// when it was handled already (a redelivery or a second worker).
pub async fn claim(
    conn: &mut Conn,
    update_id: i64,
    replies: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE inbox SET handled_at = $1, replies = $2 WHERE update_id = $3 AND handled_at IS NULL",
    )
    .bind(ts(now))
    .bind(replies)
    .bind(update_id)
    .execute(&mut *conn)
    .await
.op("inbox::claim")?;
    Ok(done.rows_affected() == 1)
}

pub async fn is_handled(conn: &mut Conn, update_id: i64) -> Result<bool> {
    let handled: Option<Option<i64>> =
        sqlx::query_scalar("SELECT handled_at FROM inbox WHERE update_id = $1")
            .bind(update_id)
            .fetch_optional(&mut *conn)
            .await
            .op("inbox::is_handled")?;
    Ok(matches!(handled, Some(Some(_))))
}

pub async fn mark_replied(conn: &mut Conn, update_id: i64, now: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE inbox SET replied_at = $1 WHERE update_id = $2")
        .bind(ts(now))
        .bind(update_id)
        .execute(&mut *conn)
        .await
        .op("inbox::mark_replied")?;
    Ok(())
}
