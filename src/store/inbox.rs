//! Durable inbox of incoming updates (ARCHITECTURE.md rule 4): stored before the next
//! batch is asked for, marked handled in the handler's own transaction.

use chrono::{DateTime, Utc};

use sqlx::Connection;

use super::{Backend, Conn, Op, Result, Store, get, ts};

/// Stores a whole `getUpdates` batch in one transaction, whose commit
/// survives a power loss (on SQLite, `synchronous = FULL` for this commit
/// alone: WAL with NORMAL would keep it across a crash of the process but
/// not of the machine). Telegram forgets the batch once the next poll
/// confirms it, so nothing weaker will do; one commit per batch instead of
/// per update keeps it fast. The ids newly stored, in the batch's order.
pub async fn store_batch(
    db: &Store,
    batch: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let mut conn = db.conn().await?;
    durably(&mut conn, db.backend(), async |conn| {
        insert_batch(conn, batch, now).await
    })
    .await
}

/// Runs `write` with its commits made power-loss durable: on SQLite,
/// `synchronous = FULL` for them alone; PostgreSQL's commits are already.
pub(super) async fn durably<T>(
    conn: &mut Conn,
    backend: Backend,
    write: impl AsyncFnOnce(&mut Conn) -> Result<T>,
) -> Result<T> {
    let sqlite = backend == Backend::Sqlite;
    if sqlite {
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await
            .op("inbox::durably (synchronous = FULL)")?;
    }
    let written = write(conn).await;
    // Back to NORMAL whether or not the write went in: the connection goes
    // back to the pool, and every other commit on it should stay cheap.
    if sqlite {
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await
            .op("inbox::durably (synchronous = NORMAL)")?;
    }
    written
}

async fn insert_batch(
    conn: &mut Conn,
    batch: &[(i64, String)],
    now: DateTime<Utc>,
) -> Result<Vec<i64>> {
    let mut tx = conn.begin().await.op("inbox::store_batch (begin)")?;
    let mut fresh = Vec::with_capacity(batch.len());
    for (update_id, raw) in batch {
        if store(&mut tx, *update_id, raw, now).await? {
            fresh.push(*update_id);
        }
    }
    tx.commit().await.op("inbox::store_batch (commit)")?;
    Ok(fresh)
}

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

/// Updates stored but never handled, oldest first (a crash left them, or
/// their tries failed), apart from those set aside as failed.
pub async fn unhandled(conn: &mut Conn) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT update_id, raw FROM inbox WHERE handled_at IS NULL AND failed_at IS NULL \
         ORDER BY update_id",
    )
    .fetch_all(&mut *conn)
    .await
    .op("inbox::unhandled")?;
    rows.iter()
        .map(|r| Ok((get(r, "update_id")?, get(r, "raw")?)))
        .collect()
}

/// Handled updates whose replies were never confirmed sent: (id, the
/// update as stored, its replies), oldest first.
pub async fn unreplied(conn: &mut Conn) -> Result<Vec<(i64, String, String)>> {
    let rows = sqlx::query(
        "SELECT update_id, raw, replies FROM inbox WHERE handled_at IS NOT NULL AND replied_at IS NULL \
         AND replies IS NOT NULL ORDER BY update_id",
    )
    .fetch_all(&mut *conn)
    .await
    .op("inbox::unreplied")?;
    rows.iter()
        .map(|r| Ok((get(r, "update_id")?, get(r, "raw")?, get(r, "replies")?)))
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

/// An update whose replies went out: its id, and the echoes of reports
/// among them as (chat, the report's message, the echo's message).
pub type Replied = (i64, Vec<(crate::domain::ids::ChatRef, i64, i64)>);

/// Confirms updates' replies sent and records the echoes of reports among
/// them (which message a correction edits), all in one transaction: the
/// replies of many chats go out at once, and one commit serves them all.
pub async fn confirm(db: &Store, replied: &[Replied], now: DateTime<Utc>) -> Result<()> {
    let mut tx = db.begin().await?;
    for (update_id, echoes) in replied {
        for (chat, source, echo) in echoes {
            super::replies::remember_echo(&mut tx, chat, *source, *echo).await?;
        }
        mark_replied(&mut tx, *update_id, now).await?;
    }
    tx.commit().await.op("inbox::confirm (commit)")
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

/// How many updates wait to be handled, how many handled ones wait for
/// their replies to be confirmed, and how many were set aside as failed.
pub async fn depth(conn: &mut Conn) -> Result<Depth> {
    // Telegram's updates and the other platforms' events (`events.rs`)
    // are one inbox to an operator.
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN handled_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) \
                    AS unhandled, \
                COALESCE(SUM(CASE WHEN failed_at IS NOT NULL AND handled_at IS NULL THEN 1 ELSE 0 END), 0) \
                    AS failed, \
                COALESCE(SUM(CASE WHEN handled_at IS NOT NULL AND replied_at IS NULL \
                    AND replies IS NOT NULL AND replies <> '[]' THEN 1 ELSE 0 END), 0) AS unreplied \
         FROM (SELECT handled_at, failed_at, replied_at, replies FROM inbox \
               UNION ALL SELECT handled_at, failed_at, replied_at, replies FROM platform_events) AS all_updates",
    )
    .fetch_one(&mut *conn)
    .await
    .op("inbox::depth")?;
    Ok(Depth {
        unhandled: get(&row, "unhandled")?,
        unreplied: get(&row, "unreplied")?,
        failed: get(&row, "failed")?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Depth {
    pub unhandled: i64,
    pub unreplied: i64,
    pub failed: i64,
}

/// The ids of updates waiting for their first try, oldest first, at most
/// `limit`: what the leader's tail has to hand out.
pub async fn waiting_ids(conn: &mut Conn, limit: i64) -> Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT update_id FROM inbox \
         WHERE handled_at IS NULL AND failed_at IS NULL AND attempts = 0 \
         ORDER BY update_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .op("inbox::waiting_ids")
}

/// The stored text of updates waiting for their first try, with ids from
/// `from` to `to`, oldest first.
pub async fn waiting_between(conn: &mut Conn, from: i64, to: i64) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT update_id, raw FROM inbox \
         WHERE update_id BETWEEN $1 AND $2 \
           AND handled_at IS NULL AND failed_at IS NULL AND attempts = 0 \
         ORDER BY update_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut *conn)
    .await
    .op("inbox::waiting_between")?;
    rows.iter()
        .map(|r| Ok((get(r, "update_id")?, get(r, "raw")?)))
        .collect()
}
